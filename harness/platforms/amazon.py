"""Amazon: Selling Partner API (Orders v0, Finances v0). A marketplace: refunds are made in Seller
Central and only read through the API (itemised refund events, shipping as its own charges), and
only once the settlement report that contains them is generated. So refunds sync to NetSuite only.

Its driver is a ``SettlementVisibilityDriver`` (harness/storefronts.py): ``hold_settlement_reports``
(refunds from now on wait for a report) and ``generate_settlement_report`` (Amazon closes the period;
returns how many refunds it released). By default every refund's report is generated at once, so
the scenarios that are not about this rule see refunds as soon as they are made."""
from __future__ import annotations

from decimal import Decimal

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund, line_key
from harness.storefronts import PlacedLine, PlacedOrder, StorefrontRefundRequest
from simulators.amazon import AmazonSimulator, Seller
from simulators.amazon.responses import HOST
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec


class AmazonDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: AmazonSimulator, http: httpx.Client, seller: Seller | None = None) -> None:
        super().__init__(entry)
        self.simulator = simulator
        self._http = http
        self._seller = seller or simulator.seller

    def account_store(self) -> str:
        return self._seller.seller_id

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self._seller.access_token}

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order = self.simulator.add_order(spec, self._seller)
        items = self.simulator.order_items(order["AmazonOrderId"])
        cur = order["OrderTotal"]["CurrencyCode"]
        lines = tuple(PlacedLine(i["OrderItemId"], i["SellerSKU"], i["QuantityOrdered"]) for i in items)
        return PlacedOrder(self.platform, order["AmazonOrderId"], cur, Decimal(order["OrderTotal"]["Amount"]),
                           lines, money.amount(spec.shipping, cur))

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.whole_order:
            units = {line.line_id: line.quantity for line in order.lines}
        else:
            units = {}
            for number, quantity in request.lines:
                line_id = order.lines[number - 1].line_id
                units[line_id] = units.get(line_id, 0) + quantity
        if not units and not request.shipping and not request.whole_order:
            raise ValueError("an Amazon refund names items or the shipping; Seller Central has no refund of a "
                             "bare amount")
        event = self.simulator.refund_in_seller_central(order.order_id, units,
                                                        shipping=request.shipping or request.whole_order,
                                                        amount=request.amount)
        return event["ShipmentItemAdjustmentList"][0]["OrderAdjustmentItemId"]

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        """The refund events the Finances API shows for the order (released ones only)."""
        response = self._http.get(f"https://{HOST}/finances/v0/orders/{order.order_id}/financialEvents",
                                  headers={"x-amz-access-token": self._seller.access_token, OBSERVER_HEADER: "1"})
        response.raise_for_status()
        key_of = {l.line_id: line_key(l.sku, number) for number, l in enumerate(order.lines, start=1)}
        found = []
        for event in jsonio.loads(response.content)["payload"]["FinancialEvents"]["RefundEventList"]:
            total = tax = shipping = Decimal(0)
            lines, values, goodwill = [], [], False
            for item in event["ShipmentItemAdjustmentList"]:
                charges: dict[str, Decimal] = {}
                for charge in item["ItemChargeAdjustmentList"]:
                    charges[charge["ChargeType"]] = charges.get(charge["ChargeType"], Decimal(0)) \
                        - Decimal(str(charge["ChargeAmount"]["CurrencyAmount"]))
                promotion = sum((Decimal(str(p["PromotionAmount"]["CurrencyAmount"]))
                                 for p in item["PromotionAdjustmentList"]), Decimal(0))
                total += sum(charges.values(), Decimal(0)) - promotion
                tax += charges.get("Tax", Decimal(0)) + charges.get("ShippingTax", Decimal(0))
                shipping += charges.get("ShippingCharge", Decimal(0))
                goodwill = goodwill or "Goodwill" in charges
                if item["QuantityShipped"]:
                    key = key_of[item["OrderItemId"]]
                    lines.append((key, item["QuantityShipped"]))
                    values.append((key, charges.get("Principal", Decimal(0)) - promotion, charges.get("Tax", Decimal(0))))
            cur = order.currency
            found.append(SideRefund(event["ShipmentItemAdjustmentList"][0]["OrderAdjustmentItemId"],
                                    money.amount(total, cur), cur, money.amount(tax, cur), tuple(lines),
                                    "amazon refund", () if goodwill else tuple(values),
                                    None if goodwill else money.amount(shipping, cur)))
        return found

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", f"https://{HOST}/orders/v0/orders/{order.order_id}",
                             headers={"x-amz-access-token": self._seller.access_token})

    def lift_rate_limits(self) -> None:
        self.simulator.settings.rate_limits = False

    # --- the settlement rule ------------------------------------------------------------------
    def hold_settlement_reports(self) -> None:
        """Refunds made from now on wait for ``generate_settlement_report`` before the API shows them."""
        self.simulator.settings.settle_at_once = False

    def generate_settlement_report(self) -> int:
        return self.simulator.generate_settlement_report(self._seller.seller_id)

    # --- what Amazon does not have -----------------------------------------------------------
    def deliver_webhooks(self) -> int:
        return 0

    def redeliver_webhooks(self) -> int:
        return 0


class AmazonInWorld:
    """One Selling Partner API host for every seller: the first store is the simulator's own seller,
    each further store another seller told apart by its access token."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._simulator: AmazonSimulator | None = None
        self._stores: dict[int, AmazonDriver] = {}

    def store(self, number: int) -> AmazonDriver:
        if self._simulator is None:
            self._simulator = AmazonSimulator(clock=self._context.clock, seed=self._context.seed)
            self._context.serve(self._simulator)
        if number not in self._stores:
            seller = None if number == 1 else self._simulator.add_seller(f"Seller {number}")
            self._stores[number] = AmazonDriver(PLATFORM, self._simulator, self._context.http, seller)
        return self._stores[number]

    def simulators(self) -> list[AmazonSimulator]:
        return [self._simulator] if self._simulator else []


PLATFORM = Platform(
    name="amazon", display_name="Amazon",
    capabilities=Capabilities(
        directions=("to_netsuite",), best_practice_direction="to_netsuite",
        line_items=True, shipping_refunds=True, amount_refunds=False, async_settlement=False,
        refund_webhooks=False, read_only_refunds=True, settlement_visibility=True,
        # the SP-API shows a seller the buyer's email only (BuyerInfo), never their name
        unit_allocation="cumulative", buyer_details=("email",)),
    hosts=(HOST,),
    credentials=("access_token",),
    card_gateway="amazon",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.amazon",
    start=AmazonInWorld,
    driver=AmazonDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("listFinancialEventsByOrderId",)),
        "refund listing": FaultTarget(operation=("listFinancialEvents",)),   # what a connector pages through
        "read refund": FaultTarget(operation=("listFinancialEventsByOrderId",)),
        "read order": FaultTarget(operation=("getOrder",)),
        "list orders": FaultTarget(operation=("getOrders",)),
        # no "create refund": the API has no such call (the scenarios naming it are @from_netsuite)
    },
)
