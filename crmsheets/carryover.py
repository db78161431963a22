"""Carry the owner's input in crmsheets' own tabs over from one sync to the next.

crmsheets rewrites its tabs whole, but some of their columns are the owner's (an
issue's Status, a task's Notes, a duplicate's Decision). Each row has a stable key in
a Key column; whatever the owner typed in the input columns is found again by that
key, however the owner sorted or moved the rows, and put back on the new row.

Rows whose key is gone are each tab's business: a solved issue simply goes; a follow-up
task is closed with a note, not dropped (tasks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Cell, Tab
from .normalize import as_stored, text_of
from .schema import header_key


@dataclass(frozen=True)
class OwnedTabSpec:
    name: str
    header: tuple[str, ...]
    key: str  # the column holding the stable key
    inputs: tuple[str, ...]  # the owner's columns


def is_ours(tab: Tab, spec: OwnedTabSpec) -> bool:
    """Does the tab's first row start with crmsheets' header for it?"""
    first = [header_key(c) for c in (tab.rows[0] if tab.rows else [])]
    return bool(first) and first[: len(spec.header)] == [header_key(h) for h in spec.header]


def owner_input(tab: Tab | None, spec: OwnedTabSpec) -> dict[str, dict[str, Cell]]:
    """key -> {input column: value}, for rows where the owner typed something."""
    if tab is None or not tab.rows:
        return {}
    header = [header_key(c) for c in tab.rows[0]]
    try:
        key_col = header.index(header_key(spec.key))
    except ValueError:
        return {}
    cols = {name: header.index(header_key(name)) for name in spec.inputs
            if header_key(name) in header}
    out: dict[str, dict[str, Cell]] = {}
    for row in tab.rows[1:]:
        key = text_of(row[key_col]).strip() if key_col < len(row) else ""
        if not key:
            continue
        typed = {name: row[c] for name, c in cols.items() if c < len(row) and row[c] != ""}
        if typed and key not in out:
            out[key] = typed
    return out


def carry_over(rows: list[list[Cell]], spec: OwnedTabSpec,
               previous: dict[str, dict[str, Cell]]) -> list[list[Cell]]:
    """`rows` (in spec.header order) with the owner's earlier input put back."""
    key_i = spec.header.index(spec.key)
    idx = {name: spec.header.index(name) for name in spec.inputs}
    out = []
    for row in rows:
        typed = previous.get(text_of(row[key_i]))
        if typed:
            row = list(row)
            for name, value in typed.items():
                if row[idx[name]] == "":
                    row[idx[name]] = value
        out.append(row)
    return out


def same_content(tab: Tab | None, header: list[str], rows: list[list[Cell]]) -> bool:
    """Would writing header+rows leave the tab's values as they are? Compared as the
    owner reads them, so 12 and 12.0 are the same."""
    if tab is None:
        return False

    def norm(grid: list[list[Cell]]) -> list[tuple[str, ...]]:
        out = []
        for r in grid:
            cells = [as_stored(c, tab.serial_dates) for c in r]
            while cells and cells[-1] == "":
                cells.pop()
            out.append(tuple(cells))
        while out and not out[-1]:
            out.pop()
        return out

    return norm(tab.rows) == norm([header] + rows)
