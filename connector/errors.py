"""Errors the connector raises or records on a refund row.

Every message names the problem and what a person can do about it. ``retryable`` tells the
scheduler whether the same attempt may succeed later without anyone changing anything (the
order gets billed, a rate limit drains, a network blip passes).
"""
from __future__ import annotations


class ConnectorError(Exception):
    """Anything the connector refuses or cannot do, with a sentence a person can act on."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class ActivationRefused(ConnectorError):
    """Refund sync cannot be switched on; ``missing`` lists every unmet prerequisite."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = list(missing or [])


class UnknownAccount(ConnectorError):
    pass


class UnknownRefund(ConnectorError):
    pass


class RemoteError(ConnectorError):
    """A remote system (NetSuite or a storefront) answered with an error.

    ``status`` is the HTTP status (0 when the request never got an answer), ``code`` the
    platform's own error code when it has one, ``detail`` the platform's words.
    """

    def __init__(self, system: str, message: str, *, status: int = 0, code: str | None = None,
                 detail: str = "", retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.system = system
        self.status = status
        self.code = code
        self.detail = detail


class NotFound(RemoteError):
    """The remote record does not exist (NetSuite NONEXISTENT_ID, a storefront's 404)."""


class RateLimited(RemoteError):
    """The remote throttled us; nothing was done, the next run will try again."""

    def __init__(self, system: str, message: str, *, status: int = 429, code: str | None = None,
                 detail: str = "") -> None:
        super().__init__(system, message, status=status, code=code, detail=detail, retryable=True)
