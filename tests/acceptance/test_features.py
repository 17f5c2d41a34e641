"""Binds every feature file under features/ to pytest (steps come from the harness plugin).

After each scenario, every GraphQL exchange with a Shopify simulator is held to Shopify's published Admin
schema (contracts/shopify/): the connector's documents and variables must be valid against it and the
simulator's answers shaped as its types say. Not under `refund-harness certify`, which judges the
connector: a simulator's drift from Shopify is the harness's own defect, which `make test` catches here.
"""
import pytest
from pytest_bdd import scenarios

from harness.plugin import WORLD_KEY
from tests.contract.shopify_schema import traffic_problems

scenarios(".")


@pytest.fixture(autouse=True)
def shopify_graphql_traffic_is_valid_against_shopifys_schema(request: pytest.FixtureRequest):
    yield
    world = request.node.stash.get(WORLD_KEY, None)
    if world is None or request.config.getoption("--certification-report") is not None:
        return
    problems = [f"{name}: {problem}" for name, simulator in world.simulators().items()
                if getattr(simulator, "platform", "") == "shopify"
                for problem in traffic_problems(simulator.journal.entries())]
    if problems:
        shown = "\n  ".join(problems[:10]) + (f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else "")
        pytest.fail(f"{len(problems)} GraphQL exchange(s) off Shopify's Admin schema (contracts/shopify/):\n  {shown}",
                    pytrace=False)
