"""What a fired fault rule does to one answer or one batch of webhook deliveries.

Transport failures are raised as httpx exceptions (the client sees exactly what a dropped socket
gives it) that also carry ``DroppedAnswer``, so the ASGI adapter can turn them into real socket
behaviour in serve mode. A truncated answer keeps its original Content-Length over a shorter body;
in process the client reads the short body, on a socket the connection closes mid-body.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Generic, TypeVar

import httpx

from simulators.core import listing
from simulators.core.faults import DEFAULT_TIMEOUT_HOLD, FaultAction, FaultRule

T = TypeVar("T")
# How a simulator answers a request normally, after the given seconds of simulated processing time.
Answer = Callable[[float], httpx.Response]


class DroppedAnswer(Exception):
    """Marks an injected transport failure. ``hold`` is how long serve mode keeps the connection
    open without answering (until the client gives up); 0 closes it at once."""

    hold: float = 0.0


class InjectedTimeout(DroppedAnswer, httpx.ReadTimeout):
    def __init__(self, message: str, request: httpx.Request, hold: float) -> None:
        super().__init__(message, request=request)
        self.hold = hold


class InjectedReset(DroppedAnswer, httpx.RemoteProtocolError):
    def __init__(self, message: str, request: httpx.Request) -> None:
        super().__init__(message, request=request)


@dataclass
class Outcome:
    """What the client gets: a response, or (after the simulator may have answered) an error."""

    response: httpx.Response | None
    error: DroppedAnswer | None = None


def dropped(rule: FaultRule, request: httpx.Request, how: str, after: str) -> DroppedAnswer:
    said = f"fault {rule.id}: {after}"
    if how == "timeout":
        return InjectedTimeout(f"{said}; no answer came (read timeout)", request,
                               DEFAULT_TIMEOUT_HOLD if rule.seconds is None else rule.seconds)
    return InjectedReset(f"{said}; the server closed the connection without answering", request)


def truncated(response: httpx.Response, keep_bytes: int | None) -> httpx.Response:
    content = response.read()
    keep = len(content) // 2 if keep_bytes is None else min(keep_bytes, max(len(content) - 1, 0))
    headers = response.headers.copy()
    headers["content-length"] = str(len(content))  # the length promised, not the length sent
    return httpx.Response(response.status_code, headers=headers, content=content[:keep])


def apply(rule: FaultRule, request: httpx.Request, answer: Answer, refuse: Callable[[FaultRule], httpx.Response],
          record_now: Callable[[], datetime]) -> Outcome:
    """Answer ``request`` as ``rule`` says; ``answer`` runs the simulator normally, ``refuse`` answers a status
    rule in the platform's own error shape, ``record_now`` is the clock the simulator stamps its records with.
    A latency is spent inside ``answer``, after the request is counted against any concurrency limit (it
    holds its slot)."""
    action = rule.action
    if action == FaultAction.STATUS:
        return Outcome(refuse(rule))
    if action == FaultAction.LATENCY:
        return Outcome(answer(rule.seconds or 0))
    if action in (FaultAction.TIMEOUT, FaultAction.RESET):
        return Outcome(None, dropped(rule, request, action, "the request was not processed"))
    if action == FaultAction.LOST_ANSWER:
        return Outcome(answer(0.0), dropped(rule, request, rule.lost_as, "the request was processed but its answer lost"))
    if action == FaultAction.TRUNCATED:
        return Outcome(truncated(answer(0.0), rule.keep_bytes))
    if action == FaultAction.LISTING_LAG:
        # the simulator's own clock (skew included), the one its records are stamped with
        with listing.lagging(record_now() - timedelta(seconds=rule.seconds or 0)):
            return Outcome(answer(0.0))
    raise ValueError(f"{action} is not a request action")


@dataclass
class WebhookPlan(Generic[T]):
    """Deliveries to send now, in order (a delivery may appear twice), those dropped for good, and
    the rule behind each delivery a fault touched."""

    send: list[T] = field(default_factory=list)
    dropped: list[T] = field(default_factory=list)
    fired: list[tuple[T, FaultRule]] = field(default_factory=list)


def plan_webhooks(due: list[T], decide: Callable[[T], FaultRule | None]) -> WebhookPlan[T]:
    """Twice: sent again right after itself. Out of order: held back and sent after the others,
    newest first. Never: not sent, and never due again."""
    plan: WebhookPlan[T] = WebhookPlan()
    held: list[T] = []
    for delivery in due:
        rule = decide(delivery)
        if rule is not None:
            plan.fired.append((delivery, rule))
        action = rule.action if rule else None
        if action == FaultAction.WEBHOOK_NEVER:
            plan.dropped.append(delivery)
        elif action == FaultAction.WEBHOOK_OUT_OF_ORDER:
            held.append(delivery)
        else:
            plan.send += [delivery, delivery] if action == FaultAction.WEBHOOK_TWICE else [delivery]
    plan.send += reversed(held)
    return plan
