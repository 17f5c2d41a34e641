"""What a scenario meant: the orders it placed and, for each, what its refunds should add up to.

Reconciliation compares both sides of an order with what the scenario did to it: the amounts it asked
refunds to give back, whether it refunded every line and the shipping for exactly what they were
worth, which units it refunded. A step that recorded only part of that would make a correct connector
look broken, so ``ExpectedOutcome``'s methods are the only writers of those facts: an order exposes
them read-only (assigning one raises ``AttributeError``), and pricing what a refund is worth lives
here too (``worth``), once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

from common import money
from harness.storefronts import PlacedOrder
from simulators.core.orders import OrderSpec, price_order


def worth(spec: OrderSpec, *, units: Mapping[int, int], shipping: bool, tax_only: bool = False) -> Decimal:
    """What the order paid for these units in all (line number -> units refunded so far), with their
    share of discount and tax, and for its shipping; with ``tax_only``, the tax of them alone.

    It prices what has been refunded *in all*, so a refund's worth is the difference of two such
    figures: refunding a line unit by unit then sums to exactly what the line paid, where rounding
    each refund alone could drift by a cent past it.
    """
    priced = price_order(spec)
    cur = priced.currency
    value = Decimal(0)
    for number, quantity in units.items():
        line = priced.lines[number - 1]
        share = Decimal(quantity) / Decimal(line.spec.quantity)
        value += (Decimal(0) if tax_only else money.round_amount(line.net * share, cur)) \
            + money.round_amount(line.tax * share, cur)
    if shipping:
        value += (Decimal(0) if tax_only else priced.shipping) + priced.shipping_tax
    return money.amount(value, cur)


@dataclass(frozen=True)
class Meant:
    """What the scenario did to one order and so expects of its refunds (written by ``ExpectedOutcome``)."""

    # what the merchant has refunded so far by line (line number -> units) and whether shipping
    refunded_units: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    shipping_refunded: bool = False
    storefront_refund_ids: tuple[str, ...] = ()   # refunds made in the storefront, in order
    # what the scenario asked each storefront refund it made to give back (refund id -> amount)
    asked: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    # some refund gave back other than what the lines and shipping it refunded are worth (an amount,
    # a discrepancy); the order then is never "fully refunded" for exactly what it paid
    adjusted: bool = False
    # the scenario refunded every line and the shipping for exactly what they were worth, on either side
    fully_refunded: bool = False
    # a NetSuite user deleted the order: its refunds cannot be posted and, once the operator cancels
    # them, are handled by hand in both systems, so the two sides are not expected to match
    deleted_in_netsuite: bool = False


@dataclass
class OrderUnderTest:
    placed: PlacedOrder
    account_id: str
    spec: OrderSpec
    sales_order_id: str | None = None
    billed: tuple[str, str] | None = None  # (record type, id) once billed
    deleted_sales_order_number: str | None = None  # the number (tranId) its sales order had, once a user deleted it
    in_storefront: bool = True  # False for an order typed into NetSuite by hand
    _meant: Meant = field(default_factory=Meant, repr=False)

    # read-only: ExpectedOutcome records what the scenario meant
    refunded_units = property(lambda self: self._meant.refunded_units)
    shipping_refunded = property(lambda self: self._meant.shipping_refunded)
    storefront_refund_ids = property(lambda self: self._meant.storefront_refund_ids)
    asked = property(lambda self: self._meant.asked)
    adjusted = property(lambda self: self._meant.adjusted)
    fully_refunded = property(lambda self: self._meant.fully_refunded)
    deleted_in_netsuite = property(lambda self: self._meant.deleted_in_netsuite)


@dataclass(frozen=True)
class RefundQuote:
    """A storefront refund of some lines and/or the shipping, priced: what the order's refunds cover
    once it is made, and what this one is worth."""

    units: Mapping[int, int]   # line number -> units refunded in all, this refund included
    shipping: bool             # the shipping refunded, by this refund or before
    worth: Decimal
    tax: Decimal               # the part of ``worth`` that is tax


class ExpectedOutcome:
    """The one writer of what a scenario meant: the orders it placed, what each of their refunds should
    give back, and whether the scenario set up a mismatch on purpose (a detected one proves detection)."""

    def __init__(self) -> None:
        self._orders: list[OrderUnderTest] = []
        self._mismatch_expected = False

    @property
    def orders(self) -> tuple[OrderUnderTest, ...]:
        return tuple(self._orders)

    @property
    def mismatch_expected(self) -> bool:
        return self._mismatch_expected

    def placed(self, order: OrderUnderTest) -> OrderUnderTest:
        """The scenario placed (or typed into NetSuite) this order: it is "the order" until the next."""
        self._orders.append(order)
        return order

    def expect_mismatch(self) -> None:
        """The scenario misconfigured something on purpose: the sides of its orders are to differ."""
        self._mismatch_expected = True

    def quote(self, order: OrderUnderTest, *, lines: tuple[tuple[int, int], ...] = (), shipping: bool = False,
              whole_order: bool = False) -> RefundQuote:
        """A storefront refund of these (line number, units), the shipping or the whole order, priced
        against what the order's refunds covered so far."""
        units = dict(order.refunded_units)
        if whole_order:
            units = {n: line.quantity for n, line in enumerate(order.spec.lines, start=1)}
        for number, quantity in lines:
            units[number] = units.get(number, 0) + quantity
        with_shipping = order.shipping_refunded or shipping or whole_order
        before = worth(order.spec, units=order.refunded_units, shipping=order.shipping_refunded)
        tax_before = worth(order.spec, units=order.refunded_units, shipping=order.shipping_refunded, tax_only=True)
        return RefundQuote(MappingProxyType(units), with_shipping,
                           worth(order.spec, units=units, shipping=with_shipping) - before,
                           worth(order.spec, units=units, shipping=with_shipping, tax_only=True) - tax_before)

    def refunded_in_storefront(self, order: OrderUnderTest, made: str, *, asked: Decimal | None = None,
                               adjusted: bool = False, quote: RefundQuote | None = None) -> None:
        """The storefront made refund ``made`` of the order. ``asked``: the amount the scenario asked it
        to give back (reconciliation checks it gave back exactly that); ``adjusted``: it gives back other
        than what it refunds is worth; ``quote``: the lines and shipping it refunded, priced by ``quote``."""
        meant = order._meant
        changes: dict = {"storefront_refund_ids": meant.storefront_refund_ids + (made,),
                         "adjusted": meant.adjusted or adjusted}
        if asked is not None:
            changes["asked"] = MappingProxyType({**meant.asked, made: asked})
        if quote is not None:
            changes.update(refunded_units=quote.units, shipping_refunded=quote.shipping,
                           fully_refunded=not changes["adjusted"] and _covers_everything(order.spec, quote))
        order._meant = replace(meant, **changes)

    def refunded_in_netsuite(self, order: OrderUnderTest, *, whole: bool, amount: bool) -> None:
        """A NetSuite user refunded the order: all of it (``whole``), or with an amount on the generic
        refund item (``amount``: then it gives back other than what its lines are worth)."""
        meant = order._meant
        if whole:
            order._meant = replace(meant, fully_refunded=not meant.adjusted)
        elif amount:
            order._meant = replace(meant, adjusted=True)

    def deleted_in_netsuite(self, order: OrderUnderTest) -> None:
        """A NetSuite user deleted the order's records: its sides are not expected to match."""
        order._meant = replace(order._meant, deleted_in_netsuite=True)


def _covers_everything(spec: OrderSpec, quote: RefundQuote) -> bool:
    every_line = all(quote.units.get(n, 0) >= line.quantity for n, line in enumerate(spec.lines, start=1))
    return every_line and (quote.shipping or not spec.shipping)
