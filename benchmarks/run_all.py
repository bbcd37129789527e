"""Run every benchmark in this folder, one process each; JSON results land in bench_out/.

Usage: python benchmarks/run_all.py [--quick] [--only NAME ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="bench_out")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("_", "run_all")))
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    failed = []
    for script in scripts:
        cmd = [sys.executable, str(script), "--out", args.out] + (["--quick"] if args.quick else [])
        print(f"\n=== {script.stem} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"=== {script.stem}: exit {rc} in {time.perf_counter() - t0:.0f} s ===", flush=True)
        if rc:
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
