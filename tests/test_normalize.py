from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsheets import normalize


@pytest.mark.parametrize("text, value, currency", [
    ("$1,234.50", Decimal("1234.50"), "USD"),
    ("1.234,50 €", Decimal("1234.50"), "EUR"),
    ("12.00 USD", Decimal("12.00"), "USD"),
    ("-5", Decimal("-5"), ""),
    ("(5.00)", Decimal("-5.00"), ""),
    ("£ 20", Decimal("20"), "GBP"),
    ("12,5", Decimal("12.5"), ""),
    ("1,234", Decimal("1234"), ""),
    ("1.234.567,89", Decimal("1234567.89"), ""),
    (19.99, Decimal("19.99"), ""),
])
def test_amounts(text, value, currency):
    result = normalize.amount(text)
    assert result.ok and result.value == value and result.currency == currency


@pytest.mark.parametrize("text", ["TBC", "1,2,3", "1.2.3", "", "12,34,5", True])
def test_not_amounts(text):
    assert not normalize.amount(text).ok


@pytest.mark.parametrize("value, day_first, expected", [
    ("2025-04-03", None, dt.date(2025, 4, 3)),
    ("13/04/2025", None, dt.date(2025, 4, 13)),
    ("03/04/2025", True, dt.date(2025, 4, 3)),
    ("03/04/2025", False, dt.date(2025, 3, 4)),
    ("3 Apr 2025", None, dt.date(2025, 4, 3)),
    ("April 3, 2025", None, dt.date(2025, 4, 3)),
    (45000, None, dt.date(2023, 3, 15)),
    ("45000", None, dt.date(2023, 3, 15)),
    (dt.datetime(2025, 1, 2, 10, 30), None, dt.date(2025, 1, 2)),
    ("04/04/25", None, dt.date(2025, 4, 4)),
])
def test_dates(value, day_first, expected):
    result = normalize.date(value, day_first)
    assert result.ok and result.date == expected


def test_ambiguous_date_names_both_readings():
    result = normalize.date("03/04/2025", None)
    assert result.ambiguous and not result.ok
    assert (result.date, result.other) == (dt.date(2025, 4, 3), dt.date(2025, 3, 4))


@pytest.mark.parametrize("value", ["31/02/2025", "hello", 12, True, "2025-13-01"])
def test_not_dates(value):
    assert not normalize.date(value, True).ok


def test_phone_needs_a_region_or_a_plus():
    assert normalize.phone("020 7946 0018", "GB").e164 == "+442079460018"
    assert normalize.phone("+44 20 7946 0018", "").e164 == "+442079460018"
    no_region = normalize.phone("020 7946 0018", "")
    assert not no_region.ok and "Default country" in no_region.problem


def test_phone_missing_plus_offers_the_e164_fix():
    result = normalize.phone("33 1 23 45 67 89", "GB")
    assert not result.ok and result.e164 == "+33123456789"


def test_email_typo_offers_a_fix():
    result = normalize.email("Maria@Gmial.com")
    assert not result.ok and result.fix == "maria@gmail.com"
    assert normalize.email("jo smith@example.com").fix == "josmith@example.com"


@pytest.mark.parametrize("value, expected", [
    ("yes", True), ("Y", True), ("opted in", True), (1, True), (True, True),
    ("no", False), ("unsubscribed", False), (0, False), ("maybe", None), ("", None)])
def test_yes_no(value, expected):
    assert normalize.yes_no(value) is expected


# Idempotence: the normal form of a normal form is itself.

@given(st.emails())
def test_email_normal_form_is_idempotent(address):
    first = normalize.email(address)
    if first.ok:
        assert normalize.email(first.normal).normal == first.normal


@given(st.from_regex(r"\+44 ?20 ?7946 ?0[0-9]{3}", fullmatch=True))
def test_phone_normal_form_is_idempotent(number):
    first = normalize.phone(number, "GB")
    assert first.ok
    assert normalize.phone(first.e164, "").e164 == first.e164
    assert normalize.phone(first.e164, "US").e164 == first.e164


@given(st.dates(dt.date(1930, 1, 1), dt.date(2100, 12, 31)), st.sampled_from([None, True, False]))
def test_date_text_round_trip(day, day_first):
    assert normalize.date(day.isoformat(), day_first).date == day
    serial = normalize.to_serial(day)
    assert normalize.date(serial, day_first).date == day


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_amount_text_round_trip(value):
    as_text = f"{value:,.2f}"
    assert normalize.amount(as_text).value == value
    european = as_text.replace(",", " ").replace(".", ",").replace(" ", ".")
    assert normalize.amount(european + " €").value == value


@settings(max_examples=600)
@given(st.one_of(st.emails(), st.from_regex(
    r"[a-zA-Z0-9._%+!#-]{1,20}@[a-zA-Z0-9.-]{1,20}\.[a-zA-Z]{2,6}", fullmatch=True)))
def test_email_fast_path_agrees_with_email_validator(address):
    """Plain addresses skip email-validator for speed: it must give the same answer."""
    from email_validator import EmailNotValidError, validate_email

    normalize.email.cache_clear()
    ours = normalize.email(address)
    try:
        theirs = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        theirs = None
    if theirs is None:
        assert not ours.ok
    elif ours.ok:
        assert ours.normal == theirs
    else:
        assert ours.fix  # only our typo check may turn down an address it accepts


@given(st.sampled_from(["GB", "US", "DE", "JE", "IM", "CA"]),
       st.sampled_from(["0", "+44 ", "+1 ", "07", "01", "+49 ", ""]),
       st.text(alphabet="0123456789", min_size=6, max_size=12))
def test_phone_validity_is_phonenumbers_own(region, prefix, digits):
    """The default-region shortcut gives exactly phonenumbers' is_valid_number."""
    import phonenumbers

    raw = prefix + digits
    try:
        want = phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        want = False
    assert normalize.phone(raw, region).ok == want
