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
            state=g["state_code"], country=g["country_code"], region="US"))
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
