"""NetSuite SuiteTalk REST: token-based auth, records, transforms and SuiteQL.

One ``httpx.Client`` is injected and reused; every request is signed by ``TbaAuth`` (OAuth 1.0a,
HMAC-SHA256, realm = account id) with the clock's timestamp and a seeded nonce. The client speaks
only NetSuite: what a sales order or a refund *means* lives in the sync modules.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ContextManager, Generator, Iterable, Iterator, Mapping, Protocol, Sequence

import httpx
from oauthlib.oauth1.rfc5849 import signature as oauth_signature

from common import jsonio
from common.clock import Clock
from common.oauth1 import base_string_uri, percent_encode
from connector.answers import json_body, unreadable
from connector.errors import ConnectorError, NotFound, RateLimited, RemoteError
from connector.identifiers import is_internal_id, shown

SYSTEM = "NetSuite"
# SuiteQL transaction.type codes and the REST record types they are.
RECORD_TYPE_OF = {"SalesOrd": "salesOrder", "CashSale": "cashSale", "CustInvc": "invoice",
                  "CashRfnd": "cashRefund", "CustCred": "creditMemo"}
TYPE_CODE_OF = {record: code for code, record in RECORD_TYPE_OF.items()}
REFUND_TYPE_FOR_BILLED = {"cashSale": "cashRefund", "invoice": "creditMemo"}
BILLED_TYPE_FOR_REFUND = {refund: billed for billed, refund in REFUND_TYPE_FOR_BILLED.items()}

_EXTERNAL_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def external_id(*parts: object) -> str:
    """NetSuite external ids allow only letters, digits, ``_`` and ``-``; anything else becomes ``_``."""
    return "-".join(_EXTERNAL_ID_UNSAFE.sub("_", str(part)) for part in parts)


def host_for(account_id: str) -> str:
    """Account ``1234567_SB1`` lives at ``1234567-sb1.suitetalk.api.netsuite.com``."""
    return f"{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def sql_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def sql_ids(values: Iterable[str]) -> str:
    """Internal ids are integers; refuse anything else rather than splice it into a query."""
    ids = []
    for value in values:
        if not is_internal_id(str(value)):
            raise ConnectorError(f"{shown(str(value))} is not a NetSuite internal id.")
        ids.append(str(int(value)))
    return ", ".join(ids)


@dataclass(frozen=True)
class TbaCredentials:
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


# NetSuite's account-wide limit on requests in flight at once (REST, SOAP and RESTlets together) on the
# shared/standard service tier; higher tiers and SuiteCloud Plus licences raise it.
DEFAULT_CONCURRENCY_LIMIT = 5
MAX_CONCURRENCY_LIMIT = 100


@dataclass(frozen=True)
class NetSuiteConfig:
    account_id: str          # e.g. "1234567_SB1": the OAuth realm keeps this spelling
    credentials: TbaCredentials
    # How many requests every connector worker on the ledger (Connectors, their threads, processes) keeps in
    # flight at NetSuite together (slots leased in the ledger: connector/slots.py), and how many refunds
    # each worker posts at once (each a chain of requests, one at a time): the account's concurrency limit,
    # less what other integrations use. Over the limit NetSuite answers 429 and the refund waits for the
    # next run.
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT

    def __post_init__(self) -> None:
        limit = self.concurrency_limit
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_CONCURRENCY_LIMIT:
            raise ValueError(f"the NetSuite concurrency limit must be a whole number from 1 to "
                             f"{MAX_CONCURRENCY_LIMIT}, not {self.concurrency_limit!r}")

    @property
    def base_url(self) -> str:
        return f"https://{host_for(self.account_id)}/services/rest"


class NonceSource:
    """Seeded, so a run replays; mixed with the ledger's incarnation so a restart never reuses one."""

    def __init__(self, seed: int, incarnation: int) -> None:
        digest = hashlib.sha256(f"tba-nonce/{seed}/{incarnation}".encode()).digest()
        self._rng = random.Random(int.from_bytes(digest[:8], "big"))
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            return f"{self._rng.getrandbits(128):032x}"


class TbaAuth(httpx.Auth):
    """NetSuite token-based authentication: sign each request over its full URL (query included).

    OAuth 1.0a HMAC-SHA256 as RFC 5849 section 3.4 builds it: oauthlib collects the query's parameters; the
    percent-encoding and the base string URI are common/oauth1.py's (oauthlib's output, cheaper); the
    parameter string, the base string and the header are made here, which halves the cost of signing (oauthlib's Client encoded each parameter four times and
    parsed its own header back). tests/unit/test_connector_netsuite_client.py holds the header byte for
    byte to ``oauthlib.oauth1.Client.sign``'s, and NetSuite (the simulator) checks every signature with
    oauthlib."""

    def __init__(self, config: NetSuiteConfig, clock: Clock, nonces: NonceSource) -> None:
        self.config = config
        self.clock = clock
        self.nonces = nonces

    def authorization(self, method: str, url: str) -> str:
        """The Authorization header for ``method`` on ``url`` (no body: a JSON body is not part of a TBA
        signature), with the next nonce and the clock's timestamp."""
        creds = self.config.credentials
        oauth_params = [("oauth_nonce", self.nonces()), ("oauth_timestamp", str(int(self.clock.now().timestamp()))),
                        ("oauth_version", "1.0"), ("oauth_signature_method", "HMAC-SHA256"),
                        ("oauth_consumer_key", creds.consumer_key), ("oauth_token", creds.token_id)]
        collected = oauth_signature.collect_parameters(uri_query=urllib.parse.urlparse(url).query) + oauth_params
        parameters = "&".join(f"{name}={value}" for name, value in
                              sorted((percent_encode(name), percent_encode(value)) for name, value in collected))
        base_string = "&".join(percent_encode(part) for part in
                               (method.upper(), base_string_uri(url), parameters))
        key = f"{percent_encode(creds.consumer_secret)}&{percent_encode(creds.token_secret)}"
        signed = base64.b64encode(hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()).decode()
        return "OAuth " + ", ".join([f'realm="{self.config.account_id}"'] + [
            f'{percent_encode(name)}="{percent_encode(value)}"'
            for name, value in oauth_params + [("oauth_signature", signed)]])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization(request.method, str(request.url))
        yield request


@dataclass(frozen=True)
class BilledRecord:
    record_type: str   # "cashSale" | "invoice"
    id: str
    tranid: str | None
    sales_order_id: str


@dataclass(frozen=True)
class RefundCandidate:
    record_type: str   # "cashRefund" | "creditMemo"
    id: str
    tranid: str | None
    created_from: str | None
    external_id: str | None


class ConcurrencySlots(Protocol):
    def held(self) -> ContextManager[object]: ...


class ThreadSlots:
    """The limit's slots among the threads of one client (a client on its own, with no ledger to share
    them with other workers through; the Connector leases them in its ledger: connector/slots.py)."""

    def __init__(self, limit: int) -> None:
        self._semaphore = threading.BoundedSemaphore(limit)

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._semaphore:
            yield


class NetSuiteClient:
    def __init__(self, config: NetSuiteConfig, http: httpx.Client, auth: TbaAuth,
                 slots: ConcurrencySlots | None = None) -> None:
        self.config = config
        self.http = http
        self.auth = auth
        self._currency_ids: dict[str, str] = {}
        self._lock = threading.Lock()
        # Every request holds one of the account's concurrency slots (overlapping runs, a webhook while a
        # run posts, other workers): one over the limit would be refused with 429 rather than queued.
        self._slots = slots or ThreadSlots(config.concurrency_limit)

    # --- transport --------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, what: str, params: Mapping[str, Any] | None = None,
                 body: Any = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
        all_headers = {"Accept": "application/json"}
        content = None
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            # a misspelt field is an error, not silently dropped (NetSuite ignores unknown names otherwise)
            all_headers["X-NetSuite-PropertyNameValidation"] = "error"
            content = jsonio.dumps(body).encode()
        all_headers.update(headers or {})
        try:
            with self._slots.held():
                response = self.http.request(method, f"{self.config.base_url}{path}", params=params,
                                             content=content, headers=all_headers, auth=self.auth)
        except httpx.TransportError as exc:
            raise RemoteError(SYSTEM, f"Could not reach NetSuite while trying to {what} "
                                      f"({type(exc).__name__}: {exc}); it will be retried on the next run.",
                              retryable=True) from exc
        if response.status_code >= 400:
            raise self._error(response, what)
        return response

    @staticmethod
    def _error(response: httpx.Response, what: str) -> RemoteError:
        status = response.status_code
        code, detail, path = None, response.text[:300], None
        try:
            details = jsonio.loads(response.content).get("o:errorDetails") or []
            if details:
                code = details[0].get("o:errorCode")
                detail = " ".join(str(d.get("detail", "")).strip() for d in details).strip()
                path = details[0].get("o:errorPath")
        except (ValueError, AttributeError):
            pass
        where = f" at {path}" if path else ""
        said = f"{detail} ({code}{where})" if code else detail
        if status == 429:
            return RateLimited(SYSTEM, f"NetSuite's concurrency limit was reached while trying to {what} "
                                       f"({code or 'HTTP 429'}); it will be retried on the next run.",
                               code=code, detail=detail)
        if status == 404:
            return NotFound(SYSTEM, f"NetSuite has no such record ({what}): {said}", status=404,
                            code=code, detail=detail)
        if status == 401:
            return RemoteError(SYSTEM, f"NetSuite refused the login while trying to {what}: {said}. Check the "
                                       "TBA consumer and token of the connector.", status=status, code=code,
                               detail=detail, retryable=True)
        if status == 403:
            return RemoteError(SYSTEM, f"NetSuite refused permission to {what}: {said}. Give the "
                                       "integration role the missing permission.", status=status, code=code,
                               detail=detail)
        retryable = status >= 500
        return RemoteError(SYSTEM, f"NetSuite rejected the request to {what}: {said}", status=status, code=code,
                           detail=detail, retryable=retryable)

    @staticmethod
    def _location_id(response: httpx.Response, what: str) -> str:
        location = response.headers.get("Location", "")
        record_id = location.rstrip("/").rsplit("/", 1)[-1]
        if not record_id:
            raise RemoteError(SYSTEM, f"NetSuite accepted the request to {what} but sent no Location header, so "
                                      "the new record's id is unknown.", status=response.status_code)
        return record_id

    # --- records ----------------------------------------------------------------------------
    def get(self, record_type: str, key: str, *, expand: bool = False) -> dict | None:
        """A record by internal id or ``eid:<externalId>``; None when NetSuite has no such record."""
        params = {"expandSubResources": "true"} if expand else None
        try:
            response = self._request("GET", f"/record/v1/{record_type}/{key}", params=params,
                                     what=f"read {record_type} {key}")
        except NotFound:
            return None
        return json_body(response, system=SYSTEM, what=f"read {record_type} {key}", expect=dict)

    def get_by_external_id(self, record_type: str, external: str, *, expand: bool = False) -> dict | None:
        return self.get(record_type, f"eid:{external}", expand=expand)

    def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        response = self._request("POST", f"/record/v1/{record_type}", body=body, what=f"create a {record_type}")
        return self._location_id(response, f"create a {record_type}")

    def upsert(self, record_type: str, external: str, body: Mapping[str, Any]) -> str:
        """PUT .../eid:<x>: creates or updates; returns the internal id (read back when not created)."""
        key = f"eid:{external}"
        response = self._request("PUT", f"/record/v1/{record_type}/{key}", body=body,
                                 what=f"upsert {record_type} {external}")
        if response.headers.get("Location"):
            return self._location_id(response, f"upsert {record_type} {external}")
        record = self.get(record_type, key)
        if record is None:
            raise RemoteError(SYSTEM, f"NetSuite accepted the upsert of {record_type} {external} but cannot find it "
                                      "afterwards.")
        return str(record["id"])

    def transform(self, from_type: str, from_id: str, to_type: str, body: Mapping[str, Any], *,
                  replace: str | None = "item") -> str:
        params = {"replace": replace} if replace else None
        what = f"create a {to_type} from {from_type} {from_id}"
        response = self._request("POST", f"/record/v1/{from_type}/{from_id}/!transform/{to_type}", params=params,
                                 body=body, what=what)
        return self._location_id(response, what)

    # --- SuiteQL ----------------------------------------------------------------------------
    def suiteql(self, query: str, *, page_size: int = 1000) -> list[dict]:
        rows: list[dict] = []
        offset = 0
        while True:
            response = self._request("POST", "/query/v1/suiteql", params={"limit": page_size, "offset": offset},
                                     body={"q": query}, headers={"Prefer": "transient"}, what="run a SuiteQL query")
            page = json_body(response, system=SYSTEM, what="run a SuiteQL query", expect=dict)
            items = page.get("items") or []
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise unreadable(SYSTEM, "run a SuiteQL query", "its items are not a list of rows")
            rows.extend({k: v for k, v in item.items() if k != "links"} for item in items)
            if not page.get("hasMore") or not items:
                return rows
            offset += len(items)

    def currency_id(self, iso_code: str) -> str:
        with self._lock:
            cached = self._currency_ids.get(iso_code)
        if cached:
            return cached
        rows = self.suiteql(f"SELECT id, symbol FROM currency WHERE symbol = {sql_literal(iso_code)}")
        if not rows:
            raise RemoteError(SYSTEM, f"NetSuite has no currency {iso_code}: add it under Lists > Accounting > "
                                      "Currencies before syncing orders in it.")
        with self._lock:
            self._currency_ids[iso_code] = str(rows[0]["id"])
            return self._currency_ids[iso_code]

    def item_ids(self, skus: Sequence[str], item_map: Mapping[str, str] | None = None) -> dict[str, str]:
        """SKU -> NetSuite item id: the explicit map first, then items whose name (itemid) is the SKU."""
        item_map = item_map or {}
        found = {sku: str(item_map[sku]) for sku in skus if sku in item_map}
        wanted = sorted({sku for sku in skus if sku not in found})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self.suiteql("SELECT id, itemid FROM item WHERE itemid IN "
                                f"({', '.join(sql_literal(s) for s in chunk)})")
            for row in rows:
                found.setdefault(row["itemid"], str(row["id"]))
        return found

    def item_type(self, item_id: str) -> str | None:
        rows = self.suiteql(f"SELECT id, itemtype FROM item WHERE id = {sql_ids([item_id])}")
        return rows[0].get("itemtype") if rows else None

    def billed_records(self, sales_order_ids: Sequence[str]) -> dict[str, BilledRecord]:
        """The cash sale or invoice billed from each sales order (a sales order bills once)."""
        found: dict[str, BilledRecord] = {}
        ids = sorted({str(i) for i in sales_order_ids}, key=int)
        for start in range(0, len(ids), 500):
            rows = self.suiteql(
                "SELECT t.id, t.type, t.tranid, tl.createdfrom FROM transaction t"
                " INNER JOIN transactionline tl ON tl.transaction = t.id"
                " WHERE tl.mainline = 'T' AND t.type IN ('CashSale', 'CustInvc')"
                f" AND tl.createdfrom IN ({sql_ids(ids[start:start + 500])}) ORDER BY t.id")
            for row in rows:
                so_id = str(row["createdfrom"])
                found.setdefault(so_id, BilledRecord(RECORD_TYPE_OF[row["type"]], str(row["id"]),
                                                     row.get("tranid"), so_id))
        return found

    def refunds_created_after(self, watermark: int) -> list[RefundCandidate]:
        """Cash refunds and credit memos with an id above the watermark, with what they came from."""
        rows = self.suiteql(
            "SELECT t.id, t.type, t.tranid, t.externalid, tl.createdfrom FROM transaction t"
            " INNER JOIN transactionline tl ON tl.transaction = t.id"
            " WHERE tl.mainline = 'T' AND t.type IN ('CashRfnd', 'CustCred')"
            f" AND t.id > {int(watermark)} ORDER BY t.id")
        return self._candidates(rows)

    def refunds_created_from(self, billed_ids: Sequence[str]) -> list[RefundCandidate]:
        if not billed_ids:
            return []
        rows = self.suiteql(
            "SELECT t.id, t.type, t.tranid, t.externalid, tl.createdfrom FROM transaction t"
            " INNER JOIN transactionline tl ON tl.transaction = t.id"
            " WHERE tl.mainline = 'T' AND t.type IN ('CashRfnd', 'CustCred')"
            f" AND tl.createdfrom IN ({sql_ids(billed_ids)}) ORDER BY t.id")
        return self._candidates(rows)

    def transaction_by_key(self, key: str) -> RefundCandidate | None:
        """A transaction by internal id (digits) or by tranId such as ``CR-17``."""
        where = f"t.id = {sql_ids([key])}" if is_internal_id(str(key)) else f"t.tranid = {sql_literal(key)}"
        rows = self.suiteql(
            "SELECT t.id, t.type, t.tranid, t.externalid, tl.createdfrom FROM transaction t"
            " INNER JOIN transactionline tl ON tl.transaction = t.id"
            f" WHERE tl.mainline = 'T' AND {where}")
        candidates = self._candidates(rows, refunds_only=False)
        return candidates[0] if candidates else None

    @staticmethod
    def _candidates(rows: list[dict], refunds_only: bool = True) -> list[RefundCandidate]:
        seen: dict[str, RefundCandidate] = {}
        for row in rows:
            record_type = RECORD_TYPE_OF.get(row.get("type", ""), row.get("type", ""))
            if refunds_only and record_type not in BILLED_TYPE_FOR_REFUND:
                continue
            seen.setdefault(str(row["id"]), RefundCandidate(record_type, str(row["id"]), row.get("tranid"),
                                                            row.get("createdfrom"), row.get("externalid")))
        return sorted(seen.values(), key=lambda c: int(c.id))
