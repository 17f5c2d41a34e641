"""eBay's orders and refunds and the rules that guard them, with no HTTP in sight (moto's ``models``).

Rules kept here, from the Sell Fulfillment API reference (issueRefund, getOrder, getOrders):
- a refund is an amount: for the whole order (``orderLevelRefundAmount``) or per line
  (``refundItems[].refundAmount``); never a quantity;
- one ``reasonForRefund`` per call, from ReasonForRefundEnum; ``comment`` at most 100 characters;
- never more than the buyer paid, for the order (34915) and for a line (34924); a fully refunded
  order takes no further refund (34917); an unpaid order cannot be refunded yet (34929);
- a refund starts PENDING and later becomes REFUNDED or FAILED (RefundStatusEnum); a FAILED refund
  holds no money back;
- a refund made through issueRefund is listed on the order (``paymentSummary.refunds`` for an
  order-level refund, ``lineItems[].refunds`` for a line-level one).
Seller Hub refunds (the control plane) follow the marketplace rule the NetSuite connector documents:
a refund the seller issues after the buyer asked for one (a return or refund request) is listed on
the order like any other; one the seller issues unasked is an *external transaction*, which the
Fulfillment API does not list at all. It still moves money, so it counts against what is refundable.
Sellers share one host and are told apart by access token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

REASONS = ("BUYER_CANCEL", "SELLER_CANCEL", "ITEM_NOT_RECEIVED", "BUYER_RETURN", "ITEM_NOT_AS_DESCRIBED",
           "OTHER_ADJUSTMENT", "SHIPPING_DISCOUNT")
COMMENT_MAX = 100
PENDING, REFUNDED, FAILED = "PENDING", "REFUNDED", "FAILED"
# Gateways of an order paid outside eBay (the harness's payment on terms): eBay names no invoice
# payment, so such an order is shown as paid on pickup.
OFFLINE_GATEWAYS = frozenset({"manual"})
OFFLINE_PAYMENT = "CASH_ON_PICKUP"


class EbayError(Exception):
    """A request eBay refuses, as one entry of its ``{"errors": [...]}`` list."""

    def __init__(self, status: int, error_id: int, message: str, *, category: str = "REQUEST",
                 domain: str = "API_FULFILLMENT", long_message: str | None = None,
                 parameters: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {error_id}: {long_message or message}")
        self.status = status
        self.error_id = error_id
        self.message = message
        self.category = category
        self.domain = domain
        self.long_message = long_message
        self.parameters = parameters or {}

    def as_json(self) -> dict:
        entry: dict = {"errorId": self.error_id, "domain": self.domain, "category": self.category,
                       "message": self.message}
        if self.long_message:
            entry["longMessage"] = self.long_message
        if self.parameters:
            entry["parameters"] = [{"name": k, "value": v} for k, v in self.parameters.items()]
        return entry


def refused(error_id: int, message: str, detail: str | None = None, *, status: int = 400,
            category: str = "REQUEST", **parameters: str) -> EbayError:
    return EbayError(status, error_id, message, category=category, long_message=detail, parameters=parameters)


@dataclass
class EbaySettings:
    """Knobs a test may turn; they survive ``reset``."""

    reads_to_complete: int | None = 1   # API reads of an order before its PENDING refunds complete; None: never by themselves


@dataclass(frozen=True)
class Seller:
    username: str
    access_token: str


@dataclass
class LineItem:
    line_item_id: str
    legacy_item_id: str
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    shipping: Decimal       # the order's delivery cost rides on its first line
    shipping_tax: Decimal

    @property
    def cost(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def total(self) -> Decimal:
        """What the buyer paid for the line: the most a line-level refund can give back."""
        return self.cost - self.discount + self.tax + self.shipping + self.shipping_tax


@dataclass
class Order:
    order_id: str
    seller: str
    buyer: str
    currency: str
    lines: list[LineItem]
    paid: bool
    created: datetime
    modified: datetime
    payment_method: str = "EBAY"   # eBay managed payments; "CASH_ON_PICKUP" for an order paid outside eBay
    refund_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), money.ZERO)


@dataclass
class Refund:
    refund_id: str
    order_id: str
    amount: Decimal
    currency: str
    reason: str
    comment: str
    status: str
    created: datetime
    lines: dict[str, Decimal]   # line item id -> amount, for a line-level refund; empty for order level
    origin: str                 # "api" (issueRefund) or "buyer_request" (Seller Hub, after the buyer asked)
    refunded: datetime | None = None
    reference_id: str | None = None
    reads: int = 0


@dataclass
class ExternalTransaction:
    """A seller refund no buyer asked for: money went back, but the Fulfillment API does not list it."""

    transaction_id: str
    order_id: str
    amount: Decimal
    currency: str
    reason: str
    created: datetime


@dataclass(frozen=True)
class RefundAsked:
    order_id: str
    reason: str
    comment: str
    currency: str
    order_amount: Decimal | None              # orderLevelRefundAmount
    lines: tuple[tuple[str, Decimal], ...]    # refundItems (line item id, amount)

    @property
    def total(self) -> Decimal:
        return self.order_amount if self.order_amount is not None else sum((a for _, a in self.lines), money.ZERO)


class EbayBackend:
    def __init__(self, clock: Clock, seed: int, settings: EbaySettings) -> None:
        self.clock = clock
        self.settings = settings
        self.ids = IdSource(seed)
        self.sellers: dict[str, Seller] = {}          # by access token
        self.orders: dict[str, Order] = {}
        self.refunds: dict[str, Refund] = {}
        self.external: dict[str, list[ExternalTransaction]] = {}
        self.requests: dict[str, list[str]] = {}      # order id -> open buyer requests (their reasons)

    def _digits(self, n: int) -> str:
        """n digits that look random (a buyer's name suffix); not unique."""
        return "".join(str(self.ids.number() % 10) for _ in range(n))

    def _unique(self, n: int) -> str:
        return self.ids.digits(n)

    def add_seller(self, username: str) -> Seller:
        seller = Seller(username, "v^1.1#i^1#r^0#" + self.ids.token(48))
        self.sellers[seller.access_token] = seller
        return seller

    def seller_for_token(self, token: str) -> Seller | None:
        return self.sellers.get(token)

    # --- orders ---------------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, seller: Seller) -> Order:
        priced = price_order(spec)   # ValueError naming the bad field; nothing stored yet
        now = self.clock.now()
        lines = []
        for index, p in enumerate(priced.lines):
            first = index == 0
            lines.append(LineItem(self._unique(14), "1" + self._unique(11), p.spec.sku, p.spec.title, p.spec.quantity,
                                  money.amount(p.spec.price, spec.currency), p.discount, p.tax,
                                  priced.shipping if first else money.ZERO, priced.shipping_tax if first else money.ZERO))
        order_id = "{0}-{1}-{2}".format(*(lambda d: (d[:2], d[2:7], d[7:]))(self._unique(12)))
        buyer = (spec.customer.first_name + spec.customer.last_name).lower() + "_" + self._digits(3)
        order = Order(order_id, seller.username, buyer, spec.currency, lines, spec.paid, now, now,
                      payment_method=OFFLINE_PAYMENT if spec.gateway in OFFLINE_GATEWAYS else "EBAY")
        assert order.total == priced.total, "order and priced totals must agree"
        self.orders[order_id] = order
        return order

    def order(self, seller: Seller, order_id: str) -> Order:
        found = self.orders.get(order_id)
        if found is None or found.seller != seller.username:
            raise refused(34913, "Can not find the order.", f"No order {order_id[:60]!r} for this seller.",
                          status=404, orderId=order_id[:60])
        return found

    def order_refunds(self, order: Order) -> list[Refund]:
        return [self.refunds[r] for r in order.refund_ids]

    def read(self, order: Order) -> Order:
        """An API read of the order: counts towards ``settings.reads_to_complete`` for its PENDING refunds."""
        target = self.settings.reads_to_complete
        for refund in self.order_refunds(order):
            if refund.status == PENDING:
                refund.reads += 1
                if target is not None and refund.reads >= target:
                    self._settle(refund, REFUNDED)
        return order

    def search(self, seller: Seller, *, field_name: str, start: datetime, end: datetime | None) -> list[Order]:
        found = [o for o in self.orders.values() if o.seller == seller.username
                 and getattr(o, field_name) >= start and (end is None or getattr(o, field_name) <= end)]
        return sorted(found, key=lambda o: (o.created, o.order_id), reverse=True)

    # --- refunds --------------------------------------------------------------------------------
    def held(self, order: Order) -> Decimal:
        """Money already on its way back: refunds that have not FAILED, and external ones."""
        listed = sum((r.amount for r in self.order_refunds(order) if r.status != FAILED), money.ZERO)
        return listed + sum((t.amount for t in self.external.get(order.order_id, [])), money.ZERO)

    def line_held(self, order: Order, line_item_id: str) -> Decimal:
        return sum((r.lines.get(line_item_id, money.ZERO) for r in self.order_refunds(order) if r.status != FAILED),
                   money.ZERO)

    def check(self, order: Order, asked: RefundAsked) -> None:
        if not order.paid:
            raise refused(34929, "Buyer payment not processed yet.", "You cannot refund this order yet since the "
                          "buyer payment has not been processed. Please try again later.", status=409)
        if asked.currency != order.currency:
            raise refused(34909, "The amount currency isn't correct.",
                          f"The order is in {order.currency}, not {asked.currency[:8]}.")
        by_id = {line.line_item_id: line for line in order.lines}
        for line_item_id, _ in asked.lines:
            if line_item_id not in by_id:
                raise refused(34914, "Can't find the item in the order.",
                              f"Order {order.order_id} has no line item {line_item_id[:40]!r}.")
        left = order.total - self.held(order)
        if left <= 0:
            raise refused(34917, "This order was already refunded.", category="BUSINESS")
        if asked.total > left:
            raise refused(34915, "The refund amount exceeds order amount.",
                          f"At most {money.format_amount(left, order.currency)} {order.currency} of "
                          f"{money.format_amount(order.total, order.currency)} is left to refund.")
        for line_item_id, amount in asked.lines:
            line = by_id[line_item_id]
            line_left = line.total - self.line_held(order, line_item_id)
            if amount > line_left:
                raise refused(34924, "Item refund amount exceeds remaining.",
                              f"The item refund amount exceeds the item remaining amount: line {line_item_id} has "
                              f"{money.format_amount(line_left, order.currency)} {order.currency} left.",
                              status=409, category="BUSINESS")

    def issue(self, order: Order, asked: RefundAsked, origin: str) -> Refund:
        self.check(order, asked)
        now = self.clock.now()
        refund = Refund(f"5{self._unique(11)}", order.order_id, asked.total, asked.currency, asked.reason,
                        asked.comment, PENDING, now, dict(asked.lines), origin)
        self.refunds[refund.refund_id] = refund
        order.refund_ids.append(refund.refund_id)
        order.modified = now
        return refund

    def request_refund(self, order: Order, reason: str) -> None:
        self.requests.setdefault(order.order_id, []).append(reason)
        order.modified = self.clock.now()

    def seller_hub_refund(self, order: Order, asked: RefundAsked) -> Refund | ExternalTransaction:
        """The seller refunds in Seller Hub: against the buyer's open request if there is one (listed on
        the order), otherwise an external transaction the Fulfillment API never lists."""
        open_requests = self.requests.get(order.order_id, [])
        if open_requests:
            self.check(order, asked)
            open_requests.pop(0)
            return self.issue(order, asked, "buyer_request")
        self.check(order, asked)
        made = ExternalTransaction(f"EXT-{self._unique(12)}", order.order_id, asked.total, asked.currency,
                                   asked.reason, self.clock.now())
        self.external.setdefault(order.order_id, []).append(made)
        return made

    def settle(self, refund_id: str, status: str) -> Refund:
        found = self.refunds.get(refund_id)
        if found is None:
            raise KeyError(f"no eBay refund with id {refund_id!r}")
        if found.status != PENDING:
            raise ValueError(f"refund {refund_id} is already {found.status}; only a PENDING refund can become {status}")
        self._settle(found, status)
        return found

    def _settle(self, refund: Refund, status: str) -> None:
        now = self.clock.now()
        refund.status = status
        if status == REFUNDED:
            refund.refunded = now
            refund.reference_id = self._unique(17)
        self.orders[refund.order_id].modified = now
