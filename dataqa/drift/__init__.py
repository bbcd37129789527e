"""Drift detection: is the current (production) data still the data the model learned from?

- pure two-sample tests, each ``(statistic, p_value)``: :func:`ks_test`, :func:`cvm_test`,
  :func:`binned_chi2_test`, :func:`chi2_test`, :func:`mmd_test`, :func:`classifier_test`
  (:func:`classifier_scores` adds per-item scores and driving features);
- one entry point: :func:`detect_drift` -> :class:`DriftResult` (columns, whole-table tests,
  and with labels: prediction shift, label shift, estimated accuracy, OOD share);
- model checks as pure functions: :func:`bbse_priors`, :func:`label_shift`,
  :func:`estimate_accuracy`, :func:`observed_accuracy` (on current items that carry a
  label), :func:`ood_fraction`, :func:`prediction_drift`;
- effects and corrections: :func:`normalized_wasserstein`, :func:`jensen_shannon`,
  :func:`excess_jensen_shannon`, :func:`psi_numeric`, :func:`psi_categorical`, :func:`adjust_p_values`;
- over time: :func:`drift_windows` (windows by time or rows, reference chunks
  leave-one-chunk-out);
- act: ``DriftResult.label_queue(top=N)`` and :func:`push_label_queue` (Label Studio,
  through the ledger; :func:`queue_to_push` gives the rows it sends).

Every p-value is small when the samples differ; every per-item score is higher = more
unlike the reference (more worth a look).
"""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that ``dataqa --help`` loads
#: none of the heavy libraries.
_LAZY = {
    "DEFAULT_MIN_EFFECT": "dataqa.drift.detect",
    "MIN_ROWS": "dataqa.drift.detect",
    "detect_drift": "dataqa.drift.detect",
    "DriftResult": "dataqa.drift.result",
    "RANK_BY": "dataqa.drift.result",
    "CORRECTIONS": "dataqa.drift.univariate",
    "NUMERIC_TESTS": "dataqa.drift.univariate",
    "adjust_p_values": "dataqa.drift.univariate",
    "jensen_shannon": "dataqa.drift.univariate",
    "excess_jensen_shannon": "dataqa.drift.univariate",
    "normalized_wasserstein": "dataqa.drift.univariate",
    "psi_categorical": "dataqa.drift.univariate",
    "psi_numeric": "dataqa.drift.univariate",
    "MULTIVARIATE_TESTS": "dataqa.drift.multivariate",
    "MAX_REFERENCE_CHUNKS": "dataqa.drift.windows",
    "drift_windows": "dataqa.drift.windows",
    "split_windows": "dataqa.drift.windows",
    "push_label_queue": "dataqa.drift.push",
    "queue_to_push": "dataqa.drift.push",
    "bbse_priors": "dataqa.drift.model_checks",
    "estimate_accuracy": "dataqa.drift.model_checks",
    "observed_accuracy": "dataqa.drift.observed",
    "ACCURACY_METHODS": "dataqa.drift.model_checks",
    "label_shift": "dataqa.drift.model_checks",
    "ood_fraction": "dataqa.drift.model_checks",
    "prediction_drift": "dataqa.drift.model_checks",
    "ClassifierTestResult": "dataqa.drift.twosample",
    "MMD_BLOCK_SIZE": "dataqa.drift.twosample",
    "MMD_QUADRATIC_MAX": "dataqa.drift.twosample",
    "MMD_MEDIAN_SCALE": "dataqa.drift.twosample",
    "CLASSIFIER_MODELS": "dataqa.drift.twosample",
    "UNSEEN": "dataqa.drift.twosample",
    "category_counts": "dataqa.drift.twosample",
    "chi2_test": "dataqa.drift.twosample",
    "binned_chi2_test": "dataqa.drift.twosample",
    "MAX_DISCRETE_VALUES": "dataqa.drift.univariate",
    "RARE_COUNT": "dataqa.drift.univariate",
    "CATEGORICAL_TOP": "dataqa.drift.univariate",
    "classifier_scores": "dataqa.drift.twosample",
    "classifier_test": "dataqa.drift.twosample",
    "cvm_test": "dataqa.drift.twosample",
    "ks_test": "dataqa.drift.twosample",
    "median_kernel_width": "dataqa.drift.twosample",
    "mmd_test": "dataqa.drift.twosample",
    "mmd_rows": "dataqa.drift.twosample",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
