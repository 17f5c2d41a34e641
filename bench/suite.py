"""`make bench-suite`: what `-n 2` buys over a serial run of the whole test suite, measured in one run.

Runs `pytest -n 0` and `pytest -n 2 --dist worksteal` alternately (ROUNDS each, interleaved so machine noise hits
both alike) and prints the median wall time of each and their ratio, then the ratio beside the one recorded
for the nearest ancestor commit (bench/history.py), and records it. Bytecode caching is left on: pytest's
assertion rewriting recompiles every plugin module of every process without it.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import takes_no_options
from bench.history import code_state, report

ROUNDS = 3
ROOT = Path(__file__).resolve().parents[1]


def _wall(workers: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    # worksteal, as `make test` runs it: a few long tests (nested certification runs) would otherwise
    # leave one worker idle while the other finishes a pre-assigned batch
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", workers, "--dist", "worksteal"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pytest -n {workers} failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    takes_no_options("python -m bench.suite", __doc__, argv)
    state = code_state()   # the code measured is the code as the run starts
    _wall("0")  # warm the bytecode caches so neither side pays for compiling
    samples: dict[str, list[float]] = {"0": [], "2": []}
    for _ in range(ROUNDS):
        for workers in samples:
            samples[workers].append(_wall(workers))
    serial, parallel = (statistics.median(samples[w]) for w in ("0", "2"))
    print(f"whole suite, median of {ROUNDS} interleaved runs:")
    print(f"  pytest -n 0: {serial:6.2f} s   (runs: {', '.join(f'{s:.2f}' for s in samples['0'])})")
    print(f"  pytest -n 2: {parallel:6.2f} s   (runs: {', '.join(f'{s:.2f}' for s in samples['2'])})")
    print(f"  speed-up of -n 2 over -n 0: {serial / parallel:.2f}x")
    print(report("bench-suite", {"speed-up of -n 2 over -n 0": serial / parallel}, state=state))


if __name__ == "__main__":
    main()
