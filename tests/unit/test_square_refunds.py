"""Square simulator: RefundPayment rules, status progression and idempotency."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from common.clock import ManualClock
from simulators.square import SquareError, SquareSimulator
from tests.unit.storefront_helpers import jpy_order, square_client, usd_order

D = Decimal


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> SquareSimulator:
    return SquareSimulator(clock=clock, seed=9)


@pytest.fixture
def client(sim: SquareSimulator):
    with square_client(sim) as c:
        yield c


@pytest.fixture
def payment(sim: SquareSimulator) -> dict[str, Any]:
    return sim.add_order(usd_order())[1]  # 77.37 USD


def refund(client: httpx.Client, payment_id: str, amount: int, key: str = "key-1", currency: str = "USD",
           **extra: Any) -> httpx.Response:
    return client.post("/v2/refunds", json={"idempotency_key": key, "payment_id": payment_id,
                                            "amount_money": {"amount": amount, "currency": currency},
                                            "reason": "Returned goods", **extra})


def error_of(response: httpx.Response) -> dict[str, Any]:
    (error,) = response.json()["errors"]
    return error


def test_refund_starts_pending_and_completes_on_the_first_poll(sim, client, payment):
    response = refund(client, payment["id"], 1000)
    assert response.status_code == 200
    created = response.json()["refund"]
    assert created["status"] == "PENDING"
    assert created["amount_money"] == {"amount": 1000, "currency": "USD"}
    assert (created["payment_id"], created["order_id"], created["location_id"], created["reason"]) == \
        (payment["id"], payment["order_id"], sim.location_id, "Returned goods")
    assert created["id"].startswith(payment["id"] + "_")
    assert client.get("/v2/refunds").json()["refunds"][0]["status"] == "PENDING"  # listing is not polling
    polled = client.get(f"/v2/refunds/{created['id']}").json()["refund"]
    assert polled["status"] == "COMPLETED"
    paid = client.get(f"/v2/payments/{payment['id']}").json()["payment"]
    assert paid["refund_ids"] == [created["id"]] and paid["refunded_money"]["amount"] == 1000
    order = client.get(f"/v2/orders/{payment['order_id']}").json()["order"]
    assert order["refunds"] == [{
        "id": created["id"], "location_id": sim.location_id, "transaction_id": payment["order_id"],
        "tender_id": payment["id"], "created_at": created["created_at"], "reason": "Returned goods",
        "amount_money": {"amount": 1000, "currency": "USD"}, "status": "APPROVED"}]


def test_polls_to_complete_is_a_setting(sim, client, payment):
    sim.settings.polls_to_complete = 3
    refund_id = refund(client, payment["id"], 100).json()["refund"]["id"]
    statuses = [client.get(f"/v2/refunds/{refund_id}").json()["refund"]["status"] for _ in range(4)]
    assert statuses == ["PENDING", "PENDING", "COMPLETED", "COMPLETED"]


def test_control_plane_completes_or_fails_a_pending_refund(sim, client, payment):
    sim.settings.polls_to_complete = None  # stays PENDING however often it is polled
    first = refund(client, payment["id"], 100, key="a").json()["refund"]["id"]
    second = refund(client, payment["id"], 100, key="b").json()["refund"]["id"]
    assert client.get(f"/v2/refunds/{first}").json()["refund"]["status"] == "PENDING"
    assert sim.complete_refund(first)["status"] == "COMPLETED"
    assert client.get(f"/v2/refunds/{first}").json()["refund"]["status"] == "COMPLETED"
    assert sim.fail_refund(second)["status"] == "FAILED"
    with pytest.raises(ValueError, match="already COMPLETED"):
        sim.fail_refund(first)
    with pytest.raises(KeyError):
        sim.complete_refund("nope")


def test_failed_refund_blocks_further_refunds_on_that_payment(sim, client, payment):
    refund_id = refund(client, payment["id"], 500, key="a").json()["refund"]["id"]
    sim.fail_refund(refund_id)
    assert client.get(f"/v2/refunds/{refund_id}").json()["refund"]["status"] == "FAILED"
    refused = refund(client, payment["id"], 100, key="b")
    assert refused.status_code == 400
    error = error_of(refused)
    assert (error["category"], error["code"]) == ("REFUND_ERROR", "PAYMENT_NOT_REFUNDABLE")
    assert refund_id in error["detail"]
    assert client.get(f"/v2/payments/{payment['id']}").json()["payment"]["refunded_money"]["amount"] == 0
    other_payment = sim.add_order(usd_order())[1]
    assert refund(client, other_payment["id"], 100, key="c").status_code == 200  # other payments unaffected


def test_idempotent_replay_returns_the_same_refund(sim, client, payment):
    first = refund(client, payment["id"], 700)
    client.get(f"/v2/refunds/{first.json()['refund']['id']}")  # completes it
    replay = refund(client, payment["id"], 700)
    assert replay.status_code == 200
    assert replay.json()["refund"]["id"] == first.json()["refund"]["id"]
    assert replay.json()["refund"]["status"] == "COMPLETED"  # the refund as it is now
    assert client.get(f"/v2/payments/{payment['id']}").json()["payment"]["refund_ids"] == [first.json()["refund"]["id"]]


def test_idempotency_key_reused_for_another_amount_is_refused(client, payment):
    refund(client, payment["id"], 700)
    response = refund(client, payment["id"], 800)
    assert response.status_code == 400
    assert error_of(response) == {
        "category": "INVALID_REQUEST_ERROR", "code": "IDEMPOTENCY_KEY_REUSED",
        "detail": "Refund request idempotency key was previously used for a different amount",
        "field": "idempotency_key"}
    other = refund(client, payment["id"], 700, reason="something else")
    assert error_of(other)["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_refunds_up_to_what_was_collected(sim, client, payment):
    assert refund(client, payment["id"], 7000, key="a").status_code == 200  # PENDING still holds money
    over = refund(client, payment["id"], 738, key="b")
    assert over.status_code == 400
    error = error_of(over)
    assert (error["category"], error["code"]) == ("REFUND_ERROR", "REFUND_AMOUNT_INVALID")
    assert error["detail"].startswith("The requested refund amount exceeds the amount available to refund")
    assert refund(client, payment["id"], 737, key="c").status_code == 200
    assert refund(client, payment["id"], 1, key="d").status_code == 400


def test_a_failed_refund_does_not_count_against_the_collected_amount(sim, client, payment):
    refund_id = refund(client, payment["id"], 7737, key="a").json()["refund"]["id"]
    sim.fail_refund(refund_id)
    paid = client.get(f"/v2/payments/{payment['id']}").json()["payment"]
    assert paid["refunded_money"]["amount"] == 0


def test_only_completed_payments_are_refundable(sim, client):
    _, approved = sim.add_order(usd_order(paid=False))
    response = refund(client, approved["id"], 100)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "PAYMENT_NOT_REFUNDABLE" and "APPROVED" in error["detail"]


def test_at_most_twenty_refunds_per_payment(sim, client, payment):
    for n in range(20):
        assert refund(client, payment["id"], 1, key=f"k{n}").status_code == 200
    response = refund(client, payment["id"], 1, key="k20")
    assert response.status_code == 400 and "20" in error_of(response)["detail"]


@pytest.mark.parametrize("field", ["line_items", "refund_line_items", "line_item_uid", "quantity"])
def test_line_item_fields_are_refused(client, payment, field):
    response = refund(client, payment["id"], 100, **{field: [{"uid": "x", "quantity": "1"}]})
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == field and "cannot refund by line" in error["detail"]


@pytest.mark.parametrize("mutate,code,field", [
    (lambda b: b.pop("idempotency_key"), "MISSING_REQUIRED_PARAMETER", "idempotency_key"),
    (lambda b: b.update(idempotency_key=""), "VALUE_TOO_SHORT", "idempotency_key"),
    (lambda b: b.update(idempotency_key="k" * 46), "VALUE_TOO_LONG", "idempotency_key"),
    (lambda b: b.pop("payment_id"), "MISSING_REQUIRED_PARAMETER", "payment_id"),
    (lambda b: b.pop("amount_money"), "MISSING_REQUIRED_PARAMETER", "amount_money"),
    (lambda b: b.update(amount_money={"amount": "10.00", "currency": "USD"}), "EXPECTED_INTEGER", "amount_money.amount"),
    (lambda b: b.update(amount_money={"amount": 10.5, "currency": "USD"}), "EXPECTED_INTEGER", "amount_money.amount"),
    (lambda b: b.update(amount_money={"amount": 0, "currency": "USD"}), "VALUE_TOO_LOW", "amount_money.amount"),
    (lambda b: b.update(amount_money={"amount": -100, "currency": "USD"}), "VALUE_TOO_LOW", "amount_money.amount"),
    (lambda b: b.update(amount_money={"amount": 100}), "MISSING_REQUIRED_PARAMETER", "amount_money.currency"),
    (lambda b: b.update(amount_money={"amount": 100, "currency": "XYZ"}), "INVALID_ENUM_VALUE", "amount_money.currency"),
    (lambda b: b.update(amount_money={"amount": 100, "currency": "EUR"}), "INVALID_VALUE", "amount_money.currency"),
    (lambda b: b.update(reason=5), "EXPECTED_STRING", "reason"),
])
def test_malformed_refund_requests_are_400(client, payment, mutate, code, field):
    body = {"idempotency_key": "k", "payment_id": payment["id"],
            "amount_money": {"amount": 100, "currency": "USD"}, "reason": "r"}
    mutate(body)
    response = client.post("/v2/refunds", json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["category"], error["code"], error["field"]) == ("INVALID_REQUEST_ERROR", code, field)


def test_idempotency_key_of_45_characters_is_fine(client, payment):
    assert refund(client, payment["id"], 100, key="k" * 45).status_code == 200


def test_refund_of_an_unknown_payment_is_404(client):
    response = refund(client, "nope", 100)
    assert response.status_code == 404 and error_of(response)["code"] == "NOT_FOUND"


def test_malformed_json_is_400(client):
    response = client.post("/v2/refunds", content=b"{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["errors"][0]["category"] == "INVALID_REQUEST_ERROR"


def test_jpy_refund_in_whole_yen(sim, client):
    _, payment = sim.add_order(jpy_order())
    response = refund(client, payment["id"], 3520, currency="JPY")
    assert response.json()["refund"]["amount_money"] == {"amount": 3520, "currency": "JPY"}
    assert refund(client, payment["id"], 1, key="more", currency="JPY").status_code == 400


def test_refund_in_dashboard_follows_the_same_rules(sim, client, payment):
    made = sim.refund_in_dashboard(payment["id"], D("12.34"), "Goodwill")
    assert made["status"] == "PENDING" and made["amount_money"] == {"amount": 1234, "currency": "USD"}
    assert client.get("/v2/refunds").json()["refunds"][0]["id"] == made["id"]
    with pytest.raises(SquareError) as refused:
        sim.refund_in_dashboard(payment["id"], D("65.04"))
    assert refused.value.code == "REFUND_AMOUNT_INVALID"
    assert sim.refund_in_dashboard(payment["id"], D("65.03"))["amount_money"]["amount"] == 6503


def test_list_refunds_filters_and_pages(sim, client, clock, payment):
    ids = []
    for n in range(5):
        ids.append(refund(client, payment["id"], 100, key=f"k{n}").json()["refund"]["id"])
        clock.advance(minutes=1)
    client.get(f"/v2/refunds/{ids[0]}")  # completes the first one
    newest_first = client.get("/v2/refunds").json()["refunds"]
    assert [r["id"] for r in newest_first] == ids[::-1]
    seen, cursor = [], None
    while True:
        params = {"sort_order": "ASC", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v2/refunds", params=params).json()
        seen += [r["id"] for r in body["refunds"]]
        cursor = body.get("cursor")
        if not cursor:
            break
    assert seen == ids
    completed = client.get("/v2/refunds", params={"status": "COMPLETED"}).json()["refunds"]
    assert [r["id"] for r in completed] == [ids[0]]
    window = client.get("/v2/refunds", params={"begin_time": "2026-01-05T09:02:00Z",
                                              "end_time": "2026-01-05T09:03:00Z"}).json()["refunds"]
    assert [r["id"] for r in window] == [ids[3], ids[2]]
    assert client.get("/v2/refunds", params={"location_id": "elsewhere"}).json() == {"refunds": []}


@pytest.mark.parametrize("params,code", [
    ({"sort_order": "SIDEWAYS"}, "INVALID_SORT_ORDER"),
    ({"limit": "0"}, "VALUE_TOO_LOW"),
    ({"limit": "many"}, "EXPECTED_INTEGER"),
    ({"status": "DONE"}, "INVALID_ENUM_VALUE"),
    ({"begin_time": "2026-02-01T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"}, "INVALID_TIME_RANGE"),
    ({"cursor": "garbage"}, "INVALID_CURSOR"),
])
def test_bad_refund_listings_are_400(client, params, code):
    response = client.get("/v2/refunds", params=params)
    assert response.status_code == 400 and error_of(response)["code"] == code


def test_list_refunds_pages_at_most_100_whatever_limit_asks_for(sim, client):
    for n in range(101):   # a payment takes at most 20 refunds
        if n % 20 == 0:
            payment = sim.add_order(usd_order())[1]
        sim.refund_in_dashboard(payment["id"], 1, f"r{n}")
    body = client.get("/v2/refunds", params={"limit": "500"}).json()
    assert len(body["refunds"]) == 100 and "cursor" in body
    rest = client.get("/v2/refunds", params={"limit": "500", "cursor": body["cursor"]}).json()
    assert len(rest["refunds"]) == 1 and "cursor" not in rest


def test_reset_forgets_refunds_and_idempotency_keys(sim, client, payment):
    refund(client, payment["id"], 100)
    sim.reset()
    payment = sim.add_order(usd_order())[1]
    assert client.get("/v2/refunds").json() == {"refunds": []}
    assert refund(client, payment["id"], 200).status_code == 200  # the key is free again


@pytest.mark.parametrize("sort_field, code", [("junk", "INVALID_ENUM_VALUE"), ("UPDATED_AT", "BAD_REQUEST")])
def test_list_refunds_refuses_a_sort_field_it_cannot_honour(sort_field, code):
    from common.clock import ManualClock
    from simulators.square import SquareSimulator
    from tests.unit.storefront_helpers import square_client

    sim = SquareSimulator(clock=ManualClock(), seed=3)
    with square_client(sim) as client:
        response = client.get("/v2/refunds", params={"sort_field": sort_field})
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == code
        assert client.get("/v2/refunds", params={"sort_field": "CREATED_AT"}).status_code == 200
