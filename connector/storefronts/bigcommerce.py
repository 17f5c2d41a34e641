"""BigCommerce: v2 orders, v3 refund quotes and refunds (by product, shipping or a custom ORDER
amount), and ``store/order/refund/created`` webhooks. Every refund is quoted first: the refund must pay
back exactly an amount the quote offered, through one of the quote's refund methods."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import isoformat, parse_iso
from connector.errors import ConnectorError, NotFound, RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec, worst_status

API_HOST = "api.bigcommerce.com"
REFUND_CREATED = "store/order/refund/created"
STORE_CREDIT = "storecredit"
GIFT_CERTIFICATE = "giftcertificate"
STORE_CREDIT_SETTING = "refund_gift_cards_as_store_credit"
PAGE_SIZE = 250
REASON_LIMIT = 1000
PAID_STATUSES = {"captured", "partially refunded", "refunded", "paid"}


def shipping_line_id(address_id: object) -> str:
    return f"shipping-{address_id}"


def read_error(body: Any) -> str:
    """v3 ``{"title", "errors"}``, v3 ``{"data": [{"title"|"error"}]}``, or v2 ``[{"message"}]``."""
    if isinstance(body, list):
        return "; ".join(str(e.get("message") or e) if isinstance(e, dict) else str(e) for e in body)[:300]
    if isinstance(body, dict):
        if isinstance(body.get("data"), list):
            return read_error([{"message": e.get("title") or e.get("error") or e} if isinstance(e, dict) else e
                               for e in body["data"]])
        title = body.get("title") or body.get("message") or ""
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            title += " (" + "; ".join(f"{k}: {v}" for k, v in errors.items()) + ")"
        return str(title or body)[:300]
    return str(body)[:300]


def _v2_money(value: Any, currency: str) -> Decimal:
    return money.round_amount(Decimal(str(value or "0")), currency)


@dataclass(frozen=True)
class RefundedSoFar:
    """What an order's earlier refunds took: units per product line, shipping and its tax."""

    units: Mapping[str, Decimal] = field(default_factory=dict)
    shipping: Decimal = money.ZERO
    shipping_tax: Decimal = money.ZERO

    def after(self, refund: StorefrontRefund) -> "RefundedSoFar":
        if refund.status is SourceStatus.FAILED:   # a declined refund gave nothing back and took nothing
            return self
        units = dict(self.units)
        shipping, shipping_tax = self.shipping, self.shipping_tax
        for line in refund.lines:
            if line.kind is LineKind.ITEM and line.line_id:
                units[line.line_id] = units.get(line.line_id, Decimal(0)) + line.quantity
            elif line.kind is LineKind.SHIPPING:
                shipping, shipping_tax = shipping + line.amount, shipping_tax + line.tax
        return RefundedSoFar(units, shipping, shipping_tax)


def _v2_date(text: str) -> datetime:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return parse_iso(text)


class BigCommerceAdapter:
    platform = "bigcommerce"
    display_name = "BigCommerce"
    supports_line_items = True
    refund_target_type = "bigcommerce_refund"

    def __init__(self, http: httpx.Client, *, store_hash: str, access_token: str, client_id: str = "") -> None:
        self.store_hash = store_hash
        headers = {"X-Auth-Token": access_token}
        if client_id:
            headers["X-Auth-Client"] = client_id
        self.api = StorefrontHttp(http, system="BigCommerce", base_url=f"https://{API_HOST}/stores/{store_hash}",
                                  headers=headers, read_error=read_error)

    # --- orders -----------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order:
        raw, _ = self.api.request("GET", f"/v2/orders/{order_id}", what=f"read order {order_id}")
        products, _ = self.api.request("GET", f"/v2/orders/{order_id}/products",
                                       what=f"read the products of order {order_id}", expect=list)
        addresses, _ = self.api.request("GET", f"/v2/orders/{order_id}/shipping_addresses",
                                        what=f"read the shipping addresses of order {order_id}", expect=list)
        transactions, _ = self.api.request("GET", f"/v3/orders/{order_id}/transactions",
                                           what=f"read the transactions of order {order_id}")
        return self.parse_order(raw, products or [], addresses or [], (transactions or {}).get("data") or [])

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        page = 1
        while True:
            data, _ = self.api.request("GET", "/v2/orders", what="list orders", expect=list, params={
                "min_date_modified": isoformat(since), "sort": "date_modified:asc", "page": page, "limit": PAGE_SIZE})
            if not data:   # 204: no (more) orders
                return
            for raw in data:
                yield self.get_order(str(raw["id"]))
            # v2 carries no page count, and a store may answer fewer orders than the limit asked for
            # (its own maximum): only an empty page (204) ends the listing
            page += 1

    @staticmethod
    def parse_order(raw: Mapping[str, Any], products: list, addresses: list, transactions: list) -> Order:
        currency = raw.get("currency_code") or raw.get("default_currency_code") or "USD"
        lines: list[OrderLine] = []
        for item in products:
            quantity = Decimal(item["quantity"])
            gross = _v2_money(item.get("total_ex_tax"), currency)
            discount = sum((_v2_money(d.get("amount"), currency) for d in item.get("applied_discounts") or []),
                           money.ZERO)
            lines.append(OrderLine(line_id=str(item["id"]), sku=item.get("sku") or None, title=item.get("name") or "",
                                   quantity=quantity, unit_price=_v2_money(item.get("base_price"), currency),
                                   amount=gross - discount, tax=_v2_money(item.get("total_tax"), currency)))
        for address in addresses:
            cost = _v2_money(address.get("cost_ex_tax"), currency)
            if cost:
                lines.append(OrderLine(line_id=shipping_line_id(address["id"]), sku=None,
                                       title=address.get("shipping_method") or "Shipping", quantity=Decimal(1),
                                       unit_price=cost, amount=cost, tax=_v2_money(address.get("cost_tax"), currency),
                                       kind=LineKind.SHIPPING))
        billing = raw.get("billing_address") or {}
        customer_id = raw.get("customer_id")
        paid_by = [t for t in transactions if t.get("event") in ("purchase", "capture") and t.get("status") == "ok"]
        return Order(
            id=str(raw["id"]), name=f"#{raw['id']}", currency=currency,
            created_at=_v2_date(raw["date_created"]), updated_at=_v2_date(raw.get("date_modified") or raw["date_created"]),
            customer=Customer(id=str(customer_id) if customer_id else None, email=billing.get("email"),
                              first_name=billing.get("first_name") or "", last_name=billing.get("last_name") or ""),
            lines=tuple(lines), paid=raw.get("payment_status") in PAID_STATUSES,
            payment_ids=tuple(str(t["id"]) for t in paid_by),
            gateway=paid_by[0].get("gateway") if paid_by else None)

    # --- refunds as BigCommerce reports them ------------------------------------------------
    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return list(self._order_refunds(order).values())

    def _order_refunds(self, order: Order) -> dict[str, StorefrontRefund]:
        """Every refund of the order by id, oldest first. A refund's lines are priced on what the refunds
        before it took, so they are read together."""
        data, _ = self.api.request("GET", f"/v3/orders/{order.id}/payment_actions/refunds",
                                   what=f"list refunds of order {order.name}")
        return self.parse_refunds(data.get("data", []), order)

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        orders: dict[str, dict[str, StorefrontRefund]] = {}
        page = 1
        while True:
            data, _ = self.api.request("GET", "/v3/orders/payment_actions/refunds", what="list refunds", params={
                "created:min": isoformat(since), "page": page, "limit": PAGE_SIZE})
            for raw in data.get("data", []):
                order_id = str(raw["order_id"])
                if str(raw["id"]) not in orders.get(order_id, {}):
                    orders[order_id] = self._order_refunds(self.get_order(order_id))
                found = orders[order_id].get(str(raw["id"]))
                if found is not None:   # gone from its order since the listing was read: nothing to record
                    yield found
            pagination = (data.get("meta") or {}).get("pagination") or {}
            if page >= int(pagination.get("total_pages") or 1):
                return
            page += 1

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        found = self._order_refunds(self.get_order(str(order_id))).get(str(refund_id))
        if found is None:
            raise NotFound("BigCommerce", f"BigCommerce has no refund {refund_id} on order {order_id}.", status=404)
        return found

    def parse_refunds(self, raws: list[Mapping[str, Any]], order: Order) -> dict[str, StorefrontRefund]:
        """The order's refunds, oldest first, each priced after the ones before it."""
        before = RefundedSoFar()
        parsed: dict[str, StorefrontRefund] = {}
        for raw in sorted(raws, key=lambda r: int(r["id"])):
            refund = self.parse_refund(raw, order, before)
            before = before.after(refund)
            parsed[refund.id] = refund
        return parsed

    @staticmethod
    def parse_refund(raw: Mapping[str, Any], order: Order, before: "RefundedSoFar | None" = None) -> StorefrontRefund:
        """Items say what was refunded (products by quantity, shipping by amount); their money is the
        order's, priced the way BigCommerce's quotes price it: units at what all the units refunded so far
        are worth minus what ``before`` (the order's earlier refunds) took, so a line refunded unit by
        unit refunds exactly its amount and tax; shipping tax in proportion, the rest of it with the rest
        of the shipping. The payments say what money went back."""
        cur = order.currency
        before = before or RefundedSoFar()
        lines: list[RefundLine] = []
        for item in raw.get("items", []):
            kind = item.get("item_type")
            if kind == "PRODUCT":
                line = order.line(str(item.get("item_id")))
                quantity = Decimal(item.get("quantity") or 0)
                if line is None or not line.quantity:
                    lines.append(RefundLine(sku=None, quantity=quantity, amount=money.ZERO, tax=money.ZERO,
                                            line_id=str(item.get("item_id")), kind=LineKind.ITEM))
                    continue
                done = min(before.units.get(line.line_id, Decimal(0)), line.quantity - quantity)
                lines.append(RefundLine(
                    sku=line.sku, quantity=quantity, line_id=line.line_id, kind=LineKind.ITEM,
                    amount=money.cumulative_share(line.amount, done, quantity, line.quantity, cur),
                    tax=money.cumulative_share(line.tax, done, quantity, line.quantity, cur)))
            elif kind == "SHIPPING":
                line = order.line(shipping_line_id(item.get("item_id")))
                amount = money.round_amount(Decimal(str(item.get("requested_amount") or 0)), cur)
                tax = money.ZERO
                if line is not None and line.amount:
                    if amount >= line.amount - before.shipping:
                        tax = line.tax - before.shipping_tax
                    else:
                        tax = money.round_amount(line.tax * amount / line.amount, cur)
                lines.append(RefundLine(sku=None, quantity=Decimal(1), amount=amount, tax=tax,
                                        line_id=line.line_id if line else None, kind=LineKind.SHIPPING))
            # ORDER, TAX, HANDLING, FEE: money not tied to a line; the total carries it
        payments = raw.get("payments", [])
        statuses = [SourceStatus.FAILED if p.get("is_declined") else SourceStatus.COMPLETED for p in payments]
        total = sum((money.round_amount(Decimal(str(p["amount"])), cur) for p in payments if not p.get("is_declined")),
                    money.ZERO)
        return StorefrontRefund(id=str(raw["id"]), order_id=str(raw["order_id"]), currency=cur, total=total,
                                lines=tuple(lines), status=worst_status(statuses), note=raw.get("reason") or "",
                                created_at=parse_iso(raw["created"]) if raw.get("created") else None)

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        gift_card = order.gateway == GIFT_CERTIFICATE
        if gift_card and not push.store_credit:
            raise ConnectorError(
                f"Order {order.name} was paid by gift certificate, and the connector never refunds a gift "
                f"certificate. Refund it by hand in BigCommerce, or turn on the account setting "
                f"{STORE_CREDIT_SETTING} to refund such orders as store credit.")
        items: list[dict[str, Any]] = [{"item_type": "PRODUCT", "item_id": int(line_id), "quantity": int(quantity)}
                                       for line_id, quantity in push.lines]
        if push.shipping:
            address = next((line for line in order.lines if line.kind is LineKind.SHIPPING), None)
            if address is None:
                raise ConnectorError(f"Order {order.name} has no shipping in BigCommerce to refund.")
            items.append({"item_type": "SHIPPING", "item_id": int(address.line_id.removeprefix("shipping-")),
                          "amount": push.shipping})
        if not items:
            items = [{"item_type": "ORDER", "item_id": int(order.id), "amount": push.total, "reason": push.note[:REASON_LIMIT]}]
        quote = self._quote(order, items)
        quoted = self._refundable(quote, push.currency)
        body: dict[str, Any] = {"items": items, "reason": push.note[:REASON_LIMIT]}
        if quoted < push.total:   # NetSuite refunded more than the lines: the rest as a custom amount
            items.append({"item_type": "ORDER", "item_id": int(order.id), "amount": push.total - quoted})
            quote = self._quote(order, items)
        elif quoted > push.total:  # less than the lines are worth: the merchant's own total wins
            body["merchant_calculated_override"] = {"total_amount": push.total,
                                                    "total_tax": quote.get("total_refund_tax_amount", 0)}
            quote = {**quote, "refund_methods": [[{**option, "amount": push.total} for option in method]
                                                 for method in quote.get("refund_methods") or []
                                                 if len(method) == 1]}
        body["payments"] = self._payments(order, quote, store_credit=gift_card)
        data = self._payment_action(f"/v3/orders/{order.id}/payment_actions/refunds", body, f"refund order {order.name}")
        return self._pushed(data["data"], push.currency)

    @staticmethod
    def _refundable(quote: Mapping[str, Any], currency: str) -> Decimal:
        """What the quote offers to pay back: what the items are worth plus its ``adjustment``, which is
        negative when they are worth more than the order has left (a line's last unit after NetSuite's
        own rounding gave an earlier refund a cent more than BigCommerce prices that unit at)."""
        worth = money.amount(Decimal(str(quote["total_refund_amount"])), currency)
        return worth + money.amount(Decimal(str(quote.get("adjustment") or 0)), currency)

    def _payment_action(self, path: str, body: dict[str, Any], what: str) -> Any:
        try:
            data, _ = self.api.request("POST", path, body=body, what=what)
        except RemoteError as exc:
            if exc.status == 409:   # another refund of the order is in flight: BigCommerce takes them one at a time
                raise RemoteError("BigCommerce", f"{exc} It will be retried on the next run.", status=409,
                                  detail=exc.detail, retryable=True) from exc
            raise
        return data

    def _quote(self, order: Order, items: list[dict[str, Any]]) -> dict[str, Any]:
        return self._payment_action(f"/v3/orders/{order.id}/payment_actions/refund_quotes", {"items": items},
                                    f"quote a refund of order {order.name}")["data"]

    @staticmethod
    def _payments(order: Order, quote: Mapping[str, Any], *, store_credit: bool) -> list[dict[str, Any]]:
        """The quote's refund method to pay back with: store credit for a gift-certificate order (only
        when the account says so), otherwise the first method that does not turn money into store credit."""
        methods = [m for m in quote.get("refund_methods") or [] if m]
        if store_credit:
            chosen = next((m for m in methods if all(o.get("provider_id") == STORE_CREDIT for o in m)), None)
            if chosen is None:
                raise ConnectorError(f"Order {order.name} was paid by gift certificate, but BigCommerce offers no store "
                                     "credit for it (store credit is only for customers with an account, not guests). "
                                     "Refund it by hand in BigCommerce.")
        else:
            chosen = next((m for m in methods if all(o.get("provider_id") != STORE_CREDIT for o in m)), None)
            if chosen is None:
                raise ConnectorError(f"BigCommerce offers no way to refund order {order.name} to its payment; "
                                     "refund it by hand in BigCommerce.")
        return [{"provider_id": o["provider_id"], "amount": o["amount"], "offline": bool(o.get("offline"))}
                for o in chosen]

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        data, _ = self.api.request("GET", f"/v3/orders/{order.id}/payment_actions/refunds",
                                   what=f"list refunds of order {order.name}")
        for raw in data.get("data", []):
            if marker in (raw.get("reason") or ""):
                pushed = self._pushed(raw, order.currency)
                if pushed.status is not SourceStatus.FAILED:
                    return pushed
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        data, _ = self.api.request("GET", f"/v3/orders/payment_actions/refunds/{refund_id}",
                                   what=f"read refund {refund_id}")
        return self._pushed(data["data"], currency)

    @staticmethod
    def _pushed(raw: Mapping[str, Any], currency: str) -> PushedRefund:
        payments = raw.get("payments", [])
        declined = [p for p in payments if p.get("is_declined")]
        amount = sum((money.amount(Decimal(str(p["amount"])), currency) for p in payments if not p.get("is_declined")),
                     money.ZERO)
        status = SourceStatus.FAILED if payments and len(declined) == len(payments) else SourceStatus.COMPLETED
        detail = "; ".join(p.get("declined_message") or "declined" for p in declined)
        return PushedRefund(id=str(raw["id"]), status=status, amount=amount, detail=detail)

    def register_refund_webhook(self, address: str) -> None:
        data, _ = self.api.request("GET", "/v3/hooks", what="list webhooks")
        if any(h.get("scope") == REFUND_CREATED and h.get("destination") == address and h.get("is_active")
               for h in data.get("data", [])):
            return   # already subscribed to this address: that is what we wanted
        self.api.request("POST", "/v3/hooks", what=f"subscribe to {REFUND_CREATED} webhooks",
                         body={"scope": REFUND_CREATED, "destination": address, "is_active": True})


STOREFRONT = StorefrontSpec(
    platform="bigcommerce", store_hint="the BigCommerce store hash (abc123 in /stores/abc123/)",
    # client_secret: the app's secret that signs webhooks (Standard Webhooks, HMAC-SHA256)
    credentials=("access_token", "client_id", "client_secret"),
    adapter=lambda http, account: BigCommerceAdapter(http, store_hash=account.store,
                                                     access_token=account.credentials["access_token"],
                                                     client_id=account.credentials.get("client_id", "")))
