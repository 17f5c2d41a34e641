"""Malformed requests to every route of the eBay simulator: eBay's 4xx error body, never an
exception or a 5xx, and state unchanged after a 4xx (machinery in tests/fuzzing.py)."""
from __future__ import annotations

import json
from typing import Any

import httpx

from simulators.ebay import EbaySimulator
from tests.fuzzing import Target, fuzz, send
from tests.unit.storefront_helpers import usd_order


def ebay_target() -> Target:
    sim = EbaySimulator()
    order = sim.add_order(usd_order())
    token = sim.access_token

    def sign(request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    def snapshot() -> Any:
        b = sim.backend
        return json.dumps([sorted(b.refunds), {k: len(v) for k, v in b.external.items()},
                           [(o.order_id, list(o.refund_ids)) for o in b.orders.values()]])

    def error_shape(body: Any) -> bool:
        return (isinstance(body, dict) and isinstance(body.get("errors"), list) and bool(body["errors"])
                and all({"errorId", "domain", "category", "message"} <= set(e) for e in body["errors"]))

    return Target(sim, "https://api.ebay.com", sign, {"order_id": [order["orderId"]]}, {}, snapshot, error_shape)


def test_malformed_requests_get_the_platforms_4xx() -> None:
    fuzz(ebay_target())


def test_regressions() -> None:
    target = ebay_target()
    order_id = next(iter(target.sim.backend.orders))
    path = f"/sell/fulfillment/v1/order/{order_id}/issue_refund"
    for body in (b'{"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": {"value": 1e30, "currency": "USD"}}',
                 b'{"reasonForRefund": "BUYER_RETURN", "refundItems": [{"lineItemId": "x", "refundAmount": null}]}',
                 b'{"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": {"value": "1.00", "currency": "JPY"}}',
                 b"[]", b"{", b""):
        response = send(target, "POST", path, {}, body)
        assert response.status_code == 400, response.text
    for query in ({"filter": "lastmodifieddate:[..]"}, {"limit": "201"}, {"offset": "-1"}, {"filter": "x"},
                  {"filter": "creationdate:[9999-01-01T00:00:00Z..]"}):
        response = send(target, "GET", "/sell/fulfillment/v1/order", query, b"")
        assert response.status_code == 400, (query, response.text)
