"""``certify --connector-cmd CMD``: start a connector process, wait until it serves the connector
protocol, stop it at the end.

The process announces itself by printing a line ``listening on http://HOST:PORT`` (any port: the
harness reads it) and is ready once ``GET /v1/health`` answers ``{"protocol": "v1"}``. Its output
after that line goes to the harness's stderr, prefixed, so its failures are in the run's log.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from harness.connectors.protocol import VERSION

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_ANNOUNCEMENT = re.compile(r"listening on (https?://\S+)")


class ConnectorProcessFailed(RuntimeError):
    """The command could not be started, or did not become ready; the message says which and shows its output."""


class ConnectorProcess:
    def __init__(self, command: str, cwd: Path, ready_timeout: float = READY_TIMEOUT_S) -> None:
        self.command = command
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConnectorProcessFailed(f"--connector-cmd {command!r}: {exc}") from None
        if not argv:
            raise ConnectorProcessFailed("--connector-cmd is empty")
        try:
            self._process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, text=True, bufsize=1)
        except OSError as exc:
            raise ConnectorProcessFailed(f"--connector-cmd {command!r} cannot be started: {exc}") from None
        try:
            self.url = self._await_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=self._relay_output, daemon=True).start()

    def _await_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        url: str | None = None
        found = threading.Event()

        def read() -> None:
            nonlocal url
            assert self._process.stdout is not None
            for line in self._process.stdout:
                seen.append(line.rstrip())
                match = _ANNOUNCEMENT.search(line)
                if match:
                    url = match.group(1).rstrip("/")
                    break
            found.set()

        threading.Thread(target=read, daemon=True).start()
        ended = found.wait(timeout)
        output = "\n".join(seen[-20:]) or "(no output)"
        if url is None:
            status = None
            if ended:   # its output closed without the announcement: it is exiting; say with what status
                try:
                    status = self._process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    pass
            why = (f"exited with status {status}" if status is not None
                   else f"closed its output without printing 'listening on http://HOST:PORT'" if ended
                   else f"did not print 'listening on http://HOST:PORT' within {timeout:.0f}s")
            raise ConnectorProcessFailed(f"--connector-cmd {self.command!r} {why}; its output:\n{output}")
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"{url}/{VERSION}/health", timeout=2.0)
                if answer.status_code == 200 and answer.json().get("protocol") == VERSION:
                    return url
            except (httpx.HTTPError, ValueError, AttributeError):
                pass
            if self._process.poll() is not None:
                break
            time.sleep(0.1)   # waiting for another process to bind its socket, not for a schedule
        raise ConnectorProcessFailed(f"--connector-cmd {self.command!r}: {url}/{VERSION}/health did not answer "
                                     f'{{"protocol": "{VERSION}"}} within {timeout:.0f}s; its output:\n{output}')

    def _relay_output(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            sys.stderr.write(f"[connector] {line}")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> "ConnectorProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
