"""Shopify: Admin REST. Refunds by line (with restock), shipping refunds, HMAC-signed refunds/create
webhooks; a cart, so the connector's documentation recommends refunds from NetSuite."""
from __future__ import annotations

from decimal import Decimal

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund, line_key
from harness.storefronts import FlawedDelivery, PlacedLine, PlacedOrder, StorefrontRefundRequest, send_flawed
from simulators.core.faults import FaultTarget
from simulators.core.faults import OBSERVER_HEADER
from simulators.core.orders import OrderSpec
from simulators.shopify import ShopifySimulator, sign
from simulators.shopify.models import LineRefundRequest, RefundRequest

SHOP = "acme-outfitters"
UNSYNCED_ORDER_ID = 9_000_000_000_001   # an order no scenario places, so never synced


def _first(refund: dict, key: str, **changes: object) -> dict:
    """The refund with only the first entry of its list ``key``, changed (an entry of its own if none)."""
    return {**refund, key: [{**(refund.get(key) or [{}])[0], **changes}]}


# What a refunds/create payload (the refund, REST-shaped) may carry wrong, one flaw a delivery: what the
# refusal must name, the flaw in words, and the refund altered to carry it.
REFUND_PAYLOAD_FLAWS = (
    ("the payload", "the refund arrives inside a list", lambda refund: [refund]),
    ("created_at", "created_at is not a time", lambda refund: {**refund, "created_at": "the day before yesterday"}),
    ("note", "note is a number", lambda refund: {**refund, "note": 42}),
    ("transactions[0].kind", "a transaction's kind is a number", lambda refund: _first(refund, "transactions", kind=7)),
    ("currency", "no transaction gives the currency, on an order the connector never synced",
     lambda refund: {**refund, "order_id": UNSYNCED_ORDER_ID, "transactions": []}),
    ("transactions[0].amount", "a refund transaction has no amount",
     lambda refund: _first(refund, "transactions", kind="refund", amount=None)),
    ("refund_line_items[0].quantity", "a refunded quantity is a word",
     lambda refund: _first(refund, "refund_line_items", quantity="one")),
    ("refund_line_items[0].subtotal_set.presentment_money.currency_code", "a MoneyBag's currency is no ISO 4217 code",
     lambda refund: _first(refund, "refund_line_items",
                           subtotal_set={"presentment_money": {"amount": "1.00", "currency_code": "DOLLARS"}})),
    ("refund_shipping_lines", "refund_shipping_lines is text", lambda refund: {**refund, "refund_shipping_lines": "none"}),
    ("order_adjustments[0].amount", "an order adjustment's amount has more decimals than any currency",
     lambda refund: {**refund, "order_adjustments": [{"id": 1, "kind": "refund_discrepancy", "reason": "Refund discrepancy",
                                                      "amount": "-1.2345", "tax_amount": "0.00"}]}),
)


def _paid(money_set: dict) -> Decimal:
    """A REST MoneyBag's amount in the currency the customer paid."""
    return Decimal(str(money_set["presentment_money"]["amount"]))


class ShopifyDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: ShopifySimulator, http: httpx.Client) -> None:
        super().__init__(entry)
        self.simulator = simulator
        self._http = http

    def account_store(self) -> str:
        return self.simulator.shop

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self.simulator.access_token, "client_secret": self.simulator.client_secret}

    def _url(self, path: str) -> str:
        return f"https://{self.simulator.shop_domain}/admin/api/{self.simulator.api_version}/{path}"

    def _get(self, path: str) -> dict:
        response = self._http.get(self._url(path), headers={"X-Shopify-Access-Token": self.simulator.access_token,
                                                            OBSERVER_HEADER: "1"})
        response.raise_for_status()
        return jsonio.loads(response.content)

    def send_forged_refund_webhook(self, order: PlacedOrder) -> int:
        subscriptions = self.simulator.backend.subscriptions("refunds/create")
        if not subscriptions:
            raise AssertionError("the connector subscribed to no refunds/create webhook")
        refund = {"id": 9_999_000_001, "order_id": int(order.order_id), "note": "", "created_at": "2026-01-01T00:00:00Z",
                  "refund_line_items": [], "order_adjustments": [], "refund_shipping_lines": [],
                  "transactions": [{"id": 9_999_000_002, "kind": "refund", "status": "success", "amount": "10.00",
                                    "currency": order.currency, "gateway": "shopify_payments"}]}
        body = jsonio.dumps(refund).encode()
        response = self._http.post(subscriptions[0].address, content=body, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": "refunds/create",
            "X-Shopify-Shop-Domain": self.simulator.shop_domain, "X-Shopify-Webhook-Id": "forged-1",
            "X-Shopify-Hmac-Sha256": sign("not-the-app-secret", body)})
        return response.status_code

    def send_webhook_of_an_unhandled_topic(self) -> int:
        subscriptions = self.simulator.backend.subscriptions("refunds/create")
        if not subscriptions:
            raise AssertionError("the connector subscribed to no refunds/create webhook")
        body = jsonio.dumps({"id": 632910392, "title": "IPod Nano - 8GB", "status": "active"}).encode()
        response = self._http.post(subscriptions[0].address, content=body, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": "products/update",
            "X-Shopify-Shop-Domain": self.simulator.shop_domain, "X-Shopify-Webhook-Id": "unhandled-topic-1",
            "X-Shopify-Hmac-Sha256": sign(self.simulator.client_secret, body)})
        return response.status_code

    def send_flawed_refund_webhooks(self) -> list[FlawedDelivery]:
        subscriptions = self.simulator.backend.subscriptions("refunds/create")
        made = [d for d in self.simulator.deliveries if d.topic == "refunds/create"]
        if not subscriptions or not made:
            raise AssertionError("the shop has no refunds/create webhook to send altered (no subscription or no refund)")
        return send_flawed(jsonio.loads(made[-1].body), REFUND_PAYLOAD_FLAWS, lambda body, n: self._http.post(
            subscriptions[0].address, content=body, headers={
                "Content-Type": "application/json", "X-Shopify-Topic": "refunds/create",
                "X-Shopify-Shop-Domain": self.simulator.shop_domain, "X-Shopify-Webhook-Id": f"flawed-{n}",
                "X-Shopify-Hmac-Sha256": sign(self.simulator.client_secret, body)}))

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", self._url(f"orders/{order.order_id}.json"),
                             headers={"X-Shopify-Access-Token": self.simulator.access_token})

    def lift_rate_limits(self) -> None:
        self.simulator.settings.bucket_size = 10**9
        self.simulator.settings.graphql_maximum_available = 10.0**12
        self.simulator.settings.graphql_restore_rate = 10.0**12

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        """The order in the currency the customer paid (its presentment currency), whatever the shop's."""
        order = self.simulator.add_order(spec)
        lines = tuple(PlacedLine(str(li["id"]), li["sku"], li["quantity"]) for li in order["line_items"])
        shipping = sum((_paid(s["price_set"]) for s in order.get("shipping_lines", [])), Decimal(0))
        return PlacedOrder(self.platform, str(order["id"]), order["presentment_currency"],
                           _paid(order["total_price_set"]), lines, shipping, number=order["name"],
                           shipping_method=next((s["title"] for s in order.get("shipping_lines", [])), None))

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.amount is not None and not (request.lines or request.whole_order or request.shipping):
            refund = self.simulator.refund_in_admin(int(order.order_id), amount=request.amount)
        else:
            pairs = ([(int(l.line_id), l.quantity) for l in order.lines] if request.whole_order
                     else [(int(order.lines[n - 1].line_id), q) for n, q in request.lines])
            refund = self.simulator.refund_in_admin(
                int(order.order_id), lines=pairs,
                shipping=(True if (request.shipping or request.whole_order) else None), amount=request.amount)
        return str(refund["id"])

    def exchange(self, order: PlacedOrder, lines: tuple[tuple[int, int], ...], balance: Decimal) -> str:
        """The merchant exchanges these (line number, quantity) for one new item worth what the shop values
        the returned units at, less ``balance`` (steps/exchanges.py), taxed at the first returned line's
        rate. The shop's value, not the harness's: Shopify splits a line per unit (largest remainder
        first), so one unit of a line can be worth a cent more than its even share, and the balance would
        drift by it. Returns the id of the refund that settles the exchange (its money is the balance)."""
        backend = self.simulator.backend
        placed = backend.order(int(order.order_id))
        returned = [(int(order.lines[n - 1].line_id), q) for n, q in lines]
        plan = backend.plan_refund(placed.id, RefundRequest(tuple(LineRefundRequest(line_id, q, "return")
                                                                  for line_id, q in returned)))
        worth = sum((p.subtotal + p.tax for p in plan.lines), Decimal(0)) - balance
        first = placed.line_item(returned[0][0])
        assert first is not None
        price = money.round_amount(worth / (1 + first.tax_rate), order.currency)
        made = self.simulator.exchange_in_admin(
            int(order.order_id), returned, [(f"{first.sku}-EXCHANGE", f"{first.title} (exchange)", price, 1, worth - price)])
        return str(made["refund"]["id"])

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        """The order's refunds as the admin shows them, every amount in the currency the customer paid.
        The refund of an exchange (it settles a Return) carries the returned lines at their value but
        gives back only the balance: its lines and tax then do not say what went back."""
        sku_of = {l.line_id: line_key(l.sku, number) for number, l in enumerate(order.lines, start=1)}
        found = []
        for refund in self._get(f"orders/{order.order_id}/refunds.json")["refunds"]:
            total = sum((Decimal(t["amount"]) for t in refund["transactions"]
                         if t["kind"] == "refund" and t["status"] == "success"), Decimal(0))
            items = refund["refund_line_items"]
            shipping_lines = refund.get("refund_shipping_lines", [])
            adjustments = refund.get("order_adjustments", [])
            tax = (sum((_paid(li["total_tax_set"]) for li in items), Decimal(0))
                   + sum((_paid(s["tax_amount_set"]) for s in shipping_lines), Decimal(0))
                   + sum((_paid(a["tax_amount_set"]) for a in adjustments), Decimal(0)))
            lines = tuple((sku_of[str(li["line_item_id"])], li["quantity"]) for li in items)
            worth = sum((_paid(li["subtotal_set"]) + _paid(li["total_tax_set"]) for li in items), Decimal(0))
            exchanged = refund.get("return") is not None and total < worth
            # an order adjustment (a discrepancy) or an exchange means the lines do not say what went back
            values = () if adjustments or exchanged else tuple(
                (sku_of[str(li["line_item_id"])], _paid(li["subtotal_set"]), _paid(li["total_tax_set"]))
                for li in items)
            shipping = sum((_paid(s["subtotal_amount_set"]) for s in shipping_lines), Decimal(0))
            found.append(SideRefund(str(refund["id"]), money.amount(total, order.currency), order.currency,
                                    None if exchanged else money.amount(tax, order.currency), lines,
                                    "shopify refund", values, None if adjustments else shipping))
        return found

    def deliver_webhooks(self) -> int:
        return len(self.simulator.deliver_webhooks())

    def redeliver_webhooks(self) -> int:
        sent = 0
        for delivery in [d for d in self.simulator.deliveries if d.topic == "refunds/create"]:
            self.simulator.redeliver(delivery.webhook_id)
            sent += 1
        return sent

    def send_webhooks_as_new_deliveries(self) -> int:
        sent = [d for d in self.simulator.deliveries if d.topic == "refunds/create" and d.attempts]
        for delivery in sent:
            self.simulator.send_as_new_delivery(delivery.webhook_id)
        return len(sent)


class ShopifyInWorld:
    """Every store is a shop of its own, on its own host."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._stores: dict[int, ShopifyDriver] = {}

    def store(self, number: int) -> ShopifyDriver:
        if number not in self._stores:
            shop = SHOP if number == 1 else f"{SHOP}-{number}"
            simulator = ShopifySimulator(shop=shop, clock=self._context.clock, seed=self._context.seed,
                                         webhook_client=self._context.http)
            self._context.serve(simulator)
            self._stores[number] = ShopifyDriver(PLATFORM, simulator, self._context.http)
        return self._stores[number]

    def simulators(self) -> list[ShopifySimulator]:
        return [driver.simulator for _, driver in sorted(self._stores.items())]


def _accepts_unsigned_webhooks(context):
    """The shipped connector with its refunds/create webhook receiver skipping the HMAC check."""
    from harness.mutants.storefront import accepting_any_signature

    return accepting_any_signature(context, "shopify")


def _reads_shop_currency(context):
    """The shipped connector reading every Shopify amount in the shop's currency (``shopMoney`` /
    ``shop_money``) while labelling the order with the currency the customer paid."""
    from connector.engine import shipped_adapter
    from connector.storefronts.shopify import ShopifyAdapter
    from harness.connectors.reference import ReferenceConnector, build_engine

    def adapter(http, account):   # noqa: ANN001, ANN202 - the engine's adapter factory
        made = shipped_adapter(http, account)
        if isinstance(made, ShopifyAdapter):
            made.paid_side, made.rest_paid_side = "shopMoney", "shop_money"
        return made

    return ReferenceConnector(build_engine(context, adapter_factory=adapter))


def _refunds_what_the_lines_are_worth(context):
    """The shipped connector taking a Shopify refund's total from its refunded lines (subtotal + tax)
    instead of the money that went back: an exchange's refund then posts the returned line's full
    value, not the balance (the bug a Business Central connector shipped with exchange items)."""
    import dataclasses

    from connector.storefronts.shopify import ShopifyAdapter

    class Adapter(ShopifyAdapter):
        def _parse_graphql_refund(self, raw, order_id, currency):   # noqa: ANN001, ANN202 - the adapter's own
            refund = super()._parse_graphql_refund(raw, order_id, currency)
            worth = money.total((line.amount + line.tax for line in refund.lines), currency)
            return dataclasses.replace(refund, total=max(worth, refund.total))

    return _with_shopify_adapter(context, Adapter)


def _with_shopify_adapter(context, adapter_class):   # noqa: ANN001, ANN202
    """The shipped connector whose Shopify accounts are read and written by ``adapter_class`` (a subclass of
    its adapter carrying one bug)."""
    from connector.engine import shipped_adapter
    from connector.storefronts.shopify import ShopifyAdapter
    from harness.connectors.reference import ReferenceConnector, build_engine

    def adapter(http, account):   # noqa: ANN001, ANN202 - the engine's adapter factory
        made = shipped_adapter(http, account)
        if isinstance(made, ShopifyAdapter):
            made.__class__ = adapter_class   # the shipped adapter, as configured, with the bug's method
        return made

    return ReferenceConnector(build_engine(context, adapter_factory=adapter))


def _graphql_throttle_is_final(context):
    """The shipped connector reading a GraphQL answer's THROTTLED error (HTTP 200) like any other
    top-level error: a final refusal, so a throttled refund write is never retried."""
    from connector.errors import RateLimited, RemoteError
    from connector.storefronts.shopify import ShopifyAdapter

    class Adapter(ShopifyAdapter):
        def graphql(self, query, variables, *, what):   # noqa: ANN001, ANN201 - the adapter's own
            try:
                return super().graphql(query, variables, what=what)
            except RateLimited as exc:
                if exc.code != "THROTTLED":
                    raise
                raise RemoteError("Shopify", f"Shopify refused the query to {what}: {exc.detail}", status=200,
                                  code=exc.code, detail=exc.detail) from exc

    return _with_shopify_adapter(context, Adapter)


PLATFORM = Platform(
    name="shopify", display_name="Shopify",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="from_netsuite",
        line_items=True, shipping_refunds=True, amount_refunds=True, async_settlement=False,
        refund_webhooks=True, read_only_refunds=False, settlement_visibility=False, multi_currency=True,
        exchanges=True,
        unit_allocation="per_unit", refunds_per_order=True),
    hosts=("{shop}.myshopify.com",),
    credentials=("access_token", "client_secret"),
    card_gateway="shopify_payments",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.shopify",
    start=ShopifyInWorld,
    driver=ShopifyDriver,
    # each operation twice: the REST route and the GraphQL operation the connector's adapter sends
    fault_targets={
        "list refunds": FaultTarget(operation=("list_refunds", "graphql:order.refunds")),
        # what a connector pages through to find new refunds: orders updated since
        "refund listing": FaultTarget(operation=("list_orders", "graphql:orders")),
        "create refund": FaultTarget(operation=("create_refund", "graphql:refundCreate")),
        "read refund": FaultTarget(operation=("get_refund", "graphql:refund")),
        "read order": FaultTarget(operation=("get_order", "graphql:order")),
        "list orders": FaultTarget(operation=("list_orders", "graphql:orders")),
        "refund webhooks": FaultTarget(topic="refunds/create"),
        "subscribe to refund webhooks": FaultTarget(operation=("create_webhook",)),
    },
    # the connector's refund reads and writes are GraphQL, which Shopify throttles inside an HTTP 200
    throttle={"status": 429, "error": "graphql_throttled"},
    mutants={
        "shopify_graphql_throttle_is_final": (
            "A GraphQL THROTTLED error (inside an HTTP 200) is read as a final refusal, so a throttled refund "
            "is never retried.", _graphql_throttle_is_final),
        "shopify_accepts_unsigned_webhooks": (
            "refunds/create webhooks are taken without checking their HMAC signature.", _accepts_unsigned_webhooks),
        "shopify_reads_shop_currency": (
            "Amounts of an order paid in another currency are read in the shop's currency.", _reads_shop_currency),
        "shopify_refunds_what_the_lines_are_worth": (
            "A refund's total is read from its refunded lines, not from the money that went back "
            "(an exchange posts the returned line's value instead of the balance).", _refunds_what_the_lines_are_worth),
    },
)
