"""Apply labeling functions to a table: vectorized, row-wise in processes, or on Dask.

The label matrix ``L`` (int, (n, m), -1 = abstain) equals Snorkel's ``PandasLFApplier``
on the same LFs, element for element, on every path:

- LFs with a frame path (:class:`dataqa.weak.lf.FrameLF`: an ``apply_batch`` method, as
  the :mod:`labeling_functions` factories have) label the whole frame at once; those of
  the engine (:class:`dataqa.weak.lf.EngineLF`) share one :class:`BatchCache` and its
  substring scans, several at a time in threads on large frames (``threads``);
- any other LF (e.g. a plain ``@labeling_function``) is called row by row on the same
  ``pandas.Series`` rows that ``DataFrame.apply(axis=1)`` builds, in ``n_jobs`` processes;
- a Dask DataFrame is labeled partition by partition on the scheduler it is given (the
  active ``distributed.Client`` by default), then gathered in partition order.

As in Snorkel, a vote below 0 is stored as -1.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dataqa._progress import progress_task
from dataqa._validation import check_int
from dataqa.data import table_name
from dataqa.errors import (
    ColumnValueError,
    FeatureTypeError,
    InvalidSettingError,
    LabelingFunctionError,
    LFFaultWarning,
    MissingColumnError,
    _rebuild_error,
)
from dataqa.types import ABSTAIN
from dataqa.weak.lf import BatchCache, EngineLF, FrameLF, VectorizedLF

__all__ = ["apply_lfs", "LFFaultWarning", "check_lfs"]


def check_lfs(lfs: Sequence[Any]) -> list[Any]:
    """Validate a list of LFs: non-empty, each callable with a ``name``, names unique."""
    if lfs is None or isinstance(lfs, (str, bytes)):
        raise InvalidSettingError(f"lfs must be a list of labeling functions, got {lfs!r}.")
    if callable(lfs) and isinstance(getattr(lfs, "name", None), str):
        raise InvalidSettingError(
            f"lfs must be a list of labeling functions; got the single LF {lfs.name!r}. "
            f"Pass it in a list: [{lfs.name}]."
        )
    try:
        lfs = list(lfs)
    except TypeError:
        raise InvalidSettingError(
            f"lfs must be a list of labeling functions; got {type(lfs).__name__} {lfs!r}."
        ) from None
    if not lfs:
        raise InvalidSettingError("lfs is empty; give at least one labeling function.")
    for i, lf in enumerate(lfs):
        if not callable(lf) or not isinstance(getattr(lf, "name", None), str):
            raise LabelingFunctionError(
                f"lfs[{i}] = {lf!r} is not a labeling function (it needs a string .name and "
                f"must be callable); wrap plain functions with @labeling_function()."
            )
    names = [lf.name for lf in lfs]
    seen: set[str] = set()
    dups = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dups:
        raise LabelingFunctionError(
            f"labeling function names must be unique; repeated: {', '.join(map(repr, dups))}. "
            f"Rename them."
        )
    return lfs


def _is_dask(data: object) -> bool:
    return type(data).__module__.startswith("dask") and hasattr(data, "to_delayed")


def _row_label(df: pd.DataFrame, pos: int, id_column: str | None, offset: int = 0) -> str:
    """Name a row in a message: its id, else its index and position in the whole table."""
    if id_column is not None and id_column in df.columns:
        key = df[id_column].iloc[pos]
        return f"{id_column}={key.item() if isinstance(key, np.generic) else key!r}"
    from dataqa.data import _SOURCE_ATTR

    idx = df.index[pos]
    idx = idx.item() if isinstance(idx, np.generic) else idx
    if _SOURCE_ATTR in df.attrs and isinstance(df.index, pd.RangeIndex):
        where = _file_row(df, int(idx))
        if df.attrs.get(_MAYBE_RENUMBERED_ATTR):
            # the first rows of the file, or rows left out and the rest numbered afresh
            # (reset_index): the index cannot tell which
            where = (f"{where[:-1]}; if rows were left out of the table and the rest "
                     f"numbered afresh, it is the table's index {idx!r} instead)")
        return where
    return f"index {idx!r} (position {pos + offset})"


#: ``df.attrs`` key set by :func:`apply_lfs` on a table read from a file that has fewer
#: rows than were read and a fresh index 0, 1, ...: its first rows, or rows renumbered.
_MAYBE_RENUMBERED_ATTR = "dataqa_maybe_renumbered"


def _noting_renumbering(df: pd.DataFrame) -> pd.DataFrame:
    """``df``, marked (on a shallow copy) when its row numbers may not be the file's: read
    from a file, fewer rows than were read, index 0, 1, ... (its chunks, applied in
    parallel, keep the mark and their part of the index)."""
    from dataqa.data import _ROWS_READ_ATTR, _SOURCE_ATTR

    read, index = df.attrs.get(_ROWS_READ_ATTR), df.index
    if (read is None or _SOURCE_ATTR not in df.attrs or not isinstance(index, pd.RangeIndex)
            or index.start != 0 or index.step != 1 or len(df) == read):
        return df
    out = df.copy(deep=False)
    out.attrs = {**df.attrs, _MAYBE_RENUMBERED_ATTR: True}
    return out


def _file_row(df: pd.DataFrame, row: int) -> str:
    """Row ``row`` (0-based, of the table read) as the file (or the file among several it
    came from) numbers it, in a message."""
    from dataqa.data import _FILES_ATTR, _SOURCE_ATTR

    # the row as the file has it (the index a slice of the table read keeps), as other
    # reading messages count; of a table read from several, the row of the file it came from
    files = df.attrs.get(_FILES_ATTR)
    if files:
        start = 0
        for name, n in files:
            if row < start + n:
                return (f"{row - start + 1} of {str(name)!r} (data rows counted from 1, "
                        f"after any header)")
            start += n
    return (f"{row + 1} of {str(df.attrs[_SOURCE_ATTR])!r} (data rows counted from 1, "
            f"after any header)")


def _bad_vote(lf: Any, y: Any, df: pd.DataFrame, pos: int, id_column: str | None,
              offset: int = 0) -> LabelingFunctionError:
    y = y.item() if isinstance(y, np.generic) else y
    return LabelingFunctionError(
        f"labeling function {lf.name!r} returned {y!r} on row "
        f"{_row_label(df, pos, id_column, offset)}; an LF must return an int class index or "
        f"-1 (abstain)."
    )


def _bool_vote(lf: Any, y: Any, df: pd.DataFrame, pos: int, id_column: str | None,
               offset: int = 0) -> LabelingFunctionError:
    """True/False are ints to Python, but False as a vote is class 0, not an abstain: an
    LF written as a test (``return "http" in x.text``) votes class 0 on every other row."""
    return LabelingFunctionError(
        f"labeling function {lf.name!r} returned {bool(y)!r} on row "
        f"{_row_label(df, pos, id_column, offset)}: True/False would be read as votes for "
        f"classes 1 and 0, so every row it does not fire on would get class 0. Return a class "
        f"index or -1 (abstain), e.g. `return 1 if ... else -1`; or int(...) if False does "
        f"mean class 0.")


def _store(col: np.ndarray, pos: int, y: Any, lf: Any, df: pd.DataFrame,
           id_column: str | None, offset: int = 0) -> None:
    if y.__class__ is not int:  # ints (the usual vote) need no check
        if isinstance(y, (bool, np.bool_)):
            raise _bool_vote(lf, y, df, pos, id_column, offset)
        try:
            ok = y == int(y)  # 1.7, NaN, inf, None, "1" are not votes
        except (TypeError, ValueError, OverflowError):
            ok = False
        if ok is not True and not (isinstance(ok, np.bool_) and ok):
            raise _bad_vote(lf, y, df, pos, id_column, offset)
    if y >= 0:
        try:
            col[pos] = y
        except OverflowError:
            raise _bad_vote(lf, y, df, pos, id_column, offset) from None


class _Faults(dict):
    """Rows on which each LF raised and abstained (``fault_tolerant``): LF name -> count,
    and in :attr:`first` LF name -> the first such row and its error, for the warning."""

    def __init__(self) -> None:
        super().__init__()
        self.first: dict[str, str] = {}


def _merge_faults(into: dict, other: dict) -> None:
    """Add ``other``'s counts to ``into``'s, keeping the first row each LF raised on
    (``other`` holds later rows than ``into``)."""
    for k, v in other.items():
        into[k] = into.get(k, 0) + v
    first = getattr(into, "first", None)
    if first is not None:
        for k, v in getattr(other, "first", {}).items():
            first.setdefault(k, v)


def _rowwise(df: pd.DataFrame, lfs: list[Any], fault_tolerant: bool,
             id_column: str | None, offset: int = 0) -> tuple[np.ndarray, dict[str, int]]:
    """Row-by-row votes on the rows ``DataFrame.apply(axis=1)`` builds (as Snorkel does)."""
    n, m = len(df), len(lfs)
    L = np.full((n, m), ABSTAIN, dtype=np.int64)
    faults = _Faults()
    if n == 0 or m == 0:
        return L, faults
    results: list[Any] = [None] * n
    counter = iter(range(n))

    def one(x: pd.Series) -> int:
        pos = next(counter)
        ys = []
        for lf in lfs:
            try:
                ys.append(lf(x))
            except SystemExit as exc:  # user code calling sys.exit: never a vote
                raise LabelingFunctionError(
                    f"labeling function {lf.name!r} called sys.exit({exc.code!r}) on row "
                    f"{_row_label(df, pos, id_column, offset)}; an LF must return a vote "
                    f"(an int class index or -1), not exit."
                ) from None
            except Exception as exc:  # noqa: BLE001 - named and re-raised or counted
                missing = _missing_field(exc, x)
                if missing is not None:  # every row would fail: not a fault of this row
                    from dataqa.data import table_name

                    raise MissingColumnError(
                        missing, [str(c) for c in df.columns], role="column",
                        table=table_name(df),
                        fix=f"Labeling function {lf.name!r} reads it ({type(exc).__name__} "
                            f"on row {_row_label(df, pos, id_column, offset)}); give the LF "
                            f"one of these columns.") from None
                if not fault_tolerant:
                    raise LabelingFunctionError(
                        f"labeling function {lf.name!r} raised on row "
                        f"{_row_label(df, pos, id_column, offset)}: {type(exc).__name__}: {exc}"
                        f"{_empty_cells_hint(exc, x, df, lf)} "
                        f"(fix the LF, or let it abstain where it raises and count the faults: "
                        f"fault_tolerant=True in apply_lfs and weak_label, --fault-tolerant in "
                        f"dataqa weak)"
                    ) from exc
                faults[lf.name] = faults.get(lf.name, 0) + 1
                faults.first.setdefault(
                    lf.name, f"row {_row_label(df, pos, id_column, offset)}: "
                             f"{type(exc).__name__}: {' '.join(str(exc).split())}")
                ys.append(ABSTAIN)
        results[pos] = ys
        return 0

    df.apply(one, axis=1)
    for pos, ys in enumerate(results):
        for j, y in enumerate(ys):
            _store(L[:, j], pos, y, lfs[j], df, id_column, offset)
    return L, faults


def _empty_cells_hint(exc: Exception, x: Any, df: pd.DataFrame, lf: Any = None) -> str:
    """When an LF's TypeError or AttributeError meets a row whose text cells are empty
    (NaN or NA, not a str: ``len(x.text)`` fails), say which, and how to guard; else
    ``""``; the cells the LF's source reads (``x.text``, ``x["text"]``) come first. Empty
    numbers are left out: NaN compares without an error."""
    if not isinstance(exc, (TypeError, AttributeError)) or not isinstance(x, pd.Series):
        return ""
    texts = {c for c in df.columns if pd.api.types.is_object_dtype(df[c])
             or pd.api.types.is_string_dtype(df[c])}
    empty = [str(c) for c, v in x.items() if c in texts
             and not isinstance(v, (list, tuple, dict, np.ndarray)) and pd.isna(v)]
    if not empty:
        return ""
    read = _read_by(lf, empty)
    empty = read + [c for c in empty if c not in read]
    col = empty[0]
    return (f"; the row's {', '.join(map(repr, empty[:3]))} "
            f"{'is' if len(empty) == 1 else 'are'} empty (NaN or NA, not a str): guard the "
            f"LF, e.g. `if not isinstance(x[{col!r}], str): return -1`")


def _read_by(lf: Any, columns: list[str]) -> list[str]:
    """Those of ``columns`` that the LF's function names in its code (``x.col`` reads an
    attribute name, ``x["col"]`` a constant), nested functions included; none when it
    has no code (a partial, a callable object)."""
    import inspect

    func = getattr(lf, "_f", None) or getattr(lf, "f", None) or lf
    try:
        func = inspect.unwrap(func)  # a decorated function: the wrapped one's code
    except ValueError:  # a cycle of __wrapped__
        pass
    code = getattr(func, "__code__", None)
    names: set[str] = set()
    todo = [code] if code is not None else []
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        for const in c.co_consts:
            if isinstance(const, str):
                names.add(const)
            elif hasattr(const, "co_names"):
                todo.append(const)
    return [col for col in columns if col in names]


def _missing_field(exc: Exception, x: Any) -> str | None:
    """The name an LF asked a row for that the row does not have (``x.n_caps`` or
    ``x["n_caps"]`` on a row without that column), else None."""
    if not isinstance(x, pd.Series):
        return None
    if isinstance(exc, AttributeError) and getattr(exc, "obj", None) is x:
        name = getattr(exc, "name", None)
    elif type(exc) is KeyError and len(exc.args) == 1 and _raised_in_pandas(exc):
        name = exc.args[0]  # x["name"]; a dict lookup in the LF itself is its own fault
    else:
        return None
    return name if isinstance(name, str) and name not in x.index else None


def _raised_in_pandas(exc: Exception) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and "pandas" in tb.tb_frame.f_code.co_filename.replace("\\", "/")


def _vectorized(df: pd.DataFrame, lf: Any, cache: BatchCache, fault_tolerant: bool,
                id_column: str | None, faults: dict[str, int], engine: bool) -> np.ndarray:
    """The votes of one frame LF (``engine``: an :class:`EngineLF`, whose votes are
    already its label or -1)."""
    try:
        out = np.asarray(lf.apply_batch(df, cache=cache))
    except MissingColumnError:
        raise
    except ColumnValueError as exc:
        from dataqa.data import table_name

        raise FeatureTypeError(
            f"labeling function {lf.name!r} tests {exc.test}, but column {exc.column!r} of "
            f"{table_name(df)} is not numeric: row {_row_label(df, exc.pos, id_column)} holds "
            f"{exc.value!r}{exc.advice}") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - locate the failing row through the row path
        col, f = _rowwise(df, [lf], fault_tolerant, id_column)
        _merge_faults(faults, f)
        if not f.get(lf.name):  # every row voted: the frame path alone is at fault
            from dataqa._caller import caller_stacklevel

            warnings.warn(
                f"labeling function {lf.name!r}: apply_batch raised "
                f"{type(exc).__name__}: {exc}, but the LF called row by row did not; its "
                f"votes are the row-by-row ones (slower). Fix apply_batch so both agree.",
                UserWarning, stacklevel=caller_stacklevel())
        return col[:, 0]
    if out.shape != (len(df),):
        raise LabelingFunctionError(
            f"labeling function {lf.name!r}: apply_batch returned shape {out.shape} for "
            f"{len(df)} rows; it must return one vote per row."
        )
    if out.dtype.kind == "b" and len(out):
        raise _bool_vote(lf, out[0], df, 0, id_column)
    if out.dtype.kind not in "iu":  # floats or objects: every vote must be an integer
        out = _integer_votes(out, lf, df, id_column)
    out = out.astype(np.int64, copy=False)
    if engine:  # already label or -1
        return out
    return np.where(out >= 0, out, ABSTAIN)


def _integer_votes(out: np.ndarray, lf: Any, df: pd.DataFrame, id_column: str | None) -> np.ndarray:
    """``out`` as int64, or an error naming the first row whose vote is not an integer."""
    if out.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            ints = out.astype(np.int64)
        bad = np.flatnonzero(ints != out)  # 1.7, NaN and inf differ from their cast
        if len(bad):
            raise _bad_vote(lf, out[bad[0]], df, int(bad[0]), id_column)
        return ints
    ints = np.empty(len(out), dtype=np.int64)
    for pos, y in enumerate(out.tolist()):  # objects: one check per row, as the row path
        ints[pos] = ABSTAIN
        _store(ints, pos, y, lf, df, id_column)
        if y < 0:
            ints[pos] = int(y)
    return ints


#: rows from which the vectorized LFs of one pass run in threads by default
THREAD_MIN_ROWS = 20_000
#: pieces (by rows) per thread of each shared substring scan
SCAN_PIECES_PER_THREAD = 2


def _n_threads(threads: int | None, n: int, engine: set[int]) -> int:
    if threads is not None:
        return threads
    safe = len(engine)
    if safe < 2 or n < THREAD_MIN_ROWS:
        return 1
    return max(1, min(4, os.cpu_count() or 1, safe))


def _vectorized_all(df: pd.DataFrame, lfs: list[Any], vec: list[int], engine: set[int],
                    L: np.ndarray, threads: int, fault_tolerant: bool, id_column: str | None,
                    faults: dict[str, int], advance: Any) -> None:
    """Write the votes of the vectorized LFs ``vec`` into the columns of ``L``; those in
    ``engine`` are :class:`EngineLF`.

    With ``threads > 1`` the :class:`~dataqa.weak.lf.EngineLF` passes (and the shared
    substring scans, cut by rows into pieces queued first) run in ``threads`` threads,
    the calling one included: pyarrow's regex kernels and
    NumPy's array loops release the GIL. Each LF writes only its own column, errors and
    fault counts are collected in LF order, so the result equals the serial pass.
    """
    cache = BatchCache(df)
    for j in sorted(engine):
        lfs[j].prepare(cache)
    pooled = [j for j in vec if j in engine] if threads > 1 else []
    if len(pooled) < 2:
        pooled = []
    for j in vec:
        if j not in pooled:
            L[:, j] = _vectorized(df, lfs[j], cache, fault_tolerant, id_column, faults,
                                  j in engine)
            advance()
    if not pooled:
        return
    import threading
    from collections import deque

    own: dict[int, dict[str, int]] = {j: _Faults() for j in pooled}
    errors: dict[int, BaseException] = {}

    def one(j: int) -> None:
        try:
            L[:, j] = _vectorized(df, lfs[j], cache, fault_tolerant, id_column, own[j], True)
        except BaseException as exc:  # noqa: BLE001 - raised below, in LF order
            errors[j] = exc

    # queue: a piece of the shared substring scans (its thread builds the column's byte
    # form meanwhile), the LFs that read no text, the other pieces (two per thread, so a
    # thread done early takes another), the other LFs that do not wait on the scans,
    # then those that do (a piece no thread has started yet is run by the first LF that
    # needs it, so no order can dead-lock)
    pieces = cache.scan_tasks(SCAN_PIECES_PER_THREAD * threads)
    ranks = {j: 0 if not (lfs[j].shares_scan or lfs[j].reads_text) else
             1 if not lfs[j].shares_scan else 2 for j in pooled}
    queue: deque = deque(pieces[:1])
    queue.extend(functools.partial(one, j) for j in pooled if ranks[j] == 0)
    queue.extend(pieces[1:])
    for rank in (1, 2):
        queue.extend(functools.partial(one, j) for j in pooled if ranks[j] == rank)

    def work() -> None:
        while True:
            try:
                task = queue.popleft()
            except IndexError:
                return
            task()

    # the calling thread works too: one thread less to start and wake
    helpers = [threading.Thread(target=work, name=f"dataqa-lf-{i}", daemon=True)
               for i in range(threads - 1)]
    for t in helpers:
        t.start()
    work()
    for t in helpers:
        t.join()
    for j in pooled:  # LF order: the first failing LF is the one reported
        if j in errors:
            raise errors[j]
        advance()
    for j in pooled:
        _merge_faults(faults, own[j])


def _apply_frame(df: pd.DataFrame, lfs: list[Any], *, n_jobs: int, fault_tolerant: bool,
                 progress: bool | None, id_column: str | None,
                 threads: int | None = 1, label: str = "labeling functions"
                 ) -> tuple[np.ndarray, dict[str, int]]:
    n, m = len(df), len(lfs)
    # every column is written below (by the vectorized or the row-wise pass)
    L = np.empty((n, m), dtype=np.int64)
    faults = _Faults()
    # VectorizedLF first: a plain class check, far cheaper than a protocol's
    engine = {j for j, lf in enumerate(lfs)
              if isinstance(lf, VectorizedLF) or isinstance(lf, EngineLF)}
    vec = [j for j, lf in enumerate(lfs) if j in engine or isinstance(lf, FrameLF)]
    row = [j for j in range(m) if j not in set(vec)]
    n_chunks = 0
    if row and n:
        n_chunks = 1 if n_jobs == 1 else min(n, 4 * n_jobs)
    if n_chunks:  # the steps: one per vectorized LF, one per part of rows for the others
        label = (f"{label} ({len(vec)} vectorized, then {len(row)} row-wise in {n_chunks} "
                 f"part{'s' if n_chunks > 1 else ''})")
    with progress_task(label, len(vec) + n_chunks, enabled=progress) as advance:
        _vectorized_all(df, lfs, vec, engine, L, _n_threads(threads, n, engine),
                        fault_tolerant, id_column, faults, advance)
        if row and n:
            row_lfs = [lfs[j] for j in row]
            if n_chunks == 1:
                Lr, f = _rowwise(df, row_lfs, fault_tolerant, id_column)
                advance()
                parts = [(Lr, f)]
            else:
                from joblib import Parallel, delayed

                bounds = np.linspace(0, n, n_chunks + 1).astype(int)
                chunks = [(a, df.iloc[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
                          if b > a]
                parts = []
                _forget_memos(row_lfs)
                for res in Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")(
                        delayed(_rowwise)(c, row_lfs, fault_tolerant, id_column, a)
                        for a, c in chunks):
                    parts.append(res)
                    advance()
                Lr = np.vstack([p[0] for p in parts])
            for _, f in parts:
                _merge_faults(faults, f)
            L[:, row] = Lr
    return L, faults


def _forget_memos(lfs: list[Any]) -> None:
    """Empty the memo caches of the LFs' preprocessors (Snorkel's ``memoize=True``) before
    the LFs are sent to other processes: a cached row, pickled, loses the attributes the
    preprocessor set on it (``x.n_chars = ...``), so the LF failed there on every row an
    earlier run in this process had cached."""
    seen: set[int] = set()
    todo = [p for lf in lfs for p in (getattr(lf, "_pre", None) or [])]
    while todo:
        pre = todo.pop()
        if id(pre) in seen:
            continue
        seen.add(id(pre))
        if getattr(pre, "memoize", False) and callable(getattr(pre, "reset_cache", None)):
            pre.reset_cache()
        todo.extend(getattr(pre, "_pre", None) or [])


def _apply_partition(pdf: pd.DataFrame, lfs: list[Any], fault_tolerant: bool,
                     id_column: str | None, threads: int = 1,
                     part: int = 0) -> tuple[np.ndarray, dict[str, int]]:
    """One Dask partition's label matrix; a row named by position is placed in its
    partition (the partition does not know where it starts in the whole table)."""
    import re

    try:
        return _apply_frame(pdf, lfs, n_jobs=1, fault_tolerant=fault_tolerant, progress=False,
                            id_column=id_column, threads=threads)
    except (LabelingFunctionError, FeatureTypeError, MissingColumnError) as exc:
        # only the first "(position N)", the one this module wrote before the LF's message
        text = re.sub(r"\(position (\d+)\)", rf"(position \1 of Dask partition {part})",
                      str(exc), count=1)
        if text == str(exc):
            raise
        error = _rebuild_error(type(exc), (text, *exc.args[1:]), exc.__dict__)
        raise error from exc.__cause__


def apply_lfs(data: Any, lfs: Sequence[Any], *, n_jobs: int = 1, fault_tolerant: bool = False,
              progress: bool | None = False, id_column: str | None = None,
              scheduler: Any = None, return_faults: bool = False, threads: int | None = None,
              progress_label: str = "labeling functions", cardinality: int | None = None
              ) -> np.ndarray | tuple[np.ndarray, dict[str, int]]:
    """Apply labeling functions and return the label matrix.

    Parameters
    ----------
    data : DataFrame, path, or dask DataFrame
        The rows to label. A path (a file, a folder of files or a glob pattern) is read
        as :func:`~dataqa.weak.weak_label` reads it: words such as ``NA`` or ``null`` stay
        as written in the ``text`` column and in the columns the LFs read as text (only an
        empty cell is missing there), and the ``text`` and ``id_column`` columns are read
        as strings.
    lfs : list of labeling functions
        :mod:`labeling_functions` factories (vectorized) and/or Snorkel LFs (row-wise).
        Names must be unique.
    n_jobs : int, default 1
        Processes for the row-wise LFs (-1 = all cores). Vectorized LFs run in-process.
    fault_tolerant : bool, default False
        If False, an LF that raises stops the run with a :class:`LabelingFunctionError`
        naming the LF, the row and the exception. If True, the LF abstains on that row,
        and the number of faults per LF is reported with an :class:`LFFaultWarning`
        (and returned with ``return_faults=True``).
    progress : bool or None, default False
        Show a progress bar (None: when stderr is a terminal).
    id_column : str, optional
        Column whose value names a row in error messages (default: the index label).
    scheduler : optional
        Dask only: the scheduler for ``dask.compute`` (a ``distributed.Client``, or
        "threads"/"processes"/"synchronous"); default: the active client if any.
    return_faults : bool, default False
        Also return ``{lf_name: fault count}``.
    threads : int or None, default None
        Threads for the vectorized pass (the :mod:`labeling_functions` LFs: their regex,
        substring-scan and comparison kernels release the GIL). None (automatic): up to
        ``min(4, cpu_count)`` when there are at least two such LFs and
        ``THREAD_MIN_ROWS`` (20,000) rows, else 1. The result is the same either way.
        On an idle 2-core machine two threads cut the 100k-row benchmark from 60 to
        39 ms; on cores already busy with other work they gain little, so pass
        ``threads=1`` there. On a Dask DataFrame each partition uses ``threads`` (None
        means 1 there, as the workers already share the cores).
    progress_label : str, default "labeling functions"
        The progress bar's name (``weak_label`` names its dev rows' bar apart).
    cardinality : int, optional
        Number of classes K: a vote of K or more stops the run with a
        :class:`LabelingFunctionError` naming the LF, the first such row and the count.
        Without it any vote >= 0 is kept (the label model checks it later).

    Returns
    -------
    L : int64 ndarray (n, m)
        ``L[i, j]`` is the vote of ``lfs[j]`` on row ``i``; -1 = abstain.
    faults : dict, only with ``return_faults=True``
    """
    lfs = check_lfs(lfs)
    if cardinality is not None:
        cardinality = check_int(cardinality, "cardinality", minimum=2,
                                message=f"cardinality={cardinality!r} must be an int >= 2.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InvalidSettingError(f"n_jobs={n_jobs!r} must be a positive int or -1 (all cores).")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise InvalidSettingError(f"threads={threads!r} must be None (automatic) or an int >= 1.")
    if _is_dask(data):
        import dask

        parts = data.to_delayed()
        _forget_memos(list(lfs))
        tasks = [dask.delayed(_apply_partition)(p, lfs, fault_tolerant, id_column, threads or 1,
                                                k) for k, p in enumerate(parts)]
        kwargs = {} if scheduler is None else {"scheduler": scheduler}
        with progress_task(f"{progress_label} (dask)", None, enabled=progress):
            results = dask.compute(*tasks, **kwargs)
        m = len(lfs)
        L = np.vstack([r[0] for r in results]) if results else np.empty((0, m), dtype=np.int64)
        faults = _Faults()
        for _, f in results:
            _merge_faults(faults, f)
    else:
        if isinstance(data, pd.DataFrame):
            df = data
        else:
            from dataqa.weak.pipeline import read_for_lfs

            df = read_for_lfs(data, lfs, id_column=id_column)
        df = _noting_renumbering(df)
        L, faults = _apply_frame(df, lfs, n_jobs=n_jobs, fault_tolerant=fault_tolerant,
                                 progress=progress, id_column=id_column, threads=threads,
                                 label=progress_label)
    if cardinality is not None and L.size and L.max() >= cardinality:
        j = int(np.flatnonzero((L >= cardinality).any(axis=0))[0])
        rows = np.flatnonzero(L[:, j] >= cardinality)
        i = int(rows[0])
        if _is_dask(data):  # as the partitions' own errors place a row
            ends = np.cumsum([r[0].shape[0] for r in results])
            part = int(np.searchsorted(ends, i, side="right"))
            where = f"position {i - int(ends[part - 1]) if part else i} of Dask partition {part}"
        else:
            where = _row_label(df, i, id_column)
        raise LabelingFunctionError(
            f"labeling function {lfs[j].name!r} voted {int(L[i, j])} on row {where} "
            f"({len(rows)} such rows), but with cardinality {cardinality} (--cardinality) votes "
            f"must be 0..{cardinality - 1} or -1 (abstain); fix the LF or raise the cardinality.")
    if faults:
        first = getattr(faults, "first", {})
        desc = "; ".join(f"{k}: {v} row(s)" + (f", first {first[k]}" if k in first else "")
                         for k, v in sorted(faults.items()))
        of = "" if _is_dask(data) else f" of {table_name(df)}"  # (data and dev: which)
        warnings.warn(f"labeling functions raised and abstained on some rows{of} ({desc}).",
                      LFFaultWarning, stacklevel=2)
    if return_faults:
        return L, dict(faults)
    return L
