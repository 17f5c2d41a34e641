"""The certification report end to end: real scenarios through the plugin, serial and under xdist."""
import json
import shutil
from pathlib import Path

import pytest

from harness.platforms import platforms

ROOT = Path(__file__).resolve().parents[2]

FEATURE = '''Feature: Certification plumbing
  @storefront @to_netsuite
  Scenario: A refund synced to NetSuite matches
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund totals match on both sides

  @storefront @to_netsuite
  Scenario: A refusal that does not say what the scenario expects
    Given a storefront connected to NetSuite
    When I try to enable refund sync to NetSuite
    Then activation is refused because "a reason the connector never gives"
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "plumbing.feature").write_text(FEATURE)
    pytester.makepyfile(test_plumbing="from pytest_bdd import scenarios\nscenarios('features')\n")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")  # markers and options
    return pytester


# The serial run stays in this process (cheap); the xdist run must be a real subprocess with a real
# worker, because what it checks is that evidence survives the worker -> controller hop. One worker
# proves that as well as two, at a third less start-up cost.
@pytest.mark.parametrize("run", ["serial", "xdist"])
def test_report_rows_and_verdict_come_from_the_scenarios(project: pytest.Pytester, run):
    report = project.path / "out" / "certification.json"
    args = (f"--certification-report={report}", "-o", "bdd_features_base_dir=.")
    result = (project.runpytest_inprocess("-p", "no:xdist", *args) if run == "serial"
              else project.runpytest_subprocess("-p", "no:pytester", "-n", "1", *args))
    to_netsuite = [p for p in platforms() if "to_netsuite" in p.capabilities.directions]
    result.assert_outcomes(passed=len(to_netsuite), failed=len(to_netsuite))
    # the failure carries what the simulators were asked, and how to replay it
    result.stdout.fnmatch_lines(["*refund-harness: simulator requests*", "*World seed * (base --harness-seed *"])
    data = json.loads(report.read_text())
    assert data["verdict"] == "failed"
    # the matrix is every platform x every direction it offers
    assert sorted((r["platform"], r["direction"]) for r in data["rows"]) == sorted(
        (p.name, d) for p in platforms() for d in p.capabilities.directions)
    for row in data["rows"]:
        if row["direction"] != "to_netsuite":
            assert row["verdict"] == "not covered", row
            continue
        assert row["verdict"] == "certified" and row["scenarios_passed"] == 1 and row["orders"] == 1
        assert row["storefront_refund_total"] == row["netsuite_refund_total"]
        assert list(row["storefront_refund_total"]) == ["USD"] and float(row["storefront_refund_total"]["USD"]) > 0
    # a refusal never turned a direction on, so it fails the run without belonging to a row
    assert data["scenarios"]["failed_without_cell"] == sorted(
        f"Certification plumbing: A refusal that does not say what the scenario expects [{p.name}]" for p in to_netsuite)
