"""Order sync: a Shopify order becomes a NetSuite customer and sales order, once."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal

import pytest

from connector import AccountSettings, ConnectorError
from tests.unit.connector_helpers import add_shopify_account, body_of, connector_on_netsuite, shopify_order

D = Decimal


@contextmanager
def _wired(tmp_path, *, with_mug: bool = True):
    answers = [("GET", r"myshopify\.com/admin/api/2024-10/orders/1001\.json$", {"order": shopify_order()}),
               ("GET", r"myshopify\.com/admin/api/2024-10/orders/1002\.json$",
                {"order": shopify_order(1002, financial_status="pending") | {"name": "#1002"}})]
    with connector_on_netsuite(tmp_path, answers, with_mug=with_mug) as (connector, netsuite, routes):
        yield connector, netsuite, routes, add_shopify_account(connector, netsuite.settings)


@pytest.fixture
def world(tmp_path):
    with _wired(tmp_path) as wired:
        yield wired


def test_an_order_becomes_a_sales_order(world) -> None:
    connector, netsuite, routes, account = world
    link = connector.sync_order(account.id, 1001)
    catalog = netsuite.catalog
    assert netsuite.calls() == ["GET /services/rest/record/v1/salesOrder/eid:shopify-acme-outfitters-order-1001?expandSubResources=true",
                  "POST /services/rest/query/v1/suiteql?limit=1000&offset=0",                 # SKUs -> items
                  "PUT /services/rest/record/v1/customer/eid:shopify-acme-outfitters-customer-77",
                  "POST /services/rest/query/v1/suiteql?limit=1000&offset=0",                 # USD -> currency id
                  "POST /services/rest/record/v1/salesOrder",
                  f"GET /services/rest/record/v1/salesOrder/{link.sales_order_id}?expandSubResources=true"]
    [body] = netsuite.sent("POST", "/record/v1/salesOrder")
    assert body["externalId"] == "shopify-acme-outfitters-order-1001" and body["taxDetailsOverride"] is True
    assert body["currency"] == {"id": "1"} and body["paymentMethod"] == {"id": catalog.visa}
    assert body["tranDate"] == "2026-01-05"
    assert body["entity"]["id"] == netsuite.by_eid("customer", "shopify-acme-outfitters-customer-77")["id"]
    assert body["item"]["items"] == [
        {"item": {"id": catalog.tee}, "quantity": 2, "rate": 20, "amount": 35, "taxAmount": D("2.8"), "description": "Tee",
         "custcol_storefront_line_id": "11"},
        {"item": {"id": catalog.mug}, "quantity": 1, "rate": D("12.5"), "amount": D("12.5"), "taxAmount": 1, "description": "Mug",
         "custcol_storefront_line_id": "12"},
        {"item": {"id": catalog.shipping}, "quantity": 1, "rate": 7, "amount": 7, "taxAmount": D("0.56"), "description": "Standard",
         "custcol_storefront_line_id": "shipping-31"}]
    assert (link.order_id, link.order_name, link.currency) == ("1001", "#1001", "USD")
    assert link.sales_order_tranid.startswith("SO-")
    assert [(l.line_id, l.sku, l.item_id, l.so_line) for l in link.lines] == [
        ("11", "TEE-1", catalog.tee, 1), ("12", "MUG-2", catalog.mug, 2), ("shipping-31", None, catalog.shipping, 3)]
    assert connector.order_link(account.id, "1001") == link


def test_syncing_again_creates_nothing(world) -> None:
    connector, netsuite, routes, account = world
    first = connector.sync_order(account.id, 1001)
    before = len(routes.requests)
    again = connector.sync_order(account.id, 1001)
    assert again.sales_order_id == first.sales_order_id and len(netsuite.records("salesOrder")) == 1
    assert [r.method for r in routes.requests[before:]] == ["POST", "GET"]   # the order (GraphQL), then eid: found


def test_an_existing_sales_order_from_a_lost_answer_is_linked(world) -> None:
    connector, netsuite, routes, account = world
    existing = netsuite.sales_order("shopify-acme-outfitters-order-1001", [
        {"item": {"id": netsuite.catalog.tee}, "quantity": 1, "amount": 20, "taxAmount": 0}])
    misses = iter([netsuite.not_found("not found")])   # the first read misses it
    routes.add("GET", r"/record/v1/salesOrder/eid:shopify-acme-outfitters-order-1001\?",
               lambda request, match: next(misses, None) or netsuite.sim.handle(request))
    link = connector.sync_order(account.id, 1001)
    assert link.sales_order_id == existing["id"] and len(netsuite.records("salesOrder")) == 1


def test_unpaid_orders_have_no_payment_method_so_they_bill_as_invoices(world) -> None:
    connector, netsuite, routes, account = world
    connector.sync_order(account.id, 1002)
    [body] = netsuite.sent("POST", "/record/v1/salesOrder")
    assert "paymentMethod" not in body


def test_payment_method_follows_the_gateway_map(world) -> None:
    connector, netsuite, routes, account = world
    amex = netsuite.catalog.amex
    connector.update_settings(account.id, replace(netsuite.settings, payment_method_id=None,
                                                  payment_method_map={"shopify_payments": amex}))
    connector.sync_order(account.id, 1001)
    assert netsuite.records("salesOrder")[-1]["paymentMethod"]["id"] == amex


def test_unmapped_skus_are_named(tmp_path) -> None:
    with _wired(tmp_path, with_mug=False) as (connector, netsuite, routes, account):   # no MUG-2 item
        with pytest.raises(ConnectorError, match="Order #1001 cannot be synced: SKU MUG-2 has no NetSuite item"):
            connector.sync_order(account.id, 1001)
        assert netsuite.records("salesOrder") == []
        catalog = netsuite.catalog
        connector.update_settings(account.id, AccountSettings(generic_refund_item_id=catalog.generic,
                                                              shipping_item_id=catalog.shipping,
                                                              item_map={"MUG-2": catalog.tee}))
        assert connector.sync_order(account.id, 1001).lines[1].item_id == catalog.tee


def test_sync_orders_needs_active_order_sync_and_respects_the_cutoff(world) -> None:
    connector, netsuite, routes, account = world
    with pytest.raises(ConnectorError, match="Order sync is not active"):
        connector.sync_orders(account.id)
    connector.clock.advance(minutes=30)   # cut-off 09:30: order 1001 (09:10) is older
    connector.activate_order_sync(account.id)
    newer = shopify_order(1003) | {"name": "#1003", "created_at": "2026-01-05T09:45:00Z"}
    routes.add("GET", r"/orders\.json\?", {"orders": [shopify_order(), newer]})
    routes.add("GET", r"/orders/1003\.json$", {"order": newer})
    synced = connector.sync_orders(account.id)
    assert [link.order_id for link in synced] == ["1003"]
    listing = next(body_of(r) for r in routes.requests if r.url.path.endswith("/graphql.json")
                   and body_of(r)["operationName"] == "OrdersSince")
    assert listing["variables"]["query"] == "updated_at:>='2026-01-05T09:30:00Z'"
    assert connector.account(account.id).orders_synced_through == connector.clock.now()
