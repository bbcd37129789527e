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
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from dataqa.errors import InvalidSettingError, LedgerError

__all__ = [
    "ANSWER_ORIGINS_KEY",
    "AnswerOrigin",
    "answer_prefix",
    "plain_answer_prefix",
    "record_answer_origin",
    "LOCK_WAIT_S",
    "queue_name",
    "project_state_key",
    "queue_columns_key",
    "pulled_state_key",
    "project_state",
    "record_project_state",
    "record_item_data",
    "recorded_title",
    "recorded_id_states",
    "same_project",
    "pushed_to",
    "same_server",
    "server_address",
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


def choices_changed(state: dict | None, names: Sequence[str]) -> bool:
    """Whether the project's choices ``names`` differ from those of the pull that wrote
    ``state`` (a class added, renamed or moved in Label Studio, which touches no task, so
    that an incremental pull would miss it); for a state written before the choices were
    recorded, whether a class was added."""
    if not state:
        return False
    then = state.get("config_classes")
    if then is not None:
        return list(then) != list(names)
    return bool(set(names) - set(state.get("classes") or names))


def queue_columns_key(queue: str) -> str:
    """The ledger state key holding, per item of the ledger queue ``queue``
    (``"<project>/<queue>"``), the columns a push used besides the shown data: the given
    label, the model's prediction and probability and the score, so that a push from the
    ledger (no ``--from``) builds the same tasks."""
    return f"labelstudio-queue/{queue}"


def project_state(ledger: Any, project: str) -> dict:
    """What the last push recorded about ``project`` in ``ledger`` (``{}`` when nothing).

    Keys: ``project_id``, ``url`` and ``class_names`` (class names in class order).
    """
    return ledger.get_state(project_state_key(str(project))) or {}


def server_address(url: Any) -> str:
    """A server address in one spelling, so that two spellings of one server compare
    equal: scheme and host in lower case, a loopback host (``localhost``, ``127.x.x.x``,
    ``::1``, ``0.0.0.0``) as ``localhost``, the scheme's default port left out, no
    trailing ``/`` (``http://127.0.0.1:8080/`` -> ``http://localhost:8080``). An address
    that cannot be read comes back with only the trailing ``/`` removed."""
    from urllib.parse import urlsplit

    text = str(url or "").strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text if "://" in text else f"http://{text}")
        port = parts.port
    except ValueError:
        return text.rstrip("/")
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if host in ("localhost", "::1", "0.0.0.0") or host.startswith("127."):
        host = "localhost"
    elif ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def same_server(recorded: Any, url: Any) -> bool:
    """Whether a recorded server address is ``url``, however each is spelled
    (:func:`server_address`); an address never recorded is no server."""
    return bool(recorded) and server_address(recorded) == server_address(url)


def same_project(recorded: Any, project_id: Any, url: Any, created_at: Any = None, *,
                 unrecorded_url: bool = False) -> bool:
    """Whether a state a push or pull recorded (``project_id``, ``url``, ``created_at``)
    is of the project with this id on the server at ``url``, created at ``created_at``.

    The creation time tells apart two projects a server numbered alike: a server started
    afresh at the same address numbers its projects from 1 again. When both times are
    known they decide, whatever address reached the server (a host name and its IP
    address are one server). A state that does not record the time (written by an older
    dataqa), or a project whose time is unknown, is judged by id and address; ``unrecorded_url=True`` also accepts a state without an
    address, for states written before it was kept."""
    recorded = recorded or {}
    if recorded.get("project_id") != int(project_id):
        return False
    was = recorded.get("created_at")
    if was and created_at:  # the same id made at the same moment: one project, however
        return _same_time(was, created_at)  # its server was reached (a host name, an IP)
    return (unrecorded_url and "url" not in recorded) or same_server(recorded.get("url"), url)


def _same_time(a: Any, b: Any) -> bool:
    """Whether two ISO times are one moment (``...Z`` and ``...+00:00`` alike); times that
    cannot be read compare as text."""
    ta, tb = _utc_time(a), _utc_time(b)
    if ta is None or tb is None:
        return str(a) == str(b)
    return ta == tb


def _utc_time(value: Any) -> Any:
    """A recorded ISO time (``...Z``, an offset, or none: UTC) as an aware datetime;
    None when it cannot be read."""
    from datetime import datetime

    try:
        t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def recorded_title(ledger: Any, project: str, url: str) -> str:
    """The title under which ``ledger`` recorded ``project`` when it is the id of a
    project the ledger pushed to on the server at ``url`` (``"12"`` -> ``"SMS round
    1"``); else ``project`` itself. An id is looked up first, as Label Studio finds a
    project by id before title (a project titled ``"123"`` is not project id 123). When
    several projects had that id (a server started afresh numbers from 1 again), the one
    made last."""
    text = str(project).strip()
    found = recorded_id_states(ledger, int(text), url) if text.isdigit() else []
    return found[-1][0] if found else str(project)


def recorded_id_states(ledger: Any, project_id: int, url: str) -> list[tuple[str, dict]]:
    """``(title, state)`` of each project a push recorded with this id on the server at
    ``url``, the one made last last (by recorded creation time; one without it counts as
    made first); empty when the ledger pushed to no such id there."""
    prefix = project_state_key("")
    found = []
    for key in ledger.state_keys(prefix):
        state = ledger.get_state(key) or {}
        # a project's own state holds its classes; the pull's (key ending /pulled) not
        if ("class_names" in state and state.get("project_id") == int(project_id)
                and same_server(state.get("url"), url)):
            found.append((key[len(prefix):], state))
    return sorted(found, key=lambda f: _time_key(f[1].get("created_at")))


def pushed_to(ledger: Any, title: str, project_id: int, url: str, created_at: Any) -> bool:
    """Whether ``ledger`` pushed to this project: the state its last push recorded under
    ``title``, or under a title the project had before (renamed in Label Studio since),
    is of this project id on this server, created at ``created_at``."""
    states = [project_state(ledger, title)] + [
        st for _, st in recorded_id_states(ledger, int(project_id), url)]
    return any(same_project(st, project_id, url, created_at, unrecorded_url=True)
               for st in states)


def _time_key(value: Any) -> tuple[int, float]:
    """A sort key of a recorded ISO time; a missing or unreadable one first."""
    t = _utc_time(value)
    return (0, 0.0) if t is None else (1, t.timestamp())


#: The ledger state naming the Label Studio project that each external-id prefix of
#: pulled answers belongs to: ``{project id: [{"url", "created_at", "tag"}, ...]}``.
ANSWER_ORIGINS_KEY = "labelstudio:answer-origins"


def _answer_prefix_of(project_id: int, tag: str) -> str:
    return f"labelstudio:{int(project_id)}{'~' + tag if tag else ''}:"


def plain_answer_prefix(project_id: int) -> str:
    """The prefix of the first project pulled with this id (and of every answer a ledger
    stored before the origins were recorded)."""
    return _answer_prefix_of(project_id, "")


@dataclass
class AnswerOrigin:
    """Where a pull stores a project's answers: ``prefix``, the start of their external
    ids, and what the pull records with them (all None or empty when nothing is new):
    ``origins``, the state under :data:`ANSWER_ORIGINS_KEY`; for a ledger written before
    that state was kept, ``renames`` (``{old external id: new}``) and ``states`` (pull
    states to rewrite, ``{key: state}``) that give another server's project with the same
    id its own prefix."""

    prefix: str
    origins: dict | None = None
    renames: dict[str, str] = field(default_factory=dict)
    states: dict[str, dict] = field(default_factory=dict)


def answer_prefix(ledger: Any, project_id: int, url: str, created_at: str | None
                  ) -> AnswerOrigin:
    """Where the answers pulled from the project with this id on the server at ``url``,
    created at ``created_at``, are kept: the start of their external ids in the ledger
    (``"labelstudio:3:"``), and what to record with them.

    Two servers, or one server started afresh, number their projects, tasks and
    annotations alike; an answer's ids alone would let one project's answers overwrite
    another's. The first project pulled with an id gets the plain prefix; another
    project with that id (another server, or another creation time) gets a tag after
    the id (``"labelstudio:3~5f0c9a1e:"``).

    A ledger written before this record was kept holds answers under the plain prefix
    only. They stay with the project pulling now unless other servers' pull states of
    this id list every one of them. Each other server's project with a pull state of this
    id gets a tag at once, and the answers its state lists move to it.
    """
    origins = ledger.get_state(ANSWER_ORIGINS_KEY) or {}
    key = str(int(project_id))
    entries = [dict(e) for e in origins.get(key, [])]
    for e in entries:
        if same_project({"project_id": int(project_id), **e}, project_id, url, created_at):
            if e.get("created_at") or not created_at:
                return AnswerOrigin(_answer_prefix_of(project_id, e["tag"]))
            e["created_at"] = created_at  # known now: a later project with this id differs
            return AnswerOrigin(_answer_prefix_of(project_id, e["tag"]),
                                {**origins, key: entries})
    out = AnswerOrigin("")
    if not entries:
        entries = _earlier_owners(ledger, project_id, url, created_at, out)
    tag = _new_tag(url, created_at, entries) if any(e["tag"] == "" for e in entries) else ""
    entries.append({"url": server_address(url), "created_at": created_at, "tag": tag})
    out.prefix, out.origins = _answer_prefix_of(project_id, tag), {**origins, key: entries}
    return out


def record_answer_origin(ledger: Any, origin: AnswerOrigin) -> None:
    """Write what :func:`answer_prefix` found new (call inside the pull's transaction):
    the origins, and for a ledger written before they were kept, other servers' answers
    moved to their own prefix and their pull states."""
    if origin.origins is not None:
        ledger.set_state(ANSWER_ORIGINS_KEY, origin.origins)
    if origin.renames:
        ledger.rename_external_labels(origin.renames)
    for key, state in origin.states.items():
        ledger.set_state(key, state)


def _new_tag(url: str, created_at: Any, entries: list[dict]) -> str:
    import hashlib

    taken = {e["tag"] for e in entries}
    for n in range(len(entries), len(entries) + 1000):
        tag = hashlib.sha1(f"{server_address(url)} {created_at or ''} {n}".encode()
                           ).hexdigest()[:8]
        if tag not in taken:
            return tag
    raise LedgerError("could not make a new answer-origin tag")  # pragma: no cover


def _earlier_owners(ledger: Any, project_id: int, url: str, created_at: Any,
                    out: AnswerOrigin) -> list[dict]:
    """The owners of plain-prefix answers of this id stored before the origins were
    recorded, from the pull states of this id (see :func:`answer_prefix`); fills
    ``out.renames`` and ``out.states`` for other servers' projects given a tag here."""
    bare = _answer_prefix_of(project_id, "")
    held = ledger.labels(source="human", withdrawn=True)["external_id"].dropna()
    held = set(held[held.str.startswith(bare)])
    if not held:
        return []
    states = {k: ledger.get_state(k) or {} for k in ledger.state_keys(project_state_key(""))
              if k.endswith("/pulled")}
    states = {k: st for k, st in states.items() if st.get("project_id") == int(project_id)}
    mine = {k for k, st in states.items()
            if same_project(st, project_id, url, created_at, unrecorded_url=True)}
    others = {k: st for k, st in states.items() if k not in mine and st.get("url")}
    listed_others = {f"{bare}{t}:{a}" for st in others.values()
                     for t, e in st.get("tasks", {}).items() for a in e.get("a", ())}
    if others and not mine and held <= listed_others:  # all theirs, by their pulls' lists
        return [{"url": a, "created_at": None, "tag": ""}
                for a in sorted({server_address(st["url"]) for st in others.values()})]
    entries: list[dict] = []
    listed_mine = {f"{bare}{t}:{a}" for k in mine for t, e in states[k].get("tasks", {}).items()
                   for a in e.get("a", ())}
    by_server: dict[str, str] = {}
    for k, st in sorted(others.items()):
        address = server_address(st["url"])
        if address not in by_server:
            by_server[address] = _new_tag(address, st.get("created_at"), entries)
            entries.append({"url": address, "created_at": st.get("created_at"),
                            "tag": by_server[address]})
        prefix = _answer_prefix_of(project_id, by_server[address])
        for t, e in st.get("tasks", {}).items():
            for a in e.get("a", ()):
                old = f"{bare}{t}:{a}"
                if old in held and old not in listed_mine:  # (both listed: it stays here)
                    out.renames[old] = f"{prefix}{t}:{a}"
        out.states[k] = {**st, "prefix": prefix}
    return entries


def record_item_data(ledger: Any, ids: Sequence[str], data: Sequence[dict]) -> None:
    """Store a push's shown data of its items: new items get it; an item already in the
    ledger keeps the values it has (an id stands for one item) and gains the columns it
    lacked, so that a push from the ledger shows the text a later push added to items
    first pushed without it."""
    new = ledger.add_items(ids, data=data)
    if new == len(ids):
        return
    stored = ledger.item_data(ids)
    wider = {i: {**d, **stored[i]} for i, d in zip(ids, data, strict=True)
             if not set(d) <= set(stored[i])}
    if wider:
        ledger.add_items(list(wider), data=list(wider.values()), replace_data=True)


def _shown_form(v: Any) -> Any:
    """A stored value as an annotator reads it, for :func:`check_item_content`: a number
    or a text that reads as one (``1``, ``1.0``, ``'1'``, ``'\u22123'``) as a float, a
    blank text or a missing value as None, other texts with their runs of white space
    as one space; other values as their text."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return float(v)
    text = " ".join(str(v).split())
    if not text:
        return None
    try:
        return float(text.replace("\u2212", "-"))
    except ValueError:
        return text


def check_item_content(ledger: Any, ids: Sequence[str], data: Sequence[dict], *,
                       skip: Sequence[str] = ()) -> None:
    """Refuse a push whose ids name other content than the ledger holds for them (from an
    earlier push, or from ``dataqa al init``): a field both hold reads otherwise (see
    :func:`_shown_form`; fields in ``skip``, such as image paths that may be written
    relative or absolute, are not compared). A task already on the server keeps the old
    content, so the new row would never reach annotators and the old row's answer would
    count as its label. Nothing is sent. Ids new to the ledger pass."""
    from pathlib import Path

    from dataqa.errors import DuplicateIdError
    from dataqa.ledger import Ledger

    if not isinstance(ledger, Ledger):
        path = Path(str(ledger))
        if str(ledger) == ":memory:" or not path.is_file() or path.stat().st_size == 0:
            return
    with open_ledger(ledger) as led:
        stored = led.item_data(ids, missing_ok=True)
    if not stored:
        return
    clashes = []
    for i, d in zip(ids, data, strict=True):
        old = stored.get(i)
        for c in d if old else ():
            if c in old and c not in skip and _shown_form(old[c]) != _shown_form(d[c]):
                clashes.append((i, c, old[c], d[c]))
                break
    if clashes:
        i, c, was, now = clashes[0]

        def shown(v):
            text = str(v)
            return repr(text if len(text) <= 60 else text[:57] + "...")

        raise DuplicateIdError(
            f"{len(clashes)} id(s) of this push name other content than the ledger holds for "
            f"them (e.g. id {i!r}, {c!r}: {shown(was)} in the ledger, {shown(now)} now): an id "
            f"must stay with its item, or the task already made for it (and its answers) "
            f"would stand for the new one. Nothing was sent. Give ids that name each row the "
            f"same way in every file (a column of the rows' own ids; `dataqa drift` without "
            f"--id-column makes ids from the rows' content).")


def record_project_state(ledger: Any, project: str, *, project_id: int, url: str,
                         class_names: Sequence[str], created_at: str | None = None) -> None:
    """Record a project's id, server address, creation time and class names (never the
    API key)."""
    state = {"project_id": int(project_id), "url": url, "class_names": list(class_names)}
    if created_at:
        state["created_at"] = str(created_at)
    ledger.set_state(project_state_key(project), state)


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
