"""`refund-harness serve`: a seeded World whose simulators (and the connector's webhook receiver)
answer on loopback sockets until Ctrl-C or SIGTERM. See docs/serve-mode.md."""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from common.hostmap import is_loopback
from common.clock import ManualClock, WallClock, isoformat
from harness.exit_codes import ExitCode
from harness.wiring import Loopback
from harness.platforms import platforms
from harness.scenario import ScenarioWorld
from simulators.serve import CONTROL_PREFIX
from simulators.serve.guard import TOKEN_ENV

DEMO_ORDERS_PER_STOREFRONT = 2
WEBHOOK_SERVER = "connector-webhooks"


def seed_demo(world: ScenarioWorld) -> dict[str, dict[str, Any]]:
    """Per storefront: an account in the connector with order sync on, and orders placed, synced to
    NetSuite and billed, ready to refund on either side."""
    seeded = {}
    for platform in platforms():
        account = world.connect(platform)
        world.connector.activate_order_sync(account.id)
        orders = []
        for _ in range(DEMO_ORDERS_PER_STOREFRONT):
            order = world.place_order(account)
            world.sync(order)
            billed_type, billed_id = world.bill(order)
            placed = order.placed
            entry = {"order_id": placed.order_id, "currency": placed.currency, "total": str(placed.total),
                     "netsuite_sales_order_id": order.sales_order_id,
                     "billed": {"type": billed_type, "id": billed_id}}
            if placed.payment_id is not None:  # where refunds go against a payment, not an order
                entry["payment_id"] = placed.payment_id
            orders.append(entry)
        seeded[platform.name] = {"connector_account_id": account.id, "orders": orders}
    return seeded


def manifest(world: ScenarioWorld, wiring: Loopback, demo: dict[str, dict[str, Any]]) -> dict[str, Any]:
    simulators = {}
    for name, simulator in world.simulators().items():
        base_url = wiring.base_url(simulator)
        simulators[name] = {"base_url": base_url, "host": simulator.hosts[0],
                            "control_url": f"{base_url}{CONTROL_PREFIX}",
                            "credentials": simulator.client_credentials(), **demo.get(name, {})}
    kind = "wall" if isinstance(world.clock, WallClock) else "manual"
    return {"seed": world.seed, "control_token": wiring.control_token,
            "clock": {"kind": kind, "now": isoformat(world.clock.now()),
                      "meaning": ("the wall clock, plus any time advanced through /_sim/clock/advance" if kind == "wall"
                                  else "a simulated clock that moves only through /_sim/clock/advance; sign "
                                       "NetSuite requests with its time (GET /_sim/clock)")},
            "simulators": simulators,
            "connector": {"webhook_base_url": wiring.servers[WEBHOOK_SERVER].base_url}}


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Readers see no manifest or a whole one: written beside the target, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(data, indent=2))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop



def serve(*, seed: int, host: str, first_port: int, demo: bool, manifest_path: Path | None,
          clock: str = "wall") -> int:
    """``clock``: "wall" (the simulators' time is the wall clock, moved forward by any
    ``/_sim/clock/advance``: an outside client signs with its own clock and is believed) or "manual"
    (the harness's fixed start, 2026-01-05 09:00 UTC, moved only when told: a replayable run)."""
    stop = _stop_on_signals()
    if not is_loopback(host):
        print(f"refund-harness serve: warning: binding {host or 'every address'} exposes beyond this machine "
              "every simulator's API (answering the seeded credentials), the connector's webhook receiver and "
              "each /_sim control plane (guarded by its token only)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="refund-harness-serve-") as workdir:
        wiring = Loopback(host, first_port, control_token=os.environ.get(TOKEN_ENV) or None)
        try:
            world = ScenarioWorld(seed=seed, workdir=Path(workdir), transport=wiring,
                          clock=WallClock() if clock == "wall" else ManualClock())
            world.start_storefronts()
        except OSError as exc:  # a port in use, an address this machine does not have
            wiring.close()
            print(f"refund-harness serve: {exc.strerror or exc}", file=sys.stderr)
            return ExitCode.CANNOT_LISTEN
        written = False
        try:
            data = manifest(world, wiring, seed_demo(world) if demo else {})
            if manifest_path is not None:
                try:
                    write_atomically(manifest_path, data)
                except OSError as exc:
                    print(f"refund-harness serve: cannot write the manifest {manifest_path}: "
                          f"{exc.strerror or exc}", file=sys.stderr)
                    return ExitCode.USAGE
                written = True
            for name, entry in data["simulators"].items():
                print(f"{name:9} {entry['base_url']}  (control plane {entry['control_url']})")
            if manifest_path is None:   # the manifest is where a script finds it; otherwise say it here
                print(f"control token (Authorization: Bearer ...): {wiring.control_token}")
            print(f"ready: serving {len(data['simulators'])} simulators"
                  + (f"; manifest {manifest_path}" if manifest_path else "") + "; Ctrl-C or SIGTERM stops",
                  flush=True)
            stop.wait()
        finally:
            world.close()
            if written:
                manifest_path.unlink(missing_ok=True)  # a stale manifest would point at dead ports
    print("stopped", flush=True)
    return ExitCode.OK
