"""How Label Studio sync uses its ledger: the path check, the lock, queue and state names.

Everything a push or a pull keeps about a project in the ledger is named here, once:
the queue ``"<project>/<queue>"``, the project's state ``"labelstudio/<project>"`` (its
id, the server address and the class names) and the last pull's state
``"labelstudio/<project>/pulled"``. This module imports neither pandas nor the ledger
until they are used, so the command line can use it for ``--help``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dataqa.errors import InvalidSettingError, LedgerError

__all__ = [
    "LOCK_WAIT_S",
    "queue_name",
    "project_state_key",
    "pulled_state_key",
    "project_state",
    "record_project_state",
    "recorded_title",
    "same_server",
    "check_ledger_path",
    "open_ledger",
    "ledger_lock",
]

logger = logging.getLogger(__name__)

#: How long a push or pull waits for another one on the same ledger to finish.
LOCK_WAIT_S = 600.0

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads of this process only
    fcntl = None

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


# ---------------------------------------------------------------------------- names

def queue_name(project: str, queue: str) -> str:
    """The ledger name of queue ``queue`` of Label Studio project ``project``."""
    return f"{project}/{queue}"


def project_state_key(project: str) -> str:
    """The ledger state key of a project: its id, server address and class names."""
    return f"labelstudio/{project}"


def pulled_state_key(project: str) -> str:
    """The ledger state key of a project's last pull (watermark and tasks seen)."""
    return f"labelstudio/{project}/pulled"


def project_state(ledger: Any, project: str) -> dict:
    """What the last push recorded about ``project`` in ``ledger`` (``{}`` when nothing).

    Keys: ``project_id``, ``url`` and ``class_names`` (class names in class order).
    """
    return ledger.get_state(project_state_key(str(project))) or {}


def same_server(recorded: Any, url: Any) -> bool:
    """Whether a recorded server address is ``url`` (a trailing ``/`` aside)."""
    return str(recorded or "").rstrip("/") == str(url).rstrip("/")


def recorded_title(ledger: Any, project: str, url: str) -> str:
    """The title under which ``ledger`` recorded ``project`` when it is the id of a
    project the ledger pushed to on the server at ``url`` (``"12"`` -> ``"SMS round
    1"``); else ``project`` itself. An id is looked up first, as Label Studio finds a
    project by id before title (a project titled ``"123"`` is not project id 123)."""
    text = str(project).strip()
    if not text.isdigit():
        return str(project)
    prefix = project_state_key("")
    for key in ledger.state_keys(prefix):
        state = ledger.get_state(key) or {}
        # a project's own state holds its classes; the pull's (key ending /pulled) not
        if ("class_names" in state and state.get("project_id") == int(text)
                and same_server(state.get("url"), url)):
            return key[len(prefix):]
    return str(project)


def record_project_state(ledger: Any, project: str, *, project_id: int, url: str,
                         class_names: Sequence[str]) -> None:
    """Record a project's id, server address and class names (never the API key)."""
    ledger.set_state(project_state_key(project), {"project_id": int(project_id), "url": url,
                                                  "class_names": list(class_names)})


# ---------------------------------------------------------------------------- the file

def check_ledger_path(ledger: Any, *, must_exist: bool) -> str | None:
    """The file path of ``ledger`` (a Ledger or a path), checked; ``None`` for ``:memory:``.

    Nothing is created: a missing file is refused when ``must_exist``, else created later,
    once there is something to write.

    Raises
    ------
    InvalidSettingError
        ``ledger`` is neither a Ledger nor a path.
    LedgerError
        The path is a folder, lies under a file, or is missing when ``must_exist``.
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


@contextmanager
def open_ledger(ledger: Any) -> Iterator[Any]:
    """The Ledger of ``ledger``: the instance itself, or one opened on a path and closed
    on exit."""
    from dataqa.ledger import Ledger

    if isinstance(ledger, Ledger):
        yield ledger
        return
    opened = Ledger(ledger)
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def ledger_lock(path: str | None, *, wait: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the Label Studio lock of a ledger: one push or pull at a time per ledger.

    An exclusive ``flock`` on ``<ledger>.lock`` (kept beside the ledger, like SQLite's
    ``-wal`` file); it serialises processes and threads alike and is released when the
    holder exits, even when killed. ``path=None`` (an in-memory ledger) holds nothing.

    Raises
    ------
    LedgerError
        Another push or pull held the lock for more than ``wait`` seconds.
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
