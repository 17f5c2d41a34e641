"""Storefront drivers: what the harness (playing merchant and customer) does in a storefront.

Each platform module (``harness/platforms/<name>.py``) has one driver over that simulator's control
plane and API, all of the ``StorefrontDriver`` shape, so steps take the storefront as a parameter.
Refunds are read back through the storefront's own API, independently of the connector.

A capability whose scenarios need more of a storefront than that shape has a protocol of its own
here (``CAPABILITY_DRIVERS``, keyed by the capability, which is also the tag of its scenarios): the
registry refuses a platform declaring the capability whose driver lacks a method of it, and steps
reach those methods through ``driver_with``.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Literal, Protocol, Sequence, TypeVar

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
    # what the storefront's API calls the order's shipping charge, where it names one (a shipping method)
    shipping_method: str | None = None
    # the user name a marketplace names the buyer by, where its API names buyers that way
    buyer_username: str | None = None
    number: str | None = None   # what the storefront shows a merchant the order as, where that is not its id


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


def send_flawed(payload: object, flaws: Sequence[tuple[str, str, Callable[[object], object]]],
                post_signed: Callable[[bytes, int], httpx.Response]) -> list[FlawedDelivery]:
    """Each of a platform's ``flaws`` (what a refusal must name, the flaw in words, how it alters the
    payload) applied to a copy of a real refund webhook's ``payload`` and sent by ``post_signed(body, n)``,
    which signs and posts it as the platform does, as delivery ``n`` of its own; the connector's answers."""
    answers = []
    for n, (names, flaw, alter) in enumerate(flaws, start=1):
        response = post_signed(jsonio.dumps(alter(payload)).encode(), n)
        answers.append(FlawedDelivery(flaw, names, response.status_code, response.text))
    return answers


class LineRefundsUnsupported(ValueError):
    """The storefront's admin cannot refund by line: a merchant refunds an amount there instead.
    Drivers raise it for a refund request naming lines; the capability probe relies on it."""


class StorefrontRefused(Exception):
    """The storefront's admin refused what the merchant asked (e.g. a refund of a line not shipped yet);
    the message is what the merchant is told there."""


class StorefrontDriver(Protocol):
    # read from the platform's registry entry (``harness.platforms.PlatformDriver``), never restated
    @property
    def platform(self) -> str:
        """The registry name."""
        ...

    @property
    def display_name(self) -> str: ...

    @property
    def supports_line_items(self) -> bool:
        """The registry entry's ``line_items`` capability: the admin refunds by line."""
        ...

    simulator: object

    def declares(self, capability: str) -> bool:
        """Whether the platform's registry entry declares this capability (a tag of its scenarios)."""
        ...

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

    def deliver_webhooks(self) -> int:
        """Send every pending refund webhook once; how many were sent (0 where there are none)."""
        ...

    def redeliver_webhooks(self) -> int:
        """Send every refund webhook sent so far once more (at-least-once delivery); 0 where there are none."""
        ...



class AsyncSettlementDriver(Protocol):
    """The driver of a platform declaring ``async_settlement``: its refunds start PENDING and settle later."""

    def hold_refunds_pending(self) -> None:
        """Refunds made from now on stay PENDING until ``fail_refund``."""
        ...

    def fail_refund(self, refund_id: str) -> None:
        """The storefront's payment processor fails a PENDING refund: no money goes back."""
        ...


class RefundWebhooksDriver(Protocol):
    """The driver of a platform declaring ``refund_webhooks`` (every driver delivers and redelivers its
    pending webhooks, ``StorefrontDriver``; only these can send the ones below)."""

    def send_webhooks_as_new_deliveries(self) -> int:
        """Send every refund webhook sent so far once more, each as a delivery of its own (a new delivery
        id, the same refund); how many were sent."""
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


class StoreCreditRefundsDriver(Protocol):
    """The driver of a platform declaring ``store_credit_refunds`` (features/store_credit.feature)."""

    def place_gift_card_order(self, spec: OrderSpec, *, guest: bool = False) -> PlacedOrder:
        """The order of ``spec`` paid in full by gift card, by a customer with an account (``guest``:
        checked out as a guest, with no account to hold store credit)."""
        ...

    def store_credit_refunded(self, order: PlacedOrder) -> Decimal:
        """The money the order's refunds gave back as store credit, read through the storefront's API."""
        ...


class ShippedLinesOnlyDriver(Protocol):
    """The driver of a platform declaring ``shipped_lines_only`` (features/shipped_lines_only.feature).
    Its orders are placed shipped, as every other scenario needs; its ``refund`` raises
    ``StorefrontRefused`` for a line that has not shipped, naming the line."""

    def leave_unshipped(self, numbers: tuple[int, ...]) -> None:
        """The next order placed leaves these lines (1-based) unshipped; the others ship."""
        ...

    def ship(self, order: PlacedOrder, number: int) -> None:
        """The merchant ships that line (1-based) now."""
        ...


class SettlementVisibilityDriver(Protocol):
    """The driver of a platform declaring ``settlement_visibility`` (features/settlement_visibility.feature).
    By default it releases each refund to its API at once, so scenarios that are not about this rule see
    refunds as soon as they are made."""

    def hold_settlement_reports(self) -> None:
        """Refunds made from now on wait for a settlement report before the storefront's API shows them."""
        ...

    def generate_settlement_report(self) -> int:
        """The storefront closes the settlement period: every refund made so far is released to its API.
        Returns how many refunds it released."""
        ...


class ExchangesDriver(Protocol):
    """The driver of a platform declaring ``exchanges`` (features/exchanges.feature)."""

    def exchange(self, order: PlacedOrder, lines: tuple[tuple[int, int], ...], balance: Decimal) -> str:
        """The merchant exchanges these (line number, quantity) of ``order`` for new items worth, tax
        included, what the storefront itself values the returned units at less ``balance`` (in the
        order's currency), processed at once in the admin. Returns the id of the storefront refund that
        settles the exchange, as ``refunds(order)`` names it. The return itself stays visible in the
        storefront's API where the platform shows returns."""
        ...


class BuyerRequestedRefundsDriver(Protocol):
    """The driver of a platform declaring ``buyer_requested_refunds``: its ``refund`` of an amount is the
    buyer asking, then the seller refunding (a refund the API lists)."""

    def refund_returned_lines(self, order: PlacedOrder, amounts: dict[int, Decimal]) -> str:
        """The buyer returns items of some lines, then the seller refunds an amount for each of them
        (line number, 1-based -> amount) in one refund, which the API lists per line item. Returns its id."""
        ...

    def refund_without_request(self, order: PlacedOrder, amount: Decimal) -> str:
        """The seller refunds ``amount`` with no buyer request; the API does not list it. Returns the
        storefront's id for that money movement."""
        ...

    def unlisted_refunds(self, order: PlacedOrder) -> list[Decimal]:
        """The amounts that went back outside the listed refunds, read from the simulator's control plane."""
        ...


class OfflinePaymentsDriver(Protocol):
    """The driver of a platform declaring ``offline_payments`` (features/offline_payments.feature)."""

    offline_gateway: str   # the payment method, in the platform's own name, of an order paid offline

    def refund_route(self, order: PlacedOrder, refund_id: str) -> Literal["online", "offline"]:
        """Read back through the storefront's API: "online" where the refund went back through the payment
        gateway that captured the order, "offline" where the storefront only recorded it."""
        ...


class CashPaymentsDriver(Protocol):
    """The driver of a platform declaring ``cash_payments`` (features/cash_payments.feature)."""

    cash_gateway: str   # the payment gateway, as a merchant maps it to a NetSuite payment method, of cash taken at a point of sale


# capability (the tag of its scenarios) -> what its scenarios need of the driver beyond StorefrontDriver
CAPABILITY_DRIVERS: dict[str, type] = {
    "async_settlement": AsyncSettlementDriver,
    "refund_webhooks": RefundWebhooksDriver,
    "store_credit_refunds": StoreCreditRefundsDriver,
    "shipped_lines_only": ShippedLinesOnlyDriver,
    "settlement_visibility": SettlementVisibilityDriver,
    "exchanges": ExchangesDriver,
    "buyer_requested_refunds": BuyerRequestedRefundsDriver,
    "offline_payments": OfflinePaymentsDriver,
    "cash_payments": CashPaymentsDriver,
}


def protocol_members(protocol: type) -> dict[str, inspect.Signature | None]:
    """The members a protocol asks for: each method with its signature, each attribute with None."""
    members: dict[str, inspect.Signature | None] = {name: None for name in getattr(protocol, "__annotations__", {})}
    for name, value in vars(protocol).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            members[name] = None
        elif inspect.isfunction(value):
            members[name] = inspect.signature(value)
    return members


def missing_members(driver_class: type, protocol: type) -> list[str]:
    """What ``driver_class`` lacks of ``protocol``: each member it does not define, and each method that
    cannot be called as the protocol's is (named with the protocol's signature and its own)."""
    missing = []
    for name, wanted in protocol_members(protocol).items():
        annotated = any(name in vars(klass).get("__annotations__", {}) for klass in driver_class.__mro__)
        if not hasattr(driver_class, name) and not annotated:
            missing.append(name)
            continue
        if wanted is None:
            continue
        found = getattr(driver_class, name, None)
        if not callable(found):
            missing.append(f"{name} (not a method)")
        elif not _accepts(inspect.signature(found), wanted):
            missing.append(f"{name}{_shown(wanted)} (it has {name}{_shown(inspect.signature(found))})")
    return missing


def _accepts(found: inspect.Signature, wanted: inspect.Signature) -> bool:
    """Every call the protocol's signature allows works on ``found``: the same parameters, of the same
    kinds, optional where the protocol's are; any more it has are optional."""
    have = found.parameters
    for name, parameter in wanted.parameters.items():
        own = have.get(name)
        if own is None or own.kind != parameter.kind:
            return False
        if parameter.default is not inspect.Parameter.empty and own.default is inspect.Parameter.empty:
            return False
    extra = [p for n, p in have.items() if n not in wanted.parameters]
    return all(p.default is not inspect.Parameter.empty
               or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) for p in extra)


def _shown(signature: inspect.Signature) -> str:
    """The parameters as the source writes them (annotations are strings here: ``from __future__``)."""
    def unquoted(parameter: inspect.Parameter) -> inspect.Parameter:
        annotation = parameter.annotation
        return parameter.replace(annotation=annotation if not isinstance(annotation, str) else _Source(annotation))

    return str(signature.replace(parameters=[unquoted(p) for p in signature.parameters.values()],
                                 return_annotation=inspect.Signature.empty))


class _Source(str):
    def __repr__(self) -> str:
        return str(self)


class CapabilityNotDeclared(AssertionError):
    """A step needs a capability the storefront under test does not declare: the scenario lacks its tag."""


Driver = TypeVar("Driver")


def driver_with(driver: StorefrontDriver, protocol: type[Driver]) -> Driver:
    """``driver`` as the driver of the capability ``protocol`` belongs to (a value of ``CAPABILITY_DRIVERS``).
    The registry checked when it loaded that every platform declaring the capability has a driver with
    its methods; a platform that does not declare it is refused, naming the tag the scenario needs."""
    capability = next((name for name, known in CAPABILITY_DRIVERS.items() if known is protocol), None)
    if capability is None:
        raise TypeError(f"{protocol.__name__} is not the driver protocol of any capability; "
                        f"known: {', '.join(p.__name__ for p in CAPABILITY_DRIVERS.values())}")
    if not driver.declares(capability):
        raise CapabilityNotDeclared(f"{driver.display_name} does not declare the capability {capability}; "
                                    f"tag the scenario @{capability}")
    return driver   # type: ignore[return-value] - the registry held its driver class to the protocol
