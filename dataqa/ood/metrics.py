"""Evaluation of OOD scores: AUROC, AUPR (in and out) and FPR at 95% TPR."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from dataqa._validation import check_scores
from dataqa.errors import OODInputError

__all__ = ["ood_metrics"]


def ood_metrics(scores_in, scores_out) -> dict[str, float]:
    """Detection metrics for scores where higher = more out-of-distribution.

    OOD items are the positive class. ``auroc`` = ``roc_auc_score``; ``aupr_out`` = average
    precision with OOD positive; ``aupr_in`` = average precision with in-distribution
    positive and the scores negated; ``fpr_at_95_tpr`` = the false-positive rate on
    in-distribution items at the first threshold of ``roc_curve`` that flags at least 95%
    of the OOD items (lower is better).

    Parameters
    ----------
    scores_in : array (n_in,), scores of in-distribution items
    scores_out : array (n_out,), scores of out-of-distribution items

    Returns
    -------
    dict with keys ``auroc``, ``aupr_in``, ``aupr_out``, ``fpr_at_95_tpr``, ``n_in``, ``n_out``
    """
    s_in = check_scores(scores_in, "scores_in", error=OODInputError)
    s_out = check_scores(scores_out, "scores_out", error=OODInputError)
    s = np.concatenate([s_in, s_out])
    y = np.concatenate([np.zeros(len(s_in)), np.ones(len(s_out))])
    # every threshold (drop_intermediate would drop the points on a straight stretch of
    # the curve, ties of in and out items among them, and land past the first 95% one)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    idx = int(np.searchsorted(tpr, 0.95, side="left"))
    return {
        "auroc": float(roc_auc_score(y, s)),
        "aupr_in": float(average_precision_score(1 - y, -s)),
        "aupr_out": float(average_precision_score(y, s)),
        "fpr_at_95_tpr": float(fpr[min(idx, len(fpr) - 1)]),
        "n_in": len(s_in),
        "n_out": len(s_out),
    }
