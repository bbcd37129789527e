"""The contract of a vectorized labeling function: labels one row, or a whole frame at once.

- :class:`FrameLF`: any LF with a frame path, ``apply_batch(df, cache=...)``;
  :func:`dataqa.weak.apply_lfs` calls it once per frame instead of once per row.
- :class:`EngineLF`: a :class:`FrameLF` that takes part in the engine's shared pass: it
  announces what it will read (:meth:`EngineLF.prepare`), says whether it reads text or a
  shared scan (the order of a threaded pass), may run in a thread, and returns only its
  label or -1. :class:`VectorizedLF` is one.
- :class:`FramePredicate`: the frame half of a :class:`VectorizedLF` (True where it votes).
- :class:`VectorizedLF`: a Snorkel ``LabelingFunction`` built from a row predicate and a
  frame predicate that agree element for element; the factories of
  :mod:`labeling_functions` return it.

A missing value (``None``, ``NaN``, ``pd.NA``, ``NaT``) in a column an LF reads means
abstain on both paths (:func:`is_missing` on one value, :meth:`BatchCache.missing` on a
column).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from snorkel.labeling import LabelingFunction

from dataqa.errors import MissingColumnError
from dataqa.types import ABSTAIN
from dataqa.weak._engine import BatchCache, as_text

__all__ = [
    "BatchCache",
    "ColumnMissing",
    "EngineLF",
    "FrameLF",
    "FramePredicate",
    "VectorizedLF",
    "as_text",
    "is_missing",
    "value_of",
]


def is_missing(value: object) -> bool:
    """True for ``None``, ``pd.NA``, ``pd.NaT``, NaT and float NaN (``pandas.isna`` on a scalar).

    Containers (lists, arrays, dicts) are never missing.
    """
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset, np.ndarray)):
        return False
    try:
        res = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return bool(res) if isinstance(res, (bool, np.bool_)) else False


def value_of(x: Any, column: str) -> object:
    """The value of ``column`` in one data point (Series, mapping or namespace).

    Raises
    ------
    MissingColumnError
        The data point has no such field; the message lists the fields it has.
    """
    try:
        return x[column]
    except (KeyError, TypeError, IndexError):
        pass
    try:
        return getattr(x, column)
    except AttributeError:
        raise MissingColumnError(column, _fields(x), role="LF column") from None


def _fields(x: Any) -> list[str]:
    if hasattr(x, "index"):
        try:
            return [str(c) for c in x.index]
        except TypeError:
            pass
    if hasattr(x, "keys"):
        return [str(c) for c in x.keys()]
    return [k for k in vars(x)] if hasattr(x, "__dict__") else []


@runtime_checkable
class FrameLF(Protocol):
    """An LF with a frame path: what :func:`dataqa.weak.apply_lfs` calls once per frame.

    ``apply_batch(df, cache=...)`` returns one vote per row (int ndarray (n,); a negative
    vote is stored as -1 = abstain). ``cache`` is the :class:`BatchCache` of ``df`` shared
    by the LFs of one pass; an LF may ignore it. Calling the LF on one row must give the
    same vote (Snorkel's appliers do that).
    """

    name: str

    def __call__(self, x: Any) -> int: ...

    def apply_batch(self, df: pd.DataFrame, *, cache: BatchCache | None = None) -> np.ndarray: ...


@runtime_checkable
class EngineLF(FrameLF, Protocol):
    """A :class:`FrameLF` that takes part in the engine's shared pass.

    Its ``apply_batch`` returns only its label or -1, reads ``df`` through ``cache`` only
    and is safe to run in a thread beside the other LFs of the pass.
    """

    #: the frame path reads a column as text (its byte form, :meth:`BatchCache.arrow`)
    reads_text: bool
    #: the frame path reads the substring scan shared by the LFs of the pass
    shares_scan: bool

    def prepare(self, cache: BatchCache) -> None:
        """Announce to ``cache`` what this LF will read, before any LF of the pass runs."""


@runtime_checkable
class FramePredicate(Protocol):
    """The frame path of a :class:`VectorizedLF`: True where the LF votes.

    ``predicate(df, cache)`` returns a bool ndarray (n,); rows the LF abstains on because
    their input is missing are masked afterwards, so their values do not matter.
    Subclass it to inherit the defaults (nothing to announce, reads no text).
    """

    reads_text: bool = False
    shares_scan: bool = False

    def prepare(self, cache: BatchCache) -> None:
        """Announce the substrings this predicate will ask ``cache`` about (default: none)."""

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray: ...


class _PlainPredicate(FramePredicate):
    """A bare callable(df, cache) as a :class:`FramePredicate` (nothing announced)."""

    def __init__(self, fn: Callable[[pd.DataFrame, BatchCache], np.ndarray]) -> None:
        self.fn = fn

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        return self.fn(df, cache)


class ColumnMissing:
    """The missing mask of one column, ``missing(df, cache) -> bool (n,)`` (a class, so
    that LFs pickle)."""

    def __init__(self, column: str) -> None:
        self.column = column

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        return cache.missing(self.column)


class VectorizedLF(LabelingFunction):
    """A Snorkel ``LabelingFunction`` that can also label a whole DataFrame at once.

    Implements :class:`EngineLF`.

    Parameters
    ----------
    name : str
        Unique LF name.
    label : int
        The class this LF votes for (>= 0).
    columns : sequence of str
        Columns the LF reads.
    row_predicate : callable(x) -> bool or None
        On one data point: True = vote ``label``, False = abstain. None means a missing
        value (abstain).
    batch_predicate : FramePredicate or callable(df, cache) -> bool ndarray (n,)
        On a frame: True where the LF votes ``label``; missing rows are masked by the
        caller through ``missing``. A plain callable announces nothing and reads no
        shared scan.
    missing : callable(df, cache) -> bool ndarray (n,)
        True where the LF must abstain because its input is missing.
    description : str, optional
    """

    def __init__(self, name: str, *, label: int, columns: Sequence[str],
                 row_predicate: Callable[[Any], bool | None],
                 batch_predicate: FramePredicate | Callable[[pd.DataFrame, BatchCache], np.ndarray],
                 missing: Callable[[pd.DataFrame, BatchCache], np.ndarray],
                 description: str = "") -> None:
        self.label = int(label)
        self.columns = list(columns)
        self.description = description
        self._row_predicate = row_predicate
        self._batch_predicate = (batch_predicate if isinstance(batch_predicate, FramePredicate)
                                 else _PlainPredicate(batch_predicate))
        self._missing = missing
        super().__init__(name=name, f=self._label_one)

    def _label_one(self, x: Any) -> int:
        hit = self._row_predicate(x)
        return self.label if hit else ABSTAIN

    def prepare(self, cache: BatchCache) -> None:
        """Tell ``cache`` what this LF will read, so LFs of one pass can share a scan."""
        self._batch_predicate.prepare(cache)

    @property
    def shares_scan(self) -> bool:
        """True when the frame path reads a scan shared with other LFs (see :meth:`prepare`)."""
        return bool(self._batch_predicate.shares_scan)

    @property
    def reads_text(self) -> bool:
        """True when the frame path reads a column as text (its byte form, see
        :meth:`BatchCache.arrow`)."""
        return bool(self._batch_predicate.reads_text)

    def apply_batch(self, df: pd.DataFrame, *, cache: BatchCache | None = None) -> np.ndarray:
        """Votes for every row of ``df``.

        Returns
        -------
        int64 ndarray (n,): ``label`` or -1 (abstain); equal to calling the LF row by row.
        """
        if cache is None or cache.df is not df:
            cache = BatchCache(df)
        n = len(df)
        if n == 0:
            return np.full(n, ABSTAIN, dtype=np.int64)
        hit = np.asarray(self._batch_predicate(df, cache), dtype=bool)
        return np.where(hit > self._missing(df, cache), np.int64(self.label), np.int64(ABSTAIN))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, label={self.label}, columns={self.columns})"
