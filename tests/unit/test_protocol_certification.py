"""The shipped connector certified as its own process, through the connector protocol
(docs/connector-protocol.md), the way a connector in another language is: `certify --connector-cmd
"python -m harness.connectors.protocol_server"`, the whole matrix (every storefront, both directions,
every scenario). Its verdict must be the one it earns in process, and named mutants (harness/mutants/)
served the same way must be rejected for the same reason. `python -m bench.protocol --certification`
times the same run against the in-process one."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.mutants import MUTANTS
from harness.platforms import platforms

ROOT = Path(__file__).resolve().parents[2]
SERVER = f"{sys.executable} -m harness.connectors.protocol_server"


def _certify(tmp_path: Path, *flags: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / "certification.json"
    done = subprocess.run([sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert report.exists(), f"no report (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done, json.loads(report.read_text())


def test_the_shipped_connector_through_the_protocol_is_certified_on_the_whole_matrix(tmp_path):
    done, data = _certify(tmp_path, "--connector-cmd", SERVER)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert data["verdict"] == "certified"
    assert data["rows"] and all(row["claimed"] and row["verdict"] == "certified" for row in data["rows"]), \
        [(r["storefront"], r["direction"], r["verdict"]) for r in data["rows"] if r["verdict"] != "certified"]
    assert {row["platform"] for row in data["rows"]} == {entry.name for entry in platforms()}
    assert data["scenarios"]["failed"] == 0 and data["scenarios"]["deselected"] == 0, data["scenarios"]
    assert data["run"]["transport"] == "loopback"


# mutant -> (its claim, the scenarios that catch it, what the report must say)
THROUGH_THE_PROTOCOL = {
    "drops_tax": ("shopify:to_netsuite", "shopify and tax", "refund totals differ"),
    "cancel_ignored": ("square", "square and canceled", "is posted, not canceled"),
    "shopify_accepts_unsigned_webhooks": ("shopify:to_netsuite", "shopify and forged",
                                          "the connector answered the webhook with 2"),
}


def test_each_mutant_named_here_exists():
    assert set(THROUGH_THE_PROTOCOL) <= set(MUTANTS)


@pytest.mark.parametrize("name", sorted(THROUGH_THE_PROTOCOL))
def test_a_mutant_served_through_the_protocol_is_rejected_and_the_report_says_why(tmp_path, name):
    claim, keyword, caught_by = THROUGH_THE_PROTOCOL[name]
    done, data = _certify(tmp_path, "--connector-cmd", f"{SERVER} --connector harness.mutants:{name}",
                          "--claim", claim, "-k", keyword)
    assert done.returncode == 1 and data["verdict"] == "failed", done.stdout[-3000:]
    reasons = [reason for row in data["rows"] for reason in row["reasons"]]
    reasons += list(data["scenarios"]["why_failed"].values())
    assert any(caught_by in reason for reason in reasons), reasons
