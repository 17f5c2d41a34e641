"""WooCommerce REST authentication: Basic over HTTPS, OAuth 1.0a over HTTP, key permissions.

The OAuth reference is the ``woocommerce`` 3.0.0 SDK's own signing (``woocommerce.oauth.OAuth``),
unmodified: a URL it signs must verify, and any change to it must not.
"""
from __future__ import annotations

import base64
import urllib.parse

import httpx
import pytest
from woocommerce.oauth import OAuth

from simulators.woocommerce import WooCommerceSimulator, woocommerce_signature
from tests.unit.storefront_helpers import usd_order

API = "/wp-json/wc/v3"


@pytest.fixture
def sim() -> WooCommerceSimulator:
    simulator = WooCommerceSimulator()
    simulator.add_order(usd_order(gateway="stripe"))
    return simulator


def now(sim: WooCommerceSimulator) -> int:
    return int(sim.clock.now().timestamp())


def sdk_url(sim: WooCommerceSimulator, path: str, method: str = "GET", *, secret: str | None = None,
            timestamp: int | None = None, key: str | None = None) -> str:
    """A URL signed by the SDK exactly as it signs one over http."""
    return OAuth(url=f"http://{sim.host}{API}/{path}", consumer_key=key or sim.consumer_key,
                 consumer_secret=secret or sim.consumer_secret, version="wc/v3", method=method,
                 oauth_timestamp=timestamp if timestamp is not None else now(sim)).get_oauth_url()


def get(sim: WooCommerceSimulator, url: str, **kwargs) -> httpx.Response:
    return sim.handle(httpx.Request("GET", url, **kwargs))


def test_a_url_the_sdk_signs_verifies(sim):
    response = get(sim, sdk_url(sim, "orders?per_page=5&status=any"))
    assert response.status_code == 200, response.text
    assert response.headers["X-WP-Total"] == "1"


def test_the_sdk_sends_its_params_twice_and_php_keeps_the_last(sim):
    """The SDK signs params in the URL and hands them to requests again; $_GET collapses them."""
    url = sdk_url(sim, "orders?per_page=5&status=any") + "&per_page=5&status=any"
    assert get(sim, url).status_code == 200


def test_hmac_sha1_verifies_too(sim):
    params = {"oauth_consumer_key": sim.consumer_key, "oauth_timestamp": str(now(sim)), "oauth_nonce": "n1",
              "oauth_signature_method": "HMAC-SHA1"}
    base = f"http://{sim.host}{API}/orders"
    params["oauth_signature"] = woocommerce_signature("GET", base, params, sim.consumer_secret, "HMAC-SHA1")
    assert get(sim, f"{base}?{urllib.parse.urlencode(params)}").status_code == 200


def test_oauth_in_the_authorization_header(sim):
    params = {"oauth_consumer_key": sim.consumer_key, "oauth_timestamp": str(now(sim)), "oauth_nonce": "hdr",
              "oauth_signature_method": "HMAC-SHA256"}
    base = f"http://{sim.host}{API}/orders"
    signature = woocommerce_signature("GET", base, params, sim.consumer_secret, "HMAC-SHA256")
    header = "OAuth " + ", ".join(f'{k}="{urllib.parse.quote(v, safe="")}"'
                                  for k, v in {**params, "oauth_signature": signature}.items())
    assert get(sim, base, headers={"Authorization": header}).status_code == 200


def test_woocommerce_sorts_by_raw_name_where_rfc_5849_sorts_encoded_pairs():
    """The one deviation kept apart: the same parameters in another order sign the same."""
    a = woocommerce_signature("GET", "http://x.example/p", {"b": "1", "a": "2", "oauth_nonce": "n"}, "cs", "HMAC-SHA256")
    b = woocommerce_signature("GET", "http://x.example/p", {"oauth_nonce": "n", "a": "2", "b": "1"}, "cs", "HMAC-SHA256")
    assert a == b


@pytest.mark.parametrize("tamper, message", [
    (lambda url: url.replace("per_page=5", "per_page=6"), "Invalid signature - provided signature does not match."),
    (lambda url: url + "&extra=1", "Invalid signature - provided signature does not match."),
])
def test_a_changed_url_does_not_verify(sim, tamper, message):
    response = get(sim, tamper(sdk_url(sim, "orders?per_page=5")))
    assert response.status_code == 401
    assert response.json() == {"code": "woocommerce_rest_authentication_error", "message": message,
                               "data": {"status": 401}}


def test_a_wrong_secret_an_unknown_key_a_stale_timestamp_and_a_replayed_nonce(sim):
    assert get(sim, sdk_url(sim, "orders", secret="cs_wrong")).json()["message"] == \
        "Invalid signature - provided signature does not match."
    assert get(sim, sdk_url(sim, "orders", key="ck_unknown")).json()["message"] == "Consumer key is invalid."
    assert get(sim, sdk_url(sim, "orders", timestamp=now(sim) - 16 * 60)).json()["message"] == "Invalid timestamp."
    assert get(sim, sdk_url(sim, "orders", timestamp=now(sim) + 14 * 60)).status_code == 200
    url = sdk_url(sim, "orders")
    assert get(sim, url).status_code == 200
    replay = get(sim, url)
    assert replay.status_code == 401 and replay.json()["message"] == "Invalid nonce - nonce has already been used."


def test_missing_oauth_parameters_are_named(sim):
    response = get(sim, f"http://{sim.host}{API}/orders?oauth_consumer_key={sim.consumer_key}")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_missing_parameter"
    assert "oauth_timestamp" in response.json()["message"]


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def test_basic_over_https_and_query_keys_over_https(sim):
    assert get(sim, f"https://{sim.host}{API}/orders", headers=basic(sim.consumer_key, sim.consumer_secret)).status_code == 200
    query = urllib.parse.urlencode({"consumer_key": sim.consumer_key, "consumer_secret": sim.consumer_secret})
    assert get(sim, f"https://{sim.host}{API}/orders?{query}").status_code == 200
    wrong = get(sim, f"https://{sim.host}{API}/orders", headers=basic(sim.consumer_key, "cs_wrong"))
    assert wrong.status_code == 401 and wrong.json()["message"] == "Consumer secret is invalid."


def test_basic_over_plain_http_is_not_authentication(sim):
    response = get(sim, f"http://{sim.host}{API}/orders", headers=basic(sim.consumer_key, sim.consumer_secret))
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"


def test_key_permissions_are_checked_per_method(sim):
    order_id = sim.backend.list_orders()[0].id
    read_key, read_secret = sim.add_key("read")
    write_key, write_secret = sim.add_key("write")
    refunds = f"https://{sim.host}{API}/orders/{order_id}/refunds"
    assert get(sim, refunds, headers=basic(read_key, read_secret)).status_code == 200
    refused = sim.handle(httpx.Request("POST", refunds, json={"amount": "1.00"}, headers=basic(read_key, read_secret)))
    assert refused.status_code == 401
    assert refused.json()["message"] == "The API key provided does not have write permissions."
    assert get(sim, refunds, headers=basic(write_key, write_secret)).json()["message"] == \
        "The API key provided does not have read permissions."
    assert not sim.backend.order(order_id).refunds
