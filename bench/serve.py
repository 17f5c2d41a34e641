"""Serve mode's cost per request: a Shopify order GET to the served simulator against a bare uvicorn
endpoint on loopback returning the same JSON bytes, both through a reused ``httpx.Client``, both
behind the same uvicorn configuration. The difference is the ASGI adapter, the control-plane check
and the simulator itself; sockets and HTTP parsing cost both sides alike."""
from __future__ import annotations

import statistics
from decimal import Decimal

import httpx

from simulators.core.orders import LineSpec, OrderSpec
from simulators.serve import ControlPlane, ServerSet, asgi_app
from simulators.shopify import ShopifySimulator

ROUNDS = 5
REQUESTS = 400


def _bare_app(body: bytes):
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def bench_served_call(per_request) -> dict[str, float]:
    """Median seconds per request of each contender, interleaved round by round."""

    simulator = ShopifySimulator(seed=7)
    simulator.settings.bucket_size = 10**9  # measure the request path, not throttling
    order = simulator.add_order(OrderSpec(lines=(LineSpec("SKU-1", "Tee", Decimal("19.99"), 2),),
                                          shipping=Decimal("5.00")))
    path = f"/admin/api/{simulator.api_version}/orders/{order['id']}.json"
    headers = {"X-Shopify-Access-Token": simulator.access_token}
    with ServerSet() as servers, httpx.Client() as client:
        served = servers.serve("shopify", asgi_app(ControlPlane(simulator).handle)).base_url
        body = client.get(served + path, headers=headers).content
        bare = servers.serve("bare", _bare_app(body)).base_url
        samples: dict[str, list[float]] = {"bare": [], "served": []}
        for _ in range(ROUNDS):
            samples["bare"].append(per_request(client, bare + path, headers, REQUESTS))
            samples["served"].append(per_request(client, served + path, headers, REQUESTS))
            simulator.journal.clear()
    return {name: statistics.median(values) for name, values in samples.items()}
