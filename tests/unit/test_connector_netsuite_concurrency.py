"""Posting to NetSuite uses the account's concurrency: one worker posts up to ``concurrency_limit``
refunds at once (each under its own claim, its steps in their usual order), never more, and a 429
for NetSuite's limit backs that refund off to the next run instead of retrying it.

Nothing here waits on the clock: NetSuite's latency is an injected sleep that holds each slowed
request until the test lets it go, so the test sees exactly how many are under way at once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from connector import Direction, RefundStatus
from connector.config import parse
from connector.netsuite import DEFAULT_CONCURRENCY_LIMIT, NetSuiteConfig, TbaCredentials
from tests.unit.connector_helpers import add_shopify_account, connector_on_netsuite, shopify_order, shopify_refund

HANG_GUARD = 30   # seconds; only a broken engine ever waits this long (no assertion depends on time)
ORDERS = range(1001, 1008)   # seven orders of one refund each: more than the limit of five


class HeldLatency:
    """NetSuite's latency as an injected sleep: each slowed request is held until ``release``."""

    def __init__(self) -> None:
        self.held = 0
        self.released = False
        self.changed = threading.Condition()

    def __call__(self, seconds: float) -> None:
        with self.changed:
            self.held += 1
            self.changed.notify_all()
            assert self.changed.wait_for(lambda: self.released, HANG_GUARD)

    def wait_until_held(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.held >= count, HANG_GUARD)

    def release(self) -> None:
        with self.changed:
            self.released = True
            self.changed.notify_all()


@pytest.fixture
def world(tmp_path):
    orders = [shopify_order(number) | {"name": f"#{number}", "refunds": [shopify_refund(number - 100, number)],
                                       "updated_at": "2026-01-05T09:30:00Z"} for number in ORDERS]
    answers = [("GET", r"/orders\.json\?", {"orders": orders})]
    for order in orders:
        answers += [("GET", rf"/orders/{order['id']}\.json$", {"order": order}),
                    ("GET", rf"/orders/{order['id']}/refunds\.json$", {"refunds": order["refunds"]})]
    with connector_on_netsuite(tmp_path, answers) as (connector, netsuite, routes):
        account = add_shopify_account(connector, netsuite.settings)
        connector.activate_order_sync(account.id)
        for number in ORDERS:
            link = connector.sync_order(account.id, str(number))
            netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
        connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE,
                                        next_refund_run_at=connector.clock.now())
        yield connector, netsuite, account


def _throttled(netsuite) -> int:
    return sum(entry.status == 429 for entry in netsuite.sim.journal.entries())


def test_one_worker_posts_up_to_the_concurrency_limit_at_once_and_each_refund_once(world) -> None:
    connector, netsuite, account = world
    assert connector.netsuite.config.concurrency_limit == DEFAULT_CONCURRENCY_LIMIT == 5
    latency = HeldLatency()
    netsuite.sim.faults.sleep = latency
    netsuite.sim.faults.add(action="latency", simulator="netsuite", operation="transform_record", seconds=0.02)
    summaries = []
    run = threading.Thread(target=lambda: summaries.append(connector.run_scheduled()))
    run.start()
    try:
        # five refunds reach their create at once and hold NetSuite's five slots; the other two wait
        # for a free thread instead of being sent into the limit
        assert latency.wait_until_held(5), "the refunds were not posted five at a time"
        assert (latency.held, netsuite.sim.in_flight) == (5, 5)
    finally:
        latency.release()
        run.join(HANG_GUARD)
    [summary] = summaries
    assert (summary.retrieved, summary.posted, summary.errors, summary.skipped) == (7, 7, 0, 0)
    assert _throttled(netsuite) == 0
    rows = connector.refunds(account_id=account.id)
    assert {row.status for row in rows} == {RefundStatus.POSTED} and all(row.claimed_by is None for row in rows)
    assert len(netsuite.transforms()) == 7
    assert len({row.target_id for row in rows}) == 7


def test_a_429_for_the_limit_backs_the_refund_off_to_the_next_run(world) -> None:
    connector, netsuite, account = world
    netsuite.sim.journal.clear()   # order sync and billing are not this run's
    with netsuite.sim.concurrent_requests_elsewhere(5):   # other integrations hold every slot
        summary = connector.run_scheduled()
    assert (summary.posted, summary.errors) == (0, 7)
    # one request per refund: the 429 is not retried within the run
    assert _throttled(netsuite) == 7 == len(netsuite.sim.journal.entries())
    rows = connector.refunds(account_id=account.id)
    assert all(row.status is RefundStatus.ERROR and row.retryable and "concurrency limit" in row.error
               for row in rows)
    assert connector.run_scheduled().accounts == []        # not before the next scheduled run
    connector.clock.advance(timedelta(minutes=90))
    summary = connector.run_scheduled()
    assert (summary.posted, summary.errors) == (7, 0)
    assert len(netsuite.transforms()) == 7


def test_the_limit_is_a_setting_of_the_netsuite_account() -> None:
    credentials = TbaCredentials("ck", "cs", "tk", "ts")
    assert NetSuiteConfig("1234567_SB1", credentials).concurrency_limit == 5
    assert NetSuiteConfig("1234567_SB1", credentials, concurrency_limit=15).concurrency_limit == 15
    for bad in (0, 101, 2.5, True):
        with pytest.raises(ValueError, match="concurrency limit must be a whole number from 1 to 100"):
            NetSuiteConfig("1234567_SB1", credentials, concurrency_limit=bad)
    config = {"ledger": ":memory:", "accounts": [{"name": "Acme", "platform": "square", "store": "LOC1",
                                                 "credentials": {"access_token": "t"}, "direction": "off"}],
              "netsuite": {"account_id": "1234567_SB1", "consumer_key": "ck", "consumer_secret": "cs",
                           "token_id": "tk", "token_secret": "ts"}}
    assert parse(config).netsuite.concurrency_limit == 5
    config["netsuite"]["concurrency_limit"] = 20
    assert parse(config).netsuite.concurrency_limit == 20
