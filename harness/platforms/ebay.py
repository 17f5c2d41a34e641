"""eBay: the Sell Fulfillment API. A marketplace, so the connector's documentation recommends refunds
to NetSuite (buyers ask for refunds there). eBay refunds amounts, never quantities, so its refunds
are general (amount-only) ones; they start PENDING and complete (or fail) later. A seller refund is
visible to the connector only when the buyer asked for it first. No refund notifications are modelled."""
from __future__ import annotations

from decimal import Decimal

import httpx

from common import jsonio, money
from harness.platforms import Capabilities, Platform, PlatformDriver, SimulatorContext
from harness.reconcile import SideRefund
from harness.storefronts import LineRefundsUnsupported, PlacedLine, PlacedOrder, StorefrontRefundRequest
from simulators.core.faults import OBSERVER_HEADER, FaultTarget
from simulators.core.orders import OrderSpec
from simulators.ebay import EbaySimulator, Seller

BASE = "/sell/fulfillment/v1"


class EbayDriver(PlatformDriver):
    def __init__(self, entry: Platform, simulator: EbaySimulator, http: httpx.Client, seller: Seller | None = None) -> None:
        super().__init__(entry)
        self.simulator = simulator
        self._http = http
        self._seller = seller or simulator.seller

    def account_store(self) -> str:
        return self._seller.username

    def account_credentials(self) -> dict[str, str]:
        return {"access_token": self._seller.access_token}

    def place_order(self, spec: OrderSpec) -> PlacedOrder:
        order = self.simulator.add_order(spec, self._seller)
        cur = order["pricingSummary"]["total"]["currency"]
        lines = tuple(PlacedLine(li["lineItemId"], li["sku"], int(li["quantity"])) for li in order["lineItems"])
        return PlacedOrder(self.platform, order["orderId"], cur, money.amount(order["pricingSummary"]["total"]["value"], cur),
                           lines, money.amount(spec.shipping, cur), buyer_username=order["buyer"]["username"])

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        """The buyer asks for a refund, then the seller refunds the amount in Seller Hub: a refund
        the Fulfillment API lists (the way refunds reach the connector on eBay)."""
        amount = self._amount(request)
        self.simulator.buyer_requests_refund(order.order_id)
        return self.simulator.refund_in_seller_hub(order.order_id, amount, "BUYER_RETURN")["refundId"]

    def refund_returned_lines(self, order: PlacedOrder, amounts: dict[int, Decimal]) -> str:
        """The buyer returns items of some lines, then the seller refunds an amount for each of those
        lines (line number, 1-based -> amount) in one Seller Hub refund: a refund eBay lists per line
        item (``lineItems[].refunds``), not with the order's refund ids."""
        self.simulator.buyer_requests_refund(order.order_id)
        by_line = {order.lines[number - 1].line_id: amount for number, amount in amounts.items()}
        return self.simulator.refund_in_seller_hub(order.order_id, None, "BUYER_RETURN", lines=by_line)["refundId"]

    def refund_without_request(self, order: PlacedOrder, amount: Decimal) -> str:
        """The seller refunds in Seller Hub though the buyer asked for nothing: an external
        transaction, which the Fulfillment API never lists. Returns its id."""
        return self.simulator.refund_in_seller_hub(order.order_id, amount, "OTHER_ADJUSTMENT")["externalTransactionId"]

    def unlisted_refunds(self, order: PlacedOrder) -> list[Decimal]:
        """What went back to the buyer outside the refunds the API lists (control plane)."""
        return [money.amount(t["amount"]["value"], t["amount"]["currency"])
                for t in self.simulator.external_transactions(order.order_id)]

    @staticmethod
    def _amount(request: StorefrontRefundRequest) -> Decimal:
        if request.amount is None:
            raise LineRefundsUnsupported("eBay refunds amounts, not quantities; refund an amount instead")
        return request.amount

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        # read over the API with the observer header: looking does not move a PENDING refund along
        response = self._http.send(self._get_order(order, observer=True))
        response.raise_for_status()
        raw = jsonio.loads(response.content)
        found = []
        # an order-level refund carries its id in paymentSummary.refunds; a line-level one is listed there
        # without it, and by its id under each line it refunds (its parts summed here; the lines do not say
        # whether it failed, so no scenario fails a line-level refund)
        for entry in raw["paymentSummary"]["refunds"]:
            if entry["refundStatus"] == "FAILED" or not entry.get("refundId"):
                continue
            cur = entry["amount"]["currency"]
            found.append(SideRefund(entry["refundId"], money.amount(entry["amount"]["value"], cur), cur, None, (),
                                    "ebay refund"))
        by_id: dict[str, tuple[Decimal, str]] = {}
        for item in raw["lineItems"]:
            for part in item.get("refunds", []):
                cur = part["amount"]["currency"]
                total = by_id.get(part["refundId"], (money.ZERO, cur))[0]
                by_id[part["refundId"]] = (total + money.amount(part["amount"]["value"], cur), cur)
        found += [SideRefund(refund_id, total, cur, None, (), "ebay refund") for refund_id, (total, cur) in by_id.items()]
        return found

    def _get_order(self, order: PlacedOrder, *, observer: bool) -> httpx.Request:
        headers = {"Authorization": f"Bearer {self._seller.access_token}"}
        if observer:
            headers[OBSERVER_HEADER] = "1"
        return httpx.Request("GET", f"https://{self.simulator.hosts[0]}{BASE}/order/{order.order_id}", headers=headers)

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        return self._get_order(order, observer=False)

    def lift_rate_limits(self) -> None:
        """eBay's simulator does not throttle."""

    def hold_refunds_pending(self) -> None:
        self.simulator.settings.reads_to_complete = None   # reading an order never completes its refunds

    def fail_refund(self, refund_id: str) -> None:
        self.simulator.fail_refund(refund_id)

    def deliver_webhooks(self) -> int:
        return 0

    def redeliver_webhooks(self) -> int:
        return 0


class EbayInWorld:
    """One api.ebay.com for every seller: the first store is the simulator's own seller, each further
    store another seller told apart by its access token."""

    def __init__(self, context: SimulatorContext) -> None:
        self._context = context
        self._simulator: EbaySimulator | None = None
        self._stores: dict[int, EbayDriver] = {}

    def store(self, number: int) -> EbayDriver:
        if self._simulator is None:
            self._simulator = EbaySimulator(clock=self._context.clock, seed=self._context.seed)
            self._context.serve(self._simulator)
        if number not in self._stores:
            seller = None if number == 1 else self._simulator.add_seller(f"seller_{number}")
            self._stores[number] = EbayDriver(PLATFORM, self._simulator, self._context.http, seller=seller)
        return self._stores[number]

    def simulators(self) -> list[EbaySimulator]:
        return [self._simulator] if self._simulator else []


PLATFORM = Platform(
    name="ebay", display_name="eBay",
    capabilities=Capabilities(
        directions=("to_netsuite", "from_netsuite"), best_practice_direction="to_netsuite",
        # eBay refunds name an amount (per order or per line), never a quantity: no per-line reconciliation
        line_items=False, shipping_refunds=False, amount_refunds=True, async_settlement=True,
        refund_webhooks=False, read_only_refunds=False, settlement_visibility=False,
        # the buyer is named by eBay username only (buyerRegistrationAddress is not simulated)
        buyer_requested_refunds=True, buyer_details=("username",)),
    hosts=("api.ebay.com",),
    credentials=("access_token",),
    card_gateway="ebay",
    currencies=("USD", "GBP", "EUR", "CAD"),
    connector_adapter="connector.storefronts.ebay",
    start=EbayInWorld,
    driver=EbayDriver,
    fault_targets={
        # the connector finds refunds by listing orders modified since its last run, then reads each order
        "refund listing": FaultTarget(operation=("get_orders",)),
        "list refunds": FaultTarget(operation=("get_orders",)),
        "create refund": FaultTarget(operation=("issue_refund",)),
        "read refund": FaultTarget(operation=("get_order",)),
        "read order": FaultTarget(operation=("get_order",)),
        "list orders": FaultTarget(operation=("get_orders",)),
    },
)
