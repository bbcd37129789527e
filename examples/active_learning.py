"""Three active-learning rounds on digits, kept in a ledger, with an out-of-scope class.

Classes 0-6 are the task; images of 7-9 are in the pool too and an "annotator" marks them
out of scope (label -1). The hybrid strategy learns to skip items that look like those.

Run: python examples/active_learning.py [--ledger PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from dataqa.active import LabelingSession
from dataqa.ledger import Ledger


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ledger", default=None, help="ledger file (default: a temporary one)")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    path = Path(args.ledger or Path(tempfile.mkdtemp()) / "digits.ledger")

    d = load_digits()
    X, truth = d.data / 16.0, d.target
    ids = [f"digit-{i:04d}" for i in range(len(truth))]
    oracle = np.where(truth < 7, truth, -1)  # what a person would answer

    with Ledger(path) as led:
        led.add_items(ids, split=["dev" if i % 5 == 0 else "train" for i in range(len(ids))])
        dev = [i for k, i in enumerate(ids) if k % 5 == 0]
        led.add_labels(dev, oracle[::5], source="given")  # a labeled dev set
        session = LabelingSession.create(led, LogisticRegression(max_iter=1000), X, ids=ids,
                                         strategy="hybrid", batch_size=20, random_state=0)
        for _ in range(args.rounds):
            batch = session.next_batch()
            answers = [int(oracle[ids.index(i)]) for i in batch["id"]]
            session.record_labels(batch["id"], answers, source="human", annotator="oracle")
            m = session.retrain()
            acc = m["dev_accuracy"]
            print(f"round {int(batch['round'].iloc[0])}: {len(batch)} picked, "
                  f"{sum(a == -1 for a in answers)} out of scope; "
                  f"dev accuracy {'-' if acc is None else f'{acc:.3f}'}")
        print(session.history().to_string(index=False))
    print(f"ledger: {path}")


if __name__ == "__main__":
    main()
