"""Fixture books named for their defect: each gives a clear message, never a traceback."""

from __future__ import annotations

import pytest
from conftest import run_cli, values

from crmsheets.errors import EXIT_FOUND_PROBLEMS, EXIT_STOPPED


@pytest.mark.parametrize("name, message", [
    ("missing_contacts_tab.xlsx",
     "crmsheets: No Contacts tab: looked for Contacts / Customers / Clients and found Sheet1, "
     "Orders. Rename your contacts tab to Contacts, or put its name in Settings under "
     "'Contacts tab'.\n"),
    ("empty_book.xlsx",
     "crmsheets: No Contacts tab: looked for Contacts / Customers / Clients and found Sheet. "
     "Rename your contacts tab to Contacts, or put its name in Settings under 'Contacts tab'.\n"),
    ("missing_name_column.xlsx",
     "crmsheets: Tab Contacts has no Name or First name or Last name or Company column: looked "
     "for Name / Full name / First name / Given name / Last name / Surname / Company / Business "
     "in its header row and found 'Email', 'Phone', 'Marketing opt-in'. Add a Name or First "
     "name or Last name or Company column header, then sync again.\n"),
])
def test_stopping_problems_are_one_line_and_write_nothing(book, name, message):
    path = book(name)
    before = path.read_bytes()
    for command in ("sync", "check"):
        result = run_cli(command, path)
        assert result.exit_code == EXIT_STOPPED
        assert result.output == message
    assert path.read_bytes() == before


def _issues(path):
    result = run_cli("check", path, "--json", "--as-of", "2025-06-01")
    assert result.exit_code == EXIT_FOUND_PROBLEMS, result.output
    import json

    return json.loads(result.output)["issues"]


def test_duplicate_headers(book):
    issues = _issues(book("duplicate_headers.xlsx"))
    dup = next(i for i in issues if i["code"] == "header-duplicate")
    assert (dup["tab"], dup["row"], dup["column"]) == ("Contacts", 1, "E-mail")
    assert dup["problem"] == "Two columns mean Email: 'Email' (used) and 'E-mail' (ignored)."


def test_merged_header_cells(book):
    issues = _issues(book("merged_header_cells.xlsx"))
    missing = next(i for i in issues if i["code"] == "header-missing")
    assert missing["problem"].startswith("Column B has values but no header in row 1")


def test_error_cells(book):
    issues = [i for i in _issues(book("error_cells.xlsx")) if i["code"] == "error-cell"]
    assert [(i["row"], i["column"], i["value"]) for i in issues] == [
        (3, "Phone", "#N/A"), (4, "Company", "#DIV/0!")]


def test_formula_text_is_reported_and_stays_text(book):
    path = book("formula_text.xlsx")
    issues = [i for i in _issues(path) if i["code"] == "formula-text"]
    assert {(i["row"], i["column"]) for i in issues} == {(2, "Company"), (3, "Company")}
    assert run_cli("sync", path, "--as-of", "2025-06-01").exit_code == 0
    written = [r for r in values(path, "Issues")[1:] if r[7] == "formula-text"]
    assert {r[5] for r in written} == {'=HYPERLINK("http://evil.example","click me")',
                                       "@SUM(1+1)"}
    import zipfile

    with zipfile.ZipFile(path) as z:
        issues_xml = next(z.read(n) for n in z.namelist() if n.endswith(".xml")
                          and b"formula-text" in z.read(n))
    assert b"<f>" not in issues_xml, "crmsheets wrote a formula"


def test_locale_formats(book):
    issues = {(i["row"], i["column"]): i for i in _issues(book("locale_formats.xlsx"))}
    assert issues[(2, "Date")]["code"] == "date-ambiguous"
    assert issues[(2, "Date")]["problem"] == "'03/04/2025' could be 3 April 2025 or 4 March 2025."
    assert issues[(3, "Date")]["code"] == "date-invalid"
    # 1.234,50 €, $1,234.50 and 12.00 USD all read as amounts (no Currency set to differ from)
    assert not {(2, "Total"), (3, "Total"), (4, "Total")} & set(issues)
    assert issues[(3, "Email")]["code"] == "email-invalid"
    assert issues[(4, "Phone")]["problem"].startswith("'12' is not a usable phone number")


def test_headers_only_book_syncs(book):
    path = book("headers_only.xlsx")
    result = run_cli("sync", path)
    assert result.exit_code == 0, result.output
    assert values(path, "Customers")[0] == ["Full name", "E-mail address", "Mobile", "CRM ID"]
