"""The model's accuracy on the current items that carry a label (late ground truth).

:func:`~dataqa.drift.model_checks.estimate_accuracy` estimates the accuracy without
labels; where some current items have one, :func:`observed_accuracy` measures it on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataqa._validation import check_pred_probs
from dataqa.errors import LengthMismatchError

__all__ = ["observed_accuracy"]


def _label_texts(values) -> np.ndarray:
    """Labels as text to compare with class names (``1.0`` -> ``"1"``, ``" spam "`` ->
    ``"spam"``); a missing or blank label is ``None``."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(pd.Series(values, dtype=object)):
        if pd.api.types.is_scalar(v) and pd.isna(v):  # None, nan, NA, NaT
            out[i] = None
            continue
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)
        text = str(v).strip()
        out[i] = text or None
    return out


def observed_accuracy(cur_probs, cur_labels, class_names, *, confidence: float = 0.95
                      ) -> dict | None:
    """The model's accuracy on the current items that carry a label, with an exact interval.

    Where production labels arrive for some current items (late ground truth, a
    reviewed sample), they give the accuracy itself rather than an estimate of it. A
    label of a class the model does not know (not in ``class_names``) counts as an
    error: the model cannot predict it.

    The interval is the Clopper-Pearson (exact binomial) interval of the accuracy on the
    population the labeled items are a random sample of: with a random sample of the
    current items, the model's accuracy on the current data. It covers at least
    ``confidence`` of the time for every accuracy and sample size (checked by simulation
    in the tests). Labeled items that were chosen (the most doubtful, say) are no random
    sample: their accuracy then says nothing about the rest.

    Parameters
    ----------
    cur_probs : array (m, K), the model's probabilities on the current items.
    cur_labels : sequence (m,), the current items' labels, missing or blank where none.
    class_names : sequence (K,), the classes in the order of ``cur_probs``'s columns.
    confidence : float in (0, 1).

    Returns
    -------
    dict or None: ``accuracy``, ``low``, ``high``, ``n`` (items with a label),
    ``n_correct``, ``n_other_class`` (labels of classes the model does not know) and
    ``other_classes`` (those labels, the 20 most frequent); None when no item carries a
    label.
    """
    from scipy.stats import beta

    Q = check_pred_probs(cur_probs)
    texts = _label_texts(cur_labels)
    if len(texts) != len(Q):
        raise LengthMismatchError(f"cur_labels has {len(texts)} items but cur_probs has "
                                  f"{len(Q)} rows.")
    names = [str(c).strip() for c in class_names]
    if len(names) != Q.shape[1]:
        raise LengthMismatchError(f"class_names has {len(names)} classes but cur_probs has "
                                  f"{Q.shape[1]} columns.")
    from dataqa.drift.model_checks import _confidence

    c = _confidence(confidence)
    has = np.array([t is not None for t in texts], dtype=bool)
    n = int(has.sum())
    if n == 0:
        return None
    predicted = np.asarray(names, dtype=object)[Q[has].argmax(1)]
    given = texts[has]
    k = int((predicted == given).sum())
    known = set(names)
    unknown = pd.Series([t for t in given if t not in known], dtype=object)
    other = int(len(unknown))
    a = (1 - c) / 2
    low = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return {"accuracy": k / n, "low": low, "high": high, "n": n, "n_correct": k,
            "n_other_class": other,
            "other_classes": unknown.value_counts().index[:20].tolist() if other else []}
