"""Shopify Admin REST (2024-10): orders, refunds by line, refund webhooks."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import isoformat, parse_iso
from connector.errors import RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec, worst_status

API_VERSION = "2024-10"
PAID_STATUSES = {"paid", "partially_refunded", "refunded", "partially_paid"}
_TRANSACTION_STATUS = {"success": SourceStatus.COMPLETED, "pending": SourceStatus.PENDING,
                       "failure": SourceStatus.FAILED, "error": SourceStatus.FAILED}
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


def shipping_line_id(shipping_line_id: object) -> str:
    return f"shipping-{shipping_line_id}"


def read_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else body
    if isinstance(errors, dict):
        return "; ".join(f"{field}: {', '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                         for field, msgs in errors.items())
    return str(errors)


def _money_set(value: Mapping[str, Any] | None) -> Any:
    """Prefer the order's own (presentment) currency over the shop's."""
    if not value:
        return None
    chosen = value.get("presentment_money") or value.get("shop_money") or {}
    return chosen.get("amount")


class ShopifyAdapter:
    platform = "shopify"
    display_name = "Shopify"
    supports_line_items = True
    refund_target_type = "shopify_refund"

    def __init__(self, http: httpx.Client, *, shop: str, access_token: str) -> None:
        self.shop = shop
        self.domain = f"{shop}.myshopify.com"
        self.api = StorefrontHttp(http, system="Shopify", base_url=f"https://{self.domain}/admin/api/{API_VERSION}",
                                  headers={"X-Shopify-Access-Token": access_token}, read_error=read_error)

    # --- orders -----------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order:
        data, _ = self.api.request("GET", f"/orders/{order_id}.json", what=f"read order {order_id}")
        return self.parse_order(data["order"])

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        for raw in self._orders_since(since):
            yield self.parse_order(raw)

    def _orders_since(self, since: datetime) -> Iterator[dict]:
        url: str | None = "/orders.json"
        params: dict | None = {"status": "any", "limit": 50, "updated_at_min": isoformat(since)}
        while url:
            data, response = self.api.request("GET", url, params=params, what="list orders")
            yield from data.get("orders", [])
            match = _NEXT_LINK.search(response.headers.get("Link", ""))
            url, params = (match.group(1), None) if match else (None, None)

    def parse_order(self, raw: Mapping[str, Any]) -> Order:
        currency = raw.get("presentment_currency") or raw["currency"]
        lines: list[OrderLine] = []
        for item in raw.get("line_items", []):
            quantity = Decimal(item["quantity"])
            price = money.amount(item["price"], currency)
            allocations = item.get("discount_allocations")
            discount = (sum((money.amount(a["amount"], currency) for a in allocations), money.ZERO)
                        if allocations else money.amount(item.get("total_discount") or 0, currency))
            tax = sum((money.amount(t["price"], currency) for t in item.get("tax_lines", [])), money.ZERO)
            lines.append(OrderLine(line_id=str(item["id"]), sku=item.get("sku") or None,
                                   title=item.get("title") or item.get("name") or "", quantity=quantity,
                                   unit_price=price, amount=price * quantity - discount, tax=tax))
        for ship in raw.get("shipping_lines", []):
            charged = money.amount(ship.get("discounted_price") or ship["price"], currency)
            tax = sum((money.amount(t["price"], currency) for t in ship.get("tax_lines", [])), money.ZERO)
            lines.append(OrderLine(line_id=shipping_line_id(ship["id"]), sku=None,
                                   title=ship.get("title") or "Shipping", quantity=Decimal(1),
                                   unit_price=charged, amount=charged, tax=tax, kind=LineKind.SHIPPING))
        customer = raw.get("customer") or {}
        gateways = raw.get("payment_gateway_names") or []
        return Order(
            id=str(raw["id"]), name=raw.get("name") or f"#{raw['id']}", currency=currency,
            created_at=parse_iso(raw["created_at"]), updated_at=parse_iso(raw.get("updated_at") or raw["created_at"]),
            customer=Customer(id=str(customer["id"]) if customer.get("id") else None,
                              email=customer.get("email") or raw.get("email"),
                              first_name=customer.get("first_name") or "",
                              last_name=customer.get("last_name") or "") if customer or raw.get("email") else None,
            lines=tuple(lines), paid=raw.get("financial_status") in PAID_STATUSES,
            gateway=raw.get("gateway") or (gateways[0] if gateways else None))

    # --- refunds as Shopify reports them ----------------------------------------------------
    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        data, _ = self.api.request("GET", f"/orders/{order.id}/refunds.json", what=f"list refunds of order {order.name}")
        return [self.parse_refund(raw, order.currency) for raw in data.get("refunds", [])]

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        """Refunds of every order updated since ``since`` (a refund updates its order), page by page."""
        for raw_order in self._orders_since(since):
            currency = raw_order.get("presentment_currency") or raw_order["currency"]
            for raw in raw_order.get("refunds", []):
                yield self.parse_refund(raw, currency)

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        data, _ = self.api.request("GET", f"/orders/{order_id}/refunds/{refund_id}.json",
                                   what=f"read refund {refund_id} of order {order_id}")
        return self.parse_refund(data["refund"], None)

    def parse_refund(self, raw: Mapping[str, Any], currency: str | None) -> StorefrontRefund:
        transactions = [t for t in raw.get("transactions", []) if t.get("kind") == "refund"]
        currency = currency or next((t.get("currency") for t in transactions if t.get("currency")), None)
        if not currency:
            raise RemoteError("Shopify", f"Refund {raw.get('id')} names no currency; cannot read its amounts.")
        lines: list[RefundLine] = []
        for item in raw.get("refund_line_items", []):
            amount = _money_set(item.get("subtotal_set"))
            tax = _money_set(item.get("total_tax_set"))
            line_item = item.get("line_item") or {}
            lines.append(RefundLine(
                sku=line_item.get("sku") or None, quantity=Decimal(item["quantity"]),
                amount=money.amount(amount if amount is not None else item.get("subtotal", 0), currency),
                tax=money.amount(tax if tax is not None else item.get("total_tax", 0), currency),
                line_id=str(item["line_item_id"]), kind=LineKind.ITEM))
        for ship in raw.get("refund_shipping_lines", []):
            lines.append(RefundLine(
                sku=None, quantity=Decimal(1),
                amount=money.amount(_money_set(ship.get("subtotal_amount_set")) or ship.get("subtotal") or 0, currency),
                tax=money.amount(_money_set(ship.get("tax_amount_set")) or ship.get("tax") or 0, currency),
                line_id=shipping_line_id(ship.get("shipping_line_id")), kind=LineKind.SHIPPING))
        for adjustment in raw.get("order_adjustments", []):
            if adjustment.get("kind") == "shipping_refund":   # API versions before 2024-10
                lines.append(RefundLine(sku=None, quantity=Decimal(1),
                                        amount=-money.amount(adjustment.get("amount") or 0, currency),
                                        tax=-money.amount(adjustment.get("tax_amount") or 0, currency),
                                        kind=LineKind.SHIPPING))
        statuses = [_TRANSACTION_STATUS.get(t.get("status", "success"), SourceStatus.PENDING) for t in transactions]
        # The refund's total is the money that went back, whatever the lines say it should be:
        # the difference (an order adjustment) is the residual the NetSuite side must carry.
        total = sum((money.amount(t["amount"], currency) for t, s in zip(transactions, statuses)
                     if s is SourceStatus.COMPLETED), money.ZERO)
        return StorefrontRefund(id=str(raw["id"]), order_id=str(raw["order_id"]), currency=currency,
                                total=money.amount(total, currency), lines=tuple(lines),
                                status=worst_status(statuses), note=raw.get("note") or "",
                                created_at=parse_iso(raw["created_at"]) if raw.get("created_at") else None)

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        refund_lines = [{"line_item_id": int(line_id) if line_id.isdigit() else line_id,
                         "quantity": int(quantity) if quantity == quantity.to_integral_value() else quantity,
                         "restock_type": "no_restock"}   # NetSuite owns inventory; it restocked already
                        for line_id, quantity in push.lines]
        shipping = {"amount": money.format_amount(push.shipping, push.currency)} if push.shipping else None
        parents = self._parents(order, refund_lines, shipping, push.currency)
        body: dict[str, Any] = {"note": push.note, "notify": False, "currency": push.currency,
                                "refund_line_items": refund_lines,
                                "transactions": self._transactions(order, parents, push.total, push.currency)}
        if shipping:
            body["shipping"] = shipping
        data, _ = self.api.request("POST", f"/orders/{order.id}/refunds.json", body={"refund": body},
                                   what=f"refund order {order.name}")
        return self._pushed(data["refund"], order.currency)

    def _parents(self, order: Order, refund_lines: list, shipping: dict | None,
                 currency: str) -> list[tuple[Any, str | None, Decimal]]:
        """Sale transactions to refund against: (parent id, gateway, still refundable)."""
        if refund_lines or shipping:
            body: dict[str, Any] = {"currency": currency, "refund_line_items": refund_lines}
            if shipping:
                body["shipping"] = shipping
            data, _ = self.api.request("POST", f"/orders/{order.id}/refunds/calculate.json", body={"refund": body},
                                       what=f"calculate a refund of order {order.name}")
            suggested = [(t["parent_id"], t.get("gateway"),
                          money.amount(t.get("maximum_refundable") or t["amount"], currency))
                         for t in data["refund"].get("transactions", []) if t.get("parent_id") is not None]
            if suggested:
                return suggested
        data, _ = self.api.request("GET", f"/orders/{order.id}/transactions.json",
                                   what=f"read the transactions of order {order.name}")
        transactions = data.get("transactions", [])
        refunded: dict[Any, Decimal] = {}
        for t in transactions:
            if t.get("kind") == "refund" and t.get("status") == "success":
                refunded[t.get("parent_id")] = refunded.get(t.get("parent_id"), money.ZERO) + money.amount(t["amount"], currency)
        return [(t["id"], t.get("gateway"), money.amount(t["amount"], currency) - refunded.get(t["id"], money.ZERO))
                for t in transactions if t.get("kind") in ("sale", "capture") and t.get("status") == "success"]

    @staticmethod
    def _transactions(order: Order, parents: list[tuple[Any, str | None, Decimal]], total: Decimal,
                      currency: str) -> list[dict]:
        if total <= 0:
            return []
        if not parents:
            raise RemoteError("Shopify", f"Order {order.name} has no successful sale transaction in Shopify to refund "
                                         "against; refund it in the Shopify admin instead.")
        transactions, left = [], total
        for index, (parent_id, gateway, refundable) in enumerate(parents):
            last = index == len(parents) - 1
            part = left if last else min(left, max(refundable, money.ZERO))
            if part > 0:
                transactions.append({"parent_id": parent_id, "amount": money.format_amount(part, currency),
                                     "kind": "refund", "gateway": gateway})
                left -= part
            if left <= 0:
                break
        return transactions

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        data, _ = self.api.request("GET", f"/orders/{order.id}/refunds.json", what=f"list refunds of order {order.name}")
        for raw in data.get("refunds", []):
            if marker in (raw.get("note") or ""):
                pushed = self._pushed(raw, order.currency)
                if pushed.status is not SourceStatus.FAILED:
                    return pushed
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        data, _ = self.api.request("GET", f"/orders/{order_id}/refunds/{refund_id}.json",
                                   what=f"read refund {refund_id} of order {order_id}")
        return self._pushed(data["refund"], currency)

    def _pushed(self, raw: Mapping[str, Any], currency: str) -> PushedRefund:
        refund = self.parse_refund(raw, currency)
        return PushedRefund(id=refund.id, status=refund.status, amount=refund.total)

    def register_refund_webhook(self, address: str) -> None:
        try:
            self.api.request("POST", "/webhooks.json", what="subscribe to refunds/create webhooks",
                             body={"webhook": {"topic": "refunds/create", "address": address, "format": "json"}})
        except RemoteError as exc:
            if exc.status == 422 and "taken" in exc.detail:
                return  # already subscribed to this address: that is what we wanted
            raise


def _webhook_receiver(ledger: Any, to_netsuite: Any, adapter_for: Any) -> Any:
    # imported on use: the receiver module imports this one
    from connector.storefronts.shopify_webhooks import ShopifyWebhooks

    return ShopifyWebhooks(ledger, to_netsuite, adapter_for)


STOREFRONT = StorefrontSpec(
    platform="shopify", store_hint="the Shopify shop name (acme for acme.myshopify.com)",
    # client_secret: the app secret that signs refunds/create webhooks (HMAC-SHA256)
    credentials=("access_token", "client_secret"),
    adapter=lambda http, account: ShopifyAdapter(http, shop=account.store,
                                                 access_token=account.credentials["access_token"]),
    webhooks=_webhook_receiver)
