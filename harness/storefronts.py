"""Storefront drivers: what the harness (playing merchant and customer) does in a storefront.

Each platform module (``harness/platforms/<name>.py``) has one driver over that simulator's control
plane and API, all of this shape, so steps take the storefront as a parameter. Refunds are read back
through the storefront's own API, independently of the connector.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx

from common import jsonio, money
from harness.reconcile import SideRefund
from simulators.core.orders import OrderSpec


@dataclass(frozen=True)
class PlacedLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    platform: str
    order_id: str
    currency: str
    total: Decimal
    lines: tuple[PlacedLine, ...]
    shipping: Decimal
    payment_id: str | None = None


@dataclass(frozen=True)
class StorefrontRefundRequest:
    """What the merchant refunds: (line number 1-based, quantity) pairs, shipping, or an amount; lines
    with an amount give back that amount for them (a discrepancy, where it differs from their worth)."""

    lines: tuple[tuple[int, int], ...] = ()
    shipping: bool = False
    amount: Decimal | None = None
    whole_order: bool = False


@dataclass(frozen=True)
class FlawedDelivery:
    """A refund webhook the storefront signed whose payload no delivery of its topic carries (a field of
    the wrong shape, an amount its currency cannot hold) or that names a record the store does not have,
    and the connector's answer to it."""

    flaw: str      # what is wrong with it, in words
    names: str     # what a refusal must name: the field as the payload spells it, or the record's id
    status: int    # the connector's answer
    answer: str


class LineRefundsUnsupported(ValueError):
    """The storefront's admin cannot refund by line: a merchant refunds an amount there instead.
    Drivers raise it for a refund request naming lines; the capability probe relies on it."""


class StorefrontDriver(Protocol):
    platform: str               # the registry name
    display_name: str
    supports_line_items: bool
    simulator: object

    def account_store(self) -> str:
        """What a connector account calls this store (shop name, location id, seller id ...)."""
        ...

    def account_credentials(self) -> dict[str, str]:
        """The credentials a connector account needs, under the platform's own names."""
        ...

    def place_order(self, spec: OrderSpec) -> PlacedOrder: ...

    def refund(self, order: PlacedOrder, request: StorefrontRefundRequest) -> str:
        """The merchant refunds in the storefront's own admin; returns the storefront refund id.
        Raises ``LineRefundsUnsupported`` for lines where the admin refunds only amounts."""
        ...

    def refunds(self, order: PlacedOrder) -> list[SideRefund]:
        """The order's refunds, read through the storefront's API."""
        ...

    def order_request(self, order: PlacedOrder) -> httpx.Request:
        """The storefront API request that reads this order (for benchmarks and smoke checks)."""
        ...

    def lift_rate_limits(self) -> None:
        """Let this store's API answer without throttling (benchmarks measure the request path)."""
        ...

    def hold_refunds_pending(self) -> None:
        """Refunds made from now on stay PENDING until ``fail_refund`` (platforms that settle later)."""
        ...

    def fail_refund(self, refund_id: str) -> None:
        """The storefront's payment processor fails a PENDING refund: no money goes back."""
        ...

    def deliver_webhooks(self) -> int:
        """Send every pending refund webhook once; how many were sent (0 where there are none)."""
        ...

    def redeliver_webhooks(self) -> int:
        """Send every refund webhook sent so far once more (at-least-once delivery)."""
        ...

    def send_webhooks_as_new_deliveries(self) -> int:
        """Send every refund webhook sent so far once more, each as a delivery of its own (a new delivery
        id, the same refund); how many were sent. Only storefronts with refund webhooks can."""
        ...

    def send_forged_refund_webhook(self, order: PlacedOrder) -> int:
        """A refund webhook for this order that the storefront never signed (a wrong signature),
        sent to the address the connector subscribed; returns the HTTP status the connector answered."""
        ...

    def send_webhook_of_an_unhandled_topic(self) -> int:
        """A webhook of a topic the connector did not subscribe to (a product update), signed as the
        storefront signs its refund webhooks and sent to the address the connector subscribed for them;
        returns the HTTP status the connector answered."""
        ...

    def send_flawed_refund_webhooks(self) -> list[FlawedDelivery]:
        """The storefront's latest refund webhook (sent or not), once for each flaw its payload can carry:
        altered, signed as the storefront signs and sent, each as a delivery of its own, to the address the
        connector subscribed; the simulator's own deliveries are left as they were."""
        ...
