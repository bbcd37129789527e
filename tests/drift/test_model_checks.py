"""Label shift (BBSE), accuracy estimate, OOD share, prediction shift; interval coverage
checked by seeded simulation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dataqa.drift import (
    adjust_p_values,
    bbse_priors,
    detect_drift,
    drift_windows,
    estimate_accuracy,
    label_shift,
    ood_fraction,
    prediction_drift,
)
from dataqa.errors import InvalidSettingError, LengthMismatchError, UnknownNameError

#: P(predicted i | true j), columns sum to 1
M = np.array([[0.8, 0.1, 0.1],
              [0.15, 0.8, 0.1],
              [0.05, 0.1, 0.8]])


def onehot(pred, k=3, sharp=0.9):
    p = np.full((len(pred), k), (1 - sharp) / (k - 1))
    p[np.arange(len(pred)), pred] = sharp
    return p


def draw(rng, priors, n):
    y = rng.choice(3, n, p=priors)
    pred = np.array([rng.choice(3, p=M[:, j]) for j in y])
    return y, pred


def test_bbse_inverts_the_confusion_matrix_exactly():
    # reference: 100 items per class with predictions matching M exactly
    y = np.repeat([0, 1, 2], 100)
    pred = np.concatenate([np.repeat([0, 1, 2], (M[:, j] * 100).round().astype(int))
                           for j in range(3)])
    pi = np.array([0.5, 0.3, 0.2])
    q = M @ pi  # share of each predicted class in the current data: 0.445, 0.335, 0.22
    cur_pred = np.repeat([0, 1, 2], (q * 1000).round().astype(int))
    assert bbse_priors(onehot(pred), y, onehot(cur_pred)) == pytest.approx(pi, abs=1e-9)


def test_label_shift_interval_covers_true_priors():
    rng = np.random.default_rng(0)
    truth = np.array([0.5, 0.3, 0.2])
    covered = np.zeros(3)
    reps = 60
    err = []
    for i in range(reps):
        y, pred = draw(rng, [1 / 3] * 3, 600)
        _, cur_pred = draw(rng, truth, 400)
        r = label_shift(onehot(pred), y, onehot(cur_pred), n_bootstrap=200, random_state=i)
        covered += (r["low"] <= truth) & (truth <= r["high"])
        err.append(np.abs(r["prior"] - truth).sum())
        assert r["reference_prior"] == pytest.approx(np.bincount(y, minlength=3) / 600)
    # nominal 95%; binomial sd over 60 runs is 0.028
    assert np.all(covered / reps >= 0.85), covered / reps
    assert np.mean(err) < 0.12


def test_a_class_is_marked_moved_at_about_the_nominal_rate_without_shift():
    # the reference's share is a sample's too, and there are 3 classes: marking a class
    # whose current-share interval leaves the reference share out marked some class in
    # 23-27% of such runs; "moved" tests the difference, corrected over the classes
    rng = np.random.default_rng(21)
    priors = np.array([0.5, 0.3, 0.2])
    reps, marked, old = 80, 0, 0
    for i in range(reps):
        y, pred = draw(rng, priors, 1000)
        _, cur_pred = draw(rng, priors, 1000)
        r = label_shift(onehot(pred), y, onehot(cur_pred), n_bootstrap=200, random_state=i)
        marked += r["moved"].any()
        old += (~((r["low"] <= r["reference_prior"]) & (r["reference_prior"] <= r["high"]))).any()
    # nominal 5% (binomial sd over 80 runs 0.024)
    assert marked / reps <= 0.12, (marked / reps, old / reps)
    # a real change of the mix is marked, on the classes that moved (the middle one
    # stays at 30%: marked by chance at most in about 5% / 3 of runs)
    moved = []
    for i in range(5):
        y, pred = draw(rng, priors, 1000)
        _, cur_pred = draw(rng, [0.2, 0.3, 0.5], 400)
        moved.append(label_shift(onehot(pred), y, onehot(cur_pred), n_bootstrap=200,
                                 random_state=i)["moved"])
    moved = np.array(moved)
    assert moved[:, 0].all() and moved[:, 2].all() and moved[:, 1].sum() <= 1
    # two classes: one test, both marked or neither
    y2, p2 = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    p2 = np.where(rng.random(500) < 0.85, y2, p2)
    c2 = np.where(rng.random(300) < 0.7, 1, 0)
    r = label_shift(onehot(p2, 2), y2, onehot(c2, 2), n_bootstrap=200, random_state=0)
    assert r["moved"].tolist() == [True, True]


def test_moved_keeps_its_level_among_many_classes():
    # 20 classes, 150 current rows (about 7 a class): a class seen in 1-3 rows where 7
    # are expected was marked with the spread of its low count (8 of 40 runs marked some
    # class); it is now judged with the spread the reference's predictions expect
    rng = np.random.default_rng(31)
    k, marked = 20, 0

    def sample(n):
        y = rng.integers(0, k, n)
        return y, onehot(np.where(rng.random(n) < 0.8, y, rng.integers(0, k, n)), k)

    for i in range(40):
        y, P = sample(2000)
        _, Q = sample(150)
        marked += label_shift(P, y, Q, n_bootstrap=200, random_state=i)["moved"].any()
    assert marked <= 3, marked


def test_a_class_gone_from_the_current_rows_is_marked_moved():
    # widening the whole spread (the reference's part too) by the null's ratio left a
    # class that no current row is predicted as unmarked, while a few rows of it were
    rng = np.random.default_rng(5)

    def draw_k(priors, n, k):  # predictions right 90% of the time, else another class
        y = rng.choice(k, n, p=priors)
        other = (y + rng.integers(1, k, n)) % k
        return y, np.where(rng.random(n) < 0.9, y, other)

    y, pred = draw_k([0.87, 0.13], 1500, 2)
    for n_spam in (0, 4):
        cur = np.r_[np.zeros(800 - n_spam, int), np.ones(n_spam, int)]
        r = label_shift(onehot(pred, 2), y, onehot(cur, 2), n_bootstrap=300, random_state=0)
        assert r["moved"].tolist() == [True, True], n_spam
    # two classes are one test: both marked or neither, whatever the draw
    for seed in range(30):
        y2, p2 = draw_k([0.9, 0.1], 1500, 2)
        _, c2 = draw_k([0.97, 0.03], 100, 2)
        m = label_shift(onehot(p2, 2), y2, onehot(c2, 2), n_bootstrap=200,
                        random_state=seed)["moved"]
        assert m[0] == m[1], seed
        assert r["high"][1] < 0.02 < 0.1 < r["reference_prior"][1]
    # ten classes, one gone: that one is marked, the others that kept their share not
    y, pred = draw_k([0.1] * 10, 1800, 10)
    _, cur = draw_k([0.0] + [1 / 9] * 9, 900, 10)
    r = label_shift(onehot(pred, 10), y, onehot(cur, 10), n_bootstrap=300, random_state=0)
    assert r["moved"][0] and r["moved"][1:].sum() <= 2


def test_the_null_spread_is_that_of_the_reference_mix():
    from dataqa.drift.model_checks import _null_current_spread, _solve_columns

    # an exact confusion matrix: the estimate is the predicted share, whose variance
    # without a change of the mix is binomial at the reference's predicted share
    pred_ref = np.repeat([0, 1, 2], [500, 300, 200])
    v = _null_current_spread(np.eye(3), pred_ref, 400, 4000, np.random.default_rng(0))
    np.testing.assert_allclose(v, [0.5 * 0.5 / 400, 0.3 * 0.7 / 400, 0.2 * 0.8 / 400],
                               rtol=0.1)
    assert _solve_columns(np.eye(3), np.full((3, 1), 1 / 3))[:, 0].tolist() == [1 / 3] * 3


@pytest.mark.parametrize("n_current", [20, 60])
def test_label_shift_interval_covers_in_a_small_window(n_current):
    # each run draws its own current priors (Dirichlet), so small shares are common; a
    # window of a few dozen rows often has a class predicted for none of its rows
    rng = np.random.default_rng(7)
    reps, hits, widths = 150, [], []
    for i in range(reps):
        truth = rng.dirichlet(np.ones(3))
        y, pred = draw(rng, [1 / 3] * 3, 600)
        _, cur_pred = draw(rng, truth, n_current)
        r = label_shift(onehot(pred), y, onehot(cur_pred), n_bootstrap=200, random_state=i)
        hits.append((r["low"] <= truth) & (truth <= r["high"]))
        widths.append(r["high"] - r["low"])
    # nominal 95% over 450 intervals (binomial sd about 0.010); 0.94 / 0.95 in 400 runs
    assert np.mean(hits) >= 0.91, np.mean(hits)
    assert np.mean(widths) < (0.5 if n_current == 20 else 0.35)


def test_label_shift_intervals_of_two_classes_are_complementary_and_cover():
    # one draw serves both classes: the intervals mirror each other (a class cannot move
    # while the other stays), and each still covers its true share at the nominal rate
    rng = np.random.default_rng(3)
    right = np.array([0.85, 0.8])  # P(predicted = true) per true class

    def draw2(priors, n):
        y = rng.choice(2, n, p=priors)
        return y, np.where(rng.random(n) < right[y], y, 1 - y)

    reps, hits = 150, []
    for i in range(reps):
        truth = rng.dirichlet(np.ones(2))
        y, pred = draw2([0.5, 0.5], 600)
        _, cur_pred = draw2(truth, 30)
        r = label_shift(onehot(pred, 2), y, onehot(cur_pred, 2), n_bootstrap=200,
                        random_state=i)
        assert r["prior"].sum() == pytest.approx(1.0)
        assert r["low"][0] == pytest.approx(1.0 - r["high"][1])
        assert r["high"][0] == pytest.approx(1.0 - r["low"][1])
        hits.append((r["low"] <= truth) & (truth <= r["high"]))
    assert np.mean(hits) >= 0.91, np.mean(hits)  # nominal 95%; binomial sd about 0.013


def sim_binary(rng, n, shift):
    x = rng.normal(shift, 1.0, n)
    p1 = 1 / (1 + np.exp(-2.0 * x))
    y = (rng.uniform(size=n) < p1).astype(int)
    return np.c_[1 - p1, p1], y


@pytest.mark.parametrize("method,shift,margin", [
    ("doc", 0.8, 0.0), ("doc", 0.0, 0.0), ("doc", 0.8, 2.0), ("atc", 0.0, 0.0),
    ("atc", 0.8, 2.0), ("cbpe", 0.8, 0.0), ("cbpe", 0.0, 2.0)])
def test_accuracy_interval_covers_the_realised_accuracy(method, shift, margin):
    # a calibrated model under covariate shift (P(y | x) unchanged) or no shift: the
    # assumptions of "doc" and "cbpe" hold, so their sampling-only interval (margin 0)
    # should cover at the nominal 95%, and the widened one at least that; "atc" without
    # shift too (its threshold does not transfer exactly under this shift: 0.85 at margin
    # 0), and with its default margin under shift
    rng = np.random.default_rng(1)
    reps = 120 if method == "cbpe" else 400  # (the isotonic fit is the slow one)
    hits, errs, widths = 0, [], []
    for i in range(reps):
        ref_p, ref_y = sim_binary(rng, 800, 0.0)
        cur_p, cur_y = sim_binary(rng, 500, shift)
        r = estimate_accuracy(ref_p, ref_y, cur_p, method=method, n_bootstrap=40,
                              shift_margin=margin, random_state=i)
        acc = np.mean(cur_p.argmax(1) == cur_y)
        hits += r["low"] <= acc <= r["high"]
        errs.append(abs(r["estimate"] - acc))
        widths.append(r["high"] - r["low"])
        assert r["reference_accuracy"] == pytest.approx(np.mean(ref_p.argmax(1) == ref_y))
    # nominal 95%; binomial sd 0.02 over 120 runs, 0.011 over 400
    least = 0.88 if reps == 120 else 0.925
    assert least <= hits / reps <= (1.0 if margin else 0.99), hits / reps
    assert np.mean(errs) < 0.03
    # (ATC's error adds the items whose thresholded confidence and outcome disagree:
    # 0.115 at margin 0 here, against 0.10 for "doc")
    assert np.mean(widths) < (0.3 if margin else 0.12), np.mean(widths)


def test_the_shift_margin_widens_by_the_change_in_mean_confidence():
    ref, y, cur = by_hand_data()
    a = estimate_accuracy(ref, y, cur, shift_margin=0.0)
    b = estimate_accuracy(ref, y, cur, shift_margin=2.0)
    # mean largest probability 0.75 on the reference, 0.825 on the current items
    assert b["estimate"] == a["estimate"] == pytest.approx(0.775)
    assert a["low"] - b["low"] == pytest.approx(2 * 0.075)
    # "doc" reference variance: var(correct - confidence) / n, exactly
    d = (ref.argmax(1) == y) - ref.max(1)
    half = stats.norm.ppf(0.975) * np.sqrt(0.775 * 0.225 / 4 + np.var(d, ddof=1) / 10)
    assert a["high"] == pytest.approx(min(1.0, 0.775 + half))
    assert a["low"] == pytest.approx(0.775 - half)
    with pytest.raises(InvalidSettingError, match="shift_margin=-1 must be a number >= 0"):
        estimate_accuracy(ref, y, cur, shift_margin=-1)


def test_a_reference_without_errors_still_gives_a_reference_variance():
    ref = onehot(np.zeros(20, int), k=2, sharp=0.9)
    y = np.zeros(20, int)
    r = estimate_accuracy(ref, y, ref[:10], method="cbpe", n_bootstrap=20, shift_margin=0)
    a = 20.5 / 21  # Jeffreys: (k + 1/2) / (n + 1)
    half = stats.norm.ppf(0.975) * np.sqrt(a * (1 - a) / 20)  # the items' variance is 0
    assert r["estimate"] == pytest.approx(1.0)
    assert r["low"] == pytest.approx(1.0 - half)


def by_hand_data():
    # reference: confidence 0.6 right 3 of 5 times, 0.9 right 4 of 5 (accuracy 0.7, mean
    # confidence 0.75); current: one item at 0.6, three at 0.9 (mean confidence 0.825)
    ref = onehot(np.zeros(10, int), k=2, sharp=0.6)
    ref[5:] = [0.9, 0.1]
    y = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1])
    cur = np.array([[0.6, 0.4], [0.9, 0.1], [0.9, 0.1], [0.1, 0.9]])
    return ref, y, cur


def test_accuracy_estimate_by_hand():
    ref, y, cur = by_hand_data()
    # isotonic g(0.6) = 0.6, g(0.9) = 0.8 -> (0.6 + 3 * 0.8) / 4
    r = estimate_accuracy(ref, y, cur, method="cbpe", n_bootstrap=10)
    assert r["estimate"] == pytest.approx(0.75) and r["method"] == "cbpe"
    assert r["low"] < 0.75 < r["high"] and r["reference_accuracy"] == pytest.approx(0.7)
    # ATC: 70% of the reference must lie above the threshold: all five at 0.9 and a weight
    # 0.4 of the five tied at 0.6; current: 3/4 above, 1/4 tied -> 0.75 + 0.4 * 0.25
    # (for two classes negative entropy orders items as the largest probability does)
    for m in ("atc", "atc_mc"):
        assert estimate_accuracy(ref, y, cur, method=m, n_bootstrap=10)["estimate"] == \
            pytest.approx(0.85)
    # DoC: 0.7 - 0.75 + 0.825
    assert estimate_accuracy(ref, y, cur, method="doc", n_bootstrap=10)["estimate"] == \
        pytest.approx(0.775)
    with pytest.raises(InvalidSettingError, match="confidence=1.0"):
        estimate_accuracy(ref, y, cur, confidence=1.0)
    with pytest.raises(LengthMismatchError, match="ref_probs has 10 rows but ref_labels has 3"):
        estimate_accuracy(ref, y[:3], cur)
    with pytest.raises(InvalidSettingError, match="method='cpbe' is not an accuracy method; "
                                                  "choose one of atc, atc_mc, cbpe, doc, ts"):
        estimate_accuracy(ref, y, cur, method="cpbe")


def test_temperature_scaling_matches_a_brute_force_temperature():
    from scipy.special import logsumexp, softmax

    ref, y, cur = by_hand_data()
    lp = np.log(ref)
    temps = np.exp(np.linspace(-4, 4, 8001))
    nll = [np.mean(logsumexp(lp / t, axis=1) - (lp / t)[np.arange(10), y]) for t in temps]
    t = temps[int(np.argmin(nll))]  # about 1.54
    want = softmax(np.log(cur) / t, axis=1).max(1).mean()
    r = estimate_accuracy(ref, y, cur, method="ts", n_bootstrap=10)
    assert r["estimate"] == pytest.approx(want, abs=1e-4)


def test_atc_uses_negative_entropy_with_three_classes():
    # same largest probability, different entropy: ATC-NE separates them, ATC-MC ties them
    ref = np.array([[0.5, 0.5, 0.0]] * 2 + [[0.5, 0.25, 0.25]] * 2)
    y = np.array([0, 1, 2, 0])  # predictions 0: right, wrong, wrong, right -> accuracy 0.5
    cur = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.25, 0.25]])
    # negative entropy: -0.693 for (0.5, 0.5, 0), -1.040 for (0.5, 0.25, 0.25); threshold at
    # the two highest -> current share above: 3/4. Largest probability: all tied at 0.5 with
    # weight 0.5 -> 0.5
    assert estimate_accuracy(ref, y, cur, method="atc", n_bootstrap=5)["estimate"] == \
        pytest.approx(0.75)
    assert estimate_accuracy(ref, y, cur, method="atc_mc", n_bootstrap=5)["estimate"] == \
        pytest.approx(0.5)


def test_ood_fraction_by_hand():
    ref = np.arange(100, dtype=float)  # 96% at or below 95 ("higher" quantile), 4% above
    r = ood_fraction(ref, np.array([10.0, 95.0, 96.0, 200.0]))
    # the one reference item on 95 counts fully, so the reference's own share is 5%
    assert r["threshold"] == 95.0 and r["tie_weight"] == pytest.approx(1.0)
    assert r["fraction"] == pytest.approx((2 + 1) / 4)
    assert ood_fraction(ref, ref)["fraction"] == pytest.approx(0.05)
    assert r["expected"] == pytest.approx(0.05)


def test_ood_fraction_shares_ties_on_the_threshold():
    # discrete scores: 80 items at 0, 20 at 1 (threshold 1, every item at or below it)
    ref = np.r_[np.zeros(80), np.ones(20)]
    r = ood_fraction(ref, np.r_[np.zeros(5), np.ones(5), [2.0]])
    # 5% of the reference must count: the 20 tied items get weight 0.05 / 0.2 = 1/4
    assert r["threshold"] == 1.0 and r["tie_weight"] == pytest.approx(0.25)
    assert r["fraction"] == pytest.approx((1 + 0.25 * 5) / 11)
    assert ood_fraction(ref, ref)["fraction"] == pytest.approx(0.05)
    # a reference all on one value: no item above it ever counts fully
    flat = ood_fraction(np.ones(50), np.r_[np.ones(10), [3.0] * 10])
    assert flat["tie_weight"] == pytest.approx(0.05)
    assert flat["fraction"] == pytest.approx((10 + 0.05 * 10) / 20)


def test_prediction_drift_is_ks_per_class_corrected():
    rng = np.random.default_rng(2)
    a = rng.dirichlet([2, 2, 2], 80)
    b = rng.dirichlet([4, 2, 1], 70)
    out = prediction_drift(a, b, class_names=["x", "y", "z"])
    p = [stats.ks_2samp(a[:, j], b[:, j]).pvalue for j in range(3)]
    assert out["class"].tolist() == ["x", "y", "z"]
    assert out["p_value"].to_numpy() == pytest.approx(p)
    assert out["p_adjusted"].to_numpy() == pytest.approx(adjust_p_values(p, "fdr"))


def test_detect_drift_with_labels_estimates_the_class_mix():
    rng = np.random.default_rng(3)

    def data(n, priors):
        y = rng.choice(3, n, p=priors)
        X = rng.normal(size=(n, 2)) + np.array([[0, 0], [2.5, 0], [0, 2.5]])[y]
        return pd.DataFrame({"f1": X[:, 0], "f2": X[:, 1], "label": np.array(["a", "b", "c"])[y]})
    ref = data(900, [1 / 3] * 3)
    cur = data(600, [0.6, 0.3, 0.1])
    shares = cur["label"].value_counts(normalize=True)[list("abc")].to_numpy()
    r = detect_drift(ref, cur.drop(columns="label"), label_column="label", n_permutations=49)
    est = np.array([r.label_shift[c]["prior"] for c in "abc"])
    # against the sample's own class shares (the nominal 0.6/0.3/0.1 differ from them
    # by sampling error, about 0.02 per class)
    assert np.abs(est - shares).sum() < 0.1, (est, shares)
    for c in "abc":
        assert r.label_shift[c]["low"] <= r.label_shift[c]["prior"] <= r.label_shift[c]["high"]
    a = r.estimated_accuracy
    assert a["low"] <= a["estimate"] <= a["high"] and 0.7 < a["estimate"] < 1.0
    assert 0 <= r.ood["fraction"] <= 0.2
    assert r.prediction_drift["class"].tolist() == ["a", "b", "c"]
    assert r.prediction_drift["drifted"].any()  # the class mix moved the predictions
    q = r.label_queue(top=5)
    assert q["prediction"].isin(["a", "b", "c"]).all() and q["uncertainty"].notna().all()


def test_a_fitted_model_without_labels_gives_prediction_shift_and_ood_share(tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(pd.DataFrame(X, columns=["f1", "f2"]), y)
    ref = pd.DataFrame(rng.normal(size=(200, 2)), columns=["f1", "f2"])
    cur = pd.DataFrame(rng.normal(size=(150, 2)) + [1.5, 0.0], columns=["f1", "f2"])
    r = detect_drift(ref, cur, model=model, multivariate=())
    assert r.label_shift is None and r.estimated_accuracy is None
    p = [stats.ks_2samp(model.predict_proba(ref)[:, j], model.predict_proba(cur)[:, j]).pvalue
         for j in range(2)]
    assert r.prediction_drift["p_value"].to_numpy() == pytest.approx(p)
    assert r.prediction_drift["drifted"].all()
    assert r.label_queue(top=3)["uncertainty"].notna().all()
    assert "Model checks" in r.to_html(tmp_path / "r.html").read_text()
    with pytest.raises(InvalidSettingError, match="model.predict_proba failed on the reference "
                                                  "table's columns \\(f1\\)"):
        detect_drift(ref[["f1"]], cur[["f1"]], model=model, multivariate=())


def test_reference_probs_are_out_of_sample_and_each_current_row_scored_by_one_fold_model():
    from types import SimpleNamespace

    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from dataqa.audit.pred_probs import default_model, out_of_sample_pred_probs
    from dataqa.drift.model_checks import _run_model_checks
    from dataqa.drift.multivariate import DriftFeatures

    rng = np.random.default_rng(5)
    Xr, Xc = rng.normal(size=(120, 3)), rng.normal(size=(43, 3))
    y = (Xr[:, 0] + rng.normal(size=120) > 0).astype(int)
    res = SimpleNamespace()
    _run_model_checks(res, DriftFeatures(Xr, Xc, ["a", "b", "c"]), y, ["n", "p"], random_state=3)
    oof = out_of_sample_pred_probs(Xr, y, model=default_model("numeric"), random_state=3,
                                   progress=False)
    assert res.reference_probs == pytest.approx(oof)
    splits = StratifiedKFold(5, shuffle=True, random_state=3).split(Xr, y)
    per_fold = np.array([clone(default_model("numeric")).fit(Xr[tr], y[tr]).predict_proba(Xc)
                         for tr, _ in splits])
    # each current row equals exactly one fold model's probabilities, the folds taking
    # 9 or 8 of the 43 rows each (three 9s, two 8s)
    hits = np.array([[np.allclose(res.current_probs[i], per_fold[f, i]) for f in range(5)]
                     for i in range(43)])
    owner = hits.argmax(1)
    assert hits.any(1).all()
    assert sorted(np.bincount(owner, minlength=5).tolist()) == [8, 8, 9, 9, 9]
    # seeded: the same rows go to the same folds again
    again = SimpleNamespace()
    _run_model_checks(again, DriftFeatures(Xr, Xc, ["a", "b", "c"]), y, ["n", "p"],
                      random_state=3)
    assert again.current_probs == pytest.approx(res.current_probs)


def test_unshifted_current_rows_look_like_the_reference_to_a_knn_model():
    # the mean of five k-NN fold models is smoother than one out-of-fold model: it put
    # about 22% of unshifted rows above the 95% OOD threshold and read the accuracy low;
    # scoring each row by one fold model keeps both tables alike
    from types import SimpleNamespace

    from sklearn.neighbors import KNeighborsClassifier

    from dataqa.drift.model_checks import _run_model_checks
    from dataqa.drift.multivariate import DriftFeatures

    ood, bias = [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(1300, 10))
        y = (X[:, 0] + X[:, 1] + rng.normal(size=1300) > 0).astype(int)
        res = SimpleNamespace()
        _run_model_checks(res, DriftFeatures(X[:300], X[300:], [f"f{j}" for j in range(10)]),
                          y[:300], ["a", "b"], model=KNeighborsClassifier(5),
                          random_state=seed)
        ood.append(res.ood["fraction"])
        acc = np.mean(res.current_probs.argmax(1) == y[300:])
        bias.append(res.estimated_accuracy["estimate"] - acc)
    assert 0.02 < np.mean(ood) < 0.09, ood
    assert abs(np.mean(bias)) < 0.02, bias


def test_prediction_shift_keeps_its_level_without_shift_for_a_knn_model():
    # with the mean of the five fold models on the current rows, k-NN's smoother current
    # probabilities made the prediction-shift test alarm in 47% of these unshifted runs
    from types import SimpleNamespace

    from sklearn.neighbors import KNeighborsClassifier

    from dataqa.drift.model_checks import _run_model_checks
    from dataqa.drift.multivariate import DriftFeatures

    hits, reps = 0, 60
    for seed in range(reps):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(1000, 5))
        y = (X[:, 0] + rng.normal(size=1000) > 0).astype(int)
        res = SimpleNamespace()
        _run_model_checks(res, DriftFeatures(X[:500], X[500:], list("abcde")), y[:500],
                          ["a", "b"], model=KNeighborsClassifier(15), random_state=seed)
        hits += res.prediction_drift["p_adjusted"].min() <= 0.05
    # nominal 0.05; binomial sd over 60 runs 0.028
    assert hits / reps <= 0.12, hits / reps


def test_ood_fraction_treats_scores_equal_up_to_rounding_as_ties():
    # the same probabilities in another class order give MSP scores one ulp apart
    from dataqa.ood import logits_from_probs, msp_score

    ref = np.r_[np.tile([9, 4, 2], (90, 1)), np.tile([6, 5, 4], (10, 1))] / 15
    for order in ([0, 1, 2], [2, 1, 0], [1, 0, 2]):
        cur = np.r_[ref[:90], ref[90:][:, order]]
        r = ood_fraction(msp_score(logits_from_probs(ref)), msp_score(logits_from_probs(cur)))
        assert r["fraction"] == pytest.approx(0.05), order


def test_text_model_checks_fit_their_features_on_the_reference_alone():
    # the reference's out-of-fold probabilities are the same whatever the current texts
    # hold: TF-IDF (vocabulary, IDF) and SVD of the model checks see the reference only
    rng = np.random.default_rng(8)
    spam = ["win a free prize now", "free cash offer today", "claim your prize call now",
            "urgent cash reward waiting"]
    ham = ["see you at lunch", "are we still meeting", "call me when you land",
           "dinner at eight tonight"]
    texts = [rng.choice(spam if i % 2 else ham) + f" {i % 7}" for i in range(120)]
    ref = pd.DataFrame({"text": texts, "label": ["spam" if i % 2 else "ham" for i in range(120)]})
    cur_a = pd.DataFrame({"text": [rng.choice(spam + ham) for _ in range(60)]})
    cur_b = pd.DataFrame({"text": ["zebra quantum " + rng.choice(spam + ham) + " xylophone"
                                   for _ in range(60)]})
    ra = detect_drift(ref, cur_a, label_column="label", text_column="text", multivariate=())
    rb = detect_drift(ref, cur_b, label_column="label", text_column="text", multivariate=())
    np.testing.assert_array_equal(ra.reference_probs, rb.reference_probs)
    # words the reference never held are ignored: a current text scores as its known part
    rc = detect_drift(ref, pd.DataFrame({"text": ["win a free prize now zebra"] * 20}),
                      label_column="label", text_column="text", multivariate=())
    assert (rc.current_probs[:, 1] > 0.5).all()  # read as spam



def test_text_features_are_fitted_per_fold_on_its_training_rows():
    from dataqa.drift.model_checks import _FoldInputs
    from dataqa.drift.multivariate import DriftFeatures

    ref = np.array(["free prize now", "see you at lunch", "free cash now", "lunch at noon",
                    "zebra quantum"], dtype=object)
    cur = np.array(["free lunch", "qqq jjj"], dtype=object)
    empty = DriftFeatures(np.zeros((5, 0)), np.zeros((2, 0)), [])
    inputs = _FoldInputs(empty, {"t": (ref, cur)})
    assert inputs.kind == "tfidf"
    Xtr, Xte, Xcur = inputs.fold(np.arange(4), np.array([4]), np.array([0, 1]))
    # the held-out row's words, like the current row's, are unknown to the fold
    assert Xtr.shape[1] == Xte.shape[1] == Xcur.shape[1]
    assert Xte[0].nnz == 0 and Xcur[1].nnz == 0 < Xcur[0].nnz
    # beside a numeric column: that column as the drift features have it, then the
    # standardised SVD components of the fold's TF-IDF
    num = DriftFeatures(np.c_[np.arange(5.0), np.zeros((5, 2))], np.c_[[9.0, 8.0], np.zeros((2, 2))],
                        ["n", "t", "t"], text_blocks={"t": slice(1, 3)})
    mixed = _FoldInputs(num, {"t": (ref, cur)}, n_components=2)
    assert mixed.kind == "numeric"
    Xtr, Xte, Xcur = mixed.fold(np.arange(4), np.array([4]), np.array([0, 1]))
    assert Xtr.shape == (4, 3) and Xte.shape == (1, 3) and Xcur.shape == (2, 3)
    np.testing.assert_array_equal(Xcur[:, 0], [9.0, 8.0])
    np.testing.assert_allclose(Xtr[:, 1:].mean(axis=0), 0, atol=1e-12)
    # no current row dealt to this fold
    Xtr, Xte, Xcur = inputs.fold(np.arange(4), np.array([4]), np.array([], dtype=np.int64))
    assert Xcur.shape == (0, Xtr.shape[1])
    Xtr, Xte, Xcur = mixed.fold(np.arange(4), np.array([4]), np.array([], dtype=np.int64))
    assert Xcur.shape == (0, 3)
    # a fold whose training texts are all blank: no text features, one zero column
    blank = _FoldInputs(empty, {"t": (np.array(["", " ", "", "", "x y"], dtype=object), cur)})
    Xtr, Xte, Xcur = blank.fold(np.arange(4), np.array([4]), np.array([0]))
    assert Xtr.shape == (4, 1) and Xte.shape == (1, 1) and Xcur.shape == (1, 1)
    assert not Xtr.any() and not Xcur.any()


def test_fold_text_features_from_counts_read_once_are_a_fold_fitted_vectorizer_s():
    # each fold's TF-IDF comes from the texts' counts, read once (build_features hands
    # them over): the same features as a vectorizer fitted on the fold's training texts
    from dataqa.drift.model_checks import _FoldInputs
    from dataqa.drift.multivariate import build_features
    from dataqa.features import TfidfFeaturizer

    rng = np.random.default_rng(3)
    words = ["free", "win", "cash", "lunch", "see", "you", "now", "£5", "Call!", "ok"]
    ref = pd.DataFrame({"t": [" ".join(rng.choice(words, 4)) for _ in range(60)]})
    cur = pd.DataFrame({"t": [" ".join(rng.choice(words, 3)) + " new" for _ in range(30)]})
    counted: dict = {}
    feats = build_features(ref, cur, {"t": "text"}, counted=counted)
    assert set(counted) == {"t"} and counted["t"].n == 90
    texts = {"t": (ref["t"].to_numpy(object), cur["t"].to_numpy(object))}
    handed = _FoldInputs(feats, texts, counted=counted)
    own = _FoldInputs(feats, texts)  # (counts its texts itself)
    train, test, dealt = np.arange(10, 60), np.arange(10), np.array([2, 5, 29])
    f = TfidfFeaturizer().fit(texts["t"][0][train])
    want = [f.transform(texts["t"][0][train]), f.transform(texts["t"][0][test]),
            f.transform(texts["t"][1][dealt])]
    for inputs in (handed, own):
        got = inputs.fold(train, test, dealt)
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape and abs(g - w).max() < 1e-12


def test_model_checks_of_a_table_with_text_and_numbers_do_not_depend_on_the_current_texts():
    rng = np.random.default_rng(9)
    words = {0: ["see you at lunch", "dinner tonight"], 1: ["free prize now", "claim cash"]}
    y = rng.integers(0, 2, 150)
    ref = pd.DataFrame({"text": [rng.choice(words[int(v)]) for v in y],
                        "amount": rng.normal(size=150) + y, "label": y})
    cur = ref.drop(columns="label").iloc[:60].copy()
    other = cur.assign(text=["zebra " + t for t in cur["text"]])
    ra = detect_drift(ref, cur, label_column="label", text_column="text", multivariate=())
    rb = detect_drift(ref, other, label_column="label", text_column="text", multivariate=())
    np.testing.assert_array_equal(ra.reference_probs, rb.reference_probs)
    # the current rows are reference rows: scored as well as the reference's own
    assert np.mean(ra.current_probs.argmax(1) == y[:60]) > 0.9


def test_model_checks_do_not_depend_on_where_the_current_table_misses_values():
    # a missing-value indicator only the current table sets is constant on the reference:
    # left out of the model's features, even a random forest's probabilities stay put
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(10)
    X = rng.normal(size=(200, 3))
    ref = pd.DataFrame(X[:120], columns=list("abc")).assign(label=(X[:120, 0] > 0).astype(int))
    cur = pd.DataFrame(X[120:], columns=list("abc"))
    holes = cur.copy()
    holes.loc[holes.index[:10], "b"] = np.nan
    forest = RandomForestClassifier(n_estimators=20, max_features=1, random_state=0)
    ra = detect_drift(ref, cur, label_column="label", model=forest, multivariate=())
    rb = detect_drift(ref, holes, label_column="label", model=forest, multivariate=())
    np.testing.assert_array_equal(ra.reference_probs, rb.reference_probs)


def test_a_reference_text_column_that_is_nearly_empty_still_gives_model_checks():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 100)
    note = np.full(100, None, dtype=object)
    note[:2] = ["call back", "urgent"]
    ref = pd.DataFrame({"amount": rng.normal(size=100) + 4 * y, "note": note, "label": y})
    cur = ref.drop(columns="label").iloc[:40]
    for seed in range(6):  # whichever fold the two texts land in
        r = detect_drift(ref, cur, label_column="label", text_column="note", multivariate=(),
                         random_state=seed)
        assert np.mean(r.current_probs.argmax(1) == y[:40]) > 0.85


def test_sentence_embeddings_as_text_features():
    from dataqa.drift.model_checks import _FoldInputs
    from dataqa.drift.multivariate import CachedEmbedder, DriftFeatures, build_features

    calls = []

    def fake(texts, **kw):  # a fixed "model": a text's vector depends on the text alone
        calls.append(list(texts))
        return np.array([[len(t), t.count("e"), t.count(" ")] for t in texts], dtype=np.float32)

    embed = CachedEmbedder()
    import dataqa.features as features

    real = features.sentence_embeddings
    features.sentence_embeddings = fake
    try:
        ref = pd.DataFrame({"t": ["free prize", "see you", "free cash now", "lunch", "ok"] * 4})
        cur = pd.DataFrame({"t": ["free prize", "zebra"] * 5})
        f = build_features(ref, cur, {"t": "text"}, text_features="embedding", embed=embed)
        assert f.embeddings["t"].shape == (30, 3)
        assert f.reference.shape[1] == 2  # SVD components: at most d - 1
        # each distinct text embedded once, however often it occurs or is asked for
        build_features(ref, cur, {"t": "text"}, text_features="embedding", embed=embed)
        assert sorted(sum(calls, [])) == sorted({*ref["t"], *cur["t"]})
    finally:
        features.sentence_embeddings = real
    # the model checks use the embeddings as they are, per fold
    E = f.embeddings["t"]
    inputs = _FoldInputs(DriftFeatures(f.reference[:, :0], f.current[:, :0], []),
                         {"t": (E[:20], E[20:])}, text_features="embedding")
    assert inputs.kind == "embedding"
    Xtr, Xte, Xc = inputs.fold(np.arange(15), np.arange(15, 20), np.array([0, 3]))
    np.testing.assert_array_equal(Xc, E[20:][[0, 3]])
    np.testing.assert_array_equal(Xte, E[15:20])
    with pytest.raises(InvalidSettingError, match="text_features='bert' is not known; use "
                                                  "tfidf or embedding"):
        detect_drift(ref, cur, text_column="t", text_features="bert")


def test_detect_drift_with_sentence_embeddings_end_to_end():
    rng = np.random.default_rng(12)
    ham = ["see you at lunch", "are we still on for dinner", "call me when you land",
           "running late, sorry", "happy birthday!", "thanks for today"]
    spam = ["win a free prize now", "claim your cash reward", "urgent: your account won",
            "free entry, text WIN", "you have been selected for a prize"]
    y = rng.integers(0, 2, 80)
    ref = pd.DataFrame({"text": [rng.choice(spam if v else ham) for v in y], "label": y})
    cur = pd.DataFrame({"text": [rng.choice(spam) for _ in range(40)]})
    r = detect_drift(ref, cur, label_column="label", text_column="text",
                     text_features="embedding", n_permutations=99)
    assert r.settings["text_features"] == "embedding"
    assert r.multivariate["mmd"]["p_value"] <= 0.05
    assert np.mean(r.reference_probs.argmax(1) == y) > 0.95  # embeddings separate the two
    assert r.label_shift["1"]["prior"] > 0.8
    other = detect_drift(ref, cur.assign(text="zebra " + cur["text"]), label_column="label",
                         text_column="text", text_features="embedding", n_permutations=99)
    np.testing.assert_array_equal(other.reference_probs, r.reference_probs)


def test_a_model_that_cannot_take_the_feature_matrix_is_named():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(41)
    ref = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    ref["y"] = (ref["a"] > 0).astype(int)
    pipe = make_pipeline(ColumnTransformer([("s", StandardScaler(), ["a", "b"])]),
                         LogisticRegression())
    with pytest.raises(InvalidSettingError, match="model Pipeline could not be fitted on the "
                                                  "reference's features \\(ValueError: .*With "
                                                  "--label-column \\(API: label_column\\) the model is refitted, once per fold"):
        detect_drift(ref, ref.drop(columns="y"), label_column="y", model=pipe,
                     multivariate=())


def _ood_tables(rng, n=300, far=0.0):
    def part(n, far):
        y = rng.integers(0, 2, n)
        X = rng.normal(size=(n, 3)) + 1.5 * y[:, None]
        X[: n // 2, 2] += far  # half the rows far out along a feature the classes share
        return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    return part(n, 0.0), part(n, far).drop(columns="y")


@pytest.mark.parametrize("score", ["msp", "entropy", "knn", "mahalanobis"])
def test_every_ood_score_reads_about_5_percent_without_shift(score):
    rng = np.random.default_rng(51)
    shares = []
    for i in range(8):
        ref, cur = _ood_tables(rng)
        r = detect_drift(ref, cur, label_column="y", ood_score=score, multivariate=(),
                         random_state=i)
        assert r.ood["score"] == score and r.settings["ood_score"] == score
        assert r.reference_ood_scores.shape == (300,) and r.current_ood_scores.shape == (300,)
        shares.append(r.ood["fraction"])
    # 8 x 300 current rows; without shift the share's mean is 5% (sd about 0.006 here)
    assert 0.025 <= np.mean(shares) <= 0.08, shares


def test_distance_scores_see_rows_far_from_the_reference():
    rng = np.random.default_rng(52)
    ref, cur = _ood_tables(rng, far=8.0)
    far = {s: detect_drift(ref, cur, label_column="y", ood_score=s, multivariate=()).ood
           for s in ("knn", "mahalanobis")}
    # half the current rows lie 8 sd out: both distance scores put them above threshold
    assert far["knn"]["fraction"] > 0.45 and far["mahalanobis"]["fraction"] > 0.45


def test_ood_score_errors_and_a_fitted_model_with_knn(tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(53)
    ref, cur = _ood_tables(rng, far=8.0)
    with pytest.raises(InvalidSettingError, match="ood_score='odin'\\) needs the model's internals"):
        detect_drift(ref, cur, label_column="y", ood_score="odin")
    with pytest.raises(InvalidSettingError, match="'energy'\\) needs the model's raw logits"):
        detect_drift(ref, cur, label_column="y", ood_score="energy")
    with pytest.raises(UnknownNameError, match=r"--ood-score lof \(API: ood_score='lof'\) is not "
                                               r"known; use one of entropy, knn, mahalanobis, msp\.$"):
        detect_drift(ref, cur, label_column="y", ood_score="lof")
    fitted = LogisticRegression().fit(ref[["a", "b", "c"]], ref["y"])
    with pytest.raises(InvalidSettingError, match="'mahalanobis'\\) needs the reference's labels"):
        detect_drift(ref.drop(columns="y"), cur, model=fitted, ood_score="mahalanobis")
    with pytest.raises(UnknownNameError, match="--ood-score lof .* is not known"):
        detect_drift(ref.drop(columns="y"), cur, ood_score="lof")  # checked even unused
    # a reference too small for class means in every fold: named, with what to use
    tiny = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) % 3, "y": np.arange(10) % 5})
    with pytest.raises(InvalidSettingError, match="ood_score='mahalanobis'\\) cannot be fitted "
                                                  "on a fold of this reference.*Use --ood-score "
                                                  "knn \\(API: ood_score='knn'\\), which needs "
                                                  "no classes"):
        detect_drift(tiny, tiny.drop(columns="y"), label_column="y", ood_score="mahalanobis",
                     multivariate=())
    r = detect_drift(ref.drop(columns="y"), cur, model=fitted, ood_score="knn", multivariate=())
    assert r.ood["score"] == "knn" and r.ood["fraction"] > 0.45
    assert "(knn score)" in r.to_html(tmp_path / "r.html").read_text()


def test_windows_use_the_chosen_ood_score():
    rng = np.random.default_rng(54)
    ref, cur = _ood_tables(rng, n=400, far=8.0)
    cur = cur.sample(frac=1.0, random_state=0).reset_index(drop=True)
    m = drift_windows(ref, cur, chunk_size=200, label_column="y", ood_score="mahalanobis",
                      multivariate=(), n_permutations=19)
    assert m.ood["score"] == "mahalanobis" and (m.windows["ood_fraction"] > 0.3).all()
    r = drift_windows(ref, cur, chunk_size=100, label_column="y", ood_score="knn",
                      multivariate=(), n_permutations=19)
    for i, (_, row) in enumerate(r.windows.iterrows()):
        idx = np.arange(i * 100, (i + 1) * 100)
        want = ood_fraction(r.reference_ood_scores, r.current_ood_scores[idx])["fraction"]
        assert row["ood_fraction"] == pytest.approx(want)
    assert (r.windows["ood_fraction"] > 0.3).all()


def test_drift_without_labels_does_not_import_torch():
    # checking the OOD score's name used to import dataqa.ood and with it torch: seconds
    # of start-up for every run, windows included
    import subprocess
    import sys

    code = ("import sys, numpy as np, pandas as pd\n"
            "from dataqa.drift import detect_drift\n"
            "rng = np.random.default_rng(0)\n"
            "r = pd.DataFrame({'a': rng.normal(size=60), 'b': rng.choice(list('xy'), 60)})\n"
            "detect_drift(r, r.sample(frac=1, random_state=1), progress=False)\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_the_scores_drift_refuses_by_name_are_dataqa_oods_other_built_ins():
    # checking a name does not import dataqa.ood (torch); the names it knows without it
    # must be every built-in score the drift checks cannot compute
    import subprocess
    import sys

    from dataqa.drift.model_checks import _BUILTIN_INTERNAL_SCORES, DRIFT_OOD_SCORES

    out = subprocess.run([sys.executable, "-c", "from dataqa.ood import ood_method_names; "
                          "print(' '.join(sorted(ood_method_names())))"],
                         capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) == set(_BUILTIN_INTERNAL_SCORES) | set(DRIFT_OOD_SCORES)


def test_the_report_says_when_label_shift_cannot_be_read(tmp_path):
    rng = np.random.default_rng(8)

    def table(n, signal):
        x = rng.normal(size=n)
        y = np.where(x + rng.normal(scale=0.3, size=n) > 0, "a", "b") if signal else \
            rng.choice(["a", "b"], size=n, p=[0.7, 0.3])
        return pd.DataFrame({"x": x, "z": rng.normal(size=n), "label": y})

    for signal in (False, True):
        ref, cur = table(300, signal), table(200, signal).drop(columns="label")
        r = detect_drift(ref, cur, label_column="label", multivariate=())
        html = r.to_html(tmp_path / f"r{signal}.html").read_text()
        assert "assume that only the class mix changed" in html
        acc = r.estimated_accuracy["reference_accuracy"]
        majority = max(v["reference_prior"] for v in r.label_shift.values())
        assert (acc <= majority) is (not signal), (acc, majority)
        assert ("the class mix and accuracy say nothing" in html) is (not signal)


def test_label_shift_interval_of_a_common_class_among_many():
    # 20 classes, 30 current rows, a perfect model: 24 rows of class 0. One Dirichlet
    # (counts + 1/2) over all classes would add 10 rows spread evenly and put the
    # interval below the estimate; each class's own Jeffreys draw does not
    k = 20
    y = np.repeat(np.arange(k), 100)
    cur = np.r_[np.zeros(24, dtype=int), np.arange(1, 7)]
    r = label_shift(np.eye(k)[y], y, np.eye(k)[cur], n_bootstrap=300, random_state=0)
    assert r["prior"][0] == pytest.approx(0.8)
    assert r["low"][0] < 0.8 < r["high"][0] and 0.55 < r["low"][0] and r["high"][0] > 0.9
    assert r["low"][7] < 0.001 and 0.02 < r["high"][7] < 0.15  # a class no row has
    # coverage with 10 classes, a common one at 0.6 and 30 rows (no shift)
    rng = np.random.default_rng(3)
    k, reps, hits = 10, 80, []
    truth = np.r_[0.6, np.full(k - 1, 0.4 / (k - 1))]
    for i in range(reps):
        def pred(lab):
            wrong = rng.random(len(lab)) > 0.85
            out = lab.copy()
            out[wrong] = rng.integers(0, k, wrong.sum())
            return out
        y = rng.choice(k, 2000, p=truth)
        yc = rng.choice(k, 30, p=truth)
        r = label_shift(np.eye(k)[pred(y)], y, np.eye(k)[pred(yc)], n_bootstrap=100,
                        random_state=i)
        hits.append((r["low"] <= truth) & (truth <= r["high"]))
    hits = np.array(hits)
    # nominal 95%; in 150 runs 0.97 over the classes, 0.93 for the worst one
    assert hits.mean() >= 0.9 and hits[:, 0].mean() >= 0.85, hits.mean(axis=0)
    # 30 classes take the class-wise draws too: the common class keeps its interval
    k = 30
    y = np.repeat(np.arange(k), 60)
    cur = np.r_[np.zeros(24, dtype=int), np.arange(1, 7)]
    r = label_shift(np.eye(k)[y], y, np.eye(k)[cur], n_bootstrap=200, random_state=0)
    assert r["low"][0] < 0.8 < r["high"][0] and 0.55 < r["low"][0]


@pytest.mark.parametrize("k", [3, 25, 60])
def test_label_shift_takes_any_random_state_and_refuses_no_rows(k):
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, 600)
    P, Q = np.eye(k)[y], np.eye(k)[rng.integers(0, k, 80)]
    for rs in (0, np.random.RandomState(0), np.random.Generator(np.random.MT19937(1))):
        r = label_shift(P, y, Q, n_bootstrap=40, random_state=rs)
        assert np.all(r["low"] <= r["high"]) and np.isfinite(r["high"]).all()
        if k == 3:  # (above 50 classes one Dirichlet draw can lift a 0 estimate's interval)
            assert np.all(r["low"] <= r["prior"] + 1e-12)
            assert np.all(r["prior"] <= r["high"] + 1e-12)
    a = label_shift(P, y, Q, n_bootstrap=40, random_state=5)
    b = label_shift(P, y, Q, n_bootstrap=40, random_state=5)
    assert np.array_equal(a["low"], b["low"]) and np.array_equal(a["high"], b["high"])
    with pytest.raises(InvalidSettingError, match="cur_probs has no rows"):
        label_shift(P, y, Q[:0])


def test_a_class_mix_pinned_at_its_edge_is_said_not_to_be_an_estimate(tmp_path):
    # older people, the same P(y | x): covariate shift puts the predicted-class mix
    # outside every mix of the reference's classes; BBSE then reads 1 [1, 1] for a class
    # whose true share is about 0.75
    rng = np.random.default_rng(3)

    def table(n, age):
        a = np.clip(rng.normal(age, 12, n), 18, 90).round()
        inc = rng.lognormal(10, 0.5, n)
        y = rng.random(n) < 1 / (1 + np.exp(-((a - 45) / 8 + np.log(inc / 22000))))
        return pd.DataFrame({"age": a, "income": inc.round(2), "label": y.astype(int)})

    ref, cur = table(1500, 45), table(600, 58)
    truth = cur.pop("label").mean()
    r = detect_drift(ref, cur, label_column="label", progress=False)
    assert 0.6 < truth < 0.9
    one = r.label_shift["1"]
    assert one["prior"] == one["low"] == one["high"] == 1.0
    from dataqa.drift.report import model_check_notes

    notes = model_check_notes(r)
    assert r.model_notes() == notes  # the API says it as the command line does
    assert any(n.startswith("the whole-table tests (") for n in notes)
    assert ("the class mix sits at its edge ('1': 1, interval included): the current "
            "predictions fit no mix of the reference's classes") in " ".join(notes)
    html = " ".join(r.to_html(tmp_path / "r.html").read_text().split())
    assert "Note: the class mix sits at its edge" in html
    assert "assume the model errs on these rows as on the reference" in html
    # without shift: no such note
    same = detect_drift(ref, table(600, 45).drop(columns="label"), label_column="label",
                        progress=False)
    assert not model_check_notes(same)


def test_the_report_marks_a_moved_class_share_as_the_command_line_does(tmp_path):
    import html

    from dataqa.drift import detect_drift

    rng = np.random.default_rng(3)

    def table(n, spam_share):
        y = np.where(rng.random(n) < spam_share, "spam", "ham")
        x = np.where(y == "spam", 2.0, -2.0) + rng.normal(size=n)
        return pd.DataFrame({"x": x, "z": rng.normal(size=n), "label": y})

    res = detect_drift(table(400, 0.2), table(300, 0.7).drop(columns="label"),
                       label_column="label", n_permutations=19, progress=False)
    spam = res.label_shift["spam"]
    assert spam["moved"] and not spam["low"] <= spam["reference_prior"] <= spam["high"]
    page = html.unescape(res.to_html(tmp_path / "r.html").read_text())
    assert "moved: * where the class's share differs from the reference's beyond chance" in page
    table_html = page.split("moved: * where")[1].split("</table>")[0]
    assert "<th class=\"cell words\">estimated share</th>" in table_html
    row = [r for r in table_html.split("<tr>") if ">spam<" in r][0]
    assert row.endswith('<td class="cell words">*</td></tr></tbody>')


def test_a_class_the_model_never_predicts_is_named_under_the_class_mix():
    from dataqa.drift.report import model_check_notes, never_predicted

    rng = np.random.default_rng(12)

    def table(n, p):
        y = rng.random(n) < p
        return pd.DataFrame({"a": rng.normal(np.where(y, 1.5, -1.5)), "b": rng.normal(size=n),
                             "label": np.where(y, "spam", "ham")})

    ref, cur = table(400, 0.2), table(400, 0.3).drop(columns="label")
    ref.loc[[3, 7], "label"] = "promo"  # two rows of a third class, like the others
    r = detect_drift(ref, cur, label_column="label", progress=False, multivariate=())
    found = never_predicted(r)
    assert [f[:2] for f in found] == [("promo", 2)] and found[0][2] in ("ham", "spam")
    said = " ".join(model_check_notes(r))
    assert re.search(r"class 'promo' \(2 reference rows, predicted as '(ham|spam)'\) is never "
                     r"the model's prediction on the reference: the class mix is ill-determined "
                     r"with it .* so the intervals widen \(widest: '(ham|spam)' [\d.]+ "
                     r"\[[\d.]+, [\d.]+\]\); merge it into another class", said)
    # every class predicted somewhere: no such note
    plain = detect_drift(table(400, 0.2), cur, label_column="label", progress=False,
                         multivariate=())
    assert not never_predicted(plain)


def test_label_shift_interval_holds_its_estimate_for_an_absent_class():
    # class 0 is never confused with another and no current row is predicted as it:
    # its share is estimated at 0, but every draw was above 0, so the interval left out
    # its own estimate and the truth (coverage 0 of 100 runs)
    rng = np.random.default_rng(3)
    conf = np.array([[1.0, 0.0, 0.0], [0.0, 0.9, 0.1], [0.0, 0.1, 0.9]])
    hits = 0
    for i in range(20):
        y = rng.choice(3, 600)
        pred = np.array([rng.choice(3, p=conf[:, j]) for j in y])
        cur_y = rng.choice([1, 2], 80)
        cur_pred = np.array([rng.choice(3, p=conf[:, j]) for j in cur_y])
        r = label_shift(onehot(pred), y, onehot(cur_pred), n_bootstrap=200, random_state=i)
        assert r["prior"][0] == 0.0 and r["low"][0] == 0.0 < r["high"][0]
        assert np.all((r["low"] <= r["prior"]) & (r["prior"] <= r["high"]))
        hits += r["low"][0] <= 0.0
    assert hits == 20


def test_model_checks_with_probability_scores_do_not_import_torch():
    # torch took 11 s to import on a 10,000-row text drift check, for an MSP score that is
    # arithmetic on the probabilities
    import subprocess
    import sys

    code = ("import sys, numpy as np, pandas as pd\n"
            "from dataqa.drift import detect_drift\n"
            "rng = np.random.default_rng(0)\n"
            "ref = pd.DataFrame({'x': rng.normal(size=200), 'label': rng.integers(0, 2, 200)})\n"
            "cur = pd.DataFrame({'x': rng.normal(size=200)})\n"
            "for s in ('msp', 'entropy'):\n"
            "    r = detect_drift(ref, cur, label_column='label', n_permutations=19,\n"
            "                     progress=False, ood_score=s)\n"
            "    assert r.ood['score'] == s and r.current_ood_scores.shape == (200,)\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
