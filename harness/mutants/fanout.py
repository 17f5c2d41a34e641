"""`refund-harness mutants --shard I/N`: the mutants' certifications spread over N machines.

The certifications to run are the reference connector's and each selected mutant's. Every shard deals
them the same way ``refund-harness certify --shard`` deals scenarios (``harness.shards.deal``: longest
first, each to the shard with the fewest predicted seconds), by the seconds each took when last
recorded (``harness/mutants/seconds.json``, written by ``refund-harness mutants --learn``). Without a
record, the reference connector weighs the recorded seconds of every scenario (one serial
certification), a mutant the median recorded mutant, or ``UNRECORDED_MUTANT_SECONDS``.

Each shard writes a report; ``refund-harness merge`` checks that every shard of one run is there
exactly once and joins them into the report, table and exit code the unsharded run gives.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from harness.exit_codes import ExitCode
from harness.mutants.run import (EXPLAINED_SURVIVORS, REFERENCE, REPORT_KIND, SECONDS_PATH, Outcome, connector_of,
                                 load_seconds, report, run_certifications)
from harness.shards import (DURATIONS_FILE, Shard, ShardError, deal, each_shard_of_one_run_once, load_durations,
                            read_shard_json)

# a mutant stopped at its first failing scenario costs about one pytest start-up, collection and scenario
UNRECORDED_MUTANT_SECONDS = 8.0


def weights(connectors: list[str], recorded: dict[str, float], scenario_seconds: dict[str, float]) -> dict[str, float]:
    mutants = [seconds for connector, seconds in recorded.items() if connector != REFERENCE]
    mutant = statistics.median(mutants) if mutants else UNRECORDED_MUTANT_SECONDS
    reference = sum(scenario_seconds.values()) or mutant
    return {connector: recorded.get(connector, reference if connector == REFERENCE else mutant)
            for connector in connectors}


def shares(names: list[str], count: int, recorded: dict[str, float] | None = None,
           scenario_seconds: dict[str, float] | None = None) -> tuple[list[list[str]], dict[str, float]]:
    """Each shard's certifications (index 0 is shard 1) and the weight each was dealt by."""
    connectors = [REFERENCE, *map(connector_of, names)]
    weight = weights(connectors, load_seconds() if recorded is None else recorded,
                     load_durations(DURATIONS_FILE) if scenario_seconds is None else scenario_seconds)
    return deal(connectors, weight, count), weight


def run_shard(names: list[str], workers: int, options: list[str], shard: Shard, report_path: Path) -> int:
    """Run shard ``shard`` of the certifications and write its report. A shard is never the verdict: it
    exits 6 when its share found nothing wrong, 1 when a mutant of it survived unexplained or the
    reference connector (if dealt to it) did not pass; the merge of every shard is the verdict."""
    from harness.certification import write_report

    started = time.perf_counter()
    dealt, weight = shares(names, shard.count)
    mine = dealt[shard.index - 1]
    reference, outcomes = run_certifications(mine, workers, options, stop_unless_reference_passes=False)
    write_report(report_path, report(
        names, options, workers, reference, outcomes, time.perf_counter() - started,
        shard={"index": shard.index, "count": shard.count, "connectors": mine,
               "predicted_seconds": round(sum(weight[c] for c in mine), 1)}))
    for outcome in [*([reference] if reference else []), *outcomes.values()]:
        verdict = "passed" if outcome.passed else ("rejected" if outcome.rejected else "ERROR")
        print(f"{outcome.connector}: {outcome.verdict} ({verdict}) in {outcome.seconds:.0f} s"
              + (f", caught by {outcome.caught_by[0]}" if outcome.caught_by else ""))
    unexplained = [n for n, o in outcomes.items() if not o.rejected and n not in EXPLAINED_SURVIVORS]
    print(f"shard {shard}: {len(mine)} certifications in {time.perf_counter() - started:.0f} s; wrote {report_path}; "
          "`refund-harness merge` of every shard gives the kill rate and the verdict")
    return ExitCode.FAILED if unexplained or (reference is not None and not reference.passed) else ExitCode.PARTIAL


def is_mutants_report(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False   # the certification merge reads it again and says what is wrong
    return isinstance(data, dict) and data.get("kind") == REPORT_KIND


def read_shard(path: Path) -> dict[str, Any]:
    def read(data: dict[str, Any]) -> None:
        identity(data)
        int(data["shard"]["index"])
        list(map(str, data["shard"]["connectors"]))
        float(data["seconds"])
        int(data["run"]["workers"])
        for outcome in [*([data["reference"]] if data["reference"] is not None else []), *data["mutants"].values()]:
            Outcome.from_dict(outcome)

    return read_shard_json(path, "mutants", lambda data: data.get("kind") == REPORT_KIND,
                           "a report of `refund-harness mutants`; a merge joins shards of one kind", read)


# what makes two shards parts of the same run, with how a message names each
IDENTITY: tuple[tuple[str, str], ...] = (
    ("count", "shard count"), ("git_commit", "commit"), ("mutants", "mutants"), ("pytest_args", "pytest options"))


def identity(data: dict[str, Any]) -> dict[str, Any]:
    return {"count": int(data["shard"]["count"]), "git_commit": data["run"]["git_commit"],
            "mutants": list(data["run"]["mutants"]), "pytest_args": list(data["run"]["pytest_args"])}


def merge(given: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """The report of the whole run from every shard's, or a ShardError naming each shard missing, given
    twice or of another run."""
    def named(path: Path, data: dict[str, Any]) -> str:
        return f"{path} (shard {data['shard']['index']}/{data['shard']['count']})"

    each_shard_of_one_run_once([(path, int(data["shard"]["index"]), identity(data)) for path, data in given], IDENTITY)
    first = given[0][1]
    expected = identity(first)
    count = expected["count"]
    ran: dict[str, Path] = {}
    reference = None
    outcomes: dict[str, dict[str, Any]] = {}
    for path, data in given:
        results = {**({REFERENCE: data["reference"]} if data["reference"] is not None else {}),
                   **{connector_of(name): outcome for name, outcome in data["mutants"].items()}}
        if sorted(results) != sorted(data["shard"]["connectors"]):
            raise ShardError(f"{named(path, data)} was dealt {len(data['shard']['connectors'])} certifications but "
                             f"reports {len(results)}: a damaged or hand-edited shard report")
        for connector in results:
            if connector in ran:
                raise ShardError(f"{connector} ran in both {ran[connector]} and {named(path, data)}: the shards "
                                 "dealt the certifications differently (different harness/mutants/seconds.json?)")
            ran[connector] = path
        reference = data["reference"] if data["reference"] is not None else reference
        outcomes.update(data["mutants"])
    wanted = {REFERENCE, *map(connector_of, expected["mutants"])}
    if set(ran) != wanted:
        raise ShardError(f"the shards certified {len(ran)} connectors between them, but the run has {len(wanted)} "
                         f"(the reference connector and {len(expected['mutants'])} mutants)")
    ordered = sorted(given, key=lambda item: int(item[1]["shard"]["index"]))
    return {"kind": REPORT_KIND, "run": first["run"], "shard": None, "reference": reference,
            "mutants": dict(sorted(outcomes.items())),
            "seconds": max(float(data["seconds"]) for _, data in given),   # the shards run side by side
            "shards": [{"shard": f"{data['shard']['index']}/{count}", "certifications": len(data["shard"]["connectors"]),
                        "predicted_seconds": data["shard"]["predicted_seconds"], "seconds": data["seconds"]}
                       for _, data in ordered]}
