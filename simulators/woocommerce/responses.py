"""WooCommerce REST API wc/v3 over httpx: parse, call the store, render, and the control plane.

Wire rules kept here: money is a decimal string on read ("10.00", ``dp`` places); refunded items
are negative; errors are ``{"code", "message", "data": {"status"}}``; lists carry ``X-WP-Total``,
``X-WP-TotalPages`` and a ``Link`` header; authentication is Basic (or query keys) over HTTPS and
OAuth 1.0a over HTTP (``auth.py``); webhooks are signed with the webhook's secret.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import math
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx

from common import jsonio, money
from common.clock import Clock, SystemClock
from common.seeded import IdSource, derived_seed
from simulators.core import listing, safe
from simulators.core.base import Call, Simulator, SimulatorError, json_response, merchant_action, route, sent_as_json
from simulators.core.orders import OrderSpec
from simulators.core.webhooks import Delivery, DeliveryAttempt, hmac_sha256_base64
from simulators.woocommerce.auth import ALGORITHMS, REQUIRED, parse_oauth_header, php_get, woocommerce_signature
from simulators.woocommerce.models import (
    DISABLE_AFTER_FAILURES, OFFLINE_GATEWAYS, REFUND_GATEWAYS, ApiKey, Item, LineRefund, Order, Refund, RefundRequest, Webhook, WooBackend, WooError,
    invalid_param,
)

API = r"/wp-json/wc/v3"
ORDER = r"(?P<order_id>[0-9]+)"
TIMESTAMP_WINDOW = 15 * 60
AUTH_PARAMS = frozenset(REQUIRED) | {"consumer_key", "consumer_secret"}


def sign_webhook(secret: str, body: bytes) -> str:
    """``X-WC-Webhook-Signature``: base64 of HMAC-SHA256 over the raw body, keyed by the webhook secret."""
    return hmac_sha256_base64(secret, body)


# --- rendering -------------------------------------------------------------------------------

def wc_date(moment: datetime) -> str:
    """WooCommerce's dates: no offset; the site runs on UTC, so local and GMT agree."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class Render:
    """JSON for one request: money with ``dp`` places, links on the host the client addressed."""

    def __init__(self, base: str, dp: int | None) -> None:
        self.base = base
        self.dp = dp

    def money(self, value: Decimal, currency: str) -> str:
        places = money.exponent(currency) if self.dp is None else self.dp
        return str(value.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP"))

    def _taxes(self, tax: Decimal, rate_id: int | None, cur: str) -> list[dict[str, Any]]:
        return [{"id": rate_id, "total": self.money(tax, cur), "subtotal": self.money(tax, cur)}] if rate_id else []

    def item(self, item: Item, cur: str) -> dict[str, Any]:
        if item.kind == "shipping":
            return {"id": item.id, "method_title": item.name, "method_id": "flat_rate", "instance_id": "1",
                    "total": self.money(item.total, cur), "total_tax": self.money(item.tax, cur),
                    "taxes": self._taxes(item.tax, item.tax_rate_id, cur), "meta_data": []}
        return {"id": item.id, "name": item.name, "product_id": item.product_id, "variation_id": 0,
                "quantity": item.quantity, "tax_class": "", "subtotal": self.money(item.subtotal, cur),
                "subtotal_tax": self.money(item.tax, cur), "total": self.money(item.total, cur),
                "total_tax": self.money(item.tax, cur), "taxes": self._taxes(item.tax, item.tax_rate_id, cur),
                "meta_data": [], "sku": item.sku, "price": item.price}

    def order(self, order: Order) -> dict[str, Any]:
        cur = order.currency
        lines, shipping = order.lines("line_item"), order.lines("shipping")
        rates: dict[int, list[Decimal]] = {}
        for item in order.items:
            if item.tax_rate_id:
                rates.setdefault(item.tax_rate_id, [money.ZERO, money.ZERO])[item.kind == "shipping"] += item.tax
        return {
            "id": order.id, "parent_id": 0, "number": str(order.id), "order_key": order.order_key,
            "created_via": "checkout", "version": "9.4.0", "status": order.status, "currency": cur,
            "date_created": wc_date(order.created_at), "date_created_gmt": wc_date(order.created_at),
            "date_modified": wc_date(order.modified_at), "date_modified_gmt": wc_date(order.modified_at),
            "discount_total": self.money(sum((i.subtotal - i.total for i in lines), money.ZERO), cur),
            "discount_tax": self.money(money.ZERO, cur),
            "shipping_total": self.money(sum((s.total for s in shipping), money.ZERO), cur),
            "shipping_tax": self.money(sum((s.tax for s in shipping), money.ZERO), cur),
            "cart_tax": self.money(sum((i.tax for i in lines), money.ZERO), cur),
            "total": self.money(order.total, cur),
            "total_tax": self.money(sum((i.tax for i in order.items), money.ZERO), cur),
            "prices_include_tax": False, "customer_id": 0, "customer_note": order.customer_note,
            "billing": dict(order.billing), "shipping": {"first_name": order.billing["first_name"],
                                                         "last_name": order.billing["last_name"]},
            "payment_method": order.payment_method, "payment_method_title": order.payment_method_title,
            "transaction_id": order.transaction_id,
            "date_paid": wc_date(order.paid_at) if order.paid_at else None,
            "date_paid_gmt": wc_date(order.paid_at) if order.paid_at else None,
            "date_completed": None, "date_completed_gmt": None, "meta_data": [],
            "line_items": [self.item(i, cur) for i in lines],
            "tax_lines": [{"id": rate_id, "rate_code": f"TAX-{rate_id}", "rate_id": rate_id, "label": "Tax",
                           "compound": False, "tax_total": self.money(t[0], cur),
                           "shipping_tax_total": self.money(t[1], cur)} for rate_id, t in sorted(rates.items())],
            "shipping_lines": [self.item(s, cur) for s in shipping], "fee_lines": [], "coupon_lines": [],
            "refunds": [{"id": r.id, "reason": r.reason, "total": self.money(-r.amount, cur)} for r in order.refunds],
            "_links": {"self": [{"href": f"{self.base}/orders/{order.id}"}],
                       "collection": [{"href": f"{self.base}/orders"}]},
        }

    def refund(self, order: Order, refund: Refund) -> dict[str, Any]:
        cur = order.currency

        def refunded(ri) -> dict[str, Any]:
            item = ri.refunded_item
            taxes = [{"id": rate_id, "total": self.money(-t, cur), "subtotal": self.money(-t, cur)}
                     for rate_id, t in ri.taxes.items()]
            meta = [{"id": ri.id + 1, "key": "_refunded_item_id", "value": str(item.id)}]
            if item.kind == "shipping":
                return {"id": ri.id, "method_title": item.name, "method_id": "flat_rate", "instance_id": "1",
                        "total": self.money(-ri.total, cur), "total_tax": self.money(-ri.tax, cur),
                        "taxes": taxes, "meta_data": meta}
            return {"id": ri.id, "name": item.name, "product_id": item.product_id, "variation_id": 0,
                    "quantity": -ri.quantity, "tax_class": "", "subtotal": self.money(-ri.total, cur),
                    "subtotal_tax": self.money(-ri.tax, cur), "total": self.money(-ri.total, cur),
                    "total_tax": self.money(-ri.tax, cur), "taxes": taxes, "meta_data": meta, "sku": item.sku,
                    "price": -(ri.total / ri.quantity) if ri.quantity else Decimal(0),
                    "refund_total": ri.total}

        base = f"{self.base}/orders/{order.id}"
        return {
            "id": refund.id, "date_created": wc_date(refund.created_at), "date_created_gmt": wc_date(refund.created_at),
            "amount": self.money(refund.amount, cur), "reason": refund.reason, "refunded_by": refund.refunded_by,
            "refunded_payment": refund.refunded_payment, "meta_data": [],
            "line_items": [refunded(ri) for ri in refund.items if ri.refunded_item.kind == "line_item"],
            "shipping_lines": [refunded(ri) for ri in refund.items if ri.refunded_item.kind == "shipping"],
            "tax_lines": [], "fee_lines": [],
            "_links": {"self": [{"href": f"{base}/refunds/{refund.id}"}],
                       "collection": [{"href": f"{base}/refunds"}], "up": [{"href": base}]},
        }

    def webhook(self, hook: Webhook) -> dict[str, Any]:
        return {"id": hook.id, "name": hook.name, "status": hook.status, "topic": hook.topic,
                "resource": hook.resource, "event": hook.event, "hooks": [hook.event] if hook.resource == "action" else [],
                "delivery_url": hook.delivery_url, "date_created": wc_date(hook.created_at),
                "date_created_gmt": wc_date(hook.created_at), "date_modified": wc_date(hook.created_at),
                "date_modified_gmt": wc_date(hook.created_at),
                "_links": {"self": [{"href": f"{self.base}/webhooks/{hook.id}"}],
                           "collection": [{"href": f"{self.base}/webhooks"}]}}


def as_wire(payload: Any) -> Any:
    return jsonio.loads(jsonio.dumps(payload))


# --- parsing -----------------------------------------------------------------------------------

def _body(request: httpx.Request) -> dict[str, Any]:
    """A JSON object body; WordPress reads an empty or non-JSON body as no parameters, and parses a body
    as JSON only when its Content-Type says it is (otherwise a JSON body, too, is no parameters)."""
    raw = request.content
    if not raw or not sent_as_json(request):
        return {}
    try:
        body = safe.loads(raw)
    except safe.BadInput as exc:
        raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.", details=str(exc)[:200]) from None
    if not isinstance(body, dict):
        raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return body


def _number(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise invalid_param("line_items", f"{name} is not of type number.")
    try:
        return safe.parse_decimal(value, name)
    except safe.BadInput as exc:
        raise invalid_param("line_items", str(exc)) from None


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2 ** 63:
        raise invalid_param("line_items", f"{name} is not of type integer.")
    return value


def parse_refund_request(body: dict[str, Any]) -> RefundRequest:
    amount = None
    if body.get("amount") is not None:
        if not isinstance(body["amount"], str):
            raise invalid_param("amount", "amount is not of type string.")
        try:
            amount = safe.parse_decimal(body["amount"], "amount")
        except safe.BadInput as exc:
            raise invalid_param("amount", str(exc)) from None
    reason = body.get("reason") or ""
    if not isinstance(reason, str):
        raise invalid_param("reason", "reason is not of type string.")
    flags = {}
    for name in ("api_refund", "api_restock"):
        value = body.get(name, True)
        flags[name] = value if isinstance(value, bool) else True   # a non-boolean means the default
    raw_lines = body.get("line_items") or []
    if not isinstance(raw_lines, list):
        raise invalid_param("line_items", "line_items is not of type array.")
    lines = []
    for n, entry in enumerate(raw_lines):
        if not isinstance(entry, dict):
            raise invalid_param("line_items", f"line_items[{n}] is not of type object.")
        item_id = _integer(entry.get("id"), f"line_items[{n}][id]")
        quantity = _integer(entry.get("quantity", 0), f"line_items[{n}][quantity]")
        total = None if entry.get("refund_total") is None else _number(entry["refund_total"], f"line_items[{n}][refund_total]")
        taxes = entry.get("refund_tax") or []
        if not isinstance(taxes, list) or not all(isinstance(t, dict) for t in taxes):
            raise invalid_param("line_items", f"line_items[{n}][refund_tax] is not a list of objects.")
        refund_tax = tuple((_integer(t.get("id"), f"line_items[{n}][refund_tax][{m}][id]"),
                            _number(t.get("refund_total", 0), f"line_items[{n}][refund_tax][{m}][refund_total]"))
                           for m, t in enumerate(taxes))
        lines.append(LineRefund(item_id, quantity, total, refund_tax))
    return RefundRequest(amount, reason, tuple(lines), flags["api_refund"], flags["api_restock"])


def _id(text: str) -> int:
    return int(text) if len(text) <= safe.MAX_ID_DIGITS else 0


# --- outbound webhooks -----------------------------------------------------------------------

@dataclass
class WooDelivery(Delivery):
    delivery_id: str
    webhook_id: int
    topic: str
    address: str
    body: bytes


@dataclass
class WooSettings:
    """Knobs a test may turn; they survive ``reset``."""

    # Check OAuth timestamps against the wall clock rather than the store's own (test) clock: an SDK
    # stamps its requests with the wall clock and cannot be told otherwise.
    oauth_wall_clock: bool = False


class WooCommerceSimulator(Simulator):
    """One self-hosted WooCommerce store behind ``https://<host>/wp-json/wc/v3/``."""

    platform = "woocommerce"
    error_type = WooError
    fault_errors = {"cannot_create_refund": lambda status: WooError(
        status, "woocommerce_rest_cannot_create_order_refund", "Cannot create order refund, please try again.")}

    def __init__(self, host: str = "acme-outfitters.example", clock: Clock | None = None, seed: int = 0,
                 webhook_client: httpx.Client | None = None) -> None:
        self.host = host
        self.webhook_client = webhook_client
        self.settings = WooSettings()
        super().__init__(hosts=[host], clock=clock, seed=seed)

    def _reset_state(self, seed: int) -> None:
        # credentials and delivery ids: the site's own (another site seeded alike gets others), and drawn
        # apart from the record ids so they don't shift them
        secrets = IdSource(derived_seed(seed, self.host, "credentials"))
        self.backend = WooBackend(self.record_clock, seed, publish=self._on_event)
        self.consumer_key = f"ck_{secrets.hex(40)}"
        self.consumer_secret = f"cs_{secrets.hex(40)}"
        self.backend.add_key(self.consumer_key, self.consumer_secret, "read_write")
        self._secrets = secrets
        self.deliveries: list[WooDelivery] = []

    # --- control plane ---------------------------------------------------------------------
    def client_credentials(self) -> dict[str, str]:
        return {"url": f"https://{self.host}", "consumer_key": self.consumer_key,
                "consumer_secret": self.consumer_secret}

    def add_key(self, permissions: str) -> tuple[str, str]:
        """Another REST API key of this store with ``read``, ``write`` or ``read_write`` permissions."""
        with self._lock:
            key = self.backend.add_key(f"ck_{self._secrets.hex(40)}", f"cs_{self._secrets.hex(40)}", permissions)
            return key.consumer_key, key.consumer_secret

    def _render(self) -> Render:
        return Render(f"https://{self.host}{API}", None)

    def add_order(self, spec: OrderSpec) -> dict[str, Any]:
        """A customer checks out; returns the order as ``GET orders/{id}`` shows it."""
        with self._lock:
            return as_wire(self._render().order(self.backend.add_order(spec)))

    def order(self, order_id: int | str) -> dict[str, Any]:
        with self._lock:
            return as_wire(self._render().order(self.backend.order(int(order_id))))

    @merchant_action
    def refund_in_admin(self, order_id: int | str, *, amount: Decimal | None = None,
                        lines: list[tuple[int, int]] | tuple[()] = (), shipping: bool = False,
                        reason: str = "", api_refund: bool | None = None) -> dict[str, Any]:
        """The merchant's Refund button in the order screen: the named item lines (all of what is left of
        each line's value for those units) and shipping, with ``amount`` defaulting to their sum. The
        money goes back through the gateway where it can refund (``api_refund`` None), else the refund
        is recorded manually, as the admin offers only that button then. Raises ``WooError`` as the
        API would."""
        with self._lock:
            order = self.backend.order(int(order_id))
            wanted = []
            for item_id, quantity in lines:
                item = order.item(int(item_id))
                if item is None:
                    raise WooError(404, "woocommerce_rest_invalid_order_item", f"Item {item_id} is not on the order.")
                wanted.append(self._unit_share(order, item, quantity))
            if shipping:
                wanted.extend(self._unit_share(order, s, 1) for s in order.lines("shipping"))
            total = None if amount is None else Decimal(amount)
            via_gateway = order.payment_method in REFUND_GATEWAYS if api_refund is None else api_refund
            refund = self.backend.create_refund(order.id, RefundRequest(total, reason, tuple(wanted), via_gateway))
            return as_wire(self._render().refund(order, refund))

    @staticmethod
    def _unit_share(order: Order, item: Item, quantity: int) -> LineRefund:
        """What the admin fills in for ``quantity`` units of an item: their part of what is left of it."""
        done_units = sum(ri.quantity for r in order.refunds for ri in r.items if ri.refunded_item is item)
        done_total = sum((ri.total for r in order.refunds for ri in r.items if ri.refunded_item is item), money.ZERO)
        done_tax = sum((ri.tax for r in order.refunds for ri in r.items if ri.refunded_item is item), money.ZERO)
        left = item.quantity - done_units
        if quantity < 1 or quantity > left:
            raise WooError(400, "woocommerce_rest_invalid_order_refund",
                           f"Item {item.id} has {left} of {item.quantity} left to refund, not {quantity}.")
        share = (lambda whole, done: money.round_amount((whole - done) * quantity / left, order.currency))
        total, tax = share(item.total, done_total), share(item.tax, done_tax)
        return LineRefund(item.id, quantity, total, ((item.tax_rate_id, tax),) if item.tax_rate_id else ())

    def deliver_webhooks(self) -> list[WooDelivery]:
        """Send every delivery not yet acknowledged once (outside the lock: a receiver may call back)."""
        client = self._require_webhook_client()
        with self._lock:
            due = [d for d in self.deliveries if not d.delivered and not d.abandoned
                   and self.backend.webhooks[d.webhook_id].status == "active"]
        plan = self.plan_webhooks(due, self.host, lambda d: d.topic)
        for delivery in plan.dropped:
            delivery.abandoned = True
        for delivery in plan.send:
            self._send(delivery, client)
        return [d for d in due if not d.abandoned]

    def redeliver(self, delivery: WooDelivery) -> None:
        self._send(delivery, self._require_webhook_client())

    def send_as_new_delivery(self, delivery: WooDelivery) -> WooDelivery:
        """Send a delivery's body again as a delivery of its own, under a new ``X-WC-Webhook-Delivery-ID``."""
        with self._lock:
            again = WooDelivery(self._secrets.hex(40), delivery.webhook_id, delivery.topic, delivery.address,
                                delivery.body)
            self.deliveries.append(again)
        self._send(again, self._require_webhook_client())
        return again

    def _send(self, delivery: WooDelivery, client: httpx.Client) -> None:
        hook = self.backend.webhooks[delivery.webhook_id]
        headers = {"Content-Type": "application/json", "X-WC-Webhook-Source": f"https://{self.host}/",
                   "X-WC-Webhook-Topic": hook.topic, "X-WC-Webhook-Resource": hook.resource,
                   "X-WC-Webhook-Event": hook.event, "X-WC-Webhook-Signature": sign_webhook(hook.secret, delivery.body),
                   "X-WC-Webhook-ID": str(hook.id), "X-WC-Webhook-Delivery-ID": delivery.delivery_id}
        try:
            attempt = DeliveryAttempt(self.clock.now(), client.post(hook.delivery_url, content=delivery.body,
                                                                    headers=headers).status_code)
        except httpx.HTTPError as exc:
            attempt = DeliveryAttempt(self.clock.now(), None, f"{type(exc).__name__}: {exc}")
        status = attempt.status_code
        with self._lock:
            delivery.attempts.append(attempt)
            if status is not None and 200 <= status < 300:
                hook.failure_count = 0
            else:
                hook.failure_count += 1
                if hook.failure_count >= DISABLE_AFTER_FAILURES:
                    hook.status = "disabled"

    def _require_webhook_client(self) -> httpx.Client:
        if self.webhook_client is None:
            raise RuntimeError("this WooCommerceSimulator has no webhook_client; pass one to the constructor")
        return self.webhook_client

    def _on_event(self, topic: str, order: Order, refund: Refund | None) -> None:
        """Snapshot the payload now: an action topic sends the hook's first argument (the order id),
        a resource topic the order as the REST API shows it."""
        for hook in self.backend.subscriptions(topic):
            payload = ({"action": topic.split(".", 1)[1], "arg": order.id} if hook.resource == "action"
                       else self._render().order(order))
            self.deliveries.append(WooDelivery(self._secrets.hex(40), hook.id, topic, hook.delivery_url,
                                           jsonio.dumps(payload).encode()))

    # --- platform-wide checks --------------------------------------------------------------
    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        if isinstance(body, dict) and "code" in body:
            return json_response(status, body, headers)
        code = {404: "rest_no_route", 405: "rest_no_route", 429: "too_many_requests"}.get(status, "rest_error")
        return json_response(status, {"code": code, "message": str(body), "data": {"status": status}}, headers)

    def render_error(self, err: WooError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, err.body())

    def bad_request(self, message: str) -> WooError:
        return WooError(400, "rest_invalid_param", message)

    def no_route(self, request: httpx.Request) -> WooError:
        return WooError(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _match(self, request: httpx.Request):  # type: ignore[override]
        try:
            return super()._match(request)
        except SimulatorError:   # WordPress answers a known path with the wrong method as no route
            raise self.no_route(request) from None

    def tenant_of(self, request: httpx.Request) -> str | None:
        return self.host

    def authenticate(self, call: Call) -> None:
        key = self._authenticate(call.request)
        if key is None:
            raise self._unauthorized(call.request.method, call.operation)
        self._check_permissions(key, call.request.method)

    # --- authentication ---------------------------------------------------------------------
    def _authenticate(self, request: httpx.Request) -> ApiKey | None:
        """``WC_REST_Authentication::authenticate``: Basic first over HTTPS, then OAuth 1.0a."""
        query = php_get(request.url.params.multi_items())
        error: WooError | None = None
        if request.url.scheme == "https":
            ck, cs = query.get("consumer_key", ""), query.get("consumer_secret", "")
            if not (ck and cs):
                ck, cs = _basic_credentials(request.headers.get("Authorization", ""))
            key = self.backend.keys.get(ck) if ck and cs else None
            if key is not None:
                if hmac.compare_digest(key.consumer_secret.encode(), cs.encode()):
                    return key
                error = WooError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        params = {**query, **parse_oauth_header(request.headers.get("Authorization", "").strip())}
        present = [name for name in REQUIRED if params.get(name)]
        if not present:
            if error:
                raise error
            return None
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            raise WooError(401, "woocommerce_rest_authentication_missing_parameter",
                           f"Missing OAuth parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        key = self.backend.keys.get(params["oauth_consumer_key"])
        if key is None:
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        method = params["oauth_signature_method"]
        if method not in ALGORITHMS:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.")
        base_uri = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}{request.url.path}"
        expected = woocommerce_signature(request.method, base_uri, params, key.consumer_secret, method)
        given = urllib.parse.unquote(params["oauth_signature"].replace(" ", "+"))
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise WooError(401, "woocommerce_rest_authentication_error",
                           "Invalid signature - provided signature does not match.")
        now = (SystemClock() if self.settings.oauth_wall_clock else self.record_clock).now()
        stamp = params["oauth_timestamp"]
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or \
                abs(int(stamp) - now.timestamp()) > TIMESTAMP_WINDOW:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid timestamp.")
        if not self.backend.use_nonce(key, params["oauth_nonce"], datetime.fromtimestamp(int(stamp), timezone.utc), now):
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
        return key

    @staticmethod
    def _unauthorized(method: str, operation: str) -> WooError:
        if method == "GET":
            what = "list resources" if operation.startswith("list") else "view this resource"
            return WooError(401, "woocommerce_rest_cannot_view", f"Sorry, you cannot {what}.")
        if method == "DELETE":
            return WooError(401, "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
        return WooError(401, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.")

    @staticmethod
    def _check_permissions(key: ApiKey, method: str) -> None:
        if method in ("GET", "HEAD") and key.permissions not in ("read", "read_write"):
            raise WooError(401, "woocommerce_rest_authentication_error",
                           "The API key provided does not have read permissions.")
        if method in ("POST", "PUT", "PATCH", "DELETE") and key.permissions not in ("write", "read_write"):
            raise WooError(401, "woocommerce_rest_authentication_error",
                           "The API key provided does not have write permissions.")

    # --- helpers ----------------------------------------------------------------------------
    def _renderer(self, request: httpx.Request) -> Render:
        dp = request.url.params.get("dp")
        places = None
        if dp is not None:
            places = int(dp) if dp.isascii() and dp.isdigit() and len(dp) <= 2 else 0   # absint
            places = min(places, 10)
        host = request.url.netloc.decode("ascii", "replace")
        return Render(f"{request.url.scheme}://{host}/wp-json/wc/v3", places)

    @staticmethod
    def _paging(request: httpx.Request) -> tuple[int, int]:
        params = request.url.params
        per_page, page = params.get("per_page", "10"), params.get("page", "1")
        if not (per_page.isascii() and per_page.isdigit() and len(per_page) <= 3 and 1 <= int(per_page) <= 100):
            raise invalid_param("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        if not (page.isascii() and page.isdigit() and len(page) <= 9 and int(page) >= 1):
            raise invalid_param("page", "page must be greater than or equal to 1")
        return int(per_page), int(page)

    def _page(self, request: httpx.Request, records: list[Any], path: str) -> tuple[list[Any], dict[str, str]]:
        per_page, page = self._paging(request)
        per_page = self.page_limit(per_page)
        total = len(records)
        pages = math.ceil(total / per_page) if total else 0
        kept = [(k, v) for k, v in request.url.params.multi_items() if k not in AUTH_PARAMS and k != "page"]
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}{path}"

        def link(n: int, rel: str) -> str:
            return f'<{base}?{urllib.parse.urlencode(kept + [("page", str(n))])}>; rel="{rel}"'

        links = ([link(page - 1, "prev")] if 1 < page <= pages + 1 else []) + \
                ([link(page + 1, "next")] if page < pages else [])
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return records[(page - 1) * per_page: page * per_page], headers

    # --- orders ----------------------------------------------------------------------------
    @route("GET", API + r"/orders")
    def list_orders(self, request: httpx.Request) -> httpx.Response:
        since = None
        raw = request.url.params.get("modified_after")
        if raw is not None:
            try:
                since = safe.parse_time(raw, "modified_after")
            except safe.BadInput:
                raise invalid_param("modified_after", "Invalid date.") from None
        render = self._renderer(request)
        page, headers = self._page(request, listing.visible(self.backend.list_orders(since), lambda o: o.modified_at),
                                   request.url.path)
        return json_response(200, [render.order(o) for o in page], headers)

    @route("GET", API + rf"/orders/{ORDER}")
    def get_order(self, request: httpx.Request, order_id: str) -> httpx.Response:
        return json_response(200, self._renderer(request).order(self.backend.order(_id(order_id))))

    # --- refunds ---------------------------------------------------------------------------
    @route("GET", API + rf"/orders/{ORDER}/refunds")
    def list_refunds(self, request: httpx.Request, order_id: str) -> httpx.Response:
        order = self._refunds_order(order_id)
        render = self._renderer(request)
        newest_first = sorted(listing.visible(order.refunds, lambda r: r.created_at), key=lambda r: (r.created_at, r.id), reverse=True)
        page, headers = self._page(request, newest_first, request.url.path)
        return json_response(200, [render.refund(order, r) for r in page], headers)

    @route("POST", API + rf"/orders/{ORDER}/refunds")
    def create_refund(self, request: httpx.Request, order_id: str) -> httpx.Response:
        wanted = parse_refund_request(_body(request))
        refund = self.backend.create_refund(_id(order_id), wanted)
        order = self.backend.order(refund.order_id)
        return json_response(201, self._renderer(request).refund(order, refund))

    @route("GET", API + rf"/orders/{ORDER}/refunds/(?P<refund_id>[0-9]+)")
    def get_refund(self, request: httpx.Request, order_id: str, refund_id: str) -> httpx.Response:
        order = self._refunds_order(order_id)
        return json_response(200, self._renderer(request).refund(order, self.backend.refund(order.id, _id(refund_id))))

    @route("DELETE", API + rf"/orders/{ORDER}/refunds/(?P<refund_id>[0-9]+)")
    def delete_refund(self, request: httpx.Request, order_id: str, refund_id: str) -> httpx.Response:
        order = self._refunds_order(order_id)
        refund = self.backend.refund(order.id, _id(refund_id))
        if request.url.params.get("force") not in ("true", "1"):
            # WooCommerce's own answer (a 5xx) to a delete without force=true: refunds have no trash
            raise WooError(501, "woocommerce_rest_trash_not_supported", "Refunds do not support trashing.")
        shown = self._renderer(request).refund(order, refund)
        self.backend.delete_refund(order.id, refund.id)
        return json_response(200, shown)

    def _refunds_order(self, order_id: str) -> Order:
        order = self.backend.orders.get(_id(order_id))
        if order is None:
            raise WooError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
        return order

    # --- payment gateways ------------------------------------------------------------------
    @route("GET", API + r"/payment_gateways/(?P<gateway_id>[a-z0-9_-]+)")
    def get_payment_gateway(self, request: httpx.Request, gateway_id: str) -> httpx.Response:
        title = REFUND_GATEWAYS.get(gateway_id) or OFFLINE_GATEWAYS.get(gateway_id)
        if title is None:
            raise WooError(404, "woocommerce_rest_payment_gateway_invalid", "Invalid payment gateway ID.")
        supports = ["products", "refunds"] if gateway_id in REFUND_GATEWAYS else ["products"]
        return json_response(200, {"id": gateway_id, "title": title, "description": "", "order": "", "enabled": True,
                                   "method_title": title, "method_description": "", "method_supports": supports,
                                   "settings": {}})

    # --- webhooks --------------------------------------------------------------------------
    @route("POST", API + r"/webhooks")
    def create_webhook(self, request: httpx.Request) -> httpx.Response:
        body = _body(request)
        fields = {name: body.get(name, default) for name, default in
                  (("name", ""), ("topic", ""), ("delivery_url", ""), ("secret", ""), ("status", "active"))}
        for name, value in fields.items():
            if not isinstance(value, str):
                raise invalid_param(name, f"{name} is not of type string.")
        if fields["status"] not in ("active", "paused", "disabled"):
            raise invalid_param("status", "status is not one of active, paused, and disabled.")
        if not fields["delivery_url"]:
            raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): delivery_url",
                           params=["delivery_url"])
        secret = fields["secret"] or self._secrets.hex(50)   # WooCommerce generates one when none is given
        hook = self.backend.add_webhook(fields["name"], fields["topic"], fields["delivery_url"], secret, fields["status"])
        return json_response(201, self._renderer(request).webhook(hook))

    @route("GET", API + r"/webhooks")
    def list_webhooks(self, request: httpx.Request) -> httpx.Response:
        render = self._renderer(request)
        page, headers = self._page(request, sorted(self.backend.webhooks.values(), key=lambda w: w.id), request.url.path)
        return json_response(200, [render.webhook(w) for w in page], headers)

    @route("GET", API + r"/webhooks/(?P<webhook_id>[0-9]+)")
    def get_webhook(self, request: httpx.Request, webhook_id: str) -> httpx.Response:
        hook = self.backend.webhooks.get(_id(webhook_id))
        if hook is None:
            raise WooError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        return json_response(200, self._renderer(request).webhook(hook))

    @route("DELETE", API + r"/webhooks/(?P<webhook_id>[0-9]+)")
    def delete_webhook(self, request: httpx.Request, webhook_id: str) -> httpx.Response:
        hook = self.backend.webhooks.get(_id(webhook_id))
        if hook is None:
            raise WooError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        if request.url.params.get("force") not in ("true", "1"):
            raise WooError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        shown = self._renderer(request).webhook(hook)
        del self.backend.webhooks[hook.id]
        return json_response(200, shown)


def _basic_credentials(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password
