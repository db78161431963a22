"""The splicing writer on sheet XML shapes other programs write."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from crmsheets import model
from crmsheets.backends import xlsxml, xlsxzip
from crmsheets.normalize import to_serial

SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         '<dimension ref="A1:B3"/><sheetData>'
         '<row r="1" spans="1:2"><c r="A1" s="3" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
         '<row r="3" spans="1:2"><c r="A3" t="s"><v>2</v></c><c r="D3"><v>7</v></c></row>'
         '</sheetData></worksheet>')


def test_set_column_inserts_in_column_order_and_adds_missing_rows():
    out = xlsxml.set_columns(SHEET, [(3, {2: "C00001", 3: "C00002"}, "CRM ID")], 1)
    assert '<c r="A1" s="3" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>' \
           '<c r="C1" t="inlineStr"><is><t>CRM ID</t></is></c>' in out
    assert '<row r="2"><c r="C2" t="inlineStr"><is><t>C00001</t></is></c></row>' in out
    assert ('<c r="A3" t="s"><v>2</v></c><c r="C3" t="inlineStr"><is><t>C00002</t></is></c>'
            '<c r="D3"><v>7</v></c>') in out
    assert '<row r="1" spans="1:3">' in out
    assert '<dimension ref="A1:C3"/>' in out
    assert '<cols><col min="3" max="3" width="12" customWidth="1"/></cols>' in out


def test_set_column_replaces_a_value_and_keeps_its_style():
    sheet = SHEET.replace('<c r="D3"><v>7</v></c>', '<c r="D3" s="5"><v>7</v></c>')
    out = xlsxml.set_columns(sheet, [(4, {3: "C9"}, None)], 1)
    assert '<c r="D3" s="5" t="inlineStr"><is><t>C9</t></is></c>' in out
    assert out.count('r="D3"') == 1


def test_prefixed_namespace_and_rows_without_numbers():
    sheet = ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<x:sheetData><x:row><x:c t="inlineStr"><x:is><x:t>Name</x:t></x:is></x:c></x:row>'
             '<x:row><x:c t="inlineStr"><x:is><x:t>Ada</x:t></x:is></x:c></x:row>'
             '</x:sheetData></x:worksheet>')
    out = xlsxml.set_columns(sheet, [(2, {2: "C00001"}, "CRM ID")], 1)
    assert '<x:c r="B1" t="inlineStr"><x:is><x:t>CRM ID</x:t></x:is></x:c>' in out
    assert ('<x:c t="inlineStr"><x:is><x:t>Ada</x:t></x:is></x:c><x:c r="B2" t="inlineStr">'
            '<x:is><x:t>C00001</x:t></x:is></x:c>') in out


def test_text_is_never_a_formula_and_control_characters_are_escaped():
    cell = xlsxml.cell_xml("A1", '=HYPERLINK("x")')
    assert "<f>" not in cell and 't="inlineStr"' in cell and "=HYPERLINK(&quot;" not in cell
    assert xlsxml.cell_xml("A1", "bell\x07") == \
        '<c r="A1" t="inlineStr"><is><t>bell_x0007_</t></is></c>'
    assert "xml:space" in xlsxml.cell_xml("A1", " padded ")
    assert "&lt;b&gt;" in xlsxml.cell_xml("A1", "<b>")


def test_styles_gain_entries_once():
    styles = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font><sz val="11"/></font></fonts>'
              '<cellXfs count="1"><xf numFmtId="0" fontId="0"/></cellXfs></styleSheet>')
    once, ids = xlsxml.ensure_styles(styles)
    assert (ids.header, ids.link, ids.date) == (1, 2, 3)
    assert '<fonts count="3"><font><sz val="11"/></font>' in once
    twice, again = xlsxml.ensure_styles(once)
    assert twice == once and again == ids


def test_zip_rewrite_copies_untouched_entries_raw():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.xml", "<a/>" * 100)
        z.writestr("b.bin", bytes(range(256)) * 10, compress_type=zipfile.ZIP_STORED)
    data = buf.getvalue()
    out = xlsxzip.rewrite(data, {"a.xml": b"<new/>", "c.xml": b"<c/>"})
    z = zipfile.ZipFile(io.BytesIO(out))
    assert z.testzip() is None
    assert z.namelist() == ["a.xml", "b.bin", "c.xml"]
    assert z.read("a.xml") == b"<new/>" and z.read("c.xml") == b"<c/>"
    old_b = zipfile.ZipFile(io.BytesIO(data)).getinfo("b.bin")
    new_b = z.getinfo("b.bin")
    assert (new_b.compress_type, new_b.CRC, new_b.compress_size) == (
        old_b.compress_type, old_b.CRC, old_b.compress_size)
    assert xlsxzip.rewrite(data, {}) == data


# ---- the fast paths of set_columns, against what the sheet says after it -------------

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_values = st.one_of(st.just(""), st.integers(-10**6, 10**6),
                    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)),
                    st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                    st.sampled_from(["=SUM(A1)", " pad", "a&b<c>", "line\nbreak", "_x0041_",
                                    "carriage\rreturn"]))


@given(st.lists(st.tuples(_values, st.sampled_from([None, "0", "7"]))))
def test_column_cells_are_the_cells_cell_xml_makes(values):
    cells = {row: value for row, (value, _) in enumerate(values, 2)}
    made = list(xlsxml._plain_cells("AB", cells, "x:", 7))
    assert made == [xlsxml.cell_xml(f"AB{row}", value, None, "x:", 7)
                    for row, value in cells.items()]


def _cells(xml: str) -> dict[str, tuple]:
    """Every cell of a sheet: reference -> (style, type, what it holds), in sheet order."""
    out = {}
    for row in ET.fromstring(xml).iter(f"{_NS}row"):
        for c in row.iter(f"{_NS}c"):
            held = "".join(ET.tostring(child, encoding="unicode") for child in c)
            out[c.get("r")] = (c.get("s"), c.get("t"), held)
    return out


def _shown(cell: tuple) -> str:
    """The text or number a cell shows, read back from its XML as Excel would (with its
    _xHHHH_ escapes for characters XML cannot hold)."""
    node = ET.fromstring(f'<c xmlns="{_NS[1:-1]}">{cell[2]}</c>')
    held = "".join(t.text or "" for t in node.iter(f"{_NS}t")) + \
        "".join(v.text or "" for v in node.iter(f"{_NS}v"))
    return re.sub("_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), held)


def _expected(value) -> str:
    if isinstance(value, dt.date):
        return str(to_serial(value))
    return repr(value) if isinstance(value, (int, float)) else value


@st.composite
def sheets_and_columns(draw):
    """A sheet whose rows hold owner cells (some left of the owned columns D and E, some
    right of them in G) and, as after an earlier sync, owned cells with or without a
    style; and new values for the owned columns."""
    rows, values = [], {4: {}, 5: {}}
    for r in range(2, draw(st.integers(2, 12))):
        cells = []
        for col in (1, 2, 3, 4, 5, 7):
            if not draw(st.booleans()):
                continue
            style = draw(st.sampled_from(["", ' s="3"']))
            cells.append(f'<c r="{"ABCDEFG"[col - 1]}{r}"{style}><v>{col * 100 + r}</v></c>')
        rows.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')
        for col in (4, 5):
            if draw(st.booleans()):
                values[col][r] = draw(_values)
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1"><v>1</v></c></row>' + "".join(rows) +
             '</sheetData></worksheet>')
    return sheet, values


@settings(deadline=None)
@given(sheets_and_columns())
def test_owned_cells_land_in_place_and_everything_else_stays(case):
    sheet, values = case
    before = _cells(sheet)
    out = xlsxml.set_columns(sheet, [(4, values[4], None), (5, values[5], None)], 1, 9)
    after = _cells(out)
    for ref, cell in before.items():
        if ref[0] not in "DE":
            assert after[ref] == cell, ref  # the owner's cells, untouched
    for col, letter in ((4, "D"), (5, "E")):
        for row, value in values[col].items():
            ref = f"{letter}{row}"
            old_style = before.get(ref, (None,))[0]
            if value == "" and old_style is None:
                assert ref not in after
                continue
            assert after[ref][0] == (old_style or ("9" if isinstance(value, dt.date) else None))
            if value != "":
                assert _shown(after[ref]) == _expected(value)
    for row in ET.fromstring(out).iter(f"{_NS}row"):  # cells stay in column order
        cols = [model.col_index(c.get("r").rstrip("0123456789")) for c in row.iter(f"{_NS}c")]
        assert cols == sorted(cols)
    assert xlsxml.set_columns(out, [(4, values[4], None), (5, values[5], None)], 1, 9) == out


def test_a_big_part_is_deflated_in_pieces_that_read_back_as_one():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", "<a/>")
        z.writestr("xl/styles.xml", "<s/>")
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r * 7919 % 100003}</v></c></row>'
                   for r in range(1, 300_000))
    big = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    assert len(big) > 2 * xlsxzip.CHUNK  # three pieces or more, each flushed to a byte
    out = xlsxzip.rewrite(buf.getvalue(), {"xl/worksheets/sheet1.xml": big})
    z = zipfile.ZipFile(io.BytesIO(out))
    assert z.testzip() is None  # every part's CRC checked against what inflates
    assert z.read("xl/worksheets/sheet1.xml") == big
    assert z.read("xl/styles.xml") == b"<s/>"
    assert xlsxzip.rewrite(buf.getvalue(), {"xl/worksheets/sheet1.xml": big}) == out
