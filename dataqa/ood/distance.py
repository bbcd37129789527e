"""Feature-space detectors: Mahalanobis distance and k-th nearest-neighbour distance.

scikit-learn estimators (``BaseEstimator``, so ``clone`` and ``get_params`` work): settings
are keyword-only and only stored by ``__init__``, ``fit`` returns ``self``, learned state
ends in ``_``, ``score`` before ``fit`` raises :class:`dataqa.errors.NotFittedError`.
Scores have shape (n,), **higher = more out-of-distribution**.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator

from dataqa._validation import as_2d_float, check_int
from dataqa.errors import (
    InvalidSettingError,
    LengthMismatchError,
    NotFittedError,
    OODInputError,
)

__all__ = ["MahalanobisDetector", "KNNDetector"]


def _as_sparse_float(x, name: str) -> sp.csr_matrix:
    """A scipy sparse ``x`` as a finite float64 CSR matrix with at least one row and column."""
    X = sp.csr_matrix(x, dtype=np.float64)
    if X.shape[0] == 0:
        raise OODInputError(f"{name} has no rows; pass at least one item.")
    if X.shape[1] == 0:
        raise OODInputError(f"{name} needs at least 1 columns; got shape {X.shape}.")
    if not np.isfinite(X.data).all():
        rows = np.unique(np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[~np.isfinite(X.data)])
        raise OODInputError(
            f"{name} holds NaN or infinite values in {len(rows)} row(s) (first rows: "
            f"{rows[:5].tolist()}); remove or impute them first.")
    return X


def _record_names(est, features) -> None:
    """After a fit: keep the column names of DataFrame ``features`` (``feature_names_in_``),
    so that :func:`_by_fitted_names` can put a scored frame's columns in the fitted order;
    none when they repeat (columns are then matched by position)."""
    names = ([str(c) for c in features.columns] if isinstance(features, pd.DataFrame)
             else None)
    if names is not None and len(set(names)) == len(names):
        est.feature_names_in_ = np.asarray(names, dtype=object)
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_


def _by_fitted_names(est, features):
    """A DataFrame ``features`` with its columns in the order of the fitted frame's (scored
    by position, a frame whose columns came in another order gave wrong distances without
    a word); a frame with other columns is refused, naming them. Arrays pass as they are."""
    names = getattr(est, "feature_names_in_", None)
    if names is None or not isinstance(features, pd.DataFrame):
        return features
    have = [str(c) for c in features.columns]
    if have == list(names):
        return features
    have_set, names_set = set(have), set(names)
    missing = [n for n in names if n not in have_set]
    extra = [c for c in have if c not in names_set]
    repeated = sorted({c for c in have if have.count(c) > 1}) if len(have_set) < len(have) \
        else []
    if missing or extra or repeated:
        why = "; ".join(part for part in (
            f"missing: {missing[:5]!r}" if missing else "",
            f"not fitted: {extra[:5]!r}" if extra else "",
            f"repeated: {repeated[:5]!r}" if repeated else "") if part)
        raise OODInputError(
            f"features have columns {have[:8]!r}{' ...' if len(have) > 8 else ''}, but "
            f"{type(est).__name__} was fitted on {list(names)[:8]!r}"
            f"{' ...' if len(names) > 8 else ''} ({why}); pass features with the fitted "
            f"columns.")
    return features.set_axis(have, axis=1)[list(names)]


def _check_dim(est, features: np.ndarray) -> None:
    if features.shape[1] != est.n_features_in_:
        raise OODInputError(
            f"features have {features.shape[1]} columns but {type(est).__name__} was fitted on "
            f"{est.n_features_in_}; pass features from the same extractor."
        )


class MahalanobisDetector(BaseEstimator):
    """Minimum Mahalanobis distance to the class means, with one shared covariance.

    ``score(x) = min_k sqrt((x - mu_k)^T Sigma_r^-1 (x - mu_k))``, with ``mu_k`` the class
    means of the fitted features and ``Sigma`` their pooled within-class covariance.
    Higher = more OOD. Memory is O(n K + d^2); no n x n matrix is formed.

    A singular ``Sigma`` (constant features, more features than items, collinear
    columns) is regularised, not pseudo-inverted: every eigenvalue below
    ``tol * max eigenvalue`` is raised to the smallest eigenvalue above it, so moving away
    along a direction in which the fitted features never varied still raises the score
    (a pseudo-inverse would ignore such moves and score far-away points 0). On a full-rank
    ``Sigma`` this is the exact Mahalanobis distance. Features with no within-class
    spread at all (every column constant, or one item per class) are refused.
    ``n_regularised_`` counts the directions that were regularised.

    Lee et al., "A Simple Unified Framework for Detecting Out-of-Distribution Samples and
    Adversarial Attacks", NeurIPS 2018.

    Parameters
    ----------
    tol : float, relative eigenvalue below which a direction counts as having no spread.
    chunk_size : int, rows scored at a time.
    """

    def __init__(self, *, tol: float = 1e-10, chunk_size: int = 8192) -> None:
        self.tol = tol
        self.chunk_size = chunk_size

    def fit(self, features, labels=None) -> MahalanobisDetector:
        """Fit class means and the shared covariance.

        Parameters
        ----------
        features : array (n, d) of in-distribution features
        labels : array (n,) of class numbers or names, or None (one Gaussian for all items)
        """
        check_int(self.chunk_size, "chunk_size")
        X = as_2d_float(features, "fit_features")
        if labels is None:
            y = np.zeros(len(X), dtype=np.int64)
        else:
            y = np.asarray(labels)
            if y.ndim != 1 or len(y) != len(X):
                raise LengthMismatchError(
                    f"fit_labels must have shape ({len(X)},) to match fit_features; got {y.shape}."
                )
            # labels only group the items: class numbers, whole or not, or names
            if y.dtype.kind not in "iubfUSO":
                raise OODInputError(f"fit_labels must be class numbers or names; got dtype "
                                    f"{y.dtype}.")
            missing = np.asarray(pd.isna(y), dtype=bool).ravel()
            if missing.any():
                raise OODInputError(
                    f"fit_labels has {int(missing.sum())} missing value(s) (first at row "
                    f"{int(np.flatnonzero(missing)[0])}); give every fitted item its class.")
        if y.dtype.kind == "O":
            # equal values are one class (1 and 1.0), distinct types stay apart (1 and "1")
            try:
                inv, classes = pd.factorize(y, sort=True)
            except TypeError:  # names and numbers mixed: first-seen order
                inv, classes = pd.factorize(y, sort=False)
            classes = np.asarray(classes, dtype=object)
        else:
            classes, inv = np.unique(y, return_inverse=True)
        counts = np.bincount(inv)
        if labels is not None and counts.max() < 2:
            raise InvalidSettingError(
                f"MahalanobisDetector: every class of fit_labels has a single item ({len(X)} "
                f"items, {len(classes)} classes), so there is no within-class spread to measure "
                f"distance with; give at least 2 items for some classes, or fit without labels."
            )
        # measured from the features' mean: a large offset (a column of values near 1e7)
        # would otherwise cost the distances their precision (|z|^2 - 2 z.m + |m|^2)
        centre = X.mean(axis=0)
        Xc = X - centre
        means = np.zeros((len(classes), X.shape[1]))
        np.add.at(means, inv, Xc)
        means /= counts[:, None]
        centred = Xc - means[inv]
        cov = centred.T @ centred / len(X)
        w, v = np.linalg.eigh(cov)
        scale = max(np.abs(X).max(), np.finfo(float).tiny)
        # rounding leaves deviations of order eps * scale on constant data (a column of
        # 1e7 varying by 1 does vary): eigenvalues of order (eps * scale)^2
        if w.max() <= (64 * np.finfo(float).eps * scale) ** 2:
            raise InvalidSettingError(
                f"MahalanobisDetector: fit_features do not vary"
                f"{' within classes' if labels is not None else ''} (every one of the "
                f"{X.shape[1]} columns is constant), so the covariance is zero and distances are "
                f"undefined; fit on features that vary, or use the 'knn' method."
            )
        keep = w > float(self.tol) * w.max()
        # directions without spread get the smallest variance seen, so distance keeps growing
        w_used = np.where(keep, w, w[keep].min())
        # whitening map W (d, d): ||(x - mu) W||^2 = (x - mu)^T Sigma_r^-1 (x - mu)
        self.whiten_ = v / np.sqrt(w_used)
        self.n_regularised_ = int((~keep).sum())
        self.classes_ = classes
        self.means_ = means + centre
        self.centre_ = centre
        self.covariance_ = cov
        self.whitened_means_ = means @ self.whiten_
        self.n_features_in_ = X.shape[1]
        _record_names(self, features)
        return self

    def score(self, features) -> np.ndarray:
        """Minimum Mahalanobis distance (n,) to the fitted class means; higher = more OOD."""
        if not hasattr(self, "whiten_"):
            raise NotFittedError("MahalanobisDetector is not fitted; call fit(features, labels) first.")
        X = as_2d_float(_by_fitted_names(self, features), "features")
        _check_dim(self, X)
        m = self.whitened_means_
        m2 = (m ** 2).sum(axis=1)
        out = np.empty(len(X))
        for s in range(0, len(X), self.chunk_size):
            # (a detector fitted before centring was added has no centre_: measured from 0)
            z = (X[s:s + self.chunk_size] - getattr(self, "centre_", 0.0)) @ self.whiten_
            d2 = (z ** 2).sum(axis=1)[:, None] - 2 * z @ m.T + m2[None, :]
            out[s:s + self.chunk_size] = np.sqrt(np.clip(d2.min(axis=1), 0, None))
        return out



#: Candidates beyond ``k`` that :class:`KNNDetector` re-measures in float64, so that
#: float32 rounding among near-duplicates does not decide which is the k-th neighbour.
_KNN_EXTRA = 8


class KNNDetector(BaseEstimator):
    """Distance to the k-th nearest fitted (in-distribution) feature vector.

    With ``normalize=True`` features are scaled to unit L2 norm first, as in Sun et al.,
    "Out-of-Distribution Detection with Deep Nearest Neighbors", ICML 2022. Higher = more
    OOD. Scoring runs in chunks of ``query_chunk x fit_chunk`` distances, so memory stays
    bounded (about 64 MB of distances at the defaults, twice that for the queries picked
    again in float64) even against 1,000,000 x 512 fitted features. Scoring the fitted
    items themselves counts each item as its own neighbour.

    With ``normalize=True`` an all-zero feature vector has no direction: it is taken to be
    2.0, the largest distance between unit vectors, from every other vector (an item with
    no known word is as unfamiliar as it gets), whether fitted or scored; before, it sat
    at 1.0 from everything and a fitted one capped every score at 1.0. Without it, distances
    are measured after subtracting the fitted features' median, and the features are kept in
    float64 (float32 rounded a column near 1e4 to 1e-3 before any distance was taken), so
    the fitted features take twice the memory of the normalised ones.

    Candidate neighbours are picked by the float32 expansion ``|q|^2 + |f|^2 - 2 q.f`` and
    re-measured from their differences in float64. Where float32 rounding could have left
    a true neighbour out (the candidates' distances closer together than its rounding
    bound: near duplicates, tight clusters, rows far from the origin), that row's
    candidates are picked again in float64; tightly clustered features then take up to
    about three times as long to score.

    Sparse features (a scipy sparse matrix: TF-IDF, say) are taken as they are, in float64,
    without ever building the dense matrix: a 5,574-text, 50,502-word TF-IDF matrix made
    dense took 3.2 GB. Without ``normalize`` they are not centred (that would fill them),
    which keeps their precision since they are near the origin. Dense queries against
    sparse fitted features, and the reverse, are accepted; the distances are those of the
    dense computation up to rounding.

    Parameters
    ----------
    k : int >= 1, which neighbour's distance is the score.
    normalize : bool, L2-normalise features before measuring distance.
    query_chunk, fit_chunk : int, chunk sizes of the distance computation.
    """

    #: fit and score take scipy sparse matrices as they are
    accepts_sparse = True

    def __init__(self, *, k: int = 50, normalize: bool = True, query_chunk: int = 1024,
                 fit_chunk: int = 16384) -> None:
        self.k = k
        self.normalize = normalize
        self.query_chunk = query_chunk
        self.fit_chunk = fit_chunk

    def _prep(self, X: np.ndarray) -> torch.Tensor:
        """Features as measured: unit rows in float32 with ``normalize``, else centred on
        the fitted median in float64 (float32 would round a column near 1e4 to 1e-3, or a
        timestamp to tens of seconds, before any distance is taken)."""
        if not self.normalize:  # distances do not move; the digits are kept near 0
            X = np.asarray(X, dtype=np.float64) - self.center_
            return torch.from_numpy(np.ascontiguousarray(X))
        t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        return t / t.norm(dim=1, keepdim=True).clamp_min(1e-12)

    def fit(self, features, labels=None) -> KNNDetector:
        """Store the (normalised) in-distribution features (n, d); ``labels`` is ignored."""
        k = check_int(self.k, "k")
        check_int(self.query_chunk, "query_chunk")
        check_int(self.fit_chunk, "fit_chunk")
        if sp.issparse(features):
            self._fit_sparse(_as_sparse_float(features, "fit_features"), k)
            _record_names(self, features)
            return self
        self.sparse_ = False
        X = as_2d_float(features, "fit_features")
        # (the median, not the mean: one far row, a sentinel at 1e12, moved the mean so far
        # that every distance lost its digits, float64 included)
        self.center_ = np.zeros(X.shape[1]) if self.normalize else np.median(X, axis=0)
        if k > len(X):
            raise InvalidSettingError(f"k={k} is larger than the {len(X)} fitted items; lower k.")
        self.zero_fitted_ = (torch.from_numpy(~np.any(X != 0, axis=1)) if self.normalize
                             else torch.zeros(len(X), dtype=torch.bool))
        self.features_ = self._prep(X)
        self.sq_norms_ = (self.features_.double() ** 2).sum(dim=1)
        self.n_features_in_ = X.shape[1]
        _record_names(self, features)
        return self

    def score(self, features) -> np.ndarray:
        """Distance (n,) to the k-th nearest fitted feature; higher = more OOD."""
        if not hasattr(self, "features_"):
            raise NotFittedError("KNNDetector is not fitted; call fit(features) first.")
        features = _by_fitted_names(self, features)
        if getattr(self, "sparse_", False):
            return self._score_sparse(features)
        if sp.issparse(features):  # dense fitted features: the queries densified chunk by chunk
            Xs = _as_sparse_float(features, "features")
            _check_dim(self, Xs)
            step = self.query_chunk
            return np.concatenate([self.score(Xs[s:s + step].toarray())
                                   for s in range(0, Xs.shape[0], step)])
        X = as_2d_float(features, "features")
        _check_dim(self, X)
        k, F_ = self.k, self.features_
        out = np.empty(len(X))
        zero = getattr(self, "zero_fitted_", None)
        kc = min(k + _KNN_EXTRA, len(F_))  # candidates, re-measured below
        # float32 rounding of one expanded squared distance, at most (unit roundoff times
        # the terms summed; the dot product's error grows with d)
        unit = (X.shape[1] + 4) * 2.0 ** -24
        for qs in range(0, len(X), self.query_chunk):
            q = self._prep(X[qs:qs + self.query_chunk])
            best, best_at = self._candidates(q, kc, torch.float32)
            if kc < len(F_):
                # The float32 expansion |q|^2 + |f|^2 - 2 q.f picks the candidates. A true
                # neighbour left out would read at most its rounding bound above the k-th
                # candidate's own bound; where the last candidate is not that far above it
                # (near duplicates, or rows far from the origin: two clusters at +-1e4 read
                # 0.04 for 0.02), the candidates are picked again in float64. The bound of
                # a row that may be a neighbour follows from its norm, at most |q| plus
                # the k-th distance (one far fitted row does not widen every query's).
                q2 = (q.double() ** 2).sum(dim=1)
                n2c = self.sq_norms_[best_at[:, :k]].double().max(dim=1).values
                tk = (best[:, k - 1].double() + unit * (q2 + n2c)).clamp_min(0)
                n2_nb = torch.minimum((q2.sqrt() + tk.sqrt()) ** 2,
                                      self.sq_norms_.max().double())
                risky = (best[:, -1].double() - best[:, k - 1].double()
                         <= unit * (2 * q2 + n2c + n2_nb))
                if risky.any():
                    best_at[risky] = self._candidates(q[risky], kc, torch.float64)[1]
            # Their distances are then taken from the differences themselves, in float64,
            # and the k-th smallest kept: an item's distance to an identical fitted row is
            # exactly 0 (the expansion left 3-5e-4 of float32 rounding, which ranked
            # near-duplicates by noise and could put a near-duplicate before the identical
            # row).
            qd = q.double()
            cand = torch.empty(best_at.shape, dtype=torch.float64)
            for j in range(best_at.shape[1]):  # one candidate column at a time: n x d memory
                cand[:, j] = (qd - F_[best_at[:, j]].double()).pow(2).sum(dim=1)
                if zero is not None and zero.any():
                    cand[zero[best_at[:, j]], j] = 4.0  # no direction: as far as can be
            dist = torch.kthvalue(cand, k, dim=1).values.sqrt()
            out[qs:qs + len(q)] = dist.numpy()
        if self.normalize:  # no direction: farther than any unit vector can be
            out[~np.any(X != 0, axis=1)] = 2.0
        return out

    def _candidates(self, q: torch.Tensor, kc: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``kc`` smallest expanded squared distances from each row of ``q`` to the
        fitted features (ascending), computed in ``dtype``, and their fitted rows."""
        F_, n2, zero = self.features_, self.sq_norms_, getattr(self, "zero_fitted_", None)
        q = q.to(dtype)
        q2 = (q ** 2).sum(dim=1, keepdim=True)
        best, best_at = None, None
        for fs in range(0, len(F_), self.fit_chunk):
            block = F_[fs:fs + self.fit_chunk].to(dtype)
            d2 = q2 + n2[fs:fs + self.fit_chunk].to(dtype)[None, :] - 2.0 * (q @ block.T)
            if zero is not None and zero[fs:fs + self.fit_chunk].any():
                d2[:, zero[fs:fs + self.fit_chunk]] = 4.0  # no direction: as far as can be
            kk = min(kc, d2.shape[1])
            part, at = torch.topk(d2, kk, dim=1, largest=False)
            at = at + fs
            if best is None:
                best, best_at = part, at
            else:
                best, pick = torch.topk(torch.cat([best, part], dim=1),
                                        min(kc, best.shape[1] + kk), dim=1, largest=False)
                best_at = torch.gather(torch.cat([best_at, at], dim=1), 1, pick)
        return best, best_at

    # ------------------------------------------------------------------ sparse features

    def _unit_rows(self, X: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
        """``X`` with rows scaled to unit norm when ``normalize``, and which rows are zero."""
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        zero = norms == 0
        if self.normalize:
            X = sp.csr_matrix(sp.diags(np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, norms))) @ X)
        return X, zero

    def _fit_sparse(self, X: sp.csr_matrix, k: int) -> KNNDetector:
        if k > X.shape[0]:
            raise InvalidSettingError(
                f"k={k} is larger than the {X.shape[0]} fitted items; lower k.")
        self.sparse_ = True
        self.center_ = np.zeros(X.shape[1])
        F, zero = self._unit_rows(X)
        self.features_ = F
        # unit rows have norm 1 (not 1 +- rounding): rows with no common word are then
        # exactly sqrt(2) apart, a true tie that selection breaks at random
        self.sq_norms_ = (np.where(zero, 0.0, 1.0) if self.normalize
                          else np.asarray(F.multiply(F).sum(axis=1)).ravel())
        self.zero_fitted_ = zero if self.normalize else np.zeros(X.shape[0], dtype=bool)
        self.n_features_in_ = X.shape[1]
        return self

    def _score_sparse(self, features) -> np.ndarray:
        """:meth:`score` against sparse fitted features, in float64."""
        if sp.issparse(features):
            X = _as_sparse_float(features, "features")
        else:
            X = sp.csr_matrix(as_2d_float(features, "features"))
        _check_dim(self, X)
        k, F, n2, zero_fit = self.k, self.features_, self.sq_norms_, self.zero_fitted_
        out = np.empty(X.shape[0])
        zero_query = np.zeros(X.shape[0], dtype=bool)
        for qs in range(0, X.shape[0], self.query_chunk):
            q, zq = self._unit_rows(X[qs:qs + self.query_chunk])
            zero_query[qs:qs + q.shape[0]] = zq
            q2 = (np.where(zq, 0.0, 1.0) if self.normalize
                  else np.asarray(q.multiply(q).sum(axis=1)).ravel())
            best_d = best_i = None
            kc = k + _KNN_EXTRA  # candidates, re-measured below
            for fs in range(0, F.shape[0], self.fit_chunk):
                block = F[fs:fs + self.fit_chunk]
                size = q2[:, None] + n2[fs:fs + block.shape[0]][None, :]
                d2 = size - 2.0 * (q @ block.T).toarray()
                d2[:, zero_fit[fs:fs + block.shape[0]]] = 4.0  # no direction: as far as can be
                kk = min(kc, d2.shape[1])
                at = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
                bd, bi = np.take_along_axis(d2, at, axis=1), at + fs
                if best_d is not None:
                    bd, bi = np.concatenate([best_d, bd], axis=1), np.concatenate([best_i, bi], axis=1)
                    kk = min(kc, bd.shape[1])
                    at = np.argpartition(bd, kk - 1, axis=1)[:, :kk]
                    bd, bi = np.take_along_axis(bd, at, axis=1), np.take_along_axis(bi, at, axis=1)
                best_d, best_i = bd, bi
            # |q|^2 + |f|^2 - 2 q.f picks the candidates; the squared distances of those
            # sharing a word are then summed from the differences themselves, so a duplicate
            # is at exactly 0 however many entries its rows hold (the expansion leaves float64
            # rounding there); those sharing none keep |q|^2 + |f|^2, so that texts with no
            # word in common with any fitted one tie exactly
            cand = best_d.copy()
            apart = best_d == q2[:, None] + n2[best_i]
            for j in range(best_i.shape[1]):  # one candidate column at a time
                diff = q - F[best_i[:, j]]
                shared = ~apart[:, j] & ~zero_fit[best_i[:, j]]
                cand[shared, j] = np.asarray(diff.multiply(diff).sum(axis=1)).ravel()[shared]
            out[qs:qs + q.shape[0]] = np.sqrt(np.partition(cand, k - 1, axis=1)[:, k - 1])
        if self.normalize:
            out[zero_query] = 2.0
        return out
