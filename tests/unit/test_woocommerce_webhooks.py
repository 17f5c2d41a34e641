"""WooCommerce's outbound webhooks: an action topic sends the hook's first argument, signed with the
webhook's secret; five failed deliveries in a row disable the webhook."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import httpx

from simulators.woocommerce import WooCommerceSimulator
from tests.unit.storefront_helpers import usd_order


def store_with_hook(answer: int, topic: str = "action.woocommerce_order_refunded"):
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        request.read()
        received.append(request)
        return httpx.Response(answer)

    sim = WooCommerceSimulator(webhook_client=httpx.Client(transport=httpx.MockTransport(receiver)))
    basic = base64.b64encode(f"{sim.consumer_key}:{sim.consumer_secret}".encode()).decode()
    created = sim.handle(httpx.Request("POST", f"https://{sim.host}/wp-json/wc/v3/webhooks", headers={
        "Authorization": f"Basic {basic}"}, json={"topic": topic, "delivery_url": "https://hooks.example/wc",
                                                  "secret": "s3cret"}))
    assert created.status_code == 201, created.text
    return sim, received, created.json()


def test_a_refund_delivers_the_order_id_signed_with_the_secret():
    sim, received, hook = store_with_hook(200)
    order = sim.add_order(usd_order(gateway="stripe"))
    sim.refund_in_admin(order["id"], amount=Decimal("3.00"))
    assert len(sim.deliver_webhooks()) == 1
    [request] = received
    assert json.loads(request.content) == {"action": "woocommerce_order_refunded", "arg": order["id"]}
    expected = base64.b64encode(hmac.new(b"s3cret", request.content, hashlib.sha256).digest()).decode()
    assert request.headers["X-WC-Webhook-Signature"] == expected
    assert (request.headers["X-WC-Webhook-Topic"], request.headers["X-WC-Webhook-Resource"],
            request.headers["X-WC-Webhook-Event"]) == ("action.woocommerce_order_refunded", "action",
                                                       "woocommerce_order_refunded")
    assert request.headers["X-WC-Webhook-ID"] == str(hook["id"]) and request.headers["X-WC-Webhook-Delivery-ID"]
    assert request.headers["X-WC-Webhook-Source"] == f"https://{sim.host}/"
    assert sim.deliver_webhooks() == []   # acknowledged: not sent again


def test_order_updated_sends_the_order():
    sim, received, _ = store_with_hook(200, topic="order.updated")
    order = sim.add_order(usd_order(gateway="stripe"))
    sim.refund_in_admin(order["id"], amount=Decimal("3.00"))
    sim.deliver_webhooks()
    assert json.loads(received[0].content)["refunds"][0]["total"] == "-3.00"


def test_five_failures_in_a_row_disable_the_webhook():
    sim, received, hook = store_with_hook(500)
    order = sim.add_order(usd_order(gateway="stripe"))
    sim.refund_in_admin(order["id"], amount=Decimal("1.00"))
    for _ in range(6):
        sim.deliver_webhooks()
    assert len(received) == 5 and sim.backend.webhooks[hook["id"]].status == "disabled"


def test_an_invalid_topic_is_refused():
    sim, _, _ = store_with_hook(200)
    basic = base64.b64encode(f"{sim.consumer_key}:{sim.consumer_secret}".encode()).decode()
    response = sim.handle(httpx.Request("POST", f"https://{sim.host}/wp-json/wc/v3/webhooks", headers={
        "Authorization": f"Basic {basic}"}, json={"topic": "refund.created", "delivery_url": "https://hooks.example/"}))
    assert response.status_code == 400 and response.json()["code"] == "woocommerce_rest_webhook_invalid_topic"
