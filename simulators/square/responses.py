"""Square over httpx (moto's ``responses``): parse, call the backend, render, and the control plane.

Wire rules kept here: money is ``{"amount": <integer minor units>, "currency": "USD"}``, quantities
are strings, timestamps RFC 3339 with milliseconds, and every error is
``{"errors": [{"category", "code", "detail", "field"?}]}``.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx

from common import jsonio, money
from common.clock import Clock
from simulators.core import listing, safe
from simulators.core.cursors import CursorCodec
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, read_json, route
from simulators.core.orders import OrderSpec
from simulators.square.models import (
    CustomerRecord, Merchant, Order, Payment, Refund, RefundAsked, SquareBackend, SquareError,
    SquareSettings, invalid, one_year_before,
)

UNAUTHORIZED = (401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized.")
# Fields a line-item refund would need; RefundPayment has none of them, so they are refused loudly
# rather than silently ignored (a connector sending them believes it refunded by line).
LINE_ITEM_FIELDS = ("line_items", "refund_line_items", "return_line_items", "line_item_uid", "line_item_id",
                    "line_item_uids", "items", "quantity")
ORDER_STATES = ("OPEN", "COMPLETED", "CANCELED", "DRAFT")
ORDER_TIME_FIELDS = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at", "CLOSED_AT": "closed_at"}
IDEMPOTENCY_KEY_MAX = 45
MAX_MINOR_UNITS = 10 ** 14  # beyond any real payment; keeps Decimal arithmetic inside its context
REASON_MAX = 192
# ListPayments filters this fake does not model (refused by name rather than ignored)
UNMODELLED_PAYMENT_FILTERS = frozenset({"total", "last_4", "card_brand", "is_offline_payment", "offline_begin_time",
                                        "offline_end_time", "updated_at_begin_time", "updated_at_end_time"})


# --- rendering ---------------------------------------------------------------------------------

def money_json(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": money.to_minor(amount, currency), "currency": currency}


def rfc3339(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _percentage(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


def refund_json(r: Refund) -> dict[str, Any]:
    return {"id": r.id, "status": r.status, "amount_money": money_json(r.amount, r.currency),
            "payment_id": r.payment_id, "order_id": r.order_id, "location_id": r.location_id,
            "reason": r.reason, "destination_type": "CARD",
            "created_at": rfc3339(r.created_at), "updated_at": rfc3339(r.updated_at)}


def payment_json(p: Payment, backend: SquareBackend) -> dict[str, Any]:
    refunded = backend.held_by_refunds(p)
    return {
        "id": p.id, "status": p.status, "source_type": p.source_type,
        "amount_money": money_json(p.amount, p.currency), "total_money": money_json(p.amount, p.currency),
        "approved_money": money_json(p.amount, p.currency),
        # money committed back to the buyer: PENDING and COMPLETED refunds (not FAILED ones)
        "refunded_money": money_json(refunded, p.currency),
        "refund_ids": listing.visible(p.refund_ids, lambda rid: backend.refunds[rid].created_at),
        "order_id": p.order_id, "location_id": p.location_id,
        **_source_details(p),
        "created_at": rfc3339(p.created_at), "updated_at": rfc3339(p.updated_at),
    }


def _card_details(p: Payment) -> dict[str, Any]:
    return {"status": "CAPTURED" if p.status == "COMPLETED" else "AUTHORIZED",
            "card": {"card_brand": "VISA", "last_4": "1111"}, "entry_method": "KEYED"}


def _source_details(p: Payment) -> dict[str, Any]:
    """card_details for a card payment; cash_details for cash (paid exactly, no change); external_details
    for money taken outside Square."""
    if p.source_type == "CARD":
        return {"card_details": _card_details(p)}
    if p.source_type == "CASH":
        return {"cash_details": {"buyer_supplied_money": money_json(p.amount, p.currency),
                                 "change_back_money": money_json(money.ZERO, p.currency)}}
    return {"external_details": {"type": "OTHER", "source": "Invoice paid on terms"}}


def _tender(p: Payment, order_id: str, location_id: str, currency: str) -> dict[str, Any]:
    tender = {"id": p.id, "location_id": location_id, "transaction_id": order_id,
              "created_at": rfc3339(p.created_at), "payment_id": p.id, "amount_money": money_json(p.amount, currency)}
    if p.source_type == "CARD":
        return {**tender, "type": "CARD", "card_details": _card_details(p)}
    if p.source_type == "CASH":
        return {**tender, "type": "CASH", "cash_details": {"buyer_tendered_money": money_json(p.amount, currency),
                                                           "change_back_money": money_json(money.ZERO, currency)}}
    return {**tender, "type": "OTHER"}


def order_json(order: Order, backend: SquareBackend) -> dict[str, Any]:
    cur = order.currency
    payments = [backend.payments[payment_id] for payment_id in order.payment_ids]
    tax_uids: dict[Decimal, str] = {}
    for rate in [line.tax_rate for line in order.line_items] + [c.tax_rate for c in order.service_charges]:
        if rate:
            tax_uids.setdefault(rate, f"tax-{_percentage(rate)}")
    applied_by_rate: dict[Decimal, Decimal] = {}

    def applied_taxes(rate: Decimal, amount: Decimal) -> list[dict[str, Any]]:
        if not rate:
            return []
        applied_by_rate[rate] = applied_by_rate.get(rate, money.ZERO) + amount
        return [{"uid": f"{tax_uids[rate]}-applied", "tax_uid": tax_uids[rate], "applied_money": money_json(amount, cur)}]

    lines, discounts = [], []
    for line in order.line_items:
        applied_discounts = []
        if line.discount:
            discount_uid = f"discount-{line.uid}"
            discounts.append({"uid": discount_uid, "name": "Discount", "type": "FIXED_AMOUNT", "scope": "LINE_ITEM",
                              "amount_money": money_json(line.discount, cur),
                              "applied_money": money_json(line.discount, cur)})
            applied_discounts = [{"uid": f"{discount_uid}-applied", "discount_uid": discount_uid,
                                  "applied_money": money_json(line.discount, cur)}]
        lines.append({
            "uid": line.uid, "name": line.name, "quantity": str(line.quantity), "item_type": "ITEM",
            "catalog_object_id": line.catalog_object_id, "variation_name": line.sku,
            "base_price_money": money_json(line.base_price, cur),
            "variation_total_price_money": money_json(line.gross, cur),
            "gross_sales_money": money_json(line.gross, cur),
            "total_discount_money": money_json(line.discount, cur),
            "total_tax_money": money_json(line.tax, cur), "total_money": money_json(line.total, cur),
            "applied_taxes": applied_taxes(line.tax_rate, line.tax), "applied_discounts": applied_discounts,
        })
    charges = [{
        "uid": c.uid, "name": c.name, "calculation_phase": "SUBTOTAL_PHASE", "taxable": bool(c.tax_rate),
        "amount_money": money_json(c.amount, cur), "applied_money": money_json(c.amount, cur),
        "total_tax_money": money_json(c.tax, cur), "total_money": money_json(c.total, cur),
        "applied_taxes": applied_taxes(c.tax_rate, c.tax),
    } for c in order.service_charges]
    taxes = [{"uid": uid, "name": "Sales Tax", "percentage": _percentage(rate), "type": "ADDITIVE",
              "scope": "LINE_ITEM", "applied_money": money_json(applied_by_rate.get(rate, money.ZERO), cur)}
             for rate, uid in tax_uids.items()]
    return {
        "id": order.id, "location_id": order.location_id, "customer_id": order.customer_id,
        "state": order.state, "version": order.version,
        "created_at": rfc3339(order.created_at), "updated_at": rfc3339(order.updated_at),
        **({"closed_at": rfc3339(order.closed_at)} if order.closed_at else {}),
        "line_items": lines, "taxes": taxes, "discounts": discounts, "service_charges": charges,
        "tenders": [_tender(payment, order.id, order.location_id, cur) for payment in payments],
        # Orders keep the older refund statuses: a completed refund reads APPROVED here.
        "refunds": [{"id": r.id, "location_id": r.location_id, "transaction_id": order.id, "tender_id": r.payment_id,
                     "created_at": rfc3339(r.created_at), "reason": r.reason,
                     "amount_money": money_json(r.amount, r.currency),
                     "status": "APPROVED" if r.status == "COMPLETED" else r.status}
                    for r in backend.order_refunds(order)],
        "total_money": money_json(order.total, cur), "total_tax_money": money_json(order.total_tax, cur),
        "total_discount_money": money_json(order.total_discount, cur),
        "total_tip_money": money_json(money.ZERO, cur),
        "total_service_charge_money": money_json(order.total_service_charge, cur),
    }


def customer_json(c: CustomerRecord) -> dict[str, Any]:
    return {"id": c.id, "given_name": c.given_name, "family_name": c.family_name, "email_address": c.email_address}


def as_wire(payload: Any) -> Any:
    """What a client parses off the wire: control-plane answers look the same."""
    return jsonio.loads(jsonio.dumps(payload))


# --- parsing -----------------------------------------------------------------------------------

def _json_object(request: httpx.Request) -> dict[str, Any]:
    body = read_json(request, lambda msg: invalid("BAD_REQUEST", msg),
                     not_json=lambda content_type: invalid("INVALID_CONTENT_TYPE", "Invalid content type header: "
                                                           f"{content_type or 'none'}; expected application/json."))
    if not isinstance(body, dict):
        raise invalid("EXPECTED_JSON_BODY", "The request body must be a JSON object.")
    return body


def _string(body: dict[str, Any], key: str, *, required: bool, max_length: int | None = None,
            field_name: str | None = None) -> str | None:
    name = field_name or key
    value = body.get(key)
    if value is None:
        if required:
            raise invalid("MISSING_REQUIRED_PARAMETER", f"Field must be set: {name}", name)
        return None
    if not isinstance(value, str):
        raise invalid("EXPECTED_STRING", f"Expected a string value for {name}.", name)
    if required and not value:
        raise invalid("VALUE_TOO_SHORT", f"Field must not be empty: {name}", name)
    if max_length is not None and len(value) > max_length:
        raise invalid("VALUE_TOO_LONG", f"Field {name} must be at most {max_length} characters long; "
                      f"it is {len(value)}.", name)
    return value


def parse_money(raw: Any, field_name: str) -> tuple[Decimal, str]:
    """``{"amount": int minor units, "currency": ISO}`` -> exact Decimal amount and currency."""
    if raw is None:
        raise invalid("MISSING_REQUIRED_PARAMETER", f"Field must be set: {field_name}", field_name)
    if not isinstance(raw, dict):
        raise invalid("EXPECTED_OBJECT", f"Expected an object for {field_name}.", field_name)
    units, currency = raw.get("amount"), raw.get("currency")
    if units is None:
        raise invalid("MISSING_REQUIRED_PARAMETER", f"Field must be set: {field_name}.amount", f"{field_name}.amount")
    if isinstance(units, bool) or not isinstance(units, int):
        raise invalid("EXPECTED_INTEGER", f"{field_name}.amount is an integer number of the currency's smallest "
                      f"unit (cents for USD), not {units!r}.", f"{field_name}.amount")
    if units > MAX_MINOR_UNITS:
        raise invalid("VALUE_TOO_HIGH", f"{field_name}.amount must be at most {MAX_MINOR_UNITS}.", f"{field_name}.amount")
    if units < 1:
        raise invalid("VALUE_TOO_LOW", f"{field_name}.amount must be at least 1, not {units}.", f"{field_name}.amount")
    if currency is None:
        raise invalid("MISSING_REQUIRED_PARAMETER", f"Field must be set: {field_name}.currency",
                      f"{field_name}.currency")
    if not isinstance(currency, str) or currency not in money.MINOR_UNITS:
        raise invalid("INVALID_ENUM_VALUE", f"{currency!r} is not a currency code this seller can use.",
                      f"{field_name}.currency")
    return money.from_minor(units, currency), currency


def parse_refund_payment(body: dict[str, Any]) -> tuple[str, RefundAsked]:
    for key in LINE_ITEM_FIELDS:
        if key in body:
            raise invalid("BAD_REQUEST", f"RefundPayment has no line items (got `{key}`): Square refunds an "
                          "amount_money against a payment, it cannot refund by line.", key)
    key = _string(body, "idempotency_key", required=True, max_length=IDEMPOTENCY_KEY_MAX)
    payment_id = _string(body, "payment_id", required=True)
    amount, currency = parse_money(body.get("amount_money"), "amount_money")
    reason = _string(body, "reason", required=False, max_length=REASON_MAX) or ""
    assert key is not None and payment_id is not None
    return key, RefundAsked(payment_id, amount, currency, reason)


def _object(raw: Any, field_name: str) -> dict[str, Any]:
    """An optional nested object of a request body (absent -> empty)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid("EXPECTED_OBJECT", f"Expected an object for {field_name}.", field_name)
    return raw


def _time(raw: Any, field_name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        return safe.parse_time(raw, field_name)
    except safe.BadInput:
        raise invalid("INVALID_TIME", f"{field_name} must be an RFC 3339 time such as "
                      f"2026-01-05T09:00:00Z (years {safe.MIN_YEAR}-{safe.MAX_YEAR}), not {str(raw)[:40]!r}.", field_name) from None


def _limit(raw: Any, maximum: int, default: int, field_name: str = "limit", *, cap: bool = False) -> int:
    """A page size. With ``cap`` a value above ``maximum`` pages at ``maximum`` (endpoints whose
    reference says "if the supplied value is greater than N, no more than N results are returned")."""
    if raw is None:
        return default
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise invalid("EXPECTED_INTEGER", f"{field_name} must be an integer.", field_name)
    if cap and raw > maximum:
        return maximum
    if not 1 <= raw <= maximum:
        raise invalid("VALUE_TOO_HIGH" if raw > maximum else "VALUE_TOO_LOW",
                      f"{field_name} must be from 1 to {maximum}, not {raw}.", field_name)
    return raw


class Cursors:
    """Opaque cursors bound to the query they page through (offset + a hash of the query)."""

    codec = CursorCodec(lambda cursor: invalid("INVALID_CURSOR", "The pagination cursor is not valid for this query.",
                                               "cursor"))

    @staticmethod
    def make(query: Any, offset: int) -> str:
        return Cursors.codec.encode({"o": offset, "q": Cursors._fingerprint(query)})

    @staticmethod
    def offset(cursor: str | None, query: Any) -> int:
        if cursor is None:
            return 0
        return Cursors.codec.decode(cursor, lambda state: isinstance(state, dict) and isinstance(state.get("o"), int)
                                    and state.get("q") == Cursors._fingerprint(query))["o"]

    @staticmethod
    def _fingerprint(query: Any) -> str:
        return hashlib.sha256(jsonio.dumps(query).encode()).hexdigest()[:16]


def _page(items: list[Any], offset: int, limit: int, query: Any) -> tuple[list[Any], dict[str, str]]:
    page = items[offset:offset + limit]
    more = offset + limit < len(items)
    return page, ({"cursor": Cursors.make(query, offset + limit)} if more else {})


# Square's category and code for statuses a plain message may be answered with
_ERROR_KINDS = {401: ("AUTHENTICATION_ERROR", "UNAUTHORIZED"), 404: ("INVALID_REQUEST_ERROR", "NOT_FOUND"),
                405: ("INVALID_REQUEST_ERROR", "METHOD_NOT_ALLOWED"), 429: ("RATE_LIMIT_ERROR", "RATE_LIMITED"),
                503: ("API_ERROR", "SERVICE_UNAVAILABLE"), 504: ("API_ERROR", "GATEWAY_TIMEOUT")}


class SquareSimulator(Simulator):
    """Square's Connect v2 API (orders, payments, refunds) on ``connect.squareup.com``."""

    platform = "square"
    error_type = SquareError
    tenant_keyword = "merchant"

    def __init__(self, clock: Clock | None = None, seed: int = 0) -> None:
        self.settings = SquareSettings()
        super().__init__(hosts=["connect.squareup.com"], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self.backend = SquareBackend(self.record_clock, seed, self.settings)
        self.merchant = self.backend.add_merchant("Acme Outfitters")

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"access_token": self.access_token, "location_id": self.location_id}

    @property
    def access_token(self) -> str:
        return self.merchant.access_token

    @property
    def location_id(self) -> str:
        return self.merchant.location_id

    @property
    def merchant_id(self) -> str:
        return self.merchant.id

    def add_merchant(self, name: str) -> Merchant:
        """Another seller on the same host, with its own token and location (tenant isolation)."""
        with self._lock:
            return self.backend.add_merchant(name)

    def add_order(self, spec: OrderSpec, merchant: Merchant | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """A checkout at the seller's location; returns (order, its first payment) as the API shows them
        (a split-tender order's other payments are its further tenders)."""
        with self._lock:
            order, payments = self.backend.add_order(spec, merchant or self.merchant)
            return as_wire(order_json(order, self.backend)), as_wire(payment_json(payments[0], self.backend))

    @merchant_action
    def refund_in_dashboard(self, payment_id: str, amount: Decimal, reason: str = "") -> dict[str, Any]:
        """The seller refunds from the Square Dashboard: same rules as RefundPayment.
        Raises ``SquareError`` when Square would refuse it."""
        with self._lock:
            payment = self.backend.payments.get(payment_id)
            if payment is None:
                raise KeyError(f"no Square payment with id {payment_id!r}")
            merchant = self.backend.merchant(payment.merchant_id)
            key = f"dashboard-{len(self.backend.refunds) + 1}"
            asked = RefundAsked(payment_id, money.amount(amount, payment.currency), payment.currency, reason)
            return as_wire(refund_json(self.backend.refund_payment(merchant, key, asked)))

    @merchant_action
    def complete_refund(self, refund_id: str) -> dict[str, Any]:
        """The payment processor completes a pending refund: the money went back."""
        with self._lock:
            return as_wire(refund_json(self.backend.settle(refund_id, "COMPLETED")))

    @merchant_action
    def fail_refund(self, refund_id: str) -> dict[str, Any]:
        """The payment processor fails a pending refund: no money went back."""
        with self._lock:
            return as_wire(refund_json(self.backend.settle(refund_id, "FAILED")))

    def refund(self, refund_id: str) -> dict[str, Any]:
        """Read a refund without counting it as a poll."""
        with self._lock:
            found = self.backend.refunds[refund_id]
            return as_wire(refund_json(found))

    # --- platform-wide checks --------------------------------------------------------------
    def authenticate(self, call: Call) -> Merchant:
        merchant = self._merchant_of(call.request)
        if merchant is None:
            raise SquareError(*UNAUTHORIZED)
        return merchant

    def _merchant_of(self, request: httpx.Request) -> Merchant | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self.backend.merchant_for_token(token) if scheme == "Bearer" else None

    def tenant_of(self, request: httpx.Request) -> str | None:
        """The seller's location (what a connector account calls a Square store)."""
        with self._lock:
            merchant = self._merchant_of(request)
        return merchant.location_id if merchant else None

    def render_error(self, err: SquareError, request: httpx.Request) -> SimulatorError:
        entry = {"category": err.category, "code": err.code, "detail": err.detail}
        if err.field:
            entry["field"] = err.field
        return SimulatorError(err.status, {"errors": [entry]})

    def no_route(self, request: httpx.Request) -> SquareError:
        return SquareError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND",
                           f"There is no endpoint {request.method} {request.url.path}.")

    def bad_request(self, message: str) -> SquareError:
        return invalid("BAD_REQUEST", message)

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and "errors" in body):
            category, code = _ERROR_KINDS.get(status, ("API_ERROR", "INTERNAL_SERVER_ERROR") if status >= 500
                                              else ("INVALID_REQUEST_ERROR", "BAD_REQUEST"))
            body = {"errors": [{"category": category, "code": code, "detail": str(body)}]}
        return json_response(status, body, headers)

    # --- orders ----------------------------------------------------------------------------
    @route("GET", r"/v2/orders/(?P<order_id>[^/]+)")
    def retrieve_order(self, request: httpx.Request, merchant: Merchant, order_id: str) -> httpx.Response:
        return json_response(200, {"order": order_json(self.backend.order(merchant, order_id), self.backend)})

    @route("POST", r"/v2/orders/search")
    def search_orders(self, request: httpx.Request, merchant: Merchant) -> httpx.Response:
        body = _json_object(request)
        location_ids = body.get("location_ids")
        if not isinstance(location_ids, list) or not location_ids or not all(isinstance(x, str) for x in location_ids):
            raise invalid("MISSING_REQUIRED_PARAMETER", "location_ids must list 1 to 10 location ids.", "location_ids")
        if len(location_ids) > 10:
            raise invalid("ARRAY_LENGTH_TOO_LONG", "location_ids may list at most 10 locations.", "location_ids")
        foreign = [x for x in location_ids if x != merchant.location_id]
        if foreign:
            raise invalid("INVALID_VALUE", f"Location {foreign[0]!r} does not belong to this seller.", "location_ids")
        query = _object(body.get("query"), "query")
        filters = _object(query.get("filter"), "query.filter")
        states = _object(filters.get("state_filter"), "query.filter.state_filter").get("states")
        if states is not None and (not isinstance(states, list) or any(s not in ORDER_STATES for s in states)):
            raise invalid("INVALID_ENUM_VALUE", f"query.filter.state_filter.states must be among "
                          f"{', '.join(ORDER_STATES)}.", "query.filter.state_filter.states")
        time_field, start_at, end_at = self._time_filter(
            _object(filters.get("date_time_filter"), "query.filter.date_time_filter"))
        sort = _object(query.get("sort"), "query.sort")
        sort_field = sort.get("sort_field") or next(
            (name for name, attr in ORDER_TIME_FIELDS.items() if attr == time_field), "CREATED_AT")
        if sort_field not in ORDER_TIME_FIELDS:
            raise invalid("INVALID_ENUM_VALUE", f"sort_field must be one of {', '.join(ORDER_TIME_FIELDS)}.",
                          "query.sort.sort_field")
        if start_at or end_at:
            if ORDER_TIME_FIELDS[sort_field] != time_field:
                raise invalid("BAD_REQUEST", f"A date_time_filter on {time_field} needs sort_field "
                              f"{time_field.upper()}, not {sort_field}.", "query.sort.sort_field")
        else:
            time_field = ORDER_TIME_FIELDS[sort_field]
        descending = self._descending(sort.get("sort_order"), "query.sort.sort_order")
        limit = self.page_limit(_limit(body.get("limit"), 1000, 500))
        paged_query = {k: v for k, v in body.items() if k not in ("cursor", "limit")}
        offset = Cursors.offset(body.get("cursor"), paged_query)
        found = self.backend.search_orders(merchant, location_ids, states=states, time_field=time_field,
                                           start_at=start_at, end_at=end_at, descending=descending)
        found = listing.visible(found, lambda o: o.updated_at)
        page, cursor = _page(found, offset, limit, paged_query)
        if body.get("return_entries") is True:
            result: dict[str, Any] = {"order_entries": [{"order_id": o.id, "version": o.version,
                                                         "location_id": o.location_id} for o in page]}
        else:
            result = {"orders": [order_json(o, self.backend) for o in page]}
        return json_response(200, {**result, **cursor})

    @staticmethod
    def _time_filter(raw: dict[str, Any]) -> tuple[str, datetime | None, datetime | None]:
        chosen = [name for name in ("created_at", "updated_at", "closed_at") if raw.get(name)]
        if len(chosen) > 1:
            raise invalid("CONFLICTING_PARAMETERS", "date_time_filter may use only one of created_at, updated_at "
                          "and closed_at.", "query.filter.date_time_filter")
        if not chosen:
            return "created_at", None, None
        name = chosen[0]
        where = f"query.filter.date_time_filter.{name}"
        bounds = _object(raw[name], where)
        return name, _time(bounds.get("start_at"), f"{where}.start_at"), _time(bounds.get("end_at"), f"{where}.end_at")

    @staticmethod
    def _descending(raw: Any, field_name: str) -> bool:
        if raw is None:
            return True
        if raw not in ("ASC", "DESC"):
            raise invalid("INVALID_SORT_ORDER", f"{field_name} must be ASC or DESC, not {raw!r}.", field_name)
        return raw == "DESC"

    # --- payments and customers ------------------------------------------------------------
    @route("GET", r"/v2/payments")
    def list_payments(self, request: httpx.Request, merchant: Merchant) -> httpx.Response:
        """ListPayments: by created_at within [begin_time, end_time] (default the last year), newest
        first unless sort_order=ASC, at the seller's main location unless location_id names another."""
        params = request.url.params
        unmodelled = sorted(set(params) & UNMODELLED_PAYMENT_FILTERS)
        if unmodelled:  # refused rather than silently ignored, so a test never reads a filter as applied
            raise invalid("BAD_REQUEST", f"This simulator does not filter payments by {', '.join(unmodelled)}.",
                          unmodelled[0])
        if params.get("sort_field", "CREATED_AT") != "CREATED_AT":
            raise invalid("BAD_REQUEST", "This simulator sorts payments by CREATED_AT only.", "sort_field")
        begin, end = self._time_range(params)
        descending = self._descending(params.get("sort_order"), "sort_order")
        limit = self.page_limit(_limit(params.get("limit"), 100, 100))
        paged_query = sorted((k, v) for k, v in params.multi_items() if k not in ("cursor", "limit"))
        offset = Cursors.offset(params.get("cursor"), paged_query)
        found = self.backend.list_payments(merchant, begin=begin, end=end, descending=descending,
                                           location_id=params.get("location_id") or merchant.location_id)
        found = listing.visible(found, lambda p: p.created_at)
        page, cursor = _page(found, offset, limit, paged_query)
        return json_response(200, {"payments": [payment_json(p, self.backend) for p in page], **cursor})

    def _time_range(self, params: httpx.QueryParams) -> tuple[datetime, datetime]:
        """begin_time/end_time of the list endpoints: default the year up to now."""
        end = _time(params.get("end_time"), "end_time") or self.clock.now()
        begin = _time(params.get("begin_time"), "begin_time") or one_year_before(end)
        if begin > end:
            raise invalid("INVALID_TIME_RANGE", "begin_time must not be after end_time.", "begin_time")
        return begin, end

    @route("GET", r"/v2/payments/(?P<payment_id>[^/]+)")
    def get_payment(self, request: httpx.Request, merchant: Merchant, payment_id: str) -> httpx.Response:
        return json_response(200, {"payment": payment_json(self.backend.payment(merchant, payment_id), self.backend)})

    @route("GET", r"/v2/customers/(?P<customer_id>[^/]+)")
    def retrieve_customer(self, request: httpx.Request, merchant: Merchant, customer_id: str) -> httpx.Response:
        return json_response(200, {"customer": customer_json(self.backend.customer(merchant, customer_id))})

    # --- refunds ---------------------------------------------------------------------------
    @route("POST", r"/v2/refunds")
    def refund_payment(self, request: httpx.Request, merchant: Merchant) -> httpx.Response:
        key, asked = parse_refund_payment(_json_object(request))
        refund = self.backend.refund_payment(merchant, key, asked)
        return json_response(200, {"refund": refund_json(refund)})

    @route("GET", r"/v2/refunds/(?P<refund_id>[^/]+)")
    def get_payment_refund(self, request: httpx.Request, merchant: Merchant, refund_id: str) -> httpx.Response:
        return json_response(200, {"refund": refund_json(self.backend.refund(merchant, refund_id, poll=True))})

    @route("GET", r"/v2/refunds")
    def list_payment_refunds(self, request: httpx.Request, merchant: Merchant) -> httpx.Response:
        params = request.url.params
        begin, end = self._time_range(params)
        status = params.get("status")
        if status is not None and status not in ("PENDING", "COMPLETED", "REJECTED", "FAILED"):
            raise invalid("INVALID_ENUM_VALUE", f"status must be PENDING, COMPLETED, REJECTED or FAILED, "
                          f"not {status!r}.", "status")
        descending = self._descending(params.get("sort_order"), "sort_order")
        sort_field = params.get("sort_field", "CREATED_AT")
        if sort_field not in ("CREATED_AT", "UPDATED_AT"):
            raise invalid("INVALID_ENUM_VALUE", f"sort_field must be CREATED_AT or UPDATED_AT, not {sort_field!r}.",
                          "sort_field")
        if sort_field == "UPDATED_AT":   # refunds are listed by creation time only here; never silently
            raise invalid("BAD_REQUEST", "sort_field UPDATED_AT is not modelled by this simulator; "
                                         "use CREATED_AT.", "sort_field")
        limit = self.page_limit(_limit(params.get("limit"), 100, 100, cap=True))
        paged_query = sorted((k, v) for k, v in params.multi_items() if k not in ("cursor", "limit"))
        offset = Cursors.offset(params.get("cursor"), paged_query)
        found = self.backend.list_refunds(merchant, begin=begin, end=end, descending=descending,
                                          location_id=params.get("location_id"), status=status)
        found = listing.visible(found, lambda r: r.created_at)
        page, cursor = _page(found, offset, limit, paged_query)
        return json_response(200, {"refunds": [refund_json(r) for r in page], **cursor})
