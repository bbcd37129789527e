"""Tuning the defaults of ``mmd_test`` (kernel width) and ``classifier_test`` (held-out
statistic, model) on shifts and data that ``drift_quality.py`` does NOT use, so that the
defaults are chosen on one set of problems and judged on another.

Data (every feature standardised by the pool's mean and sd):

- ``wine``: scikit-learn's wine table (178 x 13, 3 classes);
- ``cancer``: scikit-learn's breast-cancer table (569 x 30, 2 classes);
- ``gmm``: a generated mixture of 3 correlated Gaussians in d = 20 (component means and
  covariances fixed by seed 0), drawn afresh for every sample;
- ``sparse``: a generated mixture of 3 components in d = 20 whose features are zero
  inflated, like counts, amounts or pixels: per component and feature a share of 5-60%
  non-zero values (gamma distributed, shape 1-4, fixed by seed 2), drawn afresh for
  every sample. (Added after the first three had chosen the MMD kernel width.)

Both samples are independent draws with replacement from the pool (the wine and cancer
pools are small), so under no shift they are exchangeable and every test's null holds
exactly. Shifts applied to the current sample:

- ``none``: no shift (false-alarm rate);
- ``mean``: +0.2 sd on three features;
- ``var_all``: every feature scaled by 1.12 about its mean;
- ``var_some``: three features scaled by 1.5;
- ``decorrelate``: three features each shuffled among the current rows (marginals kept,
  their dependence on the other features broken);
- ``perturbed``: 30% of the current rows replaced by a copy plus Gaussian noise, sd 0.5
  per feature (a fine-scale change);
- ``prior``: class priors moved (wine: 0.5/0.3/0.2 against 0.33/0.40/0.27; cancer: 55%
  malignant against 37%; gmm: component weights 0.5/0.3/0.2 against 1/3 each).

Candidates (all exact tests: permutation p-values ``(b + 1) / (P + 1)`` with the same
relabelings for every kernel; relabelings or held-out halves for the classifier):

- MMD kernels, ``w`` the median pooled pairwise distance (``median_kernel_width``):
  ``median`` (RBF ``exp(-d^2 / (2 w^2))``, the old default), ``median/sqrt2``,
  ``median/2``, ``median/4`` (widths ``w / sqrt 2``, ``w / 2``, ``w / 4``), ``cross``
  (``exp(-d^2 / median of squared reference-current distances)``, alibi-detect's
  choice), ``multi`` (mean of RBFs of widths ``w x {1/4, 1/2, 1, 2}``), and
  ``minp(...)``: the smallest permutation p-value over the widths named (``w x 1/4, 1/2,
  1``), ranked among the relabelings' (exact; added after the single widths were compared).
  ``minp(1/2,1)`` was looked at once more after the quality benchmark had shown the
  half-median width behind alibi-detect's on SMS class priors, by a rule fixed before the
  run: adopt it if, over the four tuning tables (``--only mmd``), its mean power is at
  least the half-median's minus 0.005 and its worst shortfall is smaller.
- Classifier, cross-fitted least squares (``LeastSquaresClassifier``; ridge 0.01, 0.1, 1 on
  the features and their squares, 0.1 on the features alone) with the permutation p-value
  of ``classifier_scores`` (``+perm``: AUROC of the out-of-fold scores; ``+permks``: their
  KS distance, same relabelings), and least squares on a held-out half (``+mw``);
  ``minp(ls-q0.1,ls-q1)`` / ``minp(ls-q0.1,ls-l1)``: two cross-fitted models (quadratic
  ridge 0.1 with quadratic ridge 1, or with linear ridge 1) on the same relabelings,
  the smaller permutation p-value calibrated on the relabelings;
- Classifier, held out: model ``linear`` (standardise + logistic regression, the old default) or
  ``quadratic`` (the same on the features and their squares); held-out statistic ``mw``
  (one-sided Mann-Whitney of current > reference scores, the old default), ``ks``
  (two-sided KS between the held-out current and reference scores), ``both``
  (``min(1, 2 min(p_mw, p_ks))``, Bonferroni over the two).

The table gives power at alpha = 0.05 per candidate per shift (averaged over datasets and
n), the no-shift rate, the mean power over the shifts and the worst shortfall against the
best candidate of the same family on any shift kind. No goals: exits 0.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

ALPHA = 0.05
DATASETS = ("wine", "cancer", "gmm", "sparse")
SHIFTS = ("none", "mean", "var_all", "var_some", "decorrelate", "perturbed", "prior")
#: min-p over kernel widths (added after the single widths had been compared)
MMD_MINP = {"minp(1/2,1)": ("median/2", "median"),
            "minp(1/4,1)": ("median/4", "median"),
            "minp(1/4,1/2,1)": ("median/4", "median/2", "median")}
MMD_CANDIDATES = ("median", "median/sqrt2", "median/2", "median/4", "cross", "multi",
                  *MMD_MINP)
CLF_MODELS = ("linear", "quadratic")
CLF_STATS = ("mw", "ks", "both")
#: Cross-fitted least-squares candidates (kind, ridge per row), permutation p-values.
CLF_LEAST_SQUARES = (("quadratic", 0.01), ("quadratic", 0.1), ("quadratic", 1.0),
                     ("linear", 0.1))
CLF_PERMUTATIONS = 100


# ============================================================================ data

class Pool:
    """A standardised pool with class labels, or a generator (``gmm``)."""

    def __init__(self, name: str):
        self.name = name
        if name == "sparse":
            g = np.random.default_rng(2)
            d, k = 20, 3
            self.nonzero = g.uniform(0.05, 0.6, size=(k, d))
            self.shape = g.uniform(1.0, 4.0, size=d)
            self.scales = np.exp(g.normal(0.0, 0.5, size=(k, d)))
            self.d = d
            self.ref_prior = np.full(k, 1 / 3)
            self.cur_prior = np.array([0.5, 0.3, 0.2])
            big, _ = self._sparse(200_000, self.ref_prior, np.random.default_rng(1))
            self.mu, self.sd = big.mean(0), big.std(0)
            return
        if name == "gmm":
            g = np.random.default_rng(0)
            d, k = 20, 3
            self.means = g.normal(0.0, 0.8, size=(k, d))
            self.chols = []
            for _ in range(k):
                A = g.normal(size=(d, d)) / np.sqrt(d)
                cov = 0.5 * np.eye(d) + A @ A.T
                self.chols.append(np.linalg.cholesky(cov))
            self.d = d
            self.ref_prior = np.full(k, 1 / 3)
            self.cur_prior = np.array([0.5, 0.3, 0.2])
            # standardise with a large draw
            big, _ = self._gmm(200_000, self.ref_prior, np.random.default_rng(1))
            self.mu, self.sd = big.mean(0), big.std(0)
            return
        from sklearn.datasets import load_breast_cancer, load_wine

        data = load_wine() if name == "wine" else load_breast_cancer()
        X = data.data.astype(np.float64)
        self.X = (X - X.mean(0)) / X.std(0)
        self.y = data.target.astype(np.int64)
        self.d = X.shape[1]
        self.ref_prior = np.bincount(self.y) / len(self.y)
        # cancer: target 0 = malignant (37%)
        self.cur_prior = np.array([0.5, 0.3, 0.2]) if name == "wine" else np.array([0.55, 0.45])

    def _gmm(self, n: int, prior: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        comp = rng.choice(len(prior), n, p=prior)
        Z = rng.normal(size=(n, self.d))
        X = np.empty((n, self.d))
        for c in range(len(prior)):
            rows = comp == c
            X[rows] = self.means[c] + Z[rows] @ self.chols[c].T
        return X, comp

    def _sparse(self, n: int, prior: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        comp = rng.choice(len(prior), n, p=prior)
        on = rng.random((n, self.d)) < self.nonzero[comp]
        return on * rng.gamma(self.shape, self.scales[comp]), comp

    def draw(self, n: int, rng, prior: np.ndarray | None = None) -> np.ndarray:
        prior = self.ref_prior if prior is None else prior
        if self.name in ("gmm", "sparse"):
            X, _ = (self._gmm if self.name == "gmm" else self._sparse)(n, prior, rng)
            return (X - self.mu) / self.sd
        w = prior[self.y] / np.bincount(self.y)[self.y]
        return self.X[rng.choice(len(self.X), n, p=w / w.sum())]


def sample(pool: Pool, shift: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    ref = pool.draw(n, rng)
    if shift == "prior":
        return ref, pool.draw(n, rng, pool.cur_prior)
    cur = pool.draw(n, rng).copy()
    cols = rng.choice(pool.d, 3, replace=False)
    if shift == "mean":
        cur[:, cols] += 0.2
    elif shift == "var_all":
        cur *= 1.12
    elif shift == "var_some":
        cur[:, cols] *= 1.5
    elif shift == "decorrelate":
        for c in cols:
            cur[:, c] = cur[rng.permutation(n), c]
    elif shift == "perturbed":
        k = rng.choice(n, int(round(0.3 * n)), replace=False)
        cur[k] += rng.normal(0.0, 0.5, size=(len(k), pool.d))
    elif shift != "none":
        raise ValueError(shift)
    return ref, cur


# ============================================================================ candidates

def mmd_candidates(ref: np.ndarray, cur: np.ndarray, perms: int, rng) -> dict[str, float]:
    """Permutation p-value of every MMD kernel candidate, on the same relabelings."""
    from dataqa.drift.twosample import _mmd_from_masks, _sq_dists

    n, m = len(ref), len(cur)
    Z = np.vstack([ref, cur])
    N = n + m
    D2 = _sq_dists(Z, Z)
    np.fill_diagonal(D2, 0.0)
    iu = np.triu_indices(N, k=1)
    w = float(np.median(np.sqrt(D2[iu])))
    cross = float(np.median(D2[:n, n:]))
    kernels = {
        "median": np.exp(-D2 / (2 * w * w)),
        "median/sqrt2": np.exp(-D2 / (w * w)),
        "median/2": np.exp(-2 * D2 / (w * w)),
        "median/4": np.exp(-8 * D2 / (w * w)),
        "cross": np.exp(-D2 / cross),
        "multi": np.mean([np.exp(-D2 / (2 * (s * w) ** 2)) for s in (0.25, 0.5, 1.0, 2.0)], axis=0),
    }
    obs_mask = np.zeros((N, 1))
    obs_mask[:n] = 1.0
    masks = np.zeros((N, perms))
    for j in range(perms):
        masks[rng.permutation(N)[:n], j] = 1.0
    out, stats = {}, {}
    for name, K in kernels.items():
        obs = _mmd_from_masks(K, obs_mask, n, m)[0]
        null = _mmd_from_masks(K, masks, n, m)
        out[name] = (int(np.sum(null >= obs - 1e-12 * max(1.0, abs(obs)))) + 1) / (perms + 1)
        stats[name] = np.r_[obs, null]
    for name, members in MMD_MINP.items():
        out[name] = _min_p([stats[k] for k in members])
    return out


def _min_p(columns: list[np.ndarray]) -> float:
    """Min-p over kernels on shared relabelings (column 0 observed): each kernel's
    permutation p-value of every column, the smallest per column, ranked (exact)."""
    U = np.vstack(columns)
    P1 = U.shape[1]
    tol = 1e-12 * np.maximum(1.0, np.abs(U))
    cp = np.array([(P1 - np.searchsorted(np.sort(u), u - t, side="left")) / P1
                   for u, t in zip(U, tol, strict=True)])
    mp = cp.min(axis=0)
    return float(np.sum(mp <= mp[0] + 1e-12) / P1)


def _logistic(kind: str):
    """``linear`` / ``quadratic`` logistic regression (``C=1``) on the standardised features
    (and their squares, standardised again): the held-out model of earlier versions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    steps = [("scale", StandardScaler())]
    if kind == "quadratic":
        steps += [("squares", FunctionTransformer(lambda Z: np.hstack([Z, Z * Z]))),
                  ("rescale", StandardScaler())]
    return Pipeline(steps + [("logreg", LogisticRegression(C=1.0, max_iter=2000))])


def classifier_candidates(ref: np.ndarray, cur: np.ndarray, seed: int,
                          perms: int = CLF_PERMUTATIONS,
                          crossfit_only: bool = False) -> dict[str, float]:
    """p-values of every classifier candidate on one repetition (``crossfit_only``: only
    those of ``_crossfit_candidates``, the same values as in a full run)."""
    if crossfit_only:
        return _crossfit_candidates(ref, cur, seed, perms)
    from scipy.stats import ks_2samp, mannwhitneyu
    from sklearn.model_selection import StratifiedKFold

    from dataqa.drift.twosample import LeastSquaresClassifier, classifier_scores

    n, m = len(ref), len(cur)
    Z = np.vstack([ref, cur])
    t = np.r_[np.zeros(n, np.int64), np.ones(m, np.int64)]
    train, test = next(StratifiedKFold(2, shuffle=True, random_state=seed).split(Z, t))
    out = {}
    for kind in CLF_MODELS:
        held = _logistic(kind).fit(Z[train], t[train]).predict_proba(Z[test])[:, 1]
        h_ref, h_cur = held[t[test] == 0], held[t[test] == 1]
        p_mw = float(mannwhitneyu(h_cur, h_ref, alternative="greater").pvalue)
        p_ks = float(ks_2samp(h_cur, h_ref).pvalue)
        out[f"{kind}+mw"] = p_mw
        out[f"{kind}+ks"] = p_ks
        out[f"{kind}+both"] = min(1.0, 2.0 * min(p_mw, p_ks))
    for kind, ridge in CLF_LEAST_SQUARES:
        est = LeastSquaresClassifier(kind, ridge)
        out[f"ls-{kind}-{ridge:g}+perm"] = classifier_scores(
            ref, cur, model=est, method="permutation", n_permutations=perms,
            random_state=seed).p_value
    est = LeastSquaresClassifier("quadratic", 0.1)
    out["ls-quadratic-0.1+mw"] = classifier_scores(ref, cur, model=est, method="split",
                                                   random_state=seed).p_value
    out.update(_crossfit_candidates(ref, cur, seed, perms))
    return out


def _crossfit_candidates(ref: np.ndarray, cur: np.ndarray, seed: int,
                         perms: int) -> dict[str, float]:
    """Cross-fitted least-squares candidates on the folds and relabelings that
    ``classifier_scores`` draws for ``seed``: the KS distance of the scores instead of their
    AUROC (``+permks``), and two models combined by the smaller of their permutation
    p-values, itself ranked among the relabelings' (``minp``, exact)."""
    from dataqa.drift.twosample import (
        LeastSquaresClassifier,
        _crossfit_setup,
        _crossfit_statistics,
        _min_p_value,
    )

    Z = np.vstack([ref, cur])
    t = np.r_[np.zeros(len(ref), np.int64), np.ones(len(cur), np.int64)]
    folds, _, perm_seed = _crossfit_setup(len(Z), seed)
    out = {}
    for ridge in (0.1, 1.0):
        _, K = _crossfit_statistics(Z, t, [LeastSquaresClassifier("quadratic", ridge)], folds,
                                    perms, np.random.default_rng(perm_seed), statistic="ks")
        out[f"ls-quadratic-{ridge:g}+permks"] = (int(np.sum(K[0, 1:] >= K[0, 0] - 1e-12)) + 1) \
            / (perms + 1)
    models = {"q0.1": ("quadratic", 0.1), "q1": ("quadratic", 1.0), "l1": ("linear", 1.0),
              "a0.1": ("abs", 0.1), "a1": ("abs", 1.0)}
    names = list(models)
    _, U = _crossfit_statistics(Z, t, [LeastSquaresClassifier(*v) for v in models.values()],
                                folds, perms, np.random.default_rng(perm_seed))
    for a, b in ((0, 1), (0, 2), (3, 4), (0, 3)):
        out[f"minp(ls-{names[a]},ls-{names[b]})"] = _min_p_value(U[[a, b]])
    for a, (kind, ridge) in enumerate(models.values()):  # as classifier_scores gives them
        out[f"ls-{kind}-{ridge:g}+perm"] = _min_p_value(U[[a]])
    return out


# ============================================================================ run

def run(datasets: tuple[str, ...], ns: tuple[int, ...], reps: int, perms: int,
        seed: int = 0, families: tuple[str, ...] = ("mmd", "clf"),
        crossfit_only: bool = False) -> list[dict]:
    rows = []
    for ds in datasets:
        pool = Pool(ds)
        for shift in SHIFTS:
            for n in ns:
                rng = np.random.default_rng([seed, DATASETS.index(ds), SHIFTS.index(shift), n])
                hits: dict[str, int] = {}
                t0 = time.perf_counter()
                for _ in range(reps):
                    ref, cur = sample(pool, shift, n, rng)
                    ps = {}
                    if "mmd" in families:
                        ps.update({f"mmd:{k}": v for k, v in
                                   mmd_candidates(ref, cur, perms, rng).items()})
                    clf_seed = int(rng.integers(2**31 - 1))
                    if "clf" in families:
                        ps.update({f"clf:{k}": v for k, v in
                                   classifier_candidates(ref, cur, clf_seed,
                                                         crossfit_only=crossfit_only).items()})
                    for k, v in ps.items():
                        hits[k] = hits.get(k, 0) + int(v <= ALPHA)
                for k, h in hits.items():
                    rows.append({"dataset": ds, "shift": shift, "n": n, "candidate": k,
                                 "rate": h / reps, "reps": reps})
                print(f"{ds:7s} {shift:12s} n={n:4d}  {time.perf_counter() - t0:6.1f} s", flush=True)
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Per candidate: rate per shift kind (mean over datasets and n), no-shift rate, mean
    power over the shifts, worst shortfall against its family's best on a shift kind."""
    cands = sorted({r["candidate"] for r in rows})
    table = {c: {s: float(np.mean([r["rate"] for r in rows
                                   if r["candidate"] == c and r["shift"] == s]))
                 for s in SHIFTS} for c in cands}
    out = []
    for c in cands:
        family = [k for k in cands if k.split(":")[0] == c.split(":")[0]]
        shortfall = max(max(table[k][s] for k in family) - table[c][s] for s in SHIFTS[1:])
        null_cells = [r["rate"] for r in rows if r["candidate"] == c and r["shift"] == "none"]
        out.append({"candidate": c, **{s: table[c][s] for s in SHIFTS},
                    "false_alarm_max_cell": float(np.max(null_cells)),
                    "mean_power": float(np.mean([table[c][s] for s in SHIFTS[1:]])),
                    "worst_shortfall": float(shortfall)})
    return out


def tie_speed(n: int = 5000, seed: int = 0) -> dict[str, float]:
    """Seconds for ``ks_test`` and ``cvm_test`` (and scipy's tests) over the 64 columns
    of a digits table (pixels / 16: 17 tied values) with ``n`` rows per side."""
    from scipy.stats import cramervonmises_2samp, ks_2samp
    from sklearn.datasets import load_digits

    from dataqa.drift import cvm_test, ks_test

    X = load_digits().data / 16.0
    rng = np.random.default_rng(seed)
    A, B = X[rng.integers(0, len(X), n)], X[rng.integers(0, len(X), n)]
    out = {}
    for name, fn in (("ks_test", ks_test), ("cvm_test", cvm_test),
                     ("scipy ks_2samp", lambda a, b: ks_2samp(a, b).pvalue),
                     ("scipy cramervonmises_2samp", lambda a, b: cramervonmises_2samp(a, b).pvalue)):
        t0 = time.perf_counter()
        for j in range(X.shape[1]):
            fn(A[:, j], B[:, j])
        out[name] = time.perf_counter() - t0
    return out


def main(argv=None) -> dict[str, bool]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=None, help="repetitions per cell")
    p.add_argument("--perms", type=int, default=100, help="MMD permutations per test")
    p.add_argument("--only", choices=("mmd", "clf"), default=None,
                   help="run one family of candidates (alone, the classifier candidates see other "
                        "samples than in a full run: the MMD candidates draw from the same generator)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS),
                   help="tuning datasets (default: all)")
    p.add_argument("--crossfit-only", action="store_true",
                   help="classifier: only the cross-fitted candidates that share relabelings "
                        "(the same values as in a full run; skips the held-out logistic ones)")
    args = p.parse_args(argv)
    if args.quick:
        datasets, ns, reps = tuple(args.datasets), (100,), args.reps or 20
    else:
        datasets, ns, reps = tuple(args.datasets), (100, 300), args.reps or 100
    t0 = time.perf_counter()
    speed = tie_speed()
    print_table("tied columns: seconds for the 64 digits columns, n = 5,000 per side",
                [{"test": k, "seconds": v} for k, v in speed.items()])
    families = (args.only,) if args.only else ("mmd", "clf")
    rows = run(datasets, ns, reps, args.perms, families=families,
               crossfit_only=args.crossfit_only)
    summ = summary(rows)
    print_table(f"drift tuning: power at alpha = {ALPHA} per shift (mean over datasets and n = "
                f"{', '.join(map(str, ns))}; {reps} repetitions per cell); 'none' is the "
                f"false-alarm rate", summ,
                ["candidate", *SHIFTS, "false_alarm_max_cell", "mean_power", "worst_shortfall"])
    for ds in datasets:
        for n in ns:
            cell = [r for r in rows if r["dataset"] == ds and r["n"] == n]
            cands = sorted({r["candidate"] for r in cell})
            print_table(f"{ds}, n = {n}", [{"candidate": c, **{r["shift"]: r["rate"] for r in cell
                                                             if r["candidate"] == c}}
                                          for c in cands], ["candidate", *SHIFTS], "{:.2f}")
    path = write_json(args.out, "drift_tuning", {
        "settings": {"datasets": datasets, "ns": ns, "reps": reps, "perms": args.perms,
                     "families": families, "classifier_permutations": CLF_PERMUTATIONS,
                     "alpha": ALPHA, "quick": args.quick},
        "summary": summ, "cells": rows, "tie_speed_seconds": speed, "seconds": time.perf_counter() - t0})
    print(f"wrote {path}")
    return {}


if __name__ == "__main__":
    sys.exit(finish("drift_tuning", main()))
