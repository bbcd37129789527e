"""Label Studio sync speed against a local server.

Pushes N text items with predictions (chunked import), pushes them again (nothing to
do), pulls N annotations into the ledger (twice), and - as the naive reference, in the
same run - creates tasks one request per task (plus one per prediction). By default the
naive push covers the first 300 items (extrapolated to N); ``--naive 10000`` pushes all
of them (1,402 s on the 2-core machine: 7.1 tasks/s against 603 for the chunked push).

Usage: python benchmarks/labelstudio_sync.py [--quick] [--n 10000] [--out bench_out]
Starts its own server (LocalServer); or pass --url with LABEL_STUDIO_API_KEY set.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, print_table, write_json  # noqa: E402

CLASSES = ["ham", "spam"]


def _items(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["cash", "prize", "lunch", "meeting", "win", "call", "free", "later"])
    return pd.DataFrame({
        "id": [f"msg-{k:06d}" for k in range(n)],
        "text": [" ".join(rng.choice(words, 8)) for _ in range(n)],
        "prediction": rng.integers(0, 2, n),
        "score": rng.random(n).round(4),
    })


def run(url: str, api_key: str, n: int, naive_n: int, workdir: Path) -> list[dict]:
    from dataqa.labelstudio import LabelStudioClient, pull_annotations, push_queue
    from dataqa.labelstudio.config import label_config
    from dataqa.ledger import Ledger

    items = _items(n)
    rows: list[dict] = []
    stamp = time.strftime("%H%M%S")
    client = LabelStudioClient(url, api_key)
    with Ledger(workdir / "bench.db") as led:
        project = f"bench push {stamp}"
        t = time.perf_counter()
        rep = push_queue(items, project=project, class_names=CLASSES, ledger=led,
                         queue="active", client=client, chunk_size=500)
        dt = time.perf_counter() - t
        assert rep.n_created == n, rep
        rows.append({"step": "push (chunked import)", "tasks": n, "seconds": dt,
                     "tasks_per_s": n / dt})

        t = time.perf_counter()
        rep2 = push_queue(items, project=project, class_names=CLASSES, ledger=led,
                          queue="active", client=client, chunk_size=500)
        dt = time.perf_counter() - t
        assert rep2.n_created == 0 and rep2.n_skipped == n, rep2
        rows.append({"step": "re-push (all skipped)", "tasks": n, "seconds": dt,
                     "tasks_per_s": n / dt})

        # n annotations: tasks imported with an annotation each, by one annotator
        annotator = client.create_user("bench.annotator@example.org")
        proj = client.create_project(f"bench pull {stamp}", label_config(CLASSES))
        payload = [{"data": {"text": tx, "dataqa_id": i},
                    "annotations": [{"completed_by": annotator, "lead_time": 3.0,
                                     "result": [{"from_name": "label", "to_name": "text",
                                                 "type": "choices",
                                                 "value": {"choices": [CLASSES[p]]}}]}]}
                   for i, tx, p in zip(items["id"], items["text"], items["prediction"],
                                       strict=True)]
        for s in range(0, n, 1000):
            client.import_tasks(proj["id"], payload[s:s + 1000])
        t = time.perf_counter()
        df = pull_annotations(project=proj["id"], ledger=led, client=client)
        dt = time.perf_counter() - t
        assert len(df) == n and df.attrs["report"].n_new == n, df.attrs["report"]
        rows.append({"step": "pull (new annotations)", "tasks": n, "seconds": dt,
                     "tasks_per_s": n / dt})
        t = time.perf_counter()
        df = pull_annotations(project=proj["id"], ledger=led, client=client)
        dt = time.perf_counter() - t
        assert df.attrs["report"].n_new == 0 and df.attrs["report"].n_updated == 0
        rows.append({"step": "pull again (nothing new)", "tasks": n, "seconds": dt,
                     "tasks_per_s": n / dt})

    # naive reference: one request per task and one per prediction
    from dataqa.labelstudio.tasks import build_tasks

    naive = client.create_project(f"bench naive {stamp}", label_config(CLASSES))
    sample = items.iloc[:naive_n]
    tasks = build_tasks(sample, class_names=CLASSES, kind="active", queue="active",
                        data_kind="text", column="text", data_columns=["text"],
                        model_version="dataqa-active", to_name="text")
    t = time.perf_counter()
    for task in tasks:
        client.create_task(naive["id"], task)
    dt = time.perf_counter() - t
    label = "all" if naive_n == n else f"first {naive_n}"
    rows.append({"step": f"naive push, one task per request ({label})",
                 "tasks": naive_n, "seconds": dt, "tasks_per_s": naive_n / dt,
                 "extrapolated_seconds_for_n": n * dt / naive_n})
    client.close()
    return rows


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="items (default 10000; 1000 with --quick)")
    p.add_argument("--naive", type=int, default=None,
                   help="tasks for the naive reference (default 300; 50 with --quick; "
                        "--naive N with N = --n pushes every item, ~25 min for 10,000)")
    p.add_argument("--url", default=None, help="use this server instead of starting one")
    args = p.parse_args()
    n = args.n or (1000 if args.quick else 10000)
    naive_n = min(n, args.naive or (50 if args.quick else 300))
    from dataqa.labelstudio import LocalServer, find_label_studio

    with tempfile.TemporaryDirectory(prefix="dataqa-bench-ls-") as tmp:
        if args.url:
            key = os.environ.get("LABEL_STUDIO_API_KEY", "")
            rows = run(args.url, key, n, naive_n, Path(tmp))
            server_note = args.url
        else:
            if find_label_studio() is None:
                print("skipped: Label Studio is not installed (make labelstudio-install)")
                return 0
            t = time.perf_counter()
            with LocalServer() as server:
                start_s = time.perf_counter() - t
                rows = run(server.url, server.api_key, n, naive_n, Path(tmp))
            server_note = f"LocalServer (started in {start_s:.0f} s)"
    chunked = rows[0]["tasks_per_s"]
    naive = rows[-1]["tasks_per_s"]
    print_table(f"Label Studio sync, {n} items ({server_note})", rows,
                ["step", "tasks", "seconds", "tasks_per_s"], float_format="{:.1f}")
    what = ("took" if naive_n == n else "would take")
    print(f"chunked push is {chunked / naive:.0f}x the naive one-task-per-request push; "
          f"a naive push of {n} {what} ~{rows[-1]['extrapolated_seconds_for_n'] / 60:.0f} min")
    path = write_json(args.out, "labelstudio_sync", {
        "n_items": n, "naive_sample": naive_n, "server": server_note, "quick": args.quick,
        "steps": rows, "speedup_vs_naive": chunked / naive})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
