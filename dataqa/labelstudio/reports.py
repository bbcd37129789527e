"""What a push or a pull did: :class:`PushReport`, :class:`PullReport`, :class:`PullResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dataqa.errors import format_ids

__all__ = ["PushReport", "PullReport", "PullResult"]


@dataclass
class PushReport:
    """What :func:`~dataqa.labelstudio.push_queue` did.

    Attributes
    ----------
    project, project_id, queue : the Label Studio project and the ledger queue.
    created : list of str
        Ids for which a task was created by this call.
    skipped : list of str
        Ids that already had a task in the project (nothing was sent for them), and
        raced ids whose kept task another push made.
    failed : list of str
        Ids whose import the server rejected; see ``errors``.
    task_ids : dict
        ``{item id: task id}`` for created and skipped ids.
    duplicates : list of str
        Ids with more than one task in the project (made outside dataqa); not touched.
    errors : list of str
    notes : list of str
        What the tasks lack, when a column that would fill it is absent (no
        ``prediction``: nothing pre-selected; no ``score``: no priority).
    foreign : list of str
        Ids of tasks already in the project (made by dataqa) whose items this ledger does
        not hold: another ledger pushed them, so a pull with this ledger leaves them out.
    raced : list of str
        Ids another push (from another ledger) created tasks of in the project at the same
        moment as this one: the oldest task of each was kept (and recorded), the later
        unanswered ones deleted, so each item has one task. One whose kept task the other
        push made counts in ``skipped``, not ``created``.
    seconds : float
    """

    project: str
    project_id: int
    queue: str
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    task_ids: dict[str, int] = field(default_factory=dict, repr=False)
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    raced: list[str] = field(default_factory=list)

    @property
    def n_created(self) -> int:
        return len(self.created)

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    @property
    def n_failed(self) -> int:
        return len(self.failed)

    def to_dict(self) -> dict:
        return {"project": self.project, "project_id": self.project_id, "queue": self.queue,
                "n_created": self.n_created, "n_skipped": self.n_skipped,
                "n_failed": self.n_failed, "n_duplicates": len(self.duplicates),
                "errors": list(self.errors), "notes": list(self.notes),
                "n_foreign": len(self.foreign), "n_raced": len(self.raced),
                "seconds": round(self.seconds, 3)}

    def __str__(self) -> str:
        s = (f"project {self.project!r} (id {self.project_id}), queue {self.queue!r}: "
             f"{self.n_created} created, {self.n_skipped} already there, {self.n_failed} failed "
             f"in {self.seconds:.1f} s")
        if self.raced:
            s += (f"; another push created tasks of {len(self.raced)} of these items at the "
                  f"same moment ({format_ids(self.raced)}): one task each was kept")
        if self.duplicates:
            s += f"; {len(self.duplicates)} ids have several tasks: {format_ids(self.duplicates)}"
        return s


@dataclass
class PullReport:
    """What a pull did (:attr:`PullResult.report`; ``df.attrs["report"]`` of
    :func:`~dataqa.labelstudio.pull_annotations`).

    Attributes
    ----------
    n_annotations : completed annotations found (with a class chosen).
    n_new, n_updated, n_unchanged : how they compare with the ledger before the pull.
    skipped : DataFrame
        Annotations where the annotator pressed *Skip* (Label Studio stores them as
        cancelled annotations): ``id, annotator, task_id, annotation_id, created_at``.
    empty : DataFrame
        Annotations submitted without a class (same columns).
    invalid : DataFrame
        Annotations whose class is not one of the project's classes (same columns plus
        ``choice``); they are not stored. Fix them in Label Studio and pull again.
    unmatched_tasks : list of int
        Annotated tasks without ``data.dataqa_id`` or whose id is not in the ledger.
    new_classes : list of str
        Classes chosen in this pull that the ledger did not have before it (the project's
        classes were edited in Label Studio). Their labels are stored, so the ledger now
        has these classes and the next round trains on them.
    n_withdrawn : int
        Answers an earlier pull stored that are answers no longer (skipped, emptied or
        deleted after that pull; one changed to a class outside the project is refused
        and keeps counting as stored): withdrawn
        in the ledger, so they no longer count. An incremental pull finds them on tasks
        changed since; a full pull (``full=True``, ``dataqa ls pull --full``) also finds
        those of deleted tasks.
    round_skipped : (int, list of str) or None
        The open active-learning round and the items of its batch this pull skipped in
        it: an annotator pressed *Skip* on them in a project the batch was pushed to as an
        active-learning queue, and they have no label (as ``dataqa al label`` records the
        label ``skip``). The round closes once every item is labeled or skipped.
    tasks_deleted : list of str
        Items whose task this ledger recorded in the project and that Label Studio no
        longer has (found by a full pull): forgotten, so the next push of their queue
        creates them again.
    pushed_by_this_ledger : bool
        Whether this ledger pushed to the project (its last push there recorded this
        project). False: another ledger (or a person) made its tasks, and the answers on
        items this ledger holds were stored all the same, as answers from this project;
        ``dataqa ls pull`` warns.
    round_unskipped : (int, list of str) or None
        The open round and the items an earlier pull skipped in it whose Skip is gone
        from Label Studio (deleted, or turned into an answer): open again unless labeled.
    disagreements : list
        Ids of the items whose annotators chose different classes (each annotator's
        newest annotation). The ledger's label of such an item is the majority of its
        annotators' labels, a tie going to the newest
        (:meth:`~dataqa.ledger.Ledger.latest_labels`).
    """

    project: str
    project_id: int
    n_annotations: int = 0
    n_new: int = 0
    n_updated: int = 0
    n_unchanged: int = 0
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    empty: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    invalid: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    unmatched_tasks: list[int] = field(default_factory=list)
    new_classes: list[str] = field(default_factory=list)
    disagreements: list = field(default_factory=list)
    seconds: float = 0.0
    n_withdrawn: int = 0
    round_skipped: tuple[int, list[str]] | None = None
    round_unskipped: tuple[int, list[str]] | None = None
    tasks_deleted: list[str] = field(default_factory=list)
    pushed_by_this_ledger: bool = True

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    @property
    def n_empty(self) -> int:
        return len(self.empty)

    @property
    def n_invalid(self) -> int:
        return len(self.invalid)

    def invalid_messages(self) -> list[str]:
        """One line per annotation with a class that is not the project's."""
        return [f"annotation {int(r.annotation_id)} of task {int(r.task_id)} (item {r.id!r}"
                f", by {r.annotator}) chose {r.choice!r}, not one of the project's classes; "
                f"it was not stored - change it in Label Studio and pull again."
                for r in self.invalid.itertuples(index=False)]

    def to_dict(self) -> dict:
        return {"project": self.project, "project_id": self.project_id,
                "n_annotations": self.n_annotations, "n_new": self.n_new,
                "n_updated": self.n_updated, "n_unchanged": self.n_unchanged,
                "n_skipped": self.n_skipped, "n_empty": self.n_empty,
                "n_invalid": self.n_invalid, "n_unmatched_tasks": len(self.unmatched_tasks),
                "new_classes": list(self.new_classes),
                "n_disagreements": len(self.disagreements), "n_withdrawn": self.n_withdrawn,
                "round_skipped": (None if self.round_skipped is None else
                                  {"round": self.round_skipped[0],
                                   "ids": list(self.round_skipped[1])}),
                "tasks_deleted": list(self.tasks_deleted),
                "pushed_by_this_ledger": self.pushed_by_this_ledger,
                "round_unskipped": (None if self.round_unskipped is None else
                                    {"round": self.round_unskipped[0],
                                     "ids": list(self.round_unskipped[1])}),
                "seconds": round(self.seconds, 3)}

    def __str__(self) -> str:
        invalid = (f"{self.n_invalid} with a class not in the project (not stored), "
                   if self.n_invalid else "")
        parts = [f"project {self.project!r} (id {self.project_id}): {self.n_annotations} "
                 f"annotations ({self.n_new} new, {self.n_updated} updated, "
                 f"{self.n_unchanged} unchanged), {self.n_skipped} skipped, {self.n_empty} "
                 f"without a class, {invalid}{len(self.unmatched_tasks)} annotated tasks of "
                 f"items not in this ledger, in {self.seconds:.1f} s"]
        if self.n_withdrawn:
            parts.append(f"{self.n_withdrawn} answer(s) of an earlier pull withdrawn in Label "
                         f"Studio: they no longer count")
        if self.round_skipped:
            number, ids = self.round_skipped
            parts.append(f"{len(ids)} item(s) skipped in Label Studio ({_first(ids)}) are "
                         f"skipped in active-learning round {number}")
        if self.round_unskipped:
            number, ids = self.round_unskipped
            parts.append(f"{len(ids)} item(s) no longer skipped in Label Studio "
                         f"({_first(ids)}) are no longer skipped in active-learning round "
                         f"{number}")
        if self.tasks_deleted:
            parts.append(f"{len(self.tasks_deleted)} task(s) deleted in Label Studio (items "
                         f"{_first(self.tasks_deleted)}): forgotten, so `dataqa ls push` of "
                         f"their queue creates them again")
        if self.new_classes:
            several = len(self.new_classes) > 1
            parts.append(f"new class{'es' if several else ''} "
                         f"{', '.join(map(repr, self.new_classes))}, not in the ledger before "
                         f"this pull: stored, the next round trains on "
                         f"{'them' if several else 'it'}")
        if self.disagreements:
            parts.append(f"{len(self.disagreements)} item(s) whose annotators disagree "
                         f"({_first(self.disagreements)}): the ledger's label is the majority "
                         f"of its annotators' newest labels, a tie going to the newest")
        return "; ".join(parts)


def _first(ids, k: int = 5) -> str:
    """The first ``k`` ids, comma-separated, with ``...`` when there are more."""
    return ", ".join(map(str, list(ids)[:k])) + (", ..." if len(ids) > k else "")


@dataclass
class PullResult:
    """What :func:`~dataqa.labelstudio.pull_project` returns: the annotations and the report.

    Attributes
    ----------
    annotations : DataFrame
        One row per completed annotation: ``id`` (item id), ``label`` (class index, in the
        order of the project's choices), ``label_name``, ``annotator`` (e-mail),
        ``created_at``, ``updated_at`` (ISO-8601 UTC), ``lead_time`` (seconds),
        ``task_id``, ``annotation_id`` and ``status`` (``new``, ``updated`` or
        ``unchanged`` relative to the ledger before the pull), ordered by task and
        annotation id.
    report : PullReport
        Counts, and the skipped, empty and invalid annotations listed apart.
    """

    annotations: pd.DataFrame = field(repr=False)
    report: PullReport

    def to_frame(self) -> pd.DataFrame:
        """The annotations with the report in ``attrs["report"]`` (what
        :func:`~dataqa.labelstudio.pull_annotations` returns)."""
        df = self.annotations.copy()
        df.attrs["report"] = self.report
        return df

    def __str__(self) -> str:
        return str(self.report)
