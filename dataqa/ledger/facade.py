"""The :class:`Ledger`: one object over the file's store and its per-table parts."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pandas as pd

from dataqa.labelstudio.ledger_tasks import TaskTable
from dataqa.ledger.items import ItemTable
from dataqa.ledger.labels import LabelTable
from dataqa.ledger.queues import QueueTable
from dataqa.ledger.rounds import RoundTable
from dataqa.ledger.state import StateTable
from dataqa.ledger.store import Store

__all__ = ["Ledger"]

_SUMMARY_QUERIES = {
    "items": "SELECT COUNT(*) FROM items",
    "labels": "SELECT COUNT(*) FROM labels WHERE withdrawn_at IS NULL",
    "labeled_items": "SELECT COUNT(DISTINCT item_id) FROM labels WHERE withdrawn_at IS NULL",
    "rounds": "SELECT COUNT(*) FROM rounds",
    "queues": "SELECT COUNT(*) FROM queues",
    "tasks": "SELECT COUNT(*) FROM tasks",
}


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
        ``$DATAQA_LEDGER_TIMEOUT``, else :data:`~dataqa.ledger.DEFAULT_TIMEOUT`).

    Raises
    ------
    LedgerError
        The file is missing (``create=False``), is not a SQLite database, is damaged
        (SQLite's ``quick_check`` fails), is a SQLite database that is not a dataqa
        ledger, or was written by a newer dataqa (schema version above
        :data:`~dataqa.ledger.SCHEMA_VERSION`). Later, a write lock held by another
        process for longer than ``timeout``.
    InvalidSettingError
        The path holds a NUL byte, or ``timeout`` is not a non-negative number.

    Notes
    -----
    One connection is shared by the threads of a process behind a lock. Several
    processes may open the same file; SQLite serialises their writes. The work is done
    by one part per table (:mod:`dataqa.ledger.items`, ``labels``, ``rounds``,
    ``queues``, ``state`` and :mod:`dataqa.labelstudio.ledger_tasks`) over one
    :class:`~dataqa.ledger.store.Store`; this class only routes the calls.

    Examples
    --------
    >>> with Ledger(":memory:") as ledger:
    ...     ledger.add_items(["a", "b"])
    ...     ledger.add_labels(["a"], [1], source="human")
    ...     ledger.latest_labels()["label"].tolist()
    2
    1
    [1]
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True,
                 timeout: float | None = None) -> None:
        self._store = Store(path, create=create, timeout=timeout)
        self._items = ItemTable(self._store)
        self._labels = LabelTable(self._store)
        self._rounds = RoundTable(self._store)
        self._queues = QueueTable(self._store)
        self._tasks = TaskTable(self._store)
        self._state = StateTable(self._store)

    # ---------------------------------------------------------------- lifecycle

    @property
    def path(self) -> str:
        """The ledger file (``":memory:"`` for a throw-away ledger)."""
        return self._store.path

    @property
    def timeout(self) -> float:
        """Seconds a write waits for another process's write lock."""
        return self._store.timeout

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._connection().execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._store.closed else f"schema v{self.schema_version}"
        return f"Ledger({self.path!r}, {state})"

    def _connection(self) -> sqlite3.Connection:
        """The raw connection (for tests and repairs; public methods never need it)."""
        return self._store.connection()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One raw write transaction (see :meth:`dataqa.ledger.store.Store.write`)."""
        return self._store.write()

    @contextmanager
    def transaction(self) -> Iterator[Ledger]:
        """Group several writes into one transaction: all are committed, or none.

        Calls nested inside join the outer transaction.

        Examples
        --------
        >>> with Ledger(":memory:") as ledger, ledger.transaction():
        ...     ledger.add_items(["a"])
        ...     ledger.add_labels(["a"], [1], source="human")
        1
        1
        """
        with self._store.transaction():
            yield self

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
        return self._items.add(ids, content_hashes=content_hashes, split=split, data=data,
                               replace_data=replace_data)

    def set_item_splits(self, splits: Mapping[Any, str | None]) -> int:
        """Set the split of items already in the ledger, ``{id: split}`` (a table that
        names a split anew); ids not present are passed over.

        Returns
        -------
        int : items whose split changed.
        """
        return self._items.set_splits(splits)

    def items(self, split: str | None = None) -> pd.DataFrame:
        """Items in the order added: columns ``id``, ``content_hash``, ``split``."""
        return self._items.frame(split)

    def item_data(self, ids: Iterable[Any], *, missing_ok: bool = False) -> dict[str, dict]:
        """Each item's stored content (``{}`` when none was stored), keyed by id.

        Raises :class:`LedgerError` naming ids that are not in the ledger, unless
        ``missing_ok``: those are then left out of the result.
        """
        return self._items.data(ids, missing_ok=missing_ok)

    def __len__(self) -> int:
        return self._items.count()

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
        return self._labels.add(ids, labels, source=source, round=round, annotator=annotator,
                                created_at=created_at)

    def upsert_external_labels(self, rows: Iterable[Mapping[str, Any]] | pd.DataFrame
                               ) -> tuple[int, int]:
        """Insert labels that carry an external id, or update the row with that id.

        Each row has ``item_id``, ``label``, ``source``, ``external_id`` (e.g. the Label
        Studio annotation id; unique across the ledger) and optionally ``annotator``,
        ``created_at``, ``updated_at``, ``lead_time`` (seconds) and ``round``. A row whose
        external id is already stored updates that row (label, annotator, updated_at,
        lead_time, source, item) instead of adding one; a withdrawn row given again
        counts again.

        Returns
        -------
        (n_new, n_updated) : rows inserted (or withdrawn before and back), and stored
        rows whose values changed.
        """
        return self._labels.upsert_external(rows)

    def withdraw_external_labels(self, external_ids: Iterable[Any]) -> int:
        """Mark the labels with these external ids withdrawn (their answer was deleted,
        emptied or made a skip where it came from).

        A withdrawn label keeps its row, with ``withdrawn_at`` set, but no longer counts:
        :meth:`labels` and :meth:`latest_labels` leave it out. Given again through
        :meth:`upsert_external_labels` (the answer is back), it counts again.

        Returns
        -------
        int : labels withdrawn by this call (ids unknown or withdrawn already are passed over).
        """
        return self._labels.withdraw_external(external_ids)

    def rename_external_labels(self, renames: Mapping[str, str]) -> int:
        """Give stored labels new external ids, ``{old id: new id}`` (an id's source
        renumbered, history kept); ids not stored are passed over.

        Returns
        -------
        int : rows renamed.

        Raises
        ------
        LedgerError
            A new id is held by a label already; nothing is renamed.
        """
        return self._labels.rename_external(renames)

    def labels(self, source: str | None = None, *, withdrawn: bool = False) -> pd.DataFrame:
        """Every label row that counts (withdrawn ones too with ``withdrawn``), oldest first.

        Parameters
        ----------
        source : one of ``dataqa.types.LABEL_SOURCES``, optional
            Only that source's labels.
        withdrawn : bool
            Include withdrawn labels (:meth:`withdraw_external_labels`) too: the whole
            history. By default only labels that count.

        Columns: ``row_id, id, label, source, round, annotator, external_id, created_at,
        updated_at, lead_time, recorded_at, withdrawn_at`` (``withdrawn_at`` is missing
        unless the label was withdrawn).
        """
        return self._labels.frame(source, withdrawn=withdrawn)

    def latest_labels(self, source: str | None = None) -> pd.DataFrame:
        """One label per labeled item.

        Precedence: the label from the highest source tier wins, ``reviewed`` >
        ``human`` > ``given`` > ``weak`` = ``model``
        (:data:`~dataqa.ledger.LABEL_PRECEDENCE`); within a tier the newest (by
        ``updated_at`` or else ``created_at``, then insertion order), except that
        ``human`` labels of several annotators are put to a vote: each annotator's newest
        label counts once, the label most of them give wins, and a tie goes to the newest
        of the tied labels; a ``human`` label without an annotator (``dataqa al label``
        from a file without an annotator column) newer than that label corrects it.
        With ``source`` only that source's labels are considered. Withdrawn labels
        (:meth:`withdraw_external_labels`) are left out.

        Returns
        -------
        DataFrame with columns ``id, label, source, round, annotator, created_at``, in
        the order the items were added.
        """
        return self._labels.latest(source)

    # ---------------------------------------------------------------- rounds

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
        return self._rounds.start(strategy, settings, batch_ids, scores)

    def finish_round(self, round_id: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Mark a round finished and store its metrics (JSON-serialisable dict)."""
        self._rounds.finish(round_id, metrics)

    def rounds(self) -> pd.DataFrame:
        """Every round, oldest first.

        Columns: ``round, strategy, settings`` (dict), ``batch_ids`` (list), ``scores``
        (list), ``n_batch``, ``started_at``, ``finished_at``, ``metrics`` (dict or None).
        """
        return self._rounds.frame()

    def current_round(self) -> int | None:
        """The id of the latest round (finished or not), or ``None`` before the first."""
        return self._rounds.current()

    def round_info(self, round_id: int) -> dict:
        """One round as a dict (the keys of :meth:`rounds`)."""
        return self._rounds.info(round_id)

    # ---------------------------------------------------------------- queues

    def create_queue(self, name: str, *, kind: str, project: str | None = None,
                     settings: Mapping[str, Any] | None = None) -> int:
        """Create a queue, or return the id of the queue with that name.

        ``kind`` is one of :data:`dataqa.types.QUEUE_KINDS`. Re-creating with another kind
        is an error; a project given for a queue that had none is recorded.
        """
        return self._queues.create(name, kind=kind, project=project, settings=settings)

    def queues(self) -> pd.DataFrame:
        """Every queue: ``queue_id, name, kind, project, settings, n_items, created_at``."""
        return self._queues.frame()

    def add_queue_items(self, name: str, ids: Iterable[Any]) -> int:
        """Append items to a queue (ids already queued are skipped); returns how many were new."""
        return self._queues.add_items(name, ids)

    def queue_items(self, name: str) -> list[str]:
        """The ids in a queue, in the order they were added."""
        return self._queues.item_ids(name)

    # ---------------------------------------------------------------- external tasks

    def record_tasks(self, queue: str, mapping: Mapping[Any, Any], *, project: str) -> int:
        """Record the external task id of each item (``{item_id: task_id}``) in ``project``.

        The items must be in the queue. An item whose task id in that project is already
        recorded with the same value is left alone; a different value replaces it (the
        task was recreated). The queue's project is set when it had none.

        Returns
        -------
        int : rows inserted or changed.
        """
        return self._tasks.record(queue, mapping, project=project)

    def forget_tasks(self, project: str, item_ids: Iterable[Any] | None = None) -> int:
        """Drop recorded task ids in ``project`` (all, or those of ``item_ids``); returns count.

        Use when the tasks were deleted on the server, so the items become pending again.
        """
        return self._tasks.forget(project, item_ids)

    def task_ids(self, project: str | None = None, queue: str | None = None) -> dict[str, Any]:
        """``{item_id: task_id}`` of recorded tasks, filtered by project and/or queue.

        Without ``project`` an item with tasks in several projects appears once (the most
        recently recorded); pass ``project`` to be exact.
        """
        return self._tasks.ids(project, queue)

    def pending_items(self, queue: str) -> list[str]:
        """Queued ids that have no task id yet in the queue's project, in queue order.

        A queue without a project (nothing recorded yet) has all its items pending.
        """
        return self._tasks.pending(queue)

    # ---------------------------------------------------------------- small state

    def set_state(self, key: str, value: Any) -> None:
        """Store a small JSON-serialisable value under ``key`` (never a secret)."""
        self._state.set(key, value)

    def get_state(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        return self._state.get(key, default)

    def state_keys(self, prefix: str = "") -> list[str]:
        """The state keys starting with ``prefix``, sorted."""
        return self._state.keys(prefix)

    # ---------------------------------------------------------------- summary

    def summary(self) -> dict[str, int]:
        """Counts: items, labels, labeled items, rounds, queues, tasks."""
        return {k: int(self._store.read(sql)[0][0]) for k, sql in _SUMMARY_QUERIES.items()}
