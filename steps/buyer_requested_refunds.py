"""Steps for ``@buyer_requested_refunds``: a marketplace lists a seller refund only when the buyer
asked for it first; an unrequested one is an external transaction the connector cannot retrieve.

The storefront's driver is a ``BuyerRequestedRefundsDriver`` (harness/storefronts.py): its ``refund``
of an amount is the buyer asking, then the seller refunding (listed by the API, the generic refund
every other scenario uses); ``refund_without_request`` refunds with no request (not listed), and
``unlisted_refunds`` reads from the simulator's control plane what went back outside the listed
refunds, so a scenario proves the refund really happened.
"""
from __future__ import annotations

from decimal import Decimal

from harness.scenario import ScenarioWorld
from harness.storefronts import BuyerRequestedRefundsDriver, StorefrontRefundRequest, driver_with
from steps.vocabulary import then, when


@when("the buyer asks for a refund and the merchant refunds {amount:Amount} in the storefront",
      "the buyer asks for a refund and the merchant refunds 12.35 in the storefront")
def requested_refund(world: ScenarioWorld, amount: Decimal) -> None:
    """The buyer requests a refund from their account, then the merchant refunds the amount."""
    world.storefront_refund(world.order, StorefrontRefundRequest(amount=amount))


@when("the merchant refunds {amount:Amount} in the storefront without a buyer request",
      "the merchant refunds 12.35 in the storefront without a buyer request")
def unrequested_refund(world: ScenarioWorld, amount: Decimal) -> None:
    """The merchant refunds though the buyer asked for nothing (an external transaction)."""
    driver_with(world.driver_of(world.order), BuyerRequestedRefundsDriver).refund_without_request(world.order.placed,
                                                                                                  amount)


@then("the storefront's API lists no refund of the order, though {amount:Amount} went back to the buyer",
      "the storefront's API lists no refund of the order, though 12.35 went back to the buyer")
def unlisted(world: ScenarioWorld, amount: Decimal) -> None:
    """The API shows no refund of the order, yet the control plane shows the money did go back."""
    driver = world.driver_of(world.order)
    listed = driver.refunds(world.order.placed)
    assert listed == [], f"the storefront's API lists refunds it should not: {listed}"
    unlisted = driver_with(driver, BuyerRequestedRefundsDriver).unlisted_refunds(world.order.placed)
    assert unlisted == [amount], f"the unrequested refund was not made: {unlisted} went back outside the listed refunds"
