"""Loyalty: the published CDNOW figures, RFM rules on hand-made cases, the small-shop
fallback, and the owned columns and Loyalty tab as a user reads them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest
from conftest import SHARED, run_cli, values
from openpyxl import Workbook

from crmsheets import clv, loyalty
from crmsheets.records import Contact, Order
from crmsheets.schema import LOYALTY_COLUMNS
from crmsheets.settings import Settings

CDNOW = SHARED / "data" / "cdnow" / "CDNOW_sample.txt"
needs_cdnow = pytest.mark.skipif(not CDNOW.exists(), reason=f"{CDNOW} is absent: the CDNOW "
                                 "data lives in ../shared/data/cdnow beside the project")
CAL_END = dt.date(1997, 9, 30)


def cdnow_rows() -> list[tuple[str, dt.date, float]]:
    out = []
    for line in CDNOW.read_text().splitlines():
        cid, _, day, _, amount = line.split()
        out.append((cid, dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), float(amount)))
    return out


def cdnow_histories():
    by_customer = defaultdict(lambda: defaultdict(float))
    for cid, day, amount in cdnow_rows():
        by_customer[cid][day] += amount  # same-day purchases are one transaction
    x, t_x, T, first, spend = [], [], [], [], []
    for days in by_customer.values():
        ordered = sorted(d for d in days if d <= CAL_END)
        start = ordered[0]
        x.append(len(ordered) - 1)
        t_x.append((ordered[-1] - start).days / 7)
        T.append((CAL_END - start).days / 7)
        first.append((start - dt.date(1997, 1, 1)).days / 7)
        repeats = [days[d] for d in ordered[1:]]
        spend.append(np.mean(repeats) if repeats else 0.0)
    return (np.array(v, float) for v in (x, t_x, T, first, spend))


@needs_cdnow
def test_cdnow_models_reproduce_the_published_figures():
    x, t_x, T, first, spend = cdnow_histories()
    assert (len(x), int(x.sum()), int((x == 0).sum())) == (2357, 2457, 1411)
    model = clv.fit_bgnbd(x, t_x, T)
    assert (round(model.r, 3), round(model.alpha, 3), round(model.a, 3), round(model.b, 3)) == \
        (0.243, 4.414, 0.793, 2.426)
    assert round(model.loglik, 1) == -9582.4
    week78 = model.expected_cumulative(78 - first).sum()
    assert abs(week78 - 4166) / 4166 < 0.01
    spend_model = clv.fit_gamma_gamma(x, spend)
    assert int((x > 0).sum()) == 946
    assert (round(spend_model.p, 2), round(spend_model.q, 2), round(spend_model.gamma, 2)) == \
        (6.25, 3.74, 15.44)


@needs_cdnow
def test_sync_as_of_reproduces_the_calibration_model_from_a_book(tmp_path):
    rows = cdnow_rows()
    path = tmp_path / "cdnow.xlsx"
    wb = Workbook(write_only=True)
    contacts = wb.create_sheet("Contacts")
    contacts.append(["Name", "Email"])
    for cid in sorted({r[0] for r in rows}):
        contacts.append([f"Customer {cid}", f"c{cid}@example.com"])
    orders = wb.create_sheet("Orders")
    orders.append(["Order date", "Customer", "Amount"])
    for cid, day, amount in rows:
        orders.append([day, f"Customer {cid}", amount])
    wb.save(path)
    result = run_cli("sync", path, "--as-of", "1997-09-30")
    assert result.exit_code == 0, result.output
    model = next(r for r in values(path, "Loyalty") if r[0] == "Purchase model")
    assert model[1] == "fitted"
    assert ("r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood = -9582.4"
            in model[2])
    assert "on 946 repeat buyers: p = 6.25, q = 3.74, gamma = 15.44" in model[2]
    customers = next(r for r in values(path, "Loyalty") if r[0] == "Customers")
    assert customers[1] == 2357  # orders after the as-of date are ignored, not the people


# ---- RFM on hand-made cases -------------------------------------------------------------

def test_every_rf_cell_has_exactly_one_segment():
    cells = [c for cs in loyalty.SEGMENTS.values() for c in cs]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]
    assert len(loyalty.SEGMENTS) == 11


def test_identical_customers_get_identical_scores():
    totals = np.array([10.0, 10.0, 10.0, 50.0, 5.0, 10.0])
    m = loyalty.tie_aware_bins(totals, higher_is_better=True)
    assert len({m[0], m[1], m[2], m[5]}) == 1
    assert m[3] == 5 and m[4] == 1
    assert list(loyalty.tie_aware_bins(np.full(7, 3.0), True)) == [3] * 7
    assert list(loyalty.f_scores(np.array([1, 1, 2, 3, 4, 5, 6, 40]))) == [1, 1, 2, 3, 4, 4, 5, 5]


def _contacts(n: int) -> list[Contact]:
    return [Contact(i + 2, f"C{i + 1:05d}", f"Person {i}", "", "") for i in range(n)]


def _order(cid: str, day: dt.date, amount: float, status: str = "paid") -> Order:
    return Order(0, "", day, cid, Decimal(str(amount)), "", status)


def test_refunds_one_time_buyers_and_no_orders():
    today = dt.date(2025, 6, 1)
    people = _contacts(3)
    orders = [
        _order("C00001", dt.date(2025, 5, 1), 20), _order("C00001", dt.date(2025, 5, 1), 5),
        _order("C00001", dt.date(2025, 5, 20), 30),
        _order("C00002", dt.date(2024, 1, 1), 40), _order("C00002", dt.date(2024, 2, 1), 99,
                                                          "refunded"),
    ]
    loy = loyalty.compute(people, orders, Settings(), today)
    c = loy.customers
    assert c.crm_ids == ["C00001", "C00002"]  # C00003 has no orders: no scores
    assert list(c.orders) == [3, 1] and list(c.total) == [55.0, 40.0]
    assert loy.counted.excluded == {"status refunded": 1}
    assert c.recency_days[1] == (today - dt.date(2024, 1, 1)).days
    assert loy.model is None and "Too few customers" in loy.model_note
    assert np.isnan(c.p_active).all() and np.isnan(c.expected_value).all()


def test_one_time_buyer_is_not_called_active_by_the_model():
    # Customers who behave as the model says: each buys at a rate of their own and, after
    # any purchase, may stop for good.
    rng = np.random.default_rng(3)
    people = _contacts(600)
    orders = []
    start, end = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
    for p in people:
        rate, stop = rng.gamma(0.8, 1 / 0.1), rng.beta(1.0, 3.0)  # per week
        day = start + dt.timedelta(days=int(rng.integers(0, 300)))
        while day <= end:
            orders.append(_order(p.crm_id, day, 20))
            if rng.random() < stop:
                break
            day += dt.timedelta(days=1 + int(rng.exponential(7 / rate)))
    loy = loyalty.compute(people, orders, Settings(), end)
    c = loy.customers
    assert loy.model is not None, loy.model_note
    once = c.orders == 1
    assert once.any() and np.isnan(c.p_active[once]).all()
    assert (c.p_active[~once] < 1).all() and (c.expected_purchases >= 0).all()


def test_small_shop_falls_back_and_says_so(tmp_path):
    path = tmp_path / "small.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Email"])
    for i in range(30):
        ws.append([f"Person {i}", f"p{i}@example.com"])
    orders = wb.create_sheet("Orders")
    orders.append(["Order date", "Customer email", "Amount", "Status"])
    for k in range(80):
        orders.append([dt.date(2025, 1, 1) + dt.timedelta(days=4 * k), f"p{k % 30}@example.com",
                       10 + k, "cancelled" if k == 5 else "paid"])
    wb.save(path)
    assert run_cli("sync", path, "--as-of", "2025-12-31").exit_code == 0
    tab = {r[0]: r for r in values(path, "Loyalty")}
    assert tab["Purchase model"][1] == "not fitted"
    assert tab["Purchase model"][2].startswith("Too few customers to fit the purchase model "
                                               "(30 customers")
    assert tab["Customers"][1] == 30 and tab["Counted orders"][1] == 79
    header = values(path, "Contacts")[0]
    assert header[2:] == ["CRM ID", *LOYALTY_COLUMNS]
    rows = values(path, "Contacts")[1:]
    segment, p_active = header.index("CRM segment"), header.index("CRM P(active)")
    assert all(r[segment] for r in rows) and all(r[p_active] is None for r in rows)
    before = path.read_bytes()
    again = run_cli("sync", path, "--as-of", "2025-12-31")
    assert "nothing changed" in again.output and path.read_bytes() == before


def test_loyalty_columns_update_in_place(tmp_path):
    path = tmp_path / "shop.xlsx"
    run_cli("init", path, "--sample", "--as-of", "2026-11-22")
    run_cli("sync", path, "--as-of", "2026-11-22")
    header = values(path, "Contacts")[0]
    later = run_cli("sync", path, "--as-of", "2026-12-22")
    assert "add" not in later.output.split("wrote:")[1].split("\n")[0]
    assert values(path, "Contacts")[0] == header, "no column was added twice"
    days = header.index("CRM days since last order")
    grown = [r[days] for r in values(path, "Contacts")[1:] if r[days] is not None]
    assert grown and min(grown) >= 30


def test_fit_on_a_sample_recovers_the_parameters_of_a_large_base():
    """Books over MAX_FIT_CUSTOMERS are fitted on a random sample: it must still find
    the parameters the customers were drawn from."""
    rng = np.random.default_rng(0)
    n = 2 * clv.MAX_FIT_CUSTOMERS
    lam, p, T = rng.gamma(0.5, 1 / 5, n), rng.beta(1, 3, n), rng.uniform(1, 150, n)
    x, t_x, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    for _ in range(60):
        t = t + rng.exponential(1 / np.maximum(lam, 1e-9))
        buy = alive & (t < T)
        x[buy] += 1
        t_x[buy] = t[buy]
        alive &= buy & ~(rng.random(n) < p)
    model = clv.fit_bgnbd(x, t_x, T)
    for got, true in ((model.r, 0.5), (model.alpha, 5), (model.a, 1), (model.b, 3)):
        assert abs(got - true) / true < 0.1
