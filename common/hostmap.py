"""An httpx transport that sends a request for a real hostname to the loopback server serving it.

Shared by the harness (loopback wiring) and the connector's process entry point (``python -m connector``
with a ``hosts`` map), so both reach served simulators the same way.

``https://acme.myshopify.com/admin/...`` goes to ``http://127.0.0.1:PORT/admin/...`` with the
original ``Host`` header kept and the original scheme in ``X-Forwarded-Proto``, so the simulator
sees the URL the client built (and signed). A URL that already names a loopback address
(``http://127.0.0.1:8080/hooks``, ``localhost``: an outside client's own webhook receiver, say) is sent
there as it is. Any other host nobody serves fails loudly, like DNS would: nothing leaves the machine.
"""
from __future__ import annotations

import functools
import ipaddress
import ssl
from typing import Callable

import httpx

AddressLookup = Callable[[str], "tuple[str, int] | None"]

# For a client of servers on loopback. They answer in milliseconds (one took just over 1 s at load 15 on 2
# cores); only a request a fault leaves unanswered (a lost answer, held open as a real one is) outlasts the
# read limit, and the client notices it only by giving up: each such fault costs a scenario this long, so
# it is short (httpx's default is 5 s).
LOOPBACK_TIMEOUT = httpx.Timeout(10.0, read=3.0)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, built once per process: building them reads the CA bundle (60-100 ms),
    which every client made per scenario (a World's, a served connector instance's) would pay again."""
    return httpx.create_ssl_context()


def is_loopback(host: str) -> bool:
    """A loopback address or ``localhost`` (a name that may resolve elsewhere is not one)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HostMappingTransport(httpx.BaseTransport):
    def __init__(self, address_for: AddressLookup, served_hosts: Callable[[], list[str]] | None = None) -> None:
        self._address_for = address_for
        self._served_hosts = served_hosts or (lambda: [])
        self._inner = httpx.HTTPTransport(verify=tls_context())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        address = self._address_for(request.url.host)
        if address is None and is_loopback(request.url.host):
            return self._inner.handle_request(request)
        if address is None:
            raise httpx.ConnectError(f"no loopback server serves host {request.url.host!r}; "
                                     f"served: {', '.join(self._served_hosts()) or 'none'}", request=request)
        host, port = address
        headers = request.headers.copy()  # keeps Host: the original hostname
        headers["X-Forwarded-Proto"] = request.url.scheme
        loopback = httpx.Request(request.method, request.url.copy_with(scheme="http", host=host, port=port),
                                 headers=headers, stream=request.stream, extensions=request.extensions)
        return self._inner.handle_request(loopback)

    def close(self) -> None:
        self._inner.close()
