"""Model LFs: vote where a fitted model's probability for a class reaches a threshold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError, LabelingFunctionError
from dataqa.weak.lf import BatchCache, FramePredicate, VectorizedLF, is_missing, value_of
from labeling_functions._build import check_column, check_label, check_name

__all__ = ["model_lf"]


class _Model(FramePredicate):
    """P(label) >= threshold, on one row or on every row in one ``predict_proba`` call."""

    def __init__(self, model: Any, label: int, threshold: float, columns: list[str] | None,
                 featurize: Callable[[pd.DataFrame], Any] | None, name: str,
                 model_class: Any = None) -> None:
        self.model, self.label, self.threshold = model, label, threshold
        self.columns, self.featurize, self.name = columns, featurize, name
        classes = getattr(model, "classes_", None)
        wanted = label if model_class is None else model_class
        if classes is not None:
            idx = np.flatnonzero(np.asarray(classes) == wanted)
            if len(idx) == 0:
                shown = [c.item() if isinstance(c, np.generic) else c for c in classes]
                # (the class at the label's index, as class indices follow sorted names)
                guess = (repr(shown[label]) if isinstance(label, int) and 0 <= label < len(shown)
                         else "NAME")
                how = (f"model_class= names the model's class, e.g. model_lf({name!r}, model, "
                       f"label={label}, model_class={guess}, threshold=...) if class "
                       f"{label} is what the model calls {guess}"
                       if model_class is None else "give one of them")
                raise InvalidSettingError(
                    f"LF {name!r}: {'label' if model_class is None else 'model_class'} "
                    f"{wanted!r} is not among the model's classes_ {shown}; {how} "
                    f"(label is the class index the LF votes).")
            self.col = int(idx[0])
        elif model_class is not None:
            raise InvalidSettingError(
                f"LF {name!r}: model_class={model_class!r} needs a model with classes_; "
                f"without them the probability column read is label's.")
        else:
            self.col = label

    def missing(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        miss = np.zeros(len(df), dtype=bool)
        for c in self.columns or []:
            miss |= cache.missing(c)
        return miss

    def hits(self, frame: pd.DataFrame) -> np.ndarray:
        if self.featurize is not None:
            X = self.featurize(frame if self.columns is None else frame[self.columns])
        else:
            X = frame[self.columns].to_numpy(dtype=float)
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        if proba.ndim != 2 or proba.shape[0] != len(frame) or self.col >= proba.shape[1]:
            raise LabelingFunctionError(
                f"LF {self.name!r}: model.predict_proba returned shape {proba.shape} for "
                f"{len(frame)} rows; expected ({len(frame)}, >{self.col})."
            )
        return proba[:, self.col] >= self.threshold

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        keep = ~self.missing(df, cache)
        out = np.zeros(len(df), dtype=bool)
        if keep.any():
            out[keep] = self.hits(df.loc[keep] if not keep.all() else df)
        return out

    def row(self, x: Any) -> bool | None:
        if self.columns is not None:
            values = {c: value_of(x, c) for c in self.columns}
            if any(is_missing(v) for v in values.values()):
                return None
            frame = pd.DataFrame({c: [v] for c, v in values.items()})
        elif isinstance(x, pd.Series):
            frame = x.to_frame().T.reset_index(drop=True)
        else:
            frame = pd.DataFrame([dict(vars(x))])
        return bool(self.hits(frame)[0])


def model_lf(name: str, model: Any, label: int, *, threshold: float,
             columns: Sequence[str] | None = None,
             featurize: Callable[[pd.DataFrame], Any] | None = None,
             model_class: Any = None) -> VectorizedLF:
    """Vote ``label`` where a fitted model's probability for it is at least ``threshold``.

    The frame path predicts all rows in one ``predict_proba`` call.

    Parameters
    ----------
    model : object with ``predict_proba(X) -> (n, K)``
        If it has ``classes_``, the column of ``label`` (or ``model_class``) is looked up
        there.
    label : int
        The class index the LF votes.
    threshold : float in [0, 1]
    columns : list of str, optional
        Columns given to the model (or to ``featurize``); rows with a missing value in any
        of them abstain. Without ``featurize`` they must be numeric.
    featurize : callable(DataFrame) -> X, optional
        Turns the frame (restricted to ``columns`` if given) into model input, e.g.
        ``lambda d: vectorizer.transform(d["text"])``.
    model_class : optional
        The model's own name of the class, when it was fitted on names (``"spam"``) rather
        than the class indices the LF votes: its probability column is looked up in
        ``classes_`` by this name.

    Returns
    -------
    VectorizedLF
    """
    name = check_name(name)
    label = check_label(label, name)
    if not hasattr(model, "predict_proba"):
        raise InvalidSettingError(f"LF {name!r}: the model has no predict_proba method.")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or not 0.0 <= float(threshold) <= 1.0:
        raise InvalidSettingError(f"LF {name!r}: threshold={threshold!r} must be in [0, 1].")
    if columns is None and featurize is None:
        raise InvalidSettingError(f"LF {name!r}: give columns=..., featurize=... or both.")
    cols = None if columns is None else [check_column(c, name) for c in columns]
    predicate = _Model(model, label, float(threshold), cols, featurize, name, model_class)
    return VectorizedLF(name, label=label, columns=cols or [], row_predicate=predicate.row,
                        batch_predicate=predicate, missing=predicate.missing,
                        description=f"P(label={label}) >= {threshold}")
