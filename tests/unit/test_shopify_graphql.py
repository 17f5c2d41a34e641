"""The Shopify simulator's GraphQL Admin API: shapes, global ids, MoneyBags in two currencies, cursor
pagination, suggestedRefund, refundCreate with userErrors, calculated query cost and THROTTLED."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from common import jsonio
from simulators.core.orders import LineSpec, OrderSpec
from simulators.shopify import ShopifySimulator
from simulators.shopify.graphql import operation_of

D = Decimal


def two_currency_order() -> OrderSpec:
    return OrderSpec(currency="EUR", shop_currency="USD", exchange_rate=D("1.0850"),
                     lines=(LineSpec("TEE-1", "Tee", D("20.00"), 2, D("5.00"), D("0.08")),),
                     shipping=D("7.00"), shipping_tax_rate=D("0.08"), gateway="shopify_payments")


class Shop:
    def __init__(self) -> None:
        self.sim = ShopifySimulator(seed=11)
        self.url = f"https://{self.sim.shop_domain}/admin/api/2024-10/graphql.json"

    def post(self, query: str, variables: dict | None = None, **headers: str) -> httpx.Response:
        return self.sim.handle(httpx.Request("POST", self.url, content=jsonio.dumps(
            {"query": query, "variables": variables or {}}).encode(), headers={
            "X-Shopify-Access-Token": self.sim.access_token, "Content-Type": "application/json", **headers}))

    def gql(self, query: str, variables: dict | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        return jsonio.loads(response.content)


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_an_order_has_global_ids_and_money_in_the_shops_and_the_customers_currency(shop: Shop) -> None:
    placed = shop.sim.add_order(two_currency_order())
    answer = shop.gql("""query($id: ID!) { order(id: $id) { id legacyResourceId currencyCode presentmentCurrencyCode
        displayFinancialStatus totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
        lineItems(first: 5) { edges { cursor node { id sku originalUnitPriceSet { shopMoney { amount } } } } } } }""",
                      {"id": f"gid://shopify/Order/{placed['id']}"})
    order = answer["data"]["order"]
    assert order["id"] == f"gid://shopify/Order/{placed['id']}" and order["legacyResourceId"] == str(placed["id"])
    assert (order["currencyCode"], order["presentmentCurrencyCode"], order["displayFinancialStatus"]) == \
        ("USD", "EUR", "PAID")
    # 35.00 + 2.80 tax + 7.00 + 0.56 = 45.36 EUR; each amount converted at 1.0850 and rounded
    assert order["totalPriceSet"] == {"shopMoney": {"amount": "49.22", "currencyCode": "USD"},
                                      "presentmentMoney": {"amount": "45.36", "currencyCode": "EUR"}}
    [edge] = order["lineItems"]["edges"]
    assert edge["node"]["id"].startswith("gid://shopify/LineItem/") and edge["cursor"]
    assert edge["node"]["originalUnitPriceSet"] == {"shopMoney": {"amount": "21.70"}}
    cost = answer["extensions"]["cost"]
    assert set(cost) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    assert cost["throttleStatus"]["maximumAvailable"] == 1000.0 and cost["throttleStatus"]["restoreRate"] == 50.0
    # order 1 + its MoneyBag (1 + 2) + lineItems connection 2 + 5 x (line 1 + bag 1 + shopMoney 1)
    assert cost["requestedQueryCost"] == 1 + 3 + 2 + 5 * 3
    assert cost["actualQueryCost"] == 1 + 3 + 2 + 1 * 3   # one line came back


def test_unknown_order_is_null_and_a_bad_gid_is_an_error(shop: Shop) -> None:
    assert shop.gql('{ order(id: "gid://shopify/Order/1") { id } }')["data"] == {"order": None}
    bad = shop.gql('{ order(id: "1001") { id } }')
    assert bad["errors"][0]["message"].startswith("Invalid global id") and bad["errors"][0]["path"] == ["order"]


def test_orders_page_with_cursors_and_filter_by_updated_at(shop: Shop) -> None:
    start = shop.sim.clock.now()
    ids = []
    for _ in range(3):
        ids.append(shop.sim.add_order(two_currency_order())["id"])
        shop.sim.clock.advance(timedelta(minutes=1))
    query = """query($after: String, $q: String) { orders(first: 2, after: $after, query: $q) {
        pageInfo { hasNextPage endCursor } nodes { legacyResourceId } } }"""
    first = shop.gql(query, {"q": f"updated_at:>='{start.isoformat()}'"})["data"]["orders"]
    assert [n["legacyResourceId"] for n in first["nodes"]] == [str(i) for i in ids[:2]]
    assert first["pageInfo"]["hasNextPage"]
    second = shop.gql(query, {"after": first["pageInfo"]["endCursor"]})["data"]["orders"]
    assert [n["legacyResourceId"] for n in second["nodes"]] == [str(ids[2])] and not second["pageInfo"]["hasNextPage"]
    later = (start + timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    newer = shop.gql(query, {"q": f"updated_at:>'{later}'"})["data"]["orders"]
    assert [n["legacyResourceId"] for n in newer["nodes"]] == [str(ids[2])]
    refused = shop.gql(query, {"q": "financial_status:paid"})
    assert "updated_at" in refused["errors"][0]["message"]


def test_suggested_refund_then_refund_create_in_the_paid_currency(shop: Shop) -> None:
    placed = shop.sim.add_order(two_currency_order())
    order_gid, line_gid = f"gid://shopify/Order/{placed['id']}", f"gid://shopify/LineItem/{placed['line_items'][0]['id']}"
    suggested = shop.gql("""query($id: ID!, $lines: [RefundLineItemInput!]) { order(id: $id) {
        suggestedRefund(refundLineItems: $lines, refundShipping: true) { amountSet { presentmentMoney { amount } }
          shipping { amountSet { presentmentMoney { amount } } }
          suggestedTransactions { kind gateway parentTransaction { id kind } maximumRefundableSet { presentmentMoney { amount } } } } } }""",
                         {"id": order_gid, "lines": [{"lineItemId": line_gid, "quantity": 1}]})
    s = suggested["data"]["order"]["suggestedRefund"]
    assert s["amountSet"]["presentmentMoney"]["amount"] == "26.46"   # 17.50 + 1.40 + 7.00 + 0.56
    [tx] = s["suggestedTransactions"]
    assert (tx["kind"], tx["parentTransaction"]["kind"], tx["maximumRefundableSet"]["presentmentMoney"]["amount"]) == \
        ("SUGGESTED_REFUND", "SALE", "45.36")
    mutation = """mutation($input: RefundInput!) { refundCreate(input: $input) {
        refund { id note totalRefundedSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
                 refundLineItems(first: 5) { nodes { quantity restockType subtotalSet { presentmentMoney { amount } } } } }
        userErrors { field message } } }"""
    refund_input = {"orderId": order_gid, "note": "n", "currency": "EUR",
                    "refundLineItems": [{"lineItemId": line_gid, "quantity": 1, "restockType": "NO_RESTOCK"}],
                    "transactions": [{"orderId": order_gid, "parentId": tx["parentTransaction"]["id"],
                                      "amount": "18.90", "kind": "REFUND", "gateway": "shopify_payments"}]}
    created = shop.gql(mutation, {"input": refund_input})
    payload = created["data"]["refundCreate"]
    assert payload["userErrors"] == []
    assert payload["refund"]["totalRefundedSet"] == {"shopMoney": {"amount": "20.51", "currencyCode": "USD"},
                                                     "presentmentMoney": {"amount": "18.90", "currencyCode": "EUR"}}
    assert payload["refund"]["refundLineItems"]["nodes"] == [
        {"quantity": 1, "restockType": "NO_RESTOCK", "subtotalSet": {"presentmentMoney": {"amount": "17.50"}}}]
    assert created["extensions"]["cost"]["requestedQueryCost"] >= 10   # a mutation costs 10 on its own
    # the same line again: one unit left; two asked -> userErrors, HTTP 200, nothing stored
    again = shop.gql(mutation, {"input": {**refund_input, "refundLineItems": [{"lineItemId": line_gid, "quantity": 2}],
                                          "transactions": []}})
    assert again["data"]["refundCreate"]["refund"] is None
    [error] = again["data"]["refundCreate"]["userErrors"]
    assert error["field"] == ["input", "refundLineItems", "quantity"] and "cannot refund more items" in error["message"]
    wrong_currency = shop.gql(mutation, {"input": {**refund_input, "currency": "USD"}})
    assert wrong_currency["data"]["refundCreate"]["userErrors"][0]["field"] == ["input", "currency"]
    assert len(shop.sim.order(placed["id"])["refunds"]) == 1
    refund_id = payload["refund"]["id"]
    read = shop.gql("query($id: ID!) { refund(id: $id) { id order { legacyResourceId } } }", {"id": refund_id})
    assert read["data"]["refund"] == {"id": refund_id, "order": {"legacyResourceId": str(placed["id"])}}


def test_a_query_the_bucket_cannot_pay_for_is_throttled_and_the_bucket_refills_with_time(shop: Shop) -> None:
    shop.sim.add_order(two_currency_order())
    query = "{ orders(first: 250) { nodes { id } } }"   # requests 2 + 250 = 252, costs 2 + 1 = 3
    for _ in range(3):
        assert "data" in shop.gql(query)
    shop.sim.cost_bucket.drain_to(100.0)   # drained by other calls
    throttled = shop.gql(query)
    assert throttled["errors"] == [{"message": "Throttled", "extensions": {
        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}]
    assert "data" not in throttled
    cost = throttled["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"], cost["throttleStatus"]["currentlyAvailable"]) == \
        (252, None, 100.0)
    shop.sim.clock.advance(timedelta(seconds=4))   # 50 points a second
    assert shop.gql(query)["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 300.0 - 3
    too_big = shop.gql("{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
    assert too_big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_graphql_does_not_spend_the_rest_bucket_and_rest_still_answers(shop: Shop) -> None:
    placed = shop.sim.add_order(two_currency_order())
    for _ in range(45):
        shop.gql("{ orders(first: 1) { nodes { id } } }")
    rest = shop.sim.handle(httpx.Request("GET", f"https://{shop.sim.shop_domain}/admin/api/2024-10/orders/"
                                                f"{placed['id']}.json",
                                         headers={"X-Shopify-Access-Token": shop.sim.access_token}))
    assert rest.status_code == 200 and rest.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
    order = rest.json()["order"]
    assert (order["currency"], order["presentment_currency"], order["total_price"]) == ("USD", "EUR", "49.22")
    assert order["total_price_set"]["presentment_money"] == {"amount": "45.36", "currency_code": "EUR"}


def test_a_body_without_a_query_is_a_400_and_a_wrong_token_a_401(shop: Shop) -> None:
    missing = shop.sim.handle(httpx.Request("POST", shop.url, content=b'{"variables": {}}',
                                            headers={"X-Shopify-Access-Token": shop.sim.access_token}))
    assert missing.status_code == 400 and missing.json() == {"errors": {"query": "Required parameter missing or invalid"}}
    assert shop.post("{ orders(first: 1) { nodes { id } } }", **{"X-Shopify-Access-Token": "nope"}).status_code == 401
    raw = shop.sim.handle(httpx.Request("POST", shop.url, content=b"{ orders(first: 1) { nodes { id } } }", headers={
        "X-Shopify-Access-Token": shop.sim.access_token, "Content-Type": "application/graphql"}))
    assert raw.status_code == 200 and raw.json()["data"] == {"orders": {"nodes": []}}


@pytest.mark.parametrize("query, operation", [
    ("{ order(id: \"x\") { id lineItems(first: 1) { nodes { id } } } }", "graphql:order"),
    ("query A { order(id: \"x\") { refunds { id } } }", "graphql:order.refunds"),
    ("{ order(id: \"x\") { suggestedRefund { amountSet { shopMoney { amount } } } } }", "graphql:order.suggestedRefund"),
    ("{ orders(first: 1) { nodes { id } } }", "graphql:orders"),
    ("{ refund(id: \"x\") { id } }", "graphql:refund"),
    ("mutation { refundCreate(input: {orderId: \"x\"}) { userErrors { message } } }", "graphql:refundCreate"),
    ("{ orders(first: 1) { nodes { id } } refund(id: \"x\") { id } }", "graphql"),
    ("{ order(id: ", "graphql"),
])
def test_fault_rules_can_name_a_graphql_operation(query: str, operation: str) -> None:
    assert operation_of(jsonio.dumps({"query": query}).encode()) == operation


# --- queries that must be refused before they run (a cycle, depth, size), in Shopify's error shape -----

def _refunded_order(shop: Shop, refunds: int) -> str:
    placed = shop.sim.add_order(OrderSpec(currency="USD", lines=(LineSpec("TEE-1", "Tee", D("10.00"), 25),)))
    for _ in range(refunds):
        shop.sim.refund_in_admin(placed["id"], lines=[(placed["line_items"][0]["id"], 1)])
    return f"gid://shopify/Order/{placed['id']}"


def _refunds_of_refunds(order_id: str, levels: int) -> str:
    """``order { refunds { order { refunds { ... id } } } }``, ``levels`` pairs deep."""
    nested = "id"
    for _ in range(levels):
        nested = f"refunds {{ order {{ {nested} }} }}"
    return f'query {{ order(id: "{order_id}") {{ {nested} }} }}'


def test_fragments_that_spread_each_other_are_a_graphql_error_not_a_crash(shop: Shop) -> None:
    answer = shop.gql("""query { order(id: "gid://shopify/Order/1") { ...A } }
        fragment A on Order { id ...B }
        fragment B on Order { name ...A }""")
    assert "data" not in answer
    assert answer["errors"][0]["message"].startswith("Cannot spread fragment 'A' within itself")


def test_a_query_nested_past_the_depth_limit_is_refused_before_it_runs(shop: Shop) -> None:
    answer = shop.gql(_refunds_of_refunds(_refunded_order(shop, 6), 7))
    assert "data" not in answer
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "MAX_DEPTH_EXCEEDED" and "exceeds the maximum depth of 12" in error["message"]


def test_a_query_sixty_or_thousands_deep_gets_the_same_error_not_pythons(shop: Shop) -> None:
    answer = shop.gql("query { " + "order(id: \"x\") { " * 60 + "id" + " }" * 60 + " }")
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "MAX_DEPTH_EXCEEDED", error
    # thousands deep, the GraphQL parser itself gives up, with a syntax error of its own
    (error,) = shop.gql("query { " + "order(id: \"x\") { " * 2000 + "id" + " }" * 2000 + " }")["errors"]
    assert error["message"] == "Syntax Error: Document is nested too deeply. Parsing aborted."


def test_a_thousand_aliases_are_refused(shop: Shop) -> None:
    fields = " ".join(f'o{n}: order(id: "gid://shopify/Order/{n}") {{ id }}' for n in range(1000))
    answer = shop.gql(f"query {{ {fields} }}")
    assert "data" not in answer and answer["errors"][0]["extensions"]["code"] == "MAX_FIELDS_EXCEEDED"


def test_an_answer_that_would_explode_stops_at_the_objects_limit(shop: Shop) -> None:
    # within the depth limit, but 20 refunds each pointing back at the order: 20^5 objects if answered
    answer = shop.gql(_refunds_of_refunds(_refunded_order(shop, 20), 5))
    assert any(e.get("extensions", {}).get("code") == "MAX_COST_EXCEEDED" for e in answer["errors"])


def test_legacy_resource_ids_are_unsigned_int64_and_return_lines_an_interface_connection() -> None:
    from graphql import GraphQLInterfaceType, get_named_type

    from simulators.shopify.graphql import SCHEMA

    for type_name in ("Order", "Refund"):
        assert str(SCHEMA.get_type(type_name).fields["legacyResourceId"].type) == "UnsignedInt64!"
    connection = SCHEMA.get_type("Return").fields["returnLineItems"].type
    assert str(connection) == "ReturnLineItemTypeConnection!"
    node = get_named_type(get_named_type(connection).fields["nodes"].type)
    assert isinstance(node, GraphQLInterfaceType) and node.name == "ReturnLineItemType"
