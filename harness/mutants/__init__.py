"""Deliberately broken connectors that measure the certification itself.

Each mutant is the shipped reference connector with one bug that real sync code has had, made at
the layer where such a bug lives: on the wire to NetSuite (``wire``), in reading listings (``listings``),
in the storefront adapter
(``storefront``), in what the connector lets an operator do (``rules``), or in the engine's own
bookkeeping (``engine``). A certification worth
its name rejects every one and says why; the share it rejects is its kill rate (`make mutants`).
Certify one alone with ``refund-harness certify --connector harness.mutants:<name>``.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness import seam
from harness.platforms import platforms
from harness.mutants import engine, listings, rules, storefront, wire


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str                     # the bug, in one sentence
    build: seam.ConnectorFactory


MUTANTS: dict[str, Mutant] = {
    name: Mutant(name, bug, build)
    for module in (wire, listings, storefront, rules, engine) for name, (bug, build) in module.MUTANTS.items()}
MUTANTS.update({name: Mutant(name, bug, build)   # bugs only one platform's connector code can have
                for entry in platforms() for name, (bug, build) in entry.mutants.items()})


def __getattr__(name: str) -> seam.ConnectorFactory:
    """``harness.mutants:<name>`` is a connector factory, for ``--connector``."""
    try:
        return MUTANTS[name].build
    except KeyError:
        raise AttributeError(f"no mutant {name!r}; mutants: {', '.join(sorted(MUTANTS))}") from None
