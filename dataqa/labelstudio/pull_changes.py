"""What changed in Label Studio since a pull: answers withdrawn there, Skips of the open
active-learning round, and tasks deleted there (the steps of :mod:`~dataqa.labelstudio.pull`
that compare the server with what earlier pulls stored)."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["deleted_tasks", "forget_deleted_tasks", "skip_in_round", "withdraw"]


def deleted_tasks(client: Any, ledger: Any, title: str, project_id: int,
                  created_at: str | None = None) -> list[str]:
    """The items whose task this ledger recorded in the project (pushed under this title
    to this id on this server) that Label Studio no longer has: not listed, and answered
    404 when asked for one by one (a list can come back short)."""
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.ledger_state import project_state, same_project

    if not same_project(project_state(ledger, title), project_id, client.url, created_at):
        return []
    live = {int(t["id"]) for t in client.list_tasks(project_id, fields=("id",))}
    gone = []
    for item, task in sorted(ledger.task_ids(project=title).items()):
        if int(task) in live:
            continue
        try:
            client.request("GET", f"/api/tasks/{int(task)}")
        except LabelStudioProjectError:
            gone.append(item)
    return gone


def forget_deleted_tasks(ledger_db: Any, fetched: Any) -> list[str]:
    """On a full pull, forget the recorded tasks Label Studio no longer has (deleted
    there), so that a push creates them again; returns their items."""
    if fetched.deleted:
        ledger_db.forget_tasks(fetched.title, fetched.deleted)
    return list(fetched.deleted or [])


def skip_in_round(ledger_db: Any, tasks_state: dict[str, dict], in_batches: set,
                  title: str) -> tuple[int, list[str], list[str]] | None:
    """Set which items of the open active-learning round's batch are skipped in Label
    Studio: those pushed to this project as an active-learning queue that an annotator
    skipped there and that have no label (as ``dataqa al label`` records a ``skip``).
    Set again from the answers on every pull, so a Skip withdrawn there is withdrawn
    here; a finished round keeps its skips. Returns the round, the items skipped by this
    pull that were not before and those no longer skipped, or None."""
    from dataqa.active.labels import LS_SKIPPED_KEY, TRAIN_SOURCES

    rounds = ledger_db.rounds()
    if rounds.empty or not in_batches:
        return None
    last = rounds.iloc[-1]
    if isinstance(last["finished_at"], str):
        return None
    number = str(int(last["round"]))
    skipped = {str(r["id"]) for e in tasks_state.values() for r in e.get("s", [])}
    lab = ledger_db.latest_labels()
    labeled = set(lab.loc[lab["source"].isin(TRAIN_SOURCES), "id"])
    now = sorted(i for i in last["batch_ids"]
                 if i in skipped and i in in_batches and i not in labeled)
    state = ledger_db.get_state(LS_SKIPPED_KEY) or {}
    mine = state.get(title, {})
    before = set(mine.get(number, []))
    if set(now) != before:
        mine[number] = now
        state[title] = mine
        ledger_db.set_state(LS_SKIPPED_KEY, state)
    new = [i for i in now if i not in before]
    gone = sorted(i for i in before - set(now) if i not in skipped)  # (not: labeled since)
    if gone:  # said only of items the round waits for again (no other project skips them)
        from dataqa.active.session import open_round_in

        current = open_round_in(ledger_db)
        missing = set(current["missing"]) if current is not None else set()
        gone = [i for i in gone if i in missing]
    return (int(number), new, gone) if new or gone else None


def withdraw(ledger_db: Any, before: pd.DataFrame, upserts: list[dict], redone: set[int],
             unreadable: set[str], fetched: Any, *, every_task: bool) -> int:
    """Withdraw the answers an earlier pull stored that are answers no longer: their task
    was exported again without them (skipped, emptied, deleted) or, when ``every_task``
    was exported, their task was not (the task or all its answers deleted). They stop
    counting; the ledger keeps their rows. Returns how many were withdrawn, and warns,
    naming the items.

    Only the answers the last pull of this title stored are looked at (the task entries
    of its state list them), and only when it read this project (the same id on the same
    server, created at the same time): a fresh server numbers its projects, tasks and
    annotations from 1 again, so ids alone do not tell two servers' answers apart. An
    answer that holds a choice this pull cannot read (a class renamed in the project's
    config) is kept."""
    from dataqa.labelstudio.ledger_state import same_project
    from dataqa.labelstudio.pull import _external_id

    prev = fetched.previous or {}
    if not same_project(prev, fetched.project_id, fetched.url, fetched.created_at,
                        unrecorded_url=True):  # (pulls before the url was kept: same)
        return 0
    now = {u["external_id"] for u in upserts} | unreadable
    item_of = dict(zip(before["external_id"], before["id"], strict=True))
    gone = []
    for task, entry in prev.get("tasks", {}).items():
        if not (every_task or int(task) in redone):
            continue
        if "url" in prev:  # (an entry without a list: no answer stored of that task)
            stored = [_external_id(fetched.origin.prefix, int(task), int(a))
                      for a in entry.get("a", ())]
        else:  # a state written before the lists were kept: every answer of the task
            head = f"{fetched.origin.prefix}{int(task)}:"
            stored = [e for e in item_of if e.startswith(head)]
        gone += [(item_of[e], e) for e in stored if e not in now and e in item_of]
    n = ledger_db.withdraw_external_labels([ext for _, ext in gone]) if gone else 0
    if n:
        import warnings

        from dataqa.errors import format_ids

        items = list(dict.fromkeys(str(i) for i, _ in gone))
        warnings.warn(
            f"{n} answer(s) an earlier pull of project {fetched.title!r} recorded are no "
            f"longer answers there (skipped, emptied or deleted) for items "
            f"{format_ids(items, 5)}: they no longer count in the ledger (it keeps them as "
            f"withdrawn); an answer given again counts again.",
            UserWarning, stacklevel=4)
    return n
