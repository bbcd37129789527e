"""The RE2 translation of Python patterns: same answer as ``re`` on every row, or no translation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataqa.weak import BatchCache
from dataqa.weak._re2 import ALL, NO_UNICODE_WORD, category_ranges, translate
from labeling_functions import keyword_lf, regex_lf

# characters where RE2 and Python's re disagree unless translated with care: Unicode
# digits/spaces/word chars, special case folds (Kelvin sign, long s, dotted/dotless i,
# sharp s), the \v and \x1c-\x1f spaces, newlines, emoji
TRICKY = "aAkKsSiI1_ \t\n\v\x1c\x85\xa0\u212a\u017f\u0130\u0131\xdf\u1e9e\u0663\uff11é\u00c9ü😀.-$"
PATTERNS = [
    r"\d+", r"\s", r"\S\s\S", r"\w+\W", r"[^\w\s]", r"\bk", r"i\b", r"(?i)k", r"(?i)s+",
    r"(?i)[a-c]", r"(?i)[^k]", r"(?i)i", r"(?i)ß", r"(?a)\w\b", r"(?a)\s", r"a$", r"^a",
    r"\Aa|b\Z", r"(?m)^k$", r"(?s)a.b", r"a.b", r"[\d\s]{2,3}?", r"(ab|c)+", r"[^a-z\d]",
    r"é|É", r"(?i)é", r"\x1c", r"x{0}", r"",
    r"\bkai\b", r"\b(ka|ks)\s+i\b", r"\b[ü1]", r"(?i)\bk\b", r"\b(a|sk)+", r"\b(a|)",
    r"\b\d\b", r"\bü\b", r"(?a)\bk\b", r"\b.", r"k\b\w", r"\b(?:a|\.)",
    r"(?<!\w)(?:ka|s)(?!\w)", r"(?i)(?<!\w)(?:k|is|ß)(?!\w)", r"(?<![a-z])s", r"a(?!\d)",
    r"(?a)(?<!\w)k", r"(?<!\s)1", r"(?<!é)ü", r"(?i)(?<![^k])s", r"(?<![^\W\d])a\b",
    r"(?<!a)", r"(?!\w)", r"(?i)s+(?!k)",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_translation_matches_python_on_tricky_texts(pattern):
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(list(TRICKY), size=rng.integers(0, 6))) for _ in range(3000)]
    texts += list(TRICKY) + ["", "\n", "a\n", "a\n\n"]
    compiled = re.compile(pattern)
    tr = translate(compiled)
    assert tr is not None, f"{pattern!r} should translate"
    got = pc.match_substring_regex(pa.array(texts, type=pa.large_string()),
                                   tr.pattern).to_numpy(zero_copy_only=False)
    want = np.array([compiled.search(t) is not None for t in texts])
    if tr.domain == NO_UNICODE_WORD:
        keep = np.array([not any(c.isalnum() or c == "_" for c in t if ord(c) > 127) for t in texts])
        got, want = got[keep], want[keep]
    else:
        assert tr.domain == ALL
    np.testing.assert_array_equal(got, want, err_msg=pattern)


@pytest.mark.parametrize(("pattern", "domain"), [
    (r"\bwww\b", ALL), (r"\b(my|me)\s+channel\b", ALL), (r"\b\d+", ALL), (r"(?i)\bk\b", ALL),
    (r"\b(a|)", NO_UNICODE_WORD), (r"\b.", NO_UNICODE_WORD), (r"k\b\w", NO_UNICODE_WORD),
    (r"\b(?:a|\.)", NO_UNICODE_WORD), (r"\b", NO_UNICODE_WORD),
])
def test_boundary_at_pattern_edge_next_to_word_characters_is_exact_everywhere(pattern, domain):
    # a leading/trailing \b beside an item that always consumes a word character becomes
    # "start of text or a Python non-word character" (resp. "... or end"), exact on all rows
    assert translate(re.compile(pattern)).domain == domain


@pytest.mark.parametrize("pattern", [r"(?<=a)b", r"(a)\1", r"a(?=b)", r"(?i:a)b", r"a$b",
                                     r"a{1001}", r"(a)?(?(1)a|b)", r"a++", r"(?<!ab)x",
                                     r"a(?<!\w)b", r"a(?!\w)b", r"(?<!\w)?a", r"\Bs",
                                     r"\B", r"(?a)b*?\B"])
def test_untranslatable_patterns_give_none(pattern):
    assert translate(re.compile(pattern)) is None


@pytest.mark.parametrize("pattern", [r"\B", r"b*?\B", "\U0001f525?\\B", r"\B(?:xyz)?$", r"\Bs",
                                     r"(?a)\B"])
def test_non_boundary_lfs_vote_as_snorkels_rows(pattern):
    # RE2's \B matched between the bytes of '→', a no-break space or an emoji, where
    # Python's re does not, and in an empty text (re too from Python 3.14): the batch path
    # must give the row path's votes on every version
    texts = ["", "a", "\u2192", "a \u2192 b", "\U0001f525", "x\u00a0y", "ab", "s", "as", "é",
             "\u2028"]
    df = pd.DataFrame({"text": texts})
    lf = regex_lf("nb", pattern, 1)
    rows = np.array([lf(r) for _, r in df.iterrows()])
    np.testing.assert_array_equal(lf.apply_batch(df), rows)


def test_category_ranges_are_pythons():
    # spot-check against the predicates Python's engine uses
    digits = {c for lo, hi in category_ranges("digit") for c in range(lo, hi + 1)}
    assert digits == {i for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF and chr(i).isdecimal()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.one_of(st.text(alphabet=TRICKY, max_size=8), st.text(max_size=8),
                                st.none()), min_size=1, max_size=30),
       pattern=st.sampled_from(PATTERNS + [r"(?<=k)s", r"(k)\1"]))
def test_regex_lf_batch_equals_rows(texts, pattern):
    if any(isinstance(t, str) and re.search("[\ud800-\udfff]", t) for t in texts):
        return
    df = pd.DataFrame({"text": pd.Series(texts, dtype=object)})
    lf = regex_lf("re", pattern, 1)
    rows = np.array([lf(r) for _, r in df.iterrows()])
    np.testing.assert_array_equal(lf.apply_batch(df), rows)


def test_keyword_lfs_share_one_scan_and_match_python():
    rng = np.random.default_rng(1)
    words = ["check", "CHECK", "İstanbul", "straße", "ünï", "😀", "a", "ab", "abc", " ", "s"]
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 5))) for _ in range(500)]
    df = pd.DataFrame({"text": texts})
    needles = ["check", "i̇stanbul", "ünï", "😀", "a", "b c", "", "straße", "abcabcabcabc"]
    lfs = [keyword_lf(f"k{i}", k, 1) for i, k in enumerate(needles)]
    cache = BatchCache(df)
    for lf in lfs:
        lf.prepare(cache)
    for lf, k in zip(lfs, needles, strict=True):
        got = lf.apply_batch(df, cache=cache)
        want = np.array([1 if k in t.lower() else -1 for t in texts])
        np.testing.assert_array_equal(got, want, err_msg=k)


def test_required_literals_and_plain_literals():
    from dataqa.weak._re2 import plain_literal, required_literals

    cases = {r"https?://|www\.": ("http", "www."), r"(ab|cd)x": ("ab", "cd"),
             r"x(?:foo|bar(baz|qux))": ("foo", "bar"), r"check\s+out": ("check",),
             r"(?i)(hello|world)": ("hello", "world"), r"(ab|c)x": (), r"(?i)(sik|hello)": (),
             r"(a(bc|de))+": (), r"(ab|)x": (), r"(?i:ab|cd)": (), "🔥": (), "": ()}
    for pattern, want in cases.items():
        assert required_literals(re.compile(pattern)) == want, pattern
    assert plain_literal(re.compile("🔥")) == "🔥"
    assert plain_literal(re.compile(r"a\.b")) == "a.b"
    assert plain_literal(re.compile("x", re.MULTILINE)) == "x"
    for pattern in ["a.b", "(?i)ab", "", "ab+", "^ab", "a|b"]:
        assert plain_literal(re.compile(pattern)) is None, pattern


PREFILTERED = [r"https?://|www\.", "🔥", "😀", r"(ab|cd)x", r"(?i)(sk|ka)i", r"(?i)(ab|é)",
               r"x(?:ka|\.s(ü|k))", r"a\.b", "k", "\u0130", r"(?i)k(ab|ba)", r"(ks|ik)\b"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.one_of(st.text(alphabet=TRICKY + "bcdxw:/h", max_size=8),
                                st.sampled_from(["http://a", "www.x", "abx", "cdx", "🔥", "a.b",
                                                 "SKI", "\u212aai", "xka", "x.sü"]),
                                st.none()), min_size=1, max_size=30),
       pattern=st.sampled_from(PREFILTERED), dtype=st.sampled_from([object, "str"]))
def test_literal_prefilters_keep_pythons_answer(texts, pattern, dtype):
    # patterns answered through the shared scan (a plain literal) or searched only on the
    # rows holding one of their branch literals give Python's answer
    df = pd.DataFrame({"text": pd.Series(texts, dtype=dtype)})
    lf = regex_lf("re", pattern, 1)
    rows = np.array([lf(r) for _, r in df.iterrows()])
    np.testing.assert_array_equal(lf.apply_batch(df), rows)


def test_every_code_point_string():
    from dataqa.weak._re2 import _every_code_point

    assert _every_code_point() == "".join(map(chr, range(0x110000)))
