"""Weak supervision: apply labeling functions fast, analyse them, fit label models.

- :func:`apply_lfs`: the label matrix ``L`` (n, m), equal to Snorkel's ``PandasLFApplier``;
- :func:`lf_summary`: per-LF coverage, overlaps, conflicts, accuracy, flags;
- :func:`fit_label_model`: majority vote, Dawid-Skene, Snorkel's LabelModel, or "auto";
- :func:`weak_label`: all of it on a table -> :class:`WeakResult` (``.save``, ``.to_html``).

The contract of a vectorized LF (:class:`VectorizedLF`, the :class:`FrameLF` and
:class:`EngineLF` protocols) is in :mod:`dataqa.weak.lf`, the batch engine behind
it (:class:`BatchCache`) in private modules; LF factories live in the top-level
:mod:`labeling_functions` package, which builds on them.
"""

from dataqa._lazy import lazy_exports as _lazy_exports

#: Public names loaded on first use (name -> module), so that importing
#: ``dataqa.weak.cli`` for ``dataqa --help`` loads none of the heavy libraries.
_LAZY = {
    "lf_summary": "dataqa.weak.analysis",
    "BatchCache": "dataqa.weak.lf",
    "EngineLF": "dataqa.weak.lf",
    "FrameLF": "dataqa.weak.lf",
    "FramePredicate": "dataqa.weak.lf",
    "VectorizedLF": "dataqa.weak.lf",
    "is_missing": "dataqa.weak.lf",
    "LFFaultWarning": "dataqa.weak.apply",
    "apply_lfs": "dataqa.weak.apply",
    "check_lfs": "dataqa.weak.apply",
    "LABEL_MODELS": "dataqa.weak.label_models",
    "AutoLabelModel": "dataqa.weak.label_models",
    "BaseLabelModel": "dataqa.weak.label_models",
    "DawidSkene": "dataqa.weak.label_models",
    "MajorityVote": "dataqa.weak.label_models",
    "SnorkelLabelModel": "dataqa.weak.label_models",
    "fit_label_model": "dataqa.weak.label_models",
    "register_label_model": "dataqa.weak.label_models",
    "preserve_global_random_state": "dataqa.weak.label_models",
    "WeakResult": "dataqa.weak.pipeline",
    "weak_label": "dataqa.weak.pipeline",
}

__all__ = [
    "LABEL_MODELS",
    "AutoLabelModel",
    "BaseLabelModel",
    "BatchCache",
    "DawidSkene",
    "EngineLF",
    "FrameLF",
    "FramePredicate",
    "LFFaultWarning",
    "MajorityVote",
    "SnorkelLabelModel",
    "VectorizedLF",
    "WeakResult",
    "apply_lfs",
    "check_lfs",
    "fit_label_model",
    "is_missing",
    "lf_summary",
    "preserve_global_random_state",
    "register_label_model",
    "weak_label",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
