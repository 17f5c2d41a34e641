"""Fan-out: one certification split into N shards run on N machines, then merged into one verdict.

``refund-harness certify --shard I/N`` runs shard I of N. Every process of every shard deals the run's
selected scenarios the same way: longest recorded duration first, each to the shard with the least
predicted seconds so far (ties to the lower shard, then by node id), so every scenario lands in
exactly one shard and the shards take about as long as each other. Durations come from
``tests/acceptance/durations.json``, which ``refund-harness certify --record-durations`` rewrites
from the scenarios it ran; a scenario missing from it weighs the median recorded duration.

A shard's report is never a verdict on the connector: it reads ``shard I/N`` and at best partial,
and carries each of its scenarios' outcomes. ``refund-harness merge`` checks that every shard of one
run is there exactly once and rebuilds the report from those outcomes with the same
``harness.certification.certification_report`` an unsharded run uses.
"""
from __future__ import annotations

import heapq
import json
import os
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from xml.etree import ElementTree

from harness.certification import Evidence, MatrixRow, ScenarioOutcome, certification_report, write_atomically

DURATIONS_FILE = Path(__file__).resolve().parents[1] / "tests" / "acceptance" / "durations.json"
RECORD_COMMAND = "refund-harness certify --record-durations"
DEFAULT_SECONDS = 1.0   # a scenario's weight when no duration is recorded at all


class ShardError(ValueError):
    """A shard that cannot be run or merged as asked; the message names it and says why."""


@dataclass(frozen=True)
class Shard:
    index: int   # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``I/N`` with 1 <= I <= N, e.g. ``2/3``."""
    index, slash, count = text.partition("/")
    if not slash or not index.strip().isdigit() or not count.strip().isdigit():
        raise ShardError(f"shard {text!r} is not I/N (e.g. 2/3: the second of three shards)")
    shard = Shard(int(index), int(count))
    if shard.count < 1 or not 1 <= shard.index <= shard.count:
        raise ShardError(f"shard {text!r}: I must be 1 to N and N at least 1 (e.g. 2/3)")
    return shard


def load_durations(path: Path) -> dict[str, float]:
    """Recorded seconds per scenario node id; an absent file records none."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seconds = data["seconds"]
        return {str(nodeid): float(value) for nodeid, value in seconds.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShardError(f"cannot read the scenario durations {path}: {exc!r}; regenerate it with "
                         f"`{RECORD_COMMAND}`") from None


def default_weight(durations: dict[str, float]) -> float:
    return statistics.median(durations.values()) if durations else DEFAULT_SECONDS


def weights(nodeids: Iterable[str], durations: dict[str, float]) -> dict[str, float]:
    fallback = default_weight(durations)
    return {nodeid: durations.get(nodeid, fallback) for nodeid in nodeids}


def deal(nodeids: Sequence[str], durations: dict[str, float], count: int) -> list[list[str]]:
    """The scenarios of each of ``count`` shards (index 0 is shard 1): longest first, each to the
    least-loaded shard. Depends only on the node ids and the durations, never on their order."""
    weight = weights(nodeids, durations)
    loads = [(0.0, index) for index in range(count)]
    shares: list[list[str]] = [[] for _ in range(count)]
    for nodeid in sorted(set(nodeids), key=lambda n: (-weight[n], n)):
        load, index = heapq.heappop(loads)
        shares[index].append(nodeid)
        heapq.heappush(loads, (load + weight[nodeid], index))
    return shares


def record_durations(path: Path, measured: dict[str, float], suite: set[str] | None) -> None:
    """Write the seconds each scenario of this run took over the recorded ones. ``suite``: every
    scenario the run collected when it collected the whole suite; entries for any other are dropped
    (a scenario renamed or removed). None keeps every entry this run did not measure."""
    recorded = load_durations(path)
    if suite is not None:
        recorded = {nodeid: seconds for nodeid, seconds in recorded.items() if nodeid in suite}
    recorded.update({nodeid: round(seconds, 2) for nodeid, seconds in measured.items()})
    write_atomically(path, json.dumps({"regenerate": RECORD_COMMAND, "seconds": dict(sorted(recorded.items()))},
                                      indent=1) + "\n")


def outcome_record(outcome: ScenarioOutcome, position: int, seconds: float) -> dict[str, Any]:
    """One scenario of a shard as its report carries it, for the merge to rebuild the verdict from."""
    return {**asdict(outcome), "evidence": outcome.evidence.as_json(), "position": position,
            "seconds": round(seconds, 3)}


def _outcome(record: dict[str, Any]) -> ScenarioOutcome:
    rows = record["rows"]
    return ScenarioOutcome(record["nodeid"], record["name"], record["passed"], Evidence.from_json(record["evidence"]),
                           record["why"], record["skipped"], None if rows is None else [tuple(row) for row in rows])


# what makes two shards parts of the same run, with how a message names each
IDENTITY: tuple[tuple[str, str], ...] = (
    ("count", "shard count"), ("seed", "seed"), ("git_commit", "commit"), ("connector", "connector"),
    ("claim", "claim"), ("transport", "transport"), ("selection", "selection"),
    ("narrowed_by", "narrowing"), ("selected", "scenarios selected"), ("deselected", "scenarios deselected"),
    ("not_claimed", "scenarios not claimed"))


def identity(report: dict[str, Any]) -> dict[str, Any]:
    shard, run = report["shard"], report["run"]
    return {"count": shard["count"], "seed": run["seed"], "git_commit": run["git_commit"],
            "connector": report["connector"], "claim": report["claim"], "transport": run["transport"],
            "selection": run["selection"], **{key: shard["run"][key] for key in
                                               ("narrowed_by", "selected", "deselected", "not_claimed")}}


@dataclass
class ShardReport:
    path: Path
    report: dict[str, Any]

    @property
    def shard(self) -> Shard:
        return Shard(self.report["shard"]["index"], self.report["shard"]["count"])

    def named(self) -> str:
        return f"{self.path} (shard {self.shard})"

    def file(self, kind: str) -> Path | None:
        """A JUnit or Cucumber file the shard wrote, found relative to its report (artifacts move)."""
        relative = self.report["shard"]["files"].get(kind)
        return None if relative is None else self.path.parent / relative


def read_shard_json(path: Path, command: str, of_its_kind: Callable[[dict[str, Any]], bool], not_its_kind: str,
                    read_what_the_merge_reads: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A shard's report written by ``refund-harness command --shard``, or a ShardError naming what is wrong:
    unreadable, not JSON, of another kind (``not_its_kind`` says which), a whole run's report, or damaged
    (``read_what_the_merge_reads`` raises on it: a damaged report is refused by name, never half-read)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ShardError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ShardError(f"{path} is not JSON: {exc}") from None
    if not isinstance(report, dict) or not of_its_kind(report):
        raise ShardError(f"{path} is not {not_its_kind}")
    if not isinstance(report.get("shard"), dict):
        raise ShardError(f"{path} is not a shard's report: it was written by `refund-harness {command}` without "
                         "--shard, and is a whole run's report already")
    try:
        read_what_the_merge_reads(report)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        damaged = "a damaged shard report" if command == "certify" else f"a damaged {command} shard report"
        raise ShardError(f"{path} is {damaged}: {exc!r} is missing or malformed") from None
    return report


def read_shard(path: Path) -> ShardReport:
    def read(report: dict[str, Any]) -> None:
        identity(report)
        int(report["shard"]["index"])
        dict(report["shard"]["files"])
        str(report["run"]["started_at"] + report["run"]["finished_at"])
        for record in report["shard"]["scenarios"]:
            _outcome(record)
            int(record["position"])

    return ShardReport(path, read_shard_json(path, "certify", lambda report: "verdict" in report,
                                             "a certification report", read))


def check_complete(shards: list[ShardReport]) -> None:
    """Every shard of one run exactly once, or a ShardError naming each missing, duplicate or
    mismatched shard."""
    each_shard_of_one_run_once([(s.path, s.shard.index, identity(s.report)) for s in shards], IDENTITY)
    expected = identity(shards[0].report)
    seen: dict[str, ShardReport] = {}
    for shard in shards:
        for record in shard.report["shard"]["scenarios"]:
            if record["nodeid"] in seen:
                raise ShardError(f"{record['nodeid']} ran in both {seen[record['nodeid']].named()} and "
                                 f"{shard.named()}: the shards dealt the scenarios differently (different "
                                 "durations files?)")
            seen[record["nodeid"]] = shard
    ran = sum(len(s.report["shard"]["scenarios"]) for s in shards)
    if ran != expected["selected"]:
        raise ShardError(f"the shards ran {ran} scenario(s) between them, but the run selected {expected['selected']}")


def each_shard_of_one_run_once(shards: list[tuple[Path, int, dict[str, Any]]],
                               labels: tuple[tuple[str, str], ...]) -> None:
    """Shards given as (report path, shard index, identity): all of one run (``labels`` names each identity
    key for people; ``count`` is the shard count), each index exactly once; else a ShardError naming each
    shard at fault. Certify's and the mutants' merges both hold their shards to this."""
    if not shards:
        raise ShardError("no shard reports given")
    first_path, first_index, expected = shards[0]
    count = int(expected["count"])

    def named(path: Path, index: int) -> str:
        return f"{path} (shard {index}/{count})"

    problems: list[str] = []
    for path, index, theirs in shards[1:]:
        for key, label in labels:
            if theirs[key] != expected[key]:
                problems.append(f"{named(path, index)} is not of the same run as {named(first_path, first_index)}: "
                                f"its {label} is {_short(theirs[key])}, not {_short(expected[key])}")
                break
    if problems:
        raise ShardError("; ".join(problems))
    by_index: dict[int, list[Path]] = {}
    for path, index, _ in shards:
        by_index.setdefault(index, []).append(path)
    for index, paths in sorted(by_index.items()):
        if len(paths) > 1:
            problems.append(f"shard {index}/{count} given {len(paths)} times: {', '.join(map(str, paths))}")
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in by_index]
    if missing:
        problems.append(f"shard{'s' * (len(missing) > 1)} {', '.join(missing)} missing (given: "
                        f"{', '.join(f'{index}/{count}' for _, index, _ in shards)}); a merge of fewer than every "
                        "shard is no verdict")
    if problems:
        raise ShardError("; ".join(problems))


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def merge(shards: list[ShardReport]) -> dict[str, Any]:
    """The report of the whole run: every shard's scenarios in the run's collection order, judged by
    the one verdict function the unsharded run uses."""
    check_complete(shards)
    shards = sorted(shards, key=lambda s: s.shard.index)
    first = shards[0].report
    records = sorted((record for s in shards for record in s.report["shard"]["scenarios"]),
                     key=lambda record: record["position"])
    # the matrix as the shards judged it (every shard has every row), not as this checkout registers it
    matrix = [MatrixRow(row["platform"], row["storefront"], row["direction"], row["line_items"])
              for row in first["rows"]]
    whole = first["shard"]["run"]
    run = {**first["run"], "replay": whole["replay"],
           "started_at": min(s.report["run"]["started_at"] for s in shards),
           "finished_at": max(s.report["run"]["finished_at"] for s in shards),
           "shards": [{"shard": str(s.shard), "scenarios": len(s.report["shard"]["scenarios"]),
                       "predicted_seconds": s.report["shard"]["predicted_seconds"],
                       "seconds": s.report["shard"]["seconds"],
                       "started_at": s.report["run"]["started_at"], "finished_at": s.report["run"]["finished_at"]}
                      for s in shards]}
    return certification_report([_outcome(record) for record in records], matrix, first["connector"],
                                whole["narrowed_by"], claim=first["claim"], not_claimed=whole["not_claimed"],
                                selected=whole["selected"], deselected=whole["deselected"], run=run)


def merge_junit(paths: list[Path]) -> bytes:
    """One JUnit XML of every shard's test cases, with the counts of all of them."""
    merged = ElementTree.Element("testsuite", name="pytest")
    totals = {"errors": 0, "failures": 0, "skipped": 0, "tests": 0}
    seconds = 0.0
    stamps: list[str] = []
    for path in paths:
        try:
            root = ElementTree.parse(path).getroot()
        except (OSError, ElementTree.ParseError) as exc:
            raise ShardError(f"cannot read the shard's JUnit XML {path}: {exc}") from None
        for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
            for key in totals:
                totals[key] += int(suite.get(key, 0))
            seconds += float(suite.get("time", 0))
            stamps += [suite.get("timestamp")] if suite.get("timestamp") else []
            merged.extend(suite.findall("testcase"))
    merged.attrib.update({key: str(value) for key, value in totals.items()})
    merged.set("time", f"{seconds:.3f}")
    if stamps:
        merged.set("timestamp", min(stamps))
    suites = ElementTree.Element("testsuites", name="pytest tests")
    suites.append(merged)
    return ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True)


def merge_cucumber(paths: list[Path]) -> list[dict[str, Any]]:
    """One Cucumber JSON: each feature once, with the scenarios every shard ran of it."""
    features: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            shard_features = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ShardError(f"cannot read the shard's Cucumber JSON {path}: {exc}") from None
        for feature in shard_features:
            if feature["uri"] in features:
                features[feature["uri"]]["elements"].extend(feature["elements"])
            else:
                features[feature["uri"]] = {**feature, "elements": list(feature["elements"])}
    return list(features.values())


def relative_to_report(path: Path, report: Path) -> str:
    return os.path.relpath(path, report.parent)
