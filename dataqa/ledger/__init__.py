"""The ledger: one local SQLite file holding items, labels, rounds, queues and task ids.

Every public write runs in one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), so an
exception or a killed process in the middle of a write leaves the last committed state.
The file uses WAL journaling and foreign keys. Its schema is versioned (``PRAGMA
user_version`` plus ``schema_version`` in the ``meta`` table) and upgraded in place by
the migrations in :data:`MIGRATIONS` when an older ledger is opened. A file that is not a
dataqa ledger, or one written by a newer dataqa, raises :class:`~dataqa.errors.LedgerError`.

Opening a ledger runs SQLite's ``quick_check``: a damaged file raises
:class:`~dataqa.errors.LedgerError` saying so instead of failing later. A ledger that
another process keeps write-locked longer than the timeout (30 s, or
``$DATAQA_LEDGER_TIMEOUT`` seconds) raises a ``LedgerError`` naming the file and the wait.

All times are ISO-8601 strings in UTC (``2025-01-31T12:00:00.000000+00:00``). The ledger
never stores secrets: do not put API keys in item data, settings or state.

Layout (dependencies run down the list):

- :mod:`~dataqa.ledger.codec`: ids, times, JSON and numpy scalars in and out;
- :mod:`~dataqa.ledger.schema`: the tables, :data:`MIGRATIONS`, :data:`SCHEMA_VERSION`;
- :mod:`~dataqa.ledger.store`: the connection, lock, transactions and one-line errors;
- one part per table: :mod:`~dataqa.ledger.items`, :mod:`~dataqa.ledger.labels`,
  :mod:`~dataqa.ledger.rounds`, :mod:`~dataqa.ledger.queues`,
  :mod:`~dataqa.ledger.state` and :mod:`dataqa.labelstudio.ledger_tasks`;
- :mod:`~dataqa.ledger.facade`: :class:`Ledger`, which routes each call to its part.

See ``docs/ledger.md`` for the schema.
"""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module that defines it).
_LAZY = {
    "Ledger": "dataqa.ledger.facade",
    "LABEL_PRECEDENCE": "dataqa.ledger.labels",
    "QUEUE_KINDS": "dataqa.types",
    "SCHEMA_VERSION": "dataqa.ledger.schema",
    "MIGRATIONS": "dataqa.ledger.schema",
    "utc_now": "dataqa.ledger.codec",
    "to_utc_iso": "dataqa.ledger.codec",
    "DEFAULT_TIMEOUT": "dataqa.ledger.store",
    "TIMEOUT_ENV": "dataqa.ledger.store",
}

__all__ = [
    "Ledger",
    "LABEL_PRECEDENCE",
    "QUEUE_KINDS",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "utc_now",
    "to_utc_iso",
    "DEFAULT_TIMEOUT",
    "TIMEOUT_ENV",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
