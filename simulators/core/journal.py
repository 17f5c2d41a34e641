"""The request journal of a simulator's control plane: what was asked and what was answered."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from simulators.core.faults import FaultAction


@dataclass(frozen=True)
class JournalEntry:
    at: datetime
    method: str
    url: str
    path: str
    status: int
    request_body: bytes
    response_body: bytes
    operation: str  # the handler that answered, or "" when no route matched
    fault: str = ""  # the fault rule that fired on it, for people ("f2 status 503"); status 0: no answer was sent
    fault_action: FaultAction | None = None  # what that rule did, for code
    cause: str = ""  # the Python exception bad input raised, answered as the platform's 400 ("ValueError: ...")


class Journal:
    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, method: str | None = None, path_contains: str | None = None) -> list[JournalEntry]:
        with self._lock:
            found = list(self._entries)
        if method:
            found = [e for e in found if e.method == method.upper()]
        if path_contains:
            found = [e for e in found if path_contains in e.path]
        return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
