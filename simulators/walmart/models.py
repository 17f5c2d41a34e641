"""Walmart Marketplace's state and refund rules, with no HTTP in sight (moto's ``models``).

Rules kept here, from Walmart's Refund Order Lines and Returns/Refunds documentation:
- only order lines in Shipped status can be refunded;
- every refund amount (charge and tax) is negative, and a line's refunds never exceed what was charged
  for it, per charge type (PRODUCT, SHIPPING) and for its tax;
- every refund charge names a ``refundReason`` from Walmart's list;
- orders fulfilled by Walmart (WFS) cannot be refunded by the seller.
A refund request is checked whole before anything is recorded, so a refused request changes nothing.
Orders follow the multi-quantity model (MLMQ): one order line per item with ``orderLineQuantity``;
shipping is a SHIPPING charge on the order's first line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

CHARGE_TYPES = ("PRODUCT", "SHIPPING")
CHARGE_NAMES = {"PRODUCT": ("ItemPrice", "ItemPriceTax"), "SHIPPING": ("Shipping", "ShippingTax")}
# Reasons seen in Walmart's refund samples and seller documentation; the full enum of the OpenAPI
# definition could not be read, so this list may be short of it (see the wire contract).
REFUND_REASONS = ("BillingError", "TaxExemptCustomer", "ItemNotAsAdvertised", "IncorrectItemReceived",
                  "CancelledYetShipped", "ItemNotReceivedByCustomer", "IncorrectShippingPrice", "DamagedItem",
                  "DefectiveItem", "CustomerChangedMind", "CustomerReceivedItemLate", "Missing Parts / Instructions",
                  "Finance -> Goodwill", "Finance -> Rollback", "Merchandisenotreceived")
LINE_STATUSES = ("Created", "Acknowledged", "Shipped", "Delivered", "Cancelled")
REFUNDABLE_STATUSES = ("Shipped", "Delivered")   # a delivered line has shipped


class WalmartError(Exception):
    """A request Walmart refuses, as one entry of its ``{"errors": [...]}`` list."""

    def __init__(self, status: int, code: str, message: str, field_name: str | None = None,
                 category: str = "DATA", severity: str = "ERROR") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field_name
        self.category = category
        self.severity = severity


def invalid(message: str, field_name: str | None = None, code: str = "INVALID_REQUEST_CONTENT") -> WalmartError:
    return WalmartError(400, code, message, field_name)


def not_found(message: str) -> WalmartError:
    return WalmartError(404, "CONTENT_NOT_FOUND", message, category="APPLICATION", severity="INFO")


@dataclass
class WalmartSettings:
    """Knobs a test may turn; they survive ``reset``."""

    token_ttl: int = 900          # seconds an access token lives (Walmart's expires_in)
    ship_on_order: bool = True    # orders placed by the control plane are shipped at once


@dataclass(frozen=True)
class Seller:
    id: str
    name: str
    client_id: str
    client_secret: str


@dataclass
class RefundCharge:
    reason: str
    charge_type: str
    charge_name: str
    amount: Decimal       # negative
    tax_name: str
    tax: Decimal          # negative or zero


@dataclass
class LineRefund:
    refund_id: str
    comments: str
    charges: list[RefundCharge]
    quantity: int | None      # units given back, where the request said
    created_at: datetime


@dataclass
class OrderLine:
    number: str
    sku: str
    product_name: str
    quantity: int
    product: Decimal
    product_tax: Decimal
    shipping: Decimal
    shipping_tax: Decimal
    status: str
    status_date: datetime
    refunds: list[LineRefund] = field(default_factory=list)

    def charged(self, charge_type: str) -> tuple[Decimal, Decimal]:
        return (self.product, self.product_tax) if charge_type == "PRODUCT" else (self.shipping, self.shipping_tax)

    def refunded(self, charge_type: str) -> tuple[Decimal, Decimal]:
        """(amount, tax) given back so far for this charge type, as positive numbers."""
        charges = [c for r in self.refunds for c in r.charges if c.charge_type == charge_type]
        return -sum((c.amount for c in charges), money.ZERO), -sum((c.tax for c in charges), money.ZERO)

    @property
    def refunded_units(self) -> int:
        return sum(r.quantity or 0 for r in self.refunds)


@dataclass
class Order:
    purchase_order_id: str
    customer_order_id: str
    seller_id: str
    currency: str
    email: str
    customer_name: str
    order_date: datetime
    last_modified: datetime
    lines: list[OrderLine]
    ship_node_type: str = "SellerFulfilled"   # or "WFSFulfilled"
    payment: str = "CREDITCARD"               # "INVOICE": billed by the seller on terms (see the wire contract)

    def line(self, number: str) -> OrderLine | None:
        return next((line for line in self.lines if line.number == number), None)


@dataclass(frozen=True)
class ChargeAsked:
    reason: str
    charge_type: str
    charge_name: str
    amount: Decimal
    tax_name: str
    tax: Decimal


@dataclass(frozen=True)
class LineAsked:
    number: str
    full: bool
    comments: str
    charges: tuple[ChargeAsked, ...]
    quantity: int | None


class WalmartBackend:
    def __init__(self, clock: Clock, seed: int, settings: WalmartSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.ids = IdSource(seed)
        self.sellers: dict[str, Seller] = {}          # by client id
        self.tokens: dict[str, tuple[str, datetime]] = {}   # access token -> (seller id, expiry)
        self.orders: dict[str, Order] = {}

    # sellers and tokens ------------------------------------------------------------------
    def add_seller(self, name: str) -> Seller:
        seller = Seller(id=str(100000 + self.ids.number()), name=name,
                        client_id=self._uuid(), client_secret=self.ids.token(40))
        self.sellers[seller.client_id] = seller
        return seller

    def _uuid(self) -> str:
        h = self.ids.hex(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, int]:
        seller = self.sellers.get(client_id)
        if seller is None or seller.client_secret != client_secret:
            raise WalmartError(401, "UNAUTHORIZED", "Invalid client_id or client_secret.")
        token = "eyJraWQiOi" + self.ids.token(120)
        self.tokens[token] = (seller.id, self.clock.now() + timedelta(seconds=self.settings.token_ttl))
        return token, self.settings.token_ttl

    def seller_for_token(self, token: str) -> Seller | None:
        found = self.tokens.get(token)
        if found is None or found[1] <= self.clock.now():
            return None
        return next((s for s in self.sellers.values() if s.id == found[0]), None)

    def seller(self, seller_id: str) -> Seller:
        return next(s for s in self.sellers.values() if s.id == seller_id)

    # orders ------------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, seller: Seller, *, shipped: bool, wfs: bool = False) -> Order:
        priced = price_order(spec)   # ValueError naming the bad field; nothing stored yet
        now = self.clock.now()
        status = "Shipped" if shipped else "Acknowledged"
        lines = []
        for index, p in enumerate(priced.lines, start=1):
            first = index == 1
            lines.append(OrderLine(str(index), p.spec.sku, p.spec.title, p.spec.quantity, p.net, p.tax,
                                   priced.shipping if first else money.ZERO,
                                   priced.shipping_tax if first else money.ZERO, status, now))
        po = str(10 ** 12 + self.ids.number() * 7919)
        order = Order(po, str(10 ** 11 + self.ids.number()), seller.id, spec.currency, spec.customer.email,
                      f"{spec.customer.first_name} {spec.customer.last_name}", now, now, lines,
                      "WFSFulfilled" if wfs else "SellerFulfilled",
                      "INVOICE" if spec.gateway == "manual" else "CREDITCARD")
        self.orders[po] = order
        return order

    def order(self, seller: Seller, purchase_order_id: str) -> Order:
        found = self.orders.get(purchase_order_id)
        if found is None or found.seller_id != seller.id:
            raise not_found(f"Purchase order {purchase_order_id} was not found.")
        return found

    def list_orders(self, seller: Seller, *, created_start: datetime | None, created_end: datetime | None,
                    modified_start: datetime | None, modified_end: datetime | None) -> list[Order]:
        def within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
            return (start is None or moment >= start) and (end is None or moment <= end)
        found = [o for o in self.orders.values() if o.seller_id == seller.id
                 and within(o.order_date, created_start, created_end)
                 and within(o.last_modified, modified_start, modified_end)]
        return sorted(found, key=lambda o: (o.order_date, o.purchase_order_id))

    def ship(self, order: Order, numbers: list[str] | None = None) -> None:
        now = self.clock.now()
        for line in order.lines:
            if (numbers is None or line.number in numbers) and line.status in ("Created", "Acknowledged"):
                line.status, line.status_date = "Shipped", now
        order.last_modified = now

    # refunds -----------------------------------------------------------------------------
    def refund(self, seller: Seller, purchase_order_id: str, asked: list[LineAsked]) -> Order:
        """Refund Order Lines: every line and charge checked first, then all recorded at once."""
        order = self.order(seller, purchase_order_id)
        if order.ship_node_type == "WFSFulfilled":
            raise invalid(f"Purchase order {order.purchase_order_id} is fulfilled by Walmart (WFS); Walmart handles "
                          "its refunds and the seller cannot refund it.", "purchaseOrderId")
        if not asked:
            raise invalid("orderRefund.orderLines.orderLine must name at least one order line.",
                          "orderRefund.orderLines.orderLine")
        seen: set[str] = set()
        for entry in asked:
            line = order.line(entry.number)
            if line is None:
                raise invalid(f"Order line {entry.number} does not exist on purchase order {order.purchase_order_id}.",
                              "lineNumber")
            if entry.number in seen:
                raise invalid(f"Order line {entry.number} is named twice in one refund request.", "lineNumber")
            seen.add(entry.number)
            if line.status not in REFUNDABLE_STATUSES:
                raise invalid(f"Order line {line.number} of purchase order {order.purchase_order_id} has status "
                              f"{line.status}; only lines in Shipped status can be refunded.", "lineNumber")
            self._check_charges(order, line, entry)
        now = self.clock.now()
        refund_id = str(10 ** 9 + self.ids.number())
        for entry in asked:
            line = order.line(entry.number)
            assert line is not None
            line.refunds.append(LineRefund(refund_id, entry.comments, [
                RefundCharge(c.reason, c.charge_type, c.charge_name, c.amount, c.tax_name, c.tax) for c in entry.charges],
                entry.quantity, now))
        order.last_modified = now
        return order

    def _check_charges(self, order: Order, line: OrderLine, entry: LineAsked) -> None:
        if not entry.charges:
            raise invalid(f"Order line {line.number}: refundCharges.refundCharge must hold at least one charge.",
                          "refundCharge")
        if entry.quantity is not None and not 1 <= entry.quantity <= line.quantity - line.refunded_units:
            raise invalid(f"Order line {line.number}: {entry.quantity} units cannot be refunded; "
                          f"{line.quantity - line.refunded_units} of {line.quantity} are left.", "orderLineQuantity")
        for charge_type in CHARGE_TYPES:
            charges = [c for c in entry.charges if c.charge_type == charge_type]
            if not charges:
                continue
            amount = -sum((c.amount for c in charges), money.ZERO)
            tax = -sum((c.tax for c in charges), money.ZERO)
            charged, charged_tax = line.charged(charge_type)
            done, done_tax = line.refunded(charge_type)
            if amount + done > charged:
                raise invalid(f"Order line {line.number}: the {charge_type} refund of {amount} {order.currency} is more "
                              f"than the {charged - done} {order.currency} left of the {charged} charged.", "chargeAmount")
            if tax + done_tax > charged_tax:
                raise invalid(f"Order line {line.number}: the {charge_type} tax refund of {tax} {order.currency} is more "
                              f"than the {charged_tax - done_tax} {order.currency} of tax left to refund.", "taxAmount")

    def seller_center_refund(self, order: Order, units: dict[str, int], shipping: bool,
                             amount: Decimal | None, reason: str = "CustomerChangedMind") -> Order:
        """What Seller Center asks Walmart for when the seller refunds units and/or shipping: each unit
        its share of the line's charge and tax (priced on what has been refunded in all, so unit-by-unit
        refunds add up to the line), shipping what is left of it. ``amount`` gives back that much
        instead: the difference goes on the first PRODUCT charge asked (or, with nothing asked, on the
        lines' PRODUCT charges with room, as money back without units)."""
        cur = order.currency
        charges: dict[tuple[str, str], list[Decimal]] = {}
        for number, quantity in units.items():
            line = order.line(number)
            if line is None:
                raise KeyError(f"purchase order {order.purchase_order_id} has no line {number}")
            done = line.refunded_units

            def share(value: Decimal, n: int, line: OrderLine = line) -> Decimal:
                return money.round_amount(value * n / line.quantity, cur)
            charges[(number, "PRODUCT")] = [share(line.product, done + quantity) - share(line.product, done),
                                            share(line.product_tax, done + quantity) - share(line.product_tax, done)]
        if shipping:
            for line in order.lines:
                left, left_tax = line.shipping - line.refunded("SHIPPING")[0], line.shipping_tax - line.refunded("SHIPPING")[1]
                if left > 0:
                    charges[(line.number, "SHIPPING")] = [left, left_tax]
        if amount is not None:
            residual = amount - sum((a + t for a, t in charges.values()), money.ZERO)
            product = [k for k in charges if k[1] == "PRODUCT"]
            if product:
                charges[product[0]][0] += residual
            else:
                for line in order.lines:
                    room = line.product - line.refunded("PRODUCT")[0]
                    part = min(residual, room)
                    if part > 0:
                        charges[(line.number, "PRODUCT")] = [part, money.ZERO]
                        residual -= part
        asked = []
        for number in sorted({n for n, _ in charges}, key=int):
            parts = tuple(ChargeAsked(reason, t, CHARGE_NAMES[t][0], -charges[(number, t)][0], CHARGE_NAMES[t][1],
                                      -charges[(number, t)][1]) for t in CHARGE_TYPES if (number, t) in charges)
            asked.append(LineAsked(number, False, "Refunded in Seller Center", parts, units.get(number)))
        seller = self.seller(order.seller_id)
        return self.refund(seller, order.purchase_order_id, asked)
