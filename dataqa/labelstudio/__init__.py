"""Label Studio sync: push queues of items with pre-annotations, pull the answers back.

Everything goes through the ledger (:mod:`dataqa.ledger`), and every task carries the
item's id in ``data.dataqa_id``, so pushes are idempotent and resumable and every
annotation finds its item. See ``docs/labelstudio.md``.

Modules: ``push`` (:func:`push_queue` in named steps), ``pull`` (:func:`pull_project`,
:func:`pull_annotations`), ``reports`` (what they did), ``tasks`` (task dicts from a
table: priority order, the context line above the choices, pre-annotations),
``project_setup`` (instructions per queue kind, the data-manager view sorted by
priority), ``importing`` (chunked import), ``ledger_state`` (the ledger's path check,
lock, queue and state names), ``client`` (REST), ``config`` (label configs),
``consensus``, ``server`` (a local server for tests and ``make labelstudio``); ``sync``
is the deprecated old home.
"""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that importing
#: ``dataqa.labelstudio.cli`` for ``dataqa --help`` loads none of the heavy libraries
#: (and ``python -m dataqa.labelstudio.server`` runs cleanly).
_LAZY = {
    "LabelStudioClient": "dataqa.labelstudio.client",
    "connect": "dataqa.labelstudio.client",
    "DATA_KINDS": "dataqa.labelstudio.config",
    "config_classes": "dataqa.labelstudio.config",
    "label_config": "dataqa.labelstudio.config",
    "ConsensusResult": "dataqa.labelstudio.consensus",
    "consensus_labels": "dataqa.labelstudio.consensus",
    "QUEUE_KINDS": "dataqa.types",
    "PullReport": "dataqa.labelstudio.reports",
    "PullResult": "dataqa.labelstudio.reports",
    "PushReport": "dataqa.labelstudio.reports",
    "pull_annotations": "dataqa.labelstudio.pull",
    "pull_project": "dataqa.labelstudio.pull",
    "push_queue": "dataqa.labelstudio.push",
    "queue_name": "dataqa.labelstudio.ledger_state",
    "project_state": "dataqa.labelstudio.ledger_state",
    "LocalServer": "dataqa.labelstudio.server",
    "find_label_studio": "dataqa.labelstudio.server",
}

__all__ = [
    "LabelStudioClient",
    "connect",
    "DATA_KINDS",
    "label_config",
    "config_classes",
    "ConsensusResult",
    "consensus_labels",
    "LocalServer",
    "find_label_studio",
    "QUEUE_KINDS",
    "PushReport",
    "PullReport",
    "PullResult",
    "push_queue",
    "pull_project",
    "pull_annotations",
    "queue_name",
    "project_state",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
