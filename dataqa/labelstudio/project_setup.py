"""What a project created by :func:`push_queue` tells its annotators, and how it lists tasks.

- a **description** and **instructions** per queue kind (Label Studio's
  ``expert_instruction``, shown before labeling with ``show_instruction``): what the
  queue is for, how many items, what a pre-selected class means;
- a **default data-manager view** (``/api/dm/views``) sorted by ``data.priority``
  (dataqa's score: higher = label first) with the useful columns visible, so that the
  table lists the highest-priority item first ("Label All Tasks" serves tasks in the
  order they were created: by priority within each push);
- the project a push goes to, found or created, with the classes it must have
  (:func:`resolve_project`), and the pre-annotations pointed at its tag names.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataqa.errors import (
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioError,
    LabelStudioProjectError,
)
from dataqa.labelstudio.client import LabelStudioClient
from dataqa.labelstudio.config import config_classes, config_object
from dataqa.types import OUT_OF_SCOPE

logger = logging.getLogger(__name__)

#: Class names read as "out of scope" (compared lower-case, spaces as underscores).
_OUT_OF_SCOPE = {"out_of_scope", str(OUT_OF_SCOPE)}

__all__ = ["VIEW_TITLE", "description", "instructions", "view_data", "ensure_view",
           "update_instructions", "check_known_project", "ensure_local_storage"]

#: Title of the data-manager tab dataqa creates.
VIEW_TITLE = "dataqa: by priority"

_PURPOSE = {
    "active": (
        "Active-learning batch: items chosen to teach the model the most per label: those "
        "it is least sure about and, from a drift check, those least like its training "
        "data."),
    "review": (
        "Label-issue review: items whose given label looks wrong to the model (out-of-"
        "sample). Decide the right class yourself."),
    "spot_check": (
        "Weak-label spot check: a sample of items labeled by labeling functions, to "
        "measure how often those labels are right."),
    "verify": (
        "Blind verification: a random sample used to estimate how many labels in the "
        "data set are wrong. No label is shown on purpose."),
}

_PRETICK = {
    "none": "Nothing is pre-selected: choose the class yourself.",
    "given": ("The pre-selected class is the label the data came with (shown as "
              "\u201cgiven-label\u201d). It may be the error under review: change it "
              "when it is wrong."),
    "suggested": ("The pre-selected class is the model's guess (shown as "
                  "\u201cmodel-\u2026\u201d, with the model's probability of that class). "
                  "It is often wrong on these items: change it when it is."),
    "weak": ("The pre-selected class is the weak label (shown as \u201cweak-label\u201d). "
             "Change it when it is wrong."),
}

_HEADER = {
    "active": "The line above the choices shows the model's guess and the item's priority.",
    "review": ("The line above the choices shows the given label, the label the model "
               "suggests and the issue score (higher = more likely mislabeled)."),
    "spot_check": "The line above the choices shows the weak label and the item's priority.",
    "verify": ("Label each item from the item alone, as if you saw it for the first time; "
               "do not try to guess what label it had."),
}


def description(kind: str, queue: str) -> str:
    """The project description (shown in the projects list)."""
    return f"dataqa {kind} queue {queue!r}: {_PURPOSE[kind]}"


def _section(kind: str, queue: str, pretick: str, n_items: int) -> str:
    pre = "weak" if kind == "spot_check" and pretick == "suggested" else pretick
    head = f"<h3>{html.escape(queue)} ({kind} queue, {n_items} item{'s' if n_items != 1 else ''})</h3>"
    return "\n".join([
        head,
        f"<p>{html.escape(_PURPOSE[kind])}</p>",
        f"<p>{html.escape(_PRETICK[pre])} {html.escape(_HEADER[kind])}</p>",
    ])


def instructions(queues: Sequence[tuple[str, str, str, int]],
                 class_names: Sequence[str]) -> str:
    """Annotator instructions (HTML) of a project.

    ``queues``: ``(kind, queue name, pretick, number of items)`` of each queue pushed to
    the project (one section each).
    """
    classes = ", ".join(f"<b>{html.escape(str(c))}</b>" for c in class_names)
    # a verify queue has no priority (its items keep the plan's order, so that no order
    # hints at which ones the model doubts)
    order = ("Items come highest priority first within each push (\u201cLabel All "
             "Tasks\u201d serves them in the order they were sent); the \u201cdataqa: by "
             "priority\u201d tab lists every item by priority, items sent later included."
             if any(q[0] != "verify" for q in queues) else
             "Items come in the order they were pushed (\u201cLabel All Tasks\u201d "
             "serves them so).")
    parts = [f"<p>Choose one class per item: {classes}. {order}</p>"]
    parts += [_section(*q) for q in queues]
    oos = [str(c) for c in class_names if str(c).lower().replace(" ", "_") in _OUT_OF_SCOPE]
    if oos:
        parts.append(
            f"<p>\u201c{html.escape(oos[0])}\u201d means the item belongs to none of the "
            f"other classes (or is not the kind of item this project is about); it is not "
            f"a way to say \u201cnot sure\u201d.</p>")
    parts.append("<p>Skip an item only when you cannot judge it at all; a skipped item is "
                 "not counted.</p>")
    return "\n".join(parts)


def view_data(kind: str, column_ids: Sequence[str]) -> dict:
    """A data-manager view: sorted by priority (descending, as a number), with the text,
    the priority and (review) the two labels visible and the rest hidden.

    ``column_ids`` are the project's data fields as the data manager names them
    (``tasks:data.<field>``).
    """
    shown = {"tasks:id", "tasks:data.priority", "tasks:total_annotations",
             "tasks:annotators", "tasks:data.dataqa_id"}
    hidden_task_columns = [
        "tasks:inner_id", "tasks:completed_at", "tasks:cancelled_annotations",
        "tasks:total_predictions", "tasks:annotations_results", "tasks:annotations_ids",
        "tasks:predictions_score", "tasks:predictions_model_versions",
        "tasks:predictions_results", "tasks:file_upload", "tasks:storage_filename",
        "tasks:created_at", "tasks:updated_at", "tasks:updated_by", "tasks:avg_lead_time",
        "tasks:draft_exists", "tasks:data.context"]
    data_cols = [c for c in column_ids if c.startswith("tasks:data.")]
    if kind == "review":
        shown |= {"tasks:data.given_label", "tasks:data.suggested_label"}
    else:
        hidden_task_columns += ["tasks:data.given_label", "tasks:data.suggested_label"]
    shown |= {c for c in data_cols if c not in hidden_task_columns}
    hidden = sorted(set(hidden_task_columns) - shown)
    return {
        "title": VIEW_TITLE,
        "type": "list",
        "target": "tasks",
        "ordering": ["-tasks:data.priority"],
        "columnsDisplayType": {"tasks:data.priority": "Number"},
        "hiddenColumns": {"explore": hidden, "labeling": hidden},
        "filters": {"conjunction": "and", "items": []},
    }


def ensure_view(client: LabelStudioClient, project_id: int, kind: str,
                data_fields: Sequence[str]) -> dict:
    """Create the project's dataqa view (first, so it is the default tab) unless a view
    with that title exists; returns the view."""
    views = client.request("GET", "/api/dm/views", params={"project": int(project_id)}) or []
    for v in views:
        if (v.get("data") or {}).get("title") == VIEW_TITLE:
            return v
    data = view_data(kind, [f"tasks:data.{f}" for f in data_fields])
    return client.request("POST", "/api/dm/views",
                          json_body={"project": int(project_id), "data": data})


def update_instructions(client: LabelStudioClient, project_id: int, text: str) -> None:
    """Set the project's instructions and show them before labeling."""
    client.request("PATCH", f"/api/projects/{int(project_id)}",
                   json_body={"expert_instruction": text, "show_instruction": True})


def check_known_project(server: LabelStudioClient, ledger: Any, path: str | None,
                        project: str | int) -> None:
    """Refuse a title whose project, as the ledger recorded it, is now titled otherwise
    (renamed in Label Studio): pushing under the old title would create a second project
    with the same items. A recorded project that is gone (deleted) is said, and a new one
    is made. An id the ledger recorded on this server must still be that project (see
    :func:`_check_known_id`)."""
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.ledger_state import project_state, same_project, same_server

    if isinstance(project, int) or str(project).strip().isdigit():
        _with_ledger(ledger, path, lambda led: _check_known_id(server, led, int(project)))
        return
    state = _with_ledger(ledger, path, lambda led: project_state(led, project)) or {}
    known = state.get("project_id")
    if known is None or not same_server(state.get("url"), server.url):
        return  # recorded on another server: its ids say nothing here
    if server.find_project(project) is not None:
        return  # a project has this title: the push goes there, as ever
    info = server.find_project(int(known))
    if info is not None and not same_project(state, int(known), server.url,
                                             info.get("created_at")):
        info = None  # a project made later under that id: the server was started afresh
    if info is None:
        import warnings

        warnings.warn(f"project {project!r} (id {int(known)}), to which this ledger pushed "
                      f"before, is gone from Label Studio at {server.url}; a new project "
                      f"{project!r} is made and the items are pushed again.", UserWarning,
                      stacklevel=4)
    elif str(info.get("title")) != project:
        raise LabelStudioProjectError(
            f"this ledger pushed to project {project!r} as id {int(known)}, which Label Studio "
            f"now titles {info.get('title')!r}: pass --project {info.get('title')!r} to go on "
            f"with it. A push under the old title would create a second "
            f"project holding the same items. Nothing was pushed.")


def _with_ledger(ledger: Any, path: str | None, read: Any) -> Any:
    """``read(ledger)`` on the open ledger, or on the one at ``path`` when it exists;
    None when there is no ledger yet."""
    from pathlib import Path

    from dataqa.ledger import Ledger

    if isinstance(ledger, Ledger):
        return read(ledger)
    if path is not None and Path(path).exists():
        with Ledger(path, create=False) as led:
            return read(led)
    return None


def _check_known_id(server: LabelStudioClient, ledger: Any, project_id: int) -> None:
    """Refuse a push by id to a project the ledger recorded under that id on this server
    when the server no longer holds it: gone (a server started afresh, or the project
    deleted), or the id now numbering a later project (told apart by its creation time).
    A push by title makes the project anew; by id it would make a project titled with the
    number, or fill an unrelated project with the recorded queue's items."""
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.ledger_state import recorded_id_states, same_project

    found = recorded_id_states(ledger, project_id, server.url)
    if not found:
        return
    info = server.find_project(int(project_id))
    live = [] if info is None else [t for t, st in found if same_project(
        st, project_id, server.url, info.get("created_at"))]
    title, state = found[-1]  # the one made last, whose classes and queue a push by id takes
    if title in live:
        return
    if live:
        raise LabelStudioProjectError(
            f"this ledger recorded id {project_id} on {server.url} for several projects; it "
            f"is now {live[-1]!r} (made {info.get('created_at')}): pass --project "
            f"{live[-1]!r} to push its queue there (by id, the ledger takes the project made "
            f"last, {title!r}). Nothing was pushed.")
    now = ("has no project with that id" if info is None else
           f"holds another project under that id, {info.get('title')!r}, made "
           f"{info.get('created_at')} (the ledger's was made {state.get('created_at')})")
    raise LabelStudioProjectError(
        f"this ledger pushed to project {title!r} as id {project_id}, but Label Studio at "
        f"{server.url} now {now}: the server was started afresh or the project deleted. "
        f"Pass --project {title!r} to make it again and push its items there. Nothing was "
        f"pushed.")


def resolve_project(client: LabelStudioClient, project: str | int, *, config: str,
                     names: list[str], kind: str, queue: str = "") -> dict:
    """The project to push to: found by id or title, or created (call under the ledger lock).

    After creating a project the titles are checked again: when another client created
    one with the same title meanwhile, the oldest one is kept and ours (still empty) is
    deleted.
    """
    info = client.find_project(project)
    if info is None:
        if isinstance(project, int):
            raise LabelStudioProjectError(
                f"Label Studio at {client.url} has no project with id {project}; pass a title "
                f"to create one.")
        title = str(project)
        try:
            info = client.create_project(title, config,
                                         description=description(kind, queue or kind))
        except LabelStudioProjectError as exc:
            info = client.find_project(title)  # made by another push at that moment
            if info is None:
                busy = (" The server failed (another push creating a project at the same "
                        "moment can do that: its log then says 'database is locked'); run "
                        "the push again." if "HTTP 5" in str(exc) else "")
                raise LabelStudioProjectError(f"{exc}{busy}") from None
            return _check_classes(info, names)
        same = sorted((p for p in client.projects() if p.get("title") == title),
                      key=lambda p: int(p["id"]))
        if same and int(same[0]["id"]) != int(info["id"]):
            logger.info("project %r was created twice at once; keeping id %s", title,
                        same[0]["id"])
            try:
                client.delete_project(int(info["id"]))
            except LabelStudioProjectError:  # (deleted by a try the server answered late)
                pass
            info = client.request("GET", f"/api/projects/{int(same[0]['id'])}")
        else:
            logger.info("created Label Studio project %r (id %s)", info["title"], info["id"])
            return info
    return _check_classes(info, names)


def _check_classes(info: dict, names: list[str]) -> dict:
    """``info`` when the project's classes are ``names`` (classes added after them in
    Label Studio allowed); else :class:`LabelStudioProjectError`."""
    have = config_classes(info.get("label_config", ""))
    if have != names and have[:len(names)] != names:  # (classes added after them: kept)
        edited = ""
        if set(names) <= set(have):  # choices reordered, or one put between, in Label Studio
            keep = names + [c for c in have if c not in names]
            edited = (f" If the choices were edited in Label Studio, put them back in the "
                      f"order {keep!r} there (new classes after the others; answers pulled "
                      f"already are kept by class name) and push again.")
        raise LabelStudioProjectError(
            f"project {info['title']!r} (id {info['id']}) has classes {have!r}, not "
            f"{names!r}; use another project or the same class names in the same order."
            f"{edited}")
    return info


def check_data_fields(info: dict, fields: list[str]) -> None:
    """Refuse a push to an existing project whose label config shows task fields
    (``value="$name"``) that the push's tasks lack: Label Studio would reject every task
    (a table queue sent to a project made for texts, say)."""
    from dataqa.labelstudio.config import _parse

    try:
        root = _parse(info.get("label_config", "") or "<View/>")
    except LabelStudioProjectError:
        return  # the server's own check says what is wrong with its config
    # as Label Studio reads them: named tags whose value is a task field ("$text",
    # "$table.x" reads "table"); a <Choice value="$BUY"> or comment is no field
    shown = dict.fromkeys(m.group(1) for el in root.iter() if el.get("name")
                          for m in [re.match(r"\$([A-Za-z_]\w*)", el.get("value") or "")] if m)
    carried = set(fields)
    missing = [f for f in shown if f not in carried]
    if missing:
        raise LabelStudioProjectError(
            f"project {info['title']!r} (id {info['id']}) shows the task field(s) "
            f"{', '.join('$' + f for f in missing)}, which this push's tasks lack (they carry "
            f"{', '.join(fields)}): it was made for other items. Push to another project "
            f"(--project), or push items with that field.")


def adopt_tag_names(tasks: list[dict], config: str, project_config: str) -> None:
    """Point the pre-annotations of ``tasks`` (built for ``config``) at an existing
    project's own tag names."""
    if project_config == config:
        return
    from_name, to_name = config_object(project_config)
    for task in tasks:
        for pred in task.get("predictions", []):
            pred["result"][0]["from_name"], pred["result"][0]["to_name"] = from_name, to_name


def check_pulled_classes(ledger: Any, path: str | None, info: dict, url: str,
                         names: list[str]) -> None:
    """Refuse a push whose classes do not start with those the ledger's pulls of this
    project store answers by (the classes as first pushed, then those added): pushed
    in another order, a later push would show a stored answer's position as another
    class."""
    from dataqa.active.labels import ledger_classes
    from dataqa.labelstudio.ledger_state import pulled_state_key, same_project

    state, kind = _with_ledger(ledger, path, lambda led: (
        led.get_state(pulled_state_key(str(info["title"]))), ledger_classes(led)[1])) or ({}, None)
    known = (state or {}).get("classes")
    if kind == "str" or (kind == "int" and all(str(c).lstrip("-").isdigit() for c in names)):
        return  # answers stored by name or number: the order does not matter
    if not known or not same_project(state, int(info["id"]), url, info.get("created_at"),
                                     unrecorded_url=True):
        return
    if list(names[:len(known)]) != list(known):
        keep = list(known) + [c for c in names if c not in known]
        raise LabelStudioProjectError(
            f"the ledger's answers of project {info['title']!r} are stored by the position "
            f"of their class in {list(known)!r} (the classes as first pushed, then those "
            f"added), so a push with the classes {list(names)!r} would show them as other "
            f"classes; push with the classes in the order {keep!r} (--classes "
            f"{','.join(keep)}), in Label Studio too.")


#: The start of a task's image value for a file Label Studio serves from its disk
LOCAL_FILES_URL = "/data/local-files/?d="


def ensure_local_storage(server: LabelStudioClient, info: dict, tasks: list[dict],
                         column: str, root: Path | None) -> list[str]:
    """Give project ``info`` a *Local files* source storage for each top folder under
    ``root`` that the tasks' local images (``column``) are in, unless one of its storages
    holds that folder already; returns the folders added. Label Studio 1.23 serves a
    local file only to a project with such a storage (without it, annotators see a
    loading error in place of the image). Nothing is synced: the tasks come from the
    push."""
    from urllib.parse import unquote

    if root is None:
        return []
    tops = sorted({unquote(v[len(LOCAL_FILES_URL):]).split("/")[0] for t in tasks
                   if isinstance(v := t["data"].get(column), str)
                   and v.startswith(LOCAL_FILES_URL)})
    if not tops:
        return []
    pid = int(info["id"])
    have = server.request("GET", "/api/storages/localfiles", params={"project": pid}) or []
    held = [str(s.get("path", "")).rstrip("/") for s in have]
    added = []
    for top in tops:
        # as written, not through symlinks: Label Studio compares the storage's path with
        # its LOCAL_FILES_DOCUMENT_ROOT as given
        folder = os.path.abspath(root / top)
        seen = {folder, str(Path(folder).resolve())}
        if any(f == h or f.startswith(h + "/") for h in held if h for f in seen):
            continue
        try:
            server.request("POST", "/api/storages/localfiles", json_body={
                "project": pid, "path": folder, "title": f"dataqa images: {top}",
                "use_blob_urls": False, "regex_filter": ""})
        except LabelStudioError as exc:  # the server's reason (a path it does not have)
            if isinstance(exc, (LabelStudioAuthError, LabelStudioConnectionError)):
                raise
            raise LabelStudioProjectError(
                f"project {info['title']!r} (id {pid}) needs a Local files storage for "
                f"{folder!r} to show the images in it, and Label Studio refused to make "
                f"one ({exc}); local_files_root= must be the server's "
                f"LOCAL_FILES_DOCUMENT_ROOT as the server sees it, with "
                f"LOCAL_FILES_SERVING_ENABLED=true; no task was sent.") from None
        added.append(folder)
    if added:
        logger.info("project %r: Local files storage added for %s", info["title"],
                    ", ".join(added))
    return added
