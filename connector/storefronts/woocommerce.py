"""WooCommerce REST API wc/v3: orders, refunds by line (products and shipping) or by amount, and
refund webhooks (``action.woocommerce_order_refunded``).

Every store is self-hosted: an account's ``store`` is the site's host, reached over HTTPS with HTTP
Basic (consumer key and secret). WooCommerce answers a refused refund ("Invalid refund amount.", a
gateway that cannot refund) with HTTP 500 ``woocommerce_rest_cannot_create_order_refund``; that is
a refusal, not an outage, so it is not retried.
"""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from connector.errors import NotFound, RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec

PER_PAGE = 100
REFUND_TOPIC = "action.woocommerce_order_refunded"
CANNOT_CREATE_REFUND = "woocommerce_rest_cannot_create_order_refund"
# the one answer under that code that means "something broke, try again" rather than a refusal
TRY_AGAIN = "Cannot create order refund, please try again."
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


def shipping_line_id(item_id: object) -> str:
    return f"shipping-{item_id}"


def read_error(body: Any) -> str:
    if isinstance(body, dict) and "message" in body:
        return f"{body.get('code', 'error')}: {body['message']}"
    return str(body)[:300]


def _time(raw: Mapping[str, Any], name: str) -> datetime | None:
    """WooCommerce dates carry no offset; the ``_gmt`` twin is UTC."""
    text = raw.get(f"{name}_gmt") or raw.get(name)
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None


def _refunded_item_id(item: Mapping[str, Any]) -> str | None:
    return next((str(m.get("value")) for m in item.get("meta_data") or [] if m.get("key") == "_refunded_item_id"), None)


class WooCommerceAdapter:
    platform = "woocommerce"
    display_name = "WooCommerce"
    supports_line_items = True
    refund_target_type = "woocommerce_refund"

    def __init__(self, http: httpx.Client, *, store: str, consumer_key: str, consumer_secret: str,
                 webhook_secret: str = "") -> None:
        self.store = store
        self.webhook_secret = webhook_secret
        basic = base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()
        self.api = StorefrontHttp(http, system="WooCommerce", base_url=f"https://{store}/wp-json/wc/v3",
                                  headers={"Authorization": f"Basic {basic}"}, read_error=read_error)

    # --- orders -----------------------------------------------------------------------------
    def _raw_order(self, order_id: str) -> dict:
        data, _ = self.api.request("GET", f"/orders/{order_id}", what=f"read order {order_id}")
        return data

    def get_order(self, order_id: str) -> Order:
        return self.parse_order(self._raw_order(order_id))

    def _pages(self, path: str, params: dict[str, Any], what: str) -> Iterator[dict]:
        """Every record of a list, page by page, following the ``Link: rel="next"`` header."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": PER_PAGE}
        while url:
            data, response = self.api.request("GET", url, params=query, what=what, expect=list)
            yield from data
            match = _NEXT_LINK.search(response.headers.get("Link", ""))
            url, query = (match.group(1), None) if match else (None, None)

    def _orders_since(self, since: datetime) -> Iterator[dict]:
        # modified_after is strictly after: one second back keeps an order changed at ``since``
        after = (since - timedelta(seconds=1)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return self._pages("/orders", {"modified_after": after}, "list orders")

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        for raw in self._orders_since(since):
            yield self.parse_order(raw)

    def parse_order(self, raw: Mapping[str, Any]) -> Order:
        currency = raw["currency"]
        lines: list[OrderLine] = []
        for item in raw.get("line_items", []):
            quantity = Decimal(item["quantity"])
            subtotal = money.amount(item.get("subtotal") or item["total"], currency)
            lines.append(OrderLine(line_id=str(item["id"]), sku=item.get("sku") or None, title=item.get("name") or "",
                                   quantity=quantity, unit_price=money.amount(subtotal / quantity, currency)
                                   if quantity else subtotal, amount=money.amount(item["total"], currency),
                                   tax=money.amount(item.get("total_tax") or 0, currency)))
        for ship in raw.get("shipping_lines", []):
            charged = money.amount(ship["total"], currency)
            lines.append(OrderLine(line_id=shipping_line_id(ship["id"]), sku=None,
                                   title=ship.get("method_title") or "Shipping", quantity=Decimal(1),
                                   unit_price=charged, amount=charged,
                                   tax=money.amount(ship.get("total_tax") or 0, currency), kind=LineKind.SHIPPING))
        billing = raw.get("billing") or {}
        created = _time(raw, "date_created")
        assert created is not None, "an order always has date_created"
        return Order(
            id=str(raw["id"]), name=f"#{raw.get('number') or raw['id']}", currency=currency,
            created_at=created, updated_at=_time(raw, "date_modified") or created,
            customer=Customer(id=str(raw["customer_id"]) if raw.get("customer_id") else None,
                              email=billing.get("email") or None, first_name=billing.get("first_name") or "",
                              last_name=billing.get("last_name") or "") if billing else None,
            lines=tuple(lines), paid=bool(raw.get("date_paid") or raw.get("date_paid_gmt")),
            gateway=raw.get("payment_method") or None)

    # --- refunds as WooCommerce reports them ------------------------------------------------
    def _refunds_of(self, order_id: str, currency: str) -> list[StorefrontRefund]:
        return [self.parse_refund(raw, order_id, currency)
                for raw in self._pages(f"/orders/{order_id}/refunds", {}, f"list refunds of order {order_id}")]

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return self._refunds_of(order.id, order.currency)

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        """Refunds of every order modified since ``since`` (a refund modifies its order), order by order."""
        for raw_order in self._orders_since(since):
            if raw_order.get("refunds"):
                yield from self._refunds_of(str(raw_order["id"]), raw_order["currency"])

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        currency = self._raw_order(order_id)["currency"]   # a refund does not say its currency
        data, _ = self.api.request("GET", f"/orders/{order_id}/refunds/{refund_id}",
                                   what=f"read refund {refund_id} of order {order_id}")
        return self.parse_refund(data, order_id, currency)

    @staticmethod
    def parse_refund(raw: Mapping[str, Any], order_id: str, currency: str) -> StorefrontRefund:
        """Refunded items are negative on the wire; the refund's ``amount`` is the money that went back."""
        lines: list[RefundLine] = []
        for item in raw.get("line_items", []):
            lines.append(RefundLine(sku=item.get("sku") or None, quantity=abs(Decimal(item.get("quantity") or 0)),
                                    amount=-money.amount(item.get("total") or 0, currency),
                                    tax=-money.amount(item.get("total_tax") or 0, currency),
                                    line_id=_refunded_item_id(item), kind=LineKind.ITEM))
        for ship in raw.get("shipping_lines", []):
            refunded = _refunded_item_id(ship)
            lines.append(RefundLine(sku=None, quantity=Decimal(1), amount=-money.amount(ship.get("total") or 0, currency),
                                    tax=-money.amount(ship.get("total_tax") or 0, currency),
                                    line_id=shipping_line_id(refunded) if refunded else None, kind=LineKind.SHIPPING))
        return StorefrontRefund(id=str(raw["id"]), order_id=str(order_id), currency=currency,
                                total=money.amount(raw["amount"], currency), lines=tuple(lines),
                                status=SourceStatus.COMPLETED, note=raw.get("reason") or "",
                                created_at=_time(raw, "date_created"))

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        raw = self._raw_order(order.id)
        body: dict[str, Any] = {
            # the amount is what WooCommerce refunds; the lines say what it was for
            "amount": money.format_amount(push.total, push.currency), "reason": push.note,
            # money goes back through the gateway when the order's gateway can refund by API; otherwise
            # (an order on terms, an offline payment) the refund is recorded and the money moves outside
            "api_refund": self._gateway_refunds(order),
            "api_restock": False,   # NetSuite owns inventory
            "line_items": self._refund_lines(raw, push)}
        try:
            data, _ = self.api.request("POST", f"/orders/{order.id}/refunds", body=body,
                                       what=f"refund order {order.name}")
        except RemoteError as exc:
            if exc.status == 500 and exc.detail.startswith(CANNOT_CREATE_REFUND) and TRY_AGAIN not in exc.detail:
                raise RemoteError("WooCommerce", f"WooCommerce refused the refund of order {order.name}: "
                                                 f"{exc.detail.split(': ', 1)[-1]}", status=500,
                                  code=CANNOT_CREATE_REFUND, detail=exc.detail, retryable=False) from exc
            raise
        return self._pushed(data, order.currency)

    def _gateway_refunds(self, order: Order) -> bool:
        """Whether the order's payment gateway is installed and supports refunds through its API."""
        if not order.gateway:
            return False
        try:
            data, _ = self.api.request("GET", f"/payment_gateways/{order.gateway}",
                                       what=f"read payment gateway {order.gateway}")
        except NotFound:
            return False
        return "refunds" in (data.get("method_supports") or [])

    @staticmethod
    def _refund_lines(raw: Mapping[str, Any], push: RefundPush) -> list[dict]:
        """Each refunded line with the money NetSuite refunded for it, so the lines add up to the refund
        (WooCommerce keeps each line's money as sent; rounding a share of the line per refund would drift
        by a cent from what NetSuite refunded); its tax split over the line's tax rates in proportion
        to what each charged. Shipping likewise. A line whose NetSuite money the push does not carry
        gives back its share of the line by quantity."""
        cur = push.currency
        items = {str(i["id"]): i for i in raw.get("line_items", [])}
        values = {line_id: (amount, tax) for line_id, amount, tax in push.line_values}

        def by_rate(item: Mapping[str, Any], tax: Decimal) -> list[dict]:
            rates = item.get("taxes") or []
            if not rates:
                return []
            parts = money.allocate(tax, [abs(money.amount(t["total"], cur)) for t in rates], cur)
            return [{"id": t["id"], "refund_total": part} for t, part in zip(rates, parts)]

        def share(item: Mapping[str, Any], part: Decimal, whole: Decimal) -> dict:
            ratio = part / whole if whole else Decimal(0)
            return {"refund_total": money.round_amount(money.amount(item["total"], cur) * ratio, cur),
                    "refund_tax": [{"id": t["id"], "refund_total": money.round_amount(money.amount(t["total"], cur) * ratio, cur)}
                                   for t in item.get("taxes") or []]}

        quantities: dict[str, Decimal] = {}
        for line_id, quantity in push.lines:
            quantities[line_id] = quantities.get(line_id, Decimal(0)) + quantity
        lines = []
        for line_id, quantity in quantities.items():
            item = items.get(line_id)
            if item is None:
                raise RemoteError("WooCommerce", f"Line {line_id} is not on WooCommerce order {raw.get('id')}.")
            if line_id in values:
                amount, tax = values[line_id]
                money_of_line = {"refund_total": amount, "refund_tax": by_rate(item, tax)}
            else:
                money_of_line = share(item, quantity, Decimal(item["quantity"]))
            lines.append({"id": int(line_id), "quantity": int(quantity), **money_of_line})
        shipping = raw.get("shipping_lines") or []
        if push.shipping and shipping:
            ship = shipping[0]
            if push.shipping_tax is not None:
                money_of_shipping = {"refund_total": push.shipping, "refund_tax": by_rate(ship, push.shipping_tax)}
            else:
                money_of_shipping = share(ship, push.shipping, money.amount(ship["total"], cur))
            lines.append({"id": ship["id"], "quantity": 0, **money_of_shipping})
        return lines

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        for raw in self._pages(f"/orders/{order.id}/refunds", {}, f"list refunds of order {order.name}"):
            if marker in (raw.get("reason") or ""):
                return self._pushed(raw, order.currency)
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        data, _ = self.api.request("GET", f"/orders/{order_id}/refunds/{refund_id}",
                                   what=f"read refund {refund_id} of order {order_id}")
        return self._pushed(data, currency)

    @staticmethod
    def _pushed(raw: Mapping[str, Any], currency: str) -> PushedRefund:
        # a WooCommerce refund exists only once it is done: the gateway call happens before it is kept
        return PushedRefund(id=str(raw["id"]), status=SourceStatus.COMPLETED, amount=money.amount(raw["amount"], currency))

    def register_refund_webhook(self, address: str) -> None:
        for hook in self._pages("/webhooks", {}, "list webhooks"):
            if hook.get("topic") == REFUND_TOPIC and hook.get("delivery_url") == address and hook.get("status") == "active":
                return   # already subscribed: that is what we wanted
        self.api.request("POST", "/webhooks", what=f"subscribe to {REFUND_TOPIC} webhooks",
                         body={"name": "NetSuite refund sync", "topic": REFUND_TOPIC, "delivery_url": address,
                               "secret": self.webhook_secret, "status": "active"})


STOREFRONT = StorefrontSpec(
    platform="woocommerce", store_hint="the store's host name (shop.example.com)",
    # webhook_secret: what the connector gives WooCommerce to sign its refund webhooks with
    credentials=("consumer_key", "consumer_secret", "webhook_secret"),
    adapter=lambda http, account: WooCommerceAdapter(
        http, store=account.store, consumer_key=account.credentials["consumer_key"],
        consumer_secret=account.credentials["consumer_secret"],
        webhook_secret=account.credentials.get("webhook_secret", "")))
