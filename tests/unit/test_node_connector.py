"""Proof that the connector protocol is language-neutral: the Square -> NetSuite connector written in
JavaScript for Node.js (examples/node-square-connector/server.js, no npm packages) is certified for
exactly its claim through `certify --connector-cmd`, every claimed scenario run."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed (.ci/run installs Debian's nodejs); "
                                         "the Node.js example connector cannot be started")
def test_the_node_square_connector_is_certified_through_the_protocol(tmp_path):
    report = tmp_path / "certification.json"
    done = subprocess.run(
        [sys.executable, "-m", "refund_harness.cli", "certify", "--report", str(report),
         "--connector-cmd", f"{NODE} examples/node-square-connector/server.js"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["verdict"] == "certified"
    assert data["headline"] == "Certified: Square → NetSuite"
    assert data["scenarios"]["failed"] == 0 and data["scenarios"]["passed"] > 0
    claimed = [(row["platform"], row["direction"]) for row in data["rows"] if row["claimed"]]
    assert claimed == [("square", "to_netsuite")]
