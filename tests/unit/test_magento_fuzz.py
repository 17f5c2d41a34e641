"""Malformed requests to every Magento route: Magento's 4xx ``{"message"}`` body, never an exception or
a 5xx, and no credit memo made or order changed by a 4xx (machinery in tests/fuzzing.py)."""
from __future__ import annotations

import json
from typing import Any

import httpx

from simulators.magento import MagentoSimulator
from tests.fuzzing import Target, fuzz
from tests.unit.storefront_helpers import usd_order


def magento_target() -> Target:
    sim = MagentoSimulator()
    order = sim.add_order(usd_order())

    def sign(request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {sim.access_token}"

    def snapshot() -> Any:
        b = sim.backend
        return (sorted(b.creditmemos), json.dumps([sim.backend.orders[order["entity_id"]].__dict__], default=str),
                [(i.entity_id, i.total_refunded) for i in b.invoices.values()])

    return Target(sim, f"https://{sim.domain}", sign,
                  {"order_id": [str(order["entity_id"])], "invoice_id": ["1"], "creditmemo_id": ["1"]},
                  {"store_code": ["default"]}, snapshot,
                  lambda b: isinstance(b, dict) and isinstance(b.get("message"), str)
                  and set(b) <= {"message", "parameters"})


def test_malformed_requests_get_the_platforms_4xx() -> None:
    fuzz(magento_target())
