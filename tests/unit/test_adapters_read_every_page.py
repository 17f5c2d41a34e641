"""Every storefront adapter reads every page of the order listing it pages through, whatever page size
the store answers with (a real API caps ``limit``): each platform's simulator is capped at one order a
page, and the connector's own adapter must still list every order."""
from __future__ import annotations

from datetime import timedelta

import pytest

from connector.storefronts import storefront
from harness.platforms import platforms
from harness.scenario import ScenarioWorld


@pytest.mark.parametrize("platform", [entry.name for entry in platforms()])
def test_an_adapter_lists_every_order_when_each_page_holds_one(platform, tmp_path):
    world = ScenarioWorld(seed=7, workdir=tmp_path)
    try:
        account = world.connect(platform)
        since = world.clock.now() - timedelta(days=1)
        placed = {world.place_order(account).placed.order_id for _ in range(3)}
        world.clock.advance(timedelta(minutes=5))   # past every platform's "listed from two minutes on"
        world.cap_listing_pages(1)
        adapter = storefront(platform).adapter(world.http, world.connector.engine.account(account.id))
        listed = {order.id for order in adapter.orders_updated_since(since)}
        assert placed <= listed, f"{platform}: listed {sorted(listed)}, missing {sorted(placed - listed)}"
    finally:
        world.close()
