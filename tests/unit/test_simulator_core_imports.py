"""The modules of simulators/core import one another without a cycle (also none hidden under
TYPE_CHECKING): the base uses the fault actions, never the other way round."""
from tests.import_graph import first_cycle, import_graph

PACKAGE = "simulators.core"


def core_graph() -> dict[str, set[str]]:
    graph = import_graph(("simulators",))
    return {module: {m for m in imported if m.startswith(PACKAGE + ".")}
            for module, imported in graph.items() if module.startswith(PACKAGE + ".")}


def test_the_core_modules_import_one_another_without_a_cycle():
    graph = core_graph()
    assert f"{PACKAGE}.fault_actions" in graph[f"{PACKAGE}.base"]   # the graph is read: the base does use the fault actions
    cycle = first_cycle(graph)
    assert cycle is None, f"simulators/core imports in a cycle: {' -> '.join(cycle)}"


def test_the_fault_actions_do_not_import_the_simulator_base():
    assert f"{PACKAGE}.base" not in core_graph()[f"{PACKAGE}.fault_actions"]
