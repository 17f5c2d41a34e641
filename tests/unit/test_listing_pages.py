"""Listings as real APIs answer them: a page size the server imposes (Python and the /_sim control
plane), and the listing_lag fault, which answers a request's listings as of N seconds ago."""
from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from simulators.core.faults import OBSERVER_HEADER, BadRule, FaultRule
from simulators.serve.control import ControlPlane
from simulators.square import SquareSimulator
from tests.unit.storefront_helpers import usd_order


@pytest.fixture
def square():
    return SquareSimulator(seed=3)


def _auth(square, **extra):
    return {"Authorization": f"Bearer {square.access_token}", **extra}


def _get(square, path, **kwargs):
    http = httpx.Client(transport=httpx.MockTransport(square.handle), base_url=f"https://{square.hosts[0]}")
    return http.get(path, **kwargs)


def _refunded_payment(square, refunds: int) -> str:
    _order, payment = square.add_order(usd_order(gateway="square"))
    http = httpx.Client(transport=httpx.MockTransport(square.handle), base_url=f"https://{square.hosts[0]}")
    for n in range(refunds):
        body = {"idempotency_key": f"{payment['id']}-{n}", "payment_id": payment["id"],
                "amount_money": {"amount": 100, "currency": "USD"}}
        assert http.post("/v2/refunds", json=body, headers=_auth(square)).status_code == 200
    return payment["id"]


def test_a_capped_listing_pages_through_the_platforms_cursor_whatever_limit_is_asked(square):
    _refunded_payment(square, 3)
    square.set_max_page_size(1)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        body = _get(square, "/v2/refunds", params=params, headers=_auth(square)).json()
        assert len(body["refunds"]) == 1
        seen += [r["id"] for r in body["refunds"]]
        pages += 1
        cursor = body.get("cursor")
        if not cursor:
            break
    assert pages == 3 and len(set(seen)) == 3
    whole = _get(square, "/v2/refunds", params={"limit": "100"}, headers=_auth(square, **{OBSERVER_HEADER: "1"}))
    assert len(whole.json()["refunds"]) == 3 and "cursor" not in whole.json()   # the harness looking sees all


def test_the_page_cap_survives_reset_and_refuses_what_is_not_a_page_size(square):
    square.set_max_page_size(2)
    square.reset()
    assert square.max_page_size == 2
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="max_page_size must be"):
            square.set_max_page_size(bad)
    square.set_max_page_size(None)
    assert square.page_limit(100) == 100


def test_the_control_plane_sets_the_page_size_and_names_bad_input(square):
    plane = ControlPlane(square)
    url = f"https://{square.hosts[0]}/_sim/page_size"

    def call(method, body=None):
        response = plane.handle(httpx.Request(method, url, content=json.dumps(body).encode() if body is not None else b""))
        return response.status_code, json.loads(response.content)

    assert call("GET") == (200, {"max_page_size": None})
    assert call("PUT", {"max_page_size": 1}) == (200, {"max_page_size": 1})
    assert square.max_page_size == 1 and call("GET") == (200, {"max_page_size": 1})
    status, body = call("PUT", {"max_page_size": 0})
    assert status == 400 and "max_page_size must be at least 1" in body["error"]
    status, body = call("PUT", {"page_size": 1})
    assert status == 400 and "page_size is not a page-size field" in body["error"]
    assert call("PUT", {"max_page_size": None}) == (200, {"max_page_size": None})


@pytest.mark.parametrize("fields, message", [
    ({"action": "listing_lag"}, "a listing_lag rule needs seconds"),
    ({"action": "listing_lag", "seconds": 0}, "seconds must be more than 0 for a listing_lag rule"),
    ({"action": "listing_lag", "seconds": -5}, "seconds must be 0 or more"),
    ({"action": "listing_lag", "seconds": 60, "status": 503}, "status does not apply to a listing_lag rule"),
    ({"action": "listing_lag", "seconds": 60, "topic": "refunds/create"}, "topic does not apply"),
])
def test_a_bad_listing_lag_rule_is_refused_naming_the_problem(fields, message):
    with pytest.raises(BadRule, match=message):
        FaultRule(**fields)


def test_a_lagging_listing_omits_what_was_written_within_the_lag_for_as_many_reads_as_the_rule_says(square):
    payment_id = _refunded_payment(square, 1)
    square.clock.advance(timedelta(minutes=10))
    _refunded_payment(square, 0)   # nothing new: the one refund is 10 minutes old
    made_now = _refunded_payment(square, 1)   # another payment, refunded now
    rule = square.faults.add(action="listing_lag", seconds=300, operation="get_payment", times=1)

    def refund_ids(pid):
        return _get(square, f"/v2/payments/{pid}", headers=_auth(square)).json()["payment"]["refund_ids"]

    assert refund_ids(made_now) == []                      # written within the last 5 minutes: not listed yet
    assert len(refund_ids(made_now)) == 1                  # the rule fired once: listed again
    square.faults.add(action="listing_lag", seconds=300, operation="get_payment")
    assert len(refund_ids(payment_id)) == 1                # older than the lag: listed
    assert rule.fired == 1
    assert [e.fault for e in square.journal.entries() if e.operation == "get_payment"][0] == "f1 listing_lag 300s"
