from decimal import Decimal as D

from harness.reconcile import OrderEvidence, SideRefund, reconcile


def evidence(storefront, netsuite, *, line_items=True, direction="to_netsuite"):
    return OrderEvidence("1001", "Shopify", direction, "USD", line_items, tuple(storefront), tuple(netsuite))


def test_matching_refunds_reconcile():
    sf = SideRefund("r1", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),))
    ns = SideRefund("7781", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),), "cashRefund")
    result = reconcile(evidence([sf], [ns]))
    assert result.matches and result.difference == 0
    assert "match" in result.describe()


def test_tax_only_difference_is_attributed_to_netsuite_configuration():
    sf = SideRefund("r1", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),))
    ns = SideRefund("7781", D("25.00"), "USD", D("0.00"), (("SKU-1", 1),), "cashRefund")
    result = reconcile(evidence([sf], [ns]))
    assert not result.matches
    text = result.describe()
    assert "differ by 2.00 USD" in text and "storefront 27.00 USD" in text and "NetSuite 25.00 USD" in text
    assert result.likely_cause.startswith("NetSuite configuration")
    assert "tax" in result.likely_cause


def test_missing_refund_is_attributed_to_the_connector():
    sf = SideRefund("r1", D("10.00"), "USD", D("0.80"), (("SKU-1", 1),))
    result = reconcile(evidence([sf], []))
    assert "the storefront has 1 refund(s), NetSuite has 0" in result.describe()
    assert result.likely_cause.startswith("the connector")


def test_line_quantities_are_compared_only_for_line_item_storefronts():
    sf = SideRefund("r1", D("10.00"), "USD", None, (("SKU-1", 2),))
    ns = SideRefund("7", D("10.00"), "USD", None, (("SKU-1", 1),), "cashRefund")
    assert "SKU-1: storefront 2 vs NetSuite 1" in reconcile(evidence([sf], [ns])).describe()
    assert reconcile(evidence([SideRefund("r1", D("10.00"), "USD")], [ns], line_items=False)).matches


def test_from_netsuite_shortfall_points_at_the_storefront():
    sf = SideRefund("r1", D("9.00"), "USD", None)
    ns = SideRefund("7", D("10.00"), "USD", D("0.50"), (), "creditMemo")
    result = reconcile(evidence([sf], [ns], line_items=False, direction="from_netsuite"))
    assert result.likely_cause.startswith("the storefront")


def test_currency_mismatch_is_reported():
    sf = SideRefund("r1", D("10.00"), "USD")
    ns = SideRefund("7", D("10.00"), "EUR", None, (), "cashRefund")
    result = reconcile(evidence([sf], [ns], line_items=False))
    assert "currency" in result.describe() and not result.matches


def test_line_amounts_and_tax_are_compared_where_both_sides_state_them():
    sf = SideRefund("r1", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),), "", (("SKU-1", D("25.00"), D("2.00")),))
    moved = SideRefund("7", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),), "cashRefund",
                       (("SKU-1", D("20.00"), D("2.00")),))  # 5.00 moved off the line: the total still matches
    result = reconcile(evidence([sf], [moved]))
    assert not result.matches
    assert "refunded line amounts differ (SKU-1: storefront 25.00 + tax 2.00 vs NetSuite 20.00 + tax 2.00 USD)" \
        in result.describe()
    same = SideRefund("7", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),), "cashRefund",
                      (("SKU-1", D("25.00"), D("2.00")),))
    assert reconcile(evidence([sf], [same])).matches


def test_a_side_that_does_not_state_line_values_is_not_compared_by_value():
    sf = SideRefund("r1", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),))   # e.g. adjusted by a discrepancy
    ns = SideRefund("7", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),), "cashRefund",
                    (("SKU-1", D("20.00"), D("2.00")),))
    assert reconcile(evidence([sf], [ns])).matches


def test_refunded_shipping_is_compared():
    sf = SideRefund("r1", D("10.00"), "USD", D("0"), (), "", (), D("10.00"))
    ns = SideRefund("7", D("10.00"), "USD", D("0"), (), "cashRefund", (), D("0"))
    result = reconcile(evidence([sf], [ns]))
    assert "refunded shipping differs: storefront 10.00 USD, NetSuite 0 USD" in result.describe()
    assert reconcile(evidence([sf], [SideRefund("7", D("10.00"), "USD", D("0"), (), "cashRefund", (), None)])).matches


# --- against intent: each side against what the scenario meant, not only against the other side ---

def intent(storefront, netsuite, *, paid=D("50.00"), fully_refunded=False, asked=(), direction="to_netsuite"):
    return OrderEvidence("1001", "Shopify", direction, "USD", False, tuple(storefront), tuple(netsuite),
                         paid=paid, fully_refunded=fully_refunded, asked=tuple(asked))


def test_refunds_within_what_was_paid_and_as_asked_reconcile():
    result = reconcile(intent([SideRefund("r1", D("12.35"), "USD")], [SideRefund("7", D("12.35"), "USD")],
                              asked=[("r1", D("12.35"))]))
    assert result.matches, result.describe()


def test_both_sides_refunding_more_than_the_order_paid_is_a_problem_even_when_they_agree():
    result = reconcile(intent([SideRefund("r1", D("60.00"), "USD")], [SideRefund("7", D("60.00"), "USD")]))
    text = result.describe()
    assert not result.matches
    assert "the storefront refunded 60.00 USD in all, more than the order paid (50.00 USD)" in text
    assert "NetSuite refunded 60.00 USD in all, more than the order paid (50.00 USD)" in text
    assert result.likely_cause.startswith("the storefront: it accepted refunds")  # the source side, to NetSuite


def test_more_than_paid_on_the_target_side_is_the_connectors():
    result = reconcile(intent([SideRefund("r1", D("50.01"), "USD")], [SideRefund("7", D("50.01"), "USD")],
                              direction="from_netsuite"))
    assert "the storefront refunded 50.01 USD in all, more than the order paid" in result.describe()
    assert result.likely_cause.startswith("the connector: it gave back more on the storefront")


def test_a_full_refund_must_give_back_exactly_what_was_paid_on_each_side():
    short = intent([SideRefund("r1", D("49.99"), "USD")], [SideRefund("7", D("49.99"), "USD")], fully_refunded=True)
    text = reconcile(short).describe()
    assert "refunded in full, but the storefront refunded 49.99 USD of the 50.00 USD it paid" in text
    assert "refunded in full, but NetSuite refunded 49.99 USD" in text
    exact = intent([SideRefund("r1", D("50.00"), "USD")], [SideRefund("7", D("50.00"), "USD")], fully_refunded=True)
    assert reconcile(exact).matches


def test_a_storefront_refund_must_give_back_what_the_scenario_asked():
    result = reconcile(intent([SideRefund("r1", D("12.36"), "USD"), SideRefund("r2", D("1.00"), "USD")],
                              [SideRefund("7", D("12.36"), "USD"), SideRefund("8", D("1.00"), "USD")],
                              asked=[("r1", D("12.35"))]))   # r2 was not asked by the scenario: not compared
    assert result.problems == ("storefront refund r1 gave back 12.36 USD where the scenario asked for 12.35 USD",)
    assert result.likely_cause.startswith("the storefront: it refunded a different amount")


def test_without_a_paid_total_nothing_is_checked_against_it():
    result = reconcile(intent([SideRefund("r1", D("60.00"), "USD")], [SideRefund("7", D("60.00"), "USD")],
                              paid=None, fully_refunded=True))
    assert result.matches


def test_a_tax_difference_the_connector_sent_is_the_connectors_not_netsuites():
    sf = SideRefund("r1", D("27.00"), "USD", D("2.00"), (("SKU-1", 1),))
    ns = SideRefund("7781", D("25.00"), "USD", D("0.00"), (("SKU-1", 1),), "cashRefund")
    sent_nothing = OrderEvidence("1001", "Shopify", "to_netsuite", "USD", True, (sf,), (ns,), sent_tax=D("0.00"))
    assert reconcile(sent_nothing).likely_cause.startswith("the connector: it sent NetSuite 0.00 USD of tax")
    sent_right = OrderEvidence("1001", "Shopify", "to_netsuite", "USD", True, (sf,), (ns,), sent_tax=D("2.00"))
    assert reconcile(sent_right).likely_cause.startswith("NetSuite configuration")


def _magento_from_netsuite(sf_line, ns_line):
    from harness.reconcile import OrderEvidence, SideRefund, reconcile

    total = sf_line[0] + sf_line[1]
    sf = SideRefund("r1", total, "EUR", lines=(("SKU-1004", 1),), line_values=(("SKU-1004",) + sf_line,))
    ns = SideRefund("CR-1", total, "EUR", lines=(("SKU-1004", 1),), line_values=(("SKU-1004",) + ns_line,))
    return reconcile(OrderEvidence("2", "Magento", "from_netsuite", "EUR", True, (sf,), (ns,)))


def test_from_netsuite_a_line_split_a_cent_apart_between_amount_and_tax_is_the_storefronts_rounding():
    # NetSuite refunded one of four units as 69.52 + 4.34; Magento's credit memo, given the quantity, 69.51 + 4.35
    assert _magento_from_netsuite((D("69.51"), D("4.35")), (D("69.52"), D("4.34"))).matches


def test_a_line_whose_money_differs_or_whose_tax_moved_more_than_a_cent_still_mismatches():
    assert not _magento_from_netsuite((D("69.50"), D("4.36")), (D("69.52"), D("4.34"))).matches   # 2 cents moved
    assert not _magento_from_netsuite((D("73.86"), D("0.00")), (D("69.52"), D("4.34"))).matches   # tax dropped


def test_from_netsuite_each_refunds_tax_may_carry_the_storefronts_rounding_the_whole_orders_may_not():
    # NetSuite: one unit of three at 2.42 of tax, then the other two at 4.83; a storefront pricing units
    # cumulatively gives 2.42 and 4.83 too, but in the other order the first refund takes 2.41
    netsuite = [SideRefund("5031", D("16.87"), "USD", D("2.42")), SideRefund("5032", D("33.13"), "USD", D("4.83"))]
    rounded = [SideRefund("r1", D("16.87"), "USD", D("2.41")), SideRefund("r2", D("33.13"), "USD", D("4.84"))]
    in_full = intent(rounded, netsuite, fully_refunded=True, direction="from_netsuite")
    assert reconcile(in_full).matches, reconcile(in_full).describe()
    # a cent of tax turned into money refunded without tax (or lost): the order's tax is short
    short = [SideRefund("r1", D("16.87"), "USD", D("2.41")), SideRefund("r2", D("33.13"), "USD", D("4.83"))]
    result = reconcile(intent(short, netsuite, fully_refunded=True, direction="from_netsuite"))
    assert ("the order was refunded in full, but the storefront refunded 7.24 USD of tax where NetSuite "
            "refunded 7.25 USD") in result.describe()
    assert result.likely_cause.startswith("the connector: every cent of tax NetSuite refunded")
    # while the order is not refunded in full, which refund carries a line's odd cent is still open
    assert reconcile(intent(short, netsuite, direction="from_netsuite")).matches
