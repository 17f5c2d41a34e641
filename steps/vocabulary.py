"""The step vocabulary: each step is registered with its pattern and an example sentence, so the
step catalog can be printed for QA and every example is checked against its own pattern."""
from __future__ import annotations

import re
import inspect
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

import pytest_bdd
from pytest_bdd import parsers

from harness.directions import parse_direction
from harness.platforms import names as platform_names

# The storefront that catalog examples of named-storefront steps use: any registered one will do. Read
# by name, so that loading the vocabulary (the catalog, the suite lint) loads no platform's simulator.
NAMED_STOREFRONT = platform_names()[0]


@dataclass(frozen=True)
class TypeDoc:
    """A placeholder type of the step patterns, as ``refund-harness steps`` documents it."""

    name: str
    pattern: str
    example: str
    meaning: str


TYPES: dict[str, Callable[[str], Any]] = {}
TYPE_DOCS: dict[str, TypeDoc] = {"d": TypeDoc("d", r"\d+", "3", "a whole number (a line number, a count)")}


def register_type(name: str, pattern: str, example: str, meaning: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    """Make ``{x:name}`` usable in step patterns: ``pattern`` is the regular expression it matches
    (non-capturing groups only), ``example`` a real value QA can copy. Register a type before the
    steps that use it: a pattern is compiled when its step is registered."""

    def wrap(converter: Callable[[str], Any]) -> Callable[[str], Any]:
        converter.pattern = pattern  # type: ignore[attr-defined]
        TYPES[name] = converter
        TYPE_DOCS[name] = TypeDoc(name, pattern, example, meaning)
        return converter

    return wrap


def describe_types() -> list[TypeDoc]:
    """Every placeholder type the catalog's patterns use, each with a real example (for the CLI)."""
    load_catalog()
    return [TYPE_DOCS[name] for name in sorted(TYPE_DOCS, key=str.lower)]


def type_example_converts(doc: TypeDoc) -> bool:
    """The example matches the type's whole pattern and its converter accepts it."""
    if doc.name == "d":
        return doc.example.isdigit()
    if re.fullmatch(doc.pattern, doc.example) is None:
        return False
    TYPES[doc.name](doc.example)
    return True


@register_type("Storefront", r"[A-Za-z]+", NAMED_STOREFRONT, "a registered storefront by name")
def _storefront(text: str) -> str:
    # Not validated here: a converter error would make pytest-bdd report "step not found". The
    # World refuses an unknown storefront with a message that lists the known ones.
    return text.strip().lower()


@register_type("Direction", r"(?:to|from) NetSuite", "from NetSuite", "a refund direction")
def _direction(text: str) -> str:
    return parse_direction(text)


@register_type("Text", r'[^"]*', "accounting period", "any text between double quotes")
def _quoted(text: str) -> str:
    return text


_NUMBER = r"\d+(?:\.\d+)?"


@register_type("Amount", _NUMBER, "12.35", "an amount of money in the order's currency (no sign, no symbol)")
def _amount(text: str) -> Decimal:
    return Decimal(text)


@register_type("Amounts", rf"{_NUMBER}(?:, {_NUMBER})*", "1.77, 1.78, 1.77",
               "amounts of money in the order's currency, one after another, separated by ', '")
def _amounts(text: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(part) for part in text.split(", "))


@register_type("Currency", r"[A-Z]{3}", "EUR", "an ISO 4217 currency code")
def _currency(text: str) -> str:
    return text


@register_type("Percent", _NUMBER + "%", "8.25%", "a tax rate in percent")
def _percent(text: str) -> Decimal:
    return Decimal(text[:-1]) / 100


def _counted(noun: str) -> str:
    """``1 <noun>`` or ``N <noun>s`` for any other N: the plural must agree with the number."""
    return rf"1 {noun}|(?:0|[2-9]|[1-9]\d+) {noun}s"


def _count(text: str) -> int:
    return int(text.split()[0])


@register_type("Units", _counted("unit"), "2 units", "a number of units: '1 unit' or 'N units'")
def _units(text: str) -> int:
    return _count(text)


@register_type("Refunds", _counted("refund"), "1 refund", "a number of refunds: '1 refund' or 'N refunds'")
def _refunds(text: str) -> int:
    return _count(text)


@register_type("Records", _counted("record"), "1 record", "a number of records: '1 record' or 'N records'")
def _records(text: str) -> int:
    return _count(text)


@register_type("Orders", _counted("order"), "3 orders", "a number of orders: '1 order' or 'N orders'")
def _orders(text: str) -> int:
    return _count(text)


@register_type("Requests", rf"no request|{_counted('request')}", "1 request",
               "a number of requests: 'no request', '1 request' or 'N requests'")
def _requests(text: str) -> int:
    return 0 if text == "no request" else _count(text)


_TIMES = {"once": 1, "twice": 2}


@register_type("Times", r"once|twice|(?:[3-9]|[1-9]\d+) times", "3 times", "how often: once, twice, or 'N times'")
def _times(text: str) -> int:
    return _TIMES.get(text) or _count(text)


_TERM = rf"shipping {_NUMBER}|tax rate {_NUMBER}%|an order discount of {_NUMBER}"


@register_type("OrderTerms", rf"(?:{_TERM})(?:(?:, | and )(?:{_TERM}))*",
               "shipping 7.50, tax rate 8.25% and an order discount of 5.00",
               "what an exact order has besides its lines: any of 'shipping X', 'tax rate R%', "
               "'an order discount of X', joined by ', ' or ' and '")
def _order_terms(text: str) -> dict[str, Decimal]:
    terms: dict[str, Decimal] = {}
    for term in re.split(r", | and (?=shipping|tax rate|an order discount)", text):
        if term.startswith("shipping "):
            terms["shipping"] = Decimal(term.removeprefix("shipping "))
        elif term.startswith("tax rate "):
            terms["tax_rate"] = _percent(term.removeprefix("tax rate "))
        else:
            terms["discount"] = Decimal(term.removeprefix("an order discount of "))
    return terms


# Fixtures a step may take from the scenario's requirement tags rather than from its own words: the
# storefront under test (any requirement tag) and the direction under test (``@each_direction``).
UNDER_TEST = ("storefront", "direction_under_test")


@dataclass(frozen=True)
class StepDoc:
    keyword: str
    pattern: str
    example: str
    summary: str
    # what the suite lint needs: the parser pytest-bdd matches with, and which of UNDER_TEST the step's
    # function takes from the scenario's tags (a parameter its pattern does not bind)
    parser: Any = field(default=None, compare=False, repr=False)
    under_test: frozenset[str] = frozenset()

    def matches(self, text: str) -> bool:
        return self.parser.is_matching(text)


CATALOG: list[StepDoc] = []


def _register(keyword: str, decorator: Callable[..., Any], pattern: str, example: str,
              **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    parser = parsers.parse(pattern, extra_types=TYPES)

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        bound = set(parser.parser.named_fields)
        under_test = frozenset(name for name in inspect.signature(fn).parameters
                               if name in UNDER_TEST and name not in bound)
        CATALOG.append(StepDoc(keyword, pattern, example, summary, parser, under_test))
        # stacklevel=2: pytest-bdd injects the step fixture into the module that called wrap()
        return decorator(parser, stacklevel=2, **kwargs)(fn)

    return wrap


def given(pattern: str, example: str, **kwargs: Any):
    return _register("Given", pytest_bdd.given, pattern, example, **kwargs)


def when(pattern: str, example: str, **kwargs: Any):
    return _register("When", pytest_bdd.when, pattern, example, **kwargs)


def then(pattern: str, example: str, **kwargs: Any):
    return _register("Then", pytest_bdd.then, pattern, example, **kwargs)


def load_catalog() -> list[StepDoc]:
    import importlib

    from steps import STEP_MODULES

    for name in STEP_MODULES:
        importlib.import_module(name)
    return list(CATALOG)


def example_matches(doc: StepDoc) -> bool:
    return parsers.parse(doc.pattern, extra_types=TYPES).is_matching(doc.example)
