"""Shopify Admin REST over httpx (moto's ``responses``): parse, call the shop, render, and the control plane.

Wire rules kept here: every body has a single root key; money is a decimal string on orders,
transactions and ``*_set`` objects but a JSON number on ``refund_line_items[].subtotal/total_tax``;
errors are ``{"errors": ...}``; every response carries ``X-Shopify-Shop-Api-Call-Limit``.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Callable

import httpx

from common import jsonio, money
from common.clock import Clock, isoformat
from common.seeded import IdSource, derived_seed
from simulators.core import listing, safe
from simulators.core.cursors import CursorCodec
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, read_json, route
from simulators.core.faults import OBSERVER_HEADER
from simulators.core.orders import OrderSpec
from simulators.shopify.graphql import GRAPHQL_OPERATIONS, RATE_DOCS, GraphQLEndpoint, operation_of
from simulators.shopify.models import (
    API_VERSIONS, ORDER_STATUSES, CostBucket, FieldErrors, Invalid, LeakyBucket, LineItem, LineRefundRequest, Order, Refund,
    RefundPlan, RefundRequest, ShippingRefundRequest, ShopifyBackend, ShopifyError, ShopifySettings,
    Transaction, TransactionRequest, WebhookSubscription, served_api_version,
)
from simulators.shopify.webhooks import WebhookDelivery, WebhookOutbox

DEFAULT_API_VERSION = "2024-10"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
GRAPHQL_THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_DOCS}}],
    "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None, "throttleStatus": {
        "maximumAvailable": 1000.0, "currentlyAvailable": 0.0, "restoreRate": 50.0}}}}
API = r"/admin/api/(?P<version>[^/]+)"
_API_PREFIX = re.compile(API + "/")


# --- rendering: Python records -> Shopify JSON ---------------------------------------------

def money_text(value: Decimal, currency: str) -> str:
    """Shopify's decimal string with the currency's places ("24.50", "500")."""
    return money.format_amount(value, currency)


def money_set(order: Order, value: Decimal) -> dict[str, Any]:
    """A MoneyBag: the amount in the shop's currency and in the one the customer paid (the same
    amount twice on a single-currency order)."""
    return {"shop_money": {"amount": money_text(order.in_shop_currency(value), order.shop_currency),
                           "currency_code": order.shop_currency},
            "presentment_money": {"amount": money_text(value, order.currency), "currency_code": order.currency}}


def shop_text(order: Order, value: Decimal) -> str:
    """A plain REST amount: in the shop's currency (the ``currency`` field of the order)."""
    return money_text(order.in_shop_currency(value), order.shop_currency)


def _tax_lines(order: Order, amount: Decimal, rate: Decimal) -> list[dict[str, Any]]:
    if not rate and not amount:
        return []
    return [{"title": "Sales Tax", "rate": rate, "price": shop_text(order, amount),
             "price_set": money_set(order, amount)}]


def line_item_json(order: Order, line: LineItem) -> dict[str, Any]:
    remaining = line.quantity - order.refunded_quantity(line.id)
    return {
        "id": line.id, "admin_graphql_api_id": f"gid://shopify/LineItem/{line.id}",
        "sku": line.sku, "title": line.title, "name": line.title, "variant_title": None,
        "quantity": line.quantity, "current_quantity": remaining, "fulfillable_quantity": remaining,
        "price": shop_text(order, line.price), "price_set": money_set(order, line.price),
        "total_discount": shop_text(order, line.discount), "total_discount_set": money_set(order, line.discount),
        "discount_allocations": ([{"amount": shop_text(order, line.discount),
                                   "amount_set": money_set(order, line.discount),
                                   "discount_application_index": 0}] if line.discount else []),
        "tax_lines": _tax_lines(order, line.tax, line.tax_rate),
        "taxable": bool(line.tax_rate), "requires_shipping": True, "gift_card": False,
    }


def transaction_json(t: Transaction) -> dict[str, Any]:
    return {
        "id": t.id, "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{t.id}",
        "order_id": t.order_id, "kind": t.kind, "status": t.status, "test": False,
        "amount": money_text(t.amount, t.currency), "currency": t.currency, "gateway": t.gateway,
        "parent_id": t.parent_id, "authorization": None, "error_code": None,
        "created_at": isoformat(t.created_at), "processed_at": isoformat(t.created_at),
        "message": (f"Refunded {money_text(t.amount, t.currency)} {t.currency}" if t.kind == "refund"
                    else f"Paid {money_text(t.amount, t.currency)} {t.currency}"),
    }


def refund_json(order: Order, refund: Refund, version: str) -> dict[str, Any]:
    adjustments = [{"id": a.id, "order_id": a.order_id, "refund_id": a.refund_id,
                    "amount": shop_text(order, a.amount), "amount_set": money_set(order, a.amount),
                    "tax_amount": shop_text(order, a.tax_amount), "tax_amount_set": money_set(order, a.tax_amount),
                    "kind": a.kind, "reason": a.reason} for a in refund.order_adjustments]
    body: dict[str, Any] = {
        "id": refund.id, "admin_graphql_api_id": f"gid://shopify/Refund/{refund.id}",
        "order_id": refund.order_id, "created_at": isoformat(refund.created_at),
        "processed_at": isoformat(refund.created_at), "note": refund.note, "restock": refund.restock,
        "user_id": None, "duties": [],
        "return": ({"id": refund.return_id, "admin_graphql_api_id": f"gid://shopify/Return/{refund.return_id}"}
                   if refund.return_id else None),
        "refund_line_items": [{
            "id": r.id, "line_item_id": r.line_item_id, "quantity": r.quantity,
            "restock_type": r.restock_type, "location_id": r.location_id,
            # numbers here (in the shop's currency), unlike every other amount of the REST API
            "subtotal": order.in_shop_currency(r.subtotal), "total_tax": order.in_shop_currency(r.total_tax),
            "subtotal_set": money_set(order, r.subtotal), "total_tax_set": money_set(order, r.total_tax),
            "line_item": line_item_json(order, order.line_item(r.line_item_id)),  # type: ignore[arg-type]
        } for r in refund.refund_line_items],
        "transactions": [transaction_json(t) for t in refund.transactions],
        "order_adjustments": adjustments,
    }
    if version >= "2024-10":
        body["refund_shipping_lines"] = [{
            "id": s.id, "shipping_line_id": s.shipping_line_id,
            "subtotal_amount_set": money_set(order, s.subtotal), "tax_amount_set": money_set(order, s.tax),
        } for s in refund.refund_shipping_lines]
    else:  # before 2024-10 refunded shipping was a negative shipping_refund order adjustment
        adjustments.extend({
            "id": s.id, "order_id": order.id, "refund_id": refund.id,
            "amount": shop_text(order, -s.subtotal), "amount_set": money_set(order, -s.subtotal),
            "tax_amount": shop_text(order, -s.tax), "tax_amount_set": money_set(order, -s.tax),
            "kind": "shipping_refund", "reason": "Shipping refund",
        } for s in refund.refund_shipping_lines)
    return body


def order_json(order: Order, version: str) -> dict[str, Any]:
    c = order.customer

    def amounts(name: str, value: Decimal) -> dict[str, Any]:
        return {name: shop_text(order, value), f"{name}_set": money_set(order, value)}

    return {
        "id": order.id, "admin_graphql_api_id": f"gid://shopify/Order/{order.id}",
        "name": order.name, "order_number": order.number, "email": order.email, "note": order.note or None,
        "currency": order.shop_currency, "presentment_currency": order.currency,
        "financial_status": order.financial_status,
        "fulfillment_status": None, "taxes_included": False, "test": False,
        "created_at": isoformat(order.created_at), "updated_at": isoformat(order.updated_at),
        "processed_at": isoformat(order.created_at),
        "closed_at": isoformat(order.closed_at) if order.closed_at else None,
        "cancelled_at": isoformat(order.cancelled_at) if order.cancelled_at else None,
        "payment_gateway_names": [order.gateway],
        **amounts("total_line_items_price", order.total_line_items_price),
        **amounts("subtotal_price", order.subtotal_price), **amounts("total_tax", order.total_tax),
        **amounts("total_discounts", order.total_discounts), **amounts("total_price", order.total_price),
        "total_shipping_price_set": money_set(order, order.total_shipping),
        "customer": {"id": c.id, "email": c.email, "first_name": c.first_name, "last_name": c.last_name},
        "line_items": [line_item_json(order, line) for line in order.line_items],
        "shipping_lines": [{
            "id": s.id, "title": s.title, "code": s.title, **amounts("price", s.price),
            **amounts("discounted_price", s.price), "tax_lines": _tax_lines(order, s.tax, s.tax_rate),
        } for s in order.shipping_lines],
        "refunds": [refund_json(order, r, version) for r in order.refunds],
    }


def calculate_json(plan: RefundPlan, restock_location: Callable[[Any], int | None]) -> dict[str, Any]:
    """``restock_location``: where a line's items would go back to stock (the shop's location unless the
    request named one or asks for no restock), as Shopify suggests it."""
    order = plan.order
    cur = order.currency
    shipping = plan.shipping
    line = order.shipping_line()
    shipping_max = (line.price - order.refunded_shipping(line.id)[0]) if line else money.ZERO
    return {
        "currency": cur, "duties": [], "additional_fees": [],
        "shipping": {"amount": money_text(shipping.amount if shipping else money.ZERO, cur),
                     "tax": money_text(shipping.tax if shipping else money.ZERO, cur),
                     "maximum_refundable": money_text(shipping_max, cur)},
        "refund_line_items": [{
            "line_item_id": p.line.id, "quantity": p.request.quantity, "restock_type": p.request.restock_type,
            "location_id": restock_location(p.request), "price": money_text(p.line.price, cur),
            "subtotal": p.subtotal, "total_tax": p.tax,
            "discounted_price": money_text(money.round_amount(p.line.net / p.line.quantity, cur), cur),
            "discounted_total_price": money_text(p.subtotal, cur),
            "total_cart_discount_amount": money_text(money.ZERO, cur),
        } for p in plan.lines],
        "transactions": [{
            "order_id": order.id, "kind": "suggested_refund", "gateway": s.parent.gateway,
            "parent_id": s.parent.id, "amount": money_text(s.amount, cur), "currency": cur,
            "maximum_refundable": money_text(s.maximum_refundable, cur),
        } for s in plan.suggested],
    }


def webhook_json(w: WebhookSubscription) -> dict[str, Any]:
    return {"id": w.id, "address": w.address, "topic": w.topic, "format": w.format,
            "api_version": w.api_version, "fields": [], "metafield_namespaces": [],
            "created_at": isoformat(w.created_at), "updated_at": isoformat(w.updated_at)}


def requested_fields(request: httpx.Request) -> frozenset[str]:
    """Shopify's ``fields=id,name``: the top-level fields to answer with (none asked: all of them)."""
    return frozenset(name.strip() for name in request.url.params.get("fields", "").split(",") if name.strip())


def only_fields(document: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """``document`` cut to ``fields``; names the resource does not have are ignored, as Shopify does."""
    return {key: value for key, value in document.items() if key in fields} if fields else document


def as_wire(payload: Any) -> Any:
    """What a client parses off the wire (numbers as Decimal): control-plane answers look the same."""
    return jsonio.loads(jsonio.dumps(payload))


# --- parsing: Shopify JSON -> requests the shop understands ---------------------------------

def _bad_request(message: str) -> SimulatorError:
    return SimulatorError(400, {"errors": message})


def _root(request: httpx.Request, key: str) -> dict[str, Any]:
    """The object under the single root key of a request body (Shopify answers 400 without it)."""
    body = read_json(request, _bad_request)
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise SimulatorError(400, {"errors": {key: "Required parameter missing or invalid"}})
    return body[key]


def _integer(value: Any, field_name: str, errors: FieldErrors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field_name, f"must be an integer, not {json.dumps(value, default=str)}")
        return None
    return value


def _decimal(value: Any, field_name: str, errors: FieldErrors) -> Decimal | None:
    """Shopify takes amounts as strings ("10.00") or numbers; exactness is checked per currency later."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        errors.add(field_name, f"must be an amount such as \"10.00\", not {json.dumps(value, default=str)}")
        return None
    try:  # finite and bounded; exactness to the currency is the shop's rule (a 422 naming the places)
        return safe.parse_decimal(value, field_name, places=40)
    except safe.BadInput as exc:
        errors.add(field_name, f"{str(value)[:40]!r} is not a usable amount: {exc}")
        return None


def _list_of_objects(value: Any, field_name: str, errors: FieldErrors) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        errors.add(field_name, "must be a list of objects")
        return []
    return value


def parse_refund_request(body: dict[str, Any]) -> RefundRequest:
    errors = FieldErrors()
    lines = []
    for entry in _list_of_objects(body.get("refund_line_items"), "refund_line_items", errors):
        line_item_id = _integer(entry.get("line_item_id"), "refund_line_items.line_item_id", errors)
        quantity = _integer(entry.get("quantity"), "refund_line_items.quantity", errors)
        # absent or null means no_restock; any other falsy value (0, false, []) is a wrong type, not a default
        restock_type = "no_restock" if entry.get("restock_type") is None else entry["restock_type"]
        location_id = entry.get("location_id")
        if location_id is not None:
            location_id = _integer(location_id, "refund_line_items.location_id", errors)
        if not isinstance(restock_type, str):
            errors.add("refund_line_items.restock_type", "must be a string")
        elif line_item_id is not None and quantity is not None:
            lines.append(LineRefundRequest(line_item_id, quantity, restock_type, location_id))
    shipping = None
    raw_shipping = body.get("shipping")
    if raw_shipping is not None:
        if not isinstance(raw_shipping, dict):
            errors.add("shipping", "must be an object with amount or full_refund")
        else:
            full = raw_shipping.get("full_refund", False)
            if not isinstance(full, bool):
                errors.add("shipping.full_refund", "must be true or false")
            amount = (_decimal(raw_shipping["amount"], "shipping.amount", errors)
                      if raw_shipping.get("amount") is not None else None)
            shipping = ShippingRefundRequest(full is True, amount)
    transactions = []
    for entry in _list_of_objects(body.get("transactions"), "transactions", errors):
        parent_id = entry.get("parent_id")
        if parent_id is not None:
            parent_id = _integer(parent_id, "transactions.parent_id", errors)
        if "amount" not in entry:
            errors.add("transactions.amount", "can't be blank")
            continue
        amount = _decimal(entry.get("amount"), "transactions.amount", errors)
        kind = entry.get("kind", "refund")
        gateway = entry.get("gateway")
        if amount is not None:
            transactions.append(TransactionRequest(parent_id, amount, str(kind), gateway))
    note, currency, notify = body.get("note"), body.get("currency"), body.get("notify", False)
    if note is not None and not isinstance(note, str):
        errors.add("note", "must be a string")
    if currency is not None and not isinstance(currency, str):
        errors.add("currency", "must be an ISO 4217 code such as \"USD\"")
    if not isinstance(notify, bool):
        errors.add("notify", "must be true or false")
    errors.raise_if_any()
    return RefundRequest(tuple(lines), shipping, tuple(transactions), note, notify, currency)


# --- pagination ------------------------------------------------------------------------------

# page_info: the filters of the listing and the order id a page starts after (or ends before)
PAGE_INFO = CursorCodec(lambda text: _bad_request("page_info - Invalid value."))


def _page_info_state(state: Any) -> bool:
    return (isinstance(state, dict) and isinstance(state.get("filters"), dict)
            and any(isinstance(state.get(k), int) for k in ("after", "before")))


class ShopifySimulator(Simulator):
    """One Shopify shop behind ``https://<shop>.myshopify.com/admin/api/<version>/``."""

    platform = "shopify"
    # "graphql_throttled" is how Shopify throttles a GraphQL call: HTTP 200 whatever the rule's status,
    # with THROTTLED in errors[].extensions.code and the bucket it could not pay from
    error_type = ShopifyError
    fault_errors = {"throttled": lambda status: SimulatorError(status, {"errors": THROTTLED}),
                    "graphql_throttled": lambda status: SimulatorError(200, GRAPHQL_THROTTLED)}

    def __init__(self, shop: str = "acme-outfitters", clock: Clock | None = None, seed: int = 0,
                 webhook_client: httpx.Client | None = None) -> None:
        self.shop = shop
        self.shop_domain = f"{shop}.myshopify.com"
        self.api_version = DEFAULT_API_VERSION
        self.webhook_client = webhook_client
        self.settings = ShopifySettings()
        super().__init__(hosts=[self.shop_domain], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        # credentials and webhook ids: the shop's own (another shop seeded alike gets others), and drawn
        # apart from the record ids so they don't shift them
        secrets = IdSource(derived_seed(seed, self.shop_domain, "credentials"))
        self.access_token = f"shpat_{secrets.hex(32)}"
        self.client_secret = f"shpss_{secrets.hex(32)}"
        self.backend = ShopifyBackend(self.record_clock, seed, publish=self._on_event)
        self.outbox = WebhookOutbox(self.clock, secrets)
        self.bucket = LeakyBucket(self.clock, self.settings)
        self.cost_bucket = CostBucket(self.clock, self.settings)
        self.graphql_endpoint = GraphQLEndpoint(lambda: self.backend, lambda: self.cost_bucket, self.page_limit)

    def use_faults(self, plane: Any) -> None:
        """As every simulator, plus the GraphQL operations (one route, told apart by root field)."""
        super().use_faults(plane)
        plane.attach(self.platform, {r.handler_name for r in self.routes} | set(GRAPHQL_OPERATIONS), self.fault_errors)

    def _resolve(self, request: httpx.Request) -> tuple[str, Any]:
        operation, answer = super()._resolve(request)
        return (operation_of(request.content) if operation == "graphql" else operation), answer

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"shop": self.shop_domain, "access_token": self.access_token, "client_secret": self.client_secret,
                "api_version": self.api_version}

    @property
    def location_id(self) -> int:
        return self.backend.location_id

    def add_order(self, spec: OrderSpec) -> dict[str, Any]:
        """Place an order as a customer would; returns it as ``GET orders/{id}.json`` shows it."""
        with self._lock:
            return as_wire(order_json(self.backend.add_order(spec), self.api_version))

    def order(self, order_id: int | str) -> dict[str, Any]:
        with self._lock:
            return as_wire(order_json(self.backend.order(int(order_id)), self.api_version))

    @merchant_action
    def refund_in_admin(self, order_id: int | str, lines: list[tuple[int, int]] | tuple[()] = (), *,
                        shipping: Decimal | bool | None = None, amount: Decimal | None = None,
                        restock_type: str = "no_restock", note: str | None = None) -> dict[str, Any]:
        """The merchant's Refund button: same rules as the API. ``shipping=True`` refunds all that is
        left of it; ``amount=None`` refunds the calculated value (capped at what is refundable).
        Raises ``ShopifyError`` (``Invalid`` 422-style field errors, ``NotFound``)."""
        order_id = int(order_id)  # the harness may hold ids as strings, as the connector does
        with self._lock:
            shipping_request = (None if shipping is None or shipping is False
                                else ShippingRefundRequest(full_refund=True) if shipping is True
                                else ShippingRefundRequest(amount=Decimal(shipping)))
            wanted = RefundRequest(
                lines=tuple(LineRefundRequest(int(line_id), qty, restock_type) for line_id, qty in lines),
                shipping=shipping_request, note=note)
            plan = self.backend.plan_refund(order_id, wanted, suggest=True)
            money_moves = ()
            if plan.suggested:
                sale = plan.suggested[0]
                to_refund = sale.amount if amount is None else Decimal(amount)
                if to_refund:
                    money_moves = (TransactionRequest(sale.parent.id, to_refund),)
            elif amount:
                raise Invalid({"transactions": [f"order {order_id} has no captured payment to refund"]})
            refund = self.backend.create_refund(order_id, RefundRequest(
                wanted.lines, wanted.shipping, money_moves, note))
            return as_wire(refund_json(self.backend.order(order_id), refund, self.api_version))

    @merchant_action
    def exchange_in_admin(self, order_id: int | str, returned: list[tuple[int, int]] | tuple[()],
                          new_items: list[tuple[str, str, Decimal, int, Decimal]] | tuple[()], *,
                          note: str | None = None) -> dict[str, Any]:
        """The merchant's exchange in the admin, processed at once: ``returned`` (line item id, quantity)
        come back, ``new_items`` (sku, title, unit price, quantity, tax) go out. Makes a Return (in
        ``order.returns``) and its refund, which gives back only the balance in the customer's favour.
        Returns ``{"return_id": ..., "refund": <REST refund>}``. Raises ``ShopifyError``."""
        order_id = int(order_id)
        with self._lock:
            the_return, refund = self.backend.exchange(
                order_id, tuple((int(line_id), int(qty)) for line_id, qty in returned),
                tuple((sku, title, Decimal(price), int(qty), Decimal(tax)) for sku, title, price, qty, tax in new_items),
                note=note)
            return {"return_id": the_return.id,
                    "refund": as_wire(refund_json(self.backend.order(order_id), refund, self.api_version))}

    def deliver_webhooks(self) -> list[WebhookDelivery]:
        """Send every queued (or earlier failed) delivery once; returns the deliveries attempted.

        Sending happens outside the simulator's lock: a receiver may call back into the shop (to
        read the order) from another thread in serve mode without deadlocking."""
        client = self._require_webhook_client()
        with self._lock:
            due = self.outbox.due(self.settings.webhook_max_attempts)
            secret = self.client_secret
        plan = self.plan_webhooks(due, self.shop, lambda delivery: delivery.topic)  # webhook fault rules
        for delivery in plan.dropped:
            delivery.abandoned = True
        for delivery in plan.send:
            self.outbox.send(delivery, client, shop_domain=self.shop_domain, secret=secret)
        return [delivery for delivery in due if not delivery.abandoned]

    def redeliver(self, webhook_id: str) -> WebhookDelivery:
        """Send a delivery again with the same body and ``X-Shopify-Webhook-Id`` (at-least-once)."""
        client = self._require_webhook_client()
        with self._lock:
            delivery = self.outbox.get(webhook_id)
            secret = self.client_secret
        self.outbox.send(delivery, client, shop_domain=self.shop_domain, secret=secret)
        return delivery

    def send_as_new_delivery(self, webhook_id: str) -> WebhookDelivery:
        """Send a delivery's event again as a delivery of its own: same body and ``X-Shopify-Event-Id``,
        a new ``X-Shopify-Webhook-Id`` (Shopify may deliver one event more than once that way)."""
        client = self._require_webhook_client()
        with self._lock:
            first = self.outbox.get(webhook_id)
            again = self.outbox.enqueue(subscription_id=first.subscription_id, topic=first.topic,
                                        address=first.address, api_version=first.api_version, body=first.body,
                                        event_id=first.event_id)
            secret = self.client_secret
        self.outbox.send(again, client, shop_domain=self.shop_domain, secret=secret)
        return again

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self.outbox.deliveries.values())

    def _require_webhook_client(self) -> httpx.Client:
        if self.webhook_client is None:
            raise RuntimeError("this ShopifySimulator has no webhook_client; pass one to the constructor "
                               "or set .webhook_client before delivering webhooks")
        return self.webhook_client

    def _on_event(self, topic: str, order: Order, refund: Refund | None) -> None:
        """Snapshot the payload now, once per subscription, in the subscription's API version."""
        subscriptions = self.backend.subscriptions(topic)
        if not subscriptions:
            return
        event_id = self.outbox.new_event_id()
        for sub in subscriptions:
            payload = refund_json(order, refund, sub.api_version) if refund else order_json(order, sub.api_version)
            self.outbox.enqueue(subscription_id=sub.id, topic=topic, address=sub.address,
                                api_version=sub.api_version, body=jsonio.dumps(payload).encode(),
                                event_id=event_id)

    # --- platform-wide checks --------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        with self._lock:
            response.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{self.bucket.used()}/{self.settings.bucket_size}"
        # Every answer names the version that served it; a request without a usable one is
        # answered as an unversioned request is, by the oldest supported stable version.
        requested = _API_PREFIX.match(request.url.path)
        response.headers["X-Shopify-API-Version"] = (
            served_api_version(requested["version"] if requested else None) or API_VERSIONS[0])
        return response

    __call__ = handle

    def authenticate(self, call: Call) -> None:
        version = served_api_version(call.groups.get("version"))
        if version is None:
            raise SimulatorError(404, {"errors": "Not Found"})
        call.groups["version"] = version
        if call.request.headers.get("X-Shopify-Access-Token") != self.access_token:
            raise SimulatorError(401, {"errors": INVALID_TOKEN})
        # GraphQL is priced by query cost (its own bucket, checked in the endpoint), not per call; the
        # harness's own reads (the observer header) spend nothing, so checking never throttles the connector
        observed = bool(call.request.headers.get(OBSERVER_HEADER))
        if call.operation != "graphql" and not observed and not self.bucket.try_take():
            raise SimulatorError(429, {"errors": THROTTLED}, {"Retry-After": "2.0"})

    def render_error(self, err: ShopifyError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, {"errors": err.errors})

    def no_route(self, request: httpx.Request) -> SimulatorError:
        return SimulatorError(404, {"errors": "Not Found"})

    def bad_request(self, message: str) -> SimulatorError:
        return _bad_request(message)

    def tenant_of(self, request: httpx.Request) -> str | None:
        return self.shop

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        payload = body if isinstance(body, dict) and "errors" in body else {"errors": str(body)}
        return json_response(status, payload, headers)

    # --- orders ----------------------------------------------------------------------------
    @route("GET", API + r"/orders\.json")
    def list_orders(self, request: httpx.Request, version: str) -> httpx.Response:
        params = request.url.params
        limit = self.page_limit(self._limit(params.get("limit")))
        if "page_info" in params:
            extra = sorted(set(params.keys()) - {"page_info", "limit", "fields"})
            if extra:
                raise _bad_request(f"page_info - cannot be combined with {', '.join(extra)}; "
                                   "only limit and fields may accompany it")
            cursor = PAGE_INFO.decode(params["page_info"], _page_info_state)
            filters = cursor["filters"]
        else:
            cursor = None
            filters = {key: params[key] for key in ("status", "since_id", "updated_at_min") if key in params}
        found = listing.visible(self.backend.list_orders(**self._order_filters(filters)), lambda o: o.updated_at)
        if cursor is None:
            page = found[:limit]
        elif "after" in cursor:
            page = [o for o in found if o.id > cursor["after"]][:limit]
        else:
            page = [o for o in found if o.id < cursor["before"]][-limit:]
        links = []
        if cursor is not None and page and found[0].id < page[0].id:
            links.append(self._link(request, version, limit, {"filters": filters, "before": page[0].id}, "previous"))
        if page and found[-1].id > page[-1].id:
            links.append(self._link(request, version, limit, {"filters": filters, "after": page[-1].id}, "next"))
        headers = {"Link": ", ".join(links)} if links else {}
        fields = requested_fields(request)
        return json_response(200, {"orders": [only_fields(order_json(o, version), fields) for o in page]}, headers)

    @route("GET", API + r"/orders/(?P<order_id>[0-9]{1,19})\.json")
    def get_order(self, request: httpx.Request, version: str, order_id: str) -> httpx.Response:
        order = order_json(self.backend.order(int(order_id)), version)
        return json_response(200, {"order": only_fields(order, requested_fields(request))})

    @route("GET", API + r"/orders/(?P<order_id>[0-9]{1,19})/transactions\.json")
    def list_transactions(self, request: httpx.Request, version: str, order_id: str) -> httpx.Response:
        order = self.backend.order(int(order_id))
        fields = requested_fields(request)
        return json_response(200, {"transactions": [only_fields(transaction_json(t), fields)
                                                    for t in order.transactions]})

    # --- refunds ---------------------------------------------------------------------------
    @route("POST", API + r"/orders/(?P<order_id>[0-9]{1,19})/refunds/calculate\.json")
    def calculate_refund(self, request: httpx.Request, version: str, order_id: str) -> httpx.Response:
        self.backend.order(int(order_id))  # unknown order -> 404 before looking at the body
        wanted = parse_refund_request(_root(request, "refund"))
        # calculate ignores money the caller may have sent: it suggests the transactions instead
        wanted = RefundRequest(wanted.lines, wanted.shipping, (), wanted.note, wanted.notify, wanted.currency)
        plan = self.backend.plan_refund(int(order_id), wanted, suggest=True)
        return json_response(200, {"refund": calculate_json(plan, self.backend.restock_location)})

    @route("GET", API + r"/locations\.json")
    def list_locations(self, request: httpx.Request, version: str) -> httpx.Response:
        return json_response(200, {"locations": [self._location_json()]})

    @route("GET", API + r"/locations/(?P<location_id>[0-9]{1,19})\.json")
    def get_location(self, request: httpx.Request, version: str, location_id: str) -> httpx.Response:
        if int(location_id) != self.backend.location_id:
            raise SimulatorError(404, {"errors": "Not Found"})
        return json_response(200, {"location": self._location_json()})

    def _location_json(self) -> dict[str, Any]:
        """The shop's one location, where restocked items go back to."""
        created = isoformat(self.backend.opened_at)
        return {"id": self.backend.location_id, "name": "Shop location", "address1": "12 Analytical Row",
                "address2": None, "city": "Austin", "zip": "78701", "province": "Texas", "country": "US",
                "phone": None, "created_at": created, "updated_at": created, "country_code": "US",
                "country_name": "United States", "province_code": "TX", "legacy": False, "active": True,
                "admin_graphql_api_id": f"gid://shopify/Location/{self.backend.location_id}",
                "localized_country_name": "United States", "localized_province_name": "Texas"}

    @route("POST", API + r"/orders/(?P<order_id>[0-9]{1,19})/refunds\.json")
    def create_refund(self, request: httpx.Request, version: str, order_id: str) -> httpx.Response:
        order = self.backend.order(int(order_id))
        refund = self.backend.create_refund(order.id, parse_refund_request(_root(request, "refund")))
        return json_response(201, {"refund": refund_json(order, refund, version)})

    @route("GET", API + r"/orders/(?P<order_id>[0-9]{1,19})/refunds\.json")
    def list_refunds(self, request: httpx.Request, version: str, order_id: str) -> httpx.Response:
        order = self.backend.order(int(order_id))
        fields = requested_fields(request)
        return json_response(200, {"refunds": [only_fields(refund_json(order, r, version), fields)
                                               for r in listing.visible(order.refunds, lambda r: r.created_at)]})

    @route("GET", API + r"/orders/(?P<order_id>[0-9]{1,19})/refunds/(?P<refund_id>[0-9]{1,19})\.json")
    def get_refund(self, request: httpx.Request, version: str, order_id: str, refund_id: str) -> httpx.Response:
        refund = self.backend.refund(int(order_id), int(refund_id))
        document = refund_json(self.backend.order(int(order_id)), refund, version)
        return json_response(200, {"refund": only_fields(document, requested_fields(request))})

    # --- GraphQL Admin API -----------------------------------------------------------------
    @route("POST", API + r"/graphql\.json")
    def graphql(self, request: httpx.Request, version: str) -> httpx.Response:
        """GraphQL errors (syntax, validation, throttling, userErrors) are HTTP 200; only a body with no
        usable query is a 400, as Shopify answers it."""
        if request.headers.get("content-type", "").split(";")[0].strip() == "application/graphql":
            try:
                body: Any = {"query": request.content.decode()}
            except UnicodeDecodeError:
                raise _bad_request("the request contains text that is not valid Unicode") from None
        else:
            body = read_json(request, _bad_request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise SimulatorError(400, {"errors": {"query": "Required parameter missing or invalid"}})
        answer = self.graphql_endpoint.run(body["query"], body.get("variables"), body.get("operationName"))
        return json_response(200, answer)

    # --- webhooks --------------------------------------------------------------------------
    @route("POST", API + r"/webhooks\.json")
    def create_webhook(self, request: httpx.Request, version: str) -> httpx.Response:
        body = _root(request, "webhook")
        errors = FieldErrors()
        for key in ("topic", "address"):
            if not isinstance(body.get(key), str) or not body.get(key):
                errors.add(key, "can't be blank")
        errors.raise_if_any()
        fmt = body.get("format", "json")
        subscription = self.backend.subscribe(body["topic"], body["address"], str(fmt), version,
                                              allow_http=self.settings.allow_http_webhooks)
        return json_response(201, {"webhook": webhook_json(subscription)})

    @route("GET", API + r"/webhooks\.json")
    def list_webhooks(self, request: httpx.Request, version: str) -> httpx.Response:
        topic = request.url.params.get("topic")
        found = [w for w in self.backend.webhooks.values() if topic is None or w.topic == topic]
        return json_response(200, {"webhooks": [webhook_json(w) for w in found]})

    @route("GET", API + r"/webhooks/(?P<webhook_id>[0-9]{1,19})\.json")
    def get_webhook(self, request: httpx.Request, version: str, webhook_id: str) -> httpx.Response:
        found = self.backend.webhooks.get(int(webhook_id))
        if found is None:
            raise SimulatorError(404, {"errors": "Not Found"})
        return json_response(200, {"webhook": webhook_json(found)})

    @route("DELETE", API + r"/webhooks/(?P<webhook_id>[0-9]{1,19})\.json")
    def delete_webhook(self, request: httpx.Request, version: str, webhook_id: str) -> httpx.Response:
        self.backend.unsubscribe(int(webhook_id))
        return json_response(200, {})

    # --- query helpers ---------------------------------------------------------------------
    @staticmethod
    def _limit(raw: str | None) -> int:
        if raw is None:
            return 50
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or not 1 <= int(raw) <= 250:
            raise _bad_request(f"limit - must be a whole number from 1 to 250, not {raw!r}")
        return int(raw)

    @staticmethod
    def _order_filters(raw: dict[str, Any]) -> dict[str, Any]:
        """Query-string filters (kept raw inside page_info cursors) -> typed list_orders arguments."""
        status = raw.get("status", "open")
        if status not in ORDER_STATUSES:
            raise _bad_request(f"status - {status!r} is not one of {', '.join(ORDER_STATUSES)}")
        filters: dict[str, Any] = {"status": status}
        if "since_id" in raw:
            try:
                filters["since_id"] = safe.parse_id(raw["since_id"], "since_id")
            except safe.BadInput as exc:
                raise _bad_request(f"since_id - {exc}") from None
        if "updated_at_min" in raw:
            try:
                filters["updated_at_min"] = safe.parse_time(raw["updated_at_min"], "updated_at_min")
            except safe.BadInput:
                raise _bad_request(f"updated_at_min - {raw['updated_at_min']!r} is not an ISO 8601 time") from None
        return filters

    @staticmethod
    def _link(request: httpx.Request, version: str, limit: int, cursor: dict[str, Any], rel: str) -> str:
        base = f"{request.url.scheme}://{request.url.netloc.decode()}/admin/api/{version}/orders.json"
        return f'<{base}?limit={limit}&page_info={PAGE_INFO.encode(cursor)}>; rel="{rel}"'
