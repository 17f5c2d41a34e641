"""The Shopify adapter: GraphQL Admin against the simulator (what it reads and what it sends), and the
REST refund parser refunds/create webhooks go through."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from connector import RateLimited, RemoteError
from connector.errors import NotFound
from connector.model import LineKind, SourceStatus
from connector.storefronts import shopify as shopify_module
from connector.storefronts.base import RefundPush
from connector.storefronts.shopify import ShopifyAdapter, parse_rest_refund
from simulators.core.orders import CustomerSpec, LineSpec, OrderSpec
from simulators.shopify import ShopifySimulator
from simulators.shopify.responses import refund_json
from tests.unit.connector_helpers import Routes, json_response, shopify_refund

D = Decimal


def eur_at_a_usd_shop(**overrides: object) -> OrderSpec:
    """A customer pays in EUR at a shop selling in USD (1 EUR = 1.0850 USD): every amount differs."""
    fields: dict[str, object] = dict(
        currency="EUR", shop_currency="USD", exchange_rate=D("1.0850"),
        lines=(LineSpec("TEE-1", "Tee", D("20.00"), 2, discount=D("5.00"), tax_rate=D("0.08")),
               LineSpec("MUG-2", "Mug", D("12.50"), 1, tax_rate=D("0.08"))),
        shipping=D("7.00"), shipping_tax_rate=D("0.08"), gateway="shopify_payments",
        customer=CustomerSpec("Ada", "Lovelace", "ada@example.com"))
    fields.update(overrides)
    return OrderSpec(**fields)  # type: ignore[arg-type]


class Shop:
    def __init__(self) -> None:
        self.sim = ShopifySimulator(seed=7)
        self.client = httpx.Client(transport=httpx.MockTransport(self.sim.handle))
        self.adapter = ShopifyAdapter(self.client, shop=self.sim.shop, access_token=self.sim.access_token)

    def graphql_calls(self) -> list[dict]:
        return [jsonio.loads(e.request_body) for e in self.sim.journal.entries() if e.path.endswith("/graphql.json")]


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_order_is_read_in_the_currency_the_customer_paid(shop: Shop) -> None:
    placed = shop.sim.add_order(eur_at_a_usd_shop())
    assert (placed["currency"], placed["presentment_currency"]) == ("USD", "EUR")
    order = shop.adapter.get_order(str(placed["id"]))
    assert (order.id, order.name, order.currency, order.paid, order.gateway) == \
        (str(placed["id"]), "#1001", "EUR", True, "shopify_payments")
    tee, mug, shipping = order.lines
    assert (tee.line_id, tee.sku, tee.quantity, tee.unit_price, tee.amount, tee.tax) == \
        (str(placed["line_items"][0]["id"]), "TEE-1", D(2), D("20.00"), D("35.00"), D("2.80"))
    assert (mug.amount, mug.tax) == (D("12.50"), D("1.00"))
    assert (shipping.kind, shipping.amount, shipping.tax) == (LineKind.SHIPPING, D("7.00"), D("0.56"))
    assert shipping.line_id == f"shipping-{placed['shipping_lines'][0]['id']}"
    # the total the customer paid, not the shop's converted 63.86 USD
    assert order.total == D(placed["total_price_set"]["presentment_money"]["amount"]) == D("58.86")
    assert D(placed["total_price"]) != order.total
    [call] = shop.graphql_calls()
    assert call["operationName"] == "Order" and call["variables"] == {"id": f"gid://shopify/Order/{placed['id']}"}


def test_a_refund_is_read_in_the_paid_currency_and_its_total_is_the_money_that_went_back(shop: Shop) -> None:
    placed = shop.sim.add_order(eur_at_a_usd_shop())
    made = shop.sim.refund_in_admin(placed["id"], [(placed["line_items"][0]["id"], 1)], shipping=True,
                                    amount=D("25.00"))   # less than the 26.46 calculated: a discrepancy
    order = shop.adapter.get_order(str(placed["id"]))
    [refund] = shop.adapter.list_refunds(order)
    assert (refund.id, refund.order_id, refund.currency, refund.total, refund.status) == \
        (str(made["id"]), order.id, "EUR", D("25.00"), SourceStatus.COMPLETED)
    tee, shipping = refund.lines
    assert (tee.sku, tee.quantity, tee.amount, tee.tax) == ("TEE-1", D(1), D("17.50"), D("1.40"))
    assert (shipping.kind, shipping.amount, shipping.tax) == (LineKind.SHIPPING, D("7.00"), D("0.56"))
    assert shop.adapter.refund(order.id, refund.id) == refund
    with pytest.raises(NotFound):
        shop.adapter.refund("1", refund.id)   # a refund of another order is not this one


def test_refunds_since_pages_through_orders_and_reads_those_with_refunds(shop: Shop, monkeypatch) -> None:
    monkeypatch.setattr(shopify_module, "ORDERS_PAGE", 2)
    since = shop.sim.clock.now()
    placed = [shop.sim.add_order(eur_at_a_usd_shop()) for _ in range(5)]
    for order in placed[::2]:
        shop.sim.refund_in_admin(order["id"], [(order["line_items"][1]["id"], 1)])
    found = list(shop.adapter.refunds_since(since))
    assert sorted(r.order_id for r in found) == sorted(str(o["id"]) for o in placed[::2])
    listings = [c for c in shop.graphql_calls() if c["operationName"] == "OrdersSince"]
    assert len(listings) == 3 and listings[1]["variables"]["after"]
    assert listings[0]["variables"]["query"] == f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def _push(total: str, lines=(), shipping=None, note="[netsuite:cashrefund:77] from NetSuite") -> RefundPush:
    return RefundPush(total=D(total), currency="EUR", lines=tuple(lines), shipping=shipping, note=note,
                      idempotency_key="k")


def test_create_refund_asks_for_a_suggestion_then_refunds_against_the_sale_in_the_paid_currency(shop: Shop) -> None:
    placed = shop.sim.add_order(eur_at_a_usd_shop())
    order = shop.adapter.get_order(str(placed["id"]))
    tee = order.lines[0].line_id
    pushed = shop.adapter.create_refund(order, _push("18.90", [(tee, D(1))]))
    assert pushed.status is SourceStatus.COMPLETED and pushed.amount == D("18.90")
    suggested, created = shop.graphql_calls()[1:]
    assert suggested["operationName"] == "SuggestedRefund"
    assert created["operationName"] == "RefundCreate"
    refund_input = created["variables"]["input"]
    sale = shop.sim.backend.order(placed["id"]).sale()
    assert refund_input["currency"] == "EUR" and refund_input["notify"] is False
    assert refund_input["refundLineItems"] == [{"lineItemId": f"gid://shopify/LineItem/{tee}", "quantity": 1,
                                                "restockType": "NO_RESTOCK"}]
    assert refund_input["transactions"] == [{"orderId": f"gid://shopify/Order/{placed['id']}",
                                             "parentId": f"gid://shopify/OrderTransaction/{sale.id}",
                                             "amount": "18.90", "kind": "REFUND", "gateway": "shopify_payments"}]
    [stored] = shop.sim.order(placed["id"])["refunds"]
    assert stored["transactions"][0]["amount"] == "18.90" and stored["transactions"][0]["currency"] == "EUR"
    assert shop.adapter.find_pushed_refund(order, "[netsuite:cashrefund:77]").id == pushed.id
    assert shop.adapter.find_pushed_refund(order, "[netsuite:cashrefund:78]") is None


def test_an_amount_only_refund_finds_the_sale_in_the_transactions(shop: Shop) -> None:
    placed = shop.sim.add_order(eur_at_a_usd_shop())
    order = shop.adapter.get_order(str(placed["id"]))
    pushed = shop.adapter.create_refund(order, _push("5.00"))
    assert pushed.amount == D("5.00")
    assert [c["operationName"] for c in shop.graphql_calls()[1:]] == ["OrderTransactions", "RefundCreate"]


def test_user_errors_and_throttling_are_translated(shop: Shop) -> None:
    placed = shop.sim.add_order(eur_at_a_usd_shop())
    order = shop.adapter.get_order(str(placed["id"]))
    with pytest.raises(RemoteError, match="Amount cannot be greater than the refundable amount") as refused:
        shop.adapter.create_refund(order, _push("500.00"))
    assert refused.value.status == 422 and not refused.value.retryable
    with pytest.raises(NotFound):
        shop.adapter.get_order("1")
    shop.sim.settings.graphql_restore_rate = 0.0
    shop.sim.cost_bucket.drain_to(5.0)   # an almost empty bucket
    with pytest.raises(RateLimited, match="throttled") as throttled:
        shop.adapter.get_order(order.id)
    assert throttled.value.code == "THROTTLED" and throttled.value.retryable


def test_an_http_429_on_the_graphql_endpoint_is_a_rate_limit_too(shop: Shop) -> None:
    shop.sim.faults.add(action="status", status=429, retry_after=2, times=1, operation=("graphql:order",))
    with pytest.raises(RateLimited):
        shop.adapter.get_order("5")


def test_rest_refunds_from_webhooks_are_read_in_the_paid_currency(shop: Shop) -> None:
    """The webhook payload of a two-currency order: plain REST amounts are the shop's (USD); a parser
    reading them instead of ``presentment_money`` would post USD figures as EUR."""
    placed = shop.sim.add_order(eur_at_a_usd_shop())
    shop.sim.refund_in_admin(placed["id"], [(placed["line_items"][0]["id"], 1)], shipping=True)
    order = shop.sim.backend.order(placed["id"])
    payload = jsonio.loads(jsonio.dumps(refund_json(order, order.refunds[0], "2024-10")))
    assert payload["refund_line_items"][0]["subtotal"] != D("17.50")   # the shop's USD figure
    refund = parse_rest_refund(payload, "EUR")
    tee, shipping = refund.lines
    assert (tee.amount, tee.tax, shipping.amount, shipping.tax) == (D("17.50"), D("1.40"), D("7.00"), D("0.56"))
    assert refund.total == D("26.46") and refund.currency == "EUR"
    old = jsonio.loads(jsonio.dumps(refund_json(order, order.refunds[0], "2024-07")))   # shipping as an adjustment
    assert [(l.kind, l.amount, l.tax) for l in parse_rest_refund(old, "EUR").lines][1:] == \
        [(LineKind.SHIPPING, D("7.00"), D("0.56"))]


def test_rest_refund_total_is_the_money_that_went_back() -> None:
    refund = parse_rest_refund(shopify_refund(amount="25.48"), "USD")
    assert refund.total == D("25.48") and refund.status is SourceStatus.COMPLETED
    pending = parse_rest_refund(shopify_refund(status="pending"), "USD")
    assert pending.status is SourceStatus.PENDING and pending.total == 0
    assert refund.created_at == datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


def test_webhook_subscription_is_idempotent() -> None:
    routes = Routes()
    routes.add("POST", r"/webhooks\.json$", json_response(422, {"errors": {"address": ["for this topic has already been taken"]}}))
    ShopifyAdapter(routes.client(), shop="acme-outfitters", access_token="shpat_token").register_refund_webhook(
        "https://hooks.refund-connector.test/webhooks/shopify")
    assert jsonio.loads(routes.requests[0].content) == {"webhook": {
        "topic": "refunds/create", "address": "https://hooks.refund-connector.test/webhooks/shopify", "format": "json"}}
