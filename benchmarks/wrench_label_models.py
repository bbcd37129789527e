"""Label models on the WRENCH YouTube (10 LFs) and SMS (73 LFs) label matrices.

Every method of ``fit_label_model`` is fitted on the train split's L, "auto" picks on the
valid split (by accuracy for YouTube, by F1 of spam for SMS, the metrics WRENCH reports,
on every valid row: ``dev_rows="all"``, as the test rows are scored), and all are scored on the test split (every test row; rows with no vote get the prior's
class), against WRENCH's published table: YouTube accuracy (majority 84.0, Dawid-Skene
83.2, Snorkel/MeTaL 84.0) and SMS F1 of spam (majority 23.97, Snorkel/MeTaL 7.06).
Goal: "auto" at least the best published figure on both. The test split is never used
for fitting or choosing.

Two reference rows explain the gaps:

- ``majority (hash ties)``: majority vote turned into labels by Snorkel's
  ``probs_to_preds`` (ties and rows with no vote get a pseudo-random class from a hash of
  the row number), which is how WRENCH scores its majority vote. Ours gives ties and
  uncovered rows the class with the larger vote share instead.
- SMS ``rules re-applied``: the stored SMS valid/test votes do not belong to their texts
  (see :func:`dataqa.datasets.load_wrench`); re-applying the 73 published rules to the
  texts gives the label matrices those splits should have.

    python benchmarks/wrench_label_models.py [--quick] [--out bench_out]
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from _common import finish, parser, write_json  # noqa: E402

PUBLISHED = {
    "youtube": {"metric": "accuracy", "majority": 84.0, "dawid_skene": 83.2, "snorkel": 84.0},
    "sms": {"metric": "f1", "majority": 23.97, "snorkel": 7.06},
}
METHODS = ("majority", "dawid_skene", "snorkel", "auto")


def sms_rules(data_home: Path) -> list[tuple[int, re.Pattern]]:
    """The 73 SMS rules of ``readme.txt`` in column order: (label, compiled regex)."""
    rules = []
    for line in (data_home / "wrench_sms" / "readme.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] in ("ham", "spam"):
            rules.append((0 if parts[0] == "ham" else 1, re.compile(parts[1])))
    return rules


def rederive(texts, rules) -> np.ndarray:
    return np.array([[lab if p.search(t) else -1 for lab, p in rules] for t in texts],
                    dtype=np.int64).reshape(len(texts), len(rules))


def score_methods(L, L_dev, y_dev, L_test, y_test, metric: str) -> dict:
    from snorkel.utils import probs_to_preds

    from dataqa.weak import fit_label_model
    from dataqa.weak.label_models import METRICS

    out: dict = {}
    for method in METHODS:
        model = fit_label_model(L, cardinality=2, method=method, L_dev=L_dev, Y_dev=y_dev,
                                metric=metric, random_state=0, dev_rows="all")
        pred = model.predict(L_test, abstain_uncovered=False)
        entry: dict = {"score": 100 * METRICS[metric](y_test, pred)}
        if method == "auto":
            entry.update(chosen=model.chosen_, reason=model.reason_,
                         dev_scores=model.scores_, dev_log_losses=model.log_losses_)
        if method == "majority":
            votes = np.stack([(L_test == k).sum(axis=1) for k in range(2)], axis=1).astype(float)
            votes[votes.sum(axis=1) == 0] = 1.0
            hashed = probs_to_preds(votes / votes.sum(axis=1, keepdims=True))
            out["majority (hash ties)"] = {"score": 100 * METRICS[metric](y_test, hashed)}
        out[method] = entry
    return out


def main(argv: list[str] | None = None) -> dict:
    from rich.console import Console
    from rich.table import Table

    from dataqa.datasets import default_data_home, load_wrench

    ap = parser(__doc__)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    np.seterr(all="ignore")
    names = ["youtube"] if args.quick else ["youtube", "sms"]
    results: dict = {}
    table = Table(title="WRENCH label models (test split)")
    for col in ("dataset", "metric", "method", "ours", "published", "note"):
        table.add_column(col)
    for name in names:
        pub = PUBLISHED[name]
        metric = pub["metric"]
        (train, L), (dev, L_dev), (test, L_test) = (load_wrench(name, split=s)
                                                    for s in ("train", "valid", "test"))
        y_dev, y_test = dev["label"].to_numpy(), test["label"].to_numpy()
        best = max(v for k, v in pub.items() if k != "metric")
        variants = [(name, L, L_dev, L_test)]
        if name == "sms":
            rules = sms_rules(default_data_home())
            variants.append(("sms (rules re-applied)", rederive(train["text"], rules),
                             rederive(dev["text"], rules), rederive(test["text"], rules)))
        for label, Lt, Ld, Ls in variants:
            methods = score_methods(Lt, Ld, y_dev, Ls, y_test, metric)
            res = {"metric": metric, "methods": methods,
                   "test_coverage": float((Ls >= 0).any(axis=1).mean()),
                   "votes_match_texts": label != "sms"}
            for method, entry in methods.items():
                note = ""
                if method == "auto":
                    met = entry["score"] >= best
                    if label == name:
                        entry["best_published"], entry["goal_met"] = best, bool(met)
                        note = (f"kept {entry['chosen']}; goal >= {best}: "
                                f"{'met' if met else 'NOT met'}")
                    else:
                        note = f"kept {entry['chosen']}; not comparable to the published table"
                published = pub.get(method) if label == name else None
                entry["published"] = published
                table.add_row(label, metric, method, f"{entry['score']:.2f}",
                              "-" if published is None else f"{published:.2f}", note)
            results[label] = res
    Console(width=140).print(table)
    write_json(args.out, "wrench_label_models", results)
    return results


if __name__ == "__main__":
    sys.exit(finish("wrench_label_models", {
        f"{ds}: auto >= best published {e['best_published']}": e["goal_met"]
        for ds, r in main().items() for e in [r["methods"].get("auto", {})] if "goal_met" in e}))
