"""Injectable time. Production code asks a Clock; tests hand it a ManualClock and advance it
instead of sleeping, so a 90-minute schedule runs in microseconds and replays exactly."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to. Thread-safe so serve mode can share it."""

    DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def __init__(self, start: datetime | None = None) -> None:
        start = start or self.DEFAULT_START
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime (UTC)")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = forward(delta, kwargs)
        with self._lock:
            self._now += step
            return self._now


def forward(delta: timedelta | None, kwargs: dict[str, float]) -> timedelta:
    """A step of ``advance``: ``delta``, or a timedelta of ``kwargs``; never backwards."""
    step = delta if delta is not None else timedelta(**kwargs)
    if step < timedelta(0):
        raise ValueError("time only moves forward")
    return step


class WallClock(ManualClock):
    """The wall clock, moved forward by whatever it was told to advance: what an outside process
    signing with its own clock agrees with (serve mode), while a schedule can still be brought due."""

    def __init__(self, wall: Clock | None = None) -> None:
        self._wall = wall or SystemClock()
        self._ahead = timedelta(0)
        self._lock = threading.Lock()

    @property
    def ahead(self) -> timedelta:
        """How far it has been advanced past the wall clock."""
        with self._lock:
            return self._ahead

    def now(self) -> datetime:
        with self._lock:
            return self._wall.now() + self._ahead

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = forward(delta, kwargs)
        with self._lock:
            self._ahead += step
            return self._wall.now() + self._ahead


def isoformat(moment: datetime) -> str:
    """UTC ISO-8601 with a Z suffix, as the storefront APIs write it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value
