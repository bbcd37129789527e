"""One test per column, chosen by type; effect sizes; multiple-testing corrections.

- numeric columns (not booleans): Kolmogorov-Smirnov (or Cramér-von Mises) test, or a
  binned chi-squared test when the column has at most 20 distinct values (a count,
  a rating: it sees any change in the values' shares, where KS sees only changes of the
  cumulative distribution); effect = Wasserstein-1 distance divided by the reference's standard
  deviation (or the pooled one when larger);
- categorical columns (strings, booleans, few-valued objects): chi-squared test (every
  category of either table its own; categories the reference lacks reported as one
  unseen bucket), with more than :data:`CATEGORICAL_TOP` + 1 values also one on the most
  frequent values plus the rest (the two calibrated as one test); effect = Jensen-Shannon
  distance (base 2, in [0, 1]);
- both get the population stability index (PSI): reference deciles for numbers, the
  categories for categories. Both effects of a categorical column put the values held
  by fewer than :data:`RARE_COUNT` rows of the two tables together in one bucket; with
  more than :data:`CATEGORICAL_TOP` + 1 values they compare the most frequent values
  and the rest, as the second test does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dataqa._validation import check_int
from dataqa.drift import _ties
from dataqa.drift.twosample import (
    PERMUTATION_STOP_HITS,
    _bucket_unseen,
    _chi2_from_counts,
    _chi2_rows,
    _exact_order,
    _ks_from_counts,
    _pooled_categories,
    _same_precision,
    binned_chi2_test,
    cvm_test,
    ks_test,
)
from dataqa.errors import EmptyDataError, InvalidSettingError, UnknownNameError

__all__ = ["NUMERIC_TESTS", "MAX_DISCRETE_VALUES", "CORRECTIONS", "RARE_COUNT", "CATEGORICAL_TOP",
           "COLUMN_SPLITS", "adjust_p_values",
           "column_kind", "normalized_wasserstein", "jensen_shannon", "excess_jensen_shannon", "EXCESS_SPLITS",
           "psi_numeric", "psi_categorical",
           "column_test", "missing_share_test"]

#: Tests usable for numeric columns (``"auto"``: ``binned_chi2`` for a column with at
#: most :data:`MAX_DISCRETE_VALUES` distinct values, else ``ks``).
NUMERIC_TESTS = {"auto": None, "ks": ks_test, "cvm": cvm_test, "binned_chi2": binned_chi2_test}

#: Numeric columns with at most this many distinct values (in both tables together) are
#: tested by :func:`~dataqa.drift.twosample.binned_chi2_test` under ``numeric_test="auto"``.
#: The choice was made when KS and Cramér-von Mises used scipy's p-values, which are
#: conservative with ties (a false-alarm rate of about 0.02 at alpha = 0.05 on a
#: five-valued column); both now compute permutation p-values given the tied values, so
#: ``numeric_test="ks"`` keeps its level on such columns too.
MAX_DISCRETE_VALUES = 20

#: Multiple-testing corrections understood by :func:`adjust_p_values`.
CORRECTIONS = ("fdr", "bonferroni", "none")

#: A categorical column with more than this many values plus one is tested twice: every
#: value its own category, and its this-many most frequent values (in the two tables
#: together, so the choice does not depend on which rows fell in which table; only values
#: held by at least :data:`RARE_COUNT` rows) plus one bucket for the rest; the p-value is
#: that of the smaller of the two tests' tail probabilities over random splits of the
#: pooled rows (:func:`_top_min_p`; it was Bonferroni's twice-the-smaller).
#: Counted value by value, a shift in the common values of a column with thousands of
#: rare ones is drowned by the rare values' noise (chosen on simulated Zipf columns in
#: ``benchmarks/drift_categorical.py``, checked on the first words of SMS and YouTube
#: messages).
CATEGORICAL_TOP = 20

#: In a categorical column's effect (Jensen-Shannon) and PSI, values held by fewer than
#: this many rows of the two tables together share one bucket. Without it a column with
#: many rare values (cities, product codes) showed a large effect between two random
#: halves of one table, since each half holds rare values the other lacks. The test is
#: unchanged: it counts every value as its own category.
RARE_COUNT = 5

#: Small count added to empty bins of the PSI (as a proportion), so it stays finite.
PSI_EPS = 1e-4


def adjust_p_values(p_values: Sequence[float], method: str = "fdr") -> np.ndarray:
    """Adjusted p-values: ``"bonferroni"`` (``min(1, m p)``), ``"fdr"`` (Benjamini-Hochberg
    step-up: ``min_{j >= i} m p_(j) / j`` over the sorted p-values) or ``"none"``.

    NaN p-values (columns not tested) stay NaN and do not count in ``m``. Rejecting where
    the adjusted p-value is <= alpha controls the family-wise error rate (Bonferroni) or
    the false discovery rate (BH, for independent or positively dependent tests).
    """
    if method not in CORRECTIONS:
        raise UnknownNameError("correction", str(method), CORRECTIONS)
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    if method == "none":
        out[ok] = q
    elif method == "bonferroni":
        out[ok] = np.minimum(1.0, q * m)
    else:
        order = np.argsort(q, kind="stable")
        scaled = q[order] * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(scaled[::-1])[::-1]
        res = np.empty(m)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    return out


def column_kind(ref: pd.Series, cur: pd.Series) -> str:
    """``"numeric"``, ``"categorical"`` or ``"text"`` for one column of both tables.

    Numeric when numeric (not boolean) in both; text when an object column holds long,
    mostly distinct strings (mean length >= 30 and >= 50% distinct in the reference);
    categorical otherwise. A column numeric in one table and not in the other is
    ``"mixed"`` (the caller refuses it).
    """
    def is_num(s: pd.Series) -> bool:
        return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)

    nr, nc = is_num(ref), is_num(cur)
    if nr != nc:
        # an all-missing column reads as float: judge it by the other table's values
        if (ref if nr else cur).isna().all() and not (cur if nr else ref).isna().all():
            nr = nc = False
        else:
            return "mixed"
    if nr and nc:
        return "numeric"
    vals = ref.dropna() if ref.notna().any() else cur.dropna()
    if len(vals) and (pd.api.types.is_object_dtype(vals) or pd.api.types.is_string_dtype(vals)):
        strs = vals.astype(str)
        if strs.str.len().mean() >= 30 and strs.nunique() >= 0.5 * len(strs):
            return "text"
    return "categorical"


def normalized_wasserstein(x: np.ndarray, y: np.ndarray) -> float:
    """Wasserstein-1 distance between the two samples divided by the larger of the
    reference's and the pooled standard deviation (0 when both are 0).

    Without drift the two deviations agree, so this is the distance in reference
    standard deviations; the pooled one caps the effect of a nearly constant reference
    column that starts to vary (which would otherwise reach the thousands)."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.size == 0 or y.size == 0:
        raise EmptyDataError("normalized_wasserstein needs at least one value in each sample.")
    return _normalized_wasserstein(x, y, *_ties.pooled_counts(x, y))


def _wasserstein(values: np.ndarray, ca: np.ndarray, cb: np.ndarray) -> float:
    """Wasserstein-1 distance of two samples from their per-value counts: the area between
    the two empirical CDFs, which are constant between consecutive pooled values."""
    gap = np.abs(np.cumsum(ca[:-1]) / ca.sum() - np.cumsum(cb[:-1]) / cb.sum())
    return float(np.dot(gap, np.diff(values)))


def _normalized_wasserstein(x: np.ndarray, y: np.ndarray, values: np.ndarray, ca: np.ndarray,
                            cb: np.ndarray) -> float:
    w = _wasserstein(values, ca, cb)
    scale = max(float(np.std(x)), float(np.std(np.r_[x, y])))
    return w / scale if scale > 0 else 0.0


def jensen_shannon(ca: np.ndarray, cb: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two count vectors."""
    p = ca / ca.sum()
    q = cb / cb.sum()
    mid = 0.5 * (p + q)

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / mid[nz])))

    return float(np.sqrt(max(0.0, 0.5 * kl(p) + 0.5 * kl(q))))


#: The category missing values are counted in (see :func:`~dataqa.drift.twosample.category_counts`).
_MISSING = "<NA>"


#: Characters of a value that ``largest_change`` shows (a long text or list is cut).
CHANGE_VALUE_CHARS = 60


def _short(value) -> str:
    """A value as ``largest_change`` shows it: cut after :data:`CHANGE_VALUE_CHARS`."""
    text = str(value)
    return text if len(text) <= CHANGE_VALUE_CHARS else text[:CHANGE_VALUE_CHARS - 3] + "..."


def _percent(share: float) -> str:
    """A share as a percentage with three significant digits (0.0123%, 12.3%, 100%),
    never in exponent form (0.0001%, one row in a million)."""
    return f"{np.format_float_positional(float(f'{100 * share:.3g}'), trim='-')}%"


def _percent_pair(before: float, after: float) -> str:
    """``before -> after`` as percentages of three significant digits, the one with fewer
    decimals given as many as the other (``50.1% -> 50.0%``, not ``50%``), up to its own
    three significant digits; 0 stays ``0%``."""
    import math

    shown = (_percent(before), _percent(after))
    places = max(len(t[:-1].partition(".")[2]) for t in shown)

    def padded(t: str) -> str:
        v = float(t[:-1])
        if v == 0:
            return t
        own = max(0, 2 - math.floor(math.log10(abs(v))))
        return f"{v:.{min(places, own)}f}%"

    return f"{padded(shown[0])} -> {padded(shown[1])}"


#: Random splits behind the noise level of :func:`excess_jensen_shannon` and of a
#: categorical column's PSI (the same splits serve both).
EXCESS_SPLITS = 99


def _split_counts(t: np.ndarray, n: int, size: int, rng):
    """``size`` random splits of the pooled rows (``t[i] > 0`` rows hold value ``i``) into
    ``n`` reference rows and the rest, yielded in batches: each batch's rows are the
    reference's count of every value in one split. Exact (a uniformly random subset of
    the rows, as a permutation draws it) and, drawn as row positions, several times
    faster than a multivariate hypergeometric draw value by value at hundreds of
    thousands of values (400,000 rows of 170,000 values: 3 ms a split against 22 ms);
    with more than 16 rows a value, value by value (1,000,000 rows of 200 values: a
    split by row positions took 7 times as long)."""
    t = np.asarray(t, dtype=np.int64)
    if (t <= 0).any():
        raise ValueError("_split_counts needs pooled counts > 0 (drop the values no row holds).")
    N = int(t.sum())
    batch = max(1, 4_000_000 // max(t.size, 1))  # (32 MB of counts at most)
    if N > 16 * t.size:  # few values for many rows: drawn value by value, as cheap
        for first in range(0, size, batch):
            yield rng.multivariate_hypergeometric(t, n, size=min(batch, size - first))
        return
    starts = np.r_[0, np.cumsum(t)[:-1]]
    take = min(n, N - n)  # (the smaller side drawn: its complement is the other)
    for first in range(0, size, batch):
        out = np.empty((min(batch, size - first), t.size), dtype=np.int64)
        for row in out:
            mask = np.zeros(N, dtype=np.int8)
            mask[rng.choice(N, take, replace=False, shuffle=False)] = 1
            row[:] = np.add.reduceat(mask, starts, dtype=np.int64)
        yield out if take == n else t - out


def _js_divergence_of_splits(t: np.ndarray, n: int):
    """A function giving, for each row of reference counts ``A`` of a split of the pooled
    counts ``t`` into ``n`` and ``sum(t) - n`` rows, the Jensen-Shannon divergence (base 2:
    :func:`jensen_shannon` squared) of ``A`` against ``t - A``. A value's term depends only
    on its pooled count and its reference count, so the terms are tabled once per pooled
    count and each split only looks them up (a column of many rare values holds few
    distinct pooled counts)."""
    from scipy.special import xlogy

    t = np.asarray(t, dtype=np.int64)
    m = int(t.sum()) - n
    sizes, where = np.unique(t, return_inverse=True)
    offset = np.r_[0, np.cumsum(sizes + 1)[:-1]]
    a = np.concatenate([np.arange(c + 1) for c in sizes]).astype(np.float64)
    c = np.repeat(sizes, sizes + 1).astype(np.float64)
    p, q = a / n, (c - a) / m
    mid = 0.5 * (p + q)
    table = 0.5 * (xlogy(p, p) - xlogy(p, mid) + xlogy(q, q) - xlogy(q, mid)) / np.log(2)
    base = offset[where]
    return lambda A: np.maximum(0.0, table[base + A].sum(axis=1))


def _excess_effects(ca: np.ndarray, cb: np.ndarray, *, random_state=0, js: bool = True,
                    js_at_most: float | None = None, psi: bool = True) -> tuple[float, float]:
    """:func:`excess_jensen_shannon` and the excess PSI (:func:`_unseen_psi_rows`) of two
    count vectors, from the same :data:`EXCESS_SPLITS` random splits of the pooled rows
    (each is 0 when not asked for or when its shortcut applies)."""
    ca = np.asarray(ca, dtype=float)
    cb = np.asarray(cb, dtype=float)
    held = (ca + cb) > 0
    ca, cb = ca[held], cb[held]
    t = np.rint(ca + cb).astype(np.int64)
    na = int(round(ca.sum()))
    d = jensen_shannon(ca, cb) if js and ca.size and na and cb.sum() else 0.0
    js = js and not (d == 0.0 or (js_at_most is not None and d <= js_at_most) or ca.size < 2)
    frequent = t >= RARE_COUNT
    # (no rare value: the bucketed PSI says it all)
    psi = psi and not (frequent.all() or na == 0 or cb.sum() == 0)
    if not (js or psi):
        return 0.0, 0.0
    null_js, null_psi = [], []
    divergence = _js_divergence_of_splits(t, na) if js else None
    for A in _split_counts(t, na, EXCESS_SPLITS, np.random.default_rng(random_state)):
        if js:
            null_js.append(divergence(A))
        if psi:
            null_psi.append(_unseen_psi_rows(A, t, frequent))
    excess_js = (float(np.sqrt(max(0.0, d * d - np.quantile(np.concatenate(null_js), 0.95))))
                 if js else 0.0)
    excess_psi = (max(0.0, float(_unseen_psi_rows(np.rint(ca), t, frequent)[0])
                      - float(np.quantile(np.concatenate(null_psi), 0.95)))
                  if psi else 0.0)
    return excess_js, excess_psi


def excess_jensen_shannon(ca: np.ndarray, cb: np.ndarray, *, random_state=0,
                          at_most: float | None = None) -> float:
    """The Jensen-Shannon distance of two count vectors beyond sampling noise:
    ``sqrt(max(0, D - D95))``, where ``D`` is the divergence (base 2, the distance
    squared) and ``D95`` the 95th percentile of ``D`` over :data:`EXCESS_SPLITS` random
    splits of the pooled rows into two tables of the same sizes. Two samples of one law
    read 0 in 95% of draws however many rare values they hold; a real shift reads about
    its distance. Every value counts as itself, however many there are (a column of
    170,000 values: about 2 s). ``at_most``: skip the splits and return 0 when the plain
    distance is no larger (the caller keeps the larger of the two)."""
    return _excess_effects(ca, cb, random_state=random_state, js_at_most=at_most,
                           psi=False)[0]


def _psi(pa: np.ndarray, pb: np.ndarray) -> float:
    pa = np.maximum(pa, PSI_EPS)
    pb = np.maximum(pb, PSI_EPS)
    return float(np.sum((pb - pa) * np.log(pb / pa)))


def psi_numeric(x: np.ndarray, y: np.ndarray, *, bins: int = 10,
                missing: tuple[int, int] = (0, 0)) -> float:
    """Population stability index over the reference's quantile bins (deciles by
    default; repeated edges merged; bins closed on the right, so a column that is
    mostly one value keeps that value in a bin of its own): ``sum (c - r) ln(c / r)``
    of the bin shares, empty bins counted as :data:`PSI_EPS`. ``x`` and ``y`` hold the
    values present; ``missing``, the number of missing values of each table, is one bin
    more (its share of all rows), so a column that stops being filled moves the PSI as
    it does a category's."""
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
    ia = np.searchsorted(edges, x, side="left")  # bin i holds (edge[i-1], edge[i]]
    ib = np.searchsorted(edges, y, side="left")
    k = len(edges) + 1
    ma, mb = (int(m) for m in missing)
    ca = np.r_[np.bincount(ia, minlength=k), ma] if ma or mb else np.bincount(ia, minlength=k)
    cb = np.r_[np.bincount(ib, minlength=k), mb] if ma or mb else np.bincount(ib, minlength=k)
    return _psi(ca / ca.sum(), cb / cb.sum())


def psi_categorical(ca: np.ndarray, cb: np.ndarray) -> float:
    """Population stability index over categories (count vectors in the same order)."""
    return _psi(ca / ca.sum(), cb / cb.sum())


def _unseen_psi_rows(A: np.ndarray, t: np.ndarray, frequent: np.ndarray) -> np.ndarray:
    """PSI as monitoring tools count categories, for reference counts ``A`` (one split per
    row) out of pooled counts ``t``: each value held by :data:`RARE_COUNT` rows or more a
    bucket of its own, the other values one bucket when the reference holds them and one
    ``<unseen>`` bucket when it does not."""
    A = np.atleast_2d(A).astype(np.float64)
    B = t - A
    rare_seen = ~frequent & (A > 0)
    rare_unseen = ~frequent & (A == 0)
    pa = np.concatenate([A[:, frequent], (A * rare_seen).sum(1, keepdims=True),
                         np.zeros((len(A), 1))], axis=1)  # (the reference holds no unseen)
    pb = np.concatenate([B[:, frequent], (B * rare_seen).sum(1, keepdims=True),
                         (B * rare_unseen).sum(1, keepdims=True)], axis=1)
    pa = np.maximum(pa / pa.sum(1, keepdims=True), PSI_EPS)
    pb = np.maximum(pb / pb.sum(1, keepdims=True), PSI_EPS)
    return ((pb - pa) * np.log(pb / pa)).sum(1)


def _excess_psi(pa: np.ndarray, pb: np.ndarray, *, random_state=0) -> float:
    """The PSI of a column's values with a bucket for what the reference lacks
    (:func:`_unseen_psi_rows`), beyond sampling noise: ``max(0, PSI - PSI95)``, with
    ``PSI95`` the 95th percentile over :data:`EXCESS_SPLITS` random splits of the pooled
    rows. Two samples of one column of many rare values read about 0, although each holds
    values the other lacks; a column whose values are all new reads a large PSI (with the
    rare values in one bucket it read 0)."""
    return _excess_effects(pa, pb, random_state=random_state, js=False)[1]


def _top_index(t: np.ndarray) -> np.ndarray:
    """Positions of the :data:`CATEGORICAL_TOP` largest pooled counts ``t`` among those of
    at least :data:`RARE_COUNT` (ties: in the counts' order)."""
    order = np.argsort(-t, kind="stable")
    return order[t[order] >= RARE_COUNT][:CATEGORICAL_TOP]


def _top_counts(pa: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The counts of the :data:`CATEGORICAL_TOP` values most frequent in the two tables
    together, among those held by at least :data:`RARE_COUNT` rows (ties: in
    :func:`_pooled_categories`' order), and one bucket for the rest; ``None`` when the
    column has no more than ``CATEGORICAL_TOP + 1`` values or none that frequent. (Values
    seen once each carry no frequency to rank: picking twenty of them by name would test
    the names.)"""
    t = pa + pb
    if np.count_nonzero(t) <= CATEGORICAL_TOP + 1:
        return None
    top = _top_index(t)
    if top.size == 0:
        return None
    rest = np.ones(len(t), dtype=bool)
    rest[top] = False
    return np.append(pa[top], pa[rest].sum()), np.append(pb[top], pb[rest].sum())


def _chi2_statistic(pa: np.ndarray, pb: np.ndarray) -> float:
    """Pearson's X^2 of the 2 x K table of counts (categories no row holds left out), as
    :func:`~dataqa.drift.twosample.chi2_test` computes it, without its p-value."""
    held = (pa + pb) > 0
    ca, cb = pa[held].astype(np.float64), pb[held].astype(np.float64)
    if ca.size < 2:
        return 0.0
    return float(_chi2_rows(ca, ca + cb, int(ca.sum()), int(cb.sum())))


#: Random splits (drawn before the test's own) that give the value-by-value X^2's spread
#: under no drift, for :func:`_top_min_p`'s ``every="scaled"``.
PILOT_SPLITS = 200


def _top_min_p(pa: np.ndarray, pb: np.ndarray, *, random_state,
               n_permutations: int = 2000, every: str = "chi2") -> float:
    """The p-value of testing a many-valued column twice, value by value and on its
    :func:`_top_counts` buckets, calibrated as one test: its statistic is the smaller of
    the two tables' chi-squared tail probabilities (log scale), and its p-value the share
    of random splits of the pooled rows whose smaller tail probability is at least as
    small (Besag and Clifford's sequential Monte-Carlo p-value, as :func:`chi2_test`'s).
    The buckets depend only on the pooled counts, so the splits keep the test's level.
    Bonferroni's twice-the-smaller pays for two tests as if they were unrelated; these two
    mostly agree, and over the simulated columns of ``benchmarks/drift_categorical.py``
    (its tuning cells) this flagged more shifted samples (summed power 22.6 against 22.0);
    on its held-out columns (first words of messages, where the value-by-value test
    carries the shift) fewer (3.91 against 4.00). A column of only rare values (no top
    table) gets the value-by-value test alone.
    When no split of ``n_permutations`` reaches the observed statistic, Bonferroni's
    asymptotic p-value over the tables whose expected counts are all at least 5 is given
    where it is smaller (a drift far beyond what the splits resolve keeps its small p-value
    for a correction over many columns; this adds at most ``1 / (n_permutations + 1)``
    to the false-alarm rate, and only under the chi-squared approximation)."""
    from scipy.stats import chi2, norm

    from dataqa.drift.twosample import _mc_rng

    held = (pa + pb) > 0
    pa, pb = pa[held].astype(np.int64), pb[held].astype(np.int64)
    t = pa + pb
    n, m = int(pa.sum()), int(pb.sum())
    top = _top_index(t)
    rest = np.ones(t.size, dtype=bool)
    rest[top] = False
    tt = np.append(t[top], t[rest].sum())
    if top.size == 0 or tt[-1] == 0 or n == 0 or m == 0:  # no second table: the one test
        return _chi2_from_counts(pa, pb, random_state=random_state,
                                 n_permutations=n_permutations)[1]

    rng = _mc_rng(random_state, t)
    if every == "scaled":
        # the value-by-value X^2 of a sparse table lies far tighter about its mean than a
        # chi-squared law of K - 1 degrees of freedom: its tail is read on a normal law
        # with its mean under no drift, N (K - 1) / (N - 1), and the spread of pilot
        # splits (drawn from the pooled counts alone, so the test keeps its level)
        N = n + m
        mean = N * (t.size - 1) / (N - 1)
        batch = max(1, 5_000_000 // t.size)  # (40 MB of draws at most, as the test's own)
        pilot = np.concatenate([
            _chi2_rows(rng.multivariate_hypergeometric(t, n, size=min(batch, PILOT_SPLITS - k))
                       .astype(np.float64), t, n, m)
            for k in range(0, PILOT_SPLITS, batch)])
        sd = float(np.sqrt(np.mean((pilot - mean) ** 2)))
        if sd <= 1e-9 * max(mean, 1.0):  # every split gives the same X^2 (round-off aside)
            sd = 0.0
    elif every != "chi2":
        raise InvalidSettingError(f"every={every!r}: use 'chi2' or 'scaled'.")

    def log_p(R: np.ndarray) -> np.ndarray:
        R = np.atleast_2d(R).astype(np.float64)
        x2 = _chi2_rows(R, t, n, m)
        if every == "chi2":
            tail = chi2.logsf(x2, t.size - 1)
        else:  # (no spread: every split gives the same X^2, which then tells nothing)
            tail = norm.logsf((x2 - mean) / sd) if sd > 0 else np.zeros(len(x2))
        Rt = np.concatenate([R[:, top], R[:, rest].sum(axis=1, keepdims=True)], axis=1)
        return np.minimum(tail, chi2.logsf(_chi2_rows(Rt, tt, n, m), tt.size - 1))

    observed = float(log_p(pa)[0])
    if np.isnan(observed):
        return 1.0
    cut = observed + 1e-9 * max(abs(observed), 1.0) if np.isfinite(observed) else observed
    P = n_permutations
    p = _ties.sequential_p(t, n, lambda R: log_p(R) <= cut, P, rng, PERMUTATION_STOP_HITS)
    if p <= 1.0 / (P + 1):  # beyond every split: the tables' own asymptotic p-values
        share = min(n, m) / (n + m)
        tails = [chi2.logsf(_chi2_rows(np.atleast_2d(c).astype(np.float64), tot, n, m)[0],
                            tot.size - 1)
                 for c, tot in ((pa, t), (np.append(pa[top], pa[rest].sum()), tt))
                 if tot.min() * share >= 5]  # (only where the approximation holds)
        if tails:
            p = min(p, 2.0 * float(np.exp(min(tails))))
    return float(p)


def _effect_counts(pa: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The counts a categorical column's effect and PSI are computed on: values held by
    fewer than :data:`RARE_COUNT` rows of the two tables together share one bucket (when
    there are at least two of them), then what the reference lacks is one unseen bucket."""
    rare = (pa + pb) < RARE_COUNT
    if rare.sum() >= 2:
        pa = np.append(pa[~rare], pa[rare].sum())
        pb = np.append(pb[~rare], pb[rare].sum())
    _, ca, cb = _bucket_unseen([""] * len(pa), pa, pb)
    return ca, cb


#: Random splits behind a column test's permutation p-values (ties, sparse tables):
#: p-values are at least ``1 / (COLUMN_SPLITS + 1)``. :func:`~dataqa.drift.detect_drift`
#: draws more for a column at that floor when the correction over many columns needs a
#: smaller p-value.
COLUMN_SPLITS = 2000


def column_test(ref: pd.Series, cur: pd.Series, kind: str, *, numeric_test: str = "auto",
                random_state=0, n_permutations: int = COLUMN_SPLITS,
                excess: bool = True) -> dict:
    """Test one numeric or categorical column: ``test, statistic, p_value, effect,
    effect_name, psi``. Missing values are a category for categories. For numbers the
    test compares the values present; when either table has missing values, the missing
    shares are compared too (:func:`missing_share_test`): the p-value is then
    Bonferroni's over the two tests (twice the smaller), the effect the larger of the two
    effects, and ``statistic`` stays the values' test's. A categorical column with more
    than :data:`CATEGORICAL_TOP` + 1 values is tested both value by value and on its most
    frequent values plus the rest (``test`` is then ``"chi2 + top 20"``, the p-value the
    two calibrated as one test by :func:`_top_min_p`, ``statistic`` the value-by-value
    X^2); its effect and PSI
    are then computed over those most frequent values and the rest, so that the
    ``min_effect`` gate works for it as for a column of 21 values. A categorical
    column's effect is the larger of that bucketed distance and
    :func:`excess_jensen_shannon` of every value, so that a shift inside a bucket (rare
    values replaced by other ones) still reaches the gate. A categorical column
    also gets ``unseen_current`` (the share of current rows holding a value the reference
    lacks, missing values aside: ``missing_current`` counts those) and ``largest_change``
    (the value whose share moved most, with both shares: ``"name: 0.1% -> 1.9%"``; the
    values the reference lacks, or the current data lacks, together when their share is
    larger: ``"17,715 values not in the reference: 0% -> 93.4%"``, ``"X, Y (not in the
    reference): 0% -> 28.2%"``; None when no share moved). ``n_permutations``: the most random splits of a permutation
    p-value (sequential: a column without drift stops after a few hundred). ``excess=False``
    skips the random splits behind a categorical column's excess effect and PSI (its
    ``effect`` and ``psi`` are then the bucketed ones): for a second run that needs only
    the p-value."""
    P = check_int(n_permutations, "n_permutations")
    if kind == "numeric":
        if numeric_test not in NUMERIC_TESTS:
            raise UnknownNameError("numeric test", str(numeric_test), NUMERIC_TESTS)
        x, y = _same_precision(ref, cur, ref.to_numpy(dtype=np.float64),
                               cur.to_numpy(dtype=np.float64))
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        # integers beyond 2**53: their exact distances from the smallest (tests and
        # effects), or, spanning more than float64 tells apart, their ranks (tests only)
        ex, ey = _exact_order(ref, cur, x, y, ranks=False)
        tx, ty = (ex, ey) if ex is not x else _exact_order(ref, cur, x, y)
        x, y = ex, ey
        name = numeric_test
        # one merge of the sorted samples serves the choice of test, KS and the effect
        values, ca, cb = _ties.pooled_counts(x, y)
        tv, tca, tcb = (values, ca, cb) if tx is x else _ties.pooled_counts(tx, ty)
        if name == "auto":
            name = "binned_chi2" if tv.size <= MAX_DISCRETE_VALUES else "ks"
        if name == "ks" and tx.size and ty.size and np.isfinite(tx).all() and np.isfinite(ty).all():
            # (an empty side or an infinite value: ks_test names it)
            stat, p = _ks_from_counts(tx, ty, tca, tcb, random_state=random_state,
                                      n_permutations=P)
        elif name == "binned_chi2":  # (asymptotic: no splits)
            stat, p = NUMERIC_TESTS[name](tx, ty, random_state=random_state)
        else:
            stat, p = NUMERIC_TESTS[name](tx, ty, random_state=random_state, n_permutations=P)
        row = {"test": name, "statistic": stat, "p_value": p,
               "effect": _normalized_wasserstein(x, y, values, ca, cb),
               "effect_name": "wasserstein/sd",
               "psi": psi_numeric(x, y, missing=(int(ref.isna().sum()),
                                                 int(cur.isna().sum())))}
        if ref.isna().any() or cur.isna().any():
            # the values' test sees only the values present: a column that stops being
            # filled must alarm too. Bonferroni over the two tests keeps the level.
            miss = missing_share_test(ref, cur, random_state=random_state)
            row["test"] = f"{name} + missing share"
            row["p_value"] = min(1.0, 2 * min(p, miss["p_value"]))
            if miss["effect"] > row["effect"]:
                row["effect"], row["effect_name"] = miss["effect"], miss["effect_name"]
        return row
    if kind == "categorical":
        cats, pa, pb = _pooled_categories(ref, cur)
        top = _top_counts(pa, pb)
        if top is None:
            stat, p = _chi2_from_counts(pa, pb, random_state=random_state, n_permutations=P)
            name = "chi2"
        else:  # both tests, calibrated as one on the same random splits
            stat = _chi2_statistic(pa, pb)
            p = _top_min_p(pa, pb, random_state=random_state, n_permutations=P)
            name = f"chi2 + top {CATEGORICAL_TOP}"
        # the effect on the test's own buckets: counted value by value, a column of many
        # values reads far from itself on random halves at any size the gate matters
        ca, cb = top if top is not None else _effect_counts(pa, pb)
        effect = jensen_shannon(ca, cb)
        # buckets hide a shift inside them (rare values replaced by other ones): the part
        # of the value-by-value distance beyond sampling noise is kept when larger
        # (the same random splits give the PSI's noise level)
        excess_js, excess_psi = (_excess_effects(pa, pb, random_state=random_state,
                                                 js_at_most=effect)
                                 if excess else (0.0, 0.0))
        effect = max(effect, excess_js)
        share_a, share_b = pa / pa.sum(), pb / pb.sum()
        gap = np.abs(share_b - share_a)
        moved = int(np.argmax(gap))
        change = (f"{_short(cats[moved])}: {_percent_pair(share_a[moved], share_b[moved])}"
                  if gap[moved] > 0 else None)
        unseen = (pa == 0) & (np.asarray(cats, dtype=object) != _MISSING)  # missing aside
        gone = (pb == 0) & (np.asarray(cats, dtype=object) != _MISSING)
        # many values, each rare, that are new (or gone) together moved more than any
        # one value (ids, sessions): named as a group, not by an arbitrary one of them
        for group, share, before, after in (
                (unseen, float(share_b[unseen].sum()), "0%", None),
                (gone, float(share_a[gone].sum()), None, "0%")):
            if group.sum() > 1 and share > gap[moved] and share > 0:
                k = int(group.sum())
                where = "the reference" if after is None else "the current data"
                names = (f"{', '.join(_short(c) for c in np.asarray(cats, dtype=object)[group])}"
                         f" (not in {where})" if k <= 3 else f"{k:,} values not in {where}")
                change = f"{names}: {before or _percent(share)} -> {after or _percent(share)}"
                gap = np.append(gap, share)
                moved = len(gap) - 1
        return {"test": name, "statistic": stat, "p_value": p,
                "effect": effect, "effect_name": "jensen-shannon",
                # (rare values share a bucket: all of them new read 0 without the excess)
                "psi": max(psi_categorical(ca, cb), excess_psi),
                # counted, then divided: a sum of shares reads 0.9999999999999998
                "unseen_current": float(pb[unseen].sum() / pb.sum()),
                "largest_change": change}
    raise InvalidSettingError(f"column kind {kind!r} has no univariate test.")


def missing_share_test(ref: pd.Series, cur: pd.Series, *, random_state=0) -> dict:
    """Compare the share of missing values of one column in the two tables: Fisher's
    exact test (two-sided) of the 2 x 2 table of missing / present counts; statistic:
    the current share minus the reference share; effect: Jensen-Shannon distance of the
    two (missing, present) shares. Used where a table has missing values, and alone
    where one side has no value at all (a window in which a column stopped being
    filled), which the value tests cannot compare. ``random_state`` is unused (the test
    is exact)."""
    from scipy.stats import fisher_exact

    a, b = ref.isna().to_numpy(), cur.isna().to_numpy()
    ma, mb = int(a.sum()), int(b.sum())
    table = np.array([[ma, len(a) - ma], [mb, len(b) - mb]])
    p = float(fisher_exact(table).pvalue) if (ma or mb) and (ma < len(a) or mb < len(b)) else 1.0
    ca, cb = table[0].astype(float), table[1].astype(float)
    return {"test": "fisher (missing share)", "statistic": mb / len(b) - ma / len(a),
            "p_value": min(1.0, p), "effect": jensen_shannon(ca, cb),
            "effect_name": "jensen-shannon of missing share", "psi": psi_categorical(ca, cb)}
