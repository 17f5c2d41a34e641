"""Test doubles for the connector's unit tests: a recording httpx router and a small fake NetSuite.

The real simulators are tested (and used end to end) elsewhere; these doubles answer only the
few calls each connector test needs, from handwritten JSON shaped like docs/wire-contract.md.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import httpx

from common import jsonio
from common.clock import ManualClock
from connector import AccountSettings, Connector, NetSuiteConfig, TbaCredentials

NS_ACCOUNT = "1234567_SB1"
NS_HOST = "1234567-sb1.suitetalk.api.netsuite.com"
NS_BASE = f"https://{NS_HOST}/services/rest"
CREDENTIALS = TbaCredentials("consumer-key", "consumer-secret", "token-id", "token-secret")
SHOP = "acme-outfitters"
SHOPIFY_BASE = f"https://{SHOP}.myshopify.com/admin/api/2024-10"
SQUARE_BASE = "https://connect.squareup.com/v2"
SETTINGS = AccountSettings(generic_refund_item_id="51", shipping_item_id="52", payment_method_id="7")

Handler = Callable[[httpx.Request, re.Match], httpx.Response]


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = b"" if body is None else jsonio.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"Content-Type": "application/json", **(headers or {})})


def ns_error(status: int, code: str, detail: str, path: str | None = None) -> httpx.Response:
    error = {"detail": detail, "o:errorCode": code, **({"o:errorPath": path} if path else {})}
    return json_response(status, {"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
                                  "title": "Bad Request", "status": status, "o:errorDetails": [error]})


def body_of(request: httpx.Request) -> Any:
    return jsonio.loads(request.content) if request.content else None


class Routes:
    """A MockTransport handler: first route whose method and regex (on the full URL) match answers."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[httpx.Request] = []

    def add(self, method: str, pattern: str, answer: Handler | httpx.Response | Any) -> None:
        if isinstance(answer, httpx.Response):
            response = answer
            answer = lambda request, match: response  # noqa: E731
        elif not callable(answer):
            payload = answer
            answer = lambda request, match: json_response(200, payload)  # noqa: E731
        self.routes.insert(0, (method, re.compile(pattern), answer))   # newest route wins

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        for method, pattern, answer in self.routes:
            match = pattern.search(str(request.url))
            if method == request.method and match:
                return answer(request, match)
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def calls(self, host: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" + (f"?{r.url.query.decode()}" if r.url.query else "")
                for r in self.requests if host is None or r.url.host == host]


@dataclass
class FakeNetSuite:
    """Just enough NetSuite for the connector's flows: records by id and eid, transforms, SuiteQL."""

    items: dict[str, tuple[str, str]] = field(default_factory=lambda: {
        "201": ("TEE-1", "InvtPart"), "202": ("MUG-2", "InvtPart"), "51": ("Refund Adjustment", "OthCharge"),
        "52": ("Shipping", "OthCharge")})
    records: dict[str, dict[str, dict]] = field(default_factory=dict)
    next_id: int = 1000
    transforms: list[tuple[str, str, dict, str]] = field(default_factory=list)   # (from, to, body, query)
    reject_transform: httpx.Response | None = None

    TYPE_CODE = {"salesOrder": "SalesOrd", "cashSale": "CashSale", "invoice": "CustInvc",
                 "cashRefund": "CashRfnd", "creditMemo": "CustCred"}
    PREFIX = {"salesOrder": "SO", "cashSale": "CS", "invoice": "INV", "cashRefund": "CR", "creditMemo": "CM"}

    def install(self, routes: Routes) -> None:
        record = rf"^{re.escape(NS_BASE)}/record/v1/(?P<type>\w+)"
        routes.add("GET", record + r"/(?P<key>[^/?]+)(\?.*)?$", self._get)
        routes.add("POST", record + r"(\?.*)?$", self._create)
        routes.add("PUT", record + r"/eid:(?P<eid>[^/?]+)$", self._upsert)
        routes.add("POST", record + r"/(?P<id>\d+)/!transform/(?P<to>\w+)(\?.*)?$", self._transform)
        routes.add("POST", rf"^{re.escape(NS_BASE)}/query/v1/suiteql", self._suiteql)

    # --- state helpers for tests --------------------------------------------------------------
    def add(self, record_type: str, **fields: Any) -> dict:
        self.next_id += 1
        record_id = str(self.next_id)
        record = {"links": [], "id": record_id, "tranId": f"{self.PREFIX.get(record_type, 'X')}-{record_id}", **fields}
        for number, line in enumerate(record.get("item", {}).get("items", []), start=1):
            line.setdefault("line", number)
        if "item" in record:
            lines = record["item"]["items"]
            record["total"] = sum((Decimal(str(l.get("amount", 0))) + Decimal(str(l.get("taxAmount", 0)))
                                   for l in lines), Decimal(0))
        self.records.setdefault(record_type, {})[record_id] = record
        return record

    def sales_order(self, external_id: str, lines: list[dict]) -> dict:
        return self.add("salesOrder", externalId=external_id, currency={"id": "1", "refName": "USD"},
                        item={"items": lines})

    def bill(self, sales_order: dict, billed_type: str = "cashSale") -> dict:
        lines = [dict(line) for line in sales_order["item"]["items"]]
        return self.add(billed_type, createdFrom={"id": sales_order["id"]}, currency=sales_order["currency"],
                        item={"items": lines})

    def refund(self, billed: dict, lines: list[dict], refund_type: str = "cashRefund", **fields: Any) -> dict:
        return self.add(refund_type, createdFrom={"id": billed["id"]}, currency=billed["currency"],
                        item={"items": lines}, **fields)

    def by_eid(self, record_type: str, external_id: str) -> dict | None:
        return next((r for r in self.records.get(record_type, {}).values() if r.get("externalId") == external_id), None)

    # --- HTTP ---------------------------------------------------------------------------------
    @staticmethod
    def _check_auth(request: httpx.Request) -> None:
        assert request.headers["Authorization"].startswith(f'OAuth realm="{NS_ACCOUNT}"'), request.headers

    def _get(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        self._check_auth(request)
        record_type, key = match["type"], match["key"]
        if key.startswith("eid:"):
            found = self.by_eid(record_type, key[4:])
        else:
            found = self.records.get(record_type, {}).get(key)
        if found is None:
            return ns_error(404, "NONEXISTENT_ID", f"The record instance does not exist: {record_type} {key}.")
        expand = request.url.params.get("expandSubResources") == "true"
        shown = dict(found)
        if "item" in shown and not expand:
            shown["item"] = {"links": []}
        return json_response(200, shown)

    def _created(self, record_type: str, record: dict) -> httpx.Response:
        return httpx.Response(204, headers={"Location": f"{NS_BASE}/record/v1/{record_type}/{record['id']}"})

    def _create(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        self._check_auth(request)
        body = body_of(request)
        if body.get("externalId") and self.by_eid(match["type"], body["externalId"]):
            return ns_error(400, "USER_ERROR", "This entity already exists.", "externalId")
        return self._created(match["type"], self.add(match["type"], **body))

    def _upsert(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        self._check_auth(request)
        existing = self.by_eid(match["type"], match["eid"])
        if existing:
            existing.update(body_of(request))
            return httpx.Response(204)
        return self._created(match["type"], self.add(match["type"], externalId=match["eid"], **body_of(request)))

    def _transform(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        self._check_auth(request)
        body = body_of(request)
        self.transforms.append((match["type"], match["to"], body, request.url.query.decode()))
        if self.reject_transform is not None:
            return self.reject_transform
        if body.get("externalId") and self.by_eid(match["to"], body["externalId"]):
            return ns_error(400, "USER_ERROR", "This entity already exists.", "externalId")
        source = self.records[match["type"]][match["id"]]
        billed_lines = {line["line"]: line for line in source["item"]["items"]}
        lines = []
        for given in body["item"]["items"]:
            line = dict(given)
            if "orderLine" in given:
                line["item"] = billed_lines[given["orderLine"]]["item"]
            lines.append(line)
        fields = {k: v for k, v in body.items() if k != "item"}
        return self._created(match["to"], self.add(match["to"], createdFrom={"id": source["id"]},
                                                   currency=source.get("currency"), item={"items": lines}, **fields))

    def _suiteql(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        self._check_auth(request)
        assert request.headers.get("Prefer") == "transient"
        query = body_of(request)["q"]
        return json_response(200, {"links": [], "count": 0, "hasMore": False, "offset": 0,
                                   "items": [{"links": [], **row} for row in self._rows(query)]})

    def _rows(self, query: str) -> list[dict]:
        ids_in = lambda: re.search(r"IN \(([^)]*)\)", query.rsplit("createdfrom", 1)[-1]).group(1)  # noqa: E731
        if "FROM currency" in query:
            return [{"id": "1", "symbol": "USD"}] if "'USD'" in query else []
        if "FROM item WHERE itemid IN" in query:
            wanted = set(re.findall(r"'([^']*)'", query))
            return [{"id": i, "itemid": name} for i, (name, _) in self.items.items() if name in wanted]
        if "FROM item WHERE id =" in query:
            item_id = re.search(r"id = (\d+)", query).group(1)
            return [{"id": item_id, "itemtype": self.items[item_id][1]}] if item_id in self.items else []
        if "'CashSale', 'CustInvc'" in query:
            wanted = {s.strip() for s in ids_in().split(",")}
            return [self._row(t, r) for t in ("cashSale", "invoice") for r in self.records.get(t, {}).values()
                    if r.get("createdFrom", {}).get("id") in wanted]
        if "'CashRfnd', 'CustCred'" in query:
            refunds = [(t, r) for t in ("cashRefund", "creditMemo") for r in self.records.get(t, {}).values()]
            if "t.id >" in query:
                above = int(re.search(r"t\.id > (\d+)", query).group(1))
                return [self._row(t, r) for t, r in refunds if int(r["id"]) > above]
            wanted = {s.strip() for s in ids_in().split(",")}
            return [self._row(t, r) for t, r in refunds if r.get("createdFrom", {}).get("id") in wanted]
        if "t.id =" in query or "t.tranid =" in query:
            key = (re.search(r"t\.id = (\d+)", query) or re.search(r"t\.tranid = '([^']*)'", query)).group(1)
            return [self._row(t, r) for t, table in self.records.items() for r in table.values()
                    if key in (r["id"], r.get("tranId"))]
        raise AssertionError(f"the fake NetSuite does not answer {query}")

    def _row(self, record_type: str, record: dict) -> dict:
        row = {"id": record["id"], "type": self.TYPE_CODE[record_type], "tranid": record["tranId"]}
        if record.get("createdFrom"):
            row["createdfrom"] = record["createdFrom"]["id"]
        if record.get("externalId"):
            row["externalid"] = record["externalId"]
        return row


def make_connector(tmp_path: Path | str, routes: Routes, clock: ManualClock | None = None,
                   seed: int = 1234) -> Connector:
    path = ":memory:" if tmp_path == ":memory:" else Path(tmp_path) / "ledger.sqlite3"
    return Connector(ledger_path=path, clock=clock or ManualClock(), http=routes.client(), seed=seed,
                     netsuite=NetSuiteConfig(account_id=NS_ACCOUNT, credentials=CREDENTIALS),
                     webhook_base_url="https://hooks.refund-connector.test")


@contextmanager
def connector_on_fake_netsuite(tmp_path: Path | str, answers: Sequence[tuple[str, str, Any]] = ()
                               ) -> Iterator[tuple[Connector, "FakeNetSuite", Routes]]:
    """A connector whose NetSuite is the fake above, plus any storefront answers (method, pattern, body)."""
    routes, netsuite = Routes(), FakeNetSuite()
    netsuite.install(routes)
    for method, pattern, answer in answers:
        routes.add(method, pattern, answer)
    connector = make_connector(tmp_path, routes)
    try:
        yield connector, netsuite, routes
    finally:
        connector.close()


def add_shopify_account(connector: Connector):
    return connector.add_account(name="Acme Shopify", platform="shopify", store="acme-outfitters",
                                 credentials={"access_token": "shpat", "client_secret": "shpss"}, settings=SETTINGS)


def shopify_order(order_id: int = 1001, *, financial_status: str = "paid") -> dict:
    """A Shopify order as GET orders/{id}.json answers: 2 x TEE-1 (one discounted), 1 x MUG-2, shipping."""
    return {
        "id": order_id, "name": "#1001", "email": "ada@example.com", "currency": "USD",
        "presentment_currency": "USD", "financial_status": financial_status,
        "created_at": "2026-01-05T09:10:00Z", "updated_at": "2026-01-05T09:10:00Z",
        "payment_gateway_names": ["shopify_payments"],
        "customer": {"id": 77, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        "line_items": [
            {"id": 11, "sku": "TEE-1", "title": "Tee", "quantity": 2, "price": "20.00", "total_discount": "5.00",
             "discount_allocations": [{"amount": "5.00"}], "tax_lines": [{"title": "Tax", "rate": 0.08, "price": "2.80"}]},
            {"id": 12, "sku": "MUG-2", "title": "Mug", "quantity": 1, "price": "12.50", "total_discount": "0.00",
             "discount_allocations": [], "tax_lines": [{"title": "Tax", "rate": 0.08, "price": "1.00"}]},
        ],
        "shipping_lines": [{"id": 31, "title": "Standard", "price": "7.00", "discounted_price": "7.00",
                            "tax_lines": [{"title": "Tax", "rate": 0.08, "price": "0.56"}]}],
        "refunds": [],
    }


def shopify_refund(refund_id: int = 901, order_id: int = 1001, *, amount: str = "25.48", note: str | None = None,
                   status: str = "success", lines: bool = True, shipping: bool = True) -> dict:
    """A Shopify refund: one TEE-1 (17.50 + 1.40 tax) and the shipping (7.00 + 0.56) = 26.46 calculated;
    ``amount`` is the money that actually went back (less than calculated: a refund discrepancy)."""
    return {
        "id": refund_id, "order_id": order_id, "created_at": "2026-01-05T10:00:00Z", "note": note,
        "refund_line_items": [{"id": 1, "line_item_id": 11, "quantity": 1, "restock_type": "no_restock",
                               "subtotal": 17.5, "total_tax": 1.4,
                               "subtotal_set": {"shop_money": {"amount": "17.50", "currency_code": "USD"}},
                               "total_tax_set": {"shop_money": {"amount": "1.40", "currency_code": "USD"}},
                               "line_item": {"id": 11, "sku": "TEE-1"}}] if lines else [],
        "refund_shipping_lines": [{"id": 2, "shipping_line_id": 31,
                                   "subtotal_amount_set": {"shop_money": {"amount": "7.00", "currency_code": "USD"}},
                                   "tax_amount_set": {"shop_money": {"amount": "0.56", "currency_code": "USD"}}}]
        if shipping else [],
        "transactions": [{"id": 5, "kind": "refund", "status": status, "amount": amount, "currency": "USD",
                          "gateway": "shopify_payments", "parent_id": 3}],
        "order_adjustments": [],
    }
