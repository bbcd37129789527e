"""Out-of-sample predicted probabilities by stratified cross-validation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from dataqa._progress import progress_task
from dataqa._validation import check_labels
from dataqa.data import effective_folds
from dataqa.errors import FeatureTypeError, InvalidSettingError, LabelError, LengthMismatchError

__all__ = ["C_GRID", "SVC_MAX_TRAIN", "ensemble_members", "cross_val_pred_probs", "default_model",
           "out_of_sample_pred_probs"]


#: Regularisation grids searched when no model is given (inverse strength ``C``).
C_GRID = {
    "numeric": (0.01, 0.03, 0.1, 0.3, 1.0),
    "embedding": (0.01, 0.03, 0.1, 0.3, 1.0),
    "tfidf": (0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
}


#: Largest training-fold size for the kernel SVM member (its cost grows as n^2 or worse);
#: above it a k-nearest-neighbour classifier takes its place.
SVC_MAX_TRAIN = 10_000


def ensemble_members(kind: str, n_train: int, *, random_state: int = 0,
                     min_class_train: int | None = None) -> dict:
    """The non-linear member averaged with the chosen logistic regression on dense features.

    An RBF-kernel support vector machine (standardised features, Platt-scaled
    probabilities) errs differently from a linear model, so the average of the two ranks
    mislabeled items better than either (``benchmarks/audit_quality.py``: the average won
    on every numeric row, where extra-trees and kNN members lost some). Above
    :data:`SVC_MAX_TRAIN` training items, a distance-weighted 15-nearest-neighbour
    classifier replaces the SVM.

    The SVM's Platt scaling is itself cross-validated inside each training fold (3
    folds, fewer when ``min_class_train``, the smallest class count in a training fold,
    is smaller). When a training fold holds a single item of some class no calibration
    split is possible, and the SVM is left out (logistic regression alone is used).
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if kind == "tfidf":
        return {}
    if n_train <= SVC_MAX_TRAIN:
        inner = 3 if min_class_train is None else min(3, int(min_class_train))
        if inner < 2:
            return {}
        platt = CalibratedClassifierCV(SVC(), method="sigmoid", cv=inner, ensemble=False)
        return {"svc": make_pipeline(StandardScaler(), platt)}
    return {"knn": make_pipeline(StandardScaler(), KNeighborsClassifier(
        n_neighbors=max(1, min(15, n_train - 1)), weights="distance"))}


def default_model(kind: str = "numeric", *, C: float | None = None, max_iter: int = 3000,
                  scale: bool | None = None):
    """The model family dataqa uses when none is given: logistic regression.

    - ``"numeric"`` and ``"embedding"`` (dense): standardisation, then logistic regression.
    - ``"tfidf"`` (sparse text features): logistic regression on the TF-IDF rows as they are.

    ``C`` defaults to the middle of :data:`C_GRID`; :func:`out_of_sample_pred_probs` with
    ``model=None`` picks it per dataset instead (see there). ``scale`` overrides whether
    the features are standardised first (default: for dense kinds). Active learning's
    default (:func:`dataqa.active.default_model`) is this function with ``C=1``,
    ``max_iter=1000`` and no scaling.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind not in C_GRID:
        raise InvalidSettingError(f"no default model for feature kind {kind!r}; "
                                  f"use one of {', '.join(C_GRID)}.")
    c = float(C) if C is not None else C_GRID[kind][len(C_GRID[kind]) // 2]
    lr = LogisticRegression(C=c, max_iter=max_iter)
    if not (kind != "tfidf" if scale is None else scale):
        return lr
    return make_pipeline(StandardScaler(), lr)


def _as_matrix(X):
    if isinstance(X, pd.DataFrame):
        non_num = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
                   and not pd.api.types.is_bool_dtype(X[c])]
        if non_num:
            raise FeatureTypeError(f"feature column(s) {', '.join(map(repr, non_num))} are "
                                   f"not numeric; encode them as numbers first.")
        X = X.to_numpy(dtype=np.float64)
    if sp.issparse(X):
        X = X.tocsr()
        if not np.all(np.isfinite(X.data)):
            raise FeatureTypeError("the sparse feature matrix holds NaN or infinite values.")
        return X
    X = np.asarray(X)
    if X.ndim != 2:
        raise FeatureTypeError(f"X must be two-dimensional (n, d); got shape {X.shape}.")
    if X.dtype.kind not in "fiub":
        raise FeatureTypeError(f"X must be numeric; got dtype {X.dtype}.")
    if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
        rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
        raise FeatureTypeError(f"X holds NaN or infinite values in {len(rows)} rows (first: "
                               f"{rows[:5].tolist()}); impute or drop them.")
    return X


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())


def _fit_fold(model, X, y, train, test, n_classes, tag):
    # Folds are the unit of parallelism: one BLAS/OpenMP thread per fit avoids
    # oversubscription, which slows small fits down by an order of magnitude or more.
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # many classes with few items each (allowed: every class has >= 2) make sklearn
        # guess "regression"; the labels are classes by contract
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        m = clone(model)
        m.fit(X[train], y[train])
        p = np.asarray(m.predict_proba(X[test]), dtype=np.float64)
    out = np.zeros((len(test), n_classes))
    out[:, np.asarray(m.classes_, dtype=np.int64)] = p
    return tag, test, out


def out_of_sample_pred_probs(X, labels, *, model=None, cv: int = 5, random_state: int = 0,
                             n_jobs: int | None = None, class_names=None,
                             progress: bool | None = None) -> np.ndarray:
    """Out-of-sample predicted class probabilities by stratified K-fold cross-validation.

    Each item's probabilities come from a copy of ``model`` that never saw it. Folds run
    in parallel through joblib (``n_jobs``), so ``joblib.parallel_config(backend="dask")``
    sends them to a Dask cluster.

    With ``model=None`` (the default), on the same folds:

    - logistic regression (:func:`default_model`) is fitted for every ``C`` in
      :data:`C_GRID`; the ``C`` whose out-of-sample probabilities have the lowest
      log-loss against the given labels is kept (label noise rewards stronger
      regularisation, and the best strength differs per dataset);
    - dense features: its probabilities are averaged with those of an RBF-kernel SVM
      (a k-nearest-neighbour classifier on large data; :func:`ensemble_members`);
    - sparse (TF-IDF) features: the two best ``C`` are averaged.

    Parameters
    ----------
    X : array (n, d), sparse matrix or numeric DataFrame
    labels : int array (n,), classes ``0 .. K-1``
    model : scikit-learn classifier with ``predict_proba``, optional
        Cloned per fold.
    cv : int
        Number of folds; reduced (with a warning) when a class is smaller than ``cv``.
    random_state : int
        Seed of the fold shuffling.
    n_jobs : int, optional
        Fits run in parallel (joblib semantics).
    class_names : sequence, optional
        Only used to name small classes in messages.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    pred_probs : float ndarray (n, K); columns in class order, rows sum to 1. A class
        missing from a fold's training part gets probability 0 in that fold.
    """
    return cross_val_pred_probs(X, labels, model=model, cv=cv, random_state=random_state,
                                n_jobs=n_jobs, class_names=class_names, progress=progress)[0]


def cross_val_pred_probs(X, labels, *, model=None, cv: int = 5, random_state: int = 0,
                         n_jobs: int | None = None, class_names=None,
                         progress: bool | None = None) -> tuple[np.ndarray, dict]:
    """:func:`out_of_sample_pred_probs` that also returns what it did.

    Returns
    -------
    pred_probs : ndarray (n, K)
    info : dict with ``folds``, ``model`` and, for the default model, ``C`` and the
        out-of-sample ``log_loss`` of every ``C`` tried.
    """
    X = _as_matrix(X)
    y, k = check_labels(labels)
    if X.shape[0] != len(y):
        raise LengthMismatchError(f"X has {X.shape[0]} rows but labels has {len(y)} entries; "
                                  f"give one label per row.")
    if len(np.unique(y)) < 2:
        raise LabelError("labels hold a single class; out-of-sample probabilities need at "
                         "least two classes.")
    if model is not None and not hasattr(model, "predict_proba"):
        raise InvalidSettingError(f"model {type(model).__name__} has no predict_proba; use a "
                                  f"probabilistic classifier (or wrap it in CalibratedClassifierCV).")
    names = list(class_names) if class_names is not None else list(range(k))
    folds = effective_folds(y, names, cv)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        splits = list(splitter.split(np.zeros(len(y)), y))
    if model is None:
        kind = "tfidf" if sp.issparse(X) else "numeric"
        min_train = min(int(np.bincount(y[tr], minlength=k)[np.unique(y)].min())
                        for tr, _ in splits)
        members = ensemble_members(kind, int(len(y) * (folds - 1) / folds),
                                   random_state=random_state, min_class_train=min_train)
        candidates = [default_model(kind, C=c) for c in C_GRID[kind]] + list(members.values())
    else:
        candidates = [model]
    outs = [np.zeros((len(y), k)) for _ in candidates]
    total = len(candidates) * folds
    with progress_task(f"cross-validating ({folds} folds x {len(candidates)} models)", total,
                       enabled=progress) as advance:
        jobs = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_fit_fold)(m, X, y, tr, te, k, j)
            for j, m in enumerate(candidates) for tr, te in splits
        )
        for j, test, p in jobs:
            outs[j][test] = p
            advance()
    for o in outs:
        sums = o.sum(axis=1, keepdims=True)
        sums[sums == 0] = 1.0
        o /= sums
    info: dict = {"folds": folds}
    if model is None:
        grid = C_GRID[kind]
        losses = [_log_loss(o, y) for o in outs[:len(grid)]]
        order = np.argsort(losses)
        if members:
            chosen = [outs[order[0]], *outs[len(grid):]]
            desc = "logistic regression + " + " + ".join(members)
        else:
            chosen = [outs[order[0]], outs[order[1]]]
            desc = f"logistic regression, C={grid[order[0]]} and C={grid[order[1]]} averaged"
        pred_probs = np.mean(chosen, axis=0)
        info.update(model=desc, C=grid[order[0]],
                    log_loss={str(c): v for c, v in zip(grid, losses, strict=True)},
                    ensemble_log_loss=_log_loss(pred_probs, y))
        return pred_probs, info
    info["model"] = type(model).__name__
    return outs[0], info
