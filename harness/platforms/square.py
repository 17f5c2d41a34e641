"""Square: Orders, Payments and Refunds APIs. A point of sale, so the connector's documentation
recommends refunds to NetSuite. Square cannot refund by line: every refund is an amount against a
payment, which starts PENDING and completes (or fails) later. No refund webhooks are modelled."""
from __future__ import annotations

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund
from harness.storefronts import LineRefundsUnsupported, PlacedLine, PlacedOrder, StorefrontRefundRequest
from simulators.core.faults import FaultTarget
from simulators.core.faults import OBSERVER_HEADER
from simulators.core.orders import OrderSpec
from simulators.square import SquareSimulator
from simulators.square.models import CASH_GATEWAY


class SquareDriver(PlatformDriver):
    cash_gateway = CASH_GATEWAY   # a CASH tender (Orders API), a payment of source_type CASH (Payments API)

    def __init__(self, entry: Platform, simulator: SquareSimulator, http: httpx.Client, merchant=None) -> None:
        super().__init__(entry)
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
                           lines, money.amount(spec.shipping, cur), payment_id=payment["id"],
                           shipping_method=next((c["name"] for c in order.get("service_charges", [])), None))

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        if request.amount is None:
            raise LineRefundsUnsupported("Square cannot refund by line; refund an amount instead")
        refund = self.simulator.refund_in_dashboard(order.payment_id, request.amount, "Customer return")
        return refund["id"]

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        # the order's tenders name its payments (several for a split tender); each payment (read over
        # the API) lists its refunds; each is read without counting as a poll, so looking does not
        # move a PENDING refund along
        headers = {"Authorization": f"Bearer {self._merchant.access_token}", OBSERVER_HEADER: "1"}
        response = self._http.get(f"https://{self.simulator.hosts[0]}/v2/orders/{order.order_id}", headers=headers)
        response.raise_for_status()
        refund_ids = []
        for tender in jsonio.loads(response.content)["order"].get("tenders", []):
            paid = self._http.get(f"https://{self.simulator.hosts[0]}/v2/payments/{tender['payment_id']}",
                                  headers=headers)
            paid.raise_for_status()
            refund_ids += jsonio.loads(paid.content)["payment"].get("refund_ids", [])
        found = []
        for refund_id in refund_ids:
            refund = self.simulator.refund(refund_id)
            if refund["status"] == "FAILED":
                continue
            cur = refund["amount_money"]["currency"]
            found.append(SideRefund(refund["id"], money.from_minor(int(refund["amount_money"]["amount"]), cur),
                                    cur, None, (), "square refund"))
        return found

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return httpx.Request("GET", f"https://{self.simulator.hosts[0]}/v2/orders/{order.order_id}",
                             headers={"Authorization": f"Bearer {self._merchant.access_token}"})

    def lift_rate_limits(self) -> None:
        """Square's simulator does not throttle."""

    def hold_refunds_pending(self) -> None:
        self.simulator.settings.polls_to_complete = None   # reading a refund never completes it

    def fail_refund(self, refund_id: str) -> None:
        self.simulator.fail_refund(refund_id)

    def deliver_webhooks(self) -> int:
        return 0

    def redeliver_webhooks(self) -> int:
        return 0


class SquareInWorld:
    """One Square host for every seller: the first store is the simulator's own merchant, each
    further store another seller told apart by its access token."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._simulator: SquareSimulator | None = None
        self._stores: dict[int, SquareDriver] = {}

    def store(self, number: int) -> SquareDriver:
        if self._simulator is None:
            self._simulator = SquareSimulator(clock=self._context.clock, seed=self._context.seed)
            self._context.serve(self._simulator)
        if number not in self._stores:
            merchant = None if number == 1 else self._simulator.add_merchant(f"Seller {number}")
            self._stores[number] = SquareDriver(PLATFORM, self._simulator, self._context.http, merchant=merchant)
        return self._stores[number]

    def simulators(self) -> list[SquareSimulator]:
        return [self._simulator] if self._simulator else []


PLATFORM = Platform(
    name="square", display_name="Square",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="to_netsuite",
        line_items=False, shipping_refunds=False, amount_refunds=True, async_settlement=True,
        refund_webhooks=False, read_only_refunds=False, settlement_visibility=False,
        # an order names its customer by id only (the Customers API holds the rest); an order may be
        # paid with several payments (tenders), each refunded on its own
        idempotent_refunds=True, buyer_details=(), split_tender=True, cash_payments=True),
    hosts=("connect.squareup.com",),
    credentials=("access_token",),
    card_gateway="square",
    currencies=("USD", "EUR", "GBP", "CAD", "JPY"),
    connector_adapter="connector.storefronts.square",
    start=SquareInWorld,
    driver=SquareDriver,
    fault_targets={
        "list refunds": FaultTarget(operation=("list_payment_refunds",)),
        "refund listing": FaultTarget(operation=("list_payment_refunds",)),   # what a connector pages through
        # where a connector looks for a refund it may have made: a payment's refund_ids
        "refund search": FaultTarget(operation=("get_payment",)),
        "create refund": FaultTarget(operation=("refund_payment",)),
        "read refund": FaultTarget(operation=("get_payment_refund",)),
        "read order": FaultTarget(operation=("retrieve_order",)),
        "list orders": FaultTarget(operation=("search_orders",)),
    },
)
