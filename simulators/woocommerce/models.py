"""WooCommerce's state and refund rules, with no HTTP in sight (moto's ``models``).

A store holds orders (line items, shipping lines, refunds), REST API keys and webhooks. Refunds
follow ``wc_create_refund`` as WooCommerce core writes it: the refund ``amount`` is what counts (it
takes precedence over line totals and is computed from them only when absent); it may not be
negative nor more than the order's remaining refundable total ("Invalid refund amount."); line
entries name order items (products or shipping) by id and carry the money refunded for them, with
no check of quantities against what is left; unknown item ids are skipped; ``api_refund`` sends the
money back through the order's payment gateway, which must exist and support refunds. Everything is
checked before anything is stored, so a refused refund leaves the store as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

# Gateways a store has: the card gateways can refund through their API, the offline ones cannot.
REFUND_GATEWAYS = {"stripe": "Credit Card (Stripe)", "woocommerce_payments": "WooPayments",
                   "ppcp-gateway": "PayPal"}
OFFLINE_GATEWAYS = {"bacs": "Direct bank transfer", "cheque": "Check payments", "cod": "Cash on delivery"}
WEBHOOK_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
NONCE_WINDOW = timedelta(minutes=15)
DISABLE_AFTER_FAILURES = 5     # WooCommerce disables a webhook after 5 consecutive failed deliveries


class WooError(Exception):
    """A request WooCommerce refuses: ``{"code", "message", "data": {"status", ...}}``."""

    def __init__(self, status: int, code: str, message: str, **data: object) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_param(name: str, problem: str) -> WooError:
    """WordPress's schema validation error for one request parameter."""
    return WooError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: problem})


# --- the store's records --------------------------------------------------------------------

@dataclass
class TaxRate:
    id: int
    rate: Decimal
    label: str = "Tax"


@dataclass
class Item:
    """An order item: a product line (``kind`` "line_item") or a shipping line ("shipping")."""

    id: int
    kind: str
    name: str
    quantity: int
    subtotal: Decimal       # before discounts
    total: Decimal          # after discounts, before tax
    tax: Decimal
    tax_rate_id: int | None
    sku: str = ""
    product_id: int = 0
    price: Decimal = Decimal(0)


@dataclass
class RefundItem:
    id: int
    refunded_item: Item
    quantity: int           # as asked (WooCommerce stores it negated)
    total: Decimal          # refunded before tax (positive here, negative on the wire)
    taxes: dict[int, Decimal]

    @property
    def tax(self) -> Decimal:
        return sum(self.taxes.values(), money.ZERO)


@dataclass
class Refund:
    id: int
    order_id: int
    amount: Decimal
    reason: str
    refunded_by: int
    refunded_payment: bool
    created_at: datetime
    items: list[RefundItem]


@dataclass
class Order:
    id: int
    order_key: str
    status: str
    currency: str
    payment_method: str
    payment_method_title: str
    transaction_id: str
    customer_note: str
    billing: dict[str, str]
    items: list[Item]
    refunds: list[Refund]
    created_at: datetime
    modified_at: datetime
    paid_at: datetime | None

    def lines(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def item(self, item_id: int) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def total(self) -> Decimal:
        return sum((i.total + i.tax for i in self.items), money.ZERO)

    @property
    def total_refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), money.ZERO)

    @property
    def remaining_refund_amount(self) -> Decimal:
        return self.total - self.total_refunded


@dataclass
class ApiKey:
    key_id: int
    consumer_key: str
    consumer_secret: str
    permissions: str        # "read" | "write" | "read_write"
    user_id: int = 1
    nonces: dict[str, datetime] = field(default_factory=dict)   # nonce -> its request's timestamp


@dataclass
class Webhook:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    status: str
    created_at: datetime
    failure_count: int = 0

    @property
    def resource(self) -> str:
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        return self.topic.split(".", 1)[1]


# --- refund requests --------------------------------------------------------------------------

@dataclass(frozen=True)
class LineRefund:
    item_id: int
    quantity: int
    refund_total: Decimal | None
    refund_tax: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True)
class RefundRequest:
    amount: Decimal | None = None           # None: computed from the line totals where they all have one
    reason: str = ""
    line_items: tuple[LineRefund, ...] = ()
    api_refund: bool = True
    api_restock: bool = True


Publisher = Callable[[str, Order, "Refund | None"], None]


class WooBackend:
    """One WordPress site running WooCommerce: its orders, API keys and webhooks."""

    def __init__(self, clock: Clock, seed: int, publish: Publisher | None = None) -> None:
        self.clock = clock
        self.ids = IdSource(seed, first=101)
        self.orders: dict[int, Order] = {}
        self.keys: dict[str, ApiKey] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.tax_rates: dict[Decimal, TaxRate] = {}
        self._publish = publish or (lambda topic, order, refund: None)

    # api keys -------------------------------------------------------------------------------
    def add_key(self, consumer_key: str, consumer_secret: str, permissions: str = "read_write") -> ApiKey:
        key = ApiKey(len(self.keys) + 1, consumer_key, consumer_secret, permissions)
        self.keys[consumer_key] = key
        return key

    def use_nonce(self, key: ApiKey, nonce: str, timestamp: datetime, now: datetime) -> bool:
        """Remember a nonce for 15 minutes; False when it was used within them (a replay)."""
        key.nonces = {n: at for n, at in key.nonces.items() if at >= now - NONCE_WINDOW}
        if nonce in key.nonces:
            return False
        key.nonces[nonce] = timestamp
        return True

    # orders --------------------------------------------------------------------------------
    def tax_rate(self, rate: Decimal) -> TaxRate | None:
        if not rate:
            return None
        if rate not in self.tax_rates:
            self.tax_rates[rate] = TaxRate(len(self.tax_rates) + 1, rate, f"Tax {rate * 100:g}%")
        return self.tax_rates[rate]

    def add_order(self, spec: OrderSpec) -> Order:
        """A checkout: the order is paid (``processing``) when the spec says so, else ``pending``."""
        priced = price_order(spec)  # ValueError naming the bad field; nothing stored yet
        now = self.clock.now()
        order_id = self.ids.number()
        items = []
        for p in priced.lines:
            rate = self.tax_rate(p.spec.tax_rate)
            items.append(Item(self.ids.number(), "line_item", p.spec.title, p.spec.quantity, p.gross, p.net, p.tax,
                              rate.id if rate else None, p.spec.sku, self.ids.number(),
                              money.amount(p.spec.price, spec.currency)))
        if priced.shipping:
            rate = self.tax_rate(spec.shipping_tax_rate)
            items.append(Item(self.ids.number(), "shipping", "Flat rate", 1, priced.shipping, priced.shipping,
                              priced.shipping_tax, rate.id if rate else None))
        title = REFUND_GATEWAYS.get(spec.gateway) or OFFLINE_GATEWAYS.get(spec.gateway) or spec.gateway
        c = spec.customer
        order = Order(order_id, f"wc_order_{self.ids.token(13)}", "processing" if spec.paid else "pending",
                      spec.currency, spec.gateway, title,
                      f"ch_{self.ids.token(24)}" if spec.paid and spec.gateway in REFUND_GATEWAYS else "",
                      spec.note, {"first_name": c.first_name, "last_name": c.last_name, "email": c.email},
                      items, [], now, now, now if spec.paid else None)
        self.orders[order_id] = order
        self._publish("order.created", order, None)
        return order

    def order(self, order_id: int) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.") from None

    def list_orders(self, modified_after: datetime | None = None) -> list[Order]:
        """Newest first, as WooCommerce orders them by default (date, descending)."""
        found = [o for o in self.orders.values() if modified_after is None or o.modified_at > modified_after]
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)

    # refunds -------------------------------------------------------------------------------
    def refund(self, order_id: int, refund_id: int) -> Refund:
        order = self.order(order_id)
        found = next((r for r in order.refunds if r.id == refund_id), None)
        if found is None:
            raise WooError(404, "woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID.")
        return found

    def create_refund(self, order_id: int, request: RefundRequest) -> Refund:
        """``wc_create_refund`` behind the REST controller; refusals carry the controller's codes."""
        order = self.orders.get(order_id)
        if order is None:
            raise WooError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
        amount = request.amount
        if amount is None:  # computed only when every line names its money (RestApiUtil)
            if request.line_items and all(line.refund_total is not None for line in request.line_items):
                amount = sum((line.refund_total + sum((t for _, t in line.refund_tax), money.ZERO)  # type: ignore[operator]
                              for line in request.line_items), money.ZERO)
            else:
                amount = money.ZERO
        amount = money.round_amount(amount, order.currency)
        if amount < 0:
            raise WooError(400, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
        if amount > order.remaining_refund_amount:
            # wc_create_refund's exception; the controller answers every refund failure with a 500
            raise WooError(500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
        items = []
        for line in request.line_items:
            item = order.item(line.item_id)
            if item is None:
                continue  # wc_create_refund only looks at ids the order has
            if not line.quantity and not line.refund_total and not line.refund_tax:
                continue
            taxes = {rate_id: money.round_amount(value, order.currency) for rate_id, value in line.refund_tax if value}
            items.append(RefundItem(0, item, line.quantity,
                                    money.round_amount(line.refund_total or money.ZERO, order.currency), taxes))
        if request.api_refund:
            self._refund_payment(order)
        now = self.clock.now()
        for item in items:
            item.id = self.ids.number()
        refund = Refund(self.ids.number(), order.id, amount, request.reason, 1, request.api_refund, now, items)
        order.refunds.append(refund)
        if order.remaining_refund_amount <= 0:
            order.status = "refunded"
        order.modified_at = now
        self._publish("action.woocommerce_order_refunded", order, refund)
        self._publish("order.updated", order, None)
        return refund

    @staticmethod
    def _refund_payment(order: Order) -> None:
        """``wc_refund_payment``: the order's gateway must exist and support refunds."""
        if order.payment_method in OFFLINE_GATEWAYS:
            raise WooError(500, "woocommerce_rest_cannot_create_order_refund",
                           "The payment gateway for this order does not support automatic refunds.")
        if order.payment_method not in REFUND_GATEWAYS:
            raise WooError(500, "woocommerce_rest_cannot_create_order_refund",
                           "The payment gateway for this order does not exist.")

    def delete_refund(self, order_id: int, refund_id: int) -> Refund:
        refund = self.refund(order_id, refund_id)
        order = self.order(order_id)
        order.refunds.remove(refund)
        if order.status == "refunded" and order.remaining_refund_amount > 0:
            order.status = "processing" if order.paid_at else "pending"
        order.modified_at = self.clock.now()
        return refund

    # webhooks ------------------------------------------------------------------------------
    def add_webhook(self, name: str, topic: str, delivery_url: str, secret: str, status: str) -> Webhook:
        if not (topic in WEBHOOK_TOPICS or (topic.startswith("action.") and len(topic) > len("action."))):
            raise WooError(400, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.")
        if not delivery_url.startswith(("http://", "https://")):
            raise invalid_param("delivery_url", "delivery_url is not a valid URL.")
        hook = Webhook(self.ids.number(), name or f"Webhook created on {self.clock.now():%b %d, %Y}", topic,
                       delivery_url, secret, status, self.clock.now())
        self.webhooks[hook.id] = hook
        return hook

    def subscriptions(self, topic: str) -> list[Webhook]:
        return [w for w in self.webhooks.values() if w.topic == topic and w.status == "active"]
