"""The Duplicates tab: groups of contact rows that look like one person, the evidence,
and the owner's Decision (merge / not the same / later), carried over by group.

A group's key is its CRM IDs ("C00003 + C00017"); the Decision may be typed on any row
of the group. "not the same" is remembered pair by pair (in the hidden state tab), so
the pair is never suggested again, whatever else joins the group later.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .carryover import OwnedTabSpec, owner_input
from .dedupe import Group, Person, evidence, match
from .issues_tab import sheet_ref
from .merging import crm_number
from .model import Cell, Issue, Tab, TabWrite
from .normalize import text_of
from .records import Contact
from .schema import DUPLICATES_TAB, header_key

SPEC = OwnedTabSpec(
    DUPLICATES_TAB,
    ("Group", "Confidence (%)", "CRM ID", "Name", "Email", "Phone", "Evidence", "Decision",
     "Notes", "Key"),
    key="Key",
    inputs=("Decision", "Notes"),
)
WIDTHS = [7, 10, 10, 24, 28, 18, 70, 14, 30, 26]
MERGE, NOT_SAME, LATER = "merge", "not the same", "later"
CHOICES = [MERGE, NOT_SAME, LATER]
_SAYS = {"merge": MERGE, "yes": MERGE, "same": MERGE, "combine": MERGE,
         "not the same": NOT_SAME, "not same": NOT_SAME, "no": NOT_SAME, "different": NOT_SAME,
         "keep both": NOT_SAME, "not a duplicate": NOT_SAME,
         "later": LATER, "": ""}


def group_key(crm_ids: list[str]) -> str:
    return " + ".join(sorted(crm_ids, key=crm_number))


@dataclass
class Decided:
    ids: list[str]
    decision: str  # MERGE, NOT_SAME, LATER, or the owner's text when not understood
    row: int  # the tab row it was typed on, for messages


def decisions(tab: Tab | None) -> dict[str, Decided]:
    """group key -> what the owner decided, from the tab as it is now."""
    typed = owner_input(tab, SPEC)
    out: dict[str, Decided] = {}
    rownum = {}
    if tab is not None and tab.rows:
        heads = [header_key(h) for h in tab.rows[0]]
        key_i = heads.index(header_key("Key")) if header_key("Key") in heads else -1
        for n, row in enumerate(tab.rows[1:], start=2):
            if 0 <= key_i < len(row):
                rownum.setdefault(text_of(row[key_i]), n)
    for key, inputs in typed.items():
        said = text_of(inputs.get("Decision", "")).strip()
        if not said:
            continue
        gkey = key.split("|")[0]
        if gkey in out:
            continue
        ids = [x.strip() for x in gkey.split("+") if x.strip()]
        out[gkey] = Decided(ids, _SAYS.get(" ".join(said.casefold().split()), said),
                            rownum.get(key, 0))
    return out


def unknown_decisions(decided: dict[str, Decided]) -> list[Issue]:
    out = []
    for d in decided.values():
        if d.decision not in CHOICES:
            msg = f"{d.decision!r} is not one of: {', '.join(CHOICES)}."
            fix = f"Pick one of: {', '.join(CHOICES)}; until then the group is left as it is."
            out.append(Issue("decision-unknown", SPEC.name, d.row, "Decision", d.decision, msg,
                             fix, group_key(d.ids), 8))
    return out


def never_pairs(decided: dict[str, Decided]) -> set[frozenset[str]]:
    out = set()
    for d in decided.values():
        if d.decision == NOT_SAME:
            out.update(frozenset(p) for p in itertools.combinations(d.ids, 2))
    return out


def build(groups: list[Group], people: list[Person], contacts: list[Contact],
          contacts_tab: str, existing: Tab | None) -> TabWrite:
    previous = owner_input(existing, SPEC)
    by_group: dict[str, dict[str, Cell]] = {}
    for key, typed in previous.items():
        by_group.setdefault(key.split("|")[0], {}).update(
            {k: v for k, v in typed.items() if k == "Decision"})
    rows: list[list[Cell]] = []
    links = {}
    for n, g in enumerate(groups, start=1):
        ids = [contacts[i].crm_id for i in g.members]
        gkey = group_key(ids)
        decision = by_group.get(gkey, {}).get("Decision", "")
        for k, i in enumerate(g.members):
            c = contacts[i]
            why = ""
            if k:
                # the strongest pair between this row and one above it in the group
                best = max(g.members[:k], key=lambda j: match.compare(people[i], people[j]))
                why = "; ".join(evidence(people[best], people[i]))
                if best != g.members[0]:
                    why = f"(with {contacts[best].crm_id}) {why}"
            key = f"{gkey}|{c.crm_id}"
            notes = previous.get(key, {}).get("Notes", "")
            shown = people[i].shown
            rows.append([n if k == 0 else "", round(100 * g.confidence) if k == 0 else "",
                         c.crm_id, c.name, shown["email"], shown["phone"], why,
                         decision if k == 0 else "", notes, key])
            links[(len(rows) - 1, 2)] = sheet_ref(contacts_tab, 1, c.row)
    return TabWrite(SPEC.name, list(SPEC.header), rows, WIDTHS, links, {7: CHOICES})

