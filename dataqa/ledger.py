"""The ledger: one local SQLite file holding items, labels, rounds, queues and task ids.

Every public write runs in one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), so an
exception or a killed process in the middle of a write leaves the last committed state.
The file uses WAL journaling and foreign keys. Its schema is versioned (``PRAGMA
user_version`` plus ``schema_version`` in the ``meta`` table) and upgraded in place by
the migrations in :data:`MIGRATIONS` when an older ledger is opened. A file that is not a
dataqa ledger, or one written by a newer dataqa, raises :class:`~dataqa.errors.LedgerError`.

Opening a ledger runs SQLite's ``quick_check``: a damaged file raises
:class:`~dataqa.errors.LedgerError` saying so instead of failing later. A ledger that
another process keeps write-locked longer than the timeout (30 s, or
``$DATAQA_LEDGER_TIMEOUT`` seconds) raises a ``LedgerError`` naming the file and the wait.

All times are ISO-8601 strings in UTC (``2025-01-31T12:00:00.000000+00:00``). The ledger
never stores secrets: do not put API keys in item data, settings or state.

See ``docs/ledger.md`` for the schema.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError, LedgerError, format_ids
from dataqa.types import LABEL_SOURCES

__all__ = [
    "Ledger",
    "LABEL_PRECEDENCE",
    "QUEUE_KINDS",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "utc_now",
    "to_utc_iso",
    "DEFAULT_TIMEOUT",
    "TIMEOUT_ENV",
]

#: Name written in the ``meta`` table; a SQLite file without it is not a ledger.
_APP = "dataqa-ledger"

#: Seconds a write waits for another process's write lock before giving up.
DEFAULT_TIMEOUT: float = 30.0

#: Environment variable that overrides :data:`DEFAULT_TIMEOUT` (seconds).
TIMEOUT_ENV = "DATAQA_LEDGER_TIMEOUT"

#: The first 16 bytes of every SQLite database file.
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: Kinds of queue (what a queue of items is for).
QUEUE_KINDS: tuple[str, ...] = ("review", "active", "spot_check")

#: Tier of each label source in :meth:`Ledger.latest_labels` (higher wins; ties -> newest).
LABEL_PRECEDENCE: dict[str, int] = {"reviewed": 4, "human": 3, "given": 2, "weak": 1, "model": 1}


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string (microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def to_utc_iso(value: Any) -> str | None:
    """Normalise a time (``datetime``, ``pd.Timestamp`` or ISO string) to ISO-8601 UTC.

    Naive times are taken as UTC. ``None`` stays ``None``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidSettingError(
                f"time {value!r} is not an ISO-8601 date-time; use e.g. '2025-01-31T12:00:00Z'."
            ) from exc
    if not isinstance(value, datetime):
        raise InvalidSettingError(
            f"time {value!r} must be a datetime or an ISO-8601 string, not {type(value).__name__}."
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- schema

_V1 = """
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
    source      TEXT NOT NULL CHECK (source IN ('given', 'weak', 'model', 'human', 'reviewed')),
    round       INTEGER REFERENCES rounds(id),
    annotator   TEXT,
    created_at  TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX labels_item ON labels(item_id);
"""

_V2 = """
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


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    statements = [s.strip() for s in sql.split(";") if s.strip()]

    def apply(conn: sqlite3.Connection) -> None:
        for stmt in statements:
            conn.execute(stmt)

    return apply


#: ``MIGRATIONS[i]`` upgrades a ledger from schema version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_script(_V1), _script(_V2)]

#: Schema version written by this dataqa.
SCHEMA_VERSION: int = len(MIGRATIONS)


# --------------------------------------------------------------------------- helpers

def _as_ids(ids: Iterable[Any], what: str = "ids") -> list[str]:
    if isinstance(ids, str):
        raise InvalidSettingError(f"{what} must be a list of ids, not the single string {ids!r}.")
    out = []
    for i in ids:
        if i is None or (isinstance(i, float) and np.isnan(i)):
            raise InvalidSettingError(f"{what} contain a missing id; every item needs an id.")
        out.append(str(i))
    return out


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars (sqlite3 and json only take the latter)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _dumps(obj: Any) -> str:
    try:
        return json.dumps(obj, sort_keys=True, default=_json_default)
    except TypeError as exc:
        raise InvalidSettingError(f"value is not JSON-serialisable: {exc}") from exc


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (datetime, pd.Timestamp)):
        return to_utc_iso(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"{type(o).__name__} {o!r}")


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _check_timeout(timeout: Any) -> float:
    where = "timeout"
    if timeout is None:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        where, timeout = f"${TIMEOUT_ENV}", raw
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(timeout, bool) or not np.isfinite(value) or value < 0:
        raise InvalidSettingError(
            f"{where}={timeout!r} must be a number of seconds >= 0 (the wait for another "
            f"process's write lock on the ledger).")
    return value


def _check_source(source: str) -> str:
    if source not in LABEL_SOURCES:
        raise InvalidSettingError(
            f"label source {source!r} is not one of {', '.join(LABEL_SOURCES)}."
        )
    return source


# --------------------------------------------------------------------------- the ledger

class Ledger:
    """A persistent record of items, labels, rounds, queues and external task ids.

    Parameters
    ----------
    path : str or PathLike
        The SQLite file; created (with its folder) when missing. ``":memory:"`` gives a
        throw-away ledger.
    create : bool, default True
        Create the file when it is missing. With ``False`` a missing file raises
        :class:`~dataqa.errors.LedgerError` and nothing is created.
    timeout : float, optional
        Seconds to wait for another process's write lock (default
        ``$DATAQA_LEDGER_TIMEOUT``, else :data:`DEFAULT_TIMEOUT`).

    Raises
    ------
    LedgerError
        The file is missing (``create=False``), is not a SQLite database, is damaged
        (SQLite's ``quick_check`` fails), is a SQLite database that is not a dataqa
        ledger, or was written by a newer dataqa (schema version above
        :data:`SCHEMA_VERSION`). Later, a write lock held by another process for longer
        than ``timeout``.
    InvalidSettingError
        The path holds a NUL byte, or ``timeout`` is not a non-negative number.

    Notes
    -----
    One connection is shared by the threads of a process behind a lock. Several
    processes may open the same file; SQLite serialises their writes.

    Examples
    --------
    >>> with Ledger(":memory:") as led:
    ...     led.add_items(["a", "b"])
    ...     led.add_labels(["a"], [1], source="human")
    ...     led.latest_labels()["label"].tolist()
    2
    1
    [1]
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True,
                 timeout: float | None = None) -> None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        self.path = str(path)
        if "\x00" in self.path:
            raise InvalidSettingError(
                f"ledger path {self.path!r} contains a NUL byte (\\x00); pass a file path "
                f"without it.")
        self.timeout = _check_timeout(timeout)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._tx_depth = 0
        existed = True
        if self.path != ":memory:":
            p = Path(self.path)
            if p.is_dir():
                raise LedgerError(f"ledger path {self.path!r} is a folder; give a file path.")
            existed = p.exists()
            if not existed and not create:
                raise LedgerError(
                    f"ledger {self.path!r} does not exist; check the path, or create the "
                    f"ledger first (`dataqa al init DATA --ledger {self.path}`).")
            if not existed:
                if p.parent.exists() and not p.parent.is_dir():
                    raise LedgerError(
                        f"cannot create ledger {self.path!r}: {str(p.parent)!r} is a file, "
                        f"not a folder; give another path.")
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise LedgerError(
                        f"cannot create the folder of ledger {self.path!r} "
                        f"({exc.strerror or exc}); give another path.") from exc
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=self.timeout)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {self.path!r}: {exc}; check the path and "
                              f"its permissions.") from exc
        self._conn = conn
        try:
            with self._guard():
                self._open(check=existed and self.path != ":memory:")
        except BaseException:
            conn.close()
            self._conn = None
            raise

    # ---------------------------------------------------------------- lifecycle

    def _damaged(self, detail: object) -> LedgerError:
        return LedgerError(
            f"ledger {self.path!r} is damaged ({' '.join(str(detail).split())}); restore it "
            f"from a backup, or start a new ledger with `dataqa al init`.")

    def _has_sqlite_magic(self) -> bool:
        try:
            with open(self.path, "rb") as fh:
                return fh.read(16) == _SQLITE_MAGIC
        except OSError:
            return False

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's lock, permission and corruption errors into one-line LedgerErrors."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            msg = str(exc).lower()
            if "locked" in msg or "busy" in msg:
                raise LedgerError(
                    f"ledger {self.path!r} is locked by another process (waited "
                    f"{self.timeout:g} s); try again when that process has finished, or set "
                    f"{TIMEOUT_ENV} to wait longer.") from exc
            if "readonly" in msg or "read-only" in msg:
                raise LedgerError(
                    f"ledger {self.path!r} is read-only; check the permissions of the file "
                    f"and its folder.") from exc
            if "disk i/o" in msg or "unable to open" in msg or "disk is full" in msg:
                raise LedgerError(
                    f"cannot use ledger {self.path!r}: {exc}; check the disk, its free space "
                    f"and the file's permissions.") from exc
            if "malformed" in msg or "corrupt" in msg:
                raise self._damaged(exc) from exc
            raise
        except sqlite3.DatabaseError as exc:
            msg = str(exc).lower()
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            if "malformed" in msg or "corrupt" in msg or (
                    "not a database" in msg and self._has_sqlite_magic()):
                raise self._damaged(exc) from exc
            raise

    def _open(self, check: bool = True) -> None:
        conn = self._c()
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            if self.path != ":memory:" and self._has_sqlite_magic():
                raise self._damaged(exc) from exc
            raise LedgerError(
                f"{self.path!r} is not a dataqa ledger (not a SQLite database: {exc}); "
                f"give the path of a ledger file, or a new path to create one."
            ) from exc
        if tables and "meta" not in tables:
            raise LedgerError(
                f"{self.path!r} is a SQLite database but not a dataqa ledger (it has tables "
                f"{', '.join(sorted(tables)[:8])} and no 'meta' table); give another path."
            )
        if "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
            if row is None or row[0] != _APP:
                raise LedgerError(
                    f"{self.path!r} is a SQLite database but not a dataqa ledger (its meta "
                    f"table has no app = {_APP!r}); give another path."
                )
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {self.path!r} has schema version {version}, newer than this dataqa "
                f"understands ({SCHEMA_VERSION}); upgrade dataqa to open it."
            )
        if check and tables:
            problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(1)")]
            if problems != ["ok"]:
                detail = " ".join(" ".join(problems).replace("*** in database main ***",
                                                              "").split())
                raise self._damaged(f"SQLite quick_check: {detail[:160]}")
        if self.path != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - filesystems without WAL
                conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        conn = self._conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # re-read under the write lock: another process may have migrated meanwhile
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                for step in range(current, SCHEMA_VERSION):
                    MIGRATIONS[step](conn)
                now = utc_now()
                if current == 0:
                    conn.execute("INSERT INTO meta (key, value) VALUES ('app', ?)", (_APP,))
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
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else f"schema v{self.schema_version}"
        return f"Ledger({self.path!r}, {state})"

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._c().execute("PRAGMA user_version").fetchone()[0])

    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LedgerError(f"ledger {self.path!r} is closed; open it again with Ledger(path).")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is committed, or none of it.

        Inside :meth:`transaction` it joins the open transaction instead.
        """
        with self._reading() as conn:
            if self._tx_depth:
                with self._guard():
                    yield conn
                return
            with self._guard():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Ledger]:
        """Group several writes into one transaction: all are committed, or none.

        Examples
        --------
        >>> with Ledger(":memory:") as led, led.transaction():
        ...     led.add_items(["a"])
        ...     led.add_labels(["a"], [1], source="human")
        1
        1
        """
        with self._reading() as conn:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield self
                finally:
                    self._tx_depth -= 1
                return
            with self._guard():
                conn.execute("BEGIN IMMEDIATE")
            self._tx_depth = 1
            try:
                yield self
            except BaseException:
                self._tx_depth = 0
                conn.execute("ROLLBACK")
                raise
            self._tx_depth = 0
            with self._guard():
                conn.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._guard():
            yield self._c()

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._reading() as conn:
            return conn.execute(sql, params).fetchall()

    def _check_known(self, conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        if not ids:
            return
        known: set[str] = set()
        uniq = list(dict.fromkeys(ids))
        for start in range(0, len(uniq), 900):
            chunk = uniq[start:start + 900]
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in conn.execute(
                f"SELECT id FROM items WHERE id IN ({marks})", chunk))
        missing = [i for i in uniq if i not in known]
        if missing:
            raise LedgerError(
                f"{len(missing)} item id(s) are not in the ledger: {format_ids(missing)}; "
                f"add them first with add_items(...)."
            )

    # ---------------------------------------------------------------- items

    def add_items(self, ids: Iterable[Any], *, content_hashes: Sequence[str | None] | None = None,
                  split: str | Sequence[str | None] | None = None,
                  data: Sequence[Mapping[str, Any] | None] | None = None,
                  replace_data: bool = False) -> int:
        """Add items; ids already present are left unchanged (but see ``replace_data``).

        Parameters
        ----------
        ids : sequence of str (n,)
            Stable item ids (converted to ``str``); must be unique within the call.
        content_hashes : sequence of str (n,), optional
        split : str or sequence of str (n,), optional
            One split name for every item (``"train"``, ``"dev"``, ``"test"`` ...) or one each.
        data : sequence of dict (n,), optional
            Each item's content (JSON-serialisable), e.g. ``{"text": ...}``, kept for
            pushing to a labeling tool later.
        replace_data : bool, default False
            Also replace the stored ``data`` of ids already present (their split and
            content hash stay).

        Returns
        -------
        int : how many ids were new.
        """
        ids = _as_ids(ids)
        n = len(ids)
        if len(set(ids)) != n:
            dups = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
            raise InvalidSettingError(f"ids repeat within the call: {format_ids(dups)}.")
        hashes = [None] * n if content_hashes is None else [
            None if h is None else str(h) for h in content_hashes]
        if split is None or isinstance(split, str):
            splits = [split] * n
        else:
            splits = [None if s is None else str(s) for s in split]
        datas = [None] * n if data is None else list(data)
        from dataqa.data import check_lengths

        check_lengths(ids=ids, content_hashes=hashes, split=splits, data=datas)
        rows = []
        for i, h, s, d in zip(ids, hashes, splits, datas, strict=True):
            if d is not None and not isinstance(d, Mapping):
                raise InvalidSettingError(
                    f"data for item {i!r} must be a dict (JSON object), not {type(d).__name__}.")
            rows.append((i, h, s, None if d is None else _dumps(dict(d)), utc_now()))
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO items (id, content_hash, split, data, added_at) "
                "VALUES (?, ?, ?, ?, ?)", rows)
            new = conn.total_changes - before
            if replace_data:
                conn.executemany("UPDATE items SET data = ? WHERE id = ?",
                                 [(r[3], r[0]) for r in rows])
            return new

    def items(self, split: str | None = None) -> pd.DataFrame:
        """Items in the order added: columns ``id``, ``content_hash``, ``split``."""
        sql = "SELECT id, content_hash, split FROM items"
        params: tuple = ()
        if split is not None:
            sql += " WHERE split = ?"
            params = (split,)
        rows = self._read(sql + " ORDER BY rowid", params)
        return pd.DataFrame(rows, columns=["id", "content_hash", "split"])

    def item_data(self, ids: Iterable[Any]) -> dict[str, dict]:
        """Each item's stored content (``{}`` when none was stored), keyed by id.

        Raises :class:`LedgerError` naming ids that are not in the ledger.
        """
        ids = _as_ids(ids)
        with self._reading() as conn:
            self._check_known(conn, ids)
            out: dict[str, dict] = {}
            uniq = list(dict.fromkeys(ids))
            for start in range(0, len(uniq), 900):
                chunk = uniq[start:start + 900]
                marks = ",".join("?" * len(chunk))
                for i, d in conn.execute(f"SELECT id, data FROM items WHERE id IN ({marks})",
                                         chunk):
                    out[i] = _loads(d) or {}
        return {i: out[i] for i in uniq}

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM items")[0][0])

    # ---------------------------------------------------------------- labels

    def add_labels(self, ids: Iterable[Any], labels: Iterable[Any], *, source: str,
                   round: int | None = None, annotator: str | None = None,
                   created_at: Any = None) -> int:
        """Append labels (history is kept; nothing is overwritten).

        Parameters
        ----------
        ids : sequence of str (n,)
        labels : sequence (n,) of int or str
            Class index or class name; ints stay ints, names stay text.
        source : one of ``dataqa.types.LABEL_SOURCES``
        round : int or sequence of int/None (n,), optional
            The round (from :meth:`start_round`) the labels answer, one for all or one
            per label.
        annotator : str, optional
        created_at : datetime or ISO string, optional
            When the label was made (default now).

        Returns
        -------
        int : rows added (``n``).
        """
        _check_source(source)
        ids = _as_ids(ids)
        labels = [_plain(v) for v in labels]
        from dataqa.data import check_lengths

        if round is None or isinstance(round, (int, np.integer)):
            rounds_ = [None if round is None else int(round)] * len(ids)
        else:
            rounds_ = [None if r is None or (isinstance(r, float) and np.isnan(r)) else int(r)
                       for r in round]
        check_lengths(ids=ids, labels=labels, round=rounds_)
        for i, v in zip(ids, labels, strict=True):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                raise InvalidSettingError(f"label for item {i!r} is missing; give a label.")
            if not isinstance(v, (int, str, float)):
                raise InvalidSettingError(
                    f"label for item {i!r} must be an int or a class name, not "
                    f"{type(v).__name__}.")
        created = to_utc_iso(created_at) or utc_now()
        with self._write() as conn:
            self._check_known(conn, ids)
            for r in set(rounds_) - {None}:
                self._check_round(conn, r)
            now = utc_now()
            conn.executemany(
                "INSERT INTO labels (item_id, label, source, round, annotator, created_at, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(i, v, source, r, annotator, created, now)
                 for i, v, r in zip(ids, labels, rounds_, strict=True)])
        return len(ids)

    def upsert_external_labels(self, rows: Iterable[Mapping[str, Any]] | pd.DataFrame
                               ) -> tuple[int, int]:
        """Insert labels that carry an external id, or update the row with that id.

        Each row has ``item_id``, ``label``, ``source``, ``external_id`` (e.g. the Label
        Studio annotation id; unique across the ledger) and optionally ``annotator``,
        ``created_at``, ``updated_at``, ``lead_time`` (seconds) and ``round``. A row whose
        external id is already stored updates that row (label, annotator, updated_at,
        lead_time, source, item) instead of adding one.

        Returns
        -------
        (n_new, n_updated) : rows inserted, and stored rows whose values changed.
        """
        if isinstance(rows, pd.DataFrame):
            rows = rows.to_dict("records")
        prepared = []
        for k, r in enumerate(rows):
            missing = [c for c in ("item_id", "label", "source", "external_id")
                       if r.get(c) is None]
            if missing:
                raise InvalidSettingError(
                    f"external label row {k} lacks {', '.join(missing)}; every row needs "
                    f"item_id, label, source and external_id.")
            lt = r.get("lead_time")
            lt = None if lt is None or (isinstance(lt, float) and np.isnan(lt)) else float(lt)
            rnd = r.get("round")
            rnd = None if rnd is None or (isinstance(rnd, float) and np.isnan(rnd)) else int(rnd)
            ann = r.get("annotator")
            prepared.append({
                "item_id": str(r["item_id"]),
                "label": _plain(r["label"]),
                "source": _check_source(r["source"]),
                "external_id": str(_plain(r["external_id"])),
                "annotator": None if ann is None else str(ann),
                "created_at": to_utc_iso(r.get("created_at")),
                "updated_at": to_utc_iso(r.get("updated_at")),
                "lead_time": lt,
                "round": rnd,
            })
        ext = [p["external_id"] for p in prepared]
        if len(set(ext)) != len(ext):
            dups = pd.Series(ext)[pd.Series(ext).duplicated()].unique()
            raise InvalidSettingError(f"external ids repeat within the call: {format_ids(dups)}.")
        n_new = n_upd = 0
        with self._write() as conn:
            self._check_known(conn, [p["item_id"] for p in prepared])
            for rnd in {p["round"] for p in prepared} - {None}:
                self._check_round(conn, rnd)
            now = utc_now()
            for p in prepared:
                old = conn.execute(
                    "SELECT row_id, item_id, label, source, annotator, updated_at, lead_time "
                    "FROM labels WHERE external_id = ?", (p["external_id"],)).fetchone()
                if old is None:
                    conn.execute(
                        "INSERT INTO labels (item_id, label, source, round, annotator, "
                        "created_at, recorded_at, external_id, updated_at, lead_time) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (p["item_id"], p["label"], p["source"], p["round"], p["annotator"],
                         p["created_at"] or now, now, p["external_id"], p["updated_at"],
                         p["lead_time"]))
                    n_new += 1
                    continue
                new_vals = (p["item_id"], p["label"], p["source"], p["annotator"],
                            p["updated_at"], p["lead_time"])
                if tuple(old[1:]) != new_vals:
                    conn.execute(
                        "UPDATE labels SET item_id = ?, label = ?, source = ?, annotator = ?, "
                        "updated_at = ?, lead_time = ?, recorded_at = ? WHERE row_id = ?",
                        (*new_vals, now, old[0]))
                    n_upd += 1
        return n_new, n_upd

    _LABEL_COLS = ["row_id", "id", "label", "source", "round", "annotator", "external_id",
                   "created_at", "updated_at", "lead_time", "recorded_at"]

    def labels(self, source: str | None = None) -> pd.DataFrame:
        """Every label row, oldest first.

        Columns: ``row_id, id, label, source, round, annotator, external_id, created_at,
        updated_at, lead_time, recorded_at``.
        """
        sql = ("SELECT row_id, item_id, label, source, round, annotator, external_id, "
               "created_at, updated_at, lead_time, recorded_at FROM labels")
        params: tuple = ()
        if source is not None:
            _check_source(source)
            sql += " WHERE source = ?"
            params = (source,)
        rows = self._read(sql + " ORDER BY row_id", params)
        df = pd.DataFrame(rows, columns=self._LABEL_COLS)
        df["round"] = df["round"].astype("Int64")
        return df

    def latest_labels(self, source: str | None = None) -> pd.DataFrame:
        """One label per labeled item.

        Precedence: the label from the highest source tier wins, ``reviewed`` >
        ``human`` > ``given`` > ``weak`` = ``model`` (:data:`LABEL_PRECEDENCE`); within a
        tier the newest (by ``updated_at`` or else ``created_at``, then insertion order).
        With ``source`` only that source's labels are considered.

        Returns
        -------
        DataFrame with columns ``id, label, source, round, annotator, created_at``, in
        the order the items were added.
        """
        df = self.labels(source)
        cols = ["id", "label", "source", "round", "annotator", "created_at"]
        if df.empty:
            return df[cols].reset_index(drop=True)
        df["_tier"] = df["source"].map(LABEL_PRECEDENCE)
        df["_when"] = df["updated_at"].fillna(df["created_at"])
        df = df.sort_values(["_tier", "_when", "row_id"], kind="mergesort")
        last = df.drop_duplicates("id", keep="last")
        order = {i: k for k, i in enumerate(self.items()["id"])}
        last = last.assign(_pos=last["id"].map(order)).sort_values("_pos", kind="mergesort")
        return last[cols].reset_index(drop=True)

    # ---------------------------------------------------------------- rounds

    def _check_round(self, conn: sqlite3.Connection, round_id: int) -> None:
        if conn.execute("SELECT 1 FROM rounds WHERE id = ?", (int(round_id),)).fetchone() is None:
            raise LedgerError(
                f"round {round_id!r} is not in the ledger; start it with start_round(...) first.")

    def start_round(self, strategy: str, settings: Mapping[str, Any] | None,
                    batch_ids: Iterable[Any], scores: Sequence[float] | None = None) -> int:
        """Record a new round: the strategy, its settings and the batch chosen.

        Parameters
        ----------
        strategy : str
        settings : dict (JSON-serialisable)
        batch_ids : sequence of str (b,)
            The items chosen, in order; they must be in the ledger.
        scores : sequence of float (b,), optional
            Their acquisition scores (higher = more worth labeling).

        Returns
        -------
        int : the round id (1, 2, ...).
        """
        ids = _as_ids(batch_ids, "batch_ids")
        if len(set(ids)) != len(ids):
            raise InvalidSettingError("batch_ids repeat; a batch holds each item once.")
        sc = [None] * len(ids) if scores is None else [
            None if s is None else float(s) for s in scores]
        from dataqa.data import check_lengths

        check_lengths(batch_ids=ids, scores=sc)
        settings_json = _dumps(dict(settings or {}))
        with self._write() as conn:
            self._check_known(conn, ids)
            cur = conn.execute(
                "INSERT INTO rounds (strategy, settings, started_at) VALUES (?, ?, ?)",
                (str(strategy), settings_json, utc_now()))
            rid = int(cur.lastrowid)
            conn.executemany(
                "INSERT INTO round_items (round_id, item_id, position, score) VALUES (?, ?, ?, ?)",
                [(rid, i, k, s) for k, (i, s) in enumerate(zip(ids, sc, strict=True))])
        return rid

    def finish_round(self, round_id: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Mark a round finished and store its metrics (JSON-serialisable dict)."""
        metrics_json = _dumps(dict(metrics or {}))
        with self._write() as conn:
            self._check_round(conn, round_id)
            conn.execute("UPDATE rounds SET finished_at = ?, metrics = ? WHERE id = ?",
                         (utc_now(), metrics_json, int(round_id)))

    def rounds(self) -> pd.DataFrame:
        """Every round, oldest first.

        Columns: ``round, strategy, settings`` (dict), ``batch_ids`` (list), ``scores``
        (list), ``n_batch``, ``started_at``, ``finished_at``, ``metrics`` (dict or None).
        """
        with self._reading() as conn:
            rs = conn.execute("SELECT id, strategy, settings, started_at, finished_at, metrics "
                              "FROM rounds ORDER BY id").fetchall()
            members: dict[int, list[tuple]] = {}
            for rid, iid, sc in conn.execute(
                    "SELECT round_id, item_id, score FROM round_items ORDER BY round_id, position"):
                members.setdefault(rid, []).append((iid, sc))
        recs = []
        for rid, strat, settings, started, finished, metrics in rs:
            m = members.get(rid, [])
            recs.append({
                "round": rid, "strategy": strat, "settings": _loads(settings),
                "batch_ids": [i for i, _ in m], "scores": [s for _, s in m], "n_batch": len(m),
                "started_at": started, "finished_at": finished, "metrics": _loads(metrics),
            })
        cols = ["round", "strategy", "settings", "batch_ids", "scores", "n_batch",
                "started_at", "finished_at", "metrics"]
        return pd.DataFrame(recs, columns=cols)

    def current_round(self) -> int | None:
        """The id of the latest round (finished or not), or ``None`` before the first."""
        row = self._read("SELECT MAX(id) FROM rounds")[0]
        return None if row[0] is None else int(row[0])

    def round_info(self, round_id: int) -> dict:
        """One round as a dict (the keys of :meth:`rounds`)."""
        df = self.rounds()
        hit = df[df["round"] == int(round_id)]
        if hit.empty:
            raise LedgerError(f"round {round_id!r} is not in the ledger.")
        return hit.iloc[0].to_dict()

    # ---------------------------------------------------------------- queues and tasks

    def _queue(self, conn: sqlite3.Connection, name: str) -> tuple[int, str, str | None]:
        row = conn.execute("SELECT id, kind, project FROM queues WHERE name = ?",
                           (name,)).fetchone()
        if row is None:
            known = [r[0] for r in conn.execute("SELECT name FROM queues ORDER BY id")]
            raise LedgerError(
                f"queue {name!r} is not in the ledger (queues: {', '.join(known) or 'none'}); "
                f"create it with create_queue(...).")
        return row

    def create_queue(self, name: str, *, kind: str, project: str | None = None,
                     settings: Mapping[str, Any] | None = None) -> int:
        """Create a queue, or return the id of the queue with that name.

        ``kind`` is one of :data:`QUEUE_KINDS`. Re-creating with another kind is an
        error; a project given for a queue that had none is recorded.
        """
        if not name or not isinstance(name, str):
            raise InvalidSettingError(f"queue name {name!r} must be a non-empty string.")
        if kind not in QUEUE_KINDS:
            raise InvalidSettingError(
                f"queue kind {kind!r} is not one of {', '.join(QUEUE_KINDS)}.")
        with self._write() as conn:
            row = conn.execute("SELECT id, kind, project FROM queues WHERE name = ?",
                               (name,)).fetchone()
            if row is not None:
                qid, old_kind, old_project = row
                if old_kind != kind:
                    raise LedgerError(
                        f"queue {name!r} exists with kind {old_kind!r}, not {kind!r}; "
                        f"use another queue name.")
                if project is not None and old_project is None:
                    conn.execute("UPDATE queues SET project = ? WHERE id = ?", (str(project), qid))
                return int(qid)
            cur = conn.execute(
                "INSERT INTO queues (name, kind, project, settings, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, kind, None if project is None else str(project),
                 _dumps(dict(settings or {})), utc_now()))
            return int(cur.lastrowid)

    def queues(self) -> pd.DataFrame:
        """Every queue: ``queue_id, name, kind, project, settings, n_items, created_at``."""
        rows = self._read(
            "SELECT q.id, q.name, q.kind, q.project, q.settings, "
            "(SELECT COUNT(*) FROM queue_items qi WHERE qi.queue_id = q.id), q.created_at "
            "FROM queues q ORDER BY q.id")
        df = pd.DataFrame(rows, columns=["queue_id", "name", "kind", "project", "settings",
                                         "n_items", "created_at"])
        df["settings"] = df["settings"].map(_loads)
        return df

    def add_queue_items(self, name: str, ids: Iterable[Any]) -> int:
        """Append items to a queue (ids already queued are skipped); returns how many were new."""
        ids = list(dict.fromkeys(_as_ids(ids)))
        with self._write() as conn:
            qid, _, _ = self._queue(conn, name)
            self._check_known(conn, ids)
            start = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM queue_items "
                                 "WHERE queue_id = ?", (qid,)).fetchone()[0]
            before = conn.total_changes
            now = utc_now()
            pos = start
            for i in ids:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO queue_items (queue_id, item_id, position, added_at) "
                    "VALUES (?, ?, ?, ?)", (qid, i, pos, now))
                pos += cur.rowcount
            return conn.total_changes - before

    def queue_items(self, name: str) -> list[str]:
        """The ids in a queue, in the order they were added."""
        with self._reading() as conn:
            qid, _, _ = self._queue(conn, name)
            return [r[0] for r in conn.execute(
                "SELECT item_id FROM queue_items WHERE queue_id = ? ORDER BY position", (qid,))]

    def record_tasks(self, queue: str, mapping: Mapping[Any, Any], *, project: str) -> int:
        """Record the external task id of each item (``{item_id: task_id}``) in ``project``.

        The items must be in the queue. An item whose task id in that project is already
        recorded with the same value is left alone; a different value replaces it (the
        task was recreated). The queue's project is set when it had none.

        Returns
        -------
        int : rows inserted or changed.
        """
        if project is None or str(project) == "":
            raise InvalidSettingError("project must be given to record task ids.")
        project = str(project)
        pairs = [(str(k), _plain(v)) for k, v in mapping.items()]
        for item, task in pairs:
            if task is None:
                raise InvalidSettingError(f"task id for item {item!r} is missing.")
        with self._write() as conn:
            qid, _, qproject = self._queue(conn, queue)
            if qproject is None:
                conn.execute("UPDATE queues SET project = ? WHERE id = ?", (project, qid))
            queued = {r[0] for r in conn.execute(
                "SELECT item_id FROM queue_items WHERE queue_id = ?", (qid,))}
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
                                 (project, item, task, qid, now))
                    changed += 1
                elif old[0] != task:
                    conn.execute("UPDATE tasks SET task_id = ?, queue_id = ?, created_at = ? "
                                 "WHERE project = ? AND item_id = ?",
                                 (task, qid, now, project, item))
                    changed += 1
            return changed

    def forget_tasks(self, project: str, item_ids: Iterable[Any] | None = None) -> int:
        """Drop recorded task ids in ``project`` (all, or those of ``item_ids``); returns count.

        Use when the tasks were deleted on the server, so the items become pending again.
        """
        with self._write() as conn:
            if item_ids is None:
                cur = conn.execute("DELETE FROM tasks WHERE project = ?", (str(project),))
                return cur.rowcount
            n = 0
            for i in _as_ids(item_ids):
                n += conn.execute("DELETE FROM tasks WHERE project = ? AND item_id = ?",
                                  (str(project), i)).rowcount
            return n

    def task_ids(self, project: str | None = None, queue: str | None = None) -> dict[str, Any]:
        """``{item_id: task_id}`` of recorded tasks, filtered by project and/or queue.

        Without ``project`` an item with tasks in several projects appears once (the most
        recently recorded); pass ``project`` to be exact.
        """
        sql = "SELECT t.item_id, t.task_id FROM tasks t"
        where, params = [], []
        with self._reading() as conn:
            if queue is not None:
                qid, _, _ = self._queue(conn, queue)
                where.append("t.queue_id = ?")
                params.append(qid)
            if project is not None:
                where.append("t.project = ?")
                params.append(str(project))
            if where:
                sql += " WHERE " + " AND ".join(where)
            rows = conn.execute(sql + " ORDER BY t.created_at, t.rowid", params).fetchall()
        return dict(rows)

    def pending_items(self, queue: str) -> list[str]:
        """Queued ids that have no task id yet in the queue's project, in queue order.

        A queue without a project (nothing recorded yet) has all its items pending.
        """
        with self._reading() as conn:
            qid, _, project = self._queue(conn, queue)
            if project is None:
                sql = ("SELECT item_id FROM queue_items WHERE queue_id = ? ORDER BY position")
                return [r[0] for r in conn.execute(sql, (qid,))]
            return [r[0] for r in conn.execute(
                "SELECT qi.item_id FROM queue_items qi WHERE qi.queue_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM tasks t WHERE t.project = ? AND t.item_id = qi.item_id) "
                "ORDER BY qi.position", (qid, project))]

    # ---------------------------------------------------------------- small state

    def set_state(self, key: str, value: Any) -> None:
        """Store a small JSON-serialisable value under ``key`` (never a secret)."""
        if not key or not isinstance(key, str):
            raise InvalidSettingError(f"state key {key!r} must be a non-empty string.")
        text = _dumps(value)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) "
                "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, text, utc_now()))

    def get_state(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        rows = self._read("SELECT value FROM state WHERE key = ?", (key,))
        return default if not rows else _loads(rows[0][0])

    # ---------------------------------------------------------------- summary

    def summary(self) -> dict[str, int]:
        """Counts: items, labels, labeled items, rounds, queues, tasks."""
        q = {
            "items": "SELECT COUNT(*) FROM items",
            "labels": "SELECT COUNT(*) FROM labels",
            "labeled_items": "SELECT COUNT(DISTINCT item_id) FROM labels",
            "rounds": "SELECT COUNT(*) FROM rounds",
            "queues": "SELECT COUNT(*) FROM queues",
            "tasks": "SELECT COUNT(*) FROM tasks",
        }
        return {k: int(self._read(sql)[0][0]) for k, sql in q.items()}

