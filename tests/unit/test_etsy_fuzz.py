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


PARAMS = ["min_created", "max_created", "min_last_modified", "max_last_modified", "limit", "offset", "sort_on",
          "sort_order", "was_paid", "was_shipped", "was_delivered", "was_canceled"]


def test_malformed_query_parameters_get_the_platforms_4xx():
    """The listing parameters Etsy's receipts route reads, which the generic fuzz does not name."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.fuzzing import ODD_IDS, ODD_STRINGS, ODD_TIMES, check
    from tests.property_budget import examples

    target = etsy_target()
    values = st.one_of(st.sampled_from(ODD_IDS + ODD_TIMES + ODD_STRINGS + ["946684799", "946684800", "true", "false",
                                                                            "created", "updated", "asc", "down",
                                                                            "100", "101", "99999999999"]),
                       st.text(max_size=6))
    path = f"/v3/application/shops/{target.ids['shop_id'][0]}/receipts"

    @settings(max_examples=examples(50), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.dictionaries(st.sampled_from(PARAMS), values, max_size=4))
    def run(params: dict[str, str]) -> None:
        check(target, "GET", path, params, b"")

    run()
