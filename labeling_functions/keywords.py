"""Keyword LFs: vote where the text contains any of some substrings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError
from dataqa.weak.lf import BatchCache, VectorizedLF, as_text
from labeling_functions._build import ColumnPredicate, checked, column_lf

__all__ = ["keyword_lf"]


class _Keywords(ColumnPredicate):
    """Any of ``keywords`` in the text (lower-cased unless ``case_sensitive``), or a match
    of ``pattern`` when given (whole words)."""

    reads_text = True

    def __init__(self, column: str, keywords: tuple[str, ...], case_sensitive: bool,
                 pattern: re.Pattern | None) -> None:
        super().__init__(column)
        self.keywords, self.case_sensitive, self.pattern = keywords, case_sensitive, pattern
        # the keywords (or the whole-word pattern's required literals) are found in the
        # scan shared by the LFs of one pass
        self.shares_scan = pattern is None or bool(BatchCache.scan_needles(pattern))

    def test(self, value: Any) -> bool:
        t = as_text(value)
        if self.pattern is not None:
            return self.pattern.search(t) is not None
        if not self.case_sensitive:
            t = t.lower()
        return any(k in t for k in self.keywords)

    def prepare(self, cache: BatchCache) -> None:
        if self.pattern is None:
            cache.want_substrings(self.column, not self.case_sensitive, self.keywords)
        else:
            cache.want_pattern(self.column, self.pattern)

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        if self.pattern is not None:
            return cache.search(self.column, self.pattern)
        lower = not self.case_sensitive
        self.prepare(cache)
        hit = None
        for k in self.keywords:
            found = cache.contains(self.column, lower, k)
            if found is None:
                break
            hit = found if hit is None else hit | found  # never written in place
        else:
            return hit
        texts = cache.lowered(self.column) if lower else cache.texts(self.column)
        kws = self.keywords
        return np.fromiter((any(k in t for k in kws) for t in texts), dtype=bool,
                           count=len(texts))


def keyword_lf(name: str, keywords: str | Iterable[str], label: int, *, column: str = "text",
               case_sensitive: bool = False, whole_word: bool = False) -> VectorizedLF:
    """Vote ``label`` when the text contains any of ``keywords``.

    Parameters
    ----------
    name : str
    keywords : str or iterable of str
        Substrings to look for. Case-insensitive matching lower-cases both sides.
    label : int
    column : str, default "text"
    case_sensitive : bool, default False
    whole_word : bool, default False
        Match only where the keyword is not preceded or followed by a word character
        (a regular expression ``(?<!\\w)(?:k1|k2|...)(?!\\w)``).

    Returns
    -------
    VectorizedLF
    """
    name, label, column = checked(name, label, column)
    kws = (keywords,) if isinstance(keywords, str) else tuple(keywords)
    if not kws or not all(isinstance(k, str) for k in kws):
        raise InvalidSettingError(
            f"LF {name!r}: keywords must be a string or a non-empty list of strings, got {keywords!r}."
        )
    pattern = None
    if whole_word:
        alt = "|".join(re.escape(k) for k in kws)
        pattern = re.compile(rf"(?<!\w)(?:{alt})(?!\w)", 0 if case_sensitive else re.IGNORECASE)
    stored = kws if case_sensitive else tuple(k.lower() for k in kws)
    return column_lf(name, label, _Keywords(column, stored, case_sensitive, pattern),
                     f"{column} contains any of {list(kws)!r}")
