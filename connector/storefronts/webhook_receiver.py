"""What every platform's refund-webhook receiver shares: JSON answers, HMAC helpers, the account a
verified delivery belongs to, remembering a delivery once it is handled, and one rule for what a
delivery that cannot be acted on is answered.

A receiver subclasses ``WebhookReceiverBase`` and keeps only what its platform does differently:
where the signature and the store are in the delivery, and what the payload names. The rule:

- a payload that is not what its topic promises (declared by raising ``MalformedDelivery``, or by
  parsing it inside ``malformed_if_it_fails``) is answered 400: sent again, it would fail again;
- a delivery naming something the store says does not exist (404), or that the store refuses to show
  the connector, is answered 422 naming it: sent again, it would fail again;
- only a temporary failure reading the store (no answer, 5xx, 429: a retryable ``RemoteError``) is
  answered 503, so the sender delivers it again later.
Neither error answer is remembered as handled, and the scheduled run finds every refund anyway: a
webhook only makes it arrive sooner. Anything else a receiver raises is a bug, not the sender's fault,
and is not dressed up as one of these answers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

import httpx

from common import jsonio
from connector.errors import ConnectorError, NotFound, RemoteError
from connector.ledger import Ledger
from connector.model import Account, Direction
from connector.to_netsuite import ToNetSuite


T = TypeVar("T")

# What parsing a payload of the wrong shape raises somewhere in a parser: an object where a list belongs
# gives an AttributeError, a string where a number belongs a TypeError or ValueError, a body nested
# 10,000 deep a RecursionError, an amount the currency cannot hold a MoneyError (a ValueError).
PAYLOAD_ERRORS = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError, RecursionError, IndexError,
                  ConnectorError)


class MalformedDelivery(Exception):
    """A verified delivery whose payload is not what its topic promises; answered 400."""


class StoreCannotAnswer(Exception):
    """What a delivery names could not be read from the store; ``status`` is the connector's answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@contextmanager
def malformed_if_it_fails(topic: str) -> Iterator[None]:
    """Marks the block that reads a delivery's payload: what a payload of the wrong shape raises there
    is a ``MalformedDelivery`` naming the topic and the problem. Only payload parsing goes in here."""
    try:
        yield
    except MalformedDelivery:
        raise
    except PAYLOAD_ERRORS as exc:
        raise MalformedDelivery(f"malformed {topic or 'webhook'} payload: {type(exc).__name__}: {exc}"[:500]) from exc


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

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The answer to one delivery: the platform's ``receive``, with the shared rule applied to what
        it raises (see the module's docstring)."""
        try:
            return self.receive(request)
        except MalformedDelivery as exc:
            return json_answer(400, error=str(exc))
        except StoreCannotAnswer as exc:
            return json_answer(exc.status, error=exc.message)

    def receive(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    @staticmethod
    def read_store(what: str, read: Callable[[], T]) -> T:
        """``read()`` of what a delivery names (``what``, in words), with the store's errors as the answer
        the shared rule gives them (``StoreCannotAnswer``)."""
        try:
            return read()
        except RemoteError as exc:
            if exc.retryable:
                raise StoreCannotAnswer(503, f"could not read {what} now ({exc}); deliver it again later") from exc
            if isinstance(exc, NotFound):
                raise StoreCannotAnswer(422, f"the delivery names {what}, which the store does not have "
                                             f"({exc})") from exc
            raise StoreCannotAnswer(422, f"could not read {what}: {exc}") from exc
        except ConnectorError as exc:   # the store's answer is one the connector does not accept
            raise StoreCannotAnswer(422, f"could not use {what}: {exc}") from exc

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
