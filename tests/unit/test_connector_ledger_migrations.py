"""Opening a ledger file written by an older connector brings it up to date and keeps its data; a file
that is not a ledger this connector can use is refused by name and left as it was."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from common.clock import ManualClock
from connector import AccountSettings, ConnectorError
from connector.cli import EXIT_LEDGER_UNUSABLE, main
from connector.ledger import Ledger
from connector.ledger_schema import BASE_SCHEMA, SCHEMA_VERSION, LedgerUnusable, create_from_image, schema_version

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
    with pytest.raises(ConnectorError, match="upgrade this connector"):
        Ledger(path, ManualClock())


# --- files the connector must not adopt: refused by name, left as they were -----------------------------
def _fingerprint(path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def _not_sqlite(path) -> None:
    path.write_text('{"ledger": "this is a JSON file, not a ledger"}\n')


def _other_programs_database(path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
        db.execute("INSERT INTO invoices (total) VALUES ('10.00')")
    db.close()


def _newer_ledger(path) -> None:
    Ledger(path, ManualClock()).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()


UNUSABLE = [
    (_not_sqlite, "is not a SQLite database"),
    (_other_programs_database, "is a SQLite database without the ledger's tables (meta, accounts, orders, refunds, "
                               "webhook_deliveries missing; it has invoices)"),
    (_newer_ledger, f"the ledger is schema version {SCHEMA_VERSION + 1}, newer than this connector understands "
                    f"({SCHEMA_VERSION})"),
]


@pytest.mark.parametrize(("make", "problem"), UNUSABLE, ids=[make.__name__.strip("_") for make, _ in UNUSABLE])
def test_a_file_that_is_not_a_usable_ledger_is_refused_by_name_and_left_unchanged(make, problem, tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    make(path)
    before = _fingerprint(path)
    with pytest.raises(LedgerUnusable) as refused:
        Ledger(path, ManualClock())
    said = str(refused.value)
    assert str(path) in said and problem in said and "\n" not in said, said
    assert "left unchanged" in said
    assert _fingerprint(path) == before


@pytest.mark.parametrize(("make", "problem"), UNUSABLE, ids=[make.__name__.strip("_") for make, _ in UNUSABLE])
def test_the_process_says_it_in_one_line_and_exits_non_zero(make, problem, tmp_path, capsys) -> None:
    from tests.unit.test_connector_config_file import good

    path = tmp_path / "ledger.sqlite"
    make(path)
    before = _fingerprint(path)
    (config := tmp_path / "connector.json").write_text(json.dumps(good(tmp_path)))
    assert main(["--config", str(config)]) == EXIT_LEDGER_UNUSABLE
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"python -m connector: Ledger file {path}") and problem in captured.err
    assert _fingerprint(path) == before


@pytest.mark.parametrize("start", ["absent", "empty", "sqlite without tables"])
def test_a_new_or_empty_path_still_makes_a_fresh_ledger(start, tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    if start == "empty":
        path.touch()
    elif start == "sqlite without tables":
        sqlite3.connect(path).close()
    ledger = Ledger(path, ManualClock())
    try:
        assert ledger.accounts() == []
    finally:
        ledger.close()
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION
    db.close()


def test_a_ledger_from_before_push_snapshots_keeps_its_refunds_with_none(tmp_path) -> None:
    """Version 6 added the push snapshot; a refund recorded before it has none and is pushed as before."""
    from connector.ledger_schema import MIGRATIONS
    from connector.model import Direction

    path = tmp_path / "ledger.sqlite3"
    _version_1_ledger(path)
    with sqlite3.connect(path) as db:
        for statements in MIGRATIONS[:4]:   # to version 5, as the connector before snapshots left it
            for statement in statements:
                db.execute(statement)
        db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '5')")
        db.execute("INSERT INTO refunds (account_id, direction, source_id, source_status, order_id, status,"
                   " currency, total, lines, line_items, created_at, updated_at) VALUES (1, 'from_netsuite', 'CR1',"
                   " 'completed', 'o1', 'retrieved', 'USD', '5.00', '[]', 0, ?, ?)",
                   (LAST_RUN.isoformat(), LAST_RUN.isoformat()))
    db.close()
    ledger = Ledger(path, ManualClock())
    try:
        [row] = ledger.refunds()
        assert (row.source_id, row.direction, row.push_snapshot) == ("CR1", Direction.FROM_NETSUITE, None)
    finally:
        ledger.close()
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION
    db.close()


def _contents(path) -> dict:
    """What a ledger file holds, apart from how its pages are laid out: its schema, its rows, its journal mode."""
    with sqlite3.connect(path) as db:
        schema = sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall(), key=repr)
        tables = [name for kind, name, _ in schema if kind == "table" and name != "sqlite_sequence"]
        rows = {table: sorted(db.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    return {"schema": schema, "rows": rows, "journal_mode": mode}


def test_a_new_normal_ledger_starts_as_a_copy_holding_what_a_migrated_one_holds(tmp_path) -> None:
    """A new ledger with synchronous NORMAL is created from a fresh image instead of being migrated
    (create_from_image); opened, used and closed, its file holds exactly what a FULL one made the usual
    way holds, and nothing else is left in its folder."""
    made = {}
    for mode in ("FULL", "NORMAL"):
        folder = tmp_path / mode
        folder.mkdir()
        ledger = Ledger(folder / "ledger.sqlite3", ManualClock(), synchronous=mode)
        assert ledger.incarnation == 1 and ledger.worker_id == "worker-1"
        ledger.add_account("Acme", "shopify", "acme", {"access_token": "t"}, AccountSettings())
        ledger.close()
        assert sorted(p.name for p in folder.iterdir()) == ["ledger.sqlite3"]
        made[mode] = _contents(folder / "ledger.sqlite3")
    assert made["NORMAL"] == made["FULL"]
    assert made["NORMAL"]["journal_mode"] == "wal"


def test_the_image_never_replaces_a_file_and_an_unwritable_path_fails_as_before(tmp_path) -> None:
    existing = tmp_path / "ledger.sqlite3"
    existing.write_bytes(b"")
    assert create_from_image(existing) is False and existing.read_bytes() == b""
    assert create_from_image(":memory:") is False
    missing_folder = tmp_path / "no-such-folder" / "ledger.sqlite3"
    assert create_from_image(missing_folder) is False
    errors = {}
    for mode in ("FULL", "NORMAL"):
        with pytest.raises(sqlite3.OperationalError) as raised:
            Ledger(missing_folder, ManualClock(), synchronous=mode)
        errors[mode] = str(raised.value)
    assert errors["NORMAL"] == errors["FULL"] == "unable to open database file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite3"]


def test_a_ledger_from_before_error_facts_keeps_its_errors_without_facts(tmp_path) -> None:
    """Version 9 keeps an error's facts; an error recorded before it keeps its sentence and has none."""
    from connector.ledger_schema import MIGRATIONS

    path = tmp_path / "ledger.sqlite3"
    _version_1_ledger(path)
    with sqlite3.connect(path) as db:
        for statements in MIGRATIONS[:7]:   # to version 8, as the connector before error facts left it
            for statement in statements:
                db.execute(statement)
        db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '8')")
        db.execute("INSERT INTO refunds (account_id, direction, source_id, source_status, order_id, status, error,"
                   " retryable, currency, total, lines, line_items, created_at, updated_at) VALUES (1, 'to_netsuite',"
                   " '901', 'completed', 'o1', 'error', 'Order #1001 is not billed yet.', 1, 'USD', '5.00', '[]', 0,"
                   " ?, ?)", (LAST_RUN.isoformat(), LAST_RUN.isoformat()))
    db.close()
    ledger = Ledger(path, ManualClock())
    try:
        [row] = ledger.refunds()
        assert (row.error, row.retryable, row.error_facts) == ("Order #1001 is not billed yet.", True, None)
    finally:
        ledger.close()
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION == 9
    db.close()
