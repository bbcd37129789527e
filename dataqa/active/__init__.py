"""Active learning: acquisition scores, batch selectors, a modAL adapter, rounds, simulation.

Every acquisition returns scores of shape (n,) with **higher = more worth labeling**;
choosing a batch from them is a separate selector. Rounds are recorded in the
:class:`~dataqa.ledger.Ledger`, so they survive restarts.
"""

from dataqa.active.acquisition import (
    ACQUISITIONS,
    HYBRID_MODES,
    AcquisitionInput,
    acquire,
    acquisition_names,
    get_acquisition,
    hybrid_scores,
    least_confidence,
    margin_uncertainty,
    ood_percentile,
    prediction_entropy,
)
from dataqa.active.learner import ActiveLearner, make_query_strategy
from dataqa.active.selectors import (
    SELECTORS,
    select_batch,
    select_class_balanced,
    select_ranked_batch,
    select_topk,
    selector_names,
)
from dataqa.active.session import OUT_OF_SCOPE_LABELS, LabelingSession, is_out_of_scope
from dataqa.active.simulate import (
    OUT_OF_SCOPE,
    default_model,
    labels_to_reach,
    learning_curve_auc,
    simulate,
)

__all__ = [
    "ACQUISITIONS",
    "HYBRID_MODES",
    "OUT_OF_SCOPE",
    "OUT_OF_SCOPE_LABELS",
    "SELECTORS",
    "AcquisitionInput",
    "ActiveLearner",
    "LabelingSession",
    "acquire",
    "acquisition_names",
    "default_model",
    "get_acquisition",
    "hybrid_scores",
    "is_out_of_scope",
    "labels_to_reach",
    "learning_curve_auc",
    "least_confidence",
    "make_query_strategy",
    "margin_uncertainty",
    "ood_percentile",
    "prediction_entropy",
    "select_batch",
    "select_class_balanced",
    "select_ranked_batch",
    "select_topk",
    "selector_names",
    "simulate",
]
