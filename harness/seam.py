"""The connector seam: the only way the harness drives the system under test.

A connector under test is any object with the methods of ``ConnectorUnderTest``, built by a factory
``factory(context: ConnectorContext) -> ConnectorUnderTest``. The shipped engine is one
implementation (``harness.connectors.reference``); `refund-harness certify --connector
package.module:factory` certifies another. Everything crosses the seam as plain data: ids are
strings, directions and statuses are the strings below. The harness reads both sides' refunds from
the simulators themselves; what a connector says of a refund's money is only checked against them. docs/connector-seam.md is the user's guide.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Iterable, Mapping, Protocol, Sequence, runtime_checkable

import httpx

from harness.directions import DIRECTIONS, FROM_NETSUITE, OFF, TO_NETSUITE  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from common.clock import Clock

# The states of a refund in a connector's ledger, as a person sees them in the connector's UI.
RETRIEVED, POSTED, ERROR, CANCELED = "retrieved", "posted", "error", "canceled"
STATUSES = (RETRIEVED, POSTED, ERROR, CANCELED)


class SeamError(Exception):
    """Base of what a connector under test raises to refuse an operator's request."""


# What refund sync needs before it may be switched on, by name: an ActivationRefused lists, in ``missing``,
# each one that is not met. These names are the protocol's (docs/connector-protocol.md); a person reads the message.
ORDER_SYNC_ACTIVE = "order_sync_active"                  # order sync is on for the account
TEST_ORDER_SYNCED = "test_order_synced"                  # an order of the account has been synced to NetSuite
TEST_ORDER_BILLED = "test_order_billed"                  # a synced order is billed in NetSuite (cash sale or invoice)
ITEMS_MAPPED = "items_mapped"                            # every item of the synced orders has a NetSuite item
GENERIC_REFUND_ITEM = "generic_refund_item"              # a generic refund item is set and exists in NetSuite
GENERIC_REFUND_ITEM_OTHER_CHARGE = "generic_refund_item_other_charge"  # ... and is an Other Charge for Sale item
NETSUITE_REACHABLE = "netsuite_reachable"                # NetSuite answered the checks above
REFUND_WEBHOOKS_SUBSCRIBED = "refund_webhooks_subscribed"  # the storefront took the refund webhook subscription
STOREFRONT_CREATES_REFUNDS = "storefront_creates_refunds"  # the storefront's API can create refunds (from NetSuite)
OTHER_DIRECTION_OFF = "other_direction_off"              # refund sync is off in the other direction
DIRECTION_OFFERED = "direction_offered"                  # the connector syncs refunds this way for the platform
PREREQUISITES = (ORDER_SYNC_ACTIVE, TEST_ORDER_SYNCED, TEST_ORDER_BILLED, ITEMS_MAPPED, GENERIC_REFUND_ITEM,
                 GENERIC_REFUND_ITEM_OTHER_CHARGE, NETSUITE_REACHABLE, REFUND_WEBHOOKS_SUBSCRIBED,
                 STOREFRONT_CREATES_REFUNDS, OTHER_DIRECTION_OFF, DIRECTION_OFFERED)


def unknown_prerequisites(names: Iterable[str]) -> list[str]:
    """Those of ``names`` that are not the protocol's prerequisites (``PREREQUISITES``)."""
    return [name for name in names if name not in PREREQUISITES]


class ActivationRefused(SeamError):
    """Refund sync cannot be switched on. The message is what the connector shows a person; ``missing``
    names each unmet prerequisite (``PREREQUISITES``), which is what scenarios check."""

    def __init__(self, message: str, missing: Sequence[str] = ()) -> None:
        super().__init__(message)
        unknown = unknown_prerequisites(missing)
        if unknown:
            raise ValueError(f"unknown prerequisite(s) {', '.join(map(repr, unknown))}: "
                             f"each must be one of {', '.join(PREREQUISITES)}")
        self.missing: tuple[str, ...] = tuple(missing)


class OrderSyncFailed(SeamError):
    """Order sync refused an order; the message says why."""


class OperationRefused(SeamError):
    """Any other refusal of an operator action (post a canceled refund, retrieve with sync off ...)."""


@dataclass(frozen=True)
class NetSuiteAccess:
    account_id: str            # e.g. "1234567_SB1" (the OAuth realm)
    base_url: str              # https://<account>.suitetalk.api.netsuite.com
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


@dataclass(frozen=True)
class ConnectorContext:
    """What the harness hands a connector factory.

    ``http`` is the client to send every request through: in-process it routes by host to the
    simulators; in loopback mode it reaches them over real sockets. Use it (or its transport) and
    the real hostnames; ``base_urls`` names each system's base URL for connectors that want them.
    """

    http: httpx.Client
    clock: "Clock"                       # the only source of "now"; the harness moves it
    workdir: Path                        # a private directory (ledger files and the like)
    seed: int                            # for anything the connector randomises
    netsuite: NetSuiteAccess
    webhook_base_url: str                # where storefronts deliver webhooks: POST <this>/webhooks/<platform>
    base_urls: Mapping[str, str] = field(default_factory=dict)
    # with --transport loopback, each real hostname -> the loopback base URL serving it (live: it grows as
    # storefront simulators start); empty in process. What a connector in its own process needs.
    hosts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountSetup:
    """What a merchant sets up on a connector account before refund sync (all NetSuite internal ids)."""

    generic_refund_item_id: str | None = None   # Other Charge for Sale item for amount-only refund parts
    shipping_item_id: str | None = None         # Other Charge for Sale item for shipping
    payment_method_map: Mapping[str, str] = field(default_factory=dict)  # payment gateway -> NetSuite payment method
    refund_gift_cards_as_store_credit: bool = False  # a gift-card order's refund from NetSuite goes back as store credit


@dataclass(frozen=True)
class RefundView:
    """One refund in the connector's ledger, as its UI would show it."""

    id: str
    account_id: str
    order_id: str            # the storefront order
    source_id: str           # the refund where it started (storefront refund id, or NetSuite record id)
    direction: str           # TO_NETSUITE | FROM_NETSUITE
    status: str              # one of STATUSES
    error: str | None = None
    target_id: str | None = None   # what the connector created on the other side, once known
    # What the connector recorded of the refund's money, if it shows it; reconciliation checks both
    # against the order and the side the refund came from.
    currency: str | None = None
    total: Decimal | None = None


@dataclass(frozen=True)
class RunReport:
    """What one ``run_scheduled()`` call says it did, if the connector says: returning one is optional.

    The harness holds each count to what it saw the run do (``harness.run_reports``); a run that returns
    None is not failed for it, and its counts are recorded as not checked. Counts are of refunds, over
    every account the run covered."""

    posted: int = 0    # refunds this run posted (to NetSuite, or to the storefront from NetSuite)
    errors: int = 0    # refunds this run left in error, plus every failure of the run itself (a listing that failed)
    pending: int = 0   # refunds this run tried and left open, waiting for money still settling
    skipped: int = 0   # refunds left alone because another worker held them
    messages: Sequence[str] = ()   # one line per error, for people


@dataclass(frozen=True)
class Claim:
    """What a connector supports, so what certifying it covers: nothing more, nothing less.

    ``directions``: platform registry name -> the refund directions claimed for it, e.g.
    ``{"<platform>": ["to_netsuite"]}``. ``not_offered``: optional behaviours the connector does not
    offer, by their scenario tag (``harness.requirements.OPTIONAL_BEHAVIOURS``, e.g. "refund_webhooks").
    Faults, retries, workers and money rules are never optional: they apply to every claimed row."""

    directions: Mapping[str, Sequence[str]]
    not_offered: Collection[str] = ()


@runtime_checkable
class ConnectorUnderTest(Protocol):
    # --- what it claims ---
    def certification_claim(self) -> Claim:
        """The platforms, directions and optional behaviours this connector supports. The harness asks it
        once, of a connector built with a context that reaches no system, before any scenario runs."""
        ...
    # --- accounts and order sync ---
    def add_account(self, *, name: str, platform: str, store: str, credentials: Mapping[str, str],
                    setup: AccountSetup) -> str:
        """The new account's id; raises OperationRefused for a platform it does not sync, naming those it does."""
        ...
    def account_setup(self, account_id: str) -> AccountSetup: ...
    def change_setup(self, account_id: str, setup: AccountSetup) -> None: ...
    def activate_order_sync(self, account_id: str) -> None: ...
    def sync_order(self, account_id: str, order_id: str) -> str:
        """Sync one storefront order; returns the NetSuite sales order id; raises OrderSyncFailed."""
        ...
    # --- activation and direction ---
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        """Turn refund sync on in one direction; raises ActivationRefused naming every unmet prerequisite."""
        ...
    def disable_refund_sync(self, account_id: str) -> None: ...
    def direction(self, account_id: str) -> str: ...
    # --- refunds ---
    def retrieve_refunds(self, account_id: str, order_id: str) -> list[RefundView]:
        """The manual "Retrieve Refund/Return" of one order."""
        ...
    def post(self, refund_id: str) -> RefundView:
        """The manual "Post": to NetSuite, or to the storefront."""
        ...
    def run_scheduled(self) -> RunReport | None:
        """Everything the connector does on its schedule, for every account that is due; what it did, as a
        ``RunReport``, or None for a connector that does not say."""
        ...
    def refunds(self, account_id: str) -> list[RefundView]: ...
    def cancel(self, refund_id: str) -> RefundView: ...
    def uncancel(self, refund_id: str) -> RefundView: ...
    def delete(self, refund_id: str) -> None: ...
    # --- webhooks and lifetime ---
    def handle_webhook(self, request: httpx.Request) -> httpx.Response:
        """A storefront's webhook delivery to ``<webhook_base_url>/webhooks/<platform>``."""
        ...
    def close(self) -> None: ...


ConnectorFactory = Callable[[ConnectorContext], ConnectorUnderTest]
REFERENCE = "harness.connectors.reference:reference_connector"



class SeamNotImplemented(TypeError):
    """A connector lacks methods of the seam; the message names them."""


def check_connector(connector: object, spec: str) -> ConnectorUnderTest:
    """Refuse, naming them, a connector that lacks methods of the seam."""
    missing = [name for name in _SEAM_METHODS if not callable(getattr(connector, name, None))]
    if missing:
        raise SeamNotImplemented(f"the connector built by {spec} does not implement the seam: missing "
                        f"{', '.join(missing)} (see docs/connector-seam.md)")
    return connector  # type: ignore[return-value]


_SEAM_METHODS = [name for name in vars(ConnectorUnderTest)
                 if not name.startswith("_") and callable(getattr(ConnectorUnderTest, name))]
