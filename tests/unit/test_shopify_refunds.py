"""Shopify simulator: refunds/calculate and refunds, with Shopify's validation and money encodings."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from common.clock import ManualClock
from simulators.shopify import Invalid, NotFound, ShopifySimulator
from tests.unit.storefront_helpers import jpy_order, shopify_client, usd_order

D = Decimal


@pytest.fixture
def sim() -> ShopifySimulator:
    return ShopifySimulator(clock=ManualClock(), seed=11)


@pytest.fixture
def client(sim: ShopifySimulator):
    with shopify_client(sim) as c:
        yield c


@pytest.fixture
def order(sim: ShopifySimulator) -> dict[str, Any]:
    return sim.add_order(usd_order())


def sale_id(client: httpx.Client, order_id: int) -> int:
    (sale,) = [t for t in client.get(f"/orders/{order_id}/transactions.json").json()["transactions"]
               if t["kind"] == "sale"]
    return sale["id"]


def refund_body(lines: list[tuple[int, int]] = (), *, restock_type: str = "no_restock",
                transactions: list[dict[str, Any]] = (), shipping: dict[str, Any] | None = None,
                **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "refund_line_items": [{"line_item_id": li, "quantity": q, "restock_type": restock_type} for li, q in lines],
        "transactions": list(transactions), **extra}
    if shipping is not None:
        body["shipping"] = shipping
    return {"refund": body}


def create(client: httpx.Client, order_id: int, body: Any) -> httpx.Response:
    return client.post(f"/orders/{order_id}/refunds.json", json=body)


def state(client: httpx.Client, order_id: int) -> tuple[Any, Any]:
    return (client.get(f"/orders/{order_id}.json").json(),
            client.get(f"/orders/{order_id}/transactions.json").json())


# --- calculate ---------------------------------------------------------------------------------

def test_calculate_suggests_transactions_and_persists_nothing(sim, client, order):
    shirt = order["line_items"][0]
    before = state(client, order["id"])
    response = client.post(f"/orders/{order['id']}/refunds/calculate.json",
                           json=refund_body([(shirt["id"], 1)], shipping={"full_refund": True}))
    assert response.status_code == 200
    refund = response.json()["refund"]
    (line,) = refund["refund_line_items"]
    # one unit of 53.97 net / 4.45 tax over 3 units: 17.99 and 1.49 (largest remainder to the first unit)
    assert (line["subtotal"], line["total_tax"]) == (17.99, 1.49)
    assert refund["shipping"] == {"amount": "7.50", "tax": "0.62", "maximum_refundable": "7.50"}
    (suggested,) = refund["transactions"]
    assert suggested["kind"] == "suggested_refund"
    assert suggested["parent_id"] == sale_id(client, order["id"])
    assert suggested["amount"] == "27.60"  # 17.99 + 1.49 + 7.50 + 0.62
    assert suggested["maximum_refundable"] == "77.37"
    assert suggested["gateway"] == "shopify_payments"
    assert state(client, order["id"]) == before
    assert client.get(f"/orders/{order['id']}/refunds.json").json() == {"refunds": []}


def test_calculate_caps_the_suggestion_at_what_is_refundable(sim, client, order):
    sim.refund_in_admin(order["id"], amount=D("70.00"))
    response = client.post(f"/orders/{order['id']}/refunds/calculate.json",
                           json=refund_body([(order["line_items"][0]["id"], 3)]))
    (suggested,) = response.json()["refund"]["transactions"]
    assert (suggested["amount"], suggested["maximum_refundable"]) == ("7.37", "7.37")


def test_calculate_applies_the_same_validation(client, order):
    response = client.post(f"/orders/{order['id']}/refunds/calculate.json",
                           json=refund_body([(order["line_items"][1]["id"], 2)]))
    assert response.status_code == 422
    assert "refund_line_items.quantity" in response.json()["errors"]


# --- create: shapes --------------------------------------------------------------------------

def test_refund_by_line_with_money_and_encodings(sim, client, order):
    shirt = order["line_items"][0]
    parent = sale_id(client, order["id"])
    response = create(client, order["id"], refund_body(
        [(shirt["id"], 2)], restock_type="return", note="RMA 1142",
        transactions=[{"parent_id": parent, "amount": "38.95", "kind": "refund", "gateway": "shopify_payments"}]))
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["refund"]
    refund = body["refund"]
    assert refund["note"] == "RMA 1142" and refund["restock"] is True
    (line,) = refund["refund_line_items"]
    assert line["line_item_id"] == shirt["id"] and line["quantity"] == 2 and line["restock_type"] == "return"
    assert line["location_id"] == sim.location_id
    # numbers here ...
    assert isinstance(line["subtotal"], float) and isinstance(line["total_tax"], float)
    assert (line["subtotal"], line["total_tax"]) == (35.98, 2.97)
    # ... strings everywhere else
    assert line["subtotal_set"]["shop_money"] == {"amount": "35.98", "currency_code": "USD"}
    assert line["total_tax_set"]["presentment_money"] == {"amount": "2.97", "currency_code": "USD"}
    assert line["line_item"]["id"] == shirt["id"]
    (money_back,) = refund["transactions"]
    assert (money_back["kind"], money_back["status"], money_back["amount"], money_back["parent_id"]) == \
        ("refund", "success", "38.95", parent)
    assert refund["order_adjustments"] == [] and refund["refund_shipping_lines"] == []
    order_now = client.get(f"/orders/{order['id']}.json").json()["order"]
    assert order_now["financial_status"] == "partially_refunded"
    assert order_now["refunds"] == [refund]
    assert order_now["line_items"][0]["fulfillable_quantity"] == 1


def test_amount_as_number_is_accepted_like_a_string(client, order):
    parent = sale_id(client, order["id"])
    response = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": 10.5}]))
    assert response.status_code == 201
    assert response.json()["refund"]["transactions"][0]["amount"] == "10.50"


def test_full_refund_marks_the_order_refunded(client, order):
    parent = sale_id(client, order["id"])
    lines = [(li["id"], li["quantity"]) for li in order["line_items"]]
    response = create(client, order["id"], refund_body(lines, shipping={"full_refund": True},
                                                       transactions=[{"parent_id": parent, "amount": "77.37"}]))
    assert response.status_code == 201
    refund = response.json()["refund"]
    goods = sum(D(str(r["subtotal"])) + D(str(r["total_tax"])) for r in refund["refund_line_items"])
    (ship,) = refund["refund_shipping_lines"]
    shipping = D(ship["subtotal_amount_set"]["shop_money"]["amount"]) + D(ship["tax_amount_set"]["shop_money"]["amount"])
    assert goods + shipping == D("77.37")
    assert refund["order_adjustments"] == []
    assert client.get(f"/orders/{order['id']}.json").json()["order"]["financial_status"] == "refunded"


def test_refund_below_calculated_creates_a_refund_discrepancy(client, order):
    parent = sale_id(client, order["id"])
    hat = order["line_items"][1]  # 10.00 + 0.83 tax
    response = create(client, order["id"], refund_body([(hat["id"], 1)],
                                                       transactions=[{"parent_id": parent, "amount": "8.00"}]))
    (adjustment,) = response.json()["refund"]["order_adjustments"]
    assert adjustment["kind"] == "refund_discrepancy"
    assert (adjustment["amount"], adjustment["tax_amount"]) == ("2.83", "0.00")
    assert adjustment["reason"] == "Refund discrepancy"


def test_amount_only_refund_is_a_negative_discrepancy(client, order):
    parent = sale_id(client, order["id"])
    response = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "5.00"}]))
    (adjustment,) = response.json()["refund"]["order_adjustments"]
    assert adjustment["amount"] == "-5.00"


def test_partial_shipping_refunds_add_up_to_the_shipping_line(client, order):
    for amount, tax in (("2.50", "0.21"), ("5.00", "0.41")):
        response = create(client, order["id"], refund_body(shipping={"amount": amount}))
        assert response.status_code == 201
        (ship,) = response.json()["refund"]["refund_shipping_lines"]
        assert ship["shipping_line_id"] == order["shipping_lines"][0]["id"]
        assert ship["subtotal_amount_set"]["shop_money"]["amount"] == amount
        assert ship["tax_amount_set"]["shop_money"]["amount"] == tax  # 0.21 + 0.41 = the line's 0.62
    response = create(client, order["id"], refund_body(shipping={"amount": "0.01"}))
    assert response.status_code == 422
    assert "shipping.amount" in response.json()["errors"]


def test_shipping_above_what_is_left_is_refused(client, order):
    response = create(client, order["id"], refund_body(shipping={"amount": "7.51"}))
    assert response.status_code == 422
    assert response.json()["errors"]["shipping.amount"][0].startswith(
        "Shipping amount cannot be greater than the refundable shipping of 7.50 USD")


def test_before_2024_10_shipping_is_a_shipping_refund_adjustment(sim, order):
    with shopify_client(sim, version="2024-07") as old:
        refund = old.post(f"/orders/{order['id']}/refunds.json",
                          json=refund_body(shipping={"full_refund": True})).json()["refund"]
    assert "refund_shipping_lines" not in refund
    kinds = {a["kind"]: a for a in refund["order_adjustments"]}
    assert kinds["shipping_refund"]["amount"] == "-7.50" and kinds["shipping_refund"]["tax_amount"] == "-0.62"


def test_list_and_get_refunds(client, order):
    first = create(client, order["id"], refund_body([(order["line_items"][1]["id"], 1)])).json()["refund"]
    listed = client.get(f"/orders/{order['id']}/refunds.json").json()
    assert listed == {"refunds": [first]}
    assert client.get(f"/orders/{order['id']}/refunds/{first['id']}.json").json() == {"refund": first}
    missing = client.get(f"/orders/{order['id']}/refunds/1.json")
    assert missing.status_code == 404 and missing.json() == {"errors": "Not Found"}


def test_jpy_refund_amounts_have_no_decimals(sim, client):
    order = sim.add_order(jpy_order())
    parent = sale_id(client, order["id"])
    line = order["line_items"][0]  # 2 x 1500 - 300 = 2700, tax 270
    response = create(client, order["id"], refund_body([(line["id"], 1)],
                                                       transactions=[{"parent_id": parent, "amount": "1485"}]))
    assert response.status_code == 201
    refund = response.json()["refund"]
    (row,) = refund["refund_line_items"]
    assert (row["subtotal"], row["total_tax"]) == (1350, 135)
    assert row["subtotal_set"]["shop_money"]["amount"] == "1350"
    assert refund["transactions"][0]["amount"] == "1485"
    bad = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "10.5"}]))
    assert bad.status_code == 422
    assert "decimal places" in bad.json()["errors"]["transactions.amount"][0]


# --- create: validation, each rule accepted and refused --------------------------------------

def test_quantity_up_to_refundable_is_accepted_beyond_is_refused(client, order):
    shirt = order["line_items"][0]
    assert create(client, order["id"], refund_body([(shirt["id"], 2)])).status_code == 201
    refused = create(client, order["id"], refund_body([(shirt["id"], 2)]))
    assert refused.status_code == 422
    (message,) = refused.json()["errors"]["refund_line_items.quantity"]
    assert message.startswith("cannot refund more items than were purchased")
    assert "1 of 3 left to refund, 2 requested" in message
    assert create(client, order["id"], refund_body([(shirt["id"], 1)])).status_code == 201


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_positive(client, order, quantity):
    response = create(client, order["id"], refund_body([(order["line_items"][0]["id"], quantity)]))
    assert response.status_code == 422
    assert "refund_line_items.quantity" in response.json()["errors"]


@pytest.mark.parametrize("quantity", [1.5, "2", None, True])
def test_quantity_must_be_an_integer(client, order, quantity):
    body = {"refund": {"refund_line_items": [{"line_item_id": order["line_items"][0]["id"], "quantity": quantity}]}}
    response = create(client, order["id"], body)
    assert response.status_code == 422
    assert response.json()["errors"]["refund_line_items.quantity"][0].startswith("must be an integer")


def test_unknown_line_item_is_refused(client, order):
    response = create(client, order["id"], refund_body([(42, 1)]))
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "refund_line_items.line_item_id": [f"line item 42 is not on order {order['id']}"]}


def test_same_line_twice_in_one_refund_is_refused(client, order):
    line_id = order["line_items"][0]["id"]
    response = create(client, order["id"], refund_body([(line_id, 1), (line_id, 1)]))
    assert response.status_code == 422


@pytest.mark.parametrize("restock_type", ["no_restock", "cancel", "return"])
def test_restock_types_accepted(client, order, restock_type):
    response = create(client, order["id"], refund_body([(order["line_items"][1]["id"], 1)], restock_type=restock_type))
    assert response.status_code == 201
    assert response.json()["refund"]["refund_line_items"][0]["restock_type"] == restock_type
    assert response.json()["refund"]["restock"] is (restock_type != "no_restock")


@pytest.mark.parametrize("restock_type", ["legacy_restock", "RETURN", "restock"])
def test_other_restock_types_refused(client, order, restock_type):
    response = create(client, order["id"], refund_body([(order["line_items"][1]["id"], 1)], restock_type=restock_type))
    assert response.status_code == 422
    assert "refund_line_items.restock_type" in response.json()["errors"]


def test_amount_up_to_captured_minus_refunded(client, order):
    parent = sale_id(client, order["id"])
    assert create(client, order["id"], refund_body(
        transactions=[{"parent_id": parent, "amount": "70.00"}])).status_code == 201
    refused = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "7.38"}]))
    assert refused.status_code == 422
    assert refused.json()["errors"]["transactions.amount"] == [
        f"Amount cannot be greater than the refundable amount of 7.37 USD on transaction {parent}"]
    accepted = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "7.37"}]))
    assert accepted.status_code == 201
    assert client.get(f"/orders/{order['id']}.json").json()["order"]["financial_status"] == "refunded"


def test_several_transactions_in_one_refund_count_together(client, order):
    parent = sale_id(client, order["id"])
    response = create(client, order["id"], refund_body(
        transactions=[{"parent_id": parent, "amount": "40.00"}, {"parent_id": parent, "amount": "40.00"}]))
    assert response.status_code == 422


@pytest.mark.parametrize("amount,message", [
    ("-1.00", "must be greater than 0"),
    ("0", "must be greater than 0"),
    ("1.001", "more decimal places than USD allows"),
    ("ten", "is not a number"),
    (True, "must be an amount"),
])
def test_bad_amounts_are_refused(client, order, amount, message):
    parent = sale_id(client, order["id"])
    response = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": amount}]))
    assert response.status_code == 422
    assert message in response.json()["errors"]["transactions.amount"][0]


def test_parent_must_be_a_successful_sale_of_the_order(client, order):
    parent = sale_id(client, order["id"])
    refund = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "1.00"}]))
    refund_txn = refund.json()["refund"]["transactions"][0]["id"]
    for bad_parent in (refund_txn, 12345, None):
        response = create(client, order["id"], refund_body(transactions=[{"parent_id": bad_parent, "amount": "1.00"}]))
        assert response.status_code == 422
        assert "transactions.parent_id" in response.json()["errors"]


def test_unpaid_order_cannot_refund_money_but_can_refund_items(sim, client):
    order = sim.add_order(usd_order(paid=False))
    response = create(client, order["id"], refund_body(transactions=[{"parent_id": 1, "amount": "1.00"}]))
    assert response.status_code == 422
    items_only = create(client, order["id"], refund_body([(order["line_items"][1]["id"], 1)], restock_type="cancel"))
    assert items_only.status_code == 201
    with pytest.raises(Invalid):
        sim.refund_in_admin(order["id"], amount=D("1.00"))


def test_kind_other_than_refund_is_refused(client, order):
    parent = sale_id(client, order["id"])
    response = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "1", "kind": "sale"}]))
    assert response.status_code == 422 and "transactions.kind" in response.json()["errors"]


def test_currency_must_match_the_order(client, order):
    parent = sale_id(client, order["id"])
    ok = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "1"}], currency="USD"))
    assert ok.status_code == 201
    refused = create(client, order["id"], refund_body(transactions=[{"parent_id": parent, "amount": "1"}], currency="EUR"))
    assert refused.status_code == 422 and "currency" in refused.json()["errors"]


def test_empty_refund_is_refused(client, order):
    response = create(client, order["id"], {"refund": {"note": "nothing"}})
    assert response.status_code == 422 and "base" in response.json()["errors"]


@pytest.mark.parametrize("raw,expected", [
    (b"{not json", {"errors": None}),
    (b'{"refunds": {}}', {"errors": {"refund": "Required parameter missing or invalid"}}),
    (b'{"refund": []}', {"errors": {"refund": "Required parameter missing or invalid"}}),
    (b"", {"errors": None}),
])
def test_malformed_body_or_missing_root_is_400(client, order, raw, expected):
    response = client.post(f"/orders/{order['id']}/refunds.json", content=raw,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    body = response.json()
    if expected["errors"] is None:
        assert "JSON" in body["errors"]
    else:
        assert body == expected


def test_refund_of_unknown_order_is_404(client):
    response = create(client, 777, refund_body(transactions=[{"parent_id": 1, "amount": "1"}]))
    assert response.status_code == 404 and response.json() == {"errors": "Not Found"}


def test_every_problem_is_reported_and_nothing_is_half_written(client, order):
    parent = sale_id(client, order["id"])
    before = state(client, order["id"])
    response = create(client, order["id"], refund_body(
        [(order["line_items"][0]["id"], 1), (order["line_items"][1]["id"], 5)],
        transactions=[{"parent_id": parent, "amount": "1.00"}, {"parent_id": parent, "amount": "-2"}]))
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"refund_line_items.quantity", "transactions.amount"}
    assert state(client, order["id"]) == before


# --- control plane -----------------------------------------------------------------------------

def test_refund_in_admin_follows_the_api_rules(sim, client, order):
    shirt, hat = order["line_items"]
    refund = sim.refund_in_admin(order["id"], [(hat["id"], 1)], shipping=True, restock_type="return")
    assert refund["transactions"][0]["amount"] == "18.95"  # 10.00 + 0.83 + 7.50 + 0.62
    assert refund["refund_line_items"][0]["subtotal"] == D("10")  # control plane answers as parsed JSON
    assert client.get(f"/orders/{order['id']}/refunds.json").json()["refunds"][0]["id"] == refund["id"]
    with pytest.raises(Invalid) as refused:
        sim.refund_in_admin(order["id"], [(hat["id"], 1)])
    assert "refund_line_items.quantity" in refused.value.errors
    with pytest.raises(NotFound):
        sim.refund_in_admin(1, [(hat["id"], 1)])
    lower = sim.refund_in_admin(order["id"], [(shirt["id"], 1)], amount=D("5.00"))
    assert lower["order_adjustments"][0]["amount"] == "14.48"  # 17.99 + 1.49 - 5.00


@pytest.mark.parametrize("restock_type", [0, False, [], {}])
def test_a_restock_type_of_the_wrong_type_is_a_422_not_the_default(client, order, restock_type):
    line = order["line_items"][0]["id"]
    response = client.post(f"/orders/{order['id']}/refunds/calculate.json", json={"refund": {
        "refund_line_items": [{"line_item_id": line, "quantity": 1, "restock_type": restock_type}]}})
    assert response.status_code == 422
    assert "refund_line_items.restock_type" in response.json()["errors"]


def test_calculate_suggests_the_shops_location_for_a_restock_and_locations_json_lists_it(client, order):
    shirt = order["line_items"][0]
    (location,) = client.get("/locations.json").json()["locations"]
    assert location["active"] and location["admin_graphql_api_id"] == f"gid://shopify/Location/{location['id']}"
    assert client.get(f"/locations/{location['id']}.json").json()["location"] == location
    assert client.get(f"/locations/{location['id'] + 1}.json").status_code == 404
    for restock, where in (("return", location["id"]), ("no_restock", None)):
        calculated = client.post(f"/orders/{order['id']}/refunds/calculate.json",
                                 json=refund_body([(shirt["id"], 1)], restock_type=restock)).json()["refund"]
        assert calculated["refund_line_items"][0]["location_id"] == where, restock
