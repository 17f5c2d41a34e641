"""Shopify simulator: the REST leaky bucket on the injected clock (no sleeps)."""
from __future__ import annotations

import pytest

from common.clock import ManualClock
from simulators.shopify import ShopifySimulator
from tests.unit.storefront_helpers import shopify_client, usd_order

THROTTLED = {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> ShopifySimulator:
    return ShopifySimulator(clock=clock)


def test_every_response_carries_the_call_limit(sim):
    with shopify_client(sim) as client:
        assert [client.get("/orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] for _ in range(3)] == \
            ["1/40", "2/40", "3/40"]
        assert client.get("/orders/1.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "4/40"  # 404s count
    with shopify_client(sim, token="wrong") as stranger:
        # refused logins are not the app's calls: they show the bucket but do not fill it
        assert stranger.get("/orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "4/40"


def test_full_bucket_answers_429_with_retry_after_until_it_drains(sim, clock):
    with shopify_client(sim) as client:
        for _ in range(40):
            assert client.get("/orders.json").status_code == 200
        throttled = client.get("/orders.json")
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "2.0"
        assert throttled.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
        assert throttled.json() == THROTTLED
        clock.advance(seconds=0.4)  # 0.8 of a call leaked: still no room
        assert client.get("/orders.json").status_code == 429
        clock.advance(seconds=0.1)  # one call leaked
        ok = client.get("/orders.json")
        assert ok.status_code == 200 and ok.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
        clock.advance(seconds=20)  # 2 calls per second drain the whole bucket
        assert client.get("/orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"


def test_throttled_calls_do_nothing(sim):
    sim.settings.bucket_size = 1
    order = sim.add_order(usd_order())
    with shopify_client(sim) as client:
        client.get("/orders.json")
        response = client.post(f"/orders/{order['id']}/refunds.json", json={"refund": {"shipping": {"full_refund": True}}})
    assert response.status_code == 429
    assert sim.order(order["id"])["refunds"] == []


def test_bucket_size_and_leak_rate_are_settings(sim, clock):
    sim.settings.bucket_size = 3
    sim.settings.leak_per_second = 1.0
    with shopify_client(sim) as client:
        statuses = [client.get("/orders.json").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "3/3"
        clock.advance(seconds=1)
        assert client.get("/orders.json").status_code == 200
    sim.reset()
    assert sim.settings.bucket_size == 3  # settings configure the shop; reset keeps them
    with shopify_client(sim) as client:
        assert client.get("/orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "1/3"  # bucket emptied


def test_the_harness_own_reads_spend_nothing(sim):
    """Reads the harness makes to check a run (the observer header) leave the connector's bucket alone,
    so checking can never throttle the connector under test."""
    from simulators.core.faults import OBSERVER_HEADER

    with shopify_client(sim) as client:
        for _ in range(50):
            assert client.get("/orders.json", headers={OBSERVER_HEADER: "1"}).status_code == 200
        assert client.get("/orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
