"""Shopify refunds/create webhooks: HMAC verified, de-duplicated, recorded only for TO_NETSUITE."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import httpx
import pytest

from connector import AccountSettings, Direction, RefundStatus
from connector.model import OrderLink
from connector.storefronts.shopify_webhooks import shopify_signature
from tests.unit.connector_helpers import Routes, make_connector, shopify_refund

SECRET = "shpss_secret"
URL = "https://hooks.refund-connector.test/webhooks/shopify"


@pytest.fixture
def connector(tmp_path):
    connector = make_connector(tmp_path, Routes())
    yield connector
    connector.close()


def _account(connector, direction: Direction = Direction.TO_NETSUITE, store: str = "acme-outfitters",
             name: str | None = None):
    account = connector.add_account(name=name or f"Shop {store}", platform="shopify", store=store,
                                    credentials={"access_token": "shpat", "client_secret": SECRET},
                                    settings=AccountSettings())   # webhooks never reach NetSuite
    connector.ledger.update_account(account.id, direction=direction)   # the activation gate is tested elsewhere
    return account


def _delivery(body: bytes, *, secret: str = SECRET, webhook_id: str = "wh-1", topic: str = "refunds/create",
              shop: str = "acme-outfitters.myshopify.com", signature: str | None = None) -> httpx.Request:
    return httpx.Request("POST", URL, content=body, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-API-Version": "2024-10",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": signature if signature is not None else shopify_signature(secret, body)})


BODY = json.dumps(shopify_refund()).encode()


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    expected = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
    assert shopify_signature(SECRET, BODY) == expected


def test_a_verified_refund_is_recorded_once(connector) -> None:
    account = _account(connector)
    response = connector.handle_webhook(_delivery(BODY))
    assert response.status_code == 200 and response.json()["status"] == "recorded"
    [row] = connector.refunds(account_id=account.id)
    assert (row.source_id, row.order_id, row.status) == ("901", "1001", RefundStatus.RETRIEVED)
    assert row.total == Decimal("25.48") and row.line_items

    again = connector.handle_webhook(_delivery(BODY))
    assert again.status_code == 200 and again.json()["status"] == "duplicate delivery ignored"
    other_delivery_same_refund = connector.handle_webhook(_delivery(BODY, webhook_id="wh-2"))
    assert other_delivery_same_refund.status_code == 200
    assert len(connector.refunds(account_id=account.id)) == 1


@pytest.mark.parametrize("tamper", ["wrong secret", "edited body", "no signature", "unknown shop"])
def test_unverifiable_deliveries_get_401(connector, tamper: str) -> None:
    _account(connector)
    request = {
        "wrong secret": lambda: _delivery(BODY, secret="not-the-secret"),
        "edited body": lambda: httpx.Request("POST", URL, content=BODY.replace(b"25.48", b"99.99"),
                                             headers=_delivery(BODY).headers),
        "no signature": lambda: _delivery(BODY, signature=""),
        "unknown shop": lambda: _delivery(BODY, shop="someone-else.myshopify.com"),
    }[tamper]()
    assert connector.handle_webhook(request).status_code == 401
    assert connector.refunds() == []


def test_a_malformed_body_gets_400(connector) -> None:
    _account(connector)
    for body in (b"{not json", b'{"id": 5}', b"[1, 2]"):
        assert connector.handle_webhook(_delivery(body, webhook_id=f"wh-{body!r}")).status_code == 400
    assert connector.refunds() == []


@pytest.mark.parametrize("direction", [Direction.FROM_NETSUITE, Direction.OFF])
def test_other_directions_ignore_refund_webhooks(connector, direction: Direction) -> None:
    _account(connector, direction)
    response = connector.handle_webhook(_delivery(BODY))
    assert response.status_code == 200 and response.json()["status"].startswith("ignored")
    assert connector.refunds() == []


def test_a_refund_the_connector_pushed_is_not_echoed(connector) -> None:
    _account(connector)
    body = json.dumps(shopify_refund(note="Refund from NetSuite CR-7 [netsuite:CR-7:5004]")).encode()
    response = connector.handle_webhook(_delivery(body))
    assert response.status_code == 200 and "pushed by the connector" in response.json()["status"]
    assert connector.refunds() == []


def test_other_topics_are_acknowledged(connector) -> None:
    _account(connector)
    response = connector.handle_webhook(_delivery(b'{"id": 1}', topic="orders/updated"))
    assert response.status_code == 200 and "not handled" in response.json()["status"]


def test_the_shop_domain_picks_the_account(connector) -> None:
    _account(connector, store="other-shop")
    mine = _account(connector)
    assert connector.handle_webhook(_delivery(BODY)).status_code == 200
    assert [r.account_id for r in connector.refunds()] == [mine.id]


def test_a_shop_with_an_account_per_direction_records_the_delivery_for_the_to_netsuite_one(connector) -> None:
    """Both accounts verify the signature (same app secret); the from-NetSuite one was added first.
    The delivery belongs to the account that syncs refunds to NetSuite, so it is recorded now."""
    from_ns = _account(connector, Direction.FROM_NETSUITE)
    to_ns = connector.add_account(name="Shop (to NetSuite)", platform="shopify", store="acme-outfitters",
                                  credentials={"access_token": "shpat2", "client_secret": SECRET},
                                  settings=AccountSettings())
    connector.ledger.update_account(to_ns.id, direction=Direction.TO_NETSUITE)
    response = connector.handle_webhook(_delivery(BODY))
    assert response.status_code == 200 and response.json()["status"] == "recorded"
    [row] = connector.refunds(account_id=to_ns.id)
    assert row.source_id == "901" and connector.refunds(account_id=from_ns.id) == []


def _link(connector, account, order_id: str = "1001") -> None:
    connector.ledger.save_order_link(OrderLink(
        account_id=account.id, order_id=order_id, order_name=f"#{order_id}", sales_order_id="5001",
        sales_order_tranid="SO5001", external_id=f"shopify-acme-outfitters-order-{order_id}", currency="USD"))


def test_with_two_accounts_syncing_to_netsuite_the_refund_is_recorded_for_the_one_that_synced_its_order(connector) -> None:
    """Two accounts on one store, both syncing refunds to NetSuite, only the second synced the order: the
    refund is recorded for the second at once (not left to its next scheduled run), and not for the first."""
    first, second = _account(connector, name="First"), _account(connector, name="Second")
    _link(connector, second)
    response = connector.handle_webhook(_delivery(BODY))
    [row] = connector.refunds(account_id=second.id)
    assert response.status_code == 200 and response.json()["refund_ids"] == [row.id]
    assert connector.refunds(account_id=first.id) == []


def test_with_two_accounts_that_synced_the_order_the_refund_is_recorded_for_each(connector) -> None:
    """As each account's scheduled run would record it: once per account, never twice for one."""
    accounts = [_account(connector, name="First"), _account(connector, name="Second")]
    for account in accounts:
        _link(connector, account)
    connector.handle_webhook(_delivery(BODY))
    connector.handle_webhook(_delivery(BODY, webhook_id="wh-2"))   # the same refund, as a new delivery
    assert [[r.source_id for r in connector.refunds(account_id=a.id)] for a in accounts] == [["901"], ["901"]]


def test_a_refund_of_an_order_only_a_from_netsuite_account_synced_is_not_recorded(connector) -> None:
    """The store's to-NetSuite account did not sync the order; the from-NetSuite one did, and posting its
    storefront refund to NetSuite would echo what that account syncs the other way. The answer says why."""
    _account(connector)
    from_ns = _account(connector, Direction.FROM_NETSUITE, name="From NetSuite")
    _link(connector, from_ns)
    response = connector.handle_webhook(_delivery(BODY))
    assert response.status_code == 200 and connector.refunds() == []
    status = response.json()["status"]
    assert status.startswith("ignored") and "1001" in status and "pushed by the connector" not in status


def test_a_delivery_signed_with_another_stores_secret_is_refused(connector) -> None:
    """Two shops, each with its own app secret: a delivery that says it comes from the second shop but is
    signed with the first shop's secret is nobody's (the receiver checks the claimed store's secret only)."""
    _account(connector, store="acme-outfitters")
    second = connector.add_account(name="Shop two", platform="shopify", store="second-shop",
                                   credentials={"access_token": "shpat2", "client_secret": "shpss_second"},
                                   settings=AccountSettings())
    connector.ledger.update_account(second.id, direction=Direction.TO_NETSUITE)
    crossed = connector.handle_webhook(_delivery(BODY, secret=SECRET, shop="second-shop.myshopify.com"))
    assert crossed.status_code == 401
    assert connector.refunds() == []
    own = connector.handle_webhook(_delivery(BODY, secret="shpss_second", shop="second-shop.myshopify.com"))
    assert own.status_code == 200 and [r.account_id for r in connector.refunds()] == [second.id]
