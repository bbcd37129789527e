"""Weak supervision: apply labeling functions fast, analyse them, fit label models.

- :func:`apply_lfs`: the label matrix ``L`` (n, m), equal to Snorkel's ``PandasLFApplier``;
- :func:`lf_summary`: per-LF coverage, overlaps, conflicts, accuracy, flags;
- :func:`fit_label_model`: majority vote, Dawid-Skene, Snorkel's LabelModel, or "auto".

LF factories live in the top-level :mod:`labeling_functions` package.
"""

from dataqa.weak.analysis import lf_summary
from dataqa.weak.apply import LFFaultWarning, apply_lfs, check_lfs
from dataqa.weak.label_models import (
    LABEL_MODELS,
    AutoLabelModel,
    DawidSkene,
    MajorityVote,
    SnorkelLabelModel,
    fit_label_model,
    preserve_global_random_state,
)

__all__ = [
    "LABEL_MODELS",
    "AutoLabelModel",
    "DawidSkene",
    "LFFaultWarning",
    "MajorityVote",
    "SnorkelLabelModel",
    "apply_lfs",
    "check_lfs",
    "fit_label_model",
    "lf_summary",
    "preserve_global_random_state",
]
