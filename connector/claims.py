"""Claims: one worker at a time posts a refund, across threads and processes sharing a ledger file.

A worker claims a refund in the ledger (one atomic UPDATE) before working on it, confirms the claim
right before any remote write (a refund to NetSuite or a storefront), and releases it afterwards. A
worker that cannot claim a refund leaves it to whoever holds it. The lease, on the injected clock,
lets another worker take over from one that died mid-post; that one's read-before-write then finds
whatever the dead worker managed to create.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterator

from connector.crashpoints import reached
from connector.errors import ConnectorError
from connector.ledger import Ledger

CLAIM_LEASE = timedelta(minutes=15)


class ClaimLost(ConnectorError):
    """Another worker took the refund over (this worker's lease ran out); nothing remote was written."""


@dataclass
class Claim:
    taken: bool          # this worker got the refund
    kept: bool = False   # ... and still held it when letting go: nobody else touched it meanwhile


@contextmanager
def claimed(ledger: Ledger, refund_id: int) -> Iterator[Claim]:
    claim = Claim(taken=ledger.claim(refund_id, CLAIM_LEASE))
    if claim.taken:
        reached("claims.claim_taken")
    try:
        yield claim
    finally:
        if claim.taken:
            claim.kept = ledger.release_claim(refund_id)
            reached("claims.claim_released")


def confirm_claim(ledger: Ledger, refund_id: int) -> None:
    """Right before a remote write: the refund is still this worker's (lease renewed), or stop here."""
    if not ledger.renew_claim(refund_id, CLAIM_LEASE):
        raise ClaimLost(f"Refund {refund_id} was taken over by another connector worker; it posts it.")
    reached("claims.claim_confirmed")
