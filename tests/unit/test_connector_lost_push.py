"""A refund pushed to a storefront that never returns the push marker (eBay), whose answer was lost:
any worker of the connector, and the same worker after a restart, recognises the refund that push
made from what the ledger kept before it was sent, and never sends it again. Found by the
exploration (harness/exploration.py): a second worker over the same ledger re-sent the push, and
eBay refused it ("This order was already refunded"); a partial refund would have gone back twice."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from harness import seam
from harness.platforms import platform
from harness.expected import OrderUnderTest
from harness.scenario import ScenarioWorld

PLATFORM = "ebay"


def _pushes(world: ScenarioWorld) -> int:
    return world.requests_to(PLATFORM, platform(PLATFORM).fault_targets["create refund"])


def _synced_order(world: ScenarioWorld) -> OrderUnderTest:
    account = world.connect(platform(PLATFORM))
    world.connector.activate_order_sync(account.id)
    order = world.place_order(account)
    world.sync(order)
    world.bill(order)
    world.connector.enable_refund_sync(account.id, seam.FROM_NETSUITE)
    return order


def _push_loses_its_answer(world: ScenarioWorld, order: OrderUnderTest, whole: bool) -> None:
    """Worker A pushes the NetSuite refund; eBay makes the refund, and A never hears it did."""
    if whole:
        world.refund_in_netsuite(order, whole=True)
    else:
        world.refund_in_netsuite(order, amount=Decimal("5.00"))
    world.faults.add(action="lost_answer", lost_as="timeout", simulator=PLATFORM, times=1,
                     **platform(PLATFORM).fault_targets["create refund"].scope())
    world.run_schedule()
    assert _pushes(world) == 1
    [row] = world.refunds_of(order)
    assert row.status != seam.POSTED and not row.target_id   # A does not know what eBay made


def _refund_ids_made(world: ScenarioWorld) -> list[str]:
    """The refund id of every issue_refund eBay took, from its journal (an answer lost on its way included)."""
    entries = world.simulators()[PLATFORM].journal.entries("POST", path_contains="/issue_refund")
    return [json.loads(entry.response_body)["refundId"] for entry in entries]


def _sent_once_and_posted(world, order) -> None:
    assert _pushes(world) == 1   # issue_refund was sent once
    [made] = _refund_ids_made(world)
    [row] = world.refunds_of(order)
    assert (row.status, row.target_id) == (seam.POSTED, made)
    result = world.reconcile(order)
    assert result.matches, result.describe()


@pytest.mark.parametrize("whole", [True, False], ids=["full", "partial"])
def test_another_worker_takes_the_refund_over_and_does_not_send_it_again(tmp_path, whole) -> None:
    world = ScenarioWorld(seed=11, workdir=tmp_path)
    try:
        order = _synced_order(world)
        _push_loses_its_answer(world, order, whole)
        world.connector.close()                       # worker A stops
        world.connector = world.another_worker()      # worker B, same ledger file, no memory of A's push
        world.run_schedule()                          # the next schedule, past any lease A held

        _sent_once_and_posted(world, order)
    finally:
        world.close()


def test_the_same_worker_after_a_restart_does_not_send_it_again(tmp_path) -> None:
    world = ScenarioWorld(seed=12, workdir=tmp_path)
    try:
        order = _synced_order(world)
        _push_loses_its_answer(world, order, whole=False)
        world.restart_connector()
        world.run_schedule()

        _sent_once_and_posted(world, order)
    finally:
        world.close()
