"""Amazon (Selling Partner API: Orders v0 and Finances v0). Refunds are read-only: the seller makes
them in Seller Central and the API shows them as refund events of the Finances API, itemised by order
item. Amazon releases a refund event only with the settlement report that contains it, so a refund
can appear days after its PostedDate; the scheduled search looks back a whole settlement period."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import isoformat, parse_iso
from connector.errors import ConnectorError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec

BASE_URL = "https://sellingpartnerapi-na.amazon.com"
# Every marketplace an order of this seller may come from (the Orders API needs them named).
MARKETPLACE_IDS = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A1VC38T7YXB528")
# Amazon settles every 14 days; a refund is released with its settlement report, under its own
# (earlier) PostedDate. Looking back two periods finds it whenever its report comes.
SETTLEMENT_LOOKBACK = timedelta(days=28)
READ_ONLY = ("the Selling Partner API has no call that creates a refund; refunds are made in Seller Central "
             "and only read through the Finances API")
SHIPPING_CHARGES = ("ShippingCharge", "Shipping")


def read_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not all(isinstance(e, dict) for e in errors):
        return str(body)[:300]
    return "; ".join(f"{e.get('message') or e.get('code')} ({e.get('code')}"
                     f"{': ' + e['details'] if e.get('details') else ''})" for e in errors)


def _order_money(value: Mapping[str, Any] | None, currency: str) -> Decimal:
    if not value:
        return money.from_minor(0, currency)
    return money.amount(Decimal(str(value["Amount"])), value.get("CurrencyCode") or currency)


def _event_money(value: Mapping[str, Any]) -> Decimal:
    return money.amount(Decimal(str(value["CurrencyAmount"])), value["CurrencyCode"])


class AmazonAdapter:
    platform = "amazon"
    display_name = "Amazon"
    supports_line_items = True
    refund_target_type = "amazon_refund"

    def __init__(self, http: httpx.Client, *, seller_id: str, access_token: str) -> None:
        self.seller_id = seller_id
        self.api = StorefrontHttp(http, system="Amazon", base_url=BASE_URL, read_error=read_error,
                                  headers={"x-amz-access-token": access_token})

    # --- orders -----------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order:
        data, _ = self.api.request("GET", f"/orders/v0/orders/{order_id}", what=f"read order {order_id}")
        return self._with_items(data["payload"])

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        token = None
        while True:
            params: dict[str, Any] = ({"NextToken": token} if token else
                                      {"MarketplaceIds": ",".join(MARKETPLACE_IDS), "LastUpdatedAfter": isoformat(since)})
            data, _ = self.api.request("GET", "/orders/v0/orders", params=params, what="list orders")
            for raw in data["payload"].get("Orders", []):
                yield self._with_items(raw)
            token = data["payload"].get("NextToken")
            if not token:
                return

    def _with_items(self, raw: Mapping[str, Any]) -> Order:
        order_id = raw["AmazonOrderId"]
        items: list[dict] = []
        token = None
        while True:
            data, _ = self.api.request("GET", f"/orders/v0/orders/{order_id}/orderItems",
                                       params={"NextToken": token} if token else None,
                                       what=f"read the items of order {order_id}")
            items += data["payload"].get("OrderItems", [])
            token = data["payload"].get("NextToken")
            if not token:
                return self.parse_order(raw, items)

    @staticmethod
    def parse_order(raw: Mapping[str, Any], items: list[Mapping[str, Any]]) -> Order:
        currency = (raw.get("OrderTotal") or {}).get("CurrencyCode") or "USD"
        lines: list[OrderLine] = []
        shipping: list[OrderLine] = []
        for item in items:
            gross = _order_money(item.get("ItemPrice"), currency)
            discount = _order_money(item.get("PromotionDiscount"), currency)
            quantity = Decimal(item["QuantityOrdered"])
            lines.append(OrderLine(
                line_id=item["OrderItemId"], sku=item.get("SellerSKU"), title=item.get("Title") or "",
                quantity=quantity, unit_price=money.round_amount(gross / quantity, currency) if quantity else gross,
                amount=gross - discount,
                tax=_order_money(item.get("ItemTax"), currency) - _order_money(item.get("PromotionDiscountTax"), currency)))
            ship = _order_money(item.get("ShippingPrice"), currency) - _order_money(item.get("ShippingDiscount"), currency)
            ship_tax = _order_money(item.get("ShippingTax"), currency)
            if ship or ship_tax:
                shipping.append(OrderLine(line_id=f"shipping-{item['OrderItemId']}", sku=None, title="Shipping",
                                          quantity=Decimal(1), unit_price=ship, amount=ship, tax=ship_tax,
                                          kind=LineKind.SHIPPING))
        invoice = "Invoice" in (raw.get("PaymentMethodDetails") or [])
        email = (raw.get("BuyerInfo") or {}).get("BuyerEmail")
        return Order(
            id=raw["AmazonOrderId"], name=raw["AmazonOrderId"], currency=currency,
            created_at=parse_iso(raw["PurchaseDate"]), updated_at=parse_iso(raw.get("LastUpdateDate") or raw["PurchaseDate"]),
            customer=Customer(id=None, email=email, first_name="Amazon", last_name="Customer"),
            lines=tuple(lines + shipping),
            paid=raw.get("OrderStatus") not in ("Pending", "PendingAvailability", "Canceled") and not invoice,
            location_id=raw.get("MarketplaceId"), gateway="invoice" if invoice else "amazon")

    # --- refunds as the Finances API reports them ------------------------------------------
    def _events(self, path: str, params: dict[str, Any] | None, what: str) -> Iterator[dict]:
        token = None
        while True:
            query = {"NextToken": token} if token else dict(params or {})
            data, _ = self.api.request("GET", path, params=query or None, what=what)
            yield from (data["payload"].get("FinancialEvents") or {}).get("RefundEventList", [])
            token = data["payload"].get("NextToken")
            if not token:
                return

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return [self.parse_refund(raw) for raw in
                self._events(f"/finances/v0/orders/{order.id}/financialEvents", None,
                             f"list the refunds of order {order.id}")]

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        # a refund appears only with its settlement report, listed under its own earlier PostedDate
        params = {"PostedAfter": isoformat(since - SETTLEMENT_LOOKBACK), "MaxResultsPerPage": 100}
        for raw in self._events("/finances/v0/financialEvents", params, "list refunds"):
            yield self.parse_refund(raw)

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        for raw in self._events(f"/finances/v0/orders/{order_id}/financialEvents", None,
                                f"read refund {refund_id}"):
            refund = self.parse_refund(raw)
            if refund.id == refund_id:
                return refund
        raise ConnectorError(f"Amazon shows no refund {refund_id} on order {order_id}.")

    @staticmethod
    def parse_refund(raw: Mapping[str, Any]) -> StorefrontRefund:
        """A refund event: each item adjustment's Principal less its promotion given back, with its Tax,
        is a refunded line; shipping charges a shipping line; anything else (Goodwill ...) is money
        not tied to a line, which the total keeps."""
        items = raw.get("ShipmentItemAdjustmentList") or []
        if not items:
            raise ConnectorError(f"Amazon refund event of order {raw.get('AmazonOrderId')} names no item.")
        currency = None
        total = Decimal(0)
        lines: list[RefundLine] = []
        for item in items:
            charges: dict[str, Decimal] = {}
            for charge in item.get("ItemChargeAdjustmentList") or []:
                value = _event_money(charge["ChargeAmount"])
                currency = currency or charge["ChargeAmount"]["CurrencyCode"]
                charges[charge["ChargeType"]] = charges.get(charge["ChargeType"], Decimal(0)) - value
                total -= value
            promotion = Decimal(0)
            for promo in item.get("PromotionAdjustmentList") or []:
                promotion += _event_money(promo["PromotionAmount"])
            total -= promotion
            principal = charges.get("Principal", Decimal(0))
            if principal or item.get("QuantityShipped"):
                lines.append(RefundLine(sku=item.get("SellerSKU"), quantity=Decimal(item.get("QuantityShipped") or 0),
                                        amount=principal - promotion, tax=charges.get("Tax", Decimal(0)),
                                        line_id=item.get("OrderItemId")))
            ship = sum((charges.get(k, Decimal(0)) for k in SHIPPING_CHARGES), Decimal(0))
            ship_tax = charges.get("ShippingTax", Decimal(0))
            if ship or ship_tax:
                lines.append(RefundLine(sku=None, quantity=Decimal(1), amount=ship, tax=ship_tax,
                                        line_id=f"shipping-{item.get('OrderItemId')}", kind=LineKind.SHIPPING))
        currency = currency or "USD"
        return StorefrontRefund(
            # a refund event has no id of its own; its first item adjustment's id is Amazon's and unique
            id=str(items[0]["OrderAdjustmentItemId"]), order_id=str(raw["AmazonOrderId"]), currency=currency,
            total=money.amount(total, currency), lines=tuple(lines), status=SourceStatus.COMPLETED,
            created_at=parse_iso(raw["PostedDate"]) if raw.get("PostedDate") else None)

    # --- refunds from NetSuite: not possible -----------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        raise ConnectorError(f"Amazon refunds are read-only: {READ_ONLY}.")

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        return None   # nothing is ever pushed to Amazon

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        raise ConnectorError(f"Amazon refunds are read-only: {READ_ONLY}.")

    def register_refund_webhook(self, address: str) -> None:
        """Refunds are polled from the Finances API on the schedule; there is nothing to subscribe to."""


STOREFRONT = StorefrontSpec(
    platform="amazon", store_hint="the Amazon seller id (merchant token)", credentials=("access_token",),
    adapter=lambda http, account: AmazonAdapter(http, seller_id=account.store,
                                                access_token=account.credentials["access_token"]),
    refunds_read_only=READ_ONLY)
