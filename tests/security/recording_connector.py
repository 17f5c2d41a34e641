"""A connector for the leak test: the drops-tax mutant (so the run has failures, whose reports carry
the most detail), which writes every credential the harness hands it to the file named by
REFUND_HARNESS_SECRETS_FILE, so the test knows exactly which strings must never be printed."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from harness import seam
from harness.mutants import MUTANTS


def _record(values: Iterable[str]) -> None:
    path = Path(os.environ["REFUND_HARNESS_SECRETS_FILE"])
    with path.open("a", encoding="utf-8") as out:
        out.writelines(f"{value}\n" for value in values if value)


def recording(context: seam.ConnectorContext) -> Any:
    ns = context.netsuite
    _record([ns.consumer_key, ns.consumer_secret, ns.token_id, ns.token_secret])
    connector = MUTANTS["drops_tax"].build(context)
    add_account = connector.add_account

    def recorded_add_account(**kwargs: Any) -> str:
        _record(kwargs["credentials"].values())
        return add_account(**kwargs)

    connector.add_account = recorded_add_account
    return connector
