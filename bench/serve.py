"""Serve mode's cost per request: a storefront order GET to the served simulator against a bare uvicorn
endpoint on loopback returning the same JSON bytes, both through a reused ``httpx.Client``, both
behind the same uvicorn configuration. The difference is the ASGI adapter, the control-plane check
and the simulator itself; sockets and HTTP parsing cost both sides alike."""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import httpx

from simulators.serve import ControlPlane, ServerSet, asgi_app

ROUNDS = 5
REQUESTS = 400


def _bare_app(body: bytes):
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def bench_served_call(per_request, platform) -> dict[str, float]:
    """Median seconds per request of each contender, interleaved round by round."""
    from harness.scenario import ScenarioWorld

    with tempfile.TemporaryDirectory() as tmp:
        world = ScenarioWorld(seed=7, workdir=Path(tmp))
        try:
            account = world.connect(platform)
            account.driver.lift_rate_limits()  # measure the request path, not throttling
            simulator = account.driver.simulator
            request = account.driver.order_request(world.place_order(account).placed)
            path = request.url.raw_path.decode()
            headers = dict(request.headers)
            with ServerSet() as servers, httpx.Client() as client:
                served = servers.serve("simulator", asgi_app(ControlPlane(simulator).handle)).base_url
                body = client.get(served + path, headers=headers).content
                bare = servers.serve("bare", _bare_app(body)).base_url
                samples: dict[str, list[float]] = {"bare": [], "served": []}
                for _ in range(ROUNDS):
                    samples["bare"].append(per_request(client, bare + path, headers, REQUESTS))
                    samples["served"].append(per_request(client, served + path, headers, REQUESTS))
                    simulator.journal.clear()
        finally:
            world.close()
    return {name: statistics.median(values) for name, values in samples.items()}
