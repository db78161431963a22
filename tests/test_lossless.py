"""A sync leaves every part it does not own byte-identical, on books saved by Excel itself
(../shared/data/excel-made) and on the project's own fixtures."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import SHARED, assert_lossless, parts, run_cli, values

from crmsheets.backends import xlsxml, xlsxzip
from crmsheets.model import col_letter
from crmsheets.schema import OWNED_COLUMNS

EXCEL_MADE = SHARED / "data" / "excel-made"
EXCEL_FILES = sorted(EXCEL_MADE.glob("*.xls[xm]")) if EXCEL_MADE.is_dir() else []

CONTACTS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:D3"/><sheetData>'
    '<row r="1" spans="1:4"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>E-mail</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Mobile</t></is></c>'
    '<c r="D1" t="inlineStr"><is><t>Name length</t></is></c></row>'
    '<row r="2" spans="1:4"><c r="A2" t="inlineStr"><is><t>Ada Lovelace</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>ada@example.com</t></is></c>'
    '<c r="C2" t="inlineStr"><is><t>+44 20 7946 0001</t></is></c>'
    '<c r="D2"><f>LEN(A2)</f><v>12</v></c></row>'
    '<row r="3" spans="1:4"><c r="A3" t="inlineStr"><is><t>Grace Hopper</t></is></c>'
    '<c r="B3" t="inlineStr"><is><t>grace@example</t></is></c>'
    '<c r="D3"><f>LEN(A3)</f><v>12</v></c></row>'
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
    'footer="0.3"/></worksheet>'
)
ORDERS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Order #</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Order date</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Email</t></is></c>'
    '<c r="D1" t="inlineStr"><is><t>Total</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></c><c r="B2"><v>45000</v></c>'
    '<c r="C2" t="inlineStr"><is><t>ada@example.com</t></is></c><c r="D2"><v>19.5</v></c></row>'
    '</sheetData></worksheet>'
)


def add_owner_tabs(source: Path, target: Path) -> str:
    """A copy of `source` with a Contacts and an Orders tab added; returns the Contacts part."""
    data = source.read_bytes()
    z = zipfile.ZipFile(source)
    wb_path = xlsxml.workbook_part(z.read("_rels/.rels").decode())
    rels = xlsxml.rels_part(wb_path)
    wb, rel, ct = (z.read(p).decode() for p in (wb_path, rels, "[Content_Types].xml"))
    taken = set(z.namelist())
    wb, rel, ct, contacts = xlsxml.add_sheet(wb, rel, ct, wb_path, "Contacts", False, taken)
    taken.add(contacts)
    wb, rel, ct, orders = xlsxml.add_sheet(wb, rel, ct, wb_path, "Orders", False, taken)
    changed = {wb_path: wb.encode(), rels: rel.encode(), "[Content_Types].xml": ct.encode(),
               contacts: CONTACTS_XML.encode(), orders: ORDERS_XML.encode()}
    target.write_bytes(xlsxzip.rewrite(data, changed))
    return contacts


def crm_id_letter(path: Path) -> str:
    header = values(path, "Contacts")[0]
    return col_letter(header.index("CRM ID") + 1)


def owned_letters(path: Path) -> set[str]:
    """Letters of every column crmsheets owns on Contacts (CRM ID, loyalty columns)."""
    owned = set(OWNED_COLUMNS["Contacts"])
    return {col_letter(i + 1) for i, h in enumerate(values(path, "Contacts")[0]) if h in owned}


@pytest.mark.skipif(not EXCEL_FILES, reason=f"{EXCEL_MADE} is absent: the workbooks saved by "
                    "Excel live in ../shared/data/excel-made beside the project")
@pytest.mark.parametrize("source", EXCEL_FILES, ids=lambda p: p.name)
def test_excel_made_books_keep_every_part_they_do_not_own(source, tmp_path):
    before = tmp_path / ("before" + source.suffix)
    contacts_part = add_owner_tabs(source, before)
    after = tmp_path / ("shop" + source.suffix)
    shutil.copy(before, after)
    result = run_cli("sync", after, "--as-of", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert_lossless(before, after, {contacts_part: owned_letters(after)})
    # and the owner's sheets read back as they were, with the CRM IDs beside them
    rows = values(after, "Contacts")
    assert rows[0][:4] == ["Name", "E-mail", "Mobile", "Name length"]
    assert rows[1][3] == "=LEN(A2)"
    assert [r[4] for r in rows[1:]] == ["C00001", "C00002"]
    issues = values(after, "Issues")
    assert any("grace@example" in str(r[5]) for r in issues[1:])
    again = after.read_bytes()
    assert run_cli("sync", after, "--as-of", "2025-01-01").exit_code == 0
    assert after.read_bytes() == again, "a second sync rewrote the book"


def test_own_fixture_with_owner_features_is_lossless(book, tmp_path):
    path = book("owner_features.xlsx")
    before = tmp_path / "before.xlsx"
    shutil.copy(path, before)
    result = run_cli("sync", path, "--as-of", "2025-06-01")
    assert result.exit_code == 0, result.output
    letter = crm_id_letter(path)
    assert letter == "L", "the CRM ID column goes right of every owner column (K is merged)"
    assert_lossless(before, path, {"xl/worksheets/sheet1.xml": owned_letters(path)})
    assert set(parts(before)) < set(parts(path))


def test_checker_catches_a_changed_owner_cell(book, tmp_path):
    """The lossless check itself can fail: an owner cell edited behind its back."""
    path = book("owner_features.xlsx")
    before = tmp_path / "before.xlsx"
    shutil.copy(path, before)
    data = parts(path)
    sheet = data["xl/worksheets/sheet1.xml"].replace(b"<v>=LEN(A2)", b"<v>=LEN(A3)")
    sheet = sheet.replace(b"<f>LEN(A2)</f>", b"<f>LEN(A3)</f>")
    changed = xlsxzip.rewrite(path.read_bytes(), {"xl/worksheets/sheet1.xml": sheet})
    path.write_bytes(changed)
    with pytest.raises(AssertionError, match="owner cells changed"):
        assert_lossless(before, path, {"xl/worksheets/sheet1.xml": {"L"}})
