"""Magento 2 REST over httpx (moto's ``responses``): parse, call the backend, render, and the control plane.

Wire rules kept here: every path is ``/rest/<store_code>/V1/...``; auth is ``Authorization: Bearer
<integration token>``; money is JSON numbers; times are ``"Y-m-d H:i:s"`` in UTC; a refund answers
the bare credit memo id; lists take Magento's ``searchCriteria[...]`` query and answer
``{"items", "search_criteria", "total_count"}``; every error is ``{"message": ..., "parameters": ...}``
with ``%1`` (or ``%name``) placeholders.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

import httpx

from common import jsonio, money
from common.clock import Clock
from common.seeded import IdSource, derived_seed
from simulators.core import listing, safe
from simulators.core.base import AnswerOrRefusal, Call, Simulator, SimulatorError, json_response, merchant_action, read_json, route
from simulators.core.orders import OrderSpec
from simulators.magento.partial import BadFields, keep, parse_fields
from simulators.magento.models import (
    Creditmemo, Invoice, MagentoBackend, MagentoError, Order, RefundAsked, Store, render,
)

STORE = r"/rest/(?P<store_code>[^/]+)/V1"
NO_ROUTE = "Request does not match any route."
TYPE_ERROR = 'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.'
INVALID_FIELD = 'Invalid value of "%value" provided for the %fieldName field.'
REQUIRED = '"%fieldName" is required. Enter and try again.'
CONDITIONS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "in", "nin")
_CRITERIA = re.compile(r"searchCriteria(?:\[filter_groups\]\[(\d{1,3})\]\[filters\]\[(\d{1,3})\]\[(field|value|condition_type)\]"
                       r"|\[sortOrders\]\[(\d{1,3})\]\[(field|direction)\]|\[(pageSize|currentPage)\])")
MAX_PAGE = 10 ** 6


# --- rendering -------------------------------------------------------------------------------

def magento_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def order_json(o: Order, backend: MagentoBackend) -> dict[str, Any]:
    items = [{
        "item_id": i.item_id, "order_id": o.entity_id, "sku": i.sku, "name": i.name, "product_type": "simple",
        "qty_ordered": i.qty_ordered, "qty_invoiced": i.qty_invoiced, "qty_refunded": i.qty_refunded,
        "qty_canceled": 0, "qty_shipped": 0,
        "price": i.price, "base_price": i.price, "original_price": i.price, "row_total": i.row_total,
        "base_row_total": i.row_total, "discount_amount": i.discount, "base_discount_amount": i.discount,
        "tax_amount": i.tax, "base_tax_amount": i.tax, "tax_invoiced": i.tax if i.qty_invoiced else 0,
        "tax_percent": i.tax_percent, "row_total_incl_tax": i.row_total + i.tax,
        "amount_refunded": i.amount_refunded, "discount_refunded": i.discount_refunded, "tax_refunded": i.tax_refunded,
        "created_at": magento_time(o.created_at), "updated_at": magento_time(o.updated_at),
    } for i in o.items]
    return {
        "entity_id": o.entity_id, "increment_id": o.increment_id, "store_id": 1, "state": o.state, "status": o.status,
        "order_currency_code": o.currency, "base_currency_code": o.currency, "global_currency_code": o.currency,
        "store_currency_code": o.currency,
        "customer_email": o.customer_email, "customer_firstname": o.customer_firstname,
        "customer_lastname": o.customer_lastname, "customer_is_guest": 1,
        "created_at": magento_time(o.created_at), "updated_at": magento_time(o.updated_at),
        "subtotal": o.subtotal, "base_subtotal": o.subtotal, "discount_amount": -o.discount,
        "base_discount_amount": -o.discount, "tax_amount": o.tax, "base_tax_amount": o.tax,
        "shipping_amount": o.shipping_amount, "base_shipping_amount": o.shipping_amount,
        "shipping_tax_amount": o.shipping_tax, "shipping_incl_tax": o.shipping_amount + o.shipping_tax,
        "shipping_refunded": o.shipping_refunded, "shipping_tax_refunded": o.shipping_tax_refunded,
        "grand_total": o.grand_total, "base_grand_total": o.grand_total,
        "total_paid": o.total_paid, "base_total_paid": o.total_paid, "total_invoiced": o.total_paid,
        "total_refunded": o.total_refunded, "base_total_refunded": o.total_refunded,
        "total_online_refunded": o.total_online_refunded, "total_offline_refunded": o.total_offline_refunded,
        "total_qty_ordered": sum((i.qty_ordered for i in o.items), Decimal(0)),
        "items": items,
        "payment": {"method": o.method, "amount_ordered": o.grand_total, "amount_paid": o.total_paid,
                    "amount_refunded": o.total_refunded, "last_trans_id": o.last_trans_id,
                    "additional_information": []},
    }


def invoice_json(inv: Invoice, backend: MagentoBackend) -> dict[str, Any]:
    order = backend.orders[inv.order_id]
    return {
        "entity_id": inv.entity_id, "order_id": inv.order_id, "increment_id": inv.increment_id, "state": inv.state,
        "order_currency_code": order.currency, "base_currency_code": order.currency,
        "grand_total": inv.grand_total, "base_grand_total": inv.grand_total,
        "shipping_amount": inv.shipping_amount, "base_total_refunded": inv.total_refunded,
        "transaction_id": inv.transaction_id, "can_void_flag": 0,
        "created_at": magento_time(inv.created_at), "updated_at": magento_time(inv.updated_at),
        "items": [{"order_item_id": item_id, "sku": order.item(item_id).sku, "qty": qty}   # type: ignore[union-attr]
                  for item_id, qty in inv.qtys.items()],
    }


def creditmemo_json(m: Creditmemo) -> dict[str, Any]:
    return {
        "entity_id": m.entity_id, "order_id": m.order_id, "invoice_id": m.invoice_id, "increment_id": m.increment_id,
        "state": m.state, "order_currency_code": m.currency, "base_currency_code": m.currency,
        "created_at": magento_time(m.created_at), "updated_at": magento_time(m.updated_at),
        "subtotal": m.subtotal, "base_subtotal": m.subtotal, "discount_amount": -m.discount,
        "tax_amount": m.tax, "base_tax_amount": m.tax,
        "shipping_amount": m.shipping_amount, "base_shipping_amount": m.shipping_amount,
        "shipping_tax_amount": m.shipping_tax, "shipping_incl_tax": m.shipping_amount + m.shipping_tax,
        "adjustment_positive": m.adjustment_positive, "adjustment_negative": m.adjustment_negative,
        "adjustment": m.adjustment_positive - m.adjustment_negative,
        "grand_total": m.grand_total, "base_grand_total": m.grand_total,
        "transaction_id": m.transaction_id,
        "items": [{"entity_id": m.entity_id * 1000 + n, "parent_id": m.entity_id, "order_item_id": i.order_item_id,
                   "sku": i.sku, "name": i.name, "qty": i.qty, "price": i.price, "row_total": i.row_total,
                   "discount_amount": i.discount, "tax_amount": i.tax,
                   "row_total_incl_tax": i.row_total + i.tax} for n, i in enumerate(m.items, start=1)],
        "comments": [{"parent_id": m.entity_id, "comment": text, "is_customer_notified": 0,
                      "is_visible_on_front": 0, "created_at": magento_time(m.created_at)} for text in m.comments],
        "extension_attributes": {},
    }


def as_wire(payload: Any) -> Any:
    return jsonio.loads(jsonio.dumps(payload))


# --- parsing -------------------------------------------------------------------------------------

def type_error(value: Any, kind: str) -> MagentoError:
    shown = value if isinstance(value, str) else jsonio.dumps(value) if not isinstance(value, (dict, list)) else "array"
    return MagentoError(400, TYPE_ERROR, {"value": str(shown)[:60], "type": kind})


def _number(value: Any, field_name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise type_error(value, "float")
    try:
        parsed = safe.parse_decimal(value, field_name)
    except safe.BadInput:
        raise type_error(value, "float") from None
    return parsed


def _int(value: Any, field_name: str) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 31:
        raise type_error(value, "int")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise type_error(value, "bool")


def _not_json(content_type: str | None) -> MagentoError:
    """Magento's web API picks its body parser by Content-Type and refuses a missing or unknown one."""
    if not content_type:
        return MagentoError(400, "Content-Type header is empty.")
    return MagentoError(400, "Server cannot understand Content-Type HTTP header media type %1", [content_type])


def _object(value: Any, kind: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise type_error(value, kind)
    return value


def parse_refund(body: Any, *, invoice_route: bool) -> tuple[RefundAsked, bool]:
    """The body of order/{id}/refund or invoice/{id}/refund; the second value is isOnline."""
    if not isinstance(body, dict):
        raise type_error(body, "array")
    raw_items = body.get("items")
    items: tuple[tuple[int, Decimal], ...] | None = None
    if raw_items is not None:
        if not isinstance(raw_items, list):
            raise type_error(raw_items, "\\Magento\\Sales\\Api\\Data\\CreditmemoItemCreationInterface[]")
        parsed = []
        for entry in raw_items:
            entry = _object(entry, "\\Magento\\Sales\\Api\\Data\\CreditmemoItemCreationInterface")
            for key in ("order_item_id", "qty"):
                if entry.get(key) is None:
                    raise MagentoError(400, REQUIRED, {"fieldName": key})
            qty = _number(entry["qty"], "qty")
            if qty < 0:
                raise MagentoError(400, INVALID_FIELD, {"value": str(entry["qty"]), "fieldName": "qty"})
            parsed.append((_int(entry["order_item_id"], "order_item_id"), qty))
        items = tuple(parsed) if parsed else None   # Magento reads an empty list as "everything"
    _bool(body.get("notify", False))
    append = _bool(body.get("appendComment", body.get("append_comment", False)))
    comment = _object(body.get("comment"), "\\Magento\\Sales\\Api\\Data\\CreditmemoCommentCreationInterface")
    text = comment.get("comment", "")
    if not isinstance(text, str):
        raise type_error(text, "string")
    del append   # whether the customer is e-mailed the comment; the comment is kept either way
    arguments = _object(body.get("arguments"), "\\Magento\\Sales\\Api\\Data\\CreditmemoCreationArgumentsInterface")
    amounts = {}
    for key in ("shipping_amount", "adjustment_positive", "adjustment_negative"):
        if arguments.get(key) is not None:
            amounts[key] = _number(arguments[key], key)
            if amounts[key] < 0:
                raise MagentoError(400, INVALID_FIELD, {"value": str(arguments[key]), "fieldName": key})
    extension = _object(arguments.get("extension_attributes"), "\\Magento\\Sales\\Api\\Data\\CreditmemoCreationArgumentsExtensionInterface")
    restock_raw = extension.get("return_to_stock_items") or []
    if not isinstance(restock_raw, list):
        raise type_error(restock_raw, "int[]")
    restock = tuple(_int(v, "return_to_stock_items") for v in restock_raw)
    online = _bool(body.get("isOnline", body.get("is_online", False))) if invoice_route else False
    return RefundAsked(items, amounts.get("shipping_amount"), amounts.get("adjustment_positive", Decimal(0)),
                       amounts.get("adjustment_negative", Decimal(0)), text, restock), online


# --- searchCriteria --------------------------------------------------------------------------------

class Field:
    """A field a list endpoint filters and sorts on, and how its filter values are read."""

    def __init__(self, read: Callable[[Any], Any], parse: Callable[[str], Any]) -> None:
        self.read = read
        self.parse = parse


def _time_value(text: str) -> datetime:
    return safe.parse_time(text.replace(" ", "T") + ("Z" if len(text) == 19 else ""), "value")


def _id_value(text: str) -> int:
    return safe.parse_id(text, "value", max_digits=10)


def _text_value(text: str) -> str:
    if len(text) > 255:
        raise ValueError("too long")
    return text


TIME, ID, TEXT = _time_value, _id_value, _text_value


def search(params: httpx.QueryParams, records: list[Any], fields: dict[str, Field],
           page_limit: Callable[[int], int] = lambda asked: asked) -> tuple[list[Any], dict, int]:
    """Magento's searchCriteria: filters of one group OR'd, groups AND'd; sortOrders; pageSize and
    currentPage, where a page past the last answers the last page again (Magento's collections do).
    ``page_limit`` is the largest page the server answers (Magento's maximum page size): a search
    asking for more, or for no page at all, gets pages of that size."""
    groups: dict[int, dict[int, dict[str, str]]] = {}
    sorts: dict[int, dict[str, str]] = {}
    page_size = current = None
    seen = False
    for key, value in params.multi_items():
        if not key.startswith("searchCriteria"):
            continue
        seen = True
        if key == "searchCriteria":   # the bare key lists everything
            continue
        m = _CRITERIA.fullmatch(key)
        if m is None:
            raise MagentoError(400, INVALID_FIELD, {"value": value[:60], "fieldName": key[:80]})
        group, index, part, sort_index, sort_part, paging = m.groups()
        if group is not None:
            groups.setdefault(int(group), {}).setdefault(int(index), {})[part] = value
        elif sort_index is not None:
            sorts.setdefault(int(sort_index), {})[sort_part] = value
        elif paging == "pageSize":
            page_size = _int(value, "pageSize")
        else:
            current = _int(value, "currentPage")
    if not seen:
        raise MagentoError(400, REQUIRED, {"fieldName": "searchCriteria"})
    found = list(records)
    echo_groups = []
    for _, filters in sorted(groups.items()):
        tests = []
        for _, f in sorted(filters.items()):
            tests.append(_filter(f, fields))
        found = [r for r in found if any(test(r) for test in tests)]
        echo_groups.append({"filters": [dict(f) for _, f in sorted(filters.items())]})
    for _, order in sorted(sorts.items(), reverse=True):
        name = order.get("field", "")
        if name not in fields:
            raise MagentoError(400, INVALID_FIELD, {"value": name[:60], "fieldName": "sortOrders.field"})
        direction = order.get("direction", "ASC").upper()
        if direction not in ("ASC", "DESC"):
            raise MagentoError(400, INVALID_FIELD, {"value": direction[:60], "fieldName": "sortOrders.direction"})
        found.sort(key=fields[name].read, reverse=direction == "DESC")
    total = len(found)
    criteria: dict[str, Any] = {"filter_groups": echo_groups}
    if sorts:
        criteria["sort_orders"] = [dict(s) for _, s in sorted(sorts.items())]
    largest = page_limit(page_size or max(total, 1))
    if largest < (page_size or total):
        page_size = largest
    if page_size:
        last = max(1, -(-total // page_size))
        page = min(max(current or 1, 1), last)
        criteria.update(page_size=page_size, current_page=current or 1)
        found = found[(page - 1) * page_size: page * page_size]
    return found, criteria, total


def of_one_order(params: httpx.QueryParams) -> int | None:
    """The order id a search is narrowed to by a filter group of its own (one filter, ``order_id eq N``;
    groups are AND'd), so the search can start from that order's records instead of every record."""
    groups: dict[str, dict[str, dict[str, str]]] = {}
    for key, value in params.multi_items():
        m = _CRITERIA.fullmatch(key)
        if m is not None and m.group(1) is not None:
            groups.setdefault(m.group(1), {}).setdefault(m.group(2), {})[m.group(3)] = value
    for filters in groups.values():
        only = next(iter(filters.values())) if len(filters) == 1 else {}
        value = only.get("value", "")
        if (only.get("field") == "order_id" and only.get("condition_type", "eq") == "eq"
                and value.isascii() and value.isdigit() and len(value) <= 18):
            return int(value)
    return None


def _filter(f: dict[str, str], fields: dict[str, Field]) -> Callable[[Any], bool]:
    name = f.get("field")
    if name is None:
        raise MagentoError(400, REQUIRED, {"fieldName": "field"})
    if name not in fields:
        raise MagentoError(400, INVALID_FIELD, {"value": name[:60], "fieldName": "field"})
    condition = f.get("condition_type", "eq")
    if condition not in CONDITIONS:
        raise MagentoError(400, INVALID_FIELD, {"value": condition[:60], "fieldName": "condition_type"})
    raw = f.get("value")
    if raw is None:
        raise MagentoError(400, REQUIRED, {"fieldName": "value"})
    spec = fields[name]
    try:
        values = [spec.parse(v.strip()) for v in raw.split(",")] if condition in ("in", "nin") else [spec.parse(raw)]
    except ValueError:
        raise MagentoError(400, INVALID_FIELD, {"value": raw[:60], "fieldName": name}) from None
    v = values[0]
    compare: dict[str, Callable[[Any], bool]] = {
        "eq": lambda x: x == v, "neq": lambda x: x != v, "gt": lambda x: x > v, "gteq": lambda x: x >= v,
        "lt": lambda x: x < v, "lteq": lambda x: x <= v, "in": lambda x: x in values, "nin": lambda x: x not in values}
    test = compare[condition]
    return lambda record: (lambda x: x is not None and test(x))(spec.read(record))


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


ORDER_FIELDS = {
    "entity_id": Field(lambda o: o.entity_id, ID), "increment_id": Field(lambda o: o.increment_id, TEXT),
    "state": Field(lambda o: o.state, TEXT), "status": Field(lambda o: o.status, TEXT),
    "created_at": Field(lambda o: _whole_seconds(o.created_at), TIME),
    "updated_at": Field(lambda o: _whole_seconds(o.updated_at), TIME),
}
CREDITMEMO_FIELDS = {
    "entity_id": Field(lambda m: m.entity_id, ID), "order_id": Field(lambda m: m.order_id, ID),
    "invoice_id": Field(lambda m: m.invoice_id, ID),
    "created_at": Field(lambda m: _whole_seconds(m.created_at), TIME),
    "updated_at": Field(lambda m: _whole_seconds(m.updated_at), TIME),
}
INVOICE_FIELDS = {
    "entity_id": Field(lambda i: i.entity_id, ID), "order_id": Field(lambda i: i.order_id, ID),
    "created_at": Field(lambda i: _whole_seconds(i.created_at), TIME),
    "updated_at": Field(lambda i: _whole_seconds(i.updated_at), TIME),
}


class MagentoSimulator(Simulator):
    """One Magento installation on its own host; its default store view answers ``/rest/default/V1``."""

    platform = "magento"
    error_type = MagentoError

    def __init__(self, domain: str = "acme-outfitters.magento.test", clock: Clock | None = None, seed: int = 0) -> None:
        self.domain = domain.lower()
        super().__init__(hosts=[self.domain], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self.backend = MagentoBackend(self.record_clock, seed)
        # the store's own token (another store seeded alike gets another one)
        token = IdSource(derived_seed(seed, self.domain, "credentials")).token(32).lower()
        self.store = Store(self.domain, "default", token)

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"access_token": self.access_token, "store_code": self.store.code}

    @property
    def access_token(self) -> str:
        return self.store.token

    def add_order(self, spec: OrderSpec) -> dict[str, Any]:
        """A checkout in the default store view; a paid order is invoiced at once. Returns the order as
        ``GET /V1/orders/{id}`` shows it."""
        with self._lock:
            order = self.backend.add_order(spec, self.store.code)
            return as_wire(order_json(order, self.backend))

    @merchant_action
    def refund_in_admin(self, order_id: int | str, lines: list[tuple[int, int]] | tuple[()] = (), *,
                        shipping: bool = False, amount: Decimal | None = None, whole_order: bool = False,
                        comment: str = "") -> dict[str, Any]:
        """The merchant's credit memo in the admin: online from the invoice for an order a gateway
        captured, offline from the order otherwise. ``amount`` gives back that much in all (the
        difference from what the lines are worth becomes an adjustment). Raises ``MagentoError``."""
        with self._lock:
            order = self.backend.order(int(order_id))
            invoice = self.backend.invoices[order.invoice_ids[-1]] if order.online and order.invoice_ids else None
            if whole_order:
                items = None
                ship = None
            else:
                items = tuple((int(item_id), Decimal(qty)) for item_id, qty in lines) or tuple(
                    (i.item_id, Decimal(0)) for i in order.items)
                ship = (order.shipping_amount - order.shipping_refunded) if shipping else Decimal(0)
            asked = RefundAsked(items, ship, comment=comment)
            if amount is not None:
                worth = self.backend._draft(order, asked, invoice).grand_total   # noqa: SLF001 - same module family
                gap = money.amount(amount, order.currency) - worth
                asked = RefundAsked(items, ship, max(gap, money.ZERO), max(-gap, money.ZERO), comment)
            memo = self.backend.refund(order, asked, invoice=invoice, online=invoice is not None, admin=True)
            return as_wire(creditmemo_json(memo))

    def creditmemo(self, creditmemo_id: int | str) -> dict[str, Any]:
        with self._lock:
            return as_wire(creditmemo_json(self.backend.creditmemo(int(creditmemo_id))))

    # --- platform-wide checks --------------------------------------------------------------
    def authenticate(self, call: Call) -> None:
        if call.groups.pop("store_code", None) not in (self.store.code, "all"):
            raise MagentoError(404, NO_ROUTE)
        if not self._authorized(call.request):
            raise MagentoError(401, "The consumer isn't authorized to access %resources.",
                               {"resources": "Magento_Sales::sales"})

    def answered(self, call: Call, answer: AnswerOrRefusal) -> AnswerOrRefusal:
        return self._partial(call.request, answer) if isinstance(answer, httpx.Response) else answer

    @staticmethod
    def _partial(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        """``?fields=`` keeps only the named fields of a successful answer."""
        wanted = request.url.params.get("fields")
        if not wanted or not 200 <= response.status_code < 300:
            return response
        try:
            spec = parse_fields(wanted)
        except BadFields as exc:
            raise MagentoError(400, "%1", [str(exc)]) from None
        return json_response(response.status_code, keep(jsonio.loads(response.content), spec))

    def _authorized(self, request: httpx.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and token == self.store.token

    def tenant_of(self, request: httpx.Request) -> str | None:
        return self.domain

    def render_error(self, err: MagentoError, request: httpx.Request) -> SimulatorError:
        body: dict[str, Any] = {"message": err.message}
        if err.parameters:
            body["parameters"] = err.parameters
        return SimulatorError(err.status, body)

    def no_route(self, request: httpx.Request) -> MagentoError:
        return MagentoError(404, NO_ROUTE)

    def bad_request(self, message: str) -> MagentoError:
        return MagentoError(400, message)

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and "message" in body):
            body = {"message": render(str(body), [])}
        return json_response(status, body, headers)

    @staticmethod
    def _id(text: str) -> int:
        try:
            return safe.parse_id(text, "id", max_digits=10)
        except safe.BadInput:
            raise MagentoError(404, "The entity that was requested doesn't exist. Verify the entity and try again.") from None

    @staticmethod
    def _body(request: httpx.Request) -> Any:
        return read_json(request, lambda msg: MagentoError(400, "Decoding error: %1", [msg]), not_json=_not_json)

    # --- orders ----------------------------------------------------------------------------
    @route("GET", STORE + r"/orders/(?P<order_id>[^/]+)")
    def get_order(self, request: httpx.Request, order_id: str) -> httpx.Response:
        return json_response(200, order_json(self.backend.order(self._id(order_id)), self.backend))

    @route("GET", STORE + r"/orders")
    def list_orders(self, request: httpx.Request) -> httpx.Response:
        orders = listing.visible(sorted(self.backend.orders.values(), key=lambda o: o.entity_id), lambda o: o.updated_at)
        found, criteria, total = search(request.url.params, orders, ORDER_FIELDS, self.page_limit)
        return json_response(200, {"items": [order_json(o, self.backend) for o in found],
                                   "search_criteria": criteria, "total_count": total})

    # --- invoices --------------------------------------------------------------------------
    @route("GET", STORE + r"/invoices/(?P<invoice_id>[^/]+)")
    def get_invoice(self, request: httpx.Request, invoice_id: str) -> httpx.Response:
        return json_response(200, invoice_json(self.backend.invoice(self._id(invoice_id)), self.backend))

    @route("GET", STORE + r"/invoices")
    def list_invoices(self, request: httpx.Request) -> httpx.Response:
        invoices = listing.visible(self._records(request, self.backend.invoices, "invoice_ids"), lambda i: i.updated_at)
        found, criteria, total = search(request.url.params, invoices, INVOICE_FIELDS, self.page_limit)
        return json_response(200, {"items": [invoice_json(i, self.backend) for i in found],
                                   "search_criteria": criteria, "total_count": total})

    # --- credit memos ----------------------------------------------------------------------
    @route("GET", STORE + r"/creditmemo/(?P<creditmemo_id>[^/]+)")
    def get_creditmemo(self, request: httpx.Request, creditmemo_id: str) -> httpx.Response:
        return json_response(200, creditmemo_json(self.backend.creditmemo(self._id(creditmemo_id))))

    @route("GET", STORE + r"/creditmemos")
    def list_creditmemos(self, request: httpx.Request) -> httpx.Response:
        memos = listing.visible(self._records(request, self.backend.creditmemos, "creditmemo_ids"), lambda m: m.updated_at)
        found, criteria, total = search(request.url.params, memos, CREDITMEMO_FIELDS, self.page_limit)
        return json_response(200, {"items": [creditmemo_json(m) for m in found],
                                   "search_criteria": criteria, "total_count": total})

    def _records(self, request: httpx.Request, table: dict[int, Any], ids_on_order: str) -> list[Any]:
        """The records a search of ``table`` starts from, by entity id: one order's own (read through the
        order) when a filter narrows it to that order, otherwise all of them."""
        order_id = of_one_order(request.url.params)
        if order_id is None:
            return sorted(table.values(), key=lambda r: r.entity_id)
        order = self.backend.orders.get(order_id)
        return sorted((table[i] for i in getattr(order, ids_on_order)), key=lambda r: r.entity_id) if order else []

    @route("POST", STORE + r"/order/(?P<order_id>[^/]+)/refund")
    def refund_order(self, request: httpx.Request, order_id: str) -> httpx.Response:
        order = self.backend.order(self._id(order_id))
        asked, _ = parse_refund(self._body(request), invoice_route=False)
        memo = self.backend.refund(order, asked)
        return json_response(200, memo.entity_id)

    @route("POST", STORE + r"/invoice/(?P<invoice_id>[^/]+)/refund")
    def refund_invoice(self, request: httpx.Request, invoice_id: str) -> httpx.Response:
        invoice = self.backend.invoice(self._id(invoice_id))
        asked, online = parse_refund(self._body(request), invoice_route=True)
        memo = self.backend.refund(self.backend.orders[invoice.order_id], asked, invoice=invoice, online=online)
        return json_response(200, memo.entity_id)
