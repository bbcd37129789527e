"""Push a queue of items to Label Studio, through the ledger, in named steps.

Every task carries ``data.dataqa_id``, the item's id. That is how a task is matched to
its item, whatever the server's import returned, and how a push that was interrupted
finds the tasks it already created: before importing, :func:`push_queue` lists the
project's tasks (ids and data only, one request per 5,000 tasks) and skips every id that
is already there. Pushing the same ids again therefore creates nothing, and a push that
failed part way, run again, ends with each id exactly once.

The steps, in order:

1. :func:`_check_items`: the items and settings, before anything else;
2. :func:`_plan_tasks`: the layout, the ledger path, and every task built and checked
   before any request;
3. :func:`~dataqa.labelstudio.project_setup.resolve_project`: the project found or
   created (under the ledger lock, as are the steps below);
4. :func:`_start_report`: rows without their text or image already failed;
5. :func:`_record_queue`: items, queue and project state in the ledger;
6. :func:`_reconcile`: the ledger's task ids made the server's;
7. :func:`_import_missing`: chunked import, rejected tasks retried apart, late tasks
   waited for.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa._progress import progress_task
from dataqa.errors import (
    DuplicateIdError,
    EmptyDataError,
    InvalidSettingError,
    LabelStudioConnectionError,
    MissingColumnError,
    PushInterrupted,
    UnknownNameError,
    format_ids,
)
from dataqa.labelstudio.client import DEFAULT_TIMEOUT, LabelStudioClient, client_session
from dataqa.labelstudio.config import config_classes, config_object, label_config
from dataqa.labelstudio.importing import (
    DEFAULT_MAX_CHUNK_BYTES,
    TaskImporter,
    chunks,
    server_map,
)
from dataqa.labelstudio.ledger_state import (
    check_item_content,
    check_ledger_path,
    ledger_lock,
    open_ledger,
    queue_columns_key,
    queue_name,
    record_item_data,
    record_project_state,
)
from dataqa.labelstudio.project_setup import (
    adopt_tag_names,
    check_data_fields,
    check_known_project,
    check_pulled_classes,
    ensure_local_storage,
    ensure_view,
    instructions,
    resolve_project,
    update_instructions,
)
from dataqa.labelstudio.reports import PushReport
from dataqa.labelstudio.tasks import (
    DEFAULT_PRETICK,
    PRETICKS,
    build_tasks,
    json_value,
    model_version_for,
    priority_order,
    resolve_layout,
)
from dataqa.types import QUEUE_KINDS

__all__ = ["push_queue"]

logger = logging.getLogger(__name__)


@dataclass
class _Plan:
    """What a push will send: the tasks, built and checked, and how they were built."""

    ids: list[str]            # ids of the rows that will be sent, highest priority first
    items: pd.DataFrame       # those rows, in that order
    tasks: list[dict]         # one task per id
    missing: list[str]        # ids of rows without their text / image (not sent)
    class_names: list[str]
    kind: str
    queue: str
    data_kind: str
    column: str
    shown_columns: list[str]  # columns stored in the ledger as the item's data
    config: str
    model_version: str        # what the pre-annotation is ("" when there is none)
    pretick: str              # none, given or suggested
    ledger_path: str | None   # the ledger file (None: in memory)
    local_root: Path | None = None  # the folder Label Studio serves local images from

    def data_fields(self) -> list[str]:
        """The task data fields (for the data-manager view's columns)."""
        return sorted({k for t in self.tasks for k in t["data"]})


# ---------------------------------------------------------------------------- the steps

#: Column names of the audit's own tables (``issues.csv``) and what a push reads them as.
AUDIT_COLUMN_ALIASES = {"given_label": "label", "suggested_label": "prediction",
                        "label_issue_score": "score"}


def _audit_aliases(items: pd.DataFrame) -> pd.DataFrame:
    """``items`` with the audit's column names read as a push's (``given_label`` ->
    ``label``, ``suggested_label`` -> ``prediction``, ``label_issue_score`` -> ``score``),
    each only where the push's own name is absent."""
    rename = {a: b for a, b in AUDIT_COLUMN_ALIASES.items()
              if a in items.columns and b not in items.columns}
    if not rename:
        return items
    out = items.rename(columns=rename)
    out.attrs["dataqa_column_names"] = {b: a for a, b in rename.items()}
    return out


def _check_items(items: Any, *, project: str | int, queue: str, kind: str | None,
                 chunk_size: int, max_chunk_bytes: int,
                 pretick: str | None = None,
                 given_columns: Sequence[str] | None = None) -> tuple[str, str]:
    """Check the items and the settings; return the queue kind and the pretick.

    ``given_columns``: the columns as the caller named them (before the audit's names
    were read as a push's), for messages."""
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
    ids = items["id"].astype(str)
    if not ids.is_unique:
        repeated = ids[ids.duplicated()].unique()
        raise DuplicateIdError(f"item ids repeat in items: {format_ids(repeated)}; push each once.")
    kind = kind or queue
    if kind not in QUEUE_KINDS:
        raise UnknownNameError("queue kind", kind, QUEUE_KINDS)
    if not isinstance(queue, str) or not queue:
        raise InvalidSettingError(f"queue {queue!r} must be a non-empty string.")
    if kind == "review" and "label" not in items.columns:
        err = MissingColumnError("label", list(items.columns),
                                 role="given-label column (needed by review queues)")
        err.args = (
            f"a review queue needs the given label in a column named 'label' (or "
            f"'given_label', as `dataqa audit` writes it); the table has: "
            f"{', '.join(map(str, list(given_columns or items.columns)[:20]))}. Rename that column to 'label' "
            f"(on the command line: --columns with new names in order).",)
        raise err
    if pretick is not None and pretick not in PRETICKS:
        raise UnknownNameError("pretick", pretick, PRETICKS)
    if kind == "verify" and pretick not in (None, "none"):
        raise InvalidSettingError(
            f"pretick={pretick!r} would show a label in the blind 'verify' queue (reviewers "
            f"shown a label confirm it more often, biasing the error rate low); leave pretick "
            f"out or pass 'none'.")
    need = {"given": ("label", "given-label column (needed by pretick='given')"),
            "suggested": ("prediction", "prediction column (needed by pretick='suggested')")}
    if pretick in need and need[pretick][0] not in items.columns:
        raise MissingColumnError(need[pretick][0], list(items.columns), role=need[pretick][1])
    if int(chunk_size) < 1:
        raise InvalidSettingError(f"chunk_size must be >= 1, not {chunk_size!r}.")
    if int(max_chunk_bytes) < 1024:
        raise InvalidSettingError(f"max_chunk_bytes must be >= 1024, not {max_chunk_bytes!r}.")
    return kind, pretick or DEFAULT_PRETICK[kind]


def _plan_tasks(items: pd.DataFrame, *, class_names: Sequence[str], kind: str, queue: str,
                data_kind: str | None, column: str | None,
                data_columns: Sequence[str] | None, meta_columns: Sequence[str],
                model_version: str | None, local_files_root: str | os.PathLike | None,
                ledger: Any, pretick: str = "none", model_name: str | None = None) -> _Plan:
    """Check the layout and the ledger path, build every task (raising on any bad value),
    highest priority first, and set aside rows without their text or image."""
    names = list(class_names) if not isinstance(class_names, str) else class_names
    data_kind, column, shown = resolve_layout(items, data_kind, column, data_columns,
                                              meta_columns)
    config = label_config(names, data_kind=data_kind, column=column)
    model_version = model_version or model_version_for(kind, pretick, model_name)
    root = None if local_files_root is None else Path(local_files_root)
    ledger_path = check_ledger_path(ledger, must_exist=False)
    from_name, to_name = config_object(config)
    tasks = build_tasks(items, class_names=names, kind=kind, queue=queue, data_kind=data_kind,
                        column=column, data_columns=shown, meta_columns=meta_columns,
                        model_version=model_version, to_name=to_name, from_name=from_name,
                        pretick=pretick, local_files_root=root)
    ids = items["id"].astype(str).tolist()
    # rows without their text / image: the server would reject their whole chunk (a blank
    # one would reach the annotator as an empty task)
    bad = [] if data_kind == "table" else [
        k for k, t in enumerate(tasks) if t["data"].get(column) is None
        or (isinstance(t["data"][column], str) and not t["data"][column].strip())]
    missing = [ids[k] for k in bad]
    if bad:
        if len(bad) == len(ids):
            raise EmptyDataError(
                f"every item has a missing or blank {column!r} ({format_ids(missing, 3)}), so there is "
                f"nothing to push; fill column {column!r}.")
        keep = np.ones(len(ids), dtype=bool)
        keep[bad] = False
        items = items[keep]
        ids = [i for i, k in zip(ids, keep, strict=True) if k]
        tasks = [t for t, k in zip(tasks, keep, strict=True) if k]
        # (said once, by the report's errors: a logged warning printed it a second time)
        logger.info("%d items have a missing or blank %r and are not pushed: %s",
                    len(missing), column, format_ids(missing))
    # highest priority first (built and checked in input order, so errors and the
    # missing ids follow the input rows)
    # (verify: the input order, as the score is not shown there either)
    order = priority_order(items) if kind != "verify" else np.arange(len(items))
    items = items.iloc[order]
    tasks = [tasks[k] for k in order]
    ids = [ids[k] for k in order]
    return _Plan(ids=ids, items=items, tasks=tasks, missing=missing, class_names=names,
                 kind=kind, queue=queue, data_kind=data_kind, column=column,
                 shown_columns=shown, config=config, model_version=model_version,
                 pretick=pretick, ledger_path=ledger_path, local_root=root)


def _notes(plan: _Plan) -> list[str]:
    """What the tasks will lack because a column is absent (said, not refused)."""
    cols = set(plan.items.columns)
    notes = []
    if plan.pretick == "suggested" and "prediction" not in cols:
        what = "weak label" if plan.kind == "spot_check" else "model's guess"
        notes.append(f"the items have no 'prediction' column (the {what}), so nothing is "
                     f"pre-selected and the line above the choices names no label.")
    if plan.kind == "review" and plan.data_kind == "table":
        notes.append(f"the items have no 'text' or 'image' column, so reviewers see a table "
                     f"of {', '.join(map(repr, plan.shown_columns[:8]))}; to show the items "
                     f"themselves, add their text (`dataqa ls push --from AUDIT_DIR` and "
                     f"AuditResult.review_queue() have it).")
    if plan.kind != "verify" and "score" not in cols:
        notes.append("the items have no 'score' column, so the tasks have no priority: "
                     "they are created in the table's order.")
    return notes


def _start_report(plan: _Plan, *, project: str, project_id: int) -> PushReport:
    """A report with the rows set aside for a missing text or image already failed, and
    the notes on what the tasks lack."""
    report = PushReport(project=project, project_id=project_id, queue=plan.queue,
                        notes=_notes(plan))
    if plan.missing:
        report.failed.extend(plan.missing)
        report.errors.append(
            f"{len(plan.missing)} items have a missing or blank {plan.column!r} and were not sent "
            f"({format_ids(plan.missing, 5)}); fill column {plan.column!r} and push again.")
    return report


#: The columns of a push's items that shape its tasks besides the shown data.
TASK_COLUMNS = ("label", "prediction", "probability", "score")


def _shown_data(plan: _Plan) -> list[dict]:
    """Each item's shown data, as the ledger stores it."""
    return [{c: json_value(v) for c, v in zip(plan.shown_columns, row, strict=True)}
            for row in plan.items[plan.shown_columns].itertuples(index=False, name=None)]


def _record_queue(ledger: Any, plan: _Plan, *, project: str, project_id: int,
                  url: str, created_at: str | None) -> str:
    """Record the items, the queue and the project's state in the ledger; return the
    ledger queue's name."""
    qname = queue_name(project, plan.queue)
    record_item_data(ledger, plan.ids, _shown_data(plan))
    ledger.create_queue(qname, kind=plan.kind, project=project, settings={
        "project_id": project_id, "class_names": plan.class_names, "data_kind": plan.data_kind,
        "column": plan.column, "model_version": plan.model_version, "pretick": plan.pretick})
    ledger.add_queue_items(qname, plan.ids)
    # kept for a push from the ledger, which has only the shown data: each item's
    # columns as this push had them (none: an entry of an earlier push is dropped)
    used = [c for c in TASK_COLUMNS if c in plan.items.columns]
    key = queue_columns_key(qname)
    kept = ledger.get_state(key) or {}
    before = len(kept)
    if used:
        for i, row in zip(plan.ids, plan.items[used].itertuples(index=False, name=None),
                          strict=True):
            kept[i] = {c: json_value(v) for c, v in zip(used, row, strict=True)}
    else:
        for i in plan.ids:
            kept.pop(i, None)
    if used or len(kept) != before:
        ledger.set_state(key, kept)
    record_project_state(ledger, project, project_id=project_id, url=url,
                         class_names=plan.class_names, created_at=created_at)
    return qname


def _reconcile(ledger: Any, *, project: str, qname: str, ids: list[str],
               on_server: dict[str, int]) -> dict[str, int]:
    """Make the ledger's task ids the server's truth; return ``{id: task id}`` of the ids
    already on the server.

    Recorded tasks that are gone from the server are forgotten (their items are pending
    again); tasks found on the server and not recorded (an interrupted push) are recorded.
    """
    recorded = ledger.task_ids(project=project)
    server_tasks = set(on_server.values())
    stale = [i for i, t in recorded.items() if int(t) not in server_tasks]
    if stale:
        ledger.forget_tasks(project, stale)
        logger.info("%d recorded tasks are gone from project %r; they are pending again",
                    len(stale), project)
    wanted = set(ids)
    found = {i: t for i, t in on_server.items() if i in wanted}
    to_record = {i: t for i, t in found.items() if recorded.get(i) != t}
    if to_record:
        ledger.record_tasks(qname, to_record, project=project)
    return found


def _import_missing(importer: TaskImporter, plan: _Plan, found: dict[str, int], *,
                    chunk_size: int, max_chunk_bytes: int, progress: bool | None,
                    t0: float) -> None:
    """Import the tasks of ids not on the server yet, chunk by chunk, then wait for late ones.

    Raises
    ------
    PushInterrupted
        The server went away part way; its ``report`` is the partial report.
    """
    report = importer.report
    todo = [k for k, i in enumerate(plan.ids) if i not in found]
    todo_ids = [plan.ids[k] for k in todo]
    todo_tasks = [plan.tasks[k] for k in todo]
    with progress_task(f"push to {importer.project}", len(todo_ids),
                       enabled=progress) as advance:
        for chunk_ids, chunk in chunks(todo_tasks, todo_ids, chunk_size, max_chunk_bytes):
            try:
                importer.push(chunk_ids, chunk)
            except LabelStudioConnectionError as exc:
                done = set(report.task_ids) | set(report.failed)
                report.failed.extend(i for i in todo_ids if i not in done)
                report.seconds = time.perf_counter() - t0
                raise PushInterrupted(
                    f"{exc} The push stopped with {report.n_created} of {len(todo_ids)} "
                    f"tasks confirmed and recorded in the ledger (the server may hold more, "
                    f"from the chunk it was sent last); run the same push again to create "
                    f"the rest: tasks already on the server are found and recorded, not "
                    f"created twice.", report) from None
            except KeyboardInterrupt as exc:  # Ctrl-C: say what is safe, then stop
                exc.dataqa_note = _interrupted_note(importer.project, report.n_created,
                                                    len(todo_ids))
                raise
            advance(len(chunk_ids))
    try:
        importer.wait_unconfirmed()
    except KeyboardInterrupt as exc:
        exc.dataqa_note = _interrupted_note(importer.project, report.n_created, len(todo_ids))
        raise


def _interrupted_note(project, n_created: int, n_todo: int) -> str:
    return (f"the push to {project!r} was interrupted with {n_created} of {n_todo} tasks "
            f"confirmed and recorded in the ledger (the server may hold more, from the chunk "
            f"it was sent last); run the same command again to create the rest: tasks "
            f"already on the server are found and recorded, not created twice.")


def _present(client: LabelStudioClient, ledger: Any, plan: _Plan, *, project: str,
             project_id: int) -> None:
    """The project's default data-manager view (sorted by priority) and its instructions
    (one section per queue pushed to it, from the ledger)."""
    ensure_view(client, project_id, plan.kind, plan.data_fields())
    queues = ledger.queues()
    queues = queues[queues["project"] == project]
    sections = []
    for row in queues.itertuples(index=False):
        settings = row.settings if isinstance(row.settings, dict) else {}
        kind = str(row.kind)
        pre = settings.get("pretick") or DEFAULT_PRETICK.get(kind, "none")
        name = str(row.name)
        name = name[len(project) + 1:] if name.startswith(project + "/") else name
        sections.append((kind, name, pre, int(row.n_items)))
    update_instructions(client, project_id, instructions(sections, plan.class_names))


# ---------------------------------------------------------------------------- push

def push_queue(items: pd.DataFrame, *, project: str | int, class_names: Sequence[str],
               ledger: Any, queue: str, kind: str | None = None, url: str | None = None,
               api_key: str | None = None, chunk_size: int = 500,
               data_kind: str | None = None, column: str | None = None,
               data_columns: Sequence[str] | None = None, meta_columns: Sequence[str] = (),
               model_version: str | None = None, local_files_root: str | os.PathLike | None = None,
               max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
               client: LabelStudioClient | None = None,
               progress: bool | None = None, timeout: float = DEFAULT_TIMEOUT,
               pretick: str | None = None, model_name: str | None = None) -> PushReport:
    """Send a queue of items to a Label Studio project, once each.

    Parameters
    ----------
    items : DataFrame (n rows, n >= 1)
        Column ``id`` (unique item ids) and the data: ``text`` (text), ``image`` (URL or
        local path) or any columns (shown as a table). Optional: ``prediction`` (class
        index or name: the model's guess in ``active`` and ``review`` queues, the weak
        label in ``spot_check`` queues), ``probability`` (the model's probability of the
        ``prediction`` class, in [0, 1]; the pre-annotation's ``score`` when the
        pre-annotation is that guess), ``label`` (the given label; required in ``review``
        queues), ``score`` (acquisition or issue score, higher = label first; the task's
        ``data.priority``, never the pre-annotation's score) and the ``meta_columns``.
        The audit's own names are read as these where these are absent:
        ``given_label`` as ``label``, ``suggested_label`` as ``prediction`` and
        ``label_issue_score`` as ``score`` (so the ``issues.csv`` of ``dataqa audit``
        pushes as a review queue as it is).
        A ``verify`` queue shows neither ``label``, ``prediction`` nor ``score`` (nor puts
        them in the task) even when they are there, and keeps the input order. Rows whose text or image is missing are not
        sent: they are reported in ``failed`` / ``errors`` by id and the other rows go
        through.
    project : str or int
        Project title (created when missing, with a config from ``class_names``) or id.
    class_names : sequence of str (K,)
        Class names in class order; must match the project's choices when it exists.
    ledger : Ledger or path
        Items, the queue and the task ids are recorded there. A path that does not exist
        is created once the project is found or made (never when the server cannot be
        reached or the project is refused).
    queue : str
        Queue name; one of ``review``, ``active``, ``spot_check``, ``verify`` unless
        ``kind`` is given. The ledger queue is ``"<project title>/<queue>"``.
    kind : {"review", "active", "spot_check", "verify"}, optional
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
        What the pre-annotation is, as Label Studio shows it. Default:
        ``"model-<model_name>"`` for a model's guess, ``"weak-label"`` for the weak
        label of a spot check, ``"given-label"`` for the given label.
    pretick : {"none", "given", "suggested"}, optional
        What is pre-selected: nothing, the given ``label`` or the ``prediction``.
        Default: ``"suggested"`` in ``active`` and ``spot_check`` queues, ``"none"`` in
        ``review`` queues (the reviewer decides; the header shows both labels) and
        ``verify`` queues (which accept nothing else).
    model_name : str, optional
        The model's name in ``model_version`` (default ``"classifier"``).
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
        ``timeout`` or refuses the key.
    PushInterrupted
        The connection failed part way (a :class:`LabelStudioConnectionError`): the
        message says how many tasks were created and the partial :class:`PushReport`
        is its ``report``; run the same push again to finish it.
    LabelStudioProjectError
        The project exists with other classes, or the server rejected the config.
    DuplicateIdError
        Ids the ledger holds with other content (nothing is sent; see
        :func:`~dataqa.labelstudio.ledger_state.check_item_content`).

    Notes
    -----
    Tasks are created highest ``score`` first (rows without a score last, ties in
    input order), so task ids, the project's default data-manager view (sorted by
    ``data.priority``) and "Label All Tasks" serve the highest-priority item first; a
    push that adds items creates the new ones in that order after the old ones. Every
    task's ``data.context`` is the line shown above the choices. A project created here
    gets a description, instructions for each queue pushed to it (refreshed on every
    push) and the view.

    Pushes and pulls through one ledger run one at a time (a lock file
    ``<ledger>.lock`` beside it): two pushes started at once to a new title make one
    project, and the second finds the first one's tasks and skips them. When a chunk is
    rejected by the server, the tasks it names (or, failing that, halves of the chunk)
    are retried apart, so one bad task does not hold back the rest.
    """
    t0 = time.perf_counter()
    given_columns = None
    if isinstance(items, pd.DataFrame):
        given_columns = list(items.columns)
        items = _audit_aliases(items)
    kind, pretick = _check_items(items, project=project, queue=queue, kind=kind,
                                 chunk_size=chunk_size, max_chunk_bytes=max_chunk_bytes,
                                 pretick=pretick, given_columns=given_columns)
    plan = _plan_tasks(items, class_names=class_names, kind=kind, queue=queue,
                       data_kind=data_kind, column=column, data_columns=data_columns,
                       meta_columns=meta_columns, model_version=model_version,
                       local_files_root=local_files_root, ledger=ledger, pretick=pretick,
                       model_name=model_name)
    if isinstance(project, str) and len(project) < 3 and not project.strip().isdigit():
        # as the server would refuse to create it, before any file (the lock) is made
        raise InvalidSettingError(
            f"project title {project!r} is too short; Label Studio needs 3 characters or more.")
    # the server is checked before anything is written
    try:
        report = _push_to_server(plan, project, client=client, url=url, api_key=api_key,
                                 timeout=timeout, kind=kind, queue=queue,
                                 chunk_size=chunk_size, max_chunk_bytes=max_chunk_bytes,
                                 progress=progress, t0=t0, ledger=ledger)
    except KeyboardInterrupt as exc:  # Ctrl-C outside the import (before or after): said too
        if getattr(exc, "dataqa_note", None) is None:
            exc.dataqa_note = (  # type: ignore[attr-defined]
                f"the push to {project!r} was interrupted before it finished; nothing is "
                f"lost: run the same command again (tasks already on the server are found "
                f"and recorded, not created twice).")
        raise
    report.seconds = time.perf_counter() - t0
    logger.info("%s", report)
    return report


def _push_to_server(plan: _Plan, project, *, client, url, api_key, timeout, kind, queue,
                    chunk_size, max_chunk_bytes, progress, t0, ledger) -> PushReport:
    """The server steps of :func:`push_queue`: find or create the project, record the
    queue, reconcile with the server, import the missing tasks, present the project."""
    with client_session(client, url, api_key, timeout=timeout) as server:
        with ledger_lock(plan.ledger_path):
            check_known_project(server, ledger, plan.ledger_path, project)
            check_item_content(ledger, plan.ids, _shown_data(plan),  # (paths: any style)
                               skip=[plan.column] if plan.data_kind == "image" else [])
            info = resolve_project(server, project, config=plan.config,
                                    names=plan.class_names, kind=kind, queue=queue)
            check_data_fields(info, plan.data_fields())
            ensure_local_storage(server, info, plan.tasks, plan.column, plan.local_root)
            adopt_tag_names(plan.tasks, plan.config, info["label_config"])
            # classes added after the given ones in Label Studio are the project's classes
            # (the given ones keep their positions)
            plan.class_names = config_classes(info["label_config"])
            check_pulled_classes(ledger, plan.ledger_path, info, server.url, plan.class_names)
            project_id, title = int(info["id"]), str(info["title"])
            report = _start_report(plan, project=title, project_id=project_id)
            on_server, duplicates, max_id = server_map(server, project_id)
            wanted = set(plan.ids)
            report.duplicates = [i for i in duplicates if i in wanted]
            with open_ledger(ledger) as ledger_db:
                qname = _record_queue(ledger_db, plan, project=title, project_id=project_id,
                                      url=server.url, created_at=info.get("created_at"))
                found = _reconcile(ledger_db, project=title, qname=qname, ids=plan.ids,
                                   on_server=on_server)
                held = set(ledger_db.items()["id"])
                report.foreign = sorted((i for i in on_server if i not in held),
                                        key=on_server.__getitem__)  # in task order
                report.skipped = [i for i in plan.ids if i in found]
                report.task_ids.update(found)
                importer = TaskImporter(server, ledger_db, project_id, title, qname, report,
                                        max_id)
                _import_missing(importer, plan, found, chunk_size=int(chunk_size),
                                max_chunk_bytes=int(max_chunk_bytes), progress=progress, t0=t0)
                importer.settle_races()
                _present(server, ledger_db, plan, project=title, project_id=project_id)
    return report
