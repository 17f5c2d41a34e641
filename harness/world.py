"""A World: the simulators and a connector under test, wired through injected httpx transports.

Every outbound request of the connector (and of a simulator's webhook sender) goes through one host
router (``harness.wiring.HostRouter``) that dispatches by host to the simulator that owns it. Nothing
is patched globally and nothing leaves the process: a request to a host nobody owns fails loudly. Storefront simulators are
started from the platform registry when a scenario first connects a store of that platform, and the
connector is driven only through the seam (``harness.seam``).
"""
from __future__ import annotations

import re
import threading
import urllib.parse
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import httpx

from common import jsonio, money
from common.clock import ManualClock
from harness.connectors.load import load_factory
from harness import factories, seam
from harness.platforms import Platform, PlatformRuntime, SimulatorContext, platform as find_platform, platforms
from harness.line_names import SHIPPING, LineNames
from harness.reconcile import OrderEvidence, Reconciliation, SideRefund, line_key, reconcile
from harness.storefronts import PlacedOrder, StorefrontDriver, StorefrontRefundRequest
from harness.wiring import HostRouter, Loopback, wiring_for
from harness.workers import StalledWorker
from simulators.core.faults import FaultPlane, FaultTarget
from simulators.core.orders import LineSpec, OrderSpec, price_order
from simulators.netsuite import NetSuiteError, NetSuiteSimulator

NETSUITE_ACCOUNT = "1234567_SB1"
WEBHOOK_HOST = "hooks.refund-connector.test"
SCHEDULE = timedelta(minutes=90)
REFUND_TYPES = ("cashRefund", "creditMemo")
# A NetSuite refund made the way the Refund button makes it: a transform of the billed record
# (groups: billed record type, billed record id, refund type).
REFUND_TRANSFORM = re.compile(r"/record/v1/(cashSale|invoice)/([^/]+)/!transform/(cashRefund|creditMemo)$")


# Query parameters that carry credentials on some platforms (OAuth 1.0a in the query string, keys in
# the query): the journal summary goes into reports, which must never hold a secret.
_CREDENTIAL_PARAM = re.compile(r"(secret|signature|token|key|password|oauth_|auth)", re.IGNORECASE)


def redact_query(query: str) -> str:
    """A query string with the value of every credential-like parameter replaced by ``***``."""
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        parts.append(f"{name}{sep}***" if sep and _CREDENTIAL_PARAM.search(urllib.parse.unquote(name)) else part)
    return "&".join(parts)


def seed_for(base_seed: int, name: str) -> int:
    """A stable per-scenario seed: same base seed and scenario name, same data."""
    return (base_seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31)


@dataclass
class OrderUnderTest:
    placed: PlacedOrder
    account_id: str
    spec: OrderSpec
    sales_order_id: str | None = None
    billed: tuple[str, str] | None = None  # (record type, id) once billed
    in_storefront: bool = True  # False for an order typed into NetSuite by hand
    # a NetSuite user deleted the order: its refunds cannot be posted and, once the operator cancels
    # them, are handled by hand in both systems, so the two sides are not expected to match
    deleted_in_netsuite: bool = False
    # what the merchant has refunded so far by line (line number -> units) and whether shipping
    refunded_units: dict[int, int] = field(default_factory=dict)
    shipping_refunded: bool = False
    storefront_refund_ids: list[str] = field(default_factory=list)   # refunds made in the storefront, in order
    # what the scenario asked each storefront refund it made to give back (refund id -> amount)
    asked: dict[str, Decimal] = field(default_factory=dict)
    # some refund gave back other than what the lines and shipping it refunded are worth (an amount,
    # a discrepancy); the order then is never "fully refunded" for exactly what it paid
    adjusted: bool = False
    # the scenario refunded every line and the shipping for exactly what they were worth, on either side
    fully_refunded: bool = False


class CannotRefundByLine(AssertionError):
    """A scenario refunded lines in a storefront that can only refund an amount, without saying that an
    amount is acceptable there."""


@dataclass
class AccountUnderTest:
    id: str
    platform: Platform
    driver: StorefrontDriver


@dataclass(frozen=True)
class WebhookAnswer:
    """One request that reached the connector's webhook address, and the answer it got."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]   # the request's
    body: bytes                            # the request's
    status: int
    text: str


@dataclass
class ScenarioState:
    """What steps remember between them within one scenario."""

    accounts: list[AccountUnderTest] = field(default_factory=list)
    orders: list[OrderUnderTest] = field(default_factory=list)
    batch: list[OrderUnderTest] = field(default_factory=list)   # orders a step placed together ("those orders")
    refusal: Exception | None = None
    failure: Exception | None = None
    post_refusal: Exception | None = None   # what the connector said refusing to post a refund
    expect_mismatch: bool = False
    webhook_status: int | None = None   # what the connector answered the last webhook a step sent
    webhook_answers: list[WebhookAnswer] = field(default_factory=list)   # every request to the webhook address


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
        self.scenario = ScenarioState()
        self._stalled_workers: list[StalledWorker] = []
        self._included_evidence: list[dict[str, Any]] = []

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
        # kept for the steps that check the answer the platform would act on (2xx taken, 4xx refused, 5xx retried)
        self.scenario.webhook_answers.append(WebhookAnswer(request.method, str(request.url),
                                                           tuple(request.headers.items()), request.read(),
                                                           answer.status_code, answer.text))

    def restart_connector(self) -> None:
        """The connector process stops and starts again over the same work directory."""
        self.connector.close()
        self.connector = self._build_connector()

    def another_worker(self) -> seam.ConnectorUnderTest:
        """Another worker of the connector: a second instance on the same work directory, as a second
        process would be. It shares nothing with ``self.connector`` but the ledger; the caller closes it."""
        return self._build_connector()

    def sibling(self, seed: int, workdir: Path) -> "World":
        """A fresh World with the same connector under test and transport as this one."""
        return World(seed=seed, workdir=workdir, connector_factory=self._connector_factory,
                     connector_name=self._connector_name, transport=self._transport_name)

    def include_evidence(self, evidence: dict[str, Any]) -> None:
        """Count another World's evidence (``World.evidence()``) as this scenario's own: a scenario that
        explores in Worlds of its own proves what they proved."""
        self._included_evidence.append(evidence)

    def run_schedule_in_two_workers(self) -> None:
        """Two workers of the connector (two instances on the same work directory, as two processes
        would be) run the scheduled sync at the same moment."""
        self.clock.advance(SCHEDULE)
        second = self.another_worker()
        start = threading.Barrier(2)
        failures: list[BaseException] = []

        def run(worker: seam.ConnectorUnderTest) -> None:
            try:
                start.wait(timeout=30)
                worker.run_scheduled()
            except BaseException as exc:   # reported below, in this thread
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(worker,)) for worker in (self.connector, second)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        finally:
            second.close()
        if failures:
            raise AssertionError(f"a worker's scheduled run crashed: {failures[0]!r}") from failures[0]

    def cap_listing_pages(self, size: int | None) -> None:
        """Every listing of every simulator of this World (NetSuite's and each storefront's, those not
        started yet too) answers at most ``size`` records a page, paged as its platform pages."""
        for simulator in self.simulators().values():
            simulator.set_max_page_size(size)
        self.max_page_size = size


    def stall_a_worker(self, system: str, target: FaultTarget, what: str) -> None:
        """The schedule comes due and a second worker of the connector (same work directory) starts its
        run, then stalls at its first request ``target`` covers on ``system`` (a simulator name), before
        the request arrives: to everyone else, a worker that died holding whatever it had claimed.
        ``what`` names the request in messages."""
        self.clock.advance(SCHEDULE)
        simulator = self.simulators()[system]

        def stalls_at(request: Any) -> bool:
            return (request.url.host in simulator.hosts
                    and target.covers(simulator.operation_of(request), request.method, request.url.path))

        def build(http: Any) -> seam.ConnectorUnderTest:
            context = replace(self._connector_context, http=http)
            if isinstance(self.wiring, Loopback):
                # a connector in its own process sends with a client of its own, not ``http``: its hosts map
                # points it at a loopback proxy that sends every request it gets through ``http``
                name = f"stalled-worker-{len(self._stalled_workers) + 1}"
                self.wiring.serve_handler(name, [], lambda request: http.send(request))
                context = replace(context, hosts=dict.fromkeys(self.hosts, self.wiring.servers[name].base_url))
            return seam.check_connector(self._connector_factory(context), self._connector_name)

        worker = StalledWorker(build, self.http, stalls_at, what)
        self._stalled_workers.append(worker)
        worker.start()

    def run_schedule_after(self, delay: timedelta) -> None:
        """The connector's scheduled sync runs ``delay`` after the clock's now (one worker's own timer:
        an account whose last run never finished is still due)."""
        self.clock.advance(delay)
        self.connector.run_scheduled()

    def requests_to(self, system: str, target: FaultTarget) -> int:
        """How many requests ``system`` (a simulator name) was sent that ``target`` covers, whatever it
        answered (a fault included)."""
        return sum(1 for entry in self.simulators()[system].journal.entries()
                   if entry.method != "WEBHOOK" and target.covers(entry.operation, entry.method, entry.path))

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
            self._runtime(entry).store(1)

    def close(self) -> None:
        try:
            for worker in self._stalled_workers:
                worker.close()
        finally:
            self.connector.close()
        self.wiring.close()

    # --- accounts ------------------------------------------------------------------------
    def _runtime(self, platform: Platform) -> PlatformRuntime:
        runtime = self._runtimes.get(platform.name)
        if runtime is None:
            runtime = self._runtimes[platform.name] = platform.start(self._simulator_context)
        return runtime

    def connect(self, platform: str | Platform, name: str | None = None) -> AccountUnderTest:
        """A connector account for the next store of this platform (refused by name if unknown)."""
        entry = platform if isinstance(platform, Platform) else find_platform(platform)
        number = sum(1 for a in self.scenario.accounts if a.platform.name == entry.name) + 1
        driver = self._runtime(entry).store(number)
        account_id = self.connector.add_account(
            name=name or f"{entry.display_name} store {number}", platform=entry.name,
            store=driver.account_store(), credentials=driver.account_credentials(),
            setup=self.default_setup(entry))
        handle = AccountUnderTest(account_id, entry, driver)
        self.scenario.accounts.append(handle)
        return handle

    def connect_again(self, account: AccountUnderTest) -> AccountUnderTest:
        """A second connector account on the store ``account`` connects: the same store and
        credentials (as a merchant who set the store up twice would have), a name of its own."""
        entry, driver = account.platform, account.driver
        number = sum(1 for a in self.scenario.accounts if a.driver is driver) + 1
        account_id = self.connector.add_account(
            name=f"{entry.display_name} store {driver.account_store()} (account {number})", platform=entry.name,
            store=driver.account_store(), credentials=driver.account_credentials(),
            setup=self.default_setup(entry))
        handle = AccountUnderTest(account_id, entry, driver)
        self.scenario.accounts.append(handle)
        return handle

    def default_setup(self, platform: Platform) -> seam.AccountSetup:
        """What the deployment guide has a merchant set up: the generic refund and shipping items,
        and the card gateway mapped to a NetSuite payment method (terms orders bill as invoices)."""
        return seam.AccountSetup(
            generic_refund_item_id=self.refund_item_id, shipping_item_id=self.shipping_item_id,
            payment_method_map={platform.card_gateway: self.card_payment_method_id})

    @property
    def account(self) -> AccountUnderTest:
        if not self.scenario.accounts:
            raise LookupError("no storefront is connected yet; start with 'Given a storefront connected to NetSuite'")
        return self.scenario.accounts[0]

    def account_of(self, order: OrderUnderTest) -> AccountUnderTest:
        return next(a for a in self.scenario.accounts if a.id == order.account_id)

    # --- orders --------------------------------------------------------------------------
    def place_order(self, account: AccountUnderTest, *, unknown_item: bool = False,
                    exact: factories.ExactOrder | None = None, gateway: str | None = None,
                    **plan: Any) -> OrderUnderTest:
        """A paid order in the storefront: drawn from ``plan`` (see ``factories.plan_order``), or
        ``exact`` as a QA case wrote it down; paid through ``gateway`` (the platform's own name)
        instead of its card gateway where given."""
        currency = exact.currency if exact is not None else plan.get("currency", "USD")
        if currency not in account.platform.currencies:
            raise ValueError(f"{account.platform.display_name} test orders are placed in "
                             f"{', '.join(account.platform.currencies)}, not {currency}")
        spec = self.data.order(self.catalog, card_gateway=gateway or account.platform.card_gateway, exact=exact,
                               **plan)
        if unknown_item:  # a product the merchant sells but never created in NetSuite
            spec = replace(spec, lines=spec.lines + (LineSpec("SKU-UNMAPPED-1", "Gift wrap", spec.lines[0].price, 1),))
        order = OrderUnderTest(account.driver.place_order(spec), account.id, spec)
        self.scenario.orders.append(order)
        return order

    def sync(self, order: OrderUnderTest) -> None:
        order.sales_order_id = self.connector.sync_order(order.account_id, order.placed.order_id)

    def bill(self, order: OrderUnderTest) -> tuple[str, str]:
        if order.sales_order_id is None:
            raise LookupError(f"order {order.placed.order_id} has no sales order in NetSuite to bill")
        order.billed = tuple(self.netsuite.bill(order.sales_order_id))  # type: ignore[assignment]
        return order.billed  # type: ignore[return-value]

    @property
    def order(self) -> OrderUnderTest:
        if not self.scenario.orders:
            raise LookupError("no order was placed yet in this scenario")
        return self.scenario.orders[-1]

    def storefront_refund(self, order: OrderUnderTest, request: StorefrontRefundRequest) -> str:
        """The merchant makes this refund in the storefront; an amount asked is remembered, and
        reconciliation checks the storefront gave back exactly that."""
        if request.amount is not None:
            order.adjusted = True
        return self._refund(order, request)

    def _refund(self, order: OrderUnderTest, request: StorefrontRefundRequest) -> str:
        """Make the refund in the storefront and remember it (and any amount it was asked to give back)."""
        with self._lines_named_in_errors(order):
            made = self.driver_of(order).refund(order.placed, request)
        order.storefront_refund_ids.append(made)
        if request.amount is not None:
            order.asked[made] = request.amount
        return made

    def refund_at_storefront(self, order: OrderUnderTest, *, lines: tuple[tuple[int, int], ...] = (),
                             shipping: bool = False, whole_order: bool = False,
                             discrepancy: Decimal = Decimal(0), as_amount: bool = False) -> str:
        """The merchant refunds lines/shipping. Where the storefront cannot refund by line, lines are
        refunded as an amount of the same value (what its admin offers) only with ``as_amount``;
        otherwise that is ``CannotRefundByLine``. ``discrepancy`` gives back that much more (or,
        negative, less) money than the refunded lines are worth."""
        driver = self.driver_of(order)
        if lines and not driver.supports_line_items and not as_amount:
            raise CannotRefundByLine(
                f"{driver.display_name} cannot refund by line, only an amount: say the refund is made "
                "'as an amount where it cannot refund by line', or tag the scenario @line_items")
        units = dict(order.refunded_units)
        if whole_order:
            units = {n: line.quantity for n, line in enumerate(order.spec.lines, start=1)}
        for number, quantity in lines:
            units[number] = units.get(number, 0) + quantity
        with_shipping = order.shipping_refunded or shipping or whole_order
        worth = (self.value_of(order, units=units, shipping=with_shipping)
                 - self.value_of(order, units=order.refunded_units, shipping=order.shipping_refunded))
        if driver.supports_line_items:
            # the merchant asks for lines; the storefront works out their money, unless told an amount
            request = StorefrontRefundRequest(lines=lines, shipping=shipping, whole_order=whole_order,
                                              amount=worth + discrepancy if discrepancy else None)
        else:
            request = StorefrontRefundRequest(amount=worth + discrepancy)
        made = self._refund(order, request)
        order.adjusted = order.adjusted or bool(discrepancy)
        order.fully_refunded = not order.adjusted and self._covers_everything(order, units, with_shipping)
        order.refunded_units, order.shipping_refunded = units, with_shipping
        return made

    @staticmethod
    def _covers_everything(order: OrderUnderTest, units: dict[int, int], shipping: bool) -> bool:
        every_line = all(units.get(n, 0) >= line.quantity for n, line in enumerate(order.spec.lines, start=1))
        return every_line and (shipping or not order.spec.shipping)

    @staticmethod
    def value_of(order: OrderUnderTest, *, units: dict[int, int], shipping: bool) -> Decimal:
        """What the order paid for these units in all (line number -> units refunded so far), with
        their share of discount and tax, and for its shipping.

        It prices what has been refunded *in all*, so a refund's value is the difference of two
        such figures: refunding a line unit by unit then sums to exactly what the line paid,
        where rounding each refund alone could drift by a cent past it.
        """
        priced = price_order(order.spec)
        cur = priced.currency
        value = Decimal(0)
        for number, quantity in units.items():
            line = priced.lines[number - 1]
            share = Decimal(quantity) / Decimal(line.spec.quantity)
            value += money.round_amount(line.net * share, cur) + money.round_amount(line.tax * share, cur)
        if shipping:
            value += priced.shipping + priced.shipping_tax
        return money.amount(value, cur)

    def deliver_webhooks(self, times: int = 1) -> None:
        """Every pending refund webhook of every store arrives, then arrives again ``times - 1`` more."""
        for account in self.scenario.accounts:
            account.driver.deliver_webhooks()
            for _ in range(times - 1):
                account.driver.redeliver_webhooks()

    def send_webhooks_as_new_deliveries(self) -> None:
        """Every refund webhook each store sent so far arrives once more, as a delivery of its own (a
        new delivery id for the same refund)."""
        for account in self.scenario.accounts:
            account.driver.send_webhooks_as_new_deliveries()

    def refunds_of(self, order: OrderUnderTest) -> list[seam.RefundView]:
        return [r for r in self.connector.refunds(order.account_id) if r.order_id == order.placed.order_id]

    def latest_refund(self) -> seam.RefundView:
        """The refund the connector recorded last for the scenario's order: "the refund" of a step."""
        rows = self.refunds_of(self.order)
        if not rows:
            raise AssertionError(f"the connector has no refund for the order {self.order.placed.order_id}")
        return rows[-1]   # the seam lists refunds in the order they were recorded

    def run_schedule(self) -> None:
        self.clock.advance(SCHEDULE)
        self.connector.run_scheduled()

    # --- NetSuite side -------------------------------------------------------------------
    def refund_in_netsuite(self, order: OrderUnderTest, *, lines: tuple[tuple[int, int], ...] = (),
                           shipping: bool = False, whole: bool = False,
                           amount: Decimal | None = None, line_ids_shown: bool = True) -> tuple[str, str]:
        """A NetSuite user presses Refund on the order's billed record (Cash Sale or Invoice): all of
        it, some lines and/or the shipping, or (``amount``) an amount on the generic refund item, alone
        or beside the lines. ``line_ids_shown=False``: the refund form lacks the storefront line id
        column, so the refund's lines leave it empty (the billed record's lines still carry it)."""
        if order.billed is None:
            raise LookupError(f"order {order.placed.order_id} is not billed in NetSuite; nothing to refund")
        with self._lines_named_in_errors(order):
            return self._press_refund(order, lines=lines, shipping=shipping, whole=whole, amount=amount,
                                      line_ids_shown=line_ids_shown)

    def _press_refund(self, order: OrderUnderTest, *, lines: tuple[tuple[int, int], ...], shipping: bool,
                      whole: bool, amount: Decimal | None, line_ids_shown: bool = True) -> tuple[str, str]:
        assert order.billed is not None
        billed_type, billed_id = order.billed
        if whole:
            made = self.netsuite.refund(billed_type, billed_id)
            order.fully_refunded = not order.adjusted
        elif amount is not None and not lines:
            order.adjusted = True
            made = self.netsuite.refund(billed_type, billed_id, lines={},
                                        extra_lines=[{"item": self.refund_item_id, "amount": amount}])
        else:
            billed = self.netsuite.record(billed_type, billed_id)
            item_lines = [l for l in billed["item"]["items"] if l["item"]["id"] != self.shipping_item_id]
            chosen = {item_lines[number - 1]["line"]: quantity for number, quantity in lines}
            if shipping:
                chosen.update({l["line"]: 1 for l in billed["item"]["items"]
                               if l["item"]["id"] == self.shipping_item_id})
            extra = [{"item": self.refund_item_id, "amount": amount}] if amount is not None else []
            if extra:
                order.adjusted = True
            made = self.netsuite.refund(billed_type, billed_id, lines=chosen, extra_lines=extra,
                                        line_fields=None if line_ids_shown else {"custcol_storefront_line_id": None})
        return made

    def enter_order_in_netsuite(self) -> OrderUnderTest:
        """A sales order typed into NetSuite by hand, billed: the connector never synced it."""
        customer = self.netsuite.enter("customer", {"companyName": "Walk-in customer", "email": "walk-in@example.com"})
        item = self.catalog[0]
        so_id = self.netsuite.enter("salesOrder", {
            "entity": {"id": customer}, "currency": {"id": "1"},  # USD
            "paymentMethod": {"id": self.card_payment_method_id},
            "item": {"items": [{"item": {"id": self.item_ids[item.sku]}, "quantity": 1, "rate": item.price}]}})
        placed = PlacedOrder(self.account.platform.name, f"manual-{so_id}", "USD", item.price, (), Decimal(0))
        order = OrderUnderTest(placed, self.account.id, OrderSpec(), sales_order_id=so_id, in_storefront=False)
        order.billed = tuple(self.netsuite.bill(so_id))  # type: ignore[assignment]
        self.scenario.orders.append(order)
        return order

    def netsuite_refunds_of(self, order: OrderUnderTest) -> list[tuple[str, dict]]:
        """(record type, record) of every refund NetSuite made from the order's billed record."""
        if order.billed is None:
            return []
        return self.netsuite.refunds_from(*order.billed)

    def netsuite_writes_for(self, order: OrderUnderTest) -> list[tuple[str, str, Any]]:
        """(method, path, parsed JSON body) of every write sent to NetSuite for this order, whatever NetSuite
        answered: a request whose path names its sales order, its billed record or a refund made from it,
        or whose body carries one of the order's storefront line ids (the sales order's creation)."""
        records = [("salesOrder", order.sales_order_id)] if order.sales_order_id else []
        records += [order.billed] if order.billed else []
        records += [(kind, record["id"]) for kind, record in self.netsuite_refunds_of(order)]
        named = [f"/{kind}/{record_id}" for kind, record_id in records]
        line_ids = [line.line_id for line in order.placed.lines]
        writes = []
        for entry in self.netsuite.journal.entries():
            if entry.method not in ("POST", "PATCH", "PUT") or not entry.request_body:
                continue
            text = entry.request_body.decode("utf-8", "replace")
            path_names = any(entry.path.endswith(n) or f"{n}/" in entry.path for n in named)
            if path_names or any(f'"{line_id}"' in text for line_id in line_ids):
                try:
                    writes.append((entry.method, entry.path, jsonio.loads(entry.request_body)))
                except ValueError:   # a SuiteQL or other non-JSON body carries no record amounts
                    continue
        return writes

    def tax_sent_to_netsuite(self, order: OrderUnderTest) -> Decimal | None:
        """The tax on every refund NetSuite accepted from the billed record of this order, as the
        requests carried it (NetSuite's own journal); None if the order was never billed."""
        if order.billed is None:
            return None
        sent = Decimal(0)
        for entry in self.netsuite.journal.entries():
            made = REFUND_TRANSFORM.search(entry.path)
            if entry.method == "POST" and entry.status < 300 and made and made.group(1, 2) == order.billed:
                body = jsonio.loads(entry.request_body)
                sent += sum((Decimal(str(line.get("taxAmount", 0))) for line in body.get("item", {}).get("items", [])),
                            Decimal(0))
        return sent

    def _billed_line_ids(self, order: OrderUnderTest) -> dict[Any, Any]:
        """Billed line number -> its storefront line id; empty when the billed record is gone."""
        if order.billed is None:
            return {}
        try:
            billed = self.netsuite.record(*order.billed)
        except NetSuiteError:   # deleted in NetSuite: its refunds name their lines themselves, or not at all
            return {}
        return {line.get("line"): line.get("custcol_storefront_line_id") for line in billed["item"]["items"]}

    def netsuite_side(self, order: OrderUnderTest) -> list[SideRefund]:
        sku_of = {item_id: sku for sku, item_id in self.item_ids.items()}
        number_of = {line.line_id: number for number, line in enumerate(order.placed.lines, start=1)}
        found = []
        for kind, record in self.netsuite_refunds_of(order):
            items = [line for line in record["item"]["items"] if line["item"]["id"] in sku_of]
            # a refund line left without the storefront line id is tied to it by the billed line it refunds
            billed_line_ids = self._billed_line_ids(order) if any(
                not line.get("custcol_storefront_line_id") for line in items) else {}
            keys = [line_key(sku_of[line["item"]["id"]],
                             number_of.get(line.get("custcol_storefront_line_id") or billed_line_ids.get(line.get("orderLine"))))
                    for line in items]
            lines = tuple((key, int(line["quantity"])) for key, line in zip(keys, items))
            values = tuple((key, Decimal(str(line["amount"])), Decimal(str(line.get("taxAmount", 0))))
                           for key, line in zip(keys, items))
            shipping = sum((Decimal(str(line["amount"])) for line in record["item"]["items"]
                            if line["item"]["id"] == self.shipping_item_id), Decimal(0))
            on_lines = sum((Decimal(str(line["amount"])) + Decimal(str(line.get("taxAmount", 0)))
                            for line in record["item"]["items"] if line["item"]["id"] != self.refund_item_id),
                           Decimal(0))
            found.append(SideRefund(record["id"], Decimal(str(record["total"])), record["currency"]["refName"],
                                    Decimal(str(record["taxTotal"])), lines, kind, values, shipping, on_lines))
        return found

    @contextmanager
    def _lines_named_in_errors(self, order: OrderUnderTest) -> Iterator[None]:
        """A platform refusing what the scenario did names lines by its own numbers: the error it raises
        gets a note naming them as the scenario wrote them (its message stays the platform's)."""
        try:
            yield
        except Exception as exc:
            named = self.explain_lines(str(exc), order)
            if named != str(exc):
                exc.add_note(f"in the scenario's words: {named}")
            raise

    def line_names(self, order: OrderUnderTest) -> LineNames:
        """What the order's lines are called in the scenario (SKU and line number, "the shipping"),
        keyed by the numbers NetSuite (line of its sales order, billed record and refunds, by tranId)
        and the storefront (its line ids; a SKU on one line only) name them by."""
        sku_of = {item_id: sku for sku, item_id in self.item_ids.items()}
        number_of = {line.line_id: number for number, line in enumerate(order.placed.lines, start=1)}
        names = LineNames()
        for number, line in enumerate(order.placed.lines, start=1):
            names.storefront_ids[line.line_id] = line_key(line.sku, number)
        for sku in {line.sku for line in order.placed.lines}:
            on = [n for n, line in enumerate(order.placed.lines, start=1) if line.sku == sku]
            if len(on) == 1:
                names.storefront_skus[sku] = line_key(sku, on[0])
        records = [("salesOrder", order.sales_order_id)] if order.sales_order_id else []
        records += [order.billed] if order.billed else []
        documents = [self._record_or_none(kind, record_id) for kind, record_id in records]
        documents += [record for _, record in self.netsuite_refunds_of(order)]
        for record in documents:
            if not record or not record.get("tranId"):
                continue
            by_line = names.netsuite.setdefault(record["tranId"], {})
            for line in record["item"]["items"]:
                item_id = line["item"]["id"]
                if item_id == self.shipping_item_id:
                    by_line[int(line["line"])] = SHIPPING
                elif item_id in sku_of:
                    by_line[int(line["line"])] = line_key(
                        sku_of[item_id], number_of.get(line.get("custcol_storefront_line_id")))
        return names

    def _record_or_none(self, kind: str, record_id: str) -> dict | None:
        try:
            return self.netsuite.record(kind, record_id)
        except NetSuiteError:   # deleted by a NetSuite user: nothing of it to name
            return None

    def explain_lines(self, text: str | None, order: OrderUnderTest | None = None, *,
                      platform_words: bool = True) -> str:
        """A platform's message with each line it names by the platform's own number also named the way
        the scenario wrote it (``harness.line_names``; without ``platform_words``, named that way
        only); the scenario's latest order unless told."""
        if not text:
            return text or ""
        if order is None:
            if not self.scenario.orders:
                return text
            order = self.order
        return self.line_names(order).explain(text, platform_words=platform_words)

    # --- assertions shared by Then steps --------------------------------------------------
    def assert_netsuite_refund_kind(self, billed_type: str, refund_type: str) -> None:
        order = self.order
        assert order.billed and order.billed[0] == billed_type, f"the order was billed as {order.billed}"
        kinds = {r.kind for r in self.netsuite_side(order)}
        assert kinds == {refund_type}, f"NetSuite refunds made from the {billed_type}: {sorted(kinds) or 'none'}"

    def assert_same_lines(self, order: OrderUnderTest) -> None:
        storefront = self.driver_of(order).refunds(order.placed)
        netsuite = self.netsuite_side(order)
        sf_lines = sorted(l for r in storefront for l in r.lines)
        ns_lines = sorted(l for r in netsuite for l in r.lines)
        assert netsuite and storefront, f"refunds: storefront {len(storefront)}, NetSuite {len(netsuite)}"
        assert ns_lines, "the NetSuite refund has no item lines"
        assert sf_lines == ns_lines, f"refunded lines differ: storefront {sf_lines}, NetSuite {ns_lines}"

    def _refund_records(self, order: OrderUnderTest) -> list[dict]:
        records = [record for _, record in self.netsuite_refunds_of(order)]
        assert records, f"NetSuite has no refund made from the billed record of order {order.placed.order_id}"
        return records

    def assert_shipping_line(self, order: OrderUnderTest) -> None:
        priced = price_order(order.spec)
        lines = [l for r in self._refund_records(order) for l in r["item"]["items"]
                 if l["item"]["id"] == self.shipping_item_id]
        assert len(lines) == 1, f"expected one shipping line, found {len(lines)}"
        assert Decimal(str(lines[0]["amount"])) == priced.shipping, (lines[0]["amount"], priced.shipping)
        # the shipping's tax goes back with it: on its line, not lost into an adjustment of the total
        tax = Decimal(str(lines[0].get("taxAmount") or 0))
        assert tax == priced.shipping_tax, f"the shipping line carries tax {tax}, the shipping's tax was {priced.shipping_tax}"

    def assert_single_generic_line(self, order: OrderUnderTest) -> None:
        records = self._refund_records(order)
        assert len(records) == 1, f"NetSuite has {len(records)} refunds for the order, expected 1"
        lines = records[0]["item"]["items"]
        assert [l["item"]["id"] for l in lines] == [self.refund_item_id], (
            f"lines on items {[l['item']['id'] for l in lines]}, expected only the refund item {self.refund_item_id}")

    def assert_general_refund(self, order: OrderUnderTest) -> None:
        storefront = self.driver_of(order).refunds(order.placed)
        netsuite = self.netsuite_side(order)
        assert len(storefront) == 1 and len(netsuite) == 1, (
            f"expected one refund on each side: the storefront has {len(storefront)}, NetSuite has {len(netsuite)}")
        assert storefront[0].lines == (), "a general refund carries no lines"
        assert storefront[0].total == netsuite[0].total, (
            f"the general refund is {storefront[0].total} in the storefront and {netsuite[0].total} in NetSuite")

    def journal_summary(self, last: int = 25) -> str:
        """The last requests each simulator answered, one line each."""
        out = []
        for name, simulator in self.simulators().items():
            entries = simulator.journal.entries()
            out.append(f"{name}: {len(entries)} request(s)" + (f", last {last}" if len(entries) > last else ""))
            for entry in entries[-last:]:
                query = f"?{redact_query(entry.url.split('?', 1)[1])}" if "?" in entry.url else ""
                out.append(f"  {entry.method} {entry.path}{query} -> {entry.status}"
                           + (f" ({entry.operation})" if entry.operation else "")
                           + (f" [fault {entry.fault}]" if entry.fault else ""))
        return "\n".join(out)

    # --- reconciliation and evidence -----------------------------------------------------
    def driver_of(self, order: OrderUnderTest) -> StorefrontDriver:
        return self.account_of(order).driver

    def reconcile(self, order: OrderUnderTest, recorded: list[seam.RefundView] | None = None, *,
                  read_journal: bool = True) -> Reconciliation:
        """Both sides of one order, reconciled. ``recorded``: the connector's rows of this order when the
        caller already read them; without ``read_journal`` the tax sent to NetSuite is left unknown
        (for callers that trim the journals, e.g. a soak)."""
        account = self.account_of(order)
        rows = self.refunds_of(order) if recorded is None else recorded
        return reconcile(OrderEvidence(
            order_id=order.placed.order_id, platform=account.platform.display_name,
            direction=self.connector.direction(account.id), currency=order.placed.currency,
            line_items=account.platform.capabilities.line_items,
            storefront=tuple(account.driver.refunds(order.placed)), netsuite=tuple(self.netsuite_side(order)),
            recorded=tuple((row.currency, row.total) for row in rows if row.status != seam.CANCELED),
            sent_tax=self.tax_sent_to_netsuite(order) if read_journal else None,
            paid=order.placed.total if order.in_storefront else None,
            fully_refunded=order.fully_refunded, asked=tuple(order.asked.items())))

    def evidence(self) -> dict[str, Any]:
        """What this scenario proves for the certification matrix: cells are (platform name, direction)."""
        cells = {(account.platform.name, self.connector.direction(account.id)) for account in self.scenario.accounts}
        orders = []
        for order in self.scenario.orders:
            if order.billed is None or not order.in_storefront or order.deleted_in_netsuite:
                continue
            result = self.reconcile(order)
            if result.direction == seam.OFF or (not result.storefront_total and not result.netsuite_total):
                continue
            orders.append({"order_id": result.order_id, "platform": self.account_of(order).platform.name,
                           "direction": result.direction, "currency": result.currency,
                           "storefront_total": str(result.storefront_total),
                           "netsuite_total": str(result.netsuite_total),
                           "matches": result.matches, "description": result.describe()})
        for included in self._included_evidence:
            cells |= {(cell["platform"], cell["direction"]) for cell in included["cells"]}
            orders += included["orders"]
        return {"cells": [{"platform": name, "direction": direction}
                          for name, direction in sorted(cells) if direction != seam.OFF],
                "orders": orders, "expect_mismatch": self.scenario.expect_mismatch, "seed": self.seed}
