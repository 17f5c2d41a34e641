"""The NetSuite client: TBA signing, hosts, external ids, Location ids, errors, SuiteQL paging.

NetSuite is the simulator (behind a recording router, so the requests themselves can be inspected);
only a transport failure, which no NetSuite answers, is made up here."""
from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest
from oauthlib import oauth1
from oauthlib.oauth1.rfc5849 import signature, utils

from common import jsonio
from common.clock import ManualClock
from connector import ConnectorError, NetSuiteConfig, RateLimited, RemoteError
from connector.netsuite import (
    NetSuiteClient,
    NonceSource,
    TbaAuth,
    external_id,
    host_for,
    percent_encode,
    sql_ids,
    sql_literal,
)
from tests.unit.connector_helpers import (
    CREDENTIALS,
    NS_ACCOUNT,
    NS_BASE,
    Routes,
    SimulatedNetSuite,
    connector_credentials,
    route_to_netsuite,
    simulated_netsuite,
)

CONFIG = NetSuiteConfig(account_id=NS_ACCOUNT, credentials=CREDENTIALS)


def _client(routes: Routes, clock: ManualClock | None = None, seed: int = 1234, incarnation: int = 1,
            config: NetSuiteConfig = CONFIG) -> NetSuiteClient:
    auth = TbaAuth(config, clock or ManualClock(), NonceSource(seed, incarnation))
    return NetSuiteClient(config, routes.client(), auth)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def netsuite(clock) -> SimulatedNetSuite:
    return simulated_netsuite(clock)


@pytest.fixture
def routes(netsuite) -> Routes:
    routes = Routes()
    route_to_netsuite(routes, netsuite)
    return routes


@pytest.fixture
def client(routes, clock, netsuite) -> NetSuiteClient:
    """The connector's client with the token the simulated account issued."""
    config = NetSuiteConfig(account_id=NS_ACCOUNT, credentials=connector_credentials(netsuite.sim))
    return _client(routes, clock, config=config)


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


def test_every_request_is_signed_with_tba_hmac_sha256(client, routes, clock, netsuite) -> None:
    assert [row["symbol"] for row in client.suiteql("SELECT symbol FROM currency WHERE symbol = 'USD'")] == ["USD"]
    request, credentials = routes.requests[0], netsuite.sim.credentials
    params = _oauth_params(request)
    assert params["realm"] == "1234567_SB1"
    assert params["oauth_signature_method"] == "HMAC-SHA256" and params["oauth_version"] == "1.0"
    assert params["oauth_consumer_key"] == credentials.consumer_key and params["oauth_token"] == credentials.token_id
    assert params["oauth_timestamp"] == str(int(clock.now().timestamp()))
    assert re.fullmatch(r"[0-9a-f]{32}", params["oauth_nonce"])
    assert "oauth_body_hash" not in params   # the JSON body is not part of a TBA signature
    assert request.url.params["limit"] == "1000" and request.url.params["offset"] == "0"
    assert _verifies(request, credentials.consumer_secret, credentials.token_secret)
    assert not _verifies(request, credentials.consumer_secret, "another-token-secret")
    assert netsuite.sim.login_failures() == []


def test_signature_covers_the_query_string(client, routes, netsuite) -> None:
    customer = netsuite.catalog.customer
    assert client.get("customer", customer, expand=True)["id"] == customer
    request, credentials = routes.requests[0], netsuite.sim.credentials
    assert request.url.params["expandSubResources"] == "true"
    assert _verifies(request, credentials.consumer_secret, credentials.token_secret)
    tampered = httpx.Request("GET", str(request.url).replace("true", "false"), headers=request.headers)
    assert not _verifies(tampered, credentials.consumer_secret, credentials.token_secret)


@pytest.mark.parametrize(("method", "url"), [
    ("GET", f"{NS_BASE}/record/v1/customer/eid:shop-1_42"),
    ("GET", f"{NS_BASE}/record/v1/salesOrder/17?expandSubResources=true"),
    ("POST", f"{NS_BASE}/query/v1/suiteql?limit=1000&offset=2000"),
    ("POST", f"{NS_BASE}/record/v1/cashSale/9/!transform/cashRefund?replace=item"),
    ("PUT", f"{NS_BASE}/record/v1/customer/eid:a%20b~c?x=%2F%26&x=1&y=caf%C3%A9&empty="),
    ("GET", f"{NS_BASE.replace('https://', 'HTTPS://')}:443/record/v1/item/caf%C3%A9?q=a+b&z=%7E&a=%E6%97%A5"),
])
def test_the_header_is_what_oauthlibs_client_signs(method, url) -> None:
    """TbaAuth's header is byte for byte what ``oauthlib.oauth1.Client.sign`` makes with the same nonce and
    timestamp."""
    clock = ManualClock()
    auth = TbaAuth(CONFIG, clock, NonceSource(7, 1))
    header = auth.authorization(method, url)
    reference = oauth1.Client(
        CREDENTIALS.consumer_key, client_secret=CREDENTIALS.consumer_secret, resource_owner_key=CREDENTIALS.token_id,
        resource_owner_secret=CREDENTIALS.token_secret, signature_method=oauth1.SIGNATURE_HMAC_SHA256,
        realm=NS_ACCOUNT, nonce=NonceSource(7, 1)(), timestamp=str(int(clock.now().timestamp())))
    assert header == reference.sign(url, http_method=method)[1]["Authorization"]


def test_percent_encoding_is_oauthlibs() -> None:
    every_ascii = "".join(chr(code) for code in range(128))
    for text in (every_ascii, "café ünïcødé 日本 🙂", "", "a" * 64, "%41%2f+ =&~"):
        assert percent_encode(text) == utils.escape(text)


def test_nonces_are_seeded_unique_and_new_after_a_restart() -> None:
    first = NonceSource(1234, incarnation=1)
    draws = [first() for _ in range(50)]
    assert len(set(draws)) == 50
    assert [NonceSource(1234, 1)() for _ in range(1)] == draws[:1]     # replays with the same seed
    assert NonceSource(1234, 2)() not in draws                          # a restarted ledger draws afresh
    assert NonceSource(99, 1)() != draws[0]


def test_timestamp_follows_the_clock(client, routes, clock, netsuite) -> None:
    client.get("customer", netsuite.catalog.customer)
    clock.advance(minutes=10)   # NetSuite refuses a timestamp 5 minutes off its own clock
    client.get("customer", netsuite.catalog.customer)
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
    for not_an_id in ("1 OR 1=1", "\u00b2", "9" * 5000):   # refused in words, never a bare ValueError
        with pytest.raises(ConnectorError, match="is not a NetSuite internal id"):
            sql_ids([not_an_id])


def test_create_reads_the_id_from_location(client, routes, netsuite) -> None:
    created = client.create("customer", {"externalId": "x", "firstName": "Grace", "lastName": "Hopper"})
    assert created == netsuite.by_eid("customer", "x")["id"]
    assert routes.requests[0].headers["Content-Type"] == "application/json"


def _cash_sale(netsuite: SimulatedNetSuite) -> dict:
    """A billed order of one tee, bought twice."""
    return netsuite.bill(netsuite.sales_order("client-order-1", [
        {"item": {"id": netsuite.catalog.tee}, "quantity": 2, "amount": 40, "taxAmount": 0}]))


def test_transform_posts_to_the_bang_transform_path(client, netsuite) -> None:
    cash_sale = _cash_sale(netsuite)
    created = client.transform("cashSale", cash_sale["id"], "cashRefund",
                               {"item": {"items": [{"orderLine": 1, "quantity": 1}]}})
    assert netsuite.record("cashRefund", created)["createdFrom"]["id"] == cash_sale["id"]
    assert netsuite.calls() == [f"POST /services/rest/record/v1/cashSale/{cash_sale['id']}/!transform/cashRefund"
                                "?replace=item"]


def test_errors_carry_netsuites_detail(client, netsuite) -> None:
    cash_sale = _cash_sale(netsuite)
    with pytest.raises(RemoteError) as rejected:
        client.transform("cashSale", cash_sale["id"], "cashRefund",
                         {"item": {"items": [{"orderLine": 1, "quantity": 3}]}})
    assert rejected.value.status == 400 and not rejected.value.retryable
    assert "USER_ERROR at item.items[0].quantity" in str(rejected.value)
    [detail] = jsonio.loads(netsuite.transforms()[0].response_body)["o:errorDetails"]
    assert detail["detail"] in str(rejected.value)
    assert client.get_by_external_id("salesOrder", "nope") is None
    with netsuite.sim.concurrent_requests_elsewhere(netsuite.sim.settings.concurrency_limit):
        with pytest.raises(RateLimited) as limited:
            client.suiteql("SELECT id FROM currency")
    assert limited.value.retryable and "retried on the next run" in str(limited.value)


def test_transport_failures_are_retryable() -> None:
    def boom(request, match):
        raise httpx.ConnectError("connection refused", request=request)
    routes = Routes()
    routes.add("GET", r".", boom)
    with pytest.raises(RemoteError) as failed:
        _client(routes).get("customer", "1")
    assert failed.value.retryable and "Could not reach NetSuite" in str(failed.value)


def test_suiteql_follows_has_more_and_caches_currencies(client, routes, netsuite) -> None:
    catalog = netsuite.catalog
    items = [catalog.tee, catalog.mug, catalog.generic]
    rows = client.suiteql(f"SELECT id FROM item WHERE id IN ({', '.join(items)}) ORDER BY id", page_size=2)
    assert [row["id"] for row in rows] == sorted(items, key=int)
    assert [r.url.params["offset"] for r in routes.requests] == ["0", "2"]
    assert all(r.headers["Prefer"] == "transient" for r in routes.requests)

    euro = next(row["id"] for row in client.suiteql("SELECT id FROM currency WHERE symbol = 'EUR'"))
    asked = len(routes.requests)
    assert client.currency_id("EUR") == euro and client.currency_id("EUR") == euro
    assert len(routes.requests) == asked + 1
