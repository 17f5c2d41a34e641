"""Money as Decimal in a currency's minor units.

Every amount in this project is a ``Decimal`` quantized to the currency's exponent (USD has
2 decimal places, JPY none, KWD three). Floats never carry money: a float that arrives on the
wire (NetSuite sends JSON numbers) is parsed straight to Decimal by ``common.jsonio``.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Sequence

# ISO 4217 exponents for the currencies the harness exercises. Anything else is refused loudly
# rather than guessed, because a wrong exponent silently corrupts every total.
MINOR_UNITS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "MXN": 2, "BRL": 2, "INR": 2, "SGD": 2, "HKD": 2, "ZAR": 2, "PLN": 2,
    "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0,
    "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3,
}

ZERO = Decimal(0)


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def exponent(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise MoneyError(
            f"unknown currency {currency!r}: expected an ISO 4217 code such as "
            f"{', '.join(sorted(MINOR_UNITS)[:5])}, ..."
        ) from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise MoneyError(f"{value!r} is not an amount")
    if isinstance(value, float):
        # A float is accepted only through its shortest repr, which is exact for any amount that
        # was typed as a decimal literal; the conversion is explicit so it is easy to audit.
        value = repr(value)
    try:
        result = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(f"{value!r} is not an amount") from None
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return result


def amount(value: object, currency: str) -> Decimal:
    """Parse an exact amount: more decimal places than the currency allows is an error."""
    dec = _as_decimal(value)
    q = quantum(currency)
    rounded = dec.quantize(q, rounding=ROUND_HALF_UP)
    if rounded != dec:
        raise MoneyError(
            f"{value} has more decimal places than {currency} allows ({exponent(currency)})"
        )
    return rounded


def round_amount(value: object, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (used for computed values such as tax)."""
    return _as_decimal(value).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(value: Decimal, currency: str) -> int:
    """Exact amount -> integer minor units (the wire format of storefronts that count in cents)."""
    return int(amount(value, currency).scaleb(exponent(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    if isinstance(units, bool) or not isinstance(units, int):
        raise MoneyError(f"{units!r} is not a whole number of minor units")
    return Decimal(units).scaleb(-exponent(currency)).quantize(quantum(currency))


def format_amount(value: Decimal, currency: str) -> str:
    """Decimal string with exactly the currency's places ("24.50", "500")."""
    return f"{amount(value, currency):f}"


def total(values: Iterable[Decimal], currency: str) -> Decimal:
    return amount(sum(values, ZERO), currency)


def allocate(whole: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split ``whole`` in proportion to ``weights`` so the parts sum exactly to ``whole``.

    Largest-remainder method on minor units; ties go to the earliest part so the split is
    deterministic. Used to spread tax or a discount over lines and refunded quantities.
    """
    if not weights:
        raise MoneyError("cannot allocate over no parts")
    weights_d = [_as_decimal(w) for w in weights]
    if any(w < 0 for w in weights_d):
        raise MoneyError("allocation weights must not be negative")
    units = to_minor(whole, currency)
    weight_sum = sum(weights_d, ZERO)
    if weight_sum == 0:
        weights_d = [Decimal(1)] * len(weights_d)
        weight_sum = Decimal(len(weights_d))
    sign = -1 if units < 0 else 1
    units = abs(units)
    exact = [Decimal(units) * w / weight_sum for w in weights_d]
    floors = [int(e) for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [from_minor(sign * f, currency) for f in floors]


def cumulative_share(whole: Decimal, done: Decimal, now: Decimal, of: Decimal, currency: str) -> Decimal:
    """The share of ``whole`` that ``now`` more parts of ``of`` take, after ``done`` parts were taken.

    It is what ``done + now`` parts are worth minus what ``done`` parts are worth, each rounded half up
    to the currency's minor unit, so shares taken one after another always add up to ``whole`` once
    all ``of`` parts are taken (a line's tax over the refunds of its units, one unit at a time:
    5.32 over three units is 1.77, 1.78, 1.77, where rounding each third alone gives 1.77 three times).
    """
    done_d, now_d, of_d = _as_decimal(done), _as_decimal(now), _as_decimal(of)
    if of_d <= 0:
        raise MoneyError(f"cannot share over {of} parts: the number of parts must be positive")
    if done_d < 0 or now_d < 0 or done_d + now_d > of_d:
        raise MoneyError(f"cannot take {now} more of {of} parts after {done}: "
                         "the parts taken must be between 0 and the whole")
    whole_d = _as_decimal(whole)
    return (round_amount(whole_d * (done_d + now_d) / of_d, currency)
            - round_amount(whole_d * done_d / of_d, currency))
