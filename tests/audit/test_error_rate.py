"""The model-based error-rate range: each estimator by hand, the range, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dataqa.audit.error_rate import model_error_rate, rate_text
from dataqa.errors import InvalidSettingError


def test_estimators_by_hand():
    from cleanlab.count import estimate_joint, num_label_issues

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3))
    logits[np.arange(300), y] += 2.0
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    m = model_error_rate(y, p)
    expected = {
        "confident_joint": 1.0 - np.trace(estimate_joint(y, p)),
        "num_label_issues": num_label_issues(y, p) / 300,
        "argmax_disagreement": np.mean(p.argmax(axis=1) != y),
        "expected_disagreement": np.mean(1.0 - p[np.arange(300), y]),
    }
    assert list(m.methods) == list(expected)
    for k, v in expected.items():
        assert m.methods[k] == pytest.approx(v, abs=1e-12)
    assert m.low == min(expected.values()) and m.high == max(expected.values())
    assert m.review_size is None
    assert str(m).startswith(f"{rate_text(m.low)} - {rate_text(m.high)} (model-based range, "
                             f"not verified")


def test_tiny_hand_example():
    # 4 items, 2 classes; item 3's given label is the unlikely one
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.9, 0.1]])
    m = model_error_rate(y, p)
    assert m.methods["argmax_disagreement"] == 0.25
    assert m.methods["expected_disagreement"] == pytest.approx((0.1 + 0.2 + 0.3 + 0.9) / 4)


def test_bad_input():
    with pytest.raises(InvalidSettingError, match="has no column in pred_probs"):
        model_error_rate(np.array([0, 2]), np.array([[0.5, 0.5], [0.5, 0.5]]))


def test_rates_under_one_percent_keep_two_significant_digits():
    # a range from 0.056% printed as "0.1%" read as holding a true rate of 0.0%, or not
    assert [rate_text(v) for v in (0.0, 0.00056, 0.0075, 0.01, 0.1234, 1.0)] == \
        ["0.0%", "0.056%", "0.75%", "1.0%", "12.3%", "100.0%"]
