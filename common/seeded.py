"""Seeded identifiers: every id a simulator hands out is a function of its seed, so a failing
run replays with the same ids."""
from __future__ import annotations

import hashlib
import random
import string
import threading

_ALPHABET = string.ascii_letters + string.digits


def derived_seed(seed: int, *parts: str) -> int:
    """A seed of its own for ``parts`` (a host, a purpose), stable across runs and processes: two stores
    seeded alike still get credentials of their own."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class IdSource:
    def __init__(self, seed: int, first: int = 1) -> None:
        self._rng = random.Random(seed)
        self._next = first
        self._lock = threading.Lock()

    def number(self) -> int:
        """Strictly increasing integer ids (NetSuite internal ids, numeric storefront ids)."""
        with self._lock:
            value = self._next
            self._next += 1 + self._rng.randrange(3)
            return value

    def digits(self, length: int) -> str:
        """A numeric id of ``length`` digits that no other id from this source has: ``number()``,
        zero-padded. (Digits drawn one at a time repeat: two refunds once got one id.)"""
        value = self.number()
        if value >= 10 ** length:
            raise OverflowError(f"out of {length}-digit ids")
        return f"{value:0{length}d}"

    def token(self, length: int = 22) -> str:
        """Opaque base62 ids (as storefronts with string ids use)."""
        with self._lock:
            return "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    def hex(self, length: int = 32) -> str:
        with self._lock:
            return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))
