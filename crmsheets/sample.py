"""The starter template and the made-up shop of `crmsheets init --sample`.

The sample is deterministic (a fixed seed) and ends on the day it is made, so every
stage has something to show: a few hundred customers, a few thousand orders over three
years, some duplicate people, and a handful of rows with the mistakes owners make.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .settings import SETTINGS


def template(name: str) -> dict[str, Any]:
    return json.loads(resources.files("crmsheets.templates").joinpath(name).read_text("utf-8"))


@dataclass
class TabSpec:
    name: str
    headers: list[str]
    widths: list[float]
    choices: dict[int, list[str]] = field(default_factory=dict)  # 0-based column -> values
    formats: dict[int, str] = field(default_factory=dict)  # 0-based column -> date/money
    rows: list[list[Any]] = field(default_factory=list)


def starter(sample: bool = False) -> list[TabSpec]:
    spec = template("starter.json")
    tabs = []
    for t in spec["tabs"]:
        cols = t["columns"]
        tabs.append(TabSpec(
            t["name"], [c["header"] for c in cols], [c["width"] for c in cols],
            {i: c["choices"] for i, c in enumerate(cols) if "choices" in c},
            {i: c["format"] for i, c in enumerate(cols) if "format" in c}))
    s = spec["settings"]
    values = s["sample_values"] if sample else s["values"]
    rows = [[x.key, values.get(x.key, x.default), x.help] for x in SETTINGS]
    tabs.append(TabSpec("Settings", s["header"], s["widths"], rows=rows))
    return tabs


def sample_book(end: dt.date, customers: int = 300, seed: int = 7) -> list[TabSpec]:
    """The starter tabs filled with a made-up tea merchant's customers and orders."""
    tabs = {t.name: t for t in starter(sample=True)}
    data = template("sample.json")
    rnd = random.Random(seed)
    start = end - dt.timedelta(days=3 * 365)
    people = []
    used_emails: set[str] = set()
    for _ in range(customers):
        first, last = rnd.choice(data["first_names"]), rnd.choice(data["last_names"])
        base = f"{first}.{last}".lower().replace("'", "").replace("ü", "u")
        email = f"{base}@{rnd.choice(data['email_domains'])}"
        while email in used_emails:
            email = f"{base}{rnd.randint(2, 99)}@{rnd.choice(data['email_domains'])}"
        used_emails.add(email)
        city, postcode = rnd.choice(data["cities"])
        # Ofcom's ranges kept for drama: real-looking numbers that ring nobody.
        area = rnd.choice(["020 7946 0", "0113 496 0", "0161 496 0", "0117 496 0"])
        phone = f"{area}{rnd.randint(0, 999):03d}"
        joined = start + dt.timedelta(days=rnd.randint(0, 3 * 365 - 30))
        people.append({
            "name": f"{first} {last}", "first": first, "last": last, "email": email,
            "phone": phone if rnd.random() < 0.85 else "",
            "company": rnd.choice(data["companies"]),
            "address": f"{rnd.randint(1, 180)} {rnd.choice(data['streets'])}",
            "city": city, "postcode": postcode, "country": "UK",
            "opt_in": rnd.choice(["yes", "yes", "no", ""]),
            "birthday": dt.date(rnd.randint(1950, 2002), rnd.randint(1, 12), rnd.randint(1, 28))
            if rnd.random() < 0.4 else "",
            "since": joined, "notes": "",
        })
    contacts = tabs["Contacts"]
    for p in people:
        contacts.rows.append([p["name"], p["email"], p["phone"], p["company"], p["address"],
                              p["city"], p["postcode"], p["country"], p["opt_in"],
                              p["birthday"], p["since"], p["notes"]])
    # Duplicates the way they happen: typed again on another day, a little differently.
    for n, p in enumerate(rnd.sample(people, 12)):
        variant = list(contacts.rows[people.index(p) + 0])
        nick = data["nicknames"].get(p["first"])
        if n % 3 == 0:  # surname first, email in capitals or left out
            variant[0] = f"{p['last']}, {p['first']}"
            variant[1] = p["email"].upper() if rnd.random() < 0.5 else ""
        elif n % 3 == 1:  # a nickname or a typo in the surname, the phone written +44
            last = p["last"]
            i = len(last) // 2
            typo = last[:i - 1] + last[i] + last[i - 1] + last[i + 1:]
            variant[0] = f"{nick} {last}" if nick else f"{p['first']} {typo}"
            variant[1] = ""
            if p["phone"]:
                variant[2] = "+44 " + p["phone"][1:]
        else:  # the email with a +tag, the street abbreviated
            local, _, domain = p["email"].partition("@")
            variant[1] = f"{local}+shop@{domain}"
            variant[4] = variant[4].replace(" Road", " Rd").replace(" Street", " St")
        variant[8] = "no" if p["opt_in"] == "yes" and rnd.random() < 0.5 else variant[8]
        variant[11] = "signed up again at the Christmas market"
        contacts.rows.append(variant)
    # The mistakes owners make, one or two of each.
    bad = contacts.rows
    bad[3][1] = bad[3][1].replace("@", "@gmial.") if "@gmail" in bad[3][1] else "maria@gmial.com"
    bad[8][1] = bad[8][1].split("@")[0] + "@"
    bad[15][1] = bad[15][1].replace(".", " ", 1)
    bad[21][2] = "12345"
    bad[34][2] = "33 1 23 45 67 89"  # a French number without its +
    bad[40][1], bad[40][2] = "", ""
    bad[55][11] = '=HYPERLINK("http://example.com/win","You won a prize")'
    bad[60][0], bad[60][3] = "", ""
    # Orders: most customers buy a few times, some often, many once.
    orders = tabs["Orders"]
    products = data["products"]
    number = 1000
    statuses = ["paid"] * 6 + ["shipped"] * 12 + ["refunded", "cancelled"]
    order_rows = []
    for p in people:
        # Each customer buys at their own pace until, one day, they quietly stop.
        per_year = rnd.choice([1, 2, 4, 6, 10, 16])
        first_day = (p["since"] - start).days
        last_day = min(3 * 365, first_day + int(rnd.expovariate(1 / 900)))
        days = [first_day]
        while days[-1] < last_day:
            days.append(days[-1] + max(1, int(rnd.expovariate(per_year / 365))))
        for offset in days[:-1] if len(days) > 1 else days:
            day = start + dt.timedelta(days=offset)
            item, price = rnd.choice(products)
            qty = rnd.choice([1, 1, 1, 2, 3])
            order_rows.append([day, p["email"], p["name"], round(price * qty, 2), "GBP",
                               rnd.choice(statuses), f"{qty} x {item}" if qty > 1 else item])
    order_rows.sort(key=lambda r: r[0])
    for r in order_rows:
        number += 1
        orders.rows.append([f"HF-{number}", *r])
    o = orders.rows
    o[10][1] = f"03/04/{o[10][1].year}"  # day-first or month-first? Settings leaves it open
    o[20][1] = "31/02/" + str(start.year + 1)
    o[30][4] = "£1,234.50"
    o[31][4] = "12.00 USD"
    o[32][4] = "TBC"
    o[33][4] = -25.0
    o[40][2], o[40][3] = "walk-in@nowhere.example", "Walk-in customer"
    o[50][0] = o[49][0]
    o[60][4] = ""
    # Interactions: questions, complaints and feedback, some still open.
    inter = tabs["Interactions"]
    notes = data["interaction_notes"]
    for _ in range(60):
        p = rnd.choice(people)
        kind = rnd.choice(list(notes))
        day = end - dt.timedelta(days=rnd.randint(0, 400))
        resolved = "yes" if kind not in ("question", "complaint") or rnd.random() < 0.7 else "no"
        inter.rows.append([day, p["email"], p["name"], kind, rnd.choice(notes[kind]), resolved])
    inter.rows.sort(key=lambda r: r[0])
    return list(tabs.values())
