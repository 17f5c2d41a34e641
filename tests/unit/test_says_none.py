"""The check that a connector's message gives no Python None where a value belonged (steps/checks.py)."""
import pytest

from steps.checks import says_none


@pytest.mark.parametrize("message", [
    "Shopify throttled the push (requested cost 10, None points available)",   # mid-sentence
    "eBay refused the refund: None (errorId 34917)",                            # no words follow
    "the storefront answered: None",
    "None",
])
def test_a_none_where_a_value_belonged_is_found(message):
    assert says_none(message)


@pytest.mark.parametrize("message", [
    "Walmart refused the refund: None of the lines can be refunded before they ship.",
    "None of the order's payments can take 35.75 USD. Split the refund.",
    "NetSuite rejected the credit memo: the item is inactive.",
    "Nonexistent order 12",
])
def test_words_are_not_a_missing_value(message):
    assert not says_none(message)
