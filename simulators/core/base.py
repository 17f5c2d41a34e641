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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ClassVar, ContextManager, TypeVar, Union

import httpx

from common import jsonio
from common.clock import Clock, ManualClock
from simulators.core import fault_actions, listing, safe
from simulators.core.faults import OBSERVER_HEADER, Facts, FaultPlane, FaultRule, reason
from simulators.core.journal import Journal, JournalEntry

T = TypeVar("T")
AnswerOrRefusal = TypeVar("AnswerOrRefusal", bound=Union[httpx.Response, "SimulatorError"])

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


def route(method: str, path_regex: str, *, open: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a handler for METHOD and a full-match path regex with named groups. An ``open`` route
    needs no credentials: its requests skip the simulator's ``authenticate`` (a token endpoint)."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__dict__.setdefault("_routes", []).append((method.upper(), path_regex))
        if open:
            fn.__dict__["open_route"] = True
        return fn

    return mark


@dataclass
class Call:
    """A routed request on its way to its handler, as ``authenticate`` and ``answered`` see it."""

    request: httpx.Request
    operation: str                # the route's handler name
    groups: dict[str, str]        # the path's named groups, the handler's keywords; authenticate may take some out
    tenant: Any = None            # who the request acts for, as authenticate found it
    # added to the handler's successful answer (a rate-limit budget authenticate spent, say)
    headers: dict[str, str] = field(default_factory=dict)


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

    The plumbing is here, once: a routed request is authenticated (``authenticate``, skipped on an
    ``open`` route) under the state lock, its handler gets ``(request, **path_groups)`` plus the tenant
    ``authenticate`` found under ``tenant_keyword``, and returns an ``httpx.Response``. Handlers and
    models raise the platform's own ``error_type``; ``render_error`` turns it into a ``SimulatorError``
    (status, platform-shaped body, headers) and ``error_response`` renders that, so every platform
    answers in its own documented shape. A platform writes its rules in these hooks, not plumbing.
    """

    platform: ClassVar[str] = "abstract"
    routes: ClassVar[list[Route]] = []
    # errors a status fault may name (``error``), each made for the status the rule gives: the platform's
    # error or a ready SimulatorError
    fault_errors: ClassVar[dict[str, Callable[[int], Exception]]] = {}
    # what the platform's models and handlers raise to refuse a request, rendered by ``render_error``
    error_type: ClassVar[type[Exception]] = SimulatorError
    # the keyword handlers get ``authenticate``'s tenant under (``seller``, ``store``); None: none
    tenant_keyword: ClassVar[str | None] = None

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
        self.max_page_size: int | None = None  # set_max_page_size
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

    def set_max_page_size(self, size: int | None) -> None:
        """Cap every listing's page at ``size`` records, whatever page size a client asks for (as the
        real APIs cap ``limit``); None restores the platform's own maximum. Kept across ``reset``, as
        fault rules are. Raises ``ValueError`` naming the problem for anything but None or 1 or more."""
        self.max_page_size = listing.check_page_size(size)

    def page_limit(self, asked: int) -> int:
        """The page size a listing answers with, for a client that asked for ``asked`` (or got the
        platform's default): never more than ``max_page_size``, except to the harness looking at what
        happened (a request with the observer header), which reads every listing whole."""
        return asked if self.max_page_size is None or listing.observing() else min(asked, self.max_page_size)

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
        observer = bool(request.headers.get(OBSERVER_HEADER))
        rule = None if self.faults.idle or observer else self.faults.decide(
            Facts(self.platform, self.tenant_of(request), request.method, request.url.path, operation))
        with listing.observed() if observer else nullcontext():
            outcome = (fault_actions.Outcome(answer(0.0)) if rule is None
                       else fault_actions.apply(rule, request, answer, lambda fired: self._injected(fired, request),
                                                self.record_clock.now))
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
                fault_action=rule.action if rule else None,
                cause=response.extensions.get("bad_input_cause", "") if response is not None else "",
            )
        )
        if outcome.error is not None:
            raise outcome.error
        assert response is not None
        return response

    def operation_of(self, request: httpx.Request) -> str:
        """The operation this request would be journaled as (its route handler name, "" when none
        matches), without answering it. The request's body must have been read."""
        return self._resolve(request)[0]

    def _resolve(self, request: httpx.Request) -> tuple[str, fault_actions.Answer]:
        """The operation (handler name, "" when none matched) and how to answer normally, after ``delay``
        seconds of simulated processing time (a latency fault)."""
        try:
            matched = self._match(request)
            if matched is None:
                raise self.no_route(request)
        except (SimulatorError, self.error_type) as err:
            refused = self._http_error(err, request)  # an except target is unbound when the block ends
            return "", lambda delay: self._after(delay, lambda: self.error_response(
                refused.status, refused.body, refused.headers))
        handler, groups = matched

        def routed(delay: float) -> httpx.Response:
            def produce() -> httpx.Response:
                # The delay is spent inside the concurrency slot: a slow request holds its slot for its
                # whole duration, as on the real platform, so latency can make others hit the limit.
                with self.concurrency_slot(request):
                    return self._after(delay, lambda: self._dispatch(request, handler, groups))
            return self._rendered(request, produce)

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

    def _rendered(self, request: httpx.Request, produce: Callable[[], httpx.Response]) -> httpx.Response:
        try:
            return produce()
        except (SimulatorError, self.error_type) as exc:
            err = self._http_error(exc, request)
            return self.error_response(err.status, err.body, err.headers)
        except BAD_INPUT_ERRORS as exc:
            # Bad input that reached code expecting good input: the platform's 400, never a 500 or a
            # traceback. The journal keeps the Python cause so a real bug here is still visible.
            err = self._http_error(self.bad_request(bad_input_message(exc)), request)
            response = self.error_response(err.status, err.body, err.headers)
            response.extensions["bad_input_cause"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            return response

    def _http_error(self, err: BaseException, request: httpx.Request) -> SimulatorError:
        return err if isinstance(err, SimulatorError) else self.render_error(err, request)

    def _injected(self, rule: FaultRule, request: httpx.Request) -> httpx.Response:
        """The answer of a status fault rule, in the platform's error shape."""
        err = self._http_error(self.injected_error(rule.status or 500, rule.error), request)
        headers = dict(err.headers)
        if rule.retry_after is not None:
            headers["Retry-After"] = f"{rule.retry_after:g}"
        return self.error_response(err.status, err.body, headers)

    __call__ = handle

    def _dispatch(self, request: httpx.Request, handler: Callable[..., httpx.Response],
                  groups: dict[str, str]) -> httpx.Response:
        """Run a routed request's handler under the state lock: authenticated first unless its route is
        open, given the tenant, its refusals (the platform's error or a SimulatorError) made answers."""
        call = Call(request, handler.__name__, dict(groups))
        with self._lock:
            try:
                call.tenant = None if getattr(handler, "open_route", False) else self.authenticate(call)
            except self.error_type as err:
                raise self._http_error(err, request) from None
            keywords = dict(call.groups)
            if call.tenant is not None and self.tenant_keyword is not None:
                keywords[self.tenant_keyword] = call.tenant
            try:
                response = handler(request, **keywords)
            except (SimulatorError, self.error_type) as err:
                raise self.answered(call, self._http_error(err, request)) from None
            response.headers.update(call.headers)
            return self.answered(call, response)

    # --- the platform's rules: what a platform declares instead of plumbing ----------------------
    def authenticate(self, call: Call) -> Any:
        """Admit a routed request (its credentials, and whatever else the platform checks before any
        handler runs), under the state lock: return its tenant (handed to the handler as
        ``tenant_keyword``; None: nothing), or raise the platform's error to refuse it. May take the path
        groups naming the tenant out of ``call.groups`` and add headers to stamp on its answer. The
        default admits everything."""
        return None

    def render_error(self, err: Exception, request: httpx.Request) -> SimulatorError:
        """The platform's ``error_type`` as an answer: status, platform-shaped body and headers."""
        raise NotImplementedError(f"{type(self).__name__} raises {type(err).__name__} but renders none")

    def answered(self, call: Call, answer: AnswerOrRefusal) -> AnswerOrRefusal:
        """The last look, under the state lock, at what an admitted request's handler answered (a response)
        or refused with (a SimulatorError): add what every such answer carries. The default keeps it."""
        return answer

    def no_route(self, request: httpx.Request) -> Exception:
        """The platform's error for a path no route matches."""
        return SimulatorError(404, f"no such endpoint: {request.method} {request.url.path}")

    def bad_request(self, message: str) -> Exception:
        """The platform's 400 for input it cannot use (its error, or a ready SimulatorError)."""
        return SimulatorError(400, message)

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

    # --- fault hooks: platforms override what they can tell ---------------------------------------
    def tenant_of(self, request: httpx.Request) -> str | None:
        """The store/shop/merchant/account a request is for (what a connector account calls it), or
        None when the simulator cannot tell."""
        return None

    def injected_error(self, status: int, error: str | None = None) -> Exception:
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
                                             operation="deliver_webhooks", fault=rule.describe(),
                                             fault_action=rule.action))
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


def sent_as_json(request: httpx.Request) -> bool:
    """Whether the request's Content-Type says its body is JSON (media types are case-insensitive)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def read_json(request: httpx.Request, on_error: Callable[[str], Exception], *,
              not_json: Callable[[str | None], Exception] | None = None) -> Any:
    """Parse a JSON body (numbers as Decimal) with bounded nesting; malformed JSON becomes the platform's 400.
    ``not_json``: how the platform refuses a body whose Content-Type is missing (None) or not JSON,
    given the header's value; without it the header is not looked at."""
    if not_json is not None and not sent_as_json(request):
        raise not_json(request.headers.get("content-type"))
    raw = request.content
    if not raw:
        raise on_error("the request body is empty; a JSON object is required")
    try:
        return safe.loads(raw)
    except safe.BadInput as exc:
        raise on_error(str(exc)) from None
