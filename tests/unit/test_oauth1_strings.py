"""common/oauth1.py builds what oauthlib builds (the TBA signer and NetSuite's checker both rely on it), and
the checker's expected signature is the one oauthlib's own verification computes."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st
from oauthlib.oauth1.rfc5849 import signature, utils

from common.oauth1 import base_string_uri, percent_encode
from simulators.netsuite.auth import expected_signature

URIS = [
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=1000&offset=0",
    "https://1234567-SB1.SuiteTalk.api.netsuite.com/services/rest/record/v1/salesOrder/eid:shop-1%2F2",
    "HTTPS://Example.COM:443/a/b;params?x=1#frag",
    "http://example.com:80/", "http://example.com:8080/x y/z", "https://example.com:8443/p?q",
    "http://127.0.0.1:54321/services/rest/record/v1/cashSale/7?expandSubResources=true",
    "http://[::1]:8000/a", "http://[0:0:0:0:0:0:0:1]/a", "https://user:secret@example.com/a",
    "https://example.com", "https://example.com?x=1", "https://example.com#x", "https://example.com/a#b?c",
    "https://example.com/a/%7Euser/%20x", "https://example.com/;p", "https://EXAMPLE.com/MiXeD/Case",
]


@pytest.mark.parametrize("uri", URIS)
def test_base_string_uri_is_oauthlibs(uri: str) -> None:
    assert base_string_uri(uri) == signature.base_string_uri(uri)


@pytest.mark.parametrize("uri", ["example.com/a", "https:///a", "https://example.com:99999/a", "https://example.com:x/a"])
def test_a_uri_oauthlib_refuses_is_refused(uri: str) -> None:
    with pytest.raises(ValueError):
        signature.base_string_uri(uri)
    with pytest.raises(ValueError):
        base_string_uri(uri)


_PATH_CHARS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="?#"),
                      max_size=30)


@settings(max_examples=300, deadline=None)
@given(host=st.sampled_from(["example.com", "Example.COM", "127.0.0.1", "[::1]", "a-b.netsuite.com"]),
       port=st.sampled_from(["", ":80", ":443", ":8080", ":1"]), scheme=st.sampled_from(["http", "https", "HTTPS"]),
       path=_PATH_CHARS, tail=st.sampled_from(["", "?a=1&b=2", "#f", "?x#y"]))
def test_base_string_uri_is_oauthlibs_for_any_path(host: str, port: str, scheme: str, path: str, tail: str) -> None:
    uri = f"{scheme}://{host}{port}/{path}{tail}"
    assert base_string_uri(uri) == signature.base_string_uri(uri)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_percent_encoding_is_oauthlibs(text: str) -> None:
    assert percent_encode(text) == utils.escape(text)


@settings(max_examples=200, deadline=None)
@given(params=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=8),
       method=st.sampled_from(["GET", "post", "PUT"]), secrets=st.tuples(st.text(max_size=10), st.text(max_size=10)),
       uri=st.sampled_from(URIS[:10]))
def test_the_expected_signature_is_the_one_oauthlib_verifies(params, method, secrets, uri) -> None:
    made = expected_signature(method, uri, params, *secrets)
    request = SimpleNamespace(params=params, uri=uri, http_method=method, signature=made)
    assert signature.verify_hmac_sha256(request, *secrets)
    request.signature = made[:-2] + ("A=" if made[-2:] != "A=" else "B=")
    assert not signature.verify_hmac_sha256(request, *secrets)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=',"\\ a=b', max_size=24) | st.text(max_size=24))
def test_the_header_items_are_urllibs(text: str) -> None:
    import urllib.request

    from simulators.netsuite.auth import http_list

    assert http_list(text) == urllib.request.parse_http_list(text)
