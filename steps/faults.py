"""Given steps that inject faults: a simulator answering errors, losing answers, a skewed clock,
misdelivered webhooks. They speak of "NetSuite" or "the storefront" (the storefront under test);
an operation such as "list refunds" is looked up in that system's own fault targets."""
from __future__ import annotations

from typing import Any

from harness.scenario import ScenarioWorld
from simulators.core.faults import FAIL, PASS, FaultTarget
from steps.vocabulary import given, register_type

NETSUITE = "netsuite"
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
WEBHOOK_FAULTS = {"twice": "webhook_twice", "out of order": "webhook_out_of_order", "never": "webhook_never"}


@register_type("System", r"NetSuite|the storefront", "the storefront", "NetSuite, or the storefront under test")
def _system(text: str) -> str:
    return NETSUITE if text == "NetSuite" else "storefront"


@register_type("Operation", r"[a-z][a-z ]*", "list refunds",
               "an operation among the system's fault targets (`docs/faults.md`)")
def _operation(text: str) -> str:
    return text.strip()


@register_type("Ordinal", "|".join(ORDINALS), "second", "first to fifth")
def _ordinal(text: str) -> int:
    return ORDINALS[text]


@register_type("WebhookFault", "|".join(WEBHOOK_FAULTS), "out of order", "twice, out of order or never")
def _webhook_fault(text: str) -> str:
    return WEBHOOK_FAULTS[text]


# Where a storefront lists refunds: its refund listing, an order's refunds, and where the connector
# looks for a refund it may have made (a payment's refund ids); a platform has those it has.
LISTING_TARGETS = ("refund listing", "list refunds", "refund search")


def scope_of(world: ScenarioWorld, system: str, operation: str, *, missing_ok: bool = False) -> dict[str, Any] | None:
    """``_scope`` of one operation; with ``missing_ok``, None where the system has no such target."""
    targets = world.netsuite.fault_targets if system == NETSUITE else world.account.platform.fault_targets
    if missing_ok and operation not in targets:
        return None
    return _scope(world, system, operation)


def target(world: ScenarioWorld, system: str, operation: str) -> tuple[str, FaultTarget]:
    """The simulator name and fault target of an operation of a system (NetSuite, or the storefront
    under test), refused by name if the system has no such operation."""
    if system == NETSUITE:
        name, targets = NETSUITE, dict(world.netsuite.fault_targets)
    else:
        name, targets = world.account.platform.name, dict(world.account.platform.fault_targets)
    if operation not in targets:
        raise AssertionError(f"{name} has no fault target {operation!r}; it has {', '.join(sorted(targets)) or 'none'}")
    return name, targets[operation]


def _scope(world: ScenarioWorld, system: str, operation: str | None = None) -> dict[str, Any]:
    """The rule scope of a system (NetSuite, or the storefront under test and its store), narrowed to
    an operation named generically."""
    if system == NETSUITE:
        scope: dict[str, Any] = {"simulator": NETSUITE}
    else:
        account = world.account
        scope = {"simulator": account.platform.name, "tenant": account.driver.account_store()}
    if operation is None:
        return scope
    return {**scope, **target(world, system, operation)[1].scope()}


@given("{system:System} answers the next request with {status:d}", "NetSuite answers the next request with 503")
@given("{system:System} answers the next {times:d} requests with {status:d}",
       "NetSuite answers the next 2 requests with 503")
def next_requests_fail(world: ScenarioWorld, system: str, status: int, times: int = 1) -> None:
    """The next request(s) of any kind get this error status, in the system's own error shape."""
    world.faults.add(action="status", status=status, times=times, **_scope(world, system))


@given("{system:System} answers the next request to {operation:Operation} with {status:d}",
       "the storefront answers the next request to list refunds with 503")
@given("{system:System} answers the next request to {operation:Operation} with {status:d} and Retry-After {seconds:d}",
       "the storefront answers the next request to list refunds with 429 and Retry-After 2")
@given("{system:System} answers the next {times:d} requests to {operation:Operation} with {status:d}",
       "NetSuite answers the next 2 requests to read refund with 404")
def next_operation_fails(world: ScenarioWorld, system: str, operation: str, status: int, seconds: int | None = None,
                         times: int = 1) -> None:
    """The next request(s) for one operation get this status (with a Retry-After header if given)."""
    world.faults.add(action="status", status=status, retry_after=seconds, times=times,
                     **_scope(world, system, operation))


@given("NetSuite refuses the next refund it creates because the accounting period is closed",
       "NetSuite refuses the next refund it creates because the accounting period is closed")
def closed_period(world: ScenarioWorld) -> None:
    """A final refusal: NetSuite answers the next refund create with its 400 for a closed accounting
    period, which no retry can change."""
    world.faults.add(action="status", status=400, error="closed_period", times=1,
                     **_scope(world, NETSUITE, "create refund"))


@given("{system:System} throttles the next request to {operation:Operation}",
       "NetSuite throttles the next request to create refund")
def next_operation_throttled(world: ScenarioWorld, system: str, operation: str) -> None:
    """The next request for one operation is throttled the way that system's API says "slow down":
    NetSuite's concurrency-limit 429, a storefront's own (its registry entry's ``throttle``: a 429
    with Retry-After, or a GraphQL THROTTLED error inside an HTTP 200)."""
    throttle = world.netsuite.throttle if system == NETSUITE else world.account.platform.throttle
    world.faults.add(action="status", times=1, **throttle, **_scope(world, system, operation))


@given("NetSuite answers the next request with 401 for exceeding its concurrency limit",
       "NetSuite answers the next request with 401 for exceeding its concurrency limit")
def netsuite_concurrency_401(world: ScenarioWorld) -> None:
    """NetSuite under load: its concurrency-limit error, but with status 401."""
    world.faults.add(action="status", status=401, error="concurrency_limit", times=1, **_scope(world, NETSUITE))


@given("{system:System} loses its answer to the next refund it creates",
       "NetSuite loses its answer to the next refund it creates")
@given("{system:System} loses its answer to the next request to {operation:Operation}",
       "the storefront loses its answer to the next request to create refund")
def answer_lost(world: ScenarioWorld, system: str, operation: str = "create refund") -> None:
    """The write happens, but the caller gets a timeout instead of the answer."""
    world.faults.add(action="lost_answer", times=1, **_scope(world, system, operation))


@given("{system:System} times out on the next request to {operation:Operation}",
       "NetSuite times out on the next request to run query")
def next_request_times_out(world: ScenarioWorld, system: str, operation: str) -> None:
    """The next request for the operation is not processed and never answered."""
    world.faults.add(action="timeout", seconds=0, times=1, **_scope(world, system, operation))


@given("the {page:Ordinal} page of the storefront's refund listing fails with {status:d}",
       "the second page of the storefront's refund listing fails with 503")
def refund_listing_page_fails(world: ScenarioWorld, page: int, status: int) -> None:
    """Requests listing refunds pass until that one, which fails; later ones pass again."""
    world.faults.add(action="status", status=status, sequence=[PASS] * (page - 1) + [FAIL],
                     **_scope(world, "storefront", "refund listing"))


@given("{system:System} takes {milliseconds:d} milliseconds to create a refund",
       "the storefront takes 300 milliseconds to create a refund")
def slow_refund_creation(world: ScenarioWorld, system: str, milliseconds: int) -> None:
    """Every refund create waits this long before the system processes it: a window in which two
    workers can both decide to create the same refund."""
    world.faults.add(action="latency", seconds=milliseconds / 1000, **_scope(world, system, "create refund"))


@given("the storefront's clock runs {minutes:d} minutes behind", "the storefront's clock runs 5 minutes behind")
def storefront_clock_behind(world: ScenarioWorld, minutes: int) -> None:
    """The storefront stamps its records (created/updated times) this far behind the World clock."""
    scope = _scope(world, "storefront")
    world.faults.add(action="clock_skew", seconds=-60 * minutes, simulator=scope["simulator"])


@given("the storefront delivers its refund webhooks {how:WebhookFault}",
       "the storefront delivers its refund webhooks out of order")
def refund_webhooks_misdelivered(world: ScenarioWorld, how: str) -> None:
    """Every refund webhook of the storefront is sent twice, held back and sent last, or never sent."""
    scope = _scope(world, "storefront", "refund webhooks")
    world.faults.add(action=how, **scope)
