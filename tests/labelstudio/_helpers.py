"""Data builders shared by the Label Studio tests."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

CLASSES = ["ham", "spam"]


def make_items(n: int, *, seed: int = 0, prefix: str = "item") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": [f"{prefix}-{k}" for k in range(n)],
        "text": [f"message {k}: {'win cash now' if k % 3 == 0 else 'see you at lunch'}"
                 for k in range(n)],
        "prediction": rng.integers(0, 2, n),
        "score": rng.random(n).round(4),
    })


def choice(name: str, to_name: str = "text") -> list[dict]:
    return [{"from_name": "label", "to_name": to_name, "type": "choices",
             "value": {"choices": [name]}}]


def server_ids(client, project_id) -> Counter:
    """How many tasks of the project carry each item id."""
    return Counter(t["data"]["dataqa_id"] for t in client.list_tasks(project_id))


def push(items, server, ledger, project, **kw):
    """push_queue to ``server`` with the test classes (queue ``active`` by default)."""
    from dataqa.labelstudio import push_queue

    kw.setdefault("queue", "active")
    return push_queue(items, project=project, class_names=CLASSES, ledger=ledger,
                      url=server.url, api_key=server.api_key, **kw)
