"""Which order should ``DriftResult.label_queue`` use? The accuracy a model gains from
the items labeled first, under six kinds of shift.

Each repetition splits the current rows into a pool (2/3) and a test part (1/3), runs
``detect_drift(reference, pool)`` once (the pool's labels dropped), takes the top k pool
rows (k = 5% and 10% of the pool) by each ``rank_by`` of ``label_queue`` (``distinct=False``)
and by a random order, adds them with their true labels to the reference, refits a fixed
model (imputer, scaler and logistic regression for tables
TF-IDF and logistic regression
for texts) and measures its accuracy on the test part. Reported per scenario and order:
the gain in accuracy over the model of the reference alone, and the share of shifted rows
among the top k.

Scenarios. **Tuning** (choose on these only): T1 digits, a quarter of the current images
blurred
T2 digits, a quarter given pixel noise; T3 a three-class Gaussian mixture with
15% of the current rows from a new cluster (+3 on one feature), labeled by the nearest
class mean. **Held out** (judged, never used to choose): H1 SMS spam with 10% of the
current rows YouTube comments
H2 breast cancer with 15% of the current rows moved by 2
sd on two features
H3 a table of two numbers, a category and a count with 60 of 600
current rows moved by +3 on one number (their labels drawn before the move).

Rule, fixed before the run: the order with the highest mean gain over the tuning
scenarios and both k. No goal is checked: the run informs the default.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

from dataqa.datasets import load_sms_spam, load_youtube_spam  # noqa: E402
from dataqa.drift import detect_drift  # noqa: E402

DATA = None  # --data-home
#: The orders compared: label_queue's rank_by values, then a random order.
RULES = ["mean", "max", "unlike", "uncertainty", "random"]
KS = (0.05, 0.10)
TUNING = ["T1", "T2", "T3"]
HELDOUT = ["H1", "H2", "H3"]


def orders(res, rng):
    """Pool rows (positions) best first, per order: label_queue's own, rows kept apart."""
    out = {how: res.label_queue(top=None, distinct=False, rank_by=how)["id"].astype(int)
           .to_numpy() for how in RULES[:-1]}
    out["random"] = rng.permutation(len(res.ids))
    return out


# ---------------------------------------------------------------- scenarios
# Each returns ref (DataFrame with 'label'), cur (DataFrame with 'label'), shifted (bool
# array over cur), kind ('table' or 'text'), feature columns.

def _digits_frames(seed, transform):
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    ri, ci = idx[:900], idx[900:1500]
    Xc = X[ci].copy()
    shifted = np.zeros(600, bool)
    shifted[rng.choice(600, 150, replace=False)] = True
    Xc[shifted] = transform(Xc[shifted], rng)
    cols = [f"p{i}" for i in range(64)]
    ref = pd.DataFrame(X[ri], columns=cols)
    ref["label"] = y[ri]
    cur = pd.DataFrame(Xc, columns=cols)
    cur["label"] = y[ci]
    return ref, cur, shifted, "table", cols


def blur(Xs, rng):
    return np.stack([gaussian_filter(r.reshape(8, 8), sigma=1).ravel() for r in Xs])


def noise(Xs, rng):
    return np.clip(Xs + rng.normal(0, 2, Xs.shape), 0, 16)


def sc_T1(seed):
    return _digits_frames(seed, blur)


def sc_T2(seed):
    return _digits_frames(seed, noise)


def sc_T3(seed):
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1.5, size=(3, 5))

    def draw(n):
        c = rng.integers(0, 3, n)
        return means[c] + rng.normal(size=(n, 5)), c

    def rule(X):  # class by nearest class mean (the Bayes rule of the reference mixture)
        return ((X[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)

    Xr, yr = draw(1200)
    Xc, yc = draw(600)
    shifted = np.zeros(600, bool)
    shifted[rng.choice(600, 90, replace=False)] = True
    Xc[shifted, 0] += 3.0
    yc[shifted] = rule(Xc[shifted])
    cols = [f"f{i}" for i in range(5)]
    ref = pd.DataFrame(Xr, columns=cols)
    ref["label"] = yr
    cur = pd.DataFrame(Xc, columns=cols)
    cur["label"] = yc
    return ref, cur, shifted, "table", cols


def sc_H1(seed):
    rng = np.random.default_rng(seed)
    sms = load_sms_spam(DATA)
    yt = load_youtube_spam(DATA)
    yt = yt.assign(label=yt["label"].map({1: "spam", 0: "ham"}))[["id", "text", "label"]]
    idx = rng.permutation(len(sms))
    ref = sms.iloc[idx[:1500]].reset_index(drop=True)
    cur_sms = sms.iloc[idx[1500:2040]]
    cur_yt = yt.iloc[rng.choice(len(yt), 60, replace=False)]
    cur = pd.concat([cur_sms, cur_yt], ignore_index=True)
    shifted = np.r_[np.zeros(540, bool), np.ones(60, bool)]
    p = rng.permutation(600)
    cur, shifted = cur.iloc[p].reset_index(drop=True), shifted[p]
    return ref[["text", "label"]], cur[["text", "label"]], shifted, "text", ["text"]


def sc_H2(seed):
    rng = np.random.default_rng(seed)
    d = load_breast_cancer()
    X, y = d.data, d.target
    idx = rng.permutation(len(y))
    ri, ci = idx[:300], idx[300:]
    Xc = X[ci].copy()
    m = len(ci)
    shifted = np.zeros(m, bool)
    shifted[rng.choice(m, int(round(0.15 * m)), replace=False)] = True
    f = rng.choice(X.shape[1], 2, replace=False)
    sd = X[ri].std(axis=0)
    for j in f:
        Xc[shifted, j] += 2 * sd[j]
    cols = [f"x{i}" for i in range(X.shape[1])]
    ref = pd.DataFrame(X[ri], columns=cols)
    ref["label"] = y[ri]
    cur = pd.DataFrame(Xc, columns=cols)
    cur["label"] = y[ci]
    return ref, cur, shifted, "table", cols


def sc_H3(seed):
    """Two numbers, a category and a count
    60 of 600 current rows moved by +3 on x1."""
    rng = np.random.default_rng(seed)

    def make(n):
        x1 = rng.normal(size=n)
        x2 = rng.normal(size=n)
        cat = rng.choice(["A", "B", "C"], n, p=[.5, .3, .2])
        logit = 1.5 * x1 - x2 + (cat == "C")
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "cat": cat,
                             "count": rng.poisson(3, n), "label": y})
    ref = make(1200)
    parts = []
    for d in range(6):
        c = make(100)
        c["planted"] = 0
        if d in (2, 4):
            k = 30
            c.loc[:k - 1, "x1"] = (c.loc[:k - 1, "x1"] + 3.0).round(4)
            c.loc[:k - 1, "planted"] = 1
        parts.append(c)
    cur = pd.concat(parts, ignore_index=True)
    cur.loc[rng.choice(len(cur), 12, replace=False), "x2"] = np.nan
    cur = cur.sample(frac=1, random_state=seed).reset_index(drop=True)
    shifted = cur.pop("planted").to_numpy().astype(bool)
    return ref, cur, shifted, "table", ["x1", "x2", "cat", "count"]


SCEN = {"T1": sc_T1, "T2": sc_T2, "T3": sc_T3, "H1": sc_H1, "H2": sc_H2, "H3": sc_H3}


# ---------------------------------------------------------------- fixed downstream model
def fit_score(kind, train, test, cols):
    if kind == "text":
        model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000))
        model.fit(train["text"], train["label"])
        return float((model.predict(test["text"]) == test["label"].to_numpy()).mean())

    def feats(df):
        X = df[cols]
        return pd.get_dummies(X, columns=[c for c in cols if not pd.api.types.is_numeric_dtype(X[c])],
                              dtype=float)
    Xtr = feats(train)
    Xte = feats(test).reindex(columns=Xtr.columns, fill_value=0.0)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(Xtr, train["label"])
    return float((model.predict(Xte) == test["label"].to_numpy()).mean())


def one_rep(name, seed):
    ref, cur, shifted, kind, cols = SCEN[name](seed)
    rng = np.random.default_rng(10_000 + seed)
    p = rng.permutation(len(cur))
    n_pool = int(round(len(cur) * 2 / 3))
    pi, ti = p[:n_pool], p[n_pool:]
    pool, test = cur.iloc[pi].reset_index(drop=True), cur.iloc[ti].reset_index(drop=True)
    sh_pool = shifted[pi]
    pool_unl = pool.drop(columns=["label"]).assign(row_id=np.arange(len(pool)))
    t0 = time.time()
    res = detect_drift(ref, pool_unl, label_column="label", id_column="row_id",
                       text_column="text" if kind == "text" else None, random_state=seed,
                       progress=False)
    t_dd = time.time() - t0
    assert len(res.unlike_scores) == len(pool) == len(res.current_probs)
    base = fit_score(kind, ref, test, cols)
    ords = orders(res, rng)
    out = {"seed": seed, "base_acc": base, "detect_s": t_dd, "n_pool": n_pool,
           "shift_rate_pool": float(sh_pool.mean()), "rules": {}}
    for r, o in ords.items():
        out["rules"][r] = {}
        for kf in KS:
            k = int(round(kf * n_pool))
            top = o[:k]
            train = pd.concat([ref, pool.iloc[top]], ignore_index=True)
            acc = fit_score(kind, train, test, cols)
            out["rules"][r][str(kf)] = {"k": k, "gain": acc - base,
                                        "shifted_share": float(sh_pool[top].mean())}
    return out


def _se(v: np.ndarray) -> float:
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


def summarize(raw):
    summ = {}
    for name, reps in raw.items():
        summ[name] = {}
        for r in RULES:
            summ[name][r] = {}
            for kf in KS:
                g = np.array([x["rules"][r][str(kf)]["gain"] for x in reps])
                s = np.array([x["rules"][r][str(kf)]["shifted_share"] for x in reps])
                n = len(g)
                summ[name][r][str(kf)] = {"gain": float(g.mean()), "gain_se": _se(g),
                                          "shifted_share": float(s.mean()),
                                          "shifted_share_se": _se(s), "reps": n}
    return summ


def pick(summ, group):
    means = {r: float(np.mean([summ[s][r][str(kf)]["gain"] for s in group if s in summ
                               for kf in KS])) for r in RULES}
    best = max(RULES[:-1], key=lambda r: means[r])
    return best, means


def main(argv=None) -> dict:
    global DATA
    p = parser(__doc__)
    p.add_argument("--data-home", default=None, help="folder holding sms_spam/, youtube_spam/")
    p.add_argument("--reps", type=int, default=None,
                   help="repetitions per scenario (default 20, 2 with --quick)")
    p.add_argument("--scenarios", nargs="*", default=TUNING + HELDOUT, choices=list(SCEN))
    args = p.parse_args(argv)
    DATA = args.data_home
    reps = args.reps or (2 if args.quick else 20)
    warnings.filterwarnings("ignore")
    t0 = time.time()
    raw = {}
    for name in args.scenarios:
        raw[name] = []
        for seed in range(reps):
            raw[name].append(one_rep(name, seed))
        print(f"{name}: {reps} repetitions, {time.time() - t0:.0f} s", flush=True)
    summ = summarize(raw)
    rows = [{"scenario": name, "role": "tuning" if name in TUNING else "held-out",
             "order": r, **{f"gain k={kf:.0%} (points)": 100 * summ[name][r][str(kf)]["gain"]
                            for kf in KS},
             **{f"shifted share k={kf:.0%}": summ[name][r][str(kf)]["shifted_share"]
                for kf in KS}} for name in args.scenarios for r in RULES]
    print_table(f"Labeling the queue's top k: accuracy gain and shifted share ({reps} "
                f"repetitions)", rows, float_format="{:.2f}")
    best, tmeans = pick(summ, TUNING)
    _, hmeans = pick(summ, HELDOUT)
    print("mean gain (points), tuning: "
          + ", ".join(f"{r} {100 * v:.2f}" for r, v in tmeans.items())
          + "; held out: " + ", ".join(f"{r} {100 * v:.2f}" for r, v in hmeans.items()))
    print(f"rule: the highest mean gain over the tuning scenarios and both k: {best}")
    write_json(args.out, "drift_queue_order", {
        "quick": args.quick, "reps": reps, "picked": best, "tuning_mean_gain": tmeans,
        "heldout_mean_gain": hmeans, "summary": summ, "raw": raw,
        "seconds": time.time() - t0})
    return {}


if __name__ == "__main__":
    sys.exit(finish("drift_queue_order", main()))
