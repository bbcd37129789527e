"""Data builders shared by the Label Studio tests."""

from __future__ import annotations

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
