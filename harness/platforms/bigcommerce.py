"""BigCommerce: v2 orders and v3 payment actions. Refunds by product, shipping or a custom amount, each
quoted first; ``store/order/refund/created`` webhooks signed per Standard Webhooks; store credit for
gift-certificate orders of customers with an account. A cart, so the connector's documentation
recommends refunds from NetSuite.

Its driver is a ``StoreCreditRefundsDriver`` (harness/storefronts.py, capability ``store_credit_refunds``):
``place_gift_card_order(spec, guest=False)`` and ``store_credit_refunded(order)``.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund, line_key
from harness.storefronts import FlawedDelivery, PlacedLine, PlacedOrder, StorefrontRefundRequest, send_flawed
from simulators.bigcommerce import BigCommerceSimulator, Store
from simulators.bigcommerce.models import GIFT_CERTIFICATE, STORE_CREDIT
from simulators.bigcommerce.webhooks import REFUND_CREATED, sign
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec

MISSING_REFUND_ID = 999_000_001   # a refund no store of a scenario has
# What a store/order/refund/created payload may carry wrong, one flaw a delivery: what the refusal must
# name, the flaw in words, and the payload altered to carry it (its producer still names the store).
REFUND_PAYLOAD_FLAWS = (
    ("data", "data is text", lambda payload: {**payload, "data": "order refunded"}),
    ("data.id", "the order id is negative", lambda payload: {**payload, "data": {**payload["data"], "id": -5}}),
    ("data.refund.refund_id", "the refund id is a word",
     lambda payload: {**payload, "data": {**payload["data"], "refund": {"refund_id": "seven"}}}),
    (str(MISSING_REFUND_ID), "it names a refund the store does not have",
     lambda payload: {**payload, "data": {**payload["data"], "refund": {"refund_id": MISSING_REFUND_ID}}}),
)


class BigCommerceDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: BigCommerceSimulator, http: httpx.Client, store: Store | None = None) -> None:
        super().__init__(entry)
        # several stores share BigCommerce's one host; each has its own hash and API account
        self.simulator = simulator
        self._http = http
        self._store = store or simulator.store

    def account_store(self) -> str:
        return self._store.hash

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self._store.access_token, "client_id": self._store.client_id,
                "client_secret": self._store.client_secret}

    def _url(self, path: str) -> str:
        return f"https://{self.simulator.hosts[0]}/stores/{self._store.hash}{path}"

    def _get(self, path: str) -> dict:
        response = self._http.get(self._url(path), headers={"X-Auth-Token": self._store.access_token,
                                                            "X-Auth-Client": self._store.client_id,
                                                            OBSERVER_HEADER: "1"})
        response.raise_for_status()
        return jsonio.loads(response.content)

    # --- orders and refunds ---------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, guest: bool = False) -> PlacedOrder:
        order = self.simulator.add_order(spec, self._store, guest=guest)
        lines = tuple(PlacedLine(str(p["id"]), p["sku"], p["quantity"]) for p in order["products"])
        return PlacedOrder(self.platform, str(order["id"]), order["currency_code"],
                           money.amount(Decimal(order["total_inc_tax"]), order["currency_code"]), lines,
                           money.amount(Decimal(order["shipping_cost_ex_tax"]), order["currency_code"]),
                           shipping_method=order["shipping_addresses"][0]["shipping_method"])

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.whole_order:
            pairs = [(int(line.line_id), line.quantity) for line in order.lines]
        else:
            pairs = [(int(order.lines[n - 1].line_id), quantity) for n, quantity in request.lines]
        refund = self.simulator.refund_in_admin(int(order.order_id), lines=pairs,
                                                shipping=request.shipping or request.whole_order,
                                                amount=request.amount, reason="Customer return")
        return str(refund["id"])

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        key_of = {line.line_id: line_key(line.sku, number) for number, line in enumerate(order.lines, start=1)}
        found = []
        for refund in self._get(f"/v3/orders/{order.order_id}/payment_actions/refunds")["data"]:
            cur = order.currency
            total = sum((Decimal(str(p["amount"])) for p in refund["payments"] if not p["is_declined"]), Decimal(0))
            items = refund["items"]
            lines = tuple((key_of[str(i["item_id"])], i["quantity"]) for i in items if i["item_type"] == "PRODUCT")
            shipping = sum((Decimal(i["requested_amount"]) for i in items if i["item_type"] == "SHIPPING"), Decimal(0))
            # BigCommerce reads back no per-line money, so line values are not compared
            found.append(SideRefund(str(refund["id"]), money.amount(total, cur), cur,
                                    money.amount(Decimal(str(refund["total_tax"])), cur), lines, "bigcommerce refund",
                                    (), None if refund["uses_merchant_override_values"] else money.amount(shipping, cur)))
        return found

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", self._url(f"/v2/orders/{order.order_id}"),
                             headers={"X-Auth-Token": self._store.access_token})

    def lift_rate_limits(self) -> None:
        self.simulator.settings.quota = 10**9

    # --- webhooks -------------------------------------------------------------------------
    def deliver_webhooks(self) -> int:
        return len(self.simulator.deliver_webhooks(self._store))

    def redeliver_webhooks(self) -> int:
        sent = 0
        for delivery in self.simulator.deliveries(self._store):
            self.simulator.redeliver(delivery.webhook_id)
            sent += 1
        return sent

    def send_webhooks_as_new_deliveries(self) -> int:
        sent = [d for d in self.simulator.deliveries(self._store) if d.attempts]
        for delivery in sent:
            self.simulator.send_as_new_delivery(delivery.webhook_id)
        return len(sent)

    def send_forged_refund_webhook(self, order: PlacedOrder) -> int:
        hooks = [h for h in self.simulator.hooks(self._store) if h["scope"] == REFUND_CREATED]
        if not hooks:
            raise AssertionError(f"the connector subscribed to no {REFUND_CREATED} webhook")
        # the delivery names the order's latest real refund where there is one: the connector reads the
        # refund back through the API, so only a real one shows whether an unsigned delivery was taken
        listed = self._http.get(self._url(f"/v3/orders/{order.order_id}/payment_actions/refunds"), headers={
            "X-Auth-Token": self._store.access_token, "X-Auth-Client": self._store.client_id, OBSERVER_HEADER: "1"})
        real = jsonio.loads(listed.content).get("data", []) if listed.status_code == 200 and listed.content else []
        refund_id = real[-1]["id"] if real else 999_000_001
        body = jsonio.dumps({"scope": REFUND_CREATED, "store_id": str(self._store.id),
                             "data": {"type": "order", "id": int(order.order_id), "refund": {"refund_id": refund_id}},
                             "hash": "0" * 40, "created_at": int(self.simulator.clock.now().timestamp()),
                             "producer": f"stores/{self._store.hash}"}).encode()
        timestamp = int(self.simulator.clock.now().timestamp())
        response = self._http.post(hooks[0]["destination"], content=body, headers={
            "Content-Type": "application/json", "webhook-id": "msg_forged1", "webhook-timestamp": str(timestamp),
            "webhook-signature": sign("not-the-client-secret", "msg_forged1", timestamp, body)})
        return response.status_code

    def send_flawed_refund_webhooks(self) -> list[FlawedDelivery]:
        hooks = [h for h in self.simulator.hooks(self._store) if h["scope"] == REFUND_CREATED]
        made = self.simulator.deliveries(self._store)
        if not hooks or not made:
            raise AssertionError(f"the store has no {REFUND_CREATED} webhook to send altered (no hook or no refund)")
        timestamp = int(self.simulator.clock.now().timestamp())
        return send_flawed(jsonio.loads(made[-1].body), REFUND_PAYLOAD_FLAWS, lambda body, n: self._http.post(
            hooks[0]["destination"], content=body, headers={
                "Content-Type": "application/json", "webhook-id": f"msg_flawed{n}", "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(self._store.client_secret, f"msg_flawed{n}", timestamp, body)}))

    # --- store credit (steps/store_credit.py) ---------------------------------------------
    def send_webhook_of_an_unhandled_topic(self) -> int:
        hooks = [h for h in self.simulator.hooks(self._store) if h["scope"] == REFUND_CREATED]
        if not hooks:
            raise AssertionError(f"the connector subscribed to no {REFUND_CREATED} webhook")
        timestamp = int(self.simulator.clock.now().timestamp())
        body = jsonio.dumps({"scope": "store/product/updated", "store_id": str(self._store.id),
                             "data": {"type": "product", "id": 113}, "hash": "0" * 40, "created_at": timestamp,
                             "producer": f"stores/{self._store.hash}"}).encode()
        response = self._http.post(hooks[0]["destination"], content=body, headers={
            "Content-Type": "application/json", "webhook-id": "msg_unhandled1", "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._store.client_secret, "msg_unhandled1", timestamp, body)})
        return response.status_code
    def place_gift_card_order(self, spec: OrderSpec, *, guest: bool = False) -> PlacedOrder:
        """An order paid in full by gift certificate, by a customer with an account (or a guest)."""
        return self.place_order(dataclasses.replace(spec, gateway=GIFT_CERTIFICATE), guest=guest)

    def store_credit_refunded(self, order: PlacedOrder) -> Decimal:
        """Money the order's refunds gave back as store credit, read through the API."""
        return money.amount(sum((Decimal(str(p["amount"]))
                                 for r in self._get(f"/v3/orders/{order.order_id}/payment_actions/refunds")["data"]
                                 for p in r["payments"] if p["provider_id"] == STORE_CREDIT and not p["is_declined"]),
                                Decimal(0)), order.currency)


class BigCommerceInWorld:
    """One BigCommerce host for every store: the first store is the simulator's own, each further
    store another one told apart by its hash and token."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._simulator: BigCommerceSimulator | None = None
        self._stores: dict[int, BigCommerceDriver] = {}

    def store(self, number: int) -> BigCommerceDriver:
        if self._simulator is None:
            self._simulator = BigCommerceSimulator(clock=self._context.clock, seed=self._context.seed,
                                                   webhook_client=self._context.http)
            self._context.serve(self._simulator)
        if number not in self._stores:
            store = None if number == 1 else self._simulator.add_store(f"Store {number}")
            self._stores[number] = BigCommerceDriver(PLATFORM, self._simulator, self._context.http, store)
        return self._stores[number]

    def simulators(self) -> list[BigCommerceSimulator]:
        return [self._simulator] if self._simulator else []


def _accepts_unsigned_webhooks(context):
    """The shipped connector with its refund webhook receiver skipping the signature check."""
    from harness.mutants.storefront import accepting_any_signature

    return accepting_any_signature(context, "bigcommerce")


PLATFORM = Platform(
    name="bigcommerce", display_name="BigCommerce",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="from_netsuite",
        line_items=True, shipping_refunds=True, amount_refunds=True, async_settlement=False,
        refund_webhooks=True, read_only_refunds=False, settlement_visibility=False,
        store_credit_refunds=True,
        unit_allocation="cumulative"),
    hosts=("api.bigcommerce.com",),
    credentials=("access_token", "client_id", "client_secret"),
    card_gateway="authorizenet",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.bigcommerce",
    start=BigCommerceInWorld,
    driver=BigCommerceDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("list_order_refunds",)),
        "refund listing": FaultTarget(operation=("list_refunds",)),   # what a connector pages through
        "create refund": FaultTarget(operation=("create_refund",)),
        "read refund": FaultTarget(operation=("get_refund",)),
        "read order": FaultTarget(operation=("get_order",)),
        "list orders": FaultTarget(operation=("list_orders",)),
        "refund webhooks": FaultTarget(topic=REFUND_CREATED),
        "subscribe to refund webhooks": FaultTarget(operation=("create_hook",)),
    },
    mutants={
        "bigcommerce_accepts_unsigned_webhooks": (
            "refund webhooks are taken without checking their Standard Webhooks signature.", _accepts_unsigned_webhooks),
    },
)
