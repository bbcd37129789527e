import json

import numpy as np
import pandas as pd
import pytest

from dataqa.audit import audit
from dataqa.datasets import flip_labels, load_digits_noisy


@pytest.fixture(scope="module")
def digits_result():
    frame, flipped = load_digits_noisy(0.08, random_state=0)
    frame = frame.iloc[:600].reset_index(drop=True)
    flipped = flipped[:600]
    feats = [c for c in frame.columns if c.startswith("px_")]
    res = audit(frame.drop(columns=["true_label"]), label_column="label", id_column="id",
                feature_columns=feats, cv=3, progress=False)
    return frame, flipped, res


def test_audit_finds_flips(digits_result):
    frame, flipped, res = digits_result
    flagged = res.issues.set_index("id").loc[frame["id"], "is_label_issue"].to_numpy(bool)
    tp = (flagged & flipped).sum()
    assert tp / flagged.sum() > 0.6
    assert tp / flipped.sum() > 0.6


def test_error_rate_and_summary(digits_result):
    _, _, res = digits_result
    n_issues = int(res.issues["is_label_issue"].sum())
    assert res.summary["n"] == 600 and res.summary["n_issues"] == n_issues
    assert res.error_rate.estimate == pytest.approx(n_issues / 600)
    assert res.error_rate.low < res.error_rate.estimate < res.error_rate.high
    assert sum(res.summary["issues_per_class"].values()) == n_issues


def test_datalab_columns(digits_result):
    _, _, res = digits_result
    for col in ("outlier_score", "is_outlier", "is_near_duplicate", "near_duplicate_set"):
        assert col in res.issues.columns
    assert res.issues["outlier_score"].between(0, 1).all()


def test_save_writes_three_files(digits_result, tmp_path):
    _, _, res = digits_result
    paths = res.save(tmp_path)
    summary = json.loads(paths["summary"].read_text())
    assert set(summary) == {"n", "n_issues", "error_rate", "error_rate_low", "error_rate_high"}
    issues = pd.read_csv(paths["issues"])
    assert issues["label_issue_score"].is_monotonic_decreasing
    html = paths["report"].read_text()
    for part in ("Top 50 suspects", "Given vs suggested label", "Datalab findings",
                 "data:image/png;base64,", "Score distribution", "Issues per class",
                 "Class counts", str(res.error_rate)):
        assert part in html
    assert html.count("data:image/png;base64,") == 3 + 50  # 3 plots, 50 suspect thumbnails
    assert "http://" not in html and "https://" not in html  # self-contained


def test_review_queue(digits_result):
    _, _, res = digits_result
    q = res.review_queue(top=5)
    assert len(q) == 5
    assert {"id", "label", "prediction", "score", "px_0"} <= set(q.columns)
    assert q["score"].is_monotonic_decreasing
    top = res.issues.head(5)
    assert q["id"].tolist() == top["id"].astype(str).tolist()
    assert q["label"].tolist() == top["given_label"].astype(str).tolist()
    assert q["prediction"].tolist() == top["suggested_label"].astype(str).tolist()


def test_text_audit_and_near_duplicates():
    rng = np.random.default_rng(0)
    pos = ["great movie loved it", "wonderful acting superb film", "excellent story and cast",
           "loved every minute", "brilliant and moving"]
    neg = ["terrible boring movie", "awful acting bad plot", "worst film ever made",
           "dull and slow", "hated every minute"]
    texts = [pos[i % 5] + f" {w}" for i, w in enumerate(rng.integers(0, 1000, 60))] + \
            [neg[i % 5] + f" {w}" for i, w in enumerate(rng.integers(0, 1000, 60))]
    y = np.array([1] * 60 + [0] * 60)
    noisy, flipped = flip_labels(y, 0.1, n_classes=2, random_state=1)
    df = pd.DataFrame({"text": texts, "label": np.where(noisy == 1, "pos", "neg")})
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)  # an exact duplicate row
    res = audit(df, label_column="label", text_column="text", cv=3, progress=False)
    flagged = res.issues.set_index("id").loc[res.table.ids[:120], "is_label_issue"].to_numpy(bool)
    assert (flagged & flipped).sum() >= 0.7 * flipped.sum()
    assert res.summary["class_names"] == ["neg", "pos"]
    dup = res.issues.set_index("id").loc[res.table.ids[0]]
    assert bool(dup["is_near_duplicate"]) and res.table.ids[120] in dup["near_duplicate_set"]


def test_audit_without_datalab_has_no_datalab_columns():
    frame, _ = load_digits_noisy(0.1)
    frame = frame.iloc[:300]
    res = audit(frame, label_column="label", id_column="id",
                feature_columns=["px_10", "px_20", "px_30", "px_42"], datalab=False, cv=3,
                progress=False)
    assert "outlier_score" not in res.issues.columns
    assert res.datalab == {}


def test_report_leaves_the_plotting_backend_alone(digits_result, tmp_path):
    import matplotlib

    _, _, res = digits_result
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        res.to_html(tmp_path / "r.html")
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
