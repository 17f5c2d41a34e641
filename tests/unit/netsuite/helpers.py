"""Shared by the NetSuite simulator tests: a TBA signer for httpx and small builders.

The signer is an ordinary OAuth 1.0a client (oauthlib) configured the way NetSuite integrations
are: HMAC-SHA256, realm = account id, nonce and timestamp from the test's clock.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator

import httpx
from oauthlib import oauth1

from common.clock import ManualClock
from simulators.netsuite import NetSuiteSettings, NetSuiteSimulator, TbaCredentials

ACCOUNT = "1234567_SB1"
BASE_URL = "https://1234567-sb1.suitetalk.api.netsuite.com"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"


class TbaSigner(httpx.Auth):
    """Signs each request with a fresh nonce; knobs let tests produce the bad variants."""

    def __init__(self, credentials: TbaCredentials, clock: ManualClock, *, realm: str = ACCOUNT,
                 signature_method: str = oauth1.SIGNATURE_HMAC_SHA256, nonce: str | None = None,
                 consumer_secret: str | None = None) -> None:
        self.credentials = credentials
        self.clock = clock
        self.realm = realm
        self.signature_method = signature_method
        self.fixed_nonce = nonce
        self.consumer_secret = consumer_secret or credentials.consumer_secret
        self._counter = itertools.count(1)

    def authorization(self, method: str, url: str) -> str:
        client = oauth1.Client(
            self.credentials.consumer_key, client_secret=self.consumer_secret,
            resource_owner_key=self.credentials.token_id, resource_owner_secret=self.credentials.token_secret,
            signature_method=self.signature_method, realm=self.realm,
            nonce=self.fixed_nonce or f"nonce{next(self._counter):08d}",
            timestamp=str(int(self.clock.now().timestamp())),
        )
        _, headers, _ = client.sign(url, http_method=method)
        return headers["Authorization"]

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self.authorization(request.method, str(request.url))
        yield request


@dataclass
class World:
    sim: NetSuiteSimulator
    clock: ManualClock
    client: httpx.Client

    def signed_client(self, **signer_options: Any) -> httpx.Client:
        return client_for(self.sim, TbaSigner(self.sim.credentials, self.clock, **signer_options))


def client_for(sim: NetSuiteSimulator, auth: httpx.Auth | None, base_url: str = BASE_URL) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(sim.handle), base_url=base_url, auth=auth)


def make_world(seed: int = 0, **settings: Any) -> World:
    clock = ManualClock()
    sim = NetSuiteSimulator(account_id=ACCOUNT, clock=clock, seed=seed, settings=NetSuiteSettings(**settings))
    return World(sim, clock, client_for(sim, TbaSigner(sim.credentials, clock)))


def created_id(response: httpx.Response, record_type: str | None = None) -> str:
    assert response.status_code == 204, response.text
    assert response.content == b""
    location = response.headers["Location"]
    if record_type is not None:
        assert location.startswith(f"{BASE_URL}{RECORDS}/{record_type}/"), location
    return location.rsplit("/", 1)[1]


def error_detail(response: httpx.Response) -> dict[str, Any]:
    """The single o:errorDetails entry of a NetSuite error response."""
    assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=error"
    body = response.json()
    assert body["status"] == response.status_code
    assert set(body) == {"type", "title", "status", "o:errorDetails"}
    (detail,) = body["o:errorDetails"]
    return detail


@dataclass
class Catalog:
    shirt: str      # inventory item, 24.50
    hat: str        # inventory item, 10.00
    shipping: str   # other charge
    adjustment: str # other charge used for generic refunds
    customer: str
    visa: str = "3"


def seed_catalog(world: World) -> Catalog:
    sim = world.sim
    shirt = sim.add_inventory_item("SKU-SHIRT", "Shirt", Decimal("24.50"))
    hat = sim.add_inventory_item("SKU-HAT", "Hat", Decimal("10.00"))
    shipping = sim.add_other_charge_item("Shipping")
    adjustment = sim.add_other_charge_item("Refund Adjustment")
    response = world.client.post(f"{RECORDS}/customer", json={
        "externalId": "shop-customer-1", "firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"})
    return Catalog(shirt, hat, shipping, adjustment, created_id(response, "customer"))


def post_sales_order(world: World, catalog: Catalog, *, external_id: str = "shop-order-1001",
                     paid: bool = True, lines: list[dict[str, Any]] | None = None,
                     **fields: Any) -> str:
    body: dict[str, Any] = {
        "externalId": external_id,
        "entity": {"id": catalog.customer},
        "item": {"items": lines if lines is not None else [
            {"item": {"id": catalog.shirt}, "quantity": 2, "rate": 24.5, "custcol_storefront_line_id": "L1"},
            {"item": {"id": catalog.hat}, "quantity": 1, "custcol_storefront_line_id": "L2"},
        ]},
        **fields,
    }
    if paid:
        body["paymentMethod"] = {"id": catalog.visa}
    return created_id(world.client.post(f"{RECORDS}/salesOrder", json=body), "salesOrder")


def get_record(world: World, record_type: str, record_id: str) -> dict[str, Any]:
    response = world.client.get(f"{RECORDS}/{record_type}/{record_id}", params={"expandSubResources": "true"})
    assert response.status_code == 200, response.text
    return response.json()


def transform(world: World, from_type: str, record_id: str, to_type: str, body: dict[str, Any] | None = None,
              replace: bool = False) -> httpx.Response:
    params = {"replace": "item"} if replace else None
    return world.client.post(f"{RECORDS}/{from_type}/{record_id}/!transform/{to_type}", json=body or {},
                             params=params)
