"""The acceptance suite really holds each scenario's simulator answers to the vendors' schemas: a scenario run
against a simulator that answers off-contract fails, naming the operation and the schema location, and the
same run under certification (which judges the connector, not the simulators) does not."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.one_scenario import ROOT, one_scenario_project

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
    one_scenario_project(pytester)
    pytester.makepyfile(test_one="from pytest_bdd import scenarios\nscenarios('.')\n")
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
