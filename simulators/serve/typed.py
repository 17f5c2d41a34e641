"""JSON -> typed Python for the control plane: dataclasses (order specs, settings) from plain JSON,
each bad value refused with the path of the field that holds it."""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any


class BadInput(ValueError):
    """Input the control plane refuses; the message names the field."""


def _kind(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` (as ``common.jsonio`` parsed it) as an instance of ``hint``."""
    if hint is typing.Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        refusals = []
        for option in (o for o in options if o is not type(None)):   # the first that takes the value
            try:
                return convert(value, option, where)
            except BadInput as exc:
                refusals.append(str(exc))
        raise BadInput(refusals[0] if len(refusals) == 1 else
                       f"{where} must be one of {' or '.join(_kind(o) for o in options)}, not {value!r}")
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise BadInput(f"{where} must be a list")
        args = typing.get_args(hint)
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):   # any length, one type
            items = tuple(convert(item, args[0], f"{where}[{i}]") for i, item in enumerate(value))
            return list(items) if origin is list else items
        if len(value) != len(args):   # a fixed shape: tuple[int, int], or tuple[()] (empty)
            raise BadInput(f"{where} must be a list of {len(args)} item(s), not {len(value)}")
        return tuple(convert(item, arg, f"{where}[{i}]") for i, (item, arg) in enumerate(zip(value, args)))
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        if not isinstance(value, dict):
            raise BadInput(f"{where} must be a JSON object")
        def key(text: str) -> Any:   # JSON keys are strings: "3" stands for the number 3
            return int(text) if key_hint is int and text.isdigit() else convert(text, key_hint, f"{where} key {text!r}")

        return {key(k): convert(v, value_hint, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return from_json(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise BadInput(f"{where} must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadInput(f"{where} must be a whole number, not {value!r}")
        return value
    if hint in (float, Decimal):
        return _number(value, hint, where)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):   # named by its value ("lost_answer")
        try:
            return hint(value)
        except ValueError:
            raise BadInput(f"{where} must be one of {', '.join(str(m.value) for m in hint)}, not {value!r}") from None
    if hint is str:
        if not isinstance(value, str):
            raise BadInput(f"{where} must be a string, not {value!r}")
        return value
    raise BadInput(f"{where} has type {_kind(hint)}, which the control plane cannot set")


def _number(value: Any, hint: type, where: str) -> Any:
    """Amounts come as JSON numbers or decimal strings ("19.99"); both stay exact as Decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise BadInput(f"{where} must be a number such as \"19.99\", not {value!r}")
    try:
        parsed = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        raise BadInput(f"{where} must be a number such as \"19.99\", not {value!r}") from None
    if not parsed.is_finite():
        raise BadInput(f"{where} must be a finite number, not {value!r}")
    return float(parsed) if hint is float else parsed


def _fields(cls: type, data: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    """The type hints and field names of ``cls``; a key it does not have is refused by name."""
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise BadInput(f"{where} has unknown field(s) {', '.join(unknown)}; known: {', '.join(names)}")
    return typing.get_type_hints(cls), names


def from_json(cls: type, data: Any, where: str) -> Any:
    """A dataclass from a JSON object: unknown keys refused, missing keys take their defaults."""
    if not isinstance(data, dict):
        raise BadInput(f"{where} must be a JSON object")
    hints, names = _fields(cls, data, where)
    values = {name: convert(data[name], hints[name], f"{where}.{name}") for name in names if name in data}
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        raise BadInput(f"{where}: {exc}") from None


def changes_for(instance: Any, data: Any, where: str = "settings") -> dict[str, Any]:
    """Typed values for a partial update of a dataclass instance (a PATCH); nothing is applied."""
    if not isinstance(data, dict) or not data:
        raise BadInput(f"{where} must be a JSON object with at least one field to change")
    hints, _names = _fields(type(instance), data, where)
    changes = {name: convert(value, hints[name], f"{where}.{name}") for name, value in data.items()}
    for name, value in changes.items():
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and value < 0:
            raise BadInput(f"{where}.{name} must be 0 or more, not {value}")
    return changes
