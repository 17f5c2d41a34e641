"""`refund-harness soak`: a small soak through transient faults converges with nothing lost, doubled or
mismatched; its counts come from both sides, so a refund made twice shows; bad flags are refused."""
from __future__ import annotations

import json

import pytest

from connector import Direction, ErrorFacts, ErrorKind
from harness.exit_codes import ExitCode
from refund_harness.cli import main
from harness.directions import TO_NETSUITE
from harness.platforms import platforms
from harness.expected import worth
from harness.soak import Soak, SoakConfig, SoakError, error_reason
from tests.unit.connector_helpers import (add_shopify_account, connector_on_netsuite, json_response, shopify_order,
                                          shopify_refund)

KEYS = {"refunds", "posted", "errors", "lost", "duplicated", "mismatched_orders", "elapsed_s", "refunds_per_s",
        "peak_rss_mb"}


def test_a_small_soak_through_faults_loses_and_doubles_nothing(capsys) -> None:
    assert main(["soak", "--refunds", "40", "--fault-rate", "0.1", "--seed", "3"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out   # one JSON line; the progress bar goes to stderr
    summary = json.loads(out[0])
    assert KEYS <= summary.keys()
    assert (summary["lost"], summary["duplicated"], summary["mismatched_orders"]) == (0, 0, 0), summary
    assert summary["refunds"] == summary["posted"] == 40 and summary["converged"]
    assert sum(summary["errors"].values()) > 0, "a fault rate of 0.1 over a soak must make the connector see errors"


CELLS = sum(len(p.capabilities.directions) for p in platforms())   # platform x direction pairs


def test_the_refunds_are_spread_over_every_platform_and_direction(tmp_path) -> None:
    refunds = CELLS + 3   # some pairs make one more than others
    soak = Soak(SoakConfig(refunds=refunds, fault_rate=0, seed=1), tmp_path)
    try:
        cells = {(cell.platform, cell.direction): cell.quota for cell in soak.cells}
    finally:
        soak.close()
    assert set(cells) == {(p.name, d) for p in platforms() for d in p.capabilities.directions}
    assert sum(cells.values()) == refunds and max(cells.values()) - min(cells.values()) <= 1


def test_a_refund_posted_twice_is_counted_as_duplicated(tmp_path) -> None:
    entry = next(p for p in platforms() if TO_NETSUITE in p.capabilities.directions)
    soak = Soak(SoakConfig(refunds=4, fault_rate=0, seed=2, batch=4, cells=((entry.name, TO_NETSUITE),)), tmp_path)
    try:
        assert soak.run().duplicated == 0
        order = soak.cells[0].orders[-1]
        soak.world.refund_in_netsuite(order, amount=worth(order.spec, units={1: 1}, shipping=False))
        counted = soak._count(1.0)
    finally:
        soak.close()
    assert (counted.duplicated, counted.mismatched_orders) == (1, 1)


def test_the_same_seed_makes_the_same_soak(tmp_path) -> None:
    def counts(name: str) -> tuple:
        soak = Soak(SoakConfig(refunds=CELLS + 4, fault_rate=0.2, seed=5, serial=True), tmp_path / name)
        try:
            result = soak.run()
        finally:
            soak.close()
        return result.errors, result.posted, result.calls, [b.calls for b in result.batches]

    assert counts("a") == counts("b")


@pytest.mark.parametrize("argv, problem", [
    (["--refunds", "10", "--fault-rate", "1", "--seed", "1"], "not a rate"),
    (["--refunds", "10", "--fault-rate", "-0.1", "--seed", "1"], "not a rate"),
    (["--refunds", "ten", "--fault-rate", "0.1", "--seed", "1"], "not a whole number"),
    (["--refunds", "0", "--fault-rate", "0.1", "--seed", "1"], "must be 1 or more"),
    (["--refunds", "1", "--fault-rate", "0.1", "--seed", "1"], "fewer than the"),
    (["--refunds", "10", "--fault-rate", "0.1", "--seed", "1", "--workers", "0"], "--workers must be"),
    (["--refunds", "10", "--fault-rate", "0.1"], "--seed"),
])
def test_bad_flags_get_a_message_and_the_usage_exit_code(argv, problem, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        code = main(["soak", *argv])
        raise SystemExit(code)
    assert exited.value.code == ExitCode.USAGE
    captured = capsys.readouterr()
    assert problem in captured.err and captured.out == ""


def test_config_refuses_what_cli_flags_cannot_say() -> None:
    with pytest.raises(SoakError, match="batch"):
        SoakConfig(refunds=1, fault_rate=0, seed=0, batch=0)


@pytest.mark.parametrize("facts, reason", [
    (ErrorFacts(ErrorKind.TIMEOUT, True, "NetSuite"), "timeout"),
    (ErrorFacts(ErrorKind.RESET, True, "Square"), "connection reset"),
    (ErrorFacts(ErrorKind.TRUNCATED, True, "Square"), "truncated answer"),
    (ErrorFacts(ErrorKind.STATUS, True, "NetSuite", 429), "HTTP 429"),
    (ErrorFacts(ErrorKind.STATUS, True, "Square", 503), "HTTP 503"),
    (ErrorFacts(ErrorKind.BUSY, True, "NetSuite"), "other: busy (NetSuite)"),
    (ErrorFacts(ErrorKind.CONNECTOR, True), "other: connector"),
    (None, "other: no facts recorded"),
])
def test_errors_are_counted_by_reason(facts, reason) -> None:
    assert error_reason(facts) == reason


def test_an_error_is_counted_by_its_facts_whatever_its_words_say(tmp_path) -> None:
    """A storefront's 503 whose words mention a timeout, a 429, a reset and a cut-short answer is a 503:
    the soak reads the failure's facts, not its sentence (which keeps the storefront's words)."""
    words = "timeout after 429s: the proxy closed the connection, RemoteProtocolError, body cut short"
    order = shopify_order(1001) | {"refunds": [shopify_refund(901, 1001)], "updated_at": "2026-01-05T09:30:00Z"}
    with connector_on_netsuite(tmp_path, [("GET", r"/orders/1001\.json$", {"order": order})]) as (connector, netsuite,
                                                                                                 routes):
        account = add_shopify_account(connector, netsuite.settings)
        connector.activate_order_sync(account.id)
        connector.sync_order(account.id, "1001")
        connector.ledger.update_account(account.id, direction=Direction.TO_NETSUITE,
                                        next_refund_run_at=connector.clock.now())
        routes.add("POST", r"/graphql\.json$", json_response(503, {"errors": words}))
        [failure] = connector.run_scheduled().failures
    assert words in failure.message
    assert error_reason(failure.facts) == "HTTP 503"


def test_a_soak_counts_requests_without_keeping_them(tmp_path) -> None:
    """Memory must not grow with a sync run's size: the journals keep no entries."""
    entry = next(p for p in platforms() if TO_NETSUITE in p.capabilities.directions)
    soak = Soak(SoakConfig(refunds=6, fault_rate=0.2, seed=4, batch=3, cells=((entry.name, TO_NETSUITE),)), tmp_path)
    try:
        result = soak.run()
        kept = {name: len(s.journal.entries()) for name, s in soak.world.simulators().items()}
    finally:
        soak.close()
    assert result.calls > 0 and sum(b.netsuite_calls for b in result.batches) > 0
    assert set(kept.values()) == {0}, kept
