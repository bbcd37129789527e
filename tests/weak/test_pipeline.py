"""``weak_label`` and ``WeakResult`` on a small table: values, files, checks before work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataqa.errors import (
    InvalidSettingError,
    LabelError,
    MissingColumnError,
    MissingInputError,
    UnknownNameError,
)
from dataqa.weak import WeakResult, apply_lfs, weak_label

TEXTS = ["subscribe to me", "nice song", "check out http://x.y", "great song!!",
         "love it", "my video http://z", "song of the year, really", "subscribe pls"]


@pytest.fixture()
def lfs():
    from snorkel.labeling import labeling_function

    from labeling_functions import keyword_lf, regex_lf

    @labeling_function()
    def short(x):
        return 0 if len(x.text) < 12 else -1

    return [keyword_lf("kw_sub", ["subscribe", "check out"], 1, column="text"),
            regex_lf("re_link", r"https?://", 1), keyword_lf("kw_song", "song", 0), short]


@pytest.fixture()
def table():
    return pd.DataFrame({"key": [f"k{i}" for i in range(8)], "body": TEXTS})


@pytest.fixture()
def dev():
    return pd.DataFrame({"body": TEXTS[:6], "gold": [1, 0, 1, 0, 0, 1]})


def test_weak_label_auto_on_a_dev_set(table, dev, lfs, tmp_path):
    res = weak_label(table, lfs, cardinality=2, method="auto", id_column="key",
                     text_column="body", dev=dev, label_column="gold")
    assert isinstance(res, WeakResult)
    assert list(res.labels.columns) == ["id", "label", "prob_0", "prob_1", "row"]
    assert res.labels["id"].tolist() == [f"k{i}" for i in range(8)]
    assert res.pred.tolist()[:5] == [1, 0, 1, 0, 0]
    np.testing.assert_allclose(res.proba.sum(axis=1), 1.0)
    assert res.L.shape == (8, 4) and res.L_dev.shape == (6, 4)
    assert res.label_model == res.model.chosen_ and res.reason.startswith("kept '")
    assert res.facts() == {"label model": res.label_model, "why": res.model.reason_}
    assert list(res.summary.index) == ["kw_sub", "re_link", "kw_song", "short"]
    assert "Dev Emp. Acc." in res.summary
    gold = np.array([1, 0, 1, 0, 0, 1])
    voted = res.L_dev != -1
    right = (voted & (res.L_dev == gold[:, None])).sum(axis=0)
    assert res.summary["Dev Correct"].tolist() == right.tolist()
    assert res.summary["Dev Incorrect"].tolist() == (voted.sum(axis=0) - right).tolist()
    assert res.summary.loc["kw_song", ["Dev Correct", "Dev Incorrect"]].tolist() == [2, 0]
    assert res.coverage == pytest.approx(1.0)

    paths = res.save(tmp_path / "out")
    assert {p.name for p in paths.values()} == {"weak_labels.csv", "lf_summary.csv", "report.html"}
    pd.testing.assert_frame_equal(pd.read_csv(paths["labels"]), res.labels)
    # written whole (a temporary file renamed), as pandas writes them
    assert paths["summary"].read_text() == res.summary.to_csv(index_label="lf")
    assert paths["labels"].read_text() == res.labels.to_csv(index=False)
    assert not (tmp_path / "out" / "INCOMPLETE.json").exists()
    summary = pd.read_csv(paths["summary"], index_col=0)
    assert summary.loc["kw_song", "Coverage"] == pytest.approx(3 / 8)
    html = res.to_html(tmp_path / "r.html").read_text()
    assert "Labeling functions" in html and "data:image/png;base64" in html and "kw_sub" in html


def test_default_method_with_fewer_than_three_lfs(table, lfs):
    res = weak_label(table, lfs[:2], cardinality=2, text_column="body")
    assert res.method == "majority" and res.label_model == "majority"
    assert "Snorkel's LabelModel (the default) needs at least 3 labeling functions and there are 2" \
        in res.note
    assert res.reason == res.note
    assert weak_label(table, lfs, cardinality=2, text_column="body").method == "snorkel"


def test_matches_apply_and_fit(table, lfs):
    from dataqa.weak import apply_lfs, fit_label_model

    res = weak_label(table, lfs, cardinality=2, method="dawid_skene", text_column="body",
                     random_state=3)
    L = apply_lfs(table.rename(columns={"body": "text"}), lfs)
    np.testing.assert_array_equal(res.L, L)
    model = fit_label_model(L, cardinality=2, method="dawid_skene")
    np.testing.assert_allclose(res.proba, model.predict_proba(L))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "best"}, UnknownNameError, "unknown label model 'best'"),
        ({"method": "auto"}, MissingInputError, "pass dev and label_column"),
        ({"dev": "DEV"}, MissingInputError, "dev needs label_column"),
        ({"cardinality": 1}, InvalidSettingError, "cardinality=1 must be an int >= 2"),
        ({"text_column": "nope"}, MissingColumnError, "text column 'nope' is not in"),
        ({"dev": "DEV", "label_column": "nope"}, MissingColumnError, "label column 'nope'"),
        ({"dev": "BAD", "label_column": "gold"}, LabelError,
         r"must hold class indices 0\.\.1; labels written as names are read with class_names "
         r"\(--classes a,b,...\), the names of classes 0, 1, ... in order; row 1 \(counted from 1 "
         r"at the table's first row\) holds 'spam' \(1 such row\)"),
        ({"dev": "GAPS", "label_column": "gold"}, LabelError,
         r"dev label column 'gold' of the table has no label in 2 row\(s\) \(rows 2, 4, "
         r"counted from 1 at the table's first row\); a dev set is scored against its labels: drop"),
    ],
)
def test_checks_before_work(table, dev, lfs, kwargs, error, message, monkeypatch):
    import dataqa.weak.apply

    def no_work(*args, **kw):  # pragma: no cover - reached only when a check is missing
        raise AssertionError("the LFs ran before the inputs were checked")

    monkeypatch.setattr(dataqa.weak.apply, "apply_lfs", no_work)
    kwargs = {"cardinality": 2, "text_column": "body", **kwargs}
    if kwargs.get("dev") == "DEV":
        kwargs["dev"] = dev
    elif kwargs.get("dev") == "BAD":
        kwargs["dev"] = dev.assign(gold=["spam", 0, 1, 0, 0, 1])
    elif kwargs.get("dev") == "GAPS":
        kwargs["dev"] = dev.assign(gold=[0, None, 1, " ", 0, 1])
    with pytest.raises(error, match=message):
        weak_label(table, lfs, **kwargs)


def test_snorkel_with_two_lfs_is_refused(table, lfs):
    with pytest.raises(InvalidSettingError, match="method='snorkel' .Snorkel's LabelModel. needs at least 3"):
        weak_label(table, lfs[:2], cardinality=2, method="snorkel", text_column="body")


def test_run_weak_is_deprecated_and_writes_the_same(table, lfs, tmp_path):
    from dataqa.weak.cli import run_weak

    with pytest.warns(DeprecationWarning, match="use dataqa.weak.weak_label"):
        res = run_weak(table, lfs=lfs[:2], cardinality=2, method=None, out=tmp_path / "o",
                       text_column="body")
    assert res["method"] == "majority" and "--method dawid_skene" in res["note"]
    assert (tmp_path / "o" / "weak_labels.csv").exists()
    assert res["L"].shape == (8, 2)


def test_top_level_exports():
    import dataqa

    assert dataqa.weak_label is weak_label and dataqa.WeakResult is WeakResult


def test_a_column_an_lf_reads_is_checked_before_any_lf_runs():
    from labeling_functions import keyword_lf

    table = pd.DataFrame({"body": ["free prize", "hi there"] * 10})
    lfs = [keyword_lf("kw", "free", 1), keyword_lf("greet", "hi", 0, column="greeting")]
    with pytest.raises(MissingColumnError, match="column 'text' is not in the table; the table "
                                                 "has: body. Pass one of these names. Labeling "
                                                 "function 'kw' reads it; --text-column"):
        weak_label(table, lfs, cardinality=2, progress=False)
    with pytest.raises(MissingColumnError, match="column 'greeting' is not in the table.*"
                                                 "Labeling function 'greet' reads it; give the "
                                                 "LF one of these columns"):
        weak_label(table, lfs, cardinality=2, text_column="body", progress=False)
    # every misspelt column is named at once, not one per run
    typos = [keyword_lf("a", "free", 1, column="bdy"), keyword_lf("b", "hi", 0, column="bod")]
    with pytest.raises(MissingColumnError, match=r"column 'bdy' is not in the table.*"
                                                 r"Missing too: 'bod' \(LF 'b'\)\."):
        weak_label(table, typos, cardinality=2, progress=False)


def test_the_dev_rows_have_their_own_progress_bar(table, lfs, capsys):
    dev = pd.DataFrame({"key": ["d0", "d1"], "body": ["subscribe now", "a song"],
                        "gold": [1, 0]})
    weak_label(table, lfs, cardinality=2, method="majority", id_column="key",
               text_column="body", dev=dev, label_column="gold", progress=True)
    err = capsys.readouterr().err
    assert err.count("labeling functions (dev rows)") == 1
    assert err.count("labeling functions") == 2  # one bar for the data, one for dev rows
    # the steps counted: 3 vectorized LFs, then the row-wise one over one part of the rows
    assert "labeling functions (3 vectorized, then 1 row-wise in 1 part)" in err


def test_a_row_wise_lf_may_read_the_text_column_by_its_own_name(table, lfs):
    from snorkel.labeling import labeling_function

    @labeling_function()
    def body_has_subscribe(x):
        return 1 if "subscribe" in str(x.body).lower() else -1

    res = weak_label(table, [*lfs, body_has_subscribe], cardinality=2, text_column="body",
                     method="majority")
    want = table["body"].str.lower().str.contains("subscribe").to_numpy()
    got = res.L[:, -1] == 1
    assert (got == want).all() and got.any()


def test_flagged_lfs_are_named_on_the_terminal():
    from dataqa.weak.cli import flagged_lf_lines

    summary = pd.DataFrame({"Coverage": [0.5, 0.004, 0.3], "Dev Correct": [9, 0, 1],
                            "Dev Incorrect": [1, 0, 7], "Dev Emp. Acc.": [0.9, np.nan, 0.125],
                            "Flags": ["", "low coverage", "below chance"]},
                           index=["good", "rare", "wrong"])
    assert flagged_lf_lines(summary) == [
        "2 of 3 LFs flagged (lf_summary.csv, report.html):",
        "  rare: low coverage (coverage 0.40%)",
        "  wrong: below chance (coverage 30.00%, dev accuracy 0.12 on 8 votes)"]
    assert flagged_lf_lines(summary.assign(Flags="")) == []
    no_dev = summary.drop(columns=["Dev Correct", "Dev Incorrect", "Dev Emp. Acc."])
    assert flagged_lf_lines(no_dev)[1] == "  rare: low coverage (coverage 0.40%)"
    # most LFs below chance on the dev rows: the classes may be numbered the other way
    reversed_ = summary.assign(Flags=["below chance", "low coverage", "below chance"])
    assert flagged_lf_lines(reversed_)[-1] == (
        "  2 of the 2 LFs that vote on the dev rows are below chance there: do the dev "
        "labels (or --classes) number the classes in the order the LFs vote for them? "
        "With --classes, the first name is class 0, the second class 1, and so on.")
    half = pd.DataFrame({"Coverage": [0.5] * 4, "Dev Correct": [1, 1, 9, 9],
                         "Dev Incorrect": [7, 7, 1, 1], "Dev Emp. Acc.": [0.125, 0.125, 0.9, 0.9],
                         "Flags": ["below chance", "below chance", "", ""]},
                        index=list("abcd"))  # two of four: not most
    assert not any("number the classes" in line for line in flagged_lf_lines(half))
    assert any("number the classes" in line for line in flagged_lf_lines(
        half.assign(Flags=["below chance"] * 3 + [""])))
    assert not any("number the classes" in line for line in flagged_lf_lines(summary))


def test_auto_on_a_few_dev_rows_says_its_choice_is_mostly_chance(lfs):
    import warnings

    from dataqa.weak.pipeline import MIN_DEV_ROWS

    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(TEXTS), 200)
    gold = np.array([1, 0, 1, 0, 0, 1, 0, 1])  # the class of each of TEXTS
    df = pd.DataFrame({"text": [f"{TEXTS[k]} {i}" for i, k in enumerate(pick)],
                       "gold": gold[pick]})
    few = df.head(MIN_DEV_ROWS - 5)
    with pytest.warns(UserWarning, match=rf"method='auto' chose the label model on "
                                         rf"{MIN_DEV_ROWS - 5} dev rows with a vote \(of "
                                         rf"{MIN_DEV_ROWS - 5}\): below {MIN_DEV_ROWS}, a row "
                                         rf"or two decide between models") as caught:
        weak_label(df, lfs, cardinality=2, method="auto", dev=few, label_column="gold")
    assert caught[0].filename == __file__
    silent = pd.DataFrame({"text": ["a long message with no keyword at all"] * 4,
                           "gold": [" 1", "0 ", "1", "0"]})  # no LF votes; padded labels
    with pytest.warns(UserWarning) as caught:
        weak_label(df, lfs, cardinality=2, method="auto", dev=silent, label_column="gold")
    said = [str(w.message) for w in caught]
    assert any("on 4 dev rows, none of which has a vote: below" in m for m in said), said
    assert any("2 label cells have white space around the text (e.g. ' 1'); read without it."
               in m for m in said), said
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weak_label(df, lfs, cardinality=2, method="auto", dev=df.head(MIN_DEV_ROWS),
                   label_column="gold")
        weak_label(df, lfs, cardinality=2, method="majority", dev=few, label_column="gold")


def test_class_names_that_repeat_and_dev_indices_out_of_range_are_named(table, dev, lfs):
    with pytest.raises(InvalidSettingError,
                       match=r"--classes \(API: class_names\) names 'ham' more than once; "
                             r"give each class its own name"):
        weak_label(table, lfs, cardinality=2, method="majority", text_column="body",
                   class_names=["ham", " ham"])
    bad = dev.assign(gold=[1, 0, 2, 0, 0, 1])
    with pytest.raises(LabelError) as err:
        weak_label(table, lfs, cardinality=2, method="majority", text_column="body",
                   dev=bad, label_column="gold")
    msg = str(err.value)
    assert ("must hold class indices 0..1 (cardinality 2, --cardinality); row 3 (counted from "
            "1 at the table's first row) holds 2 (1 such row).") in msg
    assert "written as names" not in msg


def test_a_text_column_empty_in_every_row_is_refused(table, lfs):
    # every LF would abstain on every row: the wrong column, not a result
    from dataqa.errors import FeatureTypeError

    for empty in ([None] * 8, ["", " "] * 4):
        with pytest.raises(FeatureTypeError, match="text column 'body' of the table is empty "
                                                   "in every one of its 8 rows; name the column "
                                                   "that holds the text"):
            weak_label(table.assign(body=empty), lfs, cardinality=2, method="majority",
                       text_column="body")
    # some empty cells are rows for the LFs to handle (here one cell of white space)
    res = weak_label(table.assign(body=[" ", *TEXTS[1:]]), lfs, cardinality=2,
                     method="majority", text_column="body")
    assert len(res.L) == 8


def test_a_text_file_keeps_na_words_and_digits_as_text_with_or_without_text_column(tmp_path):
    """'None', 'NA' and '123' in the text column are texts: read as missing (or as numbers)
    without --text-column, every LF abstained on them, and a row-wise LF calling .lower()
    raised on the numbers."""
    from snorkel.labeling import labeling_function

    @labeling_function()
    def word(x):
        return 0 if x.text.lower() in ("none", "na", "null", "n/a") else -1

    @labeling_function()
    def number(x):
        return 1 if x.text.isdigit() else -1

    path = tmp_path / "na.csv"
    path.write_text("id,text\nc1,None\nc2,NA\nc3,123\nc4,hello\n")
    for text_column in (None, "text"):
        res = weak_label(path, [word, number], cardinality=2, method="majority",
                         id_column="id", text_column=text_column)
        assert res.labels["label"].tolist() == [0, 0, 1, -1]
    dev = tmp_path / "dev.csv"  # the dev file too
    dev.write_text("text,gold\nnull,0\n42,1\nN/A,0\n")
    res = weak_label(path, [word, number], cardinality=2, method="majority", id_column="id",
                     dev=dev, label_column="gold")
    assert res.L_dev.tolist() == [[0, -1], [-1, 1], [0, -1]]


def test_columns_an_lf_reads_as_text_or_matches_na_words_in_keep_those_words(tmp_path):
    """A keyword LF on another column than the text one, and an isin_lf looking for 'NA'
    or 'n/a', see those words: a CSV reader takes them for missing values, on which every
    LF abstained."""
    from labeling_functions import isin_lf, keyword_lf

    path = tmp_path / "iso.csv"
    path.write_text("id,note,CONTENT,n\nc1,NA,x,NA\nc2,n/a,None,1\nc3,x,y,2\n")
    lfs = [isin_lf("na_note", "note", {"NA", "n/a"}, 0),
           keyword_lf("kw_none", ["none"], 1, column="CONTENT")]
    res = weak_label(path, lfs, cardinality=2, method="majority", id_column="id")
    assert res.L.tolist() == [[0, -1], [0, 1], [-1, -1]]
    # a numeric column no LF reads as text keeps its missing value
    from dataqa.weak.pipeline import _literal_columns

    assert _literal_columns(lfs) == ["note", "CONTENT"]
    assert _literal_columns([isin_lf("one", "n", {1, 2}, 0)]) == []


def test_a_column_of_codes_read_for_an_isin_na_word_keeps_its_numbers(tmp_path):
    """``isin_lf("code", {1, "NA"}, ...)`` reads ``code`` with its NA words as written;
    its numbers are numbers again (they were read as the text "1" and matched nothing),
    in the data file and the dev file. A column holding another word stays text."""
    from dataqa.weak.pipeline import _numbers_back
    from labeling_functions import isin_lf

    path = tmp_path / "codes.csv"
    path.write_text("id,code\nr1,1\nr2,2\nr3,NA\nr4,3\nr5,\n")
    dev = tmp_path / "dev.csv"
    dev.write_text("id,code,gold\nd1,2,0\nd2,NA,1\nd3,1.0,1\n")
    lfs = [isin_lf("one_or_na", "code", {1, "NA"}, 1), isin_lf("two", "code", {2}, 0)]
    res = weak_label(path, lfs, cardinality=2, method="majority", id_column="id",
                     dev=dev, label_column="gold")
    assert res.L.tolist() == [[1, -1], [-1, 0], [1, -1], [-1, -1], [-1, -1]]
    assert res.L_dev.tolist() == [[-1, 0], [1, -1], [1, -1]]
    words = pd.DataFrame({"c": ["1", "NA", "x"], "d": ["1", "n/a", None],
                          "z": ["007", "NA", "8"]})
    words.attrs["dataqa_sep"] = ","  # (as read from a CSV file)
    back = _numbers_back(words, {"c": set(), "d": set(), "z": {"007"}})
    assert back["c"].tolist() == ["1", "NA", "x"]  # "x" is no number: left as read
    assert back["d"].tolist()[:2] == [1, "n/a"] and pd.isna(back["d"].iloc[2])
    assert back["z"].tolist() == ["007", "NA", 8]  # a string an LF matches stays as written
    words.attrs.clear()  # not from a delimited file: the types it stores are kept
    assert _numbers_back(words, {"d": set()})["d"].tolist()[0] == "1"
    # strings in a Parquet file stay strings; an LF of strings needs no numbers back
    strings = pd.DataFrame({"id": ["r1", "r2", "r3"], "code": ["1", "NA", "2"]})
    strings.to_parquet(tmp_path / "codes.parquet")
    as_text = [isin_lf("one_or_na", "code", {"1", "NA"}, 1), isin_lf("two", "code", {"2"}, 0)]
    expected = {"codes.parquet": [[1, -1], [1, -1], [-1, 0]],  # "1", "NA", "2"
                "codes.csv": [[1, -1], [-1, 0], [1, -1]]}  # "1", "2", "NA"
    for name, votes in expected.items():
        res = weak_label(tmp_path / name, as_text, cardinality=2, method="majority",
                         id_column="id")
        assert res.L.tolist()[:3] == votes


def test_an_isin_lf_that_lists_a_zero_led_code_sees_it_as_written(tmp_path):
    """``isin_lf("zip", {"007"}, ...)`` on a CSV column of ``007``, ``7`` and ``12`` (read
    as the numbers 7, 7, 12) matched nothing; the column is now read as written for it,
    its other cells numbers again when an LF lists numbers there too. Parquet keeps its
    types, and a column of numbers no LF lists as a string is read as before."""
    from labeling_functions import isin_lf

    (tmp_path / "zip.csv").write_text("id,zip\nr1,007\nr2,7\nr3,12\n")
    pd.DataFrame({"id": ["r1", "r2", "r3"], "zip": [7, 7, 12]}).to_parquet(
        tmp_path / "zip.parquet")
    padded, seven = isin_lf("padded", "zip", {"007"}, 0), isin_lf("seven", "zip", {7}, 1)
    twelve = isin_lf("twelve", "zip", {12}, 1)
    cases = [("zip.csv", [padded], [[0], [-1], [-1]]),
             ("zip.csv", [padded, twelve], [[0, -1], [-1, -1], [-1, 1]]),
             ("zip.csv", [padded, seven], [[0, -1], [-1, 1], [-1, -1]]),
             ("zip.csv", [seven, twelve], [[1, -1], [1, -1], [-1, 1]]),
             ("zip.parquet", [padded, seven], [[-1, 1], [-1, 1], [-1, -1]])]
    from labeling_functions import threshold_lf

    # an LF that reads numbers there: the column stays numbers, and "007" matching no
    # cell is said (before: the threshold LF was refused a column read as text)
    big = threshold_lf("big", "zip", ">", 10, 1)
    with pytest.warns(UserWarning, match=r"labeling function 'padded' lists '007' for column "
                                         r"'zip', which another LF reads as numbers"):
        assert apply_lfs(tmp_path / "zip.csv", [padded, big]).tolist() == [
            [-1, -1], [-1, -1], [-1, 1]]
    # a folder whose first file has 007 and 7 (read as numbers) and whose second keeps
    # its codes as text: the first file's 007 is seen too, and no warning says "one class"
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("id,zip\nr1,007\nr2,7\n")
    (tmp_path / "parts" / "b.csv").write_text("id,zip\nr3,12\nr4,007\n")
    cases.append(("parts", [padded], [[0], [-1], [-1], [0]]))
    import warnings

    for name, lfs, votes in cases:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert apply_lfs(tmp_path / name, lfs).tolist() == votes, (name, lfs)
        assert not [w for w in caught if "one class" in str(w.message)], name
        res = weak_label(tmp_path / name, lfs, cardinality=2, method="majority",
                         id_column="id")
        assert res.L.tolist() == votes, (name, lfs)
    # the command's dev file is read so too
    from typer.testing import CliRunner

    from dataqa.cli import app

    (tmp_path / "lfs.py").write_text(
        "from labeling_functions import isin_lf\n"
        "lfs = [isin_lf('padded', 'zip', {'007'}, 0), isin_lf('twelve', 'zip', {12}, 1),\n"
        "       isin_lf('seven', 'zip', {7}, 1)]\n")
    (tmp_path / "dev.csv").write_text("id,zip,gold\nd1,007,0\nd2,12,1\nd3,7,1\nd4,007,0\n")
    r = CliRunner().invoke(app, ["weak", str(tmp_path / "zip.csv"), "--lfs",
                                 str(tmp_path / "lfs.py"), "--cardinality", "2", "--id-column",
                                 "id", "--dev", str(tmp_path / "dev.csv"), "--label-column",
                                 "gold", "--method", "majority", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "dev accuracy of majority: 1.0000 on 4 dev rows" in r.output


def test_apply_lfs_reads_a_file_as_weak_label_does(tmp_path):
    """A text ``NA``, ``None`` or ``null`` is a message the LFs read, not a missing value,
    through ``apply_lfs(path)`` as through ``weak_label`` (before, ``apply_lfs`` abstained
    on those rows); only the empty cell is missing."""
    from labeling_functions import keyword_lf, length_lf

    path = tmp_path / "words.csv"
    path.write_text("id,text\n1,NA\n2,None\n3,null\n4,nan\n5,N/A\n6,\n7,hello\n")
    lfs = [length_lf("short", "text", max_len=10, label=0), keyword_lf("n", ["n"], 1)]
    expected = [[0, 1]] * 5 + [[-1, -1], [0, -1]]
    assert apply_lfs(path, lfs).tolist() == expected
    res = weak_label(path, lfs, cardinality=2, method="majority", id_column="id")
    assert res.L.tolist() == expected


def test_the_weak_command_reads_its_dev_file_codes_as_numbers_too(tmp_path):
    from typer.testing import CliRunner

    from dataqa.cli import app

    (tmp_path / "codes.csv").write_text("id,code\nr1,1\nr2,2\nr3,NA\n")
    (tmp_path / "dev.csv").write_text("id,code,gold\nd1,2,0\nd2,NA,1\nd3,1,1\n")
    (tmp_path / "lfs.py").write_text(
        "from labeling_functions import isin_lf\n"
        "lfs = [isin_lf('one_or_na', 'code', {1, 'NA'}, 1), isin_lf('two', 'code', {2}, 0),\n"
        "       isin_lf('three', 'code', {3}, 0)]\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["weak", str(tmp_path / "codes.csv"), "--lfs",
                                 str(tmp_path / "lfs.py"), "--cardinality", "2", "--id-column",
                                 "id", "--dev", str(tmp_path / "dev.csv"), "--label-column",
                                 "gold", "--method", "majority", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "weak_labels.csv")["label"].tolist() == [1, 0, 1]
    assert "dev accuracy of majority: 1.0000 on 3 dev rows" in r.output


def test_the_report_confidence_chart_leaves_out_rows_without_a_vote(tmp_path, monkeypatch):
    """Rows no LF voted on hold the class prior (0.5/0.5 under Snorkel): the chart showed
    them as a bar of uncertain rows."""
    import re

    from dataqa.weak.report import weak_report

    L = np.array([[0, -1], [1, 1], [-1, -1], [-1, -1], [-1, -1]])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    pred = np.array([0, 1, -1, -1, -1])
    summary = pd.DataFrame({"Polarity": [[0], [1]], "Coverage": [0.2, 0.2],
                            "Overlaps": [0.2, 0.2], "Conflicts": [0.0, 0.0]},
                           index=["a", "b"])
    import dataqa.report

    made = []
    plain = dataqa.report.subplots

    def recording(*args, **kwargs):
        fig, axes = plain(*args, **kwargs)
        made.append(axes)
        return fig, axes

    monkeypatch.setattr(dataqa.report, "subplots", recording)
    page = weak_report(tmp_path / "r.html", summary=summary, L=L, proba=proba,
                       pred=pred).read_text()
    histogram = made[-1][1]  # (hard labels, confidence)
    assert sum(p.get_height() for p in histogram.patches) == 2  # the two rows with a vote
    assert re.search(r"The confidence chart counts the 2 rows at least one LF voted on; "
                     r"the 3 rows without a vote hold the label model&#x27;s class prior", page)
    full = weak_report(tmp_path / "f.html", summary=summary, L=L[:2], proba=proba[:2],
                       pred=pred[:2]).read_text()
    assert "The confidence chart counts" not in full


def test_the_report_lf_table_shows_class_names_and_percentages(tmp_path):
    from dataqa.weak.report import weak_report

    L = np.array([[0, -1], [1, 1], [-1, 1]])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    summary = pd.DataFrame({"j": [0, 1], "Polarity": [[0], [1]], "Coverage": [1 / 3, 2 / 3],
                            "Overlaps": [1 / 3, 1 / 3], "Conflicts": [0.0, 0.0],
                            "Dev Emp. Acc.": [1.0, 0.875]}, index=["a", "b"])
    page = weak_report(tmp_path / "r.html", summary=summary, L=L, proba=proba,
                       pred=np.array([0, 1, 1]), class_names=["ham", "spam"]).read_text()
    table = page.split("<table>")[1].split("</table>")[0]
    assert ">j<" not in table
    assert "<td class=\"cell words\">ham</td>" in table and "66.7%" in table
    assert "87.5%" in table and "33.3%" in table
