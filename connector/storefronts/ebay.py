"""eBay (Sell Fulfillment API). eBay refunds amounts, never quantities: a refund gives back an amount
for the order or for a line, so the connector treats every eBay refund as a general (amount-only)
refund. Refunds settle asynchronously (PENDING, then REFUNDED or FAILED) and are read back from the
order (``getOrder``), which lists them; the refunds' comments are never returned, so a pushed refund
is never found by its marker: the from-NetSuite flow recognises it from the ledger (``StorefrontSpec.
push_marker_read_back``), and the ledger's target ids keep it from being retrieved back into NetSuite."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import parse_iso
from connector.errors import RemoteError
from connector.model import Customer, LineKind, Order, OrderLine, PushedRefund, SourceStatus, StorefrontRefund
from connector.storefronts.base import MARKER_PREFIX, RefundPush, StorefrontHttp, StorefrontSpec

BASE_URL = "https://api.ebay.com/sell/fulfillment/v1"
COMMENT_LIMIT = 100          # eBay's maximum length of a refund comment
PAGE = 200                   # getOrders' largest page
PUSH_REASON = "OTHER_ADJUSTMENT"
_STATUS = {"PENDING": SourceStatus.PENDING, "REFUNDED": SourceStatus.COMPLETED, "FAILED": SourceStatus.FAILED}


def read_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not all(isinstance(e, dict) for e in errors):
        return str(body)[:300]
    return "; ".join(f"{e.get('longMessage') or e.get('message')} (errorId {e.get('errorId')})" for e in errors)


def _amount(raw: Mapping[str, Any] | None, currency: str) -> Decimal:
    if not raw or raw.get("value") in (None, ""):
        return money.ZERO
    return money.amount(Decimal(str(raw["value"])), raw.get("currency") or currency)


class EbayAdapter:
    platform = "ebay"
    display_name = "eBay"
    supports_line_items = False
    refund_target_type = "ebay_refund"

    def __init__(self, http: httpx.Client, *, seller: str, access_token: str) -> None:
        self.seller = seller
        self.api = StorefrontHttp(http, system="eBay", base_url=BASE_URL, read_error=read_error,
                                  headers={"Authorization": f"Bearer {access_token}"})

    # --- orders -----------------------------------------------------------------------------
    def _raw_order(self, order_id: str) -> Mapping[str, Any]:
        data, _ = self.api.request("GET", f"/order/{order_id}", what=f"read order {order_id}")
        if data.get("sellerId") not in (None, self.seller):
            raise RemoteError("eBay", f"Order {order_id} belongs to seller {data.get('sellerId')}, not to this "
                                      f"account's seller {self.seller}.")
        return data

    def get_order(self, order_id: str) -> Order:
        return self.parse_order(self._raw_order(order_id))

    def _orders_since(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
        params: dict[str, Any] = {"filter": f"lastmodifieddate:[{stamp}..]", "limit": PAGE, "offset": 0}
        while True:
            data, _ = self.api.request("GET", "/order", params=params, what="list orders")
            for raw in data.get("orders", []):
                if raw.get("sellerId") in (None, self.seller):
                    yield raw
            if not data.get("next"):
                return
            params = {**params, "offset": int(data.get("offset", params["offset"])) + int(data.get("limit", PAGE))}

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        for raw in self._orders_since(since):
            yield self.parse_order(raw)

    def parse_order(self, raw: Mapping[str, Any]) -> Order:
        currency = (raw.get("pricingSummary", {}).get("total") or {}).get("currency") or "USD"
        lines: list[OrderLine] = []
        line_tax = money.ZERO
        for item in raw.get("lineItems", []):
            cost = _amount(item.get("lineItemCost"), currency)
            discount = sum((_amount(p.get("discountAmount"), currency) for p in item.get("appliedPromotions", [])),
                           money.ZERO)
            tax = sum((_amount(t.get("amount"), currency) for t in item.get("taxes", [])), money.ZERO)
            line_tax += tax
            quantity = Decimal(int(item.get("quantity") or 1))
            lines.append(OrderLine(line_id=str(item["lineItemId"]), sku=item.get("sku") or None,
                                   title=item.get("title") or "", quantity=quantity,
                                   unit_price=money.round_amount(cost / quantity, currency), amount=cost - discount,
                                   tax=tax))
        pricing = raw.get("pricingSummary") or {}
        delivery = _amount(pricing.get("deliveryCost"), currency) + _amount(pricing.get("deliveryDiscount"), currency)
        shipping_tax = _amount(pricing.get("tax"), currency) - line_tax   # order tax not on any line
        if delivery or shipping_tax:
            lines.append(OrderLine(line_id="shipping", sku=None, title="Shipping", quantity=Decimal(1),
                                   unit_price=delivery, amount=delivery, tax=shipping_tax, kind=LineKind.SHIPPING))
        payments = (raw.get("paymentSummary") or {}).get("payments") or []
        method = payments[0].get("paymentMethod") if payments else None
        return Order(
            id=raw["orderId"], name=raw["orderId"], currency=currency, created_at=parse_iso(raw["creationDate"]),
            updated_at=parse_iso(raw.get("lastModifiedDate") or raw["creationDate"]),
            customer=Customer(id=(raw.get("buyer") or {}).get("username"), email=None, first_name="eBay",
                              last_name=(raw.get("buyer") or {}).get("username") or "Buyer"),
            lines=tuple(lines), paid=raw.get("orderPaymentStatus") not in ("PENDING", "FAILED"),
            gateway=str(method).lower() if method else None)

    # --- refunds as eBay lists them ---------------------------------------------------------
    def refunds_of(self, raw: Mapping[str, Any]) -> list[StorefrontRefund]:
        """An order's refunds: order-level ones from ``paymentSummary.refunds`` (with their status),
        line-level ones from ``lineItems[].refunds`` (issued once they carry a refundDate)."""
        order_id = str(raw["orderId"])
        currency = (raw.get("pricingSummary", {}).get("total") or {}).get("currency") or "USD"
        found: list[StorefrontRefund] = []
        for entry in (raw.get("paymentSummary") or {}).get("refunds", []):
            if entry.get("refundId"):
                found.append(self._refund(order_id, str(entry["refundId"]), _amount(entry.get("amount"), currency),
                                          _STATUS.get(entry.get("refundStatus", "PENDING"), SourceStatus.PENDING),
                                          entry.get("refundDate"), currency))
        by_line: dict[str, list[Mapping[str, Any]]] = {}
        for item in raw.get("lineItems", []):
            for entry in item.get("refunds", []):
                if entry.get("refundId"):
                    by_line.setdefault(str(entry["refundId"]), []).append(entry)
        for refund_id, parts in by_line.items():
            issued = all(p.get("refundDate") for p in parts)
            found.append(self._refund(order_id, refund_id,
                                      money.total((_amount(p.get("amount"), currency) for p in parts), currency),
                                      SourceStatus.COMPLETED if issued else SourceStatus.PENDING,
                                      parts[0].get("refundDate"), currency))
        return found

    @staticmethod
    def _refund(order_id: str, refund_id: str, total: Decimal, status: SourceStatus, date: str | None,
                currency: str) -> StorefrontRefund:
        return StorefrontRefund(id=refund_id, order_id=order_id, currency=currency, total=total, lines=(),
                                status=status, note="",
                                created_at=parse_iso(date) if date else None)

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return self.refunds_of(self._raw_order(order.id))

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        for raw in self._orders_since(since):   # a refund changes its order's lastModifiedDate
            yield from self.refunds_of(raw)

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        for found in self.refunds_of(self._raw_order(order_id)):
            if found.id == refund_id:
                return found
        raise RemoteError("eBay", f"Order {order_id} no longer lists refund {refund_id}.", status=404)

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        marker = _marker_of(push.note)
        comment = f"{marker} {push.note.replace(marker, '').strip()}".strip()[:COMMENT_LIMIT]
        body = {"reasonForRefund": PUSH_REASON, "comment": comment,
                "orderLevelRefundAmount": {"value": money.format_amount(push.total, push.currency),
                                           "currency": push.currency}}
        data, _ = self.api.request("POST", f"/order/{order.id}/issue_refund", body=body,
                                   what=f"issue a refund for order {order.name}")
        status = data.get("refundStatus", "PENDING")
        if not data.get("refundId"):
            raise RemoteError("eBay", f"eBay answered refund status {status} with no refund id for order {order.name}.")
        return PushedRefund(id=str(data["refundId"]), status=_STATUS.get(status, SourceStatus.PENDING),
                            amount=push.total, detail=f"eBay reports the refund {status}")

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        """Never found by its marker: eBay does not return a refund's comment (see the module's docstring)."""
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        return self._as_pushed(self.refund(order_id, refund_id))

    @staticmethod
    def _as_pushed(found: StorefrontRefund) -> PushedRefund:
        return PushedRefund(id=found.id, status=found.status, amount=found.total,
                            detail=f"eBay reports the refund {found.status.value}")

    def register_refund_webhook(self, address: str) -> None:
        """Refunds are polled from eBay on the schedule; no refund notifications are subscribed."""


def _marker_of(note: str) -> str:
    start = note.find(MARKER_PREFIX)
    end = note.find("]", start)
    return note[start:end + 1] if start >= 0 and end > start else note[:COMMENT_LIMIT]


STOREFRONT = StorefrontSpec(
    platform="ebay", store_hint="the eBay seller's user id", credentials=("access_token",),
    adapter=lambda http, account: EbayAdapter(http, seller=account.store,
                                              access_token=account.credentials["access_token"]),
    push_marker_read_back=False)
