"""eBay's Sell Fulfillment API over httpx (moto's ``responses``): getOrder, getOrders, issueRefund,
and the control plane (buyer requests, Seller Hub refunds, settling refunds).

Wire rules kept here: amounts are ``{"value": "24.50", "currency": "USD"}`` (a string in the
currency's decimals), timestamps ISO 8601 with milliseconds and Z, auth ``Authorization: Bearer
<user access token>``, and every error ``{"errors": [{"errorId", "domain", "category", "message",
"longMessage"?, "parameters"?}]}``.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from common import jsonio, money
from common.clock import Clock
from simulators.core import listing, safe
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, read_json, route
from simulators.core.faults import OBSERVER_HEADER
from simulators.core.orders import OrderSpec
from simulators.ebay.models import (
    COMMENT_MAX, FAILED, REASONS, REFUNDED, EbayBackend, EbayError, EbaySettings, ExternalTransaction, Order,
    Refund, RefundAsked, Seller, refused,
)

HOST = "api.ebay.com"
BASE = "/sell/fulfillment/v1"
UNAUTHORIZED = dict(status=401, error_id=1001, message="Invalid access token", domain="OAuth",
                    long_message="Invalid access token. Check the value of the Authorization HTTP request header.")
LIMIT_DEFAULT, LIMIT_MAX, ORDER_IDS_MAX = 50, 200, 50
DEFAULT_WINDOW = timedelta(days=90)
FILTER = re.compile(r"(?P<name>[a-z]+):(?P<value>\[[^\]]*\]|\{[^}]*\})")
_REASONS_TEXT = ", ".join(REASONS)


# --- rendering ---------------------------------------------------------------------------------

def amount_json(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": money.format_amount(value, currency), "currency": currency}


def stamp(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def payment_status(order: Order, backend: EbayBackend) -> str:
    if not order.paid:
        return "PENDING"
    refunded = sum((r.amount for r in backend.order_refunds(order) if r.status == REFUNDED), money.ZERO)
    if not refunded:
        return "PAID"
    return "FULLY_REFUNDED" if refunded >= order.total else "PARTIALLY_REFUNDED"


def order_json(order: Order, backend: EbayBackend) -> dict[str, Any]:
    cur = order.currency
    refunds = backend.order_refunds(order)
    lines = []
    for line in order.lines:
        entry: dict[str, Any] = {
            "lineItemId": line.line_item_id, "legacyItemId": line.legacy_item_id, "sku": line.sku,
            "title": line.title, "quantity": line.quantity, "soldFormat": "FIXED_PRICE",
            "lineItemCost": amount_json(line.cost, cur),
            "appliedPromotions": ([{"description": "Seller discount", "discountAmount": amount_json(line.discount, cur)}]
                                  if line.discount else []),
            "deliveryCost": {"shippingCost": amount_json(line.shipping, cur)},
            "taxes": [{"amount": amount_json(line.tax, cur)}] if line.tax else [],
            "total": amount_json(line.total, cur), "lineItemFulfillmentStatus": "NOT_STARTED",
            # a line-level refund is listed here, with its id; its date once it has been issued
            "refunds": [{"refundId": r.refund_id, "amount": amount_json(r.lines[line.line_item_id], cur),
                         **({"refundDate": stamp(r.refunded)} if r.refunded else {})}
                        for r in refunds if line.line_item_id in r.lines],
        }
        if line.discount:
            entry["discountedLineItemCost"] = amount_json(line.cost - line.discount, cur)
        lines.append(entry)
    subtotal = sum((line.cost for line in order.lines), money.ZERO)
    discount = sum((line.discount for line in order.lines), money.ZERO)
    delivery = sum((line.shipping for line in order.lines), money.ZERO)
    tax = sum((line.tax + line.shipping_tax for line in order.lines), money.ZERO)
    pricing: dict[str, Any] = {"priceSubtotal": amount_json(subtotal, cur), "deliveryCost": amount_json(delivery, cur),
                               "total": amount_json(order.total, cur)}
    if discount:
        pricing["priceDiscount"] = amount_json(-discount, cur)
    if tax:
        pricing["tax"] = amount_json(tax, cur)
    payments = [{"paymentMethod": order.payment_method, "amount": amount_json(order.total, cur),
                 "paymentStatus": "PAID" if order.paid else "PENDING",
                 **({"paymentDate": stamp(order.created)} if order.paid else {})}]
    return {
        "orderId": order.order_id, "creationDate": stamp(order.created), "lastModifiedDate": stamp(order.modified),
        "orderFulfillmentStatus": "NOT_STARTED", "orderPaymentStatus": payment_status(order, backend),
        "sellerId": order.seller, "buyer": {"username": order.buyer},
        "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
        "pricingSummary": pricing,
        # an order-level refund carries its refundId here; a line-level one only its amount and status
        "paymentSummary": {"payments": payments, "refunds": [_order_refund(r) for r in refunds],
                           "totalDueSeller": amount_json(order.total, cur)},
        "lineItems": lines,
    }


def _order_refund(r: Refund) -> dict[str, Any]:
    entry: dict[str, Any] = {"refundStatus": r.status, "amount": amount_json(r.amount, r.currency)}
    if not r.lines:
        entry["refundId"] = r.refund_id
    if r.refunded:
        entry["refundDate"] = stamp(r.refunded)
        entry["refundReferenceId"] = r.reference_id
    return entry


def as_wire(payload: Any) -> Any:
    return jsonio.loads(jsonio.dumps(payload))


# --- parsing -----------------------------------------------------------------------------------

def _body(request: httpx.Request) -> dict[str, Any]:
    if not request.content:
        raise refused(34902, "Request can't be empty.")
    body = read_json(request, lambda msg: refused(34902, "Request can't be empty.", msg[:200]))
    if not isinstance(body, dict) or not body:
        raise refused(34902, "Request can't be empty.", "The request body must be a JSON object.")
    return body


def parse_amount(raw: Any, where: str) -> tuple[Decimal, str]:
    if not isinstance(raw, dict):
        raise refused(34906, "The amount value must be specified.", f"{where} must be an object with value and currency.")
    value, currency = raw.get("value"), raw.get("currency")
    if value is None or value == "":
        raise refused(34906, "The amount value must be specified.", f"{where}.value is missing.")
    if currency is None or currency == "":
        raise refused(34908, "The amount currency must be specified.", f"{where}.currency is missing.")
    if not isinstance(currency, str) or currency not in money.MINOR_UNITS:
        raise refused(34909, "The amount currency isn't correct.", f"{where}.currency {str(currency)[:8]!r} is not a currency.")
    bad = refused(34907, "The amount value must be positive and within two decimals.",
                  f"{where}.value {str(value)[:40]!r} is not a positive amount in {currency}.")
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,3})?", value):
        raise bad   # a string of digits, as eBay writes amounts; not a JSON number
    parsed = Decimal(value)
    places = -parsed.as_tuple().exponent  # type: ignore[operator]
    if parsed <= 0 or places > min(2, money.exponent(currency)):
        raise bad
    return parsed, currency


def parse_issue_refund(order_id: str, body: dict[str, Any]) -> RefundAsked:
    reason = body.get("reasonForRefund")
    if reason is None or reason == "":
        raise refused(34903, "The refund reason must be specified.")
    if reason not in REASONS:
        raise refused(34903, "The refund reason must be specified.",
                      f"reasonForRefund {str(reason)[:40]!r} is not one of {_REASONS_TEXT}.")
    comment = body.get("comment", "")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise refused(34921, "The comment exceeds the length limit.", "comment must be text.")
    if len(comment) > COMMENT_MAX:
        raise refused(34921, "The comment exceeds the length limit.",
                      f"comment holds at most {COMMENT_MAX} characters; it has {len(comment)}.")
    order_level, items = body.get("orderLevelRefundAmount"), body.get("refundItems")
    if (order_level is None) == (items is None or items == []):
        raise refused(34905, "Either orderLevelRefundAmount or refundItems must be specified.",
                      "Give exactly one of orderLevelRefundAmount and refundItems.")
    if order_level is not None:
        amount, currency = parse_amount(order_level, "orderLevelRefundAmount")
        return RefundAsked(order_id, reason, comment, currency, amount, ())
    if not isinstance(items, list):
        raise refused(34910, "Either legacyReference or lineItemId must be specified for item level refund.",
                      "refundItems must be an array.")
    lines: dict[str, Decimal] = {}
    currencies = set()
    for index, item in enumerate(items):
        where = f"refundItems[{index}]"
        if not isinstance(item, dict):
            raise refused(34910, "Either legacyReference or lineItemId must be specified for item level refund.",
                          f"{where} must be an object.")
        if "legacyReference" in item:
            raise refused(34910, "Either legacyReference or lineItemId must be specified for item level refund.",
                          "This simulator identifies lines by lineItemId only; legacyReference is not modelled.")
        line_item_id = item.get("lineItemId")
        if not isinstance(line_item_id, str) or not line_item_id:
            raise refused(34910, "Either legacyReference or lineItemId must be specified for item level refund.",
                          f"{where}.lineItemId is missing.")
        amount, currency = parse_amount(item.get("refundAmount"), f"{where}.refundAmount")
        currencies.add(currency)
        lines[line_item_id] = lines.get(line_item_id, money.ZERO) + amount
    if len(currencies) > 1:
        raise refused(34909, "The amount currency isn't correct.", "Every refundAmount must be in one currency.")
    return RefundAsked(order_id, reason, comment, currencies.pop(), None, tuple(lines.items()))


def _parse_time(text: str) -> datetime:
    try:
        return safe.parse_time(text, "date")
    except safe.BadInput:
        raise refused(30810, "Invalid date format", f"{text[:40]!r} is not an ISO 8601 time.") from None


def parse_filter(raw: str | None, now: datetime) -> tuple[str, datetime, datetime | None]:
    """getOrders ``filter``: (record field, start, end). Without a filter: created in the last 90 days."""
    if not raw:
        return "created", now - DEFAULT_WINDOW, None
    ranges: dict[str, str] = {}
    for part in raw.split(","):
        m = FILTER.fullmatch(part.strip())
        if m is None:
            raise refused(30700, "Invalid filter name: " + part.split(":")[0][:40], parameters_for(part))
        name = m.group("name")
        if name == "orderfulfillmentstatus":
            if m.group("value") not in ("{NOT_STARTED|IN_PROGRESS}", "{FULFILLED|IN_PROGRESS}"):
                raise refused(30800, f"Invalid filter value {m.group('value')[:40]} for filter {name}")
            continue
        if name not in ("creationdate", "lastmodifieddate"):
            raise refused(30700, f"Invalid filter name: {name[:40]}")
        ranges[name] = m.group("value")
    if not ranges:
        return "created", now - DEFAULT_WINDOW, None
    name = "creationdate" if "creationdate" in ranges else "lastmodifieddate"   # creationdate wins, as documented
    start_text, sep, end_text = ranges[name][1:-1].partition("..")
    if not sep:
        raise refused(30800, f"Invalid filter value {ranges[name][:60]} for filter {name}")
    if not start_text:
        raise refused(30820, "Start date is missing")
    start = _parse_time(start_text)
    end = _parse_time(end_text) if end_text else None
    if end is not None and start > end:
        raise refused(30840, "Start date should be before end date")
    if start > now:
        raise refused(30850, "Start and end dates can't be in the future")
    return ("created" if name == "creationdate" else "modified"), start, end


def parameters_for(part: str) -> str:
    return f"Filters are creationdate:[start..end], lastmodifieddate:[start..end] or orderfulfillmentstatus:{{...}}; " \
           f"not {part[:40]!r}."


def _count(raw: str | None, default: int, error_id: int, name: str, maximum: int | None = None) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or (maximum is not None and not 1 <= int(raw) <= maximum):
        raise refused(error_id, f"Invalid {name}: {raw[:20]}")
    return int(raw)


_ERRORS_BY_STATUS = {
    400: (2004, "ACCESS", "REQUEST", "Invalid request"),
    401: (1001, "OAuth", "REQUEST", "Invalid access token"),
    403: (1100, "ACCESS", "REQUEST", "Access denied"),
    404: (2002, "ACCESS", "REQUEST", "Resource not found"),
    405: (2003, "ACCESS", "REQUEST", "Method not allowed"),
    429: (2001, "ACCESS", "REQUEST", "Too many requests"),
}


class EbaySimulator(Simulator):
    """eBay's Sell Fulfillment API v1 on ``api.ebay.com``."""

    platform = "ebay"
    error_type = EbayError
    tenant_keyword = "seller"

    def __init__(self, clock: Clock | None = None, seed: int = 0) -> None:
        self.settings = EbaySettings()
        super().__init__(hosts=[HOST], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self.backend = EbayBackend(self.record_clock, seed, self.settings)
        self.seller = self.backend.add_seller("acme_outfitters")

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"access_token": self.seller.access_token, "seller": self.seller.username}

    @property
    def access_token(self) -> str:
        return self.seller.access_token

    def add_seller(self, username: str) -> Seller:
        with self._lock:
            return self.backend.add_seller(username)

    def add_order(self, spec: OrderSpec, seller: Seller | None = None) -> dict[str, Any]:
        """A buyer checks out with the seller; the order as getOrder shows it."""
        with self._lock:
            return as_wire(order_json(self.backend.add_order(spec, seller or self.seller), self.backend))

    def order(self, order_id: str) -> dict[str, Any]:
        """The order as the API shows it, without counting as a read."""
        with self._lock:
            return as_wire(order_json(self.backend.orders[order_id], self.backend))

    @merchant_action
    def buyer_requests_refund(self, order_id: str, reason: str = "BUYER_RETURN") -> None:
        """The buyer opens a return or refund request from their eBay account (the Post-Order API's
        part, not served here): the seller's next Seller Hub refund of the order answers it."""
        with self._lock:
            self.backend.request_refund(self.backend.orders[order_id], reason)

    @merchant_action
    def refund_in_seller_hub(self, order_id: str, amount: Decimal | None = None, reason: str = "BUYER_RETURN",
                             comment: str = "", *, lines: dict[str, Decimal] | None = None) -> dict[str, Any]:
        """The seller refunds in Seller Hub: an amount of the order, or (``lines``: line item id ->
        amount) amounts of its line items, as a returned item is refunded. After a buyer request:
        ``{"refundId", "refundStatus"}``, listed on the order (a refund of line items under each line's
        ``refunds``, as issueRefund's ``refundItems`` are). Unasked: ``{"externalTransactionId", ...}``,
        which the Fulfillment API never lists. Raises ``EbayError`` where eBay would refuse it."""
        if (amount is None) == (not lines):
            raise ValueError("give exactly one of amount and lines")
        with self._lock:
            order = self.backend.orders[order_id]
            cur = order.currency
            by_line = tuple((line_item_id, money.amount(value, cur)) for line_item_id, value in (lines or {}).items())
            asked = RefundAsked(order_id, reason, comment, cur,
                                None if amount is None else money.amount(amount, cur), by_line)
            made = self.backend.seller_hub_refund(order, asked)
            if isinstance(made, ExternalTransaction):
                return as_wire(external_json(made))
            return {"refundId": made.refund_id, "refundStatus": made.status}

    def external_transactions(self, order_id: str) -> list[dict[str, Any]]:
        """Seller refunds of the order no buyer asked for (control plane only)."""
        with self._lock:
            return as_wire([external_json(t) for t in self.backend.external.get(order_id, [])])

    @merchant_action
    def complete_refund(self, refund_id: str) -> None:
        """The payment processor completes a pending refund: the money went back."""
        with self._lock:
            self.backend.settle(refund_id, REFUNDED)

    @merchant_action
    def fail_refund(self, refund_id: str) -> None:
        """The payment processor fails a pending refund: no money went back."""
        with self._lock:
            self.backend.settle(refund_id, FAILED)

    # --- platform-wide checks --------------------------------------------------------------
    def authenticate(self, call: Call) -> Seller:
        seller = self._seller_of(call.request)
        if seller is None:
            raise EbayError(**UNAUTHORIZED)
        return seller

    def _seller_of(self, request: httpx.Request) -> Seller | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self.backend.seller_for_token(token) if scheme == "Bearer" else None

    def tenant_of(self, request: httpx.Request) -> str | None:
        with self._lock:
            seller = self._seller_of(request)
        return seller.username if seller else None

    def render_error(self, err: EbayError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, {"errors": [err.as_json()]})

    def no_route(self, request: httpx.Request) -> EbayError:
        return EbayError(404, 2002, "Resource not found", domain="ACCESS",
                         long_message=f"There is no resource {request.method} {request.url.path[:80]}.")

    def bad_request(self, message: str) -> EbayError:
        return EbayError(400, 2004, "Invalid request", domain="ACCESS", long_message=message[:200])

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and "errors" in body):
            error_id, domain, category, message = _ERRORS_BY_STATUS.get(
                status, (30500, "API_FULFILLMENT", "APPLICATION", "System error") if status >= 500
                else (2004, "ACCESS", "REQUEST", "Invalid request"))
            body = {"errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message,
                                "longMessage": str(body)[:200]}]}
        return json_response(status, body, headers)

    def _read(self, request: httpx.Request, order: Order) -> Order:
        # the harness's own checks read with the observer header and must not move a refund along
        return order if request.headers.get(OBSERVER_HEADER) else self.backend.read(order)

    # --- orders ----------------------------------------------------------------------------
    @route("GET", BASE + r"/order/(?P<order_id>[^/]+)")
    def get_order(self, request: httpx.Request, seller: Seller, order_id: str) -> httpx.Response:
        groups = request.url.params.get("fieldGroups")
        if groups is not None and groups != "TAX_BREAKDOWN":
            raise refused(32800, f"Invalid field group: {groups[:40]}")
        order = self._read(request, self.backend.order(seller, order_id))
        return json_response(200, order_json(order, self.backend))

    @route("GET", BASE + r"/order")
    def get_orders(self, request: httpx.Request, seller: Seller) -> httpx.Response:
        params = request.url.params
        groups = params.get("fieldGroups")
        if groups is not None and groups != "TAX_BREAKDOWN":
            raise refused(32800, f"Invalid field group: {groups[:40]}")
        ids = params.get("orderIds")
        if ids is not None:   # every other parameter is ignored, as documented
            wanted = [i for i in ids.split(",") if i]
            if len(wanted) > ORDER_IDS_MAX:
                raise refused(30900, "Exceeded maximum number of order IDs (the current limit is 50)")
            found = [o for o in (self.backend.orders.get(i) for i in wanted) if o and o.seller == seller.username]
            return json_response(200, self._page(request, found, 0, len(found) or LIMIT_DEFAULT))
        field_name, start, end = parse_filter(params.get("filter"), self.record_clock.now())
        limit = self.page_limit(_count(params.get("limit"), LIMIT_DEFAULT, 31100, "limit", LIMIT_MAX))
        offset = _count(params.get("offset"), 0, 31000, "offset")
        found = listing.visible(self.backend.search(seller, field_name=field_name, start=start, end=end),
                                lambda o: o.modified)
        return json_response(200, self._page(request, found, offset, limit))

    def _page(self, request: httpx.Request, found: list[Order], offset: int, limit: int) -> dict[str, Any]:
        page = [self._read(request, o) for o in found[offset:offset + limit]]
        href = str(request.url)
        body: dict[str, Any] = {"href": href, "total": len(found), "limit": limit, "offset": offset,
                                "orders": [order_json(o, self.backend) for o in page]}
        if offset + limit < len(found):
            body["next"] = str(request.url.copy_merge_params({"offset": str(offset + limit), "limit": str(limit)}))
        if offset > 0:
            body["prev"] = str(request.url.copy_merge_params({"offset": str(max(0, offset - limit)), "limit": str(limit)}))
        return body

    # --- refunds ---------------------------------------------------------------------------
    @route("POST", BASE + r"/order/(?P<order_id>[^/]+)/issue_refund")
    def issue_refund(self, request: httpx.Request, seller: Seller, order_id: str) -> httpx.Response:
        order = self.backend.order(seller, order_id)
        asked = parse_issue_refund(order_id, _body(request))
        refund = self.backend.issue(order, asked, "api")
        return json_response(200, {"refundId": refund.refund_id, "refundStatus": refund.status})


def external_json(t: ExternalTransaction) -> dict[str, Any]:
    return {"externalTransactionId": t.transaction_id, "orderId": t.order_id,
            "amount": amount_json(t.amount, t.currency), "reasonForRefund": t.reason,
            "transactionDate": stamp(t.created)}
