"""Label shift (BBSE), accuracy estimate, OOD share, prediction shift; interval coverage
checked by seeded simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dataqa.drift import (
    adjust_p_values,
    bbse_priors,
    detect_drift,
    estimate_accuracy,
    label_shift,
    ood_fraction,
    prediction_drift,
)
from dataqa.errors import InvalidSettingError, LengthMismatchError

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


def sim_binary(rng, n, shift):
    x = rng.normal(shift, 1.0, n)
    p1 = 1 / (1 + np.exp(-2.0 * x))
    y = (rng.uniform(size=n) < p1).astype(int)
    return np.c_[1 - p1, p1], y


def test_accuracy_interval_covers_the_realised_accuracy_under_covariate_shift():
    rng = np.random.default_rng(1)
    reps = 120
    hits, errs = 0, []
    for i in range(reps):
        ref_p, ref_y = sim_binary(rng, 800, 0.0)
        cur_p, cur_y = sim_binary(rng, 500, 0.8)  # covariate shift: P(y | x) unchanged
        r = estimate_accuracy(ref_p, ref_y, cur_p, n_bootstrap=60, random_state=i)
        acc = np.mean(cur_p.argmax(1) == cur_y)
        hits += r["low"] <= acc <= r["high"]
        errs.append(abs(r["estimate"] - acc))
        assert r["reference_accuracy"] == pytest.approx(np.mean(ref_p.argmax(1) == ref_y))
    # nominal 95%; binomial sd over 120 runs is 0.02
    assert 0.88 <= hits / reps <= 0.995, hits / reps
    assert np.mean(errs) < 0.03


def test_accuracy_estimate_by_hand():
    # reference: confidence 0.6 right 3 of 5 times, 0.9 right 4 of 5 -> isotonic g(0.6) = 0.6,
    # g(0.9) = 0.8; current: two items at 0.6 and two at 0.9 -> estimate 0.7
    ref = onehot(np.zeros(10, int), k=2, sharp=0.6)
    ref[5:] = [0.9, 0.1]
    y = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1])
    cur = np.array([[0.6, 0.4], [0.6, 0.4], [0.9, 0.1], [0.1, 0.9]])
    r = estimate_accuracy(ref, y, cur, n_bootstrap=10)
    assert r["estimate"] == pytest.approx(0.7)
    assert r["low"] < 0.7 < r["high"]
    with pytest.raises(InvalidSettingError, match="confidence=1.0"):
        estimate_accuracy(ref, y, cur, confidence=1.0)
    with pytest.raises(LengthMismatchError, match="ref_probs has 10 rows but ref_labels has 3"):
        estimate_accuracy(ref, y[:3], cur)


def test_ood_fraction_by_hand():
    ref = np.arange(100, dtype=float)  # 95% at or below 95 ("higher" quantile)
    r = ood_fraction(ref, np.array([10.0, 95.0, 96.0, 200.0]))
    assert r["threshold"] == 95.0 and r["fraction"] == pytest.approx(0.5)
    assert r["expected"] == pytest.approx(0.05)


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
    cur = data(600, [0.6, 0.3, 0.1]).drop(columns="label")
    r = detect_drift(ref, cur, label_column="label", n_permutations=49)
    est = np.array([r.label_shift[c]["prior"] for c in "abc"])
    assert np.abs(est - [0.6, 0.3, 0.1]).sum() < 0.1
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


def test_reference_probs_are_out_of_sample_pred_probs_and_current_the_fold_mean():
    from types import SimpleNamespace

    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from dataqa.audit.pred_probs import default_model, out_of_sample_pred_probs
    from dataqa.drift.model_checks import _run_model_checks
    from dataqa.drift.multivariate import DriftFeatures

    rng = np.random.default_rng(5)
    Xr, Xc = rng.normal(size=(120, 3)), rng.normal(size=(40, 3))
    y = (Xr[:, 0] + rng.normal(size=120) > 0).astype(int)
    res = SimpleNamespace()
    _run_model_checks(res, DriftFeatures(Xr, Xc, ["a", "b", "c"]), y, ["n", "p"], random_state=3)
    oof = out_of_sample_pred_probs(Xr, y, model=default_model("numeric"), random_state=3,
                                   progress=False)
    assert res.reference_probs == pytest.approx(oof)
    splits = StratifiedKFold(5, shuffle=True, random_state=3).split(Xr, y)
    mean = np.mean([clone(default_model("numeric")).fit(Xr[tr], y[tr]).predict_proba(Xc)
                    for tr, _ in splits], axis=0)
    assert res.current_probs == pytest.approx(mean)
