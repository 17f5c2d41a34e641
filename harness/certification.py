"""The certification report: a storefront x direction matrix and the evidence behind each cell.

The matrix is every registered platform x every direction it offers. Scenario results arrive from
pytest reports (also across xdist workers, through user_properties); this module aggregates them
into the matrix, renders the terminal table and writes the JSON atomically. A scenario counts against
the rows it exercises (its platform and the direction it tests), whether it failed in setup or later.
Only the rows the connector claims are certified: the others are "not claimed". A claimed row no
scenario exercised is "not covered", never "certified".
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.code_state import code_state
from harness.exit_codes import ExitCode
from harness.failure_groups import group_failures

EVIDENCE_KEY = "refund_harness_evidence"


@dataclass(frozen=True)
class OrderProof:
    """One order a scenario refunded, reconciled: the refund totals of each side and whether they match."""

    order_id: str
    platform: str        # registry name
    direction: str
    currency: str
    storefront_total: Decimal
    netsuite_total: Decimal
    matches: bool
    description: str

    def as_json(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "platform": self.platform, "direction": self.direction,
                "currency": self.currency, "storefront_total": str(self.storefront_total),
                "netsuite_total": str(self.netsuite_total), "matches": self.matches, "description": self.description}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "OrderProof":
        return cls(data["order_id"], data["platform"], data["direction"], data["currency"],
                   Decimal(data["storefront_total"]), Decimal(data["netsuite_total"]), data["matches"],
                   data["description"])


@dataclass(frozen=True)
class Evidence:
    """What one scenario proves for the certification matrix: the (platform, direction) rows it left
    switched on, the orders it refunded, and whether it set up a mismatch on purpose (then its orders
    prove detection, not matching totals). One JSON form (``as_json``/``from_json``) carries it from an
    xdist worker to the controller and into a shard's report."""

    cells: tuple[tuple[str, str], ...] = ()
    orders: tuple[OrderProof, ...] = ()
    expect_mismatch: bool = False
    seed: int | None = None
    # scheduled runs whose report (seam.RunReport) was held to what the run did, and runs that returned none
    run_reports_checked: int = 0
    run_reports_not_checked: int = 0

    def including(self, other: "Evidence") -> "Evidence":
        """This evidence with ``other``'s rows and orders counted as its own (a scenario that explored
        in Worlds of its own proves what they proved)."""
        return Evidence(tuple(sorted(set(self.cells) | set(other.cells))), self.orders + other.orders,
                        self.expect_mismatch, self.seed, self.run_reports_checked + other.run_reports_checked,
                        self.run_reports_not_checked + other.run_reports_not_checked)

    def as_json(self) -> dict[str, Any]:
        if self == Evidence():
            return {}
        data = {"cells": [{"platform": platform, "direction": direction} for platform, direction in self.cells],
                "orders": [order.as_json() for order in self.orders],
                "expect_mismatch": self.expect_mismatch, "seed": self.seed}
        if self.run_reports_checked or self.run_reports_not_checked:
            data["run_reports"] = {"checked": self.run_reports_checked, "not_checked": self.run_reports_not_checked}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Evidence":
        run_reports = data.get("run_reports") or {}
        return cls(tuple((cell["platform"], cell["direction"]) for cell in data.get("cells", [])),
                   tuple(OrderProof.from_json(order) for order in data.get("orders", [])),
                   bool(data.get("expect_mismatch", False)), data.get("seed"),
                   int(run_reports.get("checked", 0)), int(run_reports.get("not_checked", 0)))


@dataclass
class ScenarioOutcome:
    nodeid: str
    name: str
    passed: bool
    evidence: Evidence = field(default_factory=Evidence)
    why: str = ""   # for a failed scenario: the assertion or error that failed it, in one line
    skipped: bool = False   # a skipped scenario proves nothing: it counts against its cell like a failure
    # (platform, direction) rows the scenario exercises, known before it runs; None for a scenario that
    # has no storefront parameter, whose rows are the accounts it left switched on (evidence "cells")
    rows: list[tuple[str, str]] | None = None

    def exercised(self) -> list[tuple[str, str]]:
        if self.rows is not None:
            return [tuple(row) for row in self.rows]   # type: ignore[misc]
        return list(self.evidence.cells)


NOT_COVERED = "not covered"
NOT_CLAIMED = "not claimed"


@dataclass(frozen=True)
class MatrixRow:
    platform: str        # registry name
    storefront: str      # display name
    direction: str
    line_items: bool


@dataclass
class Cell:
    row: MatrixRow
    claimed: bool = True
    not_claimed: list[str] = field(default_factory=list)   # scenarios of this row left out by the claim
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)   # failed scenario -> why
    orders: list[OrderProof] = field(default_factory=list)
    detected_mismatches: list[OrderProof] = field(default_factory=list)

    def totals(self, side: str) -> dict[str, str]:
        """Refund totals of one side per currency: amounts in different currencies are never added."""
        sums: dict[str, Decimal] = {}
        for order in self.orders:
            sums[order.currency] = sums.get(order.currency, Decimal(0)) + getattr(order, side)
        return {currency: str(amount) for currency, amount in sorted(sums.items())}

    def verdict(self) -> str:
        if not self.claimed:
            return NOT_CLAIMED
        if not self.failed and not self.passed:
            return NOT_COVERED
        ok = (not self.failed and self.passed and self.orders
              and self.totals("storefront_total") == self.totals("netsuite_total")
              and all(o.matches for o in self.orders))
        return "certified" if ok else "failed"

    def reasons(self) -> list[str]:
        if self.verdict() == NOT_CLAIMED:
            return ["the connector does not claim this storefront and direction, so it is not certified"]
        if self.verdict() == NOT_COVERED:
            return ["no scenario ran for this storefront and direction, so nothing is proven"]
        reasons = [_failed(name, self.why.get(name, "")) for name in self.failed]
        if not self.orders:
            reasons.append("no refund was synced in this direction, so nothing proves the totals")
        reasons += [o.description for o in self.orders if not o.matches]
        return reasons


def _in_stable_order(orders: list[OrderProof]) -> list[dict[str, Any]]:
    """The orders as JSON in one order whatever order the scenarios finished in (``-n`` runs them in
    parallel), so a report is the same for the same seed with or without workers."""
    return sorted((order.as_json() for order in orders), key=lambda proof: json.dumps(proof, sort_keys=True))


def build_report(outcomes: list[ScenarioOutcome], matrix: list[MatrixRow], connector: str = "",
                 narrowed_by: list[str] | tuple[str, ...] = (), claim: dict[str, Any] | None = None,
                 not_claimed: list[dict[str, Any]] | tuple = ()) -> dict[str, Any]:
    """One row per matrix cell (platform x offered direction), with what the scenarios proved of it.

    ``claim`` is what the connector claims (``harness.claims.CertifiedClaim.as_dict()``); without it every
    row is claimed. ``not_claimed``: the scenarios left out because they need an unclaimed row or
    behaviour ({"name", "rows", "why"}); they count for nothing, neither passed nor failed.
    ``narrowed_by`` says why the run covered less than the whole suite (-k, -m, a feature or path
    selection, deselected scenarios): such a run is at best "partial", even if every row it covered
    is certified, because the scenarios it left out could have failed."""
    claimed = None if claim is None else {(r["platform"], r["direction"]) for r in claim["rows"]}
    cells = {(row.platform, row.direction): Cell(row, claimed=claimed is None or (row.platform, row.direction) in claimed)
             for row in matrix}
    outside_claim: list[str] = []   # failed, yet exercised no claimed row
    for outcome in outcomes:
        counted = False
        for key in dict.fromkeys(outcome.exercised()):
            cell = cells.get(key)
            if cell is None or not cell.claimed:   # a direction the platform does not offer, or not claimed
                continue
            counted = True
            (cell.passed if outcome.passed else cell.failed).append(outcome.name)
            if not outcome.passed:
                cell.why[outcome.name] = outcome.why
            orders = [o for o in outcome.evidence.orders if (o.platform, o.direction) == key]
            # a deliberate misconfiguration proves detection, not matching totals
            (cell.detected_mismatches if outcome.evidence.expect_mismatch else cell.orders).extend(orders)
        if not counted and not outcome.passed:
            outside_claim.append(outcome.name)
    for scenario in not_claimed:
        for key in scenario["rows"]:
            if tuple(key) in cells:
                cells[tuple(key)].not_claimed.append(scenario["name"])
    rows = [{
        "storefront": cell.row.storefront,
        "platform": cell.row.platform,
        "direction": cell.row.direction,
        "line_items": cell.row.line_items,
        "claimed": cell.claimed,
        "scenarios_passed": len(cell.passed),
        "scenarios_failed": len(cell.failed),
        "scenarios_not_claimed": len(cell.not_claimed),
        "orders": len(cell.orders),
        "storefront_refund_total": cell.totals("storefront_total"),
        "netsuite_refund_total": cell.totals("netsuite_total"),
        "verdict": cell.verdict(),
        "reasons": cell.reasons(),
        "evidence": {
            "scenarios": sorted(set(cell.passed + cell.failed)),
            "orders": _in_stable_order(cell.orders),
            "detected_mismatches": _in_stable_order(cell.detected_mismatches),
        },
    } for _, cell in sorted(cells.items())]
    failed_outside_cells = sorted(outside_claim)
    names = tuple(dict.fromkeys(name for row in matrix for name in (row.platform, row.storefront)))
    groups = group_failures([(o.name, o.why, o.exercised()) for o in outcomes if not o.passed], names)
    verdicts = {r["verdict"] for r in rows if r["claimed"]}
    if failed_outside_cells or "failed" in verdicts or not verdicts:
        verdict = "failed"
    elif NOT_COVERED in verdicts or narrowed_by:
        verdict = "partial"   # nothing failed, but some storefront x direction or scenario was not proven
    else:
        verdict = "certified"
    description = claim["description"] if claim is not None else "every storefront and direction"
    return {"verdict": verdict, "headline": f"{verdict.capitalize()}: {description}", "connector": connector,
            "claim": claim if claim is not None else {
                "rows": [{"platform": row.platform, "direction": row.direction} for row in matrix],
                "not_offered": [], "narrowed_by": [], "description": description},
            "rows": rows, "narrowed_by": list(narrowed_by),
            "failure_groups": [g.as_json() for g in groups],
            "scenarios": {"passed": sum(o.passed for o in outcomes),
                          "failed": sum(not o.passed and not o.skipped for o in outcomes),
                          "skipped": sum(o.skipped for o in outcomes),
                          "not_claimed": len(not_claimed),
                          "failed_without_cell": failed_outside_cells,
                          "why_failed": {o.name: o.why for o in outcomes if not o.passed},
                          "why_not_claimed": {s["name"]: s["why"] for s in not_claimed}},
            # a connector need not report its scheduled runs (seam.RunReport): a run that did not was not
            # checked for what it counted, and says so here rather than passing for checked
            "scheduled_run_reports": {
                "checked": sum(o.evidence.run_reports_checked for o in outcomes),
                "not_checked": sum(o.evidence.run_reports_not_checked for o in outcomes)}}


def certification_report(outcomes: list[ScenarioOutcome], matrix: list[MatrixRow], connector: str,
                         narrowed_by: list[str], *, claim: dict[str, Any], not_claimed: list[dict[str, Any]],
                         selected: int, deselected: int, run: dict[str, Any]) -> dict[str, Any]:
    """A run's whole report: ``build_report``'s verdict and rows, the run's selection counts and its
    ``run`` section. The one place a certification run, sharded or not, becomes a report."""
    report = build_report(outcomes, matrix, connector, narrowed_by, claim=claim, not_claimed=not_claimed)
    report["scenarios"].update(selected=selected or len(outcomes), deselected=deselected)
    report["run"] = run
    return report


# exit codes of a certification run by verdict (README.md, docs/ci.md)
VERDICT_EXIT = {"certified": ExitCode.OK, "failed": ExitCode.FAILED, "partial": ExitCode.PARTIAL}


def print_summary(console, report: dict[str, Any], written: list[Path]) -> None:
    """The terminal's last screen of a run: matrix, failure groups, what else is not proven, the run,
    the files written, the headline and the verdict."""
    console.print()
    console.print(render_table(report))
    if report.get("failure_groups"):
        console.print(render_groups(report))
    for reason in failure_reasons(report, scenarios=False):
        console.print(f"  - {reason}")
    console.print(f"connector under test: {report['connector']}")
    run = report["run"]
    console.print(f"seed: {run['seed']}   replay: {run['replay']}", soft_wrap=True)
    for path in written:
        console.print(f"wrote {path}", soft_wrap=True)
    console.print(report["headline"], soft_wrap=True)
    console.print(f"verdict: {report['verdict']}")


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

    table = Table(title=f"Refund sync certification: {report.get('headline') or report['verdict'].upper()}")
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


def failure_reasons(report: dict[str, Any], *, scenarios: bool = True) -> list[str]:
    """Why a report is not certified, one line each. ``scenarios=False`` leaves out the failed scenarios
    (the failure groups say those once per cause) and keeps what no group says: rows not covered or
    without orders, totals that differ, a partial run."""
    reasons = [f"{row['storefront']} {row['direction']}: {reason}"
               for row in report["rows"] if row["verdict"] not in ("certified", NOT_CLAIMED) for reason in row["reasons"]
               if scenarios or not reason.startswith((FAILED_PREFIX, ORDER_PREFIX))]
    why = report["scenarios"].get("why_failed", {})
    if scenarios:
        reasons += [_failed(name, why.get(name, "")) for name in report["scenarios"]["failed_without_cell"]]
    if not report["rows"]:
        reasons.append("no storefront is registered, so nothing is certified")
    elif not any(row.get("claimed", True) for row in report["rows"]):
        reasons.append("the claim includes no row of the matrix, so nothing is certified")
    reasons += [f"partial run: {why}" for why in report.get("narrowed_by", [])]
    return reasons


FAILED_PREFIX = "scenario failed: "
ORDER_PREFIX = "order "   # an order whose sides differ (harness.reconcile's description): a failed scenario says it too


def _failed(name: str, why: str) -> str:
    return f"{FAILED_PREFIX}{name}" + (f" -- {why}" if why else "")


def render_groups(report: dict[str, Any]):
    """The failure groups as a compact terminal table (count, the check, the likely cause, the rows): the
    last screen holds them beside the matrix; examples and every failure's whole reason are in the reports."""
    from rich.table import Table

    def short(text: str, width: int) -> str:
        return text if len(text) <= width else text[:width - 1] + "…"

    table = Table(title=f"Failures by cause ({len(report.get('failure_groups', []))} group(s); examples in the reports)")
    for column in ("scenarios", "check that failed", "likely cause", "rows"):
        table.add_column(column, overflow="fold")
    for group in report.get("failure_groups", []):
        rows = group["rows"]
        where = (", ".join(f"{r['platform']} {r['direction']}" for r in rows) if len(rows) <= 2
                 else f"{len(rows)} rows") or "-"
        table.add_row(str(group["count"]), short(group["checks"][0] if group.get("checks") else group["check"], 60),
                      short(group["cause"], 90), where)
    return table


def evidence_property(evidence: Evidence) -> tuple[str, str]:
    return (EVIDENCE_KEY, json.dumps(evidence.as_json()))


def environment(root: Path) -> dict[str, Any]:
    """What produced a report: project version and commit, Python and the packages that judge it."""
    import platform
    from importlib import metadata

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "unknown"

    commit, dirty = code_state(root)
    return {"project_version": version("refund-harness"),
            "git_commit": "unknown" if commit is None else commit + ("+uncommitted changes" if dirty else ""),
            "python": platform.python_version(),
            "packages": {name: version(name) for name in ("pytest", "pytest-bdd", "pytest-xdist", "httpx")}}
