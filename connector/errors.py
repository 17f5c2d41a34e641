"""Errors the connector raises or records on a refund row.

Every message names the problem and what a person can do about it. ``retryable`` tells the
scheduler whether the same attempt may succeed later without anyone changing anything (the
order gets billed, a rate limit drains, a network blip passes). Beside the sentence, every error
has facts a program reads instead of the words (``ErrorFacts``: its kind, the system, the HTTP
status, whether it is retryable); the ledger keeps them on the refund row and a scheduled run's
summary on each failure.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx


class ErrorKind(str, Enum):
    """What kind of failure an error is, whatever its sentence says."""

    TIMEOUT = "timeout"            # no answer came in time (the request may have been carried out)
    RESET = "reset"                # the connection was reset or closed before the whole answer arrived
    UNREACHABLE = "unreachable"    # no connection could be made
    TRUNCATED = "truncated"        # the answer arrived cut short of the length it promised
    UNREADABLE = "unreadable"      # the answer's body is empty, not JSON, or not of the shape expected
    STATUS = "status"              # the remote answered with an HTTP error status (``status``)
    REFUSED = "refused"            # the remote answered without an error status, but refused or cannot serve it
    BUSY = "busy"                  # every concurrency slot stayed held by connector workers: nothing was sent
    CONNECTOR = "connector"        # the connector's own rule stopped it (nothing to post, not billed yet ...)
    UNEXPECTED = "unexpected"      # an exception nobody foresaw: a bug


def transport_kind(failure: httpx.TransportError) -> ErrorKind:
    """The kind of a request that got no whole answer, from httpx's exception for it."""
    if isinstance(failure, httpx.TimeoutException):
        return ErrorKind.TIMEOUT
    if isinstance(failure, (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError)):
        return ErrorKind.UNREACHABLE
    return ErrorKind.RESET


@dataclass(frozen=True)
class ErrorFacts:
    """An error's facts: ``system`` is the remote system it came from (None for the connector's own),
    ``status`` the HTTP status it answered (0 when there was none)."""

    kind: ErrorKind
    retryable: bool = False
    system: str | None = None
    status: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "retryable": self.retryable, "system": self.system, "status": self.status}


def error_facts(error: BaseException) -> ErrorFacts:
    """The facts of any exception the connector catches; one that is not a ``ConnectorError`` is unexpected."""
    if isinstance(error, RemoteError):
        return ErrorFacts(error.kind, error.retryable, error.system, error.status)
    if isinstance(error, ConnectorError):
        return ErrorFacts(error.kind, error.retryable)
    return ErrorFacts(ErrorKind.UNEXPECTED)


class ConnectorError(Exception):
    """Anything the connector refuses or cannot do, with a sentence a person can act on."""

    kind = ErrorKind.CONNECTOR

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class Prerequisite(str, Enum):
    """What refund sync needs before it may be switched on (the certification seam names them alike)."""

    ORDER_SYNC_ACTIVE = "order_sync_active"
    TEST_ORDER_SYNCED = "test_order_synced"
    TEST_ORDER_BILLED = "test_order_billed"
    ITEMS_MAPPED = "items_mapped"
    GENERIC_REFUND_ITEM = "generic_refund_item"
    GENERIC_REFUND_ITEM_OTHER_CHARGE = "generic_refund_item_other_charge"
    NETSUITE_REACHABLE = "netsuite_reachable"
    REFUND_WEBHOOKS_SUBSCRIBED = "refund_webhooks_subscribed"
    STOREFRONT_CREATES_REFUNDS = "storefront_creates_refunds"
    OTHER_DIRECTION_OFF = "other_direction_off"


@dataclass(frozen=True)
class Unmet:
    """One prerequisite that is not met, and what a person reads about it."""

    prerequisite: Prerequisite
    detail: str

    def __str__(self) -> str:
        return self.detail


class ActivationRefused(ConnectorError):
    """Refund sync cannot be switched on; ``missing`` lists every unmet prerequisite."""

    def __init__(self, message: str, missing: list[Unmet] | None = None) -> None:
        super().__init__(message)
        self.missing = list(missing or [])


class UnknownAccount(ConnectorError):
    pass


class UnknownRefund(ConnectorError):
    pass


class RemoteError(ConnectorError):
    """A remote system (NetSuite or a storefront) answered with an error.

    ``status`` is the HTTP status (0 when the request never got an answer), ``code`` the
    platform's own error code when it has one, ``detail`` the platform's words. ``kind``, unless
    given: the transport failure's for an error raised from an ``httpx.TransportError``, else
    ``STATUS`` for an error status (400 and above), else ``REFUSED``.
    """

    def __init__(self, system: str, message: str, *, status: int = 0, code: str | None = None,
                 detail: str = "", retryable: bool = False, kind: ErrorKind | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.system = system
        self.status = status
        self.code = code
        self.detail = detail
        self._kind = kind

    @property   # type: ignore[override]
    def kind(self) -> ErrorKind:   # read when recorded: ``raise ... from`` sets the cause after __init__
        if self._kind is not None:
            return self._kind
        if isinstance(self.__cause__, httpx.TransportError):
            return transport_kind(self.__cause__)
        return ErrorKind.STATUS if self.status >= 400 else ErrorKind.REFUSED


class NotFound(RemoteError):
    """The remote record does not exist (NetSuite NONEXISTENT_ID, a storefront's 404)."""


class RateLimited(RemoteError):
    """The remote throttled us; nothing was done, the next run will try again."""

    def __init__(self, system: str, message: str, *, status: int = 429, code: str | None = None,
                 detail: str = "") -> None:
        super().__init__(system, message, status=status, code=code, detail=detail, retryable=True)
