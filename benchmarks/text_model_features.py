"""Where the drift model checks fit a text column's features: three ways on the same splits.

SMS spam, split at random into 2,000 reference and 1,000 current messages (no shift),
``--reps`` times. The model checks' cross-validation (5 stratified folds, the current
rows dealt to the fold models, logistic regression on TF-IDF) is run with the TF-IDF
(:class:`dataqa.features.TfidfFeaturizer`) fitted

- ``pooled``: once on reference and current texts together (as before);
- ``reference``: once on the reference texts, applied to the current ones;
- ``fold``: in each fold on its training rows, applied to its held-out reference rows
  and to the current rows it scores (what ``detect_drift`` does; the first split is
  checked against ``dataqa.drift.model_checks._run_model_checks``).

Printed per way: mean error and mean absolute error of the estimated spam prior (BBSE)
and of the estimated accuracy (against the current rows' realised accuracy), the model's
accuracy on the current rows and the seconds per run. Without shift every error should
be near 0. No goals: exits 0 (the choice is recorded in ``docs/drift.md``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

WAYS = ("pooled", "reference", "fold")


def one_run(way: str, texts_r, texts_c, y, folds, dealt):
    """(reference out-of-fold probabilities, current probabilities) of one way."""
    from sklearn.base import clone

    from dataqa.audit.pred_probs import default_model
    from dataqa.features import TfidfFeaturizer

    oof, cur = np.zeros((len(texts_r), 2)), np.zeros((len(texts_c), 2))
    if way == "pooled":
        F = TfidfFeaturizer().fit_transform(list(texts_r) + list(texts_c))
        Fr, Fc = F[:len(texts_r)], F[len(texts_r):]
    elif way == "reference":
        f = TfidfFeaturizer()
        Fr, Fc = f.fit_transform(texts_r), f.transform(texts_c)
    for k, (tr, te) in enumerate(folds):
        mine = np.flatnonzero(dealt == k)
        if way == "fold":
            f = TfidfFeaturizer()
            Xtr, Xte, Xc = f.fit_transform(texts_r[tr]), f.transform(texts_r[te]), f.transform(texts_c[mine])
        else:
            Xtr, Xte, Xc = Fr[tr], Fr[te], Fc[mine]
        m = clone(default_model("tfidf")).fit(Xtr, y[tr])
        oof[te] = m.predict_proba(Xte)
        cur[mine] = m.predict_proba(Xc)
    return oof, cur


def check_against_product(texts_r, texts_c, y, oof, cur, seed: int) -> None:
    """The ``fold`` way is what ``_run_model_checks`` computes (same folds, same deal)."""
    from types import SimpleNamespace

    from dataqa.drift.model_checks import _run_model_checks
    from dataqa.drift.multivariate import DriftFeatures

    res = SimpleNamespace()
    empty = DriftFeatures(np.zeros((len(texts_r), 0)), np.zeros((len(texts_c), 0)), [])
    _run_model_checks(res, empty, y, ["ham", "spam"], random_state=seed,
                      texts={"text": (texts_r, texts_c)})
    np.testing.assert_allclose(res.reference_probs, oof, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.current_probs, cur, rtol=1e-10, atol=1e-12)


def run(data_home, reps: int, n_ref: int, n_cur: int) -> tuple[list[dict], dict]:
    from sklearn.model_selection import StratifiedKFold

    from dataqa.datasets import load_sms_spam
    from dataqa.drift.model_checks import deal_rows, estimate_accuracy, label_shift

    sms = load_sms_spam(data_home)
    T = sms["text"].astype(str).to_numpy(object)
    Y = (sms["label"] == "spam").to_numpy(np.int64)
    rng = np.random.default_rng(0)
    raw = {w: [] for w in WAYS}
    secs = dict.fromkeys(WAYS, 0.0)
    for rep in range(reps):
        p = rng.permutation(len(T))
        ra, ca = p[:n_ref], p[n_ref:n_ref + n_cur]
        y, yc = Y[ra], Y[ca]
        folds = list(StratifiedKFold(5, shuffle=True, random_state=rep).split(np.zeros(n_ref), y))
        dealt = deal_rows(n_cur, 5, rep)
        for w in WAYS:
            t0 = time.perf_counter()
            oof, cur = one_run(w, T[ra], T[ca], y, folds, dealt)
            secs[w] += time.perf_counter() - t0
            if w == "fold" and rep == 0:
                check_against_product(T[ra], T[ca], y, oof, cur, rep)
            prior = label_shift(oof, y, cur, n_bootstrap=10)["prior"][1]
            acc = float(np.mean(cur.argmax(1) == yc))
            est = estimate_accuracy(oof, y, cur, n_bootstrap=10)["estimate"]
            raw[w].append({"prior_error": float(prior - yc.mean()),
                           "accuracy_error": float(est - acc), "accuracy": acc})
        print(f"split {rep + 1}/{reps} done", flush=True)
    rows = []
    for w in WAYS:
        pe = np.array([r["prior_error"] for r in raw[w]])
        ae = np.array([r["accuracy_error"] for r in raw[w]])
        rows.append({"fitted_on": w, "prior_mean_error": float(pe.mean()),
                     "prior_mae": float(np.abs(pe).mean()),
                     "accuracy_mean_error": float(ae.mean()),
                     "accuracy_mae": float(np.abs(ae).mean()),
                     "current_accuracy": float(np.mean([r["accuracy"] for r in raw[w]])),
                     "seconds": secs[w] / reps})
    return rows, raw


def main(argv=None) -> dict[str, bool]:
    """Run the comparison; it checks no goal (an empty dict for ``finish``)."""
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--data-home", default=None, help="folder holding sms_spam/")
    ap.add_argument("--reps", type=int, default=12)
    args = ap.parse_args(argv)
    reps = 2 if args.quick else args.reps
    rows, raw = run(args.data_home, reps, 2000, 1000)
    print_table("Text features of the model checks: errors without shift (SMS, 2,000 / 1,000)",
                rows, float_format="{:+.4f}")
    write_json(args.out, "text_model_features", {"reps": reps, "rows": rows, "raw": raw})
    return {}


if __name__ == "__main__":
    sys.exit(finish("text_model_features", main()))
