"""The connector protocol (docs/connector-protocol.md): its description is the one the code serves,
the harness's client maps its answers onto the seam, and a connector in its own process is certified
through it end to end."""
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from common.clock import ManualClock
from common.hostmap import LOOPBACK_TIMEOUT
from harness import seam
from harness.connectors import protocol
from harness.connectors.protocol_server import ProtocolServer
from harness.connectors.remote import RemoteConnector, RemoteConnectorFailure, _failure

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_description_is_generated_from_the_protocol_source():
    assert protocol.OPENAPI_PATH.read_text() == protocol.render(), \
        "docs/connector-protocol.openapi.json is stale: run python -m harness.connectors.protocol"


def test_every_seam_method_has_an_operation():
    carried = {op.seam_method for op in protocol.OPERATIONS}
    assert set(seam._SEAM_METHODS) <= carried


class _Refusing:
    """A connector whose every answer is a refusal or a crash, to check how they cross the wire."""

    def __init__(self, context):
        self.context = context

    def certification_claim(self):
        return seam.Claim({"square": ["to_netsuite"]}, not_offered=["refund_webhooks"])

    def enable_refund_sync(self, account_id, direction):
        raise seam.ActivationRefused(f"account {account_id}: order sync is off", missing=[seam.ORDER_SYNC_ACTIVE])

    def sync_order(self, account_id, order_id):
        raise seam.OrderSyncFailed(f"order {order_id} has an unmapped item")

    def post(self, refund_id):
        raise seam.OperationRefused(f"refund {refund_id} is canceled")

    def run_scheduled(self):
        raise KeyError("ledger row 7 vanished")

    def close(self):
        pass


@pytest.fixture
def remote(tmp_path):
    server = ProtocolServer(("127.0.0.1", 0), _Refusing, tmp_path / "served")
    (tmp_path / "served").mkdir()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = seam.ConnectorContext(
        http=None, clock=ManualClock(), workdir=tmp_path / "scenario", seed=1,   # type: ignore[arg-type]
        netsuite=seam.NetSuiteAccess("1_SB1", "https://1-sb1.suitetalk.api.netsuite.com", "ck", "cs", "ti", "ts"),
        webhook_base_url="https://hooks.example.test")
    connector = RemoteConnector(f"http://127.0.0.1:{server.server_address[1]}", context)
    yield connector
    connector.close()
    server.shutdown()
    server.server_close()


def test_the_served_connector_gives_up_on_an_unanswered_request_as_soon_as_an_in_process_one(tmp_path):
    """A lost answer is held open until the client gives up: the served connector's client has the
    same short loopback read limit as the World's, so such a fault costs the same either way."""
    (tmp_path / "served").mkdir()
    server = ProtocolServer(("127.0.0.1", 0), _Refusing, tmp_path / "served")
    try:
        scenario, _ = server.start({"tenant": "t1", "seed": 1, "webhook_base_url": "https://hooks.example.test",
                                    "hosts": {}, "netsuite": {"account_id": "1_SB1", "base_url": "https://x",
                                                              "consumer_key": "ck", "consumer_secret": "cs",
                                                              "token_id": "ti", "token_secret": "ts"}})
        assert server.instances[scenario].http.timeout == LOOPBACK_TIMEOUT
        server.end(scenario).close()
    finally:
        server.server_close()


def test_claims_and_typed_refusals_cross_the_wire_as_the_seam_s_own(remote):
    assert remote.certification_claim() == seam.Claim({"square": ["to_netsuite"]}, not_offered=["refund_webhooks"])
    with pytest.raises(seam.ActivationRefused, match="order sync is off") as refused:
        remote.enable_refund_sync("3", "to_netsuite")
    assert refused.value.missing == (seam.ORDER_SYNC_ACTIVE,)
    with pytest.raises(seam.OrderSyncFailed, match="order A/1 has an unmapped item"):
        remote.sync_order("3", "A/1")   # an id with a slash reaches the connector whole
    with pytest.raises(seam.OperationRefused, match="refund 9 is canceled"):
        remote.post("9")


@pytest.mark.parametrize("missing", [None, [], ["order sync is not active"]])
def test_an_activation_refusal_without_its_unmet_prerequisites_by_name_is_a_connector_failure(missing):
    error = {"type": "activation_refused", "message": "Refund sync cannot be activated: order sync is not active."}
    if missing is not None:
        error["missing"] = missing
    failure = _failure(httpx.Response(409, json={"error": error}), "enable_refund_sync")
    assert isinstance(failure, RemoteConnectorFailure)
    assert "missing must list every unmet prerequisite, each one of order_sync_active" in str(failure)
    assert {None: "it is missing.", (): "it is [].", ("order sync is not active",): "it names no prerequisite of "
            "the protocol: 'order sync is not active'."}[missing if missing is None else tuple(missing)] in str(failure)


def test_anything_else_is_a_connector_failure_quoting_its_answer(remote):
    with pytest.raises(RemoteConnectorFailure, match=r"run_scheduled failed: the connector answered 500: .*ledger row 7 vanished"):
        remote.run_scheduled()


def test_a_connector_process_is_certified_through_the_protocol(tmp_path):
    report = tmp_path / "certification.json"
    done = subprocess.run(
        [sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report), "--claim", "square:to_netsuite",
         "--connector-cmd", f"{sys.executable} -m harness.connectors.protocol_server",
         "-k", "square and (two_connector or died_holding)"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    data = json.loads(report.read_text())
    outcomes = [s["outcome"] for s in data["scenarios"]] if isinstance(data.get("scenarios"), list) else None
    assert "2 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    assert outcomes is None or set(outcomes) == {"passed"}
    assert data["connector"].startswith("--connector-cmd"), data["connector"]


def test_a_connector_command_that_never_announces_itself_stops_the_run(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(tmp_path / "r.json"),
         "--connector-cmd", f"{sys.executable} -c \"print('starting'); raise SystemExit(3)\""],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 4
    assert "exited with status 3" in done.stderr and "starting" in done.stderr


def test_a_connector_already_running_is_certified_by_its_url(tmp_path):
    from harness.connectors.process import ConnectorProcess

    report = tmp_path / "certification.json"
    with ConnectorProcess(f"{sys.executable} -m harness.connectors.protocol_server", cwd=ROOT) as served:
        done = subprocess.run(
            [sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report), "--claim", "square:to_netsuite",
             "--connector-url", served.url, "-k", "square and two_connector"],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "1 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(report.read_text())
    assert data["connector"] == served.url
    assert "--connector-url " + served.url in done.stdout   # the replay command names it as given


@pytest.mark.parametrize("flags, problem", [
    (["--connector-url", "127.0.0.1:8080"], "expected an http:// or https:// URL"),
    (["--connector-url", "http://127.0.0.1:1", "--connector-cmd", "node x.js"], "give one of --connector, --connector-url"),
])
def test_connector_process_flags_are_checked_before_the_run(tmp_path, flags, problem):
    done = subprocess.run([sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(tmp_path / "r.json"), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 4 and problem in done.stderr, done.stderr


def test_a_connector_in_its_own_process_needs_the_simulators_on_loopback(tmp_path):
    from harness.connectors.remote import remote_factory
    from harness.scenario import ScenarioWorld

    url = "http://127.0.0.1:9"   # never called: the World refuses before building the connector
    with pytest.raises(ValueError, match="--transport loopback"):
        ScenarioWorld(seed=1, workdir=tmp_path, connector_factory=remote_factory(url), connector_name=url)


def test_webhooks_reach_a_connector_process_as_the_storefront_sent_them(tmp_path):
    """Shopify signs each delivery (HMAC of the body): forged ones must be refused and real ones taken,
    delivered to the receiver the connector process registered, with body and headers intact."""
    report = tmp_path / "certification.json"
    done = subprocess.run(
        [sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report), "--claim", "shopify:to_netsuite",
         "--connector-cmd", f"{sys.executable} -m harness.connectors.protocol_server", "-k", "shopify and webhook"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    data = json.loads(report.read_text())
    assert data["scenarios"]["failed"] == 0 and data["scenarios"]["passed"] >= 3, done.stdout[-3000:]
    assert any("forged" in name.lower() for name in _scenario_names(report)), "no forged-webhook scenario ran"


def _scenario_names(report: Path) -> list[str]:
    junit = report.with_suffix(".junit.xml").read_text()
    return [part.split('"', 1)[0] for part in junit.split(' name="')[1:]]


def test_the_openapi_description_refers_only_to_what_it_defines():
    text = protocol.render()
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', text))
    assert refs and refs <= set(protocol.SCHEMAS)
    for path, methods in protocol.openapi()["paths"].items():
        for operation in methods.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), path
