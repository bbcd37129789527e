"""Checks through a model's outputs: prediction shift, label shift, accuracy, OOD share.

All take out-of-sample probabilities on the reference (``ref_probs``, e.g. from
:func:`dataqa.audit.pred_probs.out_of_sample_pred_probs`) with the reference labels, and
the model's probabilities on the current data (``cur_probs``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataqa._validation import check_int, check_labels, check_pred_probs
from dataqa.errors import InvalidSettingError, LengthMismatchError

__all__ = ["bbse_priors", "label_shift", "estimate_accuracy", "ood_fraction",
           "prediction_drift"]


def _confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0 < c < 1:
        raise InvalidSettingError(f"confidence={confidence!r} must lie strictly between 0 and 1.")
    return c


def _inputs(ref_probs, ref_labels, cur_probs):
    P = check_pred_probs(ref_probs)
    y, _ = check_labels(ref_labels, P.shape[1])
    if len(y) != len(P):
        raise LengthMismatchError(f"ref_probs has {len(P)} rows but ref_labels has {len(y)}; "
                                  f"give one label per reference row.")
    Q = check_pred_probs(cur_probs)
    if Q.shape[1] != P.shape[1]:
        raise LengthMismatchError(f"cur_probs has {Q.shape[1]} classes but ref_probs has "
                                  f"{P.shape[1]}; give both in the same class order.")
    return P, y, Q


def _bbse(pred_ref: np.ndarray, y_ref: np.ndarray, pred_cur: np.ndarray, k: int) -> np.ndarray:
    from scipy.optimize import nnls

    conf = np.zeros((k, k))
    np.add.at(conf, (pred_ref, y_ref), 1.0)
    counts = conf.sum(axis=0)
    M = conf / np.where(counts > 0, counts, 1.0)  # M[i, j] = P(pred = i | y = j)
    M[:, counts == 0] = 0.0
    q = np.bincount(pred_cur, minlength=k) / len(pred_cur)
    pi, _ = nnls(M, q)
    s = pi.sum()
    return pi / s if s > 0 else np.full(k, 1.0 / k)


def bbse_priors(ref_probs, ref_labels, cur_probs) -> np.ndarray:
    """Class priors of the current data by black-box shift estimation (Lipton et al. 2018).

    With ``M[i, j] = P(predicted i | true j)`` measured on the reference (out-of-fold
    predictions) and ``q`` the share of each predicted class on the current data, the
    priors solve ``M pi = q`` (non-negative least squares, then scaled to sum to 1).
    Valid under label shift: ``P(x | y)`` is the same in both.

    Returns
    -------
    ndarray (K,), the estimated share of each class in the current data.
    """
    P, y, Q = _inputs(ref_probs, ref_labels, cur_probs)
    return _bbse(P.argmax(1), y, Q.argmax(1), P.shape[1])


def label_shift(ref_probs, ref_labels, cur_probs, *, n_bootstrap: int = 500,
                confidence: float = 0.95, random_state=0) -> dict:
    """:func:`bbse_priors` with percentile bootstrap intervals.

    The interval is one for the **current population's share of each class** (the
    priors the current sample was drawn with), from resampling the reference rows and
    the current rows ``n_bootstrap`` times; each class's interval holds its true share
    with about ``confidence`` probability (checked by simulation in the tests).

    Returns
    -------
    dict with arrays (K,): ``prior``, ``low``, ``high``, ``reference_prior``.
    """
    P, y, Q = _inputs(ref_probs, ref_labels, cur_probs)
    B = check_int(n_bootstrap, "n_bootstrap")
    c = _confidence(confidence)
    k = P.shape[1]
    pr, pc = P.argmax(1), Q.argmax(1)
    est = _bbse(pr, y, pc, k)
    rng = np.random.default_rng(random_state)
    boots = np.empty((B, k))
    for b in range(B):
        i = rng.integers(0, len(y), len(y))
        j = rng.integers(0, len(pc), len(pc))
        boots[b] = _bbse(pr[i], y[i], pc[j], k)
    lo, hi = np.quantile(boots, [(1 - c) / 2, (1 + c) / 2], axis=0)
    return {"prior": est, "low": lo, "high": hi,
            "reference_prior": np.bincount(y, minlength=k) / len(y)}


def estimate_accuracy(ref_probs, ref_labels, cur_probs, *, n_bootstrap: int = 200,
                      confidence: float = 0.95, random_state=0) -> dict:
    """Expected accuracy on the current data without its labels (confidence-based
    performance estimation, as NannyML's CBPE).

    A calibration map ``g`` from the model's confidence (largest probability) to the
    chance that the prediction is right is fitted on the reference's out-of-fold
    predictions (isotonic regression); the estimate is the mean of ``g`` over the
    current items. It assumes ``P(correct | confidence)`` is the same in both data
    (covariate shift that the model's probabilities see; not concept shift).

    The interval is one for **the accuracy the model has on these current items** (the
    share it would get right once they are labelled): normal, with variance the sum of
    the items' Bernoulli variances ``g (1 - g) / m^2`` and the bootstrap variance of the
    estimate from refitting ``g`` on resampled reference rows (``n_bootstrap``).
    Coverage at the nominal rate is checked by simulation in the tests.

    Returns
    -------
    dict: ``estimate``, ``low``, ``high``, ``reference_accuracy`` (out-of-fold).
    """
    from scipy.stats import norm
    from sklearn.isotonic import IsotonicRegression

    P, y, Q = _inputs(ref_probs, ref_labels, cur_probs)
    B = check_int(n_bootstrap, "n_bootstrap")
    c = _confidence(confidence)
    conf_r, conf_c = P.max(1), Q.max(1)
    correct = (P.argmax(1) == y).astype(np.float64)

    def fit(i) -> np.ndarray:
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(conf_r[i], correct[i])
        return iso.predict(conf_c)

    g = fit(np.arange(len(y)))
    est = float(g.mean())
    rng = np.random.default_rng(random_state)
    boot = np.array([fit(rng.integers(0, len(y), len(y))).mean() for _ in range(B)])
    var = float(np.sum(g * (1 - g)) / len(g) ** 2 + boot.var(ddof=1 if B > 1 else 0))
    half = float(norm.ppf((1 + c) / 2)) * np.sqrt(var)
    return {"estimate": est, "low": float(max(0.0, est - half)), "high": float(min(1.0, est + half)),
            "reference_accuracy": float(correct.mean())}


def ood_fraction(ref_scores, cur_scores, *, quantile: float = 0.95) -> dict:
    """Share of current items whose OOD score (higher = more unfamiliar) is above the
    threshold that ``quantile`` of the reference items stay at or below.

    With no shift the share is at most about ``1 - quantile`` (5%).

    Returns
    -------
    dict: ``fraction``, ``threshold``, ``expected`` (= 1 - quantile).
    """
    r = np.asarray(ref_scores, dtype=np.float64)
    s = np.asarray(cur_scores, dtype=np.float64)
    q = float(quantile)
    if not 0 < q < 1:
        raise InvalidSettingError(f"quantile={quantile!r} must lie strictly between 0 and 1.")
    thr = float(np.quantile(r, q, method="higher"))
    return {"fraction": float(np.mean(s > thr)), "threshold": thr, "expected": 1 - q}


def prediction_drift(ref_probs, cur_probs, *, class_names=None,
                     correction: str = "fdr") -> pd.DataFrame:
    """KS test per class of the predicted probabilities, reference vs current, corrected
    over classes.

    Returns
    -------
    DataFrame: ``class, statistic, p_value, p_adjusted``.
    """
    from dataqa.drift.twosample import ks_test
    from dataqa.drift.univariate import adjust_p_values

    P = check_pred_probs(ref_probs)
    Q = check_pred_probs(cur_probs)
    if P.shape[1] != Q.shape[1]:
        raise LengthMismatchError(f"cur_probs has {Q.shape[1]} classes but ref_probs has "
                                  f"{P.shape[1]}; give both in the same class order.")
    names = list(class_names) if class_names is not None else list(range(P.shape[1]))
    rows = [ks_test(P[:, j], Q[:, j]) for j in range(P.shape[1])]
    stat = [r[0] for r in rows]
    p = [r[1] for r in rows]
    return pd.DataFrame({"class": names, "statistic": stat, "p_value": p,
                         "p_adjusted": adjust_p_values(p, correction)})


def _model_inputs(feats) -> tuple[object, object, str]:
    """The model's reference and current features: TF-IDF when the table is one text
    column, else the dense drift features."""
    import scipy.sparse as sp

    if feats.tfidf and len(set(feats.sources)) == len(feats.tfidf) == 1:
        T = sp.csr_matrix(next(iter(feats.tfidf.values())))
        n = feats.reference.shape[0]
        return T[:n], T[n:], "tfidf"
    return feats.reference, feats.current, "numeric"


def _run_model_checks(result, feats, labels: np.ndarray, class_names: list[str], *, model=None,
                      correction: str = "fdr", alpha: float = 0.05, random_state=0) -> None:
    """Fill the model-aware parts of a :class:`~dataqa.drift.result.DriftResult`.

    Stratified 5-fold cross-validation on the reference, as
    :func:`dataqa.audit.pred_probs.out_of_sample_pred_probs` does (same splitter, same
    folds): out-of-fold probabilities on the reference, and on the current rows the mean
    of the fold models' probabilities. The current rows are thus scored by the very
    models whose errors the reference's confusion matrix and calibration measure (a
    model refitted on the whole reference is more accurate than the fold models, which
    would bias BBSE and the accuracy estimate). Then :func:`prediction_drift`,
    :func:`label_shift`, :func:`estimate_accuracy` and :func:`ood_fraction` (MSP score,
    :func:`dataqa.ood.msp_score`).
    """
    import warnings

    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from dataqa.audit.pred_probs import default_model
    from dataqa.data import effective_folds
    from dataqa.ood import logits_from_probs, msp_score

    Xr, Xc, kind = _model_inputs(feats)
    est = model if model is not None else default_model(kind)
    k = len(class_names)
    y = np.asarray(labels, dtype=np.int64)
    folds = effective_folds(y, class_names, 5)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    ref_probs = np.zeros((len(y), k))
    cur_probs = np.zeros((Xc.shape[0], k))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        for train, test in splitter.split(np.zeros(len(y)), y):
            fitted = clone(est).fit(Xr[train], y[train])
            cols = np.asarray(fitted.classes_, dtype=np.int64)
            part = np.zeros((len(test), k))
            part[:, cols] = fitted.predict_proba(Xr[test])
            ref_probs[test] = part
            cur_probs[:, cols] += fitted.predict_proba(Xc) / folds
    pd_frame = prediction_drift(ref_probs, cur_probs, class_names=class_names,
                                correction=correction)
    pd_frame["drifted"] = pd_frame["p_adjusted"] <= alpha
    ls = label_shift(ref_probs, labels, cur_probs, random_state=random_state)
    result.prediction_drift = pd_frame
    result.label_shift = {name: {"prior": float(ls["prior"][j]), "low": float(ls["low"][j]),
                                 "high": float(ls["high"][j]),
                                 "reference_prior": float(ls["reference_prior"][j])}
                          for j, name in enumerate(class_names)}
    result.estimated_accuracy = estimate_accuracy(ref_probs, labels, cur_probs,
                                                  random_state=random_state)
    result.ood = ood_fraction(msp_score(logits_from_probs(ref_probs)),
                              msp_score(logits_from_probs(cur_probs)))
    result.class_names = list(class_names)
    result.current_probs = cur_probs
    result.reference_probs = ref_probs
    result.reference_labels = np.asarray(labels)


def _run_fitted_model_checks(result, model, ref_frame, cur_frame, *, correction: str = "fdr",
                             alpha: float = 0.05) -> None:
    """Prediction shift and OOD share from an already fitted model (no reference labels)."""
    from dataqa.ood import logits_from_probs, msp_score

    if not hasattr(model, "predict_proba"):
        raise InvalidSettingError(f"model {type(model).__name__} has no predict_proba; give a "
                                  f"fitted probabilistic classifier.")
    probs = []
    for frame, name in ((ref_frame, "reference"), (cur_frame, "current")):
        try:
            probs.append(np.asarray(model.predict_proba(frame), dtype=np.float64))
        except Exception as exc:  # the user's model refuses the columns
            raise InvalidSettingError(
                f"model.predict_proba failed on the {name} table's columns "
                f"({', '.join(map(str, frame.columns[:10]))}): {type(exc).__name__}: {exc}. "
                f"Without label_column the model must be fitted and take these columns as a "
                f"DataFrame; or give label_column to fit one.") from None
    ref_probs, cur_probs = probs
    names = [str(c) for c in getattr(model, "classes_", range(ref_probs.shape[1]))]
    frame = prediction_drift(ref_probs, cur_probs, class_names=names, correction=correction)
    frame["drifted"] = frame["p_adjusted"] <= alpha
    result.prediction_drift = frame
    result.ood = ood_fraction(msp_score(logits_from_probs(ref_probs)),
                              msp_score(logits_from_probs(cur_probs)))
    result.class_names = names
    result.current_probs = cur_probs
