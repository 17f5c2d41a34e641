"""The WooCommerce adapter and webhook receiver against the WooCommerce simulator (and, for answers the
simulator only gives under a fault, handwritten ones)."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from connector import AccountSettings, Direction, RefundStatus, RemoteError
from connector.model import LineKind, SourceStatus
from connector.storefronts.base import RefundPush
from connector.storefronts.woocommerce import WooCommerceAdapter
from connector.storefronts.woocommerce_webhooks import woocommerce_signature
from simulators.woocommerce import WooCommerceSimulator
from tests.unit.connector_helpers import Routes, json_response, make_connector
from simulators.core.orders import LineSpec
from tests.unit.storefront_helpers import usd_order

D = Decimal
SECRET = "whsec_test"


@pytest.fixture
def sim() -> WooCommerceSimulator:
    return WooCommerceSimulator()


def adapter_for(sim: WooCommerceSimulator) -> WooCommerceAdapter:
    http = httpx.Client(transport=httpx.MockTransport(sim.handle))
    return WooCommerceAdapter(http, store=sim.host, consumer_key=sim.consumer_key,
                              consumer_secret=sim.consumer_secret, webhook_secret=SECRET)


def push(total: str, lines=(), shipping=None, note="Refund from NetSuite CR1 [netsuite:cashRefund:7]") -> RefundPush:
    return RefundPush(total=D(total), currency="USD", lines=tuple(lines), shipping=D(shipping) if shipping else None,
                      note=note, idempotency_key="k")


def test_order_lines_and_shipping(sim):
    placed = sim.add_order(usd_order(gateway="stripe"))
    order = adapter_for(sim).get_order(str(placed["id"]))
    shirt, hat, shipping = order.lines
    assert (shirt.sku, shirt.quantity, shirt.unit_price, shirt.amount, shirt.tax) == \
        ("SKU-1001", D(3), D("19.99"), D("53.97"), D("4.45"))
    assert shipping.kind is LineKind.SHIPPING and shipping.line_id == f"shipping-{placed['shipping_lines'][0]['id']}"
    assert order.paid and order.gateway == "stripe" and order.name == f"#{placed['id']}"


def test_a_push_by_line_with_shipping_refunds_through_the_gateway(sim):
    placed = sim.add_order(usd_order(gateway="stripe"))
    adapter = adapter_for(sim)
    order = adapter.get_order(str(placed["id"]))
    shirt = placed["line_items"][0]
    pushed = adapter.create_refund(order, push("28.12", [(str(shirt["id"]), D(1))], shipping="7.50"))
    assert pushed.status is SourceStatus.COMPLETED and pushed.amount == D("28.12")
    [refund] = adapter.list_refunds(order)
    assert refund.total == D("28.12") and refund.note.endswith("[netsuite:cashRefund:7]")
    item, ship = refund.lines
    assert (item.line_id, item.quantity, item.amount, item.tax) == (str(shirt["id"]), D(1), D("17.99"), D("1.48"))
    assert (ship.kind, ship.amount, ship.tax) == (LineKind.SHIPPING, D("7.50"), D("0.62"))
    assert sim.backend.order(placed["id"]).refunds[0].refunded_payment is True
    assert adapter.find_pushed_refund(order, "[netsuite:cashRefund:7]").id == pushed.id
    assert adapter.find_pushed_refund(order, "[netsuite:cashRefund:8]") is None


def test_an_order_whose_gateway_cannot_refund_is_refunded_as_a_record(sim):
    placed = sim.add_order(usd_order(gateway="manual"))   # payment on terms: no gateway to call
    adapter = adapter_for(sim)
    adapter.create_refund(adapter.get_order(str(placed["id"])), push("10.00"))
    assert sim.backend.order(placed["id"]).refunds[0].refunded_payment is False


def test_an_over_refund_500_is_a_refusal_not_retried(sim):
    placed = sim.add_order(usd_order(gateway="stripe"))
    adapter = adapter_for(sim)
    with pytest.raises(RemoteError) as refused:
        adapter.create_refund(adapter.get_order(str(placed["id"])), push("1000.00"))
    assert refused.value.status == 500 and not refused.value.retryable
    assert "Invalid refund amount." in str(refused.value)


def test_the_try_again_500_and_other_5xx_stay_retryable():
    routes = Routes()
    routes.add("GET", r"/orders/5$", {"id": 5, "currency": "USD", "date_created_gmt": "2026-01-05T09:00:00",
                                      "line_items": [], "shipping_lines": [], "payment_method": "",
                                      "date_paid": None})
    routes.add("POST", r"/orders/5/refunds$", json_response(500, {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "Cannot create order refund, please try again.", "data": {"status": 500}}))
    adapter = WooCommerceAdapter(routes.client(), store="shop.example", consumer_key="ck", consumer_secret="cs")
    with pytest.raises(RemoteError) as failed:
        adapter.create_refund(adapter.get_order("5"), push("1.00"))
    assert failed.value.retryable
    assert routes.requests[0].headers["Authorization"].startswith("Basic ")


def test_refunds_since_pages_orders_modified_after(sim):
    adapter = adapter_for(sim)
    start = sim.clock.now()
    placed = [sim.add_order(usd_order(gateway="stripe")) for _ in range(3)]
    for p in placed:
        sim.refund_in_admin(p["id"], amount=D("1.00"))
    found = list(adapter.refunds_since(start))
    assert sorted(r.order_id for r in found) == sorted(str(p["id"]) for p in placed)
    sim.clock.advance(timedelta(hours=1))
    assert list(adapter.refunds_since(sim.clock.now())) == []


def test_register_refund_webhook_once(sim):
    adapter = adapter_for(sim)
    adapter.register_refund_webhook("https://hooks.example/webhooks/woocommerce")
    adapter.register_refund_webhook("https://hooks.example/webhooks/woocommerce")
    [hook] = sim.backend.webhooks.values()
    assert (hook.topic, hook.secret, hook.status) == ("action.woocommerce_order_refunded", SECRET, "active")


# --- the webhook receiver --------------------------------------------------------------------

URL = "https://hooks.refund-connector.test/webhooks/woocommerce"


@pytest.fixture
def wired(tmp_path, sim):
    routes = Routes()
    routes.add("GET", sim.host, lambda request, match: sim.handle(request))
    routes.add("POST", sim.host, lambda request, match: sim.handle(request))
    connector = make_connector(tmp_path, routes)
    account = connector.add_account(name="Woo", platform="woocommerce", store=sim.host, settings=AccountSettings(),
                                    credentials={"consumer_key": sim.consumer_key,
                                                 "consumer_secret": sim.consumer_secret, "webhook_secret": SECRET})
    connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE)
    yield connector, account
    connector.close()


def delivery(sim, body: bytes, *, secret: str = SECRET, delivery_id: str = "d1",
             topic: str = "action.woocommerce_order_refunded", source: str | None = None) -> httpx.Request:
    return httpx.Request("POST", URL, content=body, headers={
        "X-WC-Webhook-Source": source or f"https://{sim.host}/", "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0], "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-ID": "7", "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-Signature": woocommerce_signature(secret, body)})


def test_a_signed_delivery_records_the_orders_refunds_once(wired, sim):
    connector, account = wired
    placed = sim.add_order(usd_order(gateway="stripe"))
    sim.refund_in_admin(placed["id"], amount=D("4.00"))
    body = json.dumps({"action": "woocommerce_order_refunded", "arg": placed["id"]}).encode()
    response = connector.handle_webhook(delivery(sim, body))
    assert response.status_code == 200 and response.json()["status"] == "recorded"
    [row] = connector.refunds(account_id=account.id)
    assert (row.order_id, row.total, row.status) == (str(placed["id"]), D("4.00"), RefundStatus.RETRIEVED)
    assert connector.handle_webhook(delivery(sim, body)).json()["status"] == "duplicate delivery ignored"
    assert connector.handle_webhook(delivery(sim, body, delivery_id="d2")).status_code == 200
    assert len(connector.refunds(account_id=account.id)) == 1


@pytest.mark.parametrize("tamper", ["wrong secret", "edited body", "other store"])
def test_unverifiable_deliveries_get_401(wired, sim, tamper):
    connector, account = wired
    body = b'{"action": "woocommerce_order_refunded", "arg": 1}'
    request = {"wrong secret": lambda: delivery(sim, body, secret="nope"),
               "edited body": lambda: httpx.Request("POST", URL, content=body + b" ",
                                                    headers=delivery(sim, body).headers),
               "other store": lambda: delivery(sim, body, source="https://elsewhere.example/")}[tamper]()
    assert connector.handle_webhook(request).status_code == 401
    assert connector.refunds(account_id=account.id) == []


def test_a_push_gives_each_line_the_money_netsuite_refunded_for_it(sim):
    # 33.33 x 3 at 7.25%: NetSuite refunds the second unit with 2.42 of tax (its share of what was left);
    # a third of the line's 7.25 rounded on its own would be 2.42 too, but the third unit then takes 2.41
    placed = sim.add_order(usd_order(gateway="stripe", shipping=D(0),
                                     lines=(LineSpec("SKU-1001", "Linen Shirt", D("33.33"), 3, tax_rate=D("0.0725")),)))
    adapter = adapter_for(sim)
    order = adapter.get_order(str(placed["id"]))
    line_id = str(placed["line_items"][0]["id"])
    for total, tax in (("35.75", "2.42"), ("35.75", "2.42"), ("35.74", "2.41")):
        adapter.create_refund(order, RefundPush(
            total=D(total), currency="USD", lines=((line_id, D(1)),), shipping=None, note=f"r {total} {tax}",
            idempotency_key=f"k{len(adapter.list_refunds(order))}", line_values=((line_id, D("33.33"), D(tax)),)))
    refunds = sorted(adapter.list_refunds(order), key=lambda r: int(r.id))
    assert [(r.lines[0].amount, r.lines[0].tax) for r in refunds] == \
        [(D("33.33"), D("2.42")), (D("33.33"), D("2.42")), (D("33.33"), D("2.41"))]
    assert all(r.total == sum((line.gross for line in r.lines), D(0)) for r in refunds)
