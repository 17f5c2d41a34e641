"""Amazon Selling Partner API over httpx (moto's ``responses``): Orders v0 and Finances v0, and the
Seller Central control plane (refunds, settlement reports).

Wire rules kept here: the LWA access token in ``x-amz-access-token``; Orders money is
``{"CurrencyCode", "Amount": "<decimal string>"}``, Finances money ``{"CurrencyCode",
"CurrencyAmount": <number>}``; every answer wraps its data in ``payload``; timestamps ISO 8601 UTC;
pages go on with an opaque ``NextToken``; every error is ``{"errors": [{"code", "message", "details"}]}``.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

import httpx

from common import jsonio, money
from common.clock import Clock, isoformat
from simulators.core import listing, safe
from simulators.core.cursors import CursorCodec
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, route
from simulators.core.faults import OBSERVER_HEADER
from simulators.core.orders import OrderSpec
from simulators.amazon.models import (
    RATE_LIMITS,
    MARKETPLACE_IDS, AmazonBackend, AmazonError, AmazonSettings, Order, RefundEvent, Seller, invalid,
)

HOST = "sellingpartnerapi-na.amazon.com"
ORDER_ID = re.compile(r"\d{3}-\d{7}-\d{7}")
# PostedBefore, and the newest PostedAfter, may be no later than two minutes before the request
NEWEST = timedelta(minutes=2)
MAX_RANGE = timedelta(days=180)
UNAUTHORIZED = ("Unauthorized", "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid.")


# --- rendering ---------------------------------------------------------------------------------

def order_money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": money.format_amount(amount, currency)}


def event_money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"CurrencyCode": currency, "CurrencyAmount": money.amount(amount, currency)}


def order_json(o: Order) -> dict[str, Any]:
    shipped = sum(i.quantity for i in o.items) if o.status == "Shipped" else 0
    return {
        "AmazonOrderId": o.amazon_order_id, "SellerOrderId": o.seller_order_id,
        "PurchaseDate": isoformat(o.purchase_date), "LastUpdateDate": isoformat(o.last_update_date),
        "OrderStatus": o.status, "FulfillmentChannel": "MFN", "SalesChannel": o.marketplace_name,
        "OrderType": "StandardOrder", "MarketplaceId": o.marketplace_id,
        "OrderTotal": order_money(o.total, o.currency),
        "NumberOfItemsShipped": shipped, "NumberOfItemsUnshipped": sum(i.quantity for i in o.items) - shipped,
        "PaymentMethod": "Other", "PaymentMethodDetails": ["Invoice" if o.invoice else "Standard"],
        "IsBusinessOrder": o.invoice, "IsPrime": False, "IsPremiumOrder": False,
        "BuyerInfo": {"BuyerEmail": o.buyer_email},
    }


def order_item_json(o: Order, index: int) -> dict[str, Any]:
    item, cur = o.items[index], o.currency
    return {
        "ASIN": f"B0{item.order_item_id[:8]}", "SellerSKU": item.sku, "OrderItemId": item.order_item_id,
        "Title": item.title, "QuantityOrdered": item.quantity,
        "QuantityShipped": item.quantity if o.status == "Shipped" else 0,
        "ItemPrice": order_money(item.item_price, cur),
        "ItemTax": order_money(item.item_tax + item.promotion_discount_tax, cur),
        "PromotionDiscount": order_money(item.promotion_discount, cur),
        "PromotionDiscountTax": order_money(item.promotion_discount_tax, cur),
        "ShippingPrice": order_money(item.shipping_price, cur), "ShippingTax": order_money(item.shipping_tax, cur),
        "ShippingDiscount": order_money(money.ZERO, cur),
        "PromotionIds": [f"PLM-{item.sku}"] if item.promotion_discount else [],
    }


def refund_event_json(e: RefundEvent) -> dict[str, Any]:
    return {
        "AmazonOrderId": e.amazon_order_id, "SellerOrderId": e.seller_order_id,
        "MarketplaceName": e.marketplace_name, "PostedDate": isoformat(e.posted_date),
        "ShipmentItemAdjustmentList": [{
            "SellerSKU": a.sku, "OrderItemId": a.order_item_id, "OrderAdjustmentItemId": a.order_adjustment_item_id,
            "QuantityShipped": a.quantity,
            "ItemChargeAdjustmentList": [{"ChargeType": kind, "ChargeAmount": event_money(value, e.currency)}
                                         for kind, value in a.charges],
            "PromotionAdjustmentList": [{"PromotionType": "PromotionMetaDataDefinitionValue", "PromotionId": pid,
                                         "PromotionAmount": event_money(value, e.currency)}
                                        for pid, value in a.promotions],
            # the referral fee Amazon gives back to the seller on a refund (seller's money, not the buyer's)
            "ItemFeeAdjustmentList": [{"FeeType": "Commission", "FeeAmount": event_money(
                money.round_amount(-sum((v for k, v in a.charges if k == "Principal"), money.ZERO)
                                   * Decimal("0.15"), e.currency), e.currency)}],
        } for a in e.items],
    }


def financial_events(refunds: list[RefundEvent]) -> dict[str, Any]:
    """FinancialEvents with the refund list filled; the other event lists are not modelled (empty)."""
    return {"ShipmentEventList": [], "RefundEventList": [refund_event_json(e) for e in refunds],
            "GuaranteeClaimEventList": [], "ChargebackEventList": [], "AdjustmentEventList": [],
            "ServiceFeeEventList": []}


# --- paging -------------------------------------------------------------------------------------

# Opaque NextTokens carrying the offset and the query they continue: Amazon takes a NextToken alone
# (the other filters are not sent again).
NEXT_TOKENS = CursorCodec(lambda token: invalid("Invalid NextToken.", "NextToken is not one this API handed out."),
                          padded=True)


def _continued(state: Any) -> bool:
    offset, query = (state.get("o"), state.get("q")) if isinstance(state, dict) else (None, None)
    return (isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0 and isinstance(query, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in query.items()))


def _query(params: httpx.QueryParams) -> tuple[dict[str, str], int]:
    """The filters of a listing and where its page starts: from the NextToken when one is given."""
    token = params.get("NextToken")
    if token is not None:
        state = NEXT_TOKENS.decode(token, _continued)
        return state["q"], state["o"]
    return {k: v for k, v in params.items() if k != "NextToken"}, 0


def _page(items: list[Any], query: dict[str, str], offset: int,
          page_limit: Callable[[int], int]) -> tuple[list[Any], dict]:
    size = _int(query.get("MaxResultsPerPage"), "MaxResultsPerPage", 100)
    if not 1 <= size <= 100:
        raise invalid("MaxResultsPerPage must be between 1 and 100.")
    size = page_limit(size)   # the page the server answers; the NextToken goes on from its end
    page = items[offset:offset + size]
    more = {"NextToken": NEXT_TOKENS.encode({"o": offset + size, "q": query})} if offset + size < len(items) else {}
    return page, more


def _int(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    return safe.parse_id(raw, name, max_digits=4)


def _time(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        return safe.parse_time(raw, name)
    except safe.BadInput as exc:
        raise invalid(f"Invalid {name}.", str(exc)) from None


class AmazonSimulator(Simulator):
    platform = "amazon"
    error_type = AmazonError
    tenant_keyword = "seller"
    fault_errors = {"quota_exceeded": lambda status: AmazonError(
        status, "QuotaExceeded", "You exceeded your quota for the requested resource.")}

    def __init__(self, *, clock: Clock | None = None, seed: int = 0) -> None:
        self.settings = AmazonSettings()
        super().__init__(hosts=[HOST], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self.backend = AmazonBackend(self.record_clock, seed, self.settings)
        self.seller = self.backend.add_seller("Acme Outfitters")

    # --- control plane: Seller Central ------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"access_token": self.seller.access_token, "seller_id": self.seller.seller_id}

    def add_seller(self, name: str) -> Seller:
        with self._lock:
            return self.backend.add_seller(name)

    def add_order(self, spec: OrderSpec, seller: Seller | None = None) -> dict[str, Any]:
        """A checkout; returns the order as the Orders API shows it (its items: ``order_items``)."""
        with self._lock:
            return _wire(order_json(self.backend.add_order(spec, seller or self.seller)))

    def order_items(self, order_id: str) -> list[dict[str, Any]]:
        """The order's items as getOrderItems shows them."""
        with self._lock:
            order = self.backend.orders[order_id]
            return [_wire(order_item_json(order, n)) for n in range(len(order.items))]

    @merchant_action
    def refund_in_seller_central(self, order_id: str, units: dict[str, int], *, shipping: bool = False,
                                 amount: Decimal | None = None) -> dict[str, Any]:
        """The seller refunds in Seller Central; the settlement report follows at once unless
        ``settings.settle_at_once`` is off. Returns the refund event as the Finances API will show it.
        Raises ``AmazonError`` where Amazon would refuse."""
        with self._lock:
            order = self.backend.orders.get(order_id)
            if order is None:
                raise KeyError(f"no Amazon order {order_id!r}")
            event = self.backend.refund_in_seller_central(order, units, shipping=shipping, amount=amount)
            if self.settings.settle_at_once:
                self.backend.generate_settlement_report(order.seller_id)
            return _wire(refund_event_json(event))

    @merchant_action
    def generate_settlement_report(self, seller_id: str | None = None) -> int:
        """Amazon generates the settlement report; returns how many refunds it released."""
        with self._lock:
            return sum(r.refunds for r in self.backend.generate_settlement_report(seller_id))

    # --- platform-wide checks --------------------------------------------------------------
    def authenticate(self, call: Call) -> Seller:
        seller = self._seller_of(call.request)
        if seller is None:
            raise AmazonError(403, *UNAUTHORIZED)
        if not call.request.headers.get(OBSERVER_HEADER):   # the harness's own reads spend no quota
            self.backend.throttle(seller, call.operation)
        # SP-API names the operation's rate (requests per second) on its answers too, not only on a 429
        limit = RATE_LIMITS.get(call.operation)
        if limit is not None:
            call.headers["x-amzn-RateLimit-Limit"] = str(limit[0])
        call.headers["x-amzn-RequestId"] = "sim"
        return seller

    def _seller_of(self, request: httpx.Request) -> Seller | None:
        return self.backend.seller_for_token(request.headers.get("x-amz-access-token", ""))

    def tenant_of(self, request: httpx.Request) -> str | None:
        with self._lock:
            seller = self._seller_of(request)
        return seller.seller_id if seller else None

    def render_error(self, err: AmazonError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, {"errors": [{"code": err.code, "message": err.message,
                                                       "details": err.details}]}, err.headers)

    def injected_error(self, status: int, error: str | None = None) -> Exception:
        """A 403 fault is Amazon's answer to an access token the seller revoked: Unauthorized, with the
        reason in ``details`` (as the real API gives it); other statuses as the base renders them."""
        if error is None and status == 403:
            return AmazonError(403, *UNAUTHORIZED)
        return super().injected_error(status, error)

    def no_route(self, request: httpx.Request) -> AmazonError:
        return AmazonError(404, "NotFound", f"Resource {request.url.path} is not found.")

    def bad_request(self, message: str) -> AmazonError:
        return invalid(message)

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and "errors" in body):
            code = {403: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed", 429: "QuotaExceeded"}.get(
                status, "InternalFailure" if status >= 500 else "InvalidInput")
            body = {"errors": [{"code": code, "message": str(body), "details": ""}]}
        return json_response(status, body, {"x-amzn-RequestId": "sim", **headers})

    def _order(self, seller: Seller, order_id: str) -> Order:
        if not ORDER_ID.fullmatch(order_id):
            raise invalid(f"Invalid AmazonOrderId: {order_id[:40]!r}.", "An order id looks like 123-1234567-1234567.")
        return self.backend.order(seller, order_id)

    # --- Orders v0 -------------------------------------------------------------------------
    @route("GET", r"/orders/v0/orders")
    def getOrders(self, request: httpx.Request, seller: Seller) -> httpx.Response:
        params, offset = _query(request.url.params)
        if not params.get("MarketplaceIds"):
            raise invalid("MarketplaceIds is required.")
        marketplaces = set(params["MarketplaceIds"].split(","))
        unknown = sorted(marketplaces - MARKETPLACE_IDS)
        if unknown:
            raise invalid(f"Invalid MarketplaceIds: {unknown[0][:40]}.")
        created, updated = _time(params.get("CreatedAfter"), "CreatedAfter"), _time(params.get("LastUpdatedAfter"), "LastUpdatedAfter")
        if (created is None) == (updated is None):
            raise invalid("Exactly one of CreatedAfter and LastUpdatedAfter is required.")
        field_name = "purchase_date" if created is not None else "last_update_date"
        before_name = "CreatedBefore" if created is not None else "LastUpdatedBefore"
        before = _time(params.get(before_name), before_name)
        latest = self.clock.now() - NEWEST
        if before is not None and before > latest:
            raise invalid(f"{before_name} must be no later than two minutes before the request.")
        if offset == 0:   # a listing is pinned to the moment it started; its pages go on from there
            params = {**params, before_name: isoformat(before or latest)}
            before = before or latest
        found = self.backend.list_orders(seller, marketplaces, field_name=field_name,
                                         after=created or updated, before=before)  # type: ignore[arg-type]
        found = listing.visible(found, lambda o: o.last_update_date)
        page, more = _page(found, params, offset, self.page_limit)
        return json_response(200, {"payload": {"Orders": [order_json(o) for o in page], **more,
                                               before_name: params[before_name]}})

    @route("GET", r"/orders/v0/orders/(?P<order_id>[^/]+)")
    def getOrder(self, request: httpx.Request, seller: Seller, order_id: str) -> httpx.Response:
        return json_response(200, {"payload": order_json(self._order(seller, order_id))})

    @route("GET", r"/orders/v0/orders/(?P<order_id>[^/]+)/orderItems")
    def getOrderItems(self, request: httpx.Request, seller: Seller, order_id: str) -> httpx.Response:
        order = self._order(seller, order_id)
        params, offset = _query(request.url.params)
        items, more = _page(list(range(len(order.items))), params, offset, self.page_limit)
        return json_response(200, {"payload": {"AmazonOrderId": order_id, **more,
                                               "OrderItems": [order_item_json(order, n) for n in items]}})

    # --- Finances v0 -----------------------------------------------------------------------
    @route("GET", r"/finances/v0/financialEvents")
    def listFinancialEvents(self, request: httpx.Request, seller: Seller) -> httpx.Response:
        params, offset = _query(request.url.params)
        after, before = _time(params.get("PostedAfter"), "PostedAfter"), _time(params.get("PostedBefore"), "PostedBefore")
        latest = self.clock.now() - NEWEST
        if before is not None and before > latest and offset == 0:
            raise invalid("PostedBefore must be no later than two minutes before the request was submitted.")
        if before is None:   # pinned, so the pages of one listing agree
            before = latest
            params = {**params, "PostedBefore": isoformat(before)}
        if after is not None and after > before:
            raise invalid("PostedAfter must be before PostedBefore.")
        if after is not None and before - after > MAX_RANGE:
            raise invalid("The date range between PostedAfter and PostedBefore must be at most 180 days.")
        found = listing.visible(self.backend.refund_events(seller, after=after, before=before), lambda e: e.posted_date)
        page, more = _page(found, params, offset, self.page_limit)
        return json_response(200, {"payload": {**more, "FinancialEvents": financial_events(page)}})

    @route("GET", r"/finances/v0/orders/(?P<order_id>[^/]+)/financialEvents")
    def listFinancialEventsByOrderId(self, request: httpx.Request, seller: Seller, order_id: str) -> httpx.Response:
        order = self._order(seller, order_id)
        params, offset = _query(request.url.params)
        found = listing.visible(self.backend.refund_events(seller, order_id=order.amazon_order_id),
                                lambda e: e.posted_date)
        page, more = _page(found, params, offset, self.page_limit)
        return json_response(200, {"payload": {**more, "FinancialEvents": financial_events(page)}})


def _wire(payload: Any) -> Any:
    """What a client parses off the wire: control-plane answers look the same."""
    return jsonio.loads(jsonio.dumps(payload))
