"""The shared substring scan split by rows (BatchCache.scan_tasks) equals one whole scan."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataqa.weak import BatchCache
from dataqa.weak._scan import substring_rows

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# rows chosen so that cuts fall beside multi-byte characters, empty and missing rows, and
# so that a needle would match across two rows if a match could cross a row boundary
TRICKY = ["ab", "cd", "", None, "ü😀", "😀ü", "İx", "\u212aing", "b", "c", float("nan"),
          "x😀", "😀y", "xx", "", "abc\u00fc", "ABcd", "aBc", "ddd", "tail-end!"]
NEEDLES_RAW = ["bc", "b", "ü😀", "😀ü", "😀", "ü", "x😀y", "d", "end!", "tail-end!", "ab", "cd",
               "\u212a", "\u0130", "abcd", "xxx", "x", "AB", "aB", "Bc", "ABc", "A"]
NEEDLES_LOWER = ["king", "bc", "i\u0307x", "end!", "ü", "😀", "k", "ab", "abcd", "a"]


def expected(texts, needle: str, lower: bool) -> np.ndarray:
    """Python's ``needle in text`` (lower-cased with ``lower``); missing rows False."""
    out = []
    for t in texts:
        if not isinstance(t, str):
            out.append(False)
        else:
            out.append(needle in (t.lower() if lower else t))
    return np.array(out, dtype=bool)


def scanned(df: pd.DataFrame, raw: list[str], low: list[str], parts: int | None,
            order: str = "forward") -> dict[tuple[bool, str], np.ndarray]:
    cache = BatchCache(df)
    cache.want_substrings("text", False, raw)
    cache.want_substrings("text", True, low)
    if parts is not None:
        tasks = cache.scan_tasks(parts)
        if order == "forward":
            for t in tasks:
                t()
        elif order == "reverse":
            for t in reversed(tasks):
                t()
        elif order == "threads":
            ths = [threading.Thread(target=t) for t in tasks]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
        # "none": contains runs every piece itself
    miss = cache.missing("text")
    out = {}
    for lower, needles in ((False, raw), (True, low)):
        for k in needles:
            hit = cache.contains("text", lower, k)
            assert hit is not None
            out[(lower, k)] = hit & ~miss
    return out


@pytest.mark.parametrize("order", ["forward", "reverse", "threads", "none"])
@pytest.mark.parametrize("parts", [1, 2, 3, 5, len(TRICKY), len(TRICKY) + 7])
def test_split_scan_equals_whole_scan_and_python(parts, order):
    df = pd.DataFrame({"text": pd.Series(TRICKY, dtype=object)})
    whole = scanned(df, NEEDLES_RAW, NEEDLES_LOWER, None)
    split = scanned(df, NEEDLES_RAW, NEEDLES_LOWER, parts, order)
    assert whole.keys() == split.keys()
    for (lower, k), hit in split.items():
        np.testing.assert_array_equal(hit, whole[(lower, k)], err_msg=f"{k!r} lower={lower}")
        np.testing.assert_array_equal(hit, expected(TRICKY, k, lower), err_msg=f"{k!r}")
    # spot checks: no match across the "ab"|"cd" and "b"|"c" row boundaries, one at the end
    assert not whole[(False, "bc")][:10].any()
    assert whole[(False, "bc")][15]  # "abcü"
    assert whole[(False, "end!")][-1] and whole[(False, "tail-end!")][-1]
    assert whole[(True, "king")][7]  # Kelvin sign lowers to "k"
    # case-sensitive and lower-cased needles share one scan: each keeps its own case
    assert list(np.flatnonzero(whole[(False, "AB")])) == [16]
    assert list(np.flatnonzero(whole[(False, "aB")])) == [17]
    assert list(np.flatnonzero(whole[(True, "ab")])) == [0, 15, 16, 17]


def test_cut_inside_a_row_would_be_wrong_but_cuts_are_at_rows():
    # the byte scan of a piece sees only its rows: a needle spanning two rows never matches
    df = pd.DataFrame({"text": ["xa", "bx", "ab"]})
    cache = BatchCache(df)
    cache.want_substrings("text", False, ["ab"])
    tasks = cache.scan_tasks(2)
    assert len(tasks) == 2
    for t in tasks:
        t()
    np.testing.assert_array_equal(cache.contains("text", False, "ab"), [False, False, True])


def test_needle_announced_after_the_split_is_still_found():
    df = pd.DataFrame({"text": ["alpha", "beta", None, "gamma"]})
    cache = BatchCache(df)
    cache.want_substrings("text", False, ["ph"])
    for t in cache.scan_tasks(3):
        t()
    np.testing.assert_array_equal(cache.contains("text", False, "ph"), [True, False, False, False])
    hit = cache.contains("text", False, "mm") & ~cache.missing("text")
    np.testing.assert_array_equal(hit, [False, False, False, True])


def test_substring_rows_on_a_sliced_array():
    import pyarrow as pa

    arr = pa.array(["zz", "ab", "", None, "b😀", "😀"], type=pa.large_string())
    for a in range(len(arr)):
        for b in range(a, len(arr) + 1):
            got = substring_rows(arr.slice(a, b - a), ["😀", "b", "ab", "zz"])
            for k, hit in got.items():
                want = [v is not None and k in v for v in arr.to_pylist()[a:b]]
                np.testing.assert_array_equal(hit[[v is not None for v in arr.to_pylist()[a:b]]],
                                              [w for w, v in zip(want, arr.to_pylist()[a:b],
                                                                 strict=True) if v is not None])


text_cell = st.one_of(st.text(alphabet="abAB ü😀İ\u212aK\x00", max_size=6), st.none())


@SETTINGS
@given(texts=st.lists(text_cell, min_size=1, max_size=30),
       raw=st.lists(st.text(alphabet="abAB ü😀İ\u212a", min_size=1, max_size=3), min_size=1,
                    max_size=4),
       low=st.lists(st.text(alphabet="ab ü😀ki\u0307", min_size=1, max_size=3), min_size=1,
                    max_size=4),
       parts=st.integers(1, 8), order=st.sampled_from(["forward", "reverse", "none"]))
def test_split_scan_property(texts, raw, low, parts, order):
    df = pd.DataFrame({"text": pd.Series(texts, dtype=object)})
    split = scanned(df, raw, low, parts, order)
    whole = scanned(df, raw, low, None)
    for (lower, k), hit in split.items():
        np.testing.assert_array_equal(hit, whole[(lower, k)])
        np.testing.assert_array_equal(hit, expected(texts, k, lower))
