"""The splicing writer on sheet XML shapes other programs write."""

from __future__ import annotations

import io
import zipfile

from crmsheets.backends import xlsxml, xlsxzip

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
