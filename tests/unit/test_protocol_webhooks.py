"""Webhooks to the URL the connector gives (docs/connector-protocol.md, "Webhooks"): a connector served
over the protocol registers its own receiver with each storefront, and the storefront simulators deliver
there over loopback, signed as the vendor signs, without the harness's relay. The connector verifies
the signature: a real delivery is recorded at once, a forged one is refused."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest

from harness import seam
from harness.connectors.load import load_factory
from harness.connectors.protocol_server import RECEIVER_DOMAIN, ProtocolServer
from harness.connectors.remote import remote_factory
from harness.platforms import platforms
from harness.scenario import ScenarioWorld
from harness.world import WEBHOOK_HOST
from tests.unit.world_helpers import refunded_with_webhooks_registered

WEBHOOK_PLATFORMS = sorted(p.name for p in platforms() if p.capabilities.refund_webhooks)


@pytest.fixture
def served(tmp_path: Path):
    (tmp_path / "served").mkdir()
    server = ProtocolServer(("127.0.0.1", 0), load_factory(seam.REFERENCE), tmp_path / "served")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def world(tmp_path: Path, served: ProtocolServer):
    world = ScenarioWorld(seed=7, workdir=tmp_path / "world", connector_factory=remote_factory(served.base_url),
                  connector_name=served.base_url, transport="loopback")
    yield world
    world.close()


def test_some_platform_sends_refund_webhooks():
    assert WEBHOOK_PLATFORMS, "no registered storefront sends refund webhooks: nothing to prove here"


@pytest.mark.parametrize("platform", WEBHOOK_PLATFORMS)
def test_a_storefront_delivers_to_the_connector_s_own_url_and_the_connector_verifies_it(world, served, platform):
    # enabling refund sync registers the connector's own receiver
    account, order, refund = refunded_with_webhooks_registered(world, platform)

    world.deliver_webhooks()   # no scheduled run: only the delivery can have recorded the refund

    assert [row.source_id for row in world.connector.refunds(account.id)] == [refund]
    hosts = {host for host, _ in served.received}
    assert len(hosts) == 1 and next(iter(hosts)).endswith("." + RECEIVER_DOMAIN), served.received
    assert all(200 <= status < 300 for _, status in served.received), served.received
    forged = world.driver_of(order).send_forged_refund_webhook(order.placed)
    assert forged in (401, 403), f"the connector took a forged {platform} delivery: {forged}"
    assert sum(n for (_, status), n in served.received.items() if status == forged) == 1
    assert [row.source_id for row in world.connector.refunds(account.id)] == [refund]
    relayed = [answer.url for answer in world.webhook_answers if httpx.URL(answer.url).host == WEBHOOK_HOST]
    assert relayed == [], "a delivery went through the harness's relay instead of the connector's URL"


@pytest.mark.parametrize("host, base_url, problem", [
    ("hooks.acme.test", "https://127.0.0.1:8080", "give http://<loopback address>:<port>"),
    ("hooks.acme.test", "http://hooks.example.com:8080", "give http://<loopback address>:<port>"),
    ("hooks.acme.test", "http://127.0.0.1", "give http://<loopback address>:<port>"),
])
def test_a_receiver_the_connector_names_must_be_on_loopback(host, base_url, problem):
    from harness.wiring import Loopback

    wiring = Loopback()
    try:
        with pytest.raises(ValueError, match=re.escape(problem)) as refused:
            wiring.route_elsewhere(host, base_url)
        assert host in str(refused.value) and base_url in str(refused.value)
    finally:
        wiring.close()


def test_a_connector_cannot_take_over_a_simulator_s_hostname(world):
    netsuite_host = world.netsuite.hosts[0]
    with pytest.raises(ValueError, match="a simulator's hostname"):
        world.wiring.route_elsewhere(netsuite_host, "http://127.0.0.1:9")
