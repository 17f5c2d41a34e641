"""Then steps: what must be true on the connector, on NetSuite and on the storefront."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from common import money
from harness import seam
from harness.expected import OrderUnderTest
from harness.scenario import ScenarioWorld
from simulators.core.orders import price_order
from steps.vocabulary import register_type, then


def _mentions(world: ScenarioWorld, message: str | None, text: str) -> bool:
    """The message says ``text`` (case-insensitive), in the platform's words or in the scenario's own
    names for the lines it mentions ("the shipping", "SKU-1001 (line 1)")."""
    wanted = text.lower()
    return any(wanted in said.lower() for said in (
        message or "", world.explain_lines(message), world.explain_lines(message, platform_words=False)))


def says_none(message: str) -> bool:
    """The message says Python's ``None`` where a value belonged: a value the connector looked for (in an
    answer, on an error) and did not find (a misspelt key, a missing field), printed where a person expected
    a figure or a name. That is a ``None`` mid-sentence ("cost 10, None points"), or one that no words follow
    ("refused: None (errorId 1)", "...: None"); a sentence that starts with the word ("None of the items
    can be refunded") is words, not a missing value."""
    for found in re.finditer(r"\bNone\b", message):
        before = message[:found.start()].rstrip()
        mid_sentence = before and not before.endswith((".", ":", ";", "!", "?"))
        if mid_sentence or not re.match(r"\s+[a-z]", message[found.end():]):
            return True
    return False


def answer_leaves_value_out(text: str) -> bool:
    """An answer to a webhook sender (which the sender's delivery log shows a person) says nothing in
    place of a value: its text ``says_none``, or it is a JSON object with members of which none holds
    anything but null (``{"status": null}``: fields the connector meant to fill and did not). A member
    that is null beside one that says something (``{"status": "recorded", "error": null}``, as many JSON
    libraries write an unset field) and an empty body are fine."""
    if says_none(text):
        return True
    try:
        body = json.loads(text)
    except ValueError:
        return False

    def says_something(node: object) -> bool:
        if isinstance(node, dict):
            return any(says_something(value) for value in node.values())
        if isinstance(node, list):
            return any(says_something(value) for value in node)
        return node is not None and node != ""

    return isinstance(body, dict) and bool(body) and not says_something(body)


def assert_no_missing_value(message: str, what: str) -> None:
    """``message`` (``what`` it is, for the failure) says nothing in place of a value (``says_none``)."""
    assert not says_none(message), f"{what} says None where it meant to give a value: {message}"


def assert_readable_error(world: ScenarioWorld, refund: seam.RefundView) -> None:
    """A row's message says nothing in place of a value it meant to give (``says_none``)."""
    assert not says_none(refund.error or ""), (f"refund {refund.source_id}'s error says None where it meant to "
                                               f"give a value: {world.explain_lines(refund.error)}")


def describe_rows(world: ScenarioWorld, rows: list[seam.RefundView], order: OrderUnderTest) -> str:
    """The connector's refund rows of an order, one per line: source id, status and, for a row in error,
    its message with the order's lines named as the scenario wrote them."""
    return "; ".join(f"refund {r.source_id} is {r.status}" + (f": {world.explain_lines(r.error, order)}" if r.error else "")
                     for r in rows)


def _refusal(world: ScenarioWorld) -> str:
    refusal = world.scenario.refusal
    assert refusal is not None, "refund sync was activated; a refusal was expected"
    return str(refusal)


_PREREQUISITE = "|".join(seam.PREREQUISITES)


@register_type("Prerequisites", rf"(?:{_PREREQUISITE})(?:(?:, | and )(?:{_PREREQUISITE}))*",
               f"{seam.ORDER_SYNC_ACTIVE} and {seam.TEST_ORDER_SYNCED}",
               "prerequisites of refund sync by their seam names (seam.PREREQUISITES), joined by ', ' or ' and '")
def _prerequisites(text: str) -> tuple[str, ...]:
    return tuple(re.split(r", | and ", text))


@then("activation is refused for the unmet prerequisite {prerequisites:Prerequisites}",
      f"activation is refused for the unmet prerequisite {seam.ORDER_SYNC_ACTIVE}")
@then("activation is refused for the unmet prerequisites {prerequisites:Prerequisites}",
      f"activation is refused for the unmet prerequisites {seam.ORDER_SYNC_ACTIVE} and {seam.TEST_ORDER_SYNCED}")
def refused_for_prerequisites(world: ScenarioWorld, prerequisites: tuple[str, ...]) -> None:
    """The connector refused activation, listing each of these prerequisites among the unmet ones
    (``ActivationRefused.missing``: the names, not the words, so any connector's own wording passes), with
    a message a person reads that gives no None for a value (``says_none``)."""
    refusal = world.scenario.refusal
    assert isinstance(refusal, seam.ActivationRefused), "refund sync was activated; a refusal was expected"
    unlisted = [name for name in prerequisites if name not in refusal.missing]
    assert not unlisted, (f"the refusal does not list {', '.join(unlisted)} among the unmet prerequisites "
                          f"(it lists {', '.join(refusal.missing) or 'none'}): {refusal}")
    assert str(refusal).strip(), "the refusal has no message for a person"
    assert_no_missing_value(str(refusal), "the refusal")


@then("the refusal names the storefront", "the refusal names the storefront")
def refusal_names_storefront(world: ScenarioWorld) -> None:
    """The activation refusal's message names the account's storefront (its name or registry name, as a word
    of its own), so a person knows which system to look at."""
    message = _refusal(world)
    platform = world.account.platform
    assert _names_word(message, platform.display_name, platform.name), (
        f"the refusal does not name the storefront ({platform.display_name}): {message}")


def _latest_refund_in_error(world: ScenarioWorld) -> seam.RefundView:
    """The scenario's latest refund row, which must be in Error."""
    refund = world.latest_refund()
    assert refund.status == seam.ERROR, f"refund is {refund.status}, not Error"
    return refund


def _names_word(message: str | None, *names: str) -> bool:
    """``message`` says one of ``names`` as a word of its own (case-insensitive)."""
    return any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", message or "", re.IGNORECASE) for name in names)


@then("adding the account is refused, naming every platform the connector syncs",
      "adding the account is refused, naming every platform the connector syncs")
def account_refused_naming_platforms(world: ScenarioWorld) -> None:
    """The connector refused the account, and its message names each platform of its claim as a word of
    its own (case-insensitive), so a person sees which names it takes."""
    refusal = world.scenario.refusal
    assert refusal is not None, "the account was added; a refusal was expected"
    message = str(refusal)
    unnamed = [platform for platform in world.connector.certification_claim().directions
               if not _names_word(message, platform)]
    assert not unnamed, f"the refusal does not name {', '.join(unnamed)} among the platforms it syncs: {message}"


@then("order sync fails, naming the item NetSuite does not know by its SKU",
      "order sync fails, naming the item NetSuite does not know by its SKU")
def order_sync_failed_naming_unknown_item(world: ScenarioWorld) -> None:
    """Order sync refused the order, and its message names each SKU of the order that has no NetSuite item
    (what the merchant must create or map)."""
    failure = world.scenario.failure
    assert failure is not None, "order sync succeeded; a failure was expected"
    known = {item.sku for item in world.catalog}
    unknown = sorted({line.sku for line in world.order.spec.lines} - known)
    assert unknown, "every item of the order is in NetSuite: the scenario meant one that is not"
    unnamed = [sku for sku in unknown if not _names_word(str(failure), sku)]
    assert not unnamed, f"the failure does not name SKU {', '.join(unnamed)}: {failure}"
    assert_no_missing_value(str(failure), "the failure")


@then("posting the refund is refused", "posting the refund is refused")
def posting_refused_at_all(world: ScenarioWorld) -> None:
    """The connector refused to post the refund (``seam.OperationRefused``), with a message for a person that
    gives no None for a value; what it left undone the next steps check."""
    refusal = world.scenario.post_refusal
    assert refusal is not None, (f"the connector posted the refund (it is {world.latest_refund().status}); "
                                 "a refusal was expected")
    assert str(refusal).strip(), "the refusal has no message for a person"
    assert_no_missing_value(str(refusal), "the refusal")


@then("retrieving is refused, naming the storefront that refused it",
      "retrieving is refused, naming the storefront that refused it")
def retrieving_refused_naming_storefront(world: ScenarioWorld) -> None:
    """The connector refused the manual retrieve (a refusal, not a crash), in a message that names the
    storefront, so the operator knows which system to reconnect, and gives no None for a value. The words
    are the connector's own: the check holds no connector to the reference connector's wording."""
    refusal = world.scenario.retrieve_refusal
    assert refusal is not None, "the connector retrieved the order's refunds; a refusal was expected"
    message = str(refusal)
    driver = world.driver_of(world.order)
    assert _names_word(message, driver.display_name, driver.platform), (
        f"the refusal does not name the storefront ({driver.display_name}) that refused: {message}")
    assert_no_missing_value(message, "the refusal")


def _direction_of(world: ScenarioWorld, index: int) -> str:
    return world.connector.direction(world.scenario.accounts[index].id)


@then("refund sync is off for the account", "refund sync is off for the account")
def sync_off(world: ScenarioWorld) -> None:
    """Nothing was switched on."""
    assert _direction_of(world, 0) == seam.OFF


@then("refund sync runs {direction:Direction} for the account", "refund sync runs to NetSuite for the account")
@then("refund sync runs {direction:Direction} for the first account", "refund sync runs to NetSuite for the first account")
def sync_runs(world: ScenarioWorld, direction: str) -> None:
    """The (first) account syncs refunds in exactly this direction."""
    assert _direction_of(world, 0) == direction


@then("refund sync runs in the direction under test for the account",
      "refund sync runs in the direction under test for the account")
def sync_runs_direction_under_test(world: ScenarioWorld, direction_under_test: str) -> None:
    """The account syncs refunds in the direction an @each_direction scenario runs for."""
    assert _direction_of(world, 0) == direction_under_test


@then("refund sync runs {direction:Direction} for the second account",
      "refund sync runs from NetSuite for the second account")
def sync_runs_second(world: ScenarioWorld, direction: str) -> None:
    """The second account syncs refunds in exactly this direction."""
    assert _direction_of(world, 1) == direction


@then("no other setting had to be changed to activate it", "no other setting had to be changed to activate it")
def no_feature_flag(world: ScenarioWorld) -> None:
    """Activation used the account's default settings: no feature flag exists or was touched."""
    assert world.connector.account_setup(world.account.id) == world.default_setup(world.account.platform)


@then("every refund of the order is posted, once on each side", "every refund of the order is posted, once on each side")
def posted_exactly_once(world: ScenarioWorld) -> None:
    """Every ledger row of the order is Posted, each side holds one refund per row, and the order
    reconciles by total and by line."""
    assert_posted_exactly_once(world, world.order)


def assert_posted_exactly_once(world: ScenarioWorld, order: OrderUnderTest) -> None:
    """``order``'s ledger rows are all Posted, each side holds one refund per row, and it reconciles."""
    rows = world.refunds_of(order)
    assert rows, "the connector has no refund for the order"
    assert all(r.status == seam.POSTED for r in rows), describe_rows(world, rows, order)
    storefront = world.driver_of(order).refunds(order.placed)
    netsuite = world.netsuite_view.side(order)
    assert len(storefront) == len(netsuite) == len(rows), (
        f"the connector has {len(rows)} refund(s) for the order, the storefront {len(storefront)}, "
        f"NetSuite {len(netsuite)}")
    result = world.reconcile(order)
    assert result.matches, result.describe()


@then("the refund has status Canceled", "the refund has status Canceled")
def refund_canceled(world: ScenarioWorld) -> None:
    """The order's latest refund row is Canceled."""
    refund = world.latest_refund()
    assert refund.status == seam.CANCELED, f"refund {refund.source_id} is {refund.status}, not canceled"


@then("the refund has status Posted", "the refund has status Posted")
def refund_posted(world: ScenarioWorld) -> None:
    """The order's latest refund row is Posted."""
    refund = world.latest_refund()
    assert refund.status == seam.POSTED, (
        f"refund {refund.source_id} is {refund.status}: {world.explain_lines(refund.error)}")


@then("every refund of the order has status Posted", "every refund of the order has status Posted")
def all_posted(world: ScenarioWorld) -> None:
    """Every refund row of the order is Posted (and there is one at least)."""
    rows = world.refunds_of(world.order)
    assert rows, "the connector has no refund for the order"
    assert all(r.status == seam.POSTED for r in rows), describe_rows(world, rows, world.order)


@then('the refund shows an error containing "{text:Text}"', 'the refund shows an error containing "accounting period"')
def refund_error(world: ScenarioWorld, text: str) -> None:
    """The row is in Error and its message, the one a person hovers to read, explains why."""
    refund = _latest_refund_in_error(world)
    assert _mentions(world, refund.error, text), (
        f"error does not mention {text!r}: {world.explain_lines(refund.error)}")
    assert_readable_error(world, refund)


@then('the refund is posted for NetSuite\'s total, or the storefront refused it with an error containing "{text:Text}"',
      'the refund is posted for NetSuite\'s total, or the storefront refused it with an error containing "shipping"')
def posted_or_refused(world: ScenarioWorld, text: str) -> None:
    """For a refund storefronts may take or refuse by their own rules: posted, with the order's refunds
    matching on both sides; or in Error, its message naming the problem (``text``) with no value missing,
    and no refund on the storefront: NetSuite's stands alone, left to the operator (a deliberate,
    detected mismatch)."""
    refund = world.latest_refund()
    if refund.status == seam.POSTED:
        result = world.reconcile(world.order)
        assert result.matches, result.describe()
        return
    refund_error(world, text)
    found = world.driver_of(world.order).refunds(world.order.placed)
    assert not found, f"the refund is in Error, but the storefront has {len(found)} refund(s) for the order"
    world.expected.expect_mismatch()


@then("the refund shows why the storefront refused it", "the refund shows why the storefront refused it")
def refund_refused_by_storefront(world: ScenarioWorld) -> None:
    """The row is in Error with a message that says what the storefront refused (in the connector's
    words or the platform's), not an unexpected error a person can only re-post and report, nor the
    platform's raw answer (a JSON or dict dump) where its words should be."""
    refund = _latest_refund_in_error(world)
    assert refund.error and not refund.error.startswith("Unexpected "), (
        f"the error does not say what the storefront refused: {world.explain_lines(refund.error)}")
    assert not any(raw in refund.error for raw in ('{"', "{'")), (
        f"the error quotes the storefront's raw answer instead of its words: {world.explain_lines(refund.error)}")
    assert_readable_error(world, refund)


@then("the refund's error names the NetSuite refund by its number",
      "the refund's error names the NetSuite refund by its number")
def error_names_netsuite_refund(world: ScenarioWorld) -> None:
    """The row is in Error and its message names the order's NetSuite refund by the number (tranId) a
    NetSuite user finds it by, not by an internal id they never see."""
    refund = _latest_refund_in_error(world)
    numbers = [record.get("tranId") for _, record in world.netsuite_view.refunds_of(world.order)]
    assert len(numbers) == 1 and numbers[0], f"expected one NetSuite refund with a number, found {numbers}"
    assert numbers[0] in (refund.error or ""), f"error does not name NetSuite refund {numbers[0]}: {refund.error}"


@then("the refund's error names the order's sales order by its number",
      "the refund's error names the order's sales order by its number")
def error_names_sales_order(world: ScenarioWorld) -> None:
    """The row is in Error and its message names the order's NetSuite sales order by the number
    (tranId) a NetSuite user finds it by, not by an internal id they never see; for a sales order a
    NetSuite user deleted, the number it had."""
    refund = _latest_refund_in_error(world)
    order = world.order
    assert order.sales_order_id, "the order was never synced to NetSuite: it has no sales order"
    number = order.deleted_sales_order_number or world.netsuite.record("salesOrder", order.sales_order_id).get("tranId")
    assert number, f"sales order {order.sales_order_id} has no number (tranId) in NetSuite"
    assert number in (refund.error or ""), f"error does not name sales order {number}: {refund.error}"
    assert_readable_error(world, refund)


@then("the refund's error names the storefront order", "the refund's error names the storefront order")
def error_names_storefront_order(world: ScenarioWorld) -> None:
    """The row is in Error and its message names the order as the storefront knows it, by its id or by the
    number the storefront shows the merchant (as a word of its own), so a person finds the order the
    refund belongs to."""
    refund = _latest_refund_in_error(world)
    placed = world.order.placed
    names = [placed.order_id] + ([placed.number] if placed.number else [])
    assert _names_word(refund.error, *names), f"error does not name order {' or '.join(names)}: {refund.error}"
    assert_readable_error(world, refund)


@then("the refund's error names the storefront", "the refund's error names the storefront")
def error_names_storefront(world: ScenarioWorld) -> None:
    """The row is in Error and its message names the order's storefront (its name or registry name, as a
    word of its own): the system where the refund failed."""
    refund = _latest_refund_in_error(world)
    driver = world.driver_of(world.order)
    assert _names_word(refund.error, driver.display_name, driver.platform), (
        f"error does not name the storefront ({driver.display_name}): {refund.error}")
    assert_readable_error(world, refund)


@then("each account lists only its own refunds", "each account lists only its own refunds")
def accounts_list_own_refunds(world: ScenarioWorld) -> None:
    """Every account of the scenario lists refund rows of that account only: an operator of one
    account (one tenant) never sees, posts or cancels another's."""
    listed = {account.id: world.connector.refunds(account.id) for account in world.scenario.accounts}
    assert len(listed) > 1, "the scenario connected only one account: there is no other account to keep apart"
    assert any(listed.values()), "no account has a refund: there is nothing to keep apart"
    for account_id, rows in listed.items():
        strangers = sorted({row.account_id for row in rows} - {account_id})
        assert not strangers, f"account {account_id} lists refunds of account(s) {', '.join(strangers)}"


@then("NetSuite has a Cash Refund created from the Cash Sale", "NetSuite has a Cash Refund created from the Cash Sale")
def cash_refund_from_cash_sale(world: ScenarioWorld) -> None:
    """The order was billed as a cash sale and refunded with a cash refund made from it."""
    assert_netsuite_refund_kind(world, "cashSale", "cashRefund")


@then("NetSuite billed the order as an invoice", "NetSuite billed the order as an invoice")
def billed_as_invoice(world: ScenarioWorld) -> None:
    """NetSuite's Bill button made an invoice: the sales order carried no payment method (nothing was
    paid yet), where a paid order bills as a cash sale."""
    billed_type = world.order.billed[0] if world.order.billed else None
    assert billed_type == "invoice", f"NetSuite billed the order as {billed_type}, not as an invoice"


@then("NetSuite has a Credit Memo created from the Invoice", "NetSuite has a Credit Memo created from the Invoice")
def credit_memo_from_invoice(world: ScenarioWorld) -> None:
    """The order was billed as an invoice and refunded with a credit memo made from it."""
    assert_netsuite_refund_kind(world, "invoice", "creditMemo")


@then("the NetSuite refund has the refunded lines and quantities", "the NetSuite refund has the refunded lines and quantities")
@then("the storefront shows a line-item refund of the same lines", "the storefront shows a line-item refund of the same lines")
def same_lines(world: ScenarioWorld) -> None:
    """Items and quantities refunded are the same on both sides."""
    assert_same_lines(world, world.order)


@then("the refunded lines match where the storefront refunds by line",
      "the refunded lines match where the storefront refunds by line")
def same_lines_where_supported(world: ScenarioWorld) -> None:
    """Same items and quantities on a line-item storefront; a general refund of the same total elsewhere."""
    if world.account_of(world.order).platform.capabilities.line_items:
        assert_same_lines(world, world.order)
    else:
        assert_general_refund(world, world.order)


@then("the NetSuite refund has a shipping line for the refunded shipping",
      "the NetSuite refund has a shipping line for the refunded shipping")
def shipping_line(world: ScenarioWorld) -> None:
    """Refunded shipping is a line on the shipping item, for the shipping amount and its tax."""
    assert_shipping_line(world, world.order)


@then("the storefront gave back the shipping NetSuite refunded as the order's shipping",
      "the storefront gave back the shipping NetSuite refunded as the order's shipping")
def storefront_shipping(world: ScenarioWorld) -> None:
    """Every storefront refund of the order tells its shipping apart (none puts money on no line, where
    the storefront's own record of it cannot say what it was), and together they give back as shipping
    what NetSuite's refunds have on the shipping item: refunded shipping is never pushed as a bare amount."""
    order = world.order
    cur = order.placed.currency
    storefront = world.driver_of(order).refunds(order.placed)
    assert storefront, "the storefront has no refund for the order"
    untold = [refund.id for refund in storefront if refund.shipping is None]
    assert not untold, (f"storefront refund {', '.join(untold)} put money on no line (beside the order's lines and "
                        "shipping), so it does not say that the shipping went back as shipping")
    netsuite = money.total((refund.shipping or money.ZERO for refund in world.netsuite_view.side(order)), cur)
    assert netsuite > 0, "NetSuite's refunds of the order have nothing on the shipping item"
    given_back = money.total((refund.shipping or money.ZERO for refund in storefront), cur)
    assert given_back == netsuite, (f"the storefront gave back {given_back} {cur} as shipping where NetSuite refunded "
                                    f"{netsuite} {cur} on the shipping item")


@then("the NetSuite refund has a single line on the refund item", "the NetSuite refund has a single line on the refund item")
def single_generic_line(world: ScenarioWorld) -> None:
    """An amount-only refund lands on the generic refund item as one line."""
    assert_single_generic_line(world, world.order)


@then("the refund totals match on both sides", "the refund totals match on both sides")
def totals_match(world: ScenarioWorld) -> None:
    """Reconciliation of the order: same total (and lines, where applicable) on both sides."""
    result = world.reconcile(world.order)
    assert result.matches, result.describe()
    assert result.storefront_total > 0, "no refund on either side: nothing was synced"


@then("NetSuite has exactly {count:Refunds} for the order", "NetSuite has exactly 1 refund for the order")
def netsuite_refund_count(world: ScenarioWorld, count: int) -> None:
    """Exactly-once: duplicates and re-runs did not create more refunds in NetSuite."""
    found = world.netsuite_view.side(world.order)
    assert len(found) == count, f"NetSuite has {len(found)} refunds for the order"


@then("the storefront has exactly {count:Refunds} for the order", "the storefront has exactly 2 refunds for the order")
def storefront_refund_count(world: ScenarioWorld, count: int) -> None:
    """Exactly-once on the storefront side."""
    found = world.driver_of(world.order).refunds(world.order.placed)
    assert len(found) == count, f"the storefront has {len(found)} refunds for the order"


@then("the storefront shows a general refund of the same total", "the storefront shows a general refund of the same total")
def general_refund(world: ScenarioWorld) -> None:
    """An amount-only refund on the storefront for the NetSuite refund's total."""
    assert_general_refund(world, world.order)


@then("the refund is waiting for the storefront to complete it", "the refund is waiting for the storefront to complete it")
def waiting_for_storefront(world: ScenarioWorld) -> None:
    """Pushed (target id known) but not Posted until the storefront completes it."""
    refund = world.latest_refund()
    assert refund.target_id and refund.status == seam.RETRIEVED, (
        f"refund {refund.id} should be pushed and waiting for the storefront to settle it, but it is {refund.status} "
        f"with {'storefront refund ' + refund.target_id if refund.target_id else 'nothing pushed'}"
        + (": marked posted while the storefront still has the money pending" if refund.status == seam.POSTED else ""))


@then("the connector has retrieved {count:Refunds} for the order", "the connector has retrieved 1 refund for the order")
def retrieved_count(world: ScenarioWorld, count: int) -> None:
    """The ledger holds this many refunds of the order, still waiting to be posted."""
    rows = world.refunds_of(world.order)
    assert len(rows) == count, f"the ledger has {len(rows)} refunds of the order"
    assert all(r.status == seam.RETRIEVED for r in rows), [(r.source_id, r.status) for r in rows]


@then("the connector has {count:Refunds} for the order", "the connector has 0 refunds for the order")
def ledger_count(world: ScenarioWorld, count: int) -> None:
    """The connector's ledger holds this many refund rows of the order, whatever their status."""
    rows = world.refunds_of(world.order)
    assert len(rows) == count, f"the connector has {len(rows)} refunds of the order: {[(r.source_id, r.status) for r in rows]}"


@then("every refund of the order has status Canceled", "every refund of the order has status Canceled")
def all_canceled(world: ScenarioWorld) -> None:
    """Every refund row of the order is Canceled (and there is one at least)."""
    rows = world.refunds_of(world.order)
    assert rows, "the connector has no refund for the order"
    assert all(r.status == seam.CANCELED for r in rows), [(r.source_id, r.status) for r in rows]


def _refunded_in_all(world: ScenarioWorld, side: str, refunds, amount: Decimal, currency: str) -> None:
    order = world.order
    assert currency == order.placed.currency, f"the order is in {order.placed.currency}, not {currency}"
    currencies = sorted({r.currency for r in refunds} - {currency})
    assert not currencies, f"{side} refunded the order in {', '.join(currencies)} as well as {currency}"
    total = money.total((r.total for r in refunds), currency)
    assert total == money.amount(amount, currency), (
        f"{side} refunded {total} {currency} in all for the order ({len(refunds)} refunds), not {amount} {currency}")


@then("the storefront refunded {amount:Amount} {currency:Currency} in all for the order",
      "the storefront refunded 12.35 USD in all for the order")
def storefront_refunded_in_all(world: ScenarioWorld, amount: Decimal, currency: str) -> None:
    """The storefront's refunds of the order add up to exactly this, in this currency."""
    _refunded_in_all(world, "the storefront", world.driver_of(world.order).refunds(world.order.placed), amount, currency)


@then("NetSuite refunded {amount:Amount} {currency:Currency} in all for the order",
      "NetSuite refunded 12.35 USD in all for the order")
def netsuite_refunded_in_all(world: ScenarioWorld, amount: Decimal, currency: str) -> None:
    """NetSuite's refunds made from the order's billed record add up to exactly this, in this currency."""
    _refunded_in_all(world, "NetSuite", world.netsuite_view.side(world.order), amount, currency)


@then("the connector acknowledged every refund webhook delivery",
      "the connector acknowledged every refund webhook delivery")
def webhooks_acknowledged(world: ScenarioWorld) -> None:
    """Every delivery (a POST) that reached the connector's webhook address in this scenario was answered
    2xx. The platform acts on the status only: a 4xx tells it the delivery is refused, a 5xx makes it
    deliver again and in the end disable the subscription, so a delivery the connector took (or rightly
    ignores, as a duplicate or one it has no use for) must be acknowledged. The sender's delivery log shows
    each answer's body to a person: none may say None or null where a value belonged
    (``answer_leaves_value_out``)."""
    deliveries = [answer for answer in world.webhook_answers if answer.method == "POST"]
    assert deliveries, "no webhook delivery reached the connector in this scenario"
    unacknowledged = [f"{answer.status} {answer.text[:200]}" for answer in deliveries if not 200 <= answer.status < 300]
    assert not unacknowledged, (f"{len(unacknowledged)} of {len(deliveries)} webhook deliveries were not "
                                f"acknowledged with a 2xx: " + "; ".join(unacknowledged))
    blank = [answer.text[:200] for answer in deliveries if answer_leaves_value_out(answer.text)]
    assert not blank, (f"{len(blank)} of {len(deliveries)} acknowledgements say None or null where the sender's "
                       "delivery log should show a value: " + "; ".join(blank))


@then("the refund webhook reached the connector {times:Times}", "the refund webhook reached the connector once")
def webhook_deliveries_counted(world: ScenarioWorld, times: int) -> None:
    """Exactly this many deliveries (POSTs) reached the connector's webhook address in this scenario: a
    store that sends one refund's webhook more often than it was delivered holds more than one
    subscription for the connector (each one delivers every refund)."""
    deliveries = [answer for answer in world.webhook_answers if answer.method == "POST"]
    assert len(deliveries) == times, (
        f"{len(deliveries)} webhook deliveries reached the connector, not {times}: the storefront holds "
        f"{'more' if len(deliveries) > times else 'fewer'} refund webhook subscriptions for it than one")


@then("the connector refused the webhook", "the connector refused the webhook")
def webhook_refused(world: ScenarioWorld) -> None:
    """The last webhook request a step sent was answered with a 4xx (a forged delivery, or a request that
    is no delivery, must be refused: a 5xx would have the sender try again)."""
    status = world.scenario.webhook_status
    assert status is not None, "no webhook was sent in this scenario"
    assert 400 <= status < 500, f"the connector answered the webhook with {status}, not a 4xx"


@then("the connector answered that nothing receives webhooks at that address",
      "the connector answered that nothing receives webhooks at that address")
def webhook_address_not_found(world: ScenarioWorld) -> None:
    """The last webhook request a step sent, to a path of the connector's webhook host that no subscription
    names, was answered 404: the sender's delivery log tells whoever set up the address that it is wrong
    (a 2xx would pass a lost delivery off as taken, a 5xx would have it sent again for nothing). Its body
    says no None or null where a value belonged (``answer_leaves_value_out``)."""
    status = world.scenario.webhook_status
    assert status is not None, "no webhook was sent in this scenario"
    answer = world.webhook_answers[-1]
    assert status == 404, (f"the connector answered a delivery to {answer.url}, where no subscription points, "
                           f"with {status}, not 404: {answer.text[:300]}")
    assert not answer_leaves_value_out(answer.text), (
        f"the connector's answer to a delivery to {answer.url} says None or null where a value belonged: "
        f"{answer.text[:500]}")


@then("no other account recorded a refund of the order", "no other account recorded a refund of the order")
def no_other_account_recorded(world: ScenarioWorld) -> None:
    """Only the account that synced the order holds refunds of it: every other account of the scenario
    (another account on the same store included) lists none, so no refund is recorded, or posted, twice."""
    order = world.order
    others = [account for account in world.scenario.accounts if account.id != order.account_id]
    assert others, "the scenario connected only one account: there is no other account to check"
    wrong = {account.id: [row.source_id for row in world.connector.refunds(account.id)
                          if row.order_id == order.placed.order_id] for account in others}
    wrong = {account_id: rows for account_id, rows in wrong.items() if rows}
    assert not wrong, (f"refunds of order {order.placed.order_id}, which account {order.account_id} synced, are "
                       "recorded by other accounts too: "
                       + "; ".join(f"account {a}: {', '.join(rows)}" for a, rows in wrong.items()))


@then("the connector acknowledged the webhook", "the connector acknowledged the webhook")
def webhook_acknowledged(world: World) -> None:
    """The last webhook request a step sent was answered with a 2xx: every storefront delivers again what
    gets any other answer, and in the end drops the subscription."""
    status = world.scenario.webhook_status
    assert status is not None, "no webhook was sent in this scenario"
    assert 200 <= status < 300, f"the connector answered the webhook with {status}, not a 2xx"


@then("the connector refused each flawed webhook, naming what is wrong with it",
      "the connector refused each flawed webhook, naming what is wrong with it")
def flawed_webhooks_refused(world: ScenarioWorld) -> None:
    """Each flawed delivery was answered with a 4xx (sent again it would fail again; a 5xx says the
    connector broke, a 2xx that it took the flaw for a refund) whose text names the field or the record at
    fault as the payload spells it, so the sender's delivery log says what to fix; and never None or null
    where a value belonged (``answer_leaves_value_out``)."""
    sent = world.scenario.flawed_webhooks
    assert sent, "no flawed webhook was sent in this scenario"
    wrong = []
    for delivery in sent:
        faults = ([] if 400 <= delivery.status < 500 else [f"a {delivery.status}, not a 4xx"]) \
            + ([] if delivery.names in delivery.answer else [f"does not name {delivery.names!r}"]) \
            + (["says None or null"] if answer_leaves_value_out(delivery.answer) else [])
        if faults:
            wrong.append(f"{delivery.flaw}: {', '.join(faults)}: {delivery.status} {delivery.answer[:300]!r}")
    assert not wrong, (f"{len(wrong)} of {len(sent)} flawed refund webhooks were not refused naming what is "
                       "wrong:\n  " + "\n  ".join(wrong))


@then("the connector retrieved no refund", "the connector retrieved no refund")
def nothing_retrieved(world: ScenarioWorld) -> None:
    """Refunds not made from an order this connector synced are left alone."""
    assert world.connector.refunds(world.account.id) == []


@then("reconciliation finds the refund totals differ", "reconciliation finds the refund totals differ")
def totals_differ(world: ScenarioWorld) -> None:
    """The deliberate misconfiguration is caught."""
    result = world.reconcile(world.order)
    assert not result.matches and result.storefront_total != result.netsuite_total, result.describe()


@then("the mismatch names the storefront total, the NetSuite total and the difference",
      "the mismatch names the storefront total, the NetSuite total and the difference")
def mismatch_amounts(world: ScenarioWorld) -> None:
    """The message carries both totals and by how much they differ."""
    result = world.reconcile(world.order)
    text = result.describe()
    for value in (result.storefront_total, result.netsuite_total, abs(result.difference)):
        assert str(value) in text, f"{value} missing from: {text}"


@then('the mismatch is attributed to "{cause:Text}"', 'the mismatch is attributed to "NetSuite configuration"')
def mismatch_cause(world: ScenarioWorld, cause: str) -> None:
    """The likely cause names the side whose configuration to check."""
    result = world.reconcile(world.order)
    assert result.likely_cause and cause.lower() in result.likely_cause.lower(), result.describe()


# The money fields of NetSuite's transaction records and their lines (quantities are counted apart).
NETSUITE_MONEY_FIELDS = frozenset({"amount", "rate", "taxAmount", "subtotal", "taxTotal", "total",
                                   "discountTotal", "shippingCost", "grossAmt"})


def _amounts_with_decimals(where: str, node: object) -> list[str]:
    """Every money field under ``node`` written with a fraction (a decimal point and any digits after
    it, "1000.00" included), as 'where: field value'."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in NETSUITE_MONEY_FIELDS and not isinstance(value, (dict, list)) and value is not None:
                written = str(value)
                if "." in written or "e" in written.lower():
                    found.append(f"{where}: {key} {written}")
            else:
                found += _amounts_with_decimals(where, value)
    elif isinstance(node, list):
        for value in node:
            found += _amounts_with_decimals(where, value)
    return found


@then("no amount NetSuite holds or was sent for the order has decimals",
      "no amount NetSuite holds or was sent for the order has decimals")
def no_decimal_amounts(world: ScenarioWorld) -> None:
    """For a currency without minor units (JPY): every money field (amount, rate, tax, totals) of the
    order's NetSuite records (its sales order, billed record and every refund made from it) and of
    every write request sent to NetSuite for the order, refused ones too (a request whose path names
    one of those records, or whose body carries one of the order's storefront line ids), is written as
    a whole number, with no decimal point."""
    order = world.order
    currency = order.placed.currency
    assert money.exponent(currency) == 0, f"the order is in {currency}, which has minor units; the check is for one that has none"
    assert order.sales_order_id and order.billed, "the order was never synced and billed in NetSuite"
    found = _amounts_with_decimals(f"salesOrder {order.sales_order_id}",
                                   world.netsuite.record("salesOrder", order.sales_order_id))
    found += _amounts_with_decimals(f"{order.billed[0]} {order.billed[1]}", world.netsuite.record(*order.billed))
    for kind, record in world.netsuite_view.refunds_of(order):
        found += _amounts_with_decimals(f"{kind} {record['id']}", record)
    for method, path, body in world.netsuite_view.writes_for(order):
        found += _amounts_with_decimals(f"{method} {path}", body)
    assert not found, f"amounts with decimals in {currency}, which has none: " + "; ".join(found)


@then("NetSuite's sales order has the order's lines at the storefront's prices, discounts and tax",
      "NetSuite's sales order has the order's lines at the storefront's prices, discounts and tax")
def sales_order_as_sold(world: ScenarioWorld) -> None:
    """Every line of the latest order is on its NetSuite sales order, found by the storefront's own line
    id, with its item, title and quantity, and the money the storefront's API gives for it (the
    platform's ``order_line_money``): its unit price before discount, amount after discount and tax; or,
    where the API has no price before discount, the amount over the quantity as the price; or, where the
    API gives the discount and tax only for the whole order, the lines' amounts and taxes add up to the
    order's. The shipping lines add up to the order's shipping, and each says it is shipping (or leaves
    NetSuite to show the shipping item's name). Refunds are posted against these lines."""
    order = world.order
    assert order.sales_order_id, f"order {order.placed.order_id} was not synced to NetSuite"
    money_of_lines = world.account_of(order).platform.capabilities.order_line_money
    priced = price_order(order.spec)
    ns_lines = world.netsuite.record("salesOrder", order.sales_order_id)["item"]["items"]
    amount = lambda line, key: Decimal(str(line.get(key) or 0))  # noqa: E731
    wrong = []
    for number, (placed, line) in enumerate(zip(order.placed.lines, priced.lines), start=1):
        found = [l for l in ns_lines if l.get("custcol_storefront_line_id") == placed.line_id]
        if len(found) != 1:
            wrong.append(f"line {number} ({line.spec.sku}, storefront line id {placed.line_id}) is on "
                         f"{len(found)} sales order lines")
            continue
        expected: dict[str, object] = {"item": world.item_ids[line.spec.sku], "description": line.spec.title,
                                       "quantity": Decimal(line.spec.quantity)}
        if money_of_lines == "net_per_line":
            expected.update(rate=money.round_amount(line.net / line.spec.quantity, order.spec.currency),
                            amount=line.net, taxAmount=line.tax)
        else:
            expected["rate"] = line.spec.price
        if money_of_lines == "per_line":
            expected.update(amount=line.net, taxAmount=line.tax)
        got = {"item": found[0]["item"]["id"], "description": found[0].get("description"),
               **{key: amount(found[0], key) for key in ("quantity", "rate", "amount", "taxAmount")}}
        wrong += [f"line {number} ({line.spec.sku}) has {key} {got[key]}, the storefront sold it at {value}"
                  for key, value in expected.items() if got[key] != value]
    shipping = [l for l in ns_lines if l["item"]["id"] == world.shipping_item_id]
    totals = [("the shipping lines' amount", shipping, "amount", priced.shipping)]
    if money_of_lines == "order_totals":
        items = [l for l in ns_lines if l["item"]["id"] != world.shipping_item_id]
        totals += [("the item lines' amount (after the order's discount)", items, "amount", priced.subtotal),
                   ("the tax of all lines", ns_lines, "taxAmount", priced.tax_total)]
    else:
        totals.append(("the shipping lines' tax", shipping, "taxAmount", priced.shipping_tax))
    for what, lines, key, value in totals:
        total = sum((amount(l, key) for l in lines), Decimal(0))
        if total != value:
            wrong.append(f"{what} add up to {total}, the storefront charged {value}")
    method = order.placed.shipping_method
    named = f", or the storefront's name for it, {method!r}" if method else ""
    wrong += [f"the shipping line's description {l.get('description')!r} does not say it is shipping (a word such "
              f"as 'Shipping'{named}), so NetSuite shows an unexplained charge"
              for l in shipping if not names_shipping(l.get("description"), method)]
    assert not wrong, "NetSuite's sales order differs from the storefront order: " + "; ".join(wrong)


# Words that tell a reader a sales order line is the shipping charge, whatever else a connector writes.
_SHIPPING_WORDS = re.compile(r"\b(shipping|delivery|postage|freight|carriage)\b", re.IGNORECASE)


def names_shipping(description: str | None, method: str | None) -> bool:
    """A shipping line's description is recognisably shipping: a shipping word, the storefront's own name
    for the shipping method, or none at all (NetSuite then shows the shipping item's name)."""
    return not description or description == method or bool(_SHIPPING_WORDS.search(description))


@then("NetSuite's customer is the order's buyer, as far as the storefront tells who they are",
      "NetSuite's customer is the order's buyer, as far as the storefront tells who they are")
def customer_is_buyer(world: ScenarioWorld) -> None:
    """The customer of the latest order's sales order has the buyer's email and first and last name,
    those of them the storefront's API gives a seller (the platform's ``buyer_details``); where the API
    names the buyer by a marketplace user name instead, one of the customer's names carries it."""
    order = world.order
    assert order.sales_order_id, f"order {order.placed.order_id} was not synced to NetSuite"
    told = world.account_of(order).platform.capabilities.buyer_details
    entity = world.netsuite.record("salesOrder", order.sales_order_id)["entity"]["id"]
    customer = world.netsuite.record("customer", entity)
    buyer = order.spec.customer
    expected = {**({"email": buyer.email} if "email" in told else {}),
                **({"firstName": buyer.first_name, "lastName": buyer.last_name} if "name" in told else {})}
    wrong = [f"{key} {customer.get(key)!r}, the buyer's is {value!r}" for key, value in expected.items()
             if customer.get(key) != value]
    if "username" in told:
        username = order.placed.buyer_username
        assert username, (f"the {order.placed.platform} driver placed order {order.placed.order_id} without "
                          "its buyer's username")
        names = {key: customer.get(key) for key in ("entityId", "companyName", "firstName", "lastName")}
        if not any(username.casefold() in (name or "").casefold() for name in names.values()):
            wrong.append(f"no name of it ({', '.join(f'{k} {v!r}' for k, v in names.items())}) carries the buyer's "
                         f"username {username!r}, so every buyer's orders look alike in NetSuite")
    assert not wrong, f"NetSuite customer {entity} is not the order's buyer: " + "; ".join(wrong)


# --- assertions the Then steps above share ------------------------------------------------
def assert_netsuite_refund_kind(world: ScenarioWorld, billed_type: str, refund_type: str) -> None:
    order = world.order
    assert order.billed and order.billed[0] == billed_type, (
        f"NetSuite billed the order as {' '.join(order.billed) if order.billed else 'nothing'}, not as "
        f"{billed_type}: a paid order's sales order carries a payment method, an unpaid one's none")
    kinds = {r.kind for r in world.netsuite_view.side(order)}
    assert kinds == {refund_type}, f"NetSuite refunds made from the {billed_type}: {sorted(kinds) or 'none'}"


def assert_same_lines(world: ScenarioWorld, order: OrderUnderTest) -> None:
    storefront = world.driver_of(order).refunds(order.placed)
    netsuite = world.netsuite_view.side(order)
    sf_lines = sorted(l for r in storefront for l in r.lines)
    ns_lines = sorted(l for r in netsuite for l in r.lines)
    assert netsuite and storefront, f"refunds: storefront {len(storefront)}, NetSuite {len(netsuite)}"
    assert ns_lines, "the NetSuite refund has no item lines"
    assert sf_lines == ns_lines, f"refunded lines differ: storefront {sf_lines}, NetSuite {ns_lines}"


def _refund_records(world: ScenarioWorld, order: OrderUnderTest) -> list[dict]:
    records = [record for _, record in world.netsuite_view.refunds_of(order)]
    assert records, f"NetSuite has no refund made from the billed record of order {order.placed.order_id}"
    return records


def assert_shipping_line(world: ScenarioWorld, order: OrderUnderTest) -> None:
    priced = price_order(order.spec)
    lines = [l for r in _refund_records(world, order) for l in r["item"]["items"]
             if l["item"]["id"] == world.shipping_item_id]
    assert len(lines) == 1, f"expected one shipping line, found {len(lines)}"
    assert Decimal(str(lines[0]["amount"])) == priced.shipping, (lines[0]["amount"], priced.shipping)
    # the shipping's tax goes back with it: on its line, not lost into an adjustment of the total
    tax = Decimal(str(lines[0].get("taxAmount") or 0))
    assert tax == priced.shipping_tax, f"the shipping line carries tax {tax}, the shipping's tax was {priced.shipping_tax}"


def assert_single_generic_line(world: ScenarioWorld, order: OrderUnderTest) -> None:
    records = _refund_records(world, order)
    assert len(records) == 1, f"NetSuite has {len(records)} refunds for the order, expected 1"
    lines = records[0]["item"]["items"]
    assert [l["item"]["id"] for l in lines] == [world.refund_item_id], (
        f"lines on items {[l['item']['id'] for l in lines]}, expected only the refund item {world.refund_item_id}")


def assert_general_refund(world: ScenarioWorld, order: OrderUnderTest) -> None:
    storefront = world.driver_of(order).refunds(order.placed)
    netsuite = world.netsuite_view.side(order)
    assert len(storefront) == 1 and len(netsuite) == 1, (
        f"expected one refund on each side: the storefront has {len(storefront)}, NetSuite has {len(netsuite)}")
    assert storefront[0].lines == (), "a general refund carries no lines"
    assert storefront[0].total == netsuite[0].total, (
        f"the general refund is {storefront[0].total} in the storefront and {netsuite[0].total} in NetSuite")
