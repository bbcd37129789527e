"""The ledger's ``tasks`` table: which Label Studio task holds each queued item.

A part of :class:`dataqa.ledger.Ledger` (its ``record_tasks``, ``task_ids``,
``pending_items`` and ``forget_tasks``), kept beside the Label Studio code it serves. It
imports nothing else from :mod:`dataqa.labelstudio`, so opening a ledger stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dataqa.errors import InvalidSettingError, LedgerError, format_ids
from dataqa.ledger.codec import as_ids, python_scalar, utc_now
from dataqa.ledger.queues import find_queue
from dataqa.ledger.store import Store

__all__ = ["TaskTable"]


class TaskTable:
    """External task ids of one ledger (see :meth:`dataqa.ledger.Ledger.record_tasks`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, queue: str, mapping: Mapping[Any, Any], *, project: str) -> int:
        """Record ``{item_id: task_id}`` of queued items in ``project``; returns rows changed."""
        if project is None or str(project) == "":
            raise InvalidSettingError("project must be given to record task ids.")
        project = str(project)
        pairs = [(str(k), python_scalar(v)) for k, v in mapping.items()]
        for item, task in pairs:
            if task is None:
                raise InvalidSettingError(f"task id for item {item!r} is missing.")
        with self._store.write() as conn:
            queue_id, _, queue_project = find_queue(conn, queue)
            if queue_project is None:
                conn.execute("UPDATE queues SET project = ? WHERE id = ?", (project, queue_id))
            queued = {r[0] for r in conn.execute(
                "SELECT item_id FROM queue_items WHERE queue_id = ?", (queue_id,))}
            outside = [i for i, _ in pairs if i not in queued]
            if outside:
                raise LedgerError(
                    f"{len(outside)} item(s) are not in queue {queue!r}: {format_ids(outside)}; "
                    f"add them with add_queue_items(...) first.")
            changed = 0
            now = utc_now()
            for item, task in pairs:
                old = conn.execute("SELECT task_id FROM tasks WHERE project = ? AND item_id = ?",
                                   (project, item)).fetchone()
                if old is None:
                    conn.execute("INSERT INTO tasks (project, item_id, task_id, queue_id, "
                                 "created_at) VALUES (?, ?, ?, ?, ?)",
                                 (project, item, task, queue_id, now))
                    changed += 1
                elif old[0] != task:
                    conn.execute("UPDATE tasks SET task_id = ?, queue_id = ?, created_at = ? "
                                 "WHERE project = ? AND item_id = ?",
                                 (task, queue_id, now, project, item))
                    changed += 1
            return changed

    def forget(self, project: str, item_ids: Iterable[Any] | None = None) -> int:
        """Drop recorded task ids in ``project`` (all, or those of ``item_ids``)."""
        with self._store.write() as conn:
            if item_ids is None:
                cur = conn.execute("DELETE FROM tasks WHERE project = ?", (str(project),))
                return cur.rowcount
            n = 0
            for i in as_ids(item_ids):
                n += conn.execute("DELETE FROM tasks WHERE project = ? AND item_id = ?",
                                  (str(project), i)).rowcount
            return n

    def ids(self, project: str | None = None, queue: str | None = None) -> dict[str, Any]:
        """``{item_id: task_id}`` of recorded tasks, filtered by project and/or queue."""
        sql = "SELECT t.item_id, t.task_id FROM tasks t"
        where, params = [], []
        with self._store.reading() as conn:
            if queue is not None:
                queue_id, _, _ = find_queue(conn, queue)
                where.append("t.queue_id = ?")
                params.append(queue_id)
            if project is not None:
                where.append("t.project = ?")
                params.append(str(project))
            if where:
                sql += " WHERE " + " AND ".join(where)
            rows = conn.execute(sql + " ORDER BY t.created_at, t.rowid", params).fetchall()
        return dict(rows)

    def pending(self, queue: str) -> list[str]:
        """Queued ids without a task id in the queue's project, in queue order."""
        with self._store.reading() as conn:
            queue_id, _, project = find_queue(conn, queue)
            if project is None:
                return [r[0] for r in conn.execute(
                    "SELECT item_id FROM queue_items WHERE queue_id = ? ORDER BY position",
                    (queue_id,))]
            return [r[0] for r in conn.execute(
                "SELECT qi.item_id FROM queue_items qi WHERE qi.queue_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM tasks t WHERE t.project = ? AND t.item_id = qi.item_id) "
                "ORDER BY qi.position", (queue_id, project))]
