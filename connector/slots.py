"""NetSuite's concurrency limit, shared by every connector worker on one ledger.

NetSuite counts an account's requests in flight (REST, SOAP and RESTlets together) and answers one over
its limit with 429 instead of queueing it. Each connector worker (a process, or a ``Connector`` instance,
on the same ledger file) posts with up to the limit's worth of threads; left to themselves, N workers
would send N times the limit and most of the surplus would come back 429, each a refund put off to the
next scheduled run. So every NetSuite request holds one of the account's slots, leased in the ledger:
all workers on the ledger together never have more than the limit in flight, and a request that finds
every slot taken waits for one to come free rather than being sent to be refused.

A slot is a ledger row (NetSuite account, slot number) taken in one write transaction that finds a free
one and takes it, so two workers never hold the same slot. Its lease runs on the connector's injected
clock and outlasts any request (the HTTP client's timeout), so a live worker's slot is never taken from
it; a worker killed mid-request leaves its slots held until their leases run out, and then any worker
takes them.

Waiting costs no requests: a slot freed by a worker in this process wakes one waiter on the same ledger
file and NetSuite account at once; one freed by another process, or a lease that ran out, is seen at the
next poll. A request that waited ``wait_s`` without a slot gives up as a 429 would (a retryable error:
the refund is tried on the next run), so a worker never hangs behind slots that stay held.
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

_wake_ups: dict[tuple[str, str], threading.Condition] = {}
_wake_ups_lock = threading.Lock()


def _wake_up_for(ledger: Ledger, netsuite_account: str) -> threading.Condition:
    """One condition per ledger file and NetSuite account in this process: what its releases notify."""
    where = f"memory:{id(ledger)}" if ledger.path == ":memory:" else ledger.path
    with _wake_ups_lock:
        return _wake_ups.setdefault((where, netsuite_account), threading.Condition())


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
        self._wake_up = _wake_up_for(ledger, netsuite_account)

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
            self.ledger.release_netsuite_slot(self.netsuite_account, slot, holder)
            with self._wake_up:
                self._wake_up.notify()

    def _lease(self) -> tuple[int, str]:
        give_up_at = time.monotonic() + self.wait_s
        # Looking and waiting under the condition's lock: a release in this process cannot slip in between
        # a failed look and the wait, so its notification is never lost.
        with self._wake_up:
            while (leased := self.try_lease()) is None:
                left = give_up_at - time.monotonic()
                if left <= 0:
                    raise RemoteError("NetSuite", f"All {self.limit} of NetSuite's concurrency slots stayed held by "
                                                  f"connector workers for {self.wait_s:.0f} s, so nothing was sent; "
                                                  "it will be retried on the next run.", retryable=True,
                                      kind=ErrorKind.BUSY)
                self._wake_up.wait(min(self.poll_s, left))
            return leased
