"""Push queues of items to Label Studio and pull the annotations back, through the ledger.

Every task carries ``data.dataqa_id``, the item's id. That is how a task is matched to
its item, whatever the server's import returned, and how a push that was interrupted
finds the tasks it already created: before importing, :func:`push_queue` lists the
project's tasks (ids and data only, one request per 5,000 tasks) and skips every id that
is already there. Pushing the same ids again therefore creates nothing, and a push that
failed part way, run again, ends with each id exactly once.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa._progress import progress_task
from dataqa.errors import (
    DuplicateIdError,
    EmptyDataError,
    InvalidSettingError,
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioError,
    LabelStudioProjectError,
    LedgerError,
    MissingColumnError,
    UnknownNameError,
    format_ids,
)
from dataqa.labelstudio.client import DEFAULT_TIMEOUT, LabelStudioClient, connect
from dataqa.labelstudio.config import (
    DATA_KINDS,
    FROM_NAME,
    config_classes,
    config_object,
    label_config,
)

__all__ = [
    "QUEUE_KINDS",
    "PushReport",
    "PullReport",
    "push_queue",
    "pull_annotations",
    "queue_name",
    "build_tasks",
]

logger = logging.getLogger(__name__)

#: What a queue is for; decides which column becomes the pre-annotation.
QUEUE_KINDS: dict[str, str] = {
    "review": "label-issue review: the given label is the pre-annotation, the suggested "
              "label and the issue score go in the task meta",
    "active": "active-learning batch: the model's prediction is the pre-annotation",
    "spot_check": "weak-label spot check: the weak label is the pre-annotation",
}

#: Columns with a fixed meaning in ``items``.
_RESERVED = ("id", "prediction", "score", "label")

#: Largest JSON body sent in one import request.
DEFAULT_MAX_CHUNK_BYTES = 8 * 1024 * 1024


def queue_name(project: str, queue: str) -> str:
    """The ledger name of queue ``queue`` of Label Studio project ``project``."""
    return f"{project}/{queue}"


# ---------------------------------------------------------------------------- reports

@dataclass
class PushReport:
    """What :func:`push_queue` did.

    Attributes
    ----------
    project, project_id, queue : the Label Studio project and the ledger queue.
    created : list of str
        Ids for which a task was created by this call.
    skipped : list of str
        Ids that already had a task in the project (nothing was sent for them).
    failed : list of str
        Ids whose import the server rejected; see ``errors``.
    task_ids : dict
        ``{item id: task id}`` for created and skipped ids.
    duplicates : list of str
        Ids with more than one task in the project (made outside dataqa); not touched.
    errors : list of str
    seconds : float
    """

    project: str
    project_id: int
    queue: str
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    task_ids: dict[str, int] = field(default_factory=dict, repr=False)
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_created(self) -> int:
        return len(self.created)

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    @property
    def n_failed(self) -> int:
        return len(self.failed)

    def to_dict(self) -> dict:
        return {"project": self.project, "project_id": self.project_id, "queue": self.queue,
                "n_created": self.n_created, "n_skipped": self.n_skipped,
                "n_failed": self.n_failed, "n_duplicates": len(self.duplicates),
                "errors": list(self.errors), "seconds": round(self.seconds, 3)}

    def __str__(self) -> str:
        s = (f"project {self.project!r} (id {self.project_id}), queue {self.queue!r}: "
             f"{self.n_created} created, {self.n_skipped} already there, {self.n_failed} failed "
             f"in {self.seconds:.1f} s")
        if self.duplicates:
            s += f"; {len(self.duplicates)} ids have several tasks: {format_ids(self.duplicates)}"
        return s


@dataclass
class PullReport:
    """What :func:`pull_annotations` did (also in ``df.attrs["report"]``).

    Attributes
    ----------
    n_annotations : completed annotations found (with a class chosen).
    n_new, n_updated, n_unchanged : how they compare with the ledger before the pull.
    skipped : DataFrame
        Annotations where the annotator pressed *Skip* (Label Studio stores them as
        cancelled annotations): ``id, annotator, task_id, annotation_id, created_at``.
    empty : DataFrame
        Annotations submitted without a class (same columns).
    invalid : DataFrame
        Annotations whose class is not one of the project's classes (same columns plus
        ``choice``); they are not stored. Fix them in Label Studio and pull again.
    unmatched_tasks : list of int
        Annotated tasks without ``data.dataqa_id`` or whose id is not in the ledger.
    """

    project: str
    project_id: int
    n_annotations: int = 0
    n_new: int = 0
    n_updated: int = 0
    n_unchanged: int = 0
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    empty: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    invalid: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    unmatched_tasks: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    @property
    def n_empty(self) -> int:
        return len(self.empty)

    @property
    def n_invalid(self) -> int:
        return len(self.invalid)

    def invalid_messages(self) -> list[str]:
        """One line per annotation with a class that is not the project's."""
        return [f"annotation {int(r.annotation_id)} of task {int(r.task_id)} (item {r.id!r}"
                f", by {r.annotator}) chose {r.choice!r}, not one of the project's classes; "
                f"it was not stored - change it in Label Studio and pull again."
                for r in self.invalid.itertuples(index=False)]

    def to_dict(self) -> dict:
        return {"project": self.project, "project_id": self.project_id,
                "n_annotations": self.n_annotations, "n_new": self.n_new,
                "n_updated": self.n_updated, "n_unchanged": self.n_unchanged,
                "n_skipped": self.n_skipped, "n_empty": self.n_empty,
                "n_invalid": self.n_invalid, "n_unmatched_tasks": len(self.unmatched_tasks), "seconds": round(self.seconds, 3)}

    def __str__(self) -> str:
        invalid = (f"{self.n_invalid} with a class not in the project (not stored), "
                   if self.n_invalid else "")
        return (f"project {self.project!r} (id {self.project_id}): {self.n_annotations} "
                f"annotations ({self.n_new} new, {self.n_updated} updated, {self.n_unchanged} "
                f"unchanged), {self.n_skipped} skipped, {self.n_empty} without a class, "
                f"{invalid}{len(self.unmatched_tasks)} tasks not from this ledger, in "
                f"{self.seconds:.1f} s")


# ---------------------------------------------------------------------------- helpers

#: How long a push or pull waits for another one on the same ledger to finish.
LOCK_WAIT_S = 600.0

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads of this process only
    fcntl = None

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _ledger_path(ledger: Any, *, must_exist: bool) -> str | None:
    """The file path of ``ledger`` (a Ledger or a path), checked; ``None`` for ``:memory:``.

    Nothing is created: a missing file is refused when ``must_exist``, else created later,
    once there is something to write.
    """
    from dataqa.ledger import Ledger

    if isinstance(ledger, Ledger):
        return None if ledger.path == ":memory:" else ledger.path
    if not isinstance(ledger, (str, os.PathLike)):
        raise InvalidSettingError(
            f"ledger must be a dataqa.ledger.Ledger or a file path, not {type(ledger).__name__}.")
    path = os.fspath(ledger)
    if path == ":memory:":
        return None
    p = Path(path)
    if p.is_dir():
        raise LedgerError(f"ledger path {path!r} is a folder; give the path of a ledger file.")
    if must_exist and not p.exists():
        raise LedgerError(
            f"ledger {path!r} does not exist; give the path of the ledger you pushed with "
            f"(`dataqa ls push` creates it).")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise LedgerError(
                    f"ledger path {path!r} is under {str(parent)!r}, which is a file; give "
                    f"another path.")
            break
    return path


def _open_ledger(ledger: Any):
    """``(ledger, owned)``: a Ledger instance, opening a path when given one."""
    from dataqa.ledger import Ledger

    if isinstance(ledger, Ledger):
        return ledger, False
    return Ledger(ledger), True


@contextmanager
def _ledger_lock(path: str | None, *, wait: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the Label Studio lock of a ledger: one push or pull at a time per ledger.

    An exclusive ``flock`` on ``<ledger>.lock`` (kept beside the ledger, like SQLite's
    ``-wal`` file); it serialises processes and threads alike and is released when the
    holder exits, even when killed.
    """
    if path is None:
        yield
        return
    lock_path = Path(f"{path}.lock")
    if fcntl is None:  # pragma: no cover
        with _THREAD_LOCKS_GUARD:
            lock = _THREAD_LOCKS.setdefault(str(lock_path.resolve()), threading.Lock())
        with lock:
            yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LedgerError(
                        f"another Label Studio push or pull on ledger {path!r} has held "
                        f"{str(lock_path)!r} for more than {wait:.0f} s; let it finish, then "
                        f"run this again.") from None
                if not waited:
                    logger.info("waiting for another push or pull on ledger %r", path)
                    waited = True
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _client(client: LabelStudioClient | None, url: str | None, api_key: str | None,
            timeout: float = DEFAULT_TIMEOUT) -> tuple[LabelStudioClient, bool]:
    if client is not None:
        client.check()
        return client, False
    return connect(url, api_key, timeout=timeout), True


def _json_value(v: Any) -> Any:
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
        v = _json_value(v)
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
    scores = ([_json_value(s) for s in items["score"].tolist()] if "score" in items.columns
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
            data = {"table": {c: _json_value(v[k]) for c, v in cols.items()}}
        else:
            v = _json_value(cols[column][k])
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
            meta[c] = _json_value(v[k])
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


def _chunks(tasks: list[dict], ids: list[str], size: int, max_bytes: int):
    """Split into chunks of at most ``size`` tasks and about ``max_bytes`` of JSON."""
    start = 0
    while start < len(tasks):
        end, nbytes = start, 0
        while end < len(tasks) and end - start < size:
            b = len(json.dumps(tasks[end], default=str)) + 2
            if end > start and nbytes + b > max_bytes:
                break
            nbytes += b
            end += 1
        yield ids[start:end], tasks[start:end]
        start = end


def _server_map(client: LabelStudioClient, project_id: int, *, min_id: int | None = None
                ) -> tuple[dict[str, int], list[str], int]:
    """``({dataqa_id: task id}, duplicated ids, max task id)`` of the project's tasks."""
    tasks = client.list_tasks(project_id, min_id=min_id)
    found: dict[str, int] = {}
    dups: list[str] = []
    max_id = 0
    for t in tasks:
        tid = int(t["id"])
        max_id = max(max_id, tid)
        iid = (t.get("data") or {}).get("dataqa_id")
        if iid is None:
            continue
        iid = str(iid)
        if iid in found:
            dups.append(iid)
            found[iid] = min(found[iid], tid)
        else:
            found[iid] = tid
    return found, sorted(set(dups)), max_id


def _resolve_layout(items: pd.DataFrame, data_kind: str | None, column: str | None,
                    data_columns: Sequence[str] | None, meta_columns: Sequence[str]
                    ) -> tuple[str, str, list[str]]:
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
        dcols = list(data_columns) if data_columns is not None else [
            c for c in cols if c not in _RESERVED and c not in meta_columns]
        for c in dcols:
            if c not in cols:
                raise MissingColumnError(c, cols, role="data column")
        if not dcols:
            raise InvalidSettingError(
                "items have no data columns to show; add columns besides id, prediction, "
                "score and label.")
        return data_kind, "table", dcols
    column = column or data_kind
    if column not in cols:
        raise MissingColumnError(column, cols, role=f"{data_kind} column")
    return data_kind, column, [column]


# ---------------------------------------------------------------------------- push

def push_queue(items: pd.DataFrame, *, project: str | int, class_names: Sequence[str],
               ledger: Any, queue: str, kind: str | None = None, url: str | None = None,
               api_key: str | None = None, chunk_size: int = 500,
               data_kind: str | None = None, column: str | None = None,
               data_columns: Sequence[str] | None = None, meta_columns: Sequence[str] = (),
               model_version: str | None = None, local_files_root: str | os.PathLike | None = None,
               max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
               client: LabelStudioClient | None = None,
               progress: bool | None = None, timeout: float = DEFAULT_TIMEOUT) -> PushReport:
    """Send a queue of items to a Label Studio project, once each.

    Parameters
    ----------
    items : DataFrame (n rows, n >= 1)
        Column ``id`` (unique item ids) and the data: ``text`` (text), ``image`` (URL or
        local path) or any columns (shown as a table). Optional: ``prediction`` (class
        index or name; the pre-annotation of ``active`` and ``spot_check`` queues, the
        suggested label of ``review`` queues), ``label`` (the given label; the
        pre-annotation of ``review`` queues, required there), ``score`` (acquisition or
        issue score, higher = more worth a look; stored as the prediction score so the
        queue can be ordered by it, and in the task meta) and the ``meta_columns``.
        Rows whose text or image is missing are not sent: they are reported in
        ``failed`` / ``errors`` by id and the other rows go through.
    project : str or int
        Project title (created when missing, with a config from ``class_names``) or id.
    class_names : sequence of str (K,)
        Class names in class order; must match the project's choices when it exists.
    ledger : Ledger or path
        Items, the queue and the task ids are recorded there. A path that does not exist
        is created once the project is found or made (never when the server cannot be
        reached or the project is refused).
    queue : str
        Queue name; one of ``review``, ``active``, ``spot_check`` unless ``kind`` is
        given. The ledger queue is ``"<project title>/<queue>"``.
    kind : {"review", "active", "spot_check"}, optional
    url, api_key : str, optional
        Default ``$LABEL_STUDIO_URL`` and ``$LABEL_STUDIO_API_KEY``.
    chunk_size : int
        Tasks per import request (also capped at ``max_chunk_bytes`` of JSON).
    data_kind : {"text", "image", "table"}, optional
        Default: ``text`` when there is a ``text`` column (or ``column`` is given),
        ``image`` when there is an ``image`` column, else ``table``.
    column : str, optional
        The text or image column (default ``text`` / ``image``).
    data_columns : sequence of str, optional
        Columns of a table (default: every column that is not reserved or meta).
    meta_columns : sequence of str
        Columns copied into the task meta (not shown to annotators).
    model_version : str, optional
        Default ``"dataqa-<queue>"``.
    local_files_root : path, optional
        For images given as local paths: the folder Label Studio serves.
    client : LabelStudioClient, optional
        An open client (instead of ``url`` / ``api_key``).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    timeout : float
        Seconds to wait for one response (imports get 10x); ignored with ``client``.

    Returns
    -------
    PushReport

    Raises
    ------
    EmptyDataError
        ``items`` has no rows, or no row has its text / image.
    LabelStudioConnectionError, LabelStudioAuthError
        Before anything is written when the server is down, does not answer within
        ``timeout`` or refuses the key. When the connection fails part way, the message
        says how many tasks were created and the partial :class:`PushReport` is in the
        exception's ``report`` attribute; run the same push again to finish it.
    LabelStudioProjectError
        The project exists with other classes, or the server rejected the config.

    Notes
    -----
    Pushes and pulls through one ledger run one at a time (a lock file
    ``<ledger>.lock`` beside it): two pushes started at once to a new title make one
    project, and the second finds the first one's tasks and skips them. When a chunk is
    rejected by the server, the tasks it names (or, failing that, halves of the chunk)
    are retried apart, so one bad task does not hold back the rest.
    """
    t0 = time.perf_counter()
    if not isinstance(items, pd.DataFrame):
        raise InvalidSettingError(f"items must be a pandas DataFrame, not {type(items).__name__}.")
    if "id" not in items.columns:
        raise MissingColumnError("id", list(items.columns), role="id column")
    if len(items) == 0:
        raise EmptyDataError(
            f"items has no rows, so there is nothing to push to project {project!r}; give a "
            f"DataFrame with at least one row.")
    if items["id"].isna().any():
        raise InvalidSettingError("column 'id' has missing values; every item needs an id.")
    ids = items["id"].astype(str).tolist()
    if len(set(ids)) != len(ids):
        dups = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
        raise DuplicateIdError(f"item ids repeat in items: {format_ids(dups)}; push each once.")
    kind = kind or queue
    if kind not in QUEUE_KINDS:
        raise UnknownNameError("queue kind", kind, QUEUE_KINDS)
    if not isinstance(queue, str) or not queue:
        raise InvalidSettingError(f"queue {queue!r} must be a non-empty string.")
    if kind == "review" and "label" not in items.columns:
        raise MissingColumnError("label", list(items.columns),
                                 role="given-label column (needed by review queues)")
    if int(chunk_size) < 1:
        raise InvalidSettingError(f"chunk_size must be >= 1, not {chunk_size!r}.")
    if int(max_chunk_bytes) < 1024:
        raise InvalidSettingError(f"max_chunk_bytes must be >= 1024, not {max_chunk_bytes!r}.")
    names = list(class_names) if not isinstance(class_names, str) else class_names
    data_kind, column, dcols = _resolve_layout(items, data_kind, column, data_columns,
                                               meta_columns)
    config = label_config(names, data_kind=data_kind, column=column)
    model_version = model_version or f"dataqa-{queue}"
    root = None if local_files_root is None else Path(local_files_root)
    ledger_path = _ledger_path(ledger, must_exist=False)
    # builds (and validates) every task before anything is sent or written
    from_name, to_name = config_object(config)
    tasks_all = build_tasks(items, class_names=names, kind=kind, queue=queue,
                            data_kind=data_kind, column=column, data_columns=dcols,
                            meta_columns=meta_columns, model_version=model_version,
                            to_name=to_name, from_name=from_name, local_files_root=root)
    # rows without their text / image: the server would reject their whole chunk
    bad = [] if data_kind == "table" else [
        k for k, t in enumerate(tasks_all) if t["data"].get(column) is None]
    if bad:
        bad_ids = [ids[k] for k in bad]
        if len(bad) == len(ids):
            raise EmptyDataError(
                f"every item has a missing {column!r} ({format_ids(bad_ids, 3)}), so there is "
                f"nothing to push; fill column {column!r}.")
        keep = np.ones(len(ids), dtype=bool)
        keep[bad] = False
        items = items[keep]
        ids = [i for i, k in zip(ids, keep, strict=True) if k]
        tasks_all = [t for t, k in zip(tasks_all, keep, strict=True) if k]
        logger.warning("%d items have a missing %r and are not pushed: %s", len(bad_ids),
                       column, format_ids(bad_ids))

    cl, own_client = _client(client, url, api_key, timeout)  # before anything is written
    led = None
    own_ledger = False
    try:
        with _ledger_lock(ledger_path):
            info = _resolve_project(cl, project, config=config, names=names, kind=kind)
            if info["label_config"] != config:  # an existing project: its own tag names
                from_name, to_name = config_object(info["label_config"])
                for t in tasks_all:
                    for p in t.get("predictions", []):
                        p["result"][0]["from_name"], p["result"][0]["to_name"] = from_name, to_name
            pid, title = int(info["id"]), str(info["title"])
            report = PushReport(project=title, project_id=pid, queue=queue)
            if bad:
                report.failed.extend(bad_ids)
                report.errors.append(
                    f"{len(bad_ids)} items have a missing {column!r} and were not sent "
                    f"({format_ids(bad_ids, 5)}); fill column {column!r} and push again.")

            on_server, dups, max_id = _server_map(cl, pid)
            report.duplicates = [i for i in dups if i in set(ids)]

            # the ledger: items, queue, and the truth about tasks already on the server
            led, own_ledger = _open_ledger(ledger)
            qname = queue_name(title, queue)
            data_for_ledger = [{c: _json_value(v) for c, v in zip(dcols, row, strict=True)}
                               for row in items[dcols].itertuples(index=False, name=None)]
            led.add_items(ids, data=data_for_ledger)
            led.create_queue(qname, kind=kind, project=title, settings={
                "project_id": pid, "class_names": names, "data_kind": data_kind,
                "column": column, "model_version": model_version})
            led.add_queue_items(qname, ids)
            led.set_state(f"labelstudio/{title}", {"project_id": pid, "url": cl.url,
                                                    "class_names": names})
            recorded = led.task_ids(project=title)
            server_tasks = set(on_server.values())
            stale = [i for i, t in recorded.items() if int(t) not in server_tasks]
            if stale:
                led.forget_tasks(title, stale)
                logger.info("%d recorded tasks are gone from project %r; they are pending "
                            "again", len(stale), title)
            wanted = set(ids)
            found = {i: t for i, t in on_server.items() if i in wanted}
            to_record = {i: t for i, t in found.items() if recorded.get(i) != t}
            if to_record:
                led.record_tasks(qname, to_record, project=title)
            report.skipped = [i for i in ids if i in found]
            report.task_ids.update(found)

            todo = [k for k, i in enumerate(ids) if i not in found]
            todo_ids = [ids[k] for k in todo]
            todo_tasks = [tasks_all[k] for k in todo]
            pusher = _Importer(cl, led, pid, title, qname, report, max_id)
            with progress_task(f"push to {title}", len(todo_ids), enabled=progress) as advance:
                for chunk_ids, chunk in _chunks(todo_tasks, todo_ids, int(chunk_size),
                                                int(max_chunk_bytes)):
                    try:
                        pusher.push(chunk_ids, chunk)
                    except LabelStudioConnectionError as exc:
                        done = set(report.task_ids) | set(report.failed)
                        report.failed.extend(i for i in todo_ids if i not in done)
                        report.seconds = time.perf_counter() - t0
                        err = LabelStudioConnectionError(
                            f"{exc} The push stopped after creating {report.n_created} of "
                            f"{len(todo_ids)} tasks (each recorded in the ledger); run the "
                            f"same push again to create the rest - tasks already there are "
                            f"skipped.")
                        err.report = report
                        raise err from None
                    advance(len(chunk_ids))
            pusher.wait_unconfirmed()
        report.seconds = time.perf_counter() - t0
        logger.info("%s", report)
        return report
    finally:
        if own_ledger:
            led.close()
        if own_client:
            cl.close()


def _resolve_project(cl: LabelStudioClient, project: str | int, *, config: str,
                     names: list[str], kind: str) -> dict:
    """The project to push to: found by id or title, or created (call under the ledger lock).

    After creating a project the titles are checked again: when another client created
    one with the same title meanwhile, the oldest one is kept and ours (still empty) is
    deleted.
    """
    info = cl.find_project(project)
    if info is None:
        if isinstance(project, int):
            raise LabelStudioProjectError(
                f"Label Studio at {cl.url} has no project with id {project}; pass a title "
                f"to create one.")
        title = str(project)
        info = cl.create_project(title, config, description=f"dataqa {kind} queue")
        same = sorted((p for p in cl.projects() if p.get("title") == title),
                      key=lambda p: int(p["id"]))
        if same and int(same[0]["id"]) != int(info["id"]):
            logger.info("project %r was created twice at once; keeping id %s", title,
                        same[0]["id"])
            cl.delete_project(int(info["id"]))
            info = cl.request("GET", f"/api/projects/{int(same[0]['id'])}")
        else:
            logger.info("created Label Studio project %r (id %s)", info["title"], info["id"])
            return info
    have = config_classes(info.get("label_config", ""))
    if have != names:
        raise LabelStudioProjectError(
            f"project {info['title']!r} (id {info['id']}) has classes {have!r}, not "
            f"{names!r}; use another project or the same class names in the same order.")
    return info


_ITEM_ERROR = re.compile(r"Error at item (\d+)")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Importer:
    """Imports chunks and records what the server made of them.

    A rejected chunk is not the end of its tasks: the tasks the server names
    (``Error at item k``) fail alone with its message and the rest is sent again; when
    the server names none, the chunk is split in halves, down to single tasks.
    """

    def __init__(self, cl, led, pid: int, title: str, qname: str, report: PushReport,
                 max_id: int) -> None:
        self.cl, self.led, self.pid, self.title, self.qname = cl, led, pid, title, qname
        self.report, self.max_id = report, max_id
        self.unconfirmed: list[str] = []

    def _record(self, chunk_ids: list[str]) -> list[str]:
        """Record the chunk's tasks now on the server; return the ids still missing."""
        new, _, new_max = _server_map(self.cl, self.pid, min_id=self.max_id)
        self.max_id = max(self.max_id, new_max)
        got = {i: new[i] for i in chunk_ids if i in new}
        if got:
            self.led.record_tasks(self.qname, got, project=self.title)
            self.report.task_ids.update(got)
            self.report.created.extend(i for i in chunk_ids if i in got)
        return [i for i in chunk_ids if i not in got]

    def _fail(self, ids: list[str], error: str) -> None:
        self.report.failed.extend(ids)
        what = f"item {ids[0]!r}" if len(ids) == 1 else f"{len(ids)} tasks ({format_ids(ids, 3)})"
        self.report.errors.append(f"{what}: {_short(error)}")

    def push(self, chunk_ids: list[str], chunk: list[dict]) -> None:
        error = None
        try:
            self.cl.import_tasks(self.pid, chunk)
        except (LabelStudioConnectionError, LabelStudioAuthError):
            raise
        except LabelStudioError as exc:  # the server rejected this chunk
            error = str(exc)
        missing = self._record(chunk_ids)
        if not missing:
            return
        if error is None:
            self.unconfirmed.extend(missing)
            return
        if len(missing) == 1:
            self._fail(missing, error)
            return
        pos = {i: k for k, i in enumerate(chunk_ids)}
        named = sorted({int(m) for m in _ITEM_ERROR.findall(error)
                        if int(m) < len(chunk_ids) and chunk_ids[int(m)] in set(missing)})
        if named:
            for k in named:
                self._fail([chunk_ids[k]], error)
            rest = [i for i in missing if pos[i] not in set(named)]
        else:
            rest = missing
            half = len(rest) // 2
            for part in (rest[:half], rest[half:]):
                self.push(part, [chunk[pos[i]] for i in part])
            return
        if rest:
            self.push(rest, [chunk[pos[i]] for i in rest])

    def wait_unconfirmed(self) -> None:
        """Wait for tasks of an asynchronous import to show up."""
        unconfirmed = self.unconfirmed
        deadline = time.monotonic() + max(30.0, self.cl.timeout)
        while unconfirmed and time.monotonic() < deadline:
            time.sleep(1.0)
            now_on, _, _ = _server_map(self.cl, self.pid)
            got = {i: now_on[i] for i in unconfirmed if i in now_on}
            if got:
                self.led.record_tasks(self.qname, got, project=self.title)
                self.report.task_ids.update(got)
                self.report.created.extend(got)
                unconfirmed = [i for i in unconfirmed if i not in got]
        if unconfirmed:
            self.report.failed.extend(unconfirmed)
            self.report.errors.append(
                f"{len(unconfirmed)} tasks were accepted but did not appear in the project "
                f"within the wait: {format_ids(unconfirmed, 3)}; push again later.")
        self.unconfirmed = []


# ---------------------------------------------------------------------------- pull

_PULL_COLUMNS = ["id", "label", "label_name", "annotator", "created_at", "updated_at",
                 "lead_time", "task_id", "annotation_id", "status"]
_SKIP_COLUMNS = ["id", "annotator", "task_id", "annotation_id", "created_at"]
_INVALID_COLUMNS = [*_SKIP_COLUMNS, "choice"]


def _external_id(project_id: int, task_id: int, annotation_id: int) -> str:
    return f"labelstudio:{project_id}:{task_id}:{annotation_id}"


#: Tasks changed up to this many seconds before the last pull's newest change are re-read.
_WATERMARK_MARGIN_S = 5.0


def _parse_time(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _server_time(text: str, *, minus_seconds: float = 0.0) -> str:
    """An ISO time as the Data Manager filter wants it (UTC, microseconds, ``Z``)."""
    from datetime import UTC, timedelta

    t = _parse_time(text).astimezone(UTC) - timedelta(seconds=minus_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _state_key(title: str) -> str:
    return f"labelstudio/{title}/pulled"


def _annotator(who: Any, users: Mapping[int, str]) -> str | None:
    if isinstance(who, Mapping):
        return who.get("email") or str(who.get("id"))
    return users.get(int(who), str(who)) if who is not None else None


def _read_task(t: Mapping[str, Any], known: set[str], names: list[str], fname: str,
               users: Mapping[int, str]) -> dict:
    """One exported task -> ``{"rows": [...], "s": [skipped], "e": [empty], "v": [invalid],
    "x": unmatched}``."""
    out: dict[str, Any] = {"rows": [], "s": [], "e": [], "v": [], "x": False}
    iid = (t.get("data") or {}).get("dataqa_id")
    if iid is None or str(iid) not in known:
        out["x"] = bool(t.get("annotations"))
        return out
    iid = str(iid)
    for a in t.get("annotations") or []:
        base = {"id": iid, "annotator": _annotator(a.get("completed_by"), users),
                "task_id": int(t["id"]), "annotation_id": int(a["id"]),
                "created_at": a.get("created_at")}
        if a.get("was_cancelled"):
            out["s"].append(base)
            continue
        choice = None
        for r in a.get("result") or []:
            if r.get("type") == "choices" and r.get("from_name", fname) == fname:
                ch = (r.get("value") or {}).get("choices") or []
                if ch:
                    choice = ch[0]
                    break
        if choice is None:
            out["e"].append(base)
            continue
        if choice not in names:  # reported and left out; the rest of the pull goes on
            out["v"].append({**base, "choice": str(choice)})
            continue
        out["rows"].append({**base, "label": names.index(choice), "label_name": choice,
                            "updated_at": a.get("updated_at"), "lead_time": a.get("lead_time")})
    return out


def pull_annotations(*, project: str | int, ledger: Any, url: str | None = None,
                     api_key: str | None = None, client: LabelStudioClient | None = None,
                     from_name: str | None = None, full: bool = False,
                     timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """Fetch every completed annotation of a project and record it in the ledger.

    Each annotation is stored as a ``human`` label of the task's item (matched through
    ``data.dataqa_id``) with the Label Studio annotation id as its external id: pulling
    twice adds nothing, and an annotation changed in the UI since the last pull updates
    its row instead of adding one.

    The first pull exports every annotated task. Later pulls ask the server for the tasks
    changed since the newest change the previous pull saw (a few seconds of margin) and
    export only those; the annotations of the other tasks are read back from the ledger
    (so an annotation deleted in Label Studio stays in the ledger). ``full=True``
    exports everything again.

    Parameters
    ----------
    project : str or int
        Project title or id.
    ledger : Ledger or path
    url, api_key : str, optional
        Default ``$LABEL_STUDIO_URL`` and ``$LABEL_STUDIO_API_KEY``.
    client : LabelStudioClient, optional
    from_name : str, optional
        The ``<Choices>`` to read when the config has several.
    full : bool
        Export every annotated task, not only those changed since the last pull.
    timeout : float
        Seconds to wait for one response (exports get 10x); ignored with ``client``.

    Returns
    -------
    DataFrame
        One row per completed annotation: ``id`` (item id), ``label`` (class index, in the
        order of the project's choices), ``label_name``, ``annotator`` (e-mail),
        ``created_at``, ``updated_at`` (ISO-8601 UTC), ``lead_time`` (seconds),
        ``task_id``, ``annotation_id`` and ``status`` (``new``, ``updated`` or
        ``unchanged`` relative to the ledger before the pull). ``df.attrs["report"]`` is
        a :class:`PullReport` with the skipped, empty and invalid annotations (a class
        that is not the project's) listed apart; invalid ones are not stored.

    Raises
    ------
    LedgerError
        The ledger file does not exist (nothing is created).
    LabelStudioConnectionError, LabelStudioAuthError, LabelStudioProjectError
        Raised before anything is written to the ledger.
    """
    t0 = time.perf_counter()
    ledger_path = _ledger_path(ledger, must_exist=True)
    cl, own_client = _client(client, url, api_key, timeout)
    try:
        with _ledger_lock(ledger_path):
            return _pull_locked(cl, project, ledger, from_name=from_name, full=full, t0=t0)
    finally:
        if own_client:
            cl.close()


def _pull_locked(cl: LabelStudioClient, project: str | int, ledger: Any, *,
                 from_name: str | None, full: bool, t0: float) -> pd.DataFrame:
    from dataqa.ledger import to_utc_iso

    led, own_ledger = _open_ledger(ledger)
    try:
        info = cl.get_project(project)
        pid, title = int(info["id"]), str(info["title"])
        names = config_classes(info.get("label_config", ""), from_name=from_name)
        fname = from_name or config_object(info["label_config"])[0]
        state = None if full else led.get_state(_state_key(title))
        if not state or state.get("project_id") != pid or not state.get("watermark"):
            state, changed = None, None
            exported = cl.export_annotated(pid)
        else:
            since = _server_time(state["watermark"], minus_seconds=_WATERMARK_MARGIN_S)
            listed = cl.list_tasks(pid, fields=("id", "updated_at"), updated_after=since)
            seen = state.get("tasks", {})
            changed = {int(t["id"]) for t in listed
                       if (seen.get(str(int(t["id"]))) or {}).get("u") != t.get("updated_at")}
            exported = cl.export_annotated(pid, sorted(changed)) if changed else []
        users = cl.users()
    except BaseException:
        if own_ledger:
            led.close()
        raise

    try:
        known = set(led.items()["id"])
        report = PullReport(project=title, project_id=pid)
        redone = {int(t["id"]) for t in exported} | (changed or set())
        tasks_state: dict[str, dict] = {} if state is None else {
            k: v for k, v in state.get("tasks", {}).items() if int(k) not in redone}
        rows: list[dict] = []
        stamps = [state["watermark"]] if state else []
        for t in exported:
            got = _read_task(t, known, names, fname, users)
            rows.extend(got["rows"])
            entry = {k: got[k] for k in ("s", "e", "v", "x") if got[k]}
            entry["u"] = t.get("updated_at")
            tasks_state[str(int(t["id"]))] = entry
            if t.get("updated_at"):
                stamps.append(t["updated_at"])
        skipped = [r for e in tasks_state.values() for r in e.get("s", [])]
        empty = [r for e in tasks_state.values() for r in e.get("e", [])]
        invalid = [r for e in tasks_state.values() for r in e.get("v", [])]
        report.unmatched_tasks = sorted(int(k) for k, e in tasks_state.items() if e.get("x"))
        reuse = state is not None  # rows of tasks not exported again come from the ledger

        # compare with what the ledger held before
        before = led.labels(source="human")
        prefix = f"labelstudio:{pid}:"
        before = before[before["external_id"].fillna("").str.startswith(prefix)]
        prior = {e: (lab, ann, upd, lt) for e, lab, ann, upd, lt in zip(
            before["external_id"], before["label"], before["annotator"], before["updated_at"],
            before["lead_time"], strict=True)}
        ext_rows = []
        for r in rows:
            ext = _external_id(pid, r["task_id"], r["annotation_id"])
            lt = None if r["lead_time"] is None else float(r["lead_time"])
            r["created_at"], r["updated_at"] = to_utc_iso(r["created_at"]), to_utc_iso(r["updated_at"])
            cur = (r["label"], r["annotator"], r["updated_at"], lt)
            old = prior.get(ext)
            if old is None:
                r["status"] = "new"
            else:
                old_lt = None if old[3] is None or (isinstance(old[3], float)
                                                    and math.isnan(old[3])) else float(old[3])
                r["status"] = "unchanged" if (old[0], old[1], old[2], old_lt) == cur else "updated"
            ext_rows.append({"item_id": r["id"], "label": r["label"], "source": "human",
                             "external_id": ext, "annotator": r["annotator"],
                             "created_at": r["created_at"], "updated_at": r["updated_at"],
                             "lead_time": lt})
        # annotations of unchanged tasks, as recorded by earlier pulls
        for ext, iid, lab, ann, created, upd, lt in zip(
                before["external_id"], before["id"], before["label"], before["annotator"],
                before["created_at"], before["updated_at"], before["lead_time"], strict=True):
            _, _, tid, aid = ext.split(":")
            if reuse and int(tid) not in redone:
                rows.append({"id": iid, "label": int(lab), "label_name": names[int(lab)],
                             "annotator": ann, "created_at": created, "updated_at": upd,
                             "lead_time": lt, "task_id": int(tid), "annotation_id": int(aid),
                             "status": "unchanged"})
        n_new, n_upd = led.upsert_external_labels(ext_rows) if ext_rows else (0, 0)
        report.n_annotations = len(rows)
        report.n_new, report.n_updated = n_new, n_upd
        report.n_unchanged = len(rows) - n_new - n_upd
        report.skipped = pd.DataFrame(skipped, columns=_SKIP_COLUMNS)
        report.empty = pd.DataFrame(empty, columns=_SKIP_COLUMNS)
        report.invalid = pd.DataFrame(invalid, columns=_INVALID_COLUMNS)
        for line in report.invalid_messages():
            logger.warning("%s", line)
        watermark = max(stamps, key=_parse_time) if stamps else None
        led.set_state(_state_key(title), {"project_id": pid, "watermark": watermark,
                                          "tasks": tasks_state})
        report.seconds = time.perf_counter() - t0
        df = pd.DataFrame(rows, columns=_PULL_COLUMNS)
        df["lead_time"] = pd.to_numeric(df["lead_time"], errors="coerce").astype(float)
        df = df.sort_values(["task_id", "annotation_id"], kind="mergesort").reset_index(drop=True)
        df.attrs["report"] = report
        logger.info("%s", report)
        return df
    finally:
        if own_ledger:
            led.close()
