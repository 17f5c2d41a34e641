"""The connector process's configuration file (JSON), checked whole before anything is opened.

Shape (every key not marked optional is required; no other key is accepted)::

    {
      "ledger": "/var/lib/refund-connector/ledger.sqlite",   # its directory must exist
      "netsuite": {"account_id": "1234567_SB1", "consumer_key": "...", "consumer_secret": "...",
                   "token_id": "...", "token_secret": "...",
                   "concurrency_limit": 5},          # optional, default 5: NetSuite requests in flight, every worker on the ledger together
      "accounts": [{"name": "Acme web store", "platform": "<a platform of connector.storefronts>",
                    "store": "<its store_hint>", "credentials": {"<its credential names>": "..."},
                    "settings": {"generic_refund_item_id": "12", ...},   # optional, AccountSettings fields
                    "order_sync": true,                                  # optional, default true
                    "direction": "to_netsuite"}],                       # to_netsuite | from_netsuite | off
      "hosts": {"acme.example-store.com": "http://127.0.0.1:8001"},       # optional, see below
      "clock": {"start": "2026-01-05T10:30:00Z", "step_seconds": 5400},  # optional, see below
      "passes": 1,                                                       # optional, default 1
      "seed": 0,                                                         # optional, seeds TBA nonces
      "webhook_base_url": "https://hooks.example.com"                    # optional
    }

``hosts`` sends requests for a real hostname to a base URL instead (a served simulator on a
loopback port, a proxy): the request keeps its ``Host`` header and signature. Without it the
connector resolves hostnames as usual.

``clock`` replaces the system clock with a stepped one: pass ``i`` (from 0) runs entirely at
``start + i * step_seconds``. It exists so a test can run the process against simulators on a
test clock (NetSuite refuses TBA timestamps more than 5 minutes off its own time) and get the
same run every time; a real deployment leaves it out.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

import httpx

from connector.activation import validate_new_account
from connector.errors import ConnectorError
from connector.model import AccountSettings, Direction
from connector.netsuite import DEFAULT_CONCURRENCY_LIMIT, MAX_CONCURRENCY_LIMIT, NetSuiteConfig, TbaCredentials

TBA_KEYS = ("account_id", "consumer_key", "consumer_secret", "token_id", "token_secret")
TOP_KEYS = {"ledger", "netsuite", "accounts", "hosts", "clock", "passes", "seed", "webhook_base_url"}
ACCOUNT_KEYS = {"name", "platform", "store", "credentials", "settings", "order_sync", "direction"}
SETTING_KEYS = {"generic_refund_item_id", "shipping_item_id", "payment_method_id", "item_map", "payment_method_map"}
MAX_PASSES = 10_000


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the file's problem in one line."""


@dataclass(frozen=True)
class AccountConfig:
    name: str
    platform: str
    store: str
    credentials: Mapping[str, str]
    settings: AccountSettings
    order_sync: bool
    direction: Direction


@dataclass(frozen=True)
class StepClockConfig:
    start: datetime
    step: timedelta


@dataclass(frozen=True)
class ConnectorConfig:
    ledger: Path
    netsuite: NetSuiteConfig
    accounts: tuple[AccountConfig, ...]
    hosts: Mapping[str, tuple[str, int]]   # hostname -> (loopback address, port)
    clock: StepClockConfig | None
    passes: int
    seed: int
    webhook_base_url: str


def load(path: str | Path) -> ConnectorConfig:
    """Read and check ``path``; raises ConfigError naming the first problem found."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ConfigError(f"{path} is not valid JSON{where}: {getattr(exc, 'msg', exc)}") from None
    return parse(data)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse(data: Any) -> ConnectorConfig:
    obj = _object(data, "the configuration")
    _known(obj, TOP_KEYS, "the configuration")
    for key in ("ledger", "netsuite", "accounts"):
        if key not in obj:
            raise ConfigError(f"'{key}' is missing")
    accounts = _list(obj["accounts"], "accounts")
    if not accounts:
        raise ConfigError("'accounts' is empty: name at least one storefront account")
    parsed = tuple(_account(entry, f"accounts[{n}]") for n, entry in enumerate(accounts))
    names = [a.name for a in parsed]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError(f"accounts: the name {twice[0]!r} is used more than once")
    passes = _integer(obj.get("passes", 1), "passes", 1, MAX_PASSES)
    return ConnectorConfig(
        ledger=_ledger(obj["ledger"]), netsuite=_netsuite(obj["netsuite"]), accounts=parsed,
        hosts=_hosts(obj.get("hosts", {})), clock=_clock(obj["clock"]) if "clock" in obj else None,
        passes=passes, seed=_integer(obj.get("seed", 0), "seed", 0, 2**63 - 1),
        webhook_base_url=_url(obj.get("webhook_base_url", "https://hooks.refund-connector.test"),
                              "webhook_base_url", ("https", "http")))


# --- pieces ----------------------------------------------------------------------------------
def _ledger(value: Any) -> Path:
    path = Path(_string(value, "ledger"))
    if not path.parent.is_dir():
        raise ConfigError(f"ledger: the directory {path.parent} does not exist (create it first)")
    if path.is_dir():
        raise ConfigError(f"ledger: {path} is a directory; name the ledger file inside it")
    return path


def _netsuite(value: Any) -> NetSuiteConfig:
    obj = _object(value, "netsuite")
    _known(obj, set(TBA_KEYS) | {"concurrency_limit"}, "netsuite")
    absent = [key for key in TBA_KEYS if key not in obj]
    if absent:
        raise ConfigError(f"netsuite: missing {', '.join(absent)}")
    values = {key: _string(obj[key], f"netsuite.{key}") for key in TBA_KEYS}
    account_id = values.pop("account_id")
    if not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in account_id):
        raise ConfigError(f"netsuite.account_id: {account_id!r} is not a NetSuite account id (e.g. 1234567_SB1)")
    limit = _integer(obj.get("concurrency_limit", DEFAULT_CONCURRENCY_LIMIT), "netsuite.concurrency_limit", 1,
                     MAX_CONCURRENCY_LIMIT)
    return NetSuiteConfig(account_id=account_id, credentials=TbaCredentials(**values), concurrency_limit=limit)


def _account(value: Any, where: str) -> AccountConfig:
    obj = _object(value, where)
    _known(obj, ACCOUNT_KEYS, where)
    absent = [key for key in ("name", "platform", "store", "credentials", "direction") if key not in obj]
    if absent:
        raise ConfigError(f"{where}: missing {', '.join(absent)}")
    name = _string(obj["name"], f"{where}.name")
    platform = _string(obj["platform"], f"{where}.platform")
    store = _string(obj["store"], f"{where}.store")
    credentials = _string_map(obj["credentials"], f"{where}.credentials")
    try:   # the connector's own rules: a known platform, its credentials present
        validate_new_account(name, platform, store, credentials)
    except ConnectorError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    direction_text = _string(obj["direction"], f"{where}.direction")
    try:
        direction = Direction(direction_text)
    except ValueError:
        raise ConfigError(f"{where}.direction: {direction_text!r} is not one of "
                          f"{', '.join(d.value for d in Direction)}") from None
    order_sync = obj.get("order_sync", True)
    if not isinstance(order_sync, bool):
        raise ConfigError(f"{where}.order_sync: expected true or false, got {_kind(order_sync)}")
    return AccountConfig(name, platform, store, credentials, _settings(obj.get("settings", {}), f"{where}.settings"),
                         order_sync, direction)


def _settings(value: Any, where: str) -> AccountSettings:
    obj = _object(value, where)
    _known(obj, SETTING_KEYS, where)
    ids = {}
    for key in ("generic_refund_item_id", "shipping_item_id", "payment_method_id"):
        if obj.get(key) is not None:
            ids[key] = _string(obj[key], f"{where}.{key}")
    maps = {key: _string_map(obj.get(key, {}), f"{where}.{key}") for key in ("item_map", "payment_method_map")}
    return AccountSettings(**ids, **maps)


def _hosts(value: Any) -> dict[str, tuple[str, int]]:
    hosts = {}
    for host, target in _object(value, "hosts").items():
        url = httpx.URL(_url(target, f"hosts[{host!r}]", ("http",)))
        if url.port is None or url.path not in ("", "/"):
            raise ConfigError(f"hosts[{host!r}]: {target!r} must be http://ADDRESS:PORT (no path)")
        hosts[host.lower()] = (url.host, url.port)
    return hosts


def _clock(value: Any) -> StepClockConfig:
    obj = _object(value, "clock")
    _known(obj, {"start", "step_seconds"}, "clock")
    if "start" not in obj:
        raise ConfigError("clock: missing start")
    text = _string(obj["start"], "clock.start")
    try:
        start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"clock.start: {text!r} is not an ISO 8601 time (e.g. 2026-01-05T10:30:00Z)") from None
    if start.tzinfo is None:
        raise ConfigError(f"clock.start: {text!r} has no time zone (end it with Z for UTC)")
    step = obj.get("step_seconds", 5400)
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step) or not 0 <= step <= 10**8:
        raise ConfigError(f"clock.step_seconds: expected a number of seconds from 0 to 100000000, got {_kind(step)}")
    return StepClockConfig(start, timedelta(seconds=step))


# --- checked primitives --------------------------------------------------------------------
def _kind(value: Any) -> str:
    """What a value is, never what it says (a misplaced secret must not reach a message or log)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    for types, name in ((str, "a string"), ((int, float), "a number"), (dict, "an object"), (list, "a list")):
        if isinstance(value, types):
            return name
    return type(value).__name__


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected an object, got {_kind(value)}")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"'{where}': expected a list, got {_kind(value)}")
    return value


def _known(obj: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {'a blank one' if isinstance(value, str) else _kind(value)}")
    if any(ch in value for ch in "\x00\r\n"):
        raise ConfigError(f"{where}: contains a control character")
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    obj = _object(value, where)
    return {key: _string(item, f"{where}.{key}") for key, item in obj.items()}


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}: expected a whole number from {low} to {high}, got {_kind(value)}")
    return value


def _url(value: Any, where: str, schemes: tuple[str, ...]) -> str:
    text = _string(value, where)
    try:
        url = httpx.URL(text)
        port = url.port
    except (httpx.InvalidURL, ValueError):
        raise ConfigError(f"{where}: {text!r} is not a URL") from None
    if url.scheme not in schemes or not url.host:
        raise ConfigError(f"{where}: {text!r} must be a {' or '.join(schemes)} URL with a host")
    del port
    return text
