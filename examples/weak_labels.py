"""Weak labels for YouTube comments: LFs -> label matrix -> label model -> labels CSV.

    python examples/weak_labels.py [--out weak_out]

Reads the YouTube Spam Collection from the data home (``DATAQA_DATA_HOME`` or
``../shared/data``), applies the ready LF set, picks a label model on the dev set and
writes ``weak_out/weak_labels.csv`` and ``weak_out/lf_summary.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from dataqa.datasets import load_youtube_spam
from dataqa.weak import apply_lfs, fit_label_model, lf_summary
from labeling_functions.youtube_spam import lfs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="weak_out")
    args = ap.parse_args(argv)
    train, dev, test = (load_youtube_spam(split=s) for s in ("train", "dev", "test"))
    L, L_dev, L_test = (apply_lfs(d, lfs) for d in (train, dev, test))
    model = fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev,
                            Y_dev=dev["label"].to_numpy(), random_state=0)
    print(model.reason_)
    proba = model.predict_proba(L)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    labels = pd.DataFrame({"id": train["id"], "label": model.predict(L),
                           "prob_0": proba[:, 0], "prob_1": proba[:, 1]})
    labels.to_csv(out / "weak_labels.csv", index=False)
    lf_summary(L, lfs).to_csv(out / "lf_summary.csv", index_label="lf")
    acc = np.mean(model.predict(L_test, abstain_uncovered=False) == test["label"].to_numpy())
    print(f"wrote {out / 'weak_labels.csv'} ({len(labels)} rows); "
          f"label-model accuracy on the held-out video: {acc:.3f}")


if __name__ == "__main__":
    main()
