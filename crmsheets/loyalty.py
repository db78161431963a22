"""Loyalty: per-contact RFM scores, segments, purchase-model figures, and the business
figures of the Loyalty tab. Pure: arrays in, rows out.

Which orders count: those with a date, an amount, a known contact, the book's currency,
and a status among Settings' "Statuses that count" (a blank status counts too: many
books have no status column). Orders on the same day by the same contact are one
purchase for the purchase model, as in the published models.

Scores (identical customers always get identical scores):
- R: days since the last order, in five tie-aware bins of the customers (5 = most recent).
- F: number of orders, fixed thresholds: 1 -> 1, 2 -> 2, 3 -> 3, 4-5 -> 4, 6 or more -> 5.
- M: total spent, in five tie-aware bins (5 = most).
A customer's bin is 1 + 5 x (share of customers who are worse, counting ties as half),
so that a group of equal customers sits in the middle of the places it shares.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import clv
from .records import Contact, Order
from .settings import Settings

F_THRESHOLDS = (1, 2, 3, 4, 6)  # orders needed for F = 1..5

# Segment by (R, F): every one of the 25 cells has exactly one segment.
SEGMENTS = {
    "Champions": {(5, 4), (5, 5), (4, 5)},
    "Loyal": {(4, 4), (3, 4), (3, 5)},
    "Potential loyalist": {(5, 2), (5, 3), (4, 2), (4, 3)},
    "New": {(5, 1)},
    "Promising": {(4, 1)},
    "Need attention": {(3, 3)},
    "About to sleep": {(3, 1), (3, 2)},
    "At risk": {(2, 3), (2, 4), (1, 3), (1, 4)},
    "Can't lose them": {(2, 5), (1, 5)},
    "Hibernating": {(2, 1), (2, 2)},
    "Lost": {(1, 1), (1, 2)},
}
SEGMENT_OF = {cell: name for name, cells in SEGMENTS.items() for cell in cells}
AT_RISK = ("Can't lose them", "At risk", "About to sleep")


@dataclass
class CustomerFigures:
    """Per customer with at least one counted order, in the order of `crm_ids`."""

    crm_ids: list[str]
    first: list[dt.date]
    last: list[dt.date]
    orders: np.ndarray
    total: np.ndarray
    recency_days: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    segment: list[str]
    score: np.ndarray
    p_active: np.ndarray  # nan where the model cannot tell (one purchase) or is not fitted
    expected_purchases: np.ndarray  # nan when the model is not fitted
    expected_value: np.ndarray  # nan when the model is not fitted


@dataclass
class Counted:
    """The orders that count, and the same as arrays (customer index, day, amount)."""

    orders: list[Order]
    crm_ids: list[str]  # sorted; customer index -> CRM ID
    customer: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    currency: str
    excluded: Counter


@dataclass
class Loyalty:
    customers: CustomerFigures
    model: clv.BGNBD | None
    spend_model: clv.GammaGamma | None
    model_note: str
    counted: Counted


def counted_orders(orders: list[Order], settings: Settings) -> Counted:
    """One pass over the orders (a book can hold hundreds of thousands)."""
    statuses = {w.strip().lower() for w in str(settings["Statuses that count"]).split(",")
                if w.strip()}
    currency = settings["Currency"]
    if not currency:
        currencies = Counter(o.currency for o in orders if o.currency)
        currency = currencies.most_common(1)[0][0] if currencies else ""
    kept, excluded = [], Counter()
    index: dict[str, int] = {}
    customer, day, amount = [], [], []
    for o in orders:
        if o.date is None or o.amount is None or not o.crm_id:
            excluded["incomplete (see Issues)"] += 1
        elif o.status and o.status not in statuses:
            excluded[f"status {o.status}"] += 1
        elif o.currency and currency and o.currency != currency:
            excluded[f"in {o.currency}, not {currency}"] += 1
        else:
            kept.append(o)
            customer.append(index.setdefault(o.crm_id, len(index)))
            day.append(o.date.toordinal())
            amount.append(float(o.amount))
    ids = sorted(index)
    remap = np.empty(len(ids), int)
    for i, cid in enumerate(ids):
        remap[index[cid]] = i
    return Counted(kept, ids, remap[np.array(customer, int)], np.array(day, int),
                   np.array(amount, float), currency, excluded)


def tie_aware_bins(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """1..5 by the share of customers who are worse (ties count half)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, int)
    v = values if higher_is_better else -values
    order = np.sort(v)
    below = np.searchsorted(order, v, side="left")
    equal = np.searchsorted(order, v, side="right") - below
    share = (below + 0.5 * equal) / n
    return np.minimum(5, 1 + np.floor(5 * share).astype(int))


def f_scores(orders: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(F_THRESHOLDS), orders, side="right")


def compute(contacts: list[Contact], orders: list[Order], settings: Settings,
            as_of: dt.date) -> Loyalty:
    c = counted_orders(orders, settings)
    ids, cust, day, amount = c.crm_ids, c.customer, c.day, c.amount
    n = len(ids)
    today = as_of.toordinal()

    orders_n = np.bincount(cust, minlength=n)
    total = np.bincount(cust, weights=amount, minlength=n)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, cust, day)
    np.maximum.at(last, cust, day)

    # Purchases: same-day orders merged.
    key = cust.astype(np.int64) * 10_000_000 + day
    ukey, inverse = np.unique(key, return_inverse=True)
    p_cust = ukey // 10_000_000
    p_day = ukey % 10_000_000
    p_amount = np.bincount(inverse, weights=amount)
    purchases = np.bincount(p_cust, minlength=n)
    first_spend = np.zeros(n)
    is_first = p_day == first[p_cust]
    first_spend[p_cust[is_first]] = p_amount[is_first]
    x = (purchases - 1).astype(float)
    repeat_spend = np.bincount(p_cust, weights=p_amount, minlength=n) - first_spend
    mean_repeat = np.divide(repeat_spend, x, out=np.zeros(n), where=x > 0)
    t_x = (last - first) / 7.0
    T = (today - first) / 7.0

    recency = today - last
    r = tie_aware_bins(recency.astype(float), higher_is_better=False)
    f = f_scores(orders_n)
    m = tie_aware_bins(total, higher_is_better=True)
    segment = [SEGMENT_OF[(int(a), int(b))] for a, b in zip(r, f, strict=True)]
    score = np.round((r + f + m - 3) / 12 * 100).astype(int)

    model, spend_model, note = _fit(x, t_x, T, mean_repeat)
    nan = np.full(n, np.nan)
    p_active, expected, value = nan, nan.copy(), nan.copy()
    if model is not None:
        horizon = settings["Purchase horizon (days)"] / 7.0
        p_active = np.where(x > 0, model.p_alive(x, t_x, T), np.nan)
        expected = model.expected_purchases(horizon, x, t_x, T)
        yearly = settings["Yearly discount rate (%)"] / 100.0
        monthly = (1 + yearly) ** (1 / 12) - 1
        months = settings["Value horizon (months)"]
        per_purchase = (spend_model.expected_spend(x, mean_repeat) if spend_model
                        else total / np.maximum(orders_n, 1))
        value = clv.clv(model, per_purchase, x, t_x, T, months, monthly)
    figures = CustomerFigures(
        ids, [dt.date.fromordinal(int(d)) for d in first],
        [dt.date.fromordinal(int(d)) for d in last], orders_n, total, recency, r, f, m,
        segment, score, p_active, expected, value)
    return Loyalty(figures, model, spend_model, note, c)


def _fit(x, t_x, T, mean_repeat) -> tuple[clv.BGNBD | None, clv.GammaGamma | None, str]:
    n, repeaters = len(x), int((x > 0).sum())
    if n < clv.MIN_CUSTOMERS or repeaters < clv.MIN_REPEAT_BUYERS:
        return None, None, (
            f"Too few customers to fit the purchase model ({n} customers, {repeaters} who "
            f"bought more than once; it needs {clv.MIN_CUSTOMERS} and "
            f"{clv.MIN_REPEAT_BUYERS}). P(active), expected purchases and expected value are "
            "left empty; the R/F/M scores and segments still apply.")
    model = clv.fit_bgnbd(x, t_x, T)
    sane = np.isfinite(model.loglik) and all(
        1e-4 < v < 1e4 for v in (model.r, model.alpha, model.a, model.b))
    if not sane:
        return None, None, (
            "The purchase model could not be fitted reliably to these orders, so P(active), "
            "expected purchases and expected value are left empty; the R/F/M scores and "
            "segments still apply.")
    note = (f"Purchase model (BG/NBD) fitted on {n:,} customers: r = {model.r:.3f}, "
            f"alpha = {model.alpha:.3f}, a = {model.a:.3f}, b = {model.b:.3f}, "
            f"log-likelihood = {model.loglik:.1f}.")
    spend = clv.fit_gamma_gamma(x, mean_repeat)
    if not (1.0 < spend.q < 1e4 and 0 < spend.p < 1e4 and 0 < spend.gamma < 1e6):
        return model, None, note + (" The spend model could not be fitted: expected value "
                                    "uses each customer's average order.")
    note += (f" Spend model (Gamma-Gamma) on {repeaters:,} repeat buyers: p = {spend.p:.2f}, "
             f"q = {spend.q:.2f}, gamma = {spend.gamma:.2f}.")
    return model, spend, note
