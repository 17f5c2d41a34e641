"""Money mapping of a storefront refund onto NetSuite refund lines: to the cent, nothing dropped."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common import money
from connector import ConnectorError, RefundLine
from connector.model import LineKind
from connector.to_netsuite import netsuite_refund_lines
from tests.property_budget import examples

D = Decimal
BILLED = [{"line": 1, "item": {"id": "201"}, "quantity": 3, "custcol_storefront_line_id": "11"},
          {"line": 2, "item": {"id": "202"}, "quantity": 1, "custcol_storefront_line_id": "12"},
          {"line": 3, "item": {"id": "52"}, "quantity": 1, "custcol_storefront_line_id": "shipping-31"}]
ITEMS = {"TEE-1": "201", "MUG-2": "202"}
TEE = RefundLine("TEE-1", D(1), D("17.50"), D("1.40"), line_id="11")
SHIPPING = RefundLine(None, D(1), D("7.00"), D("0.56"), line_id="shipping-31", kind=LineKind.SHIPPING)


def _lines(lines, total, currency="USD", generic="51", shipping="52"):
    return netsuite_refund_lines(lines, D(total), currency, BILLED, ITEMS, shipping, generic)


def _sum(items):
    return sum((i["amount"] + i["taxAmount"] for i in items), D(0))


def test_line_refund_points_at_the_billed_line_and_shipping_goes_on_the_shipping_item() -> None:
    items = _lines([TEE, SHIPPING], "26.46")
    assert items == [
        {"orderLine": 1, "quantity": 1, "amount": D("17.50"), "taxAmount": D("1.40")},
        {"item": {"id": "52"}, "quantity": 1, "amount": D("7.00"), "taxAmount": D("0.56"),
         "description": "Shipping refund"}]


def test_money_beyond_the_lines_goes_on_the_generic_refund_item() -> None:
    items = _lines([TEE], "20.00")   # e.g. a goodwill amount on top of the line
    assert items[-1] == {"item": {"id": "51"}, "quantity": 1, "amount": D("1.10"), "taxAmount": D("0.00"),
                         "description": "Refund adjustment"}
    assert _sum(items) == D("20.00")


def test_an_amount_only_refund_is_one_generic_line() -> None:
    assert _lines([], "12.34") == [{"item": {"id": "51"}, "quantity": 1, "amount": D("12.34"), "taxAmount": D("0.00"),
                                    "description": "Refund adjustment"}]


def test_less_money_than_the_lines_reduces_the_lines_in_proportion() -> None:
    """A Shopify refund discrepancy: 25.48 went back for 26.46 worth of lines. NetSuite takes no
    negative lines, so the lines carry the 0.98 reduction, amounts first."""
    items = _lines([TEE, SHIPPING], "25.48")
    assert _sum(items) == D("25.48")
    assert all(i["amount"] >= 0 and i["taxAmount"] >= 0 for i in items)
    assert items[0]["orderLine"] == 1 and items[0]["quantity"] == 1
    assert items[0]["amount"] < D("17.50") and items[0]["taxAmount"] == D("1.40")


def test_lines_not_on_the_billed_record_are_not_dropped() -> None:
    ghost = RefundLine("HAT-3", D(1), D("9.00"), D("0.72"), line_id="99")
    items = _lines([TEE, ghost], "28.62")
    assert _sum(items) == D("28.62")
    assert items[-1]["item"] == {"id": "51"} and "HAT-3" in items[-1]["description"]


def test_a_line_is_found_by_sku_when_the_storefront_line_id_is_unknown() -> None:
    by_sku = RefundLine("MUG-2", D(1), D("12.50"), D("1.00"), line_id="line-that-changed")
    assert _lines([by_sku], "13.50") == [{"orderLine": 2, "quantity": 1, "amount": D("12.50"), "taxAmount": D("1.00")}]


def test_two_refund_lines_on_one_billed_line_are_merged() -> None:
    items = _lines([TEE, TEE], "37.80")
    assert items == [{"orderLine": 1, "quantity": 2, "amount": D("35.00"), "taxAmount": D("2.80")}]


def test_a_residual_without_a_generic_item_is_refused() -> None:
    with pytest.raises(ConnectorError, match="configure the generic refund item"):
        _lines([TEE], "30.00", generic=None)


def test_shipping_without_a_shipping_item_falls_to_the_generic_item() -> None:
    items = _lines([SHIPPING], "7.56", shipping=None)
    assert items == [{"item": {"id": "51"}, "quantity": 1, "amount": D("7.56"), "taxAmount": D("0.00"),
                      "description": "Refund adjustment"}]


def test_zero_decimal_currencies_stay_whole() -> None:
    line = RefundLine("TEE-1", D(1), D("1750"), D("140"), line_id="11")
    items = _lines([line], "2000", currency="JPY")
    assert [i["amount"] for i in items] == [D("1750"), D("110")] and _sum(items) == D("2000")


def _money(max_cents: int):
    return st.integers(min_value=0, max_value=max_cents).map(lambda cents: money.from_minor(cents, "USD"))


@settings(max_examples=examples(300), deadline=None)
@given(lines=st.lists(st.tuples(st.sampled_from(["11", "12", "99"]), st.integers(1, 3), _money(50_000), _money(5_000)),
                      max_size=4),
       shipping=st.one_of(st.none(), st.tuples(_money(3_000), _money(300))),
       adjustment=st.integers(min_value=-20_000, max_value=20_000))
def test_netsuite_lines_always_add_up_to_the_storefront_total(lines, shipping, adjustment) -> None:
    """For any refund of lines + shipping + an order adjustment, the NetSuite lines sum exactly to
    the storefront total, with no negative amounts."""
    sku_of = {"11": "TEE-1", "12": "MUG-2", "99": "HAT-3"}
    refund_lines = [RefundLine(sku_of[line_id], D(qty), amount, tax, line_id=line_id)
                    for line_id, qty, amount, tax in lines]
    if shipping:
        refund_lines.append(RefundLine(None, D(1), shipping[0], shipping[1], line_id="shipping-31", kind=LineKind.SHIPPING))
    worth = sum((line.gross for line in refund_lines), D(0))
    total = worth + money.from_minor(adjustment, "USD")
    if total <= 0:
        return   # no money went back: nothing to post (the flow refuses it before building lines)
    items = netsuite_refund_lines(refund_lines, total, "USD", BILLED, ITEMS, "52", "51")
    assert _sum(items) == total
    assert all(i["amount"] >= 0 and i["taxAmount"] >= 0 for i in items)
    assert all(money.round_amount(i["amount"], "USD") == i["amount"] for i in items)
    generic = [i for i in items if i.get("item") == {"id": "51"}]
    assert len(generic) <= 1
