"""Speed of the audit against cleanlab, in the same process, alternating, median of repeats.

1. ``find_label_issues``: dataqa's wrapper against raw ``cleanlab.filter.find_label_issues``
   on seeded pred_probs of 1,000,000 x 10 (100,000 with ``--quick``). Goal: at most 1.3x.
2. The default label-issue audit of texts: ``token_tfidf_features`` + ``cross_val_pred_probs``
   (no model) + ``find_label_issues``, against ``TfidfVectorizer(sublinear_tf=True,
   min_df=2)`` + ``CleanLearning(LogisticRegression(max_iter=1000)).find_label_issues``.
   Texts: SMS spam (5,574) and a generated corpus of 100,000 short news-like texts
   (:func:`news_corpus`, seed 0; 10,000 with ``--quick``). Goal: at most 1.5x.
3. The same for numeric features: scikit-learn's digits and a seeded 100,000 x 50 table
   (``make_classification``; 30,000 with ``--quick``, so that each training fold still
   holds more than ``KNN_MAX_TRAIN`` rows and the default model is the same logistic
   regression alone as at full size), against ``CleanLearning(make_pipeline(StandardScaler(),
   LogisticRegression(max_iter=1000)))``. Goal: at most 2x.

Every labeled set gets 10% uniform label noise (``benchmarks/_noise.py``, seed 0). Times
include featurisation; both sides use one BLAS thread and no joblib parallelism.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402
from _noise import inject_noise  # noqa: E402

TEXT_GOAL, NUMERIC_GOAL, FIND_GOAL = 1.5, 2.0, 1.3


def make_data(n: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k))
    y = rng.integers(0, k, n)
    logits[np.arange(n), y] += 2.0
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return y, p


def _words(rng: np.random.Generator, count: int) -> list[str]:
    syll = ["ba", "ko", "ri", "tan", "mel", "sor", "vi", "den", "lu", "gra", "pe", "sto",
            "ka", "mon", "fi", "zer", "ol", "ni", "tru", "ha", "ex", "qua", "lis", "bo"]
    out: set[str] = set()
    while len(out) < count:
        out.add("".join(rng.choice(syll, size=rng.integers(1, 4))))
    return sorted(out)


def news_corpus(n: int, *, n_classes: int = 4, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` short news-like texts in ``n_classes`` topics, seeded (the 100,000-text speed corpus).

    A vocabulary of 3,000 shared words and 400 topic words per class, all made of
    syllables; each text has 6-30 words, each drawn from its class's topic words with
    probability 0.25, else from the shared words, both Zipf-distributed (exponent 1.1),
    so texts read like bags of headline words with a topic signal about as strong as in
    short news. Returns ``(texts, labels)``; labels ``0 .. n_classes-1`` balanced.
    """
    rng = np.random.default_rng(seed)
    vocab = _words(rng, 3000 + 400 * n_classes)
    rng.shuffle(vocab)
    shared, topics = vocab[:3000], [vocab[3000 + 400 * c: 3400 + 400 * c] for c in range(n_classes)]

    def zipf(m):
        w = 1.0 / np.arange(1, m + 1) ** 1.1
        return w / w.sum()

    ps, pt = zipf(3000), zipf(400)
    y = rng.permutation(np.arange(n) % n_classes)
    lengths = rng.integers(6, 31, n)
    total = int(lengths.sum())
    topical = rng.random(total) < 0.25
    shared_pick = rng.choice(3000, size=total, p=ps)
    topic_pick = rng.choice(400, size=total, p=pt)
    owner = np.repeat(y, lengths)
    shared_arr = np.asarray(shared, dtype=object)
    topic_arr = np.asarray(topics, dtype=object)
    tokens = np.where(topical, topic_arr[owner, topic_pick], shared_arr[shared_pick])
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(tokens[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return texts, y.astype(np.int64)


def numeric_table(n: int, d: int = 50, *, n_classes: int = 5, seed: int = 0):
    """A seeded ``make_classification`` table (n, d): 20 informative columns, 5 classes."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, n_informative=20, n_redundant=10,
                               n_classes=n_classes, n_clusters_per_class=2, class_sep=1.0,
                               random_state=seed)
    return X, y.astype(np.int64)


def _time_alternating(funcs: dict, repeats: int) -> dict:
    times = {k: [] for k in funcs}
    for _ in range(repeats):
        for k, f in funcs.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return times


def bench_find(quick: bool) -> dict:
    from cleanlab.filter import find_label_issues as raw

    from dataqa.audit import find_label_issues

    n = 100_000 if quick else 1_000_000
    y, p = make_data(n, 10)
    raw(y, p)  # warm-up (imports, caches)
    find_label_issues(y, p)
    times = _time_alternating({"cleanlab": lambda: raw(y, p),
                               "dataqa": lambda: find_label_issues(y, p)}, 3 if quick else 5)
    found = find_label_issues(y, p)  # (ranked; its ids are the rows' positions)
    flagged = np.zeros(n, dtype=bool)
    flagged[found.loc[found["is_label_issue"], "id"].astype(int).to_numpy()] = True
    same = bool(np.array_equal(flagged, np.asarray(raw(y, p), dtype=bool)))
    row = {"row": f"find_label_issues {n:,} x 10", "baseline": "cleanlab.filter",
           "cleanlab_s": statistics.median(times["cleanlab"]),
           "dataqa_s": statistics.median(times["dataqa"]), "goal_ratio_max": FIND_GOAL,
           "same_flags": same}
    return row


def _text_runs(texts, y):
    from cleanlab.classification import CleanLearning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from dataqa.audit import cross_val_pred_probs, find_label_issues
    from dataqa.features import token_tfidf_features

    def cleanlab_run():
        X = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(texts)
        return CleanLearning(LogisticRegression(max_iter=1000), seed=0,
                             verbose=False).find_label_issues(X, y)

    def dataqa_run():
        pp, info = cross_val_pred_probs(token_tfidf_features(texts), y, progress=False)
        return find_label_issues(y, pp), info

    return cleanlab_run, dataqa_run


def _numeric_runs(X, y):
    from cleanlab.classification import CleanLearning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from dataqa.audit import cross_val_pred_probs, find_label_issues

    def cleanlab_run():
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return CleanLearning(model, seed=0, verbose=False).find_label_issues(X, y)

    def dataqa_run():
        pp, info = cross_val_pred_probs(X, y, progress=False)
        return find_label_issues(y, pp), info

    return cleanlab_run, dataqa_run


def _quality(flipped, cl_res, dq_res) -> dict:
    from sklearn.metrics import roc_auc_score

    dq, _ = dq_res
    score = np.zeros(len(flipped))
    flag = np.zeros(len(flipped), bool)
    score[dq["id"].to_numpy()] = dq["label_issue_score"].to_numpy()
    flag[dq["id"].to_numpy()] = dq["is_label_issue"].to_numpy()

    def f1(f):
        tp = int(np.sum(f & flipped))
        return 2 * tp / max(int(f.sum()) + int(flipped.sum()), 1)

    return {"dataqa_AUROC": float(roc_auc_score(flipped, score)), "dataqa_F1": f1(flag),
            "cleanlab_AUROC": float(roc_auc_score(flipped, 1 - cl_res["label_quality"].to_numpy())),
            "cleanlab_F1": f1(cl_res["is_label_issue"].to_numpy())}


def bench_model(name: str, kind: str, data, repeats: int) -> dict:
    X, y = data
    noisy, flipped = inject_noise(y, 0.10, kind="uniform", random_state=0)
    make = _text_runs if kind == "text" else _numeric_runs
    cl, dq = make(X, noisy)
    out = {}
    times = _time_alternating({"cleanlab": lambda: out.__setitem__("cl", cl()),
                               "dataqa": lambda: out.__setitem__("dq", dq())}, repeats)
    goal = TEXT_GOAL if kind == "text" else NUMERIC_GOAL
    row = {"row": f"{name} ({len(y):,} {'texts' if kind == 'text' else 'rows'})",
           "baseline": "CleanLearning(LR)" if kind == "text" else "CleanLearning(scaled LR)",
           "cleanlab_s": statistics.median(times["cleanlab"]),
           "dataqa_s": statistics.median(times["dataqa"]), "goal_ratio_max": goal,
           "dataqa_model": out["dq"][1].get("model"), "runs_cleanlab_s": times["cleanlab"],
           "runs_dataqa_s": times["dataqa"]}
    row.update(_quality(flipped, out["cl"], out["dq"]))
    return row


def main(argv=None) -> list[dict]:
    p = parser(__doc__)
    p.add_argument("--rows", nargs="*", help="only rows whose name starts with one of these "
                   "(find, sms, news, digits, table)")
    p.add_argument("--large", action="store_true",
                   help="also the 1,000,000-row audit of audit_large.py (in its own process, "
                        "so its peak memory is its own)")
    args = p.parse_args(argv)
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore")
    threadpool_limits(limits=1)
    q = args.quick
    todo = {
        "find": lambda: bench_find(q),
        "sms_spam": lambda: bench_model("sms_spam", "text", _sms(q), 3),
        "news": lambda: bench_model("news corpus", "text", news_corpus(10_000 if q else 100_000),
                                    2 if q else 1),
        "digits": lambda: bench_model("digits", "numeric", _digits(load_digits), 3),
        "table": lambda: bench_model("table x 50", "numeric", numeric_table(30_000 if q else 100_000),
                                     2 if q else 1),
    }
    rows = []
    for key, run in todo.items():
        if args.rows and not any(key.startswith(r) for r in args.rows):
            continue
        row = run()
        row["ratio"] = row["dataqa_s"] / row["cleanlab_s"]
        row["meets_goal"] = row["ratio"] <= row["goal_ratio_max"] and row.get("same_flags", True)
        print(f"{row['row']}: dataqa {row['dataqa_s']:.2f}s, {row['baseline']} "
              f"{row['cleanlab_s']:.2f}s, ratio {row['ratio']:.2f}", flush=True)
        rows.append(row)
    if args.large:  # (before the table and the JSON, so that both hold it)
        import subprocess
        from pathlib import Path

        cmd = [sys.executable, str(Path(__file__).with_name("audit_large.py")), "--out", args.out]
        rc = subprocess.run(cmd, check=False).returncode
        rows.append({"row": "1M rows x 64 (audit_large.py)", "baseline": "goals of audit_large",
                     "ratio": float("nan"), "goal_ratio_max": float("nan"),
                     "meets_goal": rc == 0, "exit_code": rc})
    print_table("audit speed: dataqa vs cleanlab in the same run (median seconds)", rows,
                ["row", "baseline", "cleanlab_s", "dataqa_s", "ratio", "goal_ratio_max",
                 "meets_goal", "dataqa_AUROC", "cleanlab_AUROC", "dataqa_F1", "cleanlab_F1"])
    write_json(args.out, "audit_speed", {"rows": rows})
    return rows


def _sms(quick: bool):
    from dataqa.data import encode_labels
    from dataqa.datasets import load_sms_spam

    sms = load_sms_spam()
    if quick:
        sms = sms.iloc[:2000]
    y, _ = encode_labels(sms["label"])
    return sms["text"].tolist(), np.asarray(y, dtype=np.int64)


def _digits(loader):
    d = loader()
    return d.data.astype(np.float64), d.target.astype(np.int64)


if __name__ == "__main__":
    sys.exit(finish("audit_speed", {
        (f"{r['row']}: dataqa / {r['baseline']} {r['ratio']:.2f} <= {r['goal_ratio_max']}"
         if "exit_code" not in r else f"{r['row']}: exit code {r['exit_code']} (0 = goals met)")
        + ("" if r.get("same_flags", True) else " (flags differ from cleanlab)"): bool(r["meets_goal"])
        for r in main()}))
