"""Every currency a platform declares for its test orders can be placed, synced and billed.

Regression: eBay declared AUD, which neither the catalog nor the NetSuite account prices, so the first
AUD order a property drew crashed the World (found by tests/property/test_refund_state_machine.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.platforms import platforms
from harness.scenario import ScenarioWorld


@pytest.mark.parametrize("platform", [p.name for p in platforms()])
def test_every_declared_currency_places_syncs_and_bills(tmp_path: Path, platform: str) -> None:
    world = ScenarioWorld(seed=7, workdir=tmp_path)
    try:
        account = world.connect(platform)
        world.connector.activate_order_sync(account.id)
        for currency in account.platform.currencies:
            order = world.place_order(account, currency=currency)
            world.sync(order)
            assert world.bill(order), currency
            assert order.placed.currency == currency
    finally:
        world.close()
