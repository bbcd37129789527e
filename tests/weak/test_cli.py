"""``dataqa weak`` end to end on a small table, and its error messages."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.cli import app

LFS_FILE = '''
from labeling_functions import keyword_lf, regex_lf
from snorkel.labeling import labeling_function

@labeling_function()
def short(x):
    return 0 if len(x.text) < 12 else -1

lfs = [keyword_lf("kw_sub", ["subscribe", "check out"], 1, column="text"),
       regex_lf("re_link", r"https?://", 1), keyword_lf("kw_song", "song", 0), short]
'''


@pytest.fixture()
def files(tmp_path):
    texts = ["subscribe to me", "nice song", "check out http://x.y", "great song!!",
             "love it", "my video http://z", "song of the year, really", "subscribe pls"]
    pd.DataFrame({"key": [f"k{i}" for i in range(8)], "body": texts}).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"body": texts[:6], "gold": [1, 0, 1, 0, 0, 1]}).to_csv(tmp_path / "dev.csv", index=False)
    (tmp_path / "my_lfs.py").write_text(LFS_FILE)
    return tmp_path


def test_weak_command_writes_outputs(files):
    out = files / "out"
    res = CliRunner().invoke(app, [
        "weak", str(files / "d.csv"), "--lfs", str(files / "my_lfs.py"), "--cardinality", "2",
        "--method", "auto", "--id-column", "key", "--text-column", "body",
        "--dev", str(files / "dev.csv"), "--label-column", "gold", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "label model:" in res.output and "kept '" in res.output
    labels = pd.read_csv(out / "weak_labels.csv")
    assert list(labels.columns) == ["id", "label", "prob_0", "prob_1", "row"]
    assert labels["row"].tolist() == list(range(1, 9))  # (the ids are given here)
    assert labels["id"].tolist() == [f"k{i}" for i in range(8)]
    assert labels["label"].tolist()[:4] == [1, 0, 1, 0]
    assert labels.loc[4, "label"] == 0  # "love it": only the short LF votes
    summary = pd.read_csv(out / "lf_summary.csv", index_col=0)
    assert list(summary.index) == ["kw_sub", "re_link", "kw_song", "short"]
    assert summary.loc["kw_song", "Coverage"] == pytest.approx(3 / 8)
    html = (out / "report.html").read_text()
    assert "Labeling functions" in html and "data:image/png;base64" in html and "kw_sub" in html


def test_a_dev_files_zero_led_id_column_is_read_as_ids_without_a_warning(files):
    # the main file's id column 0001... is read as ids, silently: so is the dev file's
    texts = pd.read_csv(files / "d.csv")["body"].tolist()
    pd.DataFrame({"key": [f"{i:04d}" for i in range(8)], "body": texts}).to_csv(
        files / "z.csv", index=False)
    pd.DataFrame({"key": [f"{i:04d}" for i in range(6)], "body": texts[:6],
                  "gold": [1, 0, 1, 0, 0, 1]}).to_csv(files / "zdev.csv", index=False)
    res = CliRunner().invoke(app, [
        "weak", str(files / "z.csv"), "--lfs", str(files / "my_lfs.py"), "--cardinality", "2",
        "--id-column", "key", "--text-column", "body", "--dev", str(files / "zdev.csv"),
        "--label-column", "gold", "--out", str(files / "zout")])
    assert res.exit_code == 0, res.output
    assert "leading zeros" not in res.output, res.output
    labels = pd.read_csv(files / "zout" / "weak_labels.csv", dtype={"id": str})
    assert labels["id"].tolist() == [f"{i:04d}" for i in range(8)]


def test_weak_command_module_and_default_method(files, monkeypatch):
    monkeypatch.syspath_prepend(str(files))
    df = pd.read_csv(files / "d.csv").rename(columns={"body": "text"})
    df["body"] = df["text"]
    df.to_csv(files / "d2.csv", index=False)
    res = CliRunner().invoke(app, ["weak", str(files / "d2.csv"), "--lfs", "my_lfs",
                                   "--cardinality", "2", "--method", "majority",
                                   "--out", str(files / "o2")])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(files / "o2" / "weak_labels.csv")) == 8


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "auto"], "pass --dev and --label-column"),
        (["--method", "best"], "unknown label model 'best'"),
        (["--lfs", "no_such_module_xyz"], "neither a .py file nor an importable module"),
        (["--text-column", "nope"], "text column 'nope' is not in '"),
        (["--dev", "DEV"], "--dev needs --label-column"),
    ],
)
def test_weak_command_errors(files, extra, message):
    args = ["weak", str(files / "d.csv"), "--lfs", str(files / "my_lfs.py"), "--cardinality", "2",
            "--text-column", "body", "--out", str(files / "o")]
    extra = [str(files / "dev.csv") if e == "DEV" else e for e in extra]
    if "--lfs" in extra:
        i = args.index("--lfs")
        del args[i:i + 2]
    if "--text-column" in extra:
        i = args.index("--text-column")
        del args[i:i + 2]
    res = CliRunner().invoke(app, args + extra)
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert not (files / "o").exists()  # checked before anything is written


def _run(args):
    return CliRunner().invoke(app, ["weak", *map(str, args)])


TWO_LFS = """
from labeling_functions import keyword_lf
lfs = [keyword_lf("kw_sub", "subscribe", 1, column="text"), keyword_lf("kw_song", "song", 0)]
"""


def test_fewer_than_three_lfs_default_falls_back_to_majority(files):
    (files / "two.py").write_text(TWO_LFS)
    res = _run([files / "d.csv", "--lfs", files / "two.py", "--cardinality", 2,
                "--text-column", "body", "--out", files / "o"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "label model: majority" in text
    assert "Snorkel's LabelModel (the default) needs at least 3 labeling functions and there are 2" in text
    labels = pd.read_csv(files / "o" / "weak_labels.csv")
    assert labels["label"].tolist() == [1, 0, -1, 0, -1, -1, 0, 1]


def test_fewer_than_three_lfs_auto_skips_snorkel_and_says_why(files):
    (files / "two.py").write_text(TWO_LFS)
    res = _run([files / "d.csv", "--lfs", files / "two.py", "--cardinality", 2,
                "--text-column", "body", "--method", "auto", "--dev", files / "dev.csv",
                "--label-column", "gold", "--out", files / "o"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "skipped snorkel, snorkel_dev_prior: Snorkel's LabelModel needs at least 3 LFs and there are 2" in text
    assert "kept 'majority'" in text or "kept 'dawid_skene'" in text


def test_explicit_snorkel_with_two_lfs_is_refused_before_work(files):
    (files / "two.py").write_text(TWO_LFS)
    res = _run([files / "d.csv", "--lfs", files / "two.py", "--cardinality", 2,
                "--text-column", "body", "--method", "snorkel", "--out", files / "o"])
    assert res.exit_code == 2, res.output
    assert ("--method snorkel (Snorkel's LabelModel) needs at least 3 labeling functions and "
            "--lfs gives 2") in " ".join(res.output.split())
    assert not (files / "o").exists()


def test_headerless_tsv_with_dev(files):
    texts = ["subscribe to me", "nice song", 'say "check out" my channel', "great song!!"]
    (files / "d.tsv").write_text("".join(f"k{i}\t{t}\n" for i, t in enumerate(texts)))
    (files / "dev.tsv").write_text("d0\tsubscribe now\t1\nd1\tsong\t0\nd2\tok\t0\n")
    res = _run([files / "d.tsv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--no-header", "--columns", "key,text", "--id-column", "key",
                "--dev", files / "dev.tsv", "--dev-columns", "key,text,gold",
                "--label-column", "gold", "--method", "auto", "--out", files / "o"])
    assert res.exit_code == 0, res.output
    labels = pd.read_csv(files / "o" / "weak_labels.csv")
    assert labels["id"].tolist() == ["k0", "k1", "k2", "k3"]  # the first row is data
    assert labels["label"].tolist() == [1, 0, 1, 0]  # quotes are ordinary characters in TSV


def test_the_dev_score_is_printed_for_any_method(files):
    # every dev row has a vote; the fifth gold label disagrees with its votes: 5 of 6 right
    pd.DataFrame({"body": ["subscribe to me", "nice song", "check out http://x.y",
                           "great song!!", "love it", "my video http://z"],
                  "gold": [1, 0, 1, 0, 1, 1]}).to_csv(files / "dev6.csv", index=False)
    base = [files / "d.csv", "--lfs", files / "my_lfs.py", "--text-column", "body",
            "--dev", files / "dev6.csv", "--label-column", "gold", "--out", files / "o"]
    res = _run([*base, "--cardinality", 2, "--method", "majority"])
    assert res.exit_code == 0, res.output
    assert "dev accuracy of majority: 0.8333 on 6 dev rows" in res.output
    res = _run([*base, "--cardinality", 1])
    assert res.exit_code == 2
    assert "--cardinality 1 must be 2 or more (the number of classes)." in res.output


def test_duplicate_ids_name_the_file(files):
    pd.DataFrame({"key": ["a", "b", "a"], "body": ["x", "y", "z"]}).to_csv(files / "dup.csv", index=False)
    base = ["--lfs", files / "my_lfs.py", "--cardinality", 2, "--text-column", "body",
            "--id-column", "key", "--out", files / "o"]
    res = _run([files / "dup.csv", *base])
    assert res.exit_code == 2
    assert "id column 'key' of '" in res.output and "dup.csv' has 1 repeated value: 'a'" in " ".join(res.output.split())
    dev = pd.DataFrame({"key": ["d", "d"], "body": ["x", "y"], "gold": [0, 1]})
    dev.to_csv(files / "dupdev.csv", index=False)
    res = _run([files / "d.csv", *base, "--dev", files / "dupdev.csv", "--label-column", "gold"])
    assert res.exit_code == 2
    assert "dupdev.csv' has 1 repeated value: 'd'" in " ".join(res.output.split())
    assert not (files / "o").exists()


def test_ids_are_written_as_the_file_has_them(files):
    # 007 and 7 are two ids; numbers-looking ids keep their spelling
    (files / "zid.csv").write_text("key,body\n007,subscribe to me\n7,nice song\n1.50,love it\n"
                                   "1e3,my video http://z\n")
    res = _run([files / "zid.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--text-column", "body", "--id-column", "key", "--method", "majority",
                "--out", files / "o"])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(files / "o" / "weak_labels.csv", dtype={"id": str})
    assert got["id"].tolist() == ["007", "7", "1.50", "1e3"]
    assert got["label"].tolist() == [1, 0, 0, 1]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import sys\nsys.exit(3)\n", "called sys.exit(3) while being imported"),
        ("lfs = 3\n", "lfs must be a list of labeling functions; got int 3"),
        ("raise ValueError('boom\\nsecond line')\n", "failed to import: ValueError: boom second line"),
    ],
)
def test_bad_lf_files(files, source, message):
    (files / "bad.py").write_text(source)
    res = _run([files / "d.csv", "--lfs", files / "bad.py", "--cardinality", 2,
                "--text-column", "body", "--out", files / "o"])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert "bad.py" in res.output and not (files / "o").exists()


def test_dev_labels_that_are_not_class_indices(files):
    pd.DataFrame({"body": ["a", "b"], "gold": ["spam", "ham"]}).to_csv(files / "sdev.csv", index=False)
    res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--text-column", "body", "--dev", files / "sdev.csv", "--label-column", "gold",
                "--method", "auto", "--out", files / "o"])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert ("dev label column 'gold' of '" in res.output
            and "must hold class indices 0..1; labels written as names are read with "
                "class_names (--classes a,b,...), the names of classes 0, 1, ... in order; row 1 "
                "(counted from 1 after the header) holds 'spam' (2 such rows)" in text)
    # named: read as their indices, and auto scored by F1 of class 1
    res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--text-column", "body", "--dev", files / "sdev.csv", "--label-column", "gold",
                "--method", "auto", "--classes", "ham,spam", "--metric", "f1", "--out",
                files / "o"])
    assert res.exit_code == 0, res.output
    assert "dev f1 " in res.output and "on 2 rows" in res.output
    f1_line = [line for line in res.output.splitlines() if "dev f1 " in line]
    # with --classes the labels file names each row's class beside its number
    labels = pd.read_csv(files / "o" / "weak_labels.csv", keep_default_na=False)
    assert list(labels.columns) == ["id", "label", "label_name", "prob_0", "prob_1", "row"]
    assert len(labels) == 8 and set(labels["label"]) <= {-1, 0, 1}
    want = labels["label"].map({-1: "", 0: "ham", 1: "spam"})
    assert labels["label_name"].tolist() == want.tolist()
    # ... and the report's label distribution (it said 0 and 1)
    html = (files / "o" / "report.html").read_text()
    part = html[html.index("Label distribution"):]
    n_ham = int((labels["label"] == 0).sum())
    assert re.search(rf"ham</t[dh]>\s*<td[^>]*>{n_ham}</td>", part), part[:600]
    # names with white space around them are the same classes, with a warning
    pd.DataFrame({"body": ["a", "b"], "gold": [" spam", "ham "]}).to_csv(
        files / "pdev.csv", index=False)
    with pytest.warns(UserWarning, match=r"dev label column 'gold' of '.*pdev.csv': 2 label "
                                         r"cells have white space around the text \(e\.g\. "
                                         r"' spam'\); read without it\.$"):
        res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                    "--text-column", "body", "--dev", files / "pdev.csv", "--label-column",
                    "gold", "--method", "auto", "--classes", "ham,spam", "--metric", "f1",
                    "--out", files / "o5"])
    assert res.exit_code == 0, res.output
    assert [line for line in res.output.splitlines() if "dev f1 " in line] == f1_line
    # the names in another case than --classes: the same classes, with a warning
    with pytest.warns(UserWarning, match=r"dev label column 'gold' of '.*sdev.csv' writes "
                                         r"classes in another case than --classes "
                                         r"\(class_names\); read 'spam' as 'Spam', 'ham' as "
                                         r"'Ham'\.$"):
        res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                    "--text-column", "body", "--dev", files / "sdev.csv", "--label-column",
                    "gold", "--method", "auto", "--classes", "Ham,Spam", "--metric", "f1",
                    "--out", files / "o4"])
    assert res.exit_code == 0, res.output
    assert [line for line in res.output.splitlines() if "dev f1 " in line] == f1_line
    res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--text-column", "body", "--dev", files / "sdev.csv", "--label-column", "gold",
                "--method", "auto", "--classes", "ham,eggs", "--out", files / "o2"])
    assert res.exit_code == 2
    assert ("must hold class indices 0..1 or the class names 'ham', 'eggs'; row 1 (counted "
            "from 1 after the header) holds 'spam' (1 such row)") in " ".join(res.output.split())
    # a dev table whose text column has another name is told how to name it
    pd.DataFrame({"comment": ["a", "b"], "gold": [0, 1]}).to_csv(files / "cdev.csv", index=False)
    res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--text-column", "body", "--dev", files / "cdev.csv", "--label-column", "gold",
                "--out", files / "o3"])
    assert res.exit_code == 2
    assert ("text column 'body' is not in" in res.output and "name the dev table's columns in "
            "order with --dev-columns" in " ".join(res.output.split()))
    # -1 is an abstain, not a gold label; a missing dev file is called the dev file
    pd.DataFrame({"body": ["a", "b", "c"], "gold": [0, -1, 1]}).to_csv(files / "mdev.csv",
                                                                       index=False)
    for dev, said in (("mdev.csv", "dev label column 'gold' of '"), ("none.csv", "dev file '")):
        res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                    "--text-column", "body", "--dev", files / dev, "--label-column", "gold",
                    "--out", files / "o3"])
        assert res.exit_code == 2 and said in res.output, res.output
    text = " ".join(res.output.split())
    assert f"dev file {str(files / 'none.csv')!r} does not exist; check the path." in text
    res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                "--text-column", "body", "--dev", files / "mdev.csv", "--label-column", "gold",
                "--out", files / "o3"])
    assert ("holds -1 in 1 row(s) (rows 2, counted from 1 after the header): -1 is an LF's "
            "abstain, and a gold label cannot abstain; drop those rows from the dev set or give "
            "them their class.") in " ".join(res.output.split())


def test_an_lf_file_imports_the_modules_beside_it(files):
    sub = files / "project"
    sub.mkdir()
    (sub / "spam_words_dq.py").write_text("WORDS = ['subscribe', 'check out']\n")
    (sub / "lfs_beside.py").write_text(
        "from labeling_functions import keyword_lf\nfrom spam_words_dq import WORDS\n"
        "lfs = [keyword_lf('kw', WORDS, 1, column='text'), keyword_lf('song', 'song', 0)]\n")
    res = _run([files / "d.csv", "--lfs", sub / "lfs_beside.py", "--cardinality", 2,
                "--text-column", "body", "--id-column", "key", "--out", files / "o"])
    assert res.exit_code == 0, res.output
    labels = pd.read_csv(files / "o" / "weak_labels.csv")
    assert labels["label"].tolist()[:2] == [1, 0]  # "subscribe to me", "nice song"


def test_a_class_no_lf_votes_for_is_named(files):
    with pytest.warns(UserWarning, match="no labeling function voted for class 2 on any row "
                                         "\\(cardinality 3\\)"):
        res = _run([files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 3,
                    "--method", "majority", "--text-column", "body", "--out", files / "o"])
    assert res.exit_code == 0, res.output


def test_the_dev_file_has_reading_options_of_its_own(files):
    # a headerless TSV to label, a dev set saved as an ordinary CSV
    pd.read_csv(files / "d.csv").to_csv(files / "d.tsv", sep="\t", index=False, header=False)
    base = ["weak", str(files / "d.tsv"), "--lfs", str(files / "my_lfs.py"), "--cardinality",
            "2", "--method", "auto", "--format", "tsv", "--no-header", "--columns", "key,body",
            "--id-column", "key", "--text-column", "body", "--label-column", "gold"]
    res = CliRunner().invoke(app, [*base, "--dev", str(files / "dev.csv"), "--dev-format",
                                   "csv", "--dev-header", "--out", str(files / "o1")])
    assert res.exit_code == 0, res.output
    plain = CliRunner().invoke(app, ["weak", str(files / "d.csv"), "--lfs",
                                     str(files / "my_lfs.py"), "--cardinality", "2", "--method",
                                     "auto", "--id-column", "key", "--text-column", "body",
                                     "--dev", str(files / "dev.csv"), "--label-column", "gold",
                                     "--out", str(files / "o2")])
    assert plain.exit_code == 0, plain.output
    pd.testing.assert_frame_equal(pd.read_csv(files / "o1" / "weak_labels.csv"),
                                  pd.read_csv(files / "o2" / "weak_labels.csv"))
    # the reverse: a headerless dev file beside a data file with a header
    pd.read_csv(files / "dev.csv").to_csv(files / "devnh.csv", index=False, header=False)
    res = CliRunner().invoke(app, [
        "weak", str(files / "d.csv"), "--lfs", str(files / "my_lfs.py"), "--cardinality", "2",
        "--method", "auto", "--id-column", "key", "--text-column", "body", "--label-column",
        "gold", "--dev", str(files / "devnh.csv"), "--dev-no-header", "--dev-columns",
        "body,gold", "--out", str(files / "o3")])
    assert res.exit_code == 0, res.output
    # the same file read with a header: the missing label column's hint names --dev-*
    long = pd.read_csv(files / "dev.csv")
    long["body"] = long["body"] + " and some more words to read"
    long.to_csv(files / "devnh2.csv", index=False, header=False)
    res = CliRunner().invoke(app, [
        "weak", str(files / "d.csv"), "--lfs", str(files / "my_lfs.py"), "--cardinality", "2",
        "--method", "auto", "--id-column", "key", "--text-column", "body", "--label-column",
        "gold", "--dev", str(files / "devnh2.csv"), "--out", str(files / "o3b")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "label column 'gold' is not in" in text
    assert "read it with --dev-no-header --dev-columns a,b,..." in text
    assert "--no-header --columns" not in text.replace("--dev-no-header --dev-columns", "")
    # an error reading the dev file names its own options
    (files / "dev1252.csv").write_bytes("body,gold\ncaf\u00e9 song,0\n".encode("cp1252"))
    res = CliRunner().invoke(app, [*base, "--dev", str(files / "dev1252.csv"), "--dev-format",
                                   "csv", "--dev-header", "--out", str(files / "o4")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "--dev-encoding cp1252" in text and "This is the dev file: --dev-format" in text
    res = CliRunner().invoke(app, [*base, "--dev-sep", ";", "--out", str(files / "o5")])
    assert res.exit_code == 2
    assert ("--dev-sep, --label-column are for the dev file (how it is read, its gold label "
            "column), but no --dev file is given; pass --dev FILE, or leave them out."
            in " ".join(res.output.split()))
    res = CliRunner().invoke(app, [*base[:-2], "--label-column", "gold", "--out",
                                   str(files / "o5")])
    assert res.exit_code == 2  # a gold label column without a dev file was ignored
    assert ("--label-column is for the dev file (how it is read, its gold label column), but "
            "no --dev file is given; pass --dev FILE, or leave it out."
            in " ".join(res.output.split()))
    res = CliRunner().invoke(app, [*base, "--dev-header", "--out", str(files / "o5")])
    assert res.exit_code == 2
    assert ("--dev-header, --label-column are for the dev file (how it is read, its gold "
            "label column), but no --dev file is given; pass --dev FILE, or leave them out."
            in " ".join(res.output.split()))
    res = CliRunner().invoke(app, [*base, "--dev", str(files / "devnh.csv"), "--dev-header",
                                   "--dev-no-header", "--out", str(files / "o5")])
    assert res.exit_code == 2
    assert "give --dev-no-header or --dev-header, not both." in res.output
    # a dev file with a header takes the data file's --no-header: its first line is the
    # column names, and it is told --dev-header (it was told its label 'gold' is no class)
    pd.read_csv(files / "dev.csv")[["body", "gold"]].rename(columns={"body": "key"}).to_csv(
        files / "devh.csv", index=False)
    res = CliRunner().invoke(app, [*base[:-2], "--dev", str(files / "devh.csv"),
                                   "--dev-format", "csv", "--dev-columns", "key,gold", "--label-column", "gold",
                                   "--out", str(files / "o6")])
    assert res.exit_code == 2
    assert (f"the dev file {str(files / 'devh.csv')!r} is read without a header (the first "
            f"file's --no-header, which it takes unless given --dev-header, or its own "
            f"--dev-no-header), but its first line holds the column names ('key', 'gold'): "
            f"it has a header. Pass --dev-header" in " ".join(res.output.split()))
    # a dev file in UTF-8 beside a cp1252 data file is told the encoding it reads as
    (files / "d1252.csv").write_bytes(
        pd.read_csv(files / "d.csv").to_csv(index=False).encode("cp1252"))
    # (Cyrillic A is bytes 0xd0 0x90 in UTF-8; 0x90 is no cp1252 character)
    (files / "devutf8.csv").write_text("body,gold\n\u0410nna song,0\nsubscribe,1\n",
                                       encoding="utf-8")
    res = CliRunner().invoke(app, [
        "weak", str(files / "d1252.csv"), "--encoding", "cp1252", "--lfs",
        str(files / "my_lfs.py"), "--cardinality", "2", "--method", "auto", "--text-column",
        "body", "--label-column", "gold", "--dev", str(files / "devutf8.csv"), "-q", "--out",
        str(files / "o7")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "it reads as UTF-8: pass --dev-encoding utf-8" in text
    assert "API:" not in text  # hints for Python callers are left out on the command line


def test_an_lf_that_raises_stops_the_run_unless_fault_tolerant(files):
    (files / "boom.py").write_text(LFS_FILE + '''
@labeling_function()
def boom(x):
    if "love" in x.text:
        raise ValueError("bad row")
    return -1

lfs = lfs + [boom]
''')
    args = ["weak", str(files / "d.csv"), "--lfs", str(files / "boom.py"), "--cardinality", "2",
            "--text-column", "body", "--method", "majority"]
    res = CliRunner().invoke(app, [*args, "--out", str(files / "o1")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert (f"labeling function 'boom' raised on row 5 of {str(files / 'd.csv')!r} (data rows "
            f"counted from 1, after any header): ValueError: bad row") in text
    assert "--fault-tolerant in dataqa weak" in text
    res = CliRunner().invoke(app, [*args, "--fault-tolerant", "--out", str(files / "o2")])
    assert res.exit_code == 0, res.output
    # with a dev file, each warning names its table (the dev rows' came as a second,
    # otherwise identical, line)
    from dataqa.weak import LFFaultWarning

    with pytest.warns(LFFaultWarning) as caught:
        res = CliRunner().invoke(app, [*args, "--fault-tolerant", "--dev", str(files / "dev.csv"),
                                       "--label-column", "gold", "-q", "--out", str(files / "o4")])
    assert res.exit_code == 0, res.output
    said = " ".join(str(w.message) for w in caught)
    assert f"raised and abstained on some rows of {str(files / 'd.csv')!r} (boom: 1 row(s)" in said
    assert f"raised and abstained on some rows of {str(files / 'dev.csv')!r} (boom: 1 row(s)" in said
    # boom votes nowhere (it abstains where it raises): the labels of the LFs without it
    res = CliRunner().invoke(app, ["weak", str(files / "d.csv"), "--lfs", str(files / "my_lfs.py"),
                                   "--cardinality", "2", "--text-column", "body", "--method",
                                   "majority", "--out", str(files / "o3")])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(files / "o2" / "weak_labels.csv"),
                                  pd.read_csv(files / "o3" / "weak_labels.csv"))
    # the faults stay in sight in the summary (the rows of d.csv whose body says love)
    body = pd.read_csv(files / "d.csv")["body"]
    faults = pd.read_csv(files / "o2" / "lf_summary.csv", index_col=0)["Faults"]
    assert faults["boom"] == int(body.str.contains("love").sum()) > 0
    assert (faults.drop("boom") == 0).all()
    assert "Faults" not in pd.read_csv(files / "o3" / "lf_summary.csv").columns


def test_an_lf_module_name_of_a_file_beside_is_told_the_file(files, monkeypatch):
    monkeypatch.chdir(files)
    res = _run(["d.csv", "--lfs", "my_lfs_x", "--cardinality", 2, "--text-column", "body",
                "--out", "o"])
    assert res.exit_code == 2 and "There is a file" not in res.output
    (files / "my_lfs_x.py").write_text(LFS_FILE)
    res = _run(["d.csv", "--lfs", "my_lfs_x", "--cardinality", 2, "--text-column", "body",
                "--out", "o"])
    assert res.exit_code == 2
    assert ("--lfs 'my_lfs_x' is neither a .py file nor an importable module "
            "(ModuleNotFoundError: No module named 'my_lfs_x'). There is a file "
            "'my_lfs_x.py': pass --lfs my_lfs_x.py.") in \
        " ".join(res.output.split())


def test_a_text_column_hidden_by_the_text_column_option_is_named(files):
    pd.DataFrame({"key": ["a", "b"], "body": ["subscribe to me", "nice song"],
                  "text": ["x", "y"]}).to_csv(files / "both.csv", index=False)
    with pytest.warns(UserWarning, match=r"both.csv' has a column 'text' of its own; with "
                                         r"--text-column \(API: text_column=\) 'body' the LFs read "
                                         r"'body' as 'text', and the file's 'text' column is "
                                         r"not visible to them"):
        res = _run([files / "both.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                    "--text-column", "body", "--id-column", "key", "--method", "majority",
                    "--out", files / "o"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(files / "o" / "weak_labels.csv")["label"].tolist() == [1, 0]


def test_a_dev_file_that_took_the_data_files_columns_is_told_so(files):
    (files / "d.tsv").write_text("k0\tsubscribe to me\nk1\tnice song\n")
    pd.DataFrame({"key": ["d0", "d1"], "text": ["subscribe now", "song"],
                  "gold": [1, 0]}).to_csv(files / "hdev.csv", index=False)
    base = [files / "d.tsv", "--lfs", files / "my_lfs.py", "--cardinality", 2, "--no-header",
            "--columns", "key,text", "--dev", files / "hdev.csv", "--label-column", "gold",
            "--method", "majority", "--out", files / "o"]
    res = _run(base)
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert ("hdev.csv' has 3 fields per row but the first file's --columns (taken, as no "
            "--dev-columns was given) names 2; give one name per field.") in text, text
    assert text.endswith("If the dev file has a header line, pass --dev-header; else name its "
                         "fields with --dev-columns.")
    res = _run([*base, "--dev-header"])
    assert res.exit_code == 0, res.output


def test_a_dev_file_ending_its_lines_with_a_delimiter_names_the_columns_it_took(files):
    (files / "d.tsv").write_text("k0\tsubscribe to me\nk1\tnice song\n")
    (files / "dev.tsv").write_text("d0\tsubscribe now\t\nd1\tsong\t\n")
    with pytest.warns(UserWarning, match=r"every line ends with 1 empty field\(s\) after the 2 "
                                         r"that the first file's --columns \(taken, as no "
                                         r"--dev-columns was given\) names"):
        res = _run([files / "d.tsv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
                    "--no-header", "--columns", "key,text", "--dev", files / "dev.tsv",
                    "--label-column", "key", "--method", "majority", "--out", files / "o"])
    assert res.exit_code == 2 and "dev label column 'key'" in res.output  # read, then judged


def test_the_dev_prior_candidate_of_auto_is_a_method_of_its_own(files):
    base = [files / "d.csv", "--lfs", files / "my_lfs.py", "--cardinality", 2,
            "--id-column", "key", "--text-column", "body"]
    res = _run([*base, "--method", "snorkel_dev_prior", "--out", files / "o"])
    assert res.exit_code == 2
    assert ("--method snorkel_dev_prior takes the class balance of the dev labels; pass --dev "
            "and --label-column.") in " ".join(res.output.split())
    res = _run([*base, "--method", "snorkel_dev_prior", "--dev", files / "dev.csv",
                "--label-column", "gold", "--out", files / "o"])
    assert res.exit_code == 0, res.output
    assert "label model: snorkel_dev_prior" in " ".join(res.output.split())
    from dataqa.weak import weak_label

    dev = pd.read_csv(files / "dev.csv")
    import importlib.util

    spec = importlib.util.spec_from_file_location("lfs_for_test", files / "my_lfs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    auto = weak_label(str(files / "d.csv"), module.lfs, cardinality=2, method="auto",
                      id_column="key", text_column="body", dev=dev, label_column="gold")
    expected = auto.model.candidates_["snorkel_dev_prior"].predict_proba(auto.L)
    got = pd.read_csv(files / "o" / "weak_labels.csv")[["prob_0", "prob_1"]].to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_the_dev_file_keeps_na_words_and_digits_as_text(tmp_path):
    """The command reads the dev file itself: its text column keeps 'null', 'N/A' and
    digits as written, as weak_label's own reading does (every dev row abstained)."""
    (tmp_path / "d.csv").write_text("id,text\nc1,None\nc2,NA\nc3,123\nc4,hello\n")
    (tmp_path / "dev.csv").write_text("text,gold\nnull,0\n42,1\nN/A,0\n")
    (tmp_path / "na_lfs.py").write_text('''
from snorkel.labeling import labeling_function

@labeling_function()
def word(x):
    return 0 if x.text.lower() in ("none", "na", "null", "n/a") else -1

@labeling_function()
def number(x):
    return 1 if x.text.isdigit() else -1

lfs = [word, number]
''')
    res = CliRunner().invoke(app, [
        "weak", str(tmp_path / "d.csv"), "--lfs", str(tmp_path / "na_lfs.py"), "--cardinality",
        "2", "--method", "majority", "--id-column", "id", "--dev", str(tmp_path / "dev.csv"),
        "--label-column", "gold", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "dev accuracy of majority: 1.0000 on 3 dev rows" in " ".join(res.output.split())
    summary = pd.read_csv(tmp_path / "o" / "lf_summary.csv", index_col=0)
    assert summary.loc["word", "Dev Correct"] == 2 and summary.loc["number", "Dev Correct"] == 1


def test_dev_labels_that_are_numbers_named_by_classes_read_as_those_names():
    import warnings

    from dataqa.weak.pipeline import _dev_labels

    dev = pd.DataFrame({"label": [1, 0, 0, 1]})
    # --classes 1,0: class 0 is named '1'; the names win, as for text labels, and it is said
    with pytest.warns(UserWarning, match=r"holds numbers that --classes \(class_names\) names "
                                         r"in another order; read as those names: 1 as class 0 "
                                         r"\('1'\), 0 as class 1 \('0'\)"):
        assert _dev_labels(dev, "label", 2, None, ["1", "0"]).tolist() == [0, 1, 1, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # names in their own order, or names of words: indices
        assert _dev_labels(dev, "label", 2, None, ["0", "1"]).tolist() == [1, 0, 0, 1]
        assert _dev_labels(dev, "label", 2, None, ["ham", "spam"]).tolist() == [1, 0, 0, 1]
        assert _dev_labels(dev, "label", 2, None).tolist() == [1, 0, 0, 1]
        # the names written as text are mapped once, numbers among them too
        text = pd.DataFrame({"label": ["1", "0", "0", "1"]})
        assert _dev_labels(text, "label", 2, None, ["1", "0"]).tolist() == [0, 1, 1, 0]
        assert _dev_labels(text, "label", 3, None, ["2", "0", "1"]).tolist() == [2, 1, 1, 2]
    mixed = pd.DataFrame({"label": ["1", 0, "0", 1]}, dtype=object)
    with pytest.warns(UserWarning, match="in another order"):
        assert _dev_labels(mixed, "label", 2, None, ["1", "0"]).tolist() == [0, 1, 1, 0]
    floats = pd.DataFrame({"label": [1.0, 0.0]})
    with pytest.warns(UserWarning, match="1 as class 0"):
        assert _dev_labels(floats, "label", 2, None, ["1", "0"]).tolist() == [0, 1]
