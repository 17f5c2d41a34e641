"""Shared test helpers over a harness World."""
from __future__ import annotations

from harness.directions import TO_NETSUITE
from harness.expected import OrderUnderTest
from harness.scenario import AccountUnderTest, ScenarioWorld


def refunded_with_webhooks_registered(world: ScenarioWorld, platform: str) -> tuple[AccountUnderTest, OrderUnderTest, str]:
    """A to-NetSuite account of ``platform`` (enabling refund sync registers its refund webhook) and an
    order of it refunded in the store, 1 unit of line 1 as an amount: (account, order, refund id)."""
    account = world.connect(platform)
    world.connector.activate_order_sync(account.id)
    for _ in range(2):   # the first is the billed order activation wants; the second is refunded
        order = world.place_order(account, quantity_first=2)
        world.sync(order)
        world.bill(order)
    world.connector.enable_refund_sync(account.id, TO_NETSUITE)
    refund = world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)
    return account, order, refund
