"""Loopback servers: one uvicorn server per app, each in a background thread on its own port.

Sockets are bound here, before uvicorn starts, so port 0 can be read back and a port in use is
reported by number instead of inside a server thread. ``serve`` returns once the server accepts.
"""
from __future__ import annotations

import asyncio
import errno
import socket
import threading
from dataclasses import dataclass, field

import uvicorn

from simulators.serve.asgi import ASGIApp

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


class PortInUse(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} on {host} is already in use; "
                                           "free it or pick another first port")
        self.host = host
        self.port = port


class _Server(uvicorn.Server):
    """A uvicorn server that says when it accepts and stops when told, rather than noticing
    ``should_exit`` on its next 0.1 s tick (a World in loopback mode stops several per scenario)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        await super().startup(sockets)
        self.listening.set()

    async def main_loop(self) -> None:
        assert self._wake is not None
        while not await self.on_tick(0):  # tick 0 also refreshes the Date header
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except TimeoutError:
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, without its fixed waits: it sleeps 0.1 s before looking at the connections
        and then polls every 0.1 s, which a World pays at every close (every scenario on loopback). Idle
        connections close at once; requests in flight get ``timeout_graceful_shutdown`` to finish."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                while self.server_state.connections or self.server_state.tasks:
                    await asyncio.sleep(0.005)
                for server in self.servers:
                    await server.wait_closed()
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    def request_exit(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only turns Nagle off (TCP_NODELAY) on accepted sockets whose proto
    # is IPPROTO_TCP, and with Nagle on every small response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        return sock
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        raise OSError(exc.errno, f"cannot listen on {host} port {port}: {exc.strerror}") from None


@dataclass
class LoopbackServer:
    name: str
    app: ASGIApp
    host: str
    port: int
    _socket: socket.socket = field(repr=False, default=None)  # type: ignore[assignment]
    _server: _Server = field(repr=False, default=None)  # type: ignore[assignment]
    _thread: threading.Thread = field(repr=False, default=None)  # type: ignore[assignment]
    _failure: BaseException | None = field(repr=False, default=None)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in WILDCARD_HOSTS else self.host  # where a local client connects
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1" if self.host in WILDCARD_HOSTS else self.host), self.port

    def start(self) -> None:
        self._socket = bind(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.app, lifespan="off", log_config=None, log_level="warning", access_log=False,
            server_header=False, timeout_graceful_shutdown=2,
            # the host-mapping transport tells the original scheme; only a loopback peer is believed
            proxy_headers=True, forwarded_allow_ips="127.0.0.1,::1")
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._run, name=f"serve-{self.name}", daemon=True)
        self._thread.start()
        self._server.listening.wait()
        if self._failure is not None or not self._server.started:
            self._socket.close()
            raise RuntimeError(f"the {self.name} server on port {self.port} did not start: {self._failure!r}")

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # noqa: BLE001 - reported to the thread that waits in start()
            self._failure = exc
        finally:
            self._server.listening.set()  # wake start() even when startup never completed

    def request_stop(self) -> None:
        if self._server is not None:
            self._server.request_exit()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._socket.close()
            self._thread = None  # type: ignore[assignment]


class ServerSet:
    """Servers started one by one (``--port N`` gives them N, N+1, ...), stopped together."""

    def __init__(self, host: str = "127.0.0.1", first_port: int = 0) -> None:
        self.host = host
        self.first_port = first_port
        self._servers: dict[str, LoopbackServer] = {}
        self._by_host: dict[str, LoopbackServer] = {}
        self._lock = threading.Lock()

    def serve(self, name: str, app: ASGIApp, hosts: list[str] | tuple[str, ...] = ()) -> LoopbackServer:
        """Start serving ``app``; requests for any of ``hosts`` (real hostnames) are mapped to it."""
        with self._lock:
            if name in self._servers:
                raise ValueError(f"a server named {name!r} is already running")
            port = self.first_port + len(self._servers) if self.first_port else 0
            server = LoopbackServer(name, app, self.host, port)
            server.start()
            self._servers[name] = server
            for host in hosts:
                self._by_host[host.lower()] = server
            return server

    def __getitem__(self, name: str) -> LoopbackServer:
        try:
            return self._servers[name]
        except KeyError:
            raise KeyError(f"no server named {name!r}; serving {', '.join(self._servers) or 'nothing'}") from None

    def address_for(self, host: str) -> tuple[str, int] | None:
        with self._lock:
            server = self._by_host.get(host.lower())
        return server.address if server else None

    @property
    def hosts(self) -> list[str]:
        with self._lock:
            return sorted(self._by_host)

    def stop(self) -> None:
        """Stop every server (all asked first, then joined: they wind down in parallel)."""
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
            self._by_host.clear()
        for server in servers:
            server.request_stop()
        for server in servers:
            server.join()

    def __enter__(self) -> ServerSet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
