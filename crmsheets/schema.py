"""Tabs, canonical fields, header aliases, and what crmsheets owns.

Owners name their columns however they like ("E-mail", "Email Address", "Mobile").
Headers are compared after `header_key` folds case, spaces and punctuation away,
against the aliases below. Columns crmsheets does not know are the owner's own and
are carried along untouched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from .codes import message
from .errors import MissingColumn, MissingTab
from .model import Book, Cell, Issue, Tab, col_letter


def header_key(text: object) -> str:
    """'E-mail Address ' -> 'emailaddress'; accents, case and punctuation folded."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    s = s.lower().replace("#", "number").replace("no.", "number").replace("&", "and")
    return re.sub(r"[^a-z0-9]", "", s)


@dataclass(frozen=True)
class Field:
    name: str  # canonical name used in code
    label: str  # what messages and templates call it
    aliases: tuple[str, ...]
    kind: str = "text"  # text, email, phone, date, amount, yesno, choice


def _f(name: str, label: str, *aliases: str, kind: str = "text") -> Field:
    return Field(name, label, (label, *aliases), kind)


CONTACT_FIELDS = (
    _f("name", "Name", "Full name", "Customer", "Customer name", "Contact", "Contact name",
       "Client", "Client name"),
    _f("first_name", "First name", "Given name", "Forename", "First"),
    _f("last_name", "Last name", "Surname", "Family name", "Last"),
    _f("company", "Company", "Business", "Organisation", "Organization", "Company name"),
    # Not plain "Title": in many books that is Mr, Mrs or Dr.
    _f("title", "Job title", "Position", "Role", "Job", "Job role", "Occupation"),
    _f("email", "Email", "E-mail", "Email address", "E-mail address", "Mail", "Email 1",
       kind="email"),
    _f("phone", "Phone", "Telephone", "Tel", "Mobile", "Cell", "Phone number",
       "Mobile number", "Telephone number", kind="phone"),
    _f("address", "Address", "Street", "Street address", "Address line 1", "Address 1"),
    _f("city", "City", "Town", "Town/City"),
    _f("postcode", "Postcode", "ZIP", "Zip code", "Postal code", "Post code"),
    _f("state", "State", "County", "Province", "Region", "State/Province", "State code",
       "Province/State"),
    _f("country", "Country"),
    _f("profile", "LinkedIn", "LinkedIn URL", "LinkedIn profile", "LinkedIn link",
       "Profile URL"),
    _f("opt_in", "Marketing opt-in", "Opt-in", "Opt in", "Consent", "Marketing consent",
       "Newsletter", "Subscribed", kind="yesno"),
    _f("birthday", "Birthday", "Date of birth", "DOB", "Birth date", kind="date"),
    _f("since", "Customer since", "Created", "Date added", "Joined", kind="date"),
    _f("anniversary", "Anniversary", "Wedding anniversary", "Anniversary date", kind="date"),
)

ORDER_FIELDS = (
    _f("order_id", "Order number", "Order", "Order #", "Order no", "Order ID", "Invoice",
       "Invoice number", "Invoice #", "Reference", "Ref"),
    _f("order_date", "Order date", "Date", "Purchase date", "Invoice date", "Ordered",
       kind="date"),
    _f("crm_id", "CRM ID", "Customer ID", "Contact ID"),
    _f("customer_email", "Customer email", "Email", "E-mail", "Email address", kind="email"),
    _f("customer_name", "Customer", "Customer name", "Name", "Client", "Contact", "Full name"),
    _f("amount", "Amount", "Total", "Order total", "Value", "Price", "Order value", "Sum",
       "Net", "Gross", kind="amount"),
    _f("currency", "Currency"),
    _f("status", "Status", "Order status", "State"),
    _f("product", "Product", "Item", "Items", "Description", "Products"),
)

INTERACTION_TYPES = ("call", "email", "meeting", "question", "complaint", "feedback", "note")

INTERACTION_FIELDS = (
    _f("date", "Date", "When", "Date/time", kind="date"),
    _f("crm_id", "CRM ID", "Customer ID", "Contact ID"),
    _f("contact_email", "Email", "E-mail", "Customer email", "Email address", kind="email"),
    _f("contact_name", "Contact", "Customer", "Name", "Client", "Who"),
    _f("type", "Type", "Kind", "Channel", "Category", kind="choice"),
    _f("summary", "Summary", "Notes", "What happened", "Details", "Subject"),
    _f("resolved", "Resolved", "Done", "Closed", "Handled", kind="yesno"),
)


@dataclass(frozen=True)
class TabKind:
    name: str  # the name crmsheets writes in templates and messages
    aliases: tuple[str, ...]
    fields: tuple[Field, ...]
    # Each inner tuple: at least one of these fields must have a column.
    required: tuple[tuple[str, ...], ...] = ()
    setting: str = ""  # the Settings key that names this tab


CONTACTS = TabKind("Contacts", ("Contacts", "Customers", "Clients", "People", "Customer list",
                                "Contact list", "Addresses"), CONTACT_FIELDS,
                   (("name", "first_name", "last_name", "company"),), "Contacts tab")
ORDERS = TabKind("Orders", ("Orders", "Sales", "Purchases", "Invoices", "Transactions"),
                 ORDER_FIELDS,
                 (("order_date",), ("amount",), ("crm_id", "customer_email", "customer_name")),
                 "Orders tab")
INTERACTIONS = TabKind("Interactions", ("Interactions", "Activity", "Activities", "Log",
                                        "Contact log", "Calls", "Notes"),
                       INTERACTION_FIELDS, (("date",),), "Interactions tab")
SETTINGS_TAB = ("Settings", "Config", "Configuration", "Options")

# Columns crmsheets owns on the owner's tabs: named here, added at the right-hand end.
CRM_ID = "CRM ID"
# The loyalty stage's columns, in the order they are added. The "CRM" prefix keeps them
# apart from any column of the owner's.
LOYALTY_COLUMNS = (
    "CRM first order", "CRM last order", "CRM orders", "CRM total spent", "CRM average order",
    "CRM days since last order", "CRM R", "CRM F", "CRM M", "CRM segment", "CRM P(active)",
    "CRM expected purchases", "CRM expected value", "CRM loyalty score",
)
OWNED_COLUMNS = {CONTACTS.name: (CRM_ID, *LOYALTY_COLUMNS)}

# Tabs crmsheets owns and rewrites. The hidden state tab remembers what must outlive
# a sync (the next CRM ID, so that an ID is never reused).
ISSUES_TAB = "Issues"
LOYALTY_TAB = "Loyalty"
FOLLOW_UPS_TAB = "Follow-ups"
DONE_TAB = "Done"
STATE_TAB = "_crmsheets"
DUPLICATES_TAB = "Duplicates"
MERGED_TAB = "Merged"
OWNED_TABS = (ISSUES_TAB, LOYALTY_TAB, FOLLOW_UPS_TAB, DONE_TAB, STATE_TAB, DUPLICATES_TAB,
              MERGED_TAB)


# A Google Form's responses tab ("Form Responses 1"); see forms.py.
FORM_TAB = re.compile(r"form[ _-]*responses?([ _-]*\d+)?", re.I)
_KNOWN_TABS = {header_key(a) for kind in (CONTACTS, ORDERS, INTERACTIONS)
               for a in kind.aliases} | {header_key(a) for a in SETTINGS_TAB}


def may_be_read(name: str) -> bool:
    """Could a sync read this tab without Settings naming it? (A backend that must fetch
    tabs ahead fetches these, and any other only when asked.)"""
    return (name in OWNED_TABS or header_key(name) in _KNOWN_TABS
            or bool(FORM_TAB.fullmatch(name.strip())))


def find_tab(book: Book, kind: TabKind, configured: str = "") -> Tab | None:
    """The tab for `kind`: the name given in Settings, else the first alias found."""
    by_key = {header_key(name): name for name in book.names}
    if configured:
        name = by_key.get(header_key(configured))
        return book.tab(name) if name else None
    for alias in kind.aliases:
        if header_key(alias) in by_key:
            return book.tab(by_key[header_key(alias)])
    return None


def require_tab(book: Book, kind: TabKind, configured: str = "") -> Tab:
    tab = find_tab(book, kind, configured)
    if tab is None:
        aliases = [configured] if configured else list(kind.aliases[:3])
        raise MissingTab(kind.name, aliases, [n for n in book.names if n not in OWNED_TABS])
    return tab


class Record:
    """One owner row: its sheet row number, its cells, and its cells by canonical field.

    The field -> column map is shared by every row of a tab (no dict per row: books
    have hundreds of thousands of orders).
    """

    __slots__ = ("row", "cells", "_cols")

    def __init__(self, row: int, cells: list[Cell], cols: dict[str, int]):
        self.row = row  # sheet row number
        self.cells = cells  # the whole row as read
        self._cols = cols  # canonical field -> 0-based index

    @property
    def values(self) -> Record:
        return self

    def get(self, fieldname: str, default: Cell = "") -> Cell:
        i = self._cols.get(fieldname)
        if i is None:
            return default
        return self.cells[i] if i < len(self.cells) else ""

    def __getitem__(self, fieldname: str) -> Cell:
        return self.get(fieldname)

    def __contains__(self, fieldname: str) -> bool:
        return fieldname in self._cols


@dataclass
class Mapped:
    """An owner's tab with its header row understood."""

    tab: Tab
    kind: TabKind
    header_row: int
    headers: list[str]  # as the owner wrote them, one per column
    columns: dict[str, int]  # canonical field -> 1-based column
    owned: dict[str, int]  # owned column header -> 1-based column
    records: list[Record]
    issues: list[Issue] = field(default_factory=list)

    def header_of(self, fieldname: str) -> str:
        return self.headers[self.columns[fieldname] - 1]

    def picker(self, fields: tuple[str, ...]) -> Callable[[list[Cell]], list[Cell]]:
        """cells -> the cells of these fields, in that order ("" for a field the tab has
        not, or a row too short): one call per row instead of one per field, for the
        tabs read row by row at scale (Orders; Contacts for matching)."""
        at = [self.columns[f] - 1 if f in self.columns else -1 for f in fields]

        def pick(cells: list[Cell]) -> list[Cell]:
            n = len(cells)
            return [cells[i] if 0 <= i < n else "" for i in at]

        return pick

    @property
    def last_col(self) -> int:
        """The right-most column with anything in it, header or data."""
        return self.tab.width


def _header_row(tab: Tab, kind: TabKind) -> int:
    """The row among the first ten whose cells match the most known headers."""
    known = {header_key(a) for f in kind.fields for a in f.aliases} | {header_key(CRM_ID)}
    best, best_score = 0, 0
    for i, row in enumerate(tab.rows[:10], start=1):
        score = sum(1 for c in row if c != "" and header_key(c) in known)
        if score > best_score:
            best, best_score = i, score
    if best:
        return best
    for i, row in enumerate(tab.rows[:10], start=1):
        if any(c != "" for c in row):
            return i
    return 1


def map_tab(tab: Tab, kind: TabKind) -> Mapped:
    """Match the header row to canonical fields; stop if a required column is missing."""
    hrow = _header_row(tab, kind)
    headers = [str(c).strip() if c != "" else "" for c in (tab.rows[hrow - 1] if tab.rows else [])]
    owned_names = {header_key(h): h for h in OWNED_COLUMNS.get(kind.name, ())}
    columns: dict[str, int] = {}
    owned: dict[str, int] = {}
    issues: list[Issue] = []
    alias_to_field: dict[str, Field] = {}
    for f in kind.fields:  # earlier fields win an alias shared by two ("Customer")
        for a in f.aliases:
            alias_to_field.setdefault(header_key(a), f)
    # Exact labels first, so that "Customer email" and "Email" both land where meant.
    for col, text in enumerate(headers, start=1):
        key = header_key(text)
        if not key:
            continue
        if key in owned_names:
            owned.setdefault(owned_names[key], col)
            continue
        f = next((f for f in kind.fields if header_key(f.label) == key), None) or \
            alias_to_field.get(key)
        if f is None:
            continue
        if f.name in columns:
            first = headers[columns[f.name] - 1]
            msg, fix = message("header-duplicate", detail=f.label, other=first, value=text)
            issues.append(Issue("header-duplicate", tab.name, hrow, text, text, msg, fix,
                                f"header:{col}", col))
            continue
        columns[f.name] = col
    for group in kind.required:
        if not any(name in columns for name in group):
            fields = [f for f in kind.fields if f.name in group]
            wanted = " or ".join(f.label for f in fields)
            aliases = [a for f in fields for a in f.aliases[:2]]
            raise MissingColumn(tab.name, wanted, aliases, headers)
    records = []
    unnamed = [c for c in range(1, tab.width + 1)
               if (c > len(headers) or not headers[c - 1]) and c not in owned.values()]
    for col in unnamed:
        if any(len(row) >= col and row[col - 1] != "" for row in tab.rows[hrow:]):
            msg, fix = message("header-missing", detail=col_letter(col), other=hrow)
            issues.append(Issue("header-missing", tab.name, hrow, "", "", msg, fix,
                                f"header:{col}", col))
    owned_idx = [c - 1 for c in owned.values()]
    fields = {name: col - 1 for name, col in columns.items()}
    error_rows = {r for r, _ in tab.errors}
    for r, cells in enumerate(tab.rows[hrow:], start=hrow + 1):
        n = len(cells)
        filled = n - cells.count("") - sum(1 for i in owned_idx if i < n and cells[i] != "")
        if not filled and r not in error_rows:
            continue  # a blank row (crmsheets' own cells do not make a row the owner's)
        records.append(Record(r, cells, fields))
    return Mapped(tab, kind, hrow, headers, columns, owned, records, issues)
