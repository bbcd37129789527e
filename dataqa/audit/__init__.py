"""Label-error audits: out-of-sample probabilities, cleanlab label issues, Datalab checks."""

from dataqa.audit.core import AuditResult, audit, datalab_findings
from dataqa.audit.issues import ISSUE_COLUMNS, find_label_issues
from dataqa.audit.pred_probs import (
    C_GRID,
    cross_val_pred_probs,
    default_model,
    out_of_sample_pred_probs,
)

__all__ = [
    "C_GRID",
    "ISSUE_COLUMNS",
    "AuditResult",
    "audit",
    "cross_val_pred_probs",
    "datalab_findings",
    "default_model",
    "find_label_issues",
    "out_of_sample_pred_probs",
]
