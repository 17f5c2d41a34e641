"""Property: partial line refunds never exceed the purchased quantity and, once a line is fully
refunded, its refunded subtotals and taxes equal the line's discounted price and tax exactly."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from common import money
from common.clock import ManualClock
from simulators.core.orders import LineSpec, OrderSpec
from simulators.shopify import ShopifySimulator
from tests.unit.storefront_helpers import shopify_client
from tests.property_budget import examples

CURRENCIES = ("USD", "JPY", "KWD")


@st.composite
def line_and_refunds(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    quantum = money.quantum(currency)
    quantity = draw(st.integers(min_value=1, max_value=12))
    price = draw(st.integers(min_value=1, max_value=500_000)) * quantum
    discount = draw(st.integers(min_value=0, max_value=int(price * quantity / quantum))) * quantum
    tax_rate = draw(st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.0625"), Decimal("0.0825"),
                                     Decimal("0.1"), Decimal("0.19")]))
    # attempts may overshoot: the simulator must refuse exactly the ones that would
    attempts = draw(st.lists(st.integers(min_value=1, max_value=quantity + 2), min_size=1, max_size=10))
    return currency, LineSpec("SKU-P", "Property", price, quantity, discount, tax_rate), attempts


@settings(max_examples=examples(60), deadline=None)
@given(line_and_refunds())
def test_partial_line_refunds_sum_exactly_to_the_line(case):
    currency, line_spec, attempts = case
    sim = ShopifySimulator(clock=ManualClock(), seed=1)
    order = sim.add_order(OrderSpec(currency=currency, lines=(line_spec,)))
    line = order["line_items"][0]
    line_net = money.amount(line_spec.price * line_spec.quantity - line_spec.discount, currency)
    line_tax = sum((Decimal(t["price"]) for t in line["tax_lines"]), money.ZERO)
    refunded = 0
    subtotal = tax = money.ZERO
    with shopify_client(sim) as client:
        # top up with the exact remainder so every example ends fully refunded
        for quantity in [*attempts, None]:
            quantity = quantity if quantity is not None else line_spec.quantity - refunded
            if quantity == 0:
                break
            response = client.post(f"/orders/{order['id']}/refunds.json", json={"refund": {
                "refund_line_items": [{"line_item_id": line["id"], "quantity": quantity}]}})
            fits = refunded + quantity <= line_spec.quantity
            assert response.status_code == (201 if fits else 422), response.text
            if fits:
                (row,) = response.json()["refund"]["refund_line_items"]
                refunded += row["quantity"]
                subtotal += Decimal(row["subtotal_set"]["shop_money"]["amount"])
                tax += Decimal(row["total_tax_set"]["shop_money"]["amount"])
            assert refunded <= line_spec.quantity
    assert refunded == line_spec.quantity
    assert subtotal == line_net
    assert tax == line_tax
