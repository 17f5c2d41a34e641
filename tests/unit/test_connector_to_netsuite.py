"""Refund sync TO NetSuite: retrieve a storefront refund, post it as a cash refund / credit memo."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from common import jsonio
from connector import ConnectorError, Direction, RefundStatus
from tests.unit.connector_helpers import add_shopify_account, connector_on_netsuite, shopify_order, shopify_refund

D = Decimal
SO_EXT = "shopify-acme-outfitters-order-1001"
REFUND_EXT = "shopify-acme-outfitters-refund-901"


@pytest.fixture
def world(tmp_path):
    answers = [("GET", r"/admin/api/2024-10/orders/1001\.json$", {"order": shopify_order()}),
               ("GET", r"/admin/api/2024-10/orders/1001/refunds\.json$", {"refunds": [shopify_refund()]})]
    with connector_on_netsuite(tmp_path, answers) as (connector, netsuite, routes):
        account = add_shopify_account(connector, netsuite.settings)
        connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE)   # gate tested elsewhere
        yield connector, netsuite, routes, account


def _synced_and_billed(connector, netsuite, account):
    """Order 1001 synced, then billed in NetSuite: a cash sale when it was paid, else an invoice."""
    link = connector.sync_order(account.id, "1001")
    return netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))


def test_manual_retrieve_then_post_creates_a_cash_refund(world) -> None:
    connector, netsuite, routes, account = world
    billed = _synced_and_billed(connector, netsuite, account)
    [row] = connector.retrieve_refunds(account.id, "1001")
    assert (row.status, row.total, row.order_name, row.line_items) == (RefundStatus.RETRIEVED, D("25.48"), "#1001", True)

    start = len(netsuite.sim.journal)
    posted = connector.post(row.id)
    assert netsuite.calls()[start:] == [
        f"GET /services/rest/record/v1/salesOrder/eid:{SO_EXT}",
        "POST /services/rest/query/v1/suiteql?limit=1000&offset=0",        # the billed record of the sales order
        f"GET /services/rest/record/v1/cashRefund/eid:{REFUND_EXT}",       # not posted before?
        f"GET /services/rest/record/v1/cashSale/{billed['id']}?expandSubResources=true",
        f"POST /services/rest/record/v1/cashSale/{billed['id']}/!transform/cashRefund?replace=item",
        f"GET /services/rest/record/v1/cashRefund/{posted.target_id}"]
    assert (posted.status, posted.error, posted.target_type) == (RefundStatus.POSTED, None, "cashRefund")
    created = netsuite.record("cashRefund", posted.target_id)
    assert posted.target_name == created["tranId"] and posted.warning is None
    (transform,) = netsuite.transforms()
    assert transform.url.endswith("?replace=item")
    body = jsonio.loads(transform.request_body)
    assert body["externalId"] == REFUND_EXT and body["taxDetailsOverride"] is True
    assert body["memo"] == "Shopify refund 901 of order #1001"
    lines = body["item"]["items"]
    assert lines[0]["orderLine"] == 1 and lines[0]["quantity"] == 1 and "item" not in lines[0]
    assert lines[1]["item"] == {"id": netsuite.catalog.shipping} and lines[1]["description"] == "Shipping refund"
    assert sum(D(str(l["amount"])) + D(str(l["taxAmount"])) for l in lines) == D("25.48")   # to the cent
    assert D(str(created["total"])) == D("25.48")


def test_an_invoice_gets_a_credit_memo(world) -> None:
    connector, netsuite, routes, account = world
    routes.add("GET", r"/admin/api/2024-10/orders/1001\.json$", {"order": shopify_order(financial_status="pending")})
    billed = _synced_and_billed(connector, netsuite, account)   # unpaid: no payment method, so an invoice
    assert billed["recordType"] == "invoice"
    [row] = connector.retrieve_refunds(account.id, "1001")
    posted = connector.post(row.id)
    assert posted.target_type == "creditMemo"
    assert netsuite.record("creditMemo", posted.target_id)["createdFrom"]["id"] == billed["id"]


def test_a_refund_of_an_order_never_synced_errors(world) -> None:
    connector, _, _, account = world
    [row] = connector.retrieve_refunds(account.id, "1001")
    failed = connector.post(row.id)
    assert failed.status is RefundStatus.ERROR and failed.retryable
    assert failed.error == ("Order #1001 was never synced to NetSuite (no sales order with externalId "
                            "shopify-acme-outfitters-order-1001). Sync the order, then re-post this refund.")


def test_an_unbilled_order_errors_then_posts_once_billed(world) -> None:
    connector, netsuite, _, account = world
    link = connector.sync_order(account.id, "1001")
    [row] = connector.retrieve_refunds(account.id, "1001")
    failed = connector.post(row.id)
    assert failed.status is RefundStatus.ERROR and failed.retryable
    assert failed.error == (f"Order #1001 (sales order {link.sales_order_tranid}) is not billed yet; bill it in "
                            "NetSuite and re-post.")
    netsuite.bill(netsuite.record("salesOrder", link.sales_order_id))
    assert connector.post(row.id).status is RefundStatus.POSTED


def test_a_deleted_sales_order_asks_to_cancel(world) -> None:
    connector, netsuite, _, account = world
    link = connector.sync_order(account.id, "1001")
    netsuite.sim.delete("salesOrder", link.sales_order_id)
    [row] = connector.retrieve_refunds(account.id, "1001")
    failed = connector.post(row.id)
    assert failed.status is RefundStatus.ERROR and not failed.retryable
    assert "no longer exists in NetSuite" in failed.error and "Cancel this refund" in failed.error
    assert connector.cancel(row.id).status is RefundStatus.CANCELED


def test_netsuites_rejection_is_on_the_row(world) -> None:
    connector, netsuite, _, account = world
    billed = _synced_and_billed(connector, netsuite, account)
    netsuite.refund(billed, {1: 2})   # both tees already refunded in NetSuite: nothing of line 1 is left
    [row] = connector.retrieve_refunds(account.id, "1001")
    failed = connector.post(row.id)
    assert failed.status is RefundStatus.ERROR and not failed.retryable
    (rejected,) = netsuite.transforms()
    assert rejected.status == 400
    [detail] = jsonio.loads(rejected.response_body)["o:errorDetails"]
    assert detail["detail"] in failed.error
    assert failed.error.startswith("NetSuite rejected the cashRefund from")


def test_posting_is_exactly_once(world) -> None:
    connector, netsuite, _, account = world
    _synced_and_billed(connector, netsuite, account)
    [row] = connector.retrieve_refunds(account.id, "1001")
    first = connector.post(row.id)
    assert connector.post(row.id) == first   # posted rows are left alone

    connector.delete(row.id)                 # forgotten, retrieved again, posted again:
    [again] = connector.retrieve_refunds(account.id, "1001")
    assert again.id != row.id
    reposted = connector.post(again.id)
    assert reposted.target_id == first.target_id and len(netsuite.records("cashRefund")) == 1
    assert len(netsuite.transforms()) == 1


def test_an_already_exists_answer_links_the_existing_record(world) -> None:
    connector, netsuite, routes, account = world
    billed = _synced_and_billed(connector, netsuite, account)
    existing = netsuite.refund(billed, {2: 1}, external_id=REFUND_EXT)   # posted by an earlier, lost attempt
    [row] = connector.retrieve_refunds(account.id, "1001")
    # The eid lookup misses once (the record is not visible yet); the transform then says it exists.
    calls = iter([netsuite.not_found("not yet")])
    routes.add("GET", rf"/record/v1/cashRefund/eid:{REFUND_EXT}$",
               lambda request, match: next(calls, None) or netsuite.sim.handle(request))
    posted = connector.post(row.id)
    assert (posted.status, posted.target_id) == (RefundStatus.POSTED, existing["id"])
    assert len(netsuite.transforms()) == 1 and len(netsuite.records("cashRefund")) == 1


def test_a_canceled_refund_is_not_posted(world) -> None:
    connector, netsuite, _, account = world
    [row] = connector.retrieve_refunds(account.id, "1001")
    connector.cancel(row.id)
    with pytest.raises(ConnectorError, match="canceled, so it is not posted. Uncancel it first."):
        connector.post(row.id)
    _synced_and_billed(connector, netsuite, account)
    connector.uncancel(row.id)
    assert connector.post(row.id).status is RefundStatus.POSTED


def test_a_pending_refund_waits_until_its_money_settles(world) -> None:
    connector, netsuite, routes, account = world
    _synced_and_billed(connector, netsuite, account)
    routes.add("GET", r"/orders/1001/refunds\.json$", {"refunds": [shopify_refund(status="pending")]})
    routes.add("GET", r"/orders/1001/refunds/901\.json$", {"refund": shopify_refund(status="pending")})
    [row] = connector.retrieve_refunds(account.id, "1001")
    waiting = connector.post(row.id)
    assert waiting.status is RefundStatus.RETRIEVED and waiting.error is None and not netsuite.transforms()
    routes.add("GET", r"/orders/1001/refunds/901\.json$", {"refund": shopify_refund(status="success")})
    posted = connector.post(row.id)
    assert posted.status is RefundStatus.POSTED and posted.total == D("25.48")


def test_a_netsuite_total_that_differs_is_flagged(world) -> None:
    connector, netsuite, routes, account = world
    _synced_and_billed(connector, netsuite, account)
    netsuite.sim.settings.ignore_tax_override = True   # a tax engine that recalculates at its own rate
    netsuite.sim.settings.tax_rate = D("0.10")
    [row] = connector.retrieve_refunds(account.id, "1001")
    posted = connector.post(row.id)
    assert posted.status is RefundStatus.POSTED
    total = D(str(netsuite.record("cashRefund", posted.target_id)["total"]))
    assert total != D("25.48")
    flagged = re.search(r"NetSuite's total is (\S+) USD but the storefront refunded 25\.48 USD", posted.warning)
    assert flagged and D(flagged.group(1)) == total


def test_refunds_the_connector_pushed_are_not_retrieved(world) -> None:
    connector, _, routes, account = world
    routes.add("GET", r"/orders/1001/refunds\.json$", {"refunds": [
        shopify_refund(901), shopify_refund(902, note="Refund from NetSuite CR-7 [netsuite:CR-7:5004]")]})
    assert [r.source_id for r in connector.retrieve_refunds(account.id, "1001")] == ["901"]


def test_retrieving_needs_a_direction(world) -> None:
    connector, _, _, account = world
    connector.disable_refund_sync(account.id)
    with pytest.raises(ConnectorError, match="Refund sync is off for account 'Acme Shopify'"):
        connector.retrieve_refunds(account.id, "1001")
