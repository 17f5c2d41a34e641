"""The one codec for the opaque page tokens simulators hand out (a REST ``cursor``, ``NextToken`` or
``page_info``, a GraphQL connection's cursors): URL-safe base64 of a small JSON value, or of a plain
text. A token that does not decode, or decodes to a state the platform never handed out, is refused
with the platform's own error; what a state holds (an offset, the query it continues) is the
platform's rule.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Callable

from common import jsonio
from simulators.core import safe


@dataclass(frozen=True)
class CursorCodec:
    # the platform's error for a token it did not hand out, given the token as the client sent it
    refuse: Callable[[str], Exception]
    padded: bool = False   # keep base64's '=' padding on tokens, and require it on tokens read back
    text: bool = False     # the state is a plain text, not a JSON value

    def encode(self, state: Any) -> str:
        raw = state.encode() if self.text else jsonio.dumps(state).encode()
        token = base64.urlsafe_b64encode(raw).decode()
        return token if self.padded else token.rstrip("=")

    def decode(self, token: str, valid: Callable[[Any], bool] = lambda state: True) -> Any:
        """The state ``token`` carries; raises ``refuse(token)`` unless it decodes to one ``valid`` accepts."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii") if self.padded
                                           else token + "=" * (-len(token) % 4))
            state = raw.decode() if self.text else safe.loads(raw)
        except (binascii.Error, UnicodeError, ValueError):
            raise self.refuse(token) from None
        if not valid(state):
            raise self.refuse(token)
        return state
