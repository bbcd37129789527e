"""Posterior of the number of wrong labels in a stratified sample: exact, and by Monte Carlo.

Stratum ``h`` holds ``N_h`` items; ``n_h`` were reviewed at random and ``k_h`` of them had
a wrong given label. With a Beta(a, b) prior (``prior=(a, b)``; uniform Beta(1, 1) by
default), the stratum's error rate has the posterior Beta(k_h + a, n_h - k_h + b), and the
number of wrong labels among its ``N_h - n_h`` unreviewed items is Binomial(N_h - n_h,
rate) under it: a beta-binomial(N_h - n_h, k_h + a, n_h - k_h + b). The dataset's number of wrong labels
is ``sum_h k_h + (that)``, the strata being independent. (Weighting each stratum's rate
by its share ``N_h / N`` of the items is the same sum.)

Two ways to get its distribution:

- **exact** (:func:`total_errors_pmf`): the beta-binomial probability mass functions of
  the strata convolved; no Monte Carlo error;
- **Monte Carlo** (:func:`error_draws`): seeded draws of each stratum's rate and then of
  its unreviewed errors; the check of the exact route (``tests/audit/test_review.py``).

**Reviewers who err** (:func:`noisy_total_errors_pmf`). A reviewer flags an item whose
given label is correct with probability ``e0`` (a false flag) and confirms a wrong given
label with probability ``e1`` (a miss); ``e0 = e1 = eps`` is the symmetric model. Then
``k_h`` counts *flags*, not errors: each reviewed item is flagged with probability
``r = p (1 - e1) + (1 - p) e0`` (``p`` the stratum's error rate), so the likelihood of ``p``
is ``r^k (1 - r)^(n - k)``. Given ``p``, a flagged item is wrong with probability
``p (1 - e1) / r`` and an unflagged one with ``p e1 / (1 - r)``, and the unreviewed items
hold Binomial(N_h - n_h, p) errors; the stratum's number of wrong labels is the sum of
those three binomials. Its posterior is that sum's distribution mixed over the posterior
of ``p``, computed on a grid: ``p`` is placed at the midpoints of ``n_grid`` equal slices of
its posterior (from a fine logit-spaced grid of the prior times the likelihood), and the
mixture of the sums is evaluated through characteristic functions (one inverse FFT,
on ``0 .. M``, ``M`` 12 standard deviations past the largest grid point's binomial, so
that nothing of note wraps round). With ``e0 = e1 = 0`` it
reduces to the beta-binomial above (a test compares the two).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PosteriorInterval", "equal_tailed_ends", "error_draws", "draws_summary",
           "flag_rate_grid", "noisy_total_errors_pmf",
           "pmf_summary", "rate_posterior_grid", "reviewer_error_pair",
           "total_errors_pmf"]

#: Default per-stratum prior on the error rate: Beta(a, b).
DEFAULT_PRIOR = (1.0, 1.0)
#: Points of the posterior of a stratum's rate in :func:`noisy_total_errors_pmf`.
N_GRID = 256


@dataclass(frozen=True)
class PosteriorInterval:
    """A posterior mean with its credible interval ``[low, high]`` (a rate or a count;
    ``count=True`` prints it as whole items, a rate as a percentage)."""

    estimate: float
    low: float
    high: float
    confidence: float
    count: bool = field(default=False, compare=False)

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high,
                "confidence": self.confidence}

    def format(self, fmt: str = "{:.2%}") -> str:
        pct = round(self.confidence * 100)
        return (f"{fmt.format(self.estimate)} ({pct}% interval {fmt.format(self.low)} - "
                f"{fmt.format(self.high)})")

    def __str__(self) -> str:
        return self.format("{:.0f}" if self.count else "{:.2%}")


def _prior(prior) -> tuple[float, float]:
    a, b = (float(v) for v in (DEFAULT_PRIOR if prior is None else prior))
    return a, b


def _readonly(x: np.ndarray) -> np.ndarray:
    x.setflags(write=False)
    return x


def _stratum_pmf(N: int, n: int, k: int, prior=None) -> np.ndarray:
    """pmf over ``0 .. N - n`` of the wrong labels among a stratum's unreviewed items."""
    return _stratum_pmf_cached(int(N), int(n), int(k), _prior(prior))


@functools.lru_cache(maxsize=512)
def _stratum_pmf_cached(N: int, n: int, k: int, ab: tuple[float, float]) -> np.ndarray:
    # cached (read-only): simulations and per-class tables ask for the same strata again
    from scipy.stats import betabinom

    rest = N - n
    if rest == 0:
        return _readonly(np.ones(1))
    a, b = k + ab[0], n - k + ab[1]
    if a <= 0 or b <= 0:  # a prior with a = 0 (or b = 0) and no error (no right label) seen:
        out = np.zeros(rest + 1)  # the posterior is all at rate 0 (rate 1)
        out[0 if a <= 0 else rest] = 1.0
        return _readonly(out)
    return _readonly(betabinom.pmf(np.arange(rest + 1), rest, a, b))


def _convolve_all(parts) -> np.ndarray:
    from scipy.signal import fftconvolve

    pmf = np.ones(1)
    for part in parts:
        if len(pmf) * len(part) <= 4_000_000:
            pmf = np.convolve(pmf, part)
        else:
            pmf = np.clip(fftconvolve(pmf, part), 0.0, None)
        pmf /= pmf.sum()
    return pmf


def total_errors_pmf(n_items, n_reviewed, n_errors, prior=None) -> np.ndarray:
    """Exact posterior pmf (length ``sum N_h + 1``) of the number of wrong labels in all strata.

    Entry ``x`` is the posterior probability that exactly ``x`` items of the
    ``sum N_h`` have a wrong given label (see the module docstring); ``prior=(a, b)`` is
    each stratum's Beta prior on its error rate (default uniform, (1, 1)).
    """
    N, n, k = (np.asarray(a, dtype=np.int64) for a in (n_items, n_reviewed, n_errors))
    pmf = _convolve_all(_stratum_pmf(int(N[h]), int(n[h]), int(k[h]), prior)
                        for h in range(len(N)))
    return np.concatenate([np.zeros(int(k.sum())), pmf])


def rate_posterior_grid(n: int, k: int, e0: float, e1: float, prior=None,
                        n_grid: int = N_GRID) -> np.ndarray:
    """``n_grid`` equally weighted points of the posterior of a stratum's error rate ``p``.

    ``k`` of ``n`` reviewed items were flagged by reviewers who flag a correct label with
    probability ``e0`` and confirm a wrong one with probability ``e1``; the posterior
    density is proportional to ``prior(p) r^k (1 - r)^(n - k)``, ``r = p (1 - e1) + (1 - p)
    e0``. It is evaluated on 2**15 logit-spaced points in [1e-12, 1 - 1e-12], and point
    ``g`` is its quantile ``(g + 1/2) / n_grid`` (interpolated).
    """
    a, b = _prior(prior)
    u = np.linspace(-27.6, 27.6, 2 ** 15)
    p = 1.0 / (1.0 + np.exp(-u))
    q = 1.0 - p
    r = p * (1.0 - e1) + q * e0
    with np.errstate(divide="ignore"):
        logw = ((a - 1.0) * np.log(p) + (b - 1.0) * np.log(q) + k * np.log(r)
                + (n - k) * np.log1p(-r) + np.log(p) + np.log(q))  # dp = p (1 - p) du
    w = np.exp(logw - logw.max())
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    return np.interp((np.arange(n_grid) + 0.5) / n_grid, cdf, p)


def flag_rate_grid(n: int, k: int, e0: float, e1: float, prior,
                   n_grid: int = N_GRID, gate: float | None = None) -> np.ndarray:
    """``n_grid`` equally weighted points of a stratum's error rate ``p`` read off its
    *flag rate* ``r``: ``r`` takes the quantiles ``(g + 1/2) / n_grid`` of Beta(k + a,
    n - k + b) (``prior=(a, b)`` on ``r`` over [0, 1]; ``a = 0`` with no flag, or ``b = 0``
    with every item flagged, puts ``r`` at 0 or 1) and ``p = (r - e0) / (1 - e0 - e1)``,
    clipped to [0, 1] (``r`` below ``e0``: fewer flags than correct labels alone give).

    With ``prior=(0, 1)`` and ``(1, 0)`` the lower and upper ends of ``r``'s equal-tailed
    interval are Clopper-Pearson's, whose interval holds the true flag rate in at least
    its nominal share of samples; ``p`` being an increasing map of ``r``, the mapped ends
    hold ``p`` as often. These are the brackets of the ``"clopper-pearson"`` interval with
    erring reviewers (:mod:`dataqa.audit.review`).

    ``gate`` (a level such as 0.975), with ``a = 0``: a stratum with no more flags than
    the ``gate`` quantile of Binomial(n, e0), which correct labels alone give, is placed
    at ``p = 0``, as a stratum whose exact reviews found no error is (``e0 = 0``: no flag);
    :mod:`dataqa.audit.review` shares the interval's tail out among the strata (``1 -
    (1 - confidence) / (2 H)`` for ``H`` strata).
    Without it, such a stratum's rate spreads above 0 about half the time, and the lower
    end of a sum of strata rose above the truth in up to 9% of simulated reviews (digits
    with 0.5% of labels wrong; 1-4% with it).
    """
    from scipy.stats import beta, binom

    if gate is not None and float(prior[0]) == 0 and k <= binom.ppf(gate, n, e0):
        return np.zeros(n_grid)
    a, b = k + float(prior[0]), n - k + float(prior[1])
    q = (np.arange(n_grid) + 0.5) / n_grid
    r = np.zeros(n_grid) if a <= 0 else np.ones(n_grid) if b <= 0 else beta.ppf(q, a, b)
    return np.clip((r - e0) / (1.0 - e0 - e1), 0.0, 1.0)


@functools.lru_cache(maxsize=2048)  # (simulations: several intervals of the same strata)
def _noisy_stratum_pmf(N: int, n: int, k: int, e0: float, e1: float, prior,
                       n_grid: int, on_flags: bool = False,
                       gate: float | None = None) -> np.ndarray:
    """pmf over ``0 .. M`` (``M <= N``; beyond: nothing of note) of the wrong labels of a
    stratum (reviewed and not) under erring reviewers (see the module docstring); cached
    and read-only. ``on_flags``: the prior is on the flag rate (:func:`flag_rate_grid`)."""
    p = (flag_rate_grid(n, k, e0, e1, prior, n_grid, gate) if on_flags else
         rate_posterior_grid(n, k, e0, e1, prior, n_grid))[:, None]
    r = p * (1.0 - e1) + (1.0 - p) * e0
    a1 = np.where(r > 0, p * (1.0 - e1) / np.where(r > 0, r, 1.0), 0.0)
    a0 = np.where(r < 1, p * e1 / np.where(r < 1, 1.0 - r, 1.0), 0.0)
    # the pmf is computed on 0 .. size - 1, past the mixture's mass (the binomial of the
    # largest grid rate, 12 sd out): the circular transform then wraps nothing of note
    pm = float(p[-1, 0])
    top = n + (N - n) * pm + 12.0 * math.sqrt((N - n) * pm * (1.0 - pm)) + 20.0
    size = int(min(N + 1, math.ceil(top) + 1))
    z = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)[None, :]
    logphi = np.zeros((len(p), z.shape[1]), dtype=np.complex128)
    for m, q in ((k, a1), (n - k, a0), (N - n, p)):
        if m:
            logphi += m * np.log((1.0 - q) + q * z)
    phi = np.exp(logphi).mean(axis=0)
    pmf = np.clip(np.fft.irfft(phi, n=size), 0.0, None)
    return _readonly(pmf / pmf.sum())


def noisy_total_errors_pmf(n_items, n_reviewed, n_flags, reviewer_error, prior=None,
                           n_grid: int = N_GRID, on_flags: bool = False,
                           gate: float | None = None) -> np.ndarray:
    """Posterior pmf (length ``sum N_h + 1``) of the number of wrong labels when reviewers err.

    ``n_flags[h]`` of the ``n_reviewed[h]`` reviewed items of stratum ``h`` were judged
    wrong by reviewers who err: ``reviewer_error`` is ``eps`` (a correct label flagged,
    and a wrong one confirmed, each with probability ``eps``) or a pair ``(e0, e1)`` (a
    correct label flagged with probability ``e0``, a wrong one confirmed with ``e1``);
    ``prior=(a, b)`` is each stratum's Beta prior on its error rate. Computed on a grid
    of ``n_grid`` points of each stratum's rate posterior (see the module docstring).
    ``on_flags``: ``prior`` is each stratum's Beta prior on its flag rate instead
    (:func:`flag_rate_grid`, with its ``gate``; ``a`` or ``b`` may then be 0).
    """
    e0, e1 = reviewer_error_pair(reviewer_error)
    ab = tuple(float(v) for v in prior) if on_flags else _prior(prior)
    N, n, k = (np.asarray(a, dtype=np.int64) for a in (n_items, n_reviewed, n_flags))
    pmf = _convolve_all(_noisy_stratum_pmf(int(N[h]), int(n[h]), int(k[h]), e0, e1, ab,
                                           int(n_grid), bool(on_flags), gate)
                        for h in range(len(N)))
    return np.concatenate([pmf, np.zeros(int(N.sum()) + 1 - len(pmf))])


def reviewer_error_pair(reviewer_error) -> tuple[float, float]:
    """``(e0, e1)`` of a reviewer-error setting: ``eps`` (both) or a pair; each in [0, 0.5)."""
    from dataqa.errors import InvalidSettingError

    if isinstance(reviewer_error, (tuple, list, np.ndarray)):
        vals = list(reviewer_error)
    else:
        vals = [reviewer_error, reviewer_error]
    if len(vals) != 2:
        raise InvalidSettingError(
            f"reviewer_error={reviewer_error!r} must be one rate eps or a pair (e0, e1): the "
            f"chance a reviewer flags a correct label and confirms a wrong one.")
    out = []
    for v in vals:
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = float("nan")
        if isinstance(v, bool) or not 0.0 <= f < 0.5:
            raise InvalidSettingError(
                f"reviewer_error={reviewer_error!r}: each rate must be in [0, 0.5) (the chance "
                f"a reviewer errs on an item; 0 = exact reviewers, 0.5 = coin flips, which "
                f"tell nothing), not {v!r}.")
        out.append(f)
    return out[0], out[1]


def equal_tailed_ends(pmf: np.ndarray, confidence: float) -> tuple[float, float]:
    """The smallest values of a pmf over ``0, 1, ..`` whose cumulative probability reaches
    ``(1 - confidence) / 2`` and ``1 - (1 - confidence) / 2`` (each tail outside holds at
    most that much)."""
    tail = (1.0 - confidence) / 2.0
    cdf = np.cumsum(pmf)
    return (float(np.searchsorted(cdf, tail - 1e-12)),
            float(min(np.searchsorted(cdf, 1.0 - tail - 1e-12), len(pmf) - 1)))


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
        lo, hi = equal_tailed_ends(pmf, confidence)
    return PosteriorInterval(mean / scale, min(lo, mean) / scale, max(hi, mean) / scale,
                             confidence)


def error_draws(n_items, n_reviewed, n_errors, n_draws: int,
                rng: np.random.Generator, prior=None) -> np.ndarray:
    """Monte Carlo draws (n_draws, H) of the number of wrong labels in each stratum."""
    a, b = _prior(prior)
    N, n, k = (np.asarray(v, dtype=np.int64) for v in (n_items, n_reviewed, n_errors))
    out = np.empty((int(n_draws), len(N)), dtype=np.float64)
    for h in range(len(N)):
        rest = int(N[h] - n[h])
        if rest == 0:
            out[:, h] = k[h]
            continue
        rate = rng.beta(k[h] + a, n[h] - k[h] + b, size=int(n_draws))
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
