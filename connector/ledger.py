"""The durable ledger: accounts, order links and every refund the connector has seen.

SQLite, one file (WAL) or ``:memory:``. Every state change is one transaction, so a crash leaves
each row either before or after a step, never half-way. The unique key (account, direction,
source id) is what makes a refund exactly-once: retrieving it again finds the same row, and the
target id is written the moment the remote system accepted the refund, before anything else.
"""
from __future__ import annotations

import itertools
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from common.clock import Clock, parse_iso
from connector.errors import ConnectorError, ErrorFacts, ErrorKind, UnknownAccount, UnknownRefund
from connector.ledger_schema import check_ledger_file, create_from_image, migrate
from connector.model import (Account, AccountSettings, Direction, LineKind, LineLink, OrderLink, RefundLine,
                             RefundStatus, SourceStatus)



@dataclass(frozen=True)
class PushSnapshot:
    """Taken right before a refund is pushed to a storefront that never returns the push marker: what
    recognises the refund that push made when its answer was lost, in any worker, after a restart too."""

    known_refunds: frozenset[str]   # the storefront refund ids the order had before the push
    amount: Decimal                 # what was pushed


# a refund that is not in ERROR carries no error, nor its facts
_NO_ERROR: dict[str, Any] = dict(error=None, retryable=0, error_kind=None, error_system=None, error_status=None)


@dataclass(frozen=True)
class LedgerRefund:
    id: int
    account_id: int
    direction: Direction
    source_id: str               # storefront refund id (TO_NETSUITE) or NetSuite transaction id
    order_id: str                # storefront order id
    status: RefundStatus
    error: str | None            # why it is not posted, in words a person can act on
    target_type: str | None      # "cashRefund" | "creditMemo" | "<platform>_refund"
    target_id: str | None
    currency: str
    total: Decimal
    lines: tuple[RefundLine, ...]
    line_items: bool             # True when sent by line, False for an amount-only refund
    created_at: datetime
    updated_at: datetime
    # Beyond the documented fields: what operators and the scheduler also need.
    retryable: bool = False      # an ERROR the next scheduled run tries again by itself
    source_name: str | None = None   # NetSuite tranId of the source record (FROM_NETSUITE)
    source_status: SourceStatus = SourceStatus.COMPLETED
    order_name: str | None = None
    target_name: str | None = None   # NetSuite tranId of the record created (TO_NETSUITE)
    warning: str | None = None       # posted, but something a person should look at
    attempt: int = 1                 # bumps when a storefront refund failed and may be sent afresh
    claimed_by: str | None = None    # the worker posting it right now (see connector/claims.py)
    claim_expires_at: datetime | None = None
    push_snapshot: PushSnapshot | None = None   # the last push's, where markers cannot be read back
    # what ``error`` says, for programs: None without an error, or for one recorded before facts were kept
    error_facts: ErrorFacts | None = None

    @property
    def pending_remote(self) -> bool:
        """Pushed to a storefront that has not settled the money yet (its refund is still PENDING)."""
        return self.status is RefundStatus.RETRIEVED and self.target_id is not None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def _dt(text: str | None) -> datetime | None:
    return None if text is None else parse_iso(text)


def lines_to_json(lines: Sequence[RefundLine]) -> str:
    # Money as strings so the ledger keeps "24.50" exactly, whatever JSON does with numbers.
    return json.dumps([{"sku": l.sku, "quantity": str(l.quantity), "amount": str(l.amount),
                        "tax": str(l.tax), "line_id": l.line_id, "kind": l.kind.value} for l in lines])


def lines_from_json(text: str) -> tuple[RefundLine, ...]:
    return tuple(RefundLine(sku=d["sku"], quantity=Decimal(d["quantity"]), amount=Decimal(d["amount"]),
                            tax=Decimal(d["tax"]), line_id=d["line_id"], kind=LineKind(d["kind"]))
                 for d in json.loads(text))


class _Increment:
    """A ``_change`` value meaning "one more than now" (the attempt counter)."""


# A transition may apply unless another worker holds a live claim on the row (args: worker id, now).
# Times are compared as text: every stored time is UTC ISO 8601 from ``_iso``, which sorts as time.
_NOT_HELD_BY_ANOTHER = "(claimed_by IS NULL OR claimed_by = ? OR claim_expires_at <= ?)"


# How hard each commit is pushed to disk. FULL survives power loss (the production default);
# NORMAL, in WAL mode, survives a crash of the process but not of the machine, and costs about
# a third as much per commit, which is what throwaway test ledgers want. A new NORMAL ledger file
# also starts as an unsynced copy of a fresh one (ledger_schema.create_from_image).
SYNC_MODES = ("FULL", "NORMAL")

# Writers in this process to one ledger file, one at a time. SQLite lets one connection write at a time
# and makes the others wait by sleeping and trying again (1, 2, 5, 10 ... ms), whether or not the lock
# came free meanwhile; several workers (``Ledger``s) in one process, two connections each, then spend
# much of a busy run asleep. Queueing on this lock first hands the file over the moment it is free; the
# SQLite lock still orders writers in other processes.
_file_writers: dict[str, threading.Lock] = {}
_file_writers_lock = threading.Lock()


def _writer_lock(path: str) -> threading.Lock:
    if path == ":memory:":   # each opening is a database of its own
        return threading.Lock()
    with _file_writers_lock:
        return _file_writers.setdefault(os.path.realpath(path), threading.Lock())


class Ledger:
    def __init__(self, path: str | Path, clock: Clock, synchronous: str = "FULL") -> None:
        if synchronous not in SYNC_MODES:
            raise ValueError(f"ledger synchronous mode must be one of {', '.join(SYNC_MODES)}, not {synchronous!r}")
        self.path = str(path)
        self.clock = clock
        self._lock = threading.RLock()
        self._writing = _writer_lock(self.path)   # taken after ``_lock`` (or ``_slot_lock``), never before
        if synchronous == "NORMAL":   # no power-loss durability asked: a new file may start as a copy
            create_from_image(self.path)
        check_ledger_file(self.path)   # before the connection below can write to the file (WAL mode, tables)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA foreign_keys=ON")
        try:
            with self._tx() as db:   # one opener at a time brings the file up to date
                migrate(db)
        except BaseException:
            self._db.close()
            raise
        self.incarnation = self._next_incarnation()
        # Names this opening of the ledger in claims: unique among every worker on the same file.
        self.worker_id = f"worker-{self.incarnation}"
        self._slot_db, self._slot_lock = self._db, self._lock
        if self.path != ":memory:":
            # NetSuite slot leases (two short writes per NetSuite request) on a connection of their own, so
            # they neither queue behind this worker's refund writes nor wait for a disk flush each: a lease
            # lost to a power cut is only a slot free again, and NORMAL in WAL mode never corrupts the file.
            self._slot_db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._slot_db.execute("PRAGMA synchronous=NORMAL")
            self._slot_lock = threading.RLock()
        self._slot_holders = itertools.count(1)
        self._slots_made: set[tuple[str, int]] = set()

    def close(self) -> None:
        with self._slot_lock:
            if self._slot_db is not self._db:
                self._slot_db.close()
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._writing:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _write(self, sql: str, args: Sequence[Any]) -> sqlite3.Cursor:
        """One statement that writes, a transaction of its own (SQLite's autocommit): as atomic as the same
        statement in ``_tx``, and it holds the file for one step instead of three (begin, write, commit),
        each of which may wait for this process's other threads to let it run again."""
        with self._lock, self._writing:
            return self._db.execute(sql, args)

    def _now(self) -> str:
        return _iso(self.clock.now())  # type: ignore[return-value]

    def _next_incarnation(self) -> int:
        """Counts how often this ledger was opened; nonces mix it in so a restart never reuses one."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'incarnation'").fetchone()
            value = int(row["value"]) + 1 if row else 1
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('incarnation', ?)", (str(value),))
        return value

    # --- accounts ---------------------------------------------------------------------------
    def add_account(self, name: str, platform: str, store: str, credentials: Mapping[str, str],
                    settings: AccountSettings) -> Account:
        now = self._now()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise ConnectorError(f"An account named {name!r} already exists; choose another name.")
            cur = db.execute(
                "INSERT INTO accounts (name, platform, store, credentials, settings, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, platform, store, json.dumps(dict(credentials)), json.dumps(settings.to_json()), now, now))
            account_id = cur.lastrowid
        return self.account(account_id)

    def account(self, account_id: int) -> Account:
        with self._lock:
            row = self._db.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
        if row is None:
            raise UnknownAccount(f"There is no connector account with id {account_id}.")
        return self._account(row)

    def accounts(self) -> list[Account]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM accounts ORDER BY id").fetchall()
        return [self._account(row) for row in rows]

    _ACCOUNT_FIELDS = {"direction", "order_sync_active", "order_sync_cutoff", "orders_synced_through",
                       "refund_sync_since", "last_refund_run_at", "next_refund_run_at", "refunds_retrieved_through",
                       "netsuite_watermark", "webhook_registered", "settings"}

    def update_account(self, account_id: int, **changes: Any) -> Account:
        unknown = set(changes) - self._ACCOUNT_FIELDS
        if unknown:
            raise ValueError(f"not an updatable account field: {', '.join(sorted(unknown))}")
        values = {key: self._encode(value) for key, value in changes.items()}
        values["updated_at"] = self._now()
        assignments = ", ".join(f"{key} = ?" for key in values)
        cur = self._write(f"UPDATE accounts SET {assignments} WHERE id = ?", (*values.values(), account_id))
        if cur.rowcount == 0:
            raise UnknownAccount(f"There is no connector account with id {account_id}.")
        return self.account(account_id)

    @staticmethod
    def _encode(value: Any) -> Any:
        if isinstance(value, Direction):
            return value.value
        if isinstance(value, datetime):
            return _iso(value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, AccountSettings):
            return json.dumps(value.to_json())
        return value

    @staticmethod
    def _account(row: sqlite3.Row) -> Account:
        return Account(
            id=row["id"], name=row["name"], platform=row["platform"], store=row["store"],
            direction=Direction(row["direction"]), order_sync_active=bool(row["order_sync_active"]),
            order_sync_cutoff=_dt(row["order_sync_cutoff"]),
            settings=AccountSettings.from_json(json.loads(row["settings"])),
            created_at=_dt(row["created_at"]), updated_at=_dt(row["updated_at"]),  # type: ignore[arg-type]
            credentials=json.loads(row["credentials"]),
            orders_synced_through=_dt(row["orders_synced_through"]),
            refund_sync_since=_dt(row["refund_sync_since"]),
            last_refund_run_at=_dt(row["last_refund_run_at"]),
            refunds_retrieved_through=_dt(row["refunds_retrieved_through"]),
            next_refund_run_at=_dt(row["next_refund_run_at"]),
            netsuite_watermark=row["netsuite_watermark"], webhook_registered=bool(row["webhook_registered"]))

    # --- order links ------------------------------------------------------------------------
    def save_order_link(self, link: OrderLink) -> OrderLink:
        lines = json.dumps([{"line_id": l.line_id, "sku": l.sku, "item_id": l.item_id, "so_line": l.so_line}
                            for l in link.lines])
        synced_at = _iso(link.synced_at) or self._now()
        self._write(
            "INSERT OR REPLACE INTO orders (account_id, order_id, order_name, sales_order_id,"
            " sales_order_tranid, external_id, currency, lines, payment_ids, synced_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (link.account_id, link.order_id, link.order_name, link.sales_order_id,
             link.sales_order_tranid, link.external_id, link.currency, lines,
             json.dumps(list(link.payment_ids)), synced_at))
        return self.order_link(link.account_id, link.order_id)  # type: ignore[return-value]

    def order_link(self, account_id: int, order_id: str) -> OrderLink | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM orders WHERE account_id = ? AND order_id = ?",
                                   (account_id, str(order_id))).fetchone()
        return None if row is None else self._order_link(row)

    def order_link_by_sales_order(self, account_id: int, sales_order_id: str) -> OrderLink | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM orders WHERE account_id = ? AND sales_order_id = ?",
                                   (account_id, str(sales_order_id))).fetchone()
        return None if row is None else self._order_link(row)

    def order_links(self, account_id: int) -> list[OrderLink]:
        """Newest first: the most recently synced order is the natural test order."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM orders WHERE account_id = ? ORDER BY synced_at DESC, rowid DESC",
                                    (account_id,)).fetchall()
        return [self._order_link(row) for row in rows]

    @staticmethod
    def _order_link(row: sqlite3.Row) -> OrderLink:
        return OrderLink(
            account_id=row["account_id"], order_id=row["order_id"], order_name=row["order_name"],
            sales_order_id=row["sales_order_id"], sales_order_tranid=row["sales_order_tranid"],
            external_id=row["external_id"], currency=row["currency"],
            lines=tuple(LineLink(**d) for d in json.loads(row["lines"])),
            payment_ids=tuple(json.loads(row["payment_ids"])), synced_at=_dt(row["synced_at"]))

    # --- refunds ----------------------------------------------------------------------------
    def retrieve(self, *, account_id: int, direction: Direction, source_id: str, order_id: str,
                 currency: str, total: Decimal, lines: Sequence[RefundLine], line_items: bool,
                 source_status: SourceStatus = SourceStatus.COMPLETED, source_name: str | None = None,
                 order_name: str | None = None) -> tuple[LedgerRefund, bool]:
        """Record a refund as RETRIEVED unless the ledger already knows it. Returns (row, is_new)."""
        now = self._now()
        key = (account_id, direction.value, str(source_id))
        select = "SELECT * FROM refunds WHERE account_id = ? AND direction = ? AND source_id = ?"
        with self._tx() as db:   # look first: an ignored INSERT would still use up an id
            row = db.execute(select, key).fetchone()
            created = row is None
            if created:
                db.execute(
                    "INSERT INTO refunds (account_id, direction, source_id, source_name, source_status,"
                    " order_id, order_name, status, currency, total, lines, line_items, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key, source_name, source_status.value, str(order_id), order_name,
                     RefundStatus.RETRIEVED.value, currency, str(total), lines_to_json(lines), int(line_items),
                     now, now))
                row = db.execute(select, key).fetchone()
        return self._refund(row), created

    def refund(self, refund_id: int) -> LedgerRefund:
        with self._lock:
            row = self._db.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        if row is None:
            raise UnknownRefund(f"There is no refund {refund_id} in the connector (it may have been deleted).")
        return self._refund(row)

    def pushed_to_storefront(self, account_id: int, storefront_refund_id: str) -> bool:
        """Whether this storefront refund is one the connector created there, pushing a NetSuite refund."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM refunds WHERE account_id = ? AND target_id = ? AND direction = ?"
                                   " LIMIT 1", (account_id, str(storefront_refund_id),
                                                Direction.FROM_NETSUITE.value)).fetchone()
        return row is not None

    def find(self, account_id: int, direction: Direction, source_id: str) -> LedgerRefund | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM refunds WHERE account_id = ? AND direction = ? AND source_id = ?",
                                   (account_id, direction.value, str(source_id))).fetchone()
        return None if row is None else self._refund(row)

    def refunds(self, account_id: int | None = None, status: RefundStatus | None = None,
                direction: Direction | None = None) -> list[LedgerRefund]:
        clauses, args = [], []
        for column, value in (("account_id", account_id), ("status", status and RefundStatus(status).value),
                              ("direction", direction and Direction(direction).value)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM refunds {where} ORDER BY id", args).fetchall()
        return [self._refund(row) for row in rows]

    def open_refunds(self, account_id: int, direction: Direction) -> list[LedgerRefund]:
        """What a scheduled run posts: RETRIEVED rows and retryable ERRORs, oldest first (by index; posted,
        canceled and final errors are never read)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM refunds WHERE account_id = ? AND direction = ? AND status = ?"
                " UNION ALL SELECT * FROM refunds WHERE account_id = ? AND direction = ? AND status = ? AND retryable = 1"
                " ORDER BY id",
                (account_id, Direction(direction).value, RefundStatus.RETRIEVED.value,
                 account_id, Direction(direction).value, RefundStatus.ERROR.value)).fetchall()
        return [self._refund(row) for row in rows]

    def first_synced_at(self, account_id: int) -> datetime | None:
        """When the earliest order link of the account was synced (None without any)."""
        with self._lock:
            row = self._db.execute("SELECT MIN(synced_at) FROM orders WHERE account_id = ?", (account_id,)).fetchone()
        return _dt(row[0])

    def refresh_source(self, refund_id: int, source_status: SourceStatus, total: Decimal,
                       lines: Sequence[RefundLine], line_items: bool) -> LedgerRefund:
        """The source refund settled (or failed) since it was retrieved: keep what it says now."""
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "refresh",
                            source_status=source_status.value, total=str(total), lines=lines_to_json(lines),
                            line_items=int(line_items))

    def record_target(self, refund_id: int, target_type: str, target_id: str,
                      target_name: str | None = None) -> LedgerRefund:
        """The remote accepted the refund: remember what it created before doing anything else."""
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "record the target of",
                            target_type=target_type, target_id=str(target_id), target_name=target_name)

    def mark_posted(self, refund_id: int, target_type: str, target_id: str, *, target_name: str | None = None,
                    line_items: bool | None = None, warning: str | None = None) -> LedgerRefund:
        changes: dict[str, Any] = dict(status=RefundStatus.POSTED.value, **_NO_ERROR,
                                       target_type=target_type, target_id=str(target_id), warning=warning)
        if target_name is not None:
            changes["target_name"] = target_name
        if line_items is not None:
            changes["line_items"] = int(line_items)
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "post", **changes)

    def mark_error(self, refund_id: int, reason: str, *, retryable: bool = False, facts: ErrorFacts | None = None,
                   forget_target: bool = False) -> LedgerRefund:
        """The refund is in ERROR for ``reason`` (the sentence a person reads). ``facts``: what failed, when
        a remote system or an exception did (its ``retryable`` is the row's); without them, the connector's
        own rule stopped it, ``retryable`` as given."""
        if facts is None:
            facts = ErrorFacts(ErrorKind.CONNECTOR, retryable=retryable)
        elif retryable:
            raise ValueError("mark_error: give retryable through facts when there are facts")
        changes: dict[str, Any] = dict(status=RefundStatus.ERROR.value, error=reason, retryable=int(facts.retryable),
                                       error_kind=facts.kind.value, error_system=facts.system,
                                       error_status=facts.status)
        if forget_target:
            changes.update(target_type=None, target_id=None, target_name=None)
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "record an error on", **changes)

    def mark_pending(self, refund_id: int) -> LedgerRefund:
        """Not postable yet (money still pending): stays RETRIEVED, with no error to act on."""
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "re-queue",
                            status=RefundStatus.RETRIEVED.value, **_NO_ERROR)

    def next_attempt(self, refund_id: int) -> LedgerRefund:
        """A storefront refund definitively failed: the next push is a new refund with a new key."""
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "start a new attempt of",
                            attempt=_Increment(), target_type=None, target_id=None, target_name=None,
                            push_known_refunds=None, push_amount=None)

    def record_push_snapshot(self, refund_id: int, snapshot: PushSnapshot) -> LedgerRefund:
        """Right before a push the storefront cannot mark: what the order's refunds were and what is sent."""
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "record the push of",
                            push_known_refunds=json.dumps(sorted(snapshot.known_refunds)),
                            push_amount=str(snapshot.amount))

    def cancel(self, refund_id: int) -> LedgerRefund:
        row = self.refund(refund_id)
        if row.status is RefundStatus.CANCELED:
            return row
        if row.status is RefundStatus.POSTED:
            raise ConnectorError(f"Refund {refund_id} is already posted ({row.target_type} {row.target_id}); "
                                 "there is nothing left to cancel. Reverse it in the target system if needed.")
        return self._change(refund_id, {RefundStatus.RETRIEVED, RefundStatus.ERROR}, "cancel", strict=True,
                            status=RefundStatus.CANCELED.value, retryable=0)

    def uncancel(self, refund_id: int) -> LedgerRefund:
        row = self.refund(refund_id)
        if row.status is not RefundStatus.CANCELED:
            raise ConnectorError(f"Refund {refund_id} is not canceled (it is {row.status.value}); "
                                 "only a canceled refund can be uncanceled.")
        return self._change(refund_id, {RefundStatus.CANCELED}, "uncancel", strict=True,
                            status=RefundStatus.RETRIEVED.value, **_NO_ERROR)

    def delete(self, refund_id: int) -> None:
        cur = self._write("DELETE FROM refunds WHERE id = ?", (refund_id,))
        if cur.rowcount == 0:
            raise UnknownRefund(f"There is no refund {refund_id} in the connector (it may have been deleted).")

    def _change(self, refund_id: int, allowed_from: set[RefundStatus], action: str, *, strict: bool = False,
                **changes: Any) -> LedgerRefund:
        """Compare-and-set: applies only while the row is in ``allowed_from`` and no other worker holds a
        live claim on it. A transition that lost that race is a no-op returning the row as it now is;
        with ``strict`` (what a person asked for) it is refused with the reason."""
        now = self._now()
        changes["updated_at"] = now
        assignments = ", ".join(f"{key} = {key} + 1" if isinstance(value, _Increment) else f"{key} = ?"
                                for key, value in changes.items())
        values = [value for value in changes.values() if not isinstance(value, _Increment)]
        placeholders = ", ".join("?" for _ in allowed_from)
        cur = self._write(f"UPDATE refunds SET {assignments} WHERE id = ? AND status IN ({placeholders})"
                           f" AND {_NOT_HELD_BY_ANOTHER}",
                           (*values, refund_id, *(s.value for s in allowed_from), self.worker_id, now))
        row = self.refund(refund_id)
        if cur.rowcount == 0 and strict:
            if row.status not in allowed_from:
                hint = " Uncancel it first." if row.status is RefundStatus.CANCELED else ""
                raise ConnectorError(f"Cannot {action} refund {refund_id}: it is {row.status.value}.{hint}")
            raise ConnectorError(f"Cannot {action} refund {refund_id}: another connector worker ({row.claimed_by}) "
                                 "is posting it right now. Look at it again in a moment.")
        return row

    # --- claims: one worker at a time posts a refund -------------------------------------------
    def claim(self, refund_id: int, lease: timedelta) -> bool:
        """Take an open (RETRIEVED / ERROR) refund for this worker until ``lease`` from now, unless another
        worker holds a live claim on it. One UPDATE, so atomic across threads and processes."""
        now = self.clock.now()
        cur = self._write("UPDATE refunds SET claimed_by = ?, claim_expires_at = ? WHERE id = ? AND status IN (?, ?)"
                           " AND (claimed_by IS NULL OR claim_expires_at <= ?)",
                           (self.worker_id, _iso(now + lease), refund_id, RefundStatus.RETRIEVED.value,
                            RefundStatus.ERROR.value, _iso(now)))
        return cur.rowcount == 1

    def renew_claim(self, refund_id: int, lease: timedelta) -> bool:
        """Still this worker's (even if the lease ran out and nobody took it)? Then extend the lease."""
        cur = self._write("UPDATE refunds SET claim_expires_at = ? WHERE id = ? AND claimed_by = ?",
                           (_iso(self.clock.now() + lease), refund_id, self.worker_id))
        return cur.rowcount == 1

    def release_claim(self, refund_id: int) -> bool:
        """Let the refund go; False when it was no longer this worker's to release."""
        cur = self._write("UPDATE refunds SET claimed_by = NULL, claim_expires_at = NULL"
                           " WHERE id = ? AND claimed_by = ?", (refund_id, self.worker_id))
        return cur.rowcount == 1

    # --- account runs: one worker at a time runs an account's schedule ---------------------------
    def claim_account_run(self, account_id: int, lease: timedelta) -> bool:
        """Take the account's run for this worker until ``lease`` from now: only while the run is due (no
        worker finished it meanwhile, which moves the next run on) and no other worker holds a live claim
        on it. One UPDATE, so atomic across threads and processes."""
        now = _iso(self.clock.now())
        cur = self._write("UPDATE accounts SET run_claimed_by = ?, run_claim_expires_at = ? WHERE id = ?"
                           " AND (next_refund_run_at IS NULL OR next_refund_run_at <= ?)"
                           " AND (run_claimed_by IS NULL OR run_claimed_by = ? OR run_claim_expires_at <= ?)",
                           (self.worker_id, _iso(self.clock.now() + lease), account_id, now, self.worker_id, now))
        return cur.rowcount == 1

    def release_account_run(self, account_id: int) -> bool:
        """Let the account's run go; False when it was no longer this worker's."""
        cur = self._write("UPDATE accounts SET run_claimed_by = NULL, run_claim_expires_at = NULL"
                           " WHERE id = ? AND run_claimed_by = ?", (account_id, self.worker_id))
        return cur.rowcount == 1

    # --- NetSuite concurrency slots, shared by every worker on this ledger (connector/slots.py) -------
    def lease_netsuite_slot(self, netsuite_account: str, limit: int, lease: timedelta) -> tuple[int, str] | None:
        """Take a free slot among the account's first ``limit`` (free: nobody holds it, or its lease ran out)
        until ``lease`` from now; (slot, holder) to release it with, or None when all are held."""
        now = self.clock.now()
        holder = f"{self.worker_id}#{next(self._slot_holders)}"
        with self._slot_lock, self._writing:
            if (netsuite_account, limit) not in self._slots_made:
                self._slot_db.executemany(   # each insert on its own: any of them may be there already
                    "INSERT OR IGNORE INTO netsuite_slots (netsuite_account, slot) VALUES (?, ?)",
                    [(netsuite_account, slot) for slot in range(limit)])
                self._slots_made.add((netsuite_account, limit))
            # the find and the take are one statement, so one step for every worker (SQLite runs a statement
            # that writes under the file's write lock from its first read); one statement, not a transaction of
            # four, because every NetSuite request makes it
            rows = self._slot_db.execute(
                "UPDATE netsuite_slots SET holder = ?, lease_expires_at = ? WHERE netsuite_account = ? AND slot = ("
                "SELECT slot FROM netsuite_slots WHERE netsuite_account = ? AND slot < ?"
                " AND (holder IS NULL OR lease_expires_at <= ?) ORDER BY slot LIMIT 1) RETURNING slot",
                (holder, _iso(now + lease), netsuite_account, netsuite_account, limit, _iso(now))).fetchall()
        return (rows[0][0], holder) if rows else None

    def release_netsuite_slot(self, netsuite_account: str, slot: int, holder: str) -> bool:
        """Free the slot; False when it was no longer this holder's (its lease ran out and another took it)."""
        with self._slot_lock, self._writing:
            cur = self._slot_db.execute(
                "UPDATE netsuite_slots SET holder = NULL, lease_expires_at = NULL WHERE netsuite_account = ?"
                " AND slot = ? AND holder = ?", (netsuite_account, slot, holder))
        return cur.rowcount == 1

    def renew_netsuite_slot(self, netsuite_account: str, slot: int, holder: str, lease: timedelta) -> bool:
        """Still this holder's? Then its lease runs ``lease`` from now; False when another took it over."""
        with self._slot_lock, self._writing:
            cur = self._slot_db.execute(
                "UPDATE netsuite_slots SET lease_expires_at = ? WHERE netsuite_account = ? AND slot = ? AND holder = ?",
                (_iso(self.clock.now() + lease), netsuite_account, slot, holder))
        return cur.rowcount == 1

    def netsuite_slot_holders(self, netsuite_account: str) -> dict[int, str]:
        """Slot -> holder of every slot held now, its lease expired or not (for operators and tests)."""
        with self._slot_lock:
            rows = self._slot_db.execute("SELECT slot, holder FROM netsuite_slots WHERE netsuite_account = ?"
                                         " AND holder IS NOT NULL ORDER BY slot", (netsuite_account,)).fetchall()
        return {slot: holder for slot, holder in rows}

    @staticmethod
    def _refund(row: sqlite3.Row) -> LedgerRefund:
        return LedgerRefund(
            id=row["id"], account_id=row["account_id"], direction=Direction(row["direction"]),
            source_id=row["source_id"], order_id=row["order_id"], status=RefundStatus(row["status"]),
            error=row["error"], target_type=row["target_type"], target_id=row["target_id"],
            currency=row["currency"], total=Decimal(row["total"]), lines=lines_from_json(row["lines"]),
            line_items=bool(row["line_items"]), created_at=_dt(row["created_at"]),  # type: ignore[arg-type]
            updated_at=_dt(row["updated_at"]), retryable=bool(row["retryable"]),  # type: ignore[arg-type]
            source_name=row["source_name"], source_status=SourceStatus(row["source_status"]),
            order_name=row["order_name"], target_name=row["target_name"], warning=row["warning"],
            attempt=row["attempt"], claimed_by=row["claimed_by"], claim_expires_at=_dt(row["claim_expires_at"]),
            push_snapshot=None if row["push_amount"] is None else PushSnapshot(
                known_refunds=frozenset(json.loads(row["push_known_refunds"])), amount=Decimal(row["push_amount"])),
            error_facts=None if row["error_kind"] is None else ErrorFacts(
                ErrorKind(row["error_kind"]), bool(row["retryable"]), row["error_system"], row["error_status"] or 0))

    # --- webhook deliveries -----------------------------------------------------------------
    def seen_delivery(self, webhook_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM webhook_deliveries WHERE webhook_id = ?",
                                    (webhook_id,)).fetchone() is not None

    def remember_delivery(self, webhook_id: str, account_id: int) -> bool:
        """True the first time a delivery id is seen; False for a re-delivery."""
        cur = self._write("INSERT OR IGNORE INTO webhook_deliveries (webhook_id, account_id, received_at)"
                           " VALUES (?, ?, ?)", (webhook_id, account_id, self._now()))
        return cur.rowcount == 1
