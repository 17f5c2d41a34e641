"""The eBay simulator's refund rules and the eBay adapter against it, over real httpx."""
from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connector.model import SourceStatus
from connector.storefronts.base import RefundPush
from connector.storefronts.ebay import EbayAdapter
from simulators.core.faults import OBSERVER_HEADER
from simulators.ebay import EbayError, EbaySimulator
from tests.unit.storefront_helpers import usd_order

D = Decimal
BASE = "https://api.ebay.com/sell/fulfillment/v1"


@pytest.fixture
def sim() -> EbaySimulator:
    return EbaySimulator()


def client(sim: EbaySimulator) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(sim.handle),
                        headers={"Authorization": f"Bearer {sim.access_token}"})


def issue(sim: EbaySimulator, order_id: str, body: dict) -> httpx.Response:
    return client(sim).post(f"{BASE}/order/{order_id}/issue_refund", json=body)


def error_id(response: httpx.Response) -> int:
    return response.json()["errors"][0]["errorId"]


def test_order_money_is_a_string_in_the_currencys_decimals(sim: EbaySimulator) -> None:
    order = sim.add_order(usd_order())
    pricing = order["pricingSummary"]
    assert pricing["total"] == {"value": "77.37", "currency": "USD"}
    assert pricing["priceDiscount"]["value"] == "-6.00" and order["orderPaymentStatus"] == "PAID"
    assert order["paymentSummary"]["refunds"] == [] and all(li["refunds"] == [] for li in order["lineItems"])


def test_issue_refund_is_pending_then_refunded_after_a_read(sim: EbaySimulator) -> None:
    order_id = sim.add_order(usd_order())["orderId"]
    answer = issue(sim, order_id, {"reasonForRefund": "BUYER_RETURN", "comment": "RMA 1",
                                   "orderLevelRefundAmount": {"value": "10.00", "currency": "USD"}})
    assert answer.status_code == 200 and answer.json()["refundStatus"] == "PENDING"
    peek = client(sim).get(f"{BASE}/order/{order_id}", headers={OBSERVER_HEADER: "1"}).json()
    assert peek["paymentSummary"]["refunds"][0]["refundStatus"] == "PENDING"   # the observer does not poll
    read = client(sim).get(f"{BASE}/order/{order_id}").json()
    entry = read["paymentSummary"]["refunds"][0]
    assert entry["refundId"] == answer.json()["refundId"] and entry["refundStatus"] == "REFUNDED"
    assert entry["refundDate"] and entry["refundReferenceId"] and read["orderPaymentStatus"] == "PARTIALLY_REFUNDED"


def test_line_refunds_are_listed_on_their_lines_by_amount(sim: EbaySimulator) -> None:
    order = sim.add_order(usd_order())
    line = order["lineItems"][1]["lineItemId"]
    answer = issue(sim, order["orderId"], {"reasonForRefund": "ITEM_NOT_AS_DESCRIBED",
                                           "refundItems": [{"lineItemId": line, "refundAmount": {"value": "5.00", "currency": "USD"}}]})
    shown = sim.order(order["orderId"])
    assert shown["lineItems"][1]["refunds"] == [{"refundId": answer.json()["refundId"], "amount": {"value": "5.00", "currency": "USD"}}]
    assert "refundId" not in shown["paymentSummary"]["refunds"][0]   # line-level ids live on the line
    over = issue(sim, order["orderId"], {"reasonForRefund": "BUYER_RETURN",
                                         "refundItems": [{"lineItemId": line, "refundAmount": {"value": "6.00", "currency": "USD"}}]})
    assert (over.status_code, error_id(over)) == (409, 34924)


@pytest.mark.parametrize("body, status, errid", [
    ({"orderLevelRefundAmount": {"value": "1.00", "currency": "USD"}}, 400, 34903),
    ({"reasonForRefund": "BECAUSE", "orderLevelRefundAmount": {"value": "1.00", "currency": "USD"}}, 400, 34903),
    ({"reasonForRefund": "BUYER_RETURN", "comment": "x" * 101,
      "orderLevelRefundAmount": {"value": "1.00", "currency": "USD"}}, 400, 34921),
    ({"reasonForRefund": "BUYER_RETURN"}, 400, 34905),
    ({"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": {"value": "77.38", "currency": "USD"}}, 400, 34915),
    ({"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": {"value": "1.001", "currency": "USD"}}, 400, 34907),
    ({"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": {"value": "1.00", "currency": "EUR"}}, 400, 34909),
    ({"reasonForRefund": "BUYER_RETURN", "refundItems": [{"lineItemId": "nope",
      "refundAmount": {"value": "1.00", "currency": "USD"}}]}, 400, 34914),
])
def test_issue_refund_refusals_carry_ebays_error_ids(sim: EbaySimulator, body: dict, status: int, errid: int) -> None:
    order_id = sim.add_order(usd_order())["orderId"]
    answer = issue(sim, order_id, body)
    assert (answer.status_code, error_id(answer)) == (status, errid)
    assert answer.json()["errors"][0]["domain"] == "API_FULFILLMENT" and sim.backend.refunds == {}


def test_unknown_order_bad_token_and_unpaid_order(sim: EbaySimulator) -> None:
    body = {"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": {"value": "1.00", "currency": "USD"}}
    missing = issue(sim, "01-23456-78901", body)
    assert (missing.status_code, error_id(missing)) == (404, 34913)
    bad = httpx.Client(transport=httpx.MockTransport(sim.handle)).get(f"{BASE}/order/x", headers={"Authorization": "Bearer no"})
    assert (bad.status_code, error_id(bad)) == (401, 1001)
    unpaid = sim.add_order(usd_order(paid=False))["orderId"]
    assert error_id(issue(sim, unpaid, body)) == 34929


def test_only_a_requested_seller_hub_refund_is_listed(sim: EbaySimulator) -> None:
    order_id = sim.add_order(usd_order())["orderId"]
    unasked = sim.refund_in_seller_hub(order_id, D("10.00"))
    assert "externalTransactionId" in unasked and sim.order(order_id)["paymentSummary"]["refunds"] == []
    assert [t["amount"]["value"] for t in sim.external_transactions(order_id)] == ["10.00"]
    sim.buyer_requests_refund(order_id)
    asked = sim.refund_in_seller_hub(order_id, D("5.00"))
    assert [r["refundId"] for r in sim.order(order_id)["paymentSummary"]["refunds"]] == [asked["refundId"]]
    with pytest.raises(EbayError):   # the unlisted refund still counts against what is refundable
        sim.refund_in_seller_hub(order_id, D("63.00"))


def test_a_seller_hub_refund_of_line_items_is_listed_per_line(sim: EbaySimulator) -> None:
    order = sim.add_order(usd_order())
    first, second = (line["lineItemId"] for line in order["lineItems"][:2])
    sim.buyer_requests_refund(order["orderId"])
    made = sim.refund_in_seller_hub(order["orderId"], lines={first: D("5.00"), second: D("7.35")})
    shown = sim.order(order["orderId"])
    parts = {line["lineItemId"]: line["refunds"] for line in shown["lineItems"]}
    assert [p["refundId"] for p in parts[first] + parts[second]] == [made["refundId"]] * 2
    assert [p["amount"]["value"] for p in parts[first] + parts[second]] == ["5.00", "7.35"]
    # listed with the order's refunds too, by its amount and status but not its id
    assert [(r.get("refundId"), r["amount"]["value"]) for r in shown["paymentSummary"]["refunds"]] == [(None, "12.35")]
    found = adapter(sim).refunds_of(shown)
    assert [(r.id, r.total, r.currency) for r in found] == [(made["refundId"], D("12.35"), "USD")]
    with pytest.raises(ValueError, match="exactly one of amount and lines"):
        sim.refund_in_seller_hub(order["orderId"], D("1.00"), lines={first: D("1.00")})


def test_get_orders_filters_by_last_modified_and_pages(sim: EbaySimulator) -> None:
    ids = [sim.add_order(usd_order())["orderId"] for _ in range(3)]
    page = client(sim).get(f"{BASE}/order", params={"filter": "lastmodifieddate:[2000-01-01T00:00:00.000Z..]",
                                                    "limit": "2"}).json()
    assert page["total"] == 3 and len(page["orders"]) == 2 and "next" in page
    rest = client(sim).get(page["next"]).json()
    assert sorted(o["orderId"] for o in page["orders"] + rest["orders"]) == sorted(ids)
    later = client(sim).get(f"{BASE}/order", params={"filter": "lastmodifieddate:[2030-01-01T00:00:00.000Z..]"})
    assert (later.status_code, error_id(later)) == (400, 30850)


def adapter(sim: EbaySimulator) -> EbayAdapter:
    return EbayAdapter(httpx.Client(transport=httpx.MockTransport(sim.handle)), seller=sim.seller.username,
                       access_token=sim.access_token)


def test_adapter_reads_an_order_with_its_shipping_and_tax(sim: EbaySimulator) -> None:
    order = adapter(sim).get_order(sim.add_order(usd_order())["orderId"])
    assert order.total == D("77.37") and order.paid and order.gateway == "ebay"
    shirt, hat, shipping = order.lines
    assert (shirt.quantity, shirt.amount, shirt.tax) == (D(3), D("53.97"), D("4.45"))
    assert (shipping.amount, shipping.tax) == (D("7.50"), D("0.62"))


def test_adapter_pushes_an_order_level_refund_and_follows_it(sim: EbaySimulator) -> None:
    ebay = adapter(sim)
    order = ebay.get_order(sim.add_order(usd_order())["orderId"])
    push = RefundPush(D("12.35"), "USD", (), None, "Refund from NetSuite CR1 [netsuite:cashrefund:7]", "k1")
    pushed = ebay.create_refund(order, push)
    assert pushed.status is SourceStatus.PENDING
    body = sim.journal.entries("POST")[-1].request_body
    assert b'"orderLevelRefundAmount"' in body and b'"12.35"' in body and b"[netsuite:cashrefund:7]" in body
    assert ebay.pushed_refund(order.id, pushed.id, "USD").status is SourceStatus.COMPLETED
    listed = ebay.list_refunds(order)
    assert [(r.id, r.total, r.lines, r.note) for r in listed] == [(pushed.id, D("12.35"), (), "")]
    # eBay never returns the comment: the push is not found by its marker (the ledger recognises it)
    assert ebay.find_pushed_refund(order, "[netsuite:cashrefund:7]") is None


def test_ids_never_repeat_across_many_orders_and_refunds(sim: EbaySimulator) -> None:
    """Ids were once drawn digit by digit from consecutive numbers and repeated: a soak's second refund
    with an earlier refund's id overwrote it, and an order showed another order's refund amount."""
    orders = [sim.add_order(usd_order()) for _ in range(150)]
    assert len({o["orderId"] for o in orders}) == 150
    assert len({li["lineItemId"] for o in orders for li in o["lineItems"]}) == sum(len(o["lineItems"]) for o in orders)
    refund_ids = []
    for order in orders:
        for _ in range(2):
            answer = issue(sim, order["orderId"], {"reasonForRefund": "BUYER_RETURN",
                                                   "orderLevelRefundAmount": {"value": "1.00", "currency": "USD"}})
            assert answer.status_code == 200, answer.text
            refund_ids.append(answer.json()["refundId"])
    assert len(set(refund_ids)) == len(refund_ids)
