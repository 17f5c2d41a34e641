"""Concurrency governance of the fake NetSuite: one account-wide in-flight limit, 429 past it."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.unit.netsuite.helpers import RECORDS, TbaSigner, client_for, error_detail

ITEMS = f"{RECORDS}/inventoryItem"


def assert_blocked(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.json()["title"] == "Too Many Requests"
    assert error_detail(response) == {"detail": "Concurrent request limit exceeded. Request blocked.",
                                      "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}


def test_request_over_the_default_limit_of_five_is_blocked(world):
    assert world.sim.settings.concurrency_limit == 5
    with world.sim.concurrent_requests_elsewhere(4):
        assert world.client.get(ITEMS).status_code == 200
    with world.sim.concurrent_requests_elsewhere(5):
        assert_blocked(world.client.get(ITEMS))
    assert world.sim.in_flight == 0
    assert world.client.get(ITEMS).status_code == 200


def test_the_limit_follows_the_setting(world):
    world.sim.settings.concurrency_limit = 15
    with world.sim.concurrent_requests_elsewhere(14):
        assert world.client.get(ITEMS).status_code == 200
    with world.sim.concurrent_requests_elsewhere(15):
        assert_blocked(world.client.get(ITEMS))


def test_blocked_requests_are_journaled_and_do_not_reach_auth(world):
    with world.sim.concurrent_requests_elsewhere(5):
        client_for(world.sim, None).get(ITEMS)
    (entry,) = world.sim.journal.entries()
    assert entry.status == 429
    assert world.sim.login_failures() == []


def test_requests_waiting_behind_a_slow_one_count_as_in_flight(world):
    clients = [client_for(world.sim, TbaSigner(world.sim.issue_token(), world.clock)) for _ in range(5)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        with world.sim.stall():
            pending = [pool.submit(client.get, ITEMS) for client in clients]
            assert world.sim.wait_for_in_flight(5, timeout=30)
            assert_blocked(world.client.get(ITEMS))
        assert [future.result().status_code for future in pending] == [200] * 5
    assert world.sim.in_flight == 0
    assert world.client.get(ITEMS).status_code == 200
