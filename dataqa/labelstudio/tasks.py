"""Label Studio task dicts from a table of items: the layout, the pre-annotation, the meta.

Everything here is checked before anything is sent: a value that is neither a class
index nor a class name, a score that is not a number or a local image outside the
served folder raise before the first request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError, MissingColumnError, UnknownNameError
from dataqa.labelstudio.config import CONTEXT_FIELD, DATA_KINDS, FROM_NAME

__all__ = ["RESERVED_COLUMNS", "PRETICKS", "DEFAULT_PRETICK", "TASK_FIELDS", "json_value",
           "resolve_layout", "build_tasks", "context_line", "model_version_for",
           "priority_order"]

#: Columns with a fixed meaning in ``items``.
RESERVED_COLUMNS = ("id", "prediction", "probability", "score", "label")


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


def _class_names(values: pd.Series, names: list[str], column: str,
                 ids: list[str] | None = None) -> list[str | None]:
    """Class index or class name per row -> class name (None where missing).

    A class name wins, also padded with spaces or written as a whole float (``" 1"``,
    ``"1.0"`` are the class named ``1`` where one is); a string of digits that is not a
    class name is read as a class index (``"1"`` -> ``names[1]``), as a CSV file or
    ``AuditResult.review_queue()`` gives them. An empty (or blank) string is missing, as an empty CSV field is (JSON
    files write a missing label so).
    """
    out: list[str | None] = []
    bad: list[tuple[int, Any]] = []
    index = {n: n for n in names}
    for k, v in enumerate(values.tolist()):
        v = json_value(v)
        if v is None or (isinstance(v, str) and not v.strip() and v not in index):
            out.append(None)
        elif isinstance(v, (bool,)):
            bad.append((k, v))
            out.append(None)
        elif isinstance(v, (int, float)) and float(v).is_integer() and 0 <= int(v) < len(names):
            out.append(names[int(v)])
        elif str(v) in index:
            out.append(str(v))
        elif isinstance(v, str) and v.strip() in index:  # " 1" of a ", "-separated file
            out.append(v.strip())
        elif isinstance(v, str) and re.fullmatch(r"\s*\d+\.0*\s*", v) \
                and str(int(float(v))) in index:
            # "1.0", as pandas writes a column of whole numbers with gaps: the class so
            # named, as "1" is (a name wins over an index)
            out.append(str(int(float(v))))
        elif isinstance(v, str) and v.strip().isdigit() and int(v) < len(names):
            out.append(names[int(v)])  # a class index read as text (e.g. from a CSV)
        elif isinstance(v, str) and re.fullmatch(r"\s*\d+\.0*\s*", v) \
                and int(float(v)) < len(names):
            out.append(names[int(float(v))])  # "1.0": pandas writes a column with gaps so
        else:
            bad.append((k, v))
            out.append(None)
    if bad:
        shown = ", ".join(f"data row {k + 1}{f' (id {ids[k]!r})' if ids else ''}: {v!r}"
                          for k, v in bad[:5])
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
    if len(rel.parts) < 2:  # (no storage may be the root itself)
        raise InvalidSettingError(
            f"image {v!r} lies in local_files_root {str(local_root)!r} itself; Label "
            f"Studio serves a local file only from a subfolder of its document root (a "
            f"project's Local files storage): move the images into a folder under it.")
    # (quoted: a name with '&', '#' or '+' is another file in a query string)
    return f"/data/local-files/?d={quote(rel.as_posix(), safe='/')}"


#: What a pre-annotation can be: nothing, the given label, or the suggested label
#: (the model's guess in ``active`` and ``review`` queues, the weak label in ``spot_check``).
PRETICKS = ("none", "given", "suggested")

#: The pre-annotation of each queue kind when ``pretick`` is not given.
DEFAULT_PRETICK = {"active": "suggested", "spot_check": "suggested", "review": "none",
                   "verify": "none"}

#: Task data fields dataqa writes beside the item's own data.
TASK_FIELDS = ("dataqa_id", "priority", CONTEXT_FIELD, "given_label", "suggested_label")


def model_version_for(kind: str, pretick: str, model_name: str | None) -> str:
    """What a pre-annotation is, as Label Studio's ``model_version`` shows it.

    ``model-<name>`` for a model's guess, ``weak-label`` for the weak label of a spot
    check, ``given-label`` for the label the data came with; ``""`` when nothing is
    pre-annotated.
    """
    if pretick == "none":
        return ""
    if pretick == "given":
        return "given-label"
    if kind == "spot_check":
        return "weak-label"
    return f"model-{model_name or 'classifier'}"


def _fmt(x: float) -> str:
    """Two decimals, more where two would read as exactly 0 or 1 (a probability or
    priority of 0.9953 is not "1.00"): up to six decimals near 1, two significant digits
    near 0 (0.0005); beyond, "<0.000001" or ">0.999999"."""
    if x == 0:
        return "0.00"
    out = f"{x:.2f}"
    if out not in ("0.00", "1.00", "-0.00") or x == 1:
        return out
    if x > 1:
        return ">1"
    if x > 0.5:
        for digits in range(3, 7):
            out = f"{x:.{digits}f}"
            if float(out) != 1.0:
                return out.rstrip("0")
        return ">0.999999"
    if abs(x) < 1e-6:
        return "<0.000001" if x > 0 else ">-0.000001"
    return np.format_float_positional(x, precision=2, unique=False, fractional=False,
                                      trim="-")


def context_line(kind: str, *, given: str | None, suggested: str | None,
                 probability: float | None, score: float | None) -> str:
    """The line shown above the choices (task ``data.context``).

    ``review``: "Given label: ham · model suggests: spam · issue score 0.69";
    ``active``: "Model suggests: spam (probability 0.87) · priority 0.93";
    ``spot_check``: "Weak label: spam · priority 0.42"; ``verify`` shows no label:
    "Choose the class from the item alone."
    """
    parts: list[str] = []
    if kind == "verify":
        return "Choose the class from the item alone."
    if kind == "review":
        if given is not None:
            parts.append(f"Given label: {given}")
        if suggested is not None:
            guess = f"model suggests: {suggested}"
            if probability is not None:
                guess += f" (probability {_fmt(probability)})"
            parts.append(guess)
        if score is not None:
            parts.append(f"issue score {_fmt(score)}")
    else:
        if suggested is not None:
            if kind == "spot_check":
                parts.append(f"Weak label: {suggested}")
            else:
                guess = f"Model suggests: {suggested}"
                if probability is not None:
                    guess += f" (probability {_fmt(probability)})"
                parts.append(guess)
        if score is not None:
            parts.append(f"priority {_fmt(score)}")
    line = " \u00b7 ".join(parts)
    return line[:1].upper() + line[1:] if line else ""


def _numbers(items: pd.DataFrame, column: str, *, unit: bool = False) -> list[float | None]:
    if column not in items.columns:
        return [None] * len(items)
    out: list[float | None] = []
    for k, s in enumerate(items[column].tolist()):
        s = json_value(s)
        if s is not None and (isinstance(s, bool) or not isinstance(s, (int, float))):
            raise InvalidSettingError(f"column {column!r} row {k} is {s!r}, not a number.")
        if s is not None and unit and not 0.0 <= s <= 1.0:
            raise InvalidSettingError(
                f"column {column!r} row {k} is {s!r}; it must be the model's probability of "
                f"the 'prediction' class, between 0 and 1.")
        out.append(None if s is None else float(s))
    return out


def priority_order(items: pd.DataFrame) -> np.ndarray:
    """Row positions by descending ``score`` (ties and rows without one keep their order,
    rows without a score last); the input order when there is no ``score`` column."""
    scores = _numbers(items, "score")
    keys = np.array([-np.inf if s is None else s for s in scores], dtype=float)
    return np.argsort(-keys, kind="stable")


def build_tasks(items: pd.DataFrame, *, class_names: Sequence[str], kind: str, queue: str,
                data_kind: str, column: str, data_columns: Sequence[str],
                meta_columns: Sequence[str] = (), model_version: str,
                to_name: str, from_name: str = FROM_NAME, pretick: str | None = None,
                local_files_root: Path | None = None) -> list[dict]:
    """Label Studio task dicts (``data``, ``meta``, ``predictions``), one per row of ``items``.

    ``data`` holds the item, ``dataqa_id``, ``priority`` (the ``score``: higher = label
    first), ``context`` (the line above the choices, :func:`context_line`) and, in review
    queues, ``given_label`` and ``suggested_label``. A ``verify`` task holds neither label
    nor score anywhere (data, meta or pre-annotation): only the item, ``dataqa_id`` and a
    neutral ``context``. The pre-annotation follows ``pretick``
    (default :data:`DEFAULT_PRETICK` of the kind); its ``score`` is the ``probability``
    column (the model's probability of that class) for a model's or weak guess, absent
    otherwise.
    """
    names = list(class_names)
    n = len(items)
    ids = items["id"].astype(str).tolist()
    pretick = pretick or DEFAULT_PRETICK[kind]
    blind = kind == "verify"
    # a column read under a push's name is named as the caller wrote it (given_label)
    called = items.attrs.get("dataqa_column_names", {})
    given = (_class_names(items["label"], names, called.get("label", "label"), ids)
             if "label" in items.columns and not blind else [None] * n)
    suggested = (_class_names(items["prediction"], names,
                              called.get("prediction", "prediction"), ids)
                 if "prediction" in items.columns and not blind else [None] * n)
    probs = _numbers(items, "probability", unit=True) if not blind else [None] * n
    # a verify task carries no score either: its priority (the issue score, by which the
    # review plan is stratified) would tell the reviewer which items the model suspects
    scores = _numbers(items, "score") if not blind else [None] * n
    pre = {"none": [None] * n, "given": given, "suggested": suggested}[pretick]
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
        if scores[k] is not None:
            data["priority"] = scores[k]
        data[CONTEXT_FIELD] = context_line(kind, given=given[k], suggested=suggested[k],
                                           probability=probs[k], score=scores[k])
        if kind == "review":
            data["given_label"] = given[k]
            data["suggested_label"] = suggested[k]
        meta = {"dataqa_queue": queue, "dataqa_kind": kind}
        if scores[k] is not None:
            meta["score"] = scores[k]
        if suggested[k] is not None and kind == "review":
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
            if pretick == "suggested" and probs[k] is not None:
                pred["score"] = probs[k]
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
    if column in TASK_FIELDS:
        raise InvalidSettingError(
            f"the {data_kind} column is named {column!r}, a task field dataqa writes "
            f"({', '.join(TASK_FIELDS)}); rename the column (e.g. to {data_kind!r}).")
    return data_kind, column, [column]
