"""The step vocabulary: each step is registered with its pattern and an example sentence, so the
step catalog can be printed for QA and every example is checked against its own pattern."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest_bdd
from pytest_bdd import parsers

from harness.directions import parse_direction
from harness.platforms import platforms

# The storefront that catalog examples of named-storefront steps use: any registered one will do.
NAMED_STOREFRONT = platforms()[0].display_name


def _storefront(text: str) -> str:
    # Not validated here: a converter error would make pytest-bdd report "step not found". The
    # World refuses an unknown storefront with a message that lists the known ones.
    return text.strip().lower()


def _direction(text: str) -> str:
    return parse_direction(text)


_storefront.pattern = r"[A-Za-z]+"  # type: ignore[attr-defined]
_direction.pattern = r"(?:to|from) NetSuite"  # type: ignore[attr-defined]


def _quoted(text: str) -> str:
    return text


_quoted.pattern = r'[^"]*'  # type: ignore[attr-defined]

TYPES: dict[str, Callable[[str], Any]] = {"Storefront": _storefront, "Direction": _direction, "Text": _quoted}


@dataclass(frozen=True)
class StepDoc:
    keyword: str
    pattern: str
    example: str
    summary: str


CATALOG: list[StepDoc] = []


def _register(keyword: str, decorator: Callable[..., Any], pattern: str, example: str,
              **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    parser = parsers.parse(pattern, extra_types=TYPES)

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        CATALOG.append(StepDoc(keyword, pattern, example, summary))
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
