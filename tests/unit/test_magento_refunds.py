"""Magento simulator fidelity: credit memos by order (offline) and invoice (online), Magento's messages,
searchCriteria lists."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from simulators.magento import MagentoSimulator
from tests.unit.storefront_helpers import usd_order


@pytest.fixture
def sim() -> MagentoSimulator:
    return MagentoSimulator()


def call(sim: MagentoSimulator, method: str, path: str, body=None, params=None, token: str | None = None):
    request = httpx.Request(method, f"https://{sim.domain}/rest/default/V1{path}", params=params,
                            content=None if body is None else jsonio.dumps(body).encode(),
                            headers={"Authorization": f"Bearer {token or sim.access_token}",
                                     "Content-Type": "application/json"})
    response = sim.handle(request)
    return response.status_code, jsonio.loads(response.content)


def message(body: dict) -> str:
    text, params = body["message"], body.get("parameters") or []
    for key, value in (params.items() if isinstance(params, dict) else enumerate(params, start=1)):
        text = text.replace(f"%{key}", str(value))
    return text


def zero_items(order: dict) -> list[dict]:
    return [{"order_item_id": i["item_id"], "qty": 0} for i in order["items"]]


def test_card_order_refunds_online_against_its_invoice_and_answers_the_bare_id(sim):
    order = sim.add_order(usd_order())
    invoice = call(sim, "GET", "/invoices", params={
        "searchCriteria[filter_groups][0][filters][0][field]": "order_id",
        "searchCriteria[filter_groups][0][filters][0][value]": str(order["entity_id"])})[1]["items"][0]
    assert invoice["transaction_id"]
    status, memo_id = call(sim, "POST", f"/invoice/{invoice['entity_id']}/refund", {
        "items": [{"order_item_id": order["items"][0]["item_id"], "qty": 1}], "isOnline": True,
        "arguments": {"shipping_amount": 0}})
    assert status == 200 and isinstance(memo_id, int)
    memo = call(sim, "GET", f"/creditmemo/{memo_id}")[1]
    assert memo["transaction_id"] and memo["shipping_amount"] == 0 and len(memo["items"]) == 1
    assert call(sim, "GET", f"/orders/{order['entity_id']}")[1]["total_online_refunded"] == memo["grand_total"]


def test_offline_paid_invoice_is_refused_online_with_magentos_message(sim):
    order = sim.add_order(replace(usd_order(), gateway="checkmo"))
    status, body = call(sim, "POST", f"/invoice/{order['entity_id']}/refund", {"isOnline": True, "items": zero_items(order),
                                                                               "arguments": {"adjustment_positive": 1}})
    assert status == 400
    assert message(body) == "Creditmemo Document Validation Error(s):\nWe can't create creditmemo for the invoice."
    assert call(sim, "GET", "/creditmemos", params={"searchCriteria": ""})[1]["total_count"] == 0
    status, memo_id = call(sim, "POST", f"/order/{order['entity_id']}/refund",
                           {"items": zero_items(order), "arguments": {"shipping_amount": 0, "adjustment_positive": 1}})
    assert status == 200 and call(sim, "GET", f"/creditmemo/{memo_id}")[1]["transaction_id"] is None


def test_card_order_refunded_on_the_order_route_is_only_recorded_offline(sim):
    """Magento accepts it: the memo exists, but no money went back through the gateway."""
    order = sim.add_order(usd_order())
    status, memo_id = call(sim, "POST", f"/order/{order['entity_id']}/refund",
                           {"items": zero_items(order), "arguments": {"shipping_amount": 0, "adjustment_positive": 5}})
    assert status == 200
    after = call(sim, "GET", f"/orders/{order['entity_id']}")[1]
    assert after["total_offline_refunded"] == 5 and after["total_online_refunded"] == 0


def test_an_empty_request_refunds_every_item_and_all_the_shipping(sim):
    order = sim.add_order(usd_order())
    status, memo_id = call(sim, "POST", f"/order/{order['entity_id']}/refund", {})
    memo = call(sim, "GET", f"/creditmemo/{memo_id}")[1]
    assert status == 200 and Decimal(str(memo["grand_total"])) == Decimal(str(order["grand_total"]))
    assert call(sim, "GET", f"/orders/{order['entity_id']}")[1]["state"] == "closed"


@pytest.mark.parametrize("arguments, expected", [
    ({"shipping_amount": 100}, "Maximum shipping amount allowed to refund is: $7.50"),
    ({"shipping_amount": 0, "adjustment_positive": 1000},
     "Creditmemo Document Validation Error(s):\nThe most money available to refund is 77.37."),
    ({"shipping_amount": 0}, "Creditmemo Document Validation Error(s):\nThe credit memo's total must be positive."),
])
def test_refusals_use_magentos_messages_and_change_nothing(sim, arguments, expected):
    order = sim.add_order(usd_order())
    status, body = call(sim, "POST", f"/order/{order['entity_id']}/refund",
                        {"items": zero_items(order), "arguments": arguments})
    assert status == 400 and message(body) == expected
    assert call(sim, "GET", f"/orders/{order['entity_id']}")[1]["total_refunded"] == 0


def test_only_invoiced_quantities_refund(sim):
    order = sim.add_order(replace(usd_order(), paid=False))
    status, body = call(sim, "POST", f"/order/{order['entity_id']}/refund",
                        {"items": [{"order_item_id": order["items"][0]["item_id"], "qty": 1}]})
    assert status == 400
    assert "The quantity to refund must not be greater than the unrefunded quantity." in body["message"]
    assert "We can't create creditmemo for the order." in body["message"]


def test_partial_refunds_of_a_line_add_up_to_the_line(sim):
    order = sim.add_order(usd_order())
    line = order["items"][0]
    total = Decimal(0)
    for _ in range(int(line["qty_ordered"])):
        _, memo_id = call(sim, "POST", f"/order/{order['entity_id']}/refund", {
            "items": [{"order_item_id": line["item_id"], "qty": 1}], "arguments": {"shipping_amount": 0}})
        total += Decimal(str(call(sim, "GET", f"/creditmemo/{memo_id}")[1]["grand_total"]))
    row = Decimal(str(line["row_total"])) - Decimal(str(line["discount_amount"])) + Decimal(str(line["tax_amount"]))
    assert total == row


def test_search_criteria_filters_sorts_and_repeats_the_last_page(sim):
    for _ in range(3):
        sim.add_order(usd_order())
    params = {"searchCriteria[filter_groups][0][filters][0][field]": "entity_id",
              "searchCriteria[filter_groups][0][filters][0][value]": "1",
              "searchCriteria[filter_groups][0][filters][0][condition_type]": "gt",
              "searchCriteria[sortOrders][0][field]": "entity_id", "searchCriteria[sortOrders][0][direction]": "DESC",
              "searchCriteria[pageSize]": "1", "searchCriteria[currentPage]": "9"}
    status, body = call(sim, "GET", "/orders", params=params)
    assert status == 200 and body["total_count"] == 2 and [o["entity_id"] for o in body["items"]] == [2]


@pytest.mark.parametrize("params, expected", [
    ({}, '"searchCriteria" is required. Enter and try again.'),
    ({"searchCriteria[filter_groups][0][filters][0][field]": "grand_total",
      "searchCriteria[filter_groups][0][filters][0][value]": "1"},
     'Invalid value of "grand_total" provided for the field field.'),
    ({"searchCriteria[filter_groups][0][filters][0][field]": "updated_at",
      "searchCriteria[filter_groups][0][filters][0][value]": "1", 
      "searchCriteria[filter_groups][0][filters][0][condition_type]": "like"},
     'Invalid value of "like" provided for the condition_type field.'),
    ({"searchCriteria[pageSize]": "ten"},
     'The "ten" value\'s type is invalid. The "int" type was expected. Verify and try again.'),
])
def test_unsupported_search_criteria_are_refused(sim, params, expected):
    status, body = call(sim, "GET", "/orders", params=params)
    assert status == 400 and message(body) == expected


def test_wrong_token_and_unknown_store_are_refused(sim):
    status, body = call(sim, "GET", "/orders/1", token="nope")
    assert status == 401 and message(body) == "The consumer isn't authorized to access Magento_Sales::sales."
    response = sim.handle(httpx.Request("GET", f"https://{sim.domain}/rest/elsewhere/V1/orders/1",
                                        headers={"Authorization": f"Bearer {sim.access_token}"}))
    assert response.status_code == 404 and response.json()["message"] == "Request does not match any route."



# Found by tests/property/test_refund_state_machine.py: a NetSuite amount refund pushed once every item had
# been refunded (the shipping still paid) was refused, as Magento 2.1 did; 2.4's CanRefund counts money.
@pytest.mark.parametrize("then", [{"shipping_amount": 0, "adjustment_positive": 2.17}, {}],
                         ids=["an adjustment", "the shipping"])
def test_with_every_item_refunded_what_money_is_left_still_refunds(sim, then):
    order = sim.add_order(usd_order())
    route = f"/order/{order['entity_id']}/refund"
    every_item = [{"order_item_id": i["item_id"], "qty": i["qty_ordered"]} for i in order["items"]]
    assert call(sim, "POST", route, {"items": every_item, "arguments": {"shipping_amount": 0}})[0] == 200
    status, body = call(sim, "POST", route, {"items": zero_items(order), "arguments": then})
    assert status == 200, body


def _group(g: int, field: str, value: str, condition: str | None = None, index: int = 0) -> dict[str, str]:
    prefix = f"searchCriteria[filter_groups][{g}][filters][{index}]"
    return {f"{prefix}[field]": field, f"{prefix}[value]": value,
            **({f"{prefix}[condition_type]": condition} if condition else {})}


@pytest.mark.parametrize("extra", [
    {}, _group(1, "entity_id", "2", "gteq"), _group(0, "entity_id", "1", index=1), _group(0, "order_id", "2", "neq")])
def test_a_search_narrowed_to_one_order_finds_what_a_scan_finds(sim, extra):
    """Invoices and credit memos filtered on one order are read through the order (no scan of every
    record); any other filter still applies, and a filter OR'd into the group keeps the scan."""
    orders = [sim.add_order(usd_order()) for _ in range(3)]
    for order in orders:
        assert call(sim, "POST", f"/order/{order['entity_id']}/refund", {})[0] == 200
    target = orders[1]["entity_id"]
    for path in ("/invoices", "/creditmemos"):
        everything = call(sim, "GET", path, params={"searchCriteria": ""})[1]["items"]
        status, body = call(sim, "GET", path, params={**_group(0, "order_id", str(target)), **extra})
        expected = [r["entity_id"] for r in everything if r["order_id"] == target
                    and ("searchCriteria[filter_groups][1][filters][0][field]" not in extra or r["entity_id"] >= 2)]
        if "searchCriteria[filter_groups][0][filters][1][field]" in extra:   # OR'd: order_id = target or entity_id = 1
            expected = [r["entity_id"] for r in everything if r["order_id"] == target or r["entity_id"] == 1]
        if extra.get("searchCriteria[filter_groups][0][filters][0][condition_type]") == "neq":
            expected = [r["entity_id"] for r in everything if r["order_id"] != 2]
        assert status == 200 and [r["entity_id"] for r in body["items"]] == expected, (path, extra)


def test_only_a_group_of_its_own_on_order_id_eq_narrows_a_search():
    from simulators.magento.responses import of_one_order
    assert of_one_order(httpx.QueryParams({**_group(0, "updated_at", "2024-01-01 00:00:00", "gteq"),
                                           **_group(1, "order_id", "7")})) == 7
    for params in ({}, _group(0, "order_id", "7", "gteq"), {**_group(0, "order_id", "7"), **_group(0, "order_id", "8", index=1)},
                   _group(0, "order_id", "٧"), _group(0, "increment_id", "7")):
        assert of_one_order(httpx.QueryParams(params)) is None, params


def test_fields_keeps_only_the_named_fields_inside_lists_and_objects(sim):
    order = sim.add_order(usd_order())
    status, one = call(sim, "GET", f"/orders/{order['entity_id']}",
                       params={"fields": "entity_id,grand_total,items[sku,qty_ordered],nothing_like_this"})
    assert status == 200 and set(one) == {"entity_id", "grand_total", "items"}
    assert one["items"] == [{"sku": i["sku"], "qty_ordered": i["qty_ordered"]} for i in order["items"]]
    status, listed = call(sim, "GET", "/orders", params={"searchCriteria[pageSize]": "5",
                                                          "fields": "items[entity_id],total_count"})
    assert status == 200 and listed == {"items": [{"entity_id": order["entity_id"]}], "total_count": 1}
    status, bad = call(sim, "GET", f"/orders/{order['entity_id']}", params={"fields": "items[sku"})
    assert status == 400 and "does not close" in message(bad)


def test_a_body_that_is_not_utf8_is_a_decoding_error_and_makes_no_credit_memo(sim):
    order = sim.add_order(usd_order())
    invoice = call(sim, "GET", "/invoices", params={
        "searchCriteria[filter_groups][0][filters][0][field]": "order_id",
        "searchCriteria[filter_groups][0][filters][0][value]": str(order["entity_id"])})[1]["items"][0]
    body = jsonio.dumps({"items": zero_items(order), "arguments": {"shipping_amount": 5}}).encode("utf-16")
    response = sim.handle(httpx.Request("POST", f"https://{sim.domain}/rest/default/V1/invoice/{invoice['entity_id']}/refund",
                                        content=body, headers={"Authorization": f"Bearer {sim.access_token}",
                                                               "Content-Type": "application/json"}))
    assert response.status_code == 400 and jsonio.loads(response.content)["message"] == "Decoding error: %1"
    assert call(sim, "GET", "/creditmemos", params={"searchCriteria[pageSize]": "5"})[1]["total_count"] == 0
