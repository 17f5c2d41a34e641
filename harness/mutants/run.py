"""`refund-harness mutants`: certify every mutant, print which the certification rejected and why.

Each mutant is certified in a process of its own (the same pytest run `refund-harness certify`
makes), several at a time, stopping at its first failing scenario (``-x``): one failure already makes
the verdict "failed". The scenarios that caught a mutant before (``CATCHES_PATH``, kept by ``--learn``)
run first for it, then those that caught most other mutants, then the rest. The shipped reference
connector is certified first: if it does not pass, a rejected mutant proves nothing. A mutant that
survives is a missing scenario, unless ``EXPLAINED_SURVIVORS`` says why its bug cannot be observed from
outside the connector.

``--shard I/N`` runs a share of those certifications (``harness.mutants.fanout`` deals them by their
recorded seconds) and writes a report that ``refund-harness merge`` joins with the other shards' into
the table and verdict an unsharded run gives.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.exit_codes import ExitCode
from harness.mutants import MUTANTS
from harness.shards import ShardError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CATCHES_PATH = Path(__file__).resolve().parent / "catches.json"   # mutant -> scenarios that caught it
SECONDS_PATH = Path(__file__).resolve().parent / "seconds.json"   # certification -> seconds it took
KEPT_CATCHES = 3   # per mutant: enough to survive a renamed scenario, few enough to stay cheap
REFERENCE = "harness.connectors.reference:reference_connector"
REPORT_KIND = "refund-harness mutants"   # marks a mutants report among the files `merge` is given

# Bugs no black-box certification can see, with the reason; `make mutants` accepts these survivors.
EXPLAINED_SURVIVORS: dict[str, str] = {}


def connector_of(name: str) -> str:
    return f"harness.mutants:{name}"


@dataclass(frozen=True)
class Outcome:
    connector: str
    verdict: str            # the certification's verdict, or "error" when the run itself broke
    reasons: tuple[str, ...]
    seconds: float
    caught_by: tuple[str, ...] = ()   # the failed scenarios (with -x, the first that failed)
    narrowed: bool = False   # pytest options narrowed the run, so "partial" is the best verdict it can get

    @property
    def passed(self) -> bool:
        """Judged as good as the reference connector must be: certified, or partial in a narrowed run."""
        return self.verdict == "certified" or (self.verdict == "partial" and self.narrowed)

    @property
    def rejected(self) -> bool:
        return not self.passed and self.verdict != "error"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reasons": list(self.reasons), "caught_by": list(self.caught_by),
                "seconds": round(self.seconds, 2)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outcome":
        return cls(str(data["connector"]), str(data["verdict"]), tuple(map(str, data["reasons"])),
                   float(data["seconds"]), tuple(map(str, data["caught_by"])), bool(data["narrowed"]))


def certify(connector: str, workdir: Path, first: list[str] = (), options: list[str] = ()) -> Outcome:
    """One certification, stopped at its first failing scenario; ``first``: the scenarios to run first."""
    report = workdir / f"{connector.rsplit(':', 1)[-1]}.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(PROJECT_ROOT / "tests" / "acceptance"), "-q", "--tb=no", "-x",
         "-p", "no:cacheprovider", f"--rootdir={PROJECT_ROOT}", f"--certification-report={report}",
         f"--connector={connector}", *(f"--harness-first={name}" for name in first), *options],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - started
    if not report.exists():
        return Outcome(connector, "error", (done.stdout.strip().splitlines() or ["no output"])[-1:], seconds)
    data = json.loads(report.read_text())
    reasons = [reason for row in data["rows"] for reason in row["reasons"] if row["verdict"] == "failed"]
    reasons += [f"{name}: {why}" for name, why in data["scenarios"].get("why_failed", {}).items()
                if name in data["scenarios"]["failed_without_cell"]]
    return Outcome(connector, data["verdict"], tuple(reasons), seconds,
                   tuple(data["scenarios"].get("why_failed", {})), bool(data["narrowed_by"]))


def load_catches(path: Path = CATCHES_PATH) -> dict[str, list[str]]:
    return json.loads(path.read_text()) if path.is_file() else {}


def scenario_order(name: str, catches: dict[str, list[str]]) -> list[str]:
    """The scenarios to try first against a mutant: those that caught it before, then those that caught
    the most other mutants (a new mutant is most likely caught where the others were)."""
    caught: dict[str, int] = {}
    for scenarios in catches.values():
        for scenario in scenarios:
            caught[scenario] = caught.get(scenario, 0) + 1
    others = sorted(caught, key=lambda scenario: (-caught[scenario], scenario))
    return list(dict.fromkeys([*catches.get(name, []), *others]))


def learn(names: list[str], outcomes: list[Outcome], catches: dict[str, list[str]]) -> None:
    """Record what caught each mutant (newest first, a few each), for the next run's order."""
    for name, outcome in zip(names, outcomes):
        if outcome.rejected and outcome.caught_by:
            catches[name] = list(dict.fromkeys([*outcome.caught_by, *catches.get(name, [])]))[:KEPT_CATCHES]
    from harness.certification import write_atomically

    write_atomically(CATCHES_PATH, json.dumps(dict(sorted(catches.items())), indent=1) + "\n")


def run_certifications(connectors: list[str], workers: int, options: list[str],
                       stop_unless_reference_passes: bool) -> tuple[Outcome | None, dict[str, Outcome]]:
    """The reference connector's certification (when ``connectors`` has it; it goes first, with every
    worker) and each mutant's, ``workers`` at a time. Returns the reference's outcome and each mutant's
    by name; none are run when the reference does not pass and ``stop_unless_reference_passes``."""
    catches = load_catches()
    names = [connector.rsplit(":", 1)[-1] for connector in connectors if connector != REFERENCE]
    reference = None
    with tempfile.TemporaryDirectory(prefix="refund-mutants-") as tmp:
        workdir = Path(tmp)
        if REFERENCE in connectors:
            # nothing else runs yet: the reference certification gets every worker
            reference = certify(REFERENCE, workdir, options=[*options, *(["-n", str(workers)] if workers > 1 else [])])
            if stop_unless_reference_passes and not reference.passed:
                return reference, {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(
                lambda n: certify(connector_of(n), workdir, first=scenario_order(n, catches), options=options),
                names))
    return reference, dict(zip(names, outcomes))


def report(names: list[str], options: list[str], workers: int, reference: Outcome | None,
           outcomes: dict[str, Outcome], seconds: float, shard: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a run (or one shard of it) found, as JSON: what ``--report`` writes and ``merge`` reads."""
    from harness.certification import environment

    return {"kind": REPORT_KIND,
            "run": {"mutants": sorted(names), "pytest_args": list(options), "workers": workers,
                    "git_commit": environment(PROJECT_ROOT)["git_commit"]},
            "shard": shard,
            "reference": None if reference is None else reference.as_dict(),
            "mutants": {name: outcomes[name].as_dict() for name in sorted(outcomes)},
            "seconds": round(seconds, 1)}


def load_seconds(path: Path = SECONDS_PATH) -> dict[str, float]:
    """Recorded seconds per certification (connector); an absent file records none."""
    if not path.exists():
        return {}
    try:
        return {str(connector): float(seconds)
                for connector, seconds in json.loads(path.read_text(encoding="utf-8"))["seconds"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShardError(f"cannot read the mutants' recorded seconds {path}: {exc!r}; regenerate it with "
                         "`refund-harness mutants --learn`") from None


def record_seconds(reference: Outcome | None, outcomes: dict[str, Outcome], path: Path = SECONDS_PATH) -> None:
    """Write the seconds each certification of this run took over the recorded ones (``--shard`` deals
    by them); entries of certifications not run are kept."""
    from harness.certification import write_atomically

    recorded = load_seconds(path)
    measured = {o.connector: o.seconds for o in [*([reference] if reference else []), *outcomes.values()]}
    recorded.update({connector: round(seconds, 1) for connector, seconds in measured.items()})
    write_atomically(path, json.dumps({"regenerate": "refund-harness mutants --learn",
                                       "seconds": dict(sorted(recorded.items()))}, indent=1) + "\n")


def run(names: list[str], workers: int, learn_catches: bool = False, options: list[str] = (),
        report_path: Path | None = None) -> int:
    """Certify the reference connector, then each mutant; ``learn_catches`` records what caught each and
    the seconds each took; ``options`` go to every certification's pytest; ``report_path``: write the
    results there as JSON."""
    started = time.perf_counter()
    reference, outcomes = run_certifications([REFERENCE, *map(connector_of, names)], workers, list(options),
                                             stop_unless_reference_passes=True)
    if learn_catches and outcomes:
        learn(names, [outcomes[name] for name in names], load_catches())
        record_seconds(reference, outcomes)
    result = report(names, list(options), workers, reference, outcomes, time.perf_counter() - started)
    if report_path is not None:
        from harness.certification import write_report

        write_report(report_path, result)
    code = present(result)
    if learn_catches and outcomes:
        print(f"recorded what caught each mutant in {CATCHES_PATH.relative_to(PROJECT_ROOT)} and the seconds "
              f"each took in {SECONDS_PATH.relative_to(PROJECT_ROOT)}")
    return code


def present(result: dict[str, Any], title_prefix: str = "") -> int:
    """Print the table and the kill rate of a run's (or a merge's) report; returns the run's exit code:
    0 when every survivor is explained, 1 otherwise, 3 when the reference connector did not pass."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    reference = Outcome.from_dict(result["reference"])
    if not reference.passed:
        console.print(f"the reference connector is not certified ({reference.verdict}); fix that first:")
        for reason in reference.reasons[:10]:
            console.print(f"  - {reason}")
        return ExitCode.INTERNAL_ERROR
    names = result["run"]["mutants"]
    outcomes = {name: Outcome.from_dict(result["mutants"][name]) for name in names}
    table = Table(title=f"{title_prefix}Mutants: the certification against {len(names)} deliberately broken "
                        "connectors")
    for column in ("mutant", "bug", "verdict", "caught by", "first reason", "s"):
        table.add_column(column, overflow="fold")
    for name in names:
        outcome = outcomes[name]
        verdict = "rejected" if outcome.rejected else ("ERROR" if outcome.verdict == "error" else "SURVIVED")
        first = outcome.reasons[0] if outcome.reasons else EXPLAINED_SURVIVORS.get(name, "-")
        bug = MUTANTS[name].bug if name in MUTANTS else "(not in this checkout)"
        table.add_row(name, bug, verdict, "\n".join(outcome.caught_by) or "-", first[:220], f"{outcome.seconds:.0f}")
    console.print(table)
    killed = sum(o.rejected for o in outcomes.values())
    console.print(f"kill rate: {killed}/{len(names)} = {100 * killed / max(len(names), 1):.0f}%  "
                  f"(reference connector certified in {reference.seconds:.1f} s; {result['run']['workers']} at a "
                  f"time; {result['seconds']:.0f} s in all)")
    survivors = [name for name in names if not outcomes[name].rejected]
    for name in survivors:
        console.print(f"survivor {name}: {EXPLAINED_SURVIVORS.get(name, 'NO SCENARIO CATCHES THIS BUG YET')}")
    return ExitCode.FAILED if [n for n in survivors if n not in EXPLAINED_SURVIVORS] else ExitCode.OK
