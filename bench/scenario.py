"""`make bench` (and ``python -m bench.scenario`` alone): what each scenario pays besides its own steps, as
multiples of a bare request measured in the same run (machines are noisy; absolute times drift).

- a World set up and closed (simulators, catalog, the reference connector and its new ledger), on disk
  and in memory;
- a new ledger (synchronous NORMAL, as scenarios open it) opened, and closed, on disk and in memory (the
  tmpfs a scenario's files go to where the machine has one: harness.plugin.MEMORY_DIR);
- one order synced to NetSuite (storefront read, customer, sales order: the connector's order sync);
- one SuiteQL request from the connector's NetSuite client (signed, verified, run, paged);
- TBA signing (the connector) and checking (NetSuite) of one request.

Each is the median of ``ROUNDS`` rounds, interleaved with rounds of the bare request (a reused
``httpx.Client`` on an ``httpx.MockTransport`` answering fixed JSON bytes), so load on the machine hits
both alike.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import httpx

from common.clock import ManualClock
from connector.ledger import Ledger

ROUNDS = 5
BARE_REQUESTS = 1000
WORLDS = 8
LEDGERS = 20
ORDERS = 10
QUERIES = 100
SIGNATURES = 500


def _bare() -> Callable[[], float]:
    body = b'{"id": "1", "status": "paid", "lines": [{"sku": "SKU-1", "quantity": 2}]}'
    client = httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})))

    def one_round() -> float:
        start = time.perf_counter()
        for _ in range(BARE_REQUESTS):
            client.get("https://shop.example.test/orders/1").json()
        return (time.perf_counter() - start) / BARE_REQUESTS
    return one_round


def _platform() -> str:
    from harness.platforms import platforms

    return next(p for p in platforms() if p.capabilities.line_items and "to_netsuite" in p.capabilities.directions).name


def _world_round(folder: Path) -> float:
    from harness.scenario import ScenarioWorld

    start = time.perf_counter()
    for n in range(WORLDS):
        ScenarioWorld(seed=n, workdir=folder / f"world-{n}").close()
    return (time.perf_counter() - start) / WORLDS


def _ledger_round(folder: Path) -> tuple[float, float]:
    opened = closed = 0.0
    for n in range(LEDGERS):
        start = time.perf_counter()
        ledger = Ledger(folder / f"ledger-{n}.sqlite3", ManualClock(), synchronous="NORMAL")
        middle = time.perf_counter()
        ledger.close()
        opened, closed = opened + middle - start, closed + time.perf_counter() - middle
    return opened / LEDGERS, closed / LEDGERS


def _requests_round(folder: Path, seed: int) -> tuple[float, float]:
    """(order sync, SuiteQL request) seconds each, in one World."""
    from harness.scenario import ScenarioWorld

    world = ScenarioWorld(seed=seed, workdir=folder)
    try:
        account = world.connect(_platform())
        account.driver.lift_rate_limits()
        world.connector.activate_order_sync(account.id)
        orders = [world.place_order(account) for _ in range(ORDERS)]
        start = time.perf_counter()
        for order in orders:
            world.sync(order)
        sync = (time.perf_counter() - start) / ORDERS
        for order in orders:
            world.bill(order)
        netsuite = world.connector.engine.netsuite
        ids = [order.sales_order_id for order in orders]
        start = time.perf_counter()
        for n in range(QUERIES):
            netsuite.billed_records([ids[n % len(ids)]])
        return sync, (time.perf_counter() - start) / QUERIES
    finally:
        world.close()


def _tba_round(seed: int) -> tuple[float, float]:
    """(signing, checking) seconds a request: the connector's TbaAuth, NetSuite's TokenBasedAuth."""
    from common.seeded import IdSource
    from connector.netsuite import NetSuiteConfig, NonceSource, TbaAuth, TbaCredentials, host_for
    from simulators.netsuite.auth import TokenBasedAuth

    clock, account = ManualClock(), "1234567_SB1"
    gate = TokenBasedAuth(account, clock, IdSource(seed))
    issued = gate.issue_token(gate.create_integration())
    auth = TbaAuth(NetSuiteConfig(account, TbaCredentials(issued.consumer_key, issued.consumer_secret,
                                                           issued.token_id, issued.token_secret)),
                   clock, NonceSource(seed, 1))
    url = f"https://{host_for(account)}/services/rest/query/v1/suiteql?limit=1000&offset=0"
    requests = [httpx.Request("POST", url) for _ in range(SIGNATURES)]
    start = time.perf_counter()
    for request in requests:
        next(auth.auth_flow(request))
    sign = (time.perf_counter() - start) / SIGNATURES
    start = time.perf_counter()
    for request in requests:
        gate.verify(request)
    return sign, (time.perf_counter() - start) / SIGNATURES


def _memory_dir() -> str | None:
    import os

    from harness.plugin import MEMORY_DIR

    return str(MEMORY_DIR) if MEMORY_DIR.is_dir() and os.access(MEMORY_DIR, os.W_OK | os.X_OK) else None


def bench_scenario() -> dict[str, float]:
    bare = _bare()
    samples: dict[str, list[float]] = {name: [] for name in (
        "bare", "world", "world_memory", "ledger_open", "ledger_close", "ledger_open_memory", "ledger_close_memory",
        "order_sync", "suiteql", "sign", "check")}
    memory = _memory_dir()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(dir=memory) as in_memory:
        for round_no in range(ROUNDS):
            folder = Path(tmp) / f"round-{round_no}"
            (folder / "ledgers").mkdir(parents=True)
            samples["bare"].append(bare())
            samples["world"].append(_world_round(folder / "worlds"))
            opened, closed = _ledger_round(folder / "ledgers")
            samples["ledger_open"].append(opened)
            samples["ledger_close"].append(closed)
            (Path(in_memory) / f"round-{round_no}").mkdir()
            samples["world_memory"].append(_world_round(Path(in_memory) / f"round-{round_no}" / "worlds"))
            opened, closed = _ledger_round(Path(in_memory) / f"round-{round_no}")
            samples["ledger_open_memory"].append(opened)
            samples["ledger_close_memory"].append(closed)
            sync, query = _requests_round(folder / "requests", 500 + round_no)
            samples["order_sync"].append(sync)
            samples["suiteql"].append(query)
            sign, check = _tba_round(500 + round_no)
            samples["sign"].append(sign)
            samples["check"].append(check)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> dict[str, float]:
    """Prints the costs; returns them as figures (multiples of a bare request) for bench/history.jsonl."""
    costs = bench_scenario()
    bare = costs["bare"]
    print(f"Per-scenario costs as multiples of a bare request (median of {ROUNDS} interleaved rounds)")
    memory = _memory_dir()
    where = "in memory" if memory else "no tmpfs: on disk again"
    figures: dict[str, float] = {}
    for label, key in (("World set up and closed", "world"), (f"  the same {where}", "world_memory"),
                       ("new ledger opened (NORMAL)", "ledger_open"),
                       ("ledger closed", "ledger_close"), (f"  the same opened {where}", "ledger_open_memory"),
                       (f"  the same closed {where}", "ledger_close_memory"),
                       ("one order synced to NetSuite", "order_sync"),
                       ("one SuiteQL request", "suiteql"), ("TBA signing of a request", "sign"),
                       ("TBA check of a request", "check")):
        print(f"  {label:<30}: {costs[key] / bare:7.1f}x  ({costs[key] * 1e3:.2f} ms)")
        if memory or not key.endswith("_memory"):   # without a tmpfs the "memory" figures measure the disk
            figures[f"per scenario: {key.replace('_', ' ')} / bare request"] = costs[key] / bare
    print(f"  (bare request {bare * 1e6:.0f} us on this machine, for scale only)")
    return figures


if __name__ == "__main__":
    main()
