"""Square simulator: orders, payments, search, auth, tenants and the control plane basics."""
from __future__ import annotations

from decimal import Decimal

import pytest

from common import jsonio
from common.clock import ManualClock
from simulators.core.orders import LineSpec, OrderSpec
from simulators.square import SquareSimulator
from tests.unit.storefront_helpers import jpy_order, square_client, usd_order

UNAUTHORIZED = {"errors": [{"category": "AUTHENTICATION_ERROR", "code": "UNAUTHORIZED",
                            "detail": "This request could not be authorized."}]}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> SquareSimulator:
    return SquareSimulator(clock=clock, seed=3)


@pytest.fixture
def client(sim: SquareSimulator):
    with square_client(sim) as c:
        yield c


def search(client, sim, **query):
    return client.post("/v2/orders/search", json={"location_ids": [sim.location_id], **query})


def test_order_money_is_integer_minor_units_and_totals_add_up(sim, client):
    order_id = sim.add_order(usd_order())[0]["id"]
    response = client.get(f"/v2/orders/{order_id}")
    assert response.status_code == 200
    order = response.json()["order"]
    assert order["state"] == "COMPLETED" and order["location_id"] == sim.location_id
    shirt, hat = order["line_items"]
    assert shirt["quantity"] == "3" and shirt["variation_name"] == "SKU-1001" and shirt["name"] == "Linen Shirt"
    assert shirt["base_price_money"] == {"amount": 1999, "currency": "USD"}
    assert shirt["gross_sales_money"]["amount"] == 5997
    assert shirt["total_discount_money"]["amount"] == 600
    assert shirt["total_tax_money"]["amount"] == 445
    assert shirt["total_money"]["amount"] == 5997 - 600 + 445
    (shipping,) = order["service_charges"]
    assert (shipping["amount_money"]["amount"], shipping["total_tax_money"]["amount"]) == (750, 62)
    lines_total = sum(li["total_money"]["amount"] for li in order["line_items"])
    assert lines_total + shipping["total_money"]["amount"] == order["total_money"]["amount"] == 7737
    assert order["total_tax_money"]["amount"] == 445 + 83 + 62
    assert order["total_discount_money"]["amount"] == 600
    (tax,) = order["taxes"]
    assert tax["percentage"] == "8.25" and tax["applied_money"]["amount"] == 590
    (tender,) = order["tenders"]
    assert tender["type"] == "CARD" and tender["amount_money"]["amount"] == 7737
    payment = client.get(f"/v2/payments/{tender['payment_id']}").json()["payment"]
    assert payment["status"] == "COMPLETED" and payment["order_id"] == order_id
    assert payment["amount_money"] == payment["total_money"] == {"amount": 7737, "currency": "USD"}
    assert payment["refunded_money"] == {"amount": 0, "currency": "USD"} and payment["refund_ids"] == []
    assert order["created_at"].endswith(".000Z")


def test_jpy_amounts_are_whole_yen(sim, client):
    order, payment = sim.add_order(jpy_order())
    assert order["line_items"][0]["base_price_money"] == {"amount": 1500, "currency": "JPY"}
    assert order["total_money"] == {"amount": 3520, "currency": "JPY"}
    assert payment["amount_money"] == {"amount": 3520, "currency": "JPY"}


def test_kwd_amounts_have_three_minor_digits(sim):
    order, _ = sim.add_order(OrderSpec(currency="KWD", lines=(LineSpec("K", "Dates", Decimal("1.250"), 2),)))
    assert order["total_money"] == {"amount": 2500, "currency": "KWD"}


def test_unpaid_order_is_open_with_an_approved_payment(sim, client):
    order, payment = sim.add_order(usd_order(paid=False))
    assert order["state"] == "OPEN" and "closed_at" not in order
    assert payment["status"] == "APPROVED"
    assert payment["card_details"]["status"] == "AUTHORIZED"


def test_customer_is_readable(sim, client):
    order, _ = sim.add_order(usd_order())
    customer = client.get(f"/v2/customers/{order['customer_id']}").json()["customer"]
    assert (customer["given_name"], customer["family_name"], customer["email_address"]) == \
        ("Grace", "Hopper", "grace.hopper@example.com")


@pytest.mark.parametrize("token", ["", "EAAAwrong"])
def test_missing_or_wrong_token_is_401(sim, token):
    with square_client(sim, token=token) as c:
        response = c.get("/v2/refunds")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_basic_auth_scheme_is_401(sim):
    with square_client(sim) as c:
        response = c.get("/v2/refunds", headers={"Authorization": f"Basic {sim.access_token}"})
    assert response.status_code == 401


def test_unknown_ids_and_paths_are_404_in_square_shape(client):
    response = client.get("/v2/orders/nope")
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert (error["category"], error["code"]) == ("INVALID_REQUEST_ERROR", "NOT_FOUND")
    assert client.get("/v2/payments/nope").json()["errors"][0]["detail"] == "Could not find payment with id: nope"
    assert client.get("/v2/catalog/list").json()["errors"][0]["code"] == "NOT_FOUND"
    assert client.delete("/v2/refunds").json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


def test_sellers_cannot_see_each_others_records(sim, client):
    order, payment = sim.add_order(usd_order())
    other = sim.add_merchant("Other Seller")
    assert other.access_token != sim.access_token and other.location_id != sim.location_id
    with square_client(sim, token=other.access_token) as stranger:
        assert stranger.get(f"/v2/orders/{order['id']}").status_code == 404
        assert stranger.get(f"/v2/payments/{payment['id']}").status_code == 404
        refused = stranger.post("/v2/refunds", json={"idempotency_key": "x", "payment_id": payment["id"],
                                                     "amount_money": {"amount": 100, "currency": "USD"}})
        assert refused.status_code == 404
        foreign = stranger.post("/v2/orders/search", json={"location_ids": [sim.location_id]})
        assert foreign.status_code == 400 and foreign.json()["errors"][0]["field"] == "location_ids"
        theirs, _ = sim.add_order(usd_order(), merchant=other)
        assert stranger.get(f"/v2/orders/{theirs['id']}").status_code == 200
    assert client.get(f"/v2/orders/{theirs['id']}").status_code == 404


def test_search_by_updated_at_finds_orders_touched_by_refunds(sim, client, clock):
    first, first_payment = sim.add_order(usd_order())
    clock.advance(hours=1)
    second, _ = sim.add_order(usd_order())
    cutoff = "2026-01-05T09:30:00Z"
    query = {"query": {"filter": {"date_time_filter": {"updated_at": {"start_at": cutoff}}}}}
    assert [o["id"] for o in search(client, sim, **query).json()["orders"]] == [second["id"]]
    clock.advance(hours=1)
    sim.refund_in_dashboard(first_payment["id"], Decimal("1.00"), "goodwill")
    found = search(client, sim, **query).json()["orders"]
    assert [o["id"] for o in found] == [first["id"], second["id"]]  # newest update first (DESC)
    ascending = search(client, sim, query={**query["query"], "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}})
    assert [o["id"] for o in ascending.json()["orders"]] == [second["id"], first["id"]]


def test_search_pages_with_a_cursor_bound_to_the_query(sim, client, clock):
    ids = []
    for _ in range(5):
        ids.append(sim.add_order(usd_order())[0]["id"])
        clock.advance(minutes=1)
    query = {"query": {"sort": {"sort_field": "CREATED_AT", "sort_order": "ASC"}}, "limit": 2}
    seen, cursor = [], None
    while True:
        body = search(client, sim, **query, **({"cursor": cursor} if cursor else {})).json()
        seen += [o["id"] for o in body["orders"]]
        cursor = body.get("cursor")
        if cursor is None:
            break
    assert seen == ids
    first_cursor = search(client, sim, **query).json()["cursor"]
    wrong = search(client, sim, query={"sort": {"sort_field": "UPDATED_AT"}}, cursor=first_cursor)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["code"] == "INVALID_CURSOR"


def test_search_state_filter_and_entries(sim, client):
    paid, _ = sim.add_order(usd_order())
    sim.add_order(usd_order(paid=False))
    body = search(client, sim, query={"filter": {"state_filter": {"states": ["COMPLETED"]}}}, return_entries=True).json()
    assert body == {"order_entries": [{"order_id": paid["id"], "version": 1, "location_id": sim.location_id}]}


@pytest.mark.parametrize("body,code,field", [
    ({"location_ids": []}, "MISSING_REQUIRED_PARAMETER", "location_ids"),
    ({"location_ids": ["L"] * 11}, "ARRAY_LENGTH_TOO_LONG", "location_ids"),
    ({"query": {"filter": {"state_filter": {"states": ["DONE"]}}}}, "INVALID_ENUM_VALUE", "query.filter.state_filter.states"),
    ({"query": {"filter": {"date_time_filter": {"updated_at": {"start_at": "soon"}}}}}, "INVALID_TIME",
     "query.filter.date_time_filter.updated_at.start_at"),
    ({"query": {"filter": {"date_time_filter": {"updated_at": {"start_at": "2026-01-01T00:00:00Z"}}},
                "sort": {"sort_field": "CREATED_AT"}}}, "BAD_REQUEST", "query.sort.sort_field"),
    ({"query": {"sort": {"sort_order": "UP"}}}, "INVALID_SORT_ORDER", "query.sort.sort_order"),
    ({"limit": 0}, "VALUE_TOO_LOW", "limit"),
    ({"query": "all"}, "EXPECTED_OBJECT", "query"),
])
def test_bad_searches_are_400(sim, client, body, code, field):
    response = client.post("/v2/orders/search", json={"location_ids": [sim.location_id], **body})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["field"]) == (code, field)


def test_malformed_json_is_400(client):
    response = client.post("/v2/orders/search", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["category"] == "INVALID_REQUEST_ERROR"
    response = client.post("/v2/orders/search", json=[1])
    assert response.json()["errors"][0]["code"] == "EXPECTED_JSON_BODY"


def test_journal_and_reset(sim, client):
    order, _ = sim.add_order(usd_order())
    client.get(f"/v2/orders/{order['id']}")
    (entry,) = sim.journal.entries()
    assert (entry.method, entry.status, entry.operation) == ("GET", 200, "retrieve_order")
    assert jsonio.loads(entry.response_body)["order"]["id"] == order["id"]
    token = sim.access_token
    sim.reset()
    assert len(sim.journal) == 0
    assert sim.access_token == token  # same seed, same seller
    assert client.get(f"/v2/orders/{order['id']}").status_code == 404
    assert sim.add_order(usd_order())[0]["id"] == order["id"]
    sim.reset(seed=4)
    assert sim.access_token != token


def test_an_order_paid_on_terms_has_an_external_payment_and_an_other_tender(sim, client):
    order, payment = sim.add_order(usd_order(gateway="manual"))
    got = jsonio.loads(client.get(f"/v2/payments/{payment['id']}").content)["payment"]
    assert got["source_type"] == "EXTERNAL" and "card_details" not in got
    assert got["external_details"]["type"] == "OTHER"
    tender = jsonio.loads(client.get(f"/v2/orders/{order['id']}").content)["order"]["tenders"][0]
    assert tender["type"] == "OTHER" and tender["payment_id"] == payment["id"]


def test_an_order_paid_in_cash_has_a_cash_payment_and_a_cash_tender(sim, client):
    order, payment = sim.add_order(usd_order(gateway="cash"))
    got = jsonio.loads(client.get(f"/v2/payments/{payment['id']}").content)["payment"]
    assert got["source_type"] == "CASH" and "card_details" not in got
    assert got["cash_details"]["buyer_supplied_money"] == got["total_money"]
    tender = jsonio.loads(client.get(f"/v2/orders/{order['id']}").content)["order"]["tenders"][0]
    assert tender["type"] == "CASH" and tender["payment_id"] == payment["id"]
    assert tender["cash_details"]["buyer_tendered_money"] == tender["amount_money"]


def test_a_card_checkout_has_a_card_tender(sim, client):
    order, payment = sim.add_order(usd_order())
    tender = jsonio.loads(client.get(f"/v2/orders/{order['id']}").content)["order"]["tenders"][0]
    assert tender["type"] == "CARD" and tender["card_details"]["status"] == "CAPTURED"
