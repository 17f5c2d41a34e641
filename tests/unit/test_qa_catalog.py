"""The catalog QA writes cases with: every placeholder type documented with a real example, plurals
that agree with their number, exact orders as written, and line refunds refused where the storefront
cannot refund by line unless the scenario says an amount is acceptable."""
from decimal import Decimal as D

import pytest
from pytest_bdd import parsers

from common import money
from harness import factories
from harness.platforms import platforms
from harness.scenario import CannotRefundByLine, ScenarioWorld
from simulators.core.orders import price_order
from steps.vocabulary import TYPES, describe_types, load_catalog, type_example_converts


def test_every_placeholder_type_is_described_with_an_example_that_converts():
    described = {doc.name: doc for doc in describe_types()}
    assert set(TYPES) | {"d"} == set(described)
    assert all(type_example_converts(doc) for doc in described.values()), [
        doc for doc in described.values() if not type_example_converts(doc)]


def _matches(keyword: str, text: str) -> bool:
    return any(parsers.parse(d.pattern, extra_types=TYPES).is_matching(text)
               for d in load_catalog() if d.keyword == keyword)


@pytest.mark.parametrize("keyword,text,ok", [
    ("When", "the merchant refunds 1 unit of line 1 in the storefront", True),
    ("When", "the merchant refunds 2 units of line 1 in the storefront", True),
    ("When", "the merchant refunds 1 units of line 1 in the storefront", False),
    ("When", "the merchant refunds 2 unit of line 1 in the storefront", False),
    ("When", "1 unit of line 2 and the shipping are refunded at the source", True),
    ("When", "1 units of line 2 and the shipping are refunded at the source", False),
    ("Then", "NetSuite has exactly 1 refund for the order", True),
    ("Then", "NetSuite has exactly 0 refunds for the order", True),
    ("Then", "NetSuite has exactly 1 refunds for the order", False),
    ("Then", "the storefront has exactly 12 refunds for the order", True),
    ("When", "the storefront delivers its refund webhooks once", True),
    ("When", "the storefront delivers its refund webhooks 3 times", True),
    ("When", "the storefront delivers its refund webhooks 1 times", False),
    ("When", "I delete every refund of the order", True),
    ("When", "I uncancel the refund", True),
])
def test_plurals_agree_with_their_number(keyword, text, ok):
    assert _matches(keyword, text) is ok


def test_order_terms_read_in_any_order_and_joined_either_way():
    read = TYPES["OrderTerms"]
    assert read("tax rate 8.25%, shipping 7.50 and an order discount of 5") == {
        "tax_rate": D("0.0825"), "shipping": D("7.50"), "discount": D("5")}
    assert read("shipping 7.50 and tax rate 10%") == {"shipping": D("7.50"), "tax_rate": D("0.10")}


CATALOG = [factories.CatalogItem(f"SKU-{1001 + n}", f"Item {n + 1}", D("12.00") + n) for n in range(3)]


def test_an_exact_order_is_priced_as_written_with_its_discount_spread_by_value():
    exact = factories.ExactOrder((factories.ExactLine("1", 1, D("30.00")), factories.ExactLine("sku-1002", 1, D("10.00"))),
                                 tax_rate=D("0.10"), shipping=D("7.50"), discount=D("4.00"))
    spec = factories.DataSource(1).order(CATALOG, exact=exact, card_gateway="card")
    assert [(line.sku, line.discount) for line in spec.lines] == [("SKU-1001", D("3.00")), ("SKU-1002", D("1.00"))]
    assert price_order(spec).total == D("36.00") + D("3.60") + D("7.50") + D("0.75")
    assert spec.gateway == "card"


def test_an_exact_line_without_a_price_takes_the_catalogs_and_terms_bill_as_invoice():
    exact = factories.ExactOrder((factories.ExactLine("3", 2),), currency="JPY", on_terms=True)
    spec = factories.exact_order(CATALOG, exact, card_gateway="card")
    assert spec.lines[0].price == factories.price_in(CATALOG[2], "JPY") and money.exponent("JPY") == 0
    assert spec.gateway == factories.TERMS_GATEWAY


def test_a_lines_own_discount_stays_on_it_and_an_order_discount_is_spread_over_what_is_left():
    exact = factories.ExactOrder((factories.ExactLine("1", 2, D("10.00"), D("2.00")),
                                  factories.ExactLine("2", 1, D("18.00"))), discount=D("3.40"))
    spec = factories.exact_order(CATALOG, exact, card_gateway="card")
    # 18.00 and 18.00 left after the line's own discount: the order discount splits evenly
    assert [line.discount for line in spec.lines] == [D("2.00") + D("1.70"), D("1.70")]


@pytest.mark.parametrize("exact,message", [
    (factories.ExactOrder((factories.ExactLine("1", 1, D("5.00"), D("5.01")),)), "line 1 .* between 0 and"),
    (factories.ExactOrder((factories.ExactLine("1", 1, D("5.00"), D("-1")),)), "line 1 .* between 0 and"),
    (factories.ExactOrder((factories.ExactLine("SKU-9", 1),)), "no catalog item 'SKU-9'"),
    (factories.ExactOrder((factories.ExactLine("4", 1),)), "item number 1..3"),
    (factories.ExactOrder((factories.ExactLine("1", 1, D("5.00")),), discount=D("6.00")), "more than the lines'"),
])
def test_an_impossible_exact_order_is_refused_saying_why(exact, message):
    with pytest.raises(ValueError, match=message):
        factories.exact_order(CATALOG, exact, card_gateway="card")


AMOUNT_ONLY = [p for p in platforms() if not p.capabilities.line_items]


@pytest.mark.skipif(not AMOUNT_ONLY, reason="no registered storefront refunds by amount only")
def test_a_line_refund_where_the_storefront_cannot_refund_by_line_needs_leave_to_refund_an_amount(tmp_path):
    world = ScenarioWorld(seed=5, workdir=tmp_path)
    try:
        account = world.connect(AMOUNT_ONLY[0])
        exact = factories.ExactOrder((factories.ExactLine("1", 2, D("10.00")),), tax_rate=D("0.10"))
        order = world.place_order(account, exact=exact)
        with pytest.raises(CannotRefundByLine, match="cannot refund by line"):
            world.refund_at_storefront(order, lines=((1, 1),))
        assert not order.storefront_refund_ids
        made = world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)
        assert order.asked == {made: D("11.00")}
        made = world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)
        assert order.fully_refunded and order.asked[made] == D("11.00")
    finally:
        world.close()
