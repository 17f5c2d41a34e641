"""A World: the simulators and a real connector, wired through injected httpx transports.

Every outbound request of the connector (and of the Shopify simulator's webhook sender) goes through
one respx router that dispatches by host to the simulator that owns it. Nothing is patched globally
and nothing leaves the process: a request to a host nobody owns fails loudly.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import respx

from common.clock import ManualClock
from connector import (AccountSettings, Connector, Direction, NetSuiteConfig, TbaCredentials)
from harness import factories
from harness.reconcile import OrderEvidence, Reconciliation, SideRefund, reconcile
from harness.storefronts import (PlacedOrder, ShopifyDriver, SquareDriver, StorefrontDriver,
                                 StorefrontRefundRequest)
from simulators.netsuite import NetSuiteSimulator
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator

NETSUITE_ACCOUNT = "1234567_SB1"
WEBHOOK_HOST = "hooks.refund-connector.test"
SCHEDULE = timedelta(minutes=90)
BILLED_TYPES = ("cashSale", "invoice")
REFUND_TYPES = ("cashRefund", "creditMemo")


def seed_for(base_seed: int, name: str) -> int:
    """A stable per-scenario seed: same base seed and scenario name, same data."""
    return (base_seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31)


@dataclass
class OrderUnderTest:
    placed: PlacedOrder
    account_id: int
    sales_order_id: str | None = None
    billed: tuple[str, str] | None = None  # (record type, id) once billed


@dataclass
class AccountUnderTest:
    id: int
    platform: str
    driver: Any


@dataclass
class ScenarioState:
    """What steps remember between them within one scenario."""

    accounts: list[AccountUnderTest] = field(default_factory=list)
    orders: list[OrderUnderTest] = field(default_factory=list)
    refusal: Exception | None = None
    netsuite_refunds: list[tuple[str, str]] = field(default_factory=list)
    expect_mismatch: bool = False


class World:
    def __init__(self, seed: int, workdir: Path) -> None:
        self.seed = seed
        self.clock = ManualClock()
        factories.reseed(seed)
        self.netsuite = NetSuiteSimulator(account_id=NETSUITE_ACCOUNT, clock=self.clock, seed=seed)
        self.router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        self.http = httpx.Client(transport=httpx.MockTransport(self.router.handler))
        shopify = ShopifySimulator(shop="acme-outfitters", clock=self.clock, seed=seed, webhook_client=self.http)
        square = SquareSimulator(clock=self.clock, seed=seed)
        self.drivers: dict[str, StorefrontDriver] = {
            "shopify": ShopifyDriver(shopify, self.http),
            "square": SquareDriver(square, self.http),
        }
        for simulator in (self.netsuite, shopify, square):
            for host in simulator.hosts:
                self.router.route(host=host).mock(side_effect=simulator.handle)
        self.connector = Connector(
            ledger_path=workdir / "ledger.sqlite3", clock=self.clock,
            netsuite=NetSuiteConfig(account_id=NETSUITE_ACCOUNT, credentials=TbaCredentials(
                *self._netsuite_credentials())),
            http=self.http, seed=seed, webhook_base_url=f"https://{WEBHOOK_HOST}")
        self.router.route(host=WEBHOOK_HOST).mock(side_effect=self.connector.handle_webhook)
        self.catalog = factories.CatalogItemFactory.build_batch(6)
        self.item_ids = {item.sku: self.netsuite.add_inventory_item(item.sku, item.name, item.price)
                         for item in self.catalog}
        self.refund_item_id = self.netsuite.add_other_charge_item("Refund Adjustment")
        self.shipping_item_id = self.netsuite.add_other_charge_item("Shipping")
        self.card_payment_method_id = self.netsuite.add_payment_method("Storefront card payments")
        self.scenario = ScenarioState()

    def _netsuite_credentials(self) -> tuple[str, str, str, str]:
        c = self.netsuite.credentials
        return (c.consumer_key, c.consumer_secret, c.token_id, c.token_secret)

    def close(self) -> None:
        self.connector.close()
        self.http.close()

    # --- accounts ------------------------------------------------------------------------
    def driver(self, platform: str) -> StorefrontDriver:
        try:
            return self.drivers[platform]
        except KeyError:
            raise ValueError(f"unknown storefront {platform!r}; this harness knows "
                             f"{', '.join(d.display_name for d in self.drivers.values())}") from None

    def connect(self, platform: str, name: str | None = None) -> AccountUnderTest:
        driver = self.driver(platform)
        number = sum(1 for a in self.scenario.accounts if a.platform == platform) + 1
        account = self.connector.add_account(
            name=name or f"{driver.display_name} store {number}", platform=platform,
            store=driver.account_store() if number == 1 else f"{driver.account_store()}-{number}",
            credentials=driver.account_credentials(),
            settings=AccountSettings(
                generic_refund_item_id=self.refund_item_id, shipping_item_id=self.shipping_item_id,
                payment_method_map={factories.CARD_GATEWAY[platform]: self.card_payment_method_id}))
        handle = AccountUnderTest(account.id, platform, driver)
        self.scenario.accounts.append(handle)
        return handle

    @property
    def account(self) -> AccountUnderTest:
        if not self.scenario.accounts:
            raise LookupError("no storefront is connected yet; start with 'Given a <storefront> store connected to NetSuite'")
        return self.scenario.accounts[0]

    # --- orders --------------------------------------------------------------------------
    def place_order(self, account: AccountUnderTest, **plan: Any) -> OrderUnderTest:
        spec = factories.plan_order(self.catalog, platform=account.platform, **plan)
        order = OrderUnderTest(account.driver.place_order(spec), account.id)
        self.scenario.orders.append(order)
        return order

    def sync(self, order: OrderUnderTest) -> None:
        link = self.connector.sync_order(order.account_id, order.placed.order_id)
        order.sales_order_id = link.sales_order_id

    def bill(self, order: OrderUnderTest) -> tuple[str, str]:
        if order.sales_order_id is None:
            raise LookupError(f"order {order.placed.order_id} has no sales order in NetSuite to bill")
        order.billed = tuple(self.netsuite.bill(order.sales_order_id))  # type: ignore[assignment]
        return order.billed  # type: ignore[return-value]

    @property
    def order(self) -> OrderUnderTest:
        if not self.scenario.orders:
            raise LookupError("no order was placed yet in this scenario")
        return self.scenario.orders[-1]

    def storefront_refund(self, order: OrderUnderTest, request: StorefrontRefundRequest) -> str:
        driver = self.driver(order.placed.platform)
        return driver.refund(order.placed, request)

    def run_schedule(self) -> Any:
        self.clock.advance(SCHEDULE)
        return self.connector.run_scheduled()

    # --- NetSuite side -------------------------------------------------------------------
    def netsuite_refunds_of(self, order: OrderUnderTest) -> list[dict]:
        if order.billed is None:
            return []
        billed_id = order.billed[1]
        return [record for kind in REFUND_TYPES for record in self.netsuite.records(kind)
                if (record.get("createdFrom") or {}).get("id") == billed_id]

    def netsuite_side(self, order: OrderUnderTest) -> list[SideRefund]:
        sku_of = {item_id: sku for sku, item_id in self.item_ids.items()}
        found = []
        for record in self.netsuite_refunds_of(order):
            lines = tuple((sku_of[line["item"]["id"]], int(line["quantity"]))
                          for line in record["item"]["items"] if line["item"]["id"] in sku_of)
            kind = "cashRefund" if record["tranId"].startswith("CR") else "creditMemo"
            found.append(SideRefund(record["id"], Decimal(str(record["total"])), record["currency"]["refName"],
                                    Decimal(str(record["taxTotal"])), lines, kind))
        return found

    # --- reconciliation and evidence -----------------------------------------------------
    def reconcile(self, order: OrderUnderTest) -> Reconciliation:
        driver = self.driver(order.placed.platform)
        account = next(a for a in self.scenario.accounts if a.id == order.account_id)
        direction = self.connector_direction(account.id)
        return reconcile(OrderEvidence(
            order_id=order.placed.order_id, platform=driver.display_name, direction=direction,
            currency=order.placed.currency, line_items=driver.supports_line_items,
            storefront=tuple(driver.refunds(order.placed)), netsuite=tuple(self.netsuite_side(order))))

    def connector_direction(self, account_id: int) -> str:
        direction = self.connector.account(account_id).direction
        return {Direction.TO_NETSUITE: "to_netsuite", Direction.FROM_NETSUITE: "from_netsuite"}.get(direction, "off")

    def evidence(self) -> dict[str, Any]:
        """What this scenario proves for the certification matrix."""
        cells = []
        for account in self.scenario.accounts:
            direction = self.connector_direction(account.id)
            if direction != "off":
                cells.append({"storefront": account.driver.display_name, "direction": direction,
                              "line_items": account.driver.supports_line_items})
        orders = []
        for order in self.scenario.orders:
            if order.billed is None:
                continue
            result = self.reconcile(order)
            if result.direction == "off" or (not result.storefront_total and not result.netsuite_total):
                continue
            orders.append({"order_id": result.order_id, "platform": result.platform,
                           "direction": result.direction, "currency": result.currency,
                           "storefront_total": str(result.storefront_total),
                           "netsuite_total": str(result.netsuite_total),
                           "matches": result.matches, "description": result.describe()})
        unique_cells = [dict(t) for t in {tuple(sorted(c.items())) for c in cells}]
        return {"cells": unique_cells, "orders": orders, "expect_mismatch": self.scenario.expect_mismatch,
                "seed": self.seed}
