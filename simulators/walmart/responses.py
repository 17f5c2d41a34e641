"""Walmart Marketplace HTTP: the token API, the Orders API and Refund Order Lines, on
``marketplace.walmartapis.com``. Every call carries ``WM_SVC.NAME`` and ``WM_QOS.CORRELATION_ID``;
API calls carry ``WM_SEC.ACCESS_TOKEN`` from ``POST /v3/token``. Errors are
``{"errors": [{"code", "message", "category", "severity", "field"}]}``."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from common import money
from common.clock import Clock
from simulators.core import listing, safe
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, read_json, route
from simulators.core.orders import OrderSpec
from simulators.walmart.models import (CHARGE_NAMES, CHARGE_TYPES, REFUND_REASONS, ChargeAsked, LineAsked, Order,
                                       Seller, WalmartBackend, WalmartError, WalmartSettings, invalid)

HOST = "marketplace.walmartapis.com"
MAX_LIMIT = 200
DEFAULT_LIMIT = 100
_ERROR_KINDS = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN.GMP_GATEWAY_API",
                404: "URI_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE",
                429: "REQUEST_THRESHOLD_VIOLATED", 500: "SYSTEM_ERROR", 504: "DOWNSTREAM_SYSTEM_TIME_OUT"}


def error_entry(err: WalmartError) -> dict[str, Any]:
    entry = {"code": err.code, "message": err.message, "category": err.category, "severity": err.severity}
    if err.field:
        entry["field"] = err.field
    return entry


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _money(value: Decimal, currency: str) -> dict[str, Any]:
    return {"currency": currency, "amount": value}


def order_json(order: Order) -> dict[str, Any]:
    cur = order.currency
    lines = []
    for line in order.lines:
        charges = [{"chargeType": "PRODUCT", "chargeName": "ItemPrice", "chargeAmount": _money(line.product, cur),
                    "tax": {"taxName": "Tax1", "taxAmount": _money(line.product_tax, cur)}}]
        if line.shipping:
            charges.append({"chargeType": "SHIPPING", "chargeName": "Shipping",
                            "chargeAmount": _money(line.shipping, cur),
                            "tax": {"taxName": "Tax1", "taxAmount": _money(line.shipping_tax, cur)}})
        entry: dict[str, Any] = {
            "lineNumber": line.number, "item": {"productName": line.product_name, "sku": line.sku},
            "charges": {"charge": charges},
            "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(line.quantity)},
            "statusDate": epoch_ms(line.status_date),
            "orderLineStatuses": {"orderLineStatus": [{"status": line.status, "statusQuantity": {
                "unitOfMeasurement": "EACH", "amount": str(line.quantity)}}]},
            "refund": None}
        if line.refunds:
            entry["refund"] = {"refunds": [{
                "refundId": r.refund_id, "refundComments": r.comments, "refundDate": epoch_ms(r.created_at),
                **({"refundQuantity": {"unitOfMeasurement": "EACH", "amount": str(r.quantity)}} if r.quantity else {}),
                "refundCharges": {"refundCharge": [{
                    "refundReason": c.reason, "charge": {
                        "chargeType": c.charge_type, "chargeName": c.charge_name, "chargeAmount": _money(c.amount, cur),
                        "tax": {"taxName": c.tax_name, "taxAmount": _money(c.tax, cur)}}} for c in r.charges]}}
                for r in line.refunds]}
        lines.append(entry)
    return {"purchaseOrderId": order.purchase_order_id, "customerOrderId": order.customer_order_id,
            "customerEmailId": order.email, "orderDate": epoch_ms(order.order_date),
            "lastModified": epoch_ms(order.last_modified),
            "shippingInfo": {"postalAddress": {"name": order.customer_name}},
            "paymentTypes": [order.payment],
            "orderLines": {"orderLine": lines}, "shipNode": {"type": order.ship_node_type}}


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{where} must be an object.", where)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if isinstance(value, dict):   # XML-born JSON: a single element may come unwrapped
        return [value]
    if not isinstance(value, list):
        raise invalid(f"{where} must be an array.", where)
    return value


def _text(value: Any, where: str, limit: int = 1000) -> str:
    if not isinstance(value, str):
        raise invalid(f"{where} must be a string.", where)
    if len(value) > limit:
        raise invalid(f"{where} is longer than {limit} characters.", where)
    return value


def _amount(value: Any, currency: str, where: str) -> Decimal:
    block = _object(value, where)
    if block.get("currency") != currency:
        raise invalid(f"{where}.currency must be the order's currency {currency}, not {block.get('currency')!r}.",
                      f"{where}.currency")
    parsed = safe.parse_decimal(block.get("amount"), f"{where}.amount")
    try:
        return money.amount(parsed, currency)
    except money.MoneyError as exc:
        raise invalid(f"{where}.amount: {exc}", f"{where}.amount") from None


def parse_refund(body: Any, order: Order) -> list[LineAsked]:
    root = _object(_object(body, "request body").get("orderRefund"), "orderRefund")
    if root.get("purchaseOrderId") not in (None, order.purchase_order_id):
        raise invalid("orderRefund.purchaseOrderId does not match the purchase order in the path.", "purchaseOrderId")
    lines = _list(_object(root.get("orderLines"), "orderRefund.orderLines").get("orderLine"),
                  "orderRefund.orderLines.orderLine")
    asked = []
    for index, raw in enumerate(lines):
        where = f"orderLine[{index}]"
        raw = _object(raw, where)
        number = raw.get("lineNumber")
        if isinstance(number, bool) or not isinstance(number, (str, int)) or not str(number).isascii() \
                or not str(number).isdigit() or len(str(number)) > 9:
            raise invalid(f"{where}.lineNumber must be an order line number.", "lineNumber")
        full = raw.get("isFullRefund", False)
        if not isinstance(full, bool):
            raise invalid(f"{where}.isFullRefund must be true or false.", "isFullRefund")
        quantity = None
        if raw.get("orderLineQuantity") is not None:
            qty = _object(raw["orderLineQuantity"], f"{where}.orderLineQuantity")
            quantity = safe.parse_id(qty.get("amount"), f"{where}.orderLineQuantity.amount", max_digits=6)
        refunds = _list(_object(raw.get("refunds"), f"{where}.refunds").get("refund"), f"{where}.refunds.refund")
        if len(refunds) != 1:
            raise invalid(f"{where}.refunds.refund must hold exactly one refund.", "refund")
        refund = _object(refunds[0], f"{where}.refunds.refund[0]")
        comments = _text(refund.get("refundComments", ""), "refundComments")
        charges = []
        for c_index, raw_charge in enumerate(_list(_object(refund.get("refundCharges"), "refundCharges")
                                                   .get("refundCharge"), "refundCharges.refundCharge")):
            cw = f"{where}.refundCharge[{c_index}]"
            raw_charge = _object(raw_charge, cw)
            reason = raw_charge.get("refundReason")
            if reason is None:
                raise invalid(f"{cw}.refundReason is required.", "refundReason", code="MISSING_REQUEST_PARAM")
            if reason not in REFUND_REASONS:
                raise invalid(f"{cw}.refundReason {str(reason)[:60]!r} is not one of {', '.join(REFUND_REASONS)}.",
                              "refundReason")
            charge = _object(raw_charge.get("charge"), f"{cw}.charge")
            charge_type = charge.get("chargeType")
            if charge_type not in CHARGE_TYPES:
                raise invalid(f"{cw}.charge.chargeType must be PRODUCT or SHIPPING.", "chargeType")
            amount = _amount(charge.get("chargeAmount"), order.currency, f"{cw}.charge.chargeAmount")
            tax_block = charge.get("tax")
            tax, tax_name = money.ZERO, CHARGE_NAMES[charge_type][1]
            if tax_block is not None:
                tax_block = _object(tax_block, f"{cw}.charge.tax")
                tax = _amount(tax_block.get("taxAmount"), order.currency, f"{cw}.charge.tax.taxAmount")
                tax_name = _text(tax_block.get("taxName", tax_name), "taxName", 100)
            if amount >= 0 or tax > 0:
                raise invalid(f"{cw}: refund amounts must be negative (chargeAmount {amount}, taxAmount {tax}).",
                              "chargeAmount")
            charges.append(ChargeAsked(reason, charge_type,
                                       _text(charge.get("chargeName", CHARGE_NAMES[charge_type][0]), "chargeName", 100),
                                       amount, tax_name, tax))
        asked.append(LineAsked(str(int(str(number))), full, comments, tuple(charges), quantity))
    return asked


class WalmartSimulator(Simulator):
    """Walmart Marketplace (US) order and refund APIs."""

    platform = "walmart"
    error_type = WalmartError
    tenant_keyword = "seller"
    fault_errors = {"REQUEST_THRESHOLD_VIOLATED": lambda status: WalmartError(
        status, "REQUEST_THRESHOLD_VIOLATED", "Too many requests.", category="REQUEST")}

    def __init__(self, clock: Clock | None = None, seed: int = 0) -> None:
        self.settings = WalmartSettings()
        super().__init__(hosts=[HOST], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self.backend = WalmartBackend(self.record_clock, seed, self.settings)
        self.seller = self.backend.add_seller("Acme Outfitters")

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"client_id": self.seller.client_id, "client_secret": self.seller.client_secret}

    def add_seller(self, name: str) -> Seller:
        with self._lock:
            return self.backend.add_seller(name)

    def add_order(self, spec: OrderSpec, seller: Seller | None = None, *, shipped: bool | None = None,
                  wfs: bool = False) -> dict[str, Any]:
        """A Walmart.com purchase of this seller's items; shipped at once unless told otherwise."""
        with self._lock:
            order = self.backend.add_order(spec, seller or self.seller,
                                           shipped=self.settings.ship_on_order if shipped is None else shipped, wfs=wfs)
            return order_json(order)

    @merchant_action
    def ship_lines(self, purchase_order_id: str, line_numbers: list[str] | None = None) -> dict[str, Any]:
        """The seller ships these lines (all when None): they become Shipped."""
        with self._lock:
            order = self.backend.orders[purchase_order_id]
            self.backend.ship(order, line_numbers)
            return order_json(order)

    @merchant_action
    def refund_in_seller_center(self, purchase_order_id: str, *, units: dict[str, int] | None = None,
                                shipping: bool = False, amount: Decimal | None = None) -> dict[str, Any]:
        """The seller refunds units of lines, the shipping, or an amount in Seller Center: the same rules
        as the API (an unshipped line is refused). Raises ``WalmartError``."""
        with self._lock:
            order = self.backend.orders[purchase_order_id]
            return order_json(self.backend.seller_center_refund(order, units or {}, shipping, amount))

    def order(self, purchase_order_id: str) -> dict[str, Any]:
        with self._lock:
            return order_json(self.backend.orders[purchase_order_id])

    # --- platform-wide checks --------------------------------------------------------------
    def authenticate(self, call: Call) -> Seller:
        self._require_headers(call.request)
        seller = self._seller_of(call.request)
        if seller is None:
            raise WalmartError(401, "UNAUTHORIZED", "The access token is missing, invalid or expired; "
                                                    "get a new one from POST /v3/token.")
        return seller

    @staticmethod
    def _require_headers(request: httpx.Request) -> None:
        for name in ("WM_SVC.NAME", "WM_QOS.CORRELATION_ID"):
            value = request.headers.get(name, "")
            if not value.strip():
                raise WalmartError(400, "MISSING_REQUEST_HEADER", f"The {name} header is required.", name)

    def _seller_of(self, request: httpx.Request) -> Seller | None:
        return self.backend.seller_for_token(request.headers.get("WM_SEC.ACCESS_TOKEN", ""))

    def tenant_of(self, request: httpx.Request) -> str | None:
        with self._lock:
            seller = self._seller_of(request)
            if seller is None and request.url.path == "/v3/token":
                client_id = self._basic(request)[0]
                seller = self.backend.sellers.get(client_id or "")
        return seller.id if seller else None

    @staticmethod
    def _basic(request: httpx.Request) -> tuple[str | None, str | None]:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return None, None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else (None, None)

    def render_error(self, err: WalmartError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, {"errors": [error_entry(err)]})

    def no_route(self, request: httpx.Request) -> WalmartError:
        return WalmartError(404, "URI_NOT_FOUND", f"There is no endpoint {request.method} {request.url.path}.")

    def bad_request(self, message: str) -> WalmartError:
        return WalmartError(400, "INVALID_REQUEST", message)

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and "errors" in body):
            code = _ERROR_KINDS.get(status, "SYSTEM_ERROR" if status >= 500 else "INVALID_REQUEST")
            body = {"errors": [{"code": code, "message": str(body), "category": "SYSTEM" if status >= 500 else "DATA",
                                "severity": "ERROR"}]}
        return json_response(status, body, headers)

    # --- token -----------------------------------------------------------------------------
    @route("POST", r"/v3/token", open=True)
    def issue_token(self, request: httpx.Request) -> httpx.Response:
        self._require_headers(request)   # every route wants them, this one too
        client_id, secret = self._basic(request)
        if client_id is None:
            raise WalmartError(401, "UNAUTHORIZED", "Send the client id and secret as HTTP Basic authorization.")
        try:
            form = dict(parse_qsl(request.content.decode("utf-8"), strict_parsing=False))
        except UnicodeDecodeError:
            raise invalid("The body must be a form: grant_type=client_credentials.", "grant_type") from None
        if form.get("grant_type") != "client_credentials":
            raise invalid("grant_type must be client_credentials.", "grant_type", code="INVALID_REQUEST_PARAM")
        token, ttl = self.backend.issue_token(client_id, secret or "")
        return json_response(200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl})

    # --- orders ----------------------------------------------------------------------------
    @route("GET", r"/v3/orders")
    def get_all_orders(self, request: httpx.Request, seller: Seller) -> httpx.Response:
        params = dict(request.url.params)
        if "nextCursor" in params:   # the cursor is the query string of the next page
            cursor = params.pop("nextCursor")
            params = dict(parse_qsl(cursor.lstrip("?")))
        known = {"createdStartDate", "createdEndDate", "lastModifiedStartDate", "lastModifiedEndDate", "limit",
                 "hasMoreElements", "soIndex"}
        unknown = sorted(set(params) - known)
        if unknown:   # refused, so a test never reads a filter as applied
            raise invalid(f"This simulator does not filter orders by {', '.join(unknown)}.", unknown[0],
                          code="INVALID_REQUEST_PARAM")
        times = {name: safe.parse_time(params[name], name) if params.get(name) else None
                 for name in ("createdStartDate", "createdEndDate", "lastModifiedStartDate", "lastModifiedEndDate")}
        limit = safe.parse_id(params.get("limit", str(DEFAULT_LIMIT)), "limit", max_digits=4)
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid(f"limit must be between 1 and {MAX_LIMIT}.", "limit", code="INVALID_REQUEST_PARAM")
        limit = self.page_limit(limit)
        offset = safe.parse_id(params.get("soIndex", "0"), "soIndex", max_digits=9)
        found = self.backend.list_orders(seller, created_start=times["createdStartDate"],
                                         created_end=times["createdEndDate"],
                                         modified_start=times["lastModifiedStartDate"],
                                         modified_end=times["lastModifiedEndDate"])
        found = listing.visible(found, lambda o: o.last_modified)
        page = found[offset:offset + limit]
        meta: dict[str, Any] = {"totalCount": len(found), "limit": limit}
        if offset + limit < len(found):
            following = {k: v for k, v in params.items() if k not in ("soIndex", "hasMoreElements")}
            meta["nextCursor"] = "?" + urlencode({**following, "limit": limit, "hasMoreElements": "true",
                                                   "soIndex": offset + limit})
        return json_response(200, {"list": {"meta": meta, "elements": {"order": [order_json(o) for o in page]}}})

    @route("GET", r"/v3/orders/(?P<purchase_order_id>[^/]+)")
    def get_order(self, request: httpx.Request, seller: Seller, purchase_order_id: str) -> httpx.Response:
        return json_response(200, {"order": order_json(self.backend.order(seller, purchase_order_id))})

    @route("POST", r"/v3/orders/(?P<purchase_order_id>[^/]+)/refund")
    def refund_order_lines(self, request: httpx.Request, seller: Seller, purchase_order_id: str) -> httpx.Response:
        order = self.backend.order(seller, purchase_order_id)
        body = read_json(request, lambda message: WalmartError(400, "MALFORMED_REQUEST_CONTENT", message))
        asked = parse_refund(body, order)
        return json_response(200, {"order": order_json(self.backend.refund(seller, purchase_order_id, asked))})
