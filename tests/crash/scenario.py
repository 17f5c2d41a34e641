"""One crash scenario: served simulators (a World on loopback sockets), the shipped connector as a
real process (``python -m connector``), a run of passes across both directions, SIGKILL at a named
crash point, restarts, and the proof read from the simulators: each refund exactly once on each side,
totals matching per order to the cent.

Time: the simulators run on the World's ManualClock; each connector process gets a stepped clock
starting at the World's "now" (``clock.start``), because NetSuite refuses TBA timestamps more than
5 minutes off its own time. The test moves the World's clock between processes, never sleeps.

Accounts: Shopify refunds by line, to NetSuite (three refunds over two orders); Square, amount-only
and asynchronous (a pushed refund is PENDING until read again), from NetSuite (two refunds).
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Sequence

from connector.netsuite import external_id
from harness.reconcile import OrderEvidence, reconcile
from harness.expected import OrderUnderTest
from harness.scenario import ScenarioWorld
from harness.world import NETSUITE_ACCOUNT

REPO = Path(__file__).resolve().parents[2]
CRASH_ENV = "REFUND_CONNECTOR_CRASH_AT"
SCHEDULE = timedelta(minutes=90)
MAX_QUIET_RUNS = 6   # restarts after the scripted runs, until a pass finds nothing left to do


@dataclass
class Run:
    returncode: int
    passes: list[dict]
    stderr: str
    crash_at: str | None

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def quiet(self) -> bool:
        return bool(self.passes) and all(
            p["orders_synced"] == p["retrieved"] == p["posted"] == p["errors"] == p["pending"] == 0 and not p["messages"]
            for p in self.passes)


@dataclass
class CrashScenario:
    tmp: Path
    crash_at: str | None = None          # "name" or "name#n"; armed on every run until one dies
    command: Sequence[str] = (sys.executable, "-m", "connector")
    # refunds the connector posts to NetSuite at once (its default when None: all three at once here)
    netsuite_concurrency: int | None = None
    runs: list[Run] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.world = ScenarioWorld(seed=7, workdir=self.tmp / "world", transport="loopback")
        self.shop = self.world.connect("shopify")    # drivers for the test's own orders and refunds;
        self.square = self.world.connect("square")   # the in-process connector of the World stays idle
        self.to_orders: list[OrderUnderTest] = []
        self.from_orders: list[OrderUnderTest] = []
        self.netsuite_refunds_made: dict[str, int] = {}   # order id -> refunds a NetSuite user made

    def close(self) -> None:
        self.world.close()

    # --- the connector process ---------------------------------------------------------------
    def config(self) -> dict:
        world = self.world
        hosts = {host: world.wiring.base_url(simulator)
                 for simulator in world.simulators().values() for host in simulator.hosts}
        c = world.netsuite.credentials

        def account(name: str, handle, direction: str) -> dict:
            setup = world.default_setup(handle.platform)
            return {"name": name, "platform": handle.platform.name, "store": handle.driver.account_store(),
                    "credentials": handle.driver.account_credentials(), "direction": direction,
                    "settings": {"generic_refund_item_id": setup.generic_refund_item_id,
                                 "shipping_item_id": setup.shipping_item_id,
                                 "payment_method_map": dict(setup.payment_method_map)}}

        return {"ledger": str(self.tmp / "ledger.sqlite"),
                "netsuite": {"account_id": NETSUITE_ACCOUNT, "consumer_key": c.consumer_key,
                             "consumer_secret": c.consumer_secret, "token_id": c.token_id,
                             "token_secret": c.token_secret,
                             **({"concurrency_limit": self.netsuite_concurrency} if self.netsuite_concurrency else {})},
                "accounts": [account("Shopify to NetSuite", self.shop, "to_netsuite"),
                             account("Square from NetSuite", self.square, "from_netsuite")],
                "hosts": hosts, "clock": {"start": self.world.clock.now().isoformat(), "step_seconds": 0},
                "seed": 7}

    def run(self) -> Run:
        """One connector process, one pass at the World's current time."""
        path = self.tmp / "connector.json"
        path.write_text(json.dumps(self.config()))
        armed = self.crash_at if self.crash_at and not any(r.killed for r in self.runs) else None
        env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", **({CRASH_ENV: armed} if armed else {})}
        done = subprocess.run([*self.command, "--config", str(path)], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)
        passes = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        run = Run(done.returncode, passes, done.stderr, armed)
        self.runs.append(run)
        assert run.killed or done.returncode == 0, f"connector exited {done.returncode}: {done.stderr[-3000:]}"
        return run

    # --- the story ---------------------------------------------------------------------------
    def play(self) -> None:
        world = self.world
        while self.run().killed:                     # accounts in, order sync on (its cut-off is now):
            pass                                     # restarted at once, before any order is placed
        world.clock.advance(minutes=5)
        self.to_orders = [world.place_order(self.shop, lines=2, quantity_first=2) for _ in range(2)]
        self.from_orders = [world.place_order(self.square, lines=2) for _ in range(2)]
        world.clock.advance(minutes=5)
        self.run()                                   # the orders become sales orders
        for _ in range(MAX_QUIET_RUNS):              # a NetSuite user bills each one once it is there
            if self.bill_orders():
                break
            world.clock.advance(minutes=5)
            self.run()
        # storefront refunds, to NetSuite: a line, then the rest of that order, and a whole order
        world.refund_at_storefront(self.to_orders[0], lines=((1, 1),))
        rest = self.to_orders[0].spec.lines[1].quantity
        world.refund_at_storefront(self.to_orders[0], lines=((1, 1), (2, rest)), shipping=True)
        world.refund_at_storefront(self.to_orders[1], whole_order=True)
        # NetSuite refunds, from NetSuite: one line, and a whole order
        world.refund_in_netsuite(self.from_orders[0], lines=((1, 1),))
        world.refund_in_netsuite(self.from_orders[1], whole=True)
        for order in self.from_orders:
            self.netsuite_refunds_made[order.placed.order_id] = 1
        for _ in range(2):                           # refund sync on, everything posted; then settled
            world.clock.advance(SCHEDULE)
            self.run()
        for _ in range(MAX_QUIET_RUNS):              # restarts until a pass has nothing left to do
            world.clock.advance(SCHEDULE)
            if self.run().quiet and (not self.crash_at or self.killed_once):
                break

    @property
    def killed_once(self) -> bool:
        return any(run.killed for run in self.runs)

    def bill_orders(self) -> bool:
        """A NetSuite user bills each order the connector synced (found by its externalId, not via the
        ledger) and not billed yet. True once every order is billed."""
        by_external_id = {record.get("externalId"): record["id"] for record in self.world.netsuite.records("salesOrder")}
        for order in self.to_orders + self.from_orders:
            handle = self.shop if order in self.to_orders else self.square
            ext = external_id(handle.platform.name, handle.driver.account_store(), "order", order.placed.order_id)
            if order.billed is None and ext in by_external_id:
                order.sales_order_id = by_external_id[ext]
                self.world.bill(order)
        return all(order.billed is not None for order in self.to_orders + self.from_orders)

    # --- the proof, from the simulators ------------------------------------------------------
    def problems(self) -> list[str]:
        found = []
        world = self.world
        sales_orders = [r.get("externalId") for r in world.netsuite.records("salesOrder")]
        doubled = sorted({ext for ext in sales_orders if ext and sales_orders.count(ext) > 1})
        if doubled:
            found.append(f"sales orders created twice: {doubled}")
        for kind in ("cashRefund", "creditMemo"):
            ids = [r.get("externalId") for r in world.netsuite.records(kind) if r.get("externalId")]
            twice = sorted({ext for ext in ids if ids.count(ext) > 1})
            if twice:
                found.append(f"NetSuite {kind} externalIds used twice: {twice}")
        for order in self.to_orders + self.from_orders:
            if order.billed is None:
                found.append(f"order {order.placed.order_id} never reached NetSuite as a sales order")
                continue
            to_netsuite = order in self.to_orders
            handle = self.shop if to_netsuite else self.square
            storefront = tuple(handle.driver.refunds(order.placed))
            netsuite = tuple(world.netsuite_view.side(order))
            made = len(order.storefront_refund_ids) if to_netsuite else self.netsuite_refunds_made[order.placed.order_id]
            for side, refunds in (("storefront", storefront), ("NetSuite", netsuite)):
                if len(refunds) != made:
                    found.append(f"order {order.placed.order_id}: {made} refund(s) made, {side} has {len(refunds)}")
            if to_netsuite:   # each storefront refund is named by the externalId of exactly one NetSuite refund
                external_ids = [record.get("externalId") or "" for _, record in world.netsuite_view.refunds_of(order)]
                for refund_id in order.storefront_refund_ids:
                    copies = sum(f"-refund-{refund_id}" in ext for ext in external_ids)
                    if copies != 1:
                        found.append(f"storefront refund {refund_id} of order {order.placed.order_id} is in "
                                     f"NetSuite {copies} times")
            result = reconcile(OrderEvidence(
                order_id=order.placed.order_id, platform=handle.platform.display_name,
                direction="to_netsuite" if to_netsuite else "from_netsuite", currency=order.placed.currency,
                line_items=handle.platform.capabilities.line_items, storefront=storefront, netsuite=netsuite,
                paid=order.placed.total, fully_refunded=order.fully_refunded, asked=tuple(order.asked.items())))
            if not result.matches:
                found.append(result.describe())
        return found

    def report(self) -> str:
        lines = [f"crash at {self.crash_at}"]
        for number, run in enumerate(self.runs):
            state = "KILLED" if run.killed else f"exit {run.returncode}"
            lines.append(f"  run {number}: {state} armed={run.crash_at} passes={run.passes}"
                         + (f"\n    stderr: {run.stderr[-800:]}" if run.stderr and not run.killed else ""))
        return "\n".join(lines)
