"""The platform registry: every storefront the harness certifies, each declared once, in its own module.

A module of this package that defines ``PLATFORM`` is a registered platform. It declares the
simulator (how a World starts it and which hosts it answers), the harness driver, the test-data
facts, the credential names, the shipped connector's adapter and the platform's capabilities.
Everything generic (the World, the CLI, the certification matrix, which scenarios run for which
platform) reads this registry; no other module names a platform. Adding a platform is adding a
module here (see docs/adding-a-storefront.md).
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from typing import TYPE_CHECKING, Callable, Mapping, Protocol

from harness.directions import DIRECTIONS
from harness.storefronts import CAPABILITY_DRIVERS, StorefrontDriver, missing_members
from simulators.core.faults import FaultTarget

if TYPE_CHECKING:
    import httpx

    from common.clock import Clock
    from simulators.core.base import Simulator


# How a platform's own refunds split a line's amount and tax when some of its units are refunded: the
# rule its simulator implements (and the scenarios tagged ``@<rule>_unit_allocation`` hold it to).
UNIT_ALLOCATIONS: dict[str, str] = {
    "cumulative": "each refund takes what all units refunded so far are worth, rounded half up, minus what "
                  "earlier refunds took",
    "per_unit": "the line is split per unit once (largest remainder, earliest units first) and each refund "
                "takes the next units' parts",
    "share_of_remaining": "each refund takes its units' share of what is left of the line, rounded half up",
}


# What a platform's API says about the money of each line of an order (what order sync can copy to
# the NetSuite sales order line by line): the rule its simulator implements.
ORDER_LINE_MONEY: dict[str, str] = {
    "per_line": "each line's unit price before discount, its amount after discount and its tax",
    "net_per_line": "each line's amount after discount and its tax; no price before discount",
    "order_totals": "each line's unit price; the discount and the tax only for the whole order",
}


@dataclass(frozen=True)
class Capabilities:
    """What a platform's refunds can do, as far as refund sync is concerned."""

    directions: tuple[str, ...]          # refund directions a connector account may run: "to_netsuite", "from_netsuite"
    best_practice_direction: str         # the one the connector's documentation recommends for this kind of store
    line_items: bool                     # refunds name lines and quantities; otherwise a general (amount-only) refund
    shipping_refunds: bool               # shipping can be refunded as shipping, not only as an amount
    amount_refunds: bool                 # the storefront accepts a refund of an amount with no lines
    async_settlement: bool               # a refund starts PENDING and completes (or fails) later
    refund_webhooks: bool                # the storefront announces new refunds by signed webhook
    read_only_refunds: bool              # the API can read refunds but not create them
    settlement_visibility: bool          # refunds appear in the API only once a settlement includes them
    # Platform rules that only some storefronts have. Each true/false capability is named after the tag
    # of its scenarios and admits them (harness/requirements.py), so a rule is certified for every
    # platform that declares it.
    shipped_lines_only: bool = False     # only lines that have shipped can be refunded
    buyer_requested_refunds: bool = False  # a seller refund is visible to the connector only when the buyer asked first
    offline_payments: bool = False       # orders paid offline refund through another route than card orders
    store_credit_refunds: bool = False   # a refund can go back as store credit (a gift-card order, when the setting is on)
    multi_currency: bool = False         # a shop in one currency takes orders paid in another (shop vs presentment money)
    exchanges: bool = False              # an exchange (a return plus new items) can leave a refund of the balance
    unpaid_orders: bool = True           # an order can reach the seller before its payment has gone through
    split_tender: bool = False           # an order can be paid with several payments, a refund going back to one of them
    cash_payments: bool = False          # an order can be paid in cash at a point of sale, a payment method of its own
    # Refund rules as data: how the platform's own refunds split a line's money over refunds of some of
    # its units (a key of UNIT_ALLOCATIONS); None where refunds are not by line.
    unit_allocation: str | None = None
    # a refund request carries an idempotency key: the same key again answers the refund it first made
    idempotent_refunds: bool = False
    # the API lists refunds only order by order (no listing of refunds across orders): new ones are found
    # through the orders updated since, then each of those orders' refunds are read ("list refunds")
    refunds_per_order: bool = False
    # what the API says about the money of each order line (a key of ORDER_LINE_MONEY)
    order_line_money: str = "per_line"
    # what the API tells a seller about an order's buyer, of "email", "name" (first and last) and
    # "username" (the user name a marketplace knows the buyer by)
    buyer_details: tuple[str, ...] = ("email", "name")

    def __post_init__(self) -> None:
        unknown = [d for d in self.directions if d not in DIRECTIONS]
        if unknown or not self.directions:
            raise ValueError(f"directions must be a non-empty subset of {', '.join(DIRECTIONS)}, not {self.directions}")
        if self.best_practice_direction not in self.directions:
            raise ValueError(f"best_practice_direction {self.best_practice_direction!r} is not one of {self.directions}")
        if self.read_only_refunds and "from_netsuite" in self.directions:
            raise ValueError("a platform whose refunds are read-only cannot take refunds from NetSuite")
        if self.unit_allocation is not None and self.unit_allocation not in UNIT_ALLOCATIONS:
            raise ValueError(f"unit_allocation must be one of {', '.join(UNIT_ALLOCATIONS)}, not {self.unit_allocation!r}")
        if set(self.buyer_details) - {"email", "name", "username"}:
            raise ValueError(f"buyer_details must be a subset of ('email', 'name', 'username'), "
                             f"not {self.buyer_details}")
        if self.order_line_money not in ORDER_LINE_MONEY:
            raise ValueError(f"order_line_money must be one of {', '.join(ORDER_LINE_MONEY)}, "
                             f"not {self.order_line_money!r}")


def capability_flags() -> tuple[str, ...]:
    """The true/false capabilities, in declaration order: each is also the tag of the scenarios it admits."""
    return tuple(f.name for f in fields(Capabilities) if f.type in ("bool", bool))


_NOT_CAPABILITIES = sorted(set(CAPABILITY_DRIVERS) - set(capability_flags()))
if _NOT_CAPABILITIES:
    raise ValueError(f"driver protocols of capabilities Capabilities does not declare: {', '.join(_NOT_CAPABILITIES)}")


@dataclass(frozen=True)
class SimulatorContext:
    """What a World lends a platform's simulators: its clock and seed, the HTTP client for calls a
    simulator makes itself (webhook deliveries), and ``serve``, which routes a simulator's hosts."""

    clock: "Clock"
    seed: int
    http: "httpx.Client"
    serve: Callable[["Simulator"], None]


class PlatformRuntime(Protocol):
    """One platform's simulators inside one World."""

    def store(self, number: int) -> "StorefrontDriver":
        """The driver of the n-th store (1-based) in this World: its own shop, seller or account.
        Asked again for the same number, the same driver."""
        ...

    def simulators(self) -> list["Simulator"]: ...


@dataclass(frozen=True)
class Platform:
    name: str                       # the registry key, lower case: what accounts and test ids carry
    display_name: str               # what people read: reports, steps, messages
    capabilities: Capabilities
    hosts: tuple[str, ...]          # the API hosts its simulator answers ("{shop}" stands for a store's own name)
    credentials: tuple[str, ...]    # what a connector account holds, under the platform's own names
    card_gateway: str               # the gateway of a card payment taken at checkout (mapped to a NetSuite payment method)
    currencies: tuple[str, ...]     # currencies its test orders may be placed in
    connector_adapter: str          # the shipped connector's adapter module for it
    start: Callable[[SimulatorContext], PlatformRuntime]
    # the harness driver's class (a PlatformDriver): held to StorefrontDriver and to the driver protocol
    # of every capability declared above (harness.storefronts.CAPABILITY_DRIVERS) when the entry is made
    driver: type
    # generic operation names fault steps use ("list refunds") -> that simulator's scope
    fault_targets: Mapping[str, FaultTarget] = field(default_factory=dict)
    # how its API tells a client to slow down, as the fields of a status fault rule (docs/faults.md)
    throttle: Mapping[str, object] = field(default_factory=lambda: {"status": 429, "retry_after": 2})
    # Bugs only this platform's connector code can have (name -> (the bug, connector factory)); they
    # join `make mutants` beside the platform-neutral ones of harness/mutants.
    mutants: Mapping[str, tuple[str, Callable]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.driver, type) and issubclass(self.driver, PlatformDriver)):
            raise ValueError(f"platform {self.name!r}: its driver must be a PlatformDriver subclass, not {self.driver!r}")
        wanted = [("the storefront driver", StorefrontDriver)] + [
            (f"the capability {capability}", protocol) for capability, protocol in CAPABILITY_DRIVERS.items()
            if getattr(self.capabilities, capability)]
        problems = [f"{what}: {', '.join(missing)}" for what, protocol in wanted
                    if (missing := missing_members(self.driver, protocol))]
        if problems:
            raise ValueError(f"platform {self.name!r}: its driver {self.driver.__name__} lacks what it needs for "
                             + "; for ".join(problems))

    def describe(self) -> dict:
        """The registry entry as plain data (for `refund-harness storefronts --json`)."""
        caps = asdict(self.capabilities)
        return {"name": self.name, "display_name": self.display_name,
                "directions": list(caps.pop("directions")),
                "best_practice_direction": caps.pop("best_practice_direction"), **caps,
                "hosts": list(self.hosts), "credentials": list(self.credentials),
                "card_gateway": self.card_gateway, "currencies": list(self.currencies),
                "connector_adapter": self.connector_adapter}


class PlatformDriver:
    """The base of every platform's harness driver: what a driver says of itself (its name, display name,
    whether its admin refunds by line, its capabilities) is read from the registry entry it is made for."""

    simulator: object

    def __init__(self, entry: Platform) -> None:
        self.entry = entry

    @property
    def platform(self) -> str:
        return self.entry.name

    @property
    def display_name(self) -> str:
        return self.entry.display_name

    @property
    def supports_line_items(self) -> bool:
        return self.entry.capabilities.line_items

    def declares(self, capability: str) -> bool:
        if capability not in capability_flags():
            raise ValueError(f"{capability!r} is not a capability; known: {', '.join(capability_flags())}")
        return bool(getattr(self.entry.capabilities, capability))


class UnknownPlatform(ValueError):
    """A platform name that no registry entry declares; the message lists the known ones."""


@cache
def registry() -> dict[str, Platform]:
    """Every platform module of this package, by name, in name order."""
    found: dict[str, Platform] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform is None:
            continue
        if platform.name != module_info.name:
            raise ValueError(f"{module.__name__} declares platform {platform.name!r}; a platform's module "
                             f"is named after it")
        found[platform.name] = platform
    return dict(sorted(found.items()))


def names() -> list[str]:
    """Every platform's name, in name order, without loading any platform module (and so none of the
    simulators they import): a platform's module is named after it (``registry`` holds each to that)."""
    return sorted(module_info.name for module_info in pkgutil.iter_modules(__path__))


def platforms() -> list[Platform]:
    return list(registry().values())


def platform(name: str) -> Platform:
    """The platform called ``name`` (its name or display name, any case); refused by name if unknown."""
    wanted = name.strip().lower()
    for entry in registry().values():
        if wanted in (entry.name, entry.display_name.lower()):
            return entry
    known = ", ".join(p.display_name for p in registry().values())
    raise UnknownPlatform(f"unknown storefront {name!r}; this harness knows {known}")
