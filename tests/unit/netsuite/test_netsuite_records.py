"""Record API of the fake NetSuite: create/read/update/upsert shapes, paging, validation, errors."""
from __future__ import annotations

from decimal import Decimal

import pytest

from simulators.netsuite import NetSuiteError
from tests.unit.netsuite.helpers import (
    BASE_URL,
    RECORDS,
    SUITEQL,
    Catalog,
    World,
    created_id,
    error_detail,
    get_record,
    post_sales_order,
    seed_catalog,
)


# --- create and read ---------------------------------------------------------------------------

def test_create_answers_204_with_location_and_get_shows_links_refs_and_numbers(world, catalog):
    so = post_sales_order(world, catalog, memo="web order")
    response = world.client.get(f"{RECORDS}/salesOrder/{so}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=singular"
    doc = response.json()
    assert doc["links"] == [{"rel": "self", "href": f"{BASE_URL}{RECORDS}/salesOrder/{so}"}]
    assert doc["id"] == so and isinstance(doc["id"], str)
    assert doc["tranId"] == "SO-1001"
    assert doc["externalId"] == "shop-order-1001"
    assert doc["entity"] == {"links": [], "id": catalog.customer, "refName": "Jane Doe"}
    assert doc["currency"] == {"links": [], "id": "1", "refName": "USD"}
    assert doc["paymentMethod"] == {"links": [], "id": "3", "refName": "VISA"}
    assert doc["tranDate"] == "2026-01-05"
    assert doc["memo"] == "web order"
    assert doc["subtotal"] == 59 and doc["taxTotal"] == 0 and doc["total"] == 59
    assert "createdFrom" not in doc  # empty fields are omitted, as NetSuite does
    # Sublists are link-only unless expanded.
    assert doc["item"] == {"links": [{"rel": "self", "href": f"{BASE_URL}{RECORDS}/salesOrder/{so}/item"}]}


def test_expand_sub_resources_lists_lines_with_system_numbers(world, catalog):
    so = post_sales_order(world, catalog)
    lines = get_record(world, "salesOrder", so)["item"]["items"]
    assert [line["line"] for line in lines] == [1, 2]
    first, second = lines
    assert first["links"] == [{"rel": "self", "href": f"{BASE_URL}{RECORDS}/salesOrder/{so}/item/1"}]
    assert first["item"] == {"links": [], "id": catalog.shirt, "refName": "SKU-SHIRT"}
    assert (first["quantity"], first["rate"], first["amount"], first["taxAmount"]) == (2, 24.5, 49, 0)
    assert first["custcol_storefront_line_id"] == "L1"
    # Rate defaults to the item's base price; amount to rate * quantity.
    assert (second["rate"], second["amount"]) == (10, 10)
    assert "orderLine" not in first


def test_sublist_and_line_endpoints(world, catalog):
    so = post_sales_order(world, catalog)
    sublist = world.client.get(f"{RECORDS}/salesOrder/{so}/item").json()
    assert [line["line"] for line in sublist["items"]] == [1, 2]
    line = world.client.get(f"{RECORDS}/salesOrder/{so}/item/2").json()
    assert line["item"]["id"] == catalog.hat
    assert world.client.get(f"{RECORDS}/salesOrder/{so}/item/9").status_code == 404


def test_amount_without_rate_derives_the_rate(world, catalog):
    so = post_sales_order(world, catalog, lines=[{"item": {"id": catalog.hat}, "quantity": 3, "amount": 10}])
    line = get_record(world, "salesOrder", so)["item"]["items"][0]
    assert line["amount"] == 10
    assert Decimal(str(line["rate"])) == Decimal("3.33333333")


def test_ids_are_increasing_strings_never_reused_and_tran_ids_count_up(world, catalog):
    first = post_sales_order(world, catalog, external_id="a")
    second = post_sales_order(world, catalog, external_id="b")
    assert int(second) > int(first)
    world.sim.reset()
    fresh = seed_catalog(world)
    third = post_sales_order(world, fresh, external_id="a")
    assert third == first  # same seed, same ids: deterministic replay
    assert get_record(world, "salesOrder", third)["tranId"] == "SO-1001"


def test_customer_and_item_records(world, catalog):
    customer = get_record(world, "customer", catalog.customer)
    assert customer["entityId"] == "Jane Doe"
    assert customer["email"] == "jane@example.com"
    assert customer["externalId"] == "shop-customer-1"
    item = get_record(world, "inventoryItem", catalog.shirt)
    assert (item["itemId"], item["displayName"], item["basePrice"], item["itemType"]) == (
        "SKU-SHIRT", "Shirt", 24.5, "InvtPart")
    charge = get_record(world, "otherChargeSaleItem", catalog.shipping)
    assert charge["itemType"] == "OthCharge"


# --- external ids -----------------------------------------------------------------------------

def test_get_by_eid(world, catalog):
    so = post_sales_order(world, catalog)
    assert get_record(world, "salesOrder", "eid:shop-order-1001")["id"] == so
    missing = world.client.get(f"{RECORDS}/salesOrder/eid:nope")
    assert missing.status_code == 404
    assert error_detail(missing)["o:errorCode"] == "NONEXISTENT_ID"


def test_post_reusing_an_external_id_is_refused(world, catalog):
    post_sales_order(world, catalog)
    before = len(world.sim.records("salesOrder"))
    response = world.client.post(f"{RECORDS}/salesOrder", json={
        "externalId": "shop-order-1001", "entity": {"id": catalog.customer},
        "item": {"items": [{"item": {"id": catalog.hat}}]}})
    assert response.status_code == 400
    assert error_detail(response) == {"detail": "This entity already exists.", "o:errorCode": "USER_ERROR",
                                      "o:errorPath": "externalId"}
    assert len(world.sim.records("salesOrder")) == before


def test_same_external_id_on_another_record_type_is_fine(world, catalog):
    post_sales_order(world, catalog, external_id="shared-1")
    response = world.client.post(f"{RECORDS}/customer", json={"externalId": "shared-1", "entityId": "Acme"})
    created_id(response, "customer")


def test_put_on_eid_creates_then_updates(world, catalog):
    url = f"{RECORDS}/customer/eid:CUST-2"
    created = world.client.put(url, json={"companyName": "Acme", "email": "ap@acme.test"})
    customer_id = created_id(created, "customer")
    updated = world.client.put(url, json={"email": "billing@acme.test"})
    assert updated.status_code == 204 and "Location" not in updated.headers
    doc = get_record(world, "customer", customer_id)
    assert (doc["externalId"], doc["entityId"], doc["email"]) == ("CUST-2", "Acme", "billing@acme.test")
    assert len(world.sim.records("customer")) == 2


def test_put_on_plain_id_is_refused(world, catalog):
    response = world.client.put(f"{RECORDS}/customer/{catalog.customer}", json={"email": "x@y.test"})
    assert response.status_code == 400
    assert "eid:" in error_detail(response)["detail"]


def test_put_with_conflicting_external_id_in_body(world, catalog):
    response = world.client.put(f"{RECORDS}/customer/eid:A", json={"externalId": "B", "entityId": "x"})
    assert response.status_code == 400
    assert error_detail(response)["o:errorPath"] == "externalId"


# --- PATCH -------------------------------------------------------------------------------------

def test_patch_merges_fields_and_appends_lines(world, catalog):
    so = post_sales_order(world, catalog)
    response = world.client.patch(f"{RECORDS}/salesOrder/{so}", json={
        "memo": "gift", "item": {"items": [{"item": {"id": catalog.shipping}, "amount": 5}]}})
    assert response.status_code == 204 and response.content == b""
    doc = get_record(world, "salesOrder", so)
    assert doc["memo"] == "gift"
    assert [line["line"] for line in doc["item"]["items"]] == [1, 2, 3]
    assert doc["total"] == 64


def test_patch_replace_item_keeps_only_named_lines_and_never_repacks(world, catalog):
    so = post_sales_order(world, catalog)
    world.client.patch(f"{RECORDS}/salesOrder/{so}", params={"replace": "item"}, json={
        "item": {"items": [{"line": 2, "quantity": 3}, {"item": {"id": catalog.shipping}, "amount": 5}]}})
    lines = get_record(world, "salesOrder", so)["item"]["items"]
    assert [(line["line"], line["quantity"], line["amount"]) for line in lines] == [(2, 3, 30), (3, 1, 5)]


def test_patch_changing_a_lines_item_takes_the_new_items_price(world, catalog):
    so = post_sales_order(world, catalog)
    world.client.patch(f"{RECORDS}/salesOrder/{so}", json={"item": {"items": [
        {"line": 2, "item": {"id": catalog.shirt}}, {"line": 1, "description": "only a description"}]}})
    first, second = get_record(world, "salesOrder", so)["item"]["items"]
    assert (second["item"]["id"], second["rate"], second["amount"]) == (catalog.shirt, 24.5, 24.5)
    assert (first["description"], first["amount"]) == ("only a description", 49)


def test_patch_unknown_line_and_unknown_replace_sublist(world, catalog):
    so = post_sales_order(world, catalog)
    response = world.client.patch(f"{RECORDS}/salesOrder/{so}", json={"item": {"items": [{"line": 7}]}})
    assert error_detail(response)["o:errorPath"] == "item.items[0].line"
    response = world.client.patch(f"{RECORDS}/salesOrder/{so}", params={"replace": "expense"}, json={})
    detail = error_detail(response)
    assert detail["o:errorQueryParam"] == "replace" and "expense" in detail["detail"]


def test_patch_external_id_to_one_in_use_is_refused(world, catalog):
    post_sales_order(world, catalog, external_id="a")
    second = post_sales_order(world, catalog, external_id="b")
    response = world.client.patch(f"{RECORDS}/salesOrder/{second}", json={"externalId": "a"})
    assert error_detail(response)["detail"] == "This entity already exists."
    assert get_record(world, "salesOrder", second)["externalId"] == "b"


def test_patch_currency_that_cannot_hold_the_amounts_is_refused(world, catalog):
    so = post_sales_order(world, catalog, lines=[{"item": {"id": catalog.shirt}, "quantity": 1}])
    response = world.client.patch(f"{RECORDS}/salesOrder/{so}", json={"currency": {"id": "5"}})
    assert response.status_code == 400
    assert "JPY" in error_detail(response)["detail"]
    assert get_record(world, "salesOrder", so)["currency"]["refName"] == "USD"


# --- collections -------------------------------------------------------------------------------

def test_collection_paging(world, catalog):
    ids = [post_sales_order(world, catalog, external_id=f"o{n}") for n in range(5)]
    page = world.client.get(f"{RECORDS}/salesOrder", params={"limit": 2, "offset": 2})
    assert page.headers["content-type"] == "application/vnd.oracle.resource+json; type=collection"
    body = page.json()
    assert (body["count"], body["hasMore"], body["offset"], body["totalResults"]) == (2, True, 2, 5)
    assert [item["id"] for item in body["items"]] == ids[2:4]
    assert body["items"][0]["links"] == [{"rel": "self", "href": f"{BASE_URL}{RECORDS}/salesOrder/{ids[2]}"}]
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["next"].endswith("limit=2&offset=4")
    assert rels["previous"].endswith("limit=2&offset=0")
    assert rels["last"].endswith("limit=2&offset=4")
    last = world.client.get(f"{RECORDS}/salesOrder", params={"limit": 2, "offset": 4}).json()
    assert (last["count"], last["hasMore"]) == (1, False)
    default = world.client.get(f"{RECORDS}/salesOrder").json()
    assert default["count"] == 5 and not default["hasMore"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"offset": -1},
                                    {"offset": 3, "limit": 2}, {"offset": 5}])
def test_collection_paging_bounds(world, params):
    response = world.client.get(f"{RECORDS}/salesOrder", params=params)
    assert response.status_code == 400
    assert error_detail(response)["o:errorQueryParam"] == next(iter(params))


def test_collection_offset_must_be_a_multiple_of_the_limit(world):
    response = world.client.get(f"{RECORDS}/salesOrder", params={"limit": 2, "offset": 3})
    detail = error_detail(response)
    assert response.status_code == 400 and detail["o:errorCode"] == "USER_ERROR"
    assert "multiple of the limit" in detail["detail"]


# --- validation: every bad body names the field and nothing is written ------------------------

def _line_error(world: World, catalog: Catalog, line: dict) -> dict:
    response = world.client.post(f"{RECORDS}/salesOrder", json={
        "entity": {"id": catalog.customer}, "item": {"items": [{"item": {"id": catalog.shirt}}, line]}})
    assert response.status_code == 400, response.text
    assert world.sim.records("salesOrder") == []
    return error_detail(response)


@pytest.mark.parametrize("field, value, code, words", [
    ("quantity", "abc", "INVALID_CONTENT", "Expected a number"),
    ("quantity", -1, "USER_ERROR", "greater than 0"),
    ("quantity", 0, "USER_ERROR", "greater than 0"),
    ("amount", 1.005, "USER_ERROR", "more decimal places than USD"),
    ("amount", -3, "USER_ERROR", "must not be negative"),
    ("rate", True, "INVALID_CONTENT", "Expected a number"),
    ("item", {"id": "99999"}, "INVALID_KEY_OR_REF", "Invalid item reference key 99999"),
    ("item", "202", "INVALID_CONTENT", "reference"),
    ("custcol_storefront_line_id", 17, "INVALID_CONTENT", "a string"),
    ("line", "one", "INVALID_CONTENT", "whole number"),
])
def test_bad_line_values(world, catalog, field, value, code, words):
    line = {"item": {"id": catalog.hat}, field: value}
    detail = _line_error(world, catalog, line)
    assert detail["o:errorCode"] == code
    assert detail["o:errorPath"] == f"item.items[1].{field}"
    assert words in detail["detail"]
    assert f"item.items[1].{field}" in detail["detail"]


def test_jpy_amounts_have_no_decimals(world, catalog):
    response = world.client.post(f"{RECORDS}/salesOrder", json={
        "entity": {"id": catalog.customer}, "currency": {"id": "5"},
        "item": {"items": [{"item": {"id": catalog.hat}, "amount": 100.5}]}})
    detail = error_detail(response)
    assert detail["o:errorPath"] == "item.items[0].amount" and "JPY" in detail["detail"]
    ok = world.client.post(f"{RECORDS}/salesOrder", json={
        "entity": {"id": catalog.customer}, "currency": {"id": "5"},
        "item": {"items": [{"item": {"id": catalog.hat}, "amount": 1500}]}})
    so = created_id(ok)
    assert get_record(world, "salesOrder", so)["currency"]["refName"] == "JPY"


@pytest.mark.parametrize("body, code, path", [
    ({"item": {"items": [{"item": {"id": "201"}}]}}, "USER_ERROR", "entity"),
    ({"entity": {"id": "999"}, "item": {"items": []}}, "INVALID_KEY_OR_REF", "entity"),
    ({"entity": {"id": "101"}}, "USER_ERROR", "item"),
    ({"entity": {"id": "101"}, "item": {"items": []}}, "USER_ERROR", "item"),
    ({"entity": {"id": "101"}, "item": [{"item": {"id": "201"}}]}, "INVALID_CONTENT", "item"),
    ({"entity": {"id": "101"}, "item": {"items": [{"quantity": 1}]}}, "USER_ERROR", "item.items[0].item"),
    ({"entity": {"id": "101"}, "currency": {"id": "42"}, "item": {"items": []}}, "INVALID_KEY_OR_REF",
     "currency"),
    ({"entity": {"id": "101"}, "tranDate": "05/01/2026", "item": {"items": []}}, "INVALID_CONTENT", "tranDate"),
    ({"entity": {"id": "101"}, "taxDetailsOverride": "yes", "item": {"items": []}}, "INVALID_CONTENT",
     "taxDetailsOverride"),
    ({"entity": {"id": "101"}, "paymentMethod": {"id": "77"}, "item": {"items": []}}, "INVALID_KEY_OR_REF",
     "paymentMethod"),
])
def test_bad_sales_order_bodies(world, catalog, body, code, path):
    assert catalog.customer == "101" and catalog.shirt == "201"
    response = world.client.post(f"{RECORDS}/salesOrder", json=body)
    assert response.status_code == 400
    detail = error_detail(response)
    assert (detail["o:errorCode"], detail["o:errorPath"]) == (code, path)
    assert world.sim.records("salesOrder") == []


def test_bad_json_and_non_object_bodies(world, catalog):
    response = world.client.post(f"{RECORDS}/salesOrder", content=b"{not json",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert error_detail(response)["o:errorCode"] == "INVALID_CONTENT"
    response = world.client.post(f"{RECORDS}/salesOrder", json=[1, 2])
    assert error_detail(response)["o:errorCode"] == "INVALID_CONTENT"
    response = world.client.post(f"{RECORDS}/salesOrder")
    assert "empty" in error_detail(response)["detail"]


def test_unknown_fields_ignored_unless_property_name_validation_is_error(world, catalog):
    body = {"entity": {"id": catalog.customer}, "shipDate": "2026-01-09", "total": 999,
            "item": {"items": [{"item": {"id": catalog.hat}, "color": "red"}]}}
    so = created_id(world.client.post(f"{RECORDS}/salesOrder", json=body))
    assert get_record(world, "salesOrder", so)["total"] == 10
    strict = {"X-NetSuite-PropertyNameValidation": "Error"}
    response = world.client.post(f"{RECORDS}/salesOrder", json=body, headers=strict)
    detail = error_detail(response)
    assert detail["o:errorPath"] == "shipDate" and "shipDate" in detail["detail"]
    del body["shipDate"], body["total"]
    response = world.client.post(f"{RECORDS}/salesOrder", json=body, headers=strict)
    assert error_detail(response)["o:errorPath"] == "item.items[0].color"


def test_payment_method_belongs_to_sales_orders_only(world, catalog):
    strict = {"X-NetSuite-PropertyNameValidation": "error"}
    response = world.client.post(f"{RECORDS}/cashSale", headers=strict, json={
        "entity": {"id": catalog.customer}, "paymentMethod": {"id": "1"},
        "item": {"items": [{"item": {"id": catalog.hat}}]}})
    assert error_detail(response)["o:errorPath"] == "paymentMethod"


def test_customer_and_item_validation(world, catalog):
    response = world.client.post(f"{RECORDS}/customer", json={"email": "not-an-email"})
    assert error_detail(response)["o:errorPath"] == "email"
    response = world.client.post(f"{RECORDS}/customer", json={"isPerson": True})
    assert error_detail(response)["o:errorPath"] == "entityId"
    response = world.client.post(f"{RECORDS}/inventoryItem", json={"itemId": "SKU-SHIRT"})
    assert "already exists" in error_detail(response)["detail"]
    response = world.client.post(f"{RECORDS}/inventoryItem", json={"itemId": "SKU-X", "basePrice": "9.99"})
    assert error_detail(response)["o:errorPath"] == "basePrice"
    created_id(world.client.post(f"{RECORDS}/inventoryItem", json={"itemId": "SKU-X", "basePrice": 9.99}))


# --- routing errors ----------------------------------------------------------------------------

def test_unknown_record_type_is_404_in_netsuite_shape(world):
    response = world.client.get(f"{RECORDS}/journalEntry/1")
    assert response.status_code == 404
    detail = error_detail(response)
    assert detail["o:errorCode"] == "NONEXISTENT_ID" and "journalEntry" in detail["detail"]
    assert response.json()["title"] == "Not Found"


def test_missing_record_is_404(world):
    response = world.client.get(f"{RECORDS}/salesOrder/424242")
    assert response.status_code == 404
    assert "424242" in error_detail(response)["detail"]


def test_unknown_route_and_wrong_method_are_netsuite_shaped(world):
    response = world.client.get("/services/rest/nothing/here")
    assert response.status_code == 404
    assert error_detail(response)["o:errorCode"] == "NONEXISTENT_ID"
    response = world.client.delete(f"{RECORDS}/salesOrder/1")
    assert response.status_code == 405
    assert error_detail(response)["o:errorCode"] == "METHOD_NOT_ALLOWED"


# --- control plane -----------------------------------------------------------------------------

def test_journal_records_requests_and_answers(world, catalog):
    so = post_sales_order(world, catalog)
    world.client.get(f"{RECORDS}/salesOrder/{so}")
    entries = world.sim.journal.entries(method="POST", path_contains="/salesOrder")
    assert [(e.status, e.operation) for e in entries] == [(204, "create_record")]
    assert b"shop-order-1001" in entries[0].request_body
    assert world.sim.journal.entries(method="GET")[-1].operation == "get_record"


def test_reset_wipes_records_and_journal_and_restores_settings(world, catalog):
    post_sales_order(world, catalog)
    world.sim.settings.tax_rate = Decimal("0.2")
    old_credentials = world.sim.credentials
    world.sim.reset()
    assert world.sim.records("salesOrder") == [] and world.sim.records("customer") == []
    assert len(world.sim.journal) == 0
    assert world.sim.settings.tax_rate == 0
    assert world.sim.credentials == old_credentials  # same seed, same integration
    world.sim.reset(seed=7)
    assert world.sim.credentials != old_credentials


def test_control_plane_record_and_records(world, catalog):
    so = post_sales_order(world, catalog)
    doc = world.sim.record("salesOrder", so)
    assert doc["total"] == Decimal("59.00")
    assert [line["line"] for line in doc["item"]["items"]] == [1, 2]
    assert world.sim.record("salesOrder", "eid:shop-order-1001")["id"] == so
    assert [r["id"] for r in world.sim.records("salesOrder")] == [so]
    assert world.sim.add_payment_method("PayPal") == "7"


def test_control_plane_delete_removes_the_record_everywhere(world, catalog):
    so = post_sales_order(world, catalog, external_id="gone-1")
    world.sim.delete("salesOrder", so)
    assert world.client.get(f"{RECORDS}/salesOrder/{so}").status_code == 404
    assert world.client.get(f"{RECORDS}/salesOrder/eid:gone-1").status_code == 404
    found = world.client.post(SUITEQL, json={"q": "SELECT id FROM transactionline"}, headers={"Prefer": "transient"})
    assert found.json()["items"] == []


def test_a_record_others_were_made_from_cannot_be_deleted(world, catalog):
    so = post_sales_order(world, catalog)
    world.sim.bill(so)
    with pytest.raises(NetSuiteError, match="dependent records"):
        world.sim.delete("salesOrder", so)
    assert get_record(world, "salesOrder", so)["id"] == so
