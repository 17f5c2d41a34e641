"""A throwaway project (pytester) holding one refund scenario and the project's settings: the contract
tests run it against a simulator broken on purpose to prove the acceptance suite's checks fail it."""
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


def one_scenario_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """``pytester``'s directory with features/one.feature (SCENARIO) and the project's pyproject.toml; the
    caller adds the binding module and conftest it tests."""
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "one.feature").write_text(SCENARIO)
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    return pytester
