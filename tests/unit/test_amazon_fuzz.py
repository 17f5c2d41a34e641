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
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
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


PARAMS = ["MarketplaceIds", "LastUpdatedAfter", "LastUpdatedBefore", "CreatedAfter", "CreatedBefore", "PostedAfter",
          "PostedBefore", "MaxResultsPerPage", "NextToken"]


def test_malformed_query_parameters_get_the_platforms_4xx():
    """The listing parameters Amazon's routes read, which the generic fuzz does not name."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.fuzzing import ODD_IDS, ODD_TIMES, ODD_STRINGS, check
    from tests.property_budget import examples

    target = amazon_target()
    values = st.one_of(st.sampled_from(ODD_IDS + ODD_TIMES + ODD_STRINGS + ["ATVPDKIKX0DER", "2026-01-01T00:00:00Z",
                                                                            "0", "100", "101", "e30"]),
                       st.text(max_size=6))
    paths = ["/orders/v0/orders", "/finances/v0/financialEvents",
             f"/finances/v0/orders/{target.ids['order_id'][0]}/financialEvents",
             f"/orders/v0/orders/{target.ids['order_id'][0]}/orderItems"]

    @settings(max_examples=examples(50), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(path=st.sampled_from(paths), params=st.dictionaries(st.sampled_from(PARAMS), values, max_size=4))
    def run(path: str, params: dict[str, str]) -> None:
        check(target, "GET", path, params, b"")

    run()
