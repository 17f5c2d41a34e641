"""Malformed requests to every route of the Amazon simulator: Amazon's own 4xx error body, never an
exception or a 5xx, and no state change (machinery in tests/fuzzing.py)."""
from __future__ import annotations

from typing import Any

import httpx

from simulators.amazon import AmazonSimulator
from tests.fuzzing import Target, fuzz
from tests.unit.storefront_helpers import usd_order


def amazon_target() -> Target:
    sim = AmazonSimulator()
    sim.settings.rate_limits = False   # the fuzz is about input, not the rate limit
    order, items = sim.add_order(usd_order())
    sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1})
    token = sim.seller.access_token

    def sign(request: httpx.Request) -> None:
        request.headers["x-amz-access-token"] = token

    def snapshot() -> Any:
        b = sim.backend
        return ([(e.amazon_order_id, e.released, len(e.items)) for e in b.refunds],
                [(i.refunded_units, sorted(i.refunded.items())) for o in b.orders.values() for i in o.items],
                len(b.reports))

    return Target(sim, "https://sellingpartnerapi-na.amazon.com", sign, {"order_id": [order["AmazonOrderId"]]}, {},
                  snapshot, lambda b: isinstance(b, dict) and isinstance(b.get("errors"), list) and b["errors"]
                  and all({"code", "message", "details"} <= set(e) for e in b["errors"]))


def test_malformed_requests_get_the_platforms_4xx():
    fuzz(amazon_target())
