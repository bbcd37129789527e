"""Checks through a model's outputs: prediction shift, label shift, accuracy, OOD share.

All take out-of-sample probabilities on the reference (``ref_probs``, e.g. from
:func:`dataqa.audit.pred_probs.out_of_sample_pred_probs`) with the reference labels, and
the model's probabilities on the current data (``cur_probs``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataqa._validation import check_int, check_labels, check_pred_probs
from dataqa.errors import (
    DataqaError,
    FeatureTypeError,
    InvalidSettingError,
    LengthMismatchError,
    UnknownNameError,
)

__all__ = ["ACCURACY_METHODS", "DRIFT_OOD_SCORES", "bbse_priors", "label_shift",
           "estimate_accuracy", "ood_fraction", "prediction_drift", "deal_rows", "score_dealt"]


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
    return _bbse_shares(pred_ref, y_ref, np.bincount(pred_cur, minlength=k) / len(pred_cur), k)


def _bbse_shares(pred_ref: np.ndarray, y_ref: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """BBSE from the current shares ``q`` (K,) of the predicted classes."""
    return _solve_shares(_confusion(pred_ref, y_ref, k), q)


def _confusion(pred_ref: np.ndarray, y_ref: np.ndarray, k: int) -> np.ndarray:
    """``M[i, j] = P(predicted i | true j)`` on the reference (a column of zeros for a
    class without reference rows)."""
    conf = np.zeros((k, k))
    np.add.at(conf, (pred_ref, y_ref), 1.0)
    counts = conf.sum(axis=0)
    M = conf / np.where(counts > 0, counts, 1.0)
    M[:, counts == 0] = 0.0
    return M


def _solve_shares(M: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The class shares ``pi`` with ``M pi = q``: non-negative least squares, scaled to
    sum to 1."""
    from scipy.optimize import nnls

    pi, _ = nnls(M, q)
    s = pi.sum()
    return pi / s if s > 0 else np.full(len(q), 1.0 / len(q))


def _solve_columns(M: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """:func:`_solve_shares` for each column of ``qs`` (K, m): one linear solve for all,
    non-negative least squares only for the columns whose solution has a negative share
    (or all of them when ``M`` is singular), as the solution of ``M pi = q`` with
    ``pi >= 0`` is the linear one whenever that one is non-negative."""
    k, m = qs.shape
    try:
        X = np.linalg.solve(M, qs)
        bad = (X < 0).any(axis=0) | ~np.isfinite(X).all(axis=0)
    except np.linalg.LinAlgError:
        X, bad = np.empty((k, m)), np.ones(m, dtype=bool)
    for col in np.flatnonzero(bad):
        X[:, col] = _solve_shares(M, qs[:, col])
    good = ~bad
    if good.any():
        sums = X[:, good].sum(axis=0)
        X[:, good] = np.where(sums > 0, X[:, good] / np.where(sums > 0, sums, 1.0), 1.0 / k)
    return X


def _class_share_draw(counts: np.ndarray, j: int, rng) -> np.ndarray:
    """Current shares of the predicted classes for class ``j``'s bootstrap draw: class
    ``j``'s share from its Jeffreys posterior Beta(x + 1/2, n - x + 1/2), the rest split
    among the other classes by a Bayesian bootstrap of their counts (a class with no row
    keeps none). Each class gets its own draw so that a class no row is predicted as
    still gets some weight, without the other classes' prior weight pulling a common
    class towards 1/K (a K-class Dirichlet(counts + 1/2) adds K/2 rows)."""
    n = counts.sum()
    share = rng.beta(counts[j] + 0.5, n - counts[j] + 0.5)
    rest = np.delete(counts, j)
    g = np.zeros_like(rest)
    g[rest > 0] = rng.standard_gamma(rest[rest > 0])
    rest = g / g.sum() if g.sum() > 0 else np.full(len(rest), 1.0 / len(rest))
    return np.insert(rest * (1.0 - share), j, share)


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
    priors the current sample was drawn with), from ``n_bootstrap`` draws that each
    resample the reference rows (the confusion matrix) and, for each class, draw the
    current share of that predicted class from its Jeffreys posterior
    Beta(x + 1/2, n - x + 1/2) (the other classes sharing the rest by a Bayesian
    bootstrap of their counts). Unlike resampling the current rows, this gives a class
    predicted for none of a few dozen rows some weight; unlike one Dirichlet(counts +
    1/2) over all classes, it does not pull a common class towards 1/K when K is large.
    With two classes one draw serves both (the other's share is one minus it, drawn from
    its own posterior), so their intervals are complementary.
    Each class's interval holds its true share with about ``confidence`` probability,
    checked by simulation in the tests (down to 20 current rows, up to 20 classes) and
    in ``docs/drift.md`` (up to 50 classes). Cost: K solves per draw (50 classes, 30
    rows: about 3 s for 500 draws); above :data:`PER_CLASS_DRAW_MAX_CLASSES` classes one
    solve per draw, all shares drawn at once from Dirichlet(counts + 1/2), whose K/2
    added rows pull a common class's interval towards 1/K unless the current rows are
    many more than K (50 classes, 30 rows, a class of 60%: coverage 0.00 that way, 0.90
    per class).

    Returns
    -------
    dict with arrays (K,): ``prior``, ``low``, ``high``, ``reference_prior`` and
    ``moved`` (bool: the class's share differs from the reference's beyond chance, by a
    bootstrap interval of the difference that also counts the reference sample's noise,
    Bonferroni-corrected over the classes; see :func:`_moved`).
    """
    P, y, Q = _inputs(ref_probs, ref_labels, cur_probs)
    B = check_int(n_bootstrap, "n_bootstrap")
    c = _confidence(confidence)
    boot = _reference_bootstrap(P.argmax(1), y, P.shape[1], B, random_state)
    return _label_shift_with(boot, Q.argmax(1), c)


#: Up to this many classes, :func:`label_shift` draws each class's share apart (K solves
#: per bootstrap draw; 50 classes, 30 rows, 500 draws: about 3 s); above it, all shares
#: at once from Dirichlet(counts + 1/2), which is fast but pulls a common class's
#: interval towards 1/K in a window of few rows (100 classes: about 14 s per class-wise
#: window, so the joint draw is kept there).
PER_CLASS_DRAW_MAX_CLASSES = 50


def _reference_bootstrap(pred_ref: np.ndarray, y_ref: np.ndarray, k: int, n_bootstrap: int,
                         random_state) -> dict:
    """The reference's part of :func:`label_shift`: its confusion matrix, and (up to
    :data:`PER_CLASS_DRAW_MAX_CLASSES` classes) one from each of ``n_bootstrap``
    resamples of its rows, with a copy of the generator after them, so that windows
    compared with one reference share this work and each gets the draws
    :func:`label_shift` would make. With more classes the resamples are drawn with the
    current shares instead (keeping B x K x K numbers would take too much memory)."""
    import copy

    rng = np.random.default_rng(random_state)
    n = len(y_ref)
    boots = ref_priors = None
    if k <= PER_CLASS_DRAW_MAX_CLASSES:
        boots, ref_priors = np.empty((n_bootstrap, k, k)), np.empty((n_bootstrap, k))
        for b in range(n_bootstrap):  # (one resample's rows at a time: B x n would not fit)
            i = rng.integers(0, n, n)
            boots[b] = _confusion(pred_ref[i], y_ref[i], k)
            ref_priors[b] = np.bincount(y_ref[i], minlength=k) / n
    return {"M": _confusion(pred_ref, y_ref, k), "boots": boots, "ref_priors": ref_priors,
            "rng": copy.deepcopy(rng), "pred_ref": pred_ref, "y_ref": y_ref,
            "n_bootstrap": int(n_bootstrap),
            "reference_prior": np.bincount(y_ref, minlength=k) / n}


def _label_shift_with(boot: dict, pred_cur: np.ndarray, confidence: float) -> dict:
    """:func:`label_shift` from :func:`_reference_bootstrap` and the current rows'
    predicted classes."""
    import copy

    k = boot["M"].shape[0]
    counts = np.bincount(pred_cur, minlength=k).astype(np.float64)
    if counts.sum() == 0:
        raise InvalidSettingError("cur_probs has no rows; give at least one current row.")
    est = _solve_shares(boot["M"], counts / counts.sum())
    rng = copy.deepcopy(boot["rng"])  # any generator, used afresh for every window
    draws = np.empty((boot["n_bootstrap"], k))
    # the current rows' part of each draw: its shares solved with the reference's own
    # confusion matrix (no resample), kept at least as wide as without a change of the
    # mix (:func:`_null_current_spread`)
    current = np.empty_like(draws)
    ref_priors = boot["ref_priors"]
    M0 = boot["M"]
    if boot["boots"] is None:  # many classes: one draw for all classes, K times cheaper
        pr, y = boot["pred_ref"], boot["y_ref"]
        ref_priors = np.empty_like(draws)
        for b in range(len(draws)):
            i = rng.integers(0, len(y), len(y))
            ref_priors[b] = np.bincount(y[i], minlength=k) / len(y)
            q = rng.dirichlet(counts + 0.5)
            draws[b] = _solve_shares(_confusion(pr[i], y[i], k), q)
            current[b] = _solve_shares(M0, q)
    elif k == 2:  # one draw serves both: 1 - Beta(x + 1/2, n - x + 1/2) is the other's,
        # and the two intervals come out complementary
        qs = np.empty((len(draws), k))
        for b, M in enumerate(boot["boots"]):
            qs[b] = _class_share_draw(counts, 0, rng)
            draws[b] = _solve_columns(M, qs[b][:, None])[:, 0]
        current[:] = _solve_columns(M0, qs.T).T
    else:
        qs = np.empty((len(draws), k, k))  # draw b, predicted class, class j's draw
        for b, M in enumerate(boot["boots"]):
            qs[b] = np.stack([_class_share_draw(counts, j, rng) for j in range(k)], axis=1)
            draws[b] = np.diagonal(_solve_columns(M, qs[b]))
        for j in range(k):
            current[:, j] = _solve_columns(M0, qs[:, :, j].T)[j]
    lo, hi = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2], axis=0)
    # each interval holds its estimate: a class no current row is predicted as, which the
    # model never confuses with another, is estimated at 0 and every draw is above 0
    est = np.where(est < 1e-12, 0.0, est)  # (a share solved to 1.9e-16 is none)
    lo, hi = np.minimum(lo, est), np.maximum(hi, est)
    se = None
    if len(draws) >= 2:
        # the spread of a difference: the reference rows' part of each draw, and the
        # current rows' part; for a class predicted in fewer current rows than the
        # reference's predictions expect, at least as wide as with the current rows'
        # classes predicted as the reference's are (no change of the mix)
        ref_part = draws - current - ref_priors
        null = _null_current_spread(M0, boot["pred_ref"], int(counts.sum()), len(draws), rng)
        expected = np.bincount(boot["pred_ref"], minlength=k) / len(boot["pred_ref"])
        cur_var = current.var(axis=0, ddof=1)
        fewer = counts / counts.sum() < expected
        if k == 2:  # one test: both classes with one spread (one of two is always fewer)
            fewer[:] = True
        se = np.sqrt(ref_part.var(axis=0, ddof=1)
                     + np.where(fewer, np.maximum(cur_var, null), cur_var))
    return {"prior": est, "low": lo, "high": hi,
            "reference_prior": boot["reference_prior"].copy(),
            "moved": _moved(draws - ref_priors, est - boot["reference_prior"],
                            1 - confidence, se)}


def _null_current_spread(M: np.ndarray, pred_ref: np.ndarray, n: int, n_draws: int,
                         rng) -> np.ndarray:
    """Per class, the variance of the current share's estimate (solved with the
    reference's confusion matrix ``M``) over ``n_draws`` tables of ``n`` current rows
    whose predicted classes are drawn as the reference's are: its sampling spread
    without a change of the class mix, cut at 0 as the estimate is."""
    k = M.shape[0]
    q0 = np.bincount(pred_ref, minlength=k) / len(pred_ref)
    shares = rng.multinomial(n, q0, size=n_draws) / n
    return _solve_columns(M, shares.T).var(axis=1, ddof=1)


def _moved(diffs: np.ndarray, point: np.ndarray, alpha: float,
           se: np.ndarray | None = None) -> np.ndarray:
    """Which classes' shares moved, from bootstrap draws (B, K) of the current share less
    the reference's (the reference's share is itself a sample's, drawn from the same
    reference rows as the confusion matrix) and the estimated difference ``point``.
    A class moved when both the percentile interval of its difference and the normal
    one (the estimate plus or minus z times ``se``, default the draws' standard
    deviation) leave 0 out, at level ``alpha`` shared among the classes (Bonferroni: one
    test with two classes, whose differences are opposite): the percentile ends are
    noisy at the small tail shares many classes ask for (8 classes: 8.5% of 200 no-shift
    runs marked some class), the normal one is off for the skewed shares of a few dozen
    rows (7.0% with 30 rows). (Before, a class was marked when the interval of the
    current share alone left the reference sample's share out: 13-15% of intervals
    without shift, with 3 classes and 1,000 rows a side.)

    :func:`label_shift` gives ``se`` from two parts of each draw: the reference rows'
    (its resampled confusion matrix and share) and the current rows' (their shares
    solved with the reference's own matrix), the latter, for a class predicted in fewer
    current rows than the reference's predictions expect, at least as wide as without a
    change of the mix (:func:`_null_current_spread`), and with two classes for both
    (one test: a spread per class had marked the class seen more often alone). Taken at
    the counts seen, a class seen in 1-4 current rows of an expected 10 (20 and 60
    classes) got the narrow
    spread of its low count and marked some class in 9-20% of no-shift runs. Widening
    the whole spread by the ratio of binomial deviations then left a class gone from
    the current rows unmarked (SMS, 12.8% spam in the reference and none in 800 current
    rows: z about 1) while 4 spam rows among them were marked, and widening only the
    current part by that ratio marked some class in 8% of no-shift runs with 60
    classes: an estimate cut at 0 has draws narrower than the ratio says."""
    from scipy.stats import norm

    k = diffs.shape[1]
    if diffs.shape[0] < 2:  # (one draw has no spread: nothing can be told)
        return np.zeros(k, dtype=bool)
    a = alpha / (1 if k == 2 else k)
    lo, hi = np.quantile(diffs, [a / 2, 1 - a / 2], axis=0)
    se = diffs.std(axis=0, ddof=1) if se is None else np.asarray(se, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, np.abs(point) / np.where(se > 0, se, 1.0),
                     np.where(point != 0, np.inf, 0.0))
    return ((lo > 0) | (hi < 0)) & (z > norm.ppf(1 - a / 2))


# ----------------------------------------------------------------- accuracy without labels

#: Methods of :func:`estimate_accuracy` (name -> one-line summary).
ACCURACY_METHODS = {
    "cbpe": "isotonic map of the largest probability to P(correct), averaged (NannyML's CBPE)",
    "atc": "share of current items above the reference's negative-entropy threshold (ATC-NE)",
    "atc_mc": "share of current items above the reference's max-probability threshold (ATC-MC)",
    "doc": "reference accuracy minus the drop in mean largest probability (DoC)",
    "ts": "mean largest probability after temperature scaling fitted on the reference",
}


def _neg_entropy(P: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(P > 0, P * np.log(P), 0.0), axis=1)


def _atc_threshold(s_ref: np.ndarray, acc: float) -> tuple[float, float]:
    """Threshold t and tie weight lam with mean(s > t) + lam * mean(s == t) = acc."""
    d = np.sort(s_ref)[::-1]
    n = len(d)
    t = float(d[min(int(np.floor(acc * n)), n - 1)])
    above = float(np.mean(s_ref > t))
    tie = float(np.mean(s_ref == t))
    return t, (acc - above) / tie


def _atc(s_ref, correct, s_cur) -> float:
    t, lam = _atc_threshold(s_ref, float(correct.mean()))
    return float(np.mean(s_cur > t) + lam * np.mean(s_cur == t))


def _temperature(logp: np.ndarray, y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar
    from scipy.special import logsumexp

    def nll(log_t):
        z = logp / np.exp(log_t)
        return float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(y)), y]))

    return float(np.exp(minimize_scalar(nll, bounds=(-4.0, 4.0), method="bounded").x))


def _softmax_max(logp: np.ndarray, T: float) -> np.ndarray:
    from scipy.special import softmax

    return softmax(logp / T, axis=1).max(1)


def _point(method: str, P, y, Q, ref_rows=None) -> tuple[float, np.ndarray | None]:
    """The estimate from reference rows ``ref_rows`` (all when None), and for "cbpe"
    the per-item chance of a right prediction."""
    if ref_rows is not None:
        P, y = P[ref_rows], y[ref_rows]
    correct = (P.argmax(1) == y).astype(np.float64)
    if method == "cbpe":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        g = iso.fit(P.max(1), correct).predict(Q.max(1))
        return float(g.mean()), g
    if method == "atc":
        return _atc(_neg_entropy(P), correct, _neg_entropy(Q)), None
    if method == "atc_mc":
        return _atc(P.max(1), correct, Q.max(1)), None
    if method == "doc":
        return float(np.clip(correct.mean() - P.max(1).mean() + Q.max(1).mean(), 0, 1)), None
    if method == "ts":
        lp, lq = np.log(np.clip(P, 1e-12, 1)), np.log(np.clip(Q, 1e-12, 1))
        T = _temperature(lp, y)
        return float(_softmax_max(lq, T).mean()), None
    if method == "cbpe_atc":
        return 0.5 * (_point("cbpe", P, y, Q)[0] + _point("atc", P, y, Q)[0]), None
    raise InvalidSettingError(f"method={method!r} is not an accuracy method; choose one of "
                              f"{', '.join(sorted(ACCURACY_METHODS))}.")


def _point_estimate(method: str, P, y, Q) -> float:
    return _point(method, P, y, Q)[0]


def _accuracy_parts(method: str, P, y, Q, n_bootstrap: int, rng) -> tuple[float, float, float]:
    """Estimate; variance of the realised accuracy around it from the current items'
    Bernoulli outcomes (for ATC at least that of right less above the threshold, read on
    the reference); variance of the estimate from the reference rows (exact for
    "doc", whose estimate is linear in them; else bootstrap over resampled reference rows)."""
    est, g = _point(method, P, y, Q)
    m, n = len(Q), len(y)
    correct = (P.argmax(1) == y).astype(np.float64)
    if g is not None:
        var_items = float(np.sum(g * (1 - g)) / m ** 2)
    else:  # the largest sum of Bernoulli variances with mean est
        var_items = est * (1 - est) / m
    if method in ("atc", "atc_mc") and n > 1:
        # the estimate counts the current items above the threshold, the accuracy those
        # right: the error is the mean of (right - above) over the current items, whose
        # spread (read on the reference) exceeds a Bernoulli one when the two often
        # disagree (no shift, margin 0: 92% coverage without this over 400 draws)
        s = _neg_entropy(P) if method == "atc" else P.max(1)
        t, lam = _atc_threshold(s, float(correct.mean()))
        above = (s > t) + lam * (s == t)
        var_items = max(var_items, float(np.var(correct - above, ddof=1)) / m)
    if method == "doc":
        var_ref = float(np.var(correct - P.max(1), ddof=1) / n) if n > 1 else 0.0
    else:
        boot = np.array([_point(method, P, y, Q, rng.integers(0, n, n))[0]
                         for _ in range(n_bootstrap)])
        var_ref = float(boot.var(ddof=1)) if n_bootstrap > 1 else 0.0
    k = correct.sum()
    if k in (0, n):  # resampling a reference without errors (or without hits) shows no spread
        a = (k + 0.5) / (n + 1)  # Jeffreys
        var_ref = max(var_ref, a * (1 - a) / n)
    return est, var_items, var_ref


def estimate_accuracy(ref_probs, ref_labels, cur_probs, *, method: str = "doc",
                      n_bootstrap: int = 200, confidence: float = 0.95,
                      shift_margin: float = 2.0, random_state=0) -> dict:
    """Accuracy of the model on the current items, estimated without their labels.

    Every method sees only the model's probabilities: out-of-fold ``ref_probs`` with
    ``ref_labels`` on the reference, ``cur_probs`` on the current items.

    - ``"doc"`` (default; difference of confidences, Guillory et al. 2021): the
      reference accuracy minus the drop in mean largest probability from the reference
      to the current items. It assumes the accuracy moves one for one with the mean
      confidence.
    - ``"atc"``: average thresholded confidence (Garg et al. 2022) on negative entropy:
      the threshold puts as large a share of the reference above it as the reference's
      accuracy (ties shared fractionally); the estimate is the share of current items
      above it. ``"atc_mc"``: the same on the largest probability.
    - ``"cbpe"`` (as NannyML's CBPE): an isotonic map from the largest probability to
      the chance of a right prediction, fitted on the reference, averaged over the
      current items. It assumes ``P(correct | confidence)`` is the same in both.
    - ``"ts"``: temperature scaling fitted on the reference (log loss), then the mean
      largest calibrated probability of the current items.

    ``"doc"`` is the default because it had the lowest mean absolute error over the
    covariate shifts of ``benchmarks/perf_tuning.py`` (wine, breast cancer, a Gaussian
    mixture, SMS texts; logistic regression, random forest, kNN). None of them sees a
    shift that changes which items are right without changing the model's confidence
    (concept shift, or a shift the model is blind to).

    The interval is one for **the accuracy the model has on these current items** (the
    share it would get right once they are labelled). Half-width
    ``z * sqrt(v_items + v_ref) + shift_margin * |delta|``: ``v_items`` is the
    Bernoulli variance of the items' outcomes around the estimate (for ``"atc"`` and
    ``"atc_mc"`` at least the variance, read on the reference, of "right" less "above
    the threshold", whose mean over the current items is the estimate's error), ``v_ref`` the
    variance of the estimate from the finite reference (exact for ``"doc"``, else
    ``n_bootstrap`` bootstrap refits; when the reference has no error a Jeffreys
    binomial variance stands in), and ``delta`` the change in mean largest probability
    from reference to current. With ``shift_margin=0`` it covers sampling error alone
    and holds its rate only while the method's assumption holds (checked by simulation
    in the tests). The margin adds room for the assumption failing, in proportion to
    how far the model's confidence moved (zero when nothing moved): with the default 2
    and ``"doc"`` (estimate = reference accuracy + delta) the interval reaches, on both
    sides of the estimate, from "accuracy moved three times as much as the confidence"
    to "accuracy moved as much the other way" (cut at 0 and 1). The
    default was chosen on the tuning shifts of ``benchmarks/perf_tuning.py``, where it
    covered the realised accuracy in 92% of shifted and 91% of unshifted draws (margin
    0: 51% and 64%; mean width 0.14 and 0.06); re-checked with the current rows scored
    as :func:`~dataqa.drift.detect_drift` scores them (:func:`deal_rows`) and one more
    shift: 93% and 91% (margin 0: 54% and 72%). It is not a guarantee: a shift that
    changes which items are right without moving the confidence escapes it.

    Parameters
    ----------
    ref_probs : array (n, K), out-of-fold probabilities on the reference.
    ref_labels : array (n,), the reference labels.
    cur_probs : array (m, K), the model's probabilities on the current items.
    method : {"doc", "atc", "atc_mc", "cbpe", "ts"}
    n_bootstrap : int, reference resamples for the interval (not used by "doc").
    confidence : float in (0, 1), the interval's nominal coverage.
    shift_margin : float >= 0, widening per unit change in mean confidence (0: sampling
        error only).
    random_state : seed of the bootstrap.

    Returns
    -------
    dict: ``estimate``, ``low``, ``high``, ``reference_accuracy`` (out-of-fold),
    ``method``.
    """
    from scipy.stats import norm

    P, y, Q = _inputs(ref_probs, ref_labels, cur_probs)
    B = check_int(n_bootstrap, "n_bootstrap")
    c = _confidence(confidence)
    if not isinstance(method, str) or method not in ACCURACY_METHODS:
        raise InvalidSettingError(f"method={method!r} is not an accuracy method; choose one of "
                                  f"{', '.join(sorted(ACCURACY_METHODS))}.")
    margin = float(shift_margin)
    if not np.isfinite(margin) or margin < 0:
        raise InvalidSettingError(f"shift_margin={shift_margin!r} must be a number >= 0 (0: no "
                                  f"widening for the change in confidence).")
    rng = np.random.default_rng(random_state)
    est, v_items, v_ref = _accuracy_parts(method, P, y, Q, B, rng)
    dconf = abs(float(Q.max(1).mean() - P.max(1).mean()))
    half = float(norm.ppf((1 + c) / 2)) * np.sqrt(v_items + v_ref) + margin * dconf
    return {"estimate": est, "low": float(max(0.0, est - half)),
            "high": float(min(1.0, est + half)),
            "reference_accuracy": float(np.mean(P.argmax(1) == y)), "method": method}


def ood_fraction(ref_scores, cur_scores, *, quantile: float = 0.95) -> dict:
    """Share of current items whose OOD score (higher = more unfamiliar) is above the
    threshold that ``quantile`` of the reference items stay at or below.

    Items whose score equals the threshold count with the weight ``tie_weight`` that
    brings the reference's own share to exactly ``1 - quantile``: models with few
    distinct probabilities (k-nearest neighbours, small trees) put many items on the
    threshold, and counting none of them (or all) would read about 0 (or far more than
    5%) without shift. With no shift the share is then about ``1 - quantile`` (5%).

    Returns
    -------
    dict: ``fraction``, ``threshold``, ``tie_weight``, ``expected`` (= 1 - quantile).
    """
    # scores equal up to rounding (the same probabilities in another class order can
    # differ in the last bit) are the same score
    r = np.round(np.asarray(ref_scores, dtype=np.float64), 12)
    s = np.round(np.asarray(cur_scores, dtype=np.float64), 12)
    q = float(quantile)
    if not 0 < q < 1:
        raise InvalidSettingError(f"quantile={quantile!r} must lie strictly between 0 and 1.")
    thr = float(np.quantile(r, q, method="higher"))
    tied = float(np.mean(r == thr))
    lam = min(1.0, max(0.0, (1 - q - float(np.mean(r > thr))) / tied)) if tied else 0.0
    frac = float(np.mean(s > thr) + lam * np.mean(s == thr))
    return {"fraction": frac, "threshold": thr, "tie_weight": lam,
            "expected": round(1 - q, 12)}  # 0.05, not 0.050000000000000044


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


class _FoldInputs:
    """The model's features for one cross-validation fold.

    Numeric and categorical columns: the drift features (scaled and encoded by the
    reference, so they do not depend on the current data), less those constant on the
    reference. A text column's features are
    fitted on the fold's training rows alone, as a deployed model's are: TF-IDF
    (:class:`~dataqa.features.TfidfFeaturizer`) when the table is that one column, else
    TF-IDF reduced by truncated SVD and standardised, beside the other columns. The
    fold's held-out reference rows and the current rows it scores are then both unseen
    text to it (without shift their probabilities have the same distribution), and the
    reference's out-of-fold probabilities do not depend on the current data. Fitting the
    text features once on the pooled tables, as the two-sample tests do, made them depend
    on it; fitting them once on the whole reference made the held-out rows' words known
    and the current rows' not (on SMS the class prior read 0.009 too high without shift).
    With ``text_features="embedding"`` the ``texts`` are the columns' sentence embeddings
    (reference, current), used as they are: a pretrained model fits nothing.
    """

    def __init__(self, feats, texts=None, *, n_components: int = 32, random_state=0,
                 text_features: str = "tfidf", counted: dict | None = None):
        self.feats = feats
        self.texts = texts or {}
        # text column -> CountedTexts of its reference then current texts (read once)
        self.counted = dict(counted or {})
        self.text_features = text_features
        self.n_components = n_components
        self.random_state = random_state
        in_text = np.zeros(feats.reference.shape[1], dtype=bool)
        for col, sl in feats.text_blocks.items():
            if col in self.texts:
                in_text[sl] = True
        # columns constant on the reference (a missing-value indicator that only the
        # current table sets) tell a model trained on the reference nothing; left out,
        # the model does not depend on the current table through them
        varies = (np.ptp(feats.reference, axis=0) > 0 if feats.reference.shape[0]
                  else np.zeros(feats.reference.shape[1], dtype=bool))
        self.dense = np.flatnonzero(~in_text & varies)
        only_text = len(self.texts) == 1 and self.dense.size == 0
        self.kind = text_features if only_text else "numeric"

    def fold(self, train: np.ndarray, test: np.ndarray, current: np.ndarray) -> tuple:
        """Features of reference rows ``train`` and ``test`` and of current rows
        ``current``. A text column whose training rows hold no text adds no features in
        that fold; with no feature at all, one zero column (the model learns the class
        shares)."""
        from dataqa.features import CountedTexts

        parts = []
        if self.dense.size:
            parts.append([self.feats.reference[np.ix_(train, self.dense)],
                          self.feats.reference[np.ix_(test, self.dense)],
                          self.feats.current[np.ix_(current, self.dense)]])
        for col, (ref_texts, cur_texts) in self.texts.items():
            if self.text_features == "embedding":  # a fixed model: nothing to fit
                parts.append([ref_texts[train], ref_texts[test], cur_texts[current]])
                continue
            if col not in self.counted or self.counted[col].n != len(ref_texts) + len(cur_texts):
                self.counted[col] = CountedTexts([*ref_texts, *cur_texts])
            counts, n_ref = self.counted[col], len(ref_texts)
            try:  # (as TfidfFeaturizer fitted on the training texts)
                f = counts.fit(train)
            except FeatureTypeError:  # the fold's training texts are all blank
                continue
            T = [f.transform(train), f.transform(test), f.transform(n_ref + current)]
            if self.kind == "tfidf":
                return tuple(T)
            from sklearn.decomposition import TruncatedSVD

            k = max(1, min(self.n_components, T[0].shape[1] - 1, T[0].shape[0] - 1))
            svd = TruncatedSVD(k, random_state=self.random_state).fit(T[0])
            Z = [svd.transform(t) if t.shape[0] else np.zeros((0, k)) for t in T]
            mu, sd = Z[0].mean(axis=0), Z[0].std(axis=0)
            parts.append([(z - mu) / np.where(sd > 0, sd, 1.0) for z in Z])
        if not parts:
            return tuple(np.zeros((len(rows), 1)) for rows in (train, test, current))
        return tuple(np.hstack([p[j] for p in parts]) for j in range(3))


def _placed(model, X, n_classes: int) -> np.ndarray:
    """``model.predict_proba(X)`` with its columns placed by ``model.classes_`` (ints
    ``0 .. n_classes - 1``): a class the model lacks gets 0."""
    out = np.zeros((X.shape[0], int(n_classes)))
    if X.shape[0]:
        out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X)
    return out


#: OOD scores of the drift checks' OOD share (the :mod:`dataqa.ood` scores that need no
#: model internals): from the model's probabilities, or from dataqa's drift features,
#: fitted on the other folds of the reference (kNN; Mahalanobis, which needs the
#: reference's labels for its class means). Max-logit and energy need raw logits: from
#: probabilities the first ranks rows as MSP does and the second is the same for all.
DRIFT_OOD_SCORES = ("msp", "entropy", "knn", "mahalanobis")
#: Neighbour whose distance is the kNN score (a fifth of a fold's training rows when
#: they are fewer than 5 x this).
DRIFT_KNN_K = 50


def check_ood_score(name: str, *, has_labels: bool) -> str:
    """``name`` if the drift checks can compute it, else a DataqaError saying why."""
    if name in DRIFT_OOD_SCORES:
        if name == "mahalanobis" and not has_labels:
            raise InvalidSettingError(
                "--ood-score mahalanobis (API: ood_score='mahalanobis') needs the reference's "
                "labels for its class means: give --label-column (API: label_column), or use "
                "'knn'.")
        return name
    if name in ("max_logit", "energy"):
        raise InvalidSettingError(
            f"--ood-score {name} (API: ood_score={name!r}) needs the model's raw logits, which the drift checks do not "
            f"have: from probabilities max_logit ranks rows as msp does and energy is the "
            f"same for every row. Use one of {', '.join(DRIFT_OOD_SCORES)}, or compute it "
            f"with dataqa.ood.score_ood and compare with dataqa.drift.ood_fraction.")
    import sys

    # the names that need a model's internals; the registry (which imports torch) is
    # asked only when loaded already, for methods registered since
    internals = _BUILTIN_INTERNAL_SCORES
    if "dataqa.ood.api" in sys.modules:
        from dataqa.ood import ood_method_names

        internals = ood_method_names()
    if name in internals:
        raise InvalidSettingError(
            f"--ood-score {name} (API: ood_score={name!r}) needs the model's internals (a "
            f"torch model or its gradients), which the drift checks do not have; compute it with dataqa.ood.score_ood on "
            f"held-out reference rows and the current rows and compare them with "
            f"dataqa.drift.ood_fraction, or use one of {', '.join(DRIFT_OOD_SCORES)}.")
    exc = UnknownNameError("ood score", name, DRIFT_OOD_SCORES)
    exc.args = (f"--ood-score {name} (API: ood_score={name!r}) is not known; use one of "
                f"{', '.join(exc.known)}.",)
    raise exc


#: dataqa.ood's built-in scores that need a model's internals (ODIN, the gradient norm)
#: or its raw logits, by name.
_BUILTIN_INTERNAL_SCORES = ("odin", "gradient", "max_logit", "energy")


def _feature_ood(name: str, F_train: np.ndarray, y_train, F_score: np.ndarray) -> np.ndarray:
    """kNN or Mahalanobis scores of ``F_score`` against the fitted rows ``F_train``."""
    from dataqa.ood import KNNDetector, MahalanobisDetector

    if len(F_score) == 0:
        return np.zeros(0)
    if name == "knn":  # standardised features: distances, not directions (no L2 norming)
        det = KNNDetector(k=max(1, min(DRIFT_KNN_K, len(F_train) // 5)), normalize=False)
        return det.fit(F_train).score(F_score)
    try:
        return MahalanobisDetector().fit(F_train, y_train).score(F_score)
    except InvalidSettingError as exc:
        raise InvalidSettingError(
            f"--ood-score mahalanobis (API: ood_score='mahalanobis') cannot be fitted on a "
            f"fold of this reference: {exc} Use --ood-score knn (API: ood_score='knn'), which needs no classes, or a larger "
            f"reference.") from None


def _fill_ood(result, name: str, ref_probs, cur_probs, feats, labels, splits, dealt) -> None:
    """``result.ood`` and the per-row OOD scores. Probability scores come from the
    probabilities as they are; a distance score is fitted on each split's training rows
    of the drift features and scores its held-out reference rows and the current rows
    dealt to it (``dealt[i]`` is the split of current row ``i``)."""
    if name in ("knn", "mahalanobis"):
        ref_ood = np.zeros(feats.reference.shape[0])
        cur_ood = np.zeros(feats.current.shape[0])
        for f, (train, test) in enumerate(splits):
            mine = np.flatnonzero(dealt == f)
            y_train = None if labels is None else labels[train]
            ref_ood[test] = _feature_ood(name, feats.reference[train], y_train,
                                         feats.reference[test])
            cur_ood[mine] = _feature_ood(name, feats.reference[train], y_train,
                                         feats.current[mine])
    else:  # (dataqa.ood.scores, not score_ood: its module imports torch, 11 s at start)
        from dataqa.ood.scores import entropy_score, logits_from_probs, msp_score

        score = {"msp": msp_score, "entropy": entropy_score}[name]
        ref_ood, cur_ood = (score(logits_from_probs(p)) for p in (ref_probs, cur_probs))
    result.ood = {**ood_fraction(ref_ood, cur_ood), "score": name}
    result.reference_ood_scores, result.current_ood_scores = ref_ood, cur_ood


def deal_rows(n: int, folds: int, random_state=0) -> np.ndarray:
    """Which fold model scores each of ``n`` current rows: the rows dealt to the
    ``folds`` models in equal shares (sizes differ by at most one), in a seeded random
    order. Scored so, current rows are scored as the reference's out-of-fold rows are:
    each by one model that did not see it."""
    return np.random.default_rng(random_state).permutation(int(n)) % int(folds)


def score_dealt(models, X, n_classes: int, random_state=0) -> np.ndarray:
    """Probabilities (n, ``n_classes``) of the rows of ``X``, each row scored by one of the
    fitted ``models`` as :func:`deal_rows` deals them; a model's ``classes_`` (ints
    ``0 .. n_classes - 1``) place its columns, so a model that lacks a class gives it 0."""
    dealt = deal_rows(X.shape[0], len(models), random_state)
    out = np.zeros((X.shape[0], int(n_classes)))
    for f, m in enumerate(models):
        mine = np.flatnonzero(dealt == f)
        out[mine] = _placed(m, X[mine], n_classes)
    return out


def _run_model_checks(result, feats, labels: np.ndarray, class_names: list[str], *, model=None,
                      ood_score: str = "msp",
                      correction: str = "fdr", alpha: float = 0.05, random_state=0,
                      texts: dict | None = None, text_features: str = "tfidf",
                      counted: dict | None = None) -> None:
    """Fill the model-aware parts of a :class:`~dataqa.drift.result.DriftResult`.

    Stratified 5-fold cross-validation on the reference, as
    :func:`dataqa.audit.pred_probs.out_of_sample_pred_probs` does (same splitter, same
    folds, but copies labeled differently are not moved into one fold here): out-of-fold
    probabilities on the reference, and each current row scored by
    one fold model (the rows dealt to the folds in equal shares, in a seeded random
    order). Every row of either table is then scored the same way, by one model that did
    not see it, so without shift the two tables' probabilities have the same
    distribution. A model refitted on the whole reference, or the mean of the fold
    models, would be more accurate and less confident than the out-of-fold models whose
    errors the reference's confusion matrix and calibration measure: the mean of five
    k-nearest-neighbour models put 22% of unshifted rows above the 95% OOD threshold and
    read the accuracy 0.04 too low. ``texts`` (text column -> (reference texts, current
    texts), object arrays) are featurised per fold (:class:`_FoldInputs`). Then
    :func:`prediction_drift`,
    :func:`label_shift`, :func:`estimate_accuracy` and :func:`ood_fraction` (``ood_score``,
    one of :data:`DRIFT_OOD_SCORES`; kNN and Mahalanobis are fitted on the same folds'
    training rows of the drift features and score the same held-out and dealt rows).
    """
    import warnings

    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from dataqa.audit.pred_probs import default_model
    from dataqa.data import effective_folds

    inputs = _FoldInputs(feats, texts, random_state=random_state, text_features=text_features,
                         counted=counted)
    est = model if model is not None else default_model(inputs.kind)
    k = len(class_names)
    y = np.asarray(labels, dtype=np.int64)
    folds = effective_folds(y, class_names, 5)  # (a class smaller than that is said)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    ref_probs = np.zeros((len(y), k))
    cur_probs = np.zeros((feats.current.shape[0], k))
    dealt = deal_rows(feats.current.shape[0], folds, random_state)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class in y has only")
        splits = list(splitter.split(np.zeros(len(y)), y))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        for f, (train, test) in enumerate(splits):
            mine = np.flatnonzero(dealt == f)
            Xtrain, Xtest, Xcur = inputs.fold(train, test, mine)
            try:
                fitted = clone(est).fit(Xtrain, y[train])
                ref_probs[test] = _placed(fitted, Xtest, k)
                cur_probs[mine] = _placed(fitted, Xcur, k)
            except (DataqaError, MemoryError):
                raise
            except Exception as exc:  # noqa: BLE001 - re-raised with what the model is given
                if model is None:
                    raise
                raise InvalidSettingError(
                    f"model {type(model).__name__} could not be fitted on the reference's "
                    f"features ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}). "
                    f"With --label-column (API: label_column) the model is refitted, once per fold, "
                    f"on dataqa's numeric feature matrix (numbers standardised, categories "
                    f"one-hot, text as TF-IDF or SVD components), not on the table's columns; "
                    f"give a model that takes such a matrix (e.g. LogisticRegression), or an "
                    f"already fitted pipeline without label_column for the prediction shift "
                    f"and OOD share.") from exc
    pd_frame = prediction_drift(ref_probs, cur_probs, class_names=class_names,
                                correction=correction)
    pd_frame["drifted"] = pd_frame["p_adjusted"] <= alpha
    ls = label_shift(ref_probs, labels, cur_probs, random_state=random_state)
    result.prediction_drift = pd_frame
    result.label_shift = {name: {"prior": float(ls["prior"][j]), "low": float(ls["low"][j]),
                                 "high": float(ls["high"][j]),
                                 "reference_prior": float(ls["reference_prior"][j]),
                                 "moved": bool(ls["moved"][j])}
                          for j, name in enumerate(class_names)}
    result.estimated_accuracy = estimate_accuracy(ref_probs, labels, cur_probs,
                                                  random_state=random_state)
    _fill_ood(result, ood_score, ref_probs, cur_probs, feats, y, splits, dealt)
    result.class_names = list(class_names)
    result.current_probs = cur_probs
    result.reference_probs = ref_probs
    result.reference_labels = np.asarray(labels)


def _run_fitted_model_checks(result, model, ref_frame, cur_frame, *, correction: str = "fdr",
                             alpha: float = 0.05, ood_score: str = "msp", feats=None,
                             random_state=0) -> None:
    """Prediction shift and OOD share from an already fitted model (no reference labels).

    A kNN OOD score (``ood_score="knn"``) is cross-fitted on the drift features ``feats``:
    each reference row against the other four fifths of the reference, each current row
    against the fifth it is dealt to's complement (:func:`deal_rows`)."""
    from sklearn.model_selection import KFold

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
    folds = min(5, feats.reference.shape[0])
    splits = list(KFold(folds, shuffle=True, random_state=random_state).split(feats.reference))
    _fill_ood(result, ood_score, ref_probs, cur_probs, feats, None, splits,
              deal_rows(feats.current.shape[0], folds, random_state))
    result.class_names = names
    result.current_probs = cur_probs
