"""`make bench`: what a simulator call and a synced refund cost, as ratios measured in one run.

1. Per-request cost of a simulator call (an order GET on the first registered storefront that
   refunds by line: auth, rate limiting, routing, model, JSON) against a bare ``httpx.MockTransport``
   handler returning the same JSON bytes, both through a reused ``httpx.Client``; also the same
   simulator call through the World's host router.
2. Serve mode: the same order GET to the simulator served on loopback by uvicorn, against a bare
   uvicorn endpoint returning the same bytes (bench/serve.py).
3. End to end: refunds synced to NetSuite per second by the connector's scheduled run, and the HTTP
   calls each refund costs (from the simulators' request journals); and the same workload driven
   through the connector seam against the shipped engine called directly (the seam's overhead).
4. Per scenario (bench/scenario.py): a World set up and closed, a new ledger opened and closed, an order
   synced, a SuiteQL request, TBA signing and checking, each as a multiple of a bare request.
5. At scale (bench/scale.py): soak cost per refund late against early in one long soak, calls per refund
   for each platform and direction, the share of NetSuite's concurrency limit kept busy, 4 connector
   workers on one ledger against 1, peak memory.
6. One scenario with the connector as its own process, through the connector protocol, against the same
   connector in process (bench/protocol.py).
Timings interleave the contenders and take the median of several rounds to damp noise. The end-to-end
figure is each run's cost per refund over a bare request timed right beside it, in wall time and in CPU time.
Last, a table puts every figure beside the one recorded for the nearest ancestor commit, and the run's figures
are appended to bench/history.jsonl (bench/history.py).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench import takes_no_options
from bench.history import code_state, report

ROUNDS = 5
REQUESTS = 2000
REFUNDS = 60
BARE_REQUESTS = 500


def _per_request(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        client.get(url, headers=headers).json()
    return (time.perf_counter() - start) / n


def _timed_bare(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) per bare request, over ``n`` of them."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        client.get(url, headers=headers).json()
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


def _storefront():
    from harness.platforms import platforms

    return next(p for p in platforms() if p.capabilities.line_items and "to_netsuite" in p.capabilities.directions)


def bench_simulator_call() -> dict[str, float]:
    from harness.scenario import ScenarioWorld

    with tempfile.TemporaryDirectory() as tmp:
        world = ScenarioWorld(seed=7, workdir=Path(tmp))
        account = world.connect(_storefront())
        order = world.place_order(account)
        account.driver.lift_rate_limits()  # measure the request path, not throttling
        sim = account.driver.simulator
        request = account.driver.order_request(order.placed)
        url, headers = str(request.url), dict(request.headers)
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


def _bare_client(world, account) -> tuple[httpx.Client, str, dict[str, str]]:
    """A bare ``httpx.MockTransport`` client answering the storefront's own order JSON, with its URL and headers."""
    sim = account.driver.simulator
    request = account.driver.order_request(world.place_order(account).placed)
    url, headers = str(request.url), dict(request.headers)
    body = httpx.Client(transport=httpx.MockTransport(sim.handle)).get(url, headers=headers).content
    sim.journal.clear()
    return httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"}))), url, headers


def _end_to_end_round(seed: int, *, through_seam: bool) -> tuple[float, float, float, float]:
    """Of one scheduled run over REFUNDS refunds: (refunds synced per second, HTTP calls per refund, the run's
    wall time over a bare request's, its CPU time over a bare request's). The bare requests are timed right
    before and right after the run (the mean of both), so the load the run saw is the load they saw; CPU time
    (of this process, every thread) moves far less with other load on the machine than wall time."""
    from harness.storefronts import StorefrontRefundRequest
    from harness.scenario import ScenarioWorld
    from harness.world import SCHEDULE

    with tempfile.TemporaryDirectory() as tmp:
        world = ScenarioWorld(seed=seed, workdir=Path(tmp))
        try:
            account = world.connect(_storefront())
            account.driver.lift_rate_limits()
            bare, url, headers = _bare_client(world, account)
            world.connector.activate_order_sync(account.id)
            orders = []
            for _ in range(REFUNDS):
                order = world.place_order(account, quantity_first=2)
                world.sync(order)
                world.bill(order)
                orders.append(order)
            world.connector.enable_refund_sync(account.id, "to_netsuite")
            for order in orders:
                world.storefront_refund(order, StorefrontRefundRequest(lines=((1, 1),)))
            journals = (world.netsuite.journal, account.driver.simulator.journal)
            before = sum(len(j) for j in journals)
            world.clock.advance(SCHEDULE)
            bare_before = _timed_bare(bare, url, headers, BARE_REQUESTS)
            start, cpu = time.perf_counter(), time.process_time()
            if through_seam:
                world.connector.run_scheduled()
                posted = sum(r.status == "posted" for r in world.connector.refunds(account.id))
            else:   # the foundation's direct wiring: the engine itself, no seam in between
                engine = world.connector.engine
                engine.run_scheduled()
                posted = sum(r.status.value == "posted" for r in engine.refunds(account_id=int(account.id)))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            bare_after = _timed_bare(bare, url, headers, BARE_REQUESTS)
            if posted != REFUNDS:
                raise SystemExit(f"bench: expected {REFUNDS} refunds posted, the run posted {posted}")
            bare_wall, bare_cpu = ((b + a) / 2 for b, a in zip(bare_before, bare_after))
            return (posted / elapsed, (sum(len(j) for j in journals) - before) / posted,
                    elapsed / posted / bare_wall, cpu / posted / bare_cpu)
        finally:
            world.close()


def bench_end_to_end() -> dict[str, float]:
    seam_rates, direct_rates, calls, wall_ratios, cpu_ratios = [], [], [], [], []
    for round_no in range(ROUNDS):   # interleaved, so machine noise hits both alike
        rate, per_refund, wall_ratio, cpu_ratio = _end_to_end_round(100 + round_no, through_seam=True)
        seam_rates.append(rate)
        calls.append(per_refund)
        wall_ratios.append(wall_ratio)
        cpu_ratios.append(cpu_ratio)
        direct_rates.append(_end_to_end_round(100 + round_no, through_seam=False)[0])
    return {"refunds_per_second": statistics.median(seam_rates), "calls_per_refund": statistics.median(calls),
            "direct_refunds_per_second": statistics.median(direct_rates),
            "refund_per_bare_request": statistics.median(wall_ratios),
            "refund_per_bare_request_cpu": statistics.median(cpu_ratios)}


def main(argv: list[str] | None = None) -> None:
    takes_no_options("python -m bench", __doc__, argv)
    state = code_state()   # the code measured is the code as the run starts
    figures: dict[str, float] = {}
    call = bench_simulator_call()
    print("Simulator call vs bare httpx.MockTransport (same JSON, reused client, median of "
          f"{ROUNDS} rounds x {REQUESTS} requests)")
    figures["simulator call / bare request"] = call["simulator"] / call["bare"]
    figures["via World router / bare request"] = call["routed"] / call["bare"]
    print(f"  simulator / bare          : {figures['simulator call / bare request']:.2f}x")
    print(f"  via World router / bare   : {figures['via World router / bare request']:.2f}x")
    print(f"  (bare request {call['bare'] * 1e6:.0f} us on this machine, for scale only)")
    from bench.serve import REQUESTS as SERVED_REQUESTS, ROUNDS as SERVED_ROUNDS, bench_served_call

    served = bench_served_call(_per_request, _storefront())
    print("Served simulator vs bare uvicorn endpoint on loopback (same JSON, reused client, median of "
          f"{SERVED_ROUNDS} rounds x {SERVED_REQUESTS} requests)")
    figures["served call / bare loopback request"] = served["served"] / served["bare"]
    print(f"  served / bare             : {figures['served call / bare loopback request']:.2f}x")
    print(f"  (bare loopback request {served['bare'] * 1e6:.0f} us on this machine, for scale only)")
    e2e = bench_end_to_end()
    per_refund = 1 / e2e["refunds_per_second"]
    figures["one refund / bare request"] = e2e["refund_per_bare_request"]
    figures["one refund / bare request, CPU time"] = e2e["refund_per_bare_request_cpu"]
    figures["HTTP calls per refund"] = e2e["calls_per_refund"]
    figures["through the seam / engine directly"] = e2e["direct_refunds_per_second"] / e2e["refunds_per_second"]
    print(f"End to end, {_storefront().display_name} -> NetSuite, {REFUNDS} refunds per scheduled run "
          f"(median of {ROUNDS} runs)")
    print(f"  refunds synced per second : {e2e['refunds_per_second']:.0f}  ({per_refund * 1e3:.2f} ms a refund)")
    print(f"  HTTP calls per refund     : {e2e['calls_per_refund']:.1f}")
    print(f"  one refund costs          : {figures['one refund / bare request']:.0f}x a bare request in wall time, "
          f"{figures['one refund / bare request, CPU time']:.0f}x in CPU time")
    print(f"    (each run's time per refund over a bare request's, timed right before and after the run, "
          f"{BARE_REQUESTS} requests each, so both saw the same load; median of the {ROUNDS} runs' ratios. The CPU "
          "time is this process's, every thread: it moves least with other load on the machine)")
    print(f"  through the seam / engine called directly: {figures['through the seam / engine directly']:.2f}x the time")
    from bench.scenario import main as scenario

    figures.update(scenario())
    from bench.scale import main as scale

    figures.update(scale([]))
    from bench.protocol import main as protocol

    figures.update(protocol())
    print(report("bench", figures, state=state))


if __name__ == "__main__":
    main()
