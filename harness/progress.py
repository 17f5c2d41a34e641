"""A progress bar for `refund-harness certify` on a terminal: scenarios done out of the total.

It replaces pytest's progress dots (a certification has no use for a line of dots), not its
report: failures, the summary and the certification table print as usual once the bar is gone.
Enabled by ``--harness-progress``, which `certify` passes when its output is a terminal.
"""
from __future__ import annotations

import pytest


class ScenarioProgress:
    def __init__(self, config: pytest.Config) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._config = config
        console = Console(stderr=True, force_terminal=config.getoption("--harness-progress") == "always")
        self._bar = Progress(TextColumn("scenarios"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]}"),
                             TimeElapsedColumn(), console=console, transient=True)
        self._task = self._bar.add_task("scenarios", total=None, failed="")
        self._failed = 0

    def _total(self, total: int) -> None:
        self._bar.update(self._task, total=total)
        self._bar.start()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(session.config, "workerinput") and not session.config.pluginmanager.hasplugin("dsession"):
            self._total(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self._total(len(ids))   # every worker collects the same scenarios

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport):
        # no dot, letter or word per scenario: the bar says it (failures still print in full at the end)
        if report.when == "call" or report.outcome != "passed":
            category = {"passed": "passed", "skipped": "skipped"}.get(report.outcome, "failed"
                                                                      if report.when == "call" else "error")
            return category, "", category.upper()
        return "", "", ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._failed += 1
            self._bar.update(self._task, failed=f"{self._failed} failed")
        if report.when == "teardown":
            self._bar.advance(self._task)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self._bar.stop()
