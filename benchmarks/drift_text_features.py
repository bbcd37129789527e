"""Text drift through TF-IDF or sentence embeddings: false alarms and power on SMS.

``detect_drift(text_features="tfidf" | "embedding")`` on SMS messages alone (a text
column, no labels), ``--n`` messages per side, ``--reps`` repetitions per scenario,
both ways on the same samples:

- ``none``: two disjoint random samples (false-alarm rate at alpha = 0.05);
- ``priors``: the current sample 30% spam (the reference, a random sample, about 13%);
- ``youtube``: the current sample YouTube comments (another source).

Printed per scenario and way: the share of repetitions where ``result.drifted``, the
MMD test and the classifier test alarm. A check of the option, not a tuning (the
default stays TF-IDF); no goals, exits 0. About 12 minutes on one core at the defaults
(embedding the 6,914 distinct texts takes 2 of them).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

WAYS = ("tfidf", "embedding")
SCENARIOS = ("none", "priors", "youtube")


def samples(scenario: str, T, spam, Y, n: int, rng):
    """(reference texts, current texts) of one repetition."""
    if scenario == "none":
        p = rng.permutation(len(T))
        return T[p[:n]], T[p[n:2 * n]]
    if scenario == "priors":
        p = rng.permutation(len(T))
        rest = p[n:]
        k = int(round(0.3 * n))
        cur = np.r_[T[rng.choice(rest[spam[rest]], k, replace=False)],
                    T[rng.choice(rest[~spam[rest]], n - k, replace=False)]]
        return T[p[:n]], cur
    return T[rng.choice(len(T), n, replace=False)], Y[rng.choice(len(Y), n, replace=False)]


def run(data_home, reps: int, n: int) -> tuple[list[dict], float]:
    import pandas as pd

    from dataqa.datasets import load_sms_spam, load_youtube_spam
    from dataqa.drift import detect_drift
    from dataqa.drift.multivariate import CachedEmbedder

    sms, yt = load_sms_spam(data_home), load_youtube_spam(data_home)
    T = sms["text"].astype(str).to_numpy(object)
    spam = (sms["label"] == "spam").to_numpy()
    Y = yt["text"].astype(str).to_numpy(object)
    embed = CachedEmbedder()
    t0 = time.perf_counter()
    embed(list(T) + list(Y))
    embed_seconds = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    rows = []
    for scenario in SCENARIOS:
        hits = {w: [] for w in WAYS}
        for r in range(reps):
            a, b = samples(scenario, T, spam, Y, n, rng)
            for w in WAYS:
                res = detect_drift(pd.DataFrame({"text": a}), pd.DataFrame({"text": b}),
                                   text_column="text", text_features=w, random_state=r,
                                   n_permutations=200, progress=False,
                                   _embed=embed if w == "embedding" else None)
                hits[w].append((res.drifted, res.multivariate["mmd"]["p_value"] <= 0.05,
                                res.multivariate["classifier"]["p_value"] <= 0.05))
        for w in WAYS:
            h = np.array(hits[w], dtype=float)
            rows.append({"scenario": scenario, "text_features": w, "reps": reps,
                         "drifted": float(h[:, 0].mean()), "mmd": float(h[:, 1].mean()),
                         "classifier": float(h[:, 2].mean())})
        print(f"{scenario} done", flush=True)
    return rows, embed_seconds


def main(argv=None) -> dict[str, bool]:
    """Run the comparison; it checks no goal (an empty dict for ``finish``)."""
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--data-home", default=None, help="folder holding sms_spam/ and youtube_spam/")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n", type=int, default=200, help="messages per side")
    args = ap.parse_args(argv)
    reps = 5 if args.quick else args.reps
    rows, embed_seconds = run(args.data_home, reps, args.n)
    print_table(f"Alarm rates at alpha = 0.05 (SMS, {args.n} per side)", rows)
    print(f"embedding every distinct text once: {embed_seconds:.0f} s")
    write_json(args.out, "drift_text_features", {"n": args.n, "reps": reps, "rows": rows,
                                                 "embed_seconds": embed_seconds})
    return {}


if __name__ == "__main__":
    sys.exit(finish("drift_text_features", main()))
