"""Active-learning curves with and without out-of-scope items in the pool.

Datasets:
- digits (scikit-learn, 8x8): classes 0-6 are the task; classes 7-9 are out of scope.
  With 30% contamination the pool holds every training image of 7-9 (about 30% of it).
- YouTube spam (UCI, TF-IDF + 100-dim LSA): the comments are the task; out-of-scope items
  are SMS messages (UCI SMS Spam Collection): text from another source with its own
  vocabulary, as when a scrape pulls in a second channel. 30% of the pool.

Each strategy labels ``initial`` random items, then ``rounds`` batches of ``batch``.
Out-of-scope picks cost budget but are not trained on. Accuracy is measured on held-out
in-scope items. Reported per strategy: the normalised area under the learning curve
(AUC, mean accuracy over the budget) and the labels needed to reach 95% of the accuracy of
a model trained on every in-scope pool item, mean and sd over seeds.

Run: ``python benchmarks/al_curves.py [--quick] [--seeds N] [--datasets digits,youtube]
[--class-weight none|balanced] [--out bench_out]``; ``--class-weight`` overrides the default
model's (``dataqa.active.default_model``, balanced) to compare the two.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import finish, parser, print_table, write_json  # noqa: E402

from dataqa.active import labels_to_reach, learning_curve_auc, simulate  # noqa: E402
from dataqa.active.simulate import default_model  # noqa: E402

STRATEGIES: dict[str, tuple[str, dict]] = {
    "random": ("random", {}),
    "uncertainty": ("uncertainty", {}),
    "margin": ("margin", {}),
    "entropy": ("entropy", {}),
    "ood:energy": ("ood:energy", {}),
    "ood:gradient": ("ood:gradient", {}),
    "hybrid purity": ("hybrid", {"mode": "purity"}),
    "hybrid novelty": ("hybrid", {"mode": "novelty"}),
}


def _split(n: int, rng: np.random.Generator, test_frac: float = 0.3):
    perm = rng.permutation(n)
    k = int(round(test_frac * n))
    return perm[k:], perm[:k]


def digits_data(contamination: float, seed: int = 0):
    from sklearn.datasets import load_digits

    d = load_digits()
    X, y = d.data / 16.0, d.target
    rng = np.random.default_rng(1000 + seed)
    train, test = _split(len(y), rng)
    ins = y < 7
    X_test, y_test = X[test[ins[test]]], y[test[ins[test]]]
    pool_in = train[ins[train]]
    pool_out = train[~ins[train]]
    n_out = int(round(contamination / (1 - contamination) * len(pool_in)))
    pool_out = rng.permutation(pool_out)[:n_out]
    pool = np.concatenate([pool_in, pool_out])
    yp = np.where(ins[pool], y[pool], -1)
    return X[pool], yp, X_test, y_test


def youtube_data(contamination: float, seed: int = 0):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    from dataqa.datasets import load_sms_spam, load_youtube_spam

    yt = load_youtube_spam()
    sms = load_sms_spam()
    rng = np.random.default_rng(2000 + seed)
    train, test = _split(len(yt), rng)
    n_out = int(round(contamination / (1 - contamination) * len(train)))
    out_rows = rng.permutation(len(sms))[:n_out]
    texts = (yt["text"].tolist() + sms["text"].iloc[out_rows].tolist())
    tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)).fit_transform(texts)
    Z = TruncatedSVD(n_components=100, random_state=0).fit_transform(tfidf)
    Z = normalize(Z)
    y_all = np.concatenate([yt["label"].to_numpy(), np.full(n_out, -1)])
    out_idx = np.arange(len(yt), len(yt) + n_out)
    pool = np.concatenate([train, out_idx])
    return Z[pool], y_all[pool], Z[test], y_all[test]


DATASETS = {"digits": digits_data, "youtube": youtube_data}


def _model(class_weight: str | None):
    m = default_model()
    if class_weight is not None:
        m.set_params(class_weight=None if class_weight == "none" else class_weight)
    return m


def full_accuracy(X, y, X_test, y_test, class_weight: str | None = None) -> float:
    keep = y != -1
    m = _model(class_weight).fit(X[keep], y[keep])
    return float(np.mean(m.predict(X_test) == y_test))


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5, quick 2)")
    p.add_argument("--class-weight", choices=["none", "balanced"], default=None,
                   help="the logistic regression's class_weight (default: as in "
                        "dataqa.active.default_model); to compare the two")
    p.add_argument("--datasets", default=None,
                   help="comma-separated subset of " + ", ".join(DATASETS))
    args = p.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    rounds = 8 if args.quick else 20
    datasets = ["digits"] if args.quick else list(DATASETS)
    if args.datasets:
        datasets = [d.strip() for d in args.datasets.split(",")]
        unknown = sorted(set(datasets) - set(DATASETS))
        if unknown:
            p.error(f"unknown dataset(s) {unknown}; use {', '.join(DATASETS)}")
    strategies = (["random", "uncertainty", "margin", "hybrid purity"] if args.quick
                  else list(STRATEGIES))
    contaminations = [0.0, 0.3]
    rows, curves = [], {}
    t0 = time.perf_counter()
    for ds in datasets:
        for c in contaminations:
            data = [DATASETS[ds](c, s) for s in range(seeds)]
            full = [full_accuracy(*d, class_weight=args.class_weight) for d in data]
            for name in strategies:
                acq, settings = STRATEGIES[name]
                aucs, reach, oos, runs = [], [], [], []
                for s, (X, y, Xt, yt) in enumerate(data):
                    cur = simulate(X, y, strategy=acq, strategy_settings=settings,
                                   initial=20, batch_size=10, rounds=rounds, X_test=Xt,
                                   y_test=yt, random_state=s,
                                   model=_model(args.class_weight))
                    aucs.append(learning_curve_auc(cur))
                    reach.append(labels_to_reach(cur, 0.95 * full[s]))
                    oos.append(int(cur["n_out_of_scope_labeled"].iloc[-1]))
                    runs.append(cur["accuracy"].tolist())
                reach_arr = np.asarray(reach, dtype=float)
                hit = ~np.isnan(reach_arr)
                row = {"dataset": ds, "contamination": c, "strategy": name,
                       "auc_mean": float(np.mean(aucs)), "auc_sd": float(np.std(aucs, ddof=1)),
                       "labels_to_95_mean": float(np.mean(reach_arr[hit])) if hit.any() else None,
                       "labels_to_95_sd": float(np.std(reach_arr[hit], ddof=1)) if hit.sum() > 1
                       else None,
                       "reached_95": f"{int(hit.sum())}/{len(reach)}",
                       "oos_labeled": float(np.mean(oos)),
                       "final_accuracy": float(np.mean([r[-1] for r in runs])),
                       "full_accuracy": float(np.mean(full))}
                rows.append(row)
                curves[f"{ds}|{c}|{name}"] = {
                    "n_labeled": cur["n_labeled"].tolist(),
                    "accuracy_mean": np.mean(runs, axis=0).tolist()}
    elapsed = time.perf_counter() - t0
    table = [{"dataset": r["dataset"], "contam.": f"{r['contamination']:.0%}",
              "strategy": r["strategy"],
              "AUC": f"{r['auc_mean']:.3f} +- {r['auc_sd']:.3f}",
              "labels to 95%": ("-" if r["labels_to_95_mean"] is None else
                                f"{r['labels_to_95_mean']:.0f}"
                                + ("" if r["labels_to_95_sd"] is None
                                   else f" +- {r['labels_to_95_sd']:.0f}")),
              "reached": r["reached_95"], "OOS labeled": f"{r['oos_labeled']:.0f}",
              "final acc": f"{r['final_accuracy']:.3f}"} for r in rows]
    print_table(f"active-learning curves ({seeds} seeds, 20 + {rounds} x 10 labels)", table)
    goal = {}
    for ds in datasets:
        sel = {r["strategy"]: r["auc_mean"] for r in rows
               if r["dataset"] == ds and r["contamination"] == 0.3}
        if {"hybrid purity", "random", "uncertainty"} <= set(sel):
            goal[ds] = bool(sel["hybrid purity"] > sel["random"]
                            and sel["hybrid purity"] > sel["uncertainty"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _plot(curves, datasets, contaminations, strategies, out / "al_curves.png")
    payload = {"seeds": seeds, "class_weight": args.class_weight, "initial": 20, "batch": 10, "rounds": rounds, "quick": args.quick,
               "seconds": elapsed, "rows": rows, "curves": curves, "goal_met": goal,
               "plot": str(out / "al_curves.png")}
    path = write_json(out, "al_curves", payload)
    print(f"wrote {path} and {out / 'al_curves.png'} in {elapsed:.0f} s")
    return payload


def _plot(curves: dict, datasets: list, contaminations: list, strategies: list,
          path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(datasets), len(contaminations),
                             figsize=(6 * len(contaminations), 4 * len(datasets)),
                             squeeze=False)
    for i, ds in enumerate(datasets):
        for j, c in enumerate(contaminations):
            ax = axes[i][j]
            for name in strategies:
                cur = curves[f"{ds}|{c}|{name}"]
                ax.plot(cur["n_labeled"], cur["accuracy_mean"], label=name,
                        lw=2.2 if name.startswith("hybrid") else 1.2)
            ax.set_title(f"{ds}, {c:.0%} out of scope")
            ax.set_xlabel("labels spent")
            ax.set_ylabel("test accuracy (in scope)")
            ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    _res = main()
    sys.exit(finish("al_curves", {f"{ds}: hybrid purity AUC > random and > uncertainty at 30%": ok
                                  for ds, ok in _res["goal_met"].items()}))
