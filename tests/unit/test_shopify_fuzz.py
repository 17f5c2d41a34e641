"""Fuzz of the Shopify simulator's GraphQL endpoint: malformed documents, variables of the wrong types,
odd operation names. Every answer is Shopify's own shape (HTTP 200 with ``errors``, or a 400 with
``{"errors": ...}`` for a body with no query), never an exception or a 5xx, and nothing changes unless
a refundCreate actually created a refund. (The REST routes are fuzzed in test_simulator_fuzz.py.)"""
from __future__ import annotations

import json
import os
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.storefronts import shopify as adapter_queries
from simulators.shopify import ShopifySimulator
from tests.fuzzing import ODD_IDS, ODD_NUMBERS, ODD_STRINGS, json_value
from tests.property_budget import examples
from tests.unit.storefront_helpers import usd_order

VALID = [adapter_queries.Q_ORDER, adapter_queries.Q_ORDER_REFUNDS, adapter_queries.Q_REFUND, adapter_queries.Q_ORDERS,
         adapter_queries.Q_SUGGESTED, adapter_queries.Q_TRANSACTIONS, adapter_queries.M_REFUND_CREATE,
         "{ orders(first: 5) { edges { cursor node { id } } pageInfo { hasNextPage } } }",
         "{ order(id: \"gid://shopify/Order/1\") { id } }"]
TOKENS = ["{", "}", "(", ")", "$", "!", "...", "@include", "query", "mutation", "fragment X on Order", ":", "\"",
          "\"\"\"", "#", "[", "]", "first: -1", "first: 999999999999", "id: 1.5", "$id: ID", "__typename",
          "__schema { types { name } }", "on", "&", "\ud800", "\u0000", "orders", "refundCreate", "nodes"]
VARIABLE_NAMES = ["id", "first", "after", "query", "lines", "shipping", "input"]
ODD = ODD_IDS + ODD_NUMBERS + ODD_STRINGS + ["gid://shopify/Order/1", "gid://shopify/Order/" + "9" * 40,
                                             "gid://shopify/LineItem/x", "updated_at:>'not a time'", "AND AND",
                                             "updated_at:>='9999-99-99'"]


@st.composite
def documents(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(base)))
        edit = draw(st.sampled_from(["insert", "delete", "swap"]))
        if edit == "insert":
            base = base[:at] + draw(st.sampled_from(TOKENS)) + base[at:]
        elif edit == "delete":
            base = base[:at] + base[at + draw(st.integers(1, 20)):]
        else:
            base = base[at:] + base[:at]
    return base


queries = st.one_of(documents(), st.text(max_size=40), st.sampled_from(["{" * 3000 + "}" * 3000, "", " ",
                                                                        "query { order(id: " + "[" * 4000 + ") }"]))
variables = st.one_of(
    st.dictionaries(st.sampled_from(VARIABLE_NAMES), st.one_of(st.sampled_from(ODD), json_value), max_size=4),
    json_value)
bodies = st.one_of(
    st.fixed_dictionaries({"query": queries}, optional={"variables": variables,
                                                        "operationName": st.one_of(st.none(), st.text(max_size=8),
                                                                                   st.integers(), st.sampled_from(
                                                                                       ["Order", "RefundCreate"]))}),
    json_value)


def _shop() -> tuple[ShopifySimulator, dict]:
    sim = ShopifySimulator()
    sim.settings.graphql_maximum_available = sim.settings.graphql_restore_rate = 10.0 ** 9   # input, not cost
    return sim, sim.add_order(usd_order())


def _snapshot(sim: ShopifySimulator, order: dict) -> str:
    return json.dumps(sim.order(order["id"]), default=str, sort_keys=True)


def _send(sim: ShopifySimulator, body: Any) -> httpx.Response:
    content = json.dumps(body, default=str).encode("utf-8", "surrogatepass")
    return sim.handle(httpx.Request("POST", f"https://{sim.shop_domain}/admin/api/2024-10/graphql.json",
                                    content=content, headers={"X-Shopify-Access-Token": sim.access_token,
                                                              "Content-Type": "application/json"}))


def check(sim: ShopifySimulator, order: dict, body: Any) -> None:
    before = _snapshot(sim, order)
    response = _send(sim, body)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    answer = response.json()
    assert isinstance(answer, dict) and ("errors" in answer or "data" in answer), response.text[:500]
    if response.status_code >= 400:
        assert set(answer) == {"errors"}, response.text[:500]
    else:
        assert response.status_code == 200
        for error in answer.get("errors") or []:
            assert isinstance(error, dict) and isinstance(error.get("message"), str), error
    created = ((answer.get("data") or {}).get("refundCreate") or {}).get("refund") \
        if isinstance(answer.get("data"), dict) else None
    if not created:
        assert _snapshot(sim, order) == before, f"state changed without a refund: {response.text[:300]}"


def test_graphql_malformed_requests_get_the_platforms_4xx() -> None:
    count = int(os.environ.get("FUZZ_REQUESTS") or 0) or examples(50)
    sim, order = _shop()

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=bodies)
    def run(body: Any) -> None:
        check(sim, order, body)

    run()


def test_wrong_variable_types_and_syntax_errors_are_graphql_errors_with_locations() -> None:
    sim, order = _shop()
    answer = _send(sim, {"query": adapter_queries.Q_ORDER, "variables": {"id": [1, 2]}}).json()
    assert answer["errors"][0]["message"].startswith("Variable '$id'") and "locations" in answer["errors"][0]
    syntax = _send(sim, {"query": "{ order(id: "}).json()
    assert syntax["errors"][0]["locations"] == [{"line": 1, "column": 13}] and "data" not in syntax
    unknown = _send(sim, {"query": "{ order(id: \"gid://shopify/Order/1\") { nope } }"}).json()
    assert "nope" in unknown["errors"][0]["message"]
    deep = _send(sim, {"query": "{" * 3000 + "}" * 3000}).json()
    assert deep["errors"] and "data" not in deep
    assert _send(sim, {"variables": {}}).status_code == 400
