import numpy as np
import pytest
from cleanlab.filter import find_label_issues as cl_find
from cleanlab.rank import get_label_quality_scores

from dataqa.audit import ISSUE_COLUMNS, find_label_issues
from dataqa.errors import InvalidSettingError, LengthMismatchError


def noisy_probs(n=300, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 3
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    given = y.copy()
    flip = rng.choice(n, 30, replace=False)
    given[flip] = (y[flip] + 1) % k
    return given, p


def test_same_flags_as_cleanlab_and_score_is_one_minus_quality():
    labels, p = noisy_probs()
    ids = np.array([f"item-{i}" for i in range(len(labels))], dtype=object)
    df = find_label_issues(labels, p, ids=ids, class_names=["a", "b", "c"])
    assert list(df.columns) == ISSUE_COLUMNS
    mask = cl_find(labels, p)
    by_id = df.set_index("id")
    np.testing.assert_array_equal(by_id.loc[ids, "is_label_issue"].to_numpy(), mask)
    quality = get_label_quality_scores(labels, p, method="self_confidence")
    np.testing.assert_allclose(by_id.loc[ids, "label_issue_score"].to_numpy(), 1 - quality)
    assert df["label_issue_score"].is_monotonic_decreasing
    assert by_id.loc["item-0", "given_label"] == ["a", "b", "c"][labels[0]]
    assert by_id.loc["item-0", "suggested_label"] == ["a", "b", "c"][p[0].argmax()]


def test_flagged_items_rank_first_on_average():
    labels, p = noisy_probs()
    df = find_label_issues(labels, p)
    ranks = np.flatnonzero(df["is_label_issue"].to_numpy())
    assert ranks.mean() < len(df) / 4


def test_errors():
    labels, p = noisy_probs()
    with pytest.raises(LengthMismatchError, match="pred_probs has 300 rows but labels has 299"):
        find_label_issues(labels[:-1], p)
    bad = p.copy()
    bad[3] *= 2
    with pytest.raises(InvalidSettingError, match="summing to 1; 1 rows do not \\(first: \\[3\\]\\)"):
        find_label_issues(labels, bad)
    with pytest.raises(InvalidSettingError, match="label 2 has no column"):
        find_label_issues(labels, p[:, :2] / p[:, :2].sum(axis=1, keepdims=True))
    with pytest.raises(LengthMismatchError, match="class_names has 2 names"):
        find_label_issues(labels, p, class_names=["a", "b"])
