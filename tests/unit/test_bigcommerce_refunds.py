"""BigCommerce simulator fidelity: quotes, refund rules, error shapes, rate-limit headers, webhooks."""
from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from common.clock import ManualClock
from simulators.bigcommerce import BigCommerceSimulator
from simulators.bigcommerce.webhooks import REFUND_CREATED, sign
from tests.unit.storefront_helpers import usd_order

D = Decimal


@pytest.fixture
def sim() -> BigCommerceSimulator:
    return BigCommerceSimulator(clock=ManualClock())


def client(sim: BigCommerceSimulator, token: str | None = None) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(sim.handle),
                        base_url=f"https://api.bigcommerce.com/stores/{sim.store.hash}",
                        headers={"X-Auth-Token": token or sim.store.access_token})


def product_item(order: dict, index: int = 0, quantity: int = 1) -> dict:
    return {"item_type": "PRODUCT", "item_id": order["products"][index]["id"], "quantity": quantity}


def quote(c: httpx.Client, order: dict, items: list) -> httpx.Response:
    return c.post(f"/v3/orders/{order['id']}/payment_actions/refund_quotes", json={"items": items})


def refund(c: httpx.Client, order: dict, items: list, provider: str, amount) -> httpx.Response:
    return c.post(f"/v3/orders/{order['id']}/payment_actions/refunds",
                  content=jsonio.dumps({"items": items, "payments": [{"provider_id": provider, "amount": amount,
                                                                      "offline": False}]}),
                  headers={"Content-Type": "application/json"})


def test_v2_order_money_is_four_decimal_strings_and_an_empty_list_is_204(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    c = client(sim)
    raw = c.get(f"/v2/orders/{order['id']}").json()
    assert raw["total_inc_tax"] == "77.3700" and raw["refunded_amount"] == "0.0000"
    assert raw["payment_status"] == "captured"
    assert c.get("/v2/orders", params={"min_date_modified": "2099-01-01T00:00:00Z"}).status_code == 204


def test_quote_then_refund_of_a_unit_and_the_shipping(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    c = client(sim)
    items = [product_item(order), {"item_type": "SHIPPING", "item_id": order["shipping_addresses"][0]["id"],
                                   "amount": 7.5}]
    answer = quote(c, order, items)
    assert answer.status_code == 201 and answer.json()["meta"] == {}
    data = jsonio.loads(answer.content)["data"]
    # a third of (59.97 - 6.00) and its tax, plus 7.50 shipping and its tax
    assert data["total_refund_amount"] == D("17.99") + D("1.48") + D("7.50") + D("0.62")
    assert [[o["provider_id"] for o in m] for m in data["refund_methods"]] == [["authorizenet"], ["storecredit"]]
    made = refund(c, order, items, "authorizenet", data["total_refund_amount"])
    assert made.status_code == 201
    body = jsonio.loads(made.content)["data"]
    assert body["total_amount"] == data["total_refund_amount"] and body["payments"][0]["is_declined"] is False
    assert c.get(f"/v2/orders/{order['id']}").json()["payment_status"] == "partially refunded"
    assert [r["id"] for r in c.get(f"/v3/orders/{order['id']}/payment_actions/refunds").json()["data"]] == [body["id"]]
    assert c.get(f"/v3/orders/payment_actions/refunds/{body['id']}").json()["data"]["order_id"] == order["id"]


def test_a_payment_amount_the_quote_did_not_offer_is_422(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    answer = refund(client(sim), order, [product_item(order)], "authorizenet", 5)
    assert answer.status_code == 422
    assert "does not match the amount" in answer.json()["title"] and answer.json()["type"].startswith("https://")


def test_more_than_remaining_is_refused_with_bigcommerces_words(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    c = client(sim)
    answer = quote(c, order, [{"item_type": "ORDER", "item_id": order["id"], "amount": "77.38"}])
    assert answer.status_code == 422 and "Refund amount is greater than remaining amount" in answer.json()["title"]
    assert quote(c, order, [product_item(order, 1, 2)]).status_code == 422   # only 1 unit on line 2


def test_store_credit_is_refused_for_a_guest(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"), guest=True)
    c = client(sim)
    total = jsonio.loads(quote(c, order, [product_item(order)]).content)["data"]["total_refund_amount"]
    answer = refund(c, order, [product_item(order)], "storecredit", total)
    assert answer.status_code == 422
    assert answer.json()["title"] == "Unable to provide store credit for a guest customer."


def test_a_refund_in_flight_on_the_order_refuses_the_next_until_it_finishes(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    c = client(sim)
    sim.hold_refund_in_flight(order["id"])
    assert quote(c, order, [product_item(order)]).status_code == 409
    sim.finish_refund_in_flight(order["id"])
    assert quote(c, order, [product_item(order)]).status_code == 201


def test_tax_service_down_is_a_503_failed_quote_error(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    sim.settings.tax_service_down = True
    answer = quote(client(sim), order, [product_item(order)])
    assert answer.status_code == 503
    assert answer.json() == {"data": [{"order_id": order["id"], "status": 503, "error": "Tax service gone away"}],
                             "meta": {}}


def test_every_response_has_all_four_rate_limit_headers_and_429_past_the_quota(sim):
    sim.settings.quota = 2
    c = client(sim)
    first = c.get("/v3/orders/payment_actions/refunds")
    names = ("X-Rate-Limit-Time-Window-Ms", "X-Rate-Limit-Time-Reset-Ms", "X-Rate-Limit-Requests-Quota",
             "X-Rate-Limit-Requests-Left")
    assert all(n in first.headers for n in names) and first.headers["X-Rate-Limit-Requests-Left"] == "1"
    assert c.get("/v2/orders/404").headers["X-Rate-Limit-Requests-Left"] == "0"   # errors count and carry them
    throttled = c.get("/v3/orders/payment_actions/refunds")
    assert throttled.status_code == 429 and all(n in throttled.headers for n in names)
    sim.clock.advance(timedelta(milliseconds=int(throttled.headers["X-Rate-Limit-Time-Reset-Ms"])))
    assert c.get("/v3/orders/payment_actions/refunds").status_code == 200


def test_stores_share_the_host_but_not_their_records(sim):
    other = sim.add_store("Other")
    order = sim.add_order(usd_order(gateway="authorizenet"), other)
    assert client(sim).get(f"/v2/orders/{order['id']}").status_code == 404
    assert client(sim, token=other.access_token).get(f"/v2/orders/{order['id']}").status_code == 401


def test_refund_webhook_is_light_and_signed_per_standard_webhooks(sim):
    received: list[httpx.Request] = []
    sim.webhook_client = httpx.Client(transport=httpx.MockTransport(
        lambda r: (received.append(r), httpx.Response(200))[1]))
    c = client(sim)
    c.post("/v3/hooks", json={"scope": REFUND_CREATED, "destination": "https://connector.test/webhooks/bigcommerce",
                              "is_active": True})
    order = sim.add_order(usd_order(gateway="authorizenet"))
    made = sim.refund_in_admin(order["id"], amount=D("5.00"))
    assert len(sim.deliver_webhooks()) == 1 and sim.deliver_webhooks() == []
    request = received[0]
    payload = jsonio.loads(request.content)
    assert payload["data"] == {"type": "order", "id": order["id"], "refund": {"refund_id": made["id"]}}
    assert payload["producer"] == f"stores/{sim.store.hash}"
    wid, ts = request.headers["webhook-id"], int(request.headers["webhook-timestamp"])
    assert request.headers["webhook-signature"] == sign(sim.store.client_secret, wid, ts, request.content)


def test_a_hook_created_without_is_active_is_inactive_and_delivers_nothing(sim):
    sim.webhook_client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    c = client(sim)
    made = c.post("/v3/hooks", json={"scope": REFUND_CREATED, "destination": "https://connector.test/webhooks/bigcommerce"})
    assert made.json()["data"]["is_active"] is False
    assert [hook["is_active"] for hook in c.get("/v3/hooks").json()["data"]] == [False]
    order = sim.add_order(usd_order(gateway="authorizenet"))
    sim.refund_in_admin(order["id"], amount=D("5.00"))
    assert sim.deliver_webhooks() == []


def test_signatures_verify_with_the_standard_webhooks_package(sim):
    standardwebhooks = pytest.importorskip("standardwebhooks")
    from datetime import datetime, timezone

    sim.clock.advance(datetime.now(timezone.utc) - sim.clock.now())   # the package checks against real time
    body = b'{"scope":"store/order/refund/created"}'
    ts = int(sim.clock.now().timestamp())
    secret = base64.b64encode(sim.store.client_secret.encode()).decode()
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
               "webhook-signature": sign(sim.store.client_secret, "msg_1", ts, body)}
    assert standardwebhooks.Webhook(secret).verify(body, headers) == {"scope": "store/order/refund/created"}


def test_a_v2_order_carries_the_whole_billing_address(sim):
    order = sim.add_order(usd_order(gateway="authorizenet"))
    billing = client(sim).get(f"/v2/orders/{order['id']}").json()["billing_address"]
    assert set(billing) == {"first_name", "last_name", "company", "street_1", "street_2", "city", "state", "zip",
                            "country", "country_iso2", "phone", "email", "form_fields"}
    assert (billing["first_name"], billing["zip"], billing["country_iso2"]) == ("Grace", "78701", "US")
    (shipping,) = client(sim).get(f"/v2/orders/{order['id']}/shipping_addresses").json()
    assert shipping["zip"] == "78701" and shipping["street_1"] == billing["street_1"]


def test_a_last_unit_worth_more_than_remains_is_quoted_for_what_remains_with_a_negative_adjustment(sim):
    # 33.33 x 3 at 7.25%: units are worth 35.75, 35.74, 35.75; after 35.75, 35.74 and a custom 0.01
    # (NetSuite's own split), 35.74 remains for a unit worth 35.75
    from simulators.core.orders import LineSpec
    order = sim.add_order(usd_order(gateway="authorizenet", shipping=D(0),
                                    lines=(LineSpec("SKU-1001", "Shirt", D("33.33"), 3, tax_rate=D("0.0725")),)))
    c = client(sim)
    for items, paid in (([product_item(order)], "35.75"),
                        ([product_item(order), {"item_type": "ORDER", "item_id": order["id"], "amount": "0.01"}], "35.75")):
        assert refund(c, order, items, "authorizenet", D(paid)).status_code == 201
    data = jsonio.loads(quote(c, order, [product_item(order)]).content)["data"]
    assert (data["total_refund_amount"], data["adjustment"]) == (D("35.75"), D("-0.01"))
    assert data["refund_methods"][0][0]["amount"] == D("35.74")
    made = refund(c, order, [product_item(order)], "authorizenet", D("35.74"))
    assert made.status_code == 201 and jsonio.loads(made.content)["data"]["total_amount"] == D("35.74")
    assert c.get(f"/v2/orders/{order['id']}").json()["payment_status"] == "refunded"
