"""Steps of @shipped_lines_only (features/shipped_lines_only.feature): storefronts that refund a line
only once it has shipped.

The storefront's driver is a ``ShippedLinesOnlyDriver`` (harness/storefronts.py): it leaves lines of
the next order unshipped and ships them later; a refund its admin refuses raises ``StorefrontRefused``,
whose message is what the merchant is told.
"""
from __future__ import annotations

from harness.scenario import ScenarioWorld
from harness.storefronts import ShippedLinesOnlyDriver, StorefrontRefused, driver_with
from steps.vocabulary import given, then, when


@given("line {line:d} of the next order is not shipped yet", "line 1 of the next order is not shipped yet")
def next_order_leaves_line_unshipped(world: ScenarioWorld, line: int) -> None:
    """The merchant has not shipped this line of the order placed next (the others ship as usual)."""
    driver_with(world.account.driver, ShippedLinesOnlyDriver).leave_unshipped((line,))


@when("the merchant ships line {line:d}", "the merchant ships line 1")
def merchant_ships_line(world: ScenarioWorld, line: int) -> None:
    """The line ships (the storefront marks it Shipped): from now on it can be refunded."""
    driver_with(world.driver_of(world.order), ShippedLinesOnlyDriver).ship(world.order.placed, line)


@when("the merchant tries to refund {units:Units} of line {line:d} in the storefront",
      "the merchant tries to refund 1 unit of line 1 in the storefront")
def merchant_tries_line_refund(world: ScenarioWorld, units: int, line: int) -> None:
    """A line refund the storefront may refuse; the refusal is kept for the next step."""
    try:
        world.refund_at_storefront(world.order, lines=((line, units),))
    except StorefrontRefused as refusal:
        world.scenario.failure = refusal


@then("the storefront refused the refund, naming line {line:d}", "the storefront refused the refund, naming line 1")
def storefront_refused(world: ScenarioWorld, line: int) -> None:
    """The admin refused the refund, saying which line and why; nothing was refunded."""
    failure = world.scenario.failure
    assert failure is not None, "the storefront made the refund; a refusal was expected"
    message = str(failure)
    assert f"line {line}" in message.lower() and "shipped" in message.lower(), (
        f"the refusal says: {world.explain_lines(message)}")
    found = world.driver_of(world.order).refunds(world.order.placed)
    assert not found, f"the storefront recorded {len(found)} refunds despite the refusal"
