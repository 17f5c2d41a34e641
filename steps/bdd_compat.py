"""What the harness takes from pytest-bdd's internals, in one place, with the versions it was checked
against (tests/unit/test_bdd_compat.py names them and fails when the internal it replaces moves).

Step lookup: before every step, pytest-bdd's ``find_fixturedefs_for_step`` asks pytest for the definitions
of every fixture name there is and tries each step parser on the step's text, some 100 names a step:
about 40 ms a scenario, an eighth of a certification's time. The answer depends only on the session's
fixtures (registered while collecting, before any scenario runs), on where the test sits (which fixtures
it sees) and on the step's kind and text; so it is worked out once per (place, kind, text) and kept.
"""
from __future__ import annotations

import importlib

import weakref
from typing import Any, Callable, Iterable

CHECKED_WITH = {"pytest-bdd": "9.0.1", "pytest": "9.2.0"}
_installed: Callable[..., Any] | None = None


def install_step_lookup_cache() -> None:
    """Replace ``pytest_bdd.scenario.find_fixturedefs_for_step`` with a cached one (once per process)."""
    global _installed
    scenario = importlib.import_module("pytest_bdd.scenario")   # the module, not the function it exports

    if _installed is not None and scenario.find_fixturedefs_for_step is _installed:
        return
    original = scenario.find_fixturedefs_for_step
    # one cache per fixture manager: a nested pytest run (pytester) has its own fixtures
    caches: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str], list[Any]]] = weakref.WeakKeyDictionary()

    def find_fixturedefs_for_step(step: Any, fixturemanager: Any, node: Any) -> Iterable[Any]:
        cache = caches.setdefault(fixturemanager, {})
        # every test function of one module (or class) sees the same fixtures
        place = node.parent.nodeid if node.parent is not None else node.nodeid
        key = (place, step.type, step.name)
        found = cache.get(key)
        if found is None:
            found = cache[key] = list(original(step=step, fixturemanager=fixturemanager, node=node))
        return iter(found)

    find_fixturedefs_for_step.__wrapped__ = original  # type: ignore[attr-defined]
    scenario.find_fixturedefs_for_step = find_fixturedefs_for_step
    _installed = find_fixturedefs_for_step
