"""When steps: refunds made at the source, and the connector's manual and scheduled syncs."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable

import httpx

from harness import seam
from harness.storefronts import AsyncSettlementDriver, RefundWebhooksDriver, StorefrontRefundRequest, driver_with
from harness.scenario import ScenarioWorld
from steps.vocabulary import given, register_type, when


def _storefront_refund(world: ScenarioWorld, request: StorefrontRefundRequest) -> None:
    world.storefront_refund(world.order, request)


AS_AMOUNT = "as an amount where it cannot refund by line"


@when("the merchant refunds {units:Units} of line {line:d} in the storefront",
      "the merchant refunds 2 units of line 1 in the storefront")
def refund_units(world: ScenarioWorld, units: int, line: int) -> None:
    """A line refund in the storefront's admin; a storefront that cannot refund by line fails it
    (say so with the next step where an amount is acceptable)."""
    world.refund_at_storefront(world.order, lines=((line, units),))


@when(f"the merchant refunds {{units:Units}} of line {{line:d}} in the storefront, {AS_AMOUNT}",
      f"the merchant refunds 1 unit of line 1 in the storefront, {AS_AMOUNT}")
def refund_units_or_amount(world: ScenarioWorld, units: int, line: int) -> None:
    """A line refund; where the storefront cannot refund by line, the same value as an amount (the
    order's own prices, tax and discount, to the cent over all its refunds)."""
    world.refund_at_storefront(world.order, lines=((line, units),), as_amount=True)


@when("the merchant refunds {units:Units} of line {line:d} in the storefront, giving back {amount:Amount} less",
      "the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 less")
def refund_units_for_less(world: ScenarioWorld, units: int, line: int, amount: Decimal) -> None:
    """A line refund that gives back less money than the line is worth (the storefront records the
    difference as a discrepancy)."""
    world.refund_at_storefront(world.order, lines=((line, units),), discrepancy=-amount)


@when("the merchant refunds {units:Units} of line {line:d} in the storefront, giving back {amount:Amount} more",
      "the merchant refunds 1 unit of line 1 in the storefront, giving back 2.50 more")
def refund_units_for_more(world: ScenarioWorld, units: int, line: int, amount: Decimal) -> None:
    """A line refund that gives back more money than the line is worth (goodwill, a fee refunded)."""
    world.refund_at_storefront(world.order, lines=((line, units),), discrepancy=amount)


@when("the merchant refunds {units:Units} of line {line:d} in the storefront, giving back only their tax",
      "the merchant refunds 1 unit of line 1 in the storefront, giving back only their tax")
def refund_units_tax_only(world: ScenarioWorld, units: int, line: int) -> None:
    """A line refund that gives back only the tax of the units (the buyer was exempt from the tax):
    a refunded line whose money is all tax."""
    world.refund_at_storefront(world.order, lines=((line, units),), tax_only=True)


@when("the merchant refunds the shipping in the storefront", "the merchant refunds the shipping in the storefront")
def refund_shipping(world: ScenarioWorld) -> None:
    """Refund only the order's shipping."""
    world.refund_at_storefront(world.order, shipping=True)


@when("the merchant refunds the whole order in the storefront", "the merchant refunds the whole order in the storefront")
def refund_whole_order(world: ScenarioWorld) -> None:
    """Refund every line and the shipping."""
    world.refund_at_storefront(world.order, whole_order=True)


@when("the merchant refunds {amount:Amount} as an amount in the storefront",
      "the merchant refunds 12.35 as an amount in the storefront")
def refund_amount(world: ScenarioWorld, amount: Decimal) -> None:
    """An amount-only (general) refund, the only kind some storefronts can make."""
    _storefront_refund(world, StorefrontRefundRequest(amount=amount))


def _refund_at_source(world: ScenarioWorld, units: int, line: int, *, as_amount: bool) -> None:
    if world.connector.direction(world.account.id) == seam.FROM_NETSUITE:
        world.refund_in_netsuite(world.order, lines=((line, units),), shipping=True)
    else:
        world.refund_at_storefront(world.order, lines=((line, units),), shipping=True, as_amount=as_amount)


def _refund_units_at_source(world: ScenarioWorld, units: int, line: int, *, as_amount: bool) -> None:
    if world.connector.direction(world.account.id) == seam.FROM_NETSUITE:
        world.refund_in_netsuite(world.order, lines=((line, units),))
    else:
        world.refund_at_storefront(world.order, lines=((line, units),), as_amount=as_amount)


@when("{units:Units} of line {line:d} are refunded at the source", "2 units of line 1 are refunded at the source")
@when("{units:Units} of line {line:d} is refunded at the source", "1 unit of line 2 is refunded at the source")
def refund_units_at_source(world: ScenarioWorld, units: int, line: int) -> None:
    """Refund units of one line, not the shipping, where the account's direction starts: a line refund
    in the storefront (to NetSuite) or the Refund button on the billed record keeping only that line
    (from NetSuite). A storefront that cannot refund by line fails it (say so with the next step
    where an amount is acceptable)."""
    _refund_units_at_source(world, units, line, as_amount=False)


@when(f"{{units:Units}} of line {{line:d}} are refunded at the source, {AS_AMOUNT}",
      f"2 units of line 1 are refunded at the source, {AS_AMOUNT}")
@when(f"{{units:Units}} of line {{line:d}} is refunded at the source, {AS_AMOUNT}",
      f"1 unit of line 1 is refunded at the source, {AS_AMOUNT}")
def refund_units_at_source_or_amount(world: ScenarioWorld, units: int, line: int) -> None:
    """As above; a storefront that cannot refund by line refunds the same value as an amount."""
    _refund_units_at_source(world, units, line, as_amount=True)


@when("{units:Units} of line {line:d} and the shipping are refunded at the source",
      "2 units of line 1 and the shipping are refunded at the source")
def refund_at_source(world: ScenarioWorld, units: int, line: int) -> None:
    """Refund where the account's direction starts: the storefront (to NetSuite, by line) or NetSuite
    (from NetSuite)."""
    _refund_at_source(world, units, line, as_amount=False)


@when(f"{{units:Units}} of line {{line:d}} and the shipping are refunded at the source, {AS_AMOUNT}",
      f"1 unit of line 2 and the shipping are refunded at the source, {AS_AMOUNT}")
def refund_at_source_or_amount(world: ScenarioWorld, units: int, line: int) -> None:
    """As above; a storefront that cannot refund by line refunds the same value as an amount."""
    _refund_at_source(world, units, line, as_amount=True)


@when("a NetSuite user refunds {units:Units} of line {line:d} on the billed record",
      "a NetSuite user refunds 1 unit of line 1 on the billed record")
def netsuite_refund_units(world: ScenarioWorld, units: int, line: int) -> None:
    """The Refund button on the billed record, keeping only the given line and quantity."""
    world.refund_in_netsuite(world.order, lines=((line, units),))


@when("a NetSuite user refunds {units:Units} of line {line:d} on the billed record and {amount:Amount} more "
      "on the refund item", "a NetSuite user refunds 2 units of line 1 on the billed record and 5.00 more on the refund item")
def netsuite_refund_units_and_amount(world: ScenarioWorld, units: int, line: int, amount: Decimal) -> None:
    """The Refund button keeping a line, with a line on the generic refund item for money given back
    besides (a goodwill amount): more than the refunded units are worth."""
    world.refund_in_netsuite(world.order, lines=((line, units),), amount=amount)


@when("a NetSuite user refunds {units:Units} of line {line:d} on the billed record for {amount:Amount} before tax",
      "a NetSuite user refunds 2 units of line 1 on the billed record for 30.00 before tax")
def netsuite_refund_units_for_amount(world: ScenarioWorld, units: int, line: int, amount: Decimal) -> None:
    """The Refund button keeping a line, its amount typed over (a partial credit: less than the refunded
    units are worth); NetSuite keeps the line's tax."""
    world.refund_in_netsuite(world.order, lines=((line, units),), lines_amount=amount)


@when("a NetSuite user refunds {units:Units} of line {line:d} on the billed record, on a form without the storefront line column",
      "a NetSuite user refunds 1 unit of line 1 on the billed record, on a form without the storefront line column")
def netsuite_refund_units_without_line_ids(world: ScenarioWorld, units: int, line: int) -> None:
    """As the Refund button, on a refund form that lacks the storefront line id column (the custom
    column applied to sales but not to refunds): the refund's lines leave it empty, and only the
    billed record's lines tie them to the storefront's."""
    world.refund_in_netsuite(world.order, lines=((line, units),), line_ids_shown=False)


@when("a NetSuite user refunds {units:Units} of line {line:d} and the shipping on the billed record",
      "a NetSuite user refunds 1 unit of line 1 and the shipping on the billed record")
def netsuite_refund_units_and_shipping(world: ScenarioWorld, units: int, line: int) -> None:
    """The Refund button, keeping a line and the shipping line."""
    world.refund_in_netsuite(world.order, lines=((line, units),), shipping=True)


@when("a NetSuite user refunds {units:Units} of line {line:d} on the billed record and {amount:Amount} of shipping "
      "on a line added by hand",
      "a NetSuite user refunds 1 unit of line 1 on the billed record and 7.50 of shipping on a line added by hand")
def netsuite_refund_units_and_shipping_by_hand(world: ScenarioWorld, units: int, line: int, amount: Decimal) -> None:
    """The Refund button keeping a line, the billed shipping line removed, and a line the user adds on
    the account's shipping item for the amount (before tax): it has no storefront line id, and NetSuite
    taxes it as any new line, at its own tax engine's rate."""
    world.refund_in_netsuite(world.order, lines=((line, units),), shipping_by_hand=amount)


@when("a NetSuite user refunds the shipping on the billed record",
      "a NetSuite user refunds the shipping on the billed record")
def netsuite_refund_shipping(world: ScenarioWorld) -> None:
    """The Refund button, keeping only the shipping line."""
    world.refund_in_netsuite(world.order, shipping=True)


@when("a NetSuite user refunds {amount:Amount} on the refund item of the billed record",
      "a NetSuite user refunds 12.35 on the refund item of the billed record")
def netsuite_refund_amount(world: ScenarioWorld, amount: Decimal) -> None:
    """The Refund button with every item line removed and one line on the generic refund item for
    the amount: a refund of money, not of goods."""
    world.refund_in_netsuite(world.order, amount=amount)


@when("a NetSuite user refunds the whole billed record", "a NetSuite user refunds the whole billed record")
def netsuite_refund_all(world: ScenarioWorld) -> None:
    """The Refund button with nothing removed: a full refund."""
    world.refund_in_netsuite(world.order, whole=True)


@when("I retrieve the refunds of the order", "I retrieve the refunds of the order")
def retrieve_only(world: ScenarioWorld) -> None:
    """The manual "Retrieve Refund/Return" by order id, without posting."""
    world.connector.retrieve_refunds(world.account.id, world.order.placed.order_id)


@when("I try to retrieve the refunds of the order", "I try to retrieve the refunds of the order")
def try_retrieve(world: ScenarioWorld) -> None:
    """The manual retrieve; a refusal is remembered for "Then retrieving is refused, naming the storefront ..."."""
    try:
        world.connector.retrieve_refunds(world.account.id, world.order.placed.order_id)
    except seam.OperationRefused as refusal:
        world.scenario.retrieve_refusal = refusal


# The operator's actions on the connector's refund rows, each on the latest row or on every row of the order.
OPERATOR_ACTIONS: dict[str, Callable[[seam.ConnectorUnderTest, str], object]] = {
    "cancel": lambda connector, refund_id: connector.cancel(refund_id),
    "uncancel": lambda connector, refund_id: connector.uncancel(refund_id),
    "delete": lambda connector, refund_id: connector.delete(refund_id),
}


@register_type("OperatorAction", "|".join(OPERATOR_ACTIONS), "cancel",
               "what an operator does to a refund row: " + ", ".join(OPERATOR_ACTIONS))
def _operator_action(text: str) -> Callable[[seam.ConnectorUnderTest, str], object]:
    return OPERATOR_ACTIONS[text]


@when("I {action:OperatorAction} the refund", "I cancel the refund")
def act_on_refund(world: ScenarioWorld, action: Callable[[seam.ConnectorUnderTest, str], object]) -> None:
    """On the latest refund row: cancel (never posted while canceled), uncancel (posted by the next
    run) or delete (forgotten: it can be retrieved again)."""
    action(world.connector, world.latest_refund().id)


@when("I {action:OperatorAction} every refund of the order", "I cancel every refund of the order")
def act_on_every_refund(world: ScenarioWorld, action: Callable[[seam.ConnectorUnderTest, str], object]) -> None:
    """The same action on every refund row of the order (in bulk)."""
    rows = world.refunds_of(world.order)
    if not rows:
        raise AssertionError("the connector has no refund of the order to act on; retrieve them first")
    for row in rows:
        action(world.connector, row.id)


@given("the storefront keeps its refunds pending until told", "the storefront keeps its refunds pending until told")
def hold_pending(world: ScenarioWorld) -> None:
    """The storefront's payment processor does not settle refunds by itself (they stay PENDING)."""
    driver_with(world.account.driver, AsyncSettlementDriver).hold_refunds_pending()


@when("the storefront's refund fails", "the storefront's refund fails")
def storefront_refund_fails(world: ScenarioWorld) -> None:
    """The payment processor fails the latest refund made in the storefront: no money went back."""
    order = world.order
    if not order.storefront_refund_ids:
        raise LookupError("no refund was made in the storefront yet in this scenario")
    driver_with(world.driver_of(order), AsyncSettlementDriver).fail_refund(order.storefront_refund_ids[-1])


@when("the storefront's refunds of the order fail", "the storefront's refunds of the order fail")
def storefront_refunds_fail(world: ScenarioWorld) -> None:
    """The payment processor fails every refund made in the storefront for the order: no money went back."""
    order = world.order
    if not order.storefront_refund_ids:
        raise LookupError("no refund was made in the storefront yet in this scenario")
    for refund_id in order.storefront_refund_ids:
        world.driver_of(order).fail_refund(refund_id)


@when("the storefront's payment processor fails the refund the connector pushed",
      "the storefront's payment processor fails the refund the connector pushed")
def pushed_refund_fails(world: ScenarioWorld) -> None:
    """From NetSuite: the storefront's payment processor fails the refund the connector made there for
    the order's latest NetSuite refund (still pending): no money went back to the buyer."""
    refund = world.latest_refund()
    if not refund.target_id:
        raise AssertionError(f"the connector has not pushed refund {refund.source_id} to the storefront yet "
                             f"(it is {refund.status}); nothing there to fail")
    driver_with(world.driver_of(world.order), AsyncSettlementDriver).fail_refund(refund.target_id)


@when("I retrieve the refunds of the order and post them to NetSuite",
      "I retrieve the refunds of the order and post them to NetSuite")
@when("I retrieve the refunds of the order and post them to the storefront",
      "I retrieve the refunds of the order and post them to the storefront")
def retrieve_and_post(world: ScenarioWorld) -> None:
    """The manual test: Retrieve Refund/Return by order id, then Post (to NetSuite, or to the storefront
    from NetSuite) for each."""
    for refund in world.connector.retrieve_refunds(world.account.id, world.order.placed.order_id):
        world.connector.post(refund.id)


@when("I post the refund again", "I post the refund again")
def post_again(world: ScenarioWorld) -> None:
    """Post Order to NetSuite once more on the latest refund row (e.g. after fixing the cause)."""
    world.connector.post(world.latest_refund().id)


@when("I try to post the refund again", "I try to post the refund again")
def try_post_again(world: ScenarioWorld) -> None:
    """Post once more on the latest refund row; a refusal (e.g. the refund is canceled) is remembered
    for "Then posting the refund is refused"."""
    try:
        world.connector.post(world.latest_refund().id)
    except seam.OperationRefused as refusal:
        world.scenario.post_refusal = refusal


@when("a forged refund webhook for the order reaches the connector",
      "a forged refund webhook for the order reaches the connector")
def forged_webhook(world: ScenarioWorld) -> None:
    """A refund webhook the storefront never signed arrives at the connector's webhook address."""
    driver = driver_with(world.driver_of(world.order), RefundWebhooksDriver)
    world.scenario.webhook_status = driver.send_forged_refund_webhook(world.order.placed)


@when("the storefront sends a signed webhook of a topic the connector does not handle",
      "the storefront sends a signed webhook of a topic the connector does not handle")
def webhook_of_an_unhandled_topic(world: World) -> None:
    """A genuine webhook, signed as the storefront signs its refund webhooks, of a topic the connector did not
    subscribe to (a product update) arrives at the address the connector subscribed for refunds."""
    driver = driver_with(world.driver_of(world.order), RefundWebhooksDriver)
    world.scenario.webhook_status = driver.send_webhook_of_an_unhandled_topic()


@when("a GET request reaches the connector's webhook address",
      "a GET request reaches the connector's webhook address")
def webhook_address_read(world: ScenarioWorld) -> None:
    """A GET (a person or a crawler opening the address, not a delivery) reaches the address the
    storefront delivered its webhooks to in this scenario."""
    deliveries = [answer for answer in world.webhook_answers if answer.method == "POST"]
    assert deliveries, "no webhook was delivered in this scenario: the connector's webhook address is not known"
    world.scenario.webhook_status = world.http.get(deliveries[-1].url).status_code


UNSUBSCRIBED_PATH = "/no-webhook-receiver-here"


@when("a delivery reaches the connector's webhook host at an address it never subscribed",
      "a delivery reaches the connector's webhook host at an address it never subscribed")
def webhook_to_unknown_address(world: ScenarioWorld) -> None:
    """The last delivery of the scenario arrives again, headers and body unchanged, on the same host but at
    a path no subscription names (a sender set up with a mistyped address): nothing receives webhooks there."""
    deliveries = [answer for answer in world.webhook_answers if answer.method == "POST"]
    assert deliveries, "no webhook was delivered in this scenario: the connector's webhook host is not known"
    last = deliveries[-1]
    headers = {name: value for name, value in last.headers if name.lower() not in ("content-length", "transfer-encoding")}
    address = httpx.URL(last.url).copy_with(path=UNSUBSCRIBED_PATH, query=None)
    world.scenario.webhook_status = world.http.post(address, content=last.body, headers=headers).status_code


@when("a delivery whose body is not JSON reaches the connector's webhook address",
      "a delivery whose body is not JSON reaches the connector's webhook address")
def webhook_body_not_json(world: ScenarioWorld) -> None:
    """The last delivery of the scenario arrives again with its headers (signature included) but a body
    that is not JSON, as a proxy's error page or a tampered request would: it cannot verify."""
    deliveries = [answer for answer in world.webhook_answers if answer.method == "POST"]
    assert deliveries, "no webhook was delivered in this scenario: there is no delivery to send altered"
    last = deliveries[-1]
    headers = {name: value for name, value in last.headers if name.lower() not in ("content-length", "transfer-encoding")}
    world.scenario.webhook_status = world.http.post(last.url, content=b"<html>502 Bad Gateway</html>",
                                                    headers=headers).status_code


@when("the storefront sends its refund webhook again once for each flaw its payload can carry",
      "the storefront sends its refund webhook again once for each flaw its payload can carry")
def flawed_webhooks(world: ScenarioWorld) -> None:
    """The storefront's latest refund webhook arrives again, signed, as deliveries of their own, each with
    one flaw its platform module (harness/platforms/) lists: a field of the wrong shape, an amount its currency
    cannot hold, or a record the store does not have (as a payload changed by an API version, or a
    sender's bug, would arrive)."""
    driver = driver_with(world.driver_of(world.order), RefundWebhooksDriver)
    world.scenario.flawed_webhooks = driver.send_flawed_refund_webhooks()
    assert world.scenario.flawed_webhooks, "the storefront lists no flaw its refund webhooks can carry"


@when("two workers of the connector run the scheduled sync at the same time",
      "two workers of the connector run the scheduled sync at the same time")
def two_workers(world: ScenarioWorld) -> None:
    """A second instance of the connector on the same work directory (as a second process would be)
    runs the scheduled sync at the same moment as the first."""
    world.run_schedule_in_two_workers()


@when("the scheduled refund sync runs", "the scheduled refund sync runs")
def scheduled_run(world: ScenarioWorld) -> None:
    """Advance the clock by the 90-minute schedule and let the connector's scheduled run work."""
    world.run_schedule()


@when("the storefront sends its refund webhooks again, each as a new delivery",
      "the storefront sends its refund webhooks again, each as a new delivery")
def webhooks_sent_as_new_deliveries(world: ScenarioWorld) -> None:
    """Every refund webhook sent so far arrives once more under a new delivery id (the same refund):
    a receiver that only remembers delivery ids takes it for news."""
    world.send_webhooks_as_new_deliveries()


@when("the storefront delivers its refund webhooks {times:Times}",
      "the storefront delivers its refund webhooks 3 times")
def webhooks_delivered(world: ScenarioWorld, times: int) -> None:
    """At-least-once delivery: every pending refund webhook arrives, then arrives again, as often as said."""
    world.deliver_webhooks(times)
