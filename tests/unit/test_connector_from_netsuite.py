"""Refund sync FROM NetSuite: NetSuite refunds of orders we synced are pushed to the storefront,
by line to Shopify, as one amount to Square; never twice."""
from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from connector import ConnectorError, Direction, RefundStatus
from connector.from_netsuite import idempotency_key
from connector.model import LineLink, OrderLink
from tests.unit.connector_helpers import (
    NetSuiteCatalog,
    Routes,
    body_of,
    connector_on_netsuite,
    json_response,
    shopify_order,
    shopify_refund,
)

D = Decimal


def _so_lines(catalog: NetSuiteCatalog) -> list[dict]:
    """Order 1001 as order sync put it in NetSuite: 2 tees (line 1), a mug (line 2), shipping (line 3)."""
    return [{"item": {"id": catalog.tee}, "quantity": 2, "amount": 35, "taxAmount": 2.8,
             "custcol_storefront_line_id": "11"},
            {"item": {"id": catalog.mug}, "quantity": 1, "amount": 12.5, "taxAmount": 1,
             "custcol_storefront_line_id": "12"},
            {"item": {"id": catalog.shipping}, "quantity": 1, "amount": 7, "taxAmount": 0.56,
             "custcol_storefront_line_id": "shipping-31"}]


def _generic(netsuite, amount) -> list[dict]:
    """One generic refund line (the account's Refund Adjustment item) for ``amount``."""
    return [{"item": netsuite.catalog.generic, "quantity": 1, "amount": amount}]


def _graphql(routes: Routes, operation: str) -> list[dict]:
    """The variables of every Shopify GraphQL request of one operation the connector sent."""
    return [body_of(r)["variables"] for r in routes.requests
            if r.url.path.endswith("/graphql.json") and body_of(r)["operationName"] == operation]


class FakeShopify:
    """Refunds created through the API are kept, so they can be listed back."""

    def __init__(self, routes: Routes) -> None:
        self.refunds: list[dict] = []
        routes.add("GET", r"/orders/1001\.json$", {"order": shopify_order()})
        routes.add("POST", r"/orders/1001/refunds/calculate\.json$", {"refund": {"transactions": [
            {"kind": "suggested_refund", "parent_id": 3, "amount": "0.00", "maximum_refundable": "58.86",
             "gateway": "shopify_payments"}]}})
        routes.add("GET", r"/orders/1001/transactions\.json$", {"transactions": [
            {"id": 3, "kind": "sale", "status": "success", "amount": "58.86", "gateway": "shopify_payments"}]})
        routes.add("POST", r"/orders/1001/refunds\.json$", self._create)
        routes.add("GET", r"/orders/1001/refunds\.json$", lambda r, m: json_response(200, {"refunds": self.refunds}))

    def _create(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        wanted = body_of(request)["refund"]
        created = shopify_refund(900 + len(self.refunds) + 1, amount=wanted["transactions"][0]["amount"],
                                 note=wanted["note"])
        self.refunds.append(created)
        return json_response(201, {"refund": created})


class FakeSquare:
    def __init__(self, routes: Routes) -> None:
        self.refunds: dict[str, dict] = {}
        self.keys: dict[str, str] = {}
        self.lose_answer = False
        routes.add("GET", r"/v2/orders/ORD1$", {"order": {
            "id": "ORD1", "location_id": "LOC1", "state": "COMPLETED", "created_at": "2026-01-05T09:10:00Z",
            "line_items": [], "tenders": [{"id": "PAY1", "type": "CARD", "payment_id": "PAY1",
                                           "amount_money": {"amount": 5886, "currency": "USD"}}],
            "total_money": {"amount": 5886, "currency": "USD"}}})
        routes.add("POST", r"/v2/refunds$", self._create)
        routes.add("GET", r"/v2/refunds\?", lambda r, m: json_response(200, {"refunds": list(self.refunds.values())}))
        routes.add("GET", r"/v2/payments/PAY1$", lambda r, m: json_response(200, {"payment": {
            "id": "PAY1", "status": "COMPLETED", "refund_ids": list(self.refunds)}}))
        routes.add("GET", r"/v2/refunds/(?P<id>\w+)$",
                   lambda r, m: json_response(200, {"refund": self.refunds[m["id"]]}))

    def _create(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        body = body_of(request)
        if body["idempotency_key"] in self.keys:   # same key: the same refund again
            refund = self.refunds[self.keys[body["idempotency_key"]]]
        else:
            refund_id = f"SQR{len(self.refunds) + 1}"
            refund = {"id": refund_id, "status": "PENDING", "amount_money": body["amount_money"],
                      "payment_id": body["payment_id"], "order_id": "ORD1", "location_id": "LOC1",
                      "reason": body["reason"], "created_at": "2026-01-05T10:00:00Z"}
            self.refunds[refund_id] = refund
            self.keys[body["idempotency_key"]] = refund_id
        if self.lose_answer:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return json_response(200, {"refund": refund})

    def settle(self, status: str) -> None:
        for refund in self.refunds.values():
            refund["status"] = status


@pytest.fixture
def world(tmp_path):
    with connector_on_netsuite(tmp_path) as wired:
        yield wired


def _account(connector, netsuite, platform: str, order_id: str):
    store = "acme-outfitters" if platform == "shopify" else "LOC1"
    account = connector.add_account(name=f"Acme {platform}", platform=platform, store=store,
                                    credentials={"access_token": "tok", "client_secret": "sec"},
                                    settings=netsuite.settings)
    connector.ledger.update_account(account.id, direction=Direction.FROM_NETSUITE)   # gate tested elsewhere
    catalog = netsuite.catalog
    so = netsuite.sales_order(f"{platform}-{store}-order-{order_id}", _so_lines(catalog))
    connector.ledger.save_order_link(OrderLink(
        account_id=account.id, order_id=order_id, order_name=f"#{order_id}", sales_order_id=so["id"],
        sales_order_tranid=so["tranId"], external_id=so["externalId"], currency="USD",
        lines=(LineLink("11", "TEE-1", catalog.tee, 1), LineLink("12", "MUG-2", catalog.mug, 2),
               LineLink("shipping-31", None, catalog.shipping, 3)),
        payment_ids=("PAY1",) if platform == "square" else ()))
    return account, netsuite.bill(so)


def test_a_netsuite_cash_refund_is_pushed_to_shopify_by_line(world) -> None:
    connector, netsuite, routes = world
    shopify = FakeShopify(routes)
    account, billed = _account(connector, netsuite, "shopify", "1001")
    refund = netsuite.refund(billed, {1: 1, 3: 1})   # one tee (17.50 + 1.40 tax) and the shipping (7.00 + 0.56)
    summary = connector.run_scheduled()
    assert (summary.retrieved, summary.posted, summary.errors) == (1, 1, 0)
    [row] = connector.refunds(account_id=account.id)
    assert (row.direction, row.source_id, row.source_name, row.order_id) == \
        (Direction.FROM_NETSUITE, refund["id"], refund["tranId"], "1001")
    assert (row.status, row.target_type, row.target_id, row.total, row.line_items) == \
        (RefundStatus.POSTED, "shopify_refund", "901", D("26.46"), True)
    [suggested] = _graphql(routes, "SuggestedRefund")
    [create] = [variables["input"] for variables in _graphql(routes, "RefundCreate")]
    assert suggested["lines"] == [{"lineItemId": "gid://shopify/LineItem/11", "quantity": 1,
                                   "restockType": "NO_RESTOCK"}]
    assert create["shipping"] == {"amount": "7.00"}
    assert create["transactions"] == [{"orderId": "gid://shopify/Order/1001",
                                       "parentId": "gid://shopify/OrderTransaction/3", "amount": "26.46",
                                       "kind": "REFUND", "gateway": "shopify_payments"}]
    assert f"[netsuite:{refund['tranId']}:{refund['id']}]" in create["note"]
    assert connector.account(account.id).netsuite_watermark == int(refund["id"])

    connector.clock.advance(minutes=90)
    assert connector.run_scheduled().retrieved == 0 and len(shopify.refunds) == 1


def test_only_refunds_of_orders_we_synced_are_taken(world) -> None:
    connector, netsuite, routes = world
    FakeShopify(routes)
    account, billed = _account(connector, netsuite, "shopify", "1001")
    foreign_so = netsuite.sales_order("some-other-system-order-5", _so_lines(netsuite.catalog)[:1])
    netsuite.refund(netsuite.bill(foreign_so), {1: 1})
    netsuite.standalone_credit_memo(3)
    netsuite.refund(billed, {}, _generic(netsuite, 4),
                    external_id="shopify-acme-outfitters-refund-77")   # made by this connector from Shopify
    summary = connector.run_scheduled()
    assert (summary.retrieved, summary.posted) == (0, 0) and connector.refunds() == []
    assert connector.account(account.id).netsuite_watermark == max(
        int(r["id"]) for table in ("cashRefund", "creditMemo") for r in netsuite.records(table))


def test_an_amount_only_netsuite_refund_goes_to_shopify_without_lines(world) -> None:
    connector, netsuite, routes = world
    FakeShopify(routes)
    account, billed = _account(connector, netsuite, "shopify", "1001")
    refund = netsuite.refund(billed, {}, _generic(netsuite, 4.25))
    [row] = connector.retrieve_refunds(account.id, refund["tranId"])   # by tranId
    posted = connector.post(row.id)
    assert posted.status is RefundStatus.POSTED and not posted.line_items
    assert _graphql(routes, "SuggestedRefund") == []
    [create] = [variables["input"] for variables in _graphql(routes, "RefundCreate")]
    assert create["refundLineItems"] == [] and create["transactions"][0]["amount"] == "4.25"


def test_read_before_write_never_pushes_twice(world) -> None:
    connector, netsuite, routes = world
    shopify = FakeShopify(routes)
    account, billed = _account(connector, netsuite, "shopify", "1001")
    refund = netsuite.refund(billed, {}, _generic(netsuite, 4.25))
    [row] = connector.retrieve_refunds(account.id, refund["id"])
    connector.post(row.id)
    connector.delete(row.id)                       # forgotten by the connector, still in Shopify
    [again] = connector.retrieve_refunds(account.id, "1001")   # by storefront order id
    assert connector.post(again.id).target_id == "901" and len(shopify.refunds) == 1


def test_square_gets_one_amount_and_settles_later(world) -> None:
    connector, netsuite, routes = world
    square = FakeSquare(routes)
    account, billed = _account(connector, netsuite, "square", "ORD1")
    refund = netsuite.refund(billed, {1: 1}, _generic(netsuite, 3))   # 17.50 + 1.40 tax, and 3.00
    first = connector.run_scheduled()
    assert (first.retrieved, first.posted, first.pending) == (1, 0, 1)
    [row] = connector.refunds(account_id=account.id)
    assert (row.status, row.target_type, row.target_id, row.line_items) == \
        (RefundStatus.RETRIEVED, "square_refund", "SQR1", False)
    post = body_of(next(r for r in routes.requests if r.method == "POST" and r.url.path == "/v2/refunds"))
    assert post == {"idempotency_key": idempotency_key(account.id, refund["id"], 1),
                    "amount_money": {"amount": 2190, "currency": "USD"}, "payment_id": "PAY1",
                    "reason": f"Refund from NetSuite {refund['tranId']} [netsuite:{refund['tranId']}:{refund['id']}]"}

    connector.clock.advance(minutes=45)
    assert connector.run_scheduled().accounts == []   # not due yet
    square.settle("COMPLETED")
    connector.clock.advance(minutes=45)
    second = connector.run_scheduled()
    assert (second.posted, second.pending) == (1, 0)
    assert connector.refund(row.id).status is RefundStatus.POSTED and len(square.refunds) == 1


def test_a_failed_square_refund_errors_and_a_repost_sends_a_new_one(world) -> None:
    connector, netsuite, routes = world
    square = FakeSquare(routes)
    account, billed = _account(connector, netsuite, "square", "ORD1")
    refund = netsuite.refund(billed, {}, _generic(netsuite, 3))
    [row] = connector.retrieve_refunds(account.id, refund["id"])
    connector.post(row.id)
    square.settle("FAILED")
    failed = connector.post(row.id)
    assert failed.status is RefundStatus.ERROR and "SQR1 failed" in failed.error and failed.target_id is None
    assert failed.attempt == 2
    retried = connector.post(row.id)
    assert retried.target_id == "SQR2" and len(square.keys) == 2   # a new idempotency key, a new refund


def test_a_lost_answer_is_recovered_without_a_second_refund(world) -> None:
    connector, netsuite, routes = world
    square = FakeSquare(routes)
    account, billed = _account(connector, netsuite, "square", "ORD1")
    refund = netsuite.refund(billed, {}, _generic(netsuite, 3))
    [row] = connector.retrieve_refunds(account.id, refund["id"])
    square.lose_answer = True
    lost = connector.post(row.id)
    assert lost.status is RefundStatus.ERROR and lost.retryable and "Could not reach Square" in lost.error
    square.lose_answer = False
    square.settle("COMPLETED")
    recovered = connector.post(row.id)
    assert (recovered.status, recovered.target_id) == (RefundStatus.POSTED, "SQR1") and len(square.refunds) == 1


def test_manual_retrieve_explains_what_is_not_ours(world) -> None:
    connector, netsuite, routes = world
    account, billed = _account(connector, netsuite, "shopify", "1001")
    standalone = netsuite.standalone_credit_memo(3)
    with pytest.raises(ConnectorError, match="is standalone"):
        connector.retrieve_refunds(account.id, standalone["id"])
    with pytest.raises(ConnectorError, match="is a cashSale, not a cash refund or credit memo"):
        connector.retrieve_refunds(account.id, billed["tranId"])
    with pytest.raises(ConnectorError, match="neither an order synced by account"):
        connector.retrieve_refunds(account.id, "CR-404")
    assert connector.retrieve_refunds(account.id, "1001") == []   # synced and billed, nothing refunded yet


def test_idempotency_keys_are_stable_and_fit_square() -> None:
    key = idempotency_key(1, "5013", 1)
    assert key == idempotency_key(1, "5013", 1) and len(key) <= 45
    assert len({key, idempotency_key(1, "5013", 2), idempotency_key(2, "5013", 1), idempotency_key(1, "5014", 1)}) == 4
    assert jsonio.loads(jsonio.dumps({"k": key}))["k"] == key
