"""Shopify's GraphQL Admin API answered from REST-shaped test answers.

The connector's Shopify adapter speaks GraphQL; many connector unit tests were written with REST
answers (``shopify_order()``, ``shopify_refund()``, routes on ``orders/{id}.json``). This bridge turns
each GraphQL operation the adapter sends into the REST request that asks the same thing, sends it
through the same route table (so tests keep answering, failing and inspecting REST requests), and
renders the REST answer in the GraphQL shape (gids, MoneyBags, upper-case enums). Non-2xx REST
answers pass through as they are (a 429 stays a 429).
"""
from __future__ import annotations

import base64
import copy
from typing import Any, Callable

import httpx

from common import jsonio

BASE = "https://{host}/admin/api/2024-10"


def gid(kind: str, number: Any) -> str:
    return f"gid://shopify/{kind}/{number}"


def number(value: Any) -> int:
    return int(str(value).rsplit("/", 1)[-1])


def bag(amount: Any, currency: str, money_set: dict | None = None) -> dict[str, Any]:
    if money_set and money_set.get("presentment_money"):
        shop = money_set.get("shop_money") or money_set["presentment_money"]
        presentment = money_set["presentment_money"]
        return {"shopMoney": {"amount": str(shop["amount"]), "currencyCode": shop.get("currency_code", currency)},
                "presentmentMoney": {"amount": str(presentment["amount"]),
                                     "currencyCode": presentment.get("currency_code", currency)}}
    if money_set and money_set.get("shop_money"):
        amount = money_set["shop_money"]["amount"]
    one = {"amount": str(amount if amount is not None else "0"), "currencyCode": currency}
    return {"shopMoney": one, "presentmentMoney": dict(one)}


def _taxes(lines: list[dict], currency: str) -> list[dict]:
    return [{"priceSet": bag(t.get("price"), currency, t.get("price_set"))} for t in lines or []]


def _page(nodes: list[dict]) -> dict[str, Any]:
    return {"nodes": nodes, "pageInfo": {"hasNextPage": False}}


def order_node(raw: dict, refunds: list[dict] | None = None) -> dict[str, Any]:
    cur = raw.get("presentment_currency") or raw.get("currency") or "USD"
    customer = raw.get("customer") or {}
    return {
        "id": gid("Order", raw["id"]), "name": raw.get("name"), "email": raw.get("email"),
        "createdAt": raw.get("created_at"), "updatedAt": raw.get("updated_at") or raw.get("created_at"),
        "currencyCode": raw.get("currency") or cur, "presentmentCurrencyCode": cur,
        "displayFinancialStatus": (raw.get("financial_status") or "").upper() or None,
        "paymentGatewayNames": raw.get("payment_gateway_names") or [],
        "customer": {"id": gid("Customer", customer["id"]), "email": customer.get("email"),
                     "firstName": customer.get("first_name"), "lastName": customer.get("last_name")}
        if customer.get("id") else None,
        "lineItems": _page([{
            "id": gid("LineItem", item["id"]), "sku": item.get("sku"), "title": item.get("title"),
            "name": item.get("name") or item.get("title"), "quantity": item["quantity"],
            "originalUnitPriceSet": bag(item.get("price"), cur, item.get("price_set")),
            "discountAllocations": ([{"allocatedAmountSet": bag(a.get("amount"), cur, a.get("amount_set"))}
                                     for a in item.get("discount_allocations")]
                                    if item.get("discount_allocations")
                                    else [{"allocatedAmountSet": bag(item.get("total_discount"), cur)}]
                                    if item.get("total_discount") else []),
            "taxLines": _taxes(item.get("tax_lines"), cur),
        } for item in raw.get("line_items", [])]),
        "shippingLines": _page([{
            "id": gid("ShippingLine", ship["id"]), "title": ship.get("title"),
            "originalPriceSet": bag(ship.get("price"), cur, ship.get("price_set")),
            "discountedPriceSet": bag(ship.get("discounted_price") or ship.get("price"), cur,
                                      ship.get("discounted_price_set")),
            "taxLines": _taxes(ship.get("tax_lines"), cur),
        } for ship in raw.get("shipping_lines", [])]),
        "refunds": [refund_node(r, cur) for r in (refunds if refunds is not None else raw.get("refunds", []))],
    }


def transaction_node(t: dict, currency: str) -> dict[str, Any]:
    return {"id": gid("OrderTransaction", t.get("id", 0)), "kind": str(t.get("kind", "")).upper(),
            "status": str(t.get("status", "success")).upper(), "gateway": t.get("gateway"),
            "amountSet": bag(t.get("amount"), t.get("currency") or currency),
            "parentTransaction": {"id": gid("OrderTransaction", t["parent_id"])} if t.get("parent_id") else None}


def refund_node(raw: dict, currency: str) -> dict[str, Any]:
    return {
        "id": gid("Refund", raw["id"]), "note": raw.get("note"), "createdAt": raw.get("created_at"),
        "order": {"id": gid("Order", raw.get("order_id")), "presentmentCurrencyCode": currency},
        "refundLineItems": _page([{
            "quantity": item["quantity"], "restockType": str(item.get("restock_type") or "no_restock").upper(),
            "lineItem": {"id": gid("LineItem", item["line_item_id"]), "sku": (item.get("line_item") or {}).get("sku")},
            "subtotalSet": bag(item.get("subtotal"), currency, item.get("subtotal_set")),
            "totalTaxSet": bag(item.get("total_tax"), currency, item.get("total_tax_set")),
        } for item in raw.get("refund_line_items", [])]),
        "refundShippingLines": _page([{
            "shippingLine": {"id": gid("ShippingLine", ship.get("shipping_line_id"))},
            "subtotalAmountSet": bag(None, currency, ship.get("subtotal_amount_set")),
            "taxAmountSet": bag(None, currency, ship.get("tax_amount_set")),
        } for ship in raw.get("refund_shipping_lines", [])]),
        "transactions": _page([transaction_node(t, currency) for t in raw.get("transactions", [])]),
    }


class RestBridge:
    """Answers one Shopify GraphQL request by way of ``rest`` (the route table, called with a REST request)."""

    def __init__(self, rest: Callable[[httpx.Request], httpx.Response]) -> None:
        self.rest = rest
        self.order_of_refund: dict[int, int] = {}
        self.listed: dict[int, dict] = {}    # orders as the last listing showed them (refunds embedded)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = jsonio.loads(request.content)
        # one bridge per request (sharing what it learnt): threads posting for several stores at once
        # each answer from their own store's routes
        call = copy.copy(self)
        call.base = BASE.format(host=request.url.host)
        call.headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        operation, variables = body.get("operationName"), body.get("variables") or {}
        handler = getattr(call, f"op_{operation}", None)
        if handler is None:
            raise AssertionError(f"the REST bridge has no translation for GraphQL operation {operation!r}")
        result = handler(variables)
        return result if isinstance(result, httpx.Response) else _json(200, {"data": result})

    def _get(self, path: str, params: dict | None = None) -> httpx.Response:
        return self.rest(httpx.Request("GET", self.base + path, params=params, headers=self.headers))

    def _post(self, path: str, payload: dict) -> httpx.Response:
        return self.rest(httpx.Request("POST", self.base + path, content=jsonio.dumps(payload).encode(),
                                       headers={**self.headers, "Content-Type": "application/json"}))

    def _currency(self, order_id: int) -> str:
        known = self.listed.get(order_id)
        if known:
            return known.get("presentment_currency") or known.get("currency") or "USD"
        try:
            answer = self._get(f"/orders/{order_id}.json")
        except AssertionError:
            return "USD"
        if answer.status_code == 200:
            order = jsonio.loads(answer.content)["order"]
            return order.get("presentment_currency") or order.get("currency") or "USD"
        return "USD"

    def op_Order(self, variables: dict) -> Any:
        answer = self._get(f"/orders/{number(variables['id'])}.json")
        if answer.status_code == 404:
            return {"order": None}
        if answer.status_code >= 400:
            return answer
        return {"order": order_node(jsonio.loads(answer.content)["order"])}

    def _refunds(self, order_id: int) -> Any:
        try:
            answer = self._get(f"/orders/{order_id}/refunds.json")
        except AssertionError:   # not routed: the refunds the order listing carried
            if order_id not in self.listed:
                raise
            return self.listed[order_id].get("refunds", [])
        if answer.status_code >= 400:
            return answer
        return jsonio.loads(answer.content).get("refunds", [])

    def op_OrderRefunds(self, variables: dict) -> Any:
        order_id = number(variables["id"])
        refunds = self._refunds(order_id)
        if isinstance(refunds, httpx.Response):
            return {"order": None} if refunds.status_code == 404 else refunds
        for r in refunds:
            self.order_of_refund[int(r["id"])] = order_id
        currency = self._currency(order_id)
        return {"order": {"id": gid("Order", order_id), "presentmentCurrencyCode": currency,
                          "refunds": [refund_node(r, currency) for r in refunds]}}

    def op_Refund(self, variables: dict) -> Any:
        refund_id = number(variables["id"])
        order_id = self.order_of_refund.get(refund_id)
        if order_id is None:
            return {"refund": None}
        answer = self._get(f"/orders/{order_id}/refunds/{refund_id}.json")
        if answer.status_code == 404:
            return {"refund": None}
        if answer.status_code >= 400:
            return answer
        return {"refund": refund_node(jsonio.loads(answer.content)["refund"], self._currency(order_id))}

    def op_OrdersSince(self, variables: dict) -> Any:
        after = variables.get("after")
        if after:
            answer = self.rest(httpx.Request("GET", base64.b64decode(after).decode(), headers=self.headers))
        else:
            since = variables["query"].split(">=", 1)[1].strip("'")
            answer = self._get("/orders.json", {"status": "any", "limit": 50, "updated_at_min": since})
        if answer.status_code >= 400:
            return answer
        orders = jsonio.loads(answer.content).get("orders", [])
        for o in orders:
            self.listed[int(o["id"])] = o
        link = answer.headers.get("Link", "")
        following = link.split("<", 1)[1].split(">", 1)[0] if 'rel="next"' in link else None
        return {"orders": {
            "nodes": [{"id": gid("Order", o["id"]), "updatedAt": o.get("updated_at"),
                       "refunds": [{"id": gid("Refund", r["id"])} for r in o.get("refunds", [])]} for o in orders],
            "pageInfo": {"hasNextPage": following is not None,
                         "endCursor": base64.b64encode(following.encode()).decode() if following else None}}}

    def op_SuggestedRefund(self, variables: dict) -> Any:
        order_id = number(variables["id"])
        refund: dict[str, Any] = {"currency": None, "refund_line_items": [
            {"line_item_id": number(l["lineItemId"]), "quantity": l["quantity"],
             "restock_type": str(l.get("restockType") or "NO_RESTOCK").lower()} for l in variables.get("lines") or []]}
        if variables.get("shipping"):
            refund["shipping"] = {"amount": variables["shipping"]}
        currency = self._currency(order_id)
        refund["currency"] = currency
        answer = self._post(f"/orders/{order_id}/refunds/calculate.json", {"refund": refund})
        if answer.status_code >= 400:
            return answer
        suggested = jsonio.loads(answer.content)["refund"].get("transactions", [])
        return {"order": {"suggestedRefund": {"suggestedTransactions": [{
            "gateway": t.get("gateway"),
            "parentTransaction": {"id": gid("OrderTransaction", t["parent_id"])} if t.get("parent_id") else None,
            "amountSet": bag(t.get("amount"), currency),
            "maximumRefundableSet": bag(t.get("maximum_refundable") or t.get("amount"), currency),
        } for t in suggested]}}}

    def op_OrderTransactions(self, variables: dict) -> Any:
        order_id = number(variables["id"])
        answer = self._get(f"/orders/{order_id}/transactions.json")
        if answer.status_code >= 400:
            return answer
        currency = self._currency(order_id)
        return {"order": {"transactions": [transaction_node(t, currency)
                                           for t in jsonio.loads(answer.content).get("transactions", [])]}}

    def op_RefundCreate(self, variables: dict) -> Any:
        data = variables["input"]
        order_id = number(data["orderId"])
        refund: dict[str, Any] = {
            "note": data.get("note"), "notify": data.get("notify", False), "currency": data.get("currency"),
            "refund_line_items": [{"line_item_id": number(l["lineItemId"]), "quantity": l["quantity"],
                                   "restock_type": str(l.get("restockType") or "NO_RESTOCK").lower()}
                                  for l in data.get("refundLineItems") or []],
            "transactions": [{"parent_id": number(t["parentId"]), "amount": t["amount"], "kind": t["kind"].lower(),
                              "gateway": t.get("gateway")} for t in data.get("transactions") or []]}
        if data.get("shipping"):
            refund["shipping"] = data["shipping"]
        answer = self._post(f"/orders/{order_id}/refunds.json", {"refund": refund})
        if answer.status_code == 422:
            errors = jsonio.loads(answer.content).get("errors") or {}
            user_errors = ([{"field": ["input", field], "message": m} for field, ms in errors.items() for m in ms]
                           if isinstance(errors, dict) else [{"field": None, "message": str(errors)}])
            return {"refundCreate": {"refund": None, "userErrors": user_errors}}
        if answer.status_code >= 400:
            return answer
        raw = jsonio.loads(answer.content)["refund"]
        self.order_of_refund[int(raw["id"])] = order_id
        return {"refundCreate": {"refund": refund_node(raw, data.get("currency") or "USD"), "userErrors": []}}


def _json(status: int, payload: Any) -> httpx.Response:
    return httpx.Response(status, content=jsonio.dumps(payload).encode(), headers={"Content-Type": "application/json"})
