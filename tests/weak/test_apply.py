"""apply_lfs: equal to PandasLFApplier on the vectorized, n_jobs and Dask paths; errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snorkel.labeling import PandasLFApplier, labeling_function

from dataqa.errors import (
    FeatureTypeError,
    InvalidSettingError,
    LabelingFunctionError,
    MissingColumnError,
)
from dataqa.weak import LFFaultWarning, apply_lfs
from labeling_functions import keyword_lf, length_lf, regex_lf, threshold_lf


@labeling_function()
def lf_even_length(x):
    return 0 if isinstance(x.text, str) and len(x.text) % 2 == 0 else -1


@labeling_function()
def lf_big_x(x):
    return 1 if x.x == x.x and x.x > 0.5 else -1


@labeling_function()
def lf_boom_on_z(x):
    if isinstance(x.text, str) and "z" in x.text:
        raise ValueError("no z allowed")
    return 1


def make_lfs():
    return [
        keyword_lf("kw_check", ["check", "subscribe"], 1),
        keyword_lf("kw_hi", "hi", 0, whole_word=True),
        regex_lf("re_url", r"https?://|www\.", 1),
        threshold_lf("th_x", "x", "<", 0.2, 0),
        length_lf("short", "text", max_len=4, label=0),
        lf_even_length,
        lf_big_x,
    ]


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["check", "hi", "www.x.com", "Subscribe", "ok", "z", "song", "", "ünï"])
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 5))) for _ in range(n)]
    x = rng.random(n)
    texts = pd.Series(texts, dtype=object)
    texts[rng.random(n) < 0.1] = None
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"id": [f"r{i}" for i in range(n)], "text": texts, "x": x})


@pytest.fixture(scope="module")
def frame():
    return make_frame(300)


def test_in_process_equals_snorkel(frame):
    lfs = make_lfs()
    L = apply_lfs(frame, lfs)
    expected = PandasLFApplier(lfs).apply(frame, progress_bar=False)
    assert L.dtype == np.int64 and L.shape == (300, 7)
    np.testing.assert_array_equal(L, expected)
    assert (L != -1).any(axis=0).all()  # every LF votes somewhere: a real comparison


def test_n_jobs_equals_snorkel(frame):
    lfs = make_lfs()
    L = apply_lfs(frame, lfs, n_jobs=2)
    np.testing.assert_array_equal(L, PandasLFApplier(lfs).apply(frame, progress_bar=False))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 40), seed=st.integers(0, 10_000), shuffle=st.booleans())
def test_random_frames_equal_snorkel(n, seed, shuffle):
    df = make_frame(n, seed)
    if shuffle:  # a non-default index must not matter
        df = df.sample(frac=1.0, random_state=seed)
    lfs = make_lfs()
    np.testing.assert_array_equal(apply_lfs(df, lfs),
                                  PandasLFApplier(lfs).apply(df, progress_bar=False))


def test_dask_local_cluster_equals_snorkel(frame):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    lfs = make_lfs()
    expected = PandasLFApplier(lfs).apply(frame, progress_bar=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ddf = dd.from_pandas(frame, npartitions=4)
        L = apply_lfs(ddf, lfs, scheduler=client)
        np.testing.assert_array_equal(L, expected)
        L2 = apply_lfs(ddf, lfs)  # the active client by default
        np.testing.assert_array_equal(L2, expected)
        with pytest.warns(LFFaultWarning, match="lf_boom_on_z: "):
            Lf, faults = apply_lfs(ddf, [*lfs, lf_boom_on_z], fault_tolerant=True,
                                   return_faults=True)
    n_z = int(frame["text"].map(lambda t: isinstance(t, str) and "z" in t).sum())
    assert n_z > 0 and faults == {"lf_boom_on_z": n_z}
    np.testing.assert_array_equal(Lf[:, :-1], expected)


def test_error_names_lf_row_and_exception(frame):
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(frame, [lf_boom_on_z], id_column="id")
    msg = str(e.value)
    first = frame.index[frame["text"].map(lambda t: isinstance(t, str) and "z" in t)][0]
    assert "'lf_boom_on_z' raised on row id=" in msg
    assert repr(frame["id"][first]) in msg and "ValueError: no z allowed" in msg
    with pytest.raises(LabelingFunctionError, match=r"raised on row index \d+ \(position \d+\)"):
        apply_lfs(frame, [lf_boom_on_z], n_jobs=2)
    # on Dask the position is placed in its partition (a partition does not know its start)
    dd = pytest.importorskip("dask.dataframe")
    late = frame.index[frame["text"].map(lambda t: isinstance(t, str) and "z" in t)]
    tail = frame.loc[late[-1]:]  # starts at a row that raises, in the last partition
    both = pd.concat([frame.loc[: late[-1]].iloc[:-1].assign(text="ok"), tail])
    with pytest.raises(LabelingFunctionError, match=r"raised on row index \d+ \(position 0 "
                                                    r"of Dask partition 1\)"):
        apply_lfs(dd.from_pandas(both, chunksize=len(both) - len(tail)), [lf_boom_on_z],
                  scheduler="sync")


def test_fault_tolerant_counts_and_abstains(frame):
    z = frame.index[frame["text"].map(lambda t: isinstance(t, str) and "z" in t)]
    # the warning names each LF's first failing row and its error, whatever the n_jobs
    for n_jobs in (1, 2):
        with pytest.warns(LFFaultWarning) as caught:
            apply_lfs(frame, [lf_boom_on_z], fault_tolerant=True, id_column="id",
                      n_jobs=n_jobs)
        assert str(caught[0].message) == (
            f"labeling functions raised and abstained on some rows of the table (lf_boom_on_z: "
            f"{len(z)} "
            f"row(s), first row id={frame['id'][z[0]]!r}: ValueError: no z allowed).")
    with pytest.warns(LFFaultWarning, match=r"lf_boom_on_z: \d+"):
        L, faults = apply_lfs(frame, [lf_boom_on_z], fault_tolerant=True, return_faults=True)
    snorkel_L, meta = PandasLFApplier([lf_boom_on_z]).apply(
        frame, progress_bar=False, fault_tolerant=True, return_meta=True)
    np.testing.assert_array_equal(L, snorkel_L)
    assert faults == dict(meta.faults) and faults["lf_boom_on_z"] > 0


def test_duplicate_names_rejected():
    with pytest.raises(LabelingFunctionError, match="names must be unique; repeated: 'a'"):
        apply_lfs(pd.DataFrame({"text": ["x"]}), [keyword_lf("a", "x", 1), regex_lf("a", "x", 0)])


def test_bad_inputs():
    df = pd.DataFrame({"text": ["x"]})
    with pytest.raises(InvalidSettingError, match="lfs is empty"):
        apply_lfs(df, [])
    with pytest.raises(LabelingFunctionError, match="is not a labeling function"):
        apply_lfs(df, [lambda x: 1])
    with pytest.raises(InvalidSettingError, match="n_jobs=0"):
        apply_lfs(df, [keyword_lf("a", "x", 1)], n_jobs=0)
    with pytest.raises(MissingColumnError, match="'body' is not in the table"):
        apply_lfs(df, [keyword_lf("a", "x", 1, column="body")])

    @labeling_function()
    def returns_str(x):
        return "spam"

    with pytest.raises(LabelingFunctionError, match="'returns_str' returned 'spam' on row index 0"):
        apply_lfs(df, [returns_str])


def test_a_row_lf_reading_a_missing_column_names_it(tmp_path):
    @labeling_function()
    def by_attr(x):
        return 1 if x.n_caps > 3 else -1

    @labeling_function()
    def by_key(x):
        return 1 if x["n_caps"] > 3 else -1

    pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"]}).to_csv(tmp_path / "t.csv", index=False)
    for lf, kind in ((by_attr, "AttributeError"), (by_key, "KeyError")):
        # every row would fail: an error naming the column, even when faults are tolerated
        for tolerant in (False, True):
            with pytest.raises(MissingColumnError) as e:
                apply_lfs(tmp_path / "t.csv", [lf], id_column="id", fault_tolerant=tolerant)
            assert str(e.value) == (
                f"column 'n_caps' is not in {str(tmp_path / 't.csv')!r}; its columns are: id, "
                f"text. Labeling "
                f"function {lf.name!r} reads it ({kind} on row id='a'); give the LF one of "
                f"these columns.")

    @labeling_function()
    def other_attr(x):  # an AttributeError of another object is the LF's own fault
        return 1 if "x".no_such_method() else -1

    with pytest.raises(LabelingFunctionError, match="'other_attr' raised on row index 0 "
                                                    r"\(position 0\): AttributeError"):
        apply_lfs(pd.DataFrame({"text": ["x"]}), [other_attr])

    kinds = {"a": 1, "b": 0}

    @labeling_function()
    def by_dict(x):  # a KeyError of the LF's own dict is a fault of that row, not a column
        return kinds[x.text]

    frame = pd.DataFrame({"text": ["a", "b", "zzz", "a"]})
    with pytest.raises(LabelingFunctionError, match="'by_dict' raised on row index 2 "
                                                    r"\(position 2\): KeyError: 'zzz'"):
        apply_lfs(frame, [by_dict])
    with pytest.warns(LFFaultWarning):
        assert apply_lfs(frame, [by_dict], fault_tolerant=True)[:, 0].tolist() == [1, 0, -1, 1]
    # from worker processes the error comes back whole
    with pytest.raises(MissingColumnError, match="column 'n_caps' is not in the table"):
        apply_lfs(pd.DataFrame({"text": ["x"] * 4}), [by_attr], n_jobs=2)


def test_a_threshold_on_a_text_column_names_the_cell_that_made_it_text():
    lf = threshold_lf("caps", "n", ">", 20, 1)
    df = pd.DataFrame({"id": ["a", "b", "c", "d"], "n": ["5", "30", "unknown", None]})
    with pytest.raises(FeatureTypeError) as e:
        apply_lfs(df, [lf], id_column="id")
    assert str(e.value) == (
        "labeling function 'caps' tests n > 20, but column 'n' of the table is not numeric: "
        "row id='c' holds 'unknown' (1 of 4 cells is not a number, so the column was read as "
        "text); correct or blank such cells (a blank cell makes the LF abstain).")
    comma = df.assign(n=["5,5", "30,0", None, "1"])
    with pytest.raises(FeatureTypeError, match=r"row id='a' holds '5,5' \(2 of 4 cells look like "
                                               r"numbers with a decimal comma\); read the file "
                                               r"with --decimal ','"):
        apply_lfs(comma, [lf], id_column="id")
    with pytest.raises(FeatureTypeError, match=r"row id='a' holds '5' \(3 of 4 cells are numbers "
                                               r"written as text\); convert the column to "
                                               r"numbers"):
        apply_lfs(df.assign(n=["5", "30", None, "7"]), [lf], id_column="id")
    mixed_text = pd.DataFrame({"n": pd.Series([1, 5, "7", 9], dtype=object)})
    with pytest.raises(FeatureTypeError, match=r"position 2\) holds '7' \(1 of 4 cells are "
                                               r"numbers written as text\)"):
        apply_lfs(mixed_text, [lf])
    dates = pd.DataFrame({"n": pd.to_datetime(["2026-01-01", "2026-01-02"])})
    with pytest.raises(FeatureTypeError) as e:
        apply_lfs(dates, [lf])
    assert "(2 of 2 cells are not numbers); correct or blank" in str(e.value)
    # on Dask the row is placed in its partition
    dd = pytest.importorskip("dask.dataframe")
    parts = dd.from_pandas(pd.DataFrame({"n": ["1", "2", "3", "x"]}), npartitions=2)
    with pytest.raises(FeatureTypeError, match=r"row index (0 \(position 0 of Dask partition 0\) "
                                               r"holds '1'|3 \(position 1 of Dask partition 1\) "
                                               r"holds 'x')"):
        apply_lfs(parts, [lf], scheduler="sync")
    # equality needs no number; numbers and booleans compare as Python compares them
    assert apply_lfs(df, [threshold_lf("eq", "n", "==", 30, 1)])[:, 0].tolist() == [-1] * 4
    mixed = pd.DataFrame({"n": pd.Series([True, 25, 3.5, None], dtype=object)})
    assert apply_lfs(mixed, [lf])[:, 0].tolist() == [-1, 1, -1, -1]


def test_negative_votes_become_abstain_and_empty_frame():
    @labeling_function()
    def minus_five(x):
        return -5

    df = pd.DataFrame({"text": ["a", "b"]})
    np.testing.assert_array_equal(apply_lfs(df, [minus_five, keyword_lf("a", "a", 2)]),
                                  [[-1, 2], [-1, -1]])
    empty = pd.DataFrame({"text": pd.Series([], dtype=object)})
    assert apply_lfs(empty, [minus_five, keyword_lf("a", "a", 2)]).shape == (0, 2)


def test_path_input(tmp_path, frame):
    p = tmp_path / "d.csv"
    frame.to_csv(p, index=False)
    lfs = make_lfs()[:5]
    back = pd.read_csv(p)
    np.testing.assert_array_equal(apply_lfs(p, lfs),
                                  PandasLFApplier(lfs).apply(back, progress_bar=False))


def bench_like_lfs():
    kws = [("check", 1), ("subscribe", 1), ("song", 0), ("ünï", 0), ("hi", 0)]
    lfs = [keyword_lf(f"kw_{k}", k, lab) for k, lab in kws]
    lfs += [keyword_lf("kw_case", "Subscribe", 1, case_sensitive=True),
            keyword_lf("kw_word", ["hi", "ok"], 0, whole_word=True)]
    lfs += [regex_lf(f"re_{i}", p, lab) for i, (p, lab) in enumerate(
        [(r"www\.x", 1), (r"\bwww\b", 1), (r"\b(check|song)\s+z\b", 1), (r"\.\w+", 0),
         (r"(?i)SUB", 1), (r"x\b\.", 1)])]
    lfs += [threshold_lf("th_lo", "x", "<", 0.2, 0), threshold_lf("th_hi", "x", ">=", 0.9, 1),
            length_lf("short", "text", max_len=4, label=0)]
    return lfs


def test_threads_equal_serial_and_snorkel():
    df = make_frame(3000, seed=5)
    lfs = bench_like_lfs()
    serial = apply_lfs(df, lfs, threads=1)
    threaded = apply_lfs(df, lfs, threads=2)
    np.testing.assert_array_equal(threaded, serial)
    np.testing.assert_array_equal(serial, PandasLFApplier(lfs).apply(df, progress_bar=False))
    assert (serial != -1).any(axis=0).all()  # every LF votes somewhere
    # the automatic choice (threads on from THREAD_MIN_ROWS rows), with row-wise LFs mixed in
    from dataqa.weak.apply import THREAD_MIN_ROWS

    big = make_frame(THREAD_MIN_ROWS + 500, seed=6)
    mixed = [*lfs, lf_even_length]
    np.testing.assert_array_equal(apply_lfs(big, mixed), apply_lfs(big, mixed, threads=1))


class _Boom:
    classes_ = np.array([0, 1])

    def __init__(self, msg):
        self.msg = msg

    def predict_proba(self, X):
        raise RuntimeError(self.msg)


def test_threads_report_the_first_failing_lf_in_order(frame):
    from labeling_functions import model_lf

    lfs = [keyword_lf("kw", "check", 1),
           model_lf("model_a", _Boom("a broke"), 1, threshold=0.5, columns=["x"]),
           model_lf("model_b", _Boom("b broke"), 1, threshold=0.5, columns=["x"])]
    for threads in (1, 2):
        with pytest.raises(LabelingFunctionError, match="'model_a' raised on row .*a broke"):
            apply_lfs(frame, lfs, threads=threads)
        with pytest.warns(LFFaultWarning, match=r"model_a: (\d+) row\(s\), first row .*: "
                                                r"RuntimeError: a broke; model_b: \1 row\(s\), "
                                                r"first row .*: RuntimeError: b broke\)"):
            L, faults = apply_lfs(frame, lfs, threads=threads, fault_tolerant=True,
                                  return_faults=True)
        assert (L[:, 1:] == -1).all() and (L[:, 0] == 1).any()


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_bad_threads(frame, threads):
    with pytest.raises(InvalidSettingError, match="threads=.* must be None"):
        apply_lfs(frame, [keyword_lf("kw", "check", 1)], threads=threads)


def test_parallel_error_position_counts_from_the_start_of_the_table():
    from snorkel.labeling import labeling_function

    @labeling_function()
    def lf_boom_at_37(x):
        if x.k == 37:
            raise ValueError("bad row")
        return -1

    df = pd.DataFrame({"k": np.arange(40)}, index=np.arange(40) + 500)
    with pytest.raises(LabelingFunctionError,
                       match=r"'lf_boom_at_37' raised on row index 537 \(position 37\)"):
        apply_lfs(df, [lf_boom_at_37], n_jobs=2)


@labeling_function()
def lf_fraction(x):
    return 1.7 if x.text == "b" else -1


@labeling_function()
def lf_float_votes(x):
    return 1.0 if x.text == "b" else -1.0


@labeling_function()
def lf_exits(x):
    import sys

    sys.exit(3)


class _FloatBatch:
    """An LF with apply_batch returning floats (a user-written vectorized LF)."""

    name = "batch_floats"

    def __init__(self, votes):
        self.votes = votes

    def __call__(self, x):
        return 0

    def apply_batch(self, df, cache=None):
        return np.asarray(self.votes, dtype=float)


class _BrokenBatch(_FloatBatch):
    """An LF whose frame path has a bug its row path does not."""

    name = "broken_batch"

    def __call__(self, x):
        return 1 if "b" in x.text else -1

    def apply_batch(self, df, cache=None):
        raise RuntimeError("batch bug")


def test_a_frame_path_that_raises_where_the_row_path_does_not_is_warned_of():
    df = pd.DataFrame({"text": ["a", "b", "c"]})
    with pytest.warns(UserWarning, match=r"'broken_batch': apply_batch raised RuntimeError: "
                                         r"batch bug, but the LF called row by row did not"):
        L = apply_lfs(df, [_BrokenBatch([])])
    assert L[:, 0].tolist() == [-1, 1, -1]  # the row path's votes


def test_non_integer_votes_refused_naming_lf_and_row():
    df = pd.DataFrame({"key": ["r0", "r1", "r2"], "text": ["a", "b", "c"]})
    with pytest.raises(LabelingFunctionError, match=r"labeling function 'lf_fraction' returned 1\.7 on row "
                                                    r"key='r1'; an LF must return an int class index"):
        apply_lfs(df, [lf_fraction], id_column="key")
    with pytest.raises(LabelingFunctionError, match=r"'batch_floats' returned nan on row index 2 \(position 2\)"):
        apply_lfs(df, [_FloatBatch([0, -1, np.nan])])
    with pytest.raises(LabelingFunctionError, match=r"'batch_floats' returned 0\.5 on row index 1"):
        apply_lfs(df, [_FloatBatch([0, 0.5, 1])])
    # integral floats are votes (as in Snorkel)
    L = apply_lfs(df, [lf_float_votes, _FloatBatch([0.0, -1.0, 1.0])])
    assert L.tolist() == [[-1, 0], [1, -1], [-1, 1]]
    assert L.tolist() == [[a, b] for a, b in zip(
        PandasLFApplier([lf_float_votes]).apply(df, progress_bar=False)[:, 0], [0, -1, 1], strict=True)]


def test_sys_exit_in_an_lf_is_reported():
    df = pd.DataFrame({"text": ["a", "b"]})
    for tolerant in (False, True):
        with pytest.raises(LabelingFunctionError, match=r"'lf_exits' called sys\.exit\(3\) on row index 0"):
            apply_lfs(df, [lf_exits], fault_tolerant=tolerant)


def test_single_lf_instead_of_a_list():
    df = pd.DataFrame({"text": ["a"]})
    with pytest.raises(InvalidSettingError, match=r"got the single LF 'kw'. Pass it in a list: \[kw\]"):
        apply_lfs(df, keyword_lf("kw", "a", 1))
    with pytest.raises(InvalidSettingError, match="lfs must be a list of labeling functions; got int 5"):
        apply_lfs(df, 5)


@labeling_function()
def lf_has_b(x):
    return "b" in x.text  # a test, not a vote: False would be class 0


def test_true_false_votes_are_refused_naming_lf_and_row():
    df = pd.DataFrame({"key": ["r0", "r1", "r2"], "text": ["a", "b", "c"]})
    fix = ("True/False would be read as votes for classes 1 and 0, so every row it does not "
           "fire on would get class 0. Return a class index or -1 (abstain), e.g. `return 1 "
           "if ... else -1`; or int(...) if False does mean class 0.")
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(df, [lf_has_b], id_column="key")
    assert str(e.value) == f"labeling function 'lf_has_b' returned False on row key='r0': {fix}"
    batch = _FloatBatch([False, True, False])
    batch.apply_batch = lambda d, cache=None: np.asarray([False, True, False])
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(df, [batch])
    assert str(e.value) == (f"labeling function 'batch_floats' returned False on row index 0 "
                            f"(position 0): {fix}")
    # int(...) is the way to say False is class 0
    as_int = labeling_function(name="as_int")(lambda x: int("b" in x.text))
    assert apply_lfs(df, [as_int]).tolist() == [[0], [1], [0]]


@labeling_function()
def lf_counts_words(x):
    return 1 if len(x.text.split()) > 2 else -1


def test_an_lf_that_fails_on_an_empty_cell_is_told_which():
    df = pd.DataFrame({"key": ["r0", "r1"], "text": ["a b c", np.nan]})
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(df, [lf_counts_words], id_column="key")
    assert str(e.value).startswith(
        "labeling function 'lf_counts_words' raised on row key='r1': AttributeError: 'float' "
        "object has no attribute 'split'; the row's 'text' is empty (NaN or NA, not a str): "
        "guard the LF, e.g. `if not isinstance(x['text'], str): return -1` (fix the LF")
    # another empty text cell before it: the one the LF reads is named first
    df = pd.DataFrame({"author": ["a", pd.NA], "text": ["a b c", pd.NA]})
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(df, [lf_counts_words])
    assert ("the row's 'text', 'author' are empty (NaN or NA, not a str): guard the LF, e.g. "
            "`if not isinstance(x['text'], str): return -1`") in str(e.value)


@labeling_function()
def lf_bad_call(x):
    return 1 if x.text.startswith(3) else -1  # a TypeError of its own


def test_an_empty_number_is_not_blamed_for_an_lfs_own_error():
    df = pd.DataFrame({"text": ["a b c"], "n": [np.nan]})
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(df, [lf_bad_call])
    assert "TypeError" in str(e.value) and "is empty" not in str(e.value)


def test_error_on_a_files_row_counts_it_as_the_file_does(tmp_path):
    path = tmp_path / "sms.csv"
    path.write_text("label,text\nham,hello there\nham,all ok\nspam,win a zebra now\n")
    with pytest.raises(LabelingFunctionError,
                       match=rf"'lf_boom_on_z' raised on row 3 of {re.escape(repr(str(path)))} "
                             r"\(data rows counted from 1, after any header\): ValueError"):
        apply_lfs(str(path), [lf_boom_on_z])
    # a table read from several files: the row of the file it came from
    from dataqa.data import load_tables

    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("label,text\nham,hello\nham,all ok\n")
    (tmp_path / "parts" / "b.csv").write_text("label,text\nham,fine\nspam,a zebra\n")
    with pytest.raises(LabelingFunctionError, match=r"raised on row 2 of '[^']*b\.csv' \(data "
                                                    r"rows counted from 1"):
        apply_lfs(load_tables(str(tmp_path / "parts" / "*.csv")), [lf_boom_on_z])
    with pytest.raises(LabelingFunctionError, match=r"raised on row 2 of '[^']*b\.csv'"):
        apply_lfs(load_tables(str(tmp_path / "parts" / "*.csv")).iloc[1:], [lf_boom_on_z])
    # rows left out and the rest numbered afresh cannot be told from the file's first
    # rows: both readings are named
    table = load_tables(str(path))
    kept = table[table["label"] == "spam"].reset_index(drop=True)
    with pytest.raises(LabelingFunctionError) as e:
        apply_lfs(kept, [lf_boom_on_z])
    assert (f"raised on row 1 of {str(path)!r} (data rows counted from 1, after any header; "
            f"if rows were left out of the table and the rest numbered afresh, it is the "
            f"table's index 0 instead)") in str(e.value)
    # the whole table, a slice keeping its index, or every other row, in one process or
    # in chunks applied in parallel, names the file's row alone
    big = tmp_path / "big.csv"
    big.write_text("label,text\nham,hi\nham,hello\nspam,a zebra\n"
                   + "".join(f"ham,hello {i}\n" for i in range(40)))
    whole = load_tables(str(big))
    for frame, n_jobs in ((whole, 1), (whole, 2), (whole.iloc[2:], 2), (whole.iloc[::2], 1)):
        with pytest.raises(LabelingFunctionError) as e:
            apply_lfs(frame, [lf_boom_on_z], n_jobs=n_jobs)
        assert f"raised on row 3 of {str(big)!r} (data rows counted from 1, after any " \
               f"header): ValueError" in str(e.value)


def test_memoized_preprocessors_give_the_same_matrix_in_other_processes_after_a_run_here():
    from snorkel.preprocess import preprocessor

    @preprocessor(memoize=True)
    def add_len(x):
        x.n_chars = len(x.text)
        return x

    @labeling_function(pre=[add_len])
    def long_text(x):
        return 1 if x.n_chars > 10 else -1

    df = pd.DataFrame({"text": ["Hello World", "spam spam spam", "x", "short"] * 3})
    want = PandasLFApplier([long_text]).apply(df, progress_bar=False)
    np.testing.assert_array_equal(apply_lfs(df, [long_text]), want)
    # the rows cached above lost n_chars when pickled: AttributeError in the workers
    np.testing.assert_array_equal(apply_lfs(df, [long_text], n_jobs=2), want)
