"""Realistic, replayable test data: factory-boy factories fed by faker.

Every World reseeds factory-boy's shared random source (which also seeds its Faker instances), so a
scenario's customers, items and orders are a function of the world's seed and can be replayed.
The factories build plain plans; the storefront drivers turn a plan into the simulator's own order.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import factory
import factory.fuzzy
import factory.random

from common import money
from simulators.core.orders import CustomerSpec, LineSpec, OrderSpec


def reseed(seed: int) -> None:
    """Make the next data drawn a pure function of ``seed`` (random source and sequences)."""
    factory.random.reseed_random(seed)
    for f in (CatalogItemFactory, CustomerFactory):
        f.reset_sequence()


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    price: Decimal  # in the catalog's base currency (USD); other currencies are converted by plan


class CatalogItemFactory(factory.Factory):
    class Meta:
        model = CatalogItem

    sku = factory.Sequence(lambda n: f"SKU-{1001 + n}")
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


# Gateways: a card payment is captured at checkout (NetSuite bills it as a cash sale); "manual"
# stands for payment terms, paid against an invoice (NetSuite bills it as an invoice).
CARD_GATEWAY = {"shopify": "shopify_payments", "square": "square"}
TERMS_GATEWAY = "manual"


def plan_order(catalog: list[CatalogItem], *, platform: str, currency: str = "USD", lines: int = 2,
               quantity_first: int | None = None, on_terms: bool = False,
               shipping: bool = True, discount: bool = True) -> OrderSpec:
    """An order over ``lines`` distinct catalog items with tax, shipping and a discount."""
    if lines < 1 or lines > len(catalog):
        raise ValueError(f"an order needs 1..{len(catalog)} lines, not {lines}")
    rng = factory.random.randgen
    chosen = rng.sample(catalog, lines)
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
                     gateway=TERMS_GATEWAY if on_terms else CARD_GATEWAY[platform],
                     customer=CustomerFactory(), paid=True)
