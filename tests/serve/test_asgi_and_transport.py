"""One code path in process and on loopback: the ASGI adapter hands a handler the request as sent."""
from __future__ import annotations

import ssl
import time

import httpx
import pytest
from oauthlib import oauth1

from simulators.netsuite import NetSuiteSimulator
from simulators.serve import HostMappingTransport, ServerSet, asgi_app


def test_the_adapter_preserves_method_url_headers_and_body():
    seen: list[httpx.Request] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(207, content=b"\x00raw", headers={"X-Answer": "yes"})

    with ServerSet() as servers, httpx.Client() as client:
        server = servers.serve("echo", asgi_app(echo))
        url = f"{server.base_url}/a%20b/c?x=1&x=2&y=%C3%A9"
        response = client.request("PATCH", url, content=b'{"n": 1.10}', headers={"X-Custom": "Kept"})
    (request,) = seen
    assert (request.method, str(request.url)) == ("PATCH", url)
    assert request.url.raw_path == b"/a%20b/c?x=1&x=2&y=%C3%A9"
    assert request.headers["x-custom"] == "Kept" and request.content == b'{"n": 1.10}'
    sent = [(name.lower(), value) for name, value in response.request.headers.raw]
    assert list(request.headers.raw) == sent  # every header, in order, nothing added
    assert (response.status_code, response.content, response.headers["x-answer"]) == (207, b"\x00raw", "yes")


def test_the_host_mapping_transport_keeps_the_hostname_and_scheme_the_client_used():
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    with ServerSet() as servers:
        servers.serve("shop", asgi_app(record), ["shop.example.com"])
        with httpx.Client(transport=HostMappingTransport(servers.address_for, lambda: servers.hosts)) as client:
            assert client.get("https://shop.example.com/admin/x.json?a=1").status_code == 204
            with pytest.raises(httpx.ConnectError, match="no loopback server serves host 'other.example.com'; "
                                                         "served: shop.example.com"):
                client.get("https://other.example.com/")
    assert seen == ["https://shop.example.com/admin/x.json?a=1"]


def test_netsuite_verifies_a_tba_signature_made_over_the_loopback_url():
    """A client pointed straight at the served NetSuite signs http://127.0.0.1:PORT/...; the
    simulator sees that same URL, so the signature verifies (and one over another URL does not)."""
    netsuite = NetSuiteSimulator()
    c = netsuite.credentials
    stamp = str(int(netsuite.clock.now().timestamp()))  # fresh on the simulator's clock

    def signed(url: str, nonce: str) -> dict[str, str]:
        signer = oauth1.Client(c.consumer_key, client_secret=c.consumer_secret, resource_owner_key=c.token_id,
                               resource_owner_secret=c.token_secret, signature_method="HMAC-SHA256",
                               realm=netsuite.account_id, nonce=nonce, timestamp=stamp)
        return signer.sign(url, "GET")[1]

    with ServerSet() as servers, httpx.Client() as client:
        base = servers.serve("netsuite", asgi_app(netsuite.handle), netsuite.hosts).base_url
        url = f"{base}/services/rest/record/v1/customer?limit=5"
        assert client.get(url, headers=signed(url, "nonce1")).status_code == 200
        assert client.get(url, headers=signed(url.replace("limit=5", "limit=6"), "nonce2")).status_code == 401
    assert netsuite.login_failures()[-1].reason == "signature does not match"


def test_clients_made_per_scenario_read_the_ca_bundle_once_per_process(monkeypatch, tmp_path):
    """Reading the CA bundle costs 60-100 ms: a loopback transport and the protocol adapter's client,
    both made per scenario, share one TLS context instead of building their own."""
    from common.hostmap import tls_context
    from common.clock import ManualClock
    from harness import seam
    from harness.connectors.remote import RemoteConnector

    tls_context()
    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda self, *a, **k: loads.append(a) or real(self, *a, **k))
    HostMappingTransport(lambda host: None).close()
    monkeypatch.setattr(RemoteConnector, "_call", lambda self, *a, **k: {"id": "1"})
    context = seam.ConnectorContext(
        http=None, clock=ManualClock(), workdir=tmp_path, seed=1,   # type: ignore[arg-type]
        netsuite=seam.NetSuiteAccess("1_SB1", "https://1-sb1.suitetalk.api.netsuite.com", "ck", "cs", "ti", "ts"),
        webhook_base_url="https://hooks.example.test")
    RemoteConnector("http://127.0.0.1:9", context)._http.close()
    assert loads == []


def test_servers_stop_without_uvicorn_s_fixed_wait_also_with_a_kept_alive_connection_open():
    """uvicorn's own shutdown sleeps 0.1 s before it looks at the connections; a World stops its servers
    at every scenario's end, so they close idle connections and stop at once (best of 3, against load)."""
    def stop_time() -> float:
        servers = ServerSet()
        server = servers.serve("echo", asgi_app(lambda request: httpx.Response(200, text="ok")))
        with httpx.Client() as client:
            assert client.get(f"{server.base_url}/").text == "ok"   # the connection stays open, idle
            started = time.perf_counter()
            servers.stop()
            return time.perf_counter() - started

    assert min(stop_time() for _ in range(3)) < 0.09
