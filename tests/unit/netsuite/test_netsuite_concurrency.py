"""Concurrency governance of the fake NetSuite: one account-wide in-flight limit, 429 past it."""
from __future__ import annotations

import threading
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


HANG_GUARD = 30   # seconds; only a broken simulator ever waits this long (no assertion depends on time)


class HeldLatency:
    """An injected latency sleep that holds each slowed request until released, and counts requests
    held in their latency and requests answered, so a test can wait until every one is in either state."""

    def __init__(self) -> None:
        self.held = self.answered = 0
        self.released = False
        self.changed = threading.Condition()

    def __call__(self, seconds: float) -> None:
        with self.changed:
            self.held += 1
            self.changed.notify_all()
            assert self.changed.wait_for(lambda: self.released, HANG_GUARD)

    def answer(self, client: httpx.Client) -> httpx.Response:
        try:
            return client.get(ITEMS)
        finally:
            with self.changed:
                self.answered += 1
                self.changed.notify_all()

    def settled(self, requests: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.held + self.answered >= requests, HANG_GUARD)

    def release(self) -> None:
        with self.changed:
            self.released = True
            self.changed.notify_all()


def test_a_slow_request_holds_its_concurrency_slot_for_its_whole_latency(world):
    # Six requests at once, each slowed by a latency fault, against the limit of five: five hold a slot
    # through their latency, the sixth is refused at once in NetSuite's shape. (Were latency spent before
    # the request is counted, all six would wait outside the limit and none would ever be refused.)
    latency = HeldLatency()
    world.sim.faults.sleep = latency
    world.sim.faults.add(action="latency", simulator="netsuite", seconds=0.02)
    clients = [client_for(world.sim, TbaSigner(world.sim.issue_token(), world.clock)) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        try:
            pending = [pool.submit(latency.answer, client) for client in clients]
            assert latency.settled(6)
            assert (latency.held, latency.answered, world.sim.in_flight) == (5, 1, 5)
        finally:
            latency.release()
        answers = [future.result(HANG_GUARD) for future in pending]
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [429]
    assert_blocked(next(answer for answer in answers if answer.status_code == 429))
    assert world.sim.in_flight == 0
