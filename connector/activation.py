"""The rules that guard refund sync on an account: a new account names its store and credentials, one
direction per account, and activation only once the prerequisites (order sync working, a test order
billed, items mapped, generic refund item set) are met."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from connector.errors import ActivationRefused, ConnectorError, Prerequisite, RemoteError, Unmet
from connector.ledger import Ledger
from connector.model import Account, Direction
from connector.netsuite import NetSuiteClient
from connector.storefronts import storefront


@dataclass(frozen=True)
class PrerequisiteReport:
    ok: bool
    missing: list[Unmet]
    test_order: str | None        # storefront order id of a synced order that is billed in NetSuite


def validate_new_account(name: str, platform: str, store: str, credentials: Mapping[str, str]) -> None:
    if not name or not name.strip():
        raise ConnectorError("An account needs a name, e.g. 'Acme web store'.")
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
        read_only = storefront(account.platform).refunds_read_only
        if read_only:
            missing = [Unmet(Prerequisite.STOREFRONT_CREATES_REFUNDS,
                             f"refunds cannot be created in the storefront: {read_only}")]
            raise ActivationRefused(refusal_message(account, missing) + " Turn on refund sync to NetSuite instead.",
                                    missing=missing)
    if account.direction in (Direction.OFF, wanted) or wanted is Direction.OFF:
        return
    current = account.direction.label
    message = (f"{current[0].upper()}{current[1:]} is already on for account '{account.name}'. "
               f"Turning on {wanted.label} as well is unsupported: every refund would echo back and "
               "be refunded twice. Turn the current direction off first.")
    raise ActivationRefused(message, missing=[Unmet(Prerequisite.OTHER_DIRECTION_OFF,
                                                    f"{current} is already on; turn it off first")])


def check_prerequisites(account: Account, ledger: Ledger, netsuite: NetSuiteClient) -> PrerequisiteReport:
    """Everything refund sync needs before it may run, checked against NetSuite itself."""
    missing: list[Unmet] = []
    if not account.order_sync_active:
        missing.append(Unmet(Prerequisite.ORDER_SYNC_ACTIVE, "order sync is not active"))
    links = ledger.order_links(account.id)
    test_order: str | None = None
    try:
        if not links:
            missing.append(Unmet(Prerequisite.TEST_ORDER_SYNCED,
                                 "no test order has been synced to NetSuite (sync a test order, then bill it "
                                 "in NetSuite with a cash sale or an invoice)"))
        else:
            billed = netsuite.billed_records([link.sales_order_id for link in links])
            test_order = next((link.order_id for link in links if link.sales_order_id in billed), None)
            if test_order is None:
                names = [link.sales_order_name for link in links[:3]]
                which = (f"sales order {names[0]} has" if len(names) == 1
                         else f"sales orders {', '.join(names)} have")
                missing.append(Unmet(Prerequisite.TEST_ORDER_BILLED,
                                     f"no test order has been billed in NetSuite ({which} no cash sale or invoice)"))
            skus = sorted({sku for link in links for sku in link.skus})
            resolved = netsuite.item_ids(skus, account.settings.item_map)
            unmapped = [sku for sku in skus if sku not in resolved]
            if unmapped:
                missing.append(Unmet(Prerequisite.ITEMS_MAPPED,
                                     f"items are not mapped: SKU {', '.join(unmapped)} has no NetSuite item "
                                     "(create the item or add it to item_map)"))
        generic = account.settings.generic_refund_item_id
        if not generic:
            missing.append(Unmet(Prerequisite.GENERIC_REFUND_ITEM,
                                 "the generic refund item is not configured (set generic_refund_item_id to an "
                                 "Other Charge for Sale item)"))
        else:
            item_type = netsuite.item_type(generic)
            if item_type is None:
                missing.append(Unmet(Prerequisite.GENERIC_REFUND_ITEM,
                                     f"the generic refund item {generic} does not exist in NetSuite"))
            elif item_type != "OthCharge":
                missing.append(Unmet(Prerequisite.GENERIC_REFUND_ITEM_OTHER_CHARGE,
                                     f"the generic refund item {generic} is not an Other Charge for Sale item "
                                     f"(it is {item_type})"))
    except RemoteError as exc:
        missing.append(Unmet(Prerequisite.NETSUITE_REACHABLE, f"NetSuite could not be checked ({exc})"))
    return PrerequisiteReport(ok=not missing, missing=missing, test_order=test_order)


def refusal_message(account: Account, missing: list[Unmet]) -> str:
    return f"Refund sync cannot be activated for account '{account.name}': {'; '.join(map(str, missing))}."
