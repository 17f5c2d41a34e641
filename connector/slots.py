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
while writing to the ledger, so a release never queues behind a lease. A request that finishes while
another in this process waits hands its slot over as it is, still leased under the name it was leased
with, instead of releasing it in the ledger for the other to lease again (two ledger writes fewer per
slot passed on); the one taking it renews the lease first once half of it has gone. A request that waited ``wait_s``
without a slot gives up as a 429 would (a retryable error: the refund is tried on the next run), so a
worker never hangs behind slots that stay held.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from connector.errors import ErrorKind, RemoteError
from connector.ledger import Ledger

# Longer than any request may take (the process's HTTP timeout is 30 s), so only a dead worker's lease
# ever runs out; and short enough that its slots come back within a few minutes.
SLOT_LEASE = timedelta(minutes=2)
POLL_S = 0.05      # how often a waiting request looks for a slot freed by another process
WAIT_S = 120.0     # how long a request waits for a slot before giving up as a 429 would

@dataclass(frozen=True)
class _Lease:
    slot: int
    holder: str          # the name it was leased under (what releases it)
    until: datetime      # its lease runs out then (the connector's clock), or a little later


class _Process:
    """This process's requests to one NetSuite account with one limit through one ledger file."""

    def __init__(self) -> None:
        self.changed = threading.Condition(threading.Lock())
        self.holding = 0    # slots its requests hold, are leasing, or were handed on and not yet taken
        self.releases = 0   # slots given back to the ledger so far
        self.waiting = 0    # requests waiting for a slot now
        self.handed: list[_Lease] = []   # still leased: passed by a finished request to a waiting one


_processes: dict[tuple[str, str, int], _Process] = {}
_processes_lock = threading.Lock()


def _process_for(ledger: Ledger, netsuite_account: str, limit: int) -> _Process:
    """One per ledger file, NetSuite account and limit in this process."""
    where = f"memory:{id(ledger)}" if ledger.path == ":memory:" else ledger.path
    with _processes_lock:
        return _processes.setdefault((where, netsuite_account, limit), _Process())


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
        self._process = _process_for(ledger, netsuite_account, limit)

    def try_lease(self) -> tuple[int, str] | None:
        """A free slot, leased now; None when every one is held."""
        return self.ledger.lease_netsuite_slot(self.netsuite_account, self.limit, self.lease)

    @contextmanager
    def held(self) -> Iterator[int]:
        """Hold a slot (waiting for one if need be) for the block; yields the slot's number."""
        lease = self._lease()
        try:
            yield lease.slot
        finally:
            self._give_back(lease)

    def _give_back(self, lease: _Lease) -> None:
        process = self._process
        with process.changed:
            if process.waiting > len(process.handed):
                # a request in this process waits for a slot: it takes this one as leased, so the slot
                # goes on being used without a release and a lease in the ledger
                process.handed.append(lease)
                process.changed.notify()
                return
        try:
            self.ledger.release_netsuite_slot(self.netsuite_account, lease.slot, lease.holder)
        finally:
            self._let_go(released=True)

    def _let_go(self, *, released: bool) -> None:
        process = self._process
        with process.changed:
            process.holding -= 1
            process.releases += released
            process.changed.notify()

    def _lease(self) -> _Lease:
        process = self._process
        give_up_at = time.monotonic() + self.wait_s
        while True:
            # Looking and waiting under the condition's lock: a release or hand-over in this process cannot
            # slip in between a look and the wait, so its notification is never lost.
            with process.changed:
                while not process.handed and process.holding >= self.limit:
                    self._wait(give_up_at)   # every slot is this process's: wait for one of ours
                handed = process.handed.pop(0) if process.handed else None
                if handed is None:
                    process.holding += 1
                    releases = process.releases
            if handed is not None:
                kept = self._keep(handed)
                if kept is not None:
                    return kept
                continue
            until = self.ledger.clock.now() + self.lease   # the ledger's own is this or a little later
            try:
                leased = self.try_lease()
            except BaseException:
                self._let_go(released=False)
                raise
            if leased is not None:
                return _Lease(*leased, until=until)
            # held by another process (or by a lease not run out yet): look again after a release here, or
            # after a poll for theirs
            with process.changed:
                process.holding -= 1
                if process.releases == releases and not process.handed:
                    self._wait(give_up_at)

    def _keep(self, lease: _Lease) -> _Lease | None:
        """A slot handed over: renewed when half its lease is gone, so it outlasts the request as a fresh
        one would; None when it ran out and another worker took it meanwhile."""
        now = self.ledger.clock.now()
        if lease.until - now >= self.lease / 2:
            return lease
        if self.ledger.renew_netsuite_slot(self.netsuite_account, lease.slot, lease.holder, self.lease):
            return _Lease(lease.slot, lease.holder, now + self.lease)
        self._let_go(released=False)
        return None

    def _wait(self, give_up_at: float) -> None:
        """Wait (holding ``changed``) for a release in this process, or one poll; past ``give_up_at``, give up."""
        left = give_up_at - time.monotonic()
        if left <= 0:
            raise RemoteError("NetSuite", f"All {self.limit} of NetSuite's concurrency slots stayed held by "
                                          f"connector workers for {self.wait_s:.0f} s, so nothing was sent; "
                                          "it will be retried on the next run.", retryable=True,
                              kind=ErrorKind.BUSY)
        process = self._process
        process.waiting += 1
        try:
            process.changed.wait(min(self.poll_s, left))
        finally:
            process.waiting -= 1
