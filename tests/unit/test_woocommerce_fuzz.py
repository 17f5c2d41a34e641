"""Malformed requests to every route of the WooCommerce simulator: WooCommerce's own 4xx error body,
never an exception, and state unchanged after a refusal (the machinery is tests/fuzzing.py).

One 5xx is exempt, and only that one: WooCommerce answers a refund of more than the order has left
("Invalid refund amount.") with HTTP 500 ``woocommerce_rest_cannot_create_order_refund``. That is
the real controller's answer to a well-formed request it refuses (it maps every ``wc_create_refund``
failure to 500), so the simulator keeps it; the fuzz still demands the error body and unchanged state.
"""
from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from simulators.woocommerce import WooCommerceSimulator
from tests.fuzzing import LONG_ID, Target, deep, fuzz, send
from tests.unit.storefront_helpers import usd_order

OVER_REFUND = {"code": "woocommerce_rest_cannot_create_order_refund", "message": "Invalid refund amount.",
               "data": {"status": 500}}


def is_over_refund(response: httpx.Response) -> bool:
    """The documented business refusal, exactly: status 500 and WooCommerce's own body for it."""
    return response.status_code == 500 and response.json() == OVER_REFUND


def woocommerce_target() -> Target:
    sim = WooCommerceSimulator()
    order = sim.add_order(usd_order(gateway="stripe"))
    basic = base64.b64encode(f"{sim.consumer_key}:{sim.consumer_secret}".encode()).decode()

    def sign(request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Basic {basic}"

    def snapshot() -> Any:
        return (json.dumps(sim.order(order["id"]), default=str, sort_keys=True), sorted(sim.backend.webhooks),
                len(sim.deliveries))

    return Target(sim, f"https://{sim.host}", sign,
                  {"order_id": [str(order["id"])], "refund_id": ["1"], "webhook_id": ["1"],
                   "gateway_id": ["stripe", "bacs", "nope"]}, {}, snapshot,
                  lambda b: isinstance(b, dict) and set(b) == {"code", "message", "data"}
                  and isinstance(b["data"], dict) and 400 <= b["data"].get("status", 0) < 600,
                  documented_5xx=is_over_refund)


def test_malformed_requests_get_the_platforms_4xx() -> None:
    fuzz(woocommerce_target())


def test_the_exemption_is_only_the_over_refund() -> None:
    """Another 500 (a gateway that cannot refund) is not exempt; nor is a 500 with another message."""
    target = woocommerce_target()
    over = send(target, "POST", f"/wp-json/wc/v3/orders/{target.ids['order_id'][0]}/refunds", {},
                b'{"amount": "100000.00"}')
    assert is_over_refund(over)
    offline = WooCommerceSimulator()
    order = offline.add_order(usd_order(gateway="cod"))
    basic = base64.b64encode(f"{offline.consumer_key}:{offline.consumer_secret}".encode()).decode()
    refused = offline.handle(httpx.Request("POST", f"https://{offline.host}/wp-json/wc/v3/orders/{order['id']}/refunds",
                                           json={"amount": "1.00"}, headers={"Authorization": f"Basic {basic}"}))
    assert refused.status_code == 500 and not is_over_refund(refused)


ORDER = "/wp-json/wc/v3/orders/{id}"
REGRESSIONS = {
    "json nested 10,000 deep": ("POST", ORDER + "/refunds", None, deep(10_000).encode()),
    "amount 1e30": ("POST", ORDER + "/refunds", None, b'{"amount": "1e30"}'),
    "amount NaN": ("POST", ORDER + "/refunds", None, b'{"amount": "NaN"}'),
    "amount as a number": ("POST", ORDER + "/refunds", None, b'{"amount": 5}'),
    "negative amount": ("POST", ORDER + "/refunds", None, b'{"amount": "-1.00"}'),
    "refund_total Infinity": ("POST", ORDER + "/refunds", None,
                              b'{"line_items": [{"id": 1, "quantity": 1, "refund_total": "Infinity"}]}'),
    "quantity 10^30": ("POST", ORDER + "/refunds", None,
                       b'{"line_items": [{"id": 1, "quantity": 1000000000000000000000000000000}]}'),
    "refund_tax not a list": ("POST", ORDER + "/refunds", None, b'{"line_items": [{"id": 1, "refund_tax": 3}]}'),
    "superscript per_page": ("GET", "/wp-json/wc/v3/orders", {"per_page": "²"}, b""),
    "per_page 0": ("GET", "/wp-json/wc/v3/orders", {"per_page": "0"}, b""),
    "modified_after in year 1": ("GET", "/wp-json/wc/v3/orders", {"modified_after": "0001-01-01T00:00:00Z"}, b""),
    "5,000-digit order id": ("GET", f"/wp-json/wc/v3/orders/{LONG_ID}", None, b""),
    "5,000-digit refund id": ("GET", ORDER + f"/refunds/{LONG_ID}", None, b""),
    "webhook with a list for a topic": ("POST", "/wp-json/wc/v3/webhooks", None,
                                        b'{"topic": ["order.updated"], "delivery_url": "https://x.example/"}'),
    "body that is not an object": ("POST", ORDER + "/refunds", None, b"[]"),
}


@pytest.mark.parametrize("case", sorted(REGRESSIONS))
def test_reported_cause_gets_the_platforms_4xx(case: str) -> None:
    method, path, params, body = REGRESSIONS[case]
    target = woocommerce_target()
    before = target.snapshot()
    response = send(target, method, path.replace("{id}", target.ids["order_id"][0]), params or {}, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert target.error_shape(response.json()), response.text[:300]
    assert target.snapshot() == before
