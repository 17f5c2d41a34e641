"""The fault plane in process: rule order, scopes, firing, every action, platform-shaped errors,
webhook and clock faults, the journal, and the shipped connector surviving a lost NetSuite answer."""
from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from common.clock import ManualClock, parse_iso
from harness.journal import journal_summary
from harness.scenario import ScenarioWorld
from connector.errors import RateLimited
from connector.storefronts.shopify import Q_REFUND, ShopifyAdapter
from simulators.core.faults import BadRule, FaultPlane, FaultRule, FaultTarget
from simulators.netsuite import NetSuiteSimulator
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator
from tests.unit.storefront_helpers import shopify_client, usd_order

NS_CUSTOMERS = "/services/rest/record/v1/customer"


def client(simulator) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(simulator.handle), base_url=f"https://{simulator.hosts[0]}")


@pytest.fixture
def netsuite():
    return NetSuiteSimulator()


@pytest.fixture
def square():
    return SquareSimulator(seed=3)


def square_get(square, path, token=None):
    return client(square).get(path, headers={"Authorization": f"Bearer {token or square.access_token}"})


def test_the_first_rule_that_matches_and_fires_applies(netsuite):
    netsuite.faults.add(action="status", status=503, times=1)
    netsuite.faults.add(action="status", status=500)
    http = client(netsuite)
    assert [http.get(NS_CUSTOMERS).status_code for _ in range(3)] == [503, 500, 500]
    assert [r.fired for r in netsuite.faults.rules()] == [1, 2]


def test_each_scope_narrows_a_rule(square):
    other = square.add_merchant("Seller 2")
    square.faults.add(action="status", status=502, tenant=other.location_id)
    square.faults.add(action="status", status=503, method="POST", path=r"^/v2/refunds$")
    square.faults.add(action="status", status=504, operation="list_payments")
    square.faults.add(action="status", status=500, simulator="netsuite")
    assert square_get(square, "/v2/refunds", other.access_token).status_code == 502   # tenant
    assert square_get(square, "/v2/refunds").status_code == 200                      # not POST, not netsuite
    assert client(square).post("/v2/refunds", json={}, headers={
        "Authorization": f"Bearer {square.access_token}"}).status_code == 503        # method + path
    assert square_get(square, "/v2/payments").status_code == 504                     # operation


def test_a_probability_replays_with_the_same_seed_and_differs_with_another():
    def fired(seed):
        plane = FaultPlane(seed)
        rule = plane.add(action="status", status=503, probability=0.5)
        return [plane.decide(_facts()) is rule for _ in range(40)]

    assert fired(7) == fired(7)
    assert fired(7) != fired(8)
    assert 5 < sum(fired(7)) < 35


def _facts():
    from simulators.core.faults import Facts
    return Facts("netsuite", method="GET", path="/x")


def test_count_and_sequences_consumed_or_cycled():
    plane = FaultPlane()
    counted = plane.add(action="reset", times=2)
    assert [plane.decide(_facts()) is counted for _ in range(3)] == [True, True, False]
    plane.remove(counted.id)
    once = plane.add(action="reset", sequence=["pass", "fail"])
    assert [plane.decide(_facts()) is once for _ in range(4)] == [False, True, False, False]
    plane.remove(once.id)
    cycled = plane.add(action="reset", sequence=["fail", "pass"], cycle=True)
    assert [plane.decide(_facts()) is cycled for _ in range(4)] == [True, False, True, False]
    assert [r.id for r in plane.rules()] == [cycled.id] and cycled.seen == 4 and cycled.fired == 2


@pytest.mark.parametrize("fields, message", [
    ({"action": "explode"}, "action must be one of"),
    ({"action": "status"}, "a status rule needs status"),
    ({"action": "status", "status": 200}, "status must be an HTTP error status"),
    ({"action": "status", "status": 503, "times": 1, "probability": 0.5}, "at most one of times, probability"),
    ({"action": "reset", "sequence": ["fail", "maybe"]}, "sequence entries must be 'pass' or 'fail'"),
    ({"action": "reset", "path": "("}, "path is not a valid regular expression"),
    ({"action": "webhook_twice", "method": "GET"}, "method does not apply to a webhook_twice rule"),
    ({"action": "clock_skew", "seconds": -60, "times": 1}, "times does not apply to a clock_skew rule"),
    ({"action": "latency", "seconds": -1}, "seconds must be 0 or more"),
    ({"action": "status", "status": 503, "keep_bytes": 3}, "keep_bytes applies only to a truncated rule"),
])
def test_a_bad_rule_is_refused_naming_the_field(fields, message):
    with pytest.raises(BadRule, match=message):
        FaultRule(**fields)


def test_names_an_attached_simulator_does_not_have_are_refused(netsuite):
    with pytest.raises(BadRule, match="operation 'list_refunds' is not an operation of netsuite; known: .*suiteql"):
        netsuite.faults.add(action="reset", simulator="netsuite", operation="list_refunds")
    with pytest.raises(BadRule, match="error 'nope' is not a named error of netsuite; known: closed_period, concurrency_limit"):
        netsuite.faults.add(action="status", status=429, simulator="netsuite", error="nope")


# --- actions -------------------------------------------------------------------------------------

def test_status_answers_in_each_platforms_error_shape(netsuite, square):
    shopify = ShopifySimulator()
    for simulator in (netsuite, shopify, square):
        simulator.faults.add(action="status", status=503)
    ns = client(netsuite).get(NS_CUSTOMERS)
    assert ns.json()["o:errorDetails"][0]["o:errorCode"] == "UNEXPECTED_ERROR"
    assert ns.headers["content-type"].endswith("type=error")
    assert client(shopify).get("/admin/api/2024-10/orders.json").json() == {"errors": "Service Unavailable"}
    (error,) = square_get(square, "/v2/refunds").json()["errors"]
    assert (error["category"], error["code"]) == ("API_ERROR", "SERVICE_UNAVAILABLE")


def test_429_with_and_without_retry_after_and_netsuites_401_under_concurrency(netsuite):
    netsuite.faults.add(action="status", status=429, retry_after=2, times=1)
    netsuite.faults.add(action="status", status=429, times=1)
    netsuite.faults.add(action="status", status=401, error="concurrency_limit", times=1)
    http = client(netsuite)
    first, second, third = (http.get(NS_CUSTOMERS) for _ in range(3))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "2")
    assert second.status_code == 429 and "Retry-After" not in second.headers
    assert second.json()["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert third.status_code == 401
    assert third.json()["o:errorDetails"][0] == {"detail": "Concurrent request limit exceeded. Request blocked.",
                                                 "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}


def test_latency_goes_through_the_injected_sleep(netsuite):
    slept: list[float] = []
    netsuite.faults.sleep = slept.append
    netsuite.faults.add(action="latency", seconds=1.5, times=1)
    assert client(netsuite).get(NS_CUSTOMERS).status_code == 401  # answered as usual (unsigned) after the delay
    assert slept == [1.5]


def test_timeout_and_reset_process_nothing(square):
    square.faults.add(action="timeout", times=1)
    square.faults.add(action="reset", times=1)
    http = client(square)
    body = {"idempotency_key": "k1", "payment_id": "nope", "amount_money": {"amount": 1, "currency": "USD"}}
    auth = {"Authorization": f"Bearer {square.access_token}"}
    with pytest.raises(httpx.ReadTimeout, match="not processed"):
        http.post("/v2/refunds", json=body, headers=auth)
    with pytest.raises(httpx.RemoteProtocolError, match="closed the connection"):
        http.post("/v2/refunds", json=body, headers=auth)
    assert [(e.status, e.fault) for e in square.journal.entries()] == [(0, "f1 timeout"), (0, "f2 reset")]


def test_a_lost_answer_still_writes(square):
    _order, payment = square.add_order(usd_order(gateway="square"))
    square.faults.add(action="lost_answer", operation="refund_payment", times=1)
    body = {"idempotency_key": "k1", "payment_id": payment["id"], "amount_money": {"amount": 500, "currency": "USD"}}
    with pytest.raises(httpx.ReadTimeout, match="processed but its answer lost"):
        client(square).post("/v2/refunds", json=body, headers={"Authorization": f"Bearer {square.access_token}"})
    (entry,) = square.journal.entries()
    assert entry.status == 200 and entry.fault == "f1 lost_answer as timeout"
    made = json.loads(entry.response_body)["refund"]
    assert square.refund(made["id"])["amount_money"] == {"amount": 500, "currency": "USD"}


def test_a_truncated_answer_cannot_be_parsed(netsuite):
    netsuite.faults.add(action="truncated", keep_bytes=10)
    response = client(netsuite).get(NS_CUSTOMERS)
    assert len(response.content) == 10 and int(response.headers["content-length"]) > 10
    with pytest.raises(json.JSONDecodeError):
        response.json()


# --- webhooks and clocks -------------------------------------------------------------------------

def _shop_with_refunds(count: int):
    received: list[str] = []
    receiver = httpx.Client(transport=httpx.MockTransport(
        lambda r: received.append(r.headers["X-Shopify-Webhook-Id"]) or httpx.Response(200)))
    shop = ShopifySimulator(webhook_client=receiver)
    shop.backend.subscribe("refunds/create", "https://hooks.example/refunds", "json", shop.api_version)
    order = shop.add_order(usd_order())
    for _ in range(count):
        shop.refund_in_admin(order["id"], [(order["line_items"][0]["id"], 1)])
    return shop, received


@pytest.mark.parametrize("action", ["webhook_twice", "webhook_out_of_order", "webhook_never"])
def test_webhook_faults(action):
    shop, received = _shop_with_refunds(2)
    queued = [d.webhook_id for d in shop.deliveries]
    shop.faults.add(action=action, topic="refunds/create")
    shop.deliver_webhooks()
    expected = {"webhook_twice": [queued[0], queued[0], queued[1], queued[1]],
                "webhook_out_of_order": list(reversed(queued)), "webhook_never": []}[action]
    assert received == expected
    assert [e.fault for e in shop.journal.entries(method="WEBHOOK")] == [f"f1 {action}"] * 2
    shop.faults.clear()
    shop.deliver_webhooks()
    assert received == expected, "a delivered webhook is not resent, and a lost one never comes"


def test_clock_skew_stamps_records_behind_the_world_clock():
    clock = ManualClock()
    shop = ShopifySimulator(clock=clock)
    shop.faults.add(action="clock_skew", seconds=-300, simulator="shopify")
    order = shop.add_order(usd_order())
    assert parse_iso(order["created_at"]) == clock.now() - timedelta(minutes=5)
    shop.faults.clear()
    assert parse_iso(shop.add_order(usd_order())["created_at"]) == clock.now()


# --- end to end ----------------------------------------------------------------------------------

def test_a_lost_netsuite_answer_then_a_scheduled_run_leaves_exactly_one_refund(tmp_path):
    world = ScenarioWorld(seed=5, workdir=tmp_path)
    try:
        account = world.connect("shopify")
        world.connector.activate_order_sync(account.id)
        order = world.place_order(account)
        world.sync(order)
        world.bill(order)
        world.connector.enable_refund_sync(account.id, "to_netsuite")
        world.refund_at_storefront(order, lines=((1, 1),), as_amount=True)
        target = world.netsuite.fault_targets["create refund"].scope()
        rule = world.faults.add(action="lost_answer", simulator="netsuite", times=1, **target)
        world.run_schedule()
        assert rule.fired == 1, "the refund create never reached NetSuite"
        world.run_schedule()
        assert len(world.netsuite_view.refunds_of(order)) == 1
        assert [r.status for r in world.refunds_of(order)] == ["posted"]
        assert "[fault f1 lost_answer as timeout]" in journal_summary(world.simulators(), last=500)
    finally:
        world.close()


def test_a_fault_target_covers_the_requests_journaled_as_its_operation(netsuite):
    create, read = netsuite.fault_targets["create refund"], netsuite.fault_targets["read refund"]
    transform = "/services/rest/record/v1/cashSale/7/!transform/cashRefund"
    assert create.covers("", "POST", transform) and not create.covers("", "GET", transform)
    assert read.covers("", "GET", "/services/rest/record/v1/creditMemo/12")
    assert not read.covers("", "GET", "/services/rest/record/v1/cashSale/7")
    assert not read.covers("", "POST", transform)
    assert FaultTarget(operation=("suiteql",)).covers("suiteql", "POST", "/services/rest/query/v1/suiteql")
    assert not FaultTarget(operation=("suiteql",)).covers("get_record", "GET", "/services/rest/record/v1/cashSale/7")
    assert not FaultTarget(topic="refunds/create").covers("", "POST", "/webhooks/shopify")


def test_a_simulator_names_a_requests_operation_without_answering_it(netsuite):
    request = httpx.Request("GET", f"https://{netsuite.hosts[0]}{NS_CUSTOMERS}/1")
    request.read()
    assert netsuite.operation_of(request) == "get_record"
    assert netsuite.journal.entries() == []


def test_shopify_throttles_graphql_inside_a_200_and_the_shipped_adapter_takes_it_for_a_rate_limit():
    shopify = ShopifySimulator()
    shopify.faults.add(action="status", status=429, error="graphql_throttled", times=1)
    with shopify_client(shopify) as http:
        answer = http.post("/graphql.json", json={"query": "{ shop { name } }"})
    assert answer.status_code == 200
    assert [e["extensions"]["code"] for e in answer.json()["errors"]] == ["THROTTLED"]
    shopify.faults.add(action="status", status=429, error="graphql_throttled", times=1)
    adapter = ShopifyAdapter(httpx.Client(transport=httpx.MockTransport(shopify.handle)), shop=shopify.shop,
                             access_token=shopify.access_token)
    with pytest.raises(RateLimited) as throttled:
        adapter.graphql(Q_REFUND, {"id": "gid://shopify/Refund/1"}, what="read refund 1")
    assert throttled.value.retryable and throttled.value.code == "THROTTLED"
