"""Parsing what owners type: emails, phones, dates, amounts, yes/no.

Pure functions: no I/O, no spreadsheet library. Each returns a result that says what
it understood, and never raises on odd input. Normal forms are idempotent:
normalising a normal form gives it back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_EPOCH_ORDINAL = EXCEL_EPOCH.toordinal()
# Serial numbers that can be a date a business cares about: 1927-01-01 .. 2119-01-01.
SERIAL_MIN, SERIAL_MAX = 10000, 80000


def text_of(value: object) -> str:
    """A cell as the owner would read it: 12.0 -> '12', dates in ISO form."""
    if type(value) is str:  # most cells: keep the hot path short
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
    return str(value)


# ---- email ---------------------------------------------------------------------------

@dataclass(frozen=True)
class EmailResult:
    ok: bool
    normal: str = ""  # lower-cased normal form, for matching
    problem: str = ""
    fix: str = ""


_COMMON_DOMAIN_TYPOS = {
    "gmial.com": "gmail.com", "gmai.com": "gmail.com", "gmail.co": "gmail.com",
    "gmail.con": "gmail.com", "hotmial.com": "hotmail.com", "hotmail.con": "hotmail.com",
    "yahoo.con": "yahoo.com", "outlook.con": "outlook.com", "gnail.com": "gmail.com",
}


# Plain ASCII addresses (dot-atoms on both sides, a letters-only TLD) are what owners
# type nearly always; email-validator takes ~90 us each, so they skip it. Anything else
# (quotes, Unicode, IP literals, special-use domains) goes through email-validator.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test", "internal",
                "home.arpa", "example", "lan", "intranet")


@lru_cache(maxsize=1 << 18)
def email(value: str) -> EmailResult:
    raw = value.strip()
    if raw.lower().startswith("mailto:"):
        raw = raw[7:]
    if len(raw) <= 254 and _PLAIN_EMAIL.fullmatch(raw):
        local, domain = raw.rsplit("@", 1)
        tld = domain.rsplit(".", 1)[1].lower()
        if len(local) <= 64 and tld not in _SPECIAL_USE and "--" not in domain[:4]:
            domain = domain.lower()
            if domain in _COMMON_DOMAIN_TYPOS:
                fixed = f"{local.lower()}@{_COMMON_DOMAIN_TYPOS[domain]}"
                return EmailResult(False, raw.lower(), f"the domain {domain} looks like a typo",
                                   fixed)
            return EmailResult(True, f"{local}@{domain}".lower())
    try:
        info = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        why = str(exc).rstrip(".")
        return EmailResult(False, problem=why[:1].lower() + why[1:], fix=_email_fix(raw))
    normal = info.normalized.lower()
    domain = normal.rsplit("@", 1)[1]
    if domain in _COMMON_DOMAIN_TYPOS:
        fixed = normal.rsplit("@", 1)[0] + "@" + _COMMON_DOMAIN_TYPOS[domain]
        return EmailResult(False, normal, f"the domain {domain} looks like a typo", fixed)
    return EmailResult(True, normal)


def _email_fix(raw: str) -> str:
    guess = re.sub(r"\s+", "", raw).replace(",", ".").replace("..", ".").rstrip(".")
    guess = guess.replace("(at)", "@").replace("[at]", "@")
    if guess != raw:
        try:
            return validate_email(guess, check_deliverability=False).normalized
        except EmailNotValidError:
            pass
    return ""


# ---- phone ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PhoneResult:
    ok: bool
    e164: str = ""
    problem: str = ""


@lru_cache(maxsize=1 << 18)
def phone(value: str, region: str) -> PhoneResult:
    """Parse with the default region; the E.164 form is the normal form."""
    raw = value.strip()
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return PhoneResult(False, problem="it has no digits")
    try:
        num = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        num = None
    # Valid for the default region implies valid (is_valid_number would try every region
    # that shares the country code: +44 is GB, GG, IM and JE); a third of the cost.
    if num is not None and ((region and phonenumbers.is_valid_number_for_region(num, region))
                            or phonenumbers.is_valid_number(num)):
        return PhoneResult(True, phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
    # Written with the country code but without the "+" or with 00: offer the fix.
    for candidate in ("+" + digits, "+" + digits[2:] if digits.startswith("00") else ""):
        if not candidate or candidate == "+":
            continue
        try:
            alt = phonenumbers.parse(candidate, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(alt):
            e164 = phonenumbers.format_number(alt, phonenumbers.PhoneNumberFormat.E164)
            return PhoneResult(False, e164, "it lacks the + before the country code")
    if num is None and not region and not raw.startswith("+"):
        return PhoneResult(False, problem="it has no country code and Settings has no Default country")
    if len(digits) < 6:
        return PhoneResult(False, problem="it is too short to be a phone number")
    where = f" in {region}" if region and not raw.startswith("+") else ""
    return PhoneResult(False, problem=f"it is not a valid phone number{where}")


# ---- dates ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DateResult:
    ok: bool
    date: dt.date | None = None
    problem: str = ""
    ambiguous: bool = False  # both readings are real dates and Settings does not say
    other: dt.date | None = None  # the other reading, when ambiguous


_MONTHS = {m.lower(): i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_NAMED_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})$")
_NAMED_MDY = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


def _make(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _year(y: str) -> int:
    n = int(y)
    return n if len(y) == 4 else (2000 + n if n < 70 else 1900 + n)


def date(value: object, day_first: bool | None) -> DateResult:
    """A date cell, an Excel serial number, or text in ISO or local order.

    day_first None means Settings does not say: text like 03/04/2025, which is a real
    date either way, is then ambiguous.
    """
    if isinstance(value, dt.datetime):
        return DateResult(True, value.date())
    if isinstance(value, dt.date):
        return DateResult(True, value)
    if isinstance(value, bool):
        return DateResult(False, problem="it is TRUE/FALSE, not a date")
    if isinstance(value, (int, float)):
        if SERIAL_MIN <= value <= SERIAL_MAX:
            return DateResult(True, (EXCEL_EPOCH + dt.timedelta(days=int(value))).date())
        return DateResult(False, problem="it is a number, not a date")
    text = str(value).strip()
    if m := _ISO.match(text):
        d = _make(int(m[1]), int(m[2]), int(m[3]))
        return DateResult(True, d) if d else DateResult(False, problem="no such day")
    if m := _NUMERIC.match(text):
        a, b, y = int(m[1]), int(m[2]), _year(m[3])
        dmy, mdy = _make(y, b, a), _make(y, a, b)
        if dmy and mdy and dmy != mdy:
            if day_first is None:
                return DateResult(False, dmy, "it reads as two different dates", True, mdy)
            return DateResult(True, dmy if day_first else mdy)
        if dmy or mdy:
            return DateResult(True, dmy or mdy)
        return DateResult(False, problem="no such day")
    if (m := _NAMED_DMY.match(text)) and m[2][:3].lower() in _MONTHS:
        d = _make(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
        return DateResult(True, d) if d else DateResult(False, problem="no such day")
    if (m := _NAMED_MDY.match(text)) and m[1][:3].lower() in _MONTHS:
        d = _make(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
        return DateResult(True, d) if d else DateResult(False, problem="no such day")
    if re.fullmatch(r"\d{5}(\.\d+)?", text) and SERIAL_MIN <= float(text) <= SERIAL_MAX:
        return date(float(text), day_first)
    return DateResult(False, problem="crmsheets reads dates like 2025-04-03, 3/4/2025 or "
                      "3 Apr 2025")


def to_serial(d: dt.date) -> int | float:
    """Excel's (and Google Sheets') serial number of a day; a time of day is its fraction."""
    days = d.toordinal() - _EXCEL_EPOCH_ORDINAL
    if isinstance(d, dt.datetime) and d.time() != dt.time():
        t = d.time()
        return days + (t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6) / 86400
    return days


def as_stored(value: object, serial_dates: bool) -> str:
    """A value as a tab that holds dates as serial numbers would give it back, as text."""
    if serial_dates and isinstance(value, dt.date):
        return text_of(to_serial(value))
    return text_of(value)


def phones(values: Iterable[str], region: str) -> dict[str, PhoneResult]:
    """phone() of each value, for a whole column at once (the slow part of reading a big
    Contacts tab, so that it can run beside other work: background.py)."""
    return {v: phone(v, region) for v in values}


# ---- amounts -------------------------------------------------------------------------

@dataclass(frozen=True)
class AmountResult:
    ok: bool
    value: Decimal | None = None
    currency: str = ""  # ISO code when the text named one
    problem: str = ""


_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "chf": "CHF",
            "kr": "SEK", "zł": "PLN", "r$": "BRL", "a$": "AUD", "c$": "CAD", "us$": "USD"}
_CODE = re.compile(r"\b([A-Z]{3})\b")


def amount(value: object) -> AmountResult:
    """Numbers as they are; text like "$1,234.50", "1.234,50 €", "12.00 USD", "(5.00)"."""
    if isinstance(value, bool):
        return AmountResult(False, problem="it is TRUE/FALSE, not an amount")
    if isinstance(value, (int, float)):
        return AmountResult(True, Decimal(str(value)))
    text = str(value).strip()
    if not text:
        return AmountResult(False, problem="it is empty")
    currency = ""
    upper = text.upper()
    if m := _CODE.search(upper):
        currency = m[1]
        text = _CODE.sub("", upper)
    lowered = text.lower()
    for sym in sorted(_SYMBOLS, key=len, reverse=True):
        if sym in lowered:
            currency = currency or _SYMBOLS[sym]
            lowered = lowered.replace(sym, "")
    text = lowered.replace("\u00a0", "").replace(" ", "").replace("'", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    if text.startswith("+"):
        text = text[1:]
    if not re.fullmatch(r"[\d.,]+", text or "x"):
        return AmountResult(False, problem="crmsheets reads amounts like 1234.50, £1,234.50 "
                            "or 1.234,50 €")
    number = _decimal_text(text)
    if number is None:
        return AmountResult(False, problem="its separators do not make one number")
    return AmountResult(True, -number if negative else number, currency)


def _decimal_text(text: str) -> Decimal | None:
    """'1,234.50', '1.234,50', '12,5' -> Decimal. With both separators the last one is
    the decimal mark; a lone comma followed by exactly three digits is a thousands mark."""
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        dec = "." if text.rfind(".") > text.rfind(",") else ","
    elif commas == 1:
        dec = "" if len(text) - text.rfind(",") - 1 == 3 else ","
    elif dots == 1:
        dec = "."
    else:
        dec = ""
    whole, frac = (text.rsplit(dec, 1) if dec else (text, ""))
    if dec and not frac.isdigit():
        return None
    thousands = "," if dec != "," else "."
    if dots + commas - (1 if dec else 0):
        groups = whole.split(thousands)
        if any(ch in whole for ch in ".," if ch != thousands):
            return None
        if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            return None
        whole = "".join(groups)
    try:
        return Decimal(f"{whole or '0'}.{frac}" if dec else whole)
    except InvalidOperation:
        return None


# ---- yes / no ------------------------------------------------------------------------

_YES = {"yes", "y", "true", "1", "x", "ok", "opted in", "optin", "subscribed", "agreed", "✓", "✔"}
_NO = {"no", "n", "false", "0", "opted out", "optout", "unsubscribed", "declined"}


def yes_no(value: object) -> bool | None:
    """True, False, or None when the cell is empty or says neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value) if value in (0, 1) else None
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None
