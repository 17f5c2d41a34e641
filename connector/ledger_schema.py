"""The ledger's tables and the migrations that bring an existing ledger file up to date.

``BASE_SCHEMA`` is version 1, the schema every ledger file ever written started from. Each later
version is one entry of ``MIGRATIONS``; opening a ledger applies the ones it lacks, in order, inside
the opener's transaction, and records the version reached in ``meta``. A ledger file written before
versions were recorded has no ``schema_version`` row and is version 1.
"""
from __future__ import annotations

import sqlite3

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
)
SCHEMA_VERSION = 1 + len(MIGRATIONS)


def schema_version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 1


def migrate(db: sqlite3.Connection) -> None:
    """Create the tables of a new ledger, or bring an older one to ``SCHEMA_VERSION``. Call in a transaction."""
    for statement in BASE_SCHEMA.split(";"):   # executescript would commit the caller's transaction
        if statement.strip():
            db.execute(statement)
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise ConnectorError(f"This ledger file is schema version {version}, newer than this connector "
                           f"understands ({SCHEMA_VERSION}); upgrade the connector.")
    for statements in MIGRATIONS[version - 1:]:
        for statement in statements:
            db.execute(statement)
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
