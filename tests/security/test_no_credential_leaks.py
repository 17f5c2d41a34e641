"""No credential the harness used appears in anything a certification run writes or prints: the
JSON, HTML, JUnit and Cucumber reports, and the terminal output, for a run with failures (whose
reports carry the request journal and the failing checks). The run is the whole suite, certified as three
shards (`--shard I/N`, one test each) so that xdist spreads it over its workers: every scenario runs in
exactly one shard (tests/unit/test_certify_shards.py), each shard has failures and writes every report of
its own, so together they check every scenario's output, as one unsharded run did."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


SHARDS = 3


@pytest.mark.parametrize("shard", range(1, SHARDS + 1))
def test_a_failed_certification_prints_and_writes_no_credential(pytester: pytest.Pytester, monkeypatch,
                                                                 shard: int) -> None:
    secrets_file = pytester.path / "secrets.txt"
    monkeypatch.setenv("REFUND_HARNESS_SECRETS_FILE", str(secrets_file))
    shutil.copytree(ROOT / "features", pytester.path / "features")
    pytester.makepyfile(test_certification_suite="from pytest_bdd import scenarios\nscenarios('features')\n")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    out = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "-p", "no:xdist", "-q", "-rA", "--tb=long", "-o", "bdd_features_base_dir=.",
        f"--certification-report={out / 'certification.json'}",
        f"--certification-cucumber-json={out / 'cucumber.json'}", f"--junitxml={out / 'junit.xml'}",
        "--connector=tests.security.recording_connector:recording", f"--harness-shard={shard}/{SHARDS}")
    secrets = {line for line in secrets_file.read_text().splitlines() if len(line) >= 8}
    assert len(secrets) >= 4, "the connector was handed no credentials to look for"
    written = {path.name: path.read_text(errors="replace") for path in out.iterdir()}
    assert {"certification.json", "certification.html", "cucumber.json", "junit.xml"} <= set(written)
    assert '"verdict": "failed"' in written["certification.json"], "the run was meant to have failures"
    report = json.loads(written["certification.json"])
    assert (report["shard"]["index"], report["shard"]["count"]) == (shard, SHARDS) and report["shard"]["scenarios"]
    written["terminal"] = "\n".join(result.outlines + result.errlines)
    leaks = sorted((name, secret[:4] + "…") for name, text in written.items() for secret in secrets if secret in text)
    assert not leaks, f"credentials found in the run's output: {leaks}"
