"""Checks over the mapped tabs -> Issue records. Validation only reports: it never
rewrites an owner's cell. The words of every issue come from codes.py."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import normalize
from .codes import message
from .model import Issue
from .normalize import text_of
from .schema import CRM_ID, Mapped, Record
from .settings import Settings

EXCEL_MAX_TEXT = 32767


@dataclass
class Checker:
    """Collects issues for one tab, naming the cell the owner must look at."""

    mapped: Mapped
    issues: list[Issue]

    def add(self, code: str, rec: Record, fieldname: str | None, value: object,
            record: str, col: int = 0, header: str = "", **kw: object) -> None:
        if fieldname is not None:
            col = self.mapped.columns[fieldname]
            header = self.mapped.header_of(fieldname)
        shown = text_of(value)
        if len(shown) > 200:
            shown = shown[:199] + "…"
        msg, fix = message(code, value=shown, column=header or "the row", **kw)
        self.issues.append(Issue(code, self.mapped.tab.name, rec.row, header, shown, msg, fix,
                                 record, col))


_FORMULA_LIKE = re.compile(r"^\s*(=|@|[+\-]\s*[A-Za-z_]+\s*\()")
_SUSPECT_START = frozenset("=@+- \t\r\n")


def cell_checks(mapped: Mapped, record_key, issues: list[Issue]) -> None:
    """Checks every cell needs, whatever its column: errors, formula text, length."""
    tab = mapped.tab
    check = Checker(mapped, issues)
    owned = set(mapped.owned.values())
    rows = {rec.row: rec for rec in mapped.records}
    for (r, c), err in sorted(tab.errors.items()):
        if r in rows and c not in owned:
            check.add("error-cell", rows[r], None, err, record_key(rows[r]), c,
                      _header(mapped, c))
    for rec in mapped.records:
        for c, value in enumerate(rec.cells, start=1):
            # Cheap first test: this loop sees every cell of the tab.
            if type(value) is not str or not value or (
                    value[0] not in _SUSPECT_START and len(value) <= EXCEL_MAX_TEXT):
                continue
            if c in owned:
                continue
            if _FORMULA_LIKE.match(value):
                check.add("formula-text", rec, None, value, record_key(rec), c, _header(mapped, c))
            if len(value) > EXCEL_MAX_TEXT:
                check.add("too-long", rec, None, value, record_key(rec), c, _header(mapped, c),
                          detail=f"{len(value):,}")


def _header(mapped: Mapped, col: int) -> str:
    text = mapped.headers[col - 1] if col <= len(mapped.headers) else ""
    return text or f"column {col}"


def check_email(check: Checker, rec: Record, fieldname: str, key: str) -> str:
    """The normal form of a valid email, "" otherwise (with an issue when not empty)."""
    value = rec.values.get(fieldname, "")
    if value == "" or (isinstance(value, str) and not value.strip()):
        return ""
    result = normalize.email(text_of(value))
    if not result.ok:
        fix = f"Did you mean {result.fix}?" if result.fix else "Correct the address."
        check.add("email-invalid", rec, fieldname, value, key, detail=result.problem, fix=fix)
        return ""
    return result.normal


def check_phone(check: Checker, rec: Record, fieldname: str, key: str, region: str,
                known: dict[str, normalize.PhoneResult] | None = None) -> str:
    """known: normalize.phones for this region, worked out beforehand (or in part)."""
    value = rec.values.get(fieldname, "")
    if value == "":
        return ""
    text = text_of(value)
    result = (known.get(text) if known else None) or normalize.phone(text, region)
    if not result.ok:
        fix = (f"Write it as {result.e164}." if result.e164
               else "Check the digits, and start it with + and the country code.")
        check.add("phone-invalid", rec, fieldname, value, key, detail=result.problem, fix=fix)
        return ""
    return result.e164


def check_date(check: Checker, rec: Record, fieldname: str, key: str,
               settings: Settings, required: bool) -> dt.date | None:
    value = rec.values.get(fieldname, "")
    if type(value) is dt.date:  # a real date cell: nothing to parse
        return value
    if value == "":
        if required:
            check.add("required-missing", rec, fieldname, value, key)
        return None
    result = normalize.date(value, settings.day_first)
    if result.ambiguous:
        check.add("date-ambiguous", rec, fieldname, value, key,
                  fix=_long(result.date), other=_long(result.other))
        return None
    if not result.ok:
        check.add("date-invalid", rec, fieldname, value, key, detail=result.problem)
        return None
    return result.date


def _long(d: dt.date | None) -> str:
    return f"{d.day} {d:%B %Y}" if d else ""


def check_yes_no(check: Checker, rec: Record, fieldname: str, key: str) -> bool | None:
    value = rec.values.get(fieldname, "")
    if value == "":
        return None
    result = normalize.yes_no(value)
    if result is None:
        check.add("yesno-unknown", rec, fieldname, value, key)
    return result


def crm_id_of(mapped: Mapped, rec: Record) -> str:
    col = mapped.owned.get(CRM_ID)
    if col is None or col > len(rec.cells):
        return ""
    return text_of(rec.cells[col - 1]).strip()


def repeated(values: list[tuple[str, Record]]) -> list[tuple[Record, str, Record]]:
    """(later record, value, first record) for each value seen before."""
    first: dict[str, Record] = {}
    out = []
    for value, rec in values:
        earlier = first.setdefault(value, rec)
        if earlier is not rec:
            out.append((rec, value, earlier))
    return out
