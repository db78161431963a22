"""Checks every cell gets, whatever its column: what a user sees in the Issues tab."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from crmsheets.model import Tab
from crmsheets.schema import CONTACTS, map_tab
from crmsheets.validate import _FORMULA_LIKE, EXCEL_MAX_TEXT, cell_checks

_cell = st.one_of(
    st.just(""), st.integers(-5, 5), st.dates(dt.date(2020, 1, 1), dt.date(2021, 1, 1)),
    st.text("ab=@+- \t\n\x00", max_size=6),
    st.sampled_from(["=SUM(A1:A2)", "@home", "+44 20 7946 0018", "-SUM(B1)", " padded",
                     "x" * (EXCEL_MAX_TEXT + 1), "=" + "y" * EXCEL_MAX_TEXT, "plain"]),
)


@given(st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=1, max_size=12),
       st.booleans())
def test_formula_text_and_over_long_cells_are_each_named_once_in_row_order(rows, ragged):
    """Every text cell that reads as a formula or is over Excel's length is one issue, at
    its row and column, whatever else shares its column, with ragged rows or even ones
    (the Google backend leaves trailing empty cells out) and with an owned column."""
    width = 5
    body = [["Ada Lovelace", *r] if ragged else ["Ada Lovelace", *r, *[""] * (width - len(r))]
            for r in rows]
    header = ["Name", "Notes", "More", "Other", "CRM ID", "Last"]
    mapped = map_tab(Tab("Contacts", [header, *body]), CONTACTS)
    issues = []
    cell_checks(mapped, lambda rec: f"row {rec.row}", issues)
    got = [(i.row, i.col, i.code) for i in issues]
    want = []
    for rec in mapped.records:
        for c, v in enumerate(rec.cells, start=1):
            if c == 5 or not isinstance(v, str) or not v:  # column 5 is crmsheets' own
                continue
            if _FORMULA_LIKE.match(v):
                want.append((rec.row, c, "formula-text"))
            if len(v) > EXCEL_MAX_TEXT:
                want.append((rec.row, c, "too-long"))
    assert got == want
