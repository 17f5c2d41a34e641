"""HTTP adapter of the fake NetSuite: SuiteTalk REST paths, TBA, concurrency governance, and
NetSuite-shaped answers (links everywhere, refs as {id, refName}, string ids, numeric amounts,
204 + Location on writes, vnd.oracle.resource+json content types).

The routes are declared with ``@route`` on the handlers below; the rules live in models.py.
"""
from __future__ import annotations

import copy
import re
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Callable, ContextManager, Iterator

import httpx

from common.clock import Clock, isoformat
from common.seeded import IdSource
from simulators.core import Simulator, SimulatorError, route
from simulators.core.base import Call, json_response, merchant_action, read_json
from simulators.core.faults import FaultTarget
from simulators.netsuite.auth import LoginFailure, TbaCredentials, TokenBasedAuth
from simulators.netsuite.models import (
    ITEM_KINDS,
    REFUND_TYPES,
    Customer,
    Item,
    Line,
    NetSuiteAccount,
    NetSuiteError,
    NetSuiteSettings,
    Record,
    Transaction,
    error_document,
    invalid_content,
    user_error,
)
from simulators.netsuite.suiteql import SuiteQLMirror

SINGULAR = "application/vnd.oracle.resource+json; type=singular"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
ERROR = "application/vnd.oracle.resource+json; type=error"
MAX_PAGE = 1000
REFUND_OF = {"cashSale": "cashRefund", "invoice": "creditMemo"}

_RECORD = r"/services/rest/record/v1/(?P<record_type>[^/]+)"
_ONE = _RECORD + r"/(?P<ref>[^/]+)"


def host_for(account_id: str) -> str:
    """Account "1234567_SB1" is served at 1234567-sb1.suitetalk.api.netsuite.com."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", account_id or ""):
        raise ValueError(f"account id {account_id!r} should look like 1234567 or 1234567_SB1")
    return f"{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def concurrency_limit_error(status: int = 429) -> NetSuiteError:
    """What NetSuite answers over its concurrency limit: 429, or under load sometimes 401."""
    return NetSuiteError(status, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked.")


def closed_period_error(status: int = 400) -> NetSuiteError:
    """A transaction NetSuite refuses for good: its date falls in an accounting period that is closed."""
    return NetSuiteError(status, "USER_ERROR", "The accounting period of this transaction's date is closed. "
                                               "Reopen the period or date the transaction in an open one.")


class ConcurrencyGate:
    """The account-wide count of requests in flight. REST, SOAP and RESTlets share one limit, so
    slots can also be held on behalf of other integrations."""

    def __init__(self, limit: Callable[[], int], timer: Callable[[], float] = time.perf_counter) -> None:
        self._limit = limit
        self._in_flight = 0
        self._changed = threading.Condition()
        self._timer = timer
        self._slot_seconds = 0.0
        self._peak = 0

    @property
    def slot_seconds(self) -> float:
        """Wall seconds requests have held a slot, summed over requests (not slots held for others): over
        a stretch of wall time, the mean number of requests in flight (Little's law). For benchmarks;
        nothing the simulator decides depends on it."""
        with self._changed:
            return self._slot_seconds

    @property
    def in_flight(self) -> int:
        with self._changed:
            return self._in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most requests in flight at once so far (slots held for others included)."""
        with self._changed:
            return self._peak

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._changed:
            if self._in_flight >= self._limit():
                raise concurrency_limit_error()
            self._adjust(1)
        start = self._timer()
        try:
            yield
        finally:
            held = self._timer() - start
            with self._changed:
                self._adjust(-1)
                self._slot_seconds += held

    @contextmanager
    def held(self, count: int) -> Iterator[None]:
        with self._changed:
            self._adjust(count)
        try:
            yield
        finally:
            with self._changed:
                self._adjust(-count)

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight >= count, timeout)

    def _adjust(self, delta: int) -> None:
        self._in_flight += delta
        self._peak = max(self._peak, self._in_flight)
        self._changed.notify_all()


# --- documents: records as NetSuite's GET shows them ------------------------------------------

def _self_link(href: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": href}]


def _ref(ref_id: str | None, name: str) -> dict[str, Any] | None:
    return None if ref_id is None else {"links": [], "id": ref_id, "refName": name}


def _without_nulls(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value is not None}


class Documents:
    """Renders records of one account for one base URL (the URL the client called)."""

    def __init__(self, account: NetSuiteAccount, base_url: str) -> None:
        self.account = account
        self.base = f"{base_url}/services/rest/record/v1"

    def url(self, record: Record) -> str:
        return f"{self.base}/{record.type}/{record.id}"

    def record(self, record: Record, expand: bool) -> dict[str, Any]:
        if isinstance(record, Transaction):
            return self.transaction(record, expand)
        if isinstance(record, Customer):
            return self.customer(record)
        return self.item(record)

    def customer(self, customer: Customer) -> dict[str, Any]:
        currency = self.account.currencies.get(customer.currency_id or "")
        return _without_nulls({
            "links": _self_link(self.url(customer)), "id": customer.id, "externalId": customer.external_id,
            "entityId": customer.entity_id, "isPerson": customer.is_person, "companyName": customer.company_name,
            "firstName": customer.first_name, "lastName": customer.last_name, "email": customer.email,
            "phone": customer.phone, "currency": _ref(currency.id, currency.symbol) if currency else None,
            "dateCreated": isoformat(customer.created) if customer.created else None,
            "lastModifiedDate": isoformat(customer.modified) if customer.modified else None,
        })

    def item(self, item: Item) -> dict[str, Any]:
        return _without_nulls({
            "links": _self_link(self.url(item)), "id": item.id, "externalId": item.external_id,
            "itemId": item.item_id, "displayName": item.display_name, "itemType": ITEM_KINDS[item.type],
            "basePrice": item.base_price,
            "createdDate": isoformat(item.created) if item.created else None,
            "lastModifiedDate": isoformat(item.modified) if item.modified else None,
        })

    def transaction(self, txn: Transaction, expand: bool) -> dict[str, Any]:
        account = self.account
        currency = account.currencies[txn.currency_id or "1"]
        method = account.payment_methods.get(txn.payment_method_id or "")
        source = account.transaction(txn.created_from) if txn.created_from else None
        sublist: dict[str, Any] = {"links": _self_link(f"{self.url(txn)}/item")}
        if expand:
            sublist["items"] = [self.line(txn, line) for line in txn.lines]
        return _without_nulls({
            "links": _self_link(self.url(txn)), "id": txn.id, "tranId": txn.tran_id, "externalId": txn.external_id,
            "entity": _ref(txn.entity_id, account.customer(txn.entity_id).ref_name) if txn.entity_id else None,
            "currency": _ref(currency.id, currency.symbol),
            "tranDate": txn.tran_date.isoformat() if txn.tran_date else None, "memo": txn.memo,
            "paymentMethod": _ref(method.id, method.name) if method else None,
            "createdFrom": _ref(source.id, source.ref_name) if source else None,
            "taxDetailsOverride": txn.tax_override, "subtotal": txn.subtotal, "taxTotal": txn.tax_total,
            "total": txn.total,
            "createdDate": isoformat(txn.created) if txn.created else None,
            "lastModifiedDate": isoformat(txn.modified) if txn.modified else None,
            "item": sublist,
        })

    def line(self, txn: Transaction, line: Line) -> dict[str, Any]:
        return _without_nulls({
            "links": _self_link(f"{self.url(txn)}/item/{line.line}"), "line": line.line,
            "item": _ref(line.item_id, self.account.item(line.item_id).ref_name),
            "description": line.description, "quantity": line.quantity, "rate": line.rate,
            "amount": line.amount, "taxAmount": line.tax_amount,
            "custcol_storefront_line_id": line.storefront_line_id,
            "orderLine": line.source_line if txn.type in REFUND_TYPES else None,
        })


# --- the simulator ------------------------------------------------------------------------------

class NetSuiteSimulator(Simulator):
    """A fake NetSuite account speaking SuiteTalk REST (records, transforms, SuiteQL) with TBA."""

    platform = "netsuite"
    error_type = NetSuiteError
    fault_errors = {"concurrency_limit": concurrency_limit_error, "closed_period": closed_period_error}
    # generic operation names fault steps use -> this simulator's scope
    fault_targets = {
        "create refund": FaultTarget(method="POST", path=r"/(cashRefund|creditMemo)$"),
        "create sales order": FaultTarget(method="POST", path=r"/salesOrder$"),
        "run query": FaultTarget(operation=("suiteql",)),
        "read refund": FaultTarget(method="GET", path=r"/record/v1/(cashRefund|creditMemo)/[^/!]+$"),
    }
    # how NetSuite tells a client to slow down: its concurrency limit's 429 (the fields of a status rule)
    throttle = {"status": 429, "error": "concurrency_limit"}

    def __init__(self, account_id: str = "1234567_SB1", clock: Clock | None = None, seed: int = 0,
                 settings: NetSuiteSettings | None = None) -> None:
        self.account_id = account_id
        self._initial_settings = settings or NetSuiteSettings()
        self._gate = ConcurrencyGate(lambda: self.settings.concurrency_limit)
        super().__init__(hosts=[host_for(account_id)], clock=clock, seed=seed)

    @property
    def host(self) -> str:
        return self.hosts[0]

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    # --- control plane -------------------------------------------------------------------------
    def _reset_state(self, seed: int) -> None:
        """New account: seeded currencies and payment methods, one integration with one token, no
        records, settings as given to the constructor."""
        if getattr(self, "_mirror", None) is not None:
            self._mirror.close()
        self.settings = copy.deepcopy(self._initial_settings)
        self._mirror = SuiteQLMirror()
        self._account = NetSuiteAccount(clock=self.record_clock, seed=seed, settings=self.settings,
                                        on_change=self._mirror.write, on_delete=self._mirror.forget)
        self._auth = TokenBasedAuth(self.account_id, self.clock, IdSource(seed * 10 + 9))
        self._consumer_key = self._auth.create_integration()
        self.credentials: TbaCredentials = self._auth.issue_token(self._consumer_key)

    def client_credentials(self) -> dict[str, str]:
        c = self.credentials
        return {"account_id": self.account_id, "consumer_key": c.consumer_key, "consumer_secret": c.consumer_secret,
                "token_id": c.token_id, "token_secret": c.token_secret}

    def issue_token(self) -> TbaCredentials:
        """A further access token for the same integration (e.g. a second connector user)."""
        with self._lock:
            return self._auth.issue_token(self._consumer_key)

    def login_failures(self) -> list[LoginFailure]:
        """Why requests got 401 INVALID_LOGIN (NetSuite's Login Audit Trail); newest last."""
        with self._lock:
            return list(self._auth.failures)

    @property
    def in_flight(self) -> int:
        """Requests currently counted against the account's concurrency limit."""
        return self._gate.in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most requests counted against the account's concurrency limit at once so far."""
        return self._gate.peak_in_flight

    @property
    def slot_seconds(self) -> float:
        """Wall seconds this account's requests have held a concurrency slot, summed (for benchmarks)."""
        return self._gate.slot_seconds

    def wait_for_in_flight(self, count: int, timeout: float = 10.0) -> bool:
        """Block until at least ``count`` requests are in flight (for tests that drive threads)."""
        return self._gate.wait_for(count, timeout)

    def concurrent_requests_elsewhere(self, count: int) -> ContextManager[None]:
        """Hold ``count`` concurrency slots, as other integrations sharing the account would."""
        return self._gate.held(count)

    @contextmanager
    def stall(self) -> Iterator[None]:
        """Hold every request from other threads after it is counted in flight, as a slow account
        would, until the block exits. Control-plane calls from this thread still work."""
        with self._lock:
            yield

    def add_inventory_item(self, sku: str, name: str, price: Any) -> str:
        body = {"itemId": sku, "displayName": name, "basePrice": Decimal(str(price))}
        with self._lock:
            return self._account.create("inventoryItem", body).id  # type: ignore[return-value]

    def add_other_charge_item(self, name: str) -> str:
        body = {"itemId": name, "displayName": name}
        with self._lock:
            return self._account.create("otherChargeSaleItem", body).id  # type: ignore[return-value]

    def add_payment_method(self, name: str) -> str:
        with self._lock:
            return self._account.add_payment_method(name)

    @merchant_action
    def enter(self, record_type: str, body: dict[str, Any]) -> str:
        """A record typed in by a NetSuite user (same rules as a REST create); returns its id."""
        with self._lock:
            return self._account.create(record_type, body).id  # type: ignore[return-value]

    @merchant_action
    def delete(self, record_type: str, record_id: str) -> None:
        """A NetSuite user deletes a record (the REST API's DELETE is not modelled). Raises
        ``NetSuiteError`` when NetSuite would refuse: other records were made from it."""
        with self._lock:
            self._account.delete(record_type, record_id)

    @merchant_action
    def bill(self, sales_order_id: str) -> tuple[str, str]:
        """The Bill button: a cash sale when the order has a payment method, else an invoice."""
        with self._lock:
            order = self._account.get("salesOrder", sales_order_id)
            target = "cashSale" if order.payment_method_id else "invoice"  # type: ignore[union-attr]
            billed = self._account.transform("salesOrder", sales_order_id, target, {})
            return billed.type, billed.id  # type: ignore[return-value]

    @merchant_action
    def refund(self, billed_type: str, billed_id: str, lines: dict[int, Any] | None = None,
               extra_lines: Any = (), external_id: str | None = None,
               line_fields: dict[str, Any] | None = None) -> tuple[str, str]:
        """The Refund button on a cash sale or invoice.

        ``lines`` maps billed line number -> quantity to refund (only those lines); None refunds
        everything that remains. ``extra_lines`` are generic lines: mappings with ``item`` (an
        otherChargeSaleItem id), ``amount`` and optionally ``description``/``quantity``.
        ``line_fields`` are written on each of ``lines`` as the user's form leaves them (e.g. a custom
        column the refund form does not show, as None).
        """
        if billed_type not in REFUND_OF:
            raise ValueError(f"only a cashSale or invoice can be refunded, not {billed_type!r}")
        items = [{"orderLine": number, "quantity": quantity, **(line_fields or {})}
                 for number, quantity in (lines or {}).items()]
        items += [{**extra, "item": {"id": str(extra["item"])}} for extra in extra_lines]
        body: dict[str, Any] = {"item": {"items": items}} if items else {}
        if external_id is not None:
            body["externalId"] = external_id
        with self._lock:
            refund = self._account.transform(billed_type, billed_id, REFUND_OF[billed_type], body,
                                             replace=frozenset({"item"}) if lines is not None else frozenset())
            return refund.type, refund.id  # type: ignore[return-value]

    def record(self, record_type: str, record_id: str) -> dict[str, Any]:
        """A record as GET ?expandSubResources=true shows it (id or eid:<externalId>)."""
        with self._lock:
            return Documents(self._account, self.base_url).record(self._account.get(record_type, record_id), True)

    def refunds_from(self, billed_type: str, billed_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(record type, record) of every cash refund or credit memo made from one billed record, oldest
        first: read through the account's index of records made from a record, not by listing them all."""
        with self._lock:
            documents = Documents(self._account, self.base_url)
            try:
                billed = self._account.get(billed_type, billed_id)
            except NetSuiteError:   # deleted: NetSuite keeps a record refunds were made from, so there were none
                return []
            return [(child.type, documents.record(child, True)) for child in self._account.children(billed)
                    if child.type in REFUND_TYPES]  # type: ignore[arg-type]

    def records(self, record_type: str) -> list[dict[str, Any]]:
        with self._lock:
            documents = Documents(self._account, self.base_url)
            return [documents.record(record, True) for record in self._account.list(record_type)]

    # --- platform-wide checks around every call ------------------------------------------------
    def concurrency_slot(self, request: httpx.Request) -> ContextManager[None]:
        # Counted before any simulated latency and before waiting for the state lock: a slow request, or
        # one queued behind others, is in flight for NetSuite's limit.
        return self._gate.slot()

    def authenticate(self, call: Call) -> None:
        self._auth.verify(call.request)

    def render_error(self, err: NetSuiteError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, err.document())

    def tenant_of(self, request: httpx.Request) -> str | None:
        return self.account_id

    def bad_request(self, message: str) -> NetSuiteError:
        return user_error(message[:1].upper() + message[1:] + ".")

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and "o:errorDetails" in body):
            code = {401: "INVALID_LOGIN", 404: "NONEXISTENT_ID", 405: "METHOD_NOT_ALLOWED",
                    429: "CONCURRENCY_LIMIT_EXCEEDED"}.get(status, "UNEXPECTED_ERROR" if status >= 500 else "USER_ERROR")
            body = error_document(status, code, str(body))
        return json_response(status, body, headers, content_type=ERROR)

    # --- records -------------------------------------------------------------------------------
    @route("GET", _RECORD)
    def list_records(self, request: httpx.Request, record_type: str) -> httpx.Response:
        if "q" in request.url.params:
            raise user_error("Record collection filtering (q=) is not supported here; use SuiteQL or "
                             "eid:<externalId>.", query_param="q")
        limit, offset = _paging(request, default_limit=MAX_PAGE, cap=self.page_limit)
        records = self._account.list(record_type)
        documents = Documents(self._account, _base_url(request))
        items = [{"links": _self_link(documents.url(r)), "id": r.id} for r in records[offset:offset + limit]]
        return _page(request, items, len(records), limit, offset)

    @route("POST", _RECORD)
    def create_record(self, request: httpx.Request, record_type: str) -> httpx.Response:
        record = self._account.create(record_type, _body(request), strict=_strict(request),
                                      replace=_replace(request))
        return _created(request, record)

    @route("GET", _ONE)
    def get_record(self, request: httpx.Request, record_type: str, ref: str) -> httpx.Response:
        expand = request.url.params.get("expandSubResources", "").lower() == "true"
        record = self._account.get(record_type, ref)
        return json_response(200, Documents(self._account, _base_url(request)).record(record, expand),
                             content_type=SINGULAR)

    @route("PATCH", _ONE)
    def update_record(self, request: httpx.Request, record_type: str, ref: str) -> httpx.Response:
        self._account.update(record_type, ref, _body(request), strict=_strict(request), replace=_replace(request))
        return httpx.Response(204)

    @route("PUT", _ONE)
    def upsert_record(self, request: httpx.Request, record_type: str, ref: str) -> httpx.Response:
        record, created = self._account.upsert(record_type, ref, _body(request), strict=_strict(request),
                                               replace=_replace(request))
        return _created(request, record) if created else httpx.Response(204)

    @route("POST", _ONE + r"/!transform/(?P<target_type>[^/]+)")
    def transform_record(self, request: httpx.Request, record_type: str, ref: str,
                         target_type: str) -> httpx.Response:
        body = _body(request) if request.content else {}
        record = self._account.transform(record_type, ref, target_type, body, strict=_strict(request),
                                         replace=_replace(request))
        return _created(request, record)

    @route("GET", _ONE + r"/item")
    def get_item_sublist(self, request: httpx.Request, record_type: str, ref: str) -> httpx.Response:
        txn = self._transaction(record_type, ref)
        documents = Documents(self._account, _base_url(request))
        return json_response(200, {"links": _self_link(f"{documents.url(txn)}/item"),
                                   "items": [documents.line(txn, line) for line in txn.lines]},
                             content_type=COLLECTION)

    @route("GET", _ONE + r"/item/(?P<line>[0-9]{1,9})")
    def get_item_line(self, request: httpx.Request, record_type: str, ref: str, line: str) -> httpx.Response:
        txn = self._transaction(record_type, ref)
        found = next((candidate for candidate in txn.lines if candidate.line == int(line)), None)
        if found is None:
            raise NetSuiteError(404, "NONEXISTENT_ID", f"{txn.ref_name} has no line {line}.")
        return json_response(200, Documents(self._account, _base_url(request)).line(txn, found),
                             content_type=SINGULAR)

    def _transaction(self, record_type: str, ref: str) -> Transaction:
        record = self._account.get(record_type, ref)
        if not isinstance(record, Transaction):
            raise NetSuiteError(404, "NONEXISTENT_ID", f"A {record_type} has no item sublist.")
        return record

    # --- SuiteQL -------------------------------------------------------------------------------
    @route("POST", r"/services/rest/query/v1/suiteql")
    def suiteql(self, request: httpx.Request) -> httpx.Response:
        if "transient" not in request.headers.get("prefer", "").lower():
            raise user_error("SuiteQL requests need the header Prefer: transient.", header="Prefer")
        limit, offset = _paging(request, default_limit=MAX_PAGE, cap=self.page_limit)
        body = _body(request)
        query = body.get("q") if isinstance(body, dict) else None
        if not isinstance(query, str) or not query.strip():
            raise user_error('The body must be {"q": "<SELECT statement>"}.', "q")
        if any("\ud800" <= char <= "\udfff" for char in query):   # JSON may escape half a surrogate pair
            raise user_error("The query is not valid text: it holds half of a UTF-16 surrogate pair.", "q")
        rows, total = self._mirror.query(query, limit, offset)
        return _page(request, [{"links": [], **row} for row in rows], total, limit, offset)


# --- request parsing and response helpers --------------------------------------------------------

def _base_url(request: httpx.Request) -> str:
    """Links point back where the client called (the real host in-process, loopback when served)."""
    return f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"


def _body(request: httpx.Request) -> Any:
    return read_json(request, lambda message: invalid_content(message[:1].upper() + message[1:] + "."))


def _strict(request: httpx.Request) -> bool:
    return request.headers.get("x-netsuite-propertynamevalidation", "").lower() == "error"


def _replace(request: httpx.Request) -> frozenset[str]:
    raw = request.url.params.get("replace", "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def _paging(request: httpx.Request, default_limit: int, cap: Callable[[int], int]) -> tuple[int, int]:
    """(limit, offset) of a collection or SuiteQL page; the limit asked for is cut to the page size the
    server imposes (``cap``), and the offset must be a whole number of such pages."""
    values = {}
    for name, default, low, high in (("limit", default_limit, 1, MAX_PAGE), ("offset", 0, 0, None)):
        raw = request.url.params.get(name)
        if raw is None:
            values[name] = default
            continue
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < low or (high is not None and int(raw) > high):
            bounds = f"{low}..{high}" if high is not None else f"{low} or more"
            raise user_error(f"Invalid {name} {raw!r}: a whole number {bounds} is required.", query_param=name)
        values[name] = int(raw)
    limit, offset = cap(values["limit"]), values["offset"]
    if offset % limit:
        # NetSuite pages in whole pages: the offset must be divisible by the limit.
        raise user_error(f"Invalid offset {offset}: the offset must be a multiple of the limit ({limit}).",
                         query_param="offset")
    return limit, offset


def page_link(url: httpx.URL, limit: int) -> Callable[[int], str]:
    """``url`` with ``limit`` and a page's offset set, as ``url.copy_set_param`` twice would write it, from
    one parse of the URL: a SuiteQL answer links up to five pages, and copying the URL twice for each was
    most of what the simulator spent on a small query (tests/unit/netsuite compare the two)."""
    prefix = str(url.copy_with(query=None, fragment=None))
    params = url.params.set("limit", str(limit))
    fragment = f"#{url.fragment}" if url.fragment else ""
    return lambda page_offset: f"{prefix}?{params.set('offset', str(page_offset))}{fragment}"


def _page(request: httpx.Request, items: list[dict[str, Any]], total: int, limit: int,
          offset: int) -> httpx.Response:
    at = page_link(request.url, limit)
    links = []
    if offset + len(items) < total:
        links.append({"rel": "next", "href": at(offset + limit)})
    if offset > 0:
        links.append({"rel": "previous", "href": at(max(0, offset - limit))})
    links.append({"rel": "first", "href": at(0)})
    links.append({"rel": "last", "href": at(max(0, (total - 1) // limit * limit))})
    links.append({"rel": "self", "href": at(offset)})
    return json_response(200, {"links": links, "count": len(items), "hasMore": offset + len(items) < total,
                               "offset": offset, "totalResults": total, "items": items}, content_type=COLLECTION)


def _created(request: httpx.Request, record: Record) -> httpx.Response:
    location = f"{_base_url(request)}/services/rest/record/v1/{record.type}/{record.id}"
    return httpx.Response(204, headers={"Location": location})


