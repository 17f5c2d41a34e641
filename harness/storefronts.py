"""Storefront drivers: what the harness (playing merchant and customer) does in a storefront.

One driver per platform over that simulator's control plane and API, all with the same shape, so
steps take the storefront as a parameter. Refunds are read back through the storefront's own REST
API, independently of the connector.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx

from common import jsonio, money
from harness.reconcile import SideRefund
from simulators.core.orders import OrderSpec
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator


@dataclass(frozen=True)
class PlacedLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    platform: str
    order_id: str
    currency: str
    total: Decimal
    lines: tuple[PlacedLine, ...]
    shipping: Decimal
    payment_id: str | None = None


@dataclass(frozen=True)
class StorefrontRefundRequest:
    """What the merchant refunds: (line number 1-based, quantity) pairs, shipping, or an amount."""

    lines: tuple[tuple[int, int], ...] = ()
    shipping: bool = False
    amount: Decimal | None = None
    whole_order: bool = False


class StorefrontDriver(Protocol):
    platform: str
    display_name: str
    supports_line_items: bool
    simulator: object

    def account_store(self) -> str: ...
    def account_credentials(self) -> dict[str, str]: ...
    def place_order(self, spec: OrderSpec) -> PlacedOrder: ...
    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str: ...
    def refunds(self, order: PlacedOrder) -> list[SideRefund]: ...
    def deliver_webhooks(self) -> int: ...


class ShopifyDriver:
    platform = "shopify"
    display_name = "Shopify"
    supports_line_items = True

    def __init__(self, simulator: ShopifySimulator, http: httpx.Client) -> None:
        self.simulator = simulator
        self._http = http

    def account_store(self) -> str:
        return self.simulator.shop

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self.simulator.access_token, "client_secret": self.simulator.client_secret}

    def _url(self, path: str) -> str:
        return f"https://{self.simulator.shop_domain}/admin/api/{self.simulator.api_version}/{path}"

    def _get(self, path: str) -> dict:
        response = self._http.get(self._url(path), headers={"X-Shopify-Access-Token": self.simulator.access_token})
        response.raise_for_status()
        return jsonio.loads(response.content)

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order = self.simulator.add_order(spec)
        lines = tuple(PlacedLine(str(li["id"]), li["sku"], li["quantity"]) for li in order["line_items"])
        shipping = sum((Decimal(s["price"]) for s in order.get("shipping_lines", [])), Decimal(0))
        return PlacedOrder(self.platform, str(order["id"]), order["currency"], Decimal(order["total_price"]),
                           lines, shipping)

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.amount is not None:
            refund = self.simulator.refund_in_admin(int(order.order_id), amount=request.amount)
        else:
            pairs = ([(int(l.line_id), l.quantity) for l in order.lines] if request.whole_order
                     else [(int(order.lines[n - 1].line_id), q) for n, q in request.lines])
            refund = self.simulator.refund_in_admin(
                int(order.order_id), lines=pairs,
                shipping=(True if (request.shipping or request.whole_order) else None))
        return str(refund["id"])

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        sku_of = {l.line_id: l.sku for l in order.lines}
        found = []
        for refund in self._get(f"orders/{order.order_id}/refunds.json")["refunds"]:
            total = sum((Decimal(t["amount"]) for t in refund["transactions"]
                         if t["kind"] == "refund" and t["status"] == "success"), Decimal(0))
            tax = sum((Decimal(str(li["total_tax"])) for li in refund["refund_line_items"]), Decimal(0))
            tax += sum((Decimal(s["tax_amount_set"]["shop_money"]["amount"])
                        for s in refund.get("refund_shipping_lines", [])), Decimal(0))
            adjustments = refund.get("order_adjustments", [])
            tax += sum((Decimal(a.get("tax_amount", "0")) for a in adjustments), Decimal(0))
            lines = tuple((sku_of[str(li["line_item_id"])], li["quantity"]) for li in refund["refund_line_items"])
            found.append(SideRefund(str(refund["id"]), money.amount(total, order.currency), order.currency,
                                    money.amount(tax, order.currency), lines, "shopify refund"))
        return found

    def deliver_webhooks(self) -> int:
        return len(self.simulator.deliver_webhooks())

    def redeliver_all(self) -> int:
        sent = 0
        for delivery in [d for d in self.simulator.deliveries if d.topic == "refunds/create"]:
            self.simulator.redeliver(delivery.webhook_id)
            sent += 1
        return sent


class SquareDriver:
    platform = "square"
    display_name = "Square"
    supports_line_items = False

    def __init__(self, simulator: SquareSimulator, http: httpx.Client, merchant=None) -> None:
        # several sellers share Square's one host; each has its own token and location
        self.simulator = simulator
        self._http = http
        self._merchant = merchant or simulator.merchant

    def account_store(self) -> str:
        return self._merchant.location_id

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self._merchant.access_token}

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order, payment = self.simulator.add_order(spec, self._merchant)
        cur = order["total_money"]["currency"]
        lines = tuple(PlacedLine(li["uid"], li["variation_name"], int(li["quantity"])) for li in order["line_items"])
        return PlacedOrder(self.platform, order["id"], cur, money.from_minor(order["total_money"]["amount"], cur),
                           lines, money.amount(spec.shipping, cur), payment_id=payment["id"])

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.amount is None:
            raise ValueError("Square cannot refund by line; refund an amount instead")
        refund = self.simulator.refund_in_dashboard(order.payment_id, request.amount, "Customer return")
        return refund["id"]

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        # the payment (read over the API) lists its refunds; each is read without counting as a
        # poll, so looking does not move a PENDING refund along
        response = self._http.get(f"https://{self.simulator.hosts[0]}/v2/payments/{order.payment_id}",
                                  headers={"Authorization": f"Bearer {self._merchant.access_token}"})
        response.raise_for_status()
        found = []
        for refund_id in jsonio.loads(response.content)["payment"].get("refund_ids", []):
            refund = self.simulator.refund(refund_id)
            if refund["status"] == "FAILED":
                continue
            cur = refund["amount_money"]["currency"]
            found.append(SideRefund(refund["id"], money.from_minor(int(refund["amount_money"]["amount"]), cur),
                                    cur, None, (), "square refund"))
        return found

    def deliver_webhooks(self) -> int:
        return 0
