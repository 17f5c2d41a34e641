"""How a simulator's listings can differ from its records: a page size the server imposes, and a
listing that lags behind the simulator's writes (a ``listing_lag`` fault), as real search indexes do.

Every listing handler passes the page size a client asked for through ``Simulator.page_limit`` and
its records through ``visible``, so both apply to every listing the same way.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

# While a listing_lag rule answers a request: records written after this moment are not listed yet.
_listed_up_to: ContextVar[datetime | None] = ContextVar("listed_up_to", default=None)
# While the harness looks at a simulator (a request with the observer header): it sees every record
# on one page, as it sees them through no fault, so its checks read what is there.
_observing: ContextVar[bool] = ContextVar("observing", default=False)


@contextmanager
def observed() -> Iterator[None]:
    """Answer the request made inside this block to the harness checking what happened: no page cap."""
    token = _observing.set(True)
    try:
        yield
    finally:
        _observing.reset(token)


def observing() -> bool:
    return _observing.get()


@contextmanager
def lagging(up_to: datetime) -> Iterator[None]:
    """Answer the listings of the request made inside this block as of ``up_to``."""
    token = _listed_up_to.set(up_to)
    try:
        yield
    finally:
        _listed_up_to.reset(token)


def visible(records: Iterable[T], written_at: Callable[[T], datetime | None]) -> list[T]:
    """The records a listing shows now: all of them, unless the request is answered by a lagging
    listing, which leaves out those written (created or last updated) after the moment it is at."""
    up_to = _listed_up_to.get()
    if up_to is None:
        return list(records)
    return [r for r in records if (at := written_at(r)) is None or at <= up_to]


def check_page_size(size: object) -> int | None:
    """A maximum page size a simulator may be given: a whole number of at least 1, or None (the
    platform's own maximum). Raises ``ValueError`` naming the problem."""
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValueError(f"max_page_size must be a whole number of at least 1 (or null), not {size!r}")
    if size < 1:
        raise ValueError(f"max_page_size must be at least 1 (or null), not {size}")
    return size
