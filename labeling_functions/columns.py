"""LFs on one column's values: a comparison with a threshold, membership, text length."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import ColumnValueError, InvalidSettingError
from dataqa.weak.lf import BatchCache, VectorizedLF, as_text, is_missing
from labeling_functions._build import ColumnPredicate, checked, column_lf

__all__ = ["isin_lf", "length_lf", "threshold_lf"]

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


# --------------------------------------------------------------------------- threshold
class _Threshold(ColumnPredicate):
    def __init__(self, column: str, op: str, value: Any) -> None:
        super().__init__(column)
        self.op, self.value = op, value

    def test(self, value: Any) -> bool:
        return bool(_OPS[self.op](value, self.value))

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        s = cache.series(self.column)
        miss = cache.missing(self.column)
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype) \
                and isinstance(self.value, (int, float, np.integer, np.floating)) \
                and not isinstance(self.value, bool) and isinstance(s.dtype, np.dtype):
            vals = s.to_numpy()
            op, value = self.op, self.value
            if vals.dtype.kind in "iu" and isinstance(value, (float, np.floating)) \
                    and np.isfinite(value):
                # whole numbers against a fraction, exactly (as Python compares them):
                # float64 would merge integers beyond 2**53 (64-bit ids) with their
                # neighbours. x > v iff x > floor(v), x >= v iff x >= ceil(v), and so on.
                op, value = _integer_threshold(op, float(value))
                if value is None:  # == or != a fraction: never or always
                    return np.full(len(vals), op == "!=", dtype=bool)
            with np.errstate(invalid="ignore"):
                return np.asarray(_OPS[op](vals, value), dtype=bool)
        objs = cache.objects(self.column)
        op, value = _OPS[self.op], self.value
        if self.op in _ORDERED and isinstance(s.dtype, pd.CategoricalDtype) \
                and s.dtype.ordered and not _is_number(value):
            self._refuse_ordered_categories(s, objs, miss)
        if self.op in _ORDERED and _is_number(value):
            self._check_numbers(objs, miss)
        return np.fromiter((False if m else bool(op(v, value)) for v, m in zip(objs, miss, strict=True)),
                           dtype=bool, count=len(objs))


    def _refuse_ordered_categories(self, s: pd.Series, objs: np.ndarray,
                                   miss: np.ndarray) -> None:
        """Refuse ``<``, ``>``... on an ordered Categorical: each row's value is compared
        as Python compares it (text order, as Snorkel's row-by-row LF does), not in the
        order of the categories, which is what such a column means."""
        filled = np.flatnonzero(~miss)
        first = int(filled[0]) if filled.size else 0
        cats = [str(c) for c in s.dtype.categories[:6]]
        order = " < ".join(cats) + (" < ..." if len(s.dtype.categories) > 6 else "")
        raise ColumnValueError(
            self.column, first, objs[first] if filled.size else None,
            f"{self.column} {self.op} {self.value!r}",
            f" (an ordered Categorical, {order}: {self.op!r} would compare its values as "
            f"text, not in that order); compare its codes instead, e.g. "
            f"df['{self.column}_rank'] = df[{self.column!r}].cat.codes and "
            f"threshold_lf(..., '{self.column}_rank', {self.op!r}, <the code>, ...), or "
            f"list the categories with isin_lf.")

    def _check_numbers(self, objs: np.ndarray, miss: np.ndarray) -> None:
        """Refuse a column with a cell that cannot be compared with the number before
        comparing (Python would raise on the first text cell, which may well be a number
        read as text because of another cell), naming the first cell that is not a number
        written as text, if any."""
        bad = [i for i, (v, m) in enumerate(zip(objs, miss, strict=True))
               if not m and not _comparable(v, self.value)]
        if not bad:
            return
        n = len(objs)
        unread = [i for i in bad if not (isinstance(objs[i], str) and _NUMBER.match(objs[i]))]
        commas = [i for i in unread if isinstance(objs[i], str)
                  and _DECIMAL_COMMA.match(objs[i].strip())]
        first = commas[0] if commas else (unread[0] if unread else bad[0])
        v = objs[first]
        test = f"{self.column} {self.op} {self.value!r}"
        if commas:
            advice = (f" ({len(commas)} of {n} cells look like numbers with a decimal comma); "
                      f"read the file with --decimal ',' (API: decimal=',').")
        elif unread:
            text = all(isinstance(objs[i], str) for i in unread)
            advice = (f" ({_cells(len(unread), n)}"
                      f"{', so the column was read as text' if text else ''}); correct or "
                      f"blank such cells (a blank cell makes the LF abstain).")
        else:
            advice = (f" ({len(bad)} of {n} cells are numbers written as text); convert the "
                      f"column to numbers before applying the LFs, e.g. "
                      f"pd.to_numeric(df[{self.column!r}]).")
        raise ColumnValueError(self.column, first, v, test, advice)


def _integer_threshold(op: str, value: float) -> tuple[str, int | None]:
    """``(op, k)`` with ``k`` an int such that, for every integer ``x``, ``x op k`` holds
    exactly when ``x op value`` does; ``k`` None for ``==`` / ``!=`` a fraction."""
    import math

    if op in (">", "<="):
        return op, math.floor(value)
    if op in (">=", "<"):
        return op, math.ceil(value)
    return op, int(value) if value.is_integer() else None


#: Comparisons that raise on a text cell against a number.
_ORDERED = frozenset({">", ">=", "<", "<="})
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d{1,3}([.\s]?\d{3})*,\d+$")


def _cells(k: int, n: int) -> str:
    return f"{k} of {n} cells {'is not a number' if k == 1 else 'are not numbers'}"


def _comparable(v: Any, value: Any) -> bool:
    try:
        v < value  # noqa: B015 - only whether Python can order them
    except TypeError:
        return False
    return True


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_))


def threshold_lf(name: str, column: str, op: str, value: Any, label: int) -> VectorizedLF:
    """Vote ``label`` where ``column <op> value`` (op one of ``> >= < <= == !=``).

    Returns
    -------
    VectorizedLF
    """
    name, label, column = checked(name, label, column)
    if op not in _OPS:
        raise InvalidSettingError(
            f"LF {name!r}: op={op!r} is not supported; use one of {' '.join(_OPS)}."
        )
    if is_missing(value):
        raise InvalidSettingError(f"LF {name!r}: value must not be missing, got {value!r}.")
    return column_lf(name, label, _Threshold(column, op, value), f"{column} {op} {value!r}")


# --------------------------------------------------------------------------- isin
class _Isin(ColumnPredicate):
    def __init__(self, column: str, values: frozenset) -> None:
        super().__init__(column)
        self.values = values

    def test(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:  # unhashable cell
            return False

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        objs = cache.objects(self.column)
        test = self.test
        return np.fromiter((not is_missing(v) and test(v) for v in objs), dtype=bool,
                           count=len(objs))


def isin_lf(name: str, column: str, values: Iterable[Any], label: int) -> VectorizedLF:
    """Vote ``label`` where the value of ``column`` is one of ``values`` (Python ``in``).

    Returns
    -------
    VectorizedLF
    """
    name, label, column = checked(name, label, column)
    if isinstance(values, str):
        raise InvalidSettingError(
            f"LF {name!r}: values must be a collection, not the string {values!r}; wrap it in a list."
        )
    try:
        vals = frozenset(values)
    except TypeError as exc:
        raise InvalidSettingError(f"LF {name!r}: values must be hashable: {exc}") from exc
    if not vals:
        raise InvalidSettingError(f"LF {name!r}: values must not be empty.")
    return column_lf(name, label, _Isin(column, vals), f"{column} in {sorted(map(repr, vals))}")


# --------------------------------------------------------------------------- length
class _Length(ColumnPredicate):
    reads_text = True

    def __init__(self, column: str, min_len: int | None, max_len: int | None) -> None:
        super().__init__(column)
        self.min_len, self.max_len = min_len, max_len

    def test(self, value: Any) -> bool:
        n = len(as_text(value))
        return ((self.min_len is None or n >= self.min_len)
                and (self.max_len is None or n <= self.max_len))

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        texts = cache.texts(self.column)
        n = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ok = np.ones(len(texts), dtype=bool)
        if self.min_len is not None:
            ok &= n >= self.min_len
        if self.max_len is not None:
            ok &= n <= self.max_len
        return ok


def length_lf(name: str, column: str, *, min_len: int | None = None, max_len: int | None = None,
              label: int) -> VectorizedLF:
    """Vote ``label`` where ``min_len <= len(text) <= max_len`` (characters; bounds inclusive).

    Returns
    -------
    VectorizedLF
    """
    name, label, column = checked(name, label, column)
    if min_len is None and max_len is None:
        raise InvalidSettingError(f"LF {name!r}: give min_len, max_len or both.")
    for k, v in (("min_len", min_len), ("max_len", max_len)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0):
            raise InvalidSettingError(f"LF {name!r}: {k}={v!r} must be an int >= 0.")
    if min_len is not None and max_len is not None and min_len > max_len:
        raise InvalidSettingError(f"LF {name!r}: min_len={min_len} is above max_len={max_len}.")
    return column_lf(name, label, _Length(column, min_len, max_len),
                     f"{min_len} <= len({column}) <= {max_len}")
