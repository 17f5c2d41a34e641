"""WooCommerce refund webhooks: verified, de-duplicated, and recorded for TO_NETSUITE accounts.

WooCommerce has no refund topic: the connector subscribes to ``action.woocommerce_order_refunded``,
whose payload is only the hook's first argument (the order id), and also understands
``order.updated`` (the order as the REST API shows it). Either way the order's refunds are read
back through the API and recorded; the ledger keeps a refund once however often it is heard of.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from common import jsonio
from connector.model import Account, Direction
from connector.storefronts.webhook_receiver import (MalformedDelivery, WebhookReceiverBase, base64_hmac_sha256,
                                                    json_answer as _answer, malformed_if_it_fails, same_signature)
from connector.storefronts.woocommerce import REFUND_TOPIC, WooCommerceAdapter

TOPICS = (REFUND_TOPIC, "order.updated")


def woocommerce_signature(secret: str, body: bytes) -> str:
    return base64_hmac_sha256(secret, body)


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    return same_signature(woocommerce_signature(secret, body), given)


class WooCommerceWebhooks(WebhookReceiverBase):
    platform = "woocommerce"

    def receive(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return _answer(405, error="webhooks are delivered with POST")
        body = request.read()
        try:
            host = (urlsplit(request.headers.get("X-WC-Webhook-Source", "").strip()).hostname or "").lower()
        except ValueError:   # not a URL (an unclosed IPv6 bracket): no store, so no account verifies it
            host = ""
        account = self._verified_account(host, body, request.headers.get("X-WC-Webhook-Signature", ""))
        if account is None:
            return _answer(401, error="the webhook signature does not verify for any account of this store")
        # delivery ids are per webhook, so the pair names one delivery
        delivery = request.headers.get("X-WC-Webhook-Delivery-ID", "")
        delivery = f"woocommerce:{request.headers.get('X-WC-Webhook-ID', '')}:{delivery}" if delivery else ""
        if delivery and self.ledger.seen_delivery(delivery):
            return _answer(200, status="duplicate delivery ignored", delivery_id=delivery)
        topic = request.headers.get("X-WC-Webhook-Topic", "")
        if topic not in TOPICS:
            return self.done(delivery, account, status=f"topic {topic or '(none)'} is not handled")
        if account.direction is not Direction.TO_NETSUITE:
            # Refunds flow from NetSuite (or not at all) for this account: recording them would echo them back.
            return self.done(delivery, account, status=f"ignored: refund sync to NetSuite is not on for '{account.name}'")
        with malformed_if_it_fails(topic):
            raw = jsonio.loads(body)
            order_id = raw.get("arg") if topic == REFUND_TOPIC else raw.get("id")
            if isinstance(order_id, bool) or not isinstance(order_id, (int, str)) or not str(order_id).isdigit():
                raise MalformedDelivery(f"malformed {topic} payload: expected an order id")
        adapter = self.adapter_for(account)
        assert isinstance(adapter, WooCommerceAdapter)
        # not remembered when it fails: a redelivery may succeed, and polling finds the refunds anyway
        refunds = self.read_store(f"the refunds of order {order_id}",
                                  lambda: adapter.list_refunds(adapter.get_order(str(order_id))))
        recorded = [row.id for row in (self.to_netsuite.record(account, refund) for refund in refunds) if row is not None]
        return self.done(delivery, account, status="recorded", refund_ids=recorded)

    def _verified_account(self, host: str, body: bytes, given: str) -> Account | None:
        if not given or not host:
            return None
        return self.account_for(lambda account: account.store.lower() == host,
                                lambda account: bool(secret := account.credentials.get("webhook_secret"))
                                and signature_matches(secret, body, given))
