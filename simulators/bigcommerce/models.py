"""BigCommerce's state and refund rules, with no HTTP in sight (moto's ``models``).

Rules kept here, from the Orders v3 "Payment Actions" reference:
- a refund is quoted first (``refund_quotes``): the items give the amount and tax, and
  ``refund_methods`` lists the payment options; a refund's ``payments[].amount`` must be an amount the
  quote offered for that provider, or it is refused with 422;
- PRODUCT items refund a quantity of an order product (never more than is left of it); SHIPPING and
  HANDLING items an amount of an order address's charge (never more than is left); ORDER a custom
  amount with no tax recalculation; TAX an amount of tax only;
- never more money back than the order has left: a custom (ORDER, TAX) amount past it is refused ("Refund
  amount is greater than remaining amount"); products and shipping worth more than is left are quoted
  for what is left, with a negative ``adjustment`` (BigCommerce's quote field for "the refund amount
  requested is more than the total refundable amount");
- store credit is offered only to customers with an account, never to a guest;
- refunds on one order are sequential: while one is in flight another is refused (see
  ``RefundInFlight``; the real API documents only that concurrency "is not yet supported").
Stores share one host and are told apart by store hash; one store never sees another's records.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from common import money
from common.clock import Clock
from common.seeded import IdSource
from simulators.core.orders import CustomerSpec, OrderSpec, price_order

STATUS_DOCS = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
STORE_CREDIT = "storecredit"
GIFT_CERTIFICATE = "giftcertificate"
OFFLINE_GATEWAY = "custom"          # a manual (offline) payment, as on an order paid on terms
# OrderSpec gateways standing for money taken outside BigCommerce, refunded offline
OFFLINE_GATEWAYS = frozenset({"manual"})
PAYMENT_METHOD_NAMES = {"authorizenet": "Credit Card", GIFT_CERTIFICATE: "Gift Certificate",
                        OFFLINE_GATEWAY: "Manual", STORE_CREDIT: "Store Credit"}
ITEM_TYPES = ("PRODUCT", "GIFT_WRAPPING", "SHIPPING", "HANDLING", "ORDER", "TAX", "FEE")


class BigCommerceError(Exception):
    """A request BigCommerce refuses: ``status`` and the ``title`` its error body carries."""

    def __init__(self, status: int, title: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {title}")
        self.status = status
        self.title = title
        self.errors = errors or {}


def unprocessable(title: str, **errors: str) -> BigCommerceError:
    return BigCommerceError(422, title, errors)


def not_found(title: str = "The requested resource was not found.") -> BigCommerceError:
    return BigCommerceError(404, title)


class RefundInFlight(BigCommerceError):
    """Another refund of the order is still being processed. The status (409) is this simulator's
    choice: BigCommerce documents only that concurrent refunds on one order are not supported."""

    def __init__(self, order_id: int) -> None:
        super().__init__(409, f"A refund of order {order_id} is already being processed; order refunds "
                              "must be processed one after another. Try again once it has finished.")


@dataclass
class BigCommerceSettings:
    """Knobs a test may turn; they survive ``reset`` (they configure the fake, they are not state)."""

    quota: int = 150                 # requests per window per store (Standard and Plus plans)
    window_ms: int = 30_000
    webhook_max_attempts: int = 10
    tax_service_down: bool = False   # quotes and refunds that need tax answer 503 FailedQuoteError


@dataclass(frozen=True)
class Store:
    id: int                  # the numeric store id webhooks carry as store_id
    hash: str
    name: str
    client_id: str
    access_token: str
    client_secret: str


@dataclass
class Customer:
    id: int                  # 0: a guest
    first_name: str
    last_name: str
    email: str
    store_credit: Decimal = Decimal(0)


@dataclass
class OrderProduct:
    id: int
    sku: str
    name: str
    quantity: int
    base_price: Decimal      # unit price before discount, excluding tax
    discount: Decimal        # on the whole line
    tax: Decimal             # on the whole line
    refunded_quantity: int = 0

    @property
    def net(self) -> Decimal:
        return self.base_price * self.quantity - self.discount


@dataclass
class ShippingAddress:
    id: int
    cost_ex_tax: Decimal
    cost_tax: Decimal
    refunded_amount: Decimal = Decimal(0)   # of cost_ex_tax
    refunded_tax: Decimal = Decimal(0)


@dataclass
class Transaction:
    id: int
    event: str               # purchase
    method: str              # credit_card, gift_certificate, custom
    gateway: str
    amount: Decimal
    status: str              # ok
    created: datetime


@dataclass
class RefundPayment:
    id: int
    provider_id: str
    provider_description: str
    amount: Decimal
    offline: bool
    is_declined: bool = False
    declined_message: str = ""


@dataclass
class RefundItem:
    item_type: str
    item_id: int
    quantity: int | None
    requested_amount: Decimal | None
    reason: str
    amount: Decimal          # what the item refunds before tax (kept for the order's bookkeeping)
    tax: Decimal


@dataclass
class Refund:
    id: int
    order_id: int
    store_hash: str
    user_id: int
    created: datetime
    reason: str
    total_amount: Decimal
    total_tax: Decimal
    uses_merchant_override_values: bool
    payments: list[RefundPayment]
    items: list[RefundItem]


@dataclass
class Order:
    id: int
    store_hash: str
    customer: Customer
    currency: str
    status_id: int
    products: list[OrderProduct]
    address: ShippingAddress
    payment_gateway: str
    paid: bool
    created: datetime
    modified: datetime
    transactions: list[Transaction] = field(default_factory=list)
    refund_ids: list[int] = field(default_factory=list)
    refunded: Decimal = Decimal(0)
    billing: CustomerSpec = field(default_factory=CustomerSpec)   # the billing (and shipping) address

    @property
    def subtotal_ex_tax(self) -> Decimal:
        return sum((p.net for p in self.products), money.ZERO)

    @property
    def total_tax(self) -> Decimal:
        return sum((p.tax for p in self.products), money.ZERO) + self.address.cost_tax

    @property
    def total_inc_tax(self) -> Decimal:
        return self.subtotal_ex_tax + self.address.cost_ex_tax + self.total_tax

    @property
    def remaining(self) -> Decimal:
        return self.total_inc_tax - self.refunded

    @property
    def payment_status(self) -> str:
        if not self.paid:
            return "authorized"
        if self.refunded <= 0:
            return "captured"
        return "refunded" if self.remaining <= 0 else "partially refunded"

    def product(self, product_id: int) -> OrderProduct | None:
        return next((p for p in self.products if p.id == product_id), None)


@dataclass(frozen=True)
class AskedItem:
    item_type: str
    item_id: int
    quantity: int | None = None
    amount: Decimal | None = None
    reason: str = ""


@dataclass(frozen=True)
class PricedItem:
    asked: AskedItem
    amount: Decimal          # before tax
    tax: Decimal


@dataclass(frozen=True)
class PaymentOption:
    provider_id: str
    provider_description: str
    amount: Decimal
    offline: bool
    offline_provider: bool
    offline_reason: str

    def as_json(self) -> dict[str, Any]:
        return {"provider_id": self.provider_id, "provider_description": self.provider_description,
                "amount": self.amount, "offline": self.offline, "offline_provider": self.offline_provider,
                "offline_reason": self.offline_reason}


@dataclass(frozen=True)
class Quote:
    order_id: int
    items: tuple[PricedItem, ...]
    total_refund_amount: Decimal
    total_refund_tax_amount: Decimal
    order_level_refund_amount: Decimal
    refund_methods: tuple[tuple[PaymentOption, ...], ...]
    adjustment: Decimal = money.ZERO   # refundable minus what the items are worth: negative when less remains

    @property
    def refundable(self) -> Decimal:
        return self.total_refund_amount + self.adjustment


@dataclass(frozen=True)
class AskedPayment:
    provider_id: str
    amount: Decimal
    offline: bool


class RateWindow:
    """A store's request quota: ``quota`` requests per fixed window that opens with the first request
    after the previous window ended; the clock is the World's, so tests move it."""

    def __init__(self, clock: Clock, settings: BigCommerceSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.opened: datetime | None = None
        self.used = 0

    def _roll(self) -> None:
        now = self.clock.now()
        if self.opened is None or now >= self.opened + timedelta(milliseconds=self.settings.window_ms):
            self.opened, self.used = now, 0

    def try_take(self) -> bool:
        self._roll()
        if self.used >= self.settings.quota:
            return False
        self.used += 1
        return True

    def headers(self) -> dict[str, str]:
        self._roll()
        assert self.opened is not None
        ends = self.opened + timedelta(milliseconds=self.settings.window_ms)
        reset = max(0, int((ends - self.clock.now()).total_seconds() * 1000))
        return {"X-Rate-Limit-Time-Window-Ms": str(self.settings.window_ms),
                "X-Rate-Limit-Time-Reset-Ms": str(reset),
                "X-Rate-Limit-Requests-Quota": str(self.settings.quota),
                "X-Rate-Limit-Requests-Left": str(max(0, self.settings.quota - self.used))}


@dataclass
class Hook:
    id: int
    store_hash: str
    client_id: str
    scope: str
    destination: str
    is_active: bool
    headers: dict[str, str]
    created_at: datetime
    updated_at: datetime


class BigCommerceBackend:
    """Every store's orders, refunds and hooks, and the rules that guard refunds."""

    def __init__(self, clock: Clock, seed: int, settings: BigCommerceSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.ids = IdSource(seed, first=100)
        self.stores: dict[str, Store] = {}
        self.windows: dict[str, RateWindow] = {}
        self.orders: dict[int, Order] = {}
        self.refunds: dict[int, Refund] = {}
        self.hooks: dict[int, Hook] = {}
        self.in_flight: set[int] = set()       # orders with a refund still being processed
        self._customers: dict[tuple[str, str], Customer] = {}

    # stores ----------------------------------------------------------------------------------
    def add_store(self, name: str, secrets: IdSource) -> Store:
        store = Store(id=int(secrets.hex(8), 16) % 10**9, hash=secrets.token(10).lower(), name=name, client_id=secrets.token(31).lower(),
                      access_token=secrets.token(31).lower(), client_secret=secrets.hex(64))
        self.stores[store.hash] = store
        self.windows[store.hash] = RateWindow(self.clock, self.settings)
        return store

    def store(self, store_hash: str) -> Store | None:
        return self.stores.get(store_hash)

    # orders ----------------------------------------------------------------------------------
    def add_order(self, spec: OrderSpec, store: Store, *, guest: bool = False) -> Order:
        priced = price_order(spec)  # ValueError naming the bad field; nothing stored yet
        cur = spec.currency
        now = self.clock.now()
        customer = Customer(0, spec.customer.first_name, spec.customer.last_name, spec.customer.email)
        if not guest:
            key = (store.hash, spec.customer.email)
            customer = self._customers.get(key) or Customer(self.ids.number(), spec.customer.first_name,
                                                            spec.customer.last_name, spec.customer.email)
            self._customers[key] = customer
        products = [OrderProduct(self.ids.number(), p.spec.sku, p.spec.title, p.spec.quantity,
                                 money.amount(p.spec.price, cur), p.discount, p.tax) for p in priced.lines]
        address = ShippingAddress(self.ids.number(), priced.shipping, priced.shipping_tax)
        gateway = OFFLINE_GATEWAY if spec.gateway in OFFLINE_GATEWAYS else spec.gateway
        order = Order(self.ids.number(), store.hash, customer, cur, 11 if spec.paid else 7, products, address,
                      gateway, spec.paid, now, now, billing=spec.customer)
        assert order.total_inc_tax == priced.total, "order total must agree with the priced spec"
        if spec.paid:
            method = {GIFT_CERTIFICATE: "gift_certificate", OFFLINE_GATEWAY: "custom"}.get(gateway, "credit_card")
            order.transactions.append(Transaction(self.ids.number(), "purchase", method, gateway,
                                                  order.total_inc_tax, "ok", now))
        self.orders[order.id] = order
        return order

    def order(self, store: Store, order_id: int) -> Order:
        found = self.orders.get(order_id)
        if found is None or found.store_hash != store.hash:
            raise not_found(f"Order {order_id} was not found.")
        return found

    def list_orders(self, store: Store, *, min_modified: datetime | None = None,
                    max_modified: datetime | None = None, descending: bool = False,
                    sort: str = "id") -> list[Order]:
        found = [o for o in self.orders.values() if o.store_hash == store.hash
                 and (min_modified is None or o.modified >= min_modified)
                 and (max_modified is None or o.modified <= max_modified)]
        key = (lambda o: (o.modified, o.id)) if sort == "date_modified" else (
            (lambda o: (o.created, o.id)) if sort == "date_created" else (lambda o: (o.id,)))
        return sorted(found, key=key, reverse=descending)

    # refunds ---------------------------------------------------------------------------------
    def quote(self, store: Store, order_id: int, items: list[AskedItem]) -> Quote:
        order = self.order(store, order_id)
        if order.id in self.in_flight:
            raise RefundInFlight(order.id)
        if not order.paid:
            raise unprocessable(f"Order {order.id} has not been paid (payment status {order.payment_status}); "
                                "there is nothing to refund.")
        if not items:
            raise unprocessable("At least one item is required to refund.", items="must list at least one item")
        if self.settings.tax_service_down and any(i.item_type in ("PRODUCT", "SHIPPING", "HANDLING") for i in items):
            raise BigCommerceError(503, "Tax service gone away")
        priced = self._price(order, items)
        amount = sum((p.amount for p in priced), money.ZERO)
        tax = sum((p.tax for p in priced), money.ZERO)
        total = money.amount(amount + tax, order.currency)
        if total <= 0:
            raise unprocessable("The refund amount must be greater than zero.")
        # Amounts the merchant names (ORDER, TAX) past what remains are refused; what the store prices
        # itself (products, shipping) can come to more than remains, as a line's last unit can after a
        # custom amount: the quote then offers what remains, and the negative ``adjustment`` says by how
        # much less than the items are worth.
        named = sum((p.amount + p.tax for p in priced if p.asked.item_type in ("ORDER", "TAX")), money.ZERO)
        if named > order.remaining or order.remaining <= 0:
            raise unprocessable(f"Refund amount is greater than remaining amount: {money.format_amount(total, order.currency)} "
                                f"asked, {money.format_amount(order.remaining, order.currency)} {order.currency} "
                                "remaining.")
        refundable = min(total, order.remaining)
        order_level = sum((p.amount for p in priced if p.asked.item_type == "ORDER"), money.ZERO)
        return Quote(order.id, tuple(priced), total, tax, order_level, self._methods(order, refundable),
                     refundable - total)

    def _methods(self, order: Order, total: Decimal) -> tuple[tuple[PaymentOption, ...], ...]:
        """The ways the money can go back: to the gateway that took it (never to a gift certificate),
        or as store credit for a customer with an account."""
        methods: list[tuple[PaymentOption, ...]] = []
        if order.payment_gateway == OFFLINE_GATEWAY:
            methods.append((PaymentOption(OFFLINE_GATEWAY, "Manual", total, True, True,
                                          "This order was paid offline; refund the customer outside BigCommerce."),))
        elif order.payment_gateway != GIFT_CERTIFICATE:
            methods.append((PaymentOption(order.payment_gateway, PAYMENT_METHOD_NAMES.get(
                order.payment_gateway, order.payment_gateway), total, False, False, ""),))
        if order.customer.id:
            methods.append((PaymentOption(STORE_CREDIT, "Store Credit", total, False, False, ""),))
        return tuple(methods)

    def _price(self, order: Order, items: list[AskedItem]) -> list[PricedItem]:
        cur = order.currency
        priced: list[PricedItem] = []
        quantities: dict[int, int] = {}
        shipping: Decimal = money.ZERO
        for index, item in enumerate(items):
            where = f"items[{index}]"
            if item.item_type in ("PRODUCT", "GIFT_WRAPPING"):
                product = order.product(item.item_id)
                if product is None:
                    raise unprocessable(f"{where}.item_id {item.item_id} is not a product of order {order.id}.")
                if item.item_type == "GIFT_WRAPPING":
                    raise unprocessable(f"{where}: product {product.id} has no gift wrapping to refund.")
                if item.quantity is None or item.quantity < 1:
                    raise unprocessable(f"{where}.quantity must be a positive whole number for a PRODUCT item.")
                before = product.refunded_quantity + quantities.get(product.id, 0)
                if before + item.quantity > product.quantity:
                    raise unprocessable(f"{where}: only {product.quantity - before} of product {product.id} "
                                        f"({product.sku}) can still be refunded, not {item.quantity}.")
                quantities[product.id] = quantities.get(product.id, 0) + item.quantity
                after = before + item.quantity
                # priced as the difference of what all refunded units are worth, so unit by unit
                # refunds add up to exactly what the line paid
                amount = (money.round_amount(product.net * after / product.quantity, cur)
                          - money.round_amount(product.net * before / product.quantity, cur))
                tax = (money.round_amount(product.tax * after / product.quantity, cur)
                       - money.round_amount(product.tax * before / product.quantity, cur))
                priced.append(PricedItem(item, amount, tax))
            elif item.item_type in ("SHIPPING", "HANDLING"):
                if item.item_id != order.address.id:
                    raise unprocessable(f"{where}.item_id {item.item_id} is not an address of order {order.id}.")
                amount = self._amount(item, where, cur)
                if item.item_type == "HANDLING":
                    raise unprocessable(f"{where}: order {order.id} has no handling cost to refund.")
                address = order.address
                left = address.cost_ex_tax - address.refunded_amount - shipping
                if amount > left:
                    raise unprocessable(f"{where}.amount {money.format_amount(amount, cur)} is more than the "
                                        f"{money.format_amount(left, cur)} of shipping left to refund.")
                shipping += amount
                if amount == left:
                    tax = address.cost_tax - address.refunded_tax
                else:
                    tax = money.round_amount(address.cost_tax * amount / address.cost_ex_tax, cur)
                priced.append(PricedItem(item, amount, tax))
            elif item.item_type == "ORDER":
                if item.item_id != order.id:
                    raise unprocessable(f"{where}.item_id must be the order id {order.id} for an ORDER item.")
                priced.append(PricedItem(item, self._amount(item, where, cur), money.ZERO))
            elif item.item_type == "TAX":
                priced.append(PricedItem(item, money.ZERO, self._amount(item, where, cur)))
            else:
                raise unprocessable(f"{where}.item_type {item.item_type} is not refundable on order {order.id} "
                                    f"(it has no {item.item_type.lower().replace('_', ' ')}).")
        return priced

    @staticmethod
    def _amount(item: AskedItem, where: str, currency: str) -> Decimal:
        if item.amount is None:
            raise unprocessable(f"{where}.amount is required for a {item.item_type} item.")
        try:
            amount = money.amount(item.amount, currency)
        except money.MoneyError as exc:
            raise unprocessable(f"{where}.amount: {exc}") from None
        if amount <= 0:
            raise unprocessable(f"{where}.amount must be greater than zero.")
        return amount

    def create_refund(self, store: Store, order_id: int, items: list[AskedItem], payments: list[AskedPayment],
                      *, override_total: Decimal | None = None, override_tax: Decimal | None = None,
                      reason: str = "", user_id: int = 0) -> Refund:
        quote = self.quote(store, order_id, items)
        order = self.orders[order_id]
        cur = order.currency
        if not payments:
            raise unprocessable("At least one payment is required.", payments="must list at least one payment")
        total = quote.refundable
        tax = quote.total_refund_tax_amount
        if override_total is not None:
            total = money.amount(override_total, cur)
            tax = money.amount(override_tax if override_tax is not None else tax, cur)
            if total <= 0 or total > order.remaining:
                raise unprocessable(f"Refund amount is greater than remaining amount: "
                                    f"{money.format_amount(total, cur)} asked, "
                                    f"{money.format_amount(order.remaining, cur)} {cur} remaining.")
        offered = {option.provider_id: option for method in self._methods(order, total) for option in method}
        paid = money.ZERO
        made: list[RefundPayment] = []
        for index, payment in enumerate(payments):
            option = offered.get(payment.provider_id)
            if option is None:
                if payment.provider_id == STORE_CREDIT and not order.customer.id:
                    raise unprocessable("Unable to provide store credit for a guest customer.")
                raise unprocessable(f"payments[{index}].provider_id {payment.provider_id!r} is not a refund method "
                                    f"of order {order.id}; the quote offers {', '.join(sorted(offered)) or 'none'}.")
            amount = money.amount(payment.amount, cur)
            if amount != option.amount:
                raise unprocessable(f"payments[{index}].amount {money.format_amount(amount, cur)} does not match the "
                                    f"amount {money.format_amount(option.amount, cur)} available for "
                                    f"{payment.provider_id}; create a refund quote first.")
            paid += amount
            made.append(RefundPayment(self.ids.number(), option.provider_id, option.provider_description, amount,
                                      option.offline))
        if paid != total:
            raise unprocessable(f"The payments add up to {money.format_amount(paid, cur)}, not the refund total "
                                f"{money.format_amount(total, cur)}.")
        now = self.clock.now()
        refund = Refund(self.ids.number(), order.id, store.hash, user_id, now, reason, total, tax,
                        override_total is not None, made,
                        [RefundItem(p.asked.item_type, p.asked.item_id, p.asked.quantity, p.asked.amount,
                                    p.asked.reason, p.amount, p.tax) for p in quote.items])
        for p in quote.items:
            if p.asked.item_type == "PRODUCT":
                order.product(p.asked.item_id).refunded_quantity += p.asked.quantity  # type: ignore[union-attr,operator]
            elif p.asked.item_type == "SHIPPING":
                order.address.refunded_amount += p.amount
                order.address.refunded_tax += p.tax
        for payment in made:
            if payment.provider_id == STORE_CREDIT:
                order.customer.store_credit += payment.amount
        order.refunded += total
        order.status_id = 4 if order.remaining <= 0 else 14   # Refunded / Partially Refunded
        order.modified = now
        order.refund_ids.append(refund.id)
        self.refunds[refund.id] = refund
        return refund

    def refund(self, store: Store, refund_id: int) -> Refund:
        found = self.refunds.get(refund_id)
        if found is None or found.store_hash != store.hash:
            raise not_found(f"Refund {refund_id} was not found.")
        return found

    def list_refunds(self, store: Store, *, order_ids: list[int] | None = None, ids: list[int] | None = None,
                     created_min: datetime | None = None, created_max: datetime | None = None) -> list[Refund]:
        # an order's own refunds are read through the order, not found by scanning every refund
        candidates = (self.refunds.values() if order_ids is None else
                      (self.refunds[rid] for oid in dict.fromkeys(order_ids) if oid in self.orders
                       for rid in self.orders[oid].refund_ids))
        return sorted((r for r in candidates if r.store_hash == store.hash
                       and (order_ids is None or r.order_id in order_ids) and (ids is None or r.id in ids)
                       and (created_min is None or r.created >= created_min)
                       and (created_max is None or r.created <= created_max)), key=lambda r: r.id)

    # hooks -----------------------------------------------------------------------------------
    def create_hook(self, store: Store, scope: str, destination: str, is_active: bool,
                    headers: dict[str, str]) -> Hook:
        now = self.clock.now()
        hook = Hook(self.ids.number(), store.hash, store.client_id, scope, destination, is_active, headers, now, now)
        self.hooks[hook.id] = hook
        return hook

    def store_hooks(self, store: Store) -> list[Hook]:
        return [h for h in self.hooks.values() if h.store_hash == store.hash]
