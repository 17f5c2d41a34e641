"""WooCommerce REST authentication (``WC_REST_Authentication``): Basic over HTTPS, OAuth 1.0a
"one-legged" over plain HTTP.

oauthlib builds the signature base string (method, encoded base URI, encoded parameter string),
which is what WooCommerce computes too. Where WooCommerce departs from RFC 5849 the difference is
kept in ``woocommerce_signature`` alone: parameters are collapsed as PHP's ``$_GET`` collapses them
(the last of a repeated name wins), sorted by raw name (``uksort`` with ``strcmp``) rather than by
encoded name and value, and the key is ``consumer_secret + "&"`` with the secret unencoded.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable

from oauthlib.oauth1.rfc5849 import signature, utils

REQUIRED = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")
ALGORITHMS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def php_get(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Query parameters as PHP's ``$_GET`` holds them: a repeated name keeps its last value."""
    collapsed: dict[str, str] = {}
    for name, value in pairs:
        collapsed[name] = value
    return collapsed


def woocommerce_signature(method: str, base_uri: str, params: dict[str, str], consumer_secret: str,
                          signature_method: str) -> str:
    """The signature WooCommerce expects for these (already collapsed) parameters, base64."""
    ordered = sorted(((k, v) for k, v in params.items() if k != "oauth_signature"),
                     key=lambda kv: kv[0].encode("utf-8", "surrogatepass"))
    normalized = "&".join(f"{utils.escape(k)}={utils.escape(v)}" for k, v in ordered)
    base_string = signature.signature_base_string(method.upper(), base_uri, normalized)
    digest = hmac.new(f"{consumer_secret}&".encode(), base_string.encode(), ALGORITHMS[signature_method]).digest()
    return base64.b64encode(digest).decode()


def parse_oauth_header(header: str) -> dict[str, str]:
    """``Authorization: OAuth oauth_x="..."`` -> parameters, as WooCommerce's ``parse_header`` reads them."""
    if not header.startswith("OAuth "):
        return {}
    params = {}
    for part in header[6:].split(","):
        name, _, value = part.strip().partition("=")
        if name.startswith("oauth_"):
            params[name] = utils.unescape(value.strip().strip('"'))
    return params
