"""The ``queues`` and ``queue_items`` tables: named lists of items sent for labeling."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from dataqa.errors import InvalidSettingError, LedgerError
from dataqa.ledger.codec import as_ids, decode_json, encode_json, utc_now
from dataqa.ledger.store import Store
from dataqa.types import QUEUE_KINDS

__all__ = ["QueueTable", "find_queue"]


def find_queue(conn: sqlite3.Connection, name: str) -> tuple[int, str, str | None]:
    """``(queue_id, kind, project)`` of queue ``name``; an unknown name lists the known ones."""
    row = conn.execute("SELECT id, kind, project FROM queues WHERE name = ?",
                       (name,)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT name FROM queues ORDER BY id")]
        raise LedgerError(
            f"queue {name!r} is not in the ledger (queues: {', '.join(known) or 'none'}); "
            f"create it with create_queue(...).")
    return row


class QueueTable:
    """Queues of one ledger (see :meth:`dataqa.ledger.Ledger.create_queue`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, name: str, *, kind: str, project: str | None = None,
               settings: Mapping[str, Any] | None = None) -> int:
        """Create a queue, or return the id of the queue with that name."""
        if not name or not isinstance(name, str):
            raise InvalidSettingError(f"queue name {name!r} must be a non-empty string.")
        if kind not in QUEUE_KINDS:
            raise InvalidSettingError(
                f"queue kind {kind!r} is not one of {', '.join(QUEUE_KINDS)}.")
        with self._store.write() as conn:
            row = conn.execute("SELECT id, kind, project FROM queues WHERE name = ?",
                               (name,)).fetchone()
            if row is not None:
                queue_id, old_kind, old_project = row
                if old_kind != kind:
                    raise LedgerError(
                        f"queue {name!r} exists with kind {old_kind!r}, not {kind!r}; "
                        f"use another queue name.")
                if project is not None and old_project is None:
                    conn.execute("UPDATE queues SET project = ? WHERE id = ?",
                                 (str(project), queue_id))
                return int(queue_id)
            cur = conn.execute(
                "INSERT INTO queues (name, kind, project, settings, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, kind, None if project is None else str(project),
                 encode_json(dict(settings or {})), utc_now()))
            return int(cur.lastrowid)

    def frame(self) -> pd.DataFrame:
        """Every queue: ``queue_id, name, kind, project, settings, n_items, created_at``."""
        rows = self._store.read(
            "SELECT q.id, q.name, q.kind, q.project, q.settings, "
            "(SELECT COUNT(*) FROM queue_items qi WHERE qi.queue_id = q.id), q.created_at "
            "FROM queues q ORDER BY q.id")
        df = pd.DataFrame(rows, columns=["queue_id", "name", "kind", "project", "settings",
                                         "n_items", "created_at"])
        df["settings"] = df["settings"].map(decode_json)
        return df

    def add_items(self, name: str, ids: Iterable[Any]) -> int:
        """Append items to a queue (ids already queued are skipped); returns how many were new."""
        ids = list(dict.fromkeys(as_ids(ids)))
        with self._store.write() as conn:
            queue_id, _, _ = find_queue(conn, name)
            self._store.check_known(conn, ids)
            position = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM queue_items "
                                    "WHERE queue_id = ?", (queue_id,)).fetchone()[0]
            before = conn.total_changes
            now = utc_now()
            for i in ids:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO queue_items (queue_id, item_id, position, added_at) "
                    "VALUES (?, ?, ?, ?)", (queue_id, i, position, now))
                position += cur.rowcount
            return conn.total_changes - before

    def item_ids(self, name: str) -> list[str]:
        """The ids in a queue, in the order they were added."""
        with self._store.reading() as conn:
            queue_id, _, _ = find_queue(conn, name)
            return [r[0] for r in conn.execute(
                "SELECT item_id FROM queue_items WHERE queue_id = ? ORDER BY position",
                (queue_id,))]
