"""One rule for what the connector answers a validly signed webhook delivery it cannot act on, the same
for every platform that sends refund webhooks (connector/storefronts/webhook_receiver.py):

- a payload that is not what its topic promises: 400, naming the problem;
- a delivery naming a refund or order the store says does not exist: 422, naming it;
- a temporary failure reading the store (5xx, 429, no answer): 503, so the sender delivers it again;
- a bug in the connector: 500, never passed off as the sender's malformed delivery.
Only the 503 invites a redelivery that can succeed; none of these is remembered as handled.

Deliveries are signed the way each platform signs them (with the account's own secret) and sent through
the World's HTTP to the connector under test, against the platform's simulator.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import httpx
import pytest

from common import jsonio
from connector.engine import shipped_adapter
from connector.storefronts.bigcommerce import REFUND_CREATED
from connector.storefronts.shopify_webhooks import shopify_signature
from connector.storefronts.woocommerce import REFUND_TOPIC
from connector.storefronts.woocommerce_webhooks import woocommerce_signature
from harness.scenario import AccountUnderTest, ScenarioWorld
from harness.world import WEBHOOK_HOST
from simulators.bigcommerce.webhooks import sign as bigcommerce_signature
from tests.unit.connector_helpers import shopify_refund
from tests.unit.world_helpers import refunded_with_webhooks_registered

MISSING_ORDER, MISSING_REFUND = "987654321", "876543"


def _post(world: ScenarioWorld, platform: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return world.http.post(f"https://{WEBHOOK_HOST}/webhooks/{platform}", content=body, headers=headers)


def _woocommerce(world: ScenarioWorld, account: AccountUnderTest, payload: dict, delivery: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    secret = account.driver.account_credentials()["webhook_secret"]
    return _post(world, "woocommerce", body, {
        "X-WC-Webhook-Source": f"https://{account.driver.account_store()}/", "X-WC-Webhook-Topic": REFUND_TOPIC,
        "X-WC-Webhook-ID": "1", "X-WC-Webhook-Delivery-ID": delivery,
        "X-WC-Webhook-Signature": woocommerce_signature(secret, body)})


def _bigcommerce(world: ScenarioWorld, account: AccountUnderTest, payload: dict, delivery: str) -> httpx.Response:
    timestamp = int(world.clock.now().timestamp())
    body = jsonio.dumps({"scope": REFUND_CREATED, "store_id": "1", "created_at": timestamp, "hash": "x",
                         "producer": f"stores/{account.driver.account_store()}", **payload}).encode()
    secret = account.driver.account_credentials()["client_secret"]
    return _post(world, "bigcommerce", body, {
        "webhook-id": delivery, "webhook-timestamp": str(timestamp),
        "webhook-signature": bigcommerce_signature(secret, delivery, timestamp, body)})


def _shopify(world: ScenarioWorld, account: AccountUnderTest, payload: dict, delivery: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    secret = account.driver.account_credentials()["client_secret"]
    return _post(world, "shopify", body, {
        "X-Shopify-Topic": "refunds/create", "X-Shopify-Shop-Domain": f"{account.driver.account_store()}.myshopify.com",
        "X-Shopify-Webhook-Id": delivery, "X-Shopify-Hmac-Sha256": shopify_signature(secret, body)})


Send = Callable[[ScenarioWorld, AccountUnderTest, dict, str], httpx.Response]
# platform -> (how it signs and sends, the payload naming an order and a refund, a malformed payload)
PLATFORMS: dict[str, tuple[Send, Callable[[str, str], dict], dict]] = {
    "woocommerce": (_woocommerce, lambda order, refund: {"action": "woocommerce_order_refunded", "arg": int(order)},
                    {"action": "woocommerce_order_refunded", "arg": {"id": 1}}),
    "bigcommerce": (_bigcommerce,
                    lambda order, refund: {"data": {"type": "order", "id": int(order),
                                                    "refund": {"refund_id": int(refund)}}},
                    {"data": {"type": "order", "id": ["not", "an", "id"], "refund": {"refund_id": 1}}}),
    "shopify": (_shopify, lambda order, refund: shopify_refund(int(refund), int(order)),
                {**shopify_refund(), "transactions": {"amount": "1e30"}}),   # an object where a list belongs
}
# the receivers that read what a delivery names back from the store (Shopify's payload is the refund itself)
READ_BACK = ["woocommerce", "bigcommerce"]


@pytest.fixture
def world(tmp_path: Path):
    world = ScenarioWorld(seed=5, workdir=tmp_path)
    yield world
    world.close()


def _ready(world: ScenarioWorld, platform: str) -> tuple[AccountUnderTest, str, str]:
    """A to-NetSuite account with its webhook registered, and an order refunded in the store: (account,
    order id, refund id)."""
    account, order, refund = refunded_with_webhooks_registered(world, platform)
    return account, order.placed.order_id, refund


def _error(response: httpx.Response) -> str:
    return response.json()["error"]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_malformed_payload_is_400_naming_it(world, platform) -> None:
    send, _, malformed = PLATFORMS[platform]
    account, _, _ = _ready(world, platform)
    response = send(world, account, malformed, "d-malformed")
    assert response.status_code == 400 and "malformed" in _error(response), response.text
    assert world.connector.refunds(account.id) == []


@pytest.mark.parametrize("missing", ["order", "refund"])
@pytest.mark.parametrize("platform", READ_BACK)
def test_a_delivery_naming_what_the_store_does_not_have_is_422_naming_it(world, platform, missing) -> None:
    send, names, _ = PLATFORMS[platform]
    account, order, refund = _ready(world, platform)
    payload = names(MISSING_ORDER, refund) if missing == "order" else names(order, MISSING_REFUND)
    response = send(world, account, payload, f"d-missing-{missing}")
    if platform == "woocommerce" and missing == "refund":   # its delivery names only the order
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.text
    assert (MISSING_ORDER if missing == "order" else MISSING_REFUND) in _error(response)   # named
    assert world.connector.refunds(account.id) == []


@pytest.mark.parametrize("fault", [{"action": "status", "status": 503}, {"action": "status", "status": 500},
                                   {"action": "status", "status": 429}, {"action": "timeout", "seconds": 0}],
                         ids=["503", "500", "429", "timeout"])
@pytest.mark.parametrize("platform", READ_BACK)
def test_a_temporary_failure_reading_the_store_is_503_and_the_redelivery_records_it(world, platform, fault) -> None:
    send, names, _ = PLATFORMS[platform]
    account, order, refund = _ready(world, platform)
    rule = world.faults.add(simulator=platform, **fault)
    try:
        response = send(world, account, names(order, refund), "d-temporary")
    finally:
        world.faults.remove(rule.id)
    assert rule.fired and response.status_code == 503, response.text
    assert "deliver it again later" in _error(response)
    again = send(world, account, names(order, refund), "d-temporary")   # the same delivery, sent again
    assert again.status_code == 200 and again.json()["status"] == "recorded", again.text
    assert [row.source_id for row in world.connector.refunds(account.id)] == [refund]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_bug_in_the_receiver_is_a_500_not_the_senders_malformed_delivery(world, platform, monkeypatch) -> None:
    send, names, _ = PLATFORMS[platform]
    account, order, refund = _ready(world, platform)

    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'id'")

    monkeypatch.setattr(world.connector.engine.to_netsuite, "record", broken)   # a bug after the delivery is read
    response = send(world, account, names(order, refund), "d-bug")
    assert response.status_code == 500, response.text
    assert "AttributeError" in _error(response) and "malformed" not in _error(response)


# where each receiver hands the delivery to the adapter: reading the payload's refund, or reading it back
ADAPTER_READ = {"shopify": "parse_refund", "bigcommerce": "refund", "woocommerce": "list_refunds"}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_bug_while_reading_the_delivery_is_a_500_not_a_malformed_delivery(world, platform, monkeypatch) -> None:
    """An exception the adapter raises by mistake while a valid delivery is read (an AttributeError, an
    IndexError) is the connector's failure: it is not dressed up as the sender's 400."""
    send, names, _ = PLATFORMS[platform]
    account, order, refund = _ready(world, platform)
    engine = world.connector.engine
    adapter_class = type(shipped_adapter(engine.http, engine.account(account.id)))   # the class the receiver reads with

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(adapter_class, ADAPTER_READ[platform], broken)
    response = send(world, account, names(order, refund), "d-adapter-bug")
    assert response.status_code == 500, response.text
    assert "IndexError" in _error(response) and "malformed" not in _error(response)
    assert world.connector.refunds(account.id) == []
