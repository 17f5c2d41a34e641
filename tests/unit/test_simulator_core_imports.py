"""The modules of simulators/core import one another without a cycle (also none hidden under
TYPE_CHECKING): the base uses the fault actions, never the other way round."""
import ast
from pathlib import Path

import simulators.core

CORE = Path(simulators.core.__file__).parent
PACKAGE = "simulators.core"


def imported_core_modules(path: Path) -> set[str]:
    """The simulators/core modules ``path`` imports, wherever in the file the import is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names if (CORE / f"{alias.name}.py").exists()}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add(node.module.removeprefix(PACKAGE + "."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix(PACKAGE + ".") for a in node.names if a.name.startswith(PACKAGE + ".")}
    return found


def test_the_core_modules_import_one_another_without_a_cycle():
    graph = {p.stem: imported_core_modules(p) for p in CORE.glob("*.py") if p.stem != "__init__"}
    assert "fault_actions" in graph["base"]   # the graph is read: the base does use the fault actions

    def cycle_from(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in path:
            return path[path.index(module):] + (module,)
        for imported in sorted(graph.get(module, ())):
            found = cycle_from(imported, path + (module,))
            if found:
                return found
        return None

    cycles = [c for c in (cycle_from(m, ()) for m in sorted(graph)) if c]
    assert not cycles, f"simulators/core imports in a cycle: {' -> '.join(cycles[0])}"


def test_the_fault_actions_do_not_import_the_simulator_base():
    assert "base" not in imported_core_modules(CORE / "fault_actions.py")
