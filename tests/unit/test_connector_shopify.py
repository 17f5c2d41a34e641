"""The Shopify adapter against handwritten Admin REST answers: what it reads and what it sends."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from common import jsonio
from connector import RateLimited, RemoteError
from connector.model import LineKind, SourceStatus
from connector.storefronts.base import RefundPush
from connector.storefronts.shopify import ShopifyAdapter
from tests.unit.connector_helpers import (
    SHOPIFY_BASE,
    Routes,
    body_of,
    json_response,
    shopify_order,
    shopify_refund,
)

D = Decimal


def _adapter(routes: Routes) -> ShopifyAdapter:
    return ShopifyAdapter(routes.client(), shop="acme-outfitters", access_token="shpat_token")


def test_order_is_read_net_of_discount_with_shipping_as_a_line() -> None:
    routes = Routes()
    routes.add("GET", r"/orders/1001\.json$", {"order": shopify_order()})
    order = _adapter(routes).get_order("1001")
    assert routes.requests[0].headers["X-Shopify-Access-Token"] == "shpat_token"
    assert str(routes.requests[0].url) == f"{SHOPIFY_BASE}/orders/1001.json"
    assert (order.id, order.name, order.currency, order.paid, order.gateway) == ("1001", "#1001", "USD", True,
                                                                                  "shopify_payments")
    tee, mug, shipping = order.lines
    assert (tee.line_id, tee.sku, tee.quantity, tee.unit_price, tee.amount, tee.tax) == \
        ("11", "TEE-1", D(2), D("20.00"), D("35.00"), D("2.80"))
    assert (mug.amount, mug.tax) == (D("12.50"), D("1.00"))
    assert (shipping.line_id, shipping.kind, shipping.amount, shipping.tax) == \
        ("shipping-31", LineKind.SHIPPING, D("7.00"), D("0.56"))
    assert order.total == D("58.86") and order.customer.email == "ada@example.com"
    assert not _adapter_order(shopify_order(financial_status="pending")).paid


def _adapter_order(raw):
    return _adapter(Routes()).parse_order(raw)


def test_refund_total_is_the_money_that_went_back() -> None:
    refund = _adapter(Routes()).parse_refund(shopify_refund(amount="25.48"), "USD")
    assert refund.total == D("25.48") and refund.status is SourceStatus.COMPLETED
    tee, shipping = refund.lines
    assert (tee.sku, tee.line_id, tee.quantity, tee.amount, tee.tax) == ("TEE-1", "11", D(1), D("17.50"), D("1.40"))
    assert (shipping.kind, shipping.line_id, shipping.amount, shipping.tax) == \
        (LineKind.SHIPPING, "shipping-31", D("7.00"), D("0.56"))
    pending = _adapter(Routes()).parse_refund(shopify_refund(status="pending"), "USD")
    assert pending.status is SourceStatus.PENDING and pending.total == 0


def test_pre_2024_10_shipping_adjustments_are_read_as_shipping() -> None:
    raw = shopify_refund(shipping=False)
    raw["order_adjustments"] = [{"amount": "-7.00", "tax_amount": "-0.56", "kind": "shipping_refund"},
                                {"amount": "0.98", "tax_amount": "0.00", "kind": "refund_discrepancy"}]
    lines = _adapter(Routes()).parse_refund(raw, "USD").lines
    assert [(l.kind, l.amount, l.tax) for l in lines][1:] == [(LineKind.SHIPPING, D("7.00"), D("0.56"))]


def test_refunds_since_follows_link_pagination() -> None:
    routes = Routes()
    first = shopify_order(1001) | {"refunds": [shopify_refund(901, 1001)]}
    second = shopify_order(1002) | {"refunds": [shopify_refund(902, 1002)]}
    routes.add("GET", r"/orders\.json\?status=any", json_response(
        200, {"orders": [first]}, {"Link": f'<{SHOPIFY_BASE}/orders.json?limit=50&page_info=abc>; rel="next"'}))
    routes.add("GET", r"page_info=abc", {"orders": [second]})
    found = _adapter(routes).refunds_since(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    assert [(r.id, r.order_id) for r in found] == [("901", "1001"), ("902", "1002")]
    assert routes.requests[0].url.params["updated_at_min"] == "2026-01-05T09:00:00Z"
    assert routes.requests[1].url.params["page_info"] == "abc"


def test_create_refund_calculates_then_refunds_against_the_sale() -> None:
    routes = Routes()
    routes.add("POST", r"/refunds/calculate\.json$", {"refund": {"transactions": [
        {"kind": "suggested_refund", "parent_id": 3, "amount": "26.46", "maximum_refundable": "58.86",
         "gateway": "shopify_payments"}]}})
    routes.add("POST", r"/orders/1001/refunds\.json$", json_response(201, {"refund": shopify_refund(
        950, note="Refund from NetSuite CR-7 [netsuite:CR-7:5004]", amount="26.00")}))
    adapter = _adapter(routes)
    order = adapter.parse_order(shopify_order())
    pushed = adapter.create_refund(order, RefundPush(
        total=D("26.00"), currency="USD", lines=(("11", D(1)),), shipping=D("7.00"),
        note="Refund from NetSuite CR-7 [netsuite:CR-7:5004]", idempotency_key="unused-by-shopify"))
    assert (pushed.id, pushed.status, pushed.amount) == ("950", SourceStatus.COMPLETED, D("26.00"))
    calculate, create = (body_of(r)["refund"] for r in routes.requests)
    assert calculate == {"currency": "USD", "refund_line_items": [
        {"line_item_id": 11, "quantity": 1, "restock_type": "no_restock"}], "shipping": {"amount": "7.00"}}
    assert create == {"note": "Refund from NetSuite CR-7 [netsuite:CR-7:5004]", "notify": False, "currency": "USD",
                      "refund_line_items": [{"line_item_id": 11, "quantity": 1, "restock_type": "no_restock"}],
                      "shipping": {"amount": "7.00"},
                      "transactions": [{"parent_id": 3, "amount": "26.00", "kind": "refund",
                                        "gateway": "shopify_payments"}]}
    # money as strings on the wire, as Shopify writes it
    assert b'"amount":"26.00"' in routes.requests[1].content


def test_an_amount_only_refund_finds_the_sale_in_the_transactions() -> None:
    routes = Routes()
    routes.add("GET", r"/orders/1001/transactions\.json$", {"transactions": [
        {"id": 3, "kind": "sale", "status": "success", "amount": "58.86", "gateway": "shopify_payments"},
        {"id": 4, "kind": "refund", "status": "success", "amount": "10.00", "parent_id": 3}]})
    routes.add("POST", r"/orders/1001/refunds\.json$", json_response(201, {"refund": shopify_refund(951, amount="5.00")}))
    adapter = _adapter(routes)
    adapter.create_refund(adapter.parse_order(shopify_order()), RefundPush(
        total=D("5.00"), currency="USD", lines=(), shipping=None, note="n", idempotency_key="k"))
    assert routes.calls() == ["GET /admin/api/2024-10/orders/1001/transactions.json",
                              "POST /admin/api/2024-10/orders/1001/refunds.json"]
    assert body_of(routes.requests[1])["refund"]["transactions"] == [
        {"parent_id": 3, "amount": "5.00", "kind": "refund", "gateway": "shopify_payments"}]


def test_find_pushed_refund_looks_for_the_marker() -> None:
    routes = Routes()
    routes.add("GET", r"/orders/1001/refunds\.json$", {"refunds": [
        shopify_refund(901, note="customer called"), shopify_refund(902, note="Refund from NetSuite [netsuite:CR-7:5004]")]})
    adapter = _adapter(routes)
    order = adapter.parse_order(shopify_order())
    assert adapter.find_pushed_refund(order, "[netsuite:CR-7:5004]").id == "902"
    assert adapter.find_pushed_refund(order, "[netsuite:CR-8:5005]") is None


def test_errors_are_translated() -> None:
    routes = Routes()
    routes.add("GET", r"/orders/1\.json", json_response(429, {"errors": "Exceeded 2 calls per second for api client."},
                                                        {"Retry-After": "2.0"}))
    routes.add("GET", r"/orders/2\.json", json_response(404, {"errors": "Not Found"}))
    routes.add("POST", r"/refunds\.json", json_response(422, {"errors": {"transactions": [
        "Amount cannot be greater than the refundable amount"]}}))
    adapter = _adapter(routes)
    with pytest.raises(RateLimited, match="rate limit"):
        adapter.get_order("1")
    with pytest.raises(RemoteError, match="Not Found") as missing:
        adapter.get_order("2")
    assert missing.value.status == 404
    with pytest.raises(RemoteError, match="transactions: Amount cannot be greater than the refundable amount"):
        adapter.api.request("POST", "/orders/1/refunds.json", body={"refund": {}}, what="refund")


def test_webhook_subscription_is_idempotent() -> None:
    routes = Routes()
    routes.add("POST", r"/webhooks\.json$", json_response(422, {"errors": {"address": ["for this topic has already been taken"]}}))
    _adapter(routes).register_refund_webhook("https://hooks.refund-connector.test/webhooks/shopify")
    assert jsonio.loads(routes.requests[0].content) == {"webhook": {
        "topic": "refunds/create", "address": "https://hooks.refund-connector.test/webhooks/shopify", "format": "json"}}
