"""One contract for every backend: the same book gives the same result through the
in-memory reference backend and through a real .xlsx file."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES

from crmsheets.backends.excel import ExcelBook
from crmsheets.backends.memory import MemoryBook
from crmsheets.normalize import text_of
from crmsheets.sync import sync

AS_OF = dt.date(2025, 6, 1)
BOOKS = ["owner_features.xlsx", "locale_formats.xlsx", "error_cells.xlsx",
         "duplicate_headers.xlsx", "formula_text.xlsx"]


def _norm(book):
    return {name: [[text_of(c) for c in row] for row in tab.rows]
            for name, tab in book.tabs.items()}


def _trim(grid):
    rows = [list(r) for r in grid]
    for r in rows:
        while r and r[-1] == "":
            r.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


@pytest.mark.parametrize("name", BOOKS)
def test_memory_and_excel_backends_agree(name, tmp_path):
    path = tmp_path / name
    path.write_bytes((FIXTURES / name).read_bytes())
    excel = ExcelBook(path)
    memory = MemoryBook(ExcelBook(FIXTURES / name).read())

    first_excel = sync(excel, AS_OF)
    first_memory = sync(memory, AS_OF)
    assert first_excel.plan.lines() == first_memory.plan.lines()
    assert first_excel.summary()["issues_by_code"] == first_memory.summary()["issues_by_code"]

    on_disk = _norm(ExcelBook(path).read())
    in_memory = _norm(memory.book)
    assert on_disk.keys() == in_memory.keys()
    for tab in on_disk:
        assert _trim(on_disk[tab]) == _trim(in_memory[tab]), f"tab {tab} differs"

    # Idempotent on both: the second sync plans nothing and writes nothing.
    assert sync(ExcelBook(path), AS_OF).plan.empty
    writes = memory.writes
    assert sync(memory, AS_OF).plan.empty and memory.writes == writes
