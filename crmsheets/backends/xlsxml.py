"""Edits of SpreadsheetML parts by splicing text, so that every byte crmsheets does not
own stays as it was.

A parse-and-serialise round trip (lxml, openpyxl) re-encodes quotes, namespaces and
whitespace; here the owner's cells are never re-encoded: only the cells of owned
columns are cut out and written, and only the list parts (workbook, relationships,
content types, styles) gain entries.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ..errors import BookUnreadable
from ..model import Cell, TabWrite, col_index, col_letter
from ..normalize import to_serial

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_ILLEGAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # \r too: XML readers turn it into \n


_ATTR_RES: dict[str, re.Pattern] = {}


def _attr(tag: str, name: str) -> str | None:
    if name not in tag:
        return None
    quoted = f' {name}="'
    i = tag.find(quoted)
    if i >= 0:  # the usual spelling, found without a pattern (this runs per cell and row)
        i += len(quoted)
        return tag[i: tag.find('"', i)]
    if name not in _ATTR_RES:
        _ATTR_RES[name] = re.compile(r"\s" + name + r"\s*=\s*(\"([^\"]*)\"|'([^']*)')")
    m = _ATTR_RES[name].search(tag)
    if not m:
        return None
    return m.group(2) if m.group(2) is not None else m.group(3)


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _set_attr(tag: str, name: str, value: str) -> str:
    if _attr(tag, name) is not None:
        return re.sub(r"(\s" + name + r"\s*=\s*)(\"[^\"]*\"|'[^']*')",
                      lambda m: m.group(1) + quoteattr(value), tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return tag[:end] + f" {name}={quoteattr(value)}" + tag[end:]


def _prefix(xml: str, local: str) -> str:
    m = re.search(r"<(\w+:)?" + local + r"\b", xml)
    if not m:
        raise BookUnreadable(f"its {local} part has no {local} element")
    return m.group(1) or ""


# ---- the workbook's list of sheets ------------------------------------------------------

@dataclass
class SheetRef:
    name: str
    sheet_id: int
    rid: str
    part: str  # e.g. xl/worksheets/sheet1.xml
    hidden: bool


def rels_targets(rels_xml: str, base: str) -> dict[str, tuple[str, str]]:
    out = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels_xml):
        rid, target, typ = _attr(tag, "Id"), _attr(tag, "Target"), _attr(tag, "Type")
        if rid is None or target is None:
            continue
        target = _unescape(target)
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(base, target))
        out[rid] = (part, typ or "")
    return out


def workbook_part(ct_or_rels: str) -> str:
    """The workbook part named by the package relationships (_rels/.rels)."""
    for part, typ in rels_targets(ct_or_rels, "").values():
        if typ.endswith("/officeDocument"):
            return part
    return "xl/workbook.xml"


def rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def sheets(workbook_xml: str, rels_xml: str, workbook_path: str) -> list[SheetRef]:
    targets = rels_targets(rels_xml, posixpath.dirname(workbook_path))
    p = _prefix(workbook_xml, "workbook")
    out = []
    for tag in re.findall(r"<" + p + r"sheet\b[^>]*>", workbook_xml):
        rid = next((v for k, v in re.findall(r"\s([\w]+:id)\s*=\s*\"([^\"]*)\"", tag)), None)
        name = _unescape(_attr(tag, "name") or "")
        part = targets.get(rid or "", ("", ""))[0]
        out.append(SheetRef(name, int(_attr(tag, "sheetId") or 0), rid or "", part,
                            (_attr(tag, "state") or "visible") != "visible"))
    return out


def add_sheet(workbook_xml: str, rels_xml: str, ct_xml: str, workbook_path: str,
              name: str, hidden: bool, taken_parts: set[str]) -> tuple[str, str, str, str]:
    """Append a sheet to the workbook's list: (workbook, rels, content types, part)."""
    existing = sheets(workbook_xml, rels_xml, workbook_path)
    sheet_id = max((s.sheet_id for s in existing), default=0) + 1
    rids = set(re.findall(r"\sId\s*=\s*\"([^\"]*)\"", rels_xml))
    n = 1
    while f"rId{n}" in rids:
        n += 1
    rid = f"rId{n}"
    folder = posixpath.join(posixpath.dirname(workbook_path), "worksheets")
    k = 1
    while posixpath.join(folder, f"sheet{k}.xml") in taken_parts:
        k += 1
    part = posixpath.join(folder, f"sheet{k}.xml")
    target = posixpath.relpath(part, posixpath.dirname(workbook_path))

    p = _prefix(workbook_xml, "workbook")
    rel_prefix = next((pre for pre, ns in re.findall(r"xmlns:(\w+)\s*=\s*\"([^\"]*)\"",
                                                      workbook_xml) if ns == REL_NS), None)
    if rel_prefix is None:  # declare it on the sheet element itself
        rel_prefix = "crmr"
        id_attr = f'xmlns:crmr="{REL_NS}" crmr:id="{rid}"'
    else:
        id_attr = f'{rel_prefix}:id="{rid}"'
    state = ' state="hidden"' if hidden else ""
    sheet_tag = f"<{p}sheet name={quoteattr(name)} sheetId=\"{sheet_id}\"{state} {id_attr}/>"
    if re.search(r"</" + p + r"sheets>", workbook_xml):
        workbook_xml = re.sub(r"</" + p + r"sheets>", lambda m: sheet_tag + m.group(0),
                              workbook_xml, count=1)
    else:
        workbook_xml = re.sub(r"<" + p + r"sheets\s*/>",
                              lambda m: f"<{p}sheets>{sheet_tag}</{p}sheets>", workbook_xml,
                              count=1)
    rel = f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target="{target}"/>'
    rels_xml = re.sub(r"</(\w+:)?Relationships>", lambda m: rel + m.group(0), rels_xml, count=1)
    override = f'<Override PartName="/{part}" ContentType="{WORKSHEET_CT}"/>'
    ct_xml = re.sub(r"</(\w+:)?Types>", lambda m: override + m.group(0), ct_xml, count=1)
    return workbook_xml, rels_xml, ct_xml, part


# ---- styles: crmsheets' few, appended once ------------------------------------------

BOLD_FONT = '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
LINK_FONT = ('<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/>'
             '<family val="2"/></font>')


@dataclass
class Styles:
    header: int = 0
    link: int = 0
    date: int = 0


def _children(block: str, local: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?" + local + r"\b(?:[^>]*/>|[^>]*>.*?</(?:\w+:)?" + local + ">)",
                      block, re.S)


def _ensure(xml: str, container: str, child: str, item: str) -> tuple[str, int]:
    """Index of `item` among the container's children, appending it when absent."""
    p = _prefix(xml, "styleSheet")
    m = re.search(r"<" + p + container + r"\b[^>]*?(/>|>(.*?)</" + p + container + ">)", xml, re.S)
    if m is None:
        raise BookUnreadable(f"its styles part has no {container} list")
    items = _children(m.group(2) or "", child)
    wanted = item.replace("<", "<" + p).replace("<" + p + "/", "</" + p) if p else item
    if wanted in items:
        return xml, items.index(wanted)
    start_tag = re.match(r"<[^>]*>", m.group(0)).group(0)
    if start_tag.endswith("/>"):
        start_tag = start_tag[:-2].rstrip() + ">"
    start_tag = _set_attr(start_tag, "count", str(len(items) + 1))
    body = (m.group(2) or "") + wanted
    new = f"{start_tag}{body}</{p}{container}>"
    return xml[: m.start()] + new + xml[m.end():], len(items)


def ensure_styles(xml: str) -> tuple[str, Styles]:
    xml, bold = _ensure(xml, "fonts", "font", BOLD_FONT)
    xml, link = _ensure(xml, "fonts", "font", LINK_FONT)
    xml, header = _ensure(xml, "cellXfs", "xf",
                          f'<xf numFmtId="0" fontId="{bold}" fillId="0" borderId="0" xfId="0" '
                          'applyFont="1"/>')
    xml, link_xf = _ensure(xml, "cellXfs", "xf",
                           f'<xf numFmtId="0" fontId="{link}" fillId="0" borderId="0" xfId="0" '
                           'applyFont="1"/>')
    xml, date = _ensure(xml, "cellXfs", "xf",
                        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
                        'applyNumberFormat="1"/>')
    return xml, Styles(header, link_xf, date)


# ---- cells --------------------------------------------------------------------------

_NEEDS_ESCAPING = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def text_cell_value(text: str) -> str:
    """Escape for XML, keeping control characters as Excel's _xHHHH_ escapes."""
    if not _NEEDS_ESCAPING.search(text):
        return text
    text = text.replace("_x", "_x005F_x") if re.search(r"_x[0-9A-Fa-f]{4}_", text) else text
    return escape(_ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text))


def cell_xml(ref: str, value: Cell, style: int | str | None = None, p: str = "",
             date_style: int = 0) -> str:
    """A cell. Text is always an inline string, never a formula. (Hot: a sync writes a
    cell per contact per owned column, so the common types are tested first.)"""
    s = f' s="{style}"' if style and style != "0" else ""
    kind = type(value)
    if kind is str and value:
        space = ' xml:space="preserve"' if (value[0] in " \t\n" or value[-1] in " \t\n"
                                            or "\n" in value) else ""
        return (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>'
                f"{text_cell_value(value)}</{p}t></{p}is></{p}c>")
    if kind is int or kind is float:
        return f'<{p}c r="{ref}"{s}><{p}v>{value!r}</{p}v></{p}c>'
    if value is None or value == "":
        return f"<{p}c r=\"{ref}\"{s}/>" if s else ""
    if kind is dt.date or kind is dt.datetime:
        ds = f' s="{date_style}"' if not s and date_style else s
        return f'<{p}c r="{ref}"{ds}><{p}v>{to_serial(value)}</{p}v></{p}c>'
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, (int, float)):  # numpy numbers and other int/float subclasses
        return f'<{p}c r="{ref}"{s}><{p}v>{float(value)!r}</{p}v></{p}c>'
    return cell_xml(ref, str(value), style, p, date_style)


_ERROR_CELL = re.compile(r'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>.*?<(?:\w+:)?v>([^<]*)</', re.S)


def error_cells(xml: str) -> dict[tuple[int, int], str]:
    """Cells whose cached value is an error (#N/A, #REF!...): readers show them empty."""
    out = {}
    if 't="e"' not in xml:
        return out
    for m in _ERROR_CELL.finditer(xml):
        ref = _attr(" " + m.group(1), "r")
        if ref and (rm := re.fullmatch(r"([A-Z]+)(\d+)", ref)):
            out[(int(rm.group(2)), col_index(rm.group(1)))] = _unescape(m.group(2))
    return out


# ---- owned columns on an owner's sheet ----------------------------------------------

def set_columns(xml: str, columns: list[tuple[int, dict[int, Cell], str | None]],
                header_row: int, date_style: int = 0, width: float = 12) -> str:
    """Write owned columns into a sheet in one pass over its rows.

    columns: (1-based column, {sheet row: value}, header text for a new column or None).
    A cell already in an owned column keeps its style; a new header cell takes the style
    of the owner's header cell to its left. Every other byte of the sheet stays as it was.
    """
    p = _prefix(xml, "worksheet")
    m = re.search(r"<" + p + r"sheetData\b[^>]*?(/>|>)", xml)
    data_close = f"</{p}sheetData>"
    close_at = xml.rfind(data_close) if m and m.group(1) == ">" else -1
    if m is None or (m.group(1) == ">" and close_at < m.end()):
        raise BookUnreadable("a worksheet part has no sheetData")
    body = xml[m.end():close_at] if close_at >= 0 else ""
    tail = xml[close_at + len(data_close):] if close_at >= 0 else xml[m.end():]
    by_col: dict[int, dict[int, Cell]] = {}
    for col, cells, header in columns:
        mine = by_col.setdefault(col, {})
        mine.update(cells)
        if header is not None:
            mine[header_row] = header
    by_col = {col: by_col[col] for col in sorted(by_col) if by_col[col]}
    if not by_col:
        return xml
    cols = list(by_col)
    letters = {col: col_letter(col) for col in cols}
    low_key = (len(letters[cols[0]]), letters[cols[0]])
    # Every row's new cells, made column by column; rows in every column (a first sync:
    # all of them) are joined in one pass.
    keys = list(by_col[cols[0]])
    plain_of: dict[int, dict[int, str]] = {}
    if all(len(by_col[c]) == len(keys) and list(by_col[c]) == keys for c in cols[1:]):
        made = (_plain_cells(letters[c], by_col[c], p, date_style) for c in cols)
        joined = dict(zip(keys, map("".join, zip(*made, strict=True)), strict=True))
        full: set[int] | dict[int, str] = joined
    else:
        plain_of = {c: dict(zip(by_col[c], _plain_cells(letters[c], by_col[c], p, date_style),
                                strict=True)) for c in cols}
        full = set(keys).intersection(*by_col.values())
        joined = {r: "".join([cells[r] for cells in plain_of.values() if r in cells])
                  for r in set().union(*by_col.values())}

    def cols_of(rnum: int) -> list[int]:
        return cols if rnum in full else [c for c in cols if rnum in by_col[c]]

    cell_re = re.compile(r"<" + p + r"c\b([^>]*?)(?:/>|>.*?</" + p + r"c>)", re.S)
    cell_open, r_first, cell_close, row_close = f"<{p}c", f'<{p}c r="', f"</{p}c>", f"</{p}row>"

    def restyled(rnum: int, c: int, style: str | None) -> str:
        if style is None and plain_of:
            return plain_of[c][rnum]
        return cell_xml(f"{letters[c]}{rnum}", by_col[c][rnum], style, p, date_style)

    out: list[str] = []
    pos, prev_row = 0, 0
    pending = sorted(joined)
    pi = 0
    for start, tag_end, end, inner_end in _rows(body, p):
        attrs = body[start + len(p) + 4: tag_end - (2 if inner_end is None else 1)]
        rnum = _row_number(attrs) or prev_row + 1
        prev_row = rnum
        while pi < len(pending) and pending[pi] < rnum:  # rows with no element yet
            out.append(body[pos:start])
            pos = start
            r = pending[pi]
            out.append(f'<{p}row r="{r}">{joined[r]}{row_close}')
            pi += 1
        if pi < len(pending) and pending[pi] == rnum:
            pi += 1
        else:
            continue
        mine = cols_of(rnum)
        row_tag = _row_tag(attrs, p, mine[0], mine[-1])
        if rnum != header_row and inner_end is not None:
            n_cells = body.count(cell_open, tag_end, inner_end)
            if n_cells and n_cells == body.count(r_first, tag_end, inner_end):
                # Every cell starts with its reference and cells come in column order,
                # so the last one tells whether every owned column is past them all:
                # then the new cells simply go at the end of the row (a first sync).
                last = _LETTERS.match(body, body.rfind(r_first, tag_end, inner_end)
                                      + len(r_first)).group(0)
                if (len(last), last) < low_key:
                    if row_tag == body[start:tag_end]:
                        out.append(body[pos:inner_end])
                    else:
                        out += [body[pos:start], row_tag, body[tag_end:inner_end]]
                    out += [joined[rnum], row_close]
                    pos = end
                    continue
                # A later sync: each owned cell already there, found by its reference,
                # is replaced in place and keeps its style. Where no cell is, none is
                # needed when the new value is empty.
                pieces, at = [body[pos:start], row_tag], tag_end
                spans = []
                for c in mine:
                    i = body.find(f'{r_first}{letters[c]}{rnum}"', tag_end, inner_end)
                    if i < 0:
                        if restyled(rnum, c, None):
                            break
                        continue
                    j = body.find(">", i)
                    k = j + 1 if body[j - 1] == "/" else body.find(cell_close, j) + len(cell_close)
                    spans.append((i, k, restyled(rnum, c, _attr(body[i:j], "s"))))
                else:
                    for i, k, new in sorted(spans):
                        pieces += [body[at:i], new]
                        at = k
                    out += pieces + [body[at:inner_end], row_close]
                    pos = end
                    continue
        out.append(body[pos:start])
        pos = end
        inner = body[tag_end:inner_end] if inner_end is not None else ""
        # Anything else (the header row, a new cell among the owner's): cell by cell.
        todo = list(mine)
        pieces, prev_col, last_style = [], 0, None
        for cm in cell_re.finditer(inner):
            ref = _attr(cm.group(1), "r")
            c = col_index(re.match(r"[A-Z]+", ref).group(0)) if ref else prev_col + 1
            prev_col = c
            while todo and todo[0] < c:
                t = todo.pop(0)
                pieces.append(restyled(rnum, t, last_style if rnum == header_row else None))
            if todo and todo[0] == c:
                pieces.append(restyled(rnum, todo.pop(0), _attr(cm.group(1), "s")))
                continue
            last_style = _attr(cm.group(1), "s")
            pieces.append(cm.group(0))
        style = last_style if rnum == header_row else None
        pieces += [restyled(rnum, t, style) for t in todo]
        out.append(row_tag + "".join(pieces) + row_close)
    out.append(body[pos:])
    out.extend(f'<{p}row r="{r}">{joined[r]}{row_close}' for r in pending[pi:])
    new_cols = [col for col, _, header in columns if header is not None]
    # The dimension and the column widths come before sheetData, so only that is searched.
    head = _widen(xml[:m.start()], p, cols[0], cols[-1], pending[-1], new_cols, width)
    open_tag = xml[m.start():m.end() - len(m.group(1))] + ">"
    return head + open_tag + "".join(out) + data_close + tail


def _row_number(attrs: str) -> int | None:
    """A row's r attribute, read directly when it comes first (as every writer puts it)."""
    if attrs.startswith(' r="'):
        j = attrs.find('"', 4)
        if attrs[4:j].isdigit():
            return int(attrs[4:j])
    r = _attr(attrs, "r")
    return int(r) if r else None


_EDGE = " \t\n"
_LETTERS = re.compile("[A-Z]*")


def _plain_cells(letter: str, cells: dict[int, Cell], p: str, date_style: int) -> Iterator[str]:
    """cell_xml(ref, value, None, p, date_style) for every cell of one column, in order,
    with the common types made here in line: a first sync writes a cell per contact per
    owned column, 1.5 million of them at 100k contacts. (A test holds it equal to
    cell_xml.)"""
    ds = f' s="{date_style}"' if date_style else ""
    serials: dict[dt.date, int | float] = {}
    for row, v in cells.items():
        kind = type(v)
        if kind is int or kind is float:
            yield f'<{p}c r="{letter}{row}"><{p}v>{v!r}</{p}v></{p}c>'
        elif kind is str and v and v[0] not in _EDGE and v[-1] not in _EDGE and "\n" not in v \
                and not _NEEDS_ESCAPING.search(v):
            yield (f'<{p}c r="{letter}{row}" t="inlineStr"><{p}is><{p}t>{v}</{p}t></{p}is>'
                   f"</{p}c>")
        elif kind is dt.date:
            serial = serials.get(v)
            if serial is None:
                serial = serials[v] = to_serial(v)
            yield f'<{p}c r="{letter}{row}"{ds}><{p}v>{serial}</{p}v></{p}c>'
        else:
            yield cell_xml(f"{letter}{row}", v, None, p, date_style)


def _rows(body: str, p: str):
    """(start, end of start tag, end, end of content or None) of each row element.
    Plain string searches: this runs over every row of the owner's biggest tab."""
    open_tag, close = f"<{p}row", f"</{p}row>"
    i = body.find(open_tag)
    while i >= 0:
        if body[i + len(open_tag)] not in " \t\r\n>/":
            i = body.find(open_tag, i + 1)
            continue
        j = body.find(">", i) + 1
        if body[j - 2] == "/":
            yield i, j, j, None
            i = body.find(open_tag, j)
        else:
            k = body.find(close, j)
            if k < 0:
                raise BookUnreadable("a worksheet part has a row that never ends")
            yield i, j, k + len(close), k
            i = body.find(open_tag, k + len(close))


def _row_tag(attrs: str, p: str, lo_col: int, hi_col: int) -> str:
    """The row's start tag, its spans hint widened to take in the owned columns."""
    row_tag = f"<{p}row{attrs}>"
    spans = _attr(attrs, "spans") if "spans" in attrs else None
    if spans and ":" in spans:
        lo, hi = (int(x) for x in spans.split(":"))
        if not (lo <= lo_col and hi_col <= hi):
            row_tag = _set_attr(row_tag, "spans", f"{min(lo, lo_col)}:{max(hi, hi_col)}")
    return row_tag


def _widen(xml: str, p: str, lo_col: int, hi_col: int, last_row: int, new_cols: list[int],
           width: float) -> str:
    """Keep the dimension covering the new cells; give new columns a width. `xml` is the
    sheet up to its sheetData element, where a new cols element goes."""
    dm = re.search(r"<" + p + r"dimension\b[^>]*/>", xml)
    if dm:
        ref = _attr(dm.group(0), "ref") or "A1"
        parts = re.findall(r"([A-Z]+)(\d+)", ref)
        if parts:
            (c1, r1), (c2, r2) = parts[0], parts[-1]
            new_ref = (f"{col_letter(min(col_index(c1), lo_col))}{min(int(r1), last_row)}:"
                       f"{col_letter(max(col_index(c2), hi_col))}{max(int(r2), last_row)}")
            if new_ref != ref:
                xml = xml[: dm.start()] + _set_attr(dm.group(0), "ref", new_ref) + xml[dm.end():]
    if not new_cols:
        return xml
    cm = re.search(r"<" + p + r"cols>(.*?)</" + p + r"cols>", xml, re.S)
    covered = []
    if cm:
        covered = [(int(_attr(t, "min") or 0), int(_attr(t, "max") or 0))
                   for t in re.findall(r"<" + p + r"col\b[^>]*>", cm.group(1))]
    tags = "".join(f'<{p}col min="{c}" max="{c}" width="{width}" customWidth="1"/>'
                   for c in sorted(new_cols) if not any(lo <= c <= hi for lo, hi in covered))
    if not tags:
        return xml
    if cm:
        close = cm.end() - len(f"</{p}cols>")
        return xml[:close] + tags + xml[close:]
    return xml + f"<{p}cols>{tags}</{p}cols>"


# ---- a whole owned tab --------------------------------------------------------------

def render_tab(tab: TabWrite, styles: Styles) -> str:
    ncols = len(tab.header)
    nrows = len(tab.rows) + 1
    last = f"{col_letter(max(ncols, 1))}{nrows}"
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        '<sheetPr><tabColor rgb="FF7F7F7F"/></sheetPr>' if not tab.hidden else "",
        f'<dimension ref="A1:{last}"/>',
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
        'sqref="A2"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
    ]
    if tab.widths:
        parts.append("<cols>" + "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(tab.widths, start=1)) + "</cols>")
    parts.append("<sheetData>")
    parts.append('<row r="1">' + "".join(
        cell_xml(f"{col_letter(c)}1", h, styles.header) for c, h in enumerate(tab.header, 1))
        + "</row>")
    for i, row in enumerate(tab.rows):
        r = i + 2
        cells = []
        for j, value in enumerate(row):
            style = styles.link if (i, j) in tab.links else None
            cells.append(cell_xml(f"{col_letter(j + 1)}{r}", value, style, "", styles.date))
        parts.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    parts.append("</sheetData>")
    if tab.choices and tab.rows:
        parts.append(f'<dataValidations count="{len(tab.choices)}">')
        for j, values in sorted(tab.choices.items()):
            letter = col_letter(j + 1)
            listed = escape(",".join(values))
            parts.append(f'<dataValidation type="list" allowBlank="1" showErrorMessage="0" '
                         f'sqref="{letter}2:{letter}{max(nrows, 1000)}"><formula1>"{listed}"'
                         "</formula1></dataValidation>")
        parts.append("</dataValidations>")
    if tab.links:
        parts.append("<hyperlinks>")
        for (i, j), target in sorted(tab.links.items()):
            parts.append(f'<hyperlink ref="{col_letter(j + 1)}{i + 2}" '
                         f"location={quoteattr(target)} display={quoteattr(str(tab.rows[i][j]))}/>")
        parts.append("</hyperlinks>")
    parts.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                 'footer="0.3"/></worksheet>')
    return "".join(parts)
