"""Token-Based Authentication of the fake NetSuite: what passes and every way to get INVALID_LOGIN."""
from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from oauthlib import oauth1
from oauthlib.oauth1.rfc5849 import signature, utils

from simulators.netsuite import TbaCredentials
from simulators.netsuite.auth import INVALID_LOGIN_DETAIL, parse_header, signature_parameters
from tests.unit.netsuite.helpers import BASE_URL, RECORDS, TbaSigner, World, client_for, make_world

ITEMS = f"{RECORDS}/inventoryItem"


def assert_invalid_login(world: World, response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=error"
    assert response.json() == {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "title": "Unauthorized",
        "status": 401, "o:errorDetails": [{"detail": INVALID_LOGIN_DETAIL, "o:errorCode": "INVALID_LOGIN"}]}
    assert reason in world.sim.login_failures()[-1].reason


def test_good_signature_passes_including_query_parameters(world):
    response = world.client.get(ITEMS, params={"limit": 5, "offset": 0})
    assert response.status_code == 200
    assert world.sim.login_failures() == []


def test_credentials_are_seeded_and_issue_token_adds_a_working_token(world):
    credentials = world.sim.credentials
    assert isinstance(credentials, TbaCredentials)
    assert make_world().sim.credentials == credentials
    assert make_world(seed=1).sim.credentials != credentials
    second = world.sim.issue_token()
    assert second.consumer_key == credentials.consumer_key and second.token_id != credentials.token_id
    client = client_for(world.sim, TbaSigner(second, world.clock))
    assert client.get(ITEMS).status_code == 200


def test_signature_over_a_loopback_url_with_port_is_checked_as_received(world):
    client = client_for(world.sim, TbaSigner(world.sim.credentials, world.clock), base_url="http://127.0.0.1:8765")
    assert client.get(ITEMS).status_code == 200


def test_missing_authorization_header(world):
    response = client_for(world.sim, None).get(ITEMS)
    assert_invalid_login(world, response, "no OAuth Authorization header")


def test_bad_signature(world):
    response = world.signed_client(consumer_secret="not-the-secret").get(ITEMS)
    assert_invalid_login(world, response, "signature does not match")


def test_tampered_query_after_signing(world):
    signer = TbaSigner(world.sim.credentials, world.clock)
    header = signer.authorization("GET", f"{BASE_URL}{ITEMS}?limit=5")
    response = client_for(world.sim, None).get(f"{ITEMS}?limit=6", headers={"Authorization": header})
    assert_invalid_login(world, response, "signature does not match")


def test_json_body_is_not_part_of_the_signature(world):
    signer = TbaSigner(world.sim.credentials, world.clock)
    url = f"{BASE_URL}{ITEMS}"
    response = client_for(world.sim, None).post(url, json={"itemId": "SKU-B"},
                                                 headers={"Authorization": signer.authorization("POST", url)})
    assert response.status_code == 204


def test_reused_nonce(world):
    client = world.signed_client(nonce="same-nonce")
    assert client.get(ITEMS).status_code == 200
    assert_invalid_login(world, client.get(ITEMS), "already used")


def test_nonce_is_per_token(world):
    other = world.sim.issue_token()
    first = world.signed_client(nonce="shared")
    second = client_for(world.sim, TbaSigner(other, world.clock, nonce="shared"))
    assert first.get(ITEMS).status_code == 200
    assert second.get(ITEMS).status_code == 200


def test_request_that_arrives_too_late(world):
    header = TbaSigner(world.sim.credentials, world.clock).authorization("GET", f"{BASE_URL}{ITEMS}")
    world.clock.advance(seconds=301)
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": header})
    assert_invalid_login(world, response, "more than 300 s")


@pytest.mark.parametrize("offset", [301, -301, 10**6])
def test_timestamp_outside_five_minutes_of_the_server_clock(world, offset):
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": _signed_at(world, offset)})
    assert_invalid_login(world, response, "more than 300 s")


def _signed_at(world: World, offset_seconds: int) -> str:
    """A header whose timestamp is ``offset_seconds`` from the server clock."""
    credentials = world.sim.credentials
    timestamp = int(world.clock.now().timestamp()) + offset_seconds
    client = oauth1.Client(credentials.consumer_key, client_secret=credentials.consumer_secret,
                           resource_owner_key=credentials.token_id, resource_owner_secret=credentials.token_secret,
                           signature_method=oauth1.SIGNATURE_HMAC_SHA256, realm="1234567_SB1",
                           nonce="n-skew", timestamp=str(timestamp))
    return client.sign(f"{BASE_URL}{ITEMS}", http_method="GET")[1]["Authorization"]


@pytest.mark.parametrize("offset", [300, -300])
def test_timestamp_at_the_edge_of_the_window_passes(world, offset):
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": _signed_at(world, offset)})
    assert response.status_code == 200


def test_wrong_realm(world):
    assert_invalid_login(world, world.signed_client(realm="1234567").get(ITEMS), "realm")


def test_hmac_sha1_is_no_longer_supported(world):
    response = world.signed_client(signature_method=oauth1.SIGNATURE_HMAC_SHA1).get(ITEMS)
    assert_invalid_login(world, response, "HMAC-SHA1 is not supported")


def test_unknown_consumer_and_foreign_token(world):
    credentials = world.sim.credentials
    stranger = TbaCredentials("0" * 64, credentials.consumer_secret, credentials.token_id, credentials.token_secret)
    response = client_for(world.sim, TbaSigner(stranger, world.clock)).get(ITEMS)
    assert_invalid_login(world, response, "unknown consumer key")
    forged = TbaCredentials(credentials.consumer_key, credentials.consumer_secret, "f" * 64, "secret")
    response = client_for(world.sim, TbaSigner(forged, world.clock)).get(ITEMS)
    assert_invalid_login(world, response, "unknown token")


@pytest.mark.parametrize("drop", ["oauth_nonce", "oauth_signature", "oauth_token", "oauth_version", "realm"])
def test_missing_oauth_parameters(world, drop):
    header = TbaSigner(world.sim.credentials, world.clock).authorization("GET", f"{BASE_URL}{ITEMS}")
    kept = [part for part in header[len("OAuth "):].split(", ") if not part.startswith(f"{drop}=")]
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": "OAuth " + ", ".join(kept)})
    assert_invalid_login(world, response, f"missing {drop}")


def test_malformed_header_and_other_schemes(world):
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": "Bearer abc"})
    assert_invalid_login(world, response, "malformed")


def test_failed_logins_are_journaled(world):
    client_for(world.sim, None).get(ITEMS)
    (entry,) = world.sim.journal.entries()
    assert (entry.status, entry.operation) == (401, "list_records")


@pytest.mark.parametrize("duplicate", ["oauth_nonce", "oauth_timestamp", "oauth_signature"])
def test_an_oauth_parameter_given_twice_is_refused(world, duplicate):
    signer = TbaSigner(world.sim.credentials, world.clock)
    header = signer.authorization("GET", f"{BASE_URL}{ITEMS}")
    value = next(part for part in header.split(", ") if part.startswith(duplicate + "="))
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": f"{header}, {value}"})
    assert_invalid_login(world, response, f"OAuth parameter(s) {duplicate} given more than once")


def test_an_oauth_parameter_also_in_the_query_is_refused(world):
    signer = TbaSigner(world.sim.credentials, world.clock)
    header = signer.authorization("GET", f"{BASE_URL}{ITEMS}?oauth_nonce=again")
    response = client_for(world.sim, None).get(f"{ITEMS}?oauth_nonce=again", headers={"Authorization": header})
    assert_invalid_login(world, response, "oauth_nonce given more than once")


@pytest.mark.parametrize("timestamp", ["²", "1" * 5000, "٣"])
def test_a_timestamp_that_only_looks_numeric_is_a_login_failure_not_a_crash(world, timestamp):
    signer = TbaSigner(world.sim.credentials, world.clock)
    header = signer.authorization("GET", f"{BASE_URL}{ITEMS}")
    parts = [f'oauth_timestamp="{quote(timestamp)}"' if part.startswith("oauth_timestamp=") else part
             for part in header.split(", ")]   # percent-encoded, as OAuth sends any parameter
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": ", ".join(parts)})
    assert_invalid_login(world, response, "is not a number of seconds")


def test_wrong_token_secret(world):
    credentials = world.sim.credentials
    wrong = TbaCredentials(credentials.consumer_key, credentials.consumer_secret, credentials.token_id, "f" * 64)
    response = client_for(world.sim, TbaSigner(wrong, world.clock)).get(ITEMS)
    assert_invalid_login(world, response, "signature does not match")


def test_a_signature_made_for_another_url_is_refused(world):
    signer = TbaSigner(world.sim.credentials, world.clock)
    header = signer.authorization("GET", f"{BASE_URL}{RECORDS}/customer")
    response = client_for(world.sim, None).get(ITEMS, headers={"Authorization": header})
    assert_invalid_login(world, response, "signature does not match")


def test_a_signature_made_for_another_method_is_refused(world):
    signer = TbaSigner(world.sim.credentials, world.clock)
    url = f"{BASE_URL}{ITEMS}"
    header = signer.authorization("GET", url)
    response = client_for(world.sim, None).post(url, json={"itemId": "SKU-C"}, headers={"Authorization": header})
    assert_invalid_login(world, response, "signature does not match")
    assert all(r.get("itemId") != "SKU-C" for r in world.sim.records("inventoryItem"))


_SIGNED = ('OAuth realm="1234567_SB1", oauth_nonce="n1", oauth_timestamp="1767603600", oauth_version="1.0", '
           'oauth_signature_method="HMAC-SHA256", oauth_consumer_key="ck", oauth_token="tk", '
           'oauth_signature="a%2Bb%2Fc%3D"')


@pytest.mark.parametrize("header", [
    _SIGNED,
    _SIGNED.replace("OAuth ", "oauth "),
    _SIGNED + ', oauth_token="again"',                           # a repeat: the last is kept, as oauthlib keeps it
    _SIGNED + ', x_custom="a%20b", oauth_extra="c%7Ed"',         # non-oauth values stay escaped, oauth_ ones do not
    'OAuth realm="r,with,commas", oauth_nonce="q\\"uoted"',
])
@pytest.mark.parametrize("query", ["", "limit=5&offset=0", "a=%2F%26&a=1&oauth_extra=x%25y&empty="])
def test_one_parse_of_the_header_collects_what_oauthlib_collects(header, query):
    """The simulator parses the Authorization header once and builds the signature's parameter set from
    that; it is exactly what oauthlib's own parse and ``collect_parameters`` give."""
    items, header_params = parse_header(header)
    assert header_params == utils.parse_authorization_header(header)
    assert [item.split("=", 1)[0].strip() for item in items] == [
        item.split("=", 1)[0].strip() for item in utils.parse_http_list(header[len("OAuth "):])]
    assert signature_parameters(query, header_params) == signature.collect_parameters(
        uri_query=query, headers={"Authorization": header}, with_realm=False)


@pytest.mark.parametrize("header", ["", "Basic abc", "OAuth", "OAuth realm", 'OAuth realm="r", oauth_nonce'])
def test_a_header_oauthlib_cannot_parse_is_refused_by_both(header):
    with pytest.raises(ValueError):
        utils.parse_authorization_header(header)
    with pytest.raises(ValueError):
        parse_header(header)
