"""Permutation p-values of the KS and Cramér-von Mises statistics on tied data, given the
pooled values (used by :func:`dataqa.drift.twosample.ks_test` and ``cvm_test``).

A split of the pooled sample into ``n`` reference and ``m`` current items only changes how
many copies of each distinct value land in the reference, so everything here works on the
per-value count vectors: O(distinct values) per split.
"""

from __future__ import annotations

import numpy as np


def pooled_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooled distinct values of ``a`` and ``b`` (increasing) and how many copies of
    each lie in ``a`` and in ``b``.

    Each sample is sorted on its own and the two sorted runs are merged (a stable sort
    of two sorted runs is a linear merge). Against one sort of the pooled values this is
    several times faster when one sample is much larger than the other (a window of
    33,000 rows against a reference of 1,000,000: about 0.05 s against 0.14 s)."""
    z = np.concatenate([np.sort(a), np.sort(b)])
    if z.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return z, empty, empty
    order = np.argsort(z, kind="stable")
    z = z[order]
    start = np.flatnonzero(np.r_[True, z[1:] != z[:-1]])
    size = np.diff(np.r_[start, z.size])
    in_a = np.add.reduceat((order < a.size).astype(np.int64), start)
    return z[start], in_a, size - in_a


def ks_gap(ca: np.ndarray, cb: np.ndarray, n: int, m: int) -> np.ndarray:
    """``n * m`` times the largest ECDF gap, an integer, for each row of the count arrays
    (the gap is only evaluated after the last copy of each distinct value)."""
    return np.abs(np.cumsum(ca, axis=-1) * m - np.cumsum(cb, axis=-1) * n).max(axis=-1)


def ks_exact_tied(counts: np.ndarray, n: int, m: int, gap: int) -> float:
    """Exact conditional p-value ``P(gap* >= gap)`` over all ``C(N, n)`` equally likely
    splits of the pooled sample into ``n`` reference and ``m`` current items, given the
    pooled counts of each distinct value.

    The reference count ``R_k`` after the first ``k`` distinct values is a chain that adds a
    Binomial(``c_k``, ``n / N``) count at each value; conditioned on ending at ``R_K = n``
    it has the permutation law. A forward pass carries the law of ``R_k`` over the paths
    that have not yet left the band ``|R_k m - (C_k - R_k) n| < gap``; the mass leaving
    it at value ``k`` is weighted by the chance of still ending at ``n``
    (Binomial(``N - C_k``, ``n / N``) at ``n - R_k``). Both tails are cut below 1e-20
    (an absolute error far below any p-value that matters).
    """
    from scipy.special import gammaln

    N = n + m
    lfact = gammaln(np.arange(N + 1, dtype=np.float64) + 1.0)
    lq, lq1 = np.log(n / N), np.log(m / N)

    def pmf(r: np.ndarray, size: int) -> np.ndarray:  # Binomial(size, n / N) at r
        return np.exp(lfact[size] - lfact[r] - lfact[size - r] + r * lq + (size - r) * lq1)

    lo, f = 0, np.ones(1)
    done = 0
    leave = 0.0
    for c in counts[:-1]:
        c = int(c)
        w = pmf(np.arange(c + 1), c)
        keep = np.flatnonzero(w > 1e-20)
        r0, w = int(keep[0]), w[keep[0]:keep[-1] + 1]
        f = np.convolve(f, w) if min(f.size, w.size) < 500 else fft_convolve(f, w)
        lo += r0
        done += c
        np.maximum(f, 0.0, out=f)
        R = lo + np.arange(f.size)
        bad = (np.abs(R * m - (done - R) * n) >= gap) & (R <= n) & (n - R <= N - done)
        if bad.any():
            Rb = R[bad]
            leave += float(np.sum(f[bad] * pmf(n - Rb, N - done)))
        f[np.abs(R * m - (done - R) * n) >= gap] = 0.0
        nz = np.flatnonzero(f > 1e-300)
        if nz.size == 0:
            break
        lo += int(nz[0])
        f = f[nz[0]:nz[-1] + 1]
    return float(min(1.0, leave / pmf(np.array(n), N)))


def fft_convolve(f: np.ndarray, w: np.ndarray) -> np.ndarray:
    from scipy.signal import fftconvolve

    return fftconvolve(f, w)


def sequential_p(counts: np.ndarray, n: int, reaches, P: int, rng, h: int) -> float:
    """Besag and Clifford's (1991) sequential Monte-Carlo p-value over random splits of
    the pooled sample into ``n`` reference items, given the pooled ``counts`` of each
    distinct value.

    Splits are drawn one after the other (as multivariate hypergeometric counts);
    ``reaches(draws)`` says which reach the observed statistic. When the ``h``-th such
    split is split ``L``, the p-value is
    ``h / L``; when fewer than ``h`` of all ``P`` splits reach it, ``(b + 1) / (P + 1)``.
    Both keep the test exact, and a sample without drift stops after about
    ``h (1 + ln(P / h))`` splits on average, so ``P`` can be large enough for small
    p-values to survive a correction over many columns.
    """
    method = "marginals" if counts.size * 20 <= counts.sum() else "count"
    b = done = 0
    batch = 100
    most = max(1, 5_000_000 // max(counts.size, 1))  # 40 MB of draws per batch at most
    while done < P:
        size = min(batch, P - done, most)
        hits = np.cumsum(reaches(rng.multivariate_hypergeometric(counts, n, size=size,
                                                                 method=method)))
        if b + hits[-1] >= h:
            return h / (done + int(np.argmax(b + hits >= h)) + 1)
        b += int(hits[-1])
        done += size
        batch = min(2 * batch, 2000)
    return (b + 1) / (P + 1)


def cvm_u(ca: np.ndarray, cb: np.ndarray, n: int, m: int) -> np.ndarray:
    """Anderson's ``U`` for each row of the per-value count arrays, with tied values given
    their average pooled rank (as ``scipy.stats.cramervonmises_2samp``)."""
    counts = ca + cb
    before = np.cumsum(counts, axis=-1) - counts
    g = before + (counts + 1) / 2.0  # the average rank of each distinct value

    def part(c: np.ndarray) -> np.ndarray:
        # sum over this sample's copies j = 1..r of the value of (g - a - j)^2, with a its
        # items before the value
        r = c.astype(np.float64)
        h = g - (np.cumsum(c, axis=-1) - c)
        return (r * (h * h - (r + 1) * h + (r + 1) * (2 * r + 1) / 6.0)).sum(axis=-1)

    return n * part(ca) + m * part(cb)
