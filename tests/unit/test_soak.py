"""`refund-harness soak`: a small soak through transient faults converges with nothing lost, doubled or
mismatched; its counts come from both sides, so a refund made twice shows; bad flags are refused."""
from __future__ import annotations

import json

import pytest

from harness.exit_codes import ExitCode
from refund_harness.cli import main
from harness.directions import TO_NETSUITE
from harness.platforms import platforms
from harness.expected import worth
from harness.soak import Soak, SoakConfig, SoakError, error_reason

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


@pytest.mark.parametrize("message, reason", [
    ("Could not reach NetSuite while trying to read x (InjectedTimeout: fault f4: ...; no answer came (read timeout))",
     "timeout"),
    ("Could not reach Square while trying to x (InjectedReset: the server closed the connection without answering)",
     "connection reset"),
    ("NetSuite's concurrency limit was reached while trying to run a SuiteQL query", "HTTP 429"),
    ("Square rejected the request to list refunds: Service Unavailable (SERVICE_UNAVAILABLE)", "HTTP 503"),
    ("NetSuite rejected the request to x: Internal Server Error (UNEXPECTED_ERROR)", "HTTP 500"),
])
def test_errors_are_counted_by_reason(message, reason) -> None:
    assert error_reason(message) == reason


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
