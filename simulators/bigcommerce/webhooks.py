"""Outbound webhooks: BigCommerce sends a light payload (the refund id only), signed per Standard Webhooks.

A delivery keeps its ``webhook-id`` and body across retries and redeliveries (receivers de-duplicate
on it); each send is stamped with the clock's time and signed anew. Deliveries are queued when the
refund is made and sent only when the control plane says so, so tests decide when the connector
hears of a refund.
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx

from common.clock import Clock
from simulators.core.webhooks import Delivery, DeliveryAttempt, hmac_sha256_base64

REFUND_CREATED = "store/order/refund/created"


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``webhook-signature``: ``v1,`` and base64 of HMAC-SHA256 over ``id.timestamp.body``, keyed by the
    app's client secret (its UTF-8 bytes: the Standard Webhooks secret is base64 of the client secret)."""
    return "v1," + hmac_sha256_base64(secret, f"{webhook_id}.{timestamp}.".encode() + body)


@dataclass
class WebhookDelivery(Delivery):
    webhook_id: str
    hook_id: int
    store_hash: str
    scope: str
    destination: str
    headers: dict[str, str]     # the custom headers the hook was created with
    body: bytes


def send(delivery: WebhookDelivery, client: httpx.Client, clock: Clock, secret: str) -> DeliveryAttempt:
    timestamp = int(clock.now().timestamp())
    headers = {**delivery.headers, "Content-Type": "application/json", "webhook-id": delivery.webhook_id,
               "webhook-timestamp": str(timestamp),
               "webhook-signature": sign(secret, delivery.webhook_id, timestamp, delivery.body)}
    try:
        response = client.post(delivery.destination, content=delivery.body, headers=headers)
        attempt = DeliveryAttempt(clock.now(), response.status_code)
    except httpx.HTTPError as exc:
        attempt = DeliveryAttempt(clock.now(), None, f"{type(exc).__name__}: {exc}")
    delivery.attempts.append(attempt)
    return attempt
