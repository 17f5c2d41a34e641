"""What NetSuite users do to records outside the connector, which refund sync must then cope with."""
from __future__ import annotations

from harness.scenario import ScenarioWorld
from steps.vocabulary import given


@given("a NetSuite user deletes the order's billing record and then its sales order",
       "a NetSuite user deletes the order's billing record and then its sales order")
def delete_order_in_netsuite(world: ScenarioWorld) -> None:
    """The order is gone from NetSuite: its cash sale (or invoice) first, since NetSuite keeps a record
    other records were made from, then the sales order."""
    order = world.order
    if order.billed is None or order.sales_order_id is None:
        raise LookupError("the order was never synced and billed, so there is nothing to delete in NetSuite")
    billed_type, billed_id = order.billed
    number = world.netsuite.record("salesOrder", order.sales_order_id).get("tranId")
    world.netsuite.delete(billed_type, billed_id)
    world.netsuite.delete("salesOrder", order.sales_order_id)
    order.deleted_sales_order_number = number
    world.expected.deleted_in_netsuite(order)


@given("a NetSuite user enters a standalone credit memo for the order's customer",
       "a NetSuite user enters a standalone credit memo for the order's customer")
def standalone_credit_memo(world: ScenarioWorld) -> None:
    """A credit memo typed in by hand for the customer of the order's sales order, in the order's
    currency, for one unit of its first item: not created from the order's invoice or cash sale, so
    refund sync from NetSuite must leave it alone."""
    order = world.order
    if order.sales_order_id is None:
        raise LookupError("the order was never synced to NetSuite, so it has no customer there")
    sales_order = world.netsuite.record("salesOrder", order.sales_order_id)
    first = sales_order["item"]["items"][0]
    world.netsuite.enter("creditMemo", {
        "entity": {"id": sales_order["entity"]["id"]}, "currency": {"id": sales_order["currency"]["id"]},
        "memo": "Goodwill credit entered by hand",
        "item": {"items": [{"item": {"id": first["item"]["id"]}, "quantity": 1, "rate": first["rate"]}]}})
