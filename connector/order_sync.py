"""Order sync, just enough to be real: a storefront order becomes a NetSuite customer and sales
order, and the link (order <-> sales order, storefront line <-> sales order line) is recorded.
Refund sync stands on this link: it is how a refund finds its order in NetSuite and back."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from common.clock import Clock
from connector.crashpoints import reached
from connector.errors import ConnectorError, RemoteError
from connector.ledger import Ledger
from connector.model import Account, LineKind, LineLink, Order, OrderLink
from connector.netsuite import NetSuiteClient, external_id
from connector.storefronts.base import StorefrontAdapter


def order_external_id(account: Account, order_id: str) -> str:
    return external_id(account.platform, account.store, "order", order_id)


def customer_external_id(account: Account, order: Order) -> str:
    customer = order.customer
    key = (customer.id or customer.email) if customer else None
    return external_id(account.platform, account.store, "customer", key or "walk-in")


class OrderSyncFailed(ConnectorError):
    """Some orders of a batch could not be synced; the others were. ``synced`` holds their links."""

    def __init__(self, message: str, synced: list[OrderLink], failures: list[tuple[str, str]]) -> None:
        super().__init__(message, retryable=True)
        self.synced = synced
        self.failures = failures


class OrderSync:
    def __init__(self, ledger: Ledger, netsuite: NetSuiteClient, clock: Clock) -> None:
        self.ledger = ledger
        self.netsuite = netsuite
        self.clock = clock

    def sync_order(self, account: Account, adapter: StorefrontAdapter, order_id: str) -> OrderLink:
        order = adapter.get_order(str(order_id))
        return self.sync(account, order)

    def sync_orders(self, account: Account, adapter: StorefrontAdapter) -> list[OrderLink]:
        """Orders updated since the last run and created after the cut-off, not linked yet."""
        if not account.order_sync_active:
            raise ConnectorError(f"Order sync is not active for account '{account.name}'; activate it first.")
        started = self.clock.now()
        since = account.orders_synced_through or account.order_sync_cutoff or started
        synced, failures = [], []
        for order in adapter.orders_updated_since(since):
            if not cutoff_passed(order, account.order_sync_cutoff):
                continue   # placed before order sync was switched on: NetSuite already has it, or never will
            if self.ledger.order_link(account.id, order.id):
                continue
            try:
                synced.append(self.sync(account, order))
            except ConnectorError as exc:
                failures.append((order.name, str(exc)))
        self.ledger.update_account(account.id, orders_synced_through=started)
        reached("order_sync.watermark_advanced")
        if failures:
            listed = "; ".join(f"{name}: {why}" for name, why in failures)
            raise OrderSyncFailed(f"{len(failures)} of {len(synced) + len(failures)} orders could not be synced "
                                  f"to NetSuite ({listed}).", synced, failures)
        return synced

    def sync(self, account: Account, order: Order) -> OrderLink:
        ext = order_external_id(account, order.id)
        existing = self.netsuite.get_by_external_id("salesOrder", ext, expand=True)
        if existing is None:
            body = self._sales_order(account, order, ext)
            try:
                sales_order_id = self.netsuite.create("salesOrder", body)
                reached("order_sync.sales_order_created")
            except RemoteError as exc:
                if exc.status != 400 or "already exists" not in exc.detail:
                    raise ConnectorError(f"Order {order.name} could not be synced to NetSuite: {exc}",
                                         retryable=exc.retryable) from exc
                sales_order_id = "eid:" + ext   # created by an earlier attempt whose answer was lost
            existing = self.netsuite.get("salesOrder", sales_order_id, expand=True)
            if existing is None:
                raise ConnectorError(f"NetSuite accepted sales order {ext} for order {order.name} but cannot find it.",
                                     retryable=True)
        link = self.ledger.save_order_link(self._link(account, order, ext, existing))
        reached("order_sync.link_saved")
        return link

    def _sales_order(self, account: Account, order: Order, ext: str) -> dict[str, Any]:
        settings = account.settings
        skus = sorted({line.sku for line in order.item_lines if line.sku})
        no_sku = [line.title or line.line_id for line in order.item_lines if not line.sku]
        if no_sku:
            raise ConnectorError(f"Order {order.name} cannot be synced: line(s) {', '.join(no_sku)} have no SKU to "
                                 "map to a NetSuite item.")
        items = self.netsuite.item_ids(skus, settings.item_map)
        unmapped = [sku for sku in skus if sku not in items]
        if unmapped:
            raise ConnectorError(f"Order {order.name} cannot be synced: SKU {', '.join(unmapped)} has no NetSuite "
                                 "item (create an item with that name or add it to item_map).")
        shipping = [line for line in order.lines if line.kind is LineKind.SHIPPING]
        if shipping and not settings.shipping_item_id:
            raise ConnectorError(f"Order {order.name} has shipping but account '{account.name}' has no shipping item "
                                 "configured (set shipping_item_id).")
        entity = self.netsuite.upsert("customer", customer_external_id(account, order), self._customer(order))
        reached("order_sync.customer_upserted")
        body: dict[str, Any] = {
            "externalId": ext,
            "entity": {"id": entity},
            "currency": {"id": self.netsuite.currency_id(order.currency)},
            "tranDate": order.created_at.date().isoformat(),
            "memo": f"{account.platform.capitalize()} order {order.name}",
            "taxDetailsOverride": True,   # the storefront's tax is what the customer paid
            "item": {"items": [self._line(line, items.get(line.sku or "", settings.shipping_item_id))
                               for line in order.lines]},
        }
        payment_method = settings.payment_method_for(order.gateway) if order.paid else None
        if payment_method:
            body["paymentMethod"] = {"id": payment_method}
        return body

    @staticmethod
    def _customer(order: Order) -> dict[str, Any]:
        customer = order.customer
        first = (customer.first_name if customer else "") or "Storefront"
        last = (customer.last_name if customer else "") or "Customer"
        body: dict[str, Any] = {"isPerson": True, "firstName": first, "lastName": last}
        if customer and customer.email:
            body["email"] = customer.email
        return body

    @staticmethod
    def _line(line: Any, item_id: str | None) -> dict[str, Any]:
        quantity = line.quantity
        return {"item": {"id": item_id},
                "quantity": int(quantity) if quantity == quantity.to_integral_value() else quantity,
                "rate": line.unit_price, "amount": line.amount, "taxAmount": line.tax,
                "description": line.title, "custcol_storefront_line_id": line.line_id}

    def _link(self, account: Account, order: Order, ext: str, record: dict) -> OrderLink:
        by_line_id = {str(line.get("custcol_storefront_line_id")): line
                      for line in (record.get("item") or {}).get("items", []) if line.get("custcol_storefront_line_id")}
        links = []
        for line in order.lines:
            so_line = by_line_id.get(line.line_id)
            links.append(LineLink(line_id=line.line_id, sku=line.sku,
                                  item_id=str((so_line or {}).get("item", {}).get("id", "")),
                                  so_line=int(so_line["line"]) if so_line and so_line.get("line") is not None else None))
        return OrderLink(account_id=account.id, order_id=order.id, order_name=order.name,
                         sales_order_id=str(record["id"]), sales_order_tranid=record.get("tranId"),
                         external_id=ext, currency=order.currency, lines=tuple(links),
                         payment_ids=order.payment_ids, synced_at=self.clock.now())


def cutoff_passed(order: Order, cutoff: datetime | None) -> bool:
    return cutoff is None or order.created_at >= cutoff
