"""The Amazon simulator: Orders v0 and Finances v0 shapes, refunds seen only after settlement,
per-operation rate limits, the 2-minute PostedBefore rule, and errors in Amazon's own shape."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from common.clock import ManualClock
from simulators.amazon import AmazonError, AmazonSimulator
from tests.unit.storefront_helpers import jpy_order, usd_order

BASE = "https://sellingpartnerapi-na.amazon.com"


@pytest.fixture
def sim() -> AmazonSimulator:
    return AmazonSimulator(clock=ManualClock())


def client(sim: AmazonSimulator, token: str | None = None) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(sim.handle), base_url=BASE,
                        headers={"x-amz-access-token": token or sim.seller.access_token})


def refund_events(sim: AmazonSimulator, order_id: str) -> list[dict]:
    body = jsonio.loads(client(sim).get(f"/finances/v0/orders/{order_id}/financialEvents").content)
    return body["payload"]["FinancialEvents"]["RefundEventList"]


def test_an_order_and_its_items_read_as_the_orders_api_writes_them(sim):
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
    got = client(sim).get(f"/orders/v0/orders/{order['AmazonOrderId']}").json()["payload"]
    assert got["OrderTotal"] == {"CurrencyCode": "USD", "Amount": "77.37"}
    assert got["OrderStatus"] == "Shipped" and got["PaymentMethodDetails"] == ["Standard"]
    listed = client(sim).get(f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems").json()["payload"]["OrderItems"]
    first = listed[0]
    assert first["ItemPrice"] == {"CurrencyCode": "USD", "Amount": "59.97"}   # all units, not per unit
    assert first["PromotionDiscount"]["Amount"] == "6.00" and first["ShippingPrice"]["Amount"] == "7.50"
    assert [i["OrderItemId"] for i in listed] == [i["OrderItemId"] for i in items]


def test_a_refund_is_itemised_with_negative_charges_and_a_positive_promotion(sim):
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
    sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1}, shipping=True)
    [event] = refund_events(sim, order["AmazonOrderId"])
    [item] = event["ShipmentItemAdjustmentList"]
    charges = {c["ChargeType"]: c["ChargeAmount"]["CurrencyAmount"] for c in item["ItemChargeAdjustmentList"]}
    assert charges == {"Principal": Decimal("-19.99"), "Tax": Decimal("-1.48"),
                       "ShippingCharge": Decimal("-7.5"), "ShippingTax": Decimal("-0.62")}
    assert item["PromotionAdjustmentList"][0]["PromotionAmount"]["CurrencyAmount"] == 2
    assert item["QuantityShipped"] == 1 and item["OrderItemId"] == items[0]["OrderItemId"]


def test_unit_by_unit_refunds_add_up_to_exactly_the_line(sim):
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
    for _ in range(3):
        sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1})
    principal = promo = Decimal(0)
    for event in refund_events(sim, order["AmazonOrderId"]):
        for item in event["ShipmentItemAdjustmentList"]:
            principal += sum(c["ChargeAmount"]["CurrencyAmount"] for c in item["ItemChargeAdjustmentList"]
                             if c["ChargeType"] == "Principal")
            promo += sum(p["PromotionAmount"]["CurrencyAmount"] for p in item["PromotionAdjustmentList"])
    assert -principal - promo == Decimal("53.97")   # 3 x 19.99 less the 6.00 discount
    with pytest.raises(AmazonError, match="0 units left"):
        sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1})


def test_a_yen_refund_has_no_minor_units(sim):
    order = sim.add_order(jpy_order())
    items = sim.order_items(order["AmazonOrderId"])
    sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1})
    [event] = refund_events(sim, order["AmazonOrderId"])
    amounts = [c["ChargeAmount"]["CurrencyAmount"] for c in event["ShipmentItemAdjustmentList"][0]["ItemChargeAdjustmentList"]]
    assert all(isinstance(a, int) for a in amounts)


def test_refunds_stay_out_of_the_finances_api_until_the_settlement_report(sim):
    sim.settings.settle_at_once = False
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
    sim.refund_in_seller_central(order["AmazonOrderId"], {items[1]["OrderItemId"]: 1})
    assert refund_events(sim, order["AmazonOrderId"]) == []
    sim.clock.advance(days=3)
    listed = client(sim).get("/finances/v0/financialEvents", params={"PostedAfter": "2026-01-01T00:00:00Z"}).json()
    assert listed["payload"]["FinancialEvents"]["RefundEventList"] == []
    assert sim.generate_settlement_report() == 1
    listed = client(sim).get("/finances/v0/financialEvents", params={"PostedAfter": "2026-01-01T00:00:00Z"}).json()
    [event] = listed["payload"]["FinancialEvents"]["RefundEventList"]
    assert event["PostedDate"] == "2026-01-05T09:00:00Z"   # its own date, days before its release
    assert sim.generate_settlement_report() == 0


def test_posted_before_must_be_two_minutes_old_and_the_range_at_most_180_days(sim):
    now = sim.clock.now()
    late = client(sim).get("/finances/v0/financialEvents", params={"PostedBefore": now.isoformat()})
    assert late.status_code == 400 and late.json()["errors"][0]["code"] == "InvalidInput"
    wide = client(sim).get("/finances/v0/financialEvents", params={"PostedAfter": (now - timedelta(days=200)).isoformat()})
    assert wide.status_code == 400 and "180 days" in wide.json()["errors"][0]["message"]


def test_the_refund_listing_pages_with_next_token(sim):
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
    for _ in range(3):
        sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1})
    sim.clock.advance(minutes=5)
    seen, params = [], {"PostedAfter": "2026-01-01T00:00:00Z", "MaxResultsPerPage": "2"}
    while True:
        payload = client(sim).get("/finances/v0/financialEvents", params=params).json()["payload"]
        seen += payload["FinancialEvents"]["RefundEventList"]
        if "NextToken" not in payload:
            break
        params = {"NextToken": payload["NextToken"]}
    assert len(seen) == 3
    bad = client(sim).get("/finances/v0/financialEvents", params={"NextToken": "bm9wZQ=="})
    assert bad.status_code == 400


def test_each_operation_has_its_own_token_bucket_on_the_clock(sim):
    order = sim.add_order(usd_order())
    c = client(sim)
    statuses = [c.get(f"/orders/v0/orders/{order['AmazonOrderId']}").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    throttled = c.get(f"/orders/v0/orders/{order['AmazonOrderId']}")
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded" and "x-amzn-RateLimit-Limit" in throttled.headers
    assert c.get(f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems").status_code == 200   # another bucket
    sim.clock.advance(seconds=2)   # 0.5 per second: one token back
    assert c.get(f"/orders/v0/orders/{order['AmazonOrderId']}").status_code == 200


def test_sellers_are_told_apart_by_token_and_bad_tokens_are_refused(sim):
    order = sim.add_order(usd_order())
    other = sim.add_seller("Other")
    assert client(sim, other.access_token).get(f"/orders/v0/orders/{order['AmazonOrderId']}").status_code == 404
    denied = client(sim, "Atza|nope").get(f"/orders/v0/orders/{order['AmazonOrderId']}")
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "Unauthorized"


def test_get_orders_needs_marketplaces_and_exactly_one_time_filter(sim):
    sim.add_order(usd_order())
    c = client(sim)
    assert c.get("/orders/v0/orders", params={"LastUpdatedAfter": "2026-01-01T00:00:00Z"}).status_code == 400
    assert c.get("/orders/v0/orders", params={"MarketplaceIds": "ATVPDKIKX0DER"}).status_code == 400
    sim.clock.advance(minutes=3)
    ok = c.get("/orders/v0/orders", params={"MarketplaceIds": "ATVPDKIKX0DER", "LastUpdatedAfter": "2026-01-01T00:00:00Z"})
    assert ok.status_code == 200 and len(ok.json()["payload"]["Orders"]) == 1


def test_giving_back_less_or_more_than_the_items_are_worth(sim):
    order = sim.add_order(usd_order())
    items = sim.order_items(order["AmazonOrderId"])
    less = sim.refund_in_seller_central(order["AmazonOrderId"], {items[0]["OrderItemId"]: 1}, amount=Decimal("16.97"))
    charges = dict((c["ChargeType"], c["ChargeAmount"]["CurrencyAmount"])
                   for c in less["ShipmentItemAdjustmentList"][0]["ItemChargeAdjustmentList"])
    assert charges["Principal"] == Decimal("-17.49")   # 2.50 off the item price
    more = sim.refund_in_seller_central(order["AmazonOrderId"], {items[1]["OrderItemId"]: 1}, amount=Decimal("13.33"))
    kinds = [c["ChargeType"] for c in more["ShipmentItemAdjustmentList"][0]["ItemChargeAdjustmentList"]]
    assert "Goodwill" in kinds


def test_a_successful_call_names_its_operations_rate_limit(sim):
    order = sim.add_order(usd_order())
    answered = client(sim).get(f"/orders/v0/orders/{order['AmazonOrderId']}")
    assert answered.status_code == 200
    assert answered.headers["x-amzn-RateLimit-Limit"] == "0.5" and answered.headers["x-amzn-RequestId"]
    listed = client(sim).get("/orders/v0/orders", params={"MarketplaceIds": "ATVPDKIKX0DER",
                                                          "CreatedAfter": "2020-01-01T00:00:00Z"})
    assert listed.headers["x-amzn-RateLimit-Limit"] == "0.0167"
