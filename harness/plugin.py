"""The pytest plugin (entry point ``refund_harness``): the ``world`` fixture and the certification
report collected from every scenario (xdist-safe). The step vocabulary is loaded by ``steps.plugin``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import seam
from harness.certification import (EVIDENCE_KEY, MatrixRow, ScenarioOutcome, build_report, evidence_property,
                                   failure_reasons, render_table, write_report)
from harness.platforms import platforms
from harness.requirements import REQUIREMENTS, fitting, needs_storefront
DEFAULT_SEED = 20261128
WORLD_KEY = pytest.StashKey["object"]()
FACTORY_KEY = pytest.StashKey["object"]()


@pytest.fixture
def storefront() -> str:
    """The platform a scenario runs for: set by parametrization from the scenario's requirement tags."""
    raise pytest.UsageError("this scenario uses the storefront under test but states no requirement: tag it "
                            f"with one of @{', @'.join(REQUIREMENTS)}")


@pytest.fixture
def direction_under_test() -> str:
    raise pytest.UsageError("this scenario uses the direction under test: tag it @each_direction")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function):
    """Requirement tags make the scenario ask for the storefront (and direction) under test."""
    if tag not in REQUIREMENTS:
        return None
    function = pytest.mark.usefixtures("storefront")(function)
    if tag == "each_direction":
        function = pytest.mark.usefixtures("direction_under_test")(function)
    getattr(pytest.mark, tag)(function)
    return True


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "storefront" not in metafunc.fixturenames:
        return
    tags = {mark.name for mark in metafunc.definition.iter_markers()}
    if not needs_storefront(tags):
        return
    runs = fitting(tags)
    if "each_direction" in tags:
        metafunc.parametrize(("storefront", "direction_under_test"), [(p.name, d) for p, d in runs],
                             ids=[f"{p.name}-{d}" for p, d in runs])
    else:
        metafunc.parametrize("storefront", [p.name for p, _ in runs], ids=[p.name for p, _ in runs])


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("refund-harness")
    group.addoption("--harness-seed", type=int, default=DEFAULT_SEED,
                    help="base seed for test data and simulator ids (default %(default)s); "
                         "each scenario derives its own seed from it and its name")
    group.addoption("--certification-report", type=Path, default=None,
                    help="write the certification report (JSON) to this path")
    group.addoption("--connector", default=seam.REFERENCE, metavar="MODULE:FACTORY",
                    help="the connector under test: a factory taking a harness.seam.ConnectorContext "
                         "(default: the shipped reference connector, %(default)s)")
    group.addoption("--harness-transport", choices=("inprocess", "loopback"), default="inprocess",
                    help="how the connector reaches the simulators: in process (default) or over "
                         "loopback sockets, each simulator served by uvicorn (docs/serve-mode.md)")


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh World (simulators + the connector under test) for one scenario."""
    from harness.world import World, seed_for

    seed = seed_for(request.config.getoption("--harness-seed"), request.node.name)
    built = World(seed=seed, workdir=tmp_path, connector_factory=request.config.stash[FACTORY_KEY],
                  connector_name=request.config.getoption("--connector"),
                  transport=request.config.getoption("--harness-transport"))
    request.node.stash[WORLD_KEY] = built
    request.node.user_properties.append(("harness_seed", str(seed)))
    try:
        yield built
    finally:
        try:
            request.node.user_properties.append(evidence_property(built.evidence()))
        finally:
            built.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    built = item.stash.get(WORLD_KEY, None)
    if report.when == "call" and report.failed and built is not None:
        # what each simulator was asked and answered: usually the fastest way to see why
        report.sections.append(("refund-harness: simulator requests", built.journal_summary()))
        report.sections.append(("refund-harness: replay", f"World seed {built.seed} "
                                f"(base --harness-seed {item.config.getoption('--harness-seed')})"))


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    # a readable name for reports: "Feature: Scenario [example]"
    params = request.node.callspec.id if hasattr(request.node, "callspec") else ""
    name = f"{feature.name}: {scenario.name}" + (f" [{params}]" if params else "")
    request.node.user_properties.append(("scenario", name))


class _CertificationCollector:
    def __init__(self, path: Path, connector: str) -> None:
        self.path = path
        self.connector = connector
        self.outcomes: dict[str, ScenarioOutcome] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = self.outcomes.setdefault(report.nodeid, ScenarioOutcome(report.nodeid, _scenario_name(report), True))
        if report.failed:
            outcome.passed = False
            outcome.why = outcome.why or _why(report)
        if report.when == "call" and report.skipped:
            outcome.passed = False  # a skipped scenario proves nothing
            outcome.why = "skipped: a skipped scenario proves nothing"
        for key, value in report.user_properties:
            if key == "scenario":
                outcome.name = value
            if key == EVIDENCE_KEY:
                outcome.evidence = json.loads(value)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        report = build_report(list(self.outcomes.values()), certification_matrix(), self.connector)
        write_report(self.path, report)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            from rich.console import Console

            console = Console(file=reporter._tw._file, force_terminal=False, width=140)  # noqa: SLF001
            console.print()
            console.print(render_table(report))
            for reason in failure_reasons(report):
                console.print(f"  - {reason}")
            console.print(f"connector under test: {self.connector}")
            console.print(f"certification report: {self.path}  verdict: {report['verdict']}")
        if report["verdict"] != "certified" and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def certification_matrix() -> list[MatrixRow]:
    """Every registered platform x every direction it offers."""
    return [MatrixRow(p.name, p.display_name, direction, p.capabilities.line_items)
            for p in platforms() for direction in p.capabilities.directions]


def _why(report: pytest.TestReport) -> str:
    """The one line that says why a scenario failed (pytest's crash message), kept short."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    first = " ".join(text.strip().splitlines()[:1]) or f"failed in {report.when}"
    return first if len(first) <= 300 else first[:297] + "..."


def _scenario_name(report: pytest.TestReport) -> str:
    return report.nodeid.split("::")[-1]


def pytest_configure(config: pytest.Config) -> None:
    for requirement in REQUIREMENTS.values():
        config.addinivalue_line("markers", f"{requirement.tag}: runs for {requirement.meaning}")
    try:
        config.stash[FACTORY_KEY] = seam.load_factory(config.getoption("--connector"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    path = config.getoption("--certification-report")
    # only the controller writes the report; xdist workers ship evidence in user_properties
    if path is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_CertificationCollector(path, config.getoption("--connector")),
                                      "refund_harness_certification")
