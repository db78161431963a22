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
from scipy.special import gammaln, hyp2f1

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
        x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(
            r + x, b + x, a + b + x - 1, z)
        return head * tail * self.p_alive(x, t_x, T)

    def expected_cumulative(self, t):
        """E[X(t)]: expected repeat purchases of a new customer within t weeks."""
        t = np.asarray(t, float)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(
            r, b, a + b - 1, t / (alpha + t)))


def _bgnbd_nll(params, x, t_x, T, weights):
    r, alpha, a, b = np.exp(params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12))
                  - (r + x) * np.log(alpha + t_x), -np.inf)
    return -np.dot(weights, a1 + a2 + np.logaddexp(a3, a4))


def fit_bgnbd(x, t_x, T) -> BGNBD:
    """Maximum-likelihood fit. Customers with the same (x, t_x, T) are fitted once, with
    a weight: a million customers have far fewer distinct histories."""
    data = np.column_stack([np.asarray(v, float) for v in (x, t_x, T)])
    uniq, counts = np.unique(data, axis=0, return_counts=True)
    ux, ut, uT = uniq.T
    result = minimize(_bgnbd_nll, np.zeros(4), args=(ux, ut, uT, counts.astype(float)),
                      method="L-BFGS-B", bounds=[(-10, 10)] * 4)
    r, alpha, a, b = np.exp(result.x)
    return BGNBD(r, alpha, a, b, -result.fun) if result.success else BGNBD(
        r, alpha, a, b, float("nan"))


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


def _gg_nll(params, x, m):
    p, q, v = np.exp(params)
    return -np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
                   + (p * x - 1) * np.log(m) + (p * x) * np.log(x)
                   - (p * x + q) * np.log(x * m + v))


def fit_gamma_gamma(x, mean_spend) -> GammaGamma:
    """Fit on repeat buyers: x >= 1 purchases averaging mean_spend > 0."""
    x, m = np.asarray(x, float), np.asarray(mean_spend, float)
    keep = (x > 0) & (m > 0)
    result = minimize(_gg_nll, np.zeros(3), args=(x[keep], m[keep]), method="L-BFGS-B",
                      bounds=[(-10, 10)] * 3)
    return GammaGamma(*np.exp(result.x))


def clv(model: BGNBD, spend: GammaGamma, x, t_x, T, mean_spend, months: int,
        monthly_discount: float):
    """Expected value over the next `months`, discounted month by month."""
    total = np.zeros(len(np.atleast_1d(x)))
    weeks_per_month = 52.0 / 12.0
    value = spend.expected_spend(x, mean_spend)
    previous = 0.0
    for month in range(1, months + 1):
        cumulative = model.expected_purchases(month * weeks_per_month, x, t_x, T)
        total += (cumulative - previous) * value / (1 + monthly_discount) ** month
        previous = cumulative
    return total
