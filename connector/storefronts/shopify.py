"""Shopify Admin GraphQL (2024-10): orders, refunds by line, suggested refunds, refundCreate; refunds/create
webhooks (REST-shaped payloads, read by ``parse_rest_refund``).

Every amount is read in the currency the customer paid (``presentmentMoney``; REST ``presentment_money``),
which is the currency the order is synced to NetSuite in: a shop selling in another currency converts
its own figures (``shopMoney``), and those never reach NetSuite.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from common import money
from common.clock import isoformat, parse_iso
from connector.errors import NotFound, RateLimited, RemoteError
from connector.model import (Customer, LineKind, Order, OrderLine, PushedRefund, RefundLine, SourceStatus,
                             StorefrontRefund)
from connector.storefronts.base import RefundPush, StorefrontHttp, StorefrontSpec, worst_status

API_VERSION = "2024-10"
PAID_STATUSES = {"paid", "partially_refunded", "refunded", "partially_paid"}
_TRANSACTION_STATUS = {"success": SourceStatus.COMPLETED, "pending": SourceStatus.PENDING,
                       "failure": SourceStatus.FAILED, "error": SourceStatus.FAILED}
PRESENTMENT = "presentment_money"   # the MoneyBag side holding what the customer paid (REST)
PRESENTMENT_GQL = "presentmentMoney"   # (GraphQL)


def shipping_line_id(shipping_line_id: object) -> str:
    return f"shipping-{shipping_line_id}"


def read_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else body
    if isinstance(errors, dict):
        return "; ".join(f"{field}: {', '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                         for field, msgs in errors.items())
    return str(errors)


def _money_set(value: Mapping[str, Any] | None, side: str = PRESENTMENT) -> Any:
    """The amount a REST MoneyBag holds in the currency the customer paid."""
    if not value:
        return None
    return (value.get(side) or {}).get("amount")


def _bag(value: Mapping[str, Any] | None, currency: str, side: str = PRESENTMENT_GQL) -> Decimal:
    """A GraphQL MoneyBag's amount in the currency the customer paid; a missing bag is zero."""
    if not value:
        return money.amount(0, currency)
    return money.amount((value.get(side) or {}).get("amount") or 0, currency)


def legacy_id(gid: Any) -> str:
    """``gid://shopify/Order/123`` -> ``"123"``: the connector keeps Shopify's numeric ids, as REST and
    webhooks carry them, so a refund seen by webhook and by polling is the same refund."""
    text = str(gid or "")
    return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text


def _gid(kind: str, number: str) -> str:
    return number if str(number).startswith("gid://") else f"gid://shopify/{kind}/{number}"


# Page sizes keep each query's requested cost well under the 1,000-point bucket, so a run can make
# several calls before the bucket refills; a nested list that overflows its page is refused loudly.
BAG = "fragment Bag on MoneyBag { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
ORDER_FIELDS = """
fragment OrderFields on Order {
  id name email createdAt updatedAt currencyCode presentmentCurrencyCode displayFinancialStatus paymentGatewayNames
  customer { id email firstName lastName }
  lineItems(first: 25) {
    pageInfo { hasNextPage }
    nodes { id sku title name quantity originalUnitPriceSet { ...Bag }
            discountAllocations { allocatedAmountSet { ...Bag } } taxLines { priceSet { ...Bag } } }
  }
  shippingLines(first: 5) {
    pageInfo { hasNextPage }
    nodes { id title originalPriceSet { ...Bag } discountedPriceSet { ...Bag } taxLines { priceSet { ...Bag } } }
  }
}
"""
REFUND_FIELDS = """
fragment RefundFields on Refund {
  id note createdAt
  refundLineItems(first: 25) {
    pageInfo { hasNextPage }
    nodes { quantity restockType lineItem { id sku } subtotalSet { ...Bag } totalTaxSet { ...Bag } }
  }
  refundShippingLines(first: 5) {
    pageInfo { hasNextPage }
    nodes { shippingLine { id } subtotalAmountSet { ...Bag } taxAmountSet { ...Bag } }
  }
  transactions(first: 10) {
    pageInfo { hasNextPage }
    nodes { id kind status gateway amountSet { ...Bag } parentTransaction { id } }
  }
}
"""
Q_ORDER = "query Order($id: ID!) { order(id: $id) { ...OrderFields } }" + ORDER_FIELDS + BAG
Q_ORDER_REFUNDS = ("query OrderRefunds($id: ID!) { order(id: $id) { id presentmentCurrencyCode "
                   "refunds { ...RefundFields } } }" + REFUND_FIELDS + BAG)
Q_REFUND = "query Refund($id: ID!) { refund(id: $id) { ...RefundFields order { id presentmentCurrencyCode } } }" \
    + REFUND_FIELDS + BAG
Q_ORDERS = ("query OrdersSince($first: Int!, $after: String, $query: String!) { "
            "orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { "
            "pageInfo { hasNextPage endCursor } nodes { id updatedAt refunds { id } } } }")
Q_SUGGESTED = """query SuggestedRefund($id: ID!, $lines: [RefundLineItemInput!], $shipping: Money) {
  order(id: $id) { suggestedRefund(refundLineItems: $lines, shippingAmount: $shipping) {
    suggestedTransactions { gateway parentTransaction { id } amountSet { ...Bag } maximumRefundableSet { ...Bag } } } }
}""" + BAG
Q_TRANSACTIONS = ("query OrderTransactions($id: ID!) { order(id: $id) { transactions { id kind status gateway "
                  "amountSet { ...Bag } parentTransaction { id } } } }" + BAG)
M_REFUND_CREATE = ("mutation RefundCreate($input: RefundInput!) { refundCreate(input: $input) { "
                   "refund { ...RefundFields } userErrors { field message } } }" + REFUND_FIELDS + BAG)
ORDERS_PAGE = 100


def parse_rest_refund(raw: Mapping[str, Any], currency: str | None, side: str = PRESENTMENT) -> StorefrontRefund:
    """A refund as REST and refunds/create webhooks carry it, read in the currency the customer paid
    (``*_set.presentment_money``; the plain amounts are the shop's and only stand in when no set is sent)."""
    transactions = [t for t in raw.get("transactions", []) if t.get("kind") == "refund"]
    currency = currency or next((t.get("currency") for t in transactions if t.get("currency")), None)
    if not currency:
        raise RemoteError("Shopify", f"Refund {raw.get('id')} names no currency; cannot read its amounts.")
    lines: list[RefundLine] = []
    for item in raw.get("refund_line_items", []):
        amount = _money_set(item.get("subtotal_set"), side)
        tax = _money_set(item.get("total_tax_set"), side)
        line_item = item.get("line_item") or {}
        lines.append(RefundLine(
            sku=line_item.get("sku") or None, quantity=Decimal(item["quantity"]),
            amount=money.amount(amount if amount is not None else item.get("subtotal", 0), currency),
            tax=money.amount(tax if tax is not None else item.get("total_tax", 0), currency),
            line_id=str(item["line_item_id"]), kind=LineKind.ITEM))
    for ship in raw.get("refund_shipping_lines", []):
        lines.append(RefundLine(
            sku=None, quantity=Decimal(1),
            amount=money.amount(_money_set(ship.get("subtotal_amount_set"), side) or ship.get("subtotal") or 0,
                                currency),
            tax=money.amount(_money_set(ship.get("tax_amount_set"), side) or ship.get("tax") or 0, currency),
            line_id=shipping_line_id(ship.get("shipping_line_id")), kind=LineKind.SHIPPING))
    for adjustment in raw.get("order_adjustments", []):
        if adjustment.get("kind") == "shipping_refund":   # API versions before 2024-10
            amount = _money_set(adjustment.get("amount_set"), side)
            tax = _money_set(adjustment.get("tax_amount_set"), side)
            lines.append(RefundLine(sku=None, quantity=Decimal(1),
                                    amount=-money.amount(amount or adjustment.get("amount") or 0, currency),
                                    tax=-money.amount(tax or adjustment.get("tax_amount") or 0, currency),
                                    kind=LineKind.SHIPPING))
    statuses = [_TRANSACTION_STATUS.get(t.get("status", "success"), SourceStatus.PENDING) for t in transactions]
    # The refund's total is the money that went back, whatever the lines say it should be:
    # the difference (an order adjustment) is the residual the NetSuite side must carry.
    total = sum((money.amount(t["amount"], currency) for t, s in zip(transactions, statuses)
                 if s is SourceStatus.COMPLETED), money.ZERO)
    return StorefrontRefund(id=str(raw["id"]), order_id=str(raw["order_id"]), currency=currency,
                            total=money.amount(total, currency), lines=tuple(lines),
                            status=worst_status(statuses), note=raw.get("note") or "",
                            created_at=parse_iso(raw["created_at"]) if raw.get("created_at") else None)


class ShopifyAdapter:
    platform = "shopify"
    display_name = "Shopify"
    supports_line_items = True
    refund_target_type = "shopify_refund"
    # which side of every MoneyBag is read: the currency the customer paid, which the order is synced in
    paid_side = PRESENTMENT_GQL
    rest_paid_side = PRESENTMENT

    def __init__(self, http: httpx.Client, *, shop: str, access_token: str) -> None:
        self.shop = shop
        self.domain = f"{shop}.myshopify.com"
        self.api = StorefrontHttp(http, system="Shopify", base_url=f"https://{self.domain}/admin/api/{API_VERSION}",
                                  headers={"X-Shopify-Access-Token": access_token}, read_error=read_error)

    def _paid(self, bag: Mapping[str, Any] | None, currency: str) -> Decimal:
        return _bag(bag, currency, self.paid_side)

    # --- GraphQL ----------------------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any], *, what: str) -> dict[str, Any]:
        """``data`` of one GraphQL call. THROTTLED is a rate limit (the next run retries, as a 429);
        any other top-level error is a request this connector got wrong, reported as it came."""
        operation = query.split("(", 1)[0].split()[-1]
        body, _ = self.api.request("POST", "/graphql.json", what=what,
                                   body={"query": query, "variables": dict(variables), "operationName": operation})
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            detail = "; ".join(str(e.get("message") if isinstance(e, dict) else e) for e in errors)
            if "THROTTLED" in codes:
                cost = ((body.get("extensions") or {}).get("cost") or {})
                raise RateLimited("Shopify", f"Shopify throttled the query to {what} (requested cost "
                                             f"{cost.get('requestedQueryCost')}, "
                                             f"{(cost.get('throttleStatus') or {}).get('currentlyAvailable')} points "
                                             f"available); it will be retried on the next run.",
                                  status=200, code="THROTTLED", detail=detail)
            raise RemoteError("Shopify", f"Shopify refused the query to {what}: {detail}", status=200,
                              code=next(iter(c for c in codes if c), None), detail=detail,
                              retryable=bool(codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}))
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise RemoteError("Shopify", f"Shopify answered the query to {what} without data.", retryable=True)
        return data

    @staticmethod
    def _nodes(connection: Mapping[str, Any] | None, what: str) -> list[dict[str, Any]]:
        connection = connection or {}
        if (connection.get("pageInfo") or {}).get("hasNextPage"):
            raise RemoteError("Shopify", f"{what} has more entries than one page holds; this connector reads "
                                         "at most one page of them.")
        return list(connection.get("nodes") or [])

    # --- orders -----------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order:
        data = self.graphql(Q_ORDER, {"id": _gid("Order", order_id)}, what=f"read order {order_id}")
        if data.get("order") is None:
            raise NotFound("Shopify", f"Shopify has no such record (read order {order_id}): order not found",
                           status=404, detail="order not found")
        return self.parse_order(data["order"])

    def orders_updated_since(self, since: datetime) -> Iterator[Order]:
        for node in self._orders_since(since):
            yield self.get_order(legacy_id(node["id"]))

    def _orders_since(self, since: datetime) -> Iterator[dict]:
        """Orders updated at or after ``since`` (id, updatedAt and refund ids), page by page."""
        after = None
        while True:
            data = self.graphql(Q_ORDERS, {"first": ORDERS_PAGE, "after": after,
                                           "query": f"updated_at:>='{isoformat(since)}'"}, what="list orders")
            page = data["orders"]
            yield from page.get("nodes") or []
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")

    def parse_order(self, raw: Mapping[str, Any]) -> Order:
        currency = raw.get("presentmentCurrencyCode") or raw["currencyCode"]
        lines: list[OrderLine] = []
        for item in self._nodes(raw.get("lineItems"), f"the line items of order {raw.get('name')}"):
            quantity = Decimal(item["quantity"])
            price = self._paid(item.get("originalUnitPriceSet"), currency)
            discount = sum((self._paid(a.get("allocatedAmountSet"), currency)
                            for a in item.get("discountAllocations") or []), money.ZERO)
            tax = sum((self._paid(t.get("priceSet"), currency) for t in item.get("taxLines") or []), money.ZERO)
            lines.append(OrderLine(line_id=legacy_id(item["id"]), sku=item.get("sku") or None,
                                   title=item.get("title") or item.get("name") or "", quantity=quantity,
                                   unit_price=price, amount=price * quantity - discount, tax=tax))
        for ship in self._nodes(raw.get("shippingLines"), f"the shipping lines of order {raw.get('name')}"):
            charged = self._paid(ship.get("discountedPriceSet") or ship.get("originalPriceSet"), currency)
            tax = sum((self._paid(t.get("priceSet"), currency) for t in ship.get("taxLines") or []), money.ZERO)
            lines.append(OrderLine(line_id=shipping_line_id(legacy_id(ship["id"])), sku=None,
                                   title=ship.get("title") or "Shipping", quantity=Decimal(1),
                                   unit_price=charged, amount=charged, tax=tax, kind=LineKind.SHIPPING))
        customer = raw.get("customer") or {}
        gateways = raw.get("paymentGatewayNames") or []
        return Order(
            id=legacy_id(raw["id"]), name=raw.get("name") or f"#{legacy_id(raw['id'])}", currency=currency,
            created_at=parse_iso(raw["createdAt"]), updated_at=parse_iso(raw.get("updatedAt") or raw["createdAt"]),
            customer=Customer(id=legacy_id(customer["id"]) if customer.get("id") else None,
                              email=customer.get("email") or raw.get("email"),
                              first_name=customer.get("firstName") or "",
                              last_name=customer.get("lastName") or "") if customer or raw.get("email") else None,
            lines=tuple(lines), paid=(raw.get("displayFinancialStatus") or "").lower() in PAID_STATUSES,
            gateway=gateways[0] if gateways else None)

    # --- refunds as Shopify reports them ----------------------------------------------------
    def _order_refunds(self, order_id: str, what: str) -> tuple[str, list[dict[str, Any]]]:
        data = self.graphql(Q_ORDER_REFUNDS, {"id": _gid("Order", order_id)}, what=what)
        order = data.get("order")
        if order is None:
            raise NotFound("Shopify", f"Shopify has no such record ({what}): order not found", status=404,
                           detail="order not found")
        return order["presentmentCurrencyCode"], list(order.get("refunds") or [])

    def list_refunds(self, order: Order) -> list[StorefrontRefund]:
        currency, refunds = self._order_refunds(order.id, f"list refunds of order {order.name}")
        return [self.parse_refund(raw, currency, order_id=order.id) for raw in refunds]

    def refunds_since(self, since: datetime) -> Iterator[StorefrontRefund]:
        """Refunds of every order updated since ``since`` (a refund updates its order): the listing
        names the orders with refunds, each is then read for its refunds."""
        for node in self._orders_since(since):
            if node.get("refunds"):
                order_id = legacy_id(node["id"])
                currency, refunds = self._order_refunds(order_id, f"list refunds of order {order_id}")
                for raw in refunds:
                    yield self.parse_refund(raw, currency, order_id=order_id)

    def refund(self, order_id: str, refund_id: str) -> StorefrontRefund:
        data = self.graphql(Q_REFUND, {"id": _gid("Refund", refund_id)},
                            what=f"read refund {refund_id} of order {order_id}")
        raw = data.get("refund")
        if raw is None or legacy_id((raw.get("order") or {}).get("id")) != str(order_id):
            raise NotFound("Shopify", f"Shopify has no such record (read refund {refund_id} of order {order_id})",
                           status=404, detail="refund not found")
        return self.parse_refund(raw, raw["order"]["presentmentCurrencyCode"], order_id=order_id)

    def parse_refund(self, raw: Mapping[str, Any], currency: str | None,
                     order_id: str | None = None) -> StorefrontRefund:
        """Every refund this adapter reads comes through here: a GraphQL ``Refund`` node (of order
        ``order_id``), or a REST-shaped one (refunds/create webhooks)."""
        if str(raw.get("id", "")).startswith("gid://"):
            if order_id is None or currency is None:
                raise RemoteError("Shopify", f"Refund {raw.get('id')} was read without its order and currency.")
            return self._parse_graphql_refund(raw, order_id, currency)
        return parse_rest_refund(raw, currency, self.rest_paid_side)

    def _parse_graphql_refund(self, raw: Mapping[str, Any], order_id: str, currency: str) -> StorefrontRefund:
        what = f"refund {legacy_id(raw.get('id'))}"
        lines: list[RefundLine] = []
        for item in self._nodes(raw.get("refundLineItems"), f"the lines of {what}"):
            line_item = item.get("lineItem") or {}
            lines.append(RefundLine(sku=line_item.get("sku") or None, quantity=Decimal(item["quantity"]),
                                    amount=self._paid(item.get("subtotalSet"), currency),
                                    tax=self._paid(item.get("totalTaxSet"), currency),
                                    line_id=legacy_id(line_item.get("id")), kind=LineKind.ITEM))
        for ship in self._nodes(raw.get("refundShippingLines"), f"the shipping lines of {what}"):
            lines.append(RefundLine(sku=None, quantity=Decimal(1),
                                    amount=self._paid(ship.get("subtotalAmountSet"), currency),
                                    tax=self._paid(ship.get("taxAmountSet"), currency),
                                    line_id=shipping_line_id(legacy_id((ship.get("shippingLine") or {}).get("id"))),
                                    kind=LineKind.SHIPPING))
        transactions = [t for t in self._nodes(raw.get("transactions"), f"the transactions of {what}")
                        if t.get("kind") == "REFUND"]
        statuses = [_TRANSACTION_STATUS.get(str(t.get("status") or "SUCCESS").lower(), SourceStatus.PENDING)
                    for t in transactions]
        # The refund's total is the money that went back, whatever the lines say it should be.
        total = sum((self._paid(t.get("amountSet"), currency) for t, s in zip(transactions, statuses)
                     if s is SourceStatus.COMPLETED), money.ZERO)
        return StorefrontRefund(id=legacy_id(raw["id"]), order_id=str(order_id), currency=currency,
                                total=money.amount(total, currency), lines=tuple(lines),
                                status=worst_status(statuses), note=raw.get("note") or "",
                                created_at=parse_iso(raw["createdAt"]) if raw.get("createdAt") else None)

    # --- refunds pushed from NetSuite -------------------------------------------------------
    def create_refund(self, order: Order, push: RefundPush) -> PushedRefund:
        lines = [{"lineItemId": _gid("LineItem", line_id),
                  "quantity": int(quantity) if quantity == quantity.to_integral_value() else quantity,
                  "restockType": "NO_RESTOCK"}   # NetSuite owns inventory; it restocked already
                 for line_id, quantity in push.lines]
        shipping = money.format_amount(push.shipping, push.currency) if push.shipping else None
        parents = self._parents(order, lines, shipping, push.currency)
        refund_input: dict[str, Any] = {
            "orderId": _gid("Order", order.id), "note": push.note, "notify": False, "currency": push.currency,
            "refundLineItems": lines, "transactions": self._transactions(order, parents, push.total, push.currency)}
        if shipping:
            refund_input["shipping"] = {"amount": shipping}
        data = self.graphql(M_REFUND_CREATE, {"input": refund_input}, what=f"refund order {order.name}")
        payload = data.get("refundCreate") or {}
        errors = payload.get("userErrors") or []
        if errors:
            detail = "; ".join(f"{'.'.join(map(str, e.get('field') or []))}: {e.get('message')}" for e in errors)
            raise RemoteError("Shopify", f"Shopify rejected the request to refund order {order.name}: {detail}",
                              status=422, detail=detail)
        if not payload.get("refund"):
            raise RemoteError("Shopify", f"Shopify answered the refund of order {order.name} without a refund.",
                              retryable=True)
        return self._pushed(self.parse_refund(payload["refund"], order.currency, order_id=order.id))

    def _parents(self, order: Order, lines: list, shipping: str | None,
                 currency: str) -> list[tuple[Any, str | None, Decimal]]:
        """Sale transactions to refund against: (parent gid, gateway, still refundable)."""
        if lines or shipping:
            data = self.graphql(Q_SUGGESTED, {"id": _gid("Order", order.id), "lines": lines, "shipping": shipping},
                                what=f"calculate a refund of order {order.name}")
            suggested = ((data.get("order") or {}).get("suggestedRefund") or {}).get("suggestedTransactions") or []
            found = [((t.get("parentTransaction") or {}).get("id"), t.get("gateway"),
                      self._paid(t.get("maximumRefundableSet") or t.get("amountSet"), currency))
                     for t in suggested if (t.get("parentTransaction") or {}).get("id")]
            if found:
                return found
        data = self.graphql(Q_TRANSACTIONS, {"id": _gid("Order", order.id)},
                            what=f"read the transactions of order {order.name}")
        transactions = (data.get("order") or {}).get("transactions") or []
        refunded: dict[Any, Decimal] = {}
        for t in transactions:
            if t.get("kind") == "REFUND" and t.get("status") == "SUCCESS":
                parent = (t.get("parentTransaction") or {}).get("id")
                refunded[parent] = refunded.get(parent, money.ZERO) + self._paid(t.get("amountSet"), currency)
        return [(t["id"], t.get("gateway"),
                 self._paid(t.get("amountSet"), currency) - refunded.get(t["id"], money.ZERO))
                for t in transactions if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"]

    @staticmethod
    def _transactions(order: Order, parents: list[tuple[Any, str | None, Decimal]], total: Decimal,
                      currency: str) -> list[dict]:
        if total <= 0:
            return []
        if not parents:
            raise RemoteError("Shopify", f"Order {order.name} has no successful sale transaction in Shopify to refund "
                                         "against; refund it in the Shopify admin instead.")
        transactions, left = [], total
        for index, (parent_id, gateway, refundable) in enumerate(parents):
            last = index == len(parents) - 1
            part = left if last else min(left, max(refundable, money.ZERO))
            if part > 0:
                transactions.append({"orderId": _gid("Order", order.id), "parentId": parent_id,
                                     "amount": money.format_amount(part, currency), "kind": "REFUND",
                                     "gateway": gateway or "manual"})
                left -= part
            if left <= 0:
                break
        return transactions

    def find_pushed_refund(self, order: Order, marker: str) -> PushedRefund | None:
        currency, refunds = self._order_refunds(order.id, f"list refunds of order {order.name}")
        for raw in refunds:
            if marker in (raw.get("note") or ""):
                pushed = self._pushed(self.parse_refund(raw, currency, order_id=order.id))
                if pushed.status is not SourceStatus.FAILED:
                    return pushed
        return None

    def pushed_refund(self, order_id: str, refund_id: str, currency: str) -> PushedRefund:
        return self._pushed(self.refund(order_id, refund_id))

    @staticmethod
    def _pushed(refund: StorefrontRefund) -> PushedRefund:
        return PushedRefund(id=refund.id, status=refund.status, amount=refund.total)

    def register_refund_webhook(self, address: str) -> None:
        # refunds/create subscriptions stay on REST: the deliveries are REST-shaped either way
        try:
            self.api.request("POST", "/webhooks.json", what="subscribe to refunds/create webhooks",
                             body={"webhook": {"topic": "refunds/create", "address": address, "format": "json"}})
        except RemoteError as exc:
            if exc.status == 422 and "taken" in exc.detail:
                return  # already subscribed to this address: that is what we wanted
            raise


STOREFRONT = StorefrontSpec(
    platform="shopify", store_hint="the Shopify shop name (acme for acme.myshopify.com)",
    # client_secret: the app secret that signs refunds/create webhooks (HMAC-SHA256)
    credentials=("access_token", "client_secret"),
    adapter=lambda http, account: ShopifyAdapter(http, shop=account.store,
                                                 access_token=account.credentials["access_token"]))
