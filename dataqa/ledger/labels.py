"""The ``labels`` table: every label with its source, round and author, history kept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError, LedgerError, format_ids
from dataqa.ledger.codec import as_ids, is_missing, python_scalar, to_utc_iso, utc_now
from dataqa.ledger.rounds import check_round
from dataqa.ledger.store import Store
from dataqa.types import LABEL_SOURCES

__all__ = ["LabelTable", "LABEL_PRECEDENCE", "check_source"]

#: Tier of each label source in :meth:`Ledger.latest_labels` (higher wins; ties -> newest;
#: within ``human``, annotators who disagree -> the majority of their newest labels, unless
#: a newer label without an annotator corrects it).
LABEL_PRECEDENCE: dict[str, int] = {"reviewed": 4, "human": 3, "given": 2, "weak": 1, "model": 1}

_LABEL_COLUMNS = ["row_id", "id", "label", "source", "round", "annotator", "external_id",
                  "created_at", "updated_at", "lead_time", "recorded_at", "withdrawn_at"]
_LATEST_COLUMNS = ["id", "label", "source", "round", "annotator", "created_at"]


def _majority(human: pd.DataFrame) -> pd.DataFrame:
    """One human label per item from rows sorted oldest first: of the labels with an
    annotator, each annotator's newest, then the label most of them give (a tie goes to
    the newest of the tied labels); a label without an annotator (a correction recorded
    from a file) newer than that vote's label wins over it, as the newest did before."""
    named = human[human["annotator"].notna()]
    h = named.drop_duplicates(["id", "annotator"], keep="last")
    # class 1 recorded as 1 by one annotator and as "1" by another is one class: votes
    # are counted on the label's text
    h = h.assign(_key=h["label"].map(str))
    h = h.assign(_votes=h.groupby(["id", "_key"], sort=False)["label"].transform("size"))
    h = h.sort_values(["_votes", "_when", "row_id"], kind="mergesort")
    vote = h.drop_duplicates("id", keep="last").drop(columns=["_votes", "_key"])
    anonymous = human[human["annotator"].isna()].drop_duplicates("id", keep="last")
    both = pd.concat([vote, anonymous]).sort_values(["_when", "row_id"], kind="mergesort")
    return both.drop_duplicates("id", keep="last")


def check_source(source: str) -> str:
    """``source`` when it is one of :data:`dataqa.types.LABEL_SOURCES`."""
    if source not in LABEL_SOURCES:
        raise InvalidSettingError(
            f"label source {source!r} is not one of {', '.join(LABEL_SOURCES)}."
        )
    return source


def _external_row(k: int, row: Mapping[str, Any]) -> dict[str, Any]:
    """Row ``k`` of :meth:`LabelTable.upsert_external`, checked and converted."""
    missing = [c for c in ("item_id", "label", "source", "external_id") if row.get(c) is None]
    if missing:
        raise InvalidSettingError(
            f"external label row {k} lacks {', '.join(missing)}; every row needs "
            f"item_id, label, source and external_id.")
    lead_time = row.get("lead_time")
    lead_time = None if is_missing(lead_time) else float(lead_time)
    round_id = row.get("round")
    round_id = None if is_missing(round_id) else int(round_id)
    annotator = row.get("annotator")
    return {
        "item_id": str(row["item_id"]),
        "label": python_scalar(row["label"]),
        "source": check_source(row["source"]),
        "external_id": str(python_scalar(row["external_id"])),
        "annotator": None if annotator is None else str(annotator),
        "created_at": to_utc_iso(row.get("created_at")),
        "updated_at": to_utc_iso(row.get("updated_at")),
        "lead_time": lead_time,
        "round": round_id,
    }


class LabelTable:
    """Labels of one ledger (see :meth:`dataqa.ledger.Ledger.add_labels`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, ids: Iterable[Any], labels: Iterable[Any], *, source: str,
            round: int | None = None, annotator: str | None = None,
            created_at: Any = None) -> int:
        """Append labels; returns how many rows were added."""
        check_source(source)
        ids = as_ids(ids)
        labels = [python_scalar(v) for v in labels]
        from dataqa.data import check_lengths

        check_lengths(ids=ids, labels=labels)
        if round is None or isinstance(round, (int, np.integer)):
            rounds = [None if round is None else int(round)] * len(ids)
        else:  # one round per label: its length is checked too
            rounds = [None if is_missing(r) else int(r) for r in round]
            check_lengths(ids=ids, round=rounds)
        for i, v in zip(ids, labels, strict=True):
            if is_missing(v):
                raise InvalidSettingError(f"label for item {i!r} is missing; give a label.")
            if not isinstance(v, (int, str, float)):
                raise InvalidSettingError(
                    f"label for item {i!r} must be an int or a class name, not "
                    f"{type(v).__name__}.")
        created = to_utc_iso(created_at) or utc_now()
        with self._store.write() as conn:
            self._store.check_known(conn, ids)
            for r in set(rounds) - {None}:
                check_round(conn, r)
            now = utc_now()
            conn.executemany(
                "INSERT INTO labels (item_id, label, source, round, annotator, created_at, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(i, v, source, r, annotator, created, now)
                 for i, v, r in zip(ids, labels, rounds, strict=True)])
        return len(ids)

    def upsert_external(self, rows: Iterable[Mapping[str, Any]] | pd.DataFrame
                        ) -> tuple[int, int]:
        """Insert labels by external id, or update the stored row with that id (a row
        withdrawn before counts again, as a new label)."""
        if isinstance(rows, pd.DataFrame):
            rows = rows.to_dict("records")
        prepared = [_external_row(k, r) for k, r in enumerate(rows)]
        external_ids = [p["external_id"] for p in prepared]
        if len(set(external_ids)) != len(external_ids):
            dups = pd.Series(external_ids)[pd.Series(external_ids).duplicated()].unique()
            raise InvalidSettingError(f"external ids repeat within the call: {format_ids(dups)}.")
        n_new = n_updated = 0
        with self._store.write() as conn:
            self._store.check_known(conn, [p["item_id"] for p in prepared])
            for round_id in {p["round"] for p in prepared} - {None}:
                check_round(conn, round_id)
            now = utc_now()
            for p in prepared:
                old = conn.execute(
                    "SELECT row_id, item_id, label, source, annotator, updated_at, lead_time, "
                    "withdrawn_at FROM labels WHERE external_id = ?",
                    (p["external_id"],)).fetchone()
                if old is None:
                    conn.execute(
                        "INSERT INTO labels (item_id, label, source, round, annotator, "
                        "created_at, recorded_at, external_id, updated_at, lead_time) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (p["item_id"], p["label"], p["source"], p["round"], p["annotator"],
                         p["created_at"] or now, now, p["external_id"], p["updated_at"],
                         p["lead_time"]))
                    n_new += 1
                    continue
                new_values = (p["item_id"], p["label"], p["source"], p["annotator"],
                              p["updated_at"], p["lead_time"])
                if tuple(old[1:7]) != new_values or old[7] is not None:
                    conn.execute(
                        "UPDATE labels SET item_id = ?, label = ?, source = ?, annotator = ?, "
                        "updated_at = ?, lead_time = ?, recorded_at = ?, withdrawn_at = NULL "
                        "WHERE row_id = ?", (*new_values, now, old[0]))
                    if old[7] is None:
                        n_updated += 1
                    else:  # an answer withdrawn before is back
                        n_new += 1
        return n_new, n_updated

    def withdraw_external(self, external_ids: Iterable[Any]) -> int:
        """Mark the labels with these external ids withdrawn; returns how many were
        counting before (ids not stored, or withdrawn already, are passed over)."""
        ids = [str(python_scalar(e)) for e in external_ids]
        if not ids:
            return 0
        with self._store.write() as conn:
            now = utc_now()
            n = 0
            for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
                part = ids[start:start + 500]
                marks = ", ".join("?" * len(part))
                n += conn.execute(
                    f"UPDATE labels SET withdrawn_at = ? WHERE withdrawn_at IS NULL AND "
                    f"external_id IN ({marks})", (now, *part)).rowcount
        return n

    def rename_external(self, renames: Mapping[str, str]) -> int:
        """Give stored labels new external ids (``{old: new}``); returns how many rows
        changed. A new id that another row holds already is refused, changing nothing."""
        pairs = [(str(python_scalar(o)), str(python_scalar(n))) for o, n in renames.items()]
        if not pairs:
            return 0
        with self._store.write() as conn:
            for _, new in pairs:
                row = conn.execute("SELECT external_id FROM labels WHERE external_id = ?",
                                   (new,)).fetchone()
                if row is not None:
                    raise LedgerError(
                        f"cannot rename a label's external id to {new!r}: another label "
                        f"holds it. Nothing was renamed.")
            n = 0
            for old, new in pairs:
                n += conn.execute("UPDATE labels SET external_id = ? WHERE external_id = ?",
                                  (new, old)).rowcount
        return n

    def frame(self, source: str | None = None, *, withdrawn: bool = False) -> pd.DataFrame:
        """Every label row (of one source, if given), oldest first; withdrawn rows only
        with ``withdrawn``."""
        sql = ("SELECT row_id, item_id, label, source, round, annotator, external_id, "
               "created_at, updated_at, lead_time, recorded_at, withdrawn_at FROM labels")
        where, params = [], []
        if source is not None:
            check_source(source)
            where.append("source = ?")
            params.append(source)
        if not withdrawn:
            where.append("withdrawn_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._store.read(sql + " ORDER BY row_id", tuple(params))
        df = pd.DataFrame(rows, columns=_LABEL_COLUMNS)
        df["round"] = df["round"].astype("Int64")
        return df

    def latest(self, source: str | None = None) -> pd.DataFrame:
        """One label per labeled item by :data:`LABEL_PRECEDENCE`, in item order."""
        df = self.frame(source)
        if df.empty:
            return df[_LATEST_COLUMNS].reset_index(drop=True)
        df["_tier"] = df["source"].map(LABEL_PRECEDENCE)
        df["_when"] = df["updated_at"].fillna(df["created_at"])
        df = df.sort_values(["_tier", "_when", "row_id"], kind="mergesort")
        human = (df["source"] == "human").to_numpy()
        if human.any():  # annotators who disagree: the majority, not the last to submit
            df = pd.concat([df[~human], _majority(df[human])]).sort_values(
                ["_tier", "_when", "row_id"], kind="mergesort")
        last = df.drop_duplicates("id", keep="last")
        item_order = [r[0] for r in self._store.read("SELECT id FROM items ORDER BY rowid")]
        position = {i: k for k, i in enumerate(item_order)}
        last = last.assign(_pos=last["id"].map(position)).sort_values("_pos", kind="mergesort")
        return last[_LATEST_COLUMNS].reset_index(drop=True)
