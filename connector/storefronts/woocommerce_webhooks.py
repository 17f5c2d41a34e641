"""WooCommerce refund webhooks: verified, de-duplicated, and recorded for TO_NETSUITE accounts.

WooCommerce has no refund topic: the connector subscribes to ``action.woocommerce_order_refunded``,
whose payload is only the hook's first argument (the order id), and also understands
``order.updated`` (the order as the REST API shows it). Either way the order's refunds are read
back through the API and recorded; the ledger keeps a refund once however often it is heard of.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Sequence
from urllib.parse import urlsplit

import httpx

from connector.model import StorefrontRefund
from connector.storefronts.webhook_receiver import (Delivery, PayloadReader, StoreAccess, base64_hmac_sha256,
                                                    same_signature)
from connector.storefronts.woocommerce import REFUND_TOPIC

ORDER_UPDATED = "order.updated"
# where each topic's payload names the order: the action's first argument, or the order itself
ORDER_ID_FIELD = {REFUND_TOPIC: "arg", ORDER_UPDATED: "id"}


def woocommerce_signature(secret: str, body: bytes) -> str:
    return base64_hmac_sha256(secret, body)


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    return same_signature(woocommerce_signature(secret, body), given)


class WooCommerceWebhooks:
    platform = "woocommerce"
    secret_credential = "webhook_secret"
    topics = frozenset(ORDER_ID_FIELD)
    replay_window: timedelta | None = None   # deliveries are not dated

    def parse(self, request: httpx.Request, body: bytes, payload: Any) -> Delivery:
        try:
            host = (urlsplit(request.headers.get("X-WC-Webhook-Source", "").strip()).hostname or "").lower()
        except ValueError:   # not a URL (an unclosed IPv6 bracket): no store, so no account verifies it
            host = ""
        # delivery ids are per webhook, so the pair names one delivery
        delivery = request.headers.get("X-WC-Webhook-Delivery-ID", "")
        return Delivery(store=host, delivery_id=f"woocommerce:{request.headers.get('X-WC-Webhook-ID', '')}:{delivery}"
                        if delivery else "", topic=request.headers.get("X-WC-Webhook-Topic", ""), body=body,
                        payload=payload, headers=request.headers)

    def verify(self, delivery: Delivery, secret: str) -> bool:
        given = delivery.headers.get("X-WC-Webhook-Signature", "")
        return bool(given) and signature_matches(secret, delivery.body, given)

    def refunds(self, delivery: Delivery, store: StoreAccess) -> Sequence[StorefrontRefund]:
        read = PayloadReader(delivery.topic)
        field = ORDER_ID_FIELD[delivery.topic]
        order_id = read.identifier(read.object(delivery.payload, "the payload").get(field), field)
        # the payload names only the order: its refunds are read back through the API
        return store.read(f"the refunds of order {order_id}",
                          lambda: store.adapter.list_refunds(store.adapter.get_order(order_id)))


WEBHOOKS = WooCommerceWebhooks()
