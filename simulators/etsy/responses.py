"""Etsy Open API v3 over httpx (moto's ``responses``): shop receipts, and the Shop Manager control
plane (the seller's refunds).

Wire rules kept here: ``x-api-key`` (the app's keystring) and ``Authorization: Bearer <user_id>.<token>``
on every request; money is ``{"amount": <integer minor units>, "divisor": 100, "currency_code"}``;
times are epoch seconds; listings page with ``limit``/``offset`` and answer ``{"count", "results"}``;
every error is ``{"error": "..."}``; every answer carries the rate-limit headers.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from common import jsonio, money
from common.clock import Clock
from simulators.core import listing, safe
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, route
from simulators.core.faults import OBSERVER_HEADER
from simulators.core.orders import OrderSpec
from simulators.etsy.models import EtsyBackend, EtsyError, EtsySettings, Receipt, Shop

HOST = "openapi.etsy.com"
SORT_ON = {"created": "created", "updated": "updated", "receipt_id": "receipt_id"}
SORT_ORDER = {"asc": False, "ascending": False, "up": False, "desc": True, "descending": True, "down": True}
BOOLEAN_FILTERS = ("was_paid", "was_shipped", "was_delivered", "was_canceled")
MIN_TIMESTAMP = 946_684_800   # Etsy refuses times before 2000-01-01


# --- rendering ---------------------------------------------------------------------------------

def money_json(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": money.to_minor(amount, currency), "divisor": 10 ** money.exponent(currency),
            "currency_code": currency}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def receipt_json(r: Receipt) -> dict[str, Any]:
    cur = r.currency
    status = "Paid" if r.is_paid else "Open"
    return {
        "receipt_id": r.receipt_id, "receipt_type": 0, "seller_user_id": r.seller_user_id, "buyer_email": r.buyer_email,
        "name": r.name, "status": status, "payment_method": r.payment_method,
        "is_paid": r.is_paid, "is_shipped": False, "is_gift": False,
        "create_timestamp": epoch(r.created), "created_timestamp": epoch(r.created),
        "update_timestamp": epoch(r.updated), "updated_timestamp": epoch(r.updated),
        "grandtotal": money_json(r.grandtotal, cur), "subtotal": money_json(r.subtotal - r.discount, cur),
        "total_price": money_json(r.subtotal, cur), "total_shipping_cost": money_json(r.shipping, cur),
        "total_tax_cost": money_json(r.tax, cur), "total_vat_cost": money_json(money.ZERO, cur),
        "discount_amt": money_json(r.discount, cur), "gift_wrap_price": money_json(money.ZERO, cur),
        "shipments": [],
        "transactions": [{
            "transaction_id": t.transaction_id, "title": t.title, "receipt_id": r.receipt_id,
            "listing_id": t.listing_id, "sku": t.sku, "quantity": t.quantity, "price": money_json(t.price, cur),
            "shipping_cost": money_json(money.ZERO, cur), "is_digital": False,
            "create_timestamp": epoch(r.created), "created_timestamp": epoch(r.created),
            "paid_timestamp": epoch(r.created) if r.is_paid else None,
        } for t in r.transactions],
        "refunds": [{"amount": money_json(f.amount, cur), "created_timestamp": epoch(f.created), "reason": f.reason,
                     "note_from_issuer": f.note_from_issuer, "status": f.status} for f in r.refunds],
    }


def _int_param(raw: str | None, name: str, *, default: int | None = None, low: int = 0,
               high: int = 2 ** 31 - 1) -> int | None:
    if raw is None:
        return default
    try:
        value = safe.parse_id(raw, name, max_digits=10)
    except safe.BadInput:
        raise EtsyError(400, f"Expected int for '{name}'; got '{raw[:40]}'") from None
    if not low <= value <= high:
        raise EtsyError(400, f"Expected '{name}' to be between {low} and {high}; got {value}")
    return value


def _bool_param(raw: str | None, name: str) -> bool | None:
    if raw is None:
        return None
    # any case: Python clients send True/False, as the str() of a bool
    if raw.lower() not in ("true", "false"):
        raise EtsyError(400, f"Expected bool for '{name}'; got '{raw[:40]}'")
    return raw.lower() == "true"


class EtsySimulator(Simulator):
    platform = "etsy"
    error_type = EtsyError
    tenant_keyword = "shop"
    fault_errors = {"rate_limited": lambda status: EtsyError(status, "You have exceeded your quota.",
                                                             {"retry-after": "1"})}

    def __init__(self, *, clock: Clock | None = None, seed: int = 0) -> None:
        self.settings = EtsySettings()
        super().__init__(hosts=[HOST], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self.backend = EtsyBackend(self.record_clock, seed, self.settings)
        self.shop = self.backend.add_shop("AcmeOutfitters")

    # --- control plane: the Shop Manager ----------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"api_key": self.shop.api_key, "access_token": self.shop.access_token, "shop_id": str(self.shop.shop_id)}

    def add_shop(self, name: str) -> Shop:
        """Another seller's shop on the same host. Every shop here is reached with one app's keystring."""
        with self._lock:
            shop = self.backend.add_shop(name)
            shop = Shop(shop.shop_id, shop.user_id, shop.name, self.shop.api_key, shop.access_token)
            self.backend.shops[shop.shop_id] = shop
            return shop

    def add_order(self, spec: OrderSpec, shop: Shop | None = None) -> dict[str, Any]:
        with self._lock:
            return _wire(receipt_json(self.backend.add_order(spec, shop or self.shop)))

    @merchant_action
    def refund_in_shop_manager(self, receipt_id: int, amount: Decimal, reason: str = "Other",
                               note: str = "") -> dict[str, Any]:
        """The seller refunds an amount of the order in the Shop Manager. Raises ``EtsyError`` where
        Etsy would refuse. Returns the receipt as the API shows it afterwards."""
        with self._lock:
            receipt = self.backend.receipts.get(receipt_id)
            if receipt is None:
                raise KeyError(f"no Etsy receipt {receipt_id!r}")
            self.backend.refund_in_shop_manager(receipt, amount, reason, note)
            return _wire(receipt_json(receipt))

    # --- platform-wide checks --------------------------------------------------------------
    def authenticate(self, call: Call) -> Shop:
        key = call.request.headers.get("x-api-key", "")
        if not self.backend.known_key(key):
            raise EtsyError(403, "Invalid API key")
        scheme, _, token = call.request.headers.get("Authorization", "").partition(" ")
        # the harness's own reads (observer header) do not spend the app's budget
        call.headers.update(self.backend.budget(key, spend=not call.request.headers.get(OBSERVER_HEADER)))
        shop_id = _int_param(call.groups.pop("shop_id"), "shop_id", low=1)
        shop = self.backend.shop_for(key, token) if scheme == "Bearer" else None
        if shop is None:
            raise EtsyError(401, "invalid_token")
        if shop.shop_id != shop_id:
            raise EtsyError(403, "The shop you are requesting does not belong to the user of the token.")
        return shop

    def tenant_of(self, request: httpx.Request) -> str | None:
        """The shop id in the path (what a connector account calls an Etsy store)."""
        parts = request.url.path.split("/")
        return parts[4] if len(parts) > 4 and parts[3] == "shops" else None

    def render_error(self, err: EtsyError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, {"error": err.message}, err.headers)

    def no_route(self, request: httpx.Request) -> EtsyError:
        return EtsyError(404, f"Resource not found: {request.method} {request.url.path}")

    def bad_request(self, message: str) -> EtsyError:
        return EtsyError(400, message)

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not (isinstance(body, dict) and isinstance(body.get("error"), str) and len(body) == 1):
            body = {"error": str(body)}
        return json_response(status, body, headers)

    # --- receipts --------------------------------------------------------------------------
    @route("GET", r"/v3/application/shops/(?P<shop_id>[^/]+)/receipts/(?P<receipt_id>[^/]+)")
    def getShopReceipt(self, request: httpx.Request, shop: Shop, receipt_id: str) -> httpx.Response:
        number = _int_param(receipt_id, "receipt_id", low=1)
        return json_response(200, receipt_json(self.backend.receipt(shop, number)))  # type: ignore[arg-type]

    @route("GET", r"/v3/application/shops/(?P<shop_id>[^/]+)/receipts")
    def getShopReceipts(self, request: httpx.Request, shop: Shop) -> httpx.Response:
        params = request.url.params
        bounds = {name: _int_param(params.get(name), name, low=MIN_TIMESTAMP)
                  for name in ("min_created", "max_created", "min_last_modified", "max_last_modified")}
        limit = self.page_limit(_int_param(params.get("limit"), "limit", default=25, low=1, high=100))
        offset = _int_param(params.get("offset"), "offset", default=0)
        sort_on = params.get("sort_on", "created")
        if sort_on not in SORT_ON:
            raise EtsyError(400, f"Expected 'sort_on' to be one of created, updated, receipt_id; got '{sort_on[:40]}'")
        sort_order = params.get("sort_order", "desc")
        if sort_order not in SORT_ORDER:
            raise EtsyError(400, "Expected 'sort_order' to be one of asc, ascending, desc, descending, up, down; "
                                 f"got '{sort_order[:40]}'")
        flags = {name: _bool_param(params.get(name), name) for name in BOOLEAN_FILTERS}
        if flags["was_shipped"] or flags["was_delivered"] or flags["was_canceled"]:
            found: list[Receipt] = []   # nothing is shipped, delivered or canceled here
        else:
            found = [r for r in self.backend.receipts.values() if r.shop_id == shop.shop_id
                     and (flags["was_paid"] is None or r.is_paid == flags["was_paid"])
                     and _within(epoch(r.created), bounds["min_created"], bounds["max_created"])
                     and _within(epoch(r.updated), bounds["min_last_modified"], bounds["max_last_modified"])]

        def key(r: Receipt) -> Any:
            return {"created": (r.created, r.receipt_id), "updated": (r.updated, r.receipt_id),
                    "receipt_id": (r.receipt_id,)}[sort_on]

        found = listing.visible(found, lambda r: r.updated)
        found.sort(key=key, reverse=SORT_ORDER[sort_order])
        page = found[offset:offset + limit]  # type: ignore[operator]
        return json_response(200, {"count": len(found), "results": [receipt_json(r) for r in page]})


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _wire(payload: Any) -> Any:
    return jsonio.loads(jsonio.dumps(payload))
