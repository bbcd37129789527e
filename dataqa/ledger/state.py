"""The ``state`` table: small JSON values under a key (never a secret)."""

from __future__ import annotations

from typing import Any

from dataqa.errors import InvalidSettingError
from dataqa.ledger.codec import decode_json, encode_json, utc_now
from dataqa.ledger.store import Store

__all__ = ["StateTable"]


class StateTable:
    """Key-value state of one ledger (see :meth:`dataqa.ledger.Ledger.set_state`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def set(self, key: str, value: Any) -> None:
        """Store a small JSON-serialisable value under ``key``."""
        if not key or not isinstance(key, str):
            raise InvalidSettingError(f"state key {key!r} must be a non-empty string.")
        text = encode_json(value)
        with self._store.write() as conn:
            conn.execute(
                "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) "
                "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, text, utc_now()))

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        rows = self._store.read("SELECT value FROM state WHERE key = ?", (key,))
        return default if not rows else decode_json(rows[0][0])

    def keys(self, prefix: str = "") -> list[str]:
        """The keys starting with ``prefix``, sorted."""
        rows = self._store.read("SELECT key FROM state ORDER BY key")
        return [k for (k,) in rows if k.startswith(prefix)]
