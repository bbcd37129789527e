"""The one check-and-build path of every factory: validate the common settings, then wrap
a predicate in a :class:`dataqa.weak.VectorizedLF`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError
from dataqa.weak.lf import (
    BatchCache,
    ColumnMissing,
    FramePredicate,
    VectorizedLF,
    is_missing,
    value_of,
)

__all__ = ["ColumnPredicate", "check_column", "check_label", "check_name", "checked", "column_lf"]


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidSettingError(f"LF name must be a non-empty string, got {name!r}.")
    return name


def check_label(label: object, name: str) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or int(label) < 0:
        raise InvalidSettingError(
            f"LF {name!r}: label={label!r} must be a class index >= 0 (use -1 only as abstain)."
        )
    return int(label)


def check_column(column: object, name: str) -> str:
    if not isinstance(column, str) or not column:
        raise InvalidSettingError(f"LF {name!r}: column must be a column name, got {column!r}.")
    return column


def checked(name: object, label: object, column: object) -> tuple[str, int, str]:
    """The settings every one-column factory takes, checked in this order."""
    name = check_name(name)
    return name, check_label(label, name), check_column(column, name)


class ColumnPredicate(FramePredicate):
    """Both paths of an LF that reads one column; a missing value there means abstain.

    Subclasses give :meth:`test` (one non-missing value) and ``__call__(df, cache)`` (the
    whole frame, equal to :meth:`test` on every non-missing row).
    """

    def __init__(self, column: str) -> None:
        self.column = column

    def test(self, value: Any) -> bool:
        raise NotImplementedError

    def row(self, x: Any) -> bool | None:
        """The row path: None where the value is missing, else :meth:`test`."""
        v = value_of(x, self.column)
        if is_missing(v):
            return None
        return self.test(v)

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        raise NotImplementedError


def column_lf(name: str, label: int, predicate: ColumnPredicate, description: str) -> VectorizedLF:
    """A :class:`VectorizedLF` voting ``label`` where ``predicate`` holds on its column."""
    return VectorizedLF(name, label=label, columns=[predicate.column], row_predicate=predicate.row,
                        batch_predicate=predicate, missing=ColumnMissing(predicate.column),
                        description=description)
