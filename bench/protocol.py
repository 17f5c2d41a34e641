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

``python -m bench.protocol --certification [-n N] [-k EXPR]`` (not part of ``make bench``: it takes
minutes) instead times the shipped connector's whole certification, every scenario of the matrix,
in process and through the protocol (``--connector-cmd "python -m harness.connectors.protocol_server"``),
one after the other in one run with the same seed, the simulators on loopback in both, and prints
each verdict, the wall times and their ratio.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
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
from harness.scenario import ScenarioWorld
from harness.world import SCHEDULE

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 7


def one_scenario(seed: int, factory: seam.ConnectorFactory, name: str, platform: str) -> float:
    """Seconds for the workload, the World's setup included (as a scenario pays it)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        world = ScenarioWorld(seed=seed, workdir=Path(tmp), connector_factory=factory, connector_name=name, transport="loopback")
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


def main() -> dict[str, float]:
    """Prints the comparison; returns each connector's time over in process as figures (bench/history.jsonl)."""
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
    figures: dict[str, float] = {}
    for label, times in samples.items():
        median = statistics.median(times)
        print(f"  {label:<30}: {median * 1000:6.0f} ms  ({median / baseline:.2f}x in process)")
        if label != "in process (reference)":
            figures[f"one scenario, {label} / in process"] = median / baseline
    if not node:
        print("  protocol (Node.js example)    : skipped, node is not installed")
    return figures


CERTIFICATION_SEED = 20260105


def certification(workers: str, keyword: str | None) -> None:
    """The shipped connector's certification in process against through the protocol, one run each."""
    runs = {"in process (reference)": [],
            "protocol (reference, Python)": ["--connector-cmd", f"{sys.executable} -m harness.connectors.protocol_server"]}
    results: dict[str, tuple[float, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, flags in runs.items():
            report = Path(tmp) / f"{len(results)}.json"
            command = [sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report),
                       "--seed", str(CERTIFICATION_SEED), "--transport", "loopback", "-n", workers, *flags,
                       *(["-k", keyword] if keyword else [])]
            start = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            elapsed = time.perf_counter() - start
            if not report.exists():
                raise SystemExit(f"bench: {label} wrote no report (exit {done.returncode}):\n{done.stdout[-3000:]}")
            results[label] = (elapsed, json.loads(report.read_text()))
    baseline = results["in process (reference)"][0]
    print(f"The shipped connector's certification{f' (-k {keyword!r})' if keyword else ' (the whole matrix)'}, "
          f"-n {workers}, simulators on loopback, seed {CERTIFICATION_SEED}")
    for label, (elapsed, data) in results.items():
        counts = data["scenarios"]
        rows = sum(1 for row in data["rows"] if row["verdict"] == "certified")
        print(f"  {label:<30}: {elapsed:7.1f} s  ({elapsed / baseline:.2f}x in process)  verdict {data['verdict']}, "
              f"{counts['passed']} passed, {counts['failed']} failed, {rows}/{len(data['rows'])} rows certified")
        for scenario, why in counts.get("why_failed", {}).items():   # a failure is named, never just counted
            print(f"      failed: {scenario}: {why.splitlines()[0] if why else ''}"[:300])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.protocol", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certification", action="store_true",
                        help="time the whole certification in process and through the protocol (minutes)")
    parser.add_argument("-n", dest="workers", default="2", help="pytest-xdist workers for --certification (default 2)")
    parser.add_argument("-k", dest="keyword", default=None, help="narrow --certification to these scenarios")
    args = parser.parse_args()
    if args.certification:
        certification(args.workers, args.keyword)
    else:
        main()
