"""The account a verified webhook delivery belongs to, shared by every platform's receiver."""
from __future__ import annotations

import pytest

from connector import AccountSettings, Direction
from connector.storefronts.shopify_webhooks import WEBHOOKS
from connector.storefronts.webhook_receiver import WebhookPipeline, same_signature
from tests.unit.connector_helpers import Routes, make_connector


def _Receiver(ledger, to_netsuite, adapter_for) -> WebhookPipeline:   # noqa: N802 - stands where a class stood
    return WebhookPipeline(ledger, to_netsuite, adapter_for, WEBHOOKS)


@pytest.fixture
def connector(tmp_path):
    connector = make_connector(tmp_path, Routes())
    yield connector
    connector.close()


def _account(connector, name: str, direction: Direction, store: str = "acme-outfitters"):
    account = connector.add_account(name=name, platform="shopify", store=store,
                                    credentials={"access_token": "t", "client_secret": "s"}, settings=AccountSettings())
    connector.ledger.update_account(account.id, direction=direction)
    return account


@pytest.mark.parametrize("from_first", [True, False])
def test_a_delivery_to_a_store_with_two_accounts_goes_to_the_one_syncing_to_netsuite(connector, from_first) -> None:
    """Two accounts on one store in opposite directions: whichever was added first, the delivery is
    the to-NetSuite account's, so its refund is recorded at once, not at the next scheduled run."""
    directions = [Direction.FROM_NETSUITE, Direction.TO_NETSUITE]
    accounts = [_account(connector, f"A{i}", d) for i, d in enumerate(directions if from_first else directions[::-1])]
    _account(connector, "Other shop", Direction.TO_NETSUITE, store="someone-else")
    receiver = _Receiver(connector.ledger, None, None)
    chosen = receiver.receiving_account(receiver.verified_accounts(lambda a: a.store == "acme-outfitters"))
    assert chosen is not None and chosen.direction is Direction.TO_NETSUITE
    assert chosen.id in {a.id for a in accounts}


def test_no_account_when_no_secret_verifies(connector) -> None:
    _account(connector, "A", Direction.TO_NETSUITE)
    receiver = _Receiver(connector.ledger, None, None)
    assert receiver.receiving_account(receiver.verified_accounts(lambda a: False)) is None


def test_signatures_compare_as_bytes_or_text_and_ignore_surrounding_space() -> None:
    assert same_signature("abc=", b" abc=\n") and same_signature(b"abc=", "abc=")
    assert not same_signature("abc=", "abd=")
