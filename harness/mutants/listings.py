"""Bugs in how a connector reads listings, made at its HTTP boundary: every answer it receives
(NetSuite's and the storefront's) reaches it without the signs that a further page exists, so it reads
only the first page of every listing, as a connector with no paging loop (or a broken one) does."""
from __future__ import annotations

import re
from typing import Any

import httpx

from common import jsonio
from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine
from harness.mutants.wire import rewriting

_NEXT_LINK = re.compile(r'\s*<[^>]*>;\s*rel="?next"?\s*')
# Markers saying "there is more", wherever an answer puts them: set to "no more", or taken out.
_NO_MORE = {"hasMore": False, "hasNextPage": False}
_CONTINUATIONS = ("NextToken", "nextCursor")
_TOP_LEVEL_CONTINUATIONS = ("next", "cursor")


def _last_page(data: Any) -> Any:
    """``data`` with every sign of a further page turned into "this is the last page"."""
    if isinstance(data, list):
        return [_last_page(item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key in _CONTINUATIONS:
            continue
        out[key] = _NO_MORE[key] if key in _NO_MORE else _last_page(value)
    pagination = out.get("pagination")
    if isinstance(pagination, dict) and "total_pages" in pagination:   # page numbers with a page count
        out["pagination"] = {**pagination, "total_pages": pagination.get("current_page", 1),
                             "links": {k: v for k, v in (pagination.get("links") or {}).items() if k != "next"}}
    return out


def _first_page_only(data: Any) -> Any:
    data = _last_page(data)
    if not isinstance(data, dict):
        return data
    for key in _TOP_LEVEL_CONTINUATIONS:
        data.pop(key, None)
    if isinstance(data.get("links"), list):   # collection links: rel next
        data["links"] = [link for link in data["links"] if not (isinstance(link, dict) and link.get("rel") == "next")]
    if isinstance(data.get("items"), list) and "total_count" in data:   # a total to read up to
        data["total_count"] = len(data["items"])
    if isinstance(data.get("results"), list) and "count" in data:
        data["count"] = len(data["results"])
    return data


def _stripped(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    headers = httpx.Headers(response.headers)
    if "link" in headers:
        kept = ",".join(part for part in headers["link"].split(",") if not _NEXT_LINK.fullmatch(part))
        if kept:
            headers["link"] = kept
        else:
            del headers["link"]
    if "x-wp-totalpages" in headers:   # the page asked for is the last
        headers["x-wp-totalpages"] = request.url.params.get("page", "1")
    content = response.read()
    if content and "json" in headers.get("content-type", ""):
        try:
            content = jsonio.dumps(_first_page_only(jsonio.loads(content))).encode()
        except ValueError:
            pass   # not JSON after all: as it came
    headers.pop("content-length", None)
    headers.pop("content-encoding", None)
    return httpx.Response(response.status_code, headers=headers, content=content)


def first_page_only(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """The connector reads only the first page of every listing, NetSuite's and the storefront's."""
    return ReferenceConnector(build_engine(rewriting(
        context, lambda request, http: _stripped(http.send(request), request))))


MUTANTS = {
    "first_page_only": (first_page_only.__doc__, first_page_only),
}
