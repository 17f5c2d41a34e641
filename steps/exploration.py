"""Exploration: the merchant, NetSuite users, faults, racing workers and restarts act in a seeded random
order on one storefront and direction, and an oracle reading only the simulators judges the result
(harness/exploration.py)."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from pathlib import Path

from harness.exploration import Budget, Exploration, ExplorationFailed, explore
from harness.scenario import ScenarioWorld
from steps.vocabulary import then, when


@dataclass
class Explored:
    budget: Budget
    seed: int
    failure: ExplorationFailed | None = None


@when("the merchant, NetSuite users and faults act at random for {steps:d} steps, {runs:Times} from "
      "fresh stores (seeded)",
      "the merchant, NetSuite users and faults act at random for 12 steps, 3 times from fresh stores (seeded)",
      target_fixture="explored")
def act_at_random(world: ScenarioWorld, storefront: str, direction_under_test: str, tmp_path: Path,
                  steps: int, runs: int) -> Explored:
    """Each time, a fresh World with the connector under test and an account for the storefront and
    direction under test; then up to N random steps (orders, refunds of every kind, faults of every
    kind in harness/fault_catalog.py, one or two workers, webhooks, restarts, quiet runs), seeded by the scenario's seed."""
    if runs < 1 or steps < 1:
        raise ValueError(f"an exploration needs at least 1 time and 1 step, not {runs} time(s) of {steps} step(s)")
    explored = Explored(Budget(examples=runs, steps=steps), seed=world.seed)
    worlds = count(1)

    def build_world(seed: int, _workdir: Path) -> ScenarioWorld:
        # each example's connector keeps its files under the scenario's own directory, to inspect on failure
        return world.sibling(seed, tmp_path / f"explored-{next(worlds)}")

    exploration = Exploration(platforms=(storefront,), directions=(direction_under_test,), build_world=build_world,
                              on_world_done=lambda done: world.include_evidence(done.evidence()))
    try:
        explore(exploration, explored.budget, explored.seed)
    except ExplorationFailed as failure:
        explored.failure = failure
    return explored


@then("nothing was lost, duplicated or over-refunded", "nothing was lost, duplicated or over-refunded")
def nothing_lost(explored: Explored) -> None:
    """Every refund the random steps made reached the other side once, to the cent of its tax, shipping
    and lines, nothing was refunded past what an order paid, and no request broke NetSuite's limit."""
    if explored.failure is not None:
        raise explored.failure
