"""Tenants never see each other's data: a store's credentials read only its own orders, on every
platform (several sellers may share one API host), and one NetSuite account's token does not open
another account."""
from __future__ import annotations

from pathlib import Path

import pytest

from common.clock import ManualClock
from harness.platforms import platforms
from harness.world import World
from simulators.netsuite import NetSuiteSimulator
from tests.unit.netsuite.helpers import ACCOUNT, RECORDS, TbaSigner, client_for


@pytest.mark.parametrize("platform", platforms(), ids=lambda p: p.name)
def test_a_stores_credentials_never_read_another_stores_order(platform, tmp_path: Path) -> None:
    world = World(seed=3, workdir=tmp_path)
    try:
        first, second = world.connect(platform), world.connect(platform)
        order = world.place_order(first)
        own = world.http.send(first.driver.order_request(order.placed))
        assert own.status_code == 200, own.text[:300]
        # the second store asks its own API, with its own credentials, for the first store's order
        foreign = world.http.send(second.driver.order_request(order.placed))
        assert foreign.status_code in (401, 403, 404), (foreign.status_code, foreign.text[:300])
        assert all(line.sku not in foreign.text for line in order.placed.lines), foreign.text[:300]
    finally:
        world.close()


def test_one_netsuite_accounts_token_does_not_open_another_account() -> None:
    clock = ManualClock()
    ours = NetSuiteSimulator(account_id=ACCOUNT, clock=clock, seed=1)
    theirs = NetSuiteSimulator(account_id="7654321", clock=clock, seed=2)
    theirs.add_inventory_item("SKU-THEIRS", "Their widget", "10.00")
    response = client_for(theirs, TbaSigner(ours.credentials, clock)).get(f"{RECORDS}/inventoryItem")
    assert response.status_code == 401
    assert "SKU-THEIRS" not in response.text
    assert theirs.login_failures()
