"""score_ood, the registry and its error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from dataqa.errors import InvalidSettingError, MissingInputError, UnknownNameError
from dataqa.ood import (
    OOD_METHODS,
    KNNDetector,
    MahalanobisDetector,
    OODInputError,
    energy_score,
    entropy_score,
    gradient_score,
    max_logit_score,
    msp_score,
    odin_score,
    ood_method_names,
    ood_metrics,
    score_ood,
    sklearn_gradient_norms,
)

NAMES = ["msp", "max_logit", "energy", "entropy", "odin", "mahalanobis", "knn", "gradient"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-2, 1, (60, 3)), rng.normal(2, 1, (60, 3))]
    y = np.r_[np.zeros(60, int), np.ones(60, int)]
    X3 = np.r_[X, rng.normal((0, 6, 0), 1, (40, 3))]
    y3 = np.r_[y, np.full(40, 2)]
    return X, y, X3, y3


def test_registry():
    assert ood_method_names() == NAMES
    assert set(OOD_METHODS) == set(NAMES)
    for name, spec in OOD_METHODS.items():
        assert spec.name == name and callable(spec) and spec.inputs


def test_unknown_name_and_option():
    with pytest.raises(UnknownNameError, match="unknown OOD method 'msq'; known OOD methods are: energy, entropy"):
        score_ood("msq", logits=np.zeros((2, 2)))
    with pytest.raises(InvalidSettingError, match="'msp' does not take option.*epsilon; it takes: temperature"):
        score_ood("msp", logits=np.zeros((2, 2)), epsilon=0.1)


def test_missing_inputs():
    with pytest.raises(MissingInputError, match="'energy' needs logits=.*model= and X= missing"):
        score_ood("energy")
    with pytest.raises(MissingInputError, match="'gradient' needs model= and X=; missing X="):
        score_ood("gradient", model=nn.Linear(2, 2))
    with pytest.raises(MissingInputError, match="'odin' needs model= and X=; missing model="):
        score_ood("odin", X=np.zeros((1, 2)))
    with pytest.raises(MissingInputError, match="'knn' needs features="):
        score_ood("knn", model=nn.Linear(2, 2), X=np.zeros((1, 2)))
    with pytest.raises(MissingInputError, match="'mahalanobis' needs fit_labels="):
        score_ood("mahalanobis", features=np.zeros((1, 2)), fit_features=np.zeros((3, 2)))
    with pytest.raises(MissingInputError, match="'knn' needs fit_features="):
        score_ood("knn", features=np.zeros((1, 2)))
    # inputs that would be left unused are refused rather than ignored
    with pytest.raises(InvalidSettingError, match=r"'msp' got logits= and model= and X=: it "
                                                  r"would score the logits"):
        score_ood("msp", logits=np.zeros((1, 2)), model=nn.Linear(2, 2), X=np.zeros((1, 2)))
    from dataqa.ood import KNNDetector

    det = KNNDetector(k=1).fit(np.eye(2))
    with pytest.raises(InvalidSettingError, match=r"'knn' got a fitted detector= and "
                                                  r"fit_features=: the detector is used as "
                                                  r"fitted"):
        score_ood("knn", features=np.eye(2), detector=det, fit_features=np.ones((3, 2)))
    np.testing.assert_allclose(score_ood("knn", features=np.eye(2), detector=det), [0, 0])


def test_logits_methods_equal_pure_functions():
    z = np.random.default_rng(1).normal(size=(7, 4))
    for name, fn in [("msp", msp_score), ("max_logit", max_logit_score), ("energy", energy_score),
                     ("entropy", entropy_score)]:
        np.testing.assert_array_equal(score_ood(name, logits=z), fn(z))
    np.testing.assert_array_equal(score_ood("energy", logits=z, temperature=2.0),
                                  energy_score(z, temperature=2.0))


def float32_tol(scale: float) -> dict:
    """Tolerance for a float32 computation whose inputs are of size ``scale``.

    Logits from float32 kernels differ by a few units of float32 rounding (eps 1.2e-7)
    times the size of the summed terms, depending on the batch size, the thread count
    and the CPU's vector width; an energy score near 0 then has a large relative error, so
    the bound is absolute: 64 eps of the logit scale (about 8e-6 per unit).
    """
    return {"rtol": 0.0, "atol": 64 * np.finfo(np.float32).eps * max(scale, 1.0)}


def test_torch_model(data):
    X, y, _, _ = data
    g = torch.Generator().manual_seed(0)
    model = nn.Linear(3, 2)
    with torch.no_grad():  # every parameter seeded: no draw from torch's global generator
        model.weight.copy_(torch.randn(2, 3, generator=g))
        model.bias.copy_(torch.randn(2, generator=g))
    with torch.no_grad():
        z = model(torch.tensor(X, dtype=torch.float32)).double().numpy()
    # logits summed from terms up to |w| |x| + |b| in float32
    w, b = model.weight.detach(), model.bias.detach()
    scale = float(np.abs(X).max() * w.abs().sum(1).max() + b.abs().max())
    ref = energy_score(z)
    # batches of 7 against one batch of 120: float32 kernels round differently
    np.testing.assert_allclose(score_ood("energy", model=model, X=X, batch_size=7), ref,
                               **float32_tol(scale))
    # float64 reference: the float32 path is within float32 precision of the exact value
    with torch.no_grad():
        z64 = nn.Linear(3, 2).double().requires_grad_(False)
        z64.weight.copy_(model.weight)
        z64.bias.copy_(model.bias)
        exact = energy_score(z64(torch.tensor(X)).numpy())
    np.testing.assert_allclose(score_ood("energy", model=model, X=X), exact,
                               **float32_tol(scale))
    assert np.abs(score_ood("energy", model=model, X=X) - exact).max() > 0  # float32 path
    # the registry calls the same function with the same batches: same float32 kernels
    np.testing.assert_allclose(score_ood("odin", model=model, X=X), odin_score(model, X),
                               **float32_tol(scale))
    np.testing.assert_allclose(score_ood("gradient", model=model, X=X, part="SG"),
                               gradient_score(model, X, part="SG"), rtol=1e-5)


def test_sklearn_models(data):
    _, _, X3, y3 = data
    lr = LogisticRegression(max_iter=300).fit(X3, y3)
    p = lr.predict_proba(X3)
    np.testing.assert_allclose(score_ood("msp", model=lr, X=X3), -p.max(1), rtol=1e-10)
    np.testing.assert_allclose(score_ood("entropy", model=lr, X=X3), -(p * np.log(p)).sum(1), rtol=1e-8)
    np.testing.assert_allclose(score_ood("energy", model=lr, X=X3), energy_score(lr.decision_function(X3)))
    np.testing.assert_allclose(score_ood("max_logit", model=lr, X=X3), -lr.decision_function(X3).max(1))
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X3, y3)
    Xs = pipe[0].transform(X3)
    np.testing.assert_allclose(score_ood("gradient", model=pipe, X=X3, part="SG"),
                               sklearn_gradient_norms(pipe[-1], Xs))
    # no decision_function: log-probabilities stand in for logits
    rf = RandomForestClassifier(n_estimators=5, random_state=0).fit(X3, y3)
    prf = rf.predict_proba(X3)
    np.testing.assert_allclose(score_ood("msp", model=rf, X=X3), -prf.max(1))
    np.testing.assert_allclose(score_ood("max_logit", model=rf, X=X3),
                               -np.log(np.clip(prf.max(1), 1e-300, 1)), rtol=1e-10)
    # energy of log-probabilities is -log(sum p) = 0 for every item: refused, not noise
    message = (r"'energy' needs logits: RandomForestClassifier has no decision_function, and "
               r"from probabilities it is -log\(sum p\) = 0 for every item")
    with pytest.raises(InvalidSettingError, match=message):
        score_ood("energy", model=rf, X=X3)
    from dataqa.active import acquire

    with pytest.raises(InvalidSettingError, match=r"'energy' needs logits: only pred_probs are "
                                                  r"given; from probabilities it is"):
        acquire("ood:energy", pred_probs=prf, batch_size=3)
    with pytest.raises(InvalidSettingError, match="odin needs a torch.nn.Module"):
        score_ood("odin", model=rf, X=X3)


def test_binary_decision_function(data):
    X, y, _, _ = data
    lr = LogisticRegression().fit(X, y)
    d = lr.decision_function(X)
    np.testing.assert_allclose(score_ood("energy", model=lr, X=X),
                               -np.logaddexp(-d / 2, d / 2))
    # [-d/2, d/2] logits reproduce predict_proba
    np.testing.assert_allclose(score_ood("msp", model=lr, X=X), -lr.predict_proba(X).max(1))
    # energy and max-logit do not depend on which class is called 1
    flipped = LogisticRegression().fit(X, 1 - y)
    for m in ("energy", "max_logit"):
        np.testing.assert_allclose(score_ood(m, model=flipped, X=X), score_ood(m, model=lr, X=X),
                                   rtol=1e-6, atol=1e-9)


def test_binary_energy_ranks_points_between_the_classes_as_unfamiliar():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal([-3, 0], 1, (200, 2)), rng.normal([3, 0], 1, (200, 2))]
    y = np.r_[np.zeros(200, int), np.ones(200, int)]
    between = rng.normal([0, 0], 0.3, (100, 2))
    clf = LogisticRegression().fit(X, y)
    for m in ("energy", "max_logit"):
        auroc = ood_metrics(score_ood(m, model=clf, X=X), score_ood(m, model=clf, X=between))
        assert auroc["auroc"] > 0.95, (m, auroc)


def test_sklearn_models_that_cannot_score_say_why():
    from sklearn.svm import LinearSVC

    from dataqa.errors import NotFittedError

    X = np.random.default_rng(1).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(NotFittedError, match="the LogisticRegression is not fitted"):
        score_ood("msp", model=LogisticRegression(), X=X)
    svc = LinearSVC().fit(X, y)
    with pytest.raises(InvalidSettingError, match="LinearSVC has no predict_proba, which 'msp' "
                                                  "and 'entropy' score; use 'energy'"):
        score_ood("msp", model=svc, X=X)
    assert np.isfinite(score_ood("energy", model=svc, X=X)).all()


def test_feature_methods(data):
    X, y, X3, _ = data
    Q = X3[100:]
    maha = score_ood("mahalanobis", features=Q, fit_features=X, fit_labels=y)
    np.testing.assert_allclose(maha, MahalanobisDetector().fit(X, y).score(Q))
    det = KNNDetector(k=3).fit(X)
    np.testing.assert_allclose(score_ood("knn", X=Q, fit_features=X, k=3), det.score(Q))
    np.testing.assert_allclose(score_ood("knn", features=Q, detector=det), det.score(Q))
    # the new cluster scores higher than the fitted items
    assert np.median(maha) > np.median(score_ood("mahalanobis", features=X, fit_features=X, fit_labels=y))
    with pytest.raises(InvalidSettingError, match="detector= for 'knn' must be a KNNDetector"):
        score_ood("knn", features=Q, detector=MahalanobisDetector())


def test_inputs_that_do_not_fit_the_model(data):
    X, y, _, _ = data
    lin = nn.Linear(3, 2)
    wide = np.zeros((5, 4))
    for name in ("energy", "msp", "odin", "gradient"):
        with pytest.raises(OODInputError, match=r"X does not fit the model: its items have shape \(4,\) "
                                                r"and the model failed on the first items \(RuntimeError: "
                                                r"mat1 and mat2 shapes cannot be multiplied"):
            score_ood(name, model=lin, X=wide)
    # integers given to float weights: the dtype is named, not the shape
    for name in ("energy", "gradient"):
        with pytest.raises(OODInputError, match=r"X holds int64 values and the model's weights "
                                                r"are float32 .*; pass X as float32"):
            score_ood(name, model=lin, X=np.arange(15).reshape(5, 3))
    emb = nn.Sequential(nn.Embedding(5, 2), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(OODInputError, match=r"items have shape \(2,\).*IndexError: index out of range"):
        score_ood("msp", model=emb, X=np.full((3, 2), 7))
    # a layer using batch statistics runs on the two-item probe
    bn = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3, track_running_stats=False), nn.Linear(3, 2))
    assert score_ood("energy", model=bn, X=X).shape == (len(X),)
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(OODInputError, match="X has 4 features but LogisticRegression was fitted on 3"):
        score_ood("energy", model=lr, X=wide)
    with pytest.raises(OODInputError, match="X does not fit LogisticRegression"):
        score_ood("msp", model=lr, X=[["a", "b", "c"]])
    # numbers given to a text pipeline (its vectoriser calls .lower() on each item)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    text = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        ["spam offer", "good day", "win offer", "nice day"], [0, 1, 0, 1])
    assert score_ood("msp", model=text, X=["spam offer", "day"]).shape == (2,)
    with pytest.raises(OODInputError, match=r"X \(an array of float64\) does not fit Pipeline: "
                                            r"scoring it raised AttributeError: .*lower.*"
                                            r"a list of texts for a text pipeline"):
        score_ood("msp", model=text, X=np.zeros((5, 3)))


def test_register_ood_method_dispatches_by_declared_needs(data):
    from dataqa.ood import register_ood_method

    X, y, X3, _ = data
    z = np.random.default_rng(2).normal(size=(5, 3))

    class CentroidDetector:
        def __init__(self, *, power: float = 1.0) -> None:
            self.power = power

        def fit(self, features, labels=None):
            self.centre_ = np.asarray(features).mean(axis=0)
            return self

        def score(self, features):
            return np.linalg.norm(np.asarray(features) - self.centre_, axis=1) ** self.power

    try:
        register_ood_method("neg_second_logit", lambda logits: -np.sort(logits, axis=1)[:, -2],
                            needs=("logits",), description="test")
        register_ood_method("norm", lambda features, *, p=2: np.linalg.norm(features, ord=p, axis=1),
                            needs=("features",), options=("p",))
        register_ood_method("centroid", CentroidDetector, needs=("features", "detector"),
                            options=("power",))
        assert "neg_second_logit" in ood_method_names()
        np.testing.assert_array_equal(score_ood("neg_second_logit", logits=z), -np.sort(z, 1)[:, -2])
        # logits from a model, built by the dispatcher because the method needs logits
        lr = LogisticRegression().fit(X, y)
        p = lr.predict_proba(X)
        np.testing.assert_allclose(score_ood("neg_second_logit", model=lr, X=X),
                                   -np.log(p.min(1)), rtol=1e-10)
        np.testing.assert_allclose(score_ood("norm", X=X, p=1), np.abs(X).sum(1))
        want = np.linalg.norm(X3 - X.mean(0), axis=1) ** 2
        np.testing.assert_allclose(score_ood("centroid", features=X3, fit_features=X, power=2), want)
        det = CentroidDetector().fit(X)
        np.testing.assert_allclose(score_ood("centroid", features=X3, detector=det), want ** 0.5)
        assert OOD_METHODS["centroid"].inputs == "features + fit_features (or detector)"
        with pytest.raises(MissingInputError, match="'centroid' needs fit_features="):
            score_ood("centroid", features=X3)
        with pytest.raises(InvalidSettingError, match="'norm' does not take option.*q; it takes: p"):
            score_ood("norm", X=X, q=1)
        with pytest.raises(InvalidSettingError, match="'norm' is already registered"):
            register_ood_method("norm", np.abs, needs=("features",))
        with pytest.raises(InvalidSettingError, match="unknown OOD need.*'pixels'"):
            register_ood_method("other", np.abs, needs=("pixels",))
    finally:
        for name in ("neg_second_logit", "norm", "centroid"):
            OOD_METHODS.pop(name, None)
    assert ood_method_names() == NAMES


def test_nan_rows_are_named_for_sklearn_models():
    X = np.random.default_rng(2).normal(size=(30, 3))
    clf = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    X[[4, 9], 1] = np.nan
    with pytest.raises(OODInputError, match=r"X has NaN or infinite values in 2 row\(s\) "
                                            r"\(first: \[4, 9\], counted from 0\), which "
                                            r"LogisticRegression does not take"):
        score_ood("msp", model=clf, X=X)
    # a model that handles NaN itself is scored
    from sklearn.impute import SimpleImputer

    imputing = make_pipeline(SimpleImputer(), LogisticRegression()).fit(X, (X[:, 0] > 0))
    assert np.isfinite(score_ood("msp", model=imputing, X=X)).all()


def test_a_fitted_model_that_is_not_a_scikit_learn_estimator_is_scored():
    X = np.random.default_rng(3).normal(size=(30, 2))
    inner = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))

    class Duck:  # fit and predict_proba, no BaseEstimator, no fitted attributes
        def fit(self, X, y):
            return self

        def predict_proba(self, X):
            return inner.predict_proba(X)

    np.testing.assert_allclose(score_ood("msp", model=Duck(), X=X),
                               -inner.predict_proba(X).max(1))


def test_a_torch_model_refuses_sparse_input_plainly():
    import scipy.sparse as sp

    model = nn.Sequential(nn.Linear(4, 2))
    X = sp.random(10, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(OODInputError, match="X is a sparse matrix, which a torch model does "
                                            "not take; pass X.toarray()"):
        score_ood("msp", model=model, X=X)


def test_a_one_dimensional_x_and_a_lower_case_part_are_handled_plainly():
    from dataqa.ood import OODInputError, score_ood

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(OODInputError, match=r"X must be 2-D, one row per item \(n_items, "
                                            r"n_features\); got shape \(40,\): for one item pass "
                                            r"X\[None, :\]") as err:
        score_ood("energy", model=model, X=X[:, 0])
    assert len(str(err.value)) < 300  # not the whole array
    sg = score_ood("gradient", model=model, X=X, part="sg")
    np.testing.assert_array_equal(sg, score_ood("gradient", model=model, X=X, part="SG"))
    with pytest.raises(InvalidSettingError, match="part='s' must be 'G' or 'SG'"):
        score_ood("gradient", model=model, X=X, part="s")


@pytest.mark.parametrize("name, func, message", [
    ("two_columns", lambda logits: np.ones((len(logits), 2)),
     "OOD method 'two_columns' returned shape (40, 2) for 40 items; it must return one score "
     "per item, shape (40,)."),
    ("three_values", lambda logits: np.ones(3),
     "OOD method 'three_values' returned shape (3,) for 40 items"),
    ("scalar", lambda logits: 1.0, "OOD method 'scalar' returned shape () for 40 items"),
    ("with_nan", lambda logits: np.where(np.arange(len(logits)) % 7 == 0, np.nan, 1.0),
     "OOD method 'with_nan' returned 6 NaN or infinite score(s) (first at item(s) "
     "[0, 7, 14, 21, 28], counted from 0); it must return finite scores, shape (40,)."),
    ("words", lambda logits: ["a"] * len(logits), "OOD method 'words' returned list, not numbers"),
])
def test_score_ood_checks_what_a_registered_method_returns(name, func, message):
    from dataqa.ood import register_ood_method

    logits = np.random.default_rng(0).normal(size=(40, 3))
    register_ood_method(name, func, needs=("logits",))
    try:
        with pytest.raises(InvalidSettingError) as err:
            score_ood(name, logits=logits)
        assert message in str(err.value)
    finally:
        OOD_METHODS.pop(name, None)


def test_score_ood_checks_feature_and_model_methods_too():
    from dataqa.ood import register_ood_method

    X = np.random.default_rng(0).normal(size=(12, 4))
    register_ood_method("feat_short", lambda features: np.ones(len(features) - 1),
                        needs=("features",))
    register_ood_method("model_inf", lambda model, X: np.full(len(X), np.inf), needs=("model",))
    try:
        with pytest.raises(InvalidSettingError, match=r"'feat_short' returned shape \(11,\) "
                                                      r"for 12 items"):
            score_ood("feat_short", features=X)
        with pytest.raises(InvalidSettingError, match=r"'model_inf' returned 12 NaN or "
                                                      r"infinite score"):
            score_ood("model_inf", model=object(), X=X)
    finally:
        OOD_METHODS.pop("feat_short", None)
        OOD_METHODS.pop("model_inf", None)


def test_one_d_input_to_a_torch_model_gets_the_reshape_hint():
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    with pytest.raises(OODInputError) as err:
        score_ood("msp", model=mlp, X=np.ones(4))
    assert ("X is 1-D, so it was read as 4 items of shape (): for one item pass X[None, :] "
            "(X.reshape(1, -1))." in str(err.value))
    assert score_ood("msp", model=mlp, X=np.ones((1, 4))).shape == (1,)
