"""Shopify GraphQL Admin API (``POST /admin/api/{version}/graphql.json``) over the same shop as REST.

A subset of Shopify's schema (the order, refund and suggested-refund types a refund sync reads and
writes) is declared in SDL and executed by graphql-core, so parsing, validation, variable coercion
and error locations are a real GraphQL implementation's. Each request is priced (calculated query
cost) before it runs and refused with ``THROTTLED`` when the bucket cannot pay; every answer carries
``extensions.cost``. Errors are HTTP 200 with ``errors`` (GraphQL) or ``userErrors`` (mutations).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLList, GraphQLNonNull,
    GraphQLObjectType, GraphQLSchema, InlineFragmentNode, OperationDefinitionNode, SelectionSetNode,
    build_schema, execute, get_named_type, parse, validate,
)
from graphql.validation import NoFragmentCyclesRule
from graphql.language import DocumentNode
from graphql.utilities import value_from_ast_untyped

from common import money
from common.clock import isoformat
from simulators.core import listing, safe
from simulators.core.cursors import CursorCodec
from simulators.shopify.models import (
    CostBucket, LineItem, LineRefundRequest, NotFound, Order, Refund, RefundPlan, RefundRequest, Return,
    ReturnLineItem, ShippingLine,
    ShippingRefundRequest, ShopifyBackend, ShopifyError, Transaction, TransactionRequest,
)

SDL = '''
scalar Decimal
scalar Money
scalar DateTime
scalar URL
scalar UnsignedInt64

%(currencies)s
enum OrderTransactionKind { SALE CAPTURE AUTHORIZATION VOID REFUND CHANGE EMV_AUTHORIZATION SUGGESTED_REFUND }
enum OrderTransactionStatus { SUCCESS FAILURE PENDING ERROR AWAITING_RESPONSE UNKNOWN }
enum SuggestedOrderTransactionKind { SUGGESTED_REFUND }
enum RefundLineItemRestockType { RETURN CANCEL LEGACY_RESTOCK NO_RESTOCK }
enum OrderDisplayFinancialStatus { PENDING AUTHORIZED PARTIALLY_PAID PARTIALLY_REFUNDED VOIDED PAID REFUNDED EXPIRED }
enum OrderAdjustmentDiscrepancyReason {
  RESTOCK DAMAGE CUSTOMER PENDING_REFUND_DISCREPANCY FULL_RETURN_BALANCING_ADJUSTMENT REFUND_DISCREPANCY
}
enum OrderSortKeys { ID UPDATED_AT CREATED_AT PROCESSED_AT }

type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type UserError { field: [String!] message: String! }
type Customer {
  id: ID! email: String @deprecated(reason: "Use `defaultEmailAddress.emailAddress` instead.")
  firstName: String lastName: String
}
type TaxLine { title: String! rate: Float priceSet: MoneyBag! }
type DiscountAllocation { allocatedAmountSet: MoneyBag! }
type Location { id: ID! }

type LineItem {
  id: ID! sku: String title: String! name: String! quantity: Int! currentQuantity: Int! refundableQuantity: Int!
  originalUnitPriceSet: MoneyBag! discountedUnitPriceSet: MoneyBag! originalTotalSet: MoneyBag!
  totalDiscountSet: MoneyBag! discountAllocations: [DiscountAllocation!]! taxLines(first: Int): [TaxLine!]!
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

type ShippingLine {
  id: ID title: String! code: String originalPriceSet: MoneyBag! discountedPriceSet: MoneyBag! taxLines: [TaxLine!]!
}
type ShippingLineEdge { cursor: String! node: ShippingLine! }
type ShippingLineConnection { edges: [ShippingLineEdge!]! nodes: [ShippingLine!]! pageInfo: PageInfo! }

type OrderTransaction {
  id: ID! kind: OrderTransactionKind! status: OrderTransactionStatus! gateway: String
  amountSet: MoneyBag! parentTransaction: OrderTransaction createdAt: DateTime! processedAt: DateTime
}
type OrderTransactionEdge { cursor: String! node: OrderTransaction! }
type OrderTransactionConnection { edges: [OrderTransactionEdge!]! nodes: [OrderTransaction!]! pageInfo: PageInfo! }

type RefundLineItem {
  id: ID lineItem: LineItem! quantity: Int! restockType: RefundLineItemRestockType! restocked: Boolean!
  location: Location priceSet: MoneyBag! subtotalSet: MoneyBag! totalTaxSet: MoneyBag!
}
type RefundLineItemEdge { cursor: String! node: RefundLineItem! }
type RefundLineItemConnection { edges: [RefundLineItemEdge!]! nodes: [RefundLineItem!]! pageInfo: PageInfo! }

type RefundShippingLine { id: ID! shippingLine: ShippingLine! subtotalAmountSet: MoneyBag! taxAmountSet: MoneyBag! }
type RefundShippingLineEdge { cursor: String! node: RefundShippingLine! }
type RefundShippingLineConnection {
  edges: [RefundShippingLineEdge!]! nodes: [RefundShippingLine!]! pageInfo: PageInfo!
}

type OrderAdjustment { id: ID! amountSet: MoneyBag! taxAmountSet: MoneyBag! reason: OrderAdjustmentDiscrepancyReason }
type OrderAdjustmentEdge { cursor: String! node: OrderAdjustment! }
type OrderAdjustmentConnection { edges: [OrderAdjustmentEdge!]! nodes: [OrderAdjustment!]! pageInfo: PageInfo! }

enum ReturnStatus { CANCELED CLOSED DECLINED OPEN REQUESTED }
enum ReturnReason {
  COLOR DEFECTIVE NOT_AS_DESCRIBED OTHER SIZE_TOO_LARGE SIZE_TOO_SMALL STYLE UNKNOWN UNWANTED WRONG_ITEM
}
type FulfillmentLineItem { id: ID! lineItem: LineItem! quantity: Int }
interface ReturnLineItemType {
  id: ID! quantity: Int! refundableQuantity: Int! refundedQuantity: Int! returnReason: ReturnReason!
}
type ReturnLineItem implements ReturnLineItemType {
  id: ID! fulfillmentLineItem: FulfillmentLineItem! quantity: Int! refundableQuantity: Int! refundedQuantity: Int!
  returnReason: ReturnReason!
}
type ReturnLineItemTypeEdge { cursor: String! node: ReturnLineItemType! }
type ReturnLineItemTypeConnection { edges: [ReturnLineItemTypeEdge!]! nodes: [ReturnLineItemType!]! pageInfo: PageInfo! }
type ExchangeLineItem { id: ID! lineItem: LineItem }
type ExchangeLineItemEdge { cursor: String! node: ExchangeLineItem! }
type ExchangeLineItemConnection { edges: [ExchangeLineItemEdge!]! nodes: [ExchangeLineItem!]! pageInfo: PageInfo! }
type RefundEdge { cursor: String! node: Refund! }
type RefundConnection { edges: [RefundEdge!]! nodes: [Refund!]! pageInfo: PageInfo! }
type Return {
  id: ID! name: String! status: ReturnStatus! order: Order!
  returnLineItems(first: Int, after: String): ReturnLineItemTypeConnection!
  exchangeLineItems(first: Int, after: String): ExchangeLineItemConnection!
  refunds(first: Int, after: String): RefundConnection!
}
type ReturnEdge { cursor: String! node: Return! }
type ReturnConnection { edges: [ReturnEdge!]! nodes: [Return!]! pageInfo: PageInfo! }

type Refund {
  id: ID! legacyResourceId: UnsignedInt64! note: String createdAt: DateTime updatedAt: DateTime! order: Order!
  totalRefundedSet: MoneyBag! return: Return
  refundLineItems(first: Int, after: String): RefundLineItemConnection!
  refundShippingLines(first: Int, after: String): RefundShippingLineConnection!
  transactions(first: Int, after: String): OrderTransactionConnection!
  orderAdjustments(first: Int, after: String): OrderAdjustmentConnection!
}

type ShippingRefund { amountSet: MoneyBag! maximumRefundableSet: MoneyBag! taxSet: MoneyBag! }
type SuggestedOrderTransaction {
  kind: SuggestedOrderTransactionKind! gateway: String amountSet: MoneyBag! maximumRefundableSet: MoneyBag
  parentTransaction: OrderTransaction
}
type SuggestedRefund {
  amountSet: MoneyBag! maximumRefundableSet: MoneyBag! subtotalSet: MoneyBag! totalTaxSet: MoneyBag!
  discountedSubtotalSet: MoneyBag! refundLineItems: [RefundLineItem!]! shipping: ShippingRefund!
  suggestedTransactions: [SuggestedOrderTransaction!]!
}

type Order {
  id: ID! legacyResourceId: UnsignedInt64! name: String! email: String note: String
  currencyCode: CurrencyCode! presentmentCurrencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  createdAt: DateTime! updatedAt: DateTime! processedAt: DateTime! closedAt: DateTime cancelledAt: DateTime
  paymentGatewayNames: [String!]! customer: Customer
  subtotalPriceSet: MoneyBag totalPriceSet: MoneyBag! totalTaxSet: MoneyBag totalShippingPriceSet: MoneyBag!
  totalDiscountsSet: MoneyBag totalRefundedSet: MoneyBag!
  lineItems(first: Int, after: String): LineItemConnection!
  shippingLines(first: Int, after: String): ShippingLineConnection!
  transactions(first: Int): [OrderTransaction!]!
  refunds(first: Int): [Refund!]!
  returns(first: Int, after: String): ReturnConnection!
  suggestedRefund(refundLineItems: [RefundLineItemInput!], refundShipping: Boolean, shippingAmount: Money,
                  suggestFullRefund: Boolean = false): SuggestedRefund
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

input RefundLineItemInput { lineItemId: ID! quantity: Int! restockType: RefundLineItemRestockType locationId: ID }
input ShippingRefundInput { amount: Money fullRefund: Boolean }
input OrderTransactionInput { amount: Money! gateway: String! kind: OrderTransactionKind! orderId: ID! parentId: ID }
input RefundInput {
  orderId: ID! note: String notify: Boolean currency: CurrencyCode
  refundLineItems: [RefundLineItemInput!] shipping: ShippingRefundInput transactions: [OrderTransactionInput!]
}
type RefundCreatePayload { refund: Refund order: Order userErrors: [UserError!]! }

type QueryRoot {
  order(id: ID!): Order
  orders(first: Int, after: String, last: Int, before: String, query: String, sortKey: OrderSortKeys,
         reverse: Boolean = false): OrderConnection!
  refund(id: ID!): Refund
}
type Mutation { refundCreate(input: RefundInput!): RefundCreatePayload }
# Shopify's query root is QueryRoot, which `{ __typename }` answers
schema { query: QueryRoot mutation: Mutation }
''' % {"currencies": "enum CurrencyCode { " + " ".join(sorted(money.MINOR_UNITS)) + " }"}

SCHEMA: GraphQLSchema = build_schema(SDL)
MUTATION_COST = 10          # a mutation's own cost
CONNECTION_COST = 2         # a connection's own cost, before the objects it returns
UNSIZED_LIST = 1            # a list field without `first`: priced as one object (not confirmed; see docs)
MAX_PAGE = 250              # Shopify refuses `first` above 250
RATE_DOCS = "https://shopify.dev/api/usage/rate-limits"
MAX_QUERY_COST = 1000       # a single query may not request more, whatever the bucket holds
# Guards of the simulator's own, checked before a query is validated or run (Shopify publishes no figures
# for them; docs/wire-contract.md): how deep selections may nest, how many fields a document may select
# (aliases included, fragments expanded), and how many objects one execution may resolve.
MAX_DEPTH = 12
MAX_FIELDS = 500
MAX_RESOLVED = 10_000
_SEARCH_TERM = re.compile(r"(?P<field>updated_at|created_at):(?P<op>>=|<=|>|<)'?(?P<value>[^' ]+)'?")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def gid_number(value: Any, kind: str) -> int | None:
    """The number of a ``gid://shopify/<kind>/<n>`` id, or None when it is not one."""
    if not isinstance(value, str) or not value.startswith(f"gid://shopify/{kind}/"):
        return None
    try:
        return safe.parse_id(value.rsplit("/", 1)[1], "id")
    except safe.BadInput:
        return None


class GraphQLFailure(Exception):
    """A request-level GraphQL error (the whole answer is ``{"errors": [...]}``)."""

    def __init__(self, message: str, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions = {"code": code, **extensions} if code else extensions


# --- rendering: records -> GraphQL-shaped dicts (connections resolve their arguments lazily) -------

def money_v2(value: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": money.format_amount(value, currency), "currencyCode": currency}


def money_bag(order: Order, value: Decimal) -> dict[str, Any]:
    return {"shopMoney": money_v2(order.in_shop_currency(value), order.shop_currency),
            "presentmentMoney": money_v2(value, order.currency)}


# a Relay cursor is the text "cursor:<sort key>"
CURSORS = CursorCodec(lambda text: GraphQLFailure(f"Invalid cursor for current pagination sort: {text[:60]}",
                                                  "BAD_REQUEST"), text=True)


def _cursor(number: int) -> str:
    return CURSORS.encode(f"cursor:{number}")


def _uncursor(text: str) -> int:
    raw = CURSORS.decode(text, lambda raw: raw.startswith("cursor:"))
    return safe.parse_id(raw[len("cursor:"):], "cursor")


def _page_size(first: int | None, last: int | None = None) -> int:
    size = first if first is not None else last
    if size is None:
        raise GraphQLFailure("you must provide one of first or last", "BAD_REQUEST")
    if not 0 <= size <= MAX_PAGE:
        raise GraphQLFailure(f"The value of first/last must be between 0 and {MAX_PAGE}, not {size}", "BAD_REQUEST")
    return size


def connection(items: list[tuple[int, dict[str, Any]]], first: int | None = None, after: str | None = None,
               **_: Any) -> dict[str, Any]:
    """A Relay connection over (sort key, node) pairs in order; the cursor encodes the sort key."""
    size = _page_size(first)
    if after is not None:
        key = _uncursor(after)
        items = [item for item in items if item[0] > key]
    page = items[:size]
    return {
        "edges": [{"cursor": _cursor(key), "node": node} for key, node in page],
        "nodes": [node for _, node in page],
        "pageInfo": {"hasNextPage": len(items) > size, "hasPreviousPage": after is not None,
                     "startCursor": _cursor(page[0][0]) if page else None,
                     "endCursor": _cursor(page[-1][0]) if page else None},
    }


def _listed(items: Callable[[], list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    """A list field, rendered only when a query selects it."""
    def resolve(first: int | None = None, **_: Any) -> list[dict[str, Any]]:
        rendered = items()
        return rendered if first is None else rendered[:_page_size(first)]
    return resolve


def _paged(items: Callable[[], list[tuple[int, dict[str, Any]]]]) -> Callable[..., dict[str, Any]]:
    """A connection field, rendered only when a query selects it."""
    return lambda **args: connection(items(), **args)


def _tax_lines(order: Order, amount: Decimal, rate: Decimal) -> list[dict[str, Any]]:
    if not rate and not amount:
        return []
    return [{"title": "Sales Tax", "rate": float(rate), "priceSet": money_bag(order, amount)}]


def line_item_node(order: Order, line: LineItem) -> dict[str, Any]:
    remaining = line.quantity - order.refunded_quantity(line.id)
    unit_net = money.round_amount(line.net / line.quantity, order.currency)
    return {
        "id": gid("LineItem", line.id), "sku": line.sku, "title": line.title, "name": line.title,
        "quantity": line.quantity, "currentQuantity": remaining, "refundableQuantity": remaining,
        "originalUnitPriceSet": money_bag(order, line.price), "discountedUnitPriceSet": money_bag(order, unit_net),
        "originalTotalSet": money_bag(order, line.price * line.quantity),
        "totalDiscountSet": money_bag(order, line.discount),
        "discountAllocations": ([{"allocatedAmountSet": money_bag(order, line.discount)}] if line.discount else []),
        "taxLines": _listed(lambda: _tax_lines(order, line.tax, line.tax_rate)),
    }


def shipping_line_node(order: Order, line: ShippingLine) -> dict[str, Any]:
    return {"id": gid("ShippingLine", line.id), "title": line.title, "code": line.title,
            "originalPriceSet": money_bag(order, line.price), "discountedPriceSet": money_bag(order, line.price),
            "taxLines": _tax_lines(order, line.tax, line.tax_rate)}


def transaction_node(order: Order, t: Transaction) -> dict[str, Any]:
    parent = order.transaction(t.parent_id) if t.parent_id is not None else None
    return {"id": gid("OrderTransaction", t.id), "kind": t.kind.upper(), "status": t.status.upper(),
            "gateway": t.gateway, "amountSet": money_bag(order, t.amount),
            "parentTransaction": (lambda **_: transaction_node(order, parent)) if parent else None,
            "createdAt": isoformat(t.created_at), "processedAt": isoformat(t.created_at)}


def refund_node(order: Order, refund: Refund) -> dict[str, Any]:
    def refund_line(r: Any) -> dict[str, Any]:
        line = order.line_item(r.line_item_id)
        assert line is not None
        return {"id": gid("RefundLineItem", r.id), "lineItem": line_item_node(order, line), "quantity": r.quantity,
                "restockType": r.restock_type.upper(), "restocked": r.restock_type != "no_restock",
                "location": {"id": gid("Location", r.location_id)} if r.location_id else None,
                "priceSet": money_bag(order, line.price), "subtotalSet": money_bag(order, r.subtotal),
                "totalTaxSet": money_bag(order, r.total_tax)}

    shipping = {s.id: s for s in order.shipping_lines}
    refunded = sum((t.amount for t in refund.transactions if t.status == "success"), money.ZERO)
    return {
        "id": gid("Refund", refund.id), "legacyResourceId": str(refund.id), "note": refund.note,
        "createdAt": isoformat(refund.created_at), "updatedAt": isoformat(refund.created_at),
        "order": lambda **_: order_node(order), "totalRefundedSet": money_bag(order, refunded),
        "refundLineItems": _paged(lambda: [(r.id, refund_line(r)) for r in refund.refund_line_items]),
        "refundShippingLines": _paged(lambda: [(s.id, {
            "id": gid("RefundShippingLine", s.id),
            "shippingLine": shipping_line_node(order, shipping[s.shipping_line_id]),
            "subtotalAmountSet": money_bag(order, s.subtotal), "taxAmountSet": money_bag(order, s.tax),
        }) for s in refund.refund_shipping_lines]),
        "transactions": _paged(lambda: [(t.id, transaction_node(order, t)) for t in refund.transactions]),
        "orderAdjustments": _paged(lambda: [(a.id, {
            "id": gid("OrderAdjustment", a.id), "amountSet": money_bag(order, a.amount),
            "taxAmountSet": money_bag(order, a.tax_amount), "reason": a.kind.upper(),
        }) for a in refund.order_adjustments]),
        "return": lambda **_: next((return_node(order, r) for r in order.returns if r.id == refund.return_id), None),
    }


def return_node(order: Order, the_return: Return) -> dict[str, Any]:
    """A Return: what came back (each via its fulfillment line item), what went out in exchange, and
    the refunds that settled it."""
    def returned(r: ReturnLineItem) -> dict[str, Any]:
        line = order.line_item(r.line_item_id)
        assert line is not None
        refunded = sum(rl.quantity for refund in order.refunds if refund.return_id == the_return.id
                       for rl in refund.refund_line_items if rl.line_item_id == r.line_item_id)
        return {"__typename": "ReturnLineItem", "id": gid("ReturnLineItem", r.id), "quantity": r.quantity, "returnReason": r.return_reason,
                "refundableQuantity": r.quantity - refunded, "refundedQuantity": refunded,
                "fulfillmentLineItem": {"id": gid("FulfillmentLineItem", r.fulfillment_line_item_id),
                                        "lineItem": line_item_node(order, line), "quantity": line.quantity}}

    return {
        "id": gid("Return", the_return.id), "name": the_return.name, "status": the_return.status.upper(),
        "order": lambda **_: order_node(order),
        "returnLineItems": _paged(lambda: [(r.id, returned(r)) for r in the_return.return_line_items]),
        "exchangeLineItems": _paged(lambda: [(e.id, {"id": gid("ExchangeLineItem", e.id),
                                                     "lineItem": line_item_node(order, e.line)})
                                             for e in the_return.exchange_line_items]),
        "refunds": _paged(lambda: [(r.id, refund_node(order, r)) for r in order.refunds
                                   if r.return_id == the_return.id]),
    }


def order_node(order: Order, backend: ShopifyBackend | None = None) -> dict[str, Any]:
    c = order.customer
    refunded = sum((t.amount for t in order.transactions if t.kind == "refund" and t.status == "success"),
                   money.ZERO)
    node: dict[str, Any] = {
        "id": gid("Order", order.id), "legacyResourceId": str(order.id), "name": order.name, "email": order.email,
        "note": order.note or None, "currencyCode": order.shop_currency, "presentmentCurrencyCode": order.currency,
        "displayFinancialStatus": order.financial_status.upper(),
        "createdAt": isoformat(order.created_at), "updatedAt": isoformat(order.updated_at),
        "processedAt": isoformat(order.created_at),
        "closedAt": isoformat(order.closed_at) if order.closed_at else None,
        "cancelledAt": isoformat(order.cancelled_at) if order.cancelled_at else None,
        "paymentGatewayNames": [order.gateway],
        "customer": {"id": gid("Customer", c.id), "email": c.email, "firstName": c.first_name, "lastName": c.last_name},
        "subtotalPriceSet": money_bag(order, order.subtotal_price),
        "totalPriceSet": money_bag(order, order.total_price), "totalTaxSet": money_bag(order, order.total_tax),
        "totalShippingPriceSet": money_bag(order, order.total_shipping),
        "totalDiscountsSet": money_bag(order, order.total_discounts), "totalRefundedSet": money_bag(order, refunded),
        "lineItems": _paged(lambda: [(line.id, line_item_node(order, line)) for line in order.line_items]),
        "shippingLines": _paged(lambda: [(s.id, shipping_line_node(order, s)) for s in order.shipping_lines]),
        "transactions": _listed(lambda: [transaction_node(order, t) for t in order.transactions]),
        "refunds": _listed(lambda: [refund_node(order, r)
                                    for r in listing.visible(order.refunds, lambda r: r.created_at)]),
        "returns": _paged(lambda: [(r.id, return_node(order, r)) for r in order.returns]),
    }
    if backend is not None:
        node["suggestedRefund"] = lambda **args: suggested_refund_node(backend, order, args)
    return node


def suggested_refund_node(backend: ShopifyBackend, order: Order, args: dict[str, Any]) -> dict[str, Any] | None:
    lines = tuple(_line_request(entry) for entry in args.get("refundLineItems") or ())
    if args.get("suggestFullRefund"):
        lines = tuple(LineRefundRequest(line.id, line.quantity - order.refunded_quantity(line.id))
                      for line in order.line_items if line.quantity > order.refunded_quantity(line.id))
    shipping = None
    if args.get("shippingAmount") is not None:
        shipping = ShippingRefundRequest(amount=_money_input(args["shippingAmount"], "shippingAmount"))
    elif args.get("refundShipping") or args.get("suggestFullRefund"):
        shipping = ShippingRefundRequest(full_refund=True)
    try:
        plan = backend.plan_refund(order.id, RefundRequest(lines, shipping), suggest=True)
    except ShopifyError as err:
        raise GraphQLError(_flat_errors(err)[0]["message"]) from None
    return suggested_json(plan)


def suggested_json(plan: RefundPlan) -> dict[str, Any]:
    order = plan.order
    line = order.shipping_line()
    shipping_max = (line.price - order.refunded_shipping(line.id)[0]) if line else money.ZERO
    subtotal = sum((p.subtotal for p in plan.lines), money.ZERO)
    tax = sum((p.tax for p in plan.lines), money.ZERO) + (plan.shipping.tax if plan.shipping else money.ZERO)
    refundable = sum((s.maximum_refundable for s in plan.suggested), money.ZERO)
    return {
        "amountSet": money_bag(order, plan.calculated_total), "maximumRefundableSet": money_bag(order, refundable),
        "subtotalSet": money_bag(order, subtotal), "discountedSubtotalSet": money_bag(order, subtotal),
        "totalTaxSet": money_bag(order, tax),
        "refundLineItems": [{
            "id": None, "lineItem": line_item_node(order, p.line), "quantity": p.request.quantity,
            "restockType": p.request.restock_type.upper(), "restocked": p.request.restock_type != "no_restock",
            "location": None, "priceSet": money_bag(order, p.line.price),
            "subtotalSet": money_bag(order, p.subtotal), "totalTaxSet": money_bag(order, p.tax),
        } for p in plan.lines],
        "shipping": {"amountSet": money_bag(order, plan.shipping.amount if plan.shipping else money.ZERO),
                     "taxSet": money_bag(order, plan.shipping.tax if plan.shipping else money.ZERO),
                     "maximumRefundableSet": money_bag(order, shipping_max)},
        "suggestedTransactions": [{
            "kind": "SUGGESTED_REFUND", "gateway": s.parent.gateway, "amountSet": money_bag(order, s.amount),
            "maximumRefundableSet": money_bag(order, s.maximum_refundable),
            "parentTransaction": transaction_node(order, s.parent),
        } for s in plan.suggested],
    }


# --- input -> the shop's requests ----------------------------------------------------------------

def _money_input(value: Any, field_name: str) -> Decimal:
    """A ``Money`` input: a decimal string (or number); bounded and finite."""
    try:
        return safe.parse_decimal(value if not isinstance(value, float) else repr(value), field_name, places=40)
    except safe.BadInput as exc:
        raise GraphQLError(f"{field_name}: {exc}") from None


def _line_request(entry: dict[str, Any]) -> LineRefundRequest:
    line_id = gid_number(entry["lineItemId"], "LineItem")
    if line_id is None:
        raise GraphQLError(f"Invalid global id '{str(entry['lineItemId'])[:80]}'")
    location = entry.get("locationId")
    location_id = gid_number(location, "Location") if location is not None else None
    if location is not None and location_id is None:
        raise GraphQLError(f"Invalid global id '{str(location)[:80]}'")
    return LineRefundRequest(line_id, entry["quantity"], (entry.get("restockType") or "NO_RESTOCK").lower(),
                             location_id)


def _flat_errors(err: ShopifyError) -> list[dict[str, Any]]:
    """The shop's per-field errors as GraphQL ``userErrors`` (field path as a list of names)."""
    if isinstance(err.errors, dict):
        return [{"field": ["input", *[_camel(part) for part in name.split(".")]], "message": message}
                for name, messages in err.errors.items() for message in messages]
    return [{"field": None, "message": str(err.errors)}]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def refund_create(backend: ShopifyBackend, data: dict[str, Any]) -> dict[str, Any]:
    order_id = gid_number(data["orderId"], "Order")
    if order_id is None:
        return {"refund": None, "order": None,
                "userErrors": [{"field": ["input", "orderId"], "message": "Order does not exist"}]}
    transactions = []
    for entry in data.get("transactions") or ():
        parent = gid_number(entry.get("parentId"), "OrderTransaction") if entry.get("parentId") is not None else None
        if entry.get("parentId") is not None and parent is None:
            return {"refund": None, "order": None, "userErrors": [
                {"field": ["input", "transactions", "parentId"], "message": "Parent transaction does not exist"}]}
        transactions.append(TransactionRequest(parent, _money_input(entry["amount"], "amount"),
                                               entry["kind"].lower(), entry.get("gateway")))
    raw_shipping = data.get("shipping")
    shipping = None
    if raw_shipping:
        amount = raw_shipping.get("amount")
        shipping = ShippingRefundRequest(bool(raw_shipping.get("fullRefund")),
                                         _money_input(amount, "shipping.amount") if amount is not None else None)
    request = RefundRequest(tuple(_line_request(e) for e in data.get("refundLineItems") or ()), shipping,
                            tuple(transactions), data.get("note"), bool(data.get("notify")), data.get("currency"))
    try:
        refund = backend.create_refund(order_id, request)
    except NotFound:
        return {"refund": None, "order": None,
                "userErrors": [{"field": ["input", "orderId"], "message": "Order does not exist"}]}
    except ShopifyError as err:
        return {"refund": None, "order": None, "userErrors": _flat_errors(err)}
    order = backend.order(order_id)
    return {"refund": refund_node(order, refund), "order": order_node(order, backend), "userErrors": []}


# --- the orders search syntax --------------------------------------------------------------------

@dataclass(frozen=True)
class OrderSearch:
    """The subset of Shopify's search syntax a sync uses: ``updated_at:>'<ISO time>'`` (and created_at,
    with >, >=, <, <=), terms joined by spaces or AND. Anything else is refused by name."""

    terms: tuple[tuple[str, str, datetime], ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> OrderSearch:
        if not text or not text.strip():
            return cls()
        terms = []
        for word in [w for w in re.split(r"\s+(?:AND\s+)?", text.strip()) if w and w != "AND"]:
            found = _SEARCH_TERM.fullmatch(word)
            if not found:
                raise GraphQLFailure(f"this shop's orders search understands only updated_at and created_at "
                                     f"comparisons such as updated_at:>'2025-01-01T00:00:00Z', not {word[:80]!r}",
                                     "BAD_REQUEST")
            try:
                at = safe.parse_time(found["value"], found["field"])
            except safe.BadInput as exc:
                raise GraphQLFailure(str(exc), "BAD_REQUEST") from None
            terms.append((found["field"], found["op"], at))
        return cls(tuple(terms))

    def matches(self, order: Order) -> bool:
        checks = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
                  "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
        return all(checks[op](order.updated_at if name == "updated_at" else order.created_at, at)
                   for name, op, at in self.terms)


# --- calculated query cost -----------------------------------------------------------------------

def _fields(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]) -> list[FieldNode]:
    found: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            found += _fields(fragments[selection.name.value].selection_set, fragments)
    return found


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def cost(selection_set: SelectionSetNode | None, parent: GraphQLObjectType,
         fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any], data: Any = None) -> int:
    """The cost of a selection: scalars and enums 0, an object 1, a connection 2 plus its objects, each
    object's own selection priced in. In advance (``data`` None) a connection or list counts ``first``
    objects; once ``data`` is known, the objects actually returned."""
    known = isinstance(data, dict)
    total = 0
    for field in _fields(selection_set, fragments):
        definition = parent.fields.get(field.name.value)
        if definition is None:
            continue
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType):
            continue
        value = data.get(field.alias.value if field.alias else field.name.value) if known else None
        if named.name.endswith("Connection"):
            node = get_named_type(named.fields["nodes"].type)
            selections = _node_selections(field, fragments)
            if not known:
                inner = max((cost(f.selection_set, node, fragments, variables) for f in selections), default=0)
                total += CONNECTION_COST + _size(field, variables) * (1 + inner)
            else:
                total += CONNECTION_COST + max(
                    (sum(1 + cost(f.selection_set, node, fragments, variables, item) for item in items)
                     for f, items in _returned_nodes(field, selections, value, fragments)), default=0)
        elif _is_list(definition.type):
            if not known:
                total += _size(field, variables, UNSIZED_LIST) * (
                    1 + cost(field.selection_set, named, fragments, variables))
            else:
                total += sum(1 + cost(field.selection_set, named, fragments, variables, item) for item in value or [])
        elif not known:
            total += 1 + cost(field.selection_set, named, fragments, variables)
        elif value is not None:
            total += 1 + cost(field.selection_set, named, fragments, variables, value)
    return total


def _returned_nodes(field: FieldNode, selections: list[FieldNode], value: Any,
                    fragments: dict[str, FragmentDefinitionNode]) -> list[tuple[FieldNode, list[Any]]]:
    """Each node selection of a connection with the objects it returned."""
    if not isinstance(value, dict):
        return []
    found = []
    for child in _fields(field.selection_set, fragments):
        key = child.alias.value if child.alias else child.name.value
        if child.name.value == "nodes":
            found.append((child, [n for n in value.get(key) or [] if isinstance(n, dict)]))
        elif child.name.value == "edges":
            for grand in _fields(child.selection_set, fragments):
                if grand.name.value == "node":
                    grand_key = grand.alias.value if grand.alias else "node"
                    found.append((grand, [e.get(grand_key) for e in value.get(key) or []
                                          if isinstance(e, dict) and isinstance(e.get(grand_key), dict)]))
    return [(f, items) for f, items in found if f in selections]


def _node_selections(field: FieldNode, fragments: dict[str, FragmentDefinitionNode]) -> list[FieldNode]:
    """The ``nodes`` and ``edges { node }`` selections of a connection field."""
    found = []
    for child in _fields(field.selection_set, fragments):
        if child.name.value == "nodes":
            found.append(child)
        elif child.name.value == "edges":
            found += [g for g in _fields(child.selection_set, fragments) if g.name.value == "node"]
    return found


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _size(field: FieldNode, variables: dict[str, Any], default: int = 0) -> int:
    for name in ("first", "last"):
        value = _argument(field, name, variables)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(0, min(value, MAX_PAGE))
    return default


# --- one request ---------------------------------------------------------------------------------

@dataclass
class Answer:
    body: dict[str, Any]


class GraphQLEndpoint:
    """Runs one GraphQL request against a shop: parse, validate, price, throttle, execute."""

    def __init__(self, backend: Callable[[], ShopifyBackend], bucket: Callable[[], CostBucket],
                 page_limit: Callable[[int], int] = lambda asked: asked) -> None:
        self._backend = backend
        self._bucket = bucket
        self._page_limit = page_limit   # the simulator's cap on a root listing's page (``first``)

    def run(self, query: Any, variables: Any, operation_name: Any) -> dict[str, Any]:
        try:
            return self._run(query, variables, operation_name)
        except RecursionError:
            return {"errors": [{"message": "The query is nested too deeply", "extensions": {"code": "BAD_REQUEST"}}]}

    def _run(self, query: Any, variables: Any, operation_name: Any) -> dict[str, Any]:
        bucket = self._bucket()
        if not isinstance(query, str) or not query.strip():
            return {"errors": [{"message": "No query string was present"}]}
        if variables is not None and not isinstance(variables, dict):
            return {"errors": [{"message": "Variables must be a JSON object"}]}
        if operation_name is not None and not isinstance(operation_name, str):
            return {"errors": [{"message": "operationName must be a string"}]}
        document, errors = checked_document(query)
        if document is None or errors:
            return {"errors": [_error_json(e) for e in errors]}
        operation = _operation(document, operation_name)
        if operation is None:
            return {"errors": [{"message": "An operation name is required when the document has several operations"
                                if operation_name is None else f"No operation named '{operation_name}'"}]}
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        root = SCHEMA.mutation_type if operation.operation.value == "mutation" else SCHEMA.query_type
        assert root is not None
        vars_ = variables or {}
        requested = cost(operation.selection_set, root, fragments, vars_) + (
            MUTATION_COST if operation.operation.value == "mutation" else 0)
        if requested > MAX_QUERY_COST:
            message = (f"Query cost is {requested}, which exceeds the single query max cost limit "
                       f"({MAX_QUERY_COST}).")
            return {"errors": [{"message": message, "extensions": {
                        "code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST}}],
                    "extensions": {"cost": _cost_json(requested, None, bucket)}}
        if not bucket.try_take(requested):
            throttled = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_DOCS}}
            return {"errors": [throttled],
                    "extensions": {"cost": _cost_json(requested, None, bucket)}}
        try:
            result = execute(SCHEMA, document, root_value=_Root(self._backend(), self._page_limit), variable_values=vars_,
                             operation_name=operation_name, field_resolver=_resolve)
        except GraphQLFailure as failure:   # raised outside a field (never expected): still Shopify's shape
            result = None
            answer: dict[str, Any] = {"errors": [{"message": str(failure), "extensions": failure.extensions}]}
        else:
            answer = {}
            if result.errors:
                answer["errors"] = [_error_json(e) for e in result.errors]
            if result.data is not None or not result.errors:
                answer["data"] = result.data
        actual = (cost(operation.selection_set, root, fragments, vars_, answer.get("data"))
                  + (MUTATION_COST if operation.operation.value == "mutation" else 0)) if answer.get("data") else 0
        actual = min(actual, requested)
        bucket.give_back(requested - actual)
        answer["extensions"] = {"cost": _cost_json(requested, actual, bucket)}
        return answer


@lru_cache(maxsize=256)
def checked_document(query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """A query parsed and validated once (a client sends the same few documents again and again).
    Fragment cycles, depth and size are refused first: validating or pricing a cyclic or huge document
    would recurse without end or take as long as answering it."""
    try:
        document = parse(query, max_tokens=20_000)
        cycles = validate(SCHEMA, document, [NoFragmentCyclesRule], max_errors=20)
        if cycles:
            return None, tuple(cycles)
        too_big = _size_errors(document)
        if too_big:
            return None, too_big
        return document, tuple(validate(SCHEMA, document, max_errors=20))
    except GraphQLError as err:
        return None, (err,)
    except RecursionError:
        return None, (GraphQLError(f"Query is nested too deeply (the maximum depth is {MAX_DEPTH})",
                                   extensions={"code": "MAX_DEPTH_EXCEEDED"}),)


def _size_errors(document: DocumentNode) -> tuple[GraphQLError, ...]:
    """Depth and field count of each operation, fragments expanded (they have no cycles by now)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors = []
    for operation in (d for d in document.definitions if isinstance(d, OperationDefinitionNode)):
        depth = fields = 0
        pending = [(operation.selection_set, 1)]
        while pending:   # iterative: a document nested thousands deep must not exhaust Python's stack
            selection_set, level = pending.pop()
            for selection in selection_set.selections if selection_set else ():
                if isinstance(selection, FieldNode):
                    fields += 1
                    depth = max(depth, level)
                    if selection.selection_set is not None:
                        pending.append((selection.selection_set, level + 1))
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, level))
                elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
                    pending.append((fragments[selection.name.value].selection_set, level))
            if fields > MAX_FIELDS or depth > MAX_DEPTH:
                break
        name = f"Operation '{operation.name.value}'" if operation.name else "The query"
        if depth > MAX_DEPTH:
            errors.append(GraphQLError(f"{name} has a depth of more than {MAX_DEPTH}, which exceeds the maximum "
                                       f"depth of {MAX_DEPTH}", extensions={"code": "MAX_DEPTH_EXCEEDED"}))
        elif fields > MAX_FIELDS:
            errors.append(GraphQLError(f"{name} selects more than {MAX_FIELDS} fields (aliases included), which "
                                       f"exceeds the maximum of {MAX_FIELDS}", extensions={"code": "MAX_FIELDS_EXCEEDED"}))
    return tuple(errors)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _cost_json(requested: int, actual: int | None, bucket: CostBucket) -> dict[str, Any]:
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": bucket.status()}


def _error_json(err: GraphQLError) -> dict[str, Any]:
    body: dict[str, Any] = {"message": err.message}
    if err.locations:
        body["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if err.path:
        body["path"] = list(err.path)
    original = err.original_error
    if isinstance(original, GraphQLFailure) and original.extensions:
        body["extensions"] = original.extensions
    elif err.extensions:
        body["extensions"] = err.extensions
    return body


class _Root:
    def __init__(self, backend: ShopifyBackend, page_limit: Callable[[int], int]) -> None:
        self.backend = backend
        self.resolved = 0   # objects resolved so far by this execution (MAX_RESOLVED)
        self.page_limit = page_limit


def _resolve(source: Any, info: Any, **args: Any) -> Any:
    """Root fields call the shop; below them, dict keys (a callable value takes the field's arguments)."""
    if isinstance(source, _Root):
        first = args.get("first")
        if info.field_name == "orders" and isinstance(first, int) and 0 <= first <= MAX_PAGE:
            args = {**args, "first": source.page_limit(first)}   # a bad `first` is refused by _orders
        return _ROOT_FIELDS[info.field_name](source.backend, args)
    root = info.root_value
    root.resolved += 1
    if root.resolved > MAX_RESOLVED:
        raise GraphQLError(f"The query resolves more than {MAX_RESOLVED} fields; ask for fewer objects",
                           extensions={"code": "MAX_COST_EXCEEDED"})
    value = source.get(info.field_name) if isinstance(source, dict) else None
    if callable(value):
        try:
            return value(**args)
        except GraphQLFailure as failure:
            raise GraphQLError(str(failure), original_error=failure) from None
    return value


def _order(backend: ShopifyBackend, args: dict[str, Any]) -> dict[str, Any] | None:
    number = gid_number(args["id"], "Order")
    if number is None:
        raise GraphQLError(f"Invalid global id '{str(args['id'])[:80]}'")
    found = backend.orders.get(number)
    return order_node(found, backend) if found else None


def _orders(backend: ShopifyBackend, args: dict[str, Any]) -> dict[str, Any]:
    try:
        search = OrderSearch.parse(args.get("query"))
        found = listing.visible([o for o in backend.list_orders(status="any") if search.matches(o)],
                                lambda o: o.updated_at)
        key = {"UPDATED_AT": lambda o: (o.updated_at, o.id), "CREATED_AT": lambda o: (o.created_at, o.id),
               "PROCESSED_AT": lambda o: (o.created_at, o.id)}.get(args.get("sortKey") or "ID", lambda o: o.id)
        found.sort(key=key, reverse=bool(args.get("reverse")))
        # the cursor is the position in this (stable, filtered) order, so any sort key pages alike
        items = [(position, order_node(o, backend)) for position, o in enumerate(found, start=1)]
        if args.get("last") is not None or args.get("before") is not None:
            raise GraphQLFailure("this shop pages orders forward only (first/after)", "BAD_REQUEST")
        return connection(items, args.get("first"), args.get("after"))
    except GraphQLFailure as failure:
        raise GraphQLError(str(failure), original_error=failure) from None


def _refund(backend: ShopifyBackend, args: dict[str, Any]) -> dict[str, Any] | None:
    number = gid_number(args["id"], "Refund")
    if number is None:
        raise GraphQLError(f"Invalid global id '{str(args['id'])[:80]}'")
    for order in backend.orders.values():
        for refund in order.refunds:
            if refund.id == number:
                return refund_node(order, refund)
    return None


_ROOT_FIELDS: dict[str, Callable[[ShopifyBackend, dict[str, Any]], Any]] = {
    "order": _order, "orders": _orders, "refund": _refund,
    "refundCreate": lambda backend, args: refund_create(backend, args["input"]),
}


def operation_of(body: bytes) -> str:
    """The fault-plane operation of a GraphQL request, from its root fields (``graphql`` if unclear):
    an order read for its refunds or its suggested refund is told apart from a plain order read."""
    try:
        payload = safe.loads(body)
        query = payload.get("query") if isinstance(payload, dict) else None
        document = checked_document(query)[0] if isinstance(query, str) else None
    except (ValueError, RecursionError):
        return "graphql"
    if document is None:
        return "graphql"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    roots = [f for o in operations for f in _fields(o.selection_set, fragments)]
    names = {f.name.value for f in roots}
    if len(names) != 1:
        return "graphql"
    name = names.pop()
    if name == "order":
        inner = {f.name.value for root in roots for f in _fields(root.selection_set, fragments)}
        if "suggestedRefund" in inner:
            return "graphql:order.suggestedRefund"
        if "refunds" in inner and "lineItems" not in inner:
            return "graphql:order.refunds"
    return f"graphql:{name}" if name in _ROOT_FIELDS else "graphql"


GRAPHQL_OPERATIONS = ("graphql", "graphql:order", "graphql:order.refunds", "graphql:order.suggestedRefund",
                      "graphql:orders", "graphql:refund", "graphql:refundCreate")
