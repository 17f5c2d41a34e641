"""Crash points: named places in the engine where a test can have the process killed, like the fail
points of FoundationDB or TiKV.

``reached(name)`` sits at each place worth dying at, mostly between a write to a remote system and
the ledger write that records it. When the environment variable ``REFUND_CONNECTOR_CRASH_AT`` names
the point (``name``, or ``name#n`` for its n-th time in this process) the process sends itself
SIGKILL there: a real kill that no ``finally`` or ``atexit`` runs after. Unset, a call costs one
dict lookup. tests/crash kills the connector at every point in ``POINTS`` and checks it converges.
"""
from __future__ import annotations

import os
import signal
import threading

ENV = "REFUND_CONNECTOR_CRASH_AT"

# Every point, in the order a run meets them; names are stable (tests and runbooks name them).
POINTS: dict[str, str] = {
    # order sync
    "order_sync.customer_upserted": "the NetSuite customer exists, the sales order not yet",
    "order_sync.sales_order_created": "the sales order was created in NetSuite, the ledger has no link yet",
    "order_sync.link_saved": "the order link is in the ledger",
    "order_sync.watermark_advanced": "orders_synced_through moved on",
    # refund sync to NetSuite
    "to_netsuite.refund_recorded": "a refund of the storefront's listing is in the ledger (per refund)",
    "engine.retrieval_window_done": "the listing was read to its end, the retrieval watermark not moved yet",
    "engine.retrieval_watermark_advanced": "refunds_retrieved_through moved on",
    "claims.claim_taken": "a refund is claimed in the ledger, nothing sent yet",
    "claims.claim_confirmed": "the claim was renewed right before a remote write",
    "to_netsuite.netsuite_refund_created": "NetSuite created the cash refund / credit memo, the ledger does not know",
    "to_netsuite.target_recorded": "the ledger has the NetSuite id, the refund is not marked posted",
    "to_netsuite.marked_posted": "the refund is posted in the ledger, its claim still held",
    "claims.claim_released": "the claim is released",
    # refund sync from NetSuite
    "from_netsuite.candidate_recorded": "a NetSuite refund of the listing is in the ledger (per refund)",
    "from_netsuite.watermark_advanced": "netsuite_watermark moved on",
    "from_netsuite.storefront_searched": "the storefront has no refund with our marker; about to push",
    "from_netsuite.storefront_refund_created": "the storefront accepted the refund, the ledger does not know",
    "from_netsuite.target_recorded": "the ledger has the storefront refund id, not settled yet",
    "from_netsuite.settled": "the ledger says posted (or pending), its claim still held",
    "from_netsuite.pending_rechecked": "a pushed refund's settlement was read again from the storefront",
    # the schedule
    "engine.account_run_done": "an account's retrieval and posting are done, its next run not scheduled",
    "engine.next_run_scheduled": "the account's next run is in the ledger",
}

_WANTED: tuple[str, int] | None = None
_SEEN: dict[str, int] = {}
_COUNTING = threading.Lock()   # refunds are posted from several threads at once


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, nth = value.partition("#")
    if name not in POINTS:
        raise ValueError(f"{ENV}={value!r}: no crash point {name!r}; points: {', '.join(POINTS)}")
    if nth and not (nth.isascii() and nth.isdigit() and int(nth) >= 1):
        raise ValueError(f"{ENV}={value!r}: after '#' comes which time to crash, 1 or more")
    return name, int(nth or 1)


def arm(value: str | None = None) -> None:
    """Read the crash point from ``value`` or the environment (the process entry point calls this once)."""
    global _WANTED
    _WANTED = _parse(os.environ.get(ENV) if value is None else value)
    _SEEN.clear()


def reached(name: str) -> None:
    if _WANTED is None or _WANTED[0] != name:
        return
    with _COUNTING:
        _SEEN[name] = count = _SEEN.get(name, 0) + 1
    if count == _WANTED[1]:
        os.kill(os.getpid(), signal.SIGKILL)
