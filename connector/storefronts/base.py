"""What the sync flows need from a storefront, and the HTTP plumbing every adapter shares.

The to/from NetSuite flows are written once against ``StorefrontAdapter``; each platform module of
this package is one implementation and declares itself with a ``STOREFRONT`` spec. An adapter turns
the platform's JSON into ``connector.model`` objects and back, and nothing else: ledger, NetSuite
and business rules are not its business.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import httpx

from common import jsonio
from connector.answers import json_body
from connector.errors import NotFound, RateLimited, RemoteError
from connector.model import Account, Order, PushedRefund, SourceStatus, StorefrontRefund

# Written into the note / reason of every refund the connector pushes to a storefront, so it is
# recognised later: never pushed twice, and never retrieved back into NetSuite as a new refund.
MARKER_PREFIX = "[netsuite:"


def push_marker(record_type: str, record_id: str) -> str:
    return f"{MARKER_PREFIX}{record_type}:{record_id}]"


def carries_marker(text: str | None) -> bool:
    return bool(text) and MARKER_PREFIX in text  # type: ignore[operator]


@dataclass(frozen=True)
class RefundPush:
    """A refund to create on a storefront, from a NetSuite cash refund or credit memo."""

    total: Decimal                          # the NetSuite total: the money that must go back
    currency: str
    lines: tuple[tuple[str, Decimal], ...]  # (storefront line id, quantity); empty when amount-only
    shipping: Decimal | None                # shipping amount before tax, when NetSuite refunded shipping
    note: str                               # human text including the marker
    idempotency_key: str
    # the account lets a gift-card order's refund go back as store credit (the adapter says how, or refuses)
    store_credit: bool = False
    # What NetSuite refunded for each line of ``lines``: (storefront line id, amount before tax, tax), for
    # storefronts that take each line's money as given; and the tax NetSuite refunded on the shipping.
    line_values: tuple[tuple[str, Decimal, Decimal], ...] = ()
    shipping_tax: Decimal | None = None


class StorefrontAdapter(Protocol):
    platform: str
    display_name: str
    supports_line_items: bool
    refund_target_type: str     # what the ledger calls a refund created here ("<platform>_refund")

    def get_order(self, order_id: str) -> Order: ...

    def orders_updated_since(self, since: datetime) -> Iterator[Order]: ...

    def list_refunds(self, order: Order) -> list[StorefrontRefund]: ...

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        """Refunds created (or whose order changed) since ``since``, yielded page by page as the
        listing arrives, so what came before a failed page is recorded."""

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund: ...

    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund: ...

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None: ...

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund: ...

    def register_refund_webhook(self, address: str) -> None: ...


@dataclass(frozen=True)
class StorefrontSpec:
    """One platform as the connector knows it; each platform module of this package defines one."""

    platform: str                           # what accounts carry in their ``platform`` field
    store_hint: str                         # what an account's ``store`` holds, for messages
    credentials: tuple[str, ...]            # what an account must carry, under the platform's own names
    adapter: Callable[[httpx.Client, Account], StorefrontAdapter]
    # Why refunds cannot be created through this platform's API, where they cannot (they are only
    # read there); such an account may not turn on refund sync from NetSuite. Empty: they can.
    refunds_read_only: str = ""
    # Whether a refund pushed here is read back with its marker (note, reason, comment). Where it is
    # not, the from-NetSuite flow keeps in the ledger what the order's refunds were before each push,
    # and recognises a push whose answer was lost as the new refund of that amount.
    push_marker_read_back: bool = True


ErrorReader = Callable[[Any], str]


class StorefrontHttp:
    """Requests to one storefront host with its auth headers; errors become ``RemoteError``."""

    def __init__(self, http: httpx.Client, *, system: str, base_url: str, headers: Mapping[str, str],
                 read_error: ErrorReader) -> None:
        self.http = http
        self.system = system
        self.base_url = base_url
        self.headers = dict(headers)
        self.read_error = read_error

    def request(self, method: str, path_or_url: str, *, what: str, params: Mapping[str, Any] | None = None,
                body: Any = None, expect: type | tuple[type, ...] = dict) -> tuple[Any, httpx.Response]:
        """The answer's JSON (for an empty body, ``[]`` where a list is expected, else ``{}``) and the
        response. ``expect``: the JSON's top level, an object unless the route answers otherwise (an
        answer of another shape, cut short or not JSON is a retryable ``RemoteError``)."""
        url = path_or_url if path_or_url.startswith("https://") else f"{self.base_url}{path_or_url}"
        headers = {"Accept": "application/json", **self.headers}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = jsonio.dumps(body).encode()
        try:
            response = self.http.request(method, url, params=params, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise RemoteError(self.system, f"Could not reach {self.system} while trying to {what} "
                                           f"({type(exc).__name__}: {exc}); it will be retried on the next run.",
                              retryable=True) from exc
        if response.status_code >= 400:
            raise self._error(response, what)
        return json_body(response, system=self.system, what=what, expect=expect,
                         empty=[] if expect is list else {}), response

    def _error(self, response: httpx.Response, what: str) -> RemoteError:
        status = response.status_code
        try:
            detail = self.read_error(jsonio.loads(response.content))
        except ValueError:
            detail = response.text[:300]
        if status == 429:
            return RateLimited(self.system, f"{self.system} rate limit reached while trying to {what} (HTTP 429: "
                                            f"{detail}); it will be retried on the next run.", detail=detail)
        if status == 404:
            return NotFound(self.system, f"{self.system} has no such record ({what}): {detail}", status=404,
                            detail=detail)
        if status in (401, 403):
            return RemoteError(self.system, f"{self.system} refused the connector's credentials while trying to "
                                            f"{what}: {detail}. Reconnect the account with a valid access token.",
                               status=status, detail=detail)
        return RemoteError(self.system, f"{self.system} rejected the request to {what}: {detail}", status=status,
                           detail=detail, retryable=status >= 500)


def worst_status(statuses: Sequence[SourceStatus]) -> SourceStatus:
    """Money of a refund settles only when every part did: any pending part keeps it pending."""
    if not statuses:
        return SourceStatus.COMPLETED
    if SourceStatus.PENDING in statuses:
        return SourceStatus.PENDING
    if all(s is SourceStatus.FAILED for s in statuses):
        return SourceStatus.FAILED
    return SourceStatus.COMPLETED
