"""The Etsy simulator: receipts in Etsy's shapes (minor-unit Money with a divisor, epoch seconds),
refunds as amounts on the receipt that leave its updated_timestamp alone, limit/offset paging, the
per-second and per-day budgets with their headers, and errors as {"error": "..."}."""
from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from common.clock import ManualClock
from simulators.etsy import EtsyError, EtsySimulator
from tests.unit.storefront_helpers import jpy_order, usd_order

D = Decimal


@pytest.fixture
def sim() -> EtsySimulator:
    return EtsySimulator(clock=ManualClock())


def client(sim: EtsySimulator, token: str | None = None, key: str | None = None) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(sim.handle),
                        base_url=f"https://openapi.etsy.com/v3/application/shops/{sim.shop.shop_id}",
                        headers={"x-api-key": key or sim.shop.api_key,
                                 "Authorization": f"Bearer {token or sim.shop.access_token}"})


def test_a_receipt_reads_in_minor_units_with_a_divisor(sim):
    receipt = sim.add_order(usd_order())
    got = client(sim).get(f"/receipts/{receipt['receipt_id']}").json()
    assert got["grandtotal"] == {"amount": 7737, "divisor": 100, "currency_code": "USD"}
    assert got["discount_amt"]["amount"] == 600 and got["total_shipping_cost"]["amount"] == 750
    assert got["transactions"][0]["price"] == {"amount": 1999, "divisor": 100, "currency_code": "USD"}
    assert got["is_paid"] and got["payment_method"] == "cc" and got["refunds"] == []
    yen = client(sim).get(f"/receipts/{sim.add_order(jpy_order())['receipt_id']}").json()
    assert yen["grandtotal"]["divisor"] == 1


def test_a_refund_is_an_amount_on_the_receipt_and_its_updated_timestamp_does_not_move(sim):
    receipt = sim.add_order(usd_order())
    before = client(sim).get(f"/receipts/{receipt['receipt_id']}").json()
    sim.clock.advance(days=2)
    sim.refund_in_shop_manager(receipt["receipt_id"], D("12.35"), "Other", "sorry")
    after = client(sim).get(f"/receipts/{receipt['receipt_id']}").json()
    [refund] = after["refunds"]
    assert refund["amount"] == {"amount": 1235, "divisor": 100, "currency_code": "USD"}
    assert refund["created_timestamp"] == before["created_timestamp"] + 2 * 86_400
    assert set(refund) == {"amount", "created_timestamp", "reason", "note_from_issuer", "status"}   # no id, no lines
    assert after["updated_timestamp"] == before["updated_timestamp"]
    since = before["created_timestamp"] + 86_400
    modified = client(sim).get("/receipts", params={"min_last_modified": since}).json()
    assert modified["count"] == 0   # a search by modification misses the refunded receipt


def test_never_more_than_what_is_left(sim):
    receipt = sim.add_order(usd_order())
    sim.refund_in_shop_manager(receipt["receipt_id"], D("70.00"))
    with pytest.raises(EtsyError, match="7.37"):
        sim.refund_in_shop_manager(receipt["receipt_id"], D("8.00"))
    with pytest.raises(EtsyError):
        sim.refund_in_shop_manager(receipt["receipt_id"], D("0"))


def test_receipts_page_with_limit_and_offset(sim):
    for _ in range(3):
        sim.add_order(usd_order())
        sim.clock.advance(seconds=1)
    first = client(sim).get("/receipts", params={"limit": 2, "sort_order": "asc"}).json()
    rest = client(sim).get("/receipts", params={"limit": 2, "offset": 2, "sort_order": "asc"}).json()
    assert first["count"] == rest["count"] == 3 and len(first["results"]) == 2 and len(rest["results"]) == 1
    bad = client(sim).get("/receipts", params={"limit": 101})
    assert bad.status_code == 400 and set(bad.json()) == {"error"}


def test_the_per_second_budget_answers_429_with_retry_after(sim):
    receipt = sim.add_order(usd_order())
    c = client(sim)
    answers = [c.get(f"/receipts/{receipt['receipt_id']}") for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[0].headers["x-limit-per-second"] == "10" and answers[0].headers["x-remaining-this-second"] == "9"
    assert answers[10].status_code == 429 and answers[10].headers["retry-after"] == "1"
    sim.clock.advance(seconds=1)
    assert c.get(f"/receipts/{receipt['receipt_id']}").status_code == 200


def test_the_per_day_budget(sim):
    sim.settings.per_day = 3
    receipt = sim.add_order(usd_order())
    c = client(sim)
    assert [c.get(f"/receipts/{receipt['receipt_id']}").status_code for _ in range(4)] == [200, 200, 200, 429]
    sim.clock.advance(days=1)
    assert c.get(f"/receipts/{receipt['receipt_id']}").status_code == 200


def test_auth_and_shop_ownership(sim):
    receipt = sim.add_order(usd_order())
    assert client(sim, key="nope").get(f"/receipts/{receipt['receipt_id']}").status_code == 403
    assert client(sim, token="1.nope").get(f"/receipts/{receipt['receipt_id']}").status_code == 401
    other = sim.add_shop("Other")
    assert client(sim, token=other.access_token).get(f"/receipts/{receipt['receipt_id']}").status_code == 403
    mine = httpx.Client(transport=httpx.MockTransport(sim.handle),
                        headers={"x-api-key": other.api_key, "Authorization": f"Bearer {other.access_token}"})
    missing = mine.get(f"https://openapi.etsy.com/v3/application/shops/{other.shop_id}/receipts/{receipt['receipt_id']}")
    assert missing.status_code == 404 and set(missing.json()) == {"error"}


@pytest.mark.parametrize("spelled", ["true", "True", "TRUE"])
def test_a_boolean_filter_takes_pythons_spelling_too(sim, spelled):
    sim.add_order(usd_order())
    paid = client(sim).get("/receipts", params={"was_paid": spelled})
    assert paid.status_code == 200 and paid.json()["count"] == 1
    assert client(sim).get("/receipts", params={"was_paid": "False"}).json()["count"] == 0
    assert client(sim).get("/receipts", params={"was_paid": "yes"}).status_code == 400
