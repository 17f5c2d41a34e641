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

from datetime import timedelta

import httpx

from common import jsonio
from connector.identifiers import checked_id
from connector.model import Account, Direction
from connector.storefronts.bigcommerce import REFUND_CREATED
from connector.storefronts.webhook_receiver import (MalformedDelivery, WebhookReceiverBase, base64_hmac_sha256,
                                                    json_answer as _answer, malformed_if_it_fails, same_signature)

TOLERANCE = timedelta(minutes=5)   # Standard Webhooks' recommended replay window


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


class BigCommerceWebhooks(WebhookReceiverBase):
    platform = "bigcommerce"

    def receive(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return _answer(405, error="webhooks are delivered with POST")
        body = request.read()
        webhook_id = request.headers.get("webhook-id", "")
        timestamp = request.headers.get("webhook-timestamp", "")
        signature = request.headers.get("webhook-signature", "")
        if not webhook_id or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12 or not signature:
            return _answer(400, error="a Standard Webhooks delivery needs webhook-id, webhook-timestamp and "
                                      "webhook-signature headers")
        try:
            payload = jsonio.loads(body)
            producer = payload.get("producer") if isinstance(payload, dict) else None
        except (ValueError, RecursionError):   # unreadable: no store named, so no account verifies it
            payload, producer = None, None
        store_hash = producer.removeprefix("stores/") if isinstance(producer, str) else ""
        account = self._verified_account(store_hash, webhook_id, timestamp, body, signature)
        if account is None:
            return _answer(401, error="the webhook signature does not verify for any account of this store")
        sent = int(timestamp)
        now = self.ledger.clock.now().timestamp()
        if abs(now - sent) > TOLERANCE.total_seconds():
            return _answer(401, error=f"the webhook timestamp is more than {int(TOLERANCE.total_seconds())} s from "
                                      "now; a stale delivery (a replay) is refused")
        if self.ledger.seen_delivery(webhook_id):
            return _answer(200, status="duplicate delivery ignored", webhook_id=webhook_id)
        scope = payload.get("scope") if isinstance(payload, dict) else None
        if scope != REFUND_CREATED:
            return self.done(webhook_id, account, status=f"scope {scope or '(none)'} is not handled")
        if account.direction is not Direction.TO_NETSUITE:
            # Refunds flow from NetSuite (or not at all) for this account: recording this one would echo it back.
            return self.done(webhook_id, account,
                              status=f"ignored: refund sync to NetSuite is not on for '{account.name}'")
        with malformed_if_it_fails(REFUND_CREATED):
            data = payload.get("data")
            refund_ref = data.get("refund") if isinstance(data, dict) else None
            if not isinstance(refund_ref, dict) or refund_ref.get("refund_id") is None or data.get("id") is None:
                raise MalformedDelivery(f"malformed {REFUND_CREATED} payload: expected data.id and "
                                        "data.refund.refund_id")
            order_id, refund_id = checked_id(data["id"], "order id"), checked_id(refund_ref["refund_id"], "refund id")
        # not remembered when it fails: BigCommerce retries the delivery, and the scheduled sync finds the refund
        refund = self.read_store(f"refund {refund_id} of order {order_id}",
                                 lambda: self.adapter_for(account).refund(order_id, refund_id))
        row = self.to_netsuite.record(account, refund)
        if row is None:
            return self.done(webhook_id, account, status="ignored: this refund was pushed by the connector itself")
        return self.done(webhook_id, account, status="recorded", refund_id=row.id)

    def _verified_account(self, store_hash: str, webhook_id: str, timestamp: str, body: bytes,
                          signature: str) -> Account | None:
        return self.account_for(lambda account: account.store == store_hash,
                                lambda account: bool(secret := account.credentials.get("client_secret"))
                                and signature_matches(secret, webhook_id, timestamp, body, signature))
