"""The fault plane over sockets: /_sim/faults round trip and 400s, and real socket behaviour for
dropped and truncated answers."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from common.hostmap import LOOPBACK_TIMEOUT

NS_CUSTOMERS = "/services/rest/record/v1/customer"


def base(world, name: str) -> str:
    return world.wiring.base_url(world.simulators()[name])


def test_rules_round_trip_through_the_control_plane(served_world, plain_http, control_http):
    faults = f"{base(served_world, 'netsuite')}/_sim/faults"
    added = control_http.post(faults, json={"action": "status", "status": 503, "times": 2, "operation": "list_records"})
    assert added.status_code == 200
    rule = added.json()["rule"]
    assert rule == {"action": "status", "simulator": "netsuite", "operation": ["list_records"], "times": 2,
                    "status": 503, "id": rule["id"], "fired": 0, "seen": 0}
    assert plain_http.get(f"{base(served_world, 'netsuite')}{NS_CUSTOMERS}").status_code == 503
    (listed,) = control_http.get(faults).json()["rules"]
    assert listed["fired"] == 1
    assert served_world.faults.get(rule["id"]).fired == 1  # the World's plane: one implementation
    (entry,) = control_http.get(f"{base(served_world, 'netsuite')}/_sim/journal").json()["requests"]
    assert entry["fault"] == f"{rule['id']} status 503"
    assert control_http.delete(f"{faults}/{rule['id']}").json()["removed"][0]["id"] == rule["id"]
    assert control_http.get(faults).json() == {"rules": []}
    assert control_http.delete(f"{faults}/{rule['id']}").status_code == 404
    assert control_http.get(f"{base(served_world, 'shopify')}/_sim/faults").json() == {"rules": []}


@pytest.mark.parametrize("body, message", [
    ({"status": 503}, "action is required"),
    ({"action": "status", "status": "many"}, "rule.status must be a whole number"),
    ({"action": "status", "status": 503, "colour": "red"}, "rule has unknown field(s) colour"),
    ({"action": "status", "status": 503, "simulator": "elsewhere"}, "simulator must be 'netsuite'"),
    ({"action": "status", "status": 503, "id": "f9"}, "rule.id is set by the simulator"),
    ({"action": "reset", "operation": "no_such_handler"}, "operation 'no_such_handler' is not an operation of netsuite"),
    ({"action": "latency"}, "a latency rule needs seconds"),
])
def test_a_bad_rule_gets_a_400_naming_the_field(served_world, body, message, control_http):
    answer = control_http.post(f"{base(served_world, 'netsuite')}/_sim/faults", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_clearing_removes_every_rule_of_the_simulator(served_world, control_http):
    faults = f"{base(served_world, 'square')}/_sim/faults"
    for status in (500, 502):
        control_http.post(faults, json={"action": "status", "status": status})
    assert len(control_http.delete(faults).json()["removed"]) == 2
    assert served_world.faults.rules() == []


@pytest.mark.parametrize("action", ["reset", "lost_answer"])
def test_a_dropped_answer_closes_the_socket_without_a_response(served_world, plain_http, action):
    square = served_world.simulators()["square"]
    fields = {"lost_as": "reset"} if action == "lost_answer" else {}
    served_world.faults.add(action=action, simulator="square", times=1, **fields)
    body = {"idempotency_key": "k1", "payment_id": "nope", "amount_money": {"amount": 1, "currency": "USD"}}
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        plain_http.post(f"{base(served_world, 'square')}/v2/refunds", json=body,
                        headers={"Authorization": f"Bearer {square.access_token}"})
    (entry,) = square.journal.entries()
    assert entry.status == (404 if action == "lost_answer" else 0)  # lost_answer: processed, answer dropped
    answer = plain_http.get(f"{base(served_world, 'square')}/v2/refunds",
                            headers={"Authorization": f"Bearer {square.access_token}"})
    assert answer.status_code == 200, "the server serves the next request as usual"


def test_a_timeout_says_nothing_until_the_client_gives_up(served_world):
    served_world.faults.add(action="timeout", simulator="netsuite", times=1)
    with httpx.Client(timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.get(f"{base(served_world, 'netsuite')}{NS_CUSTOMERS}")
        assert impatient.get(f"{base(served_world, 'netsuite')}{NS_CUSTOMERS}").status_code == 401  # unsigned


def test_a_truncated_answer_closes_mid_body(served_world):
    served_world.faults.add(action="truncated", simulator="netsuite", keep_bytes=10, times=1)
    url = f"{base(served_world, 'netsuite')}{NS_CUSTOMERS}"
    with httpx.Client(timeout=10) as http:
        with http.stream("GET", url) as response:
            promised = int(response.headers["content-length"])
            received = b""
            with pytest.raises(httpx.RemoteProtocolError, match="incomplete|without sending complete"):
                for chunk in response.iter_raw():
                    received += chunk
    assert len(received) == 10 < promised
    with pytest.raises(json.JSONDecodeError):
        json.loads(received)


def test_a_lost_answer_costs_a_client_of_the_world_no_more_than_its_short_loopback_read_limit(served_world):
    """A lost answer is held open until the client gives up; the World's client (the one an in-process
    connector sends with) gives up after LOOPBACK_TIMEOUT's read limit, not httpx's default 5 s, so each
    such fault of a certification over loopback costs a few seconds."""
    served_world.faults.add(action="lost_answer", simulator="netsuite", times=1)
    netsuite = served_world.netsuite.hosts[0]
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        served_world.http.get(f"https://{netsuite}{NS_CUSTOMERS}")
    assert time.monotonic() - started < LOOPBACK_TIMEOUT.read + 1.5
    assert LOOPBACK_TIMEOUT.read <= 3.0
