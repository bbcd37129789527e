"""Drift detection: is the current (production) data still the data the model learned from?

- pure two-sample tests, each ``(statistic, p_value)``: :func:`ks_test`, :func:`cvm_test`,
  :func:`chi2_test`, :func:`mmd_test`, :func:`classifier_test`
  (:func:`classifier_scores` adds per-item scores and driving features);
- one entry point: :func:`detect_drift` -> :class:`DriftResult`.

Every p-value is small when the samples differ; every per-item score is higher = more
unlike the reference (more worth a look).
"""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that ``dataqa --help`` loads
#: none of the heavy libraries.
_LAZY = {
    "ClassifierTestResult": "dataqa.drift.twosample",
    "MMD_BLOCK_SIZE": "dataqa.drift.twosample",
    "MMD_QUADRATIC_MAX": "dataqa.drift.twosample",
    "UNSEEN": "dataqa.drift.twosample",
    "category_counts": "dataqa.drift.twosample",
    "chi2_test": "dataqa.drift.twosample",
    "classifier_scores": "dataqa.drift.twosample",
    "classifier_test": "dataqa.drift.twosample",
    "cvm_test": "dataqa.drift.twosample",
    "ks_test": "dataqa.drift.twosample",
    "median_kernel_width": "dataqa.drift.twosample",
    "mmd_test": "dataqa.drift.twosample",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
