"""Steps of the ``exchanges`` capability (features/exchanges.feature).

An exchange is a return plus a new sale. The connector's documentation: if the exchange produces a
refund and refund sync is on, that refund syncs; the return records of the exchange do not. A
storefront that declares the capability settles an exchange with a refund that carries the returned
lines at their value but gives back in money only the balance in the customer's favour (none for an
even exchange), so the amount the scenario expects is that balance, not what the lines are worth.

The storefront's driver is an ``ExchangesDriver`` (harness/storefronts.py): its ``exchange`` makes the
exchange in the admin at the storefront's own value of the returned units (which may split a line's
cents otherwise than an even share) and keeps the return visible in its API where the platform shows
returns, so a connector that wrongly synced returns could.
"""
from __future__ import annotations

from decimal import Decimal

from common import money
from harness.scenario import ScenarioWorld
from harness.storefronts import ExchangesDriver, driver_with
from steps.vocabulary import then, when


def _exchange(world: ScenarioWorld, number: int, units: int, less: Decimal) -> None:
    order = world.order
    driver = driver_with(world.driver_of(order), ExchangesDriver)
    quote = world.expected.quote(order, lines=((number, units),))
    less = money.amount(less, order.placed.currency)
    assert 0 <= less < quote.worth, f"the returned units are worth {quote.worth}; an exchange {less} cheaper is not one"
    made = driver.exchange(order.placed, ((number, units),), less)
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
