"""Acquisition functions against hand computation, and the registry."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from dataqa.active import (
    acquire,
    acquisition_names,
    hybrid_scores,
    least_confidence,
    margin_uncertainty,
    ood_percentile,
    prediction_entropy,
)
from dataqa.errors import InvalidSettingError, MissingInputError, UnknownNameError

P = np.array([[0.7, 0.2, 0.1],
              [0.4, 0.35, 0.25],
              [1.0, 0.0, 0.0],
              [0.5, 0.5, 0.0]])


def test_uncertainty_margin_entropy_by_hand() -> None:
    assert np.allclose(acquire("uncertainty", pred_probs=P), [0.3, 0.6, 0.0, 0.5])
    assert np.allclose(least_confidence(P, normalize=True), np.array([0.3, 0.6, 0.0, 0.5]) / (2 / 3))
    assert np.allclose(acquire("margin", pred_probs=P), [1 - 0.5, 1 - 0.05, 0.0, 1.0])
    h = [-(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1)),
         -(0.4 * np.log(0.4) + 0.35 * np.log(0.35) + 0.25 * np.log(0.25)),
         0.0, np.log(2)]
    assert np.allclose(acquire("entropy", pred_probs=P), h)
    assert np.allclose(prediction_entropy(P, normalize=True), np.array(h) / np.log(3))
    assert np.allclose(margin_uncertainty(P[:, :1] * 0 + 1), 0.0)


def test_entropy_of_a_certain_row_is_exactly_zero() -> None:
    # 0 log 0 = 0: a one-hot row is no more worth labeling than itself, not 1e-305 above
    one_hot = np.eye(3)
    assert np.array_equal(prediction_entropy(one_hot), np.zeros(3))
    assert np.array_equal(acquire("entropy", pred_probs=one_hot), np.zeros(3))
    # rows need not sum to 1: renormalised, and a row of zeros reads as flat
    h = prediction_entropy(np.array([[0.2, 0.2, 0.0], [0.0, 0.0, 0.0]]), normalize=True)
    assert np.allclose(h, [np.log(2) / np.log(3), 1.0], rtol=1e-12, atol=0)


def test_an_empty_pool_scores_nothing_alike() -> None:
    # (least confidence said "logits has no rows" where the others gave an empty array)
    empty = np.zeros((0, 3))
    for name in ("uncertainty", "margin", "entropy"):
        assert acquire(name, pred_probs=empty).shape == (0,)


def test_the_three_uncertainties_read_a_row_not_summing_to_one_alike() -> None:
    # (0.7, 0.2) is taken as (7/9, 2/9) by all three: margin read the raw values
    row = np.array([[0.7, 0.2], [0.0, 0.0]])
    assert np.allclose(acquire("uncertainty", pred_probs=row), [2 / 9, 0.5], rtol=1e-12)
    assert np.allclose(acquire("margin", pred_probs=row), [1 - 5 / 9, 1.0], rtol=1e-12)
    q = np.array([7, 2]) / 9
    assert np.allclose(acquire("entropy", pred_probs=row)[0], -(q * np.log(q)).sum(),
                       rtol=1e-12)


def test_random_is_seeded() -> None:
    a = acquire("random", pred_probs=P, random_state=3)
    b = acquire("random", pred_probs=P, random_state=3)
    c = acquire("random", pred_probs=P, random_state=4)
    assert a.shape == (4,) and np.array_equal(a, b) and not np.array_equal(a, c)


def test_model_path_matches_pred_probs() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    assert np.allclose(acquire("margin", model=clf, X=X),
                       acquire("margin", pred_probs=clf.predict_proba(X)))
    with pytest.raises(MissingInputError, match="needs pred_probs, or a fitted model"):
        acquire("entropy", X=X)


def test_ood_percentile_and_hybrid_by_hand() -> None:
    o = np.array([5.0, -1.0, 2.0, 2.0])
    r = ood_percentile(o)
    assert np.allclose(r, [1.0, 0.0, 0.5, 0.5])
    u = np.array([0.8, 0.8, 0.4, 1.0])
    assert np.allclose(hybrid_scores(u, o, mode="purity", weight=1.0), u * (1 - r))
    assert np.allclose(hybrid_scores(u, o, mode="purity", weight=0.5), u * (1 - 0.5 * r))
    assert np.allclose(hybrid_scores(u, o, mode="novelty", weight=0.25), 0.75 * u + 0.25 * r)
    p = np.array([0.1, 0.9, 0.5, 0.0])
    assert np.allclose(hybrid_scores(u, p, scale="probability"), u * (1 - p))
    with pytest.raises(InvalidSettingError, match="mode='both' must be one of purity, novelty"):
        hybrid_scores(u, o, mode="both")
    with pytest.raises(InvalidSettingError, match="weight=1.5 must lie in"):
        hybrid_scores(u, o, weight=1.5)
    with pytest.raises(InvalidSettingError, match="uncertainty has 4 entries but ood_scores has 2"):
        hybrid_scores(u, o[:2])


def test_registry_and_unknown_names() -> None:
    names = acquisition_names()
    for n in ("random", "uncertainty", "margin", "entropy", "hybrid", "ood:energy",
              "ood:gradient", "ood:knn"):
        assert n in names
    with pytest.raises(UnknownNameError, match="unknown acquisition 'nope'; known acquisitions are: .*entropy"):
        acquire("nope", pred_probs=P)
    with pytest.raises(UnknownNameError, match="ood:msp"):
        acquire("ood:nope", pred_probs=P)
    with pytest.raises(InvalidSettingError, match=r"^acquisition 'margin' does not take the "
                                                  r"setting\(s\) 'weight'; it takes: \(none\)\.$"):
        acquire("margin", pred_probs=P, weight=2)
    with pytest.raises(InvalidSettingError, match=r"acquisition 'entropy' does not take the "
                                                  r"setting\(s\) 'kk'; it takes: normalize\."):
        acquire("entropy", pred_probs=P, kk=2)


def _two_blobs(seed: int = 0):
    rng = np.random.default_rng(seed)
    X_in = np.vstack([rng.normal([-3, 0], 0.6, size=(40, 2)), rng.normal([3, 0], 0.6, size=(40, 2))])
    y_in = np.repeat([0, 1], 40)
    X_out = rng.normal([0, 8], 0.6, size=(20, 2))  # far from both classes
    return X_in, y_in, X_out


def test_ood_acquisitions_rank_outliers_high() -> None:
    X_in, y_in, X_out = _two_blobs()
    clf = LogisticRegression().fit(X_in, y_in)
    X = np.vstack([X_in, X_out])
    s = acquire("ood:knn", model=clf, X=X, labeled_X=X_in, labeled_y=y_in, k=1)
    assert s[80:].min() > np.percentile(s[:80], 95)
    e = acquire("ood:energy", model=clf, X=X)
    assert e.shape == (100,) and np.isfinite(e).all()


def test_hybrid_purity_uses_known_out_of_scope_items() -> None:
    X_in, y_in, X_out = _two_blobs(1)
    clf = LogisticRegression().fit(X_in, y_in)
    X = np.vstack([X_in, X_out])
    base = acquire("hybrid", model=clf, X=X, labeled_X=X_in, labeled_y=y_in, contrast=False,
                   uncertainty="uncertainty")
    with_oos = acquire("hybrid", model=clf, X=X, labeled_X=X_in, labeled_y=y_in,
                       out_of_scope_X=X_out[:3], uncertainty="uncertainty")
    u = least_confidence(clf.predict_proba(X), normalize=True)
    # without contrast: purity with the kNN percentile, by hand
    from dataqa.ood import score_ood

    d_in = score_ood("knn", features=X, fit_features=X_in, k=1)
    assert np.allclose(base, u * (1 - ood_percentile(d_in)))
    cold = acquire("hybrid", model=clf, X=X, labeled_X=X_in, labeled_y=y_in,
                   uncertainty="uncertainty")
    assert np.allclose(cold, u * (1 - 0.25 * ood_percentile(d_in)))
    # with known out-of-scope items the out-of-scope block is pushed to the bottom
    # (sharp filter: closer to a known out-of-scope item than to any labeled item -> 0)
    assert np.allclose(with_oos[80:], 0.0)
    assert np.allclose(with_oos[:80], u[:80])
    novelty = acquire("hybrid", model=clf, X=X, labeled_X=X_in, labeled_y=y_in, mode="novelty")
    m = margin_uncertainty(clf.predict_proba(X))
    assert np.allclose(novelty, 0.5 * m + 0.5 * ood_percentile(d_in))


def test_hybrid_purity_with_mahalanobis_turns_sharp_from_two_out_of_scope_items() -> None:
    X_in, y_in, X_out = _two_blobs(1)
    clf = LogisticRegression().fit(X_in, y_in)
    X = np.vstack([X_in, X_out])
    kw = dict(model=clf, X=X, labeled_X=X_in, labeled_y=y_in, ood="mahalanobis",
              uncertainty="uncertainty")
    from dataqa.ood import score_ood

    u = least_confidence(clf.predict_proba(X), normalize=True)
    d_in = score_ood("mahalanobis", features=X, fit_features=X_in, fit_labels=y_in)
    cold = u * (1 - 0.25 * ood_percentile(d_in))
    # one marked item has no spread: the cold filter (it raised "every class of fit_labels
    # has a single item")
    np.testing.assert_allclose(acquire("hybrid", **kw, out_of_scope_X=X_out[:1]), cold)
    np.testing.assert_allclose(acquire("hybrid", **kw), cold)
    twice = np.vstack([X_out[:1], X_out[:1]])  # copies of one item (a repeated text)
    np.testing.assert_allclose(acquire("hybrid", **kw, out_of_scope_X=twice), cold)
    sharp = acquire("hybrid", **kw, out_of_scope_X=X_out[:3])
    assert np.allclose(sharp[80:], 0.0) and np.allclose(sharp[:80], u[:80])


def test_register_acquisition_is_dispatched_with_its_needs() -> None:
    from dataqa.active import ACQUISITIONS, register_acquisition

    def second_best(ctx, *, power: float = 1.0):
        return np.sort(ctx.probs(), axis=1)[:, -2] ** power

    try:
        register_acquisition("second_best", second_best, needs=("pred_probs",))
        assert "second_best" in acquisition_names()
        np.testing.assert_allclose(acquire("second_best", pred_probs=P, power=2),
                                   np.sort(P, 1)[:, -2] ** 2)
        with pytest.raises(MissingInputError, match="needs pred_probs, or a fitted model"):
            acquire("second_best", X=np.zeros((4, 2)))
        register_acquisition("pool_size", lambda ctx: np.full(ctx.n, ctx.X.shape[1]),
                             needs=("pool", "labeled"))
        with pytest.raises(MissingInputError, match="'pool_size' needs the pool X"):
            acquire("pool_size", pred_probs=P)
        with pytest.raises(MissingInputError, match="'pool_size' needs the labeled items"):
            acquire("pool_size", X=np.zeros((4, 2)))
        assert acquire("pool_size", X=np.zeros((4, 2)), labeled_X=np.zeros((1, 2))).tolist() == [2] * 4
        with pytest.raises(InvalidSettingError, match="'second_best' is already registered"):
            register_acquisition("second_best", second_best)
        with pytest.raises(InvalidSettingError, match="not starting with 'ood:'"):
            register_acquisition("ood:mine", second_best)
        with pytest.raises(InvalidSettingError, match="unknown acquisition need.*'logits'"):
            register_acquisition("other", second_best, needs=("logits",))
    finally:
        ACQUISITIONS.pop("second_best", None)
        ACQUISITIONS.pop("pool_size", None)
    with pytest.raises(UnknownNameError, match="known acquisitions are: .*entropy"):
        acquire("second_best", pred_probs=P)


def test_ood_acquisition_of_a_registered_ood_method() -> None:
    from dataqa.ood import OOD_METHODS, register_ood_method

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    try:
        register_ood_method("far", lambda features: np.abs(features).sum(1), needs=("features",))
        assert "ood:far" in acquisition_names()
        np.testing.assert_allclose(acquire("ood:far", X=X), np.abs(X).sum(1))
    finally:
        OOD_METHODS.pop("far", None)


def test_mahalanobis_on_wide_sparse_features_scores_in_svd_components():
    # a d x d covariance of a TF-IDF vocabulary is out of reach: the pool and the labeled
    # items go through truncated SVD fitted on both, and the scores are those of the
    # detector there (not one tie for every item with an unseen word)
    import scipy.sparse as sp
    from sklearn.decomposition import TruncatedSVD

    from dataqa.active import acquisition
    from dataqa.ood import MahalanobisDetector

    rng = np.random.default_rng(3)
    d = acquisition.MAHALANOBIS_MAX_DIMS + 200
    pool = sp.random(300, d, density=0.01, random_state=1, format="csr")
    labeled = sp.random(120, d, density=0.01, random_state=2, format="csr")
    y = rng.integers(0, 2, 120)
    clf = LogisticRegression().fit(labeled, y)
    got = acquire("ood:mahalanobis", model=clf, X=pool, labeled_X=labeled, labeled_y=y)
    Z = TruncatedSVD(acquisition.MAHALANOBIS_COMPONENTS, random_state=0).fit_transform(
        sp.vstack([pool, labeled]))
    want = MahalanobisDetector().fit(Z[300:], y).score(Z[:300])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert len(np.unique(np.round(got, 6))) > 250  # the items are told apart
    # narrower features, dense or sparse, are used as they are
    Xn, Ln = rng.normal(size=(50, 4)), rng.normal(size=(40, 4))
    yn = rng.integers(0, 2, 40)
    clf = LogisticRegression().fit(Ln, yn)
    want = MahalanobisDetector().fit(Ln, yn).score(Xn)
    for pool, lab in ((Xn, Ln), (sp.csr_matrix(Xn), sp.csr_matrix(Ln))):
        np.testing.assert_allclose(
            acquire("ood:mahalanobis", model=clf, X=pool, labeled_X=lab, labeled_y=yn),
            want, rtol=1e-9)


def test_margin_is_one_minus_modals_margin_and_loads_neither_modal_nor_torch() -> None:
    """The margin is computed here (modAL's import loads torch, seconds, for every command
    that only records labels); it equals 1 - modAL's classifier margin exactly."""
    import subprocess
    import sys

    from modAL.uncertainty import _proba_margin

    P = np.random.default_rng(3).dirichlet(np.ones(6), size=500)
    P[:3] = [[0.5, 0.5, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [0.2, 0.3, 0.1, 0.1, 0.2, 0.1]]
    assert np.array_equal(margin_uncertainty(P), 1.0 - _proba_margin(P))
    code = ("import sys, dataqa.active.acquisition, dataqa.active.session; "
            "print(sorted({'modAL', 'torch'} & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ood_knn_takes_sparse_text_features_as_they_are() -> None:
    """TF-IDF pools are scored without being made dense; the scores are the dense ones."""
    import scipy.sparse as sp

    from dataqa.ood import score_ood

    X = sp.random(80, 300, density=0.04, format="csr", random_state=5)
    lab = sp.random(12, 300, density=0.04, format="csr", random_state=6)
    y = np.arange(12) % 2
    got = acquire("ood:knn", X=X, labeled_X=lab, labeled_y=y, k=2)
    want = acquire("ood:knn", X=X.toarray(), labeled_X=lab.toarray(), labeled_y=y, k=2)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    api = score_ood("knn", features=X, fit_features=lab, k=2)
    np.testing.assert_allclose(api, got, rtol=1e-12)


def _digit_pool():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data[:200] / 16.0, d.target[:200]


def test_ood_knn_default_k_is_one_neighbour_per_thousand_labeled_items() -> None:
    from dataqa.active import knn_default_k
    from dataqa.ood import score_ood

    assert [knn_default_k(n) for n in (1, 17, 1_999, 2_000, 50_000, 10**6)] == [1, 1, 1, 2,
                                                                                50, 50]
    X, _ = _digit_pool()
    lab, pool = X[:17], X[17:]
    got = acquire("ood:knn", X=pool, labeled_X=lab)  # k=50 would exceed the 17 items
    want = score_ood("knn", features=pool, fit_features=lab, k=1)
    np.testing.assert_allclose(got, want, rtol=0, atol=0)
    five = acquire("ood:knn", X=pool, labeled_X=lab, k=5)
    np.testing.assert_allclose(five, score_ood("knn", features=pool, fit_features=lab, k=5),
                               rtol=0, atol=0)
    with pytest.raises(InvalidSettingError,
                       match=r"ood:knn got k=50, larger than the 17 labeled in-scope items .*"
                             r"at most 17, or leave k out .* here 1\)"):
        acquire("ood:knn", X=pool, labeled_X=lab, k=50)


@pytest.mark.parametrize("settings, bad", [
    ({"weight": 2}, "weight=2 must lie in [0, 1]"),
    ({"weight": -0.1, "mode": "novelty"}, "weight=-0.1 must lie in [0, 1]"),
    ({"weight": float("nan")}, "weight=nan must lie in [0, 1]"),
    ({"weight": "half"}, "weight='half' must be a number in [0, 1]"),
    ({"cold_weight": 1.5}, "cold_weight=1.5 must lie in [0, 1]"),
    ({"mode": "pure"}, "mode='pure' must be one of purity, novelty"),
])
def test_hybrid_checks_weight_up_front_on_every_path(settings, bad) -> None:
    X, y = _digit_pool()
    lr = LogisticRegression(max_iter=500).fit(X[:40], y[:40])
    # the cold purity path (nothing marked out of scope) used to ignore weight
    with pytest.raises(InvalidSettingError, match=re.escape(bad)):
        acquire("hybrid", model=lr, X=X[40:], labeled_X=X[:40], labeled_y=y[:40], **settings)
    ok = acquire("hybrid", model=lr, X=X[40:], labeled_X=X[:40], labeled_y=y[:40], weight=1)
    assert ok.shape == (160,) and np.isfinite(ok).all()


def test_a_query_strategy_refuses_an_unknown_setting_when_it_is_made():
    from dataqa.active.learner import make_query_strategy

    with pytest.raises(InvalidSettingError, match=r"acquisition 'margin' does not take the "
                                                  r"setting\(s\) 'kk'"):
        make_query_strategy("margin", kk=1)
    assert callable(make_query_strategy("hybrid", k=2, weight=0.5))


def test_a_model_without_predict_proba_is_told_what_to_use_instead() -> None:
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    model = LinearSVC().fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(MissingInputError, match=r"LinearSVC has no predict_proba, which this "
                                                r"acquisition reads: wrap it in sklearn's "
                                                r"CalibratedClassifierCV, use a strategy that "
                                                r"reads its decision_function \('ood:energy'\)"):
        acquire("uncertainty", model=model, X=X)
    assert acquire("ood:energy", model=model, X=X).shape == (40,)
    lr = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(InvalidSettingError, match=r"model LogisticRegression could not score "
                                                  r"the pool X of shape \(4, 5\) \(X has 5 "
                                                  r"features.*pass X with the columns"):
        acquire("margin", model=lr, X=np.zeros((4, 5)))
    from dataqa.active import select_batch

    with pytest.raises(InvalidSettingError, match=r"holds 1 NaN/inf value\(s\) \(first at "
                                                  r"position 1\); give each item a finite score"):
        select_batch("topk", [1.0, np.nan], 1)


def test_entropy_ties_rows_that_permute_one_another() -> None:
    # summed in column order, permuted rows differed by 2e-16, and the seeded tie-break
    # of the selectors never saw them as tied
    import itertools

    from dataqa.active import acquire, select_topk

    rows = np.array(list(itertools.permutations([0.1, 0.2, 0.3, 0.4])))
    h = acquire("entropy", pred_probs=rows)
    assert np.unique(h).size == 1
    picks = {tuple(select_topk(h, 3, random_state=s).tolist()) for s in range(20)}
    assert len(picks) > 1  # the seed decides among tied rows
