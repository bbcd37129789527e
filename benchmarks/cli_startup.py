"""Start-up time of the ``dataqa`` command against ``python -c "import pandas"``.

Times ``dataqa --help`` and each sub-command's ``--help`` (``audit``, ``demo``, ``weak``,
``al`` and its commands, ``ls`` and its commands) as fresh processes of this Python,
alternating with the reference ``python -c "import pandas"`` in the same run, so a busy
machine slows both alike. Each figure is the median wall time of several runs; the ratio
is command / reference. ``python -X importtime`` of ``dataqa --help`` names the heaviest
modules it loads.

Goal: every ratio at most 1.5.

    python benchmarks/cli_startup.py [--quick] [--out bench_out]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

GOAL_RATIO = 1.5

#: Sub-commands whose ``--help`` is timed (``[]`` is ``dataqa --help`` itself).
COMMANDS: list[list[str]] = [
    [], ["audit"], ["demo"], ["weak"], ["al"], ["al", "init"], ["al", "next"],
    ["al", "label"], ["al", "status"], ["ls"], ["ls", "push"], ["ls", "pull"],
]
QUICK_COMMANDS: list[list[str]] = [[], ["audit"], ["weak"], ["al", "next"], ["ls", "push"]]

REFERENCE = [sys.executable, "-c", "import pandas"]


def dataqa_argv(args: list[str]) -> list[str]:
    """The command line of ``dataqa ARGS --help``: the console script beside this interpreter."""
    script = Path(sys.executable).parent / "dataqa"
    if script.is_file():
        return [sys.executable, str(script), *args, "--help"]
    return [sys.executable, "-c", "from dataqa.cli import main; main()", *args, "--help"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["COLUMNS"] = "100"  # typer's help layout does not depend on the terminal
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def wall(argv: list[str]) -> float:
    """Seconds one run of ``argv`` takes; a failing command raises."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace')[-500:]}")
    return seconds


def heaviest_imports(args: list[str], top: int = 8) -> list[dict]:
    """The ``top`` top-level modules with the largest cumulative import time (microseconds)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *dataqa_argv(args)[1:]],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(),
                          text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if not cumulative.strip().isdigit() or name.startswith("  "):
            continue  # header, or a module imported by another one
        rows.append({"module": name.strip(), "cumulative_ms": int(cumulative) / 1000})
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=None, help="runs per command (default 7; 3 with --quick)")
    args = p.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    commands = QUICK_COMMANDS if args.quick else COMMANDS
    wall(REFERENCE)  # warm the file cache for both
    for c in commands:
        wall(dataqa_argv(c))
    ref_runs: list[float] = []
    runs: dict[str, list[float]] = {" ".join(["dataqa", *c, "--help"]): [] for c in commands}
    for _ in range(repeat):
        for c in commands:  # alternate: reference, command, reference, command, ...
            ref_runs.append(wall(REFERENCE))
            runs[" ".join(["dataqa", *c, "--help"])].append(wall(dataqa_argv(c)))
    ref = statistics.median(ref_runs)
    rows = [{"command": name, "median_s": statistics.median(t), "ratio": statistics.median(t) / ref,
             "meets_goal": statistics.median(t) / ref <= GOAL_RATIO}
            for name, t in runs.items()]
    rows.insert(0, {"command": 'python -c "import pandas"', "median_s": ref, "ratio": 1.0,
                    "meets_goal": True})
    print_table(f"start-up, median of {repeat} runs (goal: ratio <= {GOAL_RATIO})", rows,
                ["command", "median_s", "ratio", "meets_goal"])
    print(f"ratio = median / median of `python -c \"import pandas\"`, run alternately; "
          f"load average {os.getloadavg()[0]:.2f}")
    heavy = heaviest_imports([])
    print("heaviest top-level imports of `dataqa --help`: "
          + ", ".join(f"{r['module']} {r['cumulative_ms']:.0f} ms" for r in heavy))
    payload = {"quick": args.quick, "repeat": repeat, "goal_ratio_max": GOAL_RATIO,
               "reference": 'python -c "import pandas"', "reference_runs_s": ref_runs,
               "rows": rows, "runs_s": runs, "heaviest_imports_of_help": heavy,
               "load_average": os.getloadavg()[0]}
    path = write_json(args.out, "cli_startup", payload)
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    _res = main()
    sys.exit(finish("cli_startup", {f"{r['command']}: {r['ratio']:.2f}x <= {GOAL_RATIO}x": r["meets_goal"]
                                    for r in _res["rows"][1:]}))
