"""The squareup SDK, unmodified, against the served Square simulator: only its base_url is changed."""
from __future__ import annotations

import uuid

import pytest
from square import Square
from square.core.api_error import ApiError


@pytest.fixture
def square(served_world):
    simulator = served_world.simulators()["square"]
    account = served_world.connect("square")
    orders = [served_world.place_order(account, quantity_first=2) for _ in range(2)]
    client = Square(base_url=served_world.wiring.base_url(simulator), token=simulator.access_token, timeout=10)
    return client, simulator, orders


def test_get_and_list_orders_and_payments(square):
    client, simulator, orders = square
    placed = orders[0].placed
    assert client.orders.get(order_id=placed.order_id).order.id == placed.order_id
    found = client.orders.search(location_ids=[simulator.location_id]).orders
    assert sorted(o.id for o in found) == sorted(o.placed.order_id for o in orders)
    payment = client.payments.get(payment_id=placed.payment_id).payment
    assert (payment.status, payment.order_id) == ("COMPLETED", placed.order_id)
    assert [p.id for p in client.payments.list(sort_order="ASC")] == [o.placed.payment_id for o in orders]


def test_a_partial_refund_then_list_refunds(square):
    client, simulator, orders = square
    placed = orders[0].placed
    refund = client.refunds.refund_payment(idempotency_key=str(uuid.uuid4()), payment_id=placed.payment_id,
                                           amount_money={"amount": 250, "currency": placed.currency},
                                           reason="SDK partial refund").refund
    assert (refund.status, refund.amount_money.amount, refund.order_id) == ("PENDING", 250, placed.order_id)
    assert [r.id for r in client.refunds.list()] == [refund.id]
    assert client.refunds.get(refund_id=refund.id).refund.status == "COMPLETED"  # after one poll
    assert client.payments.get(payment_id=placed.payment_id).payment.refunded_money.amount == 250


def test_an_over_refund_raises_the_sdks_api_error_with_squares_errors(square):
    client, simulator, orders = square
    placed = orders[0].placed
    with pytest.raises(ApiError) as raised:
        client.refunds.refund_payment(idempotency_key=str(uuid.uuid4()), payment_id=placed.payment_id,
                                      amount_money={"amount": 10**9, "currency": placed.currency})
    assert raised.value.status_code == 400
    (error,) = raised.value.errors
    assert (error.category, error.code) == ("REFUND_ERROR", "REFUND_AMOUNT_INVALID")
    assert [r.id for r in client.refunds.list()] == []


def test_a_payments_filter_the_fake_does_not_model_is_refused_not_ignored(square):
    client, simulator, orders = square
    with pytest.raises(ApiError) as raised:
        client.payments.list(card_brand="VISA")
    assert raised.value.status_code == 400 and "card_brand" in raised.value.errors[0].detail
