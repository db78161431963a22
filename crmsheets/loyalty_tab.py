"""What the loyalty stage writes: owned columns on Contacts and the Loyalty tab."""

from __future__ import annotations

import datetime as dt
import math

from .carryover import OwnedTabSpec
from .issues_tab import sheet_ref
from .loyalty import AT_RISK, SEGMENTS, Loyalty
from .model import Cell, TabWrite
from .records import Contact
from .schema import LOYALTY_COLUMNS as COLUMNS
from .schema import LOYALTY_TAB

AT_RISK_SHOWN = 50
SPEC = OwnedTabSpec(LOYALTY_TAB, ("Measure", "Value", "How it is counted"), key="Measure",
                    inputs=())


def _num(value: float, places: int) -> Cell:
    return "" if value is None or math.isnan(value) else round(float(value), places)


def contact_cells(loy: Loyalty, contacts: list[Contact]) -> dict[str, dict[int, Cell]]:
    """header -> {sheet row: value} for every contact row (blank without orders)."""
    c = loy.customers
    at = {cid: i for i, cid in enumerate(c.crm_ids)}
    out: dict[str, dict[int, Cell]] = {h: {} for h in COLUMNS}
    for contact in contacts:
        i = at.get(contact.crm_id)
        if i is None:
            for h in COLUMNS:
                out[h][contact.row] = ""
            continue
        values = (
            c.first[i], c.last[i], int(c.orders[i]), _num(c.total[i], 2),
            _num(c.total[i] / c.orders[i], 2), int(c.recency_days[i]), int(c.r[i]), int(c.f[i]),
            int(c.m[i]), c.segment[i], _num(c.p_active[i], 2), _num(c.expected_purchases[i], 2),
            _num(c.expected_value[i], 2), int(c.score[i]),
        )
        for h, v in zip(COLUMNS, values, strict=True):
            out[h][contact.row] = v
    return out


def business_rows(loy: Loyalty, as_of: dt.date) -> list[list[Cell]]:
    """The business figures: (measure, value, how it is counted)."""
    c = loy.customers
    today = as_of.toordinal()
    year_ago, two_years_ago = today - 365, today - 730
    this_year: dict[str, set[int]] = {}
    last_year: set[str] = set()
    revenue_year = 0.0
    for o in loy.counted:
        d = o.date.toordinal()
        if d > year_ago:
            this_year.setdefault(o.crm_id, set()).add(d)
            revenue_year += float(o.amount)
        elif d > two_years_ago:
            last_year.add(o.crm_id)
    buyers = len(this_year)
    repeaters = sum(1 for days in this_year.values() if len(days) > 1)
    returned = len(last_year & set(this_year))
    cur = f" ({loy.currency})" if loy.currency else ""
    rows: list[list[Cell]] = [
        ["As of", as_of, "Figures are computed as if today were this date."],
        ["Customers", len(c.crm_ids), "Contacts with at least one counted order."],
        ["Active customers", buyers, "Customers who bought in the past 12 months."],
        ["Repeat-buyer rate, past 12 months", _pct(repeaters, buyers),
         "Share of the past 12 months' customers who bought on more than one day in them."],
        ["Return rate", _pct(returned, len(last_year)),
         "Share of the customers of the 12 months before that who bought again in the past "
         "12 months."],
        [f"Revenue, past 12 months{cur}", round(revenue_year, 2), "Counted orders only."],
        [f"Revenue, all time{cur}", round(float(c.total.sum()), 2), "Counted orders only."],
        ["Counted orders", len(loy.counted),
         "Orders with a date, an amount, a known contact, the book's currency and a status "
         "that counts (Settings: Statuses that count)."],
    ]
    for reason, n in sorted(loy.excluded.items()):
        rows.append(["Orders not counted", n, reason])
    rows.append(["Purchase model", "fitted" if loy.model else "not fitted", loy.model_note])
    return rows


def _pct(part: int, whole: int) -> Cell:
    return f"{100 * part / whole:.1f}%" if whole else ""


def build(loy: Loyalty, contacts: list[Contact], contacts_tab: str,
          as_of: dt.date) -> TabWrite:
    rows = business_rows(loy, as_of)
    rows += [["", "", ""], ["Revenue by segment", "Customers", "Revenue",
                            "Revenue, past 12 months"]]
    c = loy.customers
    year_ago = as_of.toordinal() - 365
    recent: dict[str, float] = {}
    for o in loy.counted:
        if o.date.toordinal() > year_ago:
            recent[o.crm_id] = recent.get(o.crm_id, 0.0) + float(o.amount)
    for name in SEGMENTS:
        members = [i for i, s in enumerate(c.segment) if s == name]
        rows.append([name, len(members), round(float(sum(c.total[i] for i in members)), 2),
                     round(sum(recent.get(c.crm_ids[i], 0.0) for i in members), 2)])
    rows += [["", "", ""], ["Customers at risk, by what they are worth", "CRM ID", "Segment",
                            "Last order", "Total spent", "Expected value"]]
    links = {}
    by_id = {k.crm_id: k for k in contacts}
    # Worth: what they have spent, the thing at stake (their expected value is low
    # precisely because they are slipping away; it is shown beside).
    risky = sorted((i for i, s in enumerate(c.segment) if s in AT_RISK),
                   key=lambda i: (-c.total[i], c.crm_ids[i]))[:AT_RISK_SHOWN]
    for i in risky:
        contact = by_id.get(c.crm_ids[i])
        if contact is None:
            continue
        links[(len(rows), 0)] = sheet_ref(contacts_tab, 1, contact.row)
        rows.append([contact.name or c.crm_ids[i], c.crm_ids[i], c.segment[i], c.last[i],
                     round(float(c.total[i]), 2), _num(c.expected_value[i], 2)])
    return TabWrite(SPEC.name, list(SPEC.header), rows, [40, 14, 60, 14, 14, 14], links)
