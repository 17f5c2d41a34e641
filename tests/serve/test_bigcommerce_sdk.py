"""The bigcommerce SDK (0.23), unmodified, against the served BigCommerce simulator. The SDK hard-codes
https, so its connection's ``full_path`` is pointed at the loopback base URL; v3 refund calls go
through ``make_request`` with absolute URLs (the SDK has no v3 resources)."""
from __future__ import annotations

import pytest

bigcommerce = pytest.importorskip("bigcommerce")
from bigcommerce.exception import ClientRequestException, RateLimitingException  # noqa: E402


@pytest.fixture
def bc(served_world):
    simulator = served_world.simulators()["bigcommerce"]
    account = served_world.connect("bigcommerce")
    orders = [served_world.place_order(account, quantity_first=2) for _ in range(2)]
    store = simulator.store
    api = bigcommerce.api.BigcommerceApi(client_id=store.client_id, store_hash=store.hash,
                                         access_token=store.access_token)
    base = f"{served_world.wiring.base_url(simulator)}/stores/{store.hash}"
    api.connection.full_path = lambda url: f"{base}/v2/{url}"
    return api, simulator, orders, base


def test_orders_list_and_read_through_the_sdk_with_rate_limit_headers(bc):
    api, simulator, orders, base = bc
    found = api.Orders.all(limit=50)
    assert sorted(o["id"] for o in found) == sorted(int(o.placed.order_id) for o in orders)
    order = api.Orders.get(int(orders[0].placed.order_id))
    assert order["total_inc_tax"].endswith("00") and len(order["total_inc_tax"].split(".")[1]) == 4
    assert api.connection.rate_limit["requests_quota"] == 150   # all four headers came with it
    assert len(order.products()) == len(orders[0].placed.lines)
    assert list(api.Orders.iterall()) != []   # pages until the empty 204 page


def test_quote_then_refund_with_make_request(bc):
    api, simulator, orders, base = bc
    placed = orders[0].placed
    items = [{"item_type": "PRODUCT", "item_id": int(placed.lines[0].line_id), "quantity": 1}]
    quote = api.connection.make_request("POST", f"{base}/v3/orders/{placed.order_id}/payment_actions/refund_quotes",
                                        data={"items": items})["data"]
    option = quote["refund_methods"][0][0]
    made = api.connection.make_request("POST", f"{base}/v3/orders/{placed.order_id}/payment_actions/refunds",
                                       data={"items": items, "payments": [{"provider_id": option["provider_id"],
                                                                           "amount": option["amount"],
                                                                           "offline": False}]})["data"]
    assert made["total_amount"] == quote["total_refund_amount"]
    listed = api.connection.make_request("GET", f"{base}/v3/orders/{placed.order_id}/payment_actions/refunds")
    assert [r["id"] for r in listed["data"]] == [made["id"]]


def test_a_wrong_amount_raises_the_sdks_client_error_and_429_its_rate_limit_error(bc):
    api, simulator, orders, base = bc
    placed = orders[0].placed
    items = [{"item_type": "PRODUCT", "item_id": int(placed.lines[0].line_id), "quantity": 1}]
    with pytest.raises(ClientRequestException) as raised:
        api.connection.make_request("POST", f"{base}/v3/orders/{placed.order_id}/payment_actions/refunds",
                                    data={"items": items, "payments": [{"provider_id": "authorizenet", "amount": 0.01}]})
    assert raised.value.response.status_code == 422
    simulator.settings.quota = 0
    with pytest.raises(RateLimitingException) as throttled:
        api.Orders.all()
    assert throttled.value.retry_after is not None
