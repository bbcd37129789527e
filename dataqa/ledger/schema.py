"""The ledger's tables and the migrations that build and upgrade them.

``MIGRATIONS[i]`` upgrades a ledger from schema version ``i`` to ``i + 1``; the version
of a file is its ``PRAGMA user_version`` (also written to ``meta.schema_version``). A
migration, once released, keeps its effect: a new table or column is a new step appended
to :data:`MIGRATIONS`, never an edit of an old one.

The ``CHECK`` on ``labels.source`` is generated from :data:`dataqa.types.LABEL_SOURCES`,
so the list of sources has one home. Adding a source there changes new ledgers only: a
ledger created before keeps its ``CHECK`` until a new migration rebuilds ``labels``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from dataqa.ledger.codec import utc_now
from dataqa.types import LABEL_SOURCES

__all__ = ["APP", "MIGRATIONS", "SCHEMA_VERSION", "migrate", "sql_in_list"]

#: Name written in the ``meta`` table; a SQLite file without it is not a ledger.
APP = "dataqa-ledger"


def sql_in_list(values: Sequence[str]) -> str:
    """``('a', 'b')``: string literals for a SQL ``IN`` (quotes doubled)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


#: Version 1: items, rounds and their batches, labels.
_TABLES_V1 = f"""
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE items (
    id           TEXT PRIMARY KEY,
    content_hash TEXT,
    split        TEXT,
    data         TEXT,               -- JSON object or NULL
    added_at     TEXT NOT NULL
);
CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy    TEXT NOT NULL,
    settings    TEXT NOT NULL,       -- JSON object
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    metrics     TEXT                 -- JSON object or NULL
);
CREATE TABLE round_items (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    item_id  TEXT    NOT NULL REFERENCES items(id),
    position INTEGER NOT NULL,
    score    REAL,
    PRIMARY KEY (round_id, item_id)
);
CREATE TABLE labels (
    row_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     TEXT NOT NULL REFERENCES items(id),
    label       NOT NULL,            -- no type affinity: ints stay ints, names stay text
    source      TEXT NOT NULL CHECK (source IN {sql_in_list(LABEL_SOURCES)}),
    round       INTEGER REFERENCES rounds(id),
    annotator   TEXT,
    created_at  TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX labels_item ON labels(item_id);
"""

#: Version 2: external label ids, queues, external task ids, small state.
_TABLES_V2 = """
ALTER TABLE labels ADD COLUMN external_id TEXT;
ALTER TABLE labels ADD COLUMN updated_at TEXT;
ALTER TABLE labels ADD COLUMN lead_time REAL;
CREATE UNIQUE INDEX labels_external ON labels(external_id) WHERE external_id IS NOT NULL;
CREATE TABLE queues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    project    TEXT,
    settings   TEXT NOT NULL,        -- JSON object
    created_at TEXT NOT NULL
);
CREATE TABLE queue_items (
    queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    item_id  TEXT    NOT NULL REFERENCES items(id),
    position INTEGER NOT NULL,
    added_at TEXT    NOT NULL,
    PRIMARY KEY (queue_id, item_id)
);
CREATE TABLE tasks (
    project    TEXT    NOT NULL,
    item_id    TEXT    NOT NULL REFERENCES items(id),
    task_id    NOT NULL,             -- external task id as given (int for Label Studio)
    queue_id   INTEGER REFERENCES queues(id),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (project, item_id)
);
CREATE INDEX tasks_queue ON tasks(queue_id);
CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,        -- JSON
    updated_at TEXT NOT NULL
);
"""


def _sql_script(sql: str) -> Callable[[sqlite3.Connection], None]:
    """A migration step running the statements of ``sql`` one by one.

    One by one, not ``executescript``, which would commit the open transaction.
    """
    statements = [s.strip() for s in sql.split(";") if s.strip()]

    def apply(conn: sqlite3.Connection) -> None:
        for stmt in statements:
            conn.execute(stmt)

    return apply


#: Version 3: a label withdrawn where it came from (an answer deleted, emptied or made a
#: skip in Label Studio) keeps its row, marked with when it was withdrawn; it no longer counts.
_TABLES_V3 = """
ALTER TABLE labels ADD COLUMN withdrawn_at TEXT;
"""

#: ``MIGRATIONS[i]`` upgrades a ledger from schema version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _sql_script(_TABLES_V1), _sql_script(_TABLES_V2), _sql_script(_TABLES_V3)]

#: Schema version written by this dataqa.
SCHEMA_VERSION: int = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Upgrade the open file to :data:`SCHEMA_VERSION` in one transaction.

    The caller holds the connection's lock and has checked that the file is a ledger of
    an older version (or empty). The version is read again under SQLite's write lock:
    another process may have migrated meanwhile.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(current, SCHEMA_VERSION):
            MIGRATIONS[step](conn)
        now = utc_now()
        if current == 0:
            conn.execute("INSERT INTO meta (key, value) VALUES ('app', ?)", (APP,))
            conn.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?)", (now,))
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('migrated_at', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (now,))
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # (SQLite undoes it itself after a full disk)
            conn.execute("ROLLBACK")
        raise
