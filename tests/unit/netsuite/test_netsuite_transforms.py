"""Transforms of the fake NetSuite: billing a sales order, refunding billed records, refund limits, tax."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.netsuite import NetSuiteError
from tests.unit.netsuite.helpers import (
    RECORDS,
    Catalog,
    World,
    created_id,
    error_detail,
    get_record,
    make_world,
    post_sales_order,
    seed_catalog,
    transform,
)
from tests.property_budget import examples


def bill(world: World, so: str, to_type: str = "cashSale") -> str:
    return created_id(transform(world, "salesOrder", so, to_type), to_type)


def lines_of(world: World, record_type: str, record_id: str) -> list[tuple]:
    return [(line["line"], line.get("orderLine"), line["item"]["id"], line["quantity"], line["amount"],
             line["taxAmount"]) for line in get_record(world, record_type, record_id)["item"]["items"]]


# --- billing -----------------------------------------------------------------------------------

def test_paid_order_bills_as_cash_sale_copying_every_line(world, catalog):
    so = post_sales_order(world, catalog, paid=True)
    cs = bill(world, so, "cashSale")
    doc = get_record(world, "cashSale", cs)
    assert doc["tranId"] == "CS-1002"
    assert doc["createdFrom"] == {"links": [], "id": so, "refName": "Sales Order #SO-1001"}
    assert doc["entity"]["id"] == catalog.customer and doc["total"] == 59
    assert "paymentMethod" not in doc
    assert [(n, item, q, a) for n, _, item, q, a, _ in lines_of(world, "cashSale", cs)] == [
        (1, catalog.shirt, 2, 49), (2, catalog.hat, 1, 10)]
    assert [line["custcol_storefront_line_id"] for line in doc["item"]["items"]] == ["L1", "L2"]


def test_unpaid_order_bills_as_invoice(world, catalog):
    so = post_sales_order(world, catalog, paid=False)
    inv = bill(world, so, "invoice")
    assert get_record(world, "invoice", inv)["tranId"].startswith("INV-")


def test_billing_rule_is_enforced_both_ways(world, catalog):
    paid = post_sales_order(world, catalog, external_id="paid", paid=True)
    unpaid = post_sales_order(world, catalog, external_id="unpaid", paid=False)
    response = transform(world, "salesOrder", paid, "invoice")
    assert response.status_code == 400 and "bill it as a cash sale" in error_detail(response)["detail"]
    response = transform(world, "salesOrder", unpaid, "cashSale")
    assert response.status_code == 400 and "bill it as an invoice" in error_detail(response)["detail"]
    assert world.sim.records("cashSale") == [] and world.sim.records("invoice") == []


def test_a_sales_order_bills_once(world, catalog):
    so = post_sales_order(world, catalog)
    cs = bill(world, so)
    response = transform(world, "salesOrder", so, "cashSale")
    detail = error_detail(response)
    assert "already been billed" in detail["detail"] and "CS-1002" in detail["detail"]
    assert [r["id"] for r in world.sim.records("cashSale")] == [cs]


def test_billing_is_in_full(world, catalog):
    so = post_sales_order(world, catalog)
    response = transform(world, "salesOrder", so, "cashSale",
                         {"item": {"items": [{"line": 1, "quantity": 1}]}})
    assert error_detail(response)["o:errorPath"] == "item"


def test_billed_order_lines_are_locked(world, catalog):
    so = post_sales_order(world, catalog)
    bill(world, so)
    response = world.client.patch(f"{RECORDS}/salesOrder/{so}",
                                  json={"item": {"items": [{"item": {"id": catalog.hat}}]}})
    assert error_detail(response)["o:errorPath"] == "item"
    assert world.client.patch(f"{RECORDS}/salesOrder/{so}", json={"memo": "ok"}).status_code == 204


def test_disallowed_transform_pairs_name_the_allowed_targets(world, catalog):
    so = post_sales_order(world, catalog)
    cs = bill(world, so)
    response = transform(world, "cashSale", cs, "creditMemo")
    detail = error_detail(response)
    assert detail["o:errorCode"] == "USER_ERROR" and "Allowed targets for cashSale: cashRefund" in detail["detail"]
    response = transform(world, "salesOrder", so, "cashRefund")
    assert "cashSale, invoice" in error_detail(response)["detail"]
    cr = created_id(transform(world, "cashSale", cs, "cashRefund"))
    response = transform(world, "cashRefund", cr, "creditMemo")
    assert "none" in error_detail(response)["detail"]
    assert transform(world, "cashSale", cs, "returnThing").status_code == 404


def test_transform_of_missing_record_is_404(world, catalog):
    response = transform(world, "cashSale", "99999", "cashRefund")
    assert response.status_code == 404


# --- refunds -----------------------------------------------------------------------------------

def test_full_refund_copies_what_remains_with_order_lines(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    cr = created_id(transform(world, "cashSale", cs, "cashRefund", {"externalId": "shop-refund-1"}), "cashRefund")
    doc = get_record(world, "cashRefund", cr)
    assert doc["createdFrom"]["refName"] == "Cash Sale #CS-1002"
    assert doc["externalId"] == "shop-refund-1" and doc["total"] == 59
    assert lines_of(world, "cashRefund", cr) == [(1, 1, catalog.shirt, 2, 49, 0), (2, 2, catalog.hat, 1, 10, 0)]
    again = transform(world, "cashSale", cs, "cashRefund")
    detail = error_detail(again)
    assert detail["o:errorPath"] == "item" and "Nothing remains to refund" in detail["detail"]


def test_partial_refund_with_replace_keeps_only_named_lines(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    cr = created_id(transform(world, "cashSale", cs, "cashRefund",
                              {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=True))
    assert lines_of(world, "cashRefund", cr) == [(1, 1, catalog.shirt, 1, 24.5, 0)]


def test_partial_refund_without_replace_keeps_the_rest(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    cr = created_id(transform(world, "cashSale", cs, "cashRefund",
                              {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}))
    assert lines_of(world, "cashRefund", cr) == [(1, 1, catalog.shirt, 1, 24.5, 0), (2, 2, catalog.hat, 1, 10, 0)]
    assert get_record(world, "cashRefund", cr)["total"] == 34.5


def test_line_key_works_like_order_line_on_a_refund(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    cr = created_id(transform(world, "cashSale", cs, "cashRefund",
                              {"item": {"items": [{"line": 2, "amount": 4}]}}, replace=True))
    assert lines_of(world, "cashRefund", cr) == [(2, 2, catalog.hat, 1, 4, 0)]


def test_refund_line_with_a_rate_refunds_rate_times_quantity(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    cr = created_id(transform(world, "cashSale", cs, "cashRefund",
                              {"item": {"items": [{"orderLine": 1, "quantity": 2, "rate": 20}]}}, replace=True))
    assert lines_of(world, "cashRefund", cr) == [(1, 1, catalog.shirt, 2, 40, 0)]


def test_invoice_to_credit_memo_partial_then_rest(world, catalog):
    inv = bill(world, post_sales_order(world, catalog, paid=False), "invoice")
    first = created_id(transform(world, "invoice", inv, "creditMemo",
                                 {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=True), "creditMemo")
    rest = created_id(transform(world, "invoice", inv, "creditMemo"), "creditMemo")
    assert lines_of(world, "creditMemo", first) == [(1, 1, catalog.shirt, 1, 24.5, 0)]
    assert lines_of(world, "creditMemo", rest) == [(1, 1, catalog.shirt, 1, 24.5, 0), (2, 2, catalog.hat, 1, 10, 0)]
    assert get_record(world, "creditMemo", rest)["tranId"].startswith("CM-")


def test_over_refund_by_quantity_across_two_refunds(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    created_id(transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=True))
    response = transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"orderLine": 1, "quantity": 2}]}}, replace=True)
    assert response.status_code == 400
    detail = error_detail(response)
    assert detail["o:errorPath"] == "item.items[0].quantity"
    assert "remaining quantity 1" in detail["detail"] and "already refunded 1" in detail["detail"]
    assert len(world.sim.records("cashRefund")) == 1


def test_over_refund_by_amount_across_two_refunds(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    generic = lambda amount: {"item": {"items": [  # noqa: E731
        {"item": {"id": catalog.adjustment}, "amount": amount, "description": "Goodwill"}]}}
    created_id(transform(world, "cashSale", cs, "cashRefund", generic(50), replace=True))
    response = transform(world, "cashSale", cs, "cashRefund", generic(10), replace=True)
    detail = error_detail(response)
    assert detail["o:errorPath"] == "total"
    assert "10.00 exceeds" in detail["detail"] and ": 9.00 " in detail["detail"]
    created_id(transform(world, "cashSale", cs, "cashRefund", generic(9), replace=True))


def test_generic_lines_need_an_other_charge_item_and_an_amount(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    response = transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"item": {"id": catalog.hat}, "amount": 5}]}}, replace=True)
    assert error_detail(response)["o:errorPath"] == "item.items[0].item"
    response = transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"item": {"id": catalog.shipping}}]}}, replace=True)
    assert error_detail(response)["o:errorPath"] == "item.items[0].amount"
    cr = created_id(transform(world, "cashSale", cs, "cashRefund", {"item": {"items": [
        {"orderLine": 2, "quantity": 1},
        {"item": {"id": catalog.shipping}, "amount": 4.99, "description": "Shipping refund"}]}}, replace=True))
    assert lines_of(world, "cashRefund", cr) == [(2, 2, catalog.hat, 1, 10, 0), (3, None, catalog.shipping, 1, 4.99, 0)]


def test_refund_line_errors(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    response = transform(world, "cashSale", cs, "cashRefund", {"item": {"items": [{"orderLine": 7}]}})
    assert error_detail(response)["o:errorPath"] == "item.items[0].orderLine"
    response = transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"orderLine": 1, "item": {"id": catalog.hat}}]}})
    assert error_detail(response)["o:errorPath"] == "item.items[0].item"
    response = transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"orderLine": 1}, {"orderLine": 1}]}})
    assert "named twice" in error_detail(response)["detail"]
    response = transform(world, "cashSale", cs, "cashRefund", {}, replace=True)
    assert error_detail(response)["o:errorPath"] == "item"
    created_id(transform(world, "cashSale", cs, "cashRefund",
                         {"item": {"items": [{"orderLine": 2}]}}, replace=True))
    response = transform(world, "cashSale", cs, "cashRefund", {"item": {"items": [{"orderLine": 2}]}})
    detail = error_detail(response)
    assert detail["o:errorPath"] == "item.items[0].quantity" and "remaining quantity 0" in detail["detail"]
    assert len(world.sim.records("cashRefund")) == 1


def test_order_line_only_on_refunds_from_billed_records(world, catalog):
    response = world.client.post(f"{RECORDS}/salesOrder", json={
        "entity": {"id": catalog.customer}, "item": {"items": [{"item": {"id": catalog.hat}, "orderLine": 1}]}})
    assert response.status_code == 400


def test_refund_external_id_must_be_new(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    body = {"externalId": "shop-refund-9", "item": {"items": [{"orderLine": 2}]}}
    created_id(transform(world, "cashSale", cs, "cashRefund", body, replace=True))
    body["item"] = {"items": [{"orderLine": 1, "quantity": 1}]}
    response = transform(world, "cashSale", cs, "cashRefund", body, replace=True)
    assert error_detail(response) == {"detail": "This entity already exists.", "o:errorCode": "USER_ERROR",
                                      "o:errorPath": "externalId"}
    assert get_record(world, "cashRefund", "eid:shop-refund-9")["total"] == 10


def test_patching_a_refund_rechecks_the_limits_without_counting_itself(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    cr = created_id(transform(world, "cashSale", cs, "cashRefund",
                              {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=True))
    ok = world.client.patch(f"{RECORDS}/cashRefund/{cr}", json={"item": {"items": [{"line": 1, "quantity": 2}]}})
    assert ok.status_code == 204
    assert lines_of(world, "cashRefund", cr) == [(1, 1, catalog.shirt, 2, 49, 0)]
    too_many = world.client.patch(f"{RECORDS}/cashRefund/{cr}", json={"item": {"items": [{"line": 1, "quantity": 3}]}})
    assert error_detail(too_many)["o:errorPath"] == "item.items[0].quantity"
    added = world.client.patch(f"{RECORDS}/cashRefund/{cr}", json={"item": {"items": [{"orderLine": 2}]}})
    assert added.status_code == 204
    assert get_record(world, "cashRefund", cr)["total"] == 59


def test_billed_record_with_refunds_is_locked(world, catalog):
    cs = bill(world, post_sales_order(world, catalog))
    created_id(transform(world, "cashSale", cs, "cashRefund"))
    response = world.client.patch(f"{RECORDS}/cashSale/{cs}", json={"item": {"items": [{"line": 1, "quantity": 5}]}})
    assert error_detail(response)["o:errorPath"] == "item"


# --- tax ---------------------------------------------------------------------------------------

def test_tax_engine_computes_tax_and_refunds_take_it_pro_rata(catalog):
    world = make_world(tax_rate=Decimal("0.0825"))
    catalog = seed_catalog(world)
    so = post_sales_order(world, catalog)
    assert [line[5] for line in lines_of(world, "salesOrder", so)] == [4.04, 0.83]  # 49 * 8.25% = 4.0425
    cs = bill(world, so)
    assert get_record(world, "cashSale", cs)["taxTotal"] == 4.87
    first = created_id(transform(world, "cashSale", cs, "cashRefund",
                                 {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=True))
    assert lines_of(world, "cashRefund", first)[0][4:] == (24.5, 2.02)  # 4.04 / 2
    rest = created_id(transform(world, "cashSale", cs, "cashRefund"))
    assert [line[4:] for line in lines_of(world, "cashRefund", rest)] == [(24.5, 2.02), (10, 0.83)]


def test_pro_rata_tax_rounds_half_up_and_the_last_refund_takes_the_rest(catalog):
    world = make_world()
    catalog = seed_catalog(world)
    so = post_sales_order(world, catalog, taxDetailsOverride=True, lines=[
        {"item": {"id": catalog.hat}, "quantity": 2, "amount": 0.10, "taxAmount": 0.05}])
    cs = bill(world, so)
    first = created_id(transform(world, "cashSale", cs, "cashRefund",
                                 {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=True))
    second = created_id(transform(world, "cashSale", cs, "cashRefund"))
    assert lines_of(world, "cashRefund", first)[0][4:] == (0.05, 0.03)
    assert lines_of(world, "cashRefund", second)[0][4:] == (0.05, 0.02)


def test_tax_override_is_used_as_sent(catalog):
    world = make_world(tax_rate=Decimal("0.10"))
    catalog = seed_catalog(world)
    so = post_sales_order(world, catalog, taxDetailsOverride=True, lines=[
        {"item": {"id": catalog.shirt}, "quantity": 1, "taxAmount": 1.99}])
    doc = get_record(world, "salesOrder", so)
    assert (doc["taxDetailsOverride"], doc["taxTotal"], doc["total"]) == (True, 1.99, 26.49)
    cs = bill(world, so)
    cr = created_id(transform(world, "cashSale", cs, "cashRefund", {"taxDetailsOverride": True, "item": {
        "items": [{"orderLine": 1, "amount": 20, "taxAmount": 1.5}]}}, replace=True))
    assert lines_of(world, "cashRefund", cr)[0][4:] == (20, 1.5)


def test_tax_sent_without_override_is_recomputed(catalog):
    world = make_world(tax_rate=Decimal("0.10"))
    catalog = seed_catalog(world)
    so = post_sales_order(world, catalog, lines=[{"item": {"id": catalog.shirt}, "quantity": 1, "taxAmount": 1.99}])
    assert get_record(world, "salesOrder", so)["taxTotal"] == 2.45


def test_misconfigured_tax_engine_ignores_the_override(catalog):
    world = make_world(tax_rate=Decimal("0.10"), ignore_tax_override=True)
    catalog = seed_catalog(world)
    so = post_sales_order(world, catalog, taxDetailsOverride=True, lines=[
        {"item": {"id": catalog.shirt}, "quantity": 1, "taxAmount": 1.99}])
    assert get_record(world, "salesOrder", so)["taxTotal"] == 2.45
    cs = bill(world, so)
    cr = created_id(transform(world, "cashSale", cs, "cashRefund", {"taxDetailsOverride": True, "item": {
        "items": [{"orderLine": 1, "amount": 20, "taxAmount": 1.5}]}}, replace=True))
    assert lines_of(world, "cashRefund", cr)[0][4:] == (20, 2)


# --- control plane buttons ---------------------------------------------------------------------

def test_bill_and_refund_buttons(world, catalog):
    paid = post_sales_order(world, catalog, external_id="paid", paid=True)
    unpaid = post_sales_order(world, catalog, external_id="unpaid", paid=False)
    assert world.sim.bill(paid)[0] == "cashSale"
    invoice_type, invoice_id = world.sim.bill(unpaid)
    assert invoice_type == "invoice"
    kind, memo_id = world.sim.refund("invoice", invoice_id, lines={1: 1},
                                     extra_lines=[{"item": catalog.shipping, "amount": Decimal("3.00")}],
                                     external_id="ns-refund-1")
    assert kind == "creditMemo"
    doc = world.sim.record("creditMemo", memo_id)
    assert doc["externalId"] == "ns-refund-1"
    assert [(line["line"], line.get("orderLine"), line["amount"]) for line in doc["item"]["items"]] == [
        (1, 1, Decimal("24.50")), (3, None, Decimal("3.00"))]
    _, hat = world.sim.refund("invoice", invoice_id, lines={2: 1})
    assert world.sim.record("creditMemo", hat)["total"] == Decimal("10.00")
    with pytest.raises(NetSuiteError) as refused:  # 24.50 left on line 1, but only 21.50 of the total
        world.sim.refund("invoice", invoice_id)
    assert refused.value.path == "total"
    with pytest.raises(ValueError):
        world.sim.refund("salesOrder", paid)


# --- property: whatever the sequence, refunds never exceed the billed record ------------------

BILLED_LINES = [(3, "19.99"), (2, "5.01"), (5, "0.33")]  # (quantity, rate)

refund_attempt = st.tuples(
    st.dictionaries(st.sampled_from([1, 2, 3]), st.integers(min_value=1, max_value=4), max_size=3),
    st.one_of(st.none(), st.integers(min_value=1, max_value=4000)),  # generic line, in cents
)


def _billed_world(tax_rate: str) -> tuple[World, Catalog, str]:
    world = make_world(tax_rate=Decimal(tax_rate))
    catalog = seed_catalog(world)
    lines = [{"item": {"id": catalog.hat}, "quantity": q, "rate": float(rate)} for q, rate in BILLED_LINES]
    return world, catalog, bill(world, post_sales_order(world, catalog, lines=lines))


def _refunded(world: World) -> tuple[dict[int, Decimal], Decimal, Decimal]:
    quantities: dict[int, Decimal] = {1: Decimal(0), 2: Decimal(0), 3: Decimal(0)}
    total = tax = Decimal(0)
    for refund in world.sim.records("cashRefund"):
        total += refund["total"]
        tax += refund["taxTotal"]
        for line in refund["item"]["items"]:
            if "orderLine" in line:
                quantities[line["orderLine"]] += line["quantity"]
    return quantities, total, tax


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(refund_attempt, max_size=6), tax_rate=st.sampled_from(["0", "0.0825", "0.2"]))
def test_cumulative_refunds_never_exceed_the_billed_record(attempts, tax_rate):
    world, catalog, cs = _billed_world(tax_rate)
    billed = world.sim.record("cashSale", cs)
    for quantities, generic_cents in attempts:
        before = _refunded(world)
        items = [{"orderLine": n, "quantity": q} for n, q in quantities.items()]
        if generic_cents is not None:
            items.append({"item": {"id": catalog.adjustment}, "amount": generic_cents / 100})
        response = transform(world, "cashSale", cs, "cashRefund", {"item": {"items": items}}, replace=True)
        fits = all(before[0][n] + q <= BILLED_LINES[n - 1][0] for n, q in quantities.items())
        if response.status_code == 204:
            assert fits
        else:
            assert response.status_code == 400
            assert _refunded(world) == before  # nothing half-written
        quantities_now, total_now, _ = _refunded(world)
        assert all(quantities_now[n] <= BILLED_LINES[n - 1][0] for n in quantities_now)
        assert total_now <= billed["total"]


@settings(max_examples=examples(40), deadline=None)
@given(attempts=st.lists(st.dictionaries(st.sampled_from([1, 2, 3]), st.integers(1, 3), min_size=1, max_size=3),
                         max_size=5),
       tax_rate=st.sampled_from(["0", "0.0825", "0.2"]))
def test_refunding_the_rest_always_adds_up_to_the_billed_record_exactly(attempts, tax_rate):
    world, _, cs = _billed_world(tax_rate)
    billed = world.sim.record("cashSale", cs)
    for quantities in attempts:
        items = [{"orderLine": n, "quantity": q} for n, q in quantities.items()]
        transform(world, "cashSale", cs, "cashRefund", {"item": {"items": items}}, replace=True)
    quantities, _, _ = _refunded(world)
    if any(quantities[n] < BILLED_LINES[n - 1][0] for n in quantities):
        created_id(transform(world, "cashSale", cs, "cashRefund"))
    quantities, total, tax = _refunded(world)
    assert quantities == {n: BILLED_LINES[n - 1][0] for n in quantities}
    assert (total, tax) == (billed["total"], billed["taxTotal"])
