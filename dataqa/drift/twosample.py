"""Pure two-sample tests: each returns ``(statistic, p_value)``.

- :func:`ks_test`, :func:`cvm_test`: one numeric column (Kolmogorov-Smirnov, Cramér-von
  Mises; scipy's exact or asymptotic p-values without ties; with ties, where those are
  conservative, the permutation p-value given the pooled values: exact for KS,
  Monte-Carlo for CvM).
- :func:`binned_chi2_test`: one numeric column with few distinct values (adjacent values
  merged until expected counts reach 5);
- :func:`chi2_test`: one categorical column; every category of either sample counts as
  its own (those the reference never shows are reported as one "unseen" bucket, which
  gives the same X^2); a Monte-Carlo permutation p-value replaces the chi-squared
  approximation when an expected count is below 5.
- :func:`mmd_test`: many columns; maximum mean discrepancy with an RBF kernel (width: half
  the median pooled distance by default) and a permutation p-value ``(b + 1) / (P + 1)``
  that counts the observed statistic.
- :func:`classifier_test`: many columns; out-of-fold AUROC of a reference-vs-current
  classifier (default: ridge least squares on the features and their squares) with an
  exact permutation p-value (every relabeling refits every fold; cheap because the fit is
  linear in the labels). :func:`classifier_scores` also gives each item an out-of-fold
  "how unlike the reference" score and the features that drive the split.

Small p-values mean the two samples differ. ``x`` / ``X`` is always the reference,
``y`` / ``Y`` the current sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataqa._hash import mix64
from dataqa._validation import check_int, check_positive
from dataqa.drift import _ties
from dataqa.errors import EmptyDataError, FeatureTypeError, InvalidSettingError

__all__ = ["ks_test", "cvm_test", "chi2_test", "binned_chi2_test", "mmd_test", "classifier_test",
           "classifier_scores", "ClassifierTestResult", "category_counts", "median_kernel_width",
           "MMD_QUADRATIC_MAX", "MMD_BLOCK_SIZE", "mmd_rows", "MMD_MEDIAN_SCALE", "KS_EXACT_MAX_WORK",
           "CLASSIFIER_MODELS", "CLASSIFIER_RIDGE", "CLASSIFIER_PERMUTATIONS",
           "LeastSquaresClassifier", "PERMUTATION_STOP_HITS", "UNSEEN"]

#: Largest pooled sample (reference + current) for which :func:`mmd_test` uses the full
#: quadratic-time estimator; above it, the block estimator (see ``docs/drift.md`` for
#: the measurement behind the number).
MMD_QUADRATIC_MAX = 12_000

#: Pooled items per block of the block MMD estimator.
MMD_BLOCK_SIZE = 4_000

#: Default RBF width of :func:`mmd_test` as a multiple of the median pooled distance
#: (chosen on ``benchmarks/drift_tuning.py``; 1.0 is the classic median heuristic).
MMD_MEDIAN_SCALE = 0.5

#: The bucket that holds current categories the reference never shows.
UNSEEN = "<unseen>"


# ---------------------------------------------------------------------------- helpers

def _one_column(x, name: str) -> None:
    """Refuse a table of several columns where one column is tested."""
    try:
        shape = np.shape(x)
    except ValueError:  # ragged nested lists: left to the reading below
        return
    if len(shape) > 1 and int(np.prod(shape[1:])) != 1:
        raise FeatureTypeError(
            f"{name} has shape {tuple(int(d) for d in shape)}: these tests compare one column "
            f"(a 1-D array or Series). Test each column on its own, compare whole tables with "
            f"mmd_test or classifier_test, or use detect_drift for both.")


def _numeric_1d(x, name: str) -> np.ndarray:
    _one_column(x, name)
    try:
        a = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise FeatureTypeError(f"{name} must be numeric; convert it (or use chi2_test for "
                               f"categories).") from None
    a = a[~np.isnan(a)]
    if np.isinf(a).any():
        raise FeatureTypeError(f"{name} holds infinite values; clip or drop them.")
    if a.size == 0:
        raise EmptyDataError(f"{name} has no non-missing values; give at least one number.")
    return a


def _narrow_float(v) -> bool:
    """Whether ``v`` holds floats of 32 bits or fewer (a float32 array or column, nullable
    ``Float32`` or a Categorical of float32 values included)."""
    import pandas as pd

    if isinstance(v, pd.DataFrame) and v.shape[1] == 1:
        v = v.iloc[:, 0]
    dtype = getattr(v, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    dtype = getattr(dtype, "numpy_dtype", dtype)
    return isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize <= 4


def _same_precision(x, y, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` (the float64 values of ``x`` and ``y``) rounded to float32 when
    either sample holds float32 values: one table saved as float32 and the other as
    float64 hold the same values apart beyond their 7th digit (``0.1`` is
    ``0.10000000149...`` in float32), which a test of exact values would read as a
    complete change."""
    if _narrow_float(x) or _narrow_float(y):
        return a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    return a, b


#: The largest integer float64 holds with its neighbours told apart (2**53).
_FLOAT_EXACT = 2 ** 53


def _integer_values(v) -> np.ndarray | None:
    """The non-missing values of ``v`` as integers when it is an integer array or column
    (nullable ones included), else None."""
    import pandas as pd

    if isinstance(v, (pd.Series, pd.Index)):
        if not pd.api.types.is_integer_dtype(v.dtype) or pd.api.types.is_bool_dtype(v.dtype):
            return None
        v = v.dropna()
        return v.to_numpy(dtype=getattr(v.dtype, "numpy_dtype", v.dtype)).ravel()
    a = np.asarray(v) if isinstance(v, (np.ndarray, list, tuple)) else None
    return a.ravel() if a is not None and a.dtype.kind in "iu" else None


def _exact_order(x, y, a: np.ndarray, b: np.ndarray, *,
                 ranks: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)``, the float64 values of ``x`` and ``y``; or, when both hold integers some
    of which float64 cannot tell from their neighbours (beyond 2**53: 64-bit ids,
    nanosecond times), their distances from the pooled smallest value, exact when the
    values span at most 2**53 (a shift, which leaves tests and effects as they are), or
    else each value's rank among the pooled distinct integers: the same order and ties,
    which is all KS and Cramer-von Mises read (``ranks=False``: the float64 values then,
    for effect sizes, which ranks would distort)."""
    xi, yi = _integer_values(x), _integer_values(y)
    if xi is None or yi is None or not any(
            v.size and (int(v.max()) > _FLOAT_EXACT or int(v.min()) < -_FLOAT_EXACT)
            for v in (xi, yi)):
        return a, b
    if xi.dtype != yi.dtype:  # int64 with uint64 would meet as float64: compare as ints
        xi, yi = xi.astype(object), yi.astype(object)
    low = min(int(v.min()) for v in (xi, yi) if v.size)
    if max(int(v.max()) for v in (xi, yi) if v.size) - low <= _FLOAT_EXACT:
        return tuple(np.array([int(v) - low for v in w], dtype=np.float64) if w.dtype == object
                     else (w - w.dtype.type(low)).astype(np.float64) for w in (xi, yi))
    if not ranks:
        return a, b
    _, rank = np.unique(np.concatenate([xi, yi]), return_inverse=True)
    rank = rank.astype(np.float64)
    return rank[:xi.size], rank[xi.size:]


def _matrix(X, name: str) -> np.ndarray:
    import scipy.sparse as sp

    if sp.issparse(X):
        X = X.toarray()
    try:
        a = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise FeatureTypeError(f"{name} must be a numeric matrix (n, d).") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise FeatureTypeError(f"{name} must be two-dimensional (n, d); got shape {a.shape}.")
    if a.shape[0] < 2:
        raise EmptyDataError(f"{name} has {a.shape[0]} rows; a two-sample test needs at least 2.")
    if not np.all(np.isfinite(a)):
        rows = np.flatnonzero(~np.isfinite(a).all(axis=1))
        raise FeatureTypeError(f"{name} holds NaN or infinite values in {len(rows)} rows "
                               f"(first: {rows[:5].tolist()}); impute or drop them.")
    return a


def _pair(X, Y) -> tuple[np.ndarray, np.ndarray]:
    X, Y = _matrix(X, "X (reference)"), _matrix(Y, "Y (current)")
    if X.shape[1] != Y.shape[1]:
        raise FeatureTypeError(f"X has {X.shape[1]} columns but Y has {Y.shape[1]}; give both "
                               f"samples the same features.")
    return X, Y


# ---------------------------------------------------------------------------- univariate

#: Distinct values times reference size up to which :func:`ks_test` computes the exact
#: conditional p-value on tied data (above it: a Monte-Carlo permutation p-value).
KS_EXACT_MAX_WORK = 20_000_000


#: A sequential Monte-Carlo p-value (:func:`cvm_test` with ties, :func:`ks_test` with
#: ties and many distinct values) stops once this many random splits reach the observed
#: statistic.
PERMUTATION_STOP_HITS = 20


def _mc_rng(random_state, counts: np.ndarray) -> np.random.Generator:
    """The generator of a tied KS or CvM Monte-Carlo p-value: ``random_state`` mixed with
    a fingerprint of the pooled counts (which do not depend on the split), so that one
    fixed seed gives every data set its own draws. With the same draws for every call, a
    fixed seed's Monte-Carlo error was shared by all tests instead of averaging out: on
    SMS's SVD columns at 5,000 rows per side, KS alarmed in 7.1% of 960 no-shift column
    tests with seed 0 for all, 4.7% with a seed per test and 4.5% by 499 fresh random
    splits. A ``Generator`` is used as it is."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    import zlib

    key = zlib.crc32(np.ascontiguousarray(counts, dtype=np.int64).tobytes())
    base = int(np.random.default_rng(random_state).integers(2**62))
    return np.random.default_rng([base, key])


def ks_test(x, y, *, random_state=0, n_permutations: int = 2000) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test of one numeric column.

    Missing values (NaN) are dropped; integers beyond 2**53, which float64 merges,
    are compared by their exact order. Without ties the p-value is scipy's (exact for
    small samples, asymptotic otherwise). With ties (integer data, rounded values,
    pixel intensities) those p-values are conservative, so the p-value is instead the
    permutation p-value conditional on the pooled values: the share of all
    ``C(n + m, n)`` splits of the pooled sample whose KS statistic reaches the observed
    one. It is computed exactly when (distinct values) x n <= :data:`KS_EXACT_MAX_WORK`
    (a lattice-path recursion over the distinct values, fast when there are few of
    them), otherwise by at most ``n_permutations`` random splits seeded by
    ``random_state`` (each random split only changes how many copies of each value land
    in the reference: a multivariate hypergeometric draw), with the sequential stopping
    rule of :func:`cvm_test`. When none of those splits reaches the observed statistic,
    the p-value is the smaller of ``1 / (P + 1)`` and scipy's p-value for untied data,
    which bounds the tied one from above (the statistic of tied data is at most that of
    the same data with its ties broken at random, whose null law is the untied one), so
    a few ties among many distinct values do not floor a large shift at ``1 / (P + 1)``.
    Up to :data:`KS_SCIPY_EXACT_MAX` items per sample that bound is scipy's exact untied
    p-value and the test stays valid at every level; above it, Smirnov's asymptotic
    formula, an approximation (as for untied data of that size).

    Parameters
    ----------
    x : array (n,), reference; y : array (m,), current
    random_state : int or Generator, used only for the Monte-Carlo permutation p-value
    n_permutations : int, P >= 1, the most random splits it draws

    Returns
    -------
    statistic : float, the largest gap between the two empirical CDFs, in [0, 1]
    p_value : float
    """
    a, b = _same_precision(x, y, _numeric_1d(x, "x (reference)"), _numeric_1d(y, "y (current)"))
    a, b = _exact_order(x, y, a, b)
    P = check_int(n_permutations, "n_permutations")
    _, ca, cb = _ties.pooled_counts(a, b)
    return _ks_from_counts(a, b, ca, cb, random_state=random_state, n_permutations=P)


#: Above this many items in the larger sample, scipy's ``ks_2samp`` (``method="auto"``)
#: takes Smirnov's asymptotic p-value, which :func:`ks_test` then computes itself from
#: the statistic (the same formula, without sorting the samples again).
KS_SCIPY_EXACT_MAX = 10_000


def _ks_from_counts(a: np.ndarray, b: np.ndarray, ca: np.ndarray, cb: np.ndarray, *,
                    random_state, n_permutations: int) -> tuple[float, float]:
    """:func:`ks_test` given the per-value counts of the pooled sample
    (:func:`dataqa.drift._ties.pooled_counts`), so that a column test sorts once."""
    n, m = a.size, b.size
    gap = int(_ties.ks_gap(ca, cb, n, m))
    stat = gap / (n * m)
    if ca.size == n + m:  # no ties
        return _ks_untied(a, b, stat)
    if gap == 0 or ca.size == 1:
        return stat, 1.0
    counts = ca + cb
    if counts.size * n <= KS_EXACT_MAX_WORK:
        return stat, _ties.ks_exact_tied(counts, n, m, gap)
    p = _ties.sequential_p(counts, n, lambda d: _ties.ks_gap(d, counts - d, n, m) >= gap,
                           n_permutations, _mc_rng(random_state, counts), PERMUTATION_STOP_HITS)
    if p <= 1.0 / (n_permutations + 1):
        # no split reached it: below the floor, the p-value of untied data, which
        # bounds the tied one (see ks_test), so that a few ties among thousands of
        # distinct values do not cap a large shift's p-value at 1 / (P + 1)
        p = min(p, _ks_untied(a, b, stat)[1])
    return stat, p


def _ks_untied(a: np.ndarray, b: np.ndarray, stat: float) -> tuple[float, float]:
    """The KS statistic and p-value as for samples without ties: scipy's ``ks_2samp``
    (exact or asymptotic) up to :data:`KS_SCIPY_EXACT_MAX` items, else Smirnov's limit
    at ``stat``, as ks_2samp's asymptotic branch computes it (the one-sample two-sided
    distribution at the effective size n m / (n + m), rounded) without sorting again."""
    n, m = a.size, b.size
    if max(n, m) <= KS_SCIPY_EXACT_MAX:
        from scipy.stats import ks_2samp

        r = ks_2samp(a, b, alternative="two-sided", method="auto")
        return float(r.statistic), float(r.pvalue)
    from scipy.stats import kstwo

    return stat, float(np.clip(kstwo.sf(stat, np.round(n * m / (n + m))), 0.0, 1.0))


def cvm_test(x, y, *, random_state=0, n_permutations: int = 2000) -> tuple[float, float]:
    """Two-sample Cramér-von Mises test of one numeric column.

    Missing values (NaN) are dropped; integers beyond 2**53, which float64 merges,
    are compared by their exact order. Without ties the p-value is scipy's (exact when both
    samples are small, asymptotic otherwise). With ties (tied values get their average
    rank, as in scipy) those p-values are conservative, so the p-value is instead a
    Monte-Carlo permutation p-value over random splits of the pooled sample, seeded by
    ``random_state``; each random split only changes how many copies of each distinct
    value land in the reference (a multivariate hypergeometric draw), so it costs
    O(distinct values). The splits stop early once :data:`PERMUTATION_STOP_HITS` (20) of
    them reach the observed statistic, after ``L`` splits: p = 20 / L (Besag and
    Clifford's sequential p-value, exact); otherwise after ``P = n_permutations``
    splits, ``b`` of them reaching it: ``(b + 1) / (P + 1)``. A sample without drift
    stops after about 150 splits on average, and the smallest p-value, ``1 / (P + 1)``,
    stays below ``alpha / 64`` at the default ``P`` so that one drifted column of 64 can
    pass a Benjamini-Hochberg or Bonferroni correction; raise ``n_permutations`` for
    more columns (above ``columns / alpha``).

    Parameters
    ----------
    x : array (n,), reference; y : array (m,), current; n, m >= 2
    random_state : int or Generator, used only with ties
    n_permutations : int, P >= 1, the most random splits drawn

    Returns
    -------
    statistic : float (the T statistic of Anderson 1962), p_value : float
    """
    from scipy.stats import cramervonmises_2samp

    a, b = _same_precision(x, y, _numeric_1d(x, "x (reference)"), _numeric_1d(y, "y (current)"))
    a, b = _exact_order(x, y, a, b)
    if a.size < 2 or b.size < 2:
        raise EmptyDataError("cvm_test needs at least 2 non-missing values in each sample.")
    P = check_int(n_permutations, "n_permutations")
    _, ca, cb = _ties.pooled_counts(a, b)
    if ca.size == a.size + b.size:  # no ties
        r = cramervonmises_2samp(a, b, method="auto")
        return float(r.statistic), float(r.pvalue)
    n, m = a.size, b.size
    N = n + m
    u = float(_ties.cvm_u(ca, cb, n, m))
    stat = u / (n * m * N) - (4 * n * m - 1) / (6 * N)
    if ca.size == 1:
        return stat, 1.0
    counts = ca + cb
    return stat, _ties.sequential_p(counts, n,
                                    lambda d: _ties.cvm_u(d, counts - d, n, m) >= u * (1 - 1e-12),
                                    P, _mc_rng(random_state, counts), PERMUTATION_STOP_HITS)


def _categories(x, name: str, narrow: bool = False) -> np.ndarray:
    import pandas as pd

    _one_column(x, name)
    if isinstance(x, pd.DataFrame):  # one column, as _one_column checked
        x = x.iloc[:, 0]
    elif np.ndim(x) > 1:
        x = np.asarray(x, dtype=object).ravel()
    s = pd.Series(np.asarray(x, dtype=object).ravel() if not hasattr(x, "astype") else x)
    return _category_strings(s, narrow).to_numpy()


def _category_strings(s, narrow: bool = False):
    """A categorical column's values as the strings categories are compared by, missing
    ones as ``"<NA>"`` (a value written so gains a pair of quotes, ``'"<NA>"'``, as does
    one already so quoted). A whole number held as a float reads as that integer (``1.0``
    as ``"1"``): a column of integer codes that gained a missing value in one table, and
    with it a float dtype, holds the same categories as the other table's integers.
    ``narrow``: other floats as float32 writes them (``0.1`` for float32's
    ``0.10000000149...``), for a column one table holds as float32 (see
    :func:`_same_precision`)."""
    import pandas as pd

    if isinstance(s.dtype, pd.DatetimeTZDtype):  # (one instant in two zones: one value)
        s = s.dt.tz_convert("UTC")
    if isinstance(s.dtype, pd.CategoricalDtype):  # the categories once, not every row
        names = _category_strings(pd.Series(s.cat.categories.to_numpy(dtype=object)), narrow)
        codes = s.cat.codes.to_numpy()
        out = np.where(codes >= 0, names.to_numpy(dtype=object)[np.maximum(codes, 0)], "<NA>")
        return pd.Series(out.astype(object), index=s.index)
    obj = s.astype(object)
    missing = s.isna().to_numpy()
    out = obj.where(~missing, "<NA>").astype(str).to_numpy(dtype=object)
    if _narrow_float(s):
        narrow = True
    if pd.api.types.is_float_dtype(s.dtype):
        is_float = ~missing
    elif pd.api.types.is_object_dtype(s.dtype):
        is_float = np.fromiter((isinstance(v, (float, np.floating)) for v in obj.to_numpy()),
                               dtype=bool, count=len(obj)) & ~missing
    else:
        is_float = np.zeros(len(s), dtype=bool)
    if is_float.any():
        f = obj.to_numpy()[is_float].astype(np.float64)
        # (a whole float of up to 2**63 is written as the integer it holds exactly, so
        # 1e16 reads as the integer column's "10000000000000000", not "1e+16")
        whole = np.isfinite(f) & (f == np.round(f)) & (np.abs(f) < 2.0 ** 63)
        if narrow:
            f = f.astype(np.float32)
            whole = np.isfinite(f) & (f == np.round(f)) & (np.abs(f) < 2.0 ** 63)
            out[np.flatnonzero(is_float)[~whole]] = f[~whole].astype(str)
        out[np.flatnonzero(is_float)[whole]] = f[whole].astype(np.int64).astype(str)
    # a value written "<NA>" is no missing value: it, and any such value already quoted
    # ('"<NA>"', '""<NA>""', ...), gains one more pair of quotes, so no two values merge
    clash = ~missing & (pd.Series(out, dtype=object).str.fullmatch(r'("*)<NA>\1') == True)  # noqa: E712
    if clash.any():
        out[clash] = np.array(['"' + v + '"' for v in out[clash]], dtype=object)
    return pd.Series(out, index=s.index)


def _value_kind(v) -> str | None:
    """``"bool"``, ``"number"``, ``"datetime"``, ``"datetime (time zone)"`` or ``None``
    (text, or not told by the dtype) for a sample, by its dtype (a Categorical's by its
    categories') or, for an object column, by its values."""
    import pandas as pd

    if isinstance(v, pd.DataFrame) and v.shape[1] == 1:
        v = v.iloc[:, 0]
    dtype = getattr(v, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if dtype is None:
        return None
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime (time zone)"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_object_dtype(dtype) and not isinstance(v, pd.Categorical):
        inferred = pd.api.types.infer_dtype(np.asarray(v, dtype=object).ravel()[:10_000],
                                            skipna=True)
        return {"boolean": "bool", "integer": "number", "floating": "number",
                "mixed-integer-float": "number", "datetime64": "datetime",
                "datetime": "datetime"}.get(inferred)
    return None


def _check_same_kind(x, y) -> None:
    """Refuse samples whose values are written in kinds that never compare equal as
    categories: true/false against numbers, dates against anything else, dates with a
    time zone against dates without."""
    kx, ky = _value_kind(x), _value_kind(y)
    pairs = {frozenset(("bool", "number")): "write both as 0/1 or both as true/false",
             frozenset(("datetime", "datetime (time zone)")):
                 "give both a time zone (Series.dt.tz_localize) or neither"}
    advice = pairs.get(frozenset((kx, ky)))
    if advice is None and kx != ky and "datetime" in f"{kx}{ky}":
        advice = "convert both to dates (pd.to_datetime) or both to text"
    if advice is not None and kx != ky:
        said = {"bool": "true/false", "number": "number", "datetime": "date/time",
                "datetime (time zone)": "date/time (with a time zone)", None: "text"}
        raise FeatureTypeError(
            f"x (reference) holds {said[kx]} values and y (current) {said[ky]} values, "
            f"which no category of the other can equal (every value would read as "
            f"changed); {advice}.")


def _pooled_categories(x, y) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every category of either sample (in sorted order, missing values as ``"<NA>"``)
    and how many items of ``x`` and of ``y`` hold it."""
    import pandas as pd

    _check_same_kind(x, y)
    narrow = _narrow_float(x) or _narrow_float(y)
    a, b = _categories(x, "x (reference)", narrow), _categories(y, "y (current)", narrow)
    codes, found = pd.factorize(np.concatenate([a, b]))  # hashed, then put in sorted order
    found = np.asarray(found, dtype=object)
    order = np.argsort(found)
    rank = np.empty(len(found), dtype=np.int64)
    rank[order] = np.arange(len(found))
    codes = rank[codes]
    ca = np.bincount(codes[:a.size], minlength=len(found)).astype(np.int64)
    cb = np.bincount(codes[a.size:], minlength=len(found)).astype(np.int64)
    return [str(c) for c in found[order]], ca, cb


def _bucket_unseen(cats: list[str], ca: np.ndarray, cb: np.ndarray):
    """:func:`_pooled_categories`' counts with the categories the reference lacks merged
    into :data:`UNSEEN` (last, only when non-empty)."""
    seen = ca > 0
    names = [c for c, s in zip(cats, seen, strict=True) if s]
    if seen.all():
        return names, ca, cb
    return names + [UNSEEN], np.append(ca[seen], 0), np.append(cb[seen], cb[~seen].sum())


def category_counts(x, y) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Categories and counts of reference ``x`` and current ``y``.

    Missing values are the category ``"<NA>"``; current categories absent from the
    reference are counted in the bucket :data:`UNSEEN` (last, only when non-empty).
    """
    return _bucket_unseen(*_pooled_categories(x, y))


def _chi2_stat(table: np.ndarray) -> float:
    total = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / total
    return float(((table - expected) ** 2 / expected).sum())


def _chi2_rows(R: np.ndarray, t: np.ndarray, n: int, m: int) -> np.ndarray:
    """Pearson's X^2 of the 2 x K tables whose first rows are the rows of ``R`` and whose
    column totals are ``t`` (``n`` and ``m`` items per row): since both rows' deviations
    from their expected counts are equal and opposite, X^2 = N^2 / (n m) sum (r - n t / N)^2 / t."""
    N = n + m
    d = R - t * (n / N)
    return (d * d / t).sum(axis=-1) * (N * N / (n * m))


def chi2_test(x, y, *, random_state=0, n_permutations: int = 2000) -> tuple[float, float]:
    """Chi-squared test of homogeneity of one categorical column (also booleans).

    The statistic is Pearson's X^2 of the 2 x K table of reference and current counts per
    category; missing values are a category of their own. Current categories the
    reference never shows may be read as one bucket (:data:`UNSEEN`, as
    :func:`category_counts` reports them): X^2 is the same either way (a category absent
    from the reference adds ``n / m`` times its current count), so a brand-new category
    counts as drift. The p-value treats every category of either sample as its own:
    which categories the reference happens to lack depends on the split, so a column with
    many rare values (user names, cities) always has some, with or without drift.
    When every expected count is at least 5 the p-value is the chi-squared approximation
    with K - 1 degrees of freedom (scipy's ``chi2_contingency`` without continuity
    correction gives the same numbers); otherwise it is a Monte-Carlo permutation p-value
    over random splits of the pooled items, seeded by ``random_state``, with the sequential
    stopping rule of :func:`cvm_test` (at most ``n_permutations`` splits).

    Returns
    -------
    statistic : float (Pearson's X^2), p_value : float (1.0 when only one category occurs)
    """
    _, ca, cb = _pooled_categories(x, y)
    return _chi2_from_counts(ca, cb, random_state=random_state, n_permutations=n_permutations)


def _chi2_from_counts(ca: np.ndarray, cb: np.ndarray, *, random_state,
                      n_permutations: int) -> tuple[float, float]:
    """:func:`chi2_test` given :func:`_pooled_categories`' counts."""
    from scipy.stats import chi2

    n, m = int(ca.sum()), int(cb.sum())
    if n == 0 or m == 0:
        raise EmptyDataError("chi2_test needs at least one value in each sample.")
    held = (ca + cb) > 0
    ca, cb = ca[held].astype(np.int64), cb[held].astype(np.int64)
    if ca.size < 2:
        return 0.0, 1.0
    t = ca + cb
    stat = float(_chi2_rows(ca.astype(np.float64), t, n, m))
    if t.min() * min(n, m) / (n + m) >= 5:  # the smallest expected count
        return stat, float(chi2.sf(stat, ca.size - 1))
    P = check_int(n_permutations, "n_permutations")
    cut = stat - 1e-12 * max(stat, 1.0)
    return stat, _ties.sequential_p(t, n, lambda R: _chi2_rows(R, t, n, m) >= cut, P,
                                    _mc_rng(random_state, t), PERMUTATION_STOP_HITS)


def binned_chi2_test(x, y, *, random_state=0, min_expected: float = 5.0) -> tuple[float, float]:
    """Chi-squared test of a numeric column with few distinct values (counts, ratings,
    pixel intensities): it sees any change in the values' shares, where KS sees only
    changes of the cumulative distribution.

    The pooled distinct values, in order, are merged into adjacent bins from the left
    until every expected count of the 2 x bins table is at least ``min_expected`` (a
    last bin that falls short joins the one before it). The bins depend only on the
    pooled sample, so under no drift the test keeps the chi-squared approximation's
    level. Missing values are dropped; ``random_state`` is unused.

    Returns
    -------
    statistic : float (Pearson's X^2 of the binned table), p_value : float (1.0 with one bin)
    """
    from scipy.stats import chi2

    a, b = _same_precision(x, y, _numeric_1d(x, "x (reference)"), _numeric_1d(y, "y (current)"))
    values, inverse = np.unique(np.r_[a, b], return_inverse=True)
    ca = np.bincount(inverse[:a.size], minlength=values.size)
    cb = np.bincount(inverse[a.size:], minlength=values.size)
    need = min_expected * (a.size + b.size) / min(a.size, b.size)
    bins_a, bins_b, acc_a, acc_b = [], [], 0, 0
    for i in range(values.size):
        acc_a += ca[i]
        acc_b += cb[i]
        if acc_a + acc_b >= need:
            bins_a.append(acc_a)
            bins_b.append(acc_b)
            acc_a = acc_b = 0
    if acc_a + acc_b:
        if bins_a:
            bins_a[-1] += acc_a
            bins_b[-1] += acc_b
        else:
            bins_a.append(acc_a)
            bins_b.append(acc_b)
    if len(bins_a) < 2:
        return 0.0, 1.0
    table = np.array([bins_a, bins_b], dtype=np.float64)
    stat = _chi2_stat(table)
    return stat, float(chi2.sf(stat, table.shape[1] - 1))


# ---------------------------------------------------------------------------- MMD

def median_kernel_width(Z: np.ndarray, *, max_items: int = 1000, random_state=None) -> float:
    """Median heuristic: the median Euclidean distance between pairs of rows of ``Z``; 1.0
    when every such distance is 0.

    Above ``max_items`` rows, the pairs of ``max_items`` rows chosen by their content
    (:func:`content_sample`), so the width does not depend on the order of the rows (nor,
    up to :data:`MMD_QUADRATIC_MAX` pooled rows, where :func:`mmd_test` compares every
    row, does the MMD statistic; above it the rows compared are a random part).
    ``random_state`` is not used (kept so that callers that pass it keep working)."""
    if len(Z) > max_items:
        Z = Z[content_sample(Z, max_items)]
    sq = _sq_dists(Z, Z)
    d = np.sqrt(sq[np.triu_indices(len(Z), k=1)])
    med = float(np.median(d)) if d.size else 0.0
    return med if med > 0 else 1.0


#: Seed of the fixed odd multipliers of :func:`content_sample`'s row keys.
_CONTENT_SEED = 0x5EED


def content_sample(Z: np.ndarray, k: int) -> np.ndarray:
    """Positions (ascending) of ``k`` rows of ``Z`` chosen by a hash of their values: a
    sample as good as a random one, but the same rows whatever their order in ``Z``.

    Values are rounded to 1e-6 first, so rounding noise of the features does not change
    the choice. Copies of a row get keys of their own (the row's and its copy number),
    so a value held by ``c`` of ``n`` rows is taken about ``c k / n`` times, as in a
    random sample; which copy is taken does not matter."""
    A = np.round(np.asarray(Z, dtype=np.float64).reshape(len(Z), -1), 6) + 0.0
    A = np.ascontiguousarray(A)
    bits = A.view(np.uint64)
    w = np.random.default_rng(_CONTENT_SEED).integers(1, 2**63, size=bits.shape[1],
                                                      dtype=np.uint64) | np.uint64(1)
    key = np.zeros(len(A), dtype=np.uint64)
    for j in range(bits.shape[1]):  # column by column: no (n, d) temporary
        # each value mixed before the sum: whole numbers end in dozens of zero bits, and
        # a plain weighted sum of their bits gave 0/1 rows only a few thousand keys
        key += mix64(bits[:, j] ^ w[j])  # wraps modulo 2**64
    key = mix64(key)
    # copy number of each row among the rows of its key (0 for the first copy)
    by_key = np.argsort(key, kind="stable")
    sorted_keys = key[by_key]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(A)]))
    copy = np.empty(len(A), dtype=np.uint64)
    copy[by_key] = (np.arange(len(A)) - run_start).astype(np.uint64)
    final = mix64(key ^ mix64(copy + np.uint64(1)))
    return np.sort(np.lexsort((np.arange(len(A)), final))[:k])


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * (A @ B.T)
    return np.maximum(d, 0.0)


def _rbf(Z: np.ndarray, width: float) -> np.ndarray:
    """RBF kernel matrix of the rows of ``Z`` in float32, in one N x N buffer.

    Squared distances come from a single matrix product of ``[Z, |z|^2, 1]`` and
    ``[-2 Z, 1, |z|^2]`` (rows centred first, which keeps float32 rounding small); the
    buffer is then scaled and exponentiated in place.
    """
    Zc = np.asarray(Z, dtype=np.float64)
    Zc = Zc - Zc.mean(axis=0)
    sq = np.einsum("ij,ij->i", Zc, Zc)
    ones = np.ones((len(Zc), 1))
    left = np.hstack([Zc, sq[:, None], ones]).astype(np.float32)
    right = np.hstack([-2.0 * Zc, ones, sq[:, None]]).astype(np.float32)
    K = left @ right.T
    np.maximum(K, np.float32(0.0), out=K)
    K *= np.float32(-1.0 / (2.0 * width * width))
    np.exp(K, out=K)
    np.fill_diagonal(K, 1.0)
    return K


def _mmd_from_masks(K: np.ndarray, masks: np.ndarray, n: int, m: int) -> np.ndarray:
    """Unbiased MMD^2 for each column of ``masks`` (N, P) marking the reference items.

    With ``a`` the 0/1 reference indicator: ``Sxx = a'Ka``, ``Sxy = a'K1 - Sxx``,
    ``Syy = 1'K1 - Sxx - 2 Sxy``; the diagonal (all ones) is removed from the two
    within-sample sums.
    """
    masks = masks.astype(K.dtype, copy=False)
    row = (K @ np.ones(K.shape[0], dtype=K.dtype)).astype(np.float64)
    total = row.sum()
    KA = K @ masks
    sxx = np.einsum("ij,ij->j", masks, KA, dtype=np.float64)
    sxy = masks.T.astype(np.float64) @ row - sxx
    syy = total - sxx - 2.0 * sxy
    return (sxx - n) / (n * (n - 1)) + (syy - m) / (m * (m - 1)) - 2.0 * sxy / (n * m)


def _mmd_block(Z: np.ndarray, n: int, m: int, width: float, P: int, rng,
               batch: int) -> tuple[float, np.ndarray]:
    """Observed unbiased MMD^2 of one pooled sample and ``P`` permuted values."""
    K = _rbf(Z, width)
    N = n + m
    obs_mask = np.zeros((N, 1), dtype=np.float32)
    obs_mask[:n] = 1.0
    observed = float(_mmd_from_masks(K, obs_mask, n, m)[0])
    null = np.empty(P)
    for start in range(0, P, batch):
        stop = min(P, start + batch)
        masks = np.zeros((N, stop - start), dtype=np.float32)
        for j in range(stop - start):
            masks[rng.permutation(N)[:n], j] = 1.0
        null[start:stop] = _mmd_from_masks(K, masks, n, m)
    return observed, null


def _mmd_spread(a: int, b: int) -> float:
    """Null standard deviation of the MMD statistic :func:`mmd_test` computes from ``a``
    and ``b`` rows, up to a factor that does not depend on the sizes: ``1/a + 1/b`` for
    the quadratic estimator (the unbiased MMD^2 varies as ``(1/a + 1/b)^2`` under no
    drift); the mean of ``B = (a + b) / MMD_BLOCK_SIZE`` block statistics, each from
    ``a / B`` and ``b / B`` rows, spreads ``sqrt(B)`` times less than one of them."""
    if a + b <= MMD_QUADRATIC_MAX:
        return 1.0 / a + 1.0 / b
    return np.sqrt((a + b) / MMD_BLOCK_SIZE) * (1.0 / a + 1.0 / b)


def mmd_rows(n: int, m: int) -> tuple[int, int]:
    """Rows of each sample that :func:`mmd_test` (``method="auto"``) compares.

    All of them up to :data:`MMD_QUADRATIC_MAX` pooled rows. Above it, every row of the
    smaller sample and of the larger one as many as make the statistic's null spread
    (:func:`_mmd_spread`) smallest, among: all of them; twice the smaller sample; and
    what fills :data:`MMD_QUADRATIC_MAX` pooled rows. With the block estimator the best is
    twice the smaller sample (the spread ``(a + b)^1.5 / (a b)`` is smallest at ``a = 2 b``):
    the blocks keep the samples' shares, a block with few rows of one sample is a noisy
    one, so rows beyond that make the test *weaker*. When the smaller sample leaves room,
    the quadratic estimator on ``MMD_QUADRATIC_MAX`` pooled rows is often better still
    (the signal, MMD^2, is the same for every choice). A window of 3,300 rows against
    100,000 reference rows, one feature moved by 0.08 sd, d = 10, 40 runs: power 0.075
    with every reference row (blocks), 0.65 with 8,700 of them (quadratic)."""
    if n + m <= MMD_QUADRATIC_MAX:
        return n, m
    small, large = min(n, m), max(n, m)
    sizes = {large, min(large, 2 * small)}
    if small <= MMD_QUADRATIC_MAX - 2:
        sizes.add(min(large, MMD_QUADRATIC_MAX - small))
    best = min(sorted(sizes), key=lambda k: _mmd_spread(small, k))
    return (best, m) if n >= m else (n, best)


def mmd_test(X, Y, *, n_permutations: int = 500, kernel_width: float | None = None,
             median_scale: float = MMD_MEDIAN_SCALE, random_state=0,
             method: str = "auto") -> tuple[float, float]:
    """Maximum mean discrepancy two-sample test with an RBF kernel.

    ``k(a, b) = exp(-|a - b|^2 / (2 w^2))`` with ``w = kernel_width`` or, by default,
    ``median_scale`` times the median distance between pooled rows
    (:func:`median_kernel_width`). The default scale, :data:`MMD_MEDIAN_SCALE` = 0.5, was
    chosen on separate tuning data (``benchmarks/drift_tuning.py``): against the plain
    median heuristic (``median_scale=1.0``, the classic choice) it kept the power on mean
    and class-prior shifts and gained on variance, correlation and fine-scale shifts.
    The statistic is the unbiased estimate of MMD^2 (it can be slightly negative when the
    samples agree).

    The p-value is ``(b + 1) / (P + 1)``, ``b`` the number of the ``P`` random
    relabelings of the pooled rows whose statistic reaches the observed one: the observed
    split counts as one of the permutations, so the test is exact at every level (never
    below ``1 / (P + 1)``).

    With ``method="auto"`` above :data:`MMD_QUADRATIC_MAX` pooled rows, a random part of
    a much larger sample may be compared (:func:`mmd_rows` says how many rows: those that
    fill :data:`MMD_QUADRATIC_MAX` pooled rows for the full estimator, or twice the
    smaller sample for the block estimator, when either spreads less than every row
    would); the test stays exact, since which rows are left out does not depend on the
    data.

    ``method``: ``"quadratic"`` builds the full kernel matrix once (float32) and gets
    all permuted statistics from one matrix product per batch of permutations;
    ``"block"`` splits both samples at random into blocks of about
    :data:`MMD_BLOCK_SIZE` pooled items, each with the same reference share, and averages
    the per-block estimates (the same relabelings are made within every block), so time
    and memory grow linearly with n; ``"auto"`` uses the block estimator above
    :data:`MMD_QUADRATIC_MAX` pooled items (counted after the cut above).

    Parameters
    ----------
    X : array (n, d), reference; Y : array (m, d), current; n, m >= 2
    n_permutations : int, P >= 1
    kernel_width : float, optional (> 0), the RBF width in the units of the rows
    median_scale : float (> 0), the width as a multiple of the median pooled distance
        when ``kernel_width`` is not given
    random_state : int or Generator

    Returns
    -------
    statistic : float (unbiased MMD^2), p_value : float in [1/(P+1), 1]
    """
    X, Y = _pair(X, Y)
    P = check_int(n_permutations, "n_permutations")
    if method not in ("auto", "quadratic", "block"):
        raise InvalidSettingError(f"method {method!r} is not known; use auto, quadratic or block.")
    rng = np.random.default_rng(random_state)
    if method == "auto":
        n_use, m_use = mmd_rows(len(X), len(Y))
        if n_use < len(X):
            X = X[np.sort(rng.choice(len(X), n_use, replace=False))]
        if m_use < len(Y):
            Y = Y[np.sort(rng.choice(len(Y), m_use, replace=False))]
    Z = np.vstack([X, Y])
    if kernel_width is None:
        try:
            scale = float(median_scale)
        except (TypeError, ValueError):
            scale = float("nan")
        if not np.isfinite(scale) or scale <= 0:
            raise InvalidSettingError(f"median_scale must be a positive number, not "
                                      f"{median_scale!r}.")
        width = scale * median_kernel_width(Z)
    else:
        width = float(kernel_width)
        if not np.isfinite(width) or width <= 0:
            raise InvalidSettingError(f"kernel_width must be a positive number, not {kernel_width!r}.")
    n, m = len(X), len(Y)
    N = n + m
    if method == "quadratic" or (method == "auto" and N <= MMD_QUADRATIC_MAX):
        batch = max(1, min(P, int(2e8 // (N * 4 * 2))))
        obs, null = _mmd_block(Z, n, m, width, P, rng, batch)
        return obs, _perm_p(obs, null)
    # block estimator: every block keeps the reference share n / N
    # at least 2 rows of each sample per block (a block with fewer has no statistic)
    n_blocks = max(1, min(int(round(N / MMD_BLOCK_SIZE)), min(n, m) // 2))
    px, py = rng.permutation(n), rng.permutation(m)
    xs, ys = np.array_split(px, n_blocks), np.array_split(py, n_blocks)
    obs_sum, null_sum = 0.0, np.zeros(P)
    for bx, by in zip(xs, ys, strict=True):
        if len(bx) < 2 or len(by) < 2:
            continue
        block = np.vstack([X[bx], Y[by]])
        nb = len(bx) + len(by)
        obs, null = _mmd_block(block, len(bx), len(by), width, P, rng,
                               max(1, min(P, int(2e8 // (nb * 4 * 2)))))
        obs_sum += obs
        null_sum += null
    obs, null = obs_sum / n_blocks, null_sum / n_blocks
    return float(obs), _perm_p(obs, null)


def _perm_p(obs: float, null: np.ndarray) -> float:
    """``(b + 1) / (P + 1)``; a permuted statistic within float32 rounding of the observed
    one counts as reaching it (mirror-image splits give equal statistics)."""
    tol = 1e-6 + 1e-4 * abs(obs)
    return (int(np.sum(null >= obs - tol)) + 1) / (len(null) + 1)


# ---------------------------------------------------------------------------- classifier

#: Names of the built-in classifiers of :func:`classifier_scores` (the first is the default).
CLASSIFIER_MODELS = ("abs", "quadratic", "linear")

#: Ridge penalties of the built-in classifiers, per training row, on standardised
#: features: one model per value, combined by the smaller permutation p-value (chosen on
#: ``benchmarks/drift_tuning.py``; the first model gives the scores and the AUROC).
CLASSIFIER_RIDGE = (0.1, 1.0)

#: Default number of label permutations of :func:`classifier_test`.
CLASSIFIER_PERMUTATIONS = 200

CLASSIFIER_METHODS = ("auto", "permutation", "split")


def _ridge_factor(A: np.ndarray, ridge: float, gram: np.ndarray | None = None):
    """Cholesky factor of ``A'A + ridge * len(A) * I`` (the ridge normal equations);
    ``gram``: ``A'A`` when already computed (it is not changed)."""
    from scipy.linalg import cho_factor

    G = A.T @ A if gram is None else gram.copy()
    G[np.diag_indices_from(G)] += float(ridge) * len(A)
    return cho_factor(G, lower=True, check_finite=False)


class LeastSquaresClassifier:
    """Ridge least-squares classifier of current (1) against reference (0) rows.

    The features are standardised on the training rows; ``kind="abs"`` adds their absolute
    values (standardised again), ``kind="quadratic"`` their squares, so that a change of
    spread separates the samples as well as a change of location; ``"linear"`` adds
    nothing. The absolute value sees a change of spread in zero-inflated features (counts,
    pixels: a point mass at zero that becomes a spread of small values) far better than the
    square, whose heavy tail drowns it. The score of a row is ``x . w`` on the standardised design,
    where ``w`` solves ``(A'A + ridge * n_train * I) w = A'(t - mean t)``.

    It is linear in the labels: :func:`classifier_scores` computes the out-of-fold scores of
    hundreds of label permutations with one matrix product per fold. A scikit-learn style
    estimator (``fit``, ``decision_function``, ``predict_proba`` = logistic of the score,
    ``coef_``), so it also runs where any classifier does.
    """

    def __init__(self, kind: str = CLASSIFIER_MODELS[0], ridge: float = CLASSIFIER_RIDGE[0]):
        if kind not in CLASSIFIER_MODELS:
            raise InvalidSettingError(f"kind {kind!r} is not known; use one of "
                                      f"{', '.join(CLASSIFIER_MODELS)}.")
        self.kind = kind
        self.ridge = ridge

    def get_params(self, deep: bool = True) -> dict:
        return {"kind": self.kind, "ridge": self.ridge}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def __sklearn_clone__(self):
        return LeastSquaresClassifier(self.kind, self.ridge)

    def _second(self, A: np.ndarray) -> np.ndarray:
        return A * A if self.kind == "quadratic" else np.abs(A)

    def _prepare(self, Ztr: np.ndarray) -> None:
        mu, sd = Ztr.mean(axis=0), Ztr.std(axis=0)
        self.mean_, self.scale_ = mu, np.where(sd > 0, sd, 1.0)
        if self.kind != "linear":
            S = self._second((Ztr - mu) / self.scale_)
            mu2, sd2 = S.mean(axis=0), S.std(axis=0)
            self.mean2_, self.scale2_ = mu2, np.where(sd2 > 0, sd2, 1.0)

    def design(self, Z: np.ndarray) -> np.ndarray:
        """The standardised design (features, then their absolute values or squares) of
        rows ``Z``."""
        Z = np.asarray(Z, dtype=np.float64)
        if self.kind == "linear":
            return (Z - self.mean_) / self.scale_
        d = Z.shape[1]
        A = np.empty((len(Z), 2 * d))
        first, second = A[:, :d], A[:, d:]
        np.subtract(Z, self.mean_, out=first)
        first /= self.scale_
        if self.kind == "quadratic":
            np.multiply(first, first, out=second)
        else:
            np.abs(first, out=second)
        second -= self.mean2_
        second /= self.scale2_
        return A

    def factor(self, Ztr: np.ndarray):
        """Fit the standardisation on ``Ztr``; returns (design, Cholesky factor)."""
        self._prepare(Ztr)
        A = self.design(Ztr)
        return A, _ridge_factor(A, self.ridge)


    def fit(self, Z, t):
        from scipy.linalg import cho_solve

        Z = np.asarray(Z, dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        A, cf = self.factor(Z)
        self.coef_ = cho_solve(cf, A.T @ (t - t.mean()), check_finite=False)[None, :]
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, Z) -> np.ndarray:
        return self.design(Z) @ self.coef_[0]

    def predict_proba(self, Z) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-4.0 * self.decision_function(Z)))
        return np.column_stack([1.0 - p, p])


@dataclass
class ClassifierTestResult:
    """What :func:`classifier_scores` found.

    Attributes
    ----------
    auc : float
        The statistic: AUROC of telling current from reference rows (0.5 =
        indistinguishable). Method ``permutation``: of the out-of-fold scores of every row
        (of the first model when ``ridge`` holds several penalties); method ``split``: of
        the held-out half's scores.
    p_value : float
        Method ``permutation``: ``(b + 1) / (P + 1)``, where ``b`` of ``P`` relabelings
        (the reference/current labels shuffled, every fold's model refitted) reach the
        observed AUROC; with several penalties, the smallest of the models' such
        p-values, ranked among the relabelings' own. Exact under no drift. Method ``split``: the one-sided
        Mann-Whitney p-value of the held-out current rows' scores being higher than the
        held-out reference rows' (exact, since the model never saw the held-out rows).
    reference_scores : ndarray (n,)
        Out-of-fold score of each reference row (higher = more like the current sample);
        a model's probability, or for the built-in models the least-squares score.
    current_scores : ndarray (m,)
        The same for each current row: higher = more unlike the reference.
    oof_auc : float
        AUROC of those out-of-fold scores (the statistic for method ``permutation``).
    feature_importance : ndarray (d,)
        How much each feature drives the split. For the built-in models: how far the
        feature's terms of the out-of-fold scores (the feature and its absolute value or
        square, each times its weight in the model fitted on the other folds) lie higher
        on current rows than on reference rows, as a mean difference; these add up to
        the out-of-fold scores' own mean difference, are near 0 for a feature that does
        not drive the split (negative by chance) and, summed over the features of one
        column, do not grow with their number. (Absolute in-sample coefficients, summed
        so, ranked an unshifted text column of 32 features first.) A linear
        scikit-learn model: its absolute coefficients on standardised features; else its
        ``feature_importances_``, else the absolute standardised mean difference.
    method : str
        ``"permutation"`` or ``"split"``.
    n_permutations : int
        Relabelings behind the p-value (0 for ``split``).
    held_out_reference, held_out_current : ndarray or None
        Method ``split``: indices (into ``X`` and ``Y``) of the held-out rows it scored.
    held_out_reference_scores, held_out_current_scores : ndarray or None
        Method ``split``: their scores from the model fitted on the other half.
    """

    auc: float
    p_value: float
    reference_scores: np.ndarray
    current_scores: np.ndarray
    oof_auc: float
    feature_importance: np.ndarray
    method: str = "permutation"
    n_permutations: int = 0
    held_out_reference: np.ndarray | None = None
    held_out_current: np.ndarray | None = None
    held_out_reference_scores: np.ndarray | None = None
    held_out_current_scores: np.ndarray | None = None


def _auc_columns(S: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Mann-Whitney ``U`` (ties count half) of every column of scores ``S`` for the rows
    that column ``T`` marks 1 against the others.

    Each column's two groups are sorted apart; ``U`` counts, for every marked score, the
    unmarked scores below it plus half of those equal to it (two binary searches of the
    sorted marked scores in the sorted unmarked ones)."""
    St = np.ascontiguousarray(S.T)  # one score column per row: the sorts run on contiguous rows
    marked = np.ascontiguousarray(T.T) > 0.5
    U = np.empty(len(St))
    for j, (s, mk) in enumerate(zip(St, marked, strict=True)):
        a, b = np.sort(s[mk]), np.sort(s[~mk])
        below = np.searchsorted(b, a, side="left")
        U[j] = below.sum(dtype=np.float64)
        inside = below < len(b)
        if (b[below[inside]] == a[inside]).any():  # ties across the groups count half
            U[j] = (U[j] + np.searchsorted(b, a, side="right").sum(dtype=np.float64)) / 2.0
    return U


def _ks_columns(S: np.ndarray, T: np.ndarray, m: int) -> np.ndarray:
    """Two-sample KS distance of every column of scores ``S`` between the rows that column
    ``T`` marks 1 (``m`` of them) and the others (ties: measured at a group's end)."""
    N = len(S)
    order = np.argsort(S, axis=0, kind="stable")
    Ss = np.take_along_axis(S, order, axis=0)
    Ts = np.take_along_axis(T, order, axis=0)
    D = np.abs(np.cumsum(Ts, axis=0) / m - np.cumsum(1.0 - Ts, axis=0) / (N - m))
    end = np.ones(Ss.shape, dtype=bool)
    end[:-1] = Ss[1:] != Ss[:-1]
    return np.max(np.where(end, D, 0.0), axis=0)


#: Memory (bytes) up to which :func:`_crossfit_statistics` keeps every fold's design matrix
#: between batches of relabelings.
_DESIGN_BYTES = 2 ** 30


def _crossfit_statistics(Z: np.ndarray, t: np.ndarray, estimators: list, folds: list, P: int,
                         rng, statistic: str = "auc") -> tuple[list, np.ndarray]:
    """The statistic of the observed labels (column 0) and of ``P`` relabelings (columns
    1..P) for each least-squares estimator, all on the same relabelings.

    Every relabeling refits every fold's model; since the fit is linear in the labels, one
    Cholesky factor per fold serves all relabelings. Returns the observed labels'
    out-of-fold scores per estimator and an array (estimators, P + 1): Mann-Whitney ``U``
    (``statistic="auc"``) or the KS distance (``"ks"``) of the scores."""
    from scipy.linalg import cho_solve

    N, m = len(t), int(t.sum())
    # the fold designs (one per kind of model and fold, shared by the penalties; N rows
    # per fold, training and test rows together) are kept while they fit in
    # _DESIGN_BYTES; above that each batch of relabelings rebuilds them from Z, fold by
    # fold, so memory stays a few times that of Z (the same numbers either way)
    kinds = list(dict.fromkeys(est.kind for est in estimators))  # in the estimators' order
    keep = sum(N * Z.shape[1] * (1 if k == "linear" else 2) for k in kinds) * len(folds) * 8 \
        <= _DESIGN_BYTES
    scalers: dict = {}  # (kind, fold) -> the fold's fitted standardisation
    designs: dict = {}  # (kind, fold) -> (train design, test design), while they fit
    factors: dict = {}  # (estimator, fold) -> Cholesky factor
    for kind in kinds:
        for i, (train, test) in enumerate(folds):
            key = (kind, i)
            scalers[key] = LeastSquaresClassifier(kind)
            scalers[key]._prepare(Z[train])
            A = scalers[key].design(Z[train])
            if keep:
                designs[key] = (A, scalers[key].design(Z[test]))
            gram = A.T @ A  # shared by the penalties of this kind
            for e, est in enumerate(estimators):
                if est.kind == kind:
                    factors[e, i] = _ridge_factor(A, est.ridge, gram)
            del A, gram
    batch = max(1, min(P + 1, int((2e7 if keep else 4e7) // max(N, 1))))
    stats = np.empty((len(estimators), P + 1))
    obs_scores = []
    for start in range(0, P + 1, batch):
        cols = range(start, min(P + 1, start + batch))
        T = np.empty((N, len(cols)))
        for j, c in enumerate(cols):
            T[:, j] = t if c == 0 else t[rng.permutation(N)]
        S = [np.empty_like(T) for _ in estimators]
        # fold by fold, each kind's design is built once and serves every penalty
        for i, (train, test) in enumerate(folds):
            Tt = T[train]
            Tc = Tt - Tt.mean(axis=0)
            del Tt
            for kind in kinds:
                key = (kind, i)
                A, B = designs[key] if keep else (scalers[key].design(Z[train]),
                                                   scalers[key].design(Z[test]))
                AT = A.T @ Tc
                for e, est in enumerate(estimators):
                    if est.kind == kind:
                        S[e][test] = B @ cho_solve(factors[e, i], AT, check_finite=False)
                del A, B, AT
            del Tc
        for e, Se in enumerate(S):
            stats[e, start:start + len(cols)] = (_auc_columns(Se, T) if statistic == "auc"
                                                 else _ks_columns(Se, T, m))
            if start == 0:
                obs_scores.append(Se[:, 0].copy())
        del S
    return obs_scores, stats


def _crossfit_setup(N: int, random_state, n_folds: int = 5) -> tuple[list, int, int]:
    """(folds, seed of the held-out split, seed of the relabelings) of
    :func:`classifier_scores` for ``N`` pooled rows. The folds are drawn without looking at
    the labels, so the rows' (features, fold) pairs are exchangeable under no drift and the
    permutation test is exact."""
    from sklearn.model_selection import KFold

    seeds = np.random.default_rng(random_state).integers(2**31 - 1, size=3)
    folds = list(KFold(n_folds, shuffle=True, random_state=int(seeds[0])).split(np.zeros(N)))
    return folds, int(seeds[1]), int(seeds[2])


def _min_p_value(U: np.ndarray) -> float:
    """p-value of the observed labels (column 0) from statistics ``U`` (models, P + 1)
    on shared relabelings: one model, ``(b + 1) / (P + 1)``; several, the smallest of the
    models' permutation p-values, itself ranked among the relabelings' (exact: the columns
    are exchangeable under no drift)."""
    P1 = U.shape[1]
    if len(U) == 1:  # Mann-Whitney U moves in steps of 1/2
        return (int(np.sum(U[0, 1:] >= U[0, 0] - 0.25)) + 1) / P1
    cp = np.array([(P1 - np.searchsorted(np.sort(u), u - 0.25, side="left")) / P1 for u in U])
    mp = cp.min(axis=0)
    return float(np.sum(mp <= mp[0] + 1e-12) / P1)


def _ridges(ridge) -> tuple[float, ...]:
    vals = list(ridge) if isinstance(ridge, (tuple, list, np.ndarray)) else [ridge]
    if not vals or any(isinstance(v, bool) for v in vals):
        raise InvalidSettingError(f"ridge={ridge!r} must be a positive number or a list of them.")
    return tuple(check_positive(v, "ridge") for v in vals)


def classifier_scores(X, Y, *, model=None, n_folds: int = 5, method: str = "auto",
                      n_permutations: int = CLASSIFIER_PERMUTATIONS, ridge=None,
                      random_state=0) -> ClassifierTestResult:
    """Classifier two-sample test with per-item scores and driving features.

    A classifier learns to tell current rows (1) from reference rows (0). ``model``:

    - ``None`` or ``"abs"`` (the default): ridge least squares
      (:class:`LeastSquaresClassifier`) on the standardised features and their absolute
      values, so that a change of spread (noise, variance) separates the samples as well
      as a change of location. ``ridge`` (default :data:`CLASSIFIER_RIDGE`, 0.1 and 1 per training
      row): one model per value; with several, the p-value is the smallest of their
      permutation p-values, ranked among the relabelings' (still exact), and the first
      model gives the AUROC, the scores and the driving features. A light penalty finds
      a change spread over many features, a heavy one a change along the data's main
      directions (class priors);
    - ``"quadratic"``: the same with squares instead of absolute values (the default
      before; weaker on zero-inflated features); ``"linear"``: on the features alone;
    - any scikit-learn classifier with ``predict_proba`` (cloned, never fitted in place).

    ``method``:

    - ``"permutation"`` (the default for the built-in models): the rows are split into
      ``n_folds`` folds at random, without looking at which sample a row is from; every row
      is scored by the model fitted on the other folds; the statistic is the AUROC of those
      out-of-fold scores and the p-value ``(b + 1) / (P + 1)`` over ``n_permutations``
      relabelings, each refitting every fold. Exact under no drift, and every row is
      scored, so it has more power than a held-out half. (The Mann-Whitney p-value of
      pooled out-of-fold scores, which treats them as independent, is *not* valid: the
      folds' models share training rows; in 300 seeded no-shift runs it alarmed at
      0.08-0.10 for alpha = 0.05.) With a scikit-learn model each relabeling refits it
      ``n_folds`` times: slow.
    - ``"split"`` (the default for a scikit-learn model): the model is fitted on one
      stratified half and scores the other; the p-value is the one-sided Mann-Whitney
      p-value of the held-out rows, exact because they were never seen. One fit, half the
      rows scored.
    - ``"auto"``: ``permutation`` for the built-in models, ``split`` otherwise.

    Per-row scores are the out-of-fold scores (so every row, reference or current, gets a
    score from a model that never saw it). See :class:`ClassifierTestResult`.
    """
    from scipy.stats import mannwhitneyu
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    X, Y = _pair(X, Y)
    folds = check_int(n_folds, "n_folds", minimum=2)
    if method not in CLASSIFIER_METHODS:
        raise InvalidSettingError(f"method {method!r} is not known; use "
                                  f"{', '.join(CLASSIFIER_METHODS)}.")
    n, m = len(X), len(Y)
    if min(n, m) < max(folds, 4):
        raise EmptyDataError(f"classifier_test needs at least {max(folds, 4)} rows in each "
                             f"sample (n_folds={folds}); got {n} reference and {m} current rows.")
    est = _resolve_model(model)
    builtin = isinstance(est, LeastSquaresClassifier)
    if ridge is not None and not (model is None or isinstance(model, str)):
        raise InvalidSettingError("ridge applies to the built-in models (model=None, "
                                  f"{', '.join(map(repr, CLASSIFIER_MODELS))}); set it on the "
                                  "model you pass.")
    models = [est]
    if model is None or isinstance(model, str):
        models = [LeastSquaresClassifier(est.kind, r)
                  for r in _ridges(CLASSIFIER_RIDGE if ridge is None else ridge)]
        est = models[0]
    if method == "auto":
        method = "permutation" if builtin else "split"
    P = check_int(n_permutations, "n_permutations", minimum=1) if method == "permutation" else 0
    Z = np.vstack([X, Y])
    t = np.r_[np.zeros(n, dtype=np.int64), np.ones(m, dtype=np.int64)]
    fold_list, split_seed, perm_seed = _crossfit_setup(n + m, random_state, folds)
    rng = np.random.default_rng(perm_seed)
    if builtin:
        importance = _held_out_terms(est, Z, t, fold_list)
    else:
        importance = _importance(clone(est).fit(Z, t), X, Y)
    if method == "permutation" and builtin:
        scores, U = _crossfit_statistics(Z, t, models, fold_list, P, rng)
        auc = float(U[0, 0] / (n * m))
        return ClassifierTestResult(auc, _min_p_value(U), scores[0][:n], scores[0][n:], auc,
                                    importance, "permutation", P)

    def oof(labels: np.ndarray) -> np.ndarray:
        s = np.zeros(n + m)
        for train, test in fold_list:
            s[test] = _score(clone(est).fit(Z[train], labels[train]), Z[test])
        return s

    scores = oof(t)
    ref, cur = scores[:n], scores[n:]
    oof_auc = float(mannwhitneyu(cur, ref).statistic) / (n * m)
    if method == "permutation":  # a scikit-learn model: refit per relabeling
        labelings = [t] + [t[rng.permutation(n + m)] for _ in range(P)]
        U = np.array([[_auc_columns((scores if j == 0 else oof(tp))[:, None],
                                    tp[:, None].astype(float))[0]
                       for j, tp in enumerate(labelings)]])
        p = _min_p_value(U)
        return ClassifierTestResult(oof_auc, p, ref, cur, oof_auc, importance, "permutation", P)
    train, test = next(StratifiedKFold(2, shuffle=True, random_state=split_seed).split(Z, t))
    held = _score(clone(est).fit(Z[train], t[train]), Z[test])
    tt = t[test]
    h_ref, h_cur = held[tt == 0], held[tt == 1]
    u = mannwhitneyu(h_cur, h_ref, alternative="greater", method="auto")
    auc = float(u.statistic) / (len(h_cur) * len(h_ref))
    return ClassifierTestResult(auc, float(u.pvalue), ref, cur, oof_auc, importance, "split", 0,
                                test[tt == 0], test[tt == 1] - n, h_ref, h_cur)


def _score(fitted, Z: np.ndarray) -> np.ndarray:
    if isinstance(fitted, LeastSquaresClassifier):
        return fitted.decision_function(Z)
    return fitted.predict_proba(Z)[:, 1]


def _resolve_model(model):
    if model is None:
        return LeastSquaresClassifier(CLASSIFIER_MODELS[0])
    if isinstance(model, str):
        if model not in CLASSIFIER_MODELS:
            raise InvalidSettingError(f"model {model!r} is not known; use one of "
                                      f"{', '.join(CLASSIFIER_MODELS)} or a scikit-learn "
                                      f"classifier with predict_proba.")
        return LeastSquaresClassifier(model)
    if not (hasattr(model, "fit") and hasattr(model, "predict_proba")):
        raise InvalidSettingError(f"model must be {' or '.join(map(repr, CLASSIFIER_MODELS))} "
                                  f"or a scikit-learn classifier with fit and predict_proba; "
                                  f"got {type(model).__name__}.")
    return model


def _held_out_terms(est: LeastSquaresClassifier, Z: np.ndarray, t: np.ndarray,
                    fold_list: list) -> np.ndarray:
    """Per feature of ``Z``: the mean over current rows (``t == 1``) less the mean over
    reference rows of its terms of the out-of-fold scores (the feature's design columns
    times their weights in the model fitted on the other folds); see
    :attr:`ClassifierTestResult.feature_importance`."""
    from sklearn.base import clone

    d = Z.shape[1]
    sums = np.zeros((2, d))
    for train, test in fold_list:
        fitted = clone(est).fit(Z[train], t[train])
        terms = fitted.design(Z[test]) * fitted.coef_[0]
        if fitted.kind != "linear":
            terms = terms[:, :d] + terms[:, d:]
        for side in (0, 1):
            sums[side] += terms[t[test] == side].sum(axis=0)
    counts = np.bincount(t, minlength=2).astype(float)
    return sums[1] / counts[1] - sums[0] / counts[0]


def _importance(fitted, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    d = X.shape[1]
    last = fitted.steps[-1][1] if hasattr(fitted, "steps") else fitted
    scaled = hasattr(fitted, "steps") and len(fitted.steps) > 1
    if hasattr(last, "coef_"):
        coef = np.abs(np.asarray(last.coef_, dtype=np.float64)).ravel()
        if coef.size == 2 * d:
            return coef[:d] + coef[d:]  # a feature drives the split through itself and its square
        if not scaled:
            coef = coef * np.vstack([X, Y]).std(axis=0)
        return coef
    if hasattr(last, "feature_importances_"):
        return np.asarray(last.feature_importances_, dtype=np.float64)
    sd = np.vstack([X, Y]).std(axis=0)
    return np.abs(Y.mean(0) - X.mean(0)) / np.where(sd > 0, sd, 1.0)


def classifier_test(X, Y, *, random_state=0, model=None, n_folds: int = 5,
                    method: str = "auto", n_permutations: int = CLASSIFIER_PERMUTATIONS,
                    ridge=None) -> tuple[float, float]:
    """Classifier two-sample test: ``(AUROC, p-value)``.

    Default: out-of-fold AUROC of ridge least-squares classifiers (penalties 0.1 and 1) on
    the standardised features and their absolute values, with an exact permutation p-value over
    ``n_permutations`` relabelings (every fold refitted each time; the smaller of the two
    models' p-values, ranked among the relabelings'). ``model="linear"`` drops the absolute values; a
    scikit-learn classifier uses a held-out half and the exact Mann-Whitney p-value unless
    ``method="permutation"``. See :func:`classifier_scores` (which also returns per-item
    scores and the driving features).
    """
    r = classifier_scores(X, Y, model=model, n_folds=n_folds, method=method,
                          n_permutations=n_permutations, ridge=ridge, random_state=random_state)
    return r.auc, r.p_value
