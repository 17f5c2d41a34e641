"""Malformed requests to every route of the Etsy simulator: Etsy's own 4xx error body, never an
exception or a 5xx, and no state change (machinery in tests/fuzzing.py)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from simulators.etsy import EtsySimulator
from tests.fuzzing import Target, fuzz
from tests.unit.storefront_helpers import usd_order


def etsy_target() -> Target:
    sim = EtsySimulator()
    sim.settings.rate_limits = False   # the fuzz is about input, not the rate limit
    receipt = sim.add_order(usd_order())
    sim.refund_in_shop_manager(receipt["receipt_id"], Decimal("5.00"))
    key, token = sim.shop.api_key, sim.shop.access_token

    def sign(request: httpx.Request) -> None:
        request.headers["x-api-key"] = key
        request.headers["Authorization"] = f"Bearer {token}"

    def snapshot() -> Any:
        return [(r.receipt_id, r.updated, [(f.amount, f.created) for f in r.refunds])
                for r in sim.backend.receipts.values()]

    return Target(sim, "https://openapi.etsy.com", sign,
                  {"shop_id": [str(sim.shop.shop_id)], "receipt_id": [str(receipt["receipt_id"])]}, {}, snapshot,
                  lambda b: isinstance(b, dict) and set(b) == {"error"} and isinstance(b["error"], str))


def test_malformed_requests_get_the_platforms_4xx():
    fuzz(etsy_target())
