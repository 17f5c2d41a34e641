"""Bugs in the engine's own bookkeeping, made by patching the shipped engine where the bug lives."""
from __future__ import annotations

from connector import Connector
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


def _engine(engine_class: type[Connector]) -> seam.ConnectorFactory:
    return lambda context: ReferenceConnector(build_engine(context, engine_class=engine_class))


MUTANTS = {
    "window_advances_on_failure": ("A scheduled retrieval's window moves on even when listing refunds failed, so "
                                   "the refunds of that window are never looked for again.",
                                   _engine(_WindowAlwaysAdvances)),
    "no_claims": ("Workers claim neither a refund before posting it nor an account's run in the ledger, so two "
                  "workers can both push a refund.",
                  _without_claims),
}
