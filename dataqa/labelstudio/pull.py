"""Pull a project's annotations from Label Studio into the ledger, in named steps.

Each annotation is stored as a ``human`` label of the task's item (matched through ``data.dataqa_id``)
with ``labelstudio:<project id>:<task id>:<annotation id>`` as its external id, so pulling
twice adds nothing and an annotation changed in the UI updates its row.

The steps, in order (all under the ledger lock):

1. :func:`_fetch`: the project, and the tasks to export (all of them, or those changed
   since the last pull's watermark); every server call comes before any write;
2. :func:`_read_task`: one exported task -> its annotations (skipped, empty, invalid apart);
3. :func:`_compare`: each annotation against the ledger (new, updated or unchanged);
4. :func:`_reuse`: annotations of tasks not exported again, read back from the ledger;
5. the ledger rows and the pull's state are written, in one transaction, with what
   changed since earlier pulls (:mod:`~dataqa.labelstudio.pull_changes`: answers
   withdrawn, Skips of the open active-learning round, tasks deleted);
6. :func:`_result`: the annotations as a table and the :class:`PullReport`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dataqa.labelstudio.client import DEFAULT_TIMEOUT, LabelStudioClient, client_session
from dataqa.labelstudio.config import config_classes, config_object
from dataqa.labelstudio.ledger_state import (
    AnswerOrigin,
    answer_prefix,
    check_ledger_path,
    choices_changed,
    ledger_lock,
    open_ledger,
    plain_answer_prefix,
    project_state,
    pulled_state_key,
    pushed_to,
    record_answer_origin,
    record_project_state,
    same_project,
)
from dataqa.labelstudio.pull_changes import (
    deleted_tasks,
    forget_deleted_tasks,
    skip_in_round,
    withdraw,
)
from dataqa.labelstudio.reports import PullReport, PullResult

__all__ = ["pull_project", "pull_annotations"]

logger = logging.getLogger(__name__)

_PULL_COLUMNS = ["id", "label", "label_name", "annotator", "created_at", "updated_at",
                 "lead_time", "task_id", "annotation_id", "status"]
_SKIP_COLUMNS = ["id", "annotator", "task_id", "annotation_id", "created_at"]
_INVALID_COLUMNS = [*_SKIP_COLUMNS, "choice"]

#: Tasks changed up to this many seconds before the last pull's newest change are re-read.
_WATERMARK_MARGIN_S = 5.0


@dataclass
class _Fetched:
    """What the server said: the project, its classes and the tasks exported this time."""

    project_id: int
    title: str
    class_names: list[str]
    from_name: str
    state: dict | None       # the last pull's state (None: export everything)
    changed: set[int]        # tasks listed as changed since the watermark
    exported: list[dict]     # exported tasks, each with its annotations
    users: dict[int, str]    # user id -> e-mail
    previous: dict | None = None  # the last pull's state, also with full=True
    url: str = ""            # the server's address
    deleted: list[str] | None = None  # items whose recorded task is gone (full pulls)
    created_at: str | None = None  # when the project was created (tells reused ids apart)
    origin: AnswerOrigin | None = None  # where this project's answers are kept


@dataclass
class _TaskAnnotations:
    """One exported task read: its annotations and those set apart."""

    rows: list[dict]
    skipped: list[dict]
    empty: list[dict]
    invalid: list[dict]
    unmatched: bool          # annotated, but not an item of this ledger
    # annotations that hold a choice this pull cannot read (a class outside the project,
    # or results under another name): the project's config may have changed, so what an
    # earlier pull stored of them is kept, not withdrawn
    unreadable: list[int] = field(default_factory=list)

    def state_entry(self, updated_at: str | None) -> dict:
        """The task's entry in the pull state (short keys: the state holds every task)."""
        stored = [int(r["annotation_id"]) for r in self.rows] + list(self.unreadable)
        entry: dict[str, Any] = {key: value for key, value in (
            ("s", self.skipped), ("e", self.empty), ("v", self.invalid), ("x", self.unmatched),
            ("a", sorted(stored))) if value}
        entry["u"] = updated_at
        return entry


def _external_id(prefix: str, task_id: int, annotation_id: int) -> str:
    """The ledger's external id of one annotation (``prefix``: see
    :func:`~dataqa.labelstudio.ledger_state.answer_prefix`)."""
    return f"{prefix}{int(task_id)}:{int(annotation_id)}"


def _parse_time(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _server_time(text: str, *, minus_seconds: float = 0.0) -> str:
    """An ISO time as the Data Manager filter wants it (UTC, microseconds, ``Z``)."""
    from datetime import UTC, timedelta

    t = _parse_time(text).astimezone(UTC) - timedelta(seconds=minus_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _annotator(who: Any, users: Mapping[int, str]) -> str | None:
    if isinstance(who, Mapping):
        return who.get("email") or str(who.get("id"))
    return users.get(int(who), str(who)) if who is not None else None


def _lead_time(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


# ---------------------------------------------------------------------------- the steps

def _fetch(client: LabelStudioClient, ledger: Any, project: str | int, *,
           from_name: str | None, full: bool) -> _Fetched:
    """Find the project and export the tasks to read: all annotated tasks on the first
    pull (or with ``full``), else those changed since the last pull's watermark."""
    info = client.get_project(project)
    project_id, title = int(info["id"]), str(info["title"])
    names = config_classes(info.get("label_config", ""), from_name=from_name)
    fname = from_name or config_object(info["label_config"])[0]
    created = info.get("created_at")
    url = str(client.url).rstrip("/")
    origin = answer_prefix(ledger, project_id, url, created)
    previous = ledger.get_state(pulled_state_key(title))
    if previous is not None and not (same_project(previous, project_id, url, created,
                                                  unrecorded_url=True)
                                     and previous.get("prefix", plain_answer_prefix(project_id))
                                     == origin.prefix):
        previous = None  # another project of that title (another server, or made afresh)
    state = None if full else previous
    if choices_changed(state, names):  # every task read again, as with --full
        state = None
    changed: set[int] = set()
    deleted: list[str] | None = None
    if not state or not state.get("watermark"):
        state = None
        deleted = deleted_tasks(client, ledger, title, project_id, created)
        exported = client.export_annotated(project_id)
    else:
        since = _server_time(state["watermark"], minus_seconds=_WATERMARK_MARGIN_S)
        listed = client.list_tasks(project_id, fields=("id", "updated_at"),
                                   updated_after=since)
        seen = state.get("tasks", {})
        changed = {int(t["id"]) for t in listed
                   if (seen.get(str(int(t["id"]))) or {}).get("u") != t.get("updated_at")}
        exported = client.export_annotated(project_id, sorted(changed)) if changed else []
    return _Fetched(project_id=project_id, title=title, class_names=names, from_name=fname,
                    state=state, changed=changed, exported=exported, users=client.users(),
                    previous=previous, url=url, deleted=deleted, created_at=created,
                    origin=origin)


def _read_task(task: Mapping[str, Any], known: set[str], names: list[str], fname: str,
               users: Mapping[int, str]) -> _TaskAnnotations:
    """One exported task -> its annotations with a class, and those set apart."""
    out = _TaskAnnotations(rows=[], skipped=[], empty=[], invalid=[], unmatched=False)
    item_id = (task.get("data") or {}).get("dataqa_id")
    if item_id is None or str(item_id) not in known:
        out.unmatched = bool(task.get("annotations"))
        return out
    item_id = str(item_id)
    for a in task.get("annotations") or []:
        base = {"id": item_id, "annotator": _annotator(a.get("completed_by"), users),
                "task_id": int(task["id"]), "annotation_id": int(a["id"]),
                "created_at": a.get("created_at")}
        if a.get("was_cancelled"):
            out.skipped.append(base)
            continue
        choice = None
        for r in a.get("result") or []:
            if r.get("type") == "choices" and r.get("from_name", fname) == fname:
                chosen = (r.get("value") or {}).get("choices") or []
                if chosen:
                    choice = chosen[0]
                    break
        if choice is None:
            out.empty.append(base)
            if any(r.get("type") == "choices" and r.get("from_name", fname) != fname
                   and (r.get("value") or {}).get("choices")
                   for r in a.get("result") or []):  # a choice under another name
                out.unreadable.append(int(a["id"]))
            continue
        if choice not in names:  # reported and left out; the rest of the pull goes on
            out.invalid.append({**base, "choice": str(choice)})
            out.unreadable.append(int(a["id"]))
            continue
        out.rows.append({**base, "label": names.index(choice), "label_name": choice,
                         "updated_at": a.get("updated_at"), "lead_time": a.get("lead_time")})
    return out


@dataclass
class _LabelCodec:
    """How a chosen class is stored in the ledger, by the type of the ledger's classes.

    - classes that are names (``dataqa al init`` with a text label column): the name;
    - classes that are numbers, and a choice that is a number: that number;
    - otherwise (no class known yet, or numbered classes shown under names): the
      position of the choice's name in ``stable``, the project's classes as the ledger
      first knew them (as the push mapped them), classes added later after them. A
      position in the project's choices as they are now would change its meaning when
      the choices are reordered or a class is put between two in Label Studio.

    ``names``: the project's classes now, then those of ``stable`` it no longer has (an
    answer an earlier pull stored of a class since taken out keeps its name).
    """

    names: list[str]
    kind: str | None
    stable: list[str] | None = None

    def store(self, index: int) -> Any:
        name = self.names[index]
        if self.kind == "str":
            return name
        number = _int_text(name) if self.kind == "int" else None
        if number is not None:
            return number
        return index if self.stable is None else self.stable.index(name)

    def index(self, stored: Any) -> int:
        """The position in ``names`` of a stored label (inverse of store)."""
        if isinstance(stored, str) and stored in self.names:
            return self.names.index(stored)
        if self.kind == "int" and str(stored) in self.names:
            return self.names.index(str(stored))
        if isinstance(stored, str) and _int_text(stored) is None:
            # a class name the project no longer has, from an earlier pull: kept by name
            self.names.append(stored)
            return len(self.names) - 1
        k = int(stored)
        if self.stable is not None and 0 <= k < len(self.stable) \
                and self.stable[k] in self.names:
            return self.names.index(self.stable[k])
        return k


def _codec(names: list[str], kind: str | None, known: list[str] | None) -> _LabelCodec:
    """The codec of a pull: ``known``, the classes the ledger recorded for the project (by
    the last pull, else by the push; None: none recorded), keep their positions."""
    stable = list(known) if known else list(names)
    stable += [n for n in names if n not in stable]
    return _LabelCodec(list(names) + [n for n in stable if n not in names], kind, stable)


def _int_text(name: str) -> int | None:
    text = str(name).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _compare(rows: list[dict], before: pd.DataFrame, prefix: str,
             codec: _LabelCodec) -> list[dict]:
    """Set each row's ``status`` against the ledger (new, updated, unchanged); return the
    ledger rows to upsert."""
    from dataqa.ledger import to_utc_iso

    prior = {ext: (lab, ann, upd, _lead_time(lt)) for ext, lab, ann, upd, lt in zip(
        before["external_id"], before["label"], before["annotator"], before["updated_at"],
        before["lead_time"], strict=True)}
    upserts = []
    for r in rows:
        ext = _external_id(prefix, r["task_id"], r["annotation_id"])
        lead_time = None if r["lead_time"] is None else float(r["lead_time"])
        r["created_at"], r["updated_at"] = to_utc_iso(r["created_at"]), to_utc_iso(r["updated_at"])
        stored = codec.store(r["label"])
        old = prior.get(ext)
        if old is None:
            r["status"] = "new"
        else:
            same = old == (stored, r["annotator"], r["updated_at"], lead_time)
            r["status"] = "unchanged" if same else "updated"
        upserts.append({"item_id": r["id"], "label": stored, "source": "human", "external_id": ext,
                        "annotator": r["annotator"], "created_at": r["created_at"],
                        "updated_at": r["updated_at"], "lead_time": lead_time})
    return upserts


def _reuse(before: pd.DataFrame, codec: _LabelCodec, redone: set[int],
           state: dict) -> list[dict]:
    """Rows of the annotations earlier pulls of this title recorded for tasks not exported
    this time: those its state lists (every answer of a listed task in a state written
    before the lists were kept), not another server's answers numbered alike."""
    tasks, legacy = state.get("tasks", {}), "url" not in state
    rows = []
    for ext, item_id, lab, ann, created, upd, lt in zip(
            before["external_id"], before["id"], before["label"], before["annotator"],
            before["created_at"], before["updated_at"], before["lead_time"], strict=True):
        task_id, annotation_id = ext.split(":")[-2:]
        entry = tasks.get(str(int(task_id)))
        if entry is None or (not legacy and int(annotation_id) not in entry.get("a", ())):
            continue
        if int(task_id) not in redone:
            k = codec.index(lab)
            rows.append({"id": item_id, "label": k, "label_name": codec.names[k],
                         "annotator": ann, "created_at": created, "updated_at": upd,
                         "lead_time": lt, "task_id": int(task_id),
                         "annotation_id": int(annotation_id), "status": "unchanged"})
    return rows


def _pull_locked(client: LabelStudioClient, project: str | int, ledger: Any, *,
                 from_name: str | None, full: bool, t0: float) -> PullResult:
    """The pull itself, under the ledger lock: every server call comes before any write."""
    with open_ledger(ledger) as ledger_db:
        fetched = _fetch(client, ledger_db, project, from_name=from_name, full=full)
        project_id, names, state = fetched.project_id, fetched.class_names, fetched.state
        known = set(ledger_db.items()["id"])
        redone = {int(t["id"]) for t in fetched.exported} | fetched.changed
        tasks_state: dict[str, dict] = {} if state is None else {
            k: v for k, v in state.get("tasks", {}).items() if int(k) not in redone}
        rows: list[dict] = []
        stamps = [state["watermark"]] if state else []
        unreadable: set[str] = set()
        for task in fetched.exported:
            read = _read_task(task, known, names, fetched.from_name, fetched.users)
            rows.extend(read.rows)
            unreadable.update(_external_id(fetched.origin.prefix, int(task["id"]), a)
                              for a in read.unreadable)
            tasks_state[str(int(task["id"]))] = read.state_entry(task.get("updated_at"))
            if task.get("updated_at"):
                stamps.append(task["updated_at"])

        before = ledger_db.labels(source="human")
        ext = before["external_id"].fillna("")  # (not those moved to another server's)
        before = before[ext.str.startswith(fetched.origin.prefix)
                        & ~ext.isin(list(fetched.origin.renames))]
        from dataqa.active.labels import CONFIG_KEY, ledger_classes

        classes, kind = ledger_classes(ledger_db)
        pushed = project_state(ledger_db, fetched.title)
        known = ((fetched.previous or {}).get("classes")
                 or (pushed.get("class_names") if same_project(
                     pushed, project_id, fetched.url, fetched.created_at) else None))
        # (fixed at the first pull: the positions a pull stored must not make the classes
        # numbers, which would store a class named "3" as 3 on the next)
        here = pushed_to(ledger_db, fetched.title, project_id, fetched.url, fetched.created_at)
        stored_as = _stored_as(ledger_db, fetched, names, kind, full=full)
        codec = _codec(list(names), stored_as, known)
        upserts = _compare(rows, before, fetched.origin.prefix, codec)
        # a new label of an item an active-learning round picked, from a project that
        # item was pushed to as an active-learning batch, belongs to that round (the
        # latest one that picked it), as `al label` records it; a label from a review
        # project of the same item belongs to no round
        round_of: dict = {}
        rounds = ledger_db.rounds()
        for r, batch in zip(rounds["round"], rounds["batch_ids"], strict=True):
            round_of.update(dict.fromkeys(batch, int(r)))
        in_batches: set = set()
        for q in ledger_db.queues().itertuples(index=False):
            if q.kind == "active" and q.project == fetched.title:
                in_batches.update(ledger_db.queue_items(q.name))
        for u in upserts:
            u["round"] = round_of.get(u["item_id"]) if u["item_id"] in in_batches else None
        declared = (ledger_db.get_state(CONFIG_KEY) or {}).get("classes") or []
        new_classes = _new_classes(classes if declared else [], upserts, codec)
        if not declared and known:  # a class added in Label Studio since the push
            added = {n for n in names if n not in known}
            new_classes = sorted({codec.names[codec.index(u["label"])] for u in upserts
                                  if not isinstance(u["label"], str) or u["label"] in names}
                                 & added)
        if state is not None:  # rows of tasks not exported again come from the ledger
            rows.extend(_reuse(before, codec, redone, state))
        watermark = max(stamps, key=_parse_time) if stamps else None
        with ledger_db.transaction():  # the answers and the pull's state: all or nothing
            record_answer_origin(ledger_db, fetched.origin)
            n_new, n_updated = (ledger_db.upsert_external_labels(upserts) if upserts
                                else (0, 0))
            n_withdrawn = withdraw(ledger_db, before, upserts, redone, unreadable, fetched,
                                    every_task=state is None)
            round_skips = skip_in_round(ledger_db, tasks_state, in_batches, fetched.title)
            deleted = forget_deleted_tasks(ledger_db, fetched)
            ledger_db.set_state(pulled_state_key(fetched.title), {
                "project_id": project_id, "url": fetched.url,
                "created_at": fetched.created_at, "prefix": fetched.origin.prefix,
                "watermark": watermark, "tasks": tasks_state, "classes": codec.stable,
                "label_kind": codec.kind, "config_classes": list(names)})
            if (known and list(names) != list(known) and list(names[:len(known)]) == list(known)
                    and pushed.get("class_names") == list(known)):
                # classes added after the others in Label Studio: the project's classes
                # now, for the next push (positions of the others unchanged)
                record_project_state(ledger_db, fetched.title, project_id=project_id,
                                     url=pushed.get("url", fetched.url),
                                     class_names=list(names),
                                     created_at=pushed.get("created_at"))

    return _result(fetched, rows, tasks_state, n_new=n_new, n_updated=n_updated, t0=t0,
                   new_classes=new_classes, n_withdrawn=n_withdrawn, round_skips=round_skips,
                   tasks_deleted=deleted, pushed_here=here)


def _stored_as(ledger_db: Any, fetched: Any, names: list[str], kind: str | None, *,
               full: bool) -> str | None:
    """How this project's answers are stored (the codec's kind): fixed at its first pull
    and kept. A state from before it was kept goes on as its pulls did (``kind``, the
    ledger's), warning when they may have stored classes named by numbers two ways."""
    from dataqa.active.labels import ledger_classes

    previous = fetched.previous or {}
    if "label_kind" in previous:
        return previous["label_kind"]
    first = ledger_classes(ledger_db, pulled=False)[1]
    numbered = ", ".join(repr(n) for n in names if _int_text(n) is not None)
    if previous and not full and first != kind and numbered:
        import warnings

        from dataqa._caller import caller_stacklevel

        warnings.warn(
            f"project {fetched.title!r} has classes named by numbers ({numbered}), and an "
            f"earlier version of dataqa could store such an answer as the class's position "
            f"on one pull and as its number on the next: pull it once with --full (API: "
            f"full=True) to store every answer again one way.", UserWarning,
            stacklevel=caller_stacklevel())
    return kind if previous else first


def _new_classes(classes: list[Any], upserts: list[dict], codec: _LabelCodec) -> list[str]:
    """Classes of the pulled labels that are not among the ledger's ``classes``, by their
    names in the project (none when the ledger declares no class, as a ledger that only
    pushed queues: then the project's classes are its classes, and the labels define
    which are used)."""
    from dataqa.active.labels import OUT_OF_SCOPE_LABELS

    if not classes:
        return []
    new = sorted({str(u["label"]) for u in upserts
                  if u["label"] not in OUT_OF_SCOPE_LABELS} - {str(c) for c in classes})
    named = []
    for label in new:
        try:
            name = codec.names[codec.index(label)]
        except (ValueError, IndexError, TypeError):
            name = label
        named.append(name if name == label else f"{name} (stored as {label})")
    return named


def _result(fetched: _Fetched, rows: list[dict], tasks_state: dict[str, dict], *,
            n_new: int, n_updated: int, t0: float,
            new_classes: list[str] | None = None, n_withdrawn: int = 0,
            round_skips: tuple[int, list[str], list[str]] | None = None,
            tasks_deleted: list[str] | None = None, pushed_here: bool = True) -> PullResult:
    """The annotations as a table, and the report with what was set apart."""
    report = PullReport(project=fetched.title, project_id=fetched.project_id,
                        n_annotations=len(rows), n_new=n_new, n_updated=n_updated,
                        n_unchanged=len(rows) - n_new - n_updated,
                        new_classes=list(new_classes or []), n_withdrawn=n_withdrawn,
                        tasks_deleted=list(tasks_deleted or []), pushed_by_this_ledger=pushed_here)
    if round_skips is not None:
        number, new, gone = round_skips
        report.round_skipped = (number, list(new)) if new else None
        report.round_unskipped = (number, list(gone)) if gone else None
    apart = {key: [r for e in tasks_state.values() for r in e.get(key, [])]
             for key in ("s", "e", "v")}
    report.skipped = pd.DataFrame(apart["s"], columns=_SKIP_COLUMNS)
    report.empty = pd.DataFrame(apart["e"], columns=_SKIP_COLUMNS)
    report.invalid = pd.DataFrame(apart["v"], columns=_INVALID_COLUMNS)
    report.unmatched_tasks = sorted(int(k) for k, e in tasks_state.items() if e.get("x"))
    for line in report.invalid_messages():  # the caller reports them (report.invalid)
        logger.info("%s", line)
    report.seconds = time.perf_counter() - t0
    annotations = pd.DataFrame(rows, columns=_PULL_COLUMNS)
    annotations["lead_time"] = pd.to_numeric(annotations["lead_time"],
                                             errors="coerce").astype(float)
    annotations = annotations.sort_values(["task_id", "annotation_id"],
                                          kind="mergesort").reset_index(drop=True)
    if len(annotations):
        newest = annotations.assign(_who=annotations["annotator"].astype("string").fillna(""))
        newest = newest.drop_duplicates(["id", "_who"], keep="last")
        n = newest.assign(_key=newest["label"].map(str)).groupby("id", sort=False)["_key"].nunique()
        report.disagreements = n.index[n > 1].tolist()
    logger.info("%s", report)
    return PullResult(annotations=annotations, report=report)


# ---------------------------------------------------------------------------- pull

def pull_project(*, project: str | int, ledger: Any, url: str | None = None,
                 api_key: str | None = None, client: LabelStudioClient | None = None,
                 from_name: str | None = None, full: bool = False,
                 timeout: float = DEFAULT_TIMEOUT) -> PullResult:
    """Fetch every completed annotation of a project and record it in the ledger.

    Each annotation is stored as a ``human`` label of the task's item (matched through
    ``data.dataqa_id``) with the Label Studio annotation id as its external id: pulling
    twice adds nothing, and an annotation changed in the UI since the last pull updates
    its row instead of adding one. The label is stored in the type of the ledger's
    classes: the class name when they are names (a ledger of ``dataqa al init`` with
    ``ham``/``spam`` labels), the number when they are numbers, else the position of the
    choice in the project's classes. The returned table always gives both (``label`` =
    position, ``label_name``).

    The first pull exports every annotated task. Later pulls ask the server for the tasks
    changed since the newest change the previous pull saw (a few seconds of margin) and
    export only those; the annotations of the other tasks are read back from the ledger.
    ``full=True`` exports everything again.

    An answer an earlier pull stored that is no answer now (skipped, emptied or
    deleted) is withdrawn: its row stays in the
    ledger's history (:meth:`~dataqa.ledger.Ledger.labels` with ``withdrawn=True``) but
    no longer counts, and a warning names the items. A pull finds those of the tasks it
    exports, so answers of a task deleted in Label Studio only with ``full=True``. An
    answer given again counts again. A pull writes all its rows or none (Ctrl-C leaves
    the ledger as it was).

    Parameters
    ----------
    project : str or int
        Project title or id.
    ledger : Ledger or path
    url, api_key : str, optional
        Default ``$LABEL_STUDIO_URL`` and ``$LABEL_STUDIO_API_KEY``.
    client : LabelStudioClient, optional
    from_name : str, optional
        The ``<Choices>`` to read when the config has several.
    full : bool
        Export every annotated task, not only those changed since the last pull.
    timeout : float
        Seconds to wait for one response (exports get 10x); ignored with ``client``.

    Returns
    -------
    PullResult
        ``annotations``: one row per completed annotation (see :class:`PullResult`);
        ``report``: a :class:`PullReport` with the skipped, empty and invalid
        annotations (a class that is not the project's) listed apart; invalid ones are
        not stored.

    Raises
    ------
    LedgerError
        The ledger file does not exist (nothing is created).
    LabelStudioConnectionError, LabelStudioAuthError, LabelStudioProjectError
        Raised before anything is written to the ledger.
    """
    t0 = time.perf_counter()
    ledger_path = check_ledger_path(ledger, must_exist=True)
    try:
        with (client_session(client, url, api_key, timeout=timeout) as server,
              ledger_lock(ledger_path)):
            return _pull_locked(server, project, ledger, from_name=from_name, full=full, t0=t0)
    except KeyboardInterrupt as exc:  # said by the command line
        exc.dataqa_note = (  # type: ignore[attr-defined]
            f"the pull of project {project!r} stopped before it finished; a pull writes all "
            f"its answers or none, so run it again: nothing is stored twice.")
        raise


def pull_annotations(*, project: str | int, ledger: Any, url: str | None = None,
                     api_key: str | None = None, client: LabelStudioClient | None = None,
                     from_name: str | None = None, full: bool = False,
                     timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """:func:`pull_project` (same parameters and errors), returning the annotations.

    Returns
    -------
    DataFrame
        One row per completed annotation: ``id`` (item id), ``label`` (class index, in the
        order of the project's choices), ``label_name``, ``annotator`` (e-mail),
        ``created_at``, ``updated_at`` (ISO-8601 UTC), ``lead_time`` (seconds),
        ``task_id``, ``annotation_id`` and ``status`` (``new``, ``updated`` or
        ``unchanged`` relative to the ledger before the pull). ``df.attrs["report"]`` is
        the :class:`PullReport` (``pull_project(...).report``).
    """
    return pull_project(project=project, ledger=ledger, url=url, api_key=api_key,
                        client=client, from_name=from_name, full=full,
                        timeout=timeout).to_frame()
