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
               shipping: bool = True, discount: bool = True, same_item: bool = False) -> OrderSpec:
    """An order over ``lines`` distinct catalog items with tax, shipping and a discount (with
    ``same_item``, one item on every line: the same SKU twice, as a split line or a gift would be)."""
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

    def order(self, catalog: list[CatalogItem], **plan: Any) -> OrderSpec:
        with self._drawing():
            return plan_order(catalog, **plan)


def random_state_for(seed: int) -> Any:
    return random.Random(seed).getstate()
