"""Duplicates in a real book: the Duplicates tab and the owner's decisions carried over,
"not the same" remembered, merges (best values, consent, orders following the
survivor, the Merged tab), unmerge restoring the exact cells, and auto-merge."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import run_cli, values
from openpyxl import Workbook, load_workbook

AS_OF = "2026-11-22"
CONTACTS = ["Name", "Email", "Phone", "Address", "Postcode", "Marketing opt-in",
            "Customer since", "Notes", "Shoe size"]


def make_book(path, contacts, orders=(), settings=()):
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(CONTACTS)
    for row in contacts:
        ws.append(list(row))
    o = wb.create_sheet("Orders")
    o.append(["Order #", "Order date", "Customer email", "Amount", "Status"])
    for row in orders:
        o.append(list(row))
    s = wb.create_sheet("Settings")
    s.append(["Setting", "Value"])
    for row in (["Default country", "GB"], ["Currency", "GBP"], *settings):
        s.append(list(row))
    wb.save(path)
    return path


ADA = ["Ada Lovelace", "ada@example.com", "020 7946 0001", "12 Oak Street", "N1 9GU", "yes",
       dt.datetime(2024, 1, 5), "", 38]
ADA2 = ["Lovelace, Ada", "ADA@EXAMPLE.COM", "", "12 Oak St", "N1 9GU", "no",
        dt.datetime(2023, 3, 1), "met at the fair", ""]
BOB = ["Bob Marley", "bob@example.com", "020 7946 0002", "1 Mill Road", "M1 1AE", "yes",
       dt.datetime(2024, 2, 2), "", 44]
ROBERT = ["Robert Marley", "robert.marley@example.com", "+44 20 7946 0002", "1 Mill Rd",
          "M1 1AE", "", "", "", ""]
MARY = ["Mary Smith", "mary@example.com", "0113 496 0001", "5 Elm Street", "LS1 4AP", "yes",
        "", "", ""]
JOHN = ["John Smith", "john@example.com", "0113 496 0001", "5 Elm Street", "LS1 4AP", "yes",
        "", "", ""]
ORDERS = [["A-1", dt.datetime(2026, 10, 1), "ada@example.com", 40, "paid"],
          ["A-2", dt.datetime(2026, 11, 1), "ADA@example.com", 60, "paid"],
          ["B-1", dt.datetime(2026, 9, 1), "robert.marley@example.com", 25, "paid"]]


def sync(path, *extra):
    result = run_cli("sync", path, "--as-of", AS_OF, *extra)
    assert result.exit_code == 0, result.output
    return result.output


def tab(path, name):
    rows = values(path, name)
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def decide(path, decisions: dict[str, str], notes: dict[str, str] | None = None):
    """Type a Decision (and Notes) on the Duplicates row of each CRM ID, as an owner does."""
    wb = load_workbook(path)
    ws = wb["Duplicates"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        crm_id = row[header.index("CRM ID")].value
        if crm_id in decisions:
            row[header.index("Decision")].value = decisions[crm_id]
        if notes and crm_id in notes:
            row[header.index("Notes")].value = notes[crm_id]
    wb.save(path)


def contact_rows(path):
    return {r["CRM ID"]: r for r in tab(path, "Contacts") if r["CRM ID"]}


def test_duplicates_tab_lists_groups_with_evidence(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, MARY, ADA2, ROBERT, JOHN])
    out = sync(path)
    assert "add tab Duplicates (4 rows)" in out
    rows = tab(path, "Duplicates")
    assert [(r["Group"], r["CRM ID"], r["Name"]) for r in rows] == [
        (1, "C00001", "Ada Lovelace"), (None, "C00004", "Lovelace, Ada"),
        (2, "C00002", "Bob Marley"), (None, "C00005", "Robert Marley")]
    assert "same email ada@example.com, ignoring case" in rows[1]["Evidence"]
    assert "'Bob' and 'Robert' can be the same given name" in rows[3]["Evidence"]
    assert "same phone +44 20 7946 0002" in rows[3]["Evidence"]
    assert rows[0]["Confidence (%)"] >= 90
    # Mary and John Smith share a home and a landline: not listed.
    assert not any(r["Name"] in ("Mary Smith", "John Smith") for r in rows)
    # The CRM ID links to the contact's row.
    ws = load_workbook(path)["Duplicates"]
    assert ws["C3"].hyperlink.location == "'Contacts'!A5"


def test_decisions_and_notes_survive_edits_and_sorting(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT])
    sync(path)
    decide(path, {"C00001": "later"}, notes={"C00004": "ask Ada at the fair"})
    wb = load_workbook(path)  # the owner sorts the tab upside down
    ws = wb["Duplicates"]
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    for i, row in enumerate(reversed(body), start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j).value = v
    wb.save(path)
    sync(path)
    rows = {r["CRM ID"]: r for r in tab(path, "Duplicates")}
    assert rows["C00001"]["Decision"] == "later"
    assert rows["C00004"]["Notes"] == "ask Ada at the fair"
    before = path.read_bytes()
    assert "nothing changed" in sync(path)
    assert path.read_bytes() == before


def test_not_the_same_is_remembered(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT])
    sync(path)
    decide(path, {"C00002": "Not the same"})
    sync(path)
    assert [r["CRM ID"] for r in tab(path, "Duplicates")] == ["C00001", "C00003"] or \
        [r["CRM ID"] for r in tab(path, "Duplicates")] == ["C00001", "C00004"]
    state = {r["Key"]: r["Value"] for r in tab(path, "_crmsheets")}
    assert state["not the same: C00002 C00004"] == "yes"
    # The owner edits Robert's row; the pair is still never suggested again.
    wb = load_workbook(path)
    wb["Contacts"]["B5"] = "bob@example.com"
    wb.save(path)
    sync(path)
    assert "C00002" not in [r["CRM ID"] for r in tab(path, "Duplicates")]


def test_unknown_decision_becomes_an_issue(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, ADA2])
    sync(path)
    decide(path, {"C00001": "mrge"})
    sync(path)
    issues = [r for r in tab(path, "Issues") if r["Code"] == "decision-unknown"]
    assert len(issues) == 1 and issues[0]["Tab"] == "Duplicates" and issues[0]["Row"] == 2
    assert "'mrge' is not one of: merge, not the same, later" in issues[0]["Problem"]
    assert len(contact_rows(path)) == 2  # nothing merged


def test_merge_keeps_best_values_consent_and_orders(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT], ORDERS)
    sync(path)
    decide(path, {"C00001": "merge", "C00002": "merge"})
    out = sync(path)
    assert "merged C00003 into C00001 (group M1: 1 row moved to Merged" in out
    assert "merged C00004 into C00002 (group M2" in out
    contacts = contact_rows(path)
    assert set(contacts) == {"C00001", "C00002"}
    ada = contacts["C00001"]
    assert ada["Name"] == "Ada Lovelace"  # the fullest name; a tie keeps the survivor's
    assert ada["Email"] == "ada@example.com"  # "ADA@EXAMPLE.COM" is the same address
    assert ada["Marketing opt-in"] == "no"  # an opt-out is never reversed
    assert ada["Customer since"] == dt.datetime(2023, 3, 1)  # the earliest
    assert ada["Notes"] == "met at the fair" and ada["Shoe size"] == 38
    bob = contacts["C00002"]
    assert bob["Email"] == "robert.marley@example.com"  # the newest row's email
    assert bob["Marketing opt-in"] == "yes"
    # The merged-away rows are emptied in place, not deleted: rows below do not move.
    grid = values(path, "Contacts")
    assert all(v is None for v in grid[3]) and all(v is None for v in grid[4])
    # Orders that named the merged rows count for the survivors, and are not orphans.
    assert ada["CRM orders"] == 2 and bob["CRM orders"] == 1
    assert not [r for r in tab(path, "Issues") if r["Code"] == "order-no-contact"]
    merged = tab(path, "Merged")
    assert [(r["Group"], r["Role"], r["Into"], r["Row"]) for r in merged] == [
        ("M1", "survivor before", "C00001", 2), ("M1", "survivor after", "C00001", 2),
        ("M1", "merged away", "C00001", 4),
        ("M2", "survivor before", "C00002", 3), ("M2", "survivor after", "C00002", 3),
        ("M2", "merged away", "C00002", 5)]
    assert merged[2]["Name"] == "Lovelace, Ada" and merged[2]["Notes"] == "met at the fair"
    assert merged[2]["CRM ID"] == "C00003"
    assert "Duplicates" in load_workbook(path).sheetnames
    assert not tab(path, "Duplicates")
    before = path.read_bytes()
    assert "nothing changed" in sync(path)
    assert path.read_bytes() == before


def test_consent_least_permissive_either_way(tmp_path):
    no_first = list(ADA)
    no_first[5] = "no"
    yes_later = list(ADA2)
    yes_later[5] = "yes"
    path = make_book(tmp_path / "b.xlsx", [no_first, yes_later])
    sync(path)
    decide(path, {"C00001": "merge"})
    sync(path)
    assert contact_rows(path)["C00001"]["Marketing opt-in"] == "no"


def test_unmerge_restores_the_exact_cells(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT], ORDERS)
    sync(path)
    decide(path, {"C00001": "merge"})
    original = values(path, "Contacts")
    sync(path)
    assert values(path, "Contacts") != original
    result = run_cli("unmerge", path, "M1")
    assert result.exit_code == 0, result.output
    assert "unmerged group M1: put back C00003 to row 4" in result.output
    assert "C00001: 3 cells back as before the merge" in result.output
    assert values(path, "Contacts") == original
    assert not tab(path, "Merged")
    # The next sync does not suggest the pair again, and the orders are Ada's again.
    sync(path)
    assert "C00003" not in [r["CRM ID"] for r in tab(path, "Duplicates")]
    assert contact_rows(path)["C00001"]["CRM orders"] == 2


def test_unmerge_keeps_what_the_owner_changed_since(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, ADA2])
    sync(path)
    decide(path, {"C00001": "merge"})
    sync(path)
    wb = load_workbook(path)
    wb["Contacts"]["H2"] = "prefers email"  # Notes, filled by the merge, edited since
    wb.save(path)
    result = run_cli("unmerge", path, "M1")
    assert "C00001: Notes changed since the merge; kept as they are now" in result.output
    rows = contact_rows(path)
    assert rows["C00001"]["Notes"] == "prefers email"
    assert rows["C00001"]["Marketing opt-in"] == "yes"  # put back
    assert rows["C00002"]["Name"] == "Lovelace, Ada"


def test_unmerge_unknown_group_says_which_exist(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, ADA2])
    sync(path)
    result = run_cli("unmerge", path, "M7")
    assert result.exit_code == 3
    assert "No merge group 'M7' in the Merged tab (groups there: none" in result.output


@pytest.mark.parametrize("processes", ["1", "2"])
def test_auto_merge_above_the_setting(tmp_path, monkeypatch, processes):
    # "2": the matching runs in a second process (crmsheets/background.py, Linux), and
    # the merges it finds make the sync start over on a fresh read all the same.
    from crmsheets import background

    monkeypatch.setenv("CRMSHEETS_PROCESSES", processes)
    started = background.started
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, MARY],
                     settings=[["Auto-merge duplicates above", 99]])
    sync(path)  # gives every row its CRM ID; a merge is recorded by ID
    out = sync(path)
    assert "merged C00003 into C00001 (group M1" in out
    assert set(contact_rows(path)) == {"C00001", "C00002", "C00004"}
    assert "nothing changed" in sync(path)
    if processes == "2" and background.can_fork():
        assert background.started - started == 4  # a child for each run of the stages


def test_dedupe_command_writes_nothing(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT])
    before = path.read_bytes()
    result = run_cli("dedupe", path)
    assert result.exit_code == 0
    assert result.output.startswith("Group 1 (")
    assert "C00001 Ada Lovelace (row 2), C00003 Lovelace, Ada (row 4)" in result.output
    assert path.read_bytes() == before
    data = json.loads(run_cli("dedupe", path, "--json").output)
    assert [len(g["rows"]) for g in data["groups"]] == [2, 2]


def test_a_merge_touches_only_contacts_and_crmsheets_tabs(book, tmp_path):
    from conftest import assert_lossless, parts

    path = book("owner_features.xlsx")
    wb = load_workbook(path)
    wb["Contacts"].append(["Lovelace, Ada", "ADA@example.com", "", "", "no"])
    wb.save(path)
    sync(path)
    decide(path, {"C00001": "merge"})
    before = tmp_path / "before.xlsx"
    before.write_bytes(path.read_bytes())
    out = sync(path)
    assert "merged C00004 into C00001" in out
    from crmsheets.backends import xlsxml
    from crmsheets.schema import OWNED_TABS

    data = parts(path)
    sheet_parts = {ref.name: ref.part for ref in xlsxml.sheets(
        data["xl/workbook.xml"].decode(), data["xl/_rels/workbook.xml.rels"].decode(),
        "xl/workbook.xml")}
    every_column = {chr(c) for c in range(ord("A"), ord("Z") + 1)}
    changing = {sheet_parts[n]: every_column for n in ("Contacts", *OWNED_TABS)
                if n in sheet_parts}
    # Contacts and crmsheets' own sheets change; the owner's Orders and notes sheets,
    # and every other part, stay byte for byte.
    assert_lossless(before, path, changing)
    for name in ("Orders", "Owner notes"):
        assert parts(before)[sheet_parts[name]] == data[sheet_parts[name]], name
    ada = contact_rows(path)["C00001"]
    assert ada["Marketing opt-in"] == "no" and ada["Letters in name"] == "=LEN(A2)"


def test_memory_and_excel_backends_agree_on_a_merge(tmp_path):
    from crmsheets.backends.excel import ExcelBook
    from crmsheets.backends.memory import MemoryBook
    from crmsheets.normalize import text_of
    from crmsheets.sync import sync as run_sync

    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT], ORDERS)
    today = dt.date(2026, 11, 22)
    memory = MemoryBook(ExcelBook(path).read())
    run_sync(ExcelBook(path), today)
    run_sync(memory, today)
    decide(path, {"C00001": "merge"})
    dup = memory.book.tab("Duplicates")
    dup.rows[1][7] = "merge"
    a, b = run_sync(ExcelBook(path), today), run_sync(memory, today)
    assert a.plan.lines() == b.plan.lines()
    on_disk = ExcelBook(path).read()
    for name in ("Contacts", "Merged", "Duplicates", "_crmsheets"):
        disk = [[text_of(c) for c in r] for r in on_disk.tab(name).rows]
        mem = [[text_of(c) for c in r] for r in memory.book.tab(name).rows]
        trim = lambda g: [r[:len(r) - next((i for i, c in enumerate(reversed(r)) if c), len(r))]  # noqa: E731
                          for r in g]
        assert [r for r in trim(disk) if any(r)] == [r for r in trim(mem) if any(r)], name


def test_an_approved_group_whose_row_is_gone_is_not_merged(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2])
    sync(path)
    decide(path, {"C00001": "merge"})
    wb = load_workbook(path)
    wb["Contacts"].delete_rows(4)  # the owner deletes Ada's second row meanwhile
    wb.save(path)
    out = sync(path)
    assert "note:       duplicate group C00001 + C00003 not merged: C00003 no longer in " \
           "the contacts" in out
    assert "merged" not in out.split("note:")[0]
    assert set(contact_rows(path)) == {"C00001", "C00002"}


def test_a_merge_group_number_is_never_used_twice(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [ADA, BOB, ADA2, ROBERT])
    sync(path)
    decide(path, {"C00001": "merge"})
    assert "group M1" in sync(path)
    assert run_cli("unmerge", path, "M1").exit_code == 0
    decide(path, {"C00002": "merge"})
    out = sync(path)
    assert "merged C00004 into C00002 (group M2" in out  # M1 was undone, not freed
    assert "nothing changed" in sync(path)


def test_an_owner_column_named_like_a_merged_tab_column_round_trips(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Email", "Group", "Row"])
    ws.append(["Ada Lovelace", "ada@example.com", "VIP", 7])
    ws.append(["Lovelace, Ada", "ADA@example.com", "", 9])
    path = tmp_path / "b.xlsx"
    wb.save(path)
    sync(path)
    original = values(path, "Contacts")
    decide(path, {"C00001": "merge"})
    sync(path)
    merged = tab(path, "Merged")
    assert merged[0]["Group"] == "M1" and merged[0]["Group (Contacts)"] == "VIP"
    assert merged[2]["Row (Contacts)"] == 9 and merged[2]["Row"] == 3
    assert run_cli("unmerge", path, "M1").exit_code == 0
    assert values(path, "Contacts") == original


def _homes_book(path, same_birthday):
    """Six homes with two rows each under one surname and two given names, and the
    Dixons, who have no date of birth."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["First name", "Last name", "Address", "Postcode", "Date of birth"])
    couples = [("John", "Mary", "Smith"), ("Peter", "Susan", "Patel"), ("David", "Linda", "Jones"),
               ("James", "Karen", "Okafor"), ("Paul", "Helen", "Brown"), ("Mark", "Sarah", "Nowak")]
    for n, (a, b, surname) in enumerate(couples):
        home = [surname, f"{n + 3} Oak Street", f"LS{n} 4AP"]
        born = dt.datetime(1950 + 3 * n, 3, n + 10)
        ws.append([a, *home, born])
        ws.append([b, *home, born if same_birthday else dt.datetime(1952 + 3 * n, 8, n + 1)])
    ws.append(["Kylie", "Dixon", "12 Rose Avenue", "M1 1AE", None])
    ws.append(["Madison", "Dixon", "12 Rose Avenue", "M1 1AE", None])
    wb.save(path)
    return path


def test_dedupe_says_when_the_book_lifts_the_household_guard(tmp_path):
    families = _homes_book(tmp_path / "families.xlsx", same_birthday=False)
    out = run_cli("dedupe", families, "--as-of", AS_OF).output
    assert out.startswith("No duplicate contacts found")
    assert json.loads(run_cli("dedupe", families, "--json").output)["households_apart"] is True
    typed_twice = _homes_book(tmp_path / "typed.xlsx", same_birthday=True)
    out = run_cli("dedupe", typed_twice, "--as-of", AS_OF).output
    assert out.startswith("In this book, most rows that share a surname and a home under two "
                          "given names also share a date of birth")
    assert "Kylie Dixon (row 14), C00014 Madison Dixon (row 15)" in out
    data = json.loads(run_cli("dedupe", typed_twice, "--json").output)
    assert data["households_apart"] is False and len(data["groups"]) == 7
    # and a sync says it among its notes
    assert "note:       duplicates: in this book, most rows that share a surname" in \
        sync(typed_twice)
    assert "duplicates: in this book" not in sync(families)


def test_a_linkedin_column_and_a_state_column_take_part_in_matching(tmp_path):
    """An owner's LinkedIn and State columns are read: one profile shows two rows with
    other emails to be one person, and a merge keeps the survivor's profile when the
    other row typed the same one another way."""
    path = tmp_path / "b.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Email", "County", "LinkedIn", "Customer since"])
    ws.append(["Jane Smith", "jane@acme.example", "", "https://www.linkedin.com/in/jane-smith-4821/",
               dt.datetime(2024, 1, 5)])
    ws.append(["Tom Baker", "tom@example.com", "Kent", "", dt.datetime(2024, 2, 1)])
    ws.append(["J. Smyth", "jsmith@mail.example", "Vermont", "linkedin.com/in/Jane-Smith-4821",
               dt.datetime(2025, 3, 1)])
    s = wb.create_sheet("Settings")
    s.append(["Setting", "Value"])
    s.append(["Default country", "US"])
    wb.save(path)
    sync(path)
    rows = tab(path, "Duplicates")
    assert [r["CRM ID"] for r in rows] == ["C00001", "C00003"]
    assert "same LinkedIn profile linkedin.com/in/Jane-Smith-4821" in rows[1]["Evidence"]
    decide(path, {"C00001": "merge"})
    sync(path)
    jane = contact_rows(path)["C00001"]
    assert jane["LinkedIn"] == "https://www.linkedin.com/in/jane-smith-4821/"  # one profile
    assert jane["County"] == "Vermont"  # the survivor had none
    assert jane["Email"] == "jsmith@mail.example"  # the newest row's
