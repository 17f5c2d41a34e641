"""Malformed requests for any simulator: hypothesis strategies over its own route table, and the
check every answer must pass (the platform's 4xx error body, never an exception or a 5xx, and state
unchanged after a 4xx). Each simulator's fuzz test builds a ``Target`` and calls ``fuzz``."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.core.base import Simulator
from tests.property_budget import examples

# --- malformed values -------------------------------------------------------------------------

ODD_DIGITS = ["²", "٣٤", "١٢٣", "𝟙𝟚", "Ⅻ", "½", "0x1F", "-1", "1e3", " 7", "7 "]
LONG_ID = "9" * 5000
ODD_IDS = ODD_DIGITS + [LONG_ID, "0", "", "eid:" + "x" * 3000, "%00", "\udcff".encode("utf-8", "surrogatepass").decode("latin-1")]
ODD_NUMBERS = [Decimal("1e30"), Decimal("1e-30"), Decimal("-1e30"), 10 ** 30, -(10 ** 30), "NaN", "Infinity", "-Infinity",
               "1e999999", "0.0000000000000000000001", "12.345", -1, 0, "²", "٣", True, None, [], {}, "1" * 5000]
ODD_TIMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-00-00", "not a time", "2026-13-45T99:99:99Z",
             "１２", "²", "-1", "1" * 400, "0001-01-01T00:00:00+14:00"]
ODD_STRINGS = ["", "\ud800", "x" * 5000, "²", "٣", "SELECT \ud800 FROM transaction", "null", "[]"]


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


json_leaf = st.one_of(st.sampled_from(ODD_NUMBERS), st.sampled_from(ODD_STRINGS), st.sampled_from(ODD_TIMES),
                      st.integers(), st.booleans(), st.none(), st.text(max_size=8))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELD_NAMES := [
        "refund", "refund_line_items", "line_item_id", "quantity", "amount", "shipping", "transactions",
        "parent_id", "webhook", "topic", "address", "idempotency_key", "payment_id", "amount_money", "currency",
        "location_ids", "query", "filter", "date_time_filter", "created_at", "start_at", "end_at", "cursor",
        "limit", "sort", "item", "items", "orderLine", "entity", "q", "externalId", "rate", "tranDate",
        "full_refund", "note", "reason", "state_filter", "states", "return_entries", "unknown_field"]),
        inner, max_size=4)), max_leaves=12)


def encode(value: Any) -> bytes:
    return json.dumps(value, default=str).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    json_value.map(encode),
    st.sampled_from([b"", b"null", b"{", b"\xff\xfe", deep(10_000).encode(), ("{\"a\":" * 5000 + "1" + "}" * 5000).encode(),
                     b'{"refund": null}', b'{"q": ["SELECT 1"]}', b'{"item": {"items": [{"orderLine": 1, "quantity": 1e30}]}}',
                     b'{"q": "SELECT id FROM transaction WHERE memo = \'\\ud800\'"}']),
)
query_values = st.one_of(st.sampled_from(ODD_IDS + ODD_TIMES + ODD_STRINGS + ["eyJ4Ijp9", "e30", "!!!", "AAAA"]),
                         st.text(max_size=6))
query_names = st.sampled_from(["limit", "offset", "page_info", "cursor", "since_id", "status", "updated_at_min",
                               "begin_time", "end_time", "sort_order", "sort_field", "location_id", "fields",
                               "expandSubResources", "replace", "topic", "q"])
queries = st.dictionaries(query_names, query_values, max_size=3)



@dataclass
class Target:
    """One simulator seeded with an order, and how to talk to it."""

    sim: Simulator
    base: str
    sign: Callable[[httpx.Request], None]
    ids: dict[str, list[str]]           # path group -> valid ids
    fixed: dict[str, list[str]]         # path group -> values a route needs (api version, record type)
    snapshot: Callable[[], Any]
    error_shape: Callable[[Any], bool]  # the platform's own error body
    # A 5xx the real platform answers on purpose to a well-formed request it refuses (WooCommerce's
    # "Invalid refund amount." is a 500), named by the platform's fuzz test; any other 5xx is a bug.
    documented_5xx: Callable[[httpx.Response], bool] = lambda response: False


GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def fill(pattern: str, values: dict[str, str]) -> str:
    path = GROUP.sub(lambda m: values[m.group(1)], pattern)
    return path.replace("\\.", ".").replace("\\", "")


@st.composite
def requests(draw: st.DrawFn, target: Target) -> tuple[str, str, dict[str, str], bytes]:
    r = draw(st.sampled_from(target.sim.routes))
    values = {}
    for name in r.pattern.groupindex:
        good = target.fixed.get(name) or target.ids.get(name, ["1"])
        choices = good if name in target.fixed else good + ODD_IDS
        values[name] = draw(st.sampled_from(choices))
    method = draw(st.sampled_from([r.method] * 4 + ["GET", "POST", "PUT", "PATCH", "DELETE"]))
    return method, fill(r.pattern.pattern, values), draw(queries), draw(bodies)


def send(target: Target, method: str, path: str, params: dict[str, str], body: bytes) -> httpx.Response:
    url = httpx.URL(target.base + path).copy_merge_params({k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                                 for k, v in params.items()})
    request = httpx.Request(method, url, content=body,
                            headers={"content-type": "application/json", "prefer": "transient"})
    target.sign(request)
    return target.sim.handle(request)


def check(target: Target, method: str, path: str, params: dict[str, str], body: bytes) -> None:
    before = target.snapshot()
    response = send(target, method, path, params, body)
    status = response.status_code
    assert status < 500 or target.documented_5xx(response), (status, response.text[:500])
    if 400 <= status:
        assert target.error_shape(response.json()), response.text[:500]
        assert target.snapshot() == before, f"{method} {path} changed state but answered {status}"
    else:
        assert 200 <= status < 300, status


def fuzz(target: Target, requests_per_run: int = 50) -> None:
    """``requests_per_run`` malformed requests; more under the thorough Hypothesis profile, and exactly
    ``FUZZ_REQUESTS`` when that is set (``make fuzz`` sends 2,000 to every simulator)."""
    count = int(os.environ.get("FUZZ_REQUESTS") or 0) or examples(requests_per_run)

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=requests(target))
    def run(request: tuple[str, str, dict[str, str], bytes]) -> None:
        check(target, *request)

    run()
