"""Which project modules import which, read from the source (every import statement, also those inside
functions and under TYPE_CHECKING), and the first import cycle among them. The import-cycle tests of
each package use this one reader."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(packages: tuple[str, ...], root: Path = ROOT) -> dict[str, Path]:
    """Every module of these top-level packages, by dotted name."""
    return {module_name(path, root): path for package in packages
            for path in sorted((root / package).rglob("*.py")) if "__pycache__" not in path.parts}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module ``name`` (at ``path``) imports, wherever in the file.
    ``from package import module`` is an import of that module; ``from module import name``, of the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(packages: tuple[str, ...], root: Path = ROOT) -> dict[str, set[str]]:
    modules = project_modules(packages, root)
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def first_cycle(graph: dict[str, set[str]]) -> tuple[str, ...] | None:
    """One import cycle (its modules, the first repeated at the end), or None when there is none."""
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in path:
            return path[path.index(module):] + (module,)
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            found = visit(imported, path + (module,))
            if found:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, ())
        if found:
            return found
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """One cycle per strongly connected group of modules importing one another (for a message that
    names every tangle at once, not only the first)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.get(module, ())):
            if imported not in index:
                connect(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return [first_cycle({m: graph[m] & group for m in group}) or tuple(sorted(group)) for group in groups]
