"""The durable refund ledger: lifecycle, exactly-once key, durability across reopening."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from common.clock import ManualClock
from connector import (
    AccountSettings,
    ConnectorError,
    Direction,
    RefundLine,
    RefundStatus,
)
from connector.errors import ErrorFacts, ErrorKind, UnknownRefund
from connector.ledger import Ledger, PushSnapshot
from connector.model import LineKind, SourceStatus

LINES = (RefundLine("TEE-1", Decimal(1), Decimal("17.50"), Decimal("1.40"), line_id="11"),
         RefundLine(None, Decimal(1), Decimal("7.00"), Decimal("0.56"), line_id="shipping-31", kind=LineKind.SHIPPING))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ledger(clock: ManualClock) -> Ledger:
    ledger = Ledger(":memory:", clock)
    yield ledger
    ledger.close()


def _account(ledger: Ledger) -> int:
    return ledger.add_account("Acme Shopify", "shopify", "acme-outfitters", {"access_token": "t"}, AccountSettings()).id


def _retrieve(ledger: Ledger, account_id: int, source_id: str = "901", direction: Direction = Direction.TO_NETSUITE):
    return ledger.retrieve(account_id=account_id, direction=direction, source_id=source_id, order_id="1001",
                           currency="USD", total=Decimal("26.46"), lines=LINES, line_items=True, order_name="#1001")


def test_retrieve_error_retry_post(ledger: Ledger, clock: ManualClock) -> None:
    account_id = _account(ledger)
    row, created = _retrieve(ledger, account_id)
    assert created and row.status is RefundStatus.RETRIEVED and row.error is None
    assert row.total == Decimal("26.46") and row.lines == LINES and row.lines[0].amount == Decimal("17.50")

    clock.advance(minutes=5)
    errored = ledger.mark_error(row.id, "Order #1001 is not billed yet; bill it in NetSuite and re-post.", retryable=True)
    assert errored.status is RefundStatus.ERROR and errored.retryable and "not billed" in errored.error
    assert errored.updated_at > errored.created_at

    posted = ledger.mark_posted(row.id, "cashRefund", "5004", target_name="CR-1003")
    assert (posted.status, posted.error, posted.retryable) == (RefundStatus.POSTED, None, False)
    assert (posted.target_type, posted.target_id, posted.target_name) == ("cashRefund", "5004", "CR-1003")
    # a transition that lost a race (here: an error arriving after the post) is a no-op, not a crash
    assert ledger.mark_error(row.id, "late error") == posted


def test_the_same_refund_is_retrieved_once(ledger: Ledger) -> None:
    account_id = _account(ledger)
    first, created = _retrieve(ledger, account_id)
    again, created_again = _retrieve(ledger, account_id)
    assert created and not created_again and again.id == first.id
    other_direction, created_other = _retrieve(ledger, account_id, direction=Direction.FROM_NETSUITE)
    assert created_other and other_direction.id != first.id
    second, _ = _retrieve(ledger, account_id, source_id="902")   # same amount, another refund: both kept
    assert second.id == first.id + 2   # a re-retrieval does not use up ids
    assert [r.source_id for r in ledger.refunds(account_id, direction=Direction.TO_NETSUITE)] == ["901", "902"]


def test_cancel_uncancel(ledger: Ledger) -> None:
    row, _ = _retrieve(ledger, _account(ledger))
    canceled = ledger.cancel(row.id)
    assert canceled.status is RefundStatus.CANCELED
    assert ledger.cancel(row.id).status is RefundStatus.CANCELED   # idempotent
    assert ledger.mark_posted(row.id, "cashRefund", "1") == canceled   # lost to the cancel: a no-op
    restored = ledger.uncancel(row.id)
    assert restored.status is RefundStatus.RETRIEVED and restored.error is None
    with pytest.raises(ConnectorError, match="not canceled"):
        ledger.uncancel(row.id)


def test_a_posted_refund_cannot_be_canceled(ledger: Ledger) -> None:
    row, _ = _retrieve(ledger, _account(ledger))
    ledger.mark_posted(row.id, "cashRefund", "5004")
    with pytest.raises(ConnectorError, match="already posted"):
        ledger.cancel(row.id)


def test_delete_forgets_so_it_can_be_retrieved_again(ledger: Ledger) -> None:
    account_id = _account(ledger)
    row, _ = _retrieve(ledger, account_id)
    ledger.mark_posted(row.id, "cashRefund", "5004")
    ledger.delete(row.id)
    with pytest.raises(UnknownRefund, match="no refund"):
        ledger.refund(row.id)
    again, created = _retrieve(ledger, account_id)
    assert created and again.status is RefundStatus.RETRIEVED and again.target_id is None
    with pytest.raises(UnknownRefund):
        ledger.delete(row.id)


def test_target_is_recorded_before_the_row_is_posted(ledger: Ledger) -> None:
    row, _ = _retrieve(ledger, _account(ledger), direction=Direction.FROM_NETSUITE)
    pending = ledger.record_target(row.id, "square_refund", "sq-1")
    assert pending.status is RefundStatus.RETRIEVED and pending.pending_remote
    failed = ledger.next_attempt(row.id)
    assert failed.attempt == 2 and failed.target_id is None


def test_refresh_source_keeps_what_the_storefront_says_now(ledger: Ledger) -> None:
    row, _ = ledger.retrieve(account_id=_account(ledger), direction=Direction.TO_NETSUITE, source_id="sq-9",
                             order_id="o1", currency="USD", total=Decimal(0), lines=(), line_items=False,
                             source_status=SourceStatus.PENDING)
    fresh = ledger.refresh_source(row.id, SourceStatus.COMPLETED, Decimal("10.00"), (), False)
    assert fresh.source_status is SourceStatus.COMPLETED and fresh.total == Decimal("10.00")


def test_durable_across_reopening_the_file(tmp_path, clock: ManualClock) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = Ledger(path, clock)
    account_id = _account(first)
    row, _ = _retrieve(first, account_id)
    first.mark_posted(row.id, "cashRefund", "5004")
    first.update_account(account_id, direction=Direction.TO_NETSUITE, next_refund_run_at=clock.now())
    assert first.incarnation == 1
    first.close()

    clock.advance(timedelta(hours=1))
    reopened = Ledger(path, clock)
    assert reopened.incarnation == 2   # nonces drawn after a restart differ from before
    assert reopened.refund(row.id).target_id == "5004"
    assert reopened.account(account_id).direction is Direction.TO_NETSUITE
    assert _retrieve(reopened, account_id)[1] is False   # still exactly once
    assert reopened._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_account_names_are_unique_and_settings_round_trip(ledger: Ledger) -> None:
    settings = AccountSettings(generic_refund_item_id="51", item_map={"TEE-1": "201"},
                               payment_method_map={"shopify_payments": "7"})
    account = ledger.add_account("A", "shopify", "acme", {"access_token": "t"}, settings)
    assert ledger.account(account.id).settings == settings
    assert "access_token" not in repr(account)   # secrets stay out of logs
    with pytest.raises(ConnectorError, match="already exists"):
        ledger.add_account("A", "square", "L1", {"access_token": "t"}, settings)


def test_webhook_deliveries_are_remembered(ledger: Ledger) -> None:
    account_id = _account(ledger)
    assert not ledger.seen_delivery("w-1")
    assert ledger.remember_delivery("w-1", account_id)
    assert ledger.seen_delivery("w-1") and not ledger.remember_delivery("w-1", account_id)


def test_an_unknown_synchronous_mode_is_refused_by_name(tmp_path):
    import pytest

    from common.clock import ManualClock
    from connector.ledger import Ledger

    with pytest.raises(ValueError, match="FULL, NORMAL, not 'FAST'"):
        Ledger(tmp_path / "l.sqlite3", ManualClock(), synchronous="FAST")


def test_a_refund_pushed_to_a_storefront_is_known_by_its_target_id(tmp_path) -> None:
    """What the connector created in a storefront is never retrieved back, even where the storefront
    keeps no marker: the ledger answers by the target id, durably."""
    from connector import AccountSettings
    from connector.model import Direction

    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, ManualClock())
    account = ledger.add_account(name="A", platform="shopify", store="s", credentials={},
                                 settings=AccountSettings())
    row, _ = ledger.retrieve(account_id=account.id, direction=Direction.FROM_NETSUITE, source_id="CR1",
                             order_id="1", currency="USD", total=Decimal("5.00"), lines=(), line_items=False)
    ledger.record_target(row.id, "shopify_refund", "777")
    ledger.close()
    reopened = Ledger(path, ManualClock())
    assert reopened.pushed_to_storefront(account.id, "777")
    assert not reopened.pushed_to_storefront(account.id, "778")


def test_a_push_snapshot_is_kept_across_reopening_and_dropped_with_a_new_attempt(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = Ledger(path, ManualClock())
    row, _ = _retrieve(first, _account(first), direction=Direction.FROM_NETSUITE)
    assert row.push_snapshot is None
    first.record_push_snapshot(row.id, PushSnapshot(frozenset({"r2", "r1"}), Decimal("12.30")))
    first.close()
    again = Ledger(path, ManualClock())   # another worker, or the same one restarted
    try:
        assert again.refund(row.id).push_snapshot == PushSnapshot(frozenset({"r1", "r2"}), Decimal("12.30"))
        assert again.next_attempt(row.id).push_snapshot is None   # a new push takes its own
    finally:
        again.close()


def test_an_errors_facts_are_kept_beside_its_sentence_until_the_error_is_gone(tmp_path, clock: ManualClock) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, clock)
    account_id = _account(ledger)
    row, _ = _retrieve(ledger, account_id)
    facts = ErrorFacts(ErrorKind.STATUS, retryable=True, system="NetSuite", status=503)
    errored = ledger.mark_error(row.id, "NetSuite rejected the request: Service Unavailable", facts=facts)
    assert (errored.error_facts, errored.retryable) == (facts, True)
    ledger.close()
    reopened = Ledger(path, clock)
    try:
        assert reopened.refund(row.id).error_facts == facts   # durable, as the sentence is
        own_rule = reopened.mark_error(row.id, "Order #1001 is not billed yet.", retryable=True)
        assert own_rule.error_facts == ErrorFacts(ErrorKind.CONNECTOR, retryable=True)
        with pytest.raises(ValueError, match="retryable through facts"):
            reopened.mark_error(row.id, "both", retryable=True, facts=facts)
        for clear in (lambda: reopened.mark_pending(row.id), lambda: reopened.mark_posted(row.id, "cashRefund", "5")):
            cleared = clear()
            assert (cleared.error, cleared.error_facts, cleared.retryable) == (None, None, False)
            if cleared.status is RefundStatus.RETRIEVED:
                reopened.mark_error(row.id, "again", facts=facts)
    finally:
        reopened.close()


def test_writers_on_one_file_in_one_process_take_turns_instead_of_finding_it_locked(tmp_path, clock) -> None:
    """SQLite answers a writer that finds the file locked by sleeping and trying again (or, with its wait
    turned off, with "database is locked"). Two workers in one process, each with its refund and its slot
    connection, queue for the file instead: with SQLite's wait off, none of their writes is ever refused."""
    ledgers = [Ledger(tmp_path / "ledger.sqlite3", clock, synchronous="NORMAL") for _ in range(2)]
    try:
        for ledger in ledgers:
            for db in {ledger._db, ledger._slot_db}:   # noqa: SLF001 (SQLite's own wait, per connection)
                db.execute("PRAGMA busy_timeout = 0")
        account = _account(ledgers[0])
        failures: list[BaseException] = []
        start = threading.Barrier(len(ledgers))

        def write(ledger: Ledger) -> None:
            try:
                start.wait(30)
                for _ in range(200):
                    ledger.update_account(account, netsuite_watermark="1")
                    slot = ledger.lease_netsuite_slot("NS", 2, timedelta(minutes=2))
                    if slot is not None:
                        ledger.release_netsuite_slot("NS", *slot)
            except BaseException as exc:   # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(ledger,)) for ledger in ledgers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
        assert ledgers[1].netsuite_slot_holders("NS") == {}
    finally:
        for ledger in ledgers:
            ledger.close()
