"""Google Forms responses become contacts, on a Google Sheet and in an Excel book."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import run_cli
from openpyxl import load_workbook
from test_gsheet import AS_OF, grid, sample_tabs, upload

from crmsheets.backends import gsheet
from crmsheets.backends.excel import ExcelBook
from crmsheets.forms import consent, question_field
from crmsheets.sync import sync

FORM = "Form Responses 1"
QUESTIONS = ["Timestamp", "Email Address", "What's your name?", "Phone number",
             "Would you like our newsletter?", "Favourite tea", "Date of birth"]


def responses(stamp) -> list[list]:
    return [
        QUESTIONS,
        [stamp(2025, 5, 20, 10, 0), "Nora.New@Example.com", "Nora New", "07700 900123",
         "Yes, please", "Assam", stamp(1990, 3, 4)],
        # Charlie Hill is a contact with no phone: the form fills it, nothing else changes.
        [stamp(2025, 5, 21, 9, 30), "CHARLIE.HILL@icloud.com", "Charles Hill",
         "07700 900456", "", "Earl Grey"],
        [stamp(2025, 5, 22, 8, 15), "not-an-email", "Spam Bot", "", "", ""],
        [stamp(2025, 5, 23, 12, 0), "hacker@example.com", '=HYPERLINK("http://x.example")',
         "", "No thanks", ""],
    ]


def test_questions_find_their_contacts_column():
    assert question_field("What's your name?") == "name"
    assert question_field("Email Address") == "email"
    assert question_field("Phone number") == "phone"
    assert question_field("Your mobile (for delivery texts)") == "phone"
    assert question_field("Company name") == "company"
    assert question_field("I agree to receive news and offers by email") == "opt_in"
    assert question_field("Would you like our newsletter?") == "opt_in"
    assert question_field("Date of birth") == "birthday"
    assert question_field("Your LinkedIn profile (optional)") == "profile"
    assert question_field("County") == "state"
    assert question_field("Which state do you live in?") == "state"
    assert question_field("Please state your name") == "name"
    assert question_field("Favourite tea") is None
    assert [consent(a) for a in ("Yes", "Yes, please", "No thanks", "I don't want emails",
                                 "I agree to receive news", "")] == \
        ["yes", "yes", "no", "no", "yes", ""]


def _contact_rows(values: list[list]) -> dict[str, list]:
    header = [str(h) for h in values[0]]
    email = header.index("Email")
    return {str(r[email]).lower(): dict(zip(header, r, strict=False)) for r in values[1:]
            if len(r) > email and r[email]}


def test_responses_become_contacts_on_a_google_sheet(google):
    tabs = sample_tabs(60)

    def serial(*parts):
        return (dt.datetime(*parts) - dt.datetime(1899, 12, 30)).total_seconds() / 86400

    tabs[FORM] = responses(serial)
    url = upload(google, tabs)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert f"add 2 contacts from the {FORM} tab to Contacts" in result.output
    assert f"fill 1 empty Contacts cell from the {FORM} tab" in result.output
    assert "answers not kept (Contacts has no column for them): Favourite tea" in result.output

    key = gsheet.sheet_key(url)
    contacts = _contact_rows(google.values(key, "Contacts"))
    nora = contacts["nora.new@example.com"]
    assert nora["Name"] == "Nora New" and nora["Phone"] == "07700 900123"
    assert nora["Marketing opt-in"] == "yes" and nora["CRM ID"].startswith("C")
    assert nora["Customer since"] == 45797  # 2025-05-20, a date cell
    contacts_sheet = google.books[key].sheet("Contacts")
    header = google.values(key, "Contacts")[0]
    nora_row = next(i for i, r in enumerate(google.values(key, "Contacts"), 1)
                    if "Nora New" in r)
    for column in ("Customer since", "Birthday"):
        assert contacts_sheet.formats[(nora_row, header.index(column) + 1)]["type"] == "DATE"
    assert nora["Birthday"] == 32936  # 1990-03-04
    charlie = contacts["charlie.hill@icloud.com"]
    assert charlie["Name"] == "Charlie Hill"  # the owner's spelling stays
    assert charlie["Phone"] == "07700 900456"  # was empty: filled
    hacker = contacts["hacker@example.com"]
    assert hacker["Name"] == '=HYPERLINK("http://x.example")'  # text, not a formula
    assert hacker["Marketing opt-in"] == "no"
    assert not any(s.formulas for s in google.books[key].sheets)
    issues = grid(google, url, "Issues")
    bad = [r for r in issues if "form-response-unusable" in r[-1] or
           "cannot become a contact" in " ".join(r)]
    assert len(bad) == 1 and FORM in bad[0] and "'not-an-email' is not an email address" \
        in " ".join(bad[0])

    # Read once: the next sync adds nobody, even after the owner deletes Nora's row.
    assert sync(gsheet.GoogleSheet(url), AS_OF).plan.empty
    rows = google.values(key, "Contacts")
    nora_row = next(i for i, r in enumerate(rows, 1) if "Nora New" in r)
    for c in range(1, len(rows[0]) + 1):
        google.edit(key, "Contacts", nora_row, c, "")
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert "from the Form Responses 1 tab" not in result.output
    assert "nora.new@example.com" not in _contact_rows(google.values(key, "Contacts"))

    # The owner corrects the unusable response: the next sync adds it.
    google.edit(key, FORM, 4, 2, "spam.bot@example.com")
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert f"add 1 contact from the {FORM} tab" in result.output
    assert "spam.bot@example.com" in _contact_rows(google.values(key, "Contacts"))


def test_responses_in_an_excel_book(tmp_path):
    path = tmp_path / "shop.xlsx"
    assert run_cli("init", path, "--sample", "--as-of", AS_OF.isoformat()).exit_code == 0
    wb = load_workbook(path)
    ws = wb.create_sheet(FORM)
    for row in responses(dt.datetime):
        ws.append(row)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a form's answer is text (openpyxl would make a formula)
    wb.save(path)

    first = run_cli("sync", path, "--as-of", AS_OF.isoformat())
    assert first.exit_code == 0, first.output
    assert f"add 2 contacts from the {FORM} tab to Contacts" in first.output
    wb = load_workbook(path)
    values = [list(r) for r in wb["Contacts"].iter_rows(values_only=True)]
    contacts = _contact_rows(values)
    nora = contacts["nora.new@example.com"]
    assert nora["Phone"] == "07700 900123" and nora["Marketing opt-in"] == "yes"
    assert nora["Customer since"] == dt.datetime(2025, 5, 20)
    assert nora["Birthday"] == dt.datetime(1990, 3, 4)
    hacker_row = next(r for r in wb["Contacts"].iter_rows() if r[1].value == "hacker@example.com")
    assert hacker_row[0].data_type == "s"  # text, not a formula
    assert contacts["charlie.hill@icloud.com"]["Phone"] == "07700 900456"

    # Idempotent: nothing more to write, and the file is byte-identical after a resync.
    before = path.read_bytes()
    assert sync(ExcelBook(path), AS_OF).plan.empty
    assert path.read_bytes() == before


@pytest.mark.parametrize("questions", [["Timestamp", "Score"], ["When", "Email Address"]])
def test_tabs_that_are_not_form_responses_are_left_alone(tmp_path, questions):
    path = tmp_path / "shop.xlsx"
    run_cli("init", path, "--sample", "--as-of", AS_OF.isoformat())
    wb = load_workbook(path)
    ws = wb.create_sheet(FORM)
    ws.append(questions)
    ws.append([dt.datetime(2025, 5, 20), "x@example.com"])
    wb.save(path)
    result = run_cli("sync", path, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0 and "from the Form" not in result.output


def test_a_response_that_looks_like_a_known_contact_is_flagged_not_added_silently(google):
    """Grace Ahmed answers the form from another address: she is added (her email is
    new) and, on the same sync, listed in Duplicates with her existing row."""
    tabs = sample_tabs(60)

    def serial(*parts):
        return (dt.datetime(*parts) - dt.datetime(1899, 12, 30)).total_seconds() / 86400

    tabs[FORM] = [QUESTIONS, [serial(2025, 5, 20, 10, 0), "grace.ahmed.work@example.com",
                              "Grace Ahmed", "020 7946 0970", "", ""]]
    url = upload(google, tabs)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert f"add 1 contact from the {FORM} tab" in result.output
    duplicates = grid(google, url, "Duplicates")
    header = duplicates[0]
    email = header.index("Email")
    groups, group = {}, ""
    for row in duplicates[1:]:
        group = row[0] or group  # the group number is on its first row only
        groups.setdefault(group, []).append(row[email])
    assert any({"grace.ahmed@btinternet.com", "grace.ahmed.work@example.com"} <= set(g)
               for g in groups.values()), groups


def test_looking_for_form_responses_reads_no_other_tab():
    from crmsheets.model import Book, Tab
    from crmsheets.sync import run

    tabs = {name: Tab(name, rows) for name, rows in sample_tabs(60).items()}
    tabs["Archive 2019"] = Tab("Archive 2019", [["Timestamp", "Email Address"]])
    loaded = []

    def load(name):
        loaded.append(name)
        return tabs[name]

    run(Book("memory", names=list(tabs), load=load), AS_OF)
    assert "Archive 2019" not in loaded


def test_consent_from_a_form_never_reverses_an_opt_out_and_an_opt_out_is_honoured(google):
    tabs = sample_tabs(60)
    header = tabs["Contacts"][0]
    email, opt = header.index("Email"), header.index("Marketing opt-in")
    said_no = next(r for r in tabs["Contacts"][1:] if r[opt] == "no" and "@" in r[email]
                   and " " not in r[email])

    def serial(*parts):
        return (dt.datetime(*parts) - dt.datetime(1899, 12, 30)).total_seconds() / 86400

    tabs[FORM] = [QUESTIONS,
                  [serial(2025, 5, 20), "oliver.wright@btinternet.com", "", "", "No thanks"],
                  [serial(2025, 5, 21), said_no[email], "", "", "Yes please"]]
    url = upload(google, tabs)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert (f"set Marketing opt-in to no for 1 contact who said no in the {FORM} tab "
            f"(Contacts row 2)") in result.output
    contacts = _contact_rows(google.values(gsheet.sheet_key(url), "Contacts"))
    assert contacts["oliver.wright@btinternet.com"]["Marketing opt-in"] == "no"
    assert contacts[said_no[email].lower()]["Marketing opt-in"] == "no"  # not reversed
