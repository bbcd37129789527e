"""Input checks at the public boundary of :mod:`dataqa.ood` (private helpers trust them)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dataqa.errors import DataqaError, InvalidSettingError

__all__ = ["OODInputError", "as_2d_float", "check_positive", "check_nonneg", "check_int"]


class OODInputError(DataqaError, ValueError):
    """An input array of an OOD score has the wrong shape, is empty or holds NaN/inf."""


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def as_2d_float(x: Any, name: str, *, min_cols: int = 1) -> np.ndarray:
    """Return ``x`` as a finite float64 array of shape (n, d) with n >= 1, d >= ``min_cols``."""
    if x is None:
        raise OODInputError(f"{name} is None; pass an array of shape (n_items, n_columns).")
    try:
        arr = _to_numpy(x)
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise OODInputError(f"{name} must be a numeric array of shape (n_items, n_columns): {exc}") from None
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


def check_positive(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidSettingError(f"{name}={value!r} must be a positive number.") from None
    if not math.isfinite(v) or v <= 0:
        raise InvalidSettingError(f"{name}={value!r} must be a positive finite number.")
    return v


def check_nonneg(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidSettingError(f"{name}={value!r} must be a number >= 0.") from None
    if not math.isfinite(v) or v < 0:
        raise InvalidSettingError(f"{name}={value!r} must be a finite number >= 0.")
    return v


def check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidSettingError(f"{name}={value!r} must be an integer >= {minimum}.")
    if value < minimum:
        raise InvalidSettingError(f"{name}={value!r} must be an integer >= {minimum}.")
    return int(value)
