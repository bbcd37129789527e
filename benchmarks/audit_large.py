"""The audit at scale: 1,000,000 rows x 64 numeric features, 10 classes.

Two parts (``benchmarks/audit_speed.py --large`` runs both through :func:`main`):

1. **Neighbour search** (``--neighbors``): recall@10 of the approximate neighbour graph
   that Datalab gets above 50,000 rows (:func:`dataqa.audit.neighbors.knn_graph`: the
   features reduced to 32 principal components, then faiss HNSW below 200,000 rows,
   NN-descent from there) against exact neighbours, and its time, on a 100,000-row
   sample of the table (the whole ``knn_graph`` with HNSW; NN-descent's search alone,
   its compile time apart), in the euclidean distance the audit of a table of numbers
   uses. Exact neighbours are computed
   by brute force for 3,000 query rows drawn at random. Goal: recall@10 >= 0.95.
2. **The audit** (``--audit``): ``dataqa audit`` of the whole table, as the command
   runs it (read a Parquet file, features, cross-validated pred_probs of the default
   model, label issues, Datalab, the saved report), with the wall time and CPU time of
   each stage, its share of the total, and the peak resident memory (``ru_maxrss`` of
   this process; the audit runs in it, with the command's defaults, n_jobs=None).
   Goals: it finishes; peak RSS <= 12 GiB; recall@10 of the graph built at that size
   (2,000 query rows, exact neighbours in the distance the audit built it with) >= 0.95.

The stages are timed by wrapping functions of ``dataqa.audit.core`` (and
``dataqa.audit.neighbors.knn_graph``, which the Datalab stage calls from 50,000 rows; its
time is shown apart from the rest of Datalab's).

The table: ``sklearn.datasets.make_classification`` (64 features: 20 informative, 20
redundant, 24 noise; 10 classes of 2 clusters each, class_sep 2; seed 0), 10% of the
labels moved to another class drawn uniformly (seed 1).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import finish, parser, print_table, write_json  # noqa: E402

GIB = 1024 ** 3
RSS_GOAL_GIB = 12.0
RECALL_GOAL = 0.95


def make_table(n: int, *, d: int = 64, k: int = 10, noise: float = 0.1, seed: int = 0):
    """The benchmark's table: features (n, d) float64, given labels, true labels."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, n_informative=20, n_redundant=20,
                               n_classes=k, n_clusters_per_class=2, class_sep=2.0,
                               random_state=seed)
    rng = np.random.default_rng(seed + 1)
    given = y.copy()
    flip = rng.random(n) < noise
    given[flip] = (y[flip] + rng.integers(1, k, int(flip.sum()))) % k
    return X, given, y


def peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def clock():
    return time.perf_counter(), time.process_time()


# ---------------------------------------------------------------- neighbour search


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    k = exact.shape[1]
    return float((exact[:, :, None] == found[:, None, :k]).any(axis=2).mean())


def _exact_neighbors(Z: np.ndarray, queries: np.ndarray, k: int,
                     metric: str) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute").fit(Z)
    idx = nn.kneighbors(Z[queries], return_distance=False)
    return np.array([[j for j in row if j != q][:k] for q, row in zip(queries, idx,
                                                                         strict=True)])


#: The distance of the audit's neighbour graph on a table of numbers (``dataqa.audit``:
#: euclidean, so that how far out a row is counts), which the search is scored in.
AUDIT_METRIC = "euclidean"


def neighbor_rows(n: int, *, k: int = 10, n_queries: int = 3000, seed: int = 0,
                  metric: str = AUDIT_METRIC) -> list[dict]:
    from sklearn.preprocessing import StandardScaler

    from dataqa.audit.neighbors import knn_graph, reduce_features

    X, _, _ = make_table(n)
    X = StandardScaler().fit_transform(X)  # what dataqa's Datalab step sees
    queries = np.random.default_rng(seed).choice(n, min(n_queries, n), replace=False)
    Z = reduce_features(X, random_state=seed)
    exact_reduced = _exact_neighbors(Z, queries, k, metric)
    exact_full = _exact_neighbors(X, queries, k, metric)
    rows = []
    w, c = clock()
    G = knn_graph(X, k=k, method="approximate", metric=metric, random_state=seed)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    found = G.indices.reshape(n, k)[queries]
    rows.append({"method": f"knn_graph, faiss HNSW (< 200k rows), {metric}", "n": n, "wall_s": wall, "cpu_s": cpu,
                 "compile_cpu_s": 0.0, "recall@10": _recall(found, exact_reduced),
                 "recall@10_vs_64d": _recall(found, exact_full)})
    try:
        from pynndescent import NNDescent
    except ImportError:
        return rows
    from sklearn.preprocessing import normalize

    U = normalize(Z) if metric == "cosine" else Z  # (as knn_graph searches)
    w, c = clock()
    NNDescent(U[:2000], metric="euclidean", n_neighbors=30, random_state=seed, low_memory=True,
              n_jobs=1)  # compiles (numba) once per process
    compile_cpu = time.process_time() - c
    w, c = clock()
    idx, _ = NNDescent(U, metric="euclidean", n_neighbors=30, random_state=seed,
                       low_memory=True, n_jobs=1).neighbor_graph
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    found = np.array([[j for j in row if j != q][:k] for q, row in zip(queries, idx[queries],
                                                                          strict=True)])
    rows.append({"method": f"NN-descent, 30 (>= 200k rows), {metric}", "n": n, "wall_s": wall, "cpu_s": cpu,
                 "compile_cpu_s": compile_cpu, "recall@10": _recall(found, exact_reduced),
                 "recall@10_vs_64d": _recall(found, exact_full)})
    return rows


# ---------------------------------------------------------------- the audit


class StageTimer:
    """Wraps functions of ``dataqa.audit.core`` (and the per-fold fit) with timers."""

    STAGES = {  # name in dataqa.audit.core -> stage
        "prepare_labeled": "read + validate",
        "table_features": "features",
        "cross_val_pred_probs": "cross-validation",
        "find_label_issues": "label issues",
        "_datalab_features": "Datalab features",
        "_run_datalab": "Datalab",
    }

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.graph = None
        self.graph_metric = None  # the distance the audit built its graph with
        self.graph_mode = "none"
        self._undo: list = []

    def _patch(self, obj, name, new):
        old = getattr(obj, name)
        self._undo.append((obj, name, old))
        setattr(obj, name, new)

    def _timed(self, stage, fn):
        def wrapper(*args, **kwargs):
            w, c = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.wall[stage] = self.wall.get(stage, 0.0) + time.perf_counter() - w
                self.cpu[stage] = self.cpu.get(stage, 0.0) + time.process_time() - c
        return wrapper

    def __enter__(self):
        import dataqa.audit.core as core
        import dataqa.audit.neighbors as neighbors

        for name, stage in self.STAGES.items():
            if hasattr(core, name):
                self._patch(core, name, self._timed(stage, getattr(core, name)))
        # core imports knn_graph when Datalab runs: the module's attribute is what it gets
        self._patch(neighbors, "knn_graph",
                    self._timed("neighbour graph", self._graph(neighbors.knn_graph)))
        return self

    def __exit__(self, *exc):
        for obj, name, old in reversed(self._undo):
            setattr(obj, name, old)

    def _graph(self, fn):
        def wrapper(*args, **kwargs):
            self.graph = fn(*args, **kwargs)
            self.graph_metric = kwargs.get("metric") or "cosine"  # (its default above 3 columns)
            self.graph_mode = "built in"
            return self.graph
        return wrapper


def audit_rows(n: int, *, workdir: Path) -> tuple[list[dict], dict]:
    import pandas as pd

    from dataqa.audit import audit

    X, given, truth = make_table(n)
    frame = pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(X.shape[1])])
    frame.insert(0, "id", [f"r{i}" for i in range(n)])
    frame["label"] = [f"c{v}" for v in given]
    path = workdir / "table.parquet"
    frame.to_parquet(path, index=False)
    del frame, X
    rss_before = peak_rss_gib()
    w0, c0 = clock()
    with StageTimer() as timer:
        result = audit(path, label_column="label", id_column="id", progress=False)
        ws, cs = clock()
        result.save(workdir / "audit_out")
        timer.wall["report (save)"] = time.perf_counter() - ws
        timer.cpu["report (save)"] = time.process_time() - cs
    total_wall, total_cpu = time.perf_counter() - w0, time.process_time() - c0
    if "neighbour graph" in timer.wall:  # part of the Datalab stage: shown on its own
        timer.wall["Datalab"] -= timer.wall["neighbour graph"]
        timer.cpu["Datalab"] -= timer.cpu["neighbour graph"]
    rows = []
    for stage in list(timer.wall):
        rows.append({"stage": stage, "wall_s": timer.wall[stage], "cpu_s": timer.cpu[stage],
                     "share": timer.wall[stage] / total_wall})
    other = total_wall - sum(timer.wall.values())
    rows.append({"stage": "other", "wall_s": other,
                 "cpu_s": total_cpu - sum(timer.cpu.values()), "share": other / total_wall})
    rows.append({"stage": "total", "wall_s": total_wall, "cpu_s": total_cpu, "share": 1.0})
    flagged = result.issues.set_index("id").loc[[f"r{i}" for i in range(n)], "is_label_issue"]
    flagged = flagged.to_numpy(dtype=bool)
    wrong = given != truth
    info = {
        "n": n, "features": 64, "classes": 10, "graph": timer.graph_mode,
        "peak_rss_gib": peak_rss_gib(), "peak_rss_before_audit_gib": rss_before,
        "total_wall_s": total_wall, "total_cpu_s": total_cpu,
        "precision": float((flagged & wrong).sum() / max(flagged.sum(), 1)),
        "recall": float((flagged & wrong).sum() / max(wrong.sum(), 1)),
        "model": str(result.summary.get("models", {})),
    }
    if timer.graph is not None:
        from sklearn.preprocessing import StandardScaler

        from dataqa.audit.neighbors import reduce_features

        X, _, _ = make_table(n)
        Z = reduce_features(StandardScaler().fit_transform(X), random_state=0)
        q = np.random.default_rng(0).choice(n, 2000, replace=False)
        info["graph_recall@10"] = _recall(timer.graph.indices.reshape(n, 10)[q],
                                          _exact_neighbors(Z, q, 10, timer.graph_metric))
        info["graph_metric"] = timer.graph_metric
    return rows, info


def main(argv=None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=None,
                   help="rows of the audit (default 1,000,000; --quick: 100,000)")
    p.add_argument("--neighbors", action="store_true", help="only the neighbour search part")
    p.add_argument("--audit", action="store_true", help="only the audit part")
    args = p.parse_args(argv)
    both = not (args.neighbors or args.audit)
    n_audit = args.n or (100_000 if args.quick else 1_000_000)
    goals: dict[str, bool] = {}
    payload: dict = {}
    if args.neighbors or both:
        nb = neighbor_rows(20_000 if args.quick else 100_000)
        print_table("neighbour search: recall@10 against exact neighbours (3,000 query rows)",
                    nb)
        payload["neighbors"] = nb
        goals[f"recall@10 {nb[0]['recall@10']:.3f} >= {RECALL_GOAL}"] = (
            nb[0]["recall@10"] >= RECALL_GOAL)
    if args.audit or both:
        with tempfile.TemporaryDirectory(prefix="dataqa_audit_large_") as tmp:
            rows, info = audit_rows(n_audit, workdir=Path(tmp))
        print_table(f"dataqa audit of {n_audit:,} rows x 64 features, 10 classes: stages",
                    rows)
        print_table("audit: totals", [{k: v for k, v in info.items() if k != "model"}])
        print(f"model: {info['model']}")
        payload["audit_stages"] = rows
        payload["audit"] = info
        goals[f"peak RSS {info['peak_rss_gib']:.2f} GiB <= {RSS_GOAL_GIB}"] = (
            info["peak_rss_gib"] <= RSS_GOAL_GIB)
        if "graph_recall@10" in info:
            goals[f"graph recall@10 at {n_audit:,} rows {info['graph_recall@10']:.3f} >= "
                  f"{RECALL_GOAL}"] = info["graph_recall@10"] >= RECALL_GOAL
    write_json(args.out, "audit_large", payload)
    return goals


if __name__ == "__main__":
    sys.exit(finish("audit_large", main()))
