"""The ShopifyAPI SDK, unmodified, against the served Shopify simulator: only its site is changed."""
from __future__ import annotations

import pytest
import shopify


@pytest.fixture
def shop(served_world):
    """The SDK pointed at the served shop. pyactiveresource keeps site and headers as class state:
    cleared afterwards so no other test (or xdist neighbour in this process) inherits them."""
    simulator = served_world.simulators()["shopify"]
    account = served_world.connect("shopify")
    orders = [served_world.place_order(account, quantity_first=2) for _ in range(2)]
    shopify.ShopifyResource.clear_session()
    shopify.ShopifyResource.site = f"{served_world.wiring.base_url(simulator)}/admin/api/{simulator.api_version}"
    shopify.ShopifyResource.headers["X-Shopify-Access-Token"] = simulator.access_token
    shopify.ShopifyResource.timeout = 10
    try:
        yield simulator, orders
    finally:
        shopify.ShopifyResource.clear_session()
        shopify.ShopifyResource.timeout = None


def test_get_and_list_orders(shop):
    simulator, orders = shop
    first = shopify.Order.find(orders[0].placed.order_id)
    assert str(first.id) == orders[0].placed.order_id and first.total_price == str(orders[0].placed.total)
    listed = shopify.Order.find(status="any")
    assert [str(o.id) for o in listed] == [o.placed.order_id for o in orders]


def test_refund_by_line_with_restock_type_then_list_refunds(shop):
    simulator, orders = shop
    order = shopify.Order.find(orders[0].placed.order_id)
    line = order.line_items[0]
    wanted = [{"line_item_id": line.id, "quantity": 1, "restock_type": "return", "location_id": simulator.location_id}]
    suggested = shopify.Refund.calculate(order.id, refund_line_items=wanted).transactions
    refund = shopify.Refund({"order_id": order.id, "refund_line_items": wanted, "note": "SDK refund",
                             "transactions": [{"parent_id": t.parent_id, "amount": t.amount, "kind": "refund",
                                               "gateway": t.gateway} for t in suggested]})
    assert refund.save(), refund.errors.full_messages()
    assert refund.refund_line_items[0].restock_type == "return" and refund.refund_line_items[0].quantity == 1
    assert refund.transactions[0].amount == suggested[0].amount
    (listed,) = shopify.Refund.find(order_id=order.id)
    assert listed.id == refund.id
    assert shopify.Refund.find(refund.id, order_id=order.id).note == "SDK refund"


def test_an_over_refund_is_a_422_that_save_reports(shop):
    simulator, orders = shop
    order = shopify.Order.find(orders[0].placed.order_id)
    line = order.line_items[0]
    refund = shopify.Refund({"order_id": order.id, "refund_line_items": [
        {"line_item_id": line.id, "quantity": line.quantity + 1, "restock_type": "no_restock"}]})
    assert refund.save() is False
    (message,) = refund.errors.full_messages()
    assert "cannot refund more items than were purchased" in message
    assert simulator.journal.entries()[-1].status == 422
    assert shopify.Refund.find(order_id=order.id) == []


def test_the_sdks_graphql_client_reads_an_order_and_its_query_cost(shop):
    """``shopify.GraphQL()`` posts to ``<site>/graphql.json`` and returns the raw answer."""
    import json

    simulator, orders = shop
    answer = json.loads(shopify.GraphQL().execute(
        "query($id: ID!) { order(id: $id) { legacyResourceId presentmentCurrencyCode "
        "totalPriceSet { presentmentMoney { amount } } } }",
        variables={"id": f"gid://shopify/Order/{orders[0].placed.order_id}"}))
    order = answer["data"]["order"]
    assert order["legacyResourceId"] == orders[0].placed.order_id
    assert order["totalPriceSet"]["presentmentMoney"]["amount"] == str(orders[0].placed.total)
    assert answer["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 1000.0
    broken = json.loads(shopify.GraphQL().execute("{ order(id: "))
    assert broken["errors"][0]["locations"] and "data" not in broken
