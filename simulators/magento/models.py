"""Magento 2 / Adobe Commerce sales state and credit-memo rules, with no HTTP in sight (moto's ``models``).

Rules kept here, read from Magento's own Sales module (RefundOrder, RefundInvoice, CreditmemoFactory,
Creditmemo\\Total\\Shipping and the Creditmemo validators):
- a refund is a credit memo; it refunds at once (state 2, "refunded") and updates the order;
- only invoiced quantities can be refunded (qty_to_refund = qty_invoiced - qty_refunded);
- ``items`` empty means *every* item's remaining quantity; named items refund only those (others 0);
- ``shipping_amount`` absent means all shipping still refundable (on the order route) or the
  invoice's shipping (on the invoice route); above what is left: "Maximum shipping amount allowed
  to refund is: %1";
- a memo of only an adjustment (every item at qty 0, shipping 0) is accepted, as Magento 2.4.2 and
  later do (magento/magento2#23069: before, the REST services refused it on an order with no
  shipping left with "You can't create a creditmemo without products.");
- never more money than paid ("The most money available to refund is %1."), and a memo's total
  must be positive ("The credit memo's total must be positive.");
- the invoice route refuses an invoice whose payment method cannot refund online (an offline
  method such as checkmo): "We can't create creditmemo for the invoice." The order route refunds
  offline whatever the method: a card order refunded there is recorded, but no money goes back
  through the gateway (Magento accepts it; the order shows it as an offline refund).
Validation messages are gathered, then raised together as Magento's DocumentValidationException.
A share of a line's discount and tax is rounded so partial refunds add up exactly to the line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

# Magento_OfflinePayments (and "free"): methods whose money is taken outside Magento. Their payment
# model cannot refund online; every other method here is a gateway that captured online.
OFFLINE_METHODS = frozenset({"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free"})
# The harness's gateway names, in Magento's payment method codes: "manual" is an order on payment terms.
METHOD_OF_GATEWAY = {"manual": "purchaseorder", "card": "braintree"}
CURRENCY_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "JPY": "¥"}
CREDITMEMO_REFUNDED = 2
INVOICE_PAID = 2


class MagentoError(Exception):
    """A request Magento refuses: ``{"message": ..., "parameters": [...]}`` with %1-style placeholders."""

    def __init__(self, status: int, message: str, parameters: list[str] | dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {render(message, parameters or [])}")
        self.status = status
        self.message = message
        self.parameters = parameters or []


def render(message: str, parameters: list[str] | dict[str, str]) -> str:
    """The message with its placeholders filled: ``%1`` from a list, ``%name`` from a dict."""
    named = parameters.items() if isinstance(parameters, dict) else (
        (str(index), value) for index, value in enumerate(parameters, start=1))
    for key, value in sorted(named, key=lambda kv: -len(kv[0])):
        message = message.replace(f"%{key}", str(value))
    return message


def no_such_entity() -> MagentoError:
    """NoSuchEntityException's default message (Magento 2.3 and later)."""
    return MagentoError(404, "The entity that was requested doesn't exist. Verify the entity and try again.")


def price_text(amount: Decimal, currency: str) -> str:
    """How Magento's currency formatter shows an amount in a message ("$5.00")."""
    places = money.exponent(currency)
    return f"{CURRENCY_SYMBOL.get(currency, currency + ' ')}{amount:,.{places}f}"


def php_number(amount: Decimal) -> str:
    """A PHP float as ``%1`` prints it: no trailing zeros ("12.5", "30")."""
    return f"{amount.normalize():f}"


def share(whole: Decimal, before: Decimal, now: Decimal, total: Decimal, currency: str) -> Decimal:
    """The part of ``whole`` for units ``before .. before+now`` of ``total``: rounded cumulatively,
    so any sequence of partial refunds of a line adds up exactly to the line."""
    if not total:
        return money.ZERO
    upto = money.round_amount(whole * (before + now) / total, currency)
    done = money.round_amount(whole * before / total, currency)
    return upto - done


@dataclass
class Store:
    domain: str
    code: str
    token: str


@dataclass
class OrderItem:
    item_id: int
    sku: str
    name: str
    price: Decimal
    qty_ordered: Decimal
    discount: Decimal
    tax: Decimal
    tax_percent: Decimal
    qty_invoiced: Decimal = Decimal(0)
    qty_refunded: Decimal = Decimal(0)
    amount_refunded: Decimal = Decimal(0)
    discount_refunded: Decimal = Decimal(0)
    tax_refunded: Decimal = Decimal(0)

    @property
    def row_total(self) -> Decimal:
        return self.price * self.qty_ordered

    @property
    def qty_to_refund(self) -> Decimal:
        return max(self.qty_invoiced - self.qty_refunded, Decimal(0))


class _Totals:
    """Totals Magento works out the same way for an order and a credit memo, from their items
    (``row_total``, ``discount``, ``tax``) and shipping (``shipping_amount``, ``shipping_tax``)."""

    @property
    def subtotal(self) -> Decimal:
        return sum((i.row_total for i in self.items), money.ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((i.discount for i in self.items), money.ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((i.tax for i in self.items), money.ZERO) + self.shipping_tax

    @property
    def items_and_shipping(self) -> Decimal:
        return self.subtotal - self.discount + self.tax + self.shipping_amount  # type: ignore[attr-defined]


@dataclass
class Order(_Totals):
    entity_id: int
    increment_id: str
    store_code: str
    currency: str
    customer_email: str
    customer_firstname: str
    customer_lastname: str
    items: list[OrderItem]
    shipping_amount: Decimal
    shipping_tax: Decimal
    method: str
    created_at: datetime
    updated_at: datetime
    state: str = "new"
    status: str = "pending"
    total_paid: Decimal = Decimal(0)
    total_refunded: Decimal = Decimal(0)
    total_online_refunded: Decimal = Decimal(0)
    total_offline_refunded: Decimal = Decimal(0)
    shipping_refunded: Decimal = Decimal(0)
    shipping_tax_refunded: Decimal = Decimal(0)
    invoice_ids: list[int] = field(default_factory=list)
    creditmemo_ids: list[int] = field(default_factory=list)
    last_trans_id: str | None = None

    @property
    def online(self) -> bool:
        return self.method not in OFFLINE_METHODS

    @property
    def grand_total(self) -> Decimal:
        return self.items_and_shipping

    def item(self, item_id: int) -> OrderItem | None:
        return next((i for i in self.items if i.item_id == item_id), None)


@dataclass
class Invoice:
    entity_id: int
    order_id: int
    increment_id: str
    grand_total: Decimal
    shipping_amount: Decimal
    qtys: dict[int, Decimal]
    transaction_id: str | None      # set when the gateway captured online
    created_at: datetime
    updated_at: datetime
    state: int = INVOICE_PAID
    total_refunded: Decimal = Decimal(0)
    is_used_for_refund: bool = False


@dataclass
class CreditmemoItem:
    order_item_id: int
    sku: str
    name: str
    price: Decimal
    qty: Decimal
    discount: Decimal
    tax: Decimal

    @property
    def row_total(self) -> Decimal:
        return self.price * self.qty


@dataclass
class Creditmemo(_Totals):
    entity_id: int
    order_id: int
    invoice_id: int | None
    increment_id: str
    currency: str
    items: list[CreditmemoItem]
    shipping_amount: Decimal
    shipping_tax: Decimal
    adjustment_positive: Decimal
    adjustment_negative: Decimal
    online: bool
    transaction_id: str | None
    comments: list[str]
    return_to_stock: list[int]
    created_at: datetime
    updated_at: datetime
    state: int = CREDITMEMO_REFUNDED

    @property
    def grand_total(self) -> Decimal:
        return self.items_and_shipping + self.adjustment_positive - self.adjustment_negative


@dataclass(frozen=True)
class RefundAsked:
    """One credit-memo request: ``items`` None refunds every remaining quantity (Magento's empty list)."""

    items: tuple[tuple[int, Decimal], ...] | None
    shipping_amount: Decimal | None
    adjustment_positive: Decimal = Decimal(0)
    adjustment_negative: Decimal = Decimal(0)
    comment: str = ""
    return_to_stock: tuple[int, ...] = ()


class MagentoBackend:
    """One Magento installation: its store views, orders, invoices and credit memos."""

    def __init__(self, clock: Clock, seed: int) -> None:
        self.clock = clock
        self.ids = IdSource(seed)
        self.orders: dict[int, Order] = {}
        self.invoices: dict[int, Invoice] = {}
        self.creditmemos: dict[int, Creditmemo] = {}
        self._next = {"order": 1, "item": 1, "invoice": 1, "creditmemo": 1}

    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    # --- orders -----------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, store_code: str) -> Order:
        """A checkout; a paid order is invoiced at once (captured online, or paid offline)."""
        priced = price_order(spec)   # ValueError naming the bad field; nothing stored yet
        now = self.clock.now()
        method = METHOD_OF_GATEWAY.get(spec.gateway, spec.gateway)
        items = [OrderItem(self._id("item"), p.spec.sku, p.spec.title, money.amount(p.spec.price, spec.currency),
                           Decimal(p.spec.quantity), p.discount, p.tax, p.spec.tax_rate * 100) for p in priced.lines]
        entity_id = self._id("order")
        order = Order(entity_id, f"{entity_id:09d}", store_code, spec.currency, spec.customer.email,
                      spec.customer.first_name, spec.customer.last_name, items, priced.shipping,
                      priced.shipping_tax, method, now, now)
        assert order.grand_total == priced.total, "order totals must agree with the spec"
        self.orders[entity_id] = order
        if spec.paid:
            self._invoice(order, now)
        return order

    def _invoice(self, order: Order, now: datetime) -> Invoice:
        for item in order.items:
            item.qty_invoiced = item.qty_ordered
        invoice_id = self._id("invoice")
        transaction = f"txn_{self.ids.hex(12)}" if order.online else None
        invoice = Invoice(invoice_id, order.entity_id, f"{invoice_id:09d}", order.grand_total, order.shipping_amount,
                          {i.item_id: i.qty_ordered for i in order.items}, transaction, now, now)
        self.invoices[invoice_id] = invoice
        order.invoice_ids.append(invoice_id)
        order.total_paid = order.grand_total
        order.state = order.status = "processing"
        order.last_trans_id = transaction
        order.updated_at = now
        return invoice

    def order(self, order_id: int) -> Order:
        found = self.orders.get(order_id)
        if found is None:
            raise no_such_entity()
        return found

    def invoice(self, invoice_id: int) -> Invoice:
        found = self.invoices.get(invoice_id)
        if found is None:
            raise no_such_entity()
        return found

    def creditmemo(self, creditmemo_id: int) -> Creditmemo:
        found = self.creditmemos.get(creditmemo_id)
        if found is None:
            raise no_such_entity()
        return found

    # --- credit memos -----------------------------------------------------------------------
    def refund(self, order: Order, asked: RefundAsked, *, invoice: Invoice | None = None, online: bool = False,
               admin: bool = False) -> Creditmemo:
        """RefundOrder (``invoice`` None: offline) or RefundInvoice; ``admin`` is the merchant's form,
        which skips the REST services' item validator."""
        memo = self._draft(order, asked, invoice)
        messages = self._order_messages(order)
        if invoice is not None:
            messages += self._invoice_messages(order, invoice, memo)
        if not admin:
            messages += self._item_messages(order, asked)
        messages += self._memo_messages(order, memo)
        if messages:
            raise MagentoError(400, "Creditmemo Document Validation Error(s):\n" + "\n".join(messages))
        return self._register(order, memo, invoice, online)

    def _draft(self, order: Order, asked: RefundAsked, invoice: Invoice | None) -> Creditmemo:
        cur = order.currency
        wanted = dict(asked.items) if asked.items is not None else None
        lines = []
        for item in order.items:
            if wanted is None:
                qty = item.qty_to_refund
            else:
                qty = wanted.get(item.item_id, Decimal(0))
            if invoice is not None:
                qty = min(qty, invoice.qtys.get(item.item_id, Decimal(0)))
            before = item.qty_refunded
            lines.append(CreditmemoItem(
                item.item_id, item.sku, item.name, item.price, qty,
                share(item.discount, before, qty, item.qty_ordered, cur) if qty > 0 else money.ZERO,
                share(item.tax, before, qty, item.qty_ordered, cur) if qty > 0 else money.ZERO))
        left = order.shipping_amount - order.shipping_refunded
        if asked.shipping_amount is None:
            shipping = left if invoice is None else min(left, invoice.shipping_amount)
        else:
            shipping = money.round_amount(asked.shipping_amount, cur)
            if shipping > left:
                raise MagentoError(400, "Maximum shipping amount allowed to refund is: %1", [price_text(left, cur)])
        shipping_tax = share(order.shipping_tax, order.shipping_refunded, shipping, order.shipping_amount, cur) \
            if shipping > 0 else money.ZERO
        memo_id = self._next["creditmemo"]
        now = self.clock.now()
        return Creditmemo(memo_id, order.entity_id, invoice.entity_id if invoice else None, f"{memo_id:09d}", cur,
                          lines, shipping, shipping_tax, money.round_amount(asked.adjustment_positive, cur),
                          money.round_amount(asked.adjustment_negative, cur), False, None,
                          [asked.comment] if asked.comment else [], list(asked.return_to_stock), now, now)

    @staticmethod
    def _order_messages(order: Order) -> list[str]:
        messages = []
        if order.state in ("payment_review", "holded", "canceled", "closed"):
            messages.append(f"A creditmemo can not be created when an order has a status of {order.status}")
        elif order.total_paid == order.total_refunded:
            # Magento 2.4's CanRefund looks at money, not items: with every item refunded, the shipping
            # or an adjustment left can still be refunded (2.1 refused once no item quantity was left)
            messages.append("The order does not allow a creditmemo to be created.")
        if order.total_paid == order.total_refunded:
            messages.append("We can't create creditmemo for the order.")
        return messages

    @staticmethod
    def _invoice_messages(order: Order, invoice: Invoice, memo: Creditmemo) -> list[str]:
        if (invoice.state == INVOICE_PAID and invoice.grand_total != invoice.total_refunded and order.online
                and not invoice.is_used_for_refund):
            return []
        return ["We can't create creditmemo for the invoice."]

    @staticmethod
    def _item_messages(order: Order, asked: RefundAsked) -> list[str]:
        messages = []
        for item_id, qty in asked.items or ():
            item = order.item(item_id)
            if item is None:
                messages.append("The creditmemo contains product item that is not part of the original order.")
            elif qty > item.qty_to_refund:
                messages.append("The quantity to refund must not be greater than the unrefunded quantity.")
        return messages

    @staticmethod
    def _memo_messages(order: Order, memo: Creditmemo) -> list[str]:
        messages = []
        for line in memo.items:
            item = order.item(line.order_item_id)
            assert item is not None
            if line.qty < 0 or line.qty > item.qty_to_refund:
                messages.append("The quantity to creditmemo must not be greater than the unrefunded quantity "
                                f'for product SKU "{item.sku}".')
        if memo.grand_total <= 0:
            messages.append("The credit memo's total must be positive.")
        if order.total_refunded + memo.grand_total > order.total_paid:
            messages.append(f"The most money available to refund is "
                            f"{php_number(order.total_paid - order.total_refunded)}.")
        return messages

    def _register(self, order: Order, memo: Creditmemo, invoice: Invoice | None, online: bool) -> Creditmemo:
        now = self.clock.now()
        memo.entity_id = self._id("creditmemo")
        memo.increment_id = f"{memo.entity_id:09d}"
        memo.items = [line for line in memo.items if line.qty > 0]
        memo.online = online
        memo.transaction_id = f"{invoice.transaction_id}-refund-{memo.entity_id}" if online and invoice else None
        memo.created_at = memo.updated_at = now
        for line in memo.items:
            item = order.item(line.order_item_id)
            assert item is not None
            item.qty_refunded += line.qty
            item.amount_refunded += line.row_total - line.discount
            item.discount_refunded += line.discount
            item.tax_refunded += line.tax
        order.shipping_refunded += memo.shipping_amount
        order.shipping_tax_refunded += memo.shipping_tax
        order.total_refunded += memo.grand_total
        if online:
            order.total_online_refunded += memo.grand_total
        else:
            order.total_offline_refunded += memo.grand_total
        if invoice is not None:
            invoice.total_refunded += memo.grand_total
            invoice.is_used_for_refund = invoice.is_used_for_refund or not online
            invoice.updated_at = now
        if order.total_refunded >= order.total_paid:
            order.state = order.status = "closed"
        order.updated_at = now
        order.creditmemo_ids.append(memo.entity_id)
        self.creditmemos[memo.entity_id] = memo
        return memo
