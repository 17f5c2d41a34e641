"""What every simulator shares: a route table, dispatch, error mapping and the control plane.

Layout follows moto: each platform has ``models.py`` (state and the platform's rules),
``responses.py`` (HTTP adapter: parse the request, call the model, format the answer) and a route
table declared with ``@route`` on the adapter. This base only knows about httpx requests.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import httpx

from common import jsonio
from common.clock import Clock, ManualClock
from simulators.core.journal import Journal, JournalEntry


class SimulatorError(Exception):
    """Raised anywhere inside a handler to answer with the platform's own error shape."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler_name: str


def route(method: str, path_regex: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a handler for METHOD and a full-match path regex with named groups."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__dict__.setdefault("_routes", []).append((method.upper(), path_regex))
        return fn

    return mark


class Simulator:
    """Base of every fake. Subclasses set ``platform`` and ``hosts`` and declare routes.

    Handlers receive ``(request, **path_groups)`` and return an ``httpx.Response``. Errors are
    raised as ``SimulatorError`` and rendered by ``error_response`` so every platform answers
    bad input in its own documented shape.
    """

    platform: ClassVar[str] = "abstract"
    routes: ClassVar[list[Route]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: list[Route] = []
        for klass in reversed(cls.__mro__):
            for name, member in vars(klass).items():
                for method, regex in getattr(member, "_routes", []):
                    table.append(Route(method, re.compile(regex), name))
        cls.routes = table

    def __init__(self, *, hosts: list[str], clock: Clock | None = None, seed: int = 0) -> None:
        self.hosts = [h.lower() for h in hosts]
        self.clock: Clock = clock or ManualClock()
        self.journal = Journal()
        self.seed = seed
        self._lock = threading.RLock()
        self.reset(seed)

    # --- control plane -------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Forget all state and journal; ids restart from the (new) seed."""
        with self._lock:
            if seed is not None:
                self.seed = seed
            self.journal.clear()
            self._reset_state(self.seed)

    def _reset_state(self, seed: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def client_credentials(self) -> dict[str, str]:
        """What a client needs to call this fake, under the platform's own names (serve manifest)."""
        return {}

    # --- HTTP ----------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request. Thread-safe: serve mode may call it from several threads."""
        body = request.read()
        operation = ""
        try:
            matched = self._match(request)
            if matched is None:
                response = self._no_route(request)
            else:
                handler, groups = matched
                operation = handler.__name__
                response = self._dispatch(request, handler, groups)
        except SimulatorError as err:
            response = self.error_response(err.status, err.body, err.headers)
        self.journal.record(
            JournalEntry(
                at=self.clock.now(),
                method=request.method,
                url=str(request.url),
                path=request.url.path,
                status=response.status_code,
                request_body=body,
                response_body=response.content,
                operation=operation,
            )
        )
        return response

    __call__ = handle

    def _dispatch(self, request: httpx.Request, handler: Callable[..., httpx.Response],
                  groups: dict[str, str]) -> httpx.Response:
        """Hook for platform-wide checks (auth, rate limits) around every routed call."""
        with self._lock:
            return handler(request, **groups)

    def _match(self, request: httpx.Request) -> tuple[Callable[..., httpx.Response], dict[str, str]] | None:
        path = request.url.path
        allowed = []
        for r in self.routes:
            m = r.pattern.fullmatch(path)
            if m:
                if r.method == request.method:
                    return getattr(self, r.handler_name), m.groupdict()
                allowed.append(r.method)
        if allowed:
            raise SimulatorError(405, f"{request.method} is not allowed on {path}; use {', '.join(sorted(set(allowed)))}")
        return None

    def _no_route(self, request: httpx.Request) -> httpx.Response:
        raise SimulatorError(404, f"no such endpoint: {request.method} {request.url.path}")

    def error_response(self, status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
        """Render an error in the platform's shape. Subclasses override; ``body`` may be a
        ready-made dict (already platform-shaped) or a plain message."""
        payload = body if isinstance(body, (dict, list)) else {"error": str(body)}
        return json_response(status, payload, headers)


# --- helpers shared by the HTTP adapters ---------------------------------------------------

def json_response(status: int, payload: Any, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> httpx.Response:
    merged = {"content-type": content_type}
    merged.update(headers or {})
    return httpx.Response(status, content=jsonio.dumps(payload).encode(), headers=merged)


def read_json(request: httpx.Request, on_error: Callable[[str], SimulatorError]) -> Any:
    """Parse a JSON body (numbers as Decimal); malformed JSON becomes the platform's 400."""
    raw = request.content
    if not raw:
        raise on_error("the request body is empty; a JSON object is required")
    try:
        return jsonio.loads(raw)
    except ValueError as exc:
        raise on_error(f"the request body is not valid JSON: {exc}") from None
