"""The refund sync schedule: every account with refund sync on runs every 90 minutes, on the
injected clock. An account is due as soon as its direction is switched on, then 90 minutes after
each run. Nothing sleeps: whoever owns the clock calls ``Connector.run_scheduled()``."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector.errors import ErrorFacts
from connector.model import Account

REFUND_SYNC_INTERVAL = timedelta(minutes=90)
# Refunds are looked for a little before the last run, so one created while the previous run was
# under way, or stamped by a storefront clock slightly behind ours, is not missed. The ledger makes
# seeing a refund twice harmless.
LOOKBACK_OVERLAP = timedelta(minutes=10)


def is_due(account: Account, now: datetime) -> bool:
    return account.refund_sync_on and (account.next_refund_run_at is None or account.next_refund_run_at <= now)


def next_run_after(run_at: datetime) -> datetime:
    return run_at + REFUND_SYNC_INTERVAL


def look_back_from(account: Account, first_possible: datetime | None) -> datetime | None:
    """Where a scheduled retrieval starts: shortly before the retrieval watermark (the start of the
    last window that completed), else from ``first_possible``. A window that failed part-way did not
    move the watermark, so the next one covers it again."""
    if account.refunds_retrieved_through is not None:
        return account.refunds_retrieved_through - LOOKBACK_OVERLAP
    return first_possible


@dataclass(frozen=True)
class RunFailure:
    """One error of a scheduled run: the line a person reads and its facts, for programs (None for a
    refund whose error a ledger from before facts were kept recorded)."""

    message: str
    facts: ErrorFacts | None
    account_id: int
    refund_id: int | None = None   # None when the account's run itself failed


@dataclass
class RunSummary:
    retrieved: int = 0        # refunds new to the ledger in this run
    posted: int = 0           # refunds that reached POSTED in this run
    errors: int = 0           # refunds left in ERROR by this run, plus accounts whose run failed
    pending: int = 0          # pushed, the storefront still settling the money
    skipped: int = 0          # refunds another worker (thread or process) was posting: left to it
    accounts: list[int] = field(default_factory=list)   # accounts that were due and ran
    failures: list[RunFailure] = field(default_factory=list)   # one per error

    @property
    def messages(self) -> list[str]:
        """One line per error, for people."""
        return [failure.message for failure in self.failures]

    def fail(self, failure: RunFailure) -> None:
        self.errors += 1
        self.failures.append(failure)

    def add(self, other: "RunSummary") -> None:
        self.retrieved += other.retrieved
        self.posted += other.posted
        self.errors += other.errors
        self.pending += other.pending
        self.skipped += other.skipped
        self.accounts.extend(other.accounts)
        self.failures.extend(other.failures)
