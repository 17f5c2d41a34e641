"""Deliberately broken connector processes, to prove the crash test can fail: each is the shipped
``python -m connector`` with one exactly-once safeguard removed, applied in the child process only.

Run as ``python -m tests.crash.mutants <mutant> --config FILE``.
"""
from __future__ import annotations

import sys
import uuid

import connector.from_netsuite
import connector.to_netsuite
from connector.cli import main


def _fresh_refund_external_id(account, refund_id: str) -> str:
    return f"{connector.to_netsuite.external_id(account.platform, account.store, 'refund', refund_id)}-{uuid.uuid4().hex[:8]}"


def _no_stable_external_id() -> None:
    # NetSuite's externalId stops being a function of the storefront refund: the read-before-write
    # finds nothing after a restart and NetSuite's own duplicate check has nothing to match.
    connector.to_netsuite.refund_external_id = _fresh_refund_external_id


def _no_marker_no_idempotency_key() -> None:
    # The push carries a marker that no later search matches, and a new idempotency key each time.
    original = connector.from_netsuite.push_marker
    connector.from_netsuite.push_marker = lambda name, source_id: original(name, f"{source_id}-{uuid.uuid4().hex[:6]}")
    connector.from_netsuite.idempotency_key = lambda *args: str(uuid.uuid4())


MUTANTS = {"no_stable_external_id": _no_stable_external_id,
           "no_marker_no_idempotency_key": _no_marker_no_idempotency_key}

if __name__ == "__main__":
    MUTANTS[sys.argv[1]]()
    sys.exit(main(sys.argv[2:]))
