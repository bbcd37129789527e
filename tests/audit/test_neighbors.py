"""The neighbour graph handed to Datalab: exact graph = scikit-learn's, approximate graph
recall against brute force, Datalab's format (sorted rows, no self, explicit zeros for
exact duplicates), the feature reduction, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.neighbors import NearestNeighbors

from dataqa.audit.neighbors import (
    APPROX_MIN_ROWS,
    exact_duplicate_groups,
    knn_graph,
    neighbor_recall,
    reduce_features,
)
from dataqa.errors import FeatureTypeError, InvalidSettingError


def mixture(n=600, d=8, k=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    centres = rng.normal(scale=3.0, size=(k, d))
    return centres[y] + rng.normal(size=(n, d)), y


def brute_force(X, k, metric):
    """Each row's k nearest other rows by a plain double loop over distances."""
    X = np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        U = X / np.linalg.norm(X, axis=1, keepdims=True)
        D = 1.0 - U @ U.T
    else:
        D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(D, np.inf)
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(D, idx, axis=1)


def check_datalab_format(G, n, k):
    assert isinstance(G, sp.csr_matrix) and G.shape == (n, n) and G.nnz == n * k
    np.testing.assert_array_equal(G.indptr, np.arange(0, n * k + 1, k))
    d = G.data.reshape(n, k)
    idx = G.indices.reshape(n, k)
    assert np.all(np.diff(d, axis=1) >= 0), "rows must be sorted by distance"
    assert not np.any(idx == np.arange(n)[:, None]), "an item is not its own neighbour"
    assert all(len(set(r)) == k for r in idx.tolist()), "a neighbour listed twice"
    assert np.all(d >= 0) and np.all(np.isfinite(d))


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_graph_matches_brute_force(metric):
    X, _ = mixture(300, 6)
    G = knn_graph(X, k=7, metric=metric, method="exact")
    check_datalab_format(G, 300, 7)
    idx, dist = brute_force(X, 7, metric)
    np.testing.assert_allclose(G.data.reshape(300, 7), dist, rtol=1e-9, atol=1e-12)
    assert neighbor_recall(G, sp.csr_matrix((dist.ravel(), idx.ravel(),
                                              np.arange(0, 300 * 7 + 1, 7)))) == 1.0


def test_default_metric_is_cleanlabs_choice():
    X, _ = mixture(200, 5)
    ref = NearestNeighbors(n_neighbors=10, metric="cosine").fit(X).kneighbors_graph(
        mode="distance")
    G = knn_graph(X)  # 5 columns > 3: cosine, as cleanlab's decide_default_metric
    np.testing.assert_allclose(np.sort(G.data), np.sort(ref.data), atol=1e-12)
    X2 = X[:, :3]
    ref2 = NearestNeighbors(n_neighbors=10, metric="euclidean").fit(X2).kneighbors_graph(
        mode="distance")
    np.testing.assert_allclose(knn_graph(X2).data.reshape(200, 10),
                               ref2.data.reshape(200, 10), atol=1e-12)


def test_exact_duplicates_come_first_at_explicit_zero():
    X, _ = mixture(120, 5, seed=3)
    X[50] = X[4]
    X[90] = X[4]
    X[7] = X[8]
    X[11] = -0.0 * X[11]  # an all-zero row, written with negative zeros
    X[12] = 0.0
    assert [g.tolist() for g in exact_duplicate_groups(X)] == [[4, 50, 90], [7, 8], [11, 12]]
    for method in ("exact", "approximate"):
        G = knn_graph(X, k=5, metric="euclidean", method=method, n_components=5)
        check_datalab_format(G, 120, 5)
        assert G[4].indices[:2].tolist() == [50, 90] and G[4].data[:2].tolist() == [0.0, 0.0]
        assert G[90].indices[:2].tolist() == [4, 50]
        assert G[7].indices[0] == 8 and G[8].indices[0] == 7 and G[7].data[0] == 0.0
        # the zeros are stored entries (Datalab reads them as distances)
        assert G.nnz == 120 * 5


def test_more_duplicates_than_k():
    X = np.vstack([np.ones((6, 4)), np.random.default_rng(0).normal(size=(30, 4))])
    G = knn_graph(X, k=3, metric="euclidean", method="exact")
    check_datalab_format(G, 36, 3)
    for i in range(6):
        assert set(G[i].indices) <= set(range(6)) - {i} and np.all(G[i].data == 0)


def test_sparse_duplicate_groups():
    # rows [0 1 0], [2 0 0], [0 1 0], [0 0 0] with an explicit stored zero, [0 0 0]
    A = sp.csr_matrix((np.array([1.0, 2.0, 1.0, 0.0]), np.array([1, 0, 1, 1]),
                       np.array([0, 1, 2, 3, 4, 4])), shape=(5, 3))
    assert [g.tolist() for g in exact_duplicate_groups(A)] == [[0, 2], [3, 4]]


@pytest.fixture(scope="module")
def approximate_case():
    # 4,000 items in 64 dimensions whose variance lives in ~12 directions, plus noise
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 4000)
    latent = rng.normal(size=(4000, 12)) + 2.0 * rng.normal(size=(10, 12))[y]
    X = latent @ rng.normal(size=(12, 64)) + 0.3 * rng.normal(size=(4000, 64))
    return X, knn_graph(X, k=10, method="approximate", random_state=0)


def test_approximate_graph_recall_against_brute_force(approximate_case):
    X, G = approximate_case
    check_datalab_format(G, 4000, 10)
    # against the exact graph of the same reduced features: the search's own error
    Z = reduce_features(X, random_state=0)
    exact = knn_graph(Z, k=10, metric="cosine", method="exact")
    assert neighbor_recall(G, exact) >= 0.95
    # its distances are exact cosine distances of the reduced features
    U = Z.astype(np.float64) / np.linalg.norm(Z.astype(np.float64), axis=1, keepdims=True)
    rows = np.repeat(np.arange(4000), 10)
    np.testing.assert_allclose(G.data, 1.0 - (U[rows] * U[G.indices]).sum(axis=1), atol=1e-6)


def test_approximate_graph_is_reproducible(approximate_case):
    X, G = approximate_case
    again = knn_graph(X, k=10, method="approximate", random_state=0)
    np.testing.assert_array_equal(G.indices, again.indices)
    np.testing.assert_array_equal(G.data, again.data)


def test_nndescent_path_recall_and_reproducibility(approximate_case, monkeypatch):
    import dataqa.audit.neighbors as nb

    X, hnsw = approximate_case
    monkeypatch.setattr(nb, "NNDESCENT_MIN_ROWS", 1000)  # 4,000 rows: the NN-descent path
    G = knn_graph(X, k=10, method="approximate", random_state=0)
    check_datalab_format(G, 4000, 10)
    exact = knn_graph(reduce_features(X, random_state=0), k=10, metric="cosine",
                      method="exact")
    assert neighbor_recall(G, exact) >= 0.95
    again = knn_graph(X, k=10, method="approximate", random_state=0)
    np.testing.assert_array_equal(G.indices, again.indices)
    np.testing.assert_array_equal(G.data, again.data)


def test_approximate_graph_is_accepted_by_datalab(approximate_case):
    from cleanlab import Datalab

    X, G = approximate_case
    labels = np.arange(4000) % 10
    lab = Datalab(data={"label": labels}, label_name="label", verbosity=0)
    lab.find_issues(knn_graph=G, issue_types={"outlier": {}, "near_duplicate": {}})
    out = lab.get_issues("outlier")
    assert len(out) == 4000 and out["outlier_score"].between(0, 1).all()


def test_exact_graph_gives_datalab_its_own_results():
    from cleanlab import Datalab

    X, y = mixture(400, 6, seed=5)
    X[10] = X[20]
    issue_types = {"outlier": {}, "near_duplicate": {}}
    own = Datalab(data={"label": y}, label_name="label", verbosity=0)
    own.find_issues(features=X, issue_types=issue_types)
    ours = Datalab(data={"label": y}, label_name="label", verbosity=0)
    ours.find_issues(knn_graph=knn_graph(X, method="exact"), issue_types=issue_types)
    np.testing.assert_allclose(ours.get_issues("outlier")["outlier_score"],
                               own.get_issues("outlier")["outlier_score"], rtol=1e-9)
    np.testing.assert_array_equal(ours.get_issues("near_duplicate")["is_near_duplicate_issue"],
                                  own.get_issues("near_duplicate")["is_near_duplicate_issue"])
    assert ours.get_issues("near_duplicate")["is_near_duplicate_issue"][[10, 20]].all()


def test_reduce_features_is_pca_on_dense_and_svd_on_sparse():
    X, _ = mixture(500, 40, seed=1)
    Z = reduce_features(X, n_components=8, random_state=0)
    ref = PCA(8, svd_solver="randomized", random_state=0).fit(X).transform(X)
    assert Z.dtype == np.float32 and Z.shape == (500, 8)
    np.testing.assert_allclose(Z, ref, rtol=1e-4, atol=1e-4)
    S = sp.random(300, 50, density=0.1, random_state=0, format="csr")
    Zs = reduce_features(S, n_components=5, random_state=0)
    np.testing.assert_allclose(Zs, TruncatedSVD(5, random_state=0).fit(S).transform(S),
                               rtol=1e-4, atol=1e-5)
    # few columns: returned as they are
    np.testing.assert_array_equal(reduce_features(X[:, :6], n_components=8),
                                  X[:, :6].astype(np.float32))


def test_reduce_features_fits_on_a_sample():
    X, _ = mixture(1000, 20, seed=2)
    Z = reduce_features(X, n_components=4, random_state=0, fit_rows=200)
    sample = np.sort(np.random.default_rng(0).choice(1000, 200, replace=False))
    ref = PCA(4, svd_solver="randomized", random_state=0).fit(X[sample]).transform(X)
    np.testing.assert_allclose(Z, ref, rtol=1e-4, atol=1e-4)


def test_auto_switches_at_the_threshold(monkeypatch):
    import dataqa.audit.neighbors as nb

    calls = []
    monkeypatch.setattr(nb, "_approximate_neighbors",
                        lambda Z, k, rs, nj: calls.append(Z.shape) or nb._exact_neighbors(
                            Z, k, "euclidean", None))
    X, _ = mixture(300, 40)
    knn_graph(X, k=5)
    assert calls == []
    monkeypatch.setattr(nb, "APPROX_MIN_ROWS", 300)
    knn_graph(X, k=5)
    assert calls == [(300, 32)]  # reduced to REDUCED_DIMS columns before the search
    assert APPROX_MIN_ROWS == 50_000


def test_neighbor_recall_by_hand():
    e = sp.csr_matrix((np.ones(6), np.array([1, 2, 0, 2, 0, 1]), np.arange(0, 7, 2)), (3, 3))
    a = sp.csr_matrix((np.ones(6), np.array([2, 1, 0, 1, 1, 0]), np.arange(0, 7, 2)), (3, 3))
    # row 0: {2,1} vs {1,2}: 2 hits; row 1: {0,1} vs {0,2}: 1; row 2: {1,0} vs {0,1}: 2
    assert neighbor_recall(a, e) == pytest.approx(5 / 6)
    assert neighbor_recall(a, e, rows=[1]) == pytest.approx(1 / 2)
    with pytest.raises(InvalidSettingError, match="same n and k"):
        neighbor_recall(a, e[:2, :])


def test_errors_name_the_problem():
    X, _ = mixture(20, 4)
    with pytest.raises(InvalidSettingError, match="k=20 neighbours need at least 21 rows; "
                                                  "features has 20"):
        knn_graph(X, k=20)
    with pytest.raises(InvalidSettingError, match="k must be a positive integer; got 0"):
        knn_graph(X, k=0)
    with pytest.raises(InvalidSettingError, match="unknown neighbour search method 'fast'; "
                                                  "use one of auto, exact, approximate"):
        knn_graph(X, method="fast")
    with pytest.raises(InvalidSettingError, match="unknown metric 'manhattan'"):
        knn_graph(X, metric="manhattan")
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(FeatureTypeError, match=r"NaN or infinite values in 1 rows \(first: "
                                               r"\[3\]\); impute or drop them"):
        knn_graph(Xn, k=3)
    with pytest.raises(FeatureTypeError, match=r"two-dimensional array \(n, d\); got shape"):
        knn_graph(X[:, 0], k=3)
    with pytest.raises(FeatureTypeError, match="must be numeric; got dtype <U1"):
        knn_graph(np.array([["a", "b"]] * 5), k=2)
    with pytest.raises(InvalidSettingError, match="n_components must be at least 1; got 0"):
        reduce_features(X, n_components=0)


def test_exact_search_in_small_chunks_finds_the_same_graph(monkeypatch):
    # the exact search holds EXACT_WORKING_MEMORY MiB of distances at once (scikit-learn's
    # default of 1,024 took a 9,999-row text search to 2 GB); chunks change no neighbour
    import dataqa.audit.neighbors as nb

    X = np.random.default_rng(3).standard_normal((3000, 16))
    monkeypatch.setattr(nb, "EXACT_WORKING_MEMORY", 1)  # many chunks of 1 MiB
    small = knn_graph(X, k=10, method="exact")
    monkeypatch.setattr(nb, "EXACT_WORKING_MEMORY", 1024)  # one chunk
    whole = knn_graph(X, k=10, method="exact")
    np.testing.assert_array_equal(small.indices, whole.indices)
    np.testing.assert_allclose(small.data, whole.data, rtol=1e-12)
