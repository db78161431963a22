"""The Settings tab: owner-editable key/value rows, with defaults for what is missing.

Keys are matched like headers (case, spaces and punctuation ignored). Unknown keys are
the owner's and are left alone. A value crmsheets cannot use becomes an Issue and the
default applies, so a typo in Settings never stops a sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from . import normalize
from .codes import message
from .model import Book, Issue
from .schema import SETTINGS_TAB, header_key


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    kind: str  # text, country, currency, yesno-or-blank, int, tab
    help: str


# The template's Settings tab is written from this list, in this order.
SETTINGS = (
    Setting("Business name", "", "text", "Shown on reports."),
    Setting("Default country", "", "country",
            "Two-letter country code (GB, US, DE...) for phone numbers written without +."),
    Setting("Currency", "", "currency", "Three-letter code (GBP, USD, EUR) of your amounts."),
    Setting("Dates are day-first", "", "yesno-or-blank",
            "yes: 03/04/2025 is 3 April. no: it is March 4. Blank: such dates are flagged."),
    Setting("Contacts tab", "", "tab", "Name of your contacts tab, if not Contacts/Customers/Clients."),
    Setting("Orders tab", "", "tab", "Name of your orders tab, if not Orders/Sales."),
    Setting("Interactions tab", "", "tab", "Name of your calls/emails log, if not Interactions."),
    Setting("Statuses that count", "paid, shipped, completed, delivered", "text",
            "Order statuses counted as sales (a blank status counts too); others, such as "
            "refunded or cancelled, are left out of loyalty figures."),
    Setting("Purchase horizon (days)", 90, "int",
            "Expected purchases are forecast over this many days."),
    Setting("Value horizon (months)", 12, "int",
            "Expected value is forecast over this many months."),
    Setting("Yearly discount rate (%)", 10, "int",
            "Future money is worth this much less per year in expected value."),
    Setting("Rules switched off", "", "text",
            "Follow-up rules to leave out, by name: thank, feedback, win-back, reply, data, "
            "dates."),
    Setting("Tasks look back (days)", 30, "int",
            "Thank-you and feedback tasks are made for orders of this many recent days."),
    Setting("Feedback after (days)", 14, "int", "Ask for feedback this many days after an order."),
    Setting("Complaint overdue after (days)", 3, "int",
            "An unresolved complaint or question needs attention after this many days."),
    Setting("Win-back after (days)", 120, "int",
            "A customer with no order for this long may need a nudge."),
    Setting("Done tasks kept (days)", 30, "int", "Finished follow-ups move to Done after this."),
    Setting("Merge prefers", "most recent", "choice:most recent,most complete,oldest",
            "What a merge keeps. most recent: email, phone, company, job title, LinkedIn "
            "and address (street, town, postcode, state, country) from the newest row "
            "that has them, the fullest name, other columns the oldest row's. "
            "most complete: the longest value of each column. oldest: the oldest row's "
            "values, its blanks filled from the others. An opt-out always stays."),
    Setting("Auto-merge duplicates above", "", "int",
            "Blank: never merge without your decision. A number such as 99: merge groups "
            "whose confidence (%) is at least that without asking."),
)

_BY_KEY = {header_key(s.key): s for s in SETTINGS}


@dataclass
class Settings:
    values: dict[str, Any] = field(default_factory=lambda: {s.key: s.default for s in SETTINGS})
    issues: list[Issue] = field(default_factory=list)
    tab: str = ""

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def region(self) -> str:
        return self.values["Default country"]

    @property
    def day_first(self) -> bool | None:
        value = self.values["Dates are day-first"]
        return None if value == "" else value


def read_settings(book: Book) -> Settings:
    settings = Settings()
    keys = {header_key(n) for n in SETTINGS_TAB}
    name = next((n for n in book.names if header_key(n) in keys), None)
    tab = book.tab(name) if name else None
    if tab is None:
        return settings
    settings.tab = tab.name
    for r, row in enumerate(tab.rows, start=1):
        if len(row) < 2 or header_key(row[0]) not in _BY_KEY:
            continue
        spec = _BY_KEY[header_key(row[0])]
        raw = row[1]
        if raw == "" or (isinstance(raw, str) and not raw.strip()):
            continue
        value, problem = _parse(spec, raw)
        if problem:
            msg, fix = message("setting-invalid", column=spec.key, detail=problem,
                               other=spec.default if spec.default != "" else "nothing",
                               fix=spec.help)
            settings.issues.append(Issue("setting-invalid", tab.name, r, spec.key,
                                         normalize.text_of(raw), msg, fix,
                                         f"setting:{spec.key}", 2))
            continue
        settings.values[spec.key] = value
    return settings


def _parse(spec: Setting, raw: Any) -> tuple[Any, str]:
    text = normalize.text_of(raw).strip()
    if spec.kind == "country":
        code = text.upper()
        if code == "UK":
            code = "GB"
        if code in phonenumbers.SUPPORTED_REGIONS:
            return code, ""
        return None, f"'{text}' is not a two-letter country code"
    if spec.kind == "currency":
        if len(text) == 3 and text.isalpha():
            return text.upper(), ""
        return None, f"'{text}' is not a three-letter currency code"
    if spec.kind == "yesno-or-blank":
        yn = normalize.yes_no(raw)
        return (yn, "") if yn is not None else (None, f"'{text}' is neither yes nor no")
    if spec.kind == "int":
        try:
            number = float(text)
        except ValueError:
            return None, f"'{text}' is not a number"
        if number < 0 or not number.is_integer():
            return None, f"'{text}' is not a whole number of 0 or more"
        return int(number), ""
    if spec.kind.startswith("choice:"):
        allowed = spec.kind[len("choice:"):].split(",")
        said = " ".join(text.casefold().split())
        if said in allowed:
            return said, ""
        return None, f"'{text}' is not one of: {', '.join(allowed)}"
    return text, ""
