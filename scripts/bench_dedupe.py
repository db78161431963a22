"""One duplicate-finding measurement, run by scripts/bench in a fresh process:

    python scripts/bench_dedupe.py KIND DATA

KIND: crmsheets | recordlinkage (the baseline) | crmsheets-households-on (the household
guard kept on whatever the book shows, to measure what lifting it changes)
DATA: dataset1..dataset3 (Febrl deduplication), link (Febrl 4a/4b), medium | hell
(dupehell CRM contacts, 10k), synthetic-N (a shop's contact list of N rows).
Prints one JSON line: precision, recall, F1 (pairwise), blocking recall, pairs compared,
seconds (matching only, data loading excluded), peak memory (the process's own high-water mark).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dedupe_data as dd  # noqa: E402
from peak_memory import peak  # noqa: E402

from crmsheets.dedupe import match  # noqa: E402

DUPEHELL_SEED = 7  # the weights were set on other seeds (42, 3)


def load(data: str):
    """(people, truth, cross) where cross splits the two files of a linkage."""
    if data.startswith("dataset"):
        people, truth = dd.febrl(data)
        return people, truth, None
    if data == "link":
        a, ta = dd.febrl("dataset4a")
        b, tb = dd.febrl("dataset4b", offset=len(a))
        return a + b, ta + tb, len(a)
    if data in ("medium", "hell"):
        people, truth = dd.dupehell(10000, data, DUPEHELL_SEED, Path(tempfile.mkdtemp()))
        return people, truth, None
    n = int(data.split("-")[1])
    rows, truth = dd.synthetic_contacts(n, seed=n)
    return rows, [str(t) for t in truth], None


def people_of_rows(rows):
    return [match.person(i, name=r[0], email=r[1], phone=r[2], company=r[3], address=r[4],
                         city=r[5], postcode=r[6], region="GB") for i, r in enumerate(rows)]


def run_crmsheets(data: str, households: bool | None = None) -> dict:
    match.HOUSEHOLDS = households
    people, truth, cross = load(data)
    t0 = time.perf_counter()
    if data.startswith("synthetic"):
        people = people_of_rows(people)  # building the normal forms is part of the job
    match.forget_uninformative(people)  # as find_groups does before it blocks
    pairs = match.candidate_pairs(people)
    t1 = time.perf_counter()
    apart = match.households_apart(people)
    groups = match.find_groups(people, pairs=pairs, households=apart)
    seconds = time.perf_counter() - t0
    true = dd.true_pairs(truth, cross)
    found = dd.found_pairs(groups, cross)
    p, r, f = dd.prf(found, true)
    blocked = sum(1 for pr in pairs if pr in true) / len(true) if true else 1.0
    extra = {}
    if data in ("medium", "hell"):
        # dupehell's hard negatives: other people given a record's name, email and company
        hn = {i for i, t in enumerate(truth) if t.startswith("HN")}
        keep = {pr for pr in found if not (set(pr) & hn)}
        extra["f1_without_hard_negatives"] = dd.prf(keep, true)[2]
    return {**extra, "households_apart": apart, "precision": p, "recall": r, "f1": f,
            "blocking_recall": blocked, "pairs": len(pairs), "pairs_per_second": len(pairs) / (seconds - (t1 - t0) + 1e-9),
            "records": len(people), "seconds": seconds}


def run_recordlinkage(data: str) -> dict:
    """The recordlinkage toolkit as its documentation sets it up: several blocking
    passes, string and exact comparisons, and the unsupervised ECM classifier."""
    import pandas as pd
    import recordlinkage as rl

    people, truth, cross = load(data)
    if data.startswith("synthetic"):
        people = people_of_rows(people)
    df = pd.DataFrame([{"first": p.first, "last": p.last, "email": p.email,
                        "phone": p.phones[0] if p.phones else "", "company": p.company,
                        "number": p.number, "street": p.street, "address2": p.address2,
                        "city": p.city, "postcode": p.postcode, "state": p.state,
                        "country": p.country, "title": p.title, "profile": p.profile,
                        "dob": p.dob} for p in people])
    t0 = time.perf_counter()
    index = rl.Index()
    for col in ("first", "last", "dob", "postcode", "email", "phone", "city", "profile"):
        if (df[col] != "").any():
            index.add(rl.index.Block(col))
    if cross is None:
        candidates = index.index(df)
    else:
        candidates = index.index(df.iloc[:cross], df.iloc[cross:])
    cmp = rl.Compare()
    for col in ("first", "last", "street", "city", "company", "address2"):
        cmp.string(col, col, method="jarowinkler", threshold=0.85, label=col)
    # the same fields crmsheets is given (country, job title and LinkedIn profile too)
    for col in ("email", "phone", "number", "postcode", "state", "country", "title",
                "profile", "dob"):
        cmp.exact(col, col, label=col)
    if cross is None:
        features = cmp.compute(candidates, df)
    else:
        features = cmp.compute(candidates, df.iloc[:cross], df.iloc[cross:])
    # Columns that are empty everywhere carry nothing and upset the ECM fit.
    features = features.loc[:, features.sum() > 0]
    ecm = rl.ECMClassifier(binarize=0.5)
    matches = ecm.fit_predict(features)
    seconds = time.perf_counter() - t0
    # Row labels are positions in df (the second file's keep theirs after the first's).
    found = {(min(a, b), max(a, b)) for a, b in matches}
    true = dd.true_pairs(truth, cross)
    cand = {(min(a, b), max(a, b)) for a, b in candidates}
    p, r, f = dd.prf(found, true)
    return {"precision": p, "recall": r, "f1": f,
            "blocking_recall": len(cand & true) / len(true) if true else 1.0,
            "pairs": len(candidates), "records": len(people), "seconds": seconds}


def main() -> None:
    kind, data = sys.argv[1], sys.argv[2]
    if kind == "crmsheets":
        out = run_crmsheets(data)
    elif kind == "crmsheets-households-on":
        out = run_crmsheets(data, households=True)
    else:
        out = run_recordlinkage(data)
    out["peak"] = peak()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
