"""Posterior of the number of wrong labels in a stratified sample: exact, and by Monte Carlo.

Stratum ``h`` holds ``N_h`` items; ``n_h`` were reviewed at random and ``k_h`` of them had
a wrong given label. With a uniform Beta(1, 1) prior, the stratum's error rate has the
posterior Beta(k_h + 1, n_h - k_h + 1), and the number of wrong labels among its
``N_h - n_h`` unreviewed items is Binomial(N_h - n_h, rate) under it: a
beta-binomial(N_h - n_h, k_h + 1, n_h - k_h + 1). The dataset's number of wrong labels
is ``sum_h k_h + (that)``, the strata being independent. (Weighting each stratum's rate
by its share ``N_h / N`` of the items is the same sum.)

Two ways to get its distribution:

- **exact** (:func:`total_errors_pmf`): the beta-binomial probability mass functions of
  the strata convolved; no Monte Carlo error;
- **Monte Carlo** (:func:`error_draws`): seeded draws of each stratum's rate and then of
  its unreviewed errors; the check of the exact route (``tests/audit/test_review.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PosteriorInterval", "error_draws", "draws_summary", "pmf_summary",
           "total_errors_pmf"]


@dataclass(frozen=True)
class PosteriorInterval:
    """A posterior mean with its credible interval ``[low, high]`` (a rate or a count)."""

    estimate: float
    low: float
    high: float
    confidence: float

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high,
                "confidence": self.confidence}

    def format(self, fmt: str = "{:.2%}") -> str:
        pct = round(self.confidence * 100)
        return (f"{fmt.format(self.estimate)} ({pct}% interval {fmt.format(self.low)} - "
                f"{fmt.format(self.high)})")

    def __str__(self) -> str:
        return self.format()


def _stratum_pmf(N: int, n: int, k: int) -> np.ndarray:
    """pmf over ``0 .. N - n`` of the wrong labels among a stratum's unreviewed items."""
    from scipy.stats import betabinom

    rest = int(N - n)
    if rest == 0:
        return np.ones(1)
    return betabinom.pmf(np.arange(rest + 1), rest, k + 1.0, n - k + 1.0)


def total_errors_pmf(n_items, n_reviewed, n_errors) -> np.ndarray:
    """Exact posterior pmf (length ``sum N_h + 1``) of the number of wrong labels in all strata.

    Entry ``x`` is the posterior probability that exactly ``x`` items of the
    ``sum N_h`` have a wrong given label (see the module docstring).
    """
    from scipy.signal import fftconvolve

    N, n, k = (np.asarray(a, dtype=np.int64) for a in (n_items, n_reviewed, n_errors))
    pmf = np.ones(1)
    for h in range(len(N)):
        part = _stratum_pmf(int(N[h]), int(n[h]), int(k[h]))
        if len(pmf) * len(part) <= 4_000_000:
            pmf = np.convolve(pmf, part)
        else:
            pmf = np.clip(fftconvolve(pmf, part), 0.0, None)
        pmf /= pmf.sum()
    return np.concatenate([np.zeros(int(k.sum())), pmf])


def pmf_summary(pmf: np.ndarray, confidence: float, kind: str = "equal-tailed", *,
                scale: float = 1.0) -> PosteriorInterval:
    """Mean and credible interval of a pmf over ``0, 1, ..``, divided by ``scale``.

    ``kind="equal-tailed"``: ``low`` is the smallest value whose cumulative probability
    reaches ``(1 - confidence) / 2``, ``high`` the smallest whose cumulative probability
    reaches ``1 - (1 - confidence) / 2`` (each tail outside holds at most that much).
    ``kind="hdi"``: the most probable values, added in order of probability until they
    hold ``confidence``, from the smallest to the largest of them.
    """
    x = np.arange(len(pmf), dtype=np.float64)
    mean = float(np.dot(x, pmf) / pmf.sum())
    if kind == "hdi":
        order = np.argsort(-pmf, kind="stable")
        m = int(np.searchsorted(np.cumsum(pmf[order]), confidence - 1e-12)) + 1
        keep = order[:m]
        lo, hi = float(keep.min()), float(keep.max())
    else:
        tail = (1.0 - confidence) / 2.0
        cdf = np.cumsum(pmf)
        lo = float(np.searchsorted(cdf, tail - 1e-12))
        hi = float(min(np.searchsorted(cdf, 1.0 - tail - 1e-12), len(pmf) - 1))
    return PosteriorInterval(mean / scale, min(lo, mean) / scale, max(hi, mean) / scale,
                             confidence)


def error_draws(n_items, n_reviewed, n_errors, n_draws: int,
                rng: np.random.Generator) -> np.ndarray:
    """Monte Carlo draws (n_draws, H) of the number of wrong labels in each stratum."""
    N, n, k = (np.asarray(a, dtype=np.int64) for a in (n_items, n_reviewed, n_errors))
    out = np.empty((int(n_draws), len(N)), dtype=np.float64)
    for h in range(len(N)):
        rest = int(N[h] - n[h])
        if rest == 0:
            out[:, h] = k[h]
            continue
        rate = rng.beta(k[h] + 1.0, n[h] - k[h] + 1.0, size=int(n_draws))
        out[:, h] = k[h] + rng.binomial(rest, rate)
    return out


def draws_summary(draws: np.ndarray, confidence: float,
                  kind: str = "equal-tailed") -> PosteriorInterval:
    """Mean and credible interval (equal-tailed quantiles, or the shortest window) of draws."""
    if kind == "hdi":
        x = np.sort(draws)
        m = int(math.ceil(confidence * len(x)))
        i = int(np.argmin(x[m - 1:] - x[: len(x) - m + 1]))
        lo, hi = float(x[i]), float(x[i + m - 1])
    else:
        tail = (1.0 - confidence) / 2.0
        lo, hi = (float(v) for v in np.quantile(draws, [tail, 1.0 - tail]))
    est = float(np.mean(draws))
    return PosteriorInterval(est, min(lo, est), max(hi, est), confidence)
