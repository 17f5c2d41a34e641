"""A seam connector served as its own process over the connector protocol (docs/connector-protocol.md).

``python -m harness.connectors.protocol_server [--connector MODULE:FACTORY] [--port N]`` serves the
shipped reference connector (or any seam factory) until stopped, and prints ``listening on URL`` once
ready. Each ``POST /v1/scenarios`` builds the connector from the factory with a context of its own: a
clock that reads the harness's ``X-Harness-Now``, an HTTP client that reaches the served simulators
through the ``hosts`` map, and a work directory per tenant (instances of one tenant share it).

Webhooks come to the connector's own receiver, as they would in production: each tenant has a
hostname of its own (``<hash>.hooks.protocol-connector.test``) that the start answer's ``serves``
maps to this server, so the connector registers ``https://<that host>/webhooks/<platform>`` with the
storefronts and they deliver here directly, signed as the vendor signs. A delivery goes to the
tenant's newest open instance (a restarted connector receives what its subscriptions still name).
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import signal
import sys
import tempfile
import threading
from collections import Counter
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from common.clock import ManualClock, parse_iso
from common.hostmap import LOOPBACK_TIMEOUT, HostMappingTransport
from harness.connectors.load import load_factory
from harness import seam
from harness.connectors.protocol import NOW_HEADER, OPERATIONS, VERSION, Operation

RECEIVER_DOMAIN = "hooks.protocol-connector.test"
_ERROR_TYPE = {seam.ActivationRefused: "activation_refused", seam.OrderSyncFailed: "order_sync_failed",
               seam.OperationRefused: "operation_refused"}


class HarnessClock:
    """"Now" is what the harness said in its latest call (time only moves forward)."""

    def __init__(self) -> None:
        self._now = ManualClock.DEFAULT_START
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def tell(self, moment: datetime) -> None:
        with self._lock:
            self._now = max(self._now, moment)


class Instance:
    def __init__(self, factory: seam.ConnectorFactory, workdir: Path, start: dict[str, Any], receiver_host: str) -> None:
        self.clock = HarnessClock()
        self.hosts: dict[str, str] = dict(start["hosts"])
        self.http = httpx.Client(transport=HostMappingTransport(self._address_for, lambda: list(self.hosts)),
                                 timeout=LOOPBACK_TIMEOUT)
        access = seam.NetSuiteAccess(**{key: start["netsuite"][key] for key in (
            "account_id", "base_url", "consumer_key", "consumer_secret", "token_id", "token_secret")})
        self.relay_base_url = start["webhook_base_url"].rstrip("/")   # the harness's relay: deliveries to it come relayed
        self.webhook_base_url = f"https://{receiver_host}"             # the connector's own receiver
        self.connector = factory(seam.ConnectorContext(
            http=self.http, clock=self.clock, workdir=workdir, seed=int(start["seed"]), netsuite=access,
            webhook_base_url=self.webhook_base_url, hosts=self.hosts))

    def _address_for(self, host: str) -> tuple[str, int] | None:
        url = self.hosts.get(host)
        if url is None:
            return None
        parsed = httpx.URL(url)
        return parsed.host, parsed.port or 80

    def close(self) -> None:
        try:
            self.connector.close()
        finally:
            self.http.close()


class ProtocolServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], factory: seam.ConnectorFactory, root: Path) -> None:
        super().__init__(address, Handler)
        self.factory, self.root = factory, root
        self.instances: dict[str, Instance] = {}
        self.receivers: dict[str, str] = {}          # receiver hostname -> tenant
        self._open: dict[str, list[str]] = {}         # tenant -> its open instances, oldest first
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.received: Counter[tuple[str, int]] = Counter()   # (receiver host, answer status) -> deliveries

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, body: dict[str, Any]) -> tuple[str, str]:
        """A new instance: its id, and the hostname of its tenant's webhook receiver."""
        tenant = str(body["tenant"])
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", tenant):
            raise ValueError(f"tenant {tenant!r}: use letters, digits, '_', '.', '-' (at most 100)")
        workdir = self.root / tenant
        workdir.mkdir(exist_ok=True)
        # a DNS label of its own per tenant: the tenant name may hold characters a hostname may not
        receiver = f"{hashlib.sha256(tenant.encode()).hexdigest()[:20]}.{RECEIVER_DOMAIN}"
        instance = Instance(self.factory, workdir, body, receiver)
        with self.lock:
            scenario = str(next(self._ids))
            self.instances[scenario] = instance
            self.receivers[receiver] = tenant
            self._open.setdefault(tenant, []).append(scenario)
        return scenario, receiver

    def end(self, scenario: str) -> Instance | None:
        with self.lock:
            instance = self.instances.pop(scenario, None)
            for ids in self._open.values():
                if scenario in ids:
                    ids.remove(scenario)
        return instance

    def receiving(self, host: str) -> Instance | None:
        """The newest open instance of the tenant whose receiver is ``host``."""
        with self.lock:
            ids = self._open.get(self.receivers.get(host, ""), [])
            return self.instances[ids[-1]] if ids else None


_ROUTES = [(op, re.compile("^/" + VERSION + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", op.path) + "$")) for op in OPERATIONS]


class Handler(BaseHTTPRequestHandler):
    server: ProtocolServer
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: with Nagle on, the body waits ~40 ms for a delayed ACK
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:   # quiet: the harness reports what matters
        pass

    def do_GET(self) -> None: self._dispatch()
    def do_POST(self) -> None: self._dispatch()
    def do_PUT(self) -> None: self._dispatch()
    def do_DELETE(self) -> None: self._dispatch()

    def _dispatch(self) -> None:
        from urllib.parse import unquote
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if host.endswith("." + RECEIVER_DOMAIN):
            self._answer(*self._receive(host, path, raw))
            return
        for op, pattern in _ROUTES:
            match = pattern.match(path)
            if match and op.method == self.command:
                ids = {k: unquote(v) for k, v in match.groupdict().items()}
                try:
                    self._answer(*self._run(op, ids, raw))
                except seam.SeamError as exc:
                    kind = next(t for cls, t in _ERROR_TYPE.items() if isinstance(exc, cls))
                    error: dict[str, Any] = {"type": kind, "message": str(exc)}
                    if isinstance(exc, seam.ActivationRefused):
                        error["missing"] = list(exc.missing)
                    self._json(409, {"error": error})
                except Exception as exc:   # the connector failed: the harness quotes this body
                    self._answer(500, f"{type(exc).__name__}: {exc}".encode(), "text/plain")
                return
        self._answer(404, f"no operation {self.command} {path} in protocol {VERSION}".encode(), "text/plain")

    def _receive(self, host: str, path: str, raw: bytes) -> tuple[int, bytes, str]:
        """A storefront's delivery to a tenant's own receiver (``https://<host><path>``)."""
        instance = self.server.receiving(host)
        if instance is None:
            return 404, f"no open connector instance receives webhooks at {host}".encode(), "text/plain"
        request = httpx.Request(self.command, f"https://{host}{self.path}", headers=dict(self.headers.items()),
                                content=raw)
        try:
            answer = instance.connector.handle_webhook(request)
        except Exception as exc:   # the connector failed: the storefront sees a 500, as from any receiver
            answer = httpx.Response(500, text=f"{type(exc).__name__}: {exc}")
        with self.server.lock:
            self.server.received[(host, answer.status_code)] += 1
        return answer.status_code, answer.content, answer.headers.get("content-type", "")

    def _run(self, op: Operation, ids: dict[str, str], raw: bytes) -> tuple[int, bytes, str]:
        if op.path == "/health":
            return _encoded({"protocol": VERSION})
        if op.path == "/scenarios":
            scenario, receiver = self.server.start(json.loads(raw))
            return _encoded({"id": scenario, "serves": {receiver: self.server.base_url}}, 201)
        instance = self.server.instances.get(ids["scenario"])
        if instance is None:
            return 404, f"no scenario {ids['scenario']}".encode(), "text/plain"
        if self.headers.get(NOW_HEADER):
            instance.clock.tell(parse_iso(self.headers[NOW_HEADER]))
        body = json.loads(raw) if raw and not op.extra.get("raw") else None
        connector = instance.connector
        method = op.seam_method
        if op.path.endswith("/hosts"):
            instance.hosts.clear()
            instance.hosts.update(body)
            return 204, b"", ""
        if method == "close":
            self.server.end(ids["scenario"])
            instance.close()
            return 204, b"", ""
        if method == "handle_webhook":
            request = httpx.Request("POST", f"{instance.relay_base_url}/webhooks/{ids['platform']}",
                                    headers={k: v for k, v in self.headers.items() if k.lower() != NOW_HEADER.lower()}, content=raw)
            answer = connector.handle_webhook(request)
            return answer.status_code, answer.content, answer.headers.get("content-type", "")
        account, refund = ids.get("account"), ids.get("refund")
        if method == "certification_claim":
            claim = connector.certification_claim()
            return _encoded({"directions": {k: list(v) for k, v in claim.directions.items()},
                             "not_offered": list(claim.not_offered)})
        if method == "add_account":
            return _encoded({"account_id": connector.add_account(
                name=body["name"], platform=body["platform"], store=body["store"],
                credentials=body["credentials"], setup=_setup(body["setup"]))}, 201)
        if method == "account_setup":
            setup = connector.account_setup(account)
            return _encoded({"generic_refund_item_id": setup.generic_refund_item_id,
                             "shipping_item_id": setup.shipping_item_id,
                             "payment_method_map": dict(setup.payment_method_map),
                             "refund_gift_cards_as_store_credit": setup.refund_gift_cards_as_store_credit})
        if method == "change_setup":
            connector.change_setup(account, _setup(body))
        elif method == "activate_order_sync":
            connector.activate_order_sync(account)
        elif method == "sync_order":
            return _encoded({"sales_order_id": connector.sync_order(account, ids["order"])})
        elif method == "enable_refund_sync":
            connector.enable_refund_sync(account, body["direction"])
        elif method == "disable_refund_sync":
            connector.disable_refund_sync(account)
        elif method == "direction":
            return _encoded({"direction": connector.direction(account)})
        elif method == "retrieve_refunds":
            return _encoded({"refunds": [_view(v) for v in connector.retrieve_refunds(account, ids["order"])]})
        elif method == "refunds":
            return _encoded({"refunds": [_view(v) for v in connector.refunds(account)]})
        elif method in ("post", "cancel", "uncancel"):
            return _encoded(_view(getattr(connector, method)(refund)))
        elif method == "delete":
            connector.delete(refund)
        elif method == "run_scheduled":
            report = connector.run_scheduled()
            if report is not None:
                return _encoded({"posted": report.posted, "errors": report.errors, "pending": report.pending,
                                 "skipped": report.skipped, "messages": list(report.messages)})
        else:   # pragma: no cover - every operation of OPERATIONS is handled above
            raise NotImplementedError(method)
        return 204, b"", ""

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._answer(*_encoded(payload, status))


def _encoded(payload: Any, status: int = 200) -> tuple[int, bytes, str]:
    return status, json.dumps(payload).encode(), "application/json"


def _setup(body: dict[str, Any]) -> seam.AccountSetup:
    return seam.AccountSetup(generic_refund_item_id=body.get("generic_refund_item_id"),
                             shipping_item_id=body.get("shipping_item_id"),
                             payment_method_map=dict(body.get("payment_method_map") or {}),
                             refund_gift_cards_as_store_credit=bool(body.get("refund_gift_cards_as_store_credit")))


def _view(view: seam.RefundView) -> dict[str, Any]:
    total = view.total
    return {"id": view.id, "account_id": view.account_id, "order_id": view.order_id, "source_id": view.source_id,
            "direction": view.direction, "status": view.status, "error": view.error, "target_id": view.target_id,
            "currency": view.currency, "total": None if total is None else str(Decimal(total))}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.connectors.protocol_server", description=__doc__)
    parser.add_argument("--connector", default=seam.REFERENCE, metavar="MODULE:FACTORY")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    args = parser.parse_args(argv)
    factory = load_factory(args.connector)
    with tempfile.TemporaryDirectory(prefix="protocol-connector-") as root:
        server = ProtocolServer((args.host, args.port), factory, Path(root))
        signal.signal(signal.SIGTERM, _interrupt)   # stopped by the harness: still remove the work directories
        print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
