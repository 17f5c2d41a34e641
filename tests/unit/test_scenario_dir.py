"""A scenario's files (the connector's ledger) live in memory where the machine has a tmpfs
(harness.plugin.MEMORY_DIR), are deleted after the scenario, and are kept for inspection where pytest
keeps ``tmp_path`` when the scenario failed."""
import pytest

import harness.plugin
from refund_harness.cli import main

SHIPPING = "walmart and shipping_refund_lands_on_the_shipping_item"   # one scenario; drops_shipping fails it


@pytest.fixture
def memory(tmp_path, monkeypatch):
    """A stand-in for the tmpfs, to see what the run leaves in it."""
    folder = tmp_path / "memory"
    folder.mkdir()
    monkeypatch.setattr(harness.plugin, "MEMORY_DIR", folder)
    return folder


def run(tmp_path, connector: str) -> int:
    return main(["certify", "--connector", connector, "--report", str(tmp_path / "report.json"),
                 "--", "-k", SHIPPING, "-p", "no:xdist", "--basetemp", str(tmp_path / "base")])


def test_a_passing_scenario_keeps_its_files_in_memory_and_leaves_nothing_behind(tmp_path, memory):
    assert run(tmp_path, "harness.connectors.reference:reference_connector") == 6   # narrowed: partial
    assert not list((tmp_path / "base").rglob("ledger.sqlite3"))   # never on disk
    assert not list(memory.iterdir())


def test_a_failed_scenario_keeps_its_ledger_where_pytest_keeps_its_files(tmp_path, memory):
    assert run(tmp_path, "harness.mutants:drops_shipping") == 1
    # pytest keeps the directory and a "...current" link to it
    [ledger] = {path.resolve() for path in (tmp_path / "base").glob("test_a_shipping*/connector/ledger.sqlite3")}
    assert ledger.stat().st_size > 0
    assert not list(memory.iterdir())
