"""Batch selectors: turn acquisition scores (n,) into the indices of a batch.

A selector is separate from the measure: each takes ``scores`` (higher = more worth
labeling) and returns ``k`` distinct pool indices, best first.

- ``topk``: the ``k`` highest scores (ties broken at random from ``random_state``).
- ``ranked_batch``: modAL's ranked batch-mode selection (Cardoso et al., 2017): each pick
  maximises ``alpha * (1 - sim) + (1 - alpha) * score`` where ``sim = 1 / (1 + d)`` and
  ``d`` is the distance to the nearest labeled or already-picked item, and
  ``alpha = n_unpicked / (n_unpicked + n_labeled_or_picked)``. It spreads the batch out.
  Same rule as ``modAL.batch.ranked_batch`` but with the nearest distances updated
  incrementally, so a batch of ``k`` costs ``O(n (m + k))`` distances, not ``O(k n m)``.
- ``class_balanced``: round-robin over the predicted classes, taking the best-scored item
  of each class in turn, so no class takes the whole batch.

Each selector declares the inputs it needs (:data:`SELECTOR_NEEDS`) and
:func:`select_batch` dispatches through the registry only; add one with
:func:`register_selector`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.metrics import pairwise_distances

from dataqa._registry import check_needs, check_new_entry
from dataqa._validation import check_int, check_scores
from dataqa.errors import InvalidSettingError, MissingInputError, UnknownNameError

__all__ = [
    "SELECTORS",
    "SELECTOR_NEEDS",
    "Selector",
    "get_selector",
    "register_selector",
    "selector_names",
    "select_batch",
    "select_topk",
    "select_ranked_batch",
    "select_class_balanced",
    "distinct_rows",
]


def _check(scores: Any, k: int) -> tuple[np.ndarray, int]:
    """The selectors' public-boundary check: finite scores (n,) and a batch size."""
    s = check_scores(np.ravel(scores), allow_empty=True)
    k = check_int(k, "k", message=f"batch size k={k!r} must be a positive integer.")
    return s, min(k, s.size)


def _order(s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices by descending score, ties in random order."""
    perm = rng.permutation(s.size)
    return perm[np.argsort(-s[perm], kind="stable")]


def distinct_rows(X: Any) -> np.ndarray:
    """Positions of the first row of each distinct feature row of ``X``, ascending.

    Rows equal in every feature (exact copies of an item, or texts whose features are
    the same, as two texts with no known word are) score alike under every measure, so
    a batch that held several would ask for one answer several times.

    Parameters
    ----------
    X : array or sparse matrix (n, d)

    Returns
    -------
    int ndarray (m,), m <= n
    """
    from dataqa.features import feature_row_keys

    if not sp.issparse(X) and (np.ndim(X) != 2 or np.shape(X)[0] == 0):
        return np.arange(np.shape(X)[0] if np.ndim(X) else 0, dtype=np.int64)
    _, first = np.unique(feature_row_keys(X), return_index=True)
    return np.sort(first).astype(np.int64)


def select_topk(scores: Any, k: int, *, random_state: Any = None) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first; ties broken at random.

    Returns
    -------
    int ndarray (min(k, n),)
    """
    s, k = _check(scores, k)
    return _order(s, np.random.default_rng(random_state))[:k]


def _rows(X: Any, name: str):
    """``X`` as a 2-D array (a DataFrame's values, rows by position) or a sparse matrix."""
    if sp.issparse(X):
        return X.tocsr()
    a = np.asarray(X)
    if a.ndim != 2:
        raise InvalidSettingError(f"{name} must be a 2-D array of features (n, d), got shape "
                                  f"{a.shape}; reshape a single feature with .reshape(-1, 1).")
    return a


def select_ranked_batch(scores: Any, k: int, *, X: Any, X_labeled: Any = None,
                        metric: str = "euclidean", normalize: bool = True,
                        random_state: Any = None) -> np.ndarray:
    """Ranked batch-mode selection (diversity); see the module docstring.

    Parameters
    ----------
    scores : array (n,), higher = more worth labeling
    k : int
    X : array or sparse matrix (n, d), the pool
    X_labeled : array or sparse matrix (m, d), optional
        The labeled items. Without them (cold start) the first pick is the item with the
        smallest mean distance to the pool, as in modAL.
    metric : str, passed to ``sklearn.metrics.pairwise_distances``
    normalize : bool
        Rank-scale ``scores`` to [0, 1] first, so that scores of any range mix with the
        similarity term as modAL intends (its uncertainty lies in [0, 1]).

    Returns
    -------
    int ndarray (min(k, n),), in pick order.
    """
    s, k = _check(scores, k)
    if X is None:
        raise MissingInputError("ranked_batch needs the pool features X.")
    X = _rows(X, "X")
    if X_labeled is not None:
        X_labeled = _rows(X_labeled, "X_labeled")
        if X_labeled.shape[1] != X.shape[1]:
            raise InvalidSettingError(f"X_labeled has {X_labeled.shape[1]} columns but X has "
                                      f"{X.shape[1]}; give both the same features.")
    if X.shape[0] != s.size:
        raise InvalidSettingError(f"X has {X.shape[0]} rows but scores has {s.size}.")
    if normalize and s.size > 1:
        s = (rankdata(s, method="average") - 1.0) / (s.size - 1.0)
    n = s.size
    picked: list[int] = []
    mask = np.ones(n, dtype=bool)
    if X_labeled is None or X_labeled.shape[0] == 0:
        dist = pairwise_distances(X, metric=metric)
        first = int(np.argmin(dist.mean(axis=0)))
        picked.append(first)
        mask[first] = False
        nearest = dist[:, first].astype(np.float64)
        n_ref = 1
    else:
        nearest = np.full(n, np.inf)
        step = max(1, 2_000_000 // max(1, X_labeled.shape[0]))
        for start in range(0, n, step):
            block = pairwise_distances(X[start:start + step], X_labeled, metric=metric)
            nearest[start:start + step] = block.min(axis=1)
        n_ref = X_labeled.shape[0]
    while len(picked) < k:
        n_unpicked = int(mask.sum())
        alpha = n_unpicked / (n_unpicked + n_ref)
        total = alpha * (1.0 - 1.0 / (1.0 + nearest)) + (1.0 - alpha) * s
        total = np.where(mask, total, -np.inf)
        best = int(np.argmax(total))
        picked.append(best)
        mask[best] = False
        row = X[best:best + 1] if sp.issparse(X) else X[[best]]
        nearest = np.minimum(nearest, pairwise_distances(X, row, metric=metric).ravel())
        n_ref += 1
    return np.asarray(picked, dtype=np.int64)


def select_class_balanced(scores: Any, k: int, *, predicted: Any,
                          random_state: Any = None) -> np.ndarray:
    """Round-robin over predicted classes, best-scored item of each class in turn.

    Parameters
    ----------
    scores : array (n,)
    k : int
    predicted : array (n,), the predicted class of each item

    Returns
    -------
    int ndarray (min(k, n),). Within a round, the class whose best remaining item scores
    highest goes first.
    """
    s, k = _check(scores, k)
    if predicted is None:
        raise MissingInputError("class_balanced needs the predicted class of each item.")
    pred = np.asarray(predicted).ravel()
    if pred.size != s.size:
        raise InvalidSettingError(f"predicted has {pred.size} entries but scores has {s.size}.")
    order = _order(s, np.random.default_rng(random_state))
    queues: dict[Any, list[int]] = {}
    for i in order:
        queues.setdefault(pred[i], []).append(int(i))
    pos = {c: 0 for c in queues}
    picked: list[int] = []
    while len(picked) < k:
        heads = [(s[q[pos[c]]], c) for c, q in queues.items() if pos[c] < len(q)]
        heads.sort(key=lambda t: -t[0])
        for _, c in heads:
            if len(picked) == k:
                break
            picked.append(queues[c][pos[c]])
            pos[c] += 1
    return np.asarray(picked, dtype=np.int64)


#: What a selector can declare it needs besides the scores and ``k``: ``X`` (the pool's
#: features), ``X_labeled`` (the labeled items' features), ``predicted`` (the predicted
#: class of each pool item). :func:`select_batch` passes exactly these.
SELECTOR_NEEDS: tuple[str, ...] = ("X", "X_labeled", "predicted")


@dataclass(frozen=True)
class Selector:
    """A registered batch selector.

    Attributes
    ----------
    name : registry name
    func : ``func(scores, k, *, random_state, <needs>, **settings) -> indices``
    needs : keyword inputs it takes, from :data:`SELECTOR_NEEDS`
    description : one line
    """

    name: str
    func: Callable[..., np.ndarray]
    needs: tuple[str, ...] = ()
    description: str = ""

    def __call__(self, scores: Any, k: int, **kwargs: Any) -> np.ndarray:
        return self.func(scores, k, **kwargs)


#: Named batch selectors; add one with :func:`register_selector`.
SELECTORS: dict[str, Selector] = {}


def register_selector(name: str, func: Callable[..., np.ndarray], *,
                      needs: tuple[str, ...] = (), description: str = "",
                      replace: bool = False) -> Selector:
    """Add a batch selector to :data:`SELECTORS`, usable by name in :func:`select_batch`,
    :class:`~dataqa.active.ActiveLearner`, ``simulate`` and ``LabelingSession``.

    Parameters
    ----------
    name : str
    func : callable
        ``func(scores, k, *, random_state, **needs_and_settings)`` returning ``min(k, n)``
        distinct pool indices, best first.
    needs : tuple of str
        Inputs it takes, from :data:`SELECTOR_NEEDS`.
    description : str, one line
    replace : bool
        Replace a selector already registered under ``name`` (else that is an error).

    Returns
    -------
    Selector
    """
    check_new_entry("selector", name, func, SELECTORS, replace=replace)
    needs = check_needs("selector", needs, SELECTOR_NEEDS)
    SELECTORS[name] = Selector(name, func, needs, description)
    return SELECTORS[name]


register_selector("topk", select_topk, description="the k highest scores")
register_selector("ranked_batch", select_ranked_batch, needs=("X", "X_labeled"),
                  description="modAL's ranked batch-mode selection (diversity)")
register_selector("class_balanced", select_class_balanced, needs=("predicted",),
                  description="round-robin over the predicted classes")


def selector_names() -> list[str]:
    """Names of the batch selectors."""
    return list(SELECTORS)


def get_selector(name: str) -> Selector:
    """The registered selector ``name``; an unknown name raises UnknownNameError listing all."""
    if isinstance(name, str) and name in SELECTORS:
        return SELECTORS[name]
    raise UnknownNameError("selector", str(name), SELECTORS)


def select_batch(name: str, scores: Any, k: int, *, X: Any = None, X_labeled: Any = None,
                 predicted: Any = None, random_state: Any = None, **settings: Any) -> np.ndarray:
    """Choose ``k`` pool indices with the named selector (see :data:`SELECTORS`).

    The selector gets the inputs it declares it needs (``Selector.needs``); the others are
    not passed.
    """
    selector = get_selector(name)
    given = {"X": X, "X_labeled": X_labeled, "predicted": predicted}
    return selector(scores, k, random_state=random_state,
                    **{need: given[need] for need in selector.needs}, **settings)
