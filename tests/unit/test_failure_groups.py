"""Failures grouped by cause: the same bug on other orders, amounts and platforms is one group; the
report, the HTML and the terminal lead with the verdict, the matrix and the groups."""
from __future__ import annotations

from harness.certification import MatrixRow, ScenarioOutcome, build_report
from harness.failure_groups import group_failures, key_of
from harness.html_report import render_html

DROPS_TAX = ("at step 'Then the refund totals match on both sides': order {order} (shopify, to_netsuite): storefront "
             "{amount} + tax 1.{cents} vs NetSuite {amount} + tax 0.00. Likely cause: the connector: it sent NetSuite "
             "0 USD of tax for order {order}.")
MATRIX = [MatrixRow("shopify", "Shopify", "to_netsuite", True), MatrixRow("square", "Square", "to_netsuite", False)]


def test_the_same_cause_on_other_orders_and_amounts_is_one_group():
    failures = [(f"scenario {n}", DROPS_TAX.format(order=1000 + n, amount=10 + n, cents=n), [("shopify", "to_netsuite")])
                for n in range(5)]
    failures.append(("other", "at step 'Then NetSuite has exactly 2 refunds for the order': found 3", [("square", "to_netsuite")]))
    groups = group_failures(failures)
    assert [len(g.scenarios) for g in groups] == [5, 1]
    assert groups[0].check == "Then the refund totals match on both sides"
    assert groups[0].cause == "the connector: it sent NetSuite N <currency> of tax for order N"
    assert groups[0].rows == [("shopify", "to_netsuite")]
    assert groups[1].check == "Then NetSuite has exactly N refunds for the order"


def test_one_named_cause_caught_by_different_checks_in_other_currencies_is_one_group():
    failures = [("a", "at step 'Then the refund totals match on both sides': x. Likely cause: it sent NetSuite 0 USD of tax.", []),
                ("b", "at step 'Then every refund of the order is posted, once on each side': y. Likely cause: "
                      "it sent NetSuite 0 JPY of tax.", []),
                ("c", "at step 'Then the refund totals match on both sides': z. Likely cause: it sent NetSuite 3 EUR of tax.", [])]
    (group,) = group_failures(failures)
    assert group.checks == ["Then the refund totals match on both sides",
                            "Then every refund of the order is posted, once on each side"]
    assert group.cause == "it sent NetSuite N <currency> of tax"


def test_an_apostrophe_is_not_a_quote():
    assert key_of("at step \"Then NetSuite's refund is 3\": NetSuite's total is 4. It's wrong")[:2] == (
        "Then NetSuite's refund is N", "NetSuite's total is N.")


def test_platform_names_are_masked_so_one_bug_on_many_storefronts_is_one_group():
    whys = [f"at step 'Given a {name} store connected to NetSuite': {name} refused the token" for name in ("Shopify", "Square")]
    assert key_of(whys[0], ("Shopify", "Square")) == key_of(whys[1], ("Shopify", "Square"))


def test_without_a_likely_cause_the_first_sentence_is_the_cause():
    assert key_of("at step 'When I post': Refund 12 is canceled, so it is not posted. Uncancel it first.") == (
        "When I post", "Refund N is canceled, so it is not posted.", False)
    assert key_of("RuntimeError: boom")[0] == "(before or after the steps)"


def _report():
    long_why = "at step 'Then the refund totals match on both sides': " + "x" * 400 + " Likely cause: at the end."
    outcomes = [ScenarioOutcome(f"n{n}", f"Refunds [shopify] {n}", False, why=DROPS_TAX.format(order=n, amount=10, cents=n),
                                rows=[("shopify", "to_netsuite")]) for n in range(208)]
    outcomes.append(ScenarioOutcome("long", "Long reason [square]", False, why=long_why, rows=[("square", "to_netsuite")]))
    return build_report(outcomes, MATRIX), long_why


def test_the_report_has_the_groups_and_every_failure_whole():
    report, long_why = _report()
    (big, _long) = report["failure_groups"]
    assert big["count"] == 208 and big["rows"] == [{"platform": "shopify", "direction": "to_netsuite"}]
    assert len(big["examples"]) == 3
    assert report["scenarios"]["why_failed"]["Long reason [square]"] == long_why   # never cut before its cause


def test_the_html_opens_with_verdict_matrix_then_groups_and_folds_the_details():
    report, long_why = _report()
    html = render_html(report)
    assert html.index("<h2>Matrix</h2>") < html.index("<h2>Failures by cause</h2>") < html.index("<h2>Run</h2>")
    assert html.index("<h2>Failures by cause</h2>") < html.index("<h2>Scenarios that did not pass</h2>")
    assert "<details><summary>Long reason [square]</summary>" in html and "Likely cause: at the end." in html
    assert html.count("<li>scenario failed:") == 0 or html.index("<li>scenario failed:") > html.index("<h2>Run</h2>")
