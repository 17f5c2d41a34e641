"""Magento 2 / Adobe Commerce REST: orders, invoices and credit memos.

A refund is a credit memo. An order a payment gateway captured (its invoice carries the capture's
transaction id) is refunded online against the invoice, so the money goes back through the gateway;
an order paid offline (check, bank transfer, cash on delivery, purchase order) is refunded offline
against the order. Magento refunds every item and all remaining shipping when a request leaves them
out, so every push names each item (0 where none) and the shipping amount (0 where none).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from connector.errors import ConnectorError, RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec

SHIPPING_LINE = "shipping"
PAGE_SIZE = 50
_FILTER = "searchCriteria[filter_groups][{g}][filters][0][{part}]"


def read_error(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return str(body)[:300]
    message, parameters = body["message"], body.get("parameters") or []
    named = parameters.items() if isinstance(parameters, dict) else (
        (str(n), v) for n, v in enumerate(parameters, start=1))
    for key, value in sorted(named, key=lambda kv: -len(kv[0])):
        message = message.replace(f"%{key}", str(value))
    return message.replace("\n", " ")


def magento_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


def _amount(value: Any, currency: str) -> Decimal:
    return money.round_amount(Decimal(str(value or 0)), currency)


def criteria(*filters: tuple[str, str, str], sort: str | None = None, page: int | None = None) -> dict[str, Any]:
    """searchCriteria query parameters: each (field, condition, value) a filter group of its own (AND)."""
    params: dict[str, Any] = {}
    for g, (name, condition, value) in enumerate(filters):
        params[_FILTER.format(g=g, part="field")] = name
        params[_FILTER.format(g=g, part="condition_type")] = condition
        params[_FILTER.format(g=g, part="value")] = value
    if sort:
        params["searchCriteria[sortOrders][0][field]"] = sort
        params["searchCriteria[sortOrders][0][direction]"] = "ASC"
    if page is not None:
        params["searchCriteria[pageSize]"] = PAGE_SIZE
        params["searchCriteria[currentPage]"] = page
    return params or {"searchCriteria": ""}


class MagentoAdapter:
    platform = "magento"
    display_name = "Magento"
    supports_line_items = True
    refund_target_type = "magento_refund"

    def __init__(self, http: httpx.Client, *, store: str, access_token: str) -> None:
        domain, _, code = store.partition("/")
        self.api = StorefrontHttp(http, system="Magento", base_url=f"https://{domain}/rest/{code or 'default'}/V1",
                                  headers={"Authorization": f"Bearer {access_token}"}, read_error=read_error)

    def _pages(self, path: str, *filters: tuple[str, str, str], what: str) -> Iterator[dict]:
        """Every item of a list, page by page. Magento answers a page past the last with the last page
        again, so the end is told by total_count, never by an empty page; and a store may answer pages
        smaller than asked for (its maximum page size), so the end is where the items seen reach it."""
        page, seen = 1, 0
        while True:
            data, _ = self.api.request("GET", path, params=criteria(*filters, sort="updated_at", page=page), what=what)
            items = data.get("items") or []
            yield from items
            seen += len(items)
            if not items or seen >= int(data.get("total_count") or 0):
                return
            page += 1

    # --- orders -----------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order:
        data, _ = self.api.request("GET", f"/orders/{order_id}", what=f"read order {order_id}")
        return self.parse_order(data)

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        for raw in self._pages("/orders", ("updated_at", "gteq", magento_time(since)), what="list orders"):
            yield self.parse_order(raw)

    @staticmethod
    def parse_order(raw: Mapping[str, Any]) -> Order:
        currency = raw["order_currency_code"]
        lines = []
        for item in raw.get("items", []):
            if item.get("parent_item_id"):
                continue   # a configurable's child repeats its parent's line
            qty = Decimal(str(item["qty_ordered"]))
            price = _amount(item.get("price"), currency)
            discount = _amount(item.get("discount_amount"), currency)
            lines.append(OrderLine(line_id=str(item["item_id"]), sku=item.get("sku") or None, title=item.get("name") or "",
                                   quantity=qty, unit_price=price, amount=price * qty - discount,
                                   tax=_amount(item.get("tax_amount"), currency)))
        shipping = _amount(raw.get("shipping_amount"), currency)
        if shipping:
            lines.append(OrderLine(line_id=SHIPPING_LINE, sku=None, title="Shipping", quantity=Decimal(1),
                                   unit_price=shipping, amount=shipping,
                                   tax=_amount(raw.get("shipping_tax_amount"), currency), kind=LineKind.SHIPPING))
        payment = raw.get("payment") or {}
        return Order(
            id=str(raw["entity_id"]), name=f"#{raw.get('increment_id') or raw['entity_id']}", currency=currency,
            created_at=parse_time(raw["created_at"]), updated_at=parse_time(raw.get("updated_at") or raw["created_at"]),
            customer=Customer(id=str(raw["customer_id"]) if raw.get("customer_id") else None,
                              email=raw.get("customer_email"), first_name=raw.get("customer_firstname") or "",
                              last_name=raw.get("customer_lastname") or ""),
            lines=tuple(lines), paid=_amount(raw.get("total_paid"), currency) > 0,
            gateway=payment.get("method"))

    # --- credit memos as Magento reports them -----------------------------------------------
    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return [self.parse_refund(raw) for raw in self._memos(order.id)]

    def _memos(self, order_id: str) -> Iterator[dict]:
        return self._pages("/creditmemos", ("order_id", "eq", order_id), what=f"list credit memos of order {order_id}")

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        for raw in self._pages("/creditmemos", ("updated_at", "gteq", magento_time(since)), what="list credit memos"):
            yield self.parse_refund(raw)

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        data, _ = self.api.request("GET", f"/creditmemo/{refund_id}", what=f"read credit memo {refund_id}")
        return self.parse_refund(data)

    @staticmethod
    def parse_refund(raw: Mapping[str, Any]) -> StorefrontRefund:
        currency = raw["order_currency_code"]
        lines = []
        for item in raw.get("items", []):
            qty = Decimal(str(item.get("qty") or 0))
            if qty <= 0:
                continue
            lines.append(RefundLine(
                sku=item.get("sku") or None, quantity=qty,
                amount=_amount(item.get("row_total"), currency) - _amount(item.get("discount_amount"), currency),
                tax=_amount(item.get("tax_amount"), currency), line_id=str(item["order_item_id"])))
        shipping = _amount(raw.get("shipping_amount"), currency)
        if shipping:
            lines.append(RefundLine(sku=None, quantity=Decimal(1), amount=shipping,
                                    tax=_amount(raw.get("shipping_tax_amount"), currency), line_id=SHIPPING_LINE,
                                    kind=LineKind.SHIPPING))
        # the grand total is the money that went back, adjustments included
        return StorefrontRefund(
            id=str(raw["entity_id"]), order_id=str(raw["order_id"]), currency=currency,
            total=_amount(raw.get("grand_total"), currency), lines=tuple(lines), status=SourceStatus.COMPLETED,
            note="\n".join(c.get("comment") or "" for c in raw.get("comments", [])),
            created_at=parse_time(raw["created_at"]) if raw.get("created_at") else None)

    # --- credit memos pushed from NetSuite --------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        data, _ = self.api.request("GET", f"/orders/{order.id}", what=f"read order {order.name}")
        items = [item for item in data.get("items", []) if not item.get("parent_item_id")]
        wanted = {line_id: quantity for line_id, quantity in push.lines}
        shipping = push.shipping or money.ZERO
        worth = self._worth(data, items, wanted, shipping, push.currency)
        gap = push.total - worth
        body: dict[str, Any] = {
            # every item named: Magento refunds all remaining quantities of a request that names none
            "items": [{"order_item_id": item["item_id"], "qty": _plain(wanted.get(str(item["item_id"]), Decimal(0)))}
                      for item in items],
            "notify": False, "appendComment": False, "comment": {"comment": push.note, "is_visible_on_front": 0},
            # shipping always stated: left out, Magento refunds all the shipping still refundable
            "arguments": {"shipping_amount": shipping, "adjustment_positive": max(gap, money.ZERO),
                          "adjustment_negative": max(-gap, money.ZERO),
                          # NetSuite owns inventory and restocked already
                          "extension_attributes": {"return_to_stock_items": []}}}
        invoice = self._captured_invoice(order)
        if invoice is not None:
            body["isOnline"] = True
            path, what = f"/invoice/{invoice}/refund", f"refund invoice {invoice} of order {order.name} online"
        else:
            path, what = f"/order/{order.id}/refund", f"refund order {order.name} offline"
        memo_id, _ = self.api.request("POST", path, body=body, what=what, expect=(int, str))
        return self.pushed_refund(order.id, str(memo_id), push.currency)

    @staticmethod
    def _worth(order: Mapping[str, Any], items: list[dict], wanted: dict[str, Decimal], shipping: Decimal,
               currency: str) -> Decimal:
        """What Magento's credit memo gives back for these quantities and shipping, before adjustments:
        each line's share of its discount and tax rounded so partial refunds add up to the line."""
        def part(whole: Any, before: Decimal, now: Decimal, total: Decimal) -> Decimal:
            return money.cumulative_share(_amount(whole, currency), before, now, total, currency) if total else money.ZERO

        worth = money.ZERO
        for item in items:
            qty = wanted.get(str(item["item_id"]), Decimal(0))
            if not qty:
                continue
            ordered, before = Decimal(str(item["qty_ordered"])), Decimal(str(item.get("qty_refunded") or 0))
            if before + qty > ordered:
                raise ConnectorError(f"Magento order item {item['item_id']} ({item.get('sku')}) has {_plain(ordered - before)} "
                                     f"of its {_plain(ordered)} unit(s) left to refund, not {_plain(qty)}.")
            worth += _amount(item["price"], currency) * qty - part(item.get("discount_amount"), before, qty, ordered)
            worth += part(item.get("tax_amount"), before, qty, ordered)
        if shipping:
            shipped = _amount(order.get("shipping_amount"), currency)
            done = _amount(order.get("shipping_refunded"), currency)
            if done + shipping > shipped:
                raise ConnectorError(f"Magento order #{order.get('increment_id')} has {shipped - done} {currency} of its "
                                     f"{shipped} {currency} shipping left to refund, not {shipping}.")
            worth += shipping + part(order.get("shipping_tax_amount"), done, shipping, shipped)
        return worth

    def _captured_invoice(self, order: Order) -> str | None:
        """The invoice a gateway captured online (it carries the capture's transaction id), if any."""
        data, _ = self.api.request("GET", "/invoices", params=criteria(("order_id", "eq", order.id)),
                                   what=f"list invoices of order {order.name}")
        captured = [inv for inv in data.get("items", []) if inv.get("transaction_id")]
        if not captured:
            return None
        if len(captured) > 1:
            raise RemoteError("Magento", f"Order {order.name} has {len(captured)} invoices captured online; refund it "
                                         "in the Magento admin against the invoice that holds the items.")
        return str(captured[0]["entity_id"])

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        for raw in self._memos(order.id):
            if any(marker in (c.get("comment") or "") for c in raw.get("comments", [])):
                return self._pushed(raw)
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        data, _ = self.api.request("GET", f"/creditmemo/{refund_id}", what=f"read credit memo {refund_id}")
        return self._pushed(data)

    @staticmethod
    def _pushed(raw: Mapping[str, Any]) -> PushedRefund:
        return PushedRefund(id=str(raw["entity_id"]), status=SourceStatus.COMPLETED,
                            amount=_amount(raw.get("grand_total"), raw["order_currency_code"]))

    def register_refund_webhook(self, address: str) -> None:
        """Core Magento sends no webhooks; credit memos are polled on the schedule."""


def _plain(quantity: Decimal) -> int | Decimal:
    return int(quantity) if quantity == quantity.to_integral_value() else quantity


STOREFRONT = StorefrontSpec(
    platform="magento",
    store_hint="the Magento store's host name (shop.example.com), with /<store code> for a store view other than default",
    credentials=("access_token",),
    adapter=lambda http, account: MagentoAdapter(http, store=account.store,
                                                 access_token=account.credentials["access_token"]))
