"""The connector's own vocabulary, independent of any platform's wire format.

Storefront adapters turn each platform's JSON into these; the sync flows only ever see these.
Money is ``Decimal`` in the order's currency (common.money); quantities are ``Decimal`` too,
because some storefronts sell by weight ("1.5").
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Mapping

from common import money


class Direction(str, enum.Enum):
    TO_NETSUITE = "to_netsuite"        # storefront refund -> NetSuite cash refund / credit memo
    FROM_NETSUITE = "from_netsuite"    # NetSuite cash refund / credit memo -> storefront refund
    OFF = "off"

    @property
    def label(self) -> str:
        return {"to_netsuite": "refund sync to NetSuite", "from_netsuite": "refund sync from NetSuite",
                "off": "refund sync off"}[self.value]


class RefundStatus(str, enum.Enum):
    RETRIEVED = "retrieved"
    POSTED = "posted"
    ERROR = "error"
    CANCELED = "canceled"


class LineKind(str, enum.Enum):
    ITEM = "item"              # a product line, refundable by quantity
    SHIPPING = "shipping"      # shipping charge (NetSuite: the shipping item)
    ADJUSTMENT = "adjustment"  # amount-only part (NetSuite: the generic refund item)


class SourceStatus(str, enum.Enum):
    """Where the money of a storefront refund stands. Only COMPLETED money is posted or counted."""

    COMPLETED = "completed"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Customer:
    id: str | None
    email: str | None
    first_name: str
    last_name: str


@dataclass(frozen=True)
class OrderLine:
    line_id: str                 # the storefront's own id of the line (line item id, uid ...)
    sku: str | None
    title: str
    quantity: Decimal
    unit_price: Decimal          # list price per unit, before discount
    amount: Decimal              # what the line sold for: quantity * price - discount, before tax
    tax: Decimal
    kind: LineKind = LineKind.ITEM


@dataclass(frozen=True)
class Order:
    id: str
    name: str                    # what a person calls it ("#1001"); the id where the platform has no name
    currency: str
    created_at: datetime
    updated_at: datetime
    customer: Customer | None
    lines: tuple[OrderLine, ...]  # item lines first, then shipping lines
    paid: bool                   # paid at checkout -> NetSuite bills it as a cash sale
    payment_ids: tuple[str, ...] = ()   # the payments (tenders) the order was paid with, where refunds go against payments
    location_id: str | None = None
    gateway: str | None = None   # how it was paid (the platform's gateway name, or "manual" for terms)

    @property
    def item_lines(self) -> tuple[OrderLine, ...]:
        return tuple(line for line in self.lines if line.kind is LineKind.ITEM)

    @property
    def total(self) -> Decimal:
        return money.total((line.amount + line.tax for line in self.lines), self.currency)

    def line(self, line_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)


@dataclass(frozen=True)
class RefundLine:
    """One refunded part. ``amount`` is before tax, ``tax`` the tax refunded with it."""

    sku: str | None
    quantity: Decimal
    amount: Decimal
    tax: Decimal
    line_id: str | None = None   # storefront line id for item and shipping lines
    kind: LineKind = LineKind.ITEM

    @property
    def gross(self) -> Decimal:
        return self.amount + self.tax


@dataclass(frozen=True)
class StorefrontRefund:
    """A refund as the storefront reports it: ``total`` is the money that went back."""

    id: str
    order_id: str
    currency: str
    total: Decimal
    lines: tuple[RefundLine, ...]  # what the storefront says was refunded; may not add up to total
    status: SourceStatus
    note: str = ""
    created_at: datetime | None = None

    @property
    def has_line_items(self) -> bool:
        return any(line.kind is LineKind.ITEM for line in self.lines)


@dataclass(frozen=True)
class PushedRefund:
    """A refund this connector created on a storefront (or found there carrying our marker)."""

    id: str
    status: SourceStatus
    amount: Decimal
    detail: str = ""   # the storefront's words when it failed


@dataclass(frozen=True)
class LineLink:
    line_id: str        # storefront line id
    sku: str | None
    item_id: str        # NetSuite item internal id
    so_line: int | None  # line number on the sales order


@dataclass(frozen=True)
class OrderLink:
    """A storefront order this connector synced, and the NetSuite sales order it became."""

    account_id: int
    order_id: str
    order_name: str
    sales_order_id: str
    sales_order_tranid: str | None
    external_id: str
    currency: str
    lines: tuple[LineLink, ...] = ()
    payment_ids: tuple[str, ...] = ()
    synced_at: datetime | None = None

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(sorted({line.sku for line in self.lines if line.sku}))

    @property
    def sales_order_name(self) -> str:
        return self.sales_order_tranid or f"#{self.sales_order_id}"


@dataclass(frozen=True)
class NetSuiteRefundSource:
    """A NetSuite cash refund / credit memo found for FROM_NETSUITE, resolved to our order."""

    record_type: str     # "cashRefund" | "creditMemo"
    id: str
    tranid: str | None
    billed_type: str     # "cashSale" | "invoice"
    billed_id: str
    sales_order_id: str
    total: Decimal
    currency: str
    lines: tuple[RefundLine, ...] = field(default=())


# --- accounts: one storefront store wired to NetSuite -------------------------------------
@dataclass(frozen=True)
class AccountSettings:
    generic_refund_item_id: str | None = None  # otherChargeSaleItem for amount-only refund parts
    shipping_item_id: str | None = None        # otherChargeSaleItem for shipping on orders and refunds
    payment_method_id: str | None = None       # put on sales orders of orders paid at checkout
    item_map: Mapping[str, str] = field(default_factory=dict)  # SKU -> NetSuite item id (wins over lookup)
    # Payment gateway -> NetSuite payment method id; wins over payment_method_id. A paid order whose
    # gateway maps to nothing (and no default is set) goes to NetSuite without one: it bills as an invoice.
    payment_method_map: Mapping[str, str] = field(default_factory=dict)
    # The connector never refunds a gift card; with this on, a gift-card order's refund from NetSuite
    # goes back as store credit where the storefront offers it (off: the refund is an error to settle by hand).
    refund_gift_cards_as_store_credit: bool = False

    def payment_method_for(self, gateway: str | None) -> str | None:
        if gateway and gateway in self.payment_method_map:
            return str(self.payment_method_map[gateway])
        return self.payment_method_id

    def to_json(self) -> dict:
        return {"generic_refund_item_id": self.generic_refund_item_id,
                "shipping_item_id": self.shipping_item_id,
                "payment_method_id": self.payment_method_id,
                "item_map": dict(self.item_map), "payment_method_map": dict(self.payment_method_map),
                "refund_gift_cards_as_store_credit": self.refund_gift_cards_as_store_credit}

    @classmethod
    def from_json(cls, data: Mapping) -> "AccountSettings":
        return cls(generic_refund_item_id=data.get("generic_refund_item_id"),
                   shipping_item_id=data.get("shipping_item_id"),
                   payment_method_id=data.get("payment_method_id"),
                   item_map=dict(data.get("item_map") or {}),
                   payment_method_map=dict(data.get("payment_method_map") or {}),
                   refund_gift_cards_as_store_credit=bool(data.get("refund_gift_cards_as_store_credit", False)))


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    platform: str                    # a platform of connector.storefronts
    store: str                       # the store on that platform (see its StorefrontSpec.store_hint)
    direction: Direction
    order_sync_active: bool
    order_sync_cutoff: datetime | None   # orders created before this are not imported by sync_orders
    settings: AccountSettings
    created_at: datetime
    updated_at: datetime
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    orders_synced_through: datetime | None = None   # sync_orders asks for orders updated after this
    refund_sync_since: datetime | None = None       # when the current direction was switched on
    last_refund_run_at: datetime | None = None
    # TO_NETSUITE: every storefront refund created before this is in the ledger. It moves only when
    # a scheduled retrieval window completed, so a failed listing page is looked at again.
    refunds_retrieved_through: datetime | None = None
    next_refund_run_at: datetime | None = None
    netsuite_watermark: int = 0      # FROM_NETSUITE: highest NetSuite transaction id already examined
    webhook_registered: bool = False

    @property
    def refund_sync_on(self) -> bool:
        return self.direction is not Direction.OFF
