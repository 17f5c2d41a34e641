"""World set-ups more than one test module starts from."""
from __future__ import annotations

from harness import seam
from harness.scenario import ScenarioWorld


def synced_square_store(world: ScenarioWorld):
    """A Square account with order sync on, two orders synced and billed (the test order activation needs,
    then the order a test refunds), and refund sync on to NetSuite; returns the account and the second order."""
    account = world.connect("square")
    world.connector.activate_order_sync(account.id)
    for _ in range(2):
        order = world.place_order(account)
        world.sync(order)
        world.bill(order)
    world.connector.enable_refund_sync(account.id, seam.TO_NETSUITE)
    return account, order
