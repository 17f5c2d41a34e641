"""`refund-harness mutants`: certify every mutant, print which the certification rejected and why.

Each mutant is certified in a process of its own (the same pytest run `refund-harness certify`
makes), several at a time, stopping at its first failing scenario (``-x``): one failure already makes
the verdict "failed". The scenarios that caught a mutant before (``CATCHES_PATH``, kept by ``--learn``)
run first for it, then those that caught most other mutants, then the rest. The shipped reference
connector is certified first: if it does not pass, a rejected mutant proves nothing. A mutant that
survives is a missing scenario, unless ``EXPLAINED_SURVIVORS`` says why its bug cannot be observed from
outside the connector.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.exit_codes import ExitCode
from harness.mutants import MUTANTS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CATCHES_PATH = Path(__file__).resolve().parent / "catches.json"   # mutant -> scenarios that caught it
KEPT_CATCHES = 3   # per mutant: enough to survive a renamed scenario, few enough to stay cheap
REFERENCE = "harness.connectors.reference:reference_connector"

# Bugs no black-box certification can see, with the reason; `make mutants` accepts these survivors.
EXPLAINED_SURVIVORS: dict[str, str] = {}


@dataclass(frozen=True)
class Outcome:
    connector: str
    verdict: str            # the certification's verdict, or "error" when the run itself broke
    reasons: tuple[str, ...]
    seconds: float
    caught_by: tuple[str, ...] = ()   # the failed scenarios (with -x, the first that failed)

    @property
    def rejected(self) -> bool:
        return self.verdict not in ("certified", "error")


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
                   tuple(data["scenarios"].get("why_failed", {})))


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


def run(names: list[str], workers: int, learn_catches: bool = False) -> int:
    """Certify the reference connector, then each mutant; ``learn_catches`` records what caught each."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    started = time.perf_counter()
    catches = load_catches()
    with tempfile.TemporaryDirectory(prefix="refund-mutants-") as tmp:
        workdir = Path(tmp)
        # nothing else runs yet: the reference certification gets every worker
        reference = certify(REFERENCE, workdir, options=["-n", str(workers)] if workers > 1 else [])
        if reference.verdict != "certified":
            console.print(f"the reference connector is not certified ({reference.verdict}); fix that first:")
            for reason in reference.reasons[:10]:
                console.print(f"  - {reason}")
            return ExitCode.INTERNAL_ERROR
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(
                lambda n: certify(f"harness.mutants:{n}", workdir, first=scenario_order(n, catches)), names))
    if learn_catches:
        learn(names, outcomes, catches)
    table = Table(title=f"Mutants: the certification against {len(names)} deliberately broken connectors")
    for column in ("mutant", "bug", "verdict", "caught by", "first reason", "s"):
        table.add_column(column, overflow="fold")
    for name, outcome in zip(names, outcomes):
        verdict = "rejected" if outcome.rejected else ("ERROR" if outcome.verdict == "error" else "SURVIVED")
        first = outcome.reasons[0] if outcome.reasons else EXPLAINED_SURVIVORS.get(name, "-")
        table.add_row(name, MUTANTS[name].bug, verdict, "\n".join(outcome.caught_by) or "-", first[:220],
                      f"{outcome.seconds:.0f}")
    console.print(table)
    killed = sum(o.rejected for o in outcomes)
    console.print(f"kill rate: {killed}/{len(names)} = {100 * killed / len(names):.0f}%  "
                  f"(reference connector certified in {reference.seconds:.1f} s; {workers} at a time; "
                  f"{time.perf_counter() - started:.0f} s in all)")
    if learn_catches:
        console.print(f"recorded what caught each mutant in {CATCHES_PATH.relative_to(PROJECT_ROOT)}")
    survivors = [n for n, o in zip(names, outcomes) if not o.rejected]
    unexplained = [n for n in survivors if n not in EXPLAINED_SURVIVORS]
    for name in survivors:
        console.print(f"survivor {name}: {EXPLAINED_SURVIVORS.get(name, 'NO SCENARIO CATCHES THIS BUG YET')}")
    return ExitCode.FAILED if unexplained else ExitCode.OK
