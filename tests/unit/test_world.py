"""The World: deterministic data, loud failure on unknown hosts and storefronts, no global patching."""
import httpx
import pytest
from harness.platforms import platforms
from harness.wiring import UnservedHost
from harness.scenario import ScenarioWorld
from harness.world import seed_for
from tests.world_setups import synced_square_store


def test_same_seed_same_world(tmp_path):
    a = ScenarioWorld(seed=42, workdir=tmp_path / "a")
    b = ScenarioWorld(seed=42, workdir=tmp_path / "b")
    try:
        assert a.catalog == b.catalog
        assert a.netsuite.credentials == b.netsuite.credentials
        order_a = a.place_order(a.connect("shopify"))
        order_b = b.place_order(b.connect("shopify"))
        assert order_a.spec == order_b.spec and order_a.placed == order_b.placed
    finally:
        a.close()
        b.close()


def test_scenario_seeds_are_stable_and_distinct():
    assert seed_for(1, "scenario A") == seed_for(1, "scenario A")
    assert seed_for(1, "scenario A") != seed_for(1, "scenario B")
    assert seed_for(1, "scenario A") != seed_for(2, "scenario A")


def test_a_request_to_an_unknown_host_fails_loudly(tmp_path):
    world = ScenarioWorld(seed=1, workdir=tmp_path)
    try:
        with pytest.raises(UnservedHost, match="no simulator of this World serves api.example.com"):
            world.http.get("https://api.example.com/anything")
    finally:
        world.close()


def test_the_world_patches_nothing_globally(tmp_path):
    world = ScenarioWorld(seed=1, workdir=tmp_path)
    try:
        seen = []
        outside = httpx.Client(transport=httpx.MockTransport(lambda r: seen.append(r.url.host) or httpx.Response(204)))
        # a client the World did not build goes where its own transport sends it, even to a simulated host
        assert outside.get(f"https://{world.netsuite.hosts[0]}/services/rest/record/v1/customer").status_code == 204
        assert seen == [world.netsuite.hosts[0]] and len(world.netsuite.journal) == 0
    finally:
        world.close()


def test_an_unknown_storefront_is_refused_by_name(tmp_path):
    world = ScenarioWorld(seed=1, workdir=tmp_path)
    try:
        known = ", ".join(p.display_name for p in platforms())
        with pytest.raises(ValueError, match=f"unknown storefront 'no-such-cart'; this harness knows {known}"):
            world.connect("no-such-cart")
    finally:
        world.close()


def test_a_stalled_worker_holds_its_write_and_sends_nothing_after_it_is_let_go(tmp_path):
    world = ScenarioWorld(seed=3, workdir=tmp_path)
    create = world.netsuite.fault_targets["create refund"]
    try:
        account, order = synced_square_store(world)
        world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)
        world.stall_a_worker("netsuite", create, "create a NetSuite refund")
        assert world.requests_to("netsuite", create) == 0
        (held,) = world.connector.refunds(account.id)
        assert held.status == "retrieved"
    finally:
        world.close()   # lets the held request go, as a connection error: it never reaches NetSuite
    assert world.requests_to("netsuite", create) == 0


def test_a_worker_that_finishes_without_the_request_it_should_stall_at_is_reported(tmp_path):
    world = ScenarioWorld(seed=3, workdir=tmp_path)
    try:
        synced_square_store(world)   # no refund: the run sends no refund to NetSuite
        with pytest.raises(AssertionError, match="finished its scheduled run without sending a request to "
                                                 "create a NetSuite refund"):
            world.stall_a_worker("netsuite", world.netsuite.fault_targets["create refund"], "create a NetSuite refund")
    finally:
        world.close()


def test_a_host_is_served_by_one_handler_only(tmp_path):
    world = ScenarioWorld(seed=1, workdir=tmp_path)
    try:
        with pytest.raises(ValueError, match=f"host {world.netsuite.hosts[0]} is served twice in one World"):
            world.router.serve([world.netsuite.hosts[0]], world.netsuite.handle)
    finally:
        world.close()
