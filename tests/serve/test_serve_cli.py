"""`refund-harness serve` as a real process: manifest, API and control plane over HTTP, clean SIGTERM."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.exit_codes import ExitCode
from refund_harness.cli import main
from simulators.netsuite import host_for

COMMAND = [str(Path(sys.executable).with_name("refund-harness"))]  # the installed console script


def test_serve_writes_a_manifest_answers_over_http_and_stops_cleanly_on_sigterm(tmp_path: Path):
    manifest_path = tmp_path / "run" / "manifest.json"
    process = subprocess.Popen([*COMMAND, "serve", "--demo", "--manifest", str(manifest_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stdout:  # blocks until the server says it is ready; no polling
            lines.append(line)
            if line.startswith("ready:"):
                break
        assert lines and lines[-1].startswith("ready:"), "".join(lines) + process.stderr.read()
        manifest = json.loads(manifest_path.read_text())
        assert manifest_path.stat().st_mode & 0o077 == 0   # it holds the token and every credential
        # no --host given: every server listens on loopback only
        assert {httpx.URL(entry["base_url"]).host for entry in manifest["simulators"].values()} == {"127.0.0.1"}
        shopify, square, netsuite = (manifest["simulators"][n] for n in ("shopify", "square", "netsuite"))
        assert set(netsuite["credentials"]) == {"account_id", "consumer_key", "consumer_secret", "token_id",
                                                "token_secret"}
        assert netsuite["host"] == host_for(netsuite["credentials"]["account_id"])
        assert set(square["credentials"]) == {"access_token", "location_id"}
        order = shopify["orders"][0]
        assert order["billed"]["type"] in ("cashSale", "invoice") and order["netsuite_sales_order_id"]
        assert square["orders"][0]["payment_id"]

        with httpx.Client(timeout=10) as http:
            got = http.get(f"{shopify['base_url']}/admin/api/2024-10/orders/{order['order_id']}.json",
                           headers={"X-Shopify-Access-Token": shopify["credentials"]["access_token"]})
            assert got.status_code == 200 and got.json()["order"]["total_price"] == order["total"]
            payment = http.get(f"{square['base_url']}/v2/payments/{square['orders'][0]['payment_id']}",
                               headers={"Authorization": f"Bearer {square['credentials']['access_token']}"})
            assert payment.json()["payment"]["status"] == "COMPLETED"
            # the control plane is the manifest holder's: no token, no answer
            assert http.get(f"{shopify['control_url']}/credentials").status_code == 401
            owner = {"Authorization": f"Bearer {manifest['control_token']}"}
            journal = http.get(f"{shopify['control_url']}/journal", headers=owner).json()["requests"]
            assert journal[-1]["operation"] == "get_order"
            assert http.patch(f"{shopify['control_url']}/settings", json={"bucket_size": 80}, headers=owner).json()[
                "settings"]["bucket_size"] == 80
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("stopped")
    assert not manifest_path.exists()  # a manifest of dead ports is not left behind


def test_a_port_in_use_is_named_and_exits_non_zero():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([*COMMAND, "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == ExitCode.CANNOT_LISTEN
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr


def test_bad_flags_get_a_clear_message(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "70000"])
    assert exited.value.code == ExitCode.USAGE and "70000 is not a TCP port; use 1 to 65535" in capsys.readouterr().err


def test_binding_beyond_loopback_warns_what_it_exposes():
    with socket.create_server(("0.0.0.0", 0)) as taken:   # taken: serve warns, then cannot listen and stops
        port = taken.getsockname()[1]
        done = subprocess.run([*COMMAND, "serve", "--host", "0.0.0.0", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == ExitCode.CANNOT_LISTEN
    assert ("warning: binding 0.0.0.0 exposes beyond this machine every simulator's API (answering the seeded "
            "credentials), the connector's webhook receiver and each /_sim control plane") in done.stderr


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False), ("::", False),
                                           ("192.168.1.5", False), ("myhost.example", False)])
def test_what_counts_as_loopback(host, loopback):
    from common.hostmap import is_loopback

    assert is_loopback(host) is loopback
