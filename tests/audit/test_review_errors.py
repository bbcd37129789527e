"""The verified error rate with a Jeffreys prior and with reviewers who err.

Values against scipy and brute force (every configuration of wrong labels enumerated),
coverage by seeded simulation, refusals, and the CLI option through its runner.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import betaln

from dataqa.audit.posterior import (
    noisy_total_errors_pmf,
    pmf_summary,
    rate_posterior_grid,
    total_errors_pmf,
)
from dataqa.audit.review import (
    estimate_error_rate,
    neyman_allocation,
    plan_review,
    stratified_interval,
)
from dataqa.errors import InvalidSettingError, UnknownNameError

from .test_review import _reviews, fake_result

# ------------------------------------------------------------------------- priors


def test_jeffreys_prior_values():
    # one stratum of N = 5, n = 2 reviewed, k = 1 wrong: the 3 unreviewed hold a
    # beta-binomial(3, 1 + 1/2, 1 + 1/2) number of errors
    pmf = total_errors_pmf([5], [2], [1], prior=(0.5, 0.5))
    ref = stats.betabinom.pmf(np.arange(4), 3, 1.5, 1.5)
    np.testing.assert_allclose(pmf, np.concatenate([[0.0], ref]), rtol=1e-12)
    s = stratified_interval([5], [2], [1], prior="jeffreys", point="mean")
    assert s.estimate == pytest.approx((1 + 3 * 0.5) / 5)
    # the design estimate: 1 of 2 reviewed wrong, so half of the 5
    assert stratified_interval([5], [2], [1], prior="jeffreys").estimate == 0.5
    # 2 items, 1 reviewed and wrong: the other is wrong with probability E[Beta(3/2, 1/2)]
    # = 3/4; the 50% highest-density set is {2 wrong}, stretched to hold the mean 1.75
    s = stratified_interval([2], [1], [1], confidence=0.5, prior="jeffreys", interval="hdi",
                            point="mean")
    assert s.estimate == pytest.approx(0.875) and (s.low, s.high) == pytest.approx((0.875, 1.0))
    # a tiny sampling fraction: the rate's posterior is Beta(k + 1/2, n - k + 1/2)
    s = stratified_interval([2_000_000], [200], [30], prior="jeffreys", interval="equal-tailed")
    lo, hi = stats.beta(30.5, 170.5).ppf([0.025, 0.975])
    assert s.low == pytest.approx(lo, abs=2e-3) and s.high == pytest.approx(hi, abs=2e-3)
    # and its highest-density interval: the shortest [ppf(u), ppf(u + 0.95)]
    beta = stats.beta(30.5, 170.5)
    u = optimize.minimize_scalar(lambda u: beta.ppf(u + 0.95) - beta.ppf(u),
                                 bounds=(0, 0.05), method="bounded").x
    s = stratified_interval([2_000_000], [200], [30], prior="jeffreys", interval="hdi",
                            point="mean")
    assert s.low == pytest.approx(beta.ppf(u), abs=2e-3)
    assert s.high == pytest.approx(beta.ppf(u + 0.95), abs=2e-3)
    assert s.high - s.low < beta.ppf(0.975) - beta.ppf(0.025)
    # its mean is the uniform prior's, pulled half an item less towards 1/2
    assert stratified_interval([2_000_000], [200], [30], prior="uniform",
                               point="mean").estimate == pytest.approx(31 / 202, abs=1e-4)
    assert s.estimate == pytest.approx(30.5 / 201, abs=1e-4)
    # the design estimate is the reviewed share, whatever the prior
    assert stratified_interval([2_000_000], [200], [30], prior="uniform").estimate == 0.15
    with pytest.raises(UnknownNameError, match="unknown prior 'flat'; known priors are: "
                                               "jeffreys, uniform"):
        stratified_interval([5], [2], [1], prior="flat")
    # names in any case (--prior Jeffreys, --interval HDI)
    assert stratified_interval([2_000_000], [200], [30], prior="Jeffreys", interval="HDI",
                               point="mean") == s


def test_hdi_of_a_pmf_by_brute_force():
    # the shortest run of consecutive counts holding 95% (of those, the one holding the
    # most), found by trying every window
    pmf = total_errors_pmf([30, 200], [10, 20], [6, 1], prior=(0.5, 0.5))
    s = pmf_summary(pmf, 0.95, "hdi")
    cdf = np.concatenate([[0.0], np.cumsum(pmf)])
    best = min((hi - lo, -(cdf[hi + 1] - cdf[lo]), lo, hi) for lo in range(len(pmf))
                for hi in range(lo, len(pmf)) if cdf[hi + 1] - cdf[lo] >= 0.95 - 1e-12)
    assert (s.low, s.high) == (best[2], best[3])


# ------------------------------------------------------------- reviewers who err

def _brute_force_pmf(N, n, flags, e0, e1, a=1.0, b=1.0):
    """Posterior of a stratum's wrong labels: every 0/1 truth of its N items enumerated.

    Items 0 .. n - 1 were reviewed (``flags`` of them flagged, the first ones); p is
    integrated out in closed form: the prior mass of a truth with x errors is
    B(a + x, b + N - x) / B(a, b).
    """
    f = np.array([1] * flags + [0] * (n - flags))
    out = np.zeros(N + 1)
    for z in itertools.product((0, 1), repeat=N):
        z = np.array(z)
        x = int(z.sum())
        lik = np.prod(np.where(z[:n] == 1, np.where(f == 1, 1 - e1, e1),
                               np.where(f == 1, e0, 1 - e0)))
        out[x] += math.exp(betaln(a + x, b + N - x) - betaln(a, b)) * lik
    return out / out.sum()


@pytest.mark.parametrize("e0,e1,prior", [(0.1, 0.1, (1.0, 1.0)), (0.2, 0.05, (1.0, 1.0)),
                                         (0.1, 0.3, (0.5, 0.5))])
def test_noisy_posterior_against_brute_force(e0, e1, prior):
    strata = [(6, 4, 2), (7, 3, 0)]
    brute = np.ones(1)
    for N, n, k in strata:
        brute = np.convolve(brute, _brute_force_pmf(N, n, k, e0, e1, *prior))
    N, n, k = (list(v) for v in zip(*strata, strict=True))
    grid = noisy_total_errors_pmf(N, n, k, (e0, e1), prior=prior)  # 256 grid points
    assert len(grid) == 14
    np.testing.assert_allclose(grid, brute, atol=5e-4)
    for kind in ("equal-tailed", "hdi"):
        a, b = pmf_summary(grid, 0.9, kind), pmf_summary(brute, 0.9, kind)
        assert (a.low, a.high) == (b.low, b.high)
        assert a.estimate == pytest.approx(b.estimate, abs=5e-3)


def test_rate_posterior_grid_is_the_beta_posterior_for_exact_reviewers():
    # e0 = e1 = 0: the posterior of p is Beta(k + a, n - k + b); the grid points are its
    # quantiles (g + 1/2) / G
    g = rate_posterior_grid(40, 7, 0.0, 0.0, (0.5, 0.5), n_grid=100)
    ref = stats.beta(7.5, 33.5).ppf((np.arange(100) + 0.5) / 100)
    np.testing.assert_allclose(g, ref, atol=2e-4)
    # e0 = e1 = 0.1 and 10 flags of 100: r = 0.1 + 0.8 p, so p = 0 is the likeliest
    g = rate_posterior_grid(100, 10, 0.1, 0.1, (1.0, 1.0), n_grid=200)
    p = np.linspace(0, 1, 200_001)[1:-1]
    r = 0.1 + 0.8 * p
    w = np.exp(10 * np.log(r) + 90 * np.log1p(-r))
    cdf = np.cumsum(w) / w.sum()
    assert np.median(g) == pytest.approx(p[np.searchsorted(cdf, 0.5)], abs=1e-3)


def test_zero_reviewer_error_is_the_exact_posterior():
    N, n, k = [60, 540, 3000], [20, 40, 60], [12, 2, 1]
    exact = total_errors_pmf(N, n, k)
    exact = np.concatenate([exact, np.zeros(sum(N) + 1 - len(exact))])
    grid = noisy_total_errors_pmf(N, n, k, 0.0)
    assert np.abs(grid - exact).sum() < 6e-3
    a, b = pmf_summary(exact, 0.95), pmf_summary(grid, 0.95)
    assert (a.low, a.high) == (b.low, b.high)
    assert a.estimate == pytest.approx(b.estimate, rel=2e-3)
    # and estimate_error_rate with reviewer_error=0 takes the exact route itself
    assert stratified_interval(N, n, k, reviewer_error=0) == stratified_interval(N, n, k)


def test_noisy_reviewers_coverage_by_simulation():
    # 3,000 items, 90 wrong (3%): 60 of 100 flagged items, 30 of 2,900 others. Reviewers
    # flag a correct label 8% of the time and confirm a wrong one 4%. 200 seeded plans of
    # 150 items: the corrected 95% interval must hold 3% at the nominal rate (within 3 sd of
    # 200 draws); taken as exact, the reviewers' false flags push it up and it misses.
    rng = np.random.default_rng(11)
    N = np.array([100, 2900])
    wrong = [np.arange(100) < 60, np.arange(2900) < 30]
    truth = 90 / 3000
    alloc = neyman_allocation(N, [0.6, 0.01], 150)
    e0, e1 = 0.08, 0.04
    hits = naive = 0
    for _ in range(200):
        k = []
        for w, a in zip(wrong, alloc, strict=True):
            z = w[rng.choice(len(w), a, replace=False)]
            flag = np.where(z, rng.random(a) >= e1, rng.random(a) < e0)
            k.append(int(flag.sum()))
        s = stratified_interval(N, alloc, k, reviewer_error=(e0, e1))
        hits += s.low <= truth <= s.high
        t = stratified_interval(N, alloc, k)
        naive += t.low <= truth <= t.high
    tol = 3 * np.sqrt(0.95 * 0.05 / 200)
    assert hits / 200 >= 0.95 - tol
    assert naive / 200 < 0.5


def test_estimate_with_reviewer_error():
    res = fake_result()
    plan = plan_review(res, budget=100)
    wrong = set(res.issues["id"].head(50)) | {"i100", "i200"}
    r = _reviews(res, plan, wrong)
    exact = estimate_error_rate(res, r)
    v = estimate_error_rate(res, r, reviewer_error=0.05)
    t = v.strata
    ref = stratified_interval(t["n_items"], t["n_reviewed"], t["n_errors"], reviewer_error=0.05)
    assert (v.estimate, v.low, v.high) == (ref.estimate, ref.low, ref.high)
    assert v.reviewer_error == (0.05, 0.05) and exact.reviewer_error == (0.0, 0.0)
    assert v.n_errors == exact.n_errors  # the flags counted, as before
    f = t.iloc[0]
    assert v.flag_precision == stratified_interval([f.n_items], [f.n_reviewed], [f.n_errors],
                                                   reviewer_error=0.05)
    d = v.to_dict()
    assert d["reviewer_error"] == [0.05, 0.05] and d["prior"] == "jeffreys"
    assert "reviewers who flag a correct label with probability 0.05" in d["what"]
    assert "reviewers assumed exact" in exact.to_dict()["what"]
    # the defaults: Jeffreys prior, exact-lower; Jeffreys and clopper-pearson with errors
    assert (exact.prior, exact.interval, v.prior, v.interval) == (
        "jeffreys", "exact-lower", "jeffreys", "clopper-pearson")
    j = estimate_error_rate(res, r, prior="jeffreys", interval="hdi")
    assert j.prior == "jeffreys" and j.estimate == exact.estimate  # one posterior,
    assert (j.low, j.high) != (exact.low, exact.high)  # two intervals of it
    # the design estimate does not depend on the prior (every stratum has reviews); the
    # interval does
    u = estimate_error_rate(res, r, prior="uniform")
    assert u.estimate == exact.estimate and (u.low, u.high) != (exact.low, exact.high)
    assert v.width > j.width  # erring reviewers tell less (same prior and interval)
    ref = stratified_interval(t["n_items"], t["n_reviewed"], t["n_errors"], prior="jeffreys",
                              interval="hdi")
    assert (j.estimate, j.low, j.high) == (ref.estimate, ref.low, ref.high)
    assert "95% credible interval with a conservative lower end of the share" in exact.describe()
    assert "under Beta(0, 0.5) on each stratum's error rate instead" in exact.describe()
    assert "Beta(0.5, 0.5) (jeffreys) prior" in exact.describe()
    assert "Beta(0.5, 0.5) (jeffreys) prior" in v.describe()
    assert "It assumes the reviewers are right." in exact.describe()
    assert "a correct label flagged with probability 0.05" in v.describe()
    assert "on each stratum's flag rate (the share of its reviewed items the reviewers " \
        "flag" in " ".join(v.describe().split())


def test_reviewer_error_estimate_is_the_corrected_design_estimate():
    # each stratum's share of flags less the false flags, over the share a wrong label
    # keeps (1 - e0 - e1), cut at 0 and 1: 5 of 5 flags reads 1 (not 1.006), 12 of 234
    # (5.1%, about the false-flag rate) reads 0.14%, and a stratum flagged less often
    # than e0 adds nothing
    e0, e1 = 0.05, 0.05 / 9
    s = stratified_interval([13, 179, 1605], [5, 61, 234], [5, 4, 12], reviewer_error=(e0, e1))
    rate = [1.0, (4 / 61 - e0) / (1 - e0 - e1), (12 / 234 - e0) / (1 - e0 - e1)]
    assert s.estimate == pytest.approx(np.dot([13, 179, 1605], rate) / 1797, rel=1e-12)
    assert f"{s.estimate:.2%}" == "1.01%" and s.low <= s.estimate <= s.high
    m = stratified_interval([13, 179, 1605], [5, 61, 234], [5, 4, 12], reviewer_error=(e0, e1),
                            point="mean")
    assert (m.low, m.high) == (s.low, s.high) and f"{m.estimate:.2%}" == "1.69%"
    low = stratified_interval([100, 900], [50, 100], [30, 2], reviewer_error=0.05)
    assert low.estimate == pytest.approx(100 * (0.6 - 0.05) / 0.9 / 1000, rel=1e-12)


def test_reviewer_error_estimate_less_biased_on_nearly_clean_data():
    # 3,000 items, 12 wrong (0.4%): 8 of 60 flagged items, 4 of 2,940 others; reviewers
    # err 5% both ways; 300 seeded plans of 80 items. The posterior mean (the estimate
    # before) sits about 1.4 points above the truth; the corrected design estimate is
    # cut at 0 per stratum, so it stays above too, but by less, and is closer on average
    rng = np.random.default_rng(3)
    N = np.array([60, 2940])
    wrong = [np.arange(60) < 8, np.arange(2940) < 4]
    truth = 12 / 3000
    alloc = [20, 60]
    design, mean = [], []
    for _ in range(300):
        k = []
        for w, a in zip(wrong, alloc, strict=True):
            z = w[rng.choice(len(w), a, replace=False)]
            k.append(int(np.where(z, rng.random(a) >= 0.05, rng.random(a) < 0.05).sum()))
        design.append(stratified_interval(N, alloc, k, reviewer_error=0.05).estimate)
        mean.append(stratified_interval(N, alloc, k, reviewer_error=0.05,
                                        point="mean").estimate)
    design, mean = np.array(design), np.array(mean)
    assert 0 < design.mean() - truth < 0.6 * (mean.mean() - truth)
    assert np.abs(design - truth).mean() < np.abs(mean - truth).mean()


@pytest.mark.parametrize("bad", [-0.01, 0.5, 0.7, float("nan"), "x", True, (0.1,),
                                 (0.1, 0.5), (0.1, 0.2, 0.3)])
def test_reviewer_error_refusals(bad):
    res = fake_result()
    plan = plan_review(res, budget=30)
    r = _reviews(res, plan, set())
    with pytest.raises(InvalidSettingError, match="reviewer_error="):
        estimate_error_rate(res, r, reviewer_error=bad)
    with pytest.raises(InvalidSettingError, match="reviewer_error="):
        stratified_interval([10], [5], [1], reviewer_error=bad)


def test_reviewer_error_refusal_message():
    with pytest.raises(InvalidSettingError) as info:
        stratified_interval([10], [5], [1], reviewer_error=0.5)
    assert str(info.value) == (
        "reviewer_error=0.5: each rate must be in [0, 0.5) (the chance a reviewer errs on an "
        "item; 0 = exact reviewers, 0.5 = coin flips, which tell nothing), not 0.5.")


# ------------------------------------------------------------------------------ CLI

def test_cli_reviewer_error(tmp_path):
    from typer.testing import CliRunner

    from dataqa.audit import AuditResult
    from dataqa.cli import app
    from dataqa.datasets import load_digits_noisy

    runner = CliRunner()
    frame, _ = load_digits_noisy(0.1)
    frame = frame.iloc[:300]
    data = tmp_path / "digits.csv"
    frame.drop(columns=["true_label"]).to_csv(data, index=False)
    out = tmp_path / "audit"
    res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--id-column", "id",
                              "--out", str(out), "--cv", "3", "--no-datalab"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "60"])
    assert res.exit_code == 0, res.output
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    truth = frame.set_index("id")["true_label"]
    truth.index = truth.index.astype(str)
    sheet["verified_label"] = truth.loc[sheet["id"]].to_numpy()
    sheet.to_csv(tmp_path / "reviews.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "reviews.csv"), "--reviewer-error", "0.05,0.01",
                              "--prior", "jeffreys"])
    assert res.exit_code == 0, res.output
    verified = json.loads((out / "verified.json").read_text())
    direct = estimate_error_rate(AuditResult.load(out), sheet[["id", "verified_label"]],
                                 reviewer_error=(0.05, 0.01), prior="jeffreys")
    assert (verified["low"], verified["high"]) == pytest.approx((direct.low, direct.high))
    assert verified["reviewer_error"] == [0.05, 0.01] and verified["prior"] == "jeffreys"
    text = " ".join(res.output.split())
    assert ("reviewers taken to err: a correct label flagged with probability 0.05, a wrong "
            "one confirmed with probability 0.01") in text
    for bad, msg in (("0.5", "each rate must be in [0, 0.5)"),
                     ("abc", "give one rate EPS (e.g. 0.05) or two, E0,E1"),
                     ("0.1,0.1,0.1", "give one rate EPS")):
        res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                                  str(tmp_path / "reviews.csv"), "--reviewer-error", bad])
        assert res.exit_code == 2, res.output
        text = " ".join(res.output.split())
        assert f"--reviewer-error {bad!r}" in text and msg in text
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "reviews.csv"), "--prior", "flat"])
    assert res.exit_code == 2 and "unknown prior 'flat'" in res.output
    # a sheet whose header was retyped: the file is named and --columns suggested
    sheet.rename(columns={"verified_label": "Verified label"}).to_csv(
        tmp_path / "retyped.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "retyped.csv")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "review sheet column 'verified_label' is not in '" in text and "retyped.csv'" in text
    assert "its columns are: id" in text and "--columns (e.g. --columns id,text,verified_label)" in text
    assert "Pass one of these names" not in text
