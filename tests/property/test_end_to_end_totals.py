"""Property: whatever partial refunds a merchant makes, after sync both sides agree to the cent.

Each example is a whole World: simulators and the real connector, through HTTP. Hypothesis picks
the order shape and a sequence of refunds (lines and quantities, shipping, amount-only), in either
direction; reconciliation must find the same totals (and lines, where the storefront refunds by line).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, note, settings, strategies as st

from harness import seam
from harness.directions import DIRECTIONS, FROM_NETSUITE, TO_NETSUITE
from harness.platforms import platform as find_platform, platforms
from harness.scenario import ScenarioWorld
from tests.property_budget import examples

refund_step = st.tuples(st.integers(min_value=1, max_value=2),   # line number
                        st.integers(min_value=1, max_value=3),   # quantity wanted (capped at what remains)
                        st.booleans())                           # with the shipping (once)

SETTINGS = settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _remaining(world: ScenarioWorld, order, line: int, refunded: dict[int, int]) -> int:
    return order.spec.lines[line - 1].quantity - refunded.get(line, 0)


def _build(workdir: Path, seed: int, platform: str, direction: str, currency: str, units: int):
    world = ScenarioWorld(seed=seed, workdir=workdir)
    account = world.connect(platform)
    world.connector.activate_order_sync(account.id)
    test_order = world.place_order(account)
    world.sync(test_order)
    world.bill(test_order)
    world.connector.enable_refund_sync(account.id, direction)
    order = world.place_order(account, currency=currency, quantity_first=units)
    world.sync(order)
    world.bill(order)
    return world, order


@SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**31 - 1),
       platform=st.sampled_from([p.name for p in platforms()]),
       direction=st.sampled_from(DIRECTIONS),
       currency=st.sampled_from(["USD", "JPY", "EUR"]),
       units=st.integers(min_value=1, max_value=4),
       steps=st.lists(refund_step, min_size=1, max_size=3))
# Square refunds by amount: refunding a line unit by unit once summed to a cent more than the line
# paid, because each refund's value was rounded alone (Square: 400 REFUND_AMOUNT_INVALID).
# found by a random run: NetSuite and Magento split a refunded unit between amount and tax a cent apart
@example(seed=1, platform="magento", direction="from_netsuite", currency="EUR", units=4,
         steps=[(1, 1, False), (1, 1, False)])
@example(seed=3, platform="square", direction=TO_NETSUITE, currency="USD", units=1,
         steps=[(1, 1, False), (2, 1, False), (2, 1, True)])
def test_any_sequence_of_refunds_reconciles(seed, platform, direction, currency, units, steps):
    entry = find_platform(platform)
    assume(direction in entry.capabilities.directions and currency in entry.currencies)
    note(f"replay with: @example(seed={seed}, platform={platform!r}, direction={direction!r}, "
         f"currency={currency!r}, units={units}, steps={steps!r})")
    with tempfile.TemporaryDirectory(prefix="refund-prop-") as workdir:
        _check(Path(workdir), seed, platform, direction, currency, units, steps)


def _check(workdir, seed, platform, direction, currency, units, steps):
    world, order = _build(workdir, seed, platform, direction, currency, units)
    try:
        refunded: dict[int, int] = {}
        shipping_left = True
        for line, wanted, with_shipping in steps:
            quantity = min(wanted, _remaining(world, order, line, refunded))
            shipping = with_shipping and shipping_left and order.spec.shipping > 0
            if quantity == 0 and not shipping:
                continue
            lines = ((line, quantity),) if quantity else ()
            if direction == TO_NETSUITE:
                world.refund_at_storefront(order, lines=lines, shipping=shipping, as_amount=True)
            else:
                world.refund_in_netsuite(order, lines=lines, shipping=shipping)
            refunded[line] = refunded.get(line, 0) + quantity
            shipping_left = shipping_left and not shipping
            world.run_schedule()
        world.run_schedule()  # a pushed Square refund completes on the next look
        rows = world.refunds_of(order)
        assert rows and all(r.status == seam.POSTED for r in rows), [
            (r.source_id, r.status, r.error) for r in rows]
        result = world.reconcile(order)
        assert result.matches, result.describe()
    finally:
        world.close()
