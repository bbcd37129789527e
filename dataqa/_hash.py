"""A 64-bit mixing function for content hashes of rows (row keys of the audit's copy
search and of the drift tests' order-free samples)."""

from __future__ import annotations

import numpy as np

__all__ = ["mix64"]


def mix64(key: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser of uint64 ``key`` (a new array): every bit of the result
    depends on every bit of ``key``."""
    key = key.copy()
    key ^= key >> np.uint64(30)
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= key >> np.uint64(27)
    key *= np.uint64(0x94D049BB133111EB)
    key ^= key >> np.uint64(31)
    return key
