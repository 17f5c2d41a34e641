"""Etsy (Open API v3, shop receipts). Refunds are read-only amounts on the receipt (``refunds[]``: an
amount, a time, a reason; no lines, no id). A refund does not move the receipt's ``updated_timestamp``
(Etsy's known behaviour), so refunds are looked for on every receipt created within the refund window,
never only on receipts "modified since"."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from connector.errors import ConnectorError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, SourceStatus, StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec

BASE_URL = "https://openapi.etsy.com/v3/application"
PAGE = 100
# How long after a sale Etsy lets the seller refund it: every receipt created since then may get a refund.
REFUND_WINDOW = timedelta(days=180)
EARLIEST = 946_684_800   # Etsy refuses timestamps before 2000-01-01
READ_ONLY = ("the Etsy Open API has no call that creates a refund; refunds are made in the Shop Manager and "
             "only read on the shop's receipts")
# An Etsy payment method, as the "gateway" a payment method mapping is keyed on.
_GATEWAY_OF_METHOD = {"cc": "etsy_payments"}


def read_error(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return str(body)[:300]


def _money(value: Mapping[str, Any] | None, currency: str) -> Decimal:
    if not value:
        return money.from_minor(0, currency)
    cur = value.get("currency_code") or currency
    exact = Decimal(int(value["amount"])) / Decimal(int(value.get("divisor") or 1))
    return money.amount(exact, cur)


def _when(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc) if seconds is not None else None


def _epoch(moment: datetime) -> int:
    return max(int(moment.timestamp()), EARLIEST)


class EtsyAdapter:
    platform = "etsy"
    display_name = "Etsy"
    supports_line_items = False
    refund_target_type = "etsy_refund"

    def __init__(self, http: httpx.Client, *, shop_id: str, api_key: str, access_token: str) -> None:
        self.shop_id = shop_id
        self.api = StorefrontHttp(http, system="Etsy", base_url=f"{BASE_URL}/shops/{shop_id}", read_error=read_error,
                                  headers={"x-api-key": api_key, "Authorization": f"Bearer {access_token}"})

    # --- receipts ---------------------------------------------------------------------------
    def _receipt(self, receipt_id: str) -> dict:
        data, _ = self.api.request("GET", f"/receipts/{receipt_id}", what=f"read receipt {receipt_id}")
        return data

    def _receipts(self, params: dict[str, Any], what: str) -> Iterator[dict]:
        offset = 0
        while True:
            data, _ = self.api.request("GET", "/receipts", params={**params, "limit": PAGE, "offset": offset},
                                       what=what)
            results = data.get("results") or []
            yield from results
            offset += len(results)
            if not results or offset >= int(data.get("count") or 0):
                return

    def get_order(self, order_id: str) -> Order:
        return self.parse_order(self._receipt(order_id))

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        # a new order is a new receipt: its updated time is its creation time
        for raw in self._receipts({"min_last_modified": _epoch(since), "sort_on": "updated", "sort_order": "asc"},
                                  "list receipts"):
            yield self.parse_order(raw)

    @staticmethod
    def parse_order(raw: Mapping[str, Any]) -> Order:
        """Etsy gives the discount and the tax only for the whole receipt: both are spread over the lines
        (tax over the lines and the shipping) in proportion to their amounts, to the cent."""
        currency = (raw.get("grandtotal") or {}).get("currency_code") or "USD"
        transactions = raw.get("transactions") or []
        gross = [_money(t.get("price"), currency) * int(t["quantity"]) for t in transactions]
        discounts = money.allocate(_money(raw.get("discount_amt"), currency), gross, currency) if gross else []
        nets = [g - d for g, d in zip(gross, discounts)]
        shipping = _money(raw.get("total_shipping_cost"), currency)
        taxes = money.allocate(_money(raw.get("total_tax_cost"), currency) + _money(raw.get("total_vat_cost"), currency),
                               nets + [shipping], currency)
        lines = [OrderLine(line_id=str(t["transaction_id"]), sku=t.get("sku") or None, title=t.get("title") or "",
                           quantity=Decimal(int(t["quantity"])), unit_price=_money(t.get("price"), currency),
                           amount=net, tax=tax) for t, net, tax in zip(transactions, nets, taxes)]
        if shipping or taxes[-1]:
            lines.append(OrderLine(line_id=f"shipping-{raw['receipt_id']}", sku=None, title="Shipping",
                                   quantity=Decimal(1), unit_price=shipping, amount=shipping, tax=taxes[-1],
                                   kind=LineKind.SHIPPING))
        created = _when(raw.get("created_timestamp") or raw.get("create_timestamp"))
        method = raw.get("payment_method") or ""
        return Order(
            id=str(raw["receipt_id"]), name=str(raw["receipt_id"]), currency=currency, created_at=created,  # type: ignore[arg-type]
            updated_at=_when(raw.get("updated_timestamp") or raw.get("update_timestamp")) or created,  # type: ignore[arg-type]
            customer=Customer(id=None, email=raw.get("buyer_email"), first_name=(raw.get("name") or "Etsy").split(" ")[0],
                              last_name=" ".join((raw.get("name") or "Etsy Customer").split(" ")[1:]) or "Customer"),
            lines=tuple(lines), paid=bool(raw.get("is_paid")) and method in _GATEWAY_OF_METHOD,
            gateway=_GATEWAY_OF_METHOD.get(method, method or None))

    # --- refunds on receipts ----------------------------------------------------------------
    @staticmethod
    def parse_refunds(raw: Mapping[str, Any]) -> list[StorefrontRefund]:
        """A receipt's refunds. They have no id: each is named by its receipt, its time and its rank
        among refunds of the same second (the list only grows)."""
        found: list[StorefrontRefund] = []
        seen: dict[int, int] = {}
        currency = (raw.get("grandtotal") or {}).get("currency_code") or "USD"
        for refund in raw.get("refunds") or []:
            created = int(refund["created_timestamp"])
            seen[created] = seen.get(created, 0) + 1
            amount = _money(refund["amount"], currency)
            found.append(StorefrontRefund(
                id=f"{raw['receipt_id']}-{created}-{seen[created]}", order_id=str(raw["receipt_id"]),
                currency=(refund["amount"].get("currency_code") or currency), total=amount, lines=(),
                status=SourceStatus.COMPLETED,
                note=" ".join(str(refund.get(k)) for k in ("reason", "note_from_issuer") if refund.get(k)),
                created_at=_when(created)))
        return found

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        return self.parse_refunds(self._receipt(order.id))

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        # Not min_last_modified: a refund leaves the receipt's updated_timestamp as it was.
        params = {"min_created": _epoch(since - REFUND_WINDOW), "sort_on": "created", "sort_order": "asc"}
        for raw in self._receipts(params, "list refunds"):
            for refund in self.parse_refunds(raw):
                if refund.created_at is None or refund.created_at >= since:
                    yield refund

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        found = next((r for r in self.parse_refunds(self._receipt(order_id)) if r.id == refund_id), None)
        if found is None:
            raise ConnectorError(f"Etsy shows no refund {refund_id} on receipt {order_id}.")
        return found

    # --- refunds from NetSuite: not possible -----------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        raise ConnectorError(f"Etsy refunds are read-only: {READ_ONLY}.")

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        return None   # nothing is ever pushed to Etsy

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        raise ConnectorError(f"Etsy refunds are read-only: {READ_ONLY}.")

    def register_refund_webhook(self, address: str) -> None:
        """Refunds are polled from the receipts on the schedule; there is nothing to subscribe to."""


STOREFRONT = StorefrontSpec(
    platform="etsy", store_hint="the Etsy shop id", credentials=("api_key", "access_token"),
    adapter=lambda http, account: EtsyAdapter(http, shop_id=account.store, api_key=account.credentials["api_key"],
                                              access_token=account.credentials["access_token"]),
    refunds_read_only=READ_ONLY)
