"""Merging duplicate contacts the owner approved, and undoing it.

A merge keeps the oldest row of the group (lowest CRM ID) as the survivor and fills its
cells with the best value of each column (Settings: "Merge prefers"). Every merged-away
row is archived whole, cell for cell, in the Merged tab with the survivor's CRM ID, the
time, and the survivor's row before and after, then emptied in Contacts (its cells keep
their formatting; crmsheets never deletes a row, so nothing that points at rows below
shifts). Orders and interactions that name a merged-away contact (its CRM ID or email)
follow the survivor through the Merged tab; the owner's Orders are not rewritten.

`unmerge` puts the archived rows back exactly (same values, in their old row when it is
still empty, else below the last row) and the survivor's cells as they were before,
unless the owner changed them since: those are kept and reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .carryover import OwnedTabSpec
from .dedupe.normal import email_key, phone_keys, profile_key, street_key
from .model import Cell, Tab, col_letter
from .normalize import text_of, yes_no
from .schema import CONTACT_FIELDS, CRM_ID, LOYALTY_COLUMNS, MERGED_TAB, Mapped, header_key

FIXED = ("Group", "Merged at", "Role", "Into", "Row")
SPEC = OwnedTabSpec(MERGED_TAB, FIXED, key="Group", inputs=())
AWAY, BEFORE, AFTER = "merged away", "survivor before", "survivor after"
_OURS = {header_key(h) for h in (CRM_ID, *LOYALTY_COLUMNS)}


def crm_number(crm_id: str) -> int:
    digits = "".join(ch for ch in crm_id if ch.isdigit())
    return int(digits) if digits else 10**9


def column_names(mapped: Mapped, width: int) -> list[str]:
    """A name per Contacts column: its header, 'Column F' when blank, 'Email (2)' when
    the same header is used twice, 'Group (Contacts)' for a header the Merged tab uses."""
    names, seen = [], {}
    for c in range(1, width + 1):
        h = text_of(mapped.tab.cell(mapped.header_row, c)).strip() or f"Column {col_letter(c)}"
        if h in FIXED:  # an owner's own "Group" or "Row" column keeps apart from the tab's
            h = f"{h} (Contacts)"
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return names


@dataclass
class Outcome:
    """What merging (or unmerging) did: cell edits on Contacts, rows for the Merged tab."""

    edits: dict[int, dict[int, Cell]] = field(default_factory=dict)  # col -> {row: value}
    archive: list[dict[str, Cell]] = field(default_factory=list)  # Merged tab rows by name
    restored: dict[str, str] = field(default_factory=dict)  # unmerge: CRM ID -> survivor
    lines: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # approved groups that could not be
    groups: list[str] = field(default_factory=list)

    def edit(self, row: int, col: int, value: Cell) -> None:
        self.edits.setdefault(col, {})[row] = value


def _best(values: list[tuple[Cell, int]], rule: str, key=None) -> Cell:
    """values: (cell, CRM number) with the survivor (the oldest) first; ties go to it.
    key: the normal form that says two cells hold the same thing."""
    filled = [(v, n) for v, n in values if text_of(v).strip() != ""]
    if not filled:
        return values[0][0]
    if rule == "most complete":  # by letters and digits: "Smith, Jo" is no fuller than "Jo Smith"
        size = [sum(ch.isalnum() for ch in text_of(v)) for v, _ in filled]
        return filled[size.index(max(size))][0]
    if rule == "oldest":
        return filled[0][0]
    newest = max(filled, key=lambda t: t[1])[0]
    same = key or street_key
    if same(text_of(newest)) == same(text_of(values[0][0])):
        return values[0][0]  # "ADA@X.COM" is no newer news than "ada@x.com"
    return newest


def _phone_key(text: str) -> str:
    keys = phone_keys(text, None) if text.strip().startswith("+") else ()
    digits = "".join(ch for ch in text if ch.isdigit())
    # "0161 496 0627" and "+44 161 496 0627": the same number with or without its country
    return keys[0][-9:] if keys else digits[-9:]


# Where people are reached: these change over time, so "most recent" applies to them.
# Names take the most complete form (ties: the survivor's), other columns the survivor's
# own value when it has one, unless the owner chose another rule.
_DETAILS = ("email", "phone", "address", "city", "postcode", "state", "country", "company",
            "title", "profile")
_NAMES = ("name", "first_name", "last_name")


def merge(mapped: Mapped, groups: list[tuple[str, list[str]]], rule: str, when: str,
          width: int) -> Outcome:
    """Merge each (label, CRM IDs) group in the tab's rows (in memory) and say what
    changed. Groups whose rows are gone are skipped with a line saying so."""
    out = Outcome()
    id_col = mapped.owned.get(CRM_ID)
    names = column_names(mapped, width)
    rows_by_id: dict[str, int] = {}
    for rec in mapped.records:
        cid = text_of(rec.cells[id_col - 1]).strip() if id_col and id_col <= len(rec.cells) \
            else ""
        if cid:
            rows_by_id.setdefault(cid, rec.row)
    opt_in_col = mapped.columns.get("opt_in")
    since_col = mapped.columns.get("since")
    rule_of = {mapped.columns[f]: rule for f in _DETAILS if f in mapped.columns}
    key_of = {mapped.columns[f]: k for f, k in (("email", email_key), ("phone", _phone_key),
                                                ("profile", profile_key))
              if f in mapped.columns}
    if rule != "oldest":
        rule_of.update({mapped.columns[f]: "most complete" for f in _NAMES
                        if f in mapped.columns})
    ours = {c for c in range(1, width + 1) if header_key(names[c - 1]) in _OURS}
    for label, ids in groups:
        missing = [i for i in ids if i not in rows_by_id]
        if missing or len(ids) < 2:
            out.skipped.append(f"duplicate group {' + '.join(ids)} not merged: "
                               f"{', '.join(missing) or 'one row'} no longer in the contacts "
                               f"tab; if the rest are still duplicates, the Duplicates tab "
                               f"lists them again for a new Decision")
            continue
        ids = sorted(ids, key=crm_number)
        survivor, away = ids[0], ids[1:]
        srow = rows_by_id[survivor]
        rows = [rows_by_id[i] for i in ids]
        grid = {r: [mapped.tab.cell(r, c) for c in range(1, width + 1)] for r in rows}
        before = list(grid[srow])
        after = list(before)
        for c in range(1, width + 1):
            if c in ours:
                continue
            values = [(grid[r][c - 1], crm_number(i)) for r, i in zip(rows, ids, strict=True)]
            if c == opt_in_col:
                nos = [v for v, _ in values if yes_no(v) is False]
                # An opt-out is never reversed: the least permissive answer wins.
                after[c - 1] = nos[0] if nos else _best(values, rule)
            elif c == since_col:
                dates = [v for v, _ in values if isinstance(v, (dt.date, dt.datetime))]
                after[c - 1] = min(dates) if dates else _best(values, rule)
            else:
                after[c - 1] = _best(values, rule_of.get(c, "oldest" if rule == "most recent"
                                                         else rule), key_of.get(c))
        changed = 0
        for c in range(1, width + 1):
            if text_of(after[c - 1]) != text_of(before[c - 1]):
                out.edit(srow, c, after[c - 1])
                mapped.tab.put(srow, c, after[c - 1])
                changed += 1
        out.archive.append(_archived(label, when, BEFORE, survivor, srow, names, before))
        out.archive.append(_archived(label, when, AFTER, survivor, srow, names, after))
        for cid in away:
            r = rows_by_id[cid]
            out.archive.append(_archived(label, when, AWAY, survivor, r, names, grid[r]))
            for c in range(1, width + 1):
                out.edit(r, c, None)
                mapped.tab.put(r, c, "")
        out.groups.append(label)
        out.lines.append(f"merged {', '.join(away)} into {survivor} (group {label}: "
                         f"{len(away)} row{'s' * (len(away) > 1)} moved to {MERGED_TAB}, "
                         f"{changed} cell{'s' * (changed != 1)} of {survivor} updated)")
    return out


def _archived(label: str, when: str, role: str, into: str, row: int, names: list[str],
              cells: list[Cell]) -> dict[str, Cell]:
    rec: dict[str, Cell] = {"Group": label, "Merged at": when, "Role": role, "Into": into,
                            "Row": row}
    for name, value in zip(names, cells, strict=True):
        rec[name] = value
    return rec


# ---- the Merged tab ------------------------------------------------------------------

def read_archive(tab: Tab | None) -> list[dict[str, Cell]]:
    """The Merged tab's rows, by column name."""
    if tab is None or not tab.rows:
        return []
    header = [text_of(h).strip() for h in tab.rows[0]]
    out = []
    for row in tab.rows[1:]:
        rec = {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}
        if text_of(rec.get("Group", "")).strip():
            out.append(rec)
    return out


def aliases(archive: list[dict[str, Cell]]) -> list[tuple[str, str, str]]:
    """(survivor's CRM ID, old CRM ID or "", old email or "") for every merged row, so
    that orders and interactions naming any row of a merge find the survivor: the
    merged-away rows' IDs and emails, and the survivor's own email from before."""
    out = []
    for rec in archive:
        role = text_of(rec.get("Role", ""))
        email = next((text_of(v) for k, v in rec.items()
                      if header_key(k) in _EMAIL_KEYS and text_of(v).strip()), "")
        old_id = text_of(rec.get(CRM_ID, "")).strip() if role == AWAY else ""
        if role == AWAY or (role == BEFORE and email):
            out.append((text_of(rec.get("Into", "")).strip(), old_id, email))
    return out


_EMAIL_KEYS = {header_key(a) for f in CONTACT_FIELDS if f.name == "email" for a in f.aliases}


def archive_tab(archive: list[dict[str, Cell]]) -> tuple[list[str], list[list[Cell]]]:
    header = list(FIXED)
    for rec in archive:
        for k in rec:
            if k not in header:
                header.append(k)
    return header, [[rec.get(h, "") for h in header] for rec in archive]


def next_label(archive: list[dict[str, Cell]]) -> int:
    nums = [crm_number(text_of(r["Group"])) for r in archive]
    return max([n for n in nums if n < 10**9], default=0) + 1


def _last_row(tab: Tab) -> int:
    for r in range(len(tab.rows), 0, -1):
        if any(text_of(c) for c in tab.rows[r - 1]):
            return r
    return 0


# ---- undo ----------------------------------------------------------------------------

def unmerge(mapped: Mapped, archive: list[dict[str, Cell]], label: str,
            width: int) -> tuple[Outcome, list[dict[str, Cell]]]:
    """Put group `label` back; returns the edits and the archive without the group."""
    mine = [r for r in archive if text_of(r["Group"]).strip().casefold() == label.casefold()]
    rest = [r for r in archive if r not in mine]
    out = Outcome()
    if not mine:
        return out, archive
    names = column_names(mapped, width)
    col_of = {n: c for c, n in enumerate(names, start=1)}
    stored = [k for k in mine[0] if k not in FIXED]
    lost = [k for k in stored if k not in col_of and any(text_of(r.get(k, "")) for r in mine)]
    if lost:
        out.lines.append(f"columns no longer in the contacts tab, not restored: "
                         f"{', '.join(lost)} (their values stay in the backups)")
    id_col = mapped.owned.get(CRM_ID)
    rows_by_id = {}
    for rec in mapped.records:
        if id_col and id_col <= len(rec.cells):
            rows_by_id.setdefault(text_of(rec.cells[id_col - 1]).strip(), rec.row)
    before = next((r for r in mine if r["Role"] == BEFORE), None)
    after = next((r for r in mine if r["Role"] == AFTER), None)
    survivor = text_of((before or mine[0])["Into"]).strip()
    srow = rows_by_id.get(survivor)
    if before and after and srow:
        kept = []
        for name in stored:
            c = col_of.get(name)
            if c is None or text_of(before.get(name, "")) == text_of(after.get(name, "")):
                continue
            if text_of(mapped.tab.cell(srow, c)) == text_of(after.get(name, "")):
                out.edit(srow, c, before.get(name, ""))
            else:
                kept.append(name)
        back = sum(1 for cells in out.edits.values() if srow in cells)
        if back:
            out.lines.append(f"{survivor}: {back} cell{'s' * (back > 1)} back as before the merge")
        if kept:
            out.lines.append(f"{survivor}: {', '.join(kept)} changed since the merge; "
                             "kept as they are now")
    elif srow is None:
        out.lines.append(f"{survivor} is no longer in the contacts; only the merged-away "
                         "rows are put back")
    free = _last_row(mapped.tab) + 1
    taken = {rec.row for rec in mapped.records}
    restored = []
    for rec in (r for r in mine if r["Role"] == AWAY):
        row = int(float(text_of(rec["Row"]) or 0))
        if row <= mapped.header_row or row in taken or any(
                text_of(c) for c in (mapped.tab.rows[row - 1] if row <= len(mapped.tab.rows)
                                     else [])):
            row, free = free, free + 1
        taken.add(row)
        for name in stored:
            c = col_of.get(name)
            if c is not None:
                out.edit(row, c, rec.get(name, ""))
        restored.append(f"{text_of(rec.get(CRM_ID, '')).strip()} to row {row}")
        out.restored[text_of(rec.get(CRM_ID, "")).strip()] = survivor
    out.lines.insert(0, f"unmerged group {label}: put back {', '.join(restored)}")
    out.groups.append(label)
    return out, rest
