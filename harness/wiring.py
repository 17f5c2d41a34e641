"""How a World's clients reach its simulators: ``inprocess`` (the host router, no sockets) or
``loopback`` (each simulator, and the connector's webhook receiver, served by its own uvicorn server
on loopback; the client maps real hostnames to them, so every call crosses a real socket)."""
from __future__ import annotations

import secrets
from typing import Callable

import httpx

from simulators.core.base import Simulator
from common.hostmap import LOOPBACK_TIMEOUT, is_loopback
from simulators.serve import ControlPlane, HostMappingTransport, ServerSet, asgi_app
from simulators.serve.guard import ControlGuard

TRANSPORTS = ("inprocess", "loopback")


class UnservedHost(AssertionError):
    """A request to a host nothing in the World serves: nothing leaves the process, so it fails loudly."""


class HostRouter:
    """A World's in-process dispatcher: each host belongs to one handler (a simulator's ``handle``, the
    connector's webhook receiver), found with one dict lookup. It keeps no record of what it routed (each
    simulator journals its own requests) and patches nothing globally."""

    def __init__(self) -> None:
        self._handlers: dict[str, Callable[[httpx.Request], httpx.Response]] = {}

    def serve(self, hosts: list[str], handler: Callable[[httpx.Request], httpx.Response]) -> None:
        for host in hosts:
            if host in self._handlers:
                raise ValueError(f"host {host} is served twice in one World: each host belongs to one handler")
            self._handlers[host] = handler

    def handler(self, request: httpx.Request) -> httpx.Response:
        try:
            handler = self._handlers[request.url.host]
        except KeyError:
            raise UnservedHost(f"no simulator of this World serves {request.url.host} ({request.method} "
                               f"{request.url}); served: {', '.join(sorted(self._handlers))}") from None
        return handler(request)


class InProcess:
    name = "inprocess"

    def __init__(self, router: HostRouter) -> None:
        self.http = httpx.Client(transport=httpx.MockTransport(router.handler))

    def serve_simulator(self, simulator: Simulator) -> None:
        """Nothing to start: the World's host router already dispatches to the simulator."""

    def serve_handler(self, name: str, hosts: list[str], handler: Callable[[httpx.Request], httpx.Response]) -> None:
        """Nothing to start (see serve_simulator)."""

    def route_elsewhere(self, host: str, base_url: str,
                        observe: Callable[[httpx.Request, httpx.Response], None] | None = None) -> None:
        raise ValueError(f"{host!r} is served by another process: that needs --transport loopback")

    def close(self) -> None:
        self.http.close()


class Loopback:
    """One server per simulator (with its ``/_sim`` control plane, guarded by ``control_token``) and
    per extra handler."""

    name = "loopback"

    def __init__(self, host: str = "127.0.0.1", first_port: int = 0, control_token: str | None = None) -> None:
        # a secret, not test data: never derived from the seed
        self.control_token = control_token or secrets.token_urlsafe(24)
        self.servers = ServerSet(host, first_port)
        # hostnames served by someone else on loopback: a connector process's own webhook receiver
        self._elsewhere: dict[str, tuple[str, int]] = {}
        # who is told what such a host answered (the storefronts send to it directly; the harness only looks)
        self._observers: dict[str, Callable[[httpx.Request, httpx.Response], None]] = {}
        self.http = httpx.Client(transport=HostMappingTransport(self._address_for, self._hosts),
                                 timeout=LOOPBACK_TIMEOUT, event_hooks={"response": [self._observe_elsewhere]})

    def _observe_elsewhere(self, response: httpx.Response) -> None:
        observer = self._observers.get(response.request.url.host.lower())
        if observer is not None:
            response.read()
            observer(response.request, response)

    def _address_for(self, host: str) -> tuple[str, int] | None:
        return self.servers.address_for(host) or self._elsewhere.get(host.lower())

    def _hosts(self) -> list[str]:
        return sorted([*self.servers.hosts, *self._elsewhere])

    def route_elsewhere(self, host: str, base_url: str,
                        observe: Callable[[httpx.Request, httpx.Response], None] | None = None) -> None:
        """Requests for ``host`` go to ``base_url`` (``http://`` on a loopback address), Host kept;
        ``observe`` is told each request and the answer it got, as the sender saw it."""
        if self.servers.address_for(host) is not None:
            raise ValueError(f"{host!r} is a simulator's hostname: a connector cannot serve it")
        url = httpx.URL(base_url)
        if url.scheme != "http" or not is_loopback(url.host) or url.port is None:
            raise ValueError(f"{host!r} is said to be served at {base_url!r}: give http://<loopback address>:<port>")
        self._elsewhere[host.lower()] = (url.host, url.port)
        if observe is not None:
            self._observers[host.lower()] = observe

    def serve_simulator(self, simulator: Simulator) -> None:
        plane = ControlPlane(simulator, ControlGuard(self.control_token, simulator.hosts))
        self.servers.serve(simulator.hosts[0], asgi_app(plane.handle), simulator.hosts)

    def serve_handler(self, name: str, hosts: list[str], handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.servers.serve(name, asgi_app(handler), hosts)

    def base_url(self, simulator: Simulator) -> str:
        return self.servers[simulator.hosts[0]].base_url

    def close(self) -> None:
        self.http.close()
        self.servers.stop()


Wiring = InProcess | Loopback


def wiring_for(transport: str | Loopback, router: HostRouter) -> Wiring:
    """``transport`` by name, or a ready ``Loopback`` (to choose the host and first port)."""
    if isinstance(transport, Loopback):
        return transport
    if transport == "inprocess":
        return InProcess(router)
    if transport == "loopback":
        return Loopback()
    raise ValueError(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")
