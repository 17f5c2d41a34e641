"""Deliberately broken connectors, built on the seam, that measure the certification itself.

Each one is the shipped reference connector with one realistic bug, the kind connector teams ship:
tax left off, a refund posted twice, cents lost, the one-direction rule or the activation gate not
enforced. A certification worth its name rejects every one of them and says why; the share it
rejects is its kill rate. Certify one with
``refund-harness certify --connector harness.connectors.broken:<name>``.

Bugs in what the connector *sends* are made at its HTTP boundary (a transport that changes the
request on its way out), so the engine's own logic stays as shipped; bugs in what it *allows* are
made at the seam.
"""
from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

import httpx

from common import jsonio
from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine

# A NetSuite refund made the way the Refund button makes it: a transform of the billed record.
_REFUND_TRANSFORM = re.compile(r"/record/v1/(cashSale|invoice)/([^/]+)/!transform/(cashRefund|creditMemo)$")


class _RewritingTransport(httpx.BaseTransport):
    """Sends each request through the World's client after ``rewrite`` changed it (or sent extras)."""

    def __init__(self, http: httpx.Client, rewrite: Callable[[httpx.Request, httpx.Client], httpx.Response | None]):
        self._http = http
        self._rewrite = rewrite

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self._rewrite(request, self._http) or self._http.send(request)
        return httpx.Response(response.status_code, headers=response.headers, content=response.read())


def _with_transport(context: seam.ConnectorContext, rewrite) -> seam.ConnectorContext:
    from dataclasses import replace

    return replace(context, http=httpx.Client(transport=_RewritingTransport(context.http, rewrite)))


def _refund_body(request: httpx.Request) -> dict[str, Any] | None:
    if request.method != "POST" or not _REFUND_TRANSFORM.search(request.url.path):
        return None
    return jsonio.loads(request.content)


def _resend(request: httpx.Request, http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    # a new request: the signature the connector computed covers the URL, not the body
    return http.send(httpx.Request(request.method, request.url, headers=request.headers,
                                   content=jsonio.dumps(body).encode()))


def _changing_refund_lines(context: seam.ConnectorContext, change: Callable[[dict], None]) -> seam.ConnectorUnderTest:
    """The reference connector, with ``change`` applied to every line of every refund it sends NetSuite."""
    def rewrite(request, http):
        body = _refund_body(request)
        if body is None:
            return None
        for line in body.get("item", {}).get("items", []):
            change(line)
        return _resend(request, http, body)
    return ReferenceConnector(build_engine(_with_transport(context, rewrite)))


def drops_tax(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """Refunds reach NetSuite without their tax: every refund line's taxAmount is sent as 0."""
    return _changing_refund_lines(context, lambda line: line.update(taxAmount=0))


def loses_cents(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """Amounts on NetSuite refund lines are cut to whole currency units (an int() where a Decimal belonged)."""
    return _changing_refund_lines(context, lambda line: line.update(
        amount=Decimal(line["amount"]).quantize(Decimal(1), rounding=ROUND_DOWN)))


def posts_twice(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """Every refund is created in NetSuite twice: a retry without the externalId that would stop it."""
    engine = None
    resending = False

    def rewrite(request, http):
        nonlocal resending
        body = _refund_body(request)
        if body is None or resending:
            return None
        first = http.send(request)
        if first.status_code < 300:
            billed_type, billed_id, refund_type = _REFUND_TRANSFORM.search(request.url.path).groups()
            body.pop("externalId", None)
            resending = True
            try:   # through the engine's own NetSuite client, so the request is signed afresh
                engine.netsuite.transform(billed_type, billed_id, refund_type, body, replace="item")
            finally:
                resending = False
        return first

    engine = build_engine(_with_transport(context, rewrite))
    return ReferenceConnector(engine)


class _BothDirections(ReferenceConnector):
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        current = self.direction(account_id)
        if current not in (seam.OFF, direction):
            self.disable_refund_sync(account_id)   # the bug: switches instead of refusing
        super().enable_refund_sync(account_id, direction)


def allows_both_directions(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """Enabling the second direction silently switches to it instead of refusing."""
    return _BothDirections(build_engine(context))


class _NoGate(ReferenceConnector):
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        try:
            super().enable_refund_sync(account_id, direction)
        except seam.ActivationRefused:   # the bug: the prerequisites are reported, then ignored
            self.engine.ledger.update_account(int(account_id), direction=self.engine_direction(direction))

    @staticmethod
    def engine_direction(direction: str):
        from connector import Direction

        return Direction(direction)


def skips_activation_gate(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """Refund sync turns on even when order sync, the billed test order or the refund item are missing."""
    return _NoGate(build_engine(context))


BROKEN = {factory.__name__: factory for factory in
          (drops_tax, loses_cents, posts_twice, allows_both_directions, skips_activation_gate)}
