"""Bugs in how a connector reads and writes a storefront, made on the engine's storefront adapter.

The engine's adapter for an account is wrapped: every call goes through as shipped except the one
the bug changes, whatever the platform (the adapter protocol is the same for all of them).
"""
from __future__ import annotations

import secrets
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

from common import money
from connector.engine import shipped_adapter
from connector.errors import RateLimited, RemoteError
from connector.model import LineKind, SourceStatus
from connector.storefronts import webhook_platforms
from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine


class _Shipped:
    """The adapter as shipped: its class's own attributes, looked up past the mutated class."""

    def __init__(self, instance: Any, mutated_class: type) -> None:
        self._instance = instance
        self._mutated_class = mutated_class

    def __getattr__(self, name: str) -> Any:
        return getattr(super(self._mutated_class, self._instance), name)


def _mutated(shipped: Any, overrides: dict[str, Callable[..., Any]]) -> Any:
    """The shipped adapter with ``overrides`` (method name -> function(shipped_adapter, *args)) in
    front. It stays an instance of its platform's adapter class, so the engine treats it as one."""
    shipped_class = type(shipped)
    mutated_class: type

    def method(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda self, *args, **kwargs: fn(_Shipped(self, mutated_class), *args, **kwargs)

    mutated_class = type(f"Mutated{shipped_class.__name__}", (shipped_class,),
                         {name: method(fn) for name, fn in overrides.items()})
    mutated = object.__new__(mutated_class)
    mutated.__dict__ = shipped.__dict__
    return mutated


def with_adapter(overrides: dict[str, Callable[..., Any]]) -> seam.ConnectorFactory:
    def build(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
        return ReferenceConnector(build_engine(
            context, adapter_factory=lambda http, account: _mutated(shipped_adapter(http, account), overrides)))
    return build


def accepting_any_signature(context: seam.ConnectorContext, platform: str) -> seam.ConnectorUnderTest:
    """The shipped connector whose ``platform`` webhook hooks take every delivery as signed by the store."""
    shipped = webhook_platforms()

    class AnySignature(type(shipped[platform])):
        def verify(self, delivery, secret):   # noqa: ANN001 - the hook's own signature
            return True

    return ReferenceConnector(build_engine(context, webhook_hooks={**shipped, platform: AnySignature()}))


# --- pushes to the storefront (refunds from NetSuite) ---------------------------------------

def _push_changed(change: Callable[[Any], Any]):
    return {"create_refund": lambda adapter, order, push: adapter.create_refund(order, change(push))}


def _push_twice(adapter, order, push):
    adapter.create_refund(order, replace(push, idempotency_key=push.idempotency_key + "-again",
                                         note=push.note + " (again)"))
    return adapter.create_refund(order, push)


def _without_marker(push):
    return replace(push, note="Refund from NetSuite")


def _minus_shipping(push):
    return replace(push, shipping=None, total=push.total - (push.shipping or 0))


def _rounded_down(push):
    return replace(push, total=push.total.quantize(Decimal(1), rounding=ROUND_DOWN))


# --- what the connector reads from the storefront (refunds to NetSuite) ---------------------

def _refunds_changed(change: Callable[[Any], Any]):
    """Every refund the adapter reads passes through ``change``: all its reads go through ``parse_refund``."""
    return {"parse_refund": lambda adapter, *a, **k: change(adapter.parse_refund(*a, **k))}


def _own_refunds_look_new(refund):
    return replace(refund, note="")   # the push marker gone: echo protection cannot see it


def _echo_protection_off(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    """Neither of the connector's two ways of recognising its own pushes: the marker read back from the
    storefront is gone, and the ledger's record of what each push became is ignored."""
    connector = with_adapter(_refunds_changed(_own_refunds_look_new))(context)
    connector.engine.ledger.pushed_to_storefront = lambda account_id, refund_id: False
    return connector


def _without_lines(refund):
    items = tuple(line for line in refund.lines if line.kind is not LineKind.ITEM)
    return replace(refund, lines=items)


def _tax_of_each_unit_rounded_alone(order, refund):
    """Each refunded item line's tax as its share of the order line's tax, rounded on its own (what a
    shipped adapter once did): three one-unit refunds of a 5.32 tax take 1.77 each, 5.31 in all."""
    lines = []
    for line in refund.lines:
        ordered = order.line(line.line_id) if line.kind is LineKind.ITEM and line.line_id else None
        if ordered is not None and ordered.quantity:
            line = replace(line, tax=money.round_amount(ordered.tax * line.quantity / ordered.quantity, refund.currency))
        lines.append(line)
    return replace(refund, lines=tuple(lines))


def _tax_rounded_per_refund():
    """Every refund read from the storefront, however it is read, gets its tax re-rounded per refund."""
    def since(adapter, *args, **kwargs):
        orders = {}
        for refund in adapter.refunds_since(*args, **kwargs):
            if refund.order_id not in orders:
                orders[refund.order_id] = adapter.get_order(refund.order_id)
            yield _tax_of_each_unit_rounded_alone(orders[refund.order_id], refund)

    return {
        "list_refunds": lambda adapter, order: [_tax_of_each_unit_rounded_alone(order, r)
                                                for r in adapter.list_refunds(order)],
        "refunds_since": since,
        "refund": lambda adapter, order_id, refund_id: _tax_of_each_unit_rounded_alone(
            adapter.get_order(order_id), adapter.refund(order_id, refund_id)),
    }


def _completed(refund):
    return replace(refund, status=SourceStatus.COMPLETED)


def _settled_at_once(adapter, order, push):
    return replace(adapter.create_refund(order, push), status=SourceStatus.COMPLETED)


def _listing_ends_at_first_error(adapter, *args, **kwargs):
    """A read that fails part-way through the listing (an order's refunds, a page) ends it quietly, as
    if the listing were complete: the run reports success and its window moves on."""
    try:
        yield from adapter.refunds_since(*args, **kwargs)
    except RemoteError:
        return


def _first_refund_per_listing(adapter, *args, **kwargs):
    return list(adapter.refunds_since(*args, **kwargs))[:1]


def _push_errors_changed(change: Callable[[RemoteError], RemoteError | None]):
    """A push the storefront answered with an error raises ``change(error)`` instead (when not None)."""
    def create_refund(adapter, order, push):
        try:
            return adapter.create_refund(order, push)
        except RemoteError as exc:
            changed = change(exc)
            if changed is None:
                raise
            raise changed from exc
    return {"create_refund": create_refund}


def throttle_read_as_final(exc: RemoteError) -> RemoteError | None:
    """An HTTP 429 on a push becomes a final refusal (the check a GraphQL throttle, inside a 200, slips past)."""
    if not isinstance(exc, RateLimited) or exc.status != 429:
        return None
    return RemoteError(exc.system, f"{exc.system} refused the refund: {exc.detail or 'HTTP 429'}", status=400,
                       detail=exc.detail)


def _refusal_read_as_outage(exc: RemoteError) -> RemoteError | None:
    if exc.retryable:
        return None
    return RemoteError(exc.system, f"{exc.system} could not take the refund right now: {exc.detail or exc}",
                       status=503, detail=exc.detail, retryable=True)


MUTANTS = {
    "pushes_twice": ("Every refund pushed to the storefront is created twice, the second under a new key.",
                     with_adapter({"create_refund": _push_twice})),
    "push_without_marker": ("Refunds pushed to the storefront carry no marker, so the connector cannot recognise "
                            "its own refunds afterwards.", with_adapter(_push_changed(_without_marker))),
    "push_random_idempotency_key": ("Each push uses a fresh random idempotency key, so a retry is a new refund.",
                                    with_adapter(_push_changed(lambda push: replace(
                                        push, idempotency_key=secrets.token_hex(8))))),
    "push_amount_only": ("Refunds are pushed as an amount even where the storefront refunds by line.",
                         with_adapter(_push_changed(lambda push: replace(push, lines=())))),
    "push_drops_shipping": ("Shipping refunded in NetSuite is left out of the storefront refund.",
                            with_adapter(_push_changed(_minus_shipping))),
    "push_rounds_down": ("The pushed amount is cut to whole currency units.",
                         with_adapter(_push_changed(_rounded_down))),
    "echo_protection_off": ("The connector does not recognise refunds it pushed itself and syncs them back.",
                            _echo_protection_off),
    "drops_refund_lines": ("Refund lines read from the storefront are dropped: every refund posts as an amount.",
                           with_adapter(_refunds_changed(_without_lines))),
    "tax_rounded_per_refund": ("A refunded unit's tax is its share of the line's tax rounded per refund, so a line "
                               "refunded unit by unit refunds a cent more or less tax than it was charged.",
                               with_adapter(_tax_rounded_per_refund())),
    "pending_is_settled": ("A refund the storefront has not settled (PENDING) is read as completed.",
                           with_adapter(_refunds_changed(_completed))),
    "push_posted_while_pending": ("A refund pushed to the storefront is marked Posted before the storefront "
                                  "settled it.", with_adapter({"create_refund": _settled_at_once})),
    "first_refund_per_run": ("A scheduled retrieval keeps only the first refund it finds.",
                             with_adapter({"refunds_since": _first_refund_per_listing})),
    "listing_error_ends_listing": ("A read that fails part-way through a scheduled retrieval ends it quietly, as "
                                   "if complete, so the window moves past the refunds it did not read.",
                                   with_adapter({"refunds_since": _listing_ends_at_first_error})),
    "push_throttle_is_final": ("A storefront's HTTP 429 on a refund pushed from NetSuite is read as a final refusal, "
                               "so the refund is never pushed.", with_adapter(_push_errors_changed(throttle_read_as_final))),
    "push_refusal_is_retried": ("A storefront's final refusal of a pushed refund (a 4xx) is read as a passing outage, "
                                "so the refund is pushed again on every scheduled run.",
                                with_adapter(_push_errors_changed(_refusal_read_as_outage))),
}
