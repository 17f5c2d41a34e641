"""Malformed deliveries to the connector's refund webhook receiver: validly signed junk, unsigned junk,
odd headers and methods. Every one gets a 4xx or a 2xx that records nothing, never an exception or a
5xx, and the ledger only gains a refund from a delivery that really carried one."""
from __future__ import annotations

import json
import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connector import AccountSettings, Direction
from connector.storefronts.shopify_webhooks import shopify_signature
from tests.fuzzing import ODD_STRINGS, bodies, deep
from tests.property_budget import examples
from tests.unit.connector_helpers import Routes, make_connector, shopify_refund

SECRET = "shpss_secret"
URL = "https://hooks.refund-connector.test/webhooks/shopify"
SHOP = "acme-outfitters.myshopify.com"

refund_bodies = st.one_of(
    bodies,
    st.builds(lambda refund, field, value: json.dumps({**refund, field: value}, default=str).encode(),
              st.just(shopify_refund()), st.sampled_from(["id", "order_id", "transactions", "refund_line_items",
                                                          "created_at", "currency", "note"]),
              st.one_of(st.sampled_from(ODD_STRINGS), st.integers(), st.none(), st.lists(st.integers(), max_size=2),
                        st.just({"amount": "1e30"}), st.just([{"amount": "NaN", "kind": "refund"}]))),
)


def test_malformed_deliveries_never_raise_and_record_nothing(tmp_path) -> None:
    connector = make_connector(tmp_path, Routes())
    account = connector.add_account(name="Shop", platform="shopify", store="acme-outfitters",
                                    credentials={"access_token": "shpat", "client_secret": SECRET},
                                    settings=AccountSettings())
    connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE)

    @settings(max_examples=examples(150), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=refund_bodies, signed=st.booleans(), method=st.sampled_from(["POST"] * 5 + ["GET", "PUT"]),
           topic=st.sampled_from(["refunds/create", "orders/updated", "", "²" * 3]),
           shop=st.sampled_from([SHOP, SHOP.upper(), "", "x" * 300]), delivery=st.text(max_size=12))
    # found by this fuzz: a validly signed body nested 10,000 deep raised RecursionError in the receiver
    @example(body=deep(10_000).encode(), signed=True, method="POST", topic="refunds/create", shop=SHOP, delivery="d")
    # and one whose transactions were an object, not a list: AttributeError in the payload parser
    @example(body=json.dumps({**shopify_refund(), "transactions": {"amount": "1e30"}}).encode(), signed=True,
             method="POST", topic="refunds/create", shop=SHOP, delivery="")
    def run(body: bytes, signed: bool, method: str, topic: str, shop: str, delivery: str) -> None:
        before = len(connector.refunds(account_id=account.id))
        # header values as raw bytes: a sender may put any octets there, not only ASCII
        headers = {name: value.encode("utf-8", "replace") for name, value in {
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-Hmac-Sha256": shopify_signature(SECRET if signed else "x", body)}.items()}
        response = connector.handle_webhook(httpx.Request(method, URL, content=body, headers=headers))
        assert response.status_code < 500, response.text[:300]
        after = len(connector.refunds(account_id=account.id))
        if response.status_code >= 400 or response.json().get("status") != "recorded":
            assert after == before, f"{response.status_code} {response.text[:200]} but a refund was recorded"

    try:
        run()
    finally:
        connector.close()
