"""Steps for how a refund's money is split over refunds, lines and tax (features/money_allocation.feature)."""
from __future__ import annotations

from decimal import Decimal

from common import money
from harness.reconcile import SideRefund
from harness.scenario import ScenarioWorld
from steps.vocabulary import then, when


def _units_of(world: ScenarioWorld, line: int) -> int:
    lines = world.order.spec.lines
    if not 1 <= line <= len(lines):
        raise AssertionError(f"the order has {len(lines)} line(s); there is no line {line}")
    return lines[line - 1].quantity


@when("the merchant refunds line {line:d} one unit at a time in the storefront",
      "the merchant refunds line 1 one unit at a time in the storefront")
def refund_line_unit_by_unit(world: ScenarioWorld, line: int) -> None:
    """Every unit of the line, each in a refund of its own, in the storefront's admin."""
    for _ in range(_units_of(world, line)):
        world.refund_at_storefront(world.order, lines=((line, 1),))


@when("a NetSuite user refunds line {line:d} one unit at a time on the billed record",
      "a NetSuite user refunds line 1 one unit at a time on the billed record")
def netsuite_refund_line_unit_by_unit(world: ScenarioWorld, line: int) -> None:
    """Every unit of the line, each with its own press of the Refund button on the billed record."""
    for _ in range(_units_of(world, line)):
        world.refund_in_netsuite(world.order, lines=((line, 1),))


@then("NetSuite refunded {amount:Amount} {currency:Currency} of tax in all for the order",
      "NetSuite refunded 5.32 USD of tax in all for the order")
def netsuite_tax_in_all(world: ScenarioWorld, amount: Decimal, currency: str) -> None:
    """The tax of NetSuite's refunds made from the order's billed record adds up to exactly this."""
    _tax_in_all(world, "NetSuite", world.netsuite_view.side(world.order), amount, currency)


@then("the storefront refunded {amount:Amount} {currency:Currency} of tax in all for the order",
      "the storefront refunded 7.25 USD of tax in all for the order")
def storefront_tax_in_all(world: ScenarioWorld, amount: Decimal, currency: str) -> None:
    """The tax of the order's refunds in the storefront adds up to exactly this (from NetSuite: each
    refund's tax is the storefront's own rounding, the line's tax over its refunds is NetSuite's)."""
    order = world.order
    refunds = world.driver_of(order).refunds(order.placed)
    untold = [r.id for r in refunds if r.tax is None]
    assert not untold, f"the storefront does not say the tax of refund(s) {untold}"
    _tax_in_all(world, "the storefront", refunds, amount, currency)


def _tax_in_all(world: ScenarioWorld, side: str, refunds: list[SideRefund], amount: Decimal, currency: str) -> None:
    assert currency == world.order.placed.currency, f"the order is in {world.order.placed.currency}, not {currency}"
    assert refunds, f"{side} has no refund of the order"
    tax = money.total((r.tax or money.ZERO for r in refunds), currency)
    assert tax == money.amount(amount, currency), (
        f"{side} refunded {tax} {currency} of tax in all for the order ({len(refunds)} refunds: "
        f"{', '.join(str(r.tax) for r in refunds)}), not {amount} {currency}")


def _not_on_lines(side: str, refunds: list[SideRefund]) -> list[str]:
    return [f"{side} refund {r.id} is {r.total} {r.currency} but its lines add up to {r.lines_total}"
            for r in refunds if r.lines_total is not None and r.lines_total != r.total]


@then("each refund's lines add up to its total on both sides", "each refund's lines add up to its total on both sides")
def lines_add_up(world: ScenarioWorld) -> None:
    """On every refund of the order whose lines say what they gave back (NetSuite's always do), the item
    and shipping lines with their tax add up to the refund's total: no cent of rounding had to go on
    NetSuite's refund item or be left off the storefront's lines."""
    order = world.order
    netsuite = world.netsuite_view.side(order)
    assert netsuite, "NetSuite has no refund made from the order's billed record"
    wrong = _not_on_lines("NetSuite", netsuite) + _not_on_lines("storefront",
                                                               world.driver_of(order).refunds(order.placed))
    assert not wrong, "; ".join(wrong)


def _storefront_refunds_as_made(world: ScenarioWorld) -> list[SideRefund]:
    order = world.order
    found = {r.id: r for r in world.driver_of(order).refunds(order.placed)}
    missing = [made for made in order.storefront_refund_ids if made not in found]
    assert not missing, f"the storefront does not list refunds {missing} made in this scenario"
    return [found[made] for made in order.storefront_refund_ids]


@then("the storefront's refunds took {amounts:Amounts} {currency:Currency} of tax, in the order they were made",
      "the storefront's refunds took 1.77, 1.78, 1.77 USD of tax, in the order they were made")
def storefront_tax_per_refund(world: ScenarioWorld, amounts: tuple[Decimal, ...], currency: str) -> None:
    """The tax of each refund made in the storefront in this scenario, first to last: how the
    storefront's own rule split the lines' tax."""
    assert currency == world.order.placed.currency, f"the order is in {world.order.placed.currency}, not {currency}"
    refunds = _storefront_refunds_as_made(world)
    assert None not in [r.tax for r in refunds], "the storefront does not say the tax of each refund"
    taken = [r.tax for r in refunds]
    assert taken == [money.amount(a, currency) for a in amounts], (
        f"the storefront's refunds took {', '.join(map(str, taken))} {currency} of tax, "
        f"not {', '.join(map(str, amounts))}")


@then("NetSuite's refunds took the same tax as the storefront's, refund for refund",
      "NetSuite's refunds took the same tax as the storefront's, refund for refund")
def same_tax_per_refund(world: ScenarioWorld) -> None:
    """Each NetSuite refund of the order carries the tax of the storefront refund of the same lines and
    quantities, as the storefront split it, not a tax of its own rounding (refunds are paired by what
    they refunded: the connector may post them in any order)."""
    def taken(refunds: list[SideRefund]) -> list[tuple[tuple[tuple[str, int], ...], Decimal | None]]:
        return sorted(((tuple(sorted(r.lines)), r.tax) for r in refunds), key=str)

    storefront, netsuite = taken(_storefront_refunds_as_made(world)), taken(world.netsuite_view.side(world.order))
    assert netsuite == storefront, (
        "NetSuite's refunds took other tax than the storefront's: "
        + "; ".join(f"{lines}: storefront {s_tax}, NetSuite {n_tax}" for (lines, s_tax), (_, n_tax)
                    in zip(storefront, netsuite) if s_tax != n_tax) if len(netsuite) == len(storefront) else
        f"NetSuite has {len(netsuite)} refunds of the order, the storefront {len(storefront)}")
