"""What NetSuite holds of an order under test, read from the NetSuite simulator: the refunds made from
its billed record as reconciliation sees them, the writes sent about it, the tax sent with its refunds,
and what its lines are called in the scenario's words."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from common import jsonio
from harness.expected import OrderUnderTest
from harness.line_names import SHIPPING, LineNames
from harness.reconcile import SideRefund, line_key
from simulators.netsuite import NetSuiteError, NetSuiteSimulator

# A NetSuite refund made the way the Refund button makes it: a transform of the billed record
# (groups: billed record type, billed record id, refund type).
REFUND_TRANSFORM = re.compile(r"/record/v1/(cashSale|invoice)/([^/]+)/!transform/(cashRefund|creditMemo)$")


class NetSuiteView:
    """Reads one World's NetSuite simulator, naming items as the World set them up: ``item_ids`` (SKU ->
    inventory item id), the generic refund item and the shipping item."""

    def __init__(self, netsuite: NetSuiteSimulator, item_ids: dict[str, str], refund_item_id: str,
                 shipping_item_id: str) -> None:
        self.netsuite = netsuite
        self.item_ids = item_ids
        self.refund_item_id = refund_item_id
        self.shipping_item_id = shipping_item_id

    def refunds_of(self, order: OrderUnderTest) -> list[tuple[str, dict]]:
        """(record type, record) of every refund NetSuite made from the order's billed record."""
        if order.billed is None:
            return []
        return self.netsuite.refunds_from(*order.billed)

    def writes_for(self, order: OrderUnderTest) -> list[tuple[str, str, Any]]:
        """(method, path, parsed JSON body) of every write sent to NetSuite for this order, whatever NetSuite
        answered: a request whose path names its sales order, its billed record or a refund made from it,
        or whose body carries one of the order's storefront line ids (the sales order's creation)."""
        records = [("salesOrder", order.sales_order_id)] if order.sales_order_id else []
        records += [order.billed] if order.billed else []
        records += [(kind, record["id"]) for kind, record in self.refunds_of(order)]
        named = [f"/{kind}/{record_id}" for kind, record_id in records]
        line_ids = [line.line_id for line in order.placed.lines]
        writes = []
        for entry in self.netsuite.journal.entries():
            if entry.method not in ("POST", "PATCH", "PUT") or not entry.request_body:
                continue
            text = entry.request_body.decode("utf-8", "replace")
            path_names = any(entry.path.endswith(n) or f"{n}/" in entry.path for n in named)
            if path_names or any(f'"{line_id}"' in text for line_id in line_ids):
                try:
                    writes.append((entry.method, entry.path, jsonio.loads(entry.request_body)))
                except ValueError:   # a SuiteQL or other non-JSON body carries no record amounts
                    continue
        return writes

    def tax_sent(self, order: OrderUnderTest) -> Decimal | None:
        """The tax on every refund NetSuite accepted from the billed record of this order, as the
        requests carried it (NetSuite's own journal); None if the order was never billed."""
        if order.billed is None:
            return None
        sent = Decimal(0)
        for entry in self.netsuite.journal.entries():
            made = REFUND_TRANSFORM.search(entry.path)
            if entry.method == "POST" and entry.status < 300 and made and made.group(1, 2) == order.billed:
                body = jsonio.loads(entry.request_body)
                sent += sum((Decimal(str(line.get("taxAmount", 0))) for line in body.get("item", {}).get("items", [])),
                            Decimal(0))
        return sent

    def _billed_line_ids(self, order: OrderUnderTest) -> dict[Any, Any]:
        """Billed line number -> its storefront line id; empty when the billed record is gone."""
        if order.billed is None:
            return {}
        try:
            billed = self.netsuite.record(*order.billed)
        except NetSuiteError:   # deleted in NetSuite: its refunds name their lines themselves, or not at all
            return {}
        return {line.get("line"): line.get("custcol_storefront_line_id") for line in billed["item"]["items"]}

    def side(self, order: OrderUnderTest) -> list[SideRefund]:
        """NetSuite's refunds of the order, as reconciliation compares them with the storefront's."""
        sku_of = {item_id: sku for sku, item_id in self.item_ids.items()}
        number_of = {line.line_id: number for number, line in enumerate(order.placed.lines, start=1)}
        found = []
        for kind, record in self.refunds_of(order):
            items = [line for line in record["item"]["items"] if line["item"]["id"] in sku_of]
            # a refund line left without the storefront line id is tied to it by the billed line it refunds
            billed_line_ids = self._billed_line_ids(order) if any(
                not line.get("custcol_storefront_line_id") for line in items) else {}
            keys = [line_key(sku_of[line["item"]["id"]],
                             number_of.get(line.get("custcol_storefront_line_id") or billed_line_ids.get(line.get("orderLine"))))
                    for line in items]
            lines = tuple((key, int(line["quantity"])) for key, line in zip(keys, items))
            values = tuple((key, Decimal(str(line["amount"])), Decimal(str(line.get("taxAmount", 0))))
                           for key, line in zip(keys, items))
            shipping = sum((Decimal(str(line["amount"])) for line in record["item"]["items"]
                            if line["item"]["id"] == self.shipping_item_id), Decimal(0))
            on_lines = sum((Decimal(str(line["amount"])) + Decimal(str(line.get("taxAmount", 0)))
                            for line in record["item"]["items"] if line["item"]["id"] != self.refund_item_id),
                           Decimal(0))
            found.append(SideRefund(record["id"], Decimal(str(record["total"])), record["currency"]["refName"],
                                    Decimal(str(record["taxTotal"])), lines, kind, values, shipping, on_lines))
        return found

    def line_names(self, order: OrderUnderTest) -> LineNames:
        """What the order's lines are called in the scenario (SKU and line number, "the shipping"),
        keyed by the numbers NetSuite (line of its sales order, billed record and refunds, by tranId)
        and the storefront (its line ids; a SKU on one line only) name them by."""
        sku_of = {item_id: sku for sku, item_id in self.item_ids.items()}
        number_of = {line.line_id: number for number, line in enumerate(order.placed.lines, start=1)}
        names = LineNames()
        for number, line in enumerate(order.placed.lines, start=1):
            names.storefront_ids[line.line_id] = line_key(line.sku, number)
        for sku in {line.sku for line in order.placed.lines}:
            on = [n for n, line in enumerate(order.placed.lines, start=1) if line.sku == sku]
            if len(on) == 1:
                names.storefront_skus[sku] = line_key(sku, on[0])
        records = [("salesOrder", order.sales_order_id)] if order.sales_order_id else []
        records += [order.billed] if order.billed else []
        documents = [self._record_or_none(kind, record_id) for kind, record_id in records]
        documents += [record for _, record in self.refunds_of(order)]
        for record in documents:
            if not record or not record.get("tranId"):
                continue
            by_line = names.netsuite.setdefault(record["tranId"], {})
            for line in record["item"]["items"]:
                item_id = line["item"]["id"]
                if item_id == self.shipping_item_id:
                    by_line[int(line["line"])] = SHIPPING
                elif item_id in sku_of:
                    by_line[int(line["line"])] = line_key(
                        sku_of[item_id], number_of.get(line.get("custcol_storefront_line_id")))
        return names

    def _record_or_none(self, kind: str, record_id: str) -> dict | None:
        try:
            return self.netsuite.record(kind, record_id)
        except NetSuiteError:   # deleted by a NetSuite user: nothing of it to name
            return None
