"""The NetSuite client: TBA signing, hosts, external ids, Location ids, errors, SuiteQL paging."""
from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest
from oauthlib.oauth1.rfc5849 import signature, utils

from common.clock import ManualClock
from connector import NetSuiteConfig, RateLimited, RemoteError
from connector.netsuite import (
    NetSuiteClient,
    NonceSource,
    TbaAuth,
    external_id,
    host_for,
    sql_ids,
    sql_literal,
)
from tests.unit.connector_helpers import (
    CREDENTIALS,
    NS_ACCOUNT,
    NS_BASE,
    Routes,
    json_response,
    ns_error,
)

CONFIG = NetSuiteConfig(account_id=NS_ACCOUNT, credentials=CREDENTIALS)


def _client(routes: Routes, clock: ManualClock | None = None, seed: int = 1234, incarnation: int = 1) -> NetSuiteClient:
    auth = TbaAuth(CONFIG, clock or ManualClock(), NonceSource(seed, incarnation))
    return NetSuiteClient(CONFIG, routes.client(), auth)


def _oauth_params(request: httpx.Request) -> dict[str, str]:
    header = request.headers["Authorization"]
    assert header.startswith("OAuth ")
    return {k: v for k, v in re.findall(r'(\w+)="([^"]*)"', header)}


def _verifies(request: httpx.Request, consumer_secret: str, token_secret: str) -> bool:
    """Verify exactly as NetSuite does: URL as received, query + oauth params, no realm, no body."""
    header = request.headers["Authorization"]
    params = signature.collect_parameters(uri_query=request.url.query.decode(), headers={"Authorization": header},
                                          with_realm=False)
    sent = utils.unescape(dict(utils.parse_authorization_header(header))["oauth_signature"])
    received = SimpleNamespace(params=params, uri=str(request.url), http_method=request.method, signature=sent)
    return signature.verify_hmac_sha256(received, consumer_secret, token_secret)


def test_every_request_is_signed_with_tba_hmac_sha256() -> None:
    routes, clock = Routes(), ManualClock()
    routes.add("POST", r"/query/v1/suiteql", {"items": [], "hasMore": False})
    _client(routes, clock).suiteql("SELECT id FROM currency WHERE symbol = 'USD'")
    request = routes.requests[0]
    params = _oauth_params(request)
    assert params["realm"] == "1234567_SB1"
    assert params["oauth_signature_method"] == "HMAC-SHA256" and params["oauth_version"] == "1.0"
    assert params["oauth_consumer_key"] == "consumer-key" and params["oauth_token"] == "token-id"
    assert params["oauth_timestamp"] == str(int(clock.now().timestamp()))
    assert re.fullmatch(r"[0-9a-f]{32}", params["oauth_nonce"])
    assert "oauth_body_hash" not in params   # the JSON body is not part of a TBA signature
    assert request.url.params["limit"] == "1000" and request.url.params["offset"] == "0"
    assert _verifies(request, "consumer-secret", "token-secret")
    assert not _verifies(request, "consumer-secret", "another-token-secret")


def test_signature_covers_the_query_string() -> None:
    routes = Routes()
    routes.add("GET", r"/record/v1/cashSale/5", json_response(200, {"id": "5"}))
    _client(routes).get("cashSale", "5", expand=True)
    request = routes.requests[0]
    assert request.url.params["expandSubResources"] == "true" and _verifies(request, "consumer-secret", "token-secret")
    tampered = httpx.Request("GET", str(request.url).replace("true", "false"), headers=request.headers)
    assert not _verifies(tampered, "consumer-secret", "token-secret")


def test_nonces_are_seeded_unique_and_new_after_a_restart() -> None:
    first = NonceSource(1234, incarnation=1)
    draws = [first() for _ in range(50)]
    assert len(set(draws)) == 50
    assert [NonceSource(1234, 1)() for _ in range(1)] == draws[:1]     # replays with the same seed
    assert NonceSource(1234, 2)() not in draws                          # a restarted ledger draws afresh
    assert NonceSource(99, 1)() != draws[0]


def test_timestamp_follows_the_clock() -> None:
    routes, clock = Routes(), ManualClock()
    routes.add("GET", r"/record/v1/", json_response(200, {"id": "1"}))
    client = _client(routes, clock)
    client.get("customer", "1")
    clock.advance(minutes=10)
    client.get("customer", "1")
    stamps = [int(_oauth_params(r)["oauth_timestamp"]) for r in routes.requests]
    assert stamps[1] - stamps[0] == 600


def test_hosts_and_external_ids() -> None:
    assert host_for("1234567_SB1") == "1234567-sb1.suitetalk.api.netsuite.com"
    assert CONFIG.base_url == NS_BASE
    assert external_id("shopify", "acme-outfitters", "order", 1001) == "shopify-acme-outfitters-order-1001"
    assert external_id("shopify", "acme.outfitters", "refund", "gid://shopify/Refund/9|x") == \
        "shopify-acme_outfitters-refund-gid___shopify_Refund_9_x"
    assert re.fullmatch(r"[A-Za-z0-9_-]+", external_id("square", "L 1", "order", "ä+ö;DROP"))
    assert sql_literal("O'Brien") == "'O''Brien'"
    assert sql_ids(["12", "7"]) == "12, 7"
    with pytest.raises(ValueError):
        sql_ids(["1 OR 1=1"])


def test_create_reads_the_id_from_location() -> None:
    routes = Routes()
    routes.add("POST", r"/record/v1/salesOrder$",
               httpx.Response(204, headers={"Location": f"{NS_BASE}/record/v1/salesOrder/647"}))
    assert _client(routes).create("salesOrder", {"externalId": "x"}) == "647"
    assert routes.requests[0].headers["Content-Type"] == "application/json"


def test_transform_posts_to_the_bang_transform_path() -> None:
    routes = Routes()
    routes.add("POST", r"!transform/cashRefund", httpx.Response(204, headers={"Location": f"{NS_BASE}/record/v1/cashRefund/9"}))
    assert _client(routes).transform("cashSale", "5", "cashRefund", {"item": {"items": []}}) == "9"
    assert routes.calls() == ["POST /services/rest/record/v1/cashSale/5/!transform/cashRefund?replace=item"]


def test_errors_carry_netsuites_detail() -> None:
    routes = Routes()
    routes.add("POST", r"!transform", ns_error(400, "USER_ERROR", "Line 1 of CS-1: refund quantity 3 exceeds the "
                                                               "remaining quantity 1.", "item.items[0].quantity"))
    routes.add("GET", r"/record/v1/salesOrder/eid:", ns_error(404, "NONEXISTENT_ID", "Record not found."))
    routes.add("POST", r"/suiteql", ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded."))
    client = _client(routes)
    with pytest.raises(RemoteError) as rejected:
        client.transform("cashSale", "1", "cashRefund", {})
    assert rejected.value.status == 400 and not rejected.value.retryable
    assert "remaining quantity 1" in str(rejected.value) and "USER_ERROR at item.items[0].quantity" in str(rejected.value)
    assert client.get_by_external_id("salesOrder", "nope") is None
    with pytest.raises(RateLimited) as limited:
        client.suiteql("SELECT 1 FROM currency")
    assert limited.value.retryable and "retried on the next run" in str(limited.value)


def test_transport_failures_are_retryable() -> None:
    def boom(request, match):
        raise httpx.ConnectError("connection refused", request=request)
    routes = Routes()
    routes.add("GET", r".", boom)
    with pytest.raises(RemoteError) as failed:
        _client(routes).get("customer", "1")
    assert failed.value.retryable and "Could not reach NetSuite" in str(failed.value)


def test_suiteql_follows_has_more_and_caches_currencies() -> None:
    routes, pages = Routes(), iter([
        {"items": [{"links": [], "id": "1"}, {"links": [], "id": "2"}], "hasMore": True},
        {"items": [{"links": [], "id": "3"}], "hasMore": False}])
    routes.add("POST", r"/suiteql", lambda request, match: json_response(200, next(pages)))
    client = _client(routes)
    assert [row["id"] for row in client.suiteql("SELECT id FROM item", page_size=2)] == ["1", "2", "3"]
    assert [r.url.params["offset"] for r in routes.requests] == ["0", "2"]
    assert all(r.headers["Prefer"] == "transient" for r in routes.requests)

    routes.add("POST", r"/suiteql", {"items": [{"links": [], "id": "4", "symbol": "EUR"}], "hasMore": False})
    assert client.currency_id("EUR") == "4" and client.currency_id("EUR") == "4"
    assert len(routes.requests) == 3
