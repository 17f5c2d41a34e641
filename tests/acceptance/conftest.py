"""Every answer a simulator gave during a scenario is held to its vendor's published schema.

The scenarios make the requests a refund sync really makes, faults and refusals included, so their
traffic is what the vendored contracts (contracts/) are checked against: after each scenario, every
journaled answer of a platform with a contract must have a status its operation declares and a body
valid against that response's schema (simulators.contract_check). A violation fails the scenario at
teardown, naming the operation, status, body location and schema location.

Not under `refund-harness certify`: a certification judges the connector, and a simulator's drift
from its vendor is the harness's own defect, which `make test` catches here.
"""
from __future__ import annotations

import pytest

from harness.plugin import WORLD_KEY
from simulators.contract_check import check_journal


@pytest.fixture(autouse=True)
def simulators_answer_as_their_vendors_publish(request: pytest.FixtureRequest):
    yield
    if request.config.getoption("--certification-report") is not None:
        return
    world = request.node.stash.get(WORLD_KEY, None)
    if world is None:
        return
    violations = [v for simulator in world.simulators().values() for v in check_journal(simulator)]
    if violations:
        shown = "\n".join(f"  {v}" for v in violations[:10])
        more = f"\n  ... and {len(violations) - 10} more" if len(violations) > 10 else ""
        pytest.fail(f"{len(violations)} simulator answer(s) break the vendor's published schema "
                    f"(contracts/):\n{shown}{more}", pytrace=False)
