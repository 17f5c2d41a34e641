"""A World with a scenario playing in it: the stores it connected and the orders it placed, what it
meant them to come to (``harness.expected.ExpectedOutcome``), and what it does: place, sync and bill
orders, refund them in the storefront or in NetSuite, deliver webhooks, run the schedule, reconcile
both sides and say what it proved (``harness.certification.Evidence``).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

from harness import factories, seam
from harness.certification import Evidence, OrderProof
from harness.expected import ExpectedOutcome, OrderUnderTest
from harness.netsuite_view import NetSuiteView
from harness.platforms import Platform, platform as find_platform
from harness.reconcile import OrderEvidence, Reconciliation, reconcile
from harness.run_reports import LedgerSnapshot, RunObservation, RunReportTally, problems
from harness.storefronts import (FlawedDelivery, PlacedOrder, RefundWebhooksDriver, StorefrontDriver,
                                 StorefrontRefundRequest, driver_with)
from harness.workers import StalledWorker
from harness.world import SCHEDULE, World
from simulators.core.faults import FaultTarget
from simulators.core.orders import LineSpec, OrderSpec


class CannotRefundByLine(AssertionError):
    """A scenario refunded lines in a storefront that can only refund an amount, without saying that an
    amount is acceptable there."""


@dataclass
class AccountUnderTest:
    id: str
    platform: Platform
    driver: StorefrontDriver


@dataclass
class ScenarioState:
    """What steps remember between them within one scenario (what it meant: ``ScenarioWorld.expected``)."""

    accounts: list[AccountUnderTest] = field(default_factory=list)
    batch: list[OrderUnderTest] = field(default_factory=list)   # orders a step placed together ("those orders")
    refusal: Exception | None = None
    failure: Exception | None = None
    post_refusal: Exception | None = None   # what the connector said refusing to post a refund
    retrieve_refusal: Exception | None = None   # what it said refusing to retrieve an order's refunds
    webhook_status: int | None = None   # what the connector answered the last webhook a step sent
    flawed_webhooks: list[FlawedDelivery] = field(default_factory=list)   # signed deliveries a step altered


class ScenarioWorld(World):
    def __init__(self, seed: int, workdir: Path, **wiring: Any) -> None:
        super().__init__(seed, workdir, **wiring)
        self.scenario = ScenarioState()
        self.expected = ExpectedOutcome()
        self.netsuite_view = NetSuiteView(self.netsuite, self.item_ids, self.refund_item_id, self.shipping_item_id)
        self._included_evidence: list[Evidence] = []
        self.run_reports = RunReportTally()

    # --- the connector's workers and schedule ---------------------------------------------
    def run_schedule(self) -> None:
        self.clock.advance(SCHEDULE)
        self._checked_run(lambda: [self.connector.run_scheduled()], every_account_due=True)

    def run_schedule_after(self, delay: timedelta) -> None:
        """The connector's scheduled sync runs ``delay`` after the clock's now (one worker's own timer:
        an account whose last run never finished is still due)."""
        self.clock.advance(delay)
        self._checked_run(lambda: [self.connector.run_scheduled()], every_account_due=False)

    def run_schedule_in_two_workers(self) -> None:
        """Two workers of the connector (two instances on the same work directory, as two processes
        would be) run the scheduled sync at the same moment."""
        self.clock.advance(SCHEDULE)
        second = self.another_worker()
        try:
            self._checked_run(lambda: self._run_at_once([self.connector, second]), every_account_due=True,
                              alone=False)
        finally:
            second.close()

    @staticmethod
    def _run_at_once(workers: list[seam.ConnectorUnderTest]) -> list[object]:
        start = threading.Barrier(len(workers))
        failures: list[BaseException] = []
        reports: list[object] = []

        def run(worker: seam.ConnectorUnderTest) -> None:
            try:
                start.wait(timeout=30)
                reports.append(worker.run_scheduled())
            except BaseException as exc:   # reported below, in this thread
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        if failures:
            raise AssertionError(f"a worker's scheduled run crashed: {failures[0]!r}") from failures[0]
        return reports

    def _checked_run(self, run: Callable[[], list[object]], *, every_account_due: bool, alone: bool = True) -> None:
        """Run the schedule, then hold what the workers report of the run (``seam.RunReport``) to what the
        ledger and the simulators' journals show it did. A worker that reports nothing is not failed for
        it: the run counts as one whose counts were not checked."""
        accounts = [account.id for account in self.scenario.accounts]
        before = LedgerSnapshot.of(self.connector, accounts)
        journals = {name: len(simulator.journal.entries()) for name, simulator in self.simulators().items()}
        reports = run()
        if any(report is None for report in reports):   # a worker that said nothing: the run's counts are unknown
            self.run_reports.not_checked += 1
            return
        seen = RunObservation(before, LedgerSnapshot.of(self.connector, accounts),
                              self._error_answers_since(journals),
                              alone=alone and not any(worker.live for worker in self.stalled_workers),
                              every_account_due=every_account_due)
        wrong = problems(reports, seen)
        if wrong:
            raise AssertionError("the connector's report of its scheduled run disagrees with what the run did: "
                                 + "; ".join(wrong))
        self.run_reports.checked += 1

    def _error_answers_since(self, journals: dict[str, int]) -> list[str]:
        """Each answer a system gave the connector since ``journals`` (entries per simulator) that was an
        error, a fault or no answer at all."""
        return [f"{name} answered {entry.method} {entry.path} with {entry.fault or entry.status}"
                for name, simulator in self.simulators().items()
                for entry in simulator.journal.entries()[journals.get(name, 0):]
                if entry.method != "WEBHOOK" and (entry.status >= 400 or entry.status == 0 or entry.fault)]

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

        worker = StalledWorker(self.connector_sending_through, self.http, stalls_at, what)
        self.stalled_workers.append(worker)
        worker.start()

    def requests_to(self, system: str, target: FaultTarget) -> int:
        """How many requests ``system`` (a simulator name) was sent that ``target`` covers, whatever it
        answered (a fault included)."""
        return sum(1 for entry in self.simulators()[system].journal.entries()
                   if entry.method != "WEBHOOK" and target.covers(entry.operation, entry.method, entry.path))

    # --- accounts ------------------------------------------------------------------------
    def connect(self, platform: str | Platform, name: str | None = None) -> AccountUnderTest:
        """A connector account for the next store of this platform (refused by name if unknown)."""
        entry = platform if isinstance(platform, Platform) else find_platform(platform)
        number = sum(1 for a in self.scenario.accounts if a.platform.name == entry.name) + 1
        driver = self.runtime(entry).store(number)
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

    def driver_of(self, order: OrderUnderTest) -> StorefrontDriver:
        return self.account_of(order).driver

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
        return self.expected.placed(OrderUnderTest(account.driver.place_order(spec), account.id, spec))

    def sync(self, order: OrderUnderTest) -> None:
        order.sales_order_id = self.connector.sync_order(order.account_id, order.placed.order_id)

    def bill(self, order: OrderUnderTest) -> tuple[str, str]:
        if order.sales_order_id is None:
            raise LookupError(f"order {order.placed.order_id} has no sales order in NetSuite to bill")
        order.billed = tuple(self.netsuite.bill(order.sales_order_id))  # type: ignore[assignment]
        return order.billed  # type: ignore[return-value]

    @property
    def order(self) -> OrderUnderTest:
        if not self.expected.orders:
            raise LookupError("no order was placed yet in this scenario")
        return self.expected.orders[-1]

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
        return self.expected.placed(order)

    # --- refunds -------------------------------------------------------------------------
    def storefront_refund(self, order: OrderUnderTest, request: StorefrontRefundRequest) -> str:
        """The merchant makes this refund in the storefront; an amount asked is remembered, and
        reconciliation checks the storefront gave back exactly that."""
        with self._lines_named_in_errors(order):
            made = self.driver_of(order).refund(order.placed, request)
        self.expected.refunded_in_storefront(order, made, asked=request.amount, adjusted=request.amount is not None)
        return made

    def refund_at_storefront(self, order: OrderUnderTest, *, lines: tuple[tuple[int, int], ...] = (),
                             shipping: bool = False, whole_order: bool = False,
                             discrepancy: Decimal = Decimal(0), as_amount: bool = False,
                             tax_only: bool = False) -> str:
        """The merchant refunds lines/shipping. Where the storefront cannot refund by line, lines are
        refunded as an amount of the same value (what its admin offers) only with ``as_amount``;
        otherwise that is ``CannotRefundByLine``. ``discrepancy`` gives back that much more (or,
        negative, less) money than the refunded lines are worth; ``tax_only`` gives back only their tax."""
        driver = self.driver_of(order)
        if lines and not driver.supports_line_items and not as_amount:
            raise CannotRefundByLine(
                f"{driver.display_name} cannot refund by line, only an amount: say the refund is made "
                "'as an amount where it cannot refund by line', or tag the scenario @line_items")
        quote = self.expected.quote(order, lines=lines, shipping=shipping, whole_order=whole_order)
        if tax_only:
            discrepancy = quote.tax - quote.worth
        if driver.supports_line_items:
            # the merchant asks for lines; the storefront works out their money, unless told an amount
            request = StorefrontRefundRequest(lines=lines, shipping=shipping, whole_order=whole_order,
                                              amount=quote.worth + discrepancy if discrepancy else None)
        else:
            request = StorefrontRefundRequest(amount=quote.worth + discrepancy)
        with self._lines_named_in_errors(order):
            made = driver.refund(order.placed, request)
        self.expected.refunded_in_storefront(order, made, asked=request.amount, adjusted=bool(discrepancy),
                                             quote=quote)
        return made

    def refund_in_netsuite(self, order: OrderUnderTest, *, lines: tuple[tuple[int, int], ...] = (),
                           shipping: bool = False, whole: bool = False,
                           amount: Decimal | None = None, line_ids_shown: bool = True,
                           lines_amount: Decimal | None = None, shipping_by_hand: Decimal | None = None) -> tuple[str, str]:
        """A NetSuite user presses Refund on the order's billed record (Cash Sale or Invoice): all of
        it, some lines and/or the shipping, or (``amount``) an amount on the generic refund item, alone
        or beside the lines. ``line_ids_shown=False``: the refund form lacks the storefront line id
        column, so the refund's lines leave it empty (the billed record's lines still carry it).
        ``lines_amount``: the user types this amount (before tax) on each refunded line instead of its worth.
        ``shipping_by_hand``: this amount of shipping is refunded on a line the user adds on the shipping
        item, not on the billed record's shipping line: it carries no storefront line id, and NetSuite taxes
        it as any new line (at its tax engine's rate), not as the order was taxed."""
        if order.billed is None:
            raise LookupError(f"order {order.placed.order_id} is not billed in NetSuite; nothing to refund")
        billed_type, billed_id = order.billed
        with self._lines_named_in_errors(order):
            if whole:
                made = self.netsuite.refund(billed_type, billed_id)
            elif amount is not None and not lines:
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
                if shipping_by_hand is not None:
                    extra.append({"item": self.shipping_item_id, "amount": shipping_by_hand})
                typed: dict[str, Any] = {} if line_ids_shown else {"custcol_storefront_line_id": None}
                if lines_amount is not None:
                    typed["amount"] = lines_amount
                made = self.netsuite.refund(billed_type, billed_id, lines=chosen, extra_lines=extra,
                                            line_fields=typed or None)
        self.expected.refunded_in_netsuite(order, whole=whole, amount=amount is not None or lines_amount is not None)
        return made

    def deliver_webhooks(self, times: int = 1) -> None:
        """Every pending refund webhook of every store arrives, then arrives again ``times - 1`` more."""
        for account in self.scenario.accounts:
            account.driver.deliver_webhooks()
            for _ in range(times - 1):
                account.driver.redeliver_webhooks()

    def send_webhooks_as_new_deliveries(self) -> None:
        """Every refund webhook each store sent so far arrives once more, as a delivery of its own (a
        new delivery id for the same refund); refused, naming the tag, for a store without refund webhooks."""
        for account in self.scenario.accounts:
            driver_with(account.driver, RefundWebhooksDriver).send_webhooks_as_new_deliveries()

    def refunds_of(self, order: OrderUnderTest) -> list[seam.RefundView]:
        return [r for r in self.connector.refunds(order.account_id) if r.order_id == order.placed.order_id]

    def latest_refund(self) -> seam.RefundView:
        """The refund the connector recorded last for the scenario's order: "the refund" of a step."""
        rows = self.refunds_of(self.order)
        if not rows:
            raise AssertionError(f"the connector has no refund for the order {self.order.placed.order_id}")
        return rows[-1]   # the seam lists refunds in the order they were recorded

    # --- lines in the scenario's words ------------------------------------------------------
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

    def explain_lines(self, text: str | None, order: OrderUnderTest | None = None, *,
                      platform_words: bool = True) -> str:
        """A platform's message with each line it names by the platform's own number also named the way
        the scenario wrote it (``harness.line_names``; without ``platform_words``, named that way
        only); the scenario's latest order unless told."""
        if not text:
            return text or ""
        if order is None:
            if not self.expected.orders:
                return text
            order = self.order
        return self.netsuite_view.line_names(order).explain(text, platform_words=platform_words)

    # --- reconciliation and evidence -----------------------------------------------------
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
            storefront=tuple(account.driver.refunds(order.placed)), netsuite=tuple(self.netsuite_view.side(order)),
            recorded=tuple((row.currency, row.total) for row in rows if row.status != seam.CANCELED),
            sent_tax=self.netsuite_view.tax_sent(order) if read_journal else None,
            paid=order.placed.total if order.in_storefront else None,
            fully_refunded=order.fully_refunded, asked=tuple(order.asked.items())))

    def include_evidence(self, evidence: Evidence) -> None:
        """Count another World's evidence (``ScenarioWorld.evidence()``) as this scenario's own: a
        scenario that explores in Worlds of its own proves what they proved."""
        self._included_evidence.append(evidence)

    def evidence(self) -> Evidence:
        """What this scenario proves for the certification matrix: cells are (platform name, direction)."""
        cells = {(account.platform.name, self.connector.direction(account.id)) for account in self.scenario.accounts}
        orders = []
        for order in self.expected.orders:
            if order.billed is None or not order.in_storefront or order.deleted_in_netsuite:
                continue
            result = self.reconcile(order)
            if result.direction == seam.OFF or (not result.storefront_total and not result.netsuite_total):
                continue
            orders.append(OrderProof(result.order_id, self.account_of(order).platform.name, result.direction,
                                     result.currency, result.storefront_total, result.netsuite_total,
                                     result.matches, result.describe()))
        proved = Evidence(tuple(sorted(cell for cell in cells if cell[1] != seam.OFF)), tuple(orders),
                          self.expected.mismatch_expected, self.seed, self.run_reports.checked,
                          self.run_reports.not_checked)
        for included in self._included_evidence:
            proved = proved.including(included)
        return proved
