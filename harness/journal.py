"""The simulators' request journals summarised for a failed scenario's report, with no secret in them."""
from __future__ import annotations

import re
import urllib.parse
from typing import Any, Mapping

# Query parameters that carry credentials on some platforms (OAuth 1.0a in the query string, keys in
# the query): the journal summary goes into reports, which must never hold a secret.
_CREDENTIAL_PARAM = re.compile(r"(secret|signature|token|key|password|oauth_|auth)", re.IGNORECASE)


def redact_query(query: str) -> str:
    """A query string with the value of every credential-like parameter replaced by ``***``."""
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        parts.append(f"{name}{sep}***" if sep and _CREDENTIAL_PARAM.search(urllib.parse.unquote(name)) else part)
    return "&".join(parts)


def journal_summary(simulators: Mapping[str, Any], last: int = 25) -> str:
    """The last requests each simulator (by system name) answered, one line each."""
    out = []
    for name, simulator in simulators.items():
        entries = simulator.journal.entries()
        out.append(f"{name}: {len(entries)} request(s)" + (f", last {last}" if len(entries) > last else ""))
        for entry in entries[-last:]:
            query = f"?{redact_query(entry.url.split('?', 1)[1])}" if "?" in entry.url else ""
            out.append(f"  {entry.method} {entry.path}{query} -> {entry.status}"
                       + (f" ({entry.operation})" if entry.operation else "")
                       + (f" [fault {entry.fault}]" if entry.fault else ""))
    return "\n".join(out)
