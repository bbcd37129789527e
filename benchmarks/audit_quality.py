"""Quality of dataqa's label-issue detection against cleanlab's CleanLearning baselines.

Datasets: digits, wine, breast cancer (numeric) and SMS spam (text, TF-IDF), with 5%, 10%
and 20% uniform and class-dependent label flips (seeded). Precision, recall and F1 of
``is_label_issue`` against the flipped items, for

- dataqa: ``out_of_sample_pred_probs`` with no model (regularisation chosen on the
  out-of-fold log-loss) + ``find_label_issues``;
- ``CleanLearning(LogisticRegression()).find_label_issues``;
- ``CleanLearning(make_pipeline(StandardScaler(), LogisticRegression())).find_label_issues``
  (``StandardScaler(with_mean=False)`` on sparse text features).

Goal: dataqa's F1 at least the better baseline's on every row.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402


def _prf(flag: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = int(np.sum(flag & truth))
    p = tp / max(int(flag.sum()), 1)
    r = tp / max(int(truth.sum()), 1)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def load_sets(quick: bool):
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    sets = {}
    for name, loader in (("digits", load_digits), ("wine", load_wine),
                         ("breast_cancer", load_breast_cancer)):
        d = loader()
        sets[name] = (d.data.astype(np.float64), d.target.astype(np.int64))
    try:
        from dataqa.data import encode_labels
        from dataqa.datasets import load_sms_spam
        from dataqa.features import tfidf_features

        sms = load_sms_spam()
        if quick:
            sms = sms.iloc[:1500]
        y, _ = encode_labels(sms["label"])
        sets["sms_spam"] = (tfidf_features(sms["text"].tolist()), y)
    except Exception as exc:  # noqa: BLE001 - reported in the table, run goes on
        print(f"sms_spam skipped: {exc}")
    return sets


def main(argv=None) -> list[dict]:
    args = parser(__doc__).parse_args(argv)
    import scipy.sparse as sp
    from cleanlab.classification import CleanLearning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from dataqa.audit import cross_val_pred_probs, find_label_issues
    from dataqa.datasets import flip_labels

    warnings.filterwarnings("ignore")
    threadpool_limits(limits=1)  # small fits: one BLAS thread each, for every method alike
    rates = (0.1,) if args.quick else (0.05, 0.10, 0.20)
    kinds = ("uniform",) if args.quick else ("uniform", "class_dependent")
    rows = []
    for name, (X, y) in load_sets(args.quick).items():
        k = int(y.max()) + 1
        for kind in kinds:
            for rate in rates:
                noisy, flipped = flip_labels(y, rate, n_classes=k, kind=kind, random_state=0)
                t0 = time.perf_counter()
                pp, info = cross_val_pred_probs(X, noisy, progress=False)
                dq = find_label_issues(noisy, pp)
                flag = np.zeros(len(y), bool)
                flag[dq["id"].to_numpy()] = dq["is_label_issue"].to_numpy()
                t_dq = time.perf_counter() - t0
                row = {"dataset": name, "noise": kind, "rate": rate}
                row["dataqa_P"], row["dataqa_R"], row["dataqa_F1"] = _prf(flag, flipped)
                row["dataqa_C"] = info.get("C")
                row["dataqa_s"] = t_dq
                scaler = StandardScaler(with_mean=not sp.issparse(X))
                for tag, model in (("lr", LogisticRegression(max_iter=3000)),
                                   ("scaled_lr", make_pipeline(scaler, LogisticRegression(max_iter=3000)))):
                    t0 = time.perf_counter()
                    cl = CleanLearning(model, seed=0, verbose=False)
                    res = cl.find_label_issues(X, noisy)
                    row[f"{tag}_F1"] = _prf(res["is_label_issue"].to_numpy(), flipped)[2]
                    row[f"{tag}_s"] = time.perf_counter() - t0
                row["best_baseline_F1"] = max(row["lr_F1"], row["scaled_lr_F1"])
                row["meets_goal"] = row["dataqa_F1"] >= row["best_baseline_F1"] - 1e-12
                rows.append(row)
                print(f"{name} {kind} {rate:.0%}: dataqa F1 {row['dataqa_F1']:.3f} "
                      f"(C={row['dataqa_C']}), LR {row['lr_F1']:.3f}, scaled LR {row['scaled_lr_F1']:.3f}",
                      flush=True)
    cols = ["dataset", "noise", "rate", "dataqa_P", "dataqa_R", "dataqa_F1", "dataqa_C",
            "lr_F1", "scaled_lr_F1", "meets_goal", "dataqa_s"]
    print_table("audit quality: F1 of is_label_issue against the flipped labels", rows, cols)
    met = sum(r["meets_goal"] for r in rows)
    print(f"dataqa >= better baseline on {met}/{len(rows)} rows")
    write_json(args.out, "audit_quality", {"rows": rows, "rows_meeting_goal": met})
    return rows


if __name__ == "__main__":
    sys.exit(finish("audit_quality", {
        f"{r['dataset']} {r['noise']} {r['rate']:.0%}: dataqa F1 {r['dataqa_F1']:.3f} >= "
        f"better baseline {r['best_baseline_F1']:.3f}": bool(r["meets_goal"]) for r in main()}))
