"""Reconciliation: compare one order's refunds as the storefront and NetSuite each record them.

The inputs are read independently from each side (never from the connector's own ledger), so a bug
in the connector cannot hide itself. A mismatch says what differs, by how much, and which side's
configuration is the likely cause.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from common import money


def line_key(sku: str, number: int | None) -> str:
    """How both sides name a refunded line: its SKU and, where the side knows it, which line of the
    order it is (the same SKU can be on two lines, and refunding the wrong one must show)."""
    return sku if number is None else f"{sku} (line {number})"


@dataclass(frozen=True)
class SideRefund:
    """One refund as one side records it. ``tax`` is None where the side does not split tax out."""

    id: str
    total: Decimal
    currency: str
    tax: Decimal | None = None
    lines: tuple[tuple[str, int], ...] = ()  # (line_key, quantity) of refunded item lines
    kind: str = ""  # "cashRefund", "creditMemo", or "<platform> refund"
    # What each refunded item line gave back, before tax and its tax: (line_key, amount, tax). Empty where
    # the side does not say what each line refunded (amount-only refunds, refunds adjusted by a
    # discrepancy), and then not compared.
    line_values: tuple[tuple[str, Decimal, Decimal], ...] = ()
    shipping: Decimal | None = None   # shipping refunded before tax; None where the side does not tell it apart
    # What the refund's item and shipping lines add up to, tax included, leaving out money put on no line
    # (NetSuite's generic refund item, a storefront's adjustment): equal to ``total`` when the lines alone
    # carry the refund. None where the side does not say what each line gave back.
    lines_total: Decimal | None = None


@dataclass(frozen=True)
class OrderEvidence:
    order_id: str
    platform: str
    direction: str  # "to_netsuite" | "from_netsuite"
    currency: str
    line_items: bool  # whether the storefront refunds by line
    storefront: tuple[SideRefund, ...]
    netsuite: tuple[SideRefund, ...]
    # What the connector recorded of each refund of the order, where it shows it: (currency, total).
    recorded: tuple[tuple[str | None, Decimal | None], ...] = ()
    # The tax the connector put on the refunds it created in NetSuite for this order, as NetSuite
    # received it (None where unknown): tells a connector's tax bug from NetSuite's tax set-up.
    sent_tax: Decimal | None = None
    # What the scenario meant, to reconcile each side against intent and not only against the other:
    paid: Decimal | None = None         # what the order paid in all; None where unknown (no check)
    fully_refunded: bool = False        # every line and the shipping were refunded for what they were worth
    asked: tuple[tuple[str, Decimal], ...] = ()   # (storefront refund id, amount the scenario asked it to give back)


@dataclass(frozen=True)
class Reconciliation:
    order_id: str
    platform: str
    direction: str
    currency: str
    storefront_total: Decimal
    netsuite_total: Decimal
    problems: tuple[str, ...] = field(default_factory=tuple)
    likely_cause: str | None = None

    @property
    def matches(self) -> bool:
        return not self.problems

    @property
    def difference(self) -> Decimal:
        return self.storefront_total - self.netsuite_total

    def describe(self) -> str:
        if self.matches:
            return (f"order {self.order_id} ({self.platform}, {self.direction}): refunds match, "
                    f"{self.storefront_total} {self.currency} on both sides")
        cause = f" Likely cause: {self.likely_cause}." if self.likely_cause else ""
        return (f"order {self.order_id} ({self.platform}, {self.direction}): "
                + "; ".join(self.problems) + "." + cause)


def _sum(values, currency: str) -> Decimal:
    return money.total(values, currency)


def _line_counts(refunds: tuple[SideRefund, ...]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for refund in refunds:
        for sku, quantity in refund.lines:
            counts[sku] += quantity
    return counts


def _differences(storefront: dict, netsuite: dict, show: Callable[[Any], str], unit: str = "") -> str:
    """'key: storefront X vs NetSuite Y' for every line the two sides disagree on."""
    return ", ".join(f"{key}: storefront {show(storefront.get(key))} vs NetSuite {show(netsuite.get(key))}{unit}"
                     for key in sorted(set(storefront) | set(netsuite)) if storefront.get(key) != netsuite.get(key))


def _line_values(refunds: tuple[SideRefund, ...]) -> dict[str, tuple[Decimal, Decimal]] | None:
    """Per SKU, (amount, tax) refunded over all refunds; None unless every refund with lines says."""
    if any(r.lines and not r.line_values for r in refunds):
        return None
    values: dict[str, tuple[Decimal, Decimal]] = {}
    for refund in refunds:
        for sku, amount, tax in refund.line_values:
            before = values.get(sku, (Decimal(0), Decimal(0)))
            values[sku] = (before[0] + amount, before[1] + tax)
    return values


def _line_values_agree(evidence: OrderEvidence, sf_values: dict[str, tuple[Decimal, Decimal]],
                       ns_values: dict[str, tuple[Decimal, Decimal]]) -> bool:
    """Each line's refunded amount and tax are the same on both sides. From NetSuite, the storefront
    may work out each refunded line's money by its own rounding from the quantities it is given (a credit
    memo that takes quantities, not amounts): there the two may split a line's money between amount and
    tax a cent apart per refund of the line, as long as each line's money, tax included, is the same."""
    if sf_values == ns_values:
        return True
    if evidence.direction != "from_netsuite" or set(sf_values) != set(ns_values):
        return False
    cent = money.quantum(evidence.currency)
    for sku, value in sf_values.items():
        refunds = sum(1 for r in evidence.storefront if any(line_sku == sku for line_sku, *_ in r.line_values))
        if not _split_apart(value, ns_values[sku], cent * max(refunds, 1)):
            return False
    return True


def _split_apart(storefront: tuple[Decimal, Decimal], netsuite: tuple[Decimal, Decimal], leeway: Decimal) -> bool:
    """One line's (amount, tax): the same money on both sides, tax included, split at most ``leeway`` apart."""
    return sum(storefront) == sum(netsuite) and abs(storefront[0] - netsuite[0]) <= leeway


def priced_by_the_storefront(netsuite: SideRefund, storefront: SideRefund) -> bool:
    """From NetSuite: whether the storefront's tax and line money of one refund are NetSuite's, as the
    storefront's own rounding prices them. The connector gives the storefront the refund's total and each
    line's quantity; a storefront that prices the refunded units itself (a refund quote, a refund the
    storefront computes, a credit memo) splits each line's money between amount and tax, and a line's
    odd cents between its refunds, by its own rule (its ``unit_allocation``) and in the order the refunds
    reach it, which need not be NetSuite's. So a refund's tax may be a minor unit apart per line it
    names (and one for its shipping); where both sides tell each line's money, each line's money, tax
    included, is NetSuite's, its amount at most a minor unit apart. Its total, lines and shipping are
    compared as they are, and ``reconcile`` holds the order's refunds together to each line's money and,
    once the order is refunded in full, to NetSuite's tax exactly."""
    cent = money.quantum(netsuite.currency)
    if netsuite.tax is not None and storefront.tax is not None:
        rounded = len({key for key, _ in netsuite.lines}) + (1 if netsuite.shipping else 0)
        if abs(netsuite.tax - storefront.tax) > cent * max(rounded, 1):
            return False
    if netsuite.line_values and storefront.line_values:
        ns_values, sf_values = _line_values((netsuite,)), _line_values((storefront,))
        assert ns_values is not None and sf_values is not None   # both say what each line refunded
        return set(ns_values) == set(sf_values) and all(
            _split_apart(value, ns_values[key], cent) for key, value in sf_values.items())
    return True


def _tax(refunds: tuple[SideRefund, ...], currency: str) -> Decimal | None:
    """The tax of all the refunds; None where a refund does not split tax out."""
    if any(r.tax is None for r in refunds):
        return None
    return _sum((r.tax for r in refunds), currency)  # type: ignore[misc]


def _shipping(refunds: tuple[SideRefund, ...]) -> Decimal | None:
    if not refunds or any(r.shipping is None for r in refunds):
        return None
    return sum((r.shipping for r in refunds), Decimal(0))  # type: ignore[misc]


def reconcile(evidence: OrderEvidence) -> Reconciliation:
    cur = evidence.currency
    sf_total = _sum((r.total for r in evidence.storefront), cur)
    ns_total = _sum((r.total for r in evidence.netsuite), cur)
    problems: list[str] = []
    causes: list[str] = []

    currencies = {r.currency for r in evidence.storefront + evidence.netsuite}
    if currencies - {cur}:
        problems.append(f"refund currency differs from the order's {cur}: {', '.join(sorted(currencies))}")
        causes.append("the connector: a refund must be made in the order's transaction currency")

    if len(evidence.storefront) != len(evidence.netsuite):
        problems.append(
            f"the storefront has {len(evidence.storefront)} refund(s), NetSuite has {len(evidence.netsuite)}")
        causes.append("the connector: a refund was not synced yet, or was synced more than once")

    if sf_total != ns_total:
        diff = sf_total - ns_total
        problems.append(
            f"refund totals differ by {abs(diff)} {cur}: storefront {sf_total} {cur}, NetSuite {ns_total} {cur}")
        causes.append(_total_mismatch_cause(evidence, diff))

    if evidence.line_items:
        sf_lines, ns_lines = _line_counts(evidence.storefront), _line_counts(evidence.netsuite)
        if sf_lines != ns_lines:
            detail = _differences(sf_lines, ns_lines, lambda count: str(count or 0))
            problems.append(f"refunded quantities differ ({detail})")
            causes.append("the connector's item mapping (SKU to NetSuite item) or line matching")
        sf_values, ns_values = _line_values(evidence.storefront), _line_values(evidence.netsuite)
        if sf_values is not None and ns_values is not None and not _line_values_agree(evidence, sf_values, ns_values):
            detail = _differences(sf_values, ns_values, lambda value: "{} + tax {}".format(
                *(value or (Decimal(0), Decimal(0)))), unit=f" {cur}")
            problems.append(f"refunded line amounts differ ({detail})")
            causes.append("the connector: a refunded line must carry the storefront's amount and tax for it")

    sf_tax, ns_tax = _tax(evidence.storefront, cur), _tax(evidence.netsuite, cur)
    if (evidence.direction == "from_netsuite" and evidence.fully_refunded and sf_tax is not None
            and ns_tax is not None and sf_tax != ns_tax):
        # each refund's tax may carry the storefront's rounding (priced_by_the_storefront), the whole order's may not
        problems.append(f"the order was refunded in full, but the storefront refunded {sf_tax} {cur} of tax "
                        f"where NetSuite refunded {ns_tax} {cur}")
        causes.append("the connector: every cent of tax NetSuite refunded must go back as tax in the storefront, "
                      "exactly once")

    sf_shipping, ns_shipping = _shipping(evidence.storefront), _shipping(evidence.netsuite)
    if sf_shipping is not None and ns_shipping is not None and sf_shipping != ns_shipping:
        problems.append(f"refunded shipping differs: storefront {sf_shipping} {cur}, NetSuite {ns_shipping} {cur}")
        causes.append("the connector: refunded shipping must land on the shipping item for the same amount")

    recorded_currencies = {c for c, _ in evidence.recorded if c is not None}
    if recorded_currencies - {cur}:
        problems.append(f"the connector recorded refunds in {', '.join(sorted(recorded_currencies))}; "
                        f"the order is in {cur}")
        causes.insert(0, "the connector: it must record a refund in the order's currency")
    totals = [t for _, t in evidence.recorded]
    if totals and None not in totals:
        source_total = sf_total if evidence.direction == "to_netsuite" else ns_total
        recorded_total = _sum(totals, cur)  # type: ignore[arg-type]
        if recorded_total != source_total:
            problems.append(f"the connector recorded {recorded_total} {cur} of refunds where the side they came "
                            f"from refunded {source_total} {cur}")
            causes.append("the connector: its ledger must hold what the source refunded")

    intent_problems, intent_causes = _against_intent(evidence, sf_total, ns_total)
    problems += intent_problems
    causes += intent_causes

    # the first cause found is the most specific one; later ones are consequences
    return Reconciliation(evidence.order_id, evidence.platform, evidence.direction, cur,
                          sf_total, ns_total, tuple(problems), causes[0] if causes else None)


def _against_intent(evidence: OrderEvidence, sf_total: Decimal,
                    ns_total: Decimal) -> tuple[list[str], list[str]]:
    """Each side against what the scenario meant: never more than the order paid, exactly what it paid
    once refunded in full, and each storefront refund the scenario made for the amount it asked."""
    cur, paid = evidence.currency, evidence.paid
    problems: list[str] = []
    causes: list[str] = []
    source, target = (("the storefront", "NetSuite") if evidence.direction == "to_netsuite"
                      else ("NetSuite", "the storefront"))
    for side, total in (("the storefront", sf_total), ("NetSuite", ns_total)):
        if paid is None:
            break
        if total > paid:
            problems.append(f"{side} refunded {total} {cur} in all, more than the order paid ({paid} {cur})")
            causes.append(f"the connector: it gave back more on {side} than was refunded on {source}"
                          if side == target else f"{side}: it accepted refunds of more than the order paid")
        elif evidence.fully_refunded and total != paid:
            problems.append(f"the order was refunded in full, but {side} refunded {total} {cur} of the "
                            f"{paid} {cur} it paid")
            causes.append(f"the connector: a full refund must give back on {side} exactly what the order paid"
                          if side == target else f"{side}: its full refund does not add up to what the order paid")
    asked = dict(evidence.asked)
    for refund in evidence.storefront:
        wanted = asked.get(refund.id)
        if wanted is not None and refund.total != wanted:
            problems.append(f"storefront refund {refund.id} gave back {refund.total} {cur} where the scenario "
                            f"asked for {wanted} {cur}")
            causes.append("the storefront: it refunded a different amount than the merchant asked for")
    return problems, causes


def _total_mismatch_cause(evidence: OrderEvidence, diff: Decimal) -> str:
    cur = evidence.currency
    sf_tax = [r.tax for r in evidence.storefront]
    ns_tax = [r.tax for r in evidence.netsuite]
    if (len(sf_tax) == len(ns_tax) and sf_tax and None not in sf_tax and None not in ns_tax):
        tax_diff = _sum(sf_tax, cur) - _sum(ns_tax, cur)  # type: ignore[arg-type]
        if tax_diff == diff and evidence.sent_tax is not None and evidence.sent_tax == _sum(ns_tax, cur):
            return (f"the connector: it sent NetSuite {evidence.sent_tax} {cur} of tax for these refunds where "
                    f"the storefront's is {_sum(sf_tax, cur)} {cur}, and NetSuite kept what it was sent")
        if tax_diff == diff:
            return (f"NetSuite configuration: NetSuite's tax on the refund is {_sum(ns_tax, cur)} {cur} "
                    f"where the storefront's is {_sum(sf_tax, cur)} {cur}, and everything else matches. "
                    "The connector sends the storefront's tax; NetSuite's tax set-up recalculated it "
                    "(check tax codes, nexus and the tax engine's override setting)")
    if evidence.direction == "from_netsuite":
        return ("the storefront: it refunded a different amount than the NetSuite refund asked for "
                "(check the storefront's refund rules, e.g. what remains refundable)")
    return ("NetSuite configuration: the connector does not control how NetSuite builds the refund "
            "record; compare the refund's lines, tax and generic refund items with the storefront's")
