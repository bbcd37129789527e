"""The shared substring scan of the batch engine: many needles, one pass over the bytes.

A column's texts are held as one UTF-8 buffer (a pyarrow large-string array). A match of
valid UTF-8 bytes is a match of the same code points, so ``needle in text`` for every
row and every needle is one search of that buffer (:func:`scan_bytes`). The needles of
one pass are grouped by *mode*:

- ``raw``: case-sensitive, searched in the texts as they are;
- ``ascii_lower``: an ASCII needle of a case-insensitive LF, searched in the
  ASCII-lower-cased texts (exact except on rows holding a character of
  :data:`LOWER_TO_ASCII`, answered with Python by the cache);
- ``lower``: a non-ASCII needle of a case-insensitive LF, searched in ``str.lower``'s
  texts.

``raw`` and ``ascii_lower`` share byte positions and so one scan; :class:`SplitScan`
cuts a scan by rows into pieces that threads may run in any order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dataqa.weak._engine import BatchCache

__all__ = ["GROUP_MODES", "LOWER_TO_ASCII", "SplitScan", "bools", "scan_bytes", "scan_group",
           "scan_mode", "substring_rows"]

#: non-ASCII characters whose ``str.lower`` holds an ASCII character (U+0130 LATIN
#: CAPITAL LETTER I WITH DOT ABOVE -> "i̇", U+212A KELVIN SIGN -> "k"); a test checks the
#: list against every code point of the running Python.
LOWER_TO_ASCII = ("\u0130", "\u212a")


def scan_mode(lower: bool, needle: str) -> str:
    if not lower:
        return "raw"
    return "ascii_lower" if needle.isascii() else "lower"



GROUP_MODES = {"bytes": ("raw", "ascii_lower"), "lower": ("lower",)}


def scan_group(mode: str) -> str:
    """Modes scanned together: case-sensitive and ASCII-lower-cased needles share the
    byte positions of one buffer; Python-lower-cased text has its own."""
    return "lower" if mode == "lower" else "bytes"


class SplitScan:
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
        arrays = {m: cache.scan_array(column, m) for m in needles}
        if any(v is None for v in arrays.values()):
            return None
        arrays = {m: v.slice(a, b - a) for m, v in arrays.items()}
        if "lower" in needles:
            return {"lower": substring_rows(arrays["lower"], needles["lower"])}
        if "ascii_lower" not in needles:
            return {"raw": substring_rows(arrays["raw"], needles["raw"])}
        low, raw = scan_bytes(arrays["ascii_lower"], needles["ascii_lower"],
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



def substring_rows(arr: Any, needles: Sequence[str]) -> dict[str, np.ndarray]:
    """For each needle, a bool (n,) array: row's UTF-8 bytes contain the needle's."""
    return scan_bytes(arr, needles)[0]


def flat_bytes(arr: Any) -> tuple[np.ndarray, int, np.ndarray]:
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


def scan_bytes(arr: Any, needles: Sequence[str], exact: Any = None,
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
    offs, size, pad = flat_bytes(arr)
    if exact is not None and exact_needles:
        e_offs, e_size, e_pad = flat_bytes(exact)
        if e_size != size or not np.array_equal(e_offs, offs):  # pragma: no cover - defensive
            return scan_bytes(arr, needles)[0], scan_bytes(exact, exact_needles)[0]
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


def bools(arr: Any, fill: bool = False) -> np.ndarray:
    """A pyarrow boolean array as a numpy bool array, nulls as ``fill``."""
    import pyarrow.compute as pc

    if arr.null_count:
        arr = pc.fill_null(arr, fill)
    return arr.to_numpy(zero_copy_only=False).astype(bool, copy=False)


