"""A stateful property: whatever merchants, NetSuite users, faults, workers and restarts do, in any
order, refund sync stays exactly-once and ends with both sides agreeing to the cent.

The machine and its oracle are ``harness.exploration`` (the certification runs the same machine once
per storefront x direction, features/exploration.feature). Here each example draws any registered
platform and connects an account for every refund direction it offers, against the shipped
connector; the oracle reads only the simulators. Because this is the shipped connector's own test,
it also holds its ledger to one row per source refund.

A failure prints the steps to replay it and a ``@reproduce_failure`` blob (profile ``print_blob``).
"""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from harness import seam
from harness.exploration import DUPLICATE, FAULT_NAMES, REFUSED, SOURCE, Budget, Exploration, \
    ExplorationFailed, broken, explore, machine_for
from harness.mutants import MUTANTS
from harness.platforms import platforms
from harness.scenario import ScenarioWorld
from tests.property_budget import PROFILE, examples

EVERY_PLATFORM = Exploration(platforms=tuple(p.name for p in platforms()),
                             build_world=lambda seed, workdir: ScenarioWorld(seed=seed, workdir=workdir))
STEPS = 60 if PROFILE == "thorough" else 30
FAULTS = FAULT_NAMES   # the catalog faults the machine draws (tests/unit/test_fault_catalog.py reads them)


class ShippedConnectorMachine(machine_for(EVERY_PLATFORM)):
    @invariant()
    def the_ledger_holds_each_source_refund_once(self) -> None:
        if self.world is None:
            return
        for tracked in self.orders:
            rows = [r for r in self.world.refunds_of(tracked.order) if r.status != seam.CANCELED]
            twice = [s for s, n in Counter(r.source_id for r in rows).items() if n > 1]
            broken(DUPLICATE, not twice, lambda: f"order {tracked.order.placed.order_id}: the connector recorded "
                   f"source refund(s) {twice} more than once")
            targets = [r.target_id for r in rows if r.target_id]
            broken(DUPLICATE, len(targets) == len(set(targets)),
                   lambda: f"order {tracked.order.placed.order_id}: two ledger rows name the same target {targets}")


TestRefundStateMachine = ShippedConnectorMachine.TestCase
TestRefundStateMachine.settings = settings(max_examples=examples(20), stateful_step_count=STEPS, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# The oracle can fail: deliberately broken connectors (harness/mutants), each caught by the invariant
# named, on a small fixed budget (derandomized and seeded, so the same examples every run; no shrinking).
CAUGHT_BY = [("loses_cents", SOURCE), ("posts_twice", REFUSED), ("drops_refund_lines", SOURCE)]


@pytest.mark.parametrize(("mutant", "invariant"), CAUGHT_BY, ids=[m for m, _ in CAUGHT_BY])
def test_the_machine_catches_a_broken_connector(mutant: str, invariant: str) -> None:
    broken_connector = Exploration(
        platforms=EVERY_PLATFORM.platforms,
        build_world=lambda seed, workdir: ScenarioWorld(seed=seed, workdir=workdir, connector_factory=MUTANTS[mutant].build))
    with pytest.raises(ExplorationFailed) as caught:
        explore(broken_connector, Budget(examples=30, steps=25), seed=1, shrink=False)
    assert caught.value.invariant == invariant, str(caught.value)
