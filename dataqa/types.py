"""Data contracts shared by every dataqa module.

- ``labels``: int array of shape (n,), classes ``0 .. K-1``; class names are kept beside them.
- ``pred_probs``: float array of shape (n, K), rows sum to 1, columns in class order.
- ``L``: int array of shape (n, m) of labeling-function votes; ``ABSTAIN`` (-1) = no vote.
  Same convention as Snorkel, so Snorkel's LabelModel and LFAnalysis take it as is.
- **Scores**: every score dataqa returns has shape (n,) and *higher = more suspicious or
  more worth a person's look* (more likely mislabeled, more out-of-distribution, more
  worth labeling). Scores from libraries with the opposite direction (cleanlab's label
  quality, max softmax probability) are converted at the edge.
- Ids: every item has a stable string id.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "ABSTAIN",
    "SCORE_DIRECTION",
    "LABEL_SOURCES",
    "OUT_OF_SCOPE",
    "QUEUE_KINDS",
    "Labels",
    "PredProbs",
    "LabelMatrix",
    "Scores",
]

#: Value of an abstaining labeling function in ``L`` (same as Snorkel).
ABSTAIN: int = -1

#: The one direction of every score dataqa returns.
SCORE_DIRECTION: str = "higher = more suspicious / more worth labeling"

#: Where a label came from, as stored in the ledger.
LABEL_SOURCES: tuple[str, ...] = ("given", "weak", "model", "human", "reviewed")

#: Label of an item outside the task (another class, junk, a new source): it is labeled
#: but never trained on. Active learning also reads ``"-1"`` and ``"out_of_scope"`` as it.
OUT_OF_SCOPE: int = -1

#: What a queue of items is for (kind -> meaning), as stored in the ledger and pushed to
#: Label Studio; the kind decides which column becomes the pre-annotation.
QUEUE_KINDS: dict[str, str] = {
    "review": "label-issue review: the given and suggested labels and the issue score are "
              "shown above the choices; nothing is pre-selected by default (pretick)",
    "active": "active-learning batch: the model's class is pre-selected (model-<name>)",
    "spot_check": "weak-label spot check: the weak label is pre-selected (weak-label)",
    "verify": "blind verification sample for the error-rate estimate: no label is shown "
              "and nothing is pre-selected, so the reviewer labels from the item alone",
}

Labels: TypeAlias = npt.NDArray[np.integer]
PredProbs: TypeAlias = npt.NDArray[np.floating]
LabelMatrix: TypeAlias = npt.NDArray[np.integer]
Scores: TypeAlias = npt.NDArray[np.floating]
