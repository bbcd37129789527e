"""Out-of-sample predicted probabilities by stratified cross-validation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from dataqa._hash import mix64
from dataqa._progress import progress_stage, progress_task
from dataqa._validation import check_labels
from dataqa.data import effective_folds
from dataqa.errors import FeatureTypeError, InvalidSettingError, LabelError, LengthMismatchError

__all__ = ["C_GRID", "KNN_MAX_TRAIN", "SVC_MAX_COST", "ensemble_members", "cross_val_pred_probs", "default_model",
           "out_of_sample_pred_probs"]


#: Regularisation grids searched when no model is given (inverse strength ``C``).
#: The TF-IDF grid stops at 10, where clean SMS and YouTube tables choose it: with 30 and
#: 100 added their held-out log-loss improves (0.041 -> 0.037, 0.139 -> 0.128) but flags
#: are no better: on 1%, 2%, 5%, 10% and 20% uniform flips (3 seeds each) the extended
#: grid chose another C in 1 of 30 runs (SMS 1%, F1 0.898 -> 0.874), otherwise the same.
C_GRID = {
    "numeric": (0.01, 0.03, 0.1, 0.3, 1.0),
    "embedding": (0.01, 0.03, 0.1, 0.3, 1.0),
    "tfidf": (0.3, 1.0, 3.0, 10.0),
}


#: Largest training-fold size for the k-nearest-neighbour member: its cost grows with
#: (test fold x training fold); above it logistic regression is used alone.
KNN_MAX_TRAIN = 20_000

#: Largest ``training items x classes`` for which the member is a Platt-scaled RBF-kernel
#: SVM (its cost grows as n^2 per pair of classes) instead of nearest neighbours.
SVC_MAX_COST = 5_000


def ensemble_members(kind: str, n_train: int, *, random_state: int = 0,
                     min_class_train: int | None = None, n_classes: int = 2) -> dict:
    """The non-linear member averaged with the chosen logistic regression on dense features.

    A non-linear model errs differently from a linear one, so the average of the two
    ranks mislabeled items better than either:

    - small problems (``n_train * n_classes <= SVC_MAX_COST``, e.g. wine and breast
      cancer): an RBF-kernel SVM on standardised features with Platt-scaled
      probabilities, cross-validated inside the training fold (3 folds, fewer when
      ``min_class_train``, the smallest class count in a training fold, is smaller; with
      a single item of some class no calibration split is possible and nearest
      neighbours are used instead);
    - otherwise, up to :data:`KNN_MAX_TRAIN` training items: a distance-weighted
      15-nearest-neighbour classifier on standardised features. On digits it ranks
      better than the SVM (5/10/20% flips) at a twenty-fifth of the cost (0.03 s against
      0.72 s per fold);
    - sparse (TF-IDF) features and larger folds: no member, logistic regression alone.

    With ``C`` chosen on one fold (:func:`out_of_sample_pred_probs`), the default against
    the former one (an SVM up to 10,000 training items, ``C`` chosen on every fold) on
    the 18 rows defaults are chosen on (``benchmarks/audit_quality.py``: digits, wine,
    breast cancer; 5/10/20% uniform and class-dependent flips): mean F1 0.931 both,
    AUROC 0.997 against 0.996, average precision 0.981 against 0.976, in 12 s against
    42 s for the 18 rows. On wine and breast cancer the SVM costs 2.6-3.2 times
    CleanLearning's five fits (under 1.5 s); the size rule keeps it off larger problems.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    del random_state
    if kind == "tfidf" or n_train > KNN_MAX_TRAIN or n_train < 2:
        return {}
    if n_train * n_classes <= SVC_MAX_COST:
        inner = 3 if min_class_train is None else min(3, int(min_class_train))
        if inner >= 2:
            platt = CalibratedClassifierCV(SVC(), method="sigmoid", cv=inner, ensemble=False)
            return {"svc": make_pipeline(StandardScaler(), platt)}
    return {"knn": make_pipeline(StandardScaler(), KNeighborsClassifier(
        n_neighbors=max(1, min(15, n_train - 1)), weights="distance"))}


def default_model(kind: str = "numeric", *, C: float | None = None, max_iter: int = 3000,
                  scale: bool | None = None):
    """The model family dataqa uses when none is given: logistic regression.

    - ``"numeric"`` and ``"embedding"`` (dense): standardisation, then logistic regression.
    - ``"tfidf"`` (sparse text features): logistic regression on the TF-IDF rows as they are.

    ``C`` defaults to the middle of :data:`C_GRID`; :func:`out_of_sample_pred_probs` with
    ``model=None`` picks it per dataset instead (see there). ``scale`` overrides whether
    the features are standardised first (default: for dense kinds). Active learning's
    default (:func:`dataqa.active.default_model`) is this function with ``C=1``,
    ``max_iter=1000``, no scaling and balanced class weights.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind not in C_GRID:
        raise InvalidSettingError(f"no default model for feature kind {kind!r}; "
                                  f"use one of {', '.join(C_GRID)}.")
    c = float(C) if C is not None else C_GRID[kind][len(C_GRID[kind]) // 2]
    lr = LogisticRegression(C=c, max_iter=max_iter)
    if not (kind != "tfidf" if scale is None else scale):
        return lr
    return make_pipeline(StandardScaler(), lr)


def _as_matrix(X):
    if isinstance(X, pd.DataFrame):
        non_num = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
                   and not pd.api.types.is_bool_dtype(X[c])]
        if non_num:
            raise FeatureTypeError(f"feature column(s) {', '.join(map(repr, non_num))} are "
                                   f"not numeric; encode them as numbers first.")
        X = X.to_numpy(dtype=np.float64)
    if sp.issparse(X):
        X = X.tocsr()
        if not np.all(np.isfinite(X.data)):
            raise FeatureTypeError("the sparse feature matrix holds NaN or infinite values.")
        return X
    X = np.asarray(X)
    if X.ndim != 2:
        raise FeatureTypeError(f"X must be two-dimensional (n, d); got shape {X.shape}.")
    if X.dtype.kind not in "fiub":
        raise FeatureTypeError(f"X must be numeric; got dtype {X.dtype}.")
    if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
        rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
        raise FeatureTypeError(f"X holds NaN or infinite values in {len(rows)} rows (first: "
                               f"{rows[:5].tolist()}); impute or drop them.")
    return X


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())


def _fit_fold(model, X, y, train, test, n_classes, tag):
    # Folds are the unit of parallelism: one BLAS/OpenMP thread per fit avoids
    # oversubscription, which slows small fits down by an order of magnitude or more.
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # many classes with few items each (allowed: every class has >= 2) make sklearn
        # guess "regression"; the labels are classes by contract
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        m = clone(model)
        m.fit(X[train], y[train])
        p = np.asarray(m.predict_proba(X[test]), dtype=np.float64)
    out = np.zeros((len(test), n_classes))
    out[:, np.asarray(m.classes_, dtype=np.int64)] = p
    return tag, test, out


def _fit_path(X, y, train, test, n_classes, Cs, scale, max_iter):
    """Logistic regression fitted on ``train`` for each ``C`` in turn, each fit starting
    from the last one's coefficients (a warm-started regularisation path).

    The path stops at the first ``C`` whose log-loss on ``test`` is higher than the one
    before it (past the best regularisation; weaker ones cost the most to fit).
    Returns ``("path", test, [probabilities on test per C tried])``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        Xtr, Xte = X[train], X[test]
        if scale:
            scaler = StandardScaler().fit(Xtr)
            Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
        lr = LogisticRegression(C=float(Cs[0]), max_iter=max_iter, warm_start=True)
        outs = []
        for c in Cs:
            lr.set_params(C=float(c))
            lr.fit(Xtr, y[train])
            out = np.zeros((len(test), n_classes))
            out[:, np.asarray(lr.classes_, dtype=np.int64)] = lr.predict_proba(Xte)
            outs.append(out)
            if len(outs) > 1 and (_log_loss(_normalise(out), y[test])
                                  > _log_loss(_normalise(outs[-2]), y[test])):
                break
    return "path", test, outs


def _normalise(o: np.ndarray) -> np.ndarray:
    sums = o.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return o / sums


def _default_cv(X, y, k, splits, members, kind, n_jobs, advance, max_iter=3000):
    """The default model's out-of-fold probabilities (see :func:`out_of_sample_pred_probs`)."""
    grid = C_GRID[kind]
    scale = kind != "tfidf"
    lr_out = np.zeros((len(y), k))
    mem_out = {name: np.zeros((len(y), k)) for name in members}
    names = list(members)
    tr0, te0 = splits[0]
    # phase 1: the regularisation path on the first fold, and every member on every fold
    jobs = [delayed(_fit_path)(X, y, tr0, te0, k, grid, scale, max_iter)]
    jobs += [delayed(_fit_fold)(members[name], X, y, tr, te, k, name)
             for name in names for tr, te in splits]
    path = None
    for res in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
        if res[0] == "path":
            path = res
        else:
            mem_out[res[0]][res[1]] = res[2]
        advance()
    _, _, path_probs = path
    losses = [_log_loss(_normalise(p), y[te0]) for p in path_probs]
    best = int(np.argmin(losses))  # the path stopped one step past it, or at the grid's end
    lr_out[te0] = path_probs[best]
    # phase 2: the chosen C on the other folds, each fitted from scratch: a start from the
    # first fold's coefficients would carry what that fit learned from these folds' items
    for _, test, outs in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_fit_path)(X, y, tr, te, k, [grid[best]], scale, max_iter)
            for tr, te in splits[1:]):
        lr_out[test] = outs[0]
        advance()
    return _normalise(lr_out), {n: _normalise(o) for n, o in mem_out.items()}, grid[best], \
        {str(c): v for c, v in zip(grid, losses, strict=False)}


def out_of_sample_pred_probs(X, labels, *, model=None, cv: int = 5, random_state: int = 0,
                             n_jobs: int | None = None, class_names=None,
                             progress: bool | None = None, texts=None) -> np.ndarray:
    """Out-of-sample predicted class probabilities by stratified K-fold cross-validation.

    Each item's probabilities come from a copy of ``model`` that never saw it. Folds run
    in parallel through joblib (``n_jobs``), so ``joblib.parallel_config(backend="dask")``
    sends them to a Dask cluster.

    With ``model=None`` (the default):

    - on the first fold, logistic regression (:func:`default_model`) is fitted for the
      ``C`` in :data:`C_GRID`, from the strongest regularisation to the weakest, each fit
      starting from the previous one's coefficients (a warm-started path), until the
      log-loss on that fold's held-out items (against the given labels) rises; the ``C``
      with the lowest is kept (label noise rewards stronger regularisation, and the best
      strength differs per dataset);
    - every other fold gets one fit at that ``C``, from scratch (a start from the first
      fold's coefficients would carry what that fit learned from the other folds' items);
    - dense features: its probabilities are averaged with those of a non-linear member
      (:func:`ensemble_members`: a Platt-scaled RBF-kernel SVM on small problems, a
      distance-weighted 15-nearest-neighbour classifier up to :data:`KNN_MAX_TRAIN`
      training items, none above);
    - sparse (TF-IDF) features: logistic regression alone.

    This costs at most ``len(C_GRID) + folds - 1`` logistic-regression fits (fewer when
    the path stops early, and warm starts make its fits cheap), where choosing ``C`` on
    every fold cost ``len(C_GRID) * folds``.

    Parameters
    ----------
    X : array (n, d), sparse matrix or numeric DataFrame
    labels : int array (n,), classes ``0 .. K-1``
    model : scikit-learn classifier with ``predict_proba``, optional
        Cloned per fold.
    cv : int
        Number of folds; a class smaller than ``cv`` is warned about and keeps them
        (fewer only when every class is smaller, :func:`dataqa.data.effective_folds`).
    random_state : int
        Seed of the fold shuffling.
    n_jobs : int, optional
        Fits run in parallel (joblib semantics).
    class_names : sequence, optional
        Only used to name small classes in messages.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    texts : sequence of n str, optional
        The items' texts. Copies whose labels have no majority (a pair labeled both
        ways) are held out in one fold, so neither is predicted by a model that saw the
        other's label: bit-equal rows of ``X`` always; with ``texts`` also equal texts
        (case and spacing aside) and near copies, texts that share at least half their
        character 3-grams among each other's nearest neighbours (see
        :func:`_copies_together`).

    Returns
    -------
    pred_probs : float ndarray (n, K); columns in class order, rows sum to 1. A class
        missing from a fold's training part gets probability 0 in that fold.
    """
    return cross_val_pred_probs(X, labels, model=model, cv=cv, random_state=random_state,
                                n_jobs=n_jobs, class_names=class_names, progress=progress,
                                texts=texts)[0]


def _row_keys(X) -> np.ndarray:
    """A 64-bit hash of each row of a dense ``X`` (equal rows, equal keys; -0.0 as 0.0),
    built column by column: no temporary of the matrix's size."""
    A = np.asarray(X)
    if A.dtype.kind not in "fiub":
        A = A.astype(np.float64)
    w = np.random.default_rng(20240607).integers(1, 2**63, size=A.shape[1], dtype=np.uint64)
    key = np.zeros(A.shape[0], dtype=np.uint64)
    for j in range(A.shape[1]):
        col = np.ascontiguousarray(A[:, j])
        if col.dtype.kind == "f":
            if col.dtype.itemsize not in (4, 8) or not col.dtype.isnative:
                col = col.astype(np.float64)
            col = col + col.dtype.type(0)  # -0.0 as 0.0
            bits = col.view(np.uint64 if col.dtype.itemsize == 8 else np.uint32)
            bits = bits.astype(np.uint64)
        else:
            bits = col.astype(np.int64).view(np.uint64)
        key += mix64(bits ^ w[j])  # wraps modulo 2**64
    return key


def _no_majority(labels: np.ndarray) -> bool:
    """Whether two or more labels tie as the most common (a pair labeled both ways)."""
    counts = np.bincount(labels)
    return int((counts == counts.max()).sum()) > 1


def _conflicting_copies(X, y: np.ndarray, most: int, texts=None,
                        random_state: int = 0) -> list[np.ndarray]:
    """Sets (row positions, sorted) of copies whose labels have no majority
    (:func:`_no_majority`), of at most ``most`` rows. Copies are bit-equal rows of ``X``;
    with ``texts``, also texts equal after :func:`dataqa.audit.duplicates.normalize_text`
    and near copies (:func:`_near_copy_edges`), joined through each other."""
    from dataqa.audit.neighbors import exact_duplicate_groups

    if texts is not None:
        return _text_copy_sets(X, y, most, texts, random_state)
    if sp.issparse(X):
        candidates = exact_duplicate_groups(X)
    else:  # a hash of every row first; equality checked on the few rows that share one
        key = _row_keys(X)
        _, which, counts = np.unique(key, return_inverse=True, return_counts=True)
        rows = np.flatnonzero(counts[which] > 1)  # rows whose key another row has
        order = rows[np.argsort(key[rows], kind="stable")]
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        candidates = []
        for g in np.split(order, bounds) if len(order) else []:
            if len(g) <= most and _no_majority(y[g]):
                g = np.sort(g)
                candidates += [g[sub] for sub in exact_duplicate_groups(np.asarray(X)[g])]
    return [g for g in candidates if len(g) <= most and _no_majority(y[g])]


#: Nearest neighbours (among the distinct texts, by the cosine of their reduced 3-gram TF-IDF)
#: in which :func:`_near_copy_edges` looks for each text's near copies.
NEAR_COPY_NEIGHBOURS = 10

#: From this many distinct texts :func:`_near_copy_edges` searches approximately (HNSW,
#: :func:`dataqa.audit.neighbors.knn_graph`): the exact search took 12.6 s of 20 s on
#: 20,000 texts of 30 words, and grows as the square of their number.
NEAR_COPY_APPROX_ROWS = 10_000


#: The last search's pairs, by a digest of its texts, labels and seed: an audit asks for
#: them once per model input and once for its conflicting sets (36 s on 100,000 texts).
_LAST_NEAR_COPIES: dict = {}


def _near_copy_edges(y: np.ndarray, texts, random_state: int, key=None):
    """:func:`_search_near_copies`, kept for the next call on the same texts and labels."""
    import hashlib

    from dataqa.audit.duplicates import NEAR_TEXT_MIN_JACCARD

    digest = hashlib.blake2b(np.asarray(y, dtype=np.int64).tobytes(), digest_size=16)
    digest.update(repr((random_state, NEAR_COPY_NEIGHBOURS, NEAR_COPY_APPROX_ROWS,
                        NEAR_TEXT_MIN_JACCARD)).encode())
    for t in texts:
        digest.update(b"\x00" + str(t).encode("utf-8", "surrogatepass"))
    d = digest.hexdigest()
    found = _LAST_NEAR_COPIES.get(d)
    if found is None:
        found = _search_near_copies(y, texts, random_state, key)
        _LAST_NEAR_COPIES.clear()  # (one entry: a later audit's texts replace these)
        _LAST_NEAR_COPIES[d] = found
    return tuple(a.copy() for a in found)


def _search_near_copies(y: np.ndarray, texts, random_state: int, key=None):
    """Pairs of rows (two int arrays) that are copies of one text: equal texts after
    :func:`~dataqa.audit.duplicates.normalize_text` (each joined to the first), and near
    copies: distinct texts among each other's :data:`NEAR_COPY_NEIGHBOURS` nearest (by
    their character 3-grams, TF-IDF reduced to
    :data:`~dataqa.audit.neighbors.REDUCED_DIMS` components, cosine) that share at least
    :data:`~dataqa.audit.duplicates.NEAR_TEXT_MIN_JACCARD` of those 3-grams, the audit's
    rule for near duplicates. The search is in the texts' own 3-grams, not in the model's
    features: numbers beside the text (``tfidf+numeric``) or sentence embeddings could
    put a near copy far away. Only pairs that may disagree
    are checked (labels differ, or either text is labeled two ways), which keeps the
    checks few; so agreeing near copies are not joined: of a chain A-B-C, A labeled
    otherwise than B and C, A and B are a set without a majority where all three would
    have one. ``key``: :func:`_text_keys` of ``texts``, when already made."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dataqa.audit.duplicates import (
        NEAR_TEXT_MIN_JACCARD,
        _jaccard,
        _trigrams,
        normalize_text,
    )
    from dataqa.audit.neighbors import knn_graph, reduce_features

    n = len(y)
    key = _text_keys(texts) if key is None else key
    _, rep = np.unique(key, return_index=True)  # each distinct text's first row
    head = rep[key]
    star = head != np.arange(n)
    src, dst = [np.flatnonzero(star)], [head[star]]
    k = min(NEAR_COPY_NEIGHBOURS, len(rep) - 1)
    if k >= 1:
        lo = np.full(len(rep), np.iinfo(np.int64).max)
        hi = np.full(len(rep), -1)
        np.minimum.at(lo, key, y)
        np.maximum.at(hi, key, y)
        mixed = lo != hi
        # the 3-grams of the normalised texts (as _trigrams takes them; a text shorter
        # than 3 characters has none here and only its exact copies): their sets are
        # made only for the candidate pairs below
        norm = [normalize_text(texts[i]) for i in rep]
        if max(map(len, norm)) < 3:  # (no 3-gram at all: no near copy either)
            return np.concatenate(src), np.concatenate(dst)
        T = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), lowercase=False,
                            binary=True, dtype=np.float32).fit_transform(norm)
        del norm
        Z = reduce_features(T, random_state=random_state)
        graph = knn_graph(Z, k=k, metric="cosine", random_state=random_state,
                          method="approximate" if len(rep) >= NEAR_COPY_APPROX_ROWS
                          else "exact").tocoo()
        a, b = graph.row.astype(np.int64), graph.col.astype(np.int64)
        may = ((y[rep[a]] != y[rep[b]]) | mixed[a] | mixed[b]) & (a != b)
        pairs = np.unique(np.c_[np.minimum(a, b), np.maximum(a, b)][may].reshape(-1, 2),
                          axis=0)
        grams: dict[int, frozenset] = {}

        def g(i: int) -> frozenset:
            if i not in grams:
                grams[i] = _trigrams(texts[rep[i]])
            return grams[i]

        near = np.array([_jaccard(g(i), g(j)) >= NEAR_TEXT_MIN_JACCARD
                         for i, j in pairs.tolist()], dtype=bool)
        if near.any():
            src.append(rep[pairs[near, 0]])
            dst.append(rep[pairs[near, 1]])
    return np.concatenate(src), np.concatenate(dst)


def _text_copy_sets(X, y: np.ndarray, most: int, texts, random_state: int) -> list[np.ndarray]:
    """:func:`_conflicting_copies` with texts: the components of exact and near copies."""
    from dataqa.audit.duplicates import _components
    from dataqa.audit.neighbors import exact_duplicate_groups

    n = len(y)
    texts = list(texts)  # (a Series is read by position)
    if len(texts) != n:
        raise LengthMismatchError(f"texts has {len(texts)} entries but labels has {n}; "
                                  f"give one text per item.")
    key = _text_keys(texts)
    src, dst = _near_copy_edges(y, texts, random_state, key)
    src, dst = [src], [dst]
    for grp in exact_duplicate_groups(X):
        src.append(grp[1:])
        dst.append(np.full(len(grp) - 1, grp[0]))
    comp = _components(n, np.concatenate(src), np.concatenate(dst))
    sizes = np.bincount(comp, minlength=n)
    rows = np.flatnonzero(sizes[comp] > 1)
    order = rows[np.argsort(comp[rows], kind="stable")]
    bounds = np.flatnonzero(np.diff(comp[order])) + 1
    sets = [np.sort(s) for s in (np.split(order, bounds) if len(order) else [])]
    sets = [s for s in sets if len(s) <= most and _no_majority(y[s])]
    # exact copies on their own where their set of near copies is too large or has a
    # majority (texts of a few words chain into large sets): held out as without texts
    covered = np.zeros(n, dtype=bool)
    for s in sets:
        covered[s] = True
    for grp in [*exact_duplicate_groups(X), *_key_groups(key)]:
        if len(grp) <= most and not covered[grp].any() and _no_majority(y[grp]):
            sets.append(np.sort(grp))
            covered[grp] = True
    sets.sort(key=lambda s: int(s[0]))
    return sets


def _text_keys(texts) -> np.ndarray:
    """An int per text, equal for texts equal after
    :func:`~dataqa.audit.duplicates.normalize_text`."""
    from dataqa.audit.duplicates import normalize_text

    norm = pd.Series([normalize_text(t) for t in texts], dtype=object)
    return pd.factorize(norm)[0].astype(np.int64)


def _key_groups(key: np.ndarray) -> list[np.ndarray]:
    """Groups (row positions) of two or more rows with equal ``key``."""
    rows = np.flatnonzero(np.bincount(key)[key] > 1)
    order = rows[np.argsort(key[rows], kind="stable")]
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    return np.split(order, bounds) if len(order) else []


def _copies_together(splits: list, X, y: np.ndarray, texts=None,
                     random_state: int = 0) -> tuple[list, int]:
    """``splits`` with each set of copies (bit-equal rows of ``X``; with ``texts``, also
    equal and near-copy texts, see :func:`_near_copy_edges`) whose labels have no majority
    held out in one fold, the fold of its first row, and the number of rows moved.

    A training copy labeled otherwise decides an item's prediction: a distance-weighted
    nearest-neighbour member gives it, at distance 0, all the weight, so the correct one
    of two copies labeled differently was predicted as the other's label (digits with 10
    copies relabelled: 8 of the 10 correct originals flagged, each with the copy's wrong
    label suggested). Held out together, each copy gets the model's view from the other
    items, and the set's votes are pooled later (:func:`dataqa.audit.duplicates.
    duplicate_label_issue_score`). A set with a majority label stays spread: its copies'
    labels are the best evidence of what the others should be (a message repeated 18
    times with one copy relabelled, held out together, left the model nothing like it to
    learn from and the relabelled copy unflagged), as do copies that agree. So does a
    set larger than a fold's share (a table of few distinct values), and a set whose
    move would take the last training item of a class from a fold, or empty a fold's
    held-out part.

    Near copies of a text count as copies: YouTube comments with 20 planted near copies
    (one character changed, the other label), scored by the default model: the correct
    originals' mean out-of-sample probability of their label rose from 0.57 to 0.85 once
    each pair was held out together, and :func:`dataqa.audit.find_label_issues` flagged 3
    of them before, none after (one draw)."""
    n, folds = X.shape[0], len(splits)
    groups = _conflicting_copies(X, y, n // max(folds, 1), texts, random_state)
    if not groups:
        return splits, 0
    k = int(y.max()) + 1
    fold = np.empty(n, dtype=np.int64)
    for f, (_, test) in enumerate(splits):
        fold[test] = f
    held = np.zeros((folds, k), dtype=np.int64)  # held-out items of each class, per fold
    np.add.at(held, (fold, y), 1)
    total = held.sum(axis=0)
    moved = 0
    for g in groups:
        to = fold[g[0]]
        after = held.copy()
        np.add.at(after, (fold[g], y[g]), -1)
        np.add.at(after, (np.full(len(g), to), y[g]), 1)
        trained = total[None, :] - after
        # no class may leave a fold's training part it was in, no held-out part may empty
        if ((trained < 1) & (total[None, :] - held >= 1)).any() or (after.sum(1) == 0).any():
            continue
        moved += int((fold[g] != to).sum())
        fold[g], held = to, after
    rows = np.arange(n)
    return [(rows[fold != f], rows[fold == f]) for f in range(folds)], moved


def cross_val_pred_probs(X, labels, *, model=None, cv: int = 5, random_state: int = 0,
                         n_jobs: int | None = None, class_names=None,
                         progress: bool | None = None,
                         texts=None) -> tuple[np.ndarray, dict]:
    """:func:`out_of_sample_pred_probs` that also returns what it did.

    Returns
    -------
    pred_probs : ndarray (n, K)
    info : dict with ``folds``, ``copies_held_out_together`` (rows moved to the held-out
        part of their first copy's fold: exact or, with ``texts``, near copies whose
        labels have no majority, see :func:`_copies_together`), ``model`` and, for
        the default model, ``C``, the
        ``log_loss`` of every ``C`` tried on the first fold's held-out items (the path
        stops one ``C`` past the best) and the
        out-of-sample ``ensemble_log_loss`` of the returned probabilities.
    """
    X = _as_matrix(X)
    y, k = check_labels(labels)
    if X.shape[0] != len(y):
        raise LengthMismatchError(f"X has {X.shape[0]} rows but labels has {len(y)} entries; "
                                  f"give one label per row.")
    if len(np.unique(y)) < 2:
        raise LabelError("labels hold a single class; out-of-sample probabilities need at "
                         "least two classes.")
    if model is not None and not hasattr(model, "predict_proba"):
        raise InvalidSettingError(f"model {type(model).__name__} has no predict_proba; use a "
                                  f"probabilistic classifier (or wrap it in CalibratedClassifierCV).")
    names = list(class_names) if class_names is not None else list(range(k))
    folds = effective_folds(y, names, cv)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        # a class smaller than the folds is said by effective_folds
        warnings.filterwarnings("ignore", message="The least populated class in y has only")
        splits = list(splitter.split(np.zeros(len(y)), y))
    if texts is None:
        splits, moved = _copies_together(splits, X, y)
    else:
        with progress_stage("near copies of the texts", enabled=progress):
            splits, moved = _copies_together(splits, X, y, texts, random_state)
    info: dict = {"folds": folds, "copies_held_out_together": moved}
    if model is None:
        kind = "tfidf" if sp.issparse(X) else "numeric"
        min_train = min(int(np.bincount(y[tr], minlength=k)[np.unique(y)].min())
                        for tr, _ in splits)
        n_train = int(len(y) * (folds - 1) / folds)
        if moved:  # (a fold whose copies moved in trains on fewer items)
            n_train = min(n_train, min(len(tr) for tr, _ in splits))
        members = ensemble_members(kind, n_train,
                                   random_state=random_state, min_class_train=min_train,
                                   n_classes=int(len(np.unique(y))))
        total = folds * (1 + len(members))
        label = "logistic regression" + "".join(f" + {m}" for m in members)
        with progress_task(f"cross-validating {label} ({folds} folds)", total,
                           enabled=progress) as advance:
            lr, mem, c_best, losses = _default_cv(X, y, k, splits, members, kind, n_jobs,
                                                  lambda: advance())
        pred_probs = np.mean([lr, *mem.values()], axis=0)
        desc = f"logistic regression (C={c_best}, chosen on fold 1)"
        if members:
            desc += " + " + " + ".join(members)
        info.update(model=desc, C=c_best, log_loss=losses,
                    ensemble_log_loss=_log_loss(pred_probs, y))
        return pred_probs, info
    out = np.zeros((len(y), k))
    with progress_task(f"cross-validating {type(model).__name__} ({folds} folds)", folds,
                       enabled=progress) as advance:
        jobs = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_fit_fold)(model, X, y, tr, te, k, 0) for tr, te in splits)
        for _, test, p in jobs:
            out[test] = p
            advance()
    info["model"] = type(model).__name__
    return _normalise(out), info
