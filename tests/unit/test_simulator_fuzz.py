"""Malformed requests to every route of NetSuite, Shopify and Square: the platform's 4xx, never an
exception or a 5xx, and state unchanged after a 4xx (the machinery is tests/fuzzing.py; each further
platform's simulator has a fuzz test of its own built on it).

Each simulator is seeded with one order; hypothesis picks a route from ``Simulator.routes``, fills its
path groups with a real id or a malformed one, and sends a malformed body and query with valid auth.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from simulators.netsuite import NetSuiteSimulator
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator
from tests.fuzzing import LONG_ID, Target, deep, fuzz, send
from tests.unit.netsuite.helpers import BASE_URL, TbaSigner, make_world
from tests.unit.storefront_helpers import usd_order

# --- the simulators under test, each with one seeded order ------------------------------------

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
                  {"version": ["2024-10"]}, snapshot, lambda b: isinstance(b, dict) and set(b) == {"errors"})


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
                   "customer_id": [order.get("customer_id") or "x"], "refund_id": ["x"]}, {}, snapshot,
                  lambda b: isinstance(b, dict) and isinstance(b.get("errors"), list) and b["errors"]
                  and all({"category", "code", "detail"} <= set(e) for e in b["errors"]))


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
                   "target_type": ["cashSale", "invoice", "cashRefund"]}, snapshot,
                  lambda b: isinstance(b, dict) and isinstance(b.get("o:errorDetails"), list)
                  and all("o:errorCode" in e and "detail" in e for e in b["o:errorDetails"]))


TARGETS = {"shopify": shopify_target, "square": square_target, "netsuite": netsuite_target}


@pytest.mark.parametrize("platform", sorted(TARGETS))
def test_malformed_requests_get_the_platforms_4xx(platform: str) -> None:
    fuzz(TARGETS[platform]())


# --- regressions: each reported cause of an exception escaping handle -----------------------------

def _one(platform: str, method: str, path: str, params: dict[str, str] | None = None,
         body: bytes = b"") -> tuple[Target, httpx.Response]:
    target = TARGETS[platform]()
    group = {"shopify": "order_id", "netsuite": "ref"}.get(platform)
    path = path.replace("{id}", target.ids[group][0]) if group else path
    before = target.snapshot()
    response = send(target, method, path, params or {}, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert target.error_shape(response.json()), response.text[:300]
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
