"""Labeling-function factories with two equal paths: one row (Snorkel) and a whole frame.

Every factory returns a :class:`VectorizedLF`, a subclass of Snorkel's
``LabelingFunction``: calling it on one row (a ``pandas.Series`` or any object with the
column as attribute or key) returns an int (``-1`` = abstain), and
``apply_batch(df)`` returns the same votes for every row of a DataFrame as an int array
of shape (n,). Both paths share one predicate, so they agree element for element.

A missing value (``None``, ``NaN``, ``pd.NA``, ``NaT``) in the column the LF reads means
abstain in both paths. A non-missing value that is not a string is turned into one with
``str`` by the text LFs (keyword, regex, length).
"""

from __future__ import annotations

import functools
import operator
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from snorkel.labeling import LabelingFunction

from dataqa.errors import InvalidSettingError, LabelingFunctionError, MissingColumnError
from dataqa.types import ABSTAIN

__all__ = [
    "VectorizedLF",
    "BatchCache",
    "keyword_lf",
    "regex_lf",
    "threshold_lf",
    "isin_lf",
    "length_lf",
    "model_lf",
    "is_missing",
]

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


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


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _get(x: Any, column: str) -> object:
    """The value of ``column`` in one data point (Series, mapping or namespace)."""
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

    def _column(self, column: str) -> pd.Series:
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
                        self._store[key] = _bools(direct.is_null())
                    else:
                        # Series.isna applies the same scalar check as is_missing
                        self._store[key] = self._column(column).isna().to_numpy(dtype=bool)
        return self._store[key]

    def objects(self, column: str) -> np.ndarray:
        key = (column, "objects")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    self._store[key] = self._column(column).to_numpy(dtype=object)
        return self._store[key]

    def texts(self, column: str) -> list[str]:
        key = (column, "texts")
        if key not in self._store:
            with self._lock(key):
                if key not in self._store:
                    miss = self.missing(column)
                    self._store[key] = ["" if m else _as_text(v)
                                        for v, m in zip(self.objects(column), miss, strict=True)]
        return self._store[key]

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
                objs = self.objects(column)
                try:
                    repl = pa.array([_as_text(objs[i]).lower() for i in idx], type=pa.large_string())
                except Exception:  # noqa: BLE001
                    return None
                out = pc.replace_with_mask(out, pa.array(non_ascii), repl)
            return out
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
            mode = _scan_mode(lower, k)
            with self._lock((column, "scan", _scan_group(mode))):
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
        one scan (see :func:`_scan_bytes`).
        """
        mode = _scan_mode(lower, needle)
        key = (column, "contains", mode)
        with self._lock((column, "scan", _scan_group(mode))):
            found = self._store.setdefault(key, {})
            if needle not in found:
                self._store.setdefault((column, "want", mode), set()).add(needle)
                # a pending scan (scan_tasks) first; if it lacks the needle, a new one
                for _ in range(2):
                    split = self._store.pop((column, "split", mode), None)
                    if split is None:
                        split = self._new_scan(column, _scan_group(mode), [0, len(self.df)])
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

    def _new_scan(self, column: str, group: str, bounds: Sequence[int]) -> _SplitScan | None:
        """A scan of every announced, not yet found needle of ``group``'s modes, cut at
        ``bounds`` (row positions), registered as pending for those modes."""
        needles = {}
        for m in _GROUP_MODES[group]:
            if (column, "split", m) in self._store:  # already pending
                continue
            done = self._store.get((column, "contains", m), {})
            want = sorted(k for k in self._store.get((column, "want", m), ()) if k not in done)
            if want:
                needles[m] = want
        if not needles:
            return None
        split = _SplitScan(self, column, needles, bounds)
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
            for group in _GROUP_MODES:
                with self._lock((column, "scan", group)):
                    split = self._new_scan(column, group, bounds)
                if split is not None:
                    tasks += [functools.partial(split.run, i) for i in range(len(bounds) - 1)]
        return tasks

    def _scan_array(self, column: str, mode: str) -> Any:
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
        objs = self.objects(column)
        lowered = [_as_text(objs[i]).lower() for i in idx]
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
                    self._store[key] = _bools(pc.string_is_ascii(arr), fill=True)
        return self._store[key]

    def rows_in_domain(self, column: str, domain: str) -> np.ndarray:
        """True on the rows where an RE2 translation of ``domain`` is exact."""
        from labeling_functions import _re2

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
                        has = _bools(pc.match_substring_regex(sub, _re2.unicode_word_class()))
                        ok[idx] = ~has
                    self._store[key] = ok
        return self._store[key]


class _SplitScan:
    """One substring scan of a column (``needles`` per mode of one group) cut into
    pieces of consecutive rows."""

    def __init__(self, cache: BatchCache, column: str, needles: dict[str, list[str]],
                 bounds: Sequence[int]) -> None:
        self.cache, self.column, self.needles = cache, column, needles
        self.bounds = [int(b) for b in bounds]
        k = len(self.bounds) - 1
        self.parts: list[Any] = [None] * k
        self.claimed = [False] * k
        self.done = [threading.Event() for _ in range(k)]
        self.lock = threading.Lock()
        self.result_lock = threading.Lock()
        self._result: Any = self

    def run(self, i: int) -> None:
        """Scan piece ``i`` unless another thread has taken it."""
        with self.lock:
            if self.claimed[i]:
                return
            self.claimed[i] = True
        try:
            res = self._scan(self.bounds[i], self.bounds[i + 1])
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            res = exc
        self.parts[i] = res
        self.done[i].set()

    def _scan(self, a: int, b: int) -> dict[str, dict[str, np.ndarray]] | None:
        cache, column, needles = self.cache, self.column, self.needles
        arrays = {m: cache._scan_array(column, m) for m in needles}
        if any(v is None for v in arrays.values()):
            return None
        arrays = {m: v.slice(a, b - a) for m, v in arrays.items()}
        if "lower" in needles:
            return {"lower": _substring_rows(arrays["lower"], needles["lower"])}
        if "ascii_lower" not in needles:
            return {"raw": _substring_rows(arrays["raw"], needles["raw"])}
        low, raw = _scan_bytes(arrays["ascii_lower"], needles["ascii_lower"],
                               arrays.get("raw"), needles.get("raw", ()))
        return {"ascii_lower": low, "raw": raw}

    def result(self) -> dict[str, dict[str, np.ndarray]] | None:
        """Rows holding each needle, per mode (all pieces joined); None when the column
        has no byte form (see :meth:`BatchCache.arrow`)."""
        with self.result_lock:
            if self._result is self:
                for i in range(len(self.parts)):
                    self.run(i)
                for ev in self.done:
                    ev.wait()
                parts, self.parts = self.parts, []
                for p in parts:
                    if isinstance(p, BaseException):
                        raise p
                if any(p is None for p in parts):
                    self._result = None
                elif len(parts) == 1:
                    self._result = parts[0]
                else:
                    self._result = {m: {k: np.concatenate([p[m][k] for p in parts]) for k in ks}
                                    for m, ks in self.needles.items()}
            return self._result


_GROUP_MODES = {"bytes": ("raw", "ascii_lower"), "lower": ("lower",)}


def _scan_group(mode: str) -> str:
    """Modes scanned together: case-sensitive and ASCII-lower-cased needles share the
    byte positions of one buffer; Python-lower-cased text has its own."""
    return "lower" if mode == "lower" else "bytes"


#: non-ASCII characters whose ``str.lower`` holds an ASCII character (U+0130 LATIN
#: CAPITAL LETTER I WITH DOT ABOVE -> "i̇", U+212A KELVIN SIGN -> "k"); a test checks the
#: list against every code point of the running Python.
LOWER_TO_ASCII = ("\u0130", "\u212a")


def _scan_mode(lower: bool, needle: str) -> str:
    if not lower:
        return "raw"
    return "ascii_lower" if needle.isascii() else "lower"


def _substring_rows(arr: Any, needles: Sequence[str]) -> dict[str, np.ndarray]:
    """For each needle, a bool (n,) array: row's UTF-8 bytes contain the needle's."""
    return _scan_bytes(arr, needles)[0]


def _flat_bytes(arr: Any) -> tuple[np.ndarray, int, np.ndarray]:
    """Row offsets (from 0), byte size and the data bytes plus 8 zero bytes of a
    (large) string array."""
    n = len(arr)
    _, offs_buf, data = arr.buffers()
    offs = np.frombuffer(offs_buf, dtype=np.int64)[arr.offset:arr.offset + n + 1]
    start, stop = int(offs[0]), int(offs[-1])
    size = stop - start
    pad = np.zeros(size + 8, dtype=np.uint8)
    if size:
        pad[:size] = np.frombuffer(data, dtype=np.uint8)[start:stop]
    return offs - start, size, pad


def _scan_bytes(arr: Any, needles: Sequence[str], exact: Any = None,
                exact_needles: Sequence[str] = ()) -> tuple[dict[str, np.ndarray],
                                                             dict[str, np.ndarray]]:
    """Rows whose UTF-8 bytes contain each needle: ``needles`` in ``arr``, and
    ``exact_needles`` in ``exact``, the same texts before ASCII lower-casing.

    One table look-up per byte position of ``arr``'s data finds every position whose
    first two bytes start some needle (an exact needle by its ASCII-lower-cased bytes:
    where it occurs in ``exact``, those occur in ``arr`` at the same position, as ASCII
    lower-casing keeps every byte in place), grouped by those two bytes; each needle
    then checks its bytes (8 at a time, in its own buffer) on its group's candidates
    only, and a match counts if it ends inside its row.

    Returns
    -------
    (dict needle -> bool (n,), dict exact needle -> bool (n,))
    """
    n = len(arr)
    offs, size, pad = _flat_bytes(arr)
    if exact is not None and exact_needles:
        e_offs, e_size, e_pad = _flat_bytes(exact)
        if e_size != size or not np.array_equal(e_offs, offs):  # pragma: no cover - defensive
            return _scan_bytes(arr, needles)[0], _scan_bytes(exact, exact_needles)[0]
    else:
        e_pad, exact_needles = pad, ()
    w8 = np.ndarray((size + 1,), dtype="<u8", buffer=pad, strides=(1,))
    e_w8 = np.ndarray((size + 1,), dtype="<u8", buffer=e_pad, strides=(1,))
    # (result dict, key, bytes searched in arr, bytes checked, their buffer, checked from)
    items = []
    out: dict[str, np.ndarray] = {}
    e_out: dict[str, np.ndarray] = {}
    for k in needles:
        b = k.encode("utf-8")
        items.append((out, k, b, b, pad, w8, 2))
    for k in exact_needles:
        b = k.encode("utf-8")
        items.append((e_out, k, b.lower(), b, e_pad, e_w8, 0))

    def rows_of(cand: np.ndarray, length: int) -> np.ndarray:
        hit = np.zeros(n, dtype=bool)
        if len(cand):
            rows = np.searchsorted(offs, cand, side="right") - 1
            hit[rows[cand + length <= offs[rows + 1]]] = True
        return hit

    long = []
    for item in items:
        res, k, _, b, buf, _, _ = item
        if len(b) == 0:
            res[k] = np.ones(n, dtype=bool)
        elif len(b) == 1:
            res[k] = rows_of(np.flatnonzero(buf[:size] == b[0]), 1)
        else:
            long.append(item)
    if long:
        # group the needles by their first two bytes; one table look-up per byte position
        # gives every position's group (0: none), one stable sort splits them by group
        prefixes = sorted({it[2][:2] for it in long})
        group = {p: g + 1 for g, p in enumerate(prefixes)}
        table = np.zeros(1 << 16, dtype=np.uint8 if len(prefixes) < 255 else np.uint16)
        for p, g in group.items():
            table[p[0] | (p[1] << 8)] = g
        w2 = np.ndarray((max(size - 1, 0),), dtype="<u2", buffer=pad, strides=(1,))
        gid = np.take(table, w2)
        cand_all = np.flatnonzero(gid != 0)  # far faster on bool than on uint8
        gid = np.take(gid, cand_all)
        order = np.argsort(gid, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(gid, minlength=len(prefixes) + 1))])
        for res, k, s, b, _, vw8, first in long:
            g = group[s[:2]]
            cand = cand_all[order[bounds[g]:bounds[g + 1]]]
            cand = cand[cand + len(b) <= size]
            for at in range(first, len(b), 8):
                chunk = b[at:at + 8]
                keep = np.uint64((1 << (8 * len(chunk))) - 1)
                cand = cand[(vw8[cand + at] & keep) == np.uint64(int.from_bytes(chunk, "little"))]
            res[k] = rows_of(cand, len(b))
    return out, e_out


def _bools(arr: Any, fill: bool = False) -> np.ndarray:
    """A pyarrow boolean array as a numpy bool array, nulls as ``fill``."""
    import pyarrow.compute as pc

    if arr.null_count:
        arr = pc.fill_null(arr, fill)
    return arr.to_numpy(zero_copy_only=False).astype(bool, copy=False)


class VectorizedLF(LabelingFunction):
    """A Snorkel ``LabelingFunction`` that can also label a whole DataFrame at once.

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
    batch_predicate : callable(df, cache) -> bool ndarray (n,)
        On a frame: True where the LF votes ``label``; missing rows are masked by the
        caller through ``missing``.
    missing : callable(df, cache) -> bool ndarray (n,)
        True where the LF must abstain because its input is missing.
    """

    def __init__(self, name: str, *, label: int, columns: Sequence[str],
                 row_predicate: Callable[[Any], bool | None],
                 batch_predicate: Callable[[pd.DataFrame, BatchCache], np.ndarray],
                 missing: Callable[[pd.DataFrame, BatchCache], np.ndarray],
                 description: str = "") -> None:
        self.label = int(label)
        self.columns = list(columns)
        self.description = description
        self._row_predicate = row_predicate
        self._batch_predicate = batch_predicate
        self._missing = missing
        super().__init__(name=name, f=self._label_one)

    def _label_one(self, x: Any) -> int:
        hit = self._row_predicate(x)
        return self.label if hit else ABSTAIN

    def prepare(self, cache: BatchCache) -> None:
        """Tell ``cache`` what this LF will read, so LFs of one pass can share a scan."""
        hook = getattr(self._batch_predicate, "prepare", None)
        if hook is not None:
            hook(cache)

    @property
    def shares_scan(self) -> bool:
        """True when the frame path reads a scan shared with other LFs (see :meth:`prepare`)."""
        shares = getattr(self._batch_predicate, "shares_scan", None)
        if shares is not None:
            return bool(shares)
        return getattr(self._batch_predicate, "prepare", None) is not None

    @property
    def reads_text(self) -> bool:
        """True when the frame path reads a column as text (its byte form, see
        :meth:`BatchCache.arrow`)."""
        return bool(getattr(self._batch_predicate, "reads_text", False))

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


# --------------------------------------------------------------------------- helpers
def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidSettingError(f"LF name must be a non-empty string, got {name!r}.")
    return name


def _check_label(label: object, name: str) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or int(label) < 0:
        raise InvalidSettingError(
            f"LF {name!r}: label={label!r} must be a class index >= 0 (use -1 only as abstain)."
        )
    return int(label)


def _check_column(column: object, name: str) -> str:
    if not isinstance(column, str) or not column:
        raise InvalidSettingError(f"LF {name!r}: column must be a column name, got {column!r}.")
    return column


class _text_missing:
    """Missing mask of one column (a class, so LFs pickle)."""

    def __init__(self, column: str) -> None:
        self.column = column

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        return cache.missing(self.column)


# --------------------------------------------------------------------------- keyword
class _KeywordRow:
    def __init__(self, column: str, keywords: tuple[str, ...], case_sensitive: bool,
                 pattern: re.Pattern | None) -> None:
        self.column, self.keywords, self.case_sensitive, self.pattern = (
            column, keywords, case_sensitive, pattern)

    def __call__(self, x: Any) -> bool | None:
        v = _get(x, self.column)
        if is_missing(v):
            return None
        t = _as_text(v)
        if self.pattern is not None:
            return self.pattern.search(t) is not None
        if not self.case_sensitive:
            t = t.lower()
        return any(k in t for k in self.keywords)


class _KeywordBatch:
    reads_text = True

    def __init__(self, row: _KeywordRow) -> None:
        self.row = row

    def prepare(self, cache: BatchCache) -> None:
        r = self.row
        if r.pattern is None:
            cache.want_substrings(r.column, not r.case_sensitive, r.keywords)

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        r = self.row
        if r.pattern is not None:
            search = r.pattern.search
            return np.fromiter((search(t) is not None for t in cache.texts(r.column)),
                               dtype=bool, count=len(df))
        lower = not r.case_sensitive
        self.prepare(cache)
        hit = None
        for k in r.keywords:
            found = cache.contains(r.column, lower, k)
            if found is None:
                break
            hit = found if hit is None else hit | found  # never written in place
        else:
            return hit
        texts = cache.lowered(r.column) if lower else cache.texts(r.column)
        kws = r.keywords
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
    name = _check_name(name)
    label = _check_label(label, name)
    column = _check_column(column, name)
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
    row = _KeywordRow(column, stored, case_sensitive, pattern)
    return VectorizedLF(name, label=label, columns=[column], row_predicate=row,
                        batch_predicate=_KeywordBatch(row), missing=_text_missing(column),
                        description=f"{column} contains any of {list(kws)!r}")


# --------------------------------------------------------------------------- regex
class _RegexRow:
    def __init__(self, column: str, pattern: re.Pattern) -> None:
        self.column, self.pattern = column, pattern

    def __call__(self, x: Any) -> bool | None:
        v = _get(x, self.column)
        if is_missing(v):
            return None
        return self.pattern.search(_as_text(v)) is not None


def required_literal(pattern: re.Pattern) -> str | None:
    """A literal substring that every match of ``pattern`` contains, or None.

    The longest run of consecutive literal characters at the top level of the pattern
    (``https?://`` -> ``"http"``). With ``re.IGNORECASE`` the run is lower-cased and
    holds only ASCII characters other than i, k and s, the letters that Python's
    case-insensitive matching also pairs with non-ASCII ones (U+0130, U+0131, U+212A,
    U+017F): a match then contains the run in ``text.lower()``. Used only to skip rows
    that cannot match.
    """
    if not isinstance(pattern.pattern, str):
        return None
    nocase = bool(pattern.flags & re.IGNORECASE)
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]

        items = list(sre_parse.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - no prefilter then
        return None
    literal = sre_parse.LITERAL
    best, run = "", []
    for op, arg in items + [(None, None)]:
        if op is literal and not (nocase and (arg >= 128 or chr(arg) in "iksIKS")):
            run.append(chr(arg).lower() if nocase else chr(arg))
            continue
        if len(run) > len(best):
            best = "".join(run)
        run = []
    return best if len(best) >= 2 else None


class _RegexBatch:
    reads_text = True

    def __init__(self, row: _RegexRow) -> None:
        self.row = row
        self.literal = required_literal(row.pattern)
        #: the literal is searched in ``text.lower()`` (case-insensitive pattern)
        self.lower = bool(row.pattern.flags & re.IGNORECASE)

    def prepare(self, cache: BatchCache) -> None:
        if self.literal is not None:
            cache.want_substrings(self.row.column, self.lower, [self.literal])

    @property
    def shares_scan(self) -> bool:
        return self.literal is not None

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        from labeling_functions._re2 import translate

        column = self.row.column
        arr = cache.arrow(column, False)
        tr = translate(self.row.pattern) if arr is not None else None
        if tr is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            # rows without the pattern's required literal cannot match: search the rest only
            has = cache.contains(column, self.lower, self.literal) if self.literal else None
            try:
                if has is None:
                    hit = _bools(pc.match_substring_regex(arr, tr.pattern))
                else:
                    hit = np.zeros(len(df), dtype=bool)
                    idx = np.flatnonzero(has & ~cache.missing(column))
                    if len(idx):
                        hit[idx] = _bools(pc.match_substring_regex(arr.take(pa.array(idx)),
                                                                   tr.pattern))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                tr = None
        if tr is None:
            return self._python(cache, np.arange(len(df)), np.zeros(len(df), dtype=bool))
        rest = ~cache.rows_in_domain(column, tr.domain) & ~cache.missing(column)
        if self.literal is not None and rest.any():
            # rows without the required literal cannot match
            has = cache.contains(column, self.lower, self.literal)
            if has is not None:
                rest &= has
        rest = np.flatnonzero(rest)
        if len(rest):
            hit = hit.copy()
            self._python(cache, rest, hit)
        return hit

    def _python(self, cache: BatchCache, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Python ``re`` on ``rows`` (positions), written into ``out``; rows without the
        pattern's required literal cannot match and are skipped."""
        search, lit = self.row.pattern.search, self.literal
        objs, miss = cache.objects(self.row.column), cache.missing(self.row.column)
        for i in rows:
            if miss[i]:
                out[i] = False
                continue
            t = _as_text(objs[i])
            out[i] = (lit is None or lit in (t.lower() if self.lower else t)) \
                and search(t) is not None
        return out


def regex_lf(name: str, pattern: str | re.Pattern, label: int, *, column: str = "text",
             flags: int = 0) -> VectorizedLF:
    """Vote ``label`` where ``re.search(pattern, text, flags)`` finds a match.

    Returns
    -------
    VectorizedLF
    """
    name = _check_name(name)
    label = _check_label(label, name)
    column = _check_column(column, name)
    try:
        compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    except (re.error, TypeError) as exc:
        raise InvalidSettingError(f"LF {name!r}: pattern {pattern!r} does not compile: {exc}") from exc
    row = _RegexRow(column, compiled)
    return VectorizedLF(name, label=label, columns=[column], row_predicate=row,
                        batch_predicate=_RegexBatch(row), missing=_text_missing(column),
                        description=f"{column} matches /{compiled.pattern}/")


# --------------------------------------------------------------------------- threshold
class _ThresholdRow:
    def __init__(self, column: str, op: str, value: Any) -> None:
        self.column, self.op, self.value = column, op, value

    def __call__(self, x: Any) -> bool | None:
        v = _get(x, self.column)
        if is_missing(v):
            return None
        return bool(_OPS[self.op](v, self.value))


class _ThresholdBatch:
    def __init__(self, row: _ThresholdRow) -> None:
        self.row = row

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        r = self.row
        s = cache._column(r.column)
        miss = cache.missing(r.column)
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype) \
                and isinstance(r.value, (int, float, np.integer, np.floating)) \
                and not isinstance(r.value, bool) and isinstance(s.dtype, np.dtype):
            vals = s.to_numpy()
            with np.errstate(invalid="ignore"):
                return np.asarray(_OPS[r.op](vals, r.value), dtype=bool)
        objs = cache.objects(r.column)
        op, value = _OPS[r.op], r.value
        return np.fromiter((False if m else bool(op(v, value)) for v, m in zip(objs, miss, strict=True)),
                           dtype=bool, count=len(objs))


def threshold_lf(name: str, column: str, op: str, value: Any, label: int) -> VectorizedLF:
    """Vote ``label`` where ``column <op> value`` (op one of ``> >= < <= == !=``).

    Returns
    -------
    VectorizedLF
    """
    name = _check_name(name)
    label = _check_label(label, name)
    column = _check_column(column, name)
    if op not in _OPS:
        raise InvalidSettingError(
            f"LF {name!r}: op={op!r} is not supported; use one of {' '.join(_OPS)}."
        )
    if is_missing(value):
        raise InvalidSettingError(f"LF {name!r}: value must not be missing, got {value!r}.")
    row = _ThresholdRow(column, op, value)
    return VectorizedLF(name, label=label, columns=[column], row_predicate=row,
                        batch_predicate=_ThresholdBatch(row), missing=_text_missing(column),
                        description=f"{column} {op} {value!r}")


# --------------------------------------------------------------------------- isin
class _IsinRow:
    def __init__(self, column: str, values: frozenset) -> None:
        self.column, self.values = column, values

    def __call__(self, x: Any) -> bool | None:
        v = _get(x, self.column)
        if is_missing(v):
            return None
        try:
            return v in self.values
        except TypeError:  # unhashable cell
            return False


class _IsinBatch:
    def __init__(self, row: _IsinRow) -> None:
        self.row = row

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        r = self.row
        objs = cache.objects(r.column)
        return np.fromiter((r(_One(r.column, v)) is True for v in objs), dtype=bool,
                           count=len(objs))


class _One:
    """A one-field data point (used to share the row predicate with the batch path)."""

    __slots__ = ("_c", "_v")

    def __init__(self, column: str, value: object) -> None:
        self._c, self._v = column, value

    def __getitem__(self, key: str) -> object:
        return self._v


def isin_lf(name: str, column: str, values: Iterable[Any], label: int) -> VectorizedLF:
    """Vote ``label`` where the value of ``column`` is one of ``values`` (Python ``in``).

    Returns
    -------
    VectorizedLF
    """
    name = _check_name(name)
    label = _check_label(label, name)
    column = _check_column(column, name)
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
    row = _IsinRow(column, vals)
    return VectorizedLF(name, label=label, columns=[column], row_predicate=row,
                        batch_predicate=_IsinBatch(row), missing=_text_missing(column),
                        description=f"{column} in {sorted(map(repr, vals))}")


# --------------------------------------------------------------------------- length
class _LengthRow:
    def __init__(self, column: str, min_len: int | None, max_len: int | None) -> None:
        self.column, self.min_len, self.max_len = column, min_len, max_len

    def check(self, n: int) -> bool:
        return ((self.min_len is None or n >= self.min_len)
                and (self.max_len is None or n <= self.max_len))

    def __call__(self, x: Any) -> bool | None:
        v = _get(x, self.column)
        if is_missing(v):
            return None
        return self.check(len(_as_text(v)))


class _LengthBatch:
    reads_text = True

    def __init__(self, row: _LengthRow) -> None:
        self.row = row

    def __call__(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        texts = cache.texts(self.row.column)
        n = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ok = np.ones(len(texts), dtype=bool)
        if self.row.min_len is not None:
            ok &= n >= self.row.min_len
        if self.row.max_len is not None:
            ok &= n <= self.row.max_len
        return ok


def length_lf(name: str, column: str, *, min_len: int | None = None, max_len: int | None = None,
              label: int) -> VectorizedLF:
    """Vote ``label`` where ``min_len <= len(text) <= max_len`` (characters; bounds inclusive).

    Returns
    -------
    VectorizedLF
    """
    name = _check_name(name)
    label = _check_label(label, name)
    column = _check_column(column, name)
    if min_len is None and max_len is None:
        raise InvalidSettingError(f"LF {name!r}: give min_len, max_len or both.")
    for k, v in (("min_len", min_len), ("max_len", max_len)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0):
            raise InvalidSettingError(f"LF {name!r}: {k}={v!r} must be an int >= 0.")
    if min_len is not None and max_len is not None and min_len > max_len:
        raise InvalidSettingError(f"LF {name!r}: min_len={min_len} is above max_len={max_len}.")
    row = _LengthRow(column, min_len, max_len)
    return VectorizedLF(name, label=label, columns=[column], row_predicate=row,
                        batch_predicate=_LengthBatch(row), missing=_text_missing(column),
                        description=f"{min_len} <= len({column}) <= {max_len}")


# --------------------------------------------------------------------------- model
class _ModelCore:
    def __init__(self, model: Any, label: int, threshold: float, columns: list[str] | None,
                 featurize: Callable[[pd.DataFrame], Any] | None, name: str) -> None:
        self.model, self.label, self.threshold = model, label, threshold
        self.columns, self.featurize, self.name = columns, featurize, name
        classes = getattr(model, "classes_", None)
        if classes is not None:
            idx = np.flatnonzero(np.asarray(classes) == label)
            if len(idx) == 0:
                raise InvalidSettingError(
                    f"LF {name!r}: label {label} is not among the model's classes_ {list(classes)}."
                )
            self.col = int(idx[0])
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

    def batch(self, df: pd.DataFrame, cache: BatchCache) -> np.ndarray:
        keep = ~self.missing(df, cache)
        out = np.zeros(len(df), dtype=bool)
        if keep.any():
            out[keep] = self.hits(df.loc[keep] if not keep.all() else df)
        return out

    def __call__(self, x: Any) -> bool | None:
        if self.columns is not None:
            values = {c: _get(x, c) for c in self.columns}
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
             featurize: Callable[[pd.DataFrame], Any] | None = None) -> VectorizedLF:
    """Vote ``label`` where a fitted model's probability for it is at least ``threshold``.

    The frame path predicts all rows in one ``predict_proba`` call.

    Parameters
    ----------
    model : object with ``predict_proba(X) -> (n, K)``
        If it has ``classes_``, the column of ``label`` is looked up there.
    threshold : float in [0, 1]
    columns : list of str, optional
        Columns given to the model (or to ``featurize``); rows with a missing value in any
        of them abstain. Without ``featurize`` they must be numeric.
    featurize : callable(DataFrame) -> X, optional
        Turns the frame (restricted to ``columns`` if given) into model input, e.g.
        ``lambda d: vectorizer.transform(d["text"])``.

    Returns
    -------
    VectorizedLF
    """
    name = _check_name(name)
    label = _check_label(label, name)
    if not hasattr(model, "predict_proba"):
        raise InvalidSettingError(f"LF {name!r}: the model has no predict_proba method.")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or not 0.0 <= float(threshold) <= 1.0:
        raise InvalidSettingError(f"LF {name!r}: threshold={threshold!r} must be in [0, 1].")
    if columns is None and featurize is None:
        raise InvalidSettingError(f"LF {name!r}: give columns=..., featurize=... or both.")
    cols = None if columns is None else [_check_column(c, name) for c in columns]
    core = _ModelCore(model, label, float(threshold), cols, featurize, name)
    return VectorizedLF(name, label=label, columns=cols or [], row_predicate=core,
                        batch_predicate=core.batch, missing=core.missing,
                        description=f"P(label={label}) >= {threshold}")
