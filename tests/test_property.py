"""Random owner tables survive a sync cell for cell, and a second sync writes nothing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from crmsheets import sync_book

KNOWN = ["Name", "E-mail", "Telephone", "Company", "ZIP", "Customer since", "Opt-in"]
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
cell = st.one_of(
    st.just(None), text, st.integers(-10**6, 10**6),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 4)),
    st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)),
    st.sampled_from(["=SUM(A1:A2)", "+44 20 7946 0018", "@home", "ada@example.com", " "]),
)


@st.composite
def owner_tables(draw):
    extra = draw(st.lists(st.text("abcdefghij XYZ", min_size=1, max_size=8), max_size=3,
                          unique=True))
    headers = draw(st.permutations(KNOWN))[: draw(st.integers(1, len(KNOWN)))]
    if "Name" not in headers:
        headers = ["Name", *headers]
    headers += [h for h in extra if h.strip() and h not in headers]
    rows = draw(st.lists(st.lists(cell, min_size=len(headers), max_size=len(headers)),
                         max_size=25))
    return headers, rows


def _write(path: Path, headers, rows) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(headers)
    for r in rows:
        ws.append(r)
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # the owner typed text that looks like a formula
    wb.save(path)


def _grid(path: Path) -> list[list]:
    ws = load_workbook(path)["Contacts"]
    return [[c.value for c in r] for r in ws.iter_rows()]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(owner_tables())
def test_owner_cells_survive_and_second_sync_is_a_no_op(table):
    headers, rows = table
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        _write(path, headers, rows)
        before = _grid(path)
        sync_book(path, as_of=dt.date(2026, 1, 1))
        after = _grid(path)
        crm_col = after[0].index("CRM ID")
        assert crm_col == len(headers), "CRM ID goes right of every owner column"
        for r, old in enumerate(before):
            new = after[r] if r < len(after) else []
            assert [new[c] if c < len(new) else None for c in range(len(old)) if c != crm_col] \
                == [v for c, v in enumerate(old) if c != crm_col]
        written = path.read_bytes()
        second = sync_book(path, as_of=dt.date(2026, 1, 1))
        assert second.plan.empty and not second.written
        assert path.read_bytes() == written
