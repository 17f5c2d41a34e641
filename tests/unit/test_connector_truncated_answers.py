"""An answer cut short on its way (the fault plane's ``truncated``: a 2xx whose JSON does not parse) is
a transient failure like an answer that never came: the scheduled run goes on, and a later run syncs
the refund. Found by the exploration (harness/exploration.py): the connector recorded such a refund
as an error for a person to re-post, or crashed its scheduled run."""
from __future__ import annotations

import pytest

from harness import seam
from harness.platforms import platform
from harness.scenario import ScenarioWorld


@pytest.mark.parametrize("simulator", ["netsuite", "shopify"])
def test_a_truncated_answer_is_retried_and_the_refund_is_synced(tmp_path, simulator):
    world = ScenarioWorld(seed=3, workdir=tmp_path)
    try:
        account = world.connect(platform("shopify"))
        world.connector.activate_order_sync(account.id)
        test_order = world.place_order(account)
        world.sync(test_order)
        world.bill(test_order)
        world.connector.enable_refund_sync(account.id, seam.TO_NETSUITE)
        order = world.place_order(account)
        world.sync(order)
        world.bill(order)
        world.refund_at_storefront(order, whole_order=True)
        world.faults.add(action="truncated", simulator=simulator, times=1)

        world.run_schedule()   # meets the cut answer: must not crash
        world.run_schedule()   # the fault is spent: syncs the refund

        assert [entry.fault for entry in world.simulators()[simulator].journal.entries() if entry.fault]
        assert [row.status for row in world.refunds_of(order)] == [seam.POSTED]
        result = world.reconcile(order)
        assert result.matches, result.describe()
    finally:
        world.close()
