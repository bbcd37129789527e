-- The schema of a new ledger (version 3), as SQLite stores it in sqlite_master.
-- Ledgers already on disk have exactly this; a new ledger must match it.
CREATE UNIQUE INDEX labels_external ON labels(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX labels_item ON labels(item_id);
CREATE INDEX tasks_queue ON tasks(queue_id);
CREATE TABLE items (
    id           TEXT PRIMARY KEY,
    content_hash TEXT,
    split        TEXT,
    data         TEXT,               -- JSON object or NULL
    added_at     TEXT NOT NULL
);
CREATE TABLE labels (
    row_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     TEXT NOT NULL REFERENCES items(id),
    label       NOT NULL,            -- no type affinity: ints stay ints, names stay text
    source      TEXT NOT NULL CHECK (source IN ('given', 'weak', 'model', 'human', 'reviewed')),
    round       INTEGER REFERENCES rounds(id),
    annotator   TEXT,
    created_at  TEXT NOT NULL,
    recorded_at TEXT NOT NULL
, external_id TEXT, updated_at TEXT, lead_time REAL, withdrawn_at TEXT);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE queue_items (
    queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    item_id  TEXT    NOT NULL REFERENCES items(id),
    position INTEGER NOT NULL,
    added_at TEXT    NOT NULL,
    PRIMARY KEY (queue_id, item_id)
);
CREATE TABLE queues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    project    TEXT,
    settings   TEXT NOT NULL,        -- JSON object
    created_at TEXT NOT NULL
);
CREATE TABLE round_items (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    item_id  TEXT    NOT NULL REFERENCES items(id),
    position INTEGER NOT NULL,
    score    REAL,
    PRIMARY KEY (round_id, item_id)
);
CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy    TEXT NOT NULL,
    settings    TEXT NOT NULL,       -- JSON object
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    metrics     TEXT                 -- JSON object or NULL
);
CREATE TABLE sqlite_sequence(name,seq);
CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,        -- JSON
    updated_at TEXT NOT NULL
);
CREATE TABLE tasks (
    project    TEXT    NOT NULL,
    item_id    TEXT    NOT NULL REFERENCES items(id),
    task_id    NOT NULL,             -- external task id as given (int for Label Studio)
    queue_id   INTEGER REFERENCES queues(id),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (project, item_id)
);
