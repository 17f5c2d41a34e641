"""Reading the JSON body of a remote system's successful answer, for NetSuite and every storefront.

An answer whose body cannot be read (cut short, not JSON, or of the wrong shape at the top level) is
treated like an answer that never arrived: the request may have been carried out (a refund created),
so the error is retryable and the next run's read-before-write finds what the write did rather than
writing again. It is never an unexpected exception that ends a run or leaves a refund in a final error.
"""
from __future__ import annotations

from typing import Any

import httpx

from common import jsonio
from connector.errors import ErrorKind, RemoteError

JSON_CONTAINER = (dict, list)   # what a REST answer's top level is, unless a route says otherwise


def _shape_name(expect: type | tuple[type, ...]) -> str:
    names = {dict: "a JSON object", list: "a JSON array", int: "a number", str: "a string"}
    kinds = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def unreadable(system: str, what: str, problem: str, kind: ErrorKind = ErrorKind.UNREADABLE) -> RemoteError:
    return RemoteError(system, f"{system}'s answer to the request to {what} could not be read ({problem}); the "
                               "request may have been carried out, so the next run looks before it tries again.",
                       status=0, detail=problem, retryable=True, kind=kind)


def promised_length(response: httpx.Response) -> int | None:
    """The body length the Content-Length header promised, where it did and is a number."""
    given = response.headers.get("content-length", "").strip()
    return int(given) if given.isdigit() else None


def cut_short(response: httpx.Response) -> str:
    """Why the body is shorter than its Content-Length promised; "" when it is not. A compressed body is
    decoded by now, so its length says nothing: on a socket the transport itself refuses one cut short."""
    promised = promised_length(response)
    if promised is None or response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return ""
    arrived = len(response.content)
    return f"the body was cut short: {arrived} of the {promised} bytes promised arrived" if arrived < promised else ""


def json_body(response: httpx.Response, *, system: str, what: str,
              expect: type | tuple[type, ...] = JSON_CONTAINER, empty: Any = None) -> Any:
    """The JSON of ``response``; ``empty`` when it has no body (and ``empty`` is not None).

    Raises a retryable ``RemoteError`` when the body is shorter than its Content-Length, is not JSON,
    or its top level is not ``expect``."""
    content = response.content
    if problem := cut_short(response):
        raise unreadable(system, what, problem, ErrorKind.TRUNCATED)
    if not content:
        if empty is not None:
            return empty
        raise unreadable(system, what, "the body is empty")
    try:
        data = jsonio.loads(content)
    except (ValueError, RecursionError) as exc:   # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise unreadable(system, what, f"the body is not JSON: {type(exc).__name__}: {exc}") from exc
    if isinstance(data, bool) or not isinstance(data, expect):
        raise unreadable(system, what, f"expected {_shape_name(expect)} at the top level, got "
                                       f"{type(data).__name__}")
    return data
