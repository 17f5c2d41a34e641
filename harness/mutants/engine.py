"""Bugs in the engine's own bookkeeping (retrieval windows, claims and their leases) and in its flow
from NetSuite, made by patching the shipped engine where the bug lives."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from connector import Connector
from connector.errors import RemoteError
from connector.from_netsuite import FromNetSuite
from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine


class _WindowAlwaysAdvances(Connector):
    def run_scheduled(self):   # noqa: ANN201 - the engine's own signature
        now = self.clock.now()
        summary = super().run_scheduled()
        for account in self.ledger.accounts():   # the bug: the window moves on even if the listing failed
            if account.last_refund_run_at == now:
                self.ledger.update_account(account.id, refunds_retrieved_through=now)
        return summary


def _without_claims(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    engine = build_engine(context)
    # the bug: every worker believes it holds every refund and every account's run (locks that live in one
    # process only)
    engine.ledger.claim = lambda refund_id, lease: True
    engine.ledger.renew_claim = lambda refund_id, lease: True
    engine.ledger.release_claim = lambda refund_id: True
    engine.ledger.claim_account_run = lambda account_id, lease: True
    engine.ledger.release_account_run = lambda account_id: True
    return ReferenceConnector(engine)


# A lease no worker outlives: a claim whose worker died is never taken over.
_FOREVER = timedelta(days=36500)


def _lease_never_expires(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
    engine = build_engine(context)
    claim, renew = engine.ledger.claim, engine.ledger.renew_claim
    engine.ledger.claim = lambda refund_id, lease: claim(refund_id, _FOREVER)
    engine.ledger.renew_claim = lambda refund_id, lease: renew(refund_id, _FOREVER)
    return ReferenceConnector(engine)


class _SkipsUnreadableCandidates(FromNetSuite):
    def resolve(self, account, candidate):   # noqa: ANN001, ANN201 - the flow's own signature
        try:
            return super().resolve(account, candidate)
        except RemoteError as exc:   # the bug: logged and skipped, and the watermark moves past it
            return None, f"it could not be read ({exc})"


class _EchoesOwnNetSuiteRefunds(FromNetSuite):
    def resolve(self, account, candidate):   # noqa: ANN001, ANN201 - the flow's own signature
        # the bug: the externalId that marks the connector's own NetSuite refunds is not looked at
        return super().resolve(account, replace(candidate, external_id=None))


def _from_netsuite(flow_class: type[FromNetSuite]) -> seam.ConnectorFactory:
    def build(context: seam.ConnectorContext) -> seam.ConnectorUnderTest:
        engine = build_engine(context)
        engine.from_netsuite = flow_class(engine.ledger, engine.netsuite)
        return ReferenceConnector(engine)
    return build


def _engine(engine_class: type[Connector]) -> seam.ConnectorFactory:
    return lambda context: ReferenceConnector(build_engine(context, engine_class=engine_class))


MUTANTS = {
    "window_advances_on_failure": ("A scheduled retrieval's window moves on even when listing refunds failed, so "
                                   "the refunds of that window are never looked for again.",
                                   _engine(_WindowAlwaysAdvances)),
    "no_claims": ("Workers claim neither a refund before posting it nor an account's run in the ledger, so two "
                  "workers can both push a refund.",
                  _without_claims),
    "lease_never_expires": ("A claim's lease never runs out, so a refund claimed by a worker that died is never "
                            "taken over.", _lease_never_expires),
    "skips_unreadable_candidates": ("A NetSuite refund that cannot be read is skipped and the watermark moves past "
                                    "it, so it is never pushed.", _from_netsuite(_SkipsUnreadableCandidates)),
    "echoes_own_netsuite_refunds": ("Refunds the connector itself created in NetSuite are taken for NetSuite users' "
                                    "refunds and pushed back to the storefront after a switch to sync from NetSuite.",
                                    _from_netsuite(_EchoesOwnNetSuiteRefunds)),
}
