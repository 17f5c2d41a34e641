"""The shipped connector's Magento adapter against the simulator: orders, credit memos, pushes."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from connector.storefronts.base import RefundPush
from connector.storefronts.magento import MagentoAdapter
from simulators.magento import MagentoSimulator
from tests.unit.storefront_helpers import usd_order


@pytest.fixture
def sim() -> MagentoSimulator:
    return MagentoSimulator()


@pytest.fixture
def adapter(sim) -> MagentoAdapter:
    return MagentoAdapter(httpx.Client(transport=httpx.MockTransport(sim.handle)), store=sim.domain,
                          access_token=sim.access_token)


def push(total: str, lines=(), shipping=None, note="[netsuite:cashRefund:7]") -> RefundPush:
    return RefundPush(Decimal(total), "USD", tuple(lines), None if shipping is None else Decimal(shipping), note, "k1")


def test_order_reads_lines_shipping_and_payment_method(sim, adapter):
    raw = sim.add_order(replace(usd_order(), gateway="braintree"))
    order = adapter.get_order(str(raw["entity_id"]))
    assert order.total == Decimal(str(raw["grand_total"])) and order.gateway == "braintree" and order.paid
    assert [o.id for o in adapter.orders_updated_since(datetime(2000, 1, 1, tzinfo=timezone.utc))] == [order.id]


def test_card_order_push_goes_online_against_the_invoice(sim, adapter):
    order = adapter.get_order(str(sim.add_order(usd_order())["entity_id"]))
    line = order.item_lines[0]
    worth = (line.amount + line.tax) / line.quantity
    pushed = adapter.create_refund(order, push(str(worth.quantize(Decimal("0.01"))), [(line.line_id, Decimal(1))]))
    memo = sim.creditmemo(pushed.id)
    assert memo["transaction_id"] and memo["invoice_id"] == 1 and memo["shipping_amount"] == 0
    assert adapter.find_pushed_refund(order, "[netsuite:cashRefund:7]").id == pushed.id


def test_offline_paid_push_goes_offline_and_amount_only_names_every_item_at_zero(sim, adapter):
    order = adapter.get_order(str(sim.add_order(replace(usd_order(), gateway="checkmo"))["entity_id"]))
    pushed = adapter.create_refund(order, push("12.35"))
    memo = sim.creditmemo(pushed.id)
    assert memo["transaction_id"] is None and memo["items"] == [] and memo["shipping_amount"] == 0
    assert pushed.amount == Decimal("12.35") and memo["adjustment_positive"] == Decimal("12.35")
    refund = adapter.refund(order.id, pushed.id)
    assert refund.total == Decimal("12.35") and "[netsuite:cashRefund:7]" in refund.note


def test_admin_credit_memos_are_listed_since_a_watermark_with_their_lines(sim, adapter):
    raw = sim.add_order(usd_order())
    sim.refund_in_admin(raw["entity_id"], [(raw["items"][0]["item_id"], 1)], shipping=True)
    refunds = list(adapter.refunds_since(datetime(2000, 1, 1, tzinfo=timezone.utc)))
    assert len(refunds) == 1 and refunds[0].has_line_items
    assert sum((l.gross for l in refunds[0].lines), Decimal(0)) == refunds[0].total
    assert [r.id for r in adapter.list_refunds(adapter.get_order(str(raw["entity_id"])))] == [refunds[0].id]


def test_magento_refusals_read_as_their_message(sim, adapter):
    order = adapter.get_order(str(sim.add_order(usd_order())["entity_id"]))
    with pytest.raises(Exception, match="The most money available to refund is"):
        adapter.create_refund(order, push("1000.00"))
