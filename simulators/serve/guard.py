"""Who may use a served control plane: whoever holds its token, from a page of its own origin.

``/_sim`` reads every credential, resets state and adds faults, so serve mode guards it three ways:
- a token (``Authorization: Bearer <token>``, compared in constant time): ``refund-harness serve``
  makes one, or takes ``REFUND_HARNESS_CONTROL_TOKEN``, and writes it to the manifest;
- the Host header must name a loopback or IP address, ``localhost`` or a host the simulator stands
  for: a DNS-rebinding page reaches the port under a name of its own and is refused;
- no cross-site requests: a browser's ``Sec-Fetch-Site: cross-site``/``same-site`` or a foreign
  ``Origin`` is refused, and a write must be ``application/json`` (a form or ``text/plain`` POST,
  which a page can send without asking, is refused).
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Collection
from urllib.parse import urlsplit

import httpx

TOKEN_ENV = "REFUND_HARNESS_CONTROL_TOKEN"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    headers: dict[str, str]


def host_name(authority: str) -> str:
    """``host`` of ``host:port`` or ``[v6]:port``, lower-cased."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ControlGuard:
    token: str
    hosts: Collection[str] = ()   # the real hostnames the simulator stands for

    def __post_init__(self) -> None:
        if not self.token or not self.token.isprintable() or " " in self.token:
            raise ValueError("a control token must be a non-empty printable string without spaces")

    def _host_allowed(self, name: str) -> bool:
        return name == "localhost" or _is_ip(name) or name in {h.lower() for h in self.hosts}

    def refusal(self, request: httpx.Request) -> Refusal | None:
        """Why ``request`` may not use the control plane, or None when it may."""
        host = request.headers.get("host", "")
        if not self._host_allowed(host_name(host)):
            return Refusal(403, f"the control plane does not answer for Host {host!r}: use the address serve "
                                "printed (an IP address or localhost)", {})
        site = request.headers.get("sec-fetch-site", "").lower()
        if site in ("cross-site", "same-site"):
            return Refusal(403, f"the control plane refuses cross-site requests (Sec-Fetch-Site: {site})", {})
        origin = request.headers.get("origin")
        if origin is not None and not self._host_allowed(host_name(urlsplit(origin).netloc)):
            return Refusal(403, f"the control plane refuses requests from the page at {origin}", {})
        if request.method in WRITES and request.content:
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return Refusal(415, f"a control write must be Content-Type application/json, not {kind or 'none'!r}",
                               {})
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            said = "a wrong token" if given else "no token"
            return Refusal(401, f"the control plane needs its token and got {said}: send 'Authorization: Bearer "
                                "<token>' (control_token in serve's manifest)",
                           {"WWW-Authenticate": 'Bearer realm="refund-harness control plane"'})
        return None
