"""Plain data passed between the backends and the stages. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Cell = Any  # str | float | int | bool | datetime.date | datetime.datetime | "" for empty


@dataclass
class Tab:
    """One sheet as read: the grid from A1, row 1 first. Empty cells are ""."""

    name: str
    rows: list[list[Cell]]
    # Error cells (#N/A, #REF!...) by (row, column), both 1-based: readers give "" for them.
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: bool = False
    # Merged ranges as ((row1, col1), (row2, col2)), 1-based: a merge may reach past the
    # last cell with a value, and an owned column must not land under it.
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    # Dates come back as serial numbers (Google Sheets read with SERIAL_NUMBER): a value
    # crmsheets would write as a date is compared with the tab by its serial number.
    serial_dates: bool = False

    def cell(self, row: int, col: int) -> Cell:
        """The value at 1-based (row, col), "" outside the grid."""
        if 0 < row <= len(self.rows):
            values = self.rows[row - 1]
            if 0 < col <= len(values):
                return values[col - 1]
        return ""

    def put(self, row: int, col: int, value: Cell) -> None:
        """Set the value at 1-based (row, col), growing the grid as needed."""
        while len(self.rows) < row:
            self.rows.append([])
        cells = self.rows[row - 1]
        while len(cells) < col:
            cells.append("")
        cells[col - 1] = value

    @property
    def width(self) -> int:
        """The right-most column holding a value or covered by a merge."""
        merged = max((end[1] for _, end in self.merged), default=0)
        return max(max((len(r) for r in self.rows), default=0), merged)


class Book:
    """A snapshot of the whole workbook, in tab order.

    A backend may pass `load` instead of every tab: a tab is then read when a stage
    first asks for it, so the owner's unrelated tabs cost nothing.
    """

    def __init__(self, source: str, tabs: dict[str, Tab] | None = None,
                 names: list[str] | None = None, load: Callable[[str], Tab] | None = None):
        self.source = source
        self._tabs: dict[str, Tab] = dict(tabs or {})
        self.names: list[str] = list(names if names is not None else self._tabs)
        self._load = load

    def tab(self, name: str) -> Tab | None:
        if name not in self._tabs:
            if name not in self.names or self._load is None:
                return None
            self._tabs[name] = self._load(name)
        return self._tabs[name]

    @property
    def tabs(self) -> dict[str, Tab]:
        """Every tab, read now if not yet."""
        return {name: self.tab(name) for name in self.names}

    def forget(self, name: str) -> None:
        """Drop a read tab from memory (it is read again if asked for)."""
        self._tabs.pop(name, None)

    def put(self, tab: Tab) -> None:
        if tab.name not in self.names:
            self.names.append(tab.name)
        self._tabs[tab.name] = tab


@dataclass(frozen=True)
class Issue:
    """One problem found in one cell (or row) of the owner's book."""

    code: str
    tab: str
    row: int  # the sheet row number the owner sees
    column: str  # the header text as the owner wrote it ("" for a whole-row problem)
    value: str
    message: str
    fix: str
    record: str  # stable id of the row: a CRM ID, an order number, a setting name
    col: int = 0  # 1-based column of the cell, for the link (0: link to the row)

    @property
    def key(self) -> str:
        """What carries the owner's Status over from one sync to the next."""
        return "|".join((self.code, self.tab, self.record, self.column))


@dataclass
class ColumnWrite:
    """Cells of one owned column on an owner's tab (Contacts' CRM ID, later loyalty)."""

    tab: str
    header: str
    col: int  # 1-based; a new column goes right of everything the owner has
    header_row: int
    new: bool  # the column (and its header cell) does not exist yet
    cells: dict[int, Cell]  # sheet row -> new value, only cells that change
    owner: bool = False  # an owner's column, changed because the owner approved it (merge)


@dataclass
class TabWrite:
    """The whole content of a tab crmsheets owns (Issues, later Duplicates, Follow-ups)."""

    name: str
    header: list[str]
    rows: list[list[Cell]]
    widths: list[float] = field(default_factory=list)
    # (row index in rows, column index) -> "'Tab'!A5": an in-book link on that cell.
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    # column index -> allowed values, offered as a drop-down (owner-input columns).
    choices: dict[int, list[str]] = field(default_factory=dict)
    hidden: bool = False
    exists: bool = False  # the tab is already in the book and is replaced whole

    def describe(self) -> str:
        verb = "rewrite" if self.exists else "add"
        if self.hidden:
            return f"{verb} hidden tab {self.name} (what crmsheets remembers between syncs)"
        return f"{verb} tab {self.name} ({len(self.rows)} rows)"


@dataclass
class WritePlan:
    columns: list[ColumnWrite] = field(default_factory=list)
    tabs: list[TabWrite] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # owner-approved changes, in words
    # Tab -> the columns (1-based) that tell its rows apart (Contacts: name, email, CRM
    # ID): a backend that checks for edits made during the sync checks these and the
    # columns it writes, so a changing formula elsewhere does not stop the sync.
    keys: dict[str, list[int]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(c.cells or c.new for c in self.columns) and not self.tabs

    def lines(self) -> list[str]:
        """The plan in words, for --dry-run and the summary."""
        out = list(self.notes)
        for tab in dict.fromkeys(c.tab for c in self.columns):
            columns = [c for c in self.columns if c.tab == tab and not c.owner]
            new = [c for c in columns if c.new]
            if len(new) == 1:
                out.append(f"add column {new[0].header} to {tab} "
                           f"(column {col_letter(new[0].col)})")
            elif new:
                out.append(f"add {len(new)} columns to {tab} ({col_letter(new[0].col)} to "
                           f"{col_letter(new[-1].col)}: {', '.join(c.header for c in new)})")
            changed = [c for c in columns if c.cells]
            cells = sum(len(c.cells) for c in changed)
            if len(changed) == 1:
                c = changed[0]
                out.append(f"set {cells:,} cells in {tab}!{col_letter(c.col)} ({c.header})")
            elif changed:
                out.append(f"set {cells:,} cells in {len(changed)} crmsheets columns of {tab}")
        out.extend(t.describe() for t in self.tabs)
        return out


def col_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n
