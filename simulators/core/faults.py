"""The fault plane: rules that make a simulator misbehave on purpose, evaluated before it answers.

A ``FaultRule`` says which requests (or webhook deliveries) it applies to, when it fires and what
happens then. A ``FaultPlane`` holds an ordered list of rules; the first rule that matches *and
fires* applies (a rule that matches but does not fire this time lets the next one decide). A World
shares one plane between all its simulators; a simulator on its own has a plane of its own.

Firing is replayable: a probability rule draws from its own ``random.Random`` seeded with the
plane's seed and the rule's id, so the same rules added in the same order fire the same way.
"""
from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, fields
from datetime import timedelta
from enum import StrEnum
from http import HTTPStatus
from typing import Any, Callable, Iterable

class FaultAction(StrEnum):
    """What a fired rule does. The values are the control plane's and the feature files' names."""

    STATUS = "status"
    LATENCY = "latency"
    TIMEOUT = "timeout"
    RESET = "reset"
    LOST_ANSWER = "lost_answer"
    TRUNCATED = "truncated"
    LISTING_LAG = "listing_lag"
    WEBHOOK_TWICE = "webhook_twice"
    WEBHOOK_OUT_OF_ORDER = "webhook_out_of_order"
    WEBHOOK_NEVER = "webhook_never"
    CLOCK_SKEW = "clock_skew"


# A request action decides how one request is answered.
REQUEST_ACTIONS = (FaultAction.STATUS, FaultAction.LATENCY, FaultAction.TIMEOUT, FaultAction.RESET,
                   FaultAction.LOST_ANSWER, FaultAction.TRUNCATED, FaultAction.LISTING_LAG)
# A webhook action decides how one outbound webhook delivery is sent.
WEBHOOK_ACTIONS = (FaultAction.WEBHOOK_TWICE, FaultAction.WEBHOOK_OUT_OF_ORDER, FaultAction.WEBHOOK_NEVER)
# A standing action applies while the rule exists: records are stamped with a skewed clock.
STANDING_ACTIONS = (FaultAction.CLOCK_SKEW,)
ACTIONS = tuple(FaultAction)

PASS, FAIL = "pass", "fail"
# A request carrying this header is the harness looking at a simulator to check what happened: faults
# never apply to it, so a rule meant for the system under test is neither spent nor fired on a check.
OBSERVER_HEADER = "X-Refund-Harness-Observer"
LOST_ANSWER_AS = ("timeout", "reset")
DEFAULT_TIMEOUT_HOLD = 30.0  # serve mode: how long an unanswered request is held if the client never gives up

_REQUEST_SCOPE = ("method", "path", "operation")
_FIRING = ("times", "probability", "sequence")


class BadRule(ValueError):
    """A rule the plane refuses; the message names the field and the problem."""


@dataclass
class FaultRule:
    action: FaultAction   # a plain name is accepted and converted (the control plane sends one)
    # --- scope: every field given must match (None / empty: any) ---
    simulator: str | None = None          # system name: "netsuite" or a platform name
    method: str | None = None             # HTTP method
    path: str | None = None               # regex searched in the URL path
    operation: tuple[str, ...] = ()       # route handler names (what the journal records as operation)
    tenant: str | None = None             # store / shop / merchant location / account the request is for
    topic: str | None = None              # webhook actions: the delivery's topic
    # --- firing: at most one; none means every match ---
    times: int | None = None              # the next N matches
    probability: float | None = None      # each match with this probability (seeded)
    sequence: tuple[str, ...] = ()        # "fail"/"pass" per match, consumed in order (or cycled)
    cycle: bool = False
    # --- action parameters ---
    status: int | None = None             # status: the HTTP status
    retry_after: float | None = None      # status: a Retry-After header (seconds); None sends none
    error: str | None = None              # status: a named platform error (simulator.fault_errors)
    seconds: float | None = None          # latency: the delay; timeout: serve-mode hold; clock_skew: offset;
                                          # listing_lag: how far behind the simulator's writes a listing is
    lost_as: str = "timeout"              # lost_answer: what the client sees instead ("timeout" or "reset")
    keep_bytes: int | None = None         # truncated: bytes of the body sent (default half)
    # --- bookkeeping (set by the plane) ---
    id: str = ""
    fired: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.operation, str):
            self.operation = (self.operation,)
        self.operation = tuple(self.operation)
        self.sequence = tuple(self.sequence)
        if self.method is not None:
            self.method = self.method.upper()
        self._check()

    # --- validation ---------------------------------------------------------------------------
    def _check(self) -> None:
        try:
            self.action = FaultAction(self.action)
        except ValueError:
            raise BadRule(f"action must be one of {', '.join(ACTIONS)}, not {self.action!r}") from None
        if self.path is not None:
            try:
                re.compile(self.path)
            except re.error as exc:
                raise BadRule(f"path is not a valid regular expression ({exc}): {self.path!r}") from None
        self._check_scope()
        self._check_firing()
        self._check_parameters()

    def _refuse_given(self, names: Iterable[str], why: str) -> None:
        for name in names:
            if getattr(self, name) not in (None, (), False):
                raise BadRule(f"{name} does not apply to a {self.action} rule: {why}")

    def _check_scope(self) -> None:
        if self.action in WEBHOOK_ACTIONS:
            self._refuse_given(_REQUEST_SCOPE, "it acts on webhook deliveries, not requests")
        elif self.action in STANDING_ACTIONS:
            self._refuse_given(_REQUEST_SCOPE + ("tenant", "topic") + _FIRING + ("cycle",),
                               "it applies to every record the simulator stamps while the rule exists")
        else:
            self._refuse_given(("topic",), "topics scope webhook deliveries")

    def _check_firing(self) -> None:
        chosen = [name for name in _FIRING if getattr(self, name) not in (None, ())]
        if len(chosen) > 1:
            raise BadRule(f"give at most one of times, probability, sequence; got {', '.join(chosen)}")
        if self.times is not None and self.times < 1:
            raise BadRule(f"times must be 1 or more, not {self.times}")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise BadRule(f"probability must be between 0 and 1, not {self.probability}")
        odd = [step for step in self.sequence if step not in (PASS, FAIL)]
        if odd:
            raise BadRule(f"sequence entries must be {PASS!r} or {FAIL!r}, not {odd[0]!r}")
        if self.cycle and not self.sequence:
            raise BadRule("cycle applies only to a sequence")

    def _check_parameters(self) -> None:
        needs = {FaultAction.STATUS: "status", FaultAction.LATENCY: "seconds", FaultAction.CLOCK_SKEW: "seconds",
                 FaultAction.LISTING_LAG: "seconds"}
        wanted = needs.get(self.action)
        if wanted and getattr(self, wanted) is None:
            raise BadRule(f"a {self.action} rule needs {wanted}")
        if self.status is not None:
            if self.action != FaultAction.STATUS:
                raise BadRule(f"status does not apply to a {self.action} rule")
            if not 400 <= self.status <= 599:
                raise BadRule(f"status must be an HTTP error status (400-599), not {self.status}")
        if (self.retry_after is not None or self.error is not None) and self.action != FaultAction.STATUS:
            raise BadRule(f"retry_after and error apply only to a status rule, not {self.action}")
        if self.retry_after is not None and self.retry_after < 0:
            raise BadRule(f"retry_after must be 0 or more, not {self.retry_after}")
        if self.seconds is not None:
            if self.action not in (FaultAction.LATENCY, FaultAction.TIMEOUT, FaultAction.LOST_ANSWER, FaultAction.CLOCK_SKEW, FaultAction.LISTING_LAG):
                raise BadRule(f"seconds does not apply to a {self.action} rule")
            if self.seconds < 0 and self.action != FaultAction.CLOCK_SKEW:
                raise BadRule(f"seconds must be 0 or more, not {self.seconds}")
            if self.seconds == 0 and self.action == FaultAction.LISTING_LAG:
                raise BadRule("seconds must be more than 0 for a listing_lag rule: a listing 0 seconds behind "
                              "its writes is not behind")
        if self.lost_as not in LOST_ANSWER_AS:
            raise BadRule(f"lost_as must be one of {', '.join(LOST_ANSWER_AS)}, not {self.lost_as!r}")
        if self.lost_as != "timeout" and self.action != FaultAction.LOST_ANSWER:
            raise BadRule(f"lost_as applies only to a lost_answer rule, not {self.action}")
        if self.keep_bytes is not None:
            if self.action != FaultAction.TRUNCATED:
                raise BadRule(f"keep_bytes applies only to a truncated rule, not {self.action}")
            if self.keep_bytes < 0:
                raise BadRule(f"keep_bytes must be 0 or more, not {self.keep_bytes}")

    # --- matching -----------------------------------------------------------------------------
    def matches(self, facts: Facts) -> bool:
        if self.action in STANDING_ACTIONS or (self.action in WEBHOOK_ACTIONS) != facts.webhook:
            return False
        return ((self.simulator is None or self.simulator == facts.simulator)
                and (self.tenant is None or self.tenant == facts.tenant)
                and (self.method is None or self.method == facts.method)
                and (self.path is None or re.search(self.path, facts.path) is not None)
                and (not self.operation or facts.operation in self.operation)
                and (self.topic is None or self.topic == facts.topic))

    def describe(self) -> str:
        """How the journal names a firing: rule id, action and its main parameter."""
        detail = {FaultAction.STATUS: f" {self.status}", FaultAction.LATENCY: f" {self.seconds}s",
                  FaultAction.LOST_ANSWER: f" as {self.lost_as}", FaultAction.CLOCK_SKEW: f" {self.seconds}s",
                  FaultAction.LISTING_LAG: f" {self.seconds}s"}.get(self.action, "")
        return f"{self.id} {self.action}{detail}"

    def as_json(self) -> dict[str, Any]:
        """Every field that is set (defaults left out), with the bookkeeping."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("id", "fired", "seen", "action") or value not in (None, (), False, f.default):
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class Facts:
    """What a rule can be scoped by, for one request or one webhook delivery."""

    simulator: str
    tenant: str | None = None
    method: str = ""
    path: str = ""
    operation: str = ""
    topic: str | None = None
    webhook: bool = False


@dataclass(frozen=True)
class FaultTarget:
    """A generic operation ("list refunds") as one system's scope: route handler names, and where a
    handler serves more than the operation, a method and path regex; or a webhook topic."""

    operation: tuple[str, ...] = ()
    method: str | None = None
    path: str | None = None
    topic: str | None = None

    def scope(self) -> dict[str, Any]:
        return {name: value for name, value in (("operation", self.operation), ("method", self.method),
                                                 ("path", self.path), ("topic", self.topic))
                if value not in (None, ())}

    def covers(self, operation: str, method: str, path: str) -> bool:
        """Whether a request, as the journal records it (route handler name, method, path), is this
        operation; a webhook topic is never a request."""
        return (self.topic is None and (not self.operation or operation in self.operation)
                and (self.method is None or self.method == method)
                and (self.path is None or re.search(self.path, path) is not None))


@dataclass(frozen=True)
class Attached:
    """What the plane knows of an attached simulator, to refuse names it does not have."""

    operations: frozenset[str]
    errors: frozenset[str]


class FaultPlane:
    """An ordered, thread-safe rule list. ``sleep`` is injectable so latency can be observed in tests
    without waiting."""

    def __init__(self, seed: int = 0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.seed = seed
        self.sleep = sleep
        self._rules: list[FaultRule] = []
        self._random: dict[str, random.Random] = {}
        self._attached: dict[str, Attached] = {}
        self._next_id = 1
        self._lock = threading.Lock()

    @property
    def idle(self) -> bool:
        """No rule is set: every request goes through untouched (the common case, checked lock-free)."""
        return not self._rules

    def attach(self, simulator: str, operations: Iterable[str], errors: Iterable[str]) -> None:
        """Tell the plane a simulator's operations and named errors, so rules naming others are refused."""
        with self._lock:
            self._attached[simulator] = Attached(frozenset(operations), frozenset(errors))

    # --- the rule list ------------------------------------------------------------------------
    def add(self, rule: FaultRule | None = None, /, **fields: Any) -> FaultRule:
        """Append a rule (a ``FaultRule`` or its fields) and return it with its id."""
        if rule is None:
            rule = FaultRule(**fields)
        elif fields:
            raise BadRule("give a FaultRule or its fields, not both")
        with self._lock:
            self._check_names(rule)
            rule.id, rule.fired, rule.seen = f"f{self._next_id}", 0, 0
            self._next_id += 1
            self._random[rule.id] = random.Random(f"{self.seed}/{rule.id}")
            self._rules.append(rule)
        return rule

    def _check_names(self, rule: FaultRule) -> None:
        scoped = [a for name, a in self._attached.items() if rule.simulator in (None, name)]
        if not scoped:
            return  # nothing attached to check against (a storefront not started yet)
        where = rule.simulator or "any attached simulator"
        known_ops = set().union(*(a.operations for a in scoped))
        unknown = [op for op in rule.operation if op not in known_ops]
        if unknown:
            raise BadRule(f"operation {unknown[0]!r} is not an operation of {where}; known: {', '.join(sorted(known_ops))}")
        known_errors = set().union(*(a.errors for a in scoped))
        if rule.error is not None and rule.error not in known_errors:
            raise BadRule(f"error {rule.error!r} is not a named error of {where}; "
                          f"known: {', '.join(sorted(known_errors)) or 'none'}")

    def rules(self, simulator: str | None = None) -> list[FaultRule]:
        """Every rule, or those that apply to ``simulator`` (scoped to it or to any simulator)."""
        with self._lock:
            return [r for r in self._rules if simulator is None or r.simulator in (None, simulator)]

    def get(self, rule_id: str) -> FaultRule:
        with self._lock:
            found = next((r for r in self._rules if r.id == rule_id), None)
            if found is None:
                raise KeyError(f"no fault rule {rule_id!r}; rules: {', '.join(r.id for r in self._rules) or 'none'}")
            return found

    def remove(self, rule_id: str) -> FaultRule:
        rule = self.get(rule_id)
        with self._lock:
            self._rules.remove(rule)
        return rule

    def clear(self, simulator: str | None = None) -> list[FaultRule]:
        """Remove every rule (or every rule that applies to ``simulator``); returns those removed."""
        removed = self.rules(simulator)
        with self._lock:
            self._rules = [r for r in self._rules if r not in removed]
        return removed

    # --- decisions ----------------------------------------------------------------------------
    def decide(self, facts: Facts) -> FaultRule | None:
        """The first rule that matches and fires for this request or delivery (counted), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(facts):
                    rule.seen += 1
                    if self._fires(rule):
                        rule.fired += 1
                        return rule
        return None

    def _fires(self, rule: FaultRule) -> bool:
        if rule.times is not None:
            return rule.fired < rule.times
        if rule.probability is not None:
            return self._random[rule.id].random() < rule.probability
        if rule.sequence:
            step = rule.seen - 1
            if step >= len(rule.sequence) and not rule.cycle:
                return False  # consumed
            return rule.sequence[step % len(rule.sequence)] == FAIL
        return True

    def clock_offset(self, simulator: str) -> timedelta:
        """The offset of the first clock_skew rule for ``simulator`` (zero without one)."""
        with self._lock:
            for rule in self._rules:
                if rule.action == FaultAction.CLOCK_SKEW and rule.simulator in (None, simulator):
                    rule.fired += 1
                    return timedelta(seconds=rule.seconds or 0)
        return timedelta(0)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def rule_fields() -> list[str]:
    """The fields a caller may set (bookkeeping excluded)."""
    return [f.name for f in fields(FaultRule) if f.name not in ("id", "fired", "seen")]

