"""Steps of features/cash_payments.feature: an order paid in cash, and the NetSuite payment method it carries.

The storefront's driver is a ``CashPaymentsDriver`` (harness/storefronts.py): it names the gateway of cash
taken at a point of sale, the key a merchant maps to a NetSuite payment method.
"""
from __future__ import annotations

import dataclasses

from harness.scenario import ScenarioWorld
from harness.storefronts import CashPaymentsDriver, driver_with
from steps.vocabulary import given, then

CASH_PAYMENT_METHOD = "Cash"


def _cash_gateway(world: ScenarioWorld) -> str:
    return driver_with(world.account.driver, CashPaymentsDriver).cash_gateway


@given("the merchant maps cash payments to a NetSuite payment method of their own",
       "the merchant maps cash payments to a NetSuite payment method of their own")
def map_cash_payments(world: ScenarioWorld) -> None:
    """A NetSuite payment method for cash, besides the card's, mapped from the storefront's cash gateway."""
    method_id = world.netsuite.add_payment_method(CASH_PAYMENT_METHOD)
    setup = world.connector.account_setup(world.account.id)
    world.connector.change_setup(world.account.id, dataclasses.replace(
        setup, payment_method_map={**setup.payment_method_map, _cash_gateway(world): method_id}))


@given("a test order paid in cash", "a test order paid in cash")
def cash_paid_test_order(world: ScenarioWorld) -> None:
    """An order paid in full in cash at the point of sale, placed but not synced."""
    world.place_order(world.account, gateway=_cash_gateway(world))


@then("NetSuite billed the order as a cash sale paid with the payment method mapped to cash",
      "NetSuite billed the order as a cash sale paid with the payment method mapped to cash")
def billed_with_cash_method(world: ScenarioWorld) -> None:
    """The order's sales order carries the payment method the account maps the cash gateway to, so NetSuite
    billed it as a cash sale: not the card's method, and not none (which bills a paid order as an invoice)."""
    order = world.order
    mapped = world.connector.account_setup(world.account.id).payment_method_map
    cash_method = mapped[_cash_gateway(world)]
    assert order.sales_order_id, "the order was never synced to NetSuite: it has no sales order"
    carried = (world.netsuite.record("salesOrder", order.sales_order_id).get("paymentMethod") or {}).get("id")
    names = {method_id: f"the method mapped to {gateway!r}" for gateway, method_id in mapped.items()}
    assert carried == cash_method, (
        f"the sales order of an order paid in cash carries "
        f"{names.get(carried, f'payment method {carried}') if carried else 'no payment method'}, not the "
        f"one the merchant mapped to cash ({CASH_PAYMENT_METHOD}, id {cash_method})")
    billed_type = order.billed[0] if order.billed else None
    assert billed_type == "cashSale", f"NetSuite billed the order paid in cash as {billed_type}, not as a cash sale"
