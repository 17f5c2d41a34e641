"""Walmart Marketplace (Orders API and Refund Order Lines). A refund always names order lines and
gives back charges (PRODUCT, SHIPPING) with their tax, as NEGATIVE amounts on the wire; only lines in
Shipped status can be refunded. Walmart sends no refund webhooks: refunds are polled."""
from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from itertools import count
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import isoformat
from connector.answers import json_body, unreadable
from connector.errors import ConnectorError, NotFound, RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec

BASE_URL = "https://marketplace.walmartapis.com/v3"
SERVICE_NAME = "Walmart Marketplace"
REFUND_REASON = "BillingError"       # a reason Walmart's own refund sample uses
REFUNDABLE = ("Shipped", "Delivered")
_CORRELATION = uuid.UUID("0f4d2c1e-6b9a-4e55-8f3b-2a7c9d1e5b40")
# Walmart collects payment for its marketplace; "INVOICE" marks an order the seller bills on terms
_GATEWAY_OF_PAYMENT = {"INVOICE": "manual"}


def read_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, dict):   # the XML-shaped variant: {"errors": {"error": [...]}}
        errors = errors.get("error")
    if not isinstance(errors, list) or not errors or not all(isinstance(e, dict) for e in errors):
        return str(body)[:300]
    return "; ".join(f"{e.get('message') or e.get('description') or e.get('code')} ({e.get('code')}"
                     f"{', field ' + str(e['field']) if e.get('field') else ''})" for e in errors)


def shipping_line_id(line_number: str) -> str:
    return f"shipping-{line_number}"


def _time(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


def _charge_money(block: Mapping[str, Any] | None, currency: str) -> Decimal:
    if not block or block.get("amount") is None:
        return money.ZERO
    return money.round_amount(Decimal(str(block["amount"])), currency)


def _lines(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((raw.get("orderLines") or {}).get("orderLine") or [])


def _currency(raw: Mapping[str, Any]) -> str:
    for line in _lines(raw):
        for charge in (line.get("charges") or {}).get("charge") or []:
            cur = (charge.get("chargeAmount") or {}).get("currency")
            if cur:
                return cur
    return "USD"


def _line_refunds(line: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((line.get("refund") or {}).get("refunds") or [])


class WalmartApi(StorefrontHttp):
    """Requests to the Walmart Marketplace API with a client-credentials access token, fetched on first
    use and again when Walmart says it expired; every call carries a fresh correlation id."""

    def __init__(self, http: httpx.Client, *, client_id: str, client_secret: str) -> None:
        super().__init__(http, system="Walmart", base_url=BASE_URL, headers={}, read_error=read_error)
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._client_id = client_id
        self._calls = count(1)
        self._token: str | None = None

    def _correlation(self) -> str:
        return str(uuid.uuid5(_CORRELATION, f"{self._client_id}/{next(self._calls)}"))

    def _fetch_token(self) -> str:
        self.headers = {"WM_SVC.NAME": SERVICE_NAME, "WM_QOS.CORRELATION_ID": self._correlation()}
        try:
            response = self.http.post(f"{BASE_URL}/token", content=b"grant_type=client_credentials", headers={
                **self.headers, "Authorization": f"Basic {self._basic}", "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded"})
        except httpx.TransportError as exc:
            raise RemoteError("Walmart", f"Could not reach Walmart for an access token ({type(exc).__name__}: {exc}); "
                                         "it will be retried on the next run.", retryable=True) from exc
        if response.status_code >= 400:
            raise self._error(response, "get an access token")
        data = json_body(response, system="Walmart", what="get an access token", expect=dict)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise unreadable("Walmart", "get an access token", "it carries no access_token")
        self._token = token
        return self._token

    def request(self, method: str, path_or_url: str, *, what: str, params: Mapping[str, Any] | None = None,
                body: Any = None) -> tuple[Any, httpx.Response]:
        for fresh in (False, True):
            token = self._token if (self._token and not fresh) else self._fetch_token()
            self.headers = {"WM_SEC.ACCESS_TOKEN": token, "WM_SVC.NAME": SERVICE_NAME,
                            "WM_QOS.CORRELATION_ID": self._correlation()}
            try:
                return super().request(method, path_or_url, what=what, params=params, body=body)
            except RemoteError as exc:
                if exc.status != 401 or fresh:
                    raise
        raise AssertionError("unreachable")


class WalmartAdapter:
    platform = "walmart"
    display_name = "Walmart"
    supports_line_items = True
    refund_target_type = "walmart_refund"

    def __init__(self, http: httpx.Client, *, seller_id: str, client_id: str, client_secret: str) -> None:
        self.seller_id = seller_id
        self.api = WalmartApi(http, client_id=client_id, client_secret=client_secret)

    # --- orders -----------------------------------------------------------------------------
    def _raw_order(self, order_id: str) -> dict:
        data, _ = self.api.request("GET", f"/orders/{order_id}", what=f"read purchase order {order_id}")
        return data["order"]

    def get_order(self, order_id: str) -> Order:
        return self.parse_order(self._raw_order(order_id))

    def _orders_since(self, since: datetime) -> Iterator[dict]:
        params: dict[str, Any] | None = {"lastModifiedStartDate": isoformat(since), "limit": 100}
        url = "/orders"
        while True:
            data, _ = self.api.request("GET", url, params=params, what="list orders")
            listing = data.get("list") or {}
            yield from (listing.get("elements") or {}).get("order") or []
            cursor = (listing.get("meta") or {}).get("nextCursor")
            if not cursor:
                return
            url, params = f"/orders{cursor}", None

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        for raw in self._orders_since(since):
            yield self.parse_order(raw)

    def parse_order(self, raw: Mapping[str, Any]) -> Order:
        currency = _currency(raw)
        items: list[OrderLine] = []
        shipping: list[OrderLine] = []
        for line in _lines(raw):
            number = str(line["lineNumber"])
            quantity = Decimal(str((line.get("orderLineQuantity") or {}).get("amount") or 1))
            item = line.get("item") or {}
            for charge in (line.get("charges") or {}).get("charge") or []:
                amount = _charge_money(charge.get("chargeAmount"), currency)
                tax = _charge_money((charge.get("tax") or {}).get("taxAmount"), currency)
                if charge.get("chargeType") == "SHIPPING":
                    shipping.append(OrderLine(line_id=shipping_line_id(number), sku=None, title="Shipping",
                                              quantity=Decimal(1), unit_price=amount, amount=amount, tax=tax,
                                              kind=LineKind.SHIPPING))
                else:
                    items.append(OrderLine(line_id=number, sku=item.get("sku") or None,
                                           title=item.get("productName") or "", quantity=quantity,
                                           unit_price=money.round_amount(amount / quantity, currency),
                                           amount=amount, tax=tax))
        created = _time(raw["orderDate"])
        modified = max([created] + [_time(line["statusDate"]) for line in _lines(raw) if line.get("statusDate")]
                       + ([_time(raw["lastModified"])] if raw.get("lastModified") else []))
        payments = raw.get("paymentTypes") or []
        email = raw.get("customerEmailId")
        name = ((raw.get("shippingInfo") or {}).get("postalAddress") or {}).get("name") or ""
        first, _, last = name.partition(" ")
        return Order(id=str(raw["purchaseOrderId"]), name=str(raw["purchaseOrderId"]), currency=currency,
                     created_at=created, updated_at=modified,
                     customer=Customer(id=email, email=email, first_name=first, last_name=last) if email else None,
                     lines=tuple(items + shipping), paid=True,
                     gateway=next((_GATEWAY_OF_PAYMENT[p] for p in payments if p in _GATEWAY_OF_PAYMENT), "walmart"))

    # --- refunds as Walmart reports them ----------------------------------------------------
    def parse_refunds(self, raw: Mapping[str, Any]) -> list[StorefrontRefund]:
        """Refunds are recorded on each order line; one refund (one refundId) may span several lines."""
        currency = _currency(raw)
        found: dict[str, dict[str, Any]] = {}
        for line in _lines(raw):
            number = str(line["lineNumber"])
            sku = (line.get("item") or {}).get("sku") or None
            for refund in _line_refunds(line):
                entry = found.setdefault(str(refund["refundId"]), {"lines": [], "note": refund.get("refundComments") or "",
                                                                  "at": refund.get("refundDate")})
                units = (refund.get("refundQuantity") or {}).get("amount")
                for rc in (refund.get("refundCharges") or {}).get("refundCharge") or []:
                    charge = rc.get("charge") or {}
                    amount = -_charge_money(charge.get("chargeAmount"), currency)   # Walmart: negative
                    tax = -_charge_money((charge.get("tax") or {}).get("taxAmount"), currency)
                    if charge.get("chargeType") == "SHIPPING":
                        entry["lines"].append(RefundLine(sku=None, quantity=Decimal(1), amount=amount, tax=tax,
                                                         line_id=shipping_line_id(number), kind=LineKind.SHIPPING))
                    elif units:
                        entry["lines"].append(RefundLine(sku=sku, quantity=Decimal(str(units)), amount=amount, tax=tax,
                                                         line_id=number, kind=LineKind.ITEM))
                    else:   # money back on the line with no units returned: an adjustment
                        entry["lines"].append(RefundLine(sku=None, quantity=Decimal(1), amount=amount, tax=tax,
                                                         kind=LineKind.ADJUSTMENT))
        return [StorefrontRefund(id=refund_id, order_id=str(raw["purchaseOrderId"]), currency=currency,
                                 total=money.total((l.gross for l in e["lines"]), currency), lines=tuple(e["lines"]),
                                 status=SourceStatus.COMPLETED, note=e["note"],
                                 created_at=_time(e["at"]) if e["at"] else None)
                for refund_id, e in found.items()]

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return self.parse_refunds(self._raw_order(order.id))

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        """Refunds of every order modified since ``since`` (a refund modifies its order), page by page."""
        for raw in self._orders_since(since):
            yield from self.parse_refunds(raw)

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        found = next((r for r in self.parse_refunds(self._raw_order(order_id)) if r.id == refund_id), None)
        if found is None:
            raise NotFound("Walmart", f"Walmart has no refund {refund_id} on purchase order {order_id}.", status=404)
        return found

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        raw = self._raw_order(order.id)
        before = {r.id for r in self.parse_refunds(raw)}
        plan = RefundPlan(raw, push.currency)
        for line_id, quantity in push.lines:
            plan.units(line_id, int(quantity))
        if push.shipping:
            plan.shipping(push.shipping, push.shipping_tax)
        plan.settle(push.total)
        unshipped = [n for n in plan.line_numbers() if plan.status(n) not in REFUNDABLE]
        body = {"orderRefund": {"purchaseOrderId": order.id, "orderLines": {"orderLine": plan.wire(push.note)}}}
        try:
            data, _ = self.api.request("POST", f"/orders/{order.id}/refund", body=body,
                                       what=f"refund purchase order {order.id}")
        except RemoteError as exc:
            if exc.status == 400 and unshipped:
                # Walmart refunds only shipped lines; once they ship the same refund goes through
                raise RemoteError("Walmart", (
                    f"Walmart refused to refund order line{'s' if len(unshipped) > 1 else ''} {', '.join(unshipped)} of "
                    f"purchase order {order.id}: only lines in Shipped status can be refunded ({exc.detail}). "
                    "It is pushed on the next run after the line ships."),
                    status=400, detail=exc.detail, retryable=True) from exc
            raise
        made = [r for r in self.parse_refunds(data["order"]) if r.id not in before]
        if len(made) != 1:
            raise RemoteError("Walmart", f"Walmart accepted the refund of purchase order {order.id} but its answer "
                                         f"shows {len(made)} new refunds; check the order in Seller Center.")
        return PushedRefund(id=made[0].id, status=SourceStatus.COMPLETED, amount=made[0].total)

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        for refund in self.list_refunds(order):
            if marker in refund.note:
                return PushedRefund(id=refund.id, status=refund.status, amount=refund.total)
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        refund = self.refund(order_id, refund_id)
        return PushedRefund(id=refund.id, status=refund.status, amount=refund.total)

    def register_refund_webhook(self, address: str) -> None:
        """Walmart sends no refund webhooks; refunds are polled on the schedule."""


class RefundPlan:
    """The charges of one Refund Order Lines request, as positive amounts until ``wire`` negates them.

    Units of a line give back their share of its PRODUCT charge and tax, priced on what has been refunded
    in all (so unit-by-unit refunds add up to the line); shipping goes on the SHIPPING charge with the tax
    NetSuite refunded on it; and whatever NetSuite's total differs by goes on PRODUCT charges with room left.
    """

    def __init__(self, raw: Mapping[str, Any], currency: str) -> None:
        self.currency = currency
        self.lines = {str(line["lineNumber"]): line for line in _lines(raw)}
        self.charges: dict[tuple[str, str], list[Decimal]] = {}   # (line, type) -> [amount, tax]
        self.quantities: dict[str, int] = {}

    def line_numbers(self) -> list[str]:
        return sorted({number for number, _ in self.charges}, key=int)

    def status(self, number: str) -> str:
        statuses = (self.lines[number].get("orderLineStatuses") or {}).get("orderLineStatus") or [{}]
        return str(statuses[-1].get("status") or "")

    def _charged(self, number: str, charge_type: str) -> tuple[Decimal, Decimal]:
        for charge in (self.lines[number].get("charges") or {}).get("charge") or []:
            if charge.get("chargeType") == charge_type:
                return (_charge_money(charge.get("chargeAmount"), self.currency),
                        _charge_money((charge.get("tax") or {}).get("taxAmount"), self.currency))
        return money.ZERO, money.ZERO

    def _refunded(self, number: str, charge_type: str) -> tuple[Decimal, Decimal, int]:
        amount = tax = money.ZERO
        units = 0
        for refund in _line_refunds(self.lines[number]):
            for rc in (refund.get("refundCharges") or {}).get("refundCharge") or []:
                charge = rc.get("charge") or {}
                if charge.get("chargeType") == charge_type:
                    amount -= _charge_money(charge.get("chargeAmount"), self.currency)
                    tax -= _charge_money((charge.get("tax") or {}).get("taxAmount"), self.currency)
            units += int((refund.get("refundQuantity") or {}).get("amount") or 0)
        return amount, tax, units

    def _room(self, number: str, charge_type: str) -> Decimal:
        charged, _ = self._charged(number, charge_type)
        done, _, _ = self._refunded(number, charge_type)
        return charged - done - self.charges.get((number, charge_type), [money.ZERO, money.ZERO])[0]

    def units(self, line_id: str, quantity: int) -> None:
        if line_id not in self.lines:
            raise RemoteError("Walmart", f"Purchase order has no order line {line_id} to refund.")
        line = self.lines[line_id]
        total_units = int((line.get("orderLineQuantity") or {}).get("amount") or 1)
        charged, charged_tax = self._charged(line_id, "PRODUCT")
        _, _, done = self._refunded(line_id, "PRODUCT")
        done += self.quantities.get(line_id, 0)
        if done + quantity > total_units:
            raise ConnectorError(f"Walmart order line {line_id} has {total_units - done} of its {total_units} "
                                 f"unit(s) left to refund, not {quantity}.")
        amount = money.cumulative_share(charged, done, quantity, total_units, self.currency)
        tax = money.cumulative_share(charged_tax, done, quantity, total_units, self.currency)
        self.quantities[line_id] = self.quantities.get(line_id, 0) + quantity
        self._add(line_id, "PRODUCT", amount, tax)

    def shipping(self, amount: Decimal, tax: Decimal | None = None) -> None:
        """``amount`` of shipping on the purchase order's SHIPPING charge, with ``tax``, the tax NetSuite
        refunded on it, as far as the charge has tax left (``settle`` places the rest); without it, the
        amount's share of the charge's tax."""
        carrying = [n for n in self.lines if self._charged(n, "SHIPPING")[0] > 0]
        if not carrying:
            raise RemoteError("Walmart", "NetSuite refunded shipping but the purchase order has no shipping charge.")
        number = carrying[0]
        charged, charged_tax = self._charged(number, "SHIPPING")
        if tax is None:
            tax = money.round_amount(charged_tax * amount / charged, self.currency)
        else:
            _, done_tax, _ = self._refunded(number, "SHIPPING")
            tax = min(tax, charged_tax - done_tax)
        self._add(number, "SHIPPING", amount, tax)

    def _add(self, number: str, charge_type: str, amount: Decimal, tax: Decimal) -> None:
        entry = self.charges.setdefault((number, charge_type), [money.ZERO, money.ZERO])
        entry[0] += amount
        entry[1] += tax

    def settle(self, total: Decimal) -> None:
        """Make the charges add up to NetSuite's total: more money goes on PRODUCT charges with room left
        (an amount-only refund is all of it), less comes off the PRODUCT amounts asked."""
        residual = total - sum((a + t for a, t in self.charges.values()), money.ZERO)
        if residual > 0:
            for number in sorted(self.lines, key=int):
                part = min(residual, self._room(number, "PRODUCT"))
                if part > 0:
                    self._add(number, "PRODUCT", part, money.ZERO)
                    residual -= part
        elif residual < 0:
            for key, entry in self.charges.items():
                part = min(-residual, entry[0]) if key[1] == "PRODUCT" else money.ZERO
                entry[0] -= part
                residual += part
        if residual:
            raise RemoteError("Walmart", f"NetSuite's refund total of {total} {self.currency} cannot be placed on the "
                                         "order lines' charges: it is more than is left to refund on them.")
        self.charges = {k: v for k, v in self.charges.items() if v[0] > 0 or v[1] > 0}

    def wire(self, note: str) -> list[dict[str, Any]]:
        out = []
        for number in self.line_numbers():
            charges = []
            for charge_type in ("PRODUCT", "SHIPPING"):
                entry = self.charges.get((number, charge_type))
                if entry is None:
                    continue
                name, tax_name = ("ItemPrice", "ItemPriceTax") if charge_type == "PRODUCT" else ("Shipping", "ShippingTax")
                charges.append({"refundReason": REFUND_REASON, "charge": {
                    "chargeType": charge_type, "chargeName": name,
                    "chargeAmount": {"currency": self.currency, "amount": -entry[0]},   # Walmart: negative
                    "tax": {"taxName": tax_name, "taxAmount": {"currency": self.currency, "amount": -entry[1]}}}})
            line: dict[str, Any] = {"lineNumber": number, "isFullRefund": False,
                                    "refunds": {"refund": [{"refundComments": note,
                                                            "refundCharges": {"refundCharge": charges}}]}}
            if self.quantities.get(number):
                line["orderLineQuantity"] = {"unitOfMeasurement": "EACH", "amount": str(self.quantities[number])}
            out.append(line)
        return out


STOREFRONT = StorefrontSpec(
    platform="walmart", store_hint="the Walmart seller (partner) id",
    credentials=("client_id", "client_secret"),
    adapter=lambda http, account: WalmartAdapter(http, seller_id=account.store,
                                                 client_id=account.credentials["client_id"],
                                                 client_secret=account.credentials["client_secret"]))
