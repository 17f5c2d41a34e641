"""`refund-harness mutants`: certify every mutant, print which the certification rejected and why.

Each mutant is certified in a process of its own (the same pytest run `refund-harness certify`
makes), several at a time. The shipped reference connector is certified first: if it does not pass,
a rejected mutant proves nothing. A mutant that survives is a missing scenario, unless
``EXPLAINED_SURVIVORS`` says why its bug cannot be observed from outside the connector.
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

from harness.mutants import MUTANTS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = "harness.connectors.reference:reference_connector"

# Bugs no black-box certification can see, with the reason; `make mutants` accepts these survivors.
EXPLAINED_SURVIVORS: dict[str, str] = {}


@dataclass(frozen=True)
class Outcome:
    connector: str
    verdict: str            # the certification's verdict, or "error" when the run itself broke
    reasons: tuple[str, ...]
    seconds: float

    @property
    def rejected(self) -> bool:
        return self.verdict not in ("certified", "error")


def certify(connector: str, workdir: Path) -> Outcome:
    report = workdir / f"{connector.rsplit(':', 1)[-1]}.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(PROJECT_ROOT / "tests" / "acceptance"), "-q", "--tb=no",
         "-p", "no:cacheprovider", f"--rootdir={PROJECT_ROOT}", f"--certification-report={report}",
         f"--connector={connector}"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - started
    if not report.exists():
        return Outcome(connector, "error", (done.stdout.strip().splitlines() or ["no output"])[-1:], seconds)
    data = json.loads(report.read_text())
    reasons = [reason for row in data["rows"] for reason in row["reasons"] if row["verdict"] == "failed"]
    reasons += [f"{name}: {why}" for name, why in data["scenarios"].get("why_failed", {}).items()
                if name in data["scenarios"]["failed_without_cell"]]
    return Outcome(connector, data["verdict"], tuple(reasons), seconds)


def run(names: list[str], workers: int) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    with tempfile.TemporaryDirectory(prefix="refund-mutants-") as tmp:
        workdir = Path(tmp)
        reference = certify(REFERENCE, workdir)
        if reference.verdict != "certified":
            console.print(f"the reference connector is not certified ({reference.verdict}); fix that first:")
            for reason in reference.reasons[:10]:
                console.print(f"  - {reason}")
            return 2
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda n: certify(f"harness.mutants:{n}", workdir), names))
    table = Table(title=f"Mutants: the certification against {len(names)} deliberately broken connectors")
    for column in ("mutant", "bug", "verdict", "caught by (first reason)"):
        table.add_column(column, overflow="fold")
    for name, outcome in zip(names, outcomes):
        verdict = "rejected" if outcome.rejected else ("ERROR" if outcome.verdict == "error" else "SURVIVED")
        first = outcome.reasons[0] if outcome.reasons else EXPLAINED_SURVIVORS.get(name, "-")
        table.add_row(name, MUTANTS[name].bug, verdict, first[:220])
    console.print(table)
    killed = sum(o.rejected for o in outcomes)
    console.print(f"kill rate: {killed}/{len(names)} = {100 * killed / len(names):.0f}%  "
                  f"(reference connector certified in {reference.seconds:.1f} s; {workers} at a time)")
    survivors = [n for n, o in zip(names, outcomes) if not o.rejected]
    unexplained = [n for n in survivors if n not in EXPLAINED_SURVIVORS]
    for name in survivors:
        console.print(f"survivor {name}: {EXPLAINED_SURVIVORS.get(name, 'NO SCENARIO CATCHES THIS BUG YET')}")
    return 1 if unexplained else 0
