"""Labeling rounds that live in the ledger and survive restarts.

A round: score the unlabeled pool, pick a batch (recorded in the ledger), people label it,
record the labels, retrain, record the round's metrics. Everything a round depends on
(labels, batches, the round number) is read back from the ledger, and the round's
randomness comes from ``(random_state, round number)``, so a session rebuilt from the
same ledger with the same seed picks exactly the same next batch.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from dataqa._validation import check_int
from dataqa.active.acquisition import KNN_DEFAULT_K, KNN_ITEMS_PER_NEIGHBOUR, knn_default_k
from dataqa.active.labels import (
    CONFIG_KEY,
    LS_SKIPPED_KEY,
    OUT_OF_SCOPE_LABELS,
    SKIP_LABEL,
    SKIPPED_KEY,
    TRAIN_SOURCES,
    check_record_source,
    describe_classes,
    is_out_of_scope,
    normalize_new_labels,
    split_class_names,
    unused_classes,
)
from dataqa.active.store import features_from_ledger, store_table, text_features
from dataqa.errors import (
    InvalidSettingError,
    LedgerError,
    LengthMismatchError,
    MissingColumnError,
    _lost_zeros_hint,
    format_ids,
)
from dataqa.ledger import Ledger
from dataqa.stats import error_rate_interval

__all__ = ["LabelingSession", "OUT_OF_SCOPE_LABELS", "TRAIN_SOURCES", "CONFIG_KEY", "SKIP_LABEL",
           "KNN_DEFAULT_K", "is_out_of_scope", "open_round_in", "store_table",
           "one_class_warning", "ONE_CLASS_SHARE", "ONE_CLASS_MIN_DEV", "ONE_CLASS_MIN_OTHERS",
           "ONE_CLASS_OTHER_SHARE", "dev_drop_warning", "below_majority_warning"]



#: A model "predicts one class" when it gives one class to at least this share of at
#: least :data:`ONE_CLASS_MIN_DEV` dev items, while at least :data:`ONE_CLASS_MIN_OTHERS`
#: of them have another label and it gives another class to at most
#: :data:`ONE_CLASS_OTHER_SHARE` times as many: ``al status`` and ``al label`` then warn
#: (see :func:`one_class_warning`). On dev labels of 86% one class (SMS), a model that
#: gives that class to 98% of the items is said to have collapsed.
ONE_CLASS_SHARE = 0.95
ONE_CLASS_MIN_DEV = 20
ONE_CLASS_MIN_OTHERS = 5
ONE_CLASS_OTHER_SHARE = 0.25


def _collapsed_onto(pred: Any, truth: Any) -> dict | None:
    """``{"class", "n", "of", "true"}`` when the predictions ``pred`` of the dev items
    give one class to nearly every one of them, which their labels ``truth`` do not
    explain (see :data:`ONE_CLASS_SHARE`); else None."""
    pred = np.asarray([str(p) for p in pred])
    if len(pred) < ONE_CLASS_MIN_DEV:
        return None
    names, counts = np.unique(pred, return_counts=True)
    top = int(counts.argmax())
    truly = int(sum(str(t) == names[top] for t in truth))
    # the others are given to a few of the items that have them, at most: the model has
    # collapsed (labels of mostly one class, an unweighted model)
    others, predicted_others = len(pred) - truly, len(pred) - int(counts[top])
    if (counts[top] >= ONE_CLASS_SHARE * len(pred) and others >= ONE_CLASS_MIN_OTHERS
            and predicted_others <= ONE_CLASS_OTHER_SHARE * others):
        return {"class": str(names[top]), "n": int(counts[top]), "of": int(len(pred)),
                "true": truly}
    return None


def one_class_warning(metrics: dict) -> str | None:
    """The warning for round metrics whose model predicted one class for nearly every dev
    item (``metrics["dev_one_class"]``), else ``None``."""
    one = metrics.get("dev_one_class") if isinstance(metrics, dict) else None
    if not one:
        return None
    return (f"the model predicts {one['class']!r} for {one['n']} of {one['of']} dev items, "
            f"of which {one['true']} are {one['class']!r}: it has collapsed onto one class, as "
            f"a model trained on labels mostly of one class can. The default model weighs "
            f"classes (class_weight='balanced'); with a model of your own, weigh its classes "
            f"too, or label a random batch (`al next --strategy random`) to even the labels.")


def below_majority_warning(metrics: dict) -> str | None:
    """The warning for round metrics whose dev accuracy is below, beyond its 95% interval,
    the share of the dev items' most common class (``metrics["dev_below_majority"]``):
    always predicting that class would do better. Else ``None``. (SMS, 12 given labels and
    20 picked: 0.247 where always "ham" gets 0.897; no earlier round to compare with.)"""
    low = metrics.get("dev_below_majority") if isinstance(metrics, dict) else None
    if not low or metrics.get("dev_accuracy") is None:
        return None
    return (f"dev accuracy {metrics['dev_accuracy']:.3f} (95% interval up to "
            f"{metrics['dev_high']:.3f}) is below the {low['share']:.3f} that always "
            f"predicting {low['class']!r} would get: the model is worse than no model yet. "
            f"Label another round, or a random batch (`al next --strategy random`), before "
            f"trusting its picks.")


def dev_drop_warning(ledger: Ledger, metrics: dict) -> str | None:
    """The warning for a retrain whose dev accuracy fell below the one of the round
    finished before, beyond the new estimate's 95% interval (``metrics`` from
    :meth:`LabelingSession.retrain`), else ``None``: a model refitted on a few more labels
    can swing far (SMS, 12 given labels then 20 picked: 0.887, then 0.247)."""
    acc, high = metrics.get("dev_accuracy"), metrics.get("dev_high")
    if acc is None or high is None:
        return None
    rounds = ledger.rounds()
    done = rounds[rounds["finished_at"].map(lambda v: isinstance(v, str))]
    if metrics.get("round") is not None:
        done = done[done["round"] != metrics["round"]]
    before = [(int(r), m["dev_accuracy"]) for r, m in zip(done["round"], done["metrics"],
                                                          strict=True)
              if isinstance(m, dict) and m.get("dev_accuracy") is not None]
    if not before:
        return None
    r, prev = before[-1]
    if high >= prev:
        return None
    return (f"dev accuracy fell from {prev:.3f} (round {r}) to {acc:.3f} (95% interval up to "
            f"{high:.3f}): a model refitted on a few more labels can swing far. Label another "
            f"round, or a random batch (`al next --strategy random`), before trusting it.")


def _features_from_frame(df: pd.DataFrame, id_column: str, text_column: str | None,
                         feature_columns: list[str] | None) -> tuple[np.ndarray, Any]:
    if id_column not in df.columns:
        raise MissingColumnError(id_column, [str(c) for c in df.columns], role="id column")
    ids = df[id_column].astype(str).to_numpy(dtype=object)
    if text_column is not None:
        if text_column not in df.columns:
            raise MissingColumnError(text_column, [str(c) for c in df.columns],
                                     role="text column")
        X, _ = text_features(df[text_column].tolist(), column=text_column)
        return ids, X
    from dataqa.data import _other_id_columns, numeric_feature_columns, refuse_nearly_numeric

    exclude = [id_column, "label"]
    if not feature_columns:  # found, as `dataqa al init` finds them
        exclude += _other_id_columns(df, exclude, "the table")
        refuse_nearly_numeric(df, exclude, "the table")
    cols = feature_columns or numeric_feature_columns(df, exclude=exclude)
    if not cols:
        raise InvalidSettingError(
            "the table has no numeric feature columns; name a text column or feature columns.")
    return ids, df[cols].to_numpy(dtype=np.float64)


def _check_session_ood(strategy: str, settings: dict) -> None:
    """Refuse, before any round, an OOD method that needs a torch model (ODIN perturbs the
    inputs of a ``torch.nn.Module``): a session refits a scikit-learn model, so such a
    method could never score its pool. Without this check a cold start (random picks)
    would record a round that the next one cannot follow."""
    from dataqa.ood.api import get_ood_method, ood_method_names

    method = (strategy[4:] if strategy.startswith("ood:")
              else settings.get("ood", "knn") if strategy == "hybrid" else None)
    if not isinstance(method, str) or method not in ood_method_names():
        return
    if not str(get_ood_method(method).inputs).startswith("torch model"):
        return
    usable = [m for m in ood_method_names()
              if not str(get_ood_method(m).inputs).startswith("torch model")]
    if strategy.startswith("ood:"):
        what, choices = f"--strategy {strategy}", ", ".join("ood:" + m for m in usable)
    else:  # the hybrid's setting names the method without the prefix
        what, choices = f"hybrid with ood={method!r}", "ood=" + ", ".join(map(repr, usable))
    raise InvalidSettingError(
        f"{what} needs a torch model ({method} perturbs the model's inputs), but a labeling "
        f"session trains a scikit-learn model; use one of {choices}, or score a torch "
        f"model yourself with dataqa.ood.score_ood({method!r}, ...).")


class LabelingSession:
    """Active-learning rounds recorded in a :class:`~dataqa.ledger.Ledger`.

    Start one with :meth:`create` (items given as features or a table; items missing from
    the ledger are added) or :meth:`open` (a ledger set up by :func:`store_table`, i.e.
    ``dataqa al init``, whose stored items give the features).

    Parameters
    ----------
    ledger : Ledger or path
    model : scikit-learn classifier (cloned and refitted on every retrain)
    data : array or sparse matrix (n, d), or DataFrame
        Features of every item. An array's rows follow ``ids`` (default: the ledger's
        items in the order added). A DataFrame needs an ``id`` column (``id_column``) and
        either a ``text_column`` (TF-IDF features) or numeric feature columns.
    strategy : str
        An acquisition name (:func:`dataqa.active.acquisition_names`).
    batch_size : int
    random_state : int
    selector : str, batch selector (``topk``, ``ranked_batch``, ``class_balanced``)
    strategy_settings : dict, passed to the acquisition
    ids : sequence of str (n,), optional, ids of the rows of an array ``data``;
        ids missing from the ledger are added
    dev_split : str
        Items of this split in the ledger are never queried nor trained on; their labels
        measure accuracy in :meth:`history`.
    id_column, text_column, feature_columns : for a DataFrame ``data``

    Notes
    -----
    The labels used are :meth:`Ledger.latest_labels` from the sources in
    :data:`TRAIN_SOURCES`; a label in :data:`OUT_OF_SCOPE_LABELS` marks the item out of
    scope (not trained on, remembered by the ``hybrid`` acquisition).

    Calling ``LabelingSession(...)`` directly is deprecated (it writes the ledger); it
    does what :meth:`create` does, with a ``DeprecationWarning``.
    """

    def __init__(self, ledger: Ledger | str, model: Any, data: Any, *,
                 strategy: str = "hybrid", batch_size: int = 10, random_state: int = 0,
                 selector: str = "topk", strategy_settings: dict | None = None,
                 ids: Any = None, dev_split: str = "dev", id_column: str = "id",
                 text_column: str | None = None,
                 feature_columns: list[str] | None = None) -> None:
        warnings.warn(
            "LabelingSession(...) writes the ledger and is deprecated; use "
            "LabelingSession.create(...) (or LabelingSession.open(...) for a ledger set up by "
            "`dataqa al init`).", DeprecationWarning, stacklevel=2)
        self._configure(model, strategy=strategy, batch_size=batch_size,
                        random_state=random_state, selector=selector,
                        strategy_settings=strategy_settings, dev_split=dev_split)
        self._add_items(ledger, data, ids=ids, id_column=id_column, text_column=text_column,
                        feature_columns=feature_columns)

    @classmethod
    def create(cls, ledger: Ledger | str, model: Any, data: Any, *, strategy: str = "hybrid",
               batch_size: int = 10, random_state: int = 0, selector: str = "topk",
               strategy_settings: dict | None = None, ids: Any = None,
               dev_split: str = "dev", id_column: str = "id", text_column: str | None = None,
               feature_columns: list[str] | None = None) -> LabelingSession:
        """A session over the items of ``data``; the ledger (created if missing) gets the
        ids it lacks. Parameters as for the class; ``model=None`` is
        :func:`dataqa.active.default_model`, as for :meth:`open`."""
        if model is None:
            from dataqa.active.simulate import default_model

            model = default_model()
        session = cls.__new__(cls)
        session._configure(model, strategy=strategy, batch_size=batch_size,
                           random_state=random_state, selector=selector,
                           strategy_settings=strategy_settings, dev_split=dev_split)
        session._add_items(ledger, data, ids=ids, id_column=id_column, text_column=text_column,
                           feature_columns=feature_columns)
        return session

    @classmethod
    def open(cls, ledger: Ledger | str, model: Any = None, **settings: Any) -> LabelingSession:
        """Reopen a session on a ledger filled by :func:`store_table` (``dataqa al init``).

        The features come from the stored item contents (TF-IDF for text, the stored
        numeric features otherwise); the default model is
        :func:`dataqa.active.default_model`. Nothing is written. ``settings`` are the
        keyword settings of the class (``strategy``, ``batch_size``, ``random_state``,
        ``selector``, ``strategy_settings``, ``dev_split``).
        """
        session = cls.__new__(cls)
        if model is None:
            from dataqa.active.simulate import default_model

            model = default_model()
        session._configure(model, **settings)
        session.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger, create=False)
        ids, X = features_from_ledger(session.ledger)
        session._set_items(np.asarray(ids, dtype=object), X)
        return session

    @classmethod
    def from_ledger(cls, ledger: Ledger | str, model: Any = None,
                    **settings: Any) -> LabelingSession:
        """Deprecated name of :meth:`open`."""
        warnings.warn("LabelingSession.from_ledger is deprecated; use LabelingSession.open.",
                      DeprecationWarning, stacklevel=2)
        return cls.open(ledger, model, **settings)

    def _configure(self, model: Any, *, strategy: str = "hybrid", batch_size: int = 10,
                   random_state: int = 0, selector: str = "topk",
                   strategy_settings: dict | None = None, dev_split: str = "dev") -> None:
        """Check and store the settings."""
        from dataqa.active.acquisition import get_acquisition
        from dataqa.active.selectors import get_selector

        get_acquisition(strategy)
        _check_session_ood(strategy, strategy_settings or {})
        from dataqa.active.acquisition import check_acquisition_settings

        # before any round: a cold start (random picks) would record one the next could not follow
        check_acquisition_settings(strategy, strategy_settings or {})
        get_selector(selector)
        check_int(batch_size, "batch_size",
                  message=f"batch_size={batch_size!r} must be a positive integer.")
        self.model = model
        self.strategy = strategy
        self.batch_size = int(batch_size)
        if isinstance(random_state, (bool, np.bool_)) or not isinstance(
                random_state, (int, np.integer)) or random_state < 0:
            raise InvalidSettingError(
                f"random_state={random_state!r}: a labeling session is rebuilt from its "
                f"ledger, so its random_state must be an integer seed >= 0 (each round draws "
                f"from the seed and the round's number).")
        self.random_state = int(random_state)
        self.selector = selector
        self.strategy_settings = dict(strategy_settings or {})
        self.dev_split = dev_split

    def _add_items(self, ledger: Ledger | str, data: Any, *, ids: Any, id_column: str,
                   text_column: str | None, feature_columns: list[str] | None) -> None:
        """Open (or create) the ledger, build the features and add the missing ids."""
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        if isinstance(data, pd.DataFrame):
            row_ids, X = _features_from_frame(data, id_column, text_column, feature_columns)
        else:
            X = data
            row_ids = (self.ledger.items()["id"].to_numpy(dtype=object) if ids is None
                       else np.asarray([str(i) for i in ids], dtype=object))
            if X.shape[0] != len(row_ids):
                raise LengthMismatchError(
                    f"X has {X.shape[0]} rows but there are {len(row_ids)} ids; pass ids=... "
                    f"(one per row) or add the items to the ledger first.")
        self.ledger.add_items(row_ids)
        self._set_items(row_ids, X)

    def _set_items(self, row_ids: np.ndarray, X: Any) -> None:
        self.ids_ = row_ids
        self.X_ = X
        self._pos = {i: k for k, i in enumerate(row_ids)}
        self.model_: Any = None
        self._fitted_on: tuple | None = None

    # ------------------------------------------------------------------ state from the ledger

    def _labels(self) -> pd.DataFrame:
        lab = self.ledger.latest_labels()
        lab = lab[lab["source"].isin(TRAIN_SOURCES) & lab["id"].isin(self._pos)]
        return lab.reset_index(drop=True)

    def _dev_ids(self) -> set[str]:
        return set(self.ledger.items(split=self.dev_split)["id"])

    def _rows(self, ids: Any) -> np.ndarray:
        return np.asarray([self._pos[i] for i in ids], dtype=np.int64)

    def _training(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lab = self._labels()
        dev = self._dev_ids()
        lab = lab[~lab["id"].isin(dev)]
        oos = is_out_of_scope(lab["label"])
        train = lab[~oos]
        return (self._rows(train["id"]), train["label"].to_numpy(dtype=object),
                self._rows(lab.loc[oos, "id"]))

    def _fit(self) -> bool:
        rows, y, _ = self._training()
        key = (tuple(rows.tolist()), tuple(map(str, y)))
        if self._fitted_on == key and self.model_ is not None:
            return True
        if len(set(map(str, y))) < 2:
            self.model_, self._fitted_on = None, None
            return False
        y_fit = y
        is_int = [isinstance(v, (int, np.integer)) for v in y]
        if all(is_int):
            y_fit = y.astype(np.int64)
        elif any(is_int):
            from dataqa.errors import LedgerError

            name = next(str(v) for v, k in zip(y, is_int, strict=True) if not k)
            raise LedgerError(
                f"ledger {self.ledger.path!r} holds class numbers and class names (e.g. "
                f"{name!r}) as labels; record corrected labels (source reviewed) for the "
                f"items with the wrong kind.")
        self.model_ = clone(self.model).fit(self.X_[rows], y_fit)
        self._fitted_on = key
        return True

    def _skipped(self) -> dict[int, set[str]]:
        return _skipped_in(self.ledger)

    def open_round(self) -> dict | None:
        """The latest round while some of its items are neither labeled nor skipped.

        Returns
        -------
        dict or None
            The round's row of :meth:`Ledger.rounds` plus ``missing`` (ids of the batch
            still without a label or skip, in batch order) and ``skipped`` (ids skipped).
        """
        return open_round_in(self.ledger)

    def _finish_complete_round(self) -> None:
        """Finish the latest round when every item is labeled or skipped but it is open."""
        latest = self.ledger.current_round()
        if latest is None or self.open_round() is not None:
            return
        if not isinstance(self.ledger.round_info(latest)["finished_at"], str):
            self.ledger.finish_round(latest, self._metrics())

    def _knn_settings(self, strategy: str, n_fit: int) -> dict[str, Any]:
        """The acquisition settings, with kNN's k checked against (or fitted to) ``n_fit``."""
        settings = dict(self.strategy_settings)
        if strategy == "ood:knn":
            k = settings.get("k")
            if k is None:
                settings["k"] = knn_default_k(n_fit)
                if settings["k"] < KNN_DEFAULT_K:
                    self.notes_.append(
                        f"ood:knn uses k={settings['k']}, one neighbour per "
                        f"{KNN_ITEMS_PER_NEIGHBOUR:,} of the {n_fit} labeled in-scope items "
                        f"(at most {KNN_DEFAULT_K}); set k with --k.")
            elif k > n_fit:
                raise InvalidSettingError(
                    f"k={k} is larger than the {n_fit} labeled in-scope items the kNN score "
                    f"compares with; lower k (--k) to at most {n_fit}, or leave it out.")
        elif strategy == "hybrid":
            k = settings.get("k")
            if k is None:
                k = (settings.get("ood_settings") or {}).get("k")
            if k is not None and k > n_fit and settings.get("ood", "knn") == "knn":
                raise InvalidSettingError(
                    f"k={k} is larger than the {n_fit} labeled in-scope items the kNN score "
                    f"compares with; lower k (--k) to at most {n_fit}, or leave it out.")
        return settings

    # ------------------------------------------------------------------ rounds

    def next_batch(self) -> pd.DataFrame:
        """Score the unlabeled pool, record the batch as a new round, return it.

        When the latest round is still open (some of its items are neither labeled nor
        skipped), that batch is returned again instead of starting a new round; see
        :meth:`open_round`. A batch holds at most one of the unlabeled items whose features
        are all equal (copies of a row; texts with the same known words, or none): the
        first in the table stands for them, with the score they share. Notes about
        settings chosen for you (kNN's ``k``) and about such items are left in ``notes_``.

        Returns
        -------
        DataFrame with ``id``, ``score`` (higher = more worth labeling), ``prediction``
        (the model's class, or None before a model can be fitted), ``probability`` (the
        model's probability of that class, or None) and ``round``.
        """
        from dataqa.active.acquisition import acquire
        from dataqa.active.selectors import distinct_rows, get_selector, select_batch

        self.notes_: list[str] = []
        # the round number is read before the open round is looked for: a round another
        # process starts after that look (while the model is fitted) is then found under
        # the write lock below, not numbered past and its batch started again
        round_no = len(self.ledger.rounds()) + 1
        open_round = self.open_round()
        fitted = self._fit()
        if open_round is not None:
            ids = list(open_round["batch_ids"])
            return self._batch_frame(ids, open_round["scores"], int(open_round["round"]),
                                     fitted)
        rng = np.random.default_rng([self.random_state, round_no])
        rows, y, oos_rows = self._training()
        skipped = set().union(*self._skipped().values())
        labeled = set(self._labels()["id"]) | self._dev_ids() | skipped
        pool = np.asarray([k for k, i in enumerate(self.ids_) if i not in labeled],
                          dtype=np.int64)
        if pool.size == 0:
            dev = self._dev_ids()
            undone = len(dev - set(self._labels()["id"]) - skipped)
            if undone:  # (dev items are held out for measuring, never queried)
                raise InvalidSettingError(
                    f"no pool item is left to query: every item outside the dev split is "
                    f"labeled or skipped, and the {len(dev):,} dev items ({undone:,} of them "
                    f"unlabeled) are held out to measure the model, never queried. Add "
                    f"pool items (rows outside the dev split) with `dataqa al init`.")
            raise InvalidSettingError("every item is labeled (or skipped); there is nothing "
                                      "left to query.")
        strategy = self.strategy if fitted else "random"
        settings = self._knn_settings(strategy, int(rows.size)) if fitted else {}
        X_pool = self.X_[pool]
        scores = acquire(strategy, model=self.model_, X=X_pool,
                         labeled_X=self.X_[rows] if fitted else None,
                         labeled_y=y if fitted else None,
                         out_of_scope_X=self.X_[oos_rows] if oos_rows.size else None,
                         random_state=rng, **settings)
        needs_predicted = "predicted" in get_selector(self.selector).needs
        predicted = self.model_.predict(X_pool) if (fitted and needs_predicted) \
            else np.zeros(pool.size)
        distinct = distinct_rows(X_pool)
        if distinct.size < pool.size:
            self.notes_.append(
                f"{pool.size - distinct.size} of the {pool.size} unlabeled items have the "
                f"same features as another (copies of a row, or texts with the same known "
                f"words, or none); a batch takes one of each.")
        if self.batch_size > distinct.size:
            what = ("unlabeled items" if distinct.size == pool.size
                    else "distinct unlabeled items")
            self.notes_.append(
                f"the batch of {self.batch_size:,} is capped at the {distinct.size:,} "
                f"{what} left: this round takes them all.")
        pick = distinct[select_batch(
            self.selector, scores[distinct], min(self.batch_size, distinct.size),
            X=X_pool[distinct], X_labeled=self.X_[rows] if fitted and rows.size else None,
            predicted=predicted[distinct], random_state=rng)]
        ids = [str(self.ids_[pool[i]]) for i in pick]
        record = {"strategy": self.strategy, "selector": self.selector,
                  "batch_size": self.batch_size, "random_state": self.random_state,
                  "settings": self.strategy_settings, "cold_start": not fitted}
        if settings != self.strategy_settings and fitted:
            record["effective_settings"] = settings
        try:
            with self.ledger.transaction():  # (holds the ledger's write lock from here)
                if len(self.ledger.rounds()) != round_no - 1:
                    raise _RoundStartedMeanwhile
                self._finish_complete_round()
                started = self.ledger.start_round(strategy, record, ids, scores=scores[pick])
        except _RoundStartedMeanwhile:
            # another process (a second `al next` on the same ledger) started a round
            # since this one looked: its batch is the open round, as if run after it
            other = self.open_round()
            if other is None:
                raise LedgerError(
                    f"another process started round {len(self.ledger.rounds())} of ledger "
                    f"{self.ledger.path!r} while this batch was chosen, and it is already "
                    f"labeled; run again for the next batch.") from None
            self.notes_.append(
                f"another process started round {int(other['round'])} while this batch was "
                f"chosen: its batch is the open round, shown here (no second round was "
                f"started).")
            return self._batch_frame(list(other["batch_ids"]), other["scores"],
                                     int(other["round"]), fitted)
        return self._batch_frame(ids, scores[pick].tolist(), started, fitted)

    def _batch_frame(self, ids: list[str], scores: list, round_no: int,
                     fitted: bool) -> pd.DataFrame:
        pred: list[Any] = [None] * len(ids)
        prob: list[float | None] = [None] * len(ids)
        if fitted and ids:
            X = self.X_[self._rows(ids)]
            pred = list(self.model_.predict(X))
            classes = list(getattr(self.model_, "classes_", []))
            if hasattr(self.model_, "predict_proba") and all(p in classes for p in pred):
                proba = np.asarray(self.model_.predict_proba(X), dtype=np.float64)
                prob = [float(proba[k, classes.index(p)]) for k, p in enumerate(pred)]
        return pd.DataFrame({"id": ids, "score": scores, "prediction": pred,
                             "probability": prob, "round": [round_no] * len(ids)})

    def record_labels(self, ids: Any, labels: Any, source: str = "human", *,
                      annotator: str | None = None, new_classes: Any = (),
                      where: str = "the labels") -> int:
        """Store labels after checking them against the ledger's classes.

        Parameters
        ----------
        ids, labels : sequences (n,)
            A label is a class of the ledger (same type: class numbers or names), ``-1`` /
            ``"out_of_scope"`` for an item outside the task, or ``"skip"`` to skip an
            item of the open round (it stays unlabeled and is not asked again).
        source : ``"human"`` or ``"reviewed"``
        annotator : str, optional
        new_classes : sequence, optional
            Classes to add on purpose (a string is split on commas: ``"ham,spam"`` is two);
            any other label outside the classes is refused. One no label of this call
            uses is not added (a note in ``notes_`` says so).
        where : str
            Where the labels come from, for error messages (e.g. the file name).

        Returns
        -------
        int : labels stored (skips not counted).

        Raises
        ------
        LabelError
            A label outside the classes (the message lists them) or of the other type.
        InvalidSettingError
            An unknown source, unknown ids, one id with different labels, or a skip of an
            item outside the open round. Nothing is written then.

        Notes
        -----
        Labels of items in the open round's batch are tagged with that round. A label that
        repeats the item's latest one from the same source and annotator is not stored
        again (it is not counted); that, and a label that changes a dev item's given one,
        leave a line in ``notes_``.
        """
        check_record_source(source)
        self.notes_: list[str] = []  # this call's notes only
        # an id with stray spaces (a file edited by hand) is the ledger's id without them
        ids = [i if i in self._pos or i.strip() not in self._pos else i.strip()
               for i in (str(v) for v in ids)]
        labels = list(labels)
        if len(ids) != len(labels):
            raise LengthMismatchError(f"{len(ids)} ids but {len(labels)} labels; give one "
                                      f"label per id.")
        unknown = [i for i in ids if i not in self._pos]
        if unknown:
            zeros = _lost_zeros_hint(
                unknown, self._pos, whose="the ledger's",
                read_as="read the file with the ids as text, e.g. pd.read_csv(..., "
                        "dtype={'id': str})")
            raise InvalidSettingError(
                f"{len(unknown)} id(s) in {where} are not items of this ledger: "
                f"{format_ids(unknown)}; check the ids{zeros}.")
        new_classes = split_class_names([new_classes] if isinstance(new_classes, str)
                                        else list(new_classes))
        if new_classes:  # a class in another case is refused, as al init and audit do
            from dataqa.active.labels import ledger_classes

            held = {str(c).casefold(): str(c) for c in ledger_classes(self.ledger)[0]}
            other = [(str(c), held[str(c).casefold()]) for c in new_classes
                     if isinstance(c, str) and str(c).casefold() in held
                     and held[str(c).casefold()] != str(c)]
            if other:
                from dataqa.errors import LabelError

                raise LabelError(
                    f"new class {other[0][0]!r} differs from the ledger's class "
                    f"{other[0][1]!r} only in case; label with {other[0][1]!r} (nothing was "
                    f"recorded).")
        values, added, kind = normalize_new_labels(self.ledger, ids, labels,
                                                   new_classes=new_classes, where=where)
        from dataqa.data import _padded_labels

        padded = _padded_labels(labels)
        if padded:  # read without it, as al init and the audit read a label column
            self.notes_.append(
                f"{len(padded):,} label{'s' if len(padded) > 1 else ''} in {where} had white "
                f"space around the text (e.g. {padded[0]!r}); read without it.")
        unused = unused_classes(new_classes, values, kind)
        if unused:  # a class no label uses is not added (a typo would become a class)
            self.notes_.append(
                f"new class(es) {describe_classes(unused)} are used by no label in {where}; "
                f"not added (a class is added with the first label that uses it).")
            added = [c for c in added if str(c) in {str(v) for v in values}]
        seen: dict[str, Any] = {}
        conflicts: list[str] = []
        for i, v in zip(ids, values, strict=True):
            if i in seen and seen[i] != v and i not in conflicts:
                conflicts.append(i)
            seen.setdefault(i, v)
        if conflicts:
            first = conflicts[0]
            both = sorted({str(v) for i, v in zip(ids, values, strict=True) if i == first})
            raise InvalidSettingError(
                f"{len(conflicts)} id(s) have different labels in {where}: "
                f"{format_ids(conflicts)} (e.g. {first!r}: {', '.join(both)}); keep one "
                f"label per id.")
        pairs = list(dict.fromkeys(zip(ids, values, strict=True)))
        if len(pairs) < len(ids):  # the same id and label twice (rows pasted twice)
            counts = pd.Series(ids).value_counts()
            twice = [i for i, c in counts.items() if c > 1]
            self.notes_.append(
                f"{len(ids) - len(pairs)} row(s) of {where} repeat another row's id and label "
                f"({format_ids(twice)}); each such label is recorded once.")
        open_round = self.open_round()
        batch = set(open_round["batch_ids"]) if open_round is not None else set()
        skips = [i for i, v in pairs if v == SKIP_LABEL]
        outside = [i for i in skips if i not in batch]
        # a skip an earlier round already holds (a file given twice) is a repeat, noted
        earlier = {str(i) for ids_ in (self.ledger.get_state(SKIPPED_KEY) or {}).values()
                   for i in ids_}
        again = [i for i in outside if i in earlier]
        if again:
            self.notes_.append(
                f"{len(again)} item(s) marked skip in {where} were already skipped in an "
                f"earlier round ({format_ids(again)}); they are not recorded again.")
            skips = [i for i in skips if i not in set(again)]
            outside = [i for i in outside if i not in set(again)]
        if outside:
            where_round = (f"round {int(open_round['round'])}" if open_round is not None
                           else "an open round")
            raise InvalidSettingError(
                f"{len(outside)} item(s) marked skip in {where} are not in {where_round}'s "
                f"batch: {format_ids(outside)}; only items of the open round can be skipped.")
        keep = [(i, v) for i, v in pairs if v != SKIP_LABEL]
        keep = self._note_repeats_and_dev(keep, source, annotator, where)
        open_no = None if open_round is None else int(open_round["round"])
        with self.ledger.transaction():
            if added:
                from dataqa.active.labels import ledger_classes

                config = dict(self.ledger.get_state(CONFIG_KEY) or {})
                classes, _ = ledger_classes(self.ledger)
                config.update(classes=sorted({*classes, *added}, key=str), label_kind=kind)
                if kind == "int":
                    config["classes"] = sorted(int(c) for c in config["classes"])
                self.ledger.set_state(CONFIG_KEY, config)
            if skips:
                state = self.ledger.get_state(SKIPPED_KEY) or {}
                state[str(open_no)] = sorted(set(state.get(str(open_no), [])) | set(skips))
                self.ledger.set_state(SKIPPED_KEY, state)
            if keep:
                self.ledger.add_labels([i for i, _ in keep], [v for _, v in keep],
                                       source=source, annotator=annotator,
                                       round=[open_no if i in batch else None
                                              for i, _ in keep])
        return len(keep)

    def _note_repeats_and_dev(self, keep: list[tuple[str, Any]], source: str,
                              annotator: str | None, where: str) -> list[tuple[str, Any]]:
        """Drop labels that repeat the latest one stored for the item by the same source
        and annotator (a file given twice), and note what the labels change on dev items
        (a human label outranks a given one, so it replaces the gold label there)."""
        hist = self.ledger.labels(source)
        if annotator is None:
            hist = hist[hist["annotator"].isna()]
        else:
            hist = hist[hist["annotator"].astype(str) == str(annotator)]
        if len(hist):  # the newest by the labels' own times, as latest_labels ranks them
            when = pd.to_datetime(hist["updated_at"].fillna(hist["created_at"]), utc=True,
                                  errors="coerce", format="mixed")
            hist = hist.assign(_when=when).sort_values("_when", kind="stable",
                                                       na_position="first")
        last = dict(zip(hist["id"], hist["label"], strict=True))  # oldest first: last wins
        relabeled = [(i, last[i], v) for i, v in keep if i in last and last[i] != v]
        if relabeled:  # the new label is the one in force: said, as it replaces a person's
            who = "" if annotator is None else f" by {annotator}"
            shown = ", ".join(f"{i!r}: {old} -> {new}" for i, old, new in relabeled[:5])
            more = f" and {len(relabeled) - 5} more" if len(relabeled) > 5 else ""
            self.notes_.append(
                f"{len(relabeled)} label(s){who} in {where} replace a different {source} "
                f"label recorded earlier ({shown}{more}); the new ones are in force.")
        repeats = [i for i, v in keep if i in last and last[i] == v]
        if repeats and annotator is None:
            # a label without an annotator newer than the annotators' vote corrects it:
            # one that repeats an earlier such label is a repeat only while that value is
            # still the one in force (else it corrects the vote back, and is recorded)
            force = self.ledger.latest_labels(source).set_index("id")["label"].to_dict()
            repeats = [i for i in repeats if i not in force or force[i] == last[i]]
        if repeats:
            who = "" if annotator is None else f" by {annotator}"
            self.notes_.append(
                f"{len(repeats)} label(s){who} in {where} were already recorded with the same "
                f"value ({format_ids(repeats)}); they are not recorded again.")
            done = set(repeats)
            keep = [(i, v) for i, v in keep if i not in done]
        dev = self._dev_ids()
        if dev and any(i in dev for i, _ in keep):
            # a dev item whose label in force is its given one (a reviewed label outranks
            # a human one, which then changes nothing)
            now = self.ledger.latest_labels()
            gold = {i: v for i, v, src in zip(now["id"], now["label"], now["source"],
                                              strict=True) if src == "given"}
            changed = [i for i, v in keep if i in dev and i in gold and gold[i] != v]
            if changed:
                self.notes_.append(
                    f"{len(changed)} dev item(s) get a {source} label other than their given "
                    f"one ({format_ids(changed)}); the {source} label now counts in the dev "
                    f"accuracy.")
        return keep

    def _dev_accuracy(self) -> dict[str, Any]:
        lab = self._labels()
        dev = lab[lab["id"].isin(self._dev_ids())]
        dev = dev[~is_out_of_scope(dev["label"])]
        if dev.empty or self.model_ is None:
            return {"n_dev": int(len(dev)), "dev_accuracy": None, "dev_low": None,
                    "dev_high": None}
        pred = self.model_.predict(self.X_[self._rows(dev["id"])])
        truth = dev["label"].to_numpy(dtype=object)
        n_err = int(sum(str(p) != str(t) for p, t in zip(pred, truth, strict=True)))
        er = error_rate_interval(n_err, len(dev))
        out = {"n_dev": int(len(dev)), "dev_accuracy": 1.0 - er.estimate,
               "dev_low": 1.0 - er.high, "dev_high": 1.0 - er.low}
        one = _collapsed_onto(pred, truth)
        if one is not None:
            out["dev_one_class"] = one
        names, counts = np.unique([str(t) for t in truth], return_counts=True)
        share = float(counts.max() / len(truth))
        if out["dev_high"] < share:
            out["dev_below_majority"] = {"class": str(names[counts.argmax()]),
                                         "share": share}
        return out

    def _metrics(self) -> dict[str, Any]:
        fitted = self._fit()
        rows, _, oos_rows = self._training()
        return {"n_labeled": int(rows.size + oos_rows.size),
                "n_out_of_scope": int(oos_rows.size), "fitted": bool(fitted),
                **self._dev_accuracy()}

    def retrain(self) -> dict[str, Any]:
        """Refit on every label so far; finish the latest round once it is complete.

        A round is complete when every item of its batch is labeled or skipped; until
        then it stays open (and :meth:`next_batch` returns it again).

        Returns
        -------
        dict: ``n_labeled``, ``n_out_of_scope``, ``n_dev``, ``dev_accuracy``, ``dev_low``,
        ``dev_high`` (the 95% exact interval of the model's accuracy on the pool the dev
        items are a random sample of, :func:`dataqa.stats.error_rate_interval`),
        ``fitted``, ``round`` (the latest
        round or None), ``round_open`` (bool) and ``missing`` (ids of that round still
        without a label or skip).
        """
        metrics = self._metrics()
        latest = self.ledger.current_round()
        open_round = self.open_round()
        if latest is not None and open_round is None:
            if not isinstance(self.ledger.round_info(latest)["finished_at"], str):
                self.ledger.finish_round(latest, metrics)
        return {**metrics, "round": latest, "round_open": open_round is not None,
                "missing": [] if open_round is None else list(open_round["missing"])}

    def history(self) -> pd.DataFrame:
        """One row per finished round: ``round, strategy, n_batch, n_labeled,
        n_out_of_scope, dev_accuracy, dev_low, dev_high, finished_at``."""
        rounds = self.ledger.rounds()
        recs = []
        for _, r in rounds.iterrows():
            m = r["metrics"] if isinstance(r["metrics"], dict) else {}
            recs.append({"round": r["round"], "strategy": r["strategy"],
                         "n_batch": r["n_batch"], "n_labeled": m.get("n_labeled"),
                         "n_out_of_scope": m.get("n_out_of_scope"),
                         "dev_accuracy": m.get("dev_accuracy"), "dev_low": m.get("dev_low"),
                         "dev_high": m.get("dev_high"),
                         "finished_at": r["finished_at"] if isinstance(r["finished_at"], str)
                         else None})
        return pd.DataFrame(recs, columns=["round", "strategy", "n_batch", "n_labeled",
                                           "n_out_of_scope", "dev_accuracy", "dev_low",
                                           "dev_high", "finished_at"])


def _skipped_in(ledger: Ledger) -> dict[int, set[str]]:
    """Each round's skipped items: those skipped with ``dataqa al label`` and those
    skipped in Label Studio, as the last pull of each project found them."""
    out: dict[int, set[str]] = {}
    raw = ledger.get_state(SKIPPED_KEY) or {}
    for rounds in [raw, *(ledger.get_state(LS_SKIPPED_KEY) or {}).values()]:
        for r, ids in rounds.items():
            out.setdefault(int(r), set()).update(ids)
    return out


class _RoundStartedMeanwhile(Exception):
    """A round was started by another process between reading and writing the ledger."""


def open_round_in(ledger: Ledger) -> dict | None:
    """The latest round of a ledger while some of its items are neither labeled (by a
    source in :data:`TRAIN_SOURCES`) nor skipped; see :meth:`LabelingSession.open_round`."""
    rounds = ledger.rounds()
    if rounds.empty:
        return None
    last = rounds.iloc[-1].to_dict()
    if isinstance(last["finished_at"], str):
        return None
    lab = ledger.latest_labels()
    labeled = set(lab.loc[lab["source"].isin(TRAIN_SOURCES), "id"])
    skipped = _skipped_in(ledger).get(int(last["round"]), set())
    missing = [i for i in last["batch_ids"] if i not in labeled and i not in skipped]
    if not missing:
        return None
    return {**last, "missing": missing,
            "skipped": [i for i in last["batch_ids"] if i in skipped]}
