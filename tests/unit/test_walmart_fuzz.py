"""Malformed requests to every route of the Walmart simulator: Walmart's 4xx error body, never an
exception or a 5xx, and state unchanged after a 4xx (machinery in tests/fuzzing.py)."""
from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from simulators.walmart import HOST, WalmartSimulator
from simulators.walmart.responses import order_json
from tests.fuzzing import Target, fuzz, send
from tests.unit.storefront_helpers import usd_order


def walmart_target() -> Target:
    sim = WalmartSimulator()
    order = sim.add_order(usd_order())
    seller = sim.seller
    token, _ = sim.backend.issue_token(seller.client_id, seller.client_secret)
    basic = base64.b64encode(f"{seller.client_id}:{seller.client_secret}".encode()).decode()

    def sign(request: httpx.Request) -> None:
        request.headers.update({"WM_SEC.ACCESS_TOKEN": token, "WM_SVC.NAME": "fuzz",
                                "WM_QOS.CORRELATION_ID": "fuzz-1", "Authorization": f"Basic {basic}"})

    def snapshot() -> Any:
        return json.dumps([order_json(o) for o in sim.backend.orders.values()], default=str, sort_keys=True)

    return Target(sim, f"https://{HOST}", sign, {"purchase_order_id": [order["purchaseOrderId"]]}, {}, snapshot,
                  lambda b: isinstance(b, dict) and isinstance(b.get("errors"), list) and b["errors"]
                  and all({"code", "message", "category", "severity"} <= set(e) for e in b["errors"]))


def test_malformed_requests_get_the_platforms_4xx() -> None:
    fuzz(walmart_target())


def test_a_refund_body_with_wrong_types_everywhere_is_refused_with_walmarts_400() -> None:
    target = walmart_target()
    po = target.ids["purchase_order_id"][0]
    for body in [b'{"orderRefund": {"orderLines": {"orderLine": [{"lineNumber": "1", "refunds": {"refund": [{}]}}]}}}',
                 b'{"orderRefund": {"orderLines": {"orderLine": [{"lineNumber": "\xd9\xa3"}]}}}',
                 b'{"orderRefund": []}', b"[]", b"", b"{"]:
        response = send(target, "POST", f"/v3/orders/{po}/refund", {}, body)
        assert response.status_code == 400, (body, response.text)
        assert target.error_shape(response.json())
