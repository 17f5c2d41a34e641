"""The figures of every `make bench` and `make bench-suite` run, kept in ``bench/history.jsonl`` (committed),
and each new run's figures printed beside those of the nearest ancestor commit that has a record.

One JSON object a line: ``{"bench": "bench" | "bench-suite", "commit": "<sha>" | null, "dirty": bool,
"at": "<UTC ISO time>", "figures": {"<figure>": number}}``. Figures are ratios and counts measured within
one run, never absolute times: those move with the machine's load more than with the code.

``dirty`` is whether tracked files differed from ``commit`` (the history file itself aside: every run
changes it). A dirty record measured uncommitted code, so it is never a baseline. The baseline of a run is
the newest clean record of the same bench whose commit is the nearest ancestor (fewest parent steps) of
the run's code: of HEAD itself when the tree is dirty (the change against the commit it started from),
else of HEAD's parents and further back (the change against the previous commit).
"""
from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from harness.code_state import code_state as checkout_state, git

ROOT = Path(__file__).resolve().parents[1]
HISTORY = Path(__file__).with_name("history.jsonl")
BENCHES = ("bench", "bench-suite")


class HistoryError(ValueError):
    """The history file has a line that is not a record."""


@dataclass(frozen=True)
class Record:
    bench: str
    commit: str | None
    dirty: bool
    figures: dict[str, float]
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_json(self) -> str:
        return json.dumps({"bench": self.bench, "commit": self.commit, "dirty": self.dirty, "at": self.at,
                           "figures": self.figures}, sort_keys=False)


def _parse(line: str, where: str) -> Record:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise HistoryError(f"{where}: a record is a JSON object, not {type(data).__name__}")
    bench, commit, dirty, at, figures = (data.get(k) for k in ("bench", "commit", "dirty", "at", "figures"))
    if bench not in BENCHES:
        raise HistoryError(f"{where}: bench is {bench!r}, not one of {', '.join(BENCHES)}")
    if commit is not None and not isinstance(commit, str):
        raise HistoryError(f"{where}: commit is {commit!r}, not a commit id or null")
    if not isinstance(dirty, bool):
        raise HistoryError(f"{where}: dirty is {dirty!r}, not true or false")
    if not isinstance(at, str):
        raise HistoryError(f"{where}: at is {at!r}, not a time")
    if not isinstance(figures, dict) or not all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in figures.items()):
        raise HistoryError(f"{where}: figures must map each figure's name to a number")
    return Record(bench, commit, dirty, {k: float(v) for k, v in figures.items()}, at)


def read(path: Path = HISTORY) -> list[Record]:
    """Every record of ``path`` in the order written; none when the file does not exist."""
    if not path.exists():
        return []
    return [_parse(line, f"{path.name} line {number}")
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]


def append(record: Record, path: Path = HISTORY) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(record.to_json() + "\n")


def code_state(root: Path = ROOT, history: Path = HISTORY) -> tuple[str | None, bool]:
    """(HEAD's commit id or None outside a git checkout, whether tracked files differ from it, ``history``
    itself aside)."""
    return checkout_state(root, ignoring=history)


def ancestors_by_distance(root: Path, commit: str) -> list[str]:
    """``commit`` and every commit it descends from, nearest first (fewest parent steps; breadth first)."""
    listing = git(root, "rev-list", "--parents", commit)
    if listing is None:
        return []
    parents = {fields[0]: fields[1:] for fields in (line.split() for line in listing.splitlines()) if fields}
    order, seen, queue = [], {commit}, deque([commit])
    while queue:
        current = queue.popleft()
        order.append(current)
        for parent in parents.get(current, ()):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order


def baseline(records: Sequence[Record], bench: str, commit: str | None, dirty: bool,
             root: Path = ROOT) -> Record | None:
    """The newest clean record of ``bench`` on the nearest ancestor of the code measured (see the module's
    docstring); None when no ancestor has one."""
    if commit is None:
        return None
    newest: dict[str, Record] = {}
    for record in records:   # in the order written: a later record of a commit replaces an earlier one
        if record.bench == bench and not record.dirty and record.commit:
            newest[record.commit] = record
    ancestry = ancestors_by_distance(root, commit)
    for candidate in ancestry if dirty else ancestry[1:]:
        if candidate in newest:
            return newest[candidate]
    return None


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def _change(now: float, before: float | None) -> str:
    if before is None:
        return "new figure"
    if before == 0:
        return "same" if now == 0 else "was 0"
    change = (now - before) / abs(before) * 100
    return "same" if math.isclose(now, before) else f"{change:+.0f}%"


def table(figures: Mapping[str, float], previous: Record | None, bench: str, history: str = HISTORY.name) -> str:
    """Each figure of this run beside the baseline's, as lines to print."""
    if previous is None:
        return (f"No clean `make {bench}` record on an ancestor of this commit in {history}: "
                "nothing to compare these figures with yet.")
    label = f"{(previous.commit or '')[:10]} ({previous.at[:10]})"
    width = max([len("figure")] + [len(name) for name in figures])
    lines = [f"This run beside the nearest ancestor commit's record, {label}:",
             f"  {'figure':<{width}}  {'this run':>9}  {'before':>9}  change"]
    for name, value in figures.items():
        before = previous.figures.get(name)
        lines.append(f"  {name:<{width}}  {_number(value):>9}  {_number(before) if before is not None else '-':>9}  "
                     f"{_change(value, before)}")
    gone = [name for name in previous.figures if name not in figures]
    if gone:
        lines.append(f"  (not measured any more: {', '.join(gone)})")
    return "\n".join(lines)


def report(bench: str, figures: Mapping[str, float], root: Path = ROOT, history: Path = HISTORY,
           state: tuple[str | None, bool] | None = None) -> str:
    """Record this run's figures in ``history`` and return the comparison table with the baseline. ``state``:
    the ``code_state`` taken when the run started (the code it measured), else taken now."""
    commit, dirty = state or code_state(root, history)
    previous = baseline(read(history), bench, commit, dirty, root)
    append(Record(bench, commit, dirty, dict(figures)), history)
    where = f"commit {commit[:10]}{' with uncommitted changes' if dirty else ''}" if commit else "no git commit"
    return f"{table(figures, previous, bench, history.name)}\n(recorded in {history.name} for {where})"
