"""One code path for in-process and loopback: an ASGI app around an ``httpx.Request -> httpx.Response``
callable (a simulator's ``handle``, the connector's webhook receiver).

The request handed to the callable carries the method, headers and body exactly as received, and
the URL as the client addressed it: scheme (``X-Forwarded-Proto`` from a trusted loopback proxy is
applied by uvicorn), the ``Host`` header, the raw path and the query string. NetSuite's OAuth
signature check depends on that URL being the one the client signed.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import httpx

from simulators.core.fault_actions import DroppedAnswer

Handler = Callable[[httpx.Request], httpx.Response]
ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]],
                    Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


def request_from_scope(scope: dict[str, Any], body: bytes) -> httpx.Request:
    headers = [(bytes(name), bytes(value)) for name, value in scope["headers"]]
    host = next((value.decode("latin-1") for name, value in headers if name.lower() == b"host"), None)
    if host is None:  # HTTP/1.0 without Host: the address the server listens on
        server_host, server_port = scope["server"]
        host = f"{server_host}:{server_port}"
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    url = httpx.URL(f"{scope['scheme']}://{host}{target}")
    request = httpx.Request(scope["method"], url, content=body)
    request.headers = httpx.Headers(headers)  # exactly as received: nothing added (Content-Length) or dropped
    return request


def asgi_app(handler: Handler) -> ASGIApp:
    """Serve ``handler`` over ASGI. It runs in a worker thread: simulators block (NetSuite's
    concurrency gate, a storefront's webhook sender calling another served app that calls back)."""

    async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                  send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            raise RuntimeError(f"only HTTP is served, not {scope['type']!r}")
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        request = request_from_scope(scope, bytes(body))
        try:
            response = await asyncio.get_running_loop().run_in_executor(None, handler, request)
        except DroppedAnswer as dropped:  # an injected fault: the socket behaves as the fault says
            if dropped.hold:
                await _until_client_leaves(receive, dropped.hold)
            await _drop_connection(send, receive)
            return
        content = response.read()
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": list(response.headers.raw)})
        promised = int(response.headers.get("content-length", len(content)))
        if len(content) < promised:  # a truncated answer: send what there is, then close mid-body
            await send({"type": "http.response.body", "body": content, "more_body": True})
            await _drop_connection(send, receive)
            return
        await send({"type": "http.response.body", "body": content})

    return app


async def _until_client_leaves(receive: Callable[[], Awaitable[dict[str, Any]]], hold: float) -> None:
    """Say nothing until the client gives up (its read timeout) or ``hold`` seconds pass."""
    try:
        await asyncio.wait_for(receive(), timeout=hold)  # the next message can only be http.disconnect
    except TimeoutError:
        pass


async def _drop_connection(send: Callable[[dict[str, Any]], Awaitable[None]],
                           receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Close the client's connection without (the rest of) an answer. ASGI has no message for that,
    so this reaches the server's transport: uvicorn's ``send`` is a method of the request cycle that
    holds it. Waiting for the disconnect afterwards tells uvicorn not to answer a 500 itself."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("this ASGI server does not expose its connection, so a fault cannot drop it")
    if not transport.is_closing():
        transport.close()
        await receive()  # http.disconnect, once the server has seen the connection go
