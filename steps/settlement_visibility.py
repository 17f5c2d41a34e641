"""Steps of the settlement-visibility rule (``@settlement_visibility``): a storefront whose API shows a
refund only once the settlement report that contains it has been generated.

Driver hooks a platform declaring ``settlement_visibility`` provides:
- ``hold_settlement_reports()``: refunds made from now on wait for a settlement report before the
  storefront's API shows them (by default a driver releases each refund at once, so scenarios that
  are not about this rule see refunds as soon as they are made);
- ``generate_settlement_report() -> int``: the storefront closes the settlement period; every refund
  made so far is released to its API. Returns how many refunds it released.
"""
from __future__ import annotations

from harness.scenario import ScenarioWorld
from steps.vocabulary import given, when


@given("the storefront holds its settlement reports", "the storefront holds its settlement reports")
def hold_settlement_reports(world: ScenarioWorld) -> None:
    """Refunds made from now on stay out of the storefront's API until a settlement report includes them."""
    world.account.driver.hold_settlement_reports()


@when("the storefront generates the settlement report that contains the refund",
      "the storefront generates the settlement report that contains the refund")
def generate_settlement_report(world: ScenarioWorld) -> None:
    """The storefront closes the settlement period: the refunds made so far appear in its API."""
    released = world.driver_of(world.order).generate_settlement_report()
    if released < 1:
        raise AssertionError("the settlement report released no refund; make a refund in the storefront first")
