"""Weak supervision on YouTube spam, split by video: train on Psy, KatyPerry, LMFAO and
Eminem (a 120-row dev set drawn from them), test on Shakira.

The ready LF set ``labeling_functions.youtube_spam`` is applied to train, dev and test;
the LF summary is computed on train (gold labels used only to report). Label models
are fitted on the train votes ("auto" picks on dev) and scored on the test video; an end
model (TF-IDF + logistic regression) is trained on the probabilistic train labels (each
row twice, weighted by its class probabilities) and scored on the test video.
Anchors: published majority vote 84.0 %, Snorkel label model 88.3 % (validation), end
model 92.8 %. Goal: label model >= 88 % and end model >= 92 % on the test video.

    python benchmarks/weak_youtube.py [--quick] [--out bench_out]
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from _common import finish, parser, write_json  # noqa: E402


def end_model(texts_train, proba, texts_test, *, random_state: int = 0):
    """TF-IDF + logistic regression fitted on soft labels; returns test predictions."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vec.fit_transform(list(texts_train))
    K = proba.shape[1]
    import scipy.sparse as sp

    X2 = sp.vstack([X] * K)
    y2 = np.repeat(np.arange(K), X.shape[0])
    w2 = np.concatenate([proba[:, k] for k in range(K)])
    clf = LogisticRegression(C=10.0, max_iter=2000, random_state=random_state)
    clf.fit(X2, y2, sample_weight=w2)
    return clf.predict(vec.transform(list(texts_test)))


def main(argv: list[str] | None = None) -> dict:
    from rich.console import Console
    from rich.table import Table

    from dataqa.datasets import load_youtube_spam
    from dataqa.weak import apply_lfs, fit_label_model, lf_summary
    from labeling_functions.youtube_spam import lfs

    ap = parser(__doc__)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    train, dev, test = (load_youtube_spam(split=s) for s in ("train", "dev", "test"))
    L, L_dev, L_test = (apply_lfs(d, lfs) for d in (train, dev, test))
    y_train, y_dev, y_test = (d["label"].to_numpy() for d in (train, dev, test))
    summary = lf_summary(L, lfs, y_train, cardinality=2)
    console = Console()
    console.print(summary.round(3).to_string())
    methods = ["majority", "dawid_skene", "auto"] if args.quick else \
        ["majority", "dawid_skene", "snorkel", "auto"]
    res: dict = {"n_train": len(train), "n_dev": len(dev), "n_test": len(test), "n_lfs": len(lfs),
                 "train_coverage": float((L >= 0).any(axis=1).mean()),
                 "test_coverage": float((L_test >= 0).any(axis=1).mean()),
                 "label_models": {}, "anchors": {"majority": 84.0, "snorkel_label_model": 88.3,
                                                  "end_model": 92.8}}
    table = Table(title="YouTube spam: test video (Shakira)")
    for c in ("model", "test accuracy %", "note"):
        table.add_column(c)
    auto = None
    for method in methods:
        model = fit_label_model(L, cardinality=2, method=method, L_dev=L_dev, Y_dev=y_dev,
                                random_state=0, dev_rows="all")  # as the test rows are scored
        acc = 100 * float(np.mean(model.predict(L_test, abstain_uncovered=False) == y_test))
        entry = {"test_accuracy": acc,
                 "dev_accuracy": 100 * float(np.mean(model.predict(L_dev, abstain_uncovered=False) == y_dev))}
        note = ""
        if method == "auto":
            auto = model
            entry.update(chosen=model.chosen_, reason=model.reason_, goal_met=bool(acc >= 88.0))
            note = f"kept {model.chosen_}; goal >= 88: {'met' if acc >= 88 else 'NOT met'}"
        res["label_models"][method] = entry
        table.add_row(f"label model: {method}", f"{acc:.1f}", note)
    proba = auto.predict_proba(L)
    pred = end_model(train["text"], proba, test["text"])
    end_acc = 100 * float(np.mean(pred == y_test))
    res["end_model"] = {"test_accuracy": end_acc, "trained_on": f"auto ({auto.chosen_}) soft labels",
                        "goal_met": bool(end_acc >= 92.0)}
    table.add_row("end model: TF-IDF + LR", f"{end_acc:.1f}",
                  f"on {auto.chosen_} soft labels; goal >= 92: {'met' if end_acc >= 92 else 'NOT met'}")
    gold = 100 * float(np.mean(end_model(train["text"], np.eye(2)[y_train], test["text"]) == y_test))
    res["end_model_gold_labels_reference"] = gold
    table.add_row("reference: same end model on gold train labels", f"{gold:.1f}", "not weak")
    console.print(table)
    res["lf_summary"] = json.loads(summary.to_json(orient="index"))
    write_json(args.out, "weak_youtube", res)
    return res


if __name__ == "__main__":
    _res = main()
    sys.exit(finish("weak_youtube", {
        "label model (auto) >= 88% on the test video": _res["label_models"]["auto"]["goal_met"],
        "end model >= 92% on the test video": _res["end_model"]["goal_met"]}))
