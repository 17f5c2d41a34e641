"""Square's state and refund rules, with no HTTP in sight (moto's ``models``).

Square cannot refund by line: RefundPayment moves an amount back against a COMPLETED payment.
Rules kept here, from Square's Refunds API documentation:
- only COMPLETED payments are refundable;
- never more than collected: the payment total minus refunds that have not FAILED (PENDING and
  COMPLETED both hold money back);
- at most 20 refunds per payment;
- a refund starts PENDING, then becomes COMPLETED or FAILED; after a FAILED refund the payment
  takes no further refunds;
- an idempotency key replays the refund it first created; reused with another amount (or another
  payment) it is refused with IDEMPOTENCY_KEY_REUSED.
Sellers share one host and are told apart by access token; one seller never sees another's records.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import OrderSpec, price_order

T = TypeVar("T")
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class SquareError(Exception):
    """A request Square refuses, as one entry of its ``{"errors": [...]}`` list."""

    def __init__(self, status: int, category: str, code: str, detail: str, field_name: str | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.category = category
        self.code = code
        self.detail = detail
        self.field = field_name


def invalid(code: str, detail: str, field_name: str | None = None) -> SquareError:
    return SquareError(400, "INVALID_REQUEST_ERROR", code, detail, field_name)


def refund_refused(code: str, detail: str) -> SquareError:
    return SquareError(400, "REFUND_ERROR", code, detail)


def not_found(detail: str) -> SquareError:
    return SquareError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", detail)


@dataclass
class SquareSettings:
    """Knobs a test may turn; they survive ``reset`` (they configure the fake, they are not state)."""

    polls_to_complete: int | None = 1   # GETs of a PENDING refund before it completes; None: never by itself
    max_refunds_per_payment: int = 20


@dataclass(frozen=True)
class Merchant:
    id: str
    name: str
    access_token: str
    location_id: str


@dataclass
class CustomerRecord:
    id: str
    merchant_id: str
    given_name: str
    family_name: str
    email_address: str


@dataclass
class LineItem:
    uid: str
    name: str
    sku: str
    catalog_object_id: str
    quantity: int
    base_price: Decimal
    discount: Decimal
    tax: Decimal
    tax_rate: Decimal

    @property
    def gross(self) -> Decimal:
        return self.base_price * self.quantity

    @property
    def total(self) -> Decimal:
        return self.gross - self.discount + self.tax


@dataclass
class ServiceCharge:
    """Square has no shipping line: shipping is a service charge on the order."""

    uid: str
    name: str
    amount: Decimal
    tax: Decimal
    tax_rate: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax


@dataclass
class Order:
    id: str
    merchant_id: str
    location_id: str
    customer_id: str
    state: str            # COMPLETED when paid, OPEN while the payment is only approved
    currency: str
    line_items: list[LineItem]
    service_charges: list[ServiceCharge]
    payment_ids: list[str]   # one per tender: several where the order was paid in parts (split tender)
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int = 1

    @property
    def total_tax(self) -> Decimal:
        return (sum((line.tax for line in self.line_items), money.ZERO)
                + sum((c.tax for c in self.service_charges), money.ZERO))

    @property
    def total_discount(self) -> Decimal:
        return sum((line.discount for line in self.line_items), money.ZERO)

    @property
    def total_service_charge(self) -> Decimal:
        return sum((c.total for c in self.service_charges), money.ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.line_items), money.ZERO) + self.total_service_charge


@dataclass
class Payment:
    id: str
    merchant_id: str
    order_id: str
    location_id: str
    status: str           # COMPLETED | APPROVED
    amount: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime
    refund_ids: list[str] = field(default_factory=list)
    source_type: str = "CARD"  # CARD, CASH (taken at the counter), or EXTERNAL: taken outside Square (terms)


# Gateways that stand for money taken outside Square and recorded on the order (payment terms)
EXTERNAL_GATEWAYS = frozenset({"manual"})
EXTERNAL_SOURCE = "EXTERNAL"
# The gateway of a cash payment taken at the point of sale: a payment whose source_type is CASH
CASH_GATEWAY = "cash"


def source_type_of(gateway: str) -> str:
    """The Payments API source_type of a payment taken through ``gateway`` (an ``OrderSpec.gateway``)."""
    if gateway in EXTERNAL_GATEWAYS:
        return EXTERNAL_SOURCE
    return "CASH" if gateway == CASH_GATEWAY else "CARD"


@dataclass
class Refund:
    id: str
    merchant_id: str
    payment_id: str
    order_id: str
    location_id: str
    amount: Decimal
    currency: str
    reason: str
    status: str           # PENDING -> COMPLETED | FAILED
    created_at: datetime
    updated_at: datetime
    idempotency_key: str
    polls: int = 0


@dataclass(frozen=True)
class RefundAsked:
    """What a RefundPayment request asked for, compared on idempotent replays."""

    payment_id: str
    amount: Decimal
    currency: str
    reason: str


class SquareBackend:
    """Every seller's orders, payments and refunds, and the rules that guard refunds."""

    def __init__(self, clock: Clock, seed: int, settings: SquareSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.ids = IdSource(seed)
        self.merchants: dict[str, Merchant] = {}           # by access token
        self.customers: dict[str, CustomerRecord] = {}
        self.orders: dict[str, Order] = {}
        self.payments: dict[str, Payment] = {}
        self.refunds: dict[str, Refund] = {}
        self._idempotency: dict[tuple[str, str], tuple[RefundAsked, str]] = {}
        self._catalog: dict[tuple[str, str], str] = {}     # (merchant, sku) -> catalog object id
        # Each seller's payments and refunds in (created_at, id) order, so a time-window listing reads
        # only the window (by bisection), however many records the seller has.
        self._payments_by_time: dict[str, list[tuple[datetime, str]]] = {}
        self._refunds_by_time: dict[str, list[tuple[datetime, str]]] = {}

    # sellers -------------------------------------------------------------------------------
    def add_merchant(self, name: str) -> Merchant:
        merchant = Merchant(id=self._upper(13), name=name, access_token="EAAA" + self.ids.token(60),
                            location_id="L" + self._upper(12))
        self.merchants[merchant.access_token] = merchant
        return merchant

    def merchant_for_token(self, token: str) -> Merchant | None:
        return self.merchants.get(token)

    def merchant(self, merchant_id: str) -> Merchant:
        return next(m for m in self.merchants.values() if m.id == merchant_id)

    def _upper(self, length: int) -> str:
        return "".join(_UPPER_ALNUM[ord(c) % len(_UPPER_ALNUM)] for c in self.ids.token(length))

    # orders and payments -------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, merchant: Merchant) -> tuple[Order, list[Payment]]:
        """A checkout: the order and its card payments (COMPLETED when paid, else only APPROVED): one of
        the total, or with ``spec.split_tender`` two, that much and the rest (a split tender)."""
        priced = price_order(spec)  # ValueError naming the bad field; nothing stored yet
        parts = [priced.total]
        if spec.split_tender is not None:
            first = money.amount(spec.split_tender, spec.currency)
            if not money.ZERO < first < priced.total:
                raise ValueError(f"split_tender {first} must be more than 0 and less than the order's total "
                                 f"{priced.total} {spec.currency}")
            parts = [first, priced.total - first]
        now = self.clock.now()
        customer = CustomerRecord(self.ids.token(26).upper(), merchant.id, spec.customer.first_name,
                                  spec.customer.last_name, spec.customer.email)
        lines = [LineItem(self.ids.token(22), p.spec.title, p.spec.sku, self._catalog_id(merchant, p.spec.sku),
                          p.spec.quantity, money.amount(p.spec.price, spec.currency), p.discount, p.tax,
                          p.spec.tax_rate) for p in priced.lines]
        charges = ([ServiceCharge(self.ids.token(22), "Shipping", priced.shipping, priced.shipping_tax,
                                  spec.shipping_tax_rate)] if priced.shipping else [])
        order_id = self.ids.token(27)
        payments = [Payment(self.ids.token(27), merchant.id, order_id, merchant.location_id,
                            "COMPLETED" if spec.paid else "APPROVED", part, spec.currency, now, now,
                            source_type=source_type_of(spec.gateway))
                    for part in parts]
        order = Order(order_id, merchant.id, merchant.location_id, customer.id,
                      "COMPLETED" if spec.paid else "OPEN", spec.currency, lines, charges, [p.id for p in payments],
                      now, now, now if spec.paid else None)
        assert order.total == sum((p.amount for p in payments), money.ZERO), "order and payment totals must agree"
        self.customers[customer.id] = customer
        self.orders[order_id] = order
        for payment in payments:
            self.payments[payment.id] = payment
            bisect.insort(self._payments_by_time.setdefault(merchant.id, []), (payment.created_at, payment.id))
        return order, payments

    def _catalog_id(self, merchant: Merchant, sku: str) -> str:
        return self._catalog.setdefault((merchant.id, sku), self.ids.token(24).upper())

    def order(self, merchant: Merchant, order_id: str) -> Order:
        found = self.orders.get(order_id)
        if found is None or found.merchant_id != merchant.id:
            raise not_found(f"Order {order_id!r} not found.")
        return found

    def customer(self, merchant: Merchant, customer_id: str) -> CustomerRecord:
        found = self.customers.get(customer_id)
        if found is None or found.merchant_id != merchant.id:
            raise not_found(f"Customer with ID `{customer_id}` not found.")
        return found

    def payment(self, merchant: Merchant, payment_id: str) -> Payment:
        found = self.payments.get(payment_id)
        if found is None or found.merchant_id != merchant.id:
            raise not_found(f"Could not find payment with id: {payment_id}")
        return found

    def list_payments(self, merchant: Merchant, *, begin: datetime, end: datetime, descending: bool,
                      location_id: str) -> list[Payment]:
        found = [p for p in _window(self.payments, self._payments_by_time.get(merchant.id, []), begin, end)
                 if p.location_id == location_id]
        return found[::-1] if descending else found

    def order_refunds(self, order: Order) -> list[Refund]:
        return [self.refunds[rid] for payment_id in order.payment_ids for rid in self.payments[payment_id].refund_ids]

    def search_orders(self, merchant: Merchant, location_ids: list[str], *, states: list[str] | None = None,
                      time_field: str = "created_at", start_at: datetime | None = None,
                      end_at: datetime | None = None, descending: bool = True) -> list[Order]:
        found = [o for o in self.orders.values()
                 if o.merchant_id == merchant.id and o.location_id in location_ids
                 and (states is None or o.state in states)]
        if start_at is not None or end_at is not None:
            found = [o for o in found if _within(getattr(o, time_field), start_at, end_at)]
        return sorted(found, key=lambda o: (getattr(o, time_field) or datetime.min.replace(tzinfo=o.created_at.tzinfo),
                                            o.id), reverse=descending)

    # refunds -------------------------------------------------------------------------------
    def refund_payment(self, merchant: Merchant, idempotency_key: str, asked: RefundAsked) -> Refund:
        """RefundPayment. Replays the refund of a key already used for the same request."""
        payment = self.payment(merchant, asked.payment_id)
        previous = self._idempotency.get((merchant.id, idempotency_key))
        if previous is not None:
            first, refund_id = previous
            if first.amount != asked.amount or first.currency != asked.currency:
                raise invalid("IDEMPOTENCY_KEY_REUSED",
                              "Refund request idempotency key was previously used for a different amount",
                              "idempotency_key")
            if first != asked:
                raise invalid("IDEMPOTENCY_KEY_REUSED",
                              "Refund request idempotency key was previously used for a different request "
                              f"(payment {first.payment_id}, reason {first.reason!r})", "idempotency_key")
            return self.refunds[refund_id]
        self._check_refundable(payment, asked)
        now = self.clock.now()
        refund = Refund(f"{payment.id}_{self.ids.token(20)}", merchant.id, payment.id, payment.order_id,
                        payment.location_id, asked.amount, asked.currency, asked.reason, "PENDING", now, now,
                        idempotency_key)
        self.refunds[refund.id] = refund
        bisect.insort(self._refunds_by_time.setdefault(merchant.id, []), (refund.created_at, refund.id))
        payment.refund_ids.append(refund.id)
        self._touch(payment, now)
        self._idempotency[(merchant.id, idempotency_key)] = (asked, refund.id)
        return refund

    def _check_refundable(self, payment: Payment, asked: RefundAsked) -> None:
        if payment.status != "COMPLETED":
            raise refund_refused("PAYMENT_NOT_REFUNDABLE",
                                 f"Payment {payment.id} has status {payment.status}; only COMPLETED payments "
                                 "can be refunded (an APPROVED payment can be canceled instead).")
        if asked.currency != payment.currency:
            raise invalid("INVALID_VALUE", f"The refund currency {asked.currency} does not match the payment "
                          f"currency {payment.currency}.", "amount_money.currency")
        refunds = [self.refunds[rid] for rid in payment.refund_ids]
        failed = next((r for r in refunds if r.status == "FAILED"), None)
        if failed is not None:
            raise refund_refused("PAYMENT_NOT_REFUNDABLE",
                                 f"Payment {payment.id} cannot take further refunds: refund {failed.id} FAILED. "
                                 "Reimburse the buyer by other means.")
        if len(refunds) >= self.settings.max_refunds_per_payment:
            raise refund_refused("PAYMENT_NOT_REFUNDABLE",
                                 f"Payment {payment.id} already has {len(refunds)} refunds, the most a payment "
                                 f"can have is {self.settings.max_refunds_per_payment}.")
        available = self.refundable(payment)
        if asked.amount > available:
            raise refund_refused("REFUND_AMOUNT_INVALID",
                                 "The requested refund amount exceeds the amount available to refund "
                                 f"({money.to_minor(available, payment.currency)} {payment.currency} minor units "
                                 f"left of {money.to_minor(payment.amount, payment.currency)}).")

    def refundable(self, payment: Payment) -> Decimal:
        return payment.amount - self.held_by_refunds(payment)

    def held_by_refunds(self, payment: Payment) -> Decimal:
        """Money already on its way back: every refund that has not FAILED."""
        return sum((self.refunds[rid].amount for rid in payment.refund_ids
                    if self.refunds[rid].status in ("PENDING", "COMPLETED")), money.ZERO)

    def refund(self, merchant: Merchant, refund_id: str, *, poll: bool = False) -> Refund:
        """A refund; ``poll`` counts the read towards ``settings.polls_to_complete``."""
        found = self.refunds.get(refund_id)
        if found is None or found.merchant_id != merchant.id:
            raise not_found(f"Could not find payment refund with id: {refund_id}")
        if poll and found.status == "PENDING":
            found.polls += 1
            target = self.settings.polls_to_complete
            if target is not None and found.polls >= target:
                self._settle(found, "COMPLETED")
        return found

    def list_refunds(self, merchant: Merchant, *, begin: datetime, end: datetime, descending: bool,
                     location_id: str | None = None, status: str | None = None) -> list[Refund]:
        found = [r for r in _window(self.refunds, self._refunds_by_time.get(merchant.id, []), begin, end)
                 if (location_id is None or r.location_id == location_id) and (status is None or r.status == status)]
        return found[::-1] if descending else found

    def settle(self, refund_id: str, status: str) -> Refund:
        """Control plane: finish a PENDING refund now (COMPLETED or FAILED)."""
        found = self.refunds.get(refund_id)
        if found is None:
            raise KeyError(f"no Square refund with id {refund_id!r}")
        if found.status != "PENDING":
            raise ValueError(f"refund {refund_id} is already {found.status}; only a PENDING refund "
                             f"can become {status}")
        self._settle(found, status)
        return found

    def _settle(self, refund: Refund, status: str) -> None:
        refund.status = status
        refund.updated_at = self.clock.now()
        self._touch(self.payments[refund.payment_id], refund.updated_at)

    def _touch(self, payment: Payment, now: datetime) -> None:
        """A refund changes its payment and order, so both show up in "updated since" searches."""
        payment.updated_at = now
        order = self.orders[payment.order_id]
        order.updated_at = now
        order.version += 1


def _window(records: dict[str, T], by_time: list[tuple[datetime, str]], begin: datetime,
            end: datetime) -> list[T]:
    """The records whose (created_at, id) key falls within [begin, end], oldest first, found by bisection."""
    start = bisect.bisect_left(by_time, begin, key=lambda entry: entry[0])
    stop = bisect.bisect_right(by_time, end, key=lambda entry: entry[0])
    return [records[record_id] for _, record_id in by_time[start:stop]]


def _within(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment <= end)


def one_year_before(moment: datetime) -> datetime:
    """ListPaymentRefunds looks back one year unless told otherwise."""
    return moment - timedelta(days=365)
