"""The one pytest-bdd internal the harness replaces (steps/bdd_compat.py): still there, with the same
signature, on the versions the replacement was checked against; and the cached lookup finds what the
original finds, place by place."""
import importlib
import inspect
from importlib import metadata

import pytest

from steps import bdd_compat


def test_the_replaced_internal_is_what_it_was_checked_against():
    scenario = importlib.import_module("pytest_bdd.scenario")   # the module, not the function it exports

    original = getattr(scenario.find_fixturedefs_for_step, "__wrapped__", scenario.find_fixturedefs_for_step)
    assert list(inspect.signature(original).parameters) == ["step", "fixturemanager", "node"]
    for package, checked in bdd_compat.CHECKED_WITH.items():
        installed = metadata.version(package)
        assert installed.split(".")[:2] == checked.split(".")[:2], (
            f"{package} {installed} is installed; steps/bdd_compat.py was checked against {checked}: read "
            f"pytest_bdd.scenario.find_fixturedefs_for_step again, then update CHECKED_WITH")


FEATURE = """Feature: Places
  Scenario: A step two modules define differently
    Given a step
    Then it was defined by {module}
"""


def test_a_step_defined_differently_in_two_modules_is_found_in_each(pytester: pytest.Pytester):
    """The cache is per place: the same step text resolves to each module's own definition."""
    for module in ("first", "second"):
        (pytester.path / f"{module}.feature").write_text(FEATURE.format(module=module))
        pytester.makepyfile(**{f"test_{module}": f'''
from pytest_bdd import given, then, scenarios
scenarios("{module}.feature")
DEFINED = []

@given("a step")
def a_step():
    DEFINED.append("{module}")

@then("it was defined by {module}")
def defined_here():
    assert DEFINED == ["{module}"]
'''})
    pytester.makeconftest("from steps.bdd_compat import install_step_lookup_cache\ninstall_step_lookup_cache()\n")
    result = pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:refund_harness", "-p", "no:refund_harness_steps")
    result.assert_outcomes(passed=2)
