"""The shipped connector's BigCommerce adapter and webhook receiver, end to end in a World: Standard
Webhooks verification (forged, stale and replayed deliveries), throttling and the one-refund-at-a-time
rule of an order."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from connector.errors import RateLimited
from harness.scenario import ScenarioWorld
from simulators.bigcommerce.webhooks import sign


@pytest.fixture
def world(tmp_path) -> ScenarioWorld:
    w = ScenarioWorld(seed=11, workdir=tmp_path)
    yield w
    w.close()


def ready(world: ScenarioWorld, direction: str):
    account = world.connect("bigcommerce")
    world.connector.activate_order_sync(account.id)
    test_order = world.place_order(account)
    world.sync(test_order)
    world.bill(test_order)
    world.connector.enable_refund_sync(account.id, direction)
    return account


def delivery(world: ScenarioWorld, account, webhook_id: str, timestamp: int, secret: str | None = None) -> httpx.Response:
    sim = account.driver.simulator
    order = world.order
    refund_id = order.storefront_refund_ids[-1]
    body = jsonio.dumps({"scope": "store/order/refund/created", "store_id": "1",
                         "data": {"type": "order", "id": int(order.placed.order_id), "refund": {"refund_id": int(refund_id)}},
                         "hash": "x", "created_at": timestamp, "producer": f"stores/{account.driver.account_store()}"}).encode()
    hook = sim.hooks()[0]
    return world.http.post(hook["destination"], content=body, headers={
        "webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret or sim.store.client_secret, webhook_id, timestamp, body)})


def test_a_signed_refund_webhook_is_recorded_once_and_replays_and_forgeries_are_refused(world):
    account = ready(world, "to_netsuite")
    order = world.place_order(account)
    world.sync(order)
    world.bill(order)
    world.refund_at_storefront(order, lines=((1, 1),))
    now = int(world.clock.now().timestamp())
    assert delivery(world, account, "msg_forged", now, secret="wrong").status_code == 401
    assert delivery(world, account, "msg_old", now - 3600).status_code == 401          # stale: a replay
    assert world.connector.refunds(account.id) == [] or all(
        r.order_id != order.placed.order_id for r in world.connector.refunds(account.id))
    first = delivery(world, account, "msg_1", now)
    assert first.status_code == 200 and jsonio.loads(first.content)["status"] == "recorded"
    again = delivery(world, account, "msg_1", now)
    assert jsonio.loads(again.content)["status"] == "duplicate delivery ignored"
    rows = [r for r in world.connector.refunds(account.id) if r.order_id == order.placed.order_id]
    assert len(rows) == 1


def test_the_adapter_reads_a_429_as_rate_limited(world):
    account = ready(world, "to_netsuite")
    sim = account.driver.simulator
    sim.settings.quota = 0
    from connector.storefronts.bigcommerce import BigCommerceAdapter

    adapter = BigCommerceAdapter(world.http, store_hash=account.driver.account_store(),
                                 access_token=sim.store.access_token)
    with pytest.raises(RateLimited):
        adapter.get_order(world.order.placed.order_id)
    sim.settings.quota = 150
    world.clock.advance(timedelta(seconds=31))
    assert adapter.get_order(world.order.placed.order_id).id == world.order.placed.order_id


def test_a_refund_in_flight_on_the_order_leaves_the_push_to_the_next_run(world):
    account = ready(world, "from_netsuite")
    order = world.place_order(account)
    world.sync(order)
    world.bill(order)
    sim = account.driver.simulator
    sim.hold_refund_in_flight(int(order.placed.order_id))
    world.refund_in_netsuite(order, lines=((1, 1),))
    world.run_schedule()
    rows = world.connector.refunds(account.id)
    row = next(r for r in rows if r.order_id == order.placed.order_id)
    assert row.status != "posted" and "one after another" in (row.error or ""), row
    sim.finish_refund_in_flight(int(order.placed.order_id))
    world.run_schedule()
    row = next(r for r in world.connector.refunds(account.id) if r.order_id == order.placed.order_id)
    assert row.status == "posted", row
    assert len(account.driver.refunds(order.placed)) == 1
    assert account.driver.refunds(order.placed)[0].total > Decimal(0)


def _adapter(sim):
    from connector.storefronts.bigcommerce import BigCommerceAdapter
    return BigCommerceAdapter(httpx.Client(transport=httpx.MockTransport(sim.handle)), store_hash=sim.store.hash,
                              access_token=sim.store.access_token)


def _three_units(sim, price: str, rate: str, currency: str = "USD"):
    from simulators.core.orders import LineSpec, OrderSpec
    return sim.add_order(OrderSpec(currency=currency, gateway="authorizenet",
                                   lines=(LineSpec("SKU-1001", "Shirt", Decimal(price), 3, tax_rate=Decimal(rate)),)))


@pytest.mark.parametrize("price,rate,currency,taxes", [
    ("19.99", "0.08875", "USD", ["1.77", "1.78", "1.77"]),   # a third of 5.32 alone: 1.77 thrice, 5.31
    ("33.33", "0.0725", "USD", ["2.42", "2.41", "2.42"]),    # a third of 7.25 alone: 2.42 thrice, 7.26
    ("1999", "0.0924", "JPY", ["185", "184", "185"]),        # a third of 554 alone: 185 thrice, 555
])
def test_units_refunded_one_at_a_time_are_read_with_all_of_the_lines_tax(price, rate, currency, taxes):
    from simulators.bigcommerce import BigCommerceSimulator
    from common.clock import ManualClock
    sim = BigCommerceSimulator(clock=ManualClock())
    placed = _three_units(sim, price, rate, currency)
    for _ in range(3):
        sim.refund_in_admin(placed["id"], lines=[(placed["products"][0]["id"], 1)])
    adapter = _adapter(sim)
    order = adapter.get_order(str(placed["id"]))
    refunds = adapter.list_refunds(order)
    assert [r.lines[0].tax for r in refunds] == [Decimal(t) for t in taxes]
    assert all(r.total == r.lines[0].gross for r in refunds)   # each refund's line carries all of its money
    assert [adapter.refund(order.id, r.id) for r in refunds] == refunds
    assert sorted(adapter.refunds_since(order.created_at - timedelta(days=1)), key=lambda r: int(r.id)) == refunds


def test_a_push_pays_what_the_quote_offers_after_its_adjustment_without_overriding_it():
    from simulators.bigcommerce import BigCommerceSimulator
    from common.clock import ManualClock
    from connector.storefronts.base import RefundPush
    sim = BigCommerceSimulator(clock=ManualClock())
    placed = _three_units(sim, "33.33", "0.0725")
    product = placed["products"][0]["id"]
    adapter = _adapter(sim)
    order = adapter.get_order(str(placed["id"]))
    # NetSuite's split of the line: 35.75, 35.75, 35.74; BigCommerce prices the units 35.75, 35.74, 35.75
    for total in ("35.75", "35.75", "35.74"):
        pushed = adapter.create_refund(order, RefundPush(total=Decimal(total), currency="USD",
                                                         lines=((str(product), Decimal(1)),), shipping=None,
                                                         note=f"[netsuite:cashRefund:{total}]", idempotency_key=total))
        assert pushed.amount == Decimal(total)
    last = sim.refund(int(pushed.id))
    assert last["uses_merchant_override_values"] is False and last["total_amount"] == Decimal("35.74")
