"""Speed of dataqa.weak.apply_lfs against Snorkel's PandasLFApplier, with equal L checked.

100,000 rows x (10 keyword + 5 regex + 5 threshold) LFs: both appliers, same run. Then
1,000,000 rows with apply_lfs alone, in-process and through a Dask LocalCluster on
loopback. Goal: at least 100x Snorkel with an identical L.

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


def main(argv: list[str] | None = None) -> dict:
    from rich.console import Console
    from rich.table import Table
    from snorkel.labeling import PandasLFApplier

    from dataqa.weak import apply_lfs

    ap = parser(__doc__)
    ap.add_argument("--workers", type=int, default=2, help="Dask workers (processes)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="alternating timed runs of each applier (default 9; --quick: 3)")
    args = ap.parse_args(argv)
    n_cmp, n_big = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 9
    lfs = make_lfs()

    df = make_frame(n_cmp, seed=0)
    # warm-up on other rows: imports, pyarrow kernels, the code-point tables of the regex
    # translation (built once per process), pandas' apply machinery, and for apply_lfs
    # the first allocations of buffers of this size (on a frame of the same size)
    warm = make_frame(2_000, seed=99)
    apply_lfs(make_frame(n_cmp, seed=99), lfs)
    PandasLFApplier(lfs).apply(warm, progress_bar=False)
    # same frame, alternating runs, median of the repeats
    ours, ours_1, theirs = [], [], []
    for _ in range(args.repeat):
        t, L_ours = timed(lambda: apply_lfs(df, lfs))
        ours.append(t)
        t, L_snorkel = timed(lambda: PandasLFApplier(lfs).apply(df, progress_bar=False))
        theirs.append(t)
        t, L_one = timed(lambda: apply_lfs(df, lfs, threads=1))
        ours_1.append(t)
    t_ours = statistics.median(ours)
    t_snorkel = statistics.median(theirs)
    t_one = statistics.median(ours_1)
    equal = bool(np.array_equal(L_ours, L_snorkel))
    equal_one = bool(np.array_equal(L_one, L_snorkel))

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

    res = {
        "rows_compared": n_cmp, "n_lfs": len(lfs), "lf_kinds": "10 keyword, 5 regex, 5 threshold",
        "apply_lfs_s": t_ours, "snorkel_pandas_s": t_snorkel, "speedup": t_snorkel / t_ours,
        "identical_L": equal, "apply_lfs_threads1_s": t_one, "speedup_threads1": t_snorkel / t_one,
        "identical_L_threads1": equal_one, "rows_big": n_big, "apply_lfs_big_s": t_big,
        "dask_big_s": t_dask, "dask_workers": args.workers, "dask_identical_L": dask_equal,
        "timing": f"median of {args.repeat} alternating runs each after a warm-up; "
                  f"1 BLAS thread; load average at start {os.getloadavg()[0]:.2f}",
        "apply_lfs_runs_s": ours, "apply_lfs_threads1_runs_s": ours_1, "snorkel_runs_s": theirs,
        "cpu_count": os.cpu_count(), "goal_speedup": 100.0,
        "goal_met": bool(equal and equal_one and t_snorkel / t_ours >= 100.0),
    }
    table = Table(title="LF application speed")
    table.add_column("run")
    table.add_column("rows", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("note")
    table.add_row("Snorkel PandasLFApplier", f"{n_cmp:,}", f"{t_snorkel:.2f}", "")
    table.add_row("dataqa apply_lfs", f"{n_cmp:,}", f"{t_ours:.3f}",
                  f"{res['speedup']:.0f}x, identical L: {equal}")
    table.add_row("dataqa apply_lfs threads=1", f"{n_cmp:,}", f"{t_one:.3f}",
                  f"{res['speedup_threads1']:.0f}x, identical L: {equal_one}")
    table.add_row("dataqa apply_lfs", f"{n_big:,}", f"{t_big:.2f}", "in-process")
    table.add_row("dataqa apply_lfs (Dask)", f"{n_big:,}", f"{t_dask:.2f}",
                  f"LocalCluster {args.workers} workers, identical L: {dask_equal}")
    Console().print(table)
    write_json(args.out, "lf_speed", res)
    return res


if __name__ == "__main__":
    _res = main()
    sys.exit(finish("lf_speed", {
        f"speedup {_res['speedup']:.0f}x >= 100x with identical L": _res["goal_met"]}))
