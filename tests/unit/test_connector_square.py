"""The Square adapter against handwritten Connect v2 answers: amount-only refunds, async status."""
from __future__ import annotations

from decimal import Decimal

import pytest

from connector import RemoteError
from connector.model import SourceStatus
from connector.storefronts.base import RefundPush
from connector.storefronts.square import SquareAdapter
from tests.unit.connector_helpers import SQUARE_BASE, Routes, body_of, json_response

D = Decimal


def money(cents: int) -> dict:
    return {"amount": cents, "currency": "USD"}


def square_order(order_id: str = "ORD1") -> dict:
    return {"id": order_id, "location_id": "LOC1", "state": "COMPLETED", "created_at": "2026-01-05T09:10:00.000Z",
            "updated_at": "2026-01-05T09:10:00.000Z",
            "line_items": [{"uid": "u1", "name": "Tee", "quantity": "2", "variation_name": "TEE-1",
                            "base_price_money": money(2000), "gross_sales_money": money(4000),
                            "total_discount_money": money(500), "total_tax_money": money(280),
                            "total_money": money(3780)}],
            "service_charges": [{"uid": "s1", "name": "Delivery", "amount_money": money(700),
                                 "total_tax_money": money(56), "total_money": money(756)}],
            "tenders": [{"id": "PAY1", "type": "CARD", "amount_money": money(4536), "payment_id": "PAY1"}],
            "total_money": money(4536), "total_tax_money": money(336), "total_discount_money": money(500)}


def refund(refund_id: str, status: str = "PENDING", cents: int = 1000, payment_id: str = "PAY1",
           reason: str = "") -> dict:
    return {"id": refund_id, "status": status, "amount_money": money(cents), "payment_id": payment_id,
            "order_id": "ORD1", "location_id": "LOC1", "reason": reason, "created_at": "2026-01-05T10:00:00Z",
            "updated_at": "2026-01-05T10:00:00Z"}


def _adapter(routes: Routes) -> SquareAdapter:
    return SquareAdapter(routes.client(), location_id="LOC1", access_token="sq-token")


def test_order_lines_come_from_minor_units() -> None:
    routes = Routes()
    routes.add("GET", r"/v2/orders/ORD1$", {"order": square_order()})
    order = _adapter(routes).get_order("ORD1")
    request = routes.requests[0]
    assert str(request.url) == f"{SQUARE_BASE}/orders/ORD1"
    assert request.headers["Authorization"] == "Bearer sq-token" and request.headers["Square-Version"]
    tee, delivery = order.lines
    assert (tee.line_id, tee.sku, tee.quantity, tee.unit_price, tee.amount, tee.tax) == \
        ("u1", "TEE-1", D(2), D("20.00"), D("35.00"), D("2.80"))
    assert (delivery.amount, delivery.tax) == (D("7.00"), D("0.56"))
    assert order.total == D("45.36") and order.payment_ids == ("PAY1",) and order.paid and order.gateway == "square"


def test_an_order_of_another_location_is_refused() -> None:
    routes = Routes()
    routes.add("GET", r"/v2/orders/ORD1$", {"order": square_order() | {"location_id": "ELSEWHERE"}})
    with pytest.raises(RemoteError, match="belongs to location ELSEWHERE"):
        _adapter(routes).get_order("ORD1")


def _payment_with_refunds(routes: Routes, *refunds: dict) -> None:
    routes.add("GET", r"/v2/payments/PAY1$", {"payment": {"id": "PAY1", "status": "COMPLETED",
                                                          "refund_ids": [r["id"] for r in refunds]}})
    for found in refunds:
        routes.add("GET", rf"/v2/refunds/{found['id']}$", {"refund": found})


def test_refunds_of_an_order_are_the_refunds_of_its_payments() -> None:
    routes = Routes()
    _payment_with_refunds(routes, refund("R1", "COMPLETED", 1000), refund("R3", "FAILED", 200))
    adapter = _adapter(routes)
    found = adapter.list_refunds(adapter.parse_order(square_order()))
    assert [(r.id, r.total, r.status, r.lines) for r in found] == [
        ("R1", D("10.00"), SourceStatus.COMPLETED, ()), ("R3", D("2.00"), SourceStatus.FAILED, ())]
    # read through the payment's own refund_ids, never by listing the seller's refunds since the order
    assert [str(r.url) for r in routes.requests] == [
        f"{SQUARE_BASE}/payments/PAY1", f"{SQUARE_BASE}/refunds/R1", f"{SQUARE_BASE}/refunds/R3"]


def test_create_refund_is_amount_only_with_the_idempotency_key() -> None:
    routes = Routes()
    routes.add("POST", r"/v2/refunds$", lambda request, match: json_response(200, {"refund": refund(
        "R9", "PENDING", body_of(request)["amount_money"]["amount"], reason=body_of(request)["reason"])}))
    adapter = _adapter(routes)
    pushed = adapter.create_refund(adapter.parse_order(square_order()), RefundPush(
        total=D("22.84"), currency="USD", lines=(("u1", D(1)),), shipping=D("7.00"),
        note="Refund from NetSuite CR-7 [netsuite:CR-7:5013]", idempotency_key="0f6b1c1e-key"))
    assert body_of(routes.requests[0]) == {"idempotency_key": "0f6b1c1e-key",
                                           "amount_money": {"amount": 2284, "currency": "USD"},
                                           "payment_id": "PAY1", "reason": "Refund from NetSuite CR-7 [netsuite:CR-7:5013]"}
    assert (pushed.id, pushed.status, pushed.amount) == ("R9", SourceStatus.PENDING, D("22.84"))


def test_status_is_polled_and_square_errors_are_read() -> None:
    routes = Routes()
    routes.add("GET", r"/v2/refunds/R9$", {"refund": refund("R9", "COMPLETED")})
    routes.add("GET", r"/v2/refunds/R8$", {"refund": refund("R8", "REJECTED")})
    routes.add("POST", r"/v2/refunds$", json_response(400, {"errors": [{
        "category": "INVALID_REQUEST_ERROR", "code": "REFUND_AMOUNT_INVALID",
        "detail": "The requested refund amount exceeds the amount available to refund.", "field": "amount_money"}]}))
    adapter = _adapter(routes)
    assert adapter.pushed_refund("ORD1", "R9", "USD").status is SourceStatus.COMPLETED
    assert adapter.pushed_refund("ORD1", "R8", "USD").status is SourceStatus.FAILED
    with pytest.raises(RemoteError, match="exceeds the amount available to refund. \\(REFUND_AMOUNT_INVALID, field amount_money\\)"):
        adapter.create_refund(adapter.parse_order(square_order()), RefundPush(
            total=D("999.00"), currency="USD", lines=(), shipping=None, note="n", idempotency_key="k"))


def test_find_pushed_refund_skips_failed_attempts() -> None:
    routes = Routes()
    _payment_with_refunds(routes, refund("R1", "FAILED", reason="x [netsuite:CR-7:5013]"),
                          refund("R2", "PENDING", reason="x [netsuite:CR-7:5013]"))
    adapter = _adapter(routes)
    order = adapter.parse_order(square_order())
    assert adapter.find_pushed_refund(order, "[netsuite:CR-7:5013]").id == "R2"
    assert adapter.find_pushed_refund(order, "[netsuite:CR-1:1]") is None


@pytest.mark.parametrize("body", [{"errors": "Service Unavailable"}, {"errors": ["upstream timeout"]},
                                  {"message": "Bad Gateway"}, ["not", "an", "object"], "plain text"])
def test_an_error_body_that_is_not_squares_is_reported_as_it_came(body):
    from connector.storefronts.square import read_error

    assert read_error(body) == str(body)[:300]
