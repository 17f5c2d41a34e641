"""Tenants never see each other's data: a store's credentials read only its own orders, on every
platform (several sellers may share one API host), and one NetSuite account's token does not open
another account."""
from __future__ import annotations

from pathlib import Path

import httpx

import pytest

from common.clock import ManualClock
from harness.platforms import platforms
from harness.scenario import ScenarioWorld
from simulators.netsuite import NetSuiteSimulator
from tests.unit.netsuite.helpers import ACCOUNT, RECORDS, TbaSigner, client_for


@pytest.fixture(params=platforms(), ids=lambda p: p.name)
def two_stores(request, tmp_path: Path):
    """A World with two stores of one platform (they share the World's seed), each connected."""
    world = ScenarioWorld(seed=3, workdir=tmp_path)
    try:
        yield world, world.connect(request.param), world.connect(request.param)
    finally:
        world.close()


def test_a_stores_credentials_never_read_another_stores_order(two_stores) -> None:
    world, first, second = two_stores
    order = world.place_order(first)
    own = world.http.send(first.driver.order_request(order.placed))
    assert own.status_code == 200, own.text[:300]
    # the second store asks its own API, with its own credentials, for the first store's order
    foreign = world.http.send(second.driver.order_request(order.placed))
    assert foreign.status_code in (401, 403, 404), (foreign.status_code, foreign.text[:300])
    assert all(line.sku not in foreign.text for line in order.placed.lines), foreign.text[:300]


def test_one_netsuite_accounts_token_does_not_open_another_account() -> None:
    clock = ManualClock()
    ours = NetSuiteSimulator(account_id=ACCOUNT, clock=clock, seed=1)
    theirs = NetSuiteSimulator(account_id="7654321", clock=clock, seed=2)
    theirs.add_inventory_item("SKU-THEIRS", "Their widget", "10.00")
    response = client_for(theirs, TbaSigner(ours.credentials, clock)).get(f"{RECORDS}/inventoryItem")
    assert response.status_code == 401
    assert "SKU-THEIRS" not in response.text
    assert theirs.login_failures()


def test_one_stores_credentials_are_refused_by_another_stores_api(two_stores) -> None:
    """Store A's credentials sent to store B (its host, its path, its order): refused, never B's data.
    Two stores of one World share its seed, so this also proves each store has credentials of its own."""
    world, first, second = two_stores
    theirs = world.place_order(second)
    own = world.http.send(second.driver.order_request(theirs.placed))
    assert own.status_code == 200, own.text[:300]
    with_first_credentials = first.driver.order_request(world.place_order(first).placed)
    assert with_first_credentials.url.params == httpx.QueryParams(), "credentials in the query: extend this test"
    crossed = httpx.Request(own.request.method, own.request.url,
                            headers={k: v for k, v in with_first_credentials.headers.items() if k.lower() != "host"})
    foreign = world.http.send(crossed)
    assert foreign.status_code in (401, 403, 404), (foreign.status_code, foreign.text[:300])
    assert all(line.sku not in foreign.text for line in theirs.placed.lines), foreign.text[:300]


def test_two_stores_of_one_platform_never_share_a_credential(two_stores) -> None:
    world, first, second = two_stores
    firsts, seconds = first.driver.account_credentials(), second.driver.account_credentials()
    shared = {name for name, value in firsts.items()
              if seconds.get(name) == value and name not in NOT_SECRET}
    assert not shared, f"{first.platform.name}: both stores have the same {', '.join(sorted(shared))}"


# credential fields that name a place or an app (client_id, Etsy's api_key: one app serves many shops) rather
# than prove who is asking
NOT_SECRET = {"shop", "store", "store_code", "store_hash", "location_id", "client_id", "api_key", "marketplace_id",
              "marketplace_ids", "seller_id", "shop_id", "account_id", "site", "url", "region"}
