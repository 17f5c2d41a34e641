"""The seam, proven: certification rejects every deliberately broken connector and says why.

Each broken connector (harness/connectors/broken.py) is the reference engine with one realistic bug.
The whole certification suite runs against it through `--connector`, as a team's own connector
would be certified; the verdict must be "failed", with the failing check named in the report.
"""
import json
import shutil
from pathlib import Path

import pytest

from harness.connectors.broken import BROKEN

ROOT = Path(__file__).resolve().parents[2]

# What the report must say for each bug: the check that caught it.
CAUGHT_BY = {
    "drops_tax": "refund totals differ",
    "loses_cents": "refund totals differ",
    "posts_twice": "NetSuite has 2 refunds for the order",
    "allows_both_directions": "refund sync was activated; a refusal was expected",
    "skips_activation_gate": "refund sync was activated; a refusal was expected",
}


@pytest.fixture
def certification(pytester: pytest.Pytester):
    shutil.copytree(ROOT / "features", pytester.path / "features")
    pytester.makepyfile(test_certification_suite="from pytest_bdd import scenarios\nscenarios('features')\n")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")

    def certify(connector: str) -> dict:
        report = pytester.path / "certification.json"
        pytester.runpytest_inprocess("-p", "no:xdist", "-q", "--tb=no", f"--certification-report={report}",
                                     f"--connector={connector}", "-o", "bdd_features_base_dir=.")
        return json.loads(report.read_text())

    return certify


def test_every_broken_connector_has_a_check_that_must_catch_it():
    assert set(CAUGHT_BY) == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_certification_rejects_the_broken_connector_and_names_why(certification, name):
    data = certification(f"harness.connectors.broken:{name}")
    assert data["verdict"] == "failed" and data["connector"] == f"harness.connectors.broken:{name}"
    reasons = [reason for row in data["rows"] for reason in row["reasons"]]
    reasons += list(data["scenarios"]["why_failed"].values())
    assert any(CAUGHT_BY[name] in reason for reason in reasons), reasons
