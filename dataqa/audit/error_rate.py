"""The model-based error-rate range: what the model alone says, labelled as unverified.

The share of wrong labels is not identifiable from noisy labels alone: every estimator
built on the model's out-of-sample probabilities rests on assumptions that real
(instance-dependent) noise breaks. On such noise they err in known directions:

- cleanlab's calibrated confident joint and its ``num_label_issues`` count only the
  items the model is confident about, and miss errors on hard items: they tend to be
  **below** the truth;
- the expected disagreement, the mean of ``1 - p(given label)``, charges every item
  with all of the model's doubt, hard but correctly labeled items included: it tends
  to be **above** the truth;
- the argmax disagreement (the share of items whose most likely class is not the
  given one) lies in between.

:func:`model_error_rate` reports the smallest and the largest of these as a *range*,
not an interval: it has no stated probability of holding the truth, and only a review
(:mod:`dataqa.audit.review`) turns it into an estimate one can trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dataqa._validation import check_labels, check_pred_probs
from dataqa.errors import InvalidSettingError

__all__ = ["ModelErrorRate", "model_error_rate"]

def rate_text(rate: float) -> str:
    """An error rate as a percentage with one decimal, or two significant digits below
    1% (0.00056 as ``0.056%``, not ``0.1%``: a range from 0.056% does not hold 0)."""
    if not np.isfinite(rate) or rate == 0 or abs(rate) >= 0.01:
        return f"{rate:.1%}"
    return f"{rate * 100:.2g}%"


#: The estimators of the range, in the order they are reported.
METHODS = ("confident_joint", "num_label_issues", "argmax_disagreement",
           "expected_disagreement")


@dataclass(frozen=True)
class ModelErrorRate:
    """The model-based range of the dataset's label-error rate (not verified).

    Attributes
    ----------
    low, high : float
        Smallest and largest estimate among ``methods``.
    methods : dict
        Estimator name -> estimated fraction of items whose given label is wrong:
        ``confident_joint`` (off-diagonal mass of cleanlab's calibrated confident joint),
        ``num_label_issues`` (cleanlab's count, divided by n), ``argmax_disagreement``
        (share of items whose most likely class is not the given one) and
        ``expected_disagreement`` (mean of ``1 - p(given label)``).
    review_size : int or None
        Items to review (:func:`dataqa.audit.review.required_review_size`) for a verified
        interval at most ``review_width`` wide; None when not computed.
    review_width : float or None
    """

    low: float
    high: float
    methods: dict = field(default_factory=dict)
    review_size: int | None = None
    review_width: float | None = None

    def to_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "methods": dict(self.methods),
                "review_size": self.review_size, "review_width": self.review_width}

    def __str__(self) -> str:
        s = f"{rate_text(self.low)} - {rate_text(self.high)} (model-based range, not verified"
        if self.review_size is not None:
            s += (f": review {self.review_size} items to know it, within a 95% interval "
                  f"at most {self.review_width * 100:.0f} points wide")
        return s + ")"


def model_error_rate(labels, pred_probs) -> ModelErrorRate:
    """The range of the label-error rate that the model's probabilities suggest.

    Parameters
    ----------
    labels : int array (n,)
        Given labels, classes ``0 .. K-1``.
    pred_probs : float array (n, K)
        Out-of-sample predicted probabilities (rows sum to 1).

    Returns
    -------
    ModelErrorRate
        ``low`` / ``high``: the smallest and largest of the estimators in ``methods``
        (see the module docstring for why they bracket the truth from both sides).
        A range, not a credible interval: no probability of holding the truth is claimed.
    """
    from dataqa._lazy import keep_warning_filters

    with keep_warning_filters():
        from cleanlab.count import estimate_joint, num_label_issues

    y, _ = check_labels(labels)
    p = check_pred_probs(pred_probs, len(y))
    if y.max() >= p.shape[1]:
        raise InvalidSettingError(f"label {int(y.max())} has no column in pred_probs with "
                                  f"{p.shape[1]} columns; columns must be in class order.")
    n = len(y)
    rows = np.arange(n)
    # a class the model did not learn would take every uncertain item for its own
    # (see find_label_issues): the counting estimators leave its rows out, counting them
    # as right; the disagreement ones below count them as they are (mostly wrong)
    from dataqa.audit.issues import learned_subproblem

    learned = learned_subproblem(y, p)
    y_cl, p_cl = (y, p) if learned is None else learned[1:]
    joint = estimate_joint(y_cl, p_cl)
    methods = {
        "confident_joint": float(1.0 - np.trace(joint)) * len(y_cl) / n,
        "num_label_issues": float(num_label_issues(y_cl, p_cl)) / n,
        "argmax_disagreement": float(np.mean(p.argmax(axis=1) != y)),
        "expected_disagreement": float(np.mean(1.0 - p[rows, y])),
    }
    methods = {k: min(max(v, 0.0), 1.0) for k, v in methods.items()}
    values = list(methods.values())
    return ModelErrorRate(low=min(values), high=max(values), methods=methods)
