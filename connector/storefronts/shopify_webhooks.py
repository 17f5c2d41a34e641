"""Shopify refunds/create webhooks: the pipeline's hooks (connector/storefronts/webhook_receiver.py).

Deliveries are signed in ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body, keyed by the app's
client secret) and name their shop in ``X-Shopify-Shop-Domain``. Delivery is at-least-once, so a
re-delivery (same ``X-Shopify-Webhook-Id``) is acknowledged and ignored; and even a delivery that slips
past that check finds the refund already in the ledger. The payload is the refund itself, REST-shaped:
it is checked field by field against that shape before the adapter reads it, so nothing is read from
the shop.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping, Protocol, Sequence

import httpx

from connector.model import StorefrontRefund
from connector.storefronts.webhook_receiver import (Delivery, PayloadReader, StoreAccess, base64_hmac_sha256,
                                                    same_signature)

TOPIC = "refunds/create"
SHOP_DOMAIN = ".myshopify.com"
# every side of a REST MoneyBag the adapter may read (which one is the adapter's choice)
MONEY_BAG_SIDES = ("presentment_money", "shop_money")


def shopify_signature(secret: str, body: bytes) -> str:
    return base64_hmac_sha256(secret, body)


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    return same_signature(shopify_signature(secret, body), given)


class ReadsRestRefunds(Protocol):
    def parse_refund(self, raw: Mapping[str, Any], currency: str | None) -> StorefrontRefund: ...


class ShopifyWebhooks:
    platform = "shopify"
    secret_credential = "client_secret"
    topics = frozenset({TOPIC})
    replay_window: timedelta | None = None   # retries carry the original delivery: no age limit

    def parse(self, request: httpx.Request, body: bytes, payload: Any) -> Delivery:
        domain = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
        return Delivery(store=domain.removesuffix(SHOP_DOMAIN) if domain.endswith(SHOP_DOMAIN) else "",
                        delivery_id=request.headers.get("X-Shopify-Webhook-Id", ""),
                        topic=request.headers.get("X-Shopify-Topic", ""), body=body, payload=payload,
                        headers=request.headers)

    def verify(self, delivery: Delivery, secret: str) -> bool:
        given = delivery.headers.get("X-Shopify-Hmac-Sha256", "")
        return bool(given) and signature_matches(secret, delivery.body, given)

    def refunds(self, delivery: Delivery, store: StoreAccess) -> Sequence[StorefrontRefund]:
        read = PayloadReader(TOPIC)
        refund = read.object(delivery.payload, "the payload")
        order_id = read.identifier(refund.get("order_id"), "order_id")
        currency = checked_refund(read, refund, store.order_currency(order_id))
        adapter: ReadsRestRefunds = store.adapter
        return [adapter.parse_refund(refund, currency)]


def checked_refund(read: PayloadReader, refund: Mapping[str, Any], order_currency: str | None) -> str:
    """Every field of a REST refund the adapter reads is of the shape Shopify documents, and every amount
    one the refund's currency can hold; returns that currency (the synced order's, else the refund
    transactions')."""
    read.identifier(refund.get("id"), "id")
    read.text(refund.get("note"), "note")
    read.time(refund.get("created_at"), "created_at")
    transactions = read.objects(refund.get("transactions"), "transactions")
    for n, transaction in enumerate(transactions):
        for field in ("kind", "status", "currency"):
            read.text(transaction.get(field), f"transactions[{n}].{field}")
    currency = order_currency or next((t["currency"] for t in transactions if t.get("kind") == "refund"
                                       and t.get("currency")), None)
    if currency is None:
        read.malformed("a refund transaction's currency", "given where the order is not synced")
    currency = read.currency(currency, "the refund's currency")
    for n, transaction in enumerate(transactions):
        if transaction.get("kind") == "refund":
            if transaction.get("amount") is None:
                read.malformed(f"transactions[{n}].amount", f"an amount in {currency}")
            read.amount(transaction["amount"], f"transactions[{n}].amount", currency)
    for n, item in enumerate(read.objects(refund.get("refund_line_items"), "refund_line_items")):
        where = f"refund_line_items[{n}]"
        read.whole_number(item.get("quantity"), f"{where}.quantity")
        read.identifier(item.get("line_item_id"), f"{where}.line_item_id")
        read.text(read.optional_object(item.get("line_item"), f"{where}.line_item").get("sku"), f"{where}.line_item.sku")
        _amounts(read, item, where, currency, sets=("subtotal_set", "total_tax_set"), plain=("subtotal", "total_tax"))
    for n, line in enumerate(read.objects(refund.get("refund_shipping_lines"), "refund_shipping_lines")):
        _amounts(read, line, f"refund_shipping_lines[{n}]", currency, sets=("subtotal_amount_set", "tax_amount_set"),
                 plain=("subtotal", "tax"))
    for n, adjustment in enumerate(read.objects(refund.get("order_adjustments"), "order_adjustments")):
        read.text(adjustment.get("kind"), f"order_adjustments[{n}].kind")
        _amounts(read, adjustment, f"order_adjustments[{n}]", currency, sets=("amount_set", "tax_amount_set"),
                 plain=("amount", "tax_amount"))
    return currency


def _amounts(read: PayloadReader, item: Mapping[str, Any], where: str, currency: str, *,
             sets: tuple[str, ...], plain: tuple[str, ...]) -> None:
    """Each MoneyBag side's amount in that side's currency; each plain amount (the shop's, standing in
    when its bag has no amount in the currency the customer paid) in the refund's currency."""
    for name, plain_name in zip(sets, plain):
        bag = read.optional_object(item.get(name), f"{where}.{name}")
        for side in MONEY_BAG_SIDES:
            money_side = read.optional_object(bag.get(side), f"{where}.{name}.{side}")
            side_currency = money_side.get("currency_code")
            read.amount(money_side.get("amount"), f"{where}.{name}.{side}.amount",
                        currency if side_currency is None else read.currency(side_currency,
                                                                             f"{where}.{name}.{side}.currency_code"))
        if (bag.get(MONEY_BAG_SIDES[0]) or {}).get("amount") is None:
            read.amount(item.get(plain_name), f"{where}.{plain_name}", currency)


WEBHOOKS = ShopifyWebhooks()
