"""Shopify refunds/create webhooks: verified, de-duplicated, and recorded for TO_NETSUITE accounts.

Delivery is at-least-once, so a re-delivery (same X-Shopify-Webhook-Id) is acknowledged and ignored;
and even a delivery that slips past that check finds the refund already in the ledger.
"""
from __future__ import annotations

import httpx

from common import jsonio
from connector.model import Account, Direction
from connector.storefronts.shopify import ShopifyAdapter
from connector.storefronts.webhook_receiver import (MalformedDelivery, WebhookReceiverBase, base64_hmac_sha256,
                                                    json_answer as _answer, malformed_if_it_fails, same_signature)

TOPIC = "refunds/create"


def shopify_signature(secret: str, body: bytes) -> str:
    return base64_hmac_sha256(secret, body)


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    return same_signature(shopify_signature(secret, body), given)


class ShopifyWebhooks(WebhookReceiverBase):
    platform = "shopify"

    def receive(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return _answer(405, error="webhooks are delivered with POST")
        body = request.read()
        domain = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
        given = request.headers.get("X-Shopify-Hmac-Sha256", "")
        account = self._verified_account(domain, body, given)
        if account is None:
            return _answer(401, error="the webhook signature does not verify for any account of this shop")
        delivery = request.headers.get("X-Shopify-Webhook-Id", "")
        if delivery and self.ledger.seen_delivery(delivery):
            return _answer(200, status="duplicate delivery ignored", webhook_id=delivery)
        topic = request.headers.get("X-Shopify-Topic", "")
        if topic != TOPIC:
            return self.done(delivery, account, status=f"topic {topic or '(none)'} is not handled")
        if account.direction is not Direction.TO_NETSUITE:
            # Refunds flow from NetSuite (or not at all) for this account: recording this one would echo it back.
            return self.done(delivery, account, status=f"ignored: refund sync to NetSuite is not on for '{account.name}'")
        adapter = self.adapter_for(account)
        assert isinstance(adapter, ShopifyAdapter)
        with malformed_if_it_fails(TOPIC):   # the payload is the refund itself; nothing is read from the shop
            raw = jsonio.loads(body)
            if not isinstance(raw, dict) or "id" not in raw or "order_id" not in raw:
                raise MalformedDelivery(f"malformed {TOPIC} payload: expected a refund object with id and order_id")
            link = self.ledger.order_link(account.id, str(raw["order_id"]))
            refund = adapter.parse_refund(raw, link.currency if link else None)
        row = self.to_netsuite.record(account, refund)
        if row is None:
            return self.done(delivery, account, status="ignored: this refund was pushed by the connector itself")
        return self.done(delivery, account, status="recorded", refund_id=row.id)

    def _verified_account(self, domain: str, body: bytes, given: str) -> Account | None:
        if not given:
            return None
        return self.account_for(lambda account: f"{account.store}.myshopify.com".lower() == domain,
                                lambda account: bool(secret := account.credentials.get("client_secret"))
                                and signature_matches(secret, body, given))
