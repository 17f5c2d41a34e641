"""The seam, proven: certification rejects broken connectors and says why.

Each mutant (harness/mutants/) is the reference engine with one realistic bug. The certification
suite runs against it through `--connector`, as a team's own connector would be certified, and stops at
its first failing scenario (`-x`, as `make mutants` does); the verdict must be "failed", with the failing
check named in the report. `make mutants` runs every mutant; this test keeps one of each main layer in
`make test`.
"""
import json
import shutil
from pathlib import Path

import pytest

from harness.mutants import MUTANTS

ROOT = Path(__file__).resolve().parents[2]

# What the report must say for each bug: the check that caught it.
CAUGHT_BY = {
    "drops_tax": "refund totals differ",
    "echo_protection_off": "NetSuite has 2 refunds for the order",
    "cancel_ignored": "every refund of the order has status Canceled",
}


@pytest.fixture
def certification(pytester: pytest.Pytester):
    shutil.copytree(ROOT / "features", pytester.path / "features")
    pytester.makepyfile(test_certification_suite="from pytest_bdd import scenarios\nscenarios('features')\n")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")

    def certify(connector: str) -> dict:
        report = pytester.path / "certification.json"
        # two storefronts, one refunding by line and one by amount, keep make test quick; `make mutants`
        # certifies every mutant against every storefront. -x: one failed scenario already makes the verdict
        # "failed", and the reason asserted is that first failure's, so the scenarios after it prove nothing more
        pytester.runpytest_inprocess("-p", "no:xdist", "-q", "--tb=no", "-x", f"--certification-report={report}",
                                     f"--connector={connector}", "-o", "bdd_features_base_dir=.",
                                     "-k", "shopify or square")
        return json.loads(report.read_text())

    return certify


def test_each_checked_mutant_exists():
    assert set(CAUGHT_BY) <= set(MUTANTS)


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_certification_rejects_the_broken_connector_and_names_why(certification, name):
    data = certification(f"harness.mutants:{name}")
    assert data["verdict"] == "failed" and data["connector"] == f"harness.mutants:{name}"
    assert data["scenarios"]["failed"] == 1   # -x: the run stopped at the scenario that caught the bug
    reasons = [reason for row in data["rows"] for reason in row["reasons"]]
    reasons += list(data["scenarios"]["why_failed"].values())
    assert any(CAUGHT_BY[name] in reason for reason in reasons), reasons
