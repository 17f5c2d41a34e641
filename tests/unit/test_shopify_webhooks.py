"""Shopify simulator: webhook subscriptions and signed, at-least-once refunds/create deliveries."""
from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal

import httpx
import pytest

from common.clock import ManualClock
from simulators.shopify import ShopifySimulator
from tests.unit.storefront_helpers import Receiver, shopify_client, usd_order

ADDRESS = "https://hooks.refund-connector.test/shopify/refunds"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sim(receiver: Receiver) -> ShopifySimulator:
    return ShopifySimulator(clock=ManualClock(), seed=5, webhook_client=receiver.client())


@pytest.fixture
def client(sim: ShopifySimulator):
    with shopify_client(sim) as c:
        yield c


def subscribe(client: httpx.Client, topic: str = "refunds/create", address: str = ADDRESS) -> httpx.Response:
    return client.post("/webhooks.json", json={"webhook": {"topic": topic, "address": address, "format": "json"}})


def verify(secret: str, request: httpx.Request) -> bool:
    """What a receiver does: HMAC the raw body with the client secret, compare in constant time."""
    expected = base64.b64encode(hmac.new(secret.encode(), request.content, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, request.headers["X-Shopify-Hmac-Sha256"])


def test_subscriptions_are_created_listed_read_and_deleted(client):
    created = subscribe(client)
    assert created.status_code == 201
    webhook = created.json()["webhook"]
    assert (webhook["topic"], webhook["address"], webhook["format"], webhook["api_version"]) == \
        ("refunds/create", ADDRESS, "json", "2024-10")
    assert client.get("/webhooks.json").json() == {"webhooks": [webhook]}
    assert client.get("/webhooks.json", params={"topic": "orders/create"}).json() == {"webhooks": []}
    assert client.get(f"/webhooks/{webhook['id']}.json").json() == {"webhook": webhook}
    assert client.delete(f"/webhooks/{webhook['id']}.json").status_code == 200
    assert client.get(f"/webhooks/{webhook['id']}.json").status_code == 404


@pytest.mark.parametrize("webhook,field", [
    ({"topic": "refunds/explode", "address": ADDRESS}, "topic"),
    ({"topic": "refunds/create", "address": "ftp://x"}, "address"),
    ({"topic": "refunds/create"}, "address"),
    ({"topic": "refunds/create", "address": ADDRESS, "format": "xml"}, "format"),
])
def test_bad_subscriptions_are_422(client, webhook, field):
    response = client.post("/webhooks.json", json={"webhook": webhook})
    assert response.status_code == 422 and field in response.json()["errors"]


def test_plain_http_address_is_refused_as_shopify_does(client):
    response = subscribe(client, address="http://hooks.refund-connector.test/shopify/refunds")
    assert response.status_code == 422
    assert response.json() == {"errors": {"address": ["protocol http:// is not supported"]}}
    assert client.get("/webhooks.json").json() == {"webhooks": []}


def test_serve_mode_may_allow_a_plain_http_loopback_receiver(sim, client):
    sim.settings.allow_http_webhooks = True
    created = subscribe(client, address="http://127.0.0.1:9/shopify/refunds")
    assert created.status_code == 201
    sim.reset()
    assert sim.settings.allow_http_webhooks   # a setting of the shop, not state


def test_a_webhook_made_through_a_fallen_forward_version_is_in_the_served_version(sim):
    with shopify_client(sim, version="2023-10") as old:
        webhook = subscribe(old).json()["webhook"]
    assert webhook["api_version"] == "2024-07"


def test_duplicate_subscription_is_422(client):
    assert subscribe(client).status_code == 201
    response = subscribe(client)
    assert response.json() == {"errors": {"address": ["for this topic has already been taken"]}}


def test_subscription_body_needs_the_webhook_root(client):
    response = client.post("/webhooks.json", json={"topic": "refunds/create", "address": ADDRESS})
    assert response.status_code == 400
    assert response.json() == {"errors": {"webhook": "Required parameter missing or invalid"}}


def test_refund_is_delivered_signed_with_the_client_secret(sim, client, receiver):
    subscribe(client)
    order = sim.add_order(usd_order())
    refund = client.post(f"/orders/{order['id']}/refunds.json", json={"refund": {
        "refund_line_items": [{"line_item_id": order["line_items"][1]["id"], "quantity": 1}]}}).json()["refund"]
    assert receiver.requests == []  # queued, not sent until the control plane says so
    (delivery,) = sim.deliver_webhooks()
    (sent,) = receiver.requests
    assert str(sent.url) == ADDRESS and sent.method == "POST"
    assert sent.headers["X-Shopify-Topic"] == "refunds/create"
    assert sent.headers["X-Shopify-Shop-Domain"] == "acme-outfitters.myshopify.com"
    assert sent.headers["X-Shopify-API-Version"] == "2024-10"
    assert sent.headers["X-Shopify-Webhook-Id"] == delivery.webhook_id
    assert verify(sim.client_secret, sent)
    assert not verify("shpss_someone_else", sent)
    assert httpx.Response(200, content=sent.content).json() == refund  # the unwrapped refund
    assert delivery.status_code == 200 and delivery.delivered
    assert sim.deliver_webhooks() == []  # acknowledged deliveries are not sent again


def test_redelivery_keeps_the_webhook_id_and_body(sim, client, receiver):
    subscribe(client)
    order = sim.add_order(usd_order())
    sim.refund_in_admin(order["id"], shipping=True)  # admin refunds notify too
    (delivery,) = sim.deliver_webhooks()
    again = sim.redeliver(delivery.webhook_id)
    first, second = receiver.requests
    assert again is delivery and len(delivery.attempts) == 2
    assert first.headers["X-Shopify-Webhook-Id"] == second.headers["X-Shopify-Webhook-Id"]
    assert first.content == second.content
    assert first.headers["X-Shopify-Hmac-Sha256"] == second.headers["X-Shopify-Hmac-Sha256"]
    with pytest.raises(KeyError):
        sim.redeliver("no-such-id")


def test_failed_deliveries_are_retried_until_acknowledged(sim, client, receiver):
    subscribe(client)
    order = sim.add_order(usd_order())
    sim.refund_in_admin(order["id"], amount=Decimal("1.00"))
    receiver.status = 500
    (delivery,) = sim.deliver_webhooks()
    assert delivery.status_code == 500 and not delivery.delivered
    receiver.status = 200
    assert sim.deliver_webhooks() == [delivery]
    assert [a.status_code for a in delivery.attempts] == [500, 200]
    assert sim.deliver_webhooks() == []


def test_unreachable_receiver_is_recorded_and_given_up_after_the_limit(sim, client):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sim.webhook_client = httpx.Client(transport=httpx.MockTransport(refuse))
    sim.settings.webhook_max_attempts = 2
    subscribe(client)
    sim.refund_in_admin(sim.add_order(usd_order())["id"], amount=Decimal("1.00"))
    (delivery,) = sim.deliver_webhooks()
    assert delivery.status_code is None and "ConnectError" in delivery.attempts[0].error
    assert sim.deliver_webhooks() == [delivery]
    assert sim.deliver_webhooks() == []  # gave up after two attempts


def test_each_subscription_gets_its_own_delivery_in_its_api_version(sim, client, receiver):
    subscribe(client)
    with shopify_client(sim, version="2024-07") as old:
        subscribe(old, address="https://hooks.refund-connector.test/old")
    subscribe(client, topic="orders/updated")
    order = sim.add_order(usd_order())
    sim.refund_in_admin(order["id"], shipping=True)
    deliveries = sim.deliver_webhooks()
    assert sorted((d.topic, d.api_version) for d in deliveries) == [
        ("orders/updated", "2024-10"), ("refunds/create", "2024-07"), ("refunds/create", "2024-10")]
    by_version = {d.api_version: d for d in deliveries if d.topic == "refunds/create"}
    assert by_version["2024-07"].event_id == by_version["2024-10"].event_id
    assert b"refund_shipping_lines" in by_version["2024-10"].body
    assert b"refund_shipping_lines" not in by_version["2024-07"].body


def test_no_subscription_no_delivery_and_no_client_is_a_clear_error(sim):
    order = sim.add_order(usd_order())
    sim.refund_in_admin(order["id"], shipping=True)
    assert sim.deliveries == []
    sim.webhook_client = None
    with pytest.raises(RuntimeError, match="webhook_client"):
        sim.deliver_webhooks()


def test_reset_forgets_subscriptions_and_deliveries(sim, client):
    subscribe(client)
    sim.refund_in_admin(sim.add_order(usd_order())["id"], shipping=True)
    sim.reset()
    assert sim.deliveries == [] and client.get("/webhooks.json").json() == {"webhooks": []}


def test_receiver_may_read_the_shop_back_while_a_delivery_is_sent(sim, client):
    """A connector verifies the webhook then fetches the order; the simulator must not deadlock."""
    seen = []

    def read_back(request: httpx.Request) -> httpx.Response:
        refund = httpx.Response(200, content=request.read()).json()
        seen.append(client.get(f"/orders/{refund['order_id']}.json").json()["order"]["financial_status"])
        return httpx.Response(200)

    sim.webhook_client = httpx.Client(transport=httpx.MockTransport(read_back))
    subscribe(client)
    sim.refund_in_admin(sim.add_order(usd_order())["id"], amount=Decimal("1.00"))
    assert [d.status_code for d in sim.deliver_webhooks()] == [200]
    assert seen == ["partially_refunded"]
