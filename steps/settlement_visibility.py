"""Steps of the settlement-visibility rule (``@settlement_visibility``): a storefront whose API shows a
refund only once the settlement report that contains it has been generated.

The storefront's driver is a ``SettlementVisibilityDriver`` (harness/storefronts.py): it holds
settlement reports back and generates one on demand.
"""
from __future__ import annotations

from harness.scenario import ScenarioWorld
from harness.storefronts import SettlementVisibilityDriver, driver_with
from steps.vocabulary import given, when


@given("the storefront holds its settlement reports", "the storefront holds its settlement reports")
def hold_settlement_reports(world: ScenarioWorld) -> None:
    """Refunds made from now on stay out of the storefront's API until a settlement report includes them."""
    driver_with(world.account.driver, SettlementVisibilityDriver).hold_settlement_reports()


@when("the storefront generates the settlement report that contains the refund",
      "the storefront generates the settlement report that contains the refund")
def generate_settlement_report(world: ScenarioWorld) -> None:
    """The storefront closes the settlement period: the refunds made so far appear in its API."""
    released = driver_with(world.driver_of(world.order), SettlementVisibilityDriver).generate_settlement_report()
    if released < 1:
        raise AssertionError("the settlement report released no refund; make a refund in the storefront first")
