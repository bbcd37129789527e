"""An order of a table's rows that depends on their values alone.

Random draws over rows (cross-validation folds, permutations, bootstraps, parts of a
sample) made on this order give the same result however a file sorts its rows: the
draws stay uniformly random, only the sequence they are drawn on no longer comes from
the file.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["content_order", "row_hashes"]

#: Seed of the fixed odd multipliers of :func:`content_order`'s row keys.
_CONTENT_SEED = 0x5EED


def _mix64(key: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the result depends on every bit of ``key``."""
    key = key.copy()
    key ^= key >> np.uint64(30)
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= key >> np.uint64(27)
    key *= np.uint64(0x94D049BB133111EB)
    key ^= key >> np.uint64(31)
    return key


def content_order(Z: np.ndarray, hashes: np.ndarray | None = None) -> np.ndarray:
    """An order of the rows of ``Z`` that depends on their values alone: the same rows in
    the same sequence whatever order ``Z`` holds them in (up to which of identical rows
    comes first, which does not matter).

    The rows are sorted by a hash of their values rounded to 1e-6 (so rounding noise of
    the features does not move them). Copies of a row get keys of their own (the row's
    and its copy number), so they are spread like any other rows rather than bunched.
    Random folds, permutations, bootstraps or parts of the rows drawn on this order are
    the same however a file sorts its rows, and stay uniformly random, so every
    exactness argument about them is unchanged.

    ``hashes`` (uint64, one row per row of ``Z``, any number of columns): more of each
    row's content, already hashed (texts: :func:`pandas.util.hash_array`), taken into the
    key as they are."""
    key = _row_keys(Z, hashes)
    n = len(key)
    # copy number of each row among the rows of its key (0 for the first copy)
    by_key = np.argsort(key, kind="stable")
    sorted_keys = key[by_key]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    copy = np.empty(n, dtype=np.uint64)
    copy[by_key] = (np.arange(n) - run_start).astype(np.uint64)
    final = _mix64(key ^ _mix64(copy + np.uint64(1)))
    return np.lexsort((np.arange(n), final))


def _row_keys(Z, hashes=None) -> np.ndarray:
    """One uint64 key per row of ``Z`` (values rounded to 1e-6) and of ``hashes``."""
    Z = np.asarray(Z)
    Z = Z.reshape(len(Z), -1)
    H = (np.zeros((len(Z), 0), dtype=np.uint64) if hashes is None
         else np.asarray(hashes, dtype=np.uint64).reshape(len(Z), -1))
    w = np.random.default_rng(_CONTENT_SEED).integers(1, 2**63, size=Z.shape[1] + H.shape[1],
                                                      dtype=np.uint64) | np.uint64(1)
    key = np.zeros(len(Z), dtype=np.uint64)
    for j in range(Z.shape[1]):  # column by column: no (n, d) temporary
        col = np.round(Z[:, j].astype(np.float64), 6) + 0.0  # -0.0 as 0.0
        key += col.view(np.uint64) * w[j]  # wraps modulo 2**64
    for j in range(H.shape[1]):
        key += H[:, j] * w[Z.shape[1] + j]
    return _mix64(key)


def row_hashes(X) -> np.ndarray:
    """One uint64 hash per row of a sparse matrix (or an array) from its values rounded to
    1e-6 and their columns, whatever order the stored entries of a row are in; for
    :func:`content_order`'s ``hashes``."""
    if not sp.issparse(X):
        return _row_keys(np.asarray(X))
    X = sp.csr_matrix(X)
    vals = np.round(np.asarray(X.data, dtype=np.float64), 6) + 0.0
    term = _mix64(vals.view(np.uint64) ^ _mix64(X.indices.astype(np.uint64) + np.uint64(1)))
    # a sum per row (modulo 2**64): the order of a row's entries does not count
    total = np.r_[np.uint64(0), np.cumsum(term, dtype=np.uint64)]
    return total[X.indptr[1:]] - total[X.indptr[:-1]]
