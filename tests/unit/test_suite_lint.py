"""The suite lint: a feature file that cannot run as written stops the run with a usage error that names
the file, the line and the nearest catalog step or tag, before any scenario runs and before any row is
judged (steps/lint.py)."""
from pathlib import Path

import pytest

from harness.requirements import REQUIREMENTS
from steps.lint import lint
from steps.vocabulary import load_catalog

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ["prerequisites", "activation", "to_netsuite", "from_netsuite", "validation", "faults", "qa_cases"]

GOOD = """Feature: Fine
  @storefront @to_netsuite
  Scenario: billed
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
"""


def _lint(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "case.feature"
    path.write_text(text)
    return [str(p) for p in lint([path], markers=TOPICS, root=tmp_path)]


def test_the_shipped_features_have_no_problem():
    problems = lint(sorted((ROOT / "features").glob("*.feature")), markers=TOPICS, root=ROOT)
    assert not problems, "\n".join(map(str, problems))


def test_a_sound_feature_has_no_problem(tmp_path):
    assert _lint(tmp_path, GOOD) == []


def test_an_undefined_step_names_its_line_and_the_closest_catalog_step(tmp_path):
    problems = _lint(tmp_path, GOOD + "    When the merchant refunds 2 units of line 1 and the shipping in the storefront\n")
    assert problems == [
        'case.feature:6: no step matches "When the merchant refunds 2 units of line 1 and the shipping in the '
        'storefront"; did you mean "When the merchant refunds 2 units of line 1 in the storefront" (When the '
        'merchant refunds {units:Units} of line {line:d} in the storefront)? (`refund-harness steps` lists every step)']


def test_a_step_of_the_wrong_keyword_is_undefined(tmp_path):
    # pytest-bdd matches a step only against definitions of its own kind (And takes the kind before it)
    problems = _lint(tmp_path, GOOD + "    And the refund totals match on both sides\n")
    assert len(problems) == 1 and problems[0].startswith('case.feature:6: no step matches "And the refund totals')


def test_a_count_whose_noun_does_not_agree_is_named_as_such(tmp_path):
    problems = _lint(tmp_path, GOOD + "    Then NetSuite has exactly 3 refund for the order\n")
    assert problems == ['case.feature:6: no step matches "Then NetSuite has exactly 3 refund for the order": '
                        'the noun must agree with its number ("3 refunds", not "3 refund")']


@pytest.mark.parametrize("tag,suggested", [("line_item", "line_items"), ("to_netsuit", "to_netsuite"),
                                           ("each_directions", "each_direction"), ("qa_case", "qa_cases")])
def test_a_misspelt_tag_gets_the_tag_it_resembles(tmp_path, tag, suggested):
    problems = _lint(tmp_path, GOOD.replace("@storefront @to_netsuite", f"@storefront @to_netsuite @{tag}"))
    assert problems == [f"case.feature:3: unknown tag @{tag}: did you mean @{suggested}?"]


def test_qa_s_own_tags_stay_allowed(tmp_path):
    assert _lint(tmp_path, GOOD.replace("@storefront", "@storefront @wip @smoke @JIRA-1234")) == []


def test_a_currency_no_storefront_sells_is_named(tmp_path):
    problems = _lint(tmp_path, GOOD.replace("@storefront", "@storefront @sells_xyz"))
    assert len(problems) == 1 and problems[0].startswith("case.feature:3: @sells_xyz: no registered storefront sells XYZ")


def test_a_scenario_using_the_storefront_under_test_without_a_requirement_is_named(tmp_path):
    problems = _lint(tmp_path, GOOD.replace("  @storefront @to_netsuite\n", ""))
    assert problems == [f"case.feature:2: scenario 'billed' uses the storefront under test but states no "
                        f"requirement: tag it with one of @{', @'.join(REQUIREMENTS)}"]


def test_a_named_storefront_needs_no_requirement(tmp_path):
    named = GOOD.replace("  @storefront @to_netsuite\n", "").replace("a storefront connected", "a Square store connected")
    assert _lint(tmp_path, named) == []


def test_the_direction_under_test_needs_each_direction(tmp_path):
    text = GOOD.replace("refund sync is enabled to NetSuite", "refund sync is enabled in the direction under test")
    assert _lint(tmp_path, text) == ["case.feature:3: scenario 'billed' uses the direction under test: tag it @each_direction"]
    assert _lint(tmp_path, text.replace("@storefront @to_netsuite", "@each_direction")) == []


def test_requirements_no_storefront_fits_are_named(tmp_path):
    problems = _lint(tmp_path, GOOD.replace("@storefront @to_netsuite", "@read_only_refunds @from_netsuite"))
    assert len(problems) == 1 and "runs for no registered storefront: none fits @from_netsuite @read_only_refunds" in problems[0]


def test_outline_steps_are_checked_for_every_example(tmp_path):
    outline = """Feature: Outline
  @storefront @to_netsuite
  Scenario Outline: counts
    Given a storefront connected to NetSuite with the test order billed
    Then NetSuite has exactly <count> for the order

    Examples:
      | count     |
      | 1 refund  |
      | 2 refund  |
"""
    problems = _lint(tmp_path, outline)
    assert problems == ['case.feature:5: no step matches "Then NetSuite has exactly 2 refund for the order": '
                        'the noun must agree with its number ("2 refunds", not "2 refund")']


def test_invalid_gherkin_is_a_problem_not_a_traceback(tmp_path):
    problems = _lint(tmp_path, "Feature: x\n  Scenario: y\n    Given a\n  Nonsense here\n")
    assert len(problems) == 1 and problems[0].startswith("case.feature:4: not valid Gherkin: ")
    assert problems[0].endswith("('Nonsense here')")


def test_under_test_is_what_a_step_takes_from_the_tags():
    by_pattern = {doc.pattern: doc.under_test for doc in load_catalog()}
    assert by_pattern["a storefront connected to NetSuite"] == {"storefront"}
    assert by_pattern["a {storefront:Storefront} store connected to NetSuite"] == frozenset()
    assert by_pattern["refund sync is enabled in the direction under test"] == {"direction_under_test"}


def test_certify_stops_before_any_scenario_with_a_usage_exit(tmp_path, capsys):
    from refund_harness.cli import main

    report = tmp_path / "certification.json"
    report.write_text("{\"the previous report\": true}")
    feature = tmp_path / "typo.feature"
    feature.write_text(GOOD.replace("@storefront", "@storefront @line_item")
                       + "    When the merchant refunds 2 units of line 1 and the shipping in the storefront\n")
    code = main(["certify", str(feature), "--report", str(report), "--", "-p", "no:xdist"])
    out = capsys.readouterr().err
    assert code == 4
    assert f"{feature}:3: unknown tag @line_item: did you mean @line_items?" in out
    assert f'{feature}:6: no step matches "When the merchant refunds 2 units of line 1 and the shipping' in out
    assert "did you mean \"When the merchant refunds 2 units of line 1 in the storefront\"" in out
    assert "no scenario ran and no row was judged" in out
    assert report.read_text() == "{\"the previous report\": true}"   # nothing judged, nothing overwritten
