"""dataqa: data quality and labeling in one toolkit.

- ``dataqa.audit``: likely label errors (cleanlab) from out-of-sample probabilities,
  Datalab's outliers, near duplicates and imbalance, the model-based error-rate range,
  the verified error rate from a small stratified review, HTML report.
- ``dataqa.weak``: apply labeling functions fast, analyse them, fit label models.
- ``dataqa.ood`` and ``dataqa.active``: out-of-distribution scores and active learning.
- ``dataqa.ledger`` and ``dataqa.labelstudio``: the SQLite ledger and Label Studio sync.
- ``dataqa.drift``: is production data still the data the model learned from; what to label.

Every score dataqa returns has shape (n,) and higher = more suspicious / more worth
labeling (see ``dataqa.types``). Names are imported on first use, so ``import dataqa``
stays light (torch is only loaded for the OOD and active-learning parts).
"""

from __future__ import annotations

from dataqa._lazy import lazy_exports as _lazy_exports
from dataqa.errors import DataqaError
from dataqa.types import ABSTAIN

__version__ = "0.1.0"

#: Public names loaded lazily: name -> module that defines it.
_LAZY = {
    # tables and statistics (pandas and scipy load on first use, so `dataqa --help` is quick)
    "LabeledTable": "dataqa.data",
    "load_table": "dataqa.data",
    "prepare_labeled": "dataqa.data",
    "ErrorRate": "dataqa.stats",
    "error_rate_interval": "dataqa.stats",
    "required_test_size": "dataqa.stats",
    "subgroup_metrics": "dataqa.stats",
    # audit
    "AuditResult": "dataqa.audit",
    "audit": "dataqa.audit",
    "find_label_issues": "dataqa.audit",
    "out_of_sample_pred_probs": "dataqa.audit",
    "plan_review": "dataqa.audit",
    "estimate_error_rate": "dataqa.audit",
    "required_review_size": "dataqa.audit",
    # drift
    "detect_drift": "dataqa.drift",
    "DriftResult": "dataqa.drift",
    # weak supervision
    "apply_lfs": "dataqa.weak",
    "lf_summary": "dataqa.weak",
    "fit_label_model": "dataqa.weak",
    "LABEL_MODELS": "dataqa.weak",
    "WeakResult": "dataqa.weak",
    "weak_label": "dataqa.weak",
    # out-of-distribution scores
    "score_ood": "dataqa.ood",
    "OOD_METHODS": "dataqa.ood",
    "ood_method_names": "dataqa.ood",
    "gradient_norms": "dataqa.ood",
    "gradient_score": "dataqa.ood",
    "MahalanobisDetector": "dataqa.ood",
    "KNNDetector": "dataqa.ood",
    "ood_metrics": "dataqa.ood",
    # active learning
    "ActiveLearner": "dataqa.active",
    "LabelingSession": "dataqa.active",
    "acquisition_names": "dataqa.active",
    "acquire": "dataqa.active",
    "select_batch": "dataqa.active",
    "simulate": "dataqa.active",
    # ledger and Label Studio
    "Ledger": "dataqa.ledger",
    "push_queue": "dataqa.labelstudio",
    "pull_annotations": "dataqa.labelstudio",
    "consensus_labels": "dataqa.labelstudio",
    "LocalServer": "dataqa.labelstudio",
    "PushReport": "dataqa.labelstudio",
    "PullReport": "dataqa.labelstudio",
    "ConsensusResult": "dataqa.labelstudio",
    "LabelStudioClient": "dataqa.labelstudio",
    "label_config": "dataqa.labelstudio",
}

__all__ = [
    "ABSTAIN",
    "DataqaError",
    "__version__",
    *_LAZY,
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
