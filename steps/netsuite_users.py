"""What NetSuite users do to records outside the connector, which refund sync must then cope with."""
from __future__ import annotations

from harness.world import World
from steps.vocabulary import given


@given("a NetSuite user deletes the order's billing record and then its sales order",
       "a NetSuite user deletes the order's billing record and then its sales order")
def delete_order_in_netsuite(world: World) -> None:
    """The order is gone from NetSuite: its cash sale (or invoice) first, since NetSuite keeps a record
    other records were made from, then the sales order."""
    order = world.order
    if order.billed is None or order.sales_order_id is None:
        raise LookupError("the order was never synced and billed, so there is nothing to delete in NetSuite")
    billed_type, billed_id = order.billed
    world.netsuite.delete(billed_type, billed_id)
    world.netsuite.delete("salesOrder", order.sales_order_id)
    order.deleted_in_netsuite = True
