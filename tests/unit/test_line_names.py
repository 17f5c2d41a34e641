"""Failure messages name an order's lines the way the scenario wrote them, keeping the platform's words."""
from __future__ import annotations

from decimal import Decimal

import pytest

from harness import factories, seam
from harness.line_names import LineNames
from harness.scenario import ScenarioWorld
from steps.checks import _mentions, describe_rows


def test_a_netsuite_line_of_a_known_record_is_named_with_netsuites_words_after_it() -> None:
    names = LineNames(netsuite={"CS-1002": {1: "SKU-1001 (line 1)", 2: "the shipping"}})
    text = "400 USER_ERROR: Line 2 of Cash Sale #CS-1002 has no quantity left to refund (remaining quantity 0 of 1)."
    assert names.explain(text) == ("400 USER_ERROR: the shipping [NetSuite: Line 2 of Cash Sale #CS-1002] has no "
                                   "quantity left to refund (remaining quantity 0 of 1).")


def test_a_line_of_another_record_or_a_bare_line_number_is_left_as_the_platform_wrote_it() -> None:
    names = LineNames(netsuite={"CS-1002": {2: "the shipping"}}, storefront_ids={"2": "SKU-1002 (line 2)"})
    for text in ("Line 2 of Cash Sale #CS-9999 has no quantity left to refund.",
                 "Line 2 is named twice in the item sublist.", "There is no line 2 on this cashRefund."):
        assert names.explain(text) == text


def test_a_storefront_item_id_or_sku_is_named_by_the_scenarios_line() -> None:
    names = LineNames(storefront_ids={"122": "SKU-1003 (line 1)"}, storefront_skus={"SKU-1004": "SKU-1004 (line 2)"})
    assert names.explain("Item 122 has 0 of 1 left to refund, not 1.") == (
        "SKU-1003 (line 1) [the storefront: Item 122] has 0 of 1 left to refund, not 1.")
    assert names.explain("Item SKU-1004 of order 111-2 has 0 units left to refund, not 1.") == (
        "SKU-1004 (line 2) [the storefront: Item SKU-1004] of order 111-2 has 0 units left to refund, not 1.")
    # an id inside a longer number, or a count, is not a line
    assert names.explain("Item 1223 has 122 of 122 left.") == "Item 1223 has 122 of 122 left."


@pytest.fixture
def world(tmp_path):
    w = ScenarioWorld(seed=5, workdir=tmp_path)
    yield w
    w.close()


def _billed_order(world: ScenarioWorld, platform: str):
    account = world.connect(platform)
    world.connector.activate_order_sync(account.id)
    order = world.place_order(account, exact=factories.ExactOrder(
        (factories.ExactLine("3", 1, Decimal(10)), factories.ExactLine("1", 2, Decimal(5))), shipping=Decimal("7.50")))
    world.sync(order)
    world.bill(order)
    return order


def test_netsuite_refusing_the_shipping_twice_is_noted_as_the_shipping(world: ScenarioWorld) -> None:
    order = _billed_order(world, "woocommerce")
    world.refund_in_netsuite(order, shipping=True)
    with pytest.raises(Exception) as refused:
        world.refund_in_netsuite(order, shipping=True)
    assert "has no quantity left to refund" in str(refused.value)   # NetSuite's own words, unchanged
    assert "the shipping" not in str(refused.value)
    (note,) = refused.value.__notes__
    assert "the shipping [NetSuite: Line" in note and "has no quantity left to refund" in note


def test_a_storefront_refusing_a_line_twice_is_noted_with_its_sku_and_line_number(world: ScenarioWorld) -> None:
    order = _billed_order(world, "woocommerce")
    world.refund_at_storefront(order, lines=((1, 1),))
    with pytest.raises(Exception) as refused:
        world.refund_at_storefront(order, lines=((1, 1),))
    item_id = order.placed.lines[0].line_id
    assert str(refused.value).startswith(f"Item {item_id} has 0 of 1 left to refund")
    sku = order.placed.lines[0].sku
    assert refused.value.__notes__ == [f"in the scenario's words: {sku} (line 1) [the storefront: Item {item_id}] "
                                       "has 0 of 1 left to refund, not 1."]


def test_a_refund_rows_error_names_the_line_and_a_step_may_quote_either_wording(world: ScenarioWorld) -> None:
    order = _billed_order(world, "woocommerce")
    tran_id = world.netsuite.record(*order.billed)["tranId"]
    error = f"NetSuite refused the refund: Line 3 of Cash Sale #{tran_id} has no quantity left to refund."
    row = seam.RefundView("1", order.account_id, order.placed.order_id, "r1", seam.TO_NETSUITE, seam.ERROR, error)
    shown = describe_rows(world, [row], order)
    assert shown == (f"refund r1 is error: NetSuite refused the refund: the shipping [NetSuite: Line 3 of Cash Sale "
                     f"#{tran_id}] has no quantity left to refund.")
    assert _mentions(world, error, "Line 3 of Cash Sale") and _mentions(world, error, "the shipping has no quantity")


def test_without_the_platforms_words_a_reference_becomes_the_scenarios_name() -> None:
    names = LineNames(netsuite={"CS-1002": {2: "the shipping"}}, storefront_ids={"122": "SKU-1003 (line 1)"})
    assert names.explain("Line 2 of Cash Sale #CS-1002 has no quantity left; Item 122 has 0 of 1 left.",
                         platform_words=False) == "the shipping has no quantity left; SKU-1003 (line 1) has 0 of 1 left."
