"""The one place that checks the data contracts of :mod:`dataqa.types`.

Public functions call these once, at their boundary; private helpers trust what they
are given. Each check returns the value in its canonical form (a NumPy array of the
contract's dtype) or raises a :class:`dataqa.errors.DataqaError` whose message says what
was wrong and what to do.

- :func:`check_labels`: int labels ``0 .. K-1`` (n,).
- :func:`check_pred_probs`: probabilities (n, K), finite, in [0, 1], rows summing to 1.
- :func:`check_scores`: finite scores (n,).
- :func:`check_label_matrix`: LF votes ``L`` (n, m), ints in ``-1 .. K-1``.
- :func:`check_gold_labels`: gold labels of LF votes, class indices (n,), row named.
- :func:`as_2d_float`: a finite float matrix (n, d) (logits, features), torch tensors too.
- :func:`check_int`, :func:`check_positive`, :func:`check_nonneg`: settings.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dataqa.errors import (
    DataqaError,
    InvalidSettingError,
    LabelError,
    LengthMismatchError,
    OODInputError,
)
from dataqa.types import ABSTAIN, LabelMatrix, Labels, PredProbs, Scores

__all__ = [
    "as_2d_float",
    "check_gold_labels",
    "check_int",
    "check_label_matrix",
    "check_labels",
    "check_nonneg",
    "check_positive",
    "check_pred_probs",
    "check_scores",
    "to_numpy",
]


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array; a torch tensor is detached and moved to the CPU first."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# --------------------------------------------------------------------------- settings

def check_int(value: Any, name: str, *, minimum: int = 1,
              message: str | None = None) -> int:
    """``value`` as an int ``>= minimum``; bools and floats are refused.

    ``message`` replaces the default ``"{name}={value!r} must be an integer >= {minimum}."``.
    """
    if (isinstance(value, bool) or not isinstance(value, int | np.integer)
            or value < minimum):
        raise InvalidSettingError(
            message or f"{name}={value!r} must be an integer >= {minimum}.")
    return int(value)


def check_positive(value: Any, name: str) -> float:
    """``value`` as a positive finite float (a number: not a string such as ``"2"``,
    not a bool)."""
    if isinstance(value, (str, bytes, bool)):
        raise InvalidSettingError(f"{name}={value!r} must be a positive number, not "
                                  f"{type(value).__name__}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidSettingError(f"{name}={value!r} must be a positive number.") from None
    if not math.isfinite(v) or v <= 0:
        raise InvalidSettingError(f"{name}={value!r} must be a positive finite number.")
    return v


def check_nonneg(value: Any, name: str) -> float:
    """``value`` as a finite float ``>= 0`` (a number: not a string, not a bool)."""
    if isinstance(value, (str, bytes, bool)):
        raise InvalidSettingError(f"{name}={value!r} must be a number >= 0, not "
                                  f"{type(value).__name__}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidSettingError(f"{name}={value!r} must be a number >= 0.") from None
    if not math.isfinite(v) or v < 0:
        raise InvalidSettingError(f"{name}={value!r} must be a finite number >= 0.")
    return v


# --------------------------------------------------------------------------- arrays

def as_2d_float(x: Any, name: str, *, min_cols: int = 1) -> np.ndarray:
    """``x`` as a finite float64 array (n, d) with n >= 1 and d >= ``min_cols``.

    Raises
    ------
    OODInputError
        ``x`` is None, not numeric, not 2-D, empty, too narrow, or holds NaN/inf.
    """
    if x is None:
        raise OODInputError(f"{name} is None; pass an array of shape (n_items, n_columns).")
    if hasattr(x, "tocsr") and hasattr(x, "nnz"):  # a scipy sparse matrix or array
        raise OODInputError(
            f"{name} is a sparse matrix, which this score does not take; pass "
            f"{name}.toarray() (dense) or fewer columns (e.g. TruncatedSVD) when that is too "
            f"large.")
    try:
        arr = to_numpy(x).astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise OODInputError(
            f"{name} must be a numeric array of shape (n_items, n_columns): {exc}") from None
    if arr.ndim != 2:
        raise OODInputError(
            f"{name} must be 2-D of shape (n_items, n_columns); got shape {arr.shape}. "
            "Reshape it (for one item use x[None, :])."
        )
    if arr.shape[0] == 0:
        raise OODInputError(f"{name} has no rows; pass at least one item.")
    if arr.shape[1] < min_cols:
        raise OODInputError(f"{name} needs at least {min_cols} columns; got shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise OODInputError(
            f"{name} holds NaN or infinite values in {len(rows)} row(s) (first rows: "
            f"{rows[:5].tolist()}); remove or impute them first."
        )
    return arr


def check_labels(labels: Any, n_classes: int | None = None) -> tuple[Labels, int]:
    """Integer class labels ``0 .. K-1`` (n,) as int64, and K.

    Float labels holding whole numbers are accepted; K is ``n_classes`` or
    ``max(labels) + 1``.

    Raises
    ------
    LabelError
        Not 1-D, empty, NaN, fractional, not numeric, negative, or ``>= n_classes``.
    """
    y = np.asarray(labels)
    if y.ndim != 1:
        raise LabelError(f"labels must be one-dimensional, got shape {y.shape}.")
    if len(y) == 0:
        raise LabelError("labels are empty; give at least one labeled item.")
    if y.dtype.kind == "f":
        if np.isnan(y).any():
            where = np.flatnonzero(np.isnan(y))
            raise LabelError(f"labels hold {len(where)} NaN values (first rows: "
                             f"{where[:5].tolist()}); drop or label those rows.")
        if not np.all(np.mod(y, 1) == 0):
            raise LabelError("labels must be integer class indices 0..K-1; encode them with "
                             "dataqa.data.encode_labels first.")
    elif y.dtype.kind not in "iub":
        raise LabelError(f"labels must be integer class indices 0..K-1, got dtype {y.dtype}; "
                         f"encode them with dataqa.data.encode_labels first.")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise LabelError(f"labels must be >= 0; found {int(y.min())} at row "
                         f"{int(np.argmin(y))}.")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= k:
        raise LabelError(f"label {int(y.max())} is out of range for {k} classes.")
    return y, k


def check_pred_probs(pred_probs: Any, n: int | None = None, *, min_classes: int = 2,
                     rows_sum_to_one: bool = True,
                     error: type[DataqaError] = InvalidSettingError) -> PredProbs:
    """Predicted probabilities (n, K) as float64.

    Parameters
    ----------
    pred_probs : array (n, K)
    n : int, optional
        The number of rows required (one per label).
    min_classes : int
        The smallest K accepted.
    rows_sum_to_one : bool
        Require every row to sum to 1 (within 1e-3). Without it, every value must lie in
        [0, 1] (within -1e-9 and +1e-6 for rounding), as for the scores of a one-vs-rest
        model.
    error : DataqaError subclass
        The error raised for a malformed matrix (the caller's contract); a wrong number
        of rows is always a :class:`LengthMismatchError`.

    Raises
    ------
    LengthMismatchError, or ``error``.
    """
    try:
        p = to_numpy(_nullable_as_float(pred_probs)).astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise error(f"pred_probs must be a numeric array of shape (n, K): {exc}") from None
    if p.ndim != 2 or p.shape[1] < min_classes:
        raise error(f"pred_probs must have shape (n, K) with K >= {min_classes}; "
                    f"got {p.shape}.")
    if n is not None and p.shape[0] != n:
        raise LengthMismatchError(f"pred_probs has {p.shape[0]} rows but labels has {n} "
                                  f"entries; give one row of probabilities per label.")
    if not np.isfinite(p).all():
        rows = np.flatnonzero(~np.isfinite(p).all(axis=1))
        raise error(f"pred_probs holds NaN or infinite values in {len(rows)} rows "
                    f"(first: {rows[:5].tolist()}).")
    if rows_sum_to_one:
        off = np.abs(p.sum(axis=1) - 1.0) > 1e-3
        if off.any() or (p < 0).any():
            rows = np.flatnonzero(off | (p < 0).any(axis=1))
            raise error(
                f"pred_probs rows must be probabilities summing to 1; {len(rows)} rows do not "
                f"(first: {rows[:5].tolist()}). Apply a softmax to logits first."
            )
    elif (p < -1e-9).any() or (p > 1 + 1e-6).any():
        raise error("pred_probs must lie in [0, 1]; did you pass logits instead?")
    return p


def check_scores(scores: Any, name: str = "scores", *, n: int | None = None,
                 allow_empty: bool = False,
                 error: type[DataqaError] = InvalidSettingError) -> Scores:
    """Scores (n,) as a finite float64 array.

    Parameters
    ----------
    scores : array (n,)
    name : str, for messages
    n : int, optional, the number of entries required
    allow_empty : bool
    error : DataqaError subclass raised for a malformed array
    """
    a = to_numpy(scores).astype(np.float64, copy=False)
    if a.ndim != 1:
        raise error(f"{name} must be 1-D of shape (n,); got shape {a.shape}.")
    if not allow_empty and len(a) == 0:
        raise error(f"{name} is empty; pass at least one score.")
    if n is not None and len(a) != n:
        raise LengthMismatchError(f"{name} has {len(a)} entries but there are {n} items; "
                                  f"give one score per item.")
    if not np.isfinite(a).all():
        bad = np.flatnonzero(~np.isfinite(a))
        raise error(f"{name} holds {len(bad)} NaN/inf value(s) (first at position "
                    f"{int(bad[0])}); give each item a finite score (drop or impute the "
                    f"items that have none).")
    return a


# --------------------------------------------------------------------------- LF votes

def _nullable_as_float(X: Any) -> Any:
    """A DataFrame or Series with pandas' nullable number columns (``Int64``, ``Float64``,
    not booleans) as a float array, ``pd.NA`` as NaN (as object it holds no number type
    to check), and an object array of numbers (ints and floats, ``None``/``pd.NA``, no
    booleans or strings) as float; anything else as it is, for the caller's checks."""
    import pandas as pd

    if isinstance(X, (pd.DataFrame, pd.Series)):
        dtypes = list(X.dtypes) if isinstance(X, pd.DataFrame) else [X.dtype]
        nullable = [isinstance(t, pd.api.extensions.ExtensionDtype) for t in dtypes]
        if len(X) and any(nullable) and all(
                pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
                for t in dtypes):
            return X.to_numpy(dtype=np.float64, na_value=np.nan)
        if not any(pd.api.types.is_object_dtype(t) for t in dtypes):
            return X
        X = X.to_numpy(dtype=object)  # (object columns: read as the arrays below)
    if isinstance(X, np.ndarray) and X.dtype == object and X.size:
        flat = X.ravel()
        if all(v is None or v is pd.NA or (isinstance(v, (int, float, np.integer, np.floating))
                                           and not isinstance(v, (bool, np.bool_)))
               for v in flat):
            return np.array([np.nan if v is None or v is pd.NA else v for v in flat],
                            dtype=np.float64).reshape(X.shape)
    return X


def check_label_matrix(L: Any, cardinality: int | None = None, *, name: str = "L") -> LabelMatrix:
    """Validate an LF vote matrix: 2-D ints in ``-1 .. cardinality-1``."""
    try:
        arr = np.asarray(_nullable_as_float(L))
    except ValueError:  # (rows of different lengths)
        lengths = [len(r) if hasattr(r, "__len__") else 1 for r in L]
        most = max(sorted(set(lengths), key=lengths.index), key=lengths.count)
        odd = [i for i, k in enumerate(lengths) if k != most]
        where = (f"; row {odd[0]} has {lengths[odd[0]]} votes where "
                 f"{'most rows have' if len(lengths) > 2 else 'row 0 has'} {most}"
                 if odd else "; its rows hold values of different shapes")
        raise InvalidSettingError(
            f"{name} must be a 2-D array (n, m) with one vote per LF in every row{where}."
        ) from None
    if arr.ndim != 2:
        raise InvalidSettingError(f"{name} must be a 2-D array (n, m); got shape {arr.shape}.")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        floating = np.issubdtype(arr.dtype, np.floating)
        if floating and np.isnan(arr).any():
            i, j = np.argwhere(np.isnan(arr))[0]
            raise InvalidSettingError(
                f"{name} holds {int(np.isnan(arr).sum())} missing value(s) (NaN; first at row "
                f"{i}, LF column {j}); an LF that abstains votes -1.")
        if floating:
            whole = np.isfinite(arr)
            whole[whole] = np.mod(arr[whole], 1) == 0
            if not whole.all():
                i, j = np.argwhere(~whole)[0]
                raise InvalidSettingError(
                    f"{name} holds {int((~whole).sum())} vote(s) that are no whole class "
                    f"index (first at row {i}, LF column {j}: {float(arr[i, j])!r}); votes are "
                    f"0..K-1, or -1 to abstain.")
            arr = arr.astype(np.int64)
        else:
            raise InvalidSettingError(f"{name} must hold integer votes (-1 to abstain); got "
                                      f"dtype {arr.dtype}.")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < ABSTAIN:
        i, j = np.argwhere(arr < ABSTAIN)[0]
        raise InvalidSettingError(f"{name} has votes below -1 (min {arr.min()}, first at row "
                                  f"{i}, LF column {j}); -1 means abstain.")
    if cardinality is not None and arr.size and arr.max() >= cardinality:
        bad = arr >= cardinality
        cols = np.flatnonzero(bad.any(axis=0))
        raise InvalidSettingError(
            f"{name} has a vote {arr.max()} but cardinality={cardinality}: {int(bad.sum())} "
            f"vote(s) of {cardinality} or more, in LF column(s) "
            f"{', '.join(map(str, cols[:10]))}{' ...' if len(cols) > 10 else ''}; votes must "
            f"be in 0..{cardinality - 1} or -1. Raise cardinality or fix the LFs."
        )
    return arr


def check_gold_labels(Y: Any, n: int, cardinality: int | None, *, name: str = "Y_dev") -> np.ndarray:
    """Validate gold labels: ``n`` integer class indices in ``0 .. cardinality-1``.

    Strings and non-integer numbers are refused (map class names to indices first);
    integral floats (``1.0``) are accepted.
    """
    arr = np.asarray(Y)
    if arr.ndim == 2 and arr.shape[1] == 1:  # a single column
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InvalidSettingError(f"{name} must be 1-D (one gold label per row); got shape {arr.shape}.")
    if len(arr) != n:
        raise LengthMismatchError(f"{name} has {len(arr)} labels but there are {n} rows; "
                                  f"give one gold label per row.")
    if arr.dtype.kind in "biu":
        out = arr.astype(np.int64, copy=False)
    else:
        bad = None
        if arr.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                out = arr.astype(np.int64)
            wrong = np.flatnonzero(out != arr)
            if len(wrong):
                bad = int(wrong[0])
        else:
            out, bad = np.empty(len(arr), dtype=np.int64), None
            for i, v in enumerate(arr.tolist()):
                if isinstance(v, (bool, int, np.integer)) or (isinstance(v, float) and v.is_integer()):
                    out[i] = int(v)
                else:
                    bad = i
                    break
        if bad is not None:
            v = arr[bad].item() if isinstance(arr[bad], np.generic) else arr[bad]
            missing = (v is None or type(v).__name__ == "NAType"
                       or (isinstance(v, float) and math.isnan(v)))
            fix = ("Drop the rows without a gold label (from both the dev rows and their "
                   "labels) first." if missing else "Map class names to indices first (e.g. "
                   "with pandas.factorize or a dict).")
            raise InvalidSettingError(
                f"{name} must hold integer class indices 0..{'K-1' if cardinality is None else cardinality - 1}; "
                f"row {bad} holds {v!r} ({type(v).__name__}). {fix}"
            )
    if len(out) and cardinality is not None and (out.min() < 0 or out.max() >= cardinality):
        row = int(np.flatnonzero((out < 0) | (out >= cardinality))[0])
        raise InvalidSettingError(
            f"{name} must hold class indices in 0..{cardinality - 1}; row {row} holds {out[row]}."
        )
    return out
