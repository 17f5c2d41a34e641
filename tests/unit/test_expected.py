"""What a scenario meant (harness.expected) and the evidence a scenario hands the report (harness.certification)."""
import json
from decimal import Decimal as D

import pytest

from harness.certification import Evidence, OrderProof
from harness.expected import ExpectedOutcome, OrderUnderTest, worth
from harness.storefronts import PlacedOrder
from simulators.core.orders import LineSpec, OrderSpec, price_order

SPEC = OrderSpec(lines=(LineSpec("SKU-1", "Mug", D("10.00"), 3, tax_rate=D("0.0825")),
                        LineSpec("SKU-2", "Cap", D("7.99"), 1, discount=D("1.00"))),
                 shipping=D("5.00"), shipping_tax_rate=D("0.10"))


def placed_order(ledger: ExpectedOutcome) -> OrderUnderTest:
    return ledger.placed(OrderUnderTest(PlacedOrder("alpha", "1001", "USD", price_order(SPEC).total, (), D("5.00")),
                                        "account-1", SPEC))


def test_an_order_s_expectations_cannot_be_written_around_the_ledger():
    order = placed_order(ExpectedOutcome())
    for name, value in (("adjusted", True), ("fully_refunded", True), ("refunded_units", {1: 1}),
                        ("shipping_refunded", True), ("asked", {}), ("storefront_refund_ids", ()),
                        ("deleted_in_netsuite", True)):
        with pytest.raises(AttributeError):
            setattr(order, name, value)
    with pytest.raises(TypeError):
        order.asked["r1"] = D("1.00")   # read-only view


def test_refunding_unit_by_unit_is_worth_exactly_what_the_order_paid():
    ledger = ExpectedOutcome()
    order = placed_order(ledger)
    total = D(0)
    for refund, lines in enumerate(((1, 1),) * 3 + ((2, 1),), start=1):
        quote = ledger.quote(order, lines=(lines,), shipping=refund == 4)
        total += quote.worth
        ledger.refunded_in_storefront(order, f"r{refund}", quote=quote)
    assert total == price_order(SPEC).total == worth(SPEC, units={1: 3, 2: 1}, shipping=True)
    assert order.fully_refunded and not order.adjusted
    assert order.storefront_refund_ids == ("r1", "r2", "r3", "r4") and order.asked == {}


def test_an_amount_other_than_the_worth_never_counts_as_fully_refunded():
    ledger = ExpectedOutcome()
    order = placed_order(ledger)
    quote = ledger.quote(order, whole_order=True)
    ledger.refunded_in_storefront(order, "r1", asked=quote.worth - D("1.00"), adjusted=True, quote=quote)
    assert order.adjusted and not order.fully_refunded and order.asked == {"r1": quote.worth - D("1.00")}
    assert dict(order.refunded_units) == {1: 3, 2: 1} and order.shipping_refunded
    ledger.refunded_in_netsuite(order, whole=True, amount=False)
    assert not order.fully_refunded


def test_the_ledger_keeps_orders_in_the_order_placed_and_a_deliberate_mismatch():
    ledger = ExpectedOutcome()
    first, second = placed_order(ledger), placed_order(ledger)
    assert ledger.orders == (first, second) and not ledger.mismatch_expected
    ledger.expect_mismatch()
    ledger.deleted_in_netsuite(first)
    assert ledger.mismatch_expected and first.deleted_in_netsuite and not second.deleted_in_netsuite


def test_evidence_has_one_json_form_that_round_trips_exactly():
    data = {"cells": [{"platform": "alpha", "direction": "to_netsuite"}],
            "orders": [{"order_id": "1", "platform": "alpha", "direction": "to_netsuite", "currency": "JPY",
                        "storefront_total": "500", "netsuite_total": "500.00", "matches": False,
                        "description": "order 1: differs"}],
            "expect_mismatch": True, "seed": 7, "run_reports": {"checked": 2, "not_checked": 1}}
    evidence = Evidence.from_json(json.loads(json.dumps(data)))
    assert evidence.orders[0] == OrderProof("1", "alpha", "to_netsuite", "JPY", D("500"), D("500.00"), False,
                                            "order 1: differs")
    assert json.dumps(evidence.as_json()) == json.dumps(data)
    assert Evidence().as_json() == {} and Evidence.from_json({}) == Evidence()
    included = Evidence(seed=1).including(evidence)
    assert included.cells == (("alpha", "to_netsuite"),) and included.orders == evidence.orders
    assert not included.expect_mismatch and included.seed == 1   # the rows, orders and run counts are taken over
    assert (included.run_reports_checked, included.run_reports_not_checked) == (2, 1)
