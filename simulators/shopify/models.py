"""Shopify's state and refund rules, with no HTTP in sight (moto's ``models``).

A shop holds orders (line items, shipping lines, transactions, refunds) and webhook subscriptions.
Refunds follow the Admin REST rules: a line can be refunded up to the quantity not yet refunded,
money up to what the parent sale captured minus what was already refunded from it, and any gap
between the money moved and the calculated value of the refunded goods becomes a
``refund_discrepancy`` order adjustment. Every refund is planned (validated and priced) in full
before anything is stored, so a rejected request leaves the shop exactly as it was.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Callable

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

API_VERSIONS = ("2024-07", "2024-10", "2025-01")   # the stable versions this shop serves, oldest first
_VERSION_HANDLE = re.compile(r"\d{4}-\d{2}")
RESTOCK_TYPES = ("no_restock", "cancel", "return")
WEBHOOK_TOPICS = ("refunds/create", "orders/create", "orders/updated")
ORDER_STATUSES = ("open", "closed", "cancelled", "any")


def served_api_version(requested: str | None) -> str | None:
    """The version Shopify answers a request for ``requested`` in, or None when it answers 404.

    A supported version is served as asked. A date handle older than every supported version falls
    forward to the oldest supported stable version (Shopify's documented behaviour for versions past
    end of life). Anything else (not a YYYY-MM handle, or a date this shop has no version for, such
    as a future quarter) has no route: 404."""
    if requested in API_VERSIONS:
        return requested
    if requested is not None and _VERSION_HANDLE.fullmatch(requested) and requested < API_VERSIONS[0]:
        return API_VERSIONS[0]
    return None


class ShopifyError(Exception):
    """A request Shopify refuses. ``errors`` is what goes under the ``errors`` root key."""

    status = 400

    def __init__(self, errors: str | dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class NotFound(ShopifyError):
    status = 404

    def __init__(self, what: str = "Not Found") -> None:
        super().__init__("Not Found")
        self.what = what


class Invalid(ShopifyError):
    """422 with per-field messages, as Shopify's ``{"errors": {"field": ["msg"]}}``."""

    status = 422


class FieldErrors:
    """Collects every problem of a request so the answer lists them all at once, as Shopify does."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field_name: str, message: str) -> None:
        self.by_field.setdefault(field_name, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise Invalid(self.by_field)


# --- the shop's records -------------------------------------------------------------------

@dataclass
class Customer:
    id: int
    email: str
    first_name: str
    last_name: str


@dataclass
class LineItem:
    id: int
    sku: str
    title: str
    price: Decimal
    quantity: int
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        """What the customer paid for the line before tax: the refundable subtotal of all units."""
        return self.price * self.quantity - self.discount


@dataclass
class ShippingLine:
    id: int
    title: str
    price: Decimal
    tax_rate: Decimal
    tax: Decimal


@dataclass
class Transaction:
    id: int
    order_id: int
    kind: str          # "sale" | "refund"
    status: str        # "success"
    amount: Decimal
    currency: str
    gateway: str
    parent_id: int | None
    created_at: datetime


@dataclass
class RefundLineItem:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str
    location_id: int | None
    subtotal: Decimal
    total_tax: Decimal


@dataclass
class RefundShippingLine:
    id: int
    shipping_line_id: int
    subtotal: Decimal
    tax: Decimal


@dataclass
class OrderAdjustment:
    id: int
    order_id: int
    refund_id: int
    amount: Decimal      # calculated refund minus money refunded (positive: refunded less)
    tax_amount: Decimal
    kind: str
    reason: str


@dataclass
class Refund:
    id: int
    order_id: int
    created_at: datetime
    note: str | None
    refund_line_items: list[RefundLineItem]
    refund_shipping_lines: list[RefundShippingLine]
    transactions: list[Transaction]
    order_adjustments: list[OrderAdjustment]
    return_id: int | None = None   # the Return this refund settles (Refund.return), if any

    @property
    def restock(self) -> bool:
        return any(line.restock_type != "no_restock" for line in self.refund_line_items)


@dataclass
class ReturnLineItem:
    """A returned quantity of an order line (GraphQL ``ReturnLineItem``; its ``fulfillmentLineItem``
    is simulated as one fulfillment line per order line: the simulator keeps no fulfillments)."""
    id: int
    fulfillment_line_item_id: int
    line_item_id: int
    quantity: int
    return_reason: str


@dataclass
class ExchangeLineItem:
    """A new item the customer takes in exchange (GraphQL ``ExchangeLineItem``), priced by the merchant."""
    id: int
    line: LineItem   # the item as a line item of its own (not added to ``Order.line_items``: see the wire contract)


@dataclass
class Return:
    id: int
    order_id: int
    name: str
    status: str      # ReturnStatus, lower case: "open" | "closed" | ...
    created_at: datetime
    return_line_items: list[ReturnLineItem]
    exchange_line_items: list[ExchangeLineItem]

    def exchange_value(self) -> Decimal:
        """What the exchange items are worth, tax included."""
        return sum((e.line.net + e.line.tax for e in self.exchange_line_items), money.ZERO)


@dataclass
class Order:
    id: int
    number: int
    email: str
    currency: str
    gateway: str
    note: str
    customer: Customer
    line_items: list[LineItem]
    shipping_lines: list[ShippingLine]
    transactions: list[Transaction]
    refunds: list[Refund]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    # Every amount above is in ``currency``, what the customer paid (Shopify's presentment currency).
    # The shop's own currency and its rate (shop units per presentment unit) give each amount's
    # shop_money; a single-currency order has shop_currency == currency and rate 1.
    shop_currency: str = ""
    rate: Decimal = Decimal(1)
    returns: list[Return] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.shop_currency = self.shop_currency or self.currency

    def in_shop_currency(self, value: Decimal) -> Decimal:
        """An amount of this order converted to the shop's currency, rounded to its places."""
        if self.shop_currency == self.currency:
            return value
        return money.round_amount(value * self.rate, self.shop_currency)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    def line_item(self, line_item_id: int) -> LineItem | None:
        return next((line for line in self.line_items if line.id == line_item_id), None)

    def shipping_line(self) -> ShippingLine | None:
        return self.shipping_lines[0] if self.shipping_lines else None

    def refunded_quantity(self, line_item_id: int) -> int:
        return sum(r.quantity for refund in self.refunds for r in refund.refund_line_items
                   if r.line_item_id == line_item_id)

    def refunded_line_money(self, line_item_id: int) -> tuple[Decimal, Decimal]:
        rows = [r for refund in self.refunds for r in refund.refund_line_items if r.line_item_id == line_item_id]
        return (sum((r.subtotal for r in rows), money.ZERO), sum((r.total_tax for r in rows), money.ZERO))

    def refunded_shipping(self, shipping_line_id: int) -> tuple[Decimal, Decimal]:
        rows = [s for refund in self.refunds for s in refund.refund_shipping_lines
                if s.shipping_line_id == shipping_line_id]
        return (sum((s.subtotal for s in rows), money.ZERO), sum((s.tax for s in rows), money.ZERO))

    def transaction(self, transaction_id: int) -> Transaction | None:
        return next((t for t in self.transactions if t.id == transaction_id), None)

    def sale(self) -> Transaction | None:
        return next((t for t in self.transactions if t.kind == "sale" and t.status == "success"), None)

    def refunded_from(self, parent_id: int) -> Decimal:
        return sum((t.amount for t in self.transactions
                    if t.kind == "refund" and t.status == "success" and t.parent_id == parent_id), money.ZERO)

    @property
    def subtotal_price(self) -> Decimal:
        return sum((line.net for line in self.line_items), money.ZERO)

    @property
    def total_line_items_price(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.line_items), money.ZERO)

    @property
    def total_discounts(self) -> Decimal:
        return sum((line.discount for line in self.line_items), money.ZERO)

    @property
    def total_shipping(self) -> Decimal:
        return sum((s.price for s in self.shipping_lines), money.ZERO)

    @property
    def total_tax(self) -> Decimal:
        return (sum((line.tax for line in self.line_items), money.ZERO)
                + sum((s.tax for s in self.shipping_lines), money.ZERO))

    @property
    def total_price(self) -> Decimal:
        return self.subtotal_price + self.total_shipping + self.total_tax

    @property
    def financial_status(self) -> str:
        sale = self.sale()
        if sale is None:
            return "pending"
        refunded = self.refunded_from(sale.id)
        if refunded == 0:
            return "paid"
        return "refunded" if refunded >= sale.amount else "partially_refunded"

    def status_matches(self, status: str) -> bool:
        if status == "any":
            return True
        if status == "cancelled":
            return self.cancelled_at is not None
        if status == "closed":
            return self.closed_at is not None
        return self.closed_at is None and self.cancelled_at is None


@dataclass
class WebhookSubscription:
    id: int
    topic: str
    address: str
    format: str
    api_version: str
    created_at: datetime
    updated_at: datetime


# --- refund requests and plans ---------------------------------------------------------------

@dataclass(frozen=True)
class LineRefundRequest:
    line_item_id: int
    quantity: int
    restock_type: str = "no_restock"
    location_id: int | None = None


@dataclass(frozen=True)
class ShippingRefundRequest:
    full_refund: bool = False
    amount: Decimal | None = None   # takes precedence over full_refund, as in Shopify


@dataclass(frozen=True)
class TransactionRequest:
    parent_id: int | None
    amount: Decimal
    kind: str = "refund"
    gateway: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    lines: tuple[LineRefundRequest, ...] = ()
    shipping: ShippingRefundRequest | None = None
    transactions: tuple[TransactionRequest, ...] = ()
    note: str | None = None
    notify: bool = False
    currency: str | None = None


@dataclass(frozen=True)
class PlannedLine:
    line: LineItem
    request: LineRefundRequest
    subtotal: Decimal
    tax: Decimal


@dataclass(frozen=True)
class PlannedShipping:
    line: ShippingLine
    amount: Decimal
    tax: Decimal
    maximum_refundable: Decimal


@dataclass(frozen=True)
class SuggestedTransaction:
    parent: Transaction
    amount: Decimal
    maximum_refundable: Decimal


@dataclass(frozen=True)
class RefundPlan:
    """A fully validated and priced refund that has not been stored (what calculate returns)."""

    order: Order
    lines: tuple[PlannedLine, ...]
    shipping: PlannedShipping | None
    transactions: tuple[TransactionRequest, ...]
    suggested: tuple[SuggestedTransaction, ...]
    note: str | None

    @property
    def calculated_total(self) -> Decimal:
        goods = sum((p.subtotal + p.tax for p in self.lines), money.ZERO)
        return goods + (self.shipping.amount + self.shipping.tax if self.shipping else money.ZERO)

    @property
    def money_refunded(self) -> Decimal:
        return sum((t.amount for t in self.transactions), money.ZERO)


def unit_share(whole: Decimal, units_before: int, units_now: int, units_total: int, currency: str) -> Decimal:
    """The part of ``whole`` belonging to units ``units_before .. units_before+units_now`` of a line.

    ``whole`` is split per unit once with ``money.allocate`` and the refund takes the next units'
    parts, so any sequence of partial refunds of a line adds up exactly to the line.
    """
    parts = money.allocate(whole, [1] * units_total, currency)
    return sum(parts[units_before:units_before + units_now], money.ZERO)


def prorated(whole: Decimal, part: Decimal, of: Decimal, currency: str) -> Decimal:
    """``whole * part / of`` rounded half up; ``of == 0`` has nothing to share."""
    return money.round_amount(whole * part / of, currency) if of else money.ZERO


# --- rate limiting ---------------------------------------------------------------------------

@dataclass
class ShopifySettings:
    """Knobs a test may turn; they survive ``reset`` (they configure the shop, they are not state)."""

    bucket_size: int = 40           # Standard plan REST bucket
    leak_per_second: float = 2.0    # Standard plan leak rate (Advanced 4, Plus 20)
    webhook_max_attempts: int = 8   # Shopify gives up on a failing delivery after 8 tries
    # Shopify only delivers to https:// addresses. Serve mode may turn this on to subscribe a plain
    # http:// receiver on loopback; never on for a certification run.
    allow_http_webhooks: bool = False
    # GraphQL Admin calculated query cost: a bucket of points per app and shop (the long-standing
    # Standard-plan figures; shopify.dev now lists 100 points/second for Standard, so both are knobs)
    graphql_maximum_available: float = 1000.0
    graphql_restore_rate: float = 50.0


class LeakyBucket:
    """Shopify's REST limiter: each call adds one drop, the bucket drains at a fixed rate."""

    def __init__(self, clock: Clock, settings: ShopifySettings) -> None:
        self.clock = clock
        self.settings = settings
        self._level = 0.0
        self._at = clock.now()

    def _drain(self) -> None:
        now = self.clock.now()
        elapsed = (now - self._at).total_seconds()
        self._level = max(0.0, self._level - elapsed * self.settings.leak_per_second)
        self._at = now

    def try_take(self) -> bool:
        """Add one call if it fits; False when the bucket is full (the call must be refused)."""
        self._drain()
        if self._level + 1 > self.settings.bucket_size:
            return False
        self._level += 1
        return True

    def used(self) -> int:
        """Calls counted against the bucket now, rounded up, as the call-limit header shows it."""
        self._drain()
        whole = int(self._level)
        return whole + (1 if self._level > whole else 0)


class CostBucket:
    """GraphQL's limiter: a query may run when the bucket holds its requested cost; it is charged the
    requested cost up front and refunded the difference once its actual cost is known. The bucket
    counts points spent (restored over time), so a change of its size applies at once."""

    def __init__(self, clock: Clock, settings: ShopifySettings) -> None:
        self.clock = clock
        self.settings = settings
        self._spent = 0.0
        self._at = clock.now()

    def available(self) -> float:
        now = self.clock.now()
        elapsed = (now - self._at).total_seconds()
        self._spent = max(0.0, self._spent - elapsed * self.settings.graphql_restore_rate)
        self._at = now
        return max(0.0, self.settings.graphql_maximum_available - self._spent)

    def try_take(self, cost: int) -> bool:
        if self.available() < cost:
            return False
        self._spent += cost
        return True

    def give_back(self, points: int) -> None:
        self.available()
        self._spent = max(0.0, self._spent - max(points, 0))

    def drain_to(self, points: float) -> None:
        """Leave ``points`` available (a test's way to start from a bucket other calls emptied)."""
        self._spent = max(0.0, self.settings.graphql_maximum_available - points)

    def status(self) -> dict[str, float]:
        return {"maximumAvailable": float(self.settings.graphql_maximum_available),
                "currentlyAvailable": float(int(self.available())),
                "restoreRate": float(self.settings.graphql_restore_rate)}


# --- the shop --------------------------------------------------------------------------------

Publisher = Callable[[str, Order, "Refund | None"], None]


class ShopifyBackend:
    """One shop's orders and webhook subscriptions, and the refund rules that guard them."""

    def __init__(self, clock: Clock, seed: int, publish: Publisher | None = None) -> None:
        self.clock = clock
        self.ids = IdSource(seed, first=5_100_000_001)
        self.location_id = self.ids.number()   # the shop's one location (restocked items go back there)
        self.opened_at = clock.now()
        self.orders: dict[int, Order] = {}
        self.webhooks: dict[int, WebhookSubscription] = {}
        self._next_order_number = 1001
        self._publish = publish or (lambda topic, order, refund: None)

    # orders --------------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec) -> Order:
        """Place an order from a spec (and capture its payment when the spec says it is paid)."""
        priced = price_order(spec)  # ValueError naming the bad field; nothing stored yet
        now = self.clock.now()
        order_id = self.ids.number()
        customer = Customer(self.ids.number(), spec.customer.email, spec.customer.first_name,
                            spec.customer.last_name)
        lines = [LineItem(self.ids.number(), p.spec.sku, p.spec.title, money.amount(p.spec.price, spec.currency),
                          p.spec.quantity, p.discount, p.spec.tax_rate, p.tax) for p in priced.lines]
        shipping = ([ShippingLine(self.ids.number(), "Standard Shipping", priced.shipping,
                                  spec.shipping_tax_rate, priced.shipping_tax)] if priced.shipping else [])
        order = Order(order_id, self._next_order_number, spec.customer.email, spec.currency, spec.gateway,
                      spec.note, customer, lines, shipping, [], [], now, now,
                      shop_currency=spec.shop_currency or spec.currency, rate=Decimal(spec.exchange_rate or 1))
        if spec.paid:
            order.transactions.append(Transaction(self.ids.number(), order_id, "sale", "success", priced.total,
                                                  spec.currency, spec.gateway, None, now))
        self._next_order_number += 1
        self.orders[order_id] = order
        self._publish("orders/create", order, None)
        return order

    def order(self, order_id: int) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise NotFound(f"order {order_id}") from None

    def list_orders(self, *, status: str = "open", since_id: int | None = None,
                    updated_at_min: datetime | None = None) -> list[Order]:
        """Orders by ascending id, filtered the way orders.json filters them."""
        found = [o for o in self.orders.values() if o.status_matches(status)
                 and (since_id is None or o.id > since_id) and (updated_at_min is None or o.updated_at >= updated_at_min)]
        return sorted(found, key=lambda o: o.id)   # only what matched: a window of recent orders sorts in no time

    # refunds -------------------------------------------------------------------------------
    def plan_refund(self, order_id: int, request: RefundRequest, *, suggest: bool = False) -> RefundPlan:
        """Validate and price a refund without storing anything (refunds/calculate.json)."""
        order = self.order(order_id)
        errors = FieldErrors()
        if request.currency is not None and request.currency != order.currency:
            errors.add("currency", f"{request.currency} is not the order's currency {order.currency}")
        lines = self._plan_lines(order, request.lines, errors)
        shipping = self._plan_shipping(order, request.shipping, errors)
        transactions = self._check_transactions(order, request.transactions, errors)
        errors.raise_if_any()
        plan = RefundPlan(order, lines, shipping, transactions, (), request.note)
        return replace(plan, suggested=self._suggest(order, plan.calculated_total)) if suggest else plan

    def create_refund(self, order_id: int, request: RefundRequest, *, of_return: Return | None = None) -> Refund:
        """Store a refund: either all of it (lines, shipping, money, adjustment) or nothing.

        ``of_return``: the refund settles that return. Its returned lines are worth more than the money
        when the customer took exchange items; that gap is the exchange, not a refund discrepancy, so
        no order adjustment is made for it."""
        plan = self.plan_refund(order_id, request)
        if not (plan.lines or plan.shipping or plan.transactions):
            raise Invalid({"base": ["a refund needs refund_line_items, shipping or transactions"]})
        order = plan.order
        now = self.clock.now()
        refund_id = self.ids.number()
        refund = Refund(
            id=refund_id, order_id=order.id, created_at=now, note=plan.note,
            return_id=of_return.id if of_return else None,
            refund_line_items=[RefundLineItem(self.ids.number(), p.line.id, p.request.quantity,
                                              p.request.restock_type, self.restock_location(p.request),
                                              p.subtotal, p.tax) for p in plan.lines],
            refund_shipping_lines=([RefundShippingLine(self.ids.number(), plan.shipping.line.id,
                                                       plan.shipping.amount, plan.shipping.tax)]
                                   if plan.shipping else []),
            transactions=[], order_adjustments=[],
        )
        for wanted in plan.transactions:
            parent = order.transaction(wanted.parent_id)  # checked by the plan
            assert parent is not None
            refund.transactions.append(Transaction(self.ids.number(), order.id, "refund", "success",
                                                   money.amount(wanted.amount, order.currency), order.currency,
                                                   parent.gateway, parent.id, now))
        discrepancy = plan.calculated_total - plan.money_refunded
        if of_return is not None and of_return.exchange_line_items:
            discrepancy -= min(of_return.exchange_value(), plan.calculated_total)
        if discrepancy:
            refund.order_adjustments.append(OrderAdjustment(
                self.ids.number(), order.id, refund_id, discrepancy, money.amount(0, order.currency),
                "refund_discrepancy", "Refund discrepancy"))
        order.refunds.append(refund)
        order.transactions.extend(refund.transactions)
        order.updated_at = now
        self._publish("refunds/create", order, refund)
        self._publish("orders/updated", order, None)
        return refund

    # returns and exchanges --------------------------------------------------------------------
    def exchange(self, order_id: int, returned: tuple[tuple[int, int], ...],
                 new_items: tuple[tuple[str, str, Decimal, int, Decimal], ...], *, note: str | None = None
                 ) -> tuple[Return, Refund]:
        """The merchant's exchange, processed at once: a Return of ``returned`` (line item id, quantity)
        with ``new_items`` (sku, title, unit price, quantity, tax) as its exchange line items, and the
        refund that settles it. The refund carries the returned lines at their value and gives back
        in money only the balance in the customer's favour (returned value minus exchange value, never
        below zero); a customer who owes the difference pays it apart from refunds (not simulated)."""
        order = self.order(order_id)
        if not returned:
            raise Invalid({"return_line_items": ["an exchange returns at least one line"]})
        if not new_items:
            raise Invalid({"exchange_line_items": ["an exchange takes at least one new item"]})
        errors = FieldErrors()
        lines = tuple(LineRefundRequest(int(line_id), int(quantity), "return") for line_id, quantity in returned)
        planned = self._plan_lines(order, lines, errors)
        exchange_lines = []
        for sku, title, price, quantity, tax in new_items:
            if quantity < 1 or price < 0 or tax < 0:
                errors.add("exchange_line_items", f"{sku}: quantity must be positive, price and tax not negative")
                continue
            exchange_lines.append(LineItem(self.ids.number(), sku, title, money.amount(price, order.currency),
                                           quantity, money.ZERO, Decimal(0), money.amount(tax, order.currency)))
        errors.raise_if_any()
        now = self.clock.now()
        the_return = Return(
            self.ids.number(), order.id, f"{order.name}-R{len(order.returns) + 1}", "closed", now,
            [ReturnLineItem(self.ids.number(), self.ids.number(), p.line.id, p.request.quantity, "OTHER")
             for p in planned],
            [ExchangeLineItem(self.ids.number(), line) for line in exchange_lines])
        returned_value = sum((p.subtotal + p.tax for p in planned), money.ZERO)
        balance = returned_value - the_return.exchange_value()
        sale = order.sale()
        money_moves = ((TransactionRequest(sale.id, balance),) if balance > 0 and sale is not None else ())
        refund = self.create_refund(order.id, RefundRequest(lines, None, money_moves, note), of_return=the_return)
        order.returns.append(the_return)   # after the refund: a refused exchange leaves no return behind
        return the_return, refund

    def restock_location(self, request: LineRefundRequest) -> int | None:
        """Items going back to stock go to the named location, else the shop's default one."""
        if request.location_id is not None or request.restock_type == "no_restock":
            return request.location_id
        return self.location_id

    def refund(self, order_id: int, refund_id: int) -> Refund:
        order = self.order(order_id)
        found = next((r for r in order.refunds if r.id == refund_id), None)
        if found is None:
            raise NotFound(f"refund {refund_id} of order {order_id}")
        return found

    def _plan_lines(self, order: Order, wanted: tuple[LineRefundRequest, ...],
                    errors: FieldErrors) -> tuple[PlannedLine, ...]:
        planned = []
        seen: set[int] = set()
        for request in wanted:
            line = order.line_item(request.line_item_id)
            if line is None:
                errors.add("refund_line_items.line_item_id",
                           f"line item {request.line_item_id} is not on order {order.id}")
                continue
            if line.id in seen:
                errors.add("refund_line_items.line_item_id",
                           f"line item {line.id} appears more than once; send one entry per line")
                continue
            seen.add(line.id)
            if request.restock_type not in RESTOCK_TYPES:
                errors.add("refund_line_items.restock_type",
                           f"{request.restock_type!r} is not included in the list: {', '.join(RESTOCK_TYPES)}")
            if request.quantity < 1:
                errors.add("refund_line_items.quantity", f"must be greater than 0 (line item {line.id})")
                continue
            already = order.refunded_quantity(line.id)
            if request.quantity > line.quantity - already:
                errors.add("refund_line_items.quantity",
                           f"cannot refund more items than were purchased: line item {line.id} ({line.sku}) "
                           f"has {line.quantity - already} of {line.quantity} left to refund, "
                           f"{request.quantity} requested")
                continue
            subtotal = unit_share(line.net, already, request.quantity, line.quantity, order.currency)
            tax = unit_share(line.tax, already, request.quantity, line.quantity, order.currency)
            planned.append(PlannedLine(line, request, subtotal, tax))
        return tuple(planned)

    def _plan_shipping(self, order: Order, wanted: ShippingRefundRequest | None,
                       errors: FieldErrors) -> PlannedShipping | None:
        if wanted is None or (wanted.amount is None and not wanted.full_refund):
            return None
        line = order.shipping_line()
        if line is None:
            errors.add("shipping", f"order {order.id} has no shipping to refund")
            return None
        refunded, refunded_tax = order.refunded_shipping(line.id)
        remaining = line.price - refunded
        if wanted.amount is None:
            amount = remaining
        else:
            amount = self._exact_amount(wanted.amount, order.currency, "shipping.amount", errors)
            if amount is None:
                return None
            if amount > remaining:
                errors.add("shipping.amount",
                           f"Shipping amount cannot be greater than the refundable shipping of "
                           f"{money.format_amount(remaining, order.currency)} {order.currency}")
                return None
        if amount == 0:
            return None
        # cumulative rounding: the shipping tax refunded once all shipping is refunded is the line's tax
        tax = prorated(line.tax, refunded + amount, line.price, order.currency) - refunded_tax
        return PlannedShipping(line, amount, tax, remaining)

    def _check_transactions(self, order: Order, wanted: tuple[TransactionRequest, ...],
                            errors: FieldErrors) -> tuple[TransactionRequest, ...]:
        asked_per_parent: dict[int, Decimal] = {}
        checked = []
        for request in wanted:
            if request.kind != "refund":
                errors.add("transactions.kind", f"{request.kind!r} cannot be used on a refund; use \"refund\"")
                continue
            amount = self._exact_amount(request.amount, order.currency, "transactions.amount", errors)
            if request.parent_id is None:
                errors.add("transactions.parent_id", "can't be blank: name the sale transaction to refund")
                continue
            parent = order.transaction(request.parent_id)
            if parent is None or parent.kind not in ("sale", "capture") or parent.status != "success":
                errors.add("transactions.parent_id",
                           f"{request.parent_id} is not a successful sale or capture of order {order.id}")
                continue
            if amount is None:
                continue
            asked = asked_per_parent.get(parent.id, money.ZERO) + amount
            asked_per_parent[parent.id] = asked
            refundable = parent.amount - order.refunded_from(parent.id)
            if asked > refundable:
                errors.add("transactions.amount",
                           f"Amount cannot be greater than the refundable amount of "
                           f"{money.format_amount(refundable, order.currency)} {order.currency} "
                           f"on transaction {parent.id}")
                continue
            checked.append(TransactionRequest(parent.id, amount, "refund", parent.gateway))
        return tuple(checked)

    def _suggest(self, order: Order, calculated: Decimal) -> tuple[SuggestedTransaction, ...]:
        sale = order.sale()
        if sale is None:
            return ()
        refundable = sale.amount - order.refunded_from(sale.id)
        return (SuggestedTransaction(sale, min(calculated, refundable), refundable),)

    @staticmethod
    def _exact_amount(value: Decimal, currency: str, field_name: str, errors: FieldErrors) -> Decimal | None:
        try:
            amount = money.amount(value, currency)
        except money.MoneyError as exc:
            errors.add(field_name, str(exc))
            return None
        if amount <= 0:
            errors.add(field_name, f"must be greater than 0, not {value}")
            return None
        return amount

    # webhooks ------------------------------------------------------------------------------
    def subscribe(self, topic: str, address: str, fmt: str, api_version: str, *,
                  allow_http: bool = False) -> WebhookSubscription:
        errors = FieldErrors()
        if topic not in WEBHOOK_TOPICS:
            errors.add("topic", f"Invalid topic specified: {topic!r}. Supported here: {', '.join(WEBHOOK_TOPICS)}")
        if address.startswith("http://") and not allow_http:
            errors.add("address", "protocol http:// is not supported")
        elif not address.startswith(("https://", "http://")):
            errors.add("address", f"{address!r} is not an https URL")
        if fmt != "json":
            errors.add("format", f"{fmt!r} is not supported; use \"json\"")
        if any(w.topic == topic and w.address == address for w in self.webhooks.values()):
            errors.add("address", "for this topic has already been taken")
        errors.raise_if_any()
        now = self.clock.now()
        subscription = WebhookSubscription(self.ids.number(), topic, address, fmt, api_version, now, now)
        self.webhooks[subscription.id] = subscription
        return subscription

    def unsubscribe(self, webhook_id: int) -> None:
        if self.webhooks.pop(webhook_id, None) is None:
            raise NotFound(f"webhook {webhook_id}")

    def subscriptions(self, topic: str) -> list[WebhookSubscription]:
        return [w for w in self.webhooks.values() if w.topic == topic]
