"""The acceptance suite really holds each scenario's simulator answers to the vendors' schemas: a scenario run
against a simulator that answers off-contract fails, naming the operation and the schema location, and the
same run under certification (which judges the connector, not the simulators) does not."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = """@to_netsuite
Feature: one refund to NetSuite

  Background:
    Given the refund item and the shipping item are set up in NetSuite

  @storefront
  Scenario: A refund on an order billed as a cash sale becomes a Cash Refund
    Given a storefront connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront, as an amount where it cannot refund by line
    And I retrieve the refunds of the order and post them to NetSuite
    Then the refund has status Posted
"""
# A simulator defect, made on purpose in the run below: Square's refund ids are strings, this one a number.
OFF_CONTRACT = """
import pytest
from simulators.square import responses


@pytest.fixture(autouse=True)
def numeric_refund_ids(monkeypatch):
    real = responses.refund_json
    monkeypatch.setattr(responses, "refund_json", lambda refund: {**real(refund), "id": 12345})
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "one.feature").write_text(SCENARIO)
    pytester.makepyfile(test_one="from pytest_bdd import scenarios\nscenarios('.')\n")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    # the acceptance suite's own conftest, as it is, then the deliberately broken simulator
    pytester.makeconftest((ROOT / "tests" / "acceptance" / "conftest.py").read_text() + OFF_CONTRACT)
    return pytester


def test_an_off_contract_answer_fails_the_scenario_naming_operation_and_schema(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("-p", "no:xdist", "-q", "-k", "square")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*square GetPaymentRefund (GET /v2/refunds/{refund_id}) answered 200 at "
                                 "$.refund.id: 12345 is not of type 'string' "
                                 "[[]schema square/api.json#/components/schemas/PaymentRefund/properties/id/type]*"])


def test_a_certification_does_not_judge_the_simulators(project: pytest.Pytester, tmp_path: Path) -> None:
    result = project.runpytest_inprocess("-p", "no:xdist", "-q", "-k", "square",
                                         f"--certification-report={tmp_path / 'report.json'}")
    result.assert_outcomes(passed=1)
