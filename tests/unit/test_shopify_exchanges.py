"""The Shopify simulator's exchanges: a Return on the order (returned lines, exchange line items) and
the refund that settles it, giving back in money only the balance in the customer's favour."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from simulators.core.orders import LineSpec, OrderSpec
from simulators.shopify.models import ShopifyError
from tests.unit.test_shopify_graphql import Shop

D = Decimal

RETURNS = """query($id: ID!) { order(id: $id) {
  refunds { id totalRefundedSet { presentmentMoney { amount } } return { id }
            refundLineItems(first: 5) { nodes { quantity subtotalSet { presentmentMoney { amount } } } }
            orderAdjustments(first: 5) { nodes { id } } }
  returns(first: 5) { nodes { id name status
    returnLineItems(first: 5) { nodes { quantity refundedQuantity ... on ReturnLineItem { fulfillmentLineItem { lineItem { id sku } } } } }
    exchangeLineItems(first: 5) { nodes { lineItem { sku quantity originalUnitPriceSet { presentmentMoney { amount } } } } }
    refunds(first: 5) { nodes { id } } } } } }"""


def placed(shop: Shop) -> dict[str, Any]:
    return shop.sim.add_order(OrderSpec(currency="USD", lines=(
        LineSpec("TEE-1", "Tee", D("20.00"), 2, D("0.00"), D("0.10")),
        LineSpec("CAP-1", "Cap", D("15.00"), 1, D("0.00"), D("0.10"))), gateway="shopify_payments"))


def read(shop: Shop, order_id: int) -> dict[str, Any]:
    answer = shop.gql(RETURNS, {"id": f"gid://shopify/Order/{order_id}"})
    assert "errors" not in answer, answer
    return answer["data"]["order"]


def test_a_cheaper_exchange_makes_a_return_and_refunds_only_the_balance() -> None:
    shop = Shop()
    order = placed(shop)
    tee = order["line_items"][0]["id"]
    made = shop.sim.exchange_in_admin(order["id"], [(tee, 1)], [("TEE-2", "Tee, other colour", D("15.00"), 1, D("1.50"))])
    refund = made["refund"]
    # the returned unit is worth 22.00 (20.00 + 2.20 tax); the new item 16.50: 5.50 goes back
    assert [t["amount"] for t in refund["transactions"]] == ["5.50"]
    assert refund["refund_line_items"][0]["subtotal_set"]["presentment_money"]["amount"] == "20.00"
    assert refund["order_adjustments"] == []
    assert refund["return"]["id"] == made["return_id"]
    seen = read(shop, order["id"])
    assert len(seen["returns"]["nodes"]) == 1
    the_return = seen["returns"]["nodes"][0]
    assert the_return["id"] == f"gid://shopify/Return/{made['return_id']}"
    assert the_return["returnLineItems"]["nodes"] == [
        {"quantity": 1, "refundedQuantity": 1, "fulfillmentLineItem": {"lineItem": {"id": f"gid://shopify/LineItem/{tee}", "sku": "TEE-1"}}}]
    assert the_return["exchangeLineItems"]["nodes"][0]["lineItem"]["sku"] == "TEE-2"
    assert the_return["refunds"]["nodes"] == [{"id": seen["refunds"][0]["id"]}]
    assert seen["refunds"][0]["totalRefundedSet"]["presentmentMoney"]["amount"] == "5.50"
    assert seen["refunds"][0]["return"] == {"id": the_return["id"]}
    assert seen["refunds"][0]["orderAdjustments"]["nodes"] == []


def test_an_even_or_dearer_exchange_gives_no_money_back() -> None:
    shop = Shop()
    order = placed(shop)
    cap = order["line_items"][1]["id"]
    even = shop.sim.exchange_in_admin(order["id"], [(cap, 1)], [("CAP-2", "Cap, other size", D("15.00"), 1, D("1.50"))])
    assert even["refund"]["transactions"] == [] and even["refund"]["order_adjustments"] == []
    tee = order["line_items"][0]["id"]
    dearer = shop.sim.exchange_in_admin(order["id"], [(tee, 1)], [("JACKET-1", "Jacket", D("80.00"), 1, D("8.00"))])
    assert dearer["refund"]["transactions"] == [] and dearer["refund"]["order_adjustments"] == []
    assert len(read(shop, order["id"])["returns"]["nodes"]) == 2


def test_a_refused_exchange_leaves_nothing_behind() -> None:
    shop = Shop()
    order = placed(shop)
    tee = order["line_items"][0]["id"]
    with pytest.raises(ShopifyError):
        shop.sim.exchange_in_admin(order["id"], [(tee, 3)], [("TEE-2", "Tee", D("15.00"), 1, D("0"))])
    with pytest.raises(ShopifyError):
        shop.sim.exchange_in_admin(order["id"], [(tee, 1)], [])
    seen = read(shop, order["id"])
    assert seen["returns"]["nodes"] == [] and seen["refunds"] == []


@pytest.mark.parametrize("selection", ["returns { nodes { id } }", 'returns(first: 5, after: "not-a-cursor") { nodes { id } }',
                                       "returns(first: 251) { nodes { id } }"])
def test_a_malformed_returns_read_is_a_graphql_error(selection: str) -> None:
    shop = Shop()
    order = placed(shop)
    answer = shop.gql("query($id: ID!) { order(id: $id) { %s } }" % selection, {"id": f"gid://shopify/Order/{order['id']}"})
    assert answer.get("errors") and answer["errors"][0]["message"], answer
