"""MahalanobisDetector and KNNDetector against brute-force references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.spatial.distance import cdist

from dataqa.errors import InvalidSettingError, LengthMismatchError, NotFittedError
from dataqa.ood import KNNDetector, MahalanobisDetector, OODInputError, score_ood


@pytest.fixture
def blobs():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 3))
    X = np.r_[rng.normal(size=(80, 3)) @ A, rng.normal(size=(70, 3)) @ A + 4.0]
    y = np.r_[np.zeros(80, int), np.ones(70, int)]
    Q = rng.normal(size=(25, 3)) * 3
    return X, y, Q


def test_mahalanobis_matches_scipy(blobs):
    X, y, Q = blobs
    det = MahalanobisDetector(chunk_size=7)
    assert det.fit(X, y) is det
    mu = np.stack([X[y == k].mean(0) for k in (0, 1)])
    resid = X - mu[y]
    VI = np.linalg.inv(resid.T @ resid / len(X))
    ref = cdist(Q, mu, metric="mahalanobis", VI=VI).min(axis=1)
    np.testing.assert_allclose(det.score(Q), ref, rtol=1e-8)
    np.testing.assert_allclose(det.means_, mu)
    assert det.classes_.tolist() == [0, 1]


def test_mahalanobis_without_labels_and_singular_cov():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 2))
    X = np.c_[X, X[:, 0]]  # rank-deficient covariance: pseudo-inverse
    s = MahalanobisDetector().fit(X).score(np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]]))
    assert np.isfinite(s).all() and s[1] > 5 * s[0]


def test_knn_matches_bruteforce(blobs):
    X, _, Q = blobs
    for normalize in (True, False):
        det = KNNDetector(k=5, normalize=normalize, query_chunk=4, fit_chunk=9).fit(X)
        Xn, Qn = X, Q
        if normalize:
            Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
            Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        ref = np.sort(cdist(Qn, Xn), axis=1)[:, 4]
        np.testing.assert_allclose(det.score(Q), ref, rtol=1e-4, atol=1e-5)


def test_knn_far_from_the_origin_keeps_its_precision(blobs):
    # float32 distances as |q|^2 + |f|^2 - 2 q.f lost every digit 1e4 from the origin
    X, _, Q = blobs
    det = KNNDetector(k=5, normalize=False).fit(X + 1e4)
    ref = np.sort(cdist(Q, X), axis=1)[:, 4]
    np.testing.assert_allclose(det.score(Q + 1e4), ref, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("chunks", [{}, {"query_chunk": 7, "fit_chunk": 13}])
def test_knn_finds_the_true_neighbours_where_float32_cannot_tell_them_apart(chunks):
    # two tight clusters far from the origin (and from their mean): the float32 expansion
    # picked 20 of 28 candidates by rounding noise (0.044 read for 0.022), and float32
    # storage rounded the features to 1e-3 before any distance was taken
    rng = np.random.default_rng(0)
    c = rng.normal(size=8) * 1e4
    F = np.r_[c + rng.normal(scale=0.01, size=(300, 8)), -c + rng.normal(scale=0.01, size=(300, 8))]
    Q = F[::37] + rng.normal(scale=0.01, size=(len(F[::37]), 8))
    got = KNNDetector(k=20, normalize=False, **chunks).fit(F).score(Q)
    ref = np.sort(cdist(Q, F), axis=1)[:, 19]
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    # one far-out fitted row does not send every query through the float64 pick
    det = KNNDetector(k=10, normalize=False, **chunks)
    G = rng.normal(size=(3000, 16))
    G[0] = 300.0
    det.fit(G)
    seen = []
    pick = det._candidates
    det._candidates = lambda q, kc, dtype: (seen.append((dtype, len(q))), pick(q, kc, dtype))[1]
    Q2 = rng.normal(size=(40, 16))
    np.testing.assert_allclose(det.score(Q2), np.sort(cdist(Q2, G), axis=1)[:, 9], rtol=1e-9)
    assert sum(n for d, n in seen if d == torch.float64) == 0
    # a sentinel row at 1e12 moved the mean every row was centred on: every distance lost
    # its digits, float64 included (2.31 read for 0.574)
    S = rng.normal(size=(2000, 4))
    S[0] = 1e12
    Q3 = rng.normal(size=(50, 4))
    np.testing.assert_allclose(KNNDetector(k=10, normalize=False, **chunks).fit(S).score(Q3),
                               np.sort(cdist(Q3, S), axis=1)[:, 9], rtol=1e-9)
    # near duplicates of unit vectors: the k-th of 2,000 rows within 1e-4 of each other
    base = rng.normal(size=32)
    G = base + rng.normal(scale=1e-4, size=(400, 32))
    got = KNNDetector(k=50, **chunks).fit(G).score(G[:20] + 1e-5)
    U = G / np.linalg.norm(G, axis=1, keepdims=True)
    V = (G[:20] + 1e-5) / np.linalg.norm(G[:20] + 1e-5, axis=1, keepdims=True)
    ref = np.sort(cdist(V, U), axis=1)[:, 49]
    # (unit rows are kept in float32: 6e-8 of rounding on distances near 1e-5)
    np.testing.assert_allclose(got, ref, rtol=0.02)


def test_knn_all_zero_vectors_have_no_direction():
    # an item with no known word: 2.0 (farthest two unit vectors can be) from everything,
    # whether scored or fitted; it sat at 1.0 from everything before
    fit = np.vstack([np.eye(4)[:3], np.zeros(4)])
    det = KNNDetector(k=1).fit(fit)
    np.testing.assert_allclose(det.score(np.array([[0, 0, 0, 1.0], [0, 0, 0, 0], [1, 0, 0, 0]])),
                               [np.sqrt(2), 2.0, 0.0], atol=1e-6)
    det = KNNDetector(k=2).fit(fit[[0, 3]])  # the zero row is the second neighbour
    np.testing.assert_allclose(det.score(np.array([[1.0, 0, 0, 0]])), [2.0], atol=1e-6)
    # without normalising, the origin is a point like any other
    raw = KNNDetector(k=1, normalize=False).fit(fit)
    np.testing.assert_allclose(raw.score(np.array([[0, 0, 0, 0.0]])), [0.0], atol=1e-6)


def test_direction(blobs):
    X, y, _ = blobs
    far = np.array([[50.0, -50.0, 50.0]])
    near = X[:1]
    for det in (MahalanobisDetector().fit(X, y), KNNDetector(k=3, normalize=False).fit(X)):
        assert det.score(far)[0] > det.score(near)[0]


def test_unfitted_and_shape_errors(blobs):
    X, y, _ = blobs
    with pytest.raises(NotFittedError, match="MahalanobisDetector is not fitted"):
        MahalanobisDetector().score(X)
    with pytest.raises(NotFittedError, match="KNNDetector is not fitted"):
        KNNDetector().score(X)
    with pytest.raises(OODInputError, match="features have 2 columns but KNNDetector was fitted on 3"):
        KNNDetector(k=2).fit(X).score(X[:, :2])
    with pytest.raises(LengthMismatchError, match=r"fit_labels must have shape \(150,\)"):
        MahalanobisDetector().fit(X, y[:10])
    with pytest.raises(InvalidSettingError, match="k=500 is larger than the 150 fitted items"):
        KNNDetector(k=500).fit(X)
    with pytest.raises(InvalidSettingError, match="k=0 must be an integer >= 1"):
        KNNDetector(k=0).fit(X)
    with pytest.raises(OODInputError, match="NaN"):
        MahalanobisDetector().fit(X, y).score(np.array([[np.nan, 0, 0]]))


def test_mahalanobis_constant_feature_regularised_far_points_score_higher():
    rng = np.random.default_rng(3)
    X = np.c_[rng.normal(size=(60, 2)), np.full(60, 3.0)]  # the third feature never varies
    det = MahalanobisDetector().fit(X, np.arange(60) % 2)
    assert det.n_regularised_ == 1
    along = np.array([[0.0, 0.0, 3.0 + t] for t in (0.0, 1.0, 10.0, 100.0)])
    s = det.score(along)
    assert np.all(np.diff(s) > 0), s  # distance grows with distance along the constant feature
    # moving 1 along it counts like moving 1 along the least-spread direction seen
    w = np.linalg.eigvalsh(det.covariance_)
    assert s[3] == pytest.approx(100.0 / np.sqrt(w[w > 1e-10 * w.max()].min()), rel=0.02)
    # full-rank covariance: unchanged (exact Mahalanobis distance, see test above)
    assert MahalanobisDetector().fit(X[:, :2]).n_regularised_ == 0


def test_mahalanobis_keeps_its_precision_and_fits_features_far_from_zero():
    # every column varies (sd 1), one sits near 1e7: it was refused as constant, and at 1e6
    # the distances lost 4 digits; measured from the features' mean, neither
    rng = np.random.default_rng(0)
    for offset in (1e6, 1e7):
        X, Q = rng.normal(size=(500, 3)), rng.normal(size=(50, 3))
        X[:, 0] += offset
        Q[:, 0] += offset
        det = MahalanobisDetector().fit(X)
        d = Q - X.mean(axis=0)
        want = np.sqrt(np.einsum("ij,jk,ik->i", d, np.linalg.inv(np.cov(X.T, bias=True)), d))
        np.testing.assert_allclose(det.score(Q), want, rtol=1e-7)
        np.testing.assert_allclose(det.means_[0], X.mean(axis=0), rtol=1e-12)
    with pytest.raises(InvalidSettingError, match="fit_features do not vary"):
        MahalanobisDetector().fit(np.full((10, 3), 1e7))


def test_mahalanobis_refuses_data_without_spread():
    with pytest.raises(InvalidSettingError, match=r"fit_features do not vary within classes \(every one "
                                                  r"of the 3 columns is constant\)"):
        MahalanobisDetector().fit(np.full((10, 3), 0.1), np.arange(10) % 2)
    with pytest.raises(InvalidSettingError, match="fit_features do not vary .every one of the 2"):
        MahalanobisDetector().fit(np.ones((5, 2)))
    with pytest.raises(InvalidSettingError, match=r"every class of fit_labels has a single item "
                                                  r"\(4 items, 4 classes\)"):
        MahalanobisDetector().fit(np.random.default_rng(0).normal(size=(4, 3)), [0, 1, 2, 3])


def test_detectors_are_scikit_learn_estimators(blobs):
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    X, y = blobs[0], blobs[1]
    for det, params in ((MahalanobisDetector(tol=1e-8), {"tol": 1e-8, "chunk_size": 8192}),
                        (KNNDetector(k=3, normalize=False),
                         {"k": 3, "normalize": False, "query_chunk": 1024, "fit_chunk": 16384})):
        assert det.get_params() == params
        assert det.fit(X, y) is det
        copy = clone(det)
        assert copy.get_params() == params
        assert not [a for a in vars(copy) if a.endswith("_")]  # clone is unfitted
        with pytest.raises(NotFittedError, match=f"{type(det).__name__} is not fitted"):
            copy.score(X)
        np.testing.assert_array_equal(copy.fit(X, y).score(X), det.score(X))
        assert repr(det).startswith(type(det).__name__ + "(")
        for check in (check_no_attributes_set_in_init, check_get_params_invariance,
                      check_parameters_default_constructible, check_set_params):
            check(type(det).__name__, type(det)())


def test_mahalanobis_takes_class_names_and_whole_floats():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = rng.integers(0, 3, 60)
    Q = rng.normal(size=(10, 4))
    ref = MahalanobisDetector().fit(X, y).score(Q)
    names = np.array(["a", "b", "c"])[y]
    np.testing.assert_allclose(MahalanobisDetector().fit(X, names).score(Q), ref)
    np.testing.assert_allclose(MahalanobisDetector().fit(X, names.astype(object)).score(Q), ref)
    np.testing.assert_allclose(MahalanobisDetector().fit(X, y.astype(float)).score(Q), ref)
    # object labels: equal values are one class (1 and 1.0), types stay apart (1 and "1")
    mixed = y.astype(object)
    mixed[::2] = y[::2].astype(float)
    det = MahalanobisDetector().fit(X, mixed)
    assert len(det.classes_) == 3
    np.testing.assert_allclose(det.score(Q), ref)
    text_and_number = y.astype(object)
    text_and_number[y == 2] = "1"
    assert len(MahalanobisDetector().fit(X, text_and_number).classes_) == 3
    with pytest.raises(OODInputError, match=r"fit_labels has 1 missing value\(s\) \(first at "
                                            r"row 7\)"):
        MahalanobisDetector().fit(X, np.where(np.arange(60) == 7, np.nan, y.astype(float)))
    import pandas as pd

    for labels in (pd.Series(y == 1, dtype="boolean"), pd.Series(names, dtype="string")):
        labels[5] = pd.NA
        with pytest.raises(OODInputError, match=r"1 missing value\(s\) \(first at row 5\)"):
            MahalanobisDetector().fit(X, labels)


def test_sparse_features_get_a_plain_message():
    import scipy.sparse as sp

    X = sp.random(30, 5, density=0.3, format="csr", random_state=0)
    with pytest.raises(OODInputError, match="fit_features is a sparse matrix, which this "
                                            "score does not take; pass fit_features.toarray"):
        MahalanobisDetector().fit(X, np.arange(30) % 2)


@pytest.mark.parametrize("normalize", [True, False])
def test_knn_on_sparse_features_matches_the_dense_computation(normalize):
    """TF-IDF stays sparse (densifying it took GBs); the scores are the dense ones up to
    the dense path's float32 rounding, all-zero rows and chunking included."""
    import scipy.sparse as sp

    fit = sp.random(60, 400, density=0.03, format="csr", random_state=1)
    query = sp.random(45, 400, density=0.03, format="csr", random_state=2)
    fit, query = fit.tolil(), query.tolil()
    fit[3] = 0.0  # a fitted item with no known word
    query[[0, 7]] = 0.0
    fit, query = fit.tocsr(), query.tocsr()
    fit.eliminate_zeros()
    query.eliminate_zeros()
    F, Q = fit.toarray(), query.toarray()
    if normalize:
        F = F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-300)
        Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-300)
    D = cdist(Q, F)  # brute force in float64
    if normalize:  # a vector without direction is 2.0 from everything
        D[:, ~F.any(axis=1)] = 2.0
        D[~Q.any(axis=1)] = 2.0
    for k in (1, 4):
        dense = np.sort(D, axis=1)[:, k - 1]
        det = KNNDetector(k=k, normalize=normalize, query_chunk=7, fit_chunk=11).fit(fit)
        assert det.sparse_ and sp.issparse(det.features_)
        np.testing.assert_allclose(det.score(query), dense, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(det.score(query.toarray()), dense, rtol=1e-5, atol=1e-5)
        # dense fitted features (float32 inside), sparse queries
        mixed = KNNDetector(k=k, normalize=normalize, query_chunk=7).fit(fit.toarray())
        np.testing.assert_allclose(mixed.score(query), dense, rtol=1e-4, atol=1e-3)
    if normalize:
        assert det.score(query)[[0, 7]].tolist() == [2.0, 2.0]
    # by hand: two unit vectors with no shared word are sqrt(2) apart
    a = sp.csr_matrix(np.array([[3.0, 0, 0], [0, 0, 5.0]]))
    got = KNNDetector(k=1, normalize=True).fit(a[:1]).score(a)
    np.testing.assert_allclose(got, [0.0, np.sqrt(2)], atol=1e-12)
    # texts with no word in common with any fitted one tie exactly (selection then breaks
    # the tie at random, not by rounding noise in the norms)
    rng = np.random.default_rng(0)
    fitted = sp.csr_matrix(np.hstack([rng.random((5, 7)), np.zeros((5, 9))]))
    apart = sp.csr_matrix(np.hstack([np.zeros((6, 7)), rng.random((6, 9)) * 3]))
    scores = KNNDetector(k=2).fit(fitted).score(apart)
    assert len(set(scores.tolist())) == 1 and scores[0] == np.sqrt(2.0)


def test_knn_sparse_input_errors():
    import scipy.sparse as sp

    X = sp.random(30, 5, density=0.3, format="csr", random_state=0)
    with pytest.raises(InvalidSettingError, match="k=40 is larger than the 30 fitted items"):
        KNNDetector(k=40).fit(X)
    det = KNNDetector(k=3).fit(X)
    with pytest.raises(OODInputError, match="features have 6 columns but KNNDetector was "
                                            "fitted on 5"):
        det.score(sp.random(4, 6, density=0.5, format="csr", random_state=0))
    bad = X.copy()
    bad.data[0] = np.nan
    row = int(np.repeat(np.arange(30), np.diff(bad.indptr))[0])
    with pytest.raises(OODInputError, match=rf"fit_features holds NaN or infinite values in 1 "
                                            rf"row\(s\) \(first rows: \[{row}\]\)"):
        KNNDetector(k=3).fit(bad)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("chunks", [{}, {"query_chunk": 7, "fit_chunk": 13}])
def test_knn_dense_distance_to_an_identical_row_is_exactly_zero(normalize, chunks):
    rng = np.random.default_rng(3)
    F = rng.normal(size=(60, 16)) * 5 + 2
    Q = np.r_[F[:10], rng.normal(size=(15, 16)) * 5 + 2]
    d1 = KNNDetector(k=1, normalize=normalize, **chunks).fit(F).score(Q)
    assert np.all(d1[:10] == 0.0)  # float32 expansion left 3-5e-4 here
    A = F / np.linalg.norm(F, axis=1, keepdims=True) if normalize else F
    B = Q / np.linalg.norm(Q, axis=1, keepdims=True) if normalize else Q
    ref = np.sort(cdist(B, A), axis=1)
    # the kept float32 features: relative 1e-6 of the distances' scale
    scale = 1.0 if normalize else float(ref.max())
    np.testing.assert_allclose(d1, ref[:, 0], rtol=0, atol=2e-6 * scale)
    d4 = KNNDetector(k=4, normalize=normalize, **chunks).fit(F).score(Q)
    np.testing.assert_allclose(d4, ref[:, 3], rtol=0, atol=2e-6 * scale)
    # a near-duplicate within float32 rounding of the expansion does not take the
    # identical row's place (it did in about 3 of 10 seeds)
    hits = 0
    for seed in range(40):
        r = np.random.default_rng(seed)
        x = r.normal(size=16) * 5 + 2
        G = np.r_[[x + 1e-5 * r.normal(size=16)], [x], r.normal(size=(30, 16)) * 5 + 2]
        hits += KNNDetector(k=1, normalize=normalize, **chunks).fit(G).score(x[None, :])[0] == 0.0
        two = np.r_[[x + 1e-5 * r.normal(size=16)] * 2, [x] * 2, r.normal(size=(30, 16))]
        hits += KNNDetector(k=2, normalize=normalize, **chunks).fit(two).score(x[None, :])[0] == 0.0
    assert hits == 80


@pytest.mark.parametrize("normalize", [True, False])
def test_knn_sparse_distance_to_an_identical_row_is_exactly_zero(normalize):
    import scipy.sparse as sp

    F = sp.random(300, 2000, density=0.01, random_state=1, format="csr")
    Q = sp.vstack([F[:20], sp.random(50, 2000, density=0.01, random_state=2,
                                     format="csr")]).tocsr()
    got = KNNDetector(k=1, normalize=normalize).fit(F).score(Q)
    assert np.all(got[:20] == 0.0)  # float64 expansion left 1-6e-8 here
    A, B = F.toarray(), Q.toarray()
    if normalize:
        A = A / np.where(np.linalg.norm(A, axis=1, keepdims=True) == 0, 1,
                         np.linalg.norm(A, axis=1, keepdims=True))
        B = B / np.where(np.linalg.norm(B, axis=1, keepdims=True) == 0, 1,
                         np.linalg.norm(B, axis=1, keepdims=True))
    ref = np.sort(cdist(B, A), axis=1)[:, 0]
    zero_q = ~np.asarray((Q != 0).sum(axis=1)).ravel().astype(bool)
    keep = ~zero_q if normalize else np.ones(len(ref), bool)  # all-zero rows score 2.0
    np.testing.assert_allclose(got[keep], ref[keep], rtol=1e-9, atol=1e-7)
    # rows with thousands of entries: the expansion's rounding grows with them, the
    # differences' does not (8 of 300 duplicates were 1e-7 to 9e-4 apart)
    rng = np.random.default_rng(4)
    D = sp.csr_matrix(rng.random((60, 5000)) * (1.0 if normalize else 40.0))
    dup = KNNDetector(k=1, normalize=normalize).fit(D).score(D[:30])
    assert np.all(dup == 0.0)


@pytest.mark.parametrize("method", ["knn", "mahalanobis"])
def test_a_frame_scored_with_its_columns_in_another_order_is_scored_by_name(method):
    rng = np.random.default_rng(0)
    fitted = pd.DataFrame(rng.normal(size=(200, 3)) * [1, 10, 100], columns=list("abc"))
    labels = rng.integers(0, 2, 200)
    kwargs = {"k": 1, "normalize": False} if method == "knn" else {"fit_labels": labels}
    query = fitted.iloc[:5]
    same = score_ood(method, features=query, fit_features=fitted, **kwargs)
    # scored by position, the reordered columns read 6.6-121 for the fitted rows (knn)
    reordered = score_ood(method, features=query[["c", "b", "a"]], fit_features=fitted,
                          **kwargs)
    np.testing.assert_allclose(reordered, same, rtol=1e-12)
    if method == "knn":
        np.testing.assert_array_equal(same, 0.0)
    as_array = score_ood(method, features=query.to_numpy(), fit_features=fitted, **kwargs)
    np.testing.assert_allclose(as_array, same, rtol=1e-12)
    with pytest.raises(OODInputError, match=r"features have columns \['x', 'b', 'c'\], but "
                       r"\w+Detector was fitted on \['a', 'b', 'c'\] \(missing: \['a'\]; not "
                       r"fitted: \['x'\]\); pass features with the fitted columns"):
        score_ood(method, features=query.rename(columns={"a": "x"}), fit_features=fitted,
                  **kwargs)
    with pytest.raises(OODInputError, match=r"\(missing: \['c'\]; repeated: \['a'\]\)"):
        score_ood(method, features=query[["a", "b", "a"]], fit_features=fitted, **kwargs)
