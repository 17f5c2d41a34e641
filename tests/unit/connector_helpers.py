"""Wiring for the connector's unit tests: a recording httpx router, the real NetSuite simulator
behind NetSuite's host, and storefront answers shaped like docs/wire-contract.md.

NetSuite is never hand-written here: ``connector_on_netsuite`` routes the account's host to
``simulators.netsuite.NetSuiteSimulator`` (sharing the connector's clock, so TBA timestamps agree),
and ``SimulatedNetSuite`` sets records up the way a NetSuite user would (control plane) and reads
what the connector sent from the simulator's journal. Storefronts answer from handwritten JSON: the
connector's storefront adapters are what these tests pin down.
"""
from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import httpx

from common import jsonio
from common.clock import ManualClock
from connector import AccountSettings, Connector, NetSuiteConfig, TbaCredentials
from simulators.core.journal import JournalEntry
from simulators.netsuite import NetSuiteSimulator
from simulators.netsuite.models import error_document
from tests.unit.shopify_rest_bridge import RestBridge

NS_ACCOUNT = "1234567_SB1"
NS_HOST = "1234567-sb1.suitetalk.api.netsuite.com"
NS_BASE = f"https://{NS_HOST}/services/rest"
CREDENTIALS = TbaCredentials("consumer-key", "consumer-secret", "token-id", "token-secret")
SHOP = "acme-outfitters"
SHOPIFY_BASE = f"https://{SHOP}.myshopify.com/admin/api/2024-10"
SQUARE_BASE = "https://connect.squareup.com/v2"
USD = "1"   # the simulator's seeded currency id for USD

Handler = Callable[[httpx.Request, re.Match], httpx.Response]


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = b"" if body is None else jsonio.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"Content-Type": "application/json", **(headers or {})})


def body_of(request: httpx.Request) -> Any:
    return jsonio.loads(request.content) if request.content else None


class Routes:
    """A MockTransport handler: first route whose method and regex (on the full URL) match answers."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[httpx.Request] = []
        self._shopify_bridge: RestBridge | None = None

    def add(self, method: str, pattern: str, answer: Handler | httpx.Response | Any) -> None:
        if isinstance(answer, httpx.Response):
            response = answer
            answer = lambda request, match: response  # noqa: E731
        elif not callable(answer):
            payload = answer
            answer = lambda request, match: json_response(200, payload)  # noqa: E731
        self.routes.insert(0, (method, re.compile(pattern), answer))   # newest route wins

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        """The routed answer, without recording the request (the GraphQL bridge's REST look-ups)."""
        request.read()
        for method, pattern, answer in self.routes:
            match = pattern.search(str(request.url))
            if method == request.method and match:
                return answer(request, match)
        if request.method == "POST" and request.url.path.endswith("/graphql.json") \
                and request.url.host.endswith(".myshopify.com"):
            # Shopify GraphQL with no GraphQL route: answered from the REST answers the test routed
            if self._shopify_bridge is None:
                self._shopify_bridge = RestBridge(self.answer)
            return self._shopify_bridge(request)
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def calls(self, host: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" + (f"?{r.url.query.decode()}" if r.url.query else "")
                for r in self.requests if host is None or r.url.host == host]


# --- NetSuite: the real simulator --------------------------------------------------------------

@dataclass(frozen=True)
class NetSuiteCatalog:
    """What an administrator set up in the account before the connector ran (ids the simulator gave)."""

    customer: str
    tee: str            # inventory item TEE-1
    mug: str | None     # inventory item MUG-2 (None: the account has no such item)
    generic: str        # Other Charge "Refund Adjustment": generic refund lines
    shipping: str       # Other Charge "Shipping"
    visa: str           # payment method
    amex: str           # another payment method


def seed_catalog(sim: NetSuiteSimulator, *, with_mug: bool = True) -> NetSuiteCatalog:
    return NetSuiteCatalog(
        customer=sim.enter("customer", {"externalId": "netsuite-customer-1", "firstName": "Ada",
                                        "lastName": "Lovelace", "email": "ada@example.com"}),
        tee=sim.add_inventory_item("TEE-1", "Tee", 20),
        mug=sim.add_inventory_item("MUG-2", "Mug", 12.5) if with_mug else None,
        generic=sim.add_other_charge_item("Refund Adjustment"),
        shipping=sim.add_other_charge_item("Shipping"),
        visa=sim.add_payment_method("Shop VISA"),
        amex=sim.add_payment_method("Shop AMEX"))


class SimulatedNetSuite:
    """The NetSuite account of a connector test: the simulator, what is in it, and what was sent."""

    def __init__(self, sim: NetSuiteSimulator, catalog: NetSuiteCatalog) -> None:
        self.sim = sim
        self.catalog = catalog
        self.settings = AccountSettings(generic_refund_item_id=catalog.generic, shipping_item_id=catalog.shipping,
                                        payment_method_id=catalog.visa)

    # --- a NetSuite user's hands (control plane) ---------------------------------------------
    def sales_order(self, external_id: str, lines: list[dict], *, paid: bool = True) -> dict:
        """A sales order as order sync leaves it: storefront taxes kept (taxDetailsOverride)."""
        body = {"externalId": external_id, "entity": {"id": self.catalog.customer}, "currency": {"id": USD},
                "taxDetailsOverride": True, "item": {"items": lines}}
        if paid:
            body["paymentMethod"] = {"id": self.catalog.visa}
        return self.record("salesOrder", self.sim.enter("salesOrder", body))

    def bill(self, sales_order: dict) -> dict:
        """The Bill button: a cash sale for a paid order, else an invoice."""
        return self.record(*self.sim.bill(sales_order["id"]))

    def refund(self, billed: dict, lines: dict[int, int] | None = None, extra_lines: Sequence[dict] = (),
               external_id: str | None = None) -> dict:
        """The Refund button: ``lines`` billed line -> quantity (None: all that remains), plus generic lines."""
        return self.record(*self.sim.refund(billed["recordType"], billed["id"], lines, extra_lines, external_id))

    def standalone_credit_memo(self, amount: Any) -> dict:
        """A credit memo typed in by hand, made from no sale."""
        return self.record("creditMemo", self.sim.enter("creditMemo", {
            "entity": {"id": self.catalog.customer},
            "item": {"items": [{"item": {"id": self.catalog.generic}, "amount": amount}]}}))

    # --- reading the account -----------------------------------------------------------------
    def record(self, record_type: str, record_id: str) -> dict:
        return {**self.sim.record(record_type, record_id), "recordType": record_type}

    def by_eid(self, record_type: str, external_id: str) -> dict:
        return self.record(record_type, f"eid:{external_id}")

    def records(self, record_type: str) -> list[dict]:
        return self.sim.records(record_type)

    # --- what the connector sent (the simulator's journal) -----------------------------------
    def calls(self) -> list[str]:
        return [f"{e.method} {e.url.split(NS_HOST, 1)[1]}" for e in self.sim.journal.entries()]

    def transforms(self) -> list[JournalEntry]:
        return [e for e in self.sim.journal.entries() if e.operation == "transform_record"]

    def sent(self, method: str, path_suffix: str) -> list[Any]:
        """The JSON bodies of the requests whose path ends with ``path_suffix``."""
        return [jsonio.loads(e.request_body) for e in self.sim.journal.entries(method)
                if e.path.endswith(path_suffix)]

    def not_found(self, detail: str) -> httpx.Response:
        """A NONEXISTENT_ID answer rendered by the simulator, for a read that misses a record
        NetSuite has not made visible yet (the simulator itself is always consistent)."""
        return self.sim.error_response(404, error_document(404, "NONEXISTENT_ID", detail), {})


def simulated_netsuite(clock: ManualClock, *, with_mug: bool = True) -> SimulatedNetSuite:
    sim = NetSuiteSimulator(account_id=NS_ACCOUNT, clock=clock, seed=11)
    return SimulatedNetSuite(sim, seed_catalog(sim, with_mug=with_mug))


def route_to_netsuite(routes: Routes, netsuite: SimulatedNetSuite) -> None:
    """Send everything for NetSuite's host to the simulator; routes added later still take precedence."""
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        routes.add(method, rf"^https://{re.escape(netsuite.sim.host)}/", lambda request, match: netsuite.sim.handle(request))


def make_connector(tmp_path: Path | str, routes: Routes, clock: ManualClock | None = None, seed: int = 1234,
                   credentials: TbaCredentials = CREDENTIALS) -> Connector:
    path = ":memory:" if tmp_path == ":memory:" else Path(tmp_path) / "ledger.sqlite3"
    return Connector(ledger_path=path, clock=clock or ManualClock(), http=routes.client(), seed=seed,
                     netsuite=NetSuiteConfig(account_id=NS_ACCOUNT, credentials=credentials),
                     webhook_base_url="https://hooks.refund-connector.test")


def connector_credentials(sim: NetSuiteSimulator) -> TbaCredentials:
    """The token the simulated account issued, as the connector's own credentials type."""
    return TbaCredentials(**dataclasses.asdict(sim.credentials))


@contextmanager
def connector_on_netsuite(tmp_path: Path | str, answers: Sequence[tuple[str, str, Any]] = (), *,
                          with_mug: bool = True) -> Iterator[tuple[Connector, SimulatedNetSuite, Routes]]:
    """A connector whose NetSuite is the simulator, plus any storefront answers (method, pattern, body)."""
    clock = ManualClock()
    routes, netsuite = Routes(), simulated_netsuite(clock, with_mug=with_mug)
    route_to_netsuite(routes, netsuite)
    for method, pattern, answer in answers:
        routes.add(method, pattern, answer)
    connector = make_connector(tmp_path, routes, clock, credentials=connector_credentials(netsuite.sim))
    try:
        yield connector, netsuite, routes
    finally:
        connector.close()


def add_shopify_account(connector: Connector, settings: AccountSettings):
    return connector.add_account(name="Acme Shopify", platform="shopify", store="acme-outfitters",
                                 credentials={"access_token": "shpat", "client_secret": "shpss"}, settings=settings)


def shopify_order(order_id: int = 1001, *, financial_status: str = "paid") -> dict:
    """A Shopify order as GET orders/{id}.json answers: 2 x TEE-1 (one discounted), 1 x MUG-2, shipping."""
    return {
        "id": order_id, "name": "#1001", "email": "ada@example.com", "currency": "USD",
        "presentment_currency": "USD", "financial_status": financial_status,
        "created_at": "2026-01-05T09:10:00Z", "updated_at": "2026-01-05T09:10:00Z",
        "payment_gateway_names": ["shopify_payments"],
        "customer": {"id": 77, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        "line_items": [
            {"id": 11, "sku": "TEE-1", "title": "Tee", "quantity": 2, "price": "20.00", "total_discount": "5.00",
             "discount_allocations": [{"amount": "5.00"}], "tax_lines": [{"title": "Tax", "rate": 0.08, "price": "2.80"}]},
            {"id": 12, "sku": "MUG-2", "title": "Mug", "quantity": 1, "price": "12.50", "total_discount": "0.00",
             "discount_allocations": [], "tax_lines": [{"title": "Tax", "rate": 0.08, "price": "1.00"}]},
        ],
        "shipping_lines": [{"id": 31, "title": "Standard", "price": "7.00", "discounted_price": "7.00",
                            "tax_lines": [{"title": "Tax", "rate": 0.08, "price": "0.56"}]}],
        "refunds": [],
    }


def shopify_refund(refund_id: int = 901, order_id: int = 1001, *, amount: str = "25.48", note: str | None = None,
                   status: str = "success", lines: bool = True, shipping: bool = True) -> dict:
    """A Shopify refund: one TEE-1 (17.50 + 1.40 tax) and the shipping (7.00 + 0.56) = 26.46 calculated;
    ``amount`` is the money that actually went back (less than calculated: a refund discrepancy)."""
    return {
        "id": refund_id, "order_id": order_id, "created_at": "2026-01-05T10:00:00Z", "note": note,
        "refund_line_items": [{"id": 1, "line_item_id": 11, "quantity": 1, "restock_type": "no_restock",
                               "subtotal": 17.5, "total_tax": 1.4,
                               "subtotal_set": {"shop_money": {"amount": "17.50", "currency_code": "USD"}},
                               "total_tax_set": {"shop_money": {"amount": "1.40", "currency_code": "USD"}},
                               "line_item": {"id": 11, "sku": "TEE-1"}}] if lines else [],
        "refund_shipping_lines": [{"id": 2, "shipping_line_id": 31,
                                   "subtotal_amount_set": {"shop_money": {"amount": "7.00", "currency_code": "USD"}},
                                   "tax_amount_set": {"shop_money": {"amount": "0.56", "currency_code": "USD"}}}]
        if shipping else [],
        "transactions": [{"id": 5, "kind": "refund", "status": status, "amount": amount, "currency": "USD",
                          "gateway": "shopify_payments", "parent_id": 3}],
        "order_adjustments": [],
    }
