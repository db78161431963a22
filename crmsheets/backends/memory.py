"""A book held in memory: the reference behaviour every backend must match.

The contract tests run the same pipeline on it and on real files, and compare.
"""

from __future__ import annotations

import copy

from ..model import Book, Tab, WritePlan


class MemoryBook:
    def __init__(self, book: Book):
        self.book = Book(book.source, book.tabs)  # every tab read now, held as plain data
        self.location = book.source
        self.writes = 0

    def read(self) -> Book:
        return copy.deepcopy(self.book)

    def apply(self, plan: WritePlan) -> list[str]:
        self.writes += 1
        apply_plan(self.book, plan)
        return []


def apply_plan(book: Book, plan: WritePlan) -> None:
    """What a plan means, in plain data: owned cells set, owned tabs replaced whole."""
    for cw in plan.columns:
        tab = book.tab(cw.tab)
        if cw.new:
            tab.put(cw.header_row, cw.col, cw.header)
        for row, value in cw.cells.items():
            tab.put(row, cw.col, value)
    for tw in plan.tabs:
        rows = [list(tw.header)] + [list(r) for r in tw.rows]
        book.put(Tab(tw.name, rows, hidden=tw.hidden))
