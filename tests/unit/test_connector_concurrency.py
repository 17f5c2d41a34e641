"""Workers that run at the same time: two Connectors on one ledger file (as two processes would
be), and two threads sharing one Connector. A refund is worked by one of them only (a durable claim
in the ledger), pushed to the storefront once, and counted as posted by the run that posted it.

Nothing here waits on the clock: the workers are lined up with a barrier or a rendezvous at the
exact point where they used to collide."""
from __future__ import annotations

import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Callable

import httpx
import pytest

from connector import Direction, RefundStatus, RunSummary
from connector.engine import ACCOUNT_RUN_LEASE
from connector.ledger import Ledger
from tests.unit.connector_helpers import (
    connector_credentials,
    connector_on_netsuite,
    make_connector,
    shopify_order,
    shopify_refund,
)
from tests.unit.test_connector_from_netsuite import FakeShopify, _account, _generic

HANG_GUARD = 30   # seconds; only a broken test ever waits this long (no assertion depends on time)


class Rendezvous:
    """Holds a worker that arrives until every other worker has arrived too, or finished without coming."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.arrived = self.finished = 0
        self.ready = threading.Condition()

    def arrive(self) -> None:
        with self.ready:
            self.arrived += 1
            self.ready.notify_all()
            assert self.ready.wait_for(lambda: self.arrived + self.finished >= self.workers, HANG_GUARD)

    def run(self, work: Callable[[], RunSummary]) -> Callable[[], RunSummary]:
        def worker() -> RunSummary:
            try:
                return work()
            finally:
                with self.ready:
                    self.finished += 1
                    self.ready.notify_all()
        return worker


def _run_together(*workers: Callable[[], RunSummary]) -> list[RunSummary]:
    with ThreadPoolExecutor(len(workers)) as pool:
        return [future.result(HANG_GUARD) for future in [pool.submit(w) for w in workers]]


def test_two_workers_on_one_ledger_refund_the_customer_once(tmp_path) -> None:
    with connector_on_netsuite(tmp_path) as (first, netsuite, routes):
        shopify = FakeShopify(routes)
        account, billed = _account(first, netsuite, "shopify", "1001")
        netsuite.refund(billed, {}, _generic(netsuite, 4.25))
        second = make_connector(tmp_path, routes, first.clock, credentials=connector_credentials(netsuite.sim))
        rendezvous = Rendezvous(2)

        def create(request: httpx.Request, match: re.Match) -> httpx.Response:   # both at the create at once
            rendezvous.arrive()
            return shopify._create(request, match)

        routes.add("POST", r"/orders/1001/refunds\.json$", create)
        try:
            summaries = _run_together(rendezvous.run(first.run_scheduled), rendezvous.run(second.run_scheduled))
        finally:
            second.close()
        assert len(shopify.refunds) == 1
        [row] = first.refunds(account_id=account.id)
        assert (row.status, row.target_id) == (RefundStatus.POSTED, str(shopify.refunds[0]["id"]))
        assert sum(s.posted for s in summaries) == 1 and sum(s.errors for s in summaries) == 0


ORDERS = range(1001, 1007)


@pytest.fixture
def shop_with_refunds(tmp_path):
    """Six synced, billed Shopify orders with one refund each, refund sync to NetSuite on."""
    orders = [shopify_order(i) | {"name": f"#{i}", "refunds": [shopify_refund(i - 100, i)]} for i in ORDERS]
    answers = [("GET", rf"/orders/{o['id']}\.json$", {"order": o}) for o in orders]
    answers.append(("GET", r"/orders\.json\?", {"orders": orders}))
    with connector_on_netsuite(tmp_path, answers) as (connector, netsuite, routes):
        account = connector.add_account(name="Acme Shopify", platform="shopify", store="acme-outfitters",
                                        credentials={"access_token": "t", "client_secret": "s"},
                                        settings=netsuite.settings)
        connector.activate_order_sync(account.id)
        for order_id in ORDERS:
            link = connector.sync_order(account.id, str(order_id))
            netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
        connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE,
                                        next_refund_run_at=connector.clock.now())
        yield connector, netsuite, account


def test_two_overlapping_runs_never_crash_and_count_each_refund_once(shop_with_refunds, monkeypatch) -> None:
    connector, netsuite, account = shop_with_refunds
    both_listed = threading.Barrier(2, timeout=HANG_GUARD)
    listing = connector.ledger.refunds

    def refunds(*args, **kwargs):   # the runs' lists of what to post: both hold every refund
        found = listing(*args, **kwargs)
        if kwargs.get("direction") is not None:
            both_listed.wait()
        return found

    monkeypatch.setattr(connector.ledger, "refunds", refunds)
    summaries = _run_together(connector.run_scheduled, connector.run_scheduled)
    assert sum(s.posted for s in summaries) == len(ORDERS)
    assert sum(s.errors for s in summaries) == 0, [m for s in summaries for m in s.messages]
    assert {r.status for r in connector.refunds(account_id=account.id)} == {RefundStatus.POSTED}
    assert len(netsuite.records("cashRefund")) == len(ORDERS)


def test_an_account_run_is_one_workers_and_a_dead_workers_comes_back_after_its_lease(shop_with_refunds) -> None:
    connector, netsuite, account = shop_with_refunds
    # A worker on the same ledger took the account's run and died in it (killed mid-run).
    dead = Ledger(connector.ledger.path, connector.clock)
    assert dead.claim_account_run(account.id, ACCOUNT_RUN_LEASE)
    dead.close()
    netsuite.sim.journal.clear()
    summary = connector.run_scheduled()
    assert summary.accounts == [] and netsuite.sim.journal.entries() == []   # left to the worker running it
    connector.clock.advance(ACCOUNT_RUN_LEASE - timedelta(seconds=1))
    assert connector.run_scheduled().accounts == []
    connector.clock.advance(timedelta(seconds=1))
    summary = connector.run_scheduled()                   # its lease ran out: this worker takes the run over
    assert (summary.accounts, summary.posted, summary.errors) == ([account.id], len(ORDERS), 0)
    after = connector.account(account.id)
    assert after.next_refund_run_at > connector.clock.now()
    with sqlite3.connect(connector.ledger.path) as db:   # given back once run
        assert db.execute("SELECT run_claimed_by FROM accounts WHERE id = ?", (account.id,)).fetchone() == (None,)
    assert connector.run_scheduled().accounts == []       # and not due again before its next run
