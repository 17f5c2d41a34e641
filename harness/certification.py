"""The certification report: a storefront x direction matrix and the evidence behind each cell.

The matrix is every registered platform x every direction it offers. Scenario results arrive from
pytest reports (also across xdist workers, through user_properties); this module aggregates them
into the matrix, renders the terminal table and writes the JSON atomically. A row no scenario
exercised is "not covered", never "certified".
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

EVIDENCE_KEY = "refund_harness_evidence"


@dataclass
class ScenarioOutcome:
    nodeid: str
    name: str
    passed: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    why: str = ""   # for a failed scenario: the assertion or error that failed it, in one line
    skipped: bool = False   # a skipped scenario proves nothing: it counts against its cell like a failure


NOT_COVERED = "not covered"


@dataclass(frozen=True)
class MatrixRow:
    platform: str        # registry name
    storefront: str      # display name
    direction: str
    line_items: bool


@dataclass
class Cell:
    row: MatrixRow
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)   # failed scenario -> why
    orders: list[dict[str, Any]] = field(default_factory=list)
    detected_mismatches: list[dict[str, Any]] = field(default_factory=list)

    def totals(self, side: str) -> dict[str, str]:
        """Refund totals of one side per currency: amounts in different currencies are never added."""
        sums: dict[str, Decimal] = {}
        for order in self.orders:
            sums[order["currency"]] = sums.get(order["currency"], Decimal(0)) + Decimal(order[side])
        return {currency: str(amount) for currency, amount in sorted(sums.items())}

    def verdict(self) -> str:
        if not self.failed and not self.passed:
            return NOT_COVERED
        ok = (not self.failed and self.passed and self.orders
              and self.totals("storefront_total") == self.totals("netsuite_total")
              and all(o["matches"] for o in self.orders))
        return "certified" if ok else "failed"

    def reasons(self) -> list[str]:
        if self.verdict() == NOT_COVERED:
            return ["no scenario ran for this storefront and direction, so nothing is proven"]
        reasons = [_failed(name, self.why.get(name, "")) for name in self.failed]
        if not self.orders:
            reasons.append("no refund was synced in this direction, so nothing proves the totals")
        reasons += [o["description"] for o in self.orders if not o["matches"]]
        return reasons


def build_report(outcomes: list[ScenarioOutcome], matrix: list[MatrixRow], connector: str = "",
                 narrowed_by: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """One row per matrix cell (platform x offered direction), with what the scenarios proved of it.

    ``narrowed_by`` says why the run covered less than the whole suite (-k, -m, a feature or path
    selection, deselected scenarios): such a run is at best "partial", even if every row it covered
    is certified, because the scenarios it left out could have failed."""
    cells = {(row.platform, row.direction): Cell(row) for row in matrix}
    for outcome in outcomes:
        for exercised in outcome.evidence.get("cells", []):
            key = (exercised["platform"], exercised["direction"])
            cell = cells.get(key)
            if cell is None:   # a direction the registry says the platform does not offer
                continue
            (cell.passed if outcome.passed else cell.failed).append(outcome.name)
            if not outcome.passed:
                cell.why[outcome.name] = outcome.why
            orders = [o for o in outcome.evidence.get("orders", [])
                      if (o["platform"], o["direction"]) == key]
            # a deliberate misconfiguration proves detection, not matching totals
            (cell.detected_mismatches if outcome.evidence.get("expect_mismatch") else cell.orders).extend(orders)
    rows = [{
        "storefront": cell.row.storefront,
        "platform": cell.row.platform,
        "direction": cell.row.direction,
        "line_items": cell.row.line_items,
        "scenarios_passed": len(cell.passed),
        "scenarios_failed": len(cell.failed),
        "orders": len(cell.orders),
        "storefront_refund_total": cell.totals("storefront_total"),
        "netsuite_refund_total": cell.totals("netsuite_total"),
        "verdict": cell.verdict(),
        "reasons": cell.reasons(),
        "evidence": {
            "scenarios": sorted(set(cell.passed + cell.failed)),
            "orders": cell.orders,
            "detected_mismatches": cell.detected_mismatches,
        },
    } for _, cell in sorted(cells.items())]
    failed_outside_cells = sorted(o.name for o in outcomes if not o.passed and not o.evidence.get("cells"))
    verdicts = {r["verdict"] for r in rows}
    if failed_outside_cells or "failed" in verdicts or not rows:
        verdict = "failed"
    elif NOT_COVERED in verdicts or narrowed_by:
        verdict = "partial"   # nothing failed, but some storefront x direction or scenario was not proven
    else:
        verdict = "certified"
    return {"verdict": verdict, "connector": connector, "rows": rows, "narrowed_by": list(narrowed_by),
            "scenarios": {"passed": sum(o.passed for o in outcomes),
                          "failed": sum(not o.passed and not o.skipped for o in outcomes),
                          "skipped": sum(o.skipped for o in outcomes),
                          "failed_without_cell": failed_outside_cells,
                          "why_failed": {o.name: o.why for o in outcomes if not o.passed}}}


def write_report(path: Path, report: Any) -> None:
    write_atomically(path, json.dumps(report, indent=2) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """A reader never sees half a report, even if the run is killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def render_table(report: dict[str, Any]):
    from rich.table import Table

    table = Table(title=f"Refund sync certification: {report['verdict'].upper()}")
    for column in ("storefront", "direction", "line items", "passed", "failed", "orders",
                   "storefront total", "NetSuite total", "verdict"):
        table.add_column(column)
    for row in report["rows"]:
        table.add_row(row["storefront"], row["direction"], "yes" if row["line_items"] else "no (general)",
                      str(row["scenarios_passed"]), str(row["scenarios_failed"]), str(row["orders"]),
                      money_text(row["storefront_refund_total"]), money_text(row["netsuite_refund_total"]),
                      row["verdict"])
    return table


def money_text(totals: dict[str, str]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in totals.items()) or "-"


def failure_reasons(report: dict[str, Any]) -> list[str]:
    """Why a report is not certified, one line each, for the terminal."""
    reasons = [f"{row['storefront']} {row['direction']}: {reason}"
               for row in report["rows"] if row["verdict"] != "certified" for reason in row["reasons"]]
    why = report["scenarios"].get("why_failed", {})
    reasons += [_failed(name, why.get(name, "")) for name in report["scenarios"]["failed_without_cell"]]
    if not report["rows"]:
        reasons.append("no storefront is registered, so nothing is certified")
    reasons += [f"partial run: {why}" for why in report.get("narrowed_by", [])]
    return reasons


def _failed(name: str, why: str) -> str:
    return f"scenario failed: {name}" + (f" -- {why}" if why else "")


def evidence_property(evidence: dict[str, Any]) -> tuple[str, str]:
    return (EVIDENCE_KEY, json.dumps(evidence))


def environment(root: Path) -> dict[str, Any]:
    """What produced a report: project version and commit, Python and the packages that judge it."""
    import platform
    import subprocess
    from importlib import metadata

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "unknown"

    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        commit = done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "unknown", False
    return {"project_version": version("refund-harness"),
            "git_commit": commit + ("+uncommitted changes" if dirty and commit != "unknown" else ""),
            "python": platform.python_version(),
            "packages": {name: version(name) for name in ("pytest", "pytest-bdd", "pytest-xdist", "httpx")}}
