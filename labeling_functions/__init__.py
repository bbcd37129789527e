"""Reusable labeling-function (LF) factories and ready LF sets.

Every factory returns a :class:`dataqa.weak.VectorizedLF`: a Snorkel ``LabelingFunction``
(call it on one row; it returns a class index or -1 = abstain) that can also label a
whole DataFrame with ``apply_batch(df) -> int ndarray (n,)``. :func:`dataqa.weak.apply_lfs`
uses the batch path; Snorkel's appliers use the row path; both give the same votes.

One module per family: :mod:`~labeling_functions.keywords` (``keyword_lf``),
:mod:`~labeling_functions.regex` (``regex_lf``), :mod:`~labeling_functions.columns`
(``threshold_lf``, ``isin_lf``, ``length_lf``), :mod:`~labeling_functions.model`
(``model_lf``). Ready sets: :mod:`labeling_functions.youtube_spam` (``lfs``).

The engine the factories build on (``VectorizedLF``, ``BatchCache``, ``is_missing``) lives
in :mod:`dataqa.weak`; importing those names from here still works, with a
``DeprecationWarning``.
"""

import importlib
import warnings

from snorkel.labeling import LabelingFunction, labeling_function

from labeling_functions.columns import isin_lf, length_lf, threshold_lf
from labeling_functions.keywords import keyword_lf
from labeling_functions.model import model_lf
from labeling_functions.regex import regex_lf

__all__ = [
    "LabelingFunction",
    "isin_lf",
    "keyword_lf",
    "labeling_function",
    "length_lf",
    "model_lf",
    "regex_lf",
    "threshold_lf",
]

#: names that moved to dataqa.weak (old name -> new home)
_MOVED = {
    "BatchCache": "dataqa.weak",
    "VectorizedLF": "dataqa.weak",
    "is_missing": "dataqa.weak",
}


def __getattr__(name: str):
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(f"labeling_functions.{name} moved to {home}.{name}; import it from there "
                  f"(from {home} import {name}).", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MOVED))
