"""Load a table and validate ids, labels and feature columns.

Validation happens here, once, at the public boundary; everything downstream trusts
a :class:`LabeledTable`.
"""

from __future__ import annotations

import csv
import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from dataqa.errors import (
    DataLoadError,
    DuplicateIdError,
    EmptyDataError,
    FeatureTypeError,
    LabelError,
    LengthMismatchError,
    MissingColumnError,
    SmallClassError,
    TooFewClassesError,
    format_ids,
)

__all__ = [
    "LabeledTable",
    "load_table",
    "make_ids",
    "encode_labels",
    "numeric_feature_columns",
    "prepare_labeled",
    "check_lengths",
    "effective_folds",
]

_READERS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}


def load_table(source: str | PathLike | pd.DataFrame, *, format: str | None = None) -> pd.DataFrame:
    """Read a table from CSV, TSV, Parquet, JSON Lines or JSON, or pass a DataFrame through.

    Parameters
    ----------
    source : path or DataFrame
        A file path, or a DataFrame (returned as is, index reset).
    format : {"csv", "tsv", "parquet", "jsonl", "json"}, optional
        Overrides the format guessed from the file suffix.

    Returns
    -------
    DataFrame with a fresh ``RangeIndex``.
    """
    if isinstance(source, pd.DataFrame):
        df = source.reset_index(drop=True)
    else:
        path = Path(source)
        if not path.exists():
            raise DataLoadError(f"data file {str(path)!r} does not exist; check the path.")
        fmt = format or _READERS.get(path.suffix.lower())
        if fmt is None:
            raise DataLoadError(
                f"cannot tell the format of {str(path)!r} from its suffix {path.suffix!r}; "
                f"use one of {', '.join(sorted(_READERS))} or pass format=..."
            )
        try:
            if fmt == "csv":
                df = pd.read_csv(path)
            elif fmt == "tsv":
                df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)
            elif fmt == "parquet":
                df = pd.read_parquet(path)
            elif fmt == "jsonl":
                df = pd.read_json(path, lines=True)
            elif fmt == "json":
                df = pd.read_json(path)
            else:
                raise DataLoadError(
                    f"unknown format {fmt!r}; use one of csv, tsv, parquet, jsonl, json."
                )
        except DataLoadError:
            raise
        except Exception as exc:  # noqa: BLE001 - re-raised with the file named
            raise DataLoadError(f"could not read {str(path)!r} as {fmt}: {exc}") from exc
    if len(df) == 0:
        raise EmptyDataError("the table has no rows; give a table with at least one row.")
    return df


def _require_column(df: pd.DataFrame, column: str, role: str) -> None:
    if column not in df.columns:
        raise MissingColumnError(column, [str(c) for c in df.columns], role=role)


def _row_hash(values: Sequence[object]) -> str:
    h = hashlib.sha1()
    for v in values:
        h.update(repr(v).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def make_ids(df: pd.DataFrame, id_column: str | None = None) -> np.ndarray:
    """Return one stable string id per row.

    With ``id_column`` the ids are that column as strings (missing or repeated values are
    errors). Without it, each id is a hash of the row's content (all columns, in order),
    so the same row gets the same id in every run; rows with identical content get
    ``-1``, ``-2`` ... suffixes in order of appearance.
    """
    if id_column is not None:
        _require_column(df, id_column, "id column")
        col = df[id_column]
        missing = col.isna().to_numpy()
        if missing.any():
            rows = np.flatnonzero(missing)
            raise DuplicateIdError(
                f"id column {id_column!r} has {len(rows)} missing values (rows "
                f"{format_ids(rows)}); fill them or leave id_column out to use content hashes."
            )
        ids = col.astype(str).to_numpy(dtype=object)
        dup = pd.Series(ids).duplicated(keep=False).to_numpy()
        if dup.any():
            dups = pd.unique(ids[dup])
            raise DuplicateIdError(
                f"id column {id_column!r} has {len(dups)} repeated values: {format_ids(dups)}; "
                f"ids must be unique. Deduplicate the table or choose another id column."
            )
        return ids
    cols = list(df.columns)
    rows = df[cols].itertuples(index=False, name=None)
    ids = np.array([_row_hash(r) for r in rows], dtype=object)
    seen: dict[str, int] = {}
    for i, h in enumerate(ids):
        k = seen.get(h, 0)
        if k:
            ids[i] = f"{h}-{k}"
        seen[h] = k + 1
    return ids


def encode_labels(values: pd.Series | Sequence | np.ndarray, *, ids: np.ndarray | None = None,
                  column: str = "label") -> tuple[np.ndarray, list]:
    """Encode labels as ints ``0 .. K-1`` in sorted class-name order.

    Returns
    -------
    labels : int ndarray (n,)
    class_names : list, sorted; ``class_names[k]`` is the original value of class ``k``.
    """
    s = pd.Series(values)
    bad = s.isna().to_numpy().copy()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        bad |= s.astype(str).str.strip().eq("").to_numpy() & ~bad
    if bad.any():
        where = np.flatnonzero(bad)
        who = ids[where] if ids is not None else where
        raise LabelError(
            f"label column {column!r} has {len(where)} missing or empty labels "
            f"(first ids: {format_ids(who)}); drop or label those rows first."
        )
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.to_numpy(), 1) == 0):
        s = s.astype(np.int64)
    try:
        class_names = sorted(pd.unique(s).tolist())
    except TypeError:
        s = s.astype(str)
        class_names = sorted(pd.unique(s).tolist())
    if len(class_names) < 2:
        raise TooFewClassesError(
            f"label column {column!r} has only one class ({class_names[0]!r}); "
            f"finding label errors needs at least two classes."
        )
    index = {c: k for k, c in enumerate(class_names)}
    labels = s.map(index).to_numpy(dtype=np.int64)
    return labels, class_names


def numeric_feature_columns(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Every numeric (or boolean) column of ``df`` except those in ``exclude``."""
    skip = set(exclude)
    return [
        c for c in df.columns
        if c not in skip and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
    ]


def check_lengths(**arrays: object) -> int:
    """Check that every named array has the same first dimension; return it."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}  # type: ignore[arg-type]
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise LengthMismatchError(
            f"inputs must have one entry per item but {desc}; pass arrays of the same length."
        )
    return next(iter(lengths.values()), 0)


def effective_folds(labels: np.ndarray, class_names: Sequence, cv: int) -> int:
    """Number of folds usable for stratified cross-validation.

    Falls back to fewer folds (with a warning naming the small classes) when a class has
    fewer members than ``cv``; raises :class:`SmallClassError` when a class has one member.
    """
    counts = np.bincount(labels, minlength=len(class_names))
    if cv < 2:
        from dataqa.errors import InvalidSettingError

        raise InvalidSettingError(f"cv={cv} is not allowed; use at least 2 folds.")
    small = [(class_names[k], int(c)) for k, c in enumerate(counts) if c < cv]
    if not small:
        return cv
    desc = ", ".join(f"{name!r} ({c})" for name, c in small)
    least = min(c for _, c in small)
    if least < 2:
        raise SmallClassError(
            f"class(es) {desc} have fewer than 2 members, so no out-of-sample prediction is "
            f"possible for them; label more examples of those classes or drop them."
        )
    warnings.warn(
        f"class(es) {desc} have fewer members than cv={cv}; using {least} folds instead.",
        UserWarning,
        stacklevel=3,
    )
    return least


@dataclass
class LabeledTable:
    """A validated labeled table: ids, encoded labels, and where the features come from."""

    frame: pd.DataFrame
    ids: np.ndarray
    labels: np.ndarray
    class_names: list
    label_column: str
    id_column: str | None = None
    text_column: str | None = None
    feature_columns: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def prepare_labeled(
    data: str | PathLike | pd.DataFrame,
    *,
    label_column: str,
    id_column: str | None = None,
    text_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
) -> LabeledTable:
    """Load and validate a labeled table.

    Without ``text_column`` and ``feature_columns``, the features are every numeric
    column except the id and label columns.
    """
    df = load_table(data)
    _require_column(df, label_column, "label column")
    ids = make_ids(df, id_column)
    labels, class_names = encode_labels(df[label_column], ids=ids, column=label_column)
    if text_column is not None:
        _require_column(df, text_column, "text column")
        texts = df[text_column]
        if texts.isna().any():
            where = np.flatnonzero(texts.isna().to_numpy())
            raise FeatureTypeError(
                f"text column {text_column!r} has {len(where)} missing values (first ids: "
                f"{format_ids(ids[where])}); fill them (e.g. with '') or drop those rows."
            )
    if feature_columns is not None:
        feature_columns = list(feature_columns)
        for c in feature_columns:
            _require_column(df, c, "feature column")
        non_numeric = [c for c in feature_columns if not pd.api.types.is_numeric_dtype(df[c])
                       and not pd.api.types.is_bool_dtype(df[c])]
        if non_numeric:
            raise FeatureTypeError(
                f"feature column(s) {', '.join(map(repr, non_numeric))} are not numeric; "
                f"encode them as numbers, or pass text with text_column=..."
            )
    elif text_column is None:
        exclude = [label_column] + ([id_column] if id_column else [])
        feature_columns = numeric_feature_columns(df, exclude)
        if not feature_columns:
            raise FeatureTypeError(
                "the table has no numeric feature columns besides the id and label; "
                "name a text column with text_column=... or give feature_columns=..."
            )
    else:
        feature_columns = []
    if feature_columns:
        block = df[feature_columns]
        nan_mask = block.isna().to_numpy().any(axis=1)
        if nan_mask.any():
            where = np.flatnonzero(nan_mask)
            cols = [c for c in feature_columns if df[c].isna().any()]
            raise FeatureTypeError(
                f"feature column(s) {', '.join(map(repr, cols))} have missing values in "
                f"{len(where)} rows (first ids: {format_ids(ids[where])}); impute or drop them."
            )
    return LabeledTable(
        frame=df,
        ids=ids,
        labels=labels,
        class_names=class_names,
        label_column=label_column,
        id_column=id_column,
        text_column=text_column,
        feature_columns=list(feature_columns),
    )
