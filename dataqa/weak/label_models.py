"""Label models: turn the LF votes ``L`` (n, m) into probabilistic labels (n, K).

- :class:`MajorityVote`: vote counts, normalised.
- :class:`DawidSkene`: EM over one confusion matrix per LF (Dawid & Skene, 1979), written
  here; abstaining is modelled as an outcome of its own.
- :class:`SnorkelLabelModel`: Snorkel's ``LabelModel``, with the caller's global random
  state (``random``, NumPy's legacy generator, torch) saved and restored around it.
- :func:`fit_label_model` with ``method="auto"`` fits all three (and Snorkel given the
  dev labels' class balance) and keeps the one that scores best on a labeled dev set,
  saying which and why.

Every model is a scikit-learn estimator (:class:`BaseLabelModel`: ``clone`` and
``get_params`` work, ``fit(L)`` returns the model, learned state ends in ``_``) with
``predict_proba(L) -> (n, K)`` (rows with no vote get the fitted class prior) and
``predict(L) -> (n,)`` (-1 where every LF abstains).
"""

from __future__ import annotations

import contextlib
import random
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from dataqa._validation import check_gold_labels, check_int, check_label_matrix
from dataqa.errors import (
    InvalidSettingError,
    LengthMismatchError,
    MissingInputError,
    NotFittedError,
    UnknownNameError,
)
from dataqa.types import ABSTAIN

__all__ = [
    "LABEL_MODELS",
    "METRICS",
    "BaseLabelModel",
    "MajorityVote",
    "DawidSkene",
    "SnorkelLabelModel",
    "AutoLabelModel",
    "fit_label_model",
    "register_label_model",
    "preserve_global_random_state",
    "check_label_matrix",
    "check_gold_labels",
    "check_random_state",
    "silent_classes",
]


@contextlib.contextmanager
def preserve_global_random_state() -> Iterator[None]:
    """Save ``random``, NumPy's legacy global RNG and torch's RNG; restore them on exit."""
    py_state = random.getstate()
    np_state = np.random.get_state()
    torch_state = cuda_state = None
    try:
        import torch

        torch_state = torch.get_rng_state()
        if torch.cuda.is_available():
            cuda_state = torch.cuda.get_rng_state_all()
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None  # type: ignore[assignment]
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if torch_state is not None:
            torch.set_rng_state(torch_state)
        if cuda_state is not None:
            torch.cuda.set_rng_state_all(cuda_state)


def _check_cardinality(cardinality: Any) -> int:
    return check_int(cardinality, "cardinality", minimum=2,
                     message=f"cardinality={cardinality!r} must be an int >= 2.")


#: Largest seed Snorkel's LabelModel (NumPy's legacy seeding) accepts.
SEED_MAX = 2**32 - 1


def check_random_state(random_state: Any, *, cli: bool = False) -> int | np.random.Generator | None:
    """Check ``random_state``: an int seed in 0..2**32 - 1, ``None`` (a fresh seed drawn
    from the operating system at each fit) or a :class:`numpy.random.Generator` (the seed
    is drawn from it at each fit). Bools, floats and other types are refused.

    ``cli`` words the message for the ``--random-state`` flag.
    """
    if random_state is None or isinstance(random_state, np.random.Generator):
        return random_state
    if (isinstance(random_state, bool) or not isinstance(random_state, int | np.integer)
            or not 0 <= int(random_state) <= SEED_MAX):
        if cli:
            raise InvalidSettingError(
                f"--random-state {random_state} must be an integer in 0..{SEED_MAX} (2**32 - 1), "
                f"the seed of Snorkel's LabelModel; e.g. --random-state 0.")
        raise InvalidSettingError(
            f"random_state={random_state!r} must be an integer in 0..{SEED_MAX} (2**32 - 1) "
            f"(the seed of Snorkel's LabelModel), None for a fresh seed at each fit, or a "
            f"numpy.random.Generator to draw the seed from.")
    return int(random_state)


def draw_seed(random_state: Any) -> int:
    """The int seed a fit uses: ``random_state`` itself, one drawn from a Generator, or
    (``None``) one drawn from the operating system's entropy. Leaves global state alone."""
    random_state = check_random_state(random_state)
    if random_state is None:
        random_state = np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, SEED_MAX, endpoint=True))
    return random_state


def silent_classes(L: np.ndarray, cardinality: int) -> list[int]:
    """Classes above every vote in ``L`` (none when ``L`` holds no vote): no LF votes for
    them on any row, so no label model can tell them apart. A class below the largest vote
    without votes of its own (0, with LFs that only vote 1) is not one of them: LFs that
    abstain on it describe it."""
    votes = L[L >= 0]
    if votes.size == 0:
        return []
    return list(range(max(int(votes.max()) + 1, 2), cardinality))


def _one_hot_votes(L: np.ndarray, K: int) -> np.ndarray:
    """(n, m, K) 0/1 array: ``[i, j, k] = 1`` iff LF j voted k on row i."""
    out = np.zeros(L.shape + (K,), dtype=np.float64)
    i, j = np.nonzero(L >= 0)
    out[i, j, L[i, j]] = 1.0
    return out


class _Votes:
    """The votes of ``L`` (n, m) as a sparse 0/1 matrix ``S`` (n, m * K): row i has a one
    in column ``j * K + l`` where LF j votes l. It stands for the outcome one-hots (n, m,
    K + 1) (the abstentions are what the votes leave), in memory and time proportional to
    the votes, not to n * m * (K + 1)."""

    def __init__(self, L: np.ndarray, K: int) -> None:
        from scipy import sparse

        self.n, self.m, self.k = L.shape[0], L.shape[1], K
        i, j = np.nonzero(L >= 0)
        cols = j * K + L[i, j]
        self.S = sparse.csr_matrix((np.ones(len(i)), (i, cols)), shape=(self.n, self.m * K))
        self.ST = self.S.T.tocsr()
        # votes per row and class (majority vote's counts)
        self.counts = np.zeros((self.n, K))
        np.add.at(self.counts, (i, L[i, j]), 1.0)

    def log_likelihood(self, log_conf: np.ndarray) -> np.ndarray:
        """(n, k): ``sum_j log_conf[j, c, outcome_ij]``, from the confusions' logs (m, k,
        k + 1): every LF's abstention, plus each vote's difference from it."""
        abstain = log_conf[:, :, self.k]  # (m, k)
        diff = log_conf[:, :, :self.k] - abstain[:, :, None]  # (m, k true, k voted)
        D = diff.transpose(0, 2, 1).reshape(self.m * self.k, self.k)  # (j, voted) x true
        return abstain.sum(axis=0)[None, :] + self.S @ D

    def outcome_weights(self, T: np.ndarray) -> np.ndarray:
        """(m, k, k + 1): ``sum_i T[i, c] * onehot[i, j, l]``, the expected outcome
        counts of each LF per true class."""
        votes = (self.ST @ T).reshape(self.m, self.k, T.shape[1]).transpose(0, 2, 1)
        abstain = T.sum(axis=0)[None, :] - votes.sum(axis=2)  # (m, k)
        return np.concatenate([votes, np.maximum(abstain, 0.0)[:, :, None]], axis=2)


class BaseLabelModel(BaseEstimator):
    """Base of the label models: a scikit-learn estimator over LF votes.

    ``__init__`` stores the settings; :meth:`fit` checks them and ``L``, learns the state
    (names ending in ``_``: ``class_prior_`` (K,), ``n_lfs_``, ...) and returns the model;
    :meth:`predict_proba` and :meth:`predict` raise :class:`~dataqa.errors.NotFittedError`
    before ``fit``. ``clone`` and ``get_params`` work as for any scikit-learn estimator.

    Parameters
    ----------
    cardinality : int
        Number of classes K (>= 2).
    """

    #: fewest LFs the model can be fitted on
    min_lfs = 1

    def __init__(self, *, cardinality: int) -> None:
        self.cardinality = cardinality

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "class_prior_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(L) first."
            )

    def _check(self, L: Any) -> np.ndarray:
        L = check_label_matrix(L, self.cardinality)
        if hasattr(self, "n_lfs_") and L.shape[1] != self.n_lfs_:
            raise InvalidSettingError(
                f"L has {L.shape[1]} LF columns but the model was fitted on {self.n_lfs_}; "
                f"apply the same LFs in the same order."
            )
        k_fit = getattr(self, "n_fit_classes_", None)
        if k_fit is not None and L.size and L.max() >= k_fit:
            # a class the fitted votes never held (an LF that fires for it only on these
            # rows): the model knows nothing of it, so such a vote is read as an abstain
            unknown = L >= k_fit
            i, j = (int(v[0]) for v in np.nonzero(unknown))
            classes = sorted({int(v) for v in L[unknown]})
            warnings.warn(
                f"{int(unknown.sum())} vote(s) for class(es) {classes} (first at row {i}, LF "
                f"column {j}) that no LF voted for in the votes the model was fitted on "
                f"(0..{k_fit - 1}); the model knows nothing of those classes, so the votes are "
                f"read as abstains. Fit on votes that hold them to use them.", UserWarning,
                stacklevel=3)
            L = np.where(unknown, -1, L)
        return L

    def _fit_classes(self, L: np.ndarray, K: int) -> int:
        """Record what the tie rule and the silent classes need; return the number of
        classes the model is fitted on (0..the largest vote, at least 2).

        Sets ``vote_share_`` (K,): each class's share of the LF votes in ``L`` (uniform
        without votes), ``silent_classes_`` (classes above every vote, which get probability
        0; see :func:`silent_classes`) and ``n_fit_classes_``.
        """
        counts = np.bincount(L[L >= 0].ravel(), minlength=K).astype(float)
        self.vote_share_ = counts / counts.sum() if counts.sum() else np.full(K, 1.0 / K)
        self.silent_classes_ = silent_classes(L, K)
        self.n_fit_classes_ = K - len(self.silent_classes_)
        return self.n_fit_classes_

    def _pad(self, P: np.ndarray) -> np.ndarray:
        """(n, n_fit_classes_) -> (n, K): silent classes get probability 0."""
        K = self.cardinality
        if P.shape[1] == K:
            return P
        out = np.zeros(P.shape[:-1] + (K,), dtype=float)
        out[..., :P.shape[-1]] = P
        return out

    def fit(self, L: Any, **kwargs: Any) -> BaseLabelModel:  # pragma: no cover - overridden
        raise NotImplementedError

    def _proba_covered(self, L: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def predict_proba(self, L: Any) -> np.ndarray:
        """Class probabilities, float (n, K); rows where every LF abstains get the prior."""
        self._check_fitted()
        L = self._check(L)
        proba = np.tile(np.asarray(self.class_prior_, dtype=float), (L.shape[0], 1))
        covered = (L >= 0).any(axis=1)
        if covered.any():
            proba[covered] = self._pad(np.asarray(self._proba_covered(L[covered]), dtype=float))
        return proba

    def class_preference(self) -> np.ndarray:
        """Class indices in the order ties are broken: larger ``class_prior_`` first, then
        the larger share of LF votes in the fitted ``L`` (``vote_share_``), then the lower
        index. Values within 1e-12 count as equal."""
        self._check_fitted()
        K = self.cardinality
        prior = np.round(np.asarray(self.class_prior_, dtype=float), 12)
        share = np.round(np.asarray(getattr(self, "vote_share_", np.zeros(K)), dtype=float), 12)
        return np.lexsort((np.arange(K), -share, -prior))

    def predict(self, L: Any, *, abstain_uncovered: bool = True) -> np.ndarray:
        """Hard labels, int (n,): the class of largest probability.

        Classes whose probabilities are within 1e-9 of the largest tie; a tie goes to the
        class first in :meth:`class_preference` (larger prior, then larger share of the LF
        votes, then lower index). With ``abstain_uncovered`` (default), rows where every LF
        abstains get -1; without it they get the class of largest probability in
        :meth:`predict_proba` (the class prior for most models; for Dawid-Skene fitted on
        all rows, the posterior of a row where every LF abstains), under the same tie
        rule and never a class no LF voted for.
        """
        proba = self.predict_proba(L)
        L = np.asarray(L)
        tied = proba >= proba.max(axis=1, keepdims=True) - 1e-9
        pref = self.class_preference()
        pred = pref[np.argmax(tied[:, pref], axis=1)].astype(np.int64)
        if abstain_uncovered:
            pred[~(L >= 0).any(axis=1)] = ABSTAIN
        return pred


class MajorityVote(BaseLabelModel):
    """Normalised vote counts; the class prior is the share of each class in the votes.

    Parameters
    ----------
    cardinality : int
    """

    def fit(self, L: Any, **_: Any) -> MajorityVote:
        """Learn the class prior from the vote shares; returns ``self``."""
        K = _check_cardinality(self.cardinality)
        L = check_label_matrix(L, K)
        self.n_lfs_ = L.shape[1]
        k = self._fit_classes(L, K)
        counts = np.bincount(L[L >= 0].ravel(), minlength=k).astype(float)
        self.class_prior_ = self._pad(((counts + 1.0) / (counts.sum() + k))[None, :])[0]
        return self

    def _proba_covered(self, L: np.ndarray) -> np.ndarray:
        counts = _one_hot_votes(L, self.n_fit_classes_).sum(axis=1)
        return counts / counts.sum(axis=1, keepdims=True)


#: How much more the covered-rows Dawid-Skene fit's posterior must agree with the votes than
#: the all-rows fit's for it to be kept (see :class:`DawidSkene`). On the YouTube files with
#: one-sided LFs, a degenerate all-rows fit is at chance (0.50 against 0.90); sound fits of
#: both kinds differ by under 0.01.
AGREEMENT_MARGIN = 0.05


class DawidSkene(BaseLabelModel):
    """Dawid-Skene EM: one K x (K + 1) confusion matrix per LF and a class prior.

    ``P(y_i = k | L_i) ∝ prior_k * Π_j confusion_j[k, L_ij]``, where abstaining is an
    outcome of its own (column K): most LFs vote for one class only, and how often they
    abstain on each class is what tells the classes apart.

    EM finds a local optimum, and with one-sided LFs a poor one can make LFs *less*
    accurate than chance (a class that collects the rows of a few LFs, with the votes of a
    very accurate LF read as evidence against its class). So :meth:`fit` runs EM twice,
    both times starting from the majority-vote posteriors:

    - on all rows (the rows where every LF abstains inform how often each LF abstains on
      each class), and
    - on the covered rows only (a row without a vote says nothing about what an LF votes
      when it votes); the class prior is then the covered rows' and rows without a vote
      get it.

    Each fit is judged by how much the LFs' votes agree with its posterior on the covered
    rows (the vote-weighted mean of ``P(y_i = L_ij)``, ``vote_agreement_``): like
    Snorkel's LabelModel, the model assumes the LFs are better than chance, which also
    rules out a label-swapped solution. The all-rows fit is kept unless the covered-rows
    fit's agreement is higher by more than :data:`AGREEMENT_MARGIN` (0.05). When the kept
    fit's agreement is not above 1/K, the confusion matrices and prior are those of the
    majority-vote posteriors (one M-step; ``fit_rows_ == "majority"``).

    Parameters
    ----------
    cardinality : int
    max_iter : int, default 200
    tol : float, default 1e-6
        Stop when the largest change of a posterior is below ``tol``.
    smoothing : float, default 0.01
        Dirichlet pseudo-count added to every confusion-matrix cell and prior entry.
    monotone : bool, default True
        After each M-step, a vote for class l is made no more likely from any other true
        class than from l itself (``confusion_[j, c, l] <= confusion_[j, l, l]``; the
        excess goes to abstaining, so each row still sums to 1): a vote is never evidence
        against its own class.

    Attributes
    ----------
    fit_rows_ : {"all", "covered", "majority"}
        Which fit was kept.
    vote_agreement_ : dict[str, float]
        The agreement of each fit (``"all"``, ``"covered"``).
    confusion_ : (m, K', K' + 1) float, K' = ``n_fit_classes_``
        LFs that vote identically on every row of the fitted ``L``
        (:func:`~dataqa.weak.analysis.duplicate_lfs`) share the matrix of the first of
        them.
    kept_lfs_ : (m',) int
        The columns of ``L`` the model reads: all but the copies, so that an LF entered
        twice is one witness, not two that always agree (which EM reads as a perfect LF:
        in a simulation with six LFs of accuracies 0.6-0.9, the weakest entered twice,
        the accuracy fell from 0.85 to 0.64). :meth:`predict_proba` reads a copy's vote
        only where it differs from the LF it copied (rows of other data).
    copy_of_ : (m,) int
        For each column, the column of its group that is read (itself when kept).
    class_prior_ : (K,) float
    n_iter_ : int
        EM iterations of the kept fit.
    """

    def __init__(self, *, cardinality: int, max_iter: int = 200, tol: float = 1e-6,
                 smoothing: float = 0.01, monotone: bool = True) -> None:
        super().__init__(cardinality=cardinality)
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.monotone = monotone

    def fit(self, L: Any, **_: Any) -> DawidSkene:
        """Run EM from the majority-vote posteriors (on all rows and on the covered rows)
        and keep the fit whose posterior agrees most with the votes; returns ``self``."""
        K = _check_cardinality(self.cardinality)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        a = self.smoothing
        if isinstance(a, bool) or not isinstance(a, (int, float, np.number)) \
                or not np.isfinite(a) or a <= 0:
            # 0 lets a confusion cell be 0: a row whose votes every class rules out then
            # gets NaN posteriors
            raise InvalidSettingError(
                f"smoothing={a!r} must be a positive number (a Dirichlet pseudo-count per "
                f"confusion-matrix cell, e.g. the default 0.01).")
        L = check_label_matrix(L, K)
        self.n_lfs_ = L.shape[1]
        k = self._fit_classes(L, K)
        from dataqa.weak.analysis import duplicate_lfs

        # a copy of an LF is no second witness: each group of identical columns counts once
        groups = duplicate_lfs(L)
        first = {j: g[0] for g in groups for j in g}
        self.kept_lfs_ = np.array([j for j in range(L.shape[1]) if first.get(j, j) == j],
                                  dtype=np.int64)
        self.copy_of_ = np.array([first.get(j, j) for j in range(L.shape[1])], dtype=np.int64)
        L = L[:, self.kept_lfs_]
        covered = (L >= 0).any(axis=1)
        Lc = L[covered]
        fits: dict[str, tuple[np.ndarray, np.ndarray, int]] = {"all": self._em(L, k, max_iter)}
        if covered.any() and not covered.all():
            fits["covered"] = self._em(Lc, k, max_iter)
        self.vote_agreement_ = {}
        Vc = _Votes(Lc, k)
        for name, (prior, conf, _) in fits.items():
            T = self._e_step(prior, conf, Vc)
            self.vote_agreement_[name] = _vote_agreement(T, Lc)
        best = "all"
        if "covered" in fits and (self.vote_agreement_["covered"]
                                  > self.vote_agreement_["all"] + AGREEMENT_MARGIN):
            best = "covered"
        if covered.any() and self.vote_agreement_[best] <= 1.0 / k:
            best = "majority"
            prior, conf = self._m_step(_majority_posteriors(Vc, k), Vc)
            fits[best] = (prior, conf, 0)
        prior, conf, self.n_iter_ = fits[best]
        # a copy gets its group's matrix
        self.confusion_ = conf[np.searchsorted(self.kept_lfs_, self.copy_of_)]
        self.fit_rows_ = best
        self.class_prior_ = self._pad(prior[None, :])[0]
        return self

    def _em(self, L: np.ndarray, k: int, max_iter: int) -> tuple[np.ndarray, np.ndarray, int]:
        """EM from the majority-vote posteriors: (prior (k,), confusion (m, k, k + 1), iterations)."""
        X = _Votes(L, k)  # the outcomes (n, m, k + 1; last = abstain), sparse
        T = _majority_posteriors(X, k)
        n_iter = 0
        for it in range(max_iter):
            prior, conf = self._m_step(T, X)
            T_new = self._e_step(prior, conf, X)
            delta = np.abs(T_new - T).max() if T.size else 0.0
            T = T_new
            n_iter = it + 1
            if delta < self.tol:
                break
        prior, conf = self._m_step(T, X)
        return prior, conf, n_iter

    def _m_step(self, T: np.ndarray, X: _Votes) -> tuple[np.ndarray, np.ndarray]:
        a = self.smoothing
        k = T.shape[1]
        prior = (T.sum(axis=0) + a) / (T.sum() + a * k)
        conf = X.outcome_weights(T) + a  # (m, k, k + 1)
        conf /= conf.sum(axis=2, keepdims=True)
        if self.monotone:
            conf = _monotone(conf)
        return prior, conf

    @staticmethod
    def _e_step(prior: np.ndarray, conf: np.ndarray, X: _Votes) -> np.ndarray:
        logp = np.log(prior)[None, :] + X.log_likelihood(np.log(conf))
        logp -= logp.max(axis=1, keepdims=True)
        p = np.exp(logp)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, L: Any) -> np.ndarray:
        """Posterior class probabilities, (n, K); abstentions are evidence too. Rows where
        every LF abstains get the posterior of all-abstain when the kept fit used all rows,
        else the class prior (``class_prior_``)."""
        self._check_fitted()
        L = self._check(L)
        if getattr(self, "fit_rows_", "all") != "all":
            return super().predict_proba(L)
        return self._pad(self._posterior(L))

    def _proba_covered(self, L: np.ndarray) -> np.ndarray:
        return self._posterior(L)

    def _posterior(self, L: np.ndarray) -> np.ndarray:
        """The E-step on ``L``'s columns of :attr:`kept_lfs_` (one LF of each group of
        copies in the fitted ``L``); a copy's vote is read too on the rows where it
        differs from the LF it copied on the fitted rows (new data, where the two are
        two witnesses)."""
        k = self.n_fit_classes_
        prior = self.class_prior_[:k]
        kept = getattr(self, "kept_lfs_", None)
        if kept is None:  # (a model fitted before copies were told apart)
            return self._e_step(prior, self.confusion_, _Votes(L, k))
        log_conf = np.log(self.confusion_)
        logp = np.log(prior)[None, :] + _Votes(L[:, kept], k).log_likelihood(log_conf[kept])
        for j in np.flatnonzero(self.copy_of_ != np.arange(len(self.copy_of_))):
            apart = L[:, j] != L[:, self.copy_of_[j]]
            if apart.any():
                logp[apart] += _Votes(L[apart][:, [j]], k).log_likelihood(log_conf[[j]])
        logp -= logp.max(axis=1, keepdims=True)
        p = np.exp(logp)
        return p / p.sum(axis=1, keepdims=True)


def _monotone(conf: np.ndarray) -> np.ndarray:
    """Confusion matrices (m, k, k + 1) in which a vote for class l is never evidence
    against l: ``conf[j, c, l] <= conf[j, l, l]`` for every other class c; the excess
    goes to abstaining (column k), so each row still sums to 1."""
    k = conf.shape[1]
    conf = conf.copy()
    for c in range(k):
        own = conf[:, c, c][:, None]  # (m, 1)
        others = np.delete(np.arange(k), c)
        excess = np.clip(conf[:, others, c] - own, 0.0, None)
        conf[:, others, c] -= excess
        conf[:, others, k] += excess
    return conf


def _majority_posteriors(X: _Votes, k: int) -> np.ndarray:
    """Vote shares per row from the votes; uniform without votes."""
    counts = X.counts
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, counts / np.maximum(total, 1), 1.0 / k)


def _vote_agreement(T: np.ndarray, L: np.ndarray) -> float:
    """Vote-weighted mean of ``T[i, L_ij]``: how much the posterior agrees with the votes."""
    i, j = np.nonzero(L >= 0)
    return float(T[i, L[i, j]].mean()) if len(i) else 0.0


class SnorkelLabelModel(BaseLabelModel):
    """Snorkel's ``LabelModel`` (matrix completion), leaving global random state untouched.

    It needs at least :attr:`min_lfs` (3) labeling functions: with fewer, the agreement
    statistics it fits do not identify the LF accuracies (and Snorkel refuses).

    Parameters
    ----------
    cardinality : int
    n_epochs : int, default 100
        Training epochs, Snorkel's own default (500 before: on small tables it fitted the
        LFs' agreements too closely; see ``docs/weak.md``).
    lr : float, default 0.01
    l2 : float, default 0.0
    random_state : int, None or numpy.random.Generator, default 0
        Seed handed to Snorkel (an int in 0..2**32 - 1); ``None`` draws a fresh seed at
        each fit, a Generator gives one. The seed used is ``seed_``. The caller's
        ``random``, NumPy and torch global generators are restored afterwards.
    """

    def __init__(self, *, cardinality: int, n_epochs: int = 100, lr: float = 0.01,
                 l2: float = 0.0, random_state: Any = 0) -> None:
        super().__init__(cardinality=cardinality)
        self.n_epochs = n_epochs
        self.lr = lr
        self.l2 = l2
        self.random_state = random_state

    #: fewest LFs the model can be fitted on
    min_lfs = 3

    def fit(self, L: Any, *, class_balance: np.ndarray | None = None, **_: Any) -> SnorkelLabelModel:
        """Fit Snorkel's LabelModel (``class_balance``: its class prior, default uniform);
        returns ``self``. The caller's global random state is restored afterwards."""
        from snorkel.labeling.model import LabelModel as SnorkelModel

        K = _check_cardinality(self.cardinality)
        n_epochs = check_int(self.n_epochs, "n_epochs", minimum=1)
        seed = draw_seed(self.random_state)
        L = check_label_matrix(L, K)
        check_enough_lfs("snorkel", L.shape[1])
        self.n_lfs_ = L.shape[1]
        k = self._fit_classes(L, K)
        if class_balance is not None:
            balance = np.asarray(class_balance, dtype=float)[:k]
            class_balance = list(balance / balance.sum())
        with preserve_global_random_state():
            model = SnorkelModel(cardinality=k, verbose=False)
            model.fit(L, n_epochs=n_epochs, lr=self.lr, l2=self.l2, seed=seed,
                      progress_bar=False, class_balance=class_balance)
        self.model_ = model
        self.seed_ = seed
        self.class_prior_ = self._pad(np.asarray(model.p, dtype=float).ravel()[None, :])[0]
        self.lf_voted_ = (L != ABSTAIN).any(axis=0)
        return self

    def _proba_covered(self, L: np.ndarray) -> np.ndarray:
        with preserve_global_random_state():
            return np.asarray(self.model_.predict_proba(L), dtype=float)

    def get_weights(self) -> np.ndarray:
        """Snorkel's estimated accuracy of each LF, (m,); NaN for an LF that voted on no
        row of the fitted ``L`` (Snorkel reports 1.0 for it, from no evidence). LFs that
        vote identically read as near-perfect too (see :func:`fit_label_model`)."""
        self._check_fitted()
        w = np.asarray(self.model_.get_weights(), dtype=float)
        voted = getattr(self, "lf_voted_", None)
        return w if voted is None else np.where(voted, w, np.nan)


#: Label models by name (``fit_label_model(method=...)``); add one with
#: :func:`register_label_model`.
LABEL_MODELS: dict[str, type[BaseLabelModel]] = {
    "majority": MajorityVote,
    "dawid_skene": DawidSkene,
    "snorkel": SnorkelLabelModel,
}


def register_label_model(name: str, cls: type[BaseLabelModel]) -> None:
    """Make ``cls`` available as ``fit_label_model(method=name)`` and ``dataqa weak --method``.

    Parameters
    ----------
    name : str
        A new name (not ``"auto"`` nor a name in :data:`LABEL_MODELS`).
    cls : subclass of :class:`BaseLabelModel`
        Built as ``cls(cardinality=K)``, with ``random_state`` set when it is one of its
        parameters, then fitted with ``fit(L)``; its ``min_lfs`` says how many LFs it needs.
        ``method="auto"`` keeps choosing among the built-in models.
    """
    if not isinstance(name, str) or not name or name == "auto" or name in LABEL_MODELS:
        raise InvalidSettingError(
            f"label model name {name!r} is taken or empty; the names in use are: "
            f"{', '.join(sorted([*LABEL_MODELS, 'auto']))}.")
    if not (isinstance(cls, type) and issubclass(cls, BaseLabelModel)):
        raise InvalidSettingError(
            f"register_label_model needs a subclass of dataqa.weak.BaseLabelModel; got {cls!r}.")
    LABEL_MODELS[name] = cls


def _warn_duplicates(L: np.ndarray, lf_names: Sequence[str] | None) -> None:
    from dataqa._caller import caller_stacklevel
    from dataqa.weak.analysis import duplicate_lfs

    groups = duplicate_lfs(L)
    if not groups:
        return
    names = (list(lf_names) if lf_names is not None and len(lf_names) == L.shape[1]
             else None)
    said = "; ".join(", ".join(repr(str(names[j])) for j in g) if names else
                     "columns " + ", ".join(map(str, g)) + " of L" for g in groups[:5])
    warnings.warn(
        f"{'these LFs vote' if len(groups) == 1 else 'these groups of LFs vote'} identically "
        f"on every row: {said}{' ...' if len(groups) > 5 else ''}. Snorkel's label model "
        f"takes them for independent LFs that always agree and trusts them beyond their "
        f"accuracy, and majority vote counts them twice (Dawid-Skene reads one LF of each "
        f"group): keep one LF of each group.", UserWarning, stacklevel=caller_stacklevel())


def check_enough_lfs(method: str, n_lfs: int, *, cli: bool = False) -> None:
    """Raise if label model ``method`` cannot be fitted on ``n_lfs`` labeling functions.

    ``cli`` words the message in the ``dataqa weak`` command's flags.
    """
    cls = SnorkelLabelModel if method == DEV_PRIOR else LABEL_MODELS.get(method)
    need = cls.min_lfs if cls is not None else 1
    if n_lfs >= need:
        return
    if n_lfs == 0:
        raise InvalidSettingError(
            "L has no LF columns: a label model needs the votes of at least one labeling "
            "function" + (" (--lfs lists none)." if cli else "; apply some LFs first."))
    what = "Snorkel's LabelModel" if cls is SnorkelLabelModel else cls.__name__
    if cli:
        raise InvalidSettingError(
            f"--method {method} ({what}) needs at least {need} labeling functions "
            f"and --lfs gives {n_lfs}; add LFs, or pass --method majority, dawid_skene, or auto "
            f"with --dev (which skips snorkel)."
        )
    raise InvalidSettingError(
        f"method={method!r} ({what}) needs at least {need} labeling functions; "
        f"got {n_lfs}. Add LFs, or use method 'majority' or 'dawid_skene' (or 'auto' with "
        f"a dev set, which skips snorkel)."
    )


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(y == p))


def _f1_binary(y: np.ndarray, p: np.ndarray) -> float:
    tp = float(np.sum((p == 1) & (y == 1)))
    fp = float(np.sum((p == 1) & (y != 1)))
    fn = float(np.sum((p != 1) & (y == 1)))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def _f1_macro(y: np.ndarray, p: np.ndarray) -> float:
    scores = []
    for k in np.unique(np.concatenate([y, p])):
        tp = float(np.sum((p == k) & (y == k)))
        fp = float(np.sum((p == k) & (y != k)))
        fn = float(np.sum((p != k) & (y == k)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


#: Dev-set metrics for ``method="auto"``; higher is better.
METRICS = {"accuracy": _accuracy, "f1": _f1_binary, "f1_macro": _f1_macro}

#: Which dev rows ``method="auto"`` scores: ``"covered"`` (at least one vote; the rows
#: :meth:`predict` labels by default) or ``"all"`` (as ``predict(L, abstain_uncovered=False)``
#: labels them, rows without a vote getting the model's class for no evidence).
DEV_ROWS = ("covered", "all")


def _below_chance_note(metric: str, accuracy: float, n: int, k: int) -> str:
    """A sentence when the best model's dev accuracy is below guessing among ``k`` classes
    beyond chance (one-sided binomial test at 1%): the dev labels, or ``--classes``, likely
    number the classes in another order than the LFs vote for them."""
    from dataqa.weak.analysis import _below_chance

    if metric != "accuracy" or not _below_chance(round(accuracy * n), n, k, alpha=0.01):
        return ""
    return (f" Every model is below chance ({1.0 / k:.2f}) on the dev rows: do the dev labels "
            f"(or --classes) number the classes in the order the LFs vote for them? With "
            f"--classes, the first name is class 0, the second class 1, and so on.")


class AutoLabelModel(BaseLabelModel):
    """Fits several label models and keeps the best on a labeled dev set.

    Candidates: the built-in models (majority, dawid_skene, snorkel), plus
    ``"snorkel_dev_prior"``:
    Snorkel's LabelModel given the class balance of the dev labels instead of its uniform
    default (the dev labels are the one unbiased estimate of the class balance there is,
    and the balance decides how rows with weak or no evidence are labeled).

    Selection, in order: the highest dev ``metric``; on an exact tie, the lowest dev
    log-loss (the likelier, better calibrated fit); then the simpler model. Both are
    computed on the dev rows ``dev_rows`` names: ``"covered"`` (default), those with at
    least one vote, which are the rows :meth:`predict` labels (it gives -1 where every LF
    abstains); ``"all"``, every dev row, rows without a vote getting the model's class for
    no evidence, as ``predict(L, abstain_uncovered=False)`` labels them (the models differ
    there: Dawid-Skene's all-abstain posterior need not be its prior). When no dev row has a
    vote, every row is scored and ``reason_`` says so.

    Attributes
    ----------
    chosen_ : str
        Name of the kept model.
    scores_ : dict[str, float]
        Dev-set metric of each candidate (higher is better).
    log_losses_ : dict[str, float]
        Dev-set log-loss of each candidate (lower is better; probabilities clipped to
        [1e-6, 1]).
    reason_ : str
        One sentence saying which model was kept and why (and which candidates were
        skipped: the Snorkel ones need at least 3 LFs).
    skipped_ : dict[str, str]
        Candidates not fitted, with the reason.
    model_ : the kept, fitted model.
    candidates_ : dict[str, fitted model]
    """

    #: Candidate order, simplest first; the last tie-break.
    ORDER = ("majority", "dawid_skene", "snorkel", "snorkel_dev_prior")

    def __init__(self, *, cardinality: int, metric: str = "accuracy", random_state: Any = 0,
                 dev_rows: str = "covered") -> None:
        super().__init__(cardinality=cardinality)
        self.metric = metric
        self.random_state = random_state
        self.dev_rows = dev_rows

    def fit(self, L: Any, *, L_dev: Any = None, Y_dev: Any = None, **_: Any) -> AutoLabelModel:
        """Fit every candidate on ``L`` and keep the best on (``L_dev``, ``Y_dev``);
        returns ``self``."""
        if L_dev is None or Y_dev is None:
            raise MissingInputError(
                "method='auto' picks the label model on a labeled dev set; pass L_dev and Y_dev."
            )
        if self.metric not in METRICS:
            raise UnknownNameError("metric", self.metric, METRICS)
        if self.dev_rows not in DEV_ROWS:
            raise UnknownNameError("dev_rows", self.dev_rows, DEV_ROWS)
        K = _check_cardinality(self.cardinality)
        check_random_state(self.random_state)
        L = check_label_matrix(L, K)
        L_dev = check_label_matrix(L_dev, K, name="L_dev")
        if np.ndim(Y_dev) == 1 and len(Y_dev) != len(L_dev):
            raise LengthMismatchError(
                f"L_dev has {len(L_dev)} rows but Y_dev has {len(Y_dev)}; give one label per row."
            )
        if L_dev.shape[1] != L.shape[1]:
            raise InvalidSettingError(
                f"L_dev has {L_dev.shape[1]} LF columns but L has {L.shape[1]}."
            )
        if len(L_dev) == 0:
            raise InvalidSettingError(
                f"Y_dev must hold at least one gold label in 0..{K - 1}; L_dev has no rows."
            )
        Y_dev = check_gold_labels(Y_dev, len(L_dev), K, name="Y_dev")
        dev_balance = _dev_balance(Y_dev, K)
        score = METRICS[self.metric]
        covered = (L_dev >= 0).any(axis=1)
        rows = covered if self.dev_rows == "covered" and covered.any() else np.ones_like(covered)
        Y_scored = Y_dev[rows]
        self.candidates_, self.scores_, self.log_losses_ = {}, {}, {}
        order = [k for k in self.ORDER if L.shape[1] >= _min_lfs(k)]
        self.skipped_ = {k: f"needs at least {_min_lfs(k)} LFs" for k in self.ORDER
                         if k not in order}
        for name in order:
            if name == "snorkel_dev_prior":
                model = SnorkelLabelModel(cardinality=K, random_state=self.random_state).fit(
                    L, class_balance=dev_balance)
            else:
                model = _make(name, K, self.random_state).fit(L)
            self.candidates_[name] = model
            proba = model.predict_proba(L_dev[rows])
            self.scores_[name] = score(Y_scored,
                                       model.predict(L_dev[rows], abstain_uncovered=False))
            p_true = np.clip(proba[np.arange(len(Y_scored)), Y_scored], 1e-6, 1.0)
            self.log_losses_[name] = float(-np.mean(np.log(p_true)))
        best = max(order, key=lambda k: (self.scores_[k], -self.log_losses_[k],
                                         -self.ORDER.index(k)))
        self.chosen_ = best
        self.model_ = self.candidates_[best]
        self.n_lfs_ = L.shape[1]
        self._fit_classes(L, K)
        self.class_prior_ = self.model_.class_prior_
        tied = [k for k in order if k != best and self.scores_[k] == self.scores_[best]]
        others = ", ".join(f"{k} {v:.4f}" for k, v in self.scores_.items() if k != best)
        why = (f"tied on {self.metric} with {', '.join(tied)}; kept for its lower dev log-loss "
               f"{self.log_losses_[best]:.4f}" if tied else "the best of the candidates")
        skipped = ""
        if self.skipped_:
            skipped = (f"; skipped {', '.join(self.skipped_)}: Snorkel's LabelModel needs at "
                       f"least {SnorkelLabelModel.min_lfs} LFs and there are {L.shape[1]}")
        n_dev, n_cov = len(Y_dev), int(covered.sum())
        if self.dev_rows == "all" or n_cov == n_dev:
            where = f"on {n_dev} rows"
        elif n_cov:
            where = (f"on the {n_cov} of {n_dev} rows with a vote (the rest get no label; "
                     f"API: dev_rows='all' scores them too)")
        else:
            where = (f"on {n_dev} rows, none of which has a vote: each model's class for no "
                     f"evidence decided")
        self.reason_ = (
            f"kept {best!r}: dev {self.metric} {self.scores_[best]:.4f} {where}, "
            f"{why}; the others' dev {self.metric}: {others or 'none'}{skipped}."
            f"{_below_chance_note(self.metric, self.scores_[best], len(Y_scored), K)}"
        )
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """The kept model's :meth:`predict_proba`."""
        self._check_fitted()
        return self.model_.predict_proba(self._check(L))

    def _proba_covered(self, L: np.ndarray) -> np.ndarray:
        return self.model_._proba_covered(L)


def _min_lfs(name: str) -> int:
    return SnorkelLabelModel.min_lfs if name.startswith("snorkel") else LABEL_MODELS[name].min_lfs


#: Snorkel's LabelModel given the dev labels' class balance instead of its uniform
#: default (a candidate of ``"auto"``, and a method of its own: it needs ``Y_dev``).
DEV_PRIOR = "snorkel_dev_prior"


def _dev_balance(Y_dev: np.ndarray, K: int) -> np.ndarray:
    """The dev labels' class balance, with one pseudo-count per class so that no class
    gets probability 0."""
    return (np.bincount(Y_dev, minlength=K) + 1.0) / (len(Y_dev) + K)


def _make(name: str, cardinality: int, random_state: Any) -> BaseLabelModel:
    model = LABEL_MODELS[name](cardinality=cardinality)
    if "random_state" in model.get_params(deep=False):
        model.set_params(random_state=random_state)
    return model


def fit_label_model(L: Any, *, cardinality: int, method: str = "snorkel", L_dev: Any = None,
                    Y_dev: Any = None, random_state: Any = 0, metric: str = "accuracy",
                    dev_rows: str = "covered",
                    lf_names: Sequence[str] | None = None) -> BaseLabelModel:
    """Fit a label model on the LF votes.

    Parameters
    ----------
    L : int array (n, m)
        LF votes, -1 = abstain.
    cardinality : int
        Number of classes K.
    method : {"snorkel", "majority", "dawid_skene", "snorkel_dev_prior", "auto"}
        "snorkel" needs at least 3 LFs (an :class:`~dataqa.errors.InvalidSettingError`
        says so). "auto" fits the other three, plus Snorkel given the dev class balance,
        and keeps the best on (``L_dev``, ``Y_dev``) by ``metric`` (exact ties: lower dev
        log-loss); with fewer than 3 LFs it skips the Snorkel candidates. Its ``reason_``
        says which model was kept and why. See :class:`AutoLabelModel`.
        "snorkel_dev_prior" is that Snorkel candidate alone (to fit again what "auto"
        kept): Snorkel's LabelModel given the class balance of ``Y_dev``.
    L_dev, Y_dev : optional
        Dev-set votes (n_dev, m) and gold labels (n_dev,) as integer class indices
        (strings are refused: map class names to indices first); required for "auto"
        (``Y_dev`` alone for "snorkel_dev_prior").
    random_state : int, None or numpy.random.Generator, default 0
        Seed for Snorkel's LabelModel: an int in 0..2**32 - 1; ``None`` draws a fresh seed
        from the operating system at each fit (results then vary between runs); a
        Generator gives the seed. Anything else (a negative int, ``2**32``, ``1.5``, a
        bool) raises :class:`~dataqa.errors.InvalidSettingError`, whatever the method.
        The caller's global random state (``random``, NumPy's legacy generator, torch) is
        the same after the call as before.
    metric : {"accuracy", "f1", "f1_macro"}, default "accuracy"
        Dev-set metric for "auto" ("f1" is binary F1 of class 1).
    dev_rows : {"covered", "all"}, default "covered"
        The dev rows "auto" scores: those with a vote (the rows ``predict`` labels), or
        every row as ``predict(L, abstain_uncovered=False)`` labels it (see
        :class:`AutoLabelModel`).
    lf_names : list of str, optional
        The LFs' names, one per column of ``L``, for warnings (default: column numbers).

    Returns
    -------
    A fitted model with ``predict_proba(L) -> (n, K)`` and ``predict(L) -> (n,)``
    (-1 where every LF abstains).

    Warns
    -----
    UserWarning
        When no LF votes for a class above every vote in ``L`` (``cardinality`` larger
        than the LFs' classes): no model can tell such a class apart, so the built-in
        models are fitted on the voted classes and give it probability 0. When two LFs
        or more vote identically on every row (:func:`~dataqa.weak.analysis.duplicate_lfs`):
        Snorkel's model takes them for independent LFs that always agree (a copy of the
        weakest of six LFs of accuracies 0.6-0.9 took its accuracy from 0.82 to 0.69 in
        a simulation), and majority vote counts them twice (0.82 to 0.77); Dawid-Skene
        reads one LF of each group (0.85 either way; 0.64 when it read them all).
    """
    K = _check_cardinality(cardinality)
    check_random_state(random_state)
    known = [*LABEL_MODELS, DEV_PRIOR, "auto"]
    if method not in known:
        raise UnknownNameError("label model", method, known)
    if metric not in METRICS:
        raise UnknownNameError("metric", metric, METRICS)
    if dev_rows not in DEV_ROWS:
        raise UnknownNameError("dev_rows", dev_rows, DEV_ROWS)
    if metric == "f1" and method == "auto" and K > 2:
        warnings.warn(
            f"metric 'f1' scores class 1 alone (binary F1), but there are {K} classes: the "
            f"label model is chosen by how well it finds class 1. Use 'f1_macro' (--metric "
            f"f1_macro) to weigh every class, or 'accuracy'.", UserWarning, stacklevel=2)
    L = check_label_matrix(L, K)
    if L.shape[0] == 0:
        raise InvalidSettingError("L has no rows; apply the LFs to at least one row.")
    if method != "auto" or L.shape[1] == 0:
        check_enough_lfs(method, L.shape[1])
    if not (L != ABSTAIN).any():
        raise InvalidSettingError(
            f"no labeling function voted on any of the {L.shape[0]:,} rows (every vote is "
            f"-1, abstain): there is nothing to fit a label model on. Check the LFs against "
            f"a few rows (coverage 0 for each), or the column they read.")
    _warn_duplicates(L, lf_names)
    silent = silent_classes(L, K)
    if silent:
        warnings.warn(
            f"no labeling function voted for class{'es' if len(silent) > 1 else ''} "
            f"{', '.join(map(str, silent))} on any row (cardinality {K}): no label model can "
            f"tell such a class apart, so it gets probability 0. Check cardinality "
            f"(--cardinality), or add an LF that votes for it.", UserWarning, stacklevel=2)
    with preserve_global_random_state():
        if method == "auto":
            return AutoLabelModel(cardinality=K, metric=metric, random_state=random_state,
                                  dev_rows=dev_rows).fit(L, L_dev=L_dev, Y_dev=Y_dev)
        if method == DEV_PRIOR:
            if Y_dev is None:
                raise MissingInputError(
                    f"method={DEV_PRIOR!r} takes the class balance of the dev labels; pass "
                    f"Y_dev (dataqa weak: --dev and --label-column).")
            balance = _dev_balance(check_gold_labels(Y_dev, len(Y_dev), K, name="Y_dev"), K)
            return SnorkelLabelModel(cardinality=K, random_state=random_state).fit(
                L, class_balance=balance)
        return _make(method, K, random_state).fit(L)
