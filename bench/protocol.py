"""`make bench` (and ``python -m bench.protocol`` alone): what certifying a connector as its own process,
through the connector protocol (docs/connector-protocol.md), costs against the same connector in process.

One scenario-sized workload to NetSuite on the platform the Node.js example claims (without node, the
first registered platform that refunds amounts only): connect a store, order sync on, place, sync
and bill an order, refund sync on, an amount refund in the storefront, a scheduled run, reconcile
both sides; the simulators are served on loopback in every case, for:

- the reference connector in process (``harness.connectors.reference``);
- the same connector through the protocol (``python -m harness.connectors.protocol_server``);
- the Node.js example connector through the protocol (skipped, and said so, without ``node``).

Each connector process is started once and serves every round, as in a certification run; rounds
interleave the contenders and the median is reported.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from harness.connectors.load import load_factory
from harness import seam
from harness.claims import read_claim
from harness.platforms import platform as find_platform, platforms
from harness.connectors.process import ConnectorProcess
from harness.connectors.remote import remote_factory
from harness.storefronts import StorefrontRefundRequest
from harness.world import SCHEDULE, World

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 7


def one_scenario(seed: int, factory: seam.ConnectorFactory, name: str, platform: str) -> float:
    """Seconds for the workload, the World's setup included (as a scenario pays it)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        world = World(seed=seed, workdir=Path(tmp), connector_factory=factory, connector_name=name, transport="loopback")
        try:
            account = world.connect(platform)
            world.connector.activate_order_sync(account.id)
            order = world.place_order(account)
            world.sync(order)
            world.bill(order)
            world.connector.enable_refund_sync(account.id, "to_netsuite")
            world.storefront_refund(order, StorefrontRefundRequest(amount=Decimal("5.00")))
            world.clock.advance(SCHEDULE)
            world.connector.run_scheduled()
            result = world.reconcile(order)
            if not result.matches or result.netsuite_total != Decimal("5.00"):
                raise SystemExit(f"bench: {name} did not sync the refund: {result.describe()}")
        finally:
            world.close()
    return time.perf_counter() - start


def main() -> None:
    contenders: dict[str, tuple[seam.ConnectorFactory, str]] = {
        "in process (reference)": (load_factory(seam.REFERENCE), seam.REFERENCE)}
    processes = [ConnectorProcess(f"{sys.executable} -m harness.connectors.protocol_server", cwd=ROOT)]
    contenders["protocol (reference, Python)"] = (remote_factory(processes[0].url), processes[0].url)
    node = shutil.which("node")
    example = next(iter(sorted((ROOT / "examples").glob("node-*/server.js"))), None)   # the Node.js example
    node = node if example else None
    if node:
        processes.append(ConnectorProcess(f"{node} {example.relative_to(ROOT)}", cwd=ROOT))
        contenders["protocol (Node.js example)"] = (remote_factory(processes[1].url), processes[1].url)
    try:
        if node:
            platform = read_claim(contenders["protocol (Node.js example)"][0], processes[1].url).rows[0][0]
        else:
            platform = next(p.name for p in platforms()
                            if not p.capabilities.line_items and "to_netsuite" in p.capabilities.directions)
        samples: dict[str, list[float]] = {label: [] for label in contenders}
        for round_no in range(ROUNDS):
            for label, (factory, name) in contenders.items():
                samples[label].append(one_scenario(300 + round_no, factory, name, platform))
    finally:
        for process in processes:
            process.stop()
    baseline = statistics.median(samples["in process (reference)"])
    print(f"One {find_platform(platform).display_name} -> NetSuite scenario, simulators on loopback "
          f"(median of {ROUNDS} rounds)")
    for label, times in samples.items():
        median = statistics.median(times)
        print(f"  {label:<30}: {median * 1000:6.0f} ms  ({median / baseline:.2f}x in process)")
    if not node:
        print("  protocol (Node.js example)    : skipped, node is not installed")


if __name__ == "__main__":
    main()
