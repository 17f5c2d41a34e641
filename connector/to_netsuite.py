"""Refund sync TO NetSuite: a storefront refund becomes what NetSuite's Refund button makes from
the billed record of the order: a cash refund from a cash sale, a credit memo from an invoice.

Refunded lines point at the billed lines they refund (``orderLine``); shipping goes on the shipping
item; whatever else the storefront refunded (order adjustments, amount-only refunds, lines that
cannot be matched) goes on the generic refund item, so the NetSuite total equals the storefront
total to the cent and nothing is silently dropped.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence

from common import money
from connector.claims import confirm_claim
from connector.crashpoints import reached
from connector.errors import ConnectorError, RemoteError, error_facts
from connector.from_netsuite import made_by_lost_push
from connector.ledger import Ledger, LedgerRefund
from connector.model import Account, Direction, LineKind, RefundLine, SourceStatus, StorefrontRefund
from connector.netsuite import REFUND_TYPE_FOR_BILLED, NetSuiteClient, external_id
from connector.order_sync import order_external_id
from connector.storefronts.base import StorefrontAdapter, carries_marker


def refund_external_id(account: Account, refund_id: str) -> str:
    return external_id(account.platform, account.store, "refund", refund_id)


def _quantity(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else value


def netsuite_refund_lines(lines: Sequence[RefundLine], total: Decimal, currency: str, billed_lines: Sequence[Mapping],
                          item_of_sku: Mapping[str, str], shipping_item_id: str | None,
                          generic_item_id: str | None) -> list[dict[str, Any]]:
    """The ``item.items`` of the transform body; their amount + taxAmount add up to ``total`` exactly."""
    by_line_id = {str(b["custcol_storefront_line_id"]): b for b in billed_lines if b.get("custcol_storefront_line_id")}
    refunded: dict[int, dict[str, Any]] = {}   # billed line number -> refund line
    extra: list[dict[str, Any]] = []
    unmatched: list[str] = []
    for line in lines:
        if line.kind is LineKind.ITEM:
            billed = by_line_id.get(str(line.line_id)) or _billed_line_of_item(billed_lines, item_of_sku.get(line.sku or ""))
            if billed is None:
                unmatched.append(line.sku or str(line.line_id))
                continue
            row = refunded.setdefault(int(billed["line"]), {"orderLine": int(billed["line"]), "quantity": Decimal(0),
                                                            "amount": money.ZERO, "taxAmount": money.ZERO})
            row["quantity"] += line.quantity
            row["amount"] += line.amount
            row["taxAmount"] += line.tax
        elif line.kind is LineKind.SHIPPING and shipping_item_id and line.gross:
            extra.append({"item": {"id": shipping_item_id}, "quantity": 1, "amount": line.amount,
                          "taxAmount": line.tax, "description": "Shipping refund"})
    items = [dict(row, quantity=_quantity(row["quantity"])) for row in refunded.values()] + extra
    residual = money.amount(total, currency) - sum((i["amount"] + i["taxAmount"] for i in items), money.ZERO)
    if residual < 0:
        # Less money went back than the lines are worth (e.g. a storefront's refund discrepancy). NetSuite
        # takes no negative lines, so the refunded lines carry the reduction, in proportion.
        _reduce(items, -residual, currency)
        residual = money.ZERO
    if residual:
        if not generic_item_id:
            raise ConnectorError(f"{money.format_amount(residual, currency)} {currency} of this refund is not tied to a "
                                 "refunded line; configure the generic refund item (generic_refund_item_id) to post it.")
        why = "Refund adjustment" + (f" (includes lines not found on the billed record: {', '.join(unmatched)})"
                                     if unmatched else "")
        items.append({"item": {"id": generic_item_id}, "quantity": 1, "amount": residual, "taxAmount": money.ZERO,
                      "description": why})
    return [{key: (money.amount(v, currency) if key in ("amount", "taxAmount") else v) for key, v in i.items()}
            for i in items]


def _reduce(items: list[dict[str, Any]], reduction: Decimal, currency: str) -> None:
    """Take ``reduction`` off the lines in proportion to their worth: amount first, then tax."""
    worth = [i["amount"] + i["taxAmount"] for i in items]
    if sum(worth, money.ZERO) < reduction:
        raise ConnectorError(f"The refund total is negative by {reduction} {currency}; nothing can be posted.")
    for item, part in zip(items, money.allocate(reduction, worth, currency)):
        from_amount = min(part, item["amount"])
        item["amount"] -= from_amount
        item["taxAmount"] -= part - from_amount


def _billed_line_of_item(billed_lines: Sequence[Mapping], item_id: str | None) -> Mapping | None:
    if not item_id:
        return None
    return next((b for b in billed_lines if str((b.get("item") or {}).get("id")) == str(item_id)), None)


class ToNetSuite:
    direction = Direction.TO_NETSUITE

    def __init__(self, ledger: Ledger, netsuite: NetSuiteClient) -> None:
        self.ledger = ledger
        self.netsuite = netsuite

    # --- retrieve ---------------------------------------------------------------------------
    def retrieve_order(self, account: Account, adapter: StorefrontAdapter, order_id: str) -> list[LedgerRefund]:
        """Manual "Retrieve Refund/Return": every refund of one storefront order."""
        order = adapter.get_order(str(order_id))
        rows = []
        for refund in adapter.list_refunds(order):
            row = self.record(account, refund, order.name)
            if row is not None:
                rows.append(row)
        return rows

    def retrieve_since(self, account: Account, adapter: StorefrontAdapter, since: Any) -> int:
        """Scheduled: refunds created since ``since`` on orders this connector synced. Returns how many are new."""
        new = 0
        for refund in adapter.refunds_since(since):
            link = self.ledger.order_link(account.id, refund.order_id)
            if link is None:
                continue   # not an order this connector synced: not ours to post
            before = self.ledger.find(account.id, self.direction, refund.id)
            if self.record(account, refund, link.order_name) is not None and before is None:
                new += 1
            reached("to_netsuite.refund_recorded")
        return new

    def record(self, account: Account, refund: StorefrontRefund, order_name: str | None = None) -> LedgerRefund | None:
        """Into the ledger as RETRIEVED (once). A refund the connector itself pushed is never echoed back:
        it carries the push marker, or (where the storefront keeps no note) the ledger knows its id (from
        any account on the store) or recognises it as what a push whose answer was lost made (sync was
        switched since that push)."""
        if carries_marker(refund.note) or self._pushed_by_the_store_accounts(account, refund):
            return None
        if self.ledger.find(account.id, self.direction, refund.id) is None and self._made_by_lost_push(account, refund):
            return None
        if order_name is None:
            link = self.ledger.order_link(account.id, refund.order_id)
            order_name = link.order_name if link else None
        row, _ = self.ledger.retrieve(
            account_id=account.id, direction=self.direction, source_id=refund.id, order_id=refund.order_id,
            currency=refund.currency, total=refund.total, lines=refund.lines, line_items=refund.has_line_items,
            source_status=refund.status, order_name=order_name)
        return row

    def _pushed_by_the_store_accounts(self, account: Account, refund: StorefrontRefund) -> bool:
        """Whether any account on ``account``'s store (the connector set up twice for one store) pushed
        ``refund`` there from NetSuite: where the storefront keeps no marker, only the ledger tells."""
        if self.ledger.pushed_to_storefront(account.id, refund.id):
            return True
        return any(self.ledger.pushed_to_storefront(other.id, refund.id) for other in self.ledger.accounts()
                   if other.id != account.id and other.platform == account.platform and other.store == account.store)

    def _made_by_lost_push(self, account: Account, refund: StorefrontRefund) -> bool:
        """Whether a push from NetSuite made ``refund`` and lost its answer: that push's row, left open when
        sync was switched to NetSuite, adopts it if sync is ever switched back, so it is never posted here."""
        return any(row.order_id == refund.order_id and row.target_id is None
                   and made_by_lost_push(self.ledger, account.id, row, refund)
                   for row in self.ledger.open_refunds(account.id, Direction.FROM_NETSUITE))

    # --- post -------------------------------------------------------------------------------
    def post(self, account: Account, adapter: StorefrontAdapter, row: LedgerRefund) -> LedgerRefund:
        order_name = row.order_name or f"#{row.order_id}"
        if row.source_status is not SourceStatus.COMPLETED:
            row = self._refresh(adapter, row)
            if row.source_status is SourceStatus.PENDING:
                return self.ledger.mark_pending(row.id)
            if row.source_status is SourceStatus.FAILED:
                return self.ledger.mark_error(row.id, f"The refund failed in {adapter.display_name}: no money went back "
                                                      "to the customer, so there is nothing to post. Cancel it.")
        if row.total <= 0:
            return self.ledger.mark_error(row.id, f"{adapter.display_name} refund {row.source_id} returned no money "
                                                  "(restock only), so there is nothing to post to NetSuite. Cancel it.")
        link = self.ledger.order_link(account.id, row.order_id)
        so_ext = link.external_id if link else order_external_id(account, row.order_id)
        sales_order = self.netsuite.get_by_external_id("salesOrder", so_ext)
        if sales_order is None:
            if link is not None:
                return self.ledger.mark_error(row.id, (
                    f"Sales order {link.sales_order_name} of order {order_name} no longer exists in NetSuite (deleted?), "
                    "so the refund cannot be posted. Cancel this refund and handle it manually in both systems."))
            return self.ledger.mark_error(row.id, (
                f"Order {order_name} was never synced to NetSuite (no sales order with externalId {so_ext}). "
                "Sync the order, then re-post this refund."), retryable=True)
        so_id, so_name = str(sales_order["id"]), sales_order.get("tranId") or f"#{sales_order['id']}"
        billed = self.netsuite.billed_records([so_id]).get(so_id)
        if billed is None:
            return self.ledger.mark_error(row.id, (
                f"Order {order_name} (sales order {so_name}) is not billed yet; bill it in NetSuite and re-post."),
                retryable=True)
        refund_type = REFUND_TYPE_FOR_BILLED[billed.record_type]
        ext = refund_external_id(account, row.source_id)
        already = self.netsuite.get_by_external_id(refund_type, ext)
        if already is not None:   # posted before (e.g. the answer was lost): link it, never post twice
            return self.ledger.mark_posted(row.id, refund_type, str(already["id"]), target_name=already.get("tranId"))
        billed_record = self.netsuite.get(billed.record_type, billed.id, expand=True) or {}
        settings = account.settings
        item_of_sku = {l.sku: l.item_id for l in (link.lines if link else ()) if l.sku and l.item_id}
        try:
            items = netsuite_refund_lines(row.lines, row.total, row.currency,
                                          (billed_record.get("item") or {}).get("items", []), item_of_sku,
                                          settings.shipping_item_id, settings.generic_refund_item_id)
        except ConnectorError as exc:
            return self.ledger.mark_error(row.id, str(exc))
        body = {"externalId": ext, "taxDetailsOverride": True, "item": {"items": items},
                "memo": f"{adapter.display_name} refund {row.source_id} of order {order_name}"}
        confirm_claim(self.ledger, row.id)
        try:
            target_id = self.netsuite.transform(billed.record_type, billed.id, refund_type, body, replace="item")
        except RemoteError as exc:
            if exc.status == 400 and "already exists" in exc.detail:
                found = self.netsuite.get_by_external_id(refund_type, ext)
                if found is not None:
                    return self.ledger.mark_posted(row.id, refund_type, str(found["id"]), target_name=found.get("tranId"))
            return self.ledger.mark_error(row.id, _rejected(exc, refund_type, billed.tranid or billed.id),
                                          facts=error_facts(exc))
        reached("to_netsuite.netsuite_refund_created")
        self.ledger.record_target(row.id, refund_type, target_id)   # exactly-once: remember it first
        reached("to_netsuite.target_recorded")
        created = self.netsuite.get(refund_type, target_id) or {}
        posted = self.ledger.mark_posted(row.id, refund_type, target_id, target_name=created.get("tranId"),
                                         warning=_total_warning(created, row))
        reached("to_netsuite.marked_posted")
        return posted

    def _refresh(self, adapter: StorefrontAdapter, row: LedgerRefund) -> LedgerRefund:
        """A refund whose money was not settled when retrieved: ask the storefront again."""
        fresh = adapter.refund(row.order_id, row.source_id)
        return self.ledger.refresh_source(row.id, fresh.status, fresh.total, fresh.lines, fresh.has_line_items)


def _rejected(exc: RemoteError, refund_type: str, billed_name: str) -> str:
    if exc.status == 400:
        said = exc.detail or str(exc)
        return (f"NetSuite rejected the {refund_type} from {billed_name}: {said}"
                f"{'' if said.endswith('.') else '.'} Fix the cause in NetSuite or cancel this refund.")
    return str(exc)


def _total_warning(created: Mapping, row: LedgerRefund) -> str | None:
    if created.get("total") is None:
        return None
    in_netsuite = money.round_amount(created["total"], row.currency)
    if in_netsuite == row.total:
        return None
    return (f"NetSuite's total is {in_netsuite} {row.currency} but the storefront refunded {row.total} {row.currency}: "
            "NetSuite recalculated the amounts (check that its tax set-up honours the connector's tax override).")
