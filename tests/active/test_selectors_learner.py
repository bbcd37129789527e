"""Batch selectors and the modAL adapter on scikit-learn 1.9."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from modAL.batch import ranked_batch
from modAL.models import ActiveLearner as ModalLearner
from modAL.uncertainty import uncertainty_sampling
from sklearn.linear_model import LogisticRegression

from dataqa.active import (
    ActiveLearner,
    select_batch,
    select_class_balanced,
    select_ranked_batch,
    select_topk,
)
from dataqa.errors import (
    InvalidSettingError,
    LengthMismatchError,
    NotFittedError,
    UnknownNameError,
)


def _clusters(seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    X = np.vstack([rng.normal(c, 0.3, size=(25, 2)) for c in centers])
    scores = np.full(100, 0.1)
    scores[:25] = 0.9 + rng.random(25) * 0.05  # the first cluster holds every top score
    return X, scores


def test_topk_and_ties() -> None:
    s = np.array([0.1, 0.9, 0.5, 0.9, 0.3])
    assert select_topk(s, 3, random_state=0).tolist()[2] == 2
    assert set(select_topk(s, 2, random_state=0).tolist()) == {1, 3}
    assert select_topk(s, 10).size == 5
    with pytest.raises(InvalidSettingError, match="k=0 must be a positive integer"):
        select_topk(s, 0)
    with pytest.raises(UnknownNameError, match="unknown selector 'best'; known selectors are: class_balanced"):
        select_batch("best", s, 2)


def test_ranked_batch_is_diverse_and_matches_modal() -> None:
    X, scores = _clusters()
    top = select_topk(scores, 4, random_state=0)
    assert (top < 25).all()  # top-k stays in one cluster
    X_lab = X[[26, 51]]  # one labeled item in clusters 2 and 3
    div = select_ranked_batch(scores, 4, X=X, X_labeled=X_lab, normalize=False)
    assert len({int(i) // 25 for i in div}) >= 2 and set(div) != set(top)

    class Shim:  # what modAL's ranked_batch reads from a learner
        on_transformed = False
        X_training = X_lab

    ref, _ = ranked_batch(Shim(), X, scores, 4, "euclidean", None)
    assert div.tolist() == ref.tolist()
    cold = select_ranked_batch(scores, 3, X=X, normalize=False)

    class Cold:
        on_transformed = False
        X_training = None

    ref_cold, _ = ranked_batch(Cold(), X, scores, 3, "euclidean", None)
    assert cold.tolist() == ref_cold.tolist()
    sparse = select_ranked_batch(scores, 4, X=sp.csr_matrix(X), X_labeled=sp.csr_matrix(X_lab),
                                 normalize=False)
    assert sparse.tolist() == div.tolist()
    # a DataFrame (a shuffled index: rows by position), lists, select_batch
    import pandas as pd

    frame = pd.DataFrame(X, index=np.random.default_rng(1).permutation(100) + 500)
    assert select_ranked_batch(scores, 4, X=frame, X_labeled=pd.DataFrame(X_lab),
                               normalize=False).tolist() == div.tolist()
    assert select_batch("ranked_batch", scores, 4, X=frame, X_labeled=X_lab.tolist(),
                        normalize=False).tolist() == div.tolist()
    assert select_batch("ranked_batch", scores, 3, X=frame, normalize=False).tolist() == \
        cold.tolist()
    with pytest.raises(InvalidSettingError, match=r"X must be a 2-D array of features \(n, "
                                                  r"d\), got shape \(100,\)"):
        select_ranked_batch(scores, 4, X=X[:, 0])
    with pytest.raises(InvalidSettingError, match="X_labeled has 1 columns but X has 2"):
        select_ranked_batch(scores, 4, X=X, X_labeled=X_lab[:, :1])


def test_class_balanced() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.1, 0.05])
    pred = np.array([0, 0, 0, 0, 1, 2])
    assert select_class_balanced(scores, 3, predicted=pred).tolist() == [0, 4, 5]
    assert select_class_balanced(scores, 5, predicted=pred).tolist() == [0, 4, 5, 1, 2]
    assert select_topk(scores, 3).tolist() == [0, 1, 2]


def test_modal_itself_breaks_on_this_sklearn() -> None:
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    if tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 8):
        pytest.skip("modAL works on scikit-learn < 1.8")
    learner = ModalLearner(LogisticRegression(), uncertainty_sampling, X_training=X, y_training=y)
    with pytest.raises(TypeError, match="force_all_finite"):
        learner.teach(X[:2], y[:2])


def test_adapter_teach_query_shapes_and_single_call() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    calls = []

    def strategy(learner, X_pool, n_instances=1):
        calls.append(1)
        p = learner.predict_proba(X_pool)
        u = 1 - p.max(axis=1)
        idx = np.argsort(-u)[:n_instances]
        return idx, u[idx]

    learner = ActiveLearner(LogisticRegression(), strategy).fit(X[:10], y[:10])
    idx, rows = learner.query(X[10:], n_instances=5)
    assert len(calls) == 1 and idx.shape == (5,) and np.array_equal(rows, X[10:][idx])
    idx2, rows2, metrics = learner.query(X[10:], n_instances=3, return_metrics=True)
    assert len(calls) == 2 and metrics.shape == (3,)
    buf_before = learner._X_buf._dense
    for k in range(2):
        learner.teach(X[10 + 5 * k:15 + 5 * k], y[10 + 5 * k:15 + 5 * k])
    assert learner.X_training.shape == (20, 4) and learner.y_training.shape == (20,)
    assert learner._X_buf._dense is buf_before  # filled in place: no copy per teach
    assert np.shares_memory(learner.X_training, buf_before)
    learner.teach(X[20:25], y[20:25])  # past capacity: grows once (doubling)
    assert learner._X_buf._dense.shape[0] == 40
    assert np.array_equal(learner.X_training, X[:25])
    assert learner.score(X, y) > 0.8

    def broken(learner, X_pool, n_instances=1):
        calls.append(1)
        raise RuntimeError("strategy failed")

    learner.query_strategy = broken
    n = len(calls)
    with pytest.raises(RuntimeError, match="strategy failed"):
        learner.query(X)
    assert len(calls) == n + 1  # called once, error not swallowed

    def only_idx(learner, X_pool, n_instances=1):
        return np.arange(n_instances)

    learner.query_strategy = only_idx
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        i, r, m = learner.query(X, n_instances=2, return_metrics=True)
    assert m is None and i.tolist() == [0, 1] and "no metrics" in str(w[0].message)


def test_adapter_named_strategy_sparse_and_errors() -> None:
    rng = np.random.default_rng(2)
    X = sp.random(120, 30, density=0.2, random_state=3, format="csr")
    y = rng.integers(0, 2, 120)
    learner = ActiveLearner(LogisticRegression(), "margin", random_state=0).fit(X[:20], y[:20])
    idx, rows = learner.query(X[20:], n_instances=4)
    assert rows.shape == (4, 30) and sp.issparse(rows)
    learner.teach(X[20:30], y[20:30])
    assert learner.X_training.shape == (30, 30)
    learner.teach(X[30:40], y[30:40], only_new=True)
    assert learner.n_training == 30
    with pytest.raises(NotFittedError, match="has not been fitted"):
        ActiveLearner(LogisticRegression()).predict(X)
    with pytest.raises(LengthMismatchError, match="one entry per item"):
        learner.teach(X[:3], y[:2])
    with pytest.raises(UnknownNameError, match="unknown acquisition 'bogus'"):
        ActiveLearner(LogisticRegression(), "bogus")
    with pytest.raises(InvalidSettingError, match="NaN|infinity"):
        ActiveLearner(LogisticRegression(), "margin").fit(np.array([[np.nan, 1.0], [0, 1]]),
                                                          np.array([0, 1]))
    boot = ActiveLearner(LogisticRegression(), "margin", bootstrap_init=True,
                         random_state=5).fit(X[:40].toarray(), y[:40])
    boot2 = ActiveLearner(LogisticRegression(), "margin", bootstrap_init=True,
                          random_state=5).fit(X[:40].toarray(), y[:40])
    assert np.allclose(boot.estimator.coef_, boot2.estimator.coef_)


def test_unfitted_model_gives_dataqa_not_fitted_error():
    import numpy as np
    import pytest
    from sklearn.linear_model import LogisticRegression

    from dataqa.active import acquire
    from dataqa.errors import NotFittedError

    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(NotFittedError, match="LogisticRegression is not fitted; fit it"):
        acquire("uncertainty", model=LogisticRegression(), X=X)


def test_query_reads_a_pair_of_ints_as_two_indices():
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from dataqa.active import ActiveLearner

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), np.arange(30) % 2
    learner = ActiveLearner(estimator=LogisticRegression(),
                            query_strategy=lambda lrn, Xp: (3, 7)).fit(X[:10], y[:10])
    idx, rows = learner.query(X)
    assert idx.tolist() == [3, 7]
    np.testing.assert_array_equal(rows, X[[3, 7]])


def test_register_selector_is_dispatched_with_its_needs() -> None:
    from dataqa.active import SELECTORS, register_selector

    seen = {}

    def lowest_first(scores, k, *, predicted, random_state=None, offset=0):
        seen["predicted"] = predicted
        return np.argsort(np.asarray(scores))[offset:offset + k]

    s = np.array([0.5, 0.1, 0.9, 0.3])
    try:
        register_selector("lowest_first", lowest_first, needs=("predicted",))
        idx = select_batch("lowest_first", s, 2, X=np.zeros((4, 2)), predicted=[0, 1, 0, 1],
                           offset=1)
        assert idx.tolist() == [3, 0] and seen["predicted"] == [0, 1, 0, 1]
        with pytest.raises(InvalidSettingError, match="'lowest_first' is already registered"):
            register_selector("lowest_first", lowest_first)
        with pytest.raises(InvalidSettingError, match="unknown selector need.*'labels'"):
            register_selector("other", lowest_first, needs=("labels",))
        # the learner asks the model for predictions because the selector needs them
        X, y = _clusters()[0], np.repeat([0, 1, 0, 1], 25)
        learner = ActiveLearner(LogisticRegression(), "uncertainty",
                                selector="lowest_first").fit(X[::5], y[::5])
        learner.query(X, n_instances=3)
        assert np.array_equal(seen["predicted"], learner.predict(X))
    finally:
        SELECTORS.pop("lowest_first", None)
    with pytest.raises(UnknownNameError, match="known selectors are: class_balanced, ranked_batch, topk"):
        select_batch("lowest_first", s, 2)


def test_active_learner_is_a_scikit_learn_estimator() -> None:
    from sklearn.base import clone

    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    learner = ActiveLearner(LogisticRegression(C=0.5), "margin", selector="ranked_batch",
                            random_state=3)
    assert not hasattr(learner, "classes_") and learner.X_training is None
    params = learner.get_params(deep=False)
    assert {"estimator", "query_strategy", "selector", "random_state", "bootstrap_init"} <= set(params)
    assert "X_training" not in params and params["query_strategy"] == "margin"
    with pytest.raises(NotFittedError, match="has not been fitted; call fit"):
        learner.predict(X)
    assert learner.fit(X[:20], y[:20]) is learner
    assert learner.classes_.tolist() == [0, 1]
    copy = clone(learner)
    assert copy.get_params()["estimator__C"] == 0.5 and copy.selector == "ranked_batch"
    assert copy.X_training is None and not hasattr(copy, "classes_")
    copy.fit(X[:20], y[:20])
    # same settings, same data: the same batches
    assert copy.query(X[20:], n_instances=4)[0].tolist() == learner.query(X[20:], n_instances=4)[0].tolist()
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    for check in (check_no_attributes_set_in_init, check_get_params_invariance,
                  check_parameters_default_constructible, check_set_params):
        check("ActiveLearner", ActiveLearner(LogisticRegression(), "margin"))
    weighted = ActiveLearner(LogisticRegression(), "margin", sample_weight=np.ones(20))
    assert clone(weighted).fit_kwargs.keys() == {"sample_weight"}


def test_active_learner_constructor_with_data_still_fits_with_a_warning() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    y = (X[:, 1] > 0).astype(int)
    with pytest.warns(DeprecationWarning, match=r"call \.fit\(X, y\)"):
        old = ActiveLearner(LogisticRegression(), "margin", X_training=X[:20], y_training=y[:20],
                            bootstrap_init=True, random_state=1)
    new = ActiveLearner(LogisticRegression(), "margin", bootstrap_init=True,
                        random_state=1).fit(X[:20], y[:20])
    np.testing.assert_array_equal(old.estimator.coef_, new.estimator.coef_)
    assert old.query(X[20:], n_instances=3)[0].tolist() == new.query(X[20:], n_instances=3)[0].tolist()
    with pytest.warns(DeprecationWarning), pytest.raises(InvalidSettingError, match="NaN|infinity"):
        ActiveLearner(LogisticRegression(), "margin", X_training=np.array([[np.nan, 1.0], [0, 1]]),
                      y_training=np.array([0, 1]))


def test_named_ood_knn_learner_uses_the_adaptive_k_and_takes_k_per_query() -> None:
    from sklearn.datasets import load_digits

    from dataqa.ood import score_ood

    d = load_digits()
    X, y = d.data[:300] / 16.0, d.target[:300]
    learner = ActiveLearner(LogisticRegression(max_iter=500), "ood:knn").fit(X[:30], y[:30])
    pool = X[30:]
    for kw, k in (({}, 1), ({"k": 5}, 5)):
        idx, rows = learner.query(pool, n_instances=3, **kw)
        want = score_ood("knn", features=pool, fit_features=X[:30], k=k)
        assert sorted(want[idx].tolist()) == sorted(np.sort(want)[-3:].tolist())
        np.testing.assert_array_equal(rows, pool[idx])
    with pytest.raises(InvalidSettingError, match=r"k=50, larger than the 30 labeled"):
        learner.query(pool, n_instances=3, k=50)
    with pytest.raises(InvalidSettingError, match=r"acquisition 'ood:knn' does not take the "
                                                  r"setting\(s\) 'kk'; it takes: detector, k,"):
        learner.query(pool, n_instances=3, kk=5)


def test_learner_takes_a_generator_or_random_state_and_refuses_other_seeds():
    from sklearn.datasets import load_digits

    from dataqa.active import simulate

    X, y = load_digits(return_X_y=True)
    X0, y0, pool = X[:100], y[:100], X[100:400]

    def query(rs):
        return ActiveLearner(LogisticRegression(max_iter=300), "random",
                             random_state=rs).fit(X0, y0).query(pool, n_instances=3)[0]

    # the caller's generator is drawn from (it advances; the same seed gives the same
    # picks); a RandomState too; an int as before
    g = np.random.default_rng(0)
    state = g.bit_generator.state
    first = query(g)
    assert g.bit_generator.state != state
    assert query(np.random.default_rng(0)).tolist() == first.tolist()
    assert query(np.random.RandomState(0)).tolist() == query(np.random.RandomState(0)).tolist()
    assert query(5).tolist() == query(5).tolist()
    for bad in (-1, 1.5, True, "x"):
        with pytest.raises(InvalidSettingError, match=rf"random_state={bad!r} must be an integer "
                                                      r">= 0, a numpy Generator or RandomState"):
            ActiveLearner(LogisticRegression(), "random", random_state=bad)
    curve = simulate(X[:500], y[:500], strategy="random", initial=20, batch_size=10, rounds=1,
                     random_state=np.random.default_rng(1))
    again = simulate(X[:500], y[:500], strategy="random", initial=20, batch_size=10, rounds=1,
                     random_state=np.random.default_rng(1))
    assert curve.equals(again)
