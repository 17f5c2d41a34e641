"""Magento's partial responses: ``?fields=items[entity_id,increment_id],total_count`` keeps only the named
fields of a REST answer, brackets naming the fields kept inside an object or inside each object of a list
(``Magento\\Framework\\Webapi\\Rest\\Response\\FieldsFilter``). Names that match nothing are dropped
silently, as Magento does; a bracket that does not close is a 400."""
from __future__ import annotations

from typing import Any

Spec = dict[str, "Spec | None"]   # field -> what to keep inside it (None: all of it)


class BadFields(ValueError):
    pass


def parse_fields(text: str) -> Spec:
    spec, rest = _parse(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise BadFields(f"the fields parameter has a ']' that opens nothing at character {rest + 1}")
    return spec


def _parse(text: str, at: int) -> tuple[Spec, int]:
    spec: Spec = {}
    name = ""
    while at < len(text):
        char = text[at]
        if char == ",":
            if name:
                spec[name] = None
            name, at = "", at + 1
        elif char == "[":
            if not name:
                raise BadFields(f"the fields parameter has a '[' with no field name at character {at + 1}")
            inner, at = _parse(text, at + 1)
            if at >= len(text) or text[at] != "]":
                raise BadFields(f"the fields parameter does not close the '[' after {name!r}")
            spec[name], name, at = inner, "", at + 1
        elif char == "]":
            break
        else:
            name, at = name + char, at + 1
    if name:
        spec[name] = None
    return spec, at


def keep(data: Any, spec: Spec) -> Any:
    """``data`` with only what ``spec`` names (a list is filtered item by item)."""
    if isinstance(data, list):
        return [keep(item, spec) for item in data]
    if not isinstance(data, dict):
        return data
    return {name: data[name] if inner is None else keep(data[name], inner)
            for name, inner in spec.items() if name in data}
