"""The suite lint: a feature file that cannot run as written is the suite's fault, never the connector's.

Before any scenario runs, every feature file of the run is read and held to the step catalog and the
tag vocabulary. What it finds stops the run with a usage error, one line per problem naming the file
and line, and the closest catalog step or tag:
- a step no step definition matches (with the nearest catalog example; a count whose noun does not
  agree with it, "3 refund", is named as such);
- a tag one edit away from a known tag (``@line_item``); a ``@sells_<currency>`` no registered
  storefront sells;
- a scenario whose steps use the storefront (or direction) under test without a requirement tag;
- a scenario whose requirement tags no registered storefront fits (it would run for nobody).
Tags nobody defined and that resemble no known tag are QA's own (``@wip``, ``@smoke``) and stay allowed.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from harness.directions import DIRECTIONS
from harness.platforms import platforms
from harness.pytest_compat import FeatureSyntaxError, parse_feature
from harness.requirements import CURRENCY_TAG, REQUIREMENTS, fitting, needs_storefront
from steps.vocabulary import StepDoc, load_catalog

# how alike an unknown tag or step must be to a known one to be named as its likely misspelling
TAG_CUTOFF = 0.8
STEP_CUTOFF = 0.6
# "3 refund" / "1 units": a number followed by a word, to try the word's other number
_COUNTED = re.compile(r"\b(\d+) ([a-z]+)\b")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def lint(paths: Iterable[Path], *, markers: Iterable[str] = (), root: Path | None = None) -> list[Problem]:
    """Every problem of the feature files ``paths``; ``markers`` are tags registered with pytest."""
    catalog = load_catalog()
    known_tags = _known_tags(markers)
    problems: list[Problem] = []
    for path in sorted(set(map(Path, paths))):
        shown = _shown(path, root)
        try:
            feature = parse_feature(path)
        except FeatureSyntaxError as exc:
            problems.append(Problem(shown, exc.line, f"not valid Gherkin: {exc.message} "
                                                          f"({exc.line_content.strip()!r})"))
            continue
        except (OSError, UnicodeError) as exc:
            problems.append(Problem(shown, 0, f"cannot be read: {exc}"))
            continue
        problems += _tag_problems(shown, feature.line_number, feature.tags, known_tags)
        for template in feature.scenarios.values():
            problems += _scenario_problems(shown, template, feature, catalog, known_tags)
    return sorted(problems, key=lambda p: (p.path, p.line))


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def _known_tags(markers: Iterable[str]) -> set[str]:
    currencies = {c for p in platforms() for c in p.currencies}
    return (set(REQUIREMENTS) | set(DIRECTIONS) | set(markers)
            | {f"sells_{c.lower()}" for c in currencies})


def _tag_problems(path: str, line: int, tags: Iterable[str], known: set[str]) -> list[Problem]:
    problems = []
    for tag in sorted(tags):
        if tag in known:
            continue
        if CURRENCY_TAG.match(tag):
            sold = sorted(t for t in known if CURRENCY_TAG.match(t))
            problems.append(Problem(path, line, f"@{tag}: no registered storefront sells "
                                                f"{tag.removeprefix('sells_').upper()} (sold: "
                                                f"{', '.join('@' + t for t in sold)})"))
            continue
        close = difflib.get_close_matches(tag, known, n=1, cutoff=TAG_CUTOFF)
        if close:
            problems.append(Problem(path, line, f"unknown tag @{tag}: did you mean @{close[0]}?"))
    return problems


def _scenario_problems(path: str, template, feature, catalog: Sequence[StepDoc], known: set[str]) -> list[Problem]:
    rule_tags = template.rule.tags if template.rule is not None else set()
    tags = set(template.tags) | set(feature.tags) | set(rule_tags)
    problems = _tag_problems(path, template.line_number, set(template.tags) | set(rule_tags), known)
    for examples in template.examples:
        problems += _tag_problems(path, examples.line_number or template.line_number, examples.tags, known)
    tags_ok = not problems and not _tag_problems(path, 0, feature.tags, known)
    contexts = [c for examples in template.examples for c in examples.as_contexts()] or [{}]
    under_test: set[str] = set()
    seen: set[tuple[int, str]] = set()
    for context in contexts:
        for step in template.render(context).steps:
            if (step.line_number, step.name) in seen:
                continue
            seen.add((step.line_number, step.name))
            defined = [doc for doc in catalog if doc.keyword.lower() == step.type and doc.matches(step.name)]
            if not defined:
                problems.append(Problem(path, step.line_number, _undefined(step, catalog)))
            for doc in defined[:1]:
                under_test |= doc.under_test
    where = template.line_number
    if under_test and not needs_storefront(tags):
        problems.append(Problem(path, where, f"scenario '{template.name}' uses the storefront under test but "
                                             f"states no requirement: tag it with one of "
                                             f"@{', @'.join(REQUIREMENTS)}"))
    elif "direction_under_test" in under_test and "each_direction" not in tags:
        problems.append(Problem(path, where, f"scenario '{template.name}' uses the direction under test: "
                                             "tag it @each_direction"))
    if tags_ok and needs_storefront(tags) and not fitting(tags):
        wanted = " ".join(f"@{t}" for t in sorted(tags) if t in REQUIREMENTS or t in DIRECTIONS
                          or CURRENCY_TAG.match(t))
        problems.append(Problem(path, where, f"scenario '{template.name}' runs for no registered storefront: "
                                             f"none fits {wanted} (`refund-harness storefronts` lists "
                                             "each one's capabilities)"))
    return problems


def _undefined(step, catalog: Sequence[StepDoc]) -> str:
    said = f"{step.keyword.strip()} {step.name}"
    same_type = [doc for doc in catalog if doc.keyword.lower() == step.type]
    for number, noun in _COUNTED.findall(step.name):
        other = noun[:-1] if noun.endswith("s") else noun + "s"
        fixed = step.name.replace(f"{number} {noun}", f"{number} {other}", 1)
        if any(doc.matches(fixed) for doc in same_type):
            return (f"no step matches \"{said}\": the noun must agree with its number "
                    f"(\"{number} {other}\", not \"{number} {noun}\")")
    examples = {doc.example: doc for doc in catalog}
    close = difflib.get_close_matches(step.name, list(examples), n=1, cutoff=STEP_CUTOFF)
    hint = ""
    if close:
        doc = examples[close[0]]
        hint = f"; did you mean \"{doc.keyword} {doc.example}\" ({doc.keyword} {doc.pattern})?"
    elif not same_type:
        hint = f"; no {step.type} step exists"
    return f"no step matches \"{said}\"{hint} (`refund-harness steps` lists every step)"
