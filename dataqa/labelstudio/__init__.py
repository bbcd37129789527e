"""Label Studio sync: push queues of items with pre-annotations, pull the answers back.

Everything goes through the ledger (:mod:`dataqa.ledger`), and every task carries the
item's id in ``data.dataqa_id``, so pushes are idempotent and resumable and every
annotation finds its item. See ``docs/labelstudio.md``.
"""

from dataqa.labelstudio.client import LabelStudioClient, connect
from dataqa.labelstudio.config import DATA_KINDS, config_classes, label_config
from dataqa.labelstudio.consensus import ConsensusResult, consensus_labels
from dataqa.labelstudio.sync import (
    QUEUE_KINDS,
    PullReport,
    PushReport,
    pull_annotations,
    push_queue,
    queue_name,
)

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
    "push_queue",
    "pull_annotations",
    "queue_name",
]


def __getattr__(name: str):
    # imported on first use, so that `python -m dataqa.labelstudio.server` runs cleanly
    if name in ("LocalServer", "find_label_studio"):
        from dataqa.labelstudio import server

        return getattr(server, name)
    raise AttributeError(f"module 'dataqa.labelstudio' has no attribute {name!r}")
