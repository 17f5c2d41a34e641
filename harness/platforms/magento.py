"""Magento 2 / Adobe Commerce: REST credit memos by line, with shipping and adjustments; refunded
online against the invoice for gateway-captured orders, offline against the order for orders paid
offline. A cart, so the connector's documentation recommends refunds from NetSuite. Core Magento
sends no webhooks."""
from __future__ import annotations

from decimal import Decimal

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund, line_key
from harness.storefronts import PlacedLine, PlacedOrder, StorefrontRefundRequest
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec
from simulators.magento import MagentoSimulator

DOMAIN = "acme-outfitters.magento.test"


class MagentoDriver(PlatformDriver):
    # An OfflinePaymentsDriver (harness/storefronts.py): the payment method of an order paid offline,
    # and which route a credit memo took.
    offline_gateway = "checkmo"

    def __init__(self, entry: Platform, simulator: MagentoSimulator, http: httpx.Client) -> None:
        super().__init__(entry)
        self.simulator = simulator
        self._http = http

    def account_store(self) -> str:
        return self.simulator.domain

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self.simulator.access_token}

    def _url(self, path: str) -> str:
        return f"https://{self.simulator.domain}/rest/default/V1{path}"

    def _get(self, path: str, params: dict | None = None) -> dict:
        response = self._http.get(self._url(path), params=params,
                                  headers={"Authorization": f"Bearer {self.simulator.access_token}", OBSERVER_HEADER: "1"})
        response.raise_for_status()
        return jsonio.loads(response.content)

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order = self.simulator.add_order(spec)
        cur = order["order_currency_code"]
        lines = tuple(PlacedLine(str(i["item_id"]), i["sku"], int(i["qty_ordered"])) for i in order["items"])
        return PlacedOrder(self.platform, str(order["entity_id"]), cur, money.amount(order["grand_total"], cur),
                           lines, money.amount(order["shipping_amount"], cur), number=order["increment_id"])

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        lines = [(int(order.lines[n - 1].line_id), q) for n, q in request.lines]
        memo = self.simulator.refund_in_admin(int(order.order_id), lines, shipping=request.shipping,
                                              amount=request.amount, whole_order=request.whole_order)
        return str(memo["entity_id"])

    def _memos(self, order: PlacedOrder) -> list[dict]:
        return self._get("/creditmemos", {
            "searchCriteria[filter_groups][0][filters][0][field]": "order_id",
            "searchCriteria[filter_groups][0][filters][0][value]": order.order_id})["items"]

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        key_of = {l.line_id: line_key(l.sku, number) for number, l in enumerate(order.lines, start=1)}
        cur = order.currency
        found = []
        for memo in self._memos(order):
            items = [i for i in memo["items"] if Decimal(str(i["qty"])) > 0]
            adjusted = bool(memo["adjustment_positive"] or memo["adjustment_negative"])
            values = () if adjusted else tuple(
                (key_of[str(i["order_item_id"])], money.amount(Decimal(str(i["row_total"])) - Decimal(str(i["discount_amount"])), cur),
                 money.amount(i["tax_amount"], cur)) for i in items)
            found.append(SideRefund(
                str(memo["entity_id"]), money.amount(memo["grand_total"], cur), cur, money.amount(memo["tax_amount"], cur),
                tuple((key_of[str(i["order_item_id"])], int(Decimal(str(i["qty"])))) for i in items),
                "magento credit memo", values, None if adjusted else money.amount(memo["shipping_amount"], cur)))
        return found

    def refund_route(self, order: PlacedOrder, refund_id: str) -> str:
        """"online" where the credit memo went back through the gateway (it carries a refund
        transaction), "offline" where Magento only recorded it."""
        memo = self._get(f"/creditmemo/{refund_id}")
        return "online" if memo.get("transaction_id") else "offline"

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", self._url(f"/orders/{order.order_id}"),
                             headers={"Authorization": f"Bearer {self.simulator.access_token}"})

    def lift_rate_limits(self) -> None:
        """Magento's simulator does not throttle (core Magento has no REST rate limit)."""

    def deliver_webhooks(self) -> int:
        return 0

    def redeliver_webhooks(self) -> int:
        return 0


class MagentoInWorld:
    """Every store is a Magento installation of its own, on its own host."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._stores: dict[int, MagentoDriver] = {}

    def store(self, number: int) -> MagentoDriver:
        if number not in self._stores:
            domain = DOMAIN if number == 1 else DOMAIN.replace("acme-outfitters", f"acme-outfitters-{number}")
            simulator = MagentoSimulator(domain, clock=self._context.clock, seed=self._context.seed)
            self._context.serve(simulator)
            self._stores[number] = MagentoDriver(PLATFORM, simulator, self._context.http)
        return self._stores[number]

    def simulators(self) -> list[MagentoSimulator]:
        return [driver.simulator for _, driver in sorted(self._stores.items())]


PLATFORM = Platform(
    name="magento", display_name="Magento",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="from_netsuite",
        line_items=True, shipping_refunds=True, amount_refunds=True, async_settlement=False,
        refund_webhooks=False, read_only_refunds=False, settlement_visibility=False, offline_payments=True,
        unit_allocation="cumulative"),
    hosts=("{shop}.magento.test",),
    credentials=("access_token",),
    card_gateway="braintree",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.magento",
    start=MagentoInWorld,
    driver=MagentoDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("list_creditmemos",)),
        "refund listing": FaultTarget(operation=("list_creditmemos",)),   # what a connector pages through
        "create refund": FaultTarget(operation=("refund_order", "refund_invoice")),
        "read refund": FaultTarget(operation=("get_creditmemo",)),
        "read order": FaultTarget(operation=("get_order",)),
        "list orders": FaultTarget(operation=("list_orders",)),
    },
)
