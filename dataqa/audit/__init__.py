"""Label-error audits: out-of-sample probabilities, cleanlab label issues, Datalab checks.

``dataqa.audit`` names both this package and the :func:`audit` function exported from
``dataqa``. Once the package is imported, Python binds ``dataqa.audit`` to it; the package
is therefore callable and runs :func:`audit`, so ``dataqa.audit(df, ...)`` works whichever
was imported first.
"""

import sys as _sys
import types as _types

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that importing
#: ``dataqa.audit.cli`` for ``dataqa --help`` loads none of the heavy libraries.
_LAZY = {
    "AuditResult": "dataqa.audit.core",
    "audit": "dataqa.audit.core",
    "datalab_findings": "dataqa.audit.core",
    "add_conflicting_duplicates": "dataqa.audit.duplicates",
    "conflicting_duplicates": "dataqa.audit.duplicates",
    "ModelErrorRate": "dataqa.audit.error_rate",
    "model_error_rate": "dataqa.audit.error_rate",
    "PosteriorInterval": "dataqa.audit.posterior",
    "VerifiedErrorRate": "dataqa.audit.review",
    "estimate_error_rate": "dataqa.audit.review",
    "extend_plan": "dataqa.audit.review",
    "plan_review": "dataqa.audit.review",
    "required_review_size": "dataqa.audit.review",
    "reviews_to_add": "dataqa.audit.review",
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
    "add_conflicting_duplicates",
    "audit",
    "conflicting_duplicates",
    "cross_val_pred_probs",
    "datalab_findings",
    "default_model",
    "estimate_error_rate",
    "extend_plan",
    "find_label_issues",
    "model_error_rate",
    "out_of_sample_pred_probs",
    "plan_review",
    "required_review_size",
    "reviews_to_add",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())


class _CallablePackage(_types.ModuleType):
    """This package; calling it runs :func:`dataqa.audit.core.audit`."""

    def __call__(self, *args, **kwargs):
        return self.audit(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage
