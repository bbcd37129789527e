"""Output-based OOD scores: pure functions of a model's logits.

Every function returns a float64 array of shape (n,) where **higher = more
out-of-distribution**. Models without logits (scikit-learn classifiers that only have
``predict_proba``) can pass ``np.log(pred_probs)``: the softmax of log-probabilities gives
back the probabilities, so MSP and entropy are unchanged (energy and max-logit then lose the
scale of the logits; see :func:`logits_from_probs`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, logsumexp

from dataqa._validation import as_2d_float, check_positive, check_pred_probs
from dataqa.errors import OODInputError

__all__ = [
    "msp_score",
    "max_logit_score",
    "energy_score",
    "entropy_score",
    "logits_from_probs",
]


def logits_from_probs(pred_probs) -> np.ndarray:
    """Log-probabilities (n, K) usable where logits are expected.

    Probabilities of exactly 0 are clipped to the smallest positive float64 so the result
    stays finite.

    Parameters
    ----------
    pred_probs : array (n, K), K >= 2, values in [0, 1]

    Raises
    ------
    OODInputError
        ``pred_probs`` is not (n, K), holds NaN/inf, or lies outside [0, 1].
    """
    p = check_pred_probs(pred_probs, rows_sum_to_one=False, error=OODInputError)
    return _log_probs(p)


def _log_probs(p: np.ndarray) -> np.ndarray:
    """``log p`` of checked probabilities, with 0 clipped to the smallest positive float."""
    return np.log(np.clip(p, np.finfo(np.float64).tiny, None))


def msp_score(logits, *, temperature: float = 1.0) -> np.ndarray:
    """Negative maximum softmax probability.

    ``score_i = -max_k softmax(z_i / T)_k``; in [-1, -1/K], higher = more OOD.

    Hendrycks & Gimpel, "A Baseline for Detecting Misclassified and Out-of-Distribution
    Examples in Neural Networks", ICLR 2017.

    Parameters
    ----------
    logits : array (n, K)
    temperature : float > 0

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    z = as_2d_float(logits, "logits", min_cols=2)
    t = check_positive(temperature, "temperature")
    return -np.exp(log_softmax(z / t, axis=1).max(axis=1))


def max_logit_score(logits) -> np.ndarray:
    """Negative maximum logit: ``score_i = -max_k z_ik``; higher = more OOD.

    Hendrycks et al., "Scaling Out-of-Distribution Detection for Real-World Settings",
    ICML 2022.

    Parameters
    ----------
    logits : array (n, K)

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    z = as_2d_float(logits, "logits", min_cols=2)
    return -z.max(axis=1)


def energy_score(logits, *, temperature: float = 1.0) -> np.ndarray:
    """Free energy: ``score_i = -T * logsumexp(z_i / T)``; higher = more OOD.

    Liu et al., "Energy-based Out-of-distribution Detection", NeurIPS 2020.

    Parameters
    ----------
    logits : array (n, K)
    temperature : float > 0

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    z = as_2d_float(logits, "logits", min_cols=2)
    t = check_positive(temperature, "temperature")
    return -t * logsumexp(z / t, axis=1)


def entropy_score(logits, *, temperature: float = 1.0) -> np.ndarray:
    """Shannon entropy (nats) of the softmax: ``score_i = -sum_k p_ik log p_ik``.

    In [0, log K]; higher = more OOD (a flat prediction). A standard uncertainty baseline
    (e.g. Hendrycks & Gimpel 2017; Lakshminarayanan et al. 2017).

    Parameters
    ----------
    logits : array (n, K)
    temperature : float > 0

    Returns
    -------
    scores : float64 ndarray (n,)
    """
    z = as_2d_float(logits, "logits", min_cols=2)
    t = check_positive(temperature, "temperature")
    logp = log_softmax(z / t, axis=1)
    return -(np.exp(logp) * logp).sum(axis=1)
