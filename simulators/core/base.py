"""What every simulator shares: a route table, dispatch, error mapping and the control plane.

Layout follows moto: each platform has ``models.py`` (state and the platform's rules),
``responses.py`` (HTTP adapter: parse the request, call the model, format the answer) and a route
table declared with ``@route`` on the adapter. This base only knows about httpx requests.
"""
from __future__ import annotations

import decimal
import re
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, ClassVar, ContextManager, TypeVar

import httpx

from common import jsonio
from common.clock import Clock, ManualClock
from simulators.core import fault_actions, safe
from simulators.core.faults import OBSERVER_HEADER, Facts, FaultPlane, reason
from simulators.core.journal import Journal, JournalEntry

T = TypeVar("T")

# What malformed input makes ordinary Python code raise. Caught at the dispatch boundary and answered
# with the platform's 400 (the cause journaled); any other exception is a real bug and escapes.
BAD_INPUT_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, TypeError, KeyError, decimal.InvalidOperation, RecursionError, OverflowError, UnicodeError)


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


def merchant_action(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a method as something a merchant, marketplace or buyer does outside the API (refund in the
    admin, settle, ship a line, fail a pending refund): the control plane offers it over HTTP as
    ``POST /_sim/actions/<method name>`` with its keyword arguments as a JSON object, typed by its hints."""
    fn.__dict__["merchant_action"] = True
    return fn


def merchant_actions(simulator: Any) -> dict[str, Callable[..., Any]]:
    """The declared merchant actions of ``simulator``, by name, bound to it."""
    return {name: getattr(simulator, name) for name in sorted(dir(type(simulator)))
            if getattr(getattr(type(simulator), name, None), "merchant_action", False) is True}


class RecordClock:
    """The clock a simulator stamps its records with: the World clock plus any clock_skew fault."""

    def __init__(self, simulator: Simulator) -> None:
        self._simulator = simulator

    def now(self) -> datetime:
        sim = self._simulator
        return sim.clock.now() + sim.faults.clock_offset(sim.platform)


class Simulator:
    """Base of every fake. Subclasses set ``platform`` and ``hosts`` and declare routes.

    Handlers receive ``(request, **path_groups)`` and return an ``httpx.Response``. Errors are
    raised as ``SimulatorError`` and rendered by ``error_response`` so every platform answers
    bad input in its own documented shape.
    """

    platform: ClassVar[str] = "abstract"
    routes: ClassVar[list[Route]] = []
    # errors a status fault may name (``error``), each made for the status the rule gives
    fault_errors: ClassVar[dict[str, Callable[[int], SimulatorError]]] = {}

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
        self.use_faults(FaultPlane(seed))
        self.record_clock = RecordClock(self)  # platform models stamp records with it
        self._lock = threading.RLock()
        self.reset(seed)

    def use_faults(self, plane: FaultPlane) -> None:
        """Share a plane (a World's); the plane learns this simulator's operations and named errors."""
        self.faults = plane
        plane.attach(self.platform, {r.handler_name for r in self.routes}, self.fault_errors)

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
        """Answer one request, unless a fault rule says otherwise. Thread-safe: serve mode may call it
        from several threads. A dropped answer is journaled, then raised as an httpx error."""
        body = request.read()
        operation, answer = self._resolve(request)
        rule = None if self.faults.idle or request.headers.get(OBSERVER_HEADER) else self.faults.decide(
            Facts(self.platform, self.tenant_of(request), request.method, request.url.path, operation))
        outcome = fault_actions.Outcome(answer(0.0)) if rule is None else fault_actions.apply(self, rule, request, answer)
        response = outcome.response
        self.journal.record(
            JournalEntry(
                at=self.clock.now(),
                method=request.method,
                url=str(request.url),
                path=request.url.path,
                status=response.status_code if response is not None else 0,
                request_body=body,
                response_body=response.content if response is not None else b"",
                operation=operation,
                fault=rule.describe() if rule else "",
                cause=response.extensions.get("bad_input_cause", "") if response is not None else "",
            )
        )
        if outcome.error is not None:
            raise outcome.error
        assert response is not None
        return response

    def _resolve(self, request: httpx.Request) -> tuple[str, fault_actions.Answer]:
        """The operation (handler name, "" when none matched) and how to answer normally, after ``delay``
        seconds of simulated processing time (a latency fault)."""
        try:
            matched = self._match(request)
        except SimulatorError as err:
            refused = err  # an except target is unbound when the block ends; the closure runs later
            return "", lambda delay: self._after(delay, lambda: self.error_response(
                refused.status, refused.body, refused.headers))
        if matched is None:
            return "", lambda delay: self._after(delay, lambda: self._rendered(lambda: self._no_route(request)))
        handler, groups = matched

        def routed(delay: float) -> httpx.Response:
            def produce() -> httpx.Response:
                # The delay is spent inside the concurrency slot: a slow request holds its slot for its
                # whole duration, as on the real platform, so latency can make others hit the limit.
                with self.concurrency_slot(request):
                    return self._after(delay, lambda: self._dispatch(request, handler, groups))
            return self._rendered(produce)

        return handler.__name__, routed

    def _after(self, delay: float, produce: Callable[[], httpx.Response]) -> httpx.Response:
        if delay:
            self.faults.sleep(delay)
        return produce()

    def concurrency_slot(self, request: httpx.Request) -> ContextManager[None]:
        """Count a routed request against the platform's concurrency limit for as long as it is processed
        (simulated latency included), or raise ``SimulatorError`` when the limit is reached. Platforms with
        a concurrency limit override this; the default has none."""
        return nullcontext()

    def _rendered(self, produce: Callable[[], httpx.Response]) -> httpx.Response:
        try:
            return produce()
        except SimulatorError as err:
            return self.error_response(err.status, err.body, err.headers)
        except BAD_INPUT_ERRORS as exc:
            # Bad input that reached code expecting good input: the platform's 400, never a 500 or a
            # traceback. The journal keeps the Python cause so a real bug here is still visible.
            err = self.bad_request(bad_input_message(exc))
            response = self.error_response(err.status, err.body, err.headers)
            response.extensions["bad_input_cause"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            return response

    def bad_request(self, message: str) -> SimulatorError:
        """The platform's 400 for input it cannot use; platforms override with their own shape."""
        return SimulatorError(400, message)

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

    # --- fault hooks: platforms override what they can tell ---------------------------------------
    def tenant_of(self, request: httpx.Request) -> str | None:
        """The store/shop/merchant/account a request is for (what a connector account calls it), or
        None when the simulator cannot tell."""
        return None

    def injected_error(self, status: int, error: str | None = None) -> SimulatorError:
        """The error a status fault answers with: a named platform error, or the status's reason
        phrase, rendered by ``error_response`` in the platform's own shape."""
        if error is None:
            return SimulatorError(status, reason(status))
        return self.fault_errors[error](status)

    def plan_webhooks(self, due: list[T], tenant: str | None,
                      topic_of: Callable[[T], str]) -> fault_actions.WebhookPlan[T]:
        """Which of ``due`` to send now and in what order, after the webhook fault rules; every
        delivery a rule touched is journaled (method WEBHOOK, path its topic)."""
        plan = fault_actions.plan_webhooks(due, lambda d: self.faults.decide(
            Facts(self.platform, tenant, topic=topic_of(d), webhook=True)))
        for delivery, rule in plan.fired:
            self.journal.record(JournalEntry(at=self.clock.now(), method="WEBHOOK", url="", path=topic_of(delivery),
                                             status=0, request_body=b"", response_body=b"",
                                             operation="deliver_webhooks", fault=rule.describe()))
        return plan

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


def bad_input_message(exc: BaseException) -> str:
    """What a client is told about input that made the simulator's code raise."""
    if isinstance(exc, safe.BadInput):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "the request is nested too deeply"
    if isinstance(exc, UnicodeError):
        return "the request contains text that is not valid Unicode"
    return f"the request has a malformed value ({type(exc).__name__})"


def read_json(request: httpx.Request, on_error: Callable[[str], SimulatorError]) -> Any:
    """Parse a JSON body (numbers as Decimal) with bounded nesting; malformed JSON becomes the platform's 400."""
    raw = request.content
    if not raw:
        raise on_error("the request body is empty; a JSON object is required")
    try:
        return safe.loads(raw)
    except safe.BadInput as exc:
        raise on_error(str(exc)) from None
