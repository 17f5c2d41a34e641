"""A scheduled retrieval window advances only past what was recorded, and pages are recorded as
they arrive: one failed page of a storefront's refund listing loses nothing.

The storefronts here are the real simulators (they paginate as the platforms do); one page of the
listing fails once, as a 503 from the platform's edge would."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import httpx
import pytest

from common import jsonio

from connector import Direction
from connector.model import OrderLink
from simulators.shopify import ShopifySimulator
from simulators.square import SquareSimulator
from tests.unit.connector_helpers import Routes, connector_on_netsuite
from tests.unit.storefront_helpers import usd_order


class FailOnce:
    """Wraps a simulator: the first request that ``is_page_two`` picks is answered 503."""

    def __init__(self, handle: Callable[[httpx.Request], httpx.Response],
                 is_page_two: Callable[[httpx.Request], bool]) -> None:
        self.handle = handle
        self.is_page_two = is_page_two
        self.failed = 0

    def __call__(self, request: httpx.Request, match: re.Match) -> httpx.Response:
        if not self.failed and self.is_page_two(request):
            self.failed += 1
            return httpx.Response(503, text="503 Service Unavailable")   # from the platform's edge, not its API
        return self.handle(request)


@dataclass
class Storefront:
    platform: str
    store: str
    credentials: dict[str, str]
    page_size: int                           # refunds on the first page of the listing
    add_refunds: Callable[[int], list[str]]  # make n refunds in the storefront's admin -> their order ids
    fail: FailOnce


def _route(routes: Routes, host: str, answer: FailOnce) -> None:
    for method in ("GET", "POST"):
        routes.add(method, rf"^https://{re.escape(host)}/", answer)


def _shopify(routes: Routes, clock) -> Storefront:
    sim = ShopifySimulator(clock=clock, seed=3)

    def add_refunds(count: int) -> list[str]:
        order_ids = []
        for _ in range(count):
            order = sim.add_order(usd_order())
            sim.refund_in_admin(order["id"], [(order["line_items"][1]["id"], 1)])
            order_ids.append(str(order["id"]))
        return order_ids

    def is_page_two(request: httpx.Request) -> bool:   # a GraphQL orders listing asked for the page after one
        if not request.url.path.endswith("/graphql.json"):
            return False
        body = jsonio.loads(request.content)
        return body.get("operationName") == "OrdersSince" and bool((body.get("variables") or {}).get("after"))

    # 101 refunds read in one run cost more query points than the bucket holds while no time passes;
    # throttling is not what this test is about
    sim.settings.graphql_maximum_available = sim.settings.graphql_restore_rate = 10.0**9
    fail = FailOnce(sim.handle, is_page_two)
    _route(routes, sim.shop_domain, fail)
    return Storefront("shopify", sim.shop, {"access_token": sim.access_token, "client_secret": sim.client_secret},
                      100, add_refunds, fail)


def _square(routes: Routes, clock) -> Storefront:
    sim = SquareSimulator(clock=clock, seed=3)

    def add_refunds(count: int) -> list[str]:
        order_ids = []
        for _ in range(count):
            order, payment = sim.add_order(usd_order(gateway=None))
            sim.complete_refund(sim.refund_in_dashboard(payment["id"], Decimal("5.00"))["id"])
            order_ids.append(order["id"])
        return order_ids

    fail = FailOnce(sim.handle, lambda r: r.url.path == "/v2/refunds" and "cursor" in r.url.params)
    _route(routes, "connect.squareup.com", fail)
    return Storefront("square", sim.location_id, {"access_token": sim.access_token}, 100, add_refunds, fail)


STOREFRONTS = {"shopify": _shopify, "square": _square}


@pytest.mark.parametrize("platform", sorted(STOREFRONTS))
def test_a_failed_listing_page_loses_no_refund(tmp_path, platform: str) -> None:
    with connector_on_netsuite(tmp_path) as (connector, netsuite, routes):
        clock = connector.clock
        storefront = STOREFRONTS[platform](routes, clock)
        account = connector.add_account(name="Store", platform=platform, store=storefront.store,
                                        credentials=storefront.credentials, settings=netsuite.settings)
        connector.activate_order_sync(account.id)   # the cut-off: no refund of ours is older
        clock.advance(minutes=5)
        order_ids = storefront.add_refunds(storefront.page_size + 1)   # one more than a page
        for order_id in order_ids:   # orders the connector synced (their sales orders are not needed here)
            connector.ledger.save_order_link(OrderLink(
                account_id=account.id, order_id=order_id, order_name=order_id, sales_order_id="1",
                sales_order_tranid=None, external_id=f"so-{order_id}", currency="USD", synced_at=clock.now()))
        clock.advance(minutes=60)
        connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE, next_refund_run_at=clock.now())

        first = connector.run_scheduled()
        assert storefront.fail.failed == 1
        assert any("looking for new refunds failed" in m for m in first.messages)
        # the page that arrived before the failure is in the ledger already
        assert len(connector.refunds(account_id=account.id)) == storefront.page_size

        clock.advance(minutes=90)
        connector.run_scheduled()
        assert sorted(r.order_id for r in connector.refunds(account_id=account.id)) == sorted(order_ids)
