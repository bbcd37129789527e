"""Active learning: acquisition scores, batch selectors, a modAL adapter, rounds, simulation.

Every acquisition returns scores of shape (n,) with **higher = more worth labeling**;
choosing a batch from them is a separate selector. Rounds are recorded in the
:class:`~dataqa.ledger.Ledger`, so they survive restarts.
"""

import sys
import types

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that importing
#: ``dataqa.active.cli`` for ``dataqa --help`` loads none of the heavy libraries.
_LAZY = {
    "ACQUISITIONS": "dataqa.active.acquisition",
    "ACQUISITION_NEEDS": "dataqa.active.acquisition",
    "Acquisition": "dataqa.active.acquisition",
    "register_acquisition": "dataqa.active.acquisition",
    "HYBRID_MODES": "dataqa.active.acquisition",
    "AcquisitionInput": "dataqa.active.acquisition",
    "acquire": "dataqa.active.acquisition",
    "acquisition_names": "dataqa.active.acquisition",
    "get_acquisition": "dataqa.active.acquisition",
    "hybrid_scores": "dataqa.active.acquisition",
    "knn_default_k": "dataqa.active.acquisition",
    "least_confidence": "dataqa.active.acquisition",
    "margin_uncertainty": "dataqa.active.acquisition",
    "ood_percentile": "dataqa.active.acquisition",
    "prediction_entropy": "dataqa.active.acquisition",
    "ActiveLearner": "dataqa.active.learner",
    "make_query_strategy": "dataqa.active.learner",
    "SELECTORS": "dataqa.active.selectors",
    "SELECTOR_NEEDS": "dataqa.active.selectors",
    "Selector": "dataqa.active.selectors",
    "get_selector": "dataqa.active.selectors",
    "register_selector": "dataqa.active.selectors",
    "select_batch": "dataqa.active.selectors",
    "select_class_balanced": "dataqa.active.selectors",
    "select_ranked_batch": "dataqa.active.selectors",
    "select_topk": "dataqa.active.selectors",
    "selector_names": "dataqa.active.selectors",
    "OUT_OF_SCOPE_LABELS": "dataqa.active.session",
    "LabelingSession": "dataqa.active.session",
    "is_out_of_scope": "dataqa.active.session",
    "OUT_OF_SCOPE": "dataqa.types",
    "default_model": "dataqa.active.simulate",
    "labels_to_reach": "dataqa.active.simulate",
    "learning_curve_auc": "dataqa.active.simulate",
    "simulate": "dataqa.active.simulate",
}

__all__ = [
    "ACQUISITIONS",
    "ACQUISITION_NEEDS",
    "HYBRID_MODES",
    "OUT_OF_SCOPE",
    "OUT_OF_SCOPE_LABELS",
    "SELECTORS",
    "SELECTOR_NEEDS",
    "Acquisition",
    "AcquisitionInput",
    "ActiveLearner",
    "LabelingSession",
    "Selector",
    "acquire",
    "acquisition_names",
    "default_model",
    "get_acquisition",
    "get_selector",
    "hybrid_scores",
    "is_out_of_scope",
    "knn_default_k",
    "labels_to_reach",
    "learning_curve_auc",
    "least_confidence",
    "make_query_strategy",
    "margin_uncertainty",
    "ood_percentile",
    "prediction_entropy",
    "register_acquisition",
    "register_selector",
    "select_batch",
    "select_class_balanced",
    "select_ranked_batch",
    "select_topk",
    "selector_names",
    "simulate",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())


class _Package(types.ModuleType):
    """``dataqa.active.simulate`` stays the function when its submodule is imported."""

    def __setattr__(self, name: str, value) -> None:
        if name == "simulate" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
