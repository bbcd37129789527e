"""The batch engine: one per-frame cache that the vectorized LFs of one pass share.

:class:`BatchCache` builds each derived form of a column once (missing mask, Python
strings, lower-cased strings, the UTF-8 byte form as a pyarrow array) and answers the
two questions the text LFs ask: which rows contain a substring (:meth:`BatchCache.contains`,
all announced needles found in one shared byte scan, see :mod:`dataqa.weak._scan`) and
which rows a regular expression finds a match in (:meth:`BatchCache.search`, through RE2
where its answer equals Python's ``re``, see :mod:`dataqa.weak._re2`).

Every answer equals Python's own (``needle in text``, ``pattern.search(text)``) element
for element; missing rows are masked by the caller.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import MissingColumnError
from dataqa.weak import _re2
from dataqa.weak._scan import (
    GROUP_MODES,
    LOWER_TO_ASCII,
    SplitScan,
    bools,
    scan_group,
    scan_mode,
)

__all__ = ["BatchCache", "as_text"]


def as_text(value: object) -> str:
    """The text an LF reads from a non-missing value: the value itself or ``str(value)``."""
    return value if isinstance(value, str) else str(value)


class BatchCache:
    """Per-frame cache of derived column forms, shared by the LFs of one apply pass.

    Holds, per column: the missing mask, the values as Python strings (``''`` where
    missing), and their lower-cased form. Building these once lets twenty text LFs read a
    column with one conversion instead of twenty. Each form is built once under its own
    lock, so the LFs of one pass may run in threads.
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._store: dict[tuple[str, str], Any] = {}
        self._locks: dict[tuple, threading.RLock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple) -> threading.RLock:
        """The lock that builds ``key`` once when LFs of one pass run in threads."""
        with self._guard:
            return self._locks.setdefault(key, threading.RLock())

    def series(self, column: str) -> pd.Series:
        """The column itself; a :class:`MissingColumnError` naming the columns when absent."""
        if column not in self.df.columns:
            raise MissingColumnError(column, [str(c) for c in self.df.columns], role="LF column")
        return self.df[column]

    def missing(self, column: str) -> np.ndarray:
        key = (column, "missing")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    direct = self._store.get((column, "arrow_direct"))
                    if direct is not None:
                        # every non-null value is a str, and pyarrow's nulls (None, NaN,
                        # pd.NA, NaT, Decimal NaN) are all missing to pandas too; other
                        # missing markers (np.float32 NaN, NaT of numpy) do not convert
                        self._store[key] = bools(direct.is_null())
                    else:
                        # Series.isna applies the same scalar check as is_missing
                        self._store[key] = self.series(column).isna().to_numpy(dtype=bool)
        return self._store[key]

    def objects(self, column: str) -> np.ndarray:
        key = (column, "objects")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    self._store[key] = self.series(column).to_numpy(dtype=object)
        return self._store[key]

    def texts(self, column: str) -> list[str]:
        key = (column, "texts")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    miss = self.missing(column)
                    self._store[key] = ["" if m else as_text(v)
                                        for v, m in zip(self.objects(column), miss, strict=True)]
        return self._store[key]

    def texts_at(self, column: str, rows: np.ndarray) -> list[str]:
        """The texts of the non-missing ``rows`` (positions), read from the Arrow form when
        pandas holds the column as Arrow strings (no conversion of the whole column)."""
        direct = self._store.get((column, "arrow_direct"))
        if direct is not None and (column, "objects") not in self._store:
            import pyarrow as pa

            return direct.take(pa.array(rows, type=pa.int64())).to_pylist()
        objs = self.objects(column)
        return [as_text(objs[i]) for i in rows]

    def lowered(self, column: str) -> list[str]:
        key = (column, "lower")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    self._store[key] = [t.lower() for t in self.texts(column)]
        return self._store[key]

    def arrow(self, column: str, lower: bool) -> Any:
        """The (lower-cased) texts as a pyarrow array, or None when they cannot convert.

        Missing values are null. Lower-casing is Python's ``str.lower`` (pyarrow's own
        ``utf8_lower`` differs on some characters): ``ascii_lower`` on ASCII rows, Python
        on the rest.
        """
        key = (column, "arrow_lower" if lower else "arrow")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    self._store[key] = self._build_arrow(column, lower)
        return self._store[key]

    def _build_arrow(self, column: str, lower: bool) -> Any:
        try:
            import pyarrow as pa
            import pyarrow.compute as pc
        except ImportError:  # pragma: no cover - pyarrow ships with pandas here
            return None
        if lower:
            base = self.arrow(column, False)
            if base is None:
                return None
            out = pc.ascii_lower(base)
            non_ascii = ~self.ascii_rows(column) & ~self.missing(column)
            if non_ascii.any():
                idx = np.flatnonzero(non_ascii)
                try:
                    repl = pa.array([t.lower() for t in self.texts_at(column, idx)],
                                    type=pa.large_string())
                except Exception:  # noqa: BLE001
                    return None
                out = pc.replace_with_mask(out, pa.array(non_ascii), repl)
            return out
        arr = _arrow_strings(self.series(column))
        if arr is not None:  # pandas holds the column as Arrow strings already
            self._store[(column, "arrow_direct")] = arr
            return arr
        objs = self.objects(column)
        # straight from the column when every value is a str or missing: pyarrow then
        # infers a string (or, all missing, null) type; bytes give binary (str() would
        # turn them into "b'...'"), numbers a numeric type, a mix an error
        try:
            arr = pa.array(objs, from_pandas=True)
        except Exception:  # noqa: BLE001 - lone surrogates, mixed types...: go through str()
            arr = None
        if isinstance(arr, pa.Array) and (pa.types.is_string(arr.type) or pa.types.is_null(arr.type)
                                          or pa.types.is_large_string(arr.type)):
            arr = arr.cast(pa.large_string())
            self._store[(column, "arrow_direct")] = arr
            return arr
        try:
            return pa.array([None if m else t for t, m in
                             zip(self.texts(column), self.missing(column), strict=True)],
                            type=pa.large_string())
        except Exception:  # noqa: BLE001 - lone surrogates etc.: use the Python path
            return None

    def want_substrings(self, column: str, lower: bool, needles: Iterable[str]) -> None:
        """Announce substrings that LFs of this pass will ask :meth:`contains` about, so
        they are all found in one scan of the column."""
        for k in needles:
            mode = scan_mode(lower, k)
            with self._lock((column, "scan", scan_group(mode))):
                self._store.setdefault((column, "want", mode), set()).add(k)
                if mode == "ascii_lower":
                    # the rows to answer with Python (see contains) come from the raw scan
                    self._store.setdefault((column, "want", "raw"), set()).update(LOWER_TO_ASCII)

    def contains(self, column: str, lower: bool, needle: str) -> np.ndarray | None:
        """True where the (lower-cased) text contains ``needle``; None without pyarrow.

        Exactly Python's ``needle in text`` (``needle in text.lower()`` with ``lower``):
        a byte search in the UTF-8 column, where a match of valid UTF-8 bytes is a match
        of the same code points. Values for missing rows are meaningless (masked later).

        An ASCII needle with ``lower`` is searched in the ASCII-lower-cased column (no
        Python lower-casing): its bytes can only match ASCII characters, and
        ``str.lower`` maps ASCII as ``ascii_lower`` does and every non-ASCII character to
        non-ASCII ones, except the few in :data:`LOWER_TO_ASCII`; rows holding one of
        those are answered with Python. Those needles and the case-sensitive ones share
        one scan (see :func:`dataqa.weak._scan.scan_bytes`).
        """
        mode = scan_mode(lower, needle)
        key = (column, "contains", mode)
        with self._lock((column, "scan", scan_group(mode))):
            found = self._store.setdefault(key, {})
            if needle not in found:
                self._store.setdefault((column, "want", mode), set()).add(needle)
                # a pending scan (scan_tasks) first; if it lacks the needle, a new one
                for _ in range(2):
                    split = self._store.pop((column, "split", mode), None)
                    if split is None:
                        split = self._new_scan(column, scan_group(mode), [0, len(self.df)])
                        self._store.pop((column, "split", mode), None)
                    res = split.result()
                    if res is None:
                        return None
                    new = res.get(mode, {})
                    if mode == "ascii_lower":
                        self._fix_lower_to_ascii(column, new)
                    found.update(new)
                    if needle in found:
                        break
            return found[needle]

    def _new_scan(self, column: str, group: str, bounds: Sequence[int]) -> SplitScan | None:
        """A scan of every announced, not yet found needle of ``group``'s modes, cut at
        ``bounds`` (row positions), registered as pending for those modes."""
        needles = {}
        for m in GROUP_MODES[group]:
            if (column, "split", m) in self._store:  # already pending
                continue
            done = self._store.get((column, "contains", m), {})
            want = sorted(k for k in self._store.get((column, "want", m), ()) if k not in done)
            if want:
                needles[m] = want
        if not needles:
            return None
        split = SplitScan(self, column, needles, bounds)
        for m in needles:
            self._store[(column, "split", m)] = split
        return split

    def scan_tasks(self, parts: int) -> list[Callable[[], None]]:
        """Split every announced substring scan into ``parts`` pieces by rows.

        Returns one callable per piece (for a thread pool: the byte scan releases the
        GIL). :meth:`contains` waits for the pieces of its scan and joins them; a piece
        no thread has started yet is run by the caller of :meth:`contains` itself, so the
        callables may run in any order, or not at all. The result is the same as one
        scan of the whole column: a match never crosses a row, and the cuts are at row
        boundaries.
        """
        n = len(self.df)
        bounds = np.unique(np.linspace(0, n, max(1, int(parts)) + 1).astype(np.int64))
        if len(bounds) < 2:
            return []
        columns = sorted({key[0] for key in list(self._store)
                          if len(key) == 3 and key[1] == "want"})
        tasks: list[Callable[[], None]] = []
        for column in columns:
            for group in GROUP_MODES:
                with self._lock((column, "scan", group)):
                    split = self._new_scan(column, group, bounds)
                if split is not None:
                    tasks += [functools.partial(split.run, i) for i in range(len(bounds) - 1)]
        return tasks

    def scan_array(self, column: str, mode: str) -> Any:
        if mode != "ascii_lower":
            return self.arrow(column, mode == "lower")
        key = (column, "arrow_ascii_lower")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    import pyarrow.compute as pc

                    base = self.arrow(column, False)
                    self._store[key] = None if base is None else pc.ascii_lower(base)
        return self._store[key]

    def _fix_lower_to_ascii(self, column: str, found: dict[str, np.ndarray]) -> None:
        """Python's answer on the rows holding a character in :data:`LOWER_TO_ASCII`."""
        special = np.zeros(len(self.df), dtype=bool)
        for ch in LOWER_TO_ASCII:
            special |= self.contains(column, False, ch)
        special &= ~self.missing(column)
        idx = np.flatnonzero(special)
        if not len(idx):
            return
        lowered = [t.lower() for t in self.texts_at(column, idx)]
        for k, hit in found.items():
            hit[idx] = [k in t for t in lowered]

    def ascii_rows(self, column: str) -> np.ndarray:
        """True where the text is pure ASCII (missing rows: True). Needs :meth:`arrow`."""
        key = (column, "ascii")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    import pyarrow.compute as pc

                    arr = self.arrow(column, False)
                    self._store[key] = bools(pc.string_is_ascii(arr), fill=True)
        return self._store[key]

    def rows_in_domain(self, column: str, domain: str) -> np.ndarray:
        """True on the rows where an RE2 translation of ``domain`` is exact."""
        if domain == _re2.ALL:
            return np.ones(len(self.df), dtype=bool)
        key = (column, "no_unicode_word")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    import pyarrow.compute as pc

                    ok = self.ascii_rows(column).copy()
                    idx = np.flatnonzero(~ok)
                    if len(idx):
                        sub = self.arrow(column, False).take(idx)
                        has = bools(pc.match_substring_regex(sub, _re2.unicode_word_class()))
                        ok[idx] = ~has
                    self._store[key] = ok
        return self._store[key]

    @staticmethod
    def scan_needles(pattern: re.Pattern) -> tuple[str, ...]:
        """The substrings :meth:`search` looks up in the shared scan for ``pattern``:
        every match holds one of them (in ``text.lower()`` when the pattern ignores case).
        Empty when there are none."""
        return _prefilter(pattern)[0]

    def want_pattern(self, column: str, pattern: re.Pattern) -> None:
        """Announce a regular expression that :meth:`search` will be asked about, so its
        required literals (the rows that can match) join the shared scan."""
        needles, lower, _ = _prefilter(pattern)
        if needles:
            self.want_substrings(column, lower, needles)

    def _any_contains(self, column: str, lower: bool, needles: Sequence[str]) -> np.ndarray | None:
        """True where the text contains any of ``needles`` (see :meth:`contains`)."""
        hit = None
        for k in needles:
            found = self.contains(column, lower, k)
            if found is None:
                return None
            hit = found if hit is None else hit | found  # never written in place
        return hit

    def search(self, column: str, pattern: re.Pattern) -> np.ndarray:
        """True where ``pattern.search(text)`` finds a match (missing rows: False).

        A pattern of nothing but literal characters (:func:`dataqa.weak._re2.plain_literal`)
        is a substring search. Otherwise rows holding none of the pattern's required
        literals (:func:`dataqa.weak._re2.required_literals`) cannot match and are skipped;
        the others are searched with RE2 when :func:`dataqa.weak._re2.translate` gives an
        exact translation, with Python's ``re`` on the rows outside its domain and when it
        gives none.
        """
        needles, lower, plain = _prefilter(pattern)
        n = len(self.df)
        if plain:
            hit = self.contains(column, False, needles[0])
            if hit is not None:
                return hit & ~self.missing(column)
        arr = self.arrow(column, False)
        tr = _re2.translate(pattern) if arr is not None else None
        if tr is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            # rows without the pattern's required literals cannot match: search the rest only
            has = self._any_contains(column, lower, needles) if needles else None
            try:
                if has is None:
                    hit = bools(pc.match_substring_regex(arr, tr.pattern))
                else:
                    hit = np.zeros(n, dtype=bool)
                    idx = np.flatnonzero(has & ~self.missing(column))
                    if len(idx):
                        hit[idx] = bools(pc.match_substring_regex(arr.take(pa.array(idx)),
                                                                  tr.pattern))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                tr = None
        if tr is None:  # Python's re, on the rows holding a required literal only
            rows = np.arange(n)
            has = self._any_contains(column, lower, needles) if needles else None
            if has is not None:
                rows = np.flatnonzero(has & ~self.missing(column))
            return self._python_search(column, pattern, rows, np.zeros(n, dtype=bool))
        rest = ~self.rows_in_domain(column, tr.domain) & ~self.missing(column)
        if needles and rest.any():
            has = self._any_contains(column, lower, needles)
            if has is not None:
                rest &= has
        rest = np.flatnonzero(rest)
        if len(rest):
            hit = hit.copy()
            self._python_search(column, pattern, rest, hit)
        return hit

    def _python_search(self, column: str, pattern: re.Pattern, rows: np.ndarray,
                       out: np.ndarray) -> np.ndarray:
        """Python ``re`` on ``rows`` (positions), written into ``out``; rows holding none
        of the pattern's required literals cannot match and are skipped."""
        needles, lower, _ = _prefilter(pattern)
        search = pattern.search
        miss = self.missing(column)[rows]
        out[rows[miss]] = False
        rows = rows[~miss]

        def one(t: str) -> bool:
            if needles:
                seen = t.lower() if lower else t
                if not any(k in seen for k in needles):
                    return False
            return search(t) is not None

        out[rows] = [one(t) for t in self.texts_at(column, rows)]
        return out


def _arrow_strings(s: pd.Series) -> Any:
    """The column as a pyarrow large-string array when pandas holds it as Arrow strings
    (the ``str`` dtype of pandas 3, ``string[pyarrow]``, ``ArrowDtype(pa.string())``),
    else None. Its nulls are the values pandas reports missing."""
    import pyarrow as pa

    dtype = s.dtype
    if isinstance(dtype, pd.StringDtype):
        if dtype.storage not in ("pyarrow", "pyarrow_numpy"):
            return None
    elif not (isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                                    or pa.types.is_large_string(dtype.pyarrow_dtype))):
        return None
    try:
        arr = s.array.__arrow_array__()
    except Exception:  # noqa: BLE001 - not Arrow-backed after all: convert as any column
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


@functools.lru_cache(maxsize=1024)
def _prefilter(pattern: re.Pattern) -> tuple[tuple[str, ...], bool, bool]:
    """The pattern's required literals (any of them is in every match), whether they are
    searched in ``text.lower()`` (a case-insensitive pattern), and whether the pattern
    is the one literal itself (then a match is exactly a substring hit)."""
    plain = _re2.plain_literal(pattern)
    if plain is not None:
        return (plain,), False, True
    return _re2.required_literals(pattern), bool(pattern.flags & re.IGNORECASE), False
