"""`refund-harness certify` certifies what the connector claims: a Square-only connector is certified
for Square -> NetSuite with exit 0, --claim narrows a claim but never widens it, and -k still makes a
run partial. (tests/unit/square_only_connector.py is the connector.)"""
import json

import pytest

from refund_harness.cli import main
from harness.platforms import platforms

SQUARE_ONLY = "tests.unit.square_only_connector:square_to_netsuite"
NO_XDIST = ["--", "-p", "no:xdist"]


def rows_of(data: dict) -> dict:
    return {(r["platform"], r["direction"]): r for r in data["rows"]}


def test_a_square_to_netsuite_connector_is_certified_for_exactly_what_it_claims(tmp_path, capsys):
    report = tmp_path / "certification.json"
    code = main(["certify", "--connector", SQUARE_ONLY, "--report", str(report), *NO_XDIST])
    data = json.loads(report.read_text())
    assert (code, data["verdict"]) == (0, "certified"), data["narrowed_by"]
    assert data["headline"] == "Certified: Square → NetSuite"
    assert data["claim"]["rows"] == [{"platform": "square", "direction": "to_netsuite"}]
    assert data["narrowed_by"] == [] and data["scenarios"]["deselected"] == 0   # a claim is not a filter
    rows = rows_of(data)
    square = rows.pop(("square", "to_netsuite"))
    assert square["verdict"] == "certified" and square["claimed"] and square["scenarios_failed"] == 0
    assert len(rows) == sum(len(p.capabilities.directions) for p in platforms()) - 1
    for row in rows.values():   # every other row: not claimed, never "not covered", nothing counted
        assert row["verdict"] == "not claimed" and not row["claimed"], row
        assert row["scenarios_passed"] == row["scenarios_failed"] == 0 and row["scenarios_not_claimed"] > 0
        assert "does not claim" in row["reasons"][0]
    # scenarios outside the claim did not run and count as not claimed, not as passed
    assert data["scenarios"]["passed"] == square["scenarios_passed"] and data["scenarios"]["failed"] == 0
    assert data["scenarios"]["not_claimed"] == len(data["scenarios"]["why_not_claimed"]) > 0
    # a scenario needing both directions runs only where both are claimed
    both = "Activating refund sync: one direction per account: Enabling the second direction is refused " \
           "and the first stays on [square]"
    assert data["scenarios"]["why_not_claimed"][both] == "needs Square from NetSuite, which the claim does not include"
    assert "Certified: Square → NetSuite" in (tmp_path / "certification.html").read_text()
    out = capsys.readouterr().out
    assert "Certified: Square → NetSuite" in out and "not claimed" in out and "not covered" not in out


def test_claim_narrows_the_reference_connector_and_a_filter_still_makes_the_run_partial(tmp_path, capsys):
    report = tmp_path / "certification.json"
    code = main(["certify", "--claim", "square:to_netsuite", "-k", "cash_sale", "--report", str(report), *NO_XDIST])
    data = json.loads(report.read_text())
    assert (code, data["verdict"]) == (6, "partial")   # a claim is about the connector, -k about the run
    assert data["headline"] == "Partial: Square → NetSuite"
    assert data["claim"]["narrowed_by"] == ["square:to_netsuite"]
    assert data["narrowed_by"][0] == "selected by -k 'cash_sale'"
    rows = rows_of(data)
    assert rows["square", "to_netsuite"]["scenarios_passed"] >= 1 and rows["square", "to_netsuite"]["claimed"]
    assert {r["verdict"] for key, r in rows.items() if key != ("square", "to_netsuite")} == {"not claimed"}
    # -k deselected only claimed scenarios; the rest are counted as not claimed
    assert 0 < data["scenarios"]["deselected"] < data["scenarios"]["not_claimed"]
    assert "--claim square:to_netsuite" in data["run"]["replay"]


@pytest.mark.parametrize("argv,message", [
    (["--connector", SQUARE_ONLY, "--claim", "shopify:to_netsuite"],
     "--claim 'shopify:to_netsuite' widens the claim: the connector does not claim Shopify to NetSuite"),
    (["--connector", SQUARE_ONLY, "--claim", "square:from_netsuite"],
     "--claim 'square:from_netsuite' widens the claim: the connector does not claim Square from NetSuite"),
    (["--connector", SQUARE_ONLY, "--claim", "etsy"], "widens the claim: the connector claims no direction of Etsy"),
    (["--claim", "amazon:from_netsuite"], "Amazon offers no refund sync from NetSuite"),
    (["--claim", "nowhere:to_netsuite"], "unknown storefront 'nowhere'"),
])
def test_a_claim_widened_or_misnamed_on_the_command_line_is_a_usage_error_in_one_line(tmp_path, capsys, argv, message):
    report = tmp_path / "certification.json"
    assert main(["certify", *argv, "--report", str(report), *NO_XDIST]) == 4
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not report.exists()
