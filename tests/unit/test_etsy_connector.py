"""The Etsy adapter against the Etsy simulator: receipts as orders (receipt-level discount and tax
spread over the lines), refunds as amounts with stable ids, and refunds found although the receipt's
updated_timestamp does not move when it is refunded."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from common.clock import ManualClock
from connector.errors import ConnectorError
from connector.model import LineKind
from connector.storefronts.base import RefundPush
from connector.storefronts.etsy import EtsyAdapter
from simulators.etsy import EtsySimulator
from tests.unit.storefront_helpers import usd_order

D = Decimal


@pytest.fixture
def sim() -> EtsySimulator:
    sim = EtsySimulator(clock=ManualClock())
    sim.settings.rate_limits = False
    return sim


def adapter(sim: EtsySimulator) -> EtsyAdapter:
    return EtsyAdapter(httpx.Client(transport=httpx.MockTransport(sim.handle)), shop_id=str(sim.shop.shop_id),
                       api_key=sim.shop.api_key, access_token=sim.shop.access_token)


def test_a_receipt_becomes_an_order_whose_lines_add_up_to_the_grand_total(sim):
    receipt = sim.add_order(usd_order())
    order = adapter(sim).get_order(str(receipt["receipt_id"]))
    shirt, hat, shipping = order.lines
    assert (shirt.sku, shirt.quantity) == ("SKU-1001", D(3))
    # Etsy shows the 6.00 discount for the receipt only: spread over the lines by their gross
    assert (shirt.amount, hat.amount) == (D("54.83"), D("9.14"))
    assert shipping.kind is LineKind.SHIPPING and shipping.amount == D("7.50")
    assert order.total == D("77.37") and order.paid and order.gateway == "etsy_payments"
    offline = adapter(sim).get_order(str(sim.add_order(usd_order(gateway="manual"))["receipt_id"]))
    assert not offline.paid


def test_refunds_are_amounts_with_ids_that_stay_the_same(sim):
    receipt = sim.add_order(usd_order())
    sim.refund_in_shop_manager(receipt["receipt_id"], D("5.00"), "Other", "dent")
    sim.refund_in_shop_manager(receipt["receipt_id"], D("2.50"))   # the same second
    a = adapter(sim)
    order = a.get_order(str(receipt["receipt_id"]))
    first, second = a.list_refunds(order)
    assert (first.total, second.total) == (D("5.00"), D("2.50")) and first.lines == () and first.id != second.id
    assert first.note == "Other dent"
    assert a.list_refunds(order) == [first, second]
    assert a.refund(order.id, second.id) == second


def test_a_refund_on_an_old_receipt_is_found_although_its_updated_timestamp_did_not_move(sim):
    """An adapter that looked for refunds on receipts by min_last_modified would find nothing here."""
    receipt = sim.add_order(usd_order())
    sim.clock.advance(days=3)
    since = sim.clock.now() - timedelta(minutes=100)   # the last scheduled run, long after the sale
    sim.clock.advance(minutes=30)
    sim.refund_in_shop_manager(receipt["receipt_id"], D("10.00"))
    sim.clock.advance(minutes=60)
    found = list(adapter(sim).refunds_since(since))
    assert [(r.order_id, r.total) for r in found] == [(str(receipt["receipt_id"]), D("10.00"))]
    assert list(adapter(sim).orders_updated_since(since)) == []   # the receipt does not look modified


def test_refunds_before_the_window_are_not_listed_again(sim):
    receipt = sim.add_order(usd_order())
    sim.refund_in_shop_manager(receipt["receipt_id"], D("1.00"))
    sim.clock.advance(hours=5)
    assert list(adapter(sim).refunds_since(sim.clock.now() - timedelta(hours=1))) == []


def test_the_connector_cannot_create_etsy_refunds(sim):
    receipt = sim.add_order(usd_order())
    a = adapter(sim)
    with pytest.raises(ConnectorError, match="read-only"):
        a.create_refund(a.get_order(str(receipt["receipt_id"])), RefundPush(D(1), "USD", (), None, "n", "k"))
