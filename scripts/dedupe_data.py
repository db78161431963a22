"""Benchmark data for duplicate finding: Febrl (from ../shared/data/febrl) and dupehell
(generated), as crmsheets Person records with their truth, and pairwise scoring."""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from pathlib import Path

from crmsheets.dedupe import match

FEBRL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "febrl"


def febrl(name: str, offset: int = 0) -> tuple[list[match.Person], list[str]]:
    """People from one Febrl file (soc_sec_id left out) and each one's entity key."""
    people, truth = [], []
    with open(FEBRL / f"{name}.csv", newline="") as f:
        rows = csv.reader(f, skipinitialspace=True)
        header = [h.strip() for h in next(rows)]
        for row in rows:
            r = dict(zip(header, (c.strip() for c in row), strict=True))
            people.append(match.person(
                offset + len(people), first=r["given_name"], last=r["surname"],
                number=r["street_number"], address=r["address_1"], address2=r["address_2"],
                city=r["suburb"], postcode=r["postcode"], state=r["state"],
                dob=r["date_of_birth"]))
            truth.append(r["rec_id"].split("-")[1])
    return people, truth


def dupehell(size: int, difficulty: str, seed: int, folder: Path):
    import dupehell as dh
    import pyarrow.parquet as pq

    res = dh.generate("crm", size, seed=seed, difficulty=difficulty, output_dir=str(folder),
                      only_entity="contact")
    table = pq.read_table(res.dataset).to_pylist()
    people, truth = [], []
    for r in table:
        g = {k: (v if isinstance(v, str) else "") for k, v in r.items()}
        people.append(match.person(
            len(people), first=g["first_name"], last=g["last_name"], email=g["email"],
            phone=g["phone"], company=g["company_name"], city=g["city"],
            state=g["state_code"], country=g["country_code"], title=g["job_title"],
            profile=g["linkedin_url"], region="US"))
        truth.append(r["master_id"])
    return people, truth


def true_pairs(truth: list[str], cross: int | None = None) -> set[tuple[int, int]]:
    by = defaultdict(list)
    for i, t in enumerate(truth):
        by[t].append(i)
    out = set()
    for ids in by.values():
        for a, b in itertools.combinations(ids, 2):
            if cross is None or (a < cross) != (b < cross):
                out.add((a, b))
    return out


def found_pairs(groups, cross: int | None = None) -> set[tuple[int, int]]:
    out = set()
    for g in groups:
        for a, b in itertools.combinations(sorted(g.members), 2):
            if cross is None or (a < cross) != (b < cross):
                out.add((a, b))
    return out


def prf(found: set, true: set) -> tuple[float, float, float]:
    tp = len(found & true)
    p = tp / len(found) if found else 1.0
    r = tp / len(true) if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# ---- a shop's contact list, with duplicates typed the way owners type them -----------

_DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com", "btinternet.com",
            "hotmail.co.uk", "proton.me"]
_STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Road",
            "Green Lane", "Manor Road", "Park Avenue", "Kings Road", "Queens Street",
            "Orchard Close", "London Road", "North Street", "School Lane", "The Crescent"]
_NICK = {"robert": "bob", "william": "bill", "elizabeth": "liz", "margaret": "maggie",
         "thomas": "tom", "james": "jim", "katherine": "kate", "michael": "mike",
         "jennifer": "jen", "richard": "rick", "joseph": "joe", "susan": "sue"}


def _census(part: str, limit: int) -> tuple[list[str], list[float]]:
    from importlib.resources import files

    names, weights = [], []
    for line in files("names").joinpath(part).read_text().splitlines()[:limit]:
        bits = line.split()
        names.append(bits[0].title())
        weights.append(float(bits[1]) + 0.001)
    return names, weights


def synthetic_contacts(n: int, seed: int = 0, dup_rate: float = 0.04):
    """n contact rows [Name, Email, Phone, Company, Address, City, Postcode] and the
    entity each belongs to. About dup_rate of them are another row typed again: surname
    first, a nickname, a typo, the email in capitals or with a +tag, the phone as +44."""
    import random

    rnd = random.Random(seed)
    female, fw = _census("dist.female.first", 3000)
    male, mw = _census("dist.male.first", 1000)
    last, lw = _census("dist.all.last", 20000)
    cities = [f"{rnd.choice(last)}{rnd.choice(['ton', 'ford', 'bury', 'ham', 'by'])}"
              for _ in range(400)]
    companies = [f"{rnd.choice(last)} {rnd.choice(['Ltd', 'and Sons', 'Bakery', 'Studio'])}"
                 for _ in range(max(50, n // 20))]
    rows, truth = [], []
    originals = int(n / (1 + dup_rate))
    fcum, mcum, lcum = _cum(fw), _cum(mw), _cum(lw)
    used: set[str] = set()
    for i in range(originals):
        first = rnd.choices(female, cum_weights=fcum)[0] if rnd.random() < 0.5 \
            else rnd.choices(male, cum_weights=mcum)[0]
        sur = rnd.choices(last, cum_weights=lcum)[0]
        email = f"{first.lower()}.{sur.lower()}{rnd.randint(1, 999) if rnd.random() < 0.6 else ''}" \
                f"@{rnd.choice(_DOMAINS)}"
        while email in used:  # an address belongs to one person
            email = email.replace("@", f"{rnd.randint(0, 9)}@")
        used.add(email)
        phone = f"07{rnd.randint(100000000, 999999999)}" if rnd.random() < 0.85 else ""
        phone = f"{phone[:5]} {phone[5:]}" if phone else ""
        city = rnd.choice(cities)
        postcode = f"{city[:2].upper()}{rnd.randint(1, 20)} {rnd.randint(1, 9)}" \
                   f"{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}{rnd.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        rows.append([f"{first} {sur}", email, phone,
                     rnd.choice(companies) if rnd.random() < 0.3 else "",
                     f"{rnd.randint(1, 200)} {rnd.choice(_STREETS)}", city, postcode])
        truth.append(i)
    while len(rows) < n:
        k = rnd.randrange(originals)
        name, email, phone, company, address, city, postcode = rows[k]
        first, _, sur = name.partition(" ")
        how = rnd.randrange(4)
        if how == 0:
            name = f"{sur}, {first}"
        elif how == 1 and first.lower() in _NICK:
            name = f"{_NICK[first.lower()].title()} {sur}"
        elif len(sur) > 3:
            i = rnd.randrange(1, len(sur) - 1)
            name = f"{first} {sur[:i]}{sur[i + 1]}{sur[i]}{sur[i + 2:]}"
        email = rnd.choice([email.upper(), email.replace("@", "+shop@"), "", email])
        phone = rnd.choice([("+44 " + phone[1:]) if phone else "", phone, ""])
        if not email and not phone:
            postcode = postcode.replace(" ", "")
        rows.append([name, email, phone, company, address.replace(" Road", " Rd"), city,
                     postcode])
        truth.append(k)
    return rows, truth


def _cum(weights: list[float]) -> list[float]:
    import itertools

    return list(itertools.accumulate(weights))
