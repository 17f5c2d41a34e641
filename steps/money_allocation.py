"""Steps for how a refund's money is split over refunds, lines and tax (features/money_allocation.feature)."""
from __future__ import annotations

from decimal import Decimal

from common import money
from harness.reconcile import SideRefund
from harness.world import World
from steps.vocabulary import then, when


def _units_of(world: World, line: int) -> int:
    lines = world.order.spec.lines
    if not 1 <= line <= len(lines):
        raise AssertionError(f"the order has {len(lines)} line(s); there is no line {line}")
    return lines[line - 1].quantity


@when("the merchant refunds line {line:d} one unit at a time in the storefront",
      "the merchant refunds line 1 one unit at a time in the storefront")
def refund_line_unit_by_unit(world: World, line: int) -> None:
    """Every unit of the line, each in a refund of its own, in the storefront's admin."""
    for _ in range(_units_of(world, line)):
        world.refund_at_storefront(world.order, lines=((line, 1),))


@when("a NetSuite user refunds line {line:d} one unit at a time on the billed record",
      "a NetSuite user refunds line 1 one unit at a time on the billed record")
def netsuite_refund_line_unit_by_unit(world: World, line: int) -> None:
    """Every unit of the line, each with its own press of the Refund button on the billed record."""
    for _ in range(_units_of(world, line)):
        world.refund_in_netsuite(world.order, lines=((line, 1),))


@then("NetSuite refunded {amount:Amount} {currency:Currency} of tax in all for the order",
      "NetSuite refunded 5.32 USD of tax in all for the order")
def netsuite_tax_in_all(world: World, amount: Decimal, currency: str) -> None:
    """The tax of NetSuite's refunds made from the order's billed record adds up to exactly this."""
    order = world.order
    assert currency == order.placed.currency, f"the order is in {order.placed.currency}, not {currency}"
    refunds = world.netsuite_side(order)
    assert refunds, "NetSuite has no refund made from the order's billed record"
    tax = money.total((r.tax or money.ZERO for r in refunds), currency)
    assert tax == money.amount(amount, currency), (
        f"NetSuite refunded {tax} {currency} of tax in all for the order ({len(refunds)} refunds: "
        f"{', '.join(str(r.tax) for r in refunds)}), not {amount} {currency}")


def _not_on_lines(side: str, refunds: list[SideRefund]) -> list[str]:
    return [f"{side} refund {r.id} is {r.total} {r.currency} but its lines add up to {r.lines_total}"
            for r in refunds if r.lines_total is not None and r.lines_total != r.total]


@then("each refund's lines add up to its total on both sides", "each refund's lines add up to its total on both sides")
def lines_add_up(world: World) -> None:
    """On every refund of the order whose lines say what they gave back (NetSuite's always do), the item
    and shipping lines with their tax add up to the refund's total: no cent of rounding had to go on
    NetSuite's refund item or be left off the storefront's lines."""
    order = world.order
    netsuite = world.netsuite_side(order)
    assert netsuite, "NetSuite has no refund made from the order's billed record"
    wrong = _not_on_lines("NetSuite", netsuite) + _not_on_lines("storefront",
                                                               world.driver_of(order).refunds(order.placed))
    assert not wrong, "; ".join(wrong)
