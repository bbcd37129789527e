"""Reusable labeling-function (LF) factories and ready LF sets.

Every factory returns a :class:`VectorizedLF`: a Snorkel ``LabelingFunction`` (call it on
one row; it returns a class index or -1 = abstain) that can also label a whole DataFrame
with ``apply_batch(df) -> int ndarray (n,)``. :func:`dataqa.weak.apply_lfs` uses the
batch path; Snorkel's appliers use the row path; both give the same votes.

Ready sets: :mod:`labeling_functions.youtube_spam` (``lfs``).
"""

from snorkel.labeling import LabelingFunction, labeling_function

from labeling_functions._core import (
    BatchCache,
    VectorizedLF,
    is_missing,
    isin_lf,
    keyword_lf,
    length_lf,
    model_lf,
    regex_lf,
    threshold_lf,
)

__all__ = [
    "BatchCache",
    "LabelingFunction",
    "VectorizedLF",
    "is_missing",
    "isin_lf",
    "keyword_lf",
    "labeling_function",
    "length_lf",
    "model_lf",
    "regex_lf",
    "threshold_lf",
]
