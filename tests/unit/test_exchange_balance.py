"""The exchange scenarios expect the balance the storefront gives back: the driver prices the new item
from what the storefront values the returned units at, not from the harness's even share of the line.

With base seed 20260105 the Shopify order's line 1 splits its cents unevenly between units (Shopify
splits a line per unit, largest remainder first): the exchange then gave back 5.02 where the scenario
expected 5.00, in process and through the connector protocol alike."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_exchange_gives_back_exactly_the_balance_where_the_storefront_splits_a_line_unevenly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/acceptance", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "-k", "exchange and shopify", "--harness-seed", "20260105",
                           "--basetemp", str(tmp_path / "run")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout[-4000:] + done.stderr[-2000:]
