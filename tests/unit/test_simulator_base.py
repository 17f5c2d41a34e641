"""The plumbing every simulator shares (simulators/core/base.py): a platform declares its error type,
an authentication hook and an error renderer, and marks open routes on the route."""
import httpx

from simulators.core.base import Call, Simulator, SimulatorError, json_response, route


class ToyError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class ToySimulator(Simulator):
    platform = "toy"
    error_type = ToyError
    tenant_keyword = "account"
    fault_errors = {"slow_down": lambda status: ToyError(status, "slow down")}

    def _reset_state(self, seed: int) -> None:
        self.seen: list[str] = []

    def authenticate(self, call: Call) -> str:
        account = call.groups.pop("account_id")
        if call.request.headers.get("token") != f"key-{account}":
            raise ToyError(401, "who are you?")
        call.headers["x-budget"] = "9"
        return account

    def render_error(self, err: ToyError, request: httpx.Request) -> SimulatorError:
        return SimulatorError(err.status, {"problem": err.reason})

    def answered(self, call, answer):
        self.seen.append(f"{call.operation}:{getattr(answer, 'status_code', None) or answer.status}")
        return answer

    def no_route(self, request: httpx.Request) -> ToyError:
        return ToyError(404, f"nothing at {request.url.path}")

    def bad_request(self, message: str) -> ToyError:
        return ToyError(400, message)

    @route("GET", r"/accounts/(?P<account_id>\w+)/things/(?P<thing>\w+)")
    def get_thing(self, request: httpx.Request, account: str, thing: str) -> httpx.Response:
        if thing == "missing":
            raise ToyError(404, f"no thing {thing}")
        if thing == "broken":
            int(thing)   # a ValueError: bad input reaching code that expected good input
        return json_response(200, {"account": account, "thing": thing})

    @route("POST", r"/token", open=True)
    def issue_token(self, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"token": "key-a"})


def call(sim: Simulator, method: str, path: str, **headers: str) -> httpx.Response:
    return sim.handle(httpx.Request(method, f"https://toy.test{path}", headers=headers))


def test_the_handler_gets_the_tenant_authenticate_found_and_its_answer_the_stamped_headers():
    sim = ToySimulator(hosts=["toy.test"])
    answer = call(sim, "GET", "/accounts/a/things/hat", token="key-a")
    assert answer.status_code == 200 and answer.json() == {"account": "a", "thing": "hat"}
    assert answer.headers["x-budget"] == "9"
    assert sim.seen == ["get_thing:200"]


def test_a_refusal_by_authenticate_is_the_platforms_error_and_no_handler_runs():
    sim = ToySimulator(hosts=["toy.test"])
    answer = call(sim, "GET", "/accounts/a/things/hat", token="key-b")
    assert (answer.status_code, answer.json()) == (401, {"problem": "who are you?"})
    assert sim.seen == []   # not admitted: answered never saw it


def test_an_open_route_skips_authenticate():
    sim = ToySimulator(hosts=["toy.test"])
    assert call(sim, "POST", "/token").json() == {"token": "key-a"}


def test_the_platforms_error_is_rendered_wherever_it_surfaces():
    sim = ToySimulator(hosts=["toy.test"])
    refused = call(sim, "GET", "/accounts/a/things/missing", token="key-a")
    assert (refused.status_code, refused.json()) == (404, {"problem": "no thing missing"})
    assert "x-budget" not in refused.headers   # stamped on successful answers only
    assert sim.seen == ["get_thing:404"]
    assert call(sim, "GET", "/elsewhere").json() == {"problem": "nothing at /elsewhere"}
    bad = call(sim, "GET", "/accounts/a/things/broken", token="key-a")
    assert (bad.status_code, bad.json()) == (400, {"problem": "the request has a malformed value (ValueError)"})
    sim.faults.add(simulator="toy", action="status", status=429, error="slow_down", retry_after=2)
    throttled = call(sim, "GET", "/accounts/a/things/hat", token="key-a")
    assert (throttled.status_code, throttled.json(), throttled.headers["Retry-After"]) == (
        429, {"problem": "slow down"}, "2")
