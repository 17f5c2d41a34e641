"""``python -m connector --config FILE``: the connector as a process. It brings the ledger's accounts in
line with the configuration file, then runs the configured number of scheduled passes and exits.

Each pass: order sync for every account that has it on, switching refund sync on where it is not yet
(refused while a prerequisite is missing, then tried again next pass), then ``run_scheduled``. One JSON
line per pass goes to stdout. Exit status: 0 after the passes (refunds in ERROR are data, listed in
the pass's messages), 2 for a configuration file that cannot be used (nothing is opened or written),
3 for a ledger file that cannot be used (not SQLite, another program's database, or written by a newer
connector; left unchanged), 1 when the ledger disagrees with the file (an account of that name on
another platform or store).
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import datetime
from typing import Sequence

import httpx

from common.clock import Clock, SystemClock
from common.hostmap import HostMappingTransport
from connector import crashpoints
from connector.config import AccountConfig, ConfigError, ConnectorConfig, StepClockConfig, load
from connector.engine import Connector
from connector.errors import ActivationRefused, ConnectorError, error_facts
from connector.ledger_schema import LedgerUnusable
from connector.model import Account, Direction
from connector.schedule import RunFailure

EXIT_CONFIG = 2
EXIT_LEDGER_MISMATCH = 1
EXIT_LEDGER_UNUSABLE = 3
HTTP_TIMEOUT_S = 30.0


class SteppedClock:
    """Stands still within a pass; ``next_pass`` moves it on by the configured step."""

    def __init__(self, config: StepClockConfig) -> None:
        self._now = config.start
        self._step = config.step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def next_pass(self) -> None:
        with self._lock:
            self._now += self._step


def http_client(config: ConnectorConfig) -> httpx.Client:
    if not config.hosts:
        return httpx.Client(timeout=HTTP_TIMEOUT_S)
    hosts = dict(config.hosts)
    return httpx.Client(timeout=HTTP_TIMEOUT_S,
                        transport=HostMappingTransport(lambda host: hosts.get(host.lower()), lambda: sorted(hosts)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="the JSON configuration file (see connector/config.py)")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
        crashpoints.arm()
    except (ConfigError, ValueError) as exc:
        print(f"python -m connector: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    clock: Clock = SteppedClock(config.clock) if config.clock else SystemClock()
    with http_client(config) as http:
        try:
            connector = Connector(ledger_path=config.ledger, clock=clock, netsuite=config.netsuite, http=http,
                                  seed=config.seed, webhook_base_url=config.webhook_base_url)
        except LedgerUnusable as exc:
            print(f"python -m connector: {exc}", file=sys.stderr)
            return EXIT_LEDGER_UNUSABLE
        try:
            try:
                accounts = bring_accounts_in_line(connector, config.accounts)
            except ConnectorError as exc:
                print(f"python -m connector: {exc}", file=sys.stderr)
                return EXIT_LEDGER_MISMATCH
            for number in range(config.passes):
                if number and isinstance(clock, SteppedClock):
                    clock.next_pass()
                print(json.dumps(run_pass(connector, accounts, number, clock.now())), flush=True)
        finally:
            connector.close()
    return 0


def bring_accounts_in_line(connector: Connector, wanted: Sequence[AccountConfig]) -> list[tuple[Account, AccountConfig]]:
    """Each configured account, added on first sight, its settings kept as the file says."""
    existing = {account.name: account for account in connector.accounts()}
    for entry in wanted:   # every mismatch is refused before anything is written
        found = existing.get(entry.name)
        if found is not None and (found.platform, found.store) != (entry.platform, entry.store):
            raise ConnectorError(f"account {entry.name!r} is {found.platform} store {found.store!r} in the ledger "
                                 f"but {entry.platform} store {entry.store!r} in the configuration; rename one")
    accounts = []
    for entry in wanted:
        found = existing.get(entry.name)
        if found is None:
            found = connector.add_account(entry.name, entry.platform, entry.store, entry.credentials, entry.settings)
        elif found.settings != entry.settings:
            found = connector.update_settings(found.id, entry.settings)
        accounts.append((found, entry))
    return accounts


def run_pass(connector: Connector, accounts: Sequence[tuple[Account, AccountConfig]], number: int,
             now: datetime) -> dict:
    failures: list[RunFailure] = []
    orders_synced = 0
    for account, entry in accounts:
        if entry.order_sync:
            connector.activate_order_sync(account.id)
            try:
                orders_synced += len(connector.sync_orders(account.id))
            except ConnectorError as exc:   # OrderSyncFailed keeps the orders that did sync
                orders_synced += len(getattr(exc, "synced", ()))
                failures.append(RunFailure(f"Account '{entry.name}': order sync: {exc}", error_facts(exc), account.id))
        elif connector.account(account.id).order_sync_active:
            connector.deactivate_order_sync(account.id)
        current = connector.account(account.id).direction
        if current is entry.direction:
            continue
        try:
            if entry.direction is Direction.OFF or current is not Direction.OFF:
                connector.disable_refund_sync(account.id)   # one direction at a time: off first
            if entry.direction is not Direction.OFF:
                connector.enable_refund_sync(account.id, entry.direction)
        except ActivationRefused as exc:   # tried again next pass
            failures.append(RunFailure(str(exc), error_facts(exc), account.id))
    summary = connector.run_scheduled()
    failures += summary.failures
    return {"pass": number, "now": now.isoformat(), "orders_synced": orders_synced, "retrieved": summary.retrieved,
            "posted": summary.posted, "errors": summary.errors, "pending": summary.pending,
            "skipped": summary.skipped, "messages": [failure.message for failure in failures],
            "failures": [{"message": failure.message, **(failure.facts.as_dict() if failure.facts else {}),
                          "account_id": failure.account_id, "refund_id": failure.refund_id} for failure in failures]}
