"""What a webhook answer's body may look like to the person reading the sender's delivery log."""
import pytest

from steps.checks import answer_leaves_value_out


@pytest.mark.parametrize("text", [
    '{"status": null}',
    '{"status": null, "refund_ids": []}',
    '{"status": "", "detail": {"why": null}}',
    'ignored: None',
])
def test_an_answer_that_fills_none_of_its_fields_leaves_a_value_out(text: str) -> None:
    assert answer_leaves_value_out(text)


@pytest.mark.parametrize("text", [
    '',
    'ok',
    '{}',
    '{"status": "recorded", "error": null}',
    '{"status": "recorded", "refund_ids": ["r-1"]}',
    '[null]',
])
def test_an_answer_that_says_something_or_nothing_at_all_is_fine(text: str) -> None:
    assert not answer_leaves_value_out(text)
