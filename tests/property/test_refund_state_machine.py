"""A stateful property: whatever merchants, NetSuite users, faults, workers and restarts do, in any
order, refund sync stays exactly-once and ends with both sides agreeing to the cent.

Each example is one World (simulators and a connector, through HTTP) with one registered platform and
one connector account for each refund direction the platform offers. Hypothesis interleaves:
placing, syncing and billing orders; refunds where each account's refunds start (full, by line,
partial, amount-only, as far as the platform's capabilities allow); every transient fault of
harness/fault_catalog.py through the fault plane (429, 5xx, latency, timeouts, resets, lost and
truncated answers on NetSuite and on the storefront; webhooks sent twice, out of order or never);
scheduled runs by one worker or two racing; webhook deliveries; connector restarts over the same
ledger file; and quiet runs.

Invariants, after every step:
- no refund without a source: the side refunds start on holds exactly the refunds the harness made
  there, and every refund on the other side matches one of them, each at most once (no duplicates),
  to the cent;
- the connector's ledger holds each source refund at most once, and no two rows share a target;
- cumulative refunds never exceed what the order paid, on either side.
After a quiet run (faults cleared, the schedule run until idle; also at the end of every example):
- every ledger row is posted and traces to a refund the harness made, every refund on the other side
  is a posted row's target, and each refund pushed to the storefront carries the connector's marker
  naming its NetSuite source;
- both sides match per order to the cent (harness/reconcile.py).

A failure prints the steps to replay it and a ``@reproduce_failure`` blob (profile ``print_blob``).
"""
from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, note, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from common import money
from harness import seam
from harness.directions import TO_NETSUITE
from harness.fault_catalog import BY_NAME, TRANSIENT_FAULTS
from harness.mutants import MUTANTS
from harness.platforms import Platform, platform as find_platform, platforms
from harness.reconcile import SideRefund
from harness.storefronts import StorefrontRefundRequest
from harness.world import WEBHOOK_HOST, AccountUnderTest, OrderUnderTest, World
from tests.property_budget import PROFILE, examples

PLATFORMS = [p.name for p in platforms()]
# how the connector marks a refund it pushed to a storefront: "[netsuite:<its tranId>:<its record id>]"
MARKER = r"\[netsuite:[^\]\[]*:{id}\]"
QUIET_RUNS = 6          # scheduled runs a quiet period may take to settle (async refunds need a second look)
PICK = st.integers(min_value=0, max_value=255)   # which account / order / line: index modulo the count
REFUND_KINDS = ("full", "line", "partial", "amount")
FAULTS = tuple(fault.name for fault in TRANSIENT_FAULTS)   # every transient fault of the one catalog

STEPS = 60 if PROFILE == "thorough" else 30
SETTINGS = settings(max_examples=examples(20), stateful_step_count=STEPS, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class InvariantBroken(AssertionError):
    """One of the machine's invariants does not hold; the message starts with its name."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"[{invariant}] {detail}")
        self.invariant = invariant


def broken(invariant: str, holds: bool, detail) -> None:
    if not holds:
        raise InvariantBroken(invariant, detail() if callable(detail) else detail)


# the invariants, as a failure names them
SOURCE = "no refund without a source"
DUPLICATE = "no duplicates"
OVER_PAID = "never more than paid"
QUIET = "quiet run matches"


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


class RefundMachine(RuleBasedStateMachine):
    """No rule has a precondition: whether a fault met the first or the second of two racing workers
    can change which orders synced, and a precondition on that makes hypothesis' replay flaky. A rule
    with nothing to act on does nothing."""

    connector_factory: seam.ConnectorFactory | None = None   # None: the reference connector

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory(prefix="refund-machine-")
        self.world: World | None = None
        self.platform: Platform | None = None
        self.accounts: list[tuple[AccountUnderTest, str]] = []
        self.orders: list[Tracked] = []

    # --- set-up ------------------------------------------------------------------------------
    # one initialize rule: hypothesis runs several in no set order, and the orders need the accounts
    @initialize(platform=st.sampled_from(PLATFORMS), seed=st.integers(min_value=0, max_value=2**31 - 1),
                currencies=st.lists(PICK, min_size=1, max_size=2), units=st.integers(min_value=1, max_value=3))
    def start(self, platform: str, seed: int, currencies: list[int], units: int) -> None:
        """The World, an account per direction the platform offers, and a billed order or two on each,
        so refunds can start at the first step."""
        self.platform = find_platform(platform)
        world = self.world = World(seed=seed, workdir=Path(self.tmp.name), connector_factory=self.connector_factory)
        # webhooks reach whichever connector is running now, also after a restart
        world.router.route(host=WEBHOOK_HOST).mock(side_effect=lambda request: world.connector.handle_webhook(request))
        for direction in self.platform.capabilities.directions:   # an account per direction it offers
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
        finally:
            if self.world is not None:
                self.world.close()
            self.tmp.cleanup()

    # --- helpers -----------------------------------------------------------------------------
    def _pick(self, items: list, pick: int):
        return items[pick % len(items)]

    def _billed(self) -> list[Tracked]:
        return [t for t in self.orders if t.billed]

    def _sides(self, tracked: Tracked) -> tuple[list[SideRefund], list[SideRefund]]:
        """(refunds where the account's refunds start, refunds on the other side), read from the simulators."""
        storefront = self.world.driver_of(tracked.order).refunds(tracked.order.placed)
        netsuite = self.world.netsuite_side(tracked.order)
        return (storefront, netsuite) if tracked.to_netsuite else (netsuite, storefront)

    def _made(self, tracked: Tracked) -> set[str]:
        """The ids of the refunds the harness made where the account's refunds start."""
        return set(tracked.order.storefront_refund_ids) if tracked.to_netsuite else set(tracked.netsuite_made)

    def _refunded(self, tracked: Tracked) -> Decimal:
        source, _ = self._sides(tracked)
        return money.total((r.total for r in source), tracked.order.placed.currency)

    def _left(self, tracked: Tracked) -> Decimal:
        return tracked.order.placed.total - self._refunded(tracked)

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
        return (World.value_of(tracked.order, units=after, shipping=had_shipping or shipping)
                - World.value_of(tracked.order, units=done, shipping=had_shipping))

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
        """A merchant (to NetSuite accounts) or a NetSuite user (from NetSuite accounts) refunds."""
        if not self._billed():
            return
        tracked = self._pick(self._billed(), pick)
        caps = tracked.account.platform.capabilities
        left = self._left(tracked)
        cur = tracked.order.placed.currency
        if kind == "amount":
            if not caps.amount_only:
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
    @rule(on_netsuite=st.booleans(), account=PICK, operation=PICK, action=st.sampled_from(FAULTS),
          times=st.integers(min_value=1, max_value=3))
    def fault(self, on_netsuite: bool, account: int, operation: int, action: str, times: int) -> None:
        """A transient fault of the catalog (harness/fault_catalog.py) on the next request(s) of one
        operation (or of any kind), or on the next webhook delivery(ies) of one store."""
        fault = BY_NAME[action]
        handle, _ = self._pick(self.accounts, account)
        if fault.on_webhooks:   # NetSuite sends no webhooks: a webhook fault is the store's
            scope: dict = {"simulator": handle.platform.name, "tenant": handle.driver.account_store()}
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
        rule_ = self.world.faults.add(**fault.rule_fields(times=times, **scope))
        note(f"fault {rule_.describe()} on {scope['simulator']} {name or 'any'} x{times}")

    @rule(pick=PICK, kind=st.sampled_from(REFUND_KINDS), line=PICK, units=st.integers(min_value=1, max_value=3),
          shipping=st.booleans(), quarters=st.integers(min_value=1, max_value=2), on_netsuite=st.booleans(),
          account=PICK, operation=PICK, action=st.sampled_from(FAULTS), times=st.integers(min_value=1, max_value=3),
          two_workers=st.booleans())
    def refund_under_fault(self, pick: int, kind: str, line: int, units: int, shipping: bool, quarters: int,
                           on_netsuite: bool, account: int, operation: int, action: str, times: int,
                           two_workers: bool) -> None:
        """A fault is set, a refund is made and the schedule comes round into it: the fault meets the
        refund's own sync far more often than when the three are drawn apart."""
        self.fault(on_netsuite, account, operation, action, times)
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
        """The connector process stops and starts again over the same ledger file."""
        world = self.world
        world.connector.close()
        world.connector = world._build_connector()

    @rule()
    def quiet_run(self) -> None:
        self._quiet_run_matches()

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def refunds_have_sources_and_no_duplicates(self) -> None:
        if self.world is None:
            return
        for tracked in self.orders:
            source, target = self._sides(tracked)
            if not tracked.billed:
                broken(SOURCE, not source and not target,
                       f"order {tracked.order.placed.order_id} is not billed but has refunds")
                continue
            event(f"refunds per order: {len(source)} made, {len(target)} synced")
            self._check_sources(tracked, source, target)
            self._check_ledger(tracked)
            paid, cur = tracked.order.placed.total, tracked.order.placed.currency
            for side, refunds in (("source", source), ("target", target)):
                total = money.total((r.total for r in refunds), cur)
                broken(OVER_PAID, total <= paid,
                       f"order {tracked.order.placed.order_id}: the {side} side refunded {total} {cur}, "
                       f"more than the {paid} {cur} paid")

    def _check_sources(self, tracked: Tracked, source: list[SideRefund], target: list[SideRefund]) -> None:
        order_id = tracked.order.placed.order_id
        made, listed = self._made(tracked), {r.id for r in source}
        where = "the storefront" if tracked.to_netsuite else "NetSuite"
        broken(SOURCE, listed <= made, lambda: f"order {order_id} ({tracked.direction}): {where} has refunds "
               f"nobody made there: {sorted(listed - made)}")
        broken(SOURCE, made <= listed, lambda: f"order {order_id}: refunds made in {where} are gone: "
               f"{sorted(made - listed)}")
        # each refund on the other side is one source refund, for the same money, at most once
        spare = Counter(r.total for r in source) - Counter(r.total for r in target)
        extra = Counter(r.total for r in target) - Counter(r.total for r in source)
        broken(DUPLICATE if len(target) > len(source) else SOURCE, not extra,
               lambda: f"order {order_id} ({tracked.direction}): {sorted(map(str, extra.elements()))} refunded on "
                       f"the other side match no source refund (source refunds {[str(r.total) for r in source]}, "
                       f"other side {[str(r.total) for r in target]}; unmatched sources {dict(spare)})")

    def _rows(self, tracked: Tracked) -> list[seam.RefundView]:
        return [r for r in self.world.refunds_of(tracked.order) if r.status != seam.CANCELED]

    def _check_ledger(self, tracked: Tracked) -> None:
        rows = self._rows(tracked)
        order_id = tracked.order.placed.order_id
        twice = [s for s, n in Counter(r.source_id for r in rows).items() if n > 1]
        broken(DUPLICATE, not twice, lambda: f"order {order_id}: the connector recorded source refund(s) "
               f"{twice} more than once")
        targets = [r.target_id for r in rows if r.target_id]
        broken(DUPLICATE, len(targets) == len(set(targets)),
               lambda: f"order {order_id}: two ledger rows name the same target {targets}")

    # --- a quiet run -------------------------------------------------------------------------
    def _settled(self) -> bool:
        for tracked in self._billed():
            if any(r.status != seam.POSTED for r in self._rows(tracked)):
                return False
            if not self.world.reconcile(tracked.order).matches:
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
        self.refunds_have_sources_and_no_duplicates()   # the named safety invariants first: they say more
        for tracked in self._billed():
            order_id = tracked.order.placed.order_id
            rows = self._rows(tracked)
            broken(QUIET, all(r.status == seam.POSTED for r in rows),
                   lambda: f"order {order_id}: after a quiet run refunds are not posted: "
                           f"{[(r.source_id, r.status, r.error) for r in rows if r.status != seam.POSTED]}")
            source, target = self._sides(tracked)
            made = self._made(tracked)
            broken(SOURCE, all(r.source_id in made for r in rows),
                   lambda: f"order {order_id}: the connector posted refunds nobody made: "
                           f"{[r.source_id for r in rows if r.source_id not in made]}")
            by_target = {r.target_id: r for r in rows if r.target_id}
            unknown = [r.id for r in target if r.id not in by_target]
            broken(SOURCE, not unknown or all(r.target_id is None for r in rows),
                   lambda: f"order {order_id} ({tracked.direction}): refunds {unknown} on the other side are "
                           f"no posted refund's target (targets {sorted(by_target)})")
            if not tracked.to_netsuite:
                self._check_markers(tracked, target, by_target)
            result = world.reconcile(tracked.order)
            broken(QUIET, result.matches, result.describe)

    def _check_markers(self, tracked: Tracked, pushed: list[SideRefund], by_target: dict) -> None:
        """Each refund pushed to the storefront went with the marker naming its NetSuite source."""
        bodies = [entry.request_body.decode("utf-8", "replace")
                  for name, simulator in self.world.simulators().items()
                  if re.fullmatch(rf"{re.escape(tracked.account.platform.name)}(-\d+)?", name)
                  for entry in simulator.journal.entries() if entry.method in ("POST", "PUT")]
        for refund in pushed:
            row = by_target.get(refund.id)
            if row is None:
                continue   # no target ids shown: traced by amount above
            marker = MARKER.format(id=re.escape(row.source_id))
            broken(SOURCE, any(re.search(marker, body) for body in bodies),
                   f"order {tracked.order.placed.order_id}: storefront refund {refund.id} was pushed without "
                   f"the marker {marker} of its NetSuite source")


TestRefundStateMachine = RefundMachine.TestCase
TestRefundStateMachine.settings = SETTINGS


# The machine can fail: deliberately broken connectors (harness/mutants), each caught by the invariant
# named, on a small fixed budget (derandomized, so the same examples every run; no shrinking).
CAUGHT_BY = [("loses_cents", SOURCE), ("push_without_marker", SOURCE), ("drops_refund_lines", QUIET)]


@pytest.mark.parametrize(("mutant", "invariant"), CAUGHT_BY, ids=[m for m, _ in CAUGHT_BY])
def test_the_machine_catches_a_broken_connector(mutant: str, invariant: str) -> None:
    class Broken(RefundMachine):
        connector_factory = staticmethod(MUTANTS[mutant].build)

    with pytest.raises(InvariantBroken) as caught:
        run_state_machine_as_test(Broken, settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None, database=None, derandomize=True,
            phases=[Phase.generate], print_blob=False, suppress_health_check=list(HealthCheck)))
    assert caught.value.invariant == invariant, str(caught.value)
