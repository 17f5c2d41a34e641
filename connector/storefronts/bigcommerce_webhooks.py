"""BigCommerce ``store/order/refund/created`` webhooks: verified, de-duplicated, and recorded for
TO_NETSUITE accounts.

Deliveries are signed per Standard Webhooks: ``webhook-signature`` holds ``v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">`` keyed by the app's client secret. The check is written
here with ``hmac.compare_digest`` rather than with the ``standardwebhooks`` package because that
package judges a timestamp's age by the machine's clock; the connector's clock is its own (and the
harness's is injectable). A delivery is refused when the signature does not verify, when its
timestamp is more than ``TOLERANCE`` away from now (a replay of an old capture), or when its id was
seen before (acknowledged, ignored). The payload is light (the refund id); the refund itself is read
back through the API, so nothing in the body is trusted beyond naming which refund to read.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import httpx

from connector.model import StorefrontRefund
from connector.storefronts.bigcommerce import REFUND_CREATED
from connector.storefronts.webhook_receiver import (Delivery, MalformedDelivery, PayloadReader, StoreAccess,
                                                    base64_hmac_sha256, same_signature)

TOLERANCE = timedelta(minutes=5)   # Standard Webhooks' recommended replay window
STORES_PREFIX = "stores/"
LATEST_TIMESTAMP = int(datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp())   # datetime's last year


def expected_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    return base64_hmac_sha256(secret, f"{webhook_id}.{timestamp}.".encode() + body).encode()


def signature_matches(secret: str, webhook_id: str, timestamp: str, body: bytes, header: str) -> bool:
    """Any ``v1,<sig>`` of the space-separated list matches (senders list several while rotating keys)."""
    expected = expected_signature(secret, webhook_id, timestamp, body)
    found = False
    for part in header.split():
        version, _, given = part.partition(",")
        if version == "v1" and same_signature(expected, given):
            found = True   # no early exit: the time taken does not depend on which entry matched
    return found


class BigCommerceWebhooks:
    platform = "bigcommerce"
    secret_credential = "client_secret"
    topics = frozenset({REFUND_CREATED})
    replay_window: timedelta | None = TOLERANCE

    def parse(self, request: httpx.Request, body: bytes, payload: Any) -> Delivery:
        webhook_id = request.headers.get("webhook-id", "")
        timestamp = request.headers.get("webhook-timestamp", "")
        if not webhook_id or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12 \
                or not request.headers.get("webhook-signature", ""):
            raise MalformedDelivery("a Standard Webhooks delivery needs webhook-id, webhook-timestamp and "
                                    "webhook-signature headers")
        fields = payload if isinstance(payload, dict) else {}
        producer, scope = fields.get("producer"), fields.get("scope")
        # an unreadable body names no store, so no account verifies it
        store = producer.removeprefix(STORES_PREFIX).lower() if isinstance(producer, str) else ""
        return Delivery(store=store, delivery_id=webhook_id, topic=scope if isinstance(scope, str) else "",
                        body=body, payload=payload, headers=request.headers,
                        sent_at=datetime.fromtimestamp(min(int(timestamp), LATEST_TIMESTAMP), timezone.utc))

    def verify(self, delivery: Delivery, secret: str) -> bool:
        return signature_matches(secret, delivery.delivery_id, delivery.headers["webhook-timestamp"], delivery.body,
                                 delivery.headers["webhook-signature"])

    def refunds(self, delivery: Delivery, store: StoreAccess) -> Sequence[StorefrontRefund]:
        read = PayloadReader(REFUND_CREATED)
        data = read.object(read.object(delivery.payload, "the payload").get("data"), "data")
        order_id = read.identifier(data.get("id"), "data.id")
        refund_id = read.identifier(read.object(data.get("refund"), "data.refund").get("refund_id"),
                                    "data.refund.refund_id")
        # the refund itself is read back through the API: the body only names it
        return [store.read(f"refund {refund_id} of order {order_id}", lambda: store.adapter.refund(order_id, refund_id))]


WEBHOOKS = BigCommerceWebhooks()
