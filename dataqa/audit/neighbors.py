"""Nearest-neighbour graphs for Datalab's outlier and near-duplicate checks on large tables.

cleanlab's Datalab searches neighbours exactly, a cost that grows as n^2. Above
:data:`APPROX_MIN_ROWS` rows dataqa hands it a precomputed graph instead:

1. :func:`reduce_features` projects the features once onto :data:`REDUCED_DIMS`
   principal components (PCA for dense features, truncated SVD for sparse ones), fitted
   on a sample of at most :data:`REDUCE_FIT_ROWS` rows;
2. :func:`knn_graph` finds each item's candidate neighbours in a faiss HNSW graph
   (``IndexHNSWFlat``, :data:`HNSW_M` links per node, searched with
   :data:`HNSW_EF_SEARCH` candidates) or, from :data:`NNDESCENT_MIN_ROWS` rows, by
   NN-descent (``pynndescent``, :data:`NNDESCENT_CANDIDATES` candidates), recomputes the
   distances to them exactly, keeps the ``k`` nearest and puts every exact duplicate of an
   item first at distance 0, as Datalab expects.

Nothing of size n x n is allocated: memory grows as ``n * (d + NNDESCENT_CANDIDATES)``.

``benchmarks/audit_large.py --neighbors`` measures recall@10 against exact neighbours (3,000
query rows; goal >= 0.95) and the time on a 100,000-row sample of its 64-feature table:
faiss HNSW 0.991 in 24 s CPU for the whole :func:`knn_graph`; NN-descent (``pynndescent``,
30 candidates) 0.985 in 8 s CPU for the search alone, plus 34 s compiling (numba) in every
new process. HNSW wins at that size; on 1,000,000 rows the whole graph took 568 s CPU
with HNSW (recall@10 0.972 on 2,000 query rows), NN-descent's search 143 s plus 40 s
compiling (recall@10 0.968), hence the switch at :data:`NNDESCENT_MIN_ROWS`. Against exact
neighbours of the unreduced 64 standardised features the recall of both was 0.46 on that
table, whose 24 pure-noise features hold more than a third of the variance: the reduction
keeps the leading directions, not every feature's share of the distance.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataqa.errors import FeatureTypeError, InvalidSettingError

__all__ = ["APPROX_MIN_ROWS", "REDUCED_DIMS", "REDUCE_FIT_ROWS", "HNSW_M",
           "HNSW_EF_CONSTRUCTION", "HNSW_EF_SEARCH",
           "NNDESCENT_MIN_ROWS", "NNDESCENT_CANDIDATES",
           "exact_duplicate_groups", "knn_graph", "neighbor_recall", "reduce_features"]

#: Row count from which :func:`knn_graph` (``method="auto"``) searches approximately.
APPROX_MIN_ROWS = 50_000

#: Number of components :func:`reduce_features` keeps.
REDUCED_DIMS = 32

#: Largest number of rows the reduction is fitted on (the rest are only projected).
REDUCE_FIT_ROWS = 100_000

#: Links per node of the HNSW graph (faiss ``IndexHNSWFlat``'s ``M``).
HNSW_M = 16

#: Candidates kept while the HNSW graph is built.
HNSW_EF_CONSTRUCTION = 64

#: Candidates kept while each item's neighbours are searched.
HNSW_EF_SEARCH = 128

#: Row count from which the approximate search uses NN-descent (``pynndescent``) instead
#: of HNSW: cheaper per row (1,000,000 rows: search 143 s CPU; the whole graph with HNSW
#: 568 s), but it compiles for ~35-40 s in every new process, which HNSW beats below
#: ~200,000 rows.
NNDESCENT_MIN_ROWS = 200_000

#: Candidate neighbours NN-descent keeps per item (recall@10 falls fast with fewer: 0.91
#: with 20, 0.97 with 30 on the benchmark's 100,000-row sample).
NNDESCENT_CANDIDATES = 30

_METHODS = ("auto", "exact", "approximate")
_METRICS = ("cosine", "euclidean")
_CHUNK = 65_536


def _check_features(features, name: str = "features"):
    if isinstance(features, pd.DataFrame):
        features = features.to_numpy()
    if sp.issparse(features):
        X = sp.csr_matrix(features)
        if X.ndim != 2 or X.shape[0] == 0:
            raise FeatureTypeError(f"{name} must be a non-empty two-dimensional matrix; got "
                                   f"shape {X.shape}.")
        if X.dtype.kind not in "fiub" or not np.all(np.isfinite(X.data)):
            raise FeatureTypeError(f"{name} must hold finite numbers; the sparse matrix has "
                                   f"dtype {X.dtype} or NaN/infinite entries.")
        return X
    X = np.asarray(features)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise FeatureTypeError(f"{name} must be a non-empty two-dimensional array (n, d); got "
                               f"shape {X.shape}.")
    if X.dtype.kind not in "fiub":
        raise FeatureTypeError(f"{name} must be numeric; got dtype {X.dtype}.")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X).all(axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise FeatureTypeError(f"{name} holds NaN or infinite values in {len(rows)} rows "
                                   f"(first: {rows[:5].tolist()}); impute or drop them.")
    return X


def reduce_features(features, *, n_components: int = REDUCED_DIMS, random_state: int = 0,
                    fit_rows: int = REDUCE_FIT_ROWS) -> np.ndarray:
    """Project features onto their first principal components, once, in float32.

    Dense features: PCA (centred); sparse features: truncated SVD (not centred, so the
    matrix stays sparse). The projection is fitted on at most ``fit_rows`` rows drawn
    with ``random_state`` and applied to every row in chunks. Features with at most
    ``n_components`` columns are returned as they are (as float32).

    Parameters
    ----------
    features : array (n, d), sparse matrix or numeric DataFrame
    n_components : int
        Columns kept, at least 1.
    random_state : int
    fit_rows : int
        Largest sample the projection is fitted on.

    Returns
    -------
    ndarray (n, min(d, n_components)), float32
    """
    if int(n_components) < 1:
        raise InvalidSettingError(f"n_components must be at least 1; got {n_components}.")
    if int(fit_rows) < 2:
        raise InvalidSettingError(f"fit_rows must be at least 2; got {fit_rows}.")
    X = _check_features(features)
    n, d = X.shape
    if d <= n_components:
        return X.toarray().astype(np.float32) if sp.issparse(X) else X.astype(np.float32)
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(n, fit_rows, replace=False)) if n > fit_rows else slice(None)
    comps = min(int(n_components), min(n, fit_rows) - 1)
    if sp.issparse(X):
        from sklearn.decomposition import TruncatedSVD
        model = TruncatedSVD(n_components=max(comps, 1), random_state=random_state)
    else:
        from sklearn.decomposition import PCA
        model = PCA(n_components=max(comps, 1), svd_solver="randomized",
                    random_state=random_state)
    model.fit(X[sample])
    out = np.empty((n, model.n_components), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        out[start:start + _CHUNK] = model.transform(X[start:start + _CHUNK])
    return out


def exact_duplicate_groups(features) -> list[np.ndarray]:
    """Groups of rows with identical feature values (each group sorted, size >= 2).

    Rows are compared bit for bit (dense) or by their stored entries (sparse, after
    summing duplicate entries and dropping explicit zeros). Groups are ordered by their
    first row.
    """
    X = _check_features(features)
    n = X.shape[0]
    if sp.issparse(X):
        X = X.copy()
        X.sum_duplicates()
        X.eliminate_zeros()
        X.sort_indices()
        keys = [X.indices[X.indptr[i]:X.indptr[i + 1]].tobytes()
                + X.data[X.indptr[i]:X.indptr[i + 1]].tobytes() for i in range(n)]
        codes = pd.factorize(pd.Series(keys, dtype=object))[0]
    else:
        A = np.ascontiguousarray(X) + 0  # + 0 turns -0.0 into 0.0 (equal values, equal bits)
        rows = A.view(np.dtype((np.void, A.dtype.itemsize * A.shape[1]))).ravel()
        _, codes = np.unique(rows, return_inverse=True)
        codes = codes.ravel()
    counts = np.bincount(codes)
    dup = np.flatnonzero(counts[codes] > 1)
    if len(dup) == 0:
        return []
    order = dup[np.argsort(codes[dup], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    groups = np.split(order, bounds)
    groups.sort(key=lambda g: int(g[0]))
    return groups


def _default_metric(d: int) -> str:
    # cleanlab's own choice (cleanlab.internal.neighbor.metric): cosine above 3 columns
    return "cosine" if d > 3 else "euclidean"


def _pair_distances(Z: np.ndarray, cols: np.ndarray, metric: str) -> np.ndarray:
    """Distances between Z[i] and Z[cols[i, j]], exact (float64), chunk by chunk."""
    out = np.empty(cols.shape, dtype=np.float64)
    step = max(1, _CHUNK // max(cols.shape[1], 1))
    for s in range(0, cols.shape[0], step):
        a = Z[s:s + step].astype(np.float64)[:, None, :]
        b = Z[cols[s:s + step]].astype(np.float64)
        if metric == "cosine":
            out[s:s + step] = 1.0 - np.einsum("ijk,ijk->ij", b, np.broadcast_to(a, b.shape))
        else:
            out[s:s + step] = np.sqrt(((b - a) ** 2).sum(axis=2))
    return np.clip(out, 0.0, None, out=out)


#: MiB of distances the exact search holds at once (scikit-learn's ``working_memory``,
#: whose default of 1,024 took a 9,999-row search to 2.0 GB of memory).
EXACT_WORKING_MEMORY = 128


def _exact_neighbors(Z: np.ndarray, k: int, metric: str, n_jobs):
    from sklearn import config_context
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k, metric=metric, algorithm="brute", n_jobs=n_jobs)
    nn.fit(Z)
    with config_context(working_memory=EXACT_WORKING_MEMORY):
        dist, idx = nn.kneighbors(return_distance=True)  # X=None: its own entry left out
    return idx.astype(np.int64)


def _approximate_neighbors(Z: np.ndarray, k: int, random_state: int, n_jobs):
    """Candidate neighbours: NN-descent from NNDESCENT_MIN_ROWS rows, HNSW below."""
    if Z.shape[0] >= NNDESCENT_MIN_ROWS:
        return _nndescent_neighbors(Z, k, random_state, n_jobs)
    return _hnsw_neighbors(Z, k, n_jobs)


def _nndescent_neighbors(Z: np.ndarray, k: int, random_state: int, n_jobs):
    """Candidate neighbours (n, NNDESCENT_CANDIDATES) by NN-descent (L2; unit-norm for cosine).

    One thread by default, with ``random_state`` fixed: the same graph on every run.
    """
    from pynndescent import NNDescent

    n = Z.shape[0]
    index = NNDescent(np.ascontiguousarray(Z, dtype=np.float32), metric="euclidean",
                      n_neighbors=min(n - 1, max(NNDESCENT_CANDIDATES, k + 1)),
                      random_state=random_state, low_memory=True,
                      n_jobs=1 if n_jobs is None else n_jobs, compressed=True, verbose=False)
    idx, _ = index.neighbor_graph
    return np.asarray(idx, dtype=np.int64)


def _hnsw_neighbors(Z: np.ndarray, k: int, n_jobs):
    """Candidate neighbours (n, k + 1) from a faiss HNSW graph (L2; Z is unit-norm for cosine).

    One thread by default, so the graph is the same on every run (HNSW's parallel
    insertion order varies); faiss's OpenMP thread count is restored afterwards.
    """
    import faiss

    n, d = Z.shape
    threads = 1 if n_jobs is None else int(n_jobs) if n_jobs > 0 else (os.cpu_count() or 1)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(1, threads))
    try:
        index = faiss.IndexHNSWFlat(d, HNSW_M)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = max(HNSW_EF_SEARCH, k + 1)
        Zc = np.ascontiguousarray(Z, dtype=np.float32)
        index.add(Zc)
        out = np.empty((n, k + 1), dtype=np.int64)
        for s in range(0, n, _CHUNK):
            _, out[s:s + _CHUNK] = index.search(Zc[s:s + _CHUNK], k + 1)
    finally:
        faiss.omp_set_num_threads(before)
    return out


def knn_graph(features, *, k: int = 10, metric: str | None = None, method: str = "auto",
              n_components: int = REDUCED_DIMS, random_state: int = 0,
              n_jobs: int | None = None) -> sp.csr_matrix:
    """Each item's ``k`` nearest neighbours as the sparse distance graph Datalab takes.

    Pass the result as ``Datalab.find_issues(knn_graph=...)``. Row ``i`` holds the
    distances from item ``i`` to its ``k`` nearest other items, ascending, with their
    column indices; the item itself is left out; exact duplicates of an item come first,
    at an explicitly stored distance 0 (as ``Datalab`` requires). Distances are
    recomputed exactly for the neighbours found, so an approximate search only risks
    missing a neighbour, never misstating a distance.

    Parameters
    ----------
    features : array (n, d), sparse matrix or numeric DataFrame
        At least ``k + 1`` rows.
    k : int
        Neighbours per item (Datalab's outlier and near-duplicate checks use 10).
    metric : {"cosine", "euclidean"}, optional
        Default: cleanlab's own choice, cosine above 3 columns, euclidean otherwise.
    method : {"auto", "exact", "approximate"}
        "auto": exact below :data:`APPROX_MIN_ROWS` rows, approximate from there.
        "approximate": the features are reduced to ``n_components`` columns
        (:func:`reduce_features`) and searched in a faiss HNSW graph (by NN-descent from
        :data:`NNDESCENT_MIN_ROWS` rows); exact duplicates are found on the features as
        given. "exact": brute force on the features as given, in
        chunks (scikit-learn's ``working_memory``).
    n_components : int
        Columns kept by the approximate method's reduction.
    random_state : int
        Seed of the reduction's sample and of NN-descent.
    n_jobs : int, optional
        Threads of the search (-1: all cores). Default: 1 for the approximate search, so
        the graph is the same on every run (parallel HNSW insertion order varies);
        scikit-learn's default for the exact one.

    Returns
    -------
    scipy.sparse.csr_matrix (n, n), ``k * n`` stored entries (float64)
    """
    if method not in _METHODS:
        raise InvalidSettingError(f"unknown neighbour search method {method!r}; use one of "
                                  f"{', '.join(_METHODS)}.")
    if metric is not None and metric not in _METRICS:
        raise InvalidSettingError(f"unknown metric {metric!r}; use one of {', '.join(_METRICS)} "
                                  f"(or None for cleanlab's default).")
    X = _check_features(features)
    n, d = X.shape
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidSettingError(f"k must be a positive integer; got {k!r}.")
    if n <= k:
        raise InvalidSettingError(f"k={k} neighbours need at least {k + 1} rows; features has "
                                  f"{n}. Use a smaller k.")
    metric = metric or _default_metric(d)
    approximate = method == "approximate" or (method == "auto" and n >= APPROX_MIN_ROWS)
    groups = exact_duplicate_groups(X)
    if approximate:
        Z = reduce_features(X, n_components=n_components, random_state=random_state)
    else:
        Z = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        norms = np.sqrt(np.einsum("ij,ij->i", Z, Z, dtype=np.float64))
        Z = (Z / np.where(norms > 0, norms, 1.0)[:, None]).astype(Z.dtype)
    cand = (_approximate_neighbors(Z, k, random_state, n_jobs) if approximate
            else _exact_neighbors(Z, k, metric, n_jobs))
    rows = np.arange(n)[:, None]
    dist = _pair_distances(Z, np.maximum(cand, 0), metric)
    bad = (cand < 0) | (cand == rows)  # unfilled slots, the item itself
    dist[bad] = np.inf
    # exact duplicates first at distance 0, then the others by distance
    in_group = np.full(n, -1, dtype=np.int64)
    for g, members in enumerate(groups):
        in_group[members] = g
    same = (in_group[rows] >= 0) & (in_group[np.maximum(cand, 0)] == in_group[rows]) & ~bad
    dist[same] = 0.0
    order = _row_order(dist, same)
    cand = np.take_along_axis(cand, order, axis=1)[:, :k].copy()
    dist = np.take_along_axis(dist, order, axis=1)[:, :k].copy()
    short = np.flatnonzero(~np.isfinite(dist).all(axis=1))
    if len(short):  # the search left fewer than k neighbours: search those rows exactly
        cand[short], dist[short] = _exact_rows(Z, short, k, metric)
    for members in groups:
        _put_duplicates_first(cand, dist, members, k)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    return sp.csr_matrix((dist.ravel(), cand.ravel(), indptr), shape=(n, n))


def _row_order(dist: np.ndarray, same: np.ndarray) -> np.ndarray:
    # sort each row by (not a duplicate, distance, then index order as found)
    key = np.where(same, -1.0, dist)
    return np.argsort(key, axis=1, kind="stable")


def _exact_rows(Z: np.ndarray, rows: np.ndarray, k: int, metric: str):
    from sklearn.metrics import pairwise_distances_chunked

    idx = np.empty((len(rows), k), dtype=np.int64)
    dst = np.empty((len(rows), k))
    pos = 0
    for block in pairwise_distances_chunked(Z[rows], Z, metric=metric):
        block = np.asarray(block, dtype=np.float64)
        block[np.arange(len(block)), rows[pos:pos + len(block)]] = np.inf
        part = np.argsort(block, axis=1, kind="stable")[:, :k]
        idx[pos:pos + len(block)] = part
        dst[pos:pos + len(block)] = np.clip(np.take_along_axis(block, part, axis=1), 0, None)
        pos += len(block)
    return idx, dst


def _put_duplicates_first(cand: np.ndarray, dist: np.ndarray, members: np.ndarray, k: int):
    """Every member of a duplicate group lists (up to k of) the others first, at 0."""
    for i in members:
        others = members[members != i][:k]
        keep = ~np.isin(cand[i], others)
        cand[i] = np.concatenate([others, cand[i][keep]])[:k]
        dist[i] = np.concatenate([np.zeros(len(others)), dist[i][keep]])[:k]


def neighbor_recall(approx: sp.csr_matrix, exact: sp.csr_matrix, *, rows=None) -> float:
    """Share of the exact graph's neighbours that the approximate graph also lists.

    recall@k = mean over rows of |approx neighbours ∩ exact neighbours| / k, both graphs
    with k stored entries per row (as :func:`knn_graph` returns). ``rows`` restricts the
    mean to some rows.
    """
    if approx.shape != exact.shape or approx.nnz != exact.nnz:
        raise InvalidSettingError(f"the graphs differ in shape or entries per row "
                                  f"({approx.shape}, {approx.nnz} vs {exact.shape}, "
                                  f"{exact.nnz}); build both with the same n and k.")
    n = approx.shape[0]
    k = approx.nnz // n
    a = approx.indices.reshape(n, k)
    e = exact.indices.reshape(n, k)
    if rows is not None:
        a, e = a[rows], e[rows]
    hits = 0
    for s in range(0, len(e), 8192):
        hits += int((e[s:s + 8192, :, None] == a[s:s + 8192, None, :]).any(axis=2).sum())
    return hits / (len(e) * k)
