"""A Google Sheet, read and written in a fixed number of API calls.

Read: one spreadsheets.get (tabs, grid sizes, merges) and one values:batchGet of every
tab a sync may use (UNFORMATTED_VALUE, dates as serial numbers); the owner's other tabs
are not downloaded, and a tab only Settings names is fetched when asked (one more call). A sync with nothing to change stops
there. A sync that writes makes, in order:

1. one values:batchGet of what the write depends on (crmsheets' tabs to rewrite, whole;
   on the owner's tabs, the columns written and the ones telling the rows apart),
   compared with what it read: an edit made since (in the browser, while the sync ran)
   stops the job with exit code 75 and nothing written;
2. at most one spreadsheets:batchUpdate for structure (new tabs, more rows or columns,
   date formats and drop-downs for rows not written before, column widths); a sync that
   only changes values has none;
3. values:batchUpdate with valueInputOption=RAW, so text that starts with "=" stays text.
   Google applies one call whole or not at all; a write bigger than MAX_BODY bytes is
   sent in several such calls.

If the job stops between two write calls (network lost, quota), the sheet holds new
empty tabs or columns, or some owned tabs updated and others not; every value written is
one crmsheets computed, and no owner cell is touched. The next sync compares again and
writes what is still missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets

import gspread

from ..errors import (
    BookChanged,
    BookWriteFailed,
    CannotCreate,
    CrmError,
    GoogleAuthFailed,
    PartlyWritten,
    SheetNotAvailable,
    SheetProtected,
    SheetTooBig,
)
from ..model import Book, Cell, Tab, TabWrite, WritePlan, col_index, col_letter
from ..normalize import to_serial
from ..schema import OWNED_TABS, may_be_read

MAX_CELLS = 10_000_000  # Google's limit per spreadsheet
MAX_CELL_CHARS = 50_000  # Google's limit per cell
MAX_BODY = 4_000_000  # bytes per values:batchUpdate (Google takes up to about 10 MB)
BLOCK_ROWS = 2_000  # rows per range when a tab is written in parts
ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!",
          "#SPILL!", "#CALC!"}
SPREADSHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
_ID = re.compile(r"^(?:gsheet:|https://docs\.google\.com/spreadsheets/(?:u/\d+/)?d/)"
                 r"([A-Za-z0-9_-]{10,})")
_VALUES = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
           "majorDimension": "ROWS"}


def is_google(location: str) -> bool:
    return location.startswith(("gsheet:", "https://docs.google.com/", "http://",
                                "https://"))


def sheet_key(location: str) -> str | None:
    m = _ID.match(location.strip())
    return m.group(1) if m else None


def a1_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _cell(value: Cell):
    """A value as the API takes it (RAW): text stays text, dates become serial numbers."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return to_serial(value)
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def _digest(values: list) -> str:
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


class GoogleSheet:
    def __init__(self, location: str, credentials: str | None = None, policy=None,
                 endpoint: str | None = None):
        from ..google import auth, client

        key = sheet_key(location)
        if key is None:
            from ..errors import BadOption

            raise BadOption(f"{location} is not a Google Sheet address: give the sheet's URL "
                            f"(https://docs.google.com/spreadsheets/d/ID/edit) or gsheet:ID.")
        self.key = key
        self.location = f"gsheet:{key}"
        self.found = auth.find(credentials)
        self.http = client.client(self.found.credentials, policy, endpoint)
        self.title = self.location
        self._sheets: dict[str, dict] = {}
        self._digests: dict[str, str] = {}
        self._columns: dict[str, tuple[int, list[int]]] = {}  # tab -> (rows, column hashes)
        self._tabs: dict[str, Tab] = {}

    @property
    def meter(self):
        return self.http.meter

    # ---- calls --------------------------------------------------------------------

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gspread.exceptions.APIError as exc:
            status = exc.code
            text = str(exc.error)
            if status == 403 and ("SERVICE_DISABLED" in text or "has not been used" in text
                                  or "is disabled" in text):
                raise GoogleAuthFailed(
                    "The Google Sheets API is not enabled for the Google Cloud project of "
                    "these credentials: enable it in the Google Cloud console (APIs & "
                    "Services > Library > Google Sheets API), wait a minute, and run "
                    "again.") from None
            if "protected cell" in text:
                raise SheetProtected(self.title, self.found.who) from None
            if status in (403, 404) and "storageQuotaExceeded" not in text:
                raise SheetNotAvailable(self.location, self.found.who, status) from None
            if status == 401:
                raise GoogleAuthFailed("Google did not accept the access token. Run "
                                       "crmsheets auth to check the credentials.") from None
            raise BookWriteFailed(self.location, f"Google answered {status}: "
                                  f"{exc.error.get('message', '')}".rstrip(": ")) from None

    # ---- read ---------------------------------------------------------------------

    def read(self) -> Book:
        meta = self._call(self.http.fetch_sheet_metadata, self.key, params={
            "includeGridData": "false",
            "fields": "properties.title,sheets(properties,merges)"})
        self.title = meta.get("properties", {}).get("title", self.location)
        sheets = [s for s in meta.get("sheets", [])
                  if s["properties"].get("sheetType", "GRID") == "GRID"]
        self._sheets = {s["properties"]["title"]: s for s in sheets}
        names = list(self._sheets)
        # The tabs a sync may read, in one call; any other tab (the owner's inventory,
        # notes...) only if Settings names it, with one more call.
        ahead = [n for n in names if may_be_read(n)]
        self._tabs = {}
        got = self._call(self.http.values_batch_get, self.key,
                         [a1_title(n) for n in ahead], params=dict(_VALUES)) if ahead else {}
        for name, vr in zip(ahead, got.get("valueRanges", []), strict=True):
            self._keep(name, vr.get("values", []))
        return Book(self.location, dict(self._tabs), names=names, load=self._late)

    def _late(self, name: str) -> Tab:
        got = self._call(self.http.values_batch_get, self.key, [a1_title(name)],
                         params=dict(_VALUES))
        return self._keep(name, got.get("valueRanges", [{}])[0].get("values", []))

    def _keep(self, name: str, values: list[list]) -> Tab:
        tab = self._tabs[name] = self._tab(name, values)
        if name in OWNED_TABS:  # rewritten whole: compared whole before writing
            self._digests[name] = _digest(values)
        else:  # the owner's: compared column by column (see _verify)
            self._columns[name] = (len(tab.rows),
                                   [hash(col) for col in zip(*tab.rows, strict=True)])
        return tab

    def _tab(self, name: str, values: list[list]) -> Tab:
        sheet = self._sheets[name]
        width = max((len(r) for r in values), default=0)
        rows, errors = [], {}
        # The values API gives an error cell as its text (#N/A). In crmsheets' own tabs
        # such text is a quoted value (the Issues tab's Value column), not an error.
        ours = name in OWNED_TABS
        for r, row in enumerate(values, 1):
            cells = list(row) + [""] * (width - len(row))
            if not ours:
                for c, v in enumerate(cells):
                    if type(v) is str and v in ERRORS:
                        errors[(r, c + 1)] = v
                        cells[c] = ""
            rows.append(cells)
        merged = [((m.get("startRowIndex", 0) + 1, m.get("startColumnIndex", 0) + 1),
                   (m.get("endRowIndex", 1), m.get("endColumnIndex", 1)))
                  for m in sheet.get("merges", [])]
        return Tab(name, rows, errors, bool(sheet["properties"].get("hidden")), merged,
                   serial_dates=True)

    # ---- init ---------------------------------------------------------------------

    @classmethod
    def create(cls, title: str, credentials: str | None = None, endpoint: str | None = None
               ) -> GoogleSheet:
        """A new spreadsheet in the signed-in account (service accounts cannot own one)."""
        from ..google import auth, client

        found = auth.find(credentials)
        http = client.client(found.credentials, None, endpoint)
        try:
            made = http.request("post", SPREADSHEETS, json={"properties": {"title": title}})
        except gspread.exceptions.APIError as exc:
            if exc.code == 403:
                raise CannotCreate(found.who) from None
            raise BookWriteFailed("a new Google Sheet", f"Google answered {exc.code}") from None
        return cls(f"gsheet:{made.json()['spreadsheetId']}", credentials, endpoint=endpoint)

    def fill(self, tabs) -> None:
        """Write the starter tabs into an empty sheet (crmsheets init)."""
        book = self.read()
        for name in book.names:
            tab = book.tab(name)
            if any(v != "" for row in tab.rows for v in row):
                from ..errors import BadOption

                raise BadOption(
                    f"The Google Sheet {self.title!r} is not empty (tab {name} has values); "
                    f"init only fills a new, empty sheet. To sync the sheet you have: "
                    f"crmsheets sync {self.location}")
        taken = [t.name for t in tabs if t.name in book.names]
        plan = WritePlan(tabs=[TabWrite(t.name, list(t.headers), [list(r) for r in t.rows],
                                        list(t.widths), choices=dict(t.choices),
                                        exists=t.name in taken) for t in tabs])
        self.apply(plan)

    # ---- write --------------------------------------------------------------------

    def apply(self, plan: WritePlan) -> list[str]:
        structure, data, touched, grids = self._requests(plan)
        self._check_limits(grids, data)
        self._verify(plan, touched)
        calls = 0
        if structure:
            try:
                self._call(self.http.batch_update, self.key, {"requests": structure})
            except BookWriteFailed as exc:
                if "already exists" in str(exc):
                    raise BookChanged(self.location) from None
                raise
            calls += 1
        for body in _bodies(data):
            try:
                self._call(self.http.values_batch_update, self.key,
                           {"valueInputOption": "RAW", "data": body})
            except CrmError as exc:
                if calls:
                    why = str(exc).split(": ", 1)[-1].split(". ")[0]
                    raise PartlyWritten(self.location, why) from None
                raise
            calls += 1
        return [f"written to the Google Sheet {self.title!r} in {calls} "
                f"write call{'s' if calls != 1 else ''}"]

    def _verify(self, plan: WritePlan, names: list[str]) -> None:
        """Re-read what the write depends on; stop if anyone changed it meanwhile.

        crmsheets' own tabs are compared whole (their owner-input columns must not be
        lost). On the owner's tabs, the columns written and the columns that tell the
        rows apart (plan.keys) are compared: a formula such as =NOW() elsewhere in the
        tab may change between two reads without stopping the sync, while a sorted,
        inserted or edited row does stop it.
        """
        ranges, checks = [], []
        for name in names:
            if name in self._digests:
                ranges.append(a1_title(name))
                checks.append((name, 0))
            elif name in self._columns:
                cols = {cw.col for cw in plan.columns if cw.tab == name} | set(
                    plan.keys.get(name, []))
                grid = self._sheets[name]["properties"].get("gridProperties", {})
                for col in sorted(c for c in cols if c <= grid.get("columnCount", 0)):
                    letter = col_letter(col)
                    ranges.append(f"{a1_title(name)}!{letter}:{letter}")
                    checks.append((name, col))
        if not ranges:
            return
        got = self._call(self.http.values_batch_get, self.key, ranges, params=dict(_VALUES))
        for (name, col), vr in zip(checks, got.get("valueRanges", []), strict=True):
            values = vr.get("values", [])
            if col == 0:
                same = _digest(values) == self._digests[name]
            else:  # one column, row by row: [value] or [] for an empty cell
                same = self._same_column(name, col, [r[0] if r else "" for r in values])
            if not same:
                raise BookChanged(self.location)

    def _same_column(self, name: str, col: int, now: list) -> bool:
        height, hashes = self._columns[name]
        cells = ["" if type(v) is str and v in ERRORS else v for v in now]
        if any(v != "" for v in cells[height:]):
            return False  # a row was added below (or the rows moved down)
        cells = cells[:height] + [""] * (height - len(cells))
        if col > len(hashes):
            return all(v == "" for v in cells)  # a new column: still empty
        return hash(tuple(cells)) == hashes[col - 1]

    def _requests(self, plan: WritePlan
                  ) -> tuple[list[dict], list[dict], list[str], dict[str, dict]]:
        """The structure requests, the values to write, the tabs touched, and every
        tab's grid size after the change."""
        structure: list[dict] = []
        data: list[dict] = []
        touched: list[str] = []
        # Written first: crmsheets' state (hidden tab: the next CRM ID) and the owned
        # columns (the CRM IDs), so that a job stopped part-way never hands an ID out twice
        # and the next sync finds every ID already given.
        first: list[dict] = []
        grids = {name: dict(s["properties"].get("gridProperties", {}))
                 for name, s in self._sheets.items()}
        ids = {name: s["properties"]["sheetId"] for name, s in self._sheets.items()}

        def grow(name: str, rows: int, cols: int) -> None:
            grid = grids[name]
            for dim, need, key in (("ROWS", rows, "rowCount"), ("COLUMNS", cols, "columnCount")):
                have = grid.get(key, 0)
                if need > have:
                    structure.append({"appendDimension": {"sheetId": ids[name], "dimension": dim,
                                                          "length": need - have}})
                    grid[key] = need

        def date_format(name: str, r1: int, r2: int, c1: int, c2: int) -> None:
            structure.append({"repeatCell": {
                "range": {"sheetId": ids[name], "startRowIndex": r1 - 1, "endRowIndex": r2,
                          "startColumnIndex": c1 - 1, "endColumnIndex": c2},
                "cell": {"userEnteredFormat": {"numberFormat": DATE_FORMAT}},
                "fields": "userEnteredFormat.numberFormat"}})

        for tw in plan.tabs:
            name = tw.name
            rows = [list(tw.header)] + [list(r) for r in tw.rows]
            width = max(len(r) for r in rows)
            old = self._tabs.get(name)
            if name in self._sheets:
                touched.append(name)
                height = max(len(rows), len(old.rows) if old else 0)
                width = max(width, old.width if old else 0)
                grow(name, height, width)
                if bool(self._sheets[name]["properties"].get("hidden")) != tw.hidden:
                    structure.append({"updateSheetProperties": {
                        "properties": {"sheetId": ids[name], "hidden": tw.hidden},
                        "fields": "hidden"}})
            else:
                height = len(rows)
                ids[name] = self._new_id(ids.values())
                grids[name] = {"rowCount": max(height, 2), "columnCount": max(width, 1)}
                structure.append({"addSheet": {"properties": {
                    "sheetId": ids[name], "title": name, "hidden": tw.hidden,
                    "gridProperties": dict(grids[name], frozenRowCount=1)}}})
                structure.append({"repeatCell": {
                    "range": {"sheetId": ids[name], "startRowIndex": 0, "endRowIndex": 1},
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold"}})
                for c, w in enumerate(tw.widths):
                    structure.append({"updateDimensionProperties": {
                        "range": {"sheetId": ids[name], "dimension": "COLUMNS",
                                  "startIndex": c, "endIndex": c + 1},
                        "properties": {"pixelSize": int(w * 7 + 5)}, "fields": "pixelSize"}})
            # Formats and drop-downs for the rows not written before: a sync that only
            # changes values then makes one write call, which Google applies whole.
            start = max(2, len(old.rows) + 1) if old is not None else 2
            end = max(len(rows), 2)
            if start <= end:
                self._formats(tw, name, ids[name], start, end, structure)
            grid = [[_cell(v) for v in r] + [""] * (width - len(r)) for r in rows]
            grid += [[""] * width for _ in range(height - len(rows))]
            parts = [{"range": f"{a1_title(name)}!A{start + 1}",
                      "values": grid[start:start + BLOCK_ROWS]}
                     for start in range(0, len(grid), BLOCK_ROWS)]
            (first if tw.hidden else data).extend(parts)
        for cw in plan.columns:
            cells = dict(cw.cells)
            if cw.new:
                cells[cw.header_row] = cw.header
            if not cells:
                continue
            if cw.tab not in touched:
                touched.append(cw.tab)
            grow(cw.tab, max(cells), cw.col)
            letter = col_letter(cw.col)
            for r1, r2 in _runs(sorted(cells)):
                first.append({"range": f"{a1_title(cw.tab)}!{letter}{r1}:{letter}{r2}",
                             "values": [[_cell(cells[r])] for r in range(r1, r2 + 1)]})
            # A date going where there was none gets the date format (a cell that held a
            # date already has it). The owner's cells (merges, form responses) always do:
            # the pipeline has already put the new values into the tab as read.
            tab = self._tabs.get(cw.tab)
            dated = [r for r, v in cells.items() if isinstance(v, dt.date)
                     and (cw.owner or tab is None or tab.cell(r, cw.col) == "")]
            for r1, r2 in _runs(sorted(dated)):
                date_format(cw.tab, r1, r2, cw.col, cw.col)
        return structure, first + data, touched, grids

    @staticmethod
    def _formats(tw: TabWrite, name: str, sheet_id: int, start: int, end: int,
                 structure: list[dict]) -> None:
        """Date formats and drop-downs of an owned tab's rows start..end (1-based)."""
        rng = {"sheetId": sheet_id, "startRowIndex": start - 1, "endRowIndex": end}
        for c in range(len(tw.header)):
            if any(isinstance(r[c], dt.date) for r in tw.rows if c < len(r)):
                structure.append({"repeatCell": {
                    "range": dict(rng, startColumnIndex=c, endColumnIndex=c + 1),
                    "cell": {"userEnteredFormat": {"numberFormat": DATE_FORMAT}},
                    "fields": "userEnteredFormat.numberFormat"}})
        for c, choices in sorted(tw.choices.items()):
            structure.append({"setDataValidation": {
                "range": dict(rng, startColumnIndex=c, endColumnIndex=c + 1),
                "rule": {"condition": {"type": "ONE_OF_LIST", "values": [
                    {"userEnteredValue": v} for v in choices]},
                    "strict": False, "showCustomUi": True}}})

    def _new_id(self, taken) -> int:
        taken = set(taken)
        while True:
            n = secrets.randbelow(2**31 - 2) + 1
            if n not in taken:
                return n

    def _check_limits(self, grids: dict[str, dict], data: list[dict]) -> None:
        cells = sum(g.get("rowCount", 0) * g.get("columnCount", 0) for g in grids.values())
        if cells > MAX_CELLS:
            raise SheetTooBig(
                f"This sync would take the Google Sheet to {cells:,} cells, past Google's "
                f"limit of {MAX_CELLS:,}; nothing was written. Delete empty rows and columns "
                f"(Sheets counts every cell of the grid) or move old orders to another sheet.")
        for entry in data:
            for i, row in enumerate(entry["values"]):
                for j, v in enumerate(row):
                    if type(v) is str and len(v) > MAX_CELL_CHARS:
                        tab, ref = entry["range"].rsplit("!", 1)
                        m = re.match(r"([A-Z]+)(\d+)", ref)
                        cell = f"{col_letter(col_index(m[1]) + j)}{int(m[2]) + i}"
                        raise SheetTooBig(
                            f"Cell {tab}!{cell} would hold {len(v):,} characters, past "
                            f"Google's limit of {MAX_CELL_CHARS:,} per cell; nothing was "
                            f"written.")


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _bodies(data: list[dict]) -> list[list[dict]]:
    """values:batchUpdate bodies of at most about MAX_BODY bytes each."""
    out: list[list[dict]] = []
    size = 0
    for entry in data:
        n = len(json.dumps(entry, ensure_ascii=False).encode())
        if not out or size + n > MAX_BODY:
            out.append([])
            size = 0
        out[-1].append(entry)
        size += n
    return out
