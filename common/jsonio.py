"""JSON that keeps money exact: numbers parse to Decimal, Decimal serialises as a JSON number."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            # float() of a 2- or 3-place Decimal prints back as the same shortest literal, and
            # readers parse it with parse_float=Decimal, so no precision is lost in transit.
            return float(o) if o != o.to_integral_value() else int(o)
        return super().default(o)


def dumps(value: Any) -> str:
    return json.dumps(value, cls=_DecimalEncoder, separators=(",", ":"))


# The largest magnitude a double holds: JSON parsers built on doubles (PHP's, JavaScript's) read a number
# beyond it as infinity, so RFC 8259 (section 6) calls such numbers not interoperable.
DOUBLE_MAX = Decimal("1.7976931348623157e308")


def _number(text: str) -> Decimal:
    value = Decimal(text)
    if abs(value) > DOUBLE_MAX:
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes) -> Any:
    """Parse JSON; NaN and Infinity (which Python's parser would take), a number beyond a double's range,
    bytes that are not UTF-8 (Python would guess UTF-16 or UTF-32; RFC 8259 section 8.1 says JSON between
    systems is UTF-8) and a text nested too deeply for the parser are each a ValueError like any other bad
    JSON."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")   # UnicodeDecodeError is a ValueError
    try:
        return json.loads(text, parse_float=_number, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None
