"""Follow-up tasks: every rule on hand-made books with a fixed today, the owner's edits
carried over, and the closed / dismissed / done lifecycle."""

from __future__ import annotations

import datetime as dt
import json

from conftest import run_cli, values
from openpyxl import Workbook, load_workbook

from crmsheets.backends.memory import MemoryBook
from crmsheets.model import Book, Tab
from crmsheets.sync import sync

TODAY = dt.date(2025, 6, 30)
D = dt.timedelta


def book(contacts, orders=(), interactions=(), settings=()) -> MemoryBook:
    tabs = {
        "Contacts": Tab("Contacts", [["Name", "Email", "Phone", "Marketing opt-in", "Birthday"],
                                     *[list(c) for c in contacts]]),
        "Orders": Tab("Orders", [["Order #", "Order date", "Customer email", "Amount",
                                  "Status", "Product"], *[list(o) for o in orders]]),
        "Interactions": Tab("Interactions", [["Date", "Email", "Type", "Summary", "Resolved"],
                                             *[list(i) for i in interactions]]),
        "Settings": Tab("Settings", [["Setting", "Value"], ["Default country", "GB"],
                                     ["Currency", "GBP"], *[list(s) for s in settings]]),
    }
    return MemoryBook(Book("memory", tabs))


def follow_ups(mem: MemoryBook, as_of=TODAY) -> dict[str, list]:
    sync(mem, as_of)
    rows = mem.book.tab("Follow-ups").rows
    return {r[11]: r for r in rows[1:]}


def person(name, opt_in="yes", birthday="", phone="020 7946 0001"):
    return [name, f"{name.split()[0].lower()}@example.com", phone, opt_in, birthday]


def test_thank_a_new_customer_after_their_first_order():
    mem = book([person("Ada Lovelace"), person("Old Timer")],
               [["A-1", TODAY - D(3), "ada@example.com", 40, "paid", "Teapot"],
                ["B-1", TODAY - D(400), "old@example.com", 10, "paid", "Tea"],
                ["B-2", TODAY - D(2), "old@example.com", 10, "paid", "Tea"]])
    tasks = follow_ups(mem)
    thank = [r for k, r in tasks.items() if k.startswith("thank|")]
    assert [r[5] for r in thank] == ["Thank Ada Lovelace for their first order"]
    assert thank[0][0] == TODAY - D(2) and "Teapot, 40.00 GBP" in thank[0][6]


def test_feedback_once_per_order_after_n_days():
    mem = book([person("Ada Lovelace")],
               [["A-1", TODAY - D(14), "ada@example.com", 40, "paid", "Teapot"],
                ["A-2", TODAY - D(5), "ada@example.com", 40, "paid", "Cups"],
                ["A-3", TODAY - D(200), "ada@example.com", 40, "paid", "Old"],
                ["A-4", TODAY - D(16), "ada@example.com", 40, "refunded", "Gone"]])
    keys = [k for k in follow_ups(mem) if k.startswith("feedback|")]
    assert keys == ["feedback|C00001|order:A-1"]


def _regular(email, start, every, n, amount):
    return [[f"{email}-{k}", start + D(every * k), email, amount, "paid", "Gift hamper"]
            for k in range(n)]


def test_win_back_a_valuable_overdue_customer_who_opted_in():
    people = [person("Big Spender"), person("Quiet Spender", opt_in="no")] + [
        person(f"Small{k} Buyer") for k in range(8)]
    orders = _regular("big@example.com", TODAY - D(500), 30, 10, 80)
    orders += _regular("quiet@example.com", TODAY - D(500), 30, 10, 80)
    for k in range(8):
        orders += _regular(f"small{k}@example.com", TODAY - D(40 + k), 10, 2, 5)
    tasks = follow_ups(book(people, orders))
    win = [r for k, r in tasks.items() if k.startswith("win-back|")]
    assert [r[2] for r in win] == ["Big Spender"], "only the one who opted in"
    assert win[0][5] == "Win back Big Spender: no order for 230 days"
    assert "Usually ordered every 30 days" in win[0][6] and "Gift hamper" in win[0][6]
    assert "800.00 GBP in 10 orders" in win[0][6]


def test_unresolved_complaint_priority_rises():
    mem = book([person("Ada Lovelace"), person("Bob Stone")], interactions=[
        [TODAY - D(4), "ada@example.com", "complaint", "Lid chipped", "no"],
        [TODAY - D(4), "bob@example.com", "question", "Organic?", ""],
        [TODAY - D(10), "bob@example.com", "question", "Delivery?", "no"],
        [TODAY - D(10), "ada@example.com", "question", "Answered", "yes"],
        [TODAY - D(1), "ada@example.com", "complaint", "Too new", "no"]])
    reply = {r[5]: r[1] for k, r in follow_ups(mem).items() if k.startswith("reply|")}
    assert reply == {"Answer Ada Lovelace complaint: Lid chipped": "high",
                     "Answer Bob Stone question: Organic?": "medium",
                     "Answer Bob Stone question: Delivery?": "high"}


def test_data_problems_that_need_a_person_unless_ignored():
    mem = book([person("Ada Lovelace"), ["No Way", "", "", "yes", ""]],
               [["Z-1", TODAY - D(2), "stranger@example.com", 10, "paid", "Tea"]])
    data = {k: r for k, r in follow_ups(mem).items() if k.startswith("data|")}
    assert set(data) == {"data|C00002|contact-unreachable", "data|Z-1|order-no-contact"}
    issues = mem.book.tab("Issues")
    for row in issues.rows[1:]:
        if row[7] == "order-no-contact":
            row[0] = "ignore"
    data = {k: r for k, r in follow_ups(mem).items() if k.startswith("data|")}
    assert data["data|Z-1|order-no-contact"][7] == "closed", "ignored: no longer a task"
    assert data["data|C00002|contact-unreachable"][7] == "open"


def test_birthdays_only_for_those_who_opted_in():
    soon = dt.date(1980, 7, 4)
    mem = book([person("Ada Lovelace", birthday=soon), person("Bob Stone", "no", soon),
                person("Cy Later", birthday=dt.date(1980, 9, 1))])
    dates = {k: r for k, r in follow_ups(mem).items() if k.startswith("dates|")}
    assert list(dates) == ["dates|C00001|birthday:2025"]
    assert dates["dates|C00001|birthday:2025"][5] == "Send Ada Lovelace a birthday card"


def test_rules_can_be_switched_off():
    mem = book([person("Ada Lovelace")],
               [["A-1", TODAY - D(14), "ada@example.com", 40, "paid", "Teapot"]],
               settings=[["Rules switched off", "feedback, thank"]])
    assert not follow_ups(mem)


def test_lifecycle_closed_dismissed_done_and_nothing_deleted():
    interactions = [[TODAY - D(5), "ada@example.com", "complaint", "Lid chipped", "no"],
                    [TODAY - D(6), "ada@example.com", "question", "Organic?", "no"]]
    mem = book([person("Ada Lovelace")], interactions=interactions)
    tasks = follow_ups(mem)
    complaint = next(k for k in tasks if "complaint" in k)
    question = next(k for k in tasks if "question" in k)
    follow = mem.book.tab("Follow-ups")
    for row in follow.rows[1:]:
        if row[11] == question:
            row[7] = "dismissed"
    # The complaint gets resolved: its task is closed, with a note, not dropped.
    mem.book.tab("Interactions").rows[1][4] = "yes"
    tasks = follow_ups(mem, TODAY + D(1))
    assert tasks[complaint][7] == "closed"
    assert "the reason for it went away" in tasks[complaint][8]
    assert tasks[question][7] == "dismissed", "a dismissed task is not opened again"
    assert tasks[question][10] == TODAY + D(1)
    # After "Done tasks kept (days)" (30) both move to Done; neither comes back.
    later = TODAY + D(40)
    tasks = follow_ups(mem, later)
    assert complaint not in tasks and question not in tasks
    done = {r[11]: r for r in mem.book.tab("Done").rows[1:]}
    assert set(done) == {complaint, question}
    writes = mem.writes
    assert sync(mem, later).plan.empty and mem.writes == writes


def test_owner_edits_survive_sorting_and_two_syncs(tmp_path):
    path = tmp_path / "shop.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Email", "Phone"])
    ws.append(["Ada Lovelace", "ada@example.com", "+44 20 7946 0001"])
    ws.append(["Bob Stone", "bob@example.com", "+44 20 7946 0002"])
    orders = wb.create_sheet("Orders")
    orders.append(["Order #", "Order date", "Customer email", "Amount", "Product"])
    orders.append(["A-1", TODAY - D(14), "ada@example.com", 40, "Teapot"])
    orders.append(["B-1", TODAY - D(15), "bob@example.com", 20, "Tea"])
    wb.save(path)
    assert run_cli("sync", path, "--as-of", TODAY.isoformat()).exit_code == 0

    wb = load_workbook(path)
    ws = wb["Follow-ups"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    for r in rows:
        if r[11] == "feedback|C00001|order:A-1":
            r[7], r[8], r[9] = "done", "Loved it", "Sam"
        if r[11] == "thank|C00002|first:B-1":
            r[0], r[9] = dt.datetime(2025, 7, 9), "Jo"
    rows.sort(key=lambda r: str(r[5]), reverse=True)  # the owner sorts by task
    rows.append([dt.datetime(2025, 7, 1), "high", "Ada Lovelace", "", "", "Call about wholesale",
                 "my own idea", "open", "", "Sam", None, None])
    ws.delete_rows(2, ws.max_row)
    for r in rows:
        ws.append(r)
    wb.save(path)

    for _ in range(2):
        assert run_cli("sync", path, "--as-of", TODAY.isoformat()).exit_code == 0
    after = {r[11] or r[5]: r for r in values(path, "Follow-ups")[1:]}
    done = after["feedback|C00001|order:A-1"]
    assert (done[7], done[8], done[9]) == ("done", "Loved it", "Sam")
    assert done[10].date() == TODAY
    thank = after["thank|C00002|first:B-1"]
    assert (thank[0].date(), thank[9]) == (dt.date(2025, 7, 9), "Jo")
    own = after["Call about wholesale"]
    assert (own[6], own[9]) == ("my own idea", "Sam")
    before = path.read_bytes()
    result = run_cli("sync", path, "--as-of", TODAY.isoformat())
    assert "nothing changed" in result.output and path.read_bytes() == before

    listed = json.loads(run_cli("tasks", path, "--as-of", TODAY.isoformat(), "--json").output)
    keys = {t["key"] for t in listed}
    assert "feedback|C00001|order:A-1" not in keys  # done
    assert "thank|C00002|first:B-1" not in keys  # its Due was moved to July 9
    text = run_cli("tasks", path, "--as-of", "2025-07-10").output
    assert "Thank Bob Stone for their first order" in text


def test_an_owner_tab_called_done_is_left_alone_until_one_is_needed():
    mem = book([person("Ada Lovelace")],
               [["A-1", TODAY - D(14), "ada@example.com", 40, "paid", "Teapot"]])
    mem.book.put(Tab("Done", [["Jobs I finished"], ["Painted the shop"]]))
    follow_ups(mem)
    assert mem.book.tab("Done").rows == [["Jobs I finished"], ["Painted the shop"]]


def test_snoozed_task_comes_back_on_its_date():
    from crmsheets.tasks import is_open

    row = [TODAY, "low", "Ada", "", "", "Call", "", "snoozed until 2025-07-10", "", "", "", "k"]
    assert not is_open(row, TODAY)
    assert is_open(row, dt.date(2025, 7, 10))
    row[7] = "Done"
    assert not is_open(row, dt.date(2025, 7, 10))
