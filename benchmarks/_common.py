"""Helpers shared by the benchmark scripts: output folder, JSON dump, rich table."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", default="bench_out", help="folder for the JSON result")
    p.add_argument("--quick", action="store_true", help="small, fast run")
    return p


def write_json(out_dir: str | Path, name: str, payload: dict) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": platform.platform(),
               "python": platform.python_version(), "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
               **payload}
    path = out / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=float))
    return path


def print_table(title: str, rows: list[dict], columns: list[str] | None = None,
                float_format: str = "{:.3f}") -> None:
    columns = columns or (list(rows[0]) if rows else [])
    t = Table(title=title)
    for c in columns:
        t.add_column(str(c))
    for r in rows:
        t.add_row(*[float_format.format(r[c]) if isinstance(r.get(c), float) else str(r.get(c, ""))
                    for c in columns])
    Console(width=200).print(t)


#: Exit code of a benchmark that ran to the end but missed a goal (a crash exits 1).
GOAL_NOT_MET = 3


def finish(name: str, goals: dict[str, bool]) -> int:
    """Print every goal as met or NOT met and return the process exit code.

    Parameters
    ----------
    name : str
        The benchmark's name, as in its JSON file.
    goals : dict of str to bool
        One entry per goal checked in this run (an empty dict: the run checks no goal).

    Returns
    -------
    int
        0 when every goal is met (or none is checked), :data:`GOAL_NOT_MET` (3) when any
        is not met, so that ``run_all.py`` and ``make bench`` report the benchmark as
        failed and tell a missed goal from a crash (exit 1).
    """
    if not goals:
        print(f"{name}: no goal checked in this run")
        return 0
    missed = [k for k, ok in goals.items() if not ok]
    for k, ok in goals.items():
        print(f"goal {k}: {'met' if ok else 'NOT met'}")
    if missed:
        print(f"{name}: {len(missed)} of {len(goals)} goals NOT met: {'; '.join(missed)}")
        return GOAL_NOT_MET
    print(f"{name}: all {len(goals)} goals met")
    return 0
