"""Steps of features/offline_payments.feature: orders paid offline, and the route each refund took.

The storefront's driver is an ``OfflinePaymentsDriver`` (harness/storefronts.py): it names its offline
payment method (a check or money order, a bank transfer, cash on delivery) and reads back through its
API which route each refund took.
"""
from __future__ import annotations

from harness.scenario import ScenarioWorld
from harness.storefronts import OfflinePaymentsDriver, driver_with
from steps.vocabulary import given, then


@given("an order paid offline synced to NetSuite and billed as an invoice",
       "an order paid offline synced to NetSuite and billed as an invoice")
def offline_paid_order(world: ScenarioWorld) -> None:
    """An order paid with the storefront's offline payment method (no NetSuite payment method is
    mapped to it, so billing makes an invoice), synced and billed."""
    gateway = driver_with(world.account.driver, OfflinePaymentsDriver).offline_gateway
    order = world.place_order(world.account, gateway=gateway)
    world.sync(order)
    world.bill(order)


def _routes(world: ScenarioWorld) -> list[str]:
    order = world.order
    driver = world.driver_of(order)
    refunds = driver.refunds(order.placed)
    assert refunds, f"the storefront has no refund for order {order.placed.order_id}"
    routes = driver_with(driver, OfflinePaymentsDriver)
    return [routes.refund_route(order.placed, refund.id) for refund in refunds]


@then("the storefront refunded the order online, through its payment gateway",
      "the storefront refunded the order online, through its payment gateway")
def refunded_online(world: ScenarioWorld) -> None:
    """Every refund of the order went back through the gateway that captured it."""
    routes = _routes(world)
    assert routes == ["online"] * len(routes), (
        f"the storefront recorded {routes.count('offline')} of {len(routes)} refund(s) offline: the card "
        "was never refunded through its gateway")


@then("the storefront refunded the order offline", "the storefront refunded the order offline")
def refunded_offline(world: ScenarioWorld) -> None:
    """Every refund of the order was recorded offline (the order's payment was taken offline)."""
    routes = _routes(world)
    assert routes == ["offline"] * len(routes), f"refund routes {routes}; an order paid offline refunds offline"
