"""Webhook signatures are compared in constant time: the receiver's comparison goes through
hmac.compare_digest, for a good signature and a forged one alike (a plain == would leak, through
timing, how many leading characters of a forgery were right)."""
from __future__ import annotations

import hmac

import pytest

from connector.storefronts import shopify_webhooks
from tests.unit.test_connector_webhooks import BODY, _account, _delivery, connector  # noqa: F401 - fixture


@pytest.mark.parametrize("secret, status", [("shpss_secret", 200), ("forged", 401)])
def test_shopify_signatures_are_compared_with_compare_digest(connector, monkeypatch, secret, status) -> None:  # noqa: F811
    compared = []
    constant_time = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(shopify_webhooks.hmac, "compare_digest", spy)
    _account(connector)
    assert connector.handle_webhook(_delivery(BODY, secret=secret)).status_code == status
    assert compared, "the signature was not compared with hmac.compare_digest"
