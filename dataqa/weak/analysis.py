"""Per-LF statistics: polarity, coverage, overlaps, conflicts, accuracy against gold labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dataqa._validation import check_gold_labels, check_label_matrix
from dataqa.errors import InvalidSettingError, LengthMismatchError
from dataqa.types import ABSTAIN

__all__ = ["lf_summary", "LOW_COVERAGE", "duplicate_lfs"]

#: LFs covering less than this fraction of rows are flagged.
LOW_COVERAGE = 0.01


def duplicate_lfs(L: np.ndarray) -> list[list[int]]:
    """Groups of columns of the label matrix ``L`` (n, m) that vote identically on every
    row (the same LF twice, or two LFs that are one in effect), each group in column
    order; columns without any vote are left out (abstaining everywhere is no copy)."""
    import hashlib

    voting = np.flatnonzero((L != ABSTAIN).any(axis=0))
    if voting.size < 2:
        return []
    # a digest per column (one pass over L), then the columns of one digest compared
    by_digest: dict[bytes, list[int]] = {}
    for j in voting:
        col = np.ascontiguousarray(L[:, j], dtype=np.int64)
        by_digest.setdefault(hashlib.blake2b(col.tobytes(), digest_size=16).digest(),
                             []).append(int(j))
    groups = []
    for cols in by_digest.values():
        while len(cols) > 1:
            same = [j for j in cols if np.array_equal(L[:, cols[0]], L[:, j])]
            if len(same) > 1:
                groups.append(same)
            cols = [j for j in cols if j not in same]
    return sorted(groups)


#: Level of the one-sided binomial test behind the ``"below chance"`` flag.
BELOW_CHANCE_ALPHA = 0.05


def _below_chance(correct: int, n: int, k: int, alpha: float = BELOW_CHANCE_ALPHA) -> bool:
    """Whether ``correct`` right of ``n`` is below guessing among ``k`` classes beyond
    chance: accuracy under 1/k, and the exact one-sided binomial test of "accuracy at
    least 1/k" rejects at ``alpha``."""
    from scipy.stats import binom

    return n > 0 and correct / n < 1.0 / k and binom.cdf(correct, n, 1.0 / k) < alpha


def lf_summary(L: Any, lfs: Sequence[Any] | None = None, Y: Any = None, *,
               cardinality: int | None = None) -> pd.DataFrame:
    """One row of statistics per LF.

    Columns (same names and values as Snorkel's ``LFAnalysis(L, lfs).lf_summary(Y)``):
    ``j``, ``Polarity`` (sorted labels the LF emits), ``Coverage`` (fraction of rows it
    votes on), ``Overlaps`` (fraction of rows where it and another LF vote),
    ``Conflicts`` (fraction where another LF votes a different label); with ``Y``:
    ``Correct``, ``Incorrect``, ``Emp. Acc.`` (correct / votes; NaN without votes).
    Added here: ``Flags`` — ``"low coverage"`` below 1 % and ``"below chance"`` when the
    gold labels show the LF less accurate than 1/K: its accuracy is under 1/K and the
    exact one-sided binomial test of "accuracy >= 1/K" rejects at
    :data:`BELOW_CHANCE_ALPHA` (so 2 right of 5 votes, p = 0.5 with K = 2, is not
    flagged; 2 of 20, p = 0.0002, is).

    Parameters
    ----------
    L : int array (n, m)
    lfs : list of LFs, optional
        Their names index the table (else 0..m-1).
    Y : int array (n,), optional
        Gold labels, class indices 0..K-1 (K: ``cardinality``, else the largest LF vote
        + 1, at least 2). -1 is refused (gold labels have no abstain: drop unlabeled
        rows first), as is a label >= K, with the row and the count.
    cardinality : int, optional
        K for the chance level and the gold labels' range; default: the largest LF vote
        + 1 (at least 2).

    Returns
    -------
    DataFrame with one row per LF.
    """
    L = check_label_matrix(L, cardinality)
    n, m = L.shape
    names = [lf.name for lf in lfs] if lfs is not None else list(range(m))
    if len(names) != m:
        raise LengthMismatchError(f"L has {m} columns but {len(names)} LFs were given.")
    voted = L != ABSTAIN
    n_votes = voted.sum(axis=1)
    denom = max(n, 1)
    coverage = voted.sum(axis=0) / denom
    overlaps = (voted & (n_votes[:, None] > 1)).sum(axis=0) / denom
    # a row conflicts if it holds two different non-abstain votes
    Lm = np.where(voted, L, np.iinfo(np.int64).max)
    lo = Lm.min(axis=1)
    hi = np.where(voted, L, ABSTAIN).max(axis=1)
    conflict_row = (n_votes > 1) & (lo != hi)
    conflicts = (voted & conflict_row[:, None]).sum(axis=0) / denom
    polarity = [sorted(int(v) for v in np.unique(L[voted[:, j], j])) for j in range(m)]
    d: dict[str, Any] = {}
    if lfs is not None:
        d["j"] = list(range(m))
    d["Polarity"] = polarity
    d["Coverage"] = coverage
    d["Overlaps"] = overlaps
    d["Conflicts"] = conflicts
    flags: list[list[str]] = [["low coverage"] if c < LOW_COVERAGE else [] for c in coverage]
    if Y is not None:
        if np.ndim(Y) == 1 and len(Y) != n:
            raise LengthMismatchError(f"L has {n} rows but Y has {len(Y)}; give one label per row.")
        Y = check_gold_labels(Y, n, None, name="Y")
        k_max = cardinality or max(2, int(L.max(initial=-1)) + 1)
        bad = np.flatnonzero((Y < 0) | (Y >= k_max))
        if len(bad):
            v = int(Y[bad[0]])
            what = ("gold labels have no abstain: drop the unlabeled rows (and their rows of L) "
                    "first" if v < 0 else
                    "pass cardinality= if the task has more classes than the LFs vote for"
                    if cardinality is None else "fix the labels or the cardinality")
            raise InvalidSettingError(
                f"Y must hold class indices in 0..{k_max - 1}"
                f"{'' if cardinality else ' (the LFs vote for classes up to ' + str(k_max - 1) + ')'}"
                f"; row {int(bad[0])} holds {v} ({len(bad)} such rows): {what}.")
        correct = (voted & (L == Y[:, None])).sum(axis=0)
        n_voted = voted.sum(axis=0)
        incorrect = n_voted - correct
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = np.where(n_voted > 0, correct / np.maximum(n_voted, 1), np.nan)
        d["Correct"] = correct.astype(np.int64)
        d["Incorrect"] = incorrect.astype(np.int64)
        d["Emp. Acc."] = acc
        k = cardinality or max(2, int(max(L.max(initial=-1), Y.max(initial=-1))) + 1)
        for j in range(m):
            if _below_chance(int(correct[j]), int(n_voted[j]), k):
                flags[j].append("below chance")
    d["Flags"] = [", ".join(f) for f in flags]
    return pd.DataFrame(d, index=names)
