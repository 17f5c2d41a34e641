"""Opening a ledger file written by an older connector brings it up to date and keeps its data."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from common.clock import ManualClock
from connector import ConnectorError
from connector.ledger import Ledger
from connector.ledger_schema import BASE_SCHEMA, SCHEMA_VERSION, schema_version

LAST_RUN = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _version_1_ledger(path) -> None:
    """A ledger as the first connector release left it: base schema, no schema_version recorded."""
    db = sqlite3.connect(path)
    db.executescript(BASE_SCHEMA)
    db.execute("INSERT INTO accounts (name, platform, store, credentials, settings, direction, last_refund_run_at,"
               " created_at, updated_at) VALUES ('Old', 'shopify', 'old-shop', '{}', ?, 'to_netsuite', ?, ?, ?)",
               (json.dumps({}), LAST_RUN.isoformat(), LAST_RUN.isoformat(), LAST_RUN.isoformat()))
    db.commit()
    db.close()


def test_an_old_ledger_is_migrated_and_keeps_where_retrieval_stood(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _version_1_ledger(path)
    ledger = Ledger(path, ManualClock())
    [account] = ledger.accounts()
    assert account.refunds_retrieved_through == LAST_RUN   # retrievals went on from the last run, as before
    ledger.close()
    again = Ledger(path, ManualClock())                    # opening it again changes nothing
    assert again.accounts() == [account]
    again.close()
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION


def test_an_old_ledger_gets_the_netsuite_slots_table(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _version_1_ledger(path)
    ledger = Ledger(path, ManualClock())
    assert ledger.lease_netsuite_slot("1234567_SB1", 2, timedelta(minutes=2)) is not None
    assert list(ledger.netsuite_slot_holders("1234567_SB1")) == [0]
    ledger.close()


def test_a_ledger_from_a_newer_connector_is_refused(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path, ManualClock()).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(ConnectorError, match="upgrade the connector"):
        Ledger(path, ManualClock())
