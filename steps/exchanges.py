"""Steps of the ``exchanges`` capability (features/exchanges.feature).

An exchange is a return plus a new sale. The connector's documentation: if the exchange produces a
refund and refund sync is on, that refund syncs; the return records of the exchange do not. A
storefront that declares the capability settles an exchange with a refund that carries the returned
lines at their value but gives back in money only the balance in the customer's favour (none for an
even exchange), so the amount the scenario expects is that balance, not what the lines are worth.

Driver hook a platform declaring the capability provides (see harness/storefronts.py for the rest):

- ``exchange(order, lines, balance) -> str``: the merchant exchanges these (line number, quantity) of
  ``order`` for new items worth, tax included, what the storefront itself values the returned units at
  less ``balance`` (in the order's currency; the storefront's value, which may split a line's cents
  otherwise than an even share), processed at once in the admin; returns the id of the storefront refund that settles the exchange, as the
  driver's ``refunds(order)`` names it. The return itself must stay visible in the storefront's API
  (where the platform shows returns), so a connector that wrongly synced returns could.
"""
from __future__ import annotations

from decimal import Decimal

from common import money
from harness.scenario import ScenarioWorld
from steps.vocabulary import then, when


def _exchange(world: ScenarioWorld, number: int, units: int, less: Decimal) -> None:
    order = world.order
    driver = world.driver_of(order)
    hook = getattr(driver, "exchange", None)
    if hook is None:
        raise AssertionError(f"{driver.display_name} declares exchanges but its driver has no exchange hook "
                             "(see steps/exchanges.py)")
    quote = world.expected.quote(order, lines=((number, units),))
    less = money.amount(less, order.placed.currency)
    assert 0 <= less < quote.worth, f"the returned units are worth {quote.worth}; an exchange {less} cheaper is not one"
    made = hook(order.placed, ((number, units),), less)
    # what the scenario expects the storefront's refund to give back: the balance, not the lines' worth
    world.expected.refunded_in_storefront(order, made, asked=less, adjusted=True, quote=quote)


@when("the customer exchanges {units:d} unit of line {number:d} in the storefront for an item worth {less:Amount} less",
      "the customer exchanges 1 unit of line 1 in the storefront for an item worth 5.00 less")
def cheaper_exchange(world: ScenarioWorld, units: int, number: int, less: Decimal) -> None:
    """The returned units go back; the new item costs ``less`` less, tax included: that is the balance."""
    _exchange(world, number, units, less)


@when("the customer exchanges {units:d} unit of line {number:d} in the storefront for an item worth the same",
      "the customer exchanges 1 unit of line 1 in the storefront for an item worth the same")
def even_exchange(world: ScenarioWorld, units: int, number: int) -> None:
    """An even exchange: no money changes hands."""
    _exchange(world, number, units, Decimal(0))


@then("NetSuite's refund of the order is the exchange's balance of {balance:Amount}",
      "NetSuite's refund of the order is the exchange's balance of 5.00")
def balance_posted(world: ScenarioWorld, balance: Decimal) -> None:
    """Exactly one refund in NetSuite, for the balance: not the returned lines' value, nothing for the return."""
    order = world.order
    found = world.netsuite_view.side(order)
    assert len(found) == 1, f"NetSuite has {len(found)} refunds for the order; the exchange's refund only was expected"
    balance = money.amount(balance, order.placed.currency)
    assert found[0].total == balance, (f"NetSuite's refund is {found[0].total} {order.placed.currency}; the exchange "
                                       f"gave back {balance}")


@then("the storefront gave back no money for the exchange", "the storefront gave back no money for the exchange")
def no_money(world: ScenarioWorld) -> None:
    """The even exchange's refund (if the storefront makes one) gives back nothing."""
    order = world.order
    refunds = world.driver_of(order).refunds(order.placed)
    assert all(r.total == 0 for r in refunds), [(r.id, r.total) for r in refunds]
