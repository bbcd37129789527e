"""Seeded label noise for the quality benchmarks: uniform, class-dependent, instance-dependent.

:func:`inject_noise` flips exactly ``round(rate * n)`` labels and returns the noisy labels
with the boolean mask of flipped items. Three kinds:

``"uniform"``
    Items chosen uniformly at random; each goes to another class chosen uniformly.
``"class_dependent"``
    Items chosen uniformly at random; an item of class ``j`` goes to class ``i`` with
    probability ``T[j, i]``, where ``T`` is one fixed random transition matrix drawn from
    the seed (:func:`transition_matrix`: zero diagonal, each row a Dirichlet(0.5) draw over
    the other classes, so each class has one or two favourite confusions, as annotators do).
``"instance_dependent"``
    The errors annotators make on *hard* items. An independent model (default: logistic
    regression, standardised first on dense features) scores every item without having
    seen it, by cross-fitting: the items are split in two stratified halves, a model fitted
    on one half scores the other, and the reverse. An item's uncertainty is
    ``u = 1 - p(true class)`` under that model. Items are drawn without replacement with
    probability proportional to ``u ** sharpness + 1e-6`` (Efraimidis-Spirakis weighted
    sampling), so uncertain items are chosen far more often; each chosen item goes to the
    class the model ranks highest other than its true class.

Every kind is reproducible from ``random_state`` alone (a ``numpy.random.default_rng``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dataqa.errors import InvalidSettingError, LabelError, LengthMismatchError

__all__ = ["NOISE_KINDS", "cross_fit_pred_probs", "inject_noise", "transition_matrix"]

#: Kinds of label noise :func:`inject_noise` makes.
NOISE_KINDS = ("uniform", "class_dependent", "instance_dependent")


def transition_matrix(n_classes: int, *, random_state: int = 0,
                      concentration: float = 0.5) -> np.ndarray:
    """The fixed random class-dependent transition matrix ``T`` (K, K) of a seed.

    ``T[j, i]`` is the probability that a flipped item of class ``j`` is given class ``i``;
    the diagonal is 0 and every row sums to 1 (a Dirichlet(``concentration``) draw over
    the ``K - 1`` other classes). With two classes, ``T = [[0, 1], [1, 0]]``.
    """
    k = int(n_classes)
    if k < 2:
        raise InvalidSettingError(f"n_classes={n_classes!r}: label noise needs at least 2 classes.")
    rng = np.random.default_rng([int(random_state), 7919])
    T = np.zeros((k, k))
    for j in range(k):
        others = [i for i in range(k) if i != j]
        T[j, others] = rng.dirichlet(np.full(k - 1, float(concentration)))
    return T


def _default_model(X):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if sp.issparse(X):
        return LogisticRegression(C=1.0, max_iter=2000)
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def cross_fit_pred_probs(X, labels, *, n_classes: int | None = None, model=None,
                         random_state: int = 0) -> np.ndarray:
    """Two-fold cross-fitted class probabilities (n, K): each half scored by a model of the other.

    The halves are stratified by class; a class absent from a training half gets
    probability 0 on the other half. ``model`` (a scikit-learn classifier with
    ``predict_proba``) defaults to logistic regression, standardised on dense ``X``.
    """
    from sklearn.base import clone

    y = np.asarray(labels, dtype=np.int64)
    k = int(n_classes if n_classes is not None else y.max() + 1)
    X = X.tocsr() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    counts = np.bincount(y, minlength=k)
    # classes with a single item cannot be stratified: give them to either half at random
    strat = np.where(counts[y] >= 2, y, -1)
    rng = np.random.default_rng([int(random_state), 104729])
    halves = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(strat):
        idx = np.flatnonzero(strat == c)
        idx = idx[rng.permutation(len(idx))]
        halves[idx[: (len(idx) + rng.integers(0, 2)) // 2]] = 1
    base = model if model is not None else _default_model(X)
    out = np.zeros((len(y), k))
    for h in (0, 1):
        train, test = np.flatnonzero(halves != h), np.flatnonzero(halves == h)
        if len(test) == 0:
            continue
        if len(np.unique(y[train])) < 2:
            raise LabelError("a half of the data holds a single class; instance-dependent "
                             "noise needs at least two classes with two or more items each.")
        m = clone(base).fit(X[train], y[train])
        out[np.ix_(test, np.asarray(m.classes_, dtype=np.int64))] = m.predict_proba(X[test])
    return out


def _weighted_sample(weights: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` distinct indices, drawn one after another with probability proportional to ``weights``."""
    keys = np.log(weights) - np.log(-np.log(rng.random(len(weights))))  # log w + Gumbel
    return np.argsort(-keys, kind="stable")[:m]


def inject_noise(labels, rate: float, *, kind: str = "uniform", X=None,
                 n_classes: int | None = None, random_state: int = 0, model=None,
                 sharpness: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Flip exactly ``round(rate * n)`` labels, seeded (see the module docstring for the kinds).

    Parameters
    ----------
    labels : int array (n,)
        The true classes ``0 .. K-1``.
    rate : float in [0, 1)
        Fraction of items to flip.
    kind : {"uniform", "class_dependent", "instance_dependent"}
    X : array (n, d) or sparse matrix, required for ``"instance_dependent"``
        Features of the independent cross-fitted model.
    n_classes : int, optional
        Number of classes (default ``labels.max() + 1``).
    random_state : int
        Seed of every random choice.
    model : scikit-learn classifier, optional
        The independent model of ``"instance_dependent"`` (default: logistic regression).
    sharpness : float
        ``"instance_dependent"``: items are chosen with probability proportional to
        ``uncertainty ** sharpness``; larger values concentrate the flips on the hardest items.

    Returns
    -------
    noisy : int ndarray (n,)
        The labels after flipping.
    flipped : bool ndarray (n,)
        True exactly where ``noisy != labels``; ``flipped.sum() == round(rate * n)``.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise LabelError(f"labels must be a one-dimensional int array; got {y.dtype} {y.shape}.")
    y = y.astype(np.int64)
    if len(y) and y.min() < 0:
        raise LabelError(f"labels must be classes 0..K-1; found {int(y.min())} at row "
                         f"{int(np.argmin(y))}.")
    if not 0.0 <= float(rate) < 1.0:
        raise InvalidSettingError(f"rate={rate!r} must be in [0, 1).")
    if kind not in NOISE_KINDS:
        raise InvalidSettingError(f"kind={kind!r} is not known; use one of {', '.join(NOISE_KINDS)}.")
    k = int(n_classes if n_classes is not None else (y.max() + 1 if len(y) else 2))
    if len(y) and y.max() >= k:
        raise LabelError(f"labels hold class {int(y.max())} but n_classes={k}.")
    if k < 2:
        raise InvalidSettingError(f"n_classes={k}: label noise needs at least 2 classes.")
    n = len(y)
    m = int(round(float(rate) * n))
    rng = np.random.default_rng(random_state)
    noisy = y.copy()
    if kind == "instance_dependent":
        if X is None:
            raise InvalidSettingError("kind='instance_dependent' needs the features X of the "
                                      "independent model; pass X=...")
        if X.shape[0] != n:
            raise LengthMismatchError(f"X has {X.shape[0]} rows but labels has {n} entries.")
        p = cross_fit_pred_probs(X, y, n_classes=k, model=model, random_state=random_state)
        u = 1.0 - p[np.arange(n), y]
        idx = _weighted_sample(np.clip(u, 0.0, 1.0) ** float(sharpness) + 1e-6, m, rng)
        q = p[idx].copy()
        q[np.arange(len(idx)), y[idx]] = -np.inf
        # ties (e.g. classes the model never saw, all at 0) go to a random one of them
        q = q + rng.random(q.shape) * 1e-12
        noisy[idx] = np.argmax(q, axis=1)
    else:
        idx = rng.choice(n, size=m, replace=False)
        if kind == "uniform":
            noisy[idx] = (y[idx] + rng.integers(1, k, size=m)) % k
        else:
            T = transition_matrix(k, random_state=random_state)
            cum = np.cumsum(T[y[idx]], axis=1)
            draw = rng.random(m)[:, None]
            noisy[idx] = np.minimum((draw >= cum).sum(axis=1), k - 1)
            # guard against rounding at the end of a row landing on the true class
            same = noisy[idx] == y[idx]
            noisy[idx[same]] = np.argmax(T[y[idx[same]]], axis=1)
    return noisy, noisy != y
