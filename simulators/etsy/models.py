"""Etsy's state and refund rules, with no HTTP in sight (moto's ``models``).

Etsy's Open API v3 cannot create a refund: the seller refunds in the Shop Manager, and the API shows
the refund in the receipt's ``refunds[]`` (an amount, a time, a reason; no lines, no id).
Rules kept here:
- a refund is an amount; never more than the receipt's grand total less earlier refunds;
- the receipt's ``updated_timestamp`` does not move when it is refunded (Etsy's known behaviour,
  github.com/etsy/open-api issues 339, 513 and 604), so a search by ``min_last_modified`` misses
  refunded receipts;
- per app: a per-second and a per-day request budget on the injected clock.
Shops share one host and are told apart by shop id; a token belongs to one shop's owner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

# Gateways that stand for an order not paid through Etsy Payments at checkout (paid offline later)
OFFLINE_GATEWAYS = frozenset({"manual"})


class EtsyError(Exception):
    """A request Etsy refuses: ``{"error": "..."}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class EtsySettings:
    """Knobs a test may turn; they survive ``reset``."""

    per_second: int = 10
    per_day: int = 10_000
    rate_limits: bool = True


@dataclass(frozen=True)
class Shop:
    shop_id: int
    user_id: int
    name: str
    api_key: str          # the app's keystring (x-api-key)
    access_token: str     # "<user_id>.<token>" (Authorization: Bearer)


@dataclass
class Transaction:
    transaction_id: int
    listing_id: int
    sku: str
    title: str
    quantity: int
    price: Decimal        # per unit
    discount: Decimal     # the line's share of the receipt's discount (Etsy shows only the receipt's)
    tax: Decimal          # the line's tax (Etsy shows only the receipt's total tax)


@dataclass
class Refund:
    amount: Decimal
    created: datetime
    reason: str
    note_from_issuer: str
    status: str


@dataclass
class Receipt:
    receipt_id: int
    shop_id: int
    seller_user_id: int
    buyer_email: str
    name: str
    currency: str
    payment_method: str   # "cc" (Etsy Payments) or "other" (paid offline)
    is_paid: bool
    created: datetime
    updated: datetime
    transactions: list[Transaction]
    shipping: Decimal
    shipping_tax: Decimal
    refunds: list[Refund] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((t.price * t.quantity for t in self.transactions), money.ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((t.discount for t in self.transactions), money.ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((t.tax for t in self.transactions), money.ZERO) + self.shipping_tax

    @property
    def grandtotal(self) -> Decimal:
        return self.subtotal - self.discount + self.shipping + self.tax

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), money.ZERO)


class EtsyBackend:
    def __init__(self, clock: Clock, seed: int, settings: EtsySettings) -> None:
        self.clock = clock
        self.settings = settings
        self.ids = IdSource(seed, first=1_000_000_000)
        self.shops: dict[int, Shop] = {}
        self.receipts: dict[int, Receipt] = {}
        self._calls: dict[str, list[datetime]] = {}   # api key -> request times within the last day

    def add_shop(self, name: str) -> Shop:
        shop_id = 10_000_000 + self.ids.number() % 90_000_000      # 8-digit shop ids, as Etsy's are
        user_id = 100_000_000 + self.ids.number() % 900_000_000
        shop = Shop(shop_id, user_id, name, self.ids.token(24).lower(), f"{user_id}.{self.ids.token(40)}")
        self.shops[shop_id] = shop
        return shop

    def shop_for(self, api_key: str, token: str) -> Shop | None:
        """The shop whose owner holds this token, if the key is the app's."""
        return next((s for s in self.shops.values() if s.api_key == api_key and s.access_token == token), None)

    def known_key(self, api_key: str) -> bool:
        return any(s.api_key == api_key for s in self.shops.values())

    def budget(self, api_key: str, spend: bool = True) -> dict[str, str]:
        """Spend one request of the app's budgets (unless ``spend`` is off); 429 when either is spent.
        Returns the limit headers."""
        now = self.clock.now()
        calls = [t for t in self._calls.get(api_key, []) if (now - t).total_seconds() < 86_400]
        this_second = sum(1 for t in calls if (now - t).total_seconds() < 1)
        s = self.settings
        if not spend:
            return self._headers(this_second, len(calls))
        if s.rate_limits and (this_second >= s.per_second or len(calls) >= s.per_day):
            self._calls[api_key] = calls
            daily = len(calls) >= s.per_day
            retry = 86_400 - int((now - calls[0]).total_seconds()) if daily else 1
            raise EtsyError(429, "You have exceeded your quota of " + ("requests per day." if daily
                            else "requests per second."), {**self._headers(this_second, len(calls)),
                                                              "retry-after": str(max(retry, 1))})
        calls.append(now)
        self._calls[api_key] = calls
        return self._headers(this_second + 1, len(calls))

    def _headers(self, this_second: int, today: int) -> dict[str, str]:
        s = self.settings
        return {"x-limit-per-second": str(s.per_second), "x-remaining-this-second": str(max(s.per_second - this_second, 0)),
                "x-limit-per-day": str(s.per_day), "x-remaining-today": str(max(s.per_day - today, 0))}

    # receipts ------------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, shop: Shop) -> Receipt:
        priced = price_order(spec)
        now = self.clock.now()
        transactions = [Transaction(self.ids.number(), self.ids.number(), p.spec.sku, p.spec.title, p.spec.quantity,
                                    money.amount(p.spec.price, spec.currency), p.discount, p.tax) for p in priced.lines]
        offline = spec.gateway in OFFLINE_GATEWAYS
        receipt = Receipt(self.ids.number(), shop.shop_id, shop.user_id, spec.customer.email,
                          f"{spec.customer.first_name} {spec.customer.last_name}", spec.currency,
                          "other" if offline else "cc", spec.paid and not offline, now, now, transactions,
                          priced.shipping, priced.shipping_tax)
        assert receipt.grandtotal == priced.total, "receipt and priced totals must agree"
        self.receipts[receipt.receipt_id] = receipt
        return receipt

    def receipt(self, shop: Shop, receipt_id: int) -> Receipt:
        found = self.receipts.get(receipt_id)
        if found is None or found.shop_id != shop.shop_id:
            raise EtsyError(404, f"Receipt with id {receipt_id} not found.")
        return found

    def refund_in_shop_manager(self, receipt: Receipt, amount: Decimal, reason: str, note: str) -> Refund:
        amount = money.amount(amount, receipt.currency)
        if amount <= 0:
            raise EtsyError(400, "A refund must be more than zero.")
        left = receipt.grandtotal - receipt.refunded
        if amount > left:
            raise EtsyError(400, f"A refund of {amount} {receipt.currency} is more than the {left} left to refund "
                                 f"on receipt {receipt.receipt_id}.")
        refund = Refund(amount, self.clock.now(), reason, note, "Completed")
        receipt.refunds.append(refund)   # updated_timestamp deliberately unchanged (Etsy's behaviour)
        return refund
