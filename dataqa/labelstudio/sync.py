"""Deprecated home of push and pull; import from :mod:`dataqa.labelstudio` instead.

``push_queue`` now lives in :mod:`dataqa.labelstudio.push`, ``pull_annotations`` in
:mod:`dataqa.labelstudio.pull`, the reports in :mod:`dataqa.labelstudio.reports`,
``build_tasks`` in :mod:`dataqa.labelstudio.tasks` and ``queue_name`` in
:mod:`dataqa.labelstudio.ledger_state`. Every name importable from here before still
is, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import importlib
import warnings

#: Old name -> (module it lives in now, where to import it from).
_MOVED = {
    "QUEUE_KINDS": ("dataqa.types", "dataqa.labelstudio"),
    "PushReport": ("dataqa.labelstudio.reports", "dataqa.labelstudio"),
    "PullReport": ("dataqa.labelstudio.reports", "dataqa.labelstudio"),
    "push_queue": ("dataqa.labelstudio.push", "dataqa.labelstudio"),
    "pull_annotations": ("dataqa.labelstudio.pull", "dataqa.labelstudio"),
    "queue_name": ("dataqa.labelstudio.ledger_state", "dataqa.labelstudio"),
    "build_tasks": ("dataqa.labelstudio.tasks", "dataqa.labelstudio.tasks"),
    "DEFAULT_MAX_CHUNK_BYTES": ("dataqa.labelstudio.importing", "dataqa.labelstudio.importing"),
    "LOCK_WAIT_S": ("dataqa.labelstudio.ledger_state", "dataqa.labelstudio.ledger_state"),
}

__all__ = ["QUEUE_KINDS", "PushReport", "PullReport", "push_queue",  # noqa: F822 (lazy)
           "pull_annotations", "queue_name", "build_tasks"]


def __getattr__(name: str):
    moved = _MOVED.get(name)
    if moved is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, advice = moved
    warnings.warn(f"dataqa.labelstudio.sync is deprecated; use `from {advice} import {name}`.",
                  DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MOVED))
