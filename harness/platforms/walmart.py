"""Walmart Marketplace: Orders API and Refund Order Lines. A marketplace, so the connector's
documentation recommends refunds to NetSuite; the refund API also lets the connector push refunds.
Refunds name order lines (PRODUCT and SHIPPING charges with their tax), and only lines that have
shipped can be refunded. No refund webhooks.

Its driver is a ``ShippedLinesOnlyDriver`` (harness/storefronts.py): orders are placed shipped, as
every other scenario needs; ``leave_unshipped(numbers)`` makes the next order leave those lines
unshipped, ``ship(order, number)`` ships a line later, and Seller Center's refusal of a refund is
``StorefrontRefused``."""
from __future__ import annotations

import base64
from decimal import Decimal

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund, line_key
from harness.storefronts import PlacedLine, PlacedOrder, StorefrontRefundRequest, StorefrontRefused
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec
from simulators.walmart import HOST, Seller, WalmartError, WalmartSimulator


class WalmartDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: WalmartSimulator, http: httpx.Client, seller: Seller | None = None) -> None:
        super().__init__(entry)
        # sellers share Walmart's one host; each has its own client credentials
        self.simulator = simulator
        self._http = http
        self._seller = seller or simulator.seller
        self._unshipped: tuple[int, ...] = ()

    def account_store(self) -> str:
        return self._seller.id

    def account_credentials(self) -> dict[str, str]:
        return {"client_id": self._seller.client_id, "client_secret": self._seller.client_secret}

    # --- ShippedLinesOnlyDriver -------------------------------------------------------------
    def leave_unshipped(self, numbers: tuple[int, ...]) -> None:
        """The next order placed leaves these lines (1-based) unshipped; the others ship."""
        self._unshipped = tuple(numbers)

    def ship(self, order: PlacedOrder, number: int) -> None:
        self.simulator.ship_lines(order.order_id, [str(number)])

    # --- orders and refunds ------------------------------------------------------------------
    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order = self.simulator.add_order(spec, self._seller, shipped=False)
        shipped = [str(n) for n in range(1, len(spec.lines) + 1) if n not in self._unshipped]
        self._unshipped = ()
        if shipped:
            order = self.simulator.ship_lines(order["purchaseOrderId"], shipped)
        lines = order["orderLines"]["orderLine"]
        cur = spec.currency
        total = sum((Decimal(str(c["chargeAmount"]["amount"])) + Decimal(str(c["tax"]["taxAmount"]["amount"]))
                     for line in lines for c in line["charges"]["charge"]), Decimal(0))
        shipping = sum((Decimal(str(c["chargeAmount"]["amount"])) for line in lines for c in line["charges"]["charge"]
                        if c["chargeType"] == "SHIPPING"), Decimal(0))
        placed = tuple(PlacedLine(line["lineNumber"], line["item"]["sku"], int(line["orderLineQuantity"]["amount"]))
                       for line in lines)
        return PlacedOrder(self.platform, order["purchaseOrderId"], cur, money.amount(total, cur), placed,
                           money.amount(shipping, cur))

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        before = {r.id for r in self.refunds(order)}
        if request.whole_order:
            units = {l.line_id: l.quantity for l in order.lines}
            # what is left of each line: Seller Center offers the remaining units
            current = self.simulator.order(order.order_id)["orderLines"]["orderLine"]
            for line in current:
                done = sum(int((r.get("refundQuantity") or {}).get("amount") or 0)
                           for r in ((line.get("refund") or {}).get("refunds") or []))
                units[line["lineNumber"]] -= done
            units = {n: q for n, q in units.items() if q > 0}
        else:
            units = {order.lines[n - 1].line_id: q for n, q in request.lines}
        try:
            self.simulator.refund_in_seller_center(order.order_id, units=units,
                                                   shipping=request.shipping or request.whole_order, amount=request.amount)
        except WalmartError as refusal:   # Seller Center answers the merchant with the API's own error
            raise StorefrontRefused(str(refusal)) from refusal
        made = [r.id for r in self.refunds(order) if r.id not in before]
        return made[0]

    def _token(self) -> str:
        basic = base64.b64encode(f"{self._seller.client_id}:{self._seller.client_secret}".encode()).decode()
        response = self._http.post(f"https://{HOST}/v3/token", content=b"grant_type=client_credentials", headers={
            "Authorization": f"Basic {basic}", "WM_SVC.NAME": "refund-harness", "WM_QOS.CORRELATION_ID": "harness",
            "Content-Type": "application/x-www-form-urlencoded", OBSERVER_HEADER: "1"})
        response.raise_for_status()
        return jsonio.loads(response.content)["access_token"]

    def _headers(self) -> dict[str, str]:
        return {"WM_SEC.ACCESS_TOKEN": self._token(), "WM_SVC.NAME": "refund-harness",
                "WM_QOS.CORRELATION_ID": "harness"}

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        """The order's refunds read over the API (observer header: faults never hit the harness)."""
        response = self._http.get(f"https://{HOST}/v3/orders/{order.order_id}",
                                  headers={**self._headers(), OBSERVER_HEADER: "1"})
        response.raise_for_status()
        raw = jsonio.loads(response.content)["order"]
        cur = order.currency
        number_of = {l.line_id: n for n, l in enumerate(order.lines, start=1)}
        found: dict[str, dict] = {}
        for line in raw["orderLines"]["orderLine"]:
            key = line_key(line["item"]["sku"], number_of.get(line["lineNumber"]))
            for refund in (line.get("refund") or {}).get("refunds") or []:
                entry = found.setdefault(refund["refundId"], {"total": Decimal(0), "tax": Decimal(0), "lines": [],
                                                              "values": [], "shipping": Decimal(0)})
                units = int((refund.get("refundQuantity") or {}).get("amount") or 0)
                for rc in refund["refundCharges"]["refundCharge"]:
                    charge = rc["charge"]
                    amount = -Decimal(str(charge["chargeAmount"]["amount"]))
                    tax = -Decimal(str(charge["tax"]["taxAmount"]["amount"]))
                    entry["total"] += amount + tax
                    entry["tax"] += tax
                    if charge["chargeType"] == "SHIPPING":
                        entry["shipping"] += amount
                    elif units:
                        entry["lines"].append((key, units))
                        entry["values"].append((key, amount, tax))
        return [SideRefund(refund_id, money.amount(e["total"], cur), cur, money.amount(e["tax"], cur),
                           tuple(e["lines"]), "walmart refund", tuple(e["values"]), money.amount(e["shipping"], cur))
                for refund_id, e in found.items()]

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", f"https://{HOST}/v3/orders/{order.order_id}", headers=self._headers())

    def lift_rate_limits(self) -> None:
        """Walmart's simulator does not throttle (faults inject its 429)."""

    def deliver_webhooks(self) -> int:
        return 0

    def redeliver_webhooks(self) -> int:
        return 0


class WalmartInWorld:
    """One Walmart host for every seller: the first store is the simulator's own seller, each further
    store another seller told apart by its client credentials."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._simulator: WalmartSimulator | None = None
        self._stores: dict[int, WalmartDriver] = {}

    def store(self, number: int) -> WalmartDriver:
        if self._simulator is None:
            self._simulator = WalmartSimulator(clock=self._context.clock, seed=self._context.seed)
            self._context.serve(self._simulator)
        if number not in self._stores:
            seller = None if number == 1 else self._simulator.add_seller(f"Seller {number}")
            self._stores[number] = WalmartDriver(PLATFORM, self._simulator, self._context.http, seller=seller)
        return self._stores[number]

    def simulators(self) -> list[WalmartSimulator]:
        return [self._simulator] if self._simulator else []


PLATFORM = Platform(
    name="walmart", display_name="Walmart",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="to_netsuite",
        line_items=True, shipping_refunds=True, amount_refunds=False, async_settlement=False,
        refund_webhooks=False, read_only_refunds=False, settlement_visibility=False,
        shipped_lines_only=True,
        # Walmart collects the payment and releases an order to the seller only once it is paid
        unpaid_orders=False,
        unit_allocation="cumulative", order_line_money="net_per_line"),
    hosts=(HOST,),
    credentials=("client_id", "client_secret"),
    card_gateway="walmart",
    # Walmart's US marketplace sells in USD; the simulator prices any currency, and JPY (no minor unit)
    # is kept so the zero-decimal QA case also runs through this adapter (see the wire contract)
    currencies=("USD",),   # the US marketplace sells in dollars only
    connector_adapter="connector.storefronts.walmart",
    start=WalmartInWorld,
    driver=WalmartDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("get_order",)),          # an order carries its refunds
        "refund listing": FaultTarget(operation=("get_all_orders",)),   # orders modified since, refunds embedded
        "create refund": FaultTarget(operation=("refund_order_lines",)),
        "read refund": FaultTarget(operation=("get_order",)),
        "read order": FaultTarget(operation=("get_order",)),
        "list orders": FaultTarget(operation=("get_all_orders",)),
    },
)
