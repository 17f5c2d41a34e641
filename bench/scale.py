"""Cost at scale, as ratios and shares measured within one run (`make bench` prints them; no thresholds).

(a) Soak cost per refund late in a long soak against early in it: one soak of ``SOAK_REFUNDS`` refunds
    (env ``BENCH_SOAK_REFUNDS`` or ``python -m bench.scale --refunds N``; default 20,000; the issue's
    figure is N=50,000) with faults off; CPU seconds per refund of the batches that made the last
    1,000 refunds (made with N-1,000 already stored) against those that made the first 1,000, and the
    same figure for the 1,000 refunds made after each milestone of stored refunds on the way (how the
    cost grows, if it does). Each batch's cost is everything it did: placing, syncing and billing its
    orders, making its refunds and the scheduled run that synced them. CPU time of this process, so
    other load on the machine barely moves it.
(b) HTTP calls per refund for each platform and direction (requests the simulators answered during
    refund sync runs, per refund made), from a small fault-free soak of that one cell.
(c) The share of NetSuite's concurrency limit the engine keeps busy when each NetSuite request takes
    ``LATENCY_S`` (a latency fault on NetSuite during sync runs, spent inside the request's concurrency
    slot), with one connector worker posting up to its ``concurrency_limit`` refunds at once (the
    limit's default, NetSuite's). Mean NetSuite requests in flight over the runs' wall time (retrieval
    included), over the limit, two ways: measured at NetSuite's gate (the seconds requests held a slot,
    summed, / the wall time: what NetSuite counts against its limit, which also includes the simulator's
    own processing, slowed by sharing this process's CPU with the engine), and the simulated latency
    alone (requests x latency / wall time, Little's law: a floor that counts no processing time at all).
    And how many NetSuite answered 429 for its concurrency limit.
(d) Peak resident memory of the process after (a).
(e) Several connector workers on one ledger against one: the same soak (``WORKERS_REFUNDS`` refunds over
    every platform and direction, fault rate ``WORKERS_FAULT_RATE``, one seed) run with 1 worker and with
    ``WORKERS`` workers, in turn, ``WORKERS_ROUNDS`` times; the median wall time of the ``WORKERS``-worker
    soaks over that of the 1-worker soaks (the workers share NetSuite's concurrency limit through the
    ledger, so more workers should not be slower), with NetSuite's own 429s for its limit and the most
    requests it had in flight at once (at its gate) for each. Beside it the same ratio of the process's
    CPU seconds (every thread): the workers run as threads of one process, so on a machine busy with
    other work the process with more threads gets a larger share of the cores and its wall time flatters
    it; the CPU ratio says whether the workers cost more work.
"""
from __future__ import annotations

import argparse
import os
import statistics

from connector.netsuite import DEFAULT_CONCURRENCY_LIMIT
from harness.directions import TO_NETSUITE
from harness.platforms import platforms
from harness.soak import SoakConfig, run_soak
from simulators.netsuite import NetSuiteSimulator

SOAK_REFUNDS = int(os.environ.get("BENCH_SOAK_REFUNDS", "20000"))
WINDOW = 1000
CELL_REFUNDS = 200
LATENCY_S = 0.02
CEILING_REFUNDS = 300


def _cost_per_refund(batches) -> float:
    return sum(b.cpu_s for b in batches) / sum(b.refunds for b in batches)


def _window(batches, first: bool):
    """The batches that made the first (or last) WINDOW refunds."""
    chosen, made = [], 0
    for batch in (batches if first else reversed(batches)):
        if made >= WINDOW:
            break
        chosen.append(batch)
        made += batch.refunds
    return chosen


def _after(batches, stored: int):
    """The batches that made the WINDOW refunds after ``stored`` refunds were made (whole batches)."""
    made = 0
    for index, batch in enumerate(batches):
        if made >= stored:
            return _window(batches[index:], True)
        made += batch.refunds
    return []


def milestones(total: int) -> list[int]:
    """Stored volumes to report the cost at: 1k, 2k, 5k, 10k, 20k, 50k ... below the last window."""
    marks, scale = [], 1000
    while scale < total - WINDOW:
        marks += [m for m in (scale, 2 * scale, 5 * scale) if m < total - WINDOW]
        scale *= 10
    return marks


def _whole(batches):
    """The batches without a short last one: its run's fixed cost (listings of every cell) over a few
    refunds would read as a cost per refund that grew."""
    if len(batches) > 2 and batches[-1].refunds < batches[0].refunds / 2:
        return batches[:-1]
    return batches


def bench_scale(refunds: int = SOAK_REFUNDS) -> dict[str, float]:
    result = run_soak(SoakConfig(refunds=refunds, fault_rate=0, seed=11))
    batches = _whole(result.batches)
    early, late = _cost_per_refund(_window(batches, True)), _cost_per_refund(_window(batches, False))
    print(f"Soak of {result.refunds} refunds over every platform and direction, faults off (one run)")
    print(f"  CPU per refund, last {WINDOW} / first {WINDOW} : {late / early:.2f}x  "
          f"(first {early * 1e3:.1f} ms, last {late * 1e3:.1f} ms per refund, setup and sync included; "
          f"{result.refunds // 1000}k vs 1k)")
    print(f"  ({len(result.batches)} batches of about {result.batches[0].refunds} refunds; a window is whole batches)")
    for stored in milestones(result.refunds):
        if _after(batches, stored):
            print(f"  CPU per refund after {stored:>6} stored / first {WINDOW}: "
                  f"{_cost_per_refund(_after(batches, stored)) / early:.2f}x")
    print(f"  lost / duplicated / mismatched orders   : {result.lost} / {result.duplicated} / {result.mismatched_orders}")
    print(f"  peak resident memory                    : {result.peak_rss_mb:.0f} MB")
    return {f"soak of {result.refunds}: CPU per refund, last {WINDOW} / first {WINDOW}": late / early,
            f"soak of {result.refunds}: lost + duplicated + mismatched orders":
                result.lost + result.duplicated + result.mismatched_orders,
            f"soak of {result.refunds}: peak resident memory (MB)": round(result.peak_rss_mb)}


def bench_calls() -> dict[str, float]:
    print(f"HTTP calls per refund during refund sync runs ({CELL_REFUNDS} refunds per platform and direction, faults off)")
    figures: dict[str, float] = {}
    for entry in platforms():
        for direction in entry.capabilities.directions:
            result = run_soak(SoakConfig(refunds=CELL_REFUNDS, fault_rate=0, seed=12, cells=((entry.name, direction),)))
            print(f"  {entry.display_name:>12} {direction:<14}: {result.calls / result.refunds:.2f}")
            figures[f"HTTP calls per refund, {entry.name} {direction}"] = result.calls / result.refunds
    return figures


def bench_ceiling() -> dict[str, float]:
    limit = NetSuiteSimulator().settings.concurrency_limit
    if DEFAULT_CONCURRENCY_LIMIT != limit:
        raise AssertionError(f"the connector posts {DEFAULT_CONCURRENCY_LIMIT} refunds at once by default, "
                             f"the simulated account allows {limit}: the figure would measure the mismatch")
    entry = next(p for p in platforms() if TO_NETSUITE in p.capabilities.directions)
    result = run_soak(SoakConfig(refunds=CEILING_REFUNDS, fault_rate=0, seed=13, workers=1,
                                 batch=CEILING_REFUNDS, cells=((entry.name, TO_NETSUITE),), netsuite_latency_s=LATENCY_S))
    calls = sum(b.netsuite_calls for b in result.batches)
    wall = sum(b.sync_wall_s for b in result.batches)
    in_flight = sum(b.netsuite_slot_s for b in result.batches) / wall
    latency_only = calls * LATENCY_S / wall
    print(f"NetSuite concurrency under {LATENCY_S * 1e3:.0f} ms per request, 1 connector worker posting up to "
          f"{DEFAULT_CONCURRENCY_LIMIT} refunds at once, {entry.display_name} -> NetSuite, {result.refunds} refunds, "
          f"{calls} NetSuite requests in {wall:.2f} s")
    print(f"  share of the concurrency limit ({limit}) kept busy: {in_flight / limit:.2f}  "
          f"({in_flight:.2f} requests in flight on average, measured at NetSuite's gate)")
    print(f"  ... counting the simulated latency alone      : {latency_only / limit:.2f}  "
          f"({latency_only:.2f}; the rest is the simulator's processing on this process's CPU)")
    print(f"  answered 429 for the concurrency limit    : {sum(b.netsuite_throttled for b in result.batches)}")
    return {"share of NetSuite's concurrency limit kept busy": in_flight / limit,
            "NetSuite 429s for its concurrency limit, 1 worker": sum(b.netsuite_throttled for b in result.batches)}


WORKERS = 4
WORKERS_REFUNDS = 500
WORKERS_FAULT_RATE = 0.3
WORKERS_ROUNDS = 3


def bench_workers() -> dict[str, float]:
    soaks: dict[int, list] = {1: [], WORKERS: []}
    for _ in range(WORKERS_ROUNDS):   # in turn, so a change in the machine's load hits both alike
        for workers in soaks:
            soaks[workers].append(run_soak(SoakConfig(refunds=WORKERS_REFUNDS, fault_rate=WORKERS_FAULT_RATE,
                                                      seed=1, workers=workers)))
    wall = {workers: statistics.median(r.elapsed_s for r in results) for workers, results in soaks.items()}
    cpu = {workers: statistics.median(r.cpu_s for r in results) for workers, results in soaks.items()}
    print(f"{WORKERS} connector workers on one ledger vs 1: soak of {WORKERS_REFUNDS} refunds, fault rate "
          f"{WORKERS_FAULT_RATE}, seed 1 (median of {WORKERS_ROUNDS} soaks each, taken in turn)")
    print(f"  wall time, {WORKERS} workers / 1 worker       : {wall[WORKERS] / wall[1]:.2f}x  "
          f"({wall[WORKERS]:.1f} s vs {wall[1]:.1f} s)")
    print(f"  CPU time, {WORKERS} workers / 1 worker        : {cpu[WORKERS] / cpu[1]:.2f}x  "
          f"({cpu[WORKERS]:.1f} s vs {cpu[1]:.1f} s; the work done, whatever else the machine runs)")
    limit = NetSuiteSimulator().settings.concurrency_limit
    for workers, results in soaks.items():
        print(f"  {workers} worker(s): NetSuite 429s for its limit {[r.netsuite_throttled for r in results]}, "
              f"most in flight at once {max(r.netsuite_peak_in_flight for r in results)} (limit {limit}), "
              f"quiet runs {[r.quiet_runs for r in results]}, lost/duplicated "
              f"{sum(r.lost for r in results)}/{sum(r.duplicated for r in results)}")
    return {f"wall time, {WORKERS} workers / 1 worker": wall[WORKERS] / wall[1],
            f"CPU time, {WORKERS} workers / 1 worker": cpu[WORKERS] / cpu[1],
            f"lost + duplicated, {WORKERS} workers and 1": sum(r.lost + r.duplicated for rs in soaks.values() for r in rs)}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Prints the figures of what ``argv`` selects and returns them (for bench/history.jsonl)."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description="cost at scale (make bench runs all)")
    parser.add_argument("--refunds", type=int, metavar="N",
                        help="only the long soak (a) and its peak memory (d), with N refunds (50000: the issue's figure)")
    parser.add_argument("--workers", action="store_true", help=f"only (e): {WORKERS} connector workers against 1")
    args = parser.parse_args(argv)
    if args.workers:
        return bench_workers()
    figures: dict[str, float] = {}
    if args.refunds is None:
        figures.update(bench_calls())
        figures.update(bench_ceiling())
        figures.update(bench_workers())
    figures.update(bench_scale(args.refunds or SOAK_REFUNDS))   # last: its peak memory is the process's
    return figures


if __name__ == "__main__":
    main()
