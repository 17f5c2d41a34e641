"""The connector process's configuration file: a bad value gets one line naming it, exit status 2, and
nothing opened or written (no ledger file appears)."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from connector import crashpoints
from connector.cli import EXIT_CONFIG, EXIT_LEDGER_MISMATCH, main

SECRET = "s3cr3t-token-value"


def good(tmp: Path) -> dict:
    return {"ledger": str(tmp / "ledger.sqlite"),
            "netsuite": {"account_id": "1234567_SB1", "consumer_key": "ck", "consumer_secret": SECRET,
                         "token_id": "tk", "token_secret": SECRET},
            "accounts": [{"name": "Acme", "platform": "square", "store": "LOC1",
                          "credentials": {"access_token": SECRET}, "direction": "off", "order_sync": False}],
            "hosts": {"1234567-sb1.suitetalk.api.netsuite.com": "http://127.0.0.1:9"},
            "clock": {"start": "2026-01-05T09:00:00Z", "step_seconds": 5400}}


def _set(config: dict, dotted: str, value) -> dict:
    config = copy.deepcopy(config)
    *path, last = dotted.split(".")
    target = config
    for key in path:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return config


class _Delete:
    def __repr__(self) -> str:   # a stable test id under xdist
        return "<absent>"


_DELETE = _Delete()

BAD_VALUES = [
    ("accounts.0.platform", "shopfiy", "accounts[0]: Unknown platform 'shopfiy'"),
    ("accounts.0.credentials", {}, "accounts[0]: Account 'Acme' is missing credentials: access_token"),
    ("accounts.0.credentials", {"access_token": 12345}, "accounts[0].credentials.access_token: expected a non-empty string, got a number"),
    ("accounts.0.direction", "both", "accounts[0].direction: 'both' is not one of to_netsuite, from_netsuite, off"),
    ("accounts.0.order_sync", "yes", "accounts[0].order_sync: expected true or false, got a string"),
    ("accounts.0.settings", {"item_map": []}, "accounts[0].settings.item_map: expected an object, got a list"),
    ("accounts.0.settings", {"colour": "red"}, "accounts[0].settings: unknown key 'colour'"),
    ("accounts.0.name", "  ", "accounts[0].name: expected a non-empty string, got a blank one"),
    ("accounts", [], "'accounts' is empty"),
    ("accounts", {"name": "Acme"}, "'accounts': expected a list, got an object"),
    ("netsuite.token_secret", _DELETE, "netsuite: missing token_secret"),
    ("netsuite.account_id", "1234567 SB1", "netsuite.account_id: '1234567 SB1' is not a NetSuite account id"),
    ("netsuite.concurrency_limit", 0, "netsuite.concurrency_limit: expected a whole number from 1 to 100, got a number"),
    ("netsuite.concurrency_limit", "5", "netsuite.concurrency_limit: expected a whole number from 1 to 100, got a string"),
    ("ledger", _DELETE, "'ledger' is missing"),
    ("ledger", 7, "ledger: expected a non-empty string, got a number"),
    ("passes", 0, "passes: expected a whole number from 1 to 10000, got a number"),
    ("passes", True, "passes: expected a whole number from 1 to 10000, got true"),
    ("hosts", {"a.example": "ftp://127.0.0.1:9"}, "hosts['a.example']: 'ftp://127.0.0.1:9' must be a http URL"),
    ("hosts", {"a.example": "http://127.0.0.1"}, "must be http://ADDRESS:PORT (no path)"),
    ("clock.start", "yesterday", "clock.start: 'yesterday' is not an ISO 8601 time"),
    ("clock.start", "2026-01-05T09:00:00", "clock.start: '2026-01-05T09:00:00' has no time zone"),
    ("clock.step_seconds", -1, "clock.step_seconds: expected a number of seconds"),
    ("seed", 1.5, "seed: expected a whole number"),
    ("colour", "red", "the configuration: unknown key 'colour'"),
]


def _run(capsys, path: Path) -> tuple[int, str]:
    status = main(["--config", str(path)])
    captured = capsys.readouterr()
    return status, captured.err + captured.out


@pytest.mark.parametrize(("key", "value", "message"), BAD_VALUES, ids=[f"{k}={v!r}"[:40] for k, v, _ in BAD_VALUES])
def test_a_bad_value_is_named_in_one_line_and_nothing_is_written(key, value, message, tmp_path: Path, capsys):
    path = tmp_path / "connector.json"
    path.write_text(json.dumps(_set(good(tmp_path), key, value)))
    status, said = _run(capsys, path)
    assert status == EXIT_CONFIG
    assert message in said and said.count("\n") == 1, said
    assert SECRET not in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["connector.json"]   # no ledger, nothing half-written


@pytest.mark.parametrize(("text", "message"), [
    ('{"ledger": ', "is not valid JSON (line 1, column 12)"),
    ('{"ledger": NaN}', "is not valid JSON"),
    ("[" * 100_000, "is not valid JSON"),
    ("[]", "the configuration: expected an object, got a list"),
])
def test_a_file_that_is_not_a_json_object_is_refused(text, message, tmp_path: Path, capsys):
    path = tmp_path / "connector.json"
    path.write_text(text)
    status, said = _run(capsys, path)
    assert status == EXIT_CONFIG and message in said and said.count("\n") == 1, said


def test_a_ledger_in_a_missing_directory_or_a_missing_file_is_named(tmp_path: Path, capsys):
    config = good(tmp_path)
    config["ledger"] = str(tmp_path / "no-such-dir" / "ledger.sqlite")
    (path := tmp_path / "connector.json").write_text(json.dumps(config))
    status, said = _run(capsys, path)
    assert status == EXIT_CONFIG and f"ledger: the directory {tmp_path / 'no-such-dir'} does not exist" in said
    assert not (tmp_path / "no-such-dir").exists()
    status, said = _run(capsys, tmp_path / "absent.json")
    assert status == EXIT_CONFIG and "cannot read" in said and "absent.json" in said


def test_the_process_exits_non_zero_with_the_message(tmp_path: Path):
    (path := tmp_path / "connector.json").write_text(json.dumps(_set(good(tmp_path), "accounts.0.platform", "x")))
    done = subprocess.run([sys.executable, "-m", "connector", "--config", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == EXIT_CONFIG and done.stderr.startswith("python -m connector: accounts[0]: Unknown platform")


def test_an_unknown_crash_point_is_refused_before_anything_runs(tmp_path: Path, capsys, monkeypatch):
    (path := tmp_path / "connector.json").write_text(json.dumps(good(tmp_path)))
    monkeypatch.setenv(crashpoints.ENV, "to_netsuite.nowhere")
    status, said = _run(capsys, path)
    assert status == EXIT_CONFIG and "no crash point 'to_netsuite.nowhere'" in said
    monkeypatch.setenv(crashpoints.ENV, "claims.claim_taken#0")
    assert _run(capsys, path)[0] == EXIT_CONFIG
    assert not (tmp_path / "ledger.sqlite").exists()
    crashpoints.arm("")   # this process goes on running tests: disarmed


def test_a_ledger_that_disagrees_with_the_file_is_refused_without_changes(tmp_path: Path, capsys):
    config = good(tmp_path)
    config["accounts"][0]["direction"] = "off"
    (path := tmp_path / "connector.json").write_text(json.dumps(config))
    status, said = _run(capsys, path)   # every account is off: the pass sends nothing
    assert status == 0 and json.loads(said)["pass"] == 0
    config["accounts"][0]["store"] = "LOC2"
    config["accounts"].insert(0, {**config["accounts"][0], "name": "Other", "store": "LOC3"})
    path.write_text(json.dumps(config))
    status, said = _run(capsys, path)
    assert status == EXIT_LEDGER_MISMATCH
    assert "account 'Acme' is square store 'LOC1' in the ledger but square store 'LOC2' in the configuration" in said
    from connector.ledger import Ledger
    from common.clock import ManualClock
    ledger = Ledger(tmp_path / "ledger.sqlite", ManualClock())
    try:
        assert [a.name for a in ledger.accounts()] == ["Acme"]   # 'Other' was not added either
    finally:
        ledger.close()


def test_each_message_of_a_pass_comes_with_its_facts(tmp_path: Path, capsys):
    config = good(tmp_path)
    config["accounts"][0]["order_sync"] = True
    config["hosts"] = {host: "http://127.0.0.1:9" for host in ("1234567-sb1.suitetalk.api.netsuite.com",
                                                                 "connect.squareup.com")}   # nothing answers there
    (path := tmp_path / "connector.json").write_text(json.dumps(config))
    status, said = _run(capsys, path)
    assert status == 0, said
    [failure] = json.loads(said)["failures"]
    assert failure["message"].startswith("Account 'Acme': order sync: ")
    assert json.loads(said)["messages"] == [failure["message"]]
    assert {key: failure[key] for key in ("kind", "retryable", "system", "status", "refund_id")} == {
        "kind": "unreachable", "retryable": True, "system": "Square", "status": 0, "refund_id": None}, failure
