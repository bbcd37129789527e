"""The ledger file: its connection, lock and transactions, and the one-line errors.

One :class:`Store` holds one SQLite connection, shared by the threads of a process behind
a re-entrant lock. Every write runs in one ``BEGIN IMMEDIATE ... COMMIT`` transaction
(:meth:`Store.write`), or joins the transaction that :meth:`Store.transaction` opened.
SQLite's lock, permission and corruption errors leave as one-line
:class:`~dataqa.errors.LedgerError` messages that name the file and what to do.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from dataqa.errors import InvalidSettingError, LedgerError, format_ids
from dataqa.ledger.schema import APP, SCHEMA_VERSION, migrate

__all__ = ["Store", "DEFAULT_TIMEOUT", "TIMEOUT_ENV", "check_timeout"]

#: Seconds a write waits for another process's write lock before giving up.
DEFAULT_TIMEOUT: float = 30.0

#: Environment variable that overrides :data:`DEFAULT_TIMEOUT` (seconds).
TIMEOUT_ENV = "DATAQA_LEDGER_TIMEOUT"

#: The first 16 bytes of every SQLite database file.
_SQLITE_MAGIC = b"SQLite format 3\x00"

#: Most ids bound in one ``IN (...)`` (SQLite's default limit is 999 variables).
IDS_PER_QUERY = 900


def check_timeout(timeout: Any) -> float:
    """Seconds to wait for a write lock: ``timeout``, else ``$DATAQA_LEDGER_TIMEOUT``, else 30."""
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


def _path_text(path: str | os.PathLike) -> str:
    """The path as ``str``; a NUL byte is refused."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    path = str(path)
    if "\x00" in path:
        raise InvalidSettingError(
            f"ledger path {path!r} contains a NUL byte (\\x00); pass a file path "
            f"without it.")
    return path


def _prepare_file(path: str, create: bool) -> bool:
    """Whether the file existed; creates its folder when it did not and ``create``."""
    if path == ":memory:":
        return True
    p = Path(path)
    if p.is_dir():
        raise LedgerError(f"ledger path {path!r} is a folder; give a file path.")
    if p.exists():
        if not create and p.is_file() and p.stat().st_size == 0:
            raise LedgerError(
                f"ledger {path!r} is an empty file (0 bytes), not a ledger; check the path "
                f"(a ledger being created at this moment is empty for an instant: try "
                f"again), restore the ledger from a backup, or remove the file and let the "
                f"command that makes it make it again (`dataqa al init DATA --ledger "
                f"{path}`, or a push).")
        return True
    if not create:
        raise LedgerError(
            f"ledger {path!r} does not exist; check the path, or create the "
            f"ledger first (`dataqa al init DATA --ledger {path}`).")
    if p.parent.exists() and not p.parent.is_dir():
        raise LedgerError(
            f"cannot create ledger {path!r}: {str(p.parent)!r} is a file, "
            f"not a folder; give another path.")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerError(
            f"cannot create the folder of ledger {path!r} "
            f"({exc.strerror or exc}); give another path.") from exc
    return False


def _identity_error(path: str, conn: sqlite3.Connection, tables: set,
                    version: int) -> LedgerError | None:
    """Why an opened SQLite file is no ledger this dataqa can use, or None (an empty
    database is a ledger to be)."""
    if tables and "meta" not in tables:
        return LedgerError(
            f"{path!r} is a SQLite database but not a dataqa ledger (it has tables "
            f"{', '.join(sorted(tables)[:8])} and no 'meta' table); give another path.")
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
        if row is None or row[0] != APP:
            return LedgerError(
                f"{path!r} is a SQLite database but not a dataqa ledger (its meta table has "
                f"no app = {APP!r}); give another path.")
    if tables and version <= 0:
        return LedgerError(
            f"ledger {path!r} has lost its schema version (neither PRAGMA user_version nor "
            f"its meta table records one), so dataqa cannot tell how to read it; restore it "
            f"from a copy.")
    if version > SCHEMA_VERSION:
        return LedgerError(
            f"ledger {path!r} has schema version {version}, newer than this dataqa "
            f"understands ({SCHEMA_VERSION}); upgrade dataqa to open it.")
    return None


def check_ledger_file(path: str | os.PathLike) -> None:
    """Refuse an existing file that is not a ledger this dataqa can open, reading it only
    (nothing is created, upgraded or switched to WAL). A missing or empty file passes: a
    push creates the ledger there.

    Raises
    ------
    LedgerError
        A folder, a file that is not SQLite, another application's database, or a ledger
        newer than this dataqa.
    """
    p = Path(_path_text(path))
    if p.is_dir():
        raise LedgerError(f"ledger path {str(p)!r} is a folder; give a file path.")
    if not p.exists() or p.stat().st_size == 0:
        return
    # a ledger with no -wal (or -journal) file beside it holds everything in the file
    # itself: opened immutable, SQLite leaves no -wal or -shm file behind (a read-only
    # connection would create both, and could not remove them); with one (another process
    # may be writing) it is read as SQLite reads a live database
    real = p.resolve()  # SQLite keeps its side files beside the file a link points to
    live = any(Path(f"{real}{side}").exists() for side in ("-wal", "-journal"))
    try:
        conn = sqlite3.connect(f"{real.as_uri()}?mode=ro" + ("" if live else "&immutable=1"),
                               uri=True)
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot open ledger {str(p)!r} ({exc}); give another path.") from exc
    try:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"{str(p)!r} is not a dataqa ledger (not a SQLite database: {exc}); give the "
                f"path of a ledger file, or a new path to create one.") from exc
        bad = _identity_error(str(p), conn, tables, _effective_version(conn, tables, version))
        if bad is not None:
            raise bad
    finally:
        conn.close()


class Store:
    """One open ledger file: connection, lock, transactions, schema check and upgrade.

    Parameters are those of :class:`~dataqa.ledger.Ledger`, which validates nothing
    itself and leaves the file to this class.
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True,
                 timeout: float | None = None) -> None:
        self.path = _path_text(path)
        self.timeout = check_timeout(timeout)
        self.lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._tx_depth = 0
        self._create = create
        existed = _prepare_file(self.path, create)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=self.timeout)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {self.path!r}: {exc}; check the path and "
                              f"its permissions.") from exc
        self._conn = conn
        try:
            with self.guard():
                self._open(check=existed and self.path != ":memory:")
        except BaseException:
            conn.close()
            self._conn = None
            raise

    # ---------------------------------------------------------------- errors

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
    def guard(self) -> Iterator[None]:
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
                    f"ledger {self.path!r} is read-only; check the permissions of the file, "
                    f"of its -wal and -shm files beside it (a failed write may leave them "
                    f"read-only too) and of its folder.") from exc
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

    # ---------------------------------------------------------------- opening

    def _open(self, check: bool = True) -> None:
        """Refuse what is not a ledger (or is damaged or newer), set pragmas, upgrade."""
        conn = self.connection()
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
                f"give the path of a ledger file"
                + (", or a new path to create one." if self._create else
                   " (`dataqa al init` makes one).")
            ) from exc
        pragma, version = version, _effective_version(conn, tables, version)
        bad = _identity_error(self.path, conn, tables, version)
        if bad is not None:
            raise bad
        if version != pragma:  # written back only once the file is known a ledger
            with self.guard():
                conn.execute(f"PRAGMA user_version = {version}")
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
            with self.lock:
                migrate(conn)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._conn is None

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self.lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def connection(self) -> sqlite3.Connection:
        """The open connection; a closed store raises :class:`LedgerError`."""
        if self._conn is None:
            raise LedgerError(f"ledger {self.path!r} is closed; open it again with Ledger(path).")
        return self._conn

    # ---------------------------------------------------------------- reading and writing

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock, with SQLite errors turned into LedgerErrors."""
        with self.lock, self.guard():
            yield self.connection()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """All rows of one query."""
        with self.reading() as conn:
            return conn.execute(sql, params).fetchall()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is committed, or none of it.

        Inside :meth:`transaction` it joins the open transaction instead.
        """
        with self.reading() as conn:
            if self._tx_depth:
                with self.guard():
                    yield conn
                return
            with self.guard():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    _rollback(conn)
                    raise
                _commit(conn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction (nested calls join the outer one)."""
        with self.reading() as conn:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield
                finally:
                    self._tx_depth -= 1
                return
            with self.guard():
                conn.execute("BEGIN IMMEDIATE")
            self._tx_depth = 1
            try:
                yield
            except BaseException:
                self._tx_depth = 0
                _rollback(conn)
                raise
            self._tx_depth = 0
            with self.guard():
                _commit(conn)

    @staticmethod
    def check_known(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        """Raise :class:`LedgerError` naming the ids that are not in ``items``."""
        if not ids:
            return
        known: set[str] = set()
        uniq = list(dict.fromkeys(ids))
        for start in range(0, len(uniq), IDS_PER_QUERY):
            chunk = uniq[start:start + IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in conn.execute(
                f"SELECT id FROM items WHERE id IN ({marks})", chunk))
        missing = [i for i in uniq if i not in known]
        if missing:
            raise LedgerError(
                f"{len(missing)} item id(s) are not in the ledger: {format_ids(missing)}; "
                f"add them first with add_items(...)."
            )


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not undone it already (it does so itself
    after some errors, a full disk among them: a second ROLLBACK would fail and hide the
    error that caused it)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _commit(conn: sqlite3.Connection) -> None:
    """Commit; a commit that fails (a full disk) leaves nothing half written or open."""
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _effective_version(conn: sqlite3.Connection, tables: set, pragma: int) -> int:
    """The schema version of an opened file: the larger of ``PRAGMA user_version`` and the
    one a ledger's meta table records (dataqa writes both in one transaction; a ``.dump``
    and restore loses the pragma, a tool may lower it, and migrating from too low a
    version fails half-way; a higher one, either way, is refused as newer); 0 for a
    database without tables."""
    if not tables:
        return 0
    return max(pragma, _version_from_meta(conn) if "meta" in tables else 0)


def _version_from_meta(conn: sqlite3.Connection) -> int:
    """The schema version of a ledger whose file lost it (``sqlite3 .dump`` and a restore
    keep the tables but not ``PRAGMA user_version``): the one its meta table records; 0
    when it records none."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:  # (a meta table without those columns)
        return 0
    text = "" if row is None else str(row[0]).strip()
    return int(text) if text.isdigit() else 0
