"""The pytest plugin (entry point ``refund_harness_steps``) that loads the step vocabulary.

The steps sit above the harness (steps -> harness), so they are loaded by a plugin of their own
rather than by ``harness.plugin``. An xdist controller never collects or runs a scenario, so it
skips the import; every worker and every serial run loads the steps.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from steps import STEP_MODULES


def _is_xdist_controller(config: pytest.Config) -> bool:
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    from harness.pytest_compat import install_step_lookup_cache

    install_step_lookup_cache()
    # a step module may import another's helpers before that one is loaded as a plugin: marked for assert
    # rewriting first, each is rewritten whichever imports it first
    pytest.register_assert_rewrite(*STEP_MODULES)
    for module in STEP_MODULES:
        config.pluginmanager.import_plugin(module)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("refund-harness").addoption(
        "--harness-lint", action="store_true", default=False,
        help="before any scenario runs, hold the feature files (those of --harness-feature, else every one "
             "under bdd_features_base_dir) to the step catalog and tags; stop with a usage error (exit 4) "
             "naming each problem (what `refund-harness certify` does)")


@pytest.hookimpl(tryfirst=True)   # before xdist starts its workers
def pytest_sessionstart(session: pytest.Session) -> None:
    """Runs where scenarios have not started yet: the xdist controller, or the only process."""
    config = session.config
    if not config.getoption("--harness-lint") or hasattr(config, "workerinput"):
        return
    from steps.lint import lint

    problems = lint(_features_of_run(config), markers=_registered_markers(config), root=config.rootpath)
    if problems:
        raise pytest.UsageError(*(str(p) for p in problems),
                                f"{len(problems)} problem(s) in the feature files: the suite cannot run as written, "
                                "so no scenario ran and no row was judged")


def _features_of_run(config: pytest.Config) -> list[Path]:
    named = config.getoption("--harness-feature", default=None) or []
    if named:
        return [Path(p) for p in named]
    base = config.getini("bdd_features_base_dir")
    if not base:
        return []
    root = Path(base) if Path(base).is_absolute() else config.rootpath / base
    return sorted(root.rglob("*.feature"))


def _registered_markers(config: pytest.Config) -> list[str]:
    return [line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")]
