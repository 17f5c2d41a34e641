"""`make bench`: what a simulator call and a synced refund cost, as ratios measured in one run.

1. Per-request cost of a simulator call (a Shopify order GET: auth, leaky bucket, routing, model,
   JSON) against a bare ``httpx.MockTransport`` handler returning the same JSON bytes, both through
   a reused ``httpx.Client``; also the same simulator call through the World's respx host router.
2. Serve mode: the same Shopify order GET to the simulator served on loopback by uvicorn, against a
   bare uvicorn endpoint returning the same bytes (bench/serve.py).
3. End to end: refunds synced to NetSuite per second by the connector's scheduled run, and the HTTP
   calls each refund costs (from the simulators' request journals).
Timings interleave the contenders and take the median of several rounds to damp noise.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

ROUNDS = 5
REQUESTS = 2000
REFUNDS = 60


def _per_request(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        client.get(url, headers=headers).json()
    return (time.perf_counter() - start) / n


def bench_simulator_call() -> dict[str, float]:
    from harness.world import World

    with tempfile.TemporaryDirectory() as tmp:
        world = World(seed=7, workdir=Path(tmp))
        shopify = world.drivers["shopify"]
        order = world.place_order(world.connect("shopify"))
        sim = shopify.simulator
        sim.settings.bucket_size = 10**9  # measure the request path, not throttling
        url = f"https://{sim.shop_domain}/admin/api/{sim.api_version}/orders/{order.placed.order_id}.json"
        headers = {"X-Shopify-Access-Token": sim.access_token}
        body = httpx.Client(transport=httpx.MockTransport(sim.handle)).get(url, headers=headers).content
        bare = httpx.Client(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})))
        direct = httpx.Client(transport=httpx.MockTransport(sim.handle))
        routed = world.http
        samples: dict[str, list[float]] = {"bare": [], "simulator": [], "routed": []}
        for _ in range(ROUNDS):
            samples["bare"].append(_per_request(bare, url, headers, REQUESTS))
            samples["simulator"].append(_per_request(direct, url, headers, REQUESTS))
            samples["routed"].append(_per_request(routed, url, headers, REQUESTS))
            sim.journal.clear()
        world.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_end_to_end() -> dict[str, float]:
    from harness.storefronts import StorefrontRefundRequest
    from harness.world import World
    from connector import Direction

    rates, calls = [], []
    for round_no in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            world = World(seed=100 + round_no, workdir=Path(tmp))
            account = world.connect("shopify")
            world.drivers["shopify"].simulator.settings.bucket_size = 10**9
            world.connector.activate_order_sync(account.id)
            orders = []
            for _ in range(REFUNDS):
                order = world.place_order(account, quantity_first=2)
                world.sync(order)
                world.bill(order)
                orders.append(order)
            world.connector.enable_refund_sync(account.id, Direction.TO_NETSUITE)
            for order in orders:
                world.storefront_refund(order, StorefrontRefundRequest(lines=((1, 1),)))
            journals = (world.netsuite.journal, world.drivers["shopify"].simulator.journal)
            before = sum(len(j) for j in journals)
            start = time.perf_counter()
            summary = world.run_schedule()
            elapsed = time.perf_counter() - start
            made = sum(len(j) for j in journals) - before
            posted = summary.posted
            if posted != REFUNDS:
                raise SystemExit(f"bench: expected {REFUNDS} refunds posted, the run posted {posted}")
            rates.append(posted / elapsed)
            calls.append(made / posted)
            world.close()
    return {"refunds_per_second": statistics.median(rates), "calls_per_refund": statistics.median(calls)}


def main() -> None:
    call = bench_simulator_call()
    print("Simulator call vs bare httpx.MockTransport (same JSON, reused client, median of "
          f"{ROUNDS} rounds x {REQUESTS} requests)")
    print(f"  simulator / bare          : {call['simulator'] / call['bare']:.2f}x")
    print(f"  via World router / bare   : {call['routed'] / call['bare']:.2f}x")
    print(f"  (bare request {call['bare'] * 1e6:.0f} us on this machine, for scale only)")
    from bench.serve import REQUESTS as SERVED_REQUESTS, ROUNDS as SERVED_ROUNDS, bench_served_call

    served = bench_served_call(_per_request)
    print("Served simulator vs bare uvicorn endpoint on loopback (same JSON, reused client, median of "
          f"{SERVED_ROUNDS} rounds x {SERVED_REQUESTS} requests)")
    print(f"  served / bare             : {served['served'] / served['bare']:.2f}x")
    print(f"  (bare loopback request {served['bare'] * 1e6:.0f} us on this machine, for scale only)")
    e2e = bench_end_to_end()
    per_refund = 1 / e2e["refunds_per_second"]
    print(f"End to end, Shopify -> NetSuite, {REFUNDS} refunds per scheduled run (median of {ROUNDS} runs)")
    print(f"  refunds synced per second : {e2e['refunds_per_second']:.0f}")
    print(f"  HTTP calls per refund     : {e2e['calls_per_refund']:.1f}")
    print(f"  one refund costs          : {per_refund / call['bare']:.0f}x a bare request")


if __name__ == "__main__":
    main()
