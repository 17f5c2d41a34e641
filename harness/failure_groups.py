"""Failures grouped by cause: one broken connector usually fails hundreds of scenarios for one reason,
and a reader wants that reason once, with how many scenarios and which rows it touches.

A group is the check that failed (the Gherkin step, its numbers and quoted values masked, or the phase
when no step failed) and the likely cause (the "Likely cause: ..." sentence of the failure when it has
one, else the failure's first sentence), masked the same way so that the same bug on different orders,
amounts and platforms falls into one group. Every failure keeps its own entry beside the groups.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# what differs between two failures of one cause: amounts, ids, counts, quoted values, platform names
_QUOTED = re.compile(r"(?<!\w)'[^']*'(?!\w)|\"[^\"]*\"")
_CURRENCY = re.compile(r"(?<=N )[A-Z]{3}\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LIKELY = re.compile(r"Likely cause:\s*(.+?)(?:\.(?:\s|$)|$)")
_STEP = re.compile(r"^at step (?P<q>['\"])(?P<step>.*?)(?P=q): (?P<rest>.*)$", re.S)
EXAMPLES = 3


@dataclass
class FailureGroup:
    cause: str
    checks: list[str] = field(default_factory=list)   # every check that failed for it, most frequent first
    scenarios: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)

    @property
    def check(self) -> str:
        shown = "; ".join(self.checks[:3])
        return shown + (f" (and {len(self.checks) - 3} more)" if len(self.checks) > 3 else "")

    def as_json(self) -> dict:
        return {"check": self.check, "checks": self.checks, "cause": self.cause, "count": len(self.scenarios),
                "rows": [{"platform": p, "direction": d} for p, d in self.rows],
                "examples": self.scenarios[:EXAMPLES]}


def mask(text: str, names: tuple[str, ...] = ()) -> str:
    text = _QUOTED.sub("…", text)
    for name in names:
        text = re.sub(rf"\b{re.escape(name)}\b", "<storefront>", text, flags=re.I)
    return " ".join(_CURRENCY.sub("<currency>", _NUMBER.sub("N", text)).split())


def split(why: str) -> tuple[str, str]:
    """(the step that failed, the failure itself) of a one-line ``why``."""
    found = _STEP.match(why)
    return (found["step"], found["rest"]) if found else ("", why)


def key_of(why: str, names: tuple[str, ...] = ()) -> tuple[str, str, bool]:
    """(check, cause, whether the failure named its likely cause)."""
    step, failure = split(why)
    likely = _LIKELY.search(failure)
    cause = likely.group(1) if likely else re.split(r"(?<=[.;])\s", failure.strip(), maxsplit=1)[0]
    return (mask(step, names) if step else "(before or after the steps)", mask(cause, names)[:240], bool(likely))


def group_failures(failures: list[tuple[str, str, list[tuple[str, str]]]],
                   names: tuple[str, ...] = ()) -> list[FailureGroup]:
    """``failures``: (scenario, why, rows it counts against). A failure that names its likely cause is
    grouped by that cause whatever step caught it (one bug fails many different checks); one that does
    not, by the check and what it said. Largest group first."""
    groups: dict[tuple[str, str], FailureGroup] = {}
    seen_checks: dict[tuple[str, str], Counter[str]] = {}
    for scenario, why, rows in failures:
        check, cause, named = key_of(why, names)
        key = ("", cause) if named else (check, cause)
        group = groups.setdefault(key, FailureGroup(cause))
        seen_checks.setdefault(key, Counter())[check] += 1
        group.scenarios.append(scenario)
        group.rows += [tuple(r) for r in rows if tuple(r) not in group.rows]
    for key, group in groups.items():
        group.checks = [check for check, _ in seen_checks[key].most_common()]
        group.rows.sort()
    return sorted(groups.values(), key=lambda g: (-len(g.scenarios), g.cause))
