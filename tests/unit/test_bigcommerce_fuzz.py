"""Malformed requests to every BigCommerce route: its own 4xx body, never an exception or a 5xx, and
state unchanged after a 4xx (the machinery is tests/fuzzing.py)."""
from __future__ import annotations

import json
from typing import Any

import httpx

from simulators.bigcommerce import BigCommerceSimulator
from tests.fuzzing import Target, fuzz, send
from tests.unit.storefront_helpers import usd_order


def bigcommerce_target() -> Target:
    sim = BigCommerceSimulator()
    sim.settings.quota = 10 ** 9   # the fuzz is about input, not the rate limit
    order = sim.add_order(usd_order(gateway="authorizenet"))
    token = sim.store.access_token

    def sign(request: httpx.Request) -> None:
        request.headers["X-Auth-Token"] = token

    def snapshot() -> Any:
        b = sim.backend
        return (json.dumps([vars(o) for o in b.orders.values()], default=str, sort_keys=True),
                sorted(b.refunds), sorted(b.hooks), len(sim.outbox))

    def error_shape(body: Any) -> bool:
        if isinstance(body, list):   # v2
            return bool(body) and all(isinstance(e, dict) and {"status", "message"} <= set(e) for e in body)
        return isinstance(body, dict) and {"status", "title", "type"} <= set(body)

    return Target(sim, "https://api.bigcommerce.com", sign,
                  {"order_id": [str(order["id"])], "refund_id": ["1"]}, {"store_hash": [sim.store.hash]},
                  snapshot, error_shape)


def test_malformed_requests_get_the_platforms_4xx() -> None:
    fuzz(bigcommerce_target())


def test_regressions_found_by_the_fuzz() -> None:
    target = bigcommerce_target()
    order_id = target.ids["order_id"][0]
    for method, path, params, body in [
        ("POST", f"/stores/{target.sim.store.hash}/v3/orders/{order_id}/payment_actions/refunds", {},
         b'{"items":[{"item_type":"PRODUCT","item_id":1e400,"quantity":1}],"payments":[]}'),
        ("POST", f"/stores/{target.sim.store.hash}/v3/orders/{order_id}/payment_actions/refund_quotes", {},
         b'{"items":[{"item_type":"ORDER","item_id":' + order_id.encode() + b',"amount":"NaN"}]}'),
        ("GET", f"/stores/{target.sim.store.hash}/v2/orders", {"min_date_modified": "Tue, 99 Foo 2026"}, b""),
        ("GET", f"/stores/{target.sim.store.hash}/v3/orders/payment_actions/refunds", {"order_id:in": "1,x"}, b""),
    ]:
        response = send(target, method, path, params, body)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
        assert target.error_shape(response.json()), response.text
