"""Bugs in what a connector sends NetSuite, made at its HTTP boundary.

A transport between the engine and the World changes each refund request on its way out, so the
engine's own logic stays as shipped and the bug is exactly what a broken connector would put on the
wire: tax left off, cents lost, shipping or lines moved onto the generic refund item, a refund sent
twice, a rate limit read as a final refusal, a final refusal read as a passing outage.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

import httpx

from common import jsonio
from harness import seam
from connector import Connector
from harness.connectors.reference import ReferenceConnector, build_engine
from harness.netsuite_view import REFUND_TRANSFORM

Rewrite = Callable[[httpx.Request, httpx.Client], "httpx.Response | None"]


class _RewritingTransport(httpx.BaseTransport):
    """Sends each request through the World's client after ``rewrite`` changed it (or sent extras)."""

    def __init__(self, http: httpx.Client, rewrite: Rewrite):
        self._http = http
        self._rewrite = rewrite

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self._rewrite(request, self._http) or self._http.send(request)
        return httpx.Response(response.status_code, headers=response.headers, content=response.read())


def rewriting(context: seam.ConnectorContext, rewrite: Rewrite) -> seam.ConnectorContext:
    """The same context, with an HTTP client that applies ``rewrite`` to every request."""
    return replace(context, http=httpx.Client(transport=_RewritingTransport(context.http, rewrite)))


def _refund_body(request: httpx.Request) -> dict[str, Any] | None:
    if request.method != "POST" or not REFUND_TRANSFORM.search(request.url.path):
        return None
    return jsonio.loads(request.content)


def _resend(request: httpx.Request, http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    # a new request: the signature the connector computed covers the URL, not the body
    return http.send(httpx.Request(request.method, request.url, headers=request.headers,
                                   content=jsonio.dumps(body).encode()))


@dataclass
class RefundPost:
    """One refund the connector is sending NetSuite, for a mutant to change before it goes."""

    body: dict[str, Any]
    billed_type: str
    billed_id: str
    setup: dict[str, str]     # the account's generic refund and shipping items: {"refund_item", "shipping_item"}
    engine: Connector         # the connector's own engine (to read NetSuite as the connector would)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return self.body.get("item", {}).get("items", [])


def changing_refunds(change: Callable[[RefundPost], None]) -> seam.ConnectorFactory:
    """A reference connector whose every NetSuite refund is passed through ``change`` before it is sent."""
    def build(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
        engine = None

        def rewrite(request, http):
            body = _refund_body(request)
            if body is None:
                return None
            billed_type, billed_id, _ = REFUND_TRANSFORM.search(request.url.path).groups()
            settings = engine.accounts()[0].settings
            change(RefundPost(body, billed_type, billed_id, {"refund_item": settings.generic_refund_item_id,
                                                              "shipping_item": settings.shipping_item_id}, engine))
            return _resend(request, http, body)

        engine = build_engine(rewriting(context, rewrite))
        return ReferenceConnector(engine)
    return build


def each_line(change: Callable[[dict[str, Any]], None]) -> Callable[[RefundPost], None]:
    def apply(post: RefundPost) -> None:
        for line in post.lines:
            change(line)
    return apply


def lines_on_item(which: Callable[[dict[str, Any], dict[str, str]], bool], item: str):
    """Lines picked by ``which`` go onto the account's ``item`` instead (same money, wrong line)."""
    def apply(post: RefundPost) -> None:
        for line in post.lines:
            if which(line, post.setup):
                line["item"] = {"id": post.setup[item]}
                line.pop("orderLine", None)
                line["quantity"] = 1
    return apply


def _is_item_line(line: dict[str, Any], setup: dict[str, str]) -> bool:
    return line.get("orderLine") is not None   # a refunded billed line, named by its line number


def _is_shipping_line(line: dict[str, Any], setup: dict[str, str]) -> bool:
    return (line.get("item") or {}).get("id") == setup["shipping_item"]


def _drop_shipping(post: RefundPost) -> None:
    post.body["item"]["items"] = [line for line in post.lines if not _is_shipping_line(line, post.setup)]


def _without_external_id(post: RefundPost) -> None:
    post.body.pop("externalId", None)


def _one_more_unit(line: dict[str, Any]) -> None:
    if line.get("orderLine") is not None:
        line["quantity"] = int(line["quantity"]) + 1


def _first_line_with_the_item(post: RefundPost) -> None:
    """A refunded line is matched to the first billed line with the same item, not the line refunded."""
    billed = post.engine.netsuite.get(post.billed_type, post.billed_id, expand=True) or {}
    item_of = {int(line["line"]): line["item"]["id"] for line in billed.get("item", {}).get("items", [])}
    first_with_item: dict[str, int] = {}
    for number in sorted(item_of):
        first_with_item.setdefault(item_of[number], number)
    for line in post.lines:
        if line.get("orderLine") is not None:
            line["orderLine"] = first_with_item[item_of[int(line["orderLine"])]]


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
            billed_type, billed_id, refund_type = REFUND_TRANSFORM.search(request.url.path).groups()
            body.pop("externalId", None)
            resending = True
            try:   # through the engine's own NetSuite client, so the request is signed afresh
                engine.netsuite.transform(billed_type, billed_id, refund_type, body, replace="item")
            finally:
                resending = False
        return first

    engine = build_engine(rewriting(context, rewrite))
    return ReferenceConnector(engine)


def rate_limit_is_final(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """A 429 from NetSuite is read as a final refusal (a 400), so the refund is never retried."""
    def rewrite(request, http):
        response = http.send(request)
        if response.status_code != 429:
            return response
        return httpx.Response(400, headers={"content-type": "application/json"},
                              content=jsonio.dumps({"title": "Bad Request", "status": 400, "o:errorDetails": [
                                  {"detail": "rejected", "o:errorCode": "USER_ERROR"}]}).encode())
    return ReferenceConnector(build_engine(rewriting(context, rewrite)))


def final_refusal_is_retried(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """NetSuite's final refusal of a refund (a 4xx other than 429) is read as a server error (503), so
    the refund is sent again on every scheduled run."""
    def rewrite(request, http):
        response = http.send(request)
        if _refund_body(request) is None or not 400 <= response.status_code < 500 or response.status_code == 429:
            return response
        return httpx.Response(503, headers={"content-type": "application/json"},
                              content=jsonio.dumps({"title": "Service Unavailable", "status": 503, "o:errorDetails": [
                                  {"detail": "unavailable", "o:errorCode": "UNEXPECTED_ERROR"}]}).encode())
    return ReferenceConnector(build_engine(rewriting(context, rewrite)))


MUTANTS = {
    "drops_tax": ("Refunds reach NetSuite without their tax: every refund line's taxAmount is sent as 0.",
                  changing_refunds(each_line(lambda line: line.update(taxAmount=0)))),
    "doubles_tax": ("Tax is added twice on every NetSuite refund line.",
                    changing_refunds(each_line(lambda line: line.update(taxAmount=Decimal(line["taxAmount"]) * 2)))),
    "loses_cents": ("Amounts on NetSuite refund lines are cut to whole currency units (an int() where a Decimal belonged).",
                    changing_refunds(each_line(lambda line: line.update(
                        amount=Decimal(line["amount"]).quantize(Decimal(1), rounding=ROUND_DOWN))))),
    "refunds_one_more_unit": ("Each refunded item line asks NetSuite for one unit more than the storefront refunded.",
                              changing_refunds(each_line(_one_more_unit))),
    "lines_on_refund_item": ("Refunded item lines are posted on the generic refund item: same money, lines lost.",
                             changing_refunds(lines_on_item(_is_item_line, "refund_item"))),
    "shipping_on_refund_item": ("Refunded shipping is posted on the generic refund item instead of the shipping item.",
                                changing_refunds(lines_on_item(_is_shipping_line, "refund_item"))),
    "drops_shipping": ("Refunded shipping never reaches NetSuite: the shipping line is left off.",
                       changing_refunds(_drop_shipping)),
    "no_external_id": ("NetSuite refunds carry no externalId, so nothing stops a retry from posting one again.",
                       changing_refunds(_without_external_id)),
    "posts_twice": (posts_twice.__doc__, posts_twice),
    "matches_lines_by_sku": (_first_line_with_the_item.__doc__, changing_refunds(_first_line_with_the_item)),
    "rate_limit_is_final": (rate_limit_is_final.__doc__, rate_limit_is_final),
    "final_refusal_is_retried": (final_refusal_is_retried.__doc__, final_refusal_is_retried),
}
