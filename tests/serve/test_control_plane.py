"""The /_sim control plane of served simulators, over HTTP: every operation, and bad input as a 4xx."""
from __future__ import annotations

import pytest

from connector import Direction
from harness.storefronts import StorefrontRefundRequest


def control(world, name: str) -> str:
    return f"{world.wiring.base_url(world.simulators()[name])}/_sim"


ORDER = {"currency": "USD", "shipping": "5.00",
         "lines": [{"sku": "TEE-1", "title": "Tee", "price": "19.99", "quantity": 2, "tax_rate": "0.0825"}]}


def test_seed_then_read_back_through_the_api_and_the_journal(served_world, plain_http, control_http):
    shopify = served_world.simulators()["shopify"]
    seeded = control_http.post(f"{control(served_world, 'shopify')}/seed", json={"orders": [ORDER]})
    assert seeded.status_code == 200
    order = seeded.json()["orders"][0]["order"]
    assert order["total_price"] == "48.28" and order["line_items"][0]["sku"] == "TEE-1"

    api = f"{served_world.wiring.base_url(shopify)}/admin/api/2024-10/orders/{order['id']}.json"
    assert plain_http.get(api, headers={"X-Shopify-Access-Token": shopify.access_token}).json()["order"]["id"] == order["id"]
    (entry,) = control_http.get(f"{control(served_world, 'shopify')}/journal").json()["requests"]
    assert (entry["method"], entry["status"], entry["operation"], entry["url"]) == ("GET", 200, "get_order", api)

    square = control_http.post(f"{control(served_world, 'square')}/seed", json={"orders": [ORDER]}).json()
    assert square["orders"][0]["payment"]["amount_money"] == {"amount": 4828, "currency": "USD"}
    items = control_http.post(f"{control(served_world, 'netsuite')}/seed",
                            json={"inventory_items": [{"sku": "TEE-1", "name": "Tee", "price": "19.99"}]}).json()
    assert served_world.netsuite.record("inventoryItem", items["inventory_items"][0]["id"])["itemId"] == "TEE-1"


def test_reset_forgets_state_and_can_change_the_seed(served_world, control_http):
    before = served_world.simulators()["square"].access_token
    answer = control_http.post(f"{control(served_world, 'square')}/reset", json={"seed": 99}).json()
    assert answer["seed"] == 99 and answer["credentials"]["access_token"] != before
    assert served_world.simulators()["square"].access_token == answer["credentials"]["access_token"]
    assert control_http.post(f"{control(served_world, 'square')}/reset").json()["seed"] == 99  # no body: same seed


def test_the_clock_is_the_worlds_and_moves_only_forward(served_world, control_http):
    start = served_world.clock.now()
    moved = control_http.post(f"{control(served_world, 'netsuite')}/clock/advance", json={"seconds": 5400})
    assert moved.json() == {"now": "2026-01-05T10:30:00Z"}
    assert (served_world.clock.now() - start).total_seconds() == 5400  # every simulator sees it
    back = control_http.post(f"{control(served_world, 'shopify')}/clock/advance", json={"seconds": -1})
    assert back.status_code == 400 and "only moves forward" in back.json()["error"]


def test_settings_read_and_patch_apply_to_the_live_simulator(served_world, control_http):
    url = f"{control(served_world, 'netsuite')}/settings"
    assert control_http.get(url).json()["settings"] == {"concurrency_limit": 5, "tax_rate": 0,
                                                      "ignore_tax_override": False}
    patched = control_http.patch(url, json={"tax_rate": "0.0825", "ignore_tax_override": True})
    assert patched.json()["settings"]["tax_rate"] == 0.0825
    assert str(served_world.netsuite.settings.tax_rate) == "0.0825" and served_world.netsuite.settings.ignore_tax_override


def test_webhooks_are_delivered_on_request_to_the_served_connector(served_world, control_http):
    account = served_world.connect("shopify")
    served_world.connector.activate_order_sync(account.id)
    order = served_world.place_order(account)
    served_world.sync(order)
    served_world.bill(order)
    served_world.connector.enable_refund_sync(account.id, Direction.TO_NETSUITE)
    served_world.storefront_refund(order, StorefrontRefundRequest(lines=((1, 1),)))
    (delivery,) = control_http.post(f"{control(served_world, 'shopify')}/webhooks/deliver").json()["deliveries"]
    assert delivery["topic"] == "refunds/create" and delivery["delivered"] and delivery["status_code"] == 200
    assert delivery["address"].startswith("https://hooks.refund-connector.test/")


@pytest.mark.parametrize("method, path, body, status, message", [
    ("PATCH", "/settings", {"bucket_size": "forty"}, 400, "settings.bucket_size must be a whole number, not 'forty'"),
    ("PATCH", "/settings", {"bucket": 1}, 400, "settings has unknown field(s) bucket; known: bucket_size,"),
    ("PATCH", "/settings", {"leak_per_second": -2}, 400, "settings.leak_per_second must be 0 or more"),
    ("POST", "/seed", {"orders": [{"lines": [{"sku": "A", "title": "a", "price": "x", "quantity": 1}]}]}, 400,
     "orders[0].lines[0].price must be a number"),
    ("POST", "/seed", {"inventory_items": []}, 400, "shopify cannot seed inventory_items; it takes orders"),
    ("POST", "/seed", {"orders": [{"lines": [{"sku": "A"}]}]}, 400, "orders[0].lines[0]:"),
    ("POST", "/clock/advance", {"minutes": 3}, 400, 'send {"seconds":'),
    ("POST", "/reset", {"seed": "x"}, 400, "seed must be a whole number"),
    ("GET", "/seed", None, 405, "GET is not allowed on /_sim/seed; use POST"),
    ("GET", "/nothing", None, 404, "no control endpoint GET /_sim/nothing; endpoints: GET /_sim,"),
])
def test_bad_control_input_is_a_4xx_naming_the_problem(served_world, method, path, body, status, message, control_http):
    before = len(served_world.simulators()["shopify"].backend.orders)
    answer = control_http.request(method, f"{control(served_world, 'shopify')}{path}", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert len(served_world.simulators()["shopify"].backend.orders) == before  # nothing half-written


def test_seeding_checks_every_order_first_and_reports_a_models_refusal_as_a_400(served_world, control_http):
    shopify = served_world.simulators()["shopify"]
    priced_first = control_http.post(f"{control(served_world, 'shopify')}/seed",
                                   json={"orders": [ORDER, {**ORDER, "currency": "XXX"}]})
    assert priced_first.status_code == 400 and priced_first.json()["error"].startswith("orders[1]: unknown currency 'XXX'")
    assert shopify.backend.orders == {}
    taken = control_http.post(f"{control(served_world, 'netsuite')}/seed", json={"inventory_items": [
        {"sku": "NEW-1", "name": "New", "price": "3.00"}, {"sku": "NEW-1", "name": "Again", "price": "3.00"}]})
    assert taken.status_code == 400
    assert "inventory_items[1] was refused" in taken.json()["error"] and "1 entry before it was added" in taken.json()["error"]


def test_malformed_json_and_operations_a_simulator_lacks(served_world, control_http):
    bad = control_http.post(f"{control(served_world, 'shopify')}/seed", content=b"{nope",
                            headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    none = control_http.post(f"{control(served_world, 'square')}/webhooks/deliver")
    assert (none.status_code, none.json()) == (404, {"error": "square sends no webhooks"})


def test_an_outside_clients_own_loopback_receiver_gets_the_webhook(served_world, control_http, plain_http):
    """An app subscribes its own plain-http receiver on loopback (allow_http_webhooks) and Shopify's
    served simulator delivers to it, signed with the shop's secret."""
    import base64
    import hashlib
    import hmac
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        shopify = served_world.simulators()["shopify"]
        control_http.patch(f"{control(served_world, 'shopify')}/settings", json={"allow_http_webhooks": True})
        address = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        base = f"{served_world.wiring.base_url(shopify)}/admin/api/2024-10"
        token = {"X-Shopify-Access-Token": shopify.access_token}
        assert plain_http.post(f"{base}/webhooks.json", headers=token, json={"webhook": {
            "topic": "refunds/create", "address": address, "format": "json"}}).status_code == 201
        order = control_http.post(f"{control(served_world, 'shopify')}/seed", json={"orders": [ORDER]}).json()
        line = order["orders"][0]["order"]["line_items"][0]["id"]
        order_id = order["orders"][0]["order"]["id"]
        refunded = plain_http.post(f"{base}/orders/{order_id}/refunds.json", headers=token, json={"refund": {
            "refund_line_items": [{"line_item_id": line, "quantity": 1, "restock_type": "no_restock"}]}})
        assert refunded.status_code == 201, refunded.text
        (delivery,) = control_http.post(f"{control(served_world, 'shopify')}/webhooks/deliver").json()["deliveries"]
        assert delivery["delivered"] and delivery["status_code"] == 200 and delivery["address"] == address
        ((headers, body),) = received
        expected = base64.b64encode(hmac.new(shopify.client_secret.encode(), body, hashlib.sha256).digest()).decode()
        assert headers["X-Shopify-Hmac-Sha256"] == expected and headers["X-Shopify-Topic"] == "refunds/create"
    finally:
        server.shutdown()
        server.server_close()
