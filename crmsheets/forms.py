"""Google Forms responses become contacts.

A form linked to the sheet writes its answers into a tab such as "Form Responses 1":
Timestamp, Email Address (when the form collects it) and one column per question. On
each sync, every response not seen before is read once:

- a person not in Contacts yet (by normalised email) becomes a new Contacts row, below
  the last one, with the answers whose questions match a Contacts column;
- a person already there only gets their empty cells filled: nothing the owner typed
  is changed;
- a consent question ("I agree to receive news", "Newsletter?") fills the opt-in column,
  and a "no" there is honoured even where the contact said yes before (the least
  permissive consent wins, as on a merge; a "yes" never reverses a "no");
- a response without a usable email address becomes an Issue, and is read again on the
  next sync (after the owner corrected it).

A response is known by its Timestamp and email; the keys seen are remembered in the
hidden _crmsheets tab, so a response is never added twice, even after the owner deletes
or edits the contact it made. The same works for such a tab in an Excel book (a form's
responses downloaded, or copied in).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from . import normalize
from .codes import message
from .model import Book, Cell, Issue, Tab
from .normalize import text_of
from .schema import CONTACT_FIELDS, FORM_TAB, Mapped, header_key

SEEN = "form response: "  # the state tab's key prefix

# Question words -> the Contacts field they fill (checked in order, on the header's words:
# "I agree to receive offers by email" is consent, not an email address).
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("opt_in", ("consent", "newsletter", "marketing", "opt in", "opt-in", "subscribe",
                "keep in touch", "offers", "hear from us", "agree to receive", "mailing list")),
    ("email", ("email", "e-mail", "e mail")),
    ("phone", ("phone", "mobile", "telephone", "whatsapp")),
    ("birthday", ("birthday", "date of birth", "born")),
    ("profile", ("linkedin",)),
    ("company", ("company", "business", "organisation", "organization", "employer")),
    ("first_name", ("first name", "given name", "forename")),
    ("last_name", ("last name", "surname", "family name")),
    ("name", ("name",)),
    ("postcode", ("postcode", "post code", "zip", "postal code")),
    ("city", ("city", "town")),
    ("country", ("country",)),
    ("address", ("address", "street")),
    ("state", ("state", "county", "province")),  # after "name": "Please state your name"
)
_DATE_FIELDS = {f.name for f in CONTACT_FIELDS if f.kind == "date"}
_NO_WORDS = re.compile(r"\b(no|not|don'?t|do not|never|unsubscribe|rather not)\b", re.I)


def is_responses_tab(tab: Tab) -> bool:
    """A form's responses: named so ("Form Responses 1"), first header "Timestamp"."""
    if not FORM_TAB.fullmatch(tab.name.strip()) or not tab.rows:
        return False
    return header_key(text_of(tab.rows[0][0] if tab.rows[0] else "")) == "timestamp"


def question_field(question: str) -> str | None:
    """The Contacts field a question's answers belong in, if any."""
    key = header_key(question)
    for f in CONTACT_FIELDS:
        if key in {header_key(a) for a in f.aliases}:
            return f.name
    words = " " + re.sub(r"[^a-z0-9@+-]+", " ", question.lower()) + " "
    for name, hints in _HINTS:
        if any(f" {h} " in words or (" " in h and h in words) for h in hints):
            return name
    return None


def consent(answer: Cell) -> str:
    """'yes', 'no' or '' for a consent answer (a ticked box's label counts as yes)."""
    if answer == "" or answer is None:
        return ""
    yn = normalize.yes_no(answer)
    if yn is not None:
        return "yes" if yn else "no"
    return "no" if _NO_WORDS.search(text_of(answer)) else "yes"


def _when(value: Cell) -> str:
    """A response's Timestamp as ISO text, whichever way the book stores it."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = normalize.EXCEL_EPOCH + dt.timedelta(days=float(value))
        return (moment + dt.timedelta(seconds=0.5)).replace(microsecond=0).isoformat(sep=" ")
    return text_of(value).strip()


@dataclass
class Ingested:
    edits: dict[int, dict[int, Cell]] = field(default_factory=dict)  # col -> {row: value}
    seen: dict[str, int] = field(default_factory=dict)  # response key -> Contacts row
    issues: list[Issue] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the changes, in words
    notes: list[str] = field(default_factory=list)


def ingest(book: Book, contacts: Mapped, already: set[str]) -> Ingested:
    """Read every new response of every responses tab into the in-memory Contacts tab."""
    out = Ingested()
    # Only tabs named like a form's are read: the owner's other tabs cost nothing.
    tabs = [t for n in book.names if FORM_TAB.fullmatch(n.strip())
            and (t := book.tab(n)) is not None and is_responses_tab(t)]
    if not tabs:
        return out
    tab = contacts.tab
    cols = contacts.columns
    by_email: dict[str, int] = {}
    email_col = cols.get("email")
    for rec in contacts.records:
        if email_col:
            e = normalize.email(text_of(rec.cells[email_col - 1] if email_col <= len(rec.cells)
                                        else ""))
            if e.ok:
                by_email.setdefault(e.normal, rec.row)
    last = max([contacts.header_row] + [r.row for r in contacts.records])
    added = filled = 0
    opted_out: list[str] = []
    no_column: set[str] = set()

    def put(row: int, fieldname: str, value: Cell, only_empty: bool) -> bool:
        col = cols.get(fieldname)
        if col is None or value == "":
            return False
        if only_empty and tab.cell(row, col) != "":
            return False
        tab.put(row, col, value)
        out.edits.setdefault(col, {})[row] = value
        return True

    for form in tabs:
        header = [text_of(h) for h in form.rows[0]]
        fields = {i: question_field(h) for i, h in enumerate(header) if i > 0}
        email_at = next((i for i, f in fields.items() if f == "email"), None)
        for r, row in enumerate(form.rows[1:], start=2):
            if not any(v != "" for v in row):
                continue
            answers = {i: row[i] for i in fields if i < len(row) and row[i] != ""}
            raw_email = text_of(answers.get(email_at, "")).strip() if email_at is not None else ""
            email = normalize.email(raw_email) if raw_email else None
            key = f"{_when(row[0])}|{email.normal if email and email.ok else raw_email.lower()}"
            if key in already or key in out.seen:
                continue
            if email is None or not email.ok:
                column = header[email_at] if email_at is not None else "Email Address"
                why = "it has no email address" if not raw_email else \
                    f"{raw_email!r} is not an email address"
                msg, fix = message("form-response-unusable", detail=why, column=column)
                out.issues.append(Issue("form-response-unusable", form.name, r, column,
                                        raw_email, msg, fix, f"form:{key}",
                                        email_at + 1 if email_at is not None else 0))
                continue
            known = by_email.get(email.normal)
            target = known if known else last + 1
            values: dict[str, Cell] = {"email": raw_email}
            for i, value in answers.items():
                f = fields[i]
                if f == "email":
                    continue
                if f is None:
                    no_column.add(header[i])
                    continue
                if f == "opt_in":
                    value = consent(value)
                elif f in _DATE_FIELDS:  # a Forms date answer: a serial number or text
                    parsed = normalize.date(value, None)
                    value = parsed.date if parsed.ok else value
                if f not in cols:
                    no_column.add(header[i])
                    continue
                values.setdefault(f, value)
            if "name" not in cols and "name" in values and {"first_name", "last_name"} & set(
                    cols):
                first, _, rest = text_of(values.pop("name")).strip().rpartition(" ")
                values.setdefault("first_name", first or rest)
                if first:
                    values.setdefault("last_name", rest)
            if known is None:
                stamp = row[0]
                since = normalize.date(stamp, None).date if stamp != "" else None
                if since and "since" in cols:
                    values.setdefault("since", since)
                for f, v in values.items():
                    put(target, f, v, only_empty=False)
                by_email[email.normal] = target
                last = target
                added += 1
            else:
                filled += sum(put(target, f, v, only_empty=True) for f, v in values.items()
                              if f != "email")
                # An opt-out is honoured even over a "yes" (the least permissive consent
                # wins, as on a merge); a "yes" never reverses a "no".
                col = cols.get("opt_in")
                if values.get("opt_in") == "no" and col and \
                        normalize.yes_no(tab.cell(target, col)) is True:
                    put(target, "opt_in", "no", only_empty=False)
                    opted_out.append(f"row {target}")
            out.seen[key] = target
    names = " and ".join(f"the {t.name} tab" for t in tabs)
    if added:
        out.lines.append(f"add {added} contact{'s' if added != 1 else ''} from {names} "
                         f"to Contacts")
    if filled:
        out.lines.append(f"fill {filled} empty Contacts cell{'s' if filled != 1 else ''} "
                         f"from {names}")
    if opted_out:
        out.lines.append(f"set Marketing opt-in to no for {len(opted_out)} contact"
                         f"{'s' if len(opted_out) != 1 else ''} who said no in {names} "
                         f"(Contacts {', '.join(opted_out)})")
    if no_column:
        out.notes.append(f"answers not kept (Contacts has no column for them): "
                         f"{', '.join(sorted(no_column))}")
    return out
