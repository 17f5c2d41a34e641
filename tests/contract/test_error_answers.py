"""Every modelled operation's error answers meet the vendor's published schema, not only the answers the
scenarios happen to provoke: for each route a vendored operation covers, the simulator is asked without
credentials, for an id it does not have, with an empty body, and under each status fault the fault plane
injects (the transient catalog's and the platform's own throttle), and each answer is held to the
contract (simulators.contract_check)."""
from __future__ import annotations

import re

import httpx
import pytest

from harness.fault_catalog import TRANSIENT_FAULTS
from harness.scenario import ScenarioWorld
from simulators.contract_check import check_answer
from simulators.contracts import modelled, platforms_with_contracts
from simulators.core.faults import FaultRule

_GROUP = re.compile(r"\(\?P<(\w+)>\[\^/\]\+\)")
UNKNOWN_ID = "no-such-id-0"


def _path(regex: str, values: dict[str, str]) -> str:
    """The path a route regex matches with each named group given its value."""
    return re.sub(r"\\(.)", r"\1", _GROUP.sub(lambda m: values.get(m.group(1), UNKNOWN_ID), regex))


def _status_faults(world: ScenarioWorld) -> list[dict]:
    throttle = dict(world.account.platform.throttle)
    return [dict(f.parameters) for f in TRANSIENT_FAULTS if f.action == "status"] + [{"action": "status", **throttle}]


@pytest.mark.parametrize("platform_name", platforms_with_contracts())
def test_error_answers_meet_the_vendors_schema(platform_name: str, tmp_path) -> None:
    world = ScenarioWorld(seed=11, workdir=tmp_path)
    try:
        account = world.connect(platform_name)
        order = world.place_order(account)
        known = account.driver.order_request(order.placed)
        simulator = next(s for s in world.simulators().values() if s.platform == platform_name)
        # the values the simulator knows (the store, the order): read off the request that reads the order
        values: dict[str, str] = {}
        for route in simulator.routes:
            match = route.pattern.fullmatch(known.url.path)
            if match and route.method == "GET":
                values.update(match.groupdict())
        answers: list[tuple[str, httpx.Request, httpx.Response]] = []

        def ask(why: str, method: str, path: str, headers: dict[str, str], body: bytes | None) -> None:
            request = httpx.Request(method, known.url.copy_with(path=path, query=b""), headers=headers, content=body)
            answers.append((why, request, world.http.send(request)))

        routes = [m for m in modelled(platform_name) if m.operation is not None]
        assert routes, f"{platform_name}'s simulator models no operation of its vendored contract"
        for model in routes:
            body = b"{}" if model.method in ("POST", "PUT", "PATCH") else None
            path = _path(model.regex, values)
            last = _GROUP.findall(model.regex)[-1:]
            ask("as the store", model.method, path, dict(known.headers), body)
            if last:
                ask("for an unknown id", model.method, _path(model.regex, {**values, last[0]: UNKNOWN_ID}),
                    dict(known.headers), body)
            ask("without credentials", model.method, path, {}, body)
            for fault in _status_faults(world):
                rule = world.faults.add(FaultRule(simulator=simulator.platform, operation=(model.handler,), **fault))
                ask(f"under fault {rule.describe()}", model.method, path, dict(known.headers), body)
                world.faults.remove(rule.id)
    finally:
        world.close()

    failures = []
    for why, request, response in answers:
        for violation in check_answer(platform_name, request.method, request.url.path, response.status_code,
                                      response.content, url=str(request.url)):
            failures.append(f"{why}: {violation}")
    assert not failures, "\n".join(failures)
    refused = [(why, r.status_code) for why, _, r in answers if why == "without credentials"]
    assert all(status >= 400 for _, status in refused), f"a request without credentials was answered: {refused}"
    faulted = [r.status_code for why, _, r in answers if why.startswith("under fault")]
    assert faulted and all(status >= 400 for status in faulted), "the status faults did not fire"
