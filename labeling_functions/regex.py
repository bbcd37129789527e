"""Regex LFs: vote where a regular expression finds a match in the text."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError
from dataqa.weak.lf import BatchCache, VectorizedLF, as_text
from labeling_functions._build import ColumnPredicate, checked, column_lf

__all__ = ["regex_lf"]


class _Regex(ColumnPredicate):
    """``pattern.search(text)`` finds a match; the frame path is the engine's
    :meth:`BatchCache.search` (RE2 where exact, Python's ``re`` elsewhere)."""

    reads_text = True

    def __init__(self, column: str, pattern: re.Pattern) -> None:
        super().__init__(column)
        self.pattern = pattern
        # the rows holding the pattern's required literals come from the shared scan
        self.shares_scan = bool(BatchCache.scan_needles(pattern))

    def test(self, value: Any) -> bool:
        return self.pattern.search(as_text(value)) is not None

    def prepare(self, cache: BatchCache) -> None:
        cache.want_pattern(self.column, self.pattern)

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        return cache.search(self.column, self.pattern)


def regex_lf(name: str, pattern: str | re.Pattern, label: int, *, column: str = "text",
             flags: int = 0) -> VectorizedLF:
    """Vote ``label`` where ``re.search(pattern, text, flags)`` finds a match.

    Returns
    -------
    VectorizedLF
    """
    name, label, column = checked(name, label, column)
    try:
        compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    except (re.error, TypeError) as exc:
        raise InvalidSettingError(f"LF {name!r}: pattern {pattern!r} does not compile: {exc}") from exc
    return column_lf(name, label, _Regex(column, compiled), f"{column} matches /{compiled.pattern}/")
