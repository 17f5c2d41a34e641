"""No module of the project imports itself back through others: connector/, harness/ and the packages
around them (steps, the CLI, simulators, common) are read import statement by import statement, those
inside functions and under TYPE_CHECKING too (an import moved into a function still closes the loop,
only later). And the layers stay in order: the connector knows no harness, the harness no steps or CLI."""
from __future__ import annotations

import pytest

from tests.import_graph import all_cycles, first_cycle, import_graph

PACKAGES = ("connector", "harness", "steps", "refund_harness", "simulators", "common")
# package -> the packages it must never import
LAYERS = {"connector": {"harness", "steps", "refund_harness", "simulators"},
          "harness": {"steps", "refund_harness"},
          "simulators": {"connector", "harness", "steps", "refund_harness"},
          "steps": {"refund_harness"}}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGES)


def test_the_graph_is_read_with_imports_inside_functions_and_under_type_checking(graph) -> None:
    assert "connector.storefronts.webhook_receiver" in graph["connector.engine"]            # at the top
    assert "steps.vocabulary" in graph["refund_harness.cli"]                                 # inside a function
    assert "harness.storefronts" in graph["harness.platforms"]                               # under TYPE_CHECKING
    assert "connector.storefronts.bigcommerce" in graph["connector.storefronts.bigcommerce_webhooks"]   # from x import name


def test_no_import_cycle(graph) -> None:
    cycles = all_cycles(graph)
    assert not cycles, "imports in a cycle:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_a_cycle_is_found_and_named() -> None:
    assert first_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ("a", "b", "c", "a")
    assert all_cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}, "e": {"a"}}) == [("a", "b", "a"), ("c", "d", "c")]
    assert first_cycle({"a": {"b"}, "b": set()}) is None


def test_each_layer_imports_only_those_below_it(graph) -> None:
    crossing = sorted(f"{module} imports {imported}" for module, imports in graph.items()
                      for imported in imports if imported.split(".")[0] in LAYERS.get(module.split(".")[0], ()))
    assert not crossing, "\n".join(crossing)
