"""Walmart simulator fidelity (auth headers, refund rules) and the connector's Walmart adapter
against it: negative amounts on the wire, positive Decimals in the connector, shipped lines only."""
from __future__ import annotations

import base64
from decimal import Decimal

import httpx
import pytest

from common import jsonio
from connector.errors import RemoteError
from connector.storefronts.base import RefundPush
from connector.storefronts.walmart import WalmartAdapter
from simulators.walmart import HOST, WalmartSimulator
from tests.unit.storefront_helpers import usd_order

BASE = f"https://{HOST}/v3"


def _client(sim: WalmartSimulator) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(sim.handle))


def _token(sim: WalmartSimulator, http: httpx.Client) -> str:
    basic = base64.b64encode(f"{sim.seller.client_id}:{sim.seller.client_secret}".encode()).decode()
    response = http.post(f"{BASE}/token", content=b"grant_type=client_credentials", headers={
        "Authorization": f"Basic {basic}", "WM_SVC.NAME": "t", "WM_QOS.CORRELATION_ID": "1"})
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 900
    return response.json()["access_token"]


def _refund_body(line: str, amount: str, tax: str = "0", charge_type: str = "PRODUCT", reason: str = "BillingError") -> bytes:
    return jsonio.dumps({"orderRefund": {"orderLines": {"orderLine": [{"lineNumber": line, "isFullRefund": False,
        "refunds": {"refund": [{"refundComments": "c", "refundCharges": {"refundCharge": [{"refundReason": reason,
            "charge": {"chargeType": charge_type, "chargeName": "ItemPrice",
                       "chargeAmount": {"currency": "USD", "amount": Decimal(amount)},
                       "tax": {"taxName": "Tax1", "taxAmount": {"currency": "USD", "amount": Decimal(tax)}}}}]}}]}}]}}}).encode()


def _post_refund(sim, http, po, body) -> httpx.Response:
    return http.post(f"{BASE}/orders/{po}/refund", content=body, headers={
        "WM_SEC.ACCESS_TOKEN": _token(sim, http), "WM_SVC.NAME": "t", "WM_QOS.CORRELATION_ID": "2",
        "Content-Type": "application/json"})


def test_every_call_needs_the_service_name_and_correlation_id_and_a_token() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order())["purchaseOrderId"]
    with _client(sim) as http:
        missing = http.get(f"{BASE}/orders/{po}", headers={"WM_SEC.ACCESS_TOKEN": _token(sim, http), "WM_SVC.NAME": "t"})
        assert missing.status_code == 400
        assert missing.json()["errors"][0]["code"] == "MISSING_REQUEST_HEADER"
        bad = http.get(f"{BASE}/orders/{po}", headers={"WM_SEC.ACCESS_TOKEN": "nope", "WM_SVC.NAME": "t",
                                                       "WM_QOS.CORRELATION_ID": "1"})
        assert bad.status_code == 401 and bad.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_an_unshipped_line_is_refused_and_nothing_changes() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order(), shipped=False)["purchaseOrderId"]
    with _client(sim) as http:
        refused = _post_refund(sim, http, po, _refund_body("1", "-1.00"))
        assert refused.status_code == 400
        assert "Shipped" in refused.json()["errors"][0]["message"]
        assert sim.order(po)["orderLines"]["orderLine"][0]["refund"] is None
        sim.ship_lines(po, ["1"])
        assert _post_refund(sim, http, po, _refund_body("1", "-1.00")).status_code == 200


@pytest.mark.parametrize("amount, tax, reason, said", [
    ("1.00", "0", "BillingError", "negative"),
    ("-1.00", "0.10", "BillingError", "negative"),
    ("-100000.00", "0", "BillingError", "left of"),
    ("-1.00", "0", "Because", "refundReason"),
])
def test_refund_amounts_are_negative_within_the_charge_with_a_known_reason(amount, tax, reason, said) -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order())["purchaseOrderId"]
    with _client(sim) as http:
        refused = _post_refund(sim, http, po, _refund_body("1", amount, tax, reason=reason))
    assert refused.status_code == 400 and said in refused.json()["errors"][0]["message"], refused.text


def test_a_walmart_fulfilled_order_cannot_be_refunded_by_the_seller() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order(), wfs=True)["purchaseOrderId"]
    with _client(sim) as http:
        refused = _post_refund(sim, http, po, _refund_body("1", "-1.00"))
    assert refused.status_code == 400 and "WFS" in refused.json()["errors"][0]["message"]


def _adapter(sim: WalmartSimulator, http: httpx.Client) -> WalmartAdapter:
    return WalmartAdapter(http, seller_id=sim.seller.id, client_id=sim.seller.client_id,
                          client_secret=sim.seller.client_secret)


def test_the_adapter_sends_negative_amounts_and_reads_back_positive_decimals() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order())["purchaseOrderId"]
    with _client(sim) as http:
        adapter = _adapter(sim, http)
        order = adapter.get_order(po)
        line = order.item_lines[0]
        push = RefundPush(total=line.amount + line.tax, currency="USD", lines=((line.line_id, line.quantity),),
                          shipping=None, note="Refund from NetSuite CR1 [netsuite:CR1:9]", idempotency_key="k")
        pushed = adapter.create_refund(order, push)
        assert pushed.amount == line.amount + line.tax
        sent = [e for e in sim.journal.entries() if e.operation == "refund_order_lines"][-1]
        charge = jsonio.loads(sent.request_body)["orderRefund"]["orderLines"]["orderLine"][0]["refunds"]["refund"][0][
            "refundCharges"]["refundCharge"][0]["charge"]
        assert charge["chargeAmount"]["amount"] < 0 and charge["tax"]["taxAmount"]["amount"] <= 0
        [refund] = adapter.list_refunds(order)
        assert refund.total == pushed.amount and all(l.amount >= 0 for l in refund.lines)
        assert adapter.find_pushed_refund(order, "[netsuite:CR1:9]").id == pushed.id


def test_an_amount_only_push_lands_on_the_lines_product_charges_without_units() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order())["purchaseOrderId"]
    with _client(sim) as http:
        adapter = _adapter(sim, http)
        order = adapter.get_order(po)
        pushed = adapter.create_refund(order, RefundPush(Decimal("3.21"), "USD", (), None, "n", "k"))
        [refund] = adapter.list_refunds(order)
    assert pushed.amount == refund.total == Decimal("3.21")
    assert [l.kind.value for l in refund.lines] == ["adjustment"]


def test_a_push_for_an_unshipped_line_is_retryable_and_names_the_line() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order(), shipped=False)["purchaseOrderId"]
    with _client(sim) as http:
        adapter = _adapter(sim, http)
        order = adapter.get_order(po)
        with pytest.raises(RemoteError) as refused:
            adapter.create_refund(order, RefundPush(Decimal("19.47"), "USD", (("1", Decimal(1)),), None, "n", "k"))
    assert refused.value.retryable and "order line 1" in str(refused.value)


def test_an_expired_token_is_replaced() -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order())["purchaseOrderId"]
    with _client(sim) as http:
        adapter = _adapter(sim, http)
        adapter.get_order(po)
        sim.backend.tokens.clear()   # Walmart forgot it (expired)
        assert adapter.get_order(po).id == po


def _shipping_charge(sim: WalmartSimulator) -> dict:
    sent = [e for e in sim.journal.entries() if e.operation == "refund_order_lines"][-1]
    charges = jsonio.loads(sent.request_body)["orderRefund"]["orderLines"]["orderLine"][0]["refunds"]["refund"][0][
        "refundCharges"]["refundCharge"]
    return next(c["charge"] for c in charges if c["charge"]["chargeType"] == "SHIPPING")


@pytest.mark.parametrize("netsuite_tax, shipping_tax, product_extra", [
    ("0.00", "0.00", "0.00"),      # NetSuite taxed the shipping line at 0%: none of Walmart's 0.62 goes back
    ("0.62", "0.62", "0.00"),      # as the order was taxed
    ("0.75", "0.62", "0.13"),      # more than the charge's tax: what is left of it, the rest on the product
])
def test_shipping_goes_back_with_the_tax_netsuite_refunded_on_it(netsuite_tax, shipping_tax, product_extra) -> None:
    sim = WalmartSimulator()
    po = sim.add_order(usd_order())["purchaseOrderId"]
    with _client(sim) as http:
        adapter = _adapter(sim, http)
        order = adapter.get_order(po)
        unit = Decimal("19.47")   # 1 of line 1's 3 units: 17.99 and 1.48 of tax
        total = unit + Decimal("7.50") + Decimal(netsuite_tax)
        pushed = adapter.create_refund(order, RefundPush(
            total, "USD", (("1", Decimal(1)),), Decimal("7.50"), "n", "k", shipping_tax=Decimal(netsuite_tax)))
        charge = _shipping_charge(sim)
        [refund] = adapter.list_refunds(order)
    assert pushed.amount == total
    assert charge["chargeAmount"]["amount"] == Decimal("-7.50")
    assert charge["tax"]["taxAmount"]["amount"] == -Decimal(shipping_tax)
    [item] = [l for l in refund.lines if l.kind.value == "item"]
    assert item.amount + item.tax == unit + Decimal(product_extra)
