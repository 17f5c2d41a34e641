"""What the connector accepts as an id from outside: a storefront order id, a NetSuite internal id
or tranId. Checked once, at the edge, so a malformed one is refused in words before it reaches a
URL, a query or ``int()`` (which rejects "²" and 5,000-digit numbers with a bare ValueError)."""
from __future__ import annotations

import re

from connector.errors import ConnectorError

MAX_ID_LENGTH = 64
_WELL_FORMED = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{MAX_ID_LENGTH - 1}}}")


def shown(value: str) -> str:
    """The id as a message can quote it: long ones cut short."""
    return repr(value) if len(value) <= 24 else f"{value[:20]!r}... ({len(value)} characters)"


def checked_id(value: object, what: str) -> str:
    text = str(value)
    if not _WELL_FORMED.fullmatch(text):
        raise ConnectorError(f"{shown(text)} is not a valid {what}: ids are 1 to {MAX_ID_LENGTH} ASCII letters, "
                             "digits, '-', '_', '.' or ':'. Check the id you entered.")
    return text


def is_internal_id(value: str) -> bool:
    """NetSuite internal ids are plain ASCII digits (str.isdigit also takes "²" and other scripts' digits)."""
    return value.isascii() and value.isdigit() and len(value) <= MAX_ID_LENGTH
