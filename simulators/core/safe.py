"""Shared safe parsers for request input: ids, decimals, timestamps and JSON with bounds.

Each raises ``BadInput`` (a ValueError) naming the problem; the dispatch boundary in ``base`` turns it
into the platform's own 400 through the simulator's ``bad_request`` hook.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from common import jsonio
from common.clock import parse_iso

MAX_JSON_DEPTH = 64
MAX_ID_DIGITS = 19          # a signed 64-bit id; longer ones are refused before int()
MAX_AMOUNT = Decimal("1e12")
MAX_PLACES = 6
MIN_YEAR, MAX_YEAR = 1970, 2200


class BadInput(ValueError):
    """Input a platform would refuse with a 400; the message names the field and the problem."""


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in a JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def loads(raw: bytes) -> Any:
    """``jsonio.loads`` after a nesting-depth check; too deep or undecodable -> BadInput."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise BadInput(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return jsonio.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"the request body is not valid JSON: {exc}") from None


def parse_id(text: Any, field_name: str = "id", *, max_digits: int = MAX_ID_DIGITS) -> int:
    """A numeric id: ASCII digits only (not "²" or Arabic-Indic digits), at most ``max_digits``."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise BadInput(f"{field_name} must be a numeric id, not {type(text).__name__}")
    raw = str(text)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > max_digits:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise BadInput(f"{field_name} must be a numeric id of at most {max_digits} digits, not {shown!r}")
    return int(raw)


def parse_decimal(value: Any, field_name: str, *, max_abs: Decimal = MAX_AMOUNT,
                  places: int = MAX_PLACES) -> Decimal:
    """A finite decimal within ``max_abs`` with at most ``places`` decimal places."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise BadInput(f"{field_name} must be a number")
    try:
        parsed = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise BadInput(f"{field_name} is not a number") from None
    if not parsed.is_finite():
        raise BadInput(f"{field_name} must be a finite number")
    if abs(parsed) > max_abs:
        raise BadInput(f"{field_name} is out of range (at most {max_abs} in size)")
    exponent = parsed.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and parsed != parsed.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN"):
        raise BadInput(f"{field_name} has more than {places} decimal places")
    return parsed


def parse_time(text: Any, field_name: str) -> datetime:
    """An ISO 8601 / RFC 3339 time with a year in [MIN_YEAR, MAX_YEAR]."""
    if not isinstance(text, str) or len(text) > 64:
        raise BadInput(f"{field_name} must be an ISO 8601 time")
    try:
        moment = parse_iso(text)
    except (ValueError, OverflowError):
        raise BadInput(f"{field_name} is not an ISO 8601 time: {text!r}") from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise BadInput(f"{field_name} must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return moment
