"""One pipeline for every platform's refund webhooks, and the three hooks a platform plugs into it.

A delivery goes through the same steps whatever sent it (``WebhookPipeline.handle``):

1. only POST is a delivery (405 otherwise); the body is read as JSON where it is JSON;
2. the platform's ``parse`` reads the request into a ``Delivery`` (store, delivery id, topic, payload);
   a request missing what every delivery of the platform carries is a ``MalformedDelivery`` (400);
3. the accounts are those of the delivery's store whose secret the platform's ``verify`` accepts (401
   when none does); a platform that dates its deliveries refuses one older than its replay window (401);
4. a delivery id seen before is acknowledged and ignored (200);
5. a topic the connector does not handle, or no account of them syncing refunds to NetSuite, is
   acknowledged (200): every sender retries a non-2xx answer and in the end disables the subscription;
6. the platform's ``refunds`` reads the payload into typed values and, where the payload only names
   them, reads the refunds back from the store; each is recorded for the accounts that synced its order
   (``WebhookPipeline.owners``) (200).

What the answers are, and why, is in docs/webhooks.md. Only two exceptions become an answer other than a
500: ``MalformedDelivery`` (400: the payload is not what its topic promises, so sent again it would fail
again), raised only by the payload readers below and by ``parse``; and ``StoreCannotAnswer`` (422 or
503), raised only by ``StoreAccess.read`` for an error the store answered. Anything else a hook raises is
a connector bug: it reaches the engine, which answers 500 and says so, and nothing is remembered as
handled. Neither error answer is remembered either, and the scheduled run finds every refund anyway.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping, NoReturn, Protocol, Sequence, TypeVar

import httpx

from common import jsonio, money
from common.clock import parse_iso
from connector.errors import ConnectorError, NotFound, RemoteError
from connector.identifiers import MAX_ID_LENGTH
from connector.ledger import Ledger
from connector.model import Account, Direction, StorefrontRefund
from connector.to_netsuite import ToNetSuite

T = TypeVar("T")
NOT_JSON = object()   # a ``Delivery.payload`` whose body is not JSON


class MalformedDelivery(Exception):
    """A delivery that is not what its platform sends, or whose payload is not what its topic promises."""


class StoreCannotAnswer(Exception):
    """What a delivery names could not be read from the store; ``status`` is the connector's answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_answer(http_status: int, /, **body: Any) -> httpx.Response:
    return httpx.Response(http_status, content=jsonio.dumps(body).encode(), headers={"Content-Type": "application/json"})


def base64_hmac_sha256(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def same_signature(expected: str | bytes, given: str | bytes) -> bool:
    """Compared in constant time: a plain == would tell a forger, by timing, how much was right."""
    as_bytes = [v.encode() if isinstance(v, str) else v for v in (expected, given)]
    return hmac.compare_digest(as_bytes[0], as_bytes[1].strip())


@dataclass(frozen=True)
class Delivery:
    """One webhook request as its platform's ``parse`` read it."""

    store: str          # the store the sender says it is, as accounts hold it in ``store`` ('' when it names none)
    delivery_id: str    # the sender's id of this delivery, the same on a redelivery ('' when it sends none)
    topic: str          # what happened, in the platform's words ('' when it says nothing)
    body: bytes         # as received: signatures are over these bytes
    payload: Any        # the body's JSON, or NOT_JSON
    headers: httpx.Headers
    sent_at: datetime | None = None   # when the sender signed it, where the platform dates its deliveries


class StoreAccess(Protocol):
    """What a platform's ``refunds`` hook may use besides the delivery."""

    adapter: Any   # the account's storefront adapter

    def read(self, what: str, read: Callable[[], T]) -> T: ...

    def order_currency(self, order_id: str) -> str | None: ...


class WebhookPlatform(Protocol):
    """A platform's part of the pipeline: three hooks and what they need to know."""

    platform: str                    # the accounts this receiver serves
    secret_credential: str           # the account credential that signs deliveries
    topics: frozenset[str]           # the topics whose deliveries carry refunds
    replay_window: timedelta | None  # how far ``Delivery.sent_at`` may be from now (None: not dated)

    def parse(self, request: httpx.Request, body: bytes, payload: Any) -> Delivery: ...

    def verify(self, delivery: Delivery, secret: str) -> bool: ...

    def refunds(self, delivery: Delivery, store: StoreAccess) -> Sequence[StorefrontRefund]: ...


class PayloadReader:
    """Reads a verified delivery's payload into typed values: anything not of the shape the topic promises
    is a ``MalformedDelivery`` naming the topic, the field and what it should have been."""

    def __init__(self, topic: str) -> None:
        self.topic = topic

    def malformed(self, where: str, expected: str) -> NoReturn:
        raise MalformedDelivery(f"malformed {self.topic} payload: {where} must be {expected}")

    def object(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.malformed(where, "an object")
        return value

    def objects(self, value: Any, where: str) -> list[Mapping[str, Any]]:
        """A list of objects; absent (None) is an empty list."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.malformed(where, "a list of objects")
        return [self.object(item, f"{where}[{n}]") for n, item in enumerate(value)]

    def optional_object(self, value: Any, where: str) -> Mapping[str, Any]:
        return {} if value is None else self.object(value, where)

    def text(self, value: Any, where: str) -> str | None:
        if value is not None and not isinstance(value, str):
            self.malformed(where, "text")
        return value

    def identifier(self, value: Any, where: str) -> str:
        """A platform's numeric id, as a number or as ASCII digits."""
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= MAX_ID_LENGTH):
            self.malformed(where, f"an id (up to {MAX_ID_LENGTH} digits)")
        return text

    def whole_number(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value):
            self.malformed(where, "a whole number")
        return int(value)

    def time(self, value: Any, where: str) -> datetime | None:
        text = self.text(value, where)
        if not text:
            return None
        try:
            return parse_iso(text)
        except ValueError:
            self.malformed(where, "an ISO 8601 time")

    def currency(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in money.MINOR_UNITS:
            self.malformed(where, "an ISO 4217 currency code")
        return value

    def amount(self, value: Any, where: str, currency: str) -> Decimal | None:
        """An amount the currency can hold exactly; absent (None) is None."""
        if value is None:
            return None
        try:
            return money.amount(value, currency)
        except (money.MoneyError, InvalidOperation):   # not a number, too precise, or beyond Decimal's precision
            self.malformed(where, f"an amount in {currency}")


class WebhookPipeline:
    """A platform's webhook receiver: the steps in this module's docstring, with the platform's hooks."""

    def __init__(self, ledger: Ledger, to_netsuite: ToNetSuite, adapter_for: Callable[[Account], Any],
                 hooks: WebhookPlatform) -> None:
        self.ledger = ledger
        self.to_netsuite = to_netsuite
        self.adapter_for = adapter_for
        self.hooks = hooks

    @property
    def platform(self) -> str:
        return self.hooks.platform

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The answer to one delivery. A connector bug is raised, for the engine to answer 500."""
        try:
            return self._receive(request)
        except MalformedDelivery as exc:
            return json_answer(400, error=str(exc)[:500])
        except StoreCannotAnswer as exc:
            return json_answer(exc.status, error=exc.message)

    def _receive(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return json_answer(405, error="webhooks are delivered with POST")
        body = request.read()
        try:
            payload = jsonio.loads(body)
        except ValueError:   # not JSON (cut short, not UTF-8, nested too deeply): the hooks see NOT_JSON
            payload = NOT_JSON
        delivery = self.hooks.parse(request, body, payload)
        verified = self.verified_accounts(lambda account: bool(delivery.store) and account.store.lower() == delivery.store
                                          and bool(secret := account.credentials.get(self.hooks.secret_credential))
                                          and self.hooks.verify(delivery, secret))
        account = self.receiving_account(verified)
        if account is None:
            return json_answer(401, error="the webhook signature does not verify for any account of this store")
        window = self.hooks.replay_window
        if window is not None and delivery.sent_at is not None \
                and abs(self.ledger.clock.now() - delivery.sent_at) > window:
            return json_answer(401, error=f"the webhook timestamp is more than {int(window.total_seconds())} s "
                                          "from now; a stale delivery (a replay) is refused")
        if delivery.delivery_id and self.ledger.seen_delivery(delivery.delivery_id):
            return json_answer(200, status="duplicate delivery ignored", delivery_id=delivery.delivery_id)
        if delivery.topic not in self.hooks.topics:
            return self.done(delivery, account, status=f"topic {delivery.topic or '(none)'} is not handled")
        if account.direction is not Direction.TO_NETSUITE:
            # Refunds flow from NetSuite (or not at all) for this account: recording them would echo them back.
            return self.done(delivery, account,
                             status=f"ignored: refund sync to NetSuite is not on for '{account.name}'")
        if delivery.payload is NOT_JSON:
            raise MalformedDelivery(f"malformed {delivery.topic} payload: the body is not JSON")
        syncing = tuple(a for a in verified if a.direction is Direction.TO_NETSUITE)
        refunds = self.hooks.refunds(delivery, _StoreAccess(self.ledger, syncing, self.adapter_for(account)))
        rows, not_ours = [], []
        for refund in refunds:
            owners = self.owners(verified, refund.order_id)
            if not owners:
                not_ours.append(refund.order_id)
            rows += [row for owner in owners if (row := self.to_netsuite.record(owner, refund)) is not None]
        if refunds and not rows and not_ours:
            return self.done(delivery, account, status=f"ignored: order {', '.join(dict.fromkeys(not_ours))} is "
                                                       "synced by an account that does not sync refunds to NetSuite")
        if refunds and not rows:
            return self.done(delivery, account, status="ignored: pushed by the connector itself")
        return self.done(delivery, account, status="recorded", refund_ids=[row.id for row in rows])

    def verified_accounts(self, verifies: Callable[[Account], bool]) -> list[Account]:
        """This platform's accounts that ``verifies`` a delivery (its store, signed with its secret). One
        store may have several accounts signing with the same secret (one per direction, or the connector
        set up twice): the delivery is then for each of them whose order it names."""
        return [account for account in self.ledger.accounts() if account.platform == self.platform and verifies(account)]

    @staticmethod
    def receiving_account(verified: Sequence[Account]) -> Account | None:
        """The account a delivery is answered and remembered for: the first that syncs refunds to NetSuite
        (so its refunds are recorded now rather than at the next scheduled run), else the first."""
        return next((a for a in verified if a.direction is Direction.TO_NETSUITE), verified[0] if verified else None)

    def owners(self, verified: Sequence[Account], order_id: str) -> list[Account]:
        """The accounts a refund of ``order_id`` is recorded for: those syncing refunds to NetSuite that
        synced the order, as each one's scheduled run would record it, and no other (an account that did
        not sync the order has nothing to post it against). An order no account of the store synced goes
        to the ``receiving_account``, whose post then says the order was not synced."""
        synced = [a for a in verified if self.ledger.order_link(a.id, order_id) is not None]
        if not synced:
            receiving = self.receiving_account(verified)
            return [receiving] if receiving is not None and receiving.direction is Direction.TO_NETSUITE else []
        return [a for a in synced if a.direction is Direction.TO_NETSUITE]

    def done(self, delivery: Delivery, account: Account, **body: Any) -> httpx.Response:
        """A 200 for a handled delivery, remembered so a redelivery is acknowledged and ignored."""
        if delivery.delivery_id:
            self.ledger.remember_delivery(delivery.delivery_id, account.id)
        return json_answer(200, **body)


@dataclass(frozen=True)
class _StoreAccess:
    ledger: Ledger
    accounts: tuple[Account, ...]   # the store's accounts syncing refunds to NetSuite that verified the delivery
    adapter: Any

    def read(self, what: str, read: Callable[[], T]) -> T:
        """``read()`` of what a delivery names (``what``, in words); an error the store answered is a
        ``StoreCannotAnswer``: 503 when it is temporary (deliver again later), else 422 naming it."""
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

    def order_currency(self, order_id: str) -> str | None:
        """The currency of the order as whichever of ``accounts`` synced it recorded it (None: none did)."""
        return next((link.currency for account in self.accounts
                     if (link := self.ledger.order_link(account.id, order_id)) is not None), None)
