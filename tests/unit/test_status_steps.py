"""The status steps read the scenario's order: "every refund of the order has status Posted" holds for
an order with one refund, and "the refund" is the order's latest refund, not the first account's."""
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FEATURE = '''Feature: Status steps
  Scenario: One refund of the order, posted
    Given a Shopify store connected to NetSuite with the test order billed
    And refund sync is enabled to NetSuite
    And a paid order synced to NetSuite and billed as a cash sale
    When the merchant refunds 1 unit of line 1 in the storefront
    And I retrieve the refunds of the order and post them to NetSuite
    Then every refund of the order has status Posted
    And the refund has status Posted
'''


def test_status_steps_read_the_order(pytester: pytest.Pytester):
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "status.feature").write_text(FEATURE)
    pytester.makepyfile(test_status="from pytest_bdd import scenarios\nscenarios('features')\n")
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    result = pytester.runpytest_inprocess("-p", "no:xdist", "-o", "bdd_features_base_dir=.")
    result.assert_outcomes(passed=1)
