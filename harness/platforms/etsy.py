"""Etsy: Open API v3 shop receipts. A marketplace: the seller refunds an amount in the Shop Manager
and the API only shows it on the receipt (no lines, no id). So refunds sync to NetSuite only, as
amounts; and since a refund leaves the receipt's updated_timestamp unchanged, a connector must not
look for refunds only on receipts modified since its last run."""
from __future__ import annotations

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund
from harness.storefronts import LineRefundsUnsupported, PlacedLine, PlacedOrder, StorefrontRefundRequest
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec
from simulators.etsy import EtsySimulator, Shop
from simulators.etsy.responses import HOST


class EtsyDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: EtsySimulator, http: httpx.Client, shop: Shop | None = None) -> None:
        super().__init__(entry)
        self.simulator = simulator
        self._http = http
        self._shop = shop or simulator.shop

    def account_store(self) -> str:
        return str(self._shop.shop_id)

    def account_credentials(self) -> dict[str, str]:
        return {"api_key": self._shop.api_key, "access_token": self._shop.access_token}

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._shop.api_key, "Authorization": f"Bearer {self._shop.access_token}"}

    def _url(self, order: PlacedOrder) -> str:
        return f"https://{HOST}/v3/application/shops/{self._shop.shop_id}/receipts/{order.order_id}"

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        receipt = self.simulator.add_order(spec, self._shop)
        cur = receipt["grandtotal"]["currency_code"]
        lines = tuple(PlacedLine(str(t["transaction_id"]), t["sku"], t["quantity"]) for t in receipt["transactions"])
        return PlacedOrder(self.platform, str(receipt["receipt_id"]), cur,
                           money.from_minor(receipt["grandtotal"]["amount"], cur), lines, money.amount(spec.shipping, cur))

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.amount is None:
            raise LineRefundsUnsupported("Etsy refunds only an amount of an order; refund an amount instead")
        receipt = self.simulator.refund_in_shop_manager(int(order.order_id), request.amount, "Other")
        refund = receipt["refunds"][-1]
        same_second = sum(1 for r in receipt["refunds"] if r["created_timestamp"] == refund["created_timestamp"])
        return f"{order.order_id}-{refund['created_timestamp']}-{same_second}"

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        response = self._http.get(self._url(order), headers={**self._headers(), OBSERVER_HEADER: "1"})
        response.raise_for_status()
        receipt = jsonio.loads(response.content)
        found, seen = [], {}
        for refund in receipt["refunds"]:
            seen[refund["created_timestamp"]] = seen.get(refund["created_timestamp"], 0) + 1
            amount = refund["amount"]
            total = money.from_minor(amount["amount"], amount["currency_code"])
            found.append(SideRefund(f"{order.order_id}-{refund['created_timestamp']}-{seen[refund['created_timestamp']]}",
                                    total, amount["currency_code"], None, (), "etsy refund"))
        return found

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", self._url(order), headers=self._headers())

    def lift_rate_limits(self) -> None:
        self.simulator.settings.rate_limits = False

    def deliver_webhooks(self) -> int:
        return 0

    def redeliver_webhooks(self) -> int:
        return 0


class EtsyInWorld:
    """One Open API host for every shop: the first store is the simulator's own shop, each further
    store another seller's shop (its own id and token, the same app keystring)."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._simulator: EtsySimulator | None = None
        self._stores: dict[int, EtsyDriver] = {}

    def store(self, number: int) -> EtsyDriver:
        if self._simulator is None:
            self._simulator = EtsySimulator(clock=self._context.clock, seed=self._context.seed)
            self._context.serve(self._simulator)
        if number not in self._stores:
            shop = None if number == 1 else self._simulator.add_shop(f"Shop{number}")
            self._stores[number] = EtsyDriver(PLATFORM, self._simulator, self._context.http, shop)
        return self._stores[number]

    def simulators(self) -> list[EtsySimulator]:
        return [self._simulator] if self._simulator else []


PLATFORM = Platform(
    name="etsy", display_name="Etsy",
    capabilities=Capabilities(
        directions=("to_netsuite",), best_practice_direction="to_netsuite",
        line_items=False, shipping_refunds=False, amount_refunds=True, async_settlement=False,
        refund_webhooks=False, read_only_refunds=True, settlement_visibility=False,
        order_line_money="order_totals"),
    hosts=(HOST,),
    credentials=("api_key", "access_token"),
    card_gateway="etsy_payments",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.etsy",
    start=EtsyInWorld,
    driver=EtsyDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("getShopReceipt",)),     # a receipt carries its refunds
        "refund listing": FaultTarget(operation=("getShopReceipts",)),  # what a connector pages through
        "read refund": FaultTarget(operation=("getShopReceipt",)),
        "read order": FaultTarget(operation=("getShopReceipt",)),
        "list orders": FaultTarget(operation=("getShopReceipts",)),
        # no "create refund": the API has no such call (the scenarios naming it are @from_netsuite)
    },
)
