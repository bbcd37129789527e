"""The ``items`` table: every item's id, content hash, split and stored content."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from dataqa.errors import InvalidSettingError, format_ids
from dataqa.ledger.codec import as_ids, decode_json, encode_json, utc_now
from dataqa.ledger.store import IDS_PER_QUERY, Store

__all__ = ["ItemTable"]


class ItemTable:
    """Items of one ledger (see :meth:`dataqa.ledger.Ledger.add_items`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, ids: Iterable[Any], *, content_hashes: Sequence[str | None] | None = None,
            split: str | Sequence[str | None] | None = None,
            data: Sequence[Mapping[str, Any] | None] | None = None,
            replace_data: bool = False) -> int:
        """Add items (ids present are kept, their data replaced with ``replace_data``)."""
        ids = as_ids(ids)
        n = len(ids)
        if len(set(ids)) != n:
            dups = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
            raise InvalidSettingError(f"ids repeat within the call: {format_ids(dups)}.")
        hashes = [None] * n if content_hashes is None else [
            None if h is None else str(h) for h in content_hashes]
        if split is None or isinstance(split, str):
            splits = [split] * n
        else:
            splits = [None if s is None else str(s) for s in split]
        datas = [None] * n if data is None else list(data)
        from dataqa.data import check_lengths

        check_lengths(ids=ids, content_hashes=hashes, split=splits, data=datas)
        rows = []
        for i, h, s, d in zip(ids, hashes, splits, datas, strict=True):
            if d is not None and not isinstance(d, Mapping):
                raise InvalidSettingError(
                    f"data for item {i!r} must be a dict (JSON object), not {type(d).__name__}.")
            rows.append((i, h, s, None if d is None else encode_json(dict(d)), utc_now()))
        with self._store.write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO items (id, content_hash, split, data, added_at) "
                "VALUES (?, ?, ?, ?, ?)", rows)
            new = conn.total_changes - before
            if replace_data:
                conn.executemany("UPDATE items SET data = ? WHERE id = ?",
                                 [(r[3], r[0]) for r in rows])
            return new

    def set_splits(self, splits: Mapping[Any, str | None]) -> int:
        """Set the split of items already present (``{id: split}``); returns how many
        changed. Ids not present are passed over."""
        rows = [(None if s is None else str(s), str(i), None if s is None else str(s))
                for i, s in splits.items()]
        if not rows:
            return 0
        with self._store.write() as conn:
            before = conn.total_changes
            conn.executemany("UPDATE items SET split = ? WHERE id = ? AND split IS NOT ?", rows)
            return conn.total_changes - before

    def frame(self, split: str | None = None) -> pd.DataFrame:
        """Items in the order added: columns ``id``, ``content_hash``, ``split``."""
        sql = "SELECT id, content_hash, split FROM items"
        params: tuple = ()
        if split is not None:
            sql += " WHERE split = ?"
            params = (split,)
        rows = self._store.read(sql + " ORDER BY rowid", params)
        return pd.DataFrame(rows, columns=["id", "content_hash", "split"])

    def data(self, ids: Iterable[Any], *, missing_ok: bool = False) -> dict[str, dict]:
        """Each item's stored content (``{}`` when none), keyed by id; unknown ids refused,
        or with ``missing_ok`` left out."""
        ids = as_ids(ids)
        with self._store.reading() as conn:
            if not missing_ok:
                self._store.check_known(conn, ids)
            out: dict[str, dict] = {}
            uniq = list(dict.fromkeys(ids))
            for start in range(0, len(uniq), IDS_PER_QUERY):
                chunk = uniq[start:start + IDS_PER_QUERY]
                marks = ",".join("?" * len(chunk))
                for i, d in conn.execute(f"SELECT id, data FROM items WHERE id IN ({marks})",
                                         chunk):
                    out[i] = decode_json(d) or {}
        return {i: out[i] for i in uniq if i in out}

    def count(self) -> int:
        """How many items the ledger holds."""
        return int(self._store.read("SELECT COUNT(*) FROM items")[0][0])
