"""Label Studio task dicts from a table of items: the layout, the pre-annotation, the meta.

Everything here is checked before anything is sent: a value that is neither a class
index nor a class name, a score that is not a number or a local image outside the
served folder raise before the first request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError, MissingColumnError, UnknownNameError
from dataqa.labelstudio.config import DATA_KINDS, FROM_NAME

__all__ = ["RESERVED_COLUMNS", "json_value", "resolve_layout", "build_tasks"]

#: Columns with a fixed meaning in ``items``.
RESERVED_COLUMNS = ("id", "prediction", "score", "label")


def json_value(v: Any) -> Any:
    """``v`` as JSON holds it: numpy scalars as Python, NaN, NaT and NA as ``None``."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    return v


def _class_names(values: pd.Series, names: list[str], column: str) -> list[str | None]:
    """Class index or class name per row -> class name (None where missing)."""
    out: list[str | None] = []
    bad: list[tuple[int, Any]] = []
    index = {n: n for n in names}
    for k, v in enumerate(values.tolist()):
        v = json_value(v)
        if v is None:
            out.append(None)
        elif isinstance(v, (bool,)):
            bad.append((k, v))
            out.append(None)
        elif isinstance(v, (int, float)) and float(v).is_integer() and 0 <= int(v) < len(names):
            out.append(names[int(v)])
        elif str(v) in index:
            out.append(str(v))
        else:
            bad.append((k, v))
            out.append(None)
    if bad:
        shown = ", ".join(f"row {k}: {v!r}" for k, v in bad[:5])
        raise InvalidSettingError(
            f"column {column!r} has {len(bad)} value(s) that are neither a class index "
            f"0..{len(names) - 1} nor a class name ({shown}); classes are {names!r}.")
    return out


def _image_value(v: Any, local_root: Path | None) -> Any:
    if v is None or not isinstance(v, str):
        return v
    if v.startswith(("http://", "https://", "data:", "s3://", "gs://", "/data/")):
        return v
    p = Path(v)
    if local_root is None:
        raise InvalidSettingError(
            f"image {v!r} is a local path; pass local_files_root= (the folder Label Studio "
            f"serves, LOCAL_FILES_DOCUMENT_ROOT) or give URLs.")
    try:
        rel = p.resolve().relative_to(local_root.resolve())
    except ValueError:
        raise InvalidSettingError(
            f"image {v!r} is not under local_files_root {str(local_root)!r}.") from None
    return f"/data/local-files/?d={rel.as_posix()}"


def build_tasks(items: pd.DataFrame, *, class_names: Sequence[str], kind: str, queue: str,
                data_kind: str, column: str, data_columns: Sequence[str],
                meta_columns: Sequence[str] = (), model_version: str,
                to_name: str, from_name: str = FROM_NAME,
                local_files_root: Path | None = None) -> list[dict]:
    """Label Studio task dicts (``data``, ``meta``, ``predictions``), one per row of ``items``."""
    names = list(class_names)
    n = len(items)
    ids = items["id"].astype(str).tolist()
    pre_col = "label" if kind == "review" else "prediction"
    pre = (_class_names(items[pre_col], names, pre_col) if pre_col in items.columns
           else [None] * n)
    suggested = (_class_names(items["prediction"], names, "prediction")
                 if kind == "review" and "prediction" in items.columns else None)
    scores = ([json_value(s) for s in items["score"].tolist()] if "score" in items.columns
              else [None] * n)
    for k, s in enumerate(scores):
        if s is not None and not isinstance(s, (int, float)):
            raise InvalidSettingError(f"column 'score' row {k} is {s!r}, not a number.")
    if data_kind == "table":
        cols = {c: items[c].tolist() for c in data_columns}
    else:
        cols = {column: items[column].tolist()}
    metas = {c: items[c].tolist() for c in meta_columns}
    tasks = []
    for k in range(n):
        if data_kind == "table":
            data = {"table": {c: json_value(v[k]) for c, v in cols.items()}}
        else:
            v = json_value(cols[column][k])
            if data_kind == "image":
                v = _image_value(v, local_files_root)
            data = {column: v}
        data["dataqa_id"] = ids[k]
        meta = {"dataqa_queue": queue, "dataqa_kind": kind}
        if scores[k] is not None:
            meta["score"] = float(scores[k])
        if suggested is not None and suggested[k] is not None:
            meta["suggested_label"] = suggested[k]
        for c, v in metas.items():
            meta[c] = json_value(v[k])
        task: dict[str, Any] = {"data": data, "meta": meta}
        if pre[k] is not None:
            pred: dict[str, Any] = {
                "model_version": model_version,
                "result": [{"from_name": from_name, "to_name": to_name, "type": "choices",
                            "value": {"choices": [pre[k]]}}],
            }
            if scores[k] is not None:
                pred["score"] = float(scores[k])
            task["predictions"] = [pred]
        tasks.append(task)
    return tasks


def resolve_layout(items: pd.DataFrame, data_kind: str | None, column: str | None,
                   data_columns: Sequence[str] | None, meta_columns: Sequence[str]
                   ) -> tuple[str, str, list[str]]:
    """``(data kind, column, shown columns)`` of a push, checked against ``items``.

    The data kind defaults to ``text`` when ``column`` is given or there is a ``text``
    column, ``image`` when there is an ``image`` column, else ``table``; a table shows
    ``data_columns`` (default: every column that is neither reserved nor meta) and its
    column is ``"table"``.
    """
    cols = list(items.columns)
    for c in meta_columns:
        if c not in cols:
            raise MissingColumnError(c, cols, role="meta column")
    if data_kind is None:
        if column is not None:
            data_kind = "text"
        elif "text" in cols:
            data_kind = "text"
        elif "image" in cols:
            data_kind = "image"
        else:
            data_kind = "table"
    if data_kind not in DATA_KINDS:
        raise UnknownNameError("data kind", data_kind, DATA_KINDS)
    if data_kind == "table":
        shown_columns = list(data_columns) if data_columns is not None else [
            c for c in cols if c not in RESERVED_COLUMNS and c not in meta_columns]
        for c in shown_columns:
            if c not in cols:
                raise MissingColumnError(c, cols, role="data column")
        if not shown_columns:
            raise InvalidSettingError(
                "items have no data columns to show; add columns besides id, prediction, "
                "score and label.")
        return data_kind, "table", shown_columns
    column = column or data_kind
    if column not in cols:
        raise MissingColumnError(column, cols, role=f"{data_kind} column")
    return data_kind, column, [column]
