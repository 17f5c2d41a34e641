"""Realistic, replayable test data: factory-boy factories fed by faker.

factory-boy and Faker draw from one process-wide random source. A ``DataSource`` owns its own state
of that source and swaps it in only while it draws, so each World's customers, items and orders are
a function of its seed alone, however many Worlds are alive and in whatever order they draw.
"""
from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator
from decimal import Decimal

import factory
import factory.fuzzy
import factory.random

from common import money
from simulators.core.orders import CustomerSpec, LineSpec, OrderSpec


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    price: Decimal  # in the catalog's base currency (USD); other currencies are converted by plan


class CatalogItemFactory(factory.Factory):
    class Meta:
        model = CatalogItem

    sku = "SKU-1001"  # DataSource.catalog numbers them; a class-level sequence would be shared state
    name = factory.Faker("catch_phrase")
    price = factory.fuzzy.FuzzyDecimal(4.99, 149.99, precision=2)


class CustomerFactory(factory.Factory):
    class Meta:
        model = CustomerSpec

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(
        lambda c: f"{c.first_name}.{c.last_name}@example.com".lower().replace(" ", "")
    )


# Rough, fixed conversion from the catalog's USD prices; only the shape of amounts matters here.
_PER_USD = {"USD": Decimal(1), "EUR": Decimal("0.92"), "GBP": Decimal("0.79"),
            "CAD": Decimal("1.36"), "JPY": Decimal("151")}


def price_in(item: CatalogItem, currency: str) -> Decimal:
    try:
        rate = _PER_USD[currency]
    except KeyError:
        raise money.MoneyError(f"the catalog has no price list for {currency}") from None
    return money.round_amount(item.price * rate, currency)


TAX_RATES = (Decimal("0.0625"), Decimal("0.08"), Decimal("0.0875"), Decimal("0.10"))


# "manual" stands for payment terms, paid against an invoice (NetSuite bills it as an invoice); a card
# payment, captured at checkout through the platform's own gateway, bills as a cash sale.
TERMS_GATEWAY = "manual"


def plan_order(catalog: list[CatalogItem], *, card_gateway: str, currency: str = "USD", lines: int = 2,
               quantity_first: int | None = None, on_terms: bool = False,
               shipping: bool = True, discount: bool = True, same_item: bool = False, paid: bool = True,
               split_tender: Decimal | None = None) -> OrderSpec:
    """An order over ``lines`` distinct catalog items with tax, shipping and a discount (with
    ``same_item``, one item on every line: the same SKU twice, as a split line or a gift would be;
    ``paid=False``: placed, its payment still pending; ``split_tender``: paid that much by a first card
    and the rest by a second)."""
    if lines < 1 or lines > len(catalog):
        raise ValueError(f"an order needs 1..{len(catalog)} lines, not {lines}")
    rng = factory.random.randgen
    chosen = rng.sample(catalog, 1) * lines if same_item else rng.sample(catalog, lines)
    tax_rate = rng.choice(TAX_RATES)
    specs = []
    for index, item in enumerate(chosen):
        quantity = quantity_first if (index == 0 and quantity_first) else rng.randint(1, 3)
        unit = price_in(item, currency)
        # a modest discount on the first line exercises discount allocation on refunds
        line_discount = (money.round_amount(unit * quantity * Decimal("0.10"), currency)
                         if discount and index == 0 else money.amount(0, currency))
        specs.append(LineSpec(sku=item.sku, title=item.name, price=unit, quantity=quantity,
                              discount=line_discount, tax_rate=tax_rate))
    ship = (money.round_amount(Decimal(rng.choice(("4.99", "7.50", "9.95"))) * _PER_USD[currency], currency)
            if shipping else money.amount(0, currency))
    return OrderSpec(currency=currency, lines=tuple(specs), shipping=ship,
                     shipping_tax_rate=tax_rate if shipping else Decimal(0),
                     gateway=TERMS_GATEWAY if on_terms else card_gateway,
                     customer=CustomerFactory(), paid=paid, split_tender=split_tender)


@dataclass(frozen=True)
class ExactLine:
    """One line of an order QA writes down: a catalog item, a quantity and, if given, a unit price."""

    item: str                       # a catalog SKU ("SKU-1003") or item number ("3": the third item)
    quantity: int
    price: Decimal | None = None    # None: the catalog's price in the order's currency
    discount: Decimal = Decimal(0)  # money off the whole line, besides its share of an order discount


@dataclass(frozen=True)
class ExactOrder:
    """An order exactly as a QA case states it (``plan_order`` draws one instead)."""

    lines: tuple[ExactLine, ...]
    currency: str = "USD"
    tax_rate: Decimal = Decimal(0)      # on every line and on the shipping
    shipping: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)      # on the whole order, spread over the lines by their value
    on_terms: bool = False


def catalog_item(catalog: list[CatalogItem], ref: str) -> CatalogItem:
    """A catalog item by SKU or by its number in the catalog (1-based)."""
    ref = ref.strip()
    if ref.isdigit() and 1 <= int(ref) <= len(catalog):
        return catalog[int(ref) - 1]
    for item in catalog:
        if item.sku.lower() == ref.lower():
            return item
    raise ValueError(f"no catalog item {ref!r}: use an item number 1..{len(catalog)} or a SKU "
                     f"({', '.join(item.sku for item in catalog)})")


def exact_order(catalog: list[CatalogItem], exact: ExactOrder, *, card_gateway: str) -> OrderSpec:
    if not exact.lines:
        raise ValueError("an exact order needs at least one line")
    cur = exact.currency
    items = [catalog_item(catalog, line.item) for line in exact.lines]
    prices = [money.amount(line.price, cur) if line.price is not None else price_in(item, cur)
              for line, item in zip(exact.lines, items)]
    line_discounts = [money.amount(line.discount, cur) for line in exact.lines]
    for number, (line, price, off) in enumerate(zip(exact.lines, prices, line_discounts), start=1):
        if off < 0 or off > price * line.quantity:
            raise ValueError(f"line {number} ({line.item}) has a discount of {off} {cur}: it must be between 0 "
                             f"and the line's {price * line.quantity} {cur}")
    # an order discount is spread over what the lines cost after their own discounts
    grosses = [price * line.quantity - off for price, line, off in zip(prices, exact.lines, line_discounts)]
    discount = money.amount(exact.discount, cur)
    if discount > sum(grosses, Decimal(0)):
        raise ValueError(f"an order discount of {discount} {cur} is more than the lines' {sum(grosses)} {cur}")
    shares = money.allocate(discount, grosses, cur)
    specs = tuple(LineSpec(sku=item.sku, title=item.name, price=price, quantity=line.quantity,
                           discount=off + share, tax_rate=exact.tax_rate)
                  for line, item, price, off, share in zip(exact.lines, items, prices, line_discounts, shares))
    shipping = money.amount(exact.shipping, cur)
    return OrderSpec(currency=cur, lines=specs, shipping=shipping,
                     shipping_tax_rate=exact.tax_rate if shipping else Decimal(0),
                     gateway=TERMS_GATEWAY if exact.on_terms else card_gateway,
                     customer=CustomerFactory(), paid=True)


class DataSource:
    """One World's seeded stream of test data."""

    _swap = threading.Lock()  # the shared source is swapped, so one draw at a time per process

    def __init__(self, seed: int) -> None:
        self._state = random_state_for(seed)

    @contextmanager
    def _drawing(self) -> Iterator[None]:
        with self._swap:
            outer = factory.random.get_random_state()
            factory.random.set_random_state(self._state)
            try:
                yield
            finally:
                self._state = factory.random.get_random_state()
                factory.random.set_random_state(outer)

    def catalog(self, size: int) -> list[CatalogItem]:
        with self._drawing():
            return [CatalogItemFactory.build(sku=f"SKU-{1001 + n}") for n in range(size)]

    def order(self, catalog: list[CatalogItem], *, exact: ExactOrder | None = None, **plan: Any) -> OrderSpec:
        """A drawn order (``plan_order``), or the ``exact`` one QA wrote down (only its customer drawn)."""
        with self._drawing():
            if exact is not None:
                return exact_order(catalog, exact, card_gateway=plan["card_gateway"])
            return plan_order(catalog, **plan)


def random_state_for(seed: int) -> Any:
    return random.Random(seed).getstate()
