"""Every answer a simulator gave during a scenario is held to its vendor's published schema.

The scenarios make the requests a refund sync really makes, faults and refusals included, so their
traffic is what the vendored contracts (contracts/) are checked against, after each scenario:
- every journaled answer of a platform with an OpenAPI contract must have a status its operation declares
  and a body valid against that response's schema (simulators.contract_check);
- every GraphQL exchange with a Shopify simulator must be valid against Shopify's published Admin schema
  (contracts/shopify/): the connector's documents and variables, and the answers shaped as its types say.
A violation fails the scenario at teardown, naming the operation and where the answer breaks the schema.

Every order a scenario leaves must also prove what `refund-harness certify` would count it for: refund totals
that match on both sides, or a mismatch the scenario declared on purpose. A scenario that passes but leaves a
refund on one side fails a certification's row though no scenario failed; here it fails by name.

Not under `refund-harness certify`: a certification judges the connector, and a simulator's drift
from its vendor is the harness's own defect, which `make test` catches here.
"""
from __future__ import annotations

import json

import pytest

from harness.certification import EVIDENCE_KEY, Evidence
from harness.plugin import WORLD_KEY
from simulators.contract_check import check_journal
from tests.contract.shopify_schema import traffic_problems

SHOWN = 10


def _listed(problems: list[str]) -> str:
    more = [f"... and {len(problems) - SHOWN} more"] if len(problems) > SHOWN else []
    return "\n".join(f"  {problem}" for problem in [*problems[:SHOWN], *more])


@pytest.fixture(autouse=True)
def simulators_answer_as_their_vendors_publish(request: pytest.FixtureRequest):
    yield
    if request.config.getoption("--certification-report") is not None:
        return
    world = request.node.stash.get(WORLD_KEY, None)
    if world is None:
        return
    simulators = world.simulators()
    violations = [str(v) for simulator in simulators.values() for v in check_journal(simulator)]
    graphql = [f"{name}: {problem}" for name, simulator in simulators.items()
               if getattr(simulator, "platform", "") == "shopify"
               for problem in traffic_problems(simulator.journal.entries())]
    found = []
    if violations:
        found.append(f"{len(violations)} simulator answer(s) break the vendor's published schema (contracts/):\n"
                     f"{_listed(violations)}")
    if graphql:
        found.append(f"{len(graphql)} GraphQL exchange(s) off Shopify's Admin schema (contracts/shopify/):\n"
                     f"{_listed(graphql)}")
    if found:
        pytest.fail("\n".join(found), pytrace=False)


@pytest.fixture(autouse=True)
def every_order_a_scenario_leaves_proves_its_totals(request: pytest.FixtureRequest):
    yield
    # runs after the world's own teardown, which recorded the scenario's evidence on the test
    if request.config.getoption("--certification-report") is not None:
        return   # the certification counts each order for its row (harness.certification)
    recorded = [value for key, value in request.node.user_properties if key == EVIDENCE_KEY]
    if not recorded:
        return
    evidence = Evidence.from_json(json.loads(recorded[-1]))
    if evidence.expect_mismatch:
        return
    unmatched = [order.description for order in evidence.orders if not order.matches]
    if unmatched:
        pytest.fail(f"the scenario passed but left {len(unmatched)} order(s) whose refunds differ between the "
                    f"storefront and NetSuite, which fails the certification's row (end the scenario with the "
                    f"refunds synced, or declare the mismatch):\n{_listed(unmatched)}", pytrace=False)
