"""alibi-detect's drift detectors on the samples of ``drift_quality.py`` (the anchor).

This script runs INSIDE the alibi-detect environment (``make drift-anchors-install``
builds ``.venv-alibi``: alibi-detect 0.13 pins numpy < 2), never in dataqa's. It reads a
manifest written by ``benchmarks/drift_quality.py``::

    {"cells": [{"name": ..., "file": "cell.npz", "detectors": ["ks", "mmd", "classifier"],
                "n_permutations": 100, "seed": 0}, ...],
     "speed": {"file": "speed.npz", "n_permutations": [10, 30]} or null}

Each cell file holds ``ref`` and ``cur``, float32 arrays of shape (reps, n, d): the
reference and current sample of every repetition. For every repetition and detector the
p-value alibi-detect reports is written (KSDrift: the smallest per-feature p-value and the
Bonferroni decision alibi-detect makes; MMDDrift: the permutation p-value; ClassifierDrift:
the p-value of its KS test on the out-of-fold probabilities) and alibi-detect's own
decision (``is_drift``), with the seconds spent. The speed file is timed once per listed
number of permutations.

Detectors (alibi-detect's defaults unless said):

- ``KSDrift(ref, p_val=0.05)`` (correction ``"bonferroni"``);
- ``MMDDrift(ref, backend="pytorch", p_val=0.05, n_permutations=P)`` (Gaussian RBF kernel,
  bandwidth from the reference by alibi-detect's median heuristic);
- ``ClassifierDrift(ref, model=..., backend="sklearn", p_val=0.05, n_folds=5,
  preds_type="probs", binarize_preds=False)`` with logistic regression (C = 1) on the
  standardised features and their absolute values: the same features as dataqa's default
  ``classifier_test`` (ridge least squares on them) and the same number of folds.
  Logistic regression (on squares) was dataqa's earlier model; on dataqa's tuning data
  it was as strong as least squares on a held-out half (``benchmarks/drift_tuning.py``),
  so the anchor keeps it.

Usage: ``.venv-alibi/bin/python benchmarks/_drift_anchor.py MANIFEST.json RESULT.json``
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")


def _with_abs(Z):
    import numpy as np

    return np.hstack([Z, np.abs(Z)])


def _classifier():
    """Standardise, append the absolute values, standardise, logistic regression with C = 1
    (the features of dataqa's ``classifier_test``; dataqa is not importable here)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    return make_pipeline(StandardScaler(), FunctionTransformer(_with_abs), StandardScaler(),
                         LogisticRegression(C=1.0, max_iter=2000))


def run_detector(name: str, ref, cur, *, n_permutations: int) -> tuple[float, bool]:
    """(p-value, alibi-detect's drift decision at p_val = 0.05) of one repetition."""
    from alibi_detect.cd import ClassifierDrift, KSDrift, MMDDrift

    if name == "ks":
        det = KSDrift(ref, p_val=0.05)
        out = det.predict(cur)["data"]
        return float(min(out["p_val"])), bool(out["is_drift"])
    if name == "mmd":
        det = MMDDrift(ref, backend="pytorch", p_val=0.05, n_permutations=n_permutations,
                       device="cpu")
        out = det.predict(cur)["data"]
        return float(out["p_val"]), bool(out["is_drift"])
    if name == "classifier":
        det = ClassifierDrift(ref, model=_classifier(), backend="sklearn", p_val=0.05, n_folds=5,
                              preds_type="probs", binarize_preds=False)
        out = det.predict(cur)["data"]
        return float(out["p_val"]), bool(out["is_drift"])
    raise ValueError(f"unknown detector {name!r}; known: ks, mmd, classifier")


def main(argv: list[str]) -> int:
    import alibi_detect
    import numpy as np
    import torch

    manifest = json.loads(Path(argv[0]).read_text())
    base = Path(argv[0]).parent
    result = {"alibi_detect": alibi_detect.__version__, "numpy": np.__version__,
              "torch": torch.__version__, "cells": {}, "speed": None}
    for cell in manifest["cells"]:
        data = np.load(base / cell["file"])
        ref, cur = data["ref"], data["cur"]
        out = {}
        for det in cell["detectors"]:
            torch.manual_seed(int(cell.get("seed", 0)))  # alibi-detect permutes with torch's global RNG
            p, drift, secs = [], [], []
            for r in range(len(ref)):
                t0 = time.perf_counter()
                pv, dr = run_detector(det, ref[r], cur[r], n_permutations=int(cell["n_permutations"]))
                secs.append(time.perf_counter() - t0)
                p.append(pv)
                drift.append(dr)
            out[det] = {"p_value": p, "drift": drift, "seconds": secs}
        result["cells"][cell["name"]] = out
        print(f"anchor: {cell['name']} done", flush=True)
    speed = manifest.get("speed")
    if speed:
        data = np.load(base / speed["file"])
        result["speed"] = []
        for P in speed["n_permutations"]:
            torch.manual_seed(0)
            t0 = time.perf_counter()
            pv, _ = run_detector("mmd", data["ref"], data["cur"], n_permutations=int(P))
            result["speed"].append({"n_permutations": int(P), "seconds": time.perf_counter() - t0,
                                    "p_value": pv})
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
