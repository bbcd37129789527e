"""``dataqa drift`` at production size: 1,000,000 reference and 1,000,000 current rows.

The command runs as a user runs it, in a child process (``dataqa drift REF CUR
--label-column label --out DIR``, Parquet files, default settings), so the peak resident
memory measured (``ru_maxrss`` of the child) is the command's own, the reading of both
files included. The child times its stages by wrapping functions of ``dataqa.drift``:
reading, the per-column tests, the feature matrix, the multivariate tests (MMD, the
classifier test), the model checks (cross-validated model, label shift, accuracy, OOD
share) and writing the files (the windows' own tests count in the stages they run).
``--windows`` runs ``--time-column time --window 1D`` instead: the whole table, then 30
one-day windows and 10 reference chunks, each compared with the reference.

The tables: 20 numeric columns (Gaussian, correlated in pairs), two categorical ones
(5 and 12 categories) and a binary label that depends on three columns; the current table
has column ``x00`` moved by 0.1 standard deviations and category ``c`` of ``cat5`` 5
points more frequent; a ``time`` column spreads the current rows over 30 days.

Goals: the command exits 0; peak RSS <= 12 GiB (the audit's budget at 1,000,000 rows);
it finds the drift (``drifted`` true, ``x00`` and ``cat5`` the drifted columns, no
other). The wall time is reported, without a goal.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

GIB = 1024 ** 3
RSS_GOAL_GIB = 12.0
SHIFTED = {"x00", "cat5"}


def make_tables(n: int, m: int, *, seed: int = 0):
    """Reference and current tables (pandas) as described in the module docstring."""
    import pandas as pd

    rng = np.random.default_rng(seed)

    def table(rows: int, shifted: bool) -> pd.DataFrame:
        base = rng.standard_normal((rows, 10))
        other = 0.6 * base + 0.8 * rng.standard_normal((rows, 10))
        X = np.hstack([base, other])
        if shifted:
            X[:, 0] += 0.1
        frame = pd.DataFrame(X, columns=[f"x{j:02d}" for j in range(20)])
        p5 = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
        if shifted:
            p5 = p5 + np.array([-0.025, -0.025, 0.05, 0.0, 0.0])
        frame["cat5"] = rng.choice(list("abcde"), size=rows, p=p5)
        frame["cat12"] = rng.choice([f"k{j}" for j in range(12)], size=rows)
        logit = X[:, 1] + 0.8 * X[:, 2] - 0.5 * X[:, 11] + (frame["cat5"] == "a") * 0.7
        frame["label"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
        if shifted:
            start = np.datetime64("2026-01-01T00:00:00")
            frame["time"] = start + np.sort(rng.integers(0, 30 * 86400, rows)).astype(
                "timedelta64[s]")
        return frame

    return table(n, False), table(m, True)


# ---------------------------------------------------------------- the child: one command


STAGES = [  # (module, attribute, stage)
    ("dataqa.data", "load_table", "read files"),
    ("dataqa.drift.detect", "_column_rows", "column tests"),
    ("dataqa.drift.detect", "build_features", "feature matrix"),
    ("dataqa.drift.detect", "multivariate_tests", "multivariate tests"),
    ("dataqa.drift.model_checks", "_run_model_checks", "model checks"),
    ("dataqa.drift.result", "DriftResult.save", "write files"),
    ("dataqa.drift.result", "DriftResult.label_queue", "label queue"),
]


def child(stage_file: str, args: list[str]) -> int:
    import importlib

    wall: dict[str, float] = {}

    def timed(stage, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                wall[stage] = wall.get(stage, 0.0) + time.perf_counter() - t
        return wrapper

    for module, attr, stage in STAGES:
        obj = importlib.import_module(module)
        *owner, name = attr.split(".")
        for part in owner:
            obj = getattr(obj, part)
        setattr(obj, name, timed(stage, getattr(obj, name)))
    from dataqa.cli import app

    t0 = time.perf_counter()
    try:
        app(["drift", *args])
        code = 0
    except SystemExit as exc:  # typer exits, with 2 on bad input
        code = int(exc.code or 0)
    wall["total"] = time.perf_counter() - t0
    Path(stage_file).write_text(json.dumps(wall))
    return code


# ---------------------------------------------------------------- the parent


def run_command(n: int, *, windows: bool, workdir: Path) -> tuple[list[dict], dict]:
    ref, cur = make_tables(n, n)
    ref_path, cur_path = workdir / "reference.parquet", workdir / "current.parquet"
    ref.to_parquet(ref_path, index=False)
    cur.to_parquet(cur_path, index=False)
    del ref, cur
    out = workdir / ("out_windows" if windows else "out")
    args = [str(ref_path), str(cur_path), "--label-column", "label", "--out", str(out),
            "--quiet"]
    if windows:
        args += ["--time-column", "time", "--window", "1D"]
    stage_file = workdir / "stages.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", str(stage_file), "--", *args],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / GIB
    if before * 1024 / GIB >= peak:  # an earlier child was larger: the figure is not this one's
        peak = float("nan")
    print(proc.stdout[-3000:])
    if proc.returncode != 0:
        print(proc.stderr[-5000:])
    stages = json.loads(stage_file.read_text()) if stage_file.exists() else {}
    total = stages.pop("total", wall)
    rows = [{"stage": s, "wall_s": w, "share": w / total} for s, w in stages.items()]
    rows.append({"stage": "other", "wall_s": total - sum(stages.values()),
                 "share": 1 - sum(stages.values()) / total})
    rows.append({"stage": "total (in the command)", "wall_s": total, "share": 1.0})
    info = {"rows_per_side": n, "windows": windows, "exit_code": proc.returncode,
            "peak_rss_gib": peak, "wall_s_with_start": wall}
    if proc.returncode == 0 and (out / "drift.json").exists():
        report = json.loads((out / "drift.json").read_text())
        info["drifted"] = bool(report["drifted"])
        columns = [c["column"] for c in report.get("columns", []) if c.get("drifted")]
        if not columns and (out / "columns.csv").exists():
            import pandas as pd

            frame = pd.read_csv(out / "columns.csv")
            columns = frame.loc[frame["drifted"].astype(bool), "column"].tolist()
        info["drifted_columns"] = sorted(columns)
        acc = report.get("estimated_accuracy") or {}
        info["estimated_accuracy"] = acc.get("estimate")
    return rows, info


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        sys.exit(child(argv[1], argv[3:]))
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=None,
                   help="rows per side (default 1,000,000; --quick: 100,000)")
    p.add_argument("--windows", action="store_true",
                   help="run with --time-column time --window 1D (30 windows) instead")
    args = p.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)
    goals: dict[str, bool] = {}
    payload: dict = {"runs": []}
    for windows in [args.windows]:
        with tempfile.TemporaryDirectory(prefix="dataqa_drift_large_") as tmp:
            rows, info = run_command(n, windows=windows, workdir=Path(tmp))
        label = f"dataqa drift, {n:,} + {n:,} rows" + (", 1-day windows" if windows else "")
        print_table(f"{label}: stages", rows)
        print_table(f"{label}: totals", [{k: v for k, v in info.items()
                                          if k != "drifted_columns"}])
        print(f"drifted columns: {info.get('drifted_columns')}")
        payload["runs"].append({"stages": rows, **info})
        goals[f"{label}: exit code {info['exit_code']} == 0"] = info["exit_code"] == 0
        goals[f"{label}: peak RSS {info['peak_rss_gib']:.2f} GiB <= {RSS_GOAL_GIB}"] = (
            info["peak_rss_gib"] <= RSS_GOAL_GIB)
        if not windows and "drifted" in info:
            found = set(info["drifted_columns"])
            goals[f"{label}: drift found, drifted columns {sorted(found)} == "
                  f"{sorted(SHIFTED)}"] = info["drifted"] and found == SHIFTED
    write_json(args.out, "drift_large", payload)
    return goals


if __name__ == "__main__":
    sys.exit(finish("drift_large", main()))
