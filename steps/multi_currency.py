"""Steps for orders paid in a currency other than the shop's (features/multi_currency.feature)."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from harness import factories
from harness.expected import OrderUnderTest
from harness.scenario import ScenarioWorld
from steps.setup import exact_lines
from steps.vocabulary import given, then

# Shop-currency units per unit of the currency the customer paid: fixed, so amounts are reproducible.
# Not 1, and not a round number, so every converted amount differs from the paid one.
RATES = {("EUR", "USD"): Decimal("1.0850"), ("GBP", "USD"): Decimal("1.2710"), ("CAD", "USD"): Decimal("0.7342"),
         ("USD", "EUR"): Decimal("0.9217"), ("JPY", "USD"): Decimal("0.006712")}


def _place_in_another_currency(world: ScenarioWorld, currency: str, shop: str,
                               exact: factories.ExactOrder | None = None) -> None:
    account = world.account
    if not account.platform.capabilities.multi_currency:
        raise AssertionError(f"{account.platform.display_name} does not take orders paid in another currency")
    if (currency, shop) not in RATES:
        raise AssertionError(f"no exchange rate for {currency} at a {shop} shop; known: "
                             f"{', '.join(f'{c} at {s}' for c, s in RATES)}")
    spec = world.data.order(world.catalog, card_gateway=account.platform.card_gateway, currency=currency, exact=exact)
    spec = replace(spec, shop_currency=shop, exchange_rate=RATES[(currency, shop)])
    order = OrderUnderTest(account.driver.place_order(spec), account.id, spec)
    world.expected.placed(order)
    world.sync(order)
    world.bill(order)


TWO_CURRENCIES = "a paid order in {currency:Currency} at a shop selling in {shop:Currency}, " \
                 "synced to NetSuite and billed as a cash sale"


@given(TWO_CURRENCIES, "a paid order in EUR at a shop selling in USD, synced to NetSuite and billed as a cash sale")
def paid_order_in_another_currency(world: ScenarioWorld, currency: str, shop: str) -> None:
    """A card-paid order (two lines, tax, shipping, a discount) the customer pays in ``currency`` at a
    shop whose own currency is ``shop``; synced to NetSuite (in ``currency``) and billed."""
    _place_in_another_currency(world, currency, shop)


@given(TWO_CURRENCIES + ", with these lines:",
       "a paid order in EUR at a shop selling in USD, synced to NetSuite and billed as a cash sale, "
       "with these lines:")
@given(TWO_CURRENCIES + ", with {terms:OrderTerms} and these lines:",
       "a paid order in GBP at a shop selling in USD, synced to NetSuite and billed as a cash sale, "
       "with shipping 7.50 and tax rate 10% and these lines:")
def exact_order_in_another_currency(world: ScenarioWorld, currency: str, shop: str, datatable: list[list[str]],
                                    terms: dict[str, Decimal] | None = None) -> None:
    """An exact order (the lines table and terms of the exact-order steps: | item | quantity | unit
    price | discount |, amounts in ``currency``) the customer pays in ``currency`` at a shop selling in
    ``shop``; synced to NetSuite in ``currency`` and billed as a cash sale."""
    exact = factories.ExactOrder(exact_lines(datatable), currency=currency, **(terms or {}))
    _place_in_another_currency(world, currency, shop, exact)


@then("both sides hold the order's refunds in the currency the customer paid",
      "both sides hold the order's refunds in the currency the customer paid")
def refunds_in_the_paid_currency(world: ScenarioWorld) -> None:
    """The order was placed in two currencies; the storefront's refunds and NetSuite's are all in the
    one the customer paid, and each NetSuite refund's total is the storefront's, to the cent."""
    order = world.order
    paid, shop = order.spec.currency, order.spec.shop_currency
    assert shop and shop != paid, f"the order is not a two-currency order ({paid} at a {shop} shop)"
    assert order.placed.currency == paid, f"the storefront placed the order in {order.placed.currency}, not {paid}"
    storefront = world.driver_of(order).refunds(order.placed)
    netsuite = world.netsuite_view.side(order)
    assert storefront and netsuite, "no refund on one side"
    wrong = [(side, r.id, r.currency) for side, refunds in (("storefront", storefront), ("NetSuite", netsuite))
             for r in refunds if r.currency != paid]
    assert not wrong, f"refunds not in {paid}, the currency the customer paid: {wrong}"
    assert sorted(r.total for r in storefront) == sorted(r.total for r in netsuite), (
        f"storefront refunds {sorted(r.total for r in storefront)} {paid}, "
        f"NetSuite {sorted(r.total for r in netsuite)} {paid}")
