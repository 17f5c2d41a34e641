"""The check that no NetSuite amount of a yen order has decimals reads real records and requests."""
from __future__ import annotations

from decimal import Decimal

import pytest

from harness import factories
from harness.mutants.wire import changing_refunds, each_line
from harness.scenario import ScenarioWorld
from steps.checks import _amounts_with_decimals, no_decimal_amounts


def test_an_amount_written_with_a_fraction_is_found_wherever_it_is_nested():
    body = {"total": "3850", "item": {"items": [{"amount": "1000.00", "quantity": "1.5", "rate": 1000},
                                                {"taxAmount": "1E+2"}]}}
    assert _amounts_with_decimals("cashRefund 7", body) == ["cashRefund 7: amount 1000.00", "cashRefund 7: taxAmount 1E+2"]


@pytest.fixture
def world(tmp_path):
    w = ScenarioWorld(seed=9, workdir=tmp_path)
    yield w
    w.close()


def test_a_synced_yen_order_passes_and_its_sales_order_request_is_among_those_read(world: ScenarioWorld):
    account = world.connect("shopify")
    world.connector.activate_order_sync(account.id)
    order = world.place_order(account, exact=factories.ExactOrder(
        (factories.ExactLine("1", 3, Decimal(1000)),), currency="JPY", shipping=Decimal(500), tax_rate=Decimal("0.1")))
    world.sync(order)
    world.bill(order)
    writes = world.netsuite_view.writes_for(order)
    assert any(method == "POST" and path.endswith("/salesOrder") for method, path, _ in writes), writes
    no_decimal_amounts(world)


def _half_a_yen_less(line: dict) -> None:
    if "amount" in line:
        line["amount"] = Decimal(str(line["amount"])) - Decimal("0.5")   # a yen amount rounded as if it had cents


def test_a_refund_sent_with_a_fraction_of_a_yen_fails_the_check_naming_the_request(tmp_path):
    world = ScenarioWorld(seed=9, workdir=tmp_path, connector_factory=changing_refunds(each_line(_half_a_yen_less)))
    try:
        account = world.connect("shopify")
        world.connector.activate_order_sync(account.id)
        order = world.place_order(account, exact=factories.ExactOrder(
            (factories.ExactLine("1", 2, Decimal(1000)),), currency="JPY"))
        world.sync(order)
        world.bill(order)
        world.connector.enable_refund_sync(account.id, "to_netsuite")
        world.refund_at_storefront(order, lines=((1, 1),))
        for refund in world.connector.retrieve_refunds(account.id, order.placed.order_id):
            world.connector.post(refund.id)
        with pytest.raises(AssertionError, match=r"amounts with decimals in JPY.*POST .*!transform/cashRefund: amount 999\.5"):
            no_decimal_amounts(world)
    finally:
        world.close()
