"""Webhook signatures are compared in constant time: every receiver compares through the shared
``same_signature`` (hmac.compare_digest), for a good signature and a forged one alike (a plain == would leak, through
timing, how many leading characters of a forgery were right)."""
from __future__ import annotations

import hmac

import pytest

from connector.storefronts import webhook_receiver
from tests.unit.test_connector_webhooks import BODY, _account, _delivery, connector  # noqa: F401 - fixture


@pytest.mark.parametrize("secret, status", [("shpss_secret", 200), ("forged", 401)])
def test_shopify_signatures_are_compared_with_compare_digest(connector, monkeypatch, secret, status) -> None:  # noqa: F811
    compared = []
    constant_time = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(webhook_receiver.hmac, "compare_digest", spy)
    _account(connector)
    assert connector.handle_webhook(_delivery(BODY, secret=secret)).status_code == status
    assert compared, "the signature was not compared with hmac.compare_digest"


def test_no_receiver_compares_signatures_itself() -> None:
    """Every receiver module goes through the shared constant-time comparison: none calls
    hmac.compare_digest or compares a signature with == on its own."""
    import re
    from pathlib import Path

    import connector.storefronts as package

    for path in Path(package.__file__).parent.glob("*_webhooks.py"):
        text = path.read_text()
        assert "compare_digest" not in text.replace("``hmac.compare_digest``", ""), path.name
        assert not re.search(r"signature\w*\s*[!=]=|[!=]=\s*\w*signature", text), path.name
