"""Outbound webhooks: BigCommerce sends a light payload (the refund id only), signed per Standard Webhooks.

A delivery keeps its ``webhook-id`` and body across retries and redeliveries (receivers de-duplicate
on it); each send is stamped with the clock's time and signed anew. Deliveries are queued when the
refund is made and sent only when the control plane says so, so tests decide when the connector
hears of a refund.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from common.clock import Clock

REFUND_CREATED = "store/order/refund/created"


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``webhook-signature``: ``v1,`` and base64 of HMAC-SHA256 over ``id.timestamp.body``, keyed by the
    app's client secret (its UTF-8 bytes: the Standard Webhooks secret is base64 of the client secret)."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class DeliveryAttempt:
    at: datetime
    status_code: int | None     # None when the request never got an answer
    error: str | None = None


@dataclass
class WebhookDelivery:
    webhook_id: str
    hook_id: int
    store_hash: str
    scope: str
    destination: str
    headers: dict[str, str]     # the custom headers the hook was created with
    body: bytes
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    abandoned: bool = False     # a webhook_never fault lost it: never sent, never due again

    @property
    def delivered(self) -> bool:
        return any(a.status_code is not None and 200 <= a.status_code < 300 for a in self.attempts)


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
