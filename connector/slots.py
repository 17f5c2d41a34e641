"""NetSuite's concurrency limit, shared by every connector worker on one ledger.

NetSuite counts an account's requests in flight (REST, SOAP and RESTlets together) and answers one over
its limit with 429 instead of queueing it. Each connector worker (a process, or a ``Connector`` instance,
on the same ledger file) posts with up to the limit's worth of threads; left to themselves, N workers
would send N times the limit and most of the surplus would come back 429, each a refund put off to the
next scheduled run. So every NetSuite request holds one of the account's slots, leased in the ledger:
all workers on the ledger together never have more than the limit in flight, and a request that finds
every slot taken waits for one to come free rather than being sent to be refused.

A slot is a ledger row (NetSuite account, slot number) taken in one write statement that finds a free
one and takes it, so two workers never hold the same slot. Its lease runs on the connector's injected
clock and outlasts any request (the HTTP client's timeout), so a live worker's slot is never taken from
it; a worker killed mid-request leaves its slots held until their leases run out, and then any worker
takes them.

Waiting costs no requests: a slot freed by a worker in this process wakes one waiter on the same ledger
file and NetSuite account at once; one freed by another process, or a lease that ran out, is seen at the
next poll. Requests in this process that find every slot held by this process itself wait for one of
those releases without asking the ledger (it could only say no), and nobody holds the wake-up's lock
while writing to the ledger, so a release never queues behind a lease. A request that waited ``wait_s``
without a slot gives up as a 429 would (a retryable error: the refund is tried on the next run), so a
worker never hangs behind slots that stay held.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from connector.errors import ErrorKind, RemoteError
from connector.ledger import Ledger

# Longer than any request may take (the process's HTTP timeout is 30 s), so only a dead worker's lease
# ever runs out; and short enough that its slots come back within a few minutes.
SLOT_LEASE = timedelta(minutes=2)
POLL_S = 0.05      # how often a waiting request looks for a slot freed by another process
WAIT_S = 120.0     # how long a request waits for a slot before giving up as a 429 would

class _Process:
    """This process's requests to one NetSuite account through one ledger file: how many hold (or are
    about to lease) a slot, how many releases there have been, and the condition those changes notify."""

    def __init__(self) -> None:
        self.changed = threading.Condition(threading.Lock())
        self.holding = 0
        self.releases = 0


_processes: dict[tuple[str, str], _Process] = {}
_processes_lock = threading.Lock()


def _process_for(ledger: Ledger, netsuite_account: str) -> _Process:
    """One per ledger file and NetSuite account in this process."""
    where = f"memory:{id(ledger)}" if ledger.path == ":memory:" else ledger.path
    with _processes_lock:
        return _processes.setdefault((where, netsuite_account), _Process())


class NetSuiteSlots:
    """The NetSuite account's ``limit`` concurrency slots as leased through ``ledger``."""

    def __init__(self, ledger: Ledger, netsuite_account: str, limit: int, *, lease: timedelta = SLOT_LEASE,
                 poll_s: float = POLL_S, wait_s: float = WAIT_S) -> None:
        if limit < 1:
            raise ValueError(f"a NetSuite account has at least one concurrency slot, not {limit}")
        self.ledger = ledger
        self.netsuite_account = netsuite_account
        self.limit = limit
        self.lease = lease
        self.poll_s = poll_s
        self.wait_s = wait_s
        self._process = _process_for(ledger, netsuite_account)

    def try_lease(self) -> tuple[int, str] | None:
        """A free slot, leased now; None when every one is held."""
        return self.ledger.lease_netsuite_slot(self.netsuite_account, self.limit, self.lease)

    @contextmanager
    def held(self) -> Iterator[int]:
        """Hold a slot (waiting for one if need be) for the block; yields the slot's number."""
        slot, holder = self._lease()
        try:
            yield slot
        finally:
            try:
                self.ledger.release_netsuite_slot(self.netsuite_account, slot, holder)
            finally:
                self._let_go(released=True)

    def _let_go(self, *, released: bool) -> None:
        process = self._process
        with process.changed:
            process.holding -= 1
            process.releases += released
            process.changed.notify()

    def _lease(self) -> tuple[int, str]:
        process = self._process
        give_up_at = time.monotonic() + self.wait_s
        while True:
            # Counting and waiting under the condition's lock: a release in this process cannot slip in
            # between a look and the wait, so its notification is never lost.
            with process.changed:
                while process.holding >= self.limit:   # every slot is this process's: wait for one of ours
                    self._wait(give_up_at)
                process.holding += 1
                releases = process.releases
            try:
                leased = self.try_lease()
            except BaseException:
                self._let_go(released=False)
                raise
            if leased is not None:
                return leased
            # held by another process (or by a lease not run out yet): look again after a release here, or
            # after a poll for theirs
            with process.changed:
                process.holding -= 1
                if process.releases == releases:
                    self._wait(give_up_at)

    def _wait(self, give_up_at: float) -> None:
        """Wait (holding ``changed``) for a release in this process, or one poll; past ``give_up_at``, give up."""
        left = give_up_at - time.monotonic()
        if left <= 0:
            raise RemoteError("NetSuite", f"All {self.limit} of NetSuite's concurrency slots stayed held by "
                                          f"connector workers for {self.wait_s:.0f} s, so nothing was sent; "
                                          "it will be retried on the next run.", retryable=True,
                              kind=ErrorKind.BUSY)
        self._process.changed.wait(min(self.poll_s, left))
