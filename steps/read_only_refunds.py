"""Steps of the read-only-refunds rule (``@read_only_refunds``): a storefront whose API reads refunds
but cannot create them. No driver hook is needed: the refusal comes from the connector, which knows
from the storefront's adapter that refunds cannot be created there."""
from __future__ import annotations

from harness import seam
from harness.scenario import ScenarioWorld
from steps.vocabulary import when


@when("I try to turn on refund sync from NetSuite, which the storefront cannot take",
      "I try to turn on refund sync from NetSuite, which the storefront cannot take")
def try_from_netsuite_on_read_only(world: ScenarioWorld) -> None:
    """Click the Refund Sync button from NetSuite although the storefront offers no such direction; the
    connector must refuse it (a refusal is remembered for the Then steps)."""
    account = world.account
    if account.platform.capabilities.directions != (seam.TO_NETSUITE,):
        raise AssertionError(f"{account.platform.display_name} can take refunds from NetSuite; "
                             "tag the scenario @read_only_refunds")
    try:
        world.connector.enable_refund_sync(account.id, seam.FROM_NETSUITE)
    except seam.ActivationRefused as refusal:
        world.scenario.refusal = refusal
