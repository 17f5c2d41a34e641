import json

from harness.certification import ScenarioOutcome, build_report, write_report


def order(platform, direction, sf, ns, matches=True, currency="USD"):
    return {"order_id": "1", "platform": platform, "direction": direction, "currency": currency,
            "storefront_total": sf, "netsuite_total": ns, "matches": matches, "description": "d"}


def cell(platform, direction, line_items=True):
    return {"storefront": platform, "direction": direction, "line_items": line_items}


def test_rows_aggregate_scenarios_orders_and_totals():
    outcomes = [
        ScenarioOutcome("a", "A", True, {"cells": [cell("Shopify", "to_netsuite")],
                                         "orders": [order("Shopify", "to_netsuite", "10.00", "10.00")]}),
        ScenarioOutcome("b", "B", True, {"cells": [cell("Shopify", "to_netsuite")],
                                         "orders": [order("Shopify", "to_netsuite", "5.50", "5.50")]}),
        ScenarioOutcome("c", "C", True, {"cells": [cell("Square", "from_netsuite", False)],
                                         "orders": [order("Square", "from_netsuite", "3.00", "3.00")]}),
    ]
    report = build_report(outcomes)
    assert report["verdict"] == "certified"
    shopify = next(r for r in report["rows"] if r["storefront"] == "Shopify")
    assert shopify["scenarios_passed"] == 2 and shopify["orders"] == 2
    assert shopify["storefront_refund_total"] == shopify["netsuite_refund_total"] == {"USD": "15.50"}
    square = next(r for r in report["rows"] if r["storefront"] == "Square")
    assert square["line_items"] is False and square["direction"] == "from_netsuite"


def test_a_failed_scenario_fails_its_cell_and_the_verdict():
    outcomes = [ScenarioOutcome("a", "A", False, {"cells": [cell("Shopify", "to_netsuite")],
                                                  "orders": [order("Shopify", "to_netsuite", "1.00", "1.00")]})]
    report = build_report(outcomes)
    assert report["verdict"] == "failed" and report["rows"][0]["verdict"] == "failed"
    assert "scenario failed: A" in report["rows"][0]["reasons"]


def test_a_cell_without_synced_refunds_is_not_certified():
    report = build_report([ScenarioOutcome("a", "A", True, {"cells": [cell("Shopify", "from_netsuite")]})])
    assert report["rows"][0]["verdict"] == "failed"
    assert "nothing proves the totals" in report["rows"][0]["reasons"][0]


def test_expected_mismatches_are_evidence_not_totals():
    outcomes = [
        ScenarioOutcome("a", "A", True, {"cells": [cell("Shopify", "to_netsuite")],
                                         "orders": [order("Shopify", "to_netsuite", "2.00", "2.00")]}),
        ScenarioOutcome("m", "M", True, {"cells": [cell("Shopify", "to_netsuite")], "expect_mismatch": True,
                                         "orders": [order("Shopify", "to_netsuite", "27.00", "25.00", False)]}),
    ]
    row = build_report(outcomes)["rows"][0]
    assert row["verdict"] == "certified" and row["storefront_refund_total"] == {"USD": "2.00"}
    assert len(row["evidence"]["detected_mismatches"]) == 1


def test_a_failure_outside_any_cell_still_fails_the_run():
    outcomes = [ScenarioOutcome("a", "A", True, {"cells": [cell("Shopify", "to_netsuite")],
                                                 "orders": [order("Shopify", "to_netsuite", "1.00", "1.00")]}),
                ScenarioOutcome("p", "Prereq", False, {})]
    report = build_report(outcomes)
    assert report["verdict"] == "failed" and report["scenarios"]["failed_without_cell"] == ["Prereq"]


def test_report_is_written_whole(tmp_path):
    path = tmp_path / "deep" / "certification.json"
    write_report(path, {"verdict": "certified", "rows": []})
    assert json.loads(path.read_text()) == {"verdict": "certified", "rows": []}
    assert [p.name for p in path.parent.iterdir()] == ["certification.json"]


def test_failure_reasons_explain_a_failed_verdict():
    from harness.certification import failure_reasons

    assert failure_reasons(build_report([])) == [
        "no scenario synced refunds for any storefront and direction, so nothing is certified"]
    report = build_report([ScenarioOutcome("a", "A", False, {"cells": [cell("Shopify", "to_netsuite")]})])
    assert "Shopify to_netsuite: scenario failed: A" in failure_reasons(report)


def test_currencies_are_totalled_apart_in_one_row_per_cell():
    outcomes = [ScenarioOutcome("a", "A", True, {"cells": [cell("Shopify", "to_netsuite")],
                                                 "orders": [order("Shopify", "to_netsuite", "10.00", "10.00")]}),
                ScenarioOutcome("j", "J", True, {"cells": [cell("Shopify", "to_netsuite")],
                                                 "orders": [order("Shopify", "to_netsuite", "500", "500", currency="JPY")]})]
    (row,) = build_report(outcomes)["rows"]
    assert row["storefront_refund_total"] == {"JPY": "500", "USD": "10.00"} == row["netsuite_refund_total"]
    assert row["orders"] == 2 and row["verdict"] == "certified"
