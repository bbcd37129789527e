"""Label-error audits: out-of-sample probabilities, cleanlab label issues, Datalab checks."""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that importing
#: ``dataqa.audit.cli`` for ``dataqa --help`` loads none of the heavy libraries.
_LAZY = {
    "AuditResult": "dataqa.audit.core",
    "audit": "dataqa.audit.core",
    "datalab_findings": "dataqa.audit.core",
    "ModelErrorRate": "dataqa.audit.error_rate",
    "model_error_rate": "dataqa.audit.error_rate",
    "PosteriorInterval": "dataqa.audit.posterior",
    "VerifiedErrorRate": "dataqa.audit.review",
    "estimate_error_rate": "dataqa.audit.review",
    "plan_review": "dataqa.audit.review",
    "required_review_size": "dataqa.audit.review",
    "ISSUE_COLUMNS": "dataqa.audit.issues",
    "find_label_issues": "dataqa.audit.issues",
    "C_GRID": "dataqa.audit.pred_probs",
    "cross_val_pred_probs": "dataqa.audit.pred_probs",
    "default_model": "dataqa.audit.pred_probs",
    "out_of_sample_pred_probs": "dataqa.audit.pred_probs",
}

__all__ = [
    "C_GRID",
    "ISSUE_COLUMNS",
    "AuditResult",
    "ModelErrorRate",
    "PosteriorInterval",
    "VerifiedErrorRate",
    "audit",
    "cross_val_pred_probs",
    "datalab_findings",
    "default_model",
    "estimate_error_rate",
    "find_label_issues",
    "model_error_rate",
    "out_of_sample_pred_probs",
    "plan_review",
    "required_review_size",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
