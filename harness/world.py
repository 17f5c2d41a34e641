"""A World: the simulators and a connector under test, wired through injected httpx transports.

Every outbound request of the connector (and of a simulator's webhook sender) goes through one host
router (``harness.wiring.HostRouter``) that dispatches by host to the simulator that owns it. Nothing
is patched globally and nothing leaves the process: a request to a host nobody owns fails loudly. Storefront simulators are
started from the platform registry when a scenario first connects a store of that platform, and the
connector is driven only through the seam (``harness.seam``). A World wires and owns these things and
closes them; what a scenario does in it is ``harness.scenario.ScenarioWorld``.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from common.clock import ManualClock
from harness.connectors.load import load_factory
from harness import factories, seam
from harness.platforms import Platform, PlatformRuntime, SimulatorContext, platforms
from harness.wiring import HostRouter, Loopback, wiring_for
from harness.workers import StalledWorker
from simulators.core.faults import FaultPlane
from simulators.netsuite import NetSuiteSimulator

NETSUITE_ACCOUNT = "1234567_SB1"
WEBHOOK_HOST = "hooks.refund-connector.test"
SCHEDULE = timedelta(minutes=90)


def seed_for(base_seed: int, name: str) -> int:
    """A stable per-scenario seed: same base seed and scenario name, same data."""
    return (base_seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31)


@dataclass(frozen=True)
class WebhookAnswer:
    """One request that reached the connector's webhook address, and the answer it got."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]   # the request's
    body: bytes                            # the request's
    status: int
    text: str


class World:
    def __init__(self, seed: int, workdir: Path, connector_factory: seam.ConnectorFactory | None = None,
                 connector_name: str = seam.REFERENCE, transport: str | Loopback = "inprocess",
                 clock: ManualClock | None = None) -> None:
        self.seed = seed
        workdir.mkdir(parents=True, exist_ok=True)
        # the clock every simulator and the connector read; a ManualClock (or WallClock) can be advanced
        self.clock = clock or ManualClock()
        self.data = factories.DataSource(seed)
        self.faults = FaultPlane(seed)  # one rule list for every simulator of this World (docs/faults.md)
        self.max_page_size: int | None = None  # every simulator's listings, those started later too
        self.netsuite = NetSuiteSimulator(account_id=NETSUITE_ACCOUNT, clock=self.clock, seed=seed)
        self.router = HostRouter()
        # "loopback" serves every simulator on a socket of its own (harness/wiring.py)
        self.wiring = wiring_for(transport, self.router)
        # a ready Loopback is one World's own servers: a sibling World serves its own on loopback too
        self._transport_name = transport if isinstance(transport, str) else "loopback"
        self.hosts: dict[str, str] = {}   # loopback only: real hostname -> base URL serving it
        self.http = self.wiring.http
        self._route(self.netsuite)
        self._runtimes: dict[str, PlatformRuntime] = {}
        self._simulator_context = SimulatorContext(clock=self.clock, seed=seed, http=self.http, serve=self._route)
        if connector_factory is None:
            connector_factory = load_factory(connector_name)
        if getattr(connector_factory, "needs_loopback", False) and self._transport_name != "loopback":
            raise ValueError(f"the connector {connector_name} runs in its own process and reaches the simulators "
                             "over loopback sockets: run with --transport loopback")
        (connector_dir := workdir / "connector").mkdir(exist_ok=True)
        self._connector_factory, self._connector_name = connector_factory, connector_name
        self._connector_context = seam.ConnectorContext(
            http=self.http, clock=self.clock, workdir=connector_dir, seed=seed,
            netsuite=self._netsuite_access(), webhook_base_url=f"https://{WEBHOOK_HOST}",
            base_urls={"netsuite": f"https://{self.netsuite.hosts[0]}"}, hosts=self.hosts)
        # every request to the webhook address and its answer, for the steps that check the answer the
        # platform would act on (2xx taken, 4xx refused, 5xx retried)
        self.webhook_answers: list[WebhookAnswer] = []
        self.connector: seam.ConnectorUnderTest = self._build_connector()
        # webhooks reach whichever connector is running now, also after a restart
        self.router.serve([WEBHOOK_HOST], self._deliver_webhook)
        self.wiring.serve_handler("connector-webhooks", [WEBHOOK_HOST], self._deliver_webhook)
        self.catalog = self.data.catalog(6)
        self.item_ids = {item.sku: self.netsuite.add_inventory_item(item.sku, item.name, item.price)
                         for item in self.catalog}
        self.refund_item_id = self.netsuite.add_other_charge_item("Refund Adjustment")
        self.shipping_item_id = self.netsuite.add_other_charge_item("Shipping")
        self.card_payment_method_id = self.netsuite.add_payment_method("Storefront card payments")
        self.stalled_workers: list[StalledWorker] = []   # let go when the World closes

    def _build_connector(self) -> seam.ConnectorUnderTest:
        connector = seam.check_connector(self._connector_factory(self._connector_context), self._connector_name)
        # a connector in its own process may receive webhooks itself: storefronts reach its hostnames
        for host, base_url in getattr(connector, "served_hosts", {}).items():
            self.wiring.route_elsewhere(host, base_url, observe=self._keep_webhook_answer)
        return connector

    def _deliver_webhook(self, request):
        answer = self.connector.handle_webhook(request)
        answer.read()
        self._keep_webhook_answer(request, answer)
        return answer

    def _keep_webhook_answer(self, request: httpx.Request, answer: httpx.Response) -> None:
        self.webhook_answers.append(WebhookAnswer(request.method, str(request.url), tuple(request.headers.items()),
                                                  request.read(), answer.status_code, answer.text))

    def restart_connector(self) -> None:
        """The connector process stops and starts again over the same work directory."""
        self.connector.close()
        self.connector = self._build_connector()

    def another_worker(self) -> seam.ConnectorUnderTest:
        """Another worker of the connector: a second instance on the same work directory, as a second
        process would be. It shares nothing with ``self.connector`` but the ledger; the caller closes it."""
        return self._build_connector()

    def connector_sending_through(self, http: httpx.Client) -> seam.ConnectorUnderTest:
        """Another worker of the connector whose every request goes through ``http`` instead of the World's
        client (a stalled worker's, ``harness.workers``)."""
        context = replace(self._connector_context, http=http)
        if isinstance(self.wiring, Loopback):
            # a connector in its own process sends with a client of its own, not ``http``: its hosts map
            # points it at a loopback proxy that sends every request it gets through ``http``
            name = f"stalled-worker-{len(self.stalled_workers) + 1}"
            self.wiring.serve_handler(name, [], lambda request: http.send(request))
            context = replace(context, hosts=dict.fromkeys(self.hosts, self.wiring.servers[name].base_url))
        return seam.check_connector(self._connector_factory(context), self._connector_name)

    def sibling(self, seed: int, workdir: Path) -> "World":
        """A fresh World of this kind with the same connector under test and transport as this one."""
        return type(self)(seed=seed, workdir=workdir, connector_factory=self._connector_factory,
                          connector_name=self._connector_name, transport=self._transport_name)

    def cap_listing_pages(self, size: int | None) -> None:
        """Every listing of every simulator of this World (NetSuite's and each storefront's, those not
        started yet too) answers at most ``size`` records a page, paged as its platform pages."""
        for simulator in self.simulators().values():
            simulator.set_max_page_size(size)
        self.max_page_size = size

    def _route(self, simulator: Any) -> None:
        simulator.use_faults(self.faults)
        simulator.set_max_page_size(self.max_page_size)
        self.router.serve(simulator.hosts, simulator.handle)
        self.wiring.serve_simulator(simulator)
        if isinstance(self.wiring, Loopback):
            self.hosts.update(dict.fromkeys(simulator.hosts, self.wiring.base_url(simulator)))

    def _netsuite_access(self) -> seam.NetSuiteAccess:
        c = self.netsuite.credentials
        return seam.NetSuiteAccess(account_id=NETSUITE_ACCOUNT, base_url=f"https://{self.netsuite.hosts[0]}",
                                   consumer_key=c.consumer_key, consumer_secret=c.consumer_secret,
                                   token_id=c.token_id, token_secret=c.token_secret)

    def runtime(self, platform: Platform) -> PlatformRuntime:
        """The platform's simulators in this World, started the first time they are asked for."""
        runtime = self._runtimes.get(platform.name)
        if runtime is None:
            runtime = self._runtimes[platform.name] = platform.start(self._simulator_context)
        return runtime

    def simulators(self) -> dict[str, Any]:
        """Every simulator started so far, by system: ``netsuite``, then ``<platform>`` or
        ``<platform>-<n>`` for a platform's further simulators (each shop of its own)."""
        found: dict[str, Any] = {"netsuite": self.netsuite}
        for name, runtime in self._runtimes.items():
            for number, simulator in enumerate(runtime.simulators(), start=1):
                found[name if number == 1 else f"{name}-{number}"] = simulator
        return found

    def start_storefronts(self) -> None:
        """Start every registered platform's simulator now (serve mode serves them all), rather than
        when a scenario first connects a store of it."""
        for entry in platforms():
            self.runtime(entry).store(1)

    def close(self) -> None:
        try:
            for worker in self.stalled_workers:
                worker.close()
        finally:
            self.connector.close()
        self.wiring.close()
