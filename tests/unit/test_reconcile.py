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
