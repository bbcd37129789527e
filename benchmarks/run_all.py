"""Run every benchmark in this folder, one process each; JSON results land in bench_out/.

Usage: python benchmarks/run_all.py [--quick] [--only NAME ...] [--tuning] [--out DIR]

The ``*_tuning.py`` scripts choose defaults on their own data and check no goal; they are
long (``drift_tuning`` takes about half an hour on two cores), so they run only when
named with ``--only`` or when ``--tuning`` is given.

Each benchmark exits 0 when its goals are met, 3 when it ran but missed a goal and
anything else when it failed to run. The summary names every benchmark that did not
exit 0, and this script then exits 1 (so ``make bench`` fails).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import GOAL_NOT_MET  # noqa: E402


def scripts(only: list[str] | None = None, tuning: bool = False) -> list[Path]:
    """The benchmark scripts, sorted; ``only`` keeps those named (unknown names raise);
    without ``only``, the ``*_tuning`` scripts only with ``tuning``."""
    found = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("_", "run_all")))
    if only:
        unknown = sorted(set(only) - {p.stem for p in found})
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; known: "
                             f"{', '.join(p.stem for p in found)}")
        return [p for p in found if p.stem in only]
    return [p for p in found if tuning or not p.stem.endswith("_tuning")]


def outcome(rc: int) -> str:
    """What an exit code means for a benchmark."""
    if rc == 0:
        return "ok"
    if rc == GOAL_NOT_MET:
        return "goal NOT met"
    return f"error (exit {rc})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="bench_out")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--tuning", action="store_true",
                    help="also run the *_tuning scripts (no goals; long)")
    args = ap.parse_args(argv)
    results = []
    chosen = scripts(args.only, tuning=args.tuning)
    left = [] if args.only or args.tuning else [
        p.stem for p in scripts(tuning=True) if p.stem.endswith("_tuning")]
    if left:
        print(f"tuning scripts not run (no goals; --tuning runs them): {', '.join(left)}")
    for script in chosen:
        cmd = [sys.executable, str(script), "--out", args.out] + (["--quick"] if args.quick else [])
        print(f"\n=== {script.stem} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        seconds = time.perf_counter() - t0
        print(f"=== {script.stem}: {outcome(rc)} in {seconds:.0f} s ===", flush=True)
        results.append((script.stem, rc, seconds))
    print(f"\nbenchmarks{' (quick)' if args.quick else ''}:")
    for name, rc, seconds in results:
        print(f"  {name:<22} {outcome(rc):<18} {seconds:6.0f} s")
    failed = [name for name, rc, _ in results if rc]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"all {len(results)} benchmarks met their goals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
