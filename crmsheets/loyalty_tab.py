"""What the loyalty stage writes: owned columns on Contacts and the Loyalty tab."""

from __future__ import annotations

import datetime as dt

import numpy as np

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


def _rounded(values: np.ndarray, places: int) -> list[Cell]:
    """Rounded numbers as plain Python values, "" where there is none (nan)."""
    out = np.round(values.astype(float), places).tolist()
    return ["" if v != v else v for v in out]


def contact_cells(loy: Loyalty, contacts: list[Contact]) -> dict[str, dict[int, Cell]]:
    """header -> {sheet row: value} for every contact row (blank without orders)."""
    c = loy.customers
    at = {cid: i for i, cid in enumerate(c.crm_ids)}
    columns = (
        c.first, c.last, c.orders.tolist(), _rounded(c.total, 2),
        _rounded(c.total / np.maximum(c.orders, 1), 2), c.recency_days.tolist(), c.r.tolist(),
        c.f.tolist(), c.m.tolist(), c.segment, _rounded(c.p_active, 2),
        _rounded(c.expected_purchases, 2), _rounded(c.expected_value, 2), c.score.tolist(),
    )
    rows = [contact.row for contact in contacts]
    where = [at.get(contact.crm_id) for contact in contacts]
    out: dict[str, dict[int, Cell]] = {}
    for header, column in zip(COLUMNS, columns, strict=True):
        out[header] = dict(zip(rows, ["" if i is None else column[i] for i in where],
                               strict=True))
    return out


def business_rows(loy: Loyalty, as_of: dt.date) -> list[list[Cell]]:
    """The business figures: (measure, value, how it is counted)."""
    c = loy.customers
    n = len(c.crm_ids)
    today = as_of.toordinal()
    this_year = loy.counted.day > today - 365
    last_year = ~this_year & (loy.counted.day > today - 730)
    bought_now = np.bincount(loy.counted.customer[this_year], minlength=n) > 0
    bought_before = np.bincount(loy.counted.customer[last_year], minlength=n) > 0
    # Days with a purchase in the past 12 months, per customer.
    days = np.unique(loy.counted.customer[this_year].astype(np.int64) * 10_000_000
                     + loy.counted.day[this_year])
    repeaters = int((np.bincount(days // 10_000_000, minlength=n) > 1).sum())
    buyers, before = int(bought_now.sum()), int(bought_before.sum())
    returned = int((bought_now & bought_before).sum())
    revenue_year = float(loy.counted.amount[this_year].sum())
    cur = f" ({loy.counted.currency})" if loy.counted.currency else ""
    rows: list[list[Cell]] = [
        ["As of", as_of, "Figures are computed as if today were this date."],
        ["Customers", n, "Contacts with at least one counted order."],
        ["Active customers", buyers, "Customers who bought in the past 12 months."],
        ["Repeat-buyer rate, past 12 months", _pct(repeaters, buyers),
         "Share of the past 12 months' customers who bought on more than one day in them."],
        ["Return rate", _pct(returned, before),
         "Share of the customers of the 12 months before that who bought again in the past "
         "12 months."],
        [f"Revenue, past 12 months{cur}", round(revenue_year, 2), "Counted orders only."],
        [f"Revenue, all time{cur}", round(float(c.total.sum()), 2), "Counted orders only."],
        ["Counted orders", len(loy.counted.day),
         "Orders with a date, an amount, a known contact, the book's currency and a status "
         "that counts (Settings: Statuses that count)."],
    ]
    for reason, count in sorted(loy.counted.excluded.items()):
        rows.append(["Orders not counted", count, reason])
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
    n = len(c.crm_ids)
    this_year = loy.counted.day > as_of.toordinal() - 365
    recent = np.bincount(loy.counted.customer[this_year], weights=loy.counted.amount[this_year],
                         minlength=n)
    names = list(SEGMENTS)
    code = {name: k for k, name in enumerate(names)}
    segment = np.fromiter((code[s] for s in c.segment), int, n)
    members = np.bincount(segment, minlength=len(names))
    revenue = np.bincount(segment, weights=c.total, minlength=len(names))
    revenue_recent = np.bincount(segment, weights=recent, minlength=len(names))
    for k, name in enumerate(names):
        rows.append([name, int(members[k]), round(float(revenue[k]), 2),
                     round(float(revenue_recent[k]), 2)])
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
        value = float(c.expected_value[i])
        rows.append([contact.name or c.crm_ids[i], c.crm_ids[i], c.segment[i], c.last[i],
                     round(float(c.total[i]), 2), "" if value != value else round(value, 2)])
    return TabWrite(SPEC.name, list(SPEC.header), rows, [40, 14, 60, 14, 14, 14], links)
