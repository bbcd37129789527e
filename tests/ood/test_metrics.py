"""ood_metrics against scikit-learn and hand-computed FPR@95."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from dataqa.ood import OODInputError, ood_metrics


def test_matches_sklearn():
    rng = np.random.default_rng(0)
    s_in = rng.normal(0, 1, 300)
    s_out = rng.normal(1.5, 1, 200)
    m = ood_metrics(s_in, s_out)
    y = np.r_[np.zeros(300), np.ones(200)]
    s = np.r_[s_in, s_out]
    assert m["auroc"] == pytest.approx(roc_auc_score(y, s))
    assert m["aupr_out"] == pytest.approx(average_precision_score(y, s))
    assert m["aupr_in"] == pytest.approx(average_precision_score(1 - y, -s))
    # FPR@95 by brute force: lowest threshold-free rate among thresholds catching >= 95% OOD
    best = min(
        (s_in >= t).mean() for t in np.sort(s_out) if (s_out >= t).mean() >= 0.95
    )
    assert m["fpr_at_95_tpr"] == pytest.approx(best)
    assert (m["n_in"], m["n_out"]) == (300, 200)


def test_hand_example():
    s_in = np.array([0.0, 1.0, 2.0, 3.0])
    s_out = np.array([2.5, 4.0, 5.0, 6.0])
    m = ood_metrics(s_in, s_out)
    # catching all 4 OOD items (>= 2.5) flags one in-distribution item (3.0)
    assert m["fpr_at_95_tpr"] == pytest.approx(0.25)
    assert m["auroc"] == pytest.approx(15 / 16)
    perfect = ood_metrics([0.0, 0.1], [1.0, 2.0])
    assert perfect["auroc"] == 1.0 and perfect["fpr_at_95_tpr"] == 0.0


def test_fpr_at_95_with_ties_of_in_and_out_items():
    # tied in/out pairs at consecutive thresholds lie on a straight stretch of the ROC
    # curve, whose points roc_curve drops by default: 0.1 was reported for 0.05
    s_out = np.r_[np.arange(10.0, 28.0), 2.0, 1.0]
    s_in = np.r_[2.0, 1.0, np.zeros(18)]
    assert ood_metrics(s_in, s_out)["fpr_at_95_tpr"] == pytest.approx(0.05)
    rng = np.random.default_rng(3)
    for _ in range(20):  # brute force on scores with many ties
        s_in, s_out = rng.integers(0, 8, 60).astype(float), rng.integers(3, 12, 40).astype(float)
        best = min((s_in >= t).mean() for t in np.unique(np.r_[s_in, s_out])
                   if (s_out >= t).mean() >= 0.95)
        assert ood_metrics(s_in, s_out)["fpr_at_95_tpr"] == pytest.approx(best)


def test_errors():
    with pytest.raises(OODInputError, match="scores_in must be 1-D"):
        ood_metrics(np.zeros((2, 2)), [1.0])
    with pytest.raises(OODInputError, match="scores_out is empty"):
        ood_metrics([1.0], [])
    with pytest.raises(OODInputError, match="1 NaN/inf"):
        ood_metrics([1.0, np.nan], [2.0])
