"""Acquisition functions: how worth a person's label each unlabeled item is.

Every acquisition returns a float64 array of shape (n,) with **higher = more worth
labeling**. Choosing the batch from the scores is a separate step (``selectors``).

Registry (:func:`acquisition_names`; add one with :func:`register_acquisition`, each entry
declaring what it needs):

- ``random``: uniform random scores from ``random_state``.
- ``uncertainty``: least confidence, ``1 - max_k p_k`` (modAL's ``classifier_uncertainty``).
- ``margin``: ``1 - (p_(1) - p_(2))``, one minus the gap between the two most likely
  classes (modAL's ``classifier_margin`` is the gap, lower = less sure; flipped here).
- ``entropy``: ``-sum_k p_k log p_k`` (modAL's ``classifier_entropy``).
- ``ood:<method>``: every OOD method of :mod:`dataqa.ood` (novelty seeking: the most
  unfamiliar items first). ``ood:knn`` compares the pool with the labeled items; its
  ``k`` defaults to :func:`knn_default_k` (one neighbour per 1,000 labeled items, 1 to 50).
- ``hybrid``: uncertainty combined with an OOD score, either as a purity filter
  (``mode="purity"``, down-weights likely out-of-scope items) or as a novelty bonus
  (``mode="novelty"``); see :func:`hybrid_scores`. Settings: ``mode``, ``weight``
  (default 1.0 for purity, 0.5 for novelty), ``ood`` (an OOD method, default ``"knn"``
  with ``k=1`` on the labeled items' features), ``uncertainty`` (``"margin"`` default,
  ``"uncertainty"`` or ``"entropy"``, each scaled to [0, 1]), ``contrast`` and
  ``ood_settings``. With ``contrast=True`` (default), a fitted-detector method (``knn``,
  ``mahalanobis``) and items already marked out of scope (``out_of_scope_X``), the purity
  filter becomes sharp: an item is treated as out of scope when it is closer to a known
  out-of-scope item than to the labeled in-scope items, and loses ``weight`` of its
  uncertainty. Before any item is marked out of scope (``mahalanobis``: before two
  distinct ones are, as one item has no spread to measure) the filter is the pool percentile
  of the OOD score at weight ``cold_weight`` (0.25); with ``contrast=False`` or a
  model-based OOD method it is the percentile at ``weight``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from dataqa._registry import check_needs, check_new_entry
from dataqa._validation import check_pred_probs, check_scores
from dataqa.errors import InvalidSettingError, MissingInputError, NotFittedError, UnknownNameError

__all__ = [
    "ACQUISITIONS",
    "ACQUISITION_NEEDS",
    "Acquisition",
    "register_acquisition",
    "HYBRID_MODES",
    "AcquisitionInput",
    "acquire",
    "acquisition_names",
    "check_acquisition_settings",
    "get_acquisition",
    "least_confidence",
    "margin_uncertainty",
    "prediction_entropy",
    "ood_percentile",
    "hybrid_scores",
    "KNN_DEFAULT_K",
    "KNN_ITEMS_PER_NEIGHBOUR",
    "knn_default_k",
]

HYBRID_MODES: tuple[str, ...] = ("purity", "novelty")


# --------------------------------------------------------------------------- pure measures

def _check_probs(pred_probs: Any) -> np.ndarray:
    """The acquisitions' contract: (n, K >= 1), finite, in [0, 1] (rows need not sum to 1)."""
    return check_pred_probs(pred_probs, min_classes=1, rows_sum_to_one=False)


def _least_confidence(p: np.ndarray, normalize: bool) -> np.ndarray:
    if p.shape[1] == 1 or p.shape[0] == 0:  # a single class: nothing to be unsure about
        return 1.0 - p[:, 0] if p.shape[0] else np.zeros(0)
    from dataqa.ood.scores import _log_probs, msp_score

    u = 1.0 + msp_score(_log_probs(p))
    return u / (1.0 - 1.0 / p.shape[1]) if normalize else u


def _margin(p: np.ndarray) -> np.ndarray:
    if p.shape[1] == 1:
        return np.zeros(p.shape[0])
    # the two largest probabilities of each row; modAL's margin is their gap (importing
    # modAL here would load torch, seconds, for every command that only records labels).
    # Rows renormalised first, as least confidence and entropy take them: on (0.7, 0.2)
    # the three would otherwise read two different rows. (Rows that sum to 1 up to float32
    # rounding are kept as they are: their margin is modAL's to the last bit.)
    p = np.asarray(p, dtype=np.float64)
    off = np.abs(p.sum(axis=1) - 1.0) > 1e-6 * p.shape[1]
    if off.any():
        p = p.copy()
        p[off] = _renormalised(p[off])
    top = np.partition(p, -2, axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


def _renormalised(p: np.ndarray) -> np.ndarray:
    """Each row divided by its sum; a row of zeros reads as flat."""
    p = np.asarray(p, dtype=np.float64)
    total = p.sum(axis=1, keepdims=True)
    return np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[1]), where=total > 0)


def _entropy(p: np.ndarray, normalize: bool) -> np.ndarray:
    if p.shape[1] == 1:
        return np.zeros(p.shape[0])
    from scipy.special import xlogy

    # each row renormalised to sum to 1 (a row of zeros reads as flat, as the softmax of
    # its clipped logarithms does), and 0 log 0 = 0, so a one-hot row scores exactly 0
    # (summed in sorted order: rows that permute one another's probabilities tie
    # exactly, for the seeded tie-break of the selectors, not by rounding)
    q = _renormalised(np.sort(np.asarray(p, dtype=np.float64), axis=1))
    h = -xlogy(q, q).sum(axis=1)
    return h / np.log(p.shape[1]) if normalize else h


def least_confidence(pred_probs: Any, *, normalize: bool = False) -> np.ndarray:
    """``1 - max_k p_k`` per row; higher = less confident = more worth labeling.

    One plus :func:`dataqa.ood.msp_score` of the log-probabilities (each row is
    renormalised to sum to 1 first).

    Parameters
    ----------
    pred_probs : array (n, K), values in [0, 1]
    normalize : bool
        Divide by the largest possible value ``1 - 1/K`` so the score lies in [0, 1].

    Returns
    -------
    float64 ndarray (n,)
    """
    return _least_confidence(_check_probs(pred_probs), normalize)


def margin_uncertainty(pred_probs: Any) -> np.ndarray:
    """``1 - (p_(1) - p_(2))`` per row, in [0, 1]; higher = closer call = more worth labeling.

    Each row is renormalised to sum to 1 first (a row of zeros reads as flat), as
    :func:`least_confidence` and :func:`prediction_entropy` take it: ``(0.7, 0.2)`` scores
    ``1 - (7 - 2) / 9``. With one column the margin is 1 (score 0).
    """
    return _margin(_check_probs(pred_probs))


def prediction_entropy(pred_probs: Any, *, normalize: bool = False) -> np.ndarray:
    """Shannon entropy ``-sum_k p_k log p_k`` (nats) per row; higher = more worth labeling.

    Each row is renormalised to sum to 1 (a row of zeros reads as flat) and
    ``0 log 0 = 0``, so a one-hot row scores exactly 0; otherwise equal to
    :func:`dataqa.ood.entropy_score` of the log-probabilities. ``normalize=True`` divides by ``log K`` so the score lies in [0, 1].
    """
    return _entropy(_check_probs(pred_probs), normalize)


def ood_percentile(ood_scores: Any) -> np.ndarray:
    """Rank of each OOD score within the pool, scaled to [0, 1] (ties share their mean rank).

    0 = the most familiar item of the pool, 1 = the least familiar. Scale-free, so any
    OOD method can be mixed with an uncertainty in [0, 1].
    """
    o = check_scores(np.ravel(ood_scores), "OOD scores", allow_empty=True)
    if o.size == 0:
        return o
    if o.size == 1:
        return np.array([0.5])
    return (rankdata(o, method="average") - 1.0) / (o.size - 1.0)


def hybrid_scores(uncertainty: Any, ood_scores: Any, *, mode: str = "purity",
                  weight: float = 1.0, scale: str = "rank") -> np.ndarray:
    """Mix an uncertainty in [0, 1] with an OOD score; higher = more worth labeling.

    With ``r = ood_percentile(ood_scores)`` (0 = most familiar, 1 = least):

    - ``mode="purity"``: ``u * (1 - weight * r)``. The OOD score acts as a filter: an item
      that looks out of scope loses up to ``weight`` of its uncertainty, so the budget goes
      to uncertain items that belong to the task.
    - ``mode="novelty"``: ``(1 - weight) * u + weight * r``. The OOD score is a bonus that
      seeks what the model has never seen.

    Parameters
    ----------
    uncertainty : array (n,) in [0, 1]
    ood_scores : array (n,), higher = more out-of-distribution
    mode : {"purity", "novelty"}
    weight : float in [0, 1]
    scale : {"rank", "probability"}
        ``"rank"``: ``r`` is the pool percentile of the OOD score (any scale);
        ``"probability"``: the OOD scores already lie in [0, 1] and are used as ``r``.

    Returns
    -------
    float64 ndarray (n,)
    """
    if mode not in HYBRID_MODES:
        raise InvalidSettingError(f"mode={mode!r} must be one of {', '.join(HYBRID_MODES)}.")
    weight = float(weight)
    if not 0.0 <= weight <= 1.0:
        raise InvalidSettingError(f"weight={weight!r} must lie in [0, 1].")
    u = np.asarray(uncertainty, dtype=np.float64).ravel()
    o = np.asarray(ood_scores, dtype=np.float64).ravel()
    if u.shape != o.shape:
        raise InvalidSettingError(
            f"uncertainty has {u.size} entries but ood_scores has {o.size}; give one per item.")
    if scale == "rank":
        r = ood_percentile(o)
    elif scale == "probability":
        if (o < 0).any() or (o > 1).any():
            raise InvalidSettingError("with scale='probability' the OOD scores must lie in [0, 1].")
        r = o
    else:
        raise InvalidSettingError(f"scale={scale!r} must be 'rank' or 'probability'.")
    if mode == "purity":
        return u * (1.0 - weight * r)
    return (1.0 - weight) * u + weight * r


# --------------------------------------------------------------------------- inputs

@dataclass
class AcquisitionInput:
    """What an acquisition may look at. Predictions are computed once and cached.

    Attributes
    ----------
    model : fitted classifier with ``predict_proba`` (or a torch module, for OOD methods)
    X : array or sparse matrix (n, d), the unlabeled pool
    pred_probs : array (n, K), optional; computed from ``model`` and ``X`` when missing
    labeled_X : array (m, d), optional; the items the model was trained on (in scope)
    labeled_y : array (m,), optional
    out_of_scope_X : array (o, d), optional; items people marked out of scope
    random_state : int or Generator, optional
    """

    model: Any = None
    X: Any = None
    pred_probs: Any = None
    labeled_X: Any = None
    labeled_y: Any = None
    out_of_scope_X: Any = None
    random_state: Any = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        if self.pred_probs is not None:
            return int(np.asarray(self.pred_probs).shape[0])
        if self.X is not None:
            return int(self.X.shape[0])
        raise MissingInputError("an acquisition needs the pool X (or pred_probs).")

    def probs(self) -> np.ndarray:
        """The pool's checked predicted probabilities (n, K), computed and checked once."""
        if "probs" in self._cache:
            return self._cache["probs"]
        if self.pred_probs is None:
            if self.model is None or self.X is None:
                raise MissingInputError(
                    "this acquisition needs pred_probs, or a fitted model and the pool X.")
            if not hasattr(self.model, "predict_proba"):
                raise MissingInputError(
                    f"model {type(self.model).__name__} has no predict_proba, which this "
                    f"acquisition reads: wrap it in sklearn's CalibratedClassifierCV, use a "
                    f"strategy that reads its decision_function ('ood:energy'), or pass "
                    f"pred_probs to acquire().")
            from sklearn.exceptions import NotFittedError as _SkNotFitted

            try:
                self.pred_probs = self.model.predict_proba(self.X)
            except _SkNotFitted as exc:
                raise NotFittedError(
                    f"model {type(self.model).__name__} is not fitted; fit it (or teach the "
                    f"learner) on the labeled items before scoring the pool.") from exc
            except ValueError as exc:  # (a pool of another width, text for numbers, ...)
                first = " ".join(str(exc).split())[:300]
                raise InvalidSettingError(
                    f"model {type(self.model).__name__} could not score the pool X of shape "
                    f"{getattr(self.X, 'shape', '?')} ({first}); pass X with the columns the "
                    f"model was fitted on.") from None
        self._cache["probs"] = _check_probs(self.pred_probs)
        return self._cache["probs"]

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.random_state)


def _dense(X: Any) -> Any:
    return X.toarray() if sp.issparse(X) else X


def _for_method(spec: Any, X: Any) -> Any:
    """``X`` as the OOD method takes it: sparse features (TF-IDF) stay sparse where the
    method's class says it accepts them (``accepts_sparse``, kNN), else made dense."""
    return X if getattr(spec.func, "accepts_sparse", False) else _dense(X)


#: Above this many feature columns (a TF-IDF vocabulary, say), ``mahalanobis`` scores the
#: pool in :data:`MAHALANOBIS_COMPONENTS` truncated-SVD components of the pool and labeled
#: items: its covariance is d x d and its eigendecomposition grows as d^3 (a 16,634-word
#: TF-IDF vocabulary took 11 minutes and 11.5 GB on 1,586 texts, and every text with a
#: word the labeled items lack got the same score). Up to it the features are used as
#: they are (sentence embeddings of 384 or 768 dimensions included).
MAHALANOBIS_MAX_DIMS = 1024
#: Components of that reduction.
MAHALANOBIS_COMPONENTS = 256


def _reduced(ctx: AcquisitionInput) -> tuple[np.ndarray, np.ndarray]:
    """The pool and the labeled items in :data:`MAHALANOBIS_COMPONENTS` truncated-SVD
    components fitted on both (so directions only the pool spans are kept), computed once."""
    if "reduced" not in ctx._cache:
        from sklearn.decomposition import TruncatedSVD

        both = (sp.vstack([ctx.X, ctx.labeled_X]) if sp.issparse(ctx.X) or
                sp.issparse(ctx.labeled_X) else np.vstack([ctx.X, ctx.labeled_X]))
        k = int(max(1, min(MAHALANOBIS_COMPONENTS, both.shape[1] - 1, both.shape[0] - 1)))
        svd = TruncatedSVD(k, random_state=0)
        Z = svd.fit_transform(both)
        ctx._cache["reduced"] = (Z[:ctx.X.shape[0]], Z[ctx.X.shape[0]:])
        ctx._cache["reducer"] = svd
    return ctx._cache["reduced"]


def _wide(ctx: AcquisitionInput, method: str) -> bool:
    """Whether ``method`` scores the pool in :func:`_reduced`'s components."""
    return (method == "mahalanobis" and ctx.X is not None and ctx.labeled_X is not None
            and ctx.X.shape[1] > MAHALANOBIS_MAX_DIMS)


#: Most k of the ``ood:knn`` acquisition when none is given: one neighbour per
#: :data:`KNN_ITEMS_PER_NEIGHBOUR` labeled in-scope items, at least 1 and at most this
#: (k = 50 for 50,000 training items, as in Sun et al. 2022).
KNN_DEFAULT_K = 50
#: Labeled in-scope items per neighbour of the default k (see :data:`KNN_DEFAULT_K`).
#: A k near the number of labeled items scores every item by its farthest labeled one:
#: with 20 labeled texts, 169 of 170 pool texts tied at sqrt(2).
KNN_ITEMS_PER_NEIGHBOUR = 1000


def knn_default_k(n_labeled: int) -> int:
    """The ``k`` the ``ood:knn`` acquisition uses when none is given, for ``n_labeled``
    labeled in-scope items: ``min(50, max(1, n_labeled // 1000))`` (1 below 2,000 items).

    The same rule everywhere: :func:`acquire`, :class:`dataqa.active.ActiveLearner`,
    :func:`dataqa.active.simulate` and ``dataqa al next``. Set ``k`` yourself with
    ``acquire("ood:knn", ..., k=5)``, ``make_query_strategy("ood:knn", k=5)``,
    ``learner.query(X, k=5)``, ``simulate(..., strategy_settings={"k": 5})`` or ``--k 5``.
    """
    n = int(n_labeled)
    return int(max(1, min(KNN_DEFAULT_K, n, n // KNN_ITEMS_PER_NEIGHBOUR)))


def _acq_ood(method: str, ctx: AcquisitionInput, **settings: Any) -> np.ndarray:
    """The ``ood:<method>`` acquisition: kNN's k defaults to :func:`knn_default_k` of the
    labeled items and may not exceed them."""
    if method == "knn" and settings.get("detector") is None and ctx.labeled_X is not None:
        n_fit = int(ctx.labeled_X.shape[0])
        k = settings.get("k")
        if k is None:
            settings["k"] = knn_default_k(n_fit)
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k > n_fit:
            raise InvalidSettingError(
                f"ood:knn got k={k}, larger than the {n_fit} labeled in-scope items it "
                f"compares the pool with; pass a k of at most {n_fit}, or leave k out for "
                f"the default (one neighbour per {KNN_ITEMS_PER_NEIGHBOUR:,} labeled items, "
                f"here {knn_default_k(n_fit)}).")
    return _ood(method, ctx, **settings)


def _ood(method: str, ctx: AcquisitionInput, **settings: Any) -> np.ndarray:
    """Scores of an OOD method on the pool, its inputs built from what it declares it needs."""
    key = ("ood", method, tuple(sorted(settings.items())))
    if key in ctx._cache:
        return ctx._cache[key]
    from dataqa.ood.api import get_ood_method, score_ood

    spec = get_ood_method(method)
    inputs: dict[str, Any] = {}
    if "features" in spec.needs:
        if "detector" in spec.needs and (ctx.X is None or ctx.labeled_X is None):
            raise MissingInputError(
                f"OOD method {method!r} compares the pool with the labeled items; "
                f"pass X and labeled_X.")
        if ctx.X is None:
            raise MissingInputError(f"OOD method {method!r} needs the pool X.")
        if _wide(ctx, method):
            inputs["features"], inputs["fit_features"] = _reduced(ctx)
        else:
            inputs["features"] = _for_method(spec, ctx.X)
            if "detector" in spec.needs:
                inputs["fit_features"] = _for_method(spec, ctx.labeled_X)
        if "fit_labels" in spec.needs:
            inputs["fit_labels"] = np.asarray(ctx.labeled_y)
    elif "model" in spec.needs or (ctx.model is not None and ctx.X is not None):
        inputs.update(model=ctx.model, X=ctx.X)
    elif ctx.pred_probs is not None:
        from dataqa.ood.scores import _log_probs

        if method == "energy":
            from dataqa.ood.api import ENERGY_FROM_PROBS

            raise InvalidSettingError(ENERGY_FROM_PROBS.format(what="only pred_probs are given;"))
        inputs["logits"] = _log_probs(ctx.probs())
    else:
        raise MissingInputError(f"OOD method {method!r} needs a model and X, or pred_probs.")
    scores = np.asarray(score_ood(method, **inputs, **settings), dtype=np.float64).ravel()
    ctx._cache[key] = scores
    return scores


# --------------------------------------------------------------------------- registry

#: What an acquisition can declare it reads from its :class:`AcquisitionInput`:
#: ``pred_probs`` (given, or computed from the model and the pool), ``pool`` (``X``),
#: ``labeled`` (``labeled_X``).
ACQUISITION_NEEDS: tuple[str, ...] = ("pred_probs", "pool", "labeled")


@dataclass(frozen=True)
class Acquisition:
    """A registered acquisition.

    Attributes
    ----------
    name : registry name
    func : ``func(ctx: AcquisitionInput, **settings) -> scores (n,)``
    needs : what it reads from the context (:data:`ACQUISITION_NEEDS`)
    description : one line
    """

    name: str
    func: Callable[..., np.ndarray]
    needs: tuple[str, ...] = ()
    description: str = ""

    def __call__(self, ctx: AcquisitionInput, **settings: Any) -> np.ndarray:
        return self.func(ctx, **settings)


def _acq_random(ctx: AcquisitionInput) -> np.ndarray:
    return ctx.rng().random(ctx.n)


def _acq_uncertainty(ctx: AcquisitionInput, *, normalize: bool = False) -> np.ndarray:
    return _least_confidence(ctx.probs(), normalize)


def _acq_margin(ctx: AcquisitionInput) -> np.ndarray:
    return _margin(ctx.probs())


def _acq_entropy(ctx: AcquisitionInput, *, normalize: bool = False) -> np.ndarray:
    return _entropy(ctx.probs(), normalize)


#: ``hybrid``'s defaults for its OOD method's settings (kNN: the nearest labeled item).
_HYBRID_OOD_DEFAULTS: dict[str, dict[str, Any]] = {"knn": {"k": 1}}

#: Uncertainty measures of ``hybrid``, each scaled to [0, 1] (checked probabilities in).
_UNCERTAINTIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "uncertainty": lambda p: _least_confidence(p, True),
    "margin": _margin,
    "entropy": lambda p: _entropy(p, True),
}


def _check_unit(value: Any, name: str) -> float:
    """``value`` as a float in [0, 1], or an :class:`InvalidSettingError` naming ``name``."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InvalidSettingError(
            f"hybrid's {name}={value!r} must be a number in [0, 1].") from None
    if not 0.0 <= out <= 1.0:  # NaN fails this too
        raise InvalidSettingError(
            f"hybrid's {name}={value!r} must lie in [0, 1] (0: the OOD score is ignored, "
            f"1: it counts fully).")
    return out


def _acq_hybrid(ctx: AcquisitionInput, *, mode: str = "purity", weight: float | None = None,
                ood: str = "knn", uncertainty: str = "margin", contrast: bool = True,
                ood_settings: dict | None = None, cold_weight: float = 0.25,
                k: int | None = None) -> np.ndarray:
    if uncertainty not in _UNCERTAINTIES:
        raise UnknownNameError("uncertainty measure", uncertainty, _UNCERTAINTIES)
    if mode not in HYBRID_MODES:
        raise InvalidSettingError(f"mode={mode!r} must be one of {', '.join(HYBRID_MODES)}.")
    # checked up front: the cold purity filter below replaces weight by cold_weight
    weight = (1.0 if mode == "purity" else 0.5) if weight is None else _check_unit(weight,
                                                                                 "weight")
    cold_weight = _check_unit(cold_weight, "cold_weight")
    from dataqa.ood.api import get_ood_method, score_ood

    spec = get_ood_method(ood)
    settings = {**_HYBRID_OOD_DEFAULTS.get(ood, {}), **(ood_settings or {}),
                **({"k": k} if k is not None else {})}  # (k: --k of dataqa al next)
    u = _UNCERTAINTIES[uncertainty](ctx.probs())
    o = _ood(ood, ctx, **settings)
    oos = ctx.out_of_scope_X
    # a fitted-detector method measures distance to a set of items: it can also measure
    # the distance to the items marked out of scope
    by_distance = "detector" in spec.needs
    # a spread is measured from two distinct items on (mahalanobis); one item, or copies
    # of one (a text repeated in the pool), is a point, not a set
    enough = oos is not None and oos.shape[0] >= 1
    if enough and "fit_labels" in spec.needs:
        enough = ((oos[1:] != oos[0]).nnz > 0 if sp.issparse(oos) else
                  np.unique(np.asarray(oos), axis=0).shape[0] >= 2)
    if contrast and mode == "purity" and by_distance and enough:
        kw = dict(settings)
        if "k" in kw:  # a neighbour count cannot exceed the out-of-scope items
            kw["k"] = min(int(kw["k"]), oos.shape[0])
        fit_labels = np.zeros(oos.shape[0], dtype=int) if "fit_labels" in spec.needs else None
        if _wide(ctx, ood):  # in the same components as the labeled items' distances
            pool = _reduced(ctx)[0]
            away = ctx._cache["reducer"].transform(oos)
        else:
            pool, away = _for_method(spec, ctx.X), _for_method(spec, oos)
        d_out = score_ood(ood, features=pool, fit_features=away, fit_labels=fit_labels, **kw)
        d_out = np.asarray(d_out, dtype=np.float64)
        closer_to_out = (np.asarray(o) > d_out).astype(np.float64)
        return hybrid_scores(u, closer_to_out, mode=mode, weight=weight, scale="probability")
    if contrast and mode == "purity" and by_distance:
        # nothing marked out of scope yet: the percentile filter, at a lighter weight
        weight = min(weight, cold_weight)
    return hybrid_scores(u, o, mode=mode, weight=weight)


#: Named acquisitions (``ood:<method>`` names are added from ``dataqa.ood`` on lookup).
ACQUISITIONS: dict[str, Acquisition] = {}


def register_acquisition(name: str, func: Callable[..., np.ndarray], *,
                         needs: tuple[str, ...] = (), description: str = "",
                         replace: bool = False) -> Acquisition:
    """Add an acquisition to :data:`ACQUISITIONS`, usable by name everywhere a strategy is.

    Parameters
    ----------
    name : str
        The registry name; ``ood:<method>`` names are reserved for the OOD methods
        (register those with :func:`dataqa.ood.register_ood_method`).
    func : callable
        ``func(ctx: AcquisitionInput, **settings) -> scores (n,)``, higher = more worth
        labeling.
    needs : tuple of str
        What it reads from the context, from :data:`ACQUISITION_NEEDS`; :func:`acquire`
        checks them before calling it.
    description : str, one line
    replace : bool
        Replace an acquisition already registered under ``name`` (else that is an error).

    Returns
    -------
    Acquisition
    """
    if isinstance(name, str) and name.startswith("ood:"):
        raise InvalidSettingError(
            f"acquisition name {name!r} must be a non-empty string not starting with 'ood:'.")
    check_new_entry("acquisition", name, func, ACQUISITIONS, replace=replace, article="an")
    needs = check_needs("acquisition", needs, ACQUISITION_NEEDS)
    ACQUISITIONS[name] = Acquisition(name, func, needs, description)
    return ACQUISITIONS[name]


register_acquisition("random", _acq_random, description="uniform random scores")
register_acquisition("uncertainty", _acq_uncertainty, needs=("pred_probs",),
                     description="least confidence 1 - max p")
register_acquisition("margin", _acq_margin, needs=("pred_probs",),
                     description="1 - (p_(1) - p_(2))")
register_acquisition("entropy", _acq_entropy, needs=("pred_probs",),
                     description="entropy of the predicted probabilities")
register_acquisition("hybrid", _acq_hybrid, needs=("pred_probs",),
                     description="uncertainty with an OOD filter or bonus")


def _ood_names() -> list[str]:
    try:
        from dataqa.ood import ood_method_names
    except ImportError:
        return []
    return [f"ood:{m}" for m in ood_method_names()]


def acquisition_names() -> list[str]:
    """Every acquisition name: the built-ins and ``ood:<method>`` for each OOD method."""
    return list(ACQUISITIONS) + _ood_names()


def get_acquisition(name: str) -> Acquisition:
    """The registered acquisition ``name``, callable as ``f(ctx, **settings) -> scores (n,)``.

    ``ood:<method>`` is built on lookup for every method of :data:`dataqa.ood.OOD_METHODS`.
    An unknown name raises :class:`UnknownNameError` listing the known ones.
    """
    if isinstance(name, str) and name in ACQUISITIONS:
        return ACQUISITIONS[name]
    if isinstance(name, str) and name.startswith("ood:") and name in _ood_names():
        return Acquisition(name, functools.partial(_acq_ood, name[4:]), (),
                           f"OOD method {name[4:]!r} (novelty seeking)")
    raise UnknownNameError("acquisition", str(name), acquisition_names())


def check_acquisition_settings(name: str, settings: dict) -> None:
    """Refuse settings the acquisition ``name`` does not take, naming them and the ones it
    takes (before any item is scored or a round is stored); for ``ood:<method>`` and
    ``hybrid``'s ``ood_settings`` the OOD method's options.

    Raises
    ------
    InvalidSettingError
    """
    import inspect

    from dataqa.ood.api import get_ood_method

    acq = get_acquisition(name)

    def refuse(what: str, unknown: list[str], takes: list[str]) -> None:
        raise InvalidSettingError(
            f"{what} does not take the setting(s) {', '.join(map(repr, unknown))}; it takes: "
            f"{', '.join(takes) or '(none)'}.")

    if isinstance(acq.func, functools.partial) and acq.func.func is _acq_ood:
        options = list(get_ood_method(acq.func.args[0]).options)
        if unknown := sorted(set(settings) - set(options)):
            refuse(f"acquisition {name!r}", unknown, options)
        return
    params = list(inspect.signature(acq.func).parameters.values())[1:]  # (after ctx)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return  # it takes any setting: a plug-in that checks its own
    takes = [p.name for p in params]
    if unknown := sorted(set(settings) - set(takes)):
        refuse(f"acquisition {name!r}", unknown, takes)
    if acq.func is _acq_hybrid:
        ood = settings.get("ood", "knn")
        if isinstance(ood, str) and ood in _ood_names_plain():
            options = list(get_ood_method(ood).options)
            given = set(settings.get("ood_settings") or {}) | (
                {"k"} if settings.get("k") is not None else set())
            if unknown := sorted(given - set(options)):
                refuse(f"hybrid's OOD method {ood!r}", unknown, options)
            if settings.get("k") is not None and "k" in (settings.get("ood_settings") or {}):
                raise InvalidSettingError(
                    "hybrid got k twice, as k and in ood_settings; give one of them.")


def _ood_names_plain() -> list[str]:
    from dataqa.ood.api import ood_method_names

    return list(ood_method_names())


def _check_needs(acquisition: Acquisition, ctx: AcquisitionInput) -> None:
    if "pool" in acquisition.needs and ctx.X is None:
        raise MissingInputError(f"acquisition {acquisition.name!r} needs the pool X.")
    if "labeled" in acquisition.needs and ctx.labeled_X is None:
        raise MissingInputError(
            f"acquisition {acquisition.name!r} needs the labeled items (labeled_X).")
    if "pred_probs" in acquisition.needs:
        ctx.probs()  # computed once, checked, cached


def acquire(name: str, *, model: Any = None, X: Any = None, pred_probs: Any = None,
            labeled_X: Any = None, labeled_y: Any = None, out_of_scope_X: Any = None,
            random_state: Any = None, **settings: Any) -> np.ndarray:
    """Score the pool with the named acquisition; higher = more worth labeling.

    Parameters
    ----------
    name : str
        One of :func:`acquisition_names`.
    model : fitted classifier, optional
        Used for ``predict_proba`` (and by the OOD methods).
    X : array or sparse matrix (n, d), optional
        The unlabeled pool.
    pred_probs : array (n, K), optional
        Predictions for the pool, if already computed.
    labeled_X, labeled_y : optional
        The labeled (in-scope) items, for OOD methods that compare against them.
    out_of_scope_X : array (o, d), optional
        Items people marked out of scope; ``hybrid`` (purity, kNN) contrasts with them.
    random_state : int or Generator, optional
    **settings
        Passed to the acquisition (e.g. ``mode``, ``weight``, ``ood`` for ``hybrid``).

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    fn = get_acquisition(name)
    check_acquisition_settings(name, settings)
    ctx = AcquisitionInput(model=model, X=X, pred_probs=pred_probs, labeled_X=labeled_X,
                           labeled_y=labeled_y, out_of_scope_X=out_of_scope_X,
                           random_state=random_state)
    _check_needs(fn, ctx)
    try:
        scores = fn(ctx, **settings)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise InvalidSettingError(f"acquisition {name!r}: {exc}") from exc
        raise
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape[0] != ctx.n:
        raise InvalidSettingError(  # pragma: no cover - a broken plug-in
            f"acquisition {name!r} returned {scores.shape[0]} scores for {ctx.n} items.")
    return scores
