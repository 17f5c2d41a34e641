"""Steps for ``@buyer_requested_refunds``: a marketplace lists a seller refund only when the buyer
asked for it first; an unrequested one is an external transaction the connector cannot retrieve.

The storefront's driver is a ``BuyerRequestedRefundsDriver`` (harness/storefronts.py): its ``refund``
of an amount is the buyer asking, then the seller refunding (listed by the API, the generic refund
every other scenario uses); ``refund_returned_lines`` is the buyer returning items of some lines, then
the seller refunding an amount for each of them in one refund (which the API lists per line item);
``refund_without_request`` refunds with no request (not listed), and ``unlisted_refunds`` reads from
the simulator's control plane what went back outside the listed refunds, so a scenario proves the
refund really happened.
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


@when("the buyer returns items of two lines and the merchant refunds {first_amount:Amount} for line {first:d} "
      "and {second_amount:Amount} for line {second:d} in one refund in the storefront",
      "the buyer returns items of two lines and the merchant refunds 5.00 for line 1 and 7.35 for line 2 "
      "in one refund in the storefront")
def returned_lines_refund(world: ScenarioWorld, first: int, second: int, first_amount: Decimal,
                          second_amount: Decimal) -> None:
    """The buyer returns items of two lines; the merchant refunds an amount for each line in one refund
    (listed per line item: the refund's amount is the sum of its lines' parts)."""
    order = world.order
    made = driver_with(world.driver_of(order), BuyerRequestedRefundsDriver).refund_returned_lines(
        order.placed, {first: first_amount, second: second_amount})
    world.expected.refunded_in_storefront(order, made, asked=first_amount + second_amount, adjusted=True)


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
