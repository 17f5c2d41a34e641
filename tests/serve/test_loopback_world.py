"""The shipped connector, unchanged, against served simulators: every call crosses a real socket."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness import seam
from harness.platforms import platforms
from harness.scenario import ScenarioWorld

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("transport", ["inprocess", "loopback"])
@pytest.mark.parametrize("platform", [p.name for p in platforms()])
def test_a_storefront_refund_reaches_netsuite_the_same_way_on_either_transport(tmp_path, transport, platform):
    world = ScenarioWorld(seed=5, workdir=tmp_path, transport=transport)
    try:
        account = world.connect(platform)
        world.connector.activate_order_sync(account.id)
        order = world.place_order(account, quantity_first=2)
        world.sync(order)
        world.bill(order)
        world.connector.enable_refund_sync(account.id, seam.TO_NETSUITE)
        world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)  # without line refunds: the same value, as an amount
        account.driver.deliver_webhooks()
        world.clock.advance(minutes=90)
        world.run_schedule()
        assert [row.status for row in world.refunds_of(order)] == [seam.POSTED]
        assert world.reconcile(order).matches
        # what NetSuite answered is the same on both transports: the URL it saw is the real host's
        urls = {entry.url.split("/services")[0] for entry in world.netsuite.journal.entries()}
        assert urls == {f"https://{world.netsuite.host}"}
    finally:
        world.close()


def test_a_loopback_world_serves_each_simulator_and_the_webhook_receiver_on_its_own_port(served_world):
    ports = {served_world.wiring.servers[name].port
             for name in [s.hosts[0] for s in served_world.simulators().values()] + ["connector-webhooks"]}
    assert len(ports) == len(served_world.simulators()) + 1 and 0 not in ports


def test_unknown_transport_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="unknown transport 'carrier-pigeon'; use one of inprocess, loopback"):
        ScenarioWorld(seed=1, workdir=tmp_path, transport="carrier-pigeon")


# Scenarios that between them cover every storefront, both directions and webhook delivery.
LOOPBACK_SUBSET = "webhook or credit_memo_with_shipping or billed_as_a_cash_sale or two_accounts"


def test_acceptance_scenarios_pass_over_loopback(pytester: pytest.Pytester):
    args = (str(ROOT / "tests" / "acceptance"), f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
            "-p", "no:xdist", "--harness-transport=loopback", "-k", LOOPBACK_SUBSET)
    selected = [line for line in pytester.runpytest_inprocess(*args, "--collect-only", "-q").outlines if "::" in line]
    assert {line.rsplit("[", 1)[1].split("-")[0].rstrip("]") for line in selected} >= {p.name for p in platforms()}
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=len(selected))
