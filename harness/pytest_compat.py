"""Everything the project takes from pytest's and pytest-bdd's internals, in one place.

Each function below relies on something the libraries do not publish (``_pytest`` modules, pytest-bdd
modules other than the package itself and ``pytest_bdd.parsers``); its docstring names the internal
and why no public API serves. Nothing else in the project imports those internals
(tests/unit/test_pytest_compat.py fails if a module does), so a new pytest or pytest-bdd is checked
here alone. ``CHECKED_WITH`` is the range of versions the functions were read and tested against;
pyproject.toml pins the same range, and the test fails, naming what to re-read, when the installed
versions fall outside it.

Only pytest is imported at the top: the CLI checks ``-k`` with this module before pytest starts.
"""
from __future__ import annotations

import importlib
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

# package -> the version specifiers these functions were checked against (pyproject.toml pins the same)
CHECKED_WITH = {"pytest": ">=9.2,<9.3", "pytest-bdd": ">=9.0,<9.1"}


# --- pytest ---------------------------------------------------------------------------------------
def keyword_expression_problem(expression: str) -> str | None:
    """Why ``expression`` is not a valid ``-k`` expression, or None when it is.

    Internal: ``_pytest.mark.expression.Expression.compile``, pytest's own ``-k`` parser (its error is
    ``ParseError`` up to pytest 8.3, ``SyntaxError`` since 8.4). No public API parses ``-k`` without
    starting a session, and the CLI must refuse a bad one (exit 4) before the run, with pytest's verdict."""
    from _pytest.mark import expression as parser

    try:
        parser.Expression.compile(expression)
    except getattr(parser, "ParseError", SyntaxError) as exc:
        return str(exc)
    return None


def lead_failure_with(report: pytest.TestReport, line: str) -> bool:
    """Put ``line`` before the traceback of a failed report, in a form that survives the xdist worker ->
    controller hop; False when the report has no traceback to lead.

    Internal: ``_pytest._code.code.ReprEntryNative`` and the ``reprentries`` of the report's
    ``longrepr``. ``report.sections`` is public but prints after the traceback, and xdist serializes
    only the traceback entry types pytest defines, so the line must be one of them."""
    from _pytest._code.code import ReprEntryNative

    chain = getattr(report.longrepr, "chain", None)
    traceback = chain[0][0] if chain else getattr(report.longrepr, "reprtraceback", None)
    if traceback is None:
        return False
    traceback.reprentries.insert(0, ReprEntryNative([line + "\n\n"]))
    return True


# --- pytest-bdd: collected scenarios ----------------------------------------------------------------
def scenario_template(item: pytest.Item) -> Any | None:
    """The pytest-bdd scenario template a collected test runs (``.name``, ``.feature.name``,
    ``.feature.filename``), or None for a test that is not a scenario.

    Internal: ``pytest_bdd.scenario.scenario_wrapper_template_registry``, which maps each generated test
    function to its template. pytest-bdd puts nothing public on the item; its hooks name the scenario
    only once it runs, and the harness needs it while collecting (claims, --harness-feature, shards)."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    return scenario_wrapper_template_registry.get(getattr(item, "function", None))


@dataclass(frozen=True)
class SuiteScenario:
    feature_file: Path   # resolved
    feature_name: str
    name: str


def suite_scenarios(features_dir: Path) -> list[SuiteScenario]:
    """Every scenario of the feature files under ``features_dir``, read without collecting tests.

    Internal: ``pytest_bdd.feature.get_features``. pytest-bdd reads feature files publicly only by
    binding them to test functions (``scenarios()``), which would collect them; the harness needs the
    whole suite's list to say which scenarios a narrowed run left out."""
    from pytest_bdd.feature import get_features

    return [SuiteScenario(Path(feature.filename).resolve(), feature.name, name)
            for feature in get_features([str(features_dir)]) for name in feature.scenarios]


class FeatureSyntaxError(ValueError):
    """A feature file that is not valid Gherkin: ``line`` (1-based, 0 when unknown), pytest-bdd's
    ``message`` and the offending ``line_content``."""

    def __init__(self, message: str, line: int, line_content: str) -> None:
        super().__init__(message)
        self.message, self.line, self.line_content = message, line, line_content


def parse_feature(path: Path) -> Any:
    """The feature file at ``path`` as pytest-bdd parses it (``.tags``, ``.line_number``, ``.scenarios``
    of templates with ``.steps``); ``FeatureSyntaxError`` when it is not valid Gherkin, ``OSError`` or
    ``UnicodeError`` when it cannot be read.

    Internal: ``pytest_bdd.parser.FeatureParser`` and ``pytest_bdd.exceptions.GherkinParseError``. The
    suite lint must read a feature file exactly as the run will, before the run; pytest-bdd offers
    parsing only through collection, where a bad file is a collection error with no line to name."""
    from pytest_bdd.exceptions import GherkinParseError
    from pytest_bdd.parser import FeatureParser

    try:
        return FeatureParser(str(path.parent), path.name).parse()
    except GherkinParseError as exc:
        raise FeatureSyntaxError(exc.message, exc.line or 0, exc.line_content) from exc


# --- pytest-bdd: the step-by-step record and Cucumber JSON --------------------------------------------
def scenario_record(item: pytest.Item) -> dict | None:
    """pytest-bdd's step-by-step record of the scenario ``item`` ran (JSON-ready), or None.

    Internal: ``pytest_bdd.reporting.scenario_reports_registry``, where pytest-bdd keeps that record for
    its own Cucumber formatter. The record lives in the process that ran the scenario; under xdist the
    harness carries it to the controller, and pytest-bdd has no public way to read it."""
    from pytest_bdd.reporting import scenario_reports_registry

    scenario = scenario_reports_registry.get(item)
    return None if scenario is None else scenario.serialize()


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's outcome for Cucumber JSON: pytest's outcome, the test's name, the record
    ``scenario_record`` gave and the failure text."""

    outcome: str
    name: str
    record: dict
    error: str = ""


def cucumber_json(runs: Iterable[ScenarioRun]) -> list[dict]:
    """Cucumber JSON of ``runs``, written by pytest-bdd's own formatter (one entry per feature).

    Internal: ``pytest_bdd.cucumber_json.LogBDDCucumberJSON`` fed through
    ``pytest_bdd.reporting.ReportContext`` and ``test_report_context_registry``. pytest-bdd's public
    ``--cucumberjson`` writes what the process it runs in saw, so under xdist the controller's file has
    no steps; the formatter is reachable only as that plugin, fed one report at a time."""
    from pytest_bdd.cucumber_json import LogBDDCucumberJSON
    from pytest_bdd.reporting import ReportContext, test_report_context_registry

    writer = LogBDDCucumberJSON("unused")   # its file is never written: only .features is read
    for run in runs:
        stand_in = _Report(outcome=run.outcome, when="call", longrepr=run.error)
        test_report_context_registry[stand_in] = ReportContext(scenario=run.record, name=run.name)
        writer.pytest_runtest_logreport(stand_in)   # type: ignore[arg-type]
    return list(writer.features.values())


class _Report:
    """Just what pytest-bdd's Cucumber formatter reads of a report (weak-referenceable, unlike a namespace)."""

    def __init__(self, outcome: str, when: str, longrepr: str) -> None:
        self.outcome, self.when, self.longrepr = outcome, when, longrepr


# --- pytest-bdd: the step lookup -------------------------------------------------------------------
_STEP_LOOKUP_PARAMETERS = ["step", "fixturemanager", "node"]
_installed: Callable[..., Any] | None = None


def install_step_lookup_cache() -> None:
    """Replace pytest-bdd's step lookup with a cached one (once per process).

    Internal: ``pytest_bdd.scenario.find_fixturedefs_for_step(step, fixturemanager, node)``, replaced in
    its module. Before every step it asks pytest for the definitions of every fixture name there is and
    tries each step parser on the step's text, some 100 names a step: about 40 ms a scenario, an eighth
    of a certification's time. pytest-bdd has no hook or option for the lookup. The answer depends only
    on the session's fixtures (registered while collecting, before any scenario runs), on where the test
    sits (which fixtures it sees) and on the step's kind and text; so it is worked out once per (place,
    kind, text) and kept. A lookup whose parameters changed is refused (``RuntimeError``) rather than
    wrapped wrongly."""
    import inspect

    global _installed
    scenario = importlib.import_module("pytest_bdd.scenario")   # the module, not the function it exports

    if _installed is not None and scenario.find_fixturedefs_for_step is _installed:
        return
    original = scenario.find_fixturedefs_for_step
    parameters = list(inspect.signature(original).parameters)
    if parameters != _STEP_LOOKUP_PARAMETERS:
        raise RuntimeError(f"pytest_bdd.scenario.find_fixturedefs_for_step takes {parameters}, not "
                           f"{_STEP_LOOKUP_PARAMETERS}: read it again before caching it (harness/pytest_compat.py)")
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


def step_lookup_cached() -> bool:
    """Whether pytest-bdd's step lookup in this process is the cached one."""
    scenario = importlib.import_module("pytest_bdd.scenario")
    return _installed is not None and scenario.find_fixturedefs_for_step is _installed
