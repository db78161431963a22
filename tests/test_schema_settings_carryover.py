from __future__ import annotations

import datetime as dt

import pytest

from crmsheets.carryover import OwnedTabSpec, carry_over, is_ours, owner_input
from crmsheets.errors import MissingColumn
from crmsheets.model import Book, Tab
from crmsheets.schema import CONTACTS, ORDERS, find_tab, header_key, map_tab
from crmsheets.settings import read_settings


@pytest.mark.parametrize("text, key", [
    ("E-mail Address ", "emailaddress"), ("Order #", "ordernumber"), ("ZIP", "zip"),
    ("Téléphone", "telephone"), ("Order No.", "ordernumber")])
def test_header_key(text, key):
    assert header_key(text) == key


def test_aliases_any_order_title_row_and_owner_columns():
    tab = Tab("Clients", [
        ["My customer list 2025", "", "", ""],
        ["Mobile", "Favourite tea", "Full name", "Email Address"],
        ["07700 900123", "Assam", "Ada", "ada@example.com"],
        ["", "", "", ""],
        ["", "Earl Grey", "Bob", ""],
    ])
    mapped = map_tab(tab, CONTACTS)
    assert mapped.header_row == 2
    assert mapped.columns == {"phone": 1, "name": 3, "email": 4}
    assert [r.row for r in mapped.records] == [3, 5]  # the blank row is skipped
    assert mapped.records[0].get("email") == "ada@example.com"
    assert "company" not in mapped.records[0] and mapped.records[0].get("company") == ""


def test_a_job_title_column_is_known_and_a_salutation_title_is_the_owners():
    tab = Tab("Contacts", [["Title", "Name", "Position"], ["Dr", "Ada Lovelace", "Analyst"]])
    mapped = map_tab(tab, CONTACTS)
    assert mapped.columns == {"name": 2, "title": 3}  # "Title" (Dr, Mrs) is left alone
    assert map_tab(Tab("Contacts", [["Name", "Job title"]]), CONTACTS).columns == \
        {"name": 1, "title": 2}


def test_customer_email_and_email_land_in_their_own_fields():
    tab = Tab("Orders", [["Invoice", "Date", "Customer email", "Total", "Customer"]])
    assert map_tab(tab, ORDERS).columns == {"order_id": 1, "order_date": 2,
                                            "customer_email": 3, "amount": 4,
                                            "customer_name": 5}


def test_missing_required_column_names_what_was_found():
    with pytest.raises(MissingColumn) as err:
        map_tab(Tab("Orders", [["Invoice", "Customer email", "Total"]]), ORDERS)
    assert str(err.value).startswith("Tab Orders has no Order date column")
    assert "'Invoice', 'Customer email', 'Total'" in str(err.value)


def test_tab_found_by_alias_or_setting():
    book = Book("x", {"Sheet1": Tab("Sheet1", []), "My People": Tab("My People", []),
                      "Customers": Tab("Customers", [])})
    assert find_tab(book, CONTACTS).name == "Customers"
    assert find_tab(book, CONTACTS, "my people").name == "My People"
    assert find_tab(book, CONTACTS, "Nope") is None


def test_settings_defaults_values_and_bad_values():
    book = Book("x", {"Settings": Tab("Settings", [
        ["Setting", "Value"], ["Default country", "uk"], ["Dates are day-first", "YES"],
        ["Currency", "pounds"], ["Feedback after (days)", "7"], ["My own key", "kept"]])})
    s = read_settings(book)
    assert s.region == "GB" and s.day_first is True and s["Feedback after (days)"] == 7
    assert s["Currency"] == ""  # the default, because "pounds" is not a code
    [issue] = s.issues
    assert (issue.code, issue.row, issue.column) == ("setting-invalid", 4, "Currency")
    assert issue.message == ("Currency: 'pounds' is not a three-letter currency code; "
                             "using nothing instead.")


SPEC = OwnedTabSpec("Things", ("Status", "What", "Key"), key="Key", inputs=("Status",))


def test_carry_over_by_key_whatever_the_order():
    existing = Tab("Things", [["Status", "What", "Key"], ["", "b", "k2"], ["done", "a", "k1"],
                              ["later", "gone", "k9"]])
    assert is_ours(existing, SPEC)
    previous = owner_input(existing, SPEC)
    rows = carry_over([["", "a", "k1"], ["", "b", "k2"], ["", "c", "k3"]], SPEC, previous)
    assert rows == [["done", "a", "k1"], ["", "b", "k2"], ["", "c", "k3"]]
    assert not is_ours(Tab("Things", [["Owner", "stuff"]]), SPEC)


def test_an_owned_cell_is_rewritten_only_when_it_would_show_something_else():
    """The plan's change test, which a resync runs on every owned cell: equal values are
    left alone (426 read back as 426.0 included), TRUE is not 1, and on a tab that gives
    dates back as serial numbers (Google Sheets) a date is compared by its serial."""
    from crmsheets.sync import _differs

    rows = [["a", 426.0, True, 45000.0, 158.57, dt.date(2023, 3, 15)]]
    assert not _differs(rows, 1, 2, 426, False)
    assert _differs(rows, 1, 2, 427, False)
    assert _differs(rows, 1, 3, 1, False)  # the cell says TRUE
    assert not _differs(rows, 1, 3, True, False)
    assert not _differs(rows, 1, 4, dt.date(2023, 3, 15), True)
    assert _differs(rows, 1, 4, dt.date(2023, 3, 16), True)
    assert not _differs(rows, 1, 5, 158.57, False) and _differs(rows, 1, 5, 158.58, False)
    assert not _differs(rows, 1, 6, dt.date(2023, 3, 15), False)
    assert _differs(rows, 1, 9, "C00001", False) and not _differs(rows, 1, 9, "", False)
    assert _differs(rows, 5, 1, "x", False) and not _differs(rows, 5, 1, "", False)
