"""Shopify simulator: orders, transactions, auth, pagination and the control plane basics."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from common import jsonio
from common.clock import ManualClock, isoformat
from simulators.core.orders import LineSpec, OrderSpec
from simulators.shopify import ShopifySimulator
from tests.unit.storefront_helpers import jpy_order, parse_link_header, shopify_client, usd_order

D = Decimal


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> ShopifySimulator:
    return ShopifySimulator(clock=clock, seed=7)


@pytest.fixture
def client(sim: ShopifySimulator):
    with shopify_client(sim) as c:
        yield c


def test_order_amounts_are_strings_and_totals_add_up(sim, client):
    order_id = sim.add_order(usd_order())["id"]
    response = client.get(f"/orders/{order_id}.json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["order"]  # single root key, as pyactiveresource strips it
    order = body["order"]
    assert order["currency"] == "USD" and order["financial_status"] == "paid"
    assert order["name"] == "#1001"
    shirt, hat = order["line_items"]
    assert (shirt["sku"], shirt["price"], shirt["quantity"]) == ("SKU-1001", "19.99", 3)
    assert shirt["discount_allocations"][0]["amount"] == "6.00"
    # 59.97 - 6.00 = 53.97 taxed at 8.25% = 4.4525 -> 4.45
    assert shirt["tax_lines"] == [{"title": "Sales Tax", "rate": 0.0825, "price": "4.45",
                                   "price_set": shirt["tax_lines"][0]["price_set"]}]
    assert hat["tax_lines"][0]["price"] == "0.83"
    assert order["shipping_lines"][0]["price"] == "7.50"
    assert order["shipping_lines"][0]["tax_lines"][0]["price"] == "0.62"
    assert order["subtotal_price"] == "63.97"
    assert order["total_discounts"] == "6.00"
    assert order["total_tax"] == "5.90"
    assert order["total_shipping_price_set"]["shop_money"] == {"amount": "7.50", "currency_code": "USD"}
    line_tax = sum(D(t["price"]) for li in order["line_items"] for t in li["tax_lines"])
    shipping_tax = D(order["shipping_lines"][0]["tax_lines"][0]["price"])
    assert line_tax + shipping_tax == D(order["total_tax"])
    assert D(order["subtotal_price"]) + D("7.50") + D(order["total_tax"]) == D(order["total_price"]) == D("77.37")
    assert order["customer"]["email"] == "grace.hopper@example.com"


def test_jpy_order_has_no_minor_units(sim, client):
    order_id = sim.add_order(jpy_order())["id"]
    order = client.get(f"/orders/{order_id}.json").json()["order"]
    # 3000 - 300 = 2700, tax 270; shipping 500, tax 50
    assert order["subtotal_price"] == "2700"
    assert order["total_tax"] == "320"
    assert order["total_price"] == "3520"
    assert order["line_items"][0]["price"] == "1500"
    transactions = client.get(f"/orders/{order_id}/transactions.json").json()["transactions"]
    assert transactions[0]["amount"] == "3520" and transactions[0]["currency"] == "JPY"


def test_paid_order_has_one_successful_sale(sim, client):
    order = sim.add_order(usd_order(gateway="manual"))
    body = client.get(f"/orders/{order['id']}/transactions.json").json()
    assert list(body) == ["transactions"]
    (sale,) = body["transactions"]
    assert (sale["kind"], sale["status"], sale["gateway"], sale["amount"], sale["parent_id"]) == \
        ("sale", "success", "manual", "77.37", None)


def test_unpaid_order_is_pending_without_transactions(sim, client):
    order = sim.add_order(usd_order(paid=False))
    assert order["financial_status"] == "pending"
    assert client.get(f"/orders/{order['id']}/transactions.json").json() == {"transactions": []}


def test_bad_order_spec_is_refused_naming_the_field(sim):
    with pytest.raises(ValueError, match=r"lines\[0\].*price.*decimal places"):
        sim.add_order(OrderSpec(lines=(LineSpec("S", "T", D("1.001"), 1),)))
    with pytest.raises(ValueError, match="quantity must be a positive integer"):
        sim.add_order(OrderSpec(lines=(LineSpec("S", "T", D("1.00"), 0),)))
    with pytest.raises(ValueError, match="unknown currency"):
        sim.add_order(OrderSpec(currency="XXX", lines=(LineSpec("S", "T", D("1"), 1),)))
    assert sim.backend.orders == {}


def test_unknown_order_is_404_not_found(client):
    response = client.get("/orders/999.json")
    assert response.status_code == 404
    assert response.json() == {"errors": "Not Found"}


def test_unknown_path_is_404_and_still_names_a_version(client):
    response = client.get("/products.json")
    assert response.json() == {"errors": "Not Found"}
    assert response.headers["X-Shopify-API-Version"] == "2024-10"


@pytest.mark.parametrize("version", ["2019-04", "2019-01", "2024-04"])
def test_version_past_end_of_life_falls_forward_to_the_oldest_supported(sim, version):
    order_id = sim.add_order(usd_order())["id"]
    with shopify_client(sim, version=version) as old:
        response = old.get(f"/orders/{order_id}/refunds.json")
        listing = old.get("/orders.json", params={"limit": 1})
        sim.add_order(usd_order())
        paged = old.get("/orders.json", params={"limit": 1})
    assert response.status_code == 200 and response.headers["X-Shopify-API-Version"] == "2024-07"
    assert listing.headers["X-Shopify-API-Version"] == "2024-07"
    assert "/admin/api/2024-07/" in paged.headers["Link"]   # links point at the version that served


@pytest.mark.parametrize("version", ["garbage", "2024", "2099-01", "latest"])
def test_a_version_that_is_no_date_or_not_yet_released_is_404(sim, version):
    with shopify_client(sim, version=version) as c:
        response = c.get("/orders.json")
    assert response.status_code == 404 and response.json() == {"errors": "Not Found"}
    assert response.headers["X-Shopify-API-Version"] == "2024-07"


def test_every_answer_names_its_version_errors_included(sim):
    with shopify_client(sim, token="shpat_wrong") as c:
        assert c.get("/orders.json").headers["X-Shopify-API-Version"] == "2024-10"


@pytest.mark.parametrize("version", ["2024-07", "2024-10", "2025-01"])
def test_supported_versions_answer_and_echo_the_version(sim, version):
    with shopify_client(sim, version=version) as c:
        response = c.get("/orders.json")
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == version


@pytest.mark.parametrize("token", ["", "shpat_wrong"])
def test_missing_or_wrong_token_is_401(sim, token):
    with shopify_client(sim, token=token) as c:
        response = c.get("/orders.json")
    assert response.status_code == 401
    assert response.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_orders_list_paginates_with_the_sdk_link_format(sim, client):
    ids = [sim.add_order(usd_order())["id"] for _ in range(5)]
    first = client.get("/orders.json", params={"status": "any", "limit": 2})
    assert [o["id"] for o in first.json()["orders"]] == ids[:2]
    link = first.headers["Link"]
    assert link.startswith("<https://acme-outfitters.myshopify.com/admin/api/2024-10/orders.json?limit=2&page_info=")
    assert link.endswith('>; rel="next"')
    second = client.get(parse_link_header(link)["next"])
    assert [o["id"] for o in second.json()["orders"]] == ids[2:4]
    links = parse_link_header(second.headers["Link"])
    assert set(links) == {"previous", "next"}
    assert second.headers["Link"].count(", ") == 1  # entries joined by exactly ", "
    third = client.get(links["next"])
    assert [o["id"] for o in third.json()["orders"]] == ids[4:]
    assert set(parse_link_header(third.headers["Link"])) == {"previous"}
    back = client.get(parse_link_header(third.headers["Link"])["previous"])
    assert [o["id"] for o in back.json()["orders"]] == ids[2:4]


def test_single_page_has_no_link_header(sim, client):
    sim.add_order(usd_order())
    response = client.get("/orders.json", params={"limit": 50})
    assert "Link" not in response.headers


def test_page_info_keeps_the_original_filters(sim, client, clock):
    sim.add_order(usd_order())
    clock.advance(minutes=5)
    cutoff = clock.now()
    later = [sim.add_order(usd_order())["id"] for _ in range(3)]
    first = client.get("/orders.json", params={"updated_at_min": isoformat(cutoff), "limit": 2})
    assert [o["id"] for o in first.json()["orders"]] == later[:2]
    second = client.get(parse_link_header(first.headers["Link"])["next"])
    assert [o["id"] for o in second.json()["orders"]] == later[2:]


def test_since_id_and_updated_at_min_filter(sim, client, clock):
    a = sim.add_order(usd_order())["id"]
    clock.advance(hours=1)
    b = sim.add_order(usd_order())["id"]
    assert [o["id"] for o in client.get("/orders.json", params={"since_id": a}).json()["orders"]] == [b]
    since = isoformat(clock.now() - timedelta(minutes=1))
    assert [o["id"] for o in client.get("/orders.json", params={"updated_at_min": since}).json()["orders"]] == [b]
    # a refund bumps updated_at, so the older order shows up again
    clock.advance(hours=1)
    sim.refund_in_admin(a, shipping=True)
    since = isoformat(clock.now())
    assert [o["id"] for o in client.get("/orders.json", params={"updated_at_min": since}).json()["orders"]] == [a]


def test_status_filter(sim, client):
    order_id = sim.add_order(usd_order())["id"]
    assert [o["id"] for o in client.get("/orders.json", params={"status": "any"}).json()["orders"]] == [order_id]
    assert client.get("/orders.json", params={"status": "closed"}).json() == {"orders": []}
    response = client.get("/orders.json", params={"status": "sideways"})
    assert response.status_code == 400 and "status" in response.json()["errors"]


@pytest.mark.parametrize("limit,ok", [("1", True), ("250", True), ("251", False), ("0", False), ("ten", False)])
def test_limit_is_1_to_250(client, limit, ok):
    response = client.get("/orders.json", params={"limit": limit})
    assert (response.status_code == 200) is ok
    if not ok:
        assert "limit" in response.json()["errors"]


def test_page_info_cannot_be_combined_with_filters_or_forged(sim, client):
    for _ in range(3):
        sim.add_order(usd_order())
    next_url = parse_link_header(client.get("/orders.json", params={"limit": 1}).headers["Link"])["next"]
    response = client.get(next_url + "&status=any")
    assert response.status_code == 400 and "page_info" in response.json()["errors"]
    response = client.get("/orders.json", params={"page_info": "not-a-cursor"})
    assert response.status_code == 400 and response.json() == {"errors": "page_info - Invalid value."}


def test_bad_timestamp_filter_is_400(client):
    response = client.get("/orders.json", params={"updated_at_min": "yesterday"})
    assert response.status_code == 400 and "updated_at_min" in response.json()["errors"]


def test_wrong_method_is_refused(sim, client):
    order_id = sim.add_order(usd_order())["id"]
    response = client.delete(f"/orders/{order_id}.json")
    assert response.status_code == 405 and "errors" in response.json()


def test_journal_records_requests_and_reset_wipes_state(sim, client):
    order_id = sim.add_order(usd_order())["id"]
    client.get(f"/orders/{order_id}.json")
    client.get("/orders/1.json")
    entries = sim.journal.entries()
    assert [(e.method, e.status, e.operation) for e in entries] == [("GET", 200, "get_order"),
                                                                     ("GET", 404, "get_order")]
    assert jsonio.loads(entries[0].response_body)["order"]["id"] == order_id
    old_token = sim.access_token
    sim.reset(seed=7)
    assert len(sim.journal) == 0 and sim.backend.orders == {}
    assert sim.access_token == old_token  # same seed, same credentials
    assert client.get(f"/orders/{order_id}.json").status_code == 404
    assert sim.add_order(usd_order())["id"] == order_id  # ids replay from the seed
    sim.reset(seed=8)
    assert sim.access_token != old_token


def test_ids_and_credentials_depend_only_on_the_seed(clock):
    a, b = ShopifySimulator(clock=clock, seed=3), ShopifySimulator(clock=clock, seed=3)
    assert (a.access_token, a.client_secret) == (b.access_token, b.client_secret)
    assert a.add_order(usd_order()) == b.add_order(usd_order())
    assert a.shop_domain == "acme-outfitters.myshopify.com" and a.api_version == "2024-10"
    assert ShopifySimulator(shop="other", clock=clock).hosts == ["other.myshopify.com"]


# --- fields=: only the listed top-level fields, on every endpoint that takes it -----------------

def test_fields_cuts_an_order_to_the_listed_top_level_fields(sim, client):
    order = sim.add_order(usd_order())
    response = client.get(f"/orders/{order['id']}.json", params={"fields": "id, name,total_price,no_such_field"})
    assert response.json() == {"order": {"id": order["id"], "name": order["name"], "total_price": "77.37"}}


def test_fields_applies_to_every_order_of_a_listing(sim, client):
    ids = [sim.add_order(usd_order())["id"] for _ in range(2)]
    orders = client.get("/orders.json", params={"fields": "id,line_items"}).json()["orders"]
    assert [sorted(o) for o in orders] == [["id", "line_items"]] * 2 and {o["id"] for o in orders} == set(ids)
    assert orders[0]["line_items"][0]["sku"] == "SKU-1001"   # nested objects stay whole


def test_fields_applies_to_refunds_and_transactions(sim, client):
    order = sim.add_order(usd_order())
    refund = sim.refund_in_admin(order["id"], [(order["line_items"][1]["id"], 1)])
    base = f"/orders/{order['id']}"
    assert client.get(f"{base}/refunds/{refund['id']}.json", params={"fields": "id,order_id"}).json() == \
        {"refund": {"id": refund["id"], "order_id": order["id"]}}
    assert client.get(f"{base}/refunds.json", params={"fields": "id"}).json() == {"refunds": [{"id": refund["id"]}]}
    kinds = client.get(f"{base}/transactions.json", params={"fields": "kind"}).json()["transactions"]
    assert kinds == [{"kind": "sale"}, {"kind": "refund"}]


def test_empty_fields_answers_everything(sim, client):
    order_id = sim.add_order(usd_order())["id"]
    assert client.get(f"/orders/{order_id}.json", params={"fields": ""}).json() == \
        client.get(f"/orders/{order_id}.json").json()


@pytest.mark.parametrize("order_id", ["\u0663", "1" * 5000, "12a"])
def test_an_order_id_that_is_not_a_plain_number_is_not_found(order_id):
    from simulators.shopify import ShopifySimulator
    from tests.unit.storefront_helpers import shopify_client

    with shopify_client(ShopifySimulator(seed=1)) as client:
        response = client.get(f"/orders/{order_id}.json")
    assert (response.status_code, response.json()) == (404, {"errors": "Not Found"})
