"""The 90-minute schedule on the injected clock, and per-refund isolation within a run."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from connector import Direction, ErrorFacts, ErrorKind, RefundStatus
from connector.schedule import REFUND_SYNC_INTERVAL
from tests.unit.connector_helpers import (body_of, 
    add_shopify_account,
    connector_on_netsuite,
    json_response,
    shopify_order,
    shopify_refund,
)


@pytest.fixture
def world(tmp_path):
    order_1001 = shopify_order(1001) | {"refunds": [shopify_refund(901, 1001)], "updated_at": "2026-01-05T09:30:00Z"}
    order_1002 = shopify_order(1002) | {"name": "#1002", "refunds": [shopify_refund(902, 1002)],
                                        "updated_at": "2026-01-05T09:30:00Z"}
    answers = [("GET", r"/orders/1001\.json$", {"order": order_1001}),
               ("GET", r"/orders/1002\.json$", {"order": order_1002}),
               ("GET", r"/orders\.json\?", {"orders": [order_1001, order_1002]}),
               ("GET", r"/orders/1001/refunds\.json$", {"refunds": order_1001["refunds"]}),
               ("GET", r"/orders/1002/refunds\.json$", {"refunds": order_1002["refunds"]})]
    with connector_on_netsuite(tmp_path, answers) as (connector, netsuite, routes):
        account = add_shopify_account(connector, netsuite.settings)
        connector.activate_order_sync(account.id)
        yield connector, netsuite, routes, account


def _turn_on(connector, account) -> None:
    connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE, next_refund_run_at=connector.clock.now())


def test_only_due_accounts_run_every_90_minutes(world) -> None:
    connector, netsuite, routes, account = world
    assert REFUND_SYNC_INTERVAL == timedelta(minutes=90)
    assert connector.run_scheduled().accounts == []          # refund sync off: never due
    _turn_on(connector, account)
    assert connector.run_scheduled().accounts == [account.id]
    ran_at = connector.clock.now()
    assert connector.account(account.id).next_refund_run_at == ran_at + timedelta(minutes=90)
    connector.clock.advance(minutes=89)
    assert connector.run_scheduled().accounts == []
    connector.clock.advance(minutes=1)
    assert connector.run_scheduled().accounts == [account.id]
    listing = [body_of(r)["variables"] for r in routes.requests if r.url.path.endswith("/graphql.json")
               and body_of(r)["operationName"] == "OrdersSince"]
    # the second run looks back from the first one (with a small overlap), not from the beginning
    assert listing[-1]["query"] == "updated_at:>='2026-01-05T08:50:00Z'"


def test_one_failing_refund_does_not_block_the_others(world) -> None:
    connector, netsuite, routes, account = world
    link = connector.sync_order(account.id, "1001")      # 1002 is never synced
    netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
    _turn_on(connector, account)
    connector.retrieve_refunds(account.id, "1002")       # retrieved by hand: its order is not ours to find
    summary = connector.run_scheduled()
    assert (summary.retrieved, summary.posted, summary.errors) == (1, 1, 1)
    assert "never synced" in summary.messages[0]
    by_source = {r.source_id: r for r in connector.refunds(account_id=account.id)}
    assert by_source["901"].status is RefundStatus.POSTED and by_source["902"].status is RefundStatus.ERROR


def test_retryable_errors_are_retried_by_the_next_run(world) -> None:
    connector, netsuite, routes, account = world
    link = connector.sync_order(account.id, "1001")
    _turn_on(connector, account)
    first = connector.run_scheduled()
    assert (first.posted, first.errors) == (0, 1) and "not billed yet" in first.messages[0]
    netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
    connector.clock.advance(minutes=90)
    second = connector.run_scheduled()
    assert (second.retrieved, second.posted, second.errors) == (0, 1, 0)


def test_errors_a_person_must_fix_are_not_retried(world) -> None:
    connector, netsuite, routes, account = world
    link = connector.sync_order(account.id, "1001")
    netsuite.sim.delete("salesOrder", link.sales_order_id)   # deleted in NetSuite: cancel and handle by hand
    _turn_on(connector, account)
    assert connector.run_scheduled().errors == 1
    connector.clock.advance(minutes=90)
    asked_before = len(netsuite.sim.journal)
    second = connector.run_scheduled()
    assert (second.posted, second.errors) == (0, 0)
    assert not any("salesOrder/eid" in call for call in netsuite.calls()[asked_before:])


def test_a_storefront_rate_limit_is_an_error_for_the_next_run(world) -> None:
    connector, netsuite, routes, account = world
    connector.sync_order(account.id, "1001")
    _turn_on(connector, account)
    routes.add("GET", r"/orders\.json\?", json_response(429, {"errors": "Exceeded 2 calls per second for api client."},
                                                        {"Retry-After": "2.0"}))
    summary = connector.run_scheduled()
    assert summary.errors == 1 and "rate limit" in summary.messages[0] and "next run" in summary.messages[0]
    assert connector.account(account.id).next_refund_run_at == connector.clock.now() + timedelta(minutes=90)


def _retrieve_a_billed_order_s_refund(connector, netsuite, account) -> None:
    """Order 1001 synced and billed, refund sync on to NetSuite, and its refund retrieved (not posted yet)."""
    link = connector.sync_order(account.id, "1001")
    netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
    connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE)
    connector.retrieve_refunds(account.id, "1001")


def test_a_run_that_fails_midway_still_posts_what_was_retrieved(world) -> None:
    connector, netsuite, routes, account = world
    _retrieve_a_billed_order_s_refund(connector, netsuite, account)
    routes.add("GET", r"/orders\.json\?", json_response(401, {"errors": "[API] Invalid API key or access token"}))
    summary = connector.run_scheduled()
    assert (summary.posted, summary.errors) == (1, 1) and "Reconnect the account" in summary.messages[0]


def test_an_answer_nobody_foresaw_fails_the_retrieval_not_the_run(world) -> None:
    """A listing whose JSON is an object, as expected, but holds the wrong thing deeper down raises
    inside the adapter's parsing: the run still posts what was retrieved before, says what broke, and
    schedules the next run."""
    connector, netsuite, routes, account = world
    _retrieve_a_billed_order_s_refund(connector, netsuite, account)
    routes.add("GET", r"/orders\.json\?", {"orders": 7})
    summary = connector.run_scheduled()
    assert (summary.posted, summary.errors) == (1, 1), summary.messages
    assert "looking for new refunds failed: unexpected" in summary.messages[0]
    assert connector.account(account.id).next_refund_run_at == connector.clock.now() + timedelta(minutes=90)


# --- an error's facts beside its sentence -------------------------------------------------------------
def test_a_failed_listing_is_in_the_summary_with_its_facts(world) -> None:
    connector, netsuite, routes, account = world
    connector.sync_order(account.id, "1001")
    _turn_on(connector, account)
    routes.add("GET", r"/orders\.json\?", json_response(429, {"errors": "Exceeded 2 calls per second for api client."}))
    [failure] = connector.run_scheduled().failures
    assert failure.facts == ErrorFacts(ErrorKind.STATUS, retryable=True, system="Shopify", status=429)
    assert (failure.account_id, failure.refund_id) == (account.id, None)
    assert failure.message.startswith("Account 'Acme Shopify': looking for new refunds failed: Shopify rate limit")


def _raising(failure: type[httpx.TransportError]):
    def answer(request: httpx.Request, match) -> httpx.Response:
        raise failure("the transport's own words", request=request)
    return answer


@pytest.mark.parametrize("answer, kind", [
    (_raising(httpx.ReadTimeout), ErrorKind.TIMEOUT),
    (_raising(httpx.ConnectTimeout), ErrorKind.TIMEOUT),
    (_raising(httpx.RemoteProtocolError), ErrorKind.RESET),
    (_raising(httpx.ReadError), ErrorKind.RESET),
    (_raising(httpx.ConnectError), ErrorKind.UNREACHABLE),
    (httpx.Response(200, content=b'{"orders": []}', headers={"Content-Length": "999"}), ErrorKind.TRUNCATED),
    (httpx.Response(200, content=b"<html>maintenance</html>"), ErrorKind.UNREADABLE),
    (json_response(503, {"errors": "Unavailable"}), ErrorKind.STATUS),
], ids=lambda value: value.value if isinstance(value, ErrorKind) else "")
def test_a_failed_request_is_of_the_kind_its_transport_or_answer_says(world, answer, kind) -> None:
    connector, netsuite, routes, account = world
    connector.sync_order(account.id, "1001")
    _turn_on(connector, account)
    routes.add("POST", r"/graphql\.json$", answer)   # the listing, routed once the order is synced
    [failure] = connector.run_scheduled().failures
    assert (failure.facts.kind, failure.facts.system, failure.facts.retryable) == (kind, "Shopify", True), failure


def test_a_refund_left_in_error_keeps_its_facts_in_the_ledger_and_the_summary(world) -> None:
    connector, netsuite, routes, account = world
    connector.sync_order(account.id, "1001")   # not billed: the connector's own rule stops its refund
    _turn_on(connector, account)
    summary = connector.run_scheduled()
    [row] = [r for r in connector.refunds(account.id) if r.status is RefundStatus.ERROR]
    assert row.error_facts == ErrorFacts(ErrorKind.CONNECTOR, retryable=True) and "not billed yet" in row.error
    [failure] = summary.failures
    assert (failure.facts, failure.refund_id, failure.account_id) == (row.error_facts, row.id, account.id)
    assert summary.messages == [failure.message] == [f"Refund {row.id} ({row.source_id}): {row.error}"]


def test_an_unexpected_exception_is_recorded_as_one(world) -> None:
    connector, netsuite, routes, account = world
    _retrieve_a_billed_order_s_refund(connector, netsuite, account)
    routes.add("GET", r"/orders\.json\?", {"orders": 7})
    [failure] = connector.run_scheduled().failures
    assert failure.facts == ErrorFacts(ErrorKind.UNEXPECTED)
