"""A connector worker that stalls in the middle of a scheduled run, holding whatever it claimed.

From the ledger and from the remote systems, a worker whose process died and one that froze (a paused
VM, a network partition) look the same: its claim stays and it sends nothing more. Other workers
cannot tell which it is, which is why a claim has a lease: until the lease runs out the worker may
still come back and send, so nobody else may; after it, another worker takes the refund over.

The stalled worker is a second connector built from the factory under test, on the same work
directory, whose HTTP client holds its first request for a given operation before that request
reaches the simulator. When the World closes the request is let go as a connection error, and so is
every later request of that worker: nothing it sends after its "death" reaches anyone.
"""
from __future__ import annotations

import threading
from typing import Callable

import httpx

from harness import seam

STALL_TIMEOUT_S = 30   # how long a step waits for the worker to reach the request it stalls at


class _StallingTransport(httpx.BaseTransport):
    def __init__(self, http: httpx.Client, stalls_at: Callable[[httpx.Request], bool]) -> None:
        self._http = http
        self._stalls_at = stalls_at
        self.stalled = threading.Event()   # the worker is held at the request
        self.settled = threading.Event()   # ... or its run ended without reaching it
        self.released = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if not self.released.is_set() and not self.stalled.is_set() and self._stalls_at(request):
            self.stalled.set()
            self.settled.set()
            self.released.wait()
        if self.released.is_set():
            raise httpx.ConnectError("the stalled connector worker is gone; nothing it sends arrives", request=request)
        response = self._http.send(request)
        return httpx.Response(response.status_code, headers=response.headers, content=response.read())


class StalledWorker:
    """Runs ``run_scheduled`` of a connector built by ``build`` in a thread of its own until its first
    request ``stalls_at`` accepts; ``what`` names that request in messages."""

    def __init__(self, build: Callable[[httpx.Client], seam.ConnectorUnderTest], http: httpx.Client,
                 stalls_at: Callable[[httpx.Request], bool], what: str) -> None:
        self._transport = _StallingTransport(http, stalls_at)
        self._client = httpx.Client(transport=self._transport)
        self._what = what
        self._failure: BaseException | None = None
        self.connector = build(self._client)
        self._thread = threading.Thread(target=self._run, name="stalled-connector-worker", daemon=True)

    def _run(self) -> None:
        try:
            self.connector.run_scheduled()
        except BaseException as exc:   # reported by start(), in the scenario's thread
            self._failure = exc
        finally:
            self._transport.settled.set()

    def start(self) -> None:
        """Start the worker's scheduled run and return once it is held at the request."""
        self._thread.start()
        if not self._transport.settled.wait(STALL_TIMEOUT_S):
            raise AssertionError(f"the second connector worker neither sent a request to {self._what} nor finished "
                                 f"its scheduled run within {STALL_TIMEOUT_S} s")
        if not self._transport.stalled.is_set():
            why = f": its run failed with {self._failure!r}" if self._failure else ""
            raise AssertionError(f"the second connector worker finished its scheduled run without sending a request "
                                 f"to {self._what}{why}")

    @property
    def live(self) -> bool:
        """Still holding its request: to every other worker, one that may yet act on what it claimed."""
        return not self._transport.released.is_set()

    def close(self) -> None:
        """Let the held request go (as a connection error), wait for the worker's run to end, close it."""
        self._transport.released.set()
        self._thread.join(timeout=STALL_TIMEOUT_S)
        try:
            self.connector.close()
        finally:
            self._client.close()
