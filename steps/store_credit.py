"""Steps of the ``store_credit_refunds`` capability (features/store_credit.feature). The storefront's
driver is a ``StoreCreditRefundsDriver`` (harness/storefronts.py): it places gift-card orders and reads
back what its refunds gave as store credit."""
from __future__ import annotations

import dataclasses

from common import money
from harness.expected import OrderUnderTest
from harness.scenario import ScenarioWorld
from harness.storefronts import StoreCreditRefundsDriver, driver_with
from steps.vocabulary import given, then


@given("the account refunds gift-card orders as store credit", "the account refunds gift-card orders as store credit")
def store_credit_on(world: ScenarioWorld) -> None:
    """The account's refund settings turn on refund_gift_cards_as_store_credit."""
    account_id = world.account.id
    setup = world.connector.account_setup(account_id)
    world.connector.change_setup(account_id, dataclasses.replace(setup, refund_gift_cards_as_store_credit=True))


def _gift_card_order(world: ScenarioWorld, *, guest: bool) -> None:
    account = world.account
    spec = world.data.order(world.catalog, card_gateway=account.platform.card_gateway)
    placed = driver_with(account.driver, StoreCreditRefundsDriver).place_gift_card_order(spec, guest=guest)
    order = OrderUnderTest(placed, account.id, spec)
    world.expected.placed(order)
    world.sync(order)
    world.bill(order)


@given("an order paid by gift card synced to NetSuite and billed",
       "an order paid by gift card synced to NetSuite and billed")
def gift_card_order(world: ScenarioWorld) -> None:
    """A customer with an account paid the whole order by gift card; synced and billed in NetSuite."""
    _gift_card_order(world, guest=False)


@given("a guest's order paid by gift card synced to NetSuite and billed",
       "a guest's order paid by gift card synced to NetSuite and billed")
def guest_gift_card_order(world: ScenarioWorld) -> None:
    """As above, checked out as a guest (no account to hold store credit)."""
    _gift_card_order(world, guest=True)


@then("the storefront gave the whole refund back as store credit", "the storefront gave the whole refund back as store credit")
def refunded_as_store_credit(world: ScenarioWorld) -> None:
    """Every cent the storefront refunded went back as store credit, none to the gift card."""
    order = world.order
    refunds = world.driver_of(order).refunds(order.placed)
    assert refunds, "the storefront has no refund for the order"
    refunded = money.total((r.total for r in refunds), order.placed.currency)
    credit = driver_with(world.driver_of(order), StoreCreditRefundsDriver).store_credit_refunded(order.placed)
    assert credit == refunded, f"{credit} {order.placed.currency} went back as store credit of {refunded} refunded"


@then("the storefront refunded nothing, leaving the refund to the operator",
      "the storefront refunded nothing, leaving the refund to the operator")
def left_to_operator(world: ScenarioWorld) -> None:
    """No refund reached the storefront: NetSuite's refund stands alone on purpose, so the totals of
    this order differ by design (recorded as a deliberate, detected mismatch, not a matched order)."""
    order = world.order
    found = world.driver_of(order).refunds(order.placed)
    assert not found, f"the storefront has {len(found)} refunds for the order; none was expected"
    world.expected.expect_mismatch()
