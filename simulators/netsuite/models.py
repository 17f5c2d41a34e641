"""One NetSuite account's records and NetSuite's rules for them. No HTTP here.

The adapter (responses.py) hands this module parsed JSON bodies; this module decides what NetSuite
would accept and what it would store: typed fields, refs that must exist, externalIds unique per
record type, item lines numbered by the system and never re-packed, the allowed transforms,
billing once and in full, refund limits, and tax.

Every write follows one path: copy (or start) a draft, apply the body to the draft, check the
whole draft, then commit. A request that fails anywhere leaves the account exactly as it was.
"""
from __future__ import annotations

import copy
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Container, Iterable, Union

from common import money
from common.clock import Clock
from common.seeded import IdSource

# --- errors ----------------------------------------------------------------------------------

_STATUS = {
    400: ("Bad Request", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1"),
    401: ("Unauthorized", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2"),
    403: ("Forbidden", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4"),
    404: ("Not Found", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5"),
    405: ("Method Not Allowed", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6"),
    429: ("Too Many Requests", "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"),
}


def error_document(status: int, code: str, detail: str, *, path: str | None = None,
                   header: str | None = None, query_param: str | None = None) -> dict[str, Any]:
    """NetSuite's error body: {type, title, status, o:errorDetails: [{detail, o:errorCode, ...}]}."""
    title, type_uri = _STATUS.get(status, ("Error", "https://www.rfc-editor.org/rfc/rfc9110.html"))
    item: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    for key, value in (("o:errorPath", path), ("o:errorHeader", header), ("o:errorQueryParam", query_param)):
        if value is not None:
            item[key] = value
    return {"type": type_uri, "title": title, "status": status, "o:errorDetails": [item]}


class NetSuiteError(Exception):
    """A request NetSuite refuses: the status, NetSuite's error code and detail, and where (a field path,
    header or query parameter); ``document`` is its error body."""

    def __init__(self, status: int, code: str, detail: str, *, path: str | None = None,
                 header: str | None = None, query_param: str | None = None) -> None:
        super().__init__(status, code, detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path
        self.header = header
        self.query_param = query_param

    def document(self) -> dict[str, Any]:
        return error_document(self.status, self.code, self.detail, path=self.path, header=self.header,
                              query_param=self.query_param)

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.status} {self.code}{where}: {self.detail}"


def user_error(detail: str, path: str | None = None, **where: str) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", detail, path=path, **where)


def invalid_content(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "INVALID_CONTENT", detail, path=path)


def not_found(detail: str) -> NetSuiteError:
    return NetSuiteError(404, "NONEXISTENT_ID", detail)


# --- record kinds ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TransactionKind:
    prefix: str     # tranId prefix
    label: str      # as in refName "Cash Sale #CS-1002"
    suiteql: str    # transaction.type in SuiteQL


TRANSACTION_KINDS: dict[str, TransactionKind] = {
    "salesOrder": TransactionKind("SO", "Sales Order", "SalesOrd"),
    "cashSale": TransactionKind("CS", "Cash Sale", "CashSale"),
    "invoice": TransactionKind("INV", "Invoice", "CustInvc"),
    "cashRefund": TransactionKind("CR", "Cash Refund", "CashRfnd"),
    "creditMemo": TransactionKind("CM", "Credit Memo", "CustCred"),
}
ITEM_KINDS = {"inventoryItem": "InvtPart", "otherChargeSaleItem": "OthCharge"}
RECORD_TYPES = ("customer", *ITEM_KINDS, *TRANSACTION_KINDS)
REFUND_TYPES = frozenset({"cashRefund", "creditMemo"})
TRANSFORMS: dict[str, tuple[str, ...]] = {
    "salesOrder": ("cashSale", "invoice"),
    "cashSale": ("cashRefund",),
    "invoice": ("creditMemo",),
}
BASE_CURRENCY = "USD"
SEED_CURRENCIES = (("1", "USD", "US Dollar"), ("2", "GBP", "British Pound"), ("3", "CAD", "Canadian Dollar"),
                   ("4", "EUR", "Euro"), ("5", "JPY", "Japanese Yen"))
SEED_PAYMENT_METHODS = ("Cash", "Check", "VISA", "Master Card", "American Express", "Discover")

# Fields a client may write, per record family. Anything else is ignored, or refused when the
# client asks for strict names (X-NetSuite-PropertyNameValidation: error).
CUSTOMER_FIELDS = frozenset({"externalId", "entityId", "companyName", "firstName", "lastName", "email",
                             "phone", "isPerson", "currency"})
ITEM_FIELDS = frozenset({"externalId", "itemId", "displayName", "basePrice"})
TRANSACTION_FIELDS = frozenset({"externalId", "entity", "currency", "tranDate", "memo", "taxDetailsOverride",
                                "item"})
LINE_FIELDS = frozenset({"line", "item", "description", "quantity", "rate", "amount", "taxAmount",
                         "custcol_storefront_line_id"})


@dataclass
class NetSuiteSettings:
    """Account configuration the control plane can change."""
    concurrency_limit: int = 5          # Shared/Standard service tier
    tax_rate: Decimal = Decimal(0)      # the tax engine's rate for lines it computes
    ignore_tax_override: bool = False   # misconfigured tax engine: recomputes even overridden tax


@dataclass(frozen=True)
class Currency:
    id: str
    symbol: str
    name: str


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    name: str


@dataclass
class Customer:
    type: str = "customer"
    id: str | None = None
    external_id: str | None = None
    entity_id: str | None = None
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    is_person: bool = False
    currency_id: str | None = None
    created: datetime | None = None
    modified: datetime | None = None

    @property
    def ref_name(self) -> str:
        return self.entity_id or ""


@dataclass
class Item:
    type: str
    id: str | None = None
    external_id: str | None = None
    item_id: str | None = None          # the name / SKU
    display_name: str | None = None
    base_price: Decimal | None = None
    created: datetime | None = None
    modified: datetime | None = None

    @property
    def ref_name(self) -> str:
        return self.item_id or ""


@dataclass
class Line:
    line: int
    item_id: str
    quantity: Decimal
    rate: Decimal | None = None
    amount: Decimal = money.ZERO
    tax_amount: Decimal = money.ZERO
    description: str | None = None
    storefront_line_id: str | None = None
    source_line: int | None = None      # line of createdFrom this was copied from (orderLine on refunds)


@dataclass
class Transaction:
    type: str
    id: str | None = None
    tran_id: str | None = None
    external_id: str | None = None
    entity_id: str | None = None
    currency_id: str | None = None
    tran_date: date | None = None
    memo: str | None = None
    payment_method_id: str | None = None
    created_from: str | None = None
    tax_override: bool = False
    lines: list[Line] = field(default_factory=list)
    next_line: int = 1
    created: datetime | None = None
    modified: datetime | None = None

    @property
    def kind(self) -> TransactionKind:
        return TRANSACTION_KINDS[self.type]

    @property
    def ref_name(self) -> str:
        return f"{self.kind.label} #{self.tran_id}"

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), money.ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), money.ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total


Record = Union[Customer, Item, Transaction]


@dataclass(frozen=True)
class Remaining:
    """What is left on one source line after the records already created from it."""
    quantity: Decimal
    amount: Decimal
    tax: Decimal


# --- body field readers: each names the JSON path of a bad value -----------------------------

def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _bad_type(path: str, value: Any, expected: str) -> NetSuiteError:
    return invalid_content(f"Invalid Field Value {_show(value)} for the following field: {path}. "
                           f"Expected {expected}.", path)


def _bad_value(path: str, value: Any, problem: str) -> NetSuiteError:
    return user_error(f"Invalid Field Value {_show(value)} for the following field: {path}. {problem}", path)


def read_object(value: Any, path: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_content(f"{what} must be a JSON object, not {type(value).__name__}.", path)
    return value


def read_string(value: Any, path: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _bad_type(path, value, "a string")
    if required and not value.strip():
        raise _bad_value(path, value, "A non-empty value is required.")
    return value


def read_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _bad_type(path, value, "true or false")
    return value


def read_number(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _bad_type(path, value, "a number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise _bad_value(path, value, "A finite number is required.")
    return number


def read_quantity(value: Any, path: str) -> Decimal:
    number = read_number(value, path)
    if number <= 0:
        raise _bad_value(path, value, "The quantity must be greater than 0.")
    return number


def read_rate(value: Any, path: str) -> Decimal:
    number = read_number(value, path)
    if number < 0:
        raise _bad_value(path, value, "The rate must not be negative.")
    return number


def read_money(value: Any, currency: str, path: str) -> Decimal:
    number = read_number(value, path)
    if number < 0:
        raise _bad_value(path, value, "The amount must not be negative.")
    try:
        return money.amount(number, currency)
    except money.MoneyError as exc:
        raise _bad_value(path, value, f"{exc}.") from None


def read_positive_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_type(path, value, "a whole number")
    if value < 1:
        raise _bad_value(path, value, "Line numbers start at 1.")
    return value


def read_ref(value: Any, path: str) -> str:
    """A reference such as {"id": "14"}; returns the internal id."""
    ref_id = value.get("id") if isinstance(value, dict) else None
    if isinstance(ref_id, int) and not isinstance(ref_id, bool) and ref_id > 0:
        return str(ref_id)
    if isinstance(ref_id, str) and ref_id.isdigit():
        return str(int(ref_id))
    raise _bad_type(path, value, 'a reference such as {"id": "14"}')


def read_date(value: Any, path: str) -> date:
    text = read_string(value, path, required=True)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
        raise _bad_type(path, value, "a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad_value(path, value, "No such calendar date.") from None


def share(value: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    """``value`` pro rata to ``part`` of ``whole``, rounded half up; all of it when part covers whole,
    so consecutive partial refunds always add up exactly to what was billed."""
    if whole <= 0 or part >= whole:
        return value
    return money.round_amount(value * part / whole, currency)


def derived_rate(amount: Decimal, quantity: Decimal) -> Decimal:
    rate = (amount / quantity).quantize(Decimal("1e-8"))
    return Decimal(format(rate.normalize(), "f"))


class _Either:
    """Membership in any of several tables, without copying them (a lookup, not a scan)."""

    def __init__(self, *tables: dict[str, Any]) -> None:
        self._tables = tables

    def __contains__(self, key: object) -> bool:
        return any(key in table for table in self._tables)


# --- the account -----------------------------------------------------------------------------

class NetSuiteAccount:
    """All records of one account. Not thread-safe by itself: the simulator's lock guards it."""

    def __init__(self, *, clock: Clock, seed: int, settings: NetSuiteSettings,
                 on_change: Callable[[Any], None] = lambda record: None,
                 on_delete: Callable[[Any], None] = lambda record: None) -> None:
        self.clock = clock
        self.settings = settings
        self._on_change = on_change
        self._on_delete = on_delete
        # Separate internal-id sequences per family, as in NetSuite (entities, items, transactions).
        self._ids = {"entity": IdSource(seed * 10 + 1, first=101), "item": IdSource(seed * 10 + 2, first=201),
                     "transaction": IdSource(seed * 10 + 3, first=5001)}
        self._next_document_number = 1001
        self._records: dict[str, dict[str, Record]] = {t: {} for t in RECORD_TYPES}
        self._by_external_id: dict[str, dict[str, str]] = {t: {} for t in RECORD_TYPES}
        # Indexes, so no lookup costs more as the account grows: the records made from each
        # transaction (by transform), in id order, and which item holds each item name.
        self._children: dict[str, list[str]] = {}
        self._item_names: dict[str, str] = {}
        self.currencies: dict[str, Currency] = {}
        self.payment_methods: dict[str, PaymentMethod] = {}
        for currency_id, symbol, name in SEED_CURRENCIES:
            self.currencies[currency_id] = Currency(currency_id, symbol, name)
            self._on_change(self.currencies[currency_id])
        for name in SEED_PAYMENT_METHODS:
            self.add_payment_method(name)

    # --- reads -------------------------------------------------------------------------------
    def get(self, record_type: str, ref: str) -> Record:
        """A record by internal id or ``eid:<externalId>``."""
        records = self._table(record_type)
        if ref.startswith("eid:"):
            found = self._by_external_id[record_type].get(ref[4:])
            what = f"external ID {ref[4:]!r}"
        else:
            found = ref if ref in records else None
            what = f"internal ID {ref!r}"
        if found is None:
            raise not_found("The record instance does not exist. Provide a valid record instance ID. "
                            f"No {record_type} has {what}.")
        return records[found]

    def delete(self, record_type: str, ref: str) -> None:
        """A user deletes a record in the UI. NetSuite keeps a record other records were made from
        (a billed sales order, a refunded cash sale)."""
        record = self.get(record_type, ref)
        if self._children.get(record.id or ""):
            raise user_error("This record cannot be deleted because it has dependent records.")
        del self._records[record_type][record.id]  # type: ignore[arg-type]
        if record.external_id is not None:
            self._by_external_id[record_type].pop(record.external_id, None)
        if isinstance(record, Transaction) and record.created_from is not None:
            self._children[record.created_from].remove(record.id)  # type: ignore[arg-type]
        if isinstance(record, Item) and self._item_names.get(record.item_id or "") == record.id:
            del self._item_names[record.item_id]  # type: ignore[arg-type]
        self._on_delete(record)

    def list(self, record_type: str) -> list[Record]:
        return sorted(self._table(record_type).values(), key=lambda r: int(r.id or 0))

    def transaction(self, transaction_id: str) -> Transaction:
        for record_type in TRANSACTION_KINDS:
            if transaction_id in self._records[record_type]:
                return self._records[record_type][transaction_id]  # type: ignore[return-value]
        raise KeyError(transaction_id)

    def customer(self, customer_id: str) -> Customer:
        return self._records["customer"][customer_id]  # type: ignore[return-value]

    def item(self, item_id: str) -> Item:
        for record_type in ITEM_KINDS:
            if item_id in self._records[record_type]:
                return self._records[record_type][item_id]  # type: ignore[return-value]
        raise KeyError(item_id)

    def children(self, source: Transaction, exclude_id: str | None = None) -> list[Transaction]:
        """Records created from ``source`` by a transform, oldest first."""
        return [self.transaction(child_id) for child_id in self._children.get(source.id or "", ())
                if child_id != exclude_id]

    def remaining(self, source: Transaction, exclude_id: str | None = None) -> dict[int, Remaining]:
        used: dict[int, list[Decimal]] = defaultdict(lambda: [money.ZERO, money.ZERO, money.ZERO])
        for child in self.children(source, exclude_id):
            for line in child.lines:
                if line.source_line is not None:
                    tally = used[line.source_line]
                    tally[0] += line.quantity
                    tally[1] += line.amount
                    tally[2] += line.tax_amount
        return {line.line: Remaining(max(money.ZERO, line.quantity - used[line.line][0]),
                                     max(money.ZERO, line.amount - used[line.line][1]),
                                     max(money.ZERO, line.tax_amount - used[line.line][2]))
                for line in source.lines}

    # --- writes ------------------------------------------------------------------------------
    def create(self, record_type: str, body: Any, *, strict: bool = False,
               replace: frozenset[str] = frozenset(), external_id: str | None = None) -> Record:
        self._table(record_type)
        draft = self._blank(record_type)
        if external_id is not None:
            draft.external_id = external_id
        self._apply(draft, body, strict=strict, replace=replace, source=None)
        if external_id is not None and draft.external_id != external_id:
            raise user_error(f"The externalId in the body ({draft.external_id!r}) differs from the one in "
                             f"the URL ({external_id!r}).", "externalId")
        self._check(draft, None, {})
        return self._commit(draft)

    def update(self, record_type: str, ref: str, body: Any, *, strict: bool = False,
               replace: frozenset[str] = frozenset()) -> Record:
        current = self.get(record_type, ref)
        draft = copy.deepcopy(current)
        source = self._source_of(draft)
        if isinstance(draft, Transaction) and isinstance(body, dict) and "item" in body:
            self._refuse_if_items_locked(draft)
        origins = self._apply(draft, body, strict=strict, replace=replace, source=source)
        self._check(draft, source, origins)
        return self._commit(draft)

    def upsert(self, record_type: str, ref: str, body: Any, *, strict: bool = False,
               replace: frozenset[str] = frozenset()) -> tuple[Record, bool]:
        """PUT .../eid:<x>: update the record with that externalId, or create it. -> (record, created)"""
        self._table(record_type)
        if not ref.startswith("eid:"):
            raise user_error("Upsert needs an external ID in the URL (PUT .../<type>/eid:<externalId>); "
                             "use PATCH to update a record by internal ID.")
        if ref[4:] in self._by_external_id[record_type]:
            return self.update(record_type, ref, body, strict=strict, replace=replace), False
        return self.create(record_type, body, strict=strict, replace=replace, external_id=ref[4:]), True

    def transform(self, from_type: str, ref: str, to_type: str, body: Any, *, strict: bool = False,
                  replace: frozenset[str] = frozenset()) -> Transaction:
        self._table(from_type)
        self._table(to_type)
        allowed = TRANSFORMS.get(from_type, ())
        if to_type not in allowed:
            targets = ", ".join(allowed) if allowed else "none (it cannot be transformed)"
            raise user_error(f"Transforming a {from_type} into a {to_type} is not allowed. "
                             f"Allowed targets for {from_type}: {targets}.")
        source = self.get(from_type, ref)
        assert isinstance(source, Transaction)
        if from_type == "salesOrder":
            self._check_billable(source, to_type, body)
        remaining = self.remaining(source)
        draft = Transaction(type=to_type, entity_id=source.entity_id, currency_id=source.currency_id,
                            tran_date=self._today(), created_from=source.id, next_line=source.next_line)
        draft.lines = [self._copy_line(line, remaining[line.line]) for line in source.lines
                       if remaining[line.line].quantity > 0]
        origins = self._apply(draft, body if body is not None else {}, strict=strict, replace=replace,
                              source=source)
        self._check(draft, source, origins)
        return self._commit(draft)  # type: ignore[return-value]

    def add_payment_method(self, name: str) -> str:
        method = PaymentMethod(str(len(self.payment_methods) + 1), name)
        self.payment_methods[method.id] = method
        return method.id

    # --- applying a body to a draft ----------------------------------------------------------
    def _apply(self, draft: Record, body: Any, *, strict: bool, replace: frozenset[str],
               source: Transaction | None) -> dict[int, int]:
        """Write the body's fields onto the draft. Returns line number -> body index of the lines
        the body named, so later checks can point at the offending ``item.items[i]``."""
        body = read_object(body, "", "The request body")
        unknown_replace = sorted(set(replace) - ({"item"} if isinstance(draft, Transaction) else set()))
        if unknown_replace:
            raise user_error(f"Invalid replace parameter: {draft.type} has no sublist named "
                             f"{', '.join(unknown_replace)}.", query_param="replace")
        self._refuse_unknown(body, self._writable(draft), "", draft.type, strict)
        if "externalId" in body:
            draft.external_id = read_string(body["externalId"], "externalId")
        if isinstance(draft, Transaction):
            return self._apply_transaction(draft, body, strict, replace, source)
        if isinstance(draft, Customer):
            self._apply_customer(draft, body)
        else:
            self._apply_item(draft, body)
        return {}

    @staticmethod
    def _writable(draft: Record) -> frozenset[str]:
        if isinstance(draft, Customer):
            return CUSTOMER_FIELDS
        if isinstance(draft, Item):
            return ITEM_FIELDS
        return TRANSACTION_FIELDS | ({"paymentMethod"} if draft.type == "salesOrder" else frozenset())

    def _apply_customer(self, draft: Customer, body: dict[str, Any]) -> None:
        for key, attribute in (("entityId", "entity_id"), ("companyName", "company_name"),
                               ("firstName", "first_name"), ("lastName", "last_name"), ("phone", "phone")):
            if key in body:
                setattr(draft, attribute, read_string(body[key], key))
        if "email" in body:
            draft.email = read_string(body["email"], "email")
            if draft.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", draft.email):
                raise _bad_value("email", draft.email, "An email address such as jane@example.com is required.")
        if "isPerson" in body:
            draft.is_person = read_bool(body["isPerson"], "isPerson")
        if "currency" in body:
            draft.currency_id = self._currency_ref(body["currency"], "currency")

    def _apply_item(self, draft: Item, body: dict[str, Any]) -> None:
        if "itemId" in body:
            draft.item_id = read_string(body["itemId"], "itemId", required=True)
        if "displayName" in body:
            draft.display_name = read_string(body["displayName"], "displayName")
        if "basePrice" in body:
            draft.base_price = (None if body["basePrice"] is None
                                else read_money(body["basePrice"], BASE_CURRENCY, "basePrice"))

    def _apply_transaction(self, draft: Transaction, body: dict[str, Any], strict: bool,
                           replace: frozenset[str], source: Transaction | None) -> dict[int, int]:
        if "memo" in body:
            draft.memo = read_string(body["memo"], "memo")
        if "tranDate" in body:
            draft.tran_date = read_date(body["tranDate"], "tranDate")
        if "taxDetailsOverride" in body:
            draft.tax_override = read_bool(body["taxDetailsOverride"], "taxDetailsOverride")
        if "paymentMethod" in body:
            draft.payment_method_id = (None if body["paymentMethod"] is None
                                       else self._payment_method_ref(body["paymentMethod"], "paymentMethod"))
        for key, attribute, read in (("entity", "entity_id", self._customer_ref),
                                     ("currency", "currency_id", self._currency_ref)):
            if key in body:
                value = read(body[key], key)
                linked = source is not None or (draft.id is not None and self.children(draft))
                if value != getattr(draft, attribute) and linked:
                    raise user_error(f"The {key} of a {draft.type} linked to other records cannot change.", key)
                setattr(draft, attribute, value)
        if draft.currency_id is None:
            draft.currency_id = self._default_currency(draft.entity_id)
        if draft.tran_date is None:
            draft.tran_date = self._today()
        if "item" not in body:
            if "item" in replace:
                draft.lines = []
            return {}
        return self._apply_lines(draft, body["item"], strict, "item" in replace, source)

    def _apply_lines(self, draft: Transaction, sublist: Any, strict: bool, replace: bool,
                     source: Transaction | None) -> dict[int, int]:
        items = read_object(sublist, "item", "The item sublist").get("items")
        if not isinstance(items, list):
            raise invalid_content('The item sublist must be written as {"items": [ ... ]}.', "item.items")
        remaining = self.remaining(source, draft.id) if source is not None else {}
        pool = list(draft.lines)        # the draft's lines, then the lines this body adds
        named: dict[int, int] = {}
        for index, raw in enumerate(items):
            path = f"item.items[{index}]"
            given = self._read_line(draft, raw, path, strict, source)
            line = self._keyed_line(draft, pool, given, path, source, remaining)
            is_new = line is None or all(line is not candidate for candidate in pool)
            if line is None:
                line = self._new_line(draft, given, path, source)
            if line.line in named:
                raise user_error(f"Line {line.line} is named twice in the item sublist.", path)
            if is_new:
                pool.append(line)
            self._update_line(line, given, path)
            self._price_line(draft, line, given, is_new,
                             remaining.get(line.source_line) if line.source_line is not None else None)
            named[line.line] = index
        # ?replace=item keeps only the lines the body names; otherwise untouched lines stay.
        draft.lines = [line for line in pool if line.line in named] if replace else pool
        return named

    def _read_line(self, draft: Transaction, raw: Any, path: str, strict: bool,
                   source: Transaction | None) -> dict[str, Any]:
        raw = read_object(raw, path, "An item line")
        refund_line = draft.type in REFUND_TYPES
        self._refuse_unknown(raw, LINE_FIELDS | ({"orderLine"} if refund_line else set()), path + ".",
                             f"{draft.type} item line", strict)
        if "orderLine" in raw and (not refund_line or source is None):
            raise user_error("orderLine can only be set on the lines of a cashRefund or creditMemo created "
                             "from a billed record.", f"{path}.orderLine")
        currency = self.currencies[draft.currency_id or "1"].symbol
        readers: dict[str, Callable[[Any, str], Any]] = {
            "line": read_positive_int,
            "orderLine": read_positive_int,
            "item": self._item_ref,
            "description": read_string,
            "quantity": read_quantity,
            "rate": read_rate,
            "amount": lambda value, p: read_money(value, currency, p),
            "taxAmount": lambda value, p: read_money(value, currency, p),
            "custcol_storefront_line_id": read_string,
        }
        return {key: read(raw[key], f"{path}.{key}") for key, read in readers.items() if key in raw}

    def _keyed_line(self, draft: Transaction, pool: list[Line], given: dict[str, Any], path: str,
                    source: Transaction | None, remaining: dict[int, Remaining]) -> Line | None:
        """The line a body line refers to by ``line`` or ``orderLine`` (for orderLine, a fresh copy of
        the billed line when the draft no longer has it); None for a new line."""
        if "line" in given:
            line = next((candidate for candidate in pool if candidate.line == given["line"]), None)
            if line is None:
                raise user_error(f"There is no line {given['line']} on this {draft.type}.", f"{path}.line")
            if "orderLine" in given and line.source_line != given["orderLine"]:
                raise user_error(f"Line {line.line} refunds orderLine {line.source_line}, not "
                                 f"{given['orderLine']}.", f"{path}.orderLine")
            return line
        if "orderLine" not in given:
            return None
        assert source is not None
        order_line = given["orderLine"]
        line = next((candidate for candidate in pool if candidate.source_line == order_line), None)
        if line is not None:
            return line
        billed = next((candidate for candidate in source.lines if candidate.line == order_line), None)
        if billed is None:
            raise user_error(f"{source.ref_name} has no line {order_line}.", f"{path}.orderLine")
        left = remaining[order_line]
        if left.quantity <= 0:
            raise user_error(f"Line {order_line} of {source.ref_name} has no quantity left to refund "
                             f"(remaining quantity 0 of {billed.quantity}).", f"{path}.quantity")
        copied = self._copy_line(billed, left)
        if any(existing.line == copied.line for existing in pool):
            copied.line = self._take_line_number(draft)
        return copied

    def _new_line(self, draft: Transaction, given: dict[str, Any], path: str,
                  source: Transaction | None) -> Line:
        if "item" not in given:
            raise user_error("Please enter value(s) for: item.", f"{path}.item")
        if draft.type in REFUND_TYPES and source is not None:
            # Lines that do not refund a billed line are generic refund lines (shipping, adjustments).
            if self.item(given["item"]).type != "otherChargeSaleItem":
                raise user_error(f"Item {given['item']} is an inventory item: refund it through the billed "
                                 "line it was sold on (orderLine). New refund lines take an "
                                 "otherChargeSaleItem.", f"{path}.item")
            if "amount" not in given:
                raise user_error("Please enter value(s) for: amount. A generic refund line needs an amount.",
                                 f"{path}.amount")
        return Line(line=self._take_line_number(draft), item_id=given["item"], quantity=Decimal(1))

    @staticmethod
    def _update_line(line: Line, given: dict[str, Any], path: str) -> None:
        if "item" in given and line.source_line is not None and given["item"] != line.item_id:
            raise user_error(f"Line {line.line} was copied from the source record with item {line.item_id}; "
                             "its item cannot change.", f"{path}.item")
        for key, attribute in (("item", "item_id"), ("description", "description"), ("quantity", "quantity"),
                               ("rate", "rate"), ("custcol_storefront_line_id", "storefront_line_id")):
            if key in given:
                setattr(line, attribute, given[key])

    def _price_line(self, draft: Transaction, line: Line, given: dict[str, Any], is_new: bool,
                    left: Remaining | None) -> None:
        """Amount and tax of a line the body wrote. Amounts are recomputed only when the body changed
        what they derive from; tax always follows the account's tax rules."""
        currency = self.currencies[draft.currency_id or "1"].symbol
        reprice = is_new or bool({"item", "quantity", "rate"} & given.keys())
        if "amount" in given:
            line.amount = given["amount"]
            if "rate" not in given and left is None:
                line.rate = derived_rate(line.amount, line.quantity)
        elif left is not None and "rate" not in given:
            # Copied from a source line: that line's remaining amount, pro rata to quantity.
            if reprice:
                line.amount = share(left.amount, line.quantity, left.quantity, currency)
        elif reprice:
            if line.rate is None or ("item" in given and "rate" not in given):
                line.rate = self.item(line.item_id).base_price or money.ZERO
            line.amount = money.round_amount(line.rate * line.quantity, currency)
        if left is not None:
            computed_tax = share(left.tax, line.quantity, left.quantity, currency)
        else:
            computed_tax = money.round_amount(line.amount * self.settings.tax_rate, currency)
        if not draft.tax_override:
            line.tax_amount = computed_tax
        elif self.settings.ignore_tax_override:
            # The misconfigured engine recomputes at its own rate whatever the client sent.
            line.tax_amount = money.round_amount(line.amount * self.settings.tax_rate, currency)
        elif "taxAmount" in given:
            line.tax_amount = given["taxAmount"]

    @staticmethod
    def _copy_line(billed: Line, left: Remaining) -> Line:
        return Line(line=billed.line, item_id=billed.item_id, quantity=left.quantity, rate=billed.rate,
                    amount=left.amount, tax_amount=left.tax, description=billed.description,
                    storefront_line_id=billed.storefront_line_id, source_line=billed.line)

    @staticmethod
    def _take_line_number(draft: Transaction) -> int:
        number = draft.next_line
        draft.next_line += 1
        return number

    # --- checks on a whole draft -------------------------------------------------------------
    def _check(self, draft: Record, source: Transaction | None, origins: dict[int, int]) -> None:
        if draft.external_id is not None:
            owner = self._by_external_id[draft.type].get(draft.external_id)
            if owner is not None and owner != draft.id:
                raise user_error("This entity already exists.", "externalId")
        if isinstance(draft, Customer):
            draft.entity_id = draft.entity_id or draft.company_name or " ".join(
                part for part in (draft.first_name, draft.last_name) if part) or draft.email
            if not draft.entity_id:
                raise user_error("Please enter value(s) for: entityId (or companyName, firstName/lastName, "
                                 "email).", "entityId")
        elif isinstance(draft, Item):
            if not draft.item_id:
                raise user_error("Please enter value(s) for: itemId.", "itemId")
            holder = self._item_names.get(draft.item_id)
            if holder is not None and holder != draft.id:
                raise user_error(f"An item named {draft.item_id!r} already exists (id {holder}).", "itemId")
        else:
            self._check_transaction(draft, source, origins)

    def _check_transaction(self, draft: Transaction, source: Transaction | None,
                           origins: dict[int, int]) -> None:
        if draft.entity_id is None:
            raise user_error("Please enter value(s) for: entity.", "entity")
        if not draft.lines:
            nothing_left = source is not None and not any(r.quantity for r in self.remaining(source).values())
            reason = (f"Nothing remains to refund on {source.ref_name}." if nothing_left and source
                      else f"A {draft.type} needs at least one item line.")
            raise user_error(f"Please enter value(s) for: Items. {reason}", "item")
        currency = self.currencies[draft.currency_id or "1"].symbol
        for line in draft.lines:  # a currency change must not leave amounts the new currency cannot hold
            for key, value in (("amount", line.amount), ("taxAmount", line.tax_amount)):
                if money.round_amount(value, currency) != value:
                    index = origins.get(line.line)
                    raise user_error(f"Line {line.line}: {key} {value} has more decimal places than {currency} "
                                     f"allows ({money.exponent(currency)}).",
                                     f"item.items[{index}].{key}" if index is not None else "currency")
        if draft.type in REFUND_TYPES and source is not None:
            self._check_refund_limits(draft, source, origins)

    def _check_refund_limits(self, draft: Transaction, source: Transaction, origins: dict[int, int]) -> None:
        currency = self.currencies[draft.currency_id or "1"].symbol
        remaining = self.remaining(source, draft.id)
        billed_lines = {line.line: line for line in source.lines}
        for line in draft.lines:
            if line.source_line is None:
                continue
            left = remaining[line.source_line]
            if line.quantity > left.quantity:
                billed = billed_lines[line.source_line].quantity
                index = origins.get(line.line)
                raise user_error(
                    f"Line {line.source_line} of {source.ref_name}: refund quantity {line.quantity} exceeds "
                    f"the remaining quantity {left.quantity} (billed {billed}, already refunded "
                    f"{billed - left.quantity}).",
                    f"item.items[{index}].quantity" if index is not None else "item")
        refunded = sum((child.total for child in self.children(source, draft.id)), money.ZERO)
        left_total = source.total - refunded
        if draft.total > left_total:
            total, left, billed, done = (money.format_amount(value, currency) for value in
                                         (draft.total, max(left_total, money.ZERO), source.total, refunded))
            raise user_error(f"The {draft.type} total {total} exceeds the amount remaining to refund on "
                             f"{source.ref_name}: {left} (billed total {billed}, already refunded {done}).", "total")

    def _check_billable(self, order: Transaction, to_type: str, body: Any) -> None:
        billed = self.children(order)
        if billed:
            raise user_error(f"{order.ref_name} has already been billed ({billed[0].ref_name}); a sales order "
                             "is billed once, in full.")
        if to_type == "cashSale" and order.payment_method_id is None:
            raise user_error(f"{order.ref_name} has no paymentMethod: bill it as an invoice.")
        if to_type == "invoice" and order.payment_method_id is not None:
            raise user_error(f"{order.ref_name} has a paymentMethod: bill it as a cash sale.")
        if isinstance(body, dict) and "item" in body:
            raise user_error("A sales order is billed in full: the item lines cannot change when billing.",
                             "item")

    def _refuse_if_items_locked(self, record: Transaction) -> None:
        children = self.children(record)
        if children:
            raise user_error(f"{record.ref_name} has records created from it ({children[0].ref_name}); "
                             "its item lines can no longer change.", "item")

    # --- helpers -----------------------------------------------------------------------------
    def _table(self, record_type: str) -> dict[str, Record]:
        try:
            return self._records[record_type]
        except KeyError:
            raise not_found(f"Record type '{record_type}' does not exist. Supported record types: "
                            f"{', '.join(RECORD_TYPES)}.") from None

    def _blank(self, record_type: str) -> Record:
        if record_type == "customer":
            return Customer()
        if record_type in ITEM_KINDS:
            return Item(type=record_type)
        return Transaction(type=record_type)

    def _source_of(self, record: Record) -> Transaction | None:
        if isinstance(record, Transaction) and record.created_from is not None:
            return self.transaction(record.created_from)
        return None

    def _today(self) -> date:
        return self.clock.now().date()

    def _default_currency(self, customer_id: str | None) -> str:
        if customer_id is not None and self.customer(customer_id).currency_id:
            return self.customer(customer_id).currency_id  # type: ignore[return-value]
        return "1"

    @staticmethod
    def _refuse_unknown(body: dict[str, Any], writable: Iterable[str], prefix: str, where: str,
                        strict: bool) -> None:
        if not strict:
            return  # NetSuite ignores unknown and read-only fields unless asked to validate names
        for key in body:
            if key not in writable:
                raise user_error(f'Invalid property name "{key}": {where} has no writable field of that '
                                 "name.", prefix + key)

    def _reference(self, table: Container[str], value: Any, path: str) -> str:
        ref_id = read_ref(value, path)
        if ref_id not in table:
            raise NetSuiteError(400, "INVALID_KEY_OR_REF", f"Invalid {path.rsplit('.', 1)[-1]} reference key "
                                f"{ref_id} for the following field: {path}.", path=path)
        return ref_id

    def _customer_ref(self, value: Any, path: str) -> str:
        return self._reference(self._records["customer"], value, path)

    def _currency_ref(self, value: Any, path: str) -> str:
        return self._reference(self.currencies, value, path)

    def _payment_method_ref(self, value: Any, path: str) -> str:
        return self._reference(self.payment_methods, value, path)

    def _item_ref(self, value: Any, path: str) -> str:
        return self._reference(_Either(self._records["inventoryItem"], self._records["otherChargeSaleItem"]),
                               value, path)

    def _commit(self, draft: Record) -> Record:
        """Store a record, its SuiteQL mirror first: if the mirror cannot take it, the record is not
        stored either, so REST and SuiteQL never disagree about what exists."""
        now = self.clock.now()
        before = (draft.id, draft.created, draft.modified, getattr(draft, "tran_id", None))
        if draft.id is None:
            family = ("entity" if isinstance(draft, Customer) else "item" if isinstance(draft, Item)
                      else "transaction")
            draft.id = str(self._ids[family].number())
            draft.created = now
            if isinstance(draft, Transaction):
                draft.tran_id = f"{draft.kind.prefix}-{self._next_document_number}"
        draft.modified = now
        try:
            self._on_change(draft)
        except BaseException:
            draft.id, draft.created, draft.modified = before[:3]
            if isinstance(draft, Transaction):
                draft.tran_id = before[3]
            raise
        if isinstance(draft, Transaction) and before[0] is None:
            self._next_document_number += 1
        stored = self._records[draft.type].get(draft.id)   # the version this draft replaces, if any
        index = self._by_external_id[draft.type]
        if stored is not None and stored.external_id is not None and index.get(stored.external_id) == draft.id:
            del index[stored.external_id]
        if draft.external_id is not None:
            index[draft.external_id] = draft.id
        if isinstance(draft, Item):
            if stored is not None and self._item_names.get(stored.item_id or "") == draft.id:  # type: ignore[union-attr]
                del self._item_names[stored.item_id]  # type: ignore[union-attr, arg-type]
            self._item_names[draft.item_id] = draft.id  # type: ignore[index]
        if stored is None and isinstance(draft, Transaction) and draft.created_from is not None:
            self._children.setdefault(draft.created_from, []).append(draft.id)
        self._records[draft.type][draft.id] = draft
        return draft
