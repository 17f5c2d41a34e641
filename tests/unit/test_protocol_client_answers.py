"""The harness's client of the connector protocol (harness/connectors/remote.py) against a connector
that answers outside the protocol: malformed JSON, wrong-typed fields, no answer in time, refusals of
unknown types. Every such answer is a RemoteConnectorFailure (or the seam's own refusal) that names
the call and what was wrong, never a stray TypeError or a value silently coerced into something the
connector did not say. respx stands in for the connector's HTTP server, answer by answer."""
import json
from decimal import Decimal

import httpx
import pytest
import respx

from common.clock import ManualClock
from harness import seam
from harness.connectors.protocol import NOW_HEADER
from harness.connectors.remote import RemoteConnector, RemoteConnectorFailure

URL = "http://connector.test"
SCENARIO = f"{URL}/v1/scenarios/s1"
REFUND = {"id": "7", "account_id": "3", "order_id": "A1", "source_id": "R1", "direction": "to_netsuite",
          "status": "posted", "error": None, "target_id": "CR-1", "currency": "USD", "total": "10.50"}


@pytest.fixture
def connector(tmp_path):
    """A RemoteConnector started against a respx-mocked connector; the test routes the calls it makes."""
    context = seam.ConnectorContext(
        http=None, clock=ManualClock(), workdir=tmp_path, seed=1,   # type: ignore[arg-type]
        netsuite=seam.NetSuiteAccess("1_SB1", "https://1-sb1.suitetalk.api.netsuite.com", "ck", "cs", "ti", "ts"),
        webhook_base_url="https://hooks.example.test", hosts={"a.example.test": "http://127.0.0.1:1"})
    with respx.mock(base_url=URL, assert_all_called=False) as mock:
        mock.post("/v1/scenarios").respond(200, json={"id": "s1"})
        mock.delete("/v1/scenarios/s1").respond(204)
        yield RemoteConnector(URL, context), mock, context


def test_a_well_formed_refund_reaches_the_seam_as_a_refund_view_with_money_as_decimal(connector):
    remote, mock, context = connector
    route = mock.get(f"{SCENARIO}/accounts/3/refunds").respond(200, json={"refunds": [REFUND]})
    [view] = remote.refunds("3")
    assert view == seam.RefundView(id="7", account_id="3", order_id="A1", source_id="R1", direction="to_netsuite",
                                   status="posted", error=None, target_id="CR-1", currency="USD",
                                   total=Decimal("10.50"))
    assert route.calls.last.request.headers[NOW_HEADER]   # every call carries the harness's clock


@pytest.mark.parametrize("answer, named", [
    (httpx.Response(200, content=b"{not json"), "is not JSON"),
    (httpx.Response(200, json=["a", "list"]), "is not a JSON object"),
    (httpx.Response(200, json={"other": []}), "lacks refunds"),
    (httpx.Response(200, json={"refunds": None}), "refunds must be a list"),
    (httpx.Response(200, json={"refunds": "7"}), "refunds must be a list"),
    (httpx.Response(200, json={"refunds": [{**REFUND, "total": "ten"}]}), "not a protocol Refund"),
    (httpx.Response(200, json={"refunds": [{**REFUND, "total": True}]}), "not a protocol Refund"),
    (httpx.Response(200, json={"refunds": [{**REFUND, "id": None}]}), "not a protocol Refund"),
    (httpx.Response(200, json={"refunds": [{**REFUND, "status": 3}]}), "not a protocol Refund"),
    (httpx.Response(204), "no body"),
    (httpx.Response(500, text="Traceback: boom"), "answered 500: 'Traceback: boom'"),
    (httpx.Response(409, json={"error": {"type": "teapot", "message": "no"}}), "unknown error type 'teapot'"),
])
def test_an_answer_outside_the_protocol_is_a_failure_that_names_the_call_and_the_fault(connector, answer, named):
    remote, mock, _ = connector
    mock.get(f"{SCENARIO}/accounts/3/refunds").mock(return_value=answer)
    with pytest.raises(RemoteConnectorFailure, match="refunds") as failure:
        remote.refunds("3")
    assert named in str(failure.value)


@pytest.mark.parametrize("field, answer", [
    ("account_id", {"account_id": None}), ("account_id", {"account_id": 12}),
    ("sales_order_id", {"sales_order_id": {"id": 1}}),
])
def test_an_id_of_the_wrong_type_is_refused_not_turned_into_a_string(connector, field, answer):
    remote, mock, _ = connector
    mock.post(f"{SCENARIO}/accounts").respond(200, json=answer)
    mock.post(f"{SCENARIO}/accounts/3/orders/A1/sync").respond(200, json=answer)
    with pytest.raises(RemoteConnectorFailure, match=f"{field} must be a string"):
        if field == "account_id":
            remote.add_account(name="n", platform="square", store="s", credentials={}, setup=seam.AccountSetup())
        else:
            remote.sync_order("3", "A1")


@pytest.mark.parametrize("answer", [{"direction": 5}, {"direction": None}, {"direction": "sideways"}])
def test_a_direction_outside_the_protocol_is_refused(connector, answer):
    remote, mock, _ = connector
    mock.get(f"{SCENARIO}/accounts/3/direction").respond(200, json=answer)
    with pytest.raises(RemoteConnectorFailure, match="direction"):
        remote.direction("3")


@pytest.mark.parametrize("answer", [{"directions": ["square"]}, {"directions": {"square": "to_netsuite"}},
                                    {"directions": {"square": ["sideways"]}}])
def test_a_claim_outside_the_protocol_is_refused_by_name(connector, answer):
    remote, mock, _ = connector
    mock.get(f"{SCENARIO}/claim").respond(200, json=answer)
    with pytest.raises(RemoteConnectorFailure, match="certification_claim"):
        remote.certification_claim()


def test_a_connector_too_slow_to_answer_is_a_failure_naming_the_call(connector):
    remote, mock, _ = connector
    mock.post(f"{SCENARIO}/scheduled-runs").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(RemoteConnectorFailure, match="did not answer run_scheduled: ReadTimeout"):
        remote.run_scheduled()


def test_a_typed_refusal_becomes_the_seam_s_own_exception_with_what_is_missing(connector):
    remote, mock, _ = connector
    mock.post(f"{SCENARIO}/accounts/3/refund-sync").respond(409, json={"error": {
        "type": "activation_refused", "message": "not yet", "missing": ["order_sync_active", "test_order_billed"]}})
    with pytest.raises(seam.ActivationRefused, match=r"^not yet$") as refused:
        remote.enable_refund_sync("3", "to_netsuite")
    assert refused.value.missing == (seam.ORDER_SYNC_ACTIVE, seam.TEST_ORDER_BILLED)


def test_an_activation_refusal_naming_an_unknown_prerequisite_is_a_failure_naming_it(connector):
    remote, mock, _ = connector
    mock.post(f"{SCENARIO}/accounts/3/refund-sync").respond(409, json={"error": {
        "type": "activation_refused", "message": "not yet", "missing": ["order sync"]}})
    with pytest.raises(RemoteConnectorFailure, match=r"each one of order_sync_active.*; it names no prerequisite of the protocol: 'order sync'\."):
        remote.enable_refund_sync("3", "to_netsuite")


def test_a_storefront_started_since_the_last_call_is_announced_before_the_next(connector):
    remote, mock, context = connector
    hosts = mock.put(f"{SCENARIO}/hosts").respond(204)
    mock.post(f"{SCENARIO}/scheduled-runs").respond(204)
    remote.run_scheduled()
    assert not hosts.called
    context.hosts["b.example.test"] = "http://127.0.0.1:2"   # the World serves a new storefront
    remote.run_scheduled()
    assert hosts.call_count == 1
    assert json.loads(hosts.calls.last.request.content) == dict(context.hosts)


def test_a_run_report_reaches_the_seam_and_a_run_without_one_is_none(connector):
    remote, mock, _ = connector
    route = mock.post(f"{SCENARIO}/scheduled-runs")
    route.respond(200, json={"posted": 2, "errors": 1, "pending": 0, "skipped": 0, "messages": ["Refund 7: no"]})
    assert remote.run_scheduled() == seam.RunReport(posted=2, errors=1, pending=0, skipped=0, messages=("Refund 7: no",))
    route.respond(204)
    assert remote.run_scheduled() is None


@pytest.mark.parametrize("report, named", [
    ({"posted": -1, "errors": 0, "pending": 0, "skipped": 0}, "posted must be a whole number"),
    ({"posted": 1, "errors": "0", "pending": 0, "skipped": 0}, "errors must be a whole number"),
    ({"posted": 1, "errors": 0, "pending": 0.5, "skipped": 0}, "pending must be a whole number"),
    ({"posted": 1, "errors": 0, "pending": 0}, "skipped must be a whole number"),
    ({"posted": 1, "errors": 0, "pending": 0, "skipped": 0, "messages": "one"}, "messages must be a list"),
])
def test_a_run_report_outside_the_protocol_is_refused_by_name(connector, report, named):
    remote, mock, _ = connector
    mock.post(f"{SCENARIO}/scheduled-runs").respond(200, json=report)
    with pytest.raises(RemoteConnectorFailure, match=f"run_scheduled: the run report's {named}"):
        remote.run_scheduled()
