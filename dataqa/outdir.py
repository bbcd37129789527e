"""Output folders written whole or marked incomplete.

A command writes several files into its folder (an audit: ``issues.csv``,
``pred_probs.npy``, ``items.parquet``, ``summary.json``, ``report.html``...). Each file
is written atomically (a temporary file renamed into place), but a run stopped between
two files (Ctrl-C, a kill, a full disk) would leave some files of the new run beside
others of the previous one, and a later command would read the mix as one run's.

:func:`writing_folder` marks the folder while files are written: ``INCOMPLETE.json``
(what was writing it, since when) is made before the first file and removed after the
last. A run that stops between the two leaves the mark, and :func:`check_complete`
(called by every reader of such a folder, e.g. :meth:`dataqa.audit.AuditResult.load`)
refuses the folder, naming the command to run again. Running the command again
rewrites every file and removes the mark. A second run writing into the same folder
while the first one is (a live process on this machine) is refused, also when both
start at the same moment.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dataqa.errors import IncompleteFolderError, InvalidSettingError

__all__ = ["MARK_NAME", "writing_folder", "check_complete", "refuse_if_being_written",
           "stopped_run", "write_text_atomic", "set_command_line"]

#: The mark a folder holds while (or, after a stopped run, since) files are written.
MARK_NAME = "INCOMPLETE.json"

#: Seconds a run waits for the lock on its output folder (held by another run only while
#: it looks at and replaces the mark).
LOCK_WAIT = 10.0

#: Folders this process marks now (a save inside a command's own marked stretch).
_ACTIVE: set[Path] = set()

#: The command line running now (set by the command-line interface), named in a mark.
_COMMAND: dict[str, str | None] = {"line": None}


def set_command_line(line: str | None) -> None:
    """Say which command line runs now (``None`` after it), for the marks it writes."""
    _COMMAND["line"] = line


def _what(default: str) -> str:
    return _COMMAND["line"] or default


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all: a temporary file of a name
    no other run uses, renamed into place, removed when the write fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _read_mark(mark: Path) -> dict:
    try:
        data = json.loads(mark.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object, host: object) -> bool:
    """Whether ``pid`` is a running process of this machine (not this one)."""
    if host != socket.gethostname() or not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # (another user's process)
    return True


def _refusal(out: str | os.PathLike, mark: Path, old: dict) -> InvalidSettingError:
    return InvalidSettingError(
        f"{str(out)!r} is being written by another run now ({old.get('command')}, "
        f"process {old.get('pid')}, since {old.get('started_at')}); wait for it to "
        f"finish, or give another output folder (if no run is going, delete "
        f"{str(mark)!r}).")


def refuse_if_being_written(out: str | os.PathLike) -> None:
    """Refuse folder ``out`` while another live run on this machine writes into it (its
    mark names a running process); a stopped run's mark is no obstacle.

    Raises
    ------
    InvalidSettingError
        Naming that run, and the mark to delete if no run is going (a process id reused
        after a kill).
    """
    mark = Path(out) / MARK_NAME
    if not mark.is_file():
        return
    old = _read_mark(mark)
    if _alive(old.get("pid"), old.get("host")):
        raise _refusal(out, mark, old)


@contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on folder ``out`` (``flock`` on the folder itself: no file
    is left behind) while the caller looks at its mark and replaces it; where there is no
    ``flock`` (Windows) or the folder cannot be opened so, no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    try:
        fd = os.open(out, os.O_RDONLY)
    except OSError:  # pragma: no cover
        yield
        return
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # (dataqa holds it for milliseconds; another program
                if time.monotonic() >= deadline:  # may hold it for long: `flock DIR cmd`)
                    raise InvalidSettingError(
                        f"{str(out)!r} is locked by another process (a lock on the folder "
                        f"itself, held for more than {LOCK_WAIT:.0f} s; dataqa holds it only "
                        f"while it marks the folder): let that process finish, or give "
                        f"another output folder.") from None
                time.sleep(0.02)
            except OSError:  # pragma: no cover - a file system without locks
                break
        yield
    finally:
        os.close(fd)  # (closing releases the lock)


def _claim(out: Path, text: str) -> None:
    """Make ``out``'s mark holding ``text``, unless a live run's mark is there.

    Looking at the mark and replacing it happen under a lock on the folder, so of two
    runs starting at once one writes its mark and the other then finds it and is refused;
    the mark is replaced in one step (a rename), so a stopped run's mark is never gone
    before the new one is in place."""
    mark = out / MARK_NAME
    tmp = mark.with_name(f".{MARK_NAME}.{secrets.token_hex(6)}.tmp")
    write_text_atomic(tmp, text)
    try:
        with _folder_lock(out):
            refuse_if_being_written(out)
            os.replace(tmp, mark)
            _remove_stale_temporaries(out)
    finally:
        tmp.unlink(missing_ok=True)


#: A temporary file of :func:`write_text_atomic` older than this (seconds) is left over
#: from a run killed while it wrote (a run's own lives for milliseconds, or for as long
#: as it waits for the folder lock: :data:`LOCK_WAIT`).
STALE_TEMPORARY = 600.0


def _remove_stale_temporaries(out: Path) -> None:
    """Remove the temporary files (``.NAME.<12 hex digits>.tmp``) that a run killed while
    writing left in ``out`` (no ``finally`` runs after SIGKILL), once they are older than
    :data:`STALE_TEMPORARY`; files of other names are never touched."""
    import re

    now = time.time()
    pattern = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")
    try:
        entries = list(os.scandir(out))
    except OSError:  # pragma: no cover - an unreadable folder: nothing to tidy
        return
    for entry in entries:
        try:
            if (pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY):
                os.unlink(entry.path)
        except OSError:  # pragma: no cover - gone meanwhile, or not ours to remove
            continue


@contextmanager
def writing_folder(out: str | os.PathLike, command: str, *, stage: str = "main",
                   details: dict | None = None) -> Iterator[Path]:
    """Mark folder ``out`` incomplete while the ``with`` block writes into it.

    ``command`` says what writes it (the API method; the command line as typed when a
    ``dataqa`` command runs), for the message of a later reader when this run does not
    finish. Nested uses for one folder (a command around a ``save``) keep the outer mark.
    ``stage`` names which files the run writes, for readers that need only some of them
    (``"review"``: a review plan or estimate adds files to an audit's folder and leaves
    the audit's own untouched; see :func:`check_complete`'s ``allow``). ``details`` go
    into the mark too, for a run that starts again after this one stopped (see
    :func:`stopped_run`). Of two runs starting at once into one folder, one writes and
    the other is refused.

    Raises
    ------
    InvalidSettingError
        Another process on this machine is writing into ``out`` now.
    """
    out = Path(out)
    key = out.resolve()
    if key in _ACTIVE:
        yield out
        return
    out.mkdir(parents=True, exist_ok=True)
    mark = out / MARK_NAME
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    _claim(out, json.dumps({
        "command": _what(command), "pid": os.getpid(), "host": socket.gethostname(),
        "started_at": started, "stage": stage,
        "note": "This folder was being written when that run stopped (interrupted, killed, "
                "or an error such as a full disk): its files may be of two runs. Run the "
                "command again; it removes this file when it finishes.", **(details or {})},
        indent=2) + "\n")
    _ACTIVE.add(key)
    try:
        yield out
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) and not getattr(exc, "dataqa_note", None):
            exc.dataqa_note = (f"{str(out)!r} was being written and is incomplete "
                               f"({MARK_NAME}); run the command again")
        if isinstance(exc, OSError):
            exc.dataqa_marked = str(out)  # (said by the command line's error)
            if exc.filename is None and exc.errno in (errno.ENOSPC, errno.EDQUOT,
                                                      errno.EROFS):
                exc.filename = str(out)  # (a full disk met by write(): no file named)
        raise
    else:
        mark.unlink(missing_ok=True)
    finally:
        _ACTIVE.discard(key)


def stopped_run(out: str | os.PathLike) -> dict | None:
    """The mark of a run that stopped while writing folder ``out`` (no live process of
    this machine holds it), with the ``details`` it was given; ``None`` without one."""
    mark = Path(out) / MARK_NAME
    if not mark.is_file():
        return None
    old = _read_mark(mark)
    return None if _alive(old.get("pid"), old.get("host")) else old


def check_complete(out: str | os.PathLike, what: str = "folder", *,
                   allow: tuple[str, ...] = ()) -> dict | None:
    """Refuse a folder whose writing did not finish (it holds :data:`MARK_NAME`).

    A stopped run of a stage in ``allow`` is not refused (its files are not the ones the
    caller reads): its mark is returned, for a warning; else ``None``.

    Raises
    ------
    IncompleteFolderError
        Naming the command that was writing it and when it started.
    """
    out = Path(out)
    mark = out / MARK_NAME
    if not mark.is_file():
        return None
    old = _read_mark(mark)
    if _alive(old.get("pid"), old.get("host")):
        raise IncompleteFolderError(
            f"{what} {str(out)!r} is being written now ({old.get('command')}, process "
            f"{old.get('pid')}); wait for it to finish (if no run is going, delete "
            f"{str(mark)!r}).")
    if old.get("stage", "main") in allow:
        return old
    command = old.get("command") or "the command that writes it"
    raise IncompleteFolderError(
        f"{what} {str(out)!r} is incomplete: `{command}` was writing it (started "
        f"{old.get('started_at', 'at an unknown time')}) and did not finish, so its files "
        f"may be of two runs; run that again (it removes {MARK_NAME} when done).")
