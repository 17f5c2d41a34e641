"""The shipped refund-sync engine (``connector``) behind the seam: a thin translation, nothing more.

Ids become strings, the engine's enums become the seam's strings, and the engine's refusals become
the seam's exceptions. Anything else would make the certification of the reference connector prove
something about this adapter instead of the engine.
"""
from __future__ import annotations

from typing import Mapping

import httpx

from connector import (AccountSettings, ActivationRefused, Connector, ConnectorError, Direction, LedgerRefund,
                       NetSuiteConfig, RefundStatus, TbaCredentials)
from connector.netsuite import DEFAULT_CONCURRENCY_LIMIT
from harness import seam
from harness.platforms import platforms

_DIRECTION = {Direction.TO_NETSUITE: seam.TO_NETSUITE, Direction.FROM_NETSUITE: seam.FROM_NETSUITE,
              Direction.OFF: seam.OFF}
_STATUS = {RefundStatus.RETRIEVED: seam.RETRIEVED, RefundStatus.POSTED: seam.POSTED,
           RefundStatus.ERROR: seam.ERROR, RefundStatus.CANCELED: seam.CANCELED}


def view(row: LedgerRefund) -> seam.RefundView:
    return seam.RefundView(id=str(row.id), account_id=str(row.account_id), order_id=row.order_id,
                           source_id=row.source_id, direction=_DIRECTION[row.direction],
                           status=_STATUS[row.status], error=row.error, target_id=row.target_id,
                           currency=row.currency, total=row.total)


class ReferenceConnector:
    def __init__(self, engine: Connector) -> None:
        self.engine = engine

    # --- what it claims ---
    def certification_claim(self) -> seam.Claim:
        """Every registered platform in every direction it offers, with every optional behaviour."""
        return seam.Claim({entry.name: entry.capabilities.directions for entry in platforms()})

    # --- accounts and order sync ---
    def add_account(self, *, name: str, platform: str, store: str, credentials: Mapping[str, str],
                    setup: seam.AccountSetup) -> str:
        return str(_refusing(self.engine.add_account, name=name, platform=platform, store=store,
                             credentials=credentials, settings=_settings(setup)).id)

    def account_setup(self, account_id: str) -> seam.AccountSetup:
        settings = self.engine.account(int(account_id)).settings
        return seam.AccountSetup(generic_refund_item_id=settings.generic_refund_item_id,
                                 shipping_item_id=settings.shipping_item_id,
                                 payment_method_map=dict(settings.payment_method_map),
                                 refund_gift_cards_as_store_credit=settings.refund_gift_cards_as_store_credit)

    def change_setup(self, account_id: str, setup: seam.AccountSetup) -> None:
        self.engine.update_settings(int(account_id), _settings(setup))

    def activate_order_sync(self, account_id: str) -> None:
        self.engine.activate_order_sync(int(account_id))

    def sync_order(self, account_id: str, order_id: str) -> str:
        try:
            return self.engine.sync_order(int(account_id), order_id).sales_order_id
        except ConnectorError as exc:   # the engine's OrderSyncFailed is one
            raise seam.OrderSyncFailed(str(exc)) from exc

    # --- activation and direction ---
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        try:
            self.engine.enable_refund_sync(int(account_id), Direction(direction))
        except ActivationRefused as exc:
            raise seam.ActivationRefused(str(exc), missing=[unmet.prerequisite.value for unmet in exc.missing]) from exc

    def disable_refund_sync(self, account_id: str) -> None:
        self.engine.disable_refund_sync(int(account_id))

    def direction(self, account_id: str) -> str:
        return _DIRECTION[self.engine.account(int(account_id)).direction]

    # --- refunds ---
    def retrieve_refunds(self, account_id: str, order_id: str) -> list[seam.RefundView]:
        return [view(row) for row in _refusing(self.engine.retrieve_refunds, int(account_id), order_id)]

    def post(self, refund_id: str) -> seam.RefundView:
        return view(_refusing(self.engine.post, int(refund_id)))

    def run_scheduled(self) -> seam.RunReport:
        summary = self.engine.run_scheduled()
        return seam.RunReport(posted=summary.posted, errors=summary.errors, pending=summary.pending,
                              skipped=summary.skipped, messages=tuple(summary.messages))

    def refunds(self, account_id: str) -> list[seam.RefundView]:
        return [view(row) for row in self.engine.refunds(account_id=int(account_id))]

    def refund_view(self, refund_id: str) -> seam.RefundView:
        return view(_refusing(self.engine.refund, int(refund_id)))

    def cancel(self, refund_id: str) -> seam.RefundView:
        return view(_refusing(self.engine.cancel, int(refund_id)))

    def uncancel(self, refund_id: str) -> seam.RefundView:
        return view(_refusing(self.engine.uncancel, int(refund_id)))

    def delete(self, refund_id: str) -> None:
        _refusing(self.engine.delete, int(refund_id))

    # --- webhooks and lifetime ---
    def handle_webhook(self, request: httpx.Request) -> httpx.Response:
        return self.engine.handle_webhook(request)

    def close(self) -> None:
        self.engine.close()


def _settings(setup: seam.AccountSetup) -> AccountSettings:
    return AccountSettings(generic_refund_item_id=setup.generic_refund_item_id,
                           shipping_item_id=setup.shipping_item_id,
                           payment_method_map=dict(setup.payment_method_map),
                           refund_gift_cards_as_store_credit=setup.refund_gift_cards_as_store_credit)


def _refusing(operation, *args, **keywords):
    try:
        return operation(*args, **keywords)
    except ConnectorError as exc:
        raise seam.OperationRefused(str(exc)) from exc


def build_engine(context: seam.ConnectorContext, engine_class: type[Connector] = Connector,
                 netsuite_concurrency: int = DEFAULT_CONCURRENCY_LIMIT, **engine_options) -> Connector:
    access = context.netsuite
    return engine_class(
        ledger_path=context.workdir / "ledger.sqlite3", clock=context.clock,
        netsuite=NetSuiteConfig(account_id=access.account_id, credentials=TbaCredentials(
            access.consumer_key, access.consumer_secret, access.token_id, access.token_secret),
            concurrency_limit=netsuite_concurrency),
        http=context.http, seed=context.seed, webhook_base_url=context.webhook_base_url,
        # a scenario's ledger only has to survive a crash of the process, not of the machine
        ledger_synchronous="NORMAL", **engine_options)


def reference_connector(context: seam.ConnectorContext) -> ReferenceConnector:
    """The factory `refund-harness certify` uses unless --connector names another."""
    return ReferenceConnector(build_engine(context))
