"""The WooCommerce simulator's orders and refunds: wc_create_refund's rules and the wc/v3 wire shapes."""
from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from simulators.woocommerce import WooCommerceSimulator
from tests.unit.storefront_helpers import jpy_order, usd_order

D = Decimal


class Store:
    def __init__(self, gateway: str = "stripe", spec=None) -> None:
        self.sim = WooCommerceSimulator()
        self.order = self.sim.add_order(spec or usd_order(gateway=gateway))
        self.basic = base64.b64encode(f"{self.sim.consumer_key}:{self.sim.consumer_secret}".encode()).decode()

    def call(self, method: str, path: str, body=None, **params) -> httpx.Response:
        url = httpx.URL(f"https://{self.sim.host}/wp-json/wc/v3/{path}", params=params)
        return self.sim.handle(httpx.Request(method, url, json=body, headers={"Authorization": f"Basic {self.basic}"}))

    def refund(self, body) -> httpx.Response:
        return self.call("POST", f"orders/{self.order['id']}/refunds", body)


@pytest.fixture
def store() -> Store:
    return Store()


def test_an_order_reads_with_string_money_and_line_taxes_by_rate(store):
    order = store.call("GET", f"orders/{store.order['id']}").json()
    shirt, hat = order["line_items"]
    assert (shirt["subtotal"], shirt["total"], shirt["total_tax"]) == ("59.97", "53.97", "4.45")
    assert shirt["taxes"][0]["id"] == order["tax_lines"][0]["rate_id"]
    assert order["shipping_lines"][0]["total"] == "7.50" and order["total"] == "77.37"
    assert order["status"] == "processing" and order["date_paid"] and order["payment_method"] == "stripe"
    assert order["date_created"] == order["date_created_gmt"] and "+" not in order["date_created"]


def test_amount_takes_precedence_over_line_totals(store):
    shirt = store.order["line_items"][0]
    response = store.refund({"amount": "5.00", "reason": "goodwill", "line_items": [
        {"id": shirt["id"], "quantity": 1, "refund_total": 17.99, "refund_tax": [{"id": shirt["taxes"][0]["id"],
                                                                              "refund_total": 1.48}]}]})
    assert response.status_code == 201, response.text
    refund = response.json()
    assert refund["amount"] == "5.00" and refund["reason"] == "goodwill" and refund["refunded_payment"] is True
    [line] = refund["line_items"]
    assert (line["quantity"], line["total"], line["total_tax"]) == (-1, "-17.99", "-1.48")
    assert {"key": "_refunded_item_id", "value": str(shirt["id"])}.items() <= line["meta_data"][0].items()
    assert set(refund["_links"]) == {"self", "collection", "up"}
    order = store.call("GET", f"orders/{store.order['id']}").json()
    assert order["refunds"] == [{"id": refund["id"], "reason": "goodwill", "total": "-5.00"}]


def test_without_an_amount_it_is_the_sum_of_the_line_totals_and_taxes(store):
    shipping = store.order["shipping_lines"][0]
    refund = store.refund({"api_refund": False, "line_items": [
        {"id": shipping["id"], "refund_total": 7.5, "refund_tax": [{"id": shipping["taxes"][0]["id"], "refund_total": 0.62}]}]}).json()
    assert refund["amount"] == "8.12" and refund["refunded_payment"] is False
    assert refund["line_items"] == [] and refund["shipping_lines"][0]["total"] == "-7.50"


def test_a_negative_amount_is_a_400(store):
    response = store.refund({"amount": "-1.00"})
    assert response.status_code == 400
    assert response.json() == {"code": "woocommerce_rest_invalid_order_refund",
                               "message": "Refund amount must be greater than zero.", "data": {"status": 400}}


def test_more_than_is_left_is_the_controllers_500_and_stores_nothing(store):
    assert store.refund({"amount": "77.00"}).status_code == 201
    response = store.refund({"amount": "0.38"})
    assert response.status_code == 500
    assert response.json() == {"code": "woocommerce_rest_cannot_create_order_refund",
                               "message": "Invalid refund amount.", "data": {"status": 500}}
    assert len(store.sim.backend.order(store.order["id"]).refunds) == 1


def test_refunding_everything_left_marks_the_order_refunded(store):
    store.refund({"amount": "77.37"})
    assert store.call("GET", f"orders/{store.order['id']}").json()["status"] == "refunded"


@pytest.mark.parametrize("gateway, message", [
    ("cod", "The payment gateway for this order does not support automatic refunds."),
    ("manual", "The payment gateway for this order does not exist."),
])
def test_a_gateway_refund_needs_a_gateway_that_refunds(gateway, message):
    store = Store(gateway)
    response = store.refund({"amount": "1.00"})
    assert response.status_code == 500 and response.json()["message"] == message
    assert not store.sim.backend.order(store.order["id"]).refunds
    assert store.refund({"amount": "1.00", "api_refund": False}).status_code == 201


def test_unknown_item_ids_are_skipped_and_quantities_are_not_checked(store):
    """wc_create_refund looks only at ids the order has and never compares quantities."""
    hat = store.order["line_items"][1]
    refund = store.refund({"line_items": [{"id": 999999, "quantity": 1, "refund_total": 1},
                                          {"id": hat["id"], "quantity": 5, "refund_total": 10}]}).json()
    assert [line["quantity"] for line in refund["line_items"]] == [-5] and refund["amount"] == "11.00"


def test_refunds_list_get_and_delete(store):
    first = store.refund({"amount": "1.00"}).json()
    second = store.refund({"amount": "2.00"}).json()
    listed = store.call("GET", f"orders/{store.order['id']}/refunds", per_page="1")
    assert listed.headers["X-WP-Total"] == "2" and listed.headers["X-WP-TotalPages"] == "2"
    assert 'rel="next"' in listed.headers["Link"] and [r["id"] for r in listed.json()] == [second["id"]]
    assert store.call("GET", f"orders/{store.order['id']}/refunds/{first['id']}", dp="3").json()["amount"] == "1.000"
    assert store.call("DELETE", f"orders/{store.order['id']}/refunds/{first['id']}").status_code == 501
    assert store.call("DELETE", f"orders/{store.order['id']}/refunds/{first['id']}", force="true").status_code == 200
    missing = store.call("GET", f"orders/{store.order['id']}/refunds/{first['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == "woocommerce_rest_invalid_order_refund_id"


def test_orders_list_by_modified_after_with_paging_headers():
    store = Store()
    clock = store.sim.clock
    clock.advance(minutes=5)
    later = store.sim.add_order(usd_order(gateway="stripe"))
    page = store.call("GET", "orders", modified_after=(clock.now() - timedelta(minutes=1)).isoformat())
    assert page.headers["X-WP-Total"] == "1" and [o["id"] for o in page.json()] == [later["id"]]
    exactly = store.call("GET", "orders", modified_after=clock.now().isoformat())
    assert exactly.json() == []   # strictly after, as WP_Date_Query's default
    bad = store.call("GET", "orders", per_page="101")
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"


def test_jpy_money_has_no_places():
    store = Store(spec=jpy_order(gateway="stripe"))
    assert "." not in store.order["total"]


def test_unknown_paths_and_methods_are_rest_no_route(store):
    assert store.call("GET", "nothing").json()["code"] == "rest_no_route"
    response = store.call("PUT", f"orders/{store.order['id']}/refunds")
    assert response.status_code == 404 and response.json()["code"] == "rest_no_route"


@pytest.mark.parametrize("body", [b'{"amount": NaN}', b'{"amount": Infinity}', b'{"amount": -Infinity}',
                                  b'{"amount": 1e999999}', b'{"amount": -1e400}'])
def test_a_number_json_cannot_carry_is_wordpress_invalid_json_and_stores_nothing(store, body):
    url = f"https://{store.sim.host}/wp-json/wc/v3/orders/{store.order['id']}/refunds"
    response = store.sim.handle(httpx.Request("POST", url, content=body, headers={
        "Authorization": f"Basic {store.basic}", "Content-Type": "application/json"}))
    assert response.status_code == 400 and response.json()["code"] == "rest_invalid_json", response.text
    assert store.call("GET", f"orders/{store.order['id']}/refunds").json() == []
