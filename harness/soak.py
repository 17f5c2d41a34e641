"""The soak: many refunds over every registered platform and each direction it offers, through transient
faults, then proof that nothing was lost or doubled.

One World (in-process simulators, the shipped reference connector and its SQLite ledger) gets one
connector account per (platform, direction). Refunds are made in batches: each batch places, syncs
and bills its orders with faults off, makes one refund per order (a second on some) on the side the
direction starts from, then delivers webhooks and runs the connector's schedule with the fault plane answering a share of
requests with every request fault of ``harness.fault_catalog`` (429, 500, 503, a latency, a timeout, a
reset connection, a lost answer: the request was processed, its answer never arrived; an answer cut
short) and sending that share of webhook deliveries twice, out of order or never. After the last batch, quiet runs (faults off) go on until the
ledger has nothing open. Only then is each order reconciled from both sides to the cent
(``harness.reconcile``, read from the simulators, never from the connector's word): a refund on the
source side without its counterpart is lost, one counterpart too many is duplicated, and any other
disagreement makes the order mismatched.

Replayable for a seed with one worker and ``serial`` (the same orders, refunds and fault firings).
Otherwise the connector posts several refunds to NetSuite at once, as it does in production, and which
request meets which fault depends on thread timing; several workers interleave as the operating
system schedules them.
"""
from __future__ import annotations

import random
import resource
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from connector.errors import ErrorFacts, ErrorKind
from harness.connectors.reference import ReferenceConnector, build_engine
from harness.directions import TO_NETSUITE
from harness.fault_catalog import REQUEST_FAULTS, WEBHOOK_FAULTS, CatalogFault
from harness.platforms import platforms
from harness.expected import OrderUnderTest
from harness.scenario import AccountUnderTest, ScenarioWorld
from harness.world import SCHEDULE
from simulators.core.faults import FaultAction, FaultRule
from simulators.core.journal import Journal, JournalEntry

BATCH = 100             # orders per (platform, direction) per batch, each followed by one faulty scheduled run
MAX_QUIET_RUNS = 20     # quiet runs allowed to converge before the soak gives up and counts what is left
SECOND_REFUND = 0.25    # share of orders refunded twice (two partial refunds of the same line)
WHOLE_ORDER = 0.3       # share of single refunds that refund the whole order


class SoakError(ValueError):
    """A soak that cannot run as asked (bad parameters); the message says which and why."""


@dataclass(frozen=True)
class SoakConfig:
    refunds: int
    fault_rate: float
    seed: int
    workers: int = 1
    batch: int = BATCH
    cells: tuple[tuple[str, str], ...] | None = None   # only these (platform, direction); None: every one
    netsuite_latency_s: float = 0.0   # every NetSuite request during sync runs takes this long (benchmarks)
    serial: bool = False   # the connector posts one refund at a time, so a seed replays the same soak

    def __post_init__(self) -> None:
        if self.refunds < 1:
            raise SoakError(f"--refunds must be 1 or more, not {self.refunds}")
        if not 0 <= self.fault_rate < 1:
            raise SoakError(f"--fault-rate must be at least 0 and below 1, not {self.fault_rate}")
        if self.seed < 0:
            raise SoakError(f"--seed must be 0 or more, not {self.seed}")
        if not 1 <= self.workers <= 32:
            raise SoakError(f"--workers must be from 1 to 32, not {self.workers}")
        if self.batch < 1:
            raise SoakError(f"the batch size must be 1 or more, not {self.batch}")


@dataclass
class Cell:
    """One connector account: a platform's store synced in one direction."""

    platform: str
    direction: str
    account: AccountUnderTest
    quota: int                                  # refunds this cell makes in all
    made: int = 0
    orders: list[OrderUnderTest] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """What one batch cost: refunds made, CPU and wall seconds (setup, refunds and its faulty run)."""

    refunds: int
    cpu_s: float
    wall_s: float
    calls: int                                  # requests the simulators answered during its sync run(s)
    sync_wall_s: float = 0.0                    # wall seconds of its sync run
    netsuite_calls: int = 0                     # of ``calls``, those NetSuite answered
    netsuite_throttled: int = 0                 # NetSuite requests answered 429 (its concurrency limit)
    netsuite_slot_s: float = 0.0                # wall seconds NetSuite requests held a concurrency slot, summed


@dataclass
class SoakResult:
    refunds: int
    posted: int
    errors: dict[str, int]
    lost: int
    duplicated: int
    mismatched_orders: int
    elapsed_s: float
    peak_rss_mb: float
    cpu_s: float = 0.0                          # CPU seconds of this process (every thread) over ``elapsed_s``
    calls: int = 0                              # requests answered during refund sync runs (setup excluded)
    netsuite_throttled: int = 0                 # of those, NetSuite's own 429s for its concurrency limit
    netsuite_peak_in_flight: int = 0            # the most NetSuite requests in flight at once (at its gate)
    quiet_runs: int = 0
    converged: bool = True
    batches: list[Batch] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)   # the first few reconciliation failures, in words

    def summary(self) -> dict[str, Any]:
        """The soak's one JSON line."""
        return {"refunds": self.refunds, "posted": self.posted, "errors": dict(sorted(self.errors.items())),
                "lost": self.lost, "duplicated": self.duplicated, "mismatched_orders": self.mismatched_orders,
                "elapsed_s": round(self.elapsed_s, 2),
                "refunds_per_s": round(self.refunds / self.elapsed_s, 1) if self.elapsed_s else None,
                "peak_rss_mb": round(self.peak_rss_mb, 1),
                "calls_per_refund": round(self.calls / self.refunds, 2) if self.refunds else None,
                "netsuite_concurrency_429": self.netsuite_throttled,
                "quiet_runs": self.quiet_runs, "converged": self.converged}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- what went wrong, by reason -------------------------------------------------------------------
_REASONS = {ErrorKind.TIMEOUT: "timeout", ErrorKind.RESET: "connection reset", ErrorKind.UNREACHABLE: "unreachable",
            ErrorKind.TRUNCATED: "truncated answer", ErrorKind.UNREADABLE: "unreadable answer"}


def error_reason(facts: ErrorFacts | None) -> str:
    """A run failure as a reason to count, read from its facts (never from its sentence): the HTTP status
    or the transport failure, else "other: " and its kind (and the system it came from)."""
    if facts is None:
        return "other: no facts recorded"
    if facts.kind is ErrorKind.STATUS:
        return f"HTTP {facts.status}"
    if facts.kind in _REASONS:
        return _REASONS[facts.kind]
    return f"other: {facts.kind.value}" + (f" ({facts.system})" if facts.system else "")


# --- the soak ---------------------------------------------------------------------------------------
class Tally(Journal):
    """A simulator journal that keeps only what the soak reads: how many requests were answered, and how
    many of them were 429s the simulator itself gave (not a 429 a status fault injected). Keeping every entry (both
    bodies) for a sync run made memory grow with the run: the quiet run after a faulty soak catches up on
    everything the faulty runs deferred, tens of thousands of requests at N=10,000."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = 0
        self.throttled = 0

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self.answered += 1
            # NetSuite's own 429s: a latency rule marks every request it slows (refused ones too); only a
            # status rule answers 429 itself, and that is not the concurrency limit
            self.throttled += entry.status == 429 and entry.fault_action is not FaultAction.STATUS

    def __len__(self) -> int:
        return self.answered

    def clear(self) -> None:
        with self._lock:
            self.answered = self.throttled = 0


def keep_no_history(world: ScenarioWorld) -> None:
    """Count requests instead of keeping them: every simulator journals into a ``Tally`` (the World's
    host router keeps nothing of what it routes). Nothing a soak reads (the simulators' state, the
    ledger) is lost."""
    for simulator in world.simulators().values():
        simulator.journal = Tally()


class Soak:
    def __init__(self, config: SoakConfig, workdir: Path,
                 progress: Callable[[str, int, int], None] = lambda phase, done, total: None) -> None:
        self.config = config
        # serial: the reference connector posting one refund at a time (see the module's docstring)
        factory = ((lambda context: ReferenceConnector(build_engine(context, netsuite_concurrency=1)))
                   if config.serial else None)
        self.world = ScenarioWorld(seed=config.seed, workdir=workdir, connector_factory=factory)
        self.rng = random.Random(f"soak/{config.seed}")
        self.progress = progress
        self.errors: Counter[str] = Counter()
        self.calls = 0
        self.netsuite_throttled = 0
        self.cells = self._cells()   # starts every simulator the soak uses
        keep_no_history(self.world)
        self.workers = [self.world.connector.engine] + [
            self.world._build_connector().engine for _ in range(config.workers - 1)]   # noqa: SLF001

    def close(self) -> None:
        for worker in self.workers[1:]:
            worker.close()
        self.world.close()

    def _cells(self) -> list[Cell]:
        wanted = [(p, d) for p in platforms() for d in p.capabilities.directions
                  if self.config.cells is None or (p.name, d) in self.config.cells]
        if not wanted:
            raise SoakError(f"no registered platform offers {self.config.cells}")
        if self.config.refunds < len(wanted):
            raise SoakError(f"--refunds {self.config.refunds} is fewer than the {len(wanted)} platform x direction "
                            "pairs to spread them over")
        share, extra = divmod(self.config.refunds, len(wanted))
        cells = []
        for index, (entry, direction) in enumerate(wanted):
            account = self.world.connect(entry, name=f"{entry.display_name} soak {direction}")
            account.driver.lift_rate_limits()   # throttling comes from the fault plane only, at the rate asked
            cells.append(Cell(entry.name, direction, account, share + (index < extra)))
        return cells

    # --- running --------------------------------------------------------------------------------
    def run(self) -> SoakResult:
        start, cpu = time.perf_counter(), time.process_time()
        batches: list[Batch] = []
        for cell in self.cells:   # activation needs a synced, billed test order: the first order of each cell
            self.world.connector.activate_order_sync(cell.account.id)
            first = self._order(cell)
            self.world.connector.enable_refund_sync(cell.account.id, cell.direction)
            self._refund(cell, first)
        while any(cell.made < cell.quota for cell in self.cells):
            batches.append(self._batch())
            self.progress("refunds", sum(c.made for c in self.cells), self.config.refunds)
        quiet_runs, converged = self._converge()
        result = self._count(time.perf_counter() - start)
        result.cpu_s = time.process_time() - cpu
        result.batches, result.quiet_runs, result.converged = batches, quiet_runs, converged
        return result

    def _batch(self) -> Batch:
        cpu, wall = time.process_time(), time.perf_counter()
        made = 0
        for cell in self.cells:
            orders = [self._order(cell) for _ in range(min(self.config.batch, cell.quota - cell.made))]
            for order in orders:
                if cell.made < cell.quota:
                    made += self._refund(cell, order)
        run = self._sync_run(faulty=True)
        return Batch(made, time.process_time() - cpu, time.perf_counter() - wall, **run)

    def _order(self, cell: Cell) -> OrderUnderTest:
        order = self.world.place_order(cell.account, quantity_first=2)
        self.world.sync(order)
        self.world.bill(order)
        cell.orders.append(order)
        return order

    def _refund(self, cell: Cell, order: OrderUnderTest) -> int:
        """One or two refunds of the order, on the side its direction starts from; how many were made."""
        twice = cell.quota - cell.made >= 2 and self.rng.random() < SECOND_REFUND
        whole = not twice and self.rng.random() < WHOLE_ORDER
        for _ in range(2 if twice else 1):
            if cell.direction == TO_NETSUITE:
                self.world.refund_at_storefront(order, lines=() if whole else ((1, 1),), whole_order=whole,
                                                as_amount=True)
            else:
                self.world.refund_in_netsuite(order, lines=((1, 1),), whole=whole)
        made = 2 if twice else 1
        cell.made += made
        return made

    def _sync_run(self, *, faulty: bool) -> dict[str, Any]:
        """Webhooks, then one scheduled run of every worker at once; the requests it cost."""
        world = self.world
        rules = self._faults_on() if faulty and self.config.fault_rate else []
        if self.config.netsuite_latency_s:
            rules.append(world.faults.add(FaultRule(action="latency", simulator="netsuite",
                                                    seconds=self.config.netsuite_latency_s)))
        tallies: list[Tally] = [s.journal for s in world.simulators().values()]
        for tally in tallies:   # what came before (order sync, refunds made) is not this run's cost
            tally.clear()
        start, slots = time.perf_counter(), world.netsuite.slot_seconds
        try:
            world.deliver_webhooks()
            world.clock.advance(SCHEDULE)
            self._run_workers()
        finally:
            for rule in rules:
                world.faults.remove(rule.id)
        wall, slot_s = time.perf_counter() - start, world.netsuite.slot_seconds - slots
        calls = sum(tally.answered for tally in tallies)
        netsuite: Tally = world.netsuite.journal
        self.calls += calls
        self.netsuite_throttled += netsuite.throttled
        return {"calls": calls, "sync_wall_s": wall, "netsuite_calls": netsuite.answered, "netsuite_slot_s": slot_s,
                "netsuite_throttled": netsuite.throttled}

    def _faults_on(self) -> list[FaultRule]:
        """Every fault of the catalog (harness/fault_catalog.py), each a rule of its own: the request
        faults together fire on the fault rate's share of requests, the webhook faults on that share of
        webhook deliveries."""
        return [self.world.faults.add(FaultRule(**fault.rule_fields(probability=self._share(faults))))
                for faults in (REQUEST_FAULTS, WEBHOOK_FAULTS) for fault in faults]

    def _share(self, faults: tuple[CatalogFault, ...]) -> float:
        # k rules firing independently at p each fire on 1 - (1 - p)^k of what they match: the rate asked
        return 1 - (1 - self.config.fault_rate) ** (1 / len(faults))

    def _run_workers(self) -> None:
        summaries: list[Any] = []
        failures: list[BaseException] = []
        if len(self.workers) == 1:
            summaries.append(self.workers[0].run_scheduled())
        else:
            start = threading.Barrier(len(self.workers))

            def run(worker: Any) -> None:
                try:
                    start.wait(timeout=60)
                    summaries.append(worker.run_scheduled())
                except BaseException as exc:   # reported below, in this thread
                    failures.append(exc)

            threads = [threading.Thread(target=run, args=(worker,)) for worker in self.workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if failures:
            raise RuntimeError(f"a connector worker's scheduled run crashed: {failures[0]!r}") from failures[0]
        for summary in summaries:
            self.errors.update(error_reason(failure.facts) for failure in summary.failures)

    def _open(self) -> int:
        ledger = self.world.connector.engine.ledger
        return sum(len(ledger.open_refunds(int(c.account.id), ledger.account(int(c.account.id)).direction))
                   for c in self.cells)

    def _converge(self) -> tuple[int, bool]:
        """Quiet runs (no faults) until nothing is open in the ledger; (runs made, whether it emptied)."""
        for run in range(1, MAX_QUIET_RUNS + 1):
            self._sync_run(faulty=False)
            self.progress("quiet runs", run, MAX_QUIET_RUNS)
            if not self._open():
                return run, True
        return MAX_QUIET_RUNS, False

    # --- counting -------------------------------------------------------------------------------
    def _count(self, elapsed: float) -> SoakResult:
        world = self.world
        lost = duplicated = mismatched = posted = 0
        mismatches: list[str] = []
        total = sum(len(c.orders) for c in self.cells)
        done = 0
        for cell in self.cells:
            rows: dict[str, list] = {}
            for row in world.connector.refunds(cell.account.id):   # read once, grouped by order
                rows.setdefault(row.order_id, []).append(row)
                posted += row.status == "posted"
            for order in cell.orders:
                result = world.reconcile(order, rows.get(order.placed.order_id, []), read_journal=False)
                storefront = len(cell.account.driver.refunds(order.placed))
                netsuite = len(world.netsuite_view.side(order))
                source, target = (storefront, netsuite) if cell.direction == TO_NETSUITE else (netsuite, storefront)
                lost += max(0, source - target)
                duplicated += max(0, target - source)
                if not result.matches:
                    mismatched += 1
                    if len(mismatches) < 10:
                        mismatches.append(result.describe())
                done += 1
                if done % 500 == 0:
                    self.progress("reconciling", done, total)
        return SoakResult(refunds=sum(c.made for c in self.cells), posted=posted, errors=dict(self.errors),
                          lost=lost, duplicated=duplicated, mismatched_orders=mismatched, elapsed_s=elapsed,
                          peak_rss_mb=peak_rss_mb(), calls=self.calls, netsuite_throttled=self.netsuite_throttled,
                          netsuite_peak_in_flight=world.netsuite.peak_in_flight, mismatches=mismatches)


def run_soak(config: SoakConfig, progress: Callable[[str, int, int], None] = lambda phase, done, total: None,
             workdir: Path | None = None) -> SoakResult:
    """Run one soak in a fresh World (in a temporary directory unless ``workdir`` is given)."""
    with tempfile.TemporaryDirectory(prefix="refund-soak-") as tmp:
        soak = Soak(config, Path(workdir or tmp), progress)
        try:
            return soak.run()
        finally:
            soak.close()
