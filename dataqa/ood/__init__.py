"""Out-of-distribution scores for torch and scikit-learn models.

Every score has shape (n,) and **higher = more out-of-distribution**.

- output scores (pure functions of logits): :func:`msp_score`, :func:`max_logit_score`,
  :func:`energy_score`, :func:`entropy_score`;
- :func:`odin_score` (temperature + input perturbation);
- feature detectors: :class:`MahalanobisDetector`, :class:`KNNDetector`;
- gradient method: :func:`gradient_norms` (exact per-item norms in one forward and one
  backward pass), :func:`gradient_score` (``part="G"`` or ``"SG"``),
  :func:`sklearn_gradient_norms` (closed form for logistic regression);
- one entry point: :func:`score_ood` with the registry :data:`OOD_METHODS`;
- evaluation: :func:`ood_metrics`.
"""

from dataqa.ood._validate import OODInputError
from dataqa.ood.api import OOD_METHODS, OODMethod, get_ood_method, ood_method_names, score_ood
from dataqa.ood.distance import KNNDetector, MahalanobisDetector
from dataqa.ood.gradients import (
    FAST_LAYER_TYPES,
    gradient_norms,
    gradient_score,
    sklearn_gradient_norms,
)
from dataqa.ood.metrics import ood_metrics
from dataqa.ood.odin import odin_score
from dataqa.ood.scores import (
    energy_score,
    entropy_score,
    logits_from_probs,
    max_logit_score,
    msp_score,
)

__all__ = [
    "FAST_LAYER_TYPES",
    "KNNDetector",
    "MahalanobisDetector",
    "OODInputError",
    "OODMethod",
    "OOD_METHODS",
    "energy_score",
    "entropy_score",
    "get_ood_method",
    "gradient_norms",
    "gradient_score",
    "logits_from_probs",
    "max_logit_score",
    "msp_score",
    "odin_score",
    "ood_method_names",
    "ood_metrics",
    "score_ood",
    "sklearn_gradient_norms",
]
