"""Refund directions as the harness names them: plain strings, so any connector can speak them."""
from __future__ import annotations

TO_NETSUITE = "to_netsuite"
FROM_NETSUITE = "from_netsuite"
OFF = "off"
DIRECTIONS = (TO_NETSUITE, FROM_NETSUITE)
LABELS = {TO_NETSUITE: "to NetSuite", FROM_NETSUITE: "from NetSuite", OFF: "off"}


def parse_direction(text: str) -> str:
    """'to NetSuite', 'to_netsuite', 'FROM NETSUITE' ... -> the direction; anything else is refused by name."""
    wanted = text.strip().lower().replace("_", " ")
    for direction, label in LABELS.items():
        if direction != OFF and wanted == label.lower():
            return direction
    raise ValueError(f"unknown direction {text!r}; expected 'to NetSuite' or 'from NetSuite'")
