"""Steps about what a connector does across scheduled runs: workers that die holding a claim, runs a
few minutes apart, and how often each run sent a request, read from the simulators' journals."""
from __future__ import annotations

from datetime import timedelta

from harness import seam
from harness.scenario import ScenarioWorld
from steps.checks import assert_readable_error
from steps.faults import NETSUITE, target
from steps.vocabulary import then, when


def _other_side(world: ScenarioWorld) -> str:
    """Where the account's refunds are written: NetSuite (to NetSuite), else the storefront."""
    direction = world.connector.direction(world.account.id)
    if direction == seam.OFF:
        raise AssertionError("refund sync is off for the account, so refunds go nowhere; enable a direction first")
    return NETSUITE if direction == seam.TO_NETSUITE else "storefront"


@when("a second worker of the connector claims the refund and dies before sending it",
      "a second worker of the connector claims the refund and dies before sending it")
def worker_dies_holding_claim(world: ScenarioWorld) -> None:
    """The schedule comes due; a second instance of the connector on the same work directory starts
    its run and stops for good right before its request to create the refund on the other side
    leaves (NetSuite to NetSuite, the storefront from NetSuite): its claim stays, nothing is sent."""
    name, create = target(world, _other_side(world), "create refund")
    world.stall_a_worker(name, create, f"create a refund in {name}")


@when("another worker of the connector runs the scheduled sync {minutes:d} minutes later",
      "another worker of the connector runs the scheduled sync 5 minutes later")
def run_minutes_later(world: ScenarioWorld, minutes: int) -> None:
    """The clock moves on this many minutes, then the connector (the first worker) runs its scheduled
    sync: an account whose previous run never finished is still due."""
    world.run_schedule_after(timedelta(minutes=minutes))


@when("{minutes:d} minutes pass", "120 minutes pass")
def minutes_pass(world: World, minutes: int) -> None:
    """The clock every system reads moves on this many minutes; nothing runs meanwhile."""
    world.clock.advance(timedelta(minutes=minutes))


@then("{system:System} received {count:Requests} to {operation:Operation}",
      "NetSuite received 1 request to create refund")
def requests_received(world: ScenarioWorld, system: str, count: int, operation: str) -> None:
    """Since the scenario began, the system was sent exactly this many requests for the operation
    (whatever it answered, an injected error included), as its own journal records them."""
    name, wanted = target(world, system, operation)
    sent = world.requests_to(name, wanted)
    assert sent == count, f"{name} received {sent} request(s) to {operation}, not {count}"


@then("the other side received {count:Requests} to create refund",
      "the other side received no request to create refund")
def other_side_received(world: ScenarioWorld, count: int) -> None:
    """As above, on the side the account's refunds are written to: NetSuite (to NetSuite) or the
    storefront (from NetSuite)."""
    requests_received(world, _other_side(world), count, "create refund")


@then("the refund is in Error, saying why", "the refund is in Error, saying why")
def refund_in_error(world: ScenarioWorld) -> None:
    """The latest refund row is in Error with a message a person can read (whatever its words), with no
    value missing from it (``assert_readable_error``)."""
    refund = world.latest_refund()
    assert refund.status == seam.ERROR, f"refund {refund.source_id} is {refund.status}, not Error"
    assert (refund.error or "").strip(), f"refund {refund.source_id} is in Error without saying why"
    assert_readable_error(world, refund)
