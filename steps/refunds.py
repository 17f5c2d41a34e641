"""When steps: refunds made at the source, and the connector's manual and scheduled syncs."""
from __future__ import annotations

from decimal import Decimal

from harness import seam
from harness.storefronts import StorefrontRefundRequest
from harness.world import World
from steps.vocabulary import given, when


def _storefront_refund(world: World, request: StorefrontRefundRequest) -> None:
    world.storefront_refund(world.order, request)


@when("the merchant refunds {quantity:d} unit of line {line:d} in the storefront",
      "the merchant refunds 1 unit of line 1 in the storefront")
@when("the merchant refunds {quantity:d} units of line {line:d} in the storefront",
      "the merchant refunds 2 units of line 1 in the storefront")
def refund_units(world: World, quantity: int, line: int) -> None:
    """A line refund in the storefront's admin; where the storefront cannot refund by line, the same
    value as an amount (the order's own prices, tax and discount, to the cent over all its refunds)."""
    world.refund_at_storefront(world.order, lines=((line, quantity),))


@when("the merchant refunds {quantity:d} unit of line {line:d} in the storefront, giving back {amount} less",
      "the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 less")
def refund_units_for_less(world: World, quantity: int, line: int, amount: str) -> None:
    """A line refund that gives back less money than the line is worth (the storefront records the
    difference as a discrepancy)."""
    world.refund_at_storefront(world.order, lines=((line, quantity),), discrepancy=-Decimal(amount))


@when("the merchant refunds {quantity:d} unit of line {line:d} in the storefront, giving back {amount} more",
      "the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 more")
def refund_units_for_more(world: World, quantity: int, line: int, amount: str) -> None:
    """A line refund that gives back more money than the line is worth (goodwill, a fee refunded)."""
    world.refund_at_storefront(world.order, lines=((line, quantity),), discrepancy=Decimal(amount))


@when("the merchant refunds the shipping in the storefront", "the merchant refunds the shipping in the storefront")
def refund_shipping(world: World) -> None:
    """Refund only the order's shipping."""
    world.refund_at_storefront(world.order, shipping=True)


@when("the merchant refunds the whole order in the storefront", "the merchant refunds the whole order in the storefront")
def refund_whole_order(world: World) -> None:
    """Refund every line and the shipping."""
    world.refund_at_storefront(world.order, whole_order=True)


@when("the merchant refunds {amount} as an amount in the storefront",
      "the merchant refunds 12.35 as an amount in the storefront")
def refund_amount(world: World, amount: str) -> None:
    """An amount-only (general) refund, the only kind some storefronts can make."""
    _storefront_refund(world, StorefrontRefundRequest(amount=Decimal(amount)))


@when("{quantity:d} units of line {line:d} and the shipping are refunded at the source",
      "2 units of line 1 and the shipping are refunded at the source")
def refund_at_source(world: World, quantity: int, line: int) -> None:
    """Refund where the account's direction starts: the storefront (to NetSuite) or NetSuite (from NetSuite)."""
    if world.connector.direction(world.account.id) == seam.FROM_NETSUITE:
        world.refund_in_netsuite(world.order, lines=((line, quantity),), shipping=True)
    else:
        world.refund_at_storefront(world.order, lines=((line, quantity),), shipping=True)


@when("a NetSuite user refunds {quantity:d} unit of line {line:d} on the billed record",
      "a NetSuite user refunds 1 unit of line 1 on the billed record")
def netsuite_refund_units(world: World, quantity: int, line: int) -> None:
    """The Refund button on the billed record, keeping only the given line and quantity."""
    world.refund_in_netsuite(world.order, lines=((line, quantity),))


@when("a NetSuite user refunds {quantity:d} unit of line {line:d} and the shipping on the billed record",
      "a NetSuite user refunds 1 unit of line 1 and the shipping on the billed record")
def netsuite_refund_units_and_shipping(world: World, quantity: int, line: int) -> None:
    """The Refund button, keeping a line and the shipping line."""
    world.refund_in_netsuite(world.order, lines=((line, quantity),), shipping=True)


@when("a NetSuite user refunds the whole billed record", "a NetSuite user refunds the whole billed record")
def netsuite_refund_all(world: World) -> None:
    """The Refund button with nothing removed: a full refund."""
    world.refund_in_netsuite(world.order, whole=True)


@when("I retrieve the refunds of the order", "I retrieve the refunds of the order")
def retrieve_only(world: World) -> None:
    """The manual "Retrieve Refund/Return" by order id, without posting."""
    world.connector.retrieve_refunds(world.account.id, world.order.placed.order_id)


@when("I cancel the refund", "I cancel the refund")
def cancel_refund(world: World) -> None:
    """Cancel the latest refund row: it must not be posted while canceled."""
    world.connector.cancel(world.latest_refund().id)


@when("I uncancel the refund", "I uncancel the refund")
def uncancel_refund(world: World) -> None:
    """Uncancel the latest refund row: it goes back to being posted by the next run."""
    world.connector.uncancel(world.latest_refund().id)


@given("the storefront keeps its refunds pending until told", "the storefront keeps its refunds pending until told")
def hold_pending(world: World) -> None:
    """The storefront's payment processor does not settle refunds by itself (they stay PENDING)."""
    world.account.driver.hold_refunds_pending()


@when("the storefront's refund fails", "the storefront's refund fails")
def storefront_refund_fails(world: World) -> None:
    """The payment processor fails the latest refund made in the storefront: no money went back."""
    order = world.order
    if not order.storefront_refund_ids:
        raise LookupError("no refund was made in the storefront yet in this scenario")
    world.driver_of(order).fail_refund(order.storefront_refund_ids[-1])


@when("I retrieve the refunds of the order and post them to NetSuite",
      "I retrieve the refunds of the order and post them to NetSuite")
def retrieve_and_post(world: World) -> None:
    """The manual test: Retrieve Refund/Return by order id, then Post Order to NetSuite for each."""
    for refund in world.connector.retrieve_refunds(world.account.id, world.order.placed.order_id):
        world.connector.post(refund.id)


@when("I post the refund again", "I post the refund again")
def post_again(world: World) -> None:
    """Post Order to NetSuite once more on the latest refund row (e.g. after fixing the cause)."""
    world.connector.post(world.latest_refund().id)


@when("a forged refund webhook for the order reaches the connector",
      "a forged refund webhook for the order reaches the connector")
def forged_webhook(world: World) -> None:
    """A refund webhook the storefront never signed arrives at the connector's webhook address."""
    world.scenario.webhook_status = world.driver_of(world.order).send_forged_refund_webhook(world.order.placed)


@when("two workers of the connector run the scheduled sync at the same time",
      "two workers of the connector run the scheduled sync at the same time")
def two_workers(world: World) -> None:
    """A second instance of the connector on the same work directory (as a second process would be)
    runs the scheduled sync at the same moment as the first."""
    world.run_schedule_in_two_workers()


@when("the scheduled refund sync runs", "the scheduled refund sync runs")
def scheduled_run(world: World) -> None:
    """Advance the clock by the 90-minute schedule and let the connector's scheduled run work."""
    world.run_schedule()


@when("the storefront delivers its refund webhooks twice", "the storefront delivers its refund webhooks twice")
def webhooks_twice(world: World) -> None:
    """At-least-once delivery: every pending refund webhook arrives, then arrives again."""
    world.deliver_webhooks_twice()
