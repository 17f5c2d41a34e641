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


def loads(text: str | bytes) -> Any:
    """Parse JSON; a text nested too deeply for the parser is a ValueError like any other bad JSON."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None
