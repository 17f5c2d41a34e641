"""Amazon's state and refund rules, with no HTTP in sight (moto's ``models``).

Amazon's Selling Partner API cannot create a refund: the seller refunds in Seller Central, and the
refund reaches the API only as a financial event (a ``RefundEventList`` entry of the Finances API).
Rules kept here:
- a refund is itemised: each refunded order item has its own adjustment (``OrderAdjustmentItemId``)
  with charge adjustments (Principal, Tax, ShippingCharge, ShippingTax, Goodwill) as negative amounts
  and promotion adjustments (a discount given back to Amazon) as positive ones;
- never more than collected, per item and per charge (units, then shipping);
- a refund event is released to the Finances API only once a settlement report that includes it
  has been generated (``generate_settlement_report``), and is then listed under its own PostedDate;
- each selling-partner API operation has its own token bucket (rate per second, burst) on the
  injected clock.
Sellers share one host and are told apart by their LWA access token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

# Marketplaces an order may be placed in, by currency: (MarketplaceId, MarketplaceName).
MARKETPLACES = {"USD": ("ATVPDKIKX0DER", "Amazon.com"), "CAD": ("A2EUQ1WTGCTBG2", "Amazon.ca"),
                "GBP": ("A1F83G8C2ARO7P", "Amazon.co.uk"), "EUR": ("A1PA6795UKMFR9", "Amazon.de"),
                "JPY": ("A1VC38T7YXB528", "Amazon.co.jp")}
MARKETPLACE_IDS = frozenset(m for m, _ in MARKETPLACES.values())
# Gateways that stand for an Amazon Business order paid by invoice (payment terms)
INVOICE_GATEWAYS = frozenset({"manual"})
# Per-operation usage plans (requests per second, burst), from the Selling Partner API reference.
RATE_LIMITS = {"getOrders": (Decimal("0.0167"), 20), "getOrder": (Decimal("0.5"), 30),
               "getOrderItems": (Decimal("0.5"), 30), "listFinancialEvents": (Decimal("0.5"), 30),
               "listFinancialEventsByOrderId": (Decimal("0.5"), 30)}


class AmazonError(Exception):
    """A request Amazon refuses, as one entry of its ``{"errors": [...]}`` list."""

    def __init__(self, status: int, code: str, message: str, details: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def invalid(message: str, details: str = "") -> AmazonError:
    return AmazonError(400, "InvalidInput", message, details)


def not_found(message: str) -> AmazonError:
    return AmazonError(404, "NotFound", message)


@dataclass
class AmazonSettings:
    """Knobs a test may turn; they survive ``reset``."""

    settle_at_once: bool = True     # each Seller Central refund is followed by its settlement report
    rate_limits: bool = True


@dataclass(frozen=True)
class Seller:
    seller_id: str
    name: str
    access_token: str


@dataclass
class OrderItem:
    order_item_id: str
    sku: str
    title: str
    quantity: int
    item_price: Decimal          # the price of all units (Amazon's ItemPrice is per line, not per unit)
    item_tax: Decimal            # the tax the buyer paid: on the price less the promotion
    promotion_discount: Decimal
    # the tax the promotion took off: Amazon's ItemTax is the tax on ItemPrice before the promotion,
    # and PromotionDiscountTax the part of it the buyer did not pay
    promotion_discount_tax: Decimal = money.ZERO
    shipping_price: Decimal = money.ZERO
    shipping_tax: Decimal = money.ZERO
    # what refunds gave back so far: units, and per charge the money (positive)
    refunded_units: int = 0
    refunded: dict[str, Decimal] = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        return self.item_price - self.promotion_discount


@dataclass
class Order:
    amazon_order_id: str
    seller_id: str
    marketplace_id: str
    marketplace_name: str
    status: str                   # Pending | Unshipped | Shipped
    currency: str
    purchase_date: datetime
    last_update_date: datetime
    items: list[OrderItem]
    invoice: bool                 # an Amazon Business order paid by invoice
    buyer_email: str
    seller_order_id: str

    @property
    def total(self) -> Decimal:
        return sum((i.net + i.item_tax + i.shipping_price + i.shipping_tax for i in self.items), money.ZERO)


@dataclass
class ItemAdjustment:
    order_item_id: str
    sku: str
    order_adjustment_item_id: str
    quantity: int
    charges: list[tuple[str, Decimal]]        # (ChargeType, amount): negative, money back to the buyer
    promotions: list[tuple[str, Decimal]]     # (PromotionId, amount): positive, the discount given back


@dataclass
class RefundEvent:
    amazon_order_id: str
    seller_id: str
    currency: str
    marketplace_name: str
    seller_order_id: str
    posted_date: datetime
    items: list[ItemAdjustment]
    released: bool = False        # in a generated settlement report: visible to the Finances API

    @property
    def total(self) -> Decimal:
        """The money that went back to the buyer (positive)."""
        return -sum((a for item in self.items for _, a in item.charges), money.ZERO) \
            - sum((a for item in self.items for _, a in item.promotions), money.ZERO)


@dataclass(frozen=True)
class SettlementReport:
    report_id: str
    seller_id: str
    generated_at: datetime
    refunds: int


class TokenBucket:
    """Amazon's usage plan for one operation of one seller: ``burst`` tokens refilled at ``rate``/s."""

    def __init__(self, rate: Decimal, burst: int, now: datetime) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, Decimal(burst), now

    def take(self, now: datetime) -> bool:
        elapsed = Decimal(str(max((now - self.at).total_seconds(), 0)))
        self.tokens = min(Decimal(self.burst), self.tokens + elapsed * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class AmazonBackend:
    """Every seller's orders and refund events, and the rules that guard refunds."""

    def __init__(self, clock: Clock, seed: int, settings: AmazonSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.ids = IdSource(seed)
        self.sellers: dict[str, Seller] = {}          # by access token
        self.orders: dict[str, Order] = {}
        self.refunds: list[RefundEvent] = []
        self._events_of: dict[str, list[RefundEvent]] = {}   # by AmazonOrderId: an order's events without a scan
        self._unreleased: list[RefundEvent] = []              # events no settlement report has released yet
        self.reports: list[SettlementReport] = []
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    # sellers -------------------------------------------------------------------------------
    def add_seller(self, name: str) -> Seller:
        seller = Seller("A" + self._upper(13), name, "Atza|" + self.ids.token(60))
        self.sellers[seller.access_token] = seller
        return seller

    def seller_for_token(self, token: str) -> Seller | None:
        return self.sellers.get(token)

    def _upper(self, length: int) -> str:
        return "".join(c for c in self.ids.token(length * 3).upper() if c.isalnum())[:length].ljust(length, "X")

    def throttle(self, seller: Seller, operation: str) -> None:
        """Spend a token of the operation's bucket, or refuse with 429 QuotaExceeded."""
        if not self.settings.rate_limits or operation not in RATE_LIMITS:
            return
        rate, burst = RATE_LIMITS[operation]
        now = self.clock.now()
        bucket = self._buckets.setdefault((seller.seller_id, operation), TokenBucket(rate, burst, now))
        if not bucket.take(now):
            raise AmazonError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.",
                              headers={"x-amzn-RateLimit-Limit": str(rate)})

    # orders --------------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, seller: Seller) -> Order:
        priced = price_order(spec)   # ValueError naming the bad field; nothing stored yet
        if spec.currency not in MARKETPLACES:
            raise ValueError(f"no Amazon marketplace sells in {spec.currency}; "
                             f"these do: {', '.join(sorted(MARKETPLACES))}")
        marketplace_id, marketplace_name = MARKETPLACES[spec.currency]
        now = self.clock.now()
        items = [OrderItem(self.ids.digits(14), p.spec.sku, p.spec.title, p.spec.quantity, p.gross, p.tax, p.discount,
                           money.round_amount(p.gross * Decimal(p.spec.tax_rate), spec.currency) - p.tax)
                 for p in priced.lines]
        # Amazon charges shipping per item; the order's shipping rides on its first item
        items[0].shipping_price, items[0].shipping_tax = priced.shipping, priced.shipping_tax
        unique = self.ids.digits(17)
        order_id = f"{unique[:3]}-{unique[3:10]}-{unique[10:]}"
        order = Order(order_id, seller.seller_id, marketplace_id, marketplace_name,
                      "Shipped" if spec.paid else "Pending", spec.currency, now, now, items,
                      spec.gateway in INVOICE_GATEWAYS, spec.customer.email, f"SO-{self.ids.digits(6)}")
        assert order.total == priced.total, "order and priced totals must agree"
        self.orders[order_id] = order
        return order

    def order(self, seller: Seller, order_id: str) -> Order:
        found = self.orders.get(order_id)
        if found is None or found.seller_id != seller.seller_id:
            raise not_found(f"Order {order_id} was not found.")
        return found

    def list_orders(self, seller: Seller, marketplace_ids: set[str], *, field_name: str, after: datetime,
                    before: datetime | None) -> list[Order]:
        found = [o for o in self.orders.values()
                 if o.seller_id == seller.seller_id and o.marketplace_id in marketplace_ids
                 and getattr(o, field_name) >= after and (before is None or getattr(o, field_name) <= before)]
        return sorted(found, key=lambda o: (getattr(o, field_name), o.amazon_order_id))

    # refunds -------------------------------------------------------------------------------
    def refund_in_seller_central(self, order: Order, units: dict[str, int], *, shipping: bool,
                                 amount: Decimal | None = None) -> RefundEvent:
        """The seller issues a refund on the order's page: ``units`` of items (by OrderItemId), the
        shipping, and optionally the total to give back instead of what they are worth (less is taken
        off the item price; more is a Goodwill charge on the first item)."""
        if order.status == "Pending":
            raise invalid(f"Order {order.amazon_order_id} has not been charged yet; cancel it instead.")
        cur = order.currency
        by_id = {i.order_item_id: i for i in order.items}
        unknown = [item_id for item_id in units if item_id not in by_id]
        if unknown:
            raise invalid(f"Order {order.amazon_order_id} has no item {unknown[0]}.")
        adjustments: list[ItemAdjustment] = []
        for item in order.items:
            quantity = units.get(item.order_item_id, 0)
            if quantity < 0 or item.refunded_units + quantity > item.quantity:
                raise invalid(f"Item {item.sku} of order {order.amazon_order_id} has "
                              f"{item.quantity - item.refunded_units} units left to refund, not {quantity}.")
            charges: list[tuple[str, Decimal]] = []
            promotions: list[tuple[str, Decimal]] = []
            if quantity:
                done, upto = item.refunded_units, item.refunded_units + quantity
                net = _share(item.net, upto, item.quantity, cur) - _share(item.net, done, item.quantity, cur)
                promo = (_share(item.promotion_discount, upto, item.quantity, cur)
                         - _share(item.promotion_discount, done, item.quantity, cur))
                tax = _share(item.item_tax, upto, item.quantity, cur) - _share(item.item_tax, done, item.quantity, cur)
                charges += [("Principal", -(net + promo)), ("Tax", -tax)]
                if promo:
                    promotions.append((f"PLM-{item.sku}", promo))
            if shipping and item.shipping_price + item.shipping_tax:
                ship_left = item.shipping_price - item.refunded.get("ShippingCharge", money.ZERO)
                tax_left = item.shipping_tax - item.refunded.get("ShippingTax", money.ZERO)
                if ship_left or tax_left:
                    charges += [("ShippingCharge", -ship_left), ("ShippingTax", -tax_left)]
            if charges:
                adjustments.append(ItemAdjustment(item.order_item_id, item.sku, self.ids.digits(14), quantity,
                                                  charges, promotions))
        if not adjustments:
            raise invalid(f"Nothing is left to refund on order {order.amazon_order_id} for that request.")
        event = RefundEvent(order.amazon_order_id, order.seller_id, cur, order.marketplace_name,
                            order.seller_order_id, self.clock.now(), adjustments)
        if amount is not None:
            self._give_back(event, money.amount(amount, cur), order)
        for adjustment in adjustments:   # only now that every check passed
            item = by_id[adjustment.order_item_id]
            item.refunded_units += adjustment.quantity
            for kind, value in adjustment.charges:
                item.refunded[kind] = item.refunded.get(kind, money.ZERO) - value
        self.refunds.append(event)
        self._events_of.setdefault(event.amazon_order_id, []).append(event)
        self._unreleased.append(event)
        return event

    @staticmethod
    def _give_back(event: RefundEvent, amount: Decimal, order: Order) -> None:
        difference = amount - event.total
        first = event.items[0]
        if difference > 0:
            first.charges.append(("Goodwill", -difference))
            return
        for adjustment in event.items:   # less: off the item price, first item first
            for n, (kind, value) in enumerate(adjustment.charges):
                if kind == "Principal" and difference < 0:
                    take = min(-difference, -value)
                    adjustment.charges[n] = (kind, value + take)
                    difference += take
        if difference < 0:
            raise invalid(f"A refund of {amount} {order.currency} is more than taken off what these items are worth.")

    def generate_settlement_report(self, seller_id: str | None = None) -> list[SettlementReport]:
        """Amazon closes the settlement period: every refund posted so far is in a report and released."""
        made = []
        now = self.clock.now()
        for seller in self.sellers.values():
            if seller_id not in (None, seller.seller_id):
                continue
            due = [e for e in self._unreleased if e.seller_id == seller.seller_id and not e.released
                   and e.posted_date <= now]
            if not due:
                continue
            for event in due:
                event.released = True
            report = SettlementReport(self.ids.digits(11), seller.seller_id, now, len(due))
            self.reports.append(report)
            made.append(report)
        if made:
            self._unreleased = [e for e in self._unreleased if not e.released]
        return made

    def refund_events(self, seller: Seller, *, order_id: str | None = None, after: datetime | None = None,
                      before: datetime | None = None) -> list[RefundEvent]:
        """What the Finances API shows: released events only."""
        candidates = self.refunds if order_id is None else self._events_of.get(order_id, [])
        found = [e for e in candidates if e.seller_id == seller.seller_id and e.released
                 and (order_id is None or e.amazon_order_id == order_id)
                 and (after is None or e.posted_date >= after) and (before is None or e.posted_date <= before)]
        return sorted(found, key=lambda e: e.posted_date)


def _share(value: Decimal, units: int, of: int, currency: str) -> Decimal:
    """The part of ``value`` that ``units`` of ``of`` units carry, rounded once for all units so far."""
    return money.round_amount(value * Decimal(units) / Decimal(of), currency)
