"""The certification report end to end: real scenarios through the plugin, serial and under xdist."""
import json
import shutil
from pathlib import Path

import pytest

from harness.platforms import platforms

ROOT = Path(__file__).resolve().parents[2]

SYNCED = '''  @storefront @to_netsuite
  Scenario: A refund synced to NetSuite matches
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund totals match on both sides
'''

FEATURE = '''Feature: Certification plumbing
''' + SYNCED + '''
  @storefront @to_netsuite
  Scenario: A refusal that does not list what the scenario expects
    Given a storefront connected to NetSuite
    When I try to enable refund sync to NetSuite
    Then activation is refused for the unmet prerequisite refund_webhooks_subscribed
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
        assert row["scenarios_passed"] == 1 and row["orders"] == 1
        assert row["storefront_refund_total"] == row["netsuite_refund_total"]
        assert list(row["storefront_refund_total"]) == ["USD"] and float(row["storefront_refund_total"]["USD"]) > 0
        # a refusal never turned a direction on, yet it tests sync to NetSuite: it fails that row
        assert row["verdict"] == "failed" and row["scenarios_failed"] == 1, row
        assert any("A refusal that does not list" in reason for reason in row["reasons"])
    assert data["scenarios"]["failed_without_cell"] == []
    assert data["headline"] == "Failed: every storefront and direction (9 storefronts, 16 rows)"


TAGGED = '''Feature: Tags and steps
  @qa @storefront @to_netsuite
  Scenario: A refund synced to NetSuite matches
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund totals match on both sides
'''


def test_any_gherkin_tag_selects_and_a_filtered_run_is_only_partial(project: pytest.Pytester):
    (project.path / "features" / "tagged.feature").write_text(TAGGED)
    report = project.path / "certification.json"
    args = (f"--certification-report={report}", "-o", "bdd_features_base_dir=.", "-p", "no:xdist")
    result = project.runpytest_inprocess("-m", "qa", *args)
    to_netsuite = [p for p in platforms() if "to_netsuite" in p.capabilities.directions]
    result.assert_outcomes(passed=len(to_netsuite), deselected=2 * len(to_netsuite))
    data = json.loads(report.read_text())
    # every row it covered passed, yet the run left scenarios out: never "certified"
    assert data["verdict"] == "partial" and result.ret == 6
    assert data["run"]["selection"]["markers"] == "qa" and data["scenarios"]["deselected"] == 2 * len(to_netsuite)
    assert data["run"]["seed"] and data["run"]["git_commit"] and data["run"]["packages"]["pytest-bdd"]
    # strict markers still hold for everything that is not a Gherkin tag
    project.makepyfile(test_typo="import pytest\n@pytest.mark.qaa\ndef test_x(): pass\n")
    assert project.runpytest_inprocess("test_typo.py", "-p", "no:xdist").ret == pytest.ExitCode.INTERRUPTED


def test_nothing_selected_or_a_collection_error_keeps_the_previous_report(project: pytest.Pytester):
    report = project.path / "certification.json"
    report.write_text('{"verdict": "certified"}')
    args = (f"--certification-report={report}", "-o", "bdd_features_base_dir=.", "-p", "no:xdist")
    result = project.runpytest_inprocess("-k", "no_such_scenario", *args)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*no report written: nothing selected (-k 'no_such_scenario')*"])
    project.makepyfile(test_broken="def broken(:\n")
    result = project.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "no report written" in result.stdout.str()
    assert report.read_text() == '{"verdict": "certified"}'



def test_a_connector_crashing_while_it_claims_is_an_error_of_a_plain_run_and_a_usage_error_of_certify(
        project: pytest.Pytester):
    """Without a certification report (plain pytest; mutmut, which takes a usage error for a broken test
    command and counts an internal error as a kill) the connector's own code crashing is an error of
    the run; certify, which writes a report, still refuses to start with a usage error."""
    project.makepyfile(crashing_connector="def factory(context):\n    raise RuntimeError('cannot be built')\n")
    project.syspathinsert()
    args = ("-p", "no:xdist", "-o", "bdd_features_base_dir=.", "--connector=crashing_connector:factory")
    plain = project.runpytest_inprocess(*args)
    assert plain.ret == pytest.ExitCode.INTERNAL_ERROR
    assert "cannot read what crashing_connector:factory claims: RuntimeError: cannot be built" in plain.stdout.str()
    report = project.path / "certification.json"
    assert project.runpytest_inprocess(*args, f"--certification-report={report}").ret == pytest.ExitCode.USAGE_ERROR

def test_cucumber_json_under_two_workers_holds_every_scenario_and_a_failure_names_its_step(project: pytest.Pytester):
    cucumber = project.path / "cucumber.json"
    result = project.runpytest_subprocess("-p", "no:pytester", "-n", "2", "-o", "bdd_features_base_dir=.",
                                          f"--certification-cucumber-json={cucumber}")
    to_netsuite = [p for p in platforms() if "to_netsuite" in p.capabilities.directions]
    result.assert_outcomes(passed=len(to_netsuite), failed=len(to_netsuite))
    features = json.loads(cucumber.read_text())
    elements = [e for f in features for e in f["elements"]]
    assert len(elements) == 2 * len(to_netsuite)
    assert {e["name"] for e in elements} == {"A refund synced to NetSuite matches",
                                             "A refusal that does not list what the scenario expects"}
    failed = [s for e in elements for s in e["steps"] if s["result"]["status"] == "failed"]
    assert [s["name"] for s in failed] == ['activation is refused for the unmet prerequisite refund_webhooks_subscribed'] * len(
        to_netsuite)
    # the failing Gherkin step comes before the assertion, which comes before the journal
    out = result.stdout.str()
    step = out.index('Failed step: Then activation is refused for the unmet prerequisite refund_webhooks_subscribed')
    assert step < out.index("AssertionError", step) < out.index("refund-harness: simulator requests", step)


def test_the_progress_bar_counts_scenarios_instead_of_pytest_dots(project: pytest.Pytester):
    result = project.runpytest_inprocess("-p", "no:xdist", "-q", "--harness-progress=always",
                                         "-o", "bdd_features_base_dir=.")
    total = 2 * len([p for p in platforms() if "to_netsuite" in p.capabilities.directions])
    assert f"{total}/{total}" in result.stderr.str()
    assert f"{total // 2} failed" in result.stderr.str()
    assert not any(set(line.split("[")[0].strip()) <= {".", "F"} and line.strip().startswith((".", "F"))
                   for line in result.outlines), result.outlines   # no line of dots


SETUP_FAILURES = '''Feature: Failures in setup
''' + SYNCED + '''
  @each_direction
  Scenario: Refund sync activates once a test order is billed
    Given a storefront connected to NetSuite with order sync active
    And a paid test order synced to NetSuite
    And the test order is billed in NetSuite
    When I enable refund sync in the direction under test
    Then refund sync runs in the direction under test for the account

  @both_directions
  Scenario: Enabling the second direction is refused and the first stays on
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    When I try to enable refund sync from NetSuite
    Then activation is refused for the unmet prerequisite other_direction_off
    And refund sync runs to NetSuite for the account
'''


def test_a_scenario_failing_in_setup_counts_against_every_row_it_exercises(project: pytest.Pytester):
    """A connector that refuses every account but Square's while claiming everything: each scenario of
    another storefront fails as it connects the store, and each still fails its own rows."""
    (project.path / "features" / "plumbing.feature").write_text(SETUP_FAILURES)
    report = project.path / "certification.json"
    project.runpytest_inprocess(
        "-p", "no:xdist", "--tb=no", f"--certification-report={report}", "-o", "bdd_features_base_dir=.",
        "--connector=tests.unit.square_only_connector:square_accounts_claiming_everything")
    data = json.loads(report.read_text())
    assert data["verdict"] == "failed" and data["scenarios"]["failed_without_cell"] == []
    rows = {(r["platform"], r["direction"]): r for r in data["rows"]}
    for (name, direction), row in rows.items():
        if (name, direction) == ("square", "to_netsuite"):
            continue
        assert row["verdict"] == "failed" and row["scenarios_failed"] >= 1 and row["scenarios_passed"] == 0, row
    # the scenario needing both directions counts against both rows, and only there
    both = "Failures in setup: Enabling the second direction is refused and the first stays on [square]"
    assert both in rows["square", "from_netsuite"]["evidence"]["scenarios"]
    assert both in rows["square", "to_netsuite"]["evidence"]["scenarios"]
    # a scenario testing refund sync from NetSuite counts against that row, not against the other
    each = "Failures in setup: Refund sync activates once a test order is billed [square-from_netsuite]"
    assert each in rows["square", "from_netsuite"]["evidence"]["scenarios"]
    assert each not in rows["square", "to_netsuite"]["evidence"]["scenarios"]
    assert rows["square", "to_netsuite"]["scenarios_passed"] == 2   # the sync and its own direction
    # every failure is counted in each of its rows: another storefront's three scenarios fail in all
    # of theirs (one to NetSuite, one per direction, both directions where offered); Square's fail 3
    expected = sum(1 + len(p.capabilities.directions) + (2 if len(p.capabilities.directions) == 2 else 0)
                   for p in platforms() if p.name != "square") + 3
    assert sum(r["scenarios_failed"] for r in data["rows"]) == expected
