"""The pytest plugin (entry point ``refund_harness``): the ``world`` fixture and the certification
report collected from every scenario (xdist-safe). The step vocabulary is loaded by ``steps.plugin``."""
from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from harness.connectors.load import load_factory
from harness import seam
from harness.certification import (EVIDENCE_KEY, VERDICT_EXIT, Evidence, MatrixRow, ScenarioOutcome,
                                   certification_report, environment, evidence_property, print_summary, write_report)
from harness.journal import journal_summary
from harness.pytest_compat import (ScenarioRun, cucumber_json, lead_failure_with, scenario_record, scenario_template,
                                   suite_scenarios)
from harness.platforms import platforms, registry
from harness.requirements import REQUIREMENTS, fitting, needs_storefront, scenario_rows

DEFAULT_SEED = 20261128
WORLD_KEY = pytest.StashKey["object"]()
FACTORY_KEY = pytest.StashKey["object"]()
CLAIM_KEY = pytest.StashKey["object"]()
NOT_CLAIMED_KEY = pytest.StashKey[list]()   # (item, {"name", "rows", "why"}) of each scenario left out by the claim
FAILED_STEP_KEY = pytest.StashKey[str]()
FAILED_KEY = pytest.StashKey[bool]()   # the scenario's call failed: keep its files to inspect
FAILED_STEP = "refund_harness_failed_step"
CUCUMBER = "refund_harness_cucumber"
ROWS = "refund_harness_rows"
SELECTION = "refund_harness_selection"
POSITION = "refund_harness_position"   # a scenario's place in the whole run's collection order (shards)
SHARD_KEY = pytest.StashKey[dict]()   # --harness-shard: "shard", "durations"; after collection "left_out" (item ids)
_CONFIGS: list[pytest.Config] = []   # the config pytest-bdd applies tags for (nested pytester runs stack)


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
    """Requirement tags make the scenario ask for the storefront (and direction) under test. Any other
    Gherkin tag (``@qa``) becomes a marker registered on the fly, so ``-m qa`` works without editing
    pyproject.toml while ``--strict-markers`` still catches a misspelt mark in Python."""
    if tag not in REQUIREMENTS:
        if _CONFIGS:
            _register_marker(_CONFIGS[-1], tag)
        return None   # pytest-bdd's own implementation applies the marker
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
    group.addoption("--harness-connector-cmd", default=None, metavar="CMD",
                    help="the command that started the connector served at --connector (certify --connector-cmd): "
                         "the report and the replay command name the connector by it")
    group.addoption("--harness-claim", action="append", default=[], metavar="PLATFORM[:DIRECTION]",
                    help="certify only this part of what the connector claims (repeatable), e.g. <platform>:to_netsuite; "
                         "naming a row the connector does not claim is a usage error")
    group.addoption("--certification-cucumber-json", type=Path, default=None, metavar="PATH",
                    help="write Cucumber JSON of every scenario here (also under xdist, unlike --cucumber-json)")
    group.addoption("--harness-feature", type=Path, action="append", default=[], metavar="FEATURE",
                    help="only the scenarios of this feature file (repeatable); the verdict is then partial")
    group.addoption("--harness-progress", choices=("off", "terminal", "always"), default="off",
                    help="a progress bar of scenarios instead of pytest's dots: 'terminal' where stderr is "
                         "a terminal (what `refund-harness certify` asks for), 'always' even when it is not")
    group.addoption("--harness-transport", choices=("inprocess", "loopback"), default="inprocess",
                    help="how the connector reaches the simulators: in process (default) or over "
                         "loopback sockets, each simulator served by uvicorn (docs/serve-mode.md)")
    group.addoption("--harness-shard", default=None, metavar="I/N",
                    help="run only shard I of N of the selected scenarios, dealt by their recorded durations; "
                         "the report is that shard's, never a verdict alone (refund-harness merge)")
    group.addoption("--harness-durations", type=Path, default=None, metavar="PATH",
                    help="the recorded scenario durations --harness-shard deals by "
                         "(default: tests/acceptance/durations.json of the project)")
    group.addoption("--harness-record-durations", type=Path, default=None, metavar="PATH",
                    help="write the seconds each scenario took into this durations file (entries of "
                         "scenarios not run are kept)")
    group.addoption("--harness-first", action="append", default=[], metavar="SCENARIO",
                    help="run this scenario (its name in the report) before the others (repeatable, in order); "
                         "`refund-harness mutants` puts first what caught each mutant before")


# Where a scenario's files go (the connector's SQLite ledger above all): a directory in memory when the
# machine has a tmpfs. On disk, a new ledger's first write and the checkpoint at its close wait for fsync,
# about 8 ms a scenario (bench/scenario.py), for a file deleted when the scenario ends. The ledger runs the
# same code with the same synchronous mode there; a process crash loses no more and no less.
MEMORY_DIR = Path("/dev/shm")


@pytest.fixture
def scenario_dir(request: pytest.FixtureRequest, tmp_path: Path):
    """A private directory for one scenario's files: in memory when the machine has a tmpfs, deleted after
    the scenario unless it failed (then copied to pytest's ``tmp_path``, kept as pytest keeps it), else
    ``tmp_path`` itself."""
    import os
    import shutil
    import tempfile

    if not (MEMORY_DIR.is_dir() and os.access(MEMORY_DIR, os.W_OK | os.X_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=MEMORY_DIR, prefix="refund-scenario-", ignore_cleanup_errors=True) as folder:
        yield Path(folder)
        if request.node.stash.get(FAILED_KEY, False):
            shutil.copytree(folder, tmp_path, dirs_exist_ok=True)


@pytest.fixture
def world(request: pytest.FixtureRequest, scenario_dir: Path):
    """A fresh World (simulators + the connector under test) for one scenario."""
    from harness.scenario import ScenarioWorld
    from harness.world import seed_for

    seed = seed_for(request.config.getoption("--harness-seed"), request.node.name)
    built = ScenarioWorld(seed=seed, workdir=scenario_dir, connector_factory=request.config.stash[FACTORY_KEY],
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


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature, scenario, step, step_func, step_func_args,
                          exception) -> None:
    request.node.stash[FAILED_STEP_KEY] = f"{step.keyword} {step.name}  ({feature.rel_filename}:{step.line_number})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    step = item.stash.get(FAILED_STEP_KEY, None)
    if report.failed and step is not None and report.when == "call":
        # the Gherkin step that failed comes first, then the assertion, then journal and seed
        lead_failure_with(report, f"Failed step: {step}")
        report.user_properties.append((FAILED_STEP, step))
    if report.when == "call":
        _attach_scenario_report(item, report)
        item.stash[FAILED_KEY] = report.failed
    built = item.stash.get(WORLD_KEY, None)
    if report.when == "call" and report.failed and built is not None:
        # what each simulator was asked and answered: usually the fastest way to see why
        report.sections.append(("refund-harness: simulator requests", journal_summary(built.simulators())))
        report.sections.append(("refund-harness: replay", f"World seed {built.seed} "
                                f"(base --harness-seed {item.config.getoption('--harness-seed')})"))


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    # a readable name for reports: "Feature: Scenario [example]"
    params = request.node.callspec.id if hasattr(request.node, "callspec") else ""
    name = f"{feature.name}: {scenario.name}" + (f" [{params}]" if params else "")
    request.node.user_properties.append(("scenario", name))


class _Selection:
    """What this process collected and what -k, -m, paths or --harness-feature left out. Under xdist each
    worker collects (identically) and sends this to the controller in its workeroutput."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.deselected: list[pytest.Item] = []
        self.data = {"selected": 0, "deselected": 0, "suite_scenarios_not_collected": [], "not_claimed": []}

    @pytest.hookimpl
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += items
        # a scenario outside the claim is not run, but that says nothing about the run's selection
        outside_claim = {id(item) for item, _ in self.config.stash.get(NOT_CLAIMED_KEY, [])}
        # nor is another shard's share: the shards together run the whole selection
        other_shards = self.config.stash.get(SHARD_KEY, {}).get("left_out", set())
        self.data["deselected"] += sum(id(item) not in outside_claim and id(item) not in other_shards
                                       for item in items)

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.data["selected"] = len(session.items)
        shard = self.config.stash.get(SHARD_KEY, None)
        if shard is not None and "left_out" in shard:
            self.data["run_selected"] = len(session.items) + len(shard["left_out"])
            self.data["predicted_seconds"] = shard["predicted_seconds"]
        self.data["not_claimed"] = [scenario for _, scenario in self.config.stash.get(NOT_CLAIMED_KEY, [])]
        self.data["suite_scenarios_not_collected"] = _scenarios_not_collected(session, self.deselected)
        if self.config.getoption("--harness-record-durations"):   # which entries of the durations file still exist
            self.data["collected"] = [item.nodeid for item in session.items + self.deselected]
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput[SELECTION] = json.dumps(self.data)   # type: ignore[attr-defined]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:   # controller under xdist: one worker's view is enough
        received = getattr(node, "workeroutput", {}).get(SELECTION)
        if received:
            self.data = json.loads(received)


@pytest.hookimpl(tryfirst=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_rows_and_claim(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each scenario carries the rows it exercises (so a failure anywhere, setup included, counts
    against them); a scenario needing a row or behaviour outside the connector's claim is deselected
    before anything runs, and counted as not claimed. First, so -k and -m count only claimed scenarios."""
    kept: list[pytest.Item] = []
    left_out: list[tuple[pytest.Item, dict]] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        entry = registry().get(params.get("storefront", ""))
        if entry is None:
            kept.append(item)
            continue
        tags = {mark.name for mark in item.iter_markers()}
        rows = scenario_rows(tags, entry, params.get("direction_under_test"))
        item.user_properties.append((ROWS, json.dumps(rows)))
        why = certified_claim(config, collecting=True).covers(rows, tags)
        if why is None:
            kept.append(item)
        else:
            left_out.append((item, {"name": _scenario_label(item), "rows": rows, "why": why}))
    if left_out:
        config.stash[NOT_CLAIMED_KEY] = left_out
        items[:] = kept
        config.hook.pytest_deselected(items=[item for item, _ in left_out])


def certified_claim(config: pytest.Config, collecting: bool = False):
    """What this run certifies: the connector's claim, narrowed by --harness-claim (read once per process).

    A claim that cannot be certified is a usage error, except where a run writing no certification
    reads it while collecting (plain pytest, mutmut) and the connector's own code crashed: that is the
    code under test failing, so it stays an error (pytest's internal error, which mutmut counts as a
    kill) rather than a usage error, which mutmut takes for a broken test command."""
    if CLAIM_KEY not in config.stash:
        from harness.claims import ClaimError, ConnectorCrashed, read_claim

        try:
            config.stash[CLAIM_KEY] = read_claim(config.stash[FACTORY_KEY], config.getoption("--connector"),
                                                 config.getoption("--harness-claim"))
        except ClaimError as exc:
            if collecting and isinstance(exc, ConnectorCrashed):
                raise
            raise pytest.UsageError(str(exc)) from None
    return config.stash[CLAIM_KEY]


def _scenario_label(item: pytest.Item) -> str:
    """The name a scenario has in reports (as pytest_bdd_before_scenario gives it), known at collection."""
    template = scenario_template(item)
    if template is None:
        return item.name
    params = item.callspec.id if hasattr(item, "callspec") else ""
    return f"{template.feature.name}: {template.name}" + (f" [{params}]" if params else "")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--harness-feature: only the scenarios of those feature files (the others are deselected)."""
    wanted = {path.resolve() for path in config.getoption("--harness-feature")}
    if not wanted:
        return
    kept = [item for item in items if scenario_template(item) is not None
            and Path(scenario_template(item).feature.filename).resolve() in wanted]
    if len(kept) < len(items):
        kept_ids = set(map(id, kept))
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept_ids])
        items[:] = kept


@pytest.hookimpl(hookwrapper=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_shard(config: pytest.Config, items: list[pytest.Item]):
    """--harness-shard I/N: once every filter has run, keep this shard's share of what they selected."""
    yield
    if SHARD_KEY not in config.stash:
        return
    from harness.shards import deal, weights

    shard, durations = config.stash[SHARD_KEY]["shard"], config.stash[SHARD_KEY]["durations"]
    for position, item in enumerate(items):
        item.user_properties.append((POSITION, position))
    mine = set(deal([item.nodeid for item in items], durations, shard.count)[shard.index - 1])
    kept = [item for item in items if item.nodeid in mine]
    left_out = [item for item in items if item.nodeid not in mine]
    config.stash[SHARD_KEY].update(left_out=set(map(id, left_out)),
                                   predicted_seconds=round(sum(weights(mine, durations).values()), 1))
    if left_out:
        items[:] = kept
        config.hook.pytest_deselected(items=left_out)


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--harness-first: the named scenarios run first, in the order given; the rest keep theirs."""
    first = {label: rank for rank, label in enumerate(config.getoption("--harness-first"))}
    if first:
        items.sort(key=lambda item: first.get(_scenario_label(item), len(first)))


def _scenarios_not_collected(session: pytest.Session, deselected: list[pytest.Item]) -> list[str]:
    """Scenarios of the features directory no collected test binds (a path or node id narrowed the run)."""
    base = session.config.getini("bdd_features_base_dir")
    if not base:
        return []
    collected = {(Path(t.feature.filename).resolve(), t.name)
                 for t in map(scenario_template, session.items + deselected)
                 if t is not None}
    if not collected:
        return []
    suite = {(s.feature_file, s.name): f"{s.feature_name}: {s.name}"
             for s in suite_scenarios(session.config.rootpath / base)}
    return sorted(label for key, label in suite.items() if key not in collected)


class _CertificationCollector:
    """On the controller: every scenario's outcome and evidence -> the report, or no report at all when
    the run was not a certification (nothing selected, a usage or collection error, an interruption)."""

    def __init__(self, config: pytest.Config, path: Path | None, cucumber: Path | None, selection: _Selection) -> None:
        self.config = config
        self.path = path
        self.cucumber = cucumber
        self.selection = selection
        self.connector = _connector_named(config)
        self.outcomes: dict[str, ScenarioOutcome] = {}
        self.seconds: dict[str, float] = {}   # per scenario: setup, call and teardown
        self.positions: dict[str, int] = {}
        self.cucumber_reports: list[tuple[str, dict]] = []
        self.collection_errors = 0
        self.started = _now()
        self.report: dict | None = None
        self.not_written = ""

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.collection_errors += bool(report.failed)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "collect":   # xdist hands a worker's collection error over as a log report
            self.collection_errors += bool(report.failed)
            return
        outcome = self.outcomes.setdefault(report.nodeid, ScenarioOutcome(report.nodeid, _scenario_name(report), True))
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        properties = dict(report.user_properties)
        if POSITION in properties:
            self.positions[report.nodeid] = properties[POSITION]
        if report.failed:
            outcome.passed = False
            outcome.why = outcome.why or _why(report, properties.get(FAILED_STEP))
        if report.when == "call" and report.skipped:
            outcome.passed = False  # a skipped scenario proves nothing
            outcome.skipped = True
            outcome.why = "skipped: a skipped scenario proves nothing"
        outcome.name = properties.get("scenario", outcome.name)
        if ROWS in properties:
            outcome.rows = [tuple(row) for row in json.loads(properties[ROWS])]
        if EVIDENCE_KEY in properties:
            outcome.evidence = Evidence.from_json(json.loads(properties[EVIDENCE_KEY]))
        if CUCUMBER in properties:
            self.cucumber_reports.append((report.outcome, json.loads(properties[CUCUMBER])))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        status = session.exitstatus
        if self.collection_errors:
            self.not_written = f"{self.collection_errors} error(s) while collecting the scenarios (above)"
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif status in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
            self.not_written = f"the run did not complete ({pytest.ExitCode(status).name.lower()})"
        elif not self.outcomes and not self.selection.data.get("run_selected"):   # an empty shard still reports
            outside_claim = len(self.selection.data.get("not_claimed", []))
            why = _describe_selection(self.config) or (f"all {outside_claim} scenario(s) need something the connector "
                                                       "does not claim" if outside_claim else "no scenario collected")
            self.not_written = f"nothing selected ({why})"
            session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
        if self.not_written:
            return
        self._record_durations()
        self.report = self._build()
        if self.path is not None:
            write_report(self.path, self.report)
            from harness.html_report import write_html

            write_html(self.path.with_suffix(".html"), self.report)
        if self.cucumber is not None:
            write_report(self.cucumber, _cucumber(self.cucumber_reports))
        empty_shard = status == pytest.ExitCode.NO_TESTS_COLLECTED and not self.outcomes   # reported all the same
        if self.path is not None and (session.exitstatus == 0 or empty_shard):
            session.exitstatus = VERDICT_EXIT[self.report["verdict"]]

    def _build(self) -> dict:
        selection = self.selection.data
        narrowed = _narrowing(self.config, selection)
        claim = certified_claim(self.config).as_dict()
        seed = self.config.getoption("--harness-seed")
        shard = self.config.stash.get(SHARD_KEY, None)
        if shard is None:
            return certification_report(list(self.outcomes.values()), certification_matrix(), self.connector,
                                        narrowed, claim=claim, not_claimed=selection.get("not_claimed", []),
                                        selected=selection["selected"], deselected=selection["deselected"],
                                        run=self._run(seed, _replay_command(self.config, seed)))
        # a shard judges only its share, so it is at best partial; the merge judges the whole run
        of = shard["shard"]
        report = certification_report(
            list(self.outcomes.values()), certification_matrix(), self.connector,
            narrowed + [f"shard {of} of the run: only its share of the scenarios ran; `refund-harness merge` of all "
                        f"{of.count} shards gives the verdict"],
            claim=claim, not_claimed=selection.get("not_claimed", []), selected=selection["selected"],
            deselected=selection["deselected"], run=self._run(seed, _replay_command(self.config, seed, of)))
        report["headline"] = f"Shard {of} of the run, {report['headline'][0].lower()}{report['headline'][1:]}"
        from harness.shards import outcome_record, relative_to_report

        junit = self.config.getoption("xmlpath", None)
        report["shard"] = {
            "index": of.index, "count": of.count,
            "predicted_seconds": selection.get("predicted_seconds", 0.0),
            "seconds": round(sum(self.seconds.values()), 1),
            "run": {"selected": selection.get("run_selected", 0), "deselected": selection["deselected"],
                    "narrowed_by": narrowed, "not_claimed": selection.get("not_claimed", []),
                    "replay": _replay_command(self.config, seed)},
            "files": {kind: relative_to_report(Path(path).resolve(), self.path)
                      for kind, path in (("junit", junit), ("cucumber", self.cucumber)) if path and self.path},
            "scenarios": [outcome_record(outcome, self.positions[outcome.nodeid], self.seconds[outcome.nodeid])
                          for outcome in sorted(self.outcomes.values(), key=lambda o: self.positions[o.nodeid])]}
        return report

    def _record_durations(self) -> None:
        path = self.config.getoption("--harness-record-durations")
        if path is None:
            return
        from harness.shards import record_durations

        suite = None   # which scenarios the suite has is known only when the run collected all of it
        if not self.selection.data["suite_scenarios_not_collected"] and not any("::" in a for a in self.config.args):
            suite = set(self.selection.data.get("collected", [])) or None
        record_durations(path, self.seconds, suite)

    def _run(self, seed: int, replay: str) -> dict:
        return {"seed": seed, "replay": replay,
                "selection": {"keyword": self.config.getoption("keyword") or None,
                              "markers": self.config.getoption("markexpr") or None,
                              "paths": [_relative(self.config, p) for p in self.config.args],
                              "features": [_relative(self.config, p)
                                           for p in self.config.getoption("--harness-feature")]},
                "connector": self.connector,
                "transport": self.config.getoption("--harness-transport"),
                "started_at": self.started, "finished_at": _now(),
                **environment(self.config.rootpath)}

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        from io import StringIO

        from rich.console import Console

        # rendered aside, then written through pytest's own terminal writer (wherever pytest's output goes)
        rendered = StringIO()
        console = Console(file=rendered, force_terminal=False, width=140)
        if self.report is None:
            if self.not_written:
                where = f"; {self.path} was left as it was" if self.path else ""
                console.print(f"refund-harness: no report written: {self.not_written}{where}")
        else:
            print_summary(console, self.report,
                          list(filter(None, (self.path, self.path and self.path.with_suffix(".html"), self.cucumber))))
        terminalreporter.write(rendered.getvalue(), flush=True)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _describe_selection(config: pytest.Config) -> str:
    parts = [f"-k {config.getoption('keyword')!r}" if config.getoption("keyword") else "",
             f"-m {config.getoption('markexpr')!r}" if config.getoption("markexpr") else "",
             *(f"feature {_relative(config, p)}" for p in config.getoption("--harness-feature"))]
    return ", ".join(filter(None, parts))


def _narrowing(config: pytest.Config, selection: dict) -> list[str]:
    """Why this run is narrower than the whole suite; empty for a full run."""
    described = _describe_selection(config)
    reasons = [f"selected by {described}"] if described else []
    if selection["deselected"]:
        reasons.append(f"{selection['deselected']} scenario(s) deselected")
    reasons += [f"node id {arg} given" for arg in config.args if "::" in arg]
    missing = selection["suite_scenarios_not_collected"]
    if missing:
        reasons.append(f"{len(missing)} scenario(s) of the suite not collected by the given paths, e.g. {missing[0]}")
    return reasons


def _relative(config: pytest.Config, path: str | Path) -> str:
    """A path as the project names it (relative to its root), so a report shows no machine's layout."""
    text = str(path)
    head, sep, tail = text.partition("::")
    try:
        return str(Path(head).resolve().relative_to(config.rootpath.resolve())) + sep + tail
    except ValueError:
        return text


def _connector_named(config: pytest.Config) -> str:
    """The connector under test as the user named it (a started process by its command, not its URL)."""
    command = config.getoption("--harness-connector-cmd")
    return f"--connector-cmd {command}" if command else config.getoption("--connector")


def _replay_command(config: pytest.Config, seed: int, shard=None) -> str:
    words = ["refund-harness", "certify", *(_relative(config, p) for p in config.getoption("--harness-feature")),
             "--seed", str(seed)]
    if shard is not None:
        words += ["--shard", str(shard)]
    for flag, value in (("-k", config.getoption("keyword")), ("-m", config.getoption("markexpr"))):
        if value:
            words += ["--", flag, value] if flag == "-m" else [flag, value]
    if config.getoption("--harness-connector-cmd"):
        words += ["--connector-cmd", config.getoption("--harness-connector-cmd")]
    elif config.getoption("--connector").startswith(("http://", "https://")):
        words += ["--connector-url", config.getoption("--connector")]
    elif config.getoption("--connector") != seam.REFERENCE:
        words += ["--connector", config.getoption("--connector")]
    for claim in config.getoption("--harness-claim"):
        words += ["--claim", claim]
    if config.getoption("--harness-transport") != "inprocess":
        words += ["--transport", config.getoption("--harness-transport")]
    return shlex.join(words)


def _register_marker(config: pytest.Config, tag: str) -> None:
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    if tag not in known:
        config.addinivalue_line("markers", f"{tag}: Gherkin tag (registered by refund-harness)")


def _attach_scenario_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """pytest-bdd's step-by-step record of the scenario, carried to the controller for Cucumber JSON."""
    if item.config.getoption("--certification-cucumber-json") is None:
        return
    scenario = scenario_record(item)
    if scenario is not None:
        record = {"name": item.name, "scenario": scenario, "error": str(report.longrepr or "")}
        report.user_properties.append((CUCUMBER, json.dumps(record)))


def _cucumber(reports: list[tuple[str, dict]]) -> list[dict]:
    """Cucumber JSON from the scenario records, by pytest-bdd's own formatter (fed on the controller)."""
    return cucumber_json(ScenarioRun(outcome, record["name"], record["scenario"], record.get("error", ""))
                         for outcome, record in reports)


def certification_matrix() -> list[MatrixRow]:
    """Every registered platform x every direction it offers."""
    return [MatrixRow(p.name, p.display_name, direction, p.capabilities.line_items)
            for p in platforms() for direction in p.capabilities.directions]


def _why(report: pytest.TestReport, step: str | None = None) -> str:
    """The one line that says why a scenario failed (the step, then pytest's crash message). Whole: a
    cause is often at the end of it ("... Likely cause: ..."); only a runaway message is cut, at 4,000."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else f"failed in {report.when}"
    if first.endswith(":") and len(lines) > 1:   # "AssertionError:" with its message on the next line
        first = f"{first} {lines[1]}"
    if step:
        first = f"at step {step.split('  (')[0]!r}: {first}"
    return first if len(first) <= 4000 else first[:3997] + "..."


def _scenario_name(report: pytest.TestReport) -> str:
    return report.nodeid.split("::")[-1]


def pytest_configure(config: pytest.Config) -> None:
    _CONFIGS.append(config)
    progress = config.getoption("--harness-progress")
    if not hasattr(config, "workerinput") and config.getoption("verbose") <= 0 and (
            progress == "always" or (progress == "terminal" and sys.stderr.isatty())):
        from harness.progress import ScenarioProgress

        config.pluginmanager.register(ScenarioProgress(config), "refund_harness_progress")
    for requirement in REQUIREMENTS.values():
        config.addinivalue_line("markers", f"{requirement.tag}: runs for {requirement.meaning}")
    try:
        config.stash[FACTORY_KEY] = load_factory(config.getoption("--connector"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.getoption("--harness-shard") is not None:
        from harness.shards import DURATIONS_FILE, ShardError, load_durations, parse_shard

        try:   # on the xdist controller too, which collects nothing but writes the shard's report
            config.stash[SHARD_KEY] = {
                "shard": parse_shard(config.getoption("--harness-shard")),
                "durations": load_durations(config.getoption("--harness-durations") or DURATIONS_FILE)}
        except ShardError as exc:
            raise pytest.UsageError(str(exc)) from None
    path = config.getoption("--certification-report")
    cucumber = config.getoption("--certification-cucumber-json")
    if config.getoption("--harness-claim") or path is not None:
        certified_claim(config)   # a claim that cannot be certified stops the run before collection
    if path is None and cucumber is None:
        return
    selection = _Selection(config)
    config.pluginmanager.register(selection, "refund_harness_selection")
    # only the controller writes reports; xdist workers ship evidence in user_properties
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_CertificationCollector(config, path, cucumber, selection),
                                      "refund_harness_certification")


def pytest_unconfigure(config: pytest.Config) -> None:
    if config in _CONFIGS:
        _CONFIGS.remove(config)
