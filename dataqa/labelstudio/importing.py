"""Chunked task import: what the server made of each chunk, rejected tasks, late tasks.

Tasks are matched to items through ``data.dataqa_id`` after each import, whatever the
import's answer said, so an import the server received but the caller never heard
about is found (and recorded) by the next listing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

from dataqa.errors import (
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioError,
    LabelStudioProjectError,
    format_ids,
)
from dataqa.labelstudio.client import LabelStudioClient
from dataqa.labelstudio.reports import PushReport

__all__ = ["DEFAULT_MAX_CHUNK_BYTES", "chunks", "server_map", "TaskImporter"]

#: Largest JSON body sent in one import request.
DEFAULT_MAX_CHUNK_BYTES = 8 * 1024 * 1024


def chunks(tasks: list[dict], ids: list[str], size: int, max_bytes: int
           ) -> Iterator[tuple[list[str], list[dict]]]:
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


def server_map(client: LabelStudioClient, project_id: int, *, min_id: int | None = None
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


_ITEM_ERROR = re.compile(r"Error at item (\d+)")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class TaskImporter:
    """Imports chunks and records what the server made of them.

    A rejected chunk is not the end of its tasks: the tasks the server names
    (``Error at item k``) fail alone with its message and the rest is sent again; when
    the server names none, the chunk is split in halves, down to single tasks.
    """

    def __init__(self, client: LabelStudioClient, ledger, project_id: int, project: str,
                 queue: str, report: PushReport, max_id: int) -> None:
        self.client, self.ledger = client, ledger
        self.project_id, self.project, self.queue = project_id, project, queue
        self.report, self.max_id, self.start_id = report, max_id, max_id
        self.unconfirmed: list[str] = []
        #: the task ids the server said each import of this push made, while it says so
        #: (an asynchronous import does not): ``None`` once one import did not
        self.own_tasks: set[int] | None = set()

    def _found(self, mapping: dict[str, int]) -> None:
        """Record tasks found on the server for these ids (created by this push)."""
        self.ledger.record_tasks(self.queue, mapping, project=self.project)
        self.report.task_ids.update(mapping)
        self.report.created.extend(mapping)

    def _record(self, chunk_ids: list[str]) -> list[str]:
        """Record the chunk's tasks now on the server; return the ids still missing."""
        new, _, new_max = server_map(self.client, self.project_id, min_id=self.max_id)
        self.max_id = max(self.max_id, new_max)
        got = {i: new[i] for i in chunk_ids if i in new}
        if got:
            self._found(got)
        return [i for i in chunk_ids if i not in got]

    def _fail(self, ids: list[str], error: str) -> None:
        self.report.failed.extend(ids)
        what = f"item {ids[0]!r}" if len(ids) == 1 else f"{len(ids)} tasks ({format_ids(ids, 3)})"
        self.report.errors.append(f"{what}: {_short(error)}")

    def push(self, chunk_ids: list[str], chunk: list[dict]) -> None:
        """Import one chunk; retry what the server rejected apart (see the class doc).

        Raises
        ------
        LabelStudioConnectionError, LabelStudioAuthError
            The server went away or refused the key; what was recorded stays recorded.
        """
        error = None
        try:
            answer = self.client.import_tasks(self.project_id, chunk)
        except (LabelStudioConnectionError, LabelStudioAuthError):
            self.own_tasks = None  # (it may have made tasks nobody heard about)
            raise
        except LabelStudioError as exc:  # the server rejected this chunk
            error = str(exc)
            self.own_tasks = None  # (a failure after the tasks were made names none)
        else:
            self._note_own(answer, len(chunk))
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

    def _note_own(self, answer, n_sent: int) -> None:
        """Keep the ids of the tasks an import made, where its answer names them all."""
        ids = answer.get("task_ids") if isinstance(answer, dict) else None
        if self.own_tasks is None or not isinstance(ids, list) or len(ids) != n_sent:
            self.own_tasks = None
            return
        try:
            self.own_tasks.update(int(t) for t in ids)
        except (TypeError, ValueError):
            self.own_tasks = None

    def wait_unconfirmed(self) -> None:
        """Wait for tasks of an asynchronous import to show up; those that do not fail."""
        unconfirmed = self.unconfirmed
        deadline = time.monotonic() + max(30.0, self.client.timeout)
        while unconfirmed and time.monotonic() < deadline:
            time.sleep(1.0)
            now_on, _, _ = server_map(self.client, self.project_id)
            got = {i: now_on[i] for i in unconfirmed if i in now_on}
            if got:
                self._found(got)
                unconfirmed = [i for i in unconfirmed if i not in got]
        if unconfirmed:
            self.report.failed.extend(unconfirmed)
            self.report.errors.append(
                f"{len(unconfirmed)} tasks were accepted but did not appear in the project "
                f"within the wait: {format_ids(unconfirmed, 3)}; push again later.")
        self.unconfirmed = []

    def _delete_unanswered(self, task_id: int) -> bool:
        """Delete a task unless it holds an answer or a draft now (read again just
        before: the listing is seconds old); False when it stays."""
        try:
            task = self.client.request("GET", f"/api/tasks/{int(task_id)}")
        except LabelStudioProjectError:  # (the other push deleted it meanwhile)
            return True
        except (LabelStudioConnectionError, LabelStudioAuthError):
            raise
        except LabelStudioError:  # (a server error after its tries): the task stays
            return False
        # ("drafts" lists the key's own drafts only; "draft_exists" counts everyone's)
        if (task.get("annotations") or task.get("drafts") or task.get("draft_exists")
                or int(task.get("total_annotations") or 0)
                or int(task.get("cancelled_annotations") or 0)):
            return False
        try:
            self.client.delete_tasks([task_id])
        except LabelStudioProjectError:
            pass
        except LabelStudioError:  # (a server error after its tries): the task stays
            return False
        return True

    def settle_races(self) -> None:
        """One task per item where another push created tasks of the same items in this
        project at the same moment (a push's lock is its own ledger's, so two ledgers can
        push at once): of the tasks made since this push listed the project, the oldest of
        each item stays and the later ones are deleted when nobody answered them yet. The
        other push does the same, so both keep the same task; the ledger records it.
        The items are in ``report.raced``; those whose kept task is the other push's
        count as already there (``report.skipped``), not as created, so the two reports
        together count each task once (from the task ids the server's import answers
        with, as Label Studio's does for an import it runs at once; without them, as
        after an import the server rejected in part, both reports count such items).
        A later task answered (or drafted) by then stays (``report.duplicates``). An item is its ``dataqa_id`` in a project, as a
        pull matches answers by it. The listing assumes a server shows tasks in the
        order of their ids (SQLite does; with PostgreSQL a bulk insert may show late, and
        the two pushes may then keep different tasks: the next push of each ledger
        records the one that stayed)."""
        created = set(self.report.created)
        if not created:
            return
        tasks = self.client.list_tasks(
            self.project_id, min_id=self.start_id,
            fields=("id", "data", "total_annotations", "cancelled_annotations", "draft_exists"))
        by_item: dict[str, list[tuple[int, int]]] = {}
        for t in tasks:
            iid = (t.get("data") or {}).get("dataqa_id")
            if iid is not None and str(iid) in created:
                answered = int(t.get("total_annotations") or 0) + int(
                    t.get("cancelled_annotations") or 0) + bool(t.get("draft_exists"))
                by_item.setdefault(str(iid), []).append((int(t["id"]), answered))
        own = self.own_tasks
        keep: dict[str, int] = {}
        raced: list[str] = []
        for iid, found in sorted(by_item.items()):
            found.sort()
            keep[iid] = found[0][0]  # (an only task is the one to record, whoever made it)
            if len(found) < 2:
                continue
            raced.append(iid)
            for task_id, answered in found[1:]:
                if answered or not self._delete_unanswered(task_id):
                    self.report.duplicates.append(iid)
        changed = {i: t for i, t in keep.items() if self.report.task_ids.get(i) != t}
        if changed:
            self.ledger.record_tasks(self.queue, changed, project=self.project)
            self.report.task_ids.update(changed)
        # an item whose kept task is another push's was not created by this one: it is
        # already there (so two racing reports count each task once)
        others = ({i for i, t in keep.items() if t not in own} if own is not None
                  else set())
        if others:
            self.report.created = [i for i in self.report.created if i not in others]
            self.report.skipped.extend(sorted(others))
        self.report.raced = raced
        self.report.duplicates = sorted(set(self.report.duplicates))
