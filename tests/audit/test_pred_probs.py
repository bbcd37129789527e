import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from dataqa.audit import C_GRID, cross_val_pred_probs, default_model, out_of_sample_pred_probs
from dataqa.audit.pred_probs import ensemble_members
from dataqa.errors import FeatureTypeError, InvalidSettingError, LabelError, LengthMismatchError


def blobs(n=120, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n // k)
    X = rng.normal(size=(len(y), 4)) + y[:, None] * 2.0
    return X, y


def test_matches_manual_cross_validation():
    X, y = blobs()
    model = LogisticRegression(C=0.5, max_iter=1000)
    got = out_of_sample_pred_probs(X, y, model=model, cv=4, random_state=3, progress=False)
    want = np.zeros((len(y), 3))
    for tr, te in StratifiedKFold(4, shuffle=True, random_state=3).split(X, y):
        want[te] = LogisticRegression(C=0.5, max_iter=1000).fit(X[tr], y[tr]).predict_proba(X[te])
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)


def test_parallel_and_loky_same_as_serial():
    X, y = blobs()
    a = out_of_sample_pred_probs(X, y, model=LogisticRegression(), n_jobs=1, progress=False)
    with parallel_config(backend="threading"):
        b = out_of_sample_pred_probs(X, y, model=LogisticRegression(), n_jobs=2, progress=False)
    np.testing.assert_allclose(a, b)


class _DropsClassTwo(LogisticRegression):
    """Fits without class 2 so that predict_proba has only columns for classes 0 and 1."""

    def fit(self, X, y):
        keep = y != 2
        return super().fit(X[keep], y[keep])


def test_columns_in_class_order_when_a_class_is_missing():
    X, y = blobs()
    p = out_of_sample_pred_probs(X, y, model=_DropsClassTwo(), cv=3, progress=False)
    assert p.shape == (len(y), 3)
    assert np.all(p[:, 2] == 0.0)
    # class-1 items still get most mass on column 1, not shifted into column 2
    assert (p[y == 1].argmax(axis=1) == 1).mean() > 0.9


def _oof(X, y, model):
    return out_of_sample_pred_probs(X, y, model=model, progress=False)


def _manual_path(X, y, train, test, grid, scale):
    """A warm-started path written out: one LogisticRegression, C raised step by step
    until the held-out log-loss rises."""
    from sklearn.preprocessing import StandardScaler

    Xtr, Xte = X[train], X[test]
    if scale:
        s = StandardScaler().fit(Xtr)
        Xtr, Xte = s.transform(Xtr), s.transform(Xte)
    lr = LogisticRegression(max_iter=3000, warm_start=True)
    out = []
    for c in grid:
        lr.set_params(C=c)
        out.append(lr.fit(Xtr, y[train]).predict_proba(Xte))
        if len(out) > 1 and _log_loss(out[-1], y[test]) > _log_loss(out[-2], y[test]):
            break
    return out


def _log_loss(p, y):
    return float(-np.log(p[np.arange(len(y)), y]).mean())


def test_default_model_picks_c_on_the_first_fold_then_averages_members():
    X, y = blobs()
    p, info = cross_val_pred_probs(X, y, progress=False)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    tr0, te0 = splits[0]
    path = _manual_path(X, y, tr0, te0, C_GRID["numeric"], scale=True)
    losses = [_log_loss(q, y[te0]) for q in path]
    tried = C_GRID["numeric"][:len(path)]
    assert info["log_loss"] == pytest.approx({str(c): v for c, v in zip(tried, losses, strict=True)})
    # stopped one step past the best, or ran to the end of the grid
    assert len(path) == len(C_GRID["numeric"]) or int(np.argmin(losses)) == len(path) - 2
    best = C_GRID["numeric"][int(np.argmin(losses))]
    assert info["C"] == best
    # 96 training items x 3 classes: a small problem, the SVM member
    assert info["model"] == f"logistic regression (C={best}, chosen on fold 1) + svc"
    # the first fold from the path; every other fold a fresh fit at the chosen C (never
    # warm-started from the first fold's fit, which saw their items: equal to 1e-10)
    lr = np.zeros((len(y), 3))
    lr[te0] = path[int(np.argmin(losses))]
    for tr, te in splits[1:]:
        lr[te] = default_model("numeric", C=best).fit(X[tr], y[tr]).predict_proba(X[te])
    svc = _oof(X, y, ensemble_members("numeric", 96, min_class_train=32, n_classes=3)["svc"])
    np.testing.assert_allclose(p, (lr + svc) / 2, rtol=1e-10)
    # the warm-started path ends where cold fits end (same convex problem)
    cold = default_model("numeric", C=tried[-1]).fit(X[tr0], y[tr0]).predict_proba(X[te0])
    np.testing.assert_allclose(path[-1], cold, atol=2e-3)


def test_default_on_sparse_is_logistic_regression_alone():
    import scipy.sparse as sp

    X, y = blobs()
    Xs = sp.csr_matrix(np.abs(X))
    p, info = cross_val_pred_probs(Xs, y, progress=False)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    tr0, te0 = splits[0]
    path = _manual_path(Xs, y, tr0, te0, C_GRID["tfidf"], scale=False)
    best = int(np.argmin([_log_loss(q, y[te0]) for q in path]))
    assert info["C"] == C_GRID["tfidf"][best]
    assert info["model"] == f"logistic regression (C={C_GRID['tfidf'][best]}, chosen on fold 1)"
    want = np.zeros((len(y), 3))
    want[te0] = path[best]
    for tr, te in splits[1:]:
        want[te] = default_model("tfidf", C=C_GRID["tfidf"][best]).fit(Xs[tr], y[tr]).predict_proba(Xs[te])
    np.testing.assert_allclose(p, want, rtol=1e-10)


def test_small_class_keeps_the_folds_with_warning():
    X, y = blobs(90)
    y = y.copy()
    y[:87] = np.where(y[:87] == 2, 1, y[:87])  # class 2 keeps only 3 members
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        p, info = cross_val_pred_probs(X, y, model=LogisticRegression(), progress=False)
    said = [str(w.message) for w in seen]
    assert len(said) == 1 and "fewer members than cv=5: each of their items is predicted" in said[0]
    assert info["folds"] == 5  # the other classes keep their training parts
    # each member of the small class held out in its own fold, beside the other two
    splits = StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
    small = np.flatnonzero(y == 2)
    for tr, te in splits:
        held = np.intersect1d(te, small)
        assert len(held) <= 1 and len(np.intersect1d(tr, small)) >= 2
        want = LogisticRegression().fit(X[tr], y[tr]).predict_proba(X[te])
        np.testing.assert_allclose(p[te], want, rtol=1e-6, atol=1e-9)


def test_errors():
    X, y = blobs()
    with pytest.raises(LengthMismatchError, match="X has 120 rows but labels has 119"):
        out_of_sample_pred_probs(X, y[:-1])
    with pytest.raises(InvalidSettingError, match="LinearSVC has no predict_proba"):
        out_of_sample_pred_probs(X, y, model=LinearSVC())
    Xn = X.copy()
    Xn[5, 1] = np.nan
    with pytest.raises(FeatureTypeError, match="NaN or infinite values in 1 rows \\(first: \\[5\\]\\)"):
        out_of_sample_pred_probs(Xn, y)
    with pytest.raises(LabelError, match="single class"):
        out_of_sample_pred_probs(X, np.zeros(len(y), int))
    with pytest.raises(LabelError, match="integer class indices"):
        out_of_sample_pred_probs(X, np.array(["a", "b"] * 60))


def test_no_warnings_leak_from_default_model():
    X, y = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_of_sample_pred_probs(X, y, progress=False, cv=3)


def test_folds_run_on_a_dask_cluster_through_joblib():
    distributed = pytest.importorskip("distributed")
    X, y = blobs()
    serial = out_of_sample_pred_probs(X, y, model=LogisticRegression(), cv=3, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, parallel_config(backend="dask"), \
            distributed.get_task_stream(client) as stream:
        on_dask = out_of_sample_pred_probs(X, y, model=LogisticRegression(), cv=3, n_jobs=-1,
                                           progress=False)
    assert len(stream.data) >= 3  # the three folds ran as tasks on the cluster
    np.testing.assert_allclose(serial, on_dask, rtol=1e-10)


def test_member_by_problem_size():
    from dataqa.audit.pred_probs import KNN_MAX_TRAIN, SVC_MAX_COST

    assert list(ensemble_members("numeric", SVC_MAX_COST // 5, n_classes=5)) == ["svc"]
    assert list(ensemble_members("numeric", SVC_MAX_COST // 5 + 1, n_classes=5)) == ["knn"]
    assert list(ensemble_members("numeric", KNN_MAX_TRAIN, n_classes=2)) == ["knn"]
    assert ensemble_members("numeric", KNN_MAX_TRAIN + 1) == {}
    assert ensemble_members("tfidf", 100) == {}
    assert ensemble_members("numeric", 1) == {}
    assert ensemble_members("numeric", 8000)["knn"][-1].n_neighbors == 15
    assert ensemble_members("numeric", 8, n_classes=2000)["knn"][-1].n_neighbors == 7


def test_svm_member_calibration_follows_small_classes():
    # a single item of a class in a training fold: no calibration split, nearest neighbours
    assert list(ensemble_members("numeric", 100, min_class_train=1)) == ["knn"]
    platt = ensemble_members("numeric", 100, min_class_train=2)["svc"][-1]
    assert platt.cv == 2
    assert ensemble_members("numeric", 100, min_class_train=10)["svc"][-1].cv == 3


def test_two_member_class_keeps_the_folds():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(42, 3))
    y = np.array([0] * 20 + [1] * 20 + [2] * 2)
    with pytest.warns(UserWarning, match="the 5 folds are kept for the other classes"):
        p, info = cross_val_pred_probs(X, y)
    # one class-2 item in some training folds: no Platt split for the SVM, nearest neighbours
    assert info["folds"] == 5 and info["model"].endswith("+ knn")
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


class _Memoriser(LogisticRegression):
    """Predicts the label of an exact training copy (one-hot), uniform otherwise."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ = {row.tobytes(): label for row, label in zip(np.asarray(X), y, strict=True)}
        return self

    def predict_proba(self, X):
        out = np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))
        for i, row in enumerate(np.asarray(X)):
            if row.tobytes() in self.seen_:
                out[i] = np.asarray(self.classes_ == self.seen_[row.tobytes()], float)
        return out


def test_exact_copies_are_held_out_together():
    X, y = blobs(n=120, seed=4)
    y = y.copy()
    # 12 copies of rows 0-11, half relabelled (conflicting), half not
    X = np.vstack([X, X[:12]])
    y = np.r_[y, np.where(np.arange(12) % 2 == 0, (y[:12] + 1) % 3, y[:12])]
    probs, info = cross_val_pred_probs(X, y, model=_Memoriser(), cv=5, random_state=0,
                                       progress=False)
    # no copy is predicted by a model that saw its copy's other label: uniform rows
    conflicting = np.r_[np.arange(0, 12, 2), 120 + np.arange(0, 12, 2)]
    np.testing.assert_allclose(probs[conflicting], 1.0 / 3)
    assert 0 < info["copies_held_out_together"] <= 6
    # copies that agree stay spread: some are predicted from their copy (one-hot)
    agreeing = np.r_[np.arange(1, 12, 2), 120 + np.arange(1, 12, 2)]
    assert (probs[agreeing].max(axis=1) == 1.0).any()
    # the default model: the correct originals of the relabelled copies keep their class
    probs = out_of_sample_pred_probs(X, y, cv=5, random_state=0, progress=False)
    wrong = np.flatnonzero(np.arange(12) % 2 == 0)
    assert (probs[wrong].argmax(axis=1) == y[wrong]).all()
    # a set of equal rows larger than a fold's share stays spread (few distinct values),
    # though its labels differ
    few = np.r_[np.zeros((60, 2)), np.ones((60, 2)), np.arange(20).reshape(10, 2)]
    labels = np.r_[np.zeros(30, int), np.ones(30, int), np.ones(60, int), np.arange(10) % 2]
    _, info = cross_val_pred_probs(few, labels, model=LogisticRegression(), cv=5,
                                   progress=False)
    assert info["copies_held_out_together"] == 0
    # a set with a majority label stays spread: its copies' labels are the evidence
    from dataqa.audit.pred_probs import _conflicting_copies

    Xm = np.r_[np.zeros((3, 2)), np.ones((2, 2)), np.arange(10).reshape(5, 2) + 5.0]
    ym = np.array([0, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    assert [g.tolist() for g in _conflicting_copies(Xm, ym, 10)] == [[3, 4]]


def test_moving_copies_keeps_every_class_in_every_training_part_and_no_fold_empty():
    from dataqa.audit.pred_probs import _copies_together

    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    X[8] = X[0]  # class 1's row 8 copies class 0's row 0

    def folds(*tests):
        rows = np.arange(10)
        return [(np.setdiff1d(rows, t), np.asarray(t)) for t in tests]

    # moving row 8 to row 0's fold would hold out both class-1 rows there and leave its
    # training part without class 1 (a two-class fit crashed): not moved
    out, moved = _copies_together(folds([0, 9, 2, 3], [8, 4, 5], [1, 6, 7]), X, y)
    assert moved == 0 and [t.tolist() for _, t in out] == [[0, 2, 3, 9], [4, 5, 8], [1, 6, 7]]
    # a move that would leave a fold with nothing held out: not made
    out, moved = _copies_together(folds([0, 2, 3, 4, 5], [8], [1, 6, 7, 9]), X, y)
    assert moved == 0 and [t.tolist() for _, t in out][1] == [8]
    # otherwise the copy joins row 0's fold
    out, moved = _copies_together(folds([0, 2, 3], [8, 9, 4, 5], [1, 6, 7]), X, y)
    assert moved == 1 and [sorted(t.tolist()) for _, t in out] == [[0, 2, 3, 8], [4, 5, 9],
                                                                     [1, 6, 7]]
    for train, test in out:
        assert set(train) | set(test) == set(range(10)) and not set(train) & set(test)


def _word_texts(seed=0, n=150):
    """Texts of 8 words each, class 0 from one vocabulary and class 1 from another."""
    rng = np.random.default_rng(seed)
    vocab = [[f"w{c}x{i:03d}" for i in range(60)] for c in (0, 1)]
    y = np.repeat([0, 1], n // 2)
    texts = [" ".join(rng.choice(vocab[c], 8)) for c in y]
    return texts, y


def _one_char_off(text: str) -> str:
    p = len(text) // 2
    return text[:p] + ("q" if text[p] != "q" else "z") + text[p + 1:]


def test_near_copies_of_texts_are_held_out_together():
    from sklearn.neighbors import KNeighborsClassifier

    from dataqa.features import tfidf_features

    texts, y = _word_texts()
    orig = np.arange(0, 150, 15)  # ten originals, each with a near copy labeled otherwise
    texts = texts + [_one_char_off(texts[i]) for i in orig]
    y = np.r_[y, 1 - y[orig]]
    copies = np.arange(150, 160)
    X = tfidf_features(texts)
    nn = KNeighborsClassifier(n_neighbors=1, metric="cosine")
    # without the texts, each of a pair is predicted from the other's label
    p0, info0 = cross_val_pred_probs(X, y, model=nn, cv=5, progress=False)
    assert info0["copies_held_out_together"] == 0
    together0 = sum(np.isclose(p0[[i, c], y[[c, i]]], 1).all() for i, c in
                    zip(orig, copies, strict=True))
    assert together0 >= 5  # (about 4 in 5 pairs fall in different folds)
    # with them, each pair is held out in one fold: the nearest other text decides
    p1, info1 = cross_val_pred_probs(X, y, model=nn, cv=5, progress=False, texts=texts)
    assert 0 < info1["copies_held_out_together"] <= 10
    np.testing.assert_array_equal(p1[orig].argmax(axis=1), y[orig])
    assert (p1[copies].argmax(axis=1) == 1 - y[copies]).sum() >= 8
    from dataqa.audit.pred_probs import _copies_together

    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    out, moved = _copies_together(splits, X, y, texts)
    assert moved == info1["copies_held_out_together"]
    fold = np.empty(len(y), int)
    for f, (_, test) in enumerate(out):
        fold[test] = f
    np.testing.assert_array_equal(fold[orig], fold[copies])
    # texts that share few 3-grams are no copies; neither are pairs that agree
    from dataqa.audit.pred_probs import _conflicting_copies

    far = texts[:150] + [texts[i].split(" ", 4)[-1] + " w9x000 w9x001 w9x002 w9x003"
                         for i in orig]
    assert _conflicting_copies(tfidf_features(far), y, 40, far) == []
    agree = np.r_[y[:150], y[orig]]
    assert _conflicting_copies(X, agree, 40, texts) == []
    # a set whose labels have a majority stays spread: a second copy agreeing with the
    # original outvotes the relabelled one
    three = texts + [texts[orig[0]].upper() + "  "]
    y3 = np.r_[y, y[orig[0]]]
    sets = _conflicting_copies(tfidf_features(three), y3, 40, three)
    assert [s.tolist() for s in sets] == [[int(i), int(c)] for i, c in
                                          zip(orig[1:], copies[1:], strict=True)]
    # ... but an exact copy labeled otherwise inside it is held out with its original,
    # as without texts: the agreeing near copies are evidence for both
    a0 = int(orig[0])
    t0 = texts[a0]
    near = [t0[:10] + "q" + t0[11:], t0[:-10] + "z" + t0[-9:]]  # agreeing near copies
    four = texts + [t0.title(), *near]
    y4 = np.r_[y, 1 - y[a0], y[a0], y[a0]]
    sets = [s.tolist() for s in _conflicting_copies(tfidf_features(four), y4, 40, four)]
    assert [a0, 160] in sets and not any(150 in s for s in sets)


def test_near_copies_are_found_by_their_texts_not_the_model_features():
    # numbers beside the text (a tfidf+numeric model) put each near copy far from its
    # original in the joined features; the search is in the texts' own 3-grams
    import scipy.sparse as sp

    from dataqa.audit.duplicates import text_similarity
    from dataqa.audit.pred_probs import _conflicting_copies
    from dataqa.features import tfidf_features

    texts, y = _word_texts(seed=1)
    orig = np.arange(0, 150, 15)
    texts = texts + [_one_char_off(texts[i]) for i in orig]
    y = np.r_[y, 1 - y[orig]]
    rng = np.random.default_rng(0)
    numbers = rng.normal(0, 50, (len(y), 40))
    X = sp.hstack([tfidf_features(texts), sp.csr_matrix(numbers)]).tocsr()
    sets = [s.tolist() for s in _conflicting_copies(X, y, 40, texts)]
    for k, i in enumerate(orig):
        assert [int(i), 150 + k] in sets
    # (another pair may be near copies by the rule: these texts share many 3-grams)
    assert all(text_similarity(texts[a], texts[b]) >= 0.5 for a, b in sets)


def test_texts_must_match_labels():
    texts, y = _word_texts(n=40)
    with pytest.raises(LengthMismatchError, match="texts has 39 entries but labels has 40"):
        cross_val_pred_probs(np.eye(40)[:, :5], y, progress=False, texts=texts[:-1])
