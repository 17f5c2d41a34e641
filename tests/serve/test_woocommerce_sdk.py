"""The woocommerce SDK (3.0.0), unmodified, against the served WooCommerce simulator.

The served simulator speaks plain http on loopback, so the SDK signs every call with OAuth 1.0a in the
query string (its http path); its Basic path is taken only for https URLs, which the loopback server
does not serve, so Basic is covered by the unit tests instead. The SDK stamps requests with the wall
clock and cannot be told otherwise, so the store checks OAuth timestamps against the wall clock here.
"""
from __future__ import annotations

import pytest
from woocommerce import API


@pytest.fixture
def woo(served_world):
    account = served_world.connect("woocommerce")
    simulator = served_world.simulators()["woocommerce"]
    orders = [served_world.place_order(account, quantity_first=2) for _ in range(2)]
    simulator.settings.oauth_wall_clock = True
    client = API(url=served_world.wiring.base_url(simulator), consumer_key=simulator.consumer_key,
                 consumer_secret=simulator.consumer_secret, version="wc/v3", timeout=10)
    return client, simulator, orders


def test_get_and_list_orders_with_paging(woo):
    client, simulator, orders = woo
    placed = orders[0].placed
    one = client.get(f"orders/{placed.order_id}")
    assert one.status_code == 200, one.text
    assert one.json()["total"] == str(placed.total)
    # the SDK puts params in the signed URL and again in the query: the store keeps the last of each
    page = client.get("orders", params={"per_page": 1, "page": 2})
    assert page.status_code == 200, page.text
    assert page.headers["X-WP-Total"] == "2" and page.headers["X-WP-TotalPages"] == "2"
    assert 'rel="prev"' in page.headers["Link"] and len(page.json()) == 1


def test_refund_by_line_then_list_and_read_it(woo):
    client, simulator, orders = woo
    placed = orders[0].placed
    order = client.get(f"orders/{placed.order_id}").json()
    line = order["line_items"][0]
    created = client.post(f"orders/{placed.order_id}/refunds", {
        "amount": "5.00", "reason": "SDK refund", "api_refund": False,
        "line_items": [{"id": line["id"], "quantity": 1, "refund_total": 4.0,
                        "refund_tax": [{"id": t["id"], "refund_total": 1.0} for t in line["taxes"]]}]})
    assert created.status_code == 201, created.text
    refund = created.json()
    assert refund["amount"] == "5.00" and refund["line_items"][0]["quantity"] == -1
    listed = client.get(f"orders/{placed.order_id}/refunds").json()
    assert [r["id"] for r in listed] == [refund["id"]]
    assert client.get(f"orders/{placed.order_id}/refunds/{refund['id']}").json()["reason"] == "SDK refund"


def test_an_over_refund_is_woocommerces_500_which_the_sdk_returns(woo):
    client, simulator, orders = woo
    placed = orders[0].placed
    response = client.post(f"orders/{placed.order_id}/refunds", {"amount": "100000.00"})
    assert response.status_code == 500
    assert response.json() == {"code": "woocommerce_rest_cannot_create_order_refund",
                               "message": "Invalid refund amount.", "data": {"status": 500}}
    assert client.get(f"orders/{placed.order_id}/refunds").json() == []


def test_a_wrong_secret_is_refused_with_the_signature_message(woo):
    client, simulator, orders = woo
    wrong = API(url=client.url, consumer_key=simulator.consumer_key, consumer_secret="cs_wrong", timeout=10)
    response = wrong.get("orders")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid signature - provided signature does not match."
