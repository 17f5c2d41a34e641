"""The certification report from scenario outcomes, on a made-up matrix (platforms 'alpha', 'beta')."""
import json

from harness.certification import MatrixRow, ScenarioOutcome, build_report, failure_reasons, write_report

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
    return ScenarioOutcome(name, name.upper(), passed, {"cells": [cell(platform, direction)],
                                                        "orders": [order(platform, direction, sf, ns)], **more})


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
    report = build_report([ScenarioOutcome("a", "A", True, {"cells": [cell("alpha", "from_netsuite")]})], MATRIX)
    row = row_of(report, "alpha", "from_netsuite")
    assert row["verdict"] == "failed" and "nothing proves the totals" in row["reasons"][0]


def test_evidence_for_a_direction_the_platform_does_not_offer_is_ignored():
    report = build_report([synced("a", "beta", "to_netsuite")], MATRIX)
    assert all(r["scenarios_passed"] == 0 for r in report["rows"])


def test_expected_mismatches_are_evidence_not_totals():
    outcomes = [synced("a", "alpha", "to_netsuite", "2.00", "2.00"),
                ScenarioOutcome("m", "M", True, {"cells": [cell("alpha", "to_netsuite")], "expect_mismatch": True,
                                                 "orders": [order("alpha", "to_netsuite", "27.00", "25.00", False)]})]
    row = row_of(build_report(outcomes, MATRIX), "alpha", "to_netsuite")
    assert row["verdict"] == "certified" and row["storefront_refund_total"] == {"USD": "2.00"}
    assert len(row["evidence"]["detected_mismatches"]) == 1


def test_a_failure_outside_any_cell_still_fails_the_run():
    outcomes = [synced("a", "alpha", "to_netsuite"), ScenarioOutcome("p", "Prereq", False, {})]
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
                ScenarioOutcome("j", "J", True, {"cells": [cell("alpha", "to_netsuite")],
                                                 "orders": [order("alpha", "to_netsuite", "500", "500", currency="JPY")]})]
    row = row_of(build_report(outcomes, MATRIX), "alpha", "to_netsuite")
    assert row["storefront_refund_total"] == {"JPY": "500", "USD": "10.00"} == row["netsuite_refund_total"]
    assert row["orders"] == 2 and row["verdict"] == "certified"
