"""The HTTP control plane of a served simulator, under ``/_sim/``; everything else goes to the
simulator's own ``handle``. Each operation is also a Python method, so tests and the CLI share it.

Bad input answers a 4xx ``{"error": "..."}`` naming the problem; operations a simulator does not
offer (webhooks where a platform sends none, settings on a fake without any) answer 404 saying so.
"""
from __future__ import annotations

import dataclasses
import inspect
import typing
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable

import httpx

from common import jsonio
from common.clock import ManualClock, isoformat
from simulators.core.base import Simulator, json_response, merchant_actions
from simulators.core.faults import BadRule, FaultRule
from simulators.core.orders import OrderSpec, price_order
from simulators.serve.guard import ControlGuard
from simulators.serve.typed import BadInput, changes_for, convert, from_json

CONTROL_PREFIX = "/_sim"


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class InventoryItemSpec:
    sku: str
    name: str
    price: Decimal


@dataclass(frozen=True)
class NamedSpec:
    name: str


@dataclass(frozen=True)
class SeedKind:
    """One kind of record ``POST /_sim/seed`` can add, and the simulator method that adds it."""
    spec: type
    method: str
    render: Callable[[Any], Any]
    spread: bool = False  # call method(**fields) rather than method(spec)
    check: Callable[[Any], Any] = lambda spec: None  # raises ValueError before anything is added


def _order_result(made: Any) -> dict[str, Any]:
    # a simulator answers the order, or the order and the payment that paid it
    return {"order": made[0], "payment": made[1]} if isinstance(made, tuple) else {"order": made}


SEED_KINDS = {
    "orders": SeedKind(OrderSpec, "add_order", _order_result, check=price_order),
    "inventory_items": SeedKind(InventoryItemSpec, "add_inventory_item", lambda made: {"id": made}, spread=True),
    "other_charge_items": SeedKind(NamedSpec, "add_other_charge_item", lambda made: {"id": made}, spread=True),
    "payment_methods": SeedKind(NamedSpec, "add_payment_method", lambda made: {"id": made}, spread=True),
}


def _is_refusal(exc: Exception) -> bool:
    """A bad-input refusal by a model (ValueError, or a platform error carrying a 4xx status), as
    opposed to a bug, which should still surface as a 500."""
    status = getattr(exc, "status", None)
    return isinstance(exc, (ValueError, KeyError)) or (isinstance(status, int) and 400 <= status < 500)


def journal_json(simulator: Simulator) -> list[dict[str, Any]]:
    return [{"at": isoformat(e.at), "method": e.method, "url": e.url, "path": e.path, "status": e.status,
             "operation": e.operation, "fault": e.fault, "request_body": e.request_body.decode("utf-8", "replace"),
             "response_body": e.response_body.decode("utf-8", "replace")}
            for e in simulator.journal.entries()]


def delivery_json(delivery: Any) -> dict[str, Any]:
    return {"webhook_id": delivery.webhook_id, "topic": delivery.topic, "address": delivery.address,
            "status_code": delivery.status_code, "delivered": delivery.delivered,
            "attempts": [{"at": isoformat(a.at), "status_code": a.status_code, "error": a.error}
                         for a in delivery.attempts]}


def _type_name(hint: Any) -> str:
    if hint is None:
        return "any"
    if isinstance(hint, type) and not typing.get_args(hint):
        return hint.__name__
    return str(hint).replace("typing.", "").replace("decimal.Decimal", "Decimal")


def _as_json(value: Any) -> Any:
    """A merchant action's result as JSON: dataclasses as objects, everything else as it is."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [_as_json(v) for v in value]
    return value


class ControlPlane:
    """A simulator served with its control plane. ``handle`` is what the ASGI adapter serves."""

    def __init__(self, simulator: Simulator, guard: ControlGuard | None = None) -> None:
        """``guard``: who may use ``/_sim`` over HTTP (serve mode always sets one); without it the
        endpoints answer anyone, as in-process callers need."""
        self.simulator = simulator
        self.guard = guard
        self._routes: dict[tuple[str, str], Callable[[httpx.Request], Any]] = {
            ("GET", ""): lambda r: self.describe(),
            ("POST", "/reset"): lambda r: self.reset(self._body(r, optional=True).get("seed")),
            ("POST", "/seed"): lambda r: self.seed(self._body(r)),
            ("GET", "/journal"): lambda r: {"requests": self.journal()},
            ("GET", "/clock"): lambda r: {"now": isoformat(self.clock().now())},
            ("POST", "/clock/advance"): lambda r: {"now": isoformat(self.advance_clock(self._body(r).get("seconds")))},
            ("POST", "/webhooks/deliver"): lambda r: {"deliveries": self.deliver_webhooks()},
            ("GET", "/settings"): lambda r: {"settings": self.settings()},
            ("PATCH", "/settings"): lambda r: {"settings": self.update_settings(self._body(r))},
            ("GET", "/credentials"): lambda r: {"credentials": self.simulator.client_credentials()},
            ("GET", "/page_size"): lambda r: {"max_page_size": self.simulator.max_page_size},
            ("PUT", "/page_size"): lambda r: {"max_page_size": self.set_page_size(self._body(r))},
            ("GET", "/faults"): lambda r: {"rules": self.faults()},
            ("POST", "/faults"): lambda r: {"rule": self.add_fault(self._body(r))},
            ("DELETE", "/faults"): lambda r: {"removed": self.clear_faults()},
            ("DELETE", "/faults/{id}"): lambda r: {"removed": [self.remove_fault(r.url.path.rsplit("/", 1)[-1])]},
            ("GET", "/actions"): lambda r: {"actions": self.actions()},
            ("GET", "/login_audit"): lambda r: {"failures": self.login_audit()},
            ("POST", "/actions/{id}"): lambda r: {"result": self.act(r.url.path.rsplit("/", 1)[-1],
                                                                    self._body(r, optional=True))},
        }

    # --- HTTP --------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path != CONTROL_PREFIX and not path.startswith(CONTROL_PREFIX + "/"):
            return self.simulator.handle(request)
        refusal = self.guard.refusal(request) if self.guard is not None else None
        if refusal is not None:
            response = json_response(refusal.status, {"error": refusal.message})
            response.headers.update(refusal.headers)
            return response
        operation = path[len(CONTROL_PREFIX):].rstrip("/")
        try:
            action = self._routes.get((request.method, operation)) or self._routes.get(
                (request.method, operation.rsplit("/", 1)[0] + "/{id}"))
            if action is None:
                raise self._no_route(request.method, operation)
            return json_response(200, action(request))
        except ControlError as err:
            return json_response(err.status, {"error": err.message})
        except BadInput as err:
            return json_response(400, {"error": str(err)})

    __call__ = handle

    def _no_route(self, method: str, operation: str) -> ControlError:
        allowed = sorted(m for (m, op) in self._routes if op == operation)
        if allowed:
            return ControlError(405, f"{method} is not allowed on {CONTROL_PREFIX}{operation}; use {', '.join(allowed)}")
        known = ", ".join(f"{m} {CONTROL_PREFIX}{op}" for m, op in self._routes)
        return ControlError(404, f"no control endpoint {method} {CONTROL_PREFIX}{operation}; endpoints: {known}")

    @staticmethod
    def _body(request: httpx.Request, optional: bool = False) -> dict[str, Any]:
        if not request.content:
            if optional:
                return {}
            raise BadInput("the request body is empty; send a JSON object")
        try:
            body = jsonio.loads(request.content)
        except ValueError as exc:
            raise BadInput(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise BadInput("the request body must be a JSON object")
        return body

    # --- operations, callable from Python ------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {"platform": self.simulator.platform, "hosts": self.simulator.hosts,
                "endpoints": [f"{m} {CONTROL_PREFIX}{op}" for m, op in self._routes]}

    def reset(self, seed: Any = None) -> dict[str, Any]:
        if seed is not None:
            seed = convert(seed, int, "seed")
            if seed < 0:
                raise BadInput(f"seed must be 0 or more, not {seed}")
        self.simulator.reset(seed)
        return {"seed": self.simulator.seed, "credentials": self.simulator.client_credentials()}

    def seed(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add records (all entries checked before any is added): ``{"orders": [order spec, ...]}`` on
        a storefront, ``{"inventory_items": [...], "other_charge_items": [...], "payment_methods": [...]}``
        on NetSuite."""
        offered = [name for name, kind in SEED_KINDS.items() if hasattr(self.simulator, kind.method)]
        if not body:
            raise BadInput(f"nothing to seed; {self.simulator.platform} takes {', '.join(offered)}")
        refused = sorted(set(body) - set(offered))
        if refused:
            raise BadInput(f"{self.simulator.platform} cannot seed {', '.join(refused)}; it takes {', '.join(offered)}")
        planned = []
        for name, entries in body.items():
            if not isinstance(entries, list):
                raise BadInput(f"{name} must be a list")
            kind = SEED_KINDS[name]
            for i, entry in enumerate(entries):
                spec = from_json(kind.spec, entry, f"{name}[{i}]")
                try:
                    kind.check(spec)
                except ValueError as exc:
                    raise BadInput(f"{name}[{i}]: {exc}") from None
                planned.append((name, i, kind, spec))
        made: dict[str, list[Any]] = {name: [] for name in body}
        for added, (name, i, kind, spec) in enumerate(planned):
            add = getattr(self.simulator, kind.method)
            try:
                result = add(**dataclasses.asdict(spec)) if kind.spread else add(spec)
            except Exception as exc:  # noqa: BLE001 - a refusal of the simulator's own rules is the client's 4xx
                if not _is_refusal(exc):
                    raise
                before = "1 entry before it was" if added == 1 else f"{added} entries before it were"
                raise BadInput(f"{name}[{i}] was refused ({exc}); {before} added") from None
            made[name].append(kind.render(result))
        return made

    def actions(self) -> list[dict[str, Any]]:
        """What a merchant, marketplace or buyer can do here, each with its parameters and their types."""
        described = []
        for name, method in merchant_actions(self.simulator).items():
            hints = typing.get_type_hints(method)
            params = [{"name": p.name, "type": _type_name(hints.get(p.name)),
                       "required": p.default is inspect.Parameter.empty}
                      for p in inspect.signature(method).parameters.values()]
            summary = (inspect.getdoc(method) or "").split("\n\n")[0].replace("\n", " ")
            described.append({"name": name, "parameters": params, "summary": summary})
        return described

    def act(self, name: str, body: dict[str, Any]) -> Any:
        """Do the merchant action ``name`` with the keyword arguments in ``body`` (typed by its hints)."""
        found = merchant_actions(self.simulator)
        if name not in found:
            raise ControlError(404, f"{self.simulator.platform} has no action {name!r}; actions: "
                                    f"{', '.join(found) or 'none'}")
        method = found[name]
        hints = typing.get_type_hints(method)
        params = inspect.signature(method).parameters
        unknown = sorted(set(body) - set(params))
        if unknown:
            raise BadInput(f"{name} has no parameter(s) {', '.join(unknown)}; it takes {', '.join(params)}")
        missing = [p for p, spec in params.items() if spec.default is inspect.Parameter.empty and p not in body]
        if missing:
            raise BadInput(f"{name} needs {', '.join(missing)}")
        kwargs = {key: convert(value, hints.get(key, Any), key) for key, value in body.items()}
        try:
            result = method(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a refusal of the platform's own rules is the client's 4xx
            if not _is_refusal(exc):
                raise
            status = getattr(exc, "status", 400)
            raise ControlError(status if isinstance(status, int) and 400 <= status < 500 else 400,
                               f"{name} was refused: {exc}") from None
        return _as_json(result)

    def journal(self) -> list[dict[str, Any]]:
        return journal_json(self.simulator)

    def login_audit(self) -> list[dict[str, Any]]:
        """NetSuite's Login Audit Trail: each request refused at login, with why (the answer itself
        stays NetSuite's bare INVALID_LOGIN). Oldest first."""
        failures = getattr(self.simulator, "login_failures", None)
        if failures is None:
            raise ControlError(404, f"{self.simulator.platform} keeps no login audit trail")
        return [{"at": isoformat(f.at), "consumer_key": f.consumer_key, "token_id": f.token_id, "reason": f.reason}
                for f in failures()]

    def clock(self) -> ManualClock:
        clock = self.simulator.clock
        if not isinstance(clock, ManualClock):
            raise ControlError(409, "this simulator runs on the system clock, which cannot be advanced")
        return clock

    def advance_clock(self, seconds: Any) -> Any:
        """Move the clock (shared by every simulator of a World) forward; returns the new time."""
        if seconds is None:
            raise BadInput('send {"seconds": <number of seconds to move forward>}')
        step = convert(seconds, float, "seconds")
        if step < 0:
            raise BadInput(f"seconds must be 0 or more (time only moves forward), not {seconds}")
        return self.clock().advance(timedelta(seconds=step))

    def deliver_webhooks(self) -> list[dict[str, Any]]:
        deliver = getattr(self.simulator, "deliver_webhooks", None)
        if deliver is None:
            raise ControlError(404, f"{self.simulator.platform} sends no webhooks")
        return [delivery_json(d) for d in deliver()]

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules that apply to this simulator, in evaluation order."""
        return [rule.as_json() for rule in self.simulator.faults.rules(self.simulator.platform)]

    def add_fault(self, body: dict[str, Any]) -> dict[str, Any]:
        """Append a rule; its simulator defaults to this one (another's name is refused)."""
        name = self.simulator.platform
        if body.get("simulator", name) != name:
            raise BadInput(f"simulator must be {name!r} on this control plane, not {body['simulator']!r}")
        if isinstance(body.get("operation"), str):
            body = {**body, "operation": [body["operation"]]}
        given_bookkeeping = sorted({"id", "fired", "seen"} & set(body))
        if given_bookkeeping:
            raise BadInput(f"rule.{given_bookkeeping[0]} is set by the simulator, not by a client")
        if "action" not in body:
            raise BadInput("action is required: one of the fault actions (see GET /_sim)")
        try:
            rule = from_json(FaultRule, {**body, "simulator": name}, "rule")
            return self.simulator.faults.add(rule).as_json()
        except BadRule as exc:
            raise BadInput(f"bad fault rule: {exc}") from None

    def remove_fault(self, rule_id: str) -> dict[str, Any]:
        try:
            return self.simulator.faults.remove(rule_id).as_json()
        except KeyError as exc:
            raise ControlError(404, exc.args[0]) from None

    def clear_faults(self) -> list[dict[str, Any]]:
        return [rule.as_json() for rule in self.simulator.faults.clear(self.simulator.platform)]

    def set_page_size(self, body: dict[str, Any]) -> int | None:
        """``{"max_page_size": N}``: every listing of this simulator answers at most N records a page,
        whatever page size a client asks for; ``{"max_page_size": null}`` lifts the cap."""
        unknown = sorted(set(body) - {"max_page_size"})
        if unknown or "max_page_size" not in body:
            raise BadInput('send {"max_page_size": <whole number of at least 1, or null>}'
                           + (f"; {', '.join(unknown)} is not a page-size field" if unknown else ""))
        try:
            self.simulator.set_max_page_size(body["max_page_size"])
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        return self.simulator.max_page_size

    def _settings_object(self) -> Any:
        settings = getattr(self.simulator, "settings", None)
        if settings is None or not dataclasses.is_dataclass(settings):
            raise ControlError(404, f"{self.simulator.platform} has no settings")
        return settings

    def settings(self) -> dict[str, Any]:
        return dataclasses.asdict(self._settings_object())

    def update_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        settings = self._settings_object()
        changes = changes_for(settings, body)  # every field checked before any is set
        with self.simulator._lock:  # noqa: SLF001 - the simulator's own lock guards its settings
            for name, value in changes.items():
                setattr(settings, name, value)
        return self.settings()
