"""The served control plane belongs to whoever started serve: its token, a Host check against DNS
rebinding, and no cross-site requests (a page the developer has open cannot reset state or read
credentials). Over real sockets."""
from __future__ import annotations

import pytest

from harness.wiring import Loopback
from simulators.serve.guard import ControlGuard


def control(world, name: str = "shopify") -> str:
    return f"{world.wiring.base_url(world.simulators()[name])}/_sim"


@pytest.mark.parametrize("path", ["", "/credentials", "/journal", "/faults"])
def test_without_the_token_every_control_endpoint_is_401(served_world, plain_http, path):
    answer = plain_http.get(f"{control(served_world)}{path}")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "needs its token and got no token" in answer.json()["error"]


def test_a_wrong_token_is_401_and_changes_nothing(served_world, plain_http):
    answer = plain_http.post(f"{control(served_world)}/faults", json={"action": "status", "status": 500},
                             headers={"Authorization": "Bearer not-the-token"})
    assert answer.status_code == 401 and "got a wrong token" in answer.json()["error"]
    assert served_world.simulators()["shopify"].faults.rules() == []


def test_the_owner_with_the_token_is_answered(served_world, control_http):
    assert control_http.get(f"{control(served_world)}/credentials").status_code == 200


def test_a_foreign_host_name_is_refused_even_with_the_token(served_world, control_http):
    # a DNS-rebinding page reaches 127.0.0.1:<port> under a name of its own
    answer = control_http.get(f"{control(served_world)}/credentials", headers={"Host": "attacker.example:80"})
    assert answer.status_code == 403 and "does not answer for Host 'attacker.example:80'" in answer.json()["error"]


@pytest.mark.parametrize("headers,status,said", [
    ({"Sec-Fetch-Site": "cross-site"}, 403, "refuses cross-site requests"),
    ({"Origin": "https://attacker.example"}, 403, "refuses requests from the page at https://attacker.example"),
    ({"Content-Type": "text/plain"}, 415, "must be Content-Type application/json, not 'text/plain'"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "must be Content-Type application/json"),
])
def test_what_a_web_page_can_send_is_refused(served_world, control_http, headers, status, said):
    answer = control_http.post(f"{control(served_world)}/reset", content=b'{"seed": 5}', headers=headers)
    assert answer.status_code == status and said in answer.json()["error"]
    assert served_world.simulators()["shopify"].seed != 5


def test_the_simulated_api_itself_needs_no_control_token(served_world, plain_http):
    shopify = served_world.simulators()["shopify"]
    answer = plain_http.get(f"{served_world.wiring.base_url(shopify)}/admin/api/2024-10/orders.json",
                            headers={"X-Shopify-Access-Token": shopify.access_token})
    assert answer.status_code == 200


def test_each_serve_run_makes_its_own_token():
    first, second = Loopback(), Loopback()
    try:
        assert first.control_token != second.control_token and len(first.control_token) >= 32
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("token", ["", "two words", "tab\there"])
def test_an_unusable_token_is_refused(token):
    with pytest.raises(ValueError, match="non-empty printable string without spaces"):
        ControlGuard(token)
