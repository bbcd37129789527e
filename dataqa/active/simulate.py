"""Simulated labeling rounds on a fully labeled pool, for comparing strategies.

``y == -1`` marks out-of-scope items (another class, junk, a new source). Labeling one
spends budget but adds nothing to training, as in a real open-set pool.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from dataqa._validation import check_int
from dataqa.errors import InvalidSettingError, LabelError, LengthMismatchError
from dataqa.types import OUT_OF_SCOPE

__all__ = ["simulate", "default_model", "learning_curve_auc", "labels_to_reach"]

def default_model() -> Any:
    """The default classifier of active learning: logistic regression (``C=1``, lbfgs,
    deterministic, ``class_weight="balanced"``) on the features as they are.

    The same family as the audit's :func:`dataqa.audit.default_model`, built by it with
    ``C=1.0, max_iter=1000, scale=False``: active learning refits every round on a few
    labels, where the audit's cross-validated choice of ``C`` has nothing to choose from.

    Classes are weighted inversely to their counts among the labels so far (the audit's
    model is not): uncertainty sampling can make the labels mostly the minority class, and
    the unweighted model then predicted that class for nearly everything (SMS spam, 20-item
    ``hybrid`` rounds: 58 spam / 31 ham labels, spam for 298 of 300 dev items, dev accuracy
    0.133). Chosen by the rule "not lower mean learning-curve AUC on the tuning sets of
    ``benchmarks/al_curves.py``": digits 0.923 -> 0.938, YouTube 0.872 -> 0.899 (5 seeds,
    no row lower); held-out SMS loop, mean dev accuracy over 8 rounds and 5 seeds 0.764 ->
    0.906, rounds below 0.5: 7 of 39 -> 0 (see docs/active.md, "Default model").
    """
    from dataqa.audit.pred_probs import default_model as _logistic_regression

    model = _logistic_regression("numeric", C=1.0, max_iter=1000, scale=False)
    return model.set_params(class_weight="balanced")


def _rows(X: Any, idx: np.ndarray) -> Any:
    return X[idx]


def simulate(X: Any, y: Any, *, strategy: str, initial: int = 20, batch_size: int = 10,
             rounds: int = 20, model: Any = None, X_test: Any = None, y_test: Any = None,
             random_state: int = 0, selector: str = "topk",
             strategy_settings: dict | None = None) -> pd.DataFrame:
    """Run ``rounds`` simulated labeling rounds and record the learning curve.

    Round 0 labels ``initial`` items drawn at random from the pool (more are drawn, one at
    a time, until two in-scope classes are present). Each later round fits the model on
    the in-scope labels so far (through :class:`dataqa.active.ActiveLearner`), scores the
    unlabeled pool with ``strategy``, and labels the ``batch_size`` items the selector
    picks. Out-of-scope picks (``y == -1``) count as labeled but are not trained on.

    Parameters
    ----------
    X : array or sparse matrix (n, d), the pool
    y : int array (n,), the oracle's labels; -1 = out of scope
    strategy : str, an acquisition name (see :func:`dataqa.active.acquisition_names`)
    initial, batch_size, rounds : int
    model : scikit-learn classifier, optional (default logistic regression); cloned
    X_test, y_test : optional held-out in-scope items for the accuracy; by default the
        accuracy is measured on every in-scope pool item (labeled ones included)
    random_state : int, numpy Generator or RandomState
    selector : str, batch selector
    strategy_settings : dict, passed to the acquisition

    Returns
    -------
    DataFrame with one row per round: ``round, n_labeled, n_out_of_scope_labeled,
    accuracy``.
    """
    from dataqa.active.acquisition import get_acquisition
    from dataqa.active.learner import ActiveLearner, make_query_strategy

    get_acquisition(strategy)
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise LengthMismatchError(
            f"X has {X.shape[0]} rows but y has {y.shape[0]}; give one label per item.")
    initial = check_int(initial, "initial", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    rounds = check_int(rounds, "rounds", minimum=0)
    in_scope = y != OUT_OF_SCOPE
    if len(np.unique(y[in_scope])) < 2:
        raise LabelError("the pool needs at least two in-scope classes.")
    if (X_test is None) != (y_test is None):
        raise InvalidSettingError("give both X_test and y_test, or neither.")
    if X_test is None:
        X_eval, y_eval = _rows(X, np.flatnonzero(in_scope)), y[in_scope]
    else:
        y_test = np.asarray(y_test)
        keep = y_test != OUT_OF_SCOPE
        X_eval, y_eval = _rows(X_test, np.flatnonzero(keep)), y_test[keep]
    model = default_model() if model is None else model

    from dataqa.active.learner import _as_generator

    rng = _as_generator(random_state)
    n = y.shape[0]
    order = rng.permutation(n)
    labeled = list(order[:min(initial, n)])
    k = len(labeled)
    while len(np.unique(y[[i for i in labeled if in_scope[i]]])) < 2 and k < n:
        labeled.append(order[k])
        k += 1
    is_labeled = np.zeros(n, dtype=bool)
    is_labeled[labeled] = True

    first = np.asarray([i for i in labeled if in_scope[i]])
    query = make_query_strategy(strategy, selector=selector, random_state=random_state,
                                **(strategy_settings or {}))
    learner = ActiveLearner(clone(model), query).fit(_rows(X, first), y[first])
    first_out = np.asarray([i for i in labeled if not in_scope[i]], dtype=np.int64)
    if first_out.size:
        learner.mark_out_of_scope(_rows(X, first_out))

    def record(r: int) -> dict:
        return {"round": r, "n_labeled": int(is_labeled.sum()),
                "n_out_of_scope_labeled": int((is_labeled & ~in_scope).sum()),
                "accuracy": float(np.mean(learner.predict(X_eval) == y_eval))}

    out = [record(0)]
    for r in range(1, rounds + 1):
        pool = np.flatnonzero(~is_labeled)
        if pool.size == 0:
            break
        idx, _ = learner.query(_rows(X, pool), n_instances=min(batch_size, pool.size))
        chosen = pool[np.asarray(idx, dtype=np.int64)]
        is_labeled[chosen] = True
        new = chosen[in_scope[chosen]]
        gone = chosen[~in_scope[chosen]]
        if gone.size:
            learner.mark_out_of_scope(_rows(X, gone))
        if new.size:
            learner.teach(_rows(X, new), y[new])
        out.append(record(r))
    return pd.DataFrame(out, columns=["round", "n_labeled", "n_out_of_scope_labeled",
                                      "accuracy"])


def learning_curve_auc(curve: pd.DataFrame) -> float:
    """Normalised area under accuracy vs labels (trapezoid), in [0, 1].

    The area is divided by the span of ``n_labeled``, so it is the mean accuracy over the
    budget.
    """
    x = curve["n_labeled"].to_numpy(dtype=float)
    a = curve["accuracy"].to_numpy(dtype=float)
    if x.size < 2 or x[-1] == x[0]:
        return float(a.mean()) if a.size else float("nan")
    return float(np.trapezoid(a, x) / (x[-1] - x[0]))


def labels_to_reach(curve: pd.DataFrame, target: float) -> float:
    """The first ``n_labeled`` whose accuracy is at least ``target`` (NaN if never)."""
    hit = curve[curve["accuracy"] >= target]
    return float(hit["n_labeled"].iloc[0]) if len(hit) else float("nan")
