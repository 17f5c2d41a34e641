"""Failures grouped by cause: one broken connector usually fails hundreds of scenarios for one reason,
and a reader wants that reason once, with how many scenarios and which rows it touches.

A group is the check that failed (the Gherkin step, its numbers and quoted values masked, or the phase
when no step failed) and the likely cause (the "Likely cause: ..." sentence of the failure when it has
one, else the failure's first sentence), masked the same way so that the same bug on different orders,
amounts and platforms falls into one group. Every failure keeps its own entry beside the groups.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# what differs between two failures of one cause: amounts, ids, counts, quoted values, platform names
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LIKELY = re.compile(r"Likely cause:\s*(.+?)(?:\.(?:\s|$)|$)")
_STEP = re.compile(r"^at step (?P<q>['\"])(?P<step>.*?)(?P=q): (?P<rest>.*)$", re.S)
EXAMPLES = 3


@dataclass
class FailureGroup:
    check: str
    cause: str
    scenarios: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"check": self.check, "cause": self.cause, "count": len(self.scenarios),
                "rows": [{"platform": p, "direction": d} for p, d in self.rows],
                "examples": self.scenarios[:EXAMPLES]}


def mask(text: str, names: tuple[str, ...] = ()) -> str:
    text = _QUOTED.sub("…", text)
    for name in names:
        text = re.sub(rf"\b{re.escape(name)}\b", "<storefront>", text, flags=re.I)
    return " ".join(_NUMBER.sub("N", text).split())


def split(why: str) -> tuple[str, str]:
    """(the step that failed, the failure itself) of a one-line ``why``."""
    found = _STEP.match(why)
    return (found["step"], found["rest"]) if found else ("", why)


def key_of(why: str, names: tuple[str, ...] = ()) -> tuple[str, str]:
    step, failure = split(why)
    likely = _LIKELY.search(failure)
    cause = likely.group(1) if likely else re.split(r"(?<=[.;:])\s", failure.strip(), maxsplit=1)[0]
    return (mask(step, names) if step else "(before or after the steps)", mask(cause, names)[:240])


def group_failures(failures: list[tuple[str, str, list[tuple[str, str]]]],
                   names: tuple[str, ...] = ()) -> list[FailureGroup]:
    """``failures``: (scenario, why, rows it counts against). Largest group first, then by check."""
    groups: dict[tuple[str, str], FailureGroup] = {}
    for scenario, why, rows in failures:
        check, cause = key_of(why, names)
        group = groups.setdefault((check, cause), FailureGroup(check, cause))
        group.scenarios.append(scenario)
        group.rows += [tuple(r) for r in rows if tuple(r) not in group.rows]
    ordered = sorted(groups.values(), key=lambda g: (-len(g.scenarios), g.check, g.cause))
    for group in ordered:
        group.rows.sort()
    return ordered
