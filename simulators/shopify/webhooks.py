"""Outbound webhooks: Shopify signs each delivery and sends it at least once.

Events are rendered when they happen (the payload is a snapshot, like Shopify's), queued per
subscription, and sent only when the control plane says so (``deliver_webhooks``), so tests decide
when the connector hears about a refund. A delivery keeps its webhook id and body across retries
and redeliveries; receivers are expected to de-duplicate on ``X-Shopify-Webhook-Id``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from common.clock import Clock, isoformat
from common.seeded import IdSource
from simulators.core.webhooks import Delivery, DeliveryAttempt, hmac_sha256_base64


def sign(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256 over the raw body, keyed by the client secret."""
    return hmac_sha256_base64(secret, body)


@dataclass
class WebhookDelivery(Delivery):
    webhook_id: str
    event_id: str
    subscription_id: int
    topic: str
    address: str
    api_version: str
    body: bytes
    triggered_at: datetime


class WebhookOutbox:
    """Queued and sent deliveries of one shop, in the order their events happened."""

    def __init__(self, clock: Clock, ids: IdSource) -> None:
        self.clock = clock
        self.ids = ids
        self.deliveries: dict[str, WebhookDelivery] = {}

    def enqueue(self, *, subscription_id: int, topic: str, address: str, api_version: str,
                body: bytes, event_id: str) -> WebhookDelivery:
        delivery = WebhookDelivery(_uuid(self.ids), event_id, subscription_id, topic, address, api_version,
                                   body, self.clock.now())
        self.deliveries[delivery.webhook_id] = delivery
        return delivery

    def new_event_id(self) -> str:
        return _uuid(self.ids)

    def due(self, max_attempts: int) -> list[WebhookDelivery]:
        """Deliveries not yet acknowledged with a 2xx that still have attempts left."""
        return [d for d in self.deliveries.values()
                if not d.delivered and not d.abandoned and len(d.attempts) < max_attempts]

    def get(self, webhook_id: str) -> WebhookDelivery:
        try:
            return self.deliveries[webhook_id]
        except KeyError:
            raise KeyError(f"no webhook delivery with id {webhook_id!r}") from None

    def send(self, delivery: WebhookDelivery, client: httpx.Client, *, shop_domain: str,
             secret: str) -> DeliveryAttempt:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Shop-Domain": shop_domain,
            "X-Shopify-API-Version": delivery.api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": isoformat(delivery.triggered_at),
            "X-Shopify-Hmac-Sha256": sign(secret, delivery.body),
        }
        try:
            response = client.post(delivery.address, content=delivery.body, headers=headers)
            attempt = DeliveryAttempt(self.clock.now(), response.status_code)
        except httpx.HTTPError as exc:
            attempt = DeliveryAttempt(self.clock.now(), None, f"{type(exc).__name__}: {exc}")
        delivery.attempts.append(attempt)
        return attempt


def _uuid(ids: IdSource) -> str:
    raw = ids.hex(32)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
