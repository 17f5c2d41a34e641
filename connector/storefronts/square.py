"""Square (Orders, Payments and Refunds APIs). Square cannot refund by line: every refund is an
amount against a payment, and it settles asynchronously (PENDING, then COMPLETED or FAILED)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import isoformat, parse_iso
from connector.errors import RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec

BASE_URL = "https://connect.squareup.com/v2"
SQUARE_VERSION = "2025-01-23"
REASON_LIMIT = 192   # Square's maximum length of a refund reason
_STATUS = {"COMPLETED": SourceStatus.COMPLETED, "PENDING": SourceStatus.PENDING,
           "FAILED": SourceStatus.FAILED, "REJECTED": SourceStatus.FAILED}
# A Square tender type, as the "gateway" a payment method mapping is keyed on.
_GATEWAY_OF_TENDER = {"CARD": "square"}


def read_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    # a proxy or load balancer in front of Square may answer JSON of its own: say what it said
    if not isinstance(errors, list) or not errors or not all(isinstance(e, dict) for e in errors):
        return str(body)[:300]
    return "; ".join(f"{e.get('detail') or e.get('code')} ({e.get('code')}"
                     f"{', field ' + e['field'] if e.get('field') else ''})" for e in errors)


def _money(value: Mapping[str, Any] | None, currency: str) -> Decimal:
    if not value:
        return money.from_minor(0, currency)
    return money.from_minor(int(value["amount"]), value.get("currency") or currency)


class SquareAdapter:
    platform = "square"
    display_name = "Square"
    supports_line_items = False
    refund_target_type = "square_refund"

    def __init__(self, http: httpx.Client, *, location_id: str, access_token: str) -> None:
        self.location_id = location_id
        self.api = StorefrontHttp(http, system="Square", base_url=BASE_URL, read_error=read_error,
                                  headers={"Authorization": f"Bearer {access_token}", "Square-Version": SQUARE_VERSION})

    # --- orders -----------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order:
        data, _ = self.api.request("GET", f"/orders/{order_id}", what=f"read order {order_id}")
        order = self.parse_order(data["order"])
        if order.location_id and order.location_id != self.location_id:
            raise RemoteError("Square", f"Order {order_id} belongs to location {order.location_id}, not to this "
                                        f"account's location {self.location_id}.")
        return order

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        cursor = None
        while True:
            body: dict[str, Any] = {"location_ids": [self.location_id], "query": {"filter": {
                "date_time_filter": {"updated_at": {"start_at": isoformat(since)}}},
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}}}
            if cursor:
                body["cursor"] = cursor
            data, _ = self.api.request("POST", "/orders/search", body=body, what="search orders")
            for raw in data.get("orders", []):
                yield self.parse_order(raw)
            cursor = data.get("cursor")
            if not cursor:
                return

    def parse_order(self, raw: Mapping[str, Any]) -> Order:
        currency = (raw.get("total_money") or {}).get("currency") or "USD"
        lines: list[OrderLine] = []
        for item in raw.get("line_items", []):
            gross = _money(item.get("gross_sales_money"), currency)
            discount = _money(item.get("total_discount_money"), currency)
            lines.append(OrderLine(
                line_id=item["uid"], sku=item.get("variation_name") or None, title=item.get("name") or "",
                quantity=Decimal(item["quantity"]), unit_price=_money(item.get("base_price_money"), currency),
                amount=gross - discount, tax=_money(item.get("total_tax_money"), currency)))
        for charge in raw.get("service_charges", []):   # delivery fees and the like
            tax = _money(charge.get("total_tax_money"), currency)
            amount = _money(charge.get("total_money"), currency) - tax
            lines.append(OrderLine(line_id=f"service-{charge['uid']}", sku=None, title=charge.get("name") or "Shipping",
                                   quantity=Decimal(1), unit_price=amount, amount=amount, tax=tax,
                                   kind=LineKind.SHIPPING))
        tenders = raw.get("tenders", [])
        payment_ids = tuple(t.get("payment_id") or t["id"] for t in tenders)
        tender_type = tenders[0].get("type") if tenders else None
        return Order(
            id=raw["id"], name=raw.get("reference_id") or raw["id"], currency=currency,
            created_at=parse_iso(raw["created_at"]), updated_at=parse_iso(raw.get("updated_at") or raw["created_at"]),
            customer=Customer(id=raw.get("customer_id"), email=None, first_name="Square", last_name="Customer"),
            lines=tuple(lines), paid=bool(tenders) and raw.get("state", "COMPLETED") == "COMPLETED",
            payment_ids=payment_ids, location_id=raw.get("location_id"),
            gateway=_GATEWAY_OF_TENDER.get(tender_type, tender_type.lower()) if tender_type else None)

    # --- refunds as Square reports them -----------------------------------------------------
    def _refunds(self, begin: datetime | None) -> Iterator[dict]:
        cursor = None
        while True:
            params: dict[str, Any] = {"sort_order": "ASC", "limit": 100}
            if begin is not None:
                params["begin_time"] = isoformat(begin)
            if cursor:
                params["cursor"] = cursor
            data, _ = self.api.request("GET", "/refunds", params=params, what="list refunds")
            yield from data.get("refunds", [])
            cursor = data.get("cursor")
            if not cursor:
                return

    def _refunds_of(self, order: Order) -> Iterator[dict]:
        """The order's refunds, read from each of its payments' own ``refund_ids``: a direct read, so it
        costs the same however many refunds the seller has made since the order."""
        for payment_id in order.payment_ids:
            data, _ = self.api.request("GET", f"/payments/{payment_id}", what=f"read payment {payment_id}")
            for refund_id in data["payment"].get("refund_ids", []):
                refund, _ = self.api.request("GET", f"/refunds/{refund_id}", what=f"read refund {refund_id}")
                yield refund["refund"]

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return [self.parse_refund(raw, order.id) for raw in self._refunds_of(order)]

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        for raw in self._refunds(since):   # page by page, as the listing arrives
            if raw.get("location_id") in (None, self.location_id):
                yield self.parse_refund(raw, raw.get("order_id"))

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        data, _ = self.api.request("GET", f"/refunds/{refund_id}", what=f"read refund {refund_id}")
        return self.parse_refund(data["refund"], order_id)

    @staticmethod
    def parse_refund(raw: Mapping[str, Any], order_id: str | None) -> StorefrontRefund:
        amount = raw["amount_money"]
        currency = amount["currency"]
        return StorefrontRefund(
            id=raw["id"], order_id=str(raw.get("order_id") or order_id), currency=currency,
            total=money.from_minor(int(amount["amount"]), currency), lines=(),   # Square has no refund lines
            status=_STATUS.get(raw.get("status", "PENDING"), SourceStatus.PENDING), note=raw.get("reason") or "",
            created_at=parse_iso(raw["created_at"]) if raw.get("created_at") else None)

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        payment_id = self._payment_for(order, push.total, push.currency)
        body = {"idempotency_key": push.idempotency_key,
                "amount_money": {"amount": money.to_minor(push.total, push.currency), "currency": push.currency},
                "payment_id": payment_id, "reason": push.note[:REASON_LIMIT]}
        data, _ = self.api.request("POST", "/refunds", body=body, what=f"refund payment {payment_id} of order {order.name}")
        return self._pushed(data["refund"])

    def _payment_for(self, order: Order, total: Decimal, currency: str) -> str:
        """The order's payment that can still take the whole refund (Square refunds one payment at a time)."""
        if not order.payment_ids:
            raise RemoteError("Square", f"Order {order.name} has no payment in Square to refund against.")
        if len(order.payment_ids) == 1:
            return order.payment_ids[0]
        for payment_id in order.payment_ids:
            data, _ = self.api.request("GET", f"/payments/{payment_id}", what=f"read payment {payment_id}")
            payment = data["payment"]
            left = _money(payment.get("total_money") or payment.get("amount_money"), currency) \
                - _money(payment.get("refunded_money"), currency)
            if payment.get("status") == "COMPLETED" and left >= total:
                return payment_id
        raise RemoteError("Square", f"No single payment of order {order.name} has {total} {currency} left to refund; "
                                    "split the refund in the Square dashboard.")

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        for raw in self._refunds_of(order):
            if marker in (raw.get("reason") or ""):
                pushed = self._pushed(raw)
                if pushed.status is not SourceStatus.FAILED:
                    return pushed
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        data, _ = self.api.request("GET", f"/refunds/{refund_id}", what=f"read refund {refund_id}")
        return self._pushed(data["refund"])

    @staticmethod
    def _pushed(raw: Mapping[str, Any]) -> PushedRefund:
        status = raw.get("status", "PENDING")
        return PushedRefund(id=raw["id"], status=_STATUS.get(status, SourceStatus.PENDING),
                            amount=money.from_minor(int(raw["amount_money"]["amount"]), raw["amount_money"]["currency"]),
                            detail=f"Square reports the refund {status}")

    def register_refund_webhook(self, address: str) -> None:
        """Refunds are polled from Square on the schedule; there is nothing to subscribe to."""


STOREFRONT = StorefrontSpec(
    platform="square", store_hint="the Square location id", credentials=("access_token",),
    adapter=lambda http, account: SquareAdapter(http, location_id=account.store,
                                                access_token=account.credentials["access_token"]))
