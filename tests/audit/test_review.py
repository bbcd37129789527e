"""Review plans and the verified error rate: allocation, strata, posteriors, coverage, errors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dataqa.audit.review import (
    _WHERE,
    HIGH_FRACTION,
    estimate_error_rate,
    extend_plan,
    neyman_allocation,
    plan_review,
    required_review_size,
    review_strata,
    reviews_to_add,
    stratified_interval,
)
from dataqa.errors import InvalidSettingError, LabelError, MissingColumnError


def fake_result(n_flagged=60, n_other=540, seed=0):
    """An audit-like object: ranked issues with given labels a/b, scores and flags."""
    rng = np.random.default_rng(seed)
    n = n_flagged + n_other
    score = np.concatenate([rng.uniform(0.7, 1.0, n_flagged), rng.beta(1, 8, n_other)])
    flagged = np.arange(n) < n_flagged
    given = np.where(rng.random(n) < 0.5, "a", "b")
    issues = pd.DataFrame({"id": [f"i{k}" for k in range(n)], "given_label": given,
                           "suggested_label": given, "label_issue_score": score,
                           "is_label_issue": flagged})
    issues = issues.sort_values("label_issue_score", ascending=False, kind="stable")
    return SimpleNamespace(issues=issues.reset_index(drop=True),
                           table=SimpleNamespace(class_names=["a", "b"]), review_plan=None)


# ------------------------------------------------------------------- allocation, strata

def test_neyman_allocation_hand_values():
    # w = N * sqrt(p (1 - p)) = [100 * 0.5, 900 * sqrt(0.02 * 0.98)] = [50, 126.0]
    w = np.array([50.0, 900 * np.sqrt(0.02 * 0.98)])
    alloc = neyman_allocation([100, 900], [0.5, 0.02], 100)
    assert alloc.tolist() == np.round(100 * w / w.sum()).astype(int).tolist() == [28, 72]
    # the expected error is clipped to [0.02, 0.9]: 0.0 counts as 0.02, 1.0 as 0.9
    assert neyman_allocation([100, 900], [1.0, 0.0], 100).tolist() == \
        neyman_allocation([100, 900], [0.9, 0.02], 100).tolist()


def test_neyman_allocation_floor_cap_and_whole():
    # a tiny share is raised to the floor (5), a stratum is never asked for more than it has
    alloc = neyman_allocation([10, 3, 5000], [0.9, 0.5, 0.02], 60)
    assert alloc.sum() == 60 and alloc[1] == 3 and alloc[0] >= 5
    assert (alloc <= [10, 3, 5000]).all()
    assert neyman_allocation([10, 20], [0.5, 0.5], 500).tolist() == [10, 20]
    # floors over budget: the budget is spread as evenly as possible
    with pytest.warns(UserWarning, match=r"a budget of 7 items leaves some of the 3 strata "
                                         r"fewer than 5 items \(spread evenly: \[3, 2, 2\]\).* "
                                         r"A budget of at least 15 gives each its 5"):
        assert neyman_allocation([50, 50, 50], [0.5, 0.5, 0.5], 7).tolist() == [3, 2, 2]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exactly the floors: no warning
        assert neyman_allocation([50, 50, 50], [0.5, 0.5, 0.5], 15).tolist() == [5, 5, 5]
        # the same spread, unsaid, for budgets only tried (searching for a review size)
        assert neyman_allocation([50, 50, 50], [0.5, 0.5, 0.5], 7,
                                 warn_thin=False).tolist() == [3, 2, 2]
    with pytest.raises(InvalidSettingError, match="budget=0 must be at least 1"):
        neyman_allocation([10], [0.5], 0)


def test_review_strata():
    res = fake_result()
    s = review_strata(res.issues)
    flagged = res.issues["is_label_issue"].to_numpy()
    assert (s[flagged] == "flagged").all() and (s[~flagged] != "flagged").all()
    n_high = int(np.ceil(HIGH_FRACTION * 540))
    assert (s == "high").sum() == n_high
    unflagged = res.issues[~flagged]
    high_scores = unflagged.loc[s[~flagged] == "high", "label_issue_score"]
    rest_scores = unflagged.loc[s[~flagged] == "rest", "label_issue_score"]
    assert high_scores.min() >= rest_scores.max()


def test_plan_is_reproducible_random_within_strata_and_weighted():
    res = fake_result()
    plan = plan_review(res, budget=80, random_state=3)
    assert res.review_plan is plan
    assert list(plan.columns) == ["id", "stratum", "weight"] and len(plan) == 80
    assert plan["id"].is_unique
    again = plan_review(fake_result(), budget=80, random_state=3)
    assert plan.equals(again)
    other = plan_review(fake_result(), budget=80, random_state=4)
    assert set(other["id"]) != set(plan["id"])
    strata = plan.attrs["strata"]
    s = pd.Series(review_strata(res.issues), index=res.issues["id"])
    assert (s.loc[plan["id"]].to_numpy() == plan["stratum"].to_numpy()).all()
    for row in strata.itertuples():
        got = plan[plan["stratum"] == row.stratum]
        assert len(got) == row.n_planned
        assert np.allclose(got["weight"], row.n_items / row.n_planned)
    # the order interleaves the strata (a reviewed prefix samples each of them)
    assert plan["stratum"].head(40).nunique() == 3
    with pytest.raises(InvalidSettingError, match="budget must be a whole number"):
        plan_review(res, budget=2.5)


# ------------------------------------------------------------------------- posteriors

def test_stratified_interval_hand_value():
    # 2 items, 1 reviewed and wrong: the other is wrong with probability E[Beta(2, 1)] = 2/3
    s = stratified_interval([2], [1], [1], confidence=0.5, prior="uniform",
                            interval="equal-tailed", point="mean")
    assert s.estimate == pytest.approx((1 * 1 / 3 + 2 * 2 / 3) / 2)
    assert (s.low, s.high) == (0.5, 1.0)
    # the design estimate: the reviewed share, 1 of 1 wrong
    d = stratified_interval([2], [1], [1], confidence=0.5, prior="uniform",
                            interval="equal-tailed")
    assert (d.estimate, d.low, d.high) == (1.0, 0.5, 1.0)
    with pytest.raises(InvalidSettingError, match="point 'median' is not known; use "
                                                  "'design' or 'mean'"):
        stratified_interval([2], [1], [1], point="median")


def test_the_design_estimate_is_unbiased_where_the_posterior_mean_is_not():
    # a large clean stratum reviewed lightly and a small flagged one: every outcome of
    # the review enumerated (hypergeometric within each stratum), the estimate's mean
    # against the truth
    from scipy.stats import hypergeom

    N, n, wrong = [4900, 100], [40, 30], [20, 60]  # 1.6% wrong in all
    truth = sum(wrong) / sum(N)
    laws = [hypergeom(Nh, wh, nh) for Nh, nh, wh in zip(N, n, wrong, strict=True)]
    mean = {"design": 0.0, "mean": 0.0}
    for k0 in range(n[0] + 1):
        for k1 in range(n[1] + 1):
            p = laws[0].pmf(k0) * laws[1].pmf(k1)
            if p < 1e-12:
                continue
            for point in mean:
                mean[point] += p * stratified_interval(N, n, [k0, k1], point=point).estimate
    assert mean["design"] == pytest.approx(truth, abs=1e-6)
    assert mean["mean"] - truth > 0.004  # the prior's half an error per reviewed item
    # no wrong label seen: 0, inside the interval
    s = stratified_interval(N, n, [0, 0])
    assert s.estimate == 0.0 and s.low == 0.0 and s.high > 0.0


@pytest.mark.parametrize(("N", "n"), [(200, 20), (60, 10), (5000, 100)])
def test_one_strata_interval_covers_every_share_at_least_at_its_level(N, n):
    # a stratum's row and the precision of the flags: exact coverage over the
    # hypergeometric draw of the reviewed items, at every number of wrong labels (the
    # default "exact-lower" ends held a share of 0.885 in 200 items, 20 reviewed, in 90.8%)
    from scipy import stats as st

    from dataqa.audit.review import ROW_INTERVAL

    bounds = {}
    worst = 1.0
    for E in range(0, N + 1, max(1, N // 100)):
        pmf = st.hypergeom.pmf(np.arange(n + 1), N, E, n)
        held = 0.0
        for k in np.flatnonzero(pmf > 1e-15):
            if k not in bounds:
                r = stratified_interval([N], [n], [k], interval=ROW_INTERVAL)
                bounds[k] = (r.low, r.high)
            held += pmf[k] * (bounds[k][0] - 1e-12 <= E / N <= bounds[k][1] + 1e-12)
        worst = min(worst, held)
    assert worst >= 0.95 - 1e-9


def test_stratified_interval_refuses_counts_that_are_not_whole():
    with pytest.raises(InvalidSettingError, match=r"n_errors=\[2.0, 1.5\] must hold whole "
                                                  r"numbers \(counts of items\), one per"):
        stratified_interval([100, 50], [10, 5], [2, 1.5])
    with pytest.raises(InvalidSettingError, match="n_items=.* must hold whole numbers"):
        stratified_interval([100, np.nan], [10, 5], [2, 1])
    assert stratified_interval([100.0, 50], [10, 5], [2, 1]) == stratified_interval(
        [100, 50], [10, 5], [2, 1]) == stratified_interval(
        np.array([100, 50], dtype=object), [10, 5], [2, 1])
    for held in (np.array(["100", "50"], dtype=object), np.array([True, 3], dtype=object)):
        with pytest.raises(InvalidSettingError, match="must hold whole numbers"):
            stratified_interval(held, [10, 5], [2, 1])


def test_stratified_interval_large_stratum_is_the_beta_interval():
    # with a tiny sampling fraction the count over N is the Beta(k+1, n-k+1) rate
    s = stratified_interval([2_000_000], [200], [30], prior="uniform", interval="equal-tailed",
                            point="mean")
    lo, hi = stats.beta(31, 171).ppf([0.025, 0.975])
    assert s.low == pytest.approx(lo, abs=2e-3) and s.high == pytest.approx(hi, abs=2e-3)
    assert s.estimate == pytest.approx(31 / 202, abs=1e-4)


def test_exact_posterior_matches_monte_carlo():
    from dataqa.audit.posterior import draws_summary, error_draws

    N, n, k = [150, 300, 3000], [20, 30, 60], [17, 6, 1]
    exact = stratified_interval(N, n, k, prior="uniform", interval="equal-tailed",
                                point="mean")
    d = error_draws(N, n, k, 400_000, np.random.default_rng(0)).sum(axis=1) / sum(N)
    mc = draws_summary(d, 0.95)
    assert exact.estimate == pytest.approx(mc.estimate, abs=5e-4)
    assert exact.low == pytest.approx(mc.low, abs=1.5e-3)
    assert exact.high == pytest.approx(mc.high, abs=1.5e-3)
    # Jeffreys prior, highest-density interval
    exact = stratified_interval(N, n, k, prior="jeffreys", interval="hdi", point="mean")
    d = error_draws(N, n, k, 400_000, np.random.default_rng(1),
                    prior=(0.5, 0.5)).sum(axis=1) / sum(N)
    mc = draws_summary(d, 0.95, "hdi")
    assert exact.estimate == pytest.approx(mc.estimate, abs=5e-4)
    assert exact.low == pytest.approx(mc.low, abs=1.5e-3)
    assert exact.high == pytest.approx(mc.high, abs=1.5e-3)


def test_fully_reviewed_is_exact():
    s = stratified_interval([40, 60], [40, 60], [10, 5])
    assert s.estimate == s.low == s.high == pytest.approx(15 / 100)


def test_coverage_by_simulation():
    # 200 seeded reviews of a fixed population (strata with 48/60, 12/120 and 9/900 wrong
    # labels); the share of 95% intervals holding the true rate must be within a
    # binomial tolerance of 0.95 (3 sd of 200 draws = 0.046; this seed gives 0.955).
    rng = np.random.default_rng(2024)
    N = np.array([60, 120, 900])
    wrong = [np.arange(N_h) < e for N_h, e in zip(N, (48, 12, 9), strict=True)]
    truth = (48 + 12 + 9) / N.sum()
    alloc = neyman_allocation(N, [0.8, 0.1, 0.01], 120)
    hits = 0
    for _ in range(200):
        k = [int(w[rng.choice(len(w), a, replace=False)].sum())
             for w, a in zip(wrong, alloc, strict=True)]
        s = stratified_interval(N, alloc, k)
        hits += s.low <= truth <= s.high
    assert hits / 200 == pytest.approx(0.95, abs=3 * np.sqrt(0.95 * 0.05 / 200))


def test_coverage_on_a_nearly_clean_dataset():
    # The strata of an audit of SMS spam with 34 labels flipped (0.6%): flagged 40
    # items (29 wrong), high 554 (5 wrong), rest 4,980 (none wrong), reviewed 5 / 41 /
    # 128. The uniform prior's equal-tailed interval held the truth in about 70% of
    # reviews: every stratum's prior adds errors, so its lower end sat above the truth.
    # The default interval's lower end adds none for a stratum whose review found none.
    rng = np.random.default_rng(11)
    N, E, alloc = np.array([40, 554, 4980]), np.array([29, 5, 0]), np.array([5, 41, 128])
    truth = E.sum() / N.sum()
    hits = {"default": 0, "uniform/equal-tailed": 0}
    for _ in range(200):
        k = [int(rng.hypergeometric(e, n_h - e, a)) for n_h, e, a in zip(N, E, alloc,
                                                                       strict=True)]
        s = stratified_interval(N, alloc, k)
        u = stratified_interval(N, alloc, k, prior="uniform", interval="equal-tailed")
        hits["default"] += s.low <= truth <= s.high
        hits["uniform/equal-tailed"] += u.low <= truth <= u.high
    assert hits["default"] / 200 >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 200), hits
    assert hits["uniform/equal-tailed"] / 200 < 0.8, hits


def test_exact_lower_and_clopper_pearson_ends():
    # one stratum: 1,000 items, 100 reviewed, k wrong; the ends are quantiles of the
    # beta-binomial count of the 900 unreviewed items under the end's prior, plus k
    def count_quantile(q, a, b, k):
        if a <= 0:
            return k
        return k + int(stats.betabinom(900, a, b).ppf(q))

    for k in (0, 3, 100):
        el = stratified_interval([1000], [100], [k], prior="jeffreys", interval="exact-lower")
        cp = stratified_interval([1000], [100], [k], interval="clopper-pearson",
                                 prior="uniform")
        je = stratified_interval([1000], [100], [k], prior="jeffreys",
                                 interval="equal-tailed")
        several = stratified_interval([1000], [100], [k], prior="jeffreys",
                                      interval="exact-lower", _exact_single=False)
        assert several.low * 1000 == count_quantile(0.025, k, 100 - k + 0.5, k)
        assert several.high == je.high and el.estimate == je.estimate
        assert cp.low * 1000 == count_quantile(0.025, k, 100 - k + 1, k)
        hi = 1000 if k == 100 else count_quantile(0.975, k + 1, 100 - k, k)
        assert cp.high * 1000 == hi
        assert (el.low, el.high) == (cp.low, cp.high)  # one stratum: Clopper-Pearson's
        assert el.low <= el.estimate <= el.high
    # no error seen: the lower end is the errors seen, 0
    assert stratified_interval([1000], [100], [0]).low == 0.0


def test_flag_rate_brackets_of_erring_reviewers():
    """With reviewer_error the brackets' priors are on the flag rate r: r takes the
    quantiles of Beta(k + a, n - k + b), mapped to p = (r - e0) / (1 - e0 - e1) and clipped;
    the gate puts a stratum with no more flags than correct labels alone give at p = 0."""
    from dataqa.audit.posterior import flag_rate_grid

    q = (np.arange(256) + 0.5) / 256
    got = flag_rate_grid(100, 30, 0.05, 0.02, (0.0, 1.0))
    want = np.clip((stats.beta.ppf(q, 30, 71) - 0.05) / 0.93, 0.0, 1.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # exact reviewers: the lower bracket of exact-lower / Clopper-Pearson, Beta(k, n - k + 1)
    np.testing.assert_allclose(flag_rate_grid(100, 3, 0.0, 0.0, (0.0, 1.0)),
                               stats.beta.ppf(q, 3, 98), rtol=1e-12)
    assert not flag_rate_grid(100, 0, 0.0, 0.0, (0.0, 1.0)).any()  # no flag: p = 0
    assert (flag_rate_grid(100, 100, 0.05, 0.02, (1.0, 0.0)) == 1.0).all()  # all flagged
    # the gate: 10 flags of 100 are within what 5% false flags give (97.5% quantile 10)
    assert stats.binom.ppf(0.975, 100, 0.05) == 10
    assert not flag_rate_grid(100, 10, 0.05, 0.02, (0.0, 1.0), gate=0.975).any()
    assert flag_rate_grid(100, 11, 0.05, 0.02, (0.0, 1.0), gate=0.975).any()
    assert flag_rate_grid(100, 10, 0.05, 0.02, (0.0, 1.0)).any()  # (without it: spread)
    # the upper bracket is never gated
    np.testing.assert_array_equal(flag_rate_grid(100, 2, 0.05, 0.02, (1.0, 0.0), gate=0.975),
                                  flag_rate_grid(100, 2, 0.05, 0.02, (1.0, 0.0)))
    # clopper-pearson is the default with reviewer_error; exact-lower is refused there
    s = stratified_interval([1000], [100], [30], interval="clopper-pearson", reviewer_error=0.05)
    assert 0 < s.low < s.estimate < s.high < 1
    with pytest.raises(InvalidSettingError, match="interval='exact-lower' is for exact "
                                                  "reviewers: with reviewer_error its upper end"):
        stratified_interval([100], [10], [1], interval="exact-lower", reviewer_error=0.05)
    assert stratified_interval([1000], [100], [30], reviewer_error=0.05) == \
        stratified_interval([1000], [100], [30], reviewer_error=0.05, prior="jeffreys",
                            interval="clopper-pearson")


def test_the_gate_is_shared_out_among_many_clean_strata():
    """Ten clean strata reviewed by reviewers wrong 5% of the time: each passes its gate
    (more flags than correct labels alone likely give) but rarely, so the lower end stays
    at the truth, 0, in at least 95% of reviews (a gate of 97.5% per stratum lifted it in
    12% of them)."""
    rng = np.random.default_rng(3)
    N, n = [1000] * 10, [50] * 10
    above = sum(stratified_interval(N, n, rng.binomial(50, 0.05, size=10).tolist(),
                                    reviewer_error=0.05).low > 0 for _ in range(300))
    assert above / 300 <= 0.05


@pytest.mark.parametrize("N, n, wrong, e1", [
    ([13, 179, 1605], [5, 61, 234], [8, 1, 0], 0.05 / 9),  # digits, 0.5% wrong: hdi 0.908
    ([178], [178], [9], 0.05 / 2),  # wine, every item reviewed: hdi 0.93 here, 0.906 there
])
def test_erring_reviewers_default_interval_covers(N, n, wrong, e1):
    """Regimes of benchmarks/error_rate_estimation.py where the highest-density interval
    (the default before) held the truth in about 91% of simulated reviews; the default
    now holds it at the nominal rate (within 2.5 standard deviations of 600 draws: 0.928;
    the old default fails the first case), the reviewers wrong 5% of the time."""
    rng = np.random.default_rng(5)
    truth = sum(wrong) / sum(N)
    hits = 0
    for _ in range(600):
        k = []
        for Nh, nh, wh in zip(N, n, wrong, strict=True):
            w = rng.hypergeometric(wh, Nh - wh, nh)
            k.append(int(rng.binomial(w, 1 - e1) + rng.binomial(nh - w, 0.05)))
        s = stratified_interval(N, n, k, reviewer_error=(0.05, e1))
        hits += s.low <= truth <= s.high
    assert hits / 600 >= 0.95 - 2.5 * np.sqrt(0.95 * 0.05 / 600)


# ------------------------------------------------------------------------ estimation

def _reviews(res, plan, truth_wrong: set, n=None):
    given = res.issues.set_index("id")["given_label"]
    ids = plan["id"].tolist()[:n]
    flip = {"a": "b", "b": "a"}
    return pd.DataFrame({"id": ids, "verified_label": [
        flip[given[i]] if i in truth_wrong else given[i] for i in ids]})


def test_a_class_cell_without_reviews_takes_its_stratums_reviewed_share():
    res = fake_result()
    plan = plan_review(res, budget=100)
    wrong = set(res.issues["id"].head(50)) | {"i100", "i200", "i300"}
    r = _reviews(res, plan, wrong)
    s = pd.Series(review_strata(res.issues), index=res.issues["id"])
    given = res.issues.set_index("id")["given_label"]
    # no review of a class-b item of the 'rest' stratum
    r = r[~((s.loc[r["id"]].to_numpy() == "rest") & (given.loc[r["id"]].to_numpy() == "b"))]
    v = estimate_error_rate(res, r)
    b = v.per_class.set_index("class").loc["b"]
    in_b = given.to_numpy() == "b"
    expected = 0.0
    for h in ("flagged", "high", "rest"):
        cell = r[(s.loc[r["id"]].to_numpy() == h) & (given.loc[r["id"]].to_numpy() == "b")]
        pool = r[s.loc[r["id"]].to_numpy() == h]
        share = (cell if len(cell) else pool)["id"].isin(wrong).mean()
        expected += ((s.to_numpy() == h) & in_b).sum() * share
    assert b["error_rate"] == pytest.approx(expected / in_b.sum())
    assert b["error_rate"] < 0.3  # (half of the cell read wrong by the prior before)
    assert b["error_rate_low"] <= b["error_rate"] <= b["error_rate_high"]


def test_estimate_matches_the_stratified_posterior():
    res = fake_result()
    plan = plan_review(res, budget=100)
    wrong = set(res.issues["id"].head(50)) | {"i100", "i200"}
    v = estimate_error_rate(res, _reviews(res, plan, wrong))
    t = v.strata
    assert t["stratum"].tolist() == ["flagged", "high", "rest"]
    s = review_strata(res.issues)
    planned = plan.set_index("id")
    for row in t.itertuples():
        ids = planned.index[planned["stratum"] == row.stratum]
        assert row.n_reviewed == len(ids) == row.n_planned
        assert row.n_errors == len(set(ids) & wrong)
        assert row.n_items == (s == row.stratum).sum()
    ref = stratified_interval(t["n_items"], t["n_reviewed"], t["n_errors"])
    assert (v.estimate, v.low, v.high) == (ref.estimate, ref.low, ref.high)
    assert v.low <= v.estimate <= v.high
    f = t.iloc[0]
    # one stratum's interval is exact at both ends (Clopper-Pearson's)
    prec = stratified_interval([f.n_items], [f.n_reviewed], [f.n_errors],
                               interval="clopper-pearson")
    assert v.flag_precision == prec
    for row in t.itertuples():
        one = stratified_interval([row.n_items], [row.n_reviewed], [row.n_errors],
                                  interval="clopper-pearson")
        assert (row.error_rate_low, row.error_rate_high) == (one.low, one.high)
    rest = t.iloc[1:]
    missed = stratified_interval(rest["n_items"], rest["n_reviewed"], rest["n_errors"])
    assert v.missed_errors.estimate == pytest.approx(missed.estimate * rest["n_items"].sum())
    assert v.n_errors_total.estimate == pytest.approx(v.estimate * 600)
    assert v.per_class["class"].tolist() == ["a", "b"]
    assert v.per_class["n_reviewed"].sum() == 100
    assert v.per_class["n_errors"].sum() == v.n_errors
    d = v.to_dict()
    assert d["n_reviewed"] == 100 and "credible interval" in d["what"]


def test_partial_review_is_wider_and_no_review_is_the_prior():
    res = fake_result()
    plan = plan_review(res, budget=120)
    wrong = set(res.issues["id"].head(50))
    full = estimate_error_rate(res, _reviews(res, plan, wrong))
    half = estimate_error_rate(res, _reviews(res, plan, wrong, n=40))
    assert half.n_reviewed == 40 and half.n_planned == 120
    assert half.width > full.width
    none = estimate_error_rate(res, pd.DataFrame({"id": [], "verified_label": []}))
    # every stratum at Beta(1, 1): the count of errors is a sum of uniform counts
    assert none.estimate == pytest.approx(0.5, abs=1e-9)
    assert none.width > 0.5
    # an empty verified_label counts as not reviewed
    blank = _reviews(res, plan, wrong)
    blank.loc[60:, "verified_label"] = ""
    assert estimate_error_rate(res, blank).n_reviewed == 60
    # ids with stray spaces (a sheet edited by hand) are the plan's ids
    spaced = _reviews(res, plan, wrong)
    spaced["id"] = [f" {i}" if k % 3 == 0 else f"{i} " for k, i in enumerate(spaced["id"])]
    same = estimate_error_rate(res, _reviews(res, plan, wrong))
    got = estimate_error_rate(res, spaced)
    assert (got.estimate, got.low, got.high, got.n_reviewed) == (
        same.estimate, same.low, same.high, same.n_reviewed)
    twice = pd.concat([_reviews(res, plan, wrong).iloc[:1], spaced.iloc[:1]])
    with pytest.warns(UserWarning, match="the same verified label more than once"):
        assert estimate_error_rate(res, twice).n_reviewed == 1
    other = "b" if twice["verified_label"].iloc[1] == "a" else "a"
    twice.iloc[1, twice.columns.get_loc("verified_label")] = other
    with pytest.raises(InvalidSettingError, match="more than one verified label \\(white space "
                                                  "around the ids aside\\)"):
        estimate_error_rate(res, twice)


def test_a_review_without_an_id_is_named_and_an_empty_row_is_passed_over():
    res = fake_result()
    plan = plan_review(res, budget=50)
    ids = plan["id"].tolist()
    given = res.issues.set_index("id")["given_label"]
    ok = pd.DataFrame({"id": ids[:3], "verified_label": [given[i] for i in ids[:3]]})
    blank = pd.concat([ok, pd.DataFrame({"id": [None], "verified_label": [None]})])
    assert estimate_error_rate(res, blank).n_reviewed == 3  # (nothing said, nothing lost)
    answered = pd.concat([ok, pd.DataFrame({"id": [None, " "], "verified_label": ["b", "a"]})])
    with pytest.raises(InvalidSettingError, match=(
            r"reviews has 2 answered row\(s\) without an id \(rows 4, 5, counted from 1; "
            r"answer 'b'\): every review needs the item's id\. Copy the id back from the "
            r"review sheet")):
        estimate_error_rate(res, answered.reset_index(drop=True))
    numbered = pd.DataFrame({"id": [ids[0], None], "verified_label": [1.0, 2.0]})
    with pytest.raises(InvalidSettingError, match=r"without an id \(row 2, counted from 1; "
                                                  r"answer '2'\)"):
        estimate_error_rate(res, numbered)


def test_estimate_refuses_bad_reviews():
    res = fake_result()
    plan = plan_review(res, budget=50)
    outside = [i for i in res.issues["id"] if i not in set(plan["id"])][:2]
    bad = pd.DataFrame({"id": [*outside, "nope"], "verified_label": ["a", "a", "b"]})
    with pytest.raises(InvalidSettingError) as info:
        estimate_error_rate(res, bad)
    msg = str(info.value)
    assert "3 reviewed item(s) are not in the review plan" in msg
    assert outside[0] in msg and "'nope'" in msg and "1 of them is not an item of this audit" in msg
    # ids that lost their leading zeros in a spreadsheet are named as such
    zeros = SimpleNamespace(issues=res.issues.assign(id=[f"{k:05d}" for k in range(600)]),
                            table=res.table, review_plan=None)
    zplan = plan_review(zeros, budget=50)
    lost = pd.DataFrame({"id": [zplan["id"][0].lstrip("0")], "verified_label": ["a"]})
    with pytest.raises(InvalidSettingError, match=r"it is not an item of this audit at all "
                                                  r"\(they are the plan's ids without their "
                                                  r"leading zeros, e.g. '\d+' for '0\d+'.*"
                                                  r"copy the id column of the sheet dataqa "
                                                  r"wrote over the saved one"):
        estimate_error_rate(zeros, lost)
    # an id with one zero more than the plan's lost none: no such hint
    extra = pd.DataFrame({"id": ["0" + zplan["id"][0]], "verified_label": ["a"]})
    with pytest.raises(InvalidSettingError) as info:
        estimate_error_rate(zeros, extra)
    assert "without their leading zeros" not in str(info.value)
    # whole-number ids written as decimals (pandas, a column with a blank cell)
    numbered = SimpleNamespace(issues=res.issues.assign(id=[str(k) for k in range(600)]),
                               table=res.table, review_plan=None)
    first = plan_review(numbered, budget=50)["id"][0]
    floated = pd.DataFrame({"id": [f"{first}.0"], "verified_label": ["a"]})
    with pytest.raises(InvalidSettingError, match=(
            rf"\(they are the plan's ids written as decimal numbers, e.g. '{first}\.0' for "
            rf"'{first}', as pandas writes a column of whole numbers that has a blank cell")):
        estimate_error_rate(numbered, floated)
    # long all-digit ids rounded by a spreadsheet (1.05051E+15) are named as such
    digits = SimpleNamespace(issues=res.issues.assign(
        id=[str(1050510640795243 + 7919 * k) for k in range(600)]), table=res.table,
        review_plan=None)
    dplan = plan_review(digits, budget=50)
    first = dplan["id"][0]
    shown = f"{int(first) / 10 ** 15:.5f}E+15"  # as a spreadsheet writes it
    rounded = pd.DataFrame({"id": [shown, dplan["id"][1]], "verified_label": ["a", "b"]})
    with pytest.raises(InvalidSettingError) as info:
        estimate_error_rate(digits, rounded)
    msg = str(info.value)
    assert (f"1 reviewed item(s) are not in the review plan: {shown!r}; it is not an item of "
            f"this audit at all (it is the plan's all-digit id rounded by a spreadsheet, e.g. "
            f"{shown!r}") in msg
    assert "the digits are lost. Copy the id column of the file dataqa wrote" in msg
    # an id typed in another case; with where each review was read (the command line's)
    cased = SimpleNamespace(issues=res.issues.assign(id=[f"yt{k:04d}" for k in range(600)]),
                            table=res.table, review_plan=None)
    cplan = plan_review(cased, budget=50)
    upper = pd.DataFrame({"id": [cplan["id"][1], cplan["id"][0].upper()],
                          "verified_label": ["a", "b"], _WHERE: ["'s.csv' data row 1",
                                                                 "'s.csv' data row 2"]})
    with pytest.raises(InvalidSettingError) as info:
        estimate_error_rate(cased, upper)
    assert (f"not in the review plan: {cplan['id'][0].upper()!r} ('s.csv' data row 2); it is "
            f"not an item of this audit at all (1 differs from the plan's ids only in case, "
            f"e.g. {cplan['id'][0].upper()!r} for {cplan['id'][0]!r}: ids are matched as "
            f"written") in str(info.value)
    dup = pd.DataFrame({"id": [plan["id"][0]] * 2, "verified_label": ["a", "b"]})
    with pytest.raises(InvalidSettingError, match="more than one verified label"):
        estimate_error_rate(res, dup)
    # the same label twice (a sheet pasted twice) is counted once, with a word
    twice = pd.DataFrame({"id": [plan["id"][0]] * 2 + [plan["id"][1]],
                          "verified_label": ["a", "a", "b"]})
    with pytest.warns(UserWarning, match=r"the reviews give 1 item\(s\) the same verified "
                                         r"label more than once .*; each is counted once"):
        once = estimate_error_rate(res, twice, plan=plan)
    assert once.n_reviewed == 2
    unknown = pd.DataFrame({"id": [plan["id"][0]], "verified_label": ["c"]})
    with pytest.raises(LabelError, match="not a class of the audit \\('c'"):
        estimate_error_rate(res, unknown)
    # a class in another case is that class, with a word; the sheet read from a file is
    # named
    cased = pd.DataFrame({"id": plan["id"][:3], "verified_label": ["A", " a", "B"]})
    cased.attrs["dataqa_source"] = "sheet.csv"
    with pytest.warns(UserWarning, match=r"^2 review\(s\) of 'sheet.csv' write a class in "
                                         r"another case; read 'A' as 'a', 'B' as 'b'.$"):
        got = estimate_error_rate(res, cased, plan=plan)
    plain = cased.assign(verified_label=["a", "a", "b"])
    want = estimate_error_rate(res, plain, plan=plan)
    assert (got.estimate, got.low, got.high, got.n_errors) == (
        want.estimate, want.low, want.high, want.n_errors)
    # ... and a label unknown in every case is refused, named with its file and row
    wrong = pd.DataFrame({"id": plan["id"][:2], "verified_label": ["a", "c"],
                          _WHERE: ["'s.csv' data row 1", "'s.csv' data row 2"]})
    with pytest.raises(LabelError) as e:
        estimate_error_rate(res, wrong, plan=plan)
    assert str(e.value) == (
        f"1 review(s) give a verified_label that is not a class of the audit ('c'; ids "
        f"{plan['id'][1]!r} ('s.csv' data row 2)); the classes are ['a', 'b']: write one of "
        f"them, spelled as in the label column, or leave the cell empty for an item not "
        f"reviewed (yet).")
    # two labels for one item name both, with where each was read
    clash = pd.DataFrame({"id": [plan["id"][0]] * 2, "verified_label": ["a", "b"],
                          _WHERE: ["'s1.csv' data row 4", "'s2.csv' data row 1"]})
    with pytest.raises(InvalidSettingError) as e:
        estimate_error_rate(res, clash, plan=plan)
    assert str(e.value).startswith(
        f"reviews give 1 item(s) more than one verified label: {plan['id'][0]!r}: 'a' "
        f"('s1.csv' data row 4) and 'b' ('s2.csv' data row 1). Give one per item")
    with pytest.raises(MissingColumnError, match="verified_label"):
        estimate_error_rate(res, pd.DataFrame({"id": ["x"]}))
    fresh = fake_result()
    with pytest.raises(InvalidSettingError, match="there is no review plan"):
        estimate_error_rate(fresh, pd.DataFrame({"id": [], "verified_label": []}))
    wrong_plan = plan.assign(stratum="rest")
    with pytest.raises(InvalidSettingError, match="the plan's strata do not match this audit"):
        estimate_error_rate(res, pd.DataFrame({"id": [], "verified_label": []}),
                            plan=wrong_plan)
    with pytest.raises(InvalidSettingError, match="confidence=1.5"):
        estimate_error_rate(res, bad.iloc[:0], confidence=1.5)


def test_class_numbers_written_as_floats_are_read():
    # a sheet saved by pandas from a float column writes 1.0 for class 1
    res = fake_result()
    res.issues["given_label"] = res.issues["given_label"].map({"a": "0", "b": "1"})
    res.issues["suggested_label"] = res.issues["given_label"]
    res.table.class_names = ["0", "1"]
    plan = plan_review(res, budget=40)
    given = res.issues.set_index("id")["given_label"]
    as_text = given.loc[plan["id"]].to_numpy()
    as_float = [f"{float(v):.1f}" for v in as_text]  # "0.0", "1.0"
    a = estimate_error_rate(res, pd.DataFrame({"id": plan["id"], "verified_label": as_text}))
    b = estimate_error_rate(res, pd.DataFrame({"id": plan["id"], "verified_label": as_float}))
    assert (a.estimate, a.low, a.high, a.n_errors) == (b.estimate, b.low, b.high, b.n_errors)
    with pytest.raises(LabelError, match="not a class of the audit \\('2.0'"):
        estimate_error_rate(res, pd.DataFrame({"id": plan["id"][:1], "verified_label": ["2.0"]}))


def test_hdi_interval_is_not_longer():
    res = fake_result()
    plan = plan_review(res, budget=60)
    r = _reviews(res, plan, set(res.issues["id"].head(45)))
    et = estimate_error_rate(res, r)
    hdi = estimate_error_rate(res, r, interval="hdi")
    assert hdi.width <= et.width + 1e-12
    assert hdi.estimate == et.estimate


def test_required_review_size():
    from dataqa.audit.review import _expected_width, _sizing_table, _strata_table

    res = fake_result()
    b = required_review_size(res, width=0.08)
    table = _sizing_table(res.issues, 2)
    # the flagged stratum plans with the model's expected error; the others with the mean
    # posterior probability of a wrong label (uniform flips at the flagged share e = 0.1)
    plain = _strata_table(res.issues).set_index("stratum")["expected_error"]
    # the plan's allocation stays the model's; the simulated errors are the planned ones
    assert table.set_index("stratum")["expected_error"].equals(plain)
    sized = table.set_index("stratum")["planned_error"]
    assert sized["flagged"] == plain["flagged"]
    s = res.issues["label_issue_score"].to_numpy()
    from dataqa.audit.review import review_strata

    rest = review_strata(res.issues) == "rest"
    post = s * 0.1 / ((1 - s) * 0.9 + s * 0.1)
    assert sized["rest"] == pytest.approx(post[rest].mean())
    assert sized["rest"] < plain["rest"] and sized["high"] < plain["high"]
    kw = dict(confidence=0.95, n_sim=20, n_draws=2000, min_per_stratum=5, seed=0,
              quantile=0.95)
    assert _expected_width(table, b, **kw) <= 0.08
    assert _expected_width(table, int(b * 0.9), **kw) > 0.08
    assert required_review_size(res, width=0.15) < b
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # budgets tried below the strata's floors: unsaid
        assert 550 <= required_review_size(res, width=0.001) <= 600  # (nearly) every item
        assert required_review_size(res, width=0.9, min_per_stratum=60) <= 180
    with pytest.raises(InvalidSettingError, match="width=0"):
        required_review_size(res, width=0)


def test_coverage_of_every_reported_interval():
    # A fixed population (the fake audit, with known wrong labels concentrated in the
    # flagged items); 200 seeded plans of 90 items reviewed exactly. Each interval the
    # estimate reports (the rate, the flags' precision, the errors missed,
    # the per-class rates) must hold its true value at least at the nominal rate, within
    # a binomial tolerance of 3 sd.
    res = fake_result(seed=1)
    rng = np.random.default_rng(7)
    ids = res.issues["id"].to_numpy()
    flagged = res.issues["is_label_issue"].to_numpy()
    score = res.issues["label_issue_score"].to_numpy()
    wrong = rng.random(len(ids)) < np.where(flagged, 0.8, 0.3 * score)
    given = res.issues["given_label"].to_numpy()
    truth = {
        "rate": wrong.mean(),
        "precision": wrong[flagged].mean(),
        "missed": wrong[~flagged].sum(),
        "a": wrong[given == "a"].mean(),
        "b": wrong[given == "b"].mean(),
    }
    flip = {"a": "b", "b": "a"}
    verified = np.where(wrong, [flip[g] for g in given], given)
    answer = pd.Series(verified, index=ids)
    hits = dict.fromkeys(truth, 0)
    for rep in range(200):
        plan = plan_review(res, budget=90, random_state=rep)
        v = estimate_error_rate(res, pd.DataFrame(
            {"id": plan["id"], "verified_label": answer.loc[plan["id"]].to_numpy()}))
        got = {"rate": v, "precision": v.flag_precision, "missed": v.missed_errors}
        for k, s in got.items():
            hits[k] += s.low <= truth[k] <= s.high
        for row in v.per_class.itertuples():
            hits[row[1]] += row.error_rate_low <= truth[row[1]] <= row.error_rate_high
    tol = 3 * np.sqrt(0.95 * 0.05 / 200)
    coverage = {k: h / 200 for k, h in hits.items()}
    assert all(c >= 0.95 - tol for c in coverage.values()), coverage
    assert coverage["rate"] == pytest.approx(0.95, abs=tol), coverage


# ------------------------------------------------------------------ extending a plan

def test_extend_plan_keeps_the_plan_and_draws_new_items_by_the_reviews():
    res = fake_result()
    plan = plan_review(res, budget=40)
    first = plan["id"].tolist()
    # errors found only in the high stratum: more added items go there than without reviews
    high = set(plan.loc[plan["stratum"] == "high", "id"])
    v = estimate_error_rate(res, _reviews(res, plan, high))
    ext = extend_plan(res, add=30, verified=v)
    assert ext["id"].tolist()[:40] == first  # the plan's rows first, in their order
    assert res.review_plan is ext
    new = ext.iloc[40:]
    assert len(new) == 30 and not set(new["id"]) & set(first) and ext["id"].is_unique
    s = pd.Series(review_strata(res.issues), index=res.issues["id"])
    assert (s.loc[ext["id"]].to_numpy() == ext["stratum"].to_numpy()).all()
    t = ext.attrs["strata"].set_index("stratum")
    t0 = extend_plan(fake_result_with(plan), add=30).attrs["strata"].set_index("stratum")
    assert t["n_added"].sum() == 30 == t0["n_added"].sum()
    assert t.loc["high", "n_added"] > t0.loc["high", "n_added"]
    assert (t["n_planned"] == ext["stratum"].value_counts().reindex(t.index)).all()
    # the weights are those of the enlarged plan
    for h, row in t.iterrows():
        assert (ext.loc[ext["stratum"] == h, "weight"] == row.n_items / row.n_planned).all()
    assert ext.attrs["added"] == new["id"].tolist()
    # the result's own estimate of this plan guides the allocation when none is given
    res3 = fake_result()
    res3.review_plan, res3.verified = plan, v
    assert extend_plan(res3, add=30)["id"].tolist() == ext["id"].tolist()
    # the same seed on the same plan draws the same items; a second extension draws afresh
    res2 = fake_result()
    res2.review_plan = plan
    assert extend_plan(res2, add=30, verified=v)["id"].tolist() == ext["id"].tolist()
    again = extend_plan(res, add=10)
    assert again["id"].tolist()[:70] == ext["id"].tolist() and again["id"].is_unique
    # more than the unplanned items: all of them
    assert len(extend_plan(res, add=10_000)) == len(res.issues)
    # the reviews of the first plan still count, the new items not yet reviewed
    v2 = estimate_error_rate(res, _reviews(res, ext, high, n=40), plan=ext)
    assert v2.n_planned == 70 and v2.n_reviewed == 40 and v2.n_errors == len(high)


def fake_result_with(plan):
    res = fake_result()
    res.review_plan = plan
    return res


def test_extend_plan_refusals():
    res = fake_result()
    with pytest.raises(InvalidSettingError, match="no review plan to extend"):
        extend_plan(res, add=5)
    plan = plan_review(res, budget=40)
    for bad in (0, -3, True, 2.5):
        with pytest.raises(InvalidSettingError, match="add must be a whole number"):
            extend_plan(res, add=bad)
    with pytest.raises(InvalidSettingError, match="random_state"):
        extend_plan(res, add=5, random_state=-1)
    other = fake_result(seed=3)
    other.review_plan = plan
    with pytest.raises(InvalidSettingError, match="strata do not match"):
        extend_plan(other, add=5)
    too_many = pd.DataFrame({"stratum": ["flagged"], "n_reviewed": [500], "n_errors": [1]})
    with pytest.raises(InvalidSettingError, match="not an estimate of this plan"):
        extend_plan(res, add=5, verified=too_many)
    with pytest.raises(InvalidSettingError, match="verified must be"):
        extend_plan(res, add=5, verified=pd.DataFrame({"stratum": ["flagged"]}))


def test_reviews_to_add():
    res = fake_result()
    plan = plan_review(res, budget=40)
    wrong = set(res.issues["id"].head(40))
    v = estimate_error_rate(res, _reviews(res, plan, wrong))
    assert v.width > 0.08
    a = reviews_to_add(v, width=0.08)
    assert 0 < a < 560
    assert reviews_to_add(v, width=0.12) < a < reviews_to_add(v, width=0.06)
    assert reviews_to_add(v, width=0.99) == 0  # already narrow enough
    assert reviews_to_add(v, width=1e-6) == 560  # every unplanned item, and still not enough
    with pytest.raises(InvalidSettingError, match="width=0"):
        reviews_to_add(v, width=0)
    # every planned item reviewed and the interval still too wide: never "0 more"
    from dataqa.audit.review import _reviews_to_add

    big = plan_review(res, budget=300)
    full = estimate_error_rate(res, _reviews(res, big, wrong))
    more, enough, median = _reviews_to_add(full, width=full.width - 1e-4)
    assert enough and more >= 1 and 0 < median < full.width
    assert _reviews_to_add(full, width=1e-6)[0] >= 290  # (nearly) every unplanned item
    noisy = estimate_error_rate(res, _reviews(res, plan, wrong), plan=plan, reviewer_error=0.05)
    with pytest.raises(InvalidSettingError, match="exact reviewers"):
        reviews_to_add(noisy, width=0.08)


def test_extension_by_reviews_to_add_covers_and_reaches_the_width():
    # 40 seeded audits-with-truth: a plan of 40 reviewed exactly; when its interval is
    # wider than 0.08, the plan is extended by reviews_to_add and reviewed. The final
    # intervals must cover the true rate at the nominal rate (3 sd of 40 draws), and
    # reviews_to_add sizes for 75% of simulated outcomes (40 of them here, for time): at
    # least 3 in 4 must reach it.
    rng = np.random.default_rng(11)
    hits = reached = extended = 0
    reps = 40
    for rep in range(reps):
        res = fake_result(seed=rep)
        ids = res.issues["id"].to_numpy()
        flagged = res.issues["is_label_issue"].to_numpy()
        wrong = set(ids[rng.random(len(ids)) < np.where(flagged, 0.7, 0.01)])
        truth = len(wrong) / len(ids)
        plan = plan_review(res, budget=40, random_state=rep)
        v = estimate_error_rate(res, _reviews(res, plan, wrong))
        if v.width > 0.08:
            extended += 1
            more = reviews_to_add(v, width=0.08, random_state=rep, n_sim=40, n_draws=1000)
            ext = extend_plan(res, add=max(more, 1), verified=v, random_state=rep)
            v = estimate_error_rate(res, _reviews(res, ext, wrong))
        hits += v.low <= truth <= v.high
        reached += v.width <= 0.08 + 1e-12
    assert extended >= reps // 2
    assert hits / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)
    assert reached / reps >= 0.75, reached


def test_ties_among_reviewers_count_answers_without_an_annotator_one_each(monkeypatch):
    # as consensus_labels counts them: two anonymous answers 0 and 1 are a tie; two
    # anonymous 0s against bob's 1 are not
    import dataqa.labelstudio as ls
    from dataqa.audit.review_cli import _reviews_from_ledger

    def named(frame, order=("ham", "spam")):  # a pull's label_name: the project's choice
        return frame.assign(label_name=[order[k] for k in frame["label"]])

    ann = named(pd.DataFrame({"id": ["a", "a", "b", "b", "b", "c"],
                              "label": [0, 1, 0, 0, 1, 1],
                              "annotator": [None, None, None, None, "bob", "bob"]}))
    monkeypatch.setattr(ls, "pull_project", lambda **kw: SimpleNamespace(
        annotations=ann, report="report"))
    result = SimpleNamespace(review_plan=pd.DataFrame({"id": ["a", "b", "c"]}),
                             table=SimpleNamespace(class_names=["ham", "spam"]))
    frame, report, left_out, tied = _reviews_from_ledger(result, "l.db", "p", None)
    assert tied == ["a"] and left_out == [] and report == "report"
    assert dict(zip(frame["id"], frame["verified_label"], strict=True)) == {"b": "ham", "c": "spam"}
    # with times, each reviewer's newest answer counts: bob's two answers on "d" (two
    # tasks of one item) are 1 then 0, against carl's 0: no tie, "ham"
    ann = named(pd.DataFrame({"id": ["d", "d", "d"], "label": [0, 1, 0],
                              "annotator": ["bob", "bob", "carl"],
                              "created_at": ["2024-01-01T00:00:00Z"] * 3,
                              "updated_at": ["2024-01-03T00:00:00Z", "2024-01-02T00:00:00Z",
                                             "2024-01-01T00:00:00Z"]}))
    result.review_plan = pd.DataFrame({"id": ["d"]})
    frame, _, _, tied = _reviews_from_ledger(result, "l.db", "p", None)
    assert tied == [] and frame["verified_label"].tolist() == ["ham"]
    # the project's choices reordered in Label Studio (spam first): a label is a position
    # among them, and the class name counts
    ann = named(ann, order=("spam", "ham"))
    frame, _, _, tied = _reviews_from_ledger(result, "l.db", "p", None)
    assert tied == [] and frame["verified_label"].tolist() == ["spam"]
    with pytest.raises(InvalidSettingError, match=r"project 'p' holds answers of class\(es\) "
                                                  r"'promo', which this audit does not have"):
        ann = named(ann, order=("promo", "ham"))
        _reviews_from_ledger(result, "l.db", "p", None)


def test_ids_rounded_to_one_number_are_said_to_be_rounded_not_conflicting():
    # 19-digit ids a spreadsheet wrote as 1.05051E+18: several rows, one text, labels that
    # differ; the rounding is the cause, so it is said before any conflict
    res = fake_result()
    digits = SimpleNamespace(issues=res.issues.assign(
        id=[str(1050510640795243000 + 7919 * k) for k in range(600)]), table=res.table,
        review_plan=None)
    plan_review(digits, budget=50)
    rounded = pd.DataFrame({"id": ["1.05051E+18"] * 3, "verified_label": ["a", "b", "a"]})
    with pytest.raises(InvalidSettingError) as info:
        estimate_error_rate(digits, rounded)
    msg = str(info.value)
    assert msg.startswith("1 reviewed item(s) (in 3 rows) are not in the review plan: "
                          "'1.05051E+18'")
    assert "rounded by a spreadsheet" in msg and "more than one verified label" not in msg


def test_a_reviewer_error_rate_the_reviews_contradict_is_warned_of():
    import warnings

    res = fake_result()
    plan = plan_review(res, budget=300)
    flagged_ids = set(res.issues.loc[res.issues["is_label_issue"], "id"])
    wrong = {i for i in plan["id"] if i in flagged_ids}  # no unflagged item is wrong
    reviews = _reviews(res, plan, wrong)
    v = estimate_error_rate(res, reviews, plan=plan)
    quiet = v.strata.set_index("stratum")
    empty = [h for h in quiet.index if quiet.loc[h, "n_reviewed"] >= 100
             and quiet.loc[h, "n_errors"] == 0]
    assert empty
    h = empty[0]
    n = int(quiet.loc[h, "n_reviewed"])
    with pytest.warns(UserWarning, match=rf"the reviews flag fewer items than the reviewers' "
                                         rf"stated rate .*'{h}': 0 of {n} flagged, where 0.05 "
                                         rf"alone flags about {0.05 * n:.1f}.*--reviewer-error"):
        estimate_error_rate(res, reviews, plan=plan, reviewer_error=0.05)
    # a rate those reviews allow: no warning (0 of 100+ at 1% is not unusual)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimate_error_rate(res, reviews, plan=plan, reviewer_error=0.01)


def test_counts_of_errors_print_as_items_and_rates_as_percentages():
    res = fake_result()
    plan = plan_review(res, budget=100)
    flagged_ids = set(res.issues.loc[res.issues["is_label_issue"], "id"])
    v = estimate_error_rate(res, _reviews(res, plan, flagged_ids), plan=plan)
    total, missed = str(v.n_errors_total), str(v.missed_errors)
    assert total.startswith(f"{v.n_errors_total.estimate:.0f} (95% interval ")
    assert total == v.n_errors_total.format("{:.0f}")
    assert missed == v.missed_errors.format("{:.0f}")
    assert str(v.flag_precision).endswith("%)")  # a rate: a percentage


def test_one_stratum_covers_at_every_error_count():
    # exact coverage (every hypergeometric draw of the reviewed items): the Jeffreys
    # upper end held 5,000 items of which 125 wrong in 91.0% of 100-item reviews
    def coverage(N, n, E, **kw):
        k = np.arange(0, min(n, E) + 1)
        pmf = stats.hypergeom(N, E, n).pmf(k)
        hit = [(s := stratified_interval([N], [n], [int(j)], **kw)).low <= E / N <= s.high
               for j in k]
        return float(np.dot(pmf, hit))

    assert coverage(5000, 100, 125, _exact_single=False) < 0.92  # as before
    for n, E in ((100, 125), (50, 250), (20, 625), (100, 0), (100, 40), (100, 1000)):
        assert coverage(5000, n, E) >= 0.95, (n, E)
    # one stratum beside strata reviewed whole (a small flagged stratum): the same
    cp = stratified_interval([1000], [100], [3], interval="clopper-pearson", prior="uniform")
    one = stratified_interval([1000], [100], [3])
    assert (one.low, one.high) == (cp.low, cp.high)
    both = stratified_interval([1000, 40], [100, 40], [3, 10])
    cp2 = stratified_interval([1000, 40], [100, 40], [3, 10], interval="clopper-pearson")
    assert (both.low, both.high) == (cp2.low, cp2.high)
    two = stratified_interval([1000, 400], [100, 40], [3, 10])
    assert two.high != stratified_interval([1000, 400], [100, 40], [3, 10],
                                           interval="clopper-pearson").high
