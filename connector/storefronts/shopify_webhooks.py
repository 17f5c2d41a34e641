"""Shopify refunds/create webhooks: verified, de-duplicated, and recorded for TO_NETSUITE accounts.

Delivery is at-least-once, so a re-delivery (same X-Shopify-Webhook-Id) is acknowledged and ignored;
and even a delivery that slips past that check finds the refund already in the ledger.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Callable

import httpx

from common import jsonio
from common.money import MoneyError
from connector.accounts import Account
from connector.errors import ConnectorError
from connector.ledger import Ledger
from connector.model import Direction
from connector.storefronts.shopify import ShopifyAdapter
from connector.to_netsuite import ToNetSuite

TOPIC = "refunds/create"


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(shopify_signature(secret, body).encode(), given.strip().encode())


def _answer(http_status: int, /, **body: Any) -> httpx.Response:
    return httpx.Response(http_status, content=jsonio.dumps(body).encode(), headers={"Content-Type": "application/json"})


class ShopifyWebhooks:
    def __init__(self, ledger: Ledger, to_netsuite: ToNetSuite, adapter_for: Callable[[Account], Any]) -> None:
        self.ledger = ledger
        self.to_netsuite = to_netsuite
        self.adapter_for = adapter_for

    def handle(self, request: httpx.Request) -> httpx.Response:
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
            return self._done(delivery, account, status=f"topic {topic or '(none)'} is not handled")
        if account.direction is not Direction.TO_NETSUITE:
            # Refunds flow from NetSuite (or not at all) for this account: recording this one would echo it back.
            return self._done(delivery, account, status=f"ignored: refund sync to NetSuite is not on for '{account.name}'")
        try:
            raw = jsonio.loads(body)
            if not isinstance(raw, dict) or "id" not in raw or "order_id" not in raw:
                raise ValueError("expected a refund object with id and order_id")
            adapter = self.adapter_for(account)
            assert isinstance(adapter, ShopifyAdapter)
            link = self.ledger.order_link(account.id, str(raw["order_id"]))
            refund = adapter.parse_refund(raw, link.currency if link else None)
        except (ValueError, KeyError, TypeError, MoneyError, ConnectorError) as exc:
            return _answer(400, error=f"malformed refunds/create payload: {exc}")
        row = self.to_netsuite.record(account, refund)
        if row is None:
            return self._done(delivery, account, status="ignored: this refund was pushed by the connector itself")
        return self._done(delivery, account, status="recorded", refund_id=row.id)

    def _verified_account(self, domain: str, body: bytes, given: str) -> Account | None:
        """The account a delivery belongs to. One shop may have several accounts signing with the same
        app secret (one per direction): the delivery is the refund-to-NetSuite account's, whichever
        was added first, so its refund is recorded now rather than at the next scheduled run."""
        if not given:
            return None
        verified = []
        for account in self.ledger.accounts():
            if account.platform != "shopify" or f"{account.store}.myshopify.com".lower() != domain:
                continue
            secret = account.credentials.get("client_secret") or ""
            if secret and signature_matches(secret, body, given):
                verified.append(account)
        return next((a for a in verified if a.direction is Direction.TO_NETSUITE), verified[0] if verified else None)

    def _done(self, delivery: str, account: Account, **body: Any) -> httpx.Response:
        if delivery:
            self.ledger.remember_delivery(delivery, account.id)
        return _answer(200, **body)
