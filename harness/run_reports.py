"""What a connector says a scheduled run did (``seam.RunReport``), held to what the harness saw it do.

The harness reads the ledger through the seam (``refunds``, ``direction``) before and after a run, and
the simulators' journals during it. From those it knows which refunds the run posted, which it left in
error, which it left open, and whether any system answered the connector an error. A report is optional:
a connector that returns None is not failed for it, and its counts are recorded as not checked.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterable, Mapping, Sequence

from harness import seam

COUNTS = tuple(f.name for f in fields(seam.RunReport) if f.name != "messages")


@dataclass
class RunReportTally:
    """How many of a scenario's scheduled runs had their counts checked, and how many returned no report."""

    checked: int = 0
    not_checked: int = 0


@dataclass(frozen=True)
class LedgerSnapshot:
    """The connector's ledger as the seam shows it at one moment: every row of the scenario's accounts,
    and each account's direction."""

    rows: Mapping[str, seam.RefundView]
    directions: Mapping[str, str]

    @classmethod
    def of(cls, connector: seam.ConnectorUnderTest, account_ids: Iterable[str]) -> "LedgerSnapshot":
        rows: dict[str, seam.RefundView] = {}
        directions: dict[str, str] = {}
        for account_id in account_ids:
            directions[account_id] = connector.direction(account_id)
            rows.update((row.id, row) for row in connector.refunds(account_id))
        return cls(rows, directions)


@dataclass(frozen=True)
class RunObservation:
    """What the harness saw of one scheduled run (of one worker, or of several at once)."""

    before: LedgerSnapshot
    after: LedgerSnapshot
    error_answers: Sequence[str]   # what systems answered the connector with an error or a fault, for people
    alone: bool                    # no other worker could touch the ledger during the run
    every_account_due: bool        # the clock moved a whole schedule: every account with refund sync on ran

    def posted(self) -> list[seam.RefundView]:
        return [row for row in self.after.rows.values()
                if row.status == seam.POSTED and _status(self.before, row.id) != seam.POSTED]

    def newly_in_error(self) -> list[seam.RefundView]:
        """Rows the run put in error, or whose error it changed."""
        return [row for row in self.after.rows.values() if row.status == seam.ERROR
                and (row.id not in self.before.rows
                     or (self.before.rows[row.id].status, self.before.rows[row.id].error) != (seam.ERROR, row.error))]

    def in_error(self) -> list[seam.RefundView]:
        return [row for row in self.after.rows.values() if row.status == seam.ERROR]

    def left_open(self) -> list[seam.RefundView]:
        """Rows still to post in their account's direction: the ones a run tries and did not settle."""
        return [row for row in self.after.rows.values() if row.status == seam.RETRIEVED
                and self.after.directions.get(row.account_id) == row.direction]


def problems(reports: Sequence[object], seen: RunObservation) -> list[str]:
    """Where the reports of the workers that ran (together) disagree with what the harness saw; empty when
    they agree. ``reports`` holds only what the workers returned that is not None: none, nothing to check."""
    if not reports:
        return []
    wrong = [f"it returned {report!r}, not a seam.RunReport (or None)" for report in reports
             if not isinstance(report, seam.RunReport)]
    wrong += [f"its {name} count is {getattr(report, name)!r}, not a whole number of refunds"
              for report in reports if isinstance(report, seam.RunReport) for name in COUNTS
              if type(getattr(report, name)) is not int or getattr(report, name) < 0]
    if wrong:
        return wrong
    said = {name: sum(getattr(report, name) for report in reports) for name in COUNTS}
    messages = [message for report in reports for message in report.messages]   # type: ignore[attr-defined]
    posted, new_errors, in_error, left_open = seen.posted(), seen.newly_in_error(), seen.in_error(), seen.left_open()
    if said["posted"] != len(posted):
        wrong.append(f"it says it posted {said['posted']} refund(s), but the run posted {len(posted)}{_named(posted)}")
    if said["errors"] < len(new_errors):
        wrong.append(f"it says {said['errors']} error(s), but the run left {len(new_errors)} refund(s) in error"
                     f"{_named(new_errors)}")
    if not seen.error_answers and said["errors"] > len(in_error):
        # nothing outside failed it: an error that is no refund's is a failure of the connector's own (a bug)
        wrong.append(f"it says {said['errors']} error(s) though no system answered it an error and only "
                     f"{len(in_error)} refund(s) are in error: the run failed on its own; it said: "
                     f"{'; '.join(messages) or 'nothing'}")
    if said["pending"] + said["skipped"] > len(left_open):
        wrong.append(f"it says {said['pending']} refund(s) pending and {said['skipped']} skipped, but only "
                     f"{len(left_open)} refund(s) are left to post{_named(left_open)}")
    if seen.alone and said["skipped"]:
        wrong.append(f"it says it skipped {said['skipped']} refund(s) another worker held, but no other worker ran")
    if seen.alone and seen.every_account_due and said["pending"] + said["skipped"] < len(left_open):
        wrong.append(f"it says {said['pending']} refund(s) pending, but it left {len(left_open)} refund(s) "
                     f"to post{_named(left_open)}")
    return wrong


def _status(snapshot: LedgerSnapshot, row_id: str) -> str | None:
    row = snapshot.rows.get(row_id)
    return None if row is None else row.status


def _named(rows: Sequence[seam.RefundView]) -> str:
    if not rows:
        return ""
    return " (" + ", ".join(f"refund {row.id} of order {row.order_id}" for row in rows[:5]) + \
        (", ..." if len(rows) > 5 else "") + ")"
