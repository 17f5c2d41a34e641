"""Several connector workers on one ledger share the NetSuite account's concurrency limit: each request
holds one of the account's slots, leased in the ledger, so together they never have more than the limit
in flight (counted at the simulated NetSuite's own gate); a slot a dead worker held comes back once its
lease runs out on the connector's clock.

Nothing here waits on the clock: NetSuite's latency is an injected sleep that holds each slowed request
until the test lets it go, and a lease runs out only when the test advances the ManualClock."""
from __future__ import annotations

import re
import sqlite3
import threading
from datetime import timedelta

import pytest

from common.clock import parse_iso
from connector import Direction, RefundStatus
from connector.errors import RemoteError
from connector.slots import SLOT_LEASE, NetSuiteSlots
from tests.unit.connector_helpers import (NS_ACCOUNT, connector_credentials, connector_on_netsuite, make_connector,
                                          shopify_order, shopify_refund)
from tests.unit.test_connector_netsuite_concurrency import HANG_GUARD, HeldLatency

WORKERS = 4
LIMIT = 5                        # the connector's default concurrency_limit, and the account's
STORES = 4                       # one Shopify store (a connector account) per worker
ORDERS = range(1001, 1013)       # twelve orders of one refund each, three per store: more than the limit,
                                 # fewer than the workers' threads (four accounts posted at once, three each)


def _store(order_id: int) -> str:
    return f"acme-{(order_id - ORDERS[0]) % STORES}"


@pytest.fixture
def workers(tmp_path):
    """Four workers (Connectors on one ledger file, as four processes would be) and four Shopify accounts
    on one NetSuite account, twelve refunds due. Each worker takes an account's run that no other holds,
    so the four post at once. The simulated account lets far more than the limit in, so a request the
    workers send over it is counted at the gate instead of refused."""
    orders = [shopify_order(number) | {"name": f"#{number}", "refunds": [shopify_refund(number - 100, number)],
                                       "updated_at": "2026-01-05T09:30:00Z"} for number in ORDERS]
    answers = []
    for index in range(STORES):
        host = re.escape(f"acme-{index}.myshopify.com")
        answers.append(("GET", rf"//{host}/.*/orders\.json\?",
                        {"orders": [order for order in orders if _store(order["id"]) == f"acme-{index}"]}))
    for order in orders:
        host = re.escape(f"{_store(order['id'])}.myshopify.com")
        answers += [("GET", rf"//{host}/.*/orders/{order['id']}\.json$", {"order": order}),
                    ("GET", rf"//{host}/.*/orders/{order['id']}/refunds\.json$", {"refunds": order["refunds"]})]
    with connector_on_netsuite(tmp_path, answers) as (first, netsuite, routes):
        assert first.netsuite.config.concurrency_limit == LIMIT == netsuite.sim.settings.concurrency_limit
        accounts = {store: first.add_account(name=f"Acme {store}", platform="shopify", store=store,
                                             credentials={"access_token": "shpat", "client_secret": "shpss"},
                                             settings=netsuite.settings)
                    for store in sorted({_store(number) for number in ORDERS})}
        for account in accounts.values():
            first.activate_order_sync(account.id)
        for number in ORDERS:
            link = first.sync_order(accounts[_store(number)].id, str(number))
            netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
        for account in accounts.values():
            first.ledger.update_account(account.id, direction=Direction.TO_NETSUITE,
                                        next_refund_run_at=first.clock.now())
        others = [make_connector(tmp_path, routes, first.clock, credentials=connector_credentials(netsuite.sim))
                  for _ in range(WORKERS - 1)]
        netsuite.sim.settings.concurrency_limit = 100
        netsuite.sim.journal.clear()   # order sync and billing are not the runs'
        try:
            yield [first, *others], netsuite
        finally:
            for other in others:
                other.close()


def _run_all(connectors) -> list:
    """Every worker's scheduled run, all at once, each in its own thread."""
    summaries, failures = [], []
    start = threading.Barrier(len(connectors))

    def run(connector) -> None:
        try:
            start.wait(HANG_GUARD)
            summaries.append(connector.run_scheduled())
        except BaseException as exc:   # re-raised below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(connector,)) for connector in connectors]
    for thread in threads:
        thread.start()
    return threads, summaries, failures


def _posted_exactly_once(connectors, netsuite) -> None:
    rows = connectors[0].refunds()
    assert len(rows) == len(ORDERS)
    assert {row.status for row in rows} == {RefundStatus.POSTED} and all(row.claimed_by is None for row in rows)
    assert len(netsuite.transforms()) == len(ORDERS) == len({row.target_id for row in rows})
    assert len(netsuite.records("cashRefund")) == len(ORDERS)


def test_four_workers_never_have_more_than_the_limit_in_flight_and_post_each_refund_once(workers) -> None:
    connectors, netsuite = workers
    latency = HeldLatency()
    netsuite.sim.faults.sleep = latency
    netsuite.sim.faults.add(action="latency", simulator="netsuite", operation="transform_record", seconds=0.02)
    threads, summaries, failures = _run_all(connectors)
    try:
        # The limit's worth of refunds reach their create and hold every slot; the other workers' requests
        # wait for one. Unshared, each worker would send its own three and twelve creates would pile up here.
        assert latency.wait_until_held(LIMIT), "the workers did not post the limit's worth at once"
        assert netsuite.sim.in_flight == LIMIT
        assert len(connectors[0].ledger.netsuite_slot_holders(NS_ACCOUNT)) == LIMIT
    finally:
        latency.release()
        for thread in threads:
            thread.join(HANG_GUARD)
    assert not failures, failures
    assert netsuite.sim.peak_in_flight == LIMIT          # measured at NetSuite's gate over every run
    assert sum(entry.status == 429 for entry in netsuite.sim.journal.entries()) == 0
    assert sum(s.posted for s in summaries) == len(ORDERS) and sum(s.errors for s in summaries) == 0
    _posted_exactly_once(connectors, netsuite)
    assert connectors[0].ledger.netsuite_slot_holders(NS_ACCOUNT) == {}   # every slot given back


def test_a_dead_workers_slots_come_back_when_their_lease_runs_out(workers) -> None:
    connectors, netsuite = workers
    dead, live = connectors[0], connectors[1]
    # A worker killed mid-request: it leased every slot and never gave one back.
    dead_slots = NetSuiteSlots(dead.ledger, NS_ACCOUNT, LIMIT)
    assert [dead_slots.try_lease() is not None for _ in range(LIMIT)] == [True] * LIMIT
    dead_worker = dead.ledger.worker_id
    dead.close()
    live_slots = NetSuiteSlots(live.ledger, NS_ACCOUNT, LIMIT, wait_s=0)   # looks once, never waits
    assert live_slots.try_lease() is None
    with pytest.raises(RemoteError, match="concurrency slots stayed held by connector workers") as refused:
        with live_slots.held():
            pass
    assert refused.value.retryable
    live.clock.advance(SLOT_LEASE - timedelta(seconds=1))
    assert live_slots.try_lease() is None                 # a live worker's request may still be under way
    live.clock.advance(timedelta(seconds=1))
    # The leases ran out: the live workers take the slots over and post everything, within the limit.
    threads, summaries, failures = _run_all(connectors[1:])
    for thread in threads:
        thread.join(HANG_GUARD)
    assert not failures, failures
    assert netsuite.sim.peak_in_flight <= LIMIT
    assert sum(entry.status == 429 for entry in netsuite.sim.journal.entries()) == 0
    assert sum(s.posted for s in summaries) == len(ORDERS)
    _posted_exactly_once(connectors[1:], netsuite)
    # every slot a live worker took it gave back; a slot none of them needed still shows its lapsed lease
    left = live.ledger.netsuite_slot_holders(NS_ACCOUNT).values()
    assert all(holder.startswith(f"{dead_worker}#") for holder in left)


@pytest.fixture
def two_workers(tmp_path):
    """Two connectors (workers) on one ledger file and one NetSuite, sharing a clock."""
    with connector_on_netsuite(tmp_path) as (first, netsuite, routes):
        second = make_connector(tmp_path, routes, first.clock, credentials=connector_credentials(netsuite.sim))
        try:
            yield first, second
        finally:
            second.close()


def test_a_slot_is_one_workers_until_it_gives_it_back(two_workers) -> None:
    first, second = two_workers
    mine, theirs = NetSuiteSlots(first.ledger, NS_ACCOUNT, 2), NetSuiteSlots(second.ledger, NS_ACCOUNT, 2)
    with mine.held() as one, theirs.held() as other:
        assert {one, other} == {0, 1}
        assert theirs.try_lease() is None and mine.try_lease() is None
        holders = first.ledger.netsuite_slot_holders(NS_ACCOUNT)
        assert holders[one].startswith(first.ledger.worker_id + "#")
        assert holders[other].startswith(second.ledger.worker_id + "#")
    assert first.ledger.netsuite_slot_holders(NS_ACCOUNT) == {}
    # A release by a holder whose lease ran out and was taken over frees nothing of the new holder's.
    slot, holder = mine.try_lease()
    first.clock.advance(SLOT_LEASE)
    taken_over = theirs.try_lease()
    assert taken_over is not None and taken_over[0] == slot
    assert not first.ledger.release_netsuite_slot(NS_ACCOUNT, slot, holder)
    assert second.ledger.netsuite_slot_holders(NS_ACCOUNT) == {slot: taken_over[1]}


def test_the_slots_table_is_in_the_ledger_file(tmp_path) -> None:
    with connector_on_netsuite(tmp_path) as (connector, netsuite, routes):
        NetSuiteSlots(connector.ledger, NS_ACCOUNT, 3).try_lease()
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
        assert db.execute("SELECT COUNT(*), COUNT(holder) FROM netsuite_slots").fetchone() == (3, 1)


class _CountingSlots(NetSuiteSlots):
    """Counts how often the ledger is asked for a slot."""

    asked = 0

    def try_lease(self):
        self.asked += 1
        return super().try_lease()


def test_a_request_that_finds_every_slot_held_in_its_own_process_does_not_ask_the_ledger(two_workers) -> None:
    first, second = two_workers
    mine = _CountingSlots(first.ledger, NS_ACCOUNT, 2)
    # another worker in this process, looking once and never waiting
    theirs = _CountingSlots(second.ledger, NS_ACCOUNT, 2, wait_s=0)
    with mine.held(), mine.held():
        assert mine.asked == 2
        # Both slots are this process's: the ledger could only say no, so the request waits for a
        # release here (here: gives up at once) without a write to the ledger.
        with pytest.raises(RemoteError, match="concurrency slots stayed held by connector workers"):
            with theirs.held():
                pass
        assert theirs.asked == 0
    with theirs.held() as slot:   # released in this process: the next request asks and gets one
        assert theirs.asked == 1 and slot == 0
    # Slots held by another process are not counted here: the ledger is asked, and says no.
    elsewhere = [NetSuiteSlots(first.ledger, NS_ACCOUNT, 2).try_lease() for _ in range(2)]
    assert None not in elsewhere
    with pytest.raises(RemoteError, match="concurrency slots stayed held by connector workers"):
        with theirs.held():
            pass
    assert theirs.asked == 2


class _SignallingSlots(_CountingSlots):
    """Says when a request starts waiting; it is then counted as waiting before anyone can give a slot back
    (the signal is given holding the lock a release takes)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.waiting = threading.Event()

    def _wait(self, give_up_at: float) -> None:
        self.waiting.set()
        super()._wait(give_up_at)


def test_a_slot_given_back_while_a_request_here_waits_is_handed_over_leased_and_renewed(tmp_path, two_workers) -> None:
    first, second = two_workers
    try:
        mine = _CountingSlots(first.ledger, NS_ACCOUNT, 1)
        theirs = _SignallingSlots(second.ledger, NS_ACCOUNT, 1, poll_s=HANG_GUARD)   # no poll in the test
        holding, done, seen = threading.Event(), threading.Event(), []

        def request() -> None:
            with theirs.held() as slot:
                seen.append((slot, second.ledger.netsuite_slot_holders(NS_ACCOUNT)))
                holding.set()
                done.wait(HANG_GUARD)

        waiter = threading.Thread(target=request)
        with mine.held():
            leased_as = first.ledger.netsuite_slot_holders(NS_ACCOUNT)
            waiter.start()
            assert theirs.waiting.wait(HANG_GUARD)
            first.clock.advance(SLOT_LEASE * 3 / 4)   # more than half the lease has gone
        assert holding.wait(HANG_GUARD)
        # taken as it was leased, without asking the ledger; its lease renewed from now
        assert seen == [(0, leased_as)] and theirs.asked == 0
        with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
            until = db.execute("SELECT lease_expires_at FROM netsuite_slots WHERE slot = 0").fetchone()[0]
        assert parse_iso(until) == first.clock.now() + SLOT_LEASE
        done.set()
        waiter.join(HANG_GUARD)
        assert first.ledger.netsuite_slot_holders(NS_ACCOUNT) == {}   # nobody waits: given back
    finally:
        done.set()


class _WatchedSlots(_SignallingSlots):
    """Also says (``moved``) when it asks the ledger for a slot."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.moved = threading.Event()

    def try_lease(self):
        self.moved.set()
        return super().try_lease()


def test_a_slot_handed_over_after_another_worker_took_it_over_is_not_sent_under(two_workers) -> None:
    # A waiting request is handed a slot whose lease ran out while it was held, and a worker elsewhere
    # has leased it since: the request must not send under it, but lease a slot of its own.
    first, second = two_workers
    try:
        mine = _CountingSlots(first.ledger, NS_ACCOUNT, 1)
        theirs = _WatchedSlots(second.ledger, NS_ACCOUNT, 1, poll_s=0.01)
        holding, done, seen = threading.Event(), threading.Event(), []

        def request() -> None:
            with theirs.held() as slot:
                seen.append((slot, second.ledger.netsuite_slot_holders(NS_ACCOUNT)))
                holding.set()
                theirs.moved.set()
                done.wait(HANG_GUARD)

        waiter = threading.Thread(target=request)
        with mine.held():
            (slot, leased_as), = first.ledger.netsuite_slot_holders(NS_ACCOUNT).items()
            waiter.start()
            assert theirs.waiting.wait(HANG_GUARD)
            # every slot is this process's, so the waiter has not asked the ledger
            assert not theirs.moved.is_set()
            first.clock.advance(SLOT_LEASE + timedelta(seconds=1))   # the lease ran out ...
            elsewhere = first.ledger.lease_netsuite_slot(NS_ACCOUNT, 1, SLOT_LEASE)   # ... and was taken over
            assert elsewhere is not None and elsewhere[0] == slot
        # handed over: the waiter either sends under it (wrong) or finds it gone and asks the ledger
        assert theirs.moved.wait(HANG_GUARD)
        assert not holding.is_set(), f"the waiting request sent under a slot another worker holds: {seen}"
        first.ledger.release_netsuite_slot(NS_ACCOUNT, *elsewhere)
        assert holding.wait(HANG_GUARD)
        (_, holders), = seen
        assert holders[slot] not in (leased_as, elsewhere[1])
        done.set()
        waiter.join(HANG_GUARD)
        assert first.ledger.netsuite_slot_holders(NS_ACCOUNT) == {}
    finally:
        done.set()
