"""Given/When steps that set up accounts, orders and refund sync activation."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from harness import factories, seam
from harness.directions import LABELS
from harness.scenario import AccountUnderTest, ScenarioWorld
from steps.vocabulary import NAMED_STOREFRONT, given, when


@given("the refund item and the shipping item are set up in NetSuite",
       "the refund item and the shipping item are set up in NetSuite")
def generic_items_exist(world: ScenarioWorld) -> None:
    """The generic Other Charge for Sale items that amount-only and shipping refunds post to exist."""
    for item_id in (world.refund_item_id, world.shipping_item_id):
        assert world.netsuite.record("otherChargeSaleItem", item_id)["id"] == item_id


@given("a storefront connected to NetSuite", "a storefront connected to NetSuite")
@given("a {storefront:Storefront} store connected to NetSuite", f"a {NAMED_STOREFRONT} store connected to NetSuite")
def connected_store(world: ScenarioWorld, storefront: str) -> None:
    """A connector account for the storefront under test (or the one named), order sync not yet active."""
    world.connect(storefront)


UNKNOWN_PLATFORM = "no-such-platform"


@when("I try to add an account for the same store under a platform the connector does not sync",
      "I try to add an account for the same store under a platform the connector does not sync")
def add_account_unknown_platform(world: ScenarioWorld) -> None:
    """Add a connector account with the connected store's own store and credentials, but a platform
    name no registry entry has; the refusal is remembered for the Then steps."""
    account = world.account
    try:
        world.connector.add_account(name="Mistyped platform", platform=UNKNOWN_PLATFORM,
                                    store=account.driver.account_store(),
                                    credentials=account.driver.account_credentials(),
                                    setup=world.default_setup(account.platform))
    except seam.OperationRefused as refusal:
        world.scenario.refusal = refusal


@given("a storefront connected to NetSuite with order sync active",
       "a storefront connected to NetSuite with order sync active")
@given("a {storefront:Storefront} store connected to NetSuite with order sync active",
       f"a {NAMED_STOREFRONT} store connected to NetSuite with order sync active")
def connected_store_with_order_sync(world: ScenarioWorld, storefront: str) -> None:
    """A connector account whose order sync is active (no order synced yet)."""
    account = world.connect(storefront)
    world.connector.activate_order_sync(account.id)


@given("a storefront connected to NetSuite with the test order billed",
       "a storefront connected to NetSuite with the test order billed")
@given("a {storefront:Storefront} store connected to NetSuite with the test order billed",
       f"a {NAMED_STOREFRONT} store connected to NetSuite with the test order billed")
@given("a second store of the storefront connected to NetSuite with the test order billed",
       "a second store of the storefront connected to NetSuite with the test order billed")
def connected_store_ready(world: ScenarioWorld, storefront: str) -> None:
    """All prerequisites met: order sync active, a test order synced and billed in NetSuite.
    Said again, it connects another store of the same platform."""
    _ready(world, world.connect(storefront))


def _ready(world: ScenarioWorld, account: AccountUnderTest) -> None:
    world.connector.activate_order_sync(account.id)
    order = world.place_order(account)
    world.sync(order)
    world.bill(order)


@given("a second account on the same store, with the test order billed",
       "a second account on the same store, with the test order billed")
def second_account_same_store(world: ScenarioWorld) -> None:
    """A second connector account on the store the first account connects (same store, same
    credentials), with its own order sync active and a test order synced and billed through it."""
    _ready(world, world.connect_again(world.account))


@given("the second account syncs the order too", "the second account syncs the order too")
def second_account_syncs_order(world: ScenarioWorld) -> None:
    """The second account on the same store syncs the order the first account synced: both accounts
    then know the order (it links to the same sales order), as after installing the connector twice."""
    second = world.scenario.accounts[1]
    world.connector.sync_order(second.id, world.order.placed.order_id)


@given("a paid test order synced to NetSuite", "a paid test order synced to NetSuite")
def test_order_synced(world: ScenarioWorld) -> None:
    """The order-sync test: a paid storefront order becomes a NetSuite sales order."""
    world.sync(world.place_order(world.account))


@given("the test order is billed in NetSuite", "the test order is billed in NetSuite")
@when("the order is billed in NetSuite", "the order is billed in NetSuite")
def bill_test_order(world: ScenarioWorld) -> None:
    """A NetSuite user bills the sales order (cash sale if paid, invoice if on terms)."""
    world.bill(world.order)


def _enable(world: ScenarioWorld, direction: str, account_index: int = 0) -> None:
    account = world.scenario.accounts[account_index]
    offered = account.platform.capabilities.directions
    if direction not in offered:
        raise AssertionError(f"{account.platform.display_name} does not offer refund sync {LABELS[direction]}; "
                             f"tag the scenario @{offered[0]} or @each_direction")
    world.connector.enable_refund_sync(account.id, direction)


@given("refund sync is enabled {direction:Direction}", "refund sync is enabled to NetSuite")
@when("I enable refund sync {direction:Direction}", "I enable refund sync from NetSuite")
def enable_refund_sync(world: ScenarioWorld, direction: str) -> None:
    """Click the Refund Sync button of one direction; it must be accepted."""
    _enable(world, direction)


@given("refund sync is enabled in the direction under test", "refund sync is enabled in the direction under test")
@when("I enable refund sync in the direction under test", "I enable refund sync in the direction under test")
def enable_direction_under_test(world: ScenarioWorld, direction_under_test: str) -> None:
    """As above, in the direction an @each_direction scenario runs for."""
    _enable(world, direction_under_test)


@when("I enable refund sync {direction:Direction} on the second account",
      "I enable refund sync from NetSuite on the second account")
def enable_on_second_account(world: ScenarioWorld, direction: str) -> None:
    """Enable refund sync on the second connected account."""
    _enable(world, direction, account_index=1)


def _try_enable(world: ScenarioWorld, direction: str) -> None:
    try:
        _enable(world, direction)
    except seam.ActivationRefused as refusal:
        world.scenario.refusal = refusal


@when("I try to enable refund sync {direction:Direction}", "I try to enable refund sync to NetSuite")
def try_enable_refund_sync(world: ScenarioWorld, direction: str) -> None:
    """Click the Refund Sync button; a refusal is remembered for the Then steps."""
    _try_enable(world, direction)


@when("I try to enable refund sync in the direction under test",
      "I try to enable refund sync in the direction under test")
def try_enable_direction_under_test(world: ScenarioWorld, direction_under_test: str) -> None:
    """As above, in the direction an @each_direction scenario runs for."""
    _try_enable(world, direction_under_test)


@when("I turn refund sync off", "I turn refund sync off")
def turn_off(world: ScenarioWorld) -> None:
    """Turn refund sync off for the account."""
    world.connector.disable_refund_sync(world.account.id)


@given("NetSuite recalculates tax on refunds instead of keeping the connector's tax",
       "NetSuite recalculates tax on refunds instead of keeping the connector's tax")
def misconfigure_netsuite_tax(world: ScenarioWorld) -> None:
    """A misconfigured NetSuite whose tax engine overrides the tax the connector sends."""
    world.netsuite.settings.ignore_tax_override = True
    world.expected.expect_mismatch()


@given("NetSuite's tax engine taxes the lines a user adds at {rate:Percent}",
       "NetSuite's tax engine taxes the lines a user adds at 8.25%")
def netsuite_tax_engine_rate(world: ScenarioWorld, rate: Decimal) -> None:
    """The rate NetSuite taxes a line at that a user adds to a record (a line copied from the billed
    record keeps the tax it was billed with); without this step, such lines get no tax."""
    world.netsuite.settings.tax_rate = rate


def _order(world: ScenarioWorld, *, billed: bool = True, synced: bool = True, **plan) -> None:
    order = world.place_order(world.account, **plan)
    if synced:
        world.sync(order)
    if billed:
        world.bill(order)


@given("a paid order synced to NetSuite and billed as a cash sale",
       "a paid order synced to NetSuite and billed as a cash sale")
def paid_order_billed(world: ScenarioWorld) -> None:
    """A card-paid order with two lines, tax, shipping and a discount, synced and billed."""
    _order(world)


@given("a paid order synced to NetSuite and billed as a cash sale, with {units:Units} on line 1",
       "a paid order synced to NetSuite and billed as a cash sale, with 3 units on line 1")
def paid_order_with_units(world: ScenarioWorld, units: int) -> None:
    """As above, with a given quantity on the first line."""
    _order(world, quantity_first=units)


@given("a paid order split over two card payments, the first of {amount:Amount}, synced to NetSuite and billed "
       "as a cash sale, with {units:Units} on line 1",
       "a paid order split over two card payments, the first of 1.00, synced to NetSuite and billed as a cash sale, "
       "with 3 units on line 1")
def split_tender_order(world: World, amount: Decimal, units: int) -> None:
    """As above, paid with two card payments (a split tender): the first of ``amount``, the rest by the second."""
    _order(world, quantity_first=units, split_tender=amount)


@given("a paid order in {currency:Currency} synced to NetSuite and billed as a cash sale, with {units:Units} on line 1",
       "a paid order in JPY synced to NetSuite and billed as a cash sale, with 3 units on line 1")
def paid_order_in_currency(world: ScenarioWorld, currency: str, units: int) -> None:
    """As above, in another currency (JPY has no minor units)."""
    _order(world, currency=currency, quantity_first=units)


CASH_SALE = "synced to NetSuite and billed as a cash sale"
INVOICE = "an order on payment terms synced to NetSuite and billed as an invoice"
TABLE = "item | quantity | unit price | discount"


def exact_lines(datatable: list[list[str]] | None) -> tuple[factories.ExactLine, ...]:
    """The lines of a datatable headed ``| item | quantity | unit price | discount |`` (unit price
    optional: the catalog's price; discount optional: none). An item is a catalog SKU or item number;
    a discount is money off the whole line."""
    if not datatable or len(datatable) < 2:
        raise AssertionError(f"the step needs a table of lines under it, headed | {TABLE} |")
    header = [cell.strip().lower() for cell in datatable[0]]
    unknown = set(header) - {"item", "quantity", "unit price", "discount"}
    if unknown or not {"item", "quantity"} <= set(header):
        raise AssertionError(f"the lines table is headed | {' | '.join(datatable[0])} |; use | {TABLE} | "
                             "(unit price and discount may be left out)")
    rows = [dict(zip(header, (cell.strip() for cell in row))) for row in datatable[1:]]
    return tuple(factories.ExactLine(row["item"], int(row["quantity"]),
                                     Decimal(row["unit price"]) if row.get("unit price") else None,
                                     Decimal(row["discount"]) if row.get("discount") else Decimal(0))
                 for row in rows)


def _exact_order(world: ScenarioWorld, datatable: list[list[str]] | None, *, currency: str,
                 terms: dict[str, Decimal] | None, on_terms: bool) -> None:
    exact = factories.ExactOrder(exact_lines(datatable), currency=currency, on_terms=on_terms, **(terms or {}))
    _order(world, exact=exact)


@given(f"a paid order {CASH_SALE}, with these lines:", f"a paid order {CASH_SALE}, with these lines:")
@given(f"a paid order {CASH_SALE}, with {{terms:OrderTerms}} and these lines:",
       f"a paid order {CASH_SALE}, with shipping 7.50 and tax rate 8.25% and these lines:")
@given(f"a paid order in {{currency:Currency}} {CASH_SALE}, with these lines:",
       f"a paid order in EUR {CASH_SALE}, with these lines:")
@given(f"a paid order in {{currency:Currency}} {CASH_SALE}, with {{terms:OrderTerms}} and these lines:",
       f"a paid order in JPY {CASH_SALE}, with shipping 500 and an order discount of 300 and these lines:")
def exact_paid_order(world: ScenarioWorld, datatable: list[list[str]] | None = None, currency: str = "USD",
                     terms: dict[str, Decimal] | None = None) -> None:
    """An order exactly as written: a table | item | quantity | unit price | discount | (item: SKU or
    catalog number; unit price optional; discount, money off that whole line, optional) and, if said, shipping, one tax rate for lines and shipping, and an
    order discount spread over the lines by value. Card-paid, synced and billed as a cash sale."""
    _exact_order(world, datatable, currency=currency, terms=terms, on_terms=False)


@given(f"{INVOICE}, with these lines:", f"{INVOICE}, with these lines:")
@given(f"{INVOICE}, with {{terms:OrderTerms}} and these lines:",
       f"{INVOICE}, with tax rate 10% and these lines:")
def exact_terms_order(world: ScenarioWorld, datatable: list[list[str]] | None = None,
                      terms: dict[str, Decimal] | None = None) -> None:
    """As above, paid on terms: billed as an invoice."""
    _exact_order(world, datatable, currency="USD", terms=terms, on_terms=True)


@given("a paid order with the same item on two lines synced to NetSuite and billed as a cash sale",
       "a paid order with the same item on two lines synced to NetSuite and billed as a cash sale")
def same_item_twice(world: ScenarioWorld) -> None:
    """One item on both lines (only the first discounted): a connector must refund the line asked for,
    not the first line with that SKU."""
    _order(world, same_item=True)


@given("an order on payment terms synced to NetSuite and billed as an invoice",
       "an order on payment terms synced to NetSuite and billed as an invoice")
def terms_order_invoiced(world: ScenarioWorld) -> None:
    """An order paid on terms (no payment method in NetSuite), so billing makes an invoice."""
    _order(world, on_terms=True)


@given("a paid order that was never synced to NetSuite", "a paid order that was never synced to NetSuite")
def unsynced_order(world: ScenarioWorld) -> None:
    """A paid storefront order not sent to NetSuite (yet): placed before the order-sync cut-off, or
    one a later step syncs."""
    _order(world, synced=False, billed=False)


@given("a paid order synced to NetSuite but not billed", "a paid order synced to NetSuite but not billed")
def unbilled_order(world: ScenarioWorld) -> None:
    """A synced sales order that nobody billed yet."""
    _order(world, billed=False)


@given("an order on payment terms synced to NetSuite but not billed",
       "an order on payment terms synced to NetSuite but not billed")
def unbilled_terms_order(world: ScenarioWorld) -> None:
    """An order paid on terms (no payment method in NetSuite), synced as a sales order nobody billed
    yet: once billed it becomes an invoice, refunded with a credit memo."""
    _order(world, on_terms=True, billed=False)


@given("an order entered directly in NetSuite and billed as a cash sale",
       "an order entered directly in NetSuite and billed as a cash sale")
def order_outside_connector(world: ScenarioWorld) -> None:
    """A sales order typed into NetSuite by hand: the connector did not sync it."""
    world.enter_order_in_netsuite()


@given("a paid test order with {units:Units} on line 1", "a paid test order with 3 units on line 1")
def test_order_with_units(world: ScenarioWorld, units: int) -> None:
    """A card-paid order with two lines, tax, shipping and a discount on line 1, placed but not synced."""
    world.place_order(world.account, quantity_first=units)


@given("a test order whose payment is still pending", "a test order whose payment is still pending")
def unpaid_test_order(world: ScenarioWorld) -> None:
    """A storefront order placed but not paid yet (its payment pending), not synced."""
    world.place_order(world.account, paid=False)


@given("a paid test order with an item NetSuite does not know", "a paid test order with an item NetSuite does not know")
def order_with_unknown_item(world: ScenarioWorld) -> None:
    """A storefront order with one more line whose SKU has no item in NetSuite."""
    world.place_order(world.account, unknown_item=True)


@when("I sync the test order to NetSuite", "I sync the test order to NetSuite")
def sync_test_order(world: ScenarioWorld) -> None:
    """Order sync of the latest order; a failure is remembered for the Then steps."""
    try:
        world.sync(world.order)
    except seam.OrderSyncFailed as failure:
        world.scenario.failure = failure


@given("the account has no generic refund item configured", "the account has no generic refund item configured")
def no_generic_item(world: ScenarioWorld) -> None:
    """Settings > Other Transactions > Refund without the generic refund item."""
    _change_settings(world, generic_refund_item_id=None)


@given("the account's shipping item is no longer configured", "the account's shipping item is no longer configured")
def shipping_item_removed(world: ScenarioWorld) -> None:
    """Settings without the shipping item, after the orders were synced with it: a refunded shipping
    charge then has no item of its own in NetSuite. The reconciliation, which finds NetSuite's refunded
    shipping on the shipping item, sees the shipping differ by design: a deliberate, detected mismatch."""
    _change_settings(world, shipping_item_id=None)
    world.expected.expect_mismatch()


@given("the account's generic refund item is an inventory item", "the account's generic refund item is an inventory item")
def generic_item_is_inventory(world: ScenarioWorld) -> None:
    """A generic refund item that points at a stocked item instead of an Other Charge for Sale item."""
    _change_settings(world, generic_refund_item_id=world.item_ids[world.catalog[0].sku])


def _change_settings(world: ScenarioWorld, **changes) -> None:
    account_id = world.account.id
    world.connector.change_setup(account_id, dataclasses.replace(world.connector.account_setup(account_id), **changes))
