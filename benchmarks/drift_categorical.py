"""Categorical columns with many values: which test, chosen on simulated columns, checked on real ones.

A column of cities, product codes or first words holds a few common values and a long
tail of rare ones. Counted value by value, the chi-squared test's statistic is mostly the
rare values' noise, so a shift in the common values goes unseen. Candidates, each a
chi-squared test of the 2 x K table of reference and current counts (asymptotic when
every expected count is at least 5, else the permutation p-value of ``chi2_test``):

- ``every value``: each value its own category (``chi2_test``; the test before);
- ``rare bucket``: values held by fewer than 5 rows of both tables together in one bucket;
- ``top 20``: the 20 most frequent values (both tables together, at least 5 rows each)
  and one bucket for the rest;
- ``every value + top 20``: Bonferroni over the first and the third (twice the smaller
  p-value); the default from this benchmark's first run until the next candidate;
- ``every value + rare bucket``: the same with the second;
- ``every value + top 20, min-p``: the first and the third calibrated as one test over
  random splits of the pooled rows (``_top_min_p``: the smaller chi-squared tail
  probability as the statistic); added later and chosen by the same rule on the same
  tuning cells: the default now (``default`` in the tables is what ``column_test``
  gives, checked on every sample to equal the candidate ``DEFAULT_IS``);
- ``every value + top 20, min-p scaled``: the same, but the value-by-value X^2's tail
  read on a normal law with its no-drift mean and the spread of 200 pilot splits
  (``_top_min_p(every="scaled")``), since a sparse table's X^2 lies far tighter about
  its mean than a chi-squared law (a complete change of a column of rare authors went
  unseen beside 150 columns); added after a newcomer's run found that, and compared by
  the same rule on the same tuning cells.

Every choice of buckets depends only on the two tables' pooled counts, so each test keeps
its level. **Tuning** (the choice): Zipf-distributed columns of 300 and 3,000 values
(exponents 1.0 and 0.6) at 200, 1,000 and 5,000 rows per side; shifts: the ten most
common values reordered, a fifth of the current rows from values the reference never
has, the tail (values past the 50th) twice as frequent, the most common value 50% more
frequent. The rule, fixed before the held-out cells were run: the largest summed power
over the shifted cells among the candidates whose shortfall from the best candidate is at
most 0.2 in every cell. **Held out** (the report): the first word of each message, of SMS
texts (reference: random rows; current: 25% or 40% spam against 13%) and of YouTube
comments (reference: four videos; current: 20% or 40% from the Shakira video).

Goals (held-out cells): the default's false-alarm rate at alpha = 0.05 is consistent with
0.05 (two-sided binomial p >= 0.01) on every no-shift cell, and its summed power is at
least the every-value test's. The samples flagged by one of the two only are counted
beside it, with a two-sided sign test, to tell a difference from noise; so are those
flagged by one of the default and Bonferroni's pair only.
"""

from __future__ import annotations

import re
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

ALPHA = 0.05
CANDIDATES = ("every value", "rare bucket", "top 20", "every value + top 20",
              "every value + rare bucket", "every value + top 20, min-p",
              "every value + top 20, min-p scaled")
DEFAULT = "default"  # what column_test gives: the candidate DEFAULT_IS (checked on every sample)
DEFAULT_IS = "every value + top 20, min-p"
COUNTED = (*CANDIDATES, DEFAULT)


def _seed(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def p_values(ref, cur, seed: int) -> dict[str, float]:
    """Each candidate's p-value for one pair of samples (arrays of values)."""
    import pandas as pd

    from dataqa.drift.twosample import _chi2_from_counts, _pooled_categories
    from dataqa.drift.univariate import RARE_COUNT, _top_counts, _top_min_p, column_test

    ref, cur = pd.Series(ref, dtype=object), pd.Series(cur, dtype=object)
    _, pa, pb = _pooled_categories(ref, cur)  # as column_test counts them (same draws)

    def chi2(a, b):
        return _chi2_from_counts(a, b, random_state=seed, n_permutations=2000)[1]

    every = chi2(pa, pb)
    t = pa + pb
    rare = t < RARE_COUNT
    p_rare = (chi2(np.append(pa[~rare], pa[rare].sum()), np.append(pb[~rare], pb[rare].sum()))
              if rare.sum() >= 2 else every)
    top = _top_counts(pa, pb)
    p_top = chi2(*top) if top is not None else every
    min_p = (_top_min_p(pa, pb, random_state=seed, n_permutations=2000)
             if top is not None else every)
    scaled = (_top_min_p(pa, pb, random_state=seed, n_permutations=2000, every="scaled")
              if top is not None else every)
    default = column_test(ref, cur, "categorical", random_state=seed)["p_value"]
    return {"every value": every, "rare bucket": p_rare, "top 20": p_top,
            "every value + top 20": (min(1.0, 2.0 * min(every, p_top)) if top is not None
                                     else every),
            "every value + rare bucket": min(1.0, 2.0 * min(every, p_rare)),
            "every value + top 20, min-p": min_p,
            "every value + top 20, min-p scaled": scaled, "default": default}


def _check_default(pv: dict[str, float]) -> None:
    if not np.isclose(pv[DEFAULT], pv[DEFAULT_IS], rtol=1e-9, atol=0.0):
        raise SystemExit(f"column_test's p-value {pv[DEFAULT]} is not {DEFAULT_IS!r}'s "
                         f"{pv[DEFAULT_IS]}: DEFAULT_IS names another test than the default")


# ---------------------------------------------------------------- tuning: Zipf columns

TUNING_SHIFTS = ("none", "top ten reordered", "new values", "tail doubled", "top value +50%")


def zipf(K: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, K + 1) ** s
    return w / w.sum()


def shifted(p: np.ndarray, shift: str, rng) -> np.ndarray:
    K = len(p)
    if shift == "none":
        return p
    if shift == "top ten reordered":
        order = np.arange(K)
        order[:10] = rng.permutation(10)
        return p[order]
    if shift == "new values":  # a fifth of the rows from K values the reference never has
        return np.concatenate([0.8 * p, np.full(K, 0.2 / K)])
    if shift == "tail doubled":
        q = p.copy()
        q[50:] *= 2
        return q / q.sum()
    if shift == "top value +50%":
        q = p.copy()
        q[0] *= 1.5
        return q / q.sum()
    raise ValueError(shift)


def tuning_cells(quick: bool):
    families = [(300, 1.0), (3000, 1.0), (3000, 0.6)]
    sizes = (200, 1000) if quick else (200, 1000, 5000)
    for K, s in families:
        for n in sizes:
            for shift in TUNING_SHIFTS:
                yield {"column": f"Zipf {K} values, s = {s}", "n": n, "shift": shift}, (K, s)


def run_tuning(reps: int, quick: bool) -> list[dict]:
    rows = []
    for cell, (K, s) in tuning_cells(quick):
        rng = np.random.default_rng(_seed(K, s, cell["n"], cell["shift"]))
        p = zipf(K, s)
        hits = {c: 0 for c in COUNTED}
        for r in range(reps):
            q = shifted(p, cell["shift"], rng)
            ref = rng.choice(K, cell["n"], p=p)
            cur = rng.choice(len(q), cell["n"], p=q)
            pv = p_values(ref.astype(str), cur.astype(str), r)
            _check_default(pv)
            for c, v in pv.items():
                hits[c] += v <= ALPHA
        rows.append({**cell, "reps": reps, **{c: hits[c] / reps for c in COUNTED}})
        print(f"  tuning {cell['column']}, n = {cell['n']}, {cell['shift']}: "
              + ", ".join(f"{c} {rows[-1][c]:.2f}" for c in COUNTED), flush=True)
    return rows


def choose(rows: list[dict], max_shortfall: float = 0.2) -> tuple[str, dict]:
    """The rule: among candidates never more than ``max_shortfall`` below the best one on
    a shifted cell, the largest summed power."""
    shifted_rows = [r for r in rows if r["shift"] != "none"]
    summary = {}
    for c in CANDIDATES:
        summary[c] = {"summed_power": sum(r[c] for r in shifted_rows),
                      "worst_shortfall": max((max(r[k] for k in CANDIDATES) - r[c]
                                              for r in shifted_rows), default=0.0)}
    eligible = [c for c in CANDIDATES if summary[c]["worst_shortfall"] <= max_shortfall]
    best = max(eligible or CANDIDATES, key=lambda c: summary[c]["summed_power"])
    return best, summary


# ------------------------------------------------------------ held out: first words

def first_words(texts) -> np.ndarray:
    out = []
    for t in texts:
        words = re.findall(r"[^\W\d_]+", str(t).lower())
        out.append(words[0] if words else "<none>")
    return np.array(out, dtype=object)


def heldout_cells(data_home, quick: bool):
    from dataqa.datasets import load_sms_spam, load_youtube_spam

    sms = load_sms_spam(data_home)
    yt = load_youtube_spam(data_home)
    sw, spam = first_words(sms["text"]), (sms["label"] == "spam").to_numpy()
    yw, shakira = first_words(yt["text"]), (yt["video"] == "Shakira").to_numpy()

    def sms_draw(share):
        def draw(rng, n):
            ref = rng.permutation(len(sw))[:n]
            rest = np.ones(len(sw), bool)
            rest[ref] = False
            if share is None:
                cur = rng.choice(np.flatnonzero(rest), n, replace=False)
            else:
                k = rng.binomial(n, share)
                cur = np.r_[rng.choice(np.flatnonzero(rest & spam), k, replace=False),
                            rng.choice(np.flatnonzero(rest & ~spam), n - k, replace=False)]
            return sw[ref], sw[cur]
        return draw

    def yt_draw(share):
        def draw(rng, n):
            pool = rng.permutation(np.flatnonzero(~shakira))
            k = 0 if share is None else rng.binomial(n, share)
            cur = np.r_[pool[n:2 * n - k], rng.choice(np.flatnonzero(shakira), k, replace=False)]
            return yw[pool[:n]], yw[cur]
        return draw

    info = {"sms_distinct_first_words": int(len(set(sw))),
            "youtube_distinct_first_words": int(len(set(yw[~shakira])))}
    cells = []
    for n in ((200,) if quick else (200, 500, 1000)):
        for share in (None, 0.25, 0.40):
            cells.append(({"column": "SMS first word", "n": n,
                           "shift": "none" if share is None else f"{share:.0%} spam"},
                          sms_draw(share)))
    for n in ((200,) if quick else (200, 600)):
        for share in (None, 0.2, 0.4):
            cells.append(({"column": "YouTube first word", "n": n,
                           "shift": "none" if share is None else f"{share:.0%} Shakira"},
                          yt_draw(share)))
    return cells, info


def run_heldout(cells, reps: int) -> list[dict]:
    rows = []
    for cell, draw in cells:
        rng = np.random.default_rng(_seed(cell["column"], cell["n"], cell["shift"]))
        hits = {c: 0 for c in COUNTED}
        only_default = only_every = only_default_vs_bonf = only_bonf = 0
        for r in range(reps):
            ref, cur = draw(rng, cell["n"])
            pv = p_values(ref, cur, r)
            _check_default(pv)
            for c, v in pv.items():
                hits[c] += v <= ALPHA
            only_default += pv[DEFAULT] <= ALPHA < pv["every value"]
            only_every += pv["every value"] <= ALPHA < pv[DEFAULT]
            only_default_vs_bonf += pv[DEFAULT] <= ALPHA < pv["every value + top 20"]
            only_bonf += pv["every value + top 20"] <= ALPHA < pv[DEFAULT]
        rows.append({**cell, "reps": reps, **{c: hits[c] / reps for c in COUNTED},
                     "only_default": int(only_default), "only_every_value": int(only_every),
                     "only_default_vs_bonferroni": int(only_default_vs_bonf),
                     "only_bonferroni": int(only_bonf)})
        print(f"  held out {cell['column']}, n = {cell['n']}, {cell['shift']}: "
              + ", ".join(f"{c} {rows[-1][c]:.2f}" for c in COUNTED), flush=True)
    return rows


def main(argv=None) -> dict[str, bool]:
    from scipy.stats import binomtest

    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=None,
                    help="repetitions per cell (default 200; --quick: 20)")
    ap.add_argument("--data-home", default=None, help="folder holding sms_spam/ and youtube_spam/")
    ap.add_argument("--parts", nargs="+", choices=("tuning", "heldout"),
                    default=["tuning", "heldout"])
    args = ap.parse_args(argv)
    reps = args.reps or (20 if args.quick else 200)
    t0 = time.perf_counter()
    payload: dict = {"reps": reps, "alpha": ALPHA, "default": DEFAULT_IS}
    goals: dict[str, bool] = {}
    cols = ["column", "n", "shift", *COUNTED]
    if "tuning" in args.parts:
        tuning = run_tuning(reps, args.quick)
        best, summary = choose(tuning)
        print_table("tuning (the choice): share of samples flagged at 0.05", tuning, cols)
        print_table("tuning summary", [{"candidate": c, **v} for c, v in summary.items()])
        print(f"the rule picks: {best} (the default: {DEFAULT_IS})")
        payload.update(tuning=tuning, tuning_summary=summary, rule_picks=best)
    if "heldout" in args.parts:
        cells, info = heldout_cells(args.data_home, args.quick)
        held = run_heldout(cells, reps)
        print_table("held out (the report): share of samples flagged at 0.05", held, cols)
        payload.update(heldout=held, **info)
        for r in held:
            if r["shift"] == "none":
                k = round(r[DEFAULT] * reps)
                p = binomtest(k, reps, ALPHA).pvalue
                goals[f"{r['column']}, n = {r['n']}, no shift: false-alarm rate {r[DEFAULT]:.3f} "
                      f"consistent with {ALPHA} (binomial p = {p:.3f} >= 0.01)"] = p >= 0.01
        power = {c: sum(r[c] for r in held if r["shift"] != "none") for c in COUNTED}
        payload["heldout_summed_power"] = power
        shifted = [r for r in held if r["shift"] != "none"]
        a = sum(r["only_default"] for r in shifted)
        b = sum(r["only_every_value"] for r in shifted)
        sign_p = binomtest(a, a + b, 0.5).pvalue if a + b else 1.0
        payload["heldout_paired"] = {"only_default": a, "only_every_value": b, "sign_test_p": sign_p}
        print(f"held-out shifted samples flagged by one test only: the default {a}, every value "
              f"{b} (two-sided sign test p = {sign_p:.3f})")
        c = sum(r["only_default_vs_bonferroni"] for r in shifted)
        d = sum(r["only_bonferroni"] for r in shifted)
        bonf_p = binomtest(c, c + d, 0.5).pvalue if c + d else 1.0
        payload["heldout_paired_bonferroni"] = {"only_default": c, "only_bonferroni": d,
                                                "sign_test_p": bonf_p}
        print(f"... and by one of the default and Bonferroni's pair only: the default {c}, "
              f"Bonferroni's pair {d} (two-sided sign test p = {bonf_p:.3f})")
        goals[f"held-out summed power: default {power[DEFAULT]:.2f} >= every value "
              f"{power['every value']:.2f}"] = power[DEFAULT] >= power["every value"]
    payload["wall_s"] = time.perf_counter() - t0
    write_json(args.out, "drift_categorical", payload)
    return goals


if __name__ == "__main__":
    sys.exit(finish("drift_categorical", main()))
