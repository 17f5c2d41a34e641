"""The order a storefront simulator is seeded with, independent of any platform's wire format.

The harness's factories build an ``OrderSpec``; each storefront simulator turns it into its own
order (its own line items, payments or transactions). The pricing
arithmetic lives here once, so every storefront agrees to the cent on what the customer paid.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from common import money


@dataclass(frozen=True)
class CustomerSpec:
    first_name: str = "Ada"
    last_name: str = "Lovelace"
    email: str = "ada.lovelace@example.com"
    # the billing address: a platform that sends one sends all of it (some require the zip)
    street: str = "12 Analytical Row"
    city: str = "Austin"
    state: str = "Texas"
    zip: str = "78701"
    country: str = "United States"
    country_iso2: str = "US"
    phone: str = "512-555-0142"


@dataclass(frozen=True)
class LineSpec:
    sku: str
    title: str
    price: Decimal          # unit price, exact in the order currency
    quantity: int
    discount: Decimal = Decimal(0)   # discount on the whole line (not per unit)
    tax_rate: Decimal = Decimal(0)   # e.g. Decimal("0.0825"), applied to the discounted amount


@dataclass(frozen=True)
class OrderSpec:
    currency: str = "USD"
    lines: tuple[LineSpec, ...] = ()
    shipping: Decimal = Decimal(0)
    shipping_tax_rate: Decimal = Decimal(0)
    gateway: str = "card"   # the payment gateway in the platform's own name; "manual" is payment on terms
    customer: CustomerSpec = field(default_factory=CustomerSpec)
    paid: bool = True       # False: placed but not paid yet (payment pending / not captured)
    # Split tender: paid with two card payments, this much by the first and the rest by the second,
    # where a platform takes several payments for one order. None: one payment of the total.
    split_tender: Decimal | None = None
    note: str = ""
    # A multi-currency order: the customer pays in ``currency`` (the presentment currency; every amount
    # above is in it) at a shop whose own currency is ``shop_currency``. ``exchange_rate`` is shop units
    # per unit of ``currency``. None: the shop sells in the order's currency.
    shop_currency: str | None = None
    exchange_rate: Decimal | None = None


@dataclass(frozen=True)
class PricedLine:
    spec: LineSpec
    gross: Decimal          # price * quantity
    discount: Decimal
    net: Decimal            # gross - discount: what the refundable subtotal of the line is
    tax: Decimal            # tax on net, rounded half up once per line


@dataclass(frozen=True)
class PricedOrder:
    spec: OrderSpec
    lines: tuple[PricedLine, ...]
    shipping: Decimal
    shipping_tax: Decimal

    @property
    def currency(self) -> str:
        return self.spec.currency

    @property
    def line_items_total(self) -> Decimal:
        return sum((line.gross for line in self.lines), money.ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), money.ZERO)

    @property
    def subtotal(self) -> Decimal:
        """Line items after discounts, before shipping and tax (a storefront's "subtotal")."""
        return sum((line.net for line in self.lines), money.ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), money.ZERO) + self.shipping_tax

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.tax_total


def price_order(spec: OrderSpec) -> PricedOrder:
    """Check a spec and compute every amount on it; raise ``ValueError`` naming the bad field."""
    currency = spec.currency
    money.exponent(currency)  # unknown currency -> MoneyError (a ValueError) naming it
    if not spec.lines:
        raise ValueError("an order needs at least one line")
    priced = []
    for index, line in enumerate(spec.lines):
        where = f"lines[{index}] ({line.sku})"
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
            raise ValueError(f"{where}: quantity must be a positive integer, not {line.quantity!r}")
        price = _exact(line.price, currency, f"{where}.price")
        discount = _exact(line.discount, currency, f"{where}.discount")
        gross = price * line.quantity
        if discount > gross:
            raise ValueError(f"{where}: discount {discount} is more than the line's {gross}")
        rate = _rate(line.tax_rate, f"{where}.tax_rate")
        net = gross - discount
        priced.append(PricedLine(line, gross, discount, net, money.round_amount(net * rate, currency)))
    if (spec.shop_currency is None) != (spec.exchange_rate is None):
        raise ValueError("shop_currency and exchange_rate go together: give both or neither")
    if spec.shop_currency is not None:
        money.exponent(spec.shop_currency)
        if not Decimal(spec.exchange_rate).is_finite() or Decimal(spec.exchange_rate) <= 0:
            raise ValueError(f"exchange_rate must be a positive number, not {spec.exchange_rate}")
    shipping = _exact(spec.shipping, currency, "shipping")
    shipping_rate = _rate(spec.shipping_tax_rate, "shipping_tax_rate")
    return PricedOrder(spec, tuple(priced), shipping, money.round_amount(shipping * shipping_rate, currency))


def _exact(value: Decimal, currency: str, field_name: str) -> Decimal:
    try:
        result = money.amount(value, currency)
    except money.MoneyError as exc:
        raise ValueError(f"{field_name}: {exc}") from None
    if result < 0:
        raise ValueError(f"{field_name} must not be negative, not {value}")
    return result


def _rate(value: Decimal, field_name: str) -> Decimal:
    try:
        rate = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise ValueError(f"{field_name}: {value!r} is not a rate") from None
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise ValueError(f"{field_name} must be a fraction in [0, 1) such as 0.0825, not {value}")
    return rate
