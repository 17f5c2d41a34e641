"""An answer cut short (the fault plane's ``truncated``: a shorter body under the original Content-Length)
loses no refund and doubles none, on every registered platform and each direction it offers.

Each case first lets one sync run go by without faults and notes every route (simulator, method, handler)
the connector called in it, reads and writes alike; then, for each of those routes in turn, a new refund
is made and the next sync run meets a truncated answer on that route. Quiet runs follow; every refund
must then be posted exactly once and both sides must match per order (``World.reconcile``), read from
the simulators. A write whose answer was cut short happened: the connector has to find it, not post it
again. A unit test at the end pins the answer reader itself.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from connector.answers import json_body
from connector.errors import RemoteError
from harness import seam
from harness.directions import TO_NETSUITE
from harness.platforms import Platform, platform as find_platform, platforms
from harness.expected import OrderUnderTest
from harness.scenario import AccountUnderTest, ScenarioWorld
from simulators.core.faults import FaultRule

CELLS = [(p.name, d) for p in platforms() for d in p.capabilities.directions]
QUIET_RUNS = 8   # scheduled runs allowed to settle (async refunds need a second look)


def _order(world: ScenarioWorld, account: AccountUnderTest) -> OrderUnderTest:
    order = world.place_order(account, quantity_first=2)
    world.sync(order)
    world.bill(order)
    return order


def _refund(world: ScenarioWorld, order: OrderUnderTest, direction: str) -> None:
    if direction == TO_NETSUITE:
        world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)
    else:
        world.refund_in_netsuite(order, lines=((1, 1),))


def _sync_run(world: ScenarioWorld) -> None:
    """What a sync is: the store's webhooks arrive (their receivers read the store), then the schedule."""
    world.deliver_webhooks()
    world.run_schedule()


def _routes_called(world: ScenarioWorld, entry: Platform, run) -> list[dict]:
    """The fault scope of every route the connector called during ``run``, in the order first called."""
    for simulator in world.simulators().values():
        simulator.journal.clear()
    run()
    routes: dict[tuple, dict] = {}
    for name, simulator in world.simulators().items():
        system = "netsuite" if name == "netsuite" else entry.name
        for entry_ in simulator.journal.entries():
            if entry_.operation:
                routes.setdefault((system, entry_.method, entry_.operation),
                                  {"simulator": system, "method": entry_.method, "operation": entry_.operation})
    return list(routes.values())


def _sides(world: ScenarioWorld, order: OrderUnderTest, direction: str) -> tuple[int, int]:
    storefront = len(world.driver_of(order).refunds(order.placed))
    netsuite = len(world.netsuite_view.side(order))
    return (storefront, netsuite) if direction == TO_NETSUITE else (netsuite, storefront)


@pytest.mark.parametrize(("platform", "direction"), CELLS, ids=[f"{p}-{d}" for p, d in CELLS])
def test_a_truncated_answer_on_any_route_of_a_sync_loses_and_doubles_no_refund(platform: str, direction: str,
                                                                                tmp_path: Path) -> None:
    entry = find_platform(platform)
    world = ScenarioWorld(seed=11, workdir=tmp_path)
    try:
        account = world.connect(entry)
        account.driver.lift_rate_limits()
        world.connector.activate_order_sync(account.id)
        orders = [_order(world, account)]   # activation needs a synced, billed order
        world.connector.enable_refund_sync(account.id, direction)
        _refund(world, orders[0], direction)
        routes = _routes_called(world, entry, lambda: _sync_run(world))
        assert routes, "a sync run with a refund to sync called no route"
        unfired = []
        for route in routes:
            order = _order(world, account)
            orders.append(order)
            _refund(world, order, direction)
            rule = world.faults.add(FaultRule(action="truncated", times=1, **route))
            try:
                _sync_run(world)   # nothing a cut-short answer does may escape the connector
            finally:
                world.faults.remove(rule.id)
            if not rule.fired:
                unfired.append(route)
        assert not unfired, f"these routes were called in the first sync but not in the faulty one: {unfired}"
        for _ in range(QUIET_RUNS):
            _sync_run(world)
            if all(row.status == seam.POSTED for row in world.connector.refunds(account.id)):
                break
        rows = world.connector.refunds(account.id)
        assert all(row.status == seam.POSTED for row in rows), [
            (row.source_id, row.status, row.error) for row in rows if row.status != seam.POSTED]
        assert len(rows) == len(orders), (len(rows), len(orders))
        for order in orders:
            assert _sides(world, order, direction) == (1, 1), (
                f"order {order.placed.order_id}: (source, other side) refunds {_sides(world, order, direction)}")
            result = world.reconcile(order)
            assert result.matches, result.describe()
    finally:
        world.close()


def _answer(content: bytes, promised: int | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if promised is not None:
        headers["Content-Length"] = str(promised)
    return httpx.Response(200, headers=headers, content=content)


@pytest.mark.parametrize(("content", "promised", "expect", "problem"), [
    (b'{"id": "1', 12, dict, "cut short"),
    (b'12', 5, (int, str), "cut short"),           # a bare id cut short still parses: the length tells
    (b'<html>busy</html>', None, dict, "not JSON"),
    (b'[1, 2]', None, dict, "expected a JSON object"),
    (b'', None, dict, "empty"),
])
def test_an_unreadable_answer_is_a_retryable_remote_error_naming_the_problem(content, promised, expect,
                                                                            problem) -> None:
    with pytest.raises(RemoteError) as caught:
        json_body(_answer(content, promised), system="NetSuite", what="read cashRefund 7", expect=expect)
    assert caught.value.retryable and problem in str(caught.value) and "read cashRefund 7" in str(caught.value)


def test_a_whole_answer_is_read() -> None:
    assert json_body(_answer(b'{"id": "1"}', 11), system="NetSuite", what="read") == {"id": "1"}
    assert json_body(_answer(b"", 0), system="Shop", what="list", empty={}) == {}


def test_a_compressed_answer_is_not_taken_for_one_cut_short() -> None:
    """Content-Length counts the compressed bytes; httpx hands over the body decoded (a short one is
    shorter than its compressed form)."""
    compressed = gzip.compress(b'{"id": "1"}')
    assert len(compressed) > len(b'{"id": "1"}')
    answer = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(
        200, headers={"Content-Encoding": "gzip", "Content-Length": str(len(compressed))}, content=compressed)))
    with answer:
        assert json_body(answer.get("https://shop.test/x"), system="Shop", what="read")["id"] == "1"
