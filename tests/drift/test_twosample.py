"""The pure two-sample tests against scipy and brute-force permutations."""

from __future__ import annotations

import itertools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dataqa.drift import (
    UNSEEN,
    binned_chi2_test,
    category_counts,
    chi2_test,
    classifier_scores,
    classifier_test,
    cvm_test,
    detect_drift,
    ks_test,
    median_kernel_width,
    mmd_test,
)
from dataqa.errors import EmptyDataError, FeatureTypeError, InvalidSettingError


def test_ks_and_cvm_match_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=80), rng.normal(0.4, 1.2, size=60)
    r = stats.ks_2samp(x, y)
    assert ks_test(x, y) == pytest.approx((r.statistic, r.pvalue), rel=1e-12)
    c = stats.cramervonmises_2samp(x, y)
    assert cvm_test(x, y) == pytest.approx((c.statistic, c.pvalue), rel=1e-12)


def test_ks_drops_missing_values():
    x = np.array([1.0, 2.0, np.nan, 3.0, 4.0])
    y = np.array([2.5, np.nan, 3.5, 5.0])
    assert ks_test(x, y) == pytest.approx(ks_test(x[~np.isnan(x)], y[~np.isnan(y)]))
    # by hand: ECDF gap is largest at 2.0 (F_x = 0.5, F_y = 0)
    assert ks_test(x, y)[0] == pytest.approx(0.5)


def test_integers_beyond_float64_precision_keep_their_order():
    # 64-bit ids and nanosecond times: float64 merges neighbours above 2**53, which read
    # two disjoint samples as one value (statistic 0, p = 1). Compared exactly, they are
    # the same tests as the small integers they are shifted from.
    import pandas as pd

    from dataqa.drift import detect_drift

    x, y = np.arange(50), np.arange(30, 100)
    for big in (2**60, -(2**62)):
        assert ks_test(x + big, y + big) == ks_test(x, y)
        assert cvm_test(x + big, y + big) == cvm_test(x, y)
    assert ks_test(x + 2**60, y + 2**60)[0] == pytest.approx(1 - 20 / 70)  # at 49
    # nullable integers with a missing value; unsigned beyond int64; the two kinds mixed
    assert ks_test(pd.Series(x + 2**60, dtype="Int64"),
                   pd.Series([*(y + 2**60), None], dtype="Int64")) == ks_test(x, y)
    top = np.uint64(2**63)
    assert ks_test(x.astype(np.uint64) + top, y.astype(np.uint64) + top) == ks_test(x, y)
    assert ks_test(np.r_[x, -2**62], (y + 2**62).astype(np.uint64))[0] == 1.0
    # a span beyond 2**53 too: by rank, the same order
    assert ks_test(np.r_[x, 2**62], np.r_[y, -2**62]) == ks_test(np.r_[x, 500], np.r_[y, -500])
    # through detect_drift: the test and the effect see the distances between the values
    ref, cur = pd.DataFrame({"id": (x + 2**60).repeat(3)}), pd.DataFrame({"id": (y + 2**60).repeat(3)})
    small = detect_drift(pd.DataFrame({"id": x.repeat(3)}), pd.DataFrame({"id": y.repeat(3)}))
    got = detect_drift(ref, cur).columns.iloc[0]
    want = small.columns.iloc[0]
    assert got["drifted"] and (got["statistic"], got["p_value"], got["effect"]) == (
        want["statistic"], want["p_value"], want["effect"])
    # spanning more than 2**53: the test by rank, the effect from the values (float64,
    # which see the two samples as the same: no effect), not from the ranks
    wide = detect_drift(pd.DataFrame({"v": np.r_[np.arange(1000) + 2**62, 0]}),
                        pd.DataFrame({"v": np.r_[np.arange(500, 1500) + 2**62, 0]}))
    row = wide.columns.iloc[0]
    assert row["p_value"] < 1e-10 and row["effect"] < 1e-6 and not row["drifted"]


def test_numeric_tests_name_the_problem():
    with pytest.raises(EmptyDataError, match="y \\(current\\) has no non-missing"):
        ks_test([1.0, 2.0], [np.nan])
    with pytest.raises(FeatureTypeError, match="x \\(reference\\) must be numeric"):
        cvm_test(["a", "b"], [1.0, 2.0])


def _ks_stat(x, y):
    v = np.unique(np.r_[x, y])
    fx = np.searchsorted(np.sort(x), v, side="right") / len(x)
    fy = np.searchsorted(np.sort(y), v, side="right") / len(y)
    return np.abs(fx - fy).max()


def _enumerated_p(x, y, stat):
    """Share of all C(n + m, n) splits of the pooled sample whose statistic reaches the
    observed one (the observed split included)."""
    z = np.r_[x, y]
    obs = stat(x, y)
    hits = total = 0
    for idx in itertools.combinations(range(len(z)), len(x)):
        a = np.zeros(len(z), bool)
        a[list(idx)] = True
        hits += stat(z[a], z[~a]) >= obs - 1e-9 * max(1.0, abs(obs))
        total += 1
    return hits / total


def test_ks_with_ties_is_the_exact_permutation_p_value():
    rng = np.random.default_rng(4)
    for n, m, k in ((7, 6, 4), (5, 9, 3), (8, 8, 6)):
        x, y = rng.integers(0, k, n).astype(float), rng.integers(0, k + 1, m).astype(float)
        stat, p = ks_test(x, y)
        assert stat == pytest.approx(stats.ks_2samp(x, y).statistic, rel=1e-12)
        assert p == pytest.approx(_enumerated_p(x, y, _ks_stat), rel=1e-9)
        # scipy's p-value ignores the ties and is larger (conservative)
        assert p <= stats.ks_2samp(x, y).pvalue + 1e-12


def test_ks_monte_carlo_path_with_many_distinct_tied_values(monkeypatch):
    from dataqa.drift import twosample

    rng = np.random.default_rng(8)
    x, y = rng.integers(0, 5, 7).astype(float), rng.integers(1, 6, 6).astype(float)
    exact = _enumerated_p(x, y, _ks_stat)
    assert ks_test(x, y)[1] == pytest.approx(exact, rel=1e-9)
    monkeypatch.setattr(twosample, "KS_EXACT_MAX_WORK", 0)
    monkeypatch.setattr(twosample, "PERMUTATION_STOP_HITS", 10**9)  # never stop early
    stat, p = ks_test(x, y, n_permutations=20000, random_state=3)
    assert stat == pytest.approx(_ks_stat(x, y))
    assert p == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20000) + 1e-4)
    assert ks_test(x, y, n_permutations=99, random_state=3) == ks_test(
        x, y, n_permutations=99, random_state=3)


def test_cvm_with_ties_is_a_permutation_p_value(monkeypatch):
    from dataqa.drift import twosample

    rng = np.random.default_rng(6)
    x, y = rng.integers(0, 4, 6).astype(float), rng.integers(0, 5, 7).astype(float)

    def t(a, b):
        return stats.cramervonmises_2samp(a, b).statistic

    monkeypatch.setattr(twosample, "PERMUTATION_STOP_HITS", 10**9)  # never stop early
    stat, p = cvm_test(x, y, n_permutations=20000, random_state=1)
    assert stat == pytest.approx(t(x, y), rel=1e-12)  # average ranks for ties, as scipy
    exact = _enumerated_p(x, y, t)
    assert p == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20000) + 1e-4)
    # larger tied samples: the statistic still equals scipy's
    a, b = rng.binomial(9, 0.3, 300).astype(float), rng.binomial(9, 0.35, 250).astype(float)
    assert cvm_test(a, b)[0] == pytest.approx(t(a, b), rel=1e-10)
    assert cvm_test(a, b, random_state=2) == cvm_test(a, b, random_state=2)


def test_sequential_p_value_stops_at_the_20th_split_that_reaches_the_observed_one():
    # Besag-Clifford: p = h / L at the h-th reaching split L, else (b + 1) / (P + 1); the
    # same draws (batches of 100, 200, 400, ...) replayed by hand, statistics by scipy
    rng = np.random.default_rng(2)
    x, y = rng.integers(0, 6, 40).astype(float), rng.integers(0, 6, 30).astype(float)
    stat, p = cvm_test(x, y, n_permutations=5000, random_state=11)
    values = np.unique(np.r_[x, y])
    counts = np.array([np.sum(np.r_[x, y] == v) for v in values])
    from dataqa.drift.twosample import _mc_rng

    draws = _mc_rng(11, counts)
    seen, hits, L, batch = 0, 0, None, 100
    while L is None and seen < 5000:
        # few items per distinct value (70 < 20 x 6): numpy's "count" method
        for d in draws.multivariate_hypergeometric(counts, 40, size=min(batch, 5000 - seen),
                                                   method="count"):
            seen += 1
            a = np.repeat(values, d)
            b = np.repeat(values, counts - d)
            hits += stats.cramervonmises_2samp(a, b).statistic >= stat * (1 - 1e-9)
            if hits == 20:
                L = seen
                break
        batch = min(2 * batch, 2000)
    assert L is not None and p == pytest.approx(20 / L)
    # a clear shift: no early stop, the smallest p-value 1 / (P + 1)
    assert cvm_test(x, y + 3, n_permutations=500)[1] == pytest.approx(1 / 501)


def test_a_few_ties_do_not_floor_a_large_shift_at_one_over_p_plus_one():
    # one value shared by the two samples among 16,000 distinct ones: the Monte-Carlo
    # path's floor 1 / 2001 would hide the shift from a correction over many columns
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=8000), rng.normal(0.1, 1.0, 8000)
    untied = ks_test(x, y)
    y[0] = x[0]
    stat, p = ks_test(x, y)
    assert stat == pytest.approx(untied[0])
    assert p < 1e-8 and p == pytest.approx(stats.ks_2samp(x, y).pvalue, rel=1e-6)
    # without a shift the permutation p-value is kept as it was
    z = rng.normal(size=8000)
    z[0] = x[0]
    assert ks_test(x, z)[1] > 1 / 2001


def test_ks_floor_bound_keeps_the_test_valid_below_the_floor(monkeypatch):
    # Monte-Carlo path with 19 splits (floor 0.05) on heavily tied data without shift:
    # below the floor only the untied p-value (conservative for tied data) can reject,
    # so P(p <= 0.01) stays at most 0.01; 1,500 seeded repetitions (sd of 0.01: 0.0026)
    from dataqa.drift import twosample

    monkeypatch.setattr(twosample, "KS_EXACT_MAX_WORK", 0)
    rng = np.random.default_rng(5)
    reps, low, at_floor = 1500, 0, 0
    for i in range(reps):
        x, y = np.round(rng.normal(size=(2, 40)), 1)
        p = ks_test(x, y, n_permutations=19, random_state=i)[1]
        low += p <= 0.01
        at_floor += p <= 0.05
    assert low / reps <= 0.01 + 3 * 0.0026, low / reps
    assert at_floor / reps <= 0.05 + 3 * 0.0056, at_floor / reps


def test_tied_columns_keep_the_false_alarm_rate_near_alpha():
    # integer data with 9 values; scipy's KS p-value alarms at ~0.02 here. 400 seeded
    # no-shift repetitions (binomial sd of a rate of 0.05: 0.011)
    rng = np.random.default_rng(123)
    reps = 400
    ks_hits = cvm_hits = scipy_hits = 0
    for i in range(reps):
        x, y = rng.binomial(8, 0.4, (2, 60)).astype(float)
        ks_hits += ks_test(x, y)[1] <= 0.05
        cvm_hits += cvm_test(x, y, n_permutations=200, random_state=i)[1] <= 0.05
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scipy: exact -> asymptotic
            scipy_hits += stats.ks_2samp(x, y).pvalue <= 0.05
    assert 0.03 <= ks_hits / reps <= 0.075, ks_hits / reps
    assert 0.03 <= cvm_hits / reps <= 0.075, cvm_hits / reps
    assert scipy_hits < ks_hits


def test_one_column_tests_refuse_a_table_of_several_columns():
    two = np.zeros((10, 2))
    for test, x, y in ((ks_test, two, np.ones(10)), (cvm_test, [[1, 2]] * 5, [1.0, 2, 3]),
                       (chi2_test, np.array([["a", "b"], ["a", "a"]] * 10), np.array(["a", "b"] * 10)),
                       (chi2_test, ["a", "b"] * 5, two.astype(str))):
        which = "x (reference)" if np.ndim(x) > 1 else "y (current)"
        with pytest.raises(FeatureTypeError, match=re.escape(f"{which} has shape ") + ".*compare one column"):
            test(x, y)
    # a single column held as (n, 1) is that column
    col = np.arange(10.0)
    assert ks_test(col[:, None], col + 5) == ks_test(col, col + 5)
    import pandas as pd

    cats, more = np.array(list("aabbc") * 4), np.array(list("abccc") * 4)
    assert chi2_test(cats[:, None], more) == chi2_test(cats, more)
    assert chi2_test(pd.DataFrame({"c": cats}), pd.Series(more)) == chi2_test(cats, more)


def test_ks_and_cvm_check_n_permutations():
    with pytest.raises(InvalidSettingError, match="n_permutations"):
        ks_test([1.0, 1.0, 2.0], [2.0, 3.0], n_permutations=0)
    with pytest.raises(InvalidSettingError, match="n_permutations"):
        cvm_test([1.0, 1.0, 2.0], [2.0, 3.0], n_permutations=0)


def test_chi2_matches_scipy_contingency():
    x = ["a"] * 40 + ["b"] * 30 + ["c"] * 30
    y = ["a"] * 20 + ["b"] * 45 + ["c"] * 35
    table = np.array([[40, 30, 30], [20, 45, 35]])
    stat, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert chi2_test(x, y) == pytest.approx((stat, p), rel=1e-12)


def test_chi2_unseen_bucket_and_missing_category():
    cats, ca, cb = category_counts(["a", "a", "b", None], ["a", "z", "y", None, None])
    assert cats == ["<NA>", "a", "b", UNSEEN]
    assert ca.tolist() == [1, 2, 1, 0]
    assert cb.tolist() == [2, 1, 0, 2]
    # booleans are categories too
    cats, ca, cb = category_counts([True, False, True], [True, True])
    assert cats == ["False", "True"] and ca.tolist() == [1, 2] and cb.tolist() == [0, 2]


def test_whole_numbers_held_as_floats_are_the_same_categories_as_integers():
    import pandas as pd

    # integer codes in one table; the same codes as floats in the other (a missing value
    # made the column float), plain, as a category dtype, and mixed in an object column
    assert chi2_test(np.array([1, 2, 3] * 20), np.array([1.0, 2.0, 3.0] * 20)) == (0.0, 1.0)
    floats = pd.Series([1.0, 2.0, 3.0, np.nan] * 5).astype("category")
    cats, ca, cb = category_counts(pd.Series([1, 2, 3, 3] * 5).astype("category"), floats)
    assert cats == ["1", "2", "3", UNSEEN]  # (the missing values: the reference has none)
    assert cb.tolist() == [5, 5, 5, 5] and ca.tolist() == [5, 5, 10, 0]
    cats, ca, cb = category_counts(["a", 1.5, 2.0, -0.0, None], ["a", 1.5, 2, 0, np.nan])
    assert dict(zip(cats, ca.tolist(), strict=True)) == {"a": 1, "1.5": 1, "2": 1, "0": 1, "<NA>": 1}
    assert ca.tolist() == cb.tolist()
    # and detect_drift sees no change in such a column (it saw 100% -> 0% before)
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"code": pd.Series(rng.integers(1, 4, 200)).astype("category")})
    c = rng.integers(1, 4, 200).astype(float)
    c[:5] = np.nan
    cur = pd.DataFrame({"code": pd.Series(c).astype("category")})
    from dataqa.drift import detect_drift

    res = detect_drift(ref, cur, multivariate=("mmd", "classifier"))
    assert not res.drifted and res.columns["effect"].iloc[0] < 0.5  # (1.0 before)
    assert res.multivariate["mmd"]["p_value"] > 0.05 and res.multivariate["classifier"]["p_value"] > 0.05


def test_chi2_permutation_p_value_is_the_exact_one_up_to_monte_carlo_error():
    # small expected counts: a Monte-Carlo permutation p-value over random splits of the
    # pooled items; against the exact one, by enumeration of every split's counts
    from math import comb

    x = ["a"] * 6 + ["b"] * 3 + ["c"]
    y = ["a"] * 2 + ["b"] * 5 + ["d"] * 2
    stat, p = chi2_test(x, y, random_state=7)
    table = np.array([[6, 3, 1, 0], [2, 5, 0, 2]], dtype=float)  # d: the unseen bucket
    assert stat == pytest.approx(stats.chi2_contingency(table, correction=False)[0], rel=1e-12)
    t = np.array([8, 8, 1, 2])
    exact = 0.0
    for r in itertools.product(*(range(c + 1) for c in t)):
        if sum(r) == 10:
            tab = np.vstack([r, t - np.array(r)]).astype(float)
            if stats.chi2_contingency(tab, correction=False)[0] >= stat - 1e-9:
                exact += (np.prod([comb(int(c), int(k)) for c, k in zip(t, r, strict=True)])
                          / comb(19, 10))
    assert exact == pytest.approx(0.1195, abs=1e-4)
    ps = np.array([chi2_test(x, y, random_state=s)[1] for s in range(100)])
    # sequential p-values stop at the 20th split that reaches the statistic: each is
    # within about 25% of the exact one, their mean closer
    assert np.mean(ps) == pytest.approx(exact, rel=0.1)
    assert 0.05 < p < 0.3


def test_chi2_keeps_its_level_on_columns_with_many_rare_values():
    # user names, cities: random halves of one table always leave some values out of the
    # reference; counting those as "unseen" against a fixed bucket alarmed in 68% (300
    # values) and 100% (3,000 values) of no-shift splits
    rng = np.random.default_rng(11)
    for k in (300, 3000):
        p = np.array([chi2_test(*np.split(rng.integers(0, k, 600).astype(str), 2),
                                random_state=r)[1] for r in range(80)])
        assert np.mean(p <= 0.05) <= 0.1, (k, np.mean(p <= 0.05))
    # a brand-new value in the current sample is still drift
    ref = rng.integers(0, 300, 300).astype(str)
    cur = np.r_[rng.integers(0, 300, 240).astype(str), np.full(60, "new")]
    assert chi2_test(ref, cur)[1] < 0.001


def test_chi2_single_category_is_no_evidence():
    assert chi2_test(["a"] * 5, ["a"] * 9) == (0.0, 1.0)


def _mmd_unbiased(X, Y, w):
    def k(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * w * w))
    n, m = len(X), len(Y)
    sxx = sum(k(X[i], X[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    syy = sum(k(Y[i], Y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    sxy = sum(k(X[i], Y[j]) for i in range(n) for j in range(m)) / (n * m)
    return sxx + syy - 2 * sxy


def test_mmd_statistic_and_p_value_are_brute_force():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(9, 2)), rng.normal(0.7, 1.0, size=(7, 2))
    Z = np.vstack([X, Y])
    w = median_kernel_width(Z)
    d = np.sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1))[np.triu_indices(16, 1)]
    assert w == pytest.approx(np.median(d))
    # default width: half the median distance
    stat, p = mmd_test(X, Y, n_permutations=199, random_state=5)
    obs = _mmd_unbiased(X, Y, w / 2)
    assert stat == pytest.approx(obs, abs=1e-6)
    # the same relabelings, drawn in the same order, computed in float64 by loops
    draws = np.random.default_rng(5)
    b = 0
    for _ in range(199):
        idx = draws.permutation(16)
        a = np.zeros(16, bool)
        a[idx[:9]] = True
        b += _mmd_unbiased(Z[a], Z[~a], w / 2) >= obs - 1e-6
    assert p == pytest.approx((b + 1) / 200)
    # the classic median heuristic stays reachable
    assert mmd_test(X, Y, n_permutations=9, median_scale=1.0)[0] == pytest.approx(
        _mmd_unbiased(X, Y, w), abs=1e-6)
    assert mmd_test(X, Y, n_permutations=9, median_scale=0.25)[0] == pytest.approx(
        _mmd_unbiased(X, Y, w / 4), abs=1e-6)


def test_mmd_p_value_approaches_exact_enumeration():
    rng = np.random.default_rng(11)
    X, Y = rng.normal(size=(4, 1)), rng.normal(1.0, 1.0, size=(4, 1))
    Z = np.vstack([X, Y])
    w = 1.0
    obs = _mmd_unbiased(X, Y, w)
    splits = list(itertools.combinations(range(8), 4))
    vals = []
    for s in splits:
        a = np.zeros(8, bool)
        a[list(s)] = True
        vals.append(_mmd_unbiased(Z[a], Z[~a], w))
    exact = np.mean(np.array(vals) >= obs - 1e-9)  # includes the observed split
    _, p = mmd_test(X, Y, n_permutations=20000, kernel_width=w, random_state=0)
    assert p == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20000) + 1e-4)


def test_mmd_block_estimator_is_the_mean_of_block_statistics():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    from dataqa.drift import twosample

    old = twosample.MMD_BLOCK_SIZE
    twosample.MMD_BLOCK_SIZE = 40  # two blocks of 20 + 20
    try:
        stat, p = mmd_test(X, Y, n_permutations=50, kernel_width=1.5, method="block",
                           random_state=4)
    finally:
        twosample.MMD_BLOCK_SIZE = old
    draws = np.random.default_rng(4)
    px, py = draws.permutation(40), draws.permutation(40)
    blocks = [(px[:20], py[:20]), (px[20:], py[20:])]
    expected = np.mean([_mmd_unbiased(X[bx], Y[by], 1.5) for bx, by in blocks])
    assert stat == pytest.approx(expected, abs=1e-6)
    assert 1 / 51 <= p <= 1



def test_mmd_rows_compares_part_of_a_much_larger_sample():
    from dataqa.drift.twosample import mmd_rows

    assert mmd_rows(6000, 6000) == (6000, 6000)  # 12,000 pooled: everything, quadratic
    assert mmd_rows(100_000, 100_000) == (100_000, 100_000)  # balanced blocks: everything
    assert mmd_rows(100_000, 60_000) == (100_000, 60_000)
    # a small window against a large reference: the quadratic estimator on 12,000 rows
    assert mmd_rows(100_000, 3300) == (8700, 3300)
    assert mmd_rows(3300, 100_000) == (3300, 8700)  # whichever side is larger
    # a window too large for it: blocks with twice the window's rows of reference
    assert mmd_rows(1_000_000, 33_000) == (66_000, 33_000)
    # quadratic on 12,000 rows beats blocks on 14,000; equal samples: the reference is cut
    assert mmd_rows(7000, 7000) == (5000, 7000)


def test_mmd_auto_on_part_of_a_sample_is_the_quadratic_test_on_a_random_part(monkeypatch):
    from dataqa.drift import twosample

    monkeypatch.setattr(twosample, "MMD_QUADRATIC_MAX", 60)
    monkeypatch.setattr(twosample, "MMD_BLOCK_SIZE", 20)
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(300, 2)), rng.normal(size=(15, 2)) + [2.0, 0.0]
    assert twosample.mmd_rows(300, 15) == (45, 15)
    stat, p = mmd_test(X, Y, n_permutations=99, random_state=3)
    draws = np.random.default_rng(3)
    pick = np.sort(draws.choice(300, 45, replace=False))
    assert (stat, p) == mmd_test(X[pick], Y, n_permutations=99, random_state=draws,
                                 method="quadratic")
    assert p <= 0.05


def test_mmd_auto_with_unequal_samples_is_exact_and_stronger_than_every_row(monkeypatch):
    """With small thresholds standing in for 12,000 and 4,000 rows: no false-alarm excess
    when part of the larger sample is compared, and more power than blocks over every row
    (the samples here: 400 reference rows, 20 current rows, 2 features)."""
    from dataqa.drift import twosample

    monkeypatch.setattr(twosample, "MMD_QUADRATIC_MAX", 80)
    monkeypatch.setattr(twosample, "MMD_BLOCK_SIZE", 60)  # 7 blocks of 57 + 3 rows
    assert twosample.mmd_rows(400, 20) == (60, 20)
    rng = np.random.default_rng(11)
    null_alarms, auto_hits, block_hits = 0, 0, 0
    for r in range(300):
        X, Y = rng.normal(size=(400, 2)), rng.normal(size=(20, 2))
        null_alarms += mmd_test(X, Y, n_permutations=19, random_state=r)[1] <= 0.05
        if r < 60:
            Y[:, 0] += 0.9
            auto_hits += mmd_test(X, Y, n_permutations=19, random_state=r)[1] <= 0.05
            block_hits += mmd_test(X, Y, n_permutations=19, random_state=r,
                                   method="block")[1] <= 0.05
    assert 5 <= null_alarms <= 27  # 300 x 0.05 = 15 expected; exact: P(p <= 1/20) = 1/20
    assert block_hits >= 3  # the blocks are real tests ...
    assert auto_hits >= block_hits + 10, (auto_hits, block_hits)  # ... and weaker


def test_mmd_block_keeps_two_rows_of_each_sample_per_block():
    from dataqa.drift import twosample

    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(400, 2)), rng.normal(size=(6, 2)) + [4.0, 0.0]
    # 4,000-row blocks would be 1 here; blocks of 20 would hold no 2 current rows each:
    # at most 6 // 2 = 3 blocks, so a clear shift is found
    old = twosample.MMD_BLOCK_SIZE
    twosample.MMD_BLOCK_SIZE = 20
    try:
        stat, p = mmd_test(X, Y, n_permutations=99, method="block", random_state=0)
    finally:
        twosample.MMD_BLOCK_SIZE = old
    assert stat > 0.1 and p == pytest.approx(0.01)


def test_mmd_rejects_bad_input():
    with pytest.raises(FeatureTypeError, match="X has 2 columns but Y has 3"):
        mmd_test(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(FeatureTypeError, match="NaN or infinite values in 1 rows"):
        mmd_test(np.array([[0.0], [np.nan], [1.0]]), np.zeros((3, 1)))
    with pytest.raises(InvalidSettingError, match="kernel_width"):
        mmd_test(np.zeros((5, 2)), np.ones((5, 2)), kernel_width=0)
    with pytest.raises(InvalidSettingError, match="n_permutations=0"):
        mmd_test(np.zeros((5, 2)), np.ones((5, 2)), n_permutations=0)
    with pytest.raises(InvalidSettingError, match="median_scale must be a positive number, not -1"):
        mmd_test(np.zeros((5, 2)), np.ones((5, 2)), median_scale=-1)


def _brute_force_classifier_p(X, Y, random_state, P, kind="abs", ridge=0.1):
    """The cross-fitted permutation test written out: every relabeling refits every fold."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import KFold

    from dataqa.drift.twosample import LeastSquaresClassifier

    Z = np.vstack([X, Y])
    N = len(Z)
    t = np.r_[np.zeros(len(X)), np.ones(len(Y))]
    seeds = np.random.default_rng(random_state).integers(2**31 - 1, size=3)
    folds = list(KFold(5, shuffle=True, random_state=int(seeds[0])).split(Z))
    rng = np.random.default_rng(int(seeds[2]))

    ridges = ridge if isinstance(ridge, tuple) else (ridge,)

    def auc(labels, r):
        s = np.zeros(N)
        for train, test in folds:
            s[test] = LeastSquaresClassifier(kind, r).fit(Z[train], labels[train]) \
                .decision_function(Z[test])
        return roc_auc_score(labels, s), s

    relabelings = [t] + [t[rng.permutation(N)] for _ in range(P)]
    A = np.array([[auc(lab, r)[0] for lab in relabelings] for r in ridges])  # (models, P + 1)
    # each relabeling's p-value per model, among all P + 1; then the smallest across models
    cp = np.array([[np.mean(a >= a[j] - 1e-9) for j in range(P + 1)] for a in A])
    mp = cp.min(axis=0)
    p = np.mean(mp <= mp[0] + 1e-12)
    return A[0, 0], p, auc(t, ridges[0])[1]


def test_classifier_permutation_p_value_matches_brute_force():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(24, 3)), rng.normal(size=(20, 3))
    Y[:, 1] += 0.6
    r = classifier_scores(X, Y, random_state=3, n_permutations=60, ridge=0.1)
    auc, p, scores = _brute_force_classifier_p(X, Y, 3, 60)
    assert r.method == "permutation" and r.n_permutations == 60
    assert r.auc == pytest.approx(auc) and r.oof_auc == pytest.approx(auc)
    assert r.p_value == pytest.approx(p)
    assert np.r_[r.reference_scores, r.current_scores] == pytest.approx(scores)
    assert classifier_test(X, Y, random_state=3, n_permutations=60, ridge=[0.1]) == \
        pytest.approx((r.auc, r.p_value))
    # the default: two penalties, the smaller permutation p-value ranked among the relabelings'
    both = classifier_scores(X, Y, random_state=3, n_permutations=60)
    auc, p, scores = _brute_force_classifier_p(X, Y, 3, 60, ridge=(0.1, 1.0))
    assert (both.auc, both.p_value) == pytest.approx((auc, p))
    assert np.r_[both.reference_scores, both.current_scores] == pytest.approx(scores)
    for kind in ("linear", "quadratic"):
        other = classifier_scores(X, Y, random_state=3, n_permutations=60, model=kind, ridge=0.1)
        auc, p, _ = _brute_force_classifier_p(X, Y, 3, 60, kind=kind)
        assert (other.auc, other.p_value) == pytest.approx((auc, p))
    # a clear shift: every relabeling falls short, so p is the smallest possible value
    Y[:, 1] += 2.0
    assert classifier_test(X, Y, n_permutations=60)[1] == pytest.approx(1 / 61)


def test_classifier_rebuilding_the_fold_designs_gives_the_same_numbers(monkeypatch):
    """Above _DESIGN_BYTES (a million rows and more) the fold designs are rebuilt per batch
    of relabelings instead of kept: the statistic, p-value and scores are the same."""
    import dataqa.drift.twosample as ts

    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(150, 4)), rng.normal(size=(130, 4))
    Y[:, 0] *= 1.3
    kept = classifier_scores(X, Y, random_state=1, n_permutations=80)
    monkeypatch.setattr(ts, "_DESIGN_BYTES", 0)
    rebuilt = classifier_scores(X, Y, random_state=1, n_permutations=80)
    assert (rebuilt.auc, rebuilt.p_value) == (kept.auc, kept.p_value)
    assert np.array_equal(rebuilt.current_scores, kept.current_scores)
    assert np.array_equal(rebuilt.reference_scores, kept.reference_scores)
    assert 0 < kept.p_value < 0.5  # a real result, not a degenerate one


@pytest.mark.parametrize("kind", ["quadratic", "abs"])
def test_least_squares_classifier_is_ridge_on_the_standardised_design(kind):
    from sklearn.linear_model import Ridge

    from dataqa.drift.twosample import LeastSquaresClassifier

    rng = np.random.default_rng(2)
    Z = rng.normal(size=(80, 4)) * [1.0, 3.0, 0.5, 2.0] + 5.0
    Z[:, 3] = 1.0  # a constant column is kept, with a zero coefficient
    t = (rng.random(80) < 0.4).astype(float)
    f = LeastSquaresClassifier(kind, 0.1).fit(Z, t)
    A = f.design(Z)
    assert A.shape == (80, 8)
    assert A[:, [0, 1, 2, 4, 5, 6]].mean(axis=0) == pytest.approx(0.0, abs=1e-12)
    assert A[:, [0, 1, 2, 4, 5, 6]].std(axis=0) == pytest.approx(1.0)
    # the second block: the square or the absolute value of each standardised feature
    first = (Z[:, :3] - Z[:, :3].mean(axis=0)) / Z[:, :3].std(axis=0)
    second = first ** 2 if kind == "quadratic" else np.abs(first)
    second = (second - second.mean(axis=0)) / second.std(axis=0)
    assert A[:, :3] == pytest.approx(first, abs=1e-12)
    assert A[:, 4:7] == pytest.approx(second, abs=1e-12)
    ridge = Ridge(alpha=0.1 * 80).fit(A, t)
    assert f.coef_[0] == pytest.approx(ridge.coef_, abs=1e-10)
    assert f.coef_[0][[3, 7]] == pytest.approx(0.0, abs=1e-12)
    assert f.decision_function(Z) == pytest.approx(ridge.predict(A) - t.mean(), abs=1e-10)
    proba = f.predict_proba(Z)
    assert proba.sum(axis=1) == pytest.approx(1.0)
    assert np.all(np.diff(proba[np.argsort(f.decision_function(Z)), 1]) >= 0)


class _Wrapped:
    """A scikit-learn style model that is not the built-in class (forces the generic path)."""

    def __init__(self):
        from dataqa.drift.twosample import LeastSquaresClassifier

        self.inner = LeastSquaresClassifier("abs", 0.1)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit(self, Z, t):
        self.inner.fit(Z, t)
        return self

    def predict_proba(self, Z):
        s = self.inner.decision_function(Z)
        return np.column_stack([-s, s])  # AUROC only needs the order


def test_classifier_permutation_with_a_scikit_learn_model_refits_per_relabeling():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(20, 2)), rng.normal(size=(18, 2))
    Y[:, 0] *= 1.8
    fast = classifier_scores(X, Y, random_state=1, n_permutations=30, ridge=0.1)
    slow = classifier_scores(X, Y, model=_Wrapped(), method="permutation", random_state=1,
                             n_permutations=30)
    assert slow.method == "permutation"
    assert (slow.auc, slow.p_value) == pytest.approx((fast.auc, fast.p_value))
    assert slow.current_scores == pytest.approx(fast.current_scores)


def test_classifier_split_method_is_held_out_mann_whitney():
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 3)), rng.normal(size=(50, 3))
    Y[:, 1] += 1.5
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    r = classifier_scores(X, Y, random_state=0, model=model)  # a scikit-learn model: split
    assert r.method == "split" and r.n_permutations == 0
    # the held-out halves: 30 + 25 rows, scored by a model fitted on the other half
    assert len(r.held_out_reference) == 30 and len(r.held_out_current) == 25
    h = np.r_[r.held_out_reference_scores, r.held_out_current_scores]
    assert r.auc == pytest.approx(roc_auc_score(np.r_[np.zeros(30), np.ones(25)], h))
    u = stats.mannwhitneyu(r.held_out_current_scores, r.held_out_reference_scores,
                           alternative="greater")
    assert r.p_value == pytest.approx(u.pvalue)
    train_x = np.setdiff1d(np.arange(60), r.held_out_reference)
    train_y = np.setdiff1d(np.arange(50), r.held_out_current)
    Z = np.vstack([X[train_x], Y[train_y]])
    t = np.r_[np.zeros(len(train_x)), np.ones(len(train_y))]
    fitted = clone(model).fit(Z, t)
    assert fitted.predict_proba(X[r.held_out_reference])[:, 1] == pytest.approx(
        r.held_out_reference_scores)
    t_all = np.r_[np.zeros(60), np.ones(50)]
    assert r.oof_auc == pytest.approx(
        roc_auc_score(t_all, np.r_[r.reference_scores, r.current_scores]))
    assert r.auc > 0.75 and r.p_value < 1e-3
    assert int(np.argmax(r.feature_importance)) == 1  # the shifted feature drives the split
    assert classifier_test(X, Y, random_state=0, model=model) == pytest.approx((r.auc, r.p_value))
    # the built-in model held out the same way
    split = classifier_scores(X, Y, random_state=0, method="split")
    assert split.method == "split" and split.p_value < 1e-3


def test_classifier_default_model_sees_a_change_of_spread():
    from dataqa.drift.twosample import LeastSquaresClassifier

    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(150, 4)), rng.normal(size=(150, 4))
    Y[:, 2] *= 2.0  # only the spread of feature 2 changes
    quad = classifier_scores(X, Y, random_state=1)
    lin = classifier_scores(X, Y, random_state=1, model="linear")
    assert quad.p_value < 0.01 and lin.p_value > 0.05, (quad.p_value, lin.p_value)
    assert int(np.argmax(quad.feature_importance)) == 2
    # importance of the default model: per feature, the current-minus-reference mean of
    # its out-of-fold score terms (feature and absolute value, each times its weight);
    # they add up to the out-of-fold scores' own mean difference
    from dataqa.drift.twosample import _crossfit_setup

    Z, t = np.vstack([X, Y]), np.r_[np.zeros(150, dtype=int), np.ones(150, dtype=int)]
    terms = np.zeros((300, 4))
    for train, test in _crossfit_setup(300, 1)[0]:
        f = LeastSquaresClassifier().fit(Z[train], t[train])
        w = f.coef_[0]
        A = (Z[test] - Z[train].mean(0)) / Z[train].std(0)
        B = np.abs(A)
        B = (B - np.abs((Z[train] - Z[train].mean(0)) / Z[train].std(0)).mean(0)) / \
            np.abs((Z[train] - Z[train].mean(0)) / Z[train].std(0)).std(0)
        terms[test] = A * w[:4] + B * w[4:]
    want = terms[150:].mean(0) - terms[:150].mean(0)
    assert quad.feature_importance == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert quad.feature_importance.sum() == pytest.approx(
        quad.current_scores.mean() - quad.reference_scores.mean(), rel=1e-9)


def test_classifier_settings_are_checked():
    with pytest.raises(InvalidSettingError, match="model 'forest' is not known; use one of "
                                                  "abs, quadratic, linear"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), model="forest")
    with pytest.raises(InvalidSettingError, match="predict_proba; got int"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), model=3)
    with pytest.raises(InvalidSettingError, match="method 'oof' is not known; use auto, "
                                                  "permutation, split"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), method="oof")
    with pytest.raises(InvalidSettingError, match="n_permutations"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), n_permutations=0)
    with pytest.raises(InvalidSettingError, match="ridge=-1 must be a positive finite number"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), ridge=-1)
    with pytest.raises(InvalidSettingError, match=r"ridge=\[\] must be a positive number or a "
                                                  "list of them"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), ridge=[])
    from dataqa.drift.twosample import LeastSquaresClassifier

    with pytest.raises(InvalidSettingError, match="kind 'cubic' is not known; use one of abs, "
                                                  "quadratic, linear"):
        LeastSquaresClassifier("cubic")
    with pytest.raises(InvalidSettingError, match="ridge applies to the built-in models"):
        classifier_test(np.zeros((10, 2)), np.ones((10, 2)), ridge=0.5, model=_Wrapped())


@pytest.mark.parametrize("method", ["permutation", "split"])
def test_classifier_test_false_alarm_rate(method):
    # both p-values are exact: 200 seeded no-shift runs (binomial sd 0.015 at 0.05)
    rng = np.random.default_rng(5)
    ps = np.array([classifier_test(rng.normal(size=(60, 3)), rng.normal(size=(60, 3)),
                                   random_state=i, method=method, n_permutations=100)[1]
                   for i in range(200)])
    assert 0.015 <= np.mean(ps <= 0.05) <= 0.09, np.mean(ps <= 0.05)
    assert 0.35 <= np.median(ps) <= 0.65  # uniform under no shift, not only at alpha


def test_classifier_test_needs_rows_per_fold():
    with pytest.raises(EmptyDataError, match="at least 5 rows in each sample \\(n_folds=5\\)"):
        classifier_test(np.zeros((3, 2)), np.ones((10, 2)))


def test_false_alarm_rate_of_pure_tests_is_near_alpha():
    # 300 seeded no-shift repetitions; binomial sd of the rate at 0.05 is 0.0126
    rng = np.random.default_rng(123)
    hits = {"ks": 0, "cvm": 0, "chi2": 0, "mmd": 0}
    reps = 300
    for _ in range(reps):
        x, y = rng.normal(size=(2, 60))
        hits["ks"] += ks_test(x, y)[1] <= 0.05
        hits["cvm"] += cvm_test(x, y)[1] <= 0.05
        hits["chi2"] += chi2_test(rng.integers(0, 4, 60), rng.integers(0, 4, 60))[1] <= 0.05
        hits["mmd"] += mmd_test(rng.normal(size=(30, 2)), rng.normal(size=(30, 2)),
                                n_permutations=99, random_state=rng)[1] <= 0.05
    for name, h in hits.items():
        assert 0.015 <= h / reps <= 0.085, (name, h / reps)


def test_binned_chi2_merges_adjacent_values_until_expected_counts_reach_5():
    from dataqa.drift import binned_chi2_test

    x = [0] * 30 + [1] * 3 + [2] * 3 + [3] * 20 + [4] * 4   # 60 reference values
    y = [0] * 10 + [1] * 5 + [2] * 6 + [3] * 15 + [4] * 4   # 40 current values
    # a bin needs a pooled count >= 5 * 100 / 40 = 12.5: {0} = 40, {1, 2} = 17, {3} = 35,
    # and {4} = 8 falls short so it joins {3}
    table = np.array([[30, 6, 24], [10, 11, 19]])
    stat, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert binned_chi2_test(x, y) == pytest.approx((stat, p))
    assert binned_chi2_test([1.0] * 20, [1.0] * 15) == (0.0, 1.0)


def test_auto_numeric_test_uses_binned_chi2_for_few_values():
    import pandas as pd

    from dataqa.drift.univariate import column_test

    rng = np.random.default_rng(0)
    few = column_test(pd.Series(rng.integers(0, 5, 100).astype(float)),
                      pd.Series(rng.integers(0, 5, 80).astype(float)), "numeric")
    many = column_test(pd.Series(rng.normal(size=100)), pd.Series(rng.normal(size=80)), "numeric")
    assert few["test"] == "binned_chi2" and many["test"] == "ks"


def test_ks_columns_match_scipy_with_ties():
    from dataqa.drift.twosample import _ks_columns

    rng = np.random.default_rng(8)
    S = rng.integers(0, 6, size=(40, 5)).astype(float)  # many ties
    T = np.zeros((40, 5))
    for j in range(5):
        T[rng.permutation(40)[:15], j] = 1.0
    got = _ks_columns(S, T, 15)
    want = [stats.ks_2samp(S[T[:, j] == 1, j], S[T[:, j] == 0, j]).statistic for j in range(5)]
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("decimals", [None, 1, 0])
def test_auc_columns_is_mann_whitney_u_with_ties_counted_half(decimals):
    """U of every column, tied scores within and across the groups included (rounded
    scores: many ties; rounded to integers: a few values only)."""
    from dataqa.drift.twosample import _auc_columns

    rng = np.random.default_rng(11)
    N, m = 300, 120
    S = rng.normal(size=(N, 7))
    if decimals is not None:
        S = np.round(S, decimals)
    T = np.zeros((N, 7))
    for j in range(7):
        T[rng.permutation(N)[:m], j] = 1.0
    S[T[:, 3] == 1, 3] += 0.8  # one column with a real difference
    got = _auc_columns(S, T)
    want = [stats.mannwhitneyu(S[T[:, j] == 1, j], S[T[:, j] == 0, j]).statistic
            for j in range(7)]
    assert np.array_equal(got, want)  # halves are exact in float64
    assert got[3] > 0.65 * m * (N - m)


def test_crossfit_statistics_share_the_relabelings_across_models():
    from sklearn.model_selection import KFold

    from dataqa.drift.twosample import LeastSquaresClassifier, _crossfit_statistics

    rng = np.random.default_rng(6)
    Z = rng.normal(size=(50, 3))
    t = np.r_[np.zeros(26, np.int64), np.ones(24, np.int64)]
    folds = list(KFold(5, shuffle=True, random_state=0).split(Z))
    models = [LeastSquaresClassifier("quadratic", 0.1), LeastSquaresClassifier("linear", 1.0)]
    scores, both = _crossfit_statistics(Z, t, models, folds, 40, np.random.default_rng(3))
    assert both.shape == (2, 41)
    for e, est in enumerate(models):
        s1, one = _crossfit_statistics(Z, t, [est], folds, 40, np.random.default_rng(3))
        assert one[0] == pytest.approx(both[e])
        assert s1[0] == pytest.approx(scores[e])
    # U of the observed labels is the Mann-Whitney statistic of the out-of-fold scores
    u = stats.mannwhitneyu(scores[0][t == 1], scores[0][t == 0]).statistic
    assert both[0, 0] == pytest.approx(u)


def test_chi2_test_is_seeded_by_default():
    # small expected counts: the p-value is a permutation one, the same on every call
    x = np.array(["a"] * 20 + ["b"] * 3)
    y = np.array(["a"] * 15 + ["b"] + ["c"] * 2)
    assert len({chi2_test(x, y)[1] for _ in range(3)}) == 1
    assert chi2_test(x, y) == chi2_test(x, y, random_state=0)
    assert chi2_test(x, y)[1] != chi2_test(x, y, random_state=1)[1]


def test_a_fixed_seed_gives_each_data_set_its_own_monte_carlo_draws(monkeypatch):
    from dataqa.drift import twosample
    from dataqa.drift.twosample import _mc_rng

    c1, c2 = np.array([3, 4, 5]), np.array([3, 5, 4])
    assert _mc_rng(0, c1).integers(10**9) == _mc_rng(0, c1).integers(10**9)
    assert _mc_rng(0, c1).integers(10**9) != _mc_rng(0, c2).integers(10**9)
    assert _mc_rng(0, c1).integers(10**9) != _mc_rng(1, c1).integers(10**9)
    g = np.random.default_rng(5)
    assert _mc_rng(g, c1) is g
    # every test with the default seed on the Monte-Carlo path: the false-alarm rate over
    # data sets stays near alpha (400 no-shift pairs; binomial sd of 0.05: 0.011)
    monkeypatch.setattr(twosample, "KS_EXACT_MAX_WORK", 0)
    rng = np.random.default_rng(7)
    ks_hits = cvm_hits = 0
    for _ in range(400):
        x, y = rng.binomial(40, 0.5, (2, 150)).astype(float)
        ks_hits += ks_test(x, y)[1] <= 0.05
        cvm_hits += cvm_test(x, y)[1] <= 0.05
    assert 0.03 <= ks_hits / 400 <= 0.075 and 0.03 <= cvm_hits / 400 <= 0.075, (ks_hits, cvm_hits)


def test_pooled_counts_are_the_counts_of_the_sorted_pooled_values():
    from dataqa.drift._ties import pooled_counts

    rng = np.random.default_rng(3)
    cases = [(rng.integers(0, 5, 200).astype(float), rng.integers(2, 9, 70).astype(float)),
             (rng.normal(size=500), rng.normal(size=30)),
             (np.array([-0.0, 0.0, 1.0, 1.0]), np.array([0.0, 2.0])),
             (np.array([3.0]), np.zeros(0))]
    for a, b in cases:
        values, inverse = np.unique(np.r_[a, b], return_inverse=True)
        v, ca, cb = pooled_counts(a, b)
        assert np.array_equal(v, values)
        assert ca.tolist() == np.bincount(inverse[:a.size], minlength=values.size).tolist()
        assert cb.tolist() == np.bincount(inverse[a.size:], minlength=values.size).tolist()
    v, ca, cb = pooled_counts(np.zeros(0), np.zeros(0))
    assert v.size == ca.size == cb.size == 0


@pytest.mark.parametrize("n,m", [(20_000, 300), (12_000, 11_000), (10_001, 7)])
def test_ks_asymptotic_branch_is_scipys(n, m):
    # above 10,000 items ks_2samp's "auto" takes Smirnov's limit, which ks_test computes
    # from the statistic itself: the same numbers
    rng = np.random.default_rng(n + m)
    for shift in (0.0, 0.05, 0.4):
        x, y = rng.normal(size=n), rng.normal(shift, 1.0, size=m)
        r = stats.ks_2samp(x, y)
        s, p = ks_test(x, y)
        assert s == pytest.approx(r.statistic, rel=1e-12)
        assert p == pytest.approx(r.pvalue, rel=1e-9, abs=1e-300)


def test_category_counts_sort_categories_as_python_does():
    x = ["b", "a", None, "é", "A", "b", "10", "9"]
    y = ["a", "z", None, "é", "z"]
    cats, ca, cb = category_counts(x, y)
    assert cats == ["10", "9", "<NA>", "A", "a", "b", "é", UNSEEN]
    assert ca.tolist() == [1, 1, 1, 1, 1, 2, 1, 0]
    assert cb.tolist() == [0, 0, 1, 0, 1, 0, 1, 2]
    assert ca.dtype == cb.dtype == np.int64
    cats, ca, cb = category_counts([True, False, True], [False, False])
    assert (cats, ca.tolist(), cb.tolist()) == (["False", "True"], [1, 2], [2, 0])


def test_the_mmd_width_and_statistic_do_not_depend_on_the_rows_order():
    from dataqa.drift.twosample import content_sample

    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(900, 6)), rng.normal(0.1, 1.0, size=(700, 6))
    px, py = rng.permutation(900), rng.permutation(700)
    # more than the 1,000 rows the median heuristic looks at: chosen by content
    assert median_kernel_width(np.vstack([X, Y])) == median_kernel_width(
        np.vstack([X[px], Y[py]]))
    a, _ = mmd_test(X, Y, n_permutations=19, random_state=0)
    b, _ = mmd_test(X[px], Y[py], n_permutations=19, random_state=0)
    assert a == pytest.approx(b, rel=1e-5, abs=1e-7)  # float32 kernel sums
    # a value held by c of n rows is taken about c k / n times, as a random sample would
    D = np.repeat(np.eye(3), [3000, 1500, 500], axis=0)
    counts = D[content_sample(D, 1000)].sum(axis=0)
    assert counts.sum() == 1000 and np.all(np.abs(counts - [600, 300, 100]) < 60), counts
    # rounding noise of the features does not change the choice
    Z = np.vstack([X, Y])
    np.testing.assert_array_equal(content_sample(Z, 1000),
                                  content_sample(Z * (1 + 1e-13), 1000))
    assert median_kernel_width(D) == pytest.approx(np.sqrt(2))
    # whole numbers and 0/1 rows: distinct rows get distinct keys (no collisions), so the
    # rows chosen do not move with the order either
    B = rng.integers(0, 2, size=(2000, 20)).astype(float)
    B = np.unique(B, axis=0)
    pb = rng.permutation(len(B))
    chosen = {tuple(r) for r in B[content_sample(B, 1000)]}
    assert chosen == {tuple(r) for r in B[pb][content_sample(B[pb], 1000)]}
    G = rng.integers(0, 17, size=(3000, 8)).astype(float)
    pg = rng.permutation(3000)
    assert median_kernel_width(G) == median_kernel_width(G[pg])


def test_float32_values_are_the_same_values_as_their_float64():
    # 0.1 saved as float32 is 0.10000000149...: every value read as a new category
    v = np.array([0.1, 0.2, 0.3])
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"rate": v[rng.integers(0, 3, 500)],
                        "c": rng.normal(size=500).round(2)})
    cur = pd.DataFrame({"rate": v[rng.integers(0, 3, 500)],
                        "c": rng.normal(size=500).round(2)})
    narrow = cur.astype("float32")
    for test in (chi2_test, ks_test, cvm_test, binned_chi2_test):
        for x, y in ((ref.rate, narrow.rate), (narrow.rate, ref.rate),
                     (ref.rate.astype("category"), narrow.rate.astype("category")),
                     (ref.rate.to_numpy(), narrow.rate.to_numpy()),
                     (ref.rate, narrow.rate.astype("Float32"))):
            if test is not chi2_test and isinstance(x.dtype, pd.CategoricalDtype):
                continue
            assert test(x, y) == pytest.approx(test(ref.rate, cur.rate), rel=1e-12), test
    assert ks_test(ref.c, narrow.c) == pytest.approx(ks_test(ref.c, cur.c), rel=1e-12)
    assert category_counts(ref.rate, narrow.rate)[0] == ["0.1", "0.2", "0.3"]
    same = detect_drift(ref, cur, multivariate=())
    mixed = detect_drift(ref, narrow, multivariate=())
    assert not same.drifted and not mixed.drifted
    cols = ["column", "test", "p_value", "effect"]
    pd.testing.assert_frame_equal(same.columns[cols], mixed.columns[cols], rtol=1e-9)
    # a real change at float32 precision is still one
    moved = narrow.copy()
    moved["rate"] = np.float32(0.1) + np.float32(1e-6) * (moved["rate"] > 0.15)
    assert chi2_test(ref.rate, moved.rate)[1] < 1e-10


def test_chi2_refuses_values_of_kinds_that_never_compare_equal():
    rng = np.random.default_rng(0)
    d = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"])[rng.integers(0, 2, 300)])
    b = pd.Series(rng.random(300) < 0.5)
    for x, y, said in (
            (d, d.dt.tz_localize("UTC"), r"date/time values and y \(current\) date/time \(with "
                                         r"a time zone\) values, .*give both a time zone"),
            (d, d.astype(str), r"date/time values and y \(current\) text values, which no "
                               r"category of the other can equal \(every value would read as "
                               r"changed\); convert both to dates \(pd.to_datetime\)"),
            (b.to_numpy(), b.astype(int), r"true/false values and y \(current\) number "
                                          r"values, .*write both as 0/1 or both as true/false")):
        with pytest.raises(FeatureTypeError, match=said):
            chi2_test(x, y)
    # one instant in two time zones is one value; numbers and their text, as before
    u = d.dt.tz_localize("UTC")
    assert chi2_test(u, u.dt.tz_convert("Europe/Paris")) == (0.0, 1.0)
    assert chi2_test(pd.Series([1, 2, 3] * 20), pd.Series(["1", "2", "3"] * 20)) == (0.0, 1.0)
    assert chi2_test(b, b.astype(str))[0] == 0.0


def test_a_value_written_na_is_no_missing_value():
    ref = pd.Series(["a", "<NA>"] * 30)
    cur = pd.Series(["a", None] * 30)
    cats, ca, cb = category_counts(ref, cur)  # (current's missing values: unseen)
    assert (cats, ca.tolist(), cb.tolist()) == (['"<NA>"', "a", UNSEEN], [30, 30, 0],
                                                [0, 30, 30])
    assert chi2_test(ref, cur)[1] < 1e-6
    assert chi2_test(ref, ref.copy()) == (0.0, 1.0)
    # a real value '"<NA>"' is a third value, not merged with a real "<NA>"
    quoted = pd.Series(['"<NA>"', '""<NA>""'] * 30)
    cats, ca, cb = category_counts(quoted, ref)
    assert (cats, ca.tolist(), cb.tolist()) == (['"""<NA>"""', '""<NA>""', UNSEEN],
                                                [30, 30, 0], [0, 0, 60])
    assert chi2_test(ref, quoted)[1] < 1e-6
    assert category_counts(pd.Series(['"<NA>', "<NA>x"] * 2), pd.Series(["a"] * 4))[0][:2] == \
        ['"<NA>', "<NA>x"]  # only whole, balanced forms are quoted


def test_float32_codes_beyond_2_24_are_the_same_whole_numbers():
    rng = np.random.default_rng(1)
    codes = np.array([20_000_000, 30_000_000, 30_000_002, 40_000_000])
    ints = pd.Series(codes[rng.integers(0, 4, 400)])
    floats = pd.Series(codes[rng.integers(0, 4, 400)].astype(np.float32))
    assert category_counts(floats, ints)[0] == [str(c) for c in codes]
    assert chi2_test(floats, ints)[1] > 0.01
    assert chi2_test(pd.Categorical(floats), pd.Categorical(ints))[1] > 0.01
    # whole floats beyond 2**53 read as the integers they hold, not "1e+16"
    big = np.array([10**16, 2 * 10**16, 2**60])
    for dtype in (np.float64, np.float32):
        held = big.astype(dtype)
        cats, ca, cb = category_counts(pd.Series(held.repeat(10)),
                                       pd.Series(held.astype(np.int64).repeat(10)))
        assert cats[:3] == sorted(str(v) for v in held.astype(np.int64))
        assert ca.tolist() == cb.tolist()
