"""A team's own Square -> NetSuite connector, as docs/connector-seam.md describes one: it refuses
accounts on any other platform and refund sync from NetSuite. The sync itself is the shipped engine
behind the seam, so what these connectors differ in is only what they accept and what they claim.

``square_to_netsuite`` claims exactly what it does. ``square_accounts_claiming_everything`` refuses
the same things yet claims every platform and direction, so the certification must fail every other
row, not leave it "not covered".
"""
from __future__ import annotations

from typing import Mapping

from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine
from harness.platforms import platforms

PLATFORM = "square"


class SquareToNetSuiteConnector(ReferenceConnector):
    def __init__(self, context: seam.ConnectorContext, claim: seam.Claim) -> None:
        super().__init__(build_engine(context))
        self.claim = claim

    def certification_claim(self) -> seam.Claim:
        return self.claim

    def add_account(self, *, name: str, platform: str, store: str, credentials: Mapping[str, str],
                    setup: seam.AccountSetup) -> str:
        if platform != PLATFORM:
            raise seam.OperationRefused(f"this connector syncs Square stores only, not {platform}")
        return super().add_account(name=name, platform=platform, store=store, credentials=credentials, setup=setup)

    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        if direction != seam.TO_NETSUITE:
            raise seam.ActivationRefused("this connector syncs refunds to NetSuite only", missing=[seam.DIRECTION_OFFERED])
        super().enable_refund_sync(account_id, direction)


def square_to_netsuite(context: seam.ConnectorContext) -> SquareToNetSuiteConnector:
    return SquareToNetSuiteConnector(context, seam.Claim({PLATFORM: [seam.TO_NETSUITE]}))


def square_accounts_claiming_everything(context: seam.ConnectorContext) -> SquareToNetSuiteConnector:
    return SquareToNetSuiteConnector(context, seam.Claim({p.name: p.capabilities.directions for p in platforms()}))
