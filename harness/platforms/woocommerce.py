"""WooCommerce: REST API wc/v3 of a self-hosted store. Refunds by line (products and shipping, by
item id) or by amount alone; refund webhooks through ``action.woocommerce_order_refunded``, signed
with the webhook's secret. A cart, so the connector's documentation recommends refunds from NetSuite."""
from __future__ import annotations

import base64
from decimal import Decimal

import httpx

from common import jsonio, money
from common.seeded import IdSource, derived_seed
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund, line_key
from harness.storefronts import FlawedDelivery, PlacedLine, PlacedOrder, StorefrontRefundRequest, send_flawed
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec
from simulators.woocommerce import WooCommerceSimulator, sign_webhook

SHOP = "acme-outfitters"
REFUND_TOPIC = "action.woocommerce_order_refunded"
MISSING_ORDER_ID = 999_000_001   # an order no store of a scenario has
# What an action.woocommerce_order_refunded payload (the action's argument: the order id) may carry wrong,
# one flaw a delivery: what the refusal must name, the flaw in words, and the payload altered to carry it.
REFUND_PAYLOAD_FLAWS = (
    ("the payload", "the payload is a list", lambda payload: [payload]),
    ("arg", "the order id is a word", lambda payload: {**payload, "arg": "order-twelve"}),
    (str(MISSING_ORDER_ID), "it names an order the store does not have", lambda payload: {**payload, "arg": MISSING_ORDER_ID}),
)


def store_host(shop: str) -> str:
    return f"{shop}.example"


class WooCommerceDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: WooCommerceSimulator, http: httpx.Client) -> None:
        super().__init__(entry)
        self.simulator = simulator
        self._http = http
        # the secret the connector hands WooCommerce when it subscribes to refund webhooks
        self.webhook_secret = f"whsec_{IdSource(derived_seed(simulator.seed, simulator.host, 'webhook')).hex(32)}"

    def account_store(self) -> str:
        return self.simulator.host

    def account_credentials(self) -> dict[str, str]:
        return {"consumer_key": self.simulator.consumer_key, "consumer_secret": self.simulator.consumer_secret,
                "webhook_secret": self.webhook_secret}

    def _url(self, path: str) -> str:
        return f"https://{self.simulator.host}/wp-json/wc/v3/{path}"

    def _headers(self) -> dict[str, str]:
        basic = base64.b64encode(f"{self.simulator.consumer_key}:{self.simulator.consumer_secret}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}

    def _get(self, path: str) -> list | dict:
        response = self._http.get(self._url(path), headers={**self._headers(), OBSERVER_HEADER: "1"})
        response.raise_for_status()
        return jsonio.loads(response.content)

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", self._url(f"orders/{order.order_id}"), headers=self._headers())

    def lift_rate_limits(self) -> None:
        """WooCommerce core does not throttle its REST API."""

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order = self.simulator.add_order(spec)
        lines = tuple(PlacedLine(str(li["id"]), li["sku"], li["quantity"]) for li in order["line_items"])
        shipping = sum((Decimal(s["total"]) for s in order["shipping_lines"]), Decimal(0))
        method = next((s["method_title"] for s in order["shipping_lines"]), None)
        return PlacedOrder(self.platform, str(order["id"]), order["currency"], Decimal(order["total"]), lines, shipping,
                           shipping_method=method)

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        """The order screen's Refund button: lines and shipping filled in, or an amount alone."""
        pairs = ([(int(l.line_id), l.quantity) for l in order.lines] if request.whole_order
                 else [(int(order.lines[n - 1].line_id), q) for n, q in request.lines])
        refund = self.simulator.refund_in_admin(int(order.order_id), amount=request.amount, lines=pairs,
                                                shipping=request.shipping or request.whole_order,
                                                reason="Refunded in the WooCommerce admin")
        return str(refund["id"])

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        key_of = {l.line_id: line_key(l.sku, number) for number, l in enumerate(order.lines, start=1)}
        found = []
        for refund in self._get(f"orders/{order.order_id}/refunds?per_page=100"):
            cur = order.currency
            total = money.amount(refund["amount"], cur)
            items = refund["line_items"]
            shipping_rows = refund["shipping_lines"]
            item_of = {id(li): next(m["value"] for m in li["meta_data"] if m["key"] == "_refunded_item_id") for li in items}
            values = tuple((key_of[item_of[id(li)]], -money.amount(li["total"], cur), -money.amount(li["total_tax"], cur))
                           for li in items)
            shipping = -sum((money.amount(s["total"], cur) for s in shipping_rows), money.ZERO)
            shipping_tax = -sum((money.amount(s["total_tax"], cur) for s in shipping_rows), money.ZERO)
            tax = sum((t for _, _, t in values), money.ZERO) + shipping_tax
            # the lines say what went back only when the refund's amount is exactly what they add up to
            on_lines = sum((v for _, v, _ in values), money.ZERO) + shipping + tax
            exact = bool(items or shipping_rows) and total == on_lines
            found.append(SideRefund(str(refund["id"]), total, cur, tax if exact else None,
                                    tuple((key_of[item_of[id(li)]], -li["quantity"]) for li in items),
                                    "woocommerce refund", values if exact else (), shipping if exact else None,
                                    on_lines if items or shipping_rows else None))
        return found

    def deliver_webhooks(self) -> int:
        return len(self.simulator.deliver_webhooks())

    def redeliver_webhooks(self) -> int:
        sent = [d for d in self.simulator.deliveries if d.topic == REFUND_TOPIC and d.attempts]
        for delivery in sent:
            self.simulator.redeliver(delivery)
        return len(sent)

    def send_webhooks_as_new_deliveries(self) -> int:
        sent = [d for d in self.simulator.deliveries if d.topic == REFUND_TOPIC and d.attempts]
        for delivery in sent:
            self.simulator.send_as_new_delivery(delivery)
        return len(sent)

    def send_forged_refund_webhook(self, order: PlacedOrder) -> int:
        hooks = self.simulator.backend.subscriptions(REFUND_TOPIC)
        if not hooks:
            raise AssertionError(f"the connector subscribed to no {REFUND_TOPIC} webhook")
        body = jsonio.dumps({"action": "woocommerce_order_refunded", "arg": int(order.order_id)}).encode()
        response = self._http.post(hooks[0].delivery_url, content=body, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Source": f"https://{self.simulator.host}/",
            "X-WC-Webhook-Topic": REFUND_TOPIC, "X-WC-Webhook-Resource": "action",
            "X-WC-Webhook-Event": "woocommerce_order_refunded", "X-WC-Webhook-ID": str(hooks[0].id),
            "X-WC-Webhook-Delivery-ID": "forged-1", "X-WC-Webhook-Signature": sign_webhook("not-the-secret", body)})
        return response.status_code

    def send_flawed_refund_webhooks(self) -> list[FlawedDelivery]:
        hooks = self.simulator.backend.subscriptions(REFUND_TOPIC)
        made = [d for d in self.simulator.deliveries if d.topic == REFUND_TOPIC]
        if not hooks or not made:
            raise AssertionError(f"the store has no {REFUND_TOPIC} webhook to send altered (no webhook or no refund)")
        return send_flawed(jsonio.loads(made[-1].body), REFUND_PAYLOAD_FLAWS, lambda body, n: self._http.post(
            hooks[0].delivery_url, content=body, headers={
                "Content-Type": "application/json", "X-WC-Webhook-Source": f"https://{self.simulator.host}/",
                "X-WC-Webhook-Topic": REFUND_TOPIC, "X-WC-Webhook-Resource": "action",
                "X-WC-Webhook-Event": "woocommerce_order_refunded", "X-WC-Webhook-ID": str(hooks[0].id),
                "X-WC-Webhook-Delivery-ID": f"flawed-{n}", "X-WC-Webhook-Signature": sign_webhook(hooks[0].secret, body)}))

    def send_webhook_of_an_unhandled_topic(self) -> int:
        hooks = self.simulator.backend.subscriptions(REFUND_TOPIC)
        if not hooks:
            raise AssertionError(f"the connector subscribed to no {REFUND_TOPIC} webhook")
        body = jsonio.dumps({"id": 799, "name": "Ship Your Idea", "status": "publish"}).encode()
        response = self._http.post(hooks[0].delivery_url, content=body, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Source": f"https://{self.simulator.host}/",
            "X-WC-Webhook-Topic": "product.updated", "X-WC-Webhook-Resource": "product",
            "X-WC-Webhook-Event": "updated", "X-WC-Webhook-ID": str(hooks[0].id),
            "X-WC-Webhook-Delivery-ID": "unhandled-topic-1", "X-WC-Webhook-Signature": sign_webhook(hooks[0].secret, body)})
        return response.status_code

class WooCommerceInWorld:
    """Every store is a WordPress site of its own, on its own host."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._stores: dict[int, WooCommerceDriver] = {}

    def store(self, number: int) -> WooCommerceDriver:
        if number not in self._stores:
            shop = SHOP if number == 1 else f"{SHOP}-{number}"
            simulator = WooCommerceSimulator(store_host(shop), clock=self._context.clock, seed=self._context.seed,
                                             webhook_client=self._context.http)
            self._context.serve(simulator)
            self._stores[number] = WooCommerceDriver(PLATFORM, simulator, self._context.http)
        return self._stores[number]

    def simulators(self) -> list[WooCommerceSimulator]:
        return [driver.simulator for _, driver in sorted(self._stores.items())]


def _accepts_unsigned_webhooks(context):
    """The shipped connector with its WooCommerce webhook receiver skipping the signature check."""
    from harness.mutants.storefront import accepting_any_signature

    return accepting_any_signature(context, "woocommerce")


PLATFORM = Platform(
    name="woocommerce", display_name="WooCommerce",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="from_netsuite",
        line_items=True, shipping_refunds=True, amount_refunds=True, async_settlement=False,
        refund_webhooks=True, read_only_refunds=False, settlement_visibility=False,
        unit_allocation="share_of_remaining", refunds_per_order=True),
    hosts=(store_host("{shop}"),),
    credentials=("consumer_key", "consumer_secret", "webhook_secret"),
    card_gateway="stripe",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.woocommerce",
    start=WooCommerceInWorld,
    driver=WooCommerceDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("list_refunds",)),
        # what a connector pages through to find new refunds: orders modified since, then their refunds
        "refund listing": FaultTarget(operation=("list_orders",)),
        "create refund": FaultTarget(operation=("create_refund",)),
        "read refund": FaultTarget(operation=("get_refund",)),
        "read order": FaultTarget(operation=("get_order",)),
        "list orders": FaultTarget(operation=("list_orders",)),
        "refund webhooks": FaultTarget(topic=REFUND_TOPIC),
        "subscribe to refund webhooks": FaultTarget(operation=("create_webhook",)),
    },
    mutants={
        "woocommerce_accepts_unsigned_webhooks": (
            "WooCommerce refund webhooks are taken without checking their signature.", _accepts_unsigned_webhooks),
    },
)
