"""Customer-lifetime models: BG/NBD (how many purchases, still active?) and Gamma-Gamma
(how much per purchase), fitted by maximum likelihood with numpy and scipy.

References: Fader, Hardie & Lee (2005) "Counting Your Customers the Easy Way: An
Alternative to the Pareto/NBD Model"; Fader, Hardie & Lee (2005) "RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis". Time is in weeks (days / 7).

Inputs per customer: x, the number of repeat transactions (purchases after the first,
same-day purchases merged); t_x, the time of the last purchase since the first; T, the
time from the first purchase to the end of the period. All arrays: a million customers
fit and score in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

# A fit needs enough customers, and enough repeat buyers, to say anything.
MIN_CUSTOMERS = 50
MIN_REPEAT_BUYERS = 20


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float

    def p_alive(self, x, t_x, T):
        """P(still active | history). 1 for customers with no repeat purchase: the model
        cannot tell, and callers must not call such a customer active from it alone."""
        x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
        ratio = np.exp((self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x)))
        odds = np.where(x > 0, self.a / np.maximum(self.b + x - 1, 1e-12) * ratio, 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, t, x, t_x, T):
        """Expected purchases in the next t weeks, given each customer's history."""
        return self.expected_purchases_by(np.atleast_1d(t), x, t_x, T)[0]

    def expected_purchases_by(self, horizons, x, t_x, T) -> np.ndarray:
        """expected_purchases for several horizons at once: one row per horizon."""
        x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        # hyp2f1 is the slow part, and it depends on (x, T) only: compute it once per
        # distinct pair (T in whole days), not once per customer.
        _, first, inverse = np.unique(x * 1e6 + np.round(T * 7), return_index=True,
                                      return_inverse=True)
        ux, uT = x[first], T[first]
        alive = self.p_alive(x, t_x, T)
        head = (a + b + x - 1) / (a - 1)
        out = np.empty((len(horizons), len(x)))
        for i, t in enumerate(horizons):
            f = hyp2f1(r + ux, b + ux, a + b + ux - 1, t / (alpha + uT + t))[inverse]
            tail = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * f
            out[i] = head * tail * alive
        return out

    def expected_cumulative(self, t):
        """E[X(t)]: expected repeat purchases of a new customer within t weeks."""
        t = np.asarray(t, float)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(
            r, b, a + b - 1, t / (alpha + t)))


class _History:
    """Customers' histories prepared for the likelihood: what depends only on x is kept
    per distinct x (a few dozen values), the rest per customer."""

    def __init__(self, x, t_x, T):
        self.x, self.t_x, self.T, self.n = x, t_x, T, len(x)
        self.ux, ix = np.unique(x, return_inverse=True)
        self.count_x = np.bincount(ix)  # customers per distinct x
        self.repeat = x > 0
        self.bx1 = np.where(self.repeat, x - 1, 0.0)  # b + x - 1 is only used where x > 0


def _bgnbd_nll_grad(params, h: _History):
    """Negative log-likelihood and its gradient in log-parameters (Fader et al. 2005,
    equation 6): an analytic gradient makes the fit a few dozen evaluations."""
    r, alpha, a, b = np.exp(params)
    ux, wx = h.ux, h.count_x
    # Terms that depend on x only.
    ll_x = (gammaln(r + ux) - gammaln(r) + gammaln(a + b) + gammaln(b + ux) - gammaln(b)
            - gammaln(a + b + ux))
    d_r_x = digamma(r + ux) - digamma(r)
    d_ab = digamma(a + b) - digamma(a + b + ux)
    d_b_x = d_ab + digamma(b + ux) - digamma(b)
    # Terms per customer.
    log_aT, log_atx = np.log(alpha + h.T), np.log(alpha + h.t_x)
    rx = r + h.x
    a3 = -rx * log_aT
    a4 = np.where(h.repeat, np.log(a) - np.log(b + h.bx1) - rx * log_atx, -np.inf)
    top = np.logaddexp(a3, a4)
    w3, w4 = np.exp(a3 - top), np.exp(a4 - top)
    ll = np.dot(wx, ll_x) + r * np.log(alpha) * h.n + top.sum()
    g_r = np.dot(wx, d_r_x) + np.log(alpha) * h.n - np.sum(w3 * log_aT + w4 * log_atx)
    g_alpha = r / alpha * h.n - np.sum(rx * (w3 / (alpha + h.T) + w4 / (alpha + h.t_x)))
    g_a = np.dot(wx, d_ab) + w4.sum() / a
    g_b = np.dot(wx, d_b_x) - np.sum(w4 / (b + h.bx1))
    grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
    return -ll, -grad


# Fits use at most this many customers, drawn at random (with a fixed seed): four
# parameters are pinned down long before that, and scoring still covers everyone.
MAX_FIT_CUSTOMERS = 50_000


def fit_bgnbd(x, t_x, T) -> BGNBD:
    """Maximum-likelihood fit of BG/NBD. Returns loglik nan when it did not converge."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    if len(x) > MAX_FIT_CUSTOMERS:
        pick = np.random.default_rng(0).choice(len(x), MAX_FIT_CUSTOMERS, replace=False)
        x, t_x, T = x[pick], t_x[pick], T[pick]
    h = _History(x, t_x, T)
    result = minimize(_bgnbd_nll_grad, np.zeros(4), args=(h,), jac=True, method="L-BFGS-B",
                      bounds=[(-12, 12)] * 4)
    r, alpha, a, b = np.exp(result.x)
    return BGNBD(r, alpha, a, b, -result.fun if result.success else float("nan"))


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    def expected_spend(self, x, mean_spend):
        """Expected value of a future purchase, shrunk from the customer's own average
        towards the population's by how few purchases it rests on."""
        x, m = np.asarray(x, float), np.asarray(mean_spend, float)
        population = self.p * self.gamma / (self.q - 1)
        own = (self.gamma + x * m) * self.p / (self.p * x + self.q - 1)
        return np.where(x > 0, own, population)


def _gg_nll_grad(params, x, m):
    """Negative log-likelihood of Gamma-Gamma and its gradient in log-parameters."""
    p, q, v = np.exp(params)
    px, xm_v = p * x, x * m + v
    ll = np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
                + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(xm_v))
    dig = digamma(px + q)
    g_p = np.sum(x * (dig - digamma(px) + np.log(m) + np.log(x) - np.log(xm_v)))
    g_q = np.sum(dig - digamma(q) + np.log(v) - np.log(xm_v))
    g_v = np.sum(q / v - (px + q) / xm_v)
    return -ll, -np.array([g_p * p, g_q * q, g_v * v])


def fit_gamma_gamma(x, mean_spend) -> GammaGamma:
    """Fit on repeat buyers: x >= 1 purchases averaging mean_spend > 0."""
    x, m = np.asarray(x, float), np.asarray(mean_spend, float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) > MAX_FIT_CUSTOMERS:
        pick = np.random.default_rng(0).choice(len(x), MAX_FIT_CUSTOMERS, replace=False)
        x, m = x[pick], m[pick]
    result = minimize(_gg_nll_grad, np.zeros(3), args=(x, m), jac=True, method="L-BFGS-B",
                      bounds=[(-10, 10)] * 3)
    return GammaGamma(*np.exp(result.x))


def clv(model: BGNBD, value_per_purchase, x, t_x, T, months: int, monthly_discount: float):
    """Expected value over the next `months`, discounted month by month: expected
    purchases per month times the value of a purchase (GammaGamma.expected_spend)."""
    weeks = np.arange(1, months + 1) * (52.0 / 12.0)
    cumulative = model.expected_purchases_by(weeks, x, t_x, T)
    per_month = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1 + monthly_discount) ** -np.arange(1, months + 1)
    return np.asarray(value_per_purchase, float) * (discount @ per_month)
