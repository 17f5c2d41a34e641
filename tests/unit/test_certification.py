"""The certification report from scenario outcomes, on a made-up matrix (platforms 'alpha', 'beta')."""
import json

from harness.certification import Evidence, MatrixRow, ScenarioOutcome, build_report, failure_reasons, write_report

ALPHA_TO = MatrixRow("alpha", "Alpha", "to_netsuite", True)
ALPHA_FROM = MatrixRow("alpha", "Alpha", "from_netsuite", True)
BETA_FROM = MatrixRow("beta", "Beta", "from_netsuite", False)
MATRIX = [ALPHA_TO, ALPHA_FROM, BETA_FROM]


def order(platform, direction, sf, ns, matches=True, currency="USD"):
    return {"order_id": "1", "platform": platform, "direction": direction, "currency": currency,
            "storefront_total": sf, "netsuite_total": ns, "matches": matches, "description": "d"}


def cell(platform, direction):
    return {"platform": platform, "direction": direction}


def synced(name, platform, direction, sf="1.00", ns="1.00", passed=True, **more):
    return ScenarioOutcome(name, name.upper(), passed, Evidence.from_json({
        "cells": [cell(platform, direction)], "orders": [order(platform, direction, sf, ns)], **more}))


def row_of(report, platform, direction):
    return next(r for r in report["rows"] if (r["platform"], r["direction"]) == (platform, direction))


def test_rows_aggregate_scenarios_orders_and_totals():
    outcomes = [synced("a", "alpha", "to_netsuite", "10.00", "10.00"),
                synced("b", "alpha", "to_netsuite", "5.50", "5.50"),
                synced("c", "alpha", "from_netsuite"), synced("d", "beta", "from_netsuite", "3.00", "3.00")]
    report = build_report(outcomes, MATRIX, "pkg.mod:factory")
    assert report["verdict"] == "certified" and report["connector"] == "pkg.mod:factory"
    alpha = row_of(report, "alpha", "to_netsuite")
    assert alpha["storefront"] == "Alpha" and alpha["scenarios_passed"] == 2 and alpha["orders"] == 2
    assert alpha["storefront_refund_total"] == alpha["netsuite_refund_total"] == {"USD": "15.50"}
    assert row_of(report, "beta", "from_netsuite")["line_items"] is False


def test_every_matrix_row_is_reported_and_an_unexercised_one_is_not_covered():
    report = build_report([synced("a", "alpha", "to_netsuite")], MATRIX)
    assert [(r["platform"], r["direction"]) for r in report["rows"]] == [
        ("alpha", "from_netsuite"), ("alpha", "to_netsuite"), ("beta", "from_netsuite")]
    uncovered = row_of(report, "beta", "from_netsuite")
    assert uncovered["verdict"] == "not covered" and "no scenario ran" in uncovered["reasons"][0]
    assert report["verdict"] == "partial"   # never "certified" while a row is unproven


def test_a_failed_scenario_fails_its_cell_and_the_verdict():
    report = build_report([synced("a", "alpha", "to_netsuite", passed=False)], MATRIX)
    row = row_of(report, "alpha", "to_netsuite")
    assert report["verdict"] == "failed" and row["verdict"] == "failed"
    assert "scenario failed: A" in row["reasons"]


def test_a_cell_without_synced_refunds_is_not_certified():
    report = build_report([ScenarioOutcome("a", "A", True, Evidence.from_json({"cells": [cell("alpha", "from_netsuite")]}))], MATRIX)
    row = row_of(report, "alpha", "from_netsuite")
    assert row["verdict"] == "failed" and "nothing proves the totals" in row["reasons"][0]


def test_evidence_for_a_direction_the_platform_does_not_offer_is_ignored():
    report = build_report([synced("a", "beta", "to_netsuite")], MATRIX)
    assert all(r["scenarios_passed"] == 0 for r in report["rows"])


def test_expected_mismatches_are_evidence_not_totals():
    outcomes = [synced("a", "alpha", "to_netsuite", "2.00", "2.00"),
                ScenarioOutcome("m", "M", True, Evidence.from_json({
                    "cells": [cell("alpha", "to_netsuite")], "expect_mismatch": True,
                    "orders": [order("alpha", "to_netsuite", "27.00", "25.00", False)]}))]
    row = row_of(build_report(outcomes, MATRIX), "alpha", "to_netsuite")
    assert row["verdict"] == "certified" and row["storefront_refund_total"] == {"USD": "2.00"}
    assert len(row["evidence"]["detected_mismatches"]) == 1


def test_a_failure_outside_any_cell_still_fails_the_run():
    outcomes = [synced("a", "alpha", "to_netsuite"), ScenarioOutcome("p", "Prereq", False, Evidence())]
    report = build_report(outcomes, MATRIX)
    assert report["verdict"] == "failed" and report["scenarios"]["failed_without_cell"] == ["Prereq"]


def test_report_is_written_whole(tmp_path):
    path = tmp_path / "deep" / "certification.json"
    write_report(path, {"verdict": "certified", "rows": []})
    assert json.loads(path.read_text()) == {"verdict": "certified", "rows": []}
    assert [p.name for p in path.parent.iterdir()] == ["certification.json"]


def test_failure_reasons_explain_a_verdict_that_is_not_certified():
    assert failure_reasons(build_report([], [])) == ["no storefront is registered, so nothing is certified"]
    report = build_report([synced("a", "alpha", "to_netsuite", passed=False)], MATRIX)
    reasons = failure_reasons(report)
    assert "Alpha to_netsuite: scenario failed: A" in reasons
    assert any(r.startswith("Beta from_netsuite: no scenario ran") for r in reasons)


def test_currencies_are_totalled_apart_in_one_row_per_cell():
    outcomes = [synced("a", "alpha", "to_netsuite", "10.00", "10.00"),
                ScenarioOutcome("j", "J", True, Evidence.from_json({
                    "cells": [cell("alpha", "to_netsuite")],
                    "orders": [order("alpha", "to_netsuite", "500", "500", currency="JPY")]}))]
    row = row_of(build_report(outcomes, MATRIX), "alpha", "to_netsuite")
    assert row["storefront_refund_total"] == {"JPY": "500", "USD": "10.00"} == row["netsuite_refund_total"]
    assert row["orders"] == 2 and row["verdict"] == "certified"


def test_html_report_holds_matrix_evidence_failures_and_run_metadata(tmp_path):
    from harness.html_report import write_html

    outcomes = [synced("a", "alpha", "to_netsuite", "10.00", "10.00"),
                ScenarioOutcome("f", "Refund <b>fails</b>", False, Evidence.from_json({"cells": [cell("alpha", "from_netsuite")]}),
                                why="at step 'Then the totals match': AssertionError: 5.00 != 4.00")]
    report = build_report(outcomes, MATRIX, "pkg.mod:factory", narrowed_by=["selected by -k 'x'"])
    report["run"] = {"seed": 42, "replay": "refund-harness certify --seed 42 -k x",
                     "selection": {"keyword": "x", "markers": None, "paths": [], "features": []},
                     "transport": "inprocess", "started_at": "2026-01-01T00:00:00+00:00",
                     "finished_at": "2026-01-01T00:01:00+00:00", "project_version": "0.1.0", "git_commit": "abc123",
                     "python": "3.11.7", "packages": {"pytest-bdd": "9.0.1"}}
    path = tmp_path / "certification.html"
    write_html(path, report)
    html = path.read_text()
    assert "Refund sync certification: <span class=\"verdict failed\">FAILED</span>" in html
    assert "pkg.mod:factory" in html and "refund-harness certify --seed 42 -k x" in html and "abc123" in html
    assert "pytest-bdd 9.0.1" in html and "2026-01-01T00:01:00+00:00" in html
    assert html.count("not covered") >= 1 and "10.00 USD" in html   # the matrix and its totals
    assert "at step &#39;Then the totals match&#39;: AssertionError: 5.00 != 4.00" in html   # why, escaped
    assert "Refund &lt;b&gt;fails&lt;/b&gt;" in html and "<b>fails" not in html
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")   # self-contained


ALPHA_TO_ONLY = {"rows": [cell("alpha", "to_netsuite")], "not_offered": [], "narrowed_by": [],
                 "description": "Alpha → NetSuite"}


def test_only_claimed_rows_are_certified_and_the_others_are_not_claimed():
    not_claimed = [{"name": "Beta pushes", "rows": [["beta", "from_netsuite"]], "why": "needs Beta from NetSuite"}]
    report = build_report([synced("a", "alpha", "to_netsuite")], MATRIX, claim=ALPHA_TO_ONLY, not_claimed=not_claimed)
    assert report["verdict"] == "certified" and report["headline"] == "Certified: Alpha → NetSuite"
    beta = row_of(report, "beta", "from_netsuite")
    assert beta["verdict"] == "not claimed" and not beta["claimed"] and beta["scenarios_not_claimed"] == 1
    assert row_of(report, "alpha", "from_netsuite")["verdict"] == "not claimed"
    assert report["scenarios"]["not_claimed"] == 1 and report["scenarios"]["passed"] == 1
    assert report["scenarios"]["why_not_claimed"] == {"Beta pushes": "needs Beta from NetSuite"}
    assert failure_reasons(report) == []   # an unclaimed row is no reason against the claim


def test_a_claimed_row_no_scenario_ran_is_not_covered_and_the_run_partial():
    report = build_report([synced("a", "alpha", "from_netsuite")], MATRIX, claim=ALPHA_TO_ONLY)
    assert row_of(report, "alpha", "to_netsuite")["verdict"] == "not covered"
    assert report["verdict"] == "partial" and report["headline"] == "Partial: Alpha → NetSuite"


def test_a_failure_counts_against_every_row_the_scenario_exercises_even_without_evidence():
    # failed while setting up its account: no evidence at all, yet its rows are known from its tags
    failed = ScenarioOutcome("b", "Both", False, Evidence(), why="refused", rows=[("alpha", "to_netsuite"),
                                                                         ("alpha", "from_netsuite")])
    report = build_report([synced("a", "alpha", "to_netsuite"), failed], MATRIX)
    assert row_of(report, "alpha", "to_netsuite")["scenarios_failed"] == 1
    assert row_of(report, "alpha", "from_netsuite")["verdict"] == "failed"
    assert report["scenarios"]["failed_without_cell"] == [] and report["verdict"] == "failed"
    # ... while a failure that exercised no claimed row still fails the run
    report = build_report([synced("a", "alpha", "to_netsuite"), failed], MATRIX,
                          claim={**ALPHA_TO_ONLY, "rows": [cell("beta", "from_netsuite")]})
    assert report["verdict"] == "failed"
    assert report["scenarios"]["failed_without_cell"] == ["Both"]


def test_the_rows_evidence_is_the_same_whatever_order_the_scenarios_finished_in():
    # under -n the scenarios finish in no fixed order; the report must not depend on it
    outcomes = [synced("a", "alpha", "to_netsuite", "10.00", "10.00"),
                synced("b", "alpha", "to_netsuite", "5.50", "5.50"),
                synced("c", "alpha", "to_netsuite", "7.25", "7.25")]
    assert build_report(outcomes, MATRIX)["rows"] == build_report(outcomes[::-1], MATRIX)["rows"]
