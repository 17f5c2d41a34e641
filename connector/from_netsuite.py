"""Refund sync FROM NetSuite: cash refunds and credit memos made from billed records of orders this
connector synced are pushed to the storefront, by line where it can, otherwise as one
amount. Standalone credit memos and refunds on other orders are not ours and are ignored.

Exactly-once: before creating anything the storefront is searched for a refund carrying our
marker, the target id is stored the moment the storefront accepted, and a storefront that takes one gets an
idempotency key derived from the ledger row, so a retry after a crash cannot refund twice. Where the
storefront never returns the marker, the ledger keeps what the order's refunds were right before each
push (a ``PushSnapshot``); a later attempt by any worker takes a refund that is new since then, of
the amount pushed and no other row's target, as the one a push whose answer was lost made.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Mapping

from common import money
from connector.claims import confirm_claim
from connector.crashpoints import reached
from connector.errors import ConnectorError
from connector.ledger import Ledger, LedgerRefund, PushSnapshot
from connector.model import (Account, Direction, LineKind, NetSuiteRefundSource, OrderLink, PushedRefund,
                             RefundLine, SourceStatus, StorefrontRefund)
from connector.netsuite import BILLED_TYPE_FOR_REFUND, NetSuiteClient, RefundCandidate, external_id
from connector.storefronts import storefront
from connector.storefronts.base import RefundPush, StorefrontAdapter, push_marker

_KEY_NAMESPACE = uuid.UUID("5b0c4a8e-3d7e-4f2a-9a51-6f1d2f8c7e10")


def idempotency_key(account_id: int, source_id: str, attempt: int) -> str:
    """Same refund, same attempt -> same key, in this process or after a restart."""
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{account_id}/from_netsuite/{source_id}/{attempt}"))


class FromNetSuite:
    direction = Direction.FROM_NETSUITE

    def __init__(self, ledger: Ledger, netsuite: NetSuiteClient) -> None:
        self.ledger = ledger
        self.netsuite = netsuite

    # --- find NetSuite refunds ----------------------------------------------------------------
    def discover(self, account: Account, adapter: StorefrontAdapter) -> int:
        """Scheduled: every cash refund / credit memo above the account's watermark. Returns how many are new."""
        watermark, new = account.netsuite_watermark, 0
        try:
            for candidate in self.netsuite.refunds_created_after(account.netsuite_watermark):
                source, _ = self.resolve(account, candidate)
                if source is not None:
                    _, created = self._record(account, adapter, source)
                    new += created
                    reached("from_netsuite.candidate_recorded")
                watermark = max(watermark, int(candidate.id))
        finally:   # progress is kept even when a later candidate fails, and nothing is skipped
            if watermark != account.netsuite_watermark:
                self.ledger.update_account(account.id, netsuite_watermark=watermark)
                reached("from_netsuite.watermark_advanced")
        return new

    def retrieve(self, account: Account, adapter: StorefrontAdapter, key: str) -> list[LedgerRefund]:
        """Manual: ``key`` is a storefront order id this connector synced, or a NetSuite id / tranId."""
        link = self.ledger.order_link(account.id, str(key))
        if link is not None:
            billed = self.netsuite.billed_records([link.sales_order_id]).get(link.sales_order_id)
            if billed is None:
                raise ConnectorError(f"Order {link.order_name} (sales order {link.sales_order_name}) is not billed in "
                                     "NetSuite, so it has no cash refund or credit memo to retrieve.")
            rows = []
            for candidate in self.netsuite.refunds_created_from([billed.id]):
                source, _ = self.resolve(account, candidate)
                if source is not None:
                    rows.append(self._record(account, adapter, source)[0])
            return rows
        candidate = self.netsuite.transaction_by_key(str(key))
        if candidate is None:
            raise ConnectorError(f"{key} is neither an order synced by account '{account.name}' nor a NetSuite "
                                 "transaction.")
        if candidate.record_type not in BILLED_TYPE_FOR_REFUND:
            raise ConnectorError(f"NetSuite transaction {candidate.tranid or key} is a {candidate.record_type}, not a "
                                 "cash refund or credit memo.")
        source, why_not = self.resolve(account, candidate)
        if source is None:
            raise ConnectorError(f"NetSuite {candidate.record_type} {candidate.tranid or key} is not synced: {why_not}.")
        return [self._record(account, adapter, source)[0]]

    def resolve(self, account: Account, candidate: RefundCandidate) -> tuple[NetSuiteRefundSource | None, str]:
        """Follow refund -> billed record -> sales order -> our order link. (source, "") or (None, why not)."""
        own_prefix = external_id(account.platform, account.store, "refund", "")
        if candidate.external_id and candidate.external_id.startswith(own_prefix):
            return None, "it was created by this connector from a storefront refund"
        if not candidate.created_from:
            return None, "it is standalone (not created from a cash sale or invoice)"
        billed_type = BILLED_TYPE_FOR_REFUND[candidate.record_type]
        billed = self.netsuite.get(billed_type, str(candidate.created_from), expand=True)
        sales_order_id = str(((billed or {}).get("createdFrom") or {}).get("id") or "")
        if not sales_order_id:
            return None, f"its {billed_type} was not billed from a sales order"
        link = self.ledger.order_link_by_sales_order(account.id, sales_order_id)
        if link is None:
            return None, f"its sales order was not synced by account '{account.name}'"
        record = self.netsuite.get(candidate.record_type, candidate.id, expand=True)
        if record is None:
            return None, "it no longer exists"
        lines = storefront_lines(record, billed or {}, link, account.settings.shipping_item_id, link.currency)
        total = money.round_amount(record["total"], link.currency) if record.get("total") is not None else \
            money.total((line.gross for line in lines), link.currency)
        return NetSuiteRefundSource(record_type=candidate.record_type, id=candidate.id,
                                    tranid=record.get("tranId") or candidate.tranid, billed_type=billed_type,
                                    billed_id=str(candidate.created_from), sales_order_id=sales_order_id,
                                    total=total, currency=link.currency, lines=lines), ""

    def _record(self, account: Account, adapter: StorefrontAdapter,
                source: NetSuiteRefundSource) -> tuple[LedgerRefund, bool]:
        link = self.ledger.order_link_by_sales_order(account.id, source.sales_order_id)
        assert link is not None   # resolve() found it
        by_line = adapter.supports_line_items and any(line.kind is LineKind.ITEM for line in source.lines)
        return self.ledger.retrieve(account_id=account.id, direction=self.direction, source_id=source.id,
                                    order_id=link.order_id, currency=source.currency, total=source.total,
                                    lines=source.lines, line_items=by_line, source_name=source.tranid,
                                    order_name=link.order_name)

    # --- push to the storefront ---------------------------------------------------------------
    def push(self, account: Account, adapter: StorefrontAdapter, row: LedgerRefund) -> LedgerRefund:
        if row.target_id:   # sent before; the storefront was still settling it
            pushed = adapter.pushed_refund(row.order_id, row.target_id, row.currency)
            reached("from_netsuite.pending_rechecked")
            return self._settle(adapter, row, pushed)
        if row.total <= 0:
            return self.ledger.mark_error(row.id, f"NetSuite refund {row.source_name or row.source_id} has a total of "
                                                  f"{row.total} {row.currency}; there is no money to refund. Cancel it.")
        order = adapter.get_order(row.order_id)
        marker = push_marker(row.source_name or "transaction", row.source_id)
        found = adapter.find_pushed_refund(order, marker)
        # where the marker is not read back, the order's refunds now are what the push is judged by
        unmarked = None if storefront(account.platform).push_marker_read_back else adapter.list_refunds(order)
        if found is None and unmarked is not None:
            found = self._made_by_lost_push(account, row, unmarked)
        if found is not None:   # pushed before and the answer was lost: adopt it, never send twice
            self.ledger.record_target(row.id, adapter.refund_target_type, found.id)
            return self._settle(adapter, row, found)
        reached("from_netsuite.storefront_searched")
        by_line = adapter.supports_line_items
        items = tuple((line.line_id, line.quantity) for line in row.lines
                      if by_line and line.kind is LineKind.ITEM and line.line_id)
        values = _line_values(row.lines) if by_line else ()
        shipping = sum((line.amount for line in row.lines if line.kind is LineKind.SHIPPING), money.ZERO)
        shipping_tax = sum((line.tax for line in row.lines if line.kind is LineKind.SHIPPING), money.ZERO)
        push = RefundPush(total=row.total, currency=row.currency, lines=items,
                          shipping=shipping if by_line and shipping > 0 else None,
                          line_values=values, shipping_tax=shipping_tax if by_line and shipping > 0 else None,
                          note=f"Refund from NetSuite {row.source_name or row.source_id} {marker}",
                          idempotency_key=idempotency_key(account.id, row.source_id, row.attempt),
                          store_credit=account.settings.refund_gift_cards_as_store_credit)
        if unmarked is not None:   # claims.claim_confirmed, next, falls between this and the push
            self.ledger.record_push_snapshot(row.id, PushSnapshot(frozenset(r.id for r in unmarked), push.total))
        confirm_claim(self.ledger, row.id)
        pushed = adapter.create_refund(order, push)
        reached("from_netsuite.storefront_refund_created")
        self.ledger.record_target(row.id, adapter.refund_target_type, pushed.id)   # exactly-once: remember first
        reached("from_netsuite.target_recorded")
        return self._settle(adapter, self.ledger.refund(row.id), pushed, line_items=bool(items))

    def _made_by_lost_push(self, account: Account, row: LedgerRefund,
                           refunds: list[StorefrontRefund]) -> PushedRefund | None:
        """The refund an earlier push of ``row`` made, when its answer was lost: the first listed refund
        not on the order before that push, of the amount pushed, that no ledger row has as its target.
        A failed one is passed over, as a failed refund carrying the marker is: the push is sent again."""
        for refund in refunds:
            if made_by_lost_push(self.ledger, account.id, row, refund):
                return PushedRefund(id=refund.id, status=refund.status, amount=refund.total)
        return None

    def _settle(self, adapter: StorefrontAdapter, row: LedgerRefund, pushed: PushedRefund,
                line_items: bool | None = None) -> LedgerRefund:
        settled = self._settle_row(adapter, row, pushed, line_items)
        reached("from_netsuite.settled")
        return settled

    def _settle_row(self, adapter: StorefrontAdapter, row: LedgerRefund, pushed: PushedRefund,
                    line_items: bool | None) -> LedgerRefund:
        if pushed.status is SourceStatus.PENDING:
            return self.ledger.mark_pending(row.id)
        if pushed.status is SourceStatus.FAILED:
            self.ledger.next_attempt(row.id)   # a re-post sends a new refund under a new idempotency key
            return self.ledger.mark_error(row.id, (
                f"{adapter.display_name} refund {pushed.id} failed ({pushed.detail or 'FAILED'}): no money went back. "
                "Re-post to send a new refund, or cancel this one."))
        warning = None
        if pushed.amount != row.total:
            warning = (f"{adapter.display_name} refunded {pushed.amount} {row.currency} but NetSuite's total is "
                       f"{row.total} {row.currency}.")
        return self.ledger.mark_posted(row.id, adapter.refund_target_type, pushed.id, line_items=line_items,
                                       warning=warning)


def made_by_lost_push(ledger: Ledger, account_id: int, row: LedgerRefund, refund: StorefrontRefund) -> bool:
    """Whether ``refund`` may be the one an earlier push of ``row`` made when its answer was lost: not on
    the order before that push, of the amount pushed, not failed, and no ledger row's target."""
    snapshot = row.push_snapshot
    return (snapshot is not None and refund.id not in snapshot.known_refunds and refund.total == snapshot.amount
            and refund.status is not SourceStatus.FAILED and not ledger.pushed_to_storefront(account_id, refund.id))


def _line_values(lines: tuple[RefundLine, ...]) -> tuple[tuple[str, Decimal, Decimal], ...]:
    """(storefront line id, amount, tax) NetSuite refunded per refunded item line, lines of one id summed."""
    values: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        if line.kind is LineKind.ITEM and line.line_id:
            amount, tax = values.get(line.line_id, (money.ZERO, money.ZERO))
            values[line.line_id] = (amount + line.amount, tax + line.tax)
    return tuple((line_id, amount, tax) for line_id, (amount, tax) in values.items())


def storefront_lines(record: Mapping, billed: Mapping, link: OrderLink, shipping_item_id: str | None,
                     currency: str) -> tuple[RefundLine, ...]:
    """NetSuite refund lines in storefront terms: which storefront line each one refunds, if any."""
    billed_by_number = {int(line["line"]): line for line in (billed.get("item") or {}).get("items", [])
                        if line.get("line") is not None}
    order_lines = {line.line_id: line for line in link.lines}
    lines = []
    for line in (record.get("item") or {}).get("items", []):
        billed_line = billed_by_number.get(int(line["orderLine"])) if line.get("orderLine") is not None else None
        line_id = str((billed_line or {}).get("custcol_storefront_line_id") or line.get("custcol_storefront_line_id") or "")
        item_id = str((line.get("item") or {}).get("id") or "")
        linked = order_lines.get(line_id)
        if (shipping_item_id and item_id == str(shipping_item_id)) or (linked and linked.sku is None):
            kind = LineKind.SHIPPING
        elif linked is not None:
            kind = LineKind.ITEM
        else:
            kind, line_id = LineKind.ADJUSTMENT, ""
        lines.append(RefundLine(
            sku=linked.sku if linked else None, quantity=Decimal(str(line.get("quantity") or 1)),
            amount=money.round_amount(line.get("amount") or 0, currency),
            tax=money.round_amount(line.get("taxAmount") or 0, currency), line_id=line_id or None, kind=kind))
    return tuple(lines)
