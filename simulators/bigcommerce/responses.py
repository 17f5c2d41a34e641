"""BigCommerce's HTTP face: ``https://api.bigcommerce.com/stores/{store_hash}/v2|v3/...``.

v2 orders carry money as strings with 4 decimals ("20.0000"), dates in RFC 2822, errors as
``[{"status", "message"}]``, and an empty list answers 204. v3 answers ``{"data", "meta"}``, money as
JSON numbers, errors as ``{"status", "title", "type", "errors"}``. Every call authenticated for a
store carries the four ``X-Rate-Limit-*`` headers; over the store's quota it is 429.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Callable

import httpx

from common import jsonio, money
from common.clock import Clock, isoformat
from common.seeded import IdSource
from simulators.core import listing, safe
from simulators.core.base import AnswerOrRefusal, Call, Simulator, SimulatorError, json_response, merchant_action, read_json, route
from simulators.core.faults import OBSERVER_HEADER, reason
from simulators.core.orders import CustomerSpec, OrderSpec
from simulators.bigcommerce import webhooks
from simulators.bigcommerce.models import (ITEM_TYPES, PAYMENT_METHOD_NAMES, STATUS_DOCS, AskedItem, AskedPayment,
                                           BigCommerceBackend, BigCommerceError, BigCommerceSettings, Hook, Order,
                                           Quote, Refund, Store, unprocessable)

HOST = "api.bigcommerce.com"
STORE = r"/stores/(?P<store_hash>[^/]+)"
ORDER_STATUSES = {4: "Refunded", 7: "Awaiting Payment", 11: "Awaiting Fulfillment", 14: "Partially Refunded"}
MAX_V2_LIMIT = 250
MAX_V3_LIMIT = 250
HOOK_SCOPES = (webhooks.REFUND_CREATED, "store/order/created", "store/order/updated")


def as_wire(payload: Any) -> Any:
    """What a client parses off the wire (numbers as Decimal): control-plane answers look the same."""
    return jsonio.loads(jsonio.dumps(payload))


def _v2_money(value: Decimal) -> str:
    return f"{value:.4f}"


def _v2_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=False)


# --- wire shapes ---------------------------------------------------------------------------------

def order_v2_json(order: Order, store_hash: str) -> dict[str, Any]:
    base = f"https://{HOST}/stores/{store_hash}/v2/orders/{order.id}"
    subtotal_tax = sum((p.tax for p in order.products), money.ZERO)
    return {
        "id": order.id, "customer_id": order.customer.id, "date_created": _v2_date(order.created),
        "date_modified": _v2_date(order.modified), "status_id": order.status_id,
        "status": ORDER_STATUSES.get(order.status_id, "Pending"),
        "subtotal_ex_tax": _v2_money(order.subtotal_ex_tax),
        "subtotal_inc_tax": _v2_money(order.subtotal_ex_tax + subtotal_tax),
        "subtotal_tax": _v2_money(subtotal_tax),
        "base_shipping_cost": _v2_money(order.address.cost_ex_tax),
        "shipping_cost_ex_tax": _v2_money(order.address.cost_ex_tax),
        "shipping_cost_inc_tax": _v2_money(order.address.cost_ex_tax + order.address.cost_tax),
        "shipping_cost_tax": _v2_money(order.address.cost_tax),
        "total_ex_tax": _v2_money(order.total_inc_tax - order.total_tax),
        "total_inc_tax": _v2_money(order.total_inc_tax), "total_tax": _v2_money(order.total_tax),
        "items_total": sum(p.quantity for p in order.products),
        "discount_amount": _v2_money(sum((p.discount for p in order.products), money.ZERO)),
        "payment_method": PAYMENT_METHOD_NAMES.get(order.payment_gateway, order.payment_gateway),
        "payment_status": order.payment_status, "refunded_amount": _v2_money(order.refunded),
        "currency_code": order.currency, "default_currency_code": order.currency,
        "billing_address": {**_address_v2_json(order.billing), "form_fields": []},
        "products": {"url": f"{base}/products", "resource": f"/orders/{order.id}/products"},
        "shipping_addresses": {"url": f"{base}/shipping_addresses", "resource": f"/orders/{order.id}/shipping_addresses"},
    }


def product_v2_json(order: Order, product: Any) -> dict[str, Any]:
    unit_tax = product.tax / product.quantity
    return {"id": product.id, "order_id": order.id, "sku": product.sku, "name": product.name,
            "quantity": product.quantity, "base_price": _v2_money(product.base_price),
            "price_ex_tax": _v2_money(product.base_price),
            "price_inc_tax": _v2_money(product.base_price + unit_tax), "price_tax": _v2_money(unit_tax),
            "total_ex_tax": _v2_money(product.base_price * product.quantity),
            "total_inc_tax": _v2_money(product.net + product.tax), "total_tax": _v2_money(product.tax),
            "applied_discounts": ([{"id": "total-coupon", "amount": _v2_money(product.discount), "name": "Discount",
                                    "code": None, "target": "order"}] if product.discount else []),
            "quantity_refunded": product.refunded_quantity}


def _address_v2_json(who: CustomerSpec) -> dict[str, Any]:
    """An address as v2 orders write it (billingAddress_Base: ``zip`` required, the rest optional)."""
    return {"first_name": who.first_name, "last_name": who.last_name, "company": "", "street_1": who.street,
            "street_2": "", "city": who.city, "state": who.state, "zip": who.zip, "country": who.country,
            "country_iso2": who.country_iso2, "phone": who.phone, "email": who.email}


def address_v2_json(order: Order) -> dict[str, Any]:
    a = order.address
    return {"id": a.id, "order_id": order.id, **_address_v2_json(order.billing),
            "base_cost": _v2_money(a.cost_ex_tax), "cost_ex_tax": _v2_money(a.cost_ex_tax),
            "cost_inc_tax": _v2_money(a.cost_ex_tax + a.cost_tax), "cost_tax": _v2_money(a.cost_tax),
            "shipping_method": "Flat Rate"}


def refund_json(refund: Refund) -> dict[str, Any]:
    return {"id": refund.id, "order_id": refund.order_id, "user_id": refund.user_id,
            "created": isoformat(refund.created), "reason": refund.reason,
            "total_amount": refund.total_amount, "total_tax": refund.total_tax,
            "uses_merchant_override_values": refund.uses_merchant_override_values,
            "payments": [{"id": p.id, "provider_id": p.provider_id, "provider_description": p.provider_description,
                          "amount": p.amount, "offline": p.offline, "is_declined": p.is_declined,
                          "declined_message": p.declined_message} for p in refund.payments],
            # quantity only on the item types that have one ("only populated for item_type PRODUCT")
            "items": [{"item_type": i.item_type, "item_id": i.item_id,
                       **({"quantity": i.quantity} if i.quantity is not None else {}),
                       "requested_amount": None if i.requested_amount is None else f"{i.requested_amount}",
                       "reason": i.reason} for i in refund.items]}


def quote_json(quote: Quote) -> dict[str, Any]:
    return {"order_id": quote.order_id, "total_refund_amount": quote.total_refund_amount,
            "total_refund_tax_amount": quote.total_refund_tax_amount, "rounding": 0, "adjustment": quote.adjustment,
            "tax_inclusive": False, "order_level_refund_amount": quote.order_level_refund_amount,
            "refund_methods": [[option.as_json() for option in method] for method in quote.refund_methods]}


def hook_json(hook: Hook) -> dict[str, Any]:
    return {"id": hook.id, "client_id": hook.client_id, "store_hash": hook.store_hash, "scope": hook.scope,
            "destination": hook.destination, "is_active": hook.is_active, "headers": hook.headers or None,
            "created_at": int(hook.created_at.timestamp()), "updated_at": int(hook.updated_at.timestamp())}


# --- parsing ---------------------------------------------------------------------------------------

def _bad(message: str) -> BigCommerceError:
    return BigCommerceError(400, message)


def _unsupported_media_type(content_type: str | None) -> BigCommerceError:
    # BigCommerce's status codes: 415 when the content-type is unsupported or the header is missing
    return BigCommerceError(415, f"The request's Content-Type ({content_type or 'missing'}) is not supported: "
                                 "send the body as application/json.")


def _object(request: httpx.Request) -> dict[str, Any]:
    body = read_json(request, _bad, not_json=_unsupported_media_type)
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    return body


def _int(value: Any, where: str) -> int:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    try:
        return safe.parse_id(value, where)
    except safe.BadInput as exc:
        raise unprocessable(str(exc)) from None


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return safe.parse_decimal(value, where)
    except safe.BadInput as exc:
        raise unprocessable(str(exc)) from None


def parse_items(raw: Any) -> list[AskedItem]:
    if not isinstance(raw, list) or not raw:
        raise unprocessable("items must be a non-empty array.", items="must be a non-empty array")
    items = []
    for index, entry in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(entry, dict):
            raise unprocessable(f"{where} must be an object.")
        kind = entry.get("item_type")
        if kind not in ITEM_TYPES:
            raise unprocessable(f"{where}.item_type must be one of {', '.join(ITEM_TYPES)}.")
        quantity = entry.get("quantity")
        amount = entry.get("amount")
        reason = entry.get("reason") or ""
        if not isinstance(reason, str):
            raise unprocessable(f"{where}.reason must be a string.")
        items.append(AskedItem(kind, _int(entry.get("item_id"), f"{where}.item_id"),
                               None if quantity is None else _int(quantity, f"{where}.quantity"),
                               None if amount is None else _decimal(amount, f"{where}.amount"), reason[:1000]))
    return items


def parse_payments(raw: Any) -> list[AskedPayment]:
    if not isinstance(raw, list):
        raise unprocessable("payments must be an array.", payments="must be an array")
    payments = []
    for index, entry in enumerate(raw):
        where = f"payments[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("provider_id"), str):
            raise unprocessable(f"{where} must be an object with a provider_id.")
        offline = entry.get("offline", False)
        if not isinstance(offline, bool):
            raise unprocessable(f"{where}.offline must be true or false.")
        payments.append(AskedPayment(entry["provider_id"], _decimal(entry.get("amount"), f"{where}.amount"), offline))
    return payments


def _id_list(text: str | None, where: str) -> list[int] | None:
    if text is None:
        return None
    return [_int(part.strip(), where) for part in text.split(",") if part.strip()] or None


def _time(text: str | None, where: str) -> datetime | None:
    if text is None:
        return None
    try:
        return safe.parse_time(text, where)
    except safe.BadInput:
        pass
    try:   # v2 also takes RFC 2822
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise _bad(f"{where} must be an RFC 3339 or RFC 2822 date, not {text[:60]!r}.") from None
    if moment.tzinfo is None or not safe.MIN_YEAR <= moment.year <= safe.MAX_YEAR:
        raise _bad(f"{where} must be a date with a time zone between the years {safe.MIN_YEAR} and {safe.MAX_YEAR}.")
    return moment


def _page_limit(params: httpx.QueryParams, default: int, maximum: int) -> tuple[int, int]:
    def number(name: str, fallback: int) -> int:
        raw = params.get(name)
        if raw is None:
            return fallback
        try:
            value = safe.parse_id(raw, name, max_digits=6)
        except safe.BadInput as exc:
            raise _bad(str(exc)) from None
        if value < 1:
            raise _bad(f"{name} must be at least 1.")
        return value
    return number("page", 1), min(number("limit", default), maximum)


class _GatewayError(BigCommerceError):
    """An error answered before any resource is reached (the rate limit, an injected fault): the plain
    error body of the request's API version, never a resource's own (a 503 is not FailedQuoteError)."""


def _as_simulator_error(err: BigCommerceError, *, v3: bool) -> SimulatorError:
    if not v3:
        return SimulatorError(err.status, [{"status": err.status, "message": err.title}])
    if err.status == 503 and not isinstance(err, _GatewayError):   # FailedQuoteError: the tax service could not price the refund
        return SimulatorError(503, {"data": [{"order_id": err.errors.get("order_id"), "status": 503,
                                              "error": err.title}], "meta": {}})
    body: dict[str, Any] = {"status": err.status, "title": err.title, "type": STATUS_DOCS}
    if err.errors:
        body["errors"] = err.errors
    return SimulatorError(err.status, body)


class BigCommerceSimulator(Simulator):
    """Every store on ``api.bigcommerce.com``, told apart by store hash."""

    platform = "bigcommerce"
    error_type = BigCommerceError
    tenant_keyword = "store"
    fault_errors = {"throttled": lambda status: _as_simulator_error(
        BigCommerceError(status, "Too many requests"), v3=True)}

    def __init__(self, clock: Clock | None = None, seed: int = 0, webhook_client: httpx.Client | None = None) -> None:
        self.settings = BigCommerceSettings()
        self.webhook_client = webhook_client
        super().__init__(hosts=[HOST], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        self._secrets = IdSource(seed ^ 0xB1C0)   # credentials and webhook ids don't shift record ids
        self.backend = BigCommerceBackend(self.record_clock, seed, self.settings)
        self.outbox: dict[str, webhooks.WebhookDelivery] = {}
        self.store = self.backend.add_store("Acme Outfitters", self._secrets)

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"store_hash": self.store.hash, "client_id": self.store.client_id,
                "access_token": self.store.access_token, "client_secret": self.store.client_secret}

    def add_store(self, name: str) -> Store:
        """Another store on the same host, with its own hash and API account (tenant isolation)."""
        with self._lock:
            return self.backend.add_store(name, self._secrets)

    def add_order(self, spec: OrderSpec, store: Store | None = None, *, guest: bool = False) -> dict[str, Any]:
        """A checkout; returns the order as ``GET /v2/orders/{id}`` shows it, with ``products`` and
        ``shipping_addresses`` inlined."""
        with self._lock:
            store = store or self.store
            order = self.backend.add_order(spec, store, guest=guest)
            return as_wire({**order_v2_json(order, store.hash),
                            "products": [product_v2_json(order, p) for p in order.products],
                            "shipping_addresses": [address_v2_json(order)]})

    @merchant_action
    def refund_in_admin(self, order_id: int, *, lines: list[tuple[int, int]] = (), shipping: bool = False,  # type: ignore[assignment]
                        amount: Decimal | None = None, reason: str = "") -> dict[str, Any]:
        """The merchant refunds in the control panel: same rules as the API, money back to the gateway
        (store credit where the order was paid by gift certificate). ``amount`` alone refunds a custom
        ORDER amount; with lines it overrides their total. Raises ``BigCommerceError`` when refused."""
        with self._lock:
            order = self.backend.orders[int(order_id)]
            store = self.backend.stores[order.store_hash]
            items = [AskedItem("PRODUCT", product_id, quantity) for product_id, quantity in lines]
            if shipping and order.address.cost_ex_tax - order.address.refunded_amount > 0:
                items.append(AskedItem("SHIPPING", order.address.id,
                                       amount=order.address.cost_ex_tax - order.address.refunded_amount))
            override = None
            if amount is not None and not items:
                items = [AskedItem("ORDER", order.id, amount=amount)]
            elif amount is not None:
                override = money.amount(amount, order.currency)
            quote = self.backend.quote(store, order.id, items)
            total = override if override is not None else quote.refundable
            method = quote.refund_methods[0][0] if quote.refund_methods else None
            if method is None:
                raise unprocessable(f"Order {order.id} offers no refund method.")
            refund = self.backend.create_refund(store, order.id, items,
                                                [AskedPayment(method.provider_id, total, method.offline)],
                                                override_total=override, reason=reason)
            self._announce(refund)
            return as_wire(refund_json(refund))

    def refund(self, refund_id: int) -> dict[str, Any]:
        with self._lock:
            return as_wire(refund_json(self.backend.refunds[int(refund_id)]))

    def hold_refund_in_flight(self, order_id: int) -> None:
        """A refund of this order is being processed (by another app or the control panel): further
        refunds and quotes of the order are refused until ``finish_refund_in_flight``."""
        with self._lock:
            self.backend.in_flight.add(int(order_id))

    def finish_refund_in_flight(self, order_id: int) -> None:
        with self._lock:
            self.backend.in_flight.discard(int(order_id))

    def hooks(self, store: Store | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return as_wire([hook_json(h) for h in self.backend.store_hooks(store or self.store)])

    # --- webhooks -----------------------------------------------------------------------------
    def _announce(self, refund: Refund) -> None:
        """Queue ``store/order/refund/created`` for every active hook of the refund's store."""
        store = self.backend.stores[refund.store_hash]
        for hook in self.backend.store_hooks(store):
            if hook.scope != webhooks.REFUND_CREATED or not hook.is_active:
                continue
            webhook_id = f"msg_{self._secrets.token(27)}"
            body = jsonio.dumps({
                "scope": webhooks.REFUND_CREATED, "store_id": str(store.id),
                "data": {"type": "order", "id": refund.order_id, "refund": {"refund_id": refund.id}},
                "hash": self._secrets.hex(40), "created_at": int(refund.created.timestamp()),
                "producer": f"stores/{store.hash}"}).encode()
            self.outbox[webhook_id] = webhooks.WebhookDelivery(webhook_id, hook.id, store.hash, hook.scope,
                                                               hook.destination, dict(hook.headers), body)

    def deliver_webhooks(self, store: Store | None = None) -> list[webhooks.WebhookDelivery]:
        """Send every queued (or earlier failed) delivery of the store once; returns those attempted.
        Sent outside the lock: the receiver may call back into the simulator (to read the refund)."""
        client = self._require_webhook_client()
        store = store or self.store
        with self._lock:
            due = [d for d in self.outbox.values() if d.store_hash == store.hash and not d.delivered
                   and not d.abandoned and len(d.attempts) < self.settings.webhook_max_attempts]
        plan = self.plan_webhooks(due, store.hash, lambda delivery: delivery.scope)
        for delivery in plan.dropped:
            delivery.abandoned = True
        for delivery in plan.send:
            webhooks.send(delivery, client, self.clock, store.client_secret)
        return [delivery for delivery in due if not delivery.abandoned]

    def redeliver(self, webhook_id: str) -> webhooks.WebhookDelivery:
        """Send a delivery again with the same ``webhook-id`` and body (at-least-once)."""
        client = self._require_webhook_client()
        with self._lock:
            delivery = self.outbox[webhook_id]
            store = self.backend.stores[delivery.store_hash]
        webhooks.send(delivery, client, self.clock, store.client_secret)
        return delivery

    def send_as_new_delivery(self, webhook_id: str) -> webhooks.WebhookDelivery:
        """Send a delivery's body again as a delivery of its own, under a new ``webhook-id``."""
        client = self._require_webhook_client()
        with self._lock:
            first = self.outbox[webhook_id]
            again_id = f"msg_{self._secrets.token(27)}"
            again = self.outbox[again_id] = dataclasses.replace(first, webhook_id=again_id, attempts=[],
                                                                abandoned=False, headers=dict(first.headers))
            store = self.backend.stores[first.store_hash]
        webhooks.send(again, client, self.clock, store.client_secret)
        return again

    def deliveries(self, store: Store | None = None) -> list[webhooks.WebhookDelivery]:
        store = store or self.store
        with self._lock:
            return [d for d in self.outbox.values() if d.store_hash == store.hash]

    def _require_webhook_client(self) -> httpx.Client:
        if self.webhook_client is None:
            raise RuntimeError("this BigCommerceSimulator has no webhook_client; pass one to the constructor "
                               "or set .webhook_client before delivering webhooks")
        return self.webhook_client

    # --- platform-wide checks -----------------------------------------------------------------
    @staticmethod
    def _is_v3(path: str) -> bool:
        return "/v3/" in path or path.endswith("/v3")

    def authenticate(self, call: Call) -> Store:
        store = self.backend.store(call.groups.pop("store_hash", ""))
        token = call.request.headers.get("X-Auth-Token", "")
        if store is None or not token or token != store.access_token:
            raise BigCommerceError(401, "You are not authorized to access this store; "
                                        "check the X-Auth-Token of the store's API account.")
        window = self.backend.windows[store.hash]
        observer = bool(call.request.headers.get(OBSERVER_HEADER))   # harness reads do not spend the quota
        if not observer and not window.try_take():
            limited = _as_simulator_error(_GatewayError(429, "Too many requests"), v3=self._is_v3(call.request.url.path))
            raise SimulatorError(429, limited.body, window.headers())
        return store

    def answered(self, call: Call, answer: AnswerOrRefusal) -> AnswerOrRefusal:
        answer.headers.update(self.backend.windows[call.tenant.hash].headers())   # the quota, on every answer
        return answer

    def render_error(self, err: BigCommerceError, request: httpx.Request) -> SimulatorError:
        return _as_simulator_error(err, v3=self._is_v3(request.url.path))

    def tenant_of(self, request: httpx.Request) -> str | None:
        """The store hash (what a connector account calls a BigCommerce store)."""
        parts = request.url.path.split("/")
        return parts[2] if len(parts) > 2 and parts[1] == "stores" else None

    def no_route(self, request: httpx.Request) -> BigCommerceError:
        return BigCommerceError(404, f"There is no endpoint {request.method} {request.url.path}.")

    def bad_request(self, message: str) -> Exception:
        return _bad(message)   # rendered by render_error in the shape of the request's API version

    def injected_error(self, status: int, error: str | None = None) -> Exception:
        # a status fault without a named error answers as the gateway would, in the request's version's shape
        return super().injected_error(status, error) if error is not None else _GatewayError(status, reason(status))

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if not isinstance(body, (dict, list)):
            body = {"status": status, "title": str(body), "type": STATUS_DOCS}
        return json_response(status, body, headers)

    # --- v2 orders ------------------------------------------------------------------------------
    @route("GET", STORE + r"/v2/orders")
    def list_orders(self, request: httpx.Request, store: Store) -> httpx.Response:
        params = request.url.params
        page, limit = _page_limit(params, 50, MAX_V2_LIMIT)
        limit = self.page_limit(limit)
        sort = params.get("sort", "id:asc")
        field_name, _, direction = sort.partition(":")
        if field_name not in ("id", "date_created", "date_modified") or direction not in ("", "asc", "desc"):
            raise _bad(f"sort must be id, date_created or date_modified, then :asc or :desc; not {sort[:60]!r}.")
        found = self.backend.list_orders(store, min_modified=_time(params.get("min_date_modified"), "min_date_modified"),
                                         max_modified=_time(params.get("max_date_modified"), "max_date_modified"),
                                         descending=direction == "desc", sort=field_name)
        found = listing.visible(found, lambda o: o.modified)
        chosen = found[(page - 1) * limit: page * limit]
        if not chosen:
            return httpx.Response(204)
        return json_response(200, [order_v2_json(o, store.hash) for o in chosen])

    @route("GET", STORE + r"/v2/orders/(?P<order_id>[^/]+)")
    def get_order(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        order = self.backend.order(store, _v2_id(order_id))
        return json_response(200, order_v2_json(order, store.hash))

    @route("GET", STORE + r"/v2/orders/(?P<order_id>[^/]+)/products")
    def list_order_products(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        order = self.backend.order(store, _v2_id(order_id))
        return json_response(200, [product_v2_json(order, p) for p in order.products])

    @route("GET", STORE + r"/v2/orders/(?P<order_id>[^/]+)/shipping_addresses")
    def list_order_shipping_addresses(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        order = self.backend.order(store, _v2_id(order_id))
        return json_response(200, [address_v2_json(order)])

    # --- v3 transactions and refunds ------------------------------------------------------------
    @route("GET", STORE + r"/v3/orders/(?P<order_id>[^/]+)/transactions")
    def get_order_transactions(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        order = self.backend.order(store, _v3_id(order_id))
        if not order.transactions:
            return httpx.Response(204)
        data = [{"id": t.id, "order_id": str(order.id), "event": t.event, "method": t.method, "amount": t.amount,
                 "currency": order.currency, "gateway": t.gateway, "status": t.status, "test": False,
                 "fraud_review": False, "date_created": isoformat(t.created)} for t in order.transactions]
        return json_response(200, {"data": data, "meta": _pagination(len(data), len(data), 1, 50, request)})

    @route("POST", STORE + r"/v3/orders/(?P<order_id>[^/]+)/payment_actions/refund_quotes")
    def create_refund_quote(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        body = _object(request)
        quote = self._guarded(_v3_id(order_id), lambda oid: self.backend.quote(store, oid, parse_items(body.get("items"))))
        return json_response(201, {"data": quote_json(quote), "meta": {}})

    @route("POST", STORE + r"/v3/orders/(?P<order_id>[^/]+)/payment_actions/refunds")
    def create_refund(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        body = _object(request)
        items = parse_items(body.get("items"))
        payments = parse_payments(body.get("payments"))
        override = body.get("merchant_calculated_override")
        total = tax = None
        if override is not None:
            if not isinstance(override, dict) or override.get("total_amount") is None:
                raise unprocessable("merchant_calculated_override needs a total_amount.")
            total = _decimal(override["total_amount"], "merchant_calculated_override.total_amount")
            if override.get("total_tax") is not None:
                tax = _decimal(override["total_tax"], "merchant_calculated_override.total_tax")
        if body.get("tax_adjustment_amount") not in (None, 0):
            raise unprocessable("tax_adjustment_amount is not modelled by this simulator; send 0 or leave it out.")
        reason = body.get("reason") or ""
        if not isinstance(reason, str):
            raise unprocessable("reason must be a string.")
        refund = self._guarded(_v3_id(order_id), lambda oid: self.backend.create_refund(
            store, oid, items, payments, override_total=total, override_tax=tax, reason=reason[:1000]))
        self._announce(refund)
        return json_response(201, {"data": refund_json(refund), "meta": {}})

    def _guarded(self, order_id: int, act: Callable[[int], Any]) -> Any:
        try:
            return act(order_id)
        except BigCommerceError as err:
            if err.status == 503:
                err.errors = {"order_id": order_id}   # type: ignore[dict-item]
            raise

    @route("GET", STORE + r"/v3/orders/(?P<order_id>[^/]+)/payment_actions/refunds")
    def list_order_refunds(self, request: httpx.Request, store: Store, order_id: str) -> httpx.Response:
        order = self.backend.order(store, _v3_id(order_id))
        found = listing.visible(self.backend.list_refunds(store, order_ids=[order.id]), lambda r: r.created)
        return json_response(200, {"data": [refund_json(r) for r in found],
                                   "meta": _pagination(len(found), len(found), 1, max(len(found), 1), request)})

    @route("GET", STORE + r"/v3/orders/payment_actions/refunds/(?P<refund_id>[^/]+)")
    def get_refund(self, request: httpx.Request, store: Store, refund_id: str) -> httpx.Response:
        refund = self.backend.refund(store, _v3_id(refund_id))
        return json_response(200, {"data": refund_json(refund), "meta": {}})

    @route("GET", STORE + r"/v3/orders/payment_actions/refunds")
    def list_refunds(self, request: httpx.Request, store: Store) -> httpx.Response:
        params = request.url.params
        page, limit = _page_limit(params, 50, MAX_V3_LIMIT)
        limit = self.page_limit(limit)
        created_min = _time(params.get("created:min"), "created:min")
        created_max = _time(params.get("created:max"), "created:max")
        found = self.backend.list_refunds(store, order_ids=_id_list(params.get("order_id:in"), "order_id:in"),
                                          ids=_id_list(params.get("id:in"), "id:in"),
                                          created_min=created_min, created_max=created_max)
        found = listing.visible(found, lambda r: r.created)
        chosen = found[(page - 1) * limit: page * limit]
        return json_response(200, {"data": [refund_json(r) for r in chosen],
                                   "meta": _pagination(len(found), len(chosen), page, limit, request)})

    # --- v3 hooks -------------------------------------------------------------------------------
    @route("GET", STORE + r"/v3/hooks")
    def list_hooks(self, request: httpx.Request, store: Store) -> httpx.Response:
        found = self.backend.store_hooks(store)
        return json_response(200, {"data": [hook_json(h) for h in found],
                                   "meta": _pagination(len(found), len(found), 1, max(len(found), 1), request)})

    @route("POST", STORE + r"/v3/hooks")
    def create_hook(self, request: httpx.Request, store: Store) -> httpx.Response:
        body = _object(request)
        scope, destination = body.get("scope"), body.get("destination")
        if scope not in HOOK_SCOPES:
            raise unprocessable(f"scope must be one of {', '.join(HOOK_SCOPES)} (the scopes this simulator sends).",
                                scope="is not a known scope")
        if not isinstance(destination, str) or not destination.startswith("https://") or len(destination) > 2000:
            raise unprocessable("destination must be an https URL (BigCommerce delivers only to port 443).",
                                destination="must be an https URL")
        # created inactive unless asked otherwise: an inactive hook is listed but never delivers
        is_active = body.get("is_active", False)
        headers = body.get("headers") or {}
        if not isinstance(is_active, bool):
            raise unprocessable("is_active must be true or false.")
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise unprocessable("headers must be an object of strings.")
        hook = self.backend.create_hook(store, scope, destination, is_active, headers)
        return json_response(200, {"data": hook_json(hook), "meta": {}})


def _v2_id(text: str) -> int:
    try:
        return safe.parse_id(text, "order id")
    except safe.BadInput:
        raise BigCommerceError(404, "The requested resource was not found.") from None


def _v3_id(text: str) -> int:
    try:
        return safe.parse_id(text, "id")
    except safe.BadInput:
        raise BigCommerceError(404, f"{text[:40]!r} is not a valid id; the resource was not found.") from None


def _pagination(total: int, count: int, page: int, per_page: int, request: httpx.Request) -> dict[str, Any]:
    pages = max(1, -(-total // per_page))
    links: dict[str, str] = {"current": f"?page={page}&limit={per_page}"}
    if page > 1:
        links["previous"] = f"?page={page - 1}&limit={per_page}"
    if page < pages:
        links["next"] = f"?page={page + 1}&limit={per_page}"
    return {"pagination": {"total": total, "count": count, "per_page": per_page, "current_page": page,
                           "total_pages": pages, "links": links}}
