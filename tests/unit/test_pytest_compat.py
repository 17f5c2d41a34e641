"""harness/pytest_compat.py, the one module that uses pytest's and pytest-bdd's internals: the installed
versions are those it was checked against (and pyproject.toml pins that range), no other module of the
project reaches for an internal, and each of its functions does its job against the installed libraries."""
from __future__ import annotations

import ast
import json
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from harness import pytest_compat
from harness.pytest_compat import (FeatureSyntaxError, ScenarioRun, cucumber_json, keyword_expression_problem,
                                   lead_failure_with, parse_feature, scenario_record, scenario_template,
                                   suite_scenarios)

ROOT = Path(__file__).resolve().parents[2]
COMPAT = "harness/pytest_compat.py"
THIS = "tests/unit/test_pytest_compat.py"   # the compat module's own tests change an internal to test a refusal
# what pytest-bdd publishes: the package's names and its parsers module; every other module is internal
BDD_PUBLIC_NAMES = {"given", "when", "then", "step", "scenario", "scenarios", "parsers"}
BDD_PUBLIC_MODULES = {"pytest_bdd", "pytest_bdd.parsers"}
# the bare run of a nested pytest: none of the project's plugins, no workers
BARE = ("-p", "no:xdist", "-p", "no:refund_harness", "-p", "no:refund_harness_steps")


@pytest.mark.parametrize("package", sorted(pytest_compat.CHECKED_WITH))
def test_the_installed_version_is_one_the_compat_module_was_checked_against(package: str) -> None:
    installed = metadata.version(package)
    checked = pytest_compat.CHECKED_WITH[package]
    assert SpecifierSet(checked).contains(installed, prereleases=True), (
        f"{package} {installed} is installed, but {COMPAT} was checked against {package}{checked} only: read every "
        f"internal its functions name again in {package} {installed}, run tests/unit/test_pytest_compat.py, then update "
        "CHECKED_WITH and the pin in pyproject.toml together")


def test_pyproject_pins_the_range_the_compat_module_was_checked_against() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = {Requirement(d).name: Requirement(d).specifier for d in dependencies}
    for package, checked in pytest_compat.CHECKED_WITH.items():
        assert pinned.get(package) == SpecifierSet(checked), (
            f"pyproject.toml pins {package}{pinned.get(package)}; {COMPAT} was checked against {package}{checked}")


def _imported(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """(line, dotted name, whether it is a name taken from a package) of every import of a file, also of
    ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name."""
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module, False))
            found += [(node.lineno, f"{node.module}.{alias.name}", True) for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None) == "__import__")):
            found.append((node.lineno, node.args[0].value, False))
    return sorted(found)


def _internal(name: str, taken_from_package: bool) -> bool:
    if name.split(".")[0] == "_pytest":
        return True
    if not name.startswith("pytest_bdd."):
        return False
    if taken_from_package:   # from pytest_bdd import NAME (public when the package exports it)
        package, _, taken = name.rpartition(".")
        return package == "pytest_bdd" and taken not in BDD_PUBLIC_NAMES
    return name not in BDD_PUBLIC_MODULES


def internal_imports(path: Path) -> list[str]:
    return [f"{line}: {name}" for line, name, taken in _imported(ast.parse(path.read_text(), filename=str(path)))
            if _internal(name, taken)]


def test_no_module_but_the_compat_module_imports_a_pytest_or_pytest_bdd_internal() -> None:
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
    files = [ROOT / name for name in tracked.stdout.split()]
    assert ROOT / COMPAT in files and len(files) > 100, "the project's Python files were not found"
    offending = [f"{path.relative_to(ROOT)}:{problem}" for path in files if path not in (ROOT / COMPAT, ROOT / THIS)
                 for problem in internal_imports(path)]
    assert not offending, (f"pytest or pytest-bdd internals used outside {COMPAT}; add a named function there "
                           "(saying which internal and why no public API serves) and call it:\n" + "\n".join(offending))


def test_the_internal_import_check_finds_each_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import _pytest.mark\nfrom pytest_bdd.scenario import x\nfrom pytest_bdd import given, feature\n"
                      "import pytest_bdd\nfrom pytest_bdd import parsers\nimport pytest_bdd.parsers\n"
                      "def f():\n    importlib.import_module('pytest_bdd.reporting')\n")
    assert internal_imports(sample) == ["1: _pytest.mark", "2: pytest_bdd.scenario", "3: pytest_bdd.feature",
                                        "8: pytest_bdd.reporting"]


# --- each function against the installed libraries ----------------------------------------------------
def test_a_keyword_expression_is_judged_by_pytests_own_parser() -> None:
    assert keyword_expression_problem("square and not (tax or shipping)") is None
    problem = keyword_expression_problem("square and (")
    assert problem and "expected" in problem, problem


FEATURE = """Feature: Compat
  Scenario: Passes
    Given a step
    Then it held

  Scenario: Fails
    Given a step
    Then it did not hold
"""
TESTS = '''
import json
from pytest_bdd import given, then, scenarios
scenarios("compat.feature")

@given("a step")
def a_step():
    pass

@then("it held")
def held():
    pass

@then("it did not hold")
def did_not_hold():
    assert False, "the step failed"

def test_not_a_scenario():
    assert False, "plain failure"
'''
CONFTEST = '''
import json
import pytest
from harness.pytest_compat import lead_failure_with, scenario_record, scenario_template

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call":
        template = scenario_template(item)
        report.user_properties.append(("template", [template.feature.name, template.name] if template else None))
        report.user_properties.append(("record", json.dumps(scenario_record(item))))
        if report.failed:
            report.user_properties.append(("led", lead_failure_with(report, "LEADING LINE")))
'''


@pytest.fixture
def ran(pytester: pytest.Pytester):
    (pytester.path / "compat.feature").write_text(FEATURE)
    pytester.makepyfile(test_compat=TESTS)
    pytester.makeconftest(CONFTEST)
    recorded = pytester.inline_run(*BARE)
    reports = {r.nodeid.split("::")[-1]: r for r in recorded.getreports("pytest_runtest_logreport") if r.when == "call"}
    return pytester, recorded, reports


def test_a_collected_scenario_is_known_by_its_template_and_a_plain_test_has_none(ran) -> None:
    _, _, reports = ran
    templates = {name: dict(report.user_properties)["template"] for name, report in reports.items()}
    assert templates == {"test_passes": ["Compat", "Passes"], "test_fails": ["Compat", "Fails"],
                         "test_not_a_scenario": None}


def test_a_failure_is_led_by_the_line_before_its_traceback_also_once_serialized(ran, pytestconfig) -> None:
    _, _, reports = ran
    failed = reports["test_fails"]
    assert dict(failed.user_properties)["led"] is True
    text = str(failed.longrepr)
    assert text.startswith("LEADING LINE") and text.index("LEADING LINE") < text.index("the step failed"), text
    config = pytestconfig
    hop = config.hook.pytest_report_to_serializable(config=config, report=failed)   # what xdist sends the controller
    back = config.hook.pytest_report_from_serializable(config=config, data=json.loads(json.dumps(hop)))
    assert str(back.longrepr).startswith("LEADING LINE")
    assert lead_failure_with(reports["test_passes"], "nothing to lead") is False   # a pass has no traceback


def test_the_step_records_make_cucumber_json_by_pytest_bdds_formatter(ran) -> None:
    _, _, reports = ran
    records = {name: json.loads(dict(report.user_properties)["record"]) for name, report in reports.items()}
    assert records["test_not_a_scenario"] is None
    assert [step["name"] for step in records["test_fails"]["steps"]] == ["a step", "it did not hold"]
    runs = [ScenarioRun(reports[name].outcome, name, records[name], str(reports[name].longrepr or ""))
            for name in ("test_passes", "test_fails")]
    (feature,) = cucumber_json(runs)
    assert feature["name"] == "Compat" and [e["name"] for e in feature["elements"]] == ["Passes", "Fails"]
    results = [[step["result"]["status"] for step in element["steps"]] for element in feature["elements"]]
    assert results == [["passed", "passed"], ["passed", "failed"]]
    assert "the step failed" in feature["elements"][1]["steps"][1]["result"]["error_message"]


def test_the_suite_scenarios_are_read_without_collecting(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "compat.feature").write_text(FEATURE)
    found = suite_scenarios(tmp_path)
    assert [(s.feature_file, s.feature_name, s.name) for s in found] == [
        ((tmp_path / "nested" / "compat.feature").resolve(), "Compat", "Passes"),
        ((tmp_path / "nested" / "compat.feature").resolve(), "Compat", "Fails")]


def test_a_feature_is_parsed_and_bad_gherkin_is_named_by_line(tmp_path: Path) -> None:
    good = tmp_path / "good.feature"
    good.write_text("@qa\n" + FEATURE)
    feature = parse_feature(good)
    assert feature.tags == {"qa"} and list(feature.scenarios) == ["Passes", "Fails"]
    assert [step.name for step in feature.scenarios["Fails"].steps] == ["a step", "it did not hold"]
    bad = tmp_path / "bad.feature"
    bad.write_text("Feature: Broken\n  Scenario: One\n    Given a step\n  Nonsense here\n")
    with pytest.raises(FeatureSyntaxError) as raised:
        parse_feature(bad)
    assert raised.value.line == 4 and "Nonsense here" in raised.value.line_content, vars(raised.value)


PLACES = """Feature: Places
  Scenario: A step two modules define differently
    Given a step
    Then it was defined by {module}
"""


def test_a_step_defined_differently_in_two_modules_is_found_in_each_with_the_lookup_cached(pytester: pytest.Pytester):
    """The cache is per place: the same step text resolves to each module's own definition."""
    for module in ("first", "second"):
        (pytester.path / f"{module}.feature").write_text(PLACES.format(module=module))
        pytester.makepyfile(**{f"test_{module}": f'''
from pytest_bdd import given, then, scenarios
from harness.pytest_compat import step_lookup_cached
scenarios("{module}.feature")
DEFINED = []

@given("a step")
def a_step():
    assert step_lookup_cached()
    DEFINED.append("{module}")

@then("it was defined by {module}")
def defined_here():
    assert DEFINED == ["{module}"]
'''})
    pytester.makeconftest("from harness.pytest_compat import install_step_lookup_cache\ninstall_step_lookup_cache()\n")
    result = pytester.runpytest_inprocess(*BARE)
    result.assert_outcomes(passed=2)


def test_a_step_lookup_whose_parameters_changed_is_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    scenario = importlib.import_module("pytest_bdd.scenario")
    monkeypatch.setattr(pytest_compat, "_installed", None)
    monkeypatch.setattr(scenario, "find_fixturedefs_for_step", lambda step, fixturemanager, node, extra: [])
    with pytest.raises(RuntimeError, match=r"takes \['step', 'fixturemanager', 'node', 'extra'\]"):
        pytest_compat.install_step_lookup_cache()
