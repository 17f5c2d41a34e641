"""SuiteQL over an in-memory SQLite mirror of the tables and columns the wire contract lists.

The account model writes every record through to the mirror when it commits; a client's query
runs against the mirror under an authorizer that allows reading the mirrored tables and nothing
else, so only one read-only SELECT can ever execute. Values come back as strings, NULLs omitted,
column names lower-case, as NetSuite's SuiteQL endpoint answers.
"""
from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from typing import Any

from common.clock import isoformat
from simulators.netsuite import rownum
from simulators.netsuite.models import ITEM_KINDS, Currency, Customer, Item, NetSuiteError, Transaction

MAX_RESULTS = 100_000                 # NetSuite's cap on one SuiteQL result set
_PROGRESS_STEP = 1_000                # SQLite VM instructions between progress callbacks
_MAX_PROGRESS_CALLS = 20_000          # abort a query after ~20M instructions (a runaway CTE)

_SCHEMA = """
CREATE TABLE currency (id INTEGER PRIMARY KEY, symbol TEXT, name TEXT);
CREATE TABLE customer (id INTEGER PRIMARY KEY, entityid TEXT, externalid TEXT, email TEXT);
CREATE TABLE item (id INTEGER PRIMARY KEY, itemid TEXT, itemtype TEXT, displayname TEXT);
CREATE TABLE "transaction" (id INTEGER PRIMARY KEY, tranid TEXT, type TEXT, externalid TEXT, entity INTEGER,
    currency INTEGER, foreigntotal NUMERIC, trandate TEXT, createddate TEXT, memo TEXT);
CREATE TABLE transactionline (id INTEGER, "transaction" INTEGER, linesequencenumber INTEGER, mainline TEXT,
    item INTEGER, quantity NUMERIC, rate NUMERIC, netamount NUMERIC, createdfrom INTEGER,
    PRIMARY KEY ("transaction", id));
-- what clients look records up by, so a lookup costs the same however many records the account holds
CREATE INDEX transactionline_createdfrom ON transactionline (createdfrom);
CREATE INDEX transaction_tranid ON "transaction" (tranid);
CREATE INDEX transaction_externalid ON "transaction" (externalid);
CREATE INDEX transaction_type ON "transaction" (type, id);
CREATE INDEX item_itemid ON item (itemid);
CREATE INDEX customer_externalid ON customer (externalid);
"""
_TABLES = frozenset({"currency", "customer", "item", "transaction", "transactionline"})
# Functions a SuiteQL query may call, by the name SQLite knows them. Anything else (fts3_tokenizer
# hands out a process pointer, randomblob and zeroblob grow a result at will, load_extension ...)
# is refused: SuiteQL is a reporting language over the account, not a sandbox escape.
ALLOWED_FUNCTIONS = frozenset({
    "abs", "avg", "coalesce", "count", "ifnull", "instr", "length", "like", "lower", "ltrim", "max", "min",
    "nullif", "replace", "round", "row_number", "rtrim", "substr", "substring", "sum", "total", "trim", "upper",
    "date", "datetime", "strftime", "julianday", "cast", "printf", "group_concat", "iif"})
MAX_VALUE_BYTES = 1_000_000   # no single value of a result grows past this
_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                              sqlite3.SQLITE_RECURSIVE})

# String literals, quoted identifiers, comments, and the bare word TRANSACTION, which SQLite reserves
# but SuiteQL uses as a table and column name.
_TOKENS = re.compile(r"""('(?:[^']|'')*')|("(?:[^"]|"")*")|(--[^\n]*|/\*.*?\*/)|\b(transaction)\b""",
                     re.IGNORECASE | re.DOTALL)


def invalid_query(reason: str) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", f"Invalid search query. Detailed unprocessed description follows. "
                                            f"{reason}", path="q")


def prepare(query: str) -> str:
    """The client's SuiteQL as SQLite runs it; refuses anything but one SELECT statement."""
    code_only = _TOKENS.sub(lambda m: " " if m.group(3) else ("''" if m.group(1) or m.group(2) else m.group(0)),
                            query)
    if ";" in code_only:
        raise invalid_query("Only one SELECT statement is allowed; remove the ';'.")
    if not re.match(r"\s*select\b", code_only, re.IGNORECASE):
        raise invalid_query("Only SELECT statements are allowed.")
    sql = _TOKENS.sub(lambda m: '"transaction"' if m.group(4) else m.group(0), query)
    try:
        return rownum.translate(sql)
    except rownum.RownumError as exc:
        raise invalid_query(str(exc)) from None


def as_text(value: Any) -> str:
    if isinstance(value, float):
        # 15 significant digits undo binary noise (0.1 + 0.2) without losing any money amount.
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class SuiteQLMirror:
    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        self._refused_function: str | None = None

    def close(self) -> None:
        self._db.close()

    # --- write-through from the account model ------------------------------------------------
    def write(self, record: Any) -> None:
        """Mirror one record, whole or not at all (a transaction's header and lines together)."""
        self._db.execute("BEGIN")
        try:
            self._write(record)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, record: Any) -> None:
        if isinstance(record, Transaction):
            self._write_transaction(record)
        elif isinstance(record, Customer):
            self._upsert("customer", (int(record.id or 0), record.entity_id, record.external_id, record.email))
        elif isinstance(record, Item):
            self._upsert("item", (int(record.id or 0), record.item_id, ITEM_KINDS[record.type], record.display_name))
        elif isinstance(record, Currency):
            self._upsert("currency", (int(record.id), record.symbol, record.name))

    def forget(self, record: Any) -> None:
        """Drop a deleted record (and a transaction's lines) from the mirror."""
        table = ("transaction" if isinstance(record, Transaction) else "customer" if isinstance(record, Customer)
                 else "item" if isinstance(record, Item) else None)
        if table is None:
            return
        self._db.execute(f'DELETE FROM "{table}" WHERE id = ?', (int(record.id or 0),))
        if table == "transaction":
            self._db.execute('DELETE FROM transactionline WHERE "transaction" = ?', (int(record.id or 0),))

    def _upsert(self, table: str, row: tuple[Any, ...]) -> None:
        marks = ", ".join("?" for _ in row)
        self._db.execute(f'INSERT OR REPLACE INTO "{table}" VALUES ({marks})', row)

    def _write_transaction(self, txn: Transaction) -> None:
        txn_id = int(txn.id or 0)
        created_from = int(txn.created_from) if txn.created_from else None
        self._upsert("transaction", (txn_id, txn.tran_id, txn.kind.suiteql, txn.external_id, int(txn.entity_id or 0),
                                     int(txn.currency_id or 0), str(txn.total), txn.tran_date.isoformat()
                                     if txn.tran_date else None, isoformat(txn.created) if txn.created else None,
                                     txn.memo))
        self._db.execute('DELETE FROM transactionline WHERE "transaction" = ?', (txn_id,))
        rows = [(0, txn_id, 0, "T", None, None, None, str(txn.total), created_from)]
        rows += [(line.line, txn_id, line.line, "F", int(line.item_id), str(line.quantity),
                  str(line.rate) if line.rate is not None else None, str(line.amount), created_from)
                 for line in txn.lines]
        self._db.executemany("INSERT INTO transactionline VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # --- queries -----------------------------------------------------------------------------
    def query(self, query: str, limit: int, offset: int) -> tuple[list[dict[str, str]], int]:
        """Run one SELECT; -> (the page of rows, total number of results)."""
        sql = prepare(query)
        budget = [_MAX_PROGRESS_CALLS]

        def spend() -> int:
            budget[0] -= 1
            return 1 if budget[0] < 0 else 0

        self._refused_function = None
        self._db.set_authorizer(self._authorize)
        self._db.set_progress_handler(spend, _PROGRESS_STEP)
        try:
            cursor = self._db.execute(sql)
            columns = [description[0].lower() for description in cursor.description or ()]
            rows = cursor.fetchmany(MAX_RESULTS)
        except sqlite3.Error as exc:
            if self._refused_function:
                reason = f"Function {self._refused_function.upper()} is not supported."
            elif budget[0] < 0:
                reason = "The query is too expensive."
            elif "too big" in str(exc):
                reason = f"A value of the result is larger than {MAX_VALUE_BYTES} bytes."
            else:
                reason = str(exc)
            raise invalid_query(reason) from None
        finally:
            self._db.set_authorizer(None)
            self._db.set_progress_handler(None, 0)
        page = rows[offset:offset + limit]
        return [{column: as_text(value) for column, value in zip(columns, row) if value is not None}
                for row in page], len(rows)

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, _db: str | None,
                   _trigger: str | None) -> int:
        if action not in _ALLOWED_ACTIONS:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_READ and (arg1 or "").lower() not in _TABLES:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in ALLOWED_FUNCTIONS:
            self._refused_function = arg2 or "?"
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
