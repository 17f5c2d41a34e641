"""The shipped connector certified as its own process, through the connector protocol
(docs/connector-protocol.md), the way a connector in another language is: `certify --connector-cmd
"python -m harness.connectors.protocol_server"`, the whole matrix (every storefront, both directions,
every scenario), a third of the platforms per test. Its verdict must be the one it earns in process, and named mutants (harness/mutants/)
served the same way must be rejected for the same reason. `python -m bench.protocol --certification`
times the same run against the in-process one."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.mutants import MUTANTS
from harness.platforms import platforms, registry
from harness.shards import DURATIONS_FILE, deal, load_durations

ROOT = Path(__file__).resolve().parents[2]
SERVER = f"{sys.executable} -m harness.connectors.protocol_server"


def _certify(tmp_path: Path, *flags: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / "certification.json"
    done = subprocess.run([sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert report.exists(), f"no report (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done, json.loads(report.read_text())


def _platform_of(scenario: str) -> str | None:
    """The storefront a scenario ran for: its name or node id ends with it in brackets ("[name]",
    "[name-direction]")."""
    match = re.search(r"\[([^\]-]+)(?:-[^\]]*)?\]$", scenario)
    return match.group(1) if match else None


def _platform_groups(count: int) -> list[list[str]]:
    """Every registered platform in one of ``count`` groups of about equal recorded seconds."""
    seconds: dict[str, float] = {}
    for nodeid, taken in load_durations(DURATIONS_FILE).items():
        platform = _platform_of(nodeid)
        seconds[platform] = seconds.get(platform, 0.0) + taken
    return [sorted(group) for group in deal(sorted(entry.name for entry in platforms()), seconds, count) if group]


# Three certifications, each claiming every direction of a third of the platforms (--claim), instead of one
# of the whole matrix: xdist spreads them over its workers. Every scenario runs for exactly one storefront,
# each run proves it left out no scenario of its platforms and the groups hold every platform, so together
# they run and pass every scenario of every row, as the whole-matrix run did; each is a real certification,
# "certified" for its claim.
GROUPS = _platform_groups(3)


def test_the_groups_hold_every_platform_once():
    assert sorted(name for group in GROUPS for name in group) == sorted(entry.name for entry in platforms())


@pytest.mark.parametrize("group", GROUPS, ids=",".join)
def test_the_shipped_connector_through_the_protocol_is_certified_on_every_row_of_the_matrix(tmp_path, group):
    done, data = _certify(tmp_path, "--connector-cmd", SERVER, *(flag for name in group for flag in ("--claim", name)))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert data["verdict"] == "certified" and data["narrowed_by"] == []
    assert {row["platform"] for row in data["rows"]} == {entry.name for entry in platforms()}
    rows = [row for row in data["rows"] if row["platform"] in group]
    assert {(row["platform"], row["direction"]) for row in rows} == {
        (name, direction) for name in group for direction in registry()[name].capabilities.directions}
    assert all(row["claimed"] and row["verdict"] == "certified" and row["scenarios_passed"] > 0 for row in rows), \
        [(r["storefront"], r["direction"], r["verdict"]) for r in rows if r["verdict"] != "certified"]
    assert data["scenarios"]["failed"] == 0 and data["scenarios"]["deselected"] == 0, data["scenarios"]
    assert data["scenarios"]["passed"] > 0
    # the claim left out only other platforms' scenarios: every scenario of these ran
    left_out = [name for name in data["scenarios"]["why_not_claimed"] if _platform_of(name) in (None, *group)]
    assert not left_out, left_out
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
