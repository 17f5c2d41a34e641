"""The ledger's tables and the migrations that bring an existing ledger file up to date.

``BASE_SCHEMA`` is version 1, the schema every ledger file ever written started from. Each later
version is one entry of ``MIGRATIONS``; opening a ledger applies the ones it lacks, in order, inside
the opener's transaction, and records the version reached in ``meta``. A ledger file written before
versions were recorded has no ``schema_version`` row and is version 1.
"""
from __future__ import annotations

import itertools
import os
import re
import sqlite3
import tempfile
import threading
from pathlib import Path

from connector.errors import ConnectorError

BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    store TEXT NOT NULL,
    credentials TEXT NOT NULL,
    settings TEXT NOT NULL,
    direction TEXT NOT NULL DEFAULT 'off',
    order_sync_active INTEGER NOT NULL DEFAULT 0,
    order_sync_cutoff TEXT,
    orders_synced_through TEXT,
    refund_sync_since TEXT,
    last_refund_run_at TEXT,
    next_refund_run_at TEXT,
    netsuite_watermark INTEGER NOT NULL DEFAULT 0,
    webhook_registered INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    order_id TEXT NOT NULL,
    order_name TEXT NOT NULL,
    sales_order_id TEXT NOT NULL,
    sales_order_tranid TEXT,
    external_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    payment_ids TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    PRIMARY KEY (account_id, order_id)
);
CREATE INDEX IF NOT EXISTS orders_by_sales_order ON orders (account_id, sales_order_id);
CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    direction TEXT NOT NULL,
    source_id TEXT NOT NULL,
    source_name TEXT,
    source_status TEXT NOT NULL,
    order_id TEXT NOT NULL,
    order_name TEXT,
    status TEXT NOT NULL,
    error TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    warning TEXT,
    target_type TEXT,
    target_id TEXT,
    target_name TEXT,
    currency TEXT NOT NULL,
    total TEXT NOT NULL,
    lines TEXT NOT NULL,
    line_items INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (account_id, direction, source_id)
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    webhook_id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
"""


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 2: the TO_NETSUITE retrieval watermark. A ledger from before it had only the last run's time,
    # which is where its retrievals started from, so that is where the watermark starts.
    ("ALTER TABLE accounts ADD COLUMN refunds_retrieved_through TEXT",
     "UPDATE accounts SET refunds_retrieved_through = last_refund_run_at"),
    # 3: claims. The worker posting a refund holds it until claim_expires_at (on the connector's clock).
    ("ALTER TABLE refunds ADD COLUMN claimed_by TEXT",
     "ALTER TABLE refunds ADD COLUMN claim_expires_at TEXT"),
    # 4: the scheduled run reads only the open refunds of an account, by index, so its cost does not grow
    # with every refund ever posted; the earliest synced order is read the same way.
    ("CREATE INDEX IF NOT EXISTS refunds_open ON refunds (account_id, direction, status, retryable)",
     "CREATE INDEX IF NOT EXISTS orders_by_synced_at ON orders (account_id, synced_at)"),
    # 5: what a refund pushed to a storefront became there, by index: a storefront refund the connector
    # made is never retrieved back into NetSuite, even where the storefront cannot carry a marker.
    ("CREATE INDEX IF NOT EXISTS refunds_by_target ON refunds (account_id, target_id)",),
    # 6: NetSuite concurrency slots (connector/slots.py). Every worker on this ledger leases one per request
    # until lease_expires_at (on the connector's clock), so together they stay within the account's limit.
    ("CREATE TABLE IF NOT EXISTS netsuite_slots (netsuite_account TEXT NOT NULL, slot INTEGER NOT NULL,"
     " holder TEXT, lease_expires_at TEXT, PRIMARY KEY (netsuite_account, slot))",),
    # 7: an account's scheduled run is one worker's at a time: the worker running it holds it until
    # run_claim_expires_at (on the connector's clock), and the other workers go on to other accounts.
    ("ALTER TABLE accounts ADD COLUMN run_claimed_by TEXT",
     "ALTER TABLE accounts ADD COLUMN run_claim_expires_at TEXT"),
    # 8: what a push to a storefront that never returns the push marker saw before it was sent: the
    # order's refund ids (a JSON list) and the amount pushed. A push whose answer was lost is recognised
    # from them by any worker, after a restart too. NULL on rows never pushed that way.
    ("ALTER TABLE refunds ADD COLUMN push_known_refunds TEXT",
     "ALTER TABLE refunds ADD COLUMN push_amount TEXT"),
    # 9: an error's facts beside its sentence (connector.errors.ErrorFacts; retryable has its own column
    # since version 1): its kind, the system it came from, the HTTP status. NULL on rows without an error
    # and on errors recorded before version 9, whose facts were never kept.
    ("ALTER TABLE refunds ADD COLUMN error_kind TEXT",
     "ALTER TABLE refunds ADD COLUMN error_system TEXT",
     "ALTER TABLE refunds ADD COLUMN error_status INTEGER"),
)
SCHEMA_VERSION = 1 + len(MIGRATIONS)
LEDGER_TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", BASE_SCHEMA))
SQLITE_HEADER = b"SQLite format 3\x00"   # the first 16 bytes of every SQLite database file
LEFT_UNCHANGED = "The file was left unchanged."


class LedgerUnusable(ConnectorError):
    """A ledger file this connector must not open: not SQLite, another program's database, or written by
    a newer connector. The message names the file and the problem; nothing was written to the file."""


def schema_version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return 1
    try:
        return int(row[0])
    except ValueError:
        raise LedgerUnusable(f"its schema_version is {str(row[0])[:40]!r}, not a number; it was not written by "
                             "this connector, or has been edited by hand") from None


def _too_new(version: int) -> str:
    return (f"the ledger is schema version {version}, newer than this connector understands ({SCHEMA_VERSION}): a "
            "newer connector wrote it; upgrade this connector to open it")


def check_ledger_file(path: str | Path) -> None:
    """Refuse, with ``LedgerUnusable`` and before anything opens it for writing, a file at ``path`` that is
    not this connector's ledger. Reads only. A path with no file, or an empty file, or a SQLite database with
    no tables at all, passes: opening it makes a fresh ledger."""
    file = Path(path)
    if str(path) == ":memory:" or not file.exists():
        return
    where = f"Ledger file {file}"
    if file.is_dir():
        raise LedgerUnusable(f"{where} is a directory; point 'ledger' at a file (a new path starts a fresh ledger).")
    if file.stat().st_size == 0:
        return
    with file.open("rb") as opened:
        header = opened.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise LedgerUnusable(f"{where} is not a SQLite database, so not a connector ledger; point 'ledger' at the "
                             f"connector's ledger file, or at a new path to start a fresh ledger. {LEFT_UNCHANGED}")
    try:
        db = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise LedgerUnusable(f"{where} cannot be opened ({exc}). {LEFT_UNCHANGED}") from None
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [table for table in LEDGER_TABLES if table not in tables]
        if tables - {"sqlite_sequence"} and missing:
            raise LedgerUnusable(f"{where} is a SQLite database without the ledger's tables ({', '.join(missing)} "
                                 f"missing; it has {', '.join(sorted(tables)[:5])}): another program's database, "
                                 "not a connector ledger. Point 'ledger' at the connector's ledger file, or at a new "
                                 f"path to start a fresh ledger. {LEFT_UNCHANGED}")
        if not missing:
            version = schema_version(db)
            if version > SCHEMA_VERSION:
                raise LedgerUnusable(f"{where}: {_too_new(version)}. {LEFT_UNCHANGED}")
    except LedgerUnusable as exc:
        if str(exc).startswith(where):
            raise
        raise LedgerUnusable(f"{where}: {exc}. {LEFT_UNCHANGED}") from None
    except sqlite3.DatabaseError as exc:
        raise LedgerUnusable(f"{where} cannot be read as a SQLite database ({exc}); it is damaged or not a "
                             f"ledger. {LEFT_UNCHANGED}") from None
    finally:
        db.close()


def migrate(db: sqlite3.Connection) -> None:
    """Create the tables of a new ledger, or bring an older one to ``SCHEMA_VERSION``. Call in a transaction."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:   # checked before anything is created: a newer ledger is refused as it is
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise LedgerUnusable(f"{_too_new(version)}.")
    for statement in BASE_SCHEMA.split(";"):   # executescript would commit the caller's transaction
        if statement.strip():
            db.execute(statement)
    version = schema_version(db)
    for statements in MIGRATIONS[version - 1:]:
        for statement in statements:
            db.execute(statement)
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


_fresh_image: bytes | None = None
_fresh_image_lock = threading.Lock()
_copies = itertools.count()


def _fresh_ledger_image() -> bytes:
    """The bytes of a new ledger file as opening one makes it (WAL mode, every table, this schema version,
    nothing else), made once per process by ``migrate`` itself."""
    global _fresh_image
    with _fresh_image_lock:
        if _fresh_image is None:
            with tempfile.TemporaryDirectory(prefix="ledger-image-") as folder:
                path = Path(folder) / "fresh.sqlite3"
                db = sqlite3.connect(path, isolation_level=None)
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("BEGIN IMMEDIATE")
                    migrate(db)
                    db.execute("COMMIT")
                finally:
                    db.close()   # the last connection checkpoints: the file holds everything, the WAL is gone
                _fresh_image = path.read_bytes()
        return _fresh_image


def create_from_image(path: str | Path) -> bool:
    """Create a new ledger file at ``path`` as a copy of a fresh ledger (``_fresh_ledger_image``) instead of
    switching an empty file to WAL and migrating it, which writes and syncs the file several times over.
    The copy is not synced to disk: for ledgers that need only survive a crash of the process (synchronous
    NORMAL). It appears whole or not at all (written aside, then linked in), and never replaces a file
    another opener created meanwhile. False, with nothing written, when ``path`` exists or cannot be
    written; the opener then makes the ledger the usual way (and reports any problem as it always has)."""
    file = Path(path)
    if str(path) == ":memory:" or file.exists():
        return False
    aside = file.with_name(f".{file.name}.{os.getpid()}.{next(_copies)}.new")
    try:
        aside.write_bytes(_fresh_ledger_image())
        os.link(aside, file)
    except OSError:
        return False
    finally:
        aside.unlink(missing_ok=True)
    return True
