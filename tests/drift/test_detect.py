"""detect_drift: columns, decisions, bad inputs, calibration under no shift."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest

from dataqa.drift import DriftResult, detect_drift
from dataqa.errors import (
    DataLoadError,
    EmptyDataError,
    FeatureTypeError,
    InvalidSettingError,
    MissingColumnError,
    UnknownNameError,
)


def table(n, rng, shift=0.0, cat_p=(0.5, 0.3, 0.2)):
    return pd.DataFrame({
        "a": rng.normal(shift, 1.0, n),
        "b": rng.normal(size=n),
        "cat": rng.choice(["x", "y", "z"], n, p=list(cat_p)),
    })


def test_shifted_column_is_the_drifted_one():
    rng = np.random.default_rng(0)
    r = detect_drift(table(400, rng), table(300, rng, shift=0.6, cat_p=(0.2, 0.3, 0.5)),
                     n_permutations=99)
    assert isinstance(r, DriftResult)
    assert list(r.columns.columns[:7]) == ["column", "test", "statistic", "p_value",
                                           "p_adjusted", "effect", "drifted"]
    got = r.columns.set_index("column")
    assert got.loc["a", "test"] == "ks" and got.loc["cat", "test"] == "chi2"
    assert bool(got.loc["a", "drifted"]) and bool(got.loc["cat", "drifted"])
    assert not bool(got.loc["b", "drifted"])
    assert r.drifted
    # what moved in a categorical column; numeric columns leave both fields empty
    assert got.loc["cat", "unseen_current"] == 0.0
    assert got.loc["cat", "largest_change"].split(":")[0] in ("x", "z")  # 0.5 <-> 0.2
    assert got.loc["cat", "largest_change"].endswith("%")
    assert pd.isna(got.loc["a", "unseen_current"]) and pd.isna(got.loc["a", "largest_change"])
    assert r.multivariate["mmd"]["p_value"] == pytest.approx(1 / 100)
    assert r.multivariate["classifier"]["statistic"] > 0.6
    assert r.driving_features["column"].iloc[0] in ("a", "cat")
    assert r.label_shift is None and r.estimated_accuracy is None


def test_the_shifted_column_drives_the_classifier_not_the_one_of_most_features():
    """Summed absolute coefficients grew with a column's number of features: an
    unshifted column of 25 values (26 features) ranked above the one shifted column in 3
    of 3 seeds. The held-out score terms do not grow so."""
    rng = np.random.default_rng(0)

    def rows(n, shift):
        return pd.DataFrame({"age": rng.normal(40 + shift, 10, n).round(1),
                             "city": rng.choice([f"c{i:02d}" for i in range(25)], n),
                             "x": rng.normal(size=n)})

    for seed in range(3):
        r = detect_drift(rows(2500, 0), rows(1000, 2), random_state=seed,
                         n_permutations=99)
        assert r.driving_features["column"].iloc[0] == "age", r.driving_features
        imp = r.driving_features.set_index("column")["importance"]
        assert imp["age"] > 2 * abs(imp[["city", "x"]]).max(), imp


def test_p_adjusted_is_bh_over_columns_and_min_effect_gates():
    rng = np.random.default_rng(1)
    ref, cur = table(300, rng), table(300, rng, shift=0.5)
    r = detect_drift(ref, cur, multivariate=())
    from dataqa.drift import adjust_p_values

    assert r.columns["p_adjusted"].to_numpy() == pytest.approx(
        adjust_p_values(r.columns["p_value"], "fdr"))
    r2 = detect_drift(ref, cur, multivariate=(), min_effect=5.0)
    assert not r2.drifted  # significant, but no effect reaches 5
    assert (r2.columns["p_adjusted"] <= 0.05).any()
    rb = detect_drift(ref, cur, multivariate=(), correction="bonferroni")
    assert rb.columns["p_adjusted"].to_numpy() == pytest.approx(
        np.minimum(1, 3 * rb.columns["p_value"].to_numpy()))


def test_text_column_goes_through_tfidf_svd():
    rng = np.random.default_rng(2)
    words_a = ["cheap", "offer", "win", "prize", "click"]
    words_b = ["meeting", "lunch", "tomorrow", "home", "call"]

    def texts(n, words):
        return [" ".join(rng.choice(words, 6)) for _ in range(n)]
    ref = pd.DataFrame({"text": texts(60, words_a + words_b)})
    cur = pd.DataFrame({"text": texts(60, words_b)})
    r = detect_drift(ref, cur, text_column="text", n_permutations=99, multivariate=())
    row = r.columns.iloc[0]
    assert row["column"] == "text" and row["test"] == "mmd" and row["p_value"] <= 0.02
    assert bool(row["drifted"])


def test_text_column_may_be_a_number_and_a_list_is_refused():
    """A table read without a header names its columns 0, 1, ...: the text column is then
    a number (it was a TypeError); a list of columns is refused by name."""
    rng = np.random.default_rng(4)
    words = ["cheap", "offer", "win", "meeting", "lunch", "home"]
    texts = [" ".join(rng.choice(words, 5)) for _ in range(80)]
    ref = pd.DataFrame({0: rng.normal(size=40), 1: texts[:40]})
    cur = pd.DataFrame({0: rng.normal(size=40) + 3.0, 1: texts[40:]})
    r = detect_drift(ref, cur, text_column=1, n_permutations=99, multivariate=())
    assert dict(zip(r.columns["column"], r.columns["test"], strict=True)) == {0: "ks", 1: "mmd"}
    assert bool(r.columns.set_index("column").loc[0, "drifted"])
    assert r.label_queue(top=3)["text"].isin(texts[40:]).all()
    with pytest.raises(InvalidSettingError, match=r"text_column=\[1\] is a collection of "
                       r"columns; text_column \(the command line's --text-column\) takes one"):
        detect_drift(ref, cur, text_column=[1])
    with pytest.raises(InvalidSettingError, match=r"label_column=\('a', 'b'\)"):
        detect_drift(ref, cur, label_column=("a", "b"))


def test_label_queue_ranks_unlike_items_first():
    rng = np.random.default_rng(3)
    ref = table(200, rng)
    cur = table(100, rng)
    cur.loc[:9, "a"] += 6.0  # ten items far from the reference
    cur["id"] = [f"c{i}" for i in range(100)]
    r = detect_drift(ref, cur, id_column="id", n_permutations=49)
    q = r.label_queue(top=10)
    assert list(q.columns[:4]) == ["id", "score", "unlike_score", "uncertainty"]
    assert len(q) == 10 and q["score"].is_monotonic_decreasing
    assert len(set(q["id"]) & {f"c{i}" for i in range(10)}) >= 8
    assert q["uncertainty"].isna().all()  # no model without labels
    assert "current_id" not in q.columns  # the id column is the queue's id
    with pytest.raises(InvalidSettingError, match="top=0"):
        r.label_queue(top=0)
    # without id_column the ids are content hashes: the table's own id column and a
    # label column are kept under other names, so nothing is lost or taken for labels
    cur["label"] = "spam"
    hashed = detect_drift(ref, cur, n_permutations=49).label_queue(top=100)
    assert hashed.columns.tolist() == ["id", "score", "unlike_score", "uncertainty", "copies",
                                       "a", "b", "cat", "current_id", "current_label"]
    assert sorted(hashed["current_id"]) == sorted(cur["id"])
    assert not hashed["id"].isin(cur["id"]).any() and (hashed["current_label"] == "spam").all()
    # a table that already has a current_id column keeps both, whatever the order
    for order in (["current_id", "id"], ["id", "current_id"]):
        t = cur.assign(current_id=[f"x{i}" for i in range(100)])[["a", "b", "cat", *order]]
        qq = detect_drift(ref, t, n_permutations=49).label_queue(top=100)
        assert sorted(qq["current_id"]) == sorted(t["current_id"])
        assert sorted(qq["current_current_id"]) == sorted(t["id"])


def test_label_queue_lists_each_content_once_with_its_copies_and_the_probability():
    rng = np.random.default_rng(31)
    words = ["free", "prize", "call", "now", "see", "you", "at", "lunch", "home", "later"]
    ref = pd.DataFrame({"text": [" ".join(rng.choice(words, 6)) for _ in range(120)]})
    ref["label"] = np.where(ref["text"].str.contains("prize"), "spam", "ham")
    cur = pd.DataFrame({"text": [" ".join(rng.choice(words, 6)) for _ in range(57)]
                        + ["win cash win cash now"] * 3, "id": [f"c{i}" for i in range(60)]})
    r = detect_drift(ref, cur, text_column="text", label_column="label", id_column="id",
                     n_permutations=49)
    q = r.label_queue(top=60)
    assert len(q) == 58 and q["text"].is_unique  # the three copies are one item
    assert q.loc[q["text"] == "win cash win cash now", "copies"].tolist() == [3]
    assert (q.loc[q["text"] != "win cash win cash now", "copies"] == 1).all()
    probs = r.current_probs.max(axis=1)
    np.testing.assert_allclose(q["probability"], probs[cur.reset_index().set_index("id")
                                                       .loc[q["id"], "index"].to_numpy()])
    np.testing.assert_allclose(q["probability"], 1 - q["uncertainty"])
    every = r.label_queue(top=60, distinct=False)
    assert len(every) == 60 and (every["copies"] == 1).all()
    assert r.label_queue(top=None).equals(q)  # every item
    assert len(r.label_queue(top=None, distinct=False)) == 60


def test_content_keys_keep_types_and_never_merge_rows_without_text():
    from dataqa.drift.result import _content_keys

    d = pd.DataFrame({"a": [1, "1", True, "True", 1], "t": ["x", None, "x", " ", "y"]})
    keys = _content_keys(d, None, None)
    assert len(set(keys)) == 5  # 1 and "1", True and "True" differ; rows differ in t
    by_text = _content_keys(d, "t", None)
    assert by_text[0] == by_text[2] and len(set(by_text)) == 4  # missing / blank text: own rows
    assert _content_keys(d[["a"]], None, "a") is None  # nothing but the id: no merging
    # what an annotator sees: runs of white space and the ends aside, case kept
    t = pd.DataFrame({"t": ["Win cash now", "Win cash now ", " Win  cash\tnow", "win cash now"]})
    keys = _content_keys(t, "t", None)
    assert keys[0] == keys[1] == keys[2] != keys[3]
    # invisible characters (a byte-order mark pasted at the end, a zero-width space) too
    t = pd.DataFrame({"t": ["Waka waka", "Waka waka\ufeff", "Waka\u200b waka", "Waka  wakа"]})
    keys = _content_keys(t, "t", None)
    assert keys[0] == keys[1] == keys[2] != keys[3]  # (the last ends in a Cyrillic a)
    # a text of invisible characters only is no text: its own item, as a missing one
    t = pd.DataFrame({"t": ["\u200b", "\ufeff\u200e", "x"]})
    keys = _content_keys(t, "t", None)
    assert keys[0] != keys[1] and str(keys[0]).startswith("missing text")


def test_save_writes_the_three_files(tmp_path):
    import json

    rng = np.random.default_rng(4)
    r = detect_drift(table(100, rng), table(100, rng, shift=1.0), n_permutations=49)
    paths = r.save(tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["drifted"] is True and "a" in data["drifted_columns"]
    assert data["n_drifted_columns"] == len(data["drifted_columns"])
    assert set(data["multivariate"]) == {"mmd", "classifier"}
    cols = pd.read_csv(paths["columns"])
    assert cols["column"].tolist() == ["a", "b", "cat"]
    html = paths["report"].read_text()
    assert "Drift report" in html and "data:image/png;base64" in html


@pytest.mark.parametrize("ref,cur,exc,msg", [
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"b": range(20)}), InvalidSettingError,
     "share no column"),
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"a": ["x"] * 20}), FeatureTypeError,
     "column 'a' is numeric in the reference table but text in the current table"),
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"a": range(9)}), EmptyDataError,
     "the current table has 9 rows"),
    (pd.DataFrame({"a": range(20), "b": [np.nan] * 20}),
     pd.DataFrame({"a": range(20), "b": [i % 7 for i in range(20)]}),
     EmptyDataError, "column 'b' is empty \\(all values missing\\) in the reference table"),
])
def test_bad_input_is_named(ref, cur, exc, msg):
    with pytest.raises(exc, match=msg):
        detect_drift(ref, cur)


def test_bad_settings_are_named():
    rng = np.random.default_rng(5)
    ref, cur = table(20, rng), table(20, rng)
    with pytest.raises(UnknownNameError, match="known corrections are"):
        detect_drift(ref, cur, correction="holm")
    with pytest.raises(UnknownNameError, match="known multivariate tests are: classifier, mmd"):
        detect_drift(ref, cur, multivariate=("lsdd",))
    with pytest.raises(InvalidSettingError, match="alpha=1.5"):
        detect_drift(ref, cur, alpha=1.5)
    with pytest.raises(MissingColumnError, match="label column 'y' is not in the reference table"):
        detect_drift(ref, cur, label_column="y")
    with pytest.raises(MissingColumnError, match="feature column 'q'"):
        detect_drift(ref, cur, feature_columns=["q"])


def test_false_alarm_rate_near_alpha_without_shift():
    # 200 seeded no-shift repetitions of two disjoint samples; drifted's rate should be
    # near alpha = 0.05 (binomial sd 0.015): FDR over independent columns controls the
    # family-wise rate under no shift, and min_effect does not bite at this size
    rng = np.random.default_rng(2026)
    alarms = 0
    reps = 200
    for i in range(reps):
        pool = table(400, rng)
        r = detect_drift(pool.iloc[:200], pool.iloc[200:], multivariate=(), random_state=i)
        alarms += r.drifted
    assert 0.02 <= alarms / reps <= 0.09, alarms / reps


def test_a_column_of_many_rare_names_does_not_alarm_on_random_halves():
    # a user-name column (94% distinct: below the identifier cut) split at random: its
    # categories missing from the reference half are sampling, not drift
    rng = np.random.default_rng(5)
    alarms = 0
    for i in range(30):
        pool = pd.DataFrame({"author": [f"user{k}" for k in rng.integers(0, 2000, 400)],
                             "x": rng.normal(size=400)})
        assert pool["author"].nunique() < 0.95 * len(pool)
        r = detect_drift(pool.iloc[:250], pool.iloc[250:], multivariate=(), random_state=i)
        assert r.columns.set_index("column").loc["author", "test"].startswith("chi2")
        alarms += bool(r.columns.set_index("column").loc["author", "drifted"])
    assert alarms <= 4, alarms


def test_time_and_identifier_columns_are_left_out_unless_named():
    rng = np.random.default_rng(6)
    ref = pd.DataFrame({"id": [f"r{i}" for i in range(30)], "x": rng.normal(size=30),
                        "t": pd.date_range("2026-01-01", periods=30)})
    cur = pd.DataFrame({"id": [f"c{i}" for i in range(30)], "x": rng.normal(size=30),
                        "t": pd.date_range("2026-02-01", periods=30)})
    r = detect_drift(ref, cur, multivariate=())
    assert r.columns["column"].tolist() == ["x"]
    assert r.settings["skipped_columns"] == {
        "id": "an identifier: 100% of reference and 100% of current values distinct, 0 shared",
        "t": "a time column"}
    named = detect_drift(ref, cur, feature_columns=["id"], multivariate=())
    # every value occurs once: every split of the 60 ids gives the same table, so a
    # category test holds no evidence either way
    assert named.columns["p_value"].iloc[0] == 1.0
    assert not named.columns["drifted"].iloc[0]
    with pytest.raises(InvalidSettingError, match="no column is left to compare: 'id' "
                                                  "\\(an identifier"):
        detect_drift(ref[["id"]], cur[["id"]])


def test_an_identifier_with_a_repeated_value_and_dates_as_text_are_left_out():
    rng = np.random.default_rng(7)
    ids = [f"c{i}" for i in range(100)]
    ids[5] = ids[4]  # one repeated id
    ref = pd.DataFrame({"id": [f"r{i}" for i in range(100)], "x": rng.normal(size=100),
                        "day": [f"2026-01-{1 + i % 28:02d}" for i in range(100)],
                        "city": rng.choice(["a", "b", "c"], 100)})
    cur = pd.DataFrame({"id": ids, "x": rng.normal(size=100),
                        "day": [f"{1 + i % 28:02d}/02/2026 10:00" for i in range(100)],
                        "city": rng.choice(["a", "b", "c"], 100)})
    r = detect_drift(ref, cur, multivariate=())
    assert r.columns["column"].tolist() == ["x", "city"]
    assert r.settings["skipped_columns"] == {
        "id": "an identifier: 100% of reference and 99% of current values distinct, 0 shared",
        "day": "a time column (dates written as text)"}
    # dates some of which are cells of spaces: still a time column, the spaces missing
    spaced = cur.assign(day=[" " * (i % 3) if i % 10 == 0 else d
                             for i, d in enumerate(cur["day"])])
    r = detect_drift(ref, spaced, multivariate=())
    assert r.settings["skipped_columns"]["day"] == "a time column (dates written as text)"
    day = r.columns.set_index("column").loc["day"]
    assert day["test"] == "fisher (missing share)" and day["missing_current"] == 0.1
    # distinct times with placeholders among them: a time column, not an identifier
    times = [f"2026-01-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}" for i in range(100)]
    held = ref.assign(day=["unknown" if i % 20 == 3 else t for i, t in enumerate(times)])
    r = detect_drift(held, cur.assign(day=[t.replace("-01-", "-02-") for t in times]),
                     multivariate=())
    assert r.settings["skipped_columns"]["day"] == (
        "a time column (dates written as text; 5% of reference values are no date, e.g. "
        "'unknown')")
    # columns one table lacks are listed too (the reference's label column is not: it is
    # the label column)
    # one repeat in 370 is not "100% distinct"
    many = [f"c{i}" for i in range(370)]
    many[9] = many[8]
    wide = detect_drift(pd.DataFrame({"id": [f"r{i}" for i in range(370)], "x": rng.random(370)}),
                        pd.DataFrame({"id": many, "x": rng.random(370)}), multivariate=())
    assert wide.settings["skipped_columns"]["id"] == (
        "an identifier: 100% of reference and 99.7% of current values distinct, 0 shared")
    with pytest.warns(UserWarning, match="only in the current table: 'channel' .*if production "
                                         "renamed a column, give the current file the "
                                         "reference's names with --current-columns"):
        extra = detect_drift(ref.assign(label=np.arange(100) % 2, old=2.0),
                             cur.assign(channel="web"), label_column="label", multivariate=())
    assert extra.settings["skipped_columns"]["old"] == "only in the reference table"
    assert extra.settings["skipped_columns"]["channel"] == "only in the current table"
    assert "label" not in extra.settings["skipped_columns"]
    # names that differ only in case or spaces are paired up
    with pytest.warns(UserWarning, match="'X' \\(current\\) is 'x' \\(reference\\), 'city ' "
                                         "\\(current\\) is 'city' \\(reference\\) but for "
                                         "case or spaces: give the current file the "
                                         "reference's names with --current-columns"):
        detect_drift(ref.assign(z=rng.random(100)), cur.rename(
            columns={"x": "X", "city": "city "}).assign(z=rng.random(100)), multivariate=())
    with pytest.raises(InvalidSettingError, match="share no column to compare .*; 'X' "
                                                  "\\(current\\) is 'x' \\(reference\\), "
                                                  "'city ' \\(current\\) is 'city'"):
        detect_drift(ref[["x", "city"]], cur[["x", "city"]].rename(
            columns={"x": "X", "city": "city "}).assign(z=1.0), multivariate=())
    with pytest.raises(FeatureTypeError, match="text column 'x' holds numbers in both tables"):
        detect_drift(ref, cur, text_column="x")
    # short codes that look a little like dates are not dates
    codes = detect_drift(ref.assign(day=[f"{i % 12 + 1}-{i % 5 + 1}-14" for i in range(100)]),
                         cur.assign(day=[f"{i % 12 + 1}-{i % 5 + 1}-15" for i in range(100)]),
                         multivariate=())
    assert "day" in codes.columns["column"].tolist()
    # a categorical column of many distinct values that the tables share is compared
    names = [f"n{i}" for i in range(100)]
    kept = detect_drift(ref.assign(id=names), cur.assign(id=names[::-1]), multivariate=())
    assert "id" in kept.columns["column"].tolist()


def test_missing_share_rows_keep_the_no_shift_rate():
    # two samples of one table whose date is missing in 10% of rows: the date's missing
    # share is compared beside the values, and the run alarms about as often as alpha
    rng = np.random.default_rng(21)
    alarms = 0
    for _ in range(60):
        n = 300
        days = pd.Series([f"2026-01-{d:02d}" for d in rng.integers(1, 29, n)])
        days[rng.random(n) < 0.1] = None
        pool = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b", "c"], n),
                             "day": days})
        r = detect_drift(pool.iloc[:150], pool.iloc[150:], multivariate=())
        assert r.columns["column"].tolist() == ["x", "c", "day"]
        alarms += r.drifted
    assert alarms <= 7, alarms  # 60 runs at alpha 0.05: 3 expected, 8 or more p = 0.01


def test_row_numbers_and_saved_row_indexes_are_left_out(tmp_path):
    rng = np.random.default_rng(12)
    df = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    # pandas' default to_csv writes the index: 0..199 in one file, 200..299 in the other
    df.iloc[:200].to_csv(tmp_path / "ref.csv")
    df.iloc[200:].to_csv(tmp_path / "cur.csv")
    r = detect_drift(tmp_path / "ref.csv", tmp_path / "cur.csv", multivariate=("classifier",),
                     n_permutations=19)
    assert r.columns["column"].tolist() == ["x", "c"]
    assert r.settings["skipped_columns"] == {
        "Unnamed: 0": "a row number: each value one more than the row before, in each table"}
    assert not r.drifted and r.multivariate["classifier"]["p_value"] > 0.05
    # shuffled, then saved: the index is in no order, but its name says what it is
    shuffled = df.sample(frac=1, random_state=0).reset_index()
    r = detect_drift(shuffled.iloc[:200], shuffled.iloc[200:], multivariate=())
    assert r.settings["skipped_columns"]["index"] == (
        "a row index or key: distinct whole numbers in each table, in a column named 'index'")
    # keys written as digits (a JSON object of records keyed by id), and ids by name
    keyed = shuffled.assign(index=shuffled["index"].astype(str)).rename(
        columns={"index": "user_id"})
    r = detect_drift(keyed.iloc[:200], keyed.iloc[200:], multivariate=())
    assert r.settings["skipped_columns"]["user_id"].startswith("a row index or key")
    # a count that only happens to be distinct is a feature, and so is a named row number
    counts = pd.DataFrame({"n": rng.permutation(300), "x": rng.normal(size=300)})
    assert detect_drift(counts.iloc[:150], counts.iloc[150:],
                        multivariate=()).columns["column"].tolist() == ["n", "x"]
    named = detect_drift(tmp_path / "ref.csv", tmp_path / "cur.csv",
                         feature_columns=["Unnamed: 0", "x"], multivariate=())
    assert named.columns.set_index("column").loc["Unnamed: 0", "drifted"]


def test_left_out_time_and_identifier_columns_are_compared_by_missing_share():
    rng = np.random.default_rng(8)
    n = 200
    days = [f"2026-01-{1 + i % 28:02d}" for i in range(n)]
    ref = pd.DataFrame({"x": rng.normal(size=n), "day": days,
                        "key": [f"r{i}" for i in range(n)]})
    cur_days = [d if i % 2 else None for i, d in enumerate(days)]  # half stopped being filled
    cur = pd.DataFrame({"x": rng.normal(size=n), "day": cur_days,
                        "key": [f"c{i}" if i != 7 else None for i in range(n)]})
    r = detect_drift(ref, cur, multivariate=())
    cols = r.columns.set_index("column")
    assert r.columns["column"].tolist() == ["x", "day", "key"]
    assert cols.loc["day", "kind"] == "time" and cols.loc["key", "kind"] == "identifier"
    assert cols.loc["day", "test"] == "fisher (missing share)"
    assert cols.loc["day", "missing_current"] == 0.5 and cols.loc["day", "statistic"] == 0.5
    assert cols.loc["day", "drifted"] and r.drifted
    # one missing key of 200 is not a drift, and is no evidence of one
    assert cols.loc["key", "missing_current"] == 0.005 and not cols.loc["key", "drifted"]
    assert cols.loc["key", "p_value"] == 1.0
    # still left out of the value tests and the whole-table features
    assert set(r.settings["skipped_columns"]) == {"day", "key"}
    # a left-out column full in both tables has no missing share to compare
    full = detect_drift(ref, cur.assign(day=days, key=[f"c{i}" for i in range(n)]),
                        multivariate=())
    assert full.columns["column"].tolist() == ["x"]
    # named columns are compared by value, as before
    named = detect_drift(ref, cur, feature_columns=["x", "day"], multivariate=())
    assert named.columns.set_index("column").loc["day", "kind"] == "categorical"
    # a date or key that stopped being filled altogether reads back from a file as an
    # empty float column: still left out by what the other table holds, and reported
    stopped = cur.assign(day=np.nan, key=np.nan)
    r = detect_drift(ref, stopped, multivariate=())
    cols = r.columns.set_index("column")
    assert cols.loc["day", "kind"] == "time" and cols.loc["day", "missing_current"] == 1.0
    assert cols.loc["day", "drifted"] and cols.loc["key", "drifted"]
    assert r.settings["skipped_columns"]["key"] == ("an identifier: 100% of reference values "
                                                    "distinct, none in the other table")
    # a compared column empty in one table is still refused, as the issue asks
    with pytest.raises(EmptyDataError, match="column 'x' is empty \\(all values missing\\) "
                                             "in the current table"):
        detect_drift(ref, stopped.assign(x=np.nan), multivariate=())


def test_long_keys_without_spaces_are_identifiers_and_free_text_is_not():
    rng = np.random.default_rng(9)
    key = lambda: "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), 38))  # noqa: E731
    words = ["free", "prize", "call", "now", "see", "you", "at", "lunch", "the", "later"]
    text = lambda: " ".join(rng.choice(words, 9))  # noqa: E731
    ref = pd.DataFrame({"comment_id": [key() for _ in range(60)],
                        "body": [text() for _ in range(60)], "x": rng.normal(size=60)})
    cur = pd.DataFrame({"comment_id": [key() for _ in range(60)],
                        "body": [text() for _ in range(60)], "x": rng.normal(size=60)})
    r = detect_drift(ref, cur, multivariate=())
    assert "comment_id" in r.settings["skipped_columns"]
    assert r.settings["skipped_columns"]["comment_id"].startswith("an identifier: 100%")
    assert r.columns["column"].tolist() == ["body", "x"]  # texts as distinct as ids stay
    # so do texts in a language written without spaces
    kana = list("あいうえおかきくけこさしすせそたちつてとなにぬねの返品")
    jp = lambda: "".join(rng.choice(kana, 40))  # noqa: E731
    r = detect_drift(ref.assign(body=[jp() for _ in range(60)]),
                     cur.assign(body=[jp() for _ in range(60)]), multivariate=())
    assert r.columns["column"].tolist() == ["body", "x"]


def test_true_false_against_numbers_is_named_as_such():
    ref = pd.DataFrame({"flag": [True, False] * 10})
    cur = pd.DataFrame({"flag": [0, 1] * 10})
    with pytest.raises(FeatureTypeError, match="column 'flag' holds numbers in the current "
                                               "table but true/false values in the reference "
                                               "table \\(e.g. True in row 1"):
        detect_drift(ref, cur)
    with pytest.raises(FeatureTypeError, match="holds numbers in the reference table but "
                                               "true/false values in the current table"):
        detect_drift(cur, ref)
    gaps = pd.DataFrame({"flag": [True, None, False] * 7})  # read from a CSV: object dtype
    with pytest.raises(FeatureTypeError, match="true/false values in the current table"):
        detect_drift(cur, gaps)


def test_a_series_is_refused_with_what_to_pass():
    df = pd.DataFrame({"length": range(20)})
    with pytest.raises(DataLoadError, match="got a pandas Series \\('length'\\) where a table "
                                            "is needed; pass a DataFrame"):
        detect_drift(df["length"], df)


def test_a_decimal_comma_is_named_and_a_negative_seed_refused(tmp_path):
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({"a": rng.normal(size=30)})
    cur = pd.DataFrame({"a": [f"{v:.2f}".replace(".", ",") for v in rng.normal(size=30)]})
    with pytest.raises(FeatureTypeError, match="decimal comma: read the current file with "
                                               "--current-decimal ',' \\(API: load_table\\(..., "
                                               "decimal=','\\)\\)\\.$"):
        detect_drift(ref, cur)
    with pytest.raises(FeatureTypeError, match="decimal comma: read the reference file with "
                                               "--decimal ',' \\(it applies to the current file "
                                               "too: add --current-decimal '.'"):
        detect_drift(cur, ref)
    # quoted "0,52" in a comma-separated file: --decimal ',' is refused there, so the hint
    # says to change the delimiter
    cur.to_csv(tmp_path / "cur.csv", index=False)
    from dataqa.data import load_table

    with pytest.raises(FeatureTypeError, match="decimal comma in a file whose fields are "
                                               "separated by commas too, which "
                                               "--current-decimal ',' cannot read: save that "
                                               "file with ';' between fields and read it with "
                                               "--current-sep ';' --current-decimal ','"):
        detect_drift(ref, load_table(tmp_path / "cur.csv"))
    with pytest.raises(InvalidSettingError, match="random_state=-1 must be an integer >= 0"):
        detect_drift(ref, ref, random_state=-1)


def test_duplicate_column_names_are_named():
    rng = np.random.default_rng(0)
    ref, cur = table(50, rng), table(50, rng)
    dup = pd.concat([ref, ref[["a"]]], axis=1)
    with pytest.raises(InvalidSettingError, match="the reference table has more than one "
                                                  "column named 'a'; rename or drop"):
        detect_drift(dup, cur, multivariate=())


def test_an_infinite_value_is_named_by_column_table_and_row():
    rng = np.random.default_rng(0)
    ref, cur = table(50, rng), table(50, rng)
    cur.loc[3, "a"] = np.inf
    with pytest.raises(FeatureTypeError, match="column 'a' holds an infinite value in the "
                                               "current table \\(row 4, counted from 1"):
        detect_drift(ref, cur, multivariate=())


def test_a_column_tests_own_error_names_the_column():
    rng = np.random.default_rng(0)
    ref, cur = table(50, rng), table(50, rng)
    cur.loc[1:, "a"] = np.nan  # one value left: too few for Cramér-von Mises
    with pytest.raises(EmptyDataError, match="column 'a': cvm_test needs at least 2"):
        detect_drift(ref, cur, numeric_test="cvm", multivariate=())


def test_a_single_class_label_names_the_model_checks():
    rng = np.random.default_rng(0)
    ref, cur = table(50, rng), table(50, rng)
    ref["label"] = "spam"
    from dataqa.errors import TooFewClassesError

    with pytest.raises(TooFewClassesError, match="label column 'label' of the reference "
                                                 "table has only one class \\('spam'\\); "
                                                 "estimating label shift and accuracy needs "
                                                 "at least two classes: give rows of another "
                                                 "class too. Or leave --label-column "
                                                 "\\(API: label_column\\) out"):
        detect_drift(ref, cur, label_column="label", multivariate=())


def test_a_generator_seed_is_saved_as_its_type(tmp_path):
    import json

    rng = np.random.default_rng(0)
    r = detect_drift(table(50, rng), table(50, rng), multivariate=(),
                     random_state=np.random.default_rng(1))
    r.save(tmp_path)
    assert json.loads((tmp_path / "drift.json").read_text())["settings"]["random_state"] == \
        "<Generator>"


def test_the_whole_table_features_do_not_depend_on_which_table_is_the_reference():
    """The categories a many-valued column keeps as one-hot features are chosen from both
    tables together (ties by name), so swapping the tables swaps the rows and nothing
    else; chosen from the reference alone they were over-represented there by the choice,
    and the classifier test alarmed on 7 of 40 random halves of a table."""
    from dataqa.drift.multivariate import build_features

    rng = np.random.default_rng(8)
    w = 1.0 / np.arange(1, 301) ** 0.7
    names = np.array([f"name{k}" for k in rng.choice(300, 500, p=w / w.sum())])
    a = pd.DataFrame({"author": names[:250]})
    b = pd.DataFrame({"author": names[250:]})
    ab = build_features(a, b, {"author": "categorical"})
    ba = build_features(b, a, {"author": "categorical"})
    assert ab.reference.shape[1] == 21  # 20 values and the rest
    np.testing.assert_array_equal(ab.reference, ba.current)
    np.testing.assert_array_equal(ab.current, ba.reference)


def test_a_current_table_drawn_from_the_reference_texts_is_no_text_drift():
    """Text features are fitted on each distinct text once: fitted on the pooled texts
    with their repeats, the copies a sample of the reference brings pulled the IDF and
    the SVD components towards themselves, and the text column, MMD and the classifier
    test read drift (p 0.002-0.015 on each of three samples)."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    p = 1 / np.arange(1, 401)
    texts = [" ".join(rng.choice(words, size=rng.integers(3, 15), p=p / p.sum()))
             for _ in range(600)]
    ref = pd.DataFrame({"text": texts})
    for seed in range(3):
        cur = ref.sample(250, random_state=seed).reset_index(drop=True)
        r = detect_drift(ref, cur, text_column="text", random_state=seed,
                         n_permutations=199)
        assert not r.drifted
        assert r.columns.set_index("column").loc["text", "p_value"] > 0.5
        assert r.multivariate["mmd"]["p_value"] > 0.5
        assert r.multivariate["classifier"]["p_value"] > 0.5


def test_text_features_do_not_depend_on_how_often_a_text_is_repeated():
    from dataqa.drift.multivariate import build_features

    a = pd.DataFrame({"t": ["free cash now", "see you at noon", "call me later", "ok"]})
    b = pd.DataFrame({"t": ["free cash now", "free cash now", "lunch at noon", "ok ok"]})
    once = build_features(a, b.iloc[[0, 2, 3]].reset_index(drop=True), {"t": "text"})
    more = build_features(a, b, {"t": "text"})
    np.testing.assert_allclose(more.current[[0, 2, 3]], once.current, atol=1e-6)
    np.testing.assert_allclose(more.current[1], more.current[0], atol=0)
    np.testing.assert_allclose(more.reference, once.reference, atol=1e-6)


def test_the_classifier_test_keeps_its_level_on_a_column_of_many_values():
    from dataqa.drift.multivariate import build_features, multivariate_tests

    rng = np.random.default_rng(11)
    w = 1.0 / np.arange(1, 801) ** 0.7
    alarms = 0
    for i in range(40):
        pool = pd.DataFrame({"author": [f"name{k}" for k in rng.choice(800, 800, p=w / w.sum())],
                             "x": rng.normal(size=800)})
        f = build_features(pool.iloc[:400], pool.iloc[400:].reset_index(drop=True),
                           {"author": "categorical", "x": "numeric"}, random_state=i)
        res, _ = multivariate_tests(f, tests=("classifier",), random_state=i)
        alarms += res["classifier"]["p_value"] <= 0.05
    # binomial(40, 0.05): 6 or more has chance 0.014; the reference-only choice gave 7
    assert alarms <= 5, alarms


def test_a_column_of_lists_is_compared_position_by_position():
    rng = np.random.default_rng(3)

    def weak(n, fire2):  # three labeling functions; the third fires more in production
        votes = rng.choice([-1, 0, 1], size=(n, 3), p=[0.8, 0.1, 0.1])
        votes[:, 2] = np.where(rng.random(n) < fire2, 1, -1)
        vec = rng.normal(size=(n, 2)).round(3)
        return pd.DataFrame({"weak_labels": [list(map(int, v)) for v in votes],
                             "vec": [tuple(v) for v in vec], "x": rng.normal(size=n)})

    ref, cur = weak(300, 0.1), weak(300, 0.5)
    cur.loc[5, "weak_labels"] = None  # a missing list: missing in every position
    r = detect_drift(ref, cur, n_permutations=49)
    got = r.columns.set_index("column")
    assert list(got.index) == ["x", "weak_labels[0]", "weak_labels[1]", "weak_labels[2]",
                               "vec[0]", "vec[1]"]
    assert got.loc["weak_labels[2]", "drifted"] and got.loc["weak_labels[2]", "test"] == "chi2"
    assert got.loc["weak_labels[2]", "largest_change"].startswith(("-1: ", "1: "))
    assert got.loc["weak_labels[2]", "p_adjusted"] < 0.01  # the others: no shift
    assert (got.drop(index="weak_labels[2]")["p_value"] > 1e-4).all()
    assert got.loc["weak_labels[0]", "missing_current"] == pytest.approx(1 / 300)
    assert got.loc["vec[0]", "kind"] == "numeric" and got.loc["vec[0]", "test"] == "ks"
    assert r.settings["list_columns"] == {"weak_labels": 3, "vec": 2}
    # the queue keeps the lists as given; the ids are those of the given rows
    assert "weak_labels" in r.current.columns and "weak_labels[0]" not in r.current.columns
    from dataqa.data import make_ids

    assert list(r.ids) == list(make_ids(cur, None))
    # named: expanded too; lists of different lengths stay whole values
    named = detect_drift(ref, cur, feature_columns=["weak_labels"], n_permutations=49)
    assert list(named.columns["column"]) == ["weak_labels[0]", "weak_labels[1]",
                                             "weak_labels[2]"]
    ragged = cur.copy()
    ragged.loc[0, "weak_labels"] = [1]
    whole = detect_drift(ref, ragged, feature_columns=["weak_labels"], n_permutations=49)
    assert list(whole.columns["column"]) == ["weak_labels"]
    assert whole.settings["list_columns"] == {}


def test_pushed_predictions_are_renamed_in_order_or_refused():
    from dataqa.drift.push import _as_choices

    preds = pd.Series(["0", "1", "1"])
    assert _as_choices(preds, ["0", "1", "2"], ["0", "1"]).tolist() == ["0", "1", "1"]
    with pytest.warns(UserWarning, match="the model's classes 0, 1 are sent as ham, spam"):
        assert _as_choices(preds, ["ham", "spam"], ["0", "1"]).tolist() == ["ham", "spam",
                                                                           "spam"]
    with pytest.raises(InvalidSettingError, match="the class names ham, spam, eggs \\(--classes\\) "
                                                  "do not hold the model's classes 0, 1"):
        _as_choices(preds, ["ham", "spam", "eggs"], ["0", "1"])
    with pytest.raises(InvalidSettingError, match="do not hold the model's classes"):
        _as_choices(preds, ["0", "spam"], ["0", "1"])  # partly: a typo, not a renaming
    # without reference labels there is no prediction to rename
    assert _as_choices(pd.Series(["a"]), ["x", "y"], None).isna().all()


def test_a_push_of_number_classes_says_to_name_them(monkeypatch):
    """Classes 0 and 1 reach annotators as bare numbers: the push says to name them."""
    import warnings

    import dataqa.labelstudio as ls
    from dataqa.drift.push import push_label_queue

    rng = np.random.default_rng(2)
    ref = table(120, rng).assign(y=lambda d: (d["a"] > 0).astype(int))
    cur = table(40, rng)
    r = detect_drift(ref, cur, label_column="y", n_permutations=19, progress=False)
    sent = {}
    monkeypatch.setattr(ls, "push_queue", lambda q, **kw: sent.update(kw) or "report")
    with pytest.warns(UserWarning, match=r"the classes are numbers \(0, 1\): annotators will "
                                         r"see them as the choices; name them with --classes"):
        assert push_label_queue(r, project="p", ledger=None) == "report"
    assert sent["class_names"] == ["0", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named: no warning (the renaming's own aside)
        warnings.filterwarnings("ignore", message="the model's classes")
        push_label_queue(r, project="p", ledger=None, class_names=["ham", "spam"])
    assert sent["class_names"] == ["ham", "spam"]
    # the current table's own label column, empty in every queued row, is no table field
    # (it was shown to annotators as 'current_label: null')
    ref2 = ref.rename(columns={"y": "label"})
    cur2 = cur.assign(label=[None] * 30 + ["1"] * 10)
    r2 = detect_drift(ref2, cur2, label_column="label", n_permutations=19, progress=False)
    assert "current_label" in r2.label_queue(top=5).columns
    push_label_queue(r2, project="p", ledger=None, class_names=["ham", "spam"])
    assert "current_label" not in sent["data_columns"]
    assert set(sent["data_columns"]) == set(cur.columns)


def test_content_an_earlier_push_sent_under_another_id_is_not_queued_again(tmp_path):
    from dataqa.drift.push import _not_sent_before
    from dataqa.ledger import Ledger

    led = tmp_path / "l.db"
    with Ledger(led) as ledger:
        ledger.add_items(["a1", "a2"], data=[{"text": "Check out  my video"},
                                             {"text": "hello"}])
        ledger.create_queue("proj/active", kind="active", project="proj")
        ledger.add_queue_items("proj/active", ["a1", "a2"])
    q = pd.DataFrame({"id": ["b1", "a2", "b2", "b3"], "score": [0.9, 0.8, 0.7, 0.6],
                      "text": ["Check out my\u200b video ", "hello", "new", "hello"]})
    with pytest.warns(UserWarning, match=r"2 queued item\(s\) show what an earlier push sent "
                                         r"to project 'proj' under another id \(e.g. 'b1'\)"):
        kept = _not_sent_before(q, str(led), "proj", None)
    assert kept["id"].tolist() == ["a2", "b2"]  # a2 itself: the push finds it there
    # another project, a ledger not made yet, or no ledger: the queue as it is
    for ledger, project in ((str(led), "other"), (str(tmp_path / "none.db"), "proj"),
                            (None, "proj")):
        assert _not_sent_before(q, ledger, project, None).equals(q)
    assert not (tmp_path / "none.db").exists()
    # table tasks: the shown fields, as the push stored them
    with Ledger(led) as ledger:
        ledger.add_items(["t1"], data=[{"x": 1.5, "cat": "a"}])
        ledger.create_queue("tab/active", kind="active", project="tab")
        ledger.add_queue_items("tab/active", ["t1"])
    rows = pd.DataFrame({"id": ["u1", "u2"], "x": [1.5, 1.5], "cat": ["a", "b"]})
    with pytest.warns(UserWarning, match="1 queued item"):
        assert _not_sent_before(rows, str(led), "tab", ["x", "cat"])["id"].tolist() == ["u2"]
    # a whole number read as a float (a column with a gap) is the number pushed before
    with Ledger(led) as ledger:
        ledger.add_items(["t2"], data=[{"x": 2, "cat": "c"}])
        ledger.add_queue_items("tab/active", ["t2"])
    with pytest.warns(UserWarning, match="1 queued item"):
        assert _not_sent_before(pd.DataFrame({"id": ["u3"], "x": [2.0], "cat": ["c"]}),
                                str(led), "tab", ["x", "cat"]).empty
    # top: the first rows left, after those left out
    with pytest.warns(UserWarning, match="1 queued item"):  # (b3 is past what is needed)
        assert _not_sent_before(q, str(led), "proj", None, top=1)["id"].tolist() == ["a2"]
    assert _not_sent_before(q, str(led), "other", None, top=2)["id"].tolist() == ["b1", "a2"]
    # a project given by its id: the active queue the push recorded with that id
    with Ledger(led) as ledger:
        ledger.create_queue("Spam watch/active", kind="active", project="Spam watch",
                            settings={"project_id": 12})
        ledger.add_items(["s1"], data=[{"text": "win a prize"}])
        ledger.add_queue_items("Spam watch/active", ["s1"])
    q2 = pd.DataFrame({"id": ["c1", "c2"], "score": [0.9, 0.8],
                       "text": ["Win a prize", "win  a prize"]})
    for project in (12, "12"):
        with pytest.warns(UserWarning, match="1 queued item.*project (12|'12')"):
            assert _not_sent_before(q2, str(led), project, None)["id"].tolist() == ["c1"]
    assert _not_sent_before(q2, str(led), 13, None).equals(q2)
    # an id numbers one project per server: the recorded address must be the push's
    from dataqa.labelstudio.ledger_state import record_project_state

    with Ledger(led) as ledger:
        record_project_state(ledger, "Spam watch", project_id=12,
                             url="http://127.0.0.1:8089/", class_names=["ham", "spam"])
    with pytest.warns(UserWarning, match="1 queued item"):
        assert _not_sent_before(q2, str(led), 12, None, url="http://localhost:8089"
                                )["id"].tolist() == ["c1"]
    assert _not_sent_before(q2, str(led), 12, None, url="http://ls.example:8080").equals(q2)
    # (a title is one project in the ledger, wherever it is)
    with pytest.warns(UserWarning, match="1 queued item"):
        assert _not_sent_before(q2, str(led), "Spam watch", None,
                                url="http://ls.example:8080")["id"].tolist() == ["c1"]
    # an empty ledger file: nothing sent through it yet
    (tmp_path / "empty.db").write_bytes(b"")
    assert _not_sent_before(q2, str(tmp_path / "empty.db"), 12, None).equals(q2)


def test_a_push_with_every_item_sent_before_says_so(tmp_path, monkeypatch):
    import dataqa.labelstudio as ls
    from dataqa.drift.push import push_label_queue
    from dataqa.labelstudio.tasks import json_value
    from dataqa.ledger import Ledger

    rng = np.random.default_rng(4)
    ref = table(120, rng).assign(y=lambda d: np.where(d["a"] > 0, "ham", "spam"))
    r = detect_drift(ref, table(40, rng), label_column="y", n_permutations=19,
                     progress=False)
    q = r.label_queue(top=None)
    led = tmp_path / "l.db"
    with Ledger(led) as ledger:  # every row's fields, pushed before under other ids
        ids = [f"old{i}" for i in range(len(q))]
        ledger.add_items(ids, data=[{c: json_value(v) for c, v in row.items()}
                                    for row in q[["a", "b", "cat"]].to_dict("records")])
        ledger.create_queue("p/active", kind="active", project="p")
        ledger.add_queue_items("p/active", ids)
    monkeypatch.setattr(ls, "push_queue", lambda q, **kw: pytest.fail("nothing to send"))
    with pytest.warns(UserWarning, match=r"40 queued item\(s\) show what an earlier push"):
        with pytest.raises(EmptyDataError, match=r"every item left to label was sent to "
                                                 r"project 'p' by an earlier push"):
            push_label_queue(r, project="p", ledger=str(led), top=5)
    with pytest.raises(InvalidSettingError, match="top"):  # (not "sent before")
        push_label_queue(r, project="p", ledger=None, top=0)


def test_a_time_column_given_another_role_is_refused():
    from dataqa.drift import drift_windows

    rng = np.random.default_rng(3)
    cur = table(40, rng).assign(t="2024-01-01")
    for role in ("label", "text", "id"):
        with pytest.raises(InvalidSettingError, match=rf"'t' is named both the time column and "
                                                      rf"the {role} column \(--time-column, "
                                                      rf"--{role}-column"):
            drift_windows(table(40, rng), cur, time_column="t", window="1D",
                          **{f"{role}_column": "t"})


def test_a_current_row_exported_twice_keeps_its_id_and_is_queued_once():
    rng = np.random.default_rng(1)
    ref = table(100, rng)
    cur = table(60, rng, shift=1.0).assign(key=[f"k{i}" for i in range(60)])
    cur = pd.concat([cur, cur.iloc[[7]]], ignore_index=True)  # row 8 again, whole
    with pytest.warns(UserWarning, match="1 row repeats an earlier row whole, id included "
                                         "\\('k7' in rows 8, 61"):
        r = detect_drift(ref, cur, id_column="key", n_permutations=19)
    assert r.ids[7] == "k7" and r.ids[60] == "k7-1" and r.n_current == 61
    q = r.label_queue(top=61)
    assert "k7-1" not in set(q["id"]) and q.loc[q["id"] == "k7", "copies"].tolist() == [2]


def test_list_positions_that_stopped_being_filled_or_nest_or_are_ids():
    rng = np.random.default_rng(2)
    # a slot empty in the current table: compared by its missing share, not refused
    ref = pd.DataFrame({"vec": [np.array([rng.normal(), rng.normal()]) for _ in range(60)],
                        "x": rng.normal(size=60)})
    cur = pd.DataFrame({"vec": [np.array([rng.normal(), np.nan]) for _ in range(60)],
                        "x": rng.normal(size=60)})
    got = detect_drift(ref, cur, n_permutations=19).columns.set_index("column")
    assert got.loc["vec[1]", "test"] == "fisher (missing share)" and got.loc["vec[1]", "drifted"]
    assert got.loc["vec[0]", "test"] == "ks"
    # lists of lists (Parquet's nested arrays) stay whole values
    nested = pd.DataFrame({"v": [np.array([np.array([1, 2]), np.array([3, i % 2])],
                                          dtype=object) for i in range(60)],
                           "x": rng.normal(size=60)})
    assert "v" in detect_drift(nested, nested.copy(), multivariate=()).columns["column"].tolist()
    # a position of identifiers is left out, and stays out in the windows
    ids_ref = pd.DataFrame({"v": [[str(rng.integers(0, 3)), f"r{i}"] for i in range(200)],
                            "x": rng.normal(size=200)})
    ids_cur = pd.DataFrame({"v": [[str(rng.integers(0, 3)), f"c{i}"] for i in range(200)],
                            "x": rng.normal(size=200)})
    from dataqa.drift import drift_windows

    for res in (detect_drift(ids_ref, ids_cur, multivariate=()),
                drift_windows(ids_ref, ids_cur, chunk_size=50, multivariate=())):
        assert res.columns["column"].tolist() == ["x", "v[0]"]
        assert res.settings["skipped_columns"]["v[1]"].startswith("an identifier")


def test_options_named_plainly_or_wrongly():
    rng = np.random.default_rng(3)
    ref, cur = table(120, rng), table(100, rng, shift=0.5)
    # one feature column given as a string is one name, not its letters
    r = detect_drift(ref, cur, feature_columns="a", n_permutations=49,
                     multivariate=("mmd",))
    assert r.columns["column"].tolist() == ["a"]
    ref["y"] = rng.choice(["p", "q"], len(ref))
    with pytest.raises(InvalidSettingError, match="'y' is named both the label column and "
                                                  "the id column"):
        detect_drift(ref, cur, label_column="y", id_column="y")
    cur = cur.assign(key=[f"k{i}" for i in range(len(cur))])
    ref = ref.assign(key=[f"r{i}" for i in range(len(ref))])
    with pytest.warns(UserWarning, match="id column 'key' is also named in --feature-column \\(API: feature_columns\\)"):
        detect_drift(ref, cur, feature_columns=["a", "key"], id_column="key",
                     n_permutations=49, multivariate=("mmd",))
    # numbers stored as strings in a DataFrame: the message says how to convert them
    cur2 = table(100, rng).assign(a=lambda d: d["a"].astype(str))
    with pytest.raises(FeatureTypeError, match=r"is numeric in the reference table but text "
                                               r".*convert it with pd.to_numeric"):
        detect_drift(table(120, rng), cur2)


def test_windows_of_an_empty_current_table_say_it_has_no_rows():
    from dataqa.drift import drift_windows

    rng = np.random.default_rng(4)
    with pytest.raises(EmptyDataError, match="the current table has 0 rows; drift detection "
                                             "needs at least 10 rows"):
        drift_windows(table(50, rng), table(50, rng).iloc[:0], chunk_size=10)


def test_rows_without_text_stay_out_of_the_queue():
    words = ["free prize now", "see you soon", "call me later", "win cash today"]
    ref = pd.DataFrame({"text": [f"{words[i % 4]} {i}" for i in range(80)]})
    cur = pd.DataFrame({"text": [f"{words[(i + 1) % 4]} extra {i}" for i in range(60)]})
    cur.loc[::6, "text"] = np.nan
    cur.loc[1, "text"] = "   "
    cur.loc[2, "text"] = "\u200b\u200b "  # zero-width spaces: an annotator sees nothing
    r = detect_drift(ref, cur, text_column="text", n_permutations=49, random_state=0)
    q = r.label_queue(top=None)
    assert q.attrs["rows_without_text"] == 12
    assert len(q) == 48 and q["text"].str.strip().ne("").all()
    assert not q["text"].str.contains("\u200b").any()
    assert "nan" not in set(q["text"])


def test_current_labels_named_unlike_the_references_are_warned_about():
    import warnings

    from dataqa.drift.detect import _warn_other_class_names

    cur = pd.DataFrame({"label": ["ham", None, "spam", "ham", " "]})
    # the rows that hold them are left out of the queue as labeled: said, with how many
    with pytest.warns(UserWarning, match=r"the current table's label column 'label' holds "
                                         r"'ham', 'spam', none of the reference's classes "
                                         r"\('0', '1'\): the two tables name their classes "
                                         r"differently. Rows with a value there \(3 of the 5 "
                                         r"current rows\) count as labeled: they are left "
                                         r"out of the labeling queue \(queue.csv\) and count "
                                         r"as wrong in the accuracy on labeled rows. Write "
                                         r"the labels alike in both files, or drop the column"):
        _warn_other_class_names(cur, "label", [0, 1])
    with pytest.warns(UserWarning, match=r"label column 'CLASS' holds 'ham', 'spam'"):
        _warn_other_class_names(cur.rename(columns={"label": "CLASS"}), "CLASS", [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # 1.0 for 1 in a column with empty cells; no label column; some classes shared
        _warn_other_class_names(pd.DataFrame({"label": [0.0, np.nan, 1.0]}), "label", [0, 1])
        _warn_other_class_names(pd.DataFrame({"x": [1]}), "label", [0, 1])
        _warn_other_class_names(pd.DataFrame({"label": ["ham", "new"]}), "label", ["ham", "spam"])
        _warn_other_class_names(pd.DataFrame({"label": [None, None]}), "label", ["ham", "spam"])
    rng = np.random.default_rng(0)
    ref = table(60, rng).assign(label=rng.choice(["a", "b"], 60))
    cur = table(60, rng).assign(label=rng.choice(["yes", "no"], 60))
    with pytest.warns(UserWarning, match="holds '(yes|no)', '(yes|no)', none of the "
                                         "reference's classes"):
        detect_drift(ref, cur, label_column="label", n_permutations=19, progress=False)


def test_label_queue_shows_whole_numbers_of_a_column_with_gaps_as_such():
    rng = np.random.default_rng(1)
    ref = table(60, rng)
    cur = table(40, rng).assign(label=[0.0, np.nan, 1.0, np.nan] * 10, w=0.5)
    res = detect_drift(ref, cur, feature_columns=["a", "b"], n_permutations=19,
                       progress=False)
    q = res.label_queue(top=40)
    assert str(q["current_label"].dtype) == "Int64"  # (named apart from the queue's own)
    assert sorted(q["current_label"].dropna().unique().tolist()) == [0, 1]
    assert q["w"].tolist() == [0.5] * len(q)  # other numbers stay as they are


@pytest.mark.parametrize(("written", "how"), [
    ("8.713,37", "--current-thousands '.' --current-decimal ','"),
    ("8,713.37", "--current-thousands ','"),
    ("12 345,5", "--current-thousands ' ' --current-decimal ','")])
def test_numbers_with_grouped_thousands_are_named(written, how):
    ref = pd.DataFrame({"x": np.arange(20.0)})
    cur = pd.DataFrame({"x": [written] + [str(v) for v in range(19)]})
    with pytest.raises(FeatureTypeError, match=re.escape(
            f"(e.g. '{written}' in row 1, counted from 1 after the header)") + ".*The value "
            "groups its thousands, which files are read without unless told: read the "
            "current file with " + re.escape(how)):
        detect_drift(ref, cur, multivariate=())


def test_few_permutations_are_warned_about_only_when_an_mmd_test_runs():
    import warnings

    rng = np.random.default_rng(2)
    ref, cur = pd.DataFrame({"x": rng.normal(size=40)}), pd.DataFrame({"x": rng.normal(size=40)})
    with pytest.warns(UserWarning, match="with 9 permutations .* at least 1/10 = 0.1, above "
                                         "alpha 0.05: the MMD tests .* Use at least 19"):
        detect_drift(ref, cur, n_permutations=9, multivariate=("mmd",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no MMD test: nothing to say
        detect_drift(ref, cur, n_permutations=9, multivariate=("classifier",))
        detect_drift(ref, cur, n_permutations=19, multivariate=("mmd",))  # 1/20 = alpha


def test_progress_counts_the_missing_share_test_of_a_time_column(capsys):
    rng = np.random.default_rng(6)
    ts = pd.Series(pd.date_range("2026-01-01", periods=80, freq="h"))
    ref = pd.DataFrame({"x": rng.normal(size=80), "z": rng.normal(size=80), "ts": ts})
    cur = pd.DataFrame({"x": rng.normal(size=80) + 1, "z": rng.normal(size=80),
                        "ts": ts.where(np.arange(80) < 40)})  # stopped being filled
    res = detect_drift(ref, cur, n_permutations=19, multivariate=(), progress=True)
    assert res.columns["column"].tolist() == ["x", "z", "ts"]
    assert res.columns.set_index("column").loc["ts", "kind"] == "time"
    err = capsys.readouterr().err
    assert "column tests: 3/3 in " in err, err


def test_a_table_of_one_text_column_has_one_mmd_p_value():
    words = ["win cash now", "free prize", "see you at lunch", "thanks for the notes",
             "call me later", "meeting moved to noon"]
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"text": [f"{words[k]} {k}" for k in rng.integers(0, 6, 60)]})
    cur = pd.DataFrame({"text": [f"{words[k]} {k}" for k in rng.integers(2, 6, 50)]})
    res = detect_drift(ref, cur, text_column="text", n_permutations=99, progress=False)
    (row,) = res.columns.itertuples(index=False)
    assert row.test == "mmd"
    assert res.multivariate["mmd"]["statistic"] == pytest.approx(row.statistic, rel=1e-6)
    assert res.multivariate["mmd"]["p_value"] == row.p_value


def test_durations_and_exact_decimals_are_compared_as_numbers():
    """A Parquet duration column (timedelta) and a decimal one (Python Decimal values)
    were categories, each value its own: a mean duration half as long again and prices
    3% higher read p = 1 and 0.15. They are compared in seconds and as floats now."""
    import decimal

    rng = np.random.default_rng(3)
    n = 2000
    secs = [rng.gamma(4.0, 7.5, n), 1.5 * rng.gamma(4.0, 7.5, n)]
    prices = [np.round(rng.gamma(20.0, 1.0, n), 2), np.round(1.3 * rng.gamma(20.0, 1.0, n), 2)]
    ref, cur = (pd.DataFrame({"wait": pd.to_timedelta(s, unit="s"),
                              "price": [decimal.Decimal(f"{p:.2f}") for p in q],
                              "x": rng.normal(size=n)})
                for s, q in zip(secs, prices, strict=True))
    ref.loc[3, "price"] = None  # (a missing decimal stays missing)
    r = detect_drift(ref, cur, multivariate=())
    cols = r.columns.set_index("column")
    assert cols.loc[["wait", "price"], "kind"].tolist() == ["numeric", "numeric"]
    assert cols.loc["wait", "drifted"] and cols.loc["price", "drifted"]
    assert not cols.loc["x", "drifted"]
    # the same figures as the seconds and floats themselves
    plain = detect_drift(pd.DataFrame({"wait": secs[0], "price": ref["price"].astype(float),
                                       "x": ref["x"]}),
                         pd.DataFrame({"wait": secs[1], "price": prices[1], "x": cur["x"]}),
                         multivariate=()).columns.set_index("column")
    for col in ("wait", "price"):
        assert cols.loc[col, "p_value"] == plain.loc[col, "p_value"]
        assert cols.loc[col, "effect"] == pytest.approx(plain.loc[col, "effect"], rel=1e-12)
    assert isinstance(ref.loc[0, "price"], decimal.Decimal)  # the caller's table unchanged
    # a decimal id column stays itself (as floats, 20-digit ids would collide)
    ids = [pd.DataFrame({"acct": [decimal.Decimal(10 ** 18 + 2 * i + k) for i in range(n)],
                         "x": rng.normal(size=n)}) for k in (0, 1)]
    r = detect_drift(*ids, id_column="acct", multivariate=())
    assert list(r.ids[:2]) == ["1000000000000000001", "1000000000000000003"]
    # durations as a CSV file holds them (pandas writes "0 days 00:00:30.250000"), a
    # blank cell missing: the same figures (they were taken for an identifier)
    as_text = [f.assign(wait=f["wait"].astype(str)) for f in (ref, cur)]
    as_text[0].loc[5, "wait"] = " "
    r = detect_drift(*as_text, multivariate=()).columns.set_index("column")
    assert r.loc["wait", "kind"] == "numeric" and r.loc["wait", "drifted"]
    assert r.loc["wait", "missing_reference"] == pytest.approx(1 / n)
    # an Arrow duration column too
    arrow = [f.assign(wait=f["wait"].astype("duration[ns][pyarrow]")) for f in (ref, cur)]
    r = detect_drift(*arrow, multivariate=())
    assert r.columns.set_index("column").loc["wait", "kind"] == "numeric"


def test_numbers_with_units_or_separators_compared_as_categories_are_warned_of():
    from dataqa.drift.detect import _number_mark

    rng = np.random.default_rng(4)
    n = 400

    def frame(scale):
        v = rng.gamma(20.0, scale, n)
        return pd.DataFrame({"price": [f"${p:.2f}" for p in v],
                             "latency": [f"{int(p)} ms" for p in 3 * v],
                             "amount": [f"{int(p * 1000):,}" for p in v],
                             "stars": [f"{k} stars" for k in rng.integers(1, 6, n)],
                             "x": rng.normal(size=n)})

    with pytest.warns(UserWarning) as seen:
        detect_drift(frame(1.0), frame(1.03), multivariate=())
    said = [str(w.message) for w in seen if "numbers written as text" in str(w.message)]
    assert len(said) == 1
    assert re.search(r"columns 'price' \(e\.g\. '\$[\d.]+': the currency sign '\$'\), "
                     r"'latency' \(e\.g\. '\d+ ms': the unit 'ms'\), 'amount' \(e\.g\. "
                     r"'\d{1,3}(,\d{3})+': thousands separators\) hold numbers written as text, "
                     r"so they are compared as categories", said[0])
    assert "stars" not in said[0]  # five labels are categories
    assert "pd.to_numeric(s.str.replace(r'[^0-9.+-]', '', regex=True))" in said[0]
    # codes with a letter, ordinals and mixed units are not numbers with one unit
    for values in (["34D", "12A", "7C"], ["1080p", "720p"], ["1st", "2nd"],
                   ["900 ms", "1.2 s"], ["4K", "8K"]):
        assert _number_mark(pd.Series(values * 10, dtype=object)) is None, values
    assert _number_mark(pd.Series(["12.50 \u20ac", "", "3 \u20ac"], dtype=object)) == (
        "12.50 \u20ac", "the currency sign '\u20ac'")
    # padded cells are read stripped; a long run of blanks inside a cell is no number
    assert _number_mark(pd.Series(["  $12.50 ", "\t$3"] * 10, dtype=object)) == (
        "  $12.50 ", "the currency sign '$'")
    assert _number_mark(pd.Series(["1" + " " * 50_000 + "ms"] * 3, dtype=object)) is None
    # negatives in parentheses, as accountants write them
    assert _number_mark(pd.Series(["(12.50)", "3.10", "$(4.00)"][:2] * 10, dtype=object)) == (
        "(12.50)", "negatives in parentheses")
    assert _number_mark(pd.Series(["($1,234.00)", "$(4.00)", "$7.00"] * 10, dtype=object)) == (
        "($1,234.00)", "the currency sign '$', negatives in parentheses")
    for values in (["(12.50", "3.10"], ["12.50)", "3.10"], ["((12))", "3"],
                   ["(1)", "(2)", "(3)"], ["(1950)", "(1962)"]):  # (enumerations, years)
        assert _number_mark(pd.Series(values * 10, dtype=object)) is None, values


def test_amounts_with_negatives_in_parentheses_get_the_recipe_for_their_sign():
    rng = np.random.default_rng(8)

    def frame(step):
        v = np.round(rng.normal(100, 500, 300) / step) * step
        return pd.DataFrame({"amount": [f"({-a:,.2f})" if a < 0 else f"{a:,.2f}" for a in v],
                             "x": rng.normal(size=300)})

    with pytest.warns(UserWarning) as seen:
        detect_drift(frame(10), frame(10), multivariate=())
    said = [str(w.message) for w in seen if "numbers written as text" in str(w.message)]
    assert len(said) == 1 and "thousands separators, negatives in parentheses" in said[0]
    recipe = "s = s.str.replace(r'^(.*?)\\((.*)\\)(.*)$', r'-\\1\\2\\3', regex=True)"
    assert recipe in said[0]
    # the recipe, as printed, gives the amounts back with their sign, whatever the form
    s = pd.Series(["(1,250.27)", " 769.14", "(3.00) ", "$(12.50)", "(12.50) USD", "($1.00)"])
    s = s.str.replace(r'^(.*?)\((.*)\)(.*)$', r'-\1\2\3', regex=True)
    assert pd.to_numeric(s.str.replace(r'[^0-9.+-]', '', regex=True)).tolist() == [
        -1250.27, 769.14, -3.0, -12.5, -12.5, -1.0]
    # amounts to the cent, nearly each its own, are left out as ids are, and said to be
    # numbers written as text
    r = detect_drift(frame(0.01), frame(0.01), multivariate=())
    why = r.settings["skipped_columns"]["amount"]
    assert re.fullmatch(
        r"numbers written as text \(e\.g\. '[(\d,.)]+': thousands separators, negatives in "
        r"parentheses\), 100% of reference and 100% of current values distinct, \d shared; "
        r"make them numbers to compare them \(strip the sign, unit or separators\)", why), why


def test_zip_codes_are_compared_as_categories_even_when_one_file_has_no_leading_zero(
        tmp_path):
    rng = np.random.default_rng(6)
    n = 400
    east, west = ["02134", "01002", "02138"], ["90210", "94103", "10001"]
    ref = pd.DataFrame({"zip": rng.choice(east + west, n), "x": rng.normal(size=n)})
    cur = pd.DataFrame({"zip": rng.choice(west, n), "x": rng.normal(size=n)})
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    with pytest.warns(UserWarning, match="leading zeros"):
        r = detect_drift(tmp_path / "ref.csv", tmp_path / "cur.csv", multivariate=())
    row = r.columns.set_index("column").loc["zip"]
    assert row["kind"] == "categorical" and bool(row["drifted"])
    assert row["largest_change"].startswith(tuple(", ".join(p) for p in
                                                  itertools.permutations(east)))
    assert re.search(r" \(not in the current data\): [\d.]+% -> 0%$", row["largest_change"])
    # the same codes with their zeros lost (a spreadsheet round trip): restored, no drift
    same = pd.DataFrame({"zip": rng.choice(east + west, n), "x": rng.normal(size=n)})
    same["zip"] = same["zip"].astype(int)
    same.to_csv(tmp_path / "lost.csv", index=False)
    with pytest.warns(UserWarning, match=r"lost\.csv': column 'zip' holds whole numbers where "
                                         r"the other table\(s\) write codes of 5 digits with "
                                         r"leading zeros; read as those codes, zeros restored "
                                         r"\('\d{4}' -> '0\d{4}'\)"):
        r = detect_drift(tmp_path / "ref.csv", tmp_path / "lost.csv", multivariate=())
    row = r.columns.set_index("column").loc["zip"]
    assert row["kind"] == "categorical" and row["unseen_current"] == 0.0


def test_dates_written_in_other_ways_are_left_out_as_times():
    from dataqa.drift.detect import _dates_as_text

    rng = np.random.default_rng(8)
    n = 300

    def frame(start, fmt):
        t = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
        return pd.DataFrame({"signup": t.strftime(fmt), "plan": rng.choice(["a", "b"], n)})

    for fmt in ("%b %d, %Y", "%d-%b-%Y", "%m/%d/%y", "%A, %B %d, %Y", "%Y-%m",
                "%b %d, %Y %I:%M %p"):
        ref, cur = frame("2023-01-01", fmt), frame("2024-01-01", fmt)
        cur.loc[:2, "signup"] = "unknown"  # a placeholder or two: still dates
        r = detect_drift(ref, cur, multivariate=())
        assert "signup" not in set(r.columns["column"]), fmt
        assert r.settings["skipped_columns"]["signup"] == "a time column (dates written as text)", fmt
    # versions, months without a year, numbers and sentences are no dates; nor are sizes
    # and seasons, which loose dates resemble, unless the column is named as a date
    for values in (["3.12.10", "3.11.2"], ["Jan", "Feb"], ["12", "13"],
                   ["May I help you", "mar 5 things"], ["2023", "2024"],
                   ["10/20/30", "5/10/15", "8/16/24"]):
        assert not _dates_as_text(pd.Series(values * 60), name="size"), values
    seasons = pd.Series([f"{y}-{(y + 1) % 100:02d}" for y in range(1990, 2020)] * 5)
    assert not _dates_as_text(seasons, name="season")
    # loose dates are judged on both tables: a current table of three months
    from dataqa.drift.detect import _skip_reason

    ref_cycles = pd.Series([f"{2021 + k // 12}-{k % 12 + 1:02d}" for k in range(24)] * 5)
    cur_cycles = pd.Series(["2023-01", "2023-02", "2023-03"] * 40)
    assert _skip_reason(ref_cycles, cur_cycles, name="cycle") == (
        "a time column (dates written as text)")
    months = pd.Series([f"2023-{m:02d}" for m in range(1, 13)] * 10)
    assert _dates_as_text(months, name="billing_month") and not _dates_as_text(months, name="x")
    # a fifth of the values no date: not a date column
    mixed = pd.Series(["Mar 28, 2023"] * 80 + ["soon"] * 20)
    assert not _dates_as_text(mixed)


def test_missing_value_words_in_text_columns_are_values_as_parquet_keeps_them(tmp_path):
    from dataqa.drift.windows import drift_windows

    rng = np.random.default_rng(9)
    n = 400
    codes = ["NA", "ZA", "BW", "ZM"]

    def frame():
        return pd.DataFrame({"country": rng.choice(codes, n), "x": rng.normal(size=n),
                             "t": pd.date_range("2024-01-01", periods=n, freq="h").astype(str)})

    ref, cur = frame(), frame()
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_parquet(tmp_path / "cur.parquet")
    with pytest.warns(UserWarning, match=r"ref\.csv' holds words that pandas reads as missing "
                                         r"\('country': 'NA' \(\d+ rows\)\); they are read as "
                                         r"values"):
        r = detect_drift(tmp_path / "ref.csv", tmp_path / "cur.parquet", multivariate=())
    row = r.columns.set_index("column").loc["country"]
    assert row["missing_reference"] == 0.0 and not bool(row["drifted"])
    # every current row from Namibia: a shift to one country, not an empty column
    cur.assign(country="NA").to_csv(tmp_path / "na.csv", index=False)
    with pytest.warns(UserWarning, match=r"na\.csv' holds words"):
        r = detect_drift(tmp_path / "ref.csv", tmp_path / "na.csv", multivariate=())
    row = r.columns.set_index("column").loc["country"]
    assert bool(row["drifted"]) and row["largest_change"].startswith("NA: ")
    # windows read the files as detect_drift does
    with pytest.warns(UserWarning, match="holds words that pandas reads as missing"):
        w = drift_windows(tmp_path / "ref.csv", tmp_path / "cur.parquet",
                                 time_column="t", chunk_size=200, multivariate=())
    assert not w.drifted
    # a column of numbers whose current values are all 'NA' is an empty column, as before
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.assign(x="NA").to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(EmptyDataError, match=r"column 'x' is empty \(all values missing\) in the "
                                          r"current table"):
        detect_drift(tmp_path / "ref.csv", tmp_path / "nan.csv", multivariate=())


def test_blank_text_cells_are_missing_as_a_csv_reads_them():
    rng = np.random.default_rng(7)
    n = 400
    ref = pd.DataFrame({"note": [None] * 200 + ["hi"] * 200, "v": rng.normal(size=n)})
    cur = pd.DataFrame({"note": [""] * 150 + ["  "] * 50 + ["hi"] * 200, "v": rng.normal(size=n)})
    row = detect_drift(ref, cur, multivariate=()).columns.set_index("column").loc["note"]
    assert row["missing_current"] == 0.5 and row["missing_reference"] == 0.5
    assert not bool(row["drifted"]) and row["p_value"] == 1.0
    # the caller's table is left as it was
    assert cur["note"].tolist()[:1] == [""]
    # a categorical column (a Parquet dictionary column reads so) whose blank is a category
    cat = cur.assign(note=cur["note"].astype("category"))
    row = detect_drift(ref, cat, multivariate=()).columns.set_index("column").loc["note"]
    assert row["missing_current"] == 0.5 and not bool(row["drifted"]) and row["p_value"] == 1.0
    assert list(cat["note"].cat.categories) == ["", "  ", "hi"]


def test_unix_times_in_a_column_named_as_a_time_are_left_out():
    rng = np.random.default_rng(5)
    n = 300
    start = 1.70e12
    ref = pd.DataFrame({"created_at": (start + rng.uniform(0, 1e9, n)).astype(np.int64),
                        "event_time": (start / 1e3 + rng.uniform(0, 1e6, n)).astype(np.int64),
                        "time_spent": rng.uniform(0, 100, n),
                        "amount": (start + rng.uniform(0, 1e9, n)).astype(np.int64),
                        "x": rng.normal(size=n)})
    cur = ref.assign(created_at=ref["created_at"] + 3_000_000_000,
                     event_time=ref["event_time"] + 3_000_000)
    r = detect_drift(ref, cur, multivariate=())
    assert r.settings["skipped_columns"] == {
        "created_at": "a time column (Unix times in milliseconds)",
        "event_time": "a time column (Unix times in seconds)"}
    # a time-named column of small numbers, and Unix-like numbers under another name, stay
    assert r.columns["column"].tolist() == ["time_spent", "amount", "x"]
    # durations named as times (1-4 s in nanoseconds reads as Unix seconds), a unit the
    # values are not in, and names that only hold "date" or "at" inside a word stay
    durations = {"response_time_ns": rng.uniform(1e9, 4e9, n),
                 "epoch_ms": start / 1e3 + rng.uniform(0, 1e6, n),  # (seconds)
                 "candidate": start + rng.uniform(0, 1e9, n), "format": start + np.zeros(n)}
    r = detect_drift(ref.assign(**durations), cur.assign(**durations), multivariate=())
    assert set(durations) <= set(r.columns["column"])
    assert set(r.settings["skipped_columns"]) == {"created_at", "event_time"}
    # named as a feature, it is compared
    named = detect_drift(ref, cur, feature_columns=["created_at"], multivariate=())
    assert named.columns.set_index("column").loc["created_at", "drifted"]
    # a missing time written as 0 leaves it a time column
    zero = cur.assign(event_time=cur["event_time"].where(np.arange(n) != 4, 0))
    r = detect_drift(ref, zero, multivariate=())
    assert r.settings["skipped_columns"]["event_time"] == "a time column (Unix times in seconds)"
    # zeros in many rows: still a time column, whose share of zeros is compared as its
    # missing share: alike (10% in both) no alarm; 10% against 70% an alarm
    def zeros(frame, keep):
        return frame.assign(event_time=frame["event_time"].where(keep, 0))

    alike = detect_drift(zeros(ref, np.arange(n) % 10 != 0), zeros(cur, np.arange(n) % 10 != 3),
                         multivariate=()).columns.set_index("column")
    assert alike.loc["event_time", "test"] == "fisher (missing share)"
    assert not alike.loc["event_time", "drifted"] and not alike["drifted"].any()
    moved = detect_drift(zeros(ref, np.arange(n) % 10 != 0), zeros(cur, np.arange(n) % 10 > 6),
                         multivariate=()).columns.set_index("column")
    assert moved.loc["event_time", "drifted"]
    assert moved.loc["event_time", "missing_current"] == pytest.approx(0.7, abs=0.01)


def test_a_saved_row_index_in_one_table_is_named_as_such():
    rng = np.random.default_rng(10)
    ref = pd.DataFrame({"Unnamed: 0": np.arange(200), "x": rng.normal(size=200)})
    cur = pd.DataFrame({"x": rng.normal(size=200)})
    with pytest.warns(UserWarning, match=r"not compared, a saved row index \(only in the "
                                         r"reference table\): 'Unnamed: 0' \(to silence") as seen:
        r = detect_drift(ref, cur, multivariate=())
    assert not any("production data lost" in str(w.message) for w in seen)
    assert r.settings["skipped_columns"]["Unnamed: 0"] == (
        "a saved row index (only in the reference table)")
    # a column of other values in one table only: as before
    with pytest.warns(UserWarning, match=r"only in the reference table: 'y'.*production data "
                                         r"lost"):
        detect_drift(ref.drop(columns="Unnamed: 0").assign(y=rng.normal(size=200)), cur,
                     multivariate=())


def test_values_respelled_in_case_or_white_space_are_warned_of():
    rng = np.random.default_rng(11)
    ref = pd.DataFrame({"region": rng.choice(["north", "south", "East"], 500),
                        "x": rng.normal(size=500)})
    cur = pd.DataFrame({"region": rng.choice(["north ", "south", "east"], 500),
                        "x": rng.normal(size=500)})
    with pytest.warns(UserWarning, match=r"current values differ from reference values only "
                                         r"in case or white space \('region': 2 values, \d+% "
                                         r"of current rows \(e\.g\. 'east' for 'East'\)\)"):
        r = detect_drift(ref, cur, multivariate=())
    assert bool(r.columns.set_index("column").loc["region", "drifted"])  # compared as new
    # new values of their own: no such warning
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        detect_drift(ref, cur.assign(region=rng.choice(["west", "south"], 500)), multivariate=())
    assert not [w for w in seen if "only in case" in str(w.message)]


def test_yes_no_values_spelled_another_way_are_warned_of():
    import warnings

    rng = np.random.default_rng(12)
    ref = pd.DataFrame({"active": rng.choice([True, False], 300), "x": rng.normal(size=300)})
    cur = pd.DataFrame({"active": rng.choice(["yes", "no"], 300), "x": rng.normal(size=300)})
    with pytest.warns(UserWarning, match=r"yes/no columns spelled one way in each table: "
                                         r"'active' \(True/False in the reference, yes/no in "
                                         r"the current table\): they are compared as "
                                         r"different values"):
        r = detect_drift(ref, cur, multivariate=())
    assert bool(r.columns.set_index("column").loc["active", "drifted"])
    # one spelling shared, or values that are not yes/no: no such warning
    for other in (cur.assign(active=rng.choice(["True", "no"], 300)),
                  cur.assign(active=rng.choice(["yes", "maybe"], 300)),
                  cur.assign(active="true")):  # (case alone: said by its own warning)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            detect_drift(ref, other, multivariate=())
        assert not [w for w in seen if "yes/no columns" in str(w.message)]
    # all "no" against all "yes": a real change, not a spelling
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = detect_drift(ref.assign(active="no"), cur.assign(active="yes"), multivariate=())
    assert not [w for w in seen if "yes/no columns" in str(w.message)]
    assert bool(r.columns.set_index("column").loc["active", "drifted"])


def test_the_report_says_the_verdict_the_command_line_prints(tmp_path):
    from dataqa.drift.report import verdict

    rng = np.random.default_rng(1)
    n = 600
    ref = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    x = rng.normal(size=n)
    cur = pd.DataFrame({"x": x, "y": 0.8 * x + 0.6 * rng.normal(size=n)})  # same marginals
    r = detect_drift(ref, cur)
    assert not r.drifted and r.multivariate["mmd"]["drifted"]
    assert verdict(r) == ("whole", "no column drifted, but the whole table did (mmd)")
    r.to_html(tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "no column drifted, but the whole table did (mmd)" in html
    assert verdict(detect_drift(ref, ref.sample(frac=1.0, random_state=0))) == ("none",
                                                                              "no drift")


def test_amounts_filled_in_one_table_only_are_counted_in_that_table():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"amount": [None] * 100, "x": rng.normal(size=100)})
    cur = pd.DataFrame({"amount": [f"${a:,.2f}" for a in rng.gamma(20, 100, 100)],
                        "x": rng.normal(size=100)})
    r = detect_drift(ref, cur, multivariate=())
    why = r.settings["skipped_columns"]["amount"]
    assert re.fullmatch(r"numbers written as text \(e\.g\. '\$[\d,.]+': the currency sign "
                        r"'\$'\), 100% of current values distinct, none in the other table; "
                        r"make them numbers to compare them \(strip the sign, unit or "
                        r"separators\)", why), why


def test_a_text_column_of_numbers_is_refused_naming_a_filled_cell():
    from dataqa.errors import FeatureTypeError

    rng = np.random.default_rng(2)
    words = ["free", "call", "now", "see", "you"]
    text = pd.DataFrame({"text": [" ".join(rng.choice(words, 4)) for _ in range(40)]})
    numbers = pd.DataFrame({"text": ["", " "] + [str(i) for i in range(38)]})
    with pytest.raises(FeatureTypeError, match=r"text column 'text' holds only numbers in the "
                                               r"current table \(e\.g\. '0' in row 3, "):
        detect_drift(text, numbers, text_column="text", multivariate=())
    # numbers in both tables' text, or a few numbers among texts: not this refusal
    mixed = text.assign(text=[*text["text"][:30], *map(str, range(10))])
    detect_drift(text, mixed, text_column="text", multivariate=())


def test_a_categorical_of_numbers_against_numbers_is_told_how_to_convert_it():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": rng.choice([1.5, 2.5, 3.5], 200), "b": rng.normal(size=200)})
    cur = ref.copy()
    cur["a"] = cur["a"].astype("category")
    with pytest.raises(FeatureTypeError, match=r"column 'a' is numeric in the reference table "
                                               r"but text in the current table .* It is a "
                                               r"pandas Categorical of numbers: convert it with "
                                               r"\.astype\(float\) first"):
        detect_drift(ref, cur, multivariate=())
    # stored as text: the other advice
    cur["a"] = cur["a"].astype(str)
    with pytest.raises(FeatureTypeError, match=r"Every value of it is a number stored as text"):
        detect_drift(ref, cur, multivariate=())


def test_the_report_shows_a_share_just_under_one_as_under_one(tmp_path):
    # 2,999 missing of 3,000 read "100.0%", as if the column were empty
    rng = np.random.default_rng(0)
    n = 3000
    ref = pd.DataFrame({"x": rng.normal(size=n), "sparse": [1.0] + [None] * (n - 1)})
    cur = pd.DataFrame({"x": rng.normal(size=n), "sparse": [2.0] + [None] * (n - 1)})
    r = detect_drift(ref, cur, n_permutations=19, progress=False)
    row = r.columns.set_index("column").loc["sparse"]
    assert row["missing_reference"] == pytest.approx((n - 1) / n)
    html = " ".join(r.to_html(tmp_path / "r.html").read_text().split())
    assert html.count("&gt;99.9%") >= 2 and "100.0%" not in html


def test_blank_texts_are_missing_whatever_the_format_wrote():
    """CSV reads an empty text as missing, Parquet and JSON keep ''; the missing share
    of the text column is the same either way (white space and zero-width characters are
    blank too)."""
    words = ["free prize now", "see you soon", "call me later", "win cash today"]
    ref = pd.DataFrame({"text": [f"{words[i % 4]} {i}" for i in range(80)]})
    cur = pd.DataFrame({"text": [f"{words[(i + 1) % 4]} extra {i}" for i in range(60)]})
    shares = []
    for blank in (None, "", "  ", "\u200b"):
        c = cur.copy()
        c.loc[:14, "text"] = blank
        r = detect_drift(ref, c, text_column="text", n_permutations=19, random_state=0)
        shares.append(float(r.columns.set_index("column").loc["text", "missing_current"]))
    assert shares == [0.25] * 4
