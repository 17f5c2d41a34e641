"""Bugs in what a connector allows an operator: rules enforced at its seam, broken there."""
from __future__ import annotations

from dataclasses import replace

from connector import Direction
from harness import seam
from harness.connectors.reference import ReferenceConnector, build_engine


class _BothDirections(ReferenceConnector):
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        current = self.direction(account_id)
        if current not in (seam.OFF, direction):
            self.disable_refund_sync(account_id)   # the bug: switches instead of refusing
        super().enable_refund_sync(account_id, direction)


class _NoGate(ReferenceConnector):
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        try:
            super().enable_refund_sync(account_id, direction)
        except seam.ActivationRefused:   # the bug: the prerequisites are reported, then ignored
            self.engine.ledger.update_account(int(account_id), direction=Direction(direction))


class _CancelIgnored(ReferenceConnector):
    def cancel(self, refund_id: str) -> seam.RefundView:
        return replace(super().refund_view(refund_id), status=seam.CANCELED)   # the bug: says so, does nothing


class _WrongCurrency(ReferenceConnector):
    def refunds(self, account_id: str) -> list[seam.RefundView]:
        # the bug: every refund recorded in the account's first currency, whatever its order's
        return [replace(view, currency="USD") for view in super().refunds(account_id)]


def _with(connector_class: type[ReferenceConnector]) -> seam.ConnectorFactory:
    return lambda context: connector_class(build_engine(context))


MUTANTS = {
    "allows_both_directions": ("Enabling the second direction silently switches to it instead of refusing.",
                               _with(_BothDirections)),
    "skips_activation_gate": ("Refund sync turns on even when order sync, the billed test order or the refund "
                              "item are missing.", _with(_NoGate)),
    "cancel_ignored": ("Cancel reports the refund canceled but the scheduled run still posts it.",
                       _with(_CancelIgnored)),
    "records_wrong_currency": ("The connector records every refund in USD, whatever the order's currency.",
                               _with(_WrongCurrency)),
}
