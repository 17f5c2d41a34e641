"""Everything a merchant, marketplace, buyer or NetSuite user does, over HTTP: ``/_sim/actions`` lists each
simulator's declared actions with their parameters, and ``POST /_sim/actions/<name>`` does one, so a person or
an outside tool can drive any scenario over serve mode (Amazon and Etsy refunds included, which their APIs
cannot create)."""
from __future__ import annotations

import pytest

from harness.platforms import platforms
from simulators.core.base import merchant_actions

ORDER = {"currency": "USD", "shipping": "5.00",
         "lines": [{"sku": "TEE-1", "title": "Tee", "price": "19.99", "quantity": 2, "tax_rate": "0.0825"}]}


def control(world, name: str) -> str:
    return f"{world.wiring.base_url(world.simulators()[name])}/_sim"


def api(world, name: str) -> str:
    return world.wiring.base_url(world.simulators()[name])


@pytest.mark.parametrize("name", ["netsuite", *(p.name for p in platforms())])
def test_every_simulator_lists_its_actions_with_typed_parameters(served_world, control_http, name):
    listed = control_http.get(f"{control(served_world, name)}/actions").json()["actions"]
    assert listed, f"{name} offers no merchant action over HTTP"
    assert [a["name"] for a in listed] == sorted(merchant_actions(served_world.simulators()[name]))
    for action in listed:
        assert action["summary"] and all({"name", "type", "required"} <= set(p) for p in action["parameters"])


def test_an_amazon_refund_made_over_http_reads_back_through_the_finances_api(served_world, control_http, plain_http):
    amazon = served_world.simulators()["amazon"]
    order = control_http.post(f"{control(served_world, 'amazon')}/seed", json={"orders": [ORDER]}).json()
    order_id = order["orders"][0]["order"]["AmazonOrderId"]
    token = {"x-amz-access-token": amazon.seller.access_token}
    (item,) = plain_http.get(f"{api(served_world, 'amazon')}/orders/v0/orders/{order_id}/orderItems",
                             headers=token).json()["payload"]["OrderItems"]
    made = control_http.post(f"{control(served_world, 'amazon')}/actions/refund_in_seller_central",
                             json={"order_id": order_id, "units": {item["OrderItemId"]: 1}})
    assert made.status_code == 200, made.text
    events = plain_http.get(f"{api(served_world, 'amazon')}/finances/v0/orders/{order_id}/financialEvents",
                            headers=token).json()["payload"]["FinancialEvents"]["RefundEventList"]
    assert [e["AmazonOrderId"] for e in events] == [order_id]


def test_an_etsy_refund_made_over_http_reads_back_on_the_receipt(served_world, control_http, plain_http):
    etsy = served_world.simulators()["etsy"]
    order = control_http.post(f"{control(served_world, 'etsy')}/seed", json={"orders": [ORDER]}).json()
    receipt_id = order["orders"][0]["order"]["receipt_id"]
    made = control_http.post(f"{control(served_world, 'etsy')}/actions/refund_in_shop_manager",
                             json={"receipt_id": receipt_id, "amount": "10.00"})
    assert made.status_code == 200, made.text
    receipt = plain_http.get(f"{api(served_world, 'etsy')}/v3/application/shops/{etsy.shop.shop_id}/receipts/{receipt_id}",
                             headers={"x-api-key": etsy.shop.api_key,
                                      "Authorization": f"Bearer {etsy.shop.access_token}"}).json()
    assert [r["amount"]["amount"] for r in receipt["refunds"]] == [1000]


@pytest.mark.parametrize("name, action, body, status, said", [
    ("amazon", "refund_everything", {}, 404, "amazon has no action 'refund_everything'; actions: "),
    ("etsy", "refund_in_shop_manager", {"receipt_id": 1}, 400, "refund_in_shop_manager needs amount"),
    ("etsy", "refund_in_shop_manager", {"receipt_id": 1, "amount": "1", "why": "x"}, 400,
     "refund_in_shop_manager has no parameter(s) why"),
    ("etsy", "refund_in_shop_manager", {"receipt_id": "one", "amount": "1"}, 400, "receipt_id must be a whole number"),
    ("walmart", "ship_lines", {"purchase_order_id": "nope"}, 400, "ship_lines was refused"),
])
def test_bad_action_input_is_a_4xx_naming_the_problem(served_world, control_http, name, action, body, status, said):
    answer = control_http.post(f"{control(served_world, name)}/actions/{action}", json=body)
    assert answer.status_code == status and said in answer.json()["error"], answer.text


def test_a_refund_the_platform_refuses_is_its_4xx_and_changes_nothing(served_world, control_http):
    order = control_http.post(f"{control(served_world, 'etsy')}/seed", json={"orders": [ORDER]}).json()
    receipt_id = order["orders"][0]["order"]["receipt_id"]
    refused = control_http.post(f"{control(served_world, 'etsy')}/actions/refund_in_shop_manager",
                                json={"receipt_id": receipt_id, "amount": "9999.00"})
    assert 400 <= refused.status_code < 500 and "refund_in_shop_manager was refused" in refused.json()["error"]
    assert served_world.simulators()["etsy"].backend.receipts[receipt_id].refunds == []


def test_a_netsuite_user_bills_an_order_over_http(served_world, control_http):
    account = served_world.connect(platforms()[0])
    served_world.connector.activate_order_sync(account.id)
    order = served_world.place_order(account)
    served_world.sync(order)
    billed = control_http.post(f"{control(served_world, 'netsuite')}/actions/bill",
                               json={"sales_order_id": order.sales_order_id})
    assert billed.status_code == 200, billed.text
    billed_type, billed_id = billed.json()["result"]
    assert billed_type in ("cashSale", "invoice") and served_world.netsuite.record(billed_type, billed_id)["id"] == billed_id


def test_the_docs_table_lists_every_simulators_actions(served_world):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "serve-mode.md").read_text()
    for name, simulator in served_world.simulators().items():
        for action in merchant_actions(simulator):
            assert f"`{action}`" in text, f"docs/serve-mode.md does not list {name}'s action {action}"
