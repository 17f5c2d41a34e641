"""The transient faults the soak and the stateful machine draw from: one catalog for both.

Each entry is one fault rule's action and parameters (a ``FaultRule``'s fields, without scope or
firing). Together the entries cover every request action of the fault plane
(``simulators.core.faults.REQUEST_ACTIONS``) and every webhook action (``WEBHOOK_ACTIONS``): a test
fails when the plane gains an action this catalog does not draw, so "nothing lost" is never claimed
over faults nobody injected. Standing actions (a skewed clock) are not transient and are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from simulators.core.faults import WEBHOOK_ACTIONS

# A latency short enough to keep a soak fast, long enough to hold a NetSuite concurrency slot while
# other posting threads ask for one.
LATENCY_S = 0.02


@dataclass(frozen=True)
class CatalogFault:
    """One transient fault: a name for notes and counts, and the rule's action and parameters."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.parameters["action"]

    @property
    def on_webhooks(self) -> bool:
        """It acts on a storefront's webhook deliveries (only stores that send webhooks meet it)."""
        return self.action in WEBHOOK_ACTIONS

    def rule_fields(self, **scope_and_firing: Any) -> dict[str, Any]:
        """The ``FaultRule`` fields of this fault with the given scope and firing."""
        return {**self.parameters, **scope_and_firing}


def _fault(name: str, action: str, **parameters: Any) -> CatalogFault:
    return CatalogFault(name, {"action": action, **parameters})


TRANSIENT_FAULTS: tuple[CatalogFault, ...] = (
    _fault("429", "status", status=429),
    _fault("500", "status", status=500),
    _fault("503", "status", status=503),
    _fault("latency", "latency", seconds=LATENCY_S),
    _fault("timeout", "timeout", seconds=0),
    _fault("reset", "reset"),
    _fault("lost answer (timeout)", "lost_answer", lost_as="timeout"),
    _fault("lost answer (reset)", "lost_answer", lost_as="reset"),
    _fault("truncated", "truncated"),
    _fault("webhook twice", "webhook_twice"),
    _fault("webhook out of order", "webhook_out_of_order"),
    _fault("webhook never", "webhook_never"),
)
REQUEST_FAULTS = tuple(f for f in TRANSIENT_FAULTS if not f.on_webhooks)
WEBHOOK_FAULTS = tuple(f for f in TRANSIENT_FAULTS if f.on_webhooks)
BY_NAME = {f.name: f for f in TRANSIENT_FAULTS}


def actions_drawn(faults: tuple[CatalogFault, ...] = TRANSIENT_FAULTS) -> set[str]:
    return {f.action for f in faults}
