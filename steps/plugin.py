"""The pytest plugin (entry point ``refund_harness_steps``) that loads the step vocabulary.

The steps sit above the harness (steps -> harness), so they are loaded by a plugin of their own
rather than by ``harness.plugin``. An xdist controller never collects or runs a scenario, so it
skips the import; every worker and every serial run loads the steps.
"""
from __future__ import annotations

import pytest

from steps import STEP_MODULES


def _is_xdist_controller(config: pytest.Config) -> bool:
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    for module in STEP_MODULES:
        config.pluginmanager.import_plugin(module)
