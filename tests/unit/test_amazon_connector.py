"""The Amazon adapter against the Amazon simulator (and one handwritten refund event): orders with
their items, itemised refund events as lines, the settlement look-back, and no refund creation."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from common.clock import ManualClock
from connector.errors import ActivationRefused, ConnectorError
from connector.model import LineKind
from connector.storefronts import storefront
from connector.storefronts.amazon import AmazonAdapter
from connector.storefronts.base import RefundPush
from simulators.amazon import AmazonSimulator
from tests.unit.storefront_helpers import usd_order

D = Decimal


@pytest.fixture
def sim() -> AmazonSimulator:
    return AmazonSimulator(clock=ManualClock())


def adapter(sim: AmazonSimulator) -> AmazonAdapter:
    return AmazonAdapter(httpx.Client(transport=httpx.MockTransport(sim.handle)), seller_id=sim.seller.seller_id,
                         access_token=sim.seller.access_token)


def test_an_order_reads_with_its_items_and_shipping_line(sim):
    placed = sim.add_order(usd_order())
    items = sim.order_items(placed["AmazonOrderId"])
    order = adapter(sim).get_order(placed["AmazonOrderId"])
    shirt, hat, shipping = order.lines
    assert (shirt.line_id, shirt.sku, shirt.quantity, shirt.amount, shirt.tax) == \
        (items[0]["OrderItemId"], "SKU-1001", D(3), D("53.97"), D("4.45"))
    assert shipping.kind is LineKind.SHIPPING and (shipping.amount, shipping.tax) == (D("7.50"), D("0.62"))
    assert order.total == D("77.37") and order.paid and order.gateway == "amazon"


def test_an_invoice_order_is_not_paid_at_checkout(sim):
    placed = sim.add_order(usd_order(gateway="manual"))
    assert not adapter(sim).get_order(placed["AmazonOrderId"]).paid


def test_a_refund_event_becomes_item_and_shipping_lines(sim):
    placed = sim.add_order(usd_order())
    items = sim.order_items(placed["AmazonOrderId"])
    sim.refund_in_seller_central(placed["AmazonOrderId"], {items[0]["OrderItemId"]: 1}, shipping=True)
    a = adapter(sim)
    [refund] = a.list_refunds(a.get_order(placed["AmazonOrderId"]))
    item, shipping = refund.lines
    assert (item.line_id, item.quantity, item.amount, item.tax) == (items[0]["OrderItemId"], D(1), D("17.99"), D("1.48"))
    assert shipping.kind is LineKind.SHIPPING and (shipping.amount, shipping.tax) == (D("7.50"), D("0.62"))
    assert refund.total == D("27.59") and refund.has_line_items
    assert a.refund(placed["AmazonOrderId"], refund.id) == refund


def test_money_not_tied_to_a_line_stays_in_the_total():
    event = {"AmazonOrderId": "111-1111111-1111111", "PostedDate": "2026-01-05T09:00:00Z",
             "ShipmentItemAdjustmentList": [{
                 "SellerSKU": "S", "OrderItemId": "1", "OrderAdjustmentItemId": "9", "QuantityShipped": 1,
                 "ItemChargeAdjustmentList": [
                     {"ChargeType": "Principal", "ChargeAmount": {"CurrencyCode": "EUR", "CurrencyAmount": D("-10.0")}},
                     {"ChargeType": "Shipping", "ChargeAmount": {"CurrencyCode": "EUR", "CurrencyAmount": D("-2")}},
                     {"ChargeType": "Goodwill", "ChargeAmount": {"CurrencyCode": "EUR", "CurrencyAmount": D("-5")}}]}]}
    refund = AmazonAdapter.parse_refund(event)
    assert refund.currency == "EUR" and refund.total == D("17.00") and refund.id == "9"
    assert sum(line.gross for line in refund.lines) == D("12.00")


def test_a_refund_released_days_late_is_still_found_by_the_scheduled_search(sim):
    sim.settings.settle_at_once = False
    placed = sim.add_order(usd_order())
    items = sim.order_items(placed["AmazonOrderId"])
    sim.refund_in_seller_central(placed["AmazonOrderId"], {items[1]["OrderItemId"]: 1})
    sim.clock.advance(days=5)
    since = sim.clock.now() - timedelta(hours=2)   # the last run's watermark: after the refund's date
    assert list(adapter(sim).refunds_since(since)) == []
    sim.generate_settlement_report()
    sim.clock.advance(minutes=5)
    [found] = adapter(sim).refunds_since(since)
    assert found.order_id == placed["AmazonOrderId"]


def test_the_connector_cannot_create_amazon_refunds(sim):
    placed = sim.add_order(usd_order())
    a = adapter(sim)
    order = a.get_order(placed["AmazonOrderId"])
    with pytest.raises(ConnectorError, match="read-only"):
        a.create_refund(order, RefundPush(D(1), "USD", (), None, "n", "k"))
    assert storefront("amazon").refunds_read_only


def test_refund_sync_from_netsuite_is_refused_by_the_connector_for_amazon(tmp_path):
    from connector.activation import check_direction_change
    from connector.model import Direction

    class Account:
        name, platform, direction = "Amazon store", "amazon", Direction.OFF

    with pytest.raises(ActivationRefused, match="cannot be created in the storefront"):
        check_direction_change(Account(), Direction.FROM_NETSUITE)   # type: ignore[arg-type]
    check_direction_change(Account(), Direction.TO_NETSUITE)   # type: ignore[arg-type]
