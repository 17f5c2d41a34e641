"""Steps about listings as the real APIs answer them: a page size the server imposes, so every listing
the connector reads spans pages, and listings lagging behind the writes (a search index catching up);
with several orders, each refunded several times, to fill those pages."""
from __future__ import annotations

from harness.scenario import ScenarioWorld
from steps.checks import assert_posted_exactly_once
from steps.faults import LISTING_TARGETS, scope_of
from steps.vocabulary import given, then, when


def _those_orders(world: ScenarioWorld) -> list:
    if not world.scenario.batch:
        raise LookupError("no orders were placed together yet; start with "
                          "'Given 3 orders paid with 3 units on line 1, synced to NetSuite and billed as cash sales'")
    return world.scenario.batch


@given("every listing returns at most {size:Records} per page", "every listing returns at most 1 record per page")
def listings_paged(world: ScenarioWorld, size: int) -> None:
    """NetSuite's and every storefront's listings (SuiteQL, record collections, orders, refunds) answer
    at most this many records a page, through each platform's own paging, whatever a client asks for."""
    if size < 1:
        raise ValueError(f"a page holds at least 1 record, not {size}")
    world.cap_listing_pages(size)


@given("{count:Orders} paid with {units:Units} on line 1, synced to NetSuite and billed as cash sales",
       "3 orders paid with 3 units on line 1, synced to NetSuite and billed as cash sales")
def paid_orders_billed(world: ScenarioWorld, count: int, units: int) -> None:
    """That many card-paid orders (two lines, tax, shipping, a discount), each synced and billed; the
    steps below speak of them as "those orders"."""
    for _ in range(count):
        order = world.place_order(world.account, quantity_first=units)
        world.sync(order)
        world.bill(order)
        world.scenario.batch.append(order)


@when("the merchant refunds {units:Units} of line {line:d} of each of those orders in the storefront, "
      "as an amount where it cannot refund by line",
      "the merchant refunds 1 unit of line 1 of each of those orders in the storefront, "
      "as an amount where it cannot refund by line")
def refund_every_order_at_storefront(world: ScenarioWorld, units: int, line: int) -> None:
    """The same line refund on each of those orders, made in the storefront's admin (an amount of
    the same value where the storefront cannot refund by line)."""
    for order in _those_orders(world):
        world.refund_at_storefront(order, lines=((line, units),), as_amount=True)


@when("a NetSuite user refunds {units:Units} of line {line:d} on the billed record of each of those orders",
      "a NetSuite user refunds 1 unit of line 1 on the billed record of each of those orders")
def refund_every_order_in_netsuite(world: ScenarioWorld, units: int, line: int) -> None:
    """The Refund button on each order's billed record, keeping only the given line and quantity."""
    for order in _those_orders(world):
        world.refund_in_netsuite(order, lines=((line, units),))


@then("every refund of those orders is posted, once on each side",
      "every refund of those orders is posted, once on each side")
def every_order_posted_exactly_once(world: ScenarioWorld) -> None:
    """For each of those orders: every ledger row Posted, one refund per row on each side, and
    the order reconciles by total and by line."""
    for order in _those_orders(world):
        assert_posted_exactly_once(world, order)


@given("the storefront's refund listings lag {minutes:d} minutes behind its writes",
       "the storefront's refund listings lag 240 minutes behind its writes")
def refund_listings_lag(world: ScenarioWorld, minutes: int) -> None:
    """Every listing of the store's refunds (its refund listing, an order's or payment's list of
    refunds) leaves out refunds written in the last ``minutes`` of the storefront's clock, as a search
    index that has not caught up: a read-before-write search there misses a refund just made."""
    for operation in LISTING_TARGETS:
        scope = scope_of(world, "storefront", operation, missing_ok=True)
        if scope is not None:
            world.faults.add(action="listing_lag", seconds=60 * minutes, **scope)
