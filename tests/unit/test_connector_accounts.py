"""Accounts, the one-direction rule and the activation gate (NetSuite is the simulator)."""
from __future__ import annotations

import pytest

from connector import AccountSettings, ActivationRefused, ConnectorError, Direction
from connector.model import LineLink, OrderLink
from connector.errors import Prerequisite, Unmet
from tests.unit.connector_helpers import connector_on_netsuite


@pytest.fixture
def world(tmp_path):
    with connector_on_netsuite(tmp_path) as wired:
        yield wired


def _shopify(connector, netsuite, name="Acme Shopify", settings=None):
    settings = netsuite.settings if settings is None else settings
    return connector.add_account(name=name, platform="shopify", store="acme-outfitters",
                                 credentials={"access_token": "shpat", "client_secret": "shpss"}, settings=settings)


def _synced_order(connector, netsuite, account, order_id="1001", billed=True, sku="TEE-1"):
    """What sync_order leaves behind: a sales order in NetSuite and the link in the ledger."""
    tee = netsuite.catalog.tee
    so = netsuite.sales_order(f"shopify-acme-outfitters-order-{order_id}",
                              [{"item": {"id": tee}, "quantity": 1, "amount": 20, "taxAmount": 0,
                                "custcol_storefront_line_id": "11"}])
    if billed:
        netsuite.bill(so)
    connector.ledger.save_order_link(OrderLink(
        account_id=account.id, order_id=order_id, order_name=f"#{order_id}", sales_order_id=so["id"],
        sales_order_tranid=so["tranId"], external_id=so["externalId"], currency="USD",
        lines=(LineLink("11", sku, tee, 1),)))
    return so


def test_add_account_validates(world) -> None:
    connector, netsuite, _ = world
    account = _shopify(connector, netsuite)
    assert account.direction is Direction.OFF and not account.order_sync_active
    assert connector.account(account.id) == account
    with pytest.raises(ConnectorError, match="Unknown platform 'no-such-cart'"):
        connector.add_account(name="B", platform="no-such-cart", store="s", credentials={"access_token": "t"})
    with pytest.raises(ConnectorError, match="missing credentials: client_secret"):
        connector.add_account(name="C", platform="shopify", store="s", credentials={"access_token": "t"})
    square = connector.add_account(name="Sq", platform="square", store="L1", credentials={"access_token": "t"})
    assert square.platform == "square"


def test_activation_lists_everything_that_is_missing(world) -> None:
    connector, netsuite, routes = world
    account = _shopify(connector, netsuite, settings=AccountSettings())
    report = connector.check_refund_prerequisites(account.id)
    assert not report.ok and report.test_order is None
    assert report.missing == [
        Unmet(Prerequisite.ORDER_SYNC_ACTIVE, "order sync is not active"),
        Unmet(Prerequisite.TEST_ORDER_SYNCED,
              "no test order has been synced to NetSuite (sync a test order, then bill it in NetSuite with a "
              "cash sale or an invoice)"),
        Unmet(Prerequisite.GENERIC_REFUND_ITEM,
              "the generic refund item is not configured (set generic_refund_item_id to an Other Charge for Sale item)")]
    with pytest.raises(ActivationRefused) as refused:
        connector.enable_refund_sync(account.id, Direction.TO_NETSUITE)
    assert str(refused.value) == ("Refund sync cannot be activated for account 'Acme Shopify': "
                                  + "; ".join(unmet.detail for unmet in report.missing) + ".")
    assert refused.value.missing == report.missing
    assert connector.account(account.id).direction is Direction.OFF
    assert not any(r.method == "POST" and "webhooks" in r.url.path for r in routes.requests)


def test_a_synced_but_unbilled_order_is_named(world) -> None:
    connector, netsuite, _ = world
    account = _shopify(connector, netsuite)
    connector.activate_order_sync(account.id)
    so = _synced_order(connector, netsuite, account, billed=False)
    with pytest.raises(ActivationRefused) as refused:
        connector.enable_refund_sync(account.id, Direction.FROM_NETSUITE)
    assert str(refused.value) == ("Refund sync cannot be activated for account 'Acme Shopify': no test order has "
                                  f"been billed in NetSuite (sales order {so['tranId']} has no cash sale or invoice).")


def test_unmapped_items_and_a_wrong_generic_item_are_refused(world) -> None:
    connector, netsuite, _ = world
    tee = netsuite.catalog.tee
    account = _shopify(connector, netsuite, settings=AccountSettings(generic_refund_item_id=tee))
    connector.activate_order_sync(account.id)
    _synced_order(connector, netsuite, account, sku="GONE-9")
    report = connector.check_refund_prerequisites(account.id)
    assert report.test_order == "1001"
    assert report.missing == [
        Unmet(Prerequisite.ITEMS_MAPPED,
              "items are not mapped: SKU GONE-9 has no NetSuite item (create the item or add it to item_map)"),
        Unmet(Prerequisite.GENERIC_REFUND_ITEM_OTHER_CHARGE,
              f"the generic refund item {tee} is not an Other Charge for Sale item (it is InvtPart)")]


def test_activation_succeeds_once_prerequisites_are_met(world) -> None:
    connector, netsuite, routes = world
    account = _shopify(connector, netsuite)
    connector.activate_order_sync(account.id)
    _synced_order(connector, netsuite, account)
    routes.add("POST", r"/admin/api/2024-10/webhooks\.json$", {"webhook": {"id": 1}})
    assert connector.check_refund_prerequisites(account.id).ok
    enabled = connector.enable_refund_sync(account.id, Direction.TO_NETSUITE)
    assert enabled.direction is Direction.TO_NETSUITE and enabled.webhook_registered
    assert enabled.next_refund_run_at == connector.clock.now()   # due at once, then every 90 minutes
    subscribe = [r for r in routes.requests if r.url.path.endswith("/webhooks.json")]
    assert len(subscribe) == 1 and b'"topic":"refunds/create"' in subscribe[0].content
    assert b"https://hooks.refund-connector.test/webhooks/shopify" in subscribe[0].content

    calls = len(routes.requests)
    assert connector.enable_refund_sync(account.id, Direction.TO_NETSUITE).direction is Direction.TO_NETSUITE
    assert len(routes.requests) == calls   # the same direction again is a no-op


def test_one_direction_per_account(world) -> None:
    connector, netsuite, routes = world
    account = _shopify(connector, netsuite)
    connector.activate_order_sync(account.id)
    _synced_order(connector, netsuite, account)
    routes.add("POST", r"/webhooks\.json$", {"webhook": {"id": 1}})
    connector.enable_refund_sync(account.id, Direction.TO_NETSUITE)
    with pytest.raises(ActivationRefused) as refused:
        connector.enable_refund_sync(account.id, Direction.FROM_NETSUITE)
    assert str(refused.value) == (
        "Refund sync to NetSuite is already on for account 'Acme Shopify'. Turning on refund sync from NetSuite as "
        "well is unsupported: every refund would echo back and be refunded twice. Turn the current direction off first.")
    assert connector.account(account.id).direction is Direction.TO_NETSUITE

    assert connector.disable_refund_sync(account.id).direction is Direction.OFF
    assert connector.enable_refund_sync(account.id, Direction.FROM_NETSUITE).direction is Direction.FROM_NETSUITE


def test_accounts_choose_directions_independently(world) -> None:
    connector, netsuite, routes = world
    routes.add("POST", r"/webhooks\.json$", {"webhook": {"id": 1}})
    first, second = _shopify(connector, netsuite, "Shop one"), _shopify(connector, netsuite, "Shop two")
    for account, order_id in ((first, "1001"), (second, "2002")):
        connector.activate_order_sync(account.id)
        _synced_order(connector, netsuite, account, order_id=order_id)
    connector.enable_refund_sync(first.id, Direction.TO_NETSUITE)
    connector.enable_refund_sync(second.id, Direction.FROM_NETSUITE)
    assert [a.direction for a in connector.accounts()] == [Direction.TO_NETSUITE, Direction.FROM_NETSUITE]


def test_activating_order_sync_records_the_cutoff(world) -> None:
    connector, netsuite, _ = world
    account = _shopify(connector, netsuite)
    active = connector.activate_order_sync(account.id)
    assert active.order_sync_active and active.order_sync_cutoff == connector.clock.now()
    connector.clock.advance(minutes=5)
    assert connector.activate_order_sync(account.id).order_sync_cutoff == active.order_sync_cutoff


def test_every_prerequisite_the_shipped_connector_names_is_one_the_protocol_knows() -> None:
    # the reference connector passes its names through the seam as they are: a name the protocol does not
    # know would make an activation refusal a ValueError instead of a refusal the scenarios can read
    from harness import seam

    assert seam.unknown_prerequisites(p.value for p in Prerequisite) == []
    assert seam.unknown_prerequisites(["order_sync_active", "order sync"]) == ["order sync"]
