"""The request journal that failure reports quote never carries a credential in a query string."""
from harness.journal import redact_query


def test_credential_like_query_values_are_redacted_and_the_rest_kept() -> None:
    query = ("oauth_consumer_key=ck_1&oauth_signature=abc%3D&consumer_secret=cs_2&limit=5"
             "&page_info=eyJ9&access_token=t&api_key=k&flag")
    assert redact_query(query) == ("oauth_consumer_key=***&oauth_signature=***&consumer_secret=***&limit=5"
                                   "&page_info=eyJ9&access_token=***&api_key=***&flag")
