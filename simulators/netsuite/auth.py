"""Token-Based Authentication (OAuth 1.0a, HMAC-SHA256 with realm) as NetSuite verifies it.

The signature is checked over the URL as received (scheme, host, non-default port, path; query
parameters and oauth_* parameters, never the JSON body): oauthlib parses the header and collects the
parameters; the base string is built as oauthlib's ``verify_hmac_sha256`` builds it, with
common/oauth1.py's encoding and base string URI (oauthlib's output, held to it by tests, for a fraction of
the cost on every request), and the HMAC-SHA256 compared in constant time. oauthlib's endpoint classes are
not used because they read the wall clock; freshness is judged against the simulator's injected clock
instead. Every failure answers the same 401 INVALID_LOGIN,
as NetSuite does; the reason goes to the account's login audit trail for whoever debugs it.
"""
from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import httpx
from oauthlib.oauth1.rfc5849 import signature, utils

from common.clock import Clock
from common.oauth1 import base_string_uri, percent_encode
from common.seeded import IdSource
from simulators.netsuite.models import NetSuiteError

INVALID_LOGIN_DETAIL = ("Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
                        "at Setup > Users/Roles > User Management > View Login Audit Trail.")
TIMESTAMP_WINDOW_SECONDS = 300
REQUIRED_PARAMETERS = ("realm", "oauth_consumer_key", "oauth_token", "oauth_nonce", "oauth_timestamp",
                       "oauth_signature_method", "oauth_version", "oauth_signature")


@dataclass(frozen=True)
class TbaCredentials:
    """What an administrator copies out of NetSuite for an integration: its consumer key/secret and
    one access token (token id/secret) issued to a user for that integration."""
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


@dataclass(frozen=True)
class LoginFailure:
    at: datetime
    consumer_key: str | None
    token_id: str | None
    reason: str


_SCHEME = "oauth "


def http_list(text: str) -> list[str]:
    """``urllib.request.parse_http_list(text)`` (what oauthlib's ``utils.parse_http_list`` runs): the items
    between commas outside quoted strings, stripped. It walks the text a character at a time; without a
    backslash (no escapes: every TBA header) the same items come from splitting at the commas and joining back
    the pieces a quoted string spans (an odd number of quotes so far), a Python step per item instead."""
    if "\\" in text:
        return utils.parse_http_list(text)
    pieces = text.split(",")
    items: list[str] = []
    part: str | None = None
    for index, piece in enumerate(pieces):
        part = piece if part is None else f"{part},{piece}"
        if part.count('"') % 2 == 0:   # not inside a quoted string: the comma ends the item
            if part or index < len(pieces) - 1:   # as urllib: an empty item before a comma, none at the end
                items.append(part)
            part = None
    if part:   # an unterminated quoted string runs to the end
        items.append(part)
    return [item.strip() for item in items]


def parse_header(header: str) -> tuple[list[str], list[tuple[str, str]]]:
    """An OAuth Authorization header parsed once: its items as sent (a repeated key kept, to refuse it) and
    its parameters exactly as oauthlib's ``utils.parse_authorization_header`` gives them (its own steps;
    the header is a character-by-character parse, so parsing it three times a request was a measurable
    share of every NetSuite call). ``ValueError`` for a header that is not OAuth or does not parse."""
    if not header[:len(_SCHEME)].lower().startswith(_SCHEME):
        raise ValueError("Malformed authorization header")
    items = http_list(header[len(_SCHEME):])
    try:
        return items, list(utils.parse_keqv_list(items).items())
    except (IndexError, ValueError):
        raise ValueError("Malformed authorization header") from None


def signature_parameters(query: str, header_params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What oauthlib's ``signature.collect_parameters(uri_query=query, headers={"Authorization": header},
    with_realm=False)`` collects, from the header's already parsed parameters: the query's, then the
    header's but realm, oauth_* values unescaped, oauth_signature left out."""
    from_header = [(key, utils.unescape(value) if key.startswith("oauth_") else value)
                   for key, value in header_params if key not in ("realm", "oauth_signature")]
    return signature.collect_parameters(uri_query=query) + from_header


def expected_signature(method: str, uri: str, params: list[tuple[str, str]], consumer_secret: str | None,
                       token_secret: str | None) -> str:
    """The HMAC-SHA256 signature oauthlib's ``signature.verify_hmac_sha256`` computes for a request with these
    collected ``params`` (RFC 5849 3.4.1: method, base string URI, normalized parameters; 3.4.2: the key)."""
    normalized = "&".join(f"{name}={value}" for name, value in
                          sorted((percent_encode(name), percent_encode(value)) for name, value in params))
    base = "&".join(percent_encode(part) for part in (method.upper(), base_string_uri(uri), normalized))
    key = f"{percent_encode(consumer_secret or '')}&{percent_encode(token_secret or '')}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()


class TokenBasedAuth:
    """The integration records and access tokens of one account, and the nonces already seen."""

    def __init__(self, realm: str, clock: Clock, secrets: IdSource) -> None:
        self.realm = realm
        self.clock = clock
        self._secrets = secrets
        self._consumers: dict[str, str] = {}                 # consumer key -> consumer secret
        self._tokens: dict[str, tuple[str, str]] = {}        # token id -> (consumer key, token secret)
        self._nonces: dict[tuple[str, str], dict[str, int]] = {}  # (consumer, token) -> nonce -> timestamp
        # the same nonces as a min-heap of (timestamp, nonce), so expiry looks only at the expired ones
        self._expiry: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self.failures: list[LoginFailure] = []

    def create_integration(self) -> str:
        """A new integration record; returns its consumer key."""
        consumer_key = self._secrets.hex(64)
        self._consumers[consumer_key] = self._secrets.hex(64)
        return consumer_key

    def issue_token(self, consumer_key: str) -> TbaCredentials:
        token_id, token_secret = self._secrets.hex(64), self._secrets.hex(64)
        self._tokens[token_id] = (consumer_key, token_secret)
        return TbaCredentials(consumer_key, self._consumers[consumer_key], token_id, token_secret)

    def verify(self, request: httpx.Request) -> None:
        """Raise 401 INVALID_LOGIN unless the request carries a valid, fresh, unused TBA signature."""
        header = request.headers.get("authorization", "")
        try:
            items, header_params = parse_header(header)
        except ValueError:
            self._fail(None, None, "no OAuth Authorization header" if not header else "malformed OAuth header")
        params = {key: utils.unescape(value) for key, value in header_params}
        consumer_key, token_id = params.get("oauth_consumer_key"), params.get("oauth_token")
        # RFC 5849 3.1: each protocol parameter appears once, in one place (not also in the query).
        # oauthlib's parser keeps the last of repeated keys, so count them in the header as sent.
        keys = [item.split("=", 1)[0].strip() for item in items]
        in_query = {key for key, _ in request.url.params.multi_items() if key.startswith("oauth_")}
        repeated = sorted({key for key in keys if keys.count(key) > 1} | (in_query & set(params)))
        if repeated:
            self._fail(consumer_key, token_id, f"OAuth parameter(s) {', '.join(repeated)} given more than once")
        missing = [name for name in REQUIRED_PARAMETERS if not params.get(name)]
        if missing:
            self._fail(consumer_key, token_id, f"missing {', '.join(missing)}")
        if params["realm"] != self.realm:
            self._fail(consumer_key, token_id, f"realm {params['realm']!r} is not account {self.realm!r}")
        if params["oauth_signature_method"] != "HMAC-SHA256":
            self._fail(consumer_key, token_id,
                       f"signature method {params['oauth_signature_method']} is not supported; use HMAC-SHA256")
        if params["oauth_version"] != "1.0":
            self._fail(consumer_key, token_id, f"oauth_version {params['oauth_version']!r} is not 1.0")
        consumer_secret = self._consumers.get(consumer_key or "")
        if consumer_secret is None:
            self._fail(consumer_key, token_id, "unknown consumer key")
        token_owner, token_secret = self._tokens.get(token_id or "", (None, None))
        if token_owner != consumer_key:
            self._fail(consumer_key, token_id, "unknown token, or a token of another integration")
        timestamp = self._fresh_timestamp(params["oauth_timestamp"], consumer_key, token_id)
        if not self._signature_matches(request, header_params, params["oauth_signature"], consumer_secret, token_secret):
            self._fail(consumer_key, token_id, "signature does not match")
        self._use_nonce(consumer_key, token_id, params["oauth_nonce"], timestamp)  # type: ignore[arg-type]

    # --- the individual checks ---------------------------------------------------------------
    def _fresh_timestamp(self, raw: str, consumer_key: str | None, token_id: str | None) -> int:
        now = int(self.clock.now().timestamp())
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):   # "²".isdigit() is True too
            self._fail(consumer_key, token_id, f"timestamp {raw!r} is not a number of seconds")
        if abs(now - int(raw)) > TIMESTAMP_WINDOW_SECONDS:
            self._fail(consumer_key, token_id, f"timestamp {raw} is more than {TIMESTAMP_WINDOW_SECONDS} s "
                                               f"from the server time {now}")
        return int(raw)

    @staticmethod
    def _signature_matches(request: httpx.Request, header_params: list[tuple[str, str]], sent: str,
                           consumer_secret: str | None, token_secret: str | None) -> bool:
        # The parameter set is the query string plus the oauth_* header parameters, without realm
        # and oauth_signature; the JSON body never takes part.
        params = signature_parameters(request.url.query.decode("ascii"), header_params)
        return hmac.compare_digest(expected_signature(request.method, str(request.url), params, consumer_secret,
                                                      token_secret).encode(), sent.encode("utf-8"))

    def _use_nonce(self, consumer_key: str, token_id: str, nonce: str, timestamp: int) -> None:
        seen = self._nonces.setdefault((consumer_key, token_id), {})
        if nonce in seen:
            self._fail(consumer_key, token_id, f"nonce {nonce!r} was already used")
        # A nonce older than the timestamp window can be forgotten: its request would be stale anyway.
        horizon = int(self.clock.now().timestamp()) - TIMESTAMP_WINDOW_SECONDS
        expiry = self._expiry.setdefault((consumer_key, token_id), [])
        while expiry and expiry[0][0] < horizon:
            _, old = heapq.heappop(expiry)
            del seen[old]
        seen[nonce] = timestamp
        heapq.heappush(expiry, (timestamp, nonce))

    def _fail(self, consumer_key: str | None, token_id: str | None, reason: str) -> NoReturn:
        self.failures.append(LoginFailure(self.clock.now(), consumer_key, token_id, reason))
        raise NetSuiteError(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)
