"""Typed contacts, orders and interactions, built from the mapped tabs while validating.

Later stages (dedupe, loyalty, tasks) read these, never the raw cells.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from . import normalize
from .model import Issue
from .normalize import text_of
from .schema import INTERACTION_TYPES, Mapped, Record
from .settings import Settings
from .validate import (
    Checker,
    cell_checks,
    check_date,
    check_email,
    check_phone,
    check_yes_no,
    crm_id_of,
    repeated,
)

CRM_ID_PATTERN = re.compile(r"^C(\d+)$")


@dataclass(slots=True)
class Contact:
    row: int
    crm_id: str
    name: str
    email: str  # normal form, "" when missing or invalid
    phone: str  # E.164, "" when missing or invalid
    company: str = ""
    opt_in: bool | None = None
    birthday: dt.date | None = None
    since: dt.date | None = None
    cells: list = field(default_factory=list)
    anniversary: dt.date | None = None


@dataclass(slots=True)
class Order:
    row: int
    order_id: str
    date: dt.date | None
    crm_id: str  # the contact it belongs to, "" when none matched
    amount: Decimal | None
    currency: str
    status: str
    product: str = ""


@dataclass(slots=True)
class Interaction:
    row: int
    date: dt.date | None
    crm_id: str
    type: str
    summary: str
    resolved: bool | None


@dataclass(slots=True)
class IdAllocator:
    """Hands out CRM IDs above every ID ever issued, so that none is reused."""

    next_number: int

    def take(self) -> str:
        self.next_number += 1
        return f"C{self.next_number - 1:05d}"


def contact_name(values: dict) -> str:
    name = text_of(values.get("name", "")).strip()
    if not name:
        parts = [text_of(values.get(k, "")).strip() for k in ("first_name", "last_name")]
        name = " ".join(p for p in parts if p)
    return name or text_of(values.get("company", "")).strip()


def read_contacts(mapped: Mapped, settings: Settings, ids: IdAllocator,
                  issues: list[Issue], phones: dict[str, normalize.PhoneResult] | None = None
                  ) -> tuple[list[Contact], dict[int, str]]:
    """Contacts with their CRM IDs, and the IDs to write: {sheet row: new id}.
    phones: normalize.phones of the Phone column, when already worked out."""
    check = Checker(mapped, issues)
    seen = [(crm_id_of(mapped, rec), rec) for rec in mapped.records]
    for _, rec in seen:
        if m := CRM_ID_PATTERN.match(crm_id_of(mapped, rec)):
            ids.next_number = max(ids.next_number, int(m[1]) + 1)
    copied = {id(rec): first for rec, _, first in repeated([(v, r) for v, r in seen if v])}
    new_ids: dict[int, str] = {}
    contacts = []
    for existing, rec in seen:
        crm_id = existing
        if not existing or id(rec) in copied:
            crm_id = ids.take()
            new_ids[rec.row] = crm_id
            if existing:
                check.add("crm-id-repeated", rec, None, existing, crm_id,
                          mapped.owned["CRM ID"], "CRM ID", other=copied[id(rec)].row)
        v = rec.values
        name = contact_name(v)
        if not name:
            fieldname = next(f for f in ("name", "first_name", "last_name", "company")
                             if f in mapped.columns)
            check.add("required-missing", rec, fieldname, "", crm_id, what="contact")
        email = check_email(check, rec, "email", crm_id) if "email" in v else ""
        phone = check_phone(check, rec, "phone", crm_id, settings.region, phones) \
            if "phone" in v else ""
        has_email = text_of(v.get("email", "")).strip() != ""
        has_phone = text_of(v.get("phone", "")).strip() != ""
        if not has_email and not has_phone:
            check.add("contact-unreachable", rec, None, name, crm_id)
        opt_in = check_yes_no(check, rec, "opt_in", crm_id) if "opt_in" in v else None
        birthday = check_date(check, rec, "birthday", crm_id, settings, False) \
            if "birthday" in v else None
        since = check_date(check, rec, "since", crm_id, settings, False) if "since" in v else None
        anniversary = check_date(check, rec, "anniversary", crm_id, settings, False) \
            if "anniversary" in v else None
        contacts.append(Contact(rec.row, crm_id, name, email, phone,
                                text_of(v.get("company", "")).strip(), opt_in, birthday,
                                since, rec.cells, anniversary))
    ids_by_row = {c.row: c.crm_id for c in contacts}
    cell_checks(mapped, lambda rec: ids_by_row.get(rec.row, f"row {rec.row}"), issues)
    return contacts, new_ids


class ContactIndex:
    """Finds the contact an order or interaction points at: CRM ID, email, then name."""

    def __init__(self, contacts: list[Contact],
                 merged: list[tuple[str, str, str]] | None = None):
        """merged: (survivor's CRM ID, an old CRM ID or "", an old email or "") for the
        rows merged into a contact (merging.aliases)."""
        self.by_id = {c.crm_id: c for c in contacts}
        self.by_email = {}
        for c in contacts:
            if c.email:
                self.by_email.setdefault(c.email, c)
        for into, old, email in merged or ():
            survivor = self.by_id.get(into)
            if survivor is None:
                continue
            if old:
                self.by_id.setdefault(old, survivor)
            if email.strip():
                self.by_email.setdefault(normalize.email(email).normal, survivor)
        names: dict[str, list[Contact]] = {}
        for c in contacts:
            if c.name:
                names.setdefault(_name_key(c.name), []).append(c)
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}

    def find(self, crm_id: str, email: str, name: str) -> Contact | None:
        if crm_id and crm_id in self.by_id:
            return self.by_id[crm_id]
        if email and email in self.by_email:
            return self.by_email[email]
        if name:
            return self.by_name.get(_name_key(name))
        return None


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _link_fields(mapped: Mapped, prefix: str) -> list[str]:
    return [f for f in ("crm_id", f"{prefix}_email", f"{prefix}_name") if f in mapped.columns]


_ORDER_FIELDS = ("order_id", "order_date", "currency", "amount", "customer_email", "crm_id",
                 "customer_name", "status", "product")


def read_orders(mapped: Mapped, settings: Settings, index: ContactIndex, as_of: dt.date,
                issues: list[Issue]) -> list[Order]:
    """Orders up to `as_of` (later ones are ignored, as if not yet placed).

    Books have hundreds of thousands of orders: each row's cells are picked by position
    once, and the common cases (a date cell, a number amount, an email seen before) take
    a short path; anything else goes through the same checks as every other tab."""
    check = Checker(mapped, issues)
    orders = []
    kept: list[Record] = []
    numbered: list[tuple[str, Record]] = []  # (order number, row) of the rows kept
    pick = mapped.picker(_ORDER_FIELDS)
    home = settings["Currency"]
    emails: dict[str, str] = {}
    amounts: dict[float, Decimal] = {}
    date_type, number_types = dt.date, (int, float)
    for rec in mapped.records:
        raw_id, raw_date, raw_currency, raw_amount, raw_email, raw_ref, raw_name, raw_status, \
            raw_product = pick(rec.cells)
        order_id = text_of(raw_id).strip()
        key = order_id or f"row {rec.row}"
        date = raw_date if type(raw_date) is date_type else \
            check_date(check, rec, "order_date", key, settings, True)
        if date is not None and date > as_of:
            continue
        kept.append(rec)
        if order_id:
            numbered.append((order_id, rec))
        amount = None
        currency = text_of(raw_currency).strip().upper()
        if raw_amount == "":
            check.add("required-missing", rec, "amount", "", key, what="order")
        elif type(raw_amount) in number_types and raw_amount and \
                (not currency or not home or currency == home):
            # A number cell in the book's own currency: nothing to check but the sign.
            amount = amounts.get(raw_amount)
            if amount is None:
                amount = amounts[raw_amount] = Decimal(str(raw_amount))
            if raw_amount < 0:
                check.add("amount-negative", rec, "amount", raw_amount, key)
        else:
            amount, currency = _amount(check, rec, raw_amount, currency, home, key)
        currency = currency or home
        email = ""
        if raw_email != "":
            text = text_of(raw_email)
            email = emails.get(text)
            if email is None:
                email = emails[text] = normalize.email(text).normal if text.strip() else ""
        ref_id = text_of(raw_ref).strip()
        name = text_of(raw_name).strip()
        contact = index.find(ref_id, email, name)
        if contact is None:
            v = rec.values
            fieldname = next((f for f in _link_fields(mapped, "customer")
                              if text_of(v.get(f, "")).strip()), None)
            if fieldname is None:
                check.add("required-missing", rec, _link_fields(mapped, "customer")[0], "", key,
                          what="order")
            else:
                check.add("order-no-contact", rec, fieldname, v[fieldname], key, what="order")
        orders.append(Order(rec.row, order_id, date, contact.crm_id if contact else "", amount,
                            currency, text_of(raw_status).strip().lower(),
                            text_of(raw_product).strip()))
    if "order_id" in mapped.columns:
        for rec, value, first in repeated(numbered):
            check.add("order-number-repeated", rec, "order_id", value, f"{value}@{rec.row}",
                      other=first.row)
    keys = {o.row: (o.order_id or f"row {o.row}") for o in orders}
    mapped.records = kept
    cell_checks(mapped, lambda rec: keys.get(rec.row, f"row {rec.row}"), issues)
    return orders


def _amount(check: Checker, rec: Record, raw: object, currency: str, home: str,
            key: str) -> tuple[Decimal | None, str]:
    """An order's amount and currency, with the issues its cell gives."""
    parsed = normalize.amount(raw)
    if not parsed.ok:
        check.add("amount-invalid", rec, "amount", raw, key, detail=parsed.problem)
        return None, currency
    if parsed.value < 0:
        check.add("amount-negative", rec, "amount", raw, key)
    # The amount's own text ("12.00 USD") beats the Currency column.
    expected = currency or home
    named = parsed.currency or currency
    if named and home and named != home:
        check.add("amount-currency", rec, "amount", raw, key, detail=named, other=home)
    elif parsed.currency and expected and parsed.currency != expected:
        check.add("amount-currency", rec, "amount", raw, key, detail=parsed.currency,
                  other=expected)
    return parsed.value, parsed.currency or currency


def read_interactions(mapped: Mapped, settings: Settings, index: ContactIndex,
                      as_of: dt.date, issues: list[Issue]) -> list[Interaction]:
    check = Checker(mapped, issues)
    out = []
    kept = []
    for rec in mapped.records:
        v = rec.values
        key = f"row {rec.row}"
        date = check_date(check, rec, "date", key, settings, True)
        if date is not None and date > as_of:
            continue
        kept.append(rec)
        kind = text_of(v.get("type", "")).strip().lower()
        if kind and kind not in INTERACTION_TYPES:
            check.add("choice-unknown", rec, "type", v["type"], key,
                      detail=", ".join(INTERACTION_TYPES))
        email = normalize.email(text_of(v["contact_email"])).normal \
            if text_of(v.get("contact_email", "")).strip() else ""
        contact = index.find(text_of(v.get("crm_id", "")).strip(), email,
                             text_of(v.get("contact_name", "")).strip())
        links = _link_fields(mapped, "contact")
        filled = next((f for f in links if text_of(v.get(f, "")).strip()), None)
        if contact is None and filled:
            check.add("order-no-contact", rec, filled, v[filled], key, what="interaction")
        resolved = check_yes_no(check, rec, "resolved", key) if "resolved" in v else None
        out.append(Interaction(rec.row, date, contact.crm_id if contact else "", kind,
                               text_of(v.get("summary", "")).strip(), resolved))
    mapped.records = kept
    cell_checks(mapped, lambda rec: f"row {rec.row}", issues)
    return out
