"""The Issues tab: one row per problem, with a link to the cell and the owner's Status.

An owner who accepts an oddity types "ignore" in Status; that row is then kept at the
bottom, not counted, and stays ignored on every later sync (carried by its Key).
"""

from __future__ import annotations

from .carryover import OwnedTabSpec, carry_over, owner_input
from .model import Issue, Tab, TabWrite, col_letter
from .normalize import text_of

SPEC = OwnedTabSpec(
    "Issues",
    ("Status", "Problem", "Tab", "Row", "Column", "Value", "Suggested fix", "Code", "Key"),
    key="Key",
    inputs=("Status",),
)
WIDTHS = [10, 60, 12, 7, 16, 28, 60, 20, 30]
STATUS_CHOICES = ["ignore", "later"]
IGNORED = "ignore"
_TAB_ORDER = {"Settings": 0, "Contacts": 1, "Orders": 2, "Interactions": 3}


def sheet_ref(tab: str, col: int, row: int) -> str:
    """An in-book link target: 'My Tab'!B5."""
    return "'" + tab.replace("'", "''") + f"'!{col_letter(max(col, 1))}{row}"


def build(issues: list[Issue], existing: Tab | None) -> tuple[TabWrite, set[str]]:
    """The tab's content and the keys of the issues the owner ignores."""
    previous = owner_input(existing, SPEC)
    unique: dict[str, Issue] = {}
    for issue in issues:
        unique.setdefault(issue.key, issue)
    rows = [["", i.message, i.tab, i.row, i.column, i.value, i.fix, i.code, i.key]
            for i in unique.values()]
    rows = carry_over(rows, SPEC, previous)
    ignored = {r[8] for r in rows if text_of(r[0]).strip().lower() == IGNORED}
    by_key = {i.key: i for i in unique.values()}

    def order(row: list) -> tuple:
        i = by_key[row[8]]
        return (row[8] in ignored, _TAB_ORDER.get(i.tab, 9), i.tab, i.row, i.col, i.code, i.key)

    rows.sort(key=order)
    links = {(n, 3): sheet_ref(by_key[r[8]].tab, by_key[r[8]].col, by_key[r[8]].row)
             for n, r in enumerate(rows)}
    tab = TabWrite(SPEC.name, list(SPEC.header), rows, WIDTHS, links, {0: STATUS_CHOICES})
    return tab, ignored
