"""Speed of dataqa.audit.find_label_issues against raw cleanlab.filter.find_label_issues.

Given pred_probs of 1,000,000 x 10 (seeded), both run in the same process, alternating,
several times; the ratio of medians is reported. Goal: at most 1.3x.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402


def make_data(n: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k))
    y = rng.integers(0, k, n)
    logits[np.arange(n), y] += 2.0
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return y, p


def main(argv=None) -> dict:
    args = parser(__doc__).parse_args(argv)
    from cleanlab.filter import find_label_issues as raw

    from dataqa.audit import find_label_issues

    n = 100_000 if args.quick else 1_000_000
    k, repeats = 10, (3 if args.quick else 5)
    y, p = make_data(n, k)
    raw(y, p)  # warm-up (imports, caches)
    find_label_issues(y, p)
    t_raw, t_dq = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        mask = raw(y, p)
        t_raw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        df = find_label_issues(y, p)
        t_dq.append(time.perf_counter() - t0)
    same = int(df["is_label_issue"].sum()) == int(mask.sum())
    row = {"n": n, "K": k, "repeats": repeats,
           "cleanlab_s": statistics.median(t_raw), "dataqa_s": statistics.median(t_dq)}
    row["ratio"] = row["dataqa_s"] / row["cleanlab_s"]
    row["goal_ratio_max"] = 1.3
    row["meets_goal"] = row["ratio"] <= 1.3
    row["same_flags"] = same
    print_table("find_label_issues: dataqa vs raw cleanlab (median seconds)", [row])
    write_json(args.out, "audit_speed", {"rows": [row], "cleanlab_runs_s": t_raw,
                                         "dataqa_runs_s": t_dq})
    return row


if __name__ == "__main__":
    _row = main()
    sys.exit(finish("audit_speed", {
        f"dataqa / cleanlab {_row['ratio']:.2f} <= 1.3": bool(_row["meets_goal"]),
        "same flags as cleanlab": bool(_row["same_flags"])}))
