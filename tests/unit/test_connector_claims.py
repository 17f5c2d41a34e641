"""Claims in the ledger: two workers on one ledger file (two openings, as two processes would be)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from common.clock import ManualClock
from connector import AccountSettings, ConnectorError, Direction, RefundStatus
from connector.claims import CLAIM_LEASE, ClaimLost, claimed, confirm_claim
from connector.ledger import Ledger


@pytest.fixture
def workers(tmp_path):
    clock = ManualClock()
    first, second = Ledger(tmp_path / "ledger.sqlite3", clock), Ledger(tmp_path / "ledger.sqlite3", clock)
    account = first.add_account("Acme", "shopify", "acme", {"access_token": "t"}, AccountSettings())
    row, _ = first.retrieve(account_id=account.id, direction=Direction.TO_NETSUITE, source_id="901", order_id="1001",
                            currency="USD", total=Decimal("10.00"), lines=(), line_items=False)
    yield clock, first, second, row.id
    first.close()
    second.close()


def test_a_claimed_refund_is_left_alone_by_another_worker(workers) -> None:
    clock, first, second, refund_id = workers
    assert first.worker_id != second.worker_id
    assert first.claim(refund_id, CLAIM_LEASE) and not second.claim(refund_id, CLAIM_LEASE)
    assert second.mark_error(refund_id, "not mine").status is RefundStatus.RETRIEVED   # a no-op
    with pytest.raises(ConnectorError, match="another connector worker .* is posting it"):
        second.cancel(refund_id)
    assert first.release_claim(refund_id) and second.claim(refund_id, CLAIM_LEASE)


def test_a_claim_whose_lease_ran_out_can_be_taken_over(workers) -> None:
    clock, first, second, refund_id = workers
    with claimed(first, refund_id) as claim:
        clock.advance(CLAIM_LEASE)               # the first worker stalled (or died) mid-post
        assert second.claim(refund_id, CLAIM_LEASE)
        with pytest.raises(ClaimLost):           # ... so it must not write anything remote now
            confirm_claim(first, refund_id)
        assert first.mark_posted(refund_id, "cashRefund", "1").status is RefundStatus.RETRIEVED
    assert claim.taken and not claim.kept        # it posted nothing the run may count
    assert second.mark_posted(refund_id, "cashRefund", "2").target_id == "2"


def test_only_open_refunds_are_claimed(workers) -> None:
    clock, first, second, refund_id = workers
    first.mark_posted(refund_id, "cashRefund", "1")
    assert not first.claim(refund_id, CLAIM_LEASE)
