"""Speed of dataqa.weak.apply_lfs against Snorkel's PandasLFApplier, with equal L checked.

Two workloads, each with both appliers in the same run:

1. 100,000 rows x (10 keyword + 5 regex + 5 threshold) LFs on an object text column;
   then 1,000,000 rows with apply_lfs alone, in-process and through a Dask LocalCluster
   on loopback.
2. 100,000 short comments, about 40% holding non-ASCII characters (accents, emoji), None
   and empty texts among them, in pandas' default string dtype, x (10 single-keyword +
   3 regex + 2 threshold on float columns with NaN) LFs; the first call of a fresh
   process is timed apart from the steady state.

Goal: at least 100x Snorkel on both workloads with an identical L.

    python benchmarks/lf_speed.py [--quick] [--out bench_out]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

# one BLAS/OpenMP thread for every timed run, set before NumPy loads
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import finish, parser, write_json  # noqa: E402

WORDS = ("check out my channel subscribe please song love video the a is this to and of "
         "you it in for on free money http www com best voice views music dance great "
         "lol wow amazing follow me link click here beautiful ünïcode 😀").split()


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 16, size=n)
    idx = rng.integers(0, len(WORDS), size=int(lengths.sum()))
    words = np.array(WORDS, dtype=object)[idx]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(words[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    texts = pd.Series(texts, dtype=object)
    texts[rng.random(n) < 0.02] = None
    a = rng.normal(size=n)
    a[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame({"text": texts, "a": a, "b": rng.integers(0, 100, size=n),
                         "c": rng.random(n)})


ASCII_WORDS = ("i love this song so much great video best thing ever lol wow check out my "
               "channel please subscribe free money here the a is it to and you that was so "
               "good amazing nice cool first who watching in 2024 me too same haha yes no").split()
NON_ASCII_WORDS = ("café naïve señor über jalapeño crème déjà très bien génial merci gracias "
                   "Ölfarbe ÉTÉ 😀 😂 🔥 ❤️ 👍 🎶 ✨ 🙏").split()


def make_comments(n: int, seed: int = 0) -> pd.DataFrame:
    """Short comments (1-12 words), about 40% with non-ASCII words, 3% None, 3% empty,
    5% with a link; two float columns with 5% NaN. Text in pandas' default string dtype."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 13, size=n)
    words = np.array(ASCII_WORDS, dtype=object)[rng.integers(0, len(ASCII_WORDS),
                                                             size=int(lengths.sum()))]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    for i in np.flatnonzero(rng.random(n) < 0.45):
        k = int(rng.integers(1, 3))
        words[bounds[i] + rng.integers(0, lengths[i], size=k)] = \
            np.array(NON_ASCII_WORDS, dtype=object)[rng.integers(0, len(NON_ASCII_WORDS), size=k)]
    texts: list = [" ".join(words[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    link = rng.random(n)
    for i in np.flatnonzero(link < 0.05):
        texts[i] += " http://bit.ly/x" if link[i] < 0.025 else " www.site.com"
    kind = rng.random(n)
    for i in np.flatnonzero(kind < 0.06):
        texts[i] = None if kind[i] < 0.03 else ""
    score = rng.random(n)
    score[rng.random(n) < 0.05] = np.nan
    z = rng.normal(size=n)
    z[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"text": pd.Series(texts), "score": score, "z": z})


def make_comment_lfs() -> list:
    from labeling_functions import keyword_lf, regex_lf, threshold_lf

    kws = [("love", 0), ("great", 0), ("subscribe", 1), ("free", 1), ("song", 0), ("check", 1),
           ("video", 0), ("please", 1), ("money", 1), ("best", 0)]
    lfs = [keyword_lf(f"kw_{k}", k, lab) for k, lab in kws]
    lfs += [regex_lf("re_link", r"https?://|www\.", 1), regex_lf("re_fire", "🔥", 0),
            regex_lf("re_check_out", r"check\s+out", 1)]
    lfs += [threshold_lf("th_score", "score", ">", 0.9, 1), threshold_lf("th_z", "z", "<", -1.5, 0)]
    return lfs


def first_call(n: int) -> float:
    """Seconds of the first apply_lfs call on the comments in this process (after imports)."""
    from dataqa.weak import apply_lfs

    df, lfs = make_comments(n, seed=0), make_comment_lfs()
    t0 = time.perf_counter()
    apply_lfs(df, lfs)
    return time.perf_counter() - t0


def make_lfs() -> list:
    from labeling_functions import keyword_lf, regex_lf, threshold_lf

    kws = [("check", 1), ("subscribe", 1), ("please", 1), ("song", 0), ("love", 0),
           ("free", 1), ("money", 1), ("views", 0), ("follow", 1), ("beautiful", 0)]
    lfs = [keyword_lf(f"kw_{k}", k, lab) for k, lab in kws]
    rx = [(r"https?://", 1), (r"\bwww\b", 1), (r"\b(my|me)\s+channel\b", 1),
          (r"\d+", 0), (r"(?i)click\s+here", 1)]
    lfs += [regex_lf(f"re_{i}", p, lab) for i, (p, lab) in enumerate(rx)]
    th = [("a", ">", 1.0, 1), ("a", "<", -1.5, 0), ("b", ">=", 90, 1), ("b", "==", 7, 0),
          ("c", "<=", 0.05, 1)]
    lfs += [threshold_lf(f"th_{i}", c, op, v, lab) for i, (c, op, v, lab) in enumerate(th)]
    return lfs


def timed(fn, repeat: int = 1):
    """Median wall time of ``repeat`` calls (after the caller's warm-up) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def compare(df: pd.DataFrame, lfs: list, warm: pd.DataFrame, repeat: int) -> dict:
    """apply_lfs (automatic threads and threads=1) against Snorkel on ``df``: medians of
    ``repeat`` alternating runs after one apply_lfs call on ``warm`` (another frame of
    the same size: first allocations of buffers of this size) and a short Snorkel run."""
    from snorkel.labeling import PandasLFApplier

    from dataqa.weak import apply_lfs

    apply_lfs(warm, lfs)
    PandasLFApplier(lfs).apply(warm.iloc[:2_000], progress_bar=False)
    ours, ours_1, theirs = [], [], []
    for _ in range(repeat):
        t, L_ours = timed(lambda: apply_lfs(df, lfs))
        ours.append(t)
        t, L_snorkel = timed(lambda: PandasLFApplier(lfs).apply(df, progress_bar=False))
        theirs.append(t)
        t, L_one = timed(lambda: apply_lfs(df, lfs, threads=1))
        ours_1.append(t)
    t_ours, t_snorkel, t_one = (statistics.median(x) for x in (ours, theirs, ours_1))
    return {"apply_lfs_s": t_ours, "snorkel_pandas_s": t_snorkel, "speedup": t_snorkel / t_ours,
            "identical_L": bool(np.array_equal(L_ours, L_snorkel)),
            "apply_lfs_threads1_s": t_one, "speedup_threads1": t_snorkel / t_one,
            "identical_L_threads1": bool(np.array_equal(L_one, L_snorkel)),
            "apply_lfs_runs_s": ours, "apply_lfs_threads1_runs_s": ours_1, "snorkel_runs_s": theirs}


def first_call_in_fresh_process(n: int) -> float:
    """:func:`first_call` in a new Python process (nothing built or cached yet)."""
    import subprocess

    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
            f"import lf_speed; print(lf_speed.first_call({n}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    from rich.console import Console
    from rich.table import Table

    from dataqa.weak import apply_lfs

    ap = parser(__doc__)
    ap.add_argument("--workers", type=int, default=2, help="Dask workers (processes)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="alternating timed runs of each applier (default 9; --quick: 3)")
    args = ap.parse_args(argv)
    n_cmp, n_big = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 9
    load_start = os.getloadavg()[0]

    # 1. the keyword/regex/threshold mix; warm-up on other rows: imports, pyarrow kernels,
    # the code-point tables of the regex translation (built once per process), pandas'
    # apply machinery
    lfs = make_lfs()
    df = make_frame(n_cmp, seed=0)
    mix = compare(df, lfs, make_frame(n_cmp, seed=99), args.repeat)

    # 2. short comments with non-ASCII text
    c_lfs = make_comment_lfs()
    comments = make_comments(n_cmp, seed=0)
    texts = comments["text"]
    non_ascii = float(texts.map(lambda t: isinstance(t, str) and not t.isascii()).mean())
    c_first = first_call_in_fresh_process(n_cmp)
    com = compare(comments, c_lfs, make_comments(n_cmp, seed=99), args.repeat)

    big = make_frame(n_big, seed=1)
    t_big, L_big = timed(lambda: apply_lfs(big, lfs))

    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster) as client:
        ddf = dd.from_pandas(big, npartitions=4 * args.workers).persist()
        from distributed import wait

        wait(ddf)
        # warm the workers (imports of pandas, snorkel, dataqa) before timing
        apply_lfs(dd.from_pandas(big.iloc[:100], npartitions=args.workers), lfs, scheduler=client)
        t_dask, L_dask = timed(lambda: apply_lfs(ddf, lfs, scheduler=client))
    dask_equal = bool(np.array_equal(L_dask, L_big))

    goal = 100.0
    mix_met = bool(mix["identical_L"] and mix["identical_L_threads1"] and mix["speedup"] >= goal)
    com_met = bool(com["identical_L"] and com["identical_L_threads1"] and com["speedup"] >= goal)
    res = {
        "rows_compared": n_cmp, "n_lfs": len(lfs), "lf_kinds": "10 keyword, 5 regex, 5 threshold",
        **{k: v for k, v in mix.items()},
        "rows_big": n_big, "apply_lfs_big_s": t_big,
        "dask_big_s": t_dask, "dask_workers": args.workers, "dask_identical_L": dask_equal,
        "comments": {
            "rows": n_cmp, "n_lfs": len(c_lfs),
            "lf_kinds": "10 single keyword, 3 regex, 2 threshold (float columns with NaN)",
            "text_dtype": str(texts.dtype), "non_ascii_share": non_ascii,
            "missing_share": float(texts.isna().mean()), "empty_share": float((texts == "").mean()),
            "first_call_fresh_process_s": c_first, **com, "goal_met": com_met,
        },
        "timing": f"median of {args.repeat} alternating runs each after a warm-up; "
                  f"1 BLAS thread; load average at start {load_start:.2f}",
        "cpu_count": os.cpu_count(), "goal_speedup": goal,
        "first_goal_met": mix_met, "goal_met": bool(mix_met and com_met),
    }
    table = Table(title="LF application speed")
    table.add_column("run")
    table.add_column("rows", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("note")
    for label, r in (("", mix), ("comments: ", com)):
        table.add_row(f"{label}Snorkel PandasLFApplier", f"{n_cmp:,}", f"{r['snorkel_pandas_s']:.2f}", "")
        table.add_row(f"{label}dataqa apply_lfs", f"{n_cmp:,}", f"{r['apply_lfs_s']:.3f}",
                      f"{r['speedup']:.0f}x, identical L: {r['identical_L']}")
        table.add_row(f"{label}dataqa apply_lfs threads=1", f"{n_cmp:,}",
                      f"{r['apply_lfs_threads1_s']:.3f}",
                      f"{r['speedup_threads1']:.0f}x, identical L: {r['identical_L_threads1']}")
    table.add_row("comments: dataqa apply_lfs first call", f"{n_cmp:,}", f"{c_first:.3f}",
                  f"fresh process; {non_ascii:.0%} non-ASCII rows, {texts.dtype} dtype")
    table.add_row("dataqa apply_lfs", f"{n_big:,}", f"{t_big:.2f}", "in-process")
    table.add_row("dataqa apply_lfs (Dask)", f"{n_big:,}", f"{t_dask:.2f}",
                  f"LocalCluster {args.workers} workers, identical L: {dask_equal}")
    Console().print(table)
    write_json(args.out, "lf_speed", res)
    return res


if __name__ == "__main__":
    _res = main()
    _com = _res["comments"]
    sys.exit(finish("lf_speed", {
        f"speedup {_res['speedup']:.0f}x >= 100x with identical L": _res["first_goal_met"],
        f"comments: speedup {_com['speedup']:.0f}x >= 100x with identical L": _com["goal_met"],
    }))
