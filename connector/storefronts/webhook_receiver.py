"""What every platform's refund-webhook receiver shares: JSON answers, HMAC helpers, the account a
verified delivery belongs to, and remembering a delivery once it is handled.

A receiver subclasses ``WebhookReceiverBase`` and keeps only what its platform does differently:
where the signature and the store are in the delivery, and what the payload names.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Callable

import httpx

from common import jsonio
from connector.accounts import Account
from connector.ledger import Ledger
from connector.model import Direction
from connector.to_netsuite import ToNetSuite


def json_answer(http_status: int, /, **body: Any) -> httpx.Response:
    return httpx.Response(http_status, content=jsonio.dumps(body).encode(), headers={"Content-Type": "application/json"})


def base64_hmac_sha256(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def same_signature(expected: str | bytes, given: str | bytes) -> bool:
    """Compared in constant time: a plain == would tell a forger, by timing, how much was right."""
    as_bytes = [v.encode() if isinstance(v, str) else v for v in (expected, given)]
    return hmac.compare_digest(as_bytes[0], as_bytes[1].strip())


class WebhookReceiverBase:
    platform: str   # the accounts this receiver serves

    def __init__(self, ledger: Ledger, to_netsuite: ToNetSuite, adapter_for: Callable[[Account], Any]) -> None:
        self.ledger = ledger
        self.to_netsuite = to_netsuite
        self.adapter_for = adapter_for

    def account_for(self, store_matches: Callable[[Account], bool],
                    verifies: Callable[[Account], bool]) -> Account | None:
        """The account a delivery belongs to: one of this platform's accounts on the store whose secret
        verifies it. One store may have two accounts signing with the same secret (one per direction);
        the delivery is then the refund-to-NetSuite account's, so its refund is recorded now rather
        than at the next scheduled run."""
        verified = [account for account in self.ledger.accounts()
                    if account.platform == self.platform and store_matches(account) and verifies(account)]
        return next((a for a in verified if a.direction is Direction.TO_NETSUITE), verified[0] if verified else None)

    def done(self, delivery: str, account: Account, **body: Any) -> httpx.Response:
        """A 200 for a handled delivery, remembered so a redelivery is acknowledged and ignored."""
        if delivery:
            self.ledger.remember_delivery(delivery, account.id)
        return json_answer(200, **body)
