"""The ``rounds`` and ``round_items`` tables: each labeling round and the batch it chose."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from dataqa.errors import InvalidSettingError, LedgerError
from dataqa.ledger.codec import as_ids, decode_json, encode_json, utc_now
from dataqa.ledger.store import Store

__all__ = ["RoundTable", "check_round"]

_ROUND_COLUMNS = ["round", "strategy", "settings", "batch_ids", "scores", "n_batch",
                  "started_at", "finished_at", "metrics"]


def check_round(conn: sqlite3.Connection, round_id: int) -> None:
    """Raise :class:`LedgerError` when round ``round_id`` is not in the ledger."""
    if conn.execute("SELECT 1 FROM rounds WHERE id = ?", (int(round_id),)).fetchone() is None:
        raise LedgerError(
            f"round {round_id!r} is not in the ledger; start it with start_round(...) first.")


class RoundTable:
    """Rounds of one ledger (see :meth:`dataqa.ledger.Ledger.start_round`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def start(self, strategy: str, settings: Mapping[str, Any] | None,
              batch_ids: Iterable[Any], scores: Sequence[float] | None = None) -> int:
        """Record a new round and its batch; returns the round id."""
        ids = as_ids(batch_ids, "batch_ids")
        if not ids:
            raise InvalidSettingError("batch_ids is empty; a round records the items chosen "
                                      "for labeling, at least one.")
        if len(set(ids)) != len(ids):
            raise InvalidSettingError("batch_ids repeat; a batch holds each item once.")
        batch_scores = [None] * len(ids) if scores is None else [
            None if s is None else float(s) for s in scores]
        from dataqa.data import check_lengths

        check_lengths(batch_ids=ids, scores=batch_scores)
        bad = [k for k, v in enumerate(batch_scores) if v is not None and not math.isfinite(v)]
        if bad:  # (SQLite stored a NaN as NULL: read back as "chosen without a score")
            raise InvalidSettingError(
                f"scores holds {len(bad)} NaN/inf value(s) (first for item {ids[bad[0]]!r}, "
                f"position {bad[0]}); give each a finite score, or None for an item chosen "
                f"without one.")
        settings_json = encode_json(dict(settings or {}))
        with self._store.write() as conn:
            self._store.check_known(conn, ids)
            cur = conn.execute(
                "INSERT INTO rounds (strategy, settings, started_at) VALUES (?, ?, ?)",
                (str(strategy), settings_json, utc_now()))
            round_id = int(cur.lastrowid)
            conn.executemany(
                "INSERT INTO round_items (round_id, item_id, position, score) VALUES (?, ?, ?, ?)",
                [(round_id, i, k, s)
                 for k, (i, s) in enumerate(zip(ids, batch_scores, strict=True))])
        return round_id

    def finish(self, round_id: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Mark a round finished and store its metrics."""
        metrics_json = encode_json(dict(metrics or {}))
        with self._store.write() as conn:
            check_round(conn, round_id)
            conn.execute("UPDATE rounds SET finished_at = ?, metrics = ? WHERE id = ?",
                         (utc_now(), metrics_json, int(round_id)))

    def frame(self) -> pd.DataFrame:
        """Every round, oldest first, with its batch ids and scores."""
        with self._store.reading() as conn:
            rounds = conn.execute(
                "SELECT id, strategy, settings, started_at, finished_at, metrics "
                "FROM rounds ORDER BY id").fetchall()
            members: dict[int, list[tuple]] = {}
            for round_id, item_id, score in conn.execute(
                    "SELECT round_id, item_id, score FROM round_items ORDER BY round_id, position"):
                members.setdefault(round_id, []).append((item_id, score))
        records = []
        for round_id, strategy, settings, started, finished, metrics in rounds:
            batch = members.get(round_id, [])
            records.append({
                "round": round_id, "strategy": strategy, "settings": decode_json(settings),
                "batch_ids": [i for i, _ in batch], "scores": [s for _, s in batch],
                "n_batch": len(batch), "started_at": started, "finished_at": finished,
                "metrics": decode_json(metrics),
            })
        return pd.DataFrame(records, columns=_ROUND_COLUMNS)

    def current(self) -> int | None:
        """The id of the latest round (finished or not), or ``None`` before the first."""
        row = self._store.read("SELECT MAX(id) FROM rounds")[0]
        return None if row[0] is None else int(row[0])

    def info(self, round_id: int) -> dict:
        """One round as a dict (the columns of :meth:`frame`)."""
        df = self.frame()
        hit = df[df["round"] == int(round_id)]
        if hit.empty:
            raise LedgerError(f"round {round_id!r} is not in the ledger.")
        return hit.iloc[0].to_dict()
