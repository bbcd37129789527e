"""Every factory: the row path, the frame path and Snorkel's PandasLFApplier agree."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from snorkel.labeling import PandasLFApplier, labeling_function

from dataqa.errors import InvalidSettingError, MissingColumnError
from dataqa.weak import VectorizedLF, is_missing
from labeling_functions import (
    isin_lf,
    keyword_lf,
    length_lf,
    model_lf,
    regex_lf,
    threshold_lf,
)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

cell_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="abcSUB ük!İ\u212a\u00e9\x00\n.", max_size=12),
    st.sampled_from(["", "Check out my channel", "SUBSCRIBE", "ünïcödé", "İstanbul", "a.b"]),
    st.none(),
    st.just(float("nan")),
)
cell_num = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.just(float("nan")), st.none()
)


@st.composite
def frames(draw, min_rows=1):
    n = draw(st.integers(min_value=min_rows, max_value=25))
    texts = draw(st.lists(cell_text, min_size=n, max_size=n))
    nums = draw(st.lists(cell_num, min_size=n, max_size=n))
    ints = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    df = pd.DataFrame({"text": texts, "x": nums, "k": ints})
    if draw(st.booleans()):  # also an explicit object column
        df["text"] = df["text"].astype(object)
    return df


def three_ways(df: pd.DataFrame, lfs: list) -> np.ndarray:
    """Frame path, row path and Snorkel; assert all equal and return L."""
    batch = np.column_stack([lf.apply_batch(df) for lf in lfs])
    rows = np.array([[lf(r) for lf in lfs] for _, r in df.iterrows()]).reshape(len(df), len(lfs))
    snorkel = PandasLFApplier(lfs).apply(df, progress_bar=False)
    np.testing.assert_array_equal(batch, snorkel)
    np.testing.assert_array_equal(rows, snorkel)
    return batch


keywords = st.lists(st.text(alphabet="abcSUBük İi\u0307.\x00", min_size=0, max_size=3), min_size=1,
                    max_size=3)


@SETTINGS
@given(df=frames(), kws=keywords, case=st.booleans(), whole=st.booleans())
def test_keyword_paths_equal(df, kws, case, whole):
    lf = keyword_lf("kw", kws, 1, case_sensitive=case, whole_word=whole)
    L = three_ways(df, [lf])
    # and against a plain reference written independently
    for i, v in enumerate(df["text"]):
        if is_missing(v):
            assert L[i, 0] == -1
        elif not whole:
            t = v if case else v.lower()
            ks = kws if case else [k.lower() for k in kws]
            assert (L[i, 0] == 1) == any(k in t for k in ks)


@SETTINGS
@given(df=frames(), pattern=st.sampled_from([r"\d", r"^$", r"(?i)check", r"b.b", r"\s", "ü+"]),
       flags=st.sampled_from([0, re.IGNORECASE]))
def test_regex_paths_equal(df, pattern, flags):
    three_ways(df, [regex_lf("re", pattern, 0, flags=flags)])


@SETTINGS
@given(df=frames(), op=st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
       value=st.one_of(st.floats(-10, 10, allow_nan=False), st.integers(-5, 5)),
       column=st.sampled_from(["x", "k"]))
def test_threshold_paths_equal(df, op, value, column):
    L = three_ways(df, [threshold_lf("th", column, op, value, 1)])
    miss = df[column].isna().to_numpy()
    assert (L[miss, 0] == -1).all()


@pytest.mark.parametrize("op", [">", ">=", "<", "<=", "==", "!="])
def test_threshold_on_64_bit_integers_against_a_float_is_exact(op):
    # ids beyond 2**53: float64 merges neighbours, so the frame path compared 2**60 + 1
    # with 2.0**60 as equal. Now as Python compares the int with the float; in a frame
    # whose rows are objects (a text column beside), Snorkel's row pass does the same.
    ids = np.r_[2**60 + np.arange(-3, 4), np.arange(-3, 4), [2**63 - 1, -2**63]]
    df = pd.DataFrame({"id": ids.astype(np.int64), "text": ["a"] * len(ids)})
    for value in (float(2**60), 2.5, -2.5, 3.0, 9.3e18, float("inf"), float("-inf")):
        L = three_ways(df, [threshold_lf("th", "id", op, value, 1)])
        want = [1 if {">": int(x) > value, ">=": int(x) >= value, "<": int(x) < value,
                      "<=": int(x) <= value, "==": int(x) == value,
                      "!=": int(x) != value}[op] else -1 for x in ids]
        assert L[:, 0].tolist() == want, value


@SETTINGS
@given(df=frames(), values=st.lists(st.integers(-5, 5), min_size=1, max_size=4),
       text_values=st.lists(cell_text.filter(lambda v: isinstance(v, str)), min_size=1, max_size=3))
def test_isin_and_length_paths_equal(df, values, text_values):
    three_ways(df, [isin_lf("in_k", "k", values, 1), isin_lf("in_x", "x", values, 0),
                    isin_lf("in_t", "text", text_values, 1),
                    length_lf("short", "text", max_len=3, label=0),
                    length_lf("mid", "text", min_len=2, max_len=8, label=1)])


@SETTINGS
@given(df=frames())
def test_mixed_set_with_plain_snorkel_lf(df):
    @labeling_function()
    def plain(x):
        return 1 if isinstance(x.text, str) and len(x.text) % 2 else -1

    lfs = [keyword_lf("a", ["a", "b"], 1), regex_lf("d", r"\d", 0), threshold_lf("t", "x", ">", 0, 1),
           plain]
    from dataqa.weak import apply_lfs

    np.testing.assert_array_equal(apply_lfs(df, lfs), PandasLFApplier(lfs).apply(df, progress_bar=False))


def test_lone_surrogate_falls_back_to_python():
    df = pd.DataFrame({"text": ["ok \ud800 sub", "SUB", None], "n": [1, 2, 3]}, dtype=object)
    lf = keyword_lf("sub", "sub", 1)
    np.testing.assert_array_equal(lf.apply_batch(df), [1, 1, -1])
    np.testing.assert_array_equal(three_ways(df, [lf])[:, 0], [1, 1, -1])
    assert lf({"text": "\ud800"}) == -1


def test_missing_values_abstain_in_both_paths():
    df = pd.DataFrame({"text": [None, float("nan"), pd.NA, "spam"], "x": [1.0, None, 2.0, 3.0]},
                      dtype=object)
    lfs = [keyword_lf("kw", "", 1), length_lf("len", "text", min_len=0, label=0),
           threshold_lf("t", "x", "!=", 99, 1), isin_lf("i", "text", ["spam"], 1)]
    L = three_ways(df, lfs)
    np.testing.assert_array_equal(L, [[-1, -1, 1, -1], [-1, -1, -1, -1], [-1, -1, 1, -1], [1, 0, 1, 1]])


def test_is_missing():
    assert all(is_missing(v) for v in (None, float("nan"), np.nan, pd.NA, pd.NaT,
                                         np.datetime64("NaT"), np.float32("nan")))
    assert not any(is_missing(v) for v in ("", 0, "nan", math.inf, [None]))


def test_whole_word():
    df = pd.DataFrame({"text": ["check this", "checkout", "re-check!", "CHECK", "$check"]})
    lf = keyword_lf("w", "check", 1, whole_word=True)
    np.testing.assert_array_equal(three_ways(df, [lf])[:, 0], [1, -1, 1, 1, 1])
    cs = keyword_lf("w2", "check", 1, whole_word=True, case_sensitive=True)
    np.testing.assert_array_equal(cs.apply_batch(df), [1, -1, 1, -1, 1])


def test_model_lf_batch_equals_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    df = pd.DataFrame(X, columns=["a", "b"])
    df.loc[3, "a"] = np.nan
    lf = model_lf("m", clf, 1, threshold=0.8, columns=["a", "b"])
    L = three_ways(df, [lf])
    expected = clf.predict_proba(df[["a", "b"]].fillna(0).to_numpy())[:, 1] >= 0.8
    expected = np.where(expected, 1, -1)
    expected[3] = -1
    np.testing.assert_array_equal(L[:, 0], expected)
    assert 0 < (L[:, 0] == 1).sum() < 200


def test_model_lf_with_featurize_on_text():
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["buy now cheap", "hello friend", "cheap pills buy", "see you soon"] * 5
    y = [1, 0, 1, 0] * 5
    vec = CountVectorizer().fit(texts)
    clf = LogisticRegression().fit(vec.transform(texts), y)
    df = pd.DataFrame({"text": texts[:4] + [None]})
    lf = model_lf("clf", clf, 1, threshold=0.5, columns=["text"],
                  featurize=lambda d: vec.transform(d["text"]))
    np.testing.assert_array_equal(three_ways(df, [lf])[:, 0], [1, -1, 1, -1, -1])


def test_model_lf_reads_a_model_fitted_on_class_names_through_model_class():
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["buy now cheap", "hello friend", "cheap pills buy", "see you soon"] * 5
    names = ["spam", "ham", "spam", "ham"] * 5
    vec = CountVectorizer().fit(texts)
    clf = LogisticRegression().fit(vec.transform(texts), names)  # classes_ ['ham', 'spam']
    df = pd.DataFrame({"text": texts[:4]})
    with pytest.raises(InvalidSettingError,
                       match=r"LF 'm': label 1 is not among the model's classes_ \['ham', "
                             r"'spam'\]; model_class= names the model's class, e\.g\. "
                             r"model_lf\('m', model, label=1, model_class='spam', "
                             r"threshold=\.\.\.\) if class 1 is what the model calls 'spam'"):
        model_lf("m", clf, 1, threshold=0.5, columns=["text"],
                 featurize=lambda d: vec.transform(d["text"]))
    # the suggestion follows the label's index (label 0: 'ham', not always the last class)
    with pytest.raises(InvalidSettingError, match=r"model_class='ham'"):
        model_lf("h", clf, 0, threshold=0.5, columns=["text"])
    # the vote is the class index 0 here, read from the model's "spam" column
    lf = model_lf("m", clf, 0, model_class="spam", threshold=0.5, columns=["text"],
                  featurize=lambda d: vec.transform(d["text"]))
    np.testing.assert_array_equal(three_ways(df, [lf])[:, 0], [0, -1, 0, -1])
    with pytest.raises(InvalidSettingError, match="model_class 'Spam' is not among"):
        model_lf("m", clf, 0, model_class="Spam", threshold=0.5, columns=["text"],
                 featurize=lambda d: vec.transform(d["text"]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: keyword_lf("k", [], 1), "non-empty list of strings"),
        (lambda: keyword_lf("k", "a", -1), "label=-1 must be a class index"),
        (lambda: keyword_lf("", "a", 1), "non-empty string"),
        (lambda: regex_lf("r", "(", 1), "does not compile"),
        (lambda: threshold_lf("t", "x", "=>", 1, 1), "op='=>' is not supported"),
        (lambda: threshold_lf("t", "x", ">", None, 1), "must not be missing"),
        (lambda: isin_lf("i", "x", "abc", 1), "not the string"),
        (lambda: isin_lf("i", "x", [], 1), "must not be empty"),
        (lambda: length_lf("l", "text", label=1), "give min_len, max_len or both"),
        (lambda: length_lf("l", "text", min_len=5, max_len=2, label=1), "is above max_len"),
        (lambda: model_lf("m", object(), 1, threshold=0.5, columns=["a"]), "no predict_proba"),
        (lambda: model_lf("m", LogisticRegression(), 1, threshold=1.5, columns=["a"]), "must be in [0, 1]"),
    ],
)
def test_factory_validation(make, message):
    with pytest.raises(InvalidSettingError) as e:
        make()
    assert message in str(e.value)


def test_missing_column_is_named():
    lf = keyword_lf("kw", "a", 1, column="body")
    with pytest.raises(MissingColumnError, match="'body' is not in the table; the table has: text"):
        lf.apply_batch(pd.DataFrame({"text": ["a"]}))
    with pytest.raises(MissingColumnError, match="'body'"):
        lf(pd.Series({"text": "a"}))


def test_factories_are_snorkel_lfs_and_picklable():
    import pickle

    lf = keyword_lf("kw", ["a"], 1)
    assert isinstance(lf, VectorizedLF)
    back = pickle.loads(pickle.dumps(lf))
    assert back(pd.Series({"text": "a"})) == 1 and back.name == "kw"
    assert "kw" in repr(lf)
    assert lf.apply_batch(pd.DataFrame({"text": pd.Series([], dtype=object)})).shape == (0,)


def test_lower_to_ascii_list_is_complete():
    from dataqa.weak._scan import LOWER_TO_ASCII

    found = tuple(chr(c) for c in range(128, 0x110000)
                  if not 0xD800 <= c <= 0xDFFF and any(ord(x) < 128 for x in chr(c).lower()))
    assert found == LOWER_TO_ASCII


def test_ascii_keywords_on_rows_lowering_to_ascii():
    # "\u212a" (Kelvin sign) lowers to "k", "\u0130" to "i" + U+0307
    df = pd.DataFrame({"text": ["\u212aING", "KING", "\u0130f", "if", "\u00fcking", None, "x\u0130"]})
    lfs = [keyword_lf("king", "king", 1), keyword_lf("if", ["if"], 0),
           keyword_lf("i_dot", ["i\u0307"], 1), keyword_lf("xi", "xi", 1)]
    L = three_ways(df, lfs)
    np.testing.assert_array_equal(L[:, 0], [1, 1, -1, -1, 1, -1, -1])
    np.testing.assert_array_equal(L[:, 1], [-1, -1, -1, 0, -1, -1, -1])
    np.testing.assert_array_equal(L[:, 2], [-1, -1, 1, -1, -1, -1, 1])
    np.testing.assert_array_equal(L[:, 3], [-1, -1, -1, -1, -1, -1, 1])


def test_bytes_and_every_missing_marker_in_a_text_column():
    from decimal import Decimal

    cells = [b"abc", "xb'", None, float("nan"), np.float32("nan"), pd.NA, pd.NaT,
             np.datetime64("NaT"), Decimal("NaN"), "ab", ""]
    lfs = [keyword_lf("quote", "b'", 1), keyword_lf("ab", "AB", 0), regex_lf("re_ab", "ab", 1),
           length_lf("short", "text", max_len=2, label=0)]
    for keep in (list(range(len(cells))), [0, 1, 9, 10], [1, 2, 3, 5, 6, 8, 9, 10]):
        df = pd.DataFrame({"text": pd.Series([cells[i] for i in keep], dtype=object)})
        L = three_ways(df, lfs)
        want_quote = [1 if isinstance(cells[i], bytes) or (isinstance(cells[i], str)
                                                           and "b'" in cells[i]) else -1
                      for i in keep]
        np.testing.assert_array_equal(L[:, 0], want_quote)
        # bytes read as str(b"abc") == "b'abc'": contains "ab"
        want_ab = [0 if isinstance(cells[i], (str, bytes)) and "ab" in str(cells[i]) else -1
                   for i in keep]
        np.testing.assert_array_equal(L[:, 1], want_ab)


def test_only_i_k_s_fold_to_non_ascii_under_ignorecase():
    # required_literal lower-cases case-insensitive literals and leaves out i, k and s:
    # no other ASCII character matches a non-ASCII one under re.IGNORECASE
    every = "".join(chr(c) for c in range(128, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    folds = re.findall(r"(?i)[\x00-\x7f]", every)
    assert sorted(folds) == sorted(["\u0130", "\u0131", "\u212a", "\u017f"])
    assert {c.lower() for c in "iksIKS"} == set("iks")


def test_case_insensitive_regex_literal_prefilter():
    from dataqa.weak._re2 import required_literal

    assert required_literal(re.compile(r"(?i)click\s+HERE")) == "here"
    assert required_literal(re.compile(r"(?i)sik")) is None
    assert required_literal(re.compile(r"CLICK\s+here")) == "CLICK"
    texts = ["CLICK HERE", "click here", "clic\u212a here", "cl\u0131ck here", "Click\tHeRe!",
             "click there", "clic here", "click  h\u0130re", "\u017fub", "SUB", "sub", None, "",
             "\u0130\u0130 click here"]
    df = pd.DataFrame({"text": pd.Series(texts, dtype=object)})
    lfs = [regex_lf("here", r"(?i)click\s+here", 1), regex_lf("sub", r"(?i)sub", 0),
           regex_lf("rsub", re.compile("SUB", re.IGNORECASE), 1)]
    L = three_ways(df, lfs)
    np.testing.assert_array_equal(L[:, 0], [1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, 1])
    np.testing.assert_array_equal(L[:, 1], [-1] * 8 + [0, 0, 0, -1, -1, -1])


def test_moved_names_still_import_from_labeling_functions_with_a_warning():
    import labeling_functions
    from dataqa import weak

    for name in ("BatchCache", "VectorizedLF", "is_missing"):
        with pytest.warns(DeprecationWarning, match=f"labeling_functions.{name} moved to "
                                                    f"dataqa.weak.{name}"):
            assert getattr(labeling_functions, name) is getattr(weak, name)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        labeling_functions.nope  # noqa: B018


def test_dependencies_run_one_way():
    # labeling_functions builds on dataqa.weak; nothing in dataqa imports labeling_functions
    from pathlib import Path

    import dataqa

    root = Path(dataqa.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if re.search(r"^\s*(from|import)\s+labeling_functions\b", p.read_text(encoding="utf-8"),
                              re.MULTILINE)]
    assert offenders == []


ARROW_STRING_DTYPES = ["str", "string[pyarrow]", pd.ArrowDtype(pa.string())]


@SETTINGS
@given(df=frames(), kws=keywords, case=st.booleans(),
       pattern=st.sampled_from([r"\d", r"(?i)check", r"\bsub\b", "ü+", r"k\w"]),
       dtype=st.sampled_from(ARROW_STRING_DTYPES))
def test_arrow_string_columns_equal_snorkel(df, kws, case, pattern, dtype):
    # pandas' Arrow-backed strings (the default str dtype of pandas 3) are read without
    # a conversion to Python objects; the votes stay Snorkel's
    if any(isinstance(t, str) and re.search("[\ud800-\udfff]", t) for t in df["text"]):
        return
    df = df.assign(text=df["text"].astype(dtype))
    lfs = [keyword_lf("kw", kws, 1, case_sensitive=case), regex_lf("re", pattern, 0),
           regex_lf("re_i", pattern, 1, flags=re.IGNORECASE),
           length_lf("short", "text", max_len=3, label=0),
           keyword_lf("kw_word", kws, 1, whole_word=True)]
    three_ways(df, lfs)
    from dataqa.weak import apply_lfs

    np.testing.assert_array_equal(apply_lfs(df, lfs),
                                  apply_lfs(df.assign(text=df["text"].astype(object)), lfs))


def test_arrow_string_column_rows_lowering_to_ascii():
    texts = ["\u212aING", "KING", "\u0130f", "if", None, "x\u0130", "Caf\u00c9 check", ""]
    for dtype in ARROW_STRING_DTYPES:
        df = pd.DataFrame({"text": pd.Series(texts, dtype=dtype)})
        lfs = [keyword_lf("king", "king", 1), keyword_lf("if", ["if"], 0),
               keyword_lf("cafe", "café", 1), regex_lf("re_i", r"(?i)caf\w+ check", 1)]
        L = three_ways(df, lfs)
        np.testing.assert_array_equal(L[:, 0], [1, 1, -1, -1, -1, -1, -1, -1])
        np.testing.assert_array_equal(L[:, 2], [-1, -1, -1, -1, -1, -1, 1, -1])
        np.testing.assert_array_equal(L[:, 3], [-1, -1, -1, -1, -1, -1, 1, -1])


def test_whole_word_keywords_and_lookarounds_searched_on_literal_rows_only():
    # whole-word keywords and patterns RE2 cannot run go through Python's re on the rows
    # holding a required literal only: i, k and s (which re.IGNORECASE also matches to
    # U+0130, U+0131, U+212A, U+017F) never make such a literal
    texts = ["\u017fub now", "SUB", "sub-way", "subway", "\u212aing kong", "KING", "\u0130f x",
             "if", "plea\u017fe", "PLEASE!", None, "", "x sub", "ab\u017fcd", "abscd", "zabscd"]
    for dtype in [object, "str"]:
        df = pd.DataFrame({"text": pd.Series(texts, dtype=dtype)})
        lfs = [keyword_lf("sub", ["sub", "king"], 1, whole_word=True),
               keyword_lf("please", "please", 0, whole_word=True),
               keyword_lf("if", ["if", "kong"], 1, whole_word=True, case_sensitive=True),
               regex_lf("look", r"(?<!z)ab[s\u017f]cd", 1, flags=re.IGNORECASE),
               regex_lf("look_cs", r"(?<=x )sub", 0)]
        L = three_ways(df, lfs)
        np.testing.assert_array_equal(L[:, 0], [1, 1, 1, -1, 1, 1, -1, -1, -1, -1, -1, -1, 1,
                                                -1, -1, -1])
        np.testing.assert_array_equal(L[:, 1], [-1] * 8 + [0, 0] + [-1] * 6)
        np.testing.assert_array_equal(L[:, 3], [-1] * 13 + [1, 1, -1])
        np.testing.assert_array_equal(L[:, 4], [-1] * 12 + [0, -1, -1, -1])


def test_threshold_on_an_ordered_categorical_is_refused():
    # each row's value compares as text ('large' < 'small'): the LF never fired
    from dataqa.errors import FeatureTypeError
    from dataqa.weak import apply_lfs

    sizes = pd.Categorical(["small", "large", None, "medium"],
                           categories=["small", "medium", "large"], ordered=True)
    df = pd.DataFrame({"size": sizes})
    with pytest.raises(FeatureTypeError, match=r"labeling function 'big' tests size > 'small', "
                                               r"but .* \(an ordered Categorical, small < "
                                               r"medium < large: '>' would compare its values "
                                               r"as text, not in that order\); compare its "
                                               r"codes instead"):
        apply_lfs(df, [threshold_lf("big", "size", ">", "small", 1)])
    # equality, and an unordered Categorical (text order, as for text): as before
    assert apply_lfs(df, [threshold_lf("s", "size", "==", "small", 1)])[:, 0].tolist() == \
        [1, -1, -1, -1]
    plain = pd.DataFrame({"size": pd.Categorical(["small", "large", None, "medium"])})
    assert apply_lfs(plain, [threshold_lf("big", "size", ">", "medium", 1)])[:, 0].tolist() \
        == [1, -1, -1, -1]
