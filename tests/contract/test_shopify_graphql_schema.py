"""The Shopify simulator's GraphQL schema is Shopify's, type by type, for what it models; every document the
connector sends is valid against Shopify's schema; and the simulator answers as Shopify's types say.

Shopify's schema is the introspection result of Admin API 2024-10 vendored in contracts/shopify/ (its
source and commit are in the README there). Differences are fixed in the simulator or recorded, with a
reason, in the [shopify] section of contracts/exceptions.toml.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, build_schema, get_named_type, is_leaf_type,
)

from connector.storefronts import shopify as connector_shopify
from simulators.core.orders import LineSpec, OrderSpec
from simulators.shopify.graphql import SCHEMA, SDL
from tests.contract.shopify_schema import (
    API_VERSION, EXCEPTIONS_FILE, ROOT, SCHEMA_FILE, Walked, answer_errors, deprecated_uses, document_errors,
    exceptions, excused, schema_differences, shopify_schema, traffic_problems,
)
from tests.contract.one_scenario import one_scenario_project
from tests.unit.test_shopify_graphql import Shop

D = Decimal
README = ROOT / "contracts" / "shopify" / "README.md"
# every GraphQL document the connector's Shopify adapter sends (module constants Q_* and M_*)
CONNECTOR_DOCUMENTS = {name: value for name, value in vars(connector_shopify).items()
                       if name.startswith(("Q_", "M_")) and isinstance(value, str)}


def _blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def test_the_vendored_schema_is_the_file_the_readme_names() -> None:
    readme = README.read_text()
    assert _blob_id(SCHEMA_FILE.read_bytes()) in readme, \
        f"{SCHEMA_FILE.name} is not the file whose git blob id contracts/shopify/README.md names"
    assert f"API version {API_VERSION}" in readme
    assert shopify_schema().query_type.name == "QueryRoot"


def test_the_simulators_schema_is_shopifys_type_by_type() -> None:
    walked = Walked()
    differences = schema_differences(SCHEMA, shopify_schema(), walked)
    recorded = excused("schema")
    unexplained = [str(d) for d in differences if d.at not in recorded]
    assert not unexplained, (f"{len(unexplained)} difference(s) between the simulator's GraphQL schema and Shopify's "
                             f"{API_VERSION} schema:\n  " + "\n  ".join(unexplained))
    stale = sorted(recorded - {d.at for d in differences})
    assert not stale, f"{EXCEPTIONS_FILE.name} excuses schema differences that no longer exist: {stale}"
    # the walk really covered the schema (a check that compared nothing would pass too)
    assert walked.types == len([n for n in SCHEMA.type_map if not n.startswith("__")])
    assert walked.fields > 150 and walked.arguments > 20 and walked.enum_values > 50 and walked.input_fields > 10


@pytest.mark.parametrize(("change", "expected"), [
    ("totalTaxSet: MoneyBag totalShippingPriceSet", "Order.totalTaxSet: the simulator declares MoneyBag!, Shopify MoneyBag"),
    ("paymentGatewayNames: [String!]!", "Order.paymentGatewayNames: the simulator declares [String], Shopify [String!]!"),
    ("lastName: String\n}", "Customer.lastName: the simulator declares Int, Shopify String"),
    ("enum ReturnStatus { CANCELED", "ReturnStatus.REFUNDED: the simulator's enum ReturnStatus has REFUNDED"),
    ("type ReturnLineItem implements ReturnLineItemType", "ReturnLineItem: Shopify's ReturnLineItem implements "
                                                          "ReturnLineItemType, which the simulator declares"),
    ("lineItemId: ID! quantity: Int!", "RefundLineItemInput.lineItemId: the simulator takes ID, Shopify ID!"),
    ("refundCreate(input: RefundInput!)", "Mutation.refundCreate(input): the simulator takes RefundInput, Shopify RefundInput!"),
    ("type Location { id: ID! }", "Location.shelf: the simulator declares String; Shopify has no such field"),
    ("firstName: String lastName", "Customer.firstName: the simulator declares it deprecated ('gone'), Shopify not "
                                   "deprecated"),
])
def test_a_difference_names_the_field_and_both_types(change: str, expected: str) -> None:
    mutated = {
        "totalTaxSet: MoneyBag totalShippingPriceSet": "totalTaxSet: MoneyBag! totalShippingPriceSet",
        "paymentGatewayNames: [String!]!": "paymentGatewayNames: [String]",
        "lastName: String\n}": "lastName: Int\n}",
        "enum ReturnStatus { CANCELED": "enum ReturnStatus { REFUNDED CANCELED",
        "type ReturnLineItem implements ReturnLineItemType": "type ReturnLineItem",
        "lineItemId: ID! quantity: Int!": "lineItemId: ID quantity: Int!",
        "refundCreate(input: RefundInput!)": "refundCreate(input: RefundInput)",
        "type Location { id: ID! }": "type Location { id: ID! shelf: String }",
        "firstName: String lastName": 'firstName: String @deprecated(reason: "gone") lastName',
    }[change]
    assert SDL.count(change) == 1, f"the simulator's SDL no longer has {change!r}; pick another change"
    changed = build_schema(SDL.replace(change, mutated))
    found = [str(d) for d in schema_differences(changed, shopify_schema())]
    assert any(d.startswith(expected) for d in found), found


def test_the_roots_are_named_as_shopifys_so_typename_answers_alike() -> None:
    """Shopify's query root is QueryRoot: `{ __typename }` answers "QueryRoot" there, and so here."""
    assert SCHEMA.query_type.name == shopify_schema().query_type.name == "QueryRoot"
    assert SCHEMA.mutation_type.name == shopify_schema().mutation_type.name == "Mutation"
    assert Shop().gql("{ __typename }")["data"] == {"__typename": "QueryRoot"}


@pytest.mark.parametrize("name", sorted(CONNECTOR_DOCUMENTS))
def test_every_document_the_connector_sends_is_valid_against_shopifys_schema(name: str) -> None:
    errors = document_errors(CONNECTOR_DOCUMENTS[name])
    assert not errors, f"connector.storefronts.shopify.{name} is refused by Shopify's {API_VERSION} schema: {errors}"


def test_the_connector_sends_at_least_its_reads_and_the_refund_mutation() -> None:
    assert {"Q_ORDER", "Q_ORDERS", "Q_ORDER_REFUNDS", "Q_REFUND", "Q_SUGGESTED", "M_REFUND_CREATE"} <= set(CONNECTOR_DOCUMENTS)


def test_what_the_connector_uses_that_shopify_deprecated_is_recorded_with_a_reason() -> None:
    used = {at: message for query in CONNECTOR_DOCUMENTS.values() for at, message in deprecated_uses(query).items()}
    recorded = excused("deprecated")
    unexplained = {at: message for at, message in used.items() if at not in recorded}
    assert not unexplained, f"the connector uses what Shopify {API_VERSION} deprecates: {unexplained}"
    assert not recorded - set(used), f"{EXCEPTIONS_FILE.name} excuses deprecated uses that are gone: {recorded - set(used)}"


def test_every_exception_says_what_and_why() -> None:
    for exception in exceptions():
        assert len(exception.why) > 40, f"{exception.at}: the reason is too short to be one"


def test_a_document_shopify_refuses_is_named_with_the_reason() -> None:
    errors = document_errors("query($id: ID!) { order(id: $id) { refundz { id } } }")
    assert errors == ["Cannot query field 'refundz' on type 'Order'. Did you mean 'refunds'?"]
    assert document_errors("query($n: Int!) { orders(first: $n) { nodes { id } } }", {"n": "ten"}) == \
        ["Variable '$n' has invalid value: Int cannot represent non-integer value: 'ten'"]
    bad_input = document_errors("mutation($i: RefundInput!) { refundCreate(input: $i) { userErrors { message } } }",
                                {"i": {"orderId": "gid://shopify/Order/1", "shipping": {"fullRefund": "yes"}}})
    assert len(bad_input) == 1 and "fullRefund" in bad_input[0], bad_input


@pytest.mark.parametrize(("data", "expected"), [
    ({"order": {"id": None, "legacyResourceId": "5"}}, "data.order.id: null, where Shopify declares ID!"),
    ({"order": {"id": "gid://shopify/Order/5", "legacyResourceId": 5}},
     "data.order.legacyResourceId: 5 is not an unsigned 64-bit integer in a string of base-10 digits"),
    ({"order": {"id": "gid://shopify/Order/5", "legacyResourceId": "5", "name": "#1"}},
     "data.order.name: in the answer but not asked for"),
    ({"order": {"id": "gid://shopify/Order/5"}}, "data.order.legacyResourceId: asked for, missing from the answer"),
])
def test_an_answer_off_shopifys_types_is_named_by_its_path(data: dict[str, Any], expected: str) -> None:
    query = "query($id: ID!) { order(id: $id) { id legacyResourceId } }"
    assert expected in "\n".join(answer_errors(query, data))


def test_an_enum_value_shopify_lacks_and_a_missing_list_are_named() -> None:
    query = "{ orders(first: 1) { nodes { displayFinancialStatus paymentGatewayNames } } }"
    errors = answer_errors(query, {"orders": {"nodes": [{"displayFinancialStatus": "SETTLED",
                                                         "paymentGatewayNames": "manual"}]}})
    assert errors == ["data.orders.nodes[0].displayFinancialStatus: 'SETTLED' is not a value of Shopify's "
                      "OrderDisplayFinancialStatus",
                      "data.orders.nodes[0].paymentGatewayNames: Shopify answers a list ([String!]!), the simulator str"]


# --- the simulator's answers to a query of every field it declares --------------------------------------

def _selection(schema: GraphQLSchema, named: Any, expanded: set[str]) -> str:
    """Every field of ``named`` the simulator declares, each object type expanded once per query (no
    cycles, and within the simulator's size limits); connection and list arguments at two items; an
    interface's implementations through inline fragments."""
    parts = []
    for name, field in named.fields.items():
        inner_type = get_named_type(field.type)
        args = "(first: 2)" if "first" in field.args else ""
        if is_leaf_type(inner_type):
            parts.append(name + args)
        elif inner_type.name not in expanded:
            expanded.add(inner_type.name)
            parts.append(f"{name}{args} {{ {_selection(schema, inner_type, expanded)} }}")
    if isinstance(named, GraphQLInterfaceType):
        parts.append("__typename")
        for implementation in schema.get_possible_types(named):
            parts.append(f"... on {implementation.name} {{ {_selection(schema, implementation, expanded)} }}")
    return " ".join(parts) or "__typename"


def _every_field_queries(order_gid: str, refund_gid: str) -> list[tuple[str, dict[str, Any]]]:
    """One query per field of each root object (one query of all would pass the simulator's size limits)."""
    queries = []
    roots: list[tuple[str, str, GraphQLObjectType, dict[str, Any]]] = [
        ("query($id: ID!)", "order(id: $id)", SCHEMA.get_type("Order"), {"id": order_gid}),
        ("query($id: ID!)", "refund(id: $id)", SCHEMA.get_type("Refund"), {"id": refund_gid}),
        ("query", "orders(first: 2)", SCHEMA.get_type("OrderConnection"), {}),
    ]
    for head, root, named, variables in roots:
        for name, field in named.fields.items():
            inner_type = get_named_type(field.type)
            args = "(first: 2)" if "first" in field.args else ""
            if name == "suggestedRefund":
                args = "(suggestFullRefund: true)"
            body = name + args if is_leaf_type(inner_type) else \
                f"{name}{args} {{ {_selection(SCHEMA, inner_type, {named.name, inner_type.name})} }}"
            queries.append((f"{head} {{ {root} {{ {body} }} }}", variables))
    return queries


def test_the_simulator_answers_every_field_it_declares_as_shopifys_types_say() -> None:
    shop = Shop()
    placed = shop.sim.add_order(OrderSpec(
        currency="EUR", shop_currency="USD", exchange_rate=D("1.0850"), gateway="shopify_payments",
        lines=(LineSpec("TEE-1", "Tee", D("20.00"), 2, D("5.00"), D("0.08")),
               LineSpec("CAP-1", "Cap", D("15.00"), 1, D("0.00"), D("0.08"))),
        shipping=D("7.00"), shipping_tax_rate=D("0.08")))
    tee, cap = (line["id"] for line in placed["line_items"])
    refund = shop.sim.refund_in_admin(placed["id"], [(tee, 1)])
    shop.sim.exchange_in_admin(placed["id"], [(cap, 1)], [("CAP-2", "Cap, other size", D("12.00"), 1, D("0.96"))])
    queries = _every_field_queries(f"gid://shopify/Order/{placed['id']}", f"gid://shopify/Refund/{refund['id']}")
    problems = []
    for query, variables in queries:
        answer = shop.gql(query, variables)
        assert "errors" not in answer, (query, answer["errors"])
        problems += [f"{error}   (query: {query[:120]}...)" for error in answer_errors(query, answer["data"])]
        problems += [f"Shopify refuses: {error}" for error in document_errors(query, variables)]
    assert len(queries) > 40
    assert not problems, f"{len(problems)} answer(s) off Shopify's types:\n  " + "\n  ".join(problems[:20])


# --- the scenarios' traffic ----------------------------------------------------------------------------------

def test_the_traffic_check_reads_real_exchanges_and_names_what_shopify_refuses() -> None:
    shop = Shop()
    placed = shop.sim.add_order(OrderSpec(currency="USD", gateway="shopify_payments",
                                          lines=(LineSpec("TEE-1", "Tee", D("20.00"), 1, D("0"), D("0.10")),)))
    order_gid = f"gid://shopify/Order/{placed['id']}"
    assert "errors" not in shop.gql(connector_shopify.Q_ORDER, {"id": order_gid})
    shop.gql("query Shop { shop { name } }")                       # Shopify has QueryRoot.shop; the simulator not
    shop.gql("query Bad($id: ID!) { order(id: $id) { refundz { id } } }", {"id": order_gid})
    shop.gql(connector_shopify.Q_ORDERS, {"first": "many", "query": ""})
    problems = traffic_problems(shop.sim.journal.entries())
    assert problems == [
        "POST /admin/api/2024-10/graphql.json (anonymous operation) sent: Cannot query field 'refundz' on type "
        "'Order'. Did you mean 'refunds'?",
        "POST /admin/api/2024-10/graphql.json (anonymous operation) sent: Variable '$first' has invalid value: "
        "Int cannot represent non-integer value: 'many'",
    ], problems
    assert len(shop.sim.journal.entries()) == 4


# A simulator defect, made on purpose: Shopify serializes Decimal amounts as strings ("29.99"), this as numbers.
NUMERIC_AMOUNTS = """

@pytest.fixture(autouse=True)
def numeric_amounts(monkeypatch):
    from simulators.shopify import graphql
    real = graphql.money_v2
    monkeypatch.setattr(graphql, "money_v2", lambda value, currency: {**real(value, currency), "amount": value})
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    one_scenario_project(pytester)
    pytester.makepyfile(test_one=(ROOT / "tests" / "acceptance" / "test_features.py").read_text())
    # the acceptance suite's own conftest, as it is, then the deliberately broken simulator
    pytester.makeconftest((ROOT / "tests" / "acceptance" / "conftest.py").read_text() + NUMERIC_AMOUNTS)
    return pytester


def test_a_scenario_whose_simulator_answers_off_shopifys_types_fails_naming_the_path(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("-p", "no:xdist", "-q", "-k", "shopify")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*GraphQL exchange(s) off Shopify's Admin schema*",
                                 "*shopify: POST /admin/api/2024-10/graphql.json (Order) answered: data.order.*amount: "
                                 "*is not a decimal number in a string (Shopify's Decimal)*"])


def test_a_certification_does_not_judge_the_simulators_graphql(project: pytest.Pytester, tmp_path: Path) -> None:
    result = project.runpytest_inprocess("-p", "no:xdist", "-q", "-k", "shopify",
                                         f"--certification-report={tmp_path / 'report.json'}")
    result.assert_outcomes(passed=1)
