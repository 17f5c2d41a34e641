"""Model-based exploration: merchants, NetSuite users, faults, racing workers and restarts act in a
random (seeded) order, and an oracle that reads only the simulators checks that no refund was lost,
duplicated or over-refunded.

One ``Exploration`` names what is explored: the platforms an example may draw, the refund directions
each example connects an account for, and how a World is built (which connector, which transport).
``machine_for`` turns it into a hypothesis ``RuleBasedStateMachine``; ``explore`` runs that machine
seeded and bounded, and fails with the seed and the shrunk failing steps. The certification runs one
exploration per storefront x direction (``features/exploration.feature``); the property test
``tests/property/test_refund_state_machine.py`` runs the same machine over every platform.

The oracle never asks the connector. After every step it reads both sides from the simulators:
- no refund without a source: the side refunds start on holds exactly the refunds the harness made
  there, and every refund on the other side is one of them, for the same total, tax, shipping and
  money on each line (where both sides tell them apart; from NetSuite, tax and line money as the
  storefront's own rounding prices them, ``reconcile.priced_by_the_storefront``), each at most once
  (no duplicates);
- never more than paid, on either side;
- the simulators' journals show no request over NetSuite's concurrency limit, no write a simulator
  refused for good (the harness never refunds more than an order has left, so every refund the
  connector carries over must be accepted), and no write sent again after such a refusal.
After a quiet run (faults cleared, webhooks delivered, the schedule run until both sides agree; also
at the end of every example) every source refund has its one counterpart, and ``harness.reconcile``
finds both sides equal per order to the cent, against what the order paid and what was asked.
"""
from __future__ import annotations

import tempfile
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

from hypothesis import HealthCheck, Phase, event, note, seed as hypothesis_seed, settings as Settings, strategies as st
from hypothesis.reporting import with_reporter
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from common import money
from harness import seam
from harness.directions import FROM_NETSUITE, TO_NETSUITE
from harness.fault_catalog import BY_NAME, TRANSIENT_FAULTS, actions_drawn
from harness.platforms import Platform, platform as find_platform
from harness.reconcile import OrderEvidence, SideRefund, priced_by_the_storefront, reconcile
from harness.storefronts import StorefrontRefundRequest
from harness.expected import OrderUnderTest, worth
from harness.scenario import AccountUnderTest, ScenarioWorld

SHRINK_SECONDS = 10    # how long a failure is shrunk before its steps are reported
QUIET_RUNS = 6          # scheduled runs a quiet period may take to settle (async refunds need a second look)
PICK = st.integers(min_value=0, max_value=255)   # which account / order / line: index modulo the count
REFUND_KINDS = ("full", "line", "partial", "amount")

# The faults the exploration draws: every transient fault of the one catalog the soak draws from too
# (harness/fault_catalog.py), which covers every request and webhook action of the fault plane.
FAULT_NAMES: tuple[str, ...] = tuple(fault.name for fault in TRANSIENT_FAULTS)
EXPLORATION_FAULT_ACTIONS: tuple[str, ...] = tuple(sorted(actions_drawn(TRANSIENT_FAULTS)))

# the invariants, as a failure names them
SOURCE = "no refund without a source"
DUPLICATE = "no duplicates"
OVER_PAID = "never more than paid"
CONCURRENCY = "never over NetSuite's concurrency limit"
REFUSED = "every refund accepted"
RESENT = "no final refusal re-sent"
QUIET = "quiet run matches"

WRITES = ("POST", "PUT", "PATCH", "DELETE")
RETRYABLE = (408, 409, 423, 425, 429)   # 4xx a client may send again; any other 4xx is a final refusal


class InvariantBroken(AssertionError):
    """One of the oracle's invariants does not hold; the message starts with its name."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"[{invariant}] {detail}")
        self.invariant = invariant


class ExplorationFailed(AssertionError):
    """An exploration found a sequence of steps that breaks an invariant (or crashes the connector)."""

    def __init__(self, message: str, invariant: str | None) -> None:
        super().__init__(message)
        self.invariant = invariant


def broken(invariant: str, holds: bool, detail: Any) -> None:
    if not holds:
        raise InvariantBroken(invariant, detail() if callable(detail) else detail)


WorldBuilder = Callable[[int, Path], ScenarioWorld]


@dataclass(frozen=True)
class Exploration:
    """What one exploration explores.

    ``platforms``: registry names an example draws from; ``directions``: the refund directions each
    example connects an account for (None: every direction the drawn platform offers);
    ``build_world(seed, workdir)``: a World with the connector under test; ``on_world_done``: called
    with each example's World after its final quiet run passed, before it is closed (evidence)."""

    platforms: tuple[str, ...]
    build_world: WorldBuilder
    directions: tuple[str, ...] | None = None
    on_world_done: Callable[[ScenarioWorld], None] | None = None


@dataclass(frozen=True)
class Budget:
    """How much an exploration draws: examples (fresh Worlds), each of up to ``steps`` rules."""

    examples: int
    steps: int


@dataclass
class Tracked:
    """An order and what the harness did to it on the side its account's refunds start from."""

    order: OrderUnderTest
    account: AccountUnderTest
    direction: str
    synced: bool = False
    # NetSuite refunds made by a NetSuite user: record id -> record type; and units/shipping refunded there
    netsuite_made: dict[str, str] = field(default_factory=dict)
    netsuite_units: dict[int, int] = field(default_factory=dict)
    netsuite_shipping: bool = False

    @property
    def billed(self) -> bool:
        return self.order.billed is not None

    @property
    def to_netsuite(self) -> bool:
        return self.direction == TO_NETSUITE


def _agree(source: SideRefund, target: SideRefund, by_line: bool, direction: str) -> bool:
    """The same refund on both sides: total, and tax, shipping, lines and each line's money wherever
    both sides tell them apart. From NetSuite, the storefront prices the refunded units itself: its tax and
    line money may carry its own rounding (``priced_by_the_storefront``)."""
    if source.total != target.total or source.currency != target.currency:
        return False
    if source.shipping is not None and target.shipping is not None and source.shipping != target.shipping:
        return False
    if by_line and sorted(source.lines) != sorted(target.lines):
        return False
    if direction == FROM_NETSUITE:
        return priced_by_the_storefront(source, target)
    if source.tax is not None and target.tax is not None and source.tax != target.tax:
        return False
    if by_line and source.line_values and target.line_values:
        return sorted(source.line_values) == sorted(target.line_values)
    return True


def pair_refunds(source: list[SideRefund], target: list[SideRefund], by_line: bool,
                 direction: str) -> dict[int, int]:
    """A largest pairing of target refunds to distinct source refunds they agree with (target index ->
    source index), by augmenting paths: refunds for the same money must not steal each other's match.
    ``direction``: the refunds' direction (from NetSuite, the source refunds are NetSuite's)."""
    matched: dict[int, int] = {}   # source index -> target index

    def place(t: int, seen: set[int]) -> bool:
        for s, candidate in enumerate(source):
            if s in seen or not _agree(candidate, target[t], by_line, direction):
                continue
            seen.add(s)
            if s not in matched or place(matched[s], seen):
                matched[s] = t
                return True
        return False

    for t in range(len(target)):
        place(t, set())
    return {t: s for s, t in matched.items()}


def _show(refund: SideRefund) -> str:
    parts = [f"{refund.id}: {refund.total} {refund.currency}"]
    if refund.tax is not None:
        parts.append(f"tax {refund.tax}")
    if refund.shipping is not None:
        parts.append(f"shipping {refund.shipping}")
    if refund.lines:
        parts.append(f"lines {list(refund.lines)}")
    return " ".join(parts)


class ExplorationMachine(RuleBasedStateMachine):
    """No rule has a precondition: whether a fault met the first or the second of two racing workers
    can change which orders synced, and a precondition on that makes hypothesis' replay flaky. A rule
    with nothing to act on does nothing. ``machine_for`` sets ``exploration``."""

    exploration: Exploration

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory(prefix="refund-exploration-")
        self.world: ScenarioWorld | None = None
        self.platform: Platform | None = None
        self.accounts: list[tuple[AccountUnderTest, str]] = []
        self.orders: list[Tracked] = []
        self.journal_seen: dict[str, int] = {}            # simulator -> journal entries already checked
        self.refused: dict[tuple[str, str, str, bytes], int] = {}   # final refusals: write -> status

    # --- set-up ------------------------------------------------------------------------------
    # one initialize rule: hypothesis runs several in no set order, and the orders need the accounts
    @initialize(platform=PICK, seed=st.integers(min_value=0, max_value=2**31 - 1),
                currencies=st.lists(PICK, min_size=1, max_size=2), units=st.integers(min_value=1, max_value=3))
    def start(self, platform: int, seed: int, currencies: list[int], units: int) -> None:
        """The World, an account per direction explored, and a billed order or two on each, so
        refunds can start at the first step."""
        self.platform = find_platform(self._pick(list(self.exploration.platforms), platform))
        note(f"platform {self.platform.name}, World seed {seed}")
        world = self.world = self.exploration.build_world(seed, Path(self.tmp.name))
        offered = self.platform.capabilities.directions
        directions = offered if self.exploration.directions is None else self.exploration.directions
        for direction in directions:
            if direction not in offered:
                raise ValueError(f"{self.platform.display_name} does not offer refund sync {direction}")
            account = world.connect(self.platform)
            # 429s come from the fault plane here: a platform's own throttle would also count the
            # harness's reads after every step (observer reads are exempt from faults, not from it)
            account.driver.lift_rate_limits()
            world.connector.activate_order_sync(account.id)
            test_order = world.place_order(account)   # activation wants a billed order synced before
            world.sync(test_order)
            world.bill(test_order)
            world.connector.enable_refund_sync(account.id, direction)
            self.accounts.append((account, direction))
        for account in range(len(self.accounts)):
            for currency in currencies:
                self.place_order(account, currency, units, "billed")

    def teardown(self) -> None:
        try:
            if self.world is not None:
                self._quiet_run_matches()   # every example ends with a quiet run
                if self.exploration.on_world_done is not None:
                    self.exploration.on_world_done(self.world)
        finally:
            if self.world is not None:
                self.world.close()
            self.tmp.cleanup()

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _pick(items: list, pick: int):
        return items[pick % len(items)]

    def _billed(self) -> list[Tracked]:
        return [t for t in self.orders if t.billed]

    def _sides(self, tracked: Tracked) -> tuple[list[SideRefund], list[SideRefund]]:
        """(refunds where the account's refunds start, refunds on the other side), read from the simulators."""
        storefront = self.world.driver_of(tracked.order).refunds(tracked.order.placed)
        netsuite = self.world.netsuite_view.side(tracked.order)
        return (storefront, netsuite) if tracked.to_netsuite else (netsuite, storefront)

    def _made(self, tracked: Tracked) -> set[str]:
        """The ids of the refunds the harness made where the account's refunds start."""
        return set(tracked.order.storefront_refund_ids) if tracked.to_netsuite else set(tracked.netsuite_made)

    def _left(self, tracked: Tracked) -> Decimal:
        source, _ = self._sides(tracked)
        return tracked.order.placed.total - money.total((r.total for r in source), tracked.order.placed.currency)

    def _units_left(self, tracked: Tracked) -> dict[int, int]:
        done = tracked.order.refunded_units if tracked.to_netsuite else tracked.netsuite_units
        return {n: line.quantity - done.get(n, 0) for n, line in enumerate(tracked.order.spec.lines, start=1)}

    def _shipping_left(self, tracked: Tracked) -> bool:
        done = tracked.order.shipping_refunded if tracked.to_netsuite else tracked.netsuite_shipping
        return tracked.order.spec.shipping > 0 and not done

    def _worth(self, tracked: Tracked, lines: dict[int, int], shipping: bool) -> Decimal:
        """What refunding these units (and the shipping) more gives back, with their tax."""
        done = dict(tracked.order.refunded_units if tracked.to_netsuite else tracked.netsuite_units)
        had_shipping = not self._shipping_left(tracked) and tracked.order.spec.shipping > 0
        after = {n: done.get(n, 0) + lines.get(n, 0) for n in set(done) | set(lines)}
        return (worth(tracked.order.spec, units=after, shipping=had_shipping or shipping)
                - worth(tracked.order.spec, units=done, shipping=had_shipping))

    # --- orders ------------------------------------------------------------------------------
    @rule(account=PICK, currency=PICK, units=st.integers(min_value=1, max_value=3),
          stage=st.sampled_from(("billed", "synced", "placed")))
    def place_order(self, account: int, currency: int, units: int, stage: str) -> None:
        """A paid order in the storefront, then (as far as ``stage``) synced and billed at once; the
        other rules sync and bill the orders left behind."""
        handle, direction = self._pick(self.accounts, account)
        cur = self._pick(list(self.platform.currencies), currency)
        tracked = Tracked(self.world.place_order(handle, currency=cur, quantity_first=units), handle, direction)
        self.orders.append(tracked)
        if stage != "placed":
            self._sync(tracked)
        if stage == "billed" and tracked.synced:
            self.world.bill(tracked.order)

    @rule(pick=PICK)
    def sync_order(self, pick: int) -> None:
        if unsynced := [t for t in self.orders if not t.synced]:
            self._sync(self._pick(unsynced, pick))

    def _sync(self, tracked: Tracked) -> None:
        try:
            self.world.sync(tracked.order)
        except seam.OrderSyncFailed as exc:   # a fault got in the way; the order is synced again later
            note(f"order sync failed: {exc}")
            return
        tracked.synced = True

    @rule(pick=PICK)
    def bill_order(self, pick: int) -> None:
        if unbilled := [t for t in self.orders if t.synced and not t.billed]:
            self.world.bill(self._pick(unbilled, pick).order)

    # --- refunds where they start --------------------------------------------------------------
    @rule(pick=PICK, kind=st.sampled_from(REFUND_KINDS), line=PICK, units=st.integers(min_value=1, max_value=3),
          shipping=st.booleans(), quarters=st.integers(min_value=1, max_value=2))
    def refund(self, pick: int, kind: str, line: int, units: int, shipping: bool, quarters: int) -> None:
        """A merchant (to NetSuite accounts) or a NetSuite user (from NetSuite accounts) refunds: the
        whole order, a line, some units, or (where the storefront takes one) an amount."""
        if not self._billed():
            return
        tracked = self._pick(self._billed(), pick)
        caps = tracked.account.platform.capabilities
        left = self._left(tracked)
        cur = tracked.order.placed.currency
        if kind == "amount":
            if not caps.amount_refunds:
                return
            amount = money.round_amount(left * quarters / 4, cur)
            if amount <= 0:
                return
            note(f"refund {amount} {cur} as an amount on order {tracked.order.placed.order_id}")
            if tracked.to_netsuite:
                self.world.storefront_refund(tracked.order, StorefrontRefundRequest(amount=amount))
            else:
                kind_, made = self.world.refund_in_netsuite(tracked.order, amount=amount)
                tracked.netsuite_made[made] = kind_
            return
        units_left = self._units_left(tracked)
        if kind == "full":
            chosen = {n: q for n, q in units_left.items() if q > 0}
            with_shipping = self._shipping_left(tracked)
        else:
            number = self._pick(sorted(units_left), line)
            quantity = units_left[number] if kind == "line" else min(units, units_left[number])
            chosen = {number: quantity} if quantity > 0 else {}
            with_shipping = shipping and self._shipping_left(tracked)
        worth = self._worth(tracked, chosen, with_shipping)
        if worth <= 0 or worth > left:
            return   # nothing left to refund, or amounts refunded before left too little money for it
        untouched = not self._made(tracked)
        whole = kind == "full" and untouched and not tracked.order.adjusted
        note(f"refund {kind} {chosen} shipping={with_shipping} whole={whole} ({worth} {cur}) "
             f"on order {tracked.order.placed.order_id}")
        if tracked.to_netsuite:
            self.world.refund_at_storefront(tracked.order, lines=() if whole else tuple(sorted(chosen.items())),
                                            shipping=with_shipping and not whole, whole_order=whole, as_amount=True)
        else:
            if whole:
                kind_, made = self.world.refund_in_netsuite(tracked.order, whole=True)
            else:
                kind_, made = self.world.refund_in_netsuite(tracked.order, lines=tuple(sorted(chosen.items())),
                                                             shipping=with_shipping)
            tracked.netsuite_made[made] = kind_
            for n, q in chosen.items():
                tracked.netsuite_units[n] = tracked.netsuite_units.get(n, 0) + q
            tracked.netsuite_shipping = tracked.netsuite_shipping or with_shipping

    @rule(pick=PICK, kind=st.sampled_from(REFUND_KINDS), line=PICK, units=st.integers(min_value=1, max_value=3),
          shipping=st.booleans(), quarters=st.integers(min_value=1, max_value=2), two_workers=st.booleans())
    def refund_then_run_schedule(self, pick: int, kind: str, line: int, units: int, shipping: bool, quarters: int,
                                 two_workers: bool) -> None:
        """A refund, and the schedule comes round (by one worker or two) before anything else happens."""
        self.refund(pick, kind, line, units, shipping, quarters)
        if two_workers:
            self.run_schedule_in_two_workers()
        else:
            self.run_schedule()

    # --- faults ------------------------------------------------------------------------------
    @rule(on_netsuite=st.booleans(), account=PICK, operation=PICK, fault=st.sampled_from(FAULT_NAMES),
          times=st.integers(min_value=1, max_value=3))
    def fault(self, on_netsuite: bool, account: int, operation: int, fault: str, times: int) -> None:
        """A transient fault of the catalog on the next request(s) of one operation (or of any kind),
        NetSuite's or the storefront's, or on the next webhook delivery(ies) of one store."""
        drawn = BY_NAME[fault]
        handle, _ = self._pick(self.accounts, account)
        if drawn.on_webhooks:   # NetSuite sends no webhooks: a webhook fault is the store's
            scope: dict[str, Any] = {"simulator": handle.platform.name, "tenant": handle.driver.account_store()}
            targets = {name: t for name, t in handle.platform.fault_targets.items() if t.topic}
        elif on_netsuite:
            scope = {"simulator": "netsuite"}
            targets = dict(self.world.netsuite.fault_targets)
        else:
            scope = {"simulator": handle.platform.name, "tenant": handle.driver.account_store()}
            targets = {name: t for name, t in handle.platform.fault_targets.items() if not t.topic}
        name = self._pick([None, *sorted(targets)], operation)
        if name is not None:
            scope.update(targets[name].scope())
        added = self.world.faults.add(**drawn.rule_fields(times=times, **scope))
        note(f"fault {added.describe()} on {scope['simulator']} {name or 'any'} x{times}")

    @rule(pick=PICK, kind=st.sampled_from(REFUND_KINDS), line=PICK, units=st.integers(min_value=1, max_value=3),
          shipping=st.booleans(), quarters=st.integers(min_value=1, max_value=2), on_netsuite=st.booleans(),
          account=PICK, operation=PICK, fault=st.sampled_from(FAULT_NAMES), times=st.integers(min_value=1, max_value=3),
          two_workers=st.booleans())
    def refund_under_fault(self, pick: int, kind: str, line: int, units: int, shipping: bool, quarters: int,
                           on_netsuite: bool, account: int, operation: int, fault: str, times: int,
                           two_workers: bool) -> None:
        """A fault is set, a refund is made and the schedule comes round into it: the fault meets the
        refund's own sync far more often than when the three are drawn apart."""
        self.fault(on_netsuite, account, operation, fault, times)
        self.refund_then_run_schedule(pick, kind, line, units, shipping, quarters, two_workers)

    @rule()
    def clear_faults(self) -> None:
        self.world.faults.clear()

    # --- the connector ---------------------------------------------------------------------------
    @rule()
    def run_schedule(self) -> None:
        self.world.run_schedule()

    @rule()
    def run_schedule_in_two_workers(self) -> None:
        self.world.run_schedule_in_two_workers()

    @rule()
    def deliver_webhooks(self) -> None:
        self.world.deliver_webhooks()

    @rule()
    def restart_connector(self) -> None:
        """The connector process stops and starts again over the same work directory."""
        self.world.restart_connector()

    @rule()
    def quiet_run(self) -> None:
        self._quiet_run_matches()

    # --- the oracle: both sides, from the simulators ------------------------------------------
    @invariant()
    def nothing_lost_duplicated_or_over_refunded(self) -> None:
        if self.world is None:
            return
        self._check_journals()
        for tracked in self.orders:
            source, target = self._sides(tracked)
            if not tracked.billed:
                broken(SOURCE, not source and not target,
                       f"order {tracked.order.placed.order_id} is not billed but has refunds")
                continue
            event(f"refunds per order: {len(source)} made, {len(target)} synced")
            self._check_sources(tracked, source, target)
            paid, cur = tracked.order.placed.total, tracked.order.placed.currency
            for side, refunds in (("source", source), ("target", target)):
                total = money.total((r.total for r in refunds), cur)
                broken(OVER_PAID, total <= paid,
                       f"order {tracked.order.placed.order_id}: the {side} side refunded {total} {cur}, "
                       f"more than the {paid} {cur} paid")

    def _check_sources(self, tracked: Tracked, source: list[SideRefund], target: list[SideRefund]) -> dict[int, int]:
        order_id = tracked.order.placed.order_id
        made, listed = self._made(tracked), {r.id for r in source}
        where = "the storefront" if tracked.to_netsuite else "NetSuite"
        broken(SOURCE, listed <= made, lambda: f"order {order_id} ({tracked.direction}): {where} has refunds "
               f"nobody made there: {sorted(listed - made)}")
        broken(SOURCE, made <= listed, lambda: f"order {order_id}: refunds made in {where} are gone: "
               f"{sorted(made - listed)}")
        # each refund on the other side is one source refund, for the same money, at most once
        pairs = pair_refunds(source, target, tracked.account.platform.capabilities.line_items, tracked.direction)
        unpaired = [target[t] for t in range(len(target)) if t not in pairs]
        broken(DUPLICATE if len(target) > len(source) else SOURCE, not unpaired,
               lambda: f"order {order_id} ({tracked.direction}): refund(s) on the other side "
                       f"[{'; '.join(map(_show, unpaired))}] are no source refund (source refunds "
                       f"[{'; '.join(map(_show, source))}], other side [{'; '.join(map(_show, target))}])")
        return pairs

    def _check_journals(self) -> None:
        """The requests the simulators answered since the last look: none over NetSuite's concurrency
        limit, no write refused for good, and no write sent again after a final refusal."""
        for name, simulator in self.world.simulators().items():
            entries = simulator.journal.entries()
            new, self.journal_seen[name] = entries[self.journal_seen.get(name, 0):], len(entries)
            for entry in new:
                if entry.fault:
                    continue   # the fault plane answered, not the simulator
                if name == "netsuite":
                    broken(CONCURRENCY, entry.status != 429,
                           lambda: f"NetSuite refused {entry.method} {entry.path} over its concurrency limit "
                                   f"(429 at {entry.at.isoformat()}): the connector sent more requests at once "
                                   "than the account allows")
                if entry.method not in WRITES:
                    continue
                key = (name, entry.method, entry.path, entry.request_body)
                before = self.refused.get(key)
                broken(RESENT, before is None,
                       lambda: f"{name} refused {entry.method} {entry.path} for good ({before}), and the connector "
                               f"sent it again (answered {entry.status}): {entry.request_body[:300]!r}")
                if 400 <= entry.status < 500 and entry.status not in RETRYABLE:
                    self.refused[key] = entry.status
                    broken(REFUSED, False,
                           lambda: f"{name} refused {entry.method} {entry.path} with {entry.status}: "
                                   f"{entry.response_body[:300]!r} (request {entry.request_body[:300]!r}); "
                                   "no refund the harness made takes an order past what it paid")

    # --- a quiet run -------------------------------------------------------------------------
    def _reconciled(self, tracked: Tracked):
        """Both sides of the order, reconciled from the simulators alone (nothing the connector recorded)."""
        order, account = tracked.order, tracked.account
        return reconcile(OrderEvidence(
            order_id=order.placed.order_id, platform=account.platform.display_name, direction=tracked.direction,
            currency=order.placed.currency, line_items=account.platform.capabilities.line_items,
            storefront=tuple(account.driver.refunds(order.placed)), netsuite=tuple(self.world.netsuite_view.side(order)),
            sent_tax=self.world.netsuite_view.tax_sent(order), paid=order.placed.total,
            fully_refunded=order.fully_refunded, asked=tuple(order.asked.items())))

    def _settled(self) -> bool:
        for tracked in self._billed():
            source, target = self._sides(tracked)
            if len(source) != len(target) or not self._reconciled(tracked).matches:
                return False
        return True

    def _quiet_run_matches(self) -> None:
        world = self.world
        world.faults.clear()
        for _ in range(QUIET_RUNS):
            world.deliver_webhooks()
            world.run_schedule()
            if self._settled():
                break
        self.nothing_lost_duplicated_or_over_refunded()   # the named safety invariants first: they say more
        for tracked in self._billed():
            order_id = tracked.order.placed.order_id
            source, target = self._sides(tracked)
            pairs = self._check_sources(tracked, source, target)
            lost = [source[s] for s in range(len(source)) if s not in pairs.values()]
            broken(QUIET, not lost, lambda: f"order {order_id} ({tracked.direction}): after a quiet run refund(s) "
                   f"[{'; '.join(map(_show, lost))}] have no counterpart on the other side "
                   f"[{'; '.join(map(_show, target))}]")
            result = self._reconciled(tracked)
            broken(QUIET, result.matches, result.describe)


def machine_for(exploration: Exploration) -> type[ExplorationMachine]:
    return type("ExplorationMachine", (ExplorationMachine,), {"exploration": exploration})


def exploration_settings(budget: Budget, *, shrink: bool = True) -> Settings:
    """Derandomized (the seed decides everything), no example database (nothing from earlier runs
    replays), a fixed number of examples and steps."""
    phases = [Phase.generate, Phase.shrink] if shrink else [Phase.generate]
    return Settings(max_examples=budget.examples, stateful_step_count=budget.steps, deadline=None,
                    database=None, derandomize=True, phases=phases, print_blob=False, report_multiple_bugs=False,
                    suppress_health_check=list(HealthCheck))


@contextmanager
def _shrinking_bounded(seconds: float) -> Iterator[None]:
    """Hypothesis shrinks a failure for up to five minutes; an example here costs a fresh World and its
    steps, so a broken connector failing every row would take hours. Its own limit, lowered while this
    exploration runs (one test at a time per process, so nothing else sees it)."""
    from hypothesis.internal.conjecture import engine

    if not isinstance(getattr(engine, "MAX_SHRINKING_SECONDS", None), (int, float)):
        raise RuntimeError("this hypothesis has no engine.MAX_SHRINKING_SECONDS to bound shrinking with; "
                           "update harness/exploration.py for it")
    before = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = before


def explore(exploration: Exploration, budget: Budget, seed: int, *, shrink: bool = True) -> None:
    """Run the machine for ``budget`` from ``seed``. A failure raises ``ExplorationFailed`` whose message
    holds the seed, the broken invariant and the steps that break it, shrunk for at most
    ``SHRINK_SECONDS`` (the verdict does not depend on it; how short the steps get can)."""
    machine = hypothesis_seed(seed)(machine_for(exploration))
    printed: list[str] = []
    try:
        with with_reporter(printed.append), _shrinking_bounded(SHRINK_SECONDS):
            run_state_machine_as_test(machine, settings=exploration_settings(budget, shrink=shrink))
    except Exception as exc:   # any failure: an invariant, or the connector or a World step crashing
        message = _failure_message(exc, printed, budget, seed, shrink)
        found = [exc, *getattr(exc, "exceptions", ())]   # a flaky failure groups what each try raised
        invariant = next((e.invariant for e in found if isinstance(e, InvariantBroken)), None)
        raise ExplorationFailed(message, invariant) from None


_HYPOTHESIS_SHRINK_WARNING = "stopped because it is making very slow progress"


def _failure_message(exc: Exception, printed: list[str], budget: Budget, seed: int, shrink: bool) -> str:
    """The seed, what broke (with where, for a crash) and the steps hypothesis printed for the failing
    example, without the invariant checks between them."""
    lines: list[str] = []
    stopped = False
    for block in [*printed, *getattr(exc, "__notes__", [])]:
        if _HYPOTHESIS_SHRINK_WARNING in block or block.startswith("PLEASE REPORT THIS"):
            stopped = True   # its own words name its own five-minute limit, not the one set here
            continue
        lines += [line for line in block.splitlines()
                  if line.strip() and line.strip() != "state.nothing_lost_duplicated_or_over_refunded()"]
    where = ""
    if isinstance(exc, BaseExceptionGroup):
        # hypothesis could not make the failure happen again when it replayed the example: two racing
        # workers can fail one run and not the next
        where = "".join(f"\n  - {type(e).__name__}: {e}" for e in exc.exceptions)
    elif not isinstance(exc, InvariantBroken):
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
        where = "\n" + "".join(frames[-6:]).rstrip()
    shrunk = ("not shrunk" if not shrink else "shrunk" if not stopped
              else f"shrunk for at most {SHRINK_SECONDS}s, not to the end: some steps may not be needed")
    steps = "\n".join(lines) or ("(none printed: replaying the failing example did not fail the same way, "
                                  "so hypothesis had no steps to show)")
    return (f"exploration (seed {seed}, {budget.examples} example(s) x {budget.steps} step(s)) failed: "
            f"{type(exc).__name__}: {exc}{where}\nsteps that break it ({shrunk}):\n{steps}")
