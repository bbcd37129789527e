"""``dataqa weak`` end to end on a small table, and its error messages."""

from __future__ import annotations

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
    assert list(labels.columns) == ["id", "label", "prob_0", "prob_1"]
    assert labels["id"].tolist() == [f"k{i}" for i in range(8)]
    assert labels["label"].tolist()[:4] == [1, 0, 1, 0]
    assert labels.loc[4, "label"] == 0  # "love it": only the short LF votes
    summary = pd.read_csv(out / "lf_summary.csv", index_col=0)
    assert list(summary.index) == ["kw_sub", "re_link", "kw_song", "short"]
    assert summary.loc["kw_song", "Coverage"] == pytest.approx(3 / 8)
    html = (out / "report.html").read_text()
    assert "Labeling functions" in html and "data:image/png;base64" in html and "kw_sub" in html


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
        (["--text-column", "nope"], "text column 'nope' is not in the table"),
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
