"""No credential the harness used appears in anything a certification run writes or prints: the
JSON, HTML, JUnit and Cucumber reports, and the terminal output, for a run with failures (whose
reports carry the request journal and the failing checks)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_a_failed_certification_prints_and_writes_no_credential(pytester: pytest.Pytester, monkeypatch) -> None:
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
        "--connector=tests.security.recording_connector:recording")
    secrets = {line for line in secrets_file.read_text().splitlines() if len(line) >= 8}
    assert len(secrets) >= 4, "the connector was handed no credentials to look for"
    written = {path.name: path.read_text(errors="replace") for path in out.iterdir()}
    assert {"certification.json", "certification.html", "cucumber.json", "junit.xml"} <= set(written)
    assert '"verdict": "failed"' in written["certification.json"], "the run was meant to have failures"
    written["terminal"] = "\n".join(result.outlines + result.errlines)
    leaks = sorted((name, secret[:4] + "…") for name, text in written.items() for secret in secrets if secret in text)
    assert not leaks, f"credentials found in the run's output: {leaks}"
