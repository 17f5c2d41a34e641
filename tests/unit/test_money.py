from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from common import jsonio, money


def test_amount_is_exact_in_minor_units():
    assert money.amount("24.5", "USD") == Decimal("24.50")
    assert money.amount(500, "JPY") == Decimal("500")
    assert money.amount("1.234", "KWD") == Decimal("1.234")


@pytest.mark.parametrize("value,currency", [("24.505", "USD"), ("10.5", "JPY"), ("1.2345", "KWD")])
def test_amount_refuses_more_places_than_the_currency_has(value, currency):
    with pytest.raises(money.MoneyError, match=f"more decimal places than {currency} allows"):
        money.amount(value, currency)


@pytest.mark.parametrize("bad", ["abc", None, True, float("nan"), "Infinity"])
def test_amount_refuses_non_amounts(bad):
    with pytest.raises(money.MoneyError):
        money.amount(bad, "USD")


def test_unknown_currency_is_named():
    with pytest.raises(money.MoneyError, match="unknown currency 'XXX'"):
        money.amount(1, "XXX")


def test_rounding_is_half_up_to_the_currency():
    assert money.round_amount(Decimal("0.125"), "USD") == Decimal("0.13")
    assert money.round_amount(Decimal("0.124"), "USD") == Decimal("0.12")
    assert money.round_amount(Decimal("150.5"), "JPY") == Decimal("151")


def test_minor_units_round_trip():
    assert money.to_minor(Decimal("24.50"), "USD") == 2450
    assert money.from_minor(2450, "USD") == Decimal("24.50")
    assert money.to_minor(Decimal("500"), "JPY") == 500
    with pytest.raises(money.MoneyError):
        money.from_minor(24.5, "USD")  # type: ignore[arg-type]


def test_format_keeps_the_currency_places():
    assert money.format_amount(Decimal("5"), "USD") == "5.00"
    assert money.format_amount(Decimal("500"), "JPY") == "500"


def test_allocate_spreads_a_remainder_deterministically():
    assert money.allocate(Decimal("1.00"), [1, 1, 1], "USD") == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    assert money.allocate(Decimal("-1.00"), [1, 1, 1], "USD") == [Decimal("-0.34"), Decimal("-0.33"), Decimal("-0.33")]
    assert money.allocate(Decimal("10"), [0, 0], "JPY") == [Decimal("5"), Decimal("5")]


@given(
    whole=st.integers(min_value=-10**9, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_allocation_always_sums_exactly_and_stays_in_minor_units(whole, weights, currency):
    total = money.from_minor(whole, currency)
    parts = money.allocate(total, weights, currency)
    assert sum(parts, Decimal(0)) == total
    assert all(p == money.amount(p, currency) for p in parts)
    assert len(parts) == len(weights)


def test_json_keeps_money_exact_both_ways():
    text = jsonio.dumps({"amount": Decimal("24.50"), "qty": Decimal("2")})
    assert text == '{"amount":24.5,"qty":2}'
    assert jsonio.loads(text)["amount"] == Decimal("24.50")
    assert isinstance(jsonio.loads("1.10"), Decimal)


@given(st.integers(min_value=0, max_value=10**13))
def test_json_round_trips_any_cent_amount(cents):
    value = money.from_minor(cents, "USD")
    assert money.amount(jsonio.loads(jsonio.dumps(value)), "USD") == value


@pytest.mark.parametrize("text,problem", [("NaN", "NaN is not JSON"), ('{"a": Infinity}', "Infinity is not JSON"),
                                          ("[-Infinity]", "-Infinity is not JSON"),
                                          ("1e999999", "the number 1e999999 is out of range"),
                                          ("-2e308", "the number -2e308 is out of range")])
def test_json_refuses_what_is_not_a_json_number(text, problem):
    with pytest.raises(ValueError, match=problem):
        jsonio.loads(text)
    assert jsonio.loads("1.7976931348623157e308") == Decimal("1.7976931348623157e308")


@pytest.mark.parametrize("whole,units,currency,shares", [
    ("5.32", 3, "USD", ["1.77", "1.78", "1.77"]),    # 19.99 x 3 at 8.875%: a third alone is 1.77, thrice 5.31
    ("7.25", 3, "USD", ["2.42", "2.41", "2.42"]),    # 33.33 x 3 at 7.25%: a third alone is 2.42, thrice 7.26
    ("554", 3, "JPY", ["185", "184", "185"]),        # 1999 x 3 at 9.24%: a third alone is 185, thrice 555
])
def test_cumulative_shares_of_a_line_refunded_unit_by_unit_add_up_to_the_line(whole, units, currency, shares):
    taken = [money.cumulative_share(Decimal(whole), Decimal(done), Decimal(1), Decimal(units), currency)
             for done in range(units)]
    assert taken == [Decimal(s) for s in shares]
    assert sum(taken, Decimal(0)) == Decimal(whole)


@given(
    whole=st.integers(min_value=0, max_value=10**9),
    steps=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=10),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_cumulative_shares_in_any_steps_add_up_to_the_whole(whole, steps, currency):
    total, of, done, taken = money.from_minor(whole, currency), sum(steps), 0, []
    for now in steps:
        taken.append(money.cumulative_share(total, Decimal(done), Decimal(now), Decimal(of), currency))
        done += now
    assert sum(taken, Decimal(0)) == total
    assert all(t == money.amount(t, currency) and t >= 0 for t in taken)


@pytest.mark.parametrize("done,now,of", [(2, 2, 3), (-1, 1, 3), (0, 1, 0)])
def test_cumulative_share_refuses_parts_outside_the_whole(done, now, of):
    with pytest.raises(money.MoneyError, match="parts"):
        money.cumulative_share(Decimal("5.32"), Decimal(done), Decimal(now), Decimal(of), "USD")
