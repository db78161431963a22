"""Follow-up tasks: what the owner should do next, from rules over contacts, orders,
interactions, issues and loyalty figures.

Each task has a stable key: rule | CRM ID | the event that triggered it (an order, an
interaction, a year's birthday...). The Follow-ups tab is rewritten on each sync, but
what the owner typed (Status, Notes, Assigned to, and an edited Due) is found again by
that key, however the tab was sorted. The lifecycle:

- a task whose reason went away (they ordered again, the complaint was resolved) is
  closed with a note saying so, never dropped;
- done, closed and dismissed tasks move to the Done tab once they have been so for
  Settings' "Done tasks kept (days)"; nothing is ever deleted;
- a task whose key is in the Done tab, or was dismissed, is not created again;
- rows the owner adds by hand (no Key) are kept as the owner's own tasks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass

from . import normalize
from .model import Cell, Issue, Tab
from .normalize import text_of
from .records import Contact, Interaction, Order
from .schema import header_key
from .settings import Settings

HEADER = ("Due", "Priority", "Contact", "Email", "Phone", "Task", "Why", "Status", "Notes",
          "Assigned to", "Closed on", "Key")
INPUTS = ("Due", "Status", "Notes", "Assigned to")
WIDTHS = [11, 8, 22, 26, 16, 44, 60, 12, 30, 14, 11, 30]
STATUSES = ["open", "done", "snoozed until YYYY-MM-DD", "dismissed"]
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}
RULES = ("thank", "feedback", "win-back", "reply", "data", "dates")
FINISHED = ("done", "closed", "dismissed")
# Issue codes that need a person rather than a fix in a cell.
PERSON_ISSUES = {
    "contact-unreachable": "Find an email or a phone number for {name}",
    "order-no-contact": "Find out who placed this order",
}


@dataclass
class Task:
    due: dt.date
    priority: str
    contact: Contact | None
    task: str
    why: str
    key: str

    def row(self) -> list[Cell]:
        c = self.contact
        return [self.due, self.priority, c.name if c else "", c.email if c else "",
                c.phone if c else "", self.task, self.why, "open", "", "", "", self.key]


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}".strip()


def _order_key(o: Order) -> str:
    return o.order_id or f"{o.date.isoformat()}/{o.amount}"


def generate(contacts: list[Contact], interactions: list[Interaction],
             issues: list[Issue], loyalty, settings: Settings, as_of: dt.date,
             has_opt_in: bool) -> list[Task]:
    """Every task the rules call for today, before the owner's edits are applied."""
    off = {w.strip().lower() for w in str(settings["Rules switched off"]).split(",")}
    window = dt.timedelta(days=settings["Tasks look back (days)"])
    by_id = {c.crm_id: c for c in contacts}
    counted = [o for o in (loyalty.counted.orders if loyalty else []) if o.crm_id in by_id]
    currency = loyalty.counted.currency if loyalty else settings["Currency"]
    tasks: list[Task] = []

    def marketing_ok(c: Contact) -> bool:
        # Offers and greetings only for people who said yes (no column: nobody did).
        return has_opt_in and c.opt_in is True

    # Order histories, only for the few customers a rule may need them for (a book can
    # hold hundreds of thousands of orders).
    wanted: set[str] = set()
    if loyalty is not None:
        fig = loyalty.customers
        recent = as_of - window
        wanted = {cid for i, cid in enumerate(fig.crm_ids)
                  if ("thank" not in off and fig.first[i] >= recent)
                  or ("win-back" not in off and fig.m[i] >= 4 and fig.orders[i] >= 2
                      and marketing_ok(by_id[cid]))}
    by_contact: dict[str, list[Order]] = {}
    for o in counted:
        if o.crm_id in wanted:
            by_contact.setdefault(o.crm_id, []).append(o)
    for history in by_contact.values():
        history.sort(key=lambda o: (o.date, o.row))

    if "thank" not in off:
        for cid, history in by_contact.items():
            first = history[0]
            if as_of - window <= first.date <= as_of:
                what = first.product or "their order"
                tasks.append(Task(first.date + dt.timedelta(days=1), "medium", by_id[cid],
                                  f"Thank {by_id[cid].name} for their first order",
                                  f"First order on {first.date.isoformat()}: {what}, "
                                  f"{_money(float(first.amount), currency)}.",
                                  f"thank|{cid}|first:{_order_key(first)}"))

    days = settings["Feedback after (days)"]
    if "feedback" not in off and days:
        for o in counted:
            due = o.date + dt.timedelta(days=days)
            if as_of - window <= due <= as_of:
                c = by_id[o.crm_id]
                tasks.append(Task(due, "low", c, f"Ask {c.name} how they liked "
                                  f"{o.product or 'their order'}",
                                  f"Order {o.order_id or ''} of {o.date.isoformat()}: "
                                  f"{days} days on, did you ask them?".replace("  ", " "),
                                  f"feedback|{o.crm_id}|order:{_order_key(o)}"))

    if "win-back" not in off and loyalty is not None:
        tasks.extend(_win_back(loyalty, by_contact, by_id, settings, as_of, currency,
                               marketing_ok))

    days = settings["Complaint overdue after (days)"]
    if "reply" not in off and days:
        for i in interactions:
            if i.type not in ("complaint", "question") or i.resolved or i.date is None:
                continue
            age = (as_of - i.date).days
            if age < days or not i.crm_id:
                continue
            c = by_id.get(i.crm_id)
            priority = "high" if i.type == "complaint" or age >= 2 * days else "medium"
            event = hashlib.sha1(f"{i.date}|{i.type}|{i.summary}".encode()).hexdigest()[:10]
            tasks.append(Task(i.date + dt.timedelta(days=days), priority, c,
                              f"Answer {c.name if c else 'this'} {i.type}: {i.summary}"[:120],
                              f"{i.type.capitalize()} of {i.date.isoformat()}, still not "
                              f"resolved after {age} days.",
                              f"reply|{i.crm_id}|{i.type}:{event}"))

    if "data" not in off:
        for issue in issues:
            if issue.code not in PERSON_ISSUES:
                continue
            c = by_id.get(issue.record)
            tasks.append(Task(as_of, "low", c,
                              PERSON_ISSUES[issue.code].format(name=c.name if c else ""),
                              f"{issue.message} ({issue.tab} row {issue.row})",
                              f"data|{issue.record}|{issue.code}"))

    if "dates" not in off:
        for c in contacts:
            for label, day in (("birthday", c.birthday), ("anniversary", c.anniversary)):
                if day is None or not marketing_ok(c):
                    continue
                for year in (as_of.year, as_of.year + 1):
                    try:
                        date = day.replace(year=year)
                    except ValueError:  # 29 February
                        date = dt.date(year, 3, 1)
                    if as_of <= date <= as_of + dt.timedelta(days=7):
                        tasks.append(Task(date - dt.timedelta(days=2), "low", c,
                                          f"Send {c.name} a {label} card",
                                          f"Their {label} is on {date:%d %B}; they opted in.",
                                          f"dates|{c.crm_id}|{label}:{year}"))
    return tasks


def _win_back(loyalty, by_contact, by_id, settings, as_of, currency, marketing_ok):
    fig = loyalty.customers
    minimum = settings["Win-back after (days)"]
    for i, cid in enumerate(fig.crm_ids):
        history = by_contact.get(cid, [])
        c = by_id.get(cid)
        if c is None or len(history) < 2 or fig.m[i] < 4 or not marketing_ok(c):
            continue
        span = (history[-1].date - history[0].date).days
        gap = span / (len(history) - 1)
        since = int(fig.recency_days[i])
        p = fig.p_active[i]
        overdue = since >= max(2 * gap, 30) and since >= min(minimum, 3 * gap)
        fading = p == p and p < 0.5 and since >= 30
        if not (overdue or fading):
            continue
        bought = Counter(o.product for o in history if o.product).most_common(2)
        what = ", ".join(name for name, _ in bought) or "various things"
        chance = f" The model puts the chance they still buy at {p:.0%}." if p == p else ""
        yield Task(as_of, "high" if fig.m[i] == 5 else "medium", c,
                   f"Win back {c.name}: no order for {since} days",
                   f"Usually ordered every {gap:.0f} days; last on "
                   f"{history[-1].date.isoformat()}. Bought {what}; spent "
                   f"{_money(float(fig.total[i]), currency)} in {int(fig.orders[i])} "
                   f"orders.{chance}",
                   f"win-back|{cid}|last:{history[-1].date.isoformat()}")


# ---- carrying the owner's work over --------------------------------------------------

def _columns(tab: Tab | None) -> dict[str, int]:
    if tab is None or not tab.rows:
        return {}
    return {header_key(h): i for i, h in enumerate(tab.rows[0]) if h != ""}


def _cell(row: list, cols: dict[str, int], name: str) -> Cell:
    i = cols.get(header_key(name))
    return row[i] if i is not None and i < len(row) else ""


def _as_row(row: list, cols: dict[str, int]) -> list[Cell]:
    """An existing row in HEADER order (extra owner columns are not ours to keep here)."""
    out = [_cell(row, cols, h) for h in HEADER]
    for j in (0, 10):  # dates come back as dates (from Google Sheets: serial numbers)
        if isinstance(out[j], dt.datetime):
            out[j] = out[j].date()
        elif isinstance(out[j], (int, float)) and not isinstance(out[j], bool):
            parsed = normalize.date(out[j], None)
            if parsed.ok:
                out[j] = parsed.date
    return out


def status_of(value: Cell) -> str:
    return text_of(value).strip().lower()


def snoozed_until(status: str) -> dt.date | None:
    if not status.startswith("snooze"):
        return None
    result = normalize.date(status.split("until")[-1].strip(), True)
    return result.date if result.ok else None


def merge(tasks: list[Task], existing: Tab | None, done: Tab | None, as_of: dt.date,
          keep_days: int) -> tuple[list[list[Cell]], list[list[Cell]]]:
    """The Follow-ups rows and the Done rows after this sync."""
    cols, done_cols = _columns(existing), _columns(done)
    done_rows = [_as_row(r, done_cols) for r in (done.rows[1:] if done else [])
                 if any(c != "" for c in r)]
    done_keys = {text_of(r[11]) for r in done_rows if r[11] != ""}
    old_rows = [_as_row(r, cols) for r in (existing.rows[1:] if existing else [])
                if any(c != "" for c in r)]
    old = {text_of(r[11]): r for r in old_rows if r[11] != ""}
    fresh = {t.key: t for t in tasks if t.key not in done_keys}
    out: list[list[Cell]] = []
    for key, task in fresh.items():
        row = task.row()
        before = old.get(key)
        if before is not None:
            for name in INPUTS:
                i = HEADER.index(name)
                if before[i] != "":
                    row[i] = before[i]
            row[10] = before[10]
        out.append(row)
    for key, row in old.items():
        if key in fresh:
            continue
        row = list(row)
        if status_of(row[7]) not in FINISHED:  # its reason went away: close it, keep it
            row[7] = "closed"
            note = f"Closed by crmsheets on {as_of.isoformat()}: the reason for it went away."
            row[8] = f"{text_of(row[8])} {note}".strip()
        out.append(row)
    # The owner's own rows: no key, kept as they are.
    out.extend(r for r in old_rows if r[11] == "")
    for row in out:
        if status_of(row[7]) in FINISHED and row[10] == "":
            row[10] = as_of
    moving = [r for r in out if r[11] != "" and status_of(r[7]) in FINISHED
              and isinstance(r[10], dt.date) and (as_of - r[10]).days >= keep_days]
    out = [r for r in out if not any(r is m for m in moving)]
    out.sort(key=_order)
    return out, done_rows + sorted(moving, key=_order)


def _order(row: list[Cell]) -> tuple:
    status = status_of(row[7])
    due = row[0] if isinstance(row[0], dt.date) else dt.date.max
    if (until := snoozed_until(status)) is not None:
        due = max(due, until)
    return (status in FINISHED, due, PRIORITY_ORDER.get(status_of(row[1]), 3),
            text_of(row[2]), text_of(row[11]))


def is_open(row: list[Cell], as_of: dt.date) -> bool:
    status = status_of(row[7])
    if status in FINISHED:
        return False
    until = snoozed_until(status)
    return until is None or until <= as_of
