"""The one page-token codec the simulators share (simulators/core/cursors.py)."""
import pytest

from simulators.core.cursors import CursorCodec


class Refused(Exception):
    pass


def codec(**options):
    return CursorCodec(lambda token: Refused(token), **options)


def test_a_token_gives_back_the_state_it_was_made_from():
    state = {"o": 50, "q": {"MarketplaceIds": "ATVPDKIKX0DER"}}
    for options in ({}, {"padded": True}):
        assert codec(**options).decode(codec(**options).encode(state)) == state
    assert codec(text=True).decode(codec(text=True).encode("cursor:7")) == "cursor:7"


def test_padding_is_kept_only_when_asked():
    assert codec(padded=True).encode({"o": 1}).endswith("=")
    assert not codec().encode({"o": 1}).endswith("=")


@pytest.mark.parametrize("token", ["not base64!", "é", "bm90IGpzb24", "W1tbW1s", "%%%"])
def test_a_token_that_does_not_decode_is_refused_with_the_platforms_error(token):
    with pytest.raises(Refused) as refused:
        codec().decode(token)
    assert refused.value.args == (token,)


def test_a_state_the_platform_never_handed_out_is_refused():
    token = codec().encode({"o": -1})
    with pytest.raises(Refused):
        codec().decode(token, lambda state: state["o"] >= 0)


def test_a_padded_codec_refuses_a_token_whose_padding_was_stripped():
    token = codec(padded=True).encode({"o": 1})
    with pytest.raises(Refused):
        codec(padded=True).decode(token.rstrip("="))


def test_json_nested_past_the_input_bound_is_refused():
    deep = codec(text=True).encode("[" * 100 + "]" * 100)
    with pytest.raises(Refused):
        codec().decode(deep)
