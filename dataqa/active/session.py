"""Labeling rounds that live in the ledger and survive restarts.

A round: score the unlabeled pool, pick a batch (recorded in the ledger), people label it,
record the labels, retrain, record the round's metrics. Everything a round depends on
(labels, batches, the round number) is read back from the ledger, and the round's
randomness comes from ``(random_state, round number)``, so a session rebuilt from the
same ledger with the same seed picks exactly the same next batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from dataqa.errors import InvalidSettingError, LengthMismatchError, MissingColumnError
from dataqa.ledger import Ledger
from dataqa.stats import error_rate_interval

__all__ = ["LabelingSession", "OUT_OF_SCOPE_LABELS", "TRAIN_SOURCES", "CONFIG_KEY", "is_out_of_scope",
           "store_table"]

#: Label values that mean "this item is out of scope for the task".
OUT_OF_SCOPE_LABELS: tuple[Any, ...] = (-1, "-1", "out_of_scope")

#: Label sources the model is trained on (weak and model labels are not ground truth).
TRAIN_SOURCES: tuple[str, ...] = ("given", "human", "reviewed")


def is_out_of_scope(labels: Any) -> np.ndarray:
    """Boolean mask (n,) of labels that mark an item out of scope."""
    vals = pd.Series(list(labels), dtype=object)
    return vals.map(lambda v: v in OUT_OF_SCOPE_LABELS).to_numpy(dtype=bool)


def _features_from_frame(df: pd.DataFrame, id_column: str, text_column: str | None,
                         feature_columns: list[str] | None) -> tuple[np.ndarray, Any]:
    if id_column not in df.columns:
        raise MissingColumnError(id_column, [str(c) for c in df.columns], role="id column")
    ids = df[id_column].astype(str).to_numpy(dtype=object)
    if text_column is not None:
        if text_column not in df.columns:
            raise MissingColumnError(text_column, [str(c) for c in df.columns],
                                     role="text column")
        from sklearn.feature_extraction.text import TfidfVectorizer

        X = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1).fit_transform(
            df[text_column].fillna("").astype(str))
        return ids, sp.csr_matrix(X)
    from dataqa.data import numeric_feature_columns

    cols = feature_columns or numeric_feature_columns(df, exclude=[id_column, "label"])
    if not cols:
        raise InvalidSettingError(
            "the table has no numeric feature columns; name a text column or feature columns.")
    return ids, df[cols].to_numpy(dtype=np.float64)


class LabelingSession:
    """Active-learning rounds recorded in a :class:`~dataqa.ledger.Ledger`.

    Parameters
    ----------
    ledger : Ledger or path
    model : scikit-learn classifier (cloned and refitted on every retrain)
    X_or_data : array or sparse matrix (n, d), or DataFrame
        Features of every item. An array's rows follow ``ids`` (default: the ledger's
        items in the order added). A DataFrame needs an ``id`` column (``id_column``) and
        either a ``text_column`` (TF-IDF features) or numeric feature columns.
    strategy : str
        An acquisition name (:func:`dataqa.active.acquisition_names`).
    batch_size : int
    random_state : int
    selector : str, batch selector (``topk``, ``ranked_batch``, ``class_balanced``)
    strategy_settings : dict, passed to the acquisition
    ids : sequence of str (n,), optional, ids of the rows of an array ``X_or_data``;
        ids missing from the ledger are added
    dev_split : str
        Items of this split in the ledger are never queried nor trained on; their labels
        measure accuracy in :meth:`history`.
    id_column, text_column, feature_columns : for a DataFrame ``X_or_data``

    Notes
    -----
    The labels used are :meth:`Ledger.latest_labels` from the sources in
    :data:`TRAIN_SOURCES`; a label in :data:`OUT_OF_SCOPE_LABELS` marks the item out of
    scope (not trained on, remembered by the ``hybrid`` acquisition).
    """

    def __init__(self, ledger: Ledger | str, model: Any, X_or_data: Any, *,
                 strategy: str = "hybrid", batch_size: int = 10, random_state: int = 0,
                 selector: str = "topk", strategy_settings: dict | None = None,
                 ids: Any = None, dev_split: str = "dev", id_column: str = "id",
                 text_column: str | None = None,
                 feature_columns: list[str] | None = None) -> None:
        from dataqa.active.acquisition import get_acquisition
        from dataqa.active.selectors import SELECTORS

        get_acquisition(strategy)
        if selector not in SELECTORS:
            from dataqa.errors import UnknownNameError

            raise UnknownNameError("selector", selector, SELECTORS)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise InvalidSettingError(f"batch_size={batch_size!r} must be a positive integer.")
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.model = model
        self.strategy = strategy
        self.batch_size = int(batch_size)
        self.random_state = int(random_state)
        self.selector = selector
        self.strategy_settings = dict(strategy_settings or {})
        self.dev_split = dev_split
        if isinstance(X_or_data, pd.DataFrame):
            row_ids, X = _features_from_frame(X_or_data, id_column, text_column,
                                              feature_columns)
        else:
            X = X_or_data
            row_ids = (self.ledger.items()["id"].to_numpy(dtype=object) if ids is None
                       else np.asarray([str(i) for i in ids], dtype=object))
            if X.shape[0] != len(row_ids):
                raise LengthMismatchError(
                    f"X has {X.shape[0]} rows but there are {len(row_ids)} ids; pass ids=... "
                    f"(one per row) or add the items to the ledger first.")
        self.ledger.add_items(row_ids)
        self.ids_ = row_ids
        self.X_ = X
        self._pos = {i: k for k, i in enumerate(row_ids)}
        self.model_: Any = None
        self._fitted_on: tuple | None = None

    @classmethod
    def from_ledger(cls, ledger: Ledger | str, model: Any = None,
                    **kwargs: Any) -> LabelingSession:
        """Rebuild a session from a ledger filled by :func:`store_table` (``dataqa al init``).

        The features come from the stored item contents (TF-IDF for text, the stored
        numeric features otherwise); the default model is logistic regression. Other
        keyword arguments go to :class:`LabelingSession`.
        """
        return _from_ledger(cls, ledger, model, **kwargs)

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
        if all(isinstance(v, (int, np.integer)) for v in y):
            y_fit = y.astype(np.int64)
        self.model_ = clone(self.model).fit(self.X_[rows], y_fit)
        self._fitted_on = key
        return True

    def _open_round(self) -> dict | None:
        rounds = self.ledger.rounds()
        if rounds.empty:
            return None
        last = rounds.iloc[-1]
        if isinstance(last["finished_at"], str):
            return None
        labeled = set(self._labels()["id"])
        if all(i in labeled for i in last["batch_ids"]):
            return None
        return last.to_dict()

    # ------------------------------------------------------------------ rounds

    def next_batch(self) -> pd.DataFrame:
        """Score the unlabeled pool, record the batch as a new round, return it.

        When the latest round is still open (some of its items have no label yet), that
        batch is returned again instead of starting a new round.

        Returns
        -------
        DataFrame with ``id``, ``score`` (higher = more worth labeling), ``prediction``
        (the model's class, or None before a model can be fitted) and ``round``.
        """
        from dataqa.active.acquisition import acquire
        from dataqa.active.selectors import select_batch

        open_round = self._open_round()
        fitted = self._fit()
        if open_round is not None:
            ids = list(open_round["batch_ids"])
            return self._batch_frame(ids, open_round["scores"], int(open_round["round"]),
                                     fitted)
        round_no = len(self.ledger.rounds()) + 1
        rng = np.random.default_rng([self.random_state, round_no])
        rows, y, oos_rows = self._training()
        labeled = set(self._labels()["id"]) | self._dev_ids()
        pool = np.asarray([k for k, i in enumerate(self.ids_) if i not in labeled],
                          dtype=np.int64)
        if pool.size == 0:
            raise InvalidSettingError("every item is labeled; there is nothing left to query.")
        strategy = self.strategy if fitted else "random"
        X_pool = self.X_[pool]
        settings = self.strategy_settings if fitted else {}
        scores = acquire(strategy, model=self.model_, X=X_pool,
                         labeled_X=self.X_[rows] if fitted else None,
                         labeled_y=y if fitted else None,
                         out_of_scope_X=self.X_[oos_rows] if oos_rows.size else None,
                         random_state=rng, **settings)
        predicted = self.model_.predict(X_pool) if (fitted and self.selector == "class_balanced") \
            else np.zeros(pool.size)
        pick = select_batch(self.selector, scores, min(self.batch_size, pool.size), X=X_pool,
                            X_labeled=self.X_[rows] if fitted and rows.size else None,
                            predicted=predicted, random_state=rng)
        ids = [str(self.ids_[pool[i]]) for i in pick]
        record = {"strategy": self.strategy, "selector": self.selector,
                  "batch_size": self.batch_size, "random_state": self.random_state,
                  "settings": self.strategy_settings, "cold_start": not fitted}
        rid = self.ledger.start_round(strategy, record, ids, scores=scores[pick])
        return self._batch_frame(ids, scores[pick].tolist(), rid, fitted)

    def _batch_frame(self, ids: list[str], scores: list, rid: int, fitted: bool) -> pd.DataFrame:
        pred: list[Any] = [None] * len(ids)
        if fitted and ids:
            pred = list(self.model_.predict(self.X_[self._rows(ids)]))
        return pd.DataFrame({"id": ids, "score": scores, "prediction": pred,
                             "round": [rid] * len(ids)})

    def record_labels(self, ids: Any, labels: Any, source: str = "human", *,
                      annotator: str | None = None) -> int:
        """Store labels (use ``-1`` or ``"out_of_scope"`` for items outside the task).

        Labels of items in the open round's batch are tagged with that round.
        """
        ids = [str(i) for i in ids]
        unknown = [i for i in ids if i not in self._pos]
        if unknown:
            from dataqa.errors import format_ids

            raise InvalidSettingError(
                f"{len(unknown)} id(s) are not items of this session: {format_ids(unknown)}.")
        open_round = self._open_round()
        rid = None
        if open_round is not None and set(ids) <= set(open_round["batch_ids"]):
            rid = int(open_round["round"])
        return self.ledger.add_labels(ids, list(labels), source=source, round=rid,
                                      annotator=annotator)

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
        return {"n_dev": int(len(dev)), "dev_accuracy": 1.0 - er.estimate,
                "dev_low": 1.0 - er.high, "dev_high": 1.0 - er.low}

    def retrain(self) -> dict[str, Any]:
        """Refit on every label so far; finish the latest round with its metrics.

        Returns
        -------
        dict: ``n_labeled``, ``n_out_of_scope``, ``n_dev``, ``dev_accuracy``, ``dev_low``,
        ``dev_high`` (the 95% Beta-posterior interval), ``fitted``.
        """
        fitted = self._fit()
        rows, _, oos_rows = self._training()
        metrics = {"n_labeled": int(rows.size + oos_rows.size),
                   "n_out_of_scope": int(oos_rows.size), "fitted": bool(fitted),
                   **self._dev_accuracy()}
        rid = self.ledger.current_round()
        if rid is not None:
            info = self.ledger.round_info(rid)
            if not isinstance(info["finished_at"], str):
                self.ledger.finish_round(rid, metrics)
        return metrics

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

    @property
    def predict_model(self) -> Any:
        """The model fitted on the current labels (fits it if needed), or ``None``."""
        return self.model_ if self._fit() else None


#: Ledger state key where ``dataqa al init`` keeps how features are built.
CONFIG_KEY = "active:config"


def store_table(ledger: Ledger, data: Any, *, label_column: str | None = None,
                text_column: str | None = None, id_column: str | None = None,
                feature_columns: list[str] | None = None,
                split_column: str | None = None) -> dict[str, int]:
    """Put a table's items (and its non-empty labels, as source ``given``) in the ledger.

    Each item's content is stored with it (the text, or the numeric feature columns), so
    :meth:`LabelingSession.from_ledger` can rebuild the features later.

    Returns
    -------
    dict with ``items`` (new), ``labels`` (added), ``n`` (rows).
    """
    from dataqa.data import load_table, make_ids, numeric_feature_columns

    df = load_table(data)
    ids = make_ids(df, id_column)
    cols = [str(c) for c in df.columns]
    for role, col in (("label column", label_column), ("text column", text_column),
                      ("split column", split_column)):
        if col is not None and col not in df.columns:
            raise MissingColumnError(col, cols, role=role)
    if text_column is not None:
        feats: list[str] = []
        data_rows = [{"text": "" if pd.isna(t) else str(t)} for t in df[text_column]]
    else:
        exclude = [c for c in (label_column, id_column, split_column) if c]
        feats = list(feature_columns or numeric_feature_columns(df, exclude=exclude))
        if not feats:
            raise InvalidSettingError(
                "the table has no numeric feature columns; pass --text-column or "
                "--feature-column.")
        for c in feats:
            if c not in df.columns:
                raise MissingColumnError(c, cols, role="feature column")
        block = df[feats].to_numpy(dtype=np.float64)
        if not np.isfinite(block).all():
            raise InvalidSettingError("feature columns have missing or infinite values; "
                                      "impute or drop those rows first.")
        data_rows = [{"features": row.tolist()} for row in block]
    splits = None if split_column is None else [
        None if pd.isna(s) else str(s) for s in df[split_column]]
    config = {"text_column": text_column, "feature_columns": feats,
              "label_column": label_column, "id_column": id_column}
    new = ledger.add_items(ids, split=splits, data=data_rows)
    n_labels = 0
    if label_column is not None:
        col = df[label_column]
        known = ~col.isna().to_numpy()
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            known &= col.astype(str).str.strip().ne("").to_numpy()
        vals = col[known]
        if pd.api.types.is_float_dtype(vals) and np.all(np.mod(vals.to_numpy(), 1) == 0):
            vals = vals.astype(np.int64)
        if known.any():
            labeled_ids = ids[known]
            have = set(ledger.labels(source="given")["id"])
            todo = [k for k, i in enumerate(labeled_ids) if i not in have]
            if todo:
                n_labels = ledger.add_labels(labeled_ids[todo],
                                             [vals.iloc[k] for k in todo], source="given")
    ledger.set_state(CONFIG_KEY, config)
    return {"n": int(len(df)), "items": int(new), "labels": int(n_labels)}


def _from_ledger(cls: type[LabelingSession], ledger: Ledger | str, model: Any = None,
                 **kwargs: Any) -> LabelingSession:
    led = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    config = led.get_state(CONFIG_KEY)
    if config is None:
        from dataqa.errors import LedgerError

        raise LedgerError(
            f"ledger {led.path!r} has no active-learning data; run `dataqa al init DATA "
            f"--ledger {led.path}` first.")
    ids = led.items()["id"].tolist()
    data = led.item_data(ids)
    if config.get("text_column"):
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [data[i].get("text", "") for i in ids]
        X = sp.csr_matrix(TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
                          .fit_transform(texts))
    else:
        X = np.asarray([data[i]["features"] for i in ids], dtype=np.float64)
    if model is None:
        from dataqa.active.simulate import default_model

        model = default_model()
    return cls(led, model, X, ids=ids, **kwargs)

