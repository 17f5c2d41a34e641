"""Served NetSuite believes an outside client that signs with its own clock: serve mode's clock is the
wall clock (moved further only by /_sim/clock/advance). A request refused for its timestamp keeps
NetSuite's bare answer, and the reason goes to the Login Audit Trail (``GET /_sim/login_audit``)."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from oauthlib import oauth1

from common.clock import ManualClock, SystemClock, WallClock
from harness.serving import manifest
from harness.scenario import ScenarioWorld

RECORDS = "/services/rest/record/v1/inventoryItem"


def _signed_with_own_clock(world, base_url: str) -> httpx.Response:
    """What an outside client does: oauthlib stamps the request with this machine's time."""
    credentials = world.netsuite.credentials
    client = oauth1.Client(credentials.consumer_key, client_secret=credentials.consumer_secret,
                           resource_owner_key=credentials.token_id, resource_owner_secret=credentials.token_secret,
                           signature_method=oauth1.SIGNATURE_HMAC_SHA256, realm=world.netsuite.account_id)
    url = f"{base_url}{RECORDS}"
    _, headers, _ = client.sign(url, http_method="GET")
    return httpx.get(url, headers=headers, timeout=10)


@pytest.fixture
def world_on(tmp_path):
    made = []

    def build(clock):
        world = ScenarioWorld(seed=5, workdir=tmp_path / str(len(made)), transport="loopback", clock=clock)
        made.append(world)
        return world

    yield build
    for world in made:
        world.close()


def test_a_client_signing_with_its_own_clock_is_let_in_on_the_wall_clock(world_on):
    world = world_on(WallClock())
    answer = _signed_with_own_clock(world, world.wiring.base_url(world.netsuite))
    assert answer.status_code == 200, answer.text
    assert manifest(world, world.wiring, {})["clock"]["kind"] == "wall"


def test_on_the_manual_clock_the_refusal_is_netsuites_and_the_audit_trail_says_why(world_on):
    world = world_on(ManualClock())
    base = world.wiring.base_url(world.netsuite)
    answer = _signed_with_own_clock(world, base)
    assert answer.status_code == 401 and "INVALID_LOGIN" in answer.text   # NetSuite's own answer, nothing added
    audit = httpx.get(f"{base}/_sim/login_audit", timeout=10,
                      headers={"Authorization": f"Bearer {world.wiring.control_token}"}).json()["failures"]
    assert "s from the server time" in audit[-1]["reason"] and audit[-1]["consumer_key"]
    assert manifest(world, world.wiring, {})["clock"] == {
        "kind": "manual", "now": "2026-01-05T09:00:00Z",
        "meaning": "a simulated clock that moves only through /_sim/clock/advance; sign NetSuite requests with "
                   "its time (GET /_sim/clock)"}


def test_the_wall_clock_moves_with_time_and_with_advance():
    wall = ManualClock()
    clock = WallClock(wall)
    assert clock.now() == wall.now()
    wall.advance(seconds=10)
    assert clock.now() == wall.now()
    assert clock.advance(timedelta(minutes=90)) == wall.now() + timedelta(minutes=90) and clock.ahead == timedelta(minutes=90)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(seconds=-1)
    assert abs(WallClock().now() - SystemClock().now()) < timedelta(seconds=5)
