"""Malformed requests to every route of every simulator: the platform's 4xx, never an exception or a 5xx,
and state unchanged after a 4xx.

Each simulator is seeded with one order; hypothesis picks a route from ``Simulator.routes``, fills its
path groups with a real id or a malformed one, and sends a malformed body and query with valid auth.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.core.base import Simulator
from simulators.netsuite import NetSuiteSimulator
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator
from tests.property_budget import examples
from tests.unit.netsuite.helpers import BASE_URL, TbaSigner, make_world
from tests.unit.storefront_helpers import usd_order

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


# --- the simulators under test, each with one seeded order ------------------------------------

@dataclass
class Target:
    sim: Simulator
    base: str
    sign: Callable[[httpx.Request], None]
    ids: dict[str, list[str]]           # path group -> valid ids
    fixed: dict[str, list[str]]         # path group -> values a route needs (api version, record type)
    snapshot: Callable[[], Any]


def shopify_target() -> Target:
    sim = ShopifySimulator()
    sim.settings.bucket_size = 10 ** 9  # the fuzz is about input, not the rate limit
    order = sim.add_order(usd_order())
    token = sim.access_token

    def sign(request: httpx.Request) -> None:
        request.headers["X-Shopify-Access-Token"] = token

    def snapshot() -> Any:
        return (json.dumps([sim.order(order["id"])], default=str, sort_keys=True),
                sorted(sim.backend.webhooks), len(sim.outbox.deliveries))

    return Target(sim, f"https://{sim.shop_domain}", sign,
                  {"order_id": [str(order["id"])], "refund_id": ["1"], "webhook_id": ["1"]},
                  {"version": ["2024-10"]}, snapshot)


def square_target() -> Target:
    sim = SquareSimulator()
    order, payment = sim.add_order(usd_order())
    token = sim.access_token

    def sign(request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    def snapshot() -> Any:
        b = sim.backend
        return (sorted(b.refunds), [(p.id, p.status, list(p.refund_ids)) for p in b.payments.values()])

    return Target(sim, "https://connect.squareup.com", sign,
                  {"order_id": [order["id"]], "payment_id": [payment["id"]],
                   "customer_id": [order.get("customer_id") or "x"], "refund_id": ["x"]}, {}, snapshot)


def netsuite_target() -> Target:
    world = make_world()
    sim = world.sim
    signer = TbaSigner(sim.credentials, world.clock)
    item = sim.add_inventory_item("SKU-1", "Widget", "10.00")
    customer = sim.enter("customer", {"companyName": "Acme", "email": "a@example.com"})
    so = sim.enter("salesOrder", {"entity": {"id": customer}, "item": {"items": [
        {"item": {"id": item}, "quantity": 2, "rate": Decimal("10.00")}]}})

    def sign(request: httpx.Request) -> None:
        request.headers["Authorization"] = signer.authorization(request.method, str(request.url))

    def snapshot() -> Any:
        return json.dumps({t: sim.records(t) for t in ("salesOrder", "customer", "inventoryItem", "cashSale",
                                                        "cashRefund", "invoice", "creditMemo")},
                          default=str, sort_keys=True)

    return Target(sim, BASE_URL, sign, {"ref": [so, customer, item, "eid:x"], "line": ["1"]},
                  {"record_type": ["salesOrder", "customer", "cashSale", "inventoryItem"],
                   "target_type": ["cashSale", "invoice", "cashRefund"]}, snapshot)


TARGETS = {"shopify": shopify_target, "square": square_target, "netsuite": netsuite_target}
ERROR_SHAPES: dict[str, Callable[[Any], bool]] = {
    "shopify": lambda b: isinstance(b, dict) and set(b) == {"errors"},
    "square": lambda b: isinstance(b, dict) and isinstance(b.get("errors"), list) and b["errors"]
    and all({"category", "code", "detail"} <= set(e) for e in b["errors"]),
    "netsuite": lambda b: isinstance(b, dict) and isinstance(b.get("o:errorDetails"), list)
    and all("o:errorCode" in e and "detail" in e for e in b["o:errorDetails"]),
}
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


def check(platform: str, target: Target, method: str, path: str, params: dict[str, str], body: bytes) -> None:
    before = target.snapshot()
    response = send(target, method, path, params, body)
    status = response.status_code
    assert status < 500, (status, response.text[:500])
    if 400 <= status < 500:
        assert ERROR_SHAPES[platform](response.json()), response.text[:500]
        assert target.snapshot() == before, f"{method} {path} changed state but answered {status}"
    else:
        assert 200 <= status < 300, status


@pytest.mark.parametrize("platform", sorted(TARGETS))
def test_malformed_requests_get_the_platforms_4xx(platform: str) -> None:
    target = TARGETS[platform]()

    @settings(max_examples=examples(50), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=requests(target))
    def run(request: tuple[str, str, dict[str, str], bytes]) -> None:
        method, path, params, body = request
        check(platform, target, method, path, params, body)

    run()


# --- regressions: each reported cause of an exception escaping handle -----------------------------

def _one(platform: str, method: str, path: str, params: dict[str, str] | None = None,
         body: bytes = b"") -> tuple[Target, httpx.Response]:
    target = TARGETS[platform]()
    group = {"shopify": "order_id", "netsuite": "ref"}.get(platform)
    path = path.replace("{id}", target.ids[group][0]) if group else path
    before = target.snapshot()
    response = send(target, method, path, params or {}, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert ERROR_SHAPES[platform](response.json()), response.text[:300]
    assert target.snapshot() == before
    return target, response


SHOP = "/admin/api/2024-10"
REGRESSIONS = {
    "json nested 10,000 deep": ("square", "POST", "/v2/orders/search", None, deep(10_000).encode()),
    "json nested 10,000 deep (netsuite)": ("netsuite", "POST", "/services/rest/record/v1/salesOrder", None,
                                           deep(10_000).encode()),
    "shopify amount 1e30": ("shopify", "POST", SHOP + "/orders/{id}/refunds/calculate.json", None,
                            b'{"refund": {"shipping": {"amount": "1e30"}}}'),
    "shopify amount 1e-30": ("shopify", "POST", SHOP + "/orders/{id}/refunds.json", None,
                             b'{"refund": {"shipping": {"amount": 1e-30}}}'),
    "shopify amount NaN": ("shopify", "POST", SHOP + "/orders/{id}/refunds.json", None,
                           b'{"refund": {"transactions": [{"amount": "NaN"}]}}'),
    "shopify amount Infinity": ("shopify", "POST", SHOP + "/orders/{id}/refunds.json", None,
                                b'{"refund": {"transactions": [{"amount": "Infinity"}]}}'),
    "superscript digit since_id": ("shopify", "GET", SHOP + "/orders.json", {"since_id": "²"}, b""),
    "superscript digit limit": ("shopify", "GET", SHOP + "/orders.json", {"limit": "²"}, b""),
    "arabic-indic digit limit": ("netsuite", "GET", "/services/rest/record/v1/salesOrder", {"limit": "١٢"}, b""),
    "superscript digit square limit": ("square", "GET", "/v2/payments", {"limit": "²"}, b""),
    "5,000-digit order id": ("shopify", "GET", SHOP + f"/orders/{LONG_ID}.json", None, b""),
    "5,000-digit line number": ("netsuite", "GET", "/services/rest/record/v1/salesOrder/{id}/item/" + LONG_ID, None, b""),
    "malformed page_info (not base64)": ("shopify", "GET", SHOP + "/orders.json", {"page_info": "!!!"}, b""),
    "malformed page_info (bad json)": ("shopify", "GET", SHOP + "/orders.json", {"page_info": "eyJ4Ijp9"}, b""),
    "square end_time in year 1": ("square", "GET", "/v2/payments", {"end_time": "0001-01-01T00:00:00Z"}, b""),
    "square begin_time in year 1": ("square", "GET", "/v2/refunds", {"begin_time": "0001-01-01T00:00:00+14:00"}, b""),
    "square unparseable end_time": ("square", "GET", "/v2/refunds", {"end_time": "2026-13-45T99:99:99Z"}, b""),
    "list where a string belongs": ("square", "POST", "/v2/refunds", None,
                                    b'{"idempotency_key": ["k"], "payment_id": "p", '
                                    b'"amount_money": {"amount": 1, "currency": "USD"}}'),
    "square amount 10^30": ("square", "POST", "/v2/refunds", None,
                            b'{"idempotency_key": "k", "payment_id": "p", '
                            b'"amount_money": {"amount": 1000000000000000000000000000000, "currency": "USD"}}'),
    "lone surrogate in suiteql": ("netsuite", "POST", "/services/rest/query/v1/suiteql", None,
                                  b'{"q": "SELECT id FROM transaction WHERE memo = \'\\ud800\'"}'),
    "null transform body": ("netsuite", "POST", "/services/rest/record/v1/salesOrder/{id}/!transform/cashSale",
                            None, b"null"),
    "netsuite quantity 10^30": ("netsuite", "POST", "/services/rest/record/v1/salesOrder", None,
                                b'{"entity": {"id": "1"}, "item": {"items": [{"item": {"id": "1"}, '
                                b'"quantity": 1000000000000000000000000000000, "rate": 1}]}}'),
    "shopify quantity 10^30": ("shopify", "POST", SHOP + "/orders/{id}/refunds.json", None,
                               b'{"refund": {"refund_line_items": [{"line_item_id": 1, '
                               b'"quantity": 1000000000000000000000000000000}]}}'),
}


@pytest.mark.parametrize("case", sorted(REGRESSIONS))
def test_reported_cause_gets_the_platforms_4xx(case: str) -> None:
    platform, method, path, params, body = REGRESSIONS[case]
    _one(platform, method, path, params, body)


def test_a_caught_exception_is_journaled_with_its_cause() -> None:
    """A ValueError no parser named becomes the platform's 400, and its cause is kept in the journal."""
    target = TARGETS["square"]()

    def unexpected(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a value nobody checked")

    target.sim.backend.list_payments = unexpected  # type: ignore[method-assign]
    response = send(target, "GET", "/v2/payments", {}, b"")
    assert response.status_code == 400
    assert target.sim.journal.entries()[-1].cause.startswith("ValueError")


def test_an_unlisted_exception_still_escapes() -> None:
    """The catch-all is narrow: a real bug (here a RuntimeError) is not dressed up as a 400."""
    target = TARGETS["square"]()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a real bug")

    target.sim.backend.list_payments = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        send(target, "GET", "/v2/payments", {}, b"")
