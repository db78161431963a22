"""The commands as a user runs them: exact messages, exit codes, and the effect on the
book read back with openpyxl."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import run_cli, values

from crmsheets.errors import EXIT_FOUND_PROBLEMS, EXIT_STOPPED, EXIT_TRY_LATER

AS_OF = "2026-11-22"


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "shop.xlsx"
    result = run_cli("init", path, "--sample", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def shop(tmp_path, sample_book):
    path = tmp_path / "shop.xlsx"
    shutil.copy(sample_book, path)
    return path


def test_init_makes_the_starter_tabs(tmp_path):
    path = tmp_path / "new.xlsx"
    result = run_cli("init", path)
    assert result.exit_code == 0
    assert result.output.startswith(f"Made {path}: Contacts 0 rows, Orders 0 rows")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames == ["Contacts", "Orders", "Interactions", "Settings"]
    contacts = wb["Contacts"]
    assert contacts["A1"].value == "Name" and contacts["A1"].font.b
    assert contacts.freeze_panes == "A2"
    lists = [dv.formula1 for dv in wb["Orders"].data_validations.dataValidation]
    assert '"paid,shipped,pending,refunded,cancelled"' in lists
    settings = {r[0]: r[1] for r in values(path, "Settings")[1:]}
    assert settings["Default country"] == "GB" and settings["Currency"] == "GBP"


def test_init_never_overwrites(tmp_path, shop):
    before = shop.read_bytes()
    result = run_cli("init", shop)
    assert result.exit_code == EXIT_STOPPED
    assert "already exists" in result.output and "never overwrites" in result.output
    assert shop.read_bytes() == before


def test_sample_has_what_every_feature_needs(shop):
    contacts = values(shop, "Contacts")
    orders = values(shop, "Orders")
    assert 250 <= len(contacts) - 1 <= 500
    assert 1500 <= len(orders) - 1 <= 5000
    dates = [r[1] for r in orders[1:] if hasattr(r[1], "year")]
    assert max(dates).year - min(dates).year >= 2
    emails = [str(r[1]).lower() for r in contacts[1:] if r[1]]
    assert len(emails) > len(set(emails)), "the sample holds duplicate people"


def test_sync_writes_crm_ids_and_issues_then_nothing(shop):
    first = run_cli("sync", shop, "--as-of", AS_OF)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == f"Synced {shop} (as of {AS_OF})"
    assert "add 15 columns to Contacts (M to AA: CRM ID, CRM first order," in first.output
    contacts = values(shop, "Contacts")
    assert contacts[0][12] == "CRM ID"
    ids = [r[12] for r in contacts[1:]]
    assert all(re.fullmatch(r"C\d{5}", i) for i in ids) and len(set(ids)) == len(ids)
    issues = values(shop, "Issues")
    assert issues[0] == ["Status", "Problem", "Tab", "Row", "Column", "Value", "Suggested fix",
                         "Code", "Key"]
    codes = {r[7] for r in issues[1:]}
    assert {"email-invalid", "phone-invalid", "date-ambiguous", "amount-invalid",
            "order-no-contact", "order-number-repeated", "formula-text"} <= codes
    formula = next(r for r in issues[1:] if r[7] == "formula-text")
    assert formula[5].startswith("=HYPERLINK(")  # written as text, read back as text
    before = shop.read_bytes()
    second = run_cli("sync", shop, "--as-of", AS_OF)
    assert second.exit_code == 0
    assert "nothing changed: the book is up to date, nothing was written" in second.output
    assert shop.read_bytes() == before


def test_issue_rows_link_to_the_cell(shop):
    run_cli("sync", shop, "--as-of", AS_OF)
    from openpyxl import load_workbook

    ws = load_workbook(shop)["Issues"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[7].value == "phone-invalid")
    assert row[3].hyperlink is not None
    assert row[3].hyperlink.location == f"'Contacts'!C{row[3].value}"


def test_ids_survive_sorting_and_new_rows(shop):
    run_cli("sync", shop, "--as-of", AS_OF)
    contacts = values(shop, "Contacts")
    by_email = {r[1]: r[12] for r in contacts[1:] if r[1]}
    highest = max(int(r[12][1:]) for r in contacts[1:])
    # The owner sorts Contacts by name and adds a person: rewrite the sheet with openpyxl
    # in a copy (as Excel would), then sync again.
    from openpyxl import load_workbook

    wb = load_workbook(shop)
    ws = wb["Contacts"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    rows.sort(key=lambda r: str(r[0]))
    rows.append(["New Person", "new.person@example.com", "020 7946 0999"] + [None] * 10)
    ws.delete_rows(2, ws.max_row)
    for r in rows:
        ws.append(r)
    wb.save(shop)
    result = run_cli("sync", shop, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    after = values(shop, "Contacts")
    for r in after[1:]:
        if r[1] in by_email:
            assert r[12] == by_email[r[1]], "a contact's CRM ID changed after sorting"
    new = next(r for r in after if r[1] == "new.person@example.com")
    assert int(new[12][1:]) == highest + 1


def test_deleted_contact_id_is_never_reused(shop):
    run_cli("sync", shop, "--as-of", AS_OF)
    from openpyxl import load_workbook

    wb = load_workbook(shop)
    ws = wb["Contacts"]
    last_id = max(int(str(c.value)[1:]) for c in ws["M"][1:] if c.value)
    for r in range(ws.max_row, 1, -1):
        if ws.cell(r, 13).value == f"C{last_id:05d}":
            ws.delete_rows(r)
    ws.append(["Late Comer", "late@example.com"])
    wb.save(shop)
    run_cli("sync", shop, "--as-of", AS_OF)
    ids = [r[12] for r in values(shop, "Contacts")[1:]]
    assert f"C{last_id:05d}" not in ids
    assert f"C{last_id + 1:05d}" in ids


def test_ignored_issue_stays_ignored_after_the_rows_move(shop):
    run_cli("sync", shop, "--as-of", AS_OF)
    from openpyxl import load_workbook

    wb = load_workbook(shop)
    ws = wb["Issues"]
    target = next(r for r in ws.iter_rows(min_row=2) if r[7].value == "amount-negative")
    key = target[8].value
    target[0].value = "ignore"
    # the owner sorts the Issues tab by problem, newest thinking first
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    rows.sort(key=lambda r: str(r[1]), reverse=True)
    ws.delete_rows(2, ws.max_row)
    for r in rows:
        ws.append(r)
    wb.save(shop)
    result = run_cli("sync", shop, "--as-of", AS_OF, "--json")
    summary = json.loads(result.output)
    assert summary["ignored"] == 1
    assert "amount-negative" not in summary["issues_by_code"]
    issues = values(shop, "Issues")
    kept = next(r for r in issues if r[8] == key)
    assert kept[0] == "ignore"
    assert issues[-1][8] == key, "ignored issues go to the bottom"
    check = run_cli("check", shop, "--as-of", AS_OF, "--json")
    listed = json.loads(check.output)["issues"]
    assert key not in {i["key"] for i in listed}


def test_check_prints_a_table_and_exits_1(shop):
    result = run_cli("check", shop, "--as-of", AS_OF)
    assert result.exit_code == EXIT_FOUND_PROBLEMS
    lines = result.output.splitlines()
    assert re.match(r"Tab\s+Row\s+Column\s+Problem", lines[0])
    assert any(re.match(r"Contacts\s+\d+\s+Email\s+'.*' is not a usable email", ln)
               for ln in lines)
    assert "Issues" not in values(shop, "Contacts")[0], "check wrote nothing"
    from openpyxl import load_workbook

    assert "Issues" not in load_workbook(shop).sheetnames


def test_check_exits_0_on_a_clean_book(tmp_path):
    path = tmp_path / "clean.xlsx"
    run_cli("init", path)
    result = run_cli("check", path)
    assert result.exit_code == 0
    assert result.output == f"No problems found in {path}.\n"


def test_dry_run_prints_the_plan_and_writes_nothing(shop):
    before = shop.read_bytes()
    result = run_cli("sync", shop, "--dry-run", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "would write: add 15 columns to Contacts (M to AA: CRM ID," in result.output
    assert shop.read_bytes() == before
    assert not (shop.parent / "crmsheets-backups").exists()


def test_json_summary(shop):
    result = run_cli("sync", shop, "--json", "--as-of", AS_OF)
    data = json.loads(result.output)
    assert data["written"] is True and data["as_of"] == AS_OF
    assert data["rows"]["Contacts"] == data["contacts"] == data["new_crm_ids"]
    assert data["issues"] == sum(data["issues_by_code"].values())


def test_backup_of_the_previous_version(shop):
    before = shop.read_bytes()
    run_cli("sync", shop, "--as-of", AS_OF)
    backups = list((shop.parent / "crmsheets-backups").iterdir())
    assert len(backups) == 1 and backups[0].read_bytes() == before


def test_as_of_ignores_later_orders(shop):
    early = json.loads(run_cli("check", shop, "--json", "--as-of", "2024-06-30").output)
    late = json.loads(run_cli("check", shop, "--json", "--as-of", AS_OF).output)
    assert 0 < early["summary"]["orders"] < late["summary"]["orders"]


@pytest.mark.parametrize("lock", ["~$shop.xlsx", ".~lock.shop.xlsx#"])
def test_locked_book_is_refused_unless_forced(shop, lock):
    (shop.parent / lock).write_text("someone")
    before = shop.read_bytes()
    result = run_cli("sync", shop, "--as-of", AS_OF)
    assert result.exit_code == EXIT_TRY_LATER
    assert "is open in Excel or LibreOffice" in result.output and "--force" in result.output
    assert shop.read_bytes() == before
    assert run_cli("sync", shop, "--force", "--as-of", AS_OF).exit_code == 0


def test_book_changed_between_read_and_write_is_not_overwritten(shop, tmp_path):
    from crmsheets.backends.excel import ExcelBook
    from crmsheets.errors import BookChanged
    from crmsheets.sync import run

    backend = ExcelBook(shop)
    result = run(backend.read())
    # the owner saves the book while the sync is working
    edited = tmp_path / "edited.xlsx"
    shutil.copy(shop, edited)
    from openpyxl import load_workbook

    wb = load_workbook(edited)
    wb["Contacts"]["A2"] = "Edited meanwhile"
    wb.save(edited)
    shutil.copy(edited, shop)
    with pytest.raises(BookChanged):
        backend.apply(result.plan)
    assert values(shop, "Contacts")[1][0] == "Edited meanwhile"
    assert not list(shop.parent.glob(".~crmsheets-*"))


def test_missing_book_says_how_to_make_one(tmp_path):
    result = run_cli("sync", tmp_path / "nope.xlsx")
    assert result.exit_code == EXIT_STOPPED
    assert result.output == (f"crmsheets: No workbook at {tmp_path / 'nope.xlsx'}. Check the "
                             f"path, or make one with: crmsheets init {tmp_path / 'nope.xlsx'}\n")


def test_bad_as_of_is_a_usage_error(shop):
    result = run_cli("sync", shop, "--as-of", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is not a date: write it as YYYY-MM-DD" in result.output


def test_every_command_is_documented():
    from crmsheets.cli import main

    for name, command in main.commands.items():
        assert command.help, f"crmsheets {name} has no help"
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"crmsheets {name} {param.opts[0]} has no help"
    help_text = run_cli("--help").output
    assert "Exit codes: 0 done; 1 check found problems" in help_text


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "crmsheets", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("crmsheets, version ")


def test_not_an_xlsx(tmp_path):
    path = tmp_path / "contacts.xlsx"
    path.write_text("name,email\nAda,ada@example.com\n")
    result = run_cli("sync", path)
    assert result.exit_code == EXIT_STOPPED
    assert result.output.startswith(f"crmsheets: Cannot read {path}: ")
    assert "Traceback" not in result.output


def test_check_names_each_order_amount_problem_by_row(tmp_path):
    """Every kind of amount an owner types in Orders, number cells and text, with and
    without a Currency column: each problem on its own row, and none on the good rows."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Email"])
    ws.append(["Ada Lovelace", "ada@example.com"])
    orders = wb.create_sheet("Orders")
    orders.append(["Order #", "Order date", "Customer email", "Amount", "Currency"])
    day = dt.datetime(2026, 10, 1)
    for row in (["A-1", day, "ada@example.com", 40.5, "GBP"],     # 2: fine
                ["A-2", day, "ada@example.com", 12, ""],          # 3: fine (the book's)
                ["A-3", day, "ada@example.com", -5.25, "gbp"],    # 4: negative
                ["A-4", day, "ada@example.com", 30, "USD"],       # 5: another currency
                ["A-5", day, "ada@example.com", "12.00 USD", ""],  # 6: named in the text
                ["A-6", day, "ada@example.com", "£1,234.50", ""],  # 7: fine
                ["A-7", day, "ada@example.com", "twelve", ""],    # 8: not an amount
                ["A-8", day, "ada@example.com", None, "GBP"],     # 9: missing
                ["A-1", day, "ADA@example.com", 0, "GBP"],        # 10: number repeated
                ["A-9", dt.datetime(2027, 1, 1), "x@y.com", "??", ""],  # 11: after as-of
                ["A-10", day, "nobody@example.com", 9.99, ""]):   # 12: no such contact
        orders.append(row)
    s = wb.create_sheet("Settings")
    s.append(["Setting", "Value"])
    s.append(["Currency", "GBP"])
    path = tmp_path / "amounts.xlsx"
    wb.save(path)
    result = run_cli("check", path, "--as-of", AS_OF, "--json")
    assert result.exit_code == EXIT_FOUND_PROBLEMS, result.output
    found = sorted((i["row"], i["code"]) for i in json.loads(result.output)["issues"]
                   if i["tab"] == "Orders")
    assert found == [(4, "amount-negative"), (5, "amount-currency"), (6, "amount-currency"),
                     (8, "amount-invalid"), (9, "required-missing"),
                     (10, "order-number-repeated"), (12, "order-no-contact")]
