"""One entry point for every OOD score: :func:`score_ood` and the ``OOD_METHODS`` registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataqa._validation import as_2d_float, check_int
from dataqa.errors import (
    DataqaError,
    InvalidSettingError,
    MissingInputError,
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

__all__ = ["OODMethod", "OOD_METHODS", "ood_method_names", "get_ood_method", "score_ood"]


@dataclass(frozen=True)
class OODMethod:
    """A registered OOD score.

    Attributes
    ----------
    name : registry name
    func : callable taking the keyword inputs of :func:`score_ood` and the method's options
    inputs : which inputs it needs, in words (used in error messages)
    options : names of the extra keyword options it accepts
    description : one line
    """

    name: str
    func: Callable[..., np.ndarray]
    inputs: str
    options: tuple[str, ...]
    description: str

    def __call__(self, **kw: Any) -> np.ndarray:
        return self.func(**kw)


def _sklearn_logits(model, X, *, prefer_decision: bool) -> np.ndarray:
    """Logits of a scikit-learn classifier: decision_function if wanted and available,
    else log predict_proba. A binary decision function d becomes logits [0, d]."""
    n_in = getattr(model, "n_features_in_", None)
    shape = X.shape if hasattr(X, "shape") else np.shape(X)
    if n_in is not None and shape is not None and len(shape) == 2 and shape[1] != n_in:
        raise OODInputError(
            f"X has {shape[1]} features but {type(model).__name__} was fitted on {n_in}; pass "
            f"X with the columns the model was trained on."
        )
    try:
        return _sklearn_logits_unchecked(model, X, prefer_decision=prefer_decision)
    except DataqaError:
        raise
    except ValueError as exc:  # the estimator's own input check
        raise OODInputError(
            f"X does not fit {type(model).__name__}: {' '.join(str(exc).split())[:300]}"
        ) from None


def _sklearn_logits_unchecked(model, X, *, prefer_decision: bool) -> np.ndarray:
    if prefer_decision and hasattr(model, "decision_function"):
        try:
            d = np.asarray(model.decision_function(X), dtype=np.float64)
        except (AttributeError, NotImplementedError):
            d = None
        if d is not None:
            if d.ndim == 1:
                d = np.stack([np.zeros_like(d), d], axis=1)
            return d
    if not hasattr(model, "predict_proba"):
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


def _output(name: str, fn: Callable[..., np.ndarray], *, prefer_decision: bool,
            temperature: bool) -> Callable[..., np.ndarray]:
    def run(*, model=None, X=None, logits=None, batch_size: int = 256, **kw):
        z = _resolve_logits(name, model, X, logits, prefer_decision=prefer_decision,
                            batch_size=check_int(batch_size, "batch_size"))
        return fn(z, **kw) if temperature else fn(z)
    return run


def _needs_model_x(name: str, model, X) -> None:
    if model is None or X is None:
        missing = [k for k, v in (("model=", model), ("X=", X)) if v is None]
        raise MissingInputError(f"OOD method {name!r} needs model= and X=; missing {' and '.join(missing)}.")


def _odin(*, model=None, X=None, **kw):
    _needs_model_x("odin", model, X)
    return odin_score(model, X, **kw)


def _gradient(*, model=None, X=None, **kw):
    _needs_model_x("gradient", model, X)
    return gradient_score(model, X, **kw)


def _features(name: str, model, X, features) -> Any:
    if features is not None:
        return features
    if model is None and X is not None:
        return X  # raw feature matrix
    raise MissingInputError(
        f"OOD method {name!r} needs features=... (n, d) (the model's penultimate features, or X "
        "itself when no model is given)."
    )


def _detector(name: str, cls, fit_features, fit_labels, detector, opts, *, need_labels: bool):
    if detector is not None:
        if not isinstance(detector, cls):
            raise InvalidSettingError(f"detector= for {name!r} must be a {cls.__name__}.")
        return detector
    if fit_features is None:
        raise MissingInputError(
            f"OOD method {name!r} needs fit_features=... (in-distribution features, e.g. of the "
            "labeled training items), or a fitted detector=."
        )
    if need_labels and fit_labels is None:
        raise MissingInputError(
            f"OOD method {name!r} needs fit_labels=... (the class of each fit_features row)."
        )
    return cls(**opts).fit(fit_features, fit_labels)


def _mahalanobis(*, model=None, X=None, features=None, fit_features=None, fit_labels=None,
                 detector=None, **opts):
    f = _features("mahalanobis", model, X, features)
    det = _detector("mahalanobis", MahalanobisDetector, fit_features, fit_labels, detector, opts,
                    need_labels=True)
    return det.score(f)


def _knn(*, model=None, X=None, features=None, fit_features=None, fit_labels=None,
         detector=None, **opts):
    f = _features("knn", model, X, features)
    det = _detector("knn", KNNDetector, fit_features, None, detector, opts, need_labels=False)
    return det.score(f)


#: name -> :class:`OODMethod`; every method returns (n,) scores, higher = more OOD.
OOD_METHODS: dict[str, OODMethod] = {
    "msp": OODMethod("msp", _output("msp", msp_score, prefer_decision=False, temperature=True),
                     "logits, or model + X", ("temperature", "batch_size"),
                     "negative max softmax probability"),
    "max_logit": OODMethod("max_logit", _output("max_logit", max_logit_score, prefer_decision=True,
                                                temperature=False),
                           "logits, or model + X", ("batch_size",), "negative max logit"),
    "energy": OODMethod("energy", _output("energy", energy_score, prefer_decision=True,
                                          temperature=True),
                        "logits, or model + X", ("temperature", "batch_size"),
                        "free energy -T logsumexp(z/T)"),
    "entropy": OODMethod("entropy", _output("entropy", entropy_score, prefer_decision=False,
                                            temperature=True),
                         "logits, or model + X", ("temperature", "batch_size"),
                         "entropy of the softmax"),
    "odin": OODMethod("odin", _odin, "torch model + X", ("temperature", "epsilon", "batch_size"),
                      "tempered softmax of a perturbed input"),
    "mahalanobis": OODMethod("mahalanobis", _mahalanobis,
                             "features + fit_features + fit_labels (or detector)",
                             ("detector", "tol", "chunk_size"),
                             "min Mahalanobis distance to class means"),
    "knn": OODMethod("knn", _knn, "features + fit_features (or detector)",
                     ("detector", "k", "normalize", "query_chunk", "fit_chunk"),
                     "distance to the k-th nearest in-distribution feature"),
    "gradient": OODMethod("gradient", _gradient, "model + X",
                          ("part", "labels", "temperature", "epsilon", "batch_size"),
                          "per-item gradient norm (G = norm / MSP, SG = norm)"),
}


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
      binary one as logits ``[0, d]``, else log-probabilities);
    - ``odin``: torch ``model`` + ``X``;
    - ``mahalanobis``: ``features`` (n, d) + ``fit_features`` + ``fit_labels``, or a fitted
      ``detector=MahalanobisDetector``;
    - ``knn``: ``features`` + ``fit_features``, or a fitted ``detector=KNNDetector``
      (for both, ``features`` defaults to ``X`` when no model is given);
    - ``gradient``: ``model`` + ``X`` (torch, or scikit-learn LogisticRegression / a Pipeline
      ending in one); option ``part="G"`` (default) or ``"SG"``.

    Extra keyword options go to the method (see ``OOD_METHODS[name].options``).

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
    args: dict[str, Any] = dict(model=model, X=X, **kw)
    if method in ("msp", "max_logit", "energy", "entropy"):
        args["logits"] = logits
    elif method in ("mahalanobis", "knn"):
        args.update(features=features, fit_features=fit_features, fit_labels=fit_labels)
    scores = spec(**args)
    return np.asarray(scores, dtype=np.float64)
