"""What a certification covers: the connector's claim, as narrowed by ``--claim``.

A connector says which platforms and refund directions it supports, and which optional behaviours
(``harness.requirements.OPTIONAL_BEHAVIOURS``) it does not offer (``certification_claim()`` of the
seam). Only claimed rows of the matrix are certified; a scenario needing an unclaimed row or behaviour
does not run. ``--claim`` may narrow the claim, never widen it.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import httpx

from harness import seam
from harness.directions import LABELS, parse_direction
from harness.platforms import UnknownPlatform, platform, registry
from harness.requirements import OPTIONAL_BEHAVIOURS, REQUIREMENTS


class ClaimError(ValueError):
    """A claim that cannot be certified (unknown platform, direction or behaviour), or a --claim the
    connector does not make; the message names it."""


class ConnectorCrashed(ClaimError):
    """The connector's own code raised while it was built or asked its claim."""


@dataclass(frozen=True)
class CertifiedClaim:
    """A validated claim: rows are (platform name, direction), in registry order."""

    rows: tuple[tuple[str, str], ...]
    not_offered: tuple[str, ...] = ()
    narrowed_by: tuple[str, ...] = ()   # the --claim values that narrowed the connector's own claim

    def covers(self, rows: Iterable[tuple[str, str]], tags: Iterable[str]) -> str | None:
        """None when a scenario exercising these rows, with these tags, is within the claim; else why not."""
        missing = [row for row in rows if row not in self.rows]
        if missing:
            return f"needs {', '.join(map(row_label, missing))}, which the claim does not include"
        unoffered = [tag for tag in tags if tag in self.not_offered]
        if unoffered:
            return f"needs {', '.join(map(behaviour_label, unoffered))}, which the connector does not offer"
        return None

    def describe(self) -> str:
        """'<Storefront> → NetSuite', 'NetSuite → <Storefront>', '<Storefront> ↔ NetSuite' (both), joined; or every row."""
        matrix = {(p.name, d) for p in registry().values() for d in p.capabilities.directions}
        if set(self.rows) == matrix:
            text = f"every storefront and direction ({len(registry())} storefronts, {len(matrix)} rows)"
        else:
            parts = []
            for name, entry in registry().items():
                directions = {d for p, d in self.rows if p == name}
                if directions == {seam.TO_NETSUITE, seam.FROM_NETSUITE}:
                    parts.append(f"{entry.display_name} ↔ NetSuite")
                elif directions == {seam.TO_NETSUITE}:
                    parts.append(f"{entry.display_name} → NetSuite")
                elif directions == {seam.FROM_NETSUITE}:
                    parts.append(f"NetSuite → {entry.display_name}")
            text = ", ".join(parts)
        if self.not_offered:
            text += f" (without {', '.join(map(behaviour_label, self.not_offered))})"
        return text

    def as_dict(self) -> dict:
        return {"rows": [{"platform": p, "direction": d} for p, d in self.rows],
                "not_offered": list(self.not_offered), "narrowed_by": list(self.narrowed_by),
                "description": self.describe()}


def row_label(row: tuple[str, str]) -> str:
    name, direction = row
    entry = registry().get(name)
    return f"{entry.display_name if entry else name} {LABELS.get(direction, direction)}"


def behaviour_label(tag: str) -> str:
    return tag.replace("_", " ")


def validate(claim: object, spec: str) -> CertifiedClaim:
    """The connector's own claim, checked against the registry; anything it cannot mean is refused by name."""
    where = f"the claim of {spec}"
    if not isinstance(claim, seam.Claim):
        raise ClaimError(f"{where}: certification_claim() returned {type(claim).__name__}, not a harness.seam.Claim")
    rows: set[tuple[str, str]] = set()
    for name, directions in claim.directions.items():
        entry = registry().get(name)
        if entry is None:
            raise ClaimError(f"{where}: no registered storefront {name!r}; registered: {', '.join(registry())}")
        if isinstance(directions, str):
            raise ClaimError(f"{where}: {name}'s directions must be a list such as [{directions!r}], not a string")
        for direction in directions:
            if direction not in entry.capabilities.directions:
                raise ClaimError(f"{where}: {entry.display_name} offers no direction {direction!r}; it offers "
                                 f"{', '.join(entry.capabilities.directions)}")
            rows.add((name, direction))
    if not rows:
        raise ClaimError(f"{where}: it claims no storefront and direction, so there is nothing to certify")
    unknown = [tag for tag in claim.not_offered if tag not in OPTIONAL_BEHAVIOURS]
    if unknown:
        never = [tag for tag in unknown if tag in REQUIREMENTS]
        because = (f"{', '.join(never)} is not optional: every claimed row must pass it" if never
                   else f"no behaviour {', '.join(map(repr, unknown))}")
        raise ClaimError(f"{where}: {because}; the optional behaviours are {', '.join(OPTIONAL_BEHAVIOURS)}")
    return CertifiedClaim(rows=_in_registry_order(rows), not_offered=tuple(sorted(set(claim.not_offered))))


def narrow(claim: CertifiedClaim, wanted: Iterable[str]) -> CertifiedClaim:
    """The claim narrowed to the rows ``--claim PLATFORM[:DIRECTION]`` names; naming a row the connector
    does not claim is refused (a claim is the connector's to make, not the command line's)."""
    wanted = list(wanted)
    if not wanted:
        return claim
    rows: set[tuple[str, str]] = set()
    for text in wanted:
        name, _, direction_text = text.partition(":")
        try:
            entry = platform(name)
            direction = parse_direction(direction_text) if direction_text else None
        except (UnknownPlatform, ValueError) as exc:
            raise ClaimError(f"--claim {text!r}: {exc}") from None
        if direction is None:   # a platform alone: whichever of its directions the connector claims
            named = [row for row in claim.rows if row[0] == entry.name]
            if not named:
                raise ClaimError(f"--claim {text!r} widens the claim: the connector claims no direction of "
                                 f"{entry.display_name}")
        elif direction not in entry.capabilities.directions:
            raise ClaimError(f"--claim {text!r}: {entry.display_name} offers no refund sync {LABELS[direction]}")
        elif (entry.name, direction) not in claim.rows:
            raise ClaimError(f"--claim {text!r} widens the claim: the connector does not claim "
                             f"{row_label((entry.name, direction))}")
        else:
            named = [(entry.name, direction)]
        rows.update(named)
    return CertifiedClaim(rows=_in_registry_order(rows), not_offered=claim.not_offered, narrowed_by=tuple(wanted))


def read_claim(factory: seam.ConnectorFactory, spec: str, wanted: Iterable[str] = ()) -> CertifiedClaim:
    """Build one connector from the factory with a context that reaches no system, ask its claim, close it;
    narrowed by ``wanted`` (--claim). Any problem is a ClaimError that names it."""
    with tempfile.TemporaryDirectory(prefix="refund-harness-claim-") as workdir:
        context = _offline_context(Path(workdir))
        try:
            connector = seam.check_connector(factory(context), spec)
            try:
                claim = validate(connector.certification_claim(), spec)
            finally:
                connector.close()
        except ClaimError:
            raise
        except seam.SeamNotImplemented as exc:   # names the missing methods
            raise ClaimError(str(exc)) from exc
        except Exception as exc:   # the connector's own code failed: no run can start
            raise ConnectorCrashed(f"cannot read what {spec} claims: {type(exc).__name__}: {exc}") from exc
        finally:
            context.http.close()
    return narrow(claim, wanted)


def _offline_context(workdir: Path) -> seam.ConnectorContext:
    from common.clock import ManualClock

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"{request.url.host} is not reachable while the harness reads the connector's "
                                 "claim: build the connector without calling any system", request=request)

    host = "claim-only.invalid"
    return seam.ConnectorContext(
        http=httpx.Client(transport=httpx.MockTransport(unreachable)), clock=ManualClock(), workdir=workdir, seed=0,
        netsuite=seam.NetSuiteAccess(account_id="CLAIM_ONLY", base_url=f"https://{host}", consumer_key="claim-only",
                                     consumer_secret="claim-only", token_id="claim-only", token_secret="claim-only"),
        webhook_base_url=f"https://{host}")


def _in_registry_order(rows: set[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    matrix = [(p.name, d) for p in registry().values() for d in p.capabilities.directions]
    order = {row: i for i, row in enumerate(matrix)}
    return tuple(sorted(rows, key=order.__getitem__))
