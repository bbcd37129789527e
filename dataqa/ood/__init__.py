"""Out-of-distribution scores for torch and scikit-learn models.

Every score has shape (n,) and **higher = more out-of-distribution**.

- output scores (pure functions of logits): :func:`msp_score`, :func:`max_logit_score`,
  :func:`energy_score`, :func:`entropy_score`;
- :func:`odin_score` (temperature + input perturbation);
- feature detectors: :class:`MahalanobisDetector`, :class:`KNNDetector`;
- gradient method: :func:`gradient_norms` (exact per-item norms in one forward and one
  backward pass), :func:`gradient_score` (``part="G"`` or ``"SG"``),
  :func:`sklearn_gradient_norms` (closed form for logistic regression);
- one entry point: :func:`score_ood` with the registry :data:`OOD_METHODS` (each method
  declares what it needs, :data:`OOD_NEEDS`; add one with :func:`register_ood_method`);
- evaluation: :func:`ood_metrics`.
"""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that importing
#: ``dataqa.ood.cli`` for ``dataqa --help`` loads none of the heavy libraries.
_LAZY = {
    "OODInputError": "dataqa.errors",
    "OOD_METHODS": "dataqa.ood.api",
    "OOD_NEEDS": "dataqa.ood.api",
    "OODMethod": "dataqa.ood.api",
    "get_ood_method": "dataqa.ood.api",
    "ood_method_names": "dataqa.ood.api",
    "register_ood_method": "dataqa.ood.api",
    "score_ood": "dataqa.ood.api",
    "KNNDetector": "dataqa.ood.distance",
    "MahalanobisDetector": "dataqa.ood.distance",
    "FAST_LAYER_TYPES": "dataqa.ood.gradients",
    "gradient_norms": "dataqa.ood.gradients",
    "gradient_score": "dataqa.ood.gradients",
    "sklearn_gradient_norms": "dataqa.ood.gradients",
    "ood_metrics": "dataqa.ood.metrics",
    "odin_score": "dataqa.ood.odin",
    "energy_score": "dataqa.ood.scores",
    "entropy_score": "dataqa.ood.scores",
    "logits_from_probs": "dataqa.ood.scores",
    "max_logit_score": "dataqa.ood.scores",
    "msp_score": "dataqa.ood.scores",
}

__all__ = [
    "FAST_LAYER_TYPES",
    "KNNDetector",
    "MahalanobisDetector",
    "OODInputError",
    "OODMethod",
    "OOD_METHODS",
    "OOD_NEEDS",
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
    "register_ood_method",
    "score_ood",
    "sklearn_gradient_norms",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
