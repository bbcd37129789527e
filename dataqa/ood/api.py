"""One entry point for every OOD score: :func:`score_ood` and the ``OOD_METHODS`` registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataqa._registry import check_new_entry
from dataqa._validation import as_2d_float, check_int
from dataqa.errors import (
    DataqaError,
    InvalidSettingError,
    MissingInputError,
    NotFittedError,
    OODInputError,
    UnknownNameError,
)
from dataqa.ood._torch import batched_logits, is_torch_model
from dataqa.ood.distance import KNNDetector, MahalanobisDetector
from dataqa.ood.gradients import gradient_score
from dataqa.ood.odin import odin_score
from dataqa.ood.scores import (
    energy_score,
    entropy_score,
    logits_from_probs,
    max_logit_score,
    msp_score,
)

__all__ = ["OODMethod", "OOD_METHODS", "OOD_NEEDS", "ood_method_names", "get_ood_method",
           "register_ood_method", "score_ood"]


@dataclass(frozen=True)
class OODMethod:
    """A registered OOD score.

    Attributes
    ----------
    name : registry name
    func : the score function, or the detector class (see :data:`OOD_NEEDS`)
    inputs : which inputs it needs, in words (used in error messages)
    options : names of the extra keyword options it accepts
    description : one line
    needs : what it needs, from :data:`OOD_NEEDS`; :func:`score_ood` builds the call
        from these, never from the name
    decision_function : bool, for logits from a scikit-learn model: prefer
        ``decision_function`` over log ``predict_proba``
    """

    name: str
    func: Callable[..., Any]
    inputs: str
    options: tuple[str, ...]
    description: str
    needs: tuple[str, ...] = ()
    decision_function: bool = False

    def __call__(self, *, model=None, X=None, logits=None, features=None, fit_features=None,
                 fit_labels=None, **options: Any) -> np.ndarray:
        """Scores (n,) from the keyword inputs of :func:`score_ood` and options."""
        inputs = dict(model=model, X=X, logits=logits, features=features,
                      fit_features=fit_features, fit_labels=fit_labels)
        return np.asarray(_call(self, inputs, options), dtype=np.float64)


def _sklearn_logits(model, X, *, prefer_decision: bool) -> np.ndarray:
    """Logits of a scikit-learn classifier: decision_function if wanted and available,
    else log predict_proba. A binary decision function d becomes logits [-d/2, d/2]: the
    same probabilities as [0, d], and energy and max-logit, which are not shift-invariant,
    then do not depend on which class is called 1."""
    from sklearn.exceptions import NotFittedError as SklearnNotFitted

    n_in = getattr(model, "n_features_in_", None)
    shape = X.shape if hasattr(X, "shape") else np.shape(X)
    # a DataFrame is matched by column name (a ColumnTransformer takes extra columns)
    if (n_in is not None and not hasattr(X, "columns") and shape is not None
            and len(shape) == 2 and shape[1] != n_in):
        raise OODInputError(
            f"X has {shape[1]} features but {type(model).__name__} was fitted on {n_in}; pass "
            f"X with the columns the model was trained on."
        )
    try:
        return _sklearn_logits_unchecked(model, X, prefer_decision=prefer_decision)
    except DataqaError:
        raise
    except SklearnNotFitted:
        raise NotFittedError(f"the {type(model).__name__} is not fitted; fit it before "
                             f"scoring.") from None
    except ValueError as exc:  # the estimator's own input check
        if getattr(X, "ndim", 2) == 1:  # its message prints the whole array
            raise OODInputError(
                f"X must be 2-D, one row per item (n_items, n_features); got shape "
                f"{tuple(X.shape)}: for one item pass X[None, :] (X.reshape(1, -1)), for one "
                f"feature X[:, None].") from None
        if isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.ndim == 2:
            bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
            if len(bad):  # a model that takes no NaN: the rows, not its long message
                raise OODInputError(
                    f"X has NaN or infinite values in {len(bad)} row(s) (first: "
                    f"{bad[:5].tolist()}, counted from 0), which {type(model).__name__} does "
                    f"not take; fill or drop them before scoring.") from None
        text = " ".join(str(exc).split())
        if len(text) > 300:
            text = text[:300].rsplit(" ", 1)[0] + " ..."
        raise OODInputError(f"X does not fit {type(model).__name__}: {text}") from None
    except (AttributeError, TypeError) as exc:  # e.g. numbers given to a text pipeline
        kind = (f"an array of {np.asarray(X).dtype}" if isinstance(X, np.ndarray)
                else type(X).__name__)
        raise OODInputError(
            f"X ({kind}) does not fit {type(model).__name__}: scoring it raised "
            f"{type(exc).__name__}: {exc}; pass X as the model was fitted on (a list of "
            f"texts for a text pipeline, the feature columns for a tabular one). If X is "
            f"that, the error is the model's own (see the chained traceback).") from exc


def _sklearn_logits_unchecked(model, X, *, prefer_decision: bool) -> np.ndarray:
    if prefer_decision and hasattr(model, "decision_function"):
        try:
            d = np.asarray(model.decision_function(X), dtype=np.float64)
        except (AttributeError, NotImplementedError):
            d = None
        if d is not None:
            if d.ndim == 1:
                d = np.stack([-d / 2.0, d / 2.0], axis=1)
            return d
    if not hasattr(model, "predict_proba"):
        if hasattr(model, "decision_function"):
            raise InvalidSettingError(
                f"{type(model).__name__} has no predict_proba, which 'msp' and 'entropy' "
                f"score; use 'energy' or 'max_logit' (they read its decision_function), wrap "
                f"it in sklearn's CalibratedClassifierCV, or pass logits=....")
        raise InvalidSettingError(
            f"{type(model).__name__} has neither predict_proba nor decision_function; "
            "pass logits=... or a torch model."
        )
    return logits_from_probs(model.predict_proba(X))


def _resolve_logits(method: str, model, X, logits, *, prefer_decision: bool,
                    batch_size: int) -> np.ndarray:
    if logits is not None:
        return as_2d_float(logits, "logits", min_cols=2)
    if model is None or X is None:
        missing = "model= and X=" if model is None and X is None else ("X=" if X is None else "model=")
        raise MissingInputError(
            f"OOD method {method!r} needs logits=... (n, K), or model= and X=; {missing} missing."
        )
    if is_torch_model(model):
        return batched_logits(model, X, batch_size=batch_size)
    return _sklearn_logits(model, X, prefer_decision=prefer_decision)


#: What an OOD method can declare it needs; :func:`score_ood` builds the call from these.
#:
#: - ``logits``: ``func(logits, **options)``; the logits (n, K) are given, or computed from
#:   ``model`` + ``X`` (torch, or a scikit-learn classifier);
#: - ``model``: ``func(model, X, **options)``;
#: - ``features``: ``func(features, **options)``, features (n, d) (``X`` itself when no
#:   model is given);
#: - ``detector`` (with ``features``): ``func`` is a detector class (``fit(features,
#:   labels)``, ``score(features)``); the fitted ``detector=`` option is used, or one is
#:   built from the other options and fitted on ``fit_features``;
#: - ``fit_labels`` (with ``detector``): fitting needs ``fit_labels`` too.
OOD_NEEDS: tuple[str, ...] = ("logits", "model", "features", "detector", "fit_labels")

#: Options the dispatcher itself consumes, per need.
_DISPATCH_OPTIONS: dict[str, tuple[str, ...]] = {"logits": ("batch_size",),
                                                 "detector": ("detector",)}


def _logits_for(spec: OODMethod, inputs: dict[str, Any], options: dict[str, Any]) -> np.ndarray:
    logits, model, X = inputs["logits"], inputs["model"], inputs["X"]
    batch_size = check_int(options.pop("batch_size", 256), "batch_size")
    if logits is not None:
        return as_2d_float(logits, "logits", min_cols=2)
    if model is None or X is None:
        missing = "model= and X=" if model is None and X is None else ("X=" if X is None else "model=")
        raise MissingInputError(
            f"OOD method {spec.name!r} needs logits=... (n, K), or model= and X=; {missing} missing."
        )
    if is_torch_model(model):
        return batched_logits(model, X, batch_size=batch_size)
    if spec.name == "energy" and not hasattr(model, "decision_function"):
        raise InvalidSettingError(ENERGY_FROM_PROBS.format(what=f"{type(model).__name__} has no "
                                                                f"decision_function, and"))
    return _sklearn_logits(model, X, prefer_decision=spec.decision_function)


#: Why energy is refused from probabilities alone (``what`` says where they came from).
ENERGY_FROM_PROBS = ("'energy' needs logits: {what} from probabilities it is -log(sum p) = 0 "
                     "for every item, so it ranks nothing. Use 'msp' or 'entropy', a model "
                     "with decision_function, or pass logits=....")


def _model_and_x(spec: OODMethod, inputs: dict[str, Any]) -> tuple[Any, Any]:
    model, X = inputs["model"], inputs["X"]
    if model is None or X is None:
        missing = [k for k, v in (("model=", model), ("X=", X)) if v is None]
        raise MissingInputError(
            f"OOD method {spec.name!r} needs model= and X=; missing {' and '.join(missing)}.")
    return model, X


def _features_for(spec: OODMethod, inputs: dict[str, Any]) -> Any:
    if inputs["features"] is not None:
        return inputs["features"]
    if inputs["model"] is None and inputs["X"] is not None:
        return inputs["X"]  # raw feature matrix
    raise MissingInputError(
        f"OOD method {spec.name!r} needs features=... (n, d) (the model's penultimate features, "
        "or X itself when no model is given)."
    )


def _detector_for(spec: OODMethod, inputs: dict[str, Any], options: dict[str, Any]) -> Any:
    cls = spec.func
    detector = options.pop("detector", None)
    if detector is not None:
        if not isinstance(detector, cls):
            raise InvalidSettingError(f"detector= for {spec.name!r} must be a {cls.__name__}.")
        return detector
    if inputs["fit_features"] is None:
        raise MissingInputError(
            f"OOD method {spec.name!r} needs fit_features=... (in-distribution features, e.g. "
            "of the labeled training items), or a fitted detector=."
        )
    labels = None
    if "fit_labels" in spec.needs:
        labels = inputs["fit_labels"]
        if labels is None:
            raise MissingInputError(
                f"OOD method {spec.name!r} needs fit_labels=... (the class of each fit_features "
                "row)."
            )
    return cls(**options).fit(inputs["fit_features"], labels)


def _n_items(x: Any) -> int | None:
    """How many items ``x`` holds (its first dimension), or None when it cannot tell."""
    shape = getattr(x, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(x)
    except TypeError:
        return None


def _checked_scores(spec: OODMethod, scores: Any, n: int | None) -> np.ndarray:
    """The method's output as float64 (n,), or an :class:`InvalidSettingError` naming the
    method and what it returned: the contract of every OOD score (one finite value per
    item, higher = more OOD) is checked here, for the built-ins and registered ones alike."""
    if hasattr(scores, "detach"):  # a torch tensor
        scores = scores.detach().cpu().numpy()
    try:
        out = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSettingError(
            f"OOD method {spec.name!r} returned {type(scores).__name__}, not numbers; it must "
            f"return one finite score per item, shape ({n if n is not None else 'n'},)."
        ) from None
    want = f"({n},)" if n is not None else "(n,)"
    if out.ndim != 1 or (n is not None and out.shape[0] != n):
        raise InvalidSettingError(
            f"OOD method {spec.name!r} returned shape {out.shape} for {n} items; it must "
            f"return one score per item, shape {want}.")
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        raise InvalidSettingError(
            f"OOD method {spec.name!r} returned {bad.size} NaN or infinite score(s) (first at "
            f"item(s) {bad[:5].tolist()}, counted from 0); it must return finite scores, "
            f"shape {want}. Check its inputs for NaN or infinite values.")
    return out


def _call(spec: OODMethod, inputs: dict[str, Any], options: dict[str, Any]) -> np.ndarray:
    """Build the method's arguments from what it declares it needs, run it, and check that
    it returned one finite score per item."""
    options = dict(options)
    needs = spec.needs
    if "logits" in needs:
        logits = _logits_for(spec, inputs, options)
        return _checked_scores(spec, spec.func(logits, **options), logits.shape[0])
    if "model" in needs:
        model, X = _model_and_x(spec, inputs)
        return _checked_scores(spec, spec.func(model, X, **options), _n_items(X))
    features = _features_for(spec, inputs)
    if "detector" in needs:
        scores = _detector_for(spec, inputs, options).score(features)
    else:
        scores = spec.func(features, **options)
    return _checked_scores(spec, scores, _n_items(features))


def _check_needs(needs: tuple[str, ...], func: Any) -> tuple[str, ...]:
    needs = tuple(needs)
    unknown = [n for n in needs if n not in OOD_NEEDS]
    if unknown:
        raise InvalidSettingError(
            f"unknown OOD need(s) {', '.join(map(repr, unknown))}; declare some of "
            f"{', '.join(OOD_NEEDS)}.")
    if sum(n in needs for n in ("logits", "model", "features")) != 1:
        raise InvalidSettingError(
            f"an OOD method needs exactly one of logits, model or features; got {needs}.")
    if "detector" in needs and ("features" not in needs or not isinstance(func, type)):
        raise InvalidSettingError(
            "a 'detector' method needs 'features' and a detector class as func.")
    if "fit_labels" in needs and "detector" not in needs:
        raise InvalidSettingError("'fit_labels' is only meaningful with 'detector'.")
    return needs


def _inputs_in_words(needs: tuple[str, ...]) -> str:
    if "logits" in needs:
        return "logits, or model + X"
    if "model" in needs:
        return "model + X"
    if "detector" in needs:
        fit = "fit_features + fit_labels" if "fit_labels" in needs else "fit_features"
        return f"features + {fit} (or detector)"
    return "features"


def register_ood_method(name: str, func: Callable[..., Any], *, needs: tuple[str, ...],
                        options: tuple[str, ...] = (), description: str = "",
                        inputs: str | None = None, decision_function: bool = False,
                        replace: bool = False) -> OODMethod:
    """Add an OOD method to :data:`OOD_METHODS`, so :func:`score_ood` and the ``ood:<name>``
    acquisition of :mod:`dataqa.active` can use it.

    Parameters
    ----------
    name : str
        The registry name.
    func : callable or detector class
        Called as declared by ``needs`` (see :data:`OOD_NEEDS`): ``func(logits, **options)``,
        ``func(model, X, **options)`` or ``func(features, **options)``; with ``"detector"``
        a class whose instances ``fit(features, labels)`` and ``score(features)``. It
        returns scores (n,), higher = more out-of-distribution.
    needs : tuple of str
        Exactly one of ``"logits"``, ``"model"``, ``"features"``; ``"detector"`` and
        ``"fit_labels"`` may be added to ``"features"``.
    options : tuple of str
        Keyword options it accepts (``batch_size`` and ``detector`` are added for logits
        and detector methods, which the dispatcher consumes).
    description : str, one line
    inputs : str, optional, the inputs in words (for error messages); derived from ``needs``
    decision_function : bool
        For ``"logits"`` from a scikit-learn model: prefer ``decision_function`` over
        log ``predict_proba``.
    replace : bool
        Replace a method already registered under ``name`` (else that is an error).

    Returns
    -------
    OODMethod
    """
    check_new_entry("OOD method", name, func, OOD_METHODS, replace=replace, article="an")
    needs = _check_needs(needs, func)
    opts = tuple(options)
    for need in needs:
        opts += tuple(o for o in _DISPATCH_OPTIONS.get(need, ()) if o not in opts)
    spec = OODMethod(name, func, inputs or _inputs_in_words(needs), opts, description,
                     needs=needs, decision_function=bool(decision_function))
    OOD_METHODS[name] = spec
    return spec


#: name -> :class:`OODMethod`; every method returns (n,) scores, higher = more OOD.
#: Add one with :func:`register_ood_method`.
OOD_METHODS: dict[str, OODMethod] = {}

register_ood_method("msp", msp_score, needs=("logits",), options=("temperature",),
                    description="negative max softmax probability")
register_ood_method("max_logit", max_logit_score, needs=("logits",), decision_function=True,
                    description="negative max logit")
register_ood_method("energy", energy_score, needs=("logits",), options=("temperature",),
                    decision_function=True, description="free energy -T logsumexp(z/T)")
register_ood_method("entropy", entropy_score, needs=("logits",), options=("temperature",),
                    description="entropy of the softmax")
register_ood_method("odin", odin_score, needs=("model",),
                    options=("temperature", "epsilon", "batch_size"), inputs="torch model + X",
                    description="tempered softmax of a perturbed input")
register_ood_method("mahalanobis", MahalanobisDetector,
                    needs=("features", "detector", "fit_labels"),
                    options=("detector", "tol", "chunk_size"),
                    description="min Mahalanobis distance to class means")
register_ood_method("knn", KNNDetector, needs=("features", "detector"),
                    options=("detector", "k", "normalize", "query_chunk", "fit_chunk"),
                    description="distance to the k-th nearest in-distribution feature")
register_ood_method("gradient", gradient_score, needs=("model",),
                    options=("part", "labels", "temperature", "epsilon", "batch_size"),
                    description="per-item gradient norm (G = norm / MSP, SG = norm)")


def ood_method_names() -> list[str]:
    """Names accepted by :func:`score_ood`, in registry order."""
    return list(OOD_METHODS)


def get_ood_method(name: str) -> OODMethod:
    """The registered method ``name``; an unknown name raises UnknownNameError listing all."""
    try:
        return OOD_METHODS[name]
    except (KeyError, TypeError):
        raise UnknownNameError("OOD method", str(name), OOD_METHODS) from None


def score_ood(method: str, *, model=None, X=None, logits=None, features=None, fit_features=None,
              fit_labels=None, **kw: Any) -> np.ndarray:
    """Out-of-distribution scores by registered method name.

    Inputs each method needs (a missing one raises MissingInputError naming it):

    - ``msp``, ``max_logit``, ``energy``, ``entropy``: ``logits`` (n, K), or ``model`` + ``X``
      (a torch module returning logits, or a scikit-learn classifier: MSP and entropy use
      ``predict_proba``; energy and max-logit use ``decision_function`` when it exists, a
      binary one as logits ``[-d/2, d/2]``, else log-probabilities);
    - ``odin``: torch ``model`` + ``X``;
    - ``mahalanobis``: ``features`` (n, d) + ``fit_features`` + ``fit_labels``, or a fitted
      ``detector=MahalanobisDetector``;
    - ``knn``: ``features`` + ``fit_features``, or a fitted ``detector=KNNDetector``
      (for both, ``features`` defaults to ``X`` when no model is given);
    - ``gradient``: ``model`` + ``X`` (torch, or scikit-learn LogisticRegression / a Pipeline
      ending in one); option ``part="G"`` (default) or ``"SG"``.

    Extra keyword options go to the method (see ``OOD_METHODS[name].options``). The call is
    built from what the method declares it needs (``OOD_METHODS[name].needs``); add a method
    with :func:`register_ood_method`.

    Returns
    -------
    scores : float64 ndarray (n,), higher = more out-of-distribution
    """
    spec = get_ood_method(method)
    unknown = sorted(set(kw) - set(spec.options))
    if unknown:
        raise InvalidSettingError(
            f"OOD method {method!r} does not take option(s) {', '.join(unknown)}; it takes: "
            f"{', '.join(spec.options) or '(none)'}."
        )
    given = [n for n, v in (("model=", model), ("X=", X)) if v is not None]
    if "logits" in spec.needs and logits is not None and given:
        raise InvalidSettingError(
            f"OOD method {method!r} got logits= and {' and '.join(given)}: it would score the "
            f"logits and leave the rest unused; give logits=, or model= and X=.")
    fitting = [n for n, v in (("fit_features=", fit_features), ("fit_labels=", fit_labels))
               if v is not None]
    if "detector" in spec.needs and kw.get("detector") is not None and fitting:
        raise InvalidSettingError(
            f"OOD method {method!r} got a fitted detector= and {' and '.join(fitting)}: the "
            f"detector is used as fitted and they would be left unused; give one or the other.")
    return spec(model=model, X=X, logits=logits, features=features, fit_features=fit_features,
                fit_labels=fit_labels, **kw)
