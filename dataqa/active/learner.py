"""A modAL ``ActiveLearner`` that works with scikit-learn 1.8 and later.

modAL 0.4.2.1 (unmaintained) breaks on current scikit-learn and has two other problems
this subclass fixes:

- ``teach`` / ``fit`` call ``check_X_y(..., force_all_finite=...)``; scikit-learn 1.8
  renamed the argument to ``ensure_all_finite``, so every teach raises ``TypeError``. Here
  the check is made with the current name.
- ``query`` wraps the strategy in a bare ``except:`` and calls it a second time when the
  first call fails or returns a single value, so a strategy runs twice and real errors
  are swallowed. Here the strategy is called once; a tuple ``(indices, metrics)`` is read
  as such, anything else is the indices.
- every ``teach`` re-stacks the whole training set (``np.vstack``), copying it. Here dense
  training data lives in a growing buffer (capacity doubles) and ``X_training`` is a view;
  sparse blocks are kept in a list and stacked once per fit.

modAL's return shapes are kept: ``query`` returns ``(indices, X_pool[indices])`` or, with
``return_metrics=True``, ``(indices, X_pool[indices], metrics)``. ``query_strategy`` may
also be the name of a dataqa acquisition (``"uncertainty"``, ``"hybrid"``, ``"ood:energy"``
...), combined with a batch selector.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from modAL.models import ActiveLearner as _ModalActiveLearner
from modAL.utils.data import retrieve_rows
from sklearn.utils import check_X_y

from dataqa.errors import InvalidSettingError, LengthMismatchError, NotFittedError

__all__ = ["ActiveLearner", "make_query_strategy"]


def _check_xy(X: Any, y: Any, finite: bool) -> None:
    try:
        check_X_y(X, y, accept_sparse=True, ensure_2d=False, allow_nd=True, multi_output=True,
                  dtype=None, ensure_all_finite=finite)
    except ValueError as exc:
        if "inconsistent numbers of samples" in str(exc):
            raise LengthMismatchError(
                f"X and y must have one entry per item: {exc}") from exc
        raise InvalidSettingError(f"training data rejected: {exc}") from exc


class _Buffer:
    """Rows appended over time without re-copying what is already stored."""

    def __init__(self) -> None:
        self._dense: np.ndarray | None = None
        self._n = 0
        self._blocks: list[Any] = []
        self._stacked: Any = None
        self.sparse = False

    def __len__(self) -> int:
        return self._n

    def append(self, rows: Any) -> None:
        if sp.issparse(rows):
            if self._dense is not None:
                raise InvalidSettingError("cannot mix sparse and dense training data.")
            self.sparse = True
            self._blocks.append(sp.csr_matrix(rows))
            self._stacked = None
            self._n += rows.shape[0]
            return
        if self.sparse:
            raise InvalidSettingError("cannot mix sparse and dense training data.")
        rows = np.asarray(rows)
        m = rows.shape[0]
        if self._dense is None:
            cap = max(16, 2 * m)
            self._dense = np.empty((cap,) + rows.shape[1:], dtype=rows.dtype)
        else:
            if rows.shape[1:] != self._dense.shape[1:]:
                raise InvalidSettingError(
                    f"new rows have shape {rows.shape[1:]} per item but the training data "
                    f"has {self._dense.shape[1:]}; the features must agree.")
            dtype = np.result_type(self._dense.dtype, rows.dtype)
            if self._n + m > self._dense.shape[0] or dtype != self._dense.dtype:
                cap = max(2 * self._dense.shape[0], self._n + m)
                grown = np.empty((cap,) + self._dense.shape[1:], dtype=dtype)
                grown[:self._n] = self._dense[:self._n]
                self._dense = grown
        self._dense[self._n:self._n + m] = rows
        self._n += m

    def view(self) -> Any:
        if self._n == 0:
            return None
        if self.sparse:
            if self._stacked is None:
                self._stacked = sp.vstack(self._blocks, format="csr")
                self._blocks = [self._stacked]
            return self._stacked
        return self._dense[:self._n]

    def clear(self) -> None:
        self.__init__()


def _call_rngs(random_state: Any) -> Callable[[int], np.random.Generator]:
    """The generator of each call (by its number) of a query strategy: from an int seed
    and the call number (a run is reproducible); the caller's ``Generator`` itself
    (advanced by each call); a ``RandomState``'s draws; fresh entropy for None. Anything
    else is refused here, where the strategy or learner is made."""
    if random_state is None:
        return lambda call: np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return lambda call: random_state
    if isinstance(random_state, np.random.RandomState):
        return lambda call: np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
            random_state, (int, np.integer)) or random_state < 0:
        raise InvalidSettingError(
            f"random_state={random_state!r} must be an integer >= 0, a numpy Generator or "
            f"RandomState, or None.")
    seed = int(random_state)
    return lambda call: np.random.default_rng([seed, call])


def _as_generator(random_state: Any) -> np.random.Generator:
    """One generator for ``random_state`` (checked as :func:`_call_rngs` checks it)."""
    first = _call_rngs(random_state)(0)
    return np.random.default_rng(int(random_state)) if isinstance(
        random_state, (int, np.integer)) else first


def make_query_strategy(acquisition: str, *, selector: str = "topk",
                        random_state: Any = None, **settings: Any) -> Callable[..., Any]:
    """A modAL query strategy ``(learner, X_pool, n_instances=1) -> (indices, scores)``.

    ``acquisition`` is a dataqa acquisition name and ``selector`` a batch selector name;
    ``settings`` go to the acquisition (e.g. ``k=5`` for ``"ood:knn"``, ``mode=`` and
    ``weight=`` for ``"hybrid"``); keyword settings given to a call override them for that
    call (``learner.query(X, n_instances=3, k=5)``). An unknown setting raises
    :class:`InvalidSettingError` naming the acquisition. Each call draws from its own
    generator seeded from ``random_state`` and a call counter, so a run is reproducible.
    """
    from dataqa.active.acquisition import acquire, check_acquisition_settings
    from dataqa.active.selectors import get_selector, select_batch

    check_acquisition_settings(acquisition, settings)  # fail early: unknown names, settings
    needs_predicted = "predicted" in get_selector(selector).needs
    rng_of = _call_rngs(random_state)
    calls = [0]

    def strategy(learner: Any, X_pool: Any, n_instances: int = 1,
                 **call_settings: Any) -> tuple[np.ndarray, np.ndarray]:
        rng = rng_of(calls[0])
        calls[0] += 1
        est = getattr(learner, "estimator", learner)
        X_lab = getattr(learner, "X_training", None)
        y_lab = getattr(learner, "y_training", None)
        X_oos = getattr(learner, "X_out_of_scope", None)
        scores = acquire(acquisition, model=est, X=X_pool, labeled_X=X_lab, labeled_y=y_lab,
                         out_of_scope_X=X_oos, random_state=rng,
                         **{**settings, **call_settings})
        predicted = est.predict(X_pool) if needs_predicted else None
        idx = select_batch(selector, scores, n_instances, X=X_pool, X_labeled=X_lab,
                           predicted=predicted, random_state=rng)
        return idx, scores[idx]

    strategy.__name__ = f"{acquisition.replace(':', '_')}_{selector}"
    return strategy


class ActiveLearner(_ModalActiveLearner):
    """modAL's ``ActiveLearner`` for scikit-learn >= 1.8 (works on older ones too).

    A scikit-learn estimator: the constructor only stores its settings (``clone`` and
    ``get_params`` work), :meth:`fit` returns ``self``. As in modAL, the wrapped
    ``estimator`` is fitted in place, so ``learner.estimator`` is the current model.

    Parameters
    ----------
    estimator : scikit-learn classifier
    query_strategy : callable or str
        A modAL strategy ``f(learner, X_pool, **kw)`` returning indices or
        ``(indices, metrics)``, or a dataqa acquisition name (see
        :func:`dataqa.active.acquisition_names`).
    X_training, y_training : deprecated
        Initial training data, fitted on in the constructor (modAL's way). Call
        ``ActiveLearner(...).fit(X, y)`` instead; they still work, with a
        ``DeprecationWarning``, and are not settings (``get_params`` leaves them out).
    bootstrap_init : bool
        Fit the first model (from ``X_training``) on a bootstrap sample.
    on_transformed : bool
        As in modAL.
    selector : str
        Batch selector used when ``query_strategy`` is a name.
    random_state : int, numpy Generator or RandomState, optional
        Seeds bootstrapping and named strategies (no global random state is touched; a
        Generator given is drawn from, so it advances).
    force_all_finite : bool
        Reject NaN / infinite features (modAL's name for scikit-learn's ``ensure_all_finite``).
    **fit_kwargs
        Passed to ``estimator.fit``.

    Attributes
    ----------
    X_training, y_training : the data taught so far (views; not copied on each teach)
    classes_ : the fitted estimator's classes (set by fitting)
    """

    def __init__(self, estimator: Any = None, query_strategy: Callable | str = "uncertainty",
                 X_training: Any = None, y_training: Any = None, bootstrap_init: bool = False,
                 on_transformed: bool = False, *, selector: str = "topk",
                 random_state: Any = None, force_all_finite: bool = True,
                 **fit_kwargs: Any) -> None:
        if isinstance(query_strategy, str):
            from dataqa.active.acquisition import get_acquisition
            from dataqa.active.selectors import get_selector

            get_acquisition(query_strategy)  # fail early on unknown names
            get_selector(selector)
        elif not callable(query_strategy):
            raise InvalidSettingError(
                f"query_strategy must be callable or an acquisition name, not "
                f"{type(query_strategy).__name__}.")
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.bootstrap_init = bootstrap_init
        self.on_transformed = on_transformed
        self.selector = selector
        _call_rngs(random_state)  # refused now, not at the first query
        self.random_state = random_state
        self.force_all_finite = force_all_finite
        self._fit_kwargs = fit_kwargs
        if X_training is not None or y_training is not None:
            warnings.warn(
                "ActiveLearner(X_training=..., y_training=...) fits in the constructor, which "
                "is deprecated; construct it with settings only and call .fit(X, y).",
                DeprecationWarning, stacklevel=2)
            if y_training is None:
                raise InvalidSettingError("X_training was given without y_training.")
            if X_training is None:
                raise InvalidSettingError("y_training was given without X_training.")
            self._add_training_data(X_training, y_training)
            self._fit_to_known(bootstrap=bootstrap_init)

    @classmethod
    def _get_param_names(cls) -> list[str]:
        # the deprecated data arguments are not settings: clone() gives an unfitted copy
        return [n for n in super()._get_param_names() if n not in ("X_training", "y_training")]

    @property
    def fit_kwargs(self) -> dict[str, Any]:
        """The ``**fit_kwargs`` given to the constructor (passed to ``estimator.fit``)."""
        return self._fit_kwargs

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings, ``**fit_kwargs`` included (so ``clone`` keeps them)."""
        return {**super().get_params(deep=deep), **self.fit_kwargs}

    # ------------------------------------------------------------------ learned state

    def _buffer(self, name: str) -> _Buffer:
        """The rows buffer ``name`` (``_X_buf``, ``_y_buf``, ``_oos_buf``), made on first use."""
        buf = self.__dict__.get(name)
        if buf is None:
            buf = self.__dict__[name] = _Buffer()
        return buf

    @property
    def _rng(self) -> np.random.Generator:
        rng = self.__dict__.get("_bootstrap_rng")
        if rng is None:
            rng = self.__dict__["_bootstrap_rng"] = _as_generator(self.random_state)
        return rng

    # modAL's base class reads these attributes; they are views over the buffers
    @property
    def X_training(self) -> Any:
        return self._buffer("_X_buf").view()

    @X_training.setter
    def X_training(self, value: Any) -> None:
        self._buffer("_X_buf").clear()
        if value is not None:
            self._buffer("_X_buf").append(value)

    @property
    def y_training(self) -> Any:
        return self._buffer("_y_buf").view()

    @y_training.setter
    def y_training(self, value: Any) -> None:
        self._buffer("_y_buf").clear()
        if value is not None:
            self._buffer("_y_buf").append(np.asarray(value))

    @property
    def n_training(self) -> int:
        """Number of items taught so far."""
        return len(self._buffer("_X_buf"))

    @property
    def X_out_of_scope(self) -> Any:
        """Items marked out of scope so far (not trained on), or ``None``."""
        return self._buffer("_oos_buf").view()

    def mark_out_of_scope(self, X: Any) -> None:
        """Remember items a person marked out of scope: they are not trained on, but
        acquisitions such as ``hybrid`` use them to recognise similar items."""
        if X.shape[0]:
            self._buffer("_oos_buf").append(X)

    def _strategy(self) -> Callable[..., Any]:
        """The query strategy to call: ``query_strategy``, or the one built from its name
        (built once per name and selector, so its seeded call counter carries on)."""
        if not isinstance(self.query_strategy, str):
            return self.query_strategy
        key = (self.query_strategy, self.selector, self.random_state)
        built = self.__dict__.get("_named_strategy")
        if built is None or built[0] != key:
            built = self.__dict__["_named_strategy"] = (
                key, make_query_strategy(self.query_strategy, selector=self.selector,
                                         random_state=self.random_state))
        return built[1]

    def _add_training_data(self, X: Any, y: Any) -> None:
        _check_xy(X, y, self.force_all_finite)
        self._buffer("_X_buf").append(X)
        self._buffer("_y_buf").append(np.asarray(y))

    def _bootstrap_idx(self, n: int) -> np.ndarray:
        return self._rng.integers(0, n, size=n)

    def _fit_to_known(self, bootstrap: bool = False, **fit_kwargs: Any) -> ActiveLearner:
        X, y = self.X_training, self.y_training
        if X is None:
            raise NotFittedError("no training data yet; teach some labeled items first.")
        kw = {**self.fit_kwargs, **fit_kwargs}
        if bootstrap:
            idx = self._bootstrap_idx(X.shape[0])
            X, y = X[idx], y[idx]
        self.estimator.fit(X, y, **kw)
        self.classes_ = getattr(self.estimator, "classes_", None)
        return self

    def _fit_on_new(self, X: Any, y: Any, bootstrap: bool = False, **fit_kwargs: Any
                    ) -> ActiveLearner:
        kw = {**self.fit_kwargs, **fit_kwargs}
        if bootstrap:
            idx = self._bootstrap_idx(X.shape[0])
            X, y = X[idx], np.asarray(y)[idx]
        self.estimator.fit(X, y, **kw)
        self.classes_ = getattr(self.estimator, "classes_", None)
        return self

    def fit(self, X: Any, y: Any, bootstrap: bool | None = None,
            **fit_kwargs: Any) -> ActiveLearner:
        """Forget the training data, keep ``X, y`` as the new training set and fit.

        ``bootstrap=None`` fits on a bootstrap sample when ``bootstrap_init`` is set and
        the learner has not been fitted yet. Returns ``self``.
        """
        if bootstrap is None:
            bootstrap = bool(self.bootstrap_init) and not hasattr(self, "classes_")
        _check_xy(X, y, self.force_all_finite)
        self.X_training, self.y_training = X, y
        return self._fit_to_known(bootstrap=bootstrap, **fit_kwargs)

    def teach(self, X: Any, y: Any, bootstrap: bool = False, only_new: bool = False,
              **fit_kwargs: Any) -> None:
        """Add ``X, y`` to the training data and refit (only on them with ``only_new``)."""
        if only_new:
            _check_xy(X, y, self.force_all_finite)
            self._fit_on_new(X, y, bootstrap=bootstrap, **fit_kwargs)
            return
        self._add_training_data(X, y)
        self._fit_to_known(bootstrap=bootstrap, **fit_kwargs)

    def query(self, X_pool: Any, *query_args: Any, return_metrics: bool = False,
              **query_kwargs: Any) -> tuple:
        """Ask the strategy (once) which pool items to label.

        With a named strategy (``ActiveLearner(model, "ood:knn")``), keyword arguments
        other than ``n_instances`` are the acquisition's settings for this call, e.g.
        ``learner.query(X, n_instances=3, k=5)``; ``ood:knn``'s ``k`` defaults to one
        neighbour per 1,000 taught items (:func:`dataqa.active.knn_default_k`).

        Returns
        -------
        (indices, X_pool[indices]) or, with ``return_metrics``,
        (indices, X_pool[indices], metrics); ``metrics`` is ``None`` (with a warning) when
        the strategy returns indices only.
        """
        result = self._strategy()(self, X_pool, *query_args, **query_kwargs)
        # modAL strategies return indices, or (indices, metrics) with an index *array*
        # first; a pair of plain ints is two indices.
        if isinstance(result, tuple) and len(result) == 2 and np.ndim(result[0]) >= 1:
            idx, metrics = result
        else:
            idx, metrics = result, None
        idx = np.asarray(idx)
        rows = retrieve_rows(X_pool, idx)
        if return_metrics:
            if metrics is None:
                warnings.warn("the query strategy returns no metrics; metrics is None.",
                              UserWarning, stacklevel=2)
            return idx, rows, metrics
        return idx, rows

    def predict_proba(self, X: Any, **kwargs: Any) -> Any:
        self._require_fitted()
        return self.estimator.predict_proba(X, **kwargs)

    def predict(self, X: Any, **kwargs: Any) -> Any:
        self._require_fitted()
        return self.estimator.predict(X, **kwargs)

    def _require_fitted(self) -> None:
        if hasattr(self, "classes_"):
            return
        from sklearn.exceptions import NotFittedError as _SkNotFitted
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(self.estimator)
        except _SkNotFitted:
            raise NotFittedError(
                "the ActiveLearner has not been fitted; call fit(X, y) or teach first."
            ) from None
