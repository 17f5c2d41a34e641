"""Connector accounts: one storefront store wired to NetSuite, its settings, and the two rules
that guard refund sync: one direction per account, and activation only once the prerequisites
(order sync working, a test order billed, items mapped, generic refund item set) are met."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Mapping

from connector.errors import ActivationRefused, ConnectorError, RemoteError
from connector.model import Direction

if TYPE_CHECKING:  # imported for annotations only; the ledger imports this module
    from connector.ledger import Ledger
    from connector.netsuite import NetSuiteClient


@dataclass(frozen=True)
class AccountSettings:
    generic_refund_item_id: str | None = None  # otherChargeSaleItem for amount-only refund parts
    shipping_item_id: str | None = None        # otherChargeSaleItem for shipping on orders and refunds
    payment_method_id: str | None = None       # put on sales orders of orders paid at checkout
    item_map: Mapping[str, str] = field(default_factory=dict)  # SKU -> NetSuite item id (wins over lookup)
    # Payment gateway -> NetSuite payment method id; wins over payment_method_id. A paid order whose
    # gateway maps to nothing (and no default is set) goes to NetSuite without one: it bills as an invoice.
    payment_method_map: Mapping[str, str] = field(default_factory=dict)
    # The connector never refunds a gift card; with this on, a gift-card order's refund from NetSuite
    # goes back as store credit where the storefront offers it (off: the refund is an error to settle by hand).
    refund_gift_cards_as_store_credit: bool = False

    def payment_method_for(self, gateway: str | None) -> str | None:
        if gateway and gateway in self.payment_method_map:
            return str(self.payment_method_map[gateway])
        return self.payment_method_id

    def to_json(self) -> dict:
        return {"generic_refund_item_id": self.generic_refund_item_id,
                "shipping_item_id": self.shipping_item_id,
                "payment_method_id": self.payment_method_id,
                "item_map": dict(self.item_map), "payment_method_map": dict(self.payment_method_map),
                "refund_gift_cards_as_store_credit": self.refund_gift_cards_as_store_credit}

    @classmethod
    def from_json(cls, data: Mapping) -> "AccountSettings":
        return cls(generic_refund_item_id=data.get("generic_refund_item_id"),
                   shipping_item_id=data.get("shipping_item_id"),
                   payment_method_id=data.get("payment_method_id"),
                   item_map=dict(data.get("item_map") or {}),
                   payment_method_map=dict(data.get("payment_method_map") or {}),
                   refund_gift_cards_as_store_credit=bool(data.get("refund_gift_cards_as_store_credit", False)))


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    platform: str                    # a platform of connector.storefronts
    store: str                       # the store on that platform (see its StorefrontSpec.store_hint)
    direction: Direction
    order_sync_active: bool
    order_sync_cutoff: datetime | None   # orders created before this are not imported by sync_orders
    settings: AccountSettings
    created_at: datetime
    updated_at: datetime
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    orders_synced_through: datetime | None = None   # sync_orders asks for orders updated after this
    refund_sync_since: datetime | None = None       # when the current direction was switched on
    last_refund_run_at: datetime | None = None
    # TO_NETSUITE: every storefront refund created before this is in the ledger. It moves only when
    # a scheduled retrieval window completed, so a failed listing page is looked at again.
    refunds_retrieved_through: datetime | None = None
    next_refund_run_at: datetime | None = None
    netsuite_watermark: int = 0      # FROM_NETSUITE: highest NetSuite transaction id already examined
    webhook_registered: bool = False

    @property
    def refund_sync_on(self) -> bool:
        return self.direction is not Direction.OFF


@dataclass(frozen=True)
class PrerequisiteReport:
    ok: bool
    missing: list[str]
    test_order: str | None        # storefront order id of a synced order that is billed in NetSuite


def validate_new_account(name: str, platform: str, store: str, credentials: Mapping[str, str]) -> None:
    if not name or not name.strip():
        raise ConnectorError("An account needs a name, e.g. 'Acme web store'.")
    from connector.storefronts import storefront   # on use: the storefront modules import this one

    spec = storefront(platform)   # an unknown platform is refused here, by name
    if not store:
        raise ConnectorError(f"Account {name!r} needs a store: {spec.store_hint}.")
    absent = [key for key in spec.credentials if not credentials.get(key)]
    if absent:
        raise ConnectorError(f"Account {name!r} is missing credentials: {', '.join(absent)}.")


def check_direction_change(account: Account, wanted: Direction) -> None:
    """One direction per account: a refund synced both ways would echo back and be paid twice. And
    refunds go from NetSuite only to a storefront whose API can create them."""
    if wanted is Direction.FROM_NETSUITE:
        from connector.storefronts import storefront   # on use: the storefront modules import this one

        read_only = storefront(account.platform).refunds_read_only
        if read_only:
            missing = [f"refunds cannot be created in the storefront: {read_only}"]
            raise ActivationRefused(refusal_message(account, missing) + " Turn on refund sync to NetSuite instead.",
                                    missing=missing)
    if account.direction in (Direction.OFF, wanted) or wanted is Direction.OFF:
        return
    current = account.direction.label
    message = (f"{current[0].upper()}{current[1:]} is already on for account '{account.name}'. "
               f"Turning on {wanted.label} as well is unsupported: every refund would echo back and "
               "be refunded twice. Turn the current direction off first.")
    raise ActivationRefused(message, missing=[f"{current} is already on; turn it off first"])


def check_prerequisites(account: Account, ledger: "Ledger", netsuite: "NetSuiteClient") -> PrerequisiteReport:
    """Everything refund sync needs before it may run, checked against NetSuite itself."""
    missing: list[str] = []
    if not account.order_sync_active:
        missing.append("order sync is not active")
    links = ledger.order_links(account.id)
    test_order: str | None = None
    try:
        if not links:
            missing.append("no test order has been synced to NetSuite (sync a test order, then bill it in "
                           "NetSuite with a cash sale or an invoice)")
        else:
            billed = netsuite.billed_records([link.sales_order_id for link in links])
            test_order = next((link.order_id for link in links if link.sales_order_id in billed), None)
            if test_order is None:
                names = [link.sales_order_name for link in links[:3]]
                which = (f"sales order {names[0]} has" if len(names) == 1
                         else f"sales orders {', '.join(names)} have")
                missing.append(f"no test order has been billed in NetSuite ({which} no cash sale or invoice)")
            skus = sorted({sku for link in links for sku in link.skus})
            resolved = netsuite.item_ids(skus, account.settings.item_map)
            unmapped = [sku for sku in skus if sku not in resolved]
            if unmapped:
                missing.append(f"items are not mapped: SKU {', '.join(unmapped)} has no NetSuite item "
                               "(create the item or add it to item_map)")
        generic = account.settings.generic_refund_item_id
        if not generic:
            missing.append("the generic refund item is not configured (set generic_refund_item_id to an "
                           "Other Charge for Sale item)")
        else:
            item_type = netsuite.item_type(generic)
            if item_type is None:
                missing.append(f"the generic refund item {generic} does not exist in NetSuite")
            elif item_type != "OthCharge":
                missing.append(f"the generic refund item {generic} is not an Other Charge for Sale item "
                               f"(it is {item_type})")
    except RemoteError as exc:
        missing.append(f"NetSuite could not be checked ({exc})")
    return PrerequisiteReport(ok=not missing, missing=missing, test_order=test_order)


def refusal_message(account: Account, missing: list[str]) -> str:
    return f"Refund sync cannot be activated for account '{account.name}': {'; '.join(missing)}."
