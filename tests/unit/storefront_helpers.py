"""Shared test helpers for the storefront simulators: order specs and clients over real httpx."""
from __future__ import annotations

from decimal import Decimal

import httpx

from simulators.core.orders import CustomerSpec, LineSpec, OrderSpec
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator

D = Decimal


def usd_order(**overrides: object) -> OrderSpec:
    """Two lines (one discounted), taxed shipping: exercises every amount on an order."""
    fields: dict[str, object] = dict(
        currency="USD",
        lines=(
            LineSpec("SKU-1001", "Linen Shirt", D("19.99"), 3, discount=D("6.00"), tax_rate=D("0.0825")),
            LineSpec("SKU-1002", "Canvas Hat", D("10.00"), 1, tax_rate=D("0.0825")),
        ),
        shipping=D("7.50"), shipping_tax_rate=D("0.0825"), gateway="shopify_payments",
        customer=CustomerSpec("Grace", "Hopper", "grace.hopper@example.com"),
    )
    fields.update(overrides)
    return OrderSpec(**fields)  # type: ignore[arg-type]


def jpy_order(**overrides: object) -> OrderSpec:
    fields: dict[str, object] = dict(
        currency="JPY",
        lines=(LineSpec("SKU-2001", "Tenugui", D("1500"), 2, discount=D("300"), tax_rate=D("0.10")),),
        shipping=D("500"), shipping_tax_rate=D("0.10"),
    )
    fields.update(overrides)
    return OrderSpec(**fields)  # type: ignore[arg-type]


def shopify_client(sim: ShopifySimulator, token: str | None = None, version: str = "2024-10") -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(sim.handle),
        base_url=f"https://{sim.shop_domain}/admin/api/{version}",
        headers={"X-Shopify-Access-Token": sim.access_token if token is None else token},
    )


def square_client(sim: SquareSimulator, token: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(sim.handle),
        base_url="https://connect.squareup.com",
        headers={"Authorization": f"Bearer {sim.access_token if token is None else token}",
                 "Square-Version": "2024-10-17"},
    )


class Receiver:
    """A webhook endpoint that records what it was sent and answers with a chosen status."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(self.status)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def parse_link_header(value: str) -> dict[str, str]:
    """Behaves as ShopifyAPI's ``PaginatedCollection`` parser: entries split on exactly ", ", each
    unpacked into exactly two parts on "; ", rel read between the first pair of double quotes, URL
    taken by dropping the first and last character. Any other format raises or misreads."""
    links: dict[str, str] = {}
    for entry in value.split(", "):
        url_part, rel_part = entry.split("; ")
        links[rel_part.split('"')[1]] = url_part[1:-1]
    return links
